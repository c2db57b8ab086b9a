/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtin.h - internals shared by the files of the builtin port driver (builtin.c: the driver
 * and its listeners; builtin_tcp.c and builtin_udp.c: the data paths; pipepool.c: pipes).
 */
#ifndef RK_PORT_BUILTIN_H
#define RK_PORT_BUILTIN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "port/port.h"
#include "port/sockpool.h"
#include "util/loop.h"

struct rk_tcpconn;
struct rk_udpflow;

/* The driver's state. */
struct rk_builtin {
	struct rk_loop *loop;
	struct rk_sockpool *pool;
	struct rk_pipepool *pipes;
	int chan_sock;
	bool srcip;		       /* --source-ip-transparent and not given up */
	int srcip_state;	       /* 0 not asked, 1 asked, 2 ready, -1 gave up */
	struct rk_tcpconn *srcip_wait; /* connections waiting for the set-up */
	bool srcip_warned;
};

/* One published port. */
struct rk_bport {
	struct rk_builtin *b;
	const struct rk_port_entry *e;
	bool udp;
	int lfd; /* the listener, owned by .lsrc */
	struct rk_loop_src *lsrc;
	struct rk_loop_src *backoff;	/* re-enables accepting after EMFILE/ENFILE */
	struct sockaddr_storage target; /* in the child's netns */
	socklen_t target_len;
	struct rk_tcpconn *conns;  /* live TCP connections */
	struct rk_udpflow **flows; /* UDP flow hash table */
	unsigned nflows;
	struct rk_loop_src *sweep; /* UDP idle timer */
	char *dgram;		   /* UDP receive buffer */
};

/* builtin_tcp.c */
/** rk_btcp_start - accept on @p's listener. Return: 0 or -errno. */
int rk_btcp_start(struct rk_bport *p);
/** rk_btcp_stop - close the listener and every connection of @p. */
void rk_btcp_stop(struct rk_bport *p);
/** rk_btcp_srcip_ready - the child answered the source-IP set-up (@rc 0 or -errno). */
void rk_btcp_srcip_ready(struct rk_builtin *b, int rc);

/* builtin_udp.c */
/** rk_budp_start - serve @p's UDP listener. Return: 0 or -errno. */
int rk_budp_start(struct rk_bport *p);
/** rk_budp_stop - close the listener and every flow of @p. */
void rk_budp_stop(struct rk_bport *p);

/* pipepool.c: pipes on loan (see there) */
struct rk_pipepool;
int rk_pipepool_new(struct rk_pipepool **out);
void rk_pipepool_free(struct rk_pipepool *pp);
/** rk_pipepool_get - a pipe (fds in @fds), empty. Return: 0 or -errno. */
int rk_pipepool_get(struct rk_pipepool *pp, int fds[2]);
/** rk_pipepool_put - give back an empty pipe (closed if the pool is full). */
void rk_pipepool_put(struct rk_pipepool *pp, int fds[2]);

#endif
