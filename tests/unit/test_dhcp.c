// SPDX-License-Identifier: Apache-2.0
/*
 * test_dhcp.c - the DHCPv4 client: request building, reply parsing (every rejection), lease
 * extraction with its error texts and defaults; then, as root, the client in throwaway network
 * namespaces against a scripted server and against a real dnsmasq.
 *
 * The namespace tests run in a forked child that unshares a "server" netns (veth end rkd-s,
 * 192.0.2.1/24, the server) and a "client" netns (end rkd-c, no address, the client), so nothing
 * is ever sent outside namespaces the test made. Without root, ip or dnsmasq they are skipped,
 * or fail when CI=true.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "net/dhcp.h"

#define XID	   0x12345678u
#define DNSMASQ	   "/usr/sbin/dnsmasq"
#define NS_SKIP	   77 /* exit status of a namespace child that could not make its namespaces */
#define SERVER_DEV "rkd-s"
#define CLIENT_DEV "rkd-c"

static const unsigned char mac[6] = {0x02, 0x42, 0xc0, 0x00, 0x02, 0x10};
static const unsigned char cookie[4] = {99, 130, 83, 99};

/* ---- the test's own packet writer (server side) ---- */

struct pkt {
	unsigned char b[2048];
	size_t n;
};

static void p_raw(struct pkt *p, const void *v, size_t len)
{
	if (p->n + len > sizeof(p->b))
		abort();
	memcpy(p->b + p->n, v, len);
	p->n += len;
}

static void p_bytes(struct pkt *p, size_t n, ...)
{
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)va_arg(ap, int);

		p_raw(p, &c, 1);
	}
	va_end(ap);
}

