// SPDX-License-Identifier: Apache-2.0
/*
 * goquote.c - Go's UTF-8 decoding, IsPrint and strconv.Quote (see goquote.h).
 *
 * The IsPrint table lists printable ranges above U+007F; ASCII is decided inline. Quoting works
 * rune by rune into a bounded buffer and counts what it could not store, so callers can size a
 * buffer with a first call.
 */
#include "util/goquote.h"

#include <stdio.h>
#include <string.h>

static const uint32_t go_print_ranges[][2] = {
#include "util/goprint.inc"
};

size_t go_utf8_decode(const char *s, size_t n, uint32_t *r)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c, lo = 0x80, hi = 0xBF;
	size_t w;

	*r = GO_RUNE_ERROR;
	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80) {
		*r = c;
		return 1;
	}
	if (c < 0xC2 || c > 0xF4)
		return 1;
	if (c < 0xE0) {
		w = 2;
		c &= 0x1F;
	} else if (c < 0xF0) {
		w = 3;
		c &= 0x0F;
		if (p[0] == 0xE0)
			lo = 0xA0; /* no overlong forms */
		else if (p[0] == 0xED)
			hi = 0x9F; /* no surrogates */
	} else {
		w = 4;
		c &= 0x07;
		if (p[0] == 0xF0)
			lo = 0x90;
		else if (p[0] == 0xF4)
			hi = 0x8F; /* nothing above U+10FFFF */
	}
	if (n < w)
		return 1;
	for (size_t i = 1; i < w; i++) {
		if (p[i] < lo || p[i] > hi)
			return 1;
		lo = 0x80;
		hi = 0xBF;
		c = (c << 6) | (p[i] & 0x3F);
	}
	*r = c;
	return w;
}

size_t go_utf8_encode(uint32_t r, char out[4])
{
	if ((r >= 0xD800 && r <= 0xDFFF) || r > 0x10FFFF)
		r = GO_RUNE_ERROR;
	if (r < 0x80) {
		out[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		out[0] = (char)(0xC0 | (r >> 6));
		out[1] = (char)(0x80 | (r & 0x3F));
		return 2;
	}
	if (r < 0x10000) {
		out[0] = (char)(0xE0 | (r >> 12));
		out[1] = (char)(0x80 | ((r >> 6) & 0x3F));
		out[2] = (char)(0x80 | (r & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (r >> 18));
	out[1] = (char)(0x80 | ((r >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((r >> 6) & 0x3F));
	out[3] = (char)(0x80 | (r & 0x3F));
	return 4;
}

size_t go_utf8_runes(const char *s, size_t n)
{
	size_t count = 0;
	uint32_t r;

	while (n) {
		size_t w = go_utf8_decode(s, n, &r);
		s += w;
		n -= w;
		count++;
	}
	return count;
}

bool go_is_print(uint32_t r)
{
	size_t lo = 0, hi = sizeof(go_print_ranges) / sizeof(go_print_ranges[0]);

	if (r < 0x80)
		return r >= 0x20 && r < 0x7F;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r < go_print_ranges[mid][0])
			hi = mid;
		else if (r > go_print_ranges[mid][1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

struct go_qbuf {
	char *out;
	size_t cap, len; /* len counts everything, stored or not */
	bool cut;
};

/* Append one escape or rune as a unit: once something did not fit, nothing more is stored. */
static void go_qput(struct go_qbuf *q, const char *s, size_t n)
{
	if (!q->cut && q->cap && q->len + n <= q->cap - 1)
		memcpy(q->out + q->len, s, n);
	else
		q->cut = true;
	if (!q->cut && q->cap)
		q->out[q->len + n] = '\0';
	q->len += n;
}

static void go_qhex(struct go_qbuf *q, const char *prefix, uint32_t v, int digits)
{
	char b[16];
	int n = snprintf(b, sizeof(b), "%s%0*x", prefix, digits, (unsigned)v);

	go_qput(q, b, (size_t)n);
}

/* strconv.appendEscapedRune with quote '"', neither ASCII-only nor graphic-only. */
static void go_qrune(struct go_qbuf *q, uint32_t r)
{
	static const char named[] = "\a\b\f\n\r\t\v";
	static const char letter[] = "abfnrtv";
	char enc[4];
	const char *p;

	if (r == '"' || r == '\\') {
		char e[2] = {'\\', (char)r};
		go_qput(q, e, 2);
		return;
	}
	if (go_is_print(r)) {
		go_qput(q, enc, go_utf8_encode(r, enc));
		return;
	}
	if (r && r < 0x20 && (p = strchr(named, (int)r))) {
		char e[2] = {'\\', letter[p - named]};
		go_qput(q, e, 2);
	} else if (r < 0x20 || r == 0x7F) {
		go_qhex(q, "\\x", r, 2);
	} else if ((r >= 0xD800 && r <= 0xDFFF) || r > 0x10FFFF) {
		go_qhex(q, "\\u", GO_RUNE_ERROR, 4);
	} else if (r < 0x10000) {
		go_qhex(q, "\\u", r, 4);
	} else {
		go_qhex(q, "\\U", r, 8);
	}
}

size_t go_strconv_quote(const char *s, size_t n, char *out, size_t outlen)
{
	struct go_qbuf q = {.out = out, .cap = outlen};
	uint32_t r;

	if (outlen)
		out[0] = '\0';
	go_qput(&q, "\"", 1);
	while (n) {
		size_t w = go_utf8_decode(s, n, &r);
		if (w == 1 && r == GO_RUNE_ERROR)
			go_qhex(&q, "\\x", (unsigned char)s[0], 2);
		else
			go_qrune(&q, r);
		s += w;
		n -= w;
	}
	go_qput(&q, "\"", 1);
	return q.len;
}

void go_quote_char(unsigned char c, char out[16])
{
	struct go_qbuf q = {.out = out, .cap = 16};

	out[0] = '\0';
	if (c == '\'') {
		go_qput(&q, "'\\''", 4);
		return;
	}
	go_qput(&q, "'", 1);
	if (c == '"')
		go_qput(&q, "\"", 1);
	else
		go_qrune(&q, c);
	go_qput(&q, "'", 1);
}
