// SPDX-License-Identifier: Apache-2.0
/* test_options.c - Go-flag-compatible command-line parsing. */
#include <errno.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/options.h"

static int parse(struct rk_config *c, char *err, int argc, ...)
{
	static char *argv[32];
	va_list ap;

	va_start(ap, argc);
	argv[0] = (char *)"rootlesskit";
	for (int i = 1; i <= argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc + 1] = NULL;
	rk_config_defaults(c);
	struct rk_err e;
	int rc;

	rk_err_clear(&e);
	rc = rk_options_parse(argc + 1, argv, c, &e);
	snprintf(err, 512, "%s", e.msg);
	return rc;
}

static void test_defaults(void **state)
{
	struct rk_config c;
	char err[512];

	assert_int_equal(parse(&c, err, 1, "true"), 0);
	assert_string_equal(c.net, "host");
	assert_string_equal(c.port_driver, "none");
	assert_string_equal(c.propagation, "rprivate");
	assert_string_equal(c.copy_up_mode, "tmpfs+symlink");
	assert_string_equal(c.reaper, "auto");
	assert_string_equal(c.subid_source, "auto");
	assert_string_equal(c.slirp4netns_sandbox, "false");
	assert_string_equal(c.lxc_user_nic_bridge, "lxcbr0");
	assert_true(c.source_ip_transparent);
	assert_false(c.pidns);
	assert_true(c.mtu == 0);
	assert_int_equal(c.command_argc, 1);
	assert_string_equal(c.command[0], "true");
	rk_config_free(&c);
}

static void test_forms(void **state)
{
	struct rk_config c;
	char err[512];

	assert_int_equal(parse(&c, err, 8, "-pidns", "--net=host", "--state-dir", "/x", "-p",
			       "1:2:3/tcp", "echo", "--net=slirp4netns"),
			 0);
	assert_true(c.pidns);
	assert_string_equal(c.state_dir, "/x");
	assert_int_equal(c.publish.n, 1);
	assert_int_equal(c.command_argc, 2);
	assert_string_equal(c.command[1], "--net=slirp4netns");
	rk_config_free(&c);

	assert_int_equal(parse(&c, err, 4, "--pidns=false", "--", "--debug", "x"), 0);
	assert_false(c.pidns);
	assert_false(c.debug);
	assert_int_equal(c.command_argc, 2);
	rk_config_free(&c);

	assert_int_equal(parse(&c, err, 2, "-", "x"), 0);
	assert_string_equal(c.command[0], "-");
	rk_config_free(&c);

	/* a string flag takes the next word even if it looks like a flag */
	assert_int_equal(parse(&c, err, 3, "--state-dir", "--debug", "x"), 0);
	assert_string_equal(c.state_dir, "--debug");
	assert_false(c.debug);
	rk_config_free(&c);
}

static void test_ints(void **state)
{
	struct rk_config c;
	char err[512];

	assert_int_equal(parse(&c, err, 2, "--mtu=0x10", "x"), 0);
	assert_true(c.mtu == 16);
	rk_config_free(&c);
	assert_int_equal(parse(&c, err, 2, "--mtu", "010"), 0);
	assert_true(c.mtu == 8);
	rk_config_free(&c);
	assert_int_equal(parse(&c, err, 2, "--mtu=abc", "x"), -EINVAL);
	assert_string_equal(err, "invalid value \"abc\" for flag -mtu: parse error");
	rk_config_free(&c);
	assert_int_equal(parse(&c, err, 2, "--mtu=99999999999999999999", "x"), -EINVAL);
	assert_string_equal(
	    err, "invalid value \"99999999999999999999\" for flag -mtu: value out of range");
	rk_config_free(&c);
}

static void test_errors(void **state)
{
	struct rk_config c;
	char err[512];

	assert_int_equal(parse(&c, err, 1, "--foo"), -EINVAL);
	assert_string_equal(err, "flag provided but not defined: -foo");
	rk_config_free(&c);
	assert_int_equal(parse(&c, err, 1, "--mtu"), -EINVAL);
	assert_string_equal(err, "flag needs an argument: -mtu");
	rk_config_free(&c);
	assert_int_equal(parse(&c, err, 1, "---x"), -EINVAL);
	assert_string_equal(err, "bad flag syntax: ---x");
	rk_config_free(&c);
	assert_int_equal(parse(&c, err, 1, "-=x"), -EINVAL);
	assert_string_equal(err, "bad flag syntax: -=x");
	rk_config_free(&c);
	assert_int_equal(parse(&c, err, 2, "--pidns=yes", "x"), -EINVAL);
	assert_string_equal(err, "invalid boolean value \"yes\" for -pidns: parse error");
	rk_config_free(&c);
	assert_int_equal(parse(&c, err, 2, "--foo=bar=baz", "x"), -EINVAL);
	assert_string_equal(err, "flag provided but not defined: -foo");
	rk_config_free(&c);
}

static void test_slices_split(void **state)
{
	struct rk_config c;
	char err[512];

	assert_int_equal(parse(&c, err, 4, "--copy-up=/etc, /var", "--copy-up", "/run", "x"), 0);
	assert_int_equal(c.copy_up.n, 3);
	assert_string_equal(c.copy_up.v[0], "/etc");
	assert_string_equal(c.copy_up.v[1], "/var");
	assert_string_equal(c.copy_up.v[2], "/run");
	rk_config_free(&c);
}

static void test_aliases(void **state)
{
	struct rk_config c;
	char err[512];

	assert_int_equal(parse(&c, err, 1, "-h"), 0);
	assert_true(c.help);
	rk_config_free(&c);
	assert_int_equal(parse(&c, err, 1, "--v"), 0);
	assert_true(c.version);
	rk_config_free(&c);
	assert_int_equal(parse(&c, err, 2, "--publish=a", "-p=b"), 0);
	assert_int_equal(c.publish.n, 2);
	rk_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	 cmocka_unit_test(test_forms),
	    cmocka_unit_test(test_ints),	 cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_slices_split), cmocka_unit_test(test_aliases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
