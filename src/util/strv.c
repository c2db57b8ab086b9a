// SPDX-License-Identifier: Apache-2.0
/*
 * strv.c - growable string arrays (see strv.h).
 */
#include "util/strv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rk_strv_push(struct rk_strv *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 8;
		char **v = realloc(sv->v, cap * sizeof(*v));
		if (!v) {
			free(s);
			return -ENOMEM;
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

int rk_strv_add(struct rk_strv *sv, const char *s)
{
	char *d = strdup(s);

	return d ? rk_strv_push(sv, d) : -ENOMEM;
}

int rk_strv_addf(struct rk_strv *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	return rc < 0 ? -ENOMEM : rk_strv_push(sv, s);
}

void rk_strv_free(struct rk_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

char *rk_strv_join(char *const *v, size_t n, const char *sep)
{
	size_t len = 1, sl = strlen(sep);
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + sl;
	if (!(out = p = malloc(len)))
		return NULL;
	*p = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		if (i) {
			memcpy(p, sep, sl);
			p += sl;
		}
		memcpy(p, v[i], l);
		p += l;
		*p = '\0';
	}
	return out;
}

void rk_strv_list_append(char *buf, size_t len, const char *item)
{
	size_t n = strnlen(buf, len);

	if (n + (n ? 2 : 0) + strlen(item) >= len)
		return;
	snprintf(buf + n, len - n, "%s%s", n ? ", " : "", item);
}
