// SPDX-License-Identifier: Apache-2.0
/*
 * stack.c - the built-in userspace network stack (--net=gvisor-tap-vsock): libslirp, linked in,
 * on the tap device the child made in its netns and passed to the parent.
 *
 * Theory of operation
 * -------------------
 * One thread of the parent owns the libslirp instance (libslirp must be driven from one thread)
 * and the tap fd; the parent's event loop never touches either, so the API, the builtin port
 * driver and the stack do not wait for each other, and they use both CPUs. The thread runs
 * poll(2) over the tap, an eventfd for calls from the main thread, and the host sockets
 * libslirp asks for (slirp_pollfds_fill), with the timeout libslirp asks for (2 ms while it has
 * a delayed ACK pending) and its timers. Each turn:
 *
 *   1. frames from the tap (up to RK_STACK_BATCH, non-blocking reads): the tap has offloads
 *      (IFF_VNET_HDR, TSO, checksum), so the guest hands over TCP super-frames of up to 64 KiB
 *      whatever its MTU, with the checksum left to us: it is filled in (libslirp checks every
 *      checksum) and the super-frame goes to libslirp as one segment, one host send() instead
 *      of one per MTU-sized segment. UDP to the gateway's port 53 goes to the DNS forwarder
 *      (dnsfwd.c); the rest is rewritten for the address plan (frame.c) and fed to
 *      slirp_input(). When a second TCP segment with data for the same destination comes in
 *      one turn, the host sockets of that destination get TCP_CORK;
 *   2. slirp_pollfds_poll(): libslirp reads and writes its host sockets;
 *   3. timers, the DNS forwarder's sockets, calls from the main thread (forwarding rules);
 *   4. the corked sockets are uncorked: what libslirp wrote during the turn leaves in large
 *      segments instead of one loopback send per guest segment (libslirp sets TCP_NODELAY);
 *   5. frames from libslirp, queued during the turn, are written to the tap (each after a
 *      zeroed virtio-net header: complete frames); a pure ACK that a newer ACK of the same
 *      connection in the same turn supersedes is left out (never a duplicate ACK: those signal
 *      loss). One tap write per ACK was the other big cost. (Writing frames other than pure
 *      ACKs at once was tried: the guest's answer then comes within the same batch of reads,
 *      and libslirp 4.7 dropped the first ICMP echo after an ARP exchange that way; see
 *      docs/stack.md.)
 *
 * Host sockets get larger buffers when libslirp registers them (RK_STACK_SOCKBUF): libslirp
 * 4.7 has no window scaling, and small default buffers against its 64 KiB window stall it.
 * That window is what bounds one connection: one 64 KiB flight per round trip between the
 * guest's TCP and this thread (docs/stack.md, docs/benchmarks.md).
 *
 * Faults: a tap read or write error, a frame libslirp complains about (guest_error, glib
 * warnings) is counted and logged once per kind; after repeated tap read errors (the netns is
 * gone) the tap is no longer polled, so nothing spins; the command keeps running.
 */
#include "net/stack.h"
#include "net/dnsfwd.h"
#include "net/slirpdl.h"
#include "net/frame.h"
#include "util/cleanup.h"
#include "util/goparse.h"
#include "util/log.h"
#include "util/loop.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* libslirp's functions (slirpdl.c's table), set by rk_stack_start before the thread starts */
static const struct rk_slirp_api *rk_slirp;

#define RK_STACK_BATCH	    64	      /* tap frames per turn */
#define RK_STACK_OUTQ	    128	      /* frames to the tap queued per turn */
#define RK_STACK_OUTBUF	    (1 << 20) /* their bytes */
#define RK_STACK_FRAME_MAX  (65535 + RK_FRAME_ETH_HLEN + 4)
#define RK_STACK_CORK_MAX   64	/* sockets corked in one turn */
#define RK_STACK_CORK_SCAN  256 /* more TCP sockets than this: no corking (not a bulk case) */
#define RK_STACK_ACK_LOOK   32	/* queued frames a new ACK looks back over */
#define RK_STACK_SOCKBUF    (4 << 20)
#define RK_STACK_TAP_ERRORS 100 /* consecutive read errors before the tap is given up */

