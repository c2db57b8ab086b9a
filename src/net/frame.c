// SPDX-License-Identifier: Apache-2.0
/*
 * frame.c - the built-in stack's frame rewrite between the tap and libslirp (see frame.h).
 *
 * Pure code over one frame in a buffer: every header is bounds-checked before it is read, and
 * a frame that does not hold together is left as it is (libslirp validates again and drops
 * it). Unit-tested in tests/unit/test_frame.c and fuzzed by tests/fuzz/fuzz_frame.c.
 */
#include "net/frame.h"

#include <errno.h>
#include <string.h>

const uint8_t rk_frame_gw_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};

#define ETH_P_IP4   0x0800
#define ETH_P_ARP4  0x0806
#define ETH_P_IP6   0x86dd
#define PROTO_ICMP  1
#define PROTO_TCP   6
#define PROTO_UDP   17
#define PROTO_ICMP6 58

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint32_t rk_csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (; len > 1; len -= 2, b += 2)
		sum += rd16(b);
	if (len)
		sum += (uint32_t)b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint32_t rk_csum_buf(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t acc = 0;
	uint32_t w, sum;

	/* native-order 32-bit words: the one's complement sum is byte-order independent
	 * (RFC 1071), so fold, then swap to big-endian order at the end */
	for (; len >= 16; len -= 16, b += 16) {
		uint32_t v[4];
		memcpy(v, b, 16);
		acc += (uint64_t)v[0] + v[1] + v[2] + v[3];
	}
	for (; len >= 4; len -= 4, b += 4) {
		memcpy(&w, b, 4);
		acc += w;
	}
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	sum = (uint32_t)((acc & 0xffff) + (acc >> 16));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	sum = (uint32_t)(((sum & 0xff) << 8) | (sum >> 8));
#endif
	return rk_csum_add(sum, b, len);
}

int rk_frame_vnet_complete(const struct rk_vnet_hdr *h, uint8_t *f, size_t len)
{
	size_t start = h->csum_start, at = (size_t)h->csum_start + h->csum_offset;

	if (!(h->flags & RK_VNET_NEEDS_CSUM))
		return 0;
	if (start >= len || at + 2 > len)
		return -EINVAL;
	wr16(f + at, rk_csum_fold(rk_csum_buf(f + start, len - start)));
	if (h->csum_offset == 6 && rd16(f + at) == 0) /* UDP: 0 means "no checksum" */
		wr16(f + at, 0xffff);
	return 0;
}

uint16_t rk_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* RFC 1624: the checksum at @field after @len bytes (even) changed from @old to @new. */
static void csum_replace(uint8_t *field, const uint8_t *old, const uint8_t *new, size_t len)
{
	uint32_t sum = (uint16_t)~rd16(field);

	for (size_t i = 0; i + 1 < len; i += 2) {
		sum += (uint16_t)~rd16(old + i);
		sum += rd16(new + i);
	}
	wr16(field, rk_csum_fold(sum));
}

/* libslirp's MACs: 52:55:<IPv4 address> (ARP, IPv4), 52:56:<low 32 bits of IPv6> (NDP) */
static bool is_slirp_mac(const uint8_t *m)
{
	return m[0] == 0x52 && (m[1] == 0x55 || m[1] == 0x56);
}

static void fix_mac(uint8_t *m)
{
	if (is_slirp_mac(m))
		memcpy(m, rk_frame_gw_mac, 6);
}

/* An IPv4 or IPv6 packet, located and checked. */
struct pkt {
	int family;
	uint8_t *ip;
	uint8_t *l4;	/* NULL: no transport header to look at (fragment, too short) */
	uint32_t l4len; /* bytes from l4 to the end of the packet */
	uint8_t proto;	/* transport protocol (next header) */
	uint8_t *src, *dst;
	bool whole; /* not a fragment: the transport header and payload are all here */
};

