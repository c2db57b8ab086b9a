// SPDX-License-Identifier: Apache-2.0
/*
 * copyup.c - --copy-up-mode=tmpfs+symlink (SPEC 4.2).
 *
 * Theory of operation: for a directory D we want a writable D whose entries still show the
 * original content. We rbind D to a scratch dir B0 (/tmp/rootlesskit-bXXXXXX), mount an empty
 * tmpfs on D, create D/.roXXXXXX and MS_MOVE the bind mount there, so the original tree is
 * reachable as D/.roXXXXXX. Then for each original entry E we create the symlink D/E ->
 * .roXXXXXX/E (or, for a symlink, a copy of it). Users may now replace any entry of D, e.g.
 * delete the /etc/resolv.conf symlink and write a file. B0 is removed at the end. All of this
 * happens in the child's private mount namespace: the host sees only B0, briefly, in /tmp.
 */
#include "child/child.h"
#include "util/goparse.h"
#include "util/fsutil.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static char copyup_bind0[] = "/tmp/rootlesskit-bXXXXXX";
static int copyup_bind0_made;

/* Fail like rk_die(), but first remove the scratch directory, which the host can see. */
__attribute__((format(printf, 1, 2), noreturn)) static void copyup_die(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (copyup_bind0_made) {
		umount2(copyup_bind0, MNT_DETACH);
		rmdir(copyup_bind0);
	}
	rk_die("%s", msg);
}

/* Create the symlink @dir/@name for the original entry @ro/@name. */
static void rk_copyup_entry(const char *dir, const char *robase, const char *ro, const char *name)
{
	char src[PATH_MAX * 2], dst[PATH_MAX * 2], target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int rc;

	snprintf(src, sizeof(src), "%s/%s", ro, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	if (lstat(src, &st) < 0)
		copyup_die("failed to stat %s: %s", src, go_strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			copyup_die("failed to read link %s: %s", src, go_strerror(errno));
		target[n] = '\0';
	} else {
		snprintf(target, sizeof(target), "%s/%s", robase, name);
	}
	/* the fresh tmpfs may already hold entries (e.g. mtab created by a libc): replace them */
	if ((rc = rk_rm_rf(dst)) < 0)
		copyup_die("failed to remove %s: %s", dst, go_strerror(-rc));
	if (symlink(target, dst) < 0)
		copyup_die("failed to create symlink %s -> %s: %s", dst, target,
			   go_strerror(errno));
}

static void rk_copyup_one(const char *dir, const char *bind0)
{
	char ro[PATH_MAX];
	const char *robase;
	DIR *d;
	struct dirent *de;

	if (mount(dir, bind0, NULL, MS_BIND | MS_REC, NULL) < 0)
		copyup_die("failed to create bind mount on %s: %s", dir, go_strerror(errno));
	if (mount("none", dir, "tmpfs", 0, NULL) < 0)
		copyup_die("failed to mount tmpfs on %s: %s", dir, go_strerror(errno));
	if ((size_t)snprintf(ro, sizeof(ro), "%s/.roXXXXXX", strcmp(dir, "/") ? dir : "") >=
	    sizeof(ro))
		copyup_die("path too long: %s", dir);
	if (!mkdtemp(ro))
		copyup_die("failed to create a directory in %s: %s", dir, go_strerror(errno));
	if (mount(bind0, ro, NULL, MS_MOVE, NULL) < 0)
		copyup_die("failed to move mount %s to %s: %s", bind0, ro, go_strerror(errno));
	robase = strrchr(ro, '/') + 1;
	if (!(d = opendir(ro)))
		copyup_die("failed to open %s: %s", ro, go_strerror(errno));
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rk_copyup_entry(dir, robase, ro, de->d_name);
	}
	closedir(d);
}

void rk_copyup(char *const *dirs, size_t n)
{
	char *bind0 = copyup_bind0, clean[PATH_MAX];

	if (!n)
		return;
	if (!mkdtemp(bind0))
		copyup_die("failed to create a temporary directory in /tmp: %s",
			   go_strerror(errno));
	copyup_bind0_made = 1;
	for (size_t i = 0; i < n; i++) {
		if (rk_path_clean(dirs[i], clean, sizeof(clean)) < 0)
			copyup_die("path too long: %s", dirs[i]);
		rk_debug("copying up %s", clean);
		rk_copyup_one(clean, bind0);
	}
	copyup_bind0_made = 0;
	if (rmdir(bind0) < 0)
		rk_warn("failed to remove %s: %s", bind0, go_strerror(errno));
}
