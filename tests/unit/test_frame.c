// SPDX-License-Identifier: Apache-2.0
/*
 * test_frame.c - the built-in stack's frame rewrite (net/frame.h): the gateway <-> alias rewrite
 * both ways for IPv4 and IPv6 (checksums verified from scratch by the test's own reference
 * implementation), what stays at the gateway, what is dropped, libslirp's MACs in Ethernet, ARP
 * and NDP, ICMP error quotes, router advertisements, the TCP facts for ACK coalescing, and every
 * truncation of every test frame in both directions.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/frame.h"

#define ETH	    RK_FRAME_ETH_HLEN
#define FRAME_MAX   512
#define GUARD	    64
#define P_ICMP	    1
#define P_TCP	    6
#define P_UDP	    17
#define P_ICMP6	    58
#define T_FIN	    0x01
#define T_SYN	    0x02
#define T_RST	    0x04
#define T_PSH	    0x08
#define T_ACK	    0x10
#define GUEST4	    "10.0.2.100"
#define GW4	    "10.0.2.1"
#define ALIAS4	    "10.0.2.2"
#define REMOTE4	    "93.184.216.34"
#define GUEST6	    "fd00::100"
#define GW6	    "fd00::1"
#define ALIAS6	    "fd00::2"
#define SNMC_GW6    "ff02::1:ff00:1"
#define SNMC_ALIAS6 "ff02::1:ff00:2"

static const uint8_t guest_mac[6] = {0x02, 0x00, 0x0a, 0x00, 0x02, 0x64};
static const uint8_t slirp_gw_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x01};
static const uint8_t slirp_alias_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
static const uint8_t other_mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t gw_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd};

struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
};

/* ---- byte order and addresses ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void addr(const char *s, uint8_t *out)
{
	assert_int_equal(inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, out), 1);
}

static bool addr_is(const uint8_t *p, const char *s)
{
	uint8_t a[16];

	addr(s, a);
	return !memcmp(p, a, strchr(s, ':') ? 16 : 4);
}

static struct rk_frame_plan plan(bool ipv6, bool drop_ra)
{
	struct rk_frame_plan p = {.ipv6 = ipv6, .drop_ra = drop_ra};

	addr(GW4, (uint8_t *)&p.gw4);
	addr(ALIAS4, (uint8_t *)&p.alias4);
	addr(GW6, p.gw6.s6_addr);
	addr(ALIAS6, p.alias6.s6_addr);
	return p;
}

/* ---- the reference Internet checksum (RFC 1071), independent of rk_csum_* ---- */

static uint32_t ref_sum(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static bool is_ip4(const struct frame *fr)
{
	return get16(fr->b + 12) == 0x0800;
}

static uint8_t *ip_hdr(struct frame *fr)
{
	return fr->b + ETH;
}

static uint8_t *l4(struct frame *fr)
{
	return fr->b + ETH + (is_ip4(fr) ? (fr->b[ETH] & 0xf) * 4 : 40);
}

static size_t l4_len(struct frame *fr)
{
	const uint8_t *ip = ip_hdr(fr);

	return is_ip4(fr) ? get16(ip + 2) - (size_t)(ip[0] & 0xf) * 4 : get16(ip + 4);
}

static uint8_t l4_proto(struct frame *fr)
{
	return is_ip4(fr) ? ip_hdr(fr)[9] : ip_hdr(fr)[6];
}

/* The sum over the transport part and its pseudo-header (none for ICMPv4). */
static uint32_t ref_l4_sum(struct frame *fr)
{
	const uint8_t *ip = ip_hdr(fr);
	uint32_t n = (uint32_t)l4_len(fr), sum = 0;
	uint8_t ph[8] = {0};

	if (is_ip4(fr)) {
		if (ip[9] != P_ICMP) {
			sum = ref_sum(sum, ip + 12, 8);
			ph[1] = ip[9];
			put16(ph + 2, n);
			sum = ref_sum(sum, ph, 4);
		}
	} else {
		sum = ref_sum(sum, ip + 8, 32);
		put32(ph, n);
		ph[7] = ip[6];
		sum = ref_sum(sum, ph, 8);
	}
	return ref_sum(sum, l4(fr), n);
}

static uint8_t *l4_csum_field(struct frame *fr)
{
	switch (l4_proto(fr)) {
	case P_TCP:
		return l4(fr) + 16;
	case P_UDP:
		return l4(fr) + 6;
	default:
		return l4(fr) + 2;
	}
}

static void set_l4_csum(struct frame *fr)
{
	uint8_t *c = l4_csum_field(fr);
	uint16_t v;

	put16(c, 0);
	v = ref_fold(ref_l4_sum(fr));
	put16(c, v == 0 && l4_proto(fr) == P_UDP ? 0xffff : v);
}

static bool l4_csum_ok(struct frame *fr)
{
	return ref_fold(ref_l4_sum(fr)) == 0;
}

static void set_ip4_csum(uint8_t *ip)
{
	put16(ip + 10, 0);
	put16(ip + 10, ref_fold(ref_sum(0, ip, (size_t)(ip[0] & 0xf) * 4)));
}

static bool ip4_csum_ok(const uint8_t *ip)
{
	return ref_fold(ref_sum(0, ip, (size_t)(ip[0] & 0xf) * 4)) == 0;
}

/* ---- frame builders (guest -> stack MACs; from_stack() turns them around) ---- */

static void put_eth(struct frame *fr, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(fr->b, dst, 6);
	memcpy(fr->b + 6, src, 6);
	put16(fr->b + 12, type);
}

static struct frame *from_stack(struct frame *fr, const uint8_t *src_mac)
{
	memcpy(fr->b, guest_mac, 6);
	memcpy(fr->b + 6, src_mac, 6);
	return fr;
}

static struct frame ip4(uint8_t proto, const char *src, const char *dst, size_t n)
{
	struct frame fr = {.len = ETH + 20 + n};
	uint8_t *ip = ip_hdr(&fr);

	put_eth(&fr, slirp_gw_mac, guest_mac, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, 20 + n);
	put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = proto;
	addr(src, ip + 12);
	addr(dst, ip + 16);
	set_ip4_csum(ip);
	return fr;
}

static struct frame ip6(uint8_t nh, const char *src, const char *dst, size_t n)
{
	struct frame fr = {.len = ETH + 40 + n};
	uint8_t *ip = ip_hdr(&fr);

	put_eth(&fr, slirp_gw_mac, guest_mac, 0x86dd);
	ip[0] = 0x60;
	put16(ip + 4, n);
	ip[6] = nh;
	ip[7] = 255;
	addr(src, ip + 8);
	addr(dst, ip + 24);
	return fr;
}

static struct frame ipx(uint8_t proto, const char *src, const char *dst, size_t n)
{
	return strchr(src, ':') ? ip6(proto, src, dst, n) : ip4(proto, src, dst, n);
}

static struct frame tcp(const char *src, const char *dst, uint16_t sport, uint16_t dport,
			uint8_t flags, uint32_t ack, size_t paylen)
{
	struct frame fr = ipx(P_TCP, src, dst, 20 + paylen);
	uint8_t *t = l4(&fr);

	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, 1000);
	put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 29200);
	memset(t + 20, 'x', paylen);
	set_l4_csum(&fr);
	return fr;
}

static struct frame udp(const char *src, const char *dst, uint16_t dport, size_t paylen)
{
	struct frame fr = ipx(P_UDP, src, dst, 8 + paylen);
	uint8_t *u = l4(&fr);

	put16(u, 41000);
	put16(u + 2, dport);
	put16(u + 4, 8 + paylen);
	memset(u + 8, 'y', paylen);
	set_l4_csum(&fr);
	return fr;
}

static struct frame icmp4_echo(const char *src, const char *dst)
{
	struct frame fr = ip4(P_ICMP, src, dst, 16);
	uint8_t *ic = l4(&fr);

	ic[0] = 8;
	put16(ic + 4, 0x4242);
	put16(ic + 6, 1);
	memset(ic + 8, 'z', 8);
	set_l4_csum(&fr);
	return fr;
}

/* An ICMPv4 port unreachable from @src to @dst quoting the IP header and 8 bytes of @orig. */
static struct frame icmp4_unreach(const char *src, const char *dst, struct frame *orig)
{
	struct frame fr = ip4(P_ICMP, src, dst, 8 + 28);
	uint8_t *ic = l4(&fr);

