// SPDX-License-Identifier: Apache-2.0
/* test_s4reply.c - slirp4netns API requests and the strict parsing of its replies. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "port/s4reply.h"

static void test_requests(void **state)
{
	char *r = NULL;
	int n = rk_s4_add_request("tcp", "", 8080, "10.0.2.100", 80, &r);

	assert_string_equal(r,
			    "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
			    "\"host_addr\":\"\",\"host_port\":8080,\"guest_addr\":\"10.0.2.100\","
			    "\"guest_port\":80}}\n");
	assert_int_equal(n, (int)strlen(r));
	free(r);
	n = rk_s4_remove_request(7, &r);
	assert_string_equal(r, "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":7}}\n");
	free(r);
}

static int parse(const char *s, int want_id, int64_t *id, struct rk_err *e)
{
	rk_err_clear(e);
	return rk_s4_reply_parse(s, strlen(s), want_id, id, e);
}

static void test_replies(void **state)
{
	struct rk_err e;
	int64_t id = -1;

	assert_int_equal(parse("{\"return\":{\"id\":3}}", 1, &id, &e), 0);
	assert_int_equal(id, 3);
	assert_int_equal(parse("{\"return\":{\"id\":4.9}}\n", 1, &id, &e), 0);
	assert_int_equal(id, 4);
	assert_int_equal(parse("{\"return\":{}}", 0, &id, &e), 0);
	assert_int_equal(parse("{\"error\":{\"desc\":\"bad request: remove_hostfwd: bad "
			       "arguments.id\"}}",
			       0, &id, &e),
			 -EPROTO);
	assert_string_equal(e.msg, "reply.Error: map[desc:bad request: remove_hostfwd: bad "
				   "arguments.id]");
	assert_int_equal(parse("{\"error\":{\"z\":1,\"desc\":\"x\"}}", 1, &id, &e), -EPROTO);
	assert_string_equal(e.msg, "reply.Error: map[desc:x z:1]");
}

static void test_bad_replies(void **state)
{
	static const char *const bad[] = {
	    "",
	    "x",
	    "[]",
	    "{\"return\":{}}",
	    "{\"return\":{\"id\":\"1\"}}",
	    "{\"return\":{\"id\":-1}}",
	    "{\"return\":{\"id\":1e12}}",
	    "{\"return\":5}",
	    "{\"error\":7}",
	    "{\"return\":{\"id\":1},\"return\":{\"id\":2}}",
	    "null",
	};
	struct rk_err e;
	int64_t id = -1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], 1, &id, &e), -EPROTO);
		assert_true(e.msg[0] != '\0');
	}
	assert_int_equal(id, -1);
	assert_int_equal(rk_s4_reply_parse("{}", RK_S4_REPLY_MAX + 1, 1, &id, &e), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_requests),
	    cmocka_unit_test(test_replies),
	    cmocka_unit_test(test_bad_replies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
