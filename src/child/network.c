// SPDX-License-Identifier: Apache-2.0
/*
 * network.c - the child's part of networking (SPEC 4.4, 4.5, 7.1): the detached netns, lo,
 * the driver's child hooks, the interface set-up through netlink, STATE_DIR/hosts and
 * resolv.conf and their bind mounts on /etc.
 *
 * Everything that must happen inside the driver's netns goes through rk_netns_run(): directly
 * when the child lives in that netns, in a short-lived thread that joins it with
 * --detach-netns (the child itself stays in the host's netns there, like the command).
 */
#include "child/child.h"
#include "net/net.h"
#include "net/netns.h"
#include "net/nl.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/goparse.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int rk_child_netns_detach(const char *state_dir, int *nsfd, struct rk_err *err)
{
	char path[PATH_MAX], src[64];
	rk_autoclose int fd = -1;
	int rc;

	snprintf(path, sizeof(path), "%s/netns", state_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0400);
	if (fd < 0)
		return rk_err_errno(err, errno, "failed to create a detached netns on \"%s\"",
				    path);
	rk_close(&fd);
	if ((rc = rk_netns_new()) < 0) {
		unlink(path);
		return rk_err_errno(err, -rc, "failed to create a detached netns on \"%s\"", path);
	}
	fd = rc;
	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	if (mount(src, path, NULL, MS_BIND, NULL) < 0) {
		rc = errno;
		unlink(path);
		return rk_err_errno(err, rc, "failed to create a detached netns on \"%s\"", path);
	}
	*nsfd = rk_steal_fd(&fd);
	rk_debug("detached netns bound at %s", path);
	return 0;
}

static int rk_child_lo_up(void *arg)
{
	struct rk_err *err = arg;
	struct rk_nl *nl = NULL;
	int rc;

	if ((rc = rk_nl_open(&nl, err)) < 0)
		return rc;
	rc = rk_nl_link_up(nl, "lo", err);
	rk_nl_close(nl);
	return rc;
}

int rk_child_net_prepare(const struct rk_net_driver *ops, const struct rk_net_child_env *env,
			 struct rk_err *err)
{
	int rc;

	if (!ops->new_netns)
		return 0;
	rk_err_clear(err);
	if ((rc = rk_netns_run(env->nsfd, rk_child_lo_up, err)) < 0)
		return err->code ? rc : rk_err_errno(err, -rc, "entering the network namespace");
	if (ops->child_prepare)
		return ops->child_prepare(env, err);
	return 0;
}

/* hosts = the original /etc/hosts (none: empty) + the hostname on 127.0.0.1 and ::1 (SPEC 4.4). */
static int rk_child_write_hosts(const char *state_dir, struct rk_err *err)
{
	rk_autofree char *orig = NULL, *out = NULL;
	char host[256], path[PATH_MAX];
	size_t len = 0;
	int rc;

	/* a system without /etc/hosts (a minimal root, some container images) gets the two
	 * lines alone; upstream fails there ("open /etc/hosts: no such file or directory") */
	rc = rk_read_file("/etc/hosts", 1 << 20, &orig, &len);
	if (rc < 0 && rc != -ENOENT)
		return rk_err_errno(err, -rc, "open /etc/hosts");
	if (gethostname(host, sizeof(host)) < 0)
		return rk_err_errno(err, errno, "hostname");
	host[sizeof(host) - 1] = '\0';
	if (asprintf(&out, "%s\n127.0.0.1 %s\n::1 %s\n", orig ? orig : "", host, host) < 0) {
		out = NULL;
		return rk_err_set(err, ENOMEM, "out of memory");
	}
	snprintf(path, sizeof(path), "%s/hosts", state_dir);
	if ((rc = rk_write_file(path, out, 0644)) < 0)
		return rk_err_errno(err, -rc, "writing %s", path);
	return 0;
}

static int rk_child_write_resolv(const char *state_dir, const struct rk_msg_net *m,
				 struct rk_err *err)
{
	char buf[RK_MSG_DNS_MAX * (RK_MSG_IPSTR + 16)] = "", path[PATH_MAX];
	size_t n = 0;
	int rc;

