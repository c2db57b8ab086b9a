// SPDX-License-Identifier: Apache-2.0
/*
 * gojson.c - Go's JSON encoding of a jansson tree, and the decoding primitives that walk a
 * value the scanner (gojson_scan.c) accepted with decodeState's rules (see gojson.h).
 *
 * The walkers rely on the value being valid JSON (they never see a syntax error), yet they
 * check every bound, so that misuse cannot read outside the input.
 */
#include "api/gojson.h"
#include "util/goparse.h"
#include "util/goquote.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RK_GOJSON_BUF_DEFAULT_MAX (64u << 20)

void rk_gojson_buf_init(struct rk_gojson_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max ? max : RK_GOJSON_BUF_DEFAULT_MAX;
}

void rk_gojson_buf_free(struct rk_gojson_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void rk_gojson_put(struct rk_gojson_buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (n > b->max - b->len) {
		b->err = -E2BIG;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d) {
			b->err = -ENOMEM;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Bytes Go's encoder writes as they are (htmlSafeSet): printable ASCII but " \ < > &. */
static bool gj_html_safe(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
}

void rk_gojson_put_string(struct rk_gojson_buf *b, const char *s, size_t n)
{
	size_t i = 0, start = 0;
	uint32_t r;

	rk_gojson_put(b, "\"", 1);
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		size_t w = 1;
		uint32_t code; /* escaped as \uXXXX unless a short form applies */

		if (c < 0x80) {
			if (gj_html_safe(c)) {
				i++;
				continue;
			}
			code = c;
		} else {
			w = go_utf8_decode(s + i, n - i, &r);
			if (w == 1 && r == GO_RUNE_ERROR) {
				code = GO_RUNE_ERROR;
			} else if (r == 0x2028 || r == 0x2029) {
				code = r;
			} else {
				i += w;
				continue;
			}
		}
		if (code == '\\' || code == '"' || code == '\n' || code == '\r' || code == '\t')
			snprintf(esc, sizeof(esc), "\\%c",
				 code == '\n'	? 'n'
				 : code == '\r' ? 'r'
				 : code == '\t' ? 't'
						: (char)code);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)code);
		rk_gojson_put(b, s + start, i - start);
		rk_gojson_put(b, esc, strlen(esc));
		i += w;
		start = i;
	}
	rk_gojson_put(b, s + start, n - start);
	rk_gojson_put(b, "\"", 1);
}

static void gj_newline(struct rk_gojson_buf *b, bool indent, int depth)
{
	if (!indent)
		return;
	rk_gojson_put(b, "\n", 1);
	for (int i = 0; i < depth; i++)
		rk_gojson_put(b, "    ", 4);
}

static int gj_dump(struct rk_gojson_buf *b, const json_t *v, bool indent, int depth);

static int gj_dump_object(struct rk_gojson_buf *b, json_t *v, bool indent, int depth)
{
	bool first = true;

	rk_gojson_put(b, "{", 1);
	for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
		const char *key = json_object_iter_key(it);
		if (!first)
			rk_gojson_put(b, ",", 1);
		first = false;
		gj_newline(b, indent, depth + 1);
		rk_gojson_put_string(b, key, json_object_iter_key_len(it));
		rk_gojson_put(b, indent ? ": " : ":", indent ? 2 : 1);
		int rc = gj_dump(b, json_object_iter_value(it), indent, depth + 1);
		if (rc)
			return rc;
	}
	if (!first)
		gj_newline(b, indent, depth);
	rk_gojson_put(b, "}", 1);
	return 0;
}

static int gj_dump_array(struct rk_gojson_buf *b, const json_t *v, bool indent, int depth)
{
	size_t n = json_array_size(v);

	rk_gojson_put(b, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			rk_gojson_put(b, ",", 1);
		gj_newline(b, indent, depth + 1);
		int rc = gj_dump(b, json_array_get(v, i), indent, depth + 1);
		if (rc)
			return rc;
	}
	if (n)
		gj_newline(b, indent, depth);
	rk_gojson_put(b, "]", 1);
	return 0;
}

