// SPDX-License-Identifier: Apache-2.0
/*
 * test_http.c - the HTTP/1.x parser (requests and responses) and the response writer. Each
 * parser case is run fed whole and fed in pieces of 1, 2, 3, 5 and 13 bytes; all runs must
 * give the same results, written as one line per rk_http_next() result (see describe()). The
 * writer's expected bytes are Go's net/http server's, captured from Debian's rootlesskit 1.1.0.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "api/http.h"

#define GO_DATE "Mon, 23 Nov 2026 13:17:22 GMT"
#define X10	"0123456789"
#define X101	X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 "x"

struct text {
	char *s;
	size_t len, cap;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (t->s && (size_t)n < t->cap - t->len)
			break;
		t->cap = t->cap * 2 + (size_t)n + 64;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
		if (!t->len)
			t->s[0] = '\0';
	}
	t->len += (size_t)n;
}

/*
 * One result as text. Requests: "GET /path ?query 1.1 [close] [expect] [chunked] [ct=..]
 * [body=..]"; responses: "<status_text> 1.x [..]"; "CONTINUE <method> <path>"; "E<status>
 * <reason>"; "DONE". Bytes outside printable ASCII in bodies print as \xNN.
 */
static void describe(struct text *t, enum rk_http_kind kind, int rc, const struct rk_http_msg *m,
		     const struct rk_http_error *e)
{
	switch (rc) {
	case RK_HTTP_ERROR:
		text_add(t, "E%d %s\n", e->status, e->reason);
		return;
	case RK_HTTP_DONE:
		text_add(t, "DONE\n");
		return;
	case RK_HTTP_CONTINUE:
		text_add(t, "CONTINUE %s %s\n", m->method, m->path);
		return;
	default:
		break;
	}
	if (kind == RK_HTTP_REQUEST) {
		assert_int_equal(m->status, 0);
		text_add(t, "%s %s", m->method, m->path);
		if (*m->query)
			text_add(t, " ?%s", m->query);
	} else {
		assert_string_equal(m->method, "");
		text_add(t, "%s", m->status_text);
	}
	text_add(t, " 1.%d", m->minor);
	if (!m->keep_alive)
		text_add(t, " close");
	if (m->expect_continue)
		text_add(t, " expect");
	if (m->chunked)
		text_add(t, " chunked");
	if (*m->content_type)
		text_add(t, " ct=%s", m->content_type);
	assert_non_null(m->body);
	if (m->body_len) {
		text_add(t, " body=");
		for (size_t i = 0; i < m->body_len; i++) {
			unsigned char c = (unsigned char)m->body[i];

			if (c >= 0x20 && c < 0x7f && c != '\\')
				text_add(t, "%c", c);
			else
				text_add(t, "\\x%02x", c);
		}
	}
	text_add(t, "\n");
}

/* feed @in in pieces of @piece bytes (0: whole), then EOF if @eof; describe every result */
static char *run(enum rk_http_kind kind, size_t body_max, const char *in, size_t len, size_t piece,
		 bool eof)
{
	struct rk_http_parser p;
	struct rk_http_msg m;
	struct rk_http_error e;
	struct text t = {0};
	bool over = false;
	size_t off = 0;
	int rc;

	text_add(&t, "%s", "");
	assert_int_equal(rk_http_parser_init(&p, kind, body_max), 0);
	for (;;) {
		size_t n = piece && len - off > piece ? piece : len - off;
		bool last = off + n == len;

		if (n)
			assert_int_equal(rk_http_feed(&p, in + off, n), 0);
		off += n;
		if (last && eof)
			rk_http_feed_eof(&p);
		while (!over && (rc = rk_http_next(&p, &m, &e)) != RK_HTTP_AGAIN) {
			describe(&t, kind, rc, &m, &e);
			over = rc == RK_HTTP_ERROR || rc == RK_HTTP_DONE;
			if (!over)
				assert_true(rk_http_buffered(&p) <= len);
		}
		if (last || over)
			break;
	}
	if (over && rc == RK_HTTP_ERROR)
		assert_int_equal(rk_http_buffered(&p), 0);
	rk_http_parser_free(&p);
	return t.s;
}

static void check_run(enum rk_http_kind kind, size_t body_max, const char *in, size_t len, bool eof,
		      const char *want)
{
	static const size_t pieces[] = {0, 1, 2, 3, 5, 13};

	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		char *got = run(kind, body_max, in, len, pieces[i], eof);

		if (strcmp(got, want)) {
			print_error("input %.*s\nfed in pieces of %zu\n got: %s\nwant: %s\n",
				    (int)(len > 300 ? 300 : len), in, pieces[i], got, want);
			free(got);
			fail();
		}
		free(got);
	}
}

struct parse_case {
	const char *in;
	const char *want;
};

static void check_cases(enum rk_http_kind kind, size_t body_max, bool eof,
			const struct parse_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check_run(kind, body_max, c[i].in, strlen(c[i].in), eof, c[i].want);
}

#define CHECK_CASES(kind, max, eof, c) check_cases(kind, max, eof, c, sizeof(c) / sizeof(c[0]))

