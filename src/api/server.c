// SPDX-License-Identifier: Apache-2.0
/*
 * server.c - the REST API server on STATE_DIR/api.sock, inside the parent's event loop.
 *
 * Theory of operation. The listener and every connection are loop sources; nothing blocks and
 * nothing a client sends can stop the parent. Each connection has an incremental, bounded
 * HTTP parser (api/http.c: head <= 8 KiB, body <= 64 KiB, work proportional to the bytes) and
 * an output buffer. Requests on a connection are answered in order, one at a time: while an
 * answer is being computed (a port driver may answer later from the loop) or written, the
 * connection is not read, so a client that pipelines without reading its answers only stalls
 * itself (back-pressure through its own socket). A malformed request gets its 4xx with a
 * `{"message":...}` body and the connection closes after it; a well-formed one that the API
 * refuses gets its 4xx and the connection stays (keep-alive, as Go's server).
 *
 * Bounds: a request that has begun must complete within RK_API_REQUEST_MS, or the connection
 * is closed (a slow or silent client holds nothing but its own socket meanwhile). Idle
 * keep-alive connections may stay as long as their clients want, up to RK_API_CONNS_MAX: past
 * that, the least recently active idle connection is closed to make room, so a flood of idle
 * connections cannot lock others out. EMFILE/ENFILE on accept pause the listener briefly.
 */
#include "api/api.h"
#include "api/json.h"
#include "util/log.h"
#include "util/unixaddr.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define RK_API_CONNS_MAX  4096
#define RK_API_REQUEST_MS 30000
#define RK_API_SWEEP_MS	  5000
#define RK_API_BACKOFF_MS 50
#define RK_API_READ_CHUNK 16384
#define RK_API_ACCEPT_MAX 64

struct rk_api_conn {
	struct rk_api_server *s;
	struct rk_api_conn *prev, *next; /* by last activity, oldest first */
	int fd;
	struct rk_loop_src *src;
	uint32_t ev;
	struct rk_http_parser parser;
	char *out;
	size_t out_len, out_off;
	bool busy;	 /* the router has the request */
	bool in_route;	 /* inside rk_api_route(): an answer now needs no extra flush */
	bool closing;	 /* close once the output is written */
	bool dead;	 /* closed while busy: freed when the answer arrives */
	int minor;	 /* of the request being answered */
	bool keep_alive; /* of the request being answered */
	int64_t begun;	 /* ms when the pending request's first byte came; 0: none */
};

struct rk_api_server {
	struct rk_loop *loop;
	struct rk_api_ctx ctx;
	char path[PATH_MAX];
	int lfd;
	struct rk_loop_src *lsrc, *sweep, *backoff;
	struct rk_api_conn *oldest, *newest;
	size_t nconns;
};

static void rk_api_unlink(struct rk_api_conn *c)
{
	struct rk_api_server *s = c->s;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->oldest = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		s->newest = c->prev;
	c->prev = c->next = NULL;
}

static void rk_api_touch(struct rk_api_conn *c)
{
	struct rk_api_server *s = c->s;

	rk_api_unlink(c);
	c->prev = s->newest;
	if (s->newest)
		s->newest->next = c;
	else
		s->oldest = c;
	s->newest = c;
}

static void rk_api_conn_close(struct rk_api_conn *c)
{
	struct rk_api_server *s = c->s;

	rk_api_unlink(c);
	s->nconns--;
	rk_loop_del(s->loop, c->src); /* closes the fd */
	c->src = NULL;
	rk_http_parser_free(&c->parser);
	free(c->out);
	c->out = NULL;
	if (c->busy) {
		c->dead = true; /* the router still holds it */
		return;
	}
	free(c);
}

static void rk_api_interest(struct rk_api_conn *c)
{
	bool pending = c->out_off < c->out_len;
	uint32_t ev = pending ? EPOLLOUT : (c->busy || c->closing ? 0 : EPOLLIN);

	if (ev != c->ev && rk_loop_mod_fd(c->s->loop, c->src, ev) == 0)
		c->ev = ev;
}

static int rk_api_append(struct rk_api_conn *c, const char *b, size_t n)
{
	char *o;

	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
	}
	if (!(o = realloc(c->out, c->out_len + n)))
		return -ENOMEM;
	memcpy(o + c->out_len, b, n);
	c->out = o;
	c->out_len += n;
	return 0;
}

/* Write what is pending. Return: 0, or -1 when the connection was closed. */
static int rk_api_flush(struct rk_api_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			rk_api_conn_close(c);
			return -1;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		free(c->out);
		c->out = NULL;
		c->out_off = c->out_len = 0;
		if (c->closing) {
			rk_api_conn_close(c);
			return -1;
		}
	}
	rk_api_interest(c);
	return 0;
}

