// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_http.c - libFuzzer target: the HTTP/1.x parser and the response writer. The first input
 * byte picks the parser's kind, its body limit, whether EOF follows and how the rest is split;
 * the rest is parsed fed whole, fed in pseudo-random pieces and (when short) a byte at a time:
 * every run must give the same results. Each result is checked (bodies within the limit, strings
 * terminated, statuses and reasons from the documented sets, sticky errors, progress: with EOF
 * every run ends in DONE or an error). Then a response built from the input is written and
 * parsed back to the same status, type, connection and body.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"

#define MAX_INPUT 65536
#define LOG_MAX	  (4 * MAX_INPUT + 4096)

static const size_t body_maxes[] = {0, 1, 7, 100, 4096, 65536};

/* what a run saw, as bytes to compare between runs */
struct log {
	unsigned char buf[LOG_MAX];
	size_t len;
	bool full;
};

static void log_add(struct log *l, const void *p, size_t n)
{
	if (l->full || n > LOG_MAX - l->len) {
		l->full = true;
		return;
	}
	memcpy(l->buf + l->len, p, n);
	l->len += n;
}

static void log_str(struct log *l, const char *s)
{
	log_add(l, s, strlen(s) + 1);
}

static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void check_msg(enum rk_http_kind kind, size_t body_max, const struct rk_http_msg *m,
		      bool full)
{
	assert(m->method && m->path && m->query && m->status_text && m->reason && m->content_type &&
	       m->body);
	assert(m->minor >= 0 && m->minor <= 9);
	assert(!full || m->body_len <= body_max);
	if (kind == RK_HTTP_REQUEST) {
		assert(m->status == 0 && !*m->status_text && !*m->reason);
		assert(*m->method);
		for (const char *c = m->method; *c; c++)
			assert(is_tchar((unsigned char)*c));
		assert(m->path[0] == '/' || !strcmp(m->path, "*"));
	} else {
		assert(!*m->method && !*m->path && !*m->query && !m->expect_continue);
		assert(m->status >= 101 && m->status <= 999 &&
		       (m->status >= 200 || m->status == 101));
		assert(strlen(m->status_text) >= 3 && atoi(m->status_text) == m->status);
		assert(m->reason >= m->status_text + 3);
	}
	if (!full)
		assert(m->body_len == 0);
}

static void log_msg(struct log *l, int rc, const struct rk_http_msg *m,
		    const struct rk_http_error *e)
{
	unsigned char flags;

	if (rc == RK_HTTP_AGAIN)
		return; /* how often depends on the pieces */
	log_add(l, &rc, sizeof(rc));
	if (rc == RK_HTTP_ERROR) {
		log_add(l, &e->status, sizeof(e->status));
		log_str(l, e->reason);
		return;
	}
	if (rc != RK_HTTP_MESSAGE && rc != RK_HTTP_CONTINUE)
		return;
	log_str(l, m->method);
	log_str(l, m->path);
	log_str(l, m->query);
	log_add(l, &m->status, sizeof(m->status));
	log_str(l, m->status_text);
	log_str(l, m->reason);
	log_str(l, m->content_type);
	log_add(l, &m->minor, sizeof(m->minor));
	flags = m->keep_alive | m->expect_continue << 1 | m->chunked << 2;
	log_add(l, &flags, 1);
	log_add(l, &m->body_len, sizeof(m->body_len));
	log_add(l, m->body, m->body_len);
}

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

/* feed @data in pieces (@mode 0: whole, 1: a byte at a time, 2: random), log every result */
static void run(enum rk_http_kind kind, size_t body_max, bool eof, const uint8_t *data, size_t size,
		int mode, uint64_t seed, struct log *l)
{
	static const int statuses[] = {400, 413, 417, 431, 501, 505};
	struct rk_http_parser p;
	struct rk_http_msg m;
	struct rk_http_error e;
	struct rng r = {seed | 1};
	size_t off = 0, consumed = 0;
	int rc = RK_HTTP_AGAIN;
	bool over = false;

	assert(rk_http_parser_init(&p, kind, body_max) == 0);
	while (!over) {
		size_t n = size - off;

		if (mode == 1 && n > 1)
			n = 1;
		if (mode == 2 && n > 1) {
			size_t most = rng_next(&r) % 4 == 0 ? n : 16;

			n = 1 + rng_next(&r) % (n < most ? n : most);
		}
		assert(rk_http_feed(&p, data + off, n) == 0);
		off += n;
		if (off == size && eof)
			rk_http_feed_eof(&p);
		for (;;) {
			size_t before = rk_http_buffered(&p);

			rc = rk_http_next(&p, &m, &e);
			log_msg(l, rc, &m, &e);
			if (rc == RK_HTTP_AGAIN)
				break;
			if (rc == RK_HTTP_ERROR) {
				bool known = false;

				for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
					known |= e.status == statuses[i];
				assert(known && e.reason && *e.reason);
				assert(rk_http_buffered(&p) == 0 && p.buf == NULL);
				/* sticky, and what follows is dropped */
				assert(rk_http_feed(&p, "x", 1) ==
				       (eof && off == size ? -EINVAL : 0));
				assert(rk_http_next(&p, &m, NULL) == RK_HTTP_ERROR);
				over = true;
				break;
			}
			if (rc == RK_HTTP_DONE) {
				assert(eof && off == size && rk_http_buffered(&p) == 0);
				assert(rk_http_next(&p, &m, &e) == RK_HTTP_DONE);
				over = true;
				break;
			}
			check_msg(kind, body_max, &m, rc == RK_HTTP_MESSAGE);
			/* the message's strings and body lie in the buffer */
			if (kind == RK_HTTP_REQUEST)
				assert(m.method >= p.buf && m.method < p.buf + p.len);
			assert(!m.body_len ||
			       (m.body >= p.buf && m.body + m.body_len <= p.buf + p.len));
			if (rc == RK_HTTP_MESSAGE) {
				size_t left = rk_http_buffered(&p);

				assert(left < before);
				consumed += before - left;
				assert(consumed <= off);
			}
		}
		if (off == size)
			break;
	}
	/* progress: EOF always ends the conversation */
	assert(!eof || over);
	assert(over || rc == RK_HTTP_AGAIN);
	rk_http_parser_free(&p);
}

