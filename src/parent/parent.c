// SPDX-License-Identifier: Apache-2.0
/*
 * parent.c - the parent process (SPEC 1.1).
 *
 * Theory of operation: the parent blocks every signal it forwards and reads them from a
 * signalfd, so no handler ever runs and no signal is lost. It clones the child with all
 * requested namespaces at once (CLONE_NEWUSER first in the kernel's order, so the child owns
 * the others) and talks to it over a SOCK_SEQPACKET pair:
 *
 *   parent                                   child
 *   clone --------------------------------->  arm PDEATHSIG, wait
 *   newuidmap/newgidmap, MAPS_DONE -------->  become root, propagation, /proc, copy-up
 *                          <--------------   CHILD_READY
 *   evacuate cgroup2, write child_pid
 *   START --------------------------------->  start the command, forward signals, wait
 *   forward signals, wait for the child       exit with the command's status
 *   remove the state dir, exit with the child's status
 *
 * Every exit path after the state dir exists removes it. An EOF on the channel means the
 * child died (it has printed why); the parent then reaps it and reports its status.
 */
#include "parent/parent.h"
#include "child/child.h"
#include "cli/validate.h"
#include "parent/cgroup.h"
#include "parent/idmap.h"
#include "parent/preflight.h"
#include "parent/statedir.h"
#include "util/fsutil.h"
#include "util/goparse.h"
#include "util/log.h"
#include "util/msg.h"
#include "util/proc.h"
#include "util/signames.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct rk_parent {
	const struct rk_config *cfg;
	struct rk_statedir sd;
	int sfd;
	int sock;
	pid_t child;
	int listen_fds;
	bool set_listen_pid;
};

/* LISTEN_PID/LISTEN_FDS (SPEC 5.7): how many fds to pass, and whether LISTEN_PID is ours. */
static void rk_parent_socket_activation(struct rk_parent *p)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *e1, *e2;
	long lp, lf;

	if (!pid || !fds || !*pid || !*fds)
		return;
	lp = strtol(pid, &e1, 10);
	lf = strtol(fds, &e2, 10);
	if (*e1 || *e2 || lf <= 0 || lf > 4096)
		return;
	p->listen_fds = (int)lf;
	p->set_listen_pid = lp == (long)getpid();
}

static int rk_parent_env(const struct rk_parent *p)
{
	char buf[32];

	if (setenv("ROOTLESSKIT_STATE_DIR", p->sd.path, 1) < 0)
		return -errno;
	snprintf(buf, sizeof(buf), "%u", (unsigned)geteuid());
	if (setenv("ROOTLESSKIT_PARENT_EUID", buf, 1) < 0)
		return -errno;
	snprintf(buf, sizeof(buf), "%u", (unsigned)getegid());
	return setenv("ROOTLESSKIT_PARENT_EGID", buf, 1) < 0 ? -errno : 0;
}

static void rk_parent_clone_error(int e)
{
	char et[128];

	rk_error("failed to start the child: clone: %s", go_errno_text(e, et, sizeof(et)));
	if (e == EACCES || e == EPERM)
		rk_preflight_apparmor_hint();
}

static int rk_parent_spawn(struct rk_parent *p)
{
	const struct rk_config *cfg = p->cfg;
	unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD;
	int sp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	flags |= cfg->pidns ? CLONE_NEWPID : 0;
	flags |= cfg->cgroupns ? CLONE_NEWCGROUP : 0;
	flags |= cfg->utsns ? CLONE_NEWUTS : 0;
	flags |= cfg->ipcns ? CLONE_NEWIPC : 0;
	fflush(NULL);
	/* fork-like clone: a NULL stack means the child runs on a copy of ours */
	pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		int e = errno;
		close(sp[0]);
		close(sp[1]);
		return -e;
	}
	if (pid == 0) {
		struct rk_child_args a = {
		    .cfg = cfg,
		    .sock = sp[1],
		    .listen_fds = p->listen_fds,
		    .set_listen_pid = p->set_listen_pid,
		};
		close(sp[0]);
		close(p->sfd);
		rk_child_main(&a);
	}
	close(sp[1]);
	p->sock = sp[0];
	p->child = pid;
	rk_debug("started the child: pid %d, clone flags 0x%lx", (int)pid, flags);
	return 0;
}

static void rk_parent_forward(const struct rk_parent *p, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;

	if (sig == SIGCHLD || sig == SIGPIPE || sig == SIGURG)
		return;
	rk_debug("forwarding signal %d to the child", sig);
	kill(p->child, sig);
}

