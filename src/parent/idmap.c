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
#include "util/goparse.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/strv.h"
#include "util/subid.h"

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

static int rk_ranges_static(bool gid, const struct rk_user *u, struct rk_subid_list *out, char *err,
			    size_t errlen)
{
	const char *path = gid ? "/etc/subgid" : "/etc/subuid";
	char *buf, et[128];
	size_t len;
	int rc = rk_read_file(path, RK_SUBID_MAX_FILE, &buf, &len);

	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		snprintf(err, errlen, "open %s: %s", path, go_errno_text(-rc, et, sizeof(et)));
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
	char *argv[] = {(char *)bin, gid ? (char *)"-g" : (char *)key, gid ? (char *)key : NULL,
			NULL};
	char output[8192];
	int st = rk_run_capture(argv, output, sizeof(output));

	if (st < 0) {
		snprintf(err, errlen, "subid-source:dynamic: fork/exec %s: %s", bin,
			 go_strerror(-st));
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

/*
 * "auto" asks getsubids first. When $GETSUBIDS is unset and nsswitch.conf leaves libsubid on
 * its files backend, getsubids can only report what /etc/subuid and /etc/subgid say, so we
 * read them ourselves and save four process spawns (most of the start-up time).
 */
static bool rk_idmap_auto_is_static(void)
{
	const char *env = getenv("GETSUBIDS");
	char *buf;
	size_t len;
	bool files;
	int rc;

	if (env && env[0])
		return false;
	rc = rk_read_file("/etc/nsswitch.conf", 1 << 20, &buf, &len);
	if (rc == -ENOENT)
		return true;
	if (rc < 0)
		return false;
	files = rk_subid_nsswitch_files(buf, len);
	free(buf);
	return files;
}

/* The sub-ID ranges of the current user from @source, into @out; no /etc/sub?id = no ranges. */
static int rk_idmap_ranges(const char *source, bool gid, struct rk_subid_list *out, char *err,
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

/* One run of newuidmap or newgidmap; both run at once to halve their start-up cost. */
struct rk_idmap_job {
	const char *tool;
	struct rk_strv argv;
	char *args; /* "0 1001 1 1 100000 65536", for messages */
	struct rk_run run;
	bool started;
};

/* Start "<tool> <pid> 0 <id> 1 1 <start1> <count1> <1+count1> ...". Return: 0 or -errno. */
static int rk_idmap_job_start(struct rk_idmap_job *j, pid_t pid, unsigned id,
			      const struct rk_subid_list *l, char *err, size_t errlen)
{
	char path[PATH_MAX];
	uint64_t inside = 1;
	int rc;

	rk_strv_add(&j->argv, j->tool);
	rk_strv_addf(&j->argv, "%d", (int)pid);
	rk_strv_addf(&j->argv, "0");
	rk_strv_addf(&j->argv, "%u", id);
	rk_strv_addf(&j->argv, "1");
	for (size_t i = 0; i < l->n; i++) {
		rk_strv_addf(&j->argv, "%llu", (unsigned long long)inside);
		rk_strv_addf(&j->argv, "%u", l->v[i].start);
		rk_strv_addf(&j->argv, "%u", l->v[i].count);
		inside += l->v[i].count;
	}
	if (j->argv.n != 5 + 3 * l->n ||
	    !(j->args = rk_strv_join(j->argv.v + 2, j->argv.n - 2, " "))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rk_debug("running %s %d [%s]", j->tool, (int)pid, j->args);
	if (rk_lookpath(j->tool, path, sizeof(path)) < 0) {
		snprintf(err, errlen,
			 "failed to setup UID/GID map: %s %d [%s] failed: exec: \"%s\": executable "
			 "file not found in $PATH",
			 j->tool, (int)pid, j->args, j->tool);
		return -ENOENT;
	}
	free(j->argv.v[0]);
	if (!(j->argv.v[0] = strdup(path)))
		return -ENOMEM;
	if ((rc = rk_run_start(j->argv.v, &j->run)) < 0) {
		snprintf(err, errlen, "failed to setup UID/GID map: %s %d [%s] failed: %s", j->tool,
			 (int)pid, j->args, go_strerror(-rc));
		return rc;
	}
	j->started = true;
	return 0;
}

/* Wait for a started job; Return: 0 or -EIO with upstream's message in @err. */
static int rk_idmap_job_finish(struct rk_idmap_job *j, pid_t pid, char *err, size_t errlen)
{
	char out[4096], how[64];
	int st;

	j->started = false;
	st = rk_run_finish(&j->run, out, sizeof(out));
	if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (st < 0)
		snprintf(how, sizeof(how), "%s", go_strerror(-st));
	else if (WIFEXITED(st))
		snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(st));
	else
		snprintf(how, sizeof(how), "signal %d", WTERMSIG(st));
	snprintf(err, errlen, "failed to setup UID/GID map: %s %d [%s] failed: %s: %s", j->tool,
		 (int)pid, j->args, out, how);
	return -EIO;
}

static void rk_idmap_job_free(struct rk_idmap_job *j)
{
	char sink[64];

	if (j->started)
		rk_run_finish(&j->run, sink, sizeof(sink));
	free(j->args);
	rk_strv_free(&j->argv);
}

static int rk_idmap_write(pid_t pid, const char *file, const char *data, char *err, size_t errlen)
{
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((rc = rk_write_existing(path, data)) < 0)
		snprintf(err, errlen, "failed to setup UID/GID map: write %s: %s", path,
			 go_strerror(-rc));
	return rc;
}

/* Write both maps: helpers for ranges (run concurrently), our own single-ID lines otherwise. */
static int rk_idmap_apply(pid_t pid, const struct rk_user *u, const struct rk_subid_list *uids,
			  const struct rk_subid_list *gids, char *err, size_t errlen)
{
	struct rk_idmap_job uj = {.tool = "newuidmap"}, gj = {.tool = "newgidmap"};
	char line[64], gerr[2048] = "";
	int rc = 0, grc = 0;

	if (uids->n)
		rc = rk_idmap_job_start(&uj, pid, (unsigned)u->uid, uids, err, errlen);
	if (rc == 0 && gids->n)
		grc = rk_idmap_job_start(&gj, pid, (unsigned)u->gid, gids, gerr, sizeof(gerr));
	if (rc == 0 && !uids->n) {
		snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)u->uid);
		rc = rk_idmap_write(pid, "uid_map", line, err, errlen);
	}
	if (rc == 0 && grc == 0 && !gids->n) {
		snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)u->gid);
		grc = rk_idmap_write(pid, "setgroups", "deny", gerr, sizeof(gerr));
		if (grc == 0)
			grc = rk_idmap_write(pid, "gid_map", line, gerr, sizeof(gerr));
	}
	if (rc == 0 && uj.started)
		rc = rk_idmap_job_finish(&uj, pid, err, errlen);
	if (grc == 0 && gj.started)
		grc = rk_idmap_job_finish(&gj, pid, gerr, sizeof(gerr));
	rk_idmap_job_free(&uj);
	rk_idmap_job_free(&gj);
	if (rc == 0 && grc < 0) {
		snprintf(err, errlen, "%s", gerr);
		rc = grc;
	}
	return rc;
}

