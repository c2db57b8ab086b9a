// SPDX-License-Identifier: Apache-2.0
/*
 * lxcusernic.c - --net=lxc-user-nic (SPEC 7.5).
 *
 * The parent runs the SUID helper `lxc-user-nic create /dev/null dummy <pid> veth <bridge>
 * <ifname>`, which makes a veth pair, attaches one end to the bridge and moves the other into
 * the netns of <pid>. With --detach-netns <pid> is a holder process the parent forks: it joins
 * the child's user namespace and the detached netns and sleeps until killed.
 *
 * The child then brings the interface up and asks for an address with DHCPv4 (net/dhcp.c),
 * driven by its event loop, and renews the lease every 0.9 x lease time. Upstream aborts the
 * whole run when a renewal fails or the address changes; here a failed renewal is a warning
 * and is retried a minute later, and a changed address is a warning (the command keeps its
 * configured address), so a flaky DHCP server does not kill the user's daemon.
 */
#include "net/dhcp.h"
#include "net/net.h"
#include "net/netns.h"
#include "net/nl.h"
#include "parent/helper.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/goparse.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/signames.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define RK_LXC_MTU	       1500
#define RK_LXC_IFNAME	       "eth0"
#define RK_LXC_RETRY_MS	       60000
#define RK_LXC_DHCP_TIMEOUT_MS 30000

struct rk_lxc {
	char path[PATH_MAX];
	pid_t holder;
	struct rk_helper h;
};

static int rk_lxc_validate(const struct rk_config *cfg, struct rk_strv *warnings,
			   struct rk_err *err)
{
	if (warnings)
		rk_strv_add(warnings, "\"lxc-user-nic\" network driver is experimental");
	if (cfg->cidr[0])
		return rk_err_set(err, EINVAL,
				  "custom cidr is not supported for --net=lxc-user-nic");
	if (!cfg->disable_host_loopback && warnings)
		rk_strv_add(warnings, "--disable-host-loopback is implicitly set for lxc-user-nic");
	return 0;
}

/* The default of --lxc-user-nic-binary: the first of upstream's places that exists. */
static const char *rk_lxc_default_binary(char *buf, size_t len)
{
	struct utsname u;
	char arch[PATH_MAX];

	if (uname(&u) == 0) {
		snprintf(arch, sizeof(arch), "/usr/lib/%s-linux-gnu/lxc/lxc-user-nic", u.machine);
	} else {
		arch[0] = '\0';
	}
	const char *cands[] = {"/usr/libexec/lxc/lxc-user-nic", arch, "/usr/lib/lxc/lxc-user-nic"};
	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		if (cands[i][0] && access(cands[i], F_OK) == 0) {
			snprintf(buf, len, "%s", cands[i]);
			return buf;
		}
	}
	return "";
}

static int rk_lxc_probe(struct rk_net *net, struct rk_err *err)
{
	struct rk_lxc *l = calloc(1, sizeof(*l));
	const char *bin = net->cfg->lxc_user_nic_binary;
	char def[PATH_MAX];

	if (!l)
		return rk_err_set(err, ENOMEM, "out of memory");
	net->priv = l;
	l->holder = -1;
	l->h.pid = -1;
	if (!bin[0])
		bin = rk_lxc_default_binary(def, sizeof(def));
	return rk_lookpath_err(bin, l->path, sizeof(l->path), err);
}

/*
 * The holder for --detach-netns: a process in the child's user namespace and the detached
 * netns, so that lxc-user-nic can find the netns through /proc/<pid>/ns/net.
 */
