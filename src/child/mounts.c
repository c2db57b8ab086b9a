// SPDX-License-Identifier: Apache-2.0
/*
 * mounts.c - mount propagation of the child's mount namespace, its procfs and, with a network
 * namespace of its own, its sysfs (SPEC 4.1, 1.2, 4.3).
 */
#include "child/child.h"
#include "util/goparse.h"
#include "cli/validate.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int rk_mounts_propagation(unsigned long flags)
{
	if (!flags)
		return 0;
	if (mount("none", "/", NULL, flags, NULL) < 0)
		return -errno;
	return 0;
}

void rk_mounts_proc(void)
{
	if (mount("none", "/proc", "proc", 0, NULL) == 0)
		return;
	if (mount("none", "/proc", "proc", MS_RDONLY, NULL) == 0)
		return;
	rk_warn("failed to mount procfs on /proc: %s; /proc still shows the host's PID namespace",
		go_strerror(errno));
}

/*
 * A sysfs mounted from inside the new netns shows its interfaces (/sys/class/net). The cgroup
 * tree under /sys/fs/cgroup is saved with a recursive bind mount first and moved back on top,
 * or replaced by a fresh cgroup2 mount when the cgroup is being evacuated.
 */
int rk_mounts_sys(bool evacuate, struct rk_err *err)
{
	static const char cg[] = "/sys/fs/cgroup";
	char tmp[] = "/tmp/rksysXXXXXX";
	int rc = 0;

	if (!mkdtemp(tmp))
		return rk_err_errno(err, errno, "creating a directory under /tmp");
	if (!evacuate && mount(cg, tmp, NULL, MS_BIND | MS_REC, NULL) < 0) {
		rc = rk_err_errno(err, errno, "failed to create bind mount on %s", cg);
		goto out;
	}
	if (mount("none", "/sys", "sysfs", 0, NULL) < 0) {
		rk_warn("failed to mount sysfs, falling back to read-only mount: %s",
			go_strerror(errno));
		if (mount("none", "/sys", "sysfs", MS_RDONLY, NULL) < 0)
			rk_warn("failed to mount sysfs: %s", go_strerror(errno));
	}
	if (evacuate) {
		if (mount("none", cg, "cgroup2", 0, NULL) < 0)
			rc = rk_err_errno(err, errno, "failed to mount cgroup2 on %s", cg);
	} else if (mount(tmp, cg, NULL, MS_MOVE, NULL) < 0) {
		rc = rk_err_errno(err, errno, "failed to move mount point from %s to %s", tmp, cg);
	}
out:
	rmdir(tmp);
	return rc;
}
