// SPDX-License-Identifier: Apache-2.0
/*
 * http.c - HTTP/1.x message parser and response writer for the REST API (see http.h).
 *
 * Theory of operation
 *
 * A parser owns one growable buffer holding the bytes fed and not yet given back. `off` is where
 * the current message starts; every other position (`pos`, `line`, `body`, ...) is relative to
 * it, so moving the live bytes to the front of the buffer (or realloc moving the buffer) changes
 * nothing but `off`. rk_http_next() resumes at `pos`, never at the start of the message: each
 * byte is looked at a bounded number of times (found by memchr, then parsed with its line), so a
 * client sending one byte at a time costs O(bytes) in total, not O(bytes^2).
 *
 * Head: each time a line end arrives (memchr for '\n' from `pos`; a CR before it is dropped, a CR
 * elsewhere is an error), that one line is parsed and checked at once: the start line, then the
 * header fields, of which only Content-Length, Transfer-Encoding, Connection, Expect and
 * Content-Type mean something here (Host is ignored, SPEC §10.1). The strings a message exposes
 * are NUL-terminated in place (the method at its space, the path where its '?' or space was,
 * having been percent-decoded in place, which only shrinks it). The empty line ends the head and
 * fixes the body's framing. The head may not exceed RK_HTTP_HEAD_MAX bytes: if no line end is
 * found within that many bytes of the message start, the answer is 431 without waiting.
 *
 * Body: Content-Length bodies are used where they lie. Chunked bodies are decoded in place:
 * chunk data moves down over the chunk framing, `wpos` being the end of the decoded body and
 * `pos` the next raw byte (`wpos` <= `pos`), so each byte moves at most once. Chunk-size lines
 * are bounded (RK_HTTP_CHUNK_LINE_MAX), the trailer section by RK_HTTP_HEAD_MAX; trailer fields
 * are checked and dropped. The body limit is checked against Content-Length and against each
 * chunk size before the data arrives. Responses without either are read until EOF, also
 * bounded.
 *
 * When a message is complete, rk_http_next() points the rk_http_msg into the buffer and moves
 * `off` past it; the bytes after it (pipelined messages) stay. The message stays valid until the
 * next call, which first "settles" the buffer: freed when nothing is left (an idle keep-alive
 * connection holds no buffer), or compacted and shrunk when a little is left in a big one.
 * rk_http_feed() compacts only when it needs room; since `off` moves only when a message
 * completes, each compaction moves at most the bytes of messages that have not completed yet, so
 * copying stays proportional to the bytes received too. Errors are sticky and free the buffer.
 *
 * Deviations from Go's net/http (1.19, what Debian's rootlesskit 1.1.0 runs), all stricter and
 * all answering with a status and closing: obs-fold lines, an empty header name, Content-Length
 * together with Transfer-Encoding, Transfer-Encoding in HTTP/1.0, a percent-encoded NUL in the
 * path and an empty Content-Length are 400 (Go accepts or ignores them); limits are far lower
 * (head 8 KiB, 64 fields instead of 1 MiB, a body limit); Host is not required.
 */
#include "api/http.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	ST_HEAD,
	ST_BODY_LEN,   /* Content-Length body (or none: remain 0) */
	ST_CHUNK_SIZE, /* reading a chunk-size line starting at `line` */
	ST_CHUNK_DATA, /* `remain` bytes of chunk data to go */
	ST_CHUNK_END,  /* the CRLF after chunk data */
	ST_TRAILER,    /* trailer lines from `tstart` up to an empty line */
	ST_BODY_EOF,   /* response body delimited by EOF */
	ST_ERROR,
};

#define F_CL	     (1u << 0)	/* Content-Length seen (value in remain) */
#define F_TE	     (1u << 1)	/* Transfer-Encoding seen */
#define F_CHUNKED    (1u << 2)	/* ... and it is chunked; body framed by it */
#define F_CLOSE	     (1u << 3)	/* Connection: close */
#define F_KEEPALIVE  (1u << 4)	/* Connection: keep-alive */
#define F_EXPECT     (1u << 5)	/* Expect: 100-continue */
#define F_EXPECT_BAD (1u << 6)	/* another Expect value */
#define F_EXPECT_HDR (1u << 7)	/* an Expect header was seen (only the first counts) */
#define F_CONTINUE   (1u << 8)	/* RK_HTTP_CONTINUE to be returned */
#define F_UNTIL_EOF  (1u << 9)	/* response body delimited by EOF */
#define F_EOF	     (1u << 10) /* rk_http_feed_eof() was called */
#define F_RETURNED   (1u << 11) /* a message was returned: settle() on the next call */

