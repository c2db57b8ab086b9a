/* SPDX-License-Identifier: Apache-2.0 */
/*
 * msg.h - the parent<->child channel: fixed-size typed messages over a SOCK_SEQPACKET pair.
 *
 * Each datagram is one struct rk_msg; a datagram of any other size, another magic or an unknown
 * type is a protocol error. EOF (a zero-length read) means the peer died. File descriptors
 * (later: port sockets) ride along as SCM_RIGHTS.
 */
#ifndef RK_UTIL_MSG_H
#define RK_UTIL_MSG_H

#include <stdint.h>

#define RK_MSG_MAGIC 0x524b0001u /* "RK", protocol version 1 */

enum rk_msg_type {
	RK_MSG_MAPS_DONE = 1, /* parent -> child: uid/gid maps written; value: 1 = setgroups ok */
	RK_MSG_CHILD_READY,   /* child -> parent: namespaces and mounts are set up */
	RK_MSG_START,	      /* parent -> child: state dir complete, start the command */
	RK_MSG_TYPE_MAX,
};

struct rk_msg {
	uint32_t magic;
	uint32_t type;
	int64_t value;
};

/** rk_msg_send - send one message. Return: 0 or -errno. */
int rk_msg_send(int fd, enum rk_msg_type type, int64_t value);

/**
 * rk_msg_recv - receive one message (retrying on EINTR).
 * Return: 0, -EPIPE on EOF, -EPROTO on a malformed message, or -errno.
 */
int rk_msg_recv(int fd, struct rk_msg *m);

/** rk_msg_check - validate a received datagram of @len bytes. Return: 0 or -EPROTO. */
int rk_msg_check(const void *buf, long len, struct rk_msg *m);

#endif
