// SPDX-License-Identifier: Apache-2.0
/* test_msg.c - parent<->child message framing: round trip, EOF and malformed datagrams. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/msg.h"

static void test_roundtrip_and_eof(void **state)
{
	int sp[2];
	struct rk_msg m;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	assert_int_equal(rk_msg_send(sp[0], RK_MSG_MAPS_DONE, 1), 0);
	assert_int_equal(rk_msg_recv(sp[1], &m), 0);
	assert_int_equal(m.type, RK_MSG_MAPS_DONE);
	assert_true(m.value == 1);
	close(sp[0]);
	assert_int_equal(rk_msg_recv(sp[1], &m), -EPIPE);
	close(sp[1]);
}

static void test_malformed(void **state)
{
	int sp[2];
	struct rk_msg m, bad = {.magic = RK_MSG_MAGIC, .type = RK_MSG_TYPE_MAX};

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	assert_int_equal(send(sp[0], "hello", 5, 0), 5);
	assert_int_equal(rk_msg_recv(sp[1], &m), -EPROTO);
	assert_int_equal(send(sp[0], &bad, sizeof(bad), 0), (int)sizeof(bad));
	assert_int_equal(rk_msg_recv(sp[1], &m), -EPROTO);
	bad.type = RK_MSG_START;
	bad.magic = 0;
	assert_int_equal(send(sp[0], &bad, sizeof(bad), 0), (int)sizeof(bad));
	assert_int_equal(rk_msg_recv(sp[1], &m), -EPROTO);
	char big[sizeof(m) + 8] = {0};
	memcpy(big, &(struct rk_msg){.magic = RK_MSG_MAGIC, .type = RK_MSG_START}, sizeof(m));
	assert_int_equal(send(sp[0], big, sizeof(big), 0), (int)sizeof(big));
	assert_int_equal(rk_msg_recv(sp[1], &m), -EPROTO);
	close(sp[0]);
	close(sp[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip_and_eof),
					   cmocka_unit_test(test_malformed)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