static uint32_t addr(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

static void p_opt_addr(struct pkt *p, unsigned int code, const char *a)
{
	uint32_t v = addr(a);

	p_bytes(p, 2, code, 4);
	p_raw(p, &v, 4);
}

/* BOOTREPLY header for @xid and @m, yiaddr @yi (NULL: zero), magic cookie; no options. */
static void p_header(struct pkt *p, uint32_t xid, const unsigned char m[6], const char *yi)
{
	uint32_t y = yi ? addr(yi) : 0, x = htonl(xid);

	memset(p, 0, sizeof(*p));
	p->b[0] = 2;
	p->b[1] = 1;
	p->b[2] = 6;
	memcpy(p->b + 4, &x, 4);
	memcpy(p->b + 16, &y, 4);
	memcpy(p->b + 28, m, 6);
	memcpy(p->b + 236, cookie, 4);
	p->n = 240;
}

enum { NO_MASK = 1, NO_ROUTER = 2, NO_DNS = 4, NO_LEASE = 8, NO_SERVER = 16 };

/* A whole reply of @type from @server: options 53, 54, 1 (/24), 3, 6, 51 (120 s) less @omit. */
static void p_reply(struct pkt *p, int type, uint32_t xid, const unsigned char m[6], const char *yi,
		    const char *server, int omit)
{
	p_header(p, xid, m, yi);
	p_bytes(p, 3, 53, 1, type);
	if (!(omit & NO_SERVER))
		p_opt_addr(p, 54, server);
	if (!(omit & NO_MASK))
		p_opt_addr(p, 1, "255.255.255.0");
	if (!(omit & NO_ROUTER))
		p_opt_addr(p, 3, "192.0.2.1");
	if (!(omit & NO_DNS))
		p_opt_addr(p, 6, "192.0.2.1");
	if (!(omit & NO_LEASE))
		p_bytes(p, 6, 51, 4, 0, 0, 0, 120);
	p_bytes(p, 1, 255);
}

static int parse(const struct pkt *p, struct rk_dhcp_reply *r)
{
	return rk_dhcp_parse(p->b, p->n, XID, mac, r);
}

/* Value of option @code in the built request @b (@n bytes), or NULL. */
static const unsigned char *find_opt(const unsigned char *b, size_t n, unsigned int code,
				     size_t *len)
{
	size_t i = 240;

	while (i < n && b[i] != 255) {
		if (b[i] == 0) {
			i++;
			continue;
		}
		if (i + 1 >= n || i + 2 + b[i + 1] > n)
			return NULL;
		if (b[i] == code) {
			*len = b[i + 1];
			return b + i + 2;
		}
		i += 2 + (size_t)b[i + 1];
	}
	return NULL;
}

/* ---- building ---- */

static void test_build_discover(void **state)
{
	unsigned char b[RK_DHCP_REQ_MAX];
	static const unsigned char opts[] = {53,   1,	 1,    61, 7,  1, 0x02, 0x42, 0xc0,
					     0x00, 0x02, 0x10, 55, 8,  1, 3,	6,    15,
					     51,   54,	 58,   59, 57, 2, 0x05, 0xdc, 255};
	static const unsigned char opts_hint[] = {
	    53, 1,  1, 61, 7, 1, 0x02, 0x42, 0xc0, 0x00, 0x02, 0x10, 50, 4,    192,  0,	 2,
	    77, 55, 8, 1,  3, 6, 15,   51,   54,   58,	 59,   57,   2,	 0x05, 0xdc, 255};
	struct in_addr none = {0}, hint = {addr("192.0.2.77")};
	int n;

	n = rk_dhcp_build_discover(b, sizeof(b), XID, 7, mac, none);
	assert_int_equal(n, 300);
	assert_int_equal(b[0], 1); /* BOOTREQUEST */
	assert_int_equal(b[1], 1); /* Ethernet */
	assert_int_equal(b[2], 6);
	assert_int_equal(b[3], 0);
	assert_memory_equal(b + 4, "\x12\x34\x56\x78", 4);
	assert_memory_equal(b + 8, "\x00\x07", 2);	    /* secs */
	assert_memory_equal(b + 10, "\x80\x00", 2);	    /* broadcast flag */
	assert_memory_equal(b + 12, "\0\0\0\0\0\0\0\0", 8); /* ciaddr, yiaddr */
	assert_memory_equal(b + 28, mac, 6);
	assert_memory_equal(b + 236, cookie, 4);
	assert_memory_equal(b + 240, opts, sizeof(opts));
	for (size_t i = 240 + sizeof(opts); i < 300; i++)
		assert_int_equal(b[i], 0);

	n = rk_dhcp_build_discover(b, sizeof(b), XID, 0, mac, hint);
	assert_int_equal(n, 300);
	assert_memory_equal(b + 240, opts_hint, sizeof(opts_hint));

	assert_int_equal(rk_dhcp_build_discover(b, 299, XID, 0, mac, none), -ENOSPC);
	assert_int_equal(rk_dhcp_build_discover(b, 0, XID, 0, mac, none), -ENOSPC);
	assert_int_equal(rk_dhcp_build_discover(b, 300, XID, 0, mac, hint), 300);
}

static void test_build_request(void **state)
{
	unsigned char b[RK_DHCP_REQ_MAX];
	static const unsigned char opts[] = {53,   1,	 3,  61, 7,   1, 0x02, 0x42, 0xc0, 0x00,
					     0x02, 0x10, 50, 4,	 192, 0, 2,    77,   54,   4,
					     192,  0,	 2,  1,	 55,  8, 1,    3,    6,	   15,
					     51,   54,	 58, 59, 57,  2, 0x05, 0xdc, 255};
	struct in_addr ip = {addr("192.0.2.77")}, srv = {addr("192.0.2.1")}, zero = {0};

	assert_int_equal(rk_dhcp_build_request(b, sizeof(b), 0xdeadbeef, 3, mac, ip, srv), 300);
	assert_int_equal(b[0], 1);
	assert_memory_equal(b + 4, "\xde\xad\xbe\xef", 4);
	assert_memory_equal(b + 8, "\x00\x03\x80\x00", 4);
	assert_memory_equal(b + 12, "\0\0\0\0", 4); /* ciaddr stays zero while selecting */
	assert_memory_equal(b + 240, opts, sizeof(opts));
	assert_int_equal(rk_dhcp_build_request(b, sizeof(b), XID, 0, mac, zero, srv), -EINVAL);
	assert_int_equal(rk_dhcp_build_request(b, sizeof(b), XID, 0, mac, ip, zero), -EINVAL);
	assert_int_equal(rk_dhcp_build_request(b, 100, XID, 0, mac, ip, srv), -ENOSPC);
}

/* What we build parses back (as a reply once op is flipped), and is not taken as a reply. */
static void test_build_parse_roundtrip(void **state)
{
	unsigned char b[RK_DHCP_REQ_MAX];
	struct in_addr ip = {addr("192.0.2.77")}, srv = {addr("192.0.2.1")};
	struct rk_dhcp_reply r;
	int n;

	n = rk_dhcp_build_request(b, sizeof(b), XID, 0, mac, ip, srv);
	assert_int_equal(rk_dhcp_parse(b, (size_t)n, XID, mac, &r), -ENOMSG);
	b[0] = 2;
	assert_int_equal(rk_dhcp_parse(b, (size_t)n, XID, mac, &r), 0);
	assert_int_equal(r.msg_type, RK_DHCP_REQUEST);
	assert_true(r.has_server_id);
	assert_int_equal(r.server_id.s_addr, srv.s_addr);
	assert_int_equal(r.yiaddr.s_addr, 0);
	assert_int_equal(r.nrouter, 0);
	assert_int_equal(r.ndns, 0);
	assert_false(r.has_mask);
	assert_false(r.has_lease);

	n = rk_dhcp_build_discover(b, sizeof(b), XID, 0, mac, ip);
	b[0] = 2;
	assert_int_equal(rk_dhcp_parse(b, (size_t)n, XID, mac, &r), 0);
	assert_int_equal(r.msg_type, RK_DHCP_DISCOVER);
	assert_false(r.has_server_id);
}

/* ---- parsing ---- */

static void test_parse_full_reply(void **state)
{
	struct pkt p;
	struct rk_dhcp_reply r;

	p_reply(&p, RK_DHCP_ACK, XID, mac, "192.0.2.120", "192.0.2.1", 0);
	assert_int_equal(parse(&p, &r), 0);
	assert_int_equal(r.msg_type, RK_DHCP_ACK);
	assert_int_equal(r.yiaddr.s_addr, addr("192.0.2.120"));
	assert_true(r.has_server_id && r.has_mask && r.has_lease);
	assert_int_equal(r.server_id.s_addr, addr("192.0.2.1"));
	assert_int_equal(r.mask.s_addr, addr("255.255.255.0"));
	assert_int_equal(r.nrouter, 1);
	assert_int_equal(r.router[0].s_addr, addr("192.0.2.1"));
	assert_int_equal(r.ndns, 1);
	assert_int_equal(r.lease_secs, 120);
	assert_false(r.has_t1 || r.has_t2);
}

/* Pad anywhere, unknown options (also empty ones and overload 52), pad or end after the end,
 * list options split over several TLVs, more addresses than we keep, T1/T2. */
static void test_parse_accepts(void **state)
{
	struct pkt p;
	struct rk_dhcp_reply r;

	p_header(&p, XID, mac, "10.0.3.5");
	p_bytes(&p, 7, 0, 0, 53, 1, 2, 0, 0);
	p_bytes(&p, 5, 200, 3, 1, 2, 3); /* unknown */
	p_bytes(&p, 2, 80, 0);		 /* rapid commit: empty, unused */
	p_bytes(&p, 3, 52, 1, 3);	 /* overload: ignored */
	p_bytes(&p, 5, 12, 3, 'a', 'b', 'c');
	p_bytes(&p, 6, 6, 4, 1, 1, 1, 1);
	p_bytes(&p, 10, 6, 8, 2, 2, 2, 2, 3, 3, 3, 3);
	p_bytes(&p, 6, 6, 4, 4, 4, 4, 4); /* a fourth DNS server: not kept */
	p_bytes(&p, 18, 3, 16, 10, 0, 3, 1, 10, 0, 3, 2, 10, 0, 3, 3, 10, 0, 3, 4);
	p_bytes(&p, 6, 58, 4, 0, 0, 0, 60);
	p_bytes(&p, 6, 59, 4, 0, 0, 0, 105);
	p_bytes(&p, 6, 1, 4, 255, 255, 240, 0);
	p_bytes(&p, 5, 255, 0, 255, 0, 0);
	assert_int_equal(parse(&p, &r), 0);
	assert_int_equal(r.msg_type, RK_DHCP_OFFER);
	assert_int_equal(r.ndns, 3);
	assert_int_equal(r.dns[0].s_addr, addr("1.1.1.1"));
	assert_int_equal(r.dns[1].s_addr, addr("2.2.2.2"));
	assert_int_equal(r.dns[2].s_addr, addr("3.3.3.3"));
	assert_int_equal(r.nrouter, 3);
	assert_int_equal(r.router[0].s_addr, addr("10.0.3.1"));
	assert_true(r.has_t1 && r.has_t2);
	assert_int_equal(r.t1_secs, 60);
	assert_int_equal(r.t2_secs, 105);
	assert_int_equal(r.mask.s_addr, addr("255.255.240.0"));
	assert_false(r.has_server_id);

	/* the smallest reply: header, cookie, message type, end */
	p_header(&p, XID, mac, NULL);
	p_bytes(&p, 4, 53, 1, 6, 255);
	assert_int_equal(p.n, 244);
	assert_int_equal(parse(&p, &r), 0);
	assert_int_equal(r.msg_type, RK_DHCP_NAK);

	/* a reply as long as our receive buffer allows, padded */
	p_header(&p, XID, mac, NULL);
	p_bytes(&p, 4, 53, 1, 5, 255);
	p.n = 1500;
	assert_int_equal(parse(&p, &r), 0);
}

static void test_parse_rejects_header(void **state)
{
	struct pkt p, q;
	struct rk_dhcp_reply r;
	unsigned char other[6] = {0x02, 0x42, 0xc0, 0x00, 0x02, 0x11};

	p_reply(&p, RK_DHCP_OFFER, XID, mac, "192.0.2.120", "192.0.2.1", 0);
	assert_int_equal(parse(&p, &r), 0);
	assert_int_equal(rk_dhcp_parse(NULL, 0, XID, mac, &r), -EBADMSG);
	/* every truncation fails (the end option goes first, then the header) */
	for (size_t n = 0; n < p.n; n++)
		assert_int_equal(rk_dhcp_parse(p.b, n, XID, mac, &r), -EBADMSG);

	q = p;
	q.b[239] = 0x62;
	assert_int_equal(parse(&q, &r), -EBADMSG); /* magic cookie */
	q = p;
	q.b[0] = 1;
	assert_int_equal(parse(&q, &r), -ENOMSG); /* op BOOTREQUEST */
	q.b[0] = 3;
	assert_int_equal(parse(&q, &r), -ENOMSG);
	q = p;
	q.b[1] = 6;
	assert_int_equal(parse(&q, &r), -ENOMSG); /* htype */
	q = p;
	q.b[2] = 16;
	assert_int_equal(parse(&q, &r), -ENOMSG); /* hlen */
	assert_int_equal(rk_dhcp_parse(p.b, p.n, XID + 1, mac, &r), -ENOMSG);
	assert_int_equal(rk_dhcp_parse(p.b, p.n, XID, other, &r), -ENOMSG);
	q = p;
	q.b[33] ^= 1; /* last byte of chaddr */
	assert_int_equal(parse(&q, &r), -ENOMSG);
}

struct bad_opts {
	const char *what;
	unsigned char o[24];
	size_t n;
};

#define BAD(w, ...)                                                                                \
	{                                                                                          \
		w, {__VA_ARGS__}, sizeof((unsigned char[]){__VA_ARGS__})                           \
	}

static const struct bad_opts bad_opts[] = {
    BAD("no options, no end", 0),
    BAD("no end option", 53, 1, 5),
    BAD("length byte missing", 53, 1, 5, 3),
    BAD("value past the end", 53, 1, 5, 3, 8, 192, 0, 2, 1),
    BAD("length past the end", 53, 1, 5, 200, 255, 255),
    BAD("junk after end", 53, 1, 5, 255, 0, 7),
    BAD("no message type", 3, 4, 192, 0, 2, 1, 255),
    BAD("message type len 0", 53, 0, 255),
    BAD("message type len 2", 53, 2, 5, 5, 255),
    BAD("message type twice", 53, 1, 5, 53, 1, 5, 255),
    BAD("mask len 3", 53, 1, 5, 1, 3, 255, 255, 255, 255),
    BAD("mask len 5", 53, 1, 5, 1, 5, 255, 255, 255, 0, 0, 255),
    BAD("mask not contiguous", 53, 1, 5, 1, 4, 255, 0, 255, 0, 255),
    BAD("mask zero", 53, 1, 5, 1, 4, 0, 0, 0, 0, 255),
    BAD("mask twice", 53, 1, 5, 1, 4, 255, 0, 0, 0, 1, 4, 255, 0, 0, 0, 255),
    BAD("router len 0", 53, 1, 5, 3, 0, 255),
    BAD("router len 5", 53, 1, 5, 3, 5, 1, 2, 3, 4, 5, 255),
    BAD("dns len 2", 53, 1, 5, 6, 2, 1, 2, 255),
    BAD("dns len 6", 53, 1, 5, 6, 6, 1, 2, 3, 4, 5, 6, 255),
    BAD("lease len 3", 53, 1, 5, 51, 3, 0, 0, 120, 255),
    BAD("lease len 8", 53, 1, 5, 51, 8, 0, 0, 0, 120, 0, 0, 0, 120, 255),
    BAD("lease twice", 53, 1, 5, 51, 4, 0, 0, 0, 120, 51, 4, 0, 0, 0, 120, 255),
    BAD("server id len 0", 53, 1, 5, 54, 0, 255),
    BAD("server id len 5", 53, 1, 5, 54, 5, 192, 0, 2, 1, 0, 255),
    BAD("server id twice", 53, 1, 5, 54, 4, 192, 0, 2, 1, 54, 4, 192, 0, 2, 2, 255),
    BAD("t1 len 2", 53, 1, 5, 58, 2, 0, 60, 255),
    BAD("t2 len 5", 53, 1, 5, 59, 5, 0, 0, 0, 0, 60, 255),
};

static void test_parse_rejects_options(void **state)
{
	struct pkt p;
	struct rk_dhcp_reply r;

	for (size_t i = 0; i < sizeof(bad_opts) / sizeof(bad_opts[0]); i++) {
		p_header(&p, XID, mac, "192.0.2.120");
		p_raw(&p, bad_opts[i].o, bad_opts[i].n);
		if (parse(&p, &r) != -EBADMSG)
			fail_msg("accepted: %s", bad_opts[i].what);
	}
	/* the header alone (240 bytes, no options at all) */
	p_header(&p, XID, mac, NULL);
	assert_int_equal(parse(&p, &r), -EBADMSG);
}

/* ---- lease extraction ---- */

static void expect_lease_error(const struct pkt *p, const char *text)
{
	struct rk_dhcp_reply r;
	struct rk_dhcp_lease l;
	struct rk_err err;

	rk_err_clear(&err);
	assert_int_equal(parse(p, &r), 0);
	assert_int_equal(rk_dhcp_reply_lease(&r, &l, &err), -EPROTO);
	assert_int_equal(err.code, EPROTO);
	assert_string_equal(err.msg, text);
}

static void test_lease_errors(void **state)
{
	struct pkt p;
	struct rk_dhcp_reply r;
	struct rk_dhcp_lease l;

	p_reply(&p, RK_DHCP_OFFER, XID, mac, "192.0.2.120", "192.0.2.1", 0);
	expect_lease_error(&p, "did not get DHCPACK");
	p_reply(&p, RK_DHCP_NAK, XID, mac, NULL, "192.0.2.1", ~NO_SERVER);
	expect_lease_error(&p, "did not get DHCPACK");
	p_reply(&p, RK_DHCP_ACK, XID, mac, NULL, "192.0.2.1", 0);
	expect_lease_error(&p, "got zero YourIPAddr");
	p_reply(&p, RK_DHCP_ACK, XID, mac, "192.0.2.120", "192.0.2.1", NO_ROUTER);
	expect_lease_error(&p, "got no Router");
	p_reply(&p, RK_DHCP_ACK, XID, mac, "192.0.2.120", "192.0.2.1", NO_DNS);
	expect_lease_error(&p, "got no DNS");
	/* checked in upstream's order */
	p_reply(&p, RK_DHCP_ACK, XID, mac, NULL, "192.0.2.1", NO_ROUTER | NO_DNS);
	expect_lease_error(&p, "got zero YourIPAddr");
	p_reply(&p, RK_DHCP_ACK, XID, mac, "192.0.2.120", "192.0.2.1", NO_ROUTER | NO_DNS);
	expect_lease_error(&p, "got no Router");
	/* @err may be NULL */
	assert_int_equal(parse(&p, &r), 0);
	assert_int_equal(rk_dhcp_reply_lease(&r, &l, NULL), -EPROTO);
}

static void test_lease_values_and_defaults(void **state)
{
	static const struct {
		const char *ip;
		int prefix;
		const char *mask;
	} classful[] = {{"10.0.3.5", 8, "255.0.0.0"},	     {"127.1.2.3", 8, "255.0.0.0"},
			{"172.16.0.5", 16, "255.255.0.0"},   {"191.255.0.1", 16, "255.255.0.0"},
			{"192.0.2.5", 24, "255.255.255.0"},  {"223.1.1.1", 24, "255.255.255.0"},
			{"230.0.0.1", 32, "255.255.255.255"}};
	struct pkt p;
	struct rk_dhcp_reply r;
	struct rk_dhcp_lease l;
	struct rk_err err;

	p_reply(&p, RK_DHCP_ACK, XID, mac, "192.0.2.120", "192.0.2.1", 0);
	assert_int_equal(parse(&p, &r), 0);
	assert_int_equal(rk_dhcp_reply_lease(&r, &l, &err), 0);
	assert_int_equal(l.ip.s_addr, addr("192.0.2.120"));
	assert_int_equal(l.prefixlen, 24);
	assert_int_equal(l.mask.s_addr, addr("255.255.255.0"));
	assert_int_equal(l.router.s_addr, addr("192.0.2.1"));
	assert_int_equal(l.server.s_addr, addr("192.0.2.1"));
	assert_int_equal(l.ndns, 1);
	assert_int_equal(l.dns[0].s_addr, addr("192.0.2.1"));
	assert_int_equal(l.lease_secs, 120);

	/* no lease time: one hour; no mask: classful */
	for (size_t i = 0; i < sizeof(classful) / sizeof(classful[0]); i++) {
		p_reply(&p, RK_DHCP_ACK, XID, mac, classful[i].ip, "192.0.2.1", NO_MASK | NO_LEASE);
		assert_int_equal(parse(&p, &r), 0);
		assert_int_equal(rk_dhcp_reply_lease(&r, &l, &err), 0);
		assert_int_equal(l.prefixlen, classful[i].prefix);
		assert_int_equal(l.mask.s_addr, addr(classful[i].mask));
		assert_int_equal(l.lease_secs, RK_DHCP_DEFAULT_LEASE);
	}

	/* first router, up to three DNS servers in order, /20, /32, infinite lease */
	p_header(&p, XID, mac, "10.0.3.77");
	p_bytes(&p, 3, 53, 1, 5);
	p_bytes(&p, 10, 3, 8, 10, 0, 3, 1, 10, 0, 3, 2);
	p_bytes(&p, 18, 6, 16, 9, 9, 9, 1, 9, 9, 9, 2, 9, 9, 9, 3, 9, 9, 9, 4);
	p_bytes(&p, 6, 1, 4, 255, 255, 240, 0);
	p_bytes(&p, 7, 51, 4, 255, 255, 255, 255, 255);
	assert_int_equal(parse(&p, &r), 0);
	assert_int_equal(rk_dhcp_reply_lease(&r, &l, &err), 0);
	assert_int_equal(l.router.s_addr, addr("10.0.3.1"));
	assert_int_equal(l.ndns, 3);
	assert_int_equal(l.dns[0].s_addr, addr("9.9.9.1"));
	assert_int_equal(l.dns[2].s_addr, addr("9.9.9.3"));
	assert_int_equal(l.prefixlen, 20);
	assert_int_equal(l.mask.s_addr, addr("255.255.240.0"));
	assert_int_equal(l.lease_secs, 0xffffffffu);
	assert_int_equal(l.server.s_addr, 0);
	p.b[p.n - 9] = 255; /* mask 255.255.255.255 */
	p.b[p.n - 8] = 255;
	assert_int_equal(parse(&p, &r), 0);
	assert_int_equal(rk_dhcp_reply_lease(&r, &l, &err), 0);
	assert_int_equal(l.prefixlen, 32);
}

static void test_new_rejects_bad_ifname(void **state)
{
	struct rk_dhcp *d = (struct rk_dhcp *)&d;
	struct rk_err err;

	rk_err_clear(&err);
	assert_int_equal(rk_dhcp_new(NULL, mac, &d, &err), -EINVAL);
	assert_null(d);
	assert_int_equal(rk_dhcp_new("", mac, &d, &err), -EINVAL);
	assert_int_equal(rk_dhcp_new("0123456789abcdef", mac, &d, &err), -EINVAL);
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, "invalid interface name"));
	rk_dhcp_free(NULL);
}

