/* SPDX-License-Identifier: Apache-2.0 */
/*
 * statedir.h - the state directory (SPEC 6): create or adopt it, lock it, empty it, remove it.
 */
#ifndef RK_PARENT_STATEDIR_H
#define RK_PARENT_STATEDIR_H

#include <limits.h>
#include <stddef.h>

struct rk_statedir {
	char path[PATH_MAX];
	int dirfd;  /* holds a shared flock for the whole run */
	int lockfd; /* <dir>/lock, exclusive flock for the whole run */
};

/**
 * rk_statedir_open - make @requested absolute (or create a temporary dir when empty), create it,
 * take the locks and delete everything in it except "lock" (left over by a killed run).
 * On failure nothing is left behind that was not there before. Return: 0 or -errno with @err.
 */
int rk_statedir_open(const char *requested, struct rk_statedir *sd, struct rk_err *err);

/** rk_statedir_remove - delete the directory recursively and drop the locks. */
void rk_statedir_remove(struct rk_statedir *sd);

/** rk_statedir_write - write file @name (mode @mode) with @data inside the state dir. */
int rk_statedir_write(struct rk_statedir *sd, const char *name, const char *data, int mode);

#endif