#define BUF_MIN	   256
#define BUF_SHRINK 4096 /* buffers bigger than this are shrunk when mostly empty */

static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static bool is_scheme_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '+' || c == '-' || c == '.';
}

static bool is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* field-value bytes: HTAB, SP, VCHAR and obs-text; no other control character */
static bool is_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool name_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && !strncasecmp(s, name, n);
}

/* whether the comma-separated list @v (@n bytes) holds @tok, case-insensitively */
static bool has_token(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok), i = 0;

	while (i < n) {
		size_t j = i, a, b;

		while (j < n && v[j] != ',')
			j++;
		a = i;
		b = j;
		while (a < b && is_ows(v[a]))
			a++;
		while (b > a && is_ows(v[b - 1]))
			b--;
		if (b - a == tl && !strncasecmp(v + a, tok, tl))
			return true;
		i = j + 1;
	}
	return false;
}

static int fail(struct rk_http_parser *p, int status, const char *reason)
{
	free(p->buf);
	p->buf = NULL;
	p->cap = p->len = p->off = 0;
	p->state = ST_ERROR;
	p->estatus = status;
	p->ereason = reason;
	return RK_HTTP_ERROR;
}

/* forget the current message's state (not the buffer, not F_EOF) */
static void reset_message(struct rk_http_parser *p)
{
	p->pos = p->line = p->body = p->wpos = p->tstart = 0;
	p->remain = 0;
	p->nhdr = 0;
	p->o_path = p->o_query = p->o_ctype = p->o_status = 0;
	p->status = 0;
	p->minor = 0;
	p->flags &= F_EOF;
	p->state = ST_HEAD;
}

int rk_http_parser_init(struct rk_http_parser *p, enum rk_http_kind kind, size_t body_max)
{
	if ((kind != RK_HTTP_REQUEST && kind != RK_HTTP_RESPONSE) || body_max > RK_HTTP_BODY_LIMIT)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->body_max = body_max;
	reset_message(p);
	return 0;
}

void rk_http_parser_free(struct rk_http_parser *p)
{
	free(p->buf);
	p->buf = NULL;
	p->cap = p->len = p->off = 0;
}

size_t rk_http_buffered(const struct rk_http_parser *p)
{
	return p->len - p->off;
}

/* after a returned message: free the buffer if nothing is left, shrink it if little is */
static void settle(struct rk_http_parser *p)
{
	size_t live, ncap;
	char *nb;

	if (!(p->flags & F_RETURNED))
		return;
	p->flags &= ~F_RETURNED;
	live = p->len - p->off;
	if (!live) {
		rk_http_parser_free(p);
		return;
	}
	if (p->cap <= BUF_SHRINK || live > p->cap / 4)
		return;
	memmove(p->buf, p->buf + p->off, live);
	p->len = live;
	p->off = 0;
	for (ncap = BUF_MIN; ncap < live; ncap *= 2)
		;
	nb = realloc(p->buf, ncap);
	if (nb) {
		p->buf = nb;
		p->cap = ncap;
	}
}

int rk_http_feed(struct rk_http_parser *p, const void *data, size_t len)
{
	settle(p);
	if (p->flags & F_EOF)
		return -EINVAL;
	if (p->state == ST_ERROR || !len)
		return 0;
	if (p->cap - p->len < len && p->off) {
		memmove(p->buf, p->buf + p->off, p->len - p->off);
		p->len -= p->off;
		p->off = 0;
	}
	if (p->cap - p->len < len) {
		size_t ncap = p->cap ? p->cap : BUF_MIN;
		char *nb;

		if (len > SIZE_MAX / 4 - p->len)
			return -ENOMEM;
		while (ncap < p->len + len)
			ncap *= 2;
		nb = realloc(p->buf, ncap);
		if (!nb)
			return -ENOMEM;
		p->buf = nb;
		p->cap = ncap;
	}
	memcpy(p->buf + p->len, data, len);
	p->len += len;
	return 0;
}