static int rk_lxc_holder(struct rk_lxc *l, const struct rk_net_parent_env *env, struct rk_err *err)
{
	char upath[64];
	int sp[2];
	char ok = 0;

	snprintf(upath, sizeof(upath), "/proc/%d/ns/user", (int)env->child_pid);
	if (pipe2(sp, O_CLOEXEC) < 0)
		return rk_err_errno(err, errno, "pipe");
	l->holder = fork();
	if (l->holder < 0) {
		close(sp[0]);
		close(sp[1]);
		return rk_err_errno(err, errno, "fork");
	}
	if (l->holder == 0) {
		int u, n;
		char r = 1;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sp[0]);
		u = open(upath, O_RDONLY | O_CLOEXEC);
		n = open(env->netns_path, O_RDONLY | O_CLOEXEC);
		if (u < 0 || n < 0 || setns(u, CLONE_NEWUSER) < 0 || setns(n, CLONE_NEWNET) < 0)
			r = 0;
		while (write(sp[1], &r, 1) < 0 && errno == EINTR)
			;
		close(sp[1]);
		for (;;)
			pause();
	}
	close(sp[1]);
	while (read(sp[0], &ok, 1) < 0 && errno == EINTR)
		;
	close(sp[0]);
	if (!ok)
		return rk_err_set(err, EPERM, "cannot join the detached netns %s", env->netns_path);
	return 0;
}

static int rk_lxc_start(struct rk_net *net, const struct rk_net_parent_env *env,
			struct rk_msg_net *out, struct rk_err *err)
{
	const struct rk_config *cfg = net->cfg;
	struct rk_lxc *l = net->priv;
	const char *ifname = rk_net_ifname(cfg, RK_LXC_IFNAME);
	char pid[16];
	int rc;

	if (env->netns_path && (rc = rk_lxc_holder(l, env, err)) < 0)
		return rc;
	snprintf(pid, sizeof(pid), "%d", (int)(env->netns_path ? l->holder : env->child_pid));
	char *argv[] = {l->path,
			(char *)"create",
			(char *)"/dev/null",
			(char *)"dummy",
			pid,
			(char *)"veth",
			(char *)cfg->lxc_user_nic_bridge,
			(char *)ifname,
			NULL};
	rk_debug("executing [%s create /dev/null dummy %s veth %s %s]", l->path, pid,
		 cfg->lxc_user_nic_bridge, ifname);
	snprintf(l->h.name, sizeof(l->h.name), "lxc-user-nic");
	if ((rc = rk_helper_start(&l->h, env->loop, argv, NULL, 0, err)) < 0)
		return rc;
	if ((rc = rk_net_wait_helper(env, &l->h, &l->h.exited, l->path, "finish", err)) < 0)
		return rc;
	rk_helper_drain(&l->h);
	if (!WIFEXITED(l->h.status) || WEXITSTATUS(l->h.status) != 0) {
		char st[128];
		return rk_err_set(err, EIO, "%s failed: %s: %s", l->path, l->h.tail,
				  rk_helper_status_text(&l->h, st, sizeof(st)));
	}
	snprintf(out->dev, sizeof(out->dev), "%s", ifname);
	out->mtu = rk_net_mtu(cfg, RK_LXC_MTU);
	out->flags = RK_MSG_NET_DHCP;
	net->info.dynamic_child_ip = true;
	return 0;
}

static void rk_lxc_stop(struct rk_net *net)
{
	struct rk_lxc *l = net->priv;

	if (!l)
		return;
	rk_helper_stop(&l->h);
	if (l->holder > 0) {
		kill(l->holder, SIGKILL);
		while (waitpid(l->holder, NULL, 0) < 0 && errno == EINTR)
			;
		l->holder = -1;
	}
	free(l);
	net->priv = NULL;
}

/* --- child side: link up and DHCP, driven by the child's loop --- */

struct rk_lxc_dhcp {
	struct rk_loop *loop;
	struct rk_dhcp *d;
	struct rk_loop_src *fd_src, *timer_src;
	char dev[RK_MSG_IFNAMSIZ];
	bool busy; /* an exchange is running */
	bool done; /* the current exchange ended */
	int rc;	   /* its result */
	struct rk_err err;
	struct rk_dhcp_lease lease;
	struct in_addr ip; /* the address configured at start */
	bool bound;	   /* the first lease was configured: later exchanges are renewals */
};