static void test_request_ok(void **state)
{
	static const struct parse_case c[] = {
	    {"GET /v1/info HTTP/1.1\r\nHost: rootlesskit\r\n\r\n", "GET /v1/info 1.1\n"},
	    /* what Go's client (rootlessctl 1.1.0) sends */
	    {"GET /v1/ports HTTP/1.1\r\nHost: rootlesskit\r\nUser-Agent: Go-http-client/1.1\r\n"
	     "Accept-Encoding: gzip\r\n\r\n",
	     "GET /v1/ports 1.1\n"},
	    {"POST /v1/ports HTTP/1.1\r\nHost: rootlesskit\r\nUser-Agent: Go-http-client/1.1\r\n"
	     "Content-Length: 71\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n"
	     "{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":8080,\"childPort\":80}",
	     "POST /v1/ports 1.1 ct=application/json "
	     "body={\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\","
	     "\"parentPort\":8080,\"childPort\":80}\n"},
	    /* Host is not required (SPEC: ignored), bare LF line ends as Go */
	    {"GET /v1/info HTTP/1.1\r\n\r\n", "GET /v1/info 1.1\n"},
	    {"GET /v1/info HTTP/1.1\nHost: x\n\n", "GET /v1/info 1.1\n"},
	    {"GET /v1/info HTTP/1.1\r\nHost: x\n\r\n", "GET /v1/info 1.1\n"},
	    {"GET /v1/ports HTTP/1.0\r\n\r\n", "GET /v1/ports 1.0 close\n"},
	    /* HTTP/1.2..1.9 are taken as 1.1, as Go does */
	    {"GET / HTTP/1.2\r\n\r\n", "GET / 1.2\n"},
	    {"GET / HTTP/1.9\r\n\r\n", "GET / 1.9\n"},
	    /* methods are case-sensitive tokens; the router answers 405 to unknown ones */
	    {"get /v1/info HTTP/1.1\r\n\r\n", "get /v1/info 1.1\n"},
	    {"M-SEARCH!#$%&'*+.^_`|~09 / HTTP/1.1\r\n\r\n", "M-SEARCH!#$%&'*+.^_`|~09 / 1.1\n"},
	    /* the query is split off raw; the path percent-decoded */
	    {"GET /v1/info?x=1&y=%zz HTTP/1.1\r\n\r\n", "GET /v1/info ?x=1&y=%zz 1.1\n"},
	    {"GET /v1/info? HTTP/1.1\r\n\r\n", "GET /v1/info 1.1\n"},
	    {"GET /v1/%69nfo HTTP/1.1\r\n\r\n", "GET /v1/info 1.1\n"},
	    {"GET /a%2Fb%2fc%3F?q%3F HTTP/1.1\r\n\r\n", "GET /a/b/c? ?q%3F 1.1\n"},
	    {"GET /%e2%82%ac+x HTTP/1.1\r\n\r\n", "GET /\xe2\x82\xac+x 1.1\n"},
	    {"GET /\xe2\x82\xac#frag HTTP/1.1\r\n\r\n", "GET /\xe2\x82\xac#frag 1.1\n"},
	    {"GET //v1/../info/ HTTP/1.1\r\n\r\n", "GET //v1/../info/ 1.1\n"},
	    /* absolute-form: its path */
	    {"GET http://rootlesskit/v1/info?a HTTP/1.1\r\n\r\n", "GET /v1/info ?a 1.1\n"},
	    {"GET HTTP://h:80/v1/%69nfo HTTP/1.1\r\n\r\n", "GET /v1/info 1.1\n"},
	    {"GET foo+bar.baz-1://x/y HTTP/1.1\r\n\r\n", "GET /y 1.1\n"},
	    {"GET http://foo HTTP/1.1\r\n\r\n", "GET / 1.1\n"},
	    {"GET http://foo?q HTTP/1.1\r\n\r\n", "GET / ?q 1.1\n"},
	    {"GET a: HTTP/1.1\r\n\r\n", "GET / 1.1\n"},
	    {"GET http:/v1/info HTTP/1.1\r\n\r\n", "GET /v1/info 1.1\n"},
	    {"OPTIONS * HTTP/1.1\r\n\r\n", "OPTIONS * 1.1\n"},
	    /* header names case-insensitive, values trimmed, obs-text allowed */
	    {"POST /v1/ports HTTP/1.1\r\ncontent-length:  2 \t\r\nCONTENT-TYPE:\t application/json "
	     "\r\n\r\n{}",
	     "POST /v1/ports 1.1 ct=application/json body={}\n"},
	    {"POST /v1/ports HTTP/1.1\r\nContent-Type: a\r\nContent-Type: b\r\nContent-Length: "
	     "0\r\n\r\n",
	     "POST /v1/ports 1.1 ct=a\n"},
	    {"GET / HTTP/1.1\r\nX-Y: caf\xc3\xa9\t x\r\nX-Empty:\r\nX-Sp: \r\n\r\n", "GET / 1.1\n"},
	    /* identical Content-Length repeated is fine (RFC 9112 6.3), leading zeros too */
	    {"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 02\r\n\r\nab",
	     "POST / 1.1 body=ab\n"},
	    {"POST / HTTP/1.1\r\nContent-Length: 0000000000000000000000000003\r\n\r\nabc",
	     "POST / 1.1 body=abc\n"},
	    /* a GET may carry a body; a body without framing is none */
	    {"GET / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", "GET / 1.1 body=x\n"},
	    {"POST /v1/ports HTTP/1.1\r\n\r\n", "POST /v1/ports 1.1\n"},
	    /* Transfer-Encoding value case-insensitive */
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
	     "POST / 1.1 chunked body=x\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding:  chunked \r\n\r\n1\r\nx\r\n0\r\n\r\n",
	     "POST / 1.1 chunked body=x\n"},
	};

	CHECK_CASES(RK_HTTP_REQUEST, 65536, false, c);
	/* a NUL byte in the body survives */
	check_run(RK_HTTP_REQUEST, 65536, "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\na\0b", 41,
		  false, "POST / 1.1 body=a\\x00b\n");
}