void rk_http_feed_eof(struct rk_http_parser *p)
{
	p->flags |= F_EOF;
}

/* "HTTP/d.d": 0 with *minor for major 1, -1 when malformed, -2 for another major */
static int parse_version(const char *s, size_t n, uint8_t *minor)
{
	if (n != 8 || memcmp(s, "HTTP/", 5) || s[5] < '0' || s[5] > '9' || s[6] != '.' ||
	    s[7] < '0' || s[7] > '9')
		return -1;
	if (s[5] != '1')
		return -2;
	*minor = s[7] - '0';
	return 0;
}

/*
 * The request-target at b[t..t+n) (b[t+n] is already NUL): origin-form, absolute-form or "*".
 * The query is left raw; the path is percent-decoded to the start of the target.
 */
static int parse_target(struct rk_http_parser *p, char *b, size_t t, size_t n)
{
	char *s = b + t, *qm;
	size_t q, ps, r, w = 0;

	for (r = 0; r < n; r++)
		if ((unsigned char)s[r] < 0x20 || s[r] == 0x7f)
			return fail(p, 400, "invalid control character in URL");
	qm = memchr(s, '?', n);
	q = qm ? (size_t)(qm - s) : n;
	if (s[0] == '/' || (n == 1 && s[0] == '*')) {
		ps = 0;
	} else {
		/* absolute-form: scheme ":" ["//" authority] path-abempty */
		ps = 0;
		if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
			return fail(p, 400, "invalid URI for request");
		while (ps < q && is_scheme_char(s[ps]))
			ps++;
		if (ps >= q || s[ps] != ':')
			return fail(p, 400, "invalid URI for request");
		ps++;
		if (q - ps >= 2 && s[ps] == '/' && s[ps + 1] == '/') {
			ps += 2;
			while (ps < q && s[ps] != '/')
				ps++;
		} else if (ps < q && s[ps] != '/') {
			return fail(p, 400, "invalid URI for request");
		}
		if (ps == q)
			s[w++] = '/'; /* the target has at least "a:", room for "/" and NUL */
	}
	for (r = ps; r < q;) {
		if (s[r] == '%') {
			int hi = r + 2 < q ? hex_value(s[r + 1]) : -1;
			int lo = hi >= 0 ? hex_value(s[r + 2]) : -1;

			if (lo < 0 || (hi | lo) == 0)
				return fail(p, 400, "invalid URL escape");
			s[w++] = (char)(hi << 4 | lo);
			r += 3;
		} else {
			s[w++] = s[r++];
		}
	}
	s[w] = '\0'; /* w <= q: at most over the '?' or the terminator */
	p->o_path = t;
	p->o_query = qm ? t + q + 1 : 0;
	return 0;
}

/* request-line b[0..n): METHOD SP request-target SP HTTP-version */
static int request_line(struct rk_http_parser *p, char *b, size_t n)
{
	char *sp1 = memchr(b, ' ', n), *sp2;
	size_t m, t, v, i;
	int rc;

	if (!sp1)
		return fail(p, 400, "malformed HTTP request");
	m = sp1 - b;
	sp2 = memchr(sp1 + 1, ' ', n - m - 1);
	if (!sp2)
		return fail(p, 400, "malformed HTTP request");
	t = m + 1;
	v = sp2 - b + 1;
	if (!m)
		return fail(p, 400, "invalid method");
	for (i = 0; i < m; i++)
		if (!is_tchar(b[i]))
			return fail(p, 400, "invalid method");
	rc = parse_version(b + v, n - v, &p->minor);
	if (rc == -1)
		return fail(p, 400, "malformed HTTP version");
	if (rc == -2)
		return fail(p, 505, "unsupported protocol version");
	if (v - 1 == t)
		return fail(p, 400, "invalid URI for request");
	b[m] = '\0';
	b[v - 1] = '\0';
	return parse_target(p, b, t, v - 1 - t);
}

