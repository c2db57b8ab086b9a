// SPDX-License-Identifier: Apache-2.0
/*
 * gvisortapvsock.c - --net=gvisor-tap-vsock: the built-in network stack (SPEC 7.7), served by
 * libslirp inside the parent (stack.c) instead of upstream's gVisor. No helper program and no
 * extra process: a fresh machine networks with nothing else installed.
 *
 * The child makes the tap device in its netns and passes the fd with CHILD_READY; the parent
 * starts the stack on it. Address plan of --cidr (default 10.0.2.0/24): child .100, gateway and
 * DNS .1 (MAC 5a:94:ef:e4:0c:dd), the host's 127.0.0.1 at the gateway unless
 * --disable-host-loopback. With --ipv6 (beyond upstream, which refuses it): child fd00::100/64,
 * gateway and DNS fd00::1, the host's ::1 at the gateway. docs/network.md lists where this
 * differs from upstream's gVisor stack.
 */
#include "net/net.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/stack.h"
#include "util/cleanup.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RK_GV_MTU     65520
#define RK_GV_MTU_MIN 68 /* libslirp's (and IPv4's) minimum */
#define RK_GV_IFNAME  "tap0"
#define RK_GV_PREFIX6 "fd00::"
#define RK_GV_CHILD6  "fd00::100"
#define RK_GV_GW6     "fd00::1"
#define RK_GV_ALIAS6  "fd00::2"

static int rk_gv_validate(const struct rk_config *cfg, struct rk_strv *warnings, struct rk_err *err)
{
	if (warnings)
		rk_strv_add(warnings, "\"gvisor-tap-vsock\" network driver is experimental");
	if (cfg->mtu != 0 && cfg->mtu < RK_GV_MTU_MIN)
		return rk_err_set(err, EINVAL,
				  "mtu must be >= %d for --net=gvisor-tap-vsock, got %lld",
				  RK_GV_MTU_MIN, (long long)cfg->mtu);
	return rk_net_cidr_check(cfg, err);
}

struct rk_gv_tap {
	const char *ifname;
	int fd;
	struct rk_err *err;
};

static int rk_gv_make_tap(void *arg)
{
	struct rk_gv_tap *t = arg;

	t->fd = rk_tap_open(t->ifname, false, true, t->err);
	return t->fd < 0 ? t->fd : 0;
}

/* Child: the tap in the netns; its fd goes to the parent with CHILD_READY. */
static int rk_gv_child_prepare(const struct rk_net_child_env *env, struct rk_err *err)
{
	struct rk_gv_tap t = {
	    .ifname = rk_net_ifname(env->cfg, RK_GV_IFNAME), .fd = -1, .err = err};
	int rc = rk_netns_run(env->nsfd, rk_gv_make_tap, &t);

	if (rc < 0 && err->code == 0)
		rk_err_errno(err, -rc, "entering the network namespace");
	if (rc < 0)
		return rk_err_wrap(err, -rc, "setting up tap %s", t.ifname);
	*env->ready_fd = t.fd;
	return 0;
}

/* The IPv4 plan of --cidr into @c and the message @out. */
static int rk_gv_plan4(const struct rk_config *cfg, struct rk_stack_config *c,
		       struct rk_msg_net *out, struct rk_err *err)
{
	char alias[RK_MSG_IPSTR], net[RK_MSG_IPSTR];
	int prefix, rc;

	if ((rc = rk_net_plan(cfg, 1, 1, out, err)) < 0 ||
	    (rc = rk_net_cidr(cfg->cidr, 2, alias, &prefix, err)) < 0 ||
	    (rc = rk_net_cidr(cfg->cidr, 0, net, &prefix, err)) < 0)
		return rc;
	inet_pton(AF_INET, out->ip, &c->dhcp_start);
	inet_pton(AF_INET, out->gateway, &c->gw);
	inet_pton(AF_INET, alias, &c->alias);
	inet_pton(AF_INET, net, &c->net);
	c->mask.s_addr = prefix ? htonl(~0u << (32 - prefix)) : 0;
	c->net.s_addr &= c->mask.s_addr;
	return 0;
}

static void rk_gv_plan6(struct rk_stack_config *c, struct rk_msg_net *out)
{
	c->ipv6 = true;
	inet_pton(AF_INET6, RK_GV_PREFIX6, &c->prefix6);
	inet_pton(AF_INET6, RK_GV_GW6, &c->gw6);
	inet_pton(AF_INET6, RK_GV_ALIAS6, &c->alias6);
	c->prefix6_len = 64;
	snprintf(out->ip6, sizeof(out->ip6), "%s", RK_GV_CHILD6);
	snprintf(out->gateway6, sizeof(out->gateway6), "%s", RK_GV_GW6);
	out->netmask6 = 64;
	snprintf(out->dns[1], sizeof(out->dns[1]), "%s", RK_GV_GW6);
}

static int rk_gv_start(struct rk_net *net, const struct rk_net_parent_env *env,
		       struct rk_msg_net *out, struct rk_err *err)
{
	const struct rk_config *cfg = net->cfg;
	struct rk_stack_config c = {.tap_fd = -1};
	struct rk_stack *s = NULL;
	int rc;

	if (*env->child_fd < 0)
		return rk_err_set(err, EPROTO, "the child passed no tap device");
	snprintf(out->dev, sizeof(out->dev), "%s", rk_net_ifname(cfg, RK_GV_IFNAME));
	out->mtu = rk_net_mtu(cfg, RK_GV_MTU);
	if ((rc = rk_gv_plan4(cfg, &c, out, err)) < 0)
		return rc;
	if (cfg->ipv6)
		rk_gv_plan6(&c, out);
	c.mtu = out->mtu;
	c.host_loopback = !cfg->disable_host_loopback;
	c.tap_fd = *env->child_fd;
	*env->child_fd = -1;
	if (fcntl(c.tap_fd, F_SETFL, O_RDWR | O_NONBLOCK) < 0) {
		close(c.tap_fd);
		return rk_err_errno(err, errno, "tap %s: O_NONBLOCK", out->dev);
	}
	if ((rc = rk_stack_start(&s, &c, err)) < 0)
		return rc;
	net->priv = s;
	rk_net_info_from(net, out);
	rk_debug("built-in network (libslirp %s): %s/%d gateway %s mtu %d%s%s", rk_stack_version(),
		 out->ip, out->netmask, out->gateway, out->mtu, cfg->ipv6 ? " ipv6 " : "",
		 cfg->ipv6 ? out->ip6 : "");
	return 0;
}

static void rk_gv_stop(struct rk_net *net)
{
	rk_stack_stop(net->priv);
	net->priv = NULL;
}

struct rk_stack *rk_net_stack(const struct rk_net *net)
{
	return net->ops == &rk_net_gvisor_tap_vsock ? net->priv : NULL;
}

const struct rk_net_driver rk_net_gvisor_tap_vsock = {
    .name = "gvisor-tap-vsock",
    .built = true,
    .new_netns = true,
    .child_part = true,
    .validate = rk_gv_validate,
    .child_prepare = rk_gv_child_prepare,
    .start = rk_gv_start,
    .stop = rk_gv_stop,
};
