/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gojson.h - the parts of Go's encoding/json that the REST API's wire format and error texts
 * depend on, reproduced exactly (Go 1.19, the toolchain of the reference rootlesskit 1.1.0).
 *
 * Why not jansson alone: upstream's clients and tests see Go's texts (`invalid character 'x'
 * looking for beginning of value`, `json: cannot unmarshal string into Go struct field
 * Spec.parentPort of type int`, `unexpected EOF`) and Go's tolerance (invalid UTF-8 and lone
 * surrogates become U+FFFD, duplicate keys are each decoded in turn, keys match case-
 * insensitively, nesting up to 10000, integers as written), which jansson can neither report
 * nor accept. So:
 *
 *  - encoding: callers build a jansson tree (the data model: key order, types) and
 *    rk_gojson_dump() prints it the way json.Marshal / json.MarshalIndent(v, "", "    ") would,
 *    with Go's string escaping (<, >, &, U+2028, U+2029 as \u escapes; invalid UTF-8 as \ufffd);
 *  - decoding: rk_gojson_read_value() is json.Decoder's readValue (Go's scanner state machine:
 *    finds the first value, or the exact syntax / EOF error); rk_gojson_check_valid() is
 *    json.Unmarshal's checkValid; the rk_gojson_dec primitives then walk the validated value
 *    with decodeState's type rules and error context, so that a mapping (src/api/json.c) needs
 *    only a few lines per struct.
 *
 * Everything is bounded: the scanner keeps one bit per nesting level (at most 10000), the
 * walkers are iterative where input decides the depth, and strings are unquoted into buffers
 * of at most three times their literal length.
 */
#ifndef RK_API_GOJSON_H
#define RK_API_GOJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Go's maxNestingDepth. */
#define RK_GOJSON_MAX_DEPTH 10000

/* A growable output buffer with a size limit; on failure ->err is set and output stops. */
struct rk_gojson_buf {
	char *data; /* NUL-terminated while ->err == 0 */
	size_t len, cap, max;
	int err; /* 0, -ENOMEM, or -E2BIG when ->max would be exceeded */
};

/** rk_gojson_buf_init - an empty buffer that may grow to @max bytes (0: 64 MiB). */
void rk_gojson_buf_init(struct rk_gojson_buf *b, size_t max);

/** rk_gojson_buf_free - release the buffer's memory. */
void rk_gojson_buf_free(struct rk_gojson_buf *b);

/** rk_gojson_put - append @n bytes of @s. */
void rk_gojson_put(struct rk_gojson_buf *b, const char *s, size_t n);

/** rk_gojson_put_string - append @s[0..@n) as a JSON string literal the way Go encodes it. */
void rk_gojson_put_string(struct rk_gojson_buf *b, const char *s, size_t n);

/**
 * rk_gojson_dump - append @v as json.Marshal (@indent false) or json.MarshalIndent(v, "",
 * "    ") (@indent true) prints it: object keys in the tree's order, integers in decimal, no
 * trailing newline. Reals are not part of the API's data and are refused.
 * Return: 0, or -EINVAL (a real or an unknown type), or the buffer's error.
 */
int rk_gojson_dump(struct rk_gojson_buf *b, const json_t *v, bool indent);

/**
 * rk_gojson_read_value - json.Decoder.readValue on the whole input @p[0..@n): find the first
 * JSON value. Leading whitespace is skipped; bytes after the value are ignored.
 * @start, @end: the value is @p[*start..*end).
 * @err: on failure Go's text: `EOF` (nothing but whitespace), `unexpected EOF` (cut short), or
 * a syntax error such as `invalid character '}' looking for beginning of object key string`.
 * Return: 0 or -EINVAL.
 */
int rk_gojson_read_value(const char *p, size_t n, size_t *start, size_t *end, struct rk_err *err);

/**
 * rk_gojson_check_valid - json.Unmarshal's checkValid: @p[0..@n) must be exactly one value
 * with only whitespace around it (`unexpected end of JSON input`, `invalid character 'x' after
 * top-level value`, ...). @start, @end as for rk_gojson_read_value(). Return: 0 or -EINVAL.
 */
int rk_gojson_check_valid(const char *p, size_t n, size_t *start, size_t *end, struct rk_err *err);

/* --- walking a validated value with Go's decoding rules --- */

/* Kinds of values, by their first byte. */
enum rk_gojson_kind {
	RK_GOJSON_OBJECT = '{',
	RK_GOJSON_ARRAY = '[',
	RK_GOJSON_STRING = '"',
	RK_GOJSON_NUMBER = '0',
	RK_GOJSON_TRUE = 't',
	RK_GOJSON_FALSE = 'f',
	RK_GOJSON_NULL = 'n',
};

