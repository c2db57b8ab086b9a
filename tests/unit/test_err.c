// SPDX-License-Identifier: Apache-2.0
/* test_err.c - error objects: set, errno text, wrapping with context, NULL tolerance. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/err.h"

static void test_set_and_wrap(void **state)
{
	struct rk_err e;

	rk_err_clear(&e);
	assert_int_equal(e.code, 0);
	assert_int_equal(rk_err_set(&e, EINVAL, "bad %s", "thing"), -EINVAL);
	assert_string_equal(e.msg, "bad thing");
	assert_int_equal(rk_err_wrap(&e, EIO, "setting up %s", "tap0"), -EINVAL);
	assert_string_equal(e.msg, "setting up tap0: bad thing");
	assert_int_equal(e.code, EINVAL);
}

static void test_errno_text(void **state)
{
	struct rk_err e;

	rk_err_clear(&e);
	assert_int_equal(rk_err_errno(&e, ENOENT, "open %s", "/x"), -ENOENT);
	assert_string_equal(e.msg, "open /x: no such file or directory");
	rk_err_clear(&e);
	/* wrapping nothing records the errno's own text */
	assert_int_equal(rk_err_wrap(&e, -EPERM, "mount"), -EPERM);
	assert_string_equal(e.msg, "mount: operation not permitted");
	assert_int_equal(e.code, EPERM);
}

static void test_edges(void **state)
{
	struct rk_err e;
	char big[RK_ERR_MSG_MAX * 2];

	assert_int_equal(rk_err_set(NULL, EINVAL, "x"), -EINVAL);
	assert_int_equal(rk_err_wrap(NULL, EINVAL, "x"), -EINVAL);
	assert_int_equal(rk_err_set(&e, 0, "zero"), -EIO);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rk_err_set(&e, E2BIG, "%s", big);
	assert_int_equal(strlen(e.msg), RK_ERR_MSG_MAX - 1);
	rk_err_wrap(&e, E2BIG, "ctx");
	assert_int_equal(strlen(e.msg), RK_ERR_MSG_MAX - 1);
	assert_memory_equal(e.msg, "ctx: aaa", 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_set_and_wrap),
					   cmocka_unit_test(test_errno_text),
					   cmocka_unit_test(test_edges)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
