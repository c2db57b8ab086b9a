// SPDX-License-Identifier: Apache-2.0
/*
 * unixaddr.c - unix socket addresses for long paths (see unixaddr.h).
 */
#include "util/unixaddr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int rk_unixaddr_init(struct rk_unixaddr *a, const char *path)
{
	size_t n = strlen(path);
	const char *slash;
	char dir[PATH_MAX];

	memset(&a->sa, 0, sizeof(a->sa));
	a->sa.sun_family = AF_UNIX;
	a->dirfd = -1;
	if (n < sizeof(a->sa.sun_path)) {
		memcpy(a->sa.sun_path, path, n + 1);
		return 0;
	}
	slash = strrchr(path, '/');
	if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	a->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (a->dirfd < 0)
		return -errno;
	if ((size_t)snprintf(a->sa.sun_path, sizeof(a->sa.sun_path), "/proc/self/fd/%d/%s",
			     a->dirfd, slash + 1) >= sizeof(a->sa.sun_path)) {
		rk_unixaddr_done(a);
		return -ENAMETOOLONG;
	}
	return 0;
}

void rk_unixaddr_done(struct rk_unixaddr *a)
{
	if (a->dirfd >= 0)
		close(a->dirfd);
	a->dirfd = -1;
}
