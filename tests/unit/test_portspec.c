// SPDX-License-Identifier: Apache-2.0
/*
 * test_portspec.c - `-p` port spec parsing, validation, %v formatting, conflicts and Go's %q of
 * ints. Expected texts are upstream's (each error case was checked against rootlesskit 1.1.0,
 * which shares the parser; the IPv6 group-length case follows v3's Go, see test_parse_bad).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/portspec.h"

struct ok_case {
	const char *in;
	const char *fmt; /* Go's %v of the parsed struct */
};

static void test_parse_ok(void **state)
{
	static const struct ok_case c[] = {
	    /* SPEC §9 examples and upstream's TestParsePortSpec */
	    {"127.0.0.1:8080:80/tcp", "{tcp 127.0.0.1 8080 80 }"},
	    {"127.0.0.1:8080:80/tcp4", "{tcp4 127.0.0.1 8080 80 }"},
	    {"127.0.0.1:8080:10.0.2.100:80/tcp", "{tcp 127.0.0.1 8080 80 10.0.2.100}"},
	    {"0.0.0.0:8080:10.0.2.100:80/udp", "{udp 0.0.0.0 8080 80 10.0.2.100}"},
	    {"[::]:8080:[::1]:80/tcp6", "{tcp6 :: 8080 80 ::1}"},
	    {"[::1]:8080:80/tcp", "{tcp ::1 8080 80 }"},
	    {"[::1]:8080:[::2]:80/udp", "{udp ::1 8080 80 ::2}"},
	    {":8080:80/tcp", "{tcp  8080 80 }"},
	    /* SPEC §8.2.3 v4<->v6 child addresses */
	    {"[::]:8080:[127.0.0.1]:80/tcp", "{tcp :: 8080 80 127.0.0.1}"},
	    {"0.0.0.0:8080:[::1]:80/tcp4", "{tcp4 0.0.0.0 8080 80 ::1}"},
	    {"127.0.0.2:8080:80/tcp", "{tcp 127.0.0.2 8080 80 }"},
	    /* every proto */
	    {"1.2.3.4:1:2/udp4", "{udp4 1.2.3.4 1 2 }"},
	    {"1.2.3.4:1:2/udp6", "{udp6 1.2.3.4 1 2 }"},
	    {"1.2.3.4:1:2/tcp6", "{tcp6 1.2.3.4 1 2 }"},
	    {"1.2.3.4:1:2/sctp", "{sctp 1.2.3.4 1 2 }"},
	    {"1.2.3.4:1:2/sctp4", "{sctp4 1.2.3.4 1 2 }"},
	    {"1.2.3.4:1:2/sctp6", "{sctp6 1.2.3.4 1 2 }"},
	    /* IPs as typed, minus brackets */
	    {"[::ffff:1.2.3.4]:80:[ABCD::ef]:81/tcp", "{tcp ::ffff:1.2.3.4 80 81 ABCD::ef}"},
	    {"[1:2:3:4:5:6:1.2.3.4]:80:80/tcp", "{tcp 1:2:3:4:5:6:1.2.3.4 80 80 }"},
	    {"[1:2:3:4:5:6:7::]:80:80/tcp", "{tcp 1:2:3:4:5:6:7:: 80 80 }"},
	    {"255.255.255.255:65535:65535/tcp", "{tcp 255.255.255.255 65535 65535 }"},
	    /* whitespace before the last ':' is dropped (not after it) */
	    {" 127.0.0.1\t: 8080\r\n:80/tcp", "{tcp 127.0.0.1 8080 80 }"},
	    {" [ ::1 ] :8080:80/tcp", "{tcp ::1 8080 80 }"},
	    /* strconv.Atoi takes a sign; ports are range-checked by validation only */
	    {"127.0.0.1:+80:+80/tcp", "{tcp 127.0.0.1 80 80 }"},
	    {"127.0.0.1:0:-1/tcp", "{tcp 127.0.0.1 0 -1 }"},
	    {"127.0.0.1:99999:65536/tcp", "{tcp 127.0.0.1 99999 65536 }"},
	    {"127.0.0.1:9223372036854775807:80/tcp", "{tcp 127.0.0.1 2147483647 80 }"},
	    {"127.0.0.1:-9223372036854775808:80/tcp", "{tcp 127.0.0.1 -2147483648 80 }"},
	    /* text/scanner quirks upstream has: Go comments vanish, a BOM at the start too */
	    {"127.0.0.1/*x*/:80:80/tcp", "{tcp 127.0.0.1 80 80 }"},
	    {"\xef\xbb\xbf"
	     "127.0.0.1:80:80/tcp",
	     "{tcp 127.0.0.1 80 80 }"},
	    /* the token after ']' is skipped whatever it is; U+2192 is one token, not a letter */
	    {"[::1]\xe2\x86\x92"
	     "8080:80/tcp",
	     "{tcp ::1 8080 80 }"},
	    {"[::1]x 8080:80/tcp", "{tcp ::1 8080 80 }"},
	    {"[::1]/**/:8080:80/tcp", "{tcp ::1 8080 80 }"},
	    /* a fourth ':' before the last one appends to the child port; a trailing one is lost */
	    {"1.2.3.4:80:5.6.7.8:90:100/tcp", "{tcp 1.2.3.4 80 10090 5.6.7.8}"},
	    {"1.2.3.4:80:5.6.7.8:90::100/tcp", "{tcp 1.2.3.4 80 10090 5.6.7.8}"},
	};
	struct rk_port_spec s;
	struct rk_err e;
	char f[RK_PORTSPEC_FMT_MAX];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		rk_err_clear(&e);
		int rc = rk_portspec_parse(c[i].in, &s, &e);

		if (rc != 0)
			fail_msg("%s: %s", c[i].in, e.msg);
		rk_portspec_format(&s, f, sizeof(f));
		if (strcmp(f, c[i].fmt))
			fail_msg("%s: got %s, want %s", c[i].in, f, c[i].fmt);
	}
	assert_int_equal(rk_portspec_parse("[::1]:8080:[::2]:80/udp", &s, &e), 0);
	assert_string_equal(s.proto, "udp");
	assert_string_equal(s.parent_ip, "::1");
	assert_int_equal(s.parent_port, 8080);
	assert_int_equal(s.child_port, 80);
	assert_string_equal(s.child_ip, "::2");
}