/* ---- namespaces: plumbing for the tests below, run in a forked child ---- */

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);      \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

/* @r must be -@code with message @text in @err. */
#define CHECK_ERR(r, code, text, err)                                                              \
	do {                                                                                       \
		if ((r) != -(code) || strcmp((err)->msg, (text)) != 0) {                           \
			fprintf(stderr, "%s:%d: want -%d \"%s\", got %d \"%s\"\n", __FILE__,       \
				__LINE__, code, text, (int)(r), (err)->msg);                       \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

static const char *ip_bin;

struct nets {
	int sfd, cfd; /* the server's and the client's netns */
	unsigned char mac[6];
};

/* Run @argv (the child's stdout goes to stderr, keeping TAP clean) in netns @nsfd (-1:
 * ours). Return the pid. */
static pid_t spawn(int nsfd, const char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
			_exit(126);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int wait_ok(pid_t pid)
{
	int st;

	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* ip @args (NULL-terminated) in our current netns. */
static int ipcmd(const char *const *args)
{
	const char *argv[16] = {ip_bin};
	size_t n = 1;

	for (; n < 15 && args[n - 1]; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	if (wait_ok(spawn(-1, argv)) < 0) {
		fprintf(stderr, "ip %s ... failed\n", args[0]);
		return -1;
	}
	return 0;
}

#define IP(...) ipcmd((const char *const[]){__VA_ARGS__, NULL})

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, s, strlen(s));
	close(fd);
	return w == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * Make the two namespaces and the veth between them; leave us in the client's. Return 0,
 * NS_SKIP if namespaces cannot be made, or 1.
 */
static int nets_setup(struct nets *n)
{
	char path[64];
	struct ifreq ifr = {0};
	int s;

	n->sfd = n->cfd = -1;
	if (unshare(CLONE_NEWNET) < 0)
		return NS_SKIP;
	/* from here on, everything happens in namespaces of our own */
	n->sfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (n->sfd < 0 || IP("link", "set", "dev", "lo", "up") ||
	    IP("link", "add", "name", SERVER_DEV, "type", "veth", "peer", "name", CLIENT_DEV) ||
	    IP("addr", "add", "192.0.2.1/24", "dev", SERVER_DEV) ||
	    IP("link", "set", "dev", SERVER_DEV, "up"))
		return 1;
	if (unshare(CLONE_NEWNET) < 0)
		return NS_SKIP;
	n->cfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (n->cfd < 0 || setns(n->sfd, CLONE_NEWNET) < 0)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), n->cfd);
	if (IP("link", "set", "dev", CLIENT_DEV, "netns", path) ||
	    setns(n->cfd, CLONE_NEWNET) < 0 || IP("link", "set", "dev", "lo", "up") ||
	    IP("link", "set", "dev", CLIENT_DEV, "up"))
		return 1;
	/*
	 * The client netns has no route to the server, so a reverse-path filter inherited from
	 * the host would drop the broadcast replies before any UDP socket sees them (see dhcp.c);
	 * the lxc-user-nic child must make the same arrangement.
	 */
	if (write_file("/proc/sys/net/ipv4/conf/all/rp_filter", "0") ||
	    write_file("/proc/sys/net/ipv4/conf/" CLIENT_DEV "/rp_filter", "0"))
		return 1;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", CLIENT_DEV);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
		if (s >= 0)
			close(s);
		return 1;
	}
	close(s);
	memcpy(n->mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static void nets_free(struct nets *n)
{
	if (n->sfd >= 0)
		close(n->sfd);
	if (n->cfd >= 0)
		close(n->cfd);
}

/* Run @body in a child process; skip (or, with CI=true, fail) when it cannot run. */
static void run_in_netns(int (*body)(void), bool need_dnsmasq)
{
	static const char *const ips[] = {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"};
	const char *ci = getenv("CI");
	bool strict = ci && strcmp(ci, "true") == 0;
	const char *why = NULL;
	pid_t pid;
	int st;

	ip_bin = NULL;
	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]) && !ip_bin; i++)
		if (access(ips[i], X_OK) == 0)
			ip_bin = ips[i];
	if (geteuid() != 0)
		why = "not root";
	else if (!ip_bin)
		why = "no ip command";
	else if (need_dnsmasq && access(DNSMASQ, X_OK) != 0)
		why = "no " DNSMASQ;
	if (!why) {
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			_exit(body());
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) != NS_SKIP) {
			assert_int_equal(WEXITSTATUS(st), 0);
			return;
		}
		why = "cannot create network namespaces";
	}
	if (strict)
		fail_msg("cannot run with CI=true: %s", why);
	fprintf(stderr, "skipped: %s\n", why);
	skip();
}

