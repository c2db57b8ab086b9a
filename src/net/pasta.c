// SPDX-License-Identifier: Apache-2.0
/*
 * pasta.c - --net=pasta (SPEC 7.3).
 *
 * pasta (from passt) joins the child's namespaces, makes and configures the interface itself
 * (address, route, MTU, IPv6) and daemonises once it is ready: the parent waits, through the
 * event loop, for the foreground process to exit, not for the end of its output (the daemon
 * may keep the pipe open; it is read and logged at debug level until it closes it). With
 * --port-driver=implicit pasta also forwards every port bound in the namespace by itself.
 *
 * Newer pasta leaves when the namespace goes away; Debian 12's (2023-03) does not, and each run
 * would leave a daemon behind that keeps the namespace alive. So pasta writes its daemon's PID
 * into STATE_DIR/.pasta.pid (--pid, the one argument added to upstream's list), the parent takes
 * a pidfd of that process at once (no PID reuse race) and kills it when the run ends.
 */
#include "net/net.h"
#include "parent/helper.h"
#include "util/fsutil.h"
#include "util/goparse.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/signames.h"
#include "util/strv.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define RK_PASTA_MTU	65520
#define RK_PASTA_IFNAME "tap0"

struct rk_pasta {
	char path[PATH_MAX];
	bool host_lo_to_ns_lo;
	struct rk_helper h;
	char pidfile[PATH_MAX];
	int daemon; /* pidfd of the daemonised pasta, or -1 */
};

static int rk_pasta_validate(const struct rk_config *cfg, struct rk_strv *warnings,
			     struct rk_err *err)
{
	if (warnings)
		rk_strv_add(warnings, "\"pasta\" network driver is experimental. Needs very recent "
				      "version of pasta (see docs/network.md).");
	if (strcmp(cfg->port_driver, "none") && strcmp(cfg->port_driver, "implicit"))
		return rk_err_set(
		    err, EINVAL, "network \"pasta\" requires port driver \"none\" or \"implicit\"");
	return rk_net_cidr_check(cfg, err);
}

static int rk_pasta_probe(struct rk_net *net, struct rk_err *err)
{
	struct rk_pasta *p = calloc(1, sizeof(*p));
	char out[4096], q[4200], st[128];
	int status;

	if (!p)
		return rk_err_set(err, ENOMEM, "out of memory");
	net->priv = p;
	p->h.pid = -1;
	p->daemon = -1;
	if ((status = rk_lookpath_err(net->cfg->pasta_binary, p->path, sizeof(p->path), err)) < 0)
		return status;
	char *version[] = {p->path, (char *)"--version", NULL};
	status = rk_run_capture(version, out, sizeof(out));
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		go_quote(status < 0 ? "" : out, q, sizeof(q));
		if (status < 0)
			snprintf(st, sizeof(st), "%s", go_strerror(-status));
		else
			rk_wait_status_str(status, true, st, sizeof(st));
		return rk_err_set(err, EINVAL,
				  "command \"%s --version\" failed, make sure pasta is installed: "
				  "%s: %s",
				  p->path, q, st);
	}
	char *lo[] = {p->path, (char *)"--host-lo-to-ns-lo", (char *)"--version", NULL};
	status = rk_run_capture(lo, out, sizeof(out));
	p->host_lo_to_ns_lo = status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	rk_debug("pasta features: host-lo-to-ns-lo=%d", p->host_lo_to_ns_lo);
	return 0;
}

static int rk_pasta_argv(struct rk_strv *a, const struct rk_pasta *p, const struct rk_config *cfg,
			 const struct rk_net_parent_env *env, const struct rk_msg_net *m)
{
	rk_strv_add(a, p->path);
	rk_strv_add(a, "--stderr");
	rk_strv_addf(a, "--ns-ifname=%s", m->dev);
	rk_strv_addf(a, "--mtu=%d", m->mtu);
	rk_strv_add(a, "--config-net");
	rk_strv_addf(a, "--address=%s", m->ip);
	rk_strv_addf(a, "--netmask=%d", m->netmask);
	rk_strv_addf(a, "--gateway=%s", m->gateway);
	rk_strv_addf(a, "--dns-forward=%s", m->dns[0]);
	if (cfg->disable_host_loopback)
		rk_strv_add(a, "--no-map-gw");
	if (!cfg->ipv6)
		rk_strv_add(a, "--ipv4-only");
	if (!strcmp(cfg->port_driver, "implicit")) {
		rk_strv_add(a, "--tcp-ports=auto");
		rk_strv_add(a, "--udp-ports=auto");
	} else {
		rk_strv_add(a, "--tcp-ports=none");
		rk_strv_add(a, "--udp-ports=none");
	}
	if (p->host_lo_to_ns_lo)
		rk_strv_add(a, "--host-lo-to-ns-lo");
	rk_strv_addf(a, "--pid=%s", p->pidfile);
	if (env->netns_path) {
		rk_strv_addf(a, "--userns=/proc/%d/ns/user", (int)env->child_pid);
		rk_strv_addf(a, "--netns=%s", env->netns_path);
	} else {
		rk_strv_addf(a, "%d", (int)env->child_pid);
	}
	return a->v ? 0 : -ENOMEM;
}