struct bad_case {
	const char *in;
	const char *msg;
};

static void test_parse_bad(void **state)
{
	static const struct bad_case c[] = {
	    {"127.0.0.1:8080:80", "missing proto in PortSpec string: \"127.0.0.1:8080:80\""},
	    {"bad", "missing proto in PortSpec string: \"bad\""},
	    {"8080", "missing proto in PortSpec string: \"8080\""},
	    {"", "missing proto in PortSpec string: \"\""},
	    {"127.0.0.1:8080:80/TCP",
	     "invalid PortSpec string: \"127.0.0.1:8080:80/TCP\": unknown proto: \"TCP\""},
	    /* one spec a string: the rest lands in the parent IP */
	    {"127.0.0.1:8080:80/tcp,127.0.0.1:4040:40/tcp",
	     "unexpected ParentIP in PortSpec string: "
	     "\"127.0.0.1:8080:80/tcp,127.0.0.1:4040:40/tcp\""},
	    {"127.0.0.1:80:80/",
	     "invalid PortSpec string: \"127.0.0.1:80:80/\": unknown proto: \"\""},
	    {"127.0.0.1:80:80/tcp5",
	     "invalid PortSpec string: \"127.0.0.1:80:80/tcp5\": unknown proto: \"tcp5\""},
	    {"80/tcp", "unexpected PortSpec string: \"80/tcp\""},
	    {"a/b:80:80/tcp", "unexpected ParentIP in PortSpec string: \"a/b:80:80/tcp\""},
	    {"/tcp", "unexpected PortSpec string: \"/tcp\""},
	    {"1.2.3.4:80:5.6.7.8:90:1:100/tcp",
	     "unexpected PortSpec string: \"1.2.3.4:80:5.6.7.8:90:1:100/tcp\""},
	    {"a:b:c:d:e:f/tcp", "unexpected PortSpec string: \"a:b:c:d:e:f/tcp\""},

	    {"8080:80/tcp", "unexpected ParentIP in PortSpec string: \"8080:80/tcp\""},
	    {"[fe80::1%eth0]:80:80/tcp",
	     "unexpected ParentIP in PortSpec string: \"[fe80::1%eth0]:80:80/tcp\""},
	    {"1.2.3.4:80:[fe80::1%eth0]:80/tcp",
	     "unexpected ParentIP in PortSpec string: \"1.2.3.4:80:[fe80::1%eth0]:80/tcp\""},
	    {"1.2.3.4:80:bad:80/tcp",
	     "unexpected ParentIP in PortSpec string: \"1.2.3.4:80:bad:80/tcp\""},
	    {"::1:80:80/tcp", "unexpected ParentIP in PortSpec string: \"::1:80:80/tcp\""},
	    {"127.0.0.01:80:80/tcp",
	     "unexpected ParentIP in PortSpec string: \"127.0.0.01:80:80/tcp\""},
	    {"1.2.3:80:80/tcp", "unexpected ParentIP in PortSpec string: \"1.2.3:80:80/tcp\""},
	    {"256.1.1.1:80:80/tcp",
	     "unexpected ParentIP in PortSpec string: \"256.1.1.1:80:80/tcp\""},
	    {"[1:2:3:4:5:6:7:8::]:80:80/tcp",
	     "unexpected ParentIP in PortSpec string: \"[1:2:3:4:5:6:7:8::]:80:80/tcp\""},
	    /* Go >= 1.22 (netip) refuses 5-digit groups; rootlesskit 1.1.0 (Go 1.19) took them */
	    {"[00000::1]:80:80/tcp",
	     "unexpected ParentIP in PortSpec string: \"[00000::1]:80:80/tcp\""},
	    /* a "..." literal is one token: its ':' does not split */
	    {"\"1:2\":80:80/tcp",
	     "unexpected ParentIP in PortSpec string: \"\\\"1:2\\\":80:80/tcp\""},
	    /* non-decimal ports, with upstream's swapped labels */
	    {"127.0.0.1:0x50:80/tcp",
	     "unexpected ChildPort in PortSpec string: \"127.0.0.1:0x50:80/tcp\": strconv.Atoi: "
	     "parsing \"0x50\": invalid syntax"},
	    {"127.0.0.1:80:8O/tcp",
	     "unexpected ParentPort in PortSpec string: \"127.0.0.1:80:8O/tcp\": strconv.Atoi: "
	     "parsing \"8O\": invalid syntax"},
	    {"127.0.0.1::80/tcp", "unexpected ChildPort in PortSpec string: \"127.0.0.1::80/tcp\": "
				  "strconv.Atoi: parsing \"\": invalid syntax"},
	    {"127.0.0.1:80:/tcp",
	     "unexpected ParentPort in PortSpec string: \"127.0.0.1:80:/tcp\": "
	     "strconv.Atoi: parsing \"\": invalid syntax"},
	    {":/tcp", "unexpected ChildPort in PortSpec string: \":/tcp\": strconv.Atoi: parsing "
		      "\"\": invalid syntax"},
	    {"127.0.0.1:1e3:80/tcp",
	     "unexpected ChildPort in PortSpec string: \"127.0.0.1:1e3:80/tcp\": strconv.Atoi: "
	     "parsing \"1e3\": invalid syntax"},
	    /* whitespace after the last ':' stays */
	    {" 127.0.0.1 : 80 : 80/tcp",
	     "unexpected ParentPort in PortSpec string: \" 127.0.0.1 : 80 : 80/tcp\": "
	     "strconv.Atoi: parsing \" 80\": invalid syntax"},
	    {"127.0.0.1:80:80 /tcp",
	     "unexpected ParentPort in PortSpec string: \"127.0.0.1:80:80 /tcp\": strconv.Atoi: "
	     "parsing \"80 \": invalid syntax"},
	    {"127.0.0.1:99999999999999999999:80/tcp",
	     "unexpected ChildPort in PortSpec string: \"127.0.0.1:99999999999999999999:80/tcp\": "
	     "strconv.Atoi: parsing \"99999999999999999999\": value out of range"},
	    {"127.0.0.1:80:-9223372036854775809/tcp",
	     "unexpected ParentPort in PortSpec string: \"127.0.0.1:80:-9223372036854775809/tcp\": "
	     "strconv.Atoi: parsing \"-9223372036854775809\": value out of range"},
	    /* strconv stops at the first problem: the overflow comes before the 'x' */
	    {"127.0.0.1:99999999999999999999x:80/tcp",
	     "unexpected ChildPort in PortSpec string: \"127.0.0.1:99999999999999999999x:80/tcp\": "
	     "strconv.Atoi: parsing \"99999999999999999999x\": value out of range"},
	    {"127.0.0.1:x99999999999999999999:80/tcp",
	     "unexpected ChildPort in PortSpec string: \"127.0.0.1:x99999999999999999999:80/tcp\": "
	     "strconv.Atoi: parsing \"x99999999999999999999\": invalid syntax"},
	    /* the token after ']' is dropped: here the number, or a whole identifier */
	    {"[::1]8080:80/tcp", "unexpected ChildPort in PortSpec string: \"[::1]8080:80/tcp\": "
				 "strconv.Atoi: parsing \"\": invalid syntax"},
	    {"[::1]\xc3\xa9"
	     "8080:80/tcp",
	     "unexpected ChildPort in PortSpec string: \"[::1]\xc3\xa9"
	     "8080:80/tcp\": strconv.Atoi: parsing \"\": invalid syntax"},
	    {"[::1]0x1_0.5p-3e:80:80/tcp",
	     "unexpected ParentIP in PortSpec string: \"[::1]0x1_0.5p-3e:80:80/tcp\""},
	    {"[::1]'\\':80:80/tcp",
	     "unexpected ChildPort in PortSpec string: \"[::1]'\\\\':80:80/tcp\": strconv.Atoi: "
	     "parsing \"\": invalid syntax"},
	    {"`x:y`:80:80/tcp", "unexpected ParentIP in PortSpec string: \"`x:y`:80:80/tcp\""},
	    {"// x:80:80/tcp", "unexpected ChildPort in PortSpec string: \"// x:80:80/tcp\": "
			       "strconv.Atoi: parsing \"\": invalid syntax"},
	};
	struct rk_port_spec s, keep;
	struct rk_err e;

	memset(&keep, 0x5a, sizeof(keep));
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		rk_err_clear(&e);
		s = keep;
		int rc = rk_portspec_parse(c[i].in, &s, &e);

		if (rc != -EINVAL || e.code != EINVAL)
			fail_msg("%s: rc %d", c[i].in, rc);
		if (strcmp(e.msg, c[i].msg))
			fail_msg("%s:\n got %s\nwant %s", c[i].in, e.msg, c[i].msg);
		if (memcmp(&s, &keep, sizeof(s)))
			fail_msg("%s: output written on error", c[i].in);
	}
}