	ic[0] = 3;
	ic[1] = 3;
	memcpy(ic + 8, ip_hdr(orig), 28);
	set_l4_csum(&fr);
	return fr;
}

/* An ICMPv6 destination unreachable quoting the first 48 bytes of @orig. */
static struct frame icmp6_unreach(const char *src, const char *dst, struct frame *orig)
{
	struct frame fr = ip6(P_ICMP6, src, dst, 8 + 48);
	uint8_t *ic = l4(&fr);

	ic[0] = 1;
	ic[1] = 4;
	memcpy(ic + 8, ip_hdr(orig), 48);
	set_l4_csum(&fr);
	return fr;
}

/* An NDP message of @type with @body_len bytes before one link-layer option (@opt, @mac). */
static struct frame ndp(uint8_t type, const char *src, const char *dst, const char *target,
			size_t body_len, uint8_t opt, const uint8_t *mac)
{
	struct frame fr = ip6(P_ICMP6, src, dst, body_len + 8);
	uint8_t *ic = l4(&fr);

	ic[0] = type;
	if (type == 136)
		ic[4] = 0x60; /* solicited, override */
	if (target)
		addr(target, ic + 8);
	ic[body_len] = opt;
	ic[body_len + 1] = 1;
	memcpy(ic + body_len + 2, mac, 6);
	set_l4_csum(&fr);
	return fr;
}

static struct frame ns6(const char *src, const char *dst, const char *target)
{
	return ndp(135, src, dst, target, 24, 1, guest_mac);
}

static struct frame na6(const char *src, const char *dst, const char *target, const uint8_t *mac)
{
	return ndp(136, src, dst, target, 24, 2, mac);
}

static struct frame ra6(const uint8_t *mac)
{
	struct frame fr = ndp(134, "fe80::2", "ff02::1", NULL, 16, 1, mac);

	l4(&fr)[4] = 64; /* hop limit */
	set_l4_csum(&fr);
	return fr;
}

static struct frame arp(uint16_t op, const uint8_t *sha, const char *spa, const char *tpa)
{
	struct frame fr = {.len = ETH + 28};
	uint8_t *a = fr.b + ETH;

	put_eth(&fr, op == 1 ? bcast_mac : guest_mac, sha, 0x0806);
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	addr(spa, a + 14);
	if (op == 2)
		memcpy(a + 18, guest_mac, 6);
	addr(tpa, a + 24);
	return fr;
}

/* The piece [@off, @off+@n) of the transport part of @whole as an IPv4 fragment. */
static struct frame fragment(struct frame *whole, size_t off, size_t n, bool more)
{
	struct frame fr = *whole;
	uint8_t *ip = ip_hdr(&fr);

	memcpy(l4(&fr), l4(whole) + off, n);
	put16(ip + 2, 20 + n);
	put16(ip + 6, (more ? 0x2000 : 0) | (uint32_t)off / 8);
	set_ip4_csum(ip);
	fr.len = ETH + 20 + n;
	return fr;
}

/* ---- running the rewrite ---- */

static enum rk_frame_verdict guest(const struct rk_frame_plan *p, struct frame *fr,
				   struct rk_frame_info *fi)
{
	struct rk_frame_info dummy;

	return rk_frame_from_guest(p, fr->b, fr->len, fi ? fi : &dummy);
}

static enum rk_frame_verdict stack(const struct rk_frame_plan *p, struct frame *fr,
				   struct rk_frame_info *fi)
{
	struct rk_frame_info dummy;

	return rk_frame_to_guest(p, fr->b, fr->len, fi ? fi : &dummy);
}

static void assert_guest_untouched(const struct rk_frame_plan *p, struct frame fr)
{
	struct frame before = fr;

	assert_int_equal(guest(p, &fr, NULL), RK_FRAME_PASS);
	assert_memory_equal(fr.b, before.b, fr.len);
}

/* ---- guest -> stack ---- */

/* The test's own checksums must see a changed address, or the tests below prove nothing. */
static void test_reference_checksums_see_changes(void **state)
{
	struct frame t4 = tcp(GUEST4, GW4, 40000, 80, T_ACK, 1, 3);
	struct frame t6 = tcp(GUEST6, GW6, 40000, 80, T_ACK, 1, 3);

	assert_true(ip4_csum_ok(ip_hdr(&t4)));
	assert_true(l4_csum_ok(&t4));
	assert_true(l4_csum_ok(&t6));
	ip_hdr(&t4)[19] = 2;
	ip_hdr(&t6)[39] = 2;
	assert_false(ip4_csum_ok(ip_hdr(&t4)));
	assert_false(l4_csum_ok(&t4));
	assert_false(l4_csum_ok(&t6));
}

static void test_guest_tcp4_to_gw_rewritten(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame fr = tcp(GUEST4, GW4, 40000, 80, T_ACK | T_PSH, 1, 10);

	assert_int_equal(guest(&p, &fr, NULL), RK_FRAME_PASS);
	assert_true(addr_is(ip_hdr(&fr) + 16, ALIAS4));
	assert_true(addr_is(ip_hdr(&fr) + 12, GUEST4));
	assert_true(ip4_csum_ok(ip_hdr(&fr)));
	assert_true(l4_csum_ok(&fr));
}

static void test_guest_udp4_to_gw_rewritten(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame fr = udp(GUEST4, GW4, 8080, 13);

	assert_int_equal(guest(&p, &fr, NULL), RK_FRAME_PASS);
	assert_true(addr_is(ip_hdr(&fr) + 16, ALIAS4));
	assert_true(ip4_csum_ok(ip_hdr(&fr)));
	assert_true(l4_csum_ok(&fr));
}

static void test_guest_udp4_zero_csum_stays_zero(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame fr = udp(GUEST4, GW4, 8080, 13);

	put16(l4(&fr) + 6, 0);
	assert_int_equal(guest(&p, &fr, NULL), RK_FRAME_PASS);
	assert_true(addr_is(ip_hdr(&fr) + 16, ALIAS4));
	assert_true(ip4_csum_ok(ip_hdr(&fr)));
	assert_int_equal(get16(l4(&fr) + 6), 0);
}

static void test_guest_dns_to_gw_not_rewritten(void **state)
{
	struct rk_frame_plan p = plan(true, false);

	assert_guest_untouched(&p, udp(GUEST4, GW4, 53, 30));
	assert_guest_untouched(&p, tcp(GUEST4, GW4, 40000, 53, T_SYN, 0, 0));
	assert_guest_untouched(&p, udp(GUEST6, GW6, 53, 30));
	assert_guest_untouched(&p, tcp(GUEST6, GW6, 40000, 53, T_SYN, 0, 0));
}

/* fi.dns tells the stack which frames to hand to the DNS forwarder: UDP to the gateway's 53 */
static void test_guest_dns_flag(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct rk_frame_info fi;
	struct frame fr;

	fr = udp(GUEST4, GW4, 53, 30);
	assert_int_equal(rk_frame_from_guest(&p, fr.b, fr.len, &fi), RK_FRAME_PASS);
	assert_true(fi.dns);
	fr = udp(GUEST6, GW6, 53, 30);
	assert_int_equal(rk_frame_from_guest(&p, fr.b, fr.len, &fi), RK_FRAME_PASS);
	assert_true(fi.dns);
	fr = tcp(GUEST4, GW4, 40000, 53, T_SYN, 0, 0);
	assert_int_equal(rk_frame_from_guest(&p, fr.b, fr.len, &fi), RK_FRAME_PASS);
	assert_false(fi.dns);
	fr = udp(GUEST4, GW4, 5353, 30);
	assert_int_equal(rk_frame_from_guest(&p, fr.b, fr.len, &fi), RK_FRAME_PASS);
	assert_false(fi.dns);
	fr = udp(GUEST4, "198.18.0.1", 53, 30);
	assert_int_equal(rk_frame_from_guest(&p, fr.b, fr.len, &fi), RK_FRAME_PASS);
	assert_false(fi.dns);
}

static void test_guest_icmp4_echo_to_gw_rewritten(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame fr = icmp4_echo(GUEST4, GW4);
	uint16_t csum = get16(l4(&fr) + 2);

	assert_int_equal(guest(&p, &fr, NULL), RK_FRAME_PASS);
	assert_true(addr_is(ip_hdr(&fr) + 16, ALIAS4));
	assert_true(ip4_csum_ok(ip_hdr(&fr)));
	assert_int_equal(get16(l4(&fr) + 2), csum);
	assert_true(l4_csum_ok(&fr));
}

