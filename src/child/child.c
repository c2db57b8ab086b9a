// SPDX-License-Identifier: Apache-2.0
/*
 * child.c - the child process: first process of the new namespaces (SPEC 1.2).
 *
 * Theory of operation (the parent/child handshake, seen from here): the child is cloned with
 * every namespace at once, so it already holds all capabilities in its user namespace, but its
 * IDs are unmapped. It arms PDEATHSIG and waits for MAPS_DONE: an EOF instead means the parent
 * died before or while we armed it, and we leave. With the maps written it becomes root
 * (uid/gid 0, no supplementary groups), sets mount propagation, mounts /proc for a new PID
 * namespace, makes the detached netns, brings lo up and lets the network driver prepare (the
 * tap for slirp4netns), then reports CHILD_READY. While the parent starts the network helper,
 * the child copies up directories and remounts /sys. On NET_CONFIG it configures the network
 * (DHCP for lxc-user-nic, netlink for the interface, resolv.conf and hosts) and answers
 * NET_DONE with what it configured. It starts the command only on START, which the parent
 * sends after child_pid exists, so a command can rely on the state directory being complete.
 *
 * Every wait is the child's event loop: the channel to the parent, and from the end of the
 * set-up on a signalfd (signals are forwarded to the command) and whatever a driver registered
 * (the DHCP renewal timer). During the set-up signals keep their default dispositions, so a
 * Ctrl-C or a SIGTERM forwarded by the parent ends a slow set-up.
 */
#include "child/child.h"
#include "cli/validate.h"
#include "net/net.h"
#include "port/port.h"
#include "util/chan.h"
#include "util/goparse.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/msg.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

struct rk_child {
	const struct rk_child_args *a;
	struct rk_loop *loop;
	struct rk_chan chan;
	struct rk_command cmd;
};

/* Run the loop until the parent's message of @type arrives; die on anything else. */
static void rk_child_expect(struct rk_child *c, enum rk_msg_type type, struct rk_msg *m)
{
	int rc = rk_chan_expect(&c->chan, c->loop, type, NULL, m);

	if (rc == -EPIPE)
		_exit(1); /* the parent died: nobody is left to report to */
	if (rc < 0)
		rk_die("parent<->child channel: unexpected message (%s)",
		       rc == -EBADMSG ? "wrong type" : go_strerror(-rc));
}

static void rk_child_send(struct rk_child *c, const struct rk_msg *m)
{
	if (rk_msg_send(c->a->sock, m) < 0)
		_exit(1); /* the parent died */
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

static void rk_child_signals(bool block)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &all, NULL);
}

static void rk_child_on_signal(struct rk_loop *loop, const struct signalfd_siginfo *si, void *data)
{
	struct rk_child *c = data;

	rk_command_on_signal(&c->cmd, (int)si->ssi_signo);
}

/* Up to CHILD_READY: credentials, mounts that must precede the network, the netns. */
static void rk_child_early(struct rk_child *c, struct rk_net_child_env *env)
{
	const struct rk_config *cfg = c->a->cfg;
	struct rk_err err;
	struct rk_msg m;
	int rc;

	rk_child_expect(c, RK_MSG_MAPS_DONE, &m);
	rk_child_become_root(m.value != 0);
	if ((rc = rk_mounts_propagation(c->a->choice->propagation)) < 0)
		rk_die("failed to set propagation of / to %s: %s", cfg->propagation,
		       go_strerror(-rc));
	if (cfg->pidns)
		rk_mounts_proc();
	rk_err_clear(&err);
	if (cfg->detach_netns && rk_child_netns_detach(env->state_dir, &env->nsfd, &err) < 0)
		rk_die("%s", err.msg);
	if (rk_child_net_prepare(c->a->choice->net, env, &err) < 0)
		rk_die("%s", err.msg);
	m = rk_msg_init(RK_MSG_CHILD_READY, 0);
	m.fd = *env->ready_fd;
	rk_child_send(c, &m);
	if (*env->ready_fd >= 0) {
		close(*env->ready_fd); /* the parent has it now */
		*env->ready_fd = -1;
	}
}

/* From CHILD_READY to NET_DONE: copy-up, /sys, the network. */
static void rk_child_setup(struct rk_child *c, struct rk_net_child_env *env)
{
	const struct rk_config *cfg = c->a->cfg;
	const struct rk_net_driver *ops = c->a->choice->net;
	struct rk_err err;
	struct rk_msg m;

	rk_copyup(cfg->copy_up.v, cfg->copy_up.n);
	rk_err_clear(&err);
	if (ops->child_part && !cfg->detach_netns &&
	    rk_mounts_sys(cfg->evacuate_cgroup2[0] != '\0', &err) < 0)
		rk_die("%s", err.msg);
	rk_child_expect(c, RK_MSG_NET_CONFIG, &m);
	if (rk_child_net_configure(ops, env, &m.u.net, c->a->choice->etc_copied, &err) < 0)
		rk_die("%s", err.msg);
	if (c->a->choice->port->child_sockets &&
	    rk_child_portsvc_init(&c->chan, c->a->sock, env->nsfd) < 0)
		rk_die("port driver: %s", go_strerror(errno));
	rk_child_signals(true);
	m.type = RK_MSG_NET_DONE;
	m.fd = -1;
	rk_child_send(c, &m);
}

void rk_child_main(const struct rk_child_args *a)
{
	struct rk_child c = {.a = a};
	int ready_fd = -1;
	struct rk_net_child_env env = {
	    .cfg = a->cfg, .nsfd = -1, .state_dir = a->state_dir, .ready_fd = &ready_fd};
	struct rk_msg m;
	sigset_t all;
	int rc;

	rk_log_set_role("child ");
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	rk_child_signals(false);
	for (int i = 0; i < a->nclose_fds; i++)
		if (a->close_fds[i] >= 0)
			close(a->close_fds[i]);
	if ((rc = rk_loop_new(&c.loop)) < 0 || (rc = rk_chan_watch(&c.chan, c.loop, a->sock)) < 0)
		rk_die("event loop: %s", go_strerror(-rc));
	env.loop = c.loop;

	rk_child_early(&c, &env);
	rk_child_setup(&c, &env);
	rk_child_expect(&c, RK_MSG_START, &m);

	/* every signal is blocked now: read them from here on and pass them to the command */
	sigfillset(&all);
	if ((rc = rk_loop_add_signals(c.loop, &all, rk_child_on_signal, &c, NULL)) < 0)
		rk_die("signalfd: %s", go_strerror(-rc));
	struct rk_command_opts o = {
	    .argv = a->cfg->command,
	    .reaper = a->choice->reaper,
	    .listen_fds = a->listen_fds,
	    .set_listen_pid = a->set_listen_pid,
	};
	if ((rc = rk_command_start(&o, &c.cmd)) > 0) {
		fflush(NULL);
		_exit(rc);
	}
	rk_loop_run_until(c.loop, &c.cmd.done, -1);
	rc = rk_command_finish(&c.cmd);
	fflush(NULL);
	_exit(rc);
}