static void test_parse_bounds(void **state)
{
	char big[RK_PORTSPEC_STR_MAX + 2], f[RK_PORTSPEC_FMT_MAX];
	struct rk_port_spec s;
	struct rk_err e;

	/* exactly the limit: accepted (whitespace is dropped) */
	memset(big, ' ', sizeof(big));
	memcpy(big + RK_PORTSPEC_STR_MAX - 17, "127.0.0.1:1:2/tcp", 18);
	assert_int_equal(rk_portspec_parse(big, &s, &e), 0);
	rk_portspec_format(&s, f, sizeof(f));
	assert_string_equal(f, "{tcp 127.0.0.1 1 2 }");
	/* one more byte: refused without being read further */
	memset(big, ' ', sizeof(big));
	memcpy(big + RK_PORTSPEC_STR_MAX - 16, "127.0.0.1:1:2/tcp", 18);
	assert_int_equal(rk_portspec_parse(big, &s, &e), -EINVAL);
	assert_string_equal(e.msg, "invalid PortSpec string: longer than 240 bytes");
	assert_int_equal(rk_portspec_parse(NULL, &s, &e), -EINVAL);
	assert_int_equal(rk_portspec_parse("1.2.3.4:1:2/tcp", NULL, &e), -EINVAL);
	assert_int_equal(rk_portspec_parse("bad", &s, NULL), -EINVAL);
	/* the longest message still fits: every byte escaped in both quoted strings */
	memset(big, '\x01', sizeof(big));
	big[0] = ':';
	memcpy(big + RK_PORTSPEC_STR_MAX - 5, ":/tcp", 6);
	assert_int_equal(rk_portspec_parse(big, &s, &e), -EINVAL);
	assert_true(strlen(e.msg) < sizeof(e.msg) - 1);
	assert_non_null(strstr(e.msg, "\\x01\": invalid syntax"));
}

