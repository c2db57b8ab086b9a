// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_msg.c - libFuzzer target for the parent<->child message decoder: arbitrary datagrams
 * must be refused or decoded, never read out of bounds; a decoded message must encode back to
 * the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rk_msg m;
	char out[1024];

	if (rk_msg_decode(data, size, NULL, 0, &m) == 0) {
		int n = rk_msg_encode(&m, out, sizeof(out));
		if (n < 0 || (size_t)n != size || memcmp(out, data, size))
			__builtin_trap();
	}
	return 0;
}
