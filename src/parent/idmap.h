/* SPDX-License-Identifier: Apache-2.0 */
/*
 * idmap.h - writing the child's uid_map/gid_map (SPEC 3).
 */
#ifndef RK_PARENT_IDMAP_H
#define RK_PARENT_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/subid.h"

/**
 * rk_idmap_ranges - the sub-ID ranges of the current user from @source (auto|dynamic|static).
 * @gid: false for subuid, true for subgid. An absent /etc/sub?id file counts as no ranges.
 * Return: 0 (possibly empty) or -errno with @err.
 */
int rk_idmap_ranges(const char *source, bool gid, struct rk_subid_list *out, char *err,
		    size_t errlen);

/**
 * rk_idmap_setup - map the current uid/gid to 0 in @pid's user namespace and the sub-ID ranges
 * from 1 on, via newuidmap/newgidmap. Without ranges, map the single ID with a warning.
 * @setgroups_ok: set to whether setgroups(2) stays allowed in the namespace.
 * Return: 0 or -errno with the message in @err.
 */
int rk_idmap_setup(pid_t pid, const char *source, bool *setgroups_ok, char *err, size_t errlen);

#endif
