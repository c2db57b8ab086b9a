/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cleanup.h - scope-bound resources, in the style of bubblewrap and crun.
 *
 *   rk_autofree char *buf = malloc(n);     freed when buf goes out of scope
 *   rk_autoclose int fd = open(...);        closed when fd goes out of scope (if >= 0)
 *   return rk_steal_fd(&fd);                hand the fd to the caller: the cleanup sees -1
 *
 * Ownership moves only through rk_steal_ptr()/rk_steal_fd(), so a reader sees every transfer.
 */
#ifndef RK_UTIL_CLEANUP_H
#define RK_UTIL_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void rk_cleanup_free(void *p)
{
	free(*(void **)p);
}

static inline void rk_cleanup_close(const int *fd)
{
	if (*fd >= 0) {
		int e = errno;
		close(*fd);
		errno = e;
	}
}

#define rk_autofree  __attribute__((cleanup(rk_cleanup_free)))
#define rk_autoclose __attribute__((cleanup(rk_cleanup_close)))

/** rk_steal_fd - take the fd out of *@fd, leaving -1 behind. */
static inline int rk_steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

/** rk_steal_ptr - take the pointer out of *@pp, leaving NULL behind. */
static inline void *rk_steal_ptr(void *pp)
{
	void **p = (void **)pp;
	void *r = *p;
	*p = NULL;
	return r;
}

/** rk_close - close *@fd if open and set it to -1. */
static inline void rk_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

#endif
