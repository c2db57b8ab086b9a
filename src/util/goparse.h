/* SPDX-License-Identifier: Apache-2.0 */
/*
 * goparse.h - Go-compatible parsing and quoting of scalar values.
 *
 * RootlessKit's users see Go's wording for bad input ("parse error", "value out of range",
 * %q-quoted values). These helpers reproduce the accepted syntax and the texts exactly.
 */
#ifndef RK_UTIL_GOPARSE_H
#define RK_UTIL_GOPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** go_quote - Go's %q of the string @s into @out (always terminated, quotes kept when cut). */
void go_quote(const char *s, char *out, size_t outlen);

/**
 * go_parse_bool - strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False.
 * Return: 0 on success, -EINVAL otherwise.
 */
int go_parse_bool(const char *s, bool *out);

/**
 * go_parse_int - strconv.ParseInt(s, 0, 64): optional sign, 0x/0o/0b or leading-0 octal prefix,
 * underscores between digits (and right after a 0x/0o/0b prefix), as Go's underscoreOK allows.
 * Return: 0, -EINVAL (syntax, "parse error") or -ERANGE ("value out of range").
 */
int go_parse_int(const char *s, int64_t *out);

/**
 * go_atoi - strconv.Atoi: decimal with optional sign only.
 * Return: 0, -EINVAL ("invalid syntax") or -ERANGE ("value out of range").
 */
int go_atoi(const char *s, int64_t *out);

/**
 * go_errno_text - Go's text of an errno (syscall.Errno.Error()): the C text with a lower-case
 * first letter ("permission denied"), into @buf. Return: @buf.
 */
const char *go_errno_text(int e, char *buf, size_t len);

/**
 * go_strerror - go_errno_text() into one of a few static buffers, for use directly in messages
 * (single-threaded callers; up to four uses in one expression).
 */
const char *go_strerror(int e);

#endif
