/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sockpool.h - the parent's pool of sockets made by the child inside its network namespace
 * (for the builtin port driver; the child's half is child/portsvc.c).
 *
 * Each kind (IPv4/IPv6 x TCP/UDP) keeps a few ready sockets, refilled in batches over the
 * channel as they are taken, so an accepted connection usually gets its child-side socket
 * without a round trip. When none is ready the caller waits: its callback runs from the event
 * loop with a socket, or with -errno if the child could not make one.
 */
#ifndef RK_PORT_SOCKPOOL_H
#define RK_PORT_SOCKPOOL_H

#include <stdbool.h>

#include "util/loop.h"
#include "util/msg.h"

struct rk_sockpool;

/* A waiter, embedded in the caller's object. */
struct rk_sockwait {
	struct rk_sockwait *next;
	struct rk_sockwait **pprev; /* NULL while not waiting */
	void *kind;		    /* the pool's, while waiting */
	/* @fd: a socket (the callee's to close) or -errno */
	void (*cb)(struct rk_sockwait *w, int fd);
};

/** rk_sockpool_new - a pool asking over channel @sock. Return: 0 or -errno. */
int rk_sockpool_new(struct rk_loop *loop, int sock, struct rk_sockpool **out);

/** rk_sockpool_free - close every ready socket; waiters are dropped without a call. */
void rk_sockpool_free(struct rk_sockpool *p);

/**
 * rk_sockpool_take - a ready socket of @family (AF_INET/AF_INET6) and @type (SOCK_STREAM/
 * SOCK_DGRAM) now, or -EAGAIN: then call rk_sockpool_wait(). Also tops the pool up.
 */
int rk_sockpool_take(struct rk_sockpool *p, int family, int type);

/** rk_sockpool_wait - call @w->cb with the next socket of that kind (FIFO among waiters). */
void rk_sockpool_wait(struct rk_sockpool *p, int family, int type, struct rk_sockwait *w);

/** rk_sockpool_cancel - stop waiting (no-op if @w is not waiting). */
void rk_sockpool_cancel(struct rk_sockwait *w);

/** rk_sockpool_warm - start keeping sockets of this kind ready (a port that needs them). */
void rk_sockpool_warm(struct rk_sockpool *p, int family, int type);

/** rk_sockpool_on_msg - take an RK_MSG_SOCK reply. Return: false for other messages. */
bool rk_sockpool_on_msg(struct rk_sockpool *p, struct rk_msg *m);

#endif
