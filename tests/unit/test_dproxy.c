// SPDX-License-Identifier: Apache-2.0
/*
 * test_dproxy.c - rootlesskit-docker-proxy's command line (src/dproxy/flags.c): Go's flag
 * package rules and texts. Each expected text was printed by Debian's upstream binary
 * (/usr/bin/rootlesskit-docker-proxy, rootlesskit 1.1.0 built with Go 1.19).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dproxy/dproxy.h"

#define MAXARGS 16

/* Parse the NULL-terminated words after the program name. */
static enum rk_dproxy_parse_rc parse(struct rk_dproxy_args *a, char *err, const char *const *w)
{
	static char prog[] = "rootlesskit-docker-proxy";
	char *argv[MAXARGS + 2] = {prog};
	static char words[MAXARGS][128];
	int argc = 1;

	for (; w[argc - 1] && argc <= MAXARGS; argc++) {
		snprintf(words[argc - 1], sizeof(words[0]), "%s", w[argc - 1]);
		argv[argc] = words[argc - 1];
	}
	return rk_dproxy_parse(argc, argv, a, err, 256);
}

static void test_dockerd_command_line(void **state)
{
	const char *w[] = {"-proto", "tcp",	      "-host-ip",   "0.0.0.0",	       "-host-port",
			   "8080",   "-container-ip", "172.17.0.2", "-container-port", "80",
			   NULL};
	struct rk_dproxy_args a;
	char err[256];

	assert_int_equal(parse(&a, err, w), RK_DPROXY_ARGS_OK);
	assert_string_equal(a.proto, "tcp");
	assert_string_equal(a.host_ip, "0.0.0.0");
	assert_true(a.host_port == 8080);
	assert_string_equal(a.container_ip, "172.17.0.2");
	assert_true(a.container_port == 80);
}

static void test_defaults_and_forms(void **state)
{
	const char *none[] = {NULL};
	const char *forms[] = {"--host-port=0x10", "-container-port", "1_000", "--proto=udp",
			       "-host-ip=",	   "-host-port",      "017",   NULL};
	const char *stop[] = {"-proto", "udp", "x", "-foo", NULL};
	const char *dashes[] = {"-host-port", "5", "--", "-foo", NULL};
	const char *dash[] = {"-", "-foo", NULL};
	struct rk_dproxy_args a;
	char err[256];

	assert_int_equal(parse(&a, err, none), RK_DPROXY_ARGS_OK);
	assert_string_equal(a.proto, "tcp");
	assert_string_equal(a.host_ip, "");
	assert_string_equal(a.container_ip, "");
	assert_true(a.host_port == -1 && a.container_port == -1);

	assert_int_equal(parse(&a, err, forms), RK_DPROXY_ARGS_OK);
	assert_true(a.host_port == 15); /* the last one wins; 017 is octal */
	assert_true(a.container_port == 1000);
	assert_string_equal(a.proto, "udp");
	assert_string_equal(a.host_ip, "");

	/* the first non-flag word ends the flags; the rest is ignored */
	assert_int_equal(parse(&a, err, stop), RK_DPROXY_ARGS_OK);
	assert_string_equal(a.proto, "udp");
	assert_int_equal(parse(&a, err, dashes), RK_DPROXY_ARGS_OK);
	assert_true(a.host_port == 5);
	assert_int_equal(parse(&a, err, dash), RK_DPROXY_ARGS_OK);
}

struct bad_case {
	const char *w[4];
	const char *err;
};

static void test_bad(void **state)
{
	static const struct bad_case c[] = {
	    {{"-foo"}, "flag provided but not defined: -foo"},
	    {{"-foo=bar"}, "flag provided but not defined: -foo"},
	    {{"-host-port", "abc"}, "invalid value \"abc\" for flag -host-port: parse error"},
	    {{"-host-port", "99999999999999999999"},
	     "invalid value \"99999999999999999999\" for flag -host-port: value out of range"},
	    {{"-host-port"}, "flag needs an argument: -host-port"},
	    {{"--host-port=12", "--container-port"}, "flag needs an argument: -container-port"},
	    {{"-host-port="}, "invalid value \"\" for flag -host-port: parse error"},
	    {{"-host-port=\xc3\xa9"},
	     "invalid value \"\xc3\xa9\" for flag -host-port: parse error"},
	    {{"-host-port", "\x01"}, "invalid value \"\\x01\" for flag -host-port: parse error"},
	    {{"-host-port", " 1"}, "invalid value \" 1\" for flag -host-port: parse error"},
	    {{"-container-port", "09"},
	     "invalid value \"09\" for flag -container-port: parse error"},
	    {{"-proto"}, "flag needs an argument: -proto"},
	    {{"---x"}, "bad flag syntax: ---x"},
	    {{"-=x"}, "bad flag syntax: -=x"},
	    {{"--=x"}, "bad flag syntax: --=x"},
	};
	struct rk_dproxy_args a;
	char err[256];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const char *w[5] = {c[i].w[0], c[i].w[1], c[i].w[2], c[i].w[3], NULL};
		assert_int_equal(parse(&a, err, w), RK_DPROXY_ARGS_BAD);
		assert_string_equal(err, c[i].err);
	}
}

static void test_help(void **state)
{
	static const char *const helps[][2] = {{"-h"}, {"-help"}, {"--help=x"}, {"--h"}, {"-h=1"}};
	struct rk_dproxy_args a;
	char err[256];

	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		assert_int_equal(parse(&a, err, helps[i]), RK_DPROXY_ARGS_HELP);
}

static void test_usage(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	rk_dproxy_usage(f, "/usr/bin/rootlesskit-docker-proxy");
	fclose(f);
	assert_string_equal(buf, "Usage of /usr/bin/rootlesskit-docker-proxy:\n"
				 "  -container-ip string\n"
				 "    \tcontainer ip\n"
				 "  -container-port int\n"
				 "    \tcontainer port (default -1)\n"
				 "  -host-ip string\n"
				 "    \thost ip\n"
				 "  -host-port int\n"
				 "    \thost port (default -1)\n"
				 "  -proto string\n"
				 "    \tproxy protocol (default \"tcp\")\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dockerd_command_line),
	    cmocka_unit_test(test_defaults_and_forms),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_help),
	    cmocka_unit_test(test_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