/* ---- against a scripted server ---- */

/* A server socket on SERVER_DEV, port 67, made in the server netns. */
static int srv_open(const struct nets *n)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(67)};
	int one = 1, s = -1;

	if (setns(n->sfd, CLONE_NEWNET) < 0)
		return -1;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0 &&
	    (setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	     setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, SERVER_DEV, sizeof(SERVER_DEV)) < 0 ||
	     bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)) {
		close(s);
		s = -1;
	}
	if (setns(n->cfd, CLONE_NEWNET) < 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

static int srv_send(int s, const struct pkt *p)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(68),
				 .sin_addr.s_addr = htonl(INADDR_BROADCAST)};

	return sendto(s, p->b, p->n, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)p->n ? 0
											     : -1;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Drive the client (input and timer) for at most @ms, until it finishes (return its result, 1
 * or < 0) or the server receives a packet (return 2, the packet in @b, its length in *@len).
 * Return 0 on time out.
 */
static int pump(struct rk_dhcp *d, int srv, unsigned char *b, size_t *len, struct rk_dhcp_lease *l,
		struct rk_err *err, int ms)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd[2] = {{.fd = rk_dhcp_fd(d), .events = POLLIN},
					{.fd = srv, .events = POLLIN}};
		long left = ms - elapsed_ms(&t0), t = rk_dhcp_next_timeout_ms(d);
		int r;

		if (left <= 0)
			return 0;
		if (t < 0 || t > left)
			t = left;
		if (poll(pfd, 2, (int)t) < 0 && errno != EINTR)
			return -EIO;
		if (pfd[1].revents & POLLIN) {
			ssize_t n = recv(srv, b, 1500, 0);

			if (n < 0)
				return -EIO;
			*len = (size_t)n;
			return 2;
		}
		if (pfd[0].revents & POLLIN) {
			r = rk_dhcp_input(d, l, err);
			if (r != 0)
				return r;
			/* drain what the server queued before looking at the timer: on a slow
			 * machine the timer may be due already, and a retransmission between two
			 * queued replies is not what the test means to provoke */
			continue;
		}
		if (rk_dhcp_next_timeout_ms(d) == 0) {
			r = rk_dhcp_timeout(d, err);
			if (r != 0)
				return r;
		}
	}
}

