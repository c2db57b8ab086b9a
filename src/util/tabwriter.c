// SPDX-License-Identifier: Apache-2.0
/*
 * tabwriter.c - Go's text/tabwriter for space padding (see tabwriter.h).
 *
 * Like Go's, the writer buffers the text and a list of lines of cells (byte size, rune width)
 * until a flush, then formats column by column: a column block is a run of consecutive lines
 * that have a cell in that column; its width is computed, the columns to its right are
 * formatted recursively within the block. The recursion depth is the number of cells in a line.
 */
#include "util/tabwriter.h"
#include "util/goquote.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct tw_cell {
	size_t size, width;
};

struct tw_line {
	struct tw_cell *cells;
	size_t n, cap;
};

struct rk_tabwriter {
	FILE *out;
	size_t minwidth, padding;
	char padchar;
	char *buf; /* all buffered text, cells back to back */
	size_t len, cap;
	size_t cell_start; /* start of the cell being written */
	struct tw_line *lines;
	size_t nlines, linecap;
	size_t *widths; /* one per column of the block being formatted */
	size_t nwidths, widthcap;
	size_t pos; /* formatting: next byte of buf to write */
	int err;
};

struct rk_tabwriter *rk_tabwriter_new(FILE *out, int minwidth, int tabwidth, int padding,
				      char padchar)
{
	struct rk_tabwriter *tw;

	if (padchar == '\t' || minwidth < 0 || padding < 0 || tabwidth < 0)
		return NULL;
	tw = calloc(1, sizeof(*tw));
	if (!tw)
		return NULL;
	tw->out = out;
	tw->minwidth = (size_t)minwidth;
	tw->padding = (size_t)padding;
	tw->padchar = padchar;
	return tw;
}

static void *tw_grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 8;
	void *np;

	if (need <= *cap)
		return p;
	while (ncap < need)
		ncap *= 2;
	np = realloc(p, ncap * size);
	if (np)
		*cap = ncap;
	return np;
}

static struct tw_line *tw_line_add(struct rk_tabwriter *tw)
{
	struct tw_line *l = tw_grow(tw->lines, &tw->linecap, tw->nlines + 1, sizeof(*l));

	if (!l)
		return NULL;
	tw->lines = l;
	memset(&l[tw->nlines], 0, sizeof(*l));
	return &l[tw->nlines++];
}

/* End the cell being written (Go's terminateCell). Return: the cells of the line, or 0. */
static size_t tw_terminate_cell(struct rk_tabwriter *tw)
{
	struct tw_line *l;
	struct tw_cell *c;

	if (!tw->nlines && !tw_line_add(tw))
		return 0;
	l = &tw->lines[tw->nlines - 1];
	c = tw_grow(l->cells, &l->cap, l->n + 1, sizeof(*c));
	if (!c)
		return 0;
	l->cells = c;
	c[l->n].size = tw->len - tw->cell_start;
	c[l->n].width = go_utf8_runes(tw->buf + tw->cell_start, c[l->n].size);
	tw->cell_start = tw->len;
	return ++l->n;
}

static void tw_reset(struct rk_tabwriter *tw)
{
	for (size_t i = 0; i < tw->nlines; i++)
		free(tw->lines[i].cells);
	tw->nlines = 0;
	tw->len = tw->cell_start = tw->pos = 0;
	tw->nwidths = 0;
}

static void tw_pad(struct rk_tabwriter *tw, size_t textw, size_t cellw)
{
	for (size_t i = textw; i < cellw; i++)
		fputc(tw->padchar, tw->out);
}

static void tw_write_lines(struct rk_tabwriter *tw, size_t line0, size_t line1)
{
	for (size_t i = line0; i < line1; i++) {
		const struct tw_line *l = &tw->lines[i];
		for (size_t j = 0; j < l->n; j++) {
			const struct tw_cell *c = &l->cells[j];
			fwrite(tw->buf + tw->pos, 1, c->size, tw->out);
			tw->pos += c->size;
			if (j < tw->nwidths)
				tw_pad(tw, c->width, tw->widths[j]);
		}
		if (i + 1 == tw->nlines) {
			fwrite(tw->buf + tw->pos, 1, tw->len - tw->pos, tw->out);
			tw->pos = tw->len;
		} else {
			fputc('\n', tw->out);
		}
	}
}

static int tw_format(struct rk_tabwriter *tw, size_t line0, size_t line1)
{
	size_t column = tw->nwidths;

	for (size_t this = line0; this < line1; this ++) {
		if (column + 1 >= tw->lines[this].n)
			continue;
		tw_write_lines(tw, line0, this);
		line0 = this;
		size_t width = tw->minwidth;
		for (; this < line1 && column + 1 < tw->lines[this].n; this ++) {
			size_t w = tw->lines[this].cells[column].width + tw->padding;
			if (w > width)
				width = w;
		}
		size_t *nw = tw_grow(tw->widths, &tw->widthcap, tw->nwidths + 1, sizeof(*nw));
		if (!nw)
			return -ENOMEM;
		tw->widths = nw;
		tw->widths[tw->nwidths++] = width;
		int rc = tw_format(tw, line0, this);
		tw->nwidths--;
		if (rc)
			return rc;
		line0 = this; /* line `this` has no cell in this column: the increment skips it */
	}
	tw_write_lines(tw, line0, line1);
	return 0;
}

/* Format and write what is buffered, then forget it. */
static int tw_flush_lines(struct rk_tabwriter *tw)
{
	int rc = tw_format(tw, 0, tw->nlines);

	tw_reset(tw);
	return rc;
}

int rk_tabwriter_write(struct rk_tabwriter *tw, const char *s, size_t n)
{
	char *b;

	if (tw->err)
		return tw->err;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch != '\t' && ch != '\n') {
			b = tw_grow(tw->buf, &tw->cap, tw->len + 1, 1);
			if (!b)
				return tw->err = -ENOMEM;
			tw->buf = b;
			tw->buf[tw->len++] = ch;
			continue;
		}
		size_t ncells = tw_terminate_cell(tw);
		if (!ncells)
			return tw->err = -ENOMEM;
		if (ch == '\n') {
			if (!tw_line_add(tw))
				return tw->err = -ENOMEM;
			/* a line of one cell does not affect what follows: flush (as Go does) */
			if (ncells == 1 && (tw->err = tw_flush_lines(tw)))
				return tw->err;
		}
	}
	return 0;
}

int rk_tabwriter_printf(struct rk_tabwriter *tw, const char *fmt, ...)
{
	char small[512], *heap = NULL;
	const char *p = small;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(small)) {
		heap = malloc((size_t)n + 1);
		if (!heap)
			return tw->err = -ENOMEM;
		va_start(ap, fmt);
		vsnprintf(heap, (size_t)n + 1, fmt, ap);
		va_end(ap);
		p = heap;
	}
	rc = rk_tabwriter_write(tw, p, (size_t)n);
	free(heap);
	return rc;
}

int rk_tabwriter_flush(struct rk_tabwriter *tw)
{
	if (tw->err)
		return tw->err;
	if (tw->len > tw->cell_start && !tw_terminate_cell(tw))
		return tw->err = -ENOMEM;
	if (tw_flush_lines(tw))
		return tw->err = -ENOMEM;
	return fflush(tw->out) || ferror(tw->out) ? -EIO : 0;
}

void rk_tabwriter_free(struct rk_tabwriter *tw)
{
	if (!tw)
		return;
	tw_reset(tw);
	free(tw->lines);
	free(tw->widths);
	free(tw->buf);
	free(tw);
}