static void test_guest_to_other_hosts_untouched(void **state)
{
	struct rk_frame_plan p = plan(true, false);

	assert_guest_untouched(&p, tcp(GUEST4, REMOTE4, 40000, 80, T_ACK, 5, 0));
	assert_guest_untouched(&p, udp(GUEST6, "2001:db8::1", 443, 20));
}

static void test_guest_to_alias_dropped(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct frame t4 = tcp(GUEST4, ALIAS4, 40000, 80, T_SYN, 0, 0);
	struct frame u4 = udp(GUEST4, ALIAS4, 53, 10);
	struct frame e4 = icmp4_echo(GUEST4, ALIAS4);
	struct frame t6 = tcp(GUEST6, ALIAS6, 40000, 80, T_SYN, 0, 0);
	struct frame u6 = udp(GUEST6, ALIAS6, 53, 10);

	assert_int_equal(guest(&p, &t4, NULL), RK_FRAME_DROP);
	assert_int_equal(guest(&p, &u4, NULL), RK_FRAME_DROP);
	assert_int_equal(guest(&p, &e4, NULL), RK_FRAME_DROP);
	assert_int_equal(guest(&p, &t6, NULL), RK_FRAME_DROP);
	assert_int_equal(guest(&p, &u6, NULL), RK_FRAME_DROP);
}

static void test_guest_arp_for_alias_dropped(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame fr = arp(1, guest_mac, GUEST4, ALIAS4);

	assert_int_equal(guest(&p, &fr, NULL), RK_FRAME_DROP);
}

static void test_guest_arp_for_gw_passes(void **state)
{
	struct rk_frame_plan p = plan(false, false);

	assert_guest_untouched(&p, arp(1, guest_mac, GUEST4, GW4));
	assert_guest_untouched(&p, arp(2, guest_mac, GUEST4, GW4));
}

static void test_guest_tcp6_to_gw_rewritten(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct frame fr = tcp(GUEST6, GW6, 40000, 8080, T_ACK | T_PSH, 1, 7);

	assert_int_equal(guest(&p, &fr, NULL), RK_FRAME_PASS);
	assert_true(addr_is(ip_hdr(&fr) + 24, ALIAS6));
	assert_true(addr_is(ip_hdr(&fr) + 8, GUEST6));
	assert_true(l4_csum_ok(&fr));
}

static void test_guest_udp6_and_echo6_to_gw_rewritten(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct frame u = udp(GUEST6, GW6, 8080, 9);
	struct frame e = ip6(P_ICMP6, GUEST6, GW6, 12);

	l4(&e)[0] = 128; /* echo request */
	set_l4_csum(&e);
	assert_int_equal(guest(&p, &u, NULL), RK_FRAME_PASS);
	assert_int_equal(guest(&p, &e, NULL), RK_FRAME_PASS);
	assert_true(addr_is(ip_hdr(&u) + 24, ALIAS6));
	assert_true(addr_is(ip_hdr(&e) + 24, ALIAS6));
	assert_true(l4_csum_ok(&u));
	assert_true(l4_csum_ok(&e));
}

static void test_guest_tcp6_untouched_without_ipv6(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame fr = tcp(GUEST6, GW6, 40000, 8080, T_ACK, 1, 0);
	struct rk_frame_info fi;

	assert_guest_untouched(&p, fr);
	assert_int_equal(guest(&p, &fr, &fi), RK_FRAME_PASS);
	assert_false(fi.tcp);
}

static void test_guest_ns_to_gw_not_rewritten(void **state)
{
	struct rk_frame_plan p = plan(true, false);

	assert_guest_untouched(&p, ns6(GUEST6, GW6, GW6));
	assert_guest_untouched(&p, ns6(GUEST6, SNMC_GW6, GW6));
	assert_guest_untouched(&p, na6(GUEST6, GW6, GUEST6, guest_mac));
}

static void test_guest_ns_for_alias_dropped(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct frame mc = ns6(GUEST6, SNMC_ALIAS6, ALIAS6);
	struct frame uc = ns6(GUEST6, GW6, ALIAS6);

	assert_int_equal(guest(&p, &mc, NULL), RK_FRAME_DROP);
	assert_int_equal(guest(&p, &uc, NULL), RK_FRAME_DROP);
}

static void test_guest_ip4_fragments_to_gw(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame whole = tcp(GUEST4, GW4, 40000, 80, T_ACK | T_PSH, 1, 16);
	struct frame first = fragment(&whole, 0, 24, true);
	struct frame last = fragment(&whole, 24, 12, false);
	struct rk_frame_info fi;

	assert_int_equal(guest(&p, &first, &fi), RK_FRAME_PASS);
	assert_false(fi.tcp);
	assert_int_equal(guest(&p, &last, &fi), RK_FRAME_PASS);
	assert_false(fi.tcp);
	assert_true(ip4_csum_ok(ip_hdr(&first)));
	assert_true(ip4_csum_ok(ip_hdr(&last)));
	/* both pieces go to the same place, and the reassembled segment checks out */
	assert_true(addr_is(ip_hdr(&first) + 16, ALIAS4));
	assert_true(addr_is(ip_hdr(&last) + 16, ALIAS4));
	whole = tcp(GUEST4, ALIAS4, 0, 0, 0, 0, 16);
	memcpy(l4(&whole), l4(&first), 24);
	memcpy(l4(&whole) + 24, l4(&last), 12);
	assert_true(l4_csum_ok(&whole));
}

/* ---- stack -> guest ---- */

static void test_stack_slirp_src_mac_rewritten(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame fr = udp(REMOTE4, GUEST4, 41000, 20);
	struct frame before;

	from_stack(&fr, slirp_alias_mac);
	before = fr;
	assert_int_equal(stack(&p, &fr, NULL), RK_FRAME_PASS);
	assert_memory_equal(fr.b, guest_mac, 6);
	assert_memory_equal(fr.b + 6, gw_mac, 6);
	assert_memory_equal(fr.b + 12, before.b + 12, fr.len - 12);
}

static void test_stack_other_mac_untouched(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame fr = udp(REMOTE4, GUEST4, 41000, 20);
	struct frame before;

	from_stack(&fr, other_mac);
	before = fr;
	assert_int_equal(stack(&p, &fr, NULL), RK_FRAME_PASS);
	assert_memory_equal(fr.b, before.b, fr.len);
}

static void test_stack_arp_reply_mac_rewritten(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame fr = arp(2, slirp_gw_mac, GW4, GUEST4);

	assert_int_equal(stack(&p, &fr, NULL), RK_FRAME_PASS);
	assert_memory_equal(fr.b + 6, gw_mac, 6);
	assert_memory_equal(fr.b + ETH + 8, gw_mac, 6);
	assert_true(addr_is(fr.b + ETH + 14, GW4));
	assert_memory_equal(fr.b + ETH + 18, guest_mac, 6);
	assert_true(addr_is(fr.b + ETH + 24, GUEST4));
}

static void test_stack_arp_request_from_alias_rewritten(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame fr = arp(1, slirp_alias_mac, ALIAS4, GUEST4);

	assert_int_equal(stack(&p, &fr, NULL), RK_FRAME_PASS);
	assert_memory_equal(fr.b + ETH + 8, gw_mac, 6);
	assert_true(addr_is(fr.b + ETH + 14, GW4));
	assert_true(addr_is(fr.b + ETH + 24, GUEST4));
}

static void test_stack_tcp4_from_alias_rewritten(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame fr = tcp(ALIAS4, GUEST4, 80, 40000, T_ACK | T_PSH, 77, 100);

	from_stack(&fr, slirp_alias_mac);
	assert_int_equal(stack(&p, &fr, NULL), RK_FRAME_PASS);
	assert_true(addr_is(ip_hdr(&fr) + 12, GW4));
	assert_true(addr_is(ip_hdr(&fr) + 16, GUEST4));
	assert_true(ip4_csum_ok(ip_hdr(&fr)));
	assert_true(l4_csum_ok(&fr));
}

static void test_stack_udp6_from_alias_rewritten(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct frame fr = udp(ALIAS6, GUEST6, 41000, 33);

	from_stack(&fr, slirp_alias_mac);
	assert_int_equal(stack(&p, &fr, NULL), RK_FRAME_PASS);
	assert_true(addr_is(ip_hdr(&fr) + 8, GW6));
	assert_true(l4_csum_ok(&fr));
}