/* status-line b[0..n): HTTP-version SP status-code [SP reason-phrase], parsed as Go does */
static int status_line(struct rk_http_parser *p, char *b, size_t n)
{
	char *sp = memchr(b, ' ', n);
	size_t s, c, i;
	int rc;

	if (!sp)
		return fail(p, 400, "malformed HTTP response");
	s = sp - b + 1;
	while (s < n && b[s] == ' ')
		s++;
	for (c = s; c < n && b[c] != ' ';)
		c++;
	if (c - s != 3 || b[s] < '1' || b[s] > '9' || b[s + 1] < '0' || b[s + 1] > '9' ||
	    b[s + 2] < '0' || b[s + 2] > '9')
		return fail(p, 400, "malformed HTTP status code");
	rc = parse_version(b, sp - b, &p->minor);
	if (rc == -1)
		return fail(p, 400, "malformed HTTP version");
	if (rc == -2)
		return fail(p, 505, "unsupported protocol version");
	for (i = c; i < n; i++)
		if (!is_value_char(b[i]))
			return fail(p, 400, "malformed HTTP response");
	p->status = (b[s] - '0') * 100 + (b[s + 1] - '0') * 10 + (b[s + 2] - '0');
	p->o_status = s;
	b[n] = '\0';
	return 0;
}

/*
 * A header or trailer field line b[ls..le) (line end excluded): "name: value". Sets the name's
 * length and the trimmed value's bounds.
 */
static int field_line(struct rk_http_parser *p, const char *b, size_t ls, size_t le, size_t *nlen,
		      size_t *vs, size_t *ve)
{
	const char *colon;
	size_t i;

	if (is_ows(b[ls]))
		return fail(p, 400, "obs-fold header line folding is not allowed");
	colon = memchr(b + ls, ':', le - ls);
	if (!colon)
		return fail(p, 400, "malformed MIME header line");
	*nlen = colon - (b + ls);
	if (!*nlen)
		return fail(p, 400, "invalid header name");
	for (i = ls; i < ls + *nlen; i++)
		if (!is_tchar(b[i]))
			return fail(p, 400, "invalid header name");
	*vs = colon - b + 1;
	*ve = le;
	while (*vs < *ve && is_ows(b[*vs]))
		(*vs)++;
	while (*ve > *vs && is_ows(b[*ve - 1]))
		(*ve)--;
	for (i = *vs; i < *ve; i++)
		if (!is_value_char(b[i]))
			return fail(p, 400, "invalid header value");
	return 0;
}

static int header_line(struct rk_http_parser *p, char *b, size_t ls, size_t le)
{
	size_t nlen, vs, ve, vn, i;
	const char *name = b + ls, *v;
	int rc;

	if (++p->nhdr > RK_HTTP_HEADERS_MAX)
		return fail(p, 431, "too many header fields");
	rc = field_line(p, b, ls, le, &nlen, &vs, &ve);
	if (rc)
		return rc;
	v = b + vs;
	vn = ve - vs;
	if (name_is(name, nlen, "Content-Length")) {
		uint64_t x = 0;

		if (!vn)
			return fail(p, 400, "bad Content-Length");
		for (i = 0; i < vn; i++) {
			if (v[i] < '0' || v[i] > '9')
				return fail(p, 400, "bad Content-Length");
			x = x > (UINT64_MAX - 9) / 10 ? UINT64_MAX
						      : x * 10 + (uint64_t)(v[i] - '0');
		}
		if ((p->flags & F_CL) && x != p->remain)
			return fail(p, 400,
				    "message cannot contain multiple Content-Length headers");
		p->flags |= F_CL;
		p->remain = x;
	} else if (name_is(name, nlen, "Transfer-Encoding")) {
		if (p->flags & F_TE)
			return fail(p, 501, "too many transfer encodings");
		p->flags |= F_TE;
		if (!name_is(v, vn, "chunked"))
			return fail(p, 501, "unsupported transfer encoding");
		p->flags |= F_CHUNKED;
	} else if (name_is(name, nlen, "Connection")) {
		if (has_token(v, vn, "close"))
			p->flags |= F_CLOSE;
		if (has_token(v, vn, "keep-alive"))
			p->flags |= F_KEEPALIVE;
	} else if (name_is(name, nlen, "Expect") && p->kind == RK_HTTP_REQUEST) {
		/* like Go: only the first Expect header counts, an empty one is ignored */
		if (!(p->flags & F_EXPECT_HDR)) {
			p->flags |= F_EXPECT_HDR;
			if (has_token(v, vn, "100-continue"))
				p->flags |= F_EXPECT;
			else if (vn)
				p->flags |= F_EXPECT_BAD;
		}
	} else if (name_is(name, nlen, "Content-Type")) {
		if (!p->o_ctype) {
			p->o_ctype = vs;
			b[ve] = '\0';
		}
	}
	return 0;
}

