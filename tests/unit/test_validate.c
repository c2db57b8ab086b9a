// SPDX-License-Identifier: Apache-2.0
/* test_validate.c - configuration checks and their upstream error texts (SPEC 2.3). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <cmocka.h>

#include "cli/validate.h"
#include "net/net.h"
#include "port/port.h"

static char err[2048];
static struct rk_strv warns;
static struct rk_choice choice;

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
	struct rk_err e;
	rk_err_clear(&e);
	assert_int_equal(rk_options_parse(argc + 2, argv, &c, &e), 0);
	rc = rk_config_validate(&c, &choice, &warns, &e);
	snprintf(err, sizeof(err), "%s", e.msg);
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
	EXPECT_ERR("unknown port driver: foo", 1, "--port-driver=foo");
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

static void test_drivers(void **state)
{
	/* the table picks the drivers */
	assert_int_equal(check(0), 0);
	assert_string_equal(choice.net->name, "host");
	assert_string_equal(choice.port->name, "none");
	assert_int_equal(check(2, "--net=slirp4netns", "--disable-host-loopback"), 0);
	assert_ptr_equal(choice.net, &rk_net_slirp4netns);
	assert_int_equal(check(2, "--net=pasta", "--port-driver=implicit"), 0);
	assert_ptr_equal(choice.net, &rk_net_pasta);
	assert_string_equal(choice.port->name, "implicit");
	assert_int_equal(check(1, "--net=none"), 0);
	assert_int_equal(check(2, "--net=lxc-user-nic", "--ifname=veth9"), 0);
	assert_int_equal(check(2, "--net=none", "--detach-netns"), 0);
	assert_int_equal(check(1, "--detach-netns"), 0);
	/* rejected: not supported, not built yet */
	assert_int_equal(check(1, "--net=vpnkit"), -EINVAL);
	assert_non_null(strstr(err, "vpnkit is not supported"));
	EXPECT_ERR("custom cidr is not supported for --net=vpnkit", 2, "--net=vpnkit",
		   "--cidr=10.0.3.0/24");
	/* the built-in stack: IPv6 beyond upstream; its port driver needs it */
	assert_int_equal(check(1, "--net=gvisor-tap-vsock"), 0);
	assert_int_equal(check(2, "--net=gvisor-tap-vsock", "--ipv6"), 0);
	assert_int_equal(check(3, "--net=gvisor-tap-vsock", "--cidr=10.0.3.0/24", "--mtu=1500"), 0);
	assert_int_equal(check(2, "--net=gvisor-tap-vsock", "--port-driver=gvisor-tap-vsock"), 0);
	assert_int_equal(check(2, "--net=gvisor-tap-vsock", "--port-driver=builtin"), 0);
	EXPECT_ERR("mtu must be >= 68 for --net=gvisor-tap-vsock, got 67", 2,
		   "--net=gvisor-tap-vsock", "--mtu=67");
	EXPECT_ERR("expected IPv4 address, got fd00::", 2, "--net=gvisor-tap-vsock",
		   "--cidr=fd00::/64");
	EXPECT_ERR("port driver requires gvisor-tap-vsock network", 2, "--net=slirp4netns",
		   "--port-driver=gvisor-tap-vsock");
	EXPECT_ERR("port driver requires non-host network", 1, "--port-driver=gvisor-tap-vsock");
	assert_int_equal(check(2, "--net=slirp4netns", "--port-driver=builtin"), 0);
	assert_int_equal(check(2, "--net=slirp4netns", "--port-driver=slirp4netns"), 0);
	assert_int_equal(check(2, "--net=slirp4netns", "--port-driver=socat"), 0);
	EXPECT_ERR("port driver requires non-host network", 1, "--port-driver=socat");
	/* SPEC 2.3 items 8 and 9 */
	EXPECT_ERR("network \"none\" requires either port driver \"none\" or \"builtin\"", 2,
		   "--net=none", "--port-driver=implicit");
	EXPECT_ERR("network \"pasta\" requires port driver \"none\" or \"implicit\"", 2,
		   "--net=pasta", "--port-driver=builtin");
	EXPECT_ERR("port driver requires pasta network", 2, "--net=slirp4netns",
		   "--port-driver=implicit");
	EXPECT_ERR("port driver requires slirp4netns network", 2, "--net=lxc-user-nic",
		   "--port-driver=slirp4netns");
	EXPECT_ERR("port driver requires non-host network", 1, "--port-driver=builtin");
	EXPECT_ERR("custom cidr is not supported for --net=none", 2, "--net=none",
		   "--cidr=10.0.3.0/24");
	EXPECT_ERR("ifname cannot be specified for --net=none", 2, "--net=none", "--ifname=x");
	EXPECT_ERR("custom cidr is not supported for --net=lxc-user-nic", 2, "--net=lxc-user-nic",
		   "--cidr=10.0.3.0/24");
	EXPECT_ERR("unsupported slirp4netns-sandbox mode: \"yes\"", 2, "--net=slirp4netns",
		   "--slirp4netns-sandbox=yes");
	EXPECT_ERR("unsupported slirp4netns-seccomp mode: \"1\"", 2, "--net=slirp4netns",
		   "--slirp4netns-seccomp=1");
	EXPECT_ERR("--slirp4netns-sandbox conflicts with --detach-netns "
		   "(https://github.com/rootless-containers/slirp4netns/issues/317)",
		   3, "--net=slirp4netns", "--slirp4netns-sandbox=true", "--detach-netns");
	assert_int_equal(
	    check(3, "--net=slirp4netns", "--slirp4netns-sandbox=auto", "--detach-netns"), 0);
	assert_int_equal(check(2, "--net=slirp4netns", "--ifname=abcdefghijklmnop"), -EINVAL);
	assert_non_null(strstr(err, "ifname must be shorter than 16 bytes"));
	/* -p with implicit is parsed and validated */
	assert_int_equal(check(3, "--net=pasta", "--port-driver=implicit", "-p=:8080:80/tcp"), 0);
	assert_int_equal(check(3, "--net=pasta", "--port-driver=implicit", "-p=8080:80/tcp"),
			 -EINVAL);
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
	assert_int_equal(check(1, "--net=slirp4netns"), 0);
	assert_int_equal(warns.n, 1);
	assert_non_null(strstr(warns.v[0], "--disable-host-loopback is highly recommended"));
	assert_int_equal(check(2, "--net=lxc-user-nic", "--mtu=1400"), 0);
	assert_int_equal(warns.n, 3);
	assert_string_equal(warns.v[1], "\"lxc-user-nic\" network driver is experimental");
	assert_string_equal(warns.v[2],
			    "--disable-host-loopback is implicitly set for lxc-user-nic");
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
	    cmocka_unit_test(test_ok),	    cmocka_unit_test(test_order_and_texts),
	    cmocka_unit_test(test_drivers), cmocka_unit_test(test_warnings),
	    cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
