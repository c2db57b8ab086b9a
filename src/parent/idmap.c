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
#include "util/err.h"
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

static int rk_ranges_static(bool gid, const struct rk_user *u, struct rk_subid_list *out,
			    struct rk_err *err)
{
	const char *path = gid ? "/etc/subgid" : "/etc/subuid";
	char *buf, et[128];
	size_t len;
	int rc = rk_read_file(path, RK_SUBID_MAX_FILE, &buf, &len);

	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rk_err_set(err, -rc, "open %s: %s", path,
				  go_errno_text(-rc, et, sizeof(et)));
	rc = rk_subid_parse_file(buf, len, path, u->uid, u->name, out, err);
	free(buf);
	return rc;
}

/* Run "getsubids [-g] <key>"; Return: 0 with ranges appended, or -errno / -EINVAL. */
static int rk_getsubids_one(const char *bin, bool gid, const char *key, struct rk_subid_list *out,
			    struct rk_err *err)
{
	char *argv[] = {(char *)bin, gid ? (char *)"-g" : (char *)key, gid ? (char *)key : NULL,
			NULL};
	char output[8192];
	int st = rk_run_capture(argv, output, sizeof(output));

	if (st < 0)
		return rk_err_set(err, -st, "subid-source:dynamic: fork/exec %s: %s", bin,
				  go_strerror(-st));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		output[strcspn(output, "\n")] = '\0';
		return rk_err_set(err, EIO, "subid-source:dynamic: %s %s%s failed: %s", bin,
				  gid ? "-g " : "", key, output);
	}
	return rk_subid_parse_getsubids(output, strlen(output), out, err);
}

static int rk_ranges_dynamic(bool gid, const struct rk_user *u, struct rk_subid_list *out,
			     struct rk_err *err)
{
	const char *env = getenv("GETSUBIDS");
	char bin[PATH_MAX], uidstr[16];
	struct rk_err err2;
	int rc1, rc2;

	if (rk_lookpath(env && env[0] ? env : "getsubids", bin, sizeof(bin)) < 0) {
		return rk_err_set(
		    err, ENOENT,
		    "subid-source:dynamic: exec: \"%s\": executable file not found in $PATH",
		    env && env[0] ? env : "getsubids");
	}
	snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)u->uid);
	rc1 = u->name[0] ? rk_getsubids_one(bin, gid, u->name, out, err) : -ENOENT;
	rk_err_clear(&err2);
	rc2 = rk_getsubids_one(bin, gid, uidstr, out, &err2);
	if (rc1 < 0 && rc2 < 0) {
		if (!u->name[0] && err)
			*err = err2;
		return u->name[0] ? rc1 : rc2;
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
static int rk_idmap_ranges(enum rk_subid_source source, bool gid, struct rk_subid_list *out,
			   struct rk_err *err)
{
	struct rk_user u;
	int rc;

	rk_user_get(&u);
	out->n = 0;
	if (source == RK_SUBID_STATIC)
		return rk_ranges_static(gid, &u, out, err);
	if (source == RK_SUBID_DYNAMIC)
		return rk_ranges_dynamic(gid, &u, out, err);
	rc = rk_ranges_dynamic(gid, &u, out, err);
	if (rc == 0 && out->n > 0)
		return 0;
	rk_debug("subid-source:auto: dynamic gave %s; using static",
		 rc && err ? err->msg : "no ranges");
	out->n = 0;
	return rk_ranges_static(gid, &u, out, err);
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
			      const struct rk_subid_list *l, struct rk_err *err)
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
		return rk_err_set(err, ENOMEM, "out of memory");
	}
	rk_debug("running %s %d [%s]", j->tool, (int)pid, j->args);
	if (rk_lookpath(j->tool, path, sizeof(path)) < 0) {
		return rk_err_set(
		    err, ENOENT,
		    "failed to setup UID/GID map: %s %d [%s] failed: exec: \"%s\": executable "
		    "file not found in $PATH",
		    j->tool, (int)pid, j->args, j->tool);
	}
	free(j->argv.v[0]);
	if (!(j->argv.v[0] = strdup(path)))
		return rk_err_set(err, ENOMEM, "out of memory");
	if ((rc = rk_run_start(j->argv.v, &j->run)) < 0)
		return rk_err_set(err, -rc, "failed to setup UID/GID map: %s %d [%s] failed: %s",
				  j->tool, (int)pid, j->args, go_strerror(-rc));
	j->started = true;
	return 0;
}