/* the empty line ending the head was read; the body starts at p->pos */
static int head_done(struct rk_http_parser *p)
{
	bool request = p->kind == RK_HTTP_REQUEST;

	p->body = p->wpos = p->pos;
	if (!request && (p->status < 200 || p->status == 204 || p->status == 304)) {
		p->flags &= ~F_CHUNKED;
		p->remain = 0;
		p->state = ST_BODY_LEN;
		return 0;
	}
	if ((p->flags & F_TE) && (p->flags & F_CL))
		return fail(p, 400,
			    "message cannot contain both Content-Length and Transfer-Encoding");
	if ((p->flags & F_TE) && p->minor == 0)
		return fail(p, 400, "Transfer-Encoding is not allowed in HTTP/1.0");
	if (p->flags & F_EXPECT_BAD)
		return fail(p, 417, "Expectation Failed");
	if (p->flags & F_CHUNKED) {
		p->line = p->pos;
		p->state = ST_CHUNK_SIZE;
	} else if (p->flags & F_CL) {
		if (p->remain > p->body_max)
			return fail(p, 413,
				    request ? "http: request body too large"
					    : "http: response body too large");
		p->state = ST_BODY_LEN;
	} else if (!request) {
		p->flags |= F_UNTIL_EOF;
		p->state = ST_BODY_EOF;
	} else {
		p->remain = 0;
		p->state = ST_BODY_LEN;
	}
	if ((p->flags & F_EXPECT) && p->minor >= 1 && ((p->flags & F_CHUNKED) || p->remain))
		p->flags |= F_CONTINUE;
	return 0;
}

/* one line of the head, b[ls..le) without its line end */
static int head_line(struct rk_http_parser *p, char *b, size_t ls, size_t le)
{
	if (ls == 0)
		return p->kind == RK_HTTP_REQUEST ? request_line(p, b, le) : status_line(p, b, le);
	if (le == ls)
		return head_done(p);
	return header_line(p, b, ls, le);
}

/* a chunk-size line [ ";" extensions ], b[ls..le) without its line end */
static int chunk_size_line(struct rk_http_parser *p, const char *b, size_t ls, size_t le)
{
	const char *semi = memchr(b + ls, ';', le - ls);
	uint64_t v = 0;
	size_t i;

	if (semi)
		le = semi - b;
	while (le > ls && is_ows(b[le - 1]))
		le--;
	for (i = ls; i < le; i++) {
		int h = hex_value(b[i]);

		if (h < 0)
			return fail(p, 400, "invalid byte in chunk length");
		if (i - ls == 16)
			return fail(p, 400, "http chunk length too large");
		v = v << 4 | (uint64_t)h;
	}
	if (le == ls)
		return fail(p, 400, "empty hex number for chunk length");
	if (!v) {
		p->tstart = p->line;
		p->state = ST_TRAILER;
		return 0;
	}
	if (v > p->body_max - (p->wpos - p->body))
		return fail(p, 413,
			    p->kind == RK_HTTP_REQUEST ? "http: request body too large"
						       : "http: response body too large");
	p->remain = v;
	p->state = ST_CHUNK_DATA;
	return 0;
}

/*
 * Find the next line end from p->pos in a line or section starting at @start that may span at
 * most @max bytes (its line end included). Return: 1 with [*ls, *le) the line (CR dropped) and
 * p->pos/p->line past it, 0 when more bytes are needed, -1 when the bound is exceeded.
 */
