// SPDX-License-Identifier: Apache-2.0
/* test_subid.c - /etc/subuid and getsubids output parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "util/subid.h"

/* rk_subid_parse_getsubids() with the message copied into @err (512 bytes). */
static int getsubids(const char *s, size_t len, struct rk_subid_list *l, char *err)
{
	struct rk_err e;
	int rc;

	rk_err_clear(&e);
	rc = rk_subid_parse_getsubids(s, len, l, &e);
	snprintf(err, 512, "%s", e.msg);
	return rc;
}

static int parse(const char *s, struct rk_subid_list *l, char *err)
{
	memset(l, 0, sizeof(*l));
	struct rk_err e;
	int rc;

	rk_err_clear(&e);
	rc = rk_subid_parse_file(s, strlen(s), "/etc/subuid", 1001, "alice", l, &e);
	snprintf(err, 512, "%s", e.msg);
	return rc;
}

static void test_by_name_and_uid(void **state)
{
	struct rk_subid_list l;
	char err[512];

	assert_int_equal(
	    parse("# comment\n\n  alice:100000:65536  \nbob:1:2\n1001:200000:10\n", &l, err), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].start, 100000);
	assert_int_equal(l.v[0].count, 65536);
	assert_int_equal(l.v[1].start, 200000);
	assert_int_equal(l.v[1].count, 10);
}

static void test_no_match_and_crlf(void **state)
{
	struct rk_subid_list l;
	char err[512];

	assert_int_equal(parse("bob:100000:65536\r\n", &l, err), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(parse("", &l, err), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(parse("alice:5:6", &l, err), 0); /* no final newline */
	assert_int_equal(l.n, 1);
}

static void test_format_errors(void **state)
{
	struct rk_subid_list l;
	char err[512];

	assert_int_equal(parse("alice:1\n", &l, err), -EINVAL);
	assert_string_equal(err, "Cannot parse subuid/gid information: Format not correct for "
				 "/etc/subuid file");
	assert_int_equal(parse("bob:1:2:3\n", &l, err), -EINVAL); /* any line must be well formed */
	assert_int_equal(parse("alice:abc:2\n", &l, err), -EINVAL);
	assert_string_equal(err, "String to int conversion failed during subuid/gid parsing of "
				 "/etc/subuid: strconv.Atoi: parsing \"abc\": invalid syntax");
	assert_int_equal(parse("alice:1:99999999999999999999\n", &l, err), -EINVAL);
	assert_non_null(strstr(err, "value out of range"));
}

static void test_range_bounds(void **state)
{
	struct rk_subid_list l;
	char err[512];

	assert_int_equal(parse("alice:-1:10\n", &l, err), -EINVAL);
	assert_int_equal(parse("alice:10:0\n", &l, err), -EINVAL);
	assert_int_equal(parse("alice:4294967295:1\n", &l, err), -EINVAL);
	assert_int_equal(parse("alice:4294967000:1000\n", &l, err), -EINVAL);
	/* total inside IDs must fit 1..2^32-1 */
	assert_int_equal(parse("alice:0:3000000000\nalice:3000000000:1294967295\n", &l, err),
			 -EINVAL);
}

static void test_duplicates_and_limit(void **state)
{
	struct rk_subid_list l;
	char err[512], big[RK_SUBID_MAX_RANGES * 40 + 64];
	size_t off = 0;

	assert_int_equal(parse("alice:100000:65536\nalice:100000:65536\n", &l, err), 0);
	assert_int_equal(l.n, 1);
	for (int i = 0; i <= RK_SUBID_MAX_RANGES; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off, "alice:%d:1\n", 1000 + i);
	assert_int_equal(parse(big, &l, err), -EINVAL);
	assert_non_null(strstr(err, "too many"));
}

static void test_getsubids(void **state)
{
	struct rk_subid_list l = {0};
	char err[512];
	const char *out = "0: alice 100000 65536\n1: alice 300000 10\n";

	assert_int_equal(getsubids(out, strlen(out), &l, err), 0);
	assert_int_equal(getsubids(out, strlen(out), &l, err), 0);
	assert_int_equal(l.n, 2); /* the second call's duplicates are dropped */
	assert_int_equal(l.v[1].start, 300000);
	const char *bad[] = {"no colon here\n", "0: alice 100000\n", "0: alice x 10\n",
			     "0: alice 1 0\n"};
	for (size_t i = 0; i < 4; i++) {
		memset(&l, 0, sizeof(l));
		assert_int_equal(getsubids(bad[i], strlen(bad[i]), &l, err), -EINVAL);
	}
	memset(&l, 0, sizeof(l));
	assert_int_equal(getsubids("", 0, &l, err), 0);
	assert_int_equal(l.n, 0);
}

static void test_nsswitch(void **state)
{
	static const struct {
		const char *conf;
		bool files;
	} cases[] = {
	    {"", true},
	    {"passwd: files systemd\ngroup: files\n", true},
	    {"subid: files\n", true},
	    {"subid:\n", true},
	    {"subid: sss\n", false},
	    {"  subid :  sss  # comment\n", false},
	    {"# subid: sss\n", true},
	    {"subid: sss\nsubid: files\n", true},
	    {"subidx: sss\n", true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(rk_subid_nsswitch_files(cases[i].conf, strlen(cases[i].conf)),
				 cases[i].files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_by_name_and_uid),
	    cmocka_unit_test(test_no_match_and_crlf),
	    cmocka_unit_test(test_format_errors),
	    cmocka_unit_test(test_range_bounds),
	    cmocka_unit_test(test_duplicates_and_limit),
	    cmocka_unit_test(test_getsubids),
	    cmocka_unit_test(test_nsswitch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