static void test_request_errors(void **state)
{
	static const struct parse_case c[] = {
	    /* request line */
	    {"GARBAGE\r\n\r\n", "E400 malformed HTTP request\n"},
	    {"\r\nGET / HTTP/1.1\r\n\r\n", "E400 malformed HTTP request\n"},
	    {"GET /\r\n", "E400 malformed HTTP request\n"},
	    {"GET\t/\tHTTP/1.1\r\n\r\n", "E400 malformed HTTP request\n"},
	    {" / HTTP/1.1\r\n\r\n", "E400 invalid method\n"},
	    {"G(T / HTTP/1.1\r\n\r\n", "E400 invalid method\n"},
	    {"G\xc3\xa9T / HTTP/1.1\r\n\r\n", "E400 invalid method\n"},
	    {"GET  /v1/info HTTP/1.1\r\n\r\n", "E400 malformed HTTP version\n"},
	    {"GET / FOO/1.1\r\n\r\n", "E400 malformed HTTP version\n"},
	    {"GET / http/1.1\r\n\r\n", "E400 malformed HTTP version\n"},
	    {"GET / HTTP/1.10\r\n\r\n", "E400 malformed HTTP version\n"},
	    {"GET / HTTP/01.1\r\n\r\n", "E400 malformed HTTP version\n"},
	    {"GET / HTTP/1.1 \r\n\r\n", "E400 malformed HTTP version\n"},
	    {"GET / HTTP/1.1\r\r\n\r\n", "E400 malformed HTTP version\n"},
	    {"GET / HTTP/1\r\n\r\n", "E400 malformed HTTP version\n"},
	    {"GET / HTTP/2.0\r\n\r\n", "E505 unsupported protocol version\n"},
	    {"GET / HTTP/0.9\r\n\r\n", "E505 unsupported protocol version\n"},
	    {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "E505 unsupported protocol version\n"},
	    /* request-target */
	    {"GET  HTTP/1.1\r\n\r\n", "E400 invalid URI for request\n"},
	    {"GET v1/info HTTP/1.1\r\n\r\n", "E400 invalid URI for request\n"},
	    {"GET 1http://x/ HTTP/1.1\r\n\r\n", "E400 invalid URI for request\n"},
	    {"GET http HTTP/1.1\r\n\r\n", "E400 invalid URI for request\n"},
	    {"GET http:x/y HTTP/1.1\r\n\r\n", "E400 invalid URI for request\n"},
	    {"GET h_t://x/ HTTP/1.1\r\n\r\n", "E400 invalid URI for request\n"},
	    {"GET *x HTTP/1.1\r\n\r\n", "E400 invalid URI for request\n"},
	    {"CONNECT host:80 HTTP/1.1\r\n\r\n", "E400 invalid URI for request\n"},
	    {"GET /a\x01 HTTP/1.1\r\n\r\n", "E400 invalid control character in URL\n"},
	    {"GET /a\x7f HTTP/1.1\r\n\r\n", "E400 invalid control character in URL\n"},
	    {"GET /a?\r HTTP/1.1\r\n\r\n", "E400 invalid control character in URL\n"},
	    {"GET /%zz HTTP/1.1\r\n\r\n", "E400 invalid URL escape\n"},
	    {"GET /%4 HTTP/1.1\r\n\r\n", "E400 invalid URL escape\n"},
	    {"GET /%4?1 HTTP/1.1\r\n\r\n", "E400 invalid URL escape\n"},
	    {"GET /% HTTP/1.1\r\n\r\n", "E400 invalid URL escape\n"},
	    {"GET /%00 HTTP/1.1\r\n\r\n", "E400 invalid URL escape\n"},
	    /* header lines */
	    {"GET / HTTP/1.1\r\nfoo\r\n\r\n", "E400 malformed MIME header line\n"},
	    {"GET / HTTP/1.1\r\nFoo : b\r\n\r\n", "E400 invalid header name\n"},
	    {"GET / HTTP/1.1\r\nFoo\t: b\r\n\r\n", "E400 invalid header name\n"},
	    {"GET / HTTP/1.1\r\nF(o: b\r\n\r\n", "E400 invalid header name\n"},
	    {"GET / HTTP/1.1\r\n: b\r\n\r\n", "E400 invalid header name\n"},
	    {"GET / HTTP/1.1\r\nFoo: a\x01z\r\n\r\n", "E400 invalid header value\n"},
	    {"GET / HTTP/1.1\r\nFoo: a\rz\r\n\r\n", "E400 invalid header value\n"},
	    {"GET / HTTP/1.1\r\nFoo: a\x7f\r\n\r\n", "E400 invalid header value\n"},
	    {"GET / HTTP/1.1\r\nFoo: a\r\r\n\r\n", "E400 invalid header value\n"},
	    {"GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n",
	     "E400 obs-fold header line folding is not allowed\n"},
	    {"GET / HTTP/1.1\r\n\tHost: x\r\n\r\n",
	     "E400 obs-fold header line folding is not allowed\n"},
	    /* Content-Length */
	    {"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
	     "E400 message cannot contain multiple Content-Length headers\n"},
	    {"POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\n{}", "E400 bad Content-Length\n"},
	    {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n{}", "E400 bad Content-Length\n"},
	    {"POST / HTTP/1.1\r\nContent-Length: +2\r\n\r\n{}", "E400 bad Content-Length\n"},
	    {"POST / HTTP/1.1\r\nContent-Length: 0x2\r\n\r\n{}", "E400 bad Content-Length\n"},
	    {"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n{}", "E400 bad Content-Length\n"},
	    {"POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n{}", "E400 bad Content-Length\n"},
	    {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n{}",
	     "E413 http: request body too large\n"},
	    /* Transfer-Encoding */
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
	     "E501 unsupported transfer encoding\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	     "E501 unsupported transfer encoding\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
	     "E501 unsupported transfer encoding\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n",
	     "E501 unsupported transfer encoding\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n",
	     "E501 unsupported transfer encoding\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	     "E501 too many transfer encodings\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
	     "E400 message cannot contain both Content-Length and Transfer-Encoding\n"},
	    {"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
	     "E400 message cannot contain both Content-Length and Transfer-Encoding\n"},
	    {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	     "E400 Transfer-Encoding is not allowed in HTTP/1.0\n"},
	    /* Expect */
	    {"POST / HTTP/1.1\r\nExpect: foo\r\nContent-Length: 2\r\n\r\n{}",
	     "E417 Expectation Failed\n"},
	    {"POST / HTTP/1.0\r\nExpect: 100-continu\r\n\r\n", "E417 Expectation Failed\n"},
	};

	CHECK_CASES(RK_HTTP_REQUEST, 65536, false, c);
	/* a NUL byte where a line is parsed */
	check_run(RK_HTTP_REQUEST, 100, "GET /\0 HTTP/1.1\r\n\r\n", 19, false,
		  "E400 invalid control character in URL\n");
	check_run(RK_HTTP_REQUEST, 100, "GET / HTTP/1.1\r\nA: \0\r\n\r\n", 24, false,
		  "E400 invalid header value\n");
	check_run(RK_HTTP_REQUEST, 100, "G\0T / HTTP/1.1\r\n\r\n", 18, false,
		  "E400 invalid method\n");
	/* a byte after a message waits for the rest of the next one */
	check_run(RK_HTTP_REQUEST, 100, "GET / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}x", 40, false,
		  "GET / 1.1 body={}\n");
}

