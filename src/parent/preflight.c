// SPDX-License-Identifier: Apache-2.0
/*
 * preflight.c - warnings about the host before anything starts (SPEC 1.1 step 2, 4.1).
 */
#include "parent/preflight.h"
#include "util/fsutil.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long rk_read_long(const char *path, long dflt)
{
	char *buf;
	size_t n;
	long v = dflt;

	if (rk_read_file(path, 64, &buf, &n) < 0)
		return dflt;
	if (sscanf(buf, "%ld", &v) != 1)
		v = dflt;
	free(buf);
	return v;
}

/* The optional fields ("shared:1 master:2") of the mountinfo entry of "/" into @out. */
static int rk_root_optional_fields(char *out, size_t len)
{
	char *buf, *save = NULL;
	size_t n;
	int rc = -1;

	if (rk_read_file("/proc/self/mountinfo", 1 << 22, &buf, &n) < 0)
		return -1;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char mnt[16];
		int off = 0;
		/* id parent major:minor root mountpoint options [optional...] - ... */
		if (sscanf(line, "%*s %*s %*s %*s %15s %*s %n", mnt, &off) != 1 || !off ||
		    strcmp(mnt, "/"))
			continue;
		char *sep = strstr(line + off, "- ");
		size_t l = sep ? (size_t)(sep - (line + off)) : 0;
		while (l && line[off + l - 1] == ' ')
			l--;
		snprintf(out, len, "%.*s", (int)l, line + off);
		rc = 0; /* keep looking: the last entry for "/" is the visible one */
	}
	free(buf);
	return rc;
}

void rk_preflight(const char *propagation)
{
	char opt[512];

	if (geteuid() == 0)
		rk_warn("Running RootlessKit as the root user is unsupported.");
	if (rk_read_long("/proc/sys/kernel/unprivileged_userns_clone", 1) == 0)
		rk_warn("/proc/sys/kernel/unprivileged_userns_clone needs to be set to 1.");
	long max = rk_read_long("/proc/sys/user/max_user_namespaces", 1024);
	if (max == 0)
		rk_warn("/proc/sys/user/max_user_namespaces needs to be set to non-zero.");
	else if (max < 1024)
		rk_warn("/proc/sys/user/max_user_namespaces=%ld may be low. Consider setting to >= "
			"1024.",
			max);
	if (!strstr(propagation, "private") && rk_root_optional_fields(opt, sizeof(opt)) == 0 &&
	    !strstr(opt, "shared"))
		rk_warn("The host root filesystem is mounted as \"%s\". Setting child propagation "
			"to \"%s\" is not supported.",
			opt, propagation);
}

void rk_preflight_apparmor_hint(void)
{
	if (rk_read_long("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", 0) != 1)
		return;
	fprintf(stderr,
		"Hint: /proc/sys/kernel/apparmor_restrict_unprivileged_userns is 1. Allow "
		"this binary to create user namespaces with an AppArmor profile like:\n"
		"abi <abi/4.0>,\ninclude <tunables/global>\n"
		"profile rootlesskit /usr/local/bin/rootlesskit flags=(unconfined) {\n"
		"  userns,\n}\n"
		"in /etc/apparmor.d/rootlesskit (adjust the path), then reload AppArmor.\n");
}
