// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_subid.c - libFuzzer target: /etc/subuid-style files and getsubids output.
 * Checks that parsing never crashes and that every accepted range is sane.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "util/subid.h"

static void check(const struct rk_subid_list *l)
{
	uint64_t inside = 1;

	assert(l->n <= RK_SUBID_MAX_RANGES);
	for (size_t i = 0; i < l->n; i++) {
		assert(l->v[i].count > 0);
		assert((uint64_t)l->v[i].start + l->v[i].count <= UINT32_MAX);
		inside += l->v[i].count;
	}
	assert(inside <= UINT32_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rk_subid_list l;
	struct rk_err err;

	memset(&l, 0, sizeof(l));
	if (rk_subid_parse_file((const char *)data, size, "/etc/subuid", 1001, "alice", &l, &err) ==
	    0)
		check(&l);
	memset(&l, 0, sizeof(l));
	if (rk_subid_parse_getsubids((const char *)data, size, &l, &err) == 0)
		check(&l);
	return 0;
}