	for (int i = 0; i < RK_MSG_DNS_MAX; i++)
		if (m->dns[i][0])
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "nameserver %s\n",
					      m->dns[i]);
	snprintf(path, sizeof(path), "%s/resolv.conf", state_dir);
	if ((rc = rk_write_file(path, buf, 0644)) < 0)
		return rk_err_errno(err, -rc, "writing %s", path);
	return 0;
}

struct rk_child_iface {
	const struct rk_msg_net *m;
	struct rk_err *err;
};

/* Upstream's `ip link set up`, `ip link set mtu`, `ip addr add`, `ip route add default`. */
static int rk_child_iface_up(void *arg)
{
	struct rk_child_iface *c = arg;
	const struct rk_msg_net *m = c->m;
	struct rk_nl *nl = NULL;
	int rc;

	if ((rc = rk_nl_open(&nl, c->err)) < 0)
		return rc;
	if ((rc = rk_nl_link_up(nl, m->dev, c->err)) >= 0 &&
	    (rc = rk_nl_link_set_mtu(nl, m->dev, (unsigned)m->mtu, c->err)) >= 0 &&
	    (rc = rk_nl_addr_add(nl, m->dev, m->ip, m->netmask, c->err)) >= 0)
		rc = rk_nl_route_add_default(nl, m->dev, m->gateway, c->err);
	if (rc >= 0 && m->ip6[0] &&
	    (rc = rk_nl_addr_add(nl, m->dev, m->ip6, m->netmask6, c->err)) >= 0)
		rc = rk_nl_route_add_default(nl, m->dev, m->gateway6, c->err);
	rk_nl_close(nl);
	return rc;
}

/* Replace the copied-up symlink @f by an empty file, so that a bind mount can sit on it. */
static int rk_child_etc_placeholder(const char *f, struct rk_err *err)
{
	int rc;

	if ((rc = rk_rm_rf(f)) < 0)
		return rk_err_errno(err, -rc, "failed to remove copied-up link \"%s\"", f);
	if ((rc = rk_write_file(f, "", 0644)) < 0)
		return rk_err_errno(err, -rc, "writing %s", f);
	return 0;
}

static int rk_child_etc_binds(const char *state_dir, bool etc_copied, struct rk_err *err)
{
	static const char *const files[] = {"resolv.conf", "hosts"};
	char src[PATH_MAX], dst[64];
	int rc;

	if (etc_copied) {
		for (size_t i = 0; i < 2; i++) {
			snprintf(dst, sizeof(dst), "/etc/%s", files[i]);
			if ((rc = rk_child_etc_placeholder(dst, err)) < 0)
				return rc;
		}
	} else {
		rk_warn("Mounting /etc/resolv.conf without copying-up /etc. Note that "
			"/etc/resolv.conf in the namespace will be unmounted when it is recreated "
			"on the host. Unless /etc/resolv.conf is statically configured, copying-up "
			"/etc is highly recommended. Please refer to RootlessKit documentation for "
			"further information.");
	}
	for (size_t i = 0; i < 2; i++) {
		snprintf(src, sizeof(src), "%s/%s", state_dir, files[i]);
		snprintf(dst, sizeof(dst), "/etc/%s", files[i]);
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
			return rk_err_errno(err, errno, "failed to create bind mount %s for %s",
					    dst, src);
	}
	return 0;
}

int rk_child_net_configure(const struct rk_net_driver *ops, const struct rk_net_child_env *env,
			   struct rk_msg_net *m, bool etc_copied, struct rk_err *err)
{
	struct rk_child_iface c = {.m = m, .err = err};
	int rc;

	if (!ops->child_part)
		return 0;
	rk_err_clear(err);
	if ((rc = rk_child_write_hosts(env->state_dir, err)) < 0)
		return rc;
	if (ops->child_configure && (rc = ops->child_configure(env, m, err)) < 0)
		return rc;
	if ((rc = rk_child_write_resolv(env->state_dir, m, err)) < 0)
		return rc;
	if (!(m->flags & RK_MSG_NET_CONFIGURES_IFACE)) {
		if ((rc = rk_netns_run(env->nsfd, rk_child_iface_up, &c)) < 0)
			return err->code ? rc
					 : rk_err_errno(err, -rc, "entering the network namespace");
	}
	if (env->nsfd >= 0)
		return 0; /* detached: no /etc bind mounts (SPEC 4.5) */
	return rk_child_etc_binds(env->state_dir, etc_copied, err);
}
