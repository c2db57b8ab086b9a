/* SPDX-License-Identifier: Apache-2.0 */
/*
 * msg.h - the parent<->child channel: typed messages over a SOCK_SEQPACKET pair.
 *
 * The channel stays open for the whole run. Each datagram is a fixed header (magic with the
 * protocol version, type, payload length, one 64-bit value) followed by the type's payload,
 * whose size is fixed per type; a message may carry one file descriptor (SCM_RIGHTS) where its
 * type allows one. The decoder is strict: wrong size, magic or type, a string without its
 * NUL, a number out of range, a truncated datagram or control message, or an fd where none
 * belongs is -EPROTO, and any fd that came with a rejected message is closed. EOF (a
 * zero-length read) means the peer died.
 */
#ifndef RK_UTIL_MSG_H
#define RK_UTIL_MSG_H

#include <stddef.h>
#include <stdint.h>

#define RK_MSG_MAGIC 0x524b0002u /* "RK", protocol version 2 */

enum rk_msg_type {
	RK_MSG_MAPS_DONE = 1, /* parent -> child: uid/gid maps written; value: 1 = setgroups ok */
	RK_MSG_CHILD_READY,   /* child -> parent: namespaces (and the netns) are ready; may carry
			       * the fd the network driver made there (the built-in stack's tap) */
	RK_MSG_NET_CONFIG,    /* parent -> child: the network to configure (payload: net) */
	RK_MSG_NET_DONE,      /* child -> parent: network configured (payload: net, as set) */
	RK_MSG_START,	      /* parent -> child: state dir complete, start the command */
	RK_MSG_SOCK_REQ,      /* parent -> child: make sockets in the netns (payload: sock) */
	RK_MSG_SOCK,	   /* child -> parent: one socket (fd) or value = -errno (payload: sock) */
	RK_MSG_SRCIP_REQ,  /* parent -> child: set up source-IP routing (SPEC 8.2.5) */
	RK_MSG_SRCIP_DONE, /* child -> parent: value 0, or -errno: fall back for good */
	RK_MSG_TYPE_MAX,
};

#define RK_MSG_IFNAMSIZ 16
#define RK_MSG_IPSTR	46
#define RK_MSG_DNS_MAX	3

/* rk_msg_net.flags */
#define RK_MSG_NET_CONFIGURES_IFACE 0x1u /* the driver configured the interface (pasta) */
#define RK_MSG_NET_DHCP		    0x2u /* the child gets address, route and DNS by DHCP */
#define RK_MSG_NET_FLAGS_ALL	    0x3u

/* The network the child configures (upstream's ParentInitNetworkDriverCompleted). */
struct rk_msg_net {
	int32_t netmask; /* prefix length */
	int32_t mtu;
	uint32_t flags;
	char dev[RK_MSG_IFNAMSIZ];
	char ip[RK_MSG_IPSTR];	    /* "" when unknown yet (DHCP) */
	char gateway[RK_MSG_IPSTR]; /* "" when unknown yet */
	char dns[RK_MSG_DNS_MAX][RK_MSG_IPSTR];
	char ip6[RK_MSG_IPSTR];	     /* a static IPv6 address too, or "" */
	char gateway6[RK_MSG_IPSTR]; /* its default route, with ip6 */
	uint8_t reserved[2];	     /* zero; aligns netmask6 without hidden padding */
	int32_t netmask6;	     /* ip6's prefix length */
};

#define RK_MSG_SOCK_BATCH_MAX 64 /* sockets one RK_MSG_SOCK_REQ may ask for */

/* Sockets the child makes in the network namespace for the builtin port driver. */
struct rk_msg_sock {
	int32_t family; /* AF_INET or AF_INET6 */
	int32_t type;	/* SOCK_STREAM or SOCK_DGRAM */
	int32_t count;	/* request: 1..RK_MSG_SOCK_BATCH_MAX; reply: 1 */
	int32_t reserved;
};

/* A decoded message. */
struct rk_msg {
	uint16_t type;
	int64_t value;
	int fd; /* received descriptor (owned by the receiver) or -1 */
	union {
		struct rk_msg_net net;
		struct rk_msg_sock sock;
	} u;
};

/** rk_msg_init - a message of @type with @value, no payload set, no fd. */
struct rk_msg rk_msg_init(enum rk_msg_type type, int64_t value);

/** rk_msg_send - send @m (and m->fd if >= 0; the caller keeps it). Return: 0 or -errno. */
int rk_msg_send(int sock, const struct rk_msg *m);

/** rk_msg_send_simple - send a message without payload. Return: 0 or -errno. */
int rk_msg_send_simple(int sock, enum rk_msg_type type, int64_t value);

/**
 * rk_msg_recv - receive one message without blocking (retrying on EINTR).
 * Return: 0, -EPIPE on EOF, -EAGAIN if nothing is there, -EPROTO on a
 * malformed message (its fds closed), or -errno.
 */
int rk_msg_recv(int sock, struct rk_msg *m);

/**
 * rk_msg_decode - validate and decode the datagram @buf of @len bytes that arrived with the
 * @nfds descriptors in @fds. On success m->fd owns the descriptor (if any); on failure every fd
 * in @fds is closed. Return: 0 or -EPROTO.
 */
int rk_msg_decode(const void *buf, size_t len, const int *fds, int nfds, struct rk_msg *m);

/** rk_msg_encode - the wire form of @m into @buf (size @len). Return: its length or -ENOSPC. */
int rk_msg_encode(const struct rk_msg *m, void *buf, size_t len);

#endif
