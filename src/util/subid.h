/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subid.h - parsers for sub-ID ranges: /etc/subuid-style files and `getsubids` output.
 *
 * Pure functions over bytes already read (no I/O), so they are unit-tested and fuzzed.
 * Errors carry the texts of SPEC section 3.
 */
#ifndef RK_UTIL_SUBID_H
#define RK_UTIL_SUBID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define RK_SUBID_MAX_RANGES 64 /* the kernel accepts 340 map lines; nobody has 64 ranges */
#define RK_SUBID_MAX_FILE   (1 << 20)

struct rk_subid_range {
	uint32_t start;
	uint32_t count;
};

struct rk_subid_list {
	struct rk_subid_range v[RK_SUBID_MAX_RANGES];
	size_t n;
};

/**
 * rk_subid_add - append @r to @l unless an identical range is already there.
 * Return: 0, or -E2BIG when the list is full or the ranges no longer fit 1..2^32-1 inside.
 */
int rk_subid_add(struct rk_subid_list *l, struct rk_subid_range r);

/**
 * rk_subid_parse_file - collect the ranges of a subuid/subgid file that belong to the user.
 * @buf/@len: file contents; @path: file name for messages; @uid/@name: the user (a line matches
 * if its first field equals the decimal uid or the name).
 * Return: 0 (possibly with no ranges) or -EINVAL with a message in @err.
 */
int rk_subid_parse_file(const char *buf, size_t len, const char *path, uint32_t uid,
			const char *name, struct rk_subid_list *out, struct rk_err *err);

/**
 * rk_subid_parse_getsubids - parse `getsubids` output lines like "0: user 100000 65536",
 * appending to @out (exact duplicates dropped).
 * Return: 0 or -EINVAL with a message in @err.
 */
int rk_subid_parse_getsubids(const char *buf, size_t len, struct rk_subid_list *out,
			     struct rk_err *err);

/**
 * rk_subid_nsswitch_files - whether nsswitch.conf contents @buf select libsubid's files backend
 * (no "subid:" line, an empty one, or "files"), i.e. whether getsubids would only read
 * /etc/subuid and /etc/subgid.
 */
bool rk_subid_nsswitch_files(const char *buf, size_t len);

#endif
