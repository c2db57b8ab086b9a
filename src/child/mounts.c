// SPDX-License-Identifier: Apache-2.0
/*
 * mounts.c - mount propagation of the child's mount namespace and its procfs (SPEC 4.1, 1.2).
 */
#include "child/child.h"
#include "util/goparse.h"
#include "cli/validate.h"
#include "util/log.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

int rk_mounts_propagation(const char *value)
{
	unsigned long flags = rk_propagation_flags(value);

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