static bool pkt4(uint8_t *ip, size_t len, struct pkt *k)
{
	uint32_t ihl, tot;
	uint16_t frag;

	if (len < 20 || (ip[0] >> 4) != 4)
		return false;
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	tot = rd16(ip + 2);
	if (ihl < 20 || tot < ihl || tot > len)
		return false;
	frag = rd16(ip + 6);
	k->family = AF_INET;
	k->ip = ip;
	k->proto = ip[9];
	k->src = ip + 12;
	k->dst = ip + 16;
	k->whole = (frag & 0x3fff) == 0;
	k->l4 = (frag & 0x1fff) == 0 ? ip + ihl : NULL; /* first fragment: headers are here */
	k->l4len = tot - ihl;
	return true;
}

static bool pkt6(uint8_t *ip, size_t len, struct pkt *k)
{
	uint32_t pl;

	if (len < 40 || (ip[0] >> 4) != 6)
		return false;
	pl = rd16(ip + 4);
	if (40 + (size_t)pl > len)
		return false;
	k->family = AF_INET6;
	k->ip = ip;
	k->proto = ip[6];
	k->src = ip + 8;
	k->dst = ip + 24;
	/* extension headers are not followed: such packets are treated as opaque */
	k->whole = k->proto == PROTO_TCP || k->proto == PROTO_UDP || k->proto == PROTO_ICMP6;
	k->l4 = k->whole ? ip + 40 : NULL;
	k->l4len = pl;
	return true;
}

static bool pkt_parse(uint8_t *f, size_t len, struct pkt *k)
{
	uint16_t type;

	memset(k, 0, sizeof(*k));
	if (len < RK_FRAME_ETH_HLEN)
		return false;
	type = rd16(f + 12);
	if (type == ETH_P_IP4)
		return pkt4(f + RK_FRAME_ETH_HLEN, len - RK_FRAME_ETH_HLEN, k);
	if (type == ETH_P_IP6)
		return pkt6(f + RK_FRAME_ETH_HLEN, len - RK_FRAME_ETH_HLEN, k);
	return false;
}

static size_t alen(const struct pkt *k)
{
	return k->family == AF_INET ? 4 : 16;
}

/* The offset of the transport checksum, or 0 when there is none to keep (or no room). */
static size_t l4_csum_off(const struct pkt *k)
{
	if (!k->l4)
		return 0;
	switch (k->proto) {
	case PROTO_TCP:
		return k->l4len >= 20 ? 16 : 0;
	case PROTO_UDP:
		/* IPv4 UDP without a checksum (0) stays without one */
		if (k->l4len < 8 || (k->family == AF_INET && rd16(k->l4 + 6) == 0))
			return 0;
		return 6;
	case PROTO_ICMP6:
		return k->l4len >= 4 ? 2 : 0;
	default:
		return 0;
	}
}

/* Replace the address at @a (source or destination of @k) by @to, keeping the checksums. */
static void pkt_set_addr(struct pkt *k, uint8_t *a, const void *to)
{
	uint8_t old[16];
	size_t n = alen(k), off = l4_csum_off(k);

	memcpy(old, a, n);
	memcpy(a, to, n);
	if (k->family == AF_INET)
		csum_replace(k->ip + 10, old, a, n);
	if (off && k->l4) {
		csum_replace(k->l4 + off, old, a, n);
		if (k->proto == PROTO_UDP && rd16(k->l4 + 6) == 0)
			wr16(k->l4 + 6, 0xffff); /* 0 means "no checksum" in UDP */
	}
}

static uint16_t dport(const struct pkt *k)
{
	if (!k->l4 || !k->whole || k->l4len < 4 || (k->proto != PROTO_TCP && k->proto != PROTO_UDP))
		return 0;
	return rd16(k->l4 + 2);
}

static void describe(const struct pkt *k, struct rk_frame_info *fi)
{
	uint32_t doff;
	uint8_t flags;

	memset(fi, 0, sizeof(*fi));
	if (!k->ip || k->proto != PROTO_TCP || !k->whole || !k->l4 || k->l4len < 20)
		return;
	doff = (uint32_t)(k->l4[12] >> 4) * 4;
	if (doff < 20 || doff > k->l4len)
		return;
	flags = k->l4[13];
	fi->tcp = true;
	fi->family = k->family;
	memcpy(fi->src, k->src, alen(k));
	memcpy(fi->dst, k->dst, alen(k));
	fi->sport = rd16(k->l4);
	fi->dport = rd16(k->l4 + 2);
	fi->ack = rd32(k->l4 + 8);
	fi->win = rd16(k->l4 + 14);
	fi->paylen = k->l4len - doff;
	fi->has_ack = flags & TCP_ACK;
	fi->pure_ack = fi->paylen == 0 && (flags & ~TCP_PSH) == TCP_ACK;
}