static struct rk_port_spec mk(const char *proto, const char *pip, int pport, int cport,
			      const char *cip)
{
	struct rk_port_spec s;

	memset(&s, 0, sizeof(s));
	strncpy(s.proto, proto, sizeof(s.proto) - 1);
	strncpy(s.parent_ip, pip, sizeof(s.parent_ip) - 1);
	strncpy(s.child_ip, cip, sizeof(s.child_ip) - 1);
	s.parent_port = pport;
	s.child_port = cport;
	return s;
}

static void test_validate(void **state)
{
	static const struct {
		const char *proto, *pip;
		int pport, cport;
		const char *cip, *msg; /* NULL: valid */
	} c[] = {
	    {"tcp", "127.0.0.1", 1001, 1001, "", NULL},
	    {"udp", "127.0.0.1", 1001, 1001, "", NULL},
	    {"sctp", "127.0.0.1", 1001, 1001, "", NULL}, /* the driver refuses it, not this */
	    {"sctp6", "", 1, 65535, "::1", NULL},
	    {"tcp4", "", 20, 500, "", NULL},
	    {"udp6", "::", 1337, 65000, "10.0.2.100", NULL},
	    {"", "127.0.0.1", 1001, 1001, "", "unknown proto: \"\""},
	    {"NaN", "127.0.0.1", 1001, 1001, "", "unknown proto: \"NaN\""},
	    {"TCP", "127.0.0.1", 1001, 1001, "", "unknown proto: \"TCP\""},
	    {"tcp", "invalid", 80, 80, "", "invalid ParentIP: \"invalid\""},
	    {"tcp", "", 80, 80, "invalid", "invalid ChildIP: \"invalid\""},
	    {"tcp", "fe80::1%eth0", 80, 80, "", "invalid ParentIP: \"fe80::1%eth0\""},
	    {"tcp", "[::1]", 80, 80, "", "invalid ParentIP: \"[::1]\""},
	    {"tcp", "", 80, 80, " 1.2.3.4", "invalid ChildIP: \" 1.2.3.4\""},
	    {"tcp", "127.0.0.1", -200, 80, "", "invalid ParentPort: '\xef\xbf\xbd'"},
	    {"tcp", "127.0.0.1", 0, 80, "", "invalid ParentPort: '\\x00'"},
	    {"tcp", "127.0.0.1", 1000000, 80, "", "invalid ParentPort: '\\U000f4240'"},
	    {"tcp", "127.0.0.1", 65536, 80, "", "invalid ParentPort: '\xf0\x90\x80\x80'"},
	    {"tcp", "127.0.0.1", 80, -1, "", "invalid ChildPort: '\xef\xbf\xbd'"},
	    {"tcp", "127.0.0.1", 80, 0, "", "invalid ChildPort: '\\x00'"},
	    {"tcp", "127.0.0.1", 80, 65536, "", "invalid ChildPort: '\xf0\x90\x80\x80'"},
	    {"tcp", "127.0.0.1", 80, INT_MAX, "", "invalid ChildPort: '\xef\xbf\xbd'"},
	    /* order: proto, parent IP, child IP, parent port, child port */
	    {"x", "x", 0, 0, "x", "unknown proto: \"x\""},
	    {"tcp", "x", 0, 0, "x", "invalid ParentIP: \"x\""},
	    {"tcp", "", 0, 0, "x", "invalid ChildIP: \"x\""},
	    {"tcp", "", 0, 0, "", "invalid ParentPort: '\\x00'"},
	};
	struct rk_port_spec s;
	struct rk_err e;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		s = mk(c[i].proto, c[i].pip, c[i].pport, c[i].cport, c[i].cip);
		rk_err_clear(&e);
		int rc = rk_portspec_validate(&s, &e);

		if (!c[i].msg && rc)
			fail_msg("case %zu: %s", i, e.msg);
		if (c[i].msg && (rc != -EINVAL || strcmp(e.msg, c[i].msg)))
			fail_msg("case %zu: got %s, want %s", i, e.msg, c[i].msg);
	}
	/* fields without their NUL are refused, and quoted cut to their size */
	s = mk("tcp", "1.2.3.4", 80, 80, "");
	memset(s.proto, 't', sizeof(s.proto));
	assert_int_equal(rk_portspec_validate(&s, &e), -EINVAL);
	assert_string_equal(e.msg, "unknown proto: \"tttttttt\"");
	s = mk("tcp", "1.2.3.4", 80, 80, "");
	memset(s.child_ip, '1', sizeof(s.child_ip));
	assert_int_equal(rk_portspec_validate(&s, &e), -EINVAL);
	assert_int_equal(strlen(e.msg), strlen("invalid ChildIP: \"\"") + sizeof(s.child_ip));
	assert_int_equal(rk_portspec_validate(NULL, &e), -EINVAL);
}

