// SPDX-License-Identifier: Apache-2.0
/* test_goparse.c - Go-compatible bool/int parsing and %q quoting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/goparse.h"

static void test_bool(void **state)
{
	const char *t[] = {"1", "t", "T", "TRUE", "true", "True"};
	const char *f[] = {"0", "f", "F", "FALSE", "false", "False"};
	const char *bad[] = {"", "yes", "tRUE", "2", " true", "true "};
	bool v;

	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(go_parse_bool(t[i], &v), 0);
		assert_true(v);
		assert_int_equal(go_parse_bool(f[i], &v), 0);
		assert_false(v);
		assert_int_equal(go_parse_bool(bad[i], &v), -EINVAL);
	}
}

static void test_int_ok(void **state)
{
	static const struct {
		const char *s;
		int64_t v;
	} ok[] = {{"0", 0},
		  {"65520", 65520},
		  {"-1", -1},
		  {"+7", 7},
		  {"0x10", 16},
		  {"0X1f", 31},
		  {"010", 8},
		  {"0o17", 15},
		  {"0b101", 5},
		  {"0x_1_0", 16},
		  {"0_10", 8},
		  {"1_500", 1500}, /* base 0 takes underscores in decimal too (Go's underscoreOK) */
		  {"-1_0", -10},
		  {"0_7", 7},
		  {"00_1", 1},
		  {"00", 0},
		  {"9223372036854775807", INT64_MAX},
		  {"-9223372036854775808", INT64_MIN}};
	int64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(go_parse_int(ok[i].s, &v), 0);
		assert_true(v == ok[i].v);
	}
}

static void test_int_bad(void **state)
{
	const char *syntax[] = {"",   "abc",	"1__0", "_1",  "1_", "08", "0x",  "1e3", " 1",
				"1 ", "0x1__0", "0x1_", "--1", "+",  "0_", "0x_", "+_1"};
	int64_t v;

	for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
		assert_int_equal(go_parse_int(syntax[i], &v), -EINVAL);
	assert_int_equal(go_parse_int("99999999999999999999", &v), -ERANGE);
	assert_int_equal(go_parse_int("9223372036854775808", &v), -ERANGE);
	assert_int_equal(go_parse_int("0xffffffffffffffffff", &v), -ERANGE);
}

static void test_atoi(void **state)
{
	int64_t v;

	assert_int_equal(go_atoi("100000", &v), 0);
	assert_true(v == 100000);
	assert_int_equal(go_atoi("-5", &v), 0);
	assert_true(v == -5);
	assert_int_equal(go_atoi("0x10", &v), -EINVAL);
	assert_int_equal(go_atoi("1_0", &v), -EINVAL);
	assert_int_equal(go_atoi("", &v), -EINVAL);
	assert_int_equal(go_atoi("123456789012345678901", &v), -ERANGE);
}

static void test_quote(void **state)
{
	char out[64];

	go_quote("abc", out, sizeof(out));
	assert_string_equal(out, "\"abc\"");
	go_quote("a\"b\\c\n\t\x01", out, sizeof(out));
	assert_string_equal(out, "\"a\\\"b\\\\c\\n\\t\\x01\"");
	go_quote("", out, sizeof(out));
	assert_string_equal(out, "\"\"");
	go_quote("\xc2\xa0\xc3\xa9\xff", out, sizeof(out)); /* as Go: NBSP escaped, é kept */
	assert_string_equal(out, "\"\\u00a0\xc3\xa9\\xff\"");
	go_quote("0123456789012345678901234567890123456789012345678901234567890123456789", out,
		 sizeof(out));
	assert_true(out[0] == '"' && out[strlen(out) - 1] == '"' && strlen(out) < sizeof(out));
}

static void test_errno_text(void **state)
{
	char buf[64];

	assert_string_equal(go_errno_text(EACCES, buf, sizeof(buf)), "permission denied");
	assert_string_equal(go_errno_text(ENOENT, buf, sizeof(buf)), "no such file or directory");
	assert_string_equal(go_errno_text(ENOEXEC, buf, sizeof(buf)), "exec format error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bool),    cmocka_unit_test(test_int_ok),
	    cmocka_unit_test(test_int_bad), cmocka_unit_test(test_atoi),
	    cmocka_unit_test(test_quote),   cmocka_unit_test(test_errno_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