static bool arp_to(const uint8_t *f, size_t len, struct in_addr a)
{
	const uint8_t *arp = f + RK_FRAME_ETH_HLEN;

	return len >= RK_FRAME_ETH_HLEN + 28 && rd16(arp + 2) == ETH_P_IP4 && arp[4] == 6 &&
	       arp[5] == 4 && !memcmp(arp + 24, &a, 4);
}

/* Whether a packet to the gateway stays there (libslirp's DNS, the gateway's own NDP). */
static bool stays_at_gateway(const struct pkt *k)
{
	if (dport(k) == 53)
		return true;
	/* neighbour solicitations and advertisements about the gateway itself */
	return k->family == AF_INET6 && k->proto == PROTO_ICMP6 && k->l4 && k->l4len >= 1 &&
	       (k->l4[0] == 135 || k->l4[0] == 136);
}

enum rk_frame_verdict rk_frame_from_guest(const struct rk_frame_plan *p, uint8_t *f, size_t len,
					  struct rk_frame_info *fi)
{
	struct pkt k;
	bool to_gw;

	memset(fi, 0, sizeof(*fi));
	if (len >= RK_FRAME_ETH_HLEN && rd16(f + 12) == ETH_P_ARP4)
		return arp_to(f, len, p->alias4) ? RK_FRAME_DROP : RK_FRAME_PASS;
	if (!pkt_parse(f, len, &k))
		return RK_FRAME_PASS;
	if (k.family == AF_INET6 && !p->ipv6)
		return RK_FRAME_PASS; /* libslirp without IPv6 drops it */
	if (k.family == AF_INET) {
		if (!memcmp(k.dst, &p->alias4, 4))
			return RK_FRAME_DROP;
		to_gw = !memcmp(k.dst, &p->gw4, 4);
		if (to_gw && !stays_at_gateway(&k))
			pkt_set_addr(&k, k.dst, &p->alias4);
	} else {
		if (!memcmp(k.dst, &p->alias6, 16))
			return RK_FRAME_DROP;
		/* a neighbour solicitation for the alias (the target follows the 4-byte header) */
		if (k.proto == PROTO_ICMP6 && k.l4 && k.l4len >= 24 && k.l4[0] == 135 &&
		    !memcmp(k.l4 + 8, &p->alias6, 16))
			return RK_FRAME_DROP;
		to_gw = !memcmp(k.dst, &p->gw6, 16);
		if (to_gw && !stays_at_gateway(&k))
			pkt_set_addr(&k, k.dst, &p->alias6);
	}
	describe(&k, fi);
	fi->dns = to_gw && k.proto == PROTO_UDP && dport(&k) == 53;
	return RK_FRAME_PASS;
}

/* The full ICMPv6 checksum of @k (after its body changed). */
static void icmp6_csum(struct pkt *k)
{
	uint8_t ph[8] = {0};
	uint32_t sum = 0;

	ph[0] = (uint8_t)(k->l4len >> 24);
	ph[1] = (uint8_t)(k->l4len >> 16);
	ph[2] = (uint8_t)(k->l4len >> 8);
	ph[3] = (uint8_t)k->l4len;
	ph[7] = PROTO_ICMP6;
	wr16(k->l4 + 2, 0);
	sum = rk_csum_add(sum, k->src, 16);
	sum = rk_csum_add(sum, k->dst, 16);
	sum = rk_csum_add(sum, ph, sizeof(ph));
	sum = rk_csum_add(sum, k->l4, k->l4len);
	wr16(k->l4 + 2, rk_csum_fold(sum));
}