static void rk_api_respond(struct rk_api_conn *c, const struct rk_api_reply *r)
{
	bool close = c->closing || !c->keep_alive;
	struct rk_http_response resp = {
	    .status = r->status,
	    .minor = c->minor,
	    .content_type = r->content_type,
	    .content_type_sniffed = r->sniffed,
	    .headers = r->headers,
	    .connection = rk_http_connection_value(c->minor, close),
	    .body = r->body,
	    .body_len = r->body_len,
	};
	char *bytes;
	size_t len;

	c->closing = close;
	if (rk_http_response_alloc(&resp, &bytes, &len) < 0) {
		c->closing = true;
		return;
	}
	if (rk_api_append(c, bytes, len) < 0)
		c->closing = true;
	free(bytes);
}

static void rk_api_process(struct rk_api_conn *c);

/* The router's answer (now or later). */
static void rk_api_on_reply(void *arg, struct rk_api_reply *r)
{
	struct rk_api_conn *c = arg;

	c->busy = false;
	if (c->dead) {
		free(r->body);
		free(c);
		return;
	}
	rk_api_respond(c, r);
	free(r->body);
	if (c->in_route)
		return; /* rk_api_process goes on */
	if (rk_api_flush(c) == 0)
		rk_api_process(c);
}

static void rk_api_fail(struct rk_api_conn *c, int status, const char *why)
{
	struct rk_api_reply r = {
	    .status = status, .content_type = "text/plain; charset=utf-8", .sniffed = true};

	c->closing = true;
	if (rk_api_encode_error(why, &r.body, &r.body_len) == 0) {
		rk_api_respond(c, &r);
		free(r.body);
	}
}

/* Answer the requests the parser holds, in order, as far as possible now. */
static void rk_api_process(struct rk_api_conn *c)
{
	while (!c->busy && !c->closing && c->out_off == c->out_len) {
		struct rk_http_msg m;
		struct rk_http_error e;
		int rc = rk_http_next(&c->parser, &m, &e);

		if (rc == RK_HTTP_AGAIN) {
			if (rk_http_buffered(&c->parser) == 0)
				c->begun = 0;
			else if (!c->begun)
				c->begun = rk_loop_now_ms();
			break;
		}
		c->begun = 0;
		if (rc == RK_HTTP_DONE) {
			c->closing = true;
			break;
		}
		if (rc == RK_HTTP_CONTINUE) {
			if (rk_api_append(c, RK_HTTP_CONTINUE_RESPONSE,
					  strlen(RK_HTTP_CONTINUE_RESPONSE)) < 0)
				c->closing = true;
			break;
		}
		if (rc != RK_HTTP_MESSAGE) {
			c->minor = 1;
			rk_api_fail(c, e.status, e.reason);
			break;
		}
		c->minor = m.minor;
		c->keep_alive = m.keep_alive;
		c->busy = true;
		c->in_route = true;
		rk_api_route(&c->s->ctx, &m, rk_api_on_reply, c);
		c->in_route = false;
	}
	if (c->closing && c->out_off == c->out_len && !c->busy) {
		rk_api_conn_close(c);
		return;
	}
	rk_api_flush(c);
}

static void rk_api_on_conn(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			   void *data)
{
	struct rk_api_conn *c = data;
	char buf[RK_API_READ_CHUNK];

	rk_api_touch(c);
	if (events & EPOLLOUT) {
		if (rk_api_flush(c) < 0)
			return;
		rk_api_process(c);
		return;
	}
	if (c->busy || c->out_off < c->out_len || c->closing) {
		/* not reading now (the parser takes bytes only between answers); a hang-up, which
		 * epoll reports whatever we asked for, ends the connection instead of spinning */
		if (events & (EPOLLHUP | EPOLLERR))
			rk_api_conn_close(c);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0 || rk_http_buffered(&c->parser) == 0) {
			rk_api_conn_close(c); /* gone, mid-request or between requests */
			return;
		}
		rk_http_feed_eof(&c->parser);
	} else if (rk_http_feed(&c->parser, buf, (size_t)n) < 0) {
		rk_api_conn_close(c);
		return;
	}
	rk_api_process(c);
}

/* Make room: close the least recently active connection that is idle. */
static void rk_api_evict(struct rk_api_server *s)
{
	for (struct rk_api_conn *c = s->oldest; c; c = c->next)
		if (!c->busy && c->out_off == c->out_len) {
			rk_debug("api: %zu connections: closing the least recently used",
				 s->nconns);
			rk_api_conn_close(c);
			return;
		}
}