static void rk_lxc_dhcp_arm(struct rk_lxc_dhcp *x)
{
	long ms = x->busy ? rk_dhcp_next_timeout_ms(x->d) : -1;

	if (x->busy)
		rk_loop_timer_set(x->timer_src, ms > 0 ? (uint64_t)ms : 1, 0);
}

static void rk_lxc_dhcp_schedule(struct rk_lxc_dhcp *x, uint64_t ms)
{
	rk_loop_timer_set(x->timer_src, ms ? ms : 1, 0);
}

/* One exchange ended: as the first lease, or as a renewal. */
static void rk_lxc_dhcp_end(struct rk_lxc_dhcp *x, int rc)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	uint64_t next;

	x->busy = false;
	x->done = true;
	x->rc = rc;
	if (!x->bound)
		return; /* rk_lxc_child_configure takes it from here */
	if (rc < 0) {
		rk_warn("DHCP renewal on %s failed: %s (retrying in %d s)", x->dev, x->err.msg,
			RK_LXC_RETRY_MS / 1000);
		rk_lxc_dhcp_schedule(x, RK_LXC_RETRY_MS);
		return;
	}
	if (x->lease.ip.s_addr != x->ip.s_addr)
		rk_warn("DHCP renewal on %s offered %s instead of %s; keeping %s", x->dev,
			inet_ntop(AF_INET, &x->lease.ip, a, sizeof(a)),
			inet_ntop(AF_INET, &x->ip, b, sizeof(b)), b);
	next = (uint64_t)x->lease.lease_secs * 900; /* 0.9 x lease, in ms */
	rk_debug("DHCP lease on %s renewed for %u s", x->dev, (unsigned)x->lease.lease_secs);
	rk_lxc_dhcp_schedule(x, next);
}

static void rk_lxc_dhcp_begin(struct rk_lxc_dhcp *x)
{
	int rc;

	rk_err_clear(&x->err);
	x->done = false;
	x->busy = true;
	if ((rc = rk_dhcp_start(x->d, &x->err)) < 0) {
		rk_lxc_dhcp_end(x, rc);
		return;
	}
	rk_lxc_dhcp_arm(x);
}