static void test_stack_icmp4_unreach_quote_rewritten(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame orig = udp(GUEST4, ALIAS4, 8080, 10);
	struct frame fr = icmp4_unreach(ALIAS4, GUEST4, &orig);
	uint8_t *quote;

	from_stack(&fr, slirp_alias_mac);
	assert_int_equal(stack(&p, &fr, NULL), RK_FRAME_PASS);
	quote = l4(&fr) + 8;
	assert_true(addr_is(ip_hdr(&fr) + 12, GW4));
	assert_true(ip4_csum_ok(ip_hdr(&fr)));
	assert_true(addr_is(quote + 12, GUEST4));
	assert_true(addr_is(quote + 16, GW4));
	assert_true(ip4_csum_ok(quote));
	assert_true(l4_csum_ok(&fr));
}

static void test_stack_icmp6_unreach_quote_rewritten(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct frame orig = udp(GUEST6, ALIAS6, 8080, 10);
	struct frame fr = icmp6_unreach(ALIAS6, GUEST6, &orig);

	from_stack(&fr, slirp_alias_mac);
	assert_int_equal(stack(&p, &fr, NULL), RK_FRAME_PASS);
	assert_true(addr_is(ip_hdr(&fr) + 8, GW6));
	assert_true(addr_is(l4(&fr) + 8 + 24, GW6));
	assert_true(l4_csum_ok(&fr));
}

static void test_stack_na6_option_mac_rewritten(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct frame fr = na6(GW6, GUEST6, GW6, slirp_gw_mac);

	from_stack(&fr, slirp_gw_mac);
	assert_int_equal(stack(&p, &fr, NULL), RK_FRAME_PASS);
	assert_memory_equal(fr.b + 6, gw_mac, 6);
	assert_int_equal(l4(&fr)[24], 2);
	assert_memory_equal(l4(&fr) + 26, gw_mac, 6);
	assert_true(l4_csum_ok(&fr));
}

/* libslirp's IPv6 side: 52:56:<low 32 bits of the address> (in6_compute_ethaddr) */
static void test_stack_na6_ipv6_style_mac_rewritten(void **state)
{
	static const uint8_t m6[6] = {0x52, 0x56, 0, 0, 0, 1};
	struct rk_frame_plan p = plan(true, false);
	struct frame fr = na6(GW6, GUEST6, GW6, m6);

	from_stack(&fr, m6);
	assert_int_equal(stack(&p, &fr, NULL), RK_FRAME_PASS);
	assert_memory_equal(fr.b + 6, gw_mac, 6);
	assert_memory_equal(l4(&fr) + 26, gw_mac, 6);
	assert_true(l4_csum_ok(&fr));
}

static void test_stack_ns6_from_alias_rewritten(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct frame fr = ndp(135, ALIAS6, "ff02::1:ff00:100", GUEST6, 24, 1, slirp_alias_mac);

	from_stack(&fr, slirp_alias_mac);
	assert_int_equal(stack(&p, &fr, NULL), RK_FRAME_PASS);
	assert_true(addr_is(ip_hdr(&fr) + 8, GW6));
	assert_memory_equal(l4(&fr) + 26, gw_mac, 6);
	assert_true(l4_csum_ok(&fr));
}

static void test_stack_ra_dropped_with_drop_ra(void **state)
{
	struct rk_frame_plan p = plan(true, true);
	struct frame fr = ra6(slirp_alias_mac);

	from_stack(&fr, slirp_alias_mac);
	assert_int_equal(stack(&p, &fr, NULL), RK_FRAME_DROP);
}

static void test_stack_ra_kept_without_drop_ra(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct frame fr = ra6(slirp_alias_mac);

	from_stack(&fr, slirp_alias_mac);
	assert_int_equal(stack(&p, &fr, NULL), RK_FRAME_PASS);
	assert_memory_equal(l4(&fr) + 18, gw_mac, 6);
	assert_true(l4_csum_ok(&fr));
}

/* ---- rk_frame_info and rk_frame_ack_supersedes ---- */

static struct rk_frame_info info(struct frame fr)
{
	struct rk_frame_plan p = plan(true, false);
	struct rk_frame_info fi;

	assert_int_equal(guest(&p, &fr, &fi), RK_FRAME_PASS);
	return fi;
}

static struct rk_frame_info ack_info(uint16_t sport, uint32_t ack, size_t paylen)
{
	return info(tcp(GUEST4, REMOTE4, sport, 443, T_ACK, ack, paylen));
}

static void test_info_pure_ack(void **state)
{
	struct rk_frame_info fi = info(tcp(GUEST4, REMOTE4, 40000, 443, T_ACK, 0x11223344, 0));

	assert_true(fi.tcp);
	assert_true(fi.has_ack);
	assert_true(fi.pure_ack);
	assert_int_equal(fi.paylen, 0);
	assert_int_equal(fi.family, AF_INET);
	assert_true(addr_is(fi.src, GUEST4));
	assert_true(addr_is(fi.dst, REMOTE4));
	assert_int_equal(fi.sport, 40000);
	assert_int_equal(fi.dport, 443);
	assert_int_equal(fi.ack, 0x11223344);
	assert_int_equal(fi.win, 29200);
}

static void test_info_tcp6_segment_with_payload(void **state)
{
	struct rk_frame_info fi = info(tcp(GUEST6, "2001:db8::1", 40001, 8443, T_ACK, 9, 123));

	assert_true(fi.tcp);
	assert_true(fi.has_ack);
	assert_false(fi.pure_ack);
	assert_int_equal(fi.paylen, 123);
	assert_int_equal(fi.family, AF_INET6);
	assert_true(addr_is(fi.src, GUEST6));
	assert_true(addr_is(fi.dst, "2001:db8::1"));
	assert_int_equal(fi.sport, 40001);
	assert_int_equal(fi.dport, 8443);
}

static void test_info_flags_not_pure(void **state)
{
	assert_false(info(tcp(GUEST4, REMOTE4, 1, 2, T_ACK | T_SYN, 1, 0)).pure_ack);
	assert_false(info(tcp(GUEST4, REMOTE4, 1, 2, T_ACK | T_FIN, 1, 0)).pure_ack);
	assert_false(info(tcp(GUEST4, REMOTE4, 1, 2, T_ACK | T_RST, 1, 0)).pure_ack);
	assert_false(info(tcp(GUEST4, REMOTE4, 1, 2, T_SYN, 0, 0)).has_ack);
	assert_true(info(tcp(GUEST4, REMOTE4, 1, 2, T_ACK | T_PSH, 1, 0)).pure_ack);
}

static void test_info_not_tcp(void **state)
{
	assert_false(info(udp(GUEST4, REMOTE4, 53, 10)).tcp);
	assert_false(info(icmp4_echo(GUEST4, REMOTE4)).tcp);
	assert_false(info(arp(1, guest_mac, GUEST4, GW4)).tcp);
}

static void test_supersedes_higher_ack(void **state)
{
	struct rk_frame_info a = ack_info(40000, 1000, 0), b = ack_info(40000, 2000, 0);

	assert_true(rk_frame_ack_supersedes(&a, &b));
	assert_false(rk_frame_ack_supersedes(&b, &a));
}

static void test_supersedes_across_wraparound(void **state)
{
	struct rk_frame_info a = ack_info(40000, 0xfffffff0u, 0), b = ack_info(40000, 0x10, 0);

	assert_true(rk_frame_ack_supersedes(&a, &b));
	assert_false(rk_frame_ack_supersedes(&b, &a));
}

static void test_supersedes_not_duplicate_ack(void **state)
{
	struct rk_frame_info a = ack_info(40000, 1000, 0), b = ack_info(40000, 1000, 0);

	assert_false(rk_frame_ack_supersedes(&a, &b));
}

static void test_supersedes_not_other_port(void **state)
{
	struct rk_frame_info a = ack_info(40000, 1000, 0), b = ack_info(40001, 2000, 0);

	assert_false(rk_frame_ack_supersedes(&a, &b));
}

static void test_supersedes_not_other_address(void **state)
{
	struct rk_frame_info a = ack_info(40000, 1000, 0);
	struct rk_frame_info b = info(tcp(GUEST4, "93.184.216.35", 40000, 443, T_ACK, 2000, 0));

	assert_false(rk_frame_ack_supersedes(&a, &b));
}

static void test_supersedes_not_when_earlier_has_payload(void **state)
{
	struct rk_frame_info a = ack_info(40000, 1000, 5), b = ack_info(40000, 2000, 0);

	assert_false(rk_frame_ack_supersedes(&a, &b));
}

