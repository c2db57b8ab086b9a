// SPDX-License-Identifier: Apache-2.0
/*
 * cgroup.c - evacuation of our cgroup2 group into a subgroup (see cgroup.h).
 *
 * cgroup2 forbids processes in a group whose controllers are delegated to subgroups ("no internal
 * processes"), so a daemon that wants to create subgroups (dockerd, containerd) first needs every
 * process moved out of the group it was born in. The child's cgroup namespace was created at
 * clone time, so its root stays at G and the command sees itself in "0::/<name>".
 */
#include "parent/cgroup.h"
#include "util/goparse.h"
#include "util/fsutil.h"
#include "util/log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The mount point of the first cgroup2 file system in mountinfo, or -ENOENT. */
static int rk_cgroup2_mountpoint(char *out, size_t len)
{
	char *buf, *line, *save = NULL;
	size_t n;
	int rc = rk_read_file("/proc/self/mountinfo", 1 << 22, &buf, &n);

	if (rc < 0)
		return rc;
	rc = -ENOENT;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sep = strstr(line, " - ");
		char mnt[PATH_MAX], fstype[64];
		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		snprintf(out, len, "%s", mnt); /* octal escapes (\040) are rare here; kept as-is */
		rc = 0;
		break;
	}
	free(buf);
	return rc;
}

/* Our group in the unified hierarchy: the path of the "0::" line of /proc/self/cgroup. */
static int rk_cgroup2_group(char *out, size_t len)
{
	char *buf, *p;
	size_t n;
	int rc = rk_read_file("/proc/self/cgroup", 65536, &buf, &n);

	if (rc < 0)
		return rc;
	rc = -ENOENT;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "0::", 3))
			continue;
		snprintf(out, len, "%.*s", (int)strcspn(p + 3, "\n"), p + 3);
		rc = 0;
		break;
	}
	free(buf);
	return rc;
}

static void rk_cgroup_move_all(const char *from, const char *to)
{
	char path[PATH_MAX + 32], *buf, *save = NULL;
	size_t n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", from);
	if (rk_read_file(path, 1 << 20, &buf, &n) < 0) {
		rk_warn("failed to read %s: %s", path, go_strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", to);
	for (char *pid = strtok_r(buf, "\n", &save); pid; pid = strtok_r(NULL, "\n", &save)) {
		int rc;
		if (!strcmp(pid, "0"))
			continue;
		if ((rc = rk_write_existing(path, pid)) < 0)
			rk_warn("failed to move process %s to cgroup %s: %s", pid, to,
				go_strerror(-rc));
	}
	free(buf);
}

static void rk_cgroup_enable_controllers(const char *group)
{
	char path[PATH_MAX + 32], ctl[PATH_MAX + 32], *buf, *save = NULL;
	size_t n;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", group);
	if (rk_read_file(path, 65536, &buf, &n) < 0)
		return;
	snprintf(ctl, sizeof(ctl), "%s/cgroup.subtree_control", group);
	for (char *c = strtok_r(buf, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
		char plus[80];
		int rc;
		snprintf(plus, sizeof(plus), "+%s", c);
		if ((rc = rk_write_existing(ctl, plus)) < 0)
			rk_warn("failed to enable controller %s in %s: %s", c, ctl,
				go_strerror(-rc));
	}
	free(buf);
}

int rk_cgroup_evacuate(const char *name)
{
	char mnt[PATH_MAX], group[PATH_MAX], from[PATH_MAX * 2], to[PATH_MAX * 2 + 256];
	int rc;

	if (rk_cgroup2_mountpoint(mnt, sizeof(mnt)) < 0) {
		rk_warn("cgroup2 is not mounted. cgroup2 evacuation is discarded.");
		return 0;
	}
	if ((rc = rk_cgroup2_group(group, sizeof(group))) < 0)
		return rc;
	snprintf(from, sizeof(from), "%s%s", mnt, strcmp(group, "/") ? group : "");
	snprintf(to, sizeof(to), "%s/%s", from, name);
	rk_debug("evacuating cgroup %s to %s", from, to);
	if (mkdir(to, 0755) < 0 && errno != EEXIST)
		return -errno;
	rk_cgroup_move_all(from, to);
	rk_cgroup_enable_controllers(from);
	return 0;
}
