// SPDX-License-Identifier: Apache-2.0
/*
 * builtin_tcp.c - the TCP data path of the builtin port driver (SPEC 8.2.4, 8.2.5).
 *
 * Theory of operation. The parent owns the listener. For each accepted client it takes a TCP
 * socket that lives in the child's network namespace (port/sockpool.c: made by the child,
 * passed over with SCM_RIGHTS, normally already waiting in the pool), connects it to the
 * target without blocking, and then moves bytes both ways with splice(2): from the source
 * socket into a pipe and from the pipe into the destination, with no copy through user space.
 * A direction borrows its pipe only while bytes sit in it (port/pipepool.c), so an idle
 * connection costs two fds. Each socket is one loop source; its interest is EPOLLIN while its
 * direction may read (not at EOF, pipe empty: a full pipe is back-pressure) and EPOLLOUT while
 * bytes wait for it. Level-triggered epoll brings a direction back after it yielded.
 *
 * EOF from one side ends that direction and shuts the other side for writing (half-close); the
 * connection closes when both directions ended and their pipes are empty. A splice error
 * (a reset, EPIPE) aborts: both sockets are closed with SO_LINGER 0, so the other side sees a
 * reset too. A failed connect closes the client at once (it sees connect, then EOF).
 *
 * Accept errors: EMFILE/ENFILE/ENOBUFS/ENOMEM stop accepting on that listener for a moment
 * (a timer turns it back on) instead of spinning on a ready listener or, like the Go original,
 * closing it for good; other errors (the client gave up) are skipped.
 *
 * Source IP (SPEC 8.2.5): for a client that is not on loopback, when --source-ip-transparent
 * holds, the child-netns socket gets IP_TRANSPARENT and is bound to the client's address
 * before connecting (the parent owns the user namespace, so it may). The child's policy
 * routing is set up once, on the first such client; connections arriving meanwhile wait for
 * it. Any failure falls back to an ordinary connect on a fresh socket; a transparent connect
 * that has not finished in 1 s falls back too.
 */
#include "port/builtin.h"
#include "util/log.h"
#include "util/msg.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RK_TCP_ACCEPT_BATCH   64
#define RK_TCP_BACKOFF_MS     50
#define RK_TCP_PUMP_ROUNDS    16
#define RK_TCP_SPLICE_MAX     (1 << 20)
#define RK_TCP_TRANSPARENT_MS 1000

enum rk_tcp_state { RK_TCP_WAIT_SRCIP, RK_TCP_WAIT_SOCK, RK_TCP_CONNECTING, RK_TCP_OPEN };

struct rk_tcpdir {
	int pipe[2]; /* borrowed while bytes sit in it, else -1 */
	size_t inpipe;
	bool eof; /* the source said EOF; the destination is shut for writing */
};

struct rk_tcpconn {
	struct rk_bport *p;
	struct rk_tcpconn *next, **pprev; /* in p->conns */
	struct rk_tcpconn *srcip_next;	  /* in b->srcip_wait */
	enum rk_tcp_state state;
	int fd[2]; /* 0: the client, 1: the socket in the child's netns */
	struct rk_loop_src *src[2];
	uint32_t ev[2];
	struct rk_tcpdir d[2]; /* d[k] moves bytes from fd[k] to fd[1 - k] */
	struct rk_sockwait wait;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	bool transparent;
	struct rk_loop_src *timer;
};

static void rk_tcp_on_event(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			    void *data);
static void rk_tcp_take_socket(struct rk_tcpconn *c);