/* ---- robustness: every truncation of every frame, both ways ---- */

static size_t all_frames(struct frame *out)
{
	struct frame o4 = udp(GUEST4, ALIAS4, 8080, 10), o6 = udp(GUEST6, ALIAS6, 8080, 10);
	struct frame whole = tcp(GUEST4, GW4, 40000, 80, T_ACK, 1, 16);
	size_t n = 0;

	out[n++] = tcp(GUEST4, GW4, 40000, 80, T_ACK | T_PSH, 1, 10);
	out[n++] = tcp(ALIAS4, GUEST4, 80, 40000, T_ACK, 1, 0);
	out[n++] = udp(GUEST4, GW4, 8080, 13);
	out[n++] = udp(GUEST4, GW4, 53, 13);
	out[n++] = icmp4_echo(GUEST4, GW4);
	out[n++] = icmp4_unreach(ALIAS4, GUEST4, &o4);
	out[n++] = fragment(&whole, 0, 24, true);
	out[n++] = fragment(&whole, 24, 12, false);
	out[n++] = arp(1, guest_mac, GUEST4, ALIAS4);
	out[n++] = arp(2, slirp_gw_mac, ALIAS4, GUEST4);
	out[n++] = tcp(GUEST6, GW6, 40000, 8080, T_ACK, 1, 7);
	out[n++] = udp(ALIAS6, GUEST6, 41000, 33);
	out[n++] = icmp6_unreach(ALIAS6, GUEST6, &o6);
	out[n++] = ns6(GUEST6, SNMC_ALIAS6, ALIAS6);
	out[n++] = na6(ALIAS6, GUEST6, GW6, slirp_gw_mac);
	out[n++] = ra6(slirp_alias_mac);
	for (size_t i = 0; i < n; i++)
		if (i % 2)
			from_stack(&out[i], slirp_alias_mac);
	return n;
}

/* Run one direction over the first @n bytes of @f: once in a buffer of exactly @n bytes (so
 * ASan sees any read past it) and once with guard bytes after it that must stay as they are. */
static void run_truncated(bool to_guest, const struct rk_frame_plan *p, const uint8_t *f, size_t n)
{
	uint8_t *exact = malloc(n ? n : 1), *guarded = malloc(n + GUARD);
	struct rk_frame_info fi;
	enum rk_frame_verdict v1, v2;

	assert_non_null(exact);
	assert_non_null(guarded);
	memcpy(exact, f, n);
	memcpy(guarded, f, n);
	memset(guarded + n, 0xa5, GUARD);
	v1 = (to_guest ? rk_frame_to_guest : rk_frame_from_guest)(p, exact, n, &fi);
	v2 = (to_guest ? rk_frame_to_guest : rk_frame_from_guest)(p, guarded, n, &fi);
	assert_int_equal(v1, v2);
	assert_memory_equal(exact, guarded, n);
	for (size_t i = 0; i < GUARD; i++)
		assert_int_equal(guarded[n + i], 0xa5);
	free(exact);
	free(guarded);
}

static void run_all_truncations(bool to_guest)
{
	struct frame frames[32];
	size_t n = all_frames(frames);

	for (int pv = 0; pv < 4; pv++) {
		struct rk_frame_plan p = plan(pv & 1, pv & 2);

		for (size_t i = 0; i < n; i++)
			for (size_t len = 0; len <= frames[i].len; len++)
				run_truncated(to_guest, &p, frames[i].b, len);
	}
}

static void test_truncated_from_guest(void **state)
{
	run_all_truncations(false);
}

static void test_truncated_to_guest(void **state)
{
	run_all_truncations(true);
}

/* ---- the DNS forwarder's frames: rk_frame_dns_query and rk_frame_dns_reply ---- */

/* A query for example.com A (29 bytes: odd, so the checksums' padding is exercised). */
// clang-format off
static const uint8_t dns_q[] = {
	0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
};

/* An answer to it (45 bytes). */
static const uint8_t dns_a[] = {
	0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
	0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34,
};
// clang-format on

/* A UDP datagram from @src (port 41000) to @dst port @dport carrying dns_q. */
static struct frame dns_frame(const char *src, const char *dst, uint16_t dport)
{
	struct frame fr = udp(src, dst, dport, sizeof(dns_q));

	memcpy(l4(&fr) + 8, dns_q, sizeof(dns_q));
	set_l4_csum(&fr);
	return fr;
}

/* rk_frame_dns_query() on @fr, which must stay as it is, and on a copy in an exact-size heap
 * buffer (ASan sees any read past the frame), which must give the same answer. */
static bool dns_query(const struct rk_frame_plan *p, struct frame *fr, struct rk_frame_dns *q)
{
	uint8_t *exact = malloc(fr->len ? fr->len : 1);
	struct frame before = *fr;
	struct rk_frame_dns q2;
	bool ok, ok2;

	assert_non_null(exact);
	memcpy(exact, fr->b, fr->len);
	memset(q, 0xa5, sizeof(*q));
	ok = rk_frame_dns_query(p, fr->b, fr->len, q);
	ok2 = rk_frame_dns_query(p, exact, fr->len, &q2);
	assert_int_equal(ok, ok2);
	assert_memory_equal(fr->b, before.b, fr->len);
	if (ok) {
		assert_int_equal(q2.family, q->family);
		assert_int_equal(q2.len, q->len);
		assert_int_equal(q2.msg - exact, q->msg - fr->b);
		assert_true(q->msg >= fr->b && q->msg + q->len <= fr->b + fr->len);
	}
	free(exact);
	return ok;
}

static void assert_query_of(const struct rk_frame_dns *q, struct frame *fr, const char *guest)
{
	size_t n = strchr(guest, ':') ? 16 : 4;

	assert_int_equal(q->family, n == 4 ? AF_INET : AF_INET6);
	assert_memory_equal(q->mac, guest_mac, 6);
	assert_true(addr_is(q->addr, guest));
	for (size_t i = n; i < sizeof(q->addr); i++)
		assert_int_equal(q->addr[i], 0);
	assert_int_equal(q->port, 41000);
	assert_ptr_equal(q->msg, l4(fr) + 8);
}

static void test_dns_query4_recognised(void **state)
{
	struct frame fr = dns_frame(GUEST4, GW4, 53);
	struct rk_frame_dns q;

	for (int pv = 0; pv < 4; pv++) {
		struct rk_frame_plan p = plan(pv & 1, pv & 2);

		assert_true(dns_query(&p, &fr, &q));
		assert_query_of(&q, &fr, GUEST4);
		assert_int_equal(q.len, sizeof(dns_q));
		assert_memory_equal(q.msg, dns_q, sizeof(dns_q));
	}
}

static void test_dns_query6_recognised(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct frame fr = dns_frame(GUEST6, GW6, 53);
	struct rk_frame_dns q;

	assert_true(dns_query(&p, &fr, &q));
	assert_query_of(&q, &fr, GUEST6);
	assert_int_equal(q.len, sizeof(dns_q));
	assert_memory_equal(q.msg, dns_q, sizeof(dns_q));

	/* from a link-local address too */
	fr = dns_frame("fe80::5", GW6, 53);
	assert_true(dns_query(&p, &fr, &q));
	assert_query_of(&q, &fr, "fe80::5");
}

/* What the lengths may be: Ethernet padding, a UDP length short of the IP payload, an empty
 * message, IPv4 options, DF. */