struct rk_stack_timer {
	struct rk_stack_timer *next;
	SlirpTimerCb cb; /* timer_new kind */
	void *cb_opaque;
	SlirpTimerId id;   /* timer_new_opaque kind (cb NULL) */
	int64_t expire_ms; /* -1: not armed */
};

/* What the stack knows of a host socket of libslirp's (indexed by fd). */
struct rk_stack_sock {
	bool known, tcp, peer_known, corked;
	uint8_t family;
	uint16_t port; /* peer port, host order */
	uint8_t addr[16];
	uint32_t pos; /* index in tcpfds */
};

struct rk_stack_out {
	uint32_t off, len;
	bool dead;
	struct rk_frame_info fi;
};

enum rk_stack_op { RK_STACK_OP_ADD = 1, RK_STACK_OP_REMOVE };

/* A call from the main thread; it lives in struct rk_stack, so a call given up after
 * RK_STACK_CALL_MS still points at valid memory when the thread gets to it. */
struct rk_stack_call {
	enum rk_stack_op op;
	struct rk_stack_fwd fwd;
	int rc;
	bool pending, done;
};

struct rk_stack {
	Slirp *slirp;
	pthread_t thread;
	bool thread_started;
	int tap, wake;
	bool tap_gone;
	unsigned tap_errors_in_row;
	struct rk_frame_plan plan;
	int mtu;

	struct pollfd *pfd;
	size_t npfd, cappfd;
	struct rk_stack_timer *timers;

	struct rk_stack_sock *socks;
	size_t nsocks;
	int *tcpfds;
	size_t ntcp, captcp;
	int corked[RK_STACK_CORK_MAX];
	size_t ncorked;

	uint8_t *inbuf;
	uint8_t *outbuf;
	size_t outlen;
	struct rk_stack_out outq[RK_STACK_OUTQ];
	size_t nout;
	struct rk_dnsfwd *dns;

	pthread_mutex_t mu;
	pthread_cond_t cv;	   /* on CLOCK_MONOTONIC */
	struct rk_stack_call call; /* under mu */
	atomic_bool stop;

	/* counters of the thread, printed (--debug) when the stack stops */
	uint64_t frames_in, frames_out, dropped_in, dropped_out, acks_coalesced;
	uint64_t tap_read_errors, tap_write_errors, guest_errors;
	bool warned_write, warned_read, warned_guest, warned_glib;
};

/* --- the socket table: what corking needs --- */

static struct rk_stack_sock *rk_stack_sock(struct rk_stack *s, int fd, bool grow)
{
	if (fd < 0)
		return NULL;
	if ((size_t)fd >= s->nsocks) {
		size_t n = s->nsocks ? s->nsocks : 64;
		struct rk_stack_sock *t;
		if (!grow)
			return NULL;
		while (n <= (size_t)fd)
			n *= 2;
		if (!(t = realloc(s->socks, n * sizeof(*t))))
			return NULL;
		memset(t + s->nsocks, 0, (n - s->nsocks) * sizeof(*t));
		s->socks = t;
		s->nsocks = n;
	}
	return &s->socks[fd];
}

static void rk_stack_on_register(int fd, void *opaque)
{
	struct rk_stack *s = opaque;
	struct rk_stack_sock *k = rk_stack_sock(s, fd, true);
	int type = 0, buf = RK_STACK_SOCKBUF;
	socklen_t len = sizeof(type);

	if (!k)
		return;
	memset(k, 0, sizeof(*k));
	k->known = true;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (s->ntcp == s->captcp) {
		size_t n = s->captcp ? s->captcp * 2 : 64;
		int *t = realloc(s->tcpfds, n * sizeof(*t));
		if (!t)
			return;
		s->tcpfds = t;
		s->captcp = n;
	}
	k->tcp = true;
	k->pos = (uint32_t)s->ntcp;
	s->tcpfds[s->ntcp++] = fd;
}

static void rk_stack_on_unregister(int fd, void *opaque)
{
	struct rk_stack *s = opaque;
	struct rk_stack_sock *k = rk_stack_sock(s, fd, false);

	if (!k || !k->known)
		return;
	if (k->tcp) {
		int last = s->tcpfds[--s->ntcp];
		s->tcpfds[k->pos] = last;
		s->socks[last].pos = k->pos;
	}
	if (k->corked)
		for (size_t i = 0; i < s->ncorked; i++)
			if (s->corked[i] == fd)
				s->corked[i] = s->corked[--s->ncorked];
	memset(k, 0, sizeof(*k));
}

