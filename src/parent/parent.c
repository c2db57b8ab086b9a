// SPDX-License-Identifier: Apache-2.0
/*
 * parent.c - the parent process (SPEC 1.1).
 *
 * Theory of operation: the parent blocks every signal and reads them from a signalfd in its
 * event loop (util/loop.c), so no handler ever runs and no signal is lost. It clones the child
 * with all requested namespaces at once (CLONE_NEWUSER first in the kernel's order, so the
 * child owns the others) and talks to it over a SOCK_SEQPACKET pair (util/msg.h):
 *
 *   parent                                   child
 *   clone --------------------------------->  arm PDEATHSIG, wait
 *   newuidmap/newgidmap, MAPS_DONE -------->  become root, propagation, /proc, detached netns,
 *                                             lo up, the driver's prepare (tap)
 *                          <--------------   CHILD_READY
 *   evacuate cgroup2, start the network       copy-up, /sys
 *   driver (slirp4netns, pasta, ...)
 *   NET_CONFIG ---------------------------->  DHCP, interface, resolv.conf, hosts, /etc binds
 *                          <--------------   NET_DONE (what was configured)
 *   write child_pid
 *   START --------------------------------->  start the command, forward signals, wait
 *   forward signals, watch helpers            exit with the command's status
 *   stop the driver, remove the state dir, exit with the child's status
 *
 * The loop holds the signalfd, the channel, a pidfd for the child and one for each helper a
 * driver starts; waiting for anything means running the loop until a flag is set, so every
 * wait also forwards signals and notices a dead child or helper. The child's exit, seen through
 * its pidfd, ends every wait. An EOF on the channel means the child died (it has printed why);
 * the parent then reports its status. Every exit path after the state dir exists removes it.
 */
#include "parent/parent.h"
#include "child/child.h"
#include "api/api.h"
#include "cli/validate.h"
#include "net/net.h"
#include "parent/cgroup.h"
#include "parent/idmap.h"
#include "parent/preflight.h"
#include "port/port.h"
#include "parent/statedir.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/chan.h"
#include "util/goparse.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/msg.h"
#include "util/proc.h"
#include "util/signames.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct rk_parent {
	const struct rk_config *cfg;
	const struct rk_choice *choice;
	struct rk_statedir sd;
	struct rk_loop *loop;
	struct rk_net net;
	struct rk_ports *ports;
	struct rk_api_server *api;
	int sock;
	pid_t child;
	bool child_exited; /* seen through its pidfd; .child_status holds its wait status */
	int child_status;
	struct rk_chan chan;
	int listen_fds;
	bool set_listen_pid;
	char netns_path[PATH_MAX];
	int child_fd; /* what the child passed with CHILD_READY (the built-in stack's tap), or -1 */
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
	flags |= p->choice->net->new_netns && !cfg->detach_netns ? CLONE_NEWNET : 0;
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
		const int close_fds[] = {sp[0], p->sd.dirfd, p->sd.lockfd};
		struct rk_child_args a = {
		    .cfg = cfg,
		    .choice = p->choice,
		    .state_dir = p->sd.path,
		    .sock = sp[1],
		    .listen_fds = p->listen_fds,
		    .set_listen_pid = p->set_listen_pid,
		    .close_fds = close_fds,
		    .nclose_fds = 3,
		};
		rk_child_main(&a);
	}
	close(sp[1]);
	/* never block on the child: a full channel is retried from the loop */
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	p->sock = sp[0];
	p->child = pid;
	rk_debug("started the child: pid %d, clone flags 0x%lx", (int)pid, flags);
	return 0;
}

static void rk_parent_on_signal(struct rk_loop *loop, const struct signalfd_siginfo *si, void *data)
{
	const struct rk_parent *p = data;
	int sig = (int)si->ssi_signo;

	if (sig == SIGCHLD || sig == SIGPIPE || sig == SIGURG || p->child_exited)
		return;
	rk_debug("forwarding signal %d to the child", sig);
	kill(p->child, sig);
}

static void rk_parent_on_child_exit(struct rk_loop *loop, struct rk_loop_src *src, pid_t pid,
				    int status, void *data)
{
	struct rk_parent *p = data;

	p->child_exited = true;
	p->child_status = status;
}

/*
 * Wait for the child's message of @type. Return: 0; -EPIPE if the child died (its status
 * tells why); -EPROTO with a message printed if it said something else.
 */