static int next_line(struct rk_http_parser *p, const char *b, size_t avail, size_t start,
		     size_t max, size_t *ls, size_t *le)
{
	size_t lim = avail - start < max ? avail : start + max;
	const char *lf = p->pos < lim ? memchr(b + p->pos, '\n', lim - p->pos) : NULL;

	if (!lf) {
		p->pos = lim;
		return avail - start >= max ? -1 : 0;
	}
	*ls = p->line;
	*le = lf - b;
	p->pos = p->line = *le + 1;
	if (*le > *ls && b[*le - 1] == '\r')
		(*le)--;
	return 1;
}

static bool message_keep_alive(const struct rk_http_parser *p)
{
	if (p->flags & (F_CLOSE | F_UNTIL_EOF))
		return false;
	return p->minor >= 1 || (p->flags & F_KEEPALIVE);
}

static void fill(const struct rk_http_parser *p, struct rk_http_msg *m, bool with_body)
{
	const char *b;

	memset(m, 0, sizeof(*m));
	m->method = m->path = m->query = m->status_text = m->reason = "";
	m->content_type = m->body = "";
	if (!p->buf)
		return; /* not reached: a message has bytes */
	b = p->buf + p->off;
	if (p->kind == RK_HTTP_REQUEST) {
		m->method = b;
		m->path = b + p->o_path;
		m->query = p->o_query ? b + p->o_query : "";
	} else {
		m->status = p->status;
		m->status_text = b + p->o_status;
		m->reason = m->status_text + 3;
		if (*m->reason == ' ')
			m->reason++;
	}
	m->minor = p->minor;
	m->keep_alive = message_keep_alive(p);
	m->expect_continue = p->flags & F_EXPECT;
	m->chunked = p->flags & F_CHUNKED;
	if (p->o_ctype)
		m->content_type = b + p->o_ctype;
	if (with_body && p->wpos > p->body) {
		m->body = b + p->body;
		m->body_len = p->wpos - p->body;
	}
}

static const char *body_too_large(const struct rk_http_parser *p)
{
	return p->kind == RK_HTTP_REQUEST ? "http: request body too large"
					  : "http: response body too large";
}

/* run the state machine; RK_HTTP_MESSAGE means the message in p is complete */
static int step(struct rk_http_parser *p, struct rk_http_msg *m)
{
	static char none[1];

	for (;;) {
		size_t avail = p->len - p->off, ls, le, n, vs, ve;
		char *b = p->buf ? p->buf + p->off : none; /* no buffer: avail is 0 */
		int rc = 0;

		switch (p->state) {
		case ST_ERROR:
			return RK_HTTP_ERROR;
		case ST_HEAD:
			rc = next_line(p, b, avail, 0, RK_HTTP_HEAD_MAX, &ls, &le);
			if (rc < 0)
				return fail(p, 431, "header too large");
			if (rc == 0)
				break;
			if (head_line(p, b, ls, le))
				return RK_HTTP_ERROR;
			if (p->flags & F_CONTINUE) {
				p->flags &= ~F_CONTINUE;
				fill(p, m, false);
				return RK_HTTP_CONTINUE;
			}
			continue;
		case ST_BODY_LEN:
			if (avail - p->body < p->remain)
				break;
			p->pos = p->wpos = p->body + (size_t)p->remain;
			return RK_HTTP_MESSAGE;
		case ST_CHUNK_SIZE:
			rc = next_line(p, b, avail, p->line, RK_HTTP_CHUNK_LINE_MAX, &ls, &le);
			if (rc < 0)
				return fail(p, 400, "header line too long");
			if (rc == 0)
				break;
			if (chunk_size_line(p, b, ls, le))
				return RK_HTTP_ERROR;
			continue;
		case ST_CHUNK_DATA:
			n = avail - p->pos < p->remain ? avail - p->pos : (size_t)p->remain;
			if (n && p->wpos != p->pos)
				memmove(b + p->wpos, b + p->pos, n);
			p->wpos += n;
			p->pos += n;
			p->remain -= n;
			if (p->remain)
				break;
			p->state = ST_CHUNK_END;
			continue;
		case ST_CHUNK_END:
			if (avail > p->pos && b[p->pos] != '\r')
				return fail(p, 400, "malformed chunked encoding");
			if (avail - p->pos < 2)
				break;
			if (b[p->pos + 1] != '\n')
				return fail(p, 400, "malformed chunked encoding");
			p->pos += 2;
			p->line = p->pos;
			p->state = ST_CHUNK_SIZE;
			continue;
		case ST_TRAILER:
			rc = next_line(p, b, avail, p->tstart, RK_HTTP_HEAD_MAX, &ls, &le);
			if (rc < 0)
				return fail(p, 400, "trailer too large");
			if (rc == 0)
				break;
			if (le == ls)
				return RK_HTTP_MESSAGE;
			if (field_line(p, b, ls, le, &n, &vs, &ve))
				return RK_HTTP_ERROR; /* trailer fields are checked, then dropped */
			continue;
		case ST_BODY_EOF:
			if (avail - p->body > p->body_max)
				return fail(p, 413, body_too_large(p));
			p->pos = p->wpos = avail;
			if (p->flags & F_EOF)
				return RK_HTTP_MESSAGE;
			break;
		}
		/* need more bytes */
		if (!(p->flags & F_EOF))
			return RK_HTTP_AGAIN;
		if (p->state == ST_HEAD && avail == 0)
			return RK_HTTP_DONE;
		return fail(p, 400, "unexpected EOF");
	}
}

