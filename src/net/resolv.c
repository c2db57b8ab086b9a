// SPDX-License-Identifier: Apache-2.0
/*
 * resolv.c - resolv.conf(5) as glibc reads it (see resolv.h): bounded, line by line, every
 * token length-checked; unit-tested (tests/unit/test_resolv.c) and fuzzed (fuzz_resolv.c).
 */
#include "net/resolv.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static bool rk_resolv_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The next token of [*p, end) into @tok (NUL-terminated); false when none or too long. */
static bool rk_resolv_token(const char **p, const char *end, char *tok, size_t size)
{
	const char *s = *p;
	size_t n = 0;

	while (s < end && rk_resolv_space(*s))
		s++;
	while (s < end && !rk_resolv_space(*s)) {
		if (n + 1 >= size)
			return false;
		tok[n++] = *s++;
	}
	tok[n] = '\0';
	*p = s;
	return n > 0;
}

static void rk_resolv_nameserver(struct rk_resolv *r, const char *tok)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&r->ns[r->n];
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&r->ns[r->n];
	char addr[INET6_ADDRSTRLEN + 1 + IF_NAMESIZE];
	char *scope;

	if (r->n == RK_RESOLV_MAXNS || strlen(tok) >= sizeof(addr))
		return;
	memset(&r->ns[r->n], 0, sizeof(r->ns[r->n]));
	if (inet_pton(AF_INET, tok, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(53);
		r->len[r->n++] = sizeof(*a4);
		return;
	}
	memcpy(addr, tok, strlen(tok) + 1);
	scope = strchr(addr, '%');
	if (scope)
		*scope++ = '\0';
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) != 1)
		return;
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(53);
	if (scope) {
		char *e;
		unsigned long id = if_nametoindex(scope);
		if (!id) {
			id = strtoul(scope, &e, 10);
			if (*e || !*scope)
				id = 0;
		}
		a6->sin6_scope_id = (uint32_t)id;
	}
	r->len[r->n++] = sizeof(*a6);
}

/* `timeout:N`, `attempts:N`: glibc clamps them (RES_MAXRETRANS 30, RES_MAXRETRY 5). */
static void rk_resolv_option(struct rk_resolv *r, const char *tok)
{
	const char *v;
	long n;

	if (!strcmp(tok, "rotate")) {
		r->rotate = true;
		return;
	}
	if (!strncmp(tok, "timeout:", 8))
		v = tok + 8;
	else if (!strncmp(tok, "attempts:", 9))
		v = tok + 9;
	else
		return;
	n = strtol(v, NULL, 10);
	if (n < 0)
		n = 0;
	if (tok[0] == 't')
		r->timeout_s = n < 1 ? 1 : n > 30 ? 30 : (int)n;
	else
		r->attempts = n < 1 ? 1 : n > 5 ? 5 : (int)n;
}

void rk_resolv_parse(const char *text, size_t len, struct rk_resolv *out)
{
	const char *p = text, *end;
	char tok[128];

	memset(out, 0, sizeof(*out));
	out->timeout_s = 5;
	out->attempts = 2;
	if (len > RK_RESOLV_TEXT_MAX)
		len = RK_RESOLV_TEXT_MAX;
	end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (rk_resolv_token(&p, le, tok, sizeof(tok))) {
			if (!strcmp(tok, "nameserver") && rk_resolv_token(&p, le, tok, sizeof(tok)))
				rk_resolv_nameserver(out, tok);
			else if (!strcmp(tok, "options"))
				while (rk_resolv_token(&p, le, tok, sizeof(tok)))
					rk_resolv_option(out, tok);
		}
		p = nl ? nl + 1 : end;
	}
	if (out->n == 0) { /* glibc: the local host */
		struct sockaddr_in *a = (struct sockaddr_in *)&out->ns[0];
		a->sin_family = AF_INET;
		a->sin_port = htons(53);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		out->len[0] = sizeof(*a);
		out->n = 1;
	}
}