static void test_dns_query_lengths_and_headers(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct frame fr = dns_frame(GUEST4, GW4, 53), f6 = dns_frame(GUEST6, GW6, 53);
	struct rk_frame_dns q;
	uint8_t *ip;

	/* Ethernet padding after the IP packet is not part of the message */
	fr.len += 18;
	f6.len += 18;
	assert_true(dns_query(&p, &fr, &q));
	assert_int_equal(q.len, sizeof(dns_q));
	assert_true(dns_query(&p, &f6, &q));
	assert_int_equal(q.len, sizeof(dns_q));

	/* the UDP length rules when it is shorter than the IP payload */
	fr = dns_frame(GUEST4, GW4, 53);
	put16(l4(&fr) + 4, 8 + 12);
	assert_true(dns_query(&p, &fr, &q));
	assert_int_equal(q.len, 12);
	f6 = dns_frame(GUEST6, GW6, 53);
	put16(l4(&f6) + 4, 8 + 12);
	assert_true(dns_query(&p, &f6, &q));
	assert_int_equal(q.len, 12);

	/* an empty message is still a datagram to port 53 (the forwarder judges the message) */
	fr = udp(GUEST4, GW4, 53, 0);
	assert_true(dns_query(&p, &fr, &q));
	assert_int_equal(q.len, 0);
	assert_ptr_equal(q.msg, l4(&fr) + 8);

	/* DF set */
	fr = dns_frame(GUEST4, GW4, 53);
	put16(ip_hdr(&fr) + 6, 0x4000);
	set_ip4_csum(ip_hdr(&fr));
	assert_true(dns_query(&p, &fr, &q));

	/* IPv4 options (IHL 6): the message starts after them */
	fr = dns_frame(GUEST4, GW4, 53);
	ip = ip_hdr(&fr);
	memmove(ip + 24, ip + 20, 8 + sizeof(dns_q));
	memset(ip + 20, 1, 4); /* NOPs */
	ip[0] = 0x46;
	put16(ip + 2, 24 + 8 + sizeof(dns_q));
	fr.len += 4;
	set_ip4_csum(ip);
	set_l4_csum(&fr);
	assert_true(dns_query(&p, &fr, &q));
	assert_query_of(&q, &fr, GUEST4);
	assert_ptr_equal(q.msg, ip + 24 + 8);
	assert_int_equal(q.len, sizeof(dns_q));
	assert_memory_equal(q.msg, dns_q, sizeof(dns_q));
}

static void test_dns_query_not_recognised(void **state)
{
	struct rk_frame_plan p = plan(true, false), p4 = plan(false, false);
	struct frame fr;
	struct rk_frame_dns q;

	/* other ports */
	fr = dns_frame(GUEST4, GW4, 5353);
	assert_false(dns_query(&p, &fr, &q));
	fr = dns_frame(GUEST4, GW4, 0x3500); /* 53 in the wrong byte order */
	assert_false(dns_query(&p, &fr, &q));
	fr = dns_frame(GUEST6, GW6, 54);
	assert_false(dns_query(&p, &fr, &q));
	fr = dns_frame(GUEST4, GW4, 41000); /* from port 53 to another is no query */
	put16(l4(&fr), 53);
	set_l4_csum(&fr);
	assert_false(dns_query(&p, &fr, &q));

	/* other destinations */
	fr = dns_frame(GUEST4, REMOTE4, 53);
	assert_false(dns_query(&p, &fr, &q));
	fr = dns_frame(GUEST4, ALIAS4, 53);
	assert_false(dns_query(&p, &fr, &q));
	fr = dns_frame(GUEST4, "255.255.255.255", 53);
	assert_false(dns_query(&p, &fr, &q));
	fr = dns_frame(GW4, GUEST4, 53);
	assert_false(dns_query(&p, &fr, &q));
	fr = dns_frame(GUEST6, ALIAS6, 53);
	assert_false(dns_query(&p, &fr, &q));
	fr = dns_frame(GUEST6, "fd00::3", 53);
	assert_false(dns_query(&p, &fr, &q));
	fr = dns_frame(GUEST6, "::ffff:10.0.2.1", 53); /* the IPv4 gateway, mapped */
	assert_false(dns_query(&p, &fr, &q));

	/* IPv6 without --ipv6 */
	fr = dns_frame(GUEST6, GW6, 53);
	assert_false(dns_query(&p4, &fr, &q));
	assert_false(dns_query(&(struct rk_frame_plan){.ipv6 = false}, &fr, &q));

	/* TCP to port 53 */
	fr = tcp(GUEST4, GW4, 41000, 53, T_SYN, 0, 0);
	assert_false(dns_query(&p, &fr, &q));
	fr = tcp(GUEST4, GW4, 41000, 53, T_ACK | T_PSH, 1, 31);
	assert_false(dns_query(&p, &fr, &q));
	fr = tcp(GUEST6, GW6, 41000, 53, T_ACK | T_PSH, 1, 31);
	assert_false(dns_query(&p, &fr, &q));

	/* other protocols to the gateway: ICMP, ARP */
	fr = icmp4_echo(GUEST4, GW4);
	assert_false(dns_query(&p, &fr, &q));
	fr = arp(1, guest_mac, GUEST4, GW4);
	assert_false(dns_query(&p, &fr, &q));
}

static void test_dns_query_fragments_not_recognised(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct frame whole = dns_frame(GUEST4, GW4, 53), fr;
	struct rk_frame_dns q;

	/* the first fragment (MF) holds a complete-looking UDP header to port 53 */
	fr = fragment(&whole, 0, 24, true);
	assert_int_equal(get16(l4(&fr) + 2), 53);
	assert_false(dns_query(&p, &fr, &q));
	fr = fragment(&whole, 24, 8 + sizeof(dns_q) - 24, false);
	assert_false(dns_query(&p, &fr, &q));

	/* the whole datagram with only the fragment bits changed */
	fr = whole;
	put16(ip_hdr(&fr) + 6, 0x2000); /* MF, offset 0 */
	set_ip4_csum(ip_hdr(&fr));
	assert_false(dns_query(&p, &fr, &q));
	fr = whole;
	put16(ip_hdr(&fr) + 6, 0x0001); /* offset 8, last fragment */
	set_ip4_csum(ip_hdr(&fr));
	assert_false(dns_query(&p, &fr, &q));
	fr = whole;
	put16(ip_hdr(&fr) + 6, 0x6000); /* DF and MF */
	set_ip4_csum(ip_hdr(&fr));
	assert_false(dns_query(&p, &fr, &q));

	/* IPv6 with a fragment header (44) or a hop-by-hop header (0) before the UDP header */
	fr = dns_frame(GUEST6, GW6, 53);
	ip_hdr(&fr)[6] = 44;
	assert_false(dns_query(&p, &fr, &q));
	ip_hdr(&fr)[6] = 0;
	assert_false(dns_query(&p, &fr, &q));
}

static void test_dns_query_bad_lengths_not_recognised(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	const char *srcs[] = {GUEST4, GUEST6}, *dsts[] = {GW4, GW6};
	struct rk_frame_dns q;

	for (int i = 0; i < 2; i++) {
		struct frame good = dns_frame(srcs[i], dsts[i], 53), fr;
		uint16_t ulen = 8 + sizeof(dns_q);
		uint16_t bad[] = {ulen + 1, 0xffff, 7, 1, 0};

		assert_true(dns_query(&p, &good, &q));
		/* the UDP length beyond the IP payload (even with Ethernet padding there), or < 8
		 */
		for (size_t j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			fr = good;
			put16(l4(&fr) + 4, bad[j]);
			assert_false(dns_query(&p, &fr, &q));
			fr.len += 32;
			assert_false(dns_query(&p, &fr, &q));
		}
		/* the IP length too short for the UDP header */
		fr = good;
		if (i == 0) {
			put16(ip_hdr(&fr) + 2, 20 + 7);
			set_ip4_csum(ip_hdr(&fr));
		} else {
			put16(ip_hdr(&fr) + 4, 7);
		}
		assert_false(dns_query(&p, &fr, &q));
		/* the IP length beyond the frame */
		fr = good;
		fr.len--;
		assert_false(dns_query(&p, &fr, &q));
		/* every truncation of the frame */
		for (size_t len = 0; len < good.len; len++) {
			fr = good;
			fr.len = len;
			assert_false(dns_query(&p, &fr, &q));
		}
	}
}

/* Check reply @fr (from rk_frame_dns_reply for @q) from scratch: headers, checksums, payload. */
static void assert_dns_reply(struct frame *fr, const struct rk_frame_dns *q, const uint8_t *msg,
			     size_t len)
{
	const uint8_t *ip = ip_hdr(fr), *u = l4(fr);
	bool v4 = q->family == AF_INET;

	assert_int_equal(fr->len, ETH + (v4 ? 20 : 40) + 8 + len);
	assert_memory_equal(fr->b, q->mac, 6);
	assert_memory_equal(fr->b + 6, gw_mac, 6);
	assert_int_equal(get16(fr->b + 12), v4 ? 0x0800 : 0x86dd);
	if (v4) {
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(get16(ip + 2), 20 + 8 + len);
		assert_int_equal(get16(ip + 6) & 0x3fff, 0); /* no fragment */
		assert_true(ip[8] > 0);
		assert_int_equal(ip[9], P_UDP);
		assert_true(addr_is(ip + 12, GW4));
		assert_memory_equal(ip + 16, q->addr, 4);
		assert_true(ip4_csum_ok(ip));
	} else {
		assert_int_equal(ip[0] >> 4, 6);
		assert_int_equal(get16(ip + 4), 8 + len);
		assert_int_equal(ip[6], P_UDP);
		assert_true(ip[7] > 0);
		assert_true(addr_is(ip + 8, GW6));
		assert_memory_equal(ip + 24, q->addr, 16);
	}
	assert_int_equal(get16(u), 53);
	assert_int_equal(get16(u + 2), q->port);
	assert_int_equal(get16(u + 4), 8 + len);
	assert_int_not_equal(get16(u + 6), 0); /* a checksum is set (IPv6 requires one) */
	assert_true(l4_csum_ok(fr));
	assert_memory_equal(u + 8, msg, len);
}

