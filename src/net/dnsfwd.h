/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dnsfwd.h - the built-in stack's DNS forwarder: UDP queries to the gateway's port 53 go to
 * the host's name servers, in resolv.conf's order, as the host's resolver would ask them.
 * Driven by the stack's thread (dnsfwd.c has the details).
 */
#ifndef RK_NET_DNSFWD_H
#define RK_NET_DNSFWD_H

#include <stdint.h>

#include "net/frame.h"

struct rk_dnsfwd;

/* Where the forwarder sends an answer: @q the query's sender, @msg the DNS message. */
typedef void (*rk_dnsfwd_answer_cb)(void *opaque, const struct rk_frame_dns *q, const uint8_t *msg,
				    size_t len);

/* The stack's poll set: add @fd for @events (POLLIN); returns its index or -1. */
typedef int (*rk_dnsfwd_add_poll_cb)(int fd, short events, void *opaque);
/* The poll result at index @idx (revents). */
typedef short (*rk_dnsfwd_revents_cb)(int idx, void *opaque);

#define RK_DNSFWD_MAX_QUERIES 256  /* queries in flight; more are dropped (the guest retries) */
#define RK_DNSFWD_MSG_MAX     4096 /* longest query forwarded; longest answer relayed: 65535 */

/** rk_dnsfwd_new - a forwarder reading @resolv_conf (NULL: /etc/resolv.conf). */
struct rk_dnsfwd *rk_dnsfwd_new(const char *resolv_conf, rk_dnsfwd_answer_cb answer, void *opaque);

/** rk_dnsfwd_free - close every socket and free @d (NULL is ignored). */
void rk_dnsfwd_free(struct rk_dnsfwd *d);

/** rk_dnsfwd_query - forward query @q at time @now_ms. Return: false if it was dropped. */
bool rk_dnsfwd_query(struct rk_dnsfwd *d, const struct rk_frame_dns *q, int64_t now_ms);

/**
 * rk_dnsfwd_fill - add the sockets with queries in flight to the poll set and lower
 * *@timeout_ms to the next deadline.
 */
void rk_dnsfwd_fill(struct rk_dnsfwd *d, rk_dnsfwd_add_poll_cb add, void *opaque, int64_t now_ms,
		    uint32_t *timeout_ms);

/** rk_dnsfwd_poll - read answers (revents from the poll of rk_dnsfwd_fill), run deadlines. */
void rk_dnsfwd_poll(struct rk_dnsfwd *d, rk_dnsfwd_revents_cb revents, void *opaque,
		    int64_t now_ms);

/* Counters (the stack's thread only). */
struct rk_dnsfwd_stats {
	uint64_t queries, answers, dropped, failovers, timeouts;
};
void rk_dnsfwd_get_stats(const struct rk_dnsfwd *d, struct rk_dnsfwd_stats *out);

#endif
