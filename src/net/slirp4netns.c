// SPDX-License-Identifier: Apache-2.0
/*
 * slirp4netns.c - --net=slirp4netns (SPEC 7.2).
 *
 * Probe: `slirp4netns --help` must mention --netns-type (v0.4.0+); its other options tell
 * which features exist, prctl() tells whether the kernel can do seccomp. The child makes the
 * tap device inside its netns and brings it up (no nsenter, no `ip`), then the parent starts
 * slirp4netns with a pipe's write end as fd 3 (`-r 3`) and waits through the event loop for
 * the first byte on it, or for the process to exit. After that, slirp4netns stays watched: if it
 * dies while the command runs, a warning says so and the run goes on (without network).
 */
#include "net/net.h"
#include "net/netns.h"
#include "net/nl.h"
#include "parent/helper.h"
#include "util/cleanup.h"
#include "util/goparse.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/signames.h"
#include "util/strv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define RK_S4_MTU    65520
#define RK_S4_IFNAME "tap0"

struct rk_s4 {
	char path[PATH_MAX];
	bool f_ipv6, f_cidr, f_disable_host_loopback, f_api_socket, f_sandbox, f_seccomp;
	bool kernel_seccomp;
	bool sandbox, seccomp;
	struct rk_helper h;
	struct rk_loop_src *ready_src;
	bool ready;
	bool running; /* ready was seen: a later exit is a warning */
};

static bool rk_s4_mode_ok(const char *v)
{
	return !strcmp(v, "auto") || !strcmp(v, "true") || !strcmp(v, "false") || !v[0];
}

static int rk_s4_validate(const struct rk_config *cfg, struct rk_strv *warnings, struct rk_err *err)
{
	char q[256];

	if (!rk_s4_mode_ok(cfg->slirp4netns_sandbox)) {
		go_quote(cfg->slirp4netns_sandbox, q, sizeof(q));
		return rk_err_set(err, EINVAL, "unsupported slirp4netns-sandbox mode: %s", q);
	}
	if (!strcmp(cfg->slirp4netns_sandbox, "true") && cfg->detach_netns)
		return rk_err_set(
		    err, EINVAL,
		    "--slirp4netns-sandbox conflicts with --detach-netns "
		    "(https://github.com/rootless-containers/slirp4netns/issues/317)");
	if (!rk_s4_mode_ok(cfg->slirp4netns_seccomp)) {
		go_quote(cfg->slirp4netns_seccomp, q, sizeof(q));
		return rk_err_set(err, EINVAL, "unsupported slirp4netns-seccomp mode: %s", q);
	}
	return rk_net_cidr_check(cfg, err);
}

/* Run `slirp4netns --help` and read the features from it. */
static int rk_s4_features(struct rk_s4 *s, struct rk_err *err)
{
	char *argv[] = {s->path, (char *)"--help", NULL};
	char out[16384], q[2048], st[128];
	int status = rk_run_capture(argv, out, sizeof(out));

	if (status < 0)
		return rk_err_errno(err, -status, "command \"%s --help\" failed", s->path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		go_quote(out, q, sizeof(q));
		rk_wait_status_str(status, true, st, sizeof(st));
		return rk_err_set(err, EINVAL,
				  "command \"%s --help\" failed, make sure slirp4netns v0.4.0+ is "
				  "installed: %s: %s",
				  s->path, q, st);
	}
	if (!strstr(out, "--netns-type"))
		return rk_err_set(err, EINVAL, "slirp4netns seems older than v0.4.0");
	s->f_ipv6 = strstr(out, "--enable-ipv6");
	s->f_cidr = strstr(out, "--cidr");
	s->f_disable_host_loopback = strstr(out, "--disable-host-loopback");
	s->f_api_socket = strstr(out, "--api-socket");
	s->f_sandbox = strstr(out, "--enable-sandbox");
	s->f_seccomp = strstr(out, "--enable-seccomp");
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 || errno != EINVAL) {
		/* a NULL filter is refused with EFAULT where seccomp filters exist */
		s->kernel_seccomp =
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0) >= 0 || errno != EINVAL;
	}
	rk_debug("slirp4netns features: ipv6=%d cidr=%d disable-host-loopback=%d api-socket=%d "
		 "sandbox=%d seccomp=%d kernel-seccomp=%d",
		 s->f_ipv6, s->f_cidr, s->f_disable_host_loopback, s->f_api_socket, s->f_sandbox,
		 s->f_seccomp, s->kernel_seccomp);
	return 0;
}