static void test_parse_then_validate(void **state)
{
	static const struct bad_case c[] = {
	    {"127.0.0.1:0:80/tcp", "invalid ParentPort: '\\x00'"},
	    {"127.0.0.1:80:0/tcp", "invalid ChildPort: '\\x00'"},
	    {"127.0.0.1:-1:80/tcp", "invalid ParentPort: '\xef\xbf\xbd'"},
	    {"127.0.0.1:65536:80/tcp", "invalid ParentPort: '\xf0\x90\x80\x80'"},
	    {"127.0.0.1:70000:80/tcp", "invalid ParentPort: '\xf0\x91\x85\xb0'"},
	    {"127.0.0.1:917504:80/tcp", "invalid ParentPort: '\\U000e0000'"},
	    {"127.0.0.1:1114111:80/tcp", "invalid ParentPort: '\\U0010ffff'"},
	    {"127.0.0.1:1114112:80/tcp", "invalid ParentPort: '\xef\xbf\xbd'"},
	    {"127.0.0.1:4294967297:80/tcp", "invalid ParentPort: '\xef\xbf\xbd'"},
	    {"127.0.0.1:-9223372036854775808:80/tcp", "invalid ParentPort: '\xef\xbf\xbd'"},
	    {"127.0.0.1:65535:65535/sctp", NULL},
	    {"127.0.0.1:55296:1/tcp", NULL},
	};
	struct rk_port_spec s;
	struct rk_err e;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		rk_err_clear(&e);
		assert_int_equal(rk_portspec_parse(c[i].in, &s, &e), 0);
		int rc = rk_portspec_validate(&s, &e);

		if (!c[i].msg && rc)
			fail_msg("%s: %s", c[i].in, e.msg);
		if (c[i].msg && (rc != -EINVAL || strcmp(e.msg, c[i].msg)))
			fail_msg("%s: got %s, want %s", c[i].in, e.msg, c[i].msg);
	}
}

