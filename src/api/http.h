/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h - strict, bounded, incremental HTTP/1.x message parser and response writer for the
 * REST API (SPEC §10): the server on STATE_DIR/api.sock parses requests from untrusted clients,
 * rootlessctl parses the server's responses (ours or Go's net/http, chunked included). Pure code:
 * no I/O. The theory of operation is at the top of http.c.
 *
 * Use (server side; the client side is the same with RK_HTTP_RESPONSE):
 *
 *	struct rk_http_parser p;            // embed it: 120 bytes on x86-64, no buffer yet
 *	rk_http_parser_init(&p, RK_HTTP_REQUEST, 65536);
 *	on readable: n = read(fd, tmp, sizeof(tmp));
 *		n > 0 ? rk_http_feed(&p, tmp, n) : rk_http_feed_eof(&p);
 *		while ((rc = rk_http_next(&p, &m, &e)) == RK_HTTP_MESSAGE || rc == RK_HTTP_CONTINUE)
 *			rc == RK_HTTP_CONTINUE ? send RK_HTTP_CONTINUE_RESPONSE : answer m;
 *		rc == RK_HTTP_ERROR: answer e.status with {"message":e.reason} and close;
 *		rc == RK_HTTP_DONE: the client closed cleanly between requests: close.
 *	rk_http_parser_free(&p);
 *
 * Feed only after rk_http_next() said RK_HTTP_AGAIN (or CONTINUE): then the parser holds at most
 * one unfinished message (head + body limit + one chunk line) plus what you feed. A server that
 * stops reading while its answer is pending gets that for free.
 *
 * Statuses of errors on requests: 400 malformed anything (request line, target, header line,
 * obs-fold, Content-Length, chunked framing, Transfer-Encoding in HTTP/1.0, both Content-Length
 * and Transfer-Encoding, EOF inside a message); 413 body over the limit; 417 Expect other than
 * 100-continue; 431 head over RK_HTTP_HEAD_MAX or more than RK_HTTP_HEADERS_MAX header lines;
 * 501 Transfer-Encoding other than a single "chunked"; 505 HTTP major version other than 1.
 * Reasons are short English texts, Go's wording where Go has one ("invalid byte in chunk
 * length"). The same classes apply to responses (status then only says what kind of error).
 */
#ifndef RK_API_HTTP_H
#define RK_API_HTTP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Start line + header lines + the empty line ending them, line ends included. */
#define RK_HTTP_HEAD_MAX 8192
/* Header lines in one message (trailers are bounded by bytes: RK_HTTP_HEAD_MAX). */
#define RK_HTTP_HEADERS_MAX 64
/* One chunk-size line, extensions and line end included. */
#define RK_HTTP_CHUNK_LINE_MAX 4096
/* Largest body limit rk_http_parser_init() takes. */
#define RK_HTTP_BODY_LIMIT (1u << 30)
/* Length of rk_http_date()'s text for years 1000..9999; RK_HTTP_DATE_MAX holds any. */
#define RK_HTTP_DATE_LEN 29
#define RK_HTTP_DATE_MAX 48
/* Handler headers (besides Content-Type) rk_http_response_format() takes. */
#define RK_HTTP_RESP_HEADERS_MAX 16
/* What the server sends on RK_HTTP_CONTINUE (Go's bytes). */
#define RK_HTTP_CONTINUE_RESPONSE "HTTP/1.1 100 Continue\r\n\r\n"

enum rk_http_kind {
	RK_HTTP_REQUEST,  /* parse requests (server side) */
	RK_HTTP_RESPONSE, /* parse responses (client side); 1xx other than 101 are skipped */
};

/* rk_http_next()'s results */
enum rk_http_rc {
	RK_HTTP_ERROR = -EPROTO, /* *e says why; sticky: the connection is done */
	RK_HTTP_AGAIN = 0,	 /* feed more bytes (or EOF) */
	RK_HTTP_MESSAGE = 1,	 /* *m holds a complete message */
	RK_HTTP_CONTINUE = 2,	 /* *m holds a request head with Expect: 100-continue whose body
				  * is still to come: send RK_HTTP_CONTINUE_RESPONSE, go on */
	RK_HTTP_DONE = 3,	 /* EOF between messages: nothing more will come */
};

/*
 * One parsed message. Strings are NUL-terminated and, like @body, point into the parser's
 * buffer: they stay valid until the next rk_http_* call on that parser. Fields that do not
 * apply to the message's kind are "" / 0.
 */
struct rk_http_msg {
	const char *method;	  /* request: the method token as sent (case-sensitive) */
	const char *path;	  /* request: percent-decoded path ("/v1/ports/3"); the path of
				   * an absolute-form target ("/" if it has none); "*" for `*` */
	const char *query;	  /* request: raw text after the first '?', "" if none */
	int status;		  /* response: 100..999 */
	const char *status_text;  /* response: Go's resp.Status, e.g. "404 Not Found" */
	const char *reason;	  /* response: the phrase alone, e.g. "Not Found" (may be "") */
	int minor;		  /* HTTP/1.<minor>, 0..9; 1.2..1.9 behave as 1.1 (as in Go) */
	bool keep_alive;	  /* the connection may carry another message */
	bool expect_continue;	  /* request: Expect: 100-continue was sent */
	bool chunked;		  /* the body came with Transfer-Encoding: chunked */
	const char *content_type; /* first Content-Type value, trimmed; "" if none */
	const char *body;	  /* decoded (de-chunked) body; never NULL */
	size_t body_len;	  /* <= the parser's body limit */
};

/* Why rk_http_next() failed. */
struct rk_http_error {
	int status;	    /* the status to answer with: 400, 413, 417, 431, 501, 505 */
	const char *reason; /* short English text (static storage), e.g. "invalid header name" */
};

