// SPDX-License-Identifier: Apache-2.0
/*
 * client.c - rootlessctl's HTTP client: one request per connection to the API's unix socket,
 * the answer parsed by the REST API's own HTTP parser (src/api/http.h), failures worded as Go's
 * net/http client words them (`Get "http://rootlesskit/v1/info": dial unix <path>: connect:
 * connection refused`, `...: EOF`), non-2xx answers turned into upstream's HTTPStatusError
 * text. Unlike upstream's client, which has neither, every exchange is bounded in time
 * (RK_CTL_TIMEOUT_MS, with Go's Client.Timeout wording) and size (RK_CTL_BODY_MAX).
 */
#include "ctl/ctl.h"
#include "api/http.h"
#include "api/json.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/goparse.h"
#include "util/goquote.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "rk_version.h"

#define RK_CTL_TIMEOUT_MS 30000
#define RK_CTL_BODY_MAX	  (16u << 20)
/* upstream's HTTPStatusErrorBodyMaxLength */
#define RK_CTL_ERROR_BODY_MAX 65536

int rk_ctl_errf(struct rk_ctl_err *e, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	free(e->msg);
	e->msg = n < 0 ? NULL : s;
	e->len = n < 0 ? 0 : (size_t)n;
	return -1;
}

int rk_ctl_errset(struct rk_ctl_err *e, const char *msg, size_t len)
{
	char *s = malloc(len + 1);

	free(e->msg);
	e->msg = s;
	e->len = s ? len : 0;
	if (s) {
		memcpy(s, msg, len);
		s[len] = '\0';
	}
	return -1;
}

int rk_ctl_socket_path(const struct rk_ctl *ctl, char *buf, size_t len, struct rk_ctl_err *e)
{
	const char *dir = getenv("ROOTLESSKIT_STATE_DIR");
	struct stat st;

	if (ctl->socket && *ctl->socket) {
		if (strlen(ctl->socket) >= len)
			return rk_ctl_errf(e, "stat %s: %s", ctl->socket,
					   go_strerror(ENAMETOOLONG));
		memcpy(buf, ctl->socket, strlen(ctl->socket) + 1);
	} else {
		char *joined = NULL;
		if (!dir || !*dir)
			return rk_ctl_errf(e,
					   "please specify --socket or set $ROOTLESSKIT_STATE_DIR");
		if (asprintf(&joined, "%s/api.sock", dir) < 0)
			return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
		if (rk_path_clean(joined, buf, len)) { /* Go's filepath.Join cleans */
			rk_ctl_errf(e, "stat %s: %s", joined, go_strerror(ENAMETOOLONG));
			free(joined);
			return -1;
		}
		free(joined);
	}
	if (stat(buf, &st))
		return rk_ctl_errf(e, "stat %s: %s", buf, go_strerror(errno));
	return 0;
}