static void test_format(void **state)
{
	struct rk_port_spec s = mk("tcp", "127.0.0.1", 80, 80, "");
	char f[RK_PORTSPEC_FMT_MAX], small[8];

	rk_portspec_format(&s, f, sizeof(f));
	assert_string_equal(f, "{tcp 127.0.0.1 80 80 }");
	s = mk("udp6", "", 8080, 53, "fd00::3");
	rk_portspec_format(&s, f, sizeof(f));
	assert_string_equal(f, "{udp6  8080 53 fd00::3}");
	rk_portspec_format(&s, small, sizeof(small));
	assert_string_equal(small, "{udp6  ");
	/* worst case fits the advertised size; unterminated fields are cut at their size */
	memset(&s, 'x', sizeof(s));
	s.parent_port = INT_MIN;
	s.child_port = INT_MIN;
	rk_portspec_format(&s, f, sizeof(f));
	assert_int_equal(strlen(f), 1 + 8 + 1 + 64 + 1 + 11 + 1 + 11 + 1 + 64 + 1);
	rk_portspec_format(NULL, f, sizeof(f));
	assert_string_equal(f, "<nil>");
}

static void test_conflict(void **state)
{
	/* upstream's TestValidatePortSpec: existing tcp *:80 (ID 1) and tcp 10.10.10.10:8080 (ID 2)
	 */
	struct rk_port_spec e1 = mk("tcp", "", 80, 80, ""),
			    e2 = mk("tcp", "10.10.10.10", 8080, 8080, "");
	struct rk_port_spec s;

	s = mk("udp", "", 80, 80, ""); /* udp vs tcp */
	assert_false(rk_portspec_conflict(&s, &e1) || rk_portspec_conflict(&s, &e2));
	s = mk("tcp", "10.10.10.11", 8080, 8080, ""); /* another parent IP */
	assert_false(rk_portspec_conflict(&s, &e1) || rk_portspec_conflict(&s, &e2));
	s = mk("tcp", "10.10.10.10", 8081, 8080, ""); /* same child port is fine */
	assert_false(rk_portspec_conflict(&s, &e1) || rk_portspec_conflict(&s, &e2));
	s = mk("tcp", "", 80, 90, ""); /* same parent, other child port */
	assert_true(rk_portspec_conflict(&s, &e1));
	assert_false(rk_portspec_conflict(&s, &e2));
	s = mk("tcp", "10.10.10.10", 8080, 8080, "1.2.3.4");
	assert_true(rk_portspec_conflict(&s, &e2));
	assert_true(rk_portspec_conflict(&e2, &s));
	/* strings, not meanings: "" vs 0.0.0.0, tcp vs tcp4, ::1 vs 0::1 */
	s = mk("tcp", "0.0.0.0", 80, 80, "");
	assert_false(rk_portspec_conflict(&s, &e1));
	s = mk("tcp4", "", 80, 80, "");
	assert_false(rk_portspec_conflict(&s, &e1));
	s = mk("tcp", "0::1", 80, 80, "");
	e1 = mk("tcp", "::1", 80, 80, "");
	assert_false(rk_portspec_conflict(&s, &e1));
	assert_false(rk_portspec_conflict(NULL, &e1));
}