/* The server's next packet must be a request of @type from us; return its xid (0: failed). */
static uint32_t want_request(struct rk_dhcp *d, int srv, int type, unsigned char *b, size_t *len,
			     const unsigned char m[6])
{
	struct rk_dhcp_lease l;
	struct rk_err err;
	const unsigned char *v;
	size_t vl;
	uint32_t xid;

	rk_err_clear(&err);
	if (pump(d, srv, b, len, &l, &err, 3000) != 2) {
		fprintf(stderr, "no request from the client (%s)\n", err.msg);
		return 0;
	}
	v = find_opt(b, *len, 53, &vl);
	if (*len < 300 || b[0] != 1 || memcmp(b + 28, m, 6) != 0 || !v || vl != 1 || v[0] != type)
		return 0;
	memcpy(&xid, b + 4, 4);
	return ntohl(xid);
}

/* Run the client to the end of an exchange the server answered; return its result. */
static int finish(struct rk_dhcp *d, int srv, struct rk_dhcp_lease *l, struct rk_err *err)
{
	unsigned char b[1500];
	size_t len = 0;
	int r;

	rk_err_clear(err);
	r = pump(d, srv, b, &len, l, err, 3000);
	return r == 2 ? -EIO : r;
}

/* SELECTING -> REQUESTING with an OFFER of 192.0.2.77 from 192.0.2.1. Return the xid. */
static uint32_t offer(struct rk_dhcp *d, int srv, const unsigned char m[6])
{
	unsigned char b[1500];
	size_t len = 0, vl = 0;
	struct pkt p;
	struct rk_err err;
	const unsigned char *v;
	uint32_t xid;

	if (rk_dhcp_start(d, &err) < 0)
		return 0;
	xid = want_request(d, srv, RK_DHCP_DISCOVER, b, &len, m);
	if (!xid)
		return 0;
	p_reply(&p, RK_DHCP_OFFER, xid, m, "192.0.2.77", "192.0.2.1", 0);
	if (srv_send(srv, &p) < 0 || want_request(d, srv, RK_DHCP_REQUEST, b, &len, m) != xid)
		return 0;
	v = find_opt(b, len, 50, &vl);
	if (!v || vl != 4 || memcmp(v, "\xc0\x00\x02\x4d", 4) != 0)
		return 0;
	v = find_opt(b, len, 54, &vl);
	if (!v || vl != 4 || memcmp(v, "\xc0\x00\x02\x01", 4) != 0)
		return 0;
	return xid;
}

