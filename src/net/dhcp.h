/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dhcp.h - a small, strict DHCPv4 client (RFC 2131/2132) for the lxc-user-nic network driver.
 *
 * The child, inside its network namespace, gets the address, gateway and DNS server of its veth
 * by DISCOVER/OFFER/REQUEST/ACK, and repeats the whole exchange every 0.9 x lease to renew.
 *
 * Two layers:
 *  - pure packet code: rk_dhcp_build_discover()/rk_dhcp_build_request() write a request into a
 *    caller buffer, rk_dhcp_parse() validates a reply from untrusted bytes, and
 *    rk_dhcp_reply_lease() turns an ACK into a lease (or one of the user-facing errors). No I/O,
 *    no allocation: unit-tested and fuzzed on their own.
 *  - a non-blocking client over one UDP socket (struct rk_dhcp), driven by the caller's event
 *    loop through rk_dhcp_fd(), rk_dhcp_input(), rk_dhcp_timeout() and
 *    rk_dhcp_next_timeout_ms(); rk_dhcp_exchange() is a blocking convenience around them.
 *
 * User-facing errors (struct rk_err messages, as upstream): "did not get DHCPACK" (a DHCPNAK, or
 * no ACK within the time limits), "got zero YourIPAddr", "got no Router", "got no DNS".
 */
#ifndef RK_NET_DHCP_H
#define RK_NET_DHCP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define RK_DHCP_SERVER_PORT	 67
#define RK_DHCP_CLIENT_PORT	 68
#define RK_DHCP_PHASE_TIMEOUT_MS 30000 /* give up on OFFER (or ACK) after this long */
#define RK_DHCP_DEFAULT_LEASE	 3600  /* seconds, when the ACK has no lease time option */
#define RK_DHCP_MAX_ADDRS	 3     /* routers and DNS servers kept from a reply */
#define RK_DHCP_MAX_MSG_SIZE	 1500  /* what we announce in option 57 */
#define RK_DHCP_REQ_MAX		 576   /* buffer size that always fits a built request */

/* DHCP message types (option 53). */
enum rk_dhcp_msg_type {
	RK_DHCP_DISCOVER = 1,
	RK_DHCP_OFFER = 2,
	RK_DHCP_REQUEST = 3,
	RK_DHCP_DECLINE = 4,
	RK_DHCP_ACK = 5,
	RK_DHCP_NAK = 6,
	RK_DHCP_RELEASE = 7,
	RK_DHCP_INFORM = 8,
};

/* A validated server reply, as rk_dhcp_parse() found it. Addresses are in network order. */
struct rk_dhcp_reply {
	int msg_type;				  /* option 53 (always present) */
	struct in_addr yiaddr;			  /* "your" address */
	struct in_addr server_id;		  /* option 54 */
	struct in_addr mask;			  /* option 1, contiguous and non-zero */
	struct in_addr router[RK_DHCP_MAX_ADDRS]; /* option 3, the first ones */
	struct in_addr dns[RK_DHCP_MAX_ADDRS];	  /* option 6, the first ones */
	int nrouter, ndns;			  /* how many of router[]/dns[] are filled */
	uint32_t lease_secs, t1_secs, t2_secs;	  /* options 51, 58, 59 */
	unsigned int has_server_id : 1, has_mask : 1, has_lease : 1, has_t1 : 1, has_t2 : 1;
};

/* What a successful exchange yields (network order). */
struct rk_dhcp_lease {
	struct in_addr ip, mask, router, server;
	struct in_addr dns[3];
	int ndns;
	int prefixlen;
	uint32_t lease_secs;
};

/**
 * rk_dhcp_build_discover - write a DHCPDISCOVER into @buf (@cap bytes, RK_DHCP_REQ_MAX is
 * always enough): BOOTREQUEST with @xid, @secs elapsed, the broadcast flag, chaddr @mac, and
 * options 53, 61 (01 + @mac), 50 (only if @hint is non-zero: the address we had before),
 * 55, 57, 255; zero-padded to the 300 bytes of a BOOTP packet.
 * Return: the packet length, or -ENOSPC if @cap is too small.
 */
int rk_dhcp_build_discover(void *buf, size_t cap, uint32_t xid, uint16_t secs,
			   const unsigned char mac[6], struct in_addr hint);

/**
 * rk_dhcp_build_request - write a DHCPREQUEST (SELECTING state) for the offered address @ip of
 * server @server: as rk_dhcp_build_discover() plus options 50 (@ip) and 54 (@server).
 * Return: the packet length, -ENOSPC if @cap is too small, -EINVAL if @ip or @server is zero.
 */
int rk_dhcp_build_request(void *buf, size_t cap, uint32_t xid, uint16_t secs,
			  const unsigned char mac[6], struct in_addr ip, struct in_addr server);