int rk_http_next(struct rk_http_parser *p, struct rk_http_msg *m, struct rk_http_error *e)
{
	struct rk_http_msg dummy;
	int rc;

	if (!m)
		m = &dummy;
	settle(p);
	for (;;) {
		rc = step(p, m);
		if (rc != RK_HTTP_MESSAGE)
			break;
		if (p->kind == RK_HTTP_RESPONSE && p->status < 200 && p->status != 101) {
			/* interim response (100 Continue, 103 Early Hints): skip, as Go does */
			p->off += p->pos;
			reset_message(p);
			continue;
		}
		fill(p, m, true);
		p->off += p->pos;
		reset_message(p);
		p->flags |= F_RETURNED;
		return RK_HTTP_MESSAGE;
	}
	if (rc == RK_HTTP_ERROR && e) {
		e->status = p->estatus;
		e->reason = p->ereason;
	}
	return rc;
}

const char *rk_http_connection_value(int minor, bool will_close)
{
	if (will_close)
		return minor >= 1 ? "close" : NULL;
	return minor == 0 ? "keep-alive" : NULL;
}

/* Go's http.StatusText */
static const struct {
	int code;
	const char *text;
} reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {102, "Processing"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {208, "Already Reported"},
    {226, "IM Used"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Request Entity Too Large"},
    {414, "Request URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Requested Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {418, "I'm a teapot"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Entity"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {506, "Variant Also Negotiates"},
    {507, "Insufficient Storage"},
    {508, "Loop Detected"},
    {510, "Not Extended"},
    {511, "Network Authentication Required"},
};

const char *rk_http_reason(int status)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == status)
			return reasons[i].text;
	return "";
}