/* rk_frame_dns_reply() into @fr (its whole buffer), MTU 1500. */
static size_t dns_reply(const struct rk_frame_plan *p, const struct rk_frame_dns *q,
			const uint8_t *msg, size_t len, struct frame *fr)
{
	memset(fr->b, 0xa5, sizeof(fr->b));
	fr->len = rk_frame_dns_reply(p, q, msg, len, 1500, fr->b, sizeof(fr->b));
	return fr->len;
}

static void test_dns_reply4(void **state)
{
	struct rk_frame_plan p = plan(false, false);
	struct frame qf = dns_frame(GUEST4, GW4, 53), rep;
	struct rk_frame_dns q;

	assert_true(dns_query(&p, &qf, &q));
	assert_int_equal(dns_reply(&p, &q, dns_a, sizeof(dns_a), &rep),
			 ETH + 20 + 8 + sizeof(dns_a));
	assert_dns_reply(&rep, &q, dns_a, sizeof(dns_a));
	for (size_t i = rep.len; i < sizeof(rep.b); i++)
		assert_int_equal(rep.b[i], 0xa5);

	/* an even length, an empty message, another guest port */
	assert_int_equal(dns_reply(&p, &q, dns_a, 44, &rep), ETH + 20 + 8 + 44);
	assert_dns_reply(&rep, &q, dns_a, 44);
	assert_int_equal(dns_reply(&p, &q, dns_a, 0, &rep), ETH + 20 + 8);
	assert_dns_reply(&rep, &q, dns_a, 0);
	q.port = 53;
	assert_int_equal(dns_reply(&p, &q, dns_a, 1, &rep), ETH + 20 + 8 + 1);
	assert_dns_reply(&rep, &q, dns_a, 1);
}

static void test_dns_reply6(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	struct frame qf = dns_frame(GUEST6, GW6, 53), rep;
	struct rk_frame_dns q;

	assert_true(dns_query(&p, &qf, &q));
	assert_int_equal(dns_reply(&p, &q, dns_a, sizeof(dns_a), &rep),
			 ETH + 40 + 8 + sizeof(dns_a));
	assert_dns_reply(&rep, &q, dns_a, sizeof(dns_a));
	for (size_t i = rep.len; i < sizeof(rep.b); i++)
		assert_int_equal(rep.b[i], 0xa5);
	assert_int_equal(dns_reply(&p, &q, dns_a, 0, &rep), ETH + 40 + 8);
	assert_dns_reply(&rep, &q, dns_a, 0);

	qf = dns_frame("fe80::5", GW6, 53);
	assert_true(dns_query(&p, &qf, &q));
	assert_int_equal(dns_reply(&p, &q, dns_a, 44, &rep), ETH + 40 + 8 + 44);
	assert_dns_reply(&rep, &q, dns_a, 44);
}

/* A UDP checksum that computes to 0 is sent as 0xffff: over every 2-byte message, the field is
 * never 0, always verifies, and 0xffff does occur. */
static void test_dns_reply_checksum_never_zero(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	const char *srcs[] = {GUEST4, GUEST6}, *dsts[] = {GW4, GW6};

	for (int i = 0; i < 2; i++) {
		struct frame qf = dns_frame(srcs[i], dsts[i], 53), rep;
		struct rk_frame_dns q;
		bool seen_ffff = false;

		assert_true(dns_query(&p, &qf, &q));
		for (uint32_t w = 0; w <= 0xffff; w++) {
			uint8_t m[2] = {(uint8_t)(w >> 8), (uint8_t)w};

			assert_int_equal(
			    rk_frame_dns_reply(&p, &q, m, 2, 1500, rep.b, sizeof(rep.b)),
			    ETH + (i ? 40 : 20) + 10);
			rep.len = ETH + (i ? 40 : 20) + 10;
			assert_int_not_equal(get16(l4(&rep) + 6), 0);
			assert_true(l4_csum_ok(&rep));
			seen_ffff |= get16(l4(&rep) + 6) == 0xffff;
		}
		assert_true(seen_ffff);
	}
}

static void test_dns_reply_buffer_too_small(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	const char *srcs[] = {GUEST4, GUEST6}, *dsts[] = {GW4, GW6};

	for (int i = 0; i < 2; i++) {
		struct frame qf = dns_frame(srcs[i], dsts[i], 53), rep;
		size_t need = ETH + (i ? 40 : 20) + 8 + sizeof(dns_a);
		struct rk_frame_dns q;
		uint8_t *exact = malloc(need);

		assert_non_null(exact);
		assert_true(dns_query(&p, &qf, &q));
		/* one byte short, much too short, nothing: 0, and nothing written */
		for (size_t size = 0; size < need; size++) {
			memset(rep.b, 0xa5, sizeof(rep.b));
			assert_int_equal(
			    rk_frame_dns_reply(&p, &q, dns_a, sizeof(dns_a), 1500, rep.b, size), 0);
			for (size_t j = 0; j < sizeof(rep.b); j++)
				assert_int_equal(rep.b[j], 0xa5);
		}
		/* exactly enough, in a heap buffer of that size */
		assert_int_equal(
		    rk_frame_dns_reply(&p, &q, dns_a, sizeof(dns_a), 1500, exact, need), need);
		memcpy(rep.b, exact, need);
		rep.len = need;
		assert_dns_reply(&rep, &q, dns_a, sizeof(dns_a));
		free(exact);
	}
}

static void test_dns_reply_mtu(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	const char *srcs[] = {GUEST4, GUEST6}, *dsts[] = {GW4, GW6};
	static uint8_t big[65536 + 64], msg[65536];

	for (int i = 0; i < 2; i++) {
		struct frame qf = dns_frame(srcs[i], dsts[i], 53);
		int iplen = i ? 40 : 20, mtu = iplen + 8 + (int)sizeof(dns_a);
		struct rk_frame_dns q;

		assert_true(dns_query(&p, &qf, &q));
		/* the IP packet (header + UDP + message) against the MTU; Ethernet not counted */
		assert_int_equal(
		    rk_frame_dns_reply(&p, &q, dns_a, sizeof(dns_a), mtu, big, sizeof(big)),
		    ETH + (size_t)mtu);
		assert_int_equal(
		    rk_frame_dns_reply(&p, &q, dns_a, sizeof(dns_a), mtu - 1, big, sizeof(big)), 0);
		assert_int_equal(rk_frame_dns_reply(&p, &q, dns_a, 0, 0, big, sizeof(big)), 0);
		assert_int_equal(rk_frame_dns_reply(&p, &q, dns_a, 0, iplen + 7, big, sizeof(big)),
				 0);
		/* the usual 1500: 1472 (IPv4) or 1452 (IPv6) bytes of message */
		memset(msg, 0x5c, sizeof(msg));
		assert_int_equal(rk_frame_dns_reply(&p, &q, msg, 1500 - (size_t)iplen - 8, 1500,
						    big, sizeof(big)),
				 ETH + 1500);
		assert_int_equal(rk_frame_dns_reply(&p, &q, msg, 1500 - (size_t)iplen - 7, 1500,
						    big, sizeof(big)),
				 0);
		/* the largest MTU the options allow (65521) */
		assert_int_equal(rk_frame_dns_reply(&p, &q, msg, 65521 - (size_t)iplen - 8, 65521,
						    big, sizeof(big)),
				 ETH + 65521);
		/* a UDP length that would not fit in 16 bits, whatever the MTU */
		assert_int_equal(
		    rk_frame_dns_reply(&p, &q, msg, 0xffff - 7, 1 << 20, big, sizeof(big)), 0);
	}
}

/* Query in, reply out: the reply carries the message it was given, to where the query came
 * from, and the frame rewrite toward the guest leaves it as it is. */