static bool rk_stack_peer(int fd, struct rk_stack_sock *k)
{
	struct sockaddr_storage ss = {0};
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
		memcpy(k->addr, &a->sin_addr, 4);
		k->port = ntohs(a->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
		memcpy(k->addr, &a->sin6_addr, 16);
		k->port = ntohs(a->sin6_port);
	} else {
		return false;
	}
	k->family = (uint8_t)ss.ss_family;
	k->peer_known = true;
	return true;
}

/*
 * Cork the host sockets a guest TCP segment with data goes to: those connected to its
 * destination as libslirp translates it (the alias is the host's loopback).
 */
static void rk_stack_cork_for(struct rk_stack *s, const struct rk_frame_info *fi)
{
	static const uint8_t lo6[16] = {[15] = 1};
	uint8_t want[16];
	size_t n = fi->family == AF_INET ? 4 : 16;
	int on = 1;

	if (s->ntcp > RK_STACK_CORK_SCAN || s->ncorked == RK_STACK_CORK_MAX)
		return;
	memcpy(want, fi->dst, n);
	if (fi->family == AF_INET && !memcmp(fi->dst, &s->plan.alias4, 4)) {
		uint32_t lo = htonl(INADDR_LOOPBACK);
		memcpy(want, &lo, 4);
	} else if (fi->family == AF_INET6 && !memcmp(fi->dst, &s->plan.alias6, 16)) {
		memcpy(want, lo6, 16);
	}
	for (size_t i = 0; i < s->ntcp && s->ncorked < RK_STACK_CORK_MAX; i++) {
		int fd = s->tcpfds[i];
		struct rk_stack_sock *k = &s->socks[fd];
		if (k->corked || (!k->peer_known && !rk_stack_peer(fd, k)))
			continue;
		if (k->family != fi->family || k->port != fi->dport || memcmp(k->addr, want, n))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0) {
			k->corked = true;
			s->corked[s->ncorked++] = fd;
		}
	}
}

