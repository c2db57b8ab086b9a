// SPDX-License-Identifier: Apache-2.0
/*
 * gojson_scan.c - Go's JSON scanner (encoding/json/scanner.go, Go 1.19) and the two ways Go
 * drives it: json.Decoder's readValue (first value of a stream) and json.Unmarshal's checkValid
 * (exactly one value). See gojson.h.
 *
 * The scanner is a byte-at-a-time state machine; its stack of open objects and arrays holds
 * one of three states per level, bounded by Go's nesting limit (10000), so a scan costs O(1)
 * per byte and about 10 KiB of memory whatever the input.
 */
#include "api/gojson.h"
#include "util/goquote.h"

#include <errno.h>
#include <stdlib.h>

enum gj_op {
	OP_CONTINUE,
	OP_BEGIN_LITERAL,
	OP_BEGIN_OBJECT,
	OP_OBJECT_KEY,
	OP_OBJECT_VALUE,
	OP_END_OBJECT,
	OP_BEGIN_ARRAY,
	OP_ARRAY_VALUE,
	OP_END_ARRAY,
	OP_SKIP_SPACE,
	OP_END,
	OP_ERROR,
};

enum gj_state {
	ST_BEGIN_VALUE,
	ST_BEGIN_VALUE_OR_EMPTY,
	ST_BEGIN_STRING_OR_EMPTY,
	ST_BEGIN_STRING,
	ST_END_VALUE,
	ST_END_TOP,
	ST_IN_STRING,
	ST_IN_STRING_ESC,
	ST_ESC_U, /* ST_ESC_U + k: k hex digits of \u seen */
	ST_ESC_U1,
	ST_ESC_U12,
	ST_ESC_U123,
	ST_NEG,
	ST_1,
	ST_0,
	ST_DOT,
	ST_DOT0,
	ST_E,
	ST_E_SIGN,
	ST_E0,
	ST_LITERAL, /* inside true/false/null: ->lit and ->lit_pos say where */
	ST_ERROR,
};

enum gj_parse { PARSE_OBJECT_KEY, PARSE_OBJECT_VALUE, PARSE_ARRAY_VALUE };

struct gj_scanner {
	enum gj_state step;
	bool end_top;
	const char *lit; /* "true", "false" or "null" */
	unsigned lit_pos;
	size_t depth;
	uint8_t parse[RK_GOJSON_MAX_DEPTH];
	char msg[96];
};

