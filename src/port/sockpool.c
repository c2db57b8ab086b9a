// SPDX-License-Identifier: Apache-2.0
/*
 * sockpool.c - child-netns sockets on hand for the builtin port driver (see sockpool.h).
 *
 * Per kind: up to RK_SOCKPOOL_READY sockets wait ready, restocked when fewer than
 * RK_SOCKPOOL_LOW are on hand or on their way; "outstanding" counts sockets asked for
 * and not yet arrived. Taking one, adding a waiter or receiving an error asks for what is
 * missing, RK_MSG_SOCK_BATCH_MAX at a time and never more than RK_SOCKPOOL_INFLIGHT in
 * flight, so a burst of 5,000 connections costs about 80 round trips, not 5,000. Sockets
 * arriving go to the oldest waiter first. A request the channel cannot take right now (its
 * buffer is full) is retried from a short timer, never by spinning.
 */
#include "port/sockpool.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RK_SOCKPOOL_READY    32
#define RK_SOCKPOOL_LOW	     16 /* restock below this, in one batch up to READY */
#define RK_SOCKPOOL_INFLIGHT 512
#define RK_SOCKPOOL_RETRY_MS 5

struct rk_sockkind {
	int family, type;
	bool warm;
	int ready[RK_SOCKPOOL_READY];
	int nready;
	int inflight;
	int nwait;
	struct rk_sockwait *head, **tail;
};

struct rk_sockpool {
	struct rk_loop *loop;
	int sock;
	struct rk_loop_src *retry;
	bool retry_armed;
	struct rk_sockkind k[4];
};

static struct rk_sockkind *rk_sockpool_kind(struct rk_sockpool *p, int family, int type)
{
	return &p->k[(family == AF_INET6 ? 2 : 0) + (type == SOCK_DGRAM ? 1 : 0)];
}

/* Ask the child for what the kind lacks. */
static void rk_sockpool_ask(struct rk_sockpool *p, struct rk_sockkind *k, bool stock)
{
	if (!k->nwait && k->nready + k->inflight >= RK_SOCKPOOL_LOW)
		return; /* enough on hand: restock in batches, not a request per connection */
	for (;;) {
		int want = (stock ? RK_SOCKPOOL_READY : 0) + k->nwait - k->nready - k->inflight;
		struct rk_msg m = rk_msg_init(RK_MSG_SOCK_REQ, 0);
		int rc;

		if (want > RK_SOCKPOOL_INFLIGHT - k->inflight)
			want = RK_SOCKPOOL_INFLIGHT - k->inflight;
		if (want <= 0)
			return;
		m.u.sock.family = k->family;
		m.u.sock.type = k->type;
		m.u.sock.count = want > RK_MSG_SOCK_BATCH_MAX ? RK_MSG_SOCK_BATCH_MAX : want;
		rc = rk_msg_send(p->sock, &m);
		if (rc == -EAGAIN || rc == -ENOBUFS) {
			if (!p->retry_armed &&
			    rk_loop_timer_set(p->retry, RK_SOCKPOOL_RETRY_MS, 0) == 0)
				p->retry_armed = true;
			return;
		}
		if (rc < 0)
			return; /* the child is gone: the parent ends soon */
		k->inflight += m.u.sock.count;
	}
}

static void rk_sockpool_refill(struct rk_sockpool *p, struct rk_sockkind *k)
{
	rk_sockpool_ask(p, k, k->warm);
}

static void rk_sockpool_on_retry(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
				 void *data)
{
	struct rk_sockpool *p = data;

	p->retry_armed = false;
	for (int i = 0; i < 4; i++)
		rk_sockpool_refill(p, &p->k[i]);
}

int rk_sockpool_new(struct rk_loop *loop, int sock, struct rk_sockpool **out)
{
	struct rk_sockpool *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return -ENOMEM;
	p->loop = loop;
	p->sock = sock;
	for (int i = 0; i < 4; i++) {
		p->k[i].family = i >= 2 ? AF_INET6 : AF_INET;
		p->k[i].type = i % 2 ? SOCK_DGRAM : SOCK_STREAM;
		p->k[i].tail = &p->k[i].head;
	}
	if ((rc = rk_loop_add_timer(loop, 0, 0, rk_sockpool_on_retry, p, &p->retry)) < 0 ||
	    (rc = rk_loop_timer_set(p->retry, 0, 0)) < 0) {
		rk_loop_del(loop, p->retry);
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void rk_sockpool_free(struct rk_sockpool *p)
{
	if (!p)
		return;
	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < p->k[i].nready; j++)
			close(p->k[i].ready[j]);
		while (p->k[i].head)
			rk_sockpool_cancel(p->k[i].head);
	}
	rk_loop_del(p->loop, p->retry);
	free(p);
}

int rk_sockpool_take(struct rk_sockpool *p, int family, int type)
{
	struct rk_sockkind *k = rk_sockpool_kind(p, family, type);
	int fd = -EAGAIN;

	k->warm = true;
	if (k->nready > 0 && !k->head)
		fd = k->ready[--k->nready];
	rk_sockpool_refill(p, k);
	return fd;
}

void rk_sockpool_wait(struct rk_sockpool *p, int family, int type, struct rk_sockwait *w)
{
	struct rk_sockkind *k = rk_sockpool_kind(p, family, type);

	w->kind = k;
	w->next = NULL;
	w->pprev = k->tail;
	*k->tail = w;
	k->tail = &w->next;
	k->nwait++;
	rk_sockpool_refill(p, k);
}

void rk_sockpool_cancel(struct rk_sockwait *w)
{
	struct rk_sockkind *k = w->kind;

	if (!w->pprev)
		return;
	*w->pprev = w->next;
	if (w->next)
		w->next->pprev = w->pprev;
	else
		k->tail = w->pprev;
	w->next = NULL;
	w->pprev = NULL;
	k->nwait--;
}

bool rk_sockpool_on_msg(struct rk_sockpool *p, struct rk_msg *m)
{
	struct rk_sockkind *k;
	struct rk_sockwait *w;

	if (m->type != RK_MSG_SOCK)
		return false;
	k = rk_sockpool_kind(p, m->u.sock.family, m->u.sock.type);
	if (k->inflight > 0)
		k->inflight--;
	if ((w = k->head)) {
		rk_sockpool_cancel(w);
		w->cb(w, m->fd >= 0 ? m->fd : (int)m->value);
	} else if (m->fd >= 0 && k->nready < RK_SOCKPOOL_READY) {
		k->ready[k->nready++] = m->fd;
	} else if (m->fd >= 0) {
		close(m->fd);
	} else {
		rk_debug("port driver: the child could not make a socket: %s",
			 strerror((int)-m->value));
	}
	m->fd = -1;
	/* after an error only the waiters are served: restocking could fail forever */
	rk_sockpool_ask(p, k, m->value == 0 && k->warm);
	return true;
}

void rk_sockpool_warm(struct rk_sockpool *p, int family, int type)
{
	struct rk_sockkind *k = rk_sockpool_kind(p, family, type);

	k->warm = true;
	rk_sockpool_refill(p, k);
}