static int gj_dump(struct rk_gojson_buf *b, const json_t *v, bool indent, int depth)
{
	char num[32];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		/* jansson's iterator API takes a non-const object; it does not modify it */
		return gj_dump_object(b, (json_t *)v, indent, depth);
	case JSON_ARRAY:
		return gj_dump_array(b, v, indent, depth);
	case JSON_STRING:
		rk_gojson_put_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		rk_gojson_put(b, num, strlen(num));
		break;
	case JSON_TRUE:
		rk_gojson_put(b, "true", 4);
		break;
	case JSON_FALSE:
		rk_gojson_put(b, "false", 5);
		break;
	case JSON_NULL:
		rk_gojson_put(b, "null", 4);
		break;
	default:
		return -EINVAL;
	}
	return b->err;
}

int rk_gojson_dump(struct rk_gojson_buf *b, const json_t *v, bool indent)
{
	int rc = gj_dump(b, v, indent, 0);

	return rc ? rc : b->err;
}

/* --- decoding --- */

void rk_gojson_dec_init(struct rk_gojson_dec *d, const char *p, size_t start, size_t end,
			struct rk_err *err)
{
	memset(d, 0, sizeof(*d));
	d->p = p;
	d->off = start;
	d->n = end;
	d->err = err;
	rk_err_clear(err);
}

bool rk_gojson_failed(const struct rk_gojson_dec *d)
{
	return d->saved || d->fatal;
}

static void gj_ws(struct rk_gojson_dec *d)
{
	while (d->off < d->n && (d->p[d->off] == ' ' || d->p[d->off] == '\t' ||
				 d->p[d->off] == '\r' || d->p[d->off] == '\n'))
		d->off++;
}

enum rk_gojson_kind rk_gojson_peek(struct rk_gojson_dec *d)
{
	gj_ws(d);
	if (d->off >= d->n)
		return RK_GOJSON_NULL; /* cannot happen on a validated value */
	switch (d->p[d->off]) {
	case '{':
	case '[':
	case '"':
	case 't':
	case 'f':
	case 'n':
		return (enum rk_gojson_kind)d->p[d->off];
	default:
		return RK_GOJSON_NUMBER;
	}
}

/* End of the string literal starting at @off (its opening quote). */
static size_t gj_string_end(const struct rk_gojson_dec *d, size_t off)
{
	for (off++; off < d->n; off++) {
		if (d->p[off] == '\\')
			off++;
		else if (d->p[off] == '"')
			return off + 1;
	}
	return d->n;
}

/* End of the number or literal word starting at @off. */
static size_t gj_word_end(const struct rk_gojson_dec *d, size_t off)
{
	while (off < d->n && strchr("0123456789+-.eEtrufalsn", d->p[off]))
		off++;
	return off;
}

void rk_gojson_skip(struct rk_gojson_dec *d)
{
	size_t depth = 0;

	do {
		gj_ws(d);
		if (d->off >= d->n)
			return;
		char c = d->p[d->off];
		if (c == '{' || c == '[') {
			depth++;
			d->off++;
		} else if (c == '}' || c == ']') {
			depth--;
			d->off++;
		} else if (c == ',' || c == ':') {
			d->off++;
		} else if (c == '"') {
			d->off = gj_string_end(d, d->off);
		} else {
			d->off = gj_word_end(d, d->off);
			if (d->off < d->n && !strchr(",:]} \t\r\n", d->p[d->off]))
				return; /* not a value: stop rather than loop */
		}
	} while (depth);
}

