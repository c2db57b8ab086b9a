// SPDX-License-Identifier: Apache-2.0
/*
 * statedir.c - state directory life cycle (see statedir.h).
 */
#include "util/err.h"
#include "parent/statedir.h"
#include "util/goparse.h"
#include "util/fsutil.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int rk_statedir_path(const char *requested, struct rk_statedir *sd, struct rk_err *err)
{
	char joined[PATH_MAX * 2], cwd[PATH_MAX];

	if (!requested[0]) {
		const char *tmp = getenv("TMPDIR");
		if (!tmp || !tmp[0])
			tmp = "/tmp";
		if ((size_t)snprintf(sd->path, sizeof(sd->path), "%s/rootlesskitXXXXXX", tmp) >=
		    sizeof(sd->path)) {
			return rk_err_set(err, ENAMETOOLONG, "TMPDIR is too long");
		}
		if (!mkdtemp(sd->path)) {
			int e = errno;
			return rk_err_set(err, e,
					  "failed to create a temporary state directory in %s: %s",
					  tmp, go_strerror(e));
		}
		return 1; /* created */
	}
	if (requested[0] == '/') {
		snprintf(joined, sizeof(joined), "%s", requested);
	} else {
		if (!getcwd(cwd, sizeof(cwd))) {
			int e = errno;
			return rk_err_set(err, e, "getwd: %s", go_strerror(e));
		}
		snprintf(joined, sizeof(joined), "%s/%s", cwd, requested);
	}
	if (rk_path_clean(joined, sd->path, sizeof(sd->path)) < 0) {
		return rk_err_set(err, ENAMETOOLONG, "state dir path is too long: %s", requested);
	}
	if (!strcmp(sd->path, "/")) {
		return rk_err_set(err, EINVAL, "refusing to use / as the state directory");
	}
	return 0;
}

int rk_statedir_open(const char *requested, struct rk_statedir *sd, struct rk_err *err)
{
	struct stat st;
	int created, rc;

	sd->dirfd = sd->lockfd = -1;
	created = rk_statedir_path(requested, sd, err);
	if (created < 0)
		return created;
	if (!created && stat(sd->path, &st) < 0) {
		if ((rc = rk_mkdir_p(sd->path, 0755)) < 0)
			return rk_err_set(err, -rc, "mkdir %s: %s", sd->path, go_strerror(-rc));
		created = 1;
	}
	sd->dirfd = open(sd->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sd->dirfd < 0) {
		rc = -errno;
		rk_err_set(err, -rc, "open %s: %s", sd->path, go_strerror(-rc));
		goto fail;
	}
	if (flock(sd->dirfd, LOCK_SH) < 0)
		rk_warn("failed to lock %s (shared): %s", sd->path, go_strerror(errno));
	sd->lockfd = openat(sd->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (sd->lockfd < 0 || flock(sd->lockfd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		rk_err_set(err, -rc,
			   "failed to lock %s/lock, another RootlessKit is running with the same "
			   "state directory?",
			   sd->path);
		if (rc == -EWOULDBLOCK)
			created = 0; /* it belongs to the running instance: leave it alone */
		goto fail;
	}
	if ((rc = rk_rm_contents_at(sd->dirfd, "lock")) < 0) {
		rk_err_set(err, -rc, "failed to clean up %s: %s", sd->path, go_strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	if (sd->lockfd >= 0)
		close(sd->lockfd);
	if (sd->dirfd >= 0)
		close(sd->dirfd);
	sd->dirfd = sd->lockfd = -1;
	if (created)
		rk_rm_rf(sd->path);
	return rc;
}

void rk_statedir_remove(struct rk_statedir *sd)
{
	int rc;

	if (sd->dirfd < 0)
		return;
	if ((rc = rk_rm_rf(sd->path)) < 0)
		rk_warn("failed to remove %s: %s", sd->path, go_strerror(-rc));
	close(sd->lockfd);
	close(sd->dirfd);
	sd->dirfd = sd->lockfd = -1;
}

int rk_statedir_write(struct rk_statedir *sd, const char *name, const char *data, int mode)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", sd->path, name);
	return rk_write_file(path, data, (mode_t)mode);
}
