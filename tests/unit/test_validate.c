// SPDX-License-Identifier: Apache-2.0
/* test_validate.c - configuration checks and their upstream error texts (SPEC 2.3). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <cmocka.h>

#include "cli/validate.h"

static char err[1024];
static struct rk_strv warns;

/* Parse argv words (plus a command) and validate; return the rc. */
static int check(int argc, ...)
{
	static char *argv[32];
	struct rk_config c;
	va_list ap;
	int rc;

	va_start(ap, argc);
	argv[0] = (char *)"rootlesskit";
	for (int i = 1; i <= argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc + 1] = (char *)"true";
	argv[argc + 2] = NULL;
	rk_config_defaults(&c);
	err[0] = '\0';
	rk_strv_free(&warns);
	assert_int_equal(rk_options_parse(argc + 2, argv, &c, err, sizeof(err)), 0);
	rc = rk_config_validate(&c, &warns, err, sizeof(err));
	rk_config_free(&c);
	return rc;
}

#define EXPECT_ERR(msg, ...)                                                                       \
	do {                                                                                       \
		assert_int_equal(check(__VA_ARGS__), -EINVAL);                                     \
		assert_string_equal(err, msg);                                                     \
	} while (0)

static void test_ok(void **state)
{
	assert_int_equal(check(0), 0);
	assert_int_equal(warns.n, 0);
	assert_int_equal(check(3, "--pidns", "--cgroupns", "--evacuate-cgroup2=x"), 0);
	assert_int_equal(check(2, "--copy-up=/etc", "--propagation=rslave"), 0);
	assert_int_equal(check(2, "--reaper=false", "--pidns"), 0);
	assert_int_equal(check(1, "--subid-source=static"), 0);
}

static void test_order_and_texts(void **state)
{
	EXPECT_ERR("evacuate-cgroup2 requires --cgroupns", 1, "--evacuate-cgroup2=x");
	EXPECT_ERR("evacuate-cgroup2 requires --pidns", 2, "--evacuate-cgroup2=x", "--cgroupns");
	EXPECT_ERR("mtu must be <= 65521, got 65522", 1, "--mtu=65522");
	EXPECT_ERR("mtu must be <= 65521, got -1", 1, "--mtu=-1");
	EXPECT_ERR("invalid CIDR address: foo", 1, "--cidr=foo");
	EXPECT_ERR("cidr must be like 10.0.2.0/24, not like 10.0.2.100/24", 1,
		   "--cidr=10.0.2.100/24");
	EXPECT_ERR("custom cidr is not supported for --net=host", 1, "--cidr=10.0.3.0/24");
	EXPECT_ERR("ifname must not contain \"/\"", 1, "--ifname=a/b");
	EXPECT_ERR("ifname cannot be specified for --net=host", 1, "--ifname=eth0");
	EXPECT_ERR("unknown network mode: foo", 1, "--net=foo");
	EXPECT_ERR("unknown port driver: socat", 1, "--port-driver=socat");
	EXPECT_ERR("port driver \"none\" does not support publishing ports", 1,
		   "-p=127.0.0.1:8080:80/tcp");
	EXPECT_ERR("unknown reaper mode: x", 1, "--reaper=x");
	EXPECT_ERR("reaper requires --pidns", 1, "--reaper=true");
	EXPECT_ERR("unknown copy-up mode: x", 1, "--copy-up-mode=x");
	EXPECT_ERR("propagation rshared does not support copy-up driver tmpfs+symlink", 2,
		   "--copy-up=/etc", "--propagation=rshared");
	EXPECT_ERR("/tmp cannot be copied up", 1, "--copy-up=/tmp/");
	EXPECT_ERR("/tmp cannot be copied up", 1, "--copy-up=/var/../tmp");
	EXPECT_ERR("unexpected evacuation group name \"a/b\": must not contain \"/\"", 3, "--pidns",
		   "--cgroupns", "--evacuate-cgroup2=a/b");
	EXPECT_ERR("failed to setup UID/GID map: failed to compute uid/gid map: unknown subid "
		   "source \"x\"",
		   1, "--subid-source=x");
}

static void test_not_built(void **state)
{
	const char *nets[] = {"--net=slirp4netns",  "--net=pasta", "--net=vpnkit",
			      "--net=lxc-user-nic", "--net=none",  "--net=gvisor-tap-vsock"};
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(check(1, nets[i]), -EINVAL);
		assert_non_null(strstr(err, "is not built in"));
		assert_non_null(strstr(err, nets[i] + 6));
	}
	const char *ports[] = {"--port-driver=builtin", "--port-driver=slirp4netns",
			       "--port-driver=implicit", "--port-driver=gvisor-tap-vsock"};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(check(1, ports[i]), -EINVAL);
		assert_non_null(strstr(err, "is not built in"));
		assert_non_null(strstr(err, ports[i] + 14));
	}
	assert_int_equal(check(1, "--detach-netns"), -EINVAL);
	assert_non_null(strstr(err, "--detach-netns"));
}

static void test_warnings(void **state)
{
	assert_int_equal(check(1, "--mtu=1500"), 0);
	assert_int_equal(warns.n, 1);
	assert_string_equal(warns.v[0], "unsupported mtu for --net=host: 1500");
	assert_int_equal(check(1, "--ipv6"), 0);
	assert_int_equal(warns.n, 2);
	assert_string_equal(warns.v[1], "--ipv6 is discarded for --net=host");
	assert_int_equal(check(1, "--propagation=bogus"), 0);
	assert_int_equal(warns.n, 1);
}

static void test_helpers(void **state)
{
	assert_int_equal(rk_cidr_check("10.0.2.0/24"), 0);
	assert_int_equal(rk_cidr_check("fd00::/64"), 0);
	assert_int_equal(rk_cidr_check("10.0.2.1/24"), -EDOM);
	assert_int_equal(rk_cidr_check("10.0.2.0/33"), -EINVAL);
	assert_int_equal(rk_cidr_check("10.0.2.0"), -EINVAL);
	assert_int_equal(rk_cidr_check("10.0.2.0/024"), -EINVAL);
	assert_int_equal(rk_cidr_check("/24"), -EINVAL);
	assert_true(rk_propagation_flags("rslave") == (MS_REC | MS_SLAVE));
	assert_true(rk_propagation_flags("private") == MS_PRIVATE);
	assert_true(rk_propagation_flags("shared") == MS_SHARED);
	assert_true(rk_propagation_flags("RSLAVE") == 0);
}

static int teardown(void **state)
{
	rk_strv_free(&warns);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ok),	      cmocka_unit_test(test_order_and_texts),
	    cmocka_unit_test(test_not_built), cmocka_unit_test(test_warnings),
	    cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