/* a response made of the input, written and parsed back */
static void round_trip(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"X-A", "Allow", "X-Content-Type-Options", "Zeta"};
	static const char *const conns[] = {NULL, "close", "keep-alive"};
	char ct[64], vals[3][40], lines[3][64];
	const char *hdrs[4] = {NULL};
	struct rk_http_response r = {0};
	struct rk_http_parser p;
	struct rk_http_msg m;
	struct rk_http_error e;
	size_t i, pos = 8, alen;
	char *a;
	int rc;

	if (size < 8)
		return;
	r.status = 100 + (data[0] << 8 | data[1]) % 900;
	if (data[2] & 1)
		r.status = (int[]){200, 201, 204, 400, 404, 405, 500}[data[2] % 7];
	r.minor = data[3] & 1;
	r.content_type_sniffed = data[3] & 2;
	r.connection = conns[(data[3] >> 2) % 3];
	r.date = data[3] & 32 ? NULL : "";
	/* content type, then up to 3 header values, each a length byte and bytes */
	for (i = 0; i < 4 && pos < size; i++) {
		size_t n = data[pos++] % 40;
		char *dst = i ? vals[i - 1] : ct;

		if (n > size - pos)
			n = size - pos;
		memcpy(dst, data + pos, n);
		dst[n] = '\0';
		pos += n;
		if (i) {
			snprintf(lines[i - 1], sizeof(lines[i - 1]), "%s:%s",
				 names[data[4 + i] % 4], vals[i - 1]);
			hdrs[i - 1] = lines[i - 1];
		} else if (data[4] & 1) {
			r.content_type = ct;
		}
	}
	r.headers = hdrs;
	r.body = data + pos;
	r.body_len = size - pos;
	if (rk_http_response_format(&r, NULL, 0) < 0) {
		assert(rk_http_response_alloc(&r, &a, &alen) == -EINVAL);
		return;
	}
	assert(rk_http_response_alloc(&r, &a, &alen) == 0);
	assert(rk_http_parser_init(&p, RK_HTTP_RESPONSE, r.body_len) == 0);
	assert(rk_http_feed(&p, a, alen) == 0);
	rk_http_feed_eof(&p);
	rc = rk_http_next(&p, &m, &e);
	if (r.status < 200 && r.status != 101) {
		assert(rc == RK_HTTP_DONE); /* interim responses are skipped */
	} else {
		const char *want = r.content_type ? r.content_type : "";
		size_t wn;

		assert(rc == RK_HTTP_MESSAGE);
		assert(m.status == r.status && m.minor == r.minor);
		assert(m.keep_alive == (r.connection != conns[1] && (r.minor || r.connection)));
		while (*want == ' ' || *want == '\t')
			want++;
		wn = strlen(want);
		while (wn && (want[wn - 1] == ' ' || want[wn - 1] == '\t'))
			wn--;
		assert(strlen(m.content_type) == wn && !memcmp(m.content_type, want, wn));
		assert(m.body_len == r.body_len && !memcmp(m.body, r.body, r.body_len));
		assert(rk_http_next(&p, &m, &e) == RK_HTTP_DONE);
	}
	rk_http_parser_free(&p);
	free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct log whole, piece;
	enum rk_http_kind kind;
	size_t body_max;
	uint64_t seed = 0;
	bool eof;

	if (size < 1 || size > MAX_INPUT)
		return 0;
	kind = data[0] & 1 ? RK_HTTP_RESPONSE : RK_HTTP_REQUEST;
	eof = data[0] & 2;
	body_max = body_maxes[(data[0] >> 2) % (sizeof(body_maxes) / sizeof(body_maxes[0]))];
	for (size_t i = 0; i < size && i < 8; i++)
		seed = seed * 131 + data[i];

	whole.len = 0;
	whole.full = false;
	run(kind, body_max, eof, data + 1, size - 1, 0, seed, &whole);
	piece.len = 0;
	piece.full = false;
	run(kind, body_max, eof, data + 1, size - 1, 2, seed, &piece);
	assert(whole.full || piece.full ||
	       (whole.len == piece.len && !memcmp(whole.buf, piece.buf, whole.len)));
	if (size <= 2048) {
		piece.len = 0;
		piece.full = false;
		run(kind, body_max, eof, data + 1, size - 1, 1, seed, &piece);
		assert(whole.full || piece.full ||
		       (whole.len == piece.len && !memcmp(whole.buf, piece.buf, whole.len)));
	}
	round_trip(data, size);
	return 0;
}