/* The link-layer address options of an NDP message: libslirp's MAC -> the gateway's. */
static bool ndp_fix_options(struct pkt *k)
{
	size_t off, end = k->l4len;
	bool changed = false;

	switch (k->l4[0]) {
	case 133: /* router solicitation */
		off = 8;
		break;
	case 134: /* router advertisement */
		off = 16;
		break;
	case 135: /* neighbour solicitation */
	case 136: /* neighbour advertisement */
		off = 24;
		break;
	case 137: /* redirect */
		off = 40;
		break;
	default:
		return false;
	}
	while (off + 2 <= end) {
		size_t olen = (size_t)k->l4[off + 1] * 8;
		if (olen == 0 || off + olen > end)
			break;
		if ((k->l4[off] == 1 || k->l4[off] == 2) && olen == 8 &&
		    is_slirp_mac(k->l4 + off + 2)) {
			fix_mac(k->l4 + off + 2);
			changed = true;
		}
		off += olen;
	}
	return changed;
}

/* ICMP errors quote the packet that caused them: its destination may be the alias. */
static void icmp4_fix_quote(struct pkt *k, const struct rk_frame_plan *p)
{
	uint8_t *in;
	uint32_t ihl;

	if (!k->l4 || !k->whole || k->l4len < 8 + 20)
		return;
	if (k->l4[0] != 3 && k->l4[0] != 11 && k->l4[0] != 12)
		return;
	in = k->l4 + 8;
	ihl = (uint32_t)(in[0] & 0xf) * 4;
	if ((in[0] >> 4) != 4 || ihl < 20 || 8 + ihl > k->l4len || memcmp(in + 16, &p->alias4, 4))
		return;
	memcpy(in + 16, &p->gw4, 4);
	wr16(in + 10, 0);
	wr16(in + 10, rk_csum_fold(rk_csum_add(0, in, ihl)));
	wr16(k->l4 + 2, 0);
	wr16(k->l4 + 2, rk_csum_fold(rk_csum_add(0, k->l4, k->l4len)));
}

static bool icmp6_fix_quote(struct pkt *k, const struct rk_frame_plan *p)
{
	uint8_t *in;

	if (k->l4len < 8 + 40 || k->l4[0] < 1 || k->l4[0] > 4)
		return false;
	in = k->l4 + 8;
	if ((in[0] >> 4) != 6 || memcmp(in + 24, &p->alias6, 16))
		return false;
	memcpy(in + 24, &p->gw6, 16);
	return true;
}

enum rk_frame_verdict rk_frame_to_guest(const struct rk_frame_plan *p, uint8_t *f, size_t len,
					struct rk_frame_info *fi)
{
	struct pkt k;

	memset(fi, 0, sizeof(*fi));
	if (len < RK_FRAME_ETH_HLEN)
		return RK_FRAME_PASS;
	fix_mac(f + 6);
	if (rd16(f + 12) == ETH_P_ARP4) {
		if (len >= RK_FRAME_ETH_HLEN + 28 && f[RK_FRAME_ETH_HLEN + 4] == 6) {
			fix_mac(f + RK_FRAME_ETH_HLEN + 8);
			/* libslirp asks for the guest's MAC from its own (alias) address */
			if (!memcmp(f + RK_FRAME_ETH_HLEN + 14, &p->alias4, 4))
				memcpy(f + RK_FRAME_ETH_HLEN + 14, &p->gw4, 4);
		}
		return RK_FRAME_PASS;
	}
	if (!pkt_parse(f, len, &k))
		return RK_FRAME_PASS;
	if (k.family == AF_INET) {
		if (!memcmp(k.src, &p->alias4, 4))
			pkt_set_addr(&k, k.src, &p->gw4);
		if (k.proto == PROTO_ICMP)
			icmp4_fix_quote(&k, p);
	} else if (p->ipv6) {
		bool changed = false;
		if (k.proto == PROTO_ICMP6 && k.l4 && k.l4len >= 4) {
			if (k.l4[0] == 134 && p->drop_ra)
				return RK_FRAME_DROP;
			if (!memcmp(k.src, &p->alias6, 16)) {
				memcpy(k.src, &p->gw6, 16);
				changed = true;
			}
			changed |= ndp_fix_options(&k);
			changed |= icmp6_fix_quote(&k, p);
			if (changed)
				icmp6_csum(&k);
		} else if (!memcmp(k.src, &p->alias6, 16)) {
			pkt_set_addr(&k, k.src, &p->gw6);
		}
	}
	describe(&k, fi);
	return RK_FRAME_PASS;
}

