// SPDX-License-Identifier: Apache-2.0
/* test_pathclean.c - Go filepath.Clean equivalence. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/fsutil.h"

static void test_clean(void **state)
{
	static const char *const cases[][2] = {
	    {"", "."},
	    {"/", "/"},
	    {"/etc/", "/etc"},
	    {"//etc//x", "/etc/x"},
	    {"/./etc/.", "/etc"},
	    {"/etc/../tmp", "/tmp"},
	    {"/../..", "/"},
	    {"a/b/../..", "."},
	    {"../a", "../a"},
	    {"a/../../b", "../b"},
	    {"abc/./def/", "abc/def"},
	    {"/tmp/", "/tmp"},
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(rk_path_clean(cases[i][0], out, sizeof(out)), 0);
		assert_string_equal(out, cases[i][1]);
	}
	assert_int_equal(rk_path_clean("/aaaaaaaaaa/bbbbbbbbbb", out, 8), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_clean)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