/* Milliseconds left until @deadline (CLOCK_MONOTONIC), at least 0. */
static int rk_ctl_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Wait for @events on @fd until @deadline. Return: 0, or -ETIMEDOUT / -errno. */
static int rk_ctl_wait(int fd, short events, const struct timespec *deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int rc;

	do {
		rc = poll(&p, 1, rk_ctl_left(deadline));
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	return rc == 0 ? -ETIMEDOUT : 0;
}

/* Go's url.Error prefix: `Get "http://rootlesskit/v1/info": `. */
struct rk_ctl_req {
	const char *sock, *method, *path;
	char op[8];
	struct timespec deadline;
};

static int rk_ctl_req_err(const struct rk_ctl_req *r, struct rk_ctl_err *e, const char *what)
{
	return rk_ctl_errf(e, "%s \"http://rootlesskit%s\": %s", r->op, r->path, what);
}

static int rk_ctl_timeout(const struct rk_ctl_req *r, struct rk_ctl_err *e)
{
	return rk_ctl_req_err(r, e,
			      "context deadline exceeded (Client.Timeout exceeded while awaiting "
			      "headers)");
}

static int rk_ctl_dial(const struct rk_ctl_req *r, struct rk_ctl_err *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {RK_CTL_TIMEOUT_MS / 1000, 0};
	char what[PATH_MAX + 64];
	int fd;

	if (strlen(r->sock) >= sizeof(sa.sun_path)) {
		snprintf(what, sizeof(what), "dial unix %s: %s", r->sock, go_strerror(EINVAL));
		return rk_ctl_req_err(r, e, what);
	}
	memcpy(sa.sun_path, r->sock, strlen(r->sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(what, sizeof(what), "dial unix %s: socket: %s", r->sock,
			 go_strerror(errno));
		return rk_ctl_req_err(r, e, what);
	}
	/* a unix connect blocks only on a full backlog: bound it like the rest */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno == EINTR)
			continue;
		int err = errno;
		close(fd);
		if (err == EAGAIN || err == EINPROGRESS)
			return rk_ctl_timeout(r, e);
		snprintf(what, sizeof(what), "dial unix %s: connect: %s", r->sock,
			 go_strerror(err));
		return rk_ctl_req_err(r, e, what);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static int rk_ctl_send(const struct rk_ctl_req *r, int fd, const char *buf, size_t len,
		       struct rk_ctl_err *e)
{
	char what[PATH_MAX + 64];

	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			int rc = rk_ctl_wait(fd, POLLOUT, &r->deadline);
			if (rc == -ETIMEDOUT)
				return rk_ctl_timeout(r, e);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(what, sizeof(what), "write unix @->%s: write: %s", r->sock,
				 go_strerror(errno));
			return rk_ctl_req_err(r, e, what);
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The offending token of a refused head, quoted as Go's badStringError does, into @q. */
static void rk_ctl_bad_token(const char *reason, const char *head, size_t n, char *q, size_t qlen)
{
	const char *nl = memchr(head, '\n', n), *sp, *tok, *end, *lim = head + n;
	size_t line = nl ? (size_t)(nl - head) : n;

	q[0] = '\0';
	if (line && head[line - 1] == '\r')
		line--;
	sp = memchr(head, ' ', line);
	if (!strcmp(reason, "malformed HTTP response")) {
		go_strconv_quote(head, line, q, qlen);
	} else if (!strcmp(reason, "malformed HTTP status code") && sp) {
		for (tok = sp; tok < head + line && *tok == ' '; tok++)
			;
		end = memchr(tok, ' ', (size_t)(head + line - tok));
		go_strconv_quote(tok, end ? (size_t)(end - tok) : (size_t)(head + line - tok), q,
				 qlen);
	} else if (!strcmp(reason, "malformed HTTP version") && sp) {
		go_strconv_quote(head, (size_t)(sp - head), q, qlen);
	} else if (!strcmp(reason, "malformed MIME header line") ||
		   !strcmp(reason, "bad Content-Length")) {
		/* the first header line without a colon, or Content-Length's value */
		for (tok = nl ? nl + 1 : lim; tok < lim; tok = end + 1) {
			end = memchr(tok, '\n', (size_t)(lim - tok));
			if (!end)
				end = lim;
			size_t len = (size_t)(end - tok) - (end > tok && end[-1] == '\r');
			const char *colon = memchr(tok, ':', len);
			if (!len)
				break;
			if (reason[0] == 'm' && !colon) {
				go_strconv_quote(tok, len, q, qlen);
				return;
			}
			if (reason[0] == 'b' && colon && colon - tok == 14 &&
			    !strncasecmp(tok, "Content-Length", 14)) {
				const char *v = colon + 1, *ve = tok + len;
				while (v < ve && (*v == ' ' || *v == '\t'))
					v++;
				while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
					ve--;
				go_strconv_quote(v, (size_t)(ve - v), q, qlen);
				return;
			}
		}
	}
}

/*
 * Go's text for an answer the parser refused; @head holds the first bytes received. Errors in
 * the head break the transport (`Get "...": net/http: HTTP/1.x transport connection broken:
 * ...`); errors in the body reach the caller plain, from the body reader.
 */
static int rk_ctl_bad_response(const struct rk_ctl_req *r, const struct rk_http_error *he,
			       const char *head, size_t n, bool in_body, struct rk_ctl_err *e)
{
	char detail[RK_HTTP_HEAD_MAX * 4 + 64], q[RK_HTTP_HEAD_MAX * 4 + 3];
	const char *reason = he->reason;

	if (in_body)
		return rk_ctl_errf(e, "%s", reason);
	if (!strcmp(reason, "malformed MIME header line"))
		reason = "malformed MIME header: missing colon:";
	rk_ctl_bad_token(he->reason, head, n, q, sizeof(q));
	snprintf(detail, sizeof(detail), "net/http: HTTP/1.x transport connection broken: %s%s%s",
		 reason, q[0] ? " " : "", q);
	return rk_ctl_req_err(r, e, detail);
}

/*
 * Whether the parser failed in the body (chunked framing, size, a cut) rather than in the head:
 * Go reports those from the body reader, without the transport's prefix.
 */
static bool rk_ctl_body_error(const struct rk_http_error *he, const char *head, size_t n)
{
	static const char *const body_reasons[] = {"invalid byte in chunk length",
						   "http chunk length too large",
						   "empty hex number for chunk length",
						   "malformed chunked encoding",
						   "trailer too large",
						   "header line too long"};

	if (he->status == 413)
		return true;
	if (!strcmp(he->reason, "unexpected EOF")) /* cut after the head was complete? */
		return memmem(head, n, "\r\n\r\n", 4) || memmem(head, n, "\n\n", 2);
	for (size_t i = 0; i < sizeof(body_reasons) / sizeof(body_reasons[0]); i++)
		if (!strcmp(he->reason, body_reasons[i]))
			return true;
	return false;
}

struct rk_ctl_reader {
	struct rk_http_parser p;
	char head[RK_HTTP_HEAD_MAX]; /* the first bytes, for error texts */
	size_t nhead, total;
};

/* Read and parse until one answer is complete. Return: 0 (@m filled) or -1. */
static int rk_ctl_receive(const struct rk_ctl_req *r, int fd, struct rk_ctl_reader *rd,
			  struct rk_http_msg *m, struct rk_ctl_err *e)
{
	struct rk_http_error he = {0};
	char buf[16384];
	char what[PATH_MAX + 64];

	for (;;) {
		int rc = rk_http_next(&rd->p, m, &he);
		if (rc == RK_HTTP_MESSAGE)
			return 0;
		if (rc == RK_HTTP_DONE)
			return rk_ctl_req_err(r, e, "EOF");
		if (rc == RK_HTTP_ERROR)
			return rk_ctl_bad_response(r, &he, rd->head, rd->nhead,
						   rk_ctl_body_error(&he, rd->head, rd->nhead), e);
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN) {
			if (rk_ctl_wait(fd, POLLIN, &r->deadline) == -ETIMEDOUT)
				return rk_ctl_timeout(r, e);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && !(errno == ECONNRESET && rd->total == 0)) {
			snprintf(what, sizeof(what), "read unix @->%s: read: %s", r->sock,
				 go_strerror(errno));
			return rk_ctl_req_err(r, e, what);
		}
		if (n <= 0) {
			rk_http_feed_eof(
			    &rd->p); /* a reset before any byte reads as EOF, as in Go */
			continue;
		}
		if (rd->nhead < sizeof(rd->head)) {
			size_t k = (size_t)n < sizeof(rd->head) - rd->nhead
				       ? (size_t)n
				       : sizeof(rd->head) - rd->nhead;
			memcpy(rd->head + rd->nhead, buf, k);
			rd->nhead += k;
		}
		rd->total += (size_t)n;
		if (rk_http_feed(&rd->p, buf, (size_t)n))
			return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	}
}

int rk_ctl_request(const char *sock, const char *method, const char *path, const char *body,
		   size_t body_len, struct rk_ctl_response *resp, struct rk_ctl_err *e)
{
	struct rk_ctl_req r = {.sock = sock, .method = method, .path = path};
	struct rk_ctl_err we = {0};
	struct rk_ctl_reader *rd;
	bool send_failed;
	struct rk_http_msg m;
	rk_autofree char *req = NULL;
	rk_autoclose int fd = -1;
	int n, rc = -1;

	memset(resp, 0, sizeof(*resp));
	/* Go's url.Error names the method like this: Get, Post, Delete */
	snprintf(r.op, sizeof(r.op), "%c%s", method[0], method + 1);
	for (char *c = r.op + 1; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
	clock_gettime(CLOCK_MONOTONIC, &r.deadline);
	r.deadline.tv_sec += RK_CTL_TIMEOUT_MS / 1000;

	if (body)
		n = asprintf(&req,
			     "%s %s HTTP/1.1\r\nHost: rootlesskit\r\nUser-Agent: rootlessctl/%s\r\n"
			     "Content-Length: %zu\r\nContent-Type: application/json\r\n\r\n%.*s",
			     method, path, RK_VERSION, body_len, (int)body_len, body);
	else
		n = asprintf(
		    &req,
		    "%s %s HTTP/1.1\r\nHost: rootlesskit\r\nUser-Agent: rootlessctl/%s\r\n\r\n",
		    method, path, RK_VERSION);
	if (n < 0) {
		req = NULL;
		return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	}
	fd = rk_ctl_dial(&r, e);
	if (fd < 0)
		return -1;
	/* a server may answer and close before reading everything: its answer still counts */
	send_failed = rk_ctl_send(&r, fd, req, (size_t)n, &we) != 0;
	rd = calloc(1, sizeof(*rd));
	if (!rd) {
		free(we.msg);
		return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	}
	rk_http_parser_init(&rd->p, RK_HTTP_RESPONSE, RK_CTL_BODY_MAX);
	if (rk_ctl_receive(&r, fd, rd, &m, e) == 0 && (!send_failed || m.status)) {
		resp->status = m.status;
		resp->body = malloc(m.body_len + 1);
		if (resp->body) {
			memcpy(resp->body, m.body, m.body_len);
			resp->body[m.body_len] = '\0';
			resp->body_len = m.body_len;
			rc = 0;
		} else {
			rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
		}
	}
	if (rc && send_failed && rd->total == 0)
		rk_ctl_errset(e, we.msg ? we.msg : "",
			      we.len); /* nothing came back: the write error */
	free(we.msg);
	rk_http_parser_free(&rd->p);
	free(rd);
	return rc;
}

int rk_ctl_successful(const struct rk_ctl_response *resp, struct rk_ctl_err *e)
{
	size_t n = resp->body_len < RK_CTL_ERROR_BODY_MAX ? resp->body_len : RK_CTL_ERROR_BODY_MAX;
	char *msg, *q;
	size_t len, qlen;
	int rc;

	if (resp->status / 100 == 2)
		return 0;
	if (n > 0 && n < RK_CTL_ERROR_BODY_MAX) {
		rc = rk_api_decode_error_body(resp->body, n, &msg, &len);
		if (rc == 0) {
			rk_ctl_errset(e, msg, len);
			free(msg);
			return -1;
		}
		if (rc == -ENOMEM)
			return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	}
	qlen = go_strconv_quote(resp->body, n, NULL, 0) + 1;
	q = malloc(qlen);
	if (!q)
		return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	go_strconv_quote(resp->body, n, q, qlen);
	rk_ctl_errf(e, "unexpected HTTP status %s, body=%s", rk_http_reason(resp->status), q);
	free(q);
	return -1;
}

int rk_ctl_get_info(const char *sock, struct rk_api_info *info, struct rk_ctl_err *e)
{
	struct rk_ctl_response resp;
	struct rk_err err;
	int rc;

	if (rk_ctl_request(sock, "GET", "/v1/info", NULL, 0, &resp, e))
		return -1;
	rc = rk_ctl_successful(&resp, e);
	if (!rc && rk_api_decode_info(resp.body, resp.body_len, info, &err))
		rc = rk_ctl_errf(e, "%s", err.msg);
	free(resp.body);
	return rc;
}

int rk_ctl_add_port(const char *sock, const char *body, size_t len, struct rk_api_port_status *st,
		    struct rk_ctl_err *e)
{
	struct rk_ctl_response resp;
	struct rk_err err;
	int rc;

	if (rk_ctl_request(sock, "POST", "/v1/ports", body, len, &resp, e))
		return -1;
	rc = rk_ctl_successful(&resp, e);
	if (!rc && rk_api_decode_port_status(resp.body, resp.body_len, st, &err))
		rc = rk_ctl_errf(e, "%s", err.msg);
	free(resp.body);
	return rc;
}

int rk_ctl_remove_port(const char *sock, long long id, struct rk_ctl_err *e)
{
	struct rk_ctl_response resp;
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/v1/ports/%lld", id);
	if (rk_ctl_request(sock, "DELETE", path, NULL, 0, &resp, e))
		return -1;
	rc = rk_ctl_successful(&resp, e);
	free(resp.body);
	return rc;
}