bool rk_frame_ack_supersedes(const struct rk_frame_info *earlier, const struct rk_frame_info *later)
{
	size_t n;

	if (!earlier->tcp || !earlier->pure_ack || !later->tcp || !later->has_ack)
		return false;
	if (earlier->family != later->family || earlier->sport != later->sport ||
	    earlier->dport != later->dport)
		return false;
	n = earlier->family == AF_INET ? 4 : 16;
	if (memcmp(earlier->src, later->src, n) || memcmp(earlier->dst, later->dst, n))
		return false;
	return (int32_t)(later->ack - earlier->ack) > 0;
}

bool rk_frame_dns_query(const struct rk_frame_plan *p, const uint8_t *f, size_t len,
			struct rk_frame_dns *q)
{
	struct pkt k;
	size_t ulen;

	/* pkt_parse writes nothing: the cast only lets it share the rewrite's code */
	if (!pkt_parse((uint8_t *)f, len, &k) || k.proto != PROTO_UDP || !k.whole || !k.l4 ||
	    k.l4len < 8)
		return false;
	if (k.family == AF_INET ? memcmp(k.dst, &p->gw4, 4)
				: !p->ipv6 || memcmp(k.dst, &p->gw6, 16))
		return false;
	ulen = rd16(k.l4 + 4);
	if (rd16(k.l4 + 2) != 53 || ulen < 8 || ulen > k.l4len)
		return false;
	q->family = k.family;
	memcpy(q->mac, f + 6, 6);
	memset(q->addr, 0, sizeof(q->addr));
	memcpy(q->addr, k.src, alen(&k));
	q->port = rd16(k.l4);
	q->msg = k.l4 + 8;
	q->len = ulen - 8;
	return true;
}

size_t rk_frame_dns_reply(const struct rk_frame_plan *p, const struct rk_frame_dns *q,
			  const uint8_t *msg, size_t len, int mtu, uint8_t *out, size_t size)
{
	size_t iplen = q->family == AF_INET ? 20 : 40, total = RK_FRAME_ETH_HLEN + iplen + 8 + len;
	uint8_t *ip = out + RK_FRAME_ETH_HLEN, *udp = ip + iplen, ph[4] = {0};
	uint32_t sum = 0;

	if (mtu <= 0 || total > size || iplen + 8 + len > (size_t)mtu ||
	    (q->family == AF_INET ? iplen : 0) + 8 + len > 0xffff)
		return 0;
	memcpy(out, q->mac, 6);
	memcpy(out + 6, rk_frame_gw_mac, 6);
	wr16(out + 12, q->family == AF_INET ? ETH_P_IP4 : ETH_P_IP6);
	memset(ip, 0, iplen);
	if (q->family == AF_INET) {
		ip[0] = 0x45;
		wr16(ip + 2, (uint16_t)(iplen + 8 + len));
		wr16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = PROTO_UDP;
		memcpy(ip + 12, &p->gw4, 4);
		memcpy(ip + 16, q->addr, 4);
		wr16(ip + 10, rk_csum_fold(rk_csum_add(0, ip, 20)));
		sum = rk_csum_add(sum, ip + 12, 8);
	} else {
		ip[0] = 0x60;
		wr16(ip + 4, (uint16_t)(8 + len));
		ip[6] = PROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, &p->gw6, 16);
		memcpy(ip + 24, q->addr, 16);
		sum = rk_csum_add(sum, ip + 8, 32);
	}
	wr16(udp, 53);
	wr16(udp + 2, q->port);
	wr16(udp + 4, (uint16_t)(8 + len));
	wr16(udp + 6, 0);
	memcpy(udp + 8, msg, len);
	ph[1] = PROTO_UDP;
	wr16(ph + 2, (uint16_t)(8 + len));
	sum = rk_csum_add(sum, ph, 4);
	sum = rk_csum_add(sum, udp, 8 + len);
	wr16(udp + 6, rk_csum_fold(sum) ? rk_csum_fold(sum) : 0xffff);
	return total;
}
