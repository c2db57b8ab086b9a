// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_frame.c - libFuzzer target for the built-in stack's frame rewrite: the first input byte
 * picks the direction (bit 0: to the guest), plan.ipv6 (bit 1) and plan.drop_ra (bit 2); the
 * rest is the frame, in a heap buffer of exactly its size so that any access past it is caught.
 * The frame is rewritten twice and the two descriptions go through rk_frame_ack_supersedes.
 * Checked besides: a valid IPv4 header checksum stays valid, the rewrite toward the guest is
 * idempotent, and no frame supersedes itself. Before the rewrite, the frame (either direction)
 * goes through rk_frame_dns_query; a query found is answered with its own message by
 * rk_frame_dns_reply into a heap buffer of exactly the reply's size, whose length, IPv4 header
 * checksum and UDP checksum are checked, as are the refusals of a buffer one byte short and of an
 * MTU one byte short.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether @f holds an IPv4 header whose checksum is right (the test's own computation). */
static bool ip4_hdr_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + RK_FRAME_ETH_HLEN;
	size_t ihl;
	uint32_t sum = 0;

	if (len < RK_FRAME_ETH_HLEN + 20 || f[12] != 0x08 || f[13] != 0x00 || (ip[0] >> 4) != 4)
		return false;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl < 20 || RK_FRAME_ETH_HLEN + ihl > len)
		return false;
	for (size_t i = 0; i < ihl; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* Whether the UDP checksum of reply @f (@len bytes, IPv4 or IPv6) verifies (own computation). */
static bool udp_csum_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + RK_FRAME_ETH_HLEN;
	bool v4 = f[12] == 0x08;
	size_t iplen = v4 ? 20 : 40, ulen = len - RK_FRAME_ETH_HLEN - iplen;
	const uint8_t *u = ip + iplen;
	uint32_t sum = 17 + (uint32_t)ulen;

	if (u[6] == 0 && u[7] == 0)
		return false; /* the reply always carries a checksum */
	for (size_t i = 0; i < (v4 ? 8u : 32u); i += 2)
		sum += (uint32_t)(ip[(v4 ? 12 : 8) + i] << 8 | ip[(v4 ? 12 : 8) + i + 1]);
	for (size_t i = 0; i < ulen; i++)
		sum += i % 2 ? u[i] : (uint32_t)u[i] << 8;
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* If @f (@len bytes, from the guest) is a DNS query, answer it with its own message. */
static void dns(const struct rk_frame_plan *p, const uint8_t *f, size_t len)
{
	struct rk_frame_dns q;
	size_t iplen, need;
	uint8_t *out;
	int mtu;

	if (!rk_frame_dns_query(p, f, len, &q))
		return;
	if ((q.family != AF_INET && q.family != AF_INET6) || (q.family == AF_INET6 && !p->ipv6) ||
	    q.msg < f || q.len > len || (size_t)(q.msg - f) > len - q.len)
		__builtin_trap();
	iplen = q.family == AF_INET ? 20 : 40;
	need = RK_FRAME_ETH_HLEN + iplen + 8 + q.len;
	mtu = (int)(iplen + 8 + q.len);
	out = malloc(need);
	if (!out)
		return;
	if (rk_frame_dns_reply(p, &q, q.msg, q.len, mtu - 1, out, need) != 0 ||
	    rk_frame_dns_reply(p, &q, q.msg, q.len, mtu, out, need - 1) != 0)
		__builtin_trap();
	if (rk_frame_dns_reply(p, &q, q.msg, q.len, mtu, out, need) != need)
		__builtin_trap();
	if ((q.family == AF_INET && !ip4_hdr_ok(out, need)) || !udp_csum_ok(out, need) ||
	    memcmp(out, q.mac, 6) || memcmp(out + need - q.len, q.msg, q.len))
		__builtin_trap();
	free(out);
}

static enum rk_frame_verdict run(bool to_guest, const struct rk_frame_plan *p, uint8_t *f,
				 size_t len, struct rk_frame_info *fi)
{
	return to_guest ? rk_frame_to_guest(p, f, len, fi) : rk_frame_from_guest(p, f, len, fi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t gw6[16] = {0xfd, [15] = 1}, alias6[16] = {0xfd, [15] = 2};
	struct rk_frame_plan p = {.gw4.s_addr = htonl(0x0a000201),
				  .alias4.s_addr = htonl(0x0a000202)};
	struct rk_frame_info a, b;
	uint8_t *f, *once;
	bool to_guest, hdr_ok;

	if (size < 1)
		return 0;
	to_guest = data[0] & 1;
	p.ipv6 = data[0] & 2;
	p.drop_ra = data[0] & 4;
	memcpy(p.gw6.s6_addr, gw6, 16);
	memcpy(p.alias6.s6_addr, alias6, 16);
	size--;
	f = malloc(size);
	once = malloc(size);
	if (!f || !once) {
		free(f);
		free(once);
		return 0;
	}
	memcpy(f, data + 1, size);
	dns(&p, f, size);
	hdr_ok = ip4_hdr_ok(f, size);

	run(to_guest, &p, f, size, &a);
	if (hdr_ok && !ip4_hdr_ok(f, size))
		__builtin_trap();
	memcpy(once, f, size);
	run(to_guest, &p, f, size, &b);
	if (to_guest && memcmp(once, f, size))
		__builtin_trap();

	if (a.tcp && (a.paylen > size || (a.family != AF_INET && a.family != AF_INET6)))
		__builtin_trap();
	if (rk_frame_ack_supersedes(&a, &a) || rk_frame_ack_supersedes(&b, &b))
		__builtin_trap();
	(void)rk_frame_ack_supersedes(&a, &b);
	(void)rk_frame_ack_supersedes(&b, &a);
	free(f);
	free(once);
	return 0;
}
