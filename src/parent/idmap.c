// SPDX-License-Identifier: Apache-2.0
/*
 * idmap.c - uid/gid maps of the child's user namespace (see idmap.h).
 *
 * The user is the passwd entry of the real uid (primary gid from passwd; without an entry $USER
 * and the real gid). Ranges come from getsubids ("dynamic"), /etc/subuid+subgid ("static"), or
 * dynamic-then-static ("auto"). With ranges, newuidmap/newgidmap write
 * "0 <id> 1  1 <start1> <count1>  <1+count1> <start2> <count2> ...". Without any, we write the
 * single mapping "0 <id> 1" ourselves (allowed to the namespace's owner), after denying
 * setgroups for the gid map as the kernel requires.
 */
#include "parent/idmap.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/strv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct rk_user {
	char name[256];
	uid_t uid;
	gid_t gid;
};

static void rk_user_get(struct rk_user *u)
{
	struct passwd *pw = getpwuid(getuid());
	const char *env = getenv("USER");

	u->uid = getuid();
	u->gid = pw ? pw->pw_gid : getgid();
	snprintf(u->name, sizeof(u->name), "%s", pw ? pw->pw_name : env ? env : "");
}

static int rk_lower_errno_text(int e, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return 0;
}

static int rk_ranges_static(bool gid, const struct rk_user *u, struct rk_subid_list *out,
			    char *err, size_t errlen)
{
	const char *path = gid ? "/etc/subgid" : "/etc/subuid";
	char *buf, et[128];
	size_t len;
	int rc = rk_read_file(path, RK_SUBID_MAX_FILE, &buf, &len);

	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		rk_lower_errno_text(-rc, et, sizeof(et));
		snprintf(err, errlen, "open %s: %s", path, et);
		return rc;
	}
	rc = rk_subid_parse_file(buf, len, path, u->uid, u->name, out, err, errlen);
	free(buf);
	return rc;
}

/* Run "getsubids [-g] <key>"; Return: 0 with ranges appended, or -errno / -EINVAL. */
static int rk_getsubids_one(const char *bin, bool gid, const char *key, struct rk_subid_list *out,
			    char *err, size_t errlen)
{
	char *argv[] = { (char *)bin, gid ? (char *)"-g" : (char *)key, gid ? (char *)key : NULL,
			 NULL };
	char output[8192];
	int st = rk_run_capture(argv, output, sizeof(output));

	if (st < 0) {
		snprintf(err, errlen, "subid-source:dynamic: fork/exec %s: %s", bin, strerror(-st));
		return st;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		output[strcspn(output, "\n")] = '\0';
		snprintf(err, errlen, "subid-source:dynamic: %s %s%s failed: %s", bin,
			 gid ? "-g " : "", key, output);
		return -EIO;
	}
	return rk_subid_parse_getsubids(output, strlen(output), out, err, errlen);
}

static int rk_ranges_dynamic(bool gid, const struct rk_user *u, struct rk_subid_list *out,
			     char *err, size_t errlen)
{
	const char *env = getenv("GETSUBIDS");
	char bin[PATH_MAX], uidstr[16], err2[512];
	int rc1, rc2;

	if (rk_lookpath(env && env[0] ? env : "getsubids", bin, sizeof(bin)) < 0) {
		snprintf(err, errlen,
			 "subid-source:dynamic: exec: \"%s\": executable file not found in $PATH",
			 env && env[0] ? env : "getsubids");
		return -ENOENT;
	}
	snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)u->uid);
	rc1 = u->name[0] ? rk_getsubids_one(bin, gid, u->name, out, err, errlen) : -ENOENT;
	rc2 = rk_getsubids_one(bin, gid, uidstr, out, err2, sizeof(err2));
	if (rc1 < 0 && rc2 < 0) {
		if (!u->name[0])
			snprintf(err, errlen, "%s", err2);
		return rc1;
	}
	return 0;
}

int rk_idmap_ranges(const char *source, bool gid, struct rk_subid_list *out, char *err,
		    size_t errlen)
{
	struct rk_user u;
	int rc;

	rk_user_get(&u);
	out->n = 0;
	if (!strcmp(source, "static"))
		return rk_ranges_static(gid, &u, out, err, errlen);
	if (!strcmp(source, "dynamic"))
		return rk_ranges_dynamic(gid, &u, out, err, errlen);
	rc = rk_ranges_dynamic(gid, &u, out, err, errlen);
	if (rc == 0 && out->n > 0)
		return 0;
	rk_debug("subid-source:auto: dynamic gave %s; using static", rc ? err : "no ranges");
	out->n = 0;
	return rk_ranges_static(gid, &u, out, err, errlen);
}