/* Take a pidfd of the daemon named in the PID file (see the top of this file). */
static void rk_pasta_watch_daemon(struct rk_pasta *p)
{
	char *buf = NULL, *end;
	size_t len;
	long pid;

	if (rk_read_file(p->pidfile, 64, &buf, &len) < 0) {
		rk_warn("pasta wrote no PID file (%s): it will not be stopped at the end",
			p->pidfile);
		return;
	}
	pid = strtol(buf, &end, 10);
	if (pid > 1 && pid < INT32_MAX && (*end == '\n' || *end == '\0'))
		p->daemon = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (p->daemon < 0)
		rk_debug("pasta daemon %s: no pidfd: %s", buf, go_strerror(errno));
	else
		rk_debug("pasta daemon: pid %ld", pid);
	free(buf);
	unlink(p->pidfile);
}

static int rk_pasta_start(struct rk_net *net, const struct rk_net_parent_env *env,
			  struct rk_msg_net *out, struct rk_err *err)
{
	const struct rk_config *cfg = net->cfg;
	struct rk_pasta *p = net->priv;
	struct rk_strv argv = {0};
	char *joined;
	int rc;

	snprintf(p->pidfile, sizeof(p->pidfile), "%s/.pasta.pid", env->state_dir);
	snprintf(out->dev, sizeof(out->dev), "%s", rk_net_ifname(cfg, RK_PASTA_IFNAME));
	out->mtu = rk_net_mtu(cfg, RK_PASTA_MTU);
	out->flags = RK_MSG_NET_CONFIGURES_IFACE;
	if ((rc = rk_net_plan(cfg, 2, 3, out, err)) < 0)
		return rc;
	if (rk_pasta_argv(&argv, p, cfg, env, out) < 0) {
		rk_strv_free(&argv);
		return rk_err_set(err, ENOMEM, "out of memory");
	}
	joined = rk_strv_join(argv.v, argv.n, " ");
	rk_debug("executing [%s]", joined ? joined : "pasta");
	free(joined);
	snprintf(p->h.name, sizeof(p->h.name), "pasta");
	rc = rk_helper_start(&p->h, env->loop, argv.v, NULL, 0, err);
	rk_strv_free(&argv);
	if (rc < 0)
		return rc;
	if ((rc = rk_net_wait_helper(env, &p->h, &p->h.exited, "pasta", "become ready", err)) < 0)
		return rc;
	rk_helper_drain(&p->h);
	if (!WIFEXITED(p->h.status) || WEXITSTATUS(p->h.status) != 0) {
		int code = WIFEXITED(p->h.status) ? WEXITSTATUS(p->h.status) : -1;
		return rk_err_set(err, EIO, "pasta failed with exit code %d:\n%s", code, p->h.tail);
	}
	rk_pasta_watch_daemon(p);
	rk_net_info_from(net, out);
	return 0;
}

static void rk_pasta_stop(struct rk_net *net)
{
	struct rk_pasta *p = net->priv;

	if (!p)
		return;
	rk_helper_stop(&p->h);
	if (p->daemon >= 0) {
		struct pollfd pfd = {.fd = p->daemon, .events = POLLIN};
		syscall(SYS_pidfd_send_signal, p->daemon, SIGKILL, NULL, 0);
		poll(&pfd, 1, 1000); /* readable once it has exited */
		close(p->daemon);
		p->daemon = -1;
	}
	free(p);
	net->priv = NULL;
}

const struct rk_net_driver rk_net_pasta = {
    .name = "pasta",
    .built = true,
    .new_netns = true,
    .child_part = true,
    .validate = rk_pasta_validate,
    .probe = rk_pasta_probe,
    .start = rk_pasta_start,
    .stop = rk_pasta_stop,
};
