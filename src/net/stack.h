/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stack.h - the built-in userspace network stack: libslirp on the child's tap device, run by a
 * thread of the parent (stack.c has the theory of operation).
 */
#ifndef RK_NET_STACK_H
#define RK_NET_STACK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/err.h"

struct rk_stack;

/* The network the stack serves (addresses in network byte order). */
struct rk_stack_config {
	int tap_fd; /* the tap device's fd; the stack owns it from rk_stack_start on */
	int mtu;
	struct in_addr net, mask;
	struct in_addr gw;	   /* gateway and DNS address the guest sees (N+1) */
	struct in_addr alias;	   /* libslirp's internal host address (N+2), hidden */
	struct in_addr dhcp_start; /* what libslirp's DHCP server hands out first */
	bool ipv6;
	struct in6_addr prefix6, gw6, alias6;
	uint8_t prefix6_len;
	bool host_loopback; /* the gateway reaches the host's loopback */
};

/**
 * rk_stack_start - create the libslirp instance for @c and start its thread. The tap fd is
 * taken over even on failure. Return: 0 or -errno with @err.
 */
int rk_stack_start(struct rk_stack **out, const struct rk_stack_config *c, struct rk_err *err);

/** rk_stack_stop - stop the thread, free libslirp and close the tap (NULL is ignored). */
void rk_stack_stop(struct rk_stack *s);

/* A host forwarding rule (the gvisor-tap-vsock port driver). */
struct rk_stack_fwd {
	bool udp;
	bool v6only; /* an IPv6 wildcard listener takes IPv6 only */
	struct sockaddr_storage host, guest;
	socklen_t host_len, guest_len;
};

/**
 * rk_stack_fwd_add / rk_stack_fwd_remove - add or remove a host forwarding rule; runs on the
 * stack's thread and waits for it (a few microseconds; at most RK_STACK_CALL_MS).
 * Return: 0, or -errno (add: the listener's bind/listen error; remove: -ENOENT).
 */
int rk_stack_fwd_add(struct rk_stack *s, const struct rk_stack_fwd *f);
int rk_stack_fwd_remove(struct rk_stack *s, const struct rk_stack_fwd *f);

#define RK_STACK_CALL_MS 5000

/** rk_stack_version - libslirp's version text, once a stack has started ("(not loaded)" before). */
const char *rk_stack_version(void);

#endif
