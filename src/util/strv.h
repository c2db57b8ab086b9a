/* SPDX-License-Identifier: Apache-2.0 */
/*
 * strv.h - a growable, NULL-terminated array of owned strings (argv builders, flag lists).
 */
#ifndef RK_UTIL_STRV_H
#define RK_UTIL_STRV_H

#include <stddef.h>

struct rk_strv {
	char **v; /* NULL-terminated once anything was added */
	size_t n;
	size_t cap;
};

/** rk_strv_add - append a copy of @s. Return: 0 or -ENOMEM. */
int rk_strv_add(struct rk_strv *sv, const char *s);
/** rk_strv_addf - append a formatted string. Return: 0 or -ENOMEM. */
int rk_strv_addf(struct rk_strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** rk_strv_free - free all strings and the array; @sv is empty afterwards. */
void rk_strv_free(struct rk_strv *sv);
/** rk_strv_join - join with @sep into a new string (NULL on ENOMEM). */
char *rk_strv_join(char *const *v, size_t n, const char *sep);

/**
 * rk_strv_list_append - append @item to the ", "-separated list in @buf (size @len, always
 * terminated; an item that does not fit is left out).
 */
void rk_strv_list_append(char *buf, size_t len, const char *item);

#endif