/* Wait for a started job; Return: 0 or -EIO with upstream's message in @err. */
static int rk_idmap_job_finish(struct rk_idmap_job *j, pid_t pid, struct rk_err *err)
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
	return rk_err_set(err, EIO, "failed to setup UID/GID map: %s %d [%s] failed: %s: %s",
			  j->tool, (int)pid, j->args, out, how);
}

static void rk_idmap_job_free(struct rk_idmap_job *j)
{
	char sink[64];

	if (j->started)
		rk_run_finish(&j->run, sink, sizeof(sink));
	free(j->args);
	rk_strv_free(&j->argv);
}

static int rk_idmap_write(pid_t pid, const char *file, const char *data, struct rk_err *err)
{
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((rc = rk_write_existing(path, data)) < 0)
		return rk_err_set(err, -rc, "failed to setup UID/GID map: write %s: %s", path,
				  go_strerror(-rc));
	return 0;
}

/* Write both maps: helpers for ranges (run concurrently), our own single-ID lines otherwise. */
static int rk_idmap_apply(pid_t pid, const struct rk_user *u, const struct rk_subid_list *uids,
			  const struct rk_subid_list *gids, struct rk_err *err)
{
	struct rk_idmap_job uj = {.tool = "newuidmap"}, gj = {.tool = "newgidmap"};
	struct rk_err gerr;
	char line[64];
	int rc = 0, grc = 0;

	rk_err_clear(&gerr);

	if (uids->n)
		rc = rk_idmap_job_start(&uj, pid, (unsigned)u->uid, uids, err);
	if (rc == 0 && gids->n)
		grc = rk_idmap_job_start(&gj, pid, (unsigned)u->gid, gids, &gerr);
	if (rc == 0 && !uids->n) {
		snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)u->uid);
		rc = rk_idmap_write(pid, "uid_map", line, err);
	}
	if (rc == 0 && grc == 0 && !gids->n) {
		snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)u->gid);
		grc = rk_idmap_write(pid, "setgroups", "deny", &gerr);
		if (grc == 0)
			grc = rk_idmap_write(pid, "gid_map", line, &gerr);
	}
	if (rc == 0 && uj.started)
		rc = rk_idmap_job_finish(&uj, pid, err);
	if (grc == 0 && gj.started)
		grc = rk_idmap_job_finish(&gj, pid, &gerr);
	rk_idmap_job_free(&uj);
	rk_idmap_job_free(&gj);
	if (rc == 0 && grc < 0) {
		if (err)
			*err = gerr;
		rc = grc;
	}
	return rc;
}

int rk_idmap_setup(pid_t pid, enum rk_subid_source source, bool *setgroups_ok, struct rk_err *err)
{
	struct rk_subid_list uids, gids;
	struct rk_user u;
	int rc;

	rk_user_get(&u);
	if (source == RK_SUBID_AUTO && rk_idmap_auto_is_static()) {
		rk_debug("subid-source:auto: libsubid reads /etc/subuid and /etc/subgid here; "
			 "reading them directly");
		source = RK_SUBID_STATIC;
	}
	if ((rc = rk_idmap_ranges(source, false, &uids, err)) < 0 ||
	    (rc = rk_idmap_ranges(source, true, &gids, err)) < 0)
		return rk_err_wrap(err, -rc,
				   "failed to setup UID/GID map: failed to compute uid/gid map");
	if (!uids.n || !gids.n)
		rk_warn("No %s ranges found for user %u (\"%s\"); falling back to a single-ID "
			"mapping (uid %u and gid %u map to root; no other IDs are usable)",
			!uids.n ? "subuid" : "subgid", (unsigned)u.uid, u.name, (unsigned)u.uid,
			(unsigned)u.gid);
	*setgroups_ok = gids.n > 0;
	return rk_idmap_apply(pid, &u, &uids, &gids, err);
}