static int body_scripted(void)
{
	struct nets n;
	struct rk_dhcp *d = NULL;
	struct rk_dhcp_lease l;
	struct rk_err err;
	unsigned char b[1500], other[6];
	const unsigned char *v;
	size_t len = 0, vl = 0;
	struct pkt p;
	struct timespec t0;
	uint32_t xid;
	unsigned long dropped;
	int srv = -1, r, rc = 1;

	r = nets_setup(&n);
	if (r != 0) {
		nets_free(&n);
		return r;
	}
	srv = srv_open(&n);
	CHECK(srv >= 0);
	CHECK(rk_dhcp_new(CLIENT_DEV, n.mac, &d, &err) == 0);
	CHECK(rk_dhcp_next_timeout_ms(d) == -1);

	/* garbage and foreign replies are dropped; the good OFFER is requested */
	CHECK(rk_dhcp_start(d, &err) == 0);
	xid = want_request(d, srv, RK_DHCP_DISCOVER, b, &len, n.mac);
	CHECK(xid != 0);
	CHECK(memcmp(b + 10, "\x80\x00", 2) == 0);
	v = find_opt(b, len, 61, &vl);
	CHECK(v && vl == 7 && v[0] == 1 && memcmp(v + 1, n.mac, 6) == 0);
	CHECK(find_opt(b, len, 50, &vl) == NULL);
	p.n = 5;
	memcpy(p.b, "hello", 5);
	CHECK(srv_send(srv, &p) == 0);
	p_reply(&p, RK_DHCP_OFFER, xid + 1, n.mac, "192.0.2.66", "192.0.2.1", 0);
	CHECK(srv_send(srv, &p) == 0);
	memcpy(other, n.mac, 6);
	other[5] ^= 0xff;
	p_reply(&p, RK_DHCP_OFFER, xid, other, "192.0.2.66", "192.0.2.1", 0);
	CHECK(srv_send(srv, &p) == 0);
	p_reply(&p, RK_DHCP_OFFER, xid, n.mac, "192.0.2.66", "192.0.2.1", 0);
	p.b[237] = 0;
	CHECK(srv_send(srv, &p) == 0);
	p.n -= 1; /* no end option */
	p.b[237] = 130;
	CHECK(srv_send(srv, &p) == 0);
	p_reply(&p, RK_DHCP_ACK, xid, n.mac, "192.0.2.66", "192.0.2.1", 0);
	CHECK(srv_send(srv, &p) == 0); /* an ACK before any REQUEST */
	p_reply(&p, RK_DHCP_OFFER, xid, n.mac, NULL, "192.0.2.1", 0);
	CHECK(srv_send(srv, &p) == 0); /* an OFFER of nothing */
	p_reply(&p, RK_DHCP_OFFER, xid, n.mac, "192.0.2.66", "192.0.2.1", NO_SERVER);
	CHECK(srv_send(srv, &p) == 0); /* an OFFER without server id */
	p_reply(&p, RK_DHCP_OFFER, xid, n.mac, "192.0.2.77", "192.0.2.1", 0);
	CHECK(srv_send(srv, &p) == 0);
	p_reply(&p, RK_DHCP_OFFER, xid, n.mac, "192.0.2.88", "192.0.2.9", 0);
	CHECK(srv_send(srv, &p) == 0); /* a second OFFER: ignored */
	CHECK(want_request(d, srv, RK_DHCP_REQUEST, b, &len, n.mac) == xid);
	CHECK(rk_dhcp_dropped(d) >= 8);
	v = find_opt(b, len, 50, &vl);
	CHECK(v && vl == 4 && memcmp(v, "\xc0\x00\x02\x4d", 4) == 0);
	v = find_opt(b, len, 54, &vl);
	CHECK(v && vl == 4 && memcmp(v, "\xc0\x00\x02\x01", 4) == 0);

	/* another server's verdicts do not count; ours: NAK */
	p_reply(&p, RK_DHCP_NAK, xid, n.mac, NULL, "192.0.2.9", NO_MASK | NO_ROUTER | NO_DNS);
	CHECK(srv_send(srv, &p) == 0);
	p_reply(&p, RK_DHCP_ACK, xid, n.mac, "192.0.2.88", "192.0.2.9", 0);
	CHECK(srv_send(srv, &p) == 0);
	p_reply(&p, RK_DHCP_NAK, xid, n.mac, NULL, "192.0.2.1", NO_MASK | NO_ROUTER | NO_DNS);
	CHECK(srv_send(srv, &p) == 0);
	r = finish(d, srv, &l, &err);
	CHECK_ERR(r, EPROTO, "did not get DHCPACK", &err);
	CHECK(rk_dhcp_dropped(d) == 11); /* + the OFFER seen while requesting */
	CHECK(rk_dhcp_next_timeout_ms(d) == -1);

	/* ACKs that are no good */
	xid = offer(d, srv, n.mac);
	CHECK(xid != 0);
	p_reply(&p, RK_DHCP_ACK, xid, n.mac, NULL, "192.0.2.1", 0);
	CHECK(srv_send(srv, &p) == 0);
	r = finish(d, srv, &l, &err);
	CHECK_ERR(r, EPROTO, "got zero YourIPAddr", &err);
	xid = offer(d, srv, n.mac);
	CHECK(xid != 0);
	p_reply(&p, RK_DHCP_ACK, xid, n.mac, "192.0.2.77", "192.0.2.1", NO_ROUTER);
	CHECK(srv_send(srv, &p) == 0);
	r = finish(d, srv, &l, &err);
	CHECK_ERR(r, EPROTO, "got no Router", &err);
	xid = offer(d, srv, n.mac);
	CHECK(xid != 0);
	p_reply(&p, RK_DHCP_ACK, xid, n.mac, "192.0.2.77", "192.0.2.1", NO_DNS);
	CHECK(srv_send(srv, &p) == 0);
	r = finish(d, srv, &l, &err);
	CHECK_ERR(r, EPROTO, "got no DNS", &err);

	/* a good ACK without mask, lease time or server id: defaults */
	xid = offer(d, srv, n.mac);
	CHECK(xid != 0);
	dropped = rk_dhcp_dropped(d);
	p_reply(&p, RK_DHCP_ACK, xid, n.mac, "192.0.2.77", NULL, NO_MASK | NO_LEASE | NO_SERVER);
	CHECK(srv_send(srv, &p) == 0);
	CHECK(finish(d, srv, &l, &err) == 1);
	CHECK(rk_dhcp_dropped(d) == dropped);
	CHECK(l.ip.s_addr == addr("192.0.2.77"));
	CHECK(l.prefixlen == 24 && l.mask.s_addr == addr("255.255.255.0"));
	CHECK(l.router.s_addr == addr("192.0.2.1") && l.server.s_addr == addr("192.0.2.1"));
	CHECK(l.ndns == 1 && l.dns[0].s_addr == addr("192.0.2.1"));
	CHECK(l.lease_secs == RK_DHCP_DEFAULT_LEASE);
	CHECK(rk_dhcp_next_timeout_ms(d) == -1);

	/* the next exchange asks for the same address again, with a new xid; then retransmits */
	CHECK(rk_dhcp_start(d, &err) == 0);
	r = (int)want_request(d, srv, RK_DHCP_DISCOVER, b, &len, n.mac);
	CHECK(r != 0 && (uint32_t)r != xid);
	xid = (uint32_t)r;
	v = find_opt(b, len, 50, &vl);
	CHECK(v && vl == 4 && memcmp(v, "\xc0\x00\x02\x4d", 4) == 0);
	CHECK(rk_dhcp_next_timeout_ms(d) > 0 && rk_dhcp_next_timeout_ms(d) <= 1000);
	CHECK(rk_dhcp_timeout(d, &err) == 0); /* early: nothing sent */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(want_request(d, srv, RK_DHCP_DISCOVER, b, &len, n.mac) == xid);
	CHECK(elapsed_ms(&t0) >= 800);
	CHECK(b[8] == 0 && b[9] >= 1); /* secs */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(want_request(d, srv, RK_DHCP_DISCOVER, b, &len, n.mac) == xid);
	CHECK(elapsed_ms(&t0) >= 1800); /* back-off: 2 s */

	/* nobody answers: the overall limit of rk_dhcp_exchange() */
	r = rk_dhcp_exchange(d, 300, &l, &err);
	CHECK_ERR(r, ETIMEDOUT, "did not get DHCPACK", &err);
	CHECK(rk_dhcp_next_timeout_ms(d) == -1);
	rc = 0;
out:
	rk_dhcp_free(d);
	if (srv >= 0)
		close(srv);
	nets_free(&n);
	return rc;
}