/*
 * Parser state. Embed it; treat every field as private (the layout may change). An idle
 * parser holds no buffer: its whole cost is sizeof(struct rk_http_parser).
 */
struct rk_http_parser {
	char *buf;	 /* held bytes buf[0..len), NULL when none */
	size_t cap, len; /* allocation size, bytes held */
	size_t off;	 /* start of the current message in buf */
	size_t pos;	 /* next byte to examine, relative to off */
	size_t line;	 /* start of the line being read, relative to off */
	size_t body;	 /* first body byte (end of the head), relative to off */
	size_t wpos;	 /* end of the decoded body, relative to off */
	size_t tstart;	 /* start of the trailer section, relative to off */
	uint64_t remain; /* Content-Length, then bytes left in the body or chunk */
	size_t body_max; /* body limit */
	const char *ereason;
	uint16_t estatus;
	uint16_t nhdr;	 /* header lines so far */
	uint16_t o_path; /* offsets relative to off; 0 = absent */
	uint16_t o_query;
	uint16_t o_ctype;
	uint16_t o_status; /* response: start of the status text */
	uint16_t status;
	uint16_t flags;
	uint8_t kind;
	uint8_t state;
	uint8_t minor;
};

/**
 * rk_http_parser_init - prepare @p to parse messages of @kind with bodies of at most @body_max
 * bytes (decoded). Allocates nothing.
 * Return: 0, or -EINVAL if @kind is unknown or @body_max > RK_HTTP_BODY_LIMIT.
 */
int rk_http_parser_init(struct rk_http_parser *p, enum rk_http_kind kind, size_t body_max);

/** rk_http_parser_free - release @p's buffer; @p may be initialised again. */
void rk_http_parser_free(struct rk_http_parser *p);

/**
 * rk_http_feed - append @len bytes received to @p's buffer (grown as needed). After an error
 * the bytes are dropped (and the buffer freed).
 * Return: 0, -ENOMEM, or -EINVAL after rk_http_feed_eof().
 */
int rk_http_feed(struct rk_http_parser *p, const void *data, size_t len);

/**
 * rk_http_feed_eof - the peer will send nothing more. Completes a response read until EOF;
 * makes an unfinished message an error ("unexpected EOF") and a clean end RK_HTTP_DONE.
 */
void rk_http_feed_eof(struct rk_http_parser *p);

/**
 * rk_http_next - parse as far as the bytes fed allow. Work is proportional to the bytes not
 * examined before; leftover bytes (pipelining) stay for the next call.
 * @m: filled on RK_HTTP_MESSAGE (and with the head's fields on RK_HTTP_CONTINUE).
 * @e: filled on RK_HTTP_ERROR (either may be NULL).
 * Return: an enum rk_http_rc.
 */
int rk_http_next(struct rk_http_parser *p, struct rk_http_msg *m, struct rk_http_error *e);

/**
 * rk_http_buffered - bytes held that belong to no returned message: 0 exactly when @p sits
 * between messages with nothing pending (useful for idle timeouts).
 */
size_t rk_http_buffered(const struct rk_http_parser *p);

/**
 * rk_http_connection_value - the Connection header Go's server sends with an answer to a request
 * of version 1.@minor: "close" when the server will close an HTTP/1.1 connection, "keep-alive"
 * when it keeps an HTTP/1.0 one (the request asked for it), else NULL.
 */
const char *rk_http_connection_value(int minor, bool will_close);

/** rk_http_reason - Go's http.StatusText(@status), e.g. "Not Found"; "" when unknown. */
const char *rk_http_reason(int status);

/**
 * rk_http_date - @t as an HTTP date (RFC 1123, GMT), e.g. "Mon, 23 Nov 2026 13:17:22 GMT", into
 * @buf (always terminated; RK_HTTP_DATE_MAX bytes never truncate).
 */
void rk_http_date(time_t t, char *buf, size_t len);

/*
 * A response to write. Header order is Go's net/http one: the handler's headers sorted by name
 * (Content-Type among them unless sniffed), Date, Content-Length, a sniffed Content-Type,
 * Connection. Content-Length is always sent, except for 1xx, 204 and 304 (no body allowed).
 */
struct rk_http_response {
	int status;		    /* 100..999; phrase rk_http_reason() or "status code N" */
	int minor;		    /* 0: "HTTP/1.0" status line (to a 1.0 request), else 1.1 */
	const char *content_type;   /* NULL: none */
	bool content_type_sniffed;  /* put it where Go puts a sniffed type (after Length) */
	const char *const *headers; /* NULL or NULL-terminated "Name: value" lines, no CRLF,
				     * e.g. "X-Content-Type-Options: nosniff" */
	const char *date;	    /* Date value; NULL: the current time; "": no Date */
	const char *connection;	    /* Connection value or NULL (rk_http_connection_value) */
	const void *body;
	size_t body_len;
};

/**
 * rk_http_response_format - write @r's bytes into @buf like snprintf: at most @len bytes are
 * stored (no NUL is added), the full length is returned, so a result > @len means truncation.
 * Return: the response's length, or -EINVAL (status out of range, a header that is not
 * "token: value" or holds CR, LF or another control character, too many headers, a body
 * where none is allowed).
 */
ssize_t rk_http_response_format(const struct rk_http_response *r, char *buf, size_t len);

/**
 * rk_http_response_alloc - rk_http_response_format() into a malloc'd buffer.
 * @out: gets the buffer (free() it); @out_len: its length.
 * Return: 0, -EINVAL or -ENOMEM.
 */
int rk_http_response_alloc(const struct rk_http_response *r, char **out, size_t *out_len);

#endif
