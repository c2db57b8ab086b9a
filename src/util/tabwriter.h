/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tabwriter.h - Go's text/tabwriter (flags 0, a non-tab pad character), for rootlessctl's port
 * table. Text is split into cells at '\t'; every tab-terminated cell of a column block is
 * padded to the block's widest cell + padding (at least minwidth); widths count runes as Go's
 * utf8.RuneCount does; the text after a line's last tab is not part of any column; a line
 * without tabs ends the blocks above it.
 */
#ifndef RK_UTIL_TABWRITER_H
#define RK_UTIL_TABWRITER_H

#include <stddef.h>
#include <stdio.h>

struct rk_tabwriter;

/**
 * rk_tabwriter_new - a writer like Go's tabwriter.NewWriter(@out, @minwidth, @tabwidth,
 * @padding, @padchar, 0). @padchar must not be '\t' (tab padding is not implemented; @tabwidth
 * is accepted for the signature's sake). Return: the writer, or NULL (ENOMEM, or '\t').
 */
struct rk_tabwriter *rk_tabwriter_new(FILE *out, int minwidth, int tabwidth, int padding,
				      char padchar);

/** rk_tabwriter_write - buffer @n bytes of text. Return: 0 or -ENOMEM (sticky). */
int rk_tabwriter_write(struct rk_tabwriter *tw, const char *s, size_t n);

/** rk_tabwriter_printf - rk_tabwriter_write() of a formatted text. */
int rk_tabwriter_printf(struct rk_tabwriter *tw, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * rk_tabwriter_flush - format and write out everything buffered (Go's Flush).
 * Return: 0, -ENOMEM from an earlier write, or -EIO when writing to the stream failed.
 */
int rk_tabwriter_flush(struct rk_tabwriter *tw);

/** rk_tabwriter_free - release @tw (does not flush). */
void rk_tabwriter_free(struct rk_tabwriter *tw);

#endif
