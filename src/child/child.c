// SPDX-License-Identifier: Apache-2.0
/*
 * child.c - the child process: first process of the new namespaces (SPEC 1.2).
 *
 * Theory of operation (the parent/child handshake, seen from here): the child is cloned with
 * every namespace at once, so it already holds all capabilities in its user namespace, but
 * its IDs are unmapped. It arms PDEATHSIG and waits for MAPS_DONE: an EOF instead means the
 * parent died before or while we armed it, and we leave. With the maps written it becomes
 * root (uid/gid 0, no supplementary groups), sets mount propagation, mounts /proc for a new
 * PID namespace and copies up directories, then reports CHILD_READY. It starts the command
 * only on START, which the parent sends after child_pid exists, so a command can rely on the
 * state directory being complete.
 */
#include "child/child.h"
#include "util/goparse.h"
#include "cli/validate.h"
#include "util/log.h"
#include "util/msg.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static void rk_child_expect(int sock, enum rk_msg_type type, struct rk_msg *m)
{
	int rc = rk_msg_recv(sock, m);

	if (rc == -EPIPE)
		_exit(1); /* the parent died: nobody is left to report to */
	if (rc < 0 || m->type != (uint32_t)type)
		rk_die("parent<->child channel: unexpected message (%s)",
		       rc < 0 ? go_strerror(-rc) : "wrong type");
}

static void rk_child_become_root(bool setgroups_ok)
{
	if (setgroups_ok && setgroups(0, NULL) < 0)
		rk_die("setgroups: %s", go_strerror(errno));
	if (setresgid(0, 0, 0) < 0)
		rk_die("setresgid: %s", go_strerror(errno));
	if (setresuid(0, 0, 0) < 0)
		rk_die("setresuid: %s", go_strerror(errno));
	/* changing credentials clears PDEATHSIG in some cases: arm it again */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/*
 * During set-up the child keeps default dispositions, so a Ctrl-C or a SIGTERM forwarded by the
 * parent ends a slow set-up (a big copy-up) instead of waiting for the command. From READY on,
 * everything is blocked again and queued for the command.
 */
static void rk_child_signals(bool block)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &all, NULL);
}

void rk_child_main(const struct rk_child_args *a)
{
	const struct rk_config *cfg = a->cfg;
	struct rk_msg m;
	int rc;

	rk_log_set_role("child ");
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	rk_child_signals(false);
	rk_child_expect(a->sock, RK_MSG_MAPS_DONE, &m);
	rk_child_become_root(m.value != 0);

	if ((rc = rk_mounts_propagation(cfg->propagation)) < 0)
		rk_die("failed to set propagation of / to %s: %s", cfg->propagation,
		       go_strerror(-rc));
	if (cfg->pidns)
		rk_mounts_proc();
	rk_copyup(cfg->copy_up.v, cfg->copy_up.n);

	rk_child_signals(true);
	if (rk_msg_send(a->sock, RK_MSG_CHILD_READY, 0) < 0)
		_exit(1);
	rk_child_expect(a->sock, RK_MSG_START, &m);
	close(a->sock);

	struct rk_command_opts o = {
	    .argv = cfg->command,
	    .reaper = rk_reaper_enabled(cfg),
	    .listen_fds = a->listen_fds,
	    .set_listen_pid = a->set_listen_pid,
	};
	rc = rk_command_run(&o);
	fflush(NULL);
	_exit(rc);
}
