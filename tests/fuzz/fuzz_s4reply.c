// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_s4reply.c - libFuzzer target: replies from slirp4netns' API socket, parsed as the reply
 * to an add and to a remove; an accepted add reply has an id in range and no error text.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "port/s4reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rk_err e;
	int64_t id = -1;

	for (int want = 0; want < 2; want++) {
		rk_err_clear(&e);
		int rc = rk_s4_reply_parse((const char *)data, size, want, &id, &e);
		if (rc == 0) {
			assert(e.code == 0);
			assert(!want || (id >= 0 && id <= INT32_MAX));
		} else {
			assert(e.msg[0] && memchr(e.msg, '\0', sizeof(e.msg)));
		}
	}
	return 0;
}