static void test_quote_int(void **state)
{
	static const struct {
		long long v;
		const char *q;
	} c[] = {
	    {0, "'\\x00'"},
	    {65, "'A'"},
	    {80, "'P'"},
	    {0x10FFFF + 1, "'\xef\xbf\xbd'"},
	    {-1, "'\xef\xbf\xbd'"},
	    {LLONG_MIN, "'\xef\xbf\xbd'"},
	    {LLONG_MAX, "'\xef\xbf\xbd'"},
	    {'\'', "'\\''"},
	    {'\\', "'\\\\'"},
	    {'"', "'\"'"},
	    {' ', "' '"},
	    {7, "'\\a'"},
	    {8, "'\\b'"},
	    {9, "'\\t'"},
	    {10, "'\\n'"},
	    {11, "'\\v'"},
	    {12, "'\\f'"},
	    {13, "'\\r'"},
	    {27, "'\\x1b'"},
	    {0x7f, "'\\x7f'"},
	    {0x80, "'\\u0080'"},
	    {0xa0, "'\\u00a0'"},  /* no-break space: not printable for Go */
	    {0xad, "'\\u00ad'"},  /* soft hyphen (Cf) */
	    {0xe9, "'\xc3\xa9'"}, /* é */
	    {0x378, "'\\u0378'"}, /* unassigned */
	    {0xd800, "'\xef\xbf\xbd'"},
	    {0xe000, "'\\ue000'"}, /* private use */
	    {0xfeff, "'\\ufeff'"},
	    {0xfffd, "'\xef\xbf\xbd'"},
	    {0x10000, "'\xf0\x90\x80\x80'"},
	    {0x1f600, "'\xf0\x9f\x98\x80'"},
	    {0x31350, "'\xf0\xb1\x8d\x90'"}, /* CJK extension H: Unicode 15, as Go 1.21+ */
	    {0xe0000, "'\\U000e0000'"},
	    {0xf4240, "'\\U000f4240'"},
	    {0x10ffff, "'\\U0010ffff'"},
	};
	char q[RK_GO_QUOTE_INT_MAX], small[3];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		rk_go_quote_int(c[i].v, q, sizeof(q));
		if (strcmp(q, c[i].q))
			fail_msg("%lld: got %s, want %s", c[i].v, q, c[i].q);
	}
	rk_go_quote_int(0, small, sizeof(small));
	assert_string_equal(small, "'\\");
}