void rk_http_date(time_t t, char *buf, size_t len)
{
	static const char wday[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (!len)
		return;
	if (!gmtime_r(&t, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_mday = 1;
		tm.tm_year = 70;
		tm.tm_wday = 4;
	}
	snprintf(buf, len, "%s, %02d %s %04lld %02d:%02d:%02d GMT", wday[tm.tm_wday], tm.tm_mday,
		 mon[tm.tm_mon], (long long)tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* output with snprintf semantics over binary data */
struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, const void *s, size_t n)
{
	if (o->pos < o->len)
		memcpy(o->buf + o->pos, s, n < o->len - o->pos ? n : o->len - o->pos);
	o->pos += n;
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_header(struct out *o, const char *name, const char *value)
{
	put_str(o, name);
	put(o, ": ", 2);
	put_str(o, value);
	put(o, "\r\n", 2);
}

static bool value_ok(const char *v)
{
	for (; *v; v++)
		if (!is_value_char(*v))
			return false;
	return true;
}

/* a handler header line "Name: value": its name's length, 0 if invalid */
static size_t header_name_len(const char *h)
{
	size_t n = 0;

	while (is_tchar(h[n]))
		n++;
	if (!n || h[n] != ':' || !value_ok(h + n + 1))
		return 0;
	return n;
}

struct sorted_header {
	const char *name; /* "Content-Type" or the line */
	size_t nlen;
	const char *value; /* Content-Type's value; NULL: the line is complete */
};

static int name_cmp(const struct sorted_header *a, const struct sorted_header *b)
{
	size_t n = a->nlen < b->nlen ? a->nlen : b->nlen;
	int c = memcmp(a->name, b->name, n);

	if (c)
		return c;
	return a->nlen < b->nlen ? -1 : a->nlen > b->nlen;
}

ssize_t rk_http_response_format(const struct rk_http_response *r, char *buf, size_t len)
{
	struct sorted_header h[RK_HTTP_RESP_HEADERS_MAX + 1], x;
	char line[64], date[RK_HTTP_DATE_MAX];
	struct out o = {.buf = buf, .len = buf ? len : 0};
	const char *reason = rk_http_reason(r->status);
	bool body_allowed = r->status >= 200 && r->status != 204 && r->status != 304;
	size_t nh = 0, i, j;

	if (r->status < 100 || r->status > 999 || r->body_len > (size_t)SSIZE_MAX / 2 ||
	    (r->body_len && !r->body) || (!body_allowed && r->body_len))
		return -EINVAL;
	if ((r->content_type && !value_ok(r->content_type)) || (r->date && !value_ok(r->date)) ||
	    (r->connection && !value_ok(r->connection)))
		return -EINVAL;
	if (r->content_type && !r->content_type_sniffed)
		h[nh++] = (struct sorted_header){"Content-Type", 12, r->content_type};
	for (i = 0; r->headers && r->headers[i]; i++) {
		size_t n = header_name_len(r->headers[i]);

		if (!n || i >= RK_HTTP_RESP_HEADERS_MAX)
			return -EINVAL;
		h[nh++] = (struct sorted_header){r->headers[i], n, NULL};
	}
	/* insertion sort: stable, like Go writing each key's values in order */
	for (i = 1; i < nh; i++) {
		x = h[i];
		for (j = i; j > 0 && name_cmp(&h[j - 1], &x) > 0; j--)
			h[j] = h[j - 1];
		h[j] = x;
	}

	if (*reason)
		snprintf(line, sizeof(line), "HTTP/1.%d %03d %s\r\n", r->minor ? 1 : 0, r->status,
			 reason);
	else
		snprintf(line, sizeof(line), "HTTP/1.%d %03d status code %d\r\n", r->minor ? 1 : 0,
			 r->status, r->status);
	put_str(&o, line);
	for (i = 0; i < nh; i++) {
		if (h[i].value) {
			put_header(&o, h[i].name, h[i].value);
		} else {
			put_str(&o, h[i].name);
			put(&o, "\r\n", 2);
		}
	}
	if (!r->date) {
		rk_http_date(time(NULL), date, sizeof(date));
		put_header(&o, "Date", date);
	} else if (*r->date) {
		put_header(&o, "Date", r->date);
	}
	if (body_allowed) {
		snprintf(line, sizeof(line), "%zu", r->body_len);
		put_header(&o, "Content-Length", line);
	}
	if (r->content_type && r->content_type_sniffed)
		put_header(&o, "Content-Type", r->content_type);
	if (r->connection)
		put_header(&o, "Connection", r->connection);
	put(&o, "\r\n", 2);
	if (r->body_len)
		put(&o, r->body, r->body_len);
	return (ssize_t)o.pos;
}

int rk_http_response_alloc(const struct rk_http_response *r, char **out, size_t *out_len)
{
	struct rk_http_response c = *r;
	char date[RK_HTTP_DATE_MAX];
	ssize_t n;
	char *b;

	*out = NULL;
	*out_len = 0;
	if (!c.date) {
		/* one date for both passes, so that both agree */
		rk_http_date(time(NULL), date, sizeof(date));
		c.date = date;
	}
	n = rk_http_response_format(&c, NULL, 0);
	if (n < 0)
		return (int)n;
	b = malloc((size_t)n);
	if (!b)
		return -ENOMEM;
	if (rk_http_response_format(&c, b, (size_t)n) != n) {
		free(b);
		return -EINVAL;
	}
	*out = b;
	*out_len = (size_t)n;
	return 0;
}