static void rk_api_on_backoff(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			      void *data)
{
	struct rk_api_server *s = data;

	rk_loop_mod_fd(loop, s->lsrc, EPOLLIN);
}

static void rk_api_on_accept(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			     void *data)
{
	struct rk_api_server *s = data;

	for (int i = 0; i < RK_API_ACCEPT_MAX; i++) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct rk_api_conn *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				rk_loop_mod_fd(loop, s->lsrc, 0);
				rk_loop_timer_set(s->backoff, RK_API_BACKOFF_MS, 0);
			}
			return;
		}
		if (s->nconns >= RK_API_CONNS_MAX)
			rk_api_evict(s);
		if (!(c = calloc(1, sizeof(*c))) ||
		    rk_http_parser_init(&c->parser, RK_HTTP_REQUEST, RK_API_BODY_MAX) < 0 ||
		    rk_loop_add_fd(loop, fd, EPOLLIN, true, rk_api_on_conn, c, &c->src) < 0) {
			free(c);
			close(fd);
			return;
		}
		c->s = s;
		c->fd = fd;
		c->ev = EPOLLIN;
		c->keep_alive = true;
		s->nconns++;
		rk_api_touch(c);
	}
}

/* Close connections whose request has taken too long. */
static void rk_api_on_sweep(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			    void *data)
{
	struct rk_api_server *s = data;
	int64_t now = rk_loop_now_ms();
	struct rk_api_conn *c, *next;

	for (c = s->oldest; c; c = next) {
		next = c->next;
		if (c->begun && now - c->begun > RK_API_REQUEST_MS && !c->busy)
			rk_api_conn_close(c);
	}
}

static int rk_api_listen(struct rk_api_server *s, struct rk_err *err)
{
	struct rk_unixaddr ua;
	mode_t old;
	int rc;

	if ((rc = rk_unixaddr_init(&ua, s->path)) < 0)
		return rk_err_errno(err, -rc, "listen unix %s", s->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		rk_unixaddr_done(&ua);
		return rk_err_errno(err, errno, "listen unix %s: socket", s->path);
	}
	unlink(s->path);   /* a stale one from a killed run */
	old = umask(0177); /* the file is born 0600: no window in which others could connect */
	rc = bind(s->lfd, (struct sockaddr *)&ua.sa, sizeof(ua.sa));
	umask(old);
	rk_unixaddr_done(&ua);
	if (rc < 0 || listen(s->lfd, 4096) < 0) {
		rc = errno;
		close(s->lfd);
		s->lfd = -1;
		return rk_err_errno(err, rc, "listen unix %s: bind", s->path);
	}
	return 0;
}

int rk_api_start(struct rk_api_server **out, struct rk_loop *loop, const char *path,
		 const struct rk_api_ctx *ctx, struct rk_err *err)
{
	struct rk_api_server *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return rk_err_set(err, ENOMEM, "out of memory");
	s->loop = loop;
	s->ctx = *ctx;
	s->lfd = -1;
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s", path) >= sizeof(s->path)) {
		free(s);
		return rk_err_set(err, ENAMETOOLONG, "listen unix %s: path too long", path);
	}
	if ((rc = rk_api_listen(s, err)) < 0) {
		free(s);
		return rc;
	}
	if ((rc = rk_loop_add_fd(loop, s->lfd, EPOLLIN, true, rk_api_on_accept, s, &s->lsrc)) < 0 ||
	    (rc = rk_loop_add_timer(loop, RK_API_SWEEP_MS, RK_API_SWEEP_MS, rk_api_on_sweep, s,
				    &s->sweep)) < 0 ||
	    (rc = rk_loop_add_timer(loop, 0, 0, rk_api_on_backoff, s, &s->backoff)) < 0 ||
	    (rc = rk_loop_timer_set(s->backoff, 0, 0)) < 0) {
		if (!s->lsrc)
			close(s->lfd);
		rk_api_stop(s);
		return rk_err_errno(err, -rc, "api");
	}
	*out = s;
	return 0;
}

void rk_api_stop(struct rk_api_server *s)
{
	if (!s)
		return;
	for (struct rk_api_conn *c = s->oldest, *next; c; c = next) {
		next = c->next;
		c->busy = false; /* nobody will answer any more: free it now */
		rk_api_conn_close(c);
	}
	rk_loop_del(s->loop, s->lsrc);
	rk_loop_del(s->loop, s->sweep);
	rk_loop_del(s->loop, s->backoff);
	unlink(s->path);
	free(s);
}
