/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unixaddr.h - unix socket addresses for paths of any length.
 *
 * sun_path holds 107 bytes, and state directories under a deep TMPDIR exceed that. A longer
 * path is reached through its directory: the directory is opened and the address becomes
 * /proc/self/fd/<n>/<name>, which the kernel resolves like the original path (bind creates the
 * socket there, connect finds it).
 */
#ifndef RK_UTIL_UNIXADDR_H
#define RK_UTIL_UNIXADDR_H

#include <sys/socket.h>
#include <sys/un.h>

/* An address and the directory fd it may depend on (-1 if none). */
struct rk_unixaddr {
	struct sockaddr_un sa;
	int dirfd;
};

/**
 * rk_unixaddr_init - the address of @path into @a; keep @a until bind/connect is done, then
 * rk_unixaddr_done(). Return: 0 or -errno (-ENAMETOOLONG when even the file name is too long).
 */
int rk_unixaddr_init(struct rk_unixaddr *a, const char *path);

/** rk_unixaddr_done - close the directory fd, if any. */
void rk_unixaddr_done(struct rk_unixaddr *a);

#endif