static int gj_hex4(const char *p, size_t n, uint32_t *out)
{
	uint32_t v = 0;

	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Go's unquote of the escape at @s (after the backslash); advances *@i, appends to @o. */
static void gj_unescape(const char *s, size_t n, size_t *i, char *o, size_t *w)
{
	static const char from[] = "\"\\/'bfnrt", to[] = "\"\\/'\b\f\n\r\t";
	uint32_t r, r2;
	const char *p;

	if (*i >= n)
		return;
	if (s[*i] != 'u') {
		if (s[*i] && (p = strchr(from, s[*i])))
			o[(*w)++] = to[p - from];
		(*i)++;
		return;
	}
	if (gj_hex4(s + *i + 1, n - *i - 1, &r)) {
		(*i)++;
		return;
	}
	*i += 5;
	if (r >= 0xD800 && r < 0xE000) {
		/* a high surrogate followed by \u low surrogate is one rune; else U+FFFD */
		if (r < 0xDC00 && *i + 1 < n && s[*i] == '\\' && s[*i + 1] == 'u' &&
		    !gj_hex4(s + *i + 2, n - *i - 2, &r2) && r2 >= 0xDC00 && r2 < 0xE000) {
			r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
			*i += 6;
		} else {
			r = GO_RUNE_ERROR;
		}
	}
	*w += go_utf8_encode(r, o + *w);
}

/* Unquote the literal @s[0..@n) (without its quotes) into a new buffer the way Go does. */
static char *gj_unquote(const char *s, size_t n, size_t *outlen)
{
	char *o = malloc(n * 3 + 1);
	size_t i = 0, w = 0;
	uint32_t r;

	if (!o)
		return NULL;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\') {
			i++;
			gj_unescape(s, n, &i, o, &w);
		} else if (c < 0x80) {
			o[w++] = (char)c;
			i++;
		} else {
			i += go_utf8_decode(s + i, n - i, &r);
			w += go_utf8_encode(r, o + w);
		}
	}
	o[w] = '\0';
	*outlen = w;
	return o;
}

/* Unquote the string literal at the position and step over it. */
static char *gj_take_string(struct rk_gojson_dec *d, size_t *len)
{
	size_t start = d->off, end = gj_string_end(d, d->off);
	char *s;

	d->off = end;
	if (end < start + 2) {
		*len = 0;
		return strdup("");
	}
	s = gj_unquote(d->p + start + 1, end - start - 2, len);
	if (!s && !d->saved) {
		d->saved = true;
		rk_err_set(d->err, ENOMEM, "out of memory");
	}
	return s;
}

bool rk_gojson_object_next(struct rk_gojson_dec *d, char **key, size_t *keylen)
{
	*key = NULL;
	gj_ws(d);
	if (d->off >= d->n)
		return false;
	if (d->p[d->off] == '}') {
		d->off++;
		return false;
	}
	d->off++; /* '{' or ',' */
	gj_ws(d);
	if (d->off >= d->n || d->p[d->off] == '}') {
		d->off++;
		return false;
	}
	*key = gj_take_string(d, keylen);
	gj_ws(d);
	if (d->off < d->n && d->p[d->off] == ':')
		d->off++;
	return *key != NULL;
}

bool rk_gojson_array_next(struct rk_gojson_dec *d)
{
	gj_ws(d);
	if (d->off >= d->n)
		return false;
	if (d->p[d->off] == ']') {
		d->off++;
		return false;
	}
	d->off++; /* '[' or ',' */
	gj_ws(d);
	if (d->off >= d->n || d->p[d->off] == ']') {
		d->off++;
		return false;
	}
	return true;
}

static bool gj_upper_is(unsigned char c, char upper)
{
	return (c & 0xDF) == (unsigned char)upper;
}

bool rk_gojson_key_is(const char *name, const char *key, size_t keylen)
{
	size_t i = 0;
	uint32_t r;

	for (; *name; name++) {
		unsigned char sb = (unsigned char)*name, tb;
		if (i >= keylen)
			return false;
		tb = (unsigned char)key[i];
		if (tb < 0x80) {
			unsigned char up = sb & 0xDF;
			if (sb != tb && (up < 'A' || up > 'Z' || up != (tb & 0xDF)))
				return false;
			i++;
			continue;
		}
		i += go_utf8_decode(key + i, keylen - i, &r);
		if (!((gj_upper_is(sb, 'S') && r == 0x017F) ||
		      (gj_upper_is(sb, 'K') && r == 0x212A)))
			return false;
	}
	return i == keylen;
}

