// SPDX-License-Identifier: Apache-2.0
/*
 * builtin_udp.c - the UDP data path of the builtin port driver (SPEC 8.2.4).
 *
 * One listening socket per port. Each client address (IP and port) gets a flow: a UDP socket
 * in the child's netns (from the socket pool), connected to the target, found through a hash
 * table. Client datagrams are written to the flow's socket; replies read from it go back to
 * that client from the listening socket, so the client sees them come from the address it
 * sent to. A datagram that arrives while its new flow waits for a socket waits with it (one;
 * later ones are dropped, as a full socket buffer would). A flow with no traffic in either
 * direction for 90 s is closed (upstream counts replies only; counting both keeps one-way
 * streams alive and changes nothing else a client can see); ECONNREFUSED from a target that
 * is not listening is ignored until then. No datagram is copied more than once on its way.
 */
#include "port/builtin.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RK_UDP_IDLE_MS	90000
#define RK_UDP_SWEEP_MS 10000
#define RK_UDP_BUCKETS	256
#define RK_UDP_DGRAM	65536 /* > 65507, the largest UDP payload over IPv4 */
#define RK_UDP_BATCH	64

struct rk_udpflow {
	struct rk_bport *p;
	struct rk_udpflow *next; /* in its bucket */
	struct sockaddr_storage client;
	socklen_t client_len;
	int fd;
	struct rk_loop_src *src;
	struct rk_sockwait wait;
	char *held; /* a datagram waiting for the socket */
	size_t held_len;
	int64_t last; /* ms, rk_loop_now_ms() */
};