static void test_client_scripted_server(void **state)
{
	run_in_netns(body_scripted, false);
}

/* ---- against dnsmasq ---- */

/* Is something in @pid's netns bound to UDP port 67? */
static bool port67_bound(pid_t pid)
{
	char path[64], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/udp", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, ":0043 ") != NULL;
	fclose(f);
	return found;
}

static void dnsmasq_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Start dnsmasq in the server netns with @router_opt; wait until it listens. */
static pid_t dnsmasq_start(const struct nets *n, const char *leasefile, const char *router_opt)
{
	char lf[300];
	const char *argv[] = {DNSMASQ,
			      "--no-daemon",
			      "--conf-file=/dev/null",
			      "--port=0",
			      "--interface=rkd-s", /* SERVER_DEV */
			      "--bind-interfaces",
			      "--dhcp-range=192.0.2.100,192.0.2.150,2m",
			      router_opt,
			      "--dhcp-option=option:dns-server,192.0.2.1",
			      lf,
			      "--pid-file=",
			      "--log-facility=-",
			      NULL};
	pid_t pid;

	snprintf(lf, sizeof(lf), "--dhcp-leasefile=%s", leasefile);
	pid = spawn(n->sfd, argv);
	if (pid < 0)
		return -1;
	for (int i = 0; i < 500; i++) {
		if (port67_bound(pid))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(10000);
	}
	dnsmasq_stop(pid);
	return -1;
}

