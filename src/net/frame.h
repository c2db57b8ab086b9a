/* SPDX-License-Identifier: Apache-2.0 */
/*
 * frame.h - what the built-in network stack does to Ethernet frames between the tap device and
 * libslirp: the gateway rewrite, and the facts the stack needs for corking and ACK coalescing.
 *
 * The driver's address plan (SPEC 7.7) puts the gateway and the DNS server on one address
 * (N+1). libslirp serves only port 53 on its DNS address and reaches the host's loopback only
 * through its own "host" address, so the stack runs libslirp with DNS = N+1 and host = an
 * internal alias (N+2), and rewrites on the way:
 *
 *   guest -> stack   to the gateway, except TCP/UDP port 53: destination := alias
 *                    to the alias itself: dropped (the guest sees no such address)
 *   stack -> guest   from the alias: source := gateway; libslirp's MACs (52:55:..., 52:56:...) :=
 * the gateway MAC 5a:94:ef:e4:0c:dd (Ethernet, ARP, NDP options)
 *
 * The same holds for IPv6 (gateway fd00::1, alias fd00::2) with --ipv6. Checksums are updated
 * incrementally (RFC 1624). Every length is checked against the frame: a frame too short or
 * inconsistent for its headers is passed to libslirp untouched (it drops what it cannot use)
 * or dropped here when it is addressed to the alias.
 */
#ifndef RK_NET_FRAME_H
#define RK_NET_FRAME_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RK_FRAME_ETH_HLEN 14

/* The gateway MAC of upstream's gvisor-tap-vsock network. */
extern const uint8_t rk_frame_gw_mac[6];

/* The address plan the rewrite works on (addresses in network byte order). */
struct rk_frame_plan {
	struct in_addr gw4, alias4;
	struct in6_addr gw6, alias6;
	bool ipv6;
	bool drop_ra; /* drop router advertisements to the guest (its address is static) */
};

/* What a frame is, as far as corking and ACK coalescing care. */
struct rk_frame_info {
	bool tcp;	 /* an unfragmented TCP segment (the fields below are set) */
	bool dns;	 /* from the guest: UDP to the gateway's port 53 (rk_frame_dns_query) */
	bool has_ack;	 /* the ACK flag is set */
	bool pure_ack;	 /* ACK only: no payload, no SYN/FIN/RST/URG */
	uint32_t paylen; /* TCP payload bytes */
	int family;	 /* AF_INET or AF_INET6 */
	uint8_t src[16], dst[16]; /* addresses (4 or 16 bytes used) */
	uint16_t sport, dport;	  /* host byte order */
	uint32_t ack;		  /* host byte order */
	uint16_t win;		  /* host byte order */
};

enum rk_frame_verdict {
	RK_FRAME_PASS, /* give it on */
	RK_FRAME_DROP, /* addressed to the alias, or refused for the guest: drop (count) */
};

/**
 * rk_frame_from_guest - rewrite frame @f (@len bytes) from the tap for libslirp and describe it
 * in @fi (fi->tcp false when it is no TCP segment). Return: the verdict.
 */
enum rk_frame_verdict rk_frame_from_guest(const struct rk_frame_plan *p, uint8_t *f, size_t len,
					  struct rk_frame_info *fi);

/**
 * rk_frame_to_guest - rewrite frame @f (@len bytes) from libslirp for the tap and describe it in
 * @fi. Return: the verdict (RK_FRAME_DROP only for router advertisements with p->drop_ra).
 */
enum rk_frame_verdict rk_frame_to_guest(const struct rk_frame_plan *p, uint8_t *f, size_t len,
					struct rk_frame_info *fi);

/**
 * rk_frame_ack_supersedes - whether pure ACK @later makes the earlier pure ACK @earlier of the
 * same connection redundant: same addresses and ports, a strictly newer acknowledgement number
 * (so duplicate ACKs, which signal loss, are never merged).
 */
bool rk_frame_ack_supersedes(const struct rk_frame_info *earlier,
			     const struct rk_frame_info *later);

/* A UDP datagram from the guest to the gateway's port 53 (the DNS forwarder's input). */
struct rk_frame_dns {
	int family;
	uint8_t mac[6];	    /* the guest's */
	uint8_t addr[16];   /* the guest's address (4 or 16 bytes used) */
	uint16_t port;	    /* the guest's port, host order */
	const uint8_t *msg; /* the DNS message, inside the frame */
	size_t len;
};

/**
 * rk_frame_dns_query - whether frame @f (@len bytes, from the guest) is an unfragmented UDP
 * datagram to the gateway's port 53 with consistent lengths; if so, describe it in @q.
 */
bool rk_frame_dns_query(const struct rk_frame_plan *p, const uint8_t *f, size_t len,
			struct rk_frame_dns *q);

/**
 * rk_frame_dns_reply - build in @out (@size bytes) the frame that carries DNS message @msg
 * (@len bytes) from the gateway's port 53 back to the sender of @q, checksums set.
 * Return: the frame's length, or 0 when it does not fit in @size or in @mtu.
 */
size_t rk_frame_dns_reply(const struct rk_frame_plan *p, const struct rk_frame_dns *q,
			  const uint8_t *msg, size_t len, int mtu, uint8_t *out, size_t size);

/* The header IFF_VNET_HDR puts before each frame (struct virtio_net_hdr, host byte order). */
struct rk_vnet_hdr {
	uint8_t flags; /* RK_VNET_NEEDS_CSUM */
	uint8_t gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};
#define RK_VNET_HDR_LEN	   10
#define RK_VNET_NEEDS_CSUM 1

/**
 * rk_frame_vnet_complete - make frame @f (@len bytes, read from a tap with offloads) whole for
 * a stack that checks every checksum: fill in the checksum the sender left to us (flags
 * NEEDS_CSUM: the Internet checksum of [csum_start, len) stored at csum_start + csum_offset).
 * A TCP super-frame (gso_type set) stays one packet: its IP header already covers it all.
 * Return: 0, or -EINVAL when the header's offsets do not fit the frame (drop it).
 */
int rk_frame_vnet_complete(const struct rk_vnet_hdr *h, uint8_t *f, size_t len);

/** rk_csum_fold - the Internet checksum of @sum (a 32-bit accumulation of 16-bit words). */
uint16_t rk_csum_fold(uint32_t sum);

/** rk_csum_add - add @len bytes at @p (as big-endian 16-bit words) to @sum. */
uint32_t rk_csum_add(uint32_t sum, const void *p, size_t len);

/** rk_csum_buf - rk_csum_add(0, @p, @len), fast for long buffers (64-bit accumulation). */
uint32_t rk_csum_buf(const void *p, size_t len);

#endif