static void test_helpers(void **state)
{
	const char *known[] = {"tcp",  "tcp4", "tcp6",	"udp",	"udp4",
			       "udp6", "sctp", "sctp4", "sctp6"};
	const char *unknown[] = {"", "TCP", "tcp ", "icmp", "tcp46", "udp5", "sctp7"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		assert_true(rk_portspec_proto_known(known[i]));
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_false(rk_portspec_proto_known(unknown[i]));
	assert_false(rk_portspec_proto_known(NULL));
	assert_true(rk_portspec_ip_valid("0.0.0.0"));
	assert_true(rk_portspec_ip_valid("::"));
	assert_true(rk_portspec_ip_valid("1::2:3:4:5:6:7"));
	assert_true(rk_portspec_ip_valid("::1.2.3.4"));
	assert_false(rk_portspec_ip_valid(""));
	assert_false(rk_portspec_ip_valid(NULL));
	assert_false(rk_portspec_ip_valid("1::2:3:4:5:6:1.2.3.4"));
	assert_false(rk_portspec_ip_valid("1:2:3:4:5:1.2.3.4"));
	assert_false(rk_portspec_ip_valid("1.2.3.4.5"));
	assert_false(rk_portspec_ip_valid("1::2:"));
	assert_false(rk_portspec_ip_valid(":1::2"));
	assert_false(rk_portspec_ip_valid("1:::2"));
	assert_false(rk_portspec_ip_valid("::12345"));
	assert_false(rk_portspec_ip_valid("::1%lo"));
	assert_false(rk_portspec_ip_valid("1.2.3.4 "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_ok),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_parse_bounds),
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_parse_then_validate),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_conflict),
	    cmocka_unit_test(test_quote_int),
	    cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
