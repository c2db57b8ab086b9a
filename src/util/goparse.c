// SPDX-License-Identifier: Apache-2.0
/*
 * goparse.c - Go-compatible scalar parsing and %q quoting (see goparse.h).
 */
#include "util/goparse.h"
#include "util/goquote.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void go_quote(const char *s, char *out, size_t outlen)
{
	size_t n;

	/* one implementation of Go's quoting: strconv.Quote (util/goquote.c) */
	if (outlen < 3) {
		if (outlen)
			out[0] = '\0';
		return;
	}
	n = go_strconv_quote(s, strlen(s), out, outlen - 1);
	if (n > outlen - 2) { /* cut between two escapes: close the quote anyway */
		n = strlen(out);
		out[n] = '"';
		out[n + 1] = '\0';
	}
}

int go_parse_bool(const char *s, bool *out)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!strcmp(s, t[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, f[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int go_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* Parse unsigned digits of @base; underscores allowed if @us (base 0); @prefixed: a base prefix
 * or a leading 0 came just before @s. */
static int go_parse_digits(const char *s, unsigned base, bool us, bool prefixed, uint64_t *out)
{
	uint64_t v = 0;
	bool range = false, any = false;
	/* Go's underscoreOK: an underscore must follow a digit or a base prefix, and precede a
	 * digit ('0': a digit or prefix was last, '_': an underscore, '^': the start) */
	char prev = prefixed ? '0' : '^';

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s == '_') {
			if (!us || prev != '0')
				return -EINVAL;
			prev = '_';
			continue;
		}
		unsigned d = (unsigned)go_digit(*s);
		if (d >= base)
			return -EINVAL;
		prev = '0';
		any = true;
		if (v > (UINT64_MAX - d) / base)
			range = true;
		else
			v = v * base + d;
	}
	if (!any || prev == '_')
		return -EINVAL;
	*out = v;
	return range ? -ERANGE : 0;
}

static int go_finish_signed(bool neg, uint64_t u, int rc, int64_t *out)
{
	if (rc == -EINVAL)
		return rc;
	if (rc == -ERANGE || (!neg && u > (uint64_t)INT64_MAX) ||
	    (neg && u > (uint64_t)INT64_MAX + 1)) {
		*out = neg ? INT64_MIN : INT64_MAX;
		return -ERANGE;
	}
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

int go_parse_int(const char *s, int64_t *out)
{
	bool neg = false;
	unsigned base = 10;
	bool prefixed = false;
	uint64_t u = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && s[1]) {
		char c = s[1];
		if (c == 'x' || c == 'X')
			base = 16, s += 2, prefixed = true;
		else if (c == 'o' || c == 'O')
			base = 8, s += 2, prefixed = true;
		else if (c == 'b' || c == 'B')
			base = 2, s += 2, prefixed = true;
		else
			base = 8, s += 1, prefixed = true;
	}
	/* base 0 permits underscores between digits, and after a prefix (a leading 0 is a digit) */
	int rc = go_parse_digits(s, base, true, prefixed, &u);
	return go_finish_signed(neg, u, rc, out);
}

int go_atoi(const char *s, int64_t *out)
{
	bool neg = false;
	uint64_t u = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	int rc = go_parse_digits(s, 10, false, false, &u);
	return go_finish_signed(neg, u, rc, out);
}

const char *go_errno_text(int e, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

const char *go_strerror(int e)
{
	static char bufs[4][96];
	static unsigned next;

	return go_errno_text(e, bufs[next++ % 4], sizeof(bufs[0]));
}