/* newuidmap/newgidmap <pid> 0 <id> 1 1 <start> <count> ... */
static int rk_idmap_helper(const char *tool, pid_t pid, unsigned id,
			   const struct rk_subid_list *l, char *err, size_t errlen)
{
	struct rk_strv argv = { 0 };
	char path[PATH_MAX], out[4096];
	uint64_t inside = 1;
	int rc = 0, st;

	rk_strv_add(&argv, tool);
	rk_strv_addf(&argv, "%d", (int)pid);
	rk_strv_addf(&argv, "0");
	rk_strv_addf(&argv, "%u", id);
	rk_strv_addf(&argv, "1");
	for (size_t i = 0; i < l->n; i++) {
		rk_strv_addf(&argv, "%llu", (unsigned long long)inside);
		rk_strv_addf(&argv, "%u", l->v[i].start);
		rk_strv_addf(&argv, "%u", l->v[i].count);
		inside += l->v[i].count;
	}
	if (argv.n != 5 + 3 * l->n) {
		rk_strv_free(&argv);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	char *args = rk_strv_join(argv.v + 2, argv.n - 2, " ");
	rk_debug("running %s %d [%s]", tool, (int)pid, args ? args : "");
	if (rk_lookpath(tool, path, sizeof(path)) < 0) {
		snprintf(err, errlen,
			 "failed to setup UID/GID map: %s %d [%s] failed: exec: \"%s\": executable "
			 "file not found in $PATH",
			 tool, (int)pid, args ? args : "", tool);
		rc = -ENOENT;
		goto out;
	}
	free(argv.v[0]);
	argv.v[0] = strdup(path);
	st = argv.v[0] ? rk_run_capture(argv.v, out, sizeof(out)) : -ENOMEM;
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char how[64];
		if (st < 0)
			snprintf(how, sizeof(how), "%s", strerror(-st));
		else if (WIFEXITED(st))
			snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(st));
		else
			snprintf(how, sizeof(how), "signal %d", WTERMSIG(st));
		snprintf(err, errlen, "failed to setup UID/GID map: %s %d [%s] failed: %s: %s",
			 tool, (int)pid, args ? args : "", out, how);
		rc = -EIO;
	}
out:
	free(args);
	rk_strv_free(&argv);
	return rc;
}

static int rk_idmap_write(pid_t pid, const char *file, const char *data, char *err, size_t errlen)
{
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((rc = rk_write_existing(path, data)) < 0)
		snprintf(err, errlen, "failed to setup UID/GID map: write %s: %s", path,
			 strerror(-rc));
	return rc;
}

int rk_idmap_setup(pid_t pid, const char *source, bool *setgroups_ok, char *err, size_t errlen)
{
	struct rk_subid_list uids, gids;
	struct rk_user u;
	char line[64], e2[1024];
	int rc;

	rk_user_get(&u);
	if ((rc = rk_idmap_ranges(source, false, &uids, e2, sizeof(e2))) < 0 ||
	    (rc = rk_idmap_ranges(source, true, &gids, e2, sizeof(e2))) < 0) {
		snprintf(err, errlen, "failed to setup UID/GID map: failed to compute uid/gid map: %s",
			 e2);
		return rc;
	}
	if (!uids.n || !gids.n)
		rk_warn("No %s ranges found for user %u (\"%s\"); falling back to a single-ID "
			"mapping (uid %u and gid %u map to root; no other IDs are usable)",
			!uids.n ? "subuid" : "subgid", (unsigned)u.uid, u.name, (unsigned)u.uid,
			(unsigned)u.gid);
	*setgroups_ok = gids.n > 0;
	if (uids.n) {
		rc = rk_idmap_helper("newuidmap", pid, (unsigned)u.uid, &uids, err, errlen);
	} else {
		snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)u.uid);
		rc = rk_idmap_write(pid, "uid_map", line, err, errlen);
	}
	if (rc < 0)
		return rc;
	if (gids.n)
		return rk_idmap_helper("newgidmap", pid, (unsigned)u.gid, &gids, err, errlen);
	snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)u.gid);
	rc = rk_idmap_write(pid, "setgroups", "deny", err, errlen);
	return rc < 0 ? rc : rk_idmap_write(pid, "gid_map", line, err, errlen);
}