static void test_keep_alive(void **state)
{
	static const struct parse_case c[] = {
	    {"GET / HTTP/1.1\r\n\r\n", "GET / 1.1\n"},
	    {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", "GET / 1.1 close\n"},
	    {"GET / HTTP/1.1\r\nConnection: CLOSE\r\n\r\n", "GET / 1.1 close\n"},
	    {"GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", "GET / 1.1 close\n"},
	    {"GET / HTTP/1.1\r\nConnection: foo\r\nConnection: close \r\n\r\n",
	     "GET / 1.1 close\n"},
	    {"GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", "GET / 1.1\n"},
	    {"GET / HTTP/1.1\r\nConnection: close \t,foo\r\n\r\n", "GET / 1.1 close\n"},
	    {"GET / HTTP/1.1\r\nConnection: ,, \t,\r\n\r\n", "GET / 1.1\n"},
	    {"GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", "GET / 1.1\n"},
	    {"GET / HTTP/1.0\r\n\r\n", "GET / 1.0 close\n"},
	    {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET / 1.0\n"},
	    {"GET / HTTP/1.0\r\nConnection: Keep-Alive, foo\r\n\r\n", "GET / 1.0\n"},
	    {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", "GET / 1.0 close\n"},
	    {"GET / HTTP/1.0\r\nConnection: keep-alivex\r\n\r\n", "GET / 1.0 close\n"},
	};

	CHECK_CASES(RK_HTTP_REQUEST, 65536, false, c);
	assert_string_equal(rk_http_connection_value(1, true), "close");
	assert_null(rk_http_connection_value(1, false));
	assert_null(rk_http_connection_value(0, true));
	assert_string_equal(rk_http_connection_value(0, false), "keep-alive");
}

static void test_expect(void **state)
{
	static const struct parse_case c[] = {
	    /* the 100 Continue cue comes right after the head, even with the body there (Go
	     * sends it when the handler first reads the body, which it always does) */
	    {"POST /v1/ports HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}",
	     "CONTINUE POST /v1/ports\nPOST /v1/ports 1.1 expect body={}\n"},
	    {"POST / HTTP/1.1\r\nExpect: 100-CONTINUE\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "1\r\nx\r\n0\r\n\r\n",
	     "CONTINUE POST /\nPOST / 1.1 expect chunked body=x\n"},
	    {"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
	     "CONTINUE POST /\n"},
	    /* no body, HTTP/1.0: no cue */
	    {"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
	     "POST / 1.1 expect\n"},
	    {"POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", "POST / 1.1 expect\n"},
	    {"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
	     "POST / 1.0 close expect body=x\n"},
	    /* only the first Expect counts; an empty one is ignored (Go) */
	    {"POST / HTTP/1.1\r\nExpect: 100-continue\r\nExpect: foo\r\n\r\n",
	     "POST / 1.1 expect\n"},
	    {"POST / HTTP/1.1\r\nExpect:\r\nExpect: foo\r\n\r\n", "POST / 1.1\n"},
	};

	CHECK_CASES(RK_HTTP_REQUEST, 65536, false, c);
}

static void test_chunked(void **state)
{
	static const struct parse_case c[] = {
	    /* extensions ignored, trailers dropped, upper-case hex, LF-only lines */
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "1;ext=1\r\n{\r\n1 ; a=\"b;c\"\r\n}\r\n0\r\nTrailer: x\r\nT2: y\r\n\r\n",
	     "POST / 1.1 chunked body={}\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0A\r\n0123456789\r\n"
	     "000\r\n\r\n",
	     "POST / 1.1 chunked body=0123456789\n"},
	    {"POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n2\nab\r\n0\n\n",
	     "POST / 1.1 chunked body=ab\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	     "POST / 1.1 chunked\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "0000000000000003\r\nabc\r\n0\r\n\r\n",
	     "POST / 1.1 chunked body=abc\n"},
	    /* chunk data may hold anything, line ends included */
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n\r\n\r\n\r\n0\r\n\r\n",
	     "POST / 1.1 chunked body=\\x0d\\x0a\\x0d\\x0a\n"},
	    /* errors, with Go's texts */
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	     "E400 invalid byte in chunk length\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n 1\r\nx\r\n",
	     "E400 invalid byte in chunk length\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n",
	     "E400 invalid byte in chunk length\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n{}\r\n0\r\n\r\n",
	     "E400 empty hex number for chunk length\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n",
	     "E400 empty hex number for chunk length\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000002\r\n",
	     "E400 http chunk length too large\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n",
	     "E400 malformed chunked encoding\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\n0\r\n\r\n",
	     "E400 malformed chunked encoding\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\rX0\r\n\r\n",
	     "E400 malformed chunked encoding\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
	     "E400 malformed MIME header line\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n c\r\n\r\n",
	     "E400 obs-fold header line folding is not allowed\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: \x01\r\n\r\n",
	     "E400 invalid header value\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
	     "E413 http: request body too large\n"},
	};

	CHECK_CASES(RK_HTTP_REQUEST, 65536, false, c);
}

static void test_pipelining(void **state)
{
	static const char in[] =
	    "GET /v1/info HTTP/1.1\r\nHost: x\r\n\r\n"
	    "POST /v1/ports HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
	    "POST /v1/ports HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
	    "DELETE /v1/ports/1 HTTP/1.1\r\nConnection: close\r\n\r\n"
	    "GET /v1/";
	struct rk_http_parser p;
	struct rk_http_msg m;
	struct rk_http_error e;

	check_run(RK_HTTP_REQUEST, 100, in, strlen(in), false,
		  "GET /v1/info 1.1\nPOST /v1/ports 1.1 body={}\n"
		  "POST /v1/ports 1.1 chunked body={}\nDELETE /v1/ports/1 1.1 close\n");
	check_run(RK_HTTP_REQUEST, 100, in, strlen(in), true,
		  "GET /v1/info 1.1\nPOST /v1/ports 1.1 body={}\n"
		  "POST /v1/ports 1.1 chunked body={}\nDELETE /v1/ports/1 1.1 close\n"
		  "E400 unexpected EOF\n");

	/* leftovers stay; rk_http_buffered() counts them */
	assert_int_equal(rk_http_parser_init(&p, RK_HTTP_REQUEST, 100), 0);
	assert_int_equal(rk_http_buffered(&p), 0);
	assert_int_equal(rk_http_feed(&p, in, strlen(in)), 0);
	assert_int_equal(rk_http_buffered(&p), strlen(in));
	assert_int_equal(rk_http_next(&p, &m, &e), RK_HTTP_MESSAGE);
	assert_string_equal(m.path, "/v1/info");
	assert_int_equal(rk_http_buffered(&p), strlen(in) - 34);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rk_http_next(&p, &m, &e), RK_HTTP_MESSAGE);
	assert_string_equal(m.method, "DELETE");
	assert_int_equal(rk_http_buffered(&p), 8);
	assert_int_equal(rk_http_next(&p, &m, &e), RK_HTTP_AGAIN);
	assert_int_equal(rk_http_feed(&p, "info HTTP/1.1\r\n\r\n", 17), 0);
	assert_int_equal(rk_http_next(&p, &m, &e), RK_HTTP_MESSAGE);
	assert_string_equal(m.path, "/v1/info");
	assert_int_equal(rk_http_buffered(&p), 0);
	assert_int_equal(rk_http_next(&p, NULL, NULL), RK_HTTP_AGAIN);
	rk_http_feed_eof(&p);
	assert_int_equal(rk_http_next(&p, &m, &e), RK_HTTP_DONE);
	assert_int_equal(rk_http_next(&p, &m, &e), RK_HTTP_DONE);
	assert_int_equal(rk_http_feed(&p, "x", 1), -EINVAL);
	rk_http_parser_free(&p);
}

static void test_eof(void **state)
{
	static const struct parse_case c[] = {
	    {"", "DONE\n"},
	    {"GET / HTTP/1.1\r\n\r\n", "GET / 1.1\nDONE\n"},
	    {"GET / HT", "E400 unexpected EOF\n"},
	    {"GET / HTTP/1.1\r\n", "E400 unexpected EOF\n"},
	    {"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n{}", "E400 unexpected EOF\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n",
	     "E400 unexpected EOF\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n",
	     "E400 unexpected EOF\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r",
	     "E400 unexpected EOF\n"},
	};

	CHECK_CASES(RK_HTTP_REQUEST, 100, true, c);
}

/* @n bytes of 'a' */
static char *as(size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, 'a', n);
	s[n] = '\0';
	return s;
}