/* Close everything of @c; @reset: with SO_LINGER 0, so both peers see a reset. */
static void rk_tcp_close(struct rk_tcpconn *c, bool reset)
{
	struct rk_builtin *b = c->p->b;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	rk_sockpool_cancel(&c->wait);
	if (c->state == RK_TCP_WAIT_SRCIP)
		for (struct rk_tcpconn **pp = &b->srcip_wait; *pp; pp = &(*pp)->srcip_next)
			if (*pp == c) {
				*pp = c->srcip_next;
				break;
			}
	for (int i = 0; i < 2; i++) {
		if (c->fd[i] >= 0 && reset)
			setsockopt(c->fd[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (c->src[i])
			rk_loop_del(b->loop, c->src[i]); /* owns and closes fd */
		else if (c->fd[i] >= 0)
			close(c->fd[i]);
		if (c->d[i].pipe[0] >= 0) {
			close(c->d[i].pipe[0]);
			close(c->d[i].pipe[1]);
		}
	}
	rk_loop_del(b->loop, c->timer);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	free(c);
}

/* Move what can be moved in direction @k. Return: 0, or -errno (abort the connection). */
static int rk_tcp_pump(struct rk_tcpconn *c, int k)
{
	struct rk_tcpdir *d = &c->d[k];
	struct rk_pipepool *pp = c->p->b->pipes;
	int from = c->fd[k], to = c->fd[1 - k];
	ssize_t n;

	for (int round = 0; round < RK_TCP_PUMP_ROUNDS; round++) {
		if (d->inpipe) {
			n = splice(d->pipe[0], NULL, to, NULL, d->inpipe,
				   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
			if (n < 0)
				return errno == EAGAIN || errno == EINTR ? 0 : -errno;
			d->inpipe -= (size_t)n;
			if (d->inpipe)
				continue;
		}
		if (d->eof)
			break;
		if (d->pipe[0] < 0) {
			int rc = rk_pipepool_get(pp, d->pipe);
			if (rc < 0)
				return rc;
		}
		n = splice(from, NULL, d->pipe[1], NULL, RK_TCP_SPLICE_MAX,
			   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n == 0) {
			d->eof = true; /* we read @from no more; its peer learns of our EOF */
			shutdown(to, SHUT_WR);
			break;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
			break;
		}
		d->inpipe = (size_t)n;
	}
	if (d->inpipe == 0 && d->pipe[0] >= 0)
		rk_pipepool_put(pp, d->pipe);
	return 0;
}

static void rk_tcp_interest(struct rk_tcpconn *c)
{
	for (int i = 0; i < 2; i++) {
		uint32_t ev = (!c->d[i].eof && !c->d[i].inpipe ? EPOLLIN : 0) |
			      (c->d[1 - i].inpipe ? EPOLLOUT : 0);
		if (ev != c->ev[i] && rk_loop_mod_fd(c->p->b->loop, c->src[i], ev) == 0)
			c->ev[i] = ev;
	}
}

static void rk_tcp_on_open_event(struct rk_tcpconn *c, int i, uint32_t events)
{
	int rc = 0;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		rc = rk_tcp_pump(c, i);
	if (rc == 0 && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
		rc = rk_tcp_pump(c, 1 - i);
	if (rc < 0) {
		rk_tcp_close(c, true);
		return;
	}
	if (c->d[0].eof && c->d[1].eof && !c->d[0].inpipe && !c->d[1].inpipe) {
		rk_tcp_close(c, false);
		return;
	}
	/* a hang-up on a socket we no longer read: nothing can reach it any more */
	if ((events & (EPOLLHUP | EPOLLERR)) && c->d[i].eof) {
		rk_tcp_close(c, true);
		return;
	}
	rk_tcp_interest(c);
}

static void rk_tcp_open(struct rk_tcpconn *c)
{
	struct rk_loop *loop = c->p->b->loop;

	rk_loop_del(loop, c->timer);
	c->timer = NULL;
	c->state = RK_TCP_OPEN;
	if (rk_loop_add_fd(loop, c->fd[0], EPOLLIN, true, rk_tcp_on_event, c, &c->src[0]) < 0) {
		rk_tcp_close(c, true);
		return;
	}
	c->ev[0] = EPOLLIN;
	rk_tcp_on_open_event(c, 1, EPOLLIN);
}

/* The connect failed or timed out: a transparent attempt falls back, else the client goes. */
static void rk_tcp_connect_failed(struct rk_tcpconn *c, int e)
{
	struct rk_builtin *b = c->p->b;

	if (!c->transparent) {
		rk_debug("port %lld: connect: %s", (long long)c->p->e->id, strerror(e));
		rk_tcp_close(c, false);
		return;
	}
	rk_debug("transparent dial failed, falling back: %s", strerror(e));
	if (!b->srcip_warned) {
		rk_warn("source IP transparent: falling back to non-transparent mode, client "
			"source IPs will not be preserved");
		b->srcip_warned = true;
	}
	rk_loop_del(b->loop, c->src[1]); /* closes the socket */
	c->src[1] = NULL;
	c->fd[1] = -1;
	rk_loop_del(b->loop, c->timer);
	c->timer = NULL;
	c->transparent = false;
	rk_tcp_take_socket(c);
}

static void rk_tcp_on_connected(struct rk_tcpconn *c)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		e = errno;
	if (e) {
		rk_tcp_connect_failed(c, e);
		return;
	}
	rk_tcp_open(c);
}

static void rk_tcp_on_event(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			    void *data)
{
	struct rk_tcpconn *c = data;
	int i = src == c->src[0] ? 0 : 1;

	if (c->state == RK_TCP_CONNECTING) {
		if (i == 1)
			rk_tcp_on_connected(c);
		return;
	}
	if (c->state == RK_TCP_OPEN)
		rk_tcp_on_open_event(c, i, events);
}

static void rk_tcp_on_timeout(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			      void *data)
{
	struct rk_tcpconn *c = data;

	if (c->state == RK_TCP_CONNECTING)
		rk_tcp_connect_failed(c, ETIMEDOUT);
}

/* The client's address as seen from the target's family, for a transparent bind. */
static bool rk_tcp_peer_as(const struct rk_tcpconn *c, int family, struct sockaddr_storage *out,
			   socklen_t *len)
{
	const struct sockaddr_in6 *p6 = (const struct sockaddr_in6 *)&c->peer;

	memset(out, 0, sizeof(*out));
	if (c->peer.ss_family == family) {
		memcpy(out, &c->peer, c->peer_len);
		*len = c->peer_len;
		return true;
	}
	if (family == AF_INET && c->peer.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&p6->sin6_addr)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)out;
		s4->sin_family = AF_INET;
		s4->sin_port = p6->sin6_port;
		memcpy(&s4->sin_addr, &p6->sin6_addr.s6_addr[12], 4);
		*len = sizeof(*s4);
		return true;
	}
	return false;
}

static int rk_tcp_make_transparent(struct rk_tcpconn *c, int fd)
{
	struct sockaddr_storage a;
	socklen_t len;
	int one = 1, family = c->p->target.ss_family;

	if (!rk_tcp_peer_as(c, family, &a, &len))
		return -EAFNOSUPPORT;
	if (family == AF_INET ? setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one))
			      : setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one)))
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, len) < 0)
		return -errno;
	return 0;
}