/* --slirp4netns-sandbox and --slirp4netns-seccomp against the features (upstream's order). */
static int rk_s4_modes(struct rk_s4 *s, const struct rk_config *cfg, struct rk_err *err)
{
	const char *sb = cfg->slirp4netns_sandbox, *sc = cfg->slirp4netns_seccomp;

	if (!strcmp(sb, "auto"))
		s->sandbox = s->f_sandbox && !cfg->detach_netns;
	else if (!strcmp(sb, "true")) {
		if (!s->f_sandbox)
			return rk_err_set(err, ENOTSUP,
					  "unsupported slirp4netns version: lacks "
					  "SupportsEnableSandbox");
		s->sandbox = true;
	}
	if (!strcmp(sc, "auto"))
		s->seccomp = s->f_seccomp && s->kernel_seccomp;
	else if (!strcmp(sc, "true")) {
		if (!s->f_seccomp)
			return rk_err_set(err, ENOTSUP,
					  "unsupported slirp4netns version: lacks "
					  "SupportsEnableSeccomp");
		if (!s->kernel_seccomp)
			return rk_err_set(err, ENOTSUP, "kernel doesn't support seccomp");
		s->seccomp = true;
	}
	if (cfg->ipv6 && !s->f_ipv6)
		return rk_err_set(err, ENOTSUP,
				  "this version of slirp4netns does not support --enable-ipv6");
	if (cfg->cidr[0] && !s->f_cidr)
		return rk_err_set(err, ENOTSUP,
				  "this version of slirp4netns does not support --cidr");
	if (cfg->disable_host_loopback && !s->f_disable_host_loopback)
		return rk_err_set(err, ENOTSUP,
				  "this version of slirp4netns does not support "
				  "--disable-host-loopback");
	if (!strcmp(cfg->port_driver, "slirp4netns") && !s->f_api_socket)
		return rk_err_set(err, ENOTSUP,
				  "this version of slirp4netns does not support --api-socket");
	return 0;
}

static int rk_s4_probe(struct rk_net *net, struct rk_err *err)
{
	const struct rk_config *cfg = net->cfg;
	struct rk_s4 *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return rk_err_set(err, ENOMEM, "out of memory");
	net->priv = s;
	s->h.pid = -1;
	if ((rc = rk_lookpath_err(cfg->slirp4netns_binary, s->path, sizeof(s->path), err)) < 0)
		return rc;
	if ((rc = rk_s4_features(s, err)) < 0)
		return rc;
	return rk_s4_modes(s, cfg, err);
}

struct rk_s4_tap {
	const char *ifname;
	struct rk_err *err;
};

static int rk_s4_make_tap(void *arg)
{
	struct rk_s4_tap *t = arg;
	struct rk_nl *nl = NULL;
	int rc;

	if ((rc = rk_tap_create(t->ifname, t->err)) < 0)
		return rc;
	if ((rc = rk_nl_open(&nl, t->err)) < 0)
		return rc;
	rc = rk_nl_link_up(nl, t->ifname, t->err);
	rk_nl_close(nl);
	return rc;
}

static int rk_s4_child_prepare(const struct rk_net_child_env *env, struct rk_err *err)
{
	struct rk_s4_tap t = {.ifname = rk_net_ifname(env->cfg, RK_S4_IFNAME), .err = err};
	int rc = rk_netns_run(env->nsfd, rk_s4_make_tap, &t);

	if (rc < 0 && err->code == 0)
		rk_err_errno(err, -rc, "entering the network namespace");
	if (rc < 0)
		return rk_err_wrap(err, -rc, "setting up tap %s", t.ifname);
	return 0;
}

static void rk_s4_on_ready(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			   void *data)
{
	struct rk_s4 *s = data;
	char b[16];
	ssize_t n = read(rk_loop_src_fd(src), b, sizeof(b));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0)
		s->ready = true;
	/* EOF without a byte: slirp4netns is going away; its exit tells why */
	rk_loop_del(loop, src);
	s->ready_src = NULL;
}

static void rk_s4_on_exit(struct rk_helper *h, void *data)
{
	struct rk_s4 *s = data;
	char st[128], last[512];

	if (!s->running)
		return; /* start() reports it */
	rk_helper_status_text(h, st, sizeof(st));
	rk_helper_last_line(h, last, sizeof(last));
	rk_warn("slirp4netns exited unexpectedly (%s)%s%s; the network namespace has no "
		"connectivity any more",
		st, last[0] ? ": " : "", last);
}