static void check_fmt(const char *want, size_t body_max, bool eof, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void check_fmt(const char *want, size_t body_max, bool eof, const char *fmt, ...)
{
	va_list ap;
	char *in;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&in, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	check_run(RK_HTTP_REQUEST, body_max, in, (size_t)n, eof, want);
	free(in);
}

static void test_bounds(void **state)
{
	/* "GET / HTTP/1.1\r\nX: " is 19 bytes, "\r\n\r\n" 4: the head is exactly 8192 */
	char *a = as(RK_HTTP_HEAD_MAX - 23), *b = as(RK_HTTP_HEAD_MAX - 22);
	char *big = as(RK_HTTP_CHUNK_LINE_MAX);
	char *body = as(100), hdrs[RK_HTTP_HEADERS_MAX * 8 + 1] = "";

	check_fmt("GET / 1.1\n", 100, false, "GET / HTTP/1.1\r\nX: %s\r\n\r\n", a);
	check_fmt("E431 header too large\n", 100, false, "GET / HTTP/1.1\r\nX: %s\r\n\r\n", b);
	/* no need to wait for the rest once the head cannot end within the limit */
	check_fmt("E431 header too large\n", 100, false, "GET / HTTP/1.1\r\nX: %saaaa", a);
	check_fmt("", 100, false, "GET / HTTP/1.1\r\nX: %saaa", a);
	check_fmt("", 100, false, "GET / HTTP/1.1\r\nX: %s\r\n", a);
	check_fmt("E431 header too large\n", 100, false, "GET / HTTP/1.1\r\nX: %s\r\nY:", a);
	{
		/* a long path: 5 + 8174 + 11 + 2 bytes */
		char *want;

		assert_true(asprintf(&want, "GET /%saaaaa 1.1\n", a) > 0);
		check_fmt(want, 100, false, "GET /%saaaaa HTTP/1.1\r\n\r\n", a);
		free(want);
		check_fmt("E431 header too large\n", 100, false, "GET /%saaaaaa HTTP/1.1\r\n\r\n",
			  a);
	}
	check_fmt("E431 header too large\n", 100, false, "%s%s", a, a);
	/* bare LF ends: the same 8192 bytes hold 3 more bytes of value */
	check_fmt("GET / 1.1\n", 100, false, "GET / HTTP/1.1\nX: %saaa\n\n", a);
	check_fmt("E431 header too large\n", 100, false, "GET / HTTP/1.1\nX: %saaaa\n\n", a);
	/* header count */
	for (int i = 0; i < RK_HTTP_HEADERS_MAX; i++)
		snprintf(hdrs + strlen(hdrs), sizeof(hdrs) - strlen(hdrs), "X%02d:\r\n", i);
	check_fmt("GET / 1.1\n", 100, false, "GET / HTTP/1.1\r\n%s\r\n", hdrs);
	check_fmt("E431 too many header fields\n", 100, false, "GET / HTTP/1.1\r\n%sY: 1\r\n",
		  hdrs);
	/* body limit: Content-Length, chunked in one chunk and in two */
	check_fmt("POST / 1.1 body=aaaaa\n", 5, false,
		  "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\naaaaa");
	check_fmt("E413 http: request body too large\n", 5, false,
		  "POST / HTTP/1.1\r\nContent-Length: 6\r\n\r\n");
	check_fmt("POST / 1.1 chunked body=aaaaa\n", 5, false,
		  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\naaaaa\r\n0\r\n\r\n");
	check_fmt("E413 http: request body too large\n", 5, false,
		  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n");
	check_fmt("E413 http: request body too large\n", 5, false,
		  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\naaa\r\n3\r\n");
	check_fmt("POST / 1.1\n", 0, false, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	check_fmt("E413 http: request body too large\n", 0, false,
		  "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\n");
	{
		char *want;

		assert_true(asprintf(&want, "POST / 1.1 body=%s\n", body) > 0);
		check_fmt(want, 100, false, "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n%s",
			  body);
		free(want);
	}
	/* chunk-size line: 4096 bytes with its CRLF, then one more */
	big[0] = '1';
	big[1] = ';';
	big[RK_HTTP_CHUNK_LINE_MAX - 2] = '\0';
	check_fmt("POST / 1.1 chunked body=x\n", 100, false,
		  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n%s\r\nx\r\n0\r\n\r\n", big);
	big[RK_HTTP_CHUNK_LINE_MAX - 2] = 'a';
	big[RK_HTTP_CHUNK_LINE_MAX - 1] = '\0';
	check_fmt("E400 header line too long\n", 100, false,
		  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n%s\r\nx\r\n0\r\n\r\n", big);
	check_fmt("E400 header line too long\n", 100, false,
		  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n%sa", big);
	check_fmt("", 100, false, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n%s", big);
	/* trailer section: 8192 bytes ("X: " + value + CRLF + CRLF), then one more */
	free(a);
	a = as(RK_HTTP_HEAD_MAX - 7);
	check_fmt("POST / 1.1 chunked\n", 100, false,
		  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: %s\r\n\r\n", a);
	check_fmt("E400 trailer too large\n", 100, false,
		  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: %sa\r\n\r\n", a);
	free(a);
	free(b);
	free(big);
	free(body);
}

static void test_response(void **state)
{
	static const struct parse_case c[] = {
	    /* Go's answers (rootlesskit 1.1.0) */
	    {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: " GO_DATE
	     "\r\nContent-Length: 4\r\n\r\nnull",
	     "200 OK 1.1 ct=application/json body=null\nDONE\n"},
	    {"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
	     "X-Content-Type-Options: nosniff\r\nDate: " GO_DATE "\r\nContent-Length: 19\r\n\r\n"
	     "404 page not found\n",
	     "404 Not Found 1.1 ct=text/plain; charset=utf-8 body=404 page not found\\x0a\nDONE\n"},
	    {"HTTP/1.1 405 Method Not Allowed\r\nDate: " GO_DATE "\r\nContent-Length: 0\r\n\r\n",
	     "405 Method Not Allowed 1.1\nDONE\n"},
	    {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: " GO_DATE
	     "\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnull\r\n0\r\n\r\n",
	     "200 OK 1.1 chunked ct=application/json body=null\nDONE\n"},
	    {"HTTP/1.1 400 Bad Request: missing required Host header\r\nContent-Type: "
	     "text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: missing",
	     "400 Bad Request: missing required Host header 1.1 close ct=text/plain; "
	     "charset=utf-8 body=400 Bad Request: missing\nDONE\n"},
	    /* read until EOF; HTTP/1.0 */
	    {"HTTP/1.0 200 OK\r\n\r\nhello", "200 OK 1.0 close body=hello\nDONE\n"},
	    {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
	     "200 OK 1.0 body=x\nDONE\n"},
	    /* status text as Go's resp.Status */
	    {"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", "200 1.1\nDONE\n"},
	    {"HTTP/1.1  299  Odd  \r\nContent-Length: 0\r\n\r\n", "299  Odd   1.1\nDONE\n"},
	    {"HTTP/1.1 999 x\r\nContent-Length: 0\r\n\r\n", "999 x 1.1\nDONE\n"},
	    /* interim responses are skipped; 204/304 have no body; pipelined answers */
	    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
	     "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}",
	     "201 Created 1.1 body={}\nDONE\n"},
	    {"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nHTTP/1.1 304 Not Modified\r\n"
	     "Transfer-Encoding: chunked\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
	     "204 No Content 1.1\n304 Not Modified 1.1\n200 OK 1.1 body=x\nDONE\n"},
	    {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
	     "101 Switching Protocols 1.1\nDONE\n"},
	    /* errors */
	    {"", "DONE\n"},
	    {"garbage", "E400 unexpected EOF\n"},
	    {"garbage\r\n\r\n", "E400 malformed HTTP response\n"},
	    {"HTTP/1.1 20 OK\r\n\r\n", "E400 malformed HTTP status code\n"},
	    {"HTTP/1.1 2000 OK\r\n\r\n", "E400 malformed HTTP status code\n"},
	    {"HTTP/1.1 099 OK\r\n\r\n", "E400 malformed HTTP status code\n"},
	    {"HTTP/1.1 +20 OK\r\n\r\n", "E400 malformed HTTP status code\n"},
	    {"HTTP/1.1\r\n\r\n", "E400 malformed HTTP response\n"},
	    {"FOO/1.1 200 OK\r\n\r\n", "E400 malformed HTTP version\n"},
	    {"HTTP/2.0 200 OK\r\n\r\n", "E505 unsupported protocol version\n"},
	    {"HTTP/1.1 200 O\x01K\r\n\r\n", "E400 malformed HTTP response\n"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", "E400 unexpected EOF\n"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nab",
	     "E501 unsupported transfer encoding\n"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
	     "E400 message cannot contain both Content-Length and Transfer-Encoding\n"},
	    {"HTTP/1.1 200 OK\r\n\r\n" X101, "E413 http: response body too large\n"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n",
	     "E413 http: response body too large\n"},
	    /* a server's odd Expect is none of the client's business */
	    {"HTTP/1.1 200 OK\r\nExpect: foo\r\nContent-Length: 0\r\n\r\n", "200 OK 1.1\nDONE\n"},
	};
	struct rk_http_parser p;
	struct rk_http_msg m;
	static const char go[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

	CHECK_CASES(RK_HTTP_RESPONSE, 100, true, c);
	/* until EOF: nothing before it */
	check_run(RK_HTTP_RESPONSE, 10, "HTTP/1.1 200 OK\r\n\r\nabc", 22, false, "");
	check_run(RK_HTTP_RESPONSE, 10, "HTTP/1.1 200 OK\r\n\r\n0123456789", 29, true,
		  "200 OK 1.1 close body=0123456789\nDONE\n");

	assert_int_equal(rk_http_parser_init(&p, RK_HTTP_RESPONSE, 10), 0);
	assert_int_equal(rk_http_feed(&p, go, sizeof(go) - 1), 0);
	assert_int_equal(rk_http_next(&p, &m, NULL), RK_HTTP_MESSAGE);
	assert_int_equal(m.status, 404);
	assert_string_equal(m.status_text, "404 Not Found");
	assert_string_equal(m.reason, "Not Found");
	assert_string_equal(m.content_type, "");
	assert_string_equal(m.path, "");
	assert_int_equal(m.body_len, 0);
	rk_http_parser_free(&p);
}

static void test_init(void **state)
{
	struct rk_http_parser p;

	assert_int_equal(rk_http_parser_init(&p, (enum rk_http_kind)7, 10), -EINVAL);
	assert_int_equal(rk_http_parser_init(&p, RK_HTTP_REQUEST, RK_HTTP_BODY_LIMIT + 1), -EINVAL);
	assert_int_equal(rk_http_parser_init(&p, RK_HTTP_REQUEST, RK_HTTP_BODY_LIMIT), 0);
	rk_http_parser_free(&p);
	rk_http_parser_free(&p);
}

static void test_memory(void **state)
{
	static const char req[] = "POST / HTTP/1.1\r\nContent-Length: 60000\r\n\r\n";
	struct rk_http_parser p;
	struct rk_http_msg m;
	char *body = as(60000);

	/* an idle connection costs the struct alone */
	assert_true(sizeof(p) < 256);
	assert_int_equal(rk_http_parser_init(&p, RK_HTTP_REQUEST, 65536), 0);
	assert_null(p.buf);
	assert_int_equal(rk_http_next(&p, &m, NULL), RK_HTTP_AGAIN);
	assert_int_equal(rk_http_feed(&p, "G", 1), 0);
	assert_true(p.cap <= 256);
	assert_int_equal(rk_http_feed(&p, "ET / HTTP/1.1\r\n\r\n", 17), 0);
	assert_int_equal(rk_http_next(&p, &m, NULL), RK_HTTP_MESSAGE);
	/* freed at the next call once nothing is left */
	assert_int_equal(rk_http_next(&p, &m, NULL), RK_HTTP_AGAIN);
	assert_null(p.buf);
	assert_int_equal(p.cap, 0);

	/* a big message, then a little leftover: the buffer shrinks */
	assert_int_equal(rk_http_feed(&p, req, sizeof(req) - 1), 0);
	assert_int_equal(rk_http_feed(&p, body, 60000), 0);
	assert_int_equal(rk_http_feed(&p, "GET /x", 6), 0);
	assert_true(p.cap >= 60000);
	assert_int_equal(rk_http_next(&p, &m, NULL), RK_HTTP_MESSAGE);
	assert_int_equal(m.body_len, 60000);
	assert_int_equal(rk_http_next(&p, &m, NULL), RK_HTTP_AGAIN);
	assert_true(p.cap <= 256);
	assert_int_equal(rk_http_buffered(&p), 6);
	assert_int_equal(rk_http_feed(&p, " HTTP/1.1\r\n\r\n", 13), 0);
	assert_int_equal(rk_http_next(&p, &m, NULL), RK_HTTP_MESSAGE);
	assert_string_equal(m.path, "/x");

	/* feeding compacts when it needs room: the leftover moves to the front */
	rk_http_parser_free(&p);
	assert_int_equal(rk_http_parser_init(&p, RK_HTTP_REQUEST, 65536), 0);
	{
		char in[218];

		memcpy(in, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nX: ", 39);
		memset(in + 39, 'x', sizeof(in) - 39);
		assert_int_equal(rk_http_feed(&p, in, sizeof(in)), 0);
		assert_int_equal(p.cap, 256);
		assert_int_equal(rk_http_next(&p, &m, NULL), RK_HTTP_MESSAGE);
		assert_string_equal(m.path, "/a");
		assert_int_equal(rk_http_next(&p, &m, NULL), RK_HTTP_AGAIN);
		assert_int_equal(p.off, 19);
		memset(in, 'y', 50);
		memcpy(in + 46, "\r\n\r\n", 4);
		assert_int_equal(rk_http_feed(&p, in, 50), 0);
		assert_int_equal(p.off, 0);
		assert_int_equal(p.cap, 256);
		assert_int_equal(rk_http_next(&p, &m, NULL), RK_HTTP_MESSAGE);
		assert_string_equal(m.path, "/b");
		assert_int_equal(rk_http_buffered(&p), 0);
	}

	/* errors free the buffer and drop what comes after */
	assert_int_equal(rk_http_feed(&p, "BAD\r\n", 5), 0);
	assert_int_equal(rk_http_next(&p, &m, NULL), RK_HTTP_ERROR);
	assert_null(p.buf);
	assert_int_equal(rk_http_feed(&p, "GET / HTTP/1.1\r\n\r\n", 18), 0);
	assert_null(p.buf);
	assert_int_equal(rk_http_next(&p, &m, NULL), RK_HTTP_ERROR);
	rk_http_parser_free(&p);
	free(body);
}

/*
 * The largest messages fed a byte at a time: chunked 1-byte chunks up to the API's body limit
 * (393 KiB on the wire) after a full head. Quadratic work would take minutes here.
 */
static void test_slow_client(void **state)
{
	struct rk_http_parser p;
	struct rk_http_msg m;
	struct rk_http_error e;
	struct text t = {0};
	char *pad = as(RK_HTTP_HEAD_MAX - 70);
	size_t i;
	int rc = RK_HTTP_AGAIN, msgs = 0;

	text_add(&t, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX: %s\r\n\r\n", pad);
	assert_true(t.len <= RK_HTTP_HEAD_MAX);
	for (i = 0; i < 65536; i++)
		text_add(&t, "1\r\n%c\r\n", 'a' + (int)(i % 26));
	text_add(&t, "0\r\n\r\n");
	assert_int_equal(rk_http_parser_init(&p, RK_HTTP_REQUEST, 65536), 0);
	for (i = 0; i < t.len; i++) {
		assert_int_equal(rk_http_feed(&p, t.s + i, 1), 0);
		while ((rc = rk_http_next(&p, &m, &e)) == RK_HTTP_MESSAGE) {
			msgs++;
			assert_int_equal(m.body_len, 65536);
			assert_int_equal(m.body[65535], 'a' + 65535 % 26);
		}
		assert_int_equal(rc, RK_HTTP_AGAIN);
	}
	assert_int_equal(msgs, 1);
	rk_http_parser_free(&p);
	free(t.s);
	free(pad);
}

static void check_bytes(const struct rk_http_response *r, const char *want)
{
	char buf[512], *a;
	size_t alen;
	ssize_t n = rk_http_response_format(r, buf, sizeof(buf));

	assert_true(n > 0 && (size_t)n < sizeof(buf));
	buf[n] = '\0';
	assert_string_equal(buf, want);
	assert_int_equal(rk_http_response_alloc(r, &a, &alen), 0);
	assert_int_equal(alen, strlen(want));
	assert_memory_equal(a, want, alen);
	free(a);
}

static void test_writer(void **state)
{
	static const char *const nosniff[] = {"X-Content-Type-Options: nosniff", NULL};
	static const char *const many[] = {"Zeta: 1", "Allow: GET", "X-A: 2", "Allow: POST", NULL};
	struct rk_http_response r = {.status = 200, .minor = 1, .date = GO_DATE};
	const char *too_many[RK_HTTP_RESP_HEADERS_MAX + 2];
	char buf[512], small[10];
	ssize_t n;

	/* the exact bytes of Go's answers (SPEC §10.1, rootlesskit 1.1.0) */
	r.content_type = "application/json";
	r.body = "null";
	r.body_len = 4;
	check_bytes(&r, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: " GO_DATE
			"\r\nContent-Length: 4\r\n\r\nnull");
	r.status = 201;
	r.body = "{\"id\":1}";
	r.body_len = 8;
	check_bytes(&r, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nDate: " GO_DATE
			"\r\nContent-Length: 8\r\n\r\n{\"id\":1}");
	r.status = 404;
	r.content_type = "text/plain; charset=utf-8";
	r.headers = nosniff;
	r.body = "404 page not found\n";
	r.body_len = 19;
	check_bytes(&r, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
			"X-Content-Type-Options: nosniff\r\nDate: " GO_DATE
			"\r\nContent-Length: 19\r\n\r\n404 page not found\n");
	r.minor = 0;
	check_bytes(&r, "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
			"X-Content-Type-Options: nosniff\r\nDate: " GO_DATE
			"\r\nContent-Length: 19\r\n\r\n404 page not found\n");
	r = (struct rk_http_response){.status = 405, .minor = 1, .date = GO_DATE};
	check_bytes(&r, "HTTP/1.1 405 Method Not Allowed\r\nDate: " GO_DATE
			"\r\nContent-Length: 0\r\n\r\n");
	r.connection = "close";
	check_bytes(&r, "HTTP/1.1 405 Method Not Allowed\r\nDate: " GO_DATE
			"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	r = (struct rk_http_response){.status = 200, .minor = 1, .date = GO_DATE};
	check_bytes(&r, "HTTP/1.1 200 OK\r\nDate: " GO_DATE "\r\nContent-Length: 0\r\n\r\n");
	/* upstream's errors: sniffed type after the length */
	r = (struct rk_http_response){.status = 400,
				      .minor = 1,
				      .date = GO_DATE,
				      .content_type = "text/plain; charset=utf-8",
				      .content_type_sniffed = true,
				      .body = "{\"message\":\"unknown id: 99\"}\n",
				      .body_len = 29};
	check_bytes(&r, "HTTP/1.1 400 Bad Request\r\nDate: " GO_DATE "\r\nContent-Length: 29\r\n"
			"Content-Type: text/plain; charset=utf-8\r\n\r\n"
			"{\"message\":\"unknown id: 99\"}\n");
	r.connection = rk_http_connection_value(1, true);
	check_bytes(&r, "HTTP/1.1 400 Bad Request\r\nDate: " GO_DATE "\r\nContent-Length: 29\r\n"
			"Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
			"{\"message\":\"unknown id: 99\"}\n");
	/* an HTTP/1.0 keep-alive answer */
	r = (struct rk_http_response){.status = 200,
				      .minor = 0,
				      .date = GO_DATE,
				      .content_type = "application/json",
				      .connection = rk_http_connection_value(0, false),
				      .body = "null",
				      .body_len = 4};
	check_bytes(&r, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nDate: " GO_DATE
			"\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\nnull");
	/* handler headers sorted by name with Content-Type, stable; no Date; odd status */
	r = (struct rk_http_response){
	    .status = 599, .minor = 1, .date = "", .content_type = "a/b", .headers = many};
	check_bytes(&r, "HTTP/1.1 599 status code 599\r\nAllow: GET\r\nAllow: POST\r\n"
			"Content-Type: a/b\r\nX-A: 2\r\nZeta: 1\r\nContent-Length: 0\r\n\r\n");
	/* no Content-Length where no body is allowed */
	r = (struct rk_http_response){.status = 204, .minor = 1, .date = ""};
	check_bytes(&r, "HTTP/1.1 204 No Content\r\n\r\n");
	r.status = 100;
	check_bytes(&r, RK_HTTP_CONTINUE_RESPONSE);

	/* truncation: snprintf-like */
	r = (struct rk_http_response){
	    .status = 200, .minor = 1, .date = "", .body = "x", .body_len = 1};
	memset(small, '#', sizeof(small));
	n = rk_http_response_format(&r, small, 4);
	assert_int_equal(n, 39);
	assert_memory_equal(small, "HTTP####", 8);
	assert_int_equal(rk_http_response_format(&r, NULL, 0), 39);
	assert_int_equal(rk_http_response_format(&r, small, 0), 39);

	/* the current date */
	r.date = NULL;
	n = rk_http_response_format(&r, buf, sizeof(buf));
	assert_int_equal(n, 39 + 8 + RK_HTTP_DATE_LEN);
	buf[n] = '\0';
	assert_non_null(strstr(buf, " GMT\r\nContent-Length: 1\r\n"));

	/* invalid responses */
	r = (struct rk_http_response){.status = 99, .minor = 1, .date = ""};
	assert_int_equal(rk_http_response_format(&r, buf, sizeof(buf)), -EINVAL);
	r.status = 1000;
	assert_int_equal(rk_http_response_format(&r, buf, sizeof(buf)), -EINVAL);
	r.status = 204;
	r.body = "x";
	r.body_len = 1;
	assert_int_equal(rk_http_response_format(&r, buf, sizeof(buf)), -EINVAL);
	r.status = 200;
	r.body = NULL;
	assert_int_equal(rk_http_response_format(&r, buf, sizeof(buf)), -EINVAL);
	r.body_len = 0;
	r.content_type = "a\r\nX: y";
	assert_int_equal(rk_http_response_format(&r, buf, sizeof(buf)), -EINVAL);
	r.content_type = NULL;
	r.date = "x\n";
	assert_int_equal(rk_http_response_format(&r, buf, sizeof(buf)), -EINVAL);
	r.date = "";
	r.connection = "close\r\n";
	assert_int_equal(rk_http_response_format(&r, buf, sizeof(buf)), -EINVAL);
	r.connection = NULL;
	{
		static const char *const bad[][2] = {
		    {"X: a\r\nY: b", NULL}, {"NoColon", NULL}, {": v", NULL},
		    {"X Y: v", NULL},	    {"X: \x01", NULL},
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			r.headers = bad[i];
			assert_int_equal(rk_http_response_format(&r, buf, sizeof(buf)), -EINVAL);
		}
	}
	for (int i = 0; i < RK_HTTP_RESP_HEADERS_MAX + 1; i++)
		too_many[i] = "X: y";
	too_many[RK_HTTP_RESP_HEADERS_MAX + 1] = NULL;
	r.headers = too_many;
	assert_int_equal(rk_http_response_format(&r, buf, sizeof(buf)), -EINVAL);
	too_many[RK_HTTP_RESP_HEADERS_MAX] = NULL;
	assert_true(rk_http_response_format(&r, buf, sizeof(buf)) > 0);
	{
		char *a = buf;
		size_t alen = 1;

		r.status = 1;
		assert_int_equal(rk_http_response_alloc(&r, &a, &alen), -EINVAL);
		assert_null(a);
		assert_int_equal(alen, 0);
	}
}

/* what the writer writes, the client parser reads back */
static void test_round_trip(void **state)
{
	static const char *const nosniff[] = {"X-Content-Type-Options: nosniff", NULL};
	static const int codes[] = {200, 201, 400, 404, 405, 413, 431, 500, 501, 505, 599};
	struct rk_http_parser p;
	struct rk_http_msg m;
	char *a, want[64];
	size_t alen;

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct rk_http_response r = {.status = codes[i],
					     .minor = (int)(i % 2),
					     .content_type = i % 3 ? "application/json" : NULL,
					     .content_type_sniffed = i % 4 == 1,
					     .headers = i % 2 ? nosniff : NULL,
					     .connection = i % 5 ? NULL : "close",
					     .body = "{\"message\":\"x\"}\n",
					     .body_len = i};

		assert_int_equal(rk_http_response_alloc(&r, &a, &alen), 0);
		assert_int_equal(rk_http_parser_init(&p, RK_HTTP_RESPONSE, 100), 0);
		assert_int_equal(rk_http_feed(&p, a, alen), 0);
		assert_int_equal(rk_http_next(&p, &m, NULL), RK_HTTP_MESSAGE);
		assert_int_equal(m.status, codes[i]);
		snprintf(want, sizeof(want), "%d %s", codes[i],
			 *rk_http_reason(codes[i]) ? rk_http_reason(codes[i]) : "status code 599");
		assert_string_equal(m.status_text, want);
		assert_int_equal(m.minor, (int)(i % 2));
		assert_int_equal(m.keep_alive, i % 5 && i % 2);
		assert_string_equal(m.content_type, i % 3 ? "application/json" : "");
		assert_int_equal(m.body_len, i);
		assert_memory_equal(m.body, r.body, i);
		assert_int_equal(rk_http_buffered(&p), 0);
		rk_http_parser_free(&p);
		free(a);
	}
}

static void test_reason_date(void **state)
{
	char d[RK_HTTP_DATE_MAX], tiny[4];
	static const int codes[] = {100, 200, 201, 400, 404, 405, 413, 417, 431, 500, 501, 505};
	static const char *const texts[] = {"Continue",
					    "OK",
					    "Created",
					    "Bad Request",
					    "Not Found",
					    "Method Not Allowed",
					    "Request Entity Too Large",
					    "Expectation Failed",
					    "Request Header Fields Too Large",
					    "Internal Server Error",
					    "Not Implemented",
					    "HTTP Version Not Supported"};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		assert_string_equal(rk_http_reason(codes[i]), texts[i]);
	assert_string_equal(rk_http_reason(0), "");
	assert_string_equal(rk_http_reason(599), "");
	assert_string_equal(rk_http_reason(-1), "");

	rk_http_date(0, d, sizeof(d));
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	rk_http_date(784111777, d, sizeof(d));
	assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
	rk_http_date(1795439842, d, sizeof(d));
	assert_string_equal(d, GO_DATE);
	assert_int_equal(strlen(d), RK_HTTP_DATE_LEN);
	rk_http_date(951782400, d, sizeof(d));
	assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 GMT");
	rk_http_date(0, tiny, sizeof(tiny));
	assert_string_equal(tiny, "Thu");
	rk_http_date(0, tiny, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_ok),	cmocka_unit_test(test_request_errors),
	    cmocka_unit_test(test_keep_alive),	cmocka_unit_test(test_expect),
	    cmocka_unit_test(test_chunked),	cmocka_unit_test(test_pipelining),
	    cmocka_unit_test(test_eof),		cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_response),	cmocka_unit_test(test_init),
	    cmocka_unit_test(test_memory),	cmocka_unit_test(test_slow_client),
	    cmocka_unit_test(test_writer),	cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_reason_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