static void rk_tcp_got_socket(struct rk_tcpconn *c, int fd)
{
	struct rk_bport *p = c->p;
	struct rk_loop *loop = p->b->loop;
	int rc, one = 1;

	if (c->transparent && (rc = rk_tcp_make_transparent(c, fd)) < 0) {
		close(fd);
		rk_tcp_connect_failed(c, -rc);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd[1] = fd;
	c->state = RK_TCP_CONNECTING;
	if (rk_loop_add_fd(loop, fd, EPOLLOUT, true, rk_tcp_on_event, c, &c->src[1]) < 0) {
		rk_tcp_close(c, true);
		return;
	}
	c->ev[1] = EPOLLOUT;
	if (connect(fd, (struct sockaddr *)&p->target, p->target_len) == 0) {
		rk_tcp_open(c);
		return;
	}
	if (errno != EINPROGRESS) {
		rk_tcp_connect_failed(c, errno);
		return;
	}
	if (c->transparent)
		rk_loop_add_timer(loop, RK_TCP_TRANSPARENT_MS, 0, rk_tcp_on_timeout, c, &c->timer);
}

static void rk_tcp_on_socket(struct rk_sockwait *w, int fd)
{
	struct rk_tcpconn *c = (struct rk_tcpconn *)((char *)w - offsetof(struct rk_tcpconn, wait));

	if (fd < 0) {
		rk_tcp_close(c, false);
		return;
	}
	rk_tcp_got_socket(c, fd);
}

static void rk_tcp_take_socket(struct rk_tcpconn *c)
{
	struct rk_bport *p = c->p;
	int fd = rk_sockpool_take(p->b->pool, p->target.ss_family, SOCK_STREAM);

	c->state = RK_TCP_WAIT_SOCK;
	if (fd >= 0) {
		rk_tcp_got_socket(c, fd);
		return;
	}
	c->wait.cb = rk_tcp_on_socket;
	rk_sockpool_wait(p->b->pool, p->target.ss_family, SOCK_STREAM, &c->wait);
}

static bool rk_tcp_peer_loopback(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	const struct in6_addr *x = &((const struct sockaddr_in6 *)a)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(x))
		return x->s6_addr[12] == 127;
	return IN6_IS_ADDR_LOOPBACK(x);
}