static void test_dns_reply_round_trip(void **state)
{
	struct rk_frame_plan p = plan(true, false);
	const char *srcs[] = {GUEST4, GUEST6}, *dsts[] = {GW4, GW6};

	for (int i = 0; i < 2; i++) {
		struct frame qf = dns_frame(srcs[i], dsts[i], 53), rep, before;
		struct rk_frame_dns q;
		struct rk_frame_info fi;

		assert_true(dns_query(&p, &qf, &q));
		assert_true(dns_reply(&p, &q, q.msg, q.len, &rep) > 0);
		assert_dns_reply(&rep, &q, dns_q, sizeof(dns_q));
		assert_memory_equal(l4(&rep) + 8, l4(&qf) + 8, sizeof(dns_q));
		/* addresses and ports are the query's, swapped */
		if (i == 0) {
			assert_memory_equal(ip_hdr(&rep) + 12, ip_hdr(&qf) + 16, 4);
			assert_memory_equal(ip_hdr(&rep) + 16, ip_hdr(&qf) + 12, 4);
		} else {
			assert_memory_equal(ip_hdr(&rep) + 8, ip_hdr(&qf) + 24, 16);
			assert_memory_equal(ip_hdr(&rep) + 24, ip_hdr(&qf) + 8, 16);
		}
		assert_int_equal(get16(l4(&rep)), get16(l4(&qf) + 2));
		assert_int_equal(get16(l4(&rep) + 2), get16(l4(&qf)));
		assert_memory_equal(rep.b, qf.b + 6, 6);
		/* nothing for the rewrite toward the guest to change */
		before = rep;
		assert_int_equal(stack(&p, &rep, &fi), RK_FRAME_PASS);
		assert_memory_equal(rep.b, before.b, rep.len);
		/* and the reply is no query */
		assert_false(dns_query(&p, &rep, &q));
	}
}

/* rk_csum_buf (64-bit accumulation) agrees with the plain 16-bit sum at every length and
 * alignment */
static void test_csum_buf_matches_plain_sum(void **state)
{
	static uint8_t buf[4096 + 8];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= sizeof(buf); len += (len < 64 ? 1 : 61))
			assert_int_equal(rk_csum_fold(rk_csum_buf(buf + off, len)),
					 rk_csum_fold(rk_csum_add(0, buf + off, len)));
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(rk_csum_fold(rk_csum_buf(buf, sizeof(buf))),
			 rk_csum_fold(rk_csum_add(0, buf, sizeof(buf))));
}

/* A frame from a tap with offloads: NEEDS_CSUM fills in the transport checksum over
 * [csum_start, end) with the pseudo-header sum the sender left in the field. */
static void test_vnet_complete_tcp_and_udp(void **state)
{
	struct rk_vnet_hdr h = {.flags = RK_VNET_NEEDS_CSUM, .csum_start = 14 + 20};
	struct frame fr = tcp(GUEST4, GW4, 40000, 80, 0x18, 1000, 7);
	uint8_t *t = l4(&fr);
	uint8_t ph[12];
	uint16_t len = (uint16_t)(fr.len - 14 - 20);

	/* what the guest's kernel leaves: the folded pseudo-header sum, not complemented */
	memcpy(ph, ip_hdr(&fr) + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = (uint8_t)(len >> 8);
	ph[11] = (uint8_t)len;
	t[16] = t[17] = 0;
	{
		uint16_t p = (uint16_t)~rk_csum_fold(rk_csum_add(0, ph, 12));
		t[16] = (uint8_t)(p >> 8);
		t[17] = (uint8_t)p;
	}
	h.csum_offset = 16;
	assert_int_equal(rk_frame_vnet_complete(&h, fr.b, fr.len), 0);
	assert_true(l4_csum_ok(&fr));
	/* offsets outside the frame: refused */
	h.csum_start = (uint16_t)fr.len;
	assert_int_equal(rk_frame_vnet_complete(&h, fr.b, fr.len), -EINVAL);
	h.csum_start = 14 + 20;
	h.csum_offset = (uint16_t)(fr.len - 14 - 20 - 1);
	assert_int_equal(rk_frame_vnet_complete(&h, fr.b, fr.len), -EINVAL);
	/* no NEEDS_CSUM: untouched */
	h.flags = 0;
	assert_int_equal(rk_frame_vnet_complete(&h, fr.b, fr.len), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reference_checksums_see_changes),
	    cmocka_unit_test(test_guest_tcp4_to_gw_rewritten),
	    cmocka_unit_test(test_guest_udp4_to_gw_rewritten),
	    cmocka_unit_test(test_guest_udp4_zero_csum_stays_zero),
	    cmocka_unit_test(test_guest_dns_to_gw_not_rewritten),
	    cmocka_unit_test(test_guest_dns_flag),
	    cmocka_unit_test(test_guest_icmp4_echo_to_gw_rewritten),
	    cmocka_unit_test(test_guest_to_other_hosts_untouched),
	    cmocka_unit_test(test_guest_to_alias_dropped),
	    cmocka_unit_test(test_guest_arp_for_alias_dropped),
	    cmocka_unit_test(test_guest_arp_for_gw_passes),
	    cmocka_unit_test(test_guest_tcp6_to_gw_rewritten),
	    cmocka_unit_test(test_guest_udp6_and_echo6_to_gw_rewritten),
	    cmocka_unit_test(test_guest_tcp6_untouched_without_ipv6),
	    cmocka_unit_test(test_guest_ns_to_gw_not_rewritten),
	    cmocka_unit_test(test_guest_ns_for_alias_dropped),
	    cmocka_unit_test(test_guest_ip4_fragments_to_gw),
	    cmocka_unit_test(test_stack_slirp_src_mac_rewritten),
	    cmocka_unit_test(test_stack_other_mac_untouched),
	    cmocka_unit_test(test_stack_arp_reply_mac_rewritten),
	    cmocka_unit_test(test_stack_arp_request_from_alias_rewritten),
	    cmocka_unit_test(test_stack_tcp4_from_alias_rewritten),
	    cmocka_unit_test(test_stack_udp6_from_alias_rewritten),
	    cmocka_unit_test(test_stack_icmp4_unreach_quote_rewritten),
	    cmocka_unit_test(test_stack_icmp6_unreach_quote_rewritten),
	    cmocka_unit_test(test_stack_na6_option_mac_rewritten),
	    cmocka_unit_test(test_stack_na6_ipv6_style_mac_rewritten),
	    cmocka_unit_test(test_stack_ns6_from_alias_rewritten),
	    cmocka_unit_test(test_stack_ra_dropped_with_drop_ra),
	    cmocka_unit_test(test_stack_ra_kept_without_drop_ra),
	    cmocka_unit_test(test_info_pure_ack),
	    cmocka_unit_test(test_info_tcp6_segment_with_payload),
	    cmocka_unit_test(test_info_flags_not_pure),
	    cmocka_unit_test(test_info_not_tcp),
	    cmocka_unit_test(test_supersedes_higher_ack),
	    cmocka_unit_test(test_supersedes_across_wraparound),
	    cmocka_unit_test(test_supersedes_not_duplicate_ack),
	    cmocka_unit_test(test_supersedes_not_other_port),
	    cmocka_unit_test(test_supersedes_not_other_address),
	    cmocka_unit_test(test_supersedes_not_when_earlier_has_payload),
	    cmocka_unit_test(test_truncated_from_guest),
	    cmocka_unit_test(test_truncated_to_guest),
	    cmocka_unit_test(test_dns_query4_recognised),
	    cmocka_unit_test(test_dns_query6_recognised),
	    cmocka_unit_test(test_dns_query_lengths_and_headers),
	    cmocka_unit_test(test_dns_query_not_recognised),
	    cmocka_unit_test(test_dns_query_fragments_not_recognised),
	    cmocka_unit_test(test_dns_query_bad_lengths_not_recognised),
	    cmocka_unit_test(test_dns_reply4),
	    cmocka_unit_test(test_dns_reply6),
	    cmocka_unit_test(test_dns_reply_checksum_never_zero),
	    cmocka_unit_test(test_dns_reply_buffer_too_small),
	    cmocka_unit_test(test_dns_reply_mtu),
	    cmocka_unit_test(test_dns_reply_round_trip),
	    cmocka_unit_test(test_csum_buf_matches_plain_sum),
	    cmocka_unit_test(test_vnet_complete_tcp_and_udp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