static void rk_s4_argv(struct rk_strv *a, const struct rk_s4 *s, const struct rk_config *cfg,
		       const struct rk_net_parent_env *env, int mtu, const char *tap)
{
	rk_strv_add(a, s->path);
	rk_strv_add(a, "--mtu");
	rk_strv_addf(a, "%d", mtu);
	rk_strv_add(a, "-r");
	rk_strv_add(a, "3");
	if (cfg->disable_host_loopback)
		rk_strv_add(a, "--disable-host-loopback");
	if (cfg->cidr[0]) {
		rk_strv_add(a, "--cidr");
		rk_strv_add(a, cfg->cidr);
	}
	if (!strcmp(cfg->port_driver, "slirp4netns")) {
		rk_strv_add(a, "--api-socket");
		rk_strv_addf(a, "%s/.s4nn.sock", env->state_dir);
	}
	if (s->sandbox)
		rk_strv_add(a, "--enable-sandbox");
	if (s->seccomp)
		rk_strv_add(a, "--enable-seccomp");
	if (cfg->ipv6)
		rk_strv_add(a, "--enable-ipv6");
	if (env->netns_path) {
		rk_strv_addf(a, "--userns-path=/proc/%d/ns/user", (int)env->child_pid);
		rk_strv_add(a, "--netns-type=path");
		rk_strv_add(a, env->netns_path);
	} else {
		rk_strv_addf(a, "%d", (int)env->child_pid);
	}
	rk_strv_add(a, tap);
}

/* Wait for the ready byte, the helper's exit or the child's death. */
static int rk_s4_wait_ready(struct rk_s4 *s, const struct rk_net_parent_env *env,
			    struct rk_err *err)
{
	char st[128], last[512];
	int rc = rk_net_wait_helper(env, &s->h, &s->ready, "slirp4netns", "become ready", err);

	if (rc < 0)
		return rc;
	if (s->ready)
		return 0;
	rk_helper_drain(&s->h);
	rk_helper_last_line(&s->h, last, sizeof(last));
	rk_helper_status_text(&s->h, st, sizeof(st));
	return rk_err_set(err, EIO, "slirp4netns %s (%s)%s%s",
			  WIFSIGNALED(s->h.status) ? "killed by signal" : "failed", st,
			  last[0] ? ": " : "", last);
}

static int rk_s4_start(struct rk_net *net, const struct rk_net_parent_env *env,
		       struct rk_msg_net *out, struct rk_err *err)
{
	const struct rk_config *cfg = net->cfg;
	struct rk_s4 *s = net->priv;
	struct rk_strv argv = {0};
	const char *tap = rk_net_ifname(cfg, RK_S4_IFNAME);
	int mtu = rk_net_mtu(cfg, RK_S4_MTU), p[2], rc;
	char *joined;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return rk_err_errno(err, errno, "pipe");
	rk_s4_argv(&argv, s, cfg, env, mtu, tap);
	if (!argv.v) {
		close(p[0]);
		close(p[1]);
		return rk_err_set(err, ENOMEM, "out of memory");
	}
	snprintf(s->h.name, sizeof(s->h.name), "slirp4netns");
	s->h.on_exit = rk_s4_on_exit;
	s->h.data = s;
	joined = rk_strv_join(argv.v, argv.n, " ");
	rk_debug("executing [%s]", joined ? joined : "slirp4netns");
	rc = rk_helper_start(&s->h, env->loop, argv.v, &p[1], 1, err);
	rk_strv_free(&argv);
	close(p[1]);
	if (rc < 0) {
		close(p[0]);
		free(joined);
		return rc;
	}
	if ((rc = rk_loop_add_fd(env->loop, p[0], EPOLLIN, true, rk_s4_on_ready, s,
				 &s->ready_src)) < 0) {
		close(p[0]);
		free(joined);
		return rk_err_errno(err, -rc, "watching the ready fd of slirp4netns");
	}
	rc = rk_s4_wait_ready(s, env, err);
	free(joined);
	if (rc < 0)
		return rc;
	s->running = true;

	snprintf(out->dev, sizeof(out->dev), "%s", tap);
	out->mtu = mtu;
	if ((rc = rk_net_plan(cfg, 2, 3, out, err)) < 0)
		return rc;
	if (cfg->ipv6) /* slirp4netns' only IPv6 nameserver */
		snprintf(out->dns[1], sizeof(out->dns[1]), "fd00::3");
	rk_net_info_from(net, out);
	return 0;
}

static void rk_s4_stop(struct rk_net *net)
{
	struct rk_s4 *s = net->priv;

	if (!s)
		return;
	s->running = false;
	if (s->ready_src)
		rk_loop_del(s->h.loop, s->ready_src);
	rk_helper_stop(&s->h);
	free(s);
	net->priv = NULL;
}

const struct rk_net_driver rk_net_slirp4netns = {
    .name = "slirp4netns",
    .built = true,
    .new_netns = true,
    .child_part = true,
    .validate = rk_s4_validate,
    .probe = rk_s4_probe,
    .child_prepare = rk_s4_child_prepare,
    .start = rk_s4_start,
    .stop = rk_s4_stop,
};