size_t rk_gojson_ctx_push(struct rk_gojson_dec *d, const char *struct_name, const char *field,
			  const char **saved_struct)
{
	size_t saved = d->ctx_len;

	*saved_struct = d->ctx_struct;
	d->ctx_struct = struct_name;
	d->ctx_len += (size_t)snprintf(d->ctx_field + d->ctx_len, sizeof(d->ctx_field) - d->ctx_len,
				       "%s%s", d->ctx_len ? "." : "", field);
	if (d->ctx_len >= sizeof(d->ctx_field))
		d->ctx_len = sizeof(d->ctx_field) - 1;
	return saved;
}

void rk_gojson_ctx_pop(struct rk_gojson_dec *d, size_t saved_len, const char *saved_struct)
{
	d->ctx_len = saved_len;
	d->ctx_field[saved_len] = '\0';
	d->ctx_struct = saved_struct;
}

void rk_gojson_type_error(struct rk_gojson_dec *d, const char *what, const char *gotype)
{
	if (d->saved || d->fatal)
		return;
	d->saved = true;
	if (d->ctx_struct)
		rk_err_set(d->err, EINVAL,
			   "json: cannot unmarshal %s into Go struct field %s.%s of type %s", what,
			   d->ctx_struct, d->ctx_field, gotype);
	else
		rk_err_set(d->err, EINVAL, "json: cannot unmarshal %s into Go value of type %s",
			   what, gotype);
}

void rk_gojson_fail(struct rk_gojson_dec *d, const char *msg)
{
	if (d->fatal)
		return;
	d->fatal = true;
	rk_err_set(d->err, EINVAL, "%s", msg);
}

void rk_gojson_mismatch(struct rk_gojson_dec *d, const char *gotype)
{
	static const char *const names[] = {"object", "array", "string", "number", "bool"};
	enum rk_gojson_kind k = rk_gojson_peek(d);
	int i = k == RK_GOJSON_OBJECT	? 0
		: k == RK_GOJSON_ARRAY	? 1
		: k == RK_GOJSON_STRING ? 2
		: k == RK_GOJSON_NUMBER ? 3
					: 4;

	if (k != RK_GOJSON_NULL)
		rk_gojson_type_error(d, names[i], gotype);
	rk_gojson_skip(d);
}

void rk_gojson_string(struct rk_gojson_dec *d, char **out, size_t *outlen)
{
	size_t len;
	char *s;

	if (rk_gojson_peek(d) != RK_GOJSON_STRING) {
		rk_gojson_mismatch(d, "string");
		return;
	}
	s = gj_take_string(d, &len);
	if (!s)
		return;
	free(*out);
	*out = s;
	*outlen = len;
}

void rk_gojson_int(struct rk_gojson_dec *d, int64_t *out)
{
	size_t start, end;
	char lit[64], what[96];
	int64_t v;

	if (rk_gojson_peek(d) != RK_GOJSON_NUMBER) {
		rk_gojson_mismatch(d, "int");
		return;
	}
	start = d->off;
	end = gj_word_end(d, start);
	d->off = end;
	/* strconv.ParseInt(s, 10, 64): JSON numbers carry no prefix or underscore, so go_atoi's
	 * decimal syntax is the same; literals too long for the buffer are out of range anyway */
	if (end - start < sizeof(lit)) {
		memcpy(lit, d->p + start, end - start);
		lit[end - start] = '\0';
		if (go_atoi(lit, &v) == 0) {
			*out = v;
			return;
		}
	}
	snprintf(what, sizeof(what), "number %.*s", (int)(end - start), d->p + start);
	if (end - start >= sizeof(what) - 7) {
		/* a literal longer than any message we keep: Go prints it whole; say so */
		char *w = malloc(end - start + 8);
		if (w) {
			snprintf(w, end - start + 8, "number %.*s", (int)(end - start),
				 d->p + start);
			rk_gojson_type_error(d, w, "int");
			free(w);
			return;
		}
	}
	rk_gojson_type_error(d, what, "int");
}

void rk_gojson_bool(struct rk_gojson_dec *d, bool *out)
{
	enum rk_gojson_kind k = rk_gojson_peek(d);

	if (k != RK_GOJSON_TRUE && k != RK_GOJSON_FALSE) {
		rk_gojson_mismatch(d, "bool");
		return;
	}
	*out = k == RK_GOJSON_TRUE;
	d->off = gj_word_end(d, d->off);
}