/* Wait for CHILD_READY, forwarding signals meanwhile. Return: 0, -EPIPE if the child died. */
static int rk_parent_wait_ready(struct rk_parent *p)
{
	struct pollfd fds[2] = {{.fd = p->sfd, .events = POLLIN},
				{.fd = p->sock, .events = POLLIN}};
	struct signalfd_siginfo si;
	struct rk_msg m;

	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((fds[0].revents & POLLIN) && read(p->sfd, &si, sizeof(si)) == sizeof(si))
			rk_parent_forward(p, &si);
		if (fds[1].revents) {
			int rc = rk_msg_recv(p->sock, &m);
			if (rc < 0)
				return rc;
			if (m.type == RK_MSG_CHILD_READY)
				return 0;
			return -EPROTO;
		}
	}
}

/* Forward signals until the child exits; return its wait status. */
static int rk_parent_wait_child(struct rk_parent *p)
{
	struct signalfd_siginfo si;
	int status;

	for (;;) {
		pid_t r = waitpid(p->child, &status, WNOHANG);
		if (r == p->child)
			return status;
		if (r < 0 && errno != EINTR)
			return -errno;
		ssize_t n = read(p->sfd, &si, sizeof(si));
		if (n == (ssize_t)sizeof(si))
			rk_parent_forward(p, &si);
		else if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int rk_parent_exit_code(int status)
{
	char what[128];

	if (status < 0) {
		rk_error("failed to wait for the child: %s", go_strerror(-status));
		return 1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	rk_wait_status_str(status, true, what, sizeof(what));
	rk_error("child exited: %s", what);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

/* Everything between the child's creation and START. Return: 0 or an exit code > 0. */
static int rk_parent_setup_child(struct rk_parent *p)
{
	char err[8192], pidstr[16];
	bool setgroups_ok = false;
	int rc;

	rc = rk_idmap_setup(p->child, p->cfg->subid_source, &setgroups_ok, err, sizeof(err));
	if (rc < 0) {
		rk_error("%s", err);
		return 1;
	}
	if (rk_msg_send(p->sock, RK_MSG_MAPS_DONE, setgroups_ok) < 0)
		return -1; /* the child died: its status tells */
	if (rk_parent_wait_ready(p) < 0)
		return -1;
	rk_debug("the child is set up");
	if (p->cfg->evacuate_cgroup2[0] &&
	    (rc = rk_cgroup_evacuate(p->cfg->evacuate_cgroup2)) < 0) {
		rk_error("failed to evacuate cgroup2: %s", go_strerror(-rc));
		return 1;
	}
	snprintf(pidstr, sizeof(pidstr), "%d", (int)p->child);
	if ((rc = rk_statedir_write(&p->sd, "child_pid", pidstr, 0444)) < 0) {
		rk_error("failed to write %s/child_pid: %s", p->sd.path, go_strerror(-rc));
		return 1;
	}
	if (rk_msg_send(p->sock, RK_MSG_START, 0) < 0)
		return -1;
	rk_debug("wrote %s/child_pid, starting the command", p->sd.path);
	return 0;
}

static int rk_parent_block_signals(struct rk_parent *p)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	p->sfd = signalfd(-1, &all, SFD_CLOEXEC);
	return p->sfd < 0 ? -errno : 0;
}

int rk_parent_run(const struct rk_config *cfg)
{
	struct rk_parent p = {.cfg = cfg, .sfd = -1, .sock = -1, .child = -1};
	char err[4096];
	int rc, code;

	rk_parent_socket_activation(&p);
	/* inherited fds other than stdio and socket activation must not reach helpers */
	rk_fds_cloexec_from(3 + p.listen_fds);
	rk_preflight(cfg->propagation);
	if (rk_statedir_open(cfg->state_dir, &p.sd, err, sizeof(err)) < 0) {
		rk_error("%s", err);
		return 1;
	}
	if ((rc = rk_parent_env(&p)) < 0 || (rc = rk_parent_block_signals(&p)) < 0) {
		rk_error("failed to prepare: %s", go_strerror(-rc));
		rk_statedir_remove(&p.sd);
		return 1;
	}
	rk_debug("state dir: %s", p.sd.path);
	if ((rc = rk_parent_spawn(&p)) < 0) {
		rk_parent_clone_error(-rc);
		rk_statedir_remove(&p.sd);
		return 1;
	}
	code = rk_parent_setup_child(&p);
	if (code > 0) {
		kill(p.child, SIGKILL);
		waitpid(p.child, NULL, 0);
	} else {
		close(p.sock);
		p.sock = -1;
		code = rk_parent_exit_code(rk_parent_wait_child(&p));
	}
	if (p.sock >= 0)
		close(p.sock);
	rk_statedir_remove(&p.sd);
	return code;
}
