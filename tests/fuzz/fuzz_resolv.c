// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_resolv.c - libFuzzer target for resolv.conf(5) text (rk_resolv_parse). The input is
 * copied into a heap buffer of exactly its size, not NUL-terminated, so that any read past it is
 * caught. Checked: 1 to 3 name servers, each AF_INET or AF_INET6 with port 53 and the matching
 * length, timeout 1..30, attempts 1..5, and that a final newline added to the text changes
 * nothing (the last line is read the same with or without one).
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/resolv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct rk_resolv *r)
{
	if (r->n < 1 || r->n > RK_RESOLV_MAXNS)
		__builtin_trap();
	for (int i = 0; i < r->n; i++) {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)&r->ns[i];
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&r->ns[i];

		if (r->ns[i].ss_family == AF_INET) {
			if (r->len[i] != sizeof(*a4) || a4->sin_port != htons(53))
				__builtin_trap();
		} else if (r->ns[i].ss_family == AF_INET6) {
			if (r->len[i] != sizeof(*a6) || a6->sin6_port != htons(53) ||
			    a6->sin6_flowinfo != 0)
				__builtin_trap();
		} else {
			__builtin_trap();
		}
	}
	if (r->timeout_s < 1 || r->timeout_s > 30 || r->attempts < 1 || r->attempts > 5)
		__builtin_trap();
}

static bool same(const struct rk_resolv *a, const struct rk_resolv *b)
{
	if (a->n != b->n || a->timeout_s != b->timeout_s || a->attempts != b->attempts ||
	    a->rotate != b->rotate)
		return false;
	for (int i = 0; i < a->n; i++)
		if (a->len[i] != b->len[i] || memcmp(&a->ns[i], &b->ns[i], a->len[i]))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rk_resolv r, r2;
	char *text = malloc(size ? size : 1), *nl;

	if (!text)
		return 0;
	memcpy(text, data, size);
	rk_resolv_parse(text, size, &r);
	check(&r);
	free(text);

	if (size < RK_RESOLV_TEXT_MAX) {
		nl = malloc(size + 1);
		if (!nl)
			return 0;
		memcpy(nl, data, size);
		nl[size] = '\n';
		rk_resolv_parse(nl, size + 1, &r2);
		check(&r2);
		if (!same(&r, &r2))
			__builtin_trap();
		free(nl);
	}
	return 0;
}
