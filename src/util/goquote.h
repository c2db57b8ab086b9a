/* SPDX-License-Identifier: Apache-2.0 */
/*
 * goquote.h - Go's UTF-8 decoding, unicode.IsPrint and strconv.Quote, byte for byte.
 *
 * Texts users compare with upstream quote arbitrary bytes the Go way: `unknown proto: "\x00"`,
 * `body="\x01\xffé\u00a0"`, `invalid character '\u0080' ...`. goparse.h's go_quote() covers the
 * ASCII cases of flag values; these helpers cover all of Go's rules: invalid UTF-8 bytes become
 * \xNN, unprintable runes \uNNNN or \UNNNNNNNN, printable ones stay as they are. IsPrint comes
 * from a table generated from Unicode data (scripts/gen-goprint.py).
 */
#ifndef RK_UTIL_GOQUOTE_H
#define RK_UTIL_GOQUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GO_RUNE_ERROR 0xFFFDu

/**
 * go_utf8_decode - Go's utf8.DecodeRune on @s[0..@n): stores the rune in *@r and returns its
 * width. Invalid, overlong, surrogate or truncated sequences give U+FFFD with width 1; @n == 0
 * gives U+FFFD with width 0.
 */
size_t go_utf8_decode(const char *s, size_t n, uint32_t *r);

/**
 * go_utf8_encode - Go's utf8.EncodeRune of @r into @out (4 bytes of room); runes that are not
 * valid (surrogates, > U+10FFFF) are encoded as U+FFFD. Return: the bytes written, 1..4.
 */
size_t go_utf8_encode(uint32_t r, char out[4]);

/** go_utf8_runes - Go's utf8.RuneCount: runes in @s[0..@n), each invalid byte counting one. */
size_t go_utf8_runes(const char *s, size_t n);

/** go_is_print - Go's strconv.IsPrint(@r): letters, marks, numbers, punctuation, symbols, ' '. */
bool go_is_print(uint32_t r);

/**
 * go_strconv_quote - Go's strconv.Quote of the bytes @s[0..@n) (NUL bytes included) into @out,
 * like snprintf: at most @outlen - 1 bytes and a NUL are stored, cut only between two escapes
 * or runes. Return: the length of the whole quoted text (> @outlen - 1 means it was cut).
 */
size_t go_strconv_quote(const char *s, size_t n, char *out, size_t outlen);

/**
 * go_quote_char - encoding/json's quoteChar(@c) as in its syntax errors: `'x'`, `'\''`, `'"'`,
 * `'\n'`, `'\x00'`, `'\u0080'`, `'ÿ'` (a byte >= 0x80 is taken as the rune U+00NN). @out needs
 * 16 bytes.
 */
void go_quote_char(unsigned char c, char out[16]);

#endif
