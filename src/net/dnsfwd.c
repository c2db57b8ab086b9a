// SPDX-License-Identifier: Apache-2.0
/*
 * dnsfwd.c - the built-in stack's DNS forwarder (see dnsfwd.h).
 *
 * libslirp forwards DNS to the first name server of resolv.conf only; the host's resolver
 * tries them all. So UDP queries to the gateway's port 53 are taken before libslirp sees them
 * and sent to the host's servers (resolv.c) from a connected UDP socket per server tried:
 *
 *   - the first server (the next one per query with `options rotate`) gets the query at once;
 *   - the next server is tried as soon as one refuses (ICMP unreachable: ECONNREFUSED), or when
 *     the current one has not answered within min(timeout, 1 s); earlier servers stay asked, and
 *     the first well-formed answer (the query's ID, QR set) from any of them goes to the guest;
 *   - after timeout x attempts (resolv.conf's options) the query is dropped: the guest's own
 *     resolver times out and retries, as it would with a silent server; when every server
 *     refused, the guest gets SERVFAIL at once (the host's resolver fails at once too).
 *
 * resolv.conf is re-read when its inode, size or mtime change (checked at most once a second),
 * so a changed host configuration applies to the next query. DNS over TCP to the gateway stays
 * with libslirp (first server). The forwarder runs only on the stack's thread.
 */
#include "net/dnsfwd.h"
#include "net/resolv.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RK_DNSFWD_NEXT_MS   1000 /* at most this long before the next server is asked too */
#define RK_DNSFWD_RELOAD_MS 1000 /* resolv.conf is looked at no more often than this */

struct rk_dnsfwd_q {
	bool used;
	struct rk_frame_dns who; /* msg points into buf */
	uint8_t buf[RK_DNSFWD_MSG_MAX];
	uint16_t id;
	int fd[RK_RESOLV_MAXNS];  /* per server tried, in order; -1 */
	int idx[RK_RESOLV_MAXNS]; /* their poll index in this turn */
	int tried;		  /* servers asked so far */
	int first;		  /* the server asked first (rotate) */
	int64_t next_ms;	  /* when the next server is asked */
	int64_t end_ms;		  /* when the query is given up */
};

struct rk_dnsfwd {
	char path[256];
	struct rk_resolv conf;
	struct stat st;
	bool have_st;
	int64_t checked_ms;
	unsigned rotor;
	rk_dnsfwd_answer_cb answer;
	void *opaque;
	struct rk_dnsfwd_q *q; /* RK_DNSFWD_MAX_QUERIES, allocated on the first query */
	uint8_t *rbuf;	       /* an answer being read */
	struct rk_dnsfwd_stats stats;
};

struct rk_dnsfwd *rk_dnsfwd_new(const char *resolv_conf, rk_dnsfwd_answer_cb answer, void *opaque)
{
	struct rk_dnsfwd *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	snprintf(d->path, sizeof(d->path), "%s", resolv_conf ? resolv_conf : "/etc/resolv.conf");
	d->answer = answer;
	d->opaque = opaque;
	d->checked_ms = -RK_DNSFWD_RELOAD_MS;
	rk_resolv_parse("", 0, &d->conf);
	return d;
}

static void rk_dnsfwd_end(struct rk_dnsfwd_q *q)
{
	for (int i = 0; i < RK_RESOLV_MAXNS; i++)
		if (q->fd[i] >= 0)
			close(q->fd[i]);
	q->used = false;
}

void rk_dnsfwd_free(struct rk_dnsfwd *d)
{
	if (!d)
		return;
	for (int i = 0; d->q && i < RK_DNSFWD_MAX_QUERIES; i++)
		if (d->q[i].used)
			rk_dnsfwd_end(&d->q[i]);
	free(d->q);
	free(d->rbuf);
	free(d);
}

/* Re-read resolv.conf if it changed (at most once per RK_DNSFWD_RELOAD_MS). */
static void rk_dnsfwd_reload(struct rk_dnsfwd *d, int64_t now_ms)
{
	rk_autofree char *text = NULL;
	struct stat st;
	size_t len = 0;

	if (now_ms - d->checked_ms < RK_DNSFWD_RELOAD_MS)
		return;
	d->checked_ms = now_ms;
	if (stat(d->path, &st) < 0) {
		if (d->have_st) /* gone: glibc's default, the local host */
			rk_resolv_parse("", 0, &d->conf);
		d->have_st = false;
		return;
	}
	if (d->have_st && st.st_ino == d->st.st_ino && st.st_dev == d->st.st_dev &&
	    st.st_size == d->st.st_size && st.st_mtim.tv_sec == d->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == d->st.st_mtim.tv_nsec)
		return;
	if (rk_read_file(d->path, RK_RESOLV_TEXT_MAX, &text, &len) < 0)
		return; /* keep what we had */
	rk_resolv_parse(text, len, &d->conf);
	d->st = st;
	d->have_st = true;
}

/* Ask server number @k (in this query's order): a connected socket of its own. */
static void rk_dnsfwd_ask(struct rk_dnsfwd *d, struct rk_dnsfwd_q *q, int64_t now_ms)
{
	int k = q->tried, s = (q->first + k) % d->conf.n, fd;

	q->tried++;
	q->next_ms =
	    now_ms + (d->conf.timeout_s * 1000 < RK_DNSFWD_NEXT_MS ? d->conf.timeout_s * 1000
								   : RK_DNSFWD_NEXT_MS);
	fd = socket(d->conf.ns[s].ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&d->conf.ns[s], d->conf.len[s]) < 0 ||
	    send(fd, q->who.msg, q->who.len, MSG_NOSIGNAL) < 0) {
		close(fd);
		q->next_ms = now_ms; /* unreachable from here: the next one now */
		return;
	}
	q->fd[k] = fd;
	if (k > 0)
		d->stats.failovers++;
}