int rk_idmap_setup(pid_t pid, const char *source, bool *setgroups_ok, char *err, size_t errlen)
{
	struct rk_subid_list uids, gids;
	struct rk_user u;
	char e2[1024];
	int rc;

	rk_user_get(&u);
	if (!strcmp(source, "auto") && rk_idmap_auto_is_static()) {
		rk_debug("subid-source:auto: libsubid reads /etc/subuid and /etc/subgid here; "
			 "reading them directly");
		source = "static";
	}
	if ((rc = rk_idmap_ranges(source, false, &uids, e2, sizeof(e2))) < 0 ||
	    (rc = rk_idmap_ranges(source, true, &gids, e2, sizeof(e2))) < 0) {
		snprintf(err, errlen,
			 "failed to setup UID/GID map: failed to compute uid/gid map: %s", e2);
		return rc;
	}
	if (!uids.n || !gids.n)
		rk_warn("No %s ranges found for user %u (\"%s\"); falling back to a single-ID "
			"mapping (uid %u and gid %u map to root; no other IDs are usable)",
			!uids.n ? "subuid" : "subgid", (unsigned)u.uid, u.name, (unsigned)u.uid,
			(unsigned)u.gid);
	*setgroups_ok = gids.n > 0;
	return rk_idmap_apply(pid, &u, &uids, &gids, err, errlen);
}