static void rk_stack_uncork(struct rk_stack *s)
{
	int off = 0;

	for (size_t i = 0; i < s->ncorked; i++) {
		setsockopt(s->corked[i], IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
		s->socks[s->corked[i]].corked = false;
	}
	s->ncorked = 0;
}

/* --- frames to the guest --- */

static void rk_stack_flush(struct rk_stack *s)
{
	for (size_t i = 0; i < s->nout; i++) {
		const struct rk_stack_out *o = &s->outq[i];
		ssize_t w;
		if (o->dead)
			continue;
		do
			w = write(s->tap, s->outbuf + o->off, o->len);
		while (w < 0 && errno == EINTR);
		if (w == (ssize_t)o->len) {
			s->frames_out++;
			continue;
		}
		s->tap_write_errors++;
		s->dropped_out++;
		if (!s->warned_write) {
			s->warned_write = true;
			rk_debug("built-in network: writing to the tap: %s (counted from now on)",
				 w < 0 ? go_strerror(errno) : "short write");
		}
	}
	s->nout = 0;
	s->outlen = 0;
}

/*
 * Room for a frame of @len bytes at the end of the queue (flushing it first if need be),
 * after the zeroed virtio-net header each write to the tap starts with (no offload: libslirp's
 * frames are complete).
 */
static uint8_t *rk_stack_room(struct rk_stack *s, size_t len)
{
	if (s->nout == RK_STACK_OUTQ || s->outlen + RK_VNET_HDR_LEN + len > RK_STACK_OUTBUF)
		rk_stack_flush(s);
	memset(s->outbuf + s->outlen, 0, RK_VNET_HDR_LEN);
	return s->outbuf + s->outlen + RK_VNET_HDR_LEN;
}

/* Queue the frame written at rk_stack_room(); coalesce the ACKs it supersedes. */
static void rk_stack_queue(struct rk_stack *s, size_t len)
{
	struct rk_stack_out *o = &s->outq[s->nout];
	size_t look;

	o->off = (uint32_t)s->outlen;
	o->len = (uint32_t)(RK_VNET_HDR_LEN + len);
	o->dead = false;
	if (o->fi.tcp && o->fi.has_ack) {
		look = s->nout < RK_STACK_ACK_LOOK ? s->nout : RK_STACK_ACK_LOOK;
		for (size_t i = s->nout - look; i < s->nout; i++)
			if (!s->outq[i].dead && rk_frame_ack_supersedes(&s->outq[i].fi, &o->fi)) {
				s->outq[i].dead = true;
				s->acks_coalesced++;
			}
	}
	s->outlen += RK_VNET_HDR_LEN + len;
	s->nout++;
}

static ssize_t rk_stack_send_packet(const void *buf, size_t len, void *opaque)
{
	struct rk_stack *s = opaque;
	uint8_t *f;

	if (len < RK_FRAME_ETH_HLEN || len > RK_STACK_FRAME_MAX)
		return (ssize_t)len;
	f = rk_stack_room(s, len);
	memcpy(f, buf, len);
	if (rk_frame_to_guest(&s->plan, f, len, &s->outq[s->nout].fi) == RK_FRAME_DROP) {
		s->dropped_out++;
		return (ssize_t)len;
	}
	rk_stack_queue(s, len);
	return (ssize_t)len;
}

/* An answer of the DNS forwarder: a frame of our own; too big for the MTU: truncated (TC). */
static void rk_stack_dns_answer(void *opaque, const struct rk_frame_dns *q, const uint8_t *msg,
				size_t len)
{
	struct rk_stack *s = opaque;
	size_t max = RK_FRAME_ETH_HLEN + 40 + 8 + len, n;
	uint8_t *f = rk_stack_room(s, max), tc[12];

	n = rk_frame_dns_reply(&s->plan, q, msg, len, s->mtu, f,
			       RK_STACK_OUTBUF - s->outlen - RK_VNET_HDR_LEN);
	if (n == 0) {
		/* the header alone with TC set: the guest's resolver asks again over TCP */
		memcpy(tc, msg, 12);
		tc[2] |= 0x02;
		memset(tc + 4, 0, 8);
		n = rk_frame_dns_reply(&s->plan, q, tc, 12, s->mtu, f,
				       RK_STACK_OUTBUF - s->outlen - RK_VNET_HDR_LEN);
	}
	if (n == 0)
		return;
	memset(&s->outq[s->nout].fi, 0, sizeof(s->outq[s->nout].fi));
	rk_stack_queue(s, n);
}

/* --- frames from the guest --- */

static void rk_stack_tap_failed(struct rk_stack *s, int e)
{
	s->tap_read_errors++;
	if (!s->warned_read) {
		s->warned_read = true;
		rk_warn("built-in network: reading the tap: %s", go_strerror(e));
	}
	if (++s->tap_errors_in_row >= RK_STACK_TAP_ERRORS && !s->tap_gone) {
		s->tap_gone = true;
		rk_warn("built-in network: the tap device keeps failing (%s); the network "
			"namespace has no connectivity any more",
			go_strerror(e));
	}
}

/*
 * The cork decision for a guest TCP segment with data: the first of a destination in a turn
 * goes out as it is (a turn often holds a single super-frame: corking it would only cost two
 * system calls); a second one corks the destination's sockets, so the rest of the turn's
 * segments join in the kernel. @seen: destinations of this turn (and whether corked).
 */
struct rk_stack_seen {
	struct rk_frame_info fi;
	bool corked;
};

static void rk_stack_cork_decide(struct rk_stack *s, const struct rk_frame_info *fi,
				 struct rk_stack_seen *seen, size_t *nseen, size_t max)
{
	for (size_t j = 0; j < *nseen; j++) {
		struct rk_stack_seen *x = &seen[j];
		if (x->fi.family != fi->family || x->fi.dport != fi->dport ||
		    memcmp(x->fi.dst, fi->dst, 16))
			continue;
		if (!x->corked) {
			rk_stack_cork_for(s, fi);
			x->corked = true;
		}
		return;
	}
	if (*nseen < max)
		seen[(*nseen)++] = (struct rk_stack_seen){.fi = *fi};
}

/* Read one frame from the tap into s->inbuf. Return: its length (after the virtio-net
 * header, checksum completed), 0 to skip it, or -1 when there is nothing more this turn. */
static ssize_t rk_stack_tap_read(struct rk_stack *s)
{
	struct rk_vnet_hdr vh;
	ssize_t n;

	do
		n = read(s->tap, s->inbuf, RK_VNET_HDR_LEN + RK_STACK_FRAME_MAX);
	while (n < 0 && errno == EINTR);
	if (n < 0 || n <= RK_VNET_HDR_LEN) {
		if (n >= 0 || errno != EAGAIN)
			rk_stack_tap_failed(s, n < 0 ? errno : EIO);
		return -1;
	}
	s->tap_errors_in_row = 0;
	memcpy(&vh, s->inbuf, sizeof(vh));
	n -= RK_VNET_HDR_LEN;
	if (rk_frame_vnet_complete(&vh, s->inbuf + RK_VNET_HDR_LEN, (size_t)n) < 0) {
		s->dropped_in++;
		return 0;
	}
	return n;
}

static void rk_stack_tap_input(struct rk_stack *s)
{
	struct rk_stack_seen seen[4];
	size_t nseen = 0;
	uint8_t *f = s->inbuf + RK_VNET_HDR_LEN;

	for (int i = 0; i < RK_STACK_BATCH; i++) {
		struct rk_frame_info fi;
		struct rk_frame_dns dq;
		ssize_t n = rk_stack_tap_read(s);
		if (n < 0)
			return;
		if (n == 0)
			continue;
		if (rk_frame_from_guest(&s->plan, f, (size_t)n, &fi) == RK_FRAME_DROP) {
			s->dropped_in++;
			continue;
		}
		/* the rewrite left it as it was: the forwarder takes it whole */
		if (fi.dns && s->dns && rk_frame_dns_query(&s->plan, f, (size_t)n, &dq)) {
			s->frames_in++;
			rk_dnsfwd_query(s->dns, &dq, rk_loop_now_ms());
			continue;
		}
		if (fi.tcp && fi.paylen)
			rk_stack_cork_decide(s, &fi, seen, &nseen, 4);
		s->frames_in++;
		rk_slirp->input(s->slirp, f, (int)n);
	}
}

/* --- poll set and timers --- */

static int rk_stack_add_poll(int fd, int events, void *opaque)
{
	struct rk_stack *s = opaque;
	short ev = 0;

	if (s->npfd == s->cappfd) {
		size_t n = s->cappfd ? s->cappfd * 2 : 64;
		struct pollfd *t = realloc(s->pfd, n * sizeof(*t));
		if (!t)
			return -1; /* libslirp then skips this socket for the turn */
		s->pfd = t;
		s->cappfd = n;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	s->pfd[s->npfd] = (struct pollfd){.fd = fd, .events = ev};
	return (int)s->npfd++;
}

static int rk_stack_get_revents(int idx, void *opaque)
{
	struct rk_stack *s = opaque;
	short r;
	int ev = 0;

	if (idx < 0 || (size_t)idx >= s->npfd)
		return 0;
	r = s->pfd[idx].revents;
	if (r & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (r & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (r & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (r & (POLLERR | POLLNVAL))
		ev |= SLIRP_POLL_ERR;
	if (r & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

static int rk_stack_dns_add(int fd, short events, void *opaque)
{
	return rk_stack_add_poll(fd, SLIRP_POLL_IN, opaque);
}

static short rk_stack_dns_revents(int idx, void *opaque)
{
	struct rk_stack *s = opaque;

	return idx >= 0 && (size_t)idx < s->npfd ? s->pfd[idx].revents : 0;
}

static int64_t rk_stack_clock_ns(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *rk_stack_timer_add(struct rk_stack *s, SlirpTimerCb cb, void *cb_opaque,
				SlirpTimerId id)
{
	struct rk_stack_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->id = id;
	t->expire_ms = -1;
	t->next = s->timers;
	s->timers = t;
	return t;
}

static void *rk_stack_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	return rk_stack_timer_add(opaque, cb, cb_opaque, SLIRP_TIMER_NUM);
}

static void *rk_stack_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	return rk_stack_timer_add(opaque, NULL, cb_opaque, id);
}

static void rk_stack_timer_free(void *timer, void *opaque)
{
	struct rk_stack *s = opaque;

	for (struct rk_stack_timer **pp = &s->timers; *pp; pp = &(*pp)->next)
		if (*pp == timer) {
			*pp = ((struct rk_stack_timer *)timer)->next;
			free(timer);
			return;
		}
}

static void rk_stack_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	((struct rk_stack_timer *)timer)->expire_ms = expire_ms;
}

/* Run the timers that are due; lower *@timeout to the next one. */
static void rk_stack_timers(struct rk_stack *s, uint32_t *timeout)
{
	int64_t now = rk_loop_now_ms();
	struct rk_stack_timer *t;
	bool again = true;

	while (again) {
		again = false;
		for (t = s->timers; t; t = t->next) {
			if (t->expire_ms < 0 || t->expire_ms > now)
				continue;
			t->expire_ms = -1;
			if (t->cb)
				t->cb(t->cb_opaque);
			else
				rk_slirp->handle_timer(s->slirp, t->id, t->cb_opaque);
			again = true; /* the callback may have changed the list */
			break;
		}
	}
	for (t = s->timers; t && timeout; t = t->next)
		if (t->expire_ms >= 0 && (uint64_t)(t->expire_ms - now) < *timeout)
			*timeout = (uint32_t)(t->expire_ms - now);
}

/* --- messages of libslirp --- */

static void rk_stack_guest_error(const char *msg, void *opaque)
{
	struct rk_stack *s = opaque;

	s->guest_errors++;
	if (!s->warned_guest) {
		s->warned_guest = true;
		rk_warn("built-in network: %s (further guest errors are only counted)", msg);
	}
}

static void rk_stack_glib_log(const gchar *domain, GLogLevelFlags level, const gchar *msg,
			      gpointer data)
{
	struct rk_stack *s = data;

	if (level & G_LOG_LEVEL_DEBUG)
		return;
	s->guest_errors++;
	if (!s->warned_glib) {
		s->warned_glib = true;
		rk_warn("built-in network: libslirp: %s (further messages are only counted)", msg);
	} else {
		rk_debug("built-in network: libslirp: %s", msg);
	}
}

static void rk_stack_notify(void *opaque)
{
}

static const SlirpCb rk_stack_cb = {
    .send_packet = rk_stack_send_packet,
    .guest_error = rk_stack_guest_error,
    .clock_get_ns = rk_stack_clock_ns,
    .timer_new = rk_stack_timer_new,
    .timer_free = rk_stack_timer_free,
    .timer_mod = rk_stack_timer_mod,
    .register_poll_fd = rk_stack_on_register,
    .unregister_poll_fd = rk_stack_on_unregister,
    .notify = rk_stack_notify,
    .timer_new_opaque = rk_stack_timer_new_opaque,
};

/* --- calls from the main thread --- */

static void rk_stack_run_call(struct rk_stack *s)
{
	struct rk_stack_call c;
	int flags, rc;

	pthread_mutex_lock(&s->mu);
	c = s->call;
	pthread_mutex_unlock(&s->mu);
	if (!c.pending)
		return;
	flags = (c.fwd.udp ? SLIRP_HOSTFWD_UDP : 0) | (c.fwd.v6only ? SLIRP_HOSTFWD_V6ONLY : 0);
	errno = 0;
	if (c.op == RK_STACK_OP_ADD)
		rc = rk_slirp->add_hostxfwd(s->slirp, (const struct sockaddr *)&c.fwd.host,
					    c.fwd.host_len, (const struct sockaddr *)&c.fwd.guest,
					    c.fwd.guest_len, flags);
	else
		rc = rk_slirp->remove_hostxfwd(s->slirp, (const struct sockaddr *)&c.fwd.host,
					       c.fwd.host_len, flags);
	if (rc < 0)
		rc = c.op == RK_STACK_OP_ADD ? -(errno ? errno : EINVAL) : -ENOENT;
	pthread_mutex_lock(&s->mu);
	s->call.rc = rc;
	s->call.pending = false;
	s->call.done = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* A forwarding address libslirp can take (it asserts on what getnameinfo refuses). */
static bool rk_stack_addr_ok(const struct sockaddr_storage *ss, socklen_t len)
{
	if (ss->ss_family == AF_INET)
		return len == sizeof(struct sockaddr_in);
	return ss->ss_family == AF_INET6 && len == sizeof(struct sockaddr_in6);
}

static int rk_stack_call(struct rk_stack *s, enum rk_stack_op op, const struct rk_stack_fwd *f)
{
	struct timespec until;
	uint64_t one = 1;
	int rc = 0;

	if (!rk_stack_addr_ok(&f->host, f->host_len) ||
	    (op == RK_STACK_OP_ADD && !rk_stack_addr_ok(&f->guest, f->guest_len)))
		return -EAFNOSUPPORT;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += RK_STACK_CALL_MS / 1000;
	pthread_mutex_lock(&s->mu);
	/* calls come from the main thread only: one is pending only if an earlier one timed out */
	while (s->call.pending && rc == 0)
		rc = pthread_cond_timedwait(&s->cv, &s->mu, &until);
	if (rc == 0) {
		s->call = (struct rk_stack_call){.op = op, .fwd = *f, .pending = true};
		if (write(s->wake, &one, sizeof(one)) < 0)
			rk_debug("built-in network: waking the stack: %s", go_strerror(errno));
		while (!s->call.done && rc == 0)
			rc = pthread_cond_timedwait(&s->cv, &s->mu, &until);
	}
	rc = s->call.done ? s->call.rc : -ETIMEDOUT;
	s->call.done = false;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int rk_stack_fwd_add(struct rk_stack *s, const struct rk_stack_fwd *f)
{
	return rk_stack_call(s, RK_STACK_OP_ADD, f);
}

int rk_stack_fwd_remove(struct rk_stack *s, const struct rk_stack_fwd *f)
{
	return rk_stack_call(s, RK_STACK_OP_REMOVE, f);
}

/* --- the thread --- */

static void rk_stack_turn(struct rk_stack *s)
{
	uint32_t timeout = 1000;
	int n, select_error = 0;

	s->npfd = 0;
	rk_stack_add_poll(s->tap_gone ? -1 : s->tap, SLIRP_POLL_IN, s);
	rk_stack_add_poll(s->wake, SLIRP_POLL_IN, s);
	rk_slirp->pollfds_fill(s->slirp, &timeout, rk_stack_add_poll, s);
	if (s->dns)
		rk_dnsfwd_fill(s->dns, rk_stack_dns_add, s, rk_loop_now_ms(), &timeout);
	rk_stack_timers(s, &timeout);
	n = poll(s->pfd, s->npfd, (int)timeout);
	if (n < 0) {
		if (errno != EINTR)
			rk_debug("built-in network: poll: %s", go_strerror(errno));
		select_error = 1;
	}
	if (n > 0 && (s->pfd[0].revents & (POLLIN | POLLERR | POLLHUP)))
		rk_stack_tap_input(s);
	rk_slirp->pollfds_poll(s->slirp, select_error, rk_stack_get_revents, s);
	if (s->dns)
		rk_dnsfwd_poll(s->dns, rk_stack_dns_revents, s, rk_loop_now_ms());
	rk_stack_timers(s, NULL);
	if (n > 0 && (s->pfd[1].revents & POLLIN)) {
		uint64_t v;
		if (read(s->wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
			rk_debug("built-in network: eventfd: %s", go_strerror(errno));
		rk_stack_run_call(s);
	}
	rk_stack_uncork(s);
	rk_stack_flush(s);
}

static void *rk_stack_main(void *arg)
{
	struct rk_stack *s = arg;

	while (!atomic_load(&s->stop))
		rk_stack_turn(s);
	return NULL;
}

static int rk_stack_new_slirp(struct rk_stack *s, const struct rk_stack_config *c,
			      struct rk_err *err)
{
	SlirpConfig cfg = {
	    .version = 4,
	    .in_enabled = true,
	    .vnetwork = c->net,
	    .vnetmask = c->mask,
	    .vhost = c->alias,
	    .in6_enabled = c->ipv6,
	    .vprefix_addr6 = c->prefix6,
	    .vprefix_len = c->prefix6_len,
	    .vhost6 = c->alias6,
	    .vdhcp_start = c->dhcp_start,
	    .vnameserver = c->gw,
	    .vnameserver6 = c->gw6,
	    .if_mtu = (size_t)c->mtu,
	    .if_mru = (size_t)c->mtu,
	    .disable_host_loopback = !c->host_loopback,
	};

	rk_slirp->g_log_set_handler("Slirp",
				    G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
				    rk_stack_glib_log, s);
	s->slirp = rk_slirp->new_(&cfg, &rk_stack_cb, s);
	if (!s->slirp)
		return rk_err_set(err, EINVAL, "libslirp refused the configuration (mtu %d)",
				  c->mtu);
	return 0;
}

static int rk_stack_alloc(struct rk_stack *s, const struct rk_stack_config *c, struct rk_err *err)
{
	s->cappfd = 64;
	s->pfd = calloc(s->cappfd, sizeof(*s->pfd));
	s->inbuf = malloc(RK_VNET_HDR_LEN + RK_STACK_FRAME_MAX);
	s->outbuf = malloc(RK_STACK_OUTBUF);
	if (!s->pfd || !s->inbuf || !s->outbuf)
		return rk_err_set(err, ENOMEM, "out of memory");
	s->mtu = c->mtu;
	s->plan = (struct rk_frame_plan){
	    .gw4 = c->gw,
	    .alias4 = c->alias,
	    .gw6 = c->gw6,
	    .alias6 = c->alias6,
	    .ipv6 = c->ipv6,
	    .drop_ra = true,
	};
	s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake < 0)
		return rk_err_errno(err, errno, "eventfd");
	if (!(s->dns = rk_dnsfwd_new(NULL, rk_stack_dns_answer, s)))
		return rk_err_set(err, ENOMEM, "out of memory");
	return 0;
}

int rk_stack_start(struct rk_stack **out, const struct rk_stack_config *c, struct rk_err *err)
{
	struct rk_stack *s;
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (!(rk_slirp = rk_slirp_load(err))) {
		close(c->tap_fd);
		return -ENOENT;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		close(c->tap_fd);
		return rk_err_set(err, ENOMEM, "out of memory");
	}
	s->tap = c->tap_fd;
	s->wake = -1;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = rk_stack_alloc(s, c, err)) < 0 || (rc = rk_stack_new_slirp(s, c, err)) < 0) {
		rk_stack_stop(s);
		return rc;
	}
	/* the thread takes no signals: the main thread's signalfd gets them all */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&s->thread, NULL, rk_stack_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		rk_stack_stop(s);
		return rk_err_errno(err, rc, "starting the network stack's thread");
	}
	s->thread_started = true;
	*out = s;
	return 0;
}

void rk_stack_stop(struct rk_stack *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	if (s->thread_started) {
		atomic_store(&s->stop, true);
		if (write(s->wake, &one, sizeof(one)) < 0)
			rk_debug("built-in network: waking the stack: %s", go_strerror(errno));
		pthread_join(s->thread, NULL);
	}
	rk_debug("built-in network: frames in %llu out %llu, dropped in %llu out %llu, ACKs "
		 "coalesced %llu, tap errors read %llu write %llu, guest errors %llu",
		 (unsigned long long)s->frames_in, (unsigned long long)s->frames_out,
		 (unsigned long long)s->dropped_in, (unsigned long long)s->dropped_out,
		 (unsigned long long)s->acks_coalesced, (unsigned long long)s->tap_read_errors,
		 (unsigned long long)s->tap_write_errors, (unsigned long long)s->guest_errors);
	if (s->dns) {
		struct rk_dnsfwd_stats d;
		rk_dnsfwd_get_stats(s->dns, &d);
		rk_debug("built-in network: DNS queries %llu, answers %llu, dropped %llu, "
			 "fail-overs %llu, given up %llu",
			 (unsigned long long)d.queries, (unsigned long long)d.answers,
			 (unsigned long long)d.dropped, (unsigned long long)d.failovers,
			 (unsigned long long)d.timeouts);
	}
	if (s->slirp)
		rk_slirp->cleanup(s->slirp);
	rk_dnsfwd_free(s->dns);
	while (s->timers) {
		struct rk_stack_timer *t = s->timers;
		s->timers = t->next;
		free(t);
	}
	if (s->tap >= 0)
		close(s->tap);
	if (s->wake >= 0)
		close(s->wake);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->pfd);
	free(s->socks);
	free(s->tcpfds);
	free(s->inbuf);
	free(s->outbuf);
	free(s);
}

const char *rk_stack_version(void)
{
	return rk_slirp ? rk_slirp->version_string() : "(not loaded)";
}