bool rk_dnsfwd_query(struct rk_dnsfwd *d, const struct rk_frame_dns *who, int64_t now_ms)
{
	struct rk_dnsfwd_q *q = NULL;

	d->stats.queries++;
	if (who->len < 12 || who->len > RK_DNSFWD_MSG_MAX || (who->msg[2] & 0x80)) {
		d->stats.dropped++; /* too short for a header, too long, or not a query */
		return false;
	}
	if (!d->q && !(d->q = calloc(RK_DNSFWD_MAX_QUERIES, sizeof(*d->q)))) {
		d->stats.dropped++;
		return false;
	}
	for (int i = 0; i < RK_DNSFWD_MAX_QUERIES && !q; i++)
		if (!d->q[i].used)
			q = &d->q[i];
	if (!q) {
		d->stats.dropped++;
		return false;
	}
	rk_dnsfwd_reload(d, now_ms);
	memset(q, 0, sizeof(*q));
	q->used = true;
	q->who = *who;
	memcpy(q->buf, who->msg, who->len);
	q->who.msg = q->buf;
	q->id = (uint16_t)((who->msg[0] << 8) | who->msg[1]);
	for (int i = 0; i < RK_RESOLV_MAXNS; i++)
		q->fd[i] = q->idx[i] = -1;
	q->first = d->conf.rotate ? (int)(d->rotor++ % (unsigned)d->conf.n) : 0;
	q->end_ms = now_ms + (int64_t)d->conf.timeout_s * 1000 * d->conf.attempts;
	rk_dnsfwd_ask(d, q, now_ms);
	return true;
}

void rk_dnsfwd_fill(struct rk_dnsfwd *d, rk_dnsfwd_add_poll_cb add, void *opaque, int64_t now_ms,
		    uint32_t *timeout_ms)
{
	for (int i = 0; d->q && i < RK_DNSFWD_MAX_QUERIES; i++) {
		struct rk_dnsfwd_q *q = &d->q[i];
		int64_t due;
		if (!q->used)
			continue;
		for (int k = 0; k < RK_RESOLV_MAXNS; k++)
			q->idx[k] = q->fd[k] >= 0 ? add(q->fd[k], POLLIN, opaque) : -1;
		due = q->tried < d->conf.n && q->next_ms < q->end_ms ? q->next_ms : q->end_ms;
		due -= now_ms;
		if (due < 0)
			due = 0;
		if ((uint64_t)due < *timeout_ms)
			*timeout_ms = (uint32_t)due;
	}
}

/* Read what socket @k of @q has: an answer goes to the guest and ends the query. */
static void rk_dnsfwd_read(struct rk_dnsfwd *d, struct rk_dnsfwd_q *q, int k, int64_t now_ms)
{
	ssize_t n;

	if (!d->rbuf && !(d->rbuf = malloc(65535)))
		return;
	for (;;) {
		n = recv(q->fd[k], d->rbuf, 65535, 0);
		if (n < 0) {
			if (errno == ECONNREFUSED) { /* down: ask the next server now */
				close(q->fd[k]);
				q->fd[k] = -1;
				q->next_ms = now_ms;
			}
			return;
		}
		/* an answer to this query: its ID, the QR bit */
		if (n >= 12 && (d->rbuf[2] & 0x80) && d->rbuf[0] == (q->id >> 8) &&
		    d->rbuf[1] == (q->id & 0xff))
			break;
	}
	d->answer(d->opaque, &q->who, d->rbuf, (size_t)n);
	d->stats.answers++;
	rk_dnsfwd_end(q);
}

/* Every server refused: SERVFAIL at once, as the host's resolver fails at once. */
static void rk_dnsfwd_servfail(struct rk_dnsfwd *d, struct rk_dnsfwd_q *q)
{
	q->buf[2] = (uint8_t)((q->buf[2] & 0x79) | 0x80); /* QR; opcode and RD kept, AA TC 0 */
	q->buf[3] = 0x80 | 2;				  /* RA, RCODE 2 (SERVFAIL) */
	d->answer(d->opaque, &q->who, q->buf, q->who.len);
	d->stats.timeouts++;
	rk_dnsfwd_end(q);
}

void rk_dnsfwd_poll(struct rk_dnsfwd *d, rk_dnsfwd_revents_cb revents, void *opaque, int64_t now_ms)
{
	for (int i = 0; d->q && i < RK_DNSFWD_MAX_QUERIES; i++) {
		struct rk_dnsfwd_q *q = &d->q[i];
		bool open = false;
		for (int k = 0; q->used && k < RK_RESOLV_MAXNS; k++)
			if (q->fd[k] >= 0 && q->idx[k] >= 0 &&
			    (revents(q->idx[k], opaque) & (POLLIN | POLLERR)))
				rk_dnsfwd_read(d, q, k, now_ms);
		if (!q->used)
			continue;
		if (now_ms >= q->end_ms) {
			d->stats.timeouts++;
			rk_dnsfwd_end(q);
			continue;
		}
		if (q->tried < d->conf.n && now_ms >= q->next_ms)
			rk_dnsfwd_ask(d, q, now_ms);
		for (int k = 0; k < RK_RESOLV_MAXNS; k++)
			open |= q->fd[k] >= 0;
		if (!open && q->tried >= d->conf.n) /* every server refused */
			rk_dnsfwd_servfail(d, q);
	}
}

void rk_dnsfwd_get_stats(const struct rk_dnsfwd *d, struct rk_dnsfwd_stats *out)
{
	*out = d->stats;
}