static int body_dnsmasq(void)
{
	char leasefile[] = "/tmp/rk-test-dhcp-XXXXXX";
	struct nets n;
	struct rk_dhcp *d = NULL;
	struct rk_dhcp_lease l, l2;
	struct rk_err err;
	pid_t dns = -1;
	uint32_t ip;
	int fd, r, rc = 1;

	r = nets_setup(&n);
	if (r != 0) {
		nets_free(&n);
		return r;
	}
	fd = mkstemp(leasefile);
	CHECK(fd >= 0);
	close(fd);
	dns = dnsmasq_start(&n, leasefile, "--dhcp-option=option:router,192.0.2.1");
	CHECK(dns > 0);
	CHECK(rk_dhcp_new(CLIENT_DEV, n.mac, &d, &err) == 0);
	rk_err_clear(&err);
	r = rk_dhcp_exchange(d, 20000, &l, &err);
	if (r < 0)
		fprintf(stderr, "exchange: %s\n", err.msg);
	CHECK(r == 0);
	ip = ntohl(l.ip.s_addr);
	CHECK(ip >= ntohl(addr("192.0.2.100")) && ip <= ntohl(addr("192.0.2.150")));
	CHECK(l.prefixlen == 24 && l.mask.s_addr == addr("255.255.255.0"));
	CHECK(l.router.s_addr == addr("192.0.2.1"));
	CHECK(l.ndns == 1 && l.dns[0].s_addr == addr("192.0.2.1"));
	CHECK(l.server.s_addr == addr("192.0.2.1"));
	CHECK(l.lease_secs == 120);
	/* the renewal: the whole exchange again, the same address */
	r = rk_dhcp_exchange(d, 20000, &l2, &err);
	if (r < 0)
		fprintf(stderr, "renewal: %s\n", err.msg);
	CHECK(r == 0);
	CHECK(l2.ip.s_addr == l.ip.s_addr && l2.lease_secs == 120);
	rc = 0;
out:
	dnsmasq_stop(dns);
	rk_dhcp_free(d);
	unlink(leasefile);
	nets_free(&n);
	return rc;
}

static int body_dnsmasq_no_router(void)
{
	char leasefile[] = "/tmp/rk-test-dhcp-XXXXXX";
	struct nets n;
	struct rk_dhcp *d = NULL;
	struct rk_dhcp_lease l;
	struct rk_err err;
	pid_t dns = -1;
	int fd, r, rc = 1;

	r = nets_setup(&n);
	if (r != 0) {
		nets_free(&n);
		return r;
	}
	fd = mkstemp(leasefile);
	CHECK(fd >= 0);
	close(fd);
	dns = dnsmasq_start(&n, leasefile, "--dhcp-option=3");
	CHECK(dns > 0);
	CHECK(rk_dhcp_new(CLIENT_DEV, n.mac, &d, &err) == 0);
	rk_err_clear(&err);
	r = rk_dhcp_exchange(d, 20000, &l, &err);
	CHECK_ERR(r, EPROTO, "got no Router", &err);
	rc = 0;
out:
	dnsmasq_stop(dns);
	rk_dhcp_free(d);
	unlink(leasefile);
	nets_free(&n);
	return rc;
}

static void test_client_dnsmasq(void **state)
{
	run_in_netns(body_dnsmasq, true);
}

static void test_client_dnsmasq_no_router(void **state)
{
	run_in_netns(body_dnsmasq_no_router, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_discover),
	    cmocka_unit_test(test_build_request),
	    cmocka_unit_test(test_build_parse_roundtrip),
	    cmocka_unit_test(test_parse_full_reply),
	    cmocka_unit_test(test_parse_accepts),
	    cmocka_unit_test(test_parse_rejects_header),
	    cmocka_unit_test(test_parse_rejects_options),
	    cmocka_unit_test(test_lease_errors),
	    cmocka_unit_test(test_lease_values_and_defaults),
	    cmocka_unit_test(test_new_rejects_bad_ifname),
	    cmocka_unit_test(test_client_scripted_server),
	    cmocka_unit_test(test_client_dnsmasq),
	    cmocka_unit_test(test_client_dnsmasq_no_router),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