static int rk_parent_expect(struct rk_parent *p, enum rk_msg_type type, struct rk_msg *m)
{
	int rc = rk_chan_expect(&p->chan, p->loop, type, &p->child_exited, m);

	if (rc == -EPROTO)
		rk_error("parent<->child channel: protocol error");
	else if (rc == -EBADMSG)
		rk_error("parent<->child channel: unexpected message %u", p->chan.msg.type);
	if (rc == -EPROTO || rc == -EBADMSG)
		return -EPROTO;
	return rc < 0 ? -EPIPE : 0;
}

static int rk_parent_exit_code(int status)
{
	char what[128];

	if (status < 0) {
		rk_error("failed to wait for the child: status lost");
		return 1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	rk_wait_status_str(status, true, what, sizeof(what));
	rk_error("child exited: %s", what);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

/* The network driver's parent half and the child's configuration. Return: 0, 1, or -1. */
static int rk_parent_network(struct rk_parent *p)
{
	struct rk_net_parent_env env = {
	    .loop = p->loop,
	    .child_pid = p->child,
	    .state_dir = p->sd.path,
	    .abort = &p->child_exited,
	    .child_fd = &p->child_fd,
	};
	struct rk_msg m = rk_msg_init(RK_MSG_NET_CONFIG, 0);
	struct rk_err err;
	int rc;

	if (p->cfg->detach_netns) {
		snprintf(p->netns_path, sizeof(p->netns_path), "/proc/%d/root%s/netns",
			 (int)p->child, p->sd.path);
		env.netns_path = p->netns_path;
	}
	rk_err_clear(&err);
	rc = p->net.ops->start ? p->net.ops->start(&p->net, &env, &m.u.net, &err) : 0;
	rk_close(&p->child_fd); /* the driver took it, or it has no use */
	if (rc < 0) {
		if (p->child_exited)
			return -1; /* the child's status tells */
		rk_error("failed to setup network %s: %s", p->net.ops->name, err.msg);
		return 1;
	}
	if (rk_msg_send(p->sock, &m) < 0)
		return -1;
	if ((rc = rk_parent_expect(p, RK_MSG_NET_DONE, &m)) < 0)
		return rc == -EPROTO ? 1 : -1;
	rk_debug("network: dev %s ip %s/%d gw %s dns %s mtu %d", m.u.net.dev, m.u.net.ip,
		 m.u.net.netmask, m.u.net.gateway, m.u.net.dns[0], m.u.net.mtu);
	return 0;
}

/* Messages the child sends at any time: the port driver's sockets. */
static bool rk_parent_on_msg(struct rk_chan *c, struct rk_msg *m, void *data)
{
	struct rk_parent *p = data;

	return rk_ports_on_msg(p->ports, m);
}

/* The port driver and the -p ports. Return: 0, 1, or -1 (the child died). */
static int rk_parent_ports(struct rk_parent *p)
{
	struct rk_port_env env = {
	    .loop = p->loop,
	    .cfg = p->cfg,
	    .state_dir = p->sd.path,
	    .chan_sock = p->sock,
	    .child_pid = p->child,
	    .net = p->net.ops->new_netns ? &p->net.info : NULL,
	    .stack = rk_net_stack(&p->net),
	};

	struct rk_api_ctx ctx = {
	    .state_dir = p->sd.path,
	    .child_pid = p->child,
	    .net = env.net,
	    .port = p->choice->port,
	};
	char path[PATH_MAX];
	struct rk_err err;
	int rc;

	rk_chan_set_handler(&p->chan, rk_parent_on_msg, p);
	if ((rc = rk_publish_start(&p->ports, p->choice->port, &env, &p->child_exited)) != 0)
		return rc;
	/* the API answers before the command starts (upstream may start it first) */
	ctx.ports = p->ports;
	snprintf(path, sizeof(path), "%s/api.sock", p->sd.path);
	rk_err_clear(&err);
	if (rk_api_start(&p->api, p->loop, path, &ctx, &err) < 0) {
		rk_error("failed to start the API: %s", err.msg);
		return 1;
	}
	return 0;
}

/* Everything between the child's creation and START. Return: 0, an exit code > 0, or -1 when
 * the child died (its status is the exit code). */
static int rk_parent_setup_child(struct rk_parent *p)
{
	char pidstr[16];
	bool setgroups_ok = false;
	struct rk_err err;
	struct rk_msg m;
	int rc;

	rk_err_clear(&err);
	if (rk_idmap_setup(p->child, p->choice->subid, &setgroups_ok, &err) < 0) {
		rk_error("%s", err.msg);
		return 1;
	}
	if (rk_msg_send_simple(p->sock, RK_MSG_MAPS_DONE, setgroups_ok) < 0)
		return -1; /* the child died: its status tells */
	if ((rc = rk_parent_expect(p, RK_MSG_CHILD_READY, &m)) < 0)
		return rc == -EPROTO ? 1 : -1;
	p->child_fd = m.fd;
	rk_debug("the child is set up");
	if (p->cfg->evacuate_cgroup2[0] &&
	    (rc = rk_cgroup_evacuate(p->cfg->evacuate_cgroup2)) < 0) {
		rk_error("failed to evacuate cgroup2: %s", go_strerror(-rc));
		return 1;
	}
	if ((rc = rk_parent_network(p)) != 0)
		return rc;
	if ((rc = rk_parent_ports(p)) != 0)
		return rc;
	snprintf(pidstr, sizeof(pidstr), "%d", (int)p->child);
	if ((rc = rk_statedir_write(&p->sd, "child_pid", pidstr, 0444)) < 0) {
		rk_error("failed to write %s/child_pid: %s", p->sd.path, go_strerror(-rc));
		return 1;
	}
	if (rk_msg_send_simple(p->sock, RK_MSG_START, 0) < 0)
		return -1;
	rk_debug("wrote %s/child_pid, starting the command", p->sd.path);
	return 0;
}

static int rk_parent_loop_setup(struct rk_parent *p)
{
	sigset_t all;
	int rc;

	sigfillset(&all);
	if ((rc = rk_loop_new(&p->loop)) < 0 ||
	    (rc = rk_loop_add_signals(p->loop, &all, rk_parent_on_signal, p, NULL)) < 0)
		return rc;
	return 0;
}

static int rk_parent_watch_child(struct rk_parent *p)
{
	int rc = rk_loop_add_pid(p->loop, p->child, rk_parent_on_child_exit, p, NULL);

	if (rc < 0)
		return rc;
	return rk_chan_watch(&p->chan, p->loop, p->sock);
}

/* Wait for the child to end (it was told to start, or was killed); return its exit code. */
static int rk_parent_wait_child(struct rk_parent *p)
{
	int rc = rk_loop_run_until(p->loop, &p->child_exited, -1);

	if (rc < 0) {
		rk_error("failed to wait for the child: %s", go_strerror(-rc));
		return 1;
	}
	return rk_parent_exit_code(p->child_status);
}

static int rk_parent_start(struct rk_parent *p)
{
	int rc;

	if ((rc = rk_parent_env(p)) < 0) {
		rk_error("failed to prepare: %s", go_strerror(-rc));
		return 1;
	}
	rk_debug("state dir: %s", p->sd.path);
	/* the loop is made after the clone, so that none of its fds reach the child */
	if ((rc = rk_parent_spawn(p)) < 0) {
		rk_parent_clone_error(-rc);
		return 1;
	}
	if ((rc = rk_parent_loop_setup(p)) < 0 || (rc = rk_parent_watch_child(p)) < 0) {
		rk_error("failed to watch the child: %s", go_strerror(-rc));
		kill(p->child, SIGKILL);
		waitpid(p->child, NULL, 0);
		return 1;
	}
	rc = rk_parent_setup_child(p);
	if (rc > 0) {
		kill(p->child, SIGKILL);
		rk_loop_run_until(p->loop, &p->child_exited, -1);
		return rc;
	}
	return rk_parent_wait_child(p);
}

int rk_parent_run(const struct rk_config *cfg, const struct rk_choice *choice)
{
	struct rk_parent p = {
	    .cfg = cfg, .choice = choice, .sock = -1, .child = -1, .child_fd = -1};
	struct rk_err err;
	sigset_t all;
	int code;

	/* from here on signals wait for the loop's signalfd: none can kill the parent half-way */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	rk_parent_socket_activation(&p);
	/* inherited fds other than stdio and socket activation must not reach helpers */
	rk_fds_cloexec_from(3 + p.listen_fds);
	rk_rlimit_raise();
	rk_err_clear(&err);
	if (rk_net_probe(&p.net, choice->net, cfg, &err) < 0) {
		rk_error("%s", err.msg);
		rk_net_stop(&p.net);
		return 1;
	}
	rk_preflight(cfg->propagation);
	if (rk_statedir_open(cfg->state_dir, &p.sd, &err) < 0) {
		rk_error("%s", err.msg);
		rk_net_stop(&p.net);
		return 1;
	}
	code = rk_parent_start(&p);
	rk_ports_stop(p.ports);
	rk_api_stop(p.api);
	rk_net_stop(&p.net);
	if (p.sock >= 0)
		close(p.sock);
	rk_loop_free(p.loop);
	rk_statedir_remove(&p.sd);
	return code;
}
