// SPDX-License-Identifier: Apache-2.0
/*
 * resolv.c - resolv.conf(5) as glibc reads it (see resolv.h): bounded, line by line, every
 * token length-checked; unit-tested (tests/unit/test_resolv.c) and fuzzed (fuzz_resolv.c).
 */
#include "net/resolv.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool rk_resolv_space(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The next token of [*p, end) into @tok (NUL-terminated, cut at a NUL byte). A token longer
 * than @size - 1 is skipped whole and comes back empty. Return: false at the end of the line.
 */
static bool rk_resolv_token(const char **p, const char *end, char *tok, size_t size)
{
	const char *s = *p;
	size_t n = 0;
	bool cut = false;

	while (s < end && rk_resolv_space(*s))
		s++;
	if (s == end)
		return false;
	while (s < end && !rk_resolv_space(*s)) {
		if (*s == '\0')
			cut = true;
		if (!cut && n + 1 < size)
			tok[n++] = *s;
		else if (!cut)
			n = size; /* too long */
		s++;
	}
	if (n >= size)
		n = 0;
	tok[n] = '\0';
	*p = s;
	return true;
}

/* glibc's scope: an interface name (link-local servers only), else a decimal number. */
static uint32_t rk_resolv_scope(const struct in6_addr *a, const char *scope)
{
	unsigned long long id;
	unsigned int ix;
	char *e;

	if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_MC_LINKLOCAL(a) ||
	    IN6_IS_ADDR_MC_NODELOCAL(a)) {
		ix = if_nametoindex(scope);
		if (ix)
			return ix;
	}
	if (!(*scope >= '0' && *scope <= '9'))
		return 0;
	id = strtoull(scope, &e, 10);
	return *e || id > UINT32_MAX ? 0 : (uint32_t)id;
}

static void rk_resolv_nameserver(struct rk_resolv *r, const char *tok)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&r->ns[r->n];
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&r->ns[r->n];
	char addr[INET6_ADDRSTRLEN];
	const char *scope = strchr(tok, '%');
	size_t alen = scope ? (size_t)(scope - tok) : strlen(tok);

	if (r->n == RK_RESOLV_MAXNS || !tok[0])
		return;
	memset(&r->ns[r->n], 0, sizeof(r->ns[r->n]));
	/* IPv4 as glibc's inet_aton_exact reads it (127.1, 0x7f.0.0.1, 010.0.0.1); inet_aton
	 * would also take trailing white space such as a '\r' */
	if (!scope && !strpbrk(tok, "\r\v\f") && inet_aton(tok, &a4->sin_addr)) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(53);
		r->len[r->n++] = sizeof(*a4);
		return;
	}
	if (alen >= sizeof(addr))
		return;
	memcpy(addr, tok, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) != 1)
		return;
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(53);
	if (scope)
		a6->sin6_scope_id = rk_resolv_scope(&a6->sin6_addr, scope + 1);
	r->len[r->n++] = sizeof(*a6);
}

/* `timeout:N`, `attempts:N`, `rotate`, matched by prefix as glibc does; glibc's limits are
 * RES_MAXRETRANS 30 and RES_MAXRETRY 5, and at least one of each is needed to ask at all. */
static void rk_resolv_option(struct rk_resolv *r, const char *tok)
{
	const char *v;
	long n;

	if (!strncmp(tok, "rotate", 6)) {
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
	if (tok[0] == 't')
		r->timeout_s = n < 1 ? 1 : n > 30 ? 30 : (int)n;
	else
		r->attempts = n < 1 ? 1 : n > 5 ? 5 : (int)n;
}

/* A keyword at the start of the line (glibc ignores indented lines), then white space. */
static bool rk_resolv_keyword(const char *p, const char *end, const char *kw)
{
	size_t n = strlen(kw);

	return (size_t)(end - p) > n && !memcmp(p, kw, n) && rk_resolv_space(p[n]);
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
		const char *le = nl ? nl : end, *q;
		if (rk_resolv_keyword(p, le, "nameserver")) {
			q = p + 10;
			if (rk_resolv_token(&q, le, tok, sizeof(tok)))
				rk_resolv_nameserver(out, tok);
		} else if (rk_resolv_keyword(p, le, "options")) {
			q = p + 7;
			while (rk_resolv_token(&q, le, tok, sizeof(tok)))
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