static void rk_lxc_dhcp_on_input(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
				 void *data)
{
	struct rk_lxc_dhcp *x = data;
	int rc;

	if (!x->busy) { /* a late packet between exchanges: read and drop it */
		char sink[2048];
		while (recv(rk_dhcp_fd(x->d), sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
		return;
	}
	rc = rk_dhcp_input(x->d, &x->lease, &x->err);
	if (rc != 0)
		rk_lxc_dhcp_end(x, rc < 0 ? rc : 0);
	else
		rk_lxc_dhcp_arm(x);
}

static void rk_lxc_dhcp_on_timer(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
				 void *data)
{
	struct rk_lxc_dhcp *x = data;
	int rc;

	if (!x->busy) { /* renewal due */
		rk_lxc_dhcp_begin(x);
		return;
	}
	if ((rc = rk_dhcp_timeout(x->d, &x->err)) < 0)
		rk_lxc_dhcp_end(x, rc);
	else
		rk_lxc_dhcp_arm(x);
}

struct rk_lxc_ns_job {
	const char *dev;
	struct rk_dhcp **d;
	struct rk_err *err;
	char rp_all[8], rp_dev[8]; /* rp_filter values to restore after the first lease */
};

/*
 * The reverse-path filter (rp_filter 1 or 2, which a new netns inherits from the host's IPv4
 * settings; many distributions set 2) drops the server's broadcast replies while the interface
 * has no address and no route. It is off during the first exchange and restored afterwards,
 * when the routes make renewals pass it.
 */
static void rk_lxc_rp_filter(const char *dev, const char *value, char *saved, size_t savedlen)
{
	char path[128], *old = NULL;
	size_t len;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", dev);
	if (saved && rk_read_file(path, 16, &old, &len) == 0) {
		snprintf(saved, savedlen, "%.*s", (int)strcspn(old, "\n"), old);
		free(old);
	}
	if (value[0] && rk_write_existing(path, value) < 0)
		rk_debug("cannot write %s: %s", path, go_strerror(errno));
}

static int rk_lxc_rp_restore(void *arg)
{
	struct rk_lxc_ns_job *j = arg;

	rk_lxc_rp_filter("all", j->rp_all, NULL, 0);
	rk_lxc_rp_filter(j->dev, j->rp_dev, NULL, 0);
	return 0;
}

/* Inside the netns: link up, read the MAC, open the DHCP socket there. */
static int rk_lxc_ns_prepare(void *arg)
{
	struct rk_lxc_ns_job *j = arg;
	struct rk_nl *nl = NULL;
	unsigned char mac[6];
	int rc;

	rk_lxc_rp_filter("all", "0", j->rp_all, sizeof(j->rp_all));
	rk_lxc_rp_filter(j->dev, "0", j->rp_dev, sizeof(j->rp_dev));

	if ((rc = rk_nl_open(&nl, j->err)) < 0)
		return rc;
	if ((rc = rk_nl_link_up(nl, j->dev, j->err)) >= 0)
		rc = rk_nl_link_get_mac(nl, j->dev, mac, j->err);
	rk_nl_close(nl);
	if (rc < 0)
		return rc;
	return rk_dhcp_new(j->dev, mac, j->d, j->err);
}

static int rk_lxc_child_configure(const struct rk_net_child_env *env, struct rk_msg_net *m,
				  struct rk_err *err)
{
	struct rk_lxc_dhcp *x = calloc(1, sizeof(*x)); /* lives as long as the child */
	struct rk_lxc_ns_job j;
	int rc;

	if (!x)
		return rk_err_set(err, ENOMEM, "out of memory");
	x->loop = env->loop;
	snprintf(x->dev, sizeof(x->dev), "%s", m->dev);
	j = (struct rk_lxc_ns_job){.dev = x->dev, .d = &x->d, .err = err};
	if ((rc = rk_netns_run(env->nsfd, rk_lxc_ns_prepare, &j)) < 0)
		return err->code ? rc : rk_err_errno(err, -rc, "entering the network namespace");
	if ((rc = rk_loop_add_fd(env->loop, rk_dhcp_fd(x->d), EPOLLIN, false, rk_lxc_dhcp_on_input,
				 x, &x->fd_src)) < 0 ||
	    (rc = rk_loop_add_timer(env->loop, 0, 0, rk_lxc_dhcp_on_timer, x, &x->timer_src)) < 0)
		return rk_err_errno(err, -rc, "watching the DHCP socket");
	rk_debug("exchanging DHCP messages using %s, may take a few seconds", x->dev);
	rk_lxc_dhcp_begin(x);
	while (!x->done)
		if ((rc = rk_loop_run_once(env->loop, -1)) < 0)
			return rk_err_errno(err, -rc, "waiting for DHCP");
	rk_netns_run(env->nsfd, rk_lxc_rp_restore, &j);
	if (x->rc < 0) {
		*err = x->err;
		return x->rc;
	}
	inet_ntop(AF_INET, &x->lease.ip, m->ip, sizeof(m->ip));
	inet_ntop(AF_INET, &x->lease.router, m->gateway, sizeof(m->gateway));
	inet_ntop(AF_INET, &x->lease.dns[0], m->dns[0], sizeof(m->dns[0]));
	m->netmask = x->lease.prefixlen;
	x->ip = x->lease.ip;
	x->bound = true;
	rk_lxc_dhcp_schedule(x, (uint64_t)x->lease.lease_secs * 900);
	rk_debug("DHCP lease on %s: %s/%d via %s, DNS %s, %u s", x->dev, m->ip, m->netmask,
		 m->gateway, m->dns[0], (unsigned)x->lease.lease_secs);
	return 0;
}

const struct rk_net_driver rk_net_lxc_user_nic = {
    .name = "lxc-user-nic",
    .built = true,
    .new_netns = true,
    .child_part = true,
    .validate = rk_lxc_validate,
    .probe = rk_lxc_probe,
    .start = rk_lxc_start,
    .child_configure = rk_lxc_child_configure,
    .stop = rk_lxc_stop,
};
