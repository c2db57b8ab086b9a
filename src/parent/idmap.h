/* SPDX-License-Identifier: Apache-2.0 */
/*
 * idmap.h - writing the child's uid_map/gid_map (SPEC 3).
 */
#ifndef RK_PARENT_IDMAP_H
#define RK_PARENT_IDMAP_H

#include <stdbool.h>

#include "cli/validate.h"
#include "util/err.h"
#include <stddef.h>
#include <sys/types.h>

/**
 * rk_idmap_setup - map the current uid/gid to 0 in @pid's user namespace and the sub-ID ranges
 * from 1 on, via newuidmap/newgidmap. Without ranges, map the single ID with a warning.
 * @setgroups_ok: set to whether setgroups(2) stays allowed in the namespace.
 * Return: 0 or -errno with the message in @err.
 */
int rk_idmap_setup(pid_t pid, enum rk_subid_source source, bool *setgroups_ok, struct rk_err *err);

#endif