void rk_btcp_srcip_ready(struct rk_builtin *b, int rc)
{
	struct rk_tcpconn *c;

	b->srcip_state = rc == 0 ? 2 : -1;
	while ((c = b->srcip_wait)) {
		b->srcip_wait = c->srcip_next;
		c->transparent = rc == 0;
		rk_tcp_take_socket(c);
	}
}

/* Decide about source IP for new connection @c, then get its socket. */
static void rk_tcp_begin(struct rk_tcpconn *c)
{
	struct rk_builtin *b = c->p->b;
	struct sockaddr_storage a;
	socklen_t len;

	if (!b->srcip || b->srcip_state < 0 || rk_tcp_peer_loopback(&c->peer) ||
	    !rk_tcp_peer_as(c, c->p->target.ss_family, &a, &len)) {
		rk_tcp_take_socket(c);
		return;
	}
	if (b->srcip_state == 2) {
		c->transparent = true;
		rk_tcp_take_socket(c);
		return;
	}
	if (b->srcip_state == 0) {
		if (rk_msg_send_simple(b->chan_sock, RK_MSG_SRCIP_REQ, 0) < 0) {
			b->srcip_state = -1;
			rk_tcp_take_socket(c);
			return;
		}
		b->srcip_state = 1;
	}
	c->state = RK_TCP_WAIT_SRCIP;
	c->srcip_next = b->srcip_wait;
	b->srcip_wait = c;
}

static void rk_tcp_on_backoff(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			      void *data)
{
	struct rk_bport *p = data;

	rk_loop_mod_fd(loop, p->lsrc, EPOLLIN);
}

static void rk_tcp_accept_paused(struct rk_bport *p, int e)
{
	struct rk_loop *loop = p->b->loop;

	rk_debug("port %lld: accept: %s; pausing for %d ms", (long long)p->e->id, strerror(e),
		 RK_TCP_BACKOFF_MS);
	/* the timer exists since the start: out of fds, no new timerfd could be made now */
	if (rk_loop_timer_set(p->backoff, RK_TCP_BACKOFF_MS, 0) == 0)
		rk_loop_mod_fd(loop, p->lsrc, 0);
}

static void rk_tcp_on_accept(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			     void *data)
{
	struct rk_bport *p = data;
	int one = 1;

	for (int i = 0; i < RK_TCP_ACCEPT_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd =
		    accept4(p->lfd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct rk_tcpconn *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				rk_tcp_accept_paused(p, errno);
			return; /* EAGAIN, or a client that gave up (ECONNABORTED, ...) */
		}
		if (!(c = calloc(1, sizeof(*c)))) {
			close(fd);
			rk_tcp_accept_paused(p, ENOMEM);
			return;
		}
		/* both legs without Nagle, as Go's sockets: a small answer must not wait for the
		 * client's delayed ACK (measured: p99 44 ms on keep-alive HTTP without it) */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->p = p;
		c->fd[0] = fd;
		c->fd[1] = -1;
		for (int k = 0; k < 2; k++)
			c->d[k].pipe[0] = c->d[k].pipe[1] = -1;
		c->peer = peer;
		c->peer_len = len;
		c->next = p->conns;
		if (p->conns)
			p->conns->pprev = &c->next;
		c->pprev = &p->conns;
		p->conns = c;
		rk_tcp_begin(c);
	}
}

int rk_btcp_start(struct rk_bport *p)
{
	struct rk_loop *loop = p->b->loop;
	int rc;

	if ((rc = rk_loop_add_timer(loop, 0, 0, rk_tcp_on_backoff, p, &p->backoff)) < 0 ||
	    (rc = rk_loop_timer_set(p->backoff, 0, 0)) < 0)
		return rc;
	return rk_loop_add_fd(loop, p->lfd, EPOLLIN, true, rk_tcp_on_accept, p, &p->lsrc);
}

void rk_btcp_stop(struct rk_bport *p)
{
	struct rk_loop *loop = p->b->loop;

	rk_loop_del(loop, p->lsrc);
	p->lsrc = NULL;
	rk_loop_del(loop, p->backoff);
	p->backoff = NULL;
	for (struct rk_tcpconn *c = p->conns, *next; c; c = next) {
		next = c->next;
		rk_tcp_close(c, false);
	}
}