#define RK_GOJSON_CTX_MAX 256

/*
 * Decoding state, like Go's decodeState: a position in a value that rk_gojson_read_value() or
 * rk_gojson_check_valid() accepted, the error context (the struct being decoded and the JSON
 * names of the fields leading to the value) and the first error. Go saves the first type error
 * and goes on decoding ("saved"); an error from a TextUnmarshaler stops at once ("fatal" - it
 * wins over a saved one).
 */
struct rk_gojson_dec {
	const char *p;
	size_t n, off;
	const char *ctx_struct; /* Go's errorContext.Struct name, e.g. "Spec"; NULL at top */
	char ctx_field[RK_GOJSON_CTX_MAX];
	size_t ctx_len;
	bool saved, fatal;
	struct rk_err *err;
};

/**
 * rk_gojson_dec_init - walk @p[@start..@end) (a validated value); errors go to @err (cleared
 * here).
 */
void rk_gojson_dec_init(struct rk_gojson_dec *d, const char *p, size_t start, size_t end,
			struct rk_err *err);

/** rk_gojson_failed - whether an error was saved or returned. */
bool rk_gojson_failed(const struct rk_gojson_dec *d);

/** rk_gojson_peek - the kind of the value at the current position (after whitespace). */
enum rk_gojson_kind rk_gojson_peek(struct rk_gojson_dec *d);

/** rk_gojson_skip - step over the value at the current position. */
void rk_gojson_skip(struct rk_gojson_dec *d);

/**
 * rk_gojson_object_next - iterate the members of the object at the current position: the first
 * call enters it. @key, @keylen: the member's name, unquoted (malloc'd; free it), the position
 * is then at its value, which the caller must consume (decode or skip).
 * Return: true for a member, false at the end (the object is consumed) or on ENOMEM (saved).
 */
bool rk_gojson_object_next(struct rk_gojson_dec *d, char **key, size_t *keylen);

/** rk_gojson_array_next - the same for arrays: true when an element is at the position. */
bool rk_gojson_array_next(struct rk_gojson_dec *d);

/**
 * rk_gojson_key_is - whether JSON key @key matches the Go field named @name the way Go 1.19
 * matches a key that is not exactly a field name: ASCII letters case-insensitively, 's' also
 * U+017F and 'k' also U+212A (bytes.EqualFold's special cases).
 */
bool rk_gojson_key_is(const char *name, const char *key, size_t keylen);

/**
 * rk_gojson_ctx_push - enter field @field (its JSON name) of Go struct @struct_name, as Go's
 * errorContext does. Return: what rk_gojson_ctx_pop() needs to restore.
 */
size_t rk_gojson_ctx_push(struct rk_gojson_dec *d, const char *struct_name, const char *field,
			  const char **saved_struct);

/** rk_gojson_ctx_pop - leave the field entered by the matching rk_gojson_ctx_push(). */
void rk_gojson_ctx_pop(struct rk_gojson_dec *d, size_t saved_len, const char *saved_struct);

/**
 * rk_gojson_type_error - save (if first) Go's UnmarshalTypeError: `json: cannot unmarshal
 * <what> into Go struct field <Struct>.<fields> of type <gotype>`, or `... into Go value of
 * type <gotype>` outside any struct.
 */
void rk_gojson_type_error(struct rk_gojson_dec *d, const char *what, const char *gotype);

/** rk_gojson_fail - a returned (fatal) error with @msg, e.g. `invalid IP address: x`. */
void rk_gojson_fail(struct rk_gojson_dec *d, const char *msg);

/**
 * rk_gojson_mismatch - the value at the position does not fit Go type @gotype: save the type
 * error Go gives for its kind ("string", "number", "bool", "object", "array") and skip it.
 */
void rk_gojson_mismatch(struct rk_gojson_dec *d, const char *gotype);

/**
 * rk_gojson_string - decode a value into a Go string: a string is unquoted into *@out (malloc'd,
 * NUL-terminated, may hold NULs: see *@outlen; a previous *@out is freed), null leaves it,
 * anything else is a type error.
 */
void rk_gojson_string(struct rk_gojson_dec *d, char **out, size_t *outlen);

/**
 * rk_gojson_int - decode a value into a Go int (64-bit): a number that strconv.ParseInt takes,
 * else `number <literal>`; null leaves *@out; other kinds are type errors.
 */
void rk_gojson_int(struct rk_gojson_dec *d, int64_t *out);

/** rk_gojson_bool - decode a value into a Go bool (null leaves it). */
void rk_gojson_bool(struct rk_gojson_dec *d, bool *out);

#endif