static bool gj_space(unsigned char c)
{
	return c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

static enum gj_op gj_error(struct gj_scanner *s, unsigned char c, const char *context)
{
	char q[16];

	go_quote_char(c, q);
	snprintf(s->msg, sizeof(s->msg), "invalid character %s %s", q, context);
	s->step = ST_ERROR;
	return OP_ERROR;
}

static enum gj_op gj_push(struct gj_scanner *s, unsigned char c, enum gj_parse ps, enum gj_op op)
{
	if (s->depth >= RK_GOJSON_MAX_DEPTH)
		return gj_error(s, c, "exceeded max depth");
	s->parse[s->depth++] = (uint8_t)ps;
	return op;
}

static void gj_pop(struct gj_scanner *s)
{
	s->depth--;
	if (s->depth == 0) {
		s->step = ST_END_TOP;
		s->end_top = true;
	} else {
		s->step = ST_END_VALUE;
	}
}

static enum gj_op gj_end_top(struct gj_scanner *s, unsigned char c)
{
	if (!gj_space(c))
		gj_error(s, c, "after top-level value"); /* reported on the next byte, as Go does */
	return OP_END;
}

static enum gj_op gj_begin_value(struct gj_scanner *s, unsigned char c)
{
	static const char *const lits[] = {"true", "false", "null"};

	if (gj_space(c))
		return OP_SKIP_SPACE;
	switch (c) {
	case '{':
		s->step = ST_BEGIN_STRING_OR_EMPTY;
		return gj_push(s, c, PARSE_OBJECT_KEY, OP_BEGIN_OBJECT);
	case '[':
		s->step = ST_BEGIN_VALUE_OR_EMPTY;
		return gj_push(s, c, PARSE_ARRAY_VALUE, OP_BEGIN_ARRAY);
	case '"':
		s->step = ST_IN_STRING;
		return OP_BEGIN_LITERAL;
	case '-':
		s->step = ST_NEG;
		return OP_BEGIN_LITERAL;
	case '0':
		s->step = ST_0;
		return OP_BEGIN_LITERAL;
	case 't':
	case 'f':
	case 'n':
		s->step = ST_LITERAL;
		s->lit = lits[c == 't' ? 0 : c == 'f' ? 1 : 2];
		s->lit_pos = 1;
		return OP_BEGIN_LITERAL;
	}
	if (c >= '1' && c <= '9') {
		s->step = ST_1;
		return OP_BEGIN_LITERAL;
	}
	return gj_error(s, c, "looking for beginning of value");
}

static enum gj_op gj_end_value(struct gj_scanner *s, unsigned char c)
{
	if (s->depth == 0) {
		s->step = ST_END_TOP;
		s->end_top = true;
		return gj_end_top(s, c);
	}
	if (gj_space(c)) {
		s->step = ST_END_VALUE;
		return OP_SKIP_SPACE;
	}
	switch (s->parse[s->depth - 1]) {
	case PARSE_OBJECT_KEY:
		if (c == ':') {
			s->parse[s->depth - 1] = PARSE_OBJECT_VALUE;
			s->step = ST_BEGIN_VALUE;
			return OP_OBJECT_KEY;
		}
		return gj_error(s, c, "after object key");
	case PARSE_OBJECT_VALUE:
		if (c == ',') {
			s->parse[s->depth - 1] = PARSE_OBJECT_KEY;
			s->step = ST_BEGIN_STRING;
			return OP_OBJECT_VALUE;
		}
		if (c == '}') {
			gj_pop(s);
			return OP_END_OBJECT;
		}
		return gj_error(s, c, "after object key:value pair");
	default:
		if (c == ',') {
			s->step = ST_BEGIN_VALUE;
			return OP_ARRAY_VALUE;
		}
		if (c == ']') {
			gj_pop(s);
			return OP_END_ARRAY;
		}
		return gj_error(s, c, "after array element");
	}
}

static bool gj_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static enum gj_op gj_string_step(struct gj_scanner *s, unsigned char c)
{
	switch (s->step) {
	case ST_IN_STRING:
		if (c == '"') {
			s->step = ST_END_VALUE;
			return OP_CONTINUE;
		}
		if (c == '\\') {
			s->step = ST_IN_STRING_ESC;
			return OP_CONTINUE;
		}
		if (c < 0x20)
			return gj_error(s, c, "in string literal");
		return OP_CONTINUE;
	case ST_IN_STRING_ESC:
		switch (c) {
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
		case '\\':
		case '/':
		case '"':
			s->step = ST_IN_STRING;
			return OP_CONTINUE;
		case 'u':
			s->step = ST_ESC_U;
			return OP_CONTINUE;
		}
		return gj_error(s, c, "in string escape code");
	default: /* ST_ESC_U .. ST_ESC_U123 */
		if (!gj_hex(c))
			return gj_error(s, c, "in \\u hexadecimal character escape");
		s->step = s->step == ST_ESC_U123 ? ST_IN_STRING : s->step + 1;
		return OP_CONTINUE;
	}
}

static bool gj_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static enum gj_op gj_number_step(struct gj_scanner *s, unsigned char c)
{
	switch (s->step) {
	case ST_NEG:
		if (c == '0' || (c >= '1' && c <= '9')) {
			s->step = c == '0' ? ST_0 : ST_1;
			return OP_CONTINUE;
		}
		return gj_error(s, c, "in numeric literal");
	case ST_1:
		if (gj_digit(c))
			return OP_CONTINUE;
		__attribute__((fallthrough)); /* on as state0 */
	case ST_0:
		if (c == '.') {
			s->step = ST_DOT;
			return OP_CONTINUE;
		}
		if (c == 'e' || c == 'E') {
			s->step = ST_E;
			return OP_CONTINUE;
		}
		return gj_end_value(s, c);
	case ST_DOT:
		if (gj_digit(c)) {
			s->step = ST_DOT0;
			return OP_CONTINUE;
		}
		return gj_error(s, c, "after decimal point in numeric literal");
	case ST_DOT0:
		if (gj_digit(c))
			return OP_CONTINUE;
		if (c == 'e' || c == 'E') {
			s->step = ST_E;
			return OP_CONTINUE;
		}
		return gj_end_value(s, c);
	case ST_E:
		if (c == '+' || c == '-') {
			s->step = ST_E_SIGN;
			return OP_CONTINUE;
		}
		__attribute__((fallthrough));
	case ST_E_SIGN:
		if (gj_digit(c)) {
			s->step = ST_E0;
			return OP_CONTINUE;
		}
		return gj_error(s, c, "in exponent of numeric literal");
	default: /* ST_E0 */
		if (gj_digit(c))
			return OP_CONTINUE;
		return gj_end_value(s, c);
	}
}

static enum gj_op gj_literal_step(struct gj_scanner *s, unsigned char c)
{
	char want = s->lit[s->lit_pos], ctx[48];

	if (c == (unsigned char)want) {
		if (!s->lit[++s->lit_pos])
			s->step = ST_END_VALUE;
		return OP_CONTINUE;
	}
	snprintf(ctx, sizeof(ctx), "in literal %s (expecting '%c')", s->lit, want);
	return gj_error(s, c, ctx);
}

static enum gj_op gj_step(struct gj_scanner *s, unsigned char c)
{
	switch (s->step) {
	case ST_BEGIN_VALUE:
		return gj_begin_value(s, c);
	case ST_BEGIN_VALUE_OR_EMPTY:
		if (gj_space(c))
			return OP_SKIP_SPACE;
		if (c == ']')
			return gj_end_value(s, c);
		return gj_begin_value(s, c);
	case ST_BEGIN_STRING_OR_EMPTY:
		if (gj_space(c))
			return OP_SKIP_SPACE;
		if (c == '}') {
			s->parse[s->depth - 1] = PARSE_OBJECT_VALUE;
			return gj_end_value(s, c);
		}
		__attribute__((fallthrough));
	case ST_BEGIN_STRING:
		if (gj_space(c))
			return OP_SKIP_SPACE;
		if (c == '"') {
			s->step = ST_IN_STRING;
			return OP_BEGIN_LITERAL;
		}
		return gj_error(s, c, "looking for beginning of object key string");
	case ST_END_VALUE:
		return gj_end_value(s, c);
	case ST_END_TOP:
		return gj_end_top(s, c);
	case ST_IN_STRING:
	case ST_IN_STRING_ESC:
	case ST_ESC_U:
	case ST_ESC_U1:
	case ST_ESC_U12:
	case ST_ESC_U123:
		return gj_string_step(s, c);
	case ST_LITERAL:
		return gj_literal_step(s, c);
	case ST_ERROR:
		return OP_ERROR;
	default:
		return gj_number_step(s, c);
	}
}

static struct gj_scanner *gj_scanner_new(struct rk_err *err)
{
	struct gj_scanner *s = calloc(1, sizeof(*s));

	if (!s)
		rk_err_set(err, ENOMEM, "out of memory");
	return s;
}

int rk_gojson_read_value(const char *p, size_t n, size_t *start, size_t *end, struct rk_err *err)
{
	struct gj_scanner *s = gj_scanner_new(err);
	bool nonspace = false;
	size_t i;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	*start = *end = 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		enum gj_op op = gj_step(s, c);

		if (!nonspace && !gj_space(c)) {
			nonspace = true;
			*start = i;
		}
		if (op == OP_END) {
			*end = i;
			goto out;
		}
		if ((op == OP_END_OBJECT || op == OP_END_ARRAY) && s->depth == 0) {
			*end = i + 1; /* Go invents a space instead of waiting for the next byte */
			goto out;
		}
		if (op == OP_ERROR) {
			rc = rk_err_set(err, EINVAL, "%s", s->msg);
			goto out;
		}
	}
	if (gj_step(s, ' ') == OP_END)
		*end = n;
	else
		rc = rk_err_set(err, EINVAL, "%s", nonspace ? "unexpected EOF" : "EOF");
out:
	free(s);
	return rc;
}

int rk_gojson_check_valid(const char *p, size_t n, size_t *start, size_t *end, struct rk_err *err)
{
	struct gj_scanner *s = gj_scanner_new(err);
	bool nonspace = false;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	*start = *end = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		bool was_top = s->end_top;

		if (!nonspace && !gj_space(c)) {
			nonspace = true;
			*start = i;
		}
		if (gj_step(s, c) == OP_ERROR) {
			rc = rk_err_set(err, EINVAL, "%s", s->msg);
			goto out;
		}
		if (!was_top && s->end_top) /* ended by this byte ('}', ']') or before it */
			*end = s->step == ST_END_TOP && (c == '}' || c == ']') ? i + 1 : i;
	}
	if (s->step == ST_ERROR) { /* garbage as the last byte after the value */
		rc = rk_err_set(err, EINVAL, "%s", s->msg);
	} else if (!s->end_top) {
		gj_step(s, ' ');
		if (s->end_top)
			*end = n;
		else
			rc = rk_err_set(err, EINVAL, "unexpected end of JSON input");
	}
out:
	free(s);
	return rc;
}