/**
 * rk_dhcp_parse - validate the UDP payload @buf (@len bytes, untrusted) as a reply to exchange
 * @xid of the client with hardware address @mac, and fill @out.
 *
 * Rejected as malformed (-EBADMSG): shorter than header + cookie, wrong magic cookie, an option
 * running past the end, no end option (255) or anything but pad/end bytes after it, a known option
 * with a bad length (1 and 54, 51, 58, 59: 4; 53: 1; 3 and 6: a non-zero multiple of 4), a
 * repeated single-valued option, a non-contiguous or zero subnet mask, no message type.
 * Rejected as not ours (-ENOMSG): op is not BOOTREPLY, htype/hlen not Ethernet, other xid or
 * chaddr. Pad (0) is skipped; unknown options are ignored. A repeated router or DNS option is
 * appended to the first (RFC 3396 concatenation, each part whole addresses). Option overload
 * (52) is ignored like any unknown option: sname and file are never read as options, so a
 * server that moved a needed option there fails the lease checks instead.
 * Return: 0, -EBADMSG or -ENOMSG (@out is then unspecified).
 */
int rk_dhcp_parse(const void *buf, size_t len, uint32_t xid, const unsigned char mac[6],
		  struct rk_dhcp_reply *out);

/**
 * rk_dhcp_reply_lease - check that @r is a usable ACK and fill @lease from it: IP = yiaddr,
 * mask and prefix length from option 1 (classful default when absent), router = first router,
 * up to 3 DNS servers, lease time (RK_DHCP_DEFAULT_LEASE when absent).
 * Return: 0, or -EPROTO with @err set to "did not get DHCPACK" (not an ACK), "got zero
 * YourIPAddr", "got no Router" or "got no DNS", checked in that order.
 */
int rk_dhcp_reply_lease(const struct rk_dhcp_reply *r, struct rk_dhcp_lease *lease,
			struct rk_err *err);

struct rk_dhcp;

/**
 * rk_dhcp_new - create a client for interface @ifname with hardware address @mac: a UDP socket
 * (non-blocking, close-on-exec) in the calling thread's network namespace, bound to
 * 0.0.0.0:68 on @ifname only, allowed to broadcast. Needs CAP_NET_RAW and
 * CAP_NET_BIND_SERVICE over that namespace. The client starts idle.
 * Return: 0 with *@out set, or -errno with @err set.
 */
int rk_dhcp_new(const char *ifname, const unsigned char mac[6], struct rk_dhcp **out,
		struct rk_err *err);

/** rk_dhcp_fd - the socket to watch for readability (level-triggered). */
int rk_dhcp_fd(const struct rk_dhcp *d);

/**
 * rk_dhcp_start - begin a new exchange (abandoning any in progress): new random xid, stale
 * datagrams discarded, DHCPDISCOVER sent (asking again for the last bound address, if any).
 * Return: 0, or -errno with @err set if the socket failed.
 */
int rk_dhcp_start(struct rk_dhcp *d, struct rk_err *err);

/**
 * rk_dhcp_input - the socket is readable: read what is queued (a bounded number of datagrams;
 * a level-triggered loop calls again) and advance the exchange. Datagrams that are truncated,
 * malformed, not from port 67, for another exchange, from a server other than the one
 * requested or unexpected in this state are dropped and counted (rk_dhcp_dropped()). When
 * idle, datagrams are only drained.
 * Return: 0 still pending (or idle), 1 bound (@lease filled, client idle again), or -errno
 * with @err set: the exchange failed (a NAK, a bad ACK, a socket error) and the client is idle.
 */
int rk_dhcp_input(struct rk_dhcp *d, struct rk_dhcp_lease *lease, struct rk_err *err);

/**
 * rk_dhcp_timeout - the timer from rk_dhcp_next_timeout_ms() fired: retransmit the current
 * request (after 1, 2, 4, 4, ... s in one phase), or fail when a phase (waiting for the OFFER,
 * then for the ACK) has lasted RK_DHCP_PHASE_TIMEOUT_MS. Calling it early does nothing.
 * Return: 0 pending (or idle), or -ETIMEDOUT with @err "did not get DHCPACK" (client idle
 * again), or another -errno with @err set if sending failed.
 */
int rk_dhcp_timeout(struct rk_dhcp *d, struct rk_err *err);

/**
 * rk_dhcp_next_timeout_ms - milliseconds (rounded up) until rk_dhcp_timeout() should be
 * called: 0 if due now, -1 if idle.
 */
long rk_dhcp_next_timeout_ms(const struct rk_dhcp *d);

/** rk_dhcp_dropped - how many datagrams were dropped since rk_dhcp_new(). */
unsigned long rk_dhcp_dropped(const struct rk_dhcp *d);

/**
 * rk_dhcp_exchange - blocking exchange: rk_dhcp_start(), then poll() the socket and the timer
 * until bound or failed, or until @timeout_ms have passed in all (-1: only the per-phase limits
 * apply), which fails with -ETIMEDOUT "did not get DHCPACK". Signals (EINTR) are retried.
 * Return: 0 with @lease filled, or -errno with @err set.
 */
int rk_dhcp_exchange(struct rk_dhcp *d, int timeout_ms, struct rk_dhcp_lease *lease,
		     struct rk_err *err);

/** rk_dhcp_free - close the socket and free @d (NULL is fine). */
void rk_dhcp_free(struct rk_dhcp *d);

#endif