static unsigned rk_udp_hash(const struct sockaddr_storage *a, socklen_t len)
{
	const unsigned char *b = (const unsigned char *)a;
	unsigned h = 2166136261u;

	for (socklen_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h % RK_UDP_BUCKETS;
}

static void rk_udp_flow_free(struct rk_udpflow *f)
{
	struct rk_udpflow **pp = &f->p->flows[rk_udp_hash(&f->client, f->client_len)];

	for (; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	rk_sockpool_cancel(&f->wait);
	if (f->src)
		rk_loop_del(f->p->b->loop, f->src);
	else if (f->fd >= 0)
		close(f->fd);
	free(f->held);
	f->p->nflows--;
	free(f);
}

static void rk_udp_on_reply(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			    void *data)
{
	struct rk_udpflow *f = data;
	struct rk_bport *p = f->p;

	for (int i = 0; i < RK_UDP_BATCH; i++) {
		ssize_t n = recv(f->fd, p->dgram, RK_UDP_DGRAM, 0);
		if (n < 0) {
			if (errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR)
				rk_debug("port %lld: udp: %s", (long long)p->e->id,
					 strerror(errno));
			return;
		}
		f->last = rk_loop_now_ms();
		sendto(p->lfd, p->dgram, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&f->client,
		       f->client_len);
	}
}

static void rk_udp_got_socket(struct rk_udpflow *f, int fd)
{
	struct rk_bport *p = f->p;

	if (connect(fd, (struct sockaddr *)&p->target, p->target_len) < 0 ||
	    rk_loop_add_fd(p->b->loop, fd, EPOLLIN, true, rk_udp_on_reply, f, &f->src) < 0) {
		rk_debug("port %lld: udp: connect: %s", (long long)p->e->id, strerror(errno));
		close(fd);
		rk_udp_flow_free(f);
		return;
	}
	f->fd = fd;
	if (f->held) {
		send(fd, f->held, f->held_len, MSG_DONTWAIT);
		free(f->held);
		f->held = NULL;
	}
}

static void rk_udp_on_socket(struct rk_sockwait *w, int fd)
{
	struct rk_udpflow *f = (struct rk_udpflow *)((char *)w - offsetof(struct rk_udpflow, wait));

	if (fd < 0) {
		rk_udp_flow_free(f);
		return;
	}
	rk_udp_got_socket(f, fd);
}

static struct rk_udpflow *rk_udp_flow_new(struct rk_bport *p, const struct sockaddr_storage *a,
					  socklen_t len)
{
	struct rk_udpflow *f = calloc(1, sizeof(*f));
	unsigned h = rk_udp_hash(a, len);
	int fd;

	if (!f)
		return NULL;
	f->p = p;
	memcpy(&f->client, a, len);
	f->client_len = len;
	f->fd = -1;
	f->last = rk_loop_now_ms();
	f->next = p->flows[h];
	p->flows[h] = f;
	p->nflows++;
	fd = rk_sockpool_take(p->b->pool, p->target.ss_family, SOCK_DGRAM);
	if (fd >= 0) {
		rk_udp_got_socket(f, fd);
		return NULL; /* it may be gone already: the caller looks it up again */
	}
	f->wait.cb = rk_udp_on_socket;
	rk_sockpool_wait(p->b->pool, p->target.ss_family, SOCK_DGRAM, &f->wait);
	return f;
}

static struct rk_udpflow *rk_udp_find(struct rk_bport *p, const struct sockaddr_storage *a,
				      socklen_t len)
{
	for (struct rk_udpflow *f = p->flows[rk_udp_hash(a, len)]; f; f = f->next)
		if (f->client_len == len && !memcmp(&f->client, a, len))
			return f;
	return NULL;
}

static void rk_udp_forward(struct rk_bport *p, const struct sockaddr_storage *a, socklen_t len,
			   size_t n)
{
	struct rk_udpflow *f = rk_udp_find(p, a, len);

	if (!f) {
		struct rk_udpflow *w = rk_udp_flow_new(p, a, len);
		if (w) { /* waiting for its socket: hold this datagram */
			if ((w->held = malloc(n ? n : 1))) {
				memcpy(w->held, p->dgram, n);
				w->held_len = n;
			}
			return;
		}
		f = rk_udp_find(p, a, len);
	}
	if (!f || f->fd < 0)
		return; /* no socket (yet): dropped */
	f->last = rk_loop_now_ms();
	send(f->fd, p->dgram, n, MSG_DONTWAIT);
}

static void rk_udp_on_client(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			     void *data)
{
	struct rk_bport *p = data;

	for (int i = 0; i < RK_UDP_BATCH; i++) {
		struct sockaddr_storage a;
		socklen_t len = sizeof(a);
		ssize_t n =
		    recvfrom(p->lfd, p->dgram, RK_UDP_DGRAM, 0, (struct sockaddr *)&a, &len);

		if (n < 0)
			return;
		memset((char *)&a + len, 0, sizeof(a) - len);
		rk_udp_forward(p, &a, len, (size_t)n);
	}
}

static void rk_udp_on_sweep(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			    void *data)
{
	struct rk_bport *p = data;
	int64_t now = rk_loop_now_ms();

	for (unsigned h = 0; h < RK_UDP_BUCKETS; h++) {
		struct rk_udpflow *f = p->flows[h], *next;
		for (; f; f = next) {
			next = f->next;
			if (f->fd >= 0 && now - f->last >= RK_UDP_IDLE_MS)
				rk_udp_flow_free(f);
		}
	}
}

int rk_budp_start(struct rk_bport *p)
{
	struct rk_loop *loop = p->b->loop;
	int rc;

	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	p->flows = calloc(RK_UDP_BUCKETS, sizeof(*p->flows));
	p->dgram = malloc(RK_UDP_DGRAM);
	if (!p->flows || !p->dgram)
		return -ENOMEM;
	if ((rc = rk_loop_add_timer(loop, RK_UDP_SWEEP_MS, RK_UDP_SWEEP_MS, rk_udp_on_sweep, p,
				    &p->sweep)) < 0)
		return rc;
	return rk_loop_add_fd(loop, p->lfd, EPOLLIN, true, rk_udp_on_client, p, &p->lsrc);
}

void rk_budp_stop(struct rk_bport *p)
{
	struct rk_loop *loop = p->b->loop;

	rk_loop_del(loop, p->lsrc);
	p->lsrc = NULL;
	rk_loop_del(loop, p->sweep);
	p->sweep = NULL;
	for (unsigned h = 0; p->flows && h < RK_UDP_BUCKETS; h++)
		for (struct rk_udpflow *f = p->flows[h], *next; f; f = next) {
			next = f->next;
			rk_udp_flow_free(f);
		}
	free(p->flows);
	p->flows = NULL;
	free(p->dgram);
	p->dgram = NULL;
}
