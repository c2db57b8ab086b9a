// SPDX-License-Identifier: Apache-2.0
/*
 * net.c - the table of network drivers and what the drivers share (see net.h).
 */
#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct rk_net_driver *const rk_net_drivers[] = {
    &rk_net_host,
    &rk_net_none,
    &rk_net_pasta,
    &rk_net_slirp4netns,
    &rk_net_vpnkit,
    &rk_net_lxc_user_nic,
    &rk_net_gvisor_tap_vsock,
    NULL,
};

const struct rk_net_driver *rk_net_driver_find(const char *name)
{
	for (size_t i = 0; rk_net_drivers[i]; i++)
		if (!strcmp(rk_net_drivers[i]->name, name))
			return rk_net_drivers[i];
	return NULL;
}

const char *rk_net_driver_list(char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; rk_net_drivers[i]; i++)
		if (rk_net_drivers[i]->built)
			rk_strv_list_append(buf, len, rk_net_drivers[i]->name);
	return buf;
}

int rk_net_probe(struct rk_net *net, const struct rk_net_driver *ops, const struct rk_config *cfg,
		 struct rk_err *err)
{
	memset(net, 0, sizeof(*net));
	net->ops = ops;
	net->cfg = cfg;
	net->info.driver = ops->name;
	return ops->probe ? ops->probe(net, err) : 0;
}

void rk_net_stop(struct rk_net *net)
{
	if (net->ops && net->ops->stop)
		net->ops->stop(net);
}

int rk_net_cidr(const char *cidr, unsigned offset, char ip[RK_MSG_IPSTR], int *prefix,
		struct rk_err *err)
{
	char addr[RK_MSG_IPSTR];
	const char *c = cidr && cidr[0] ? cidr : "10.0.2.0/24";
	const char *slash = strchr(c, '/');
	struct in_addr a;
	char *end;
	long len;

	if (!slash || (size_t)(slash - c) >= sizeof(addr))
		return rk_err_set(err, EINVAL, "invalid CIDR address: %s", c);
	memcpy(addr, c, (size_t)(slash - c));
	addr[slash - c] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1)
		return rk_err_set(err, EINVAL, "expected IPv4 address, got %s", addr);
	len = strtol(slash + 1, &end, 10);
	if (*end || len < 0 || len > 32)
		return rk_err_set(err, EINVAL, "invalid CIDR address: %s", c);
	a.s_addr = htonl(ntohl(a.s_addr) + offset);
	inet_ntop(AF_INET, &a, ip, RK_MSG_IPSTR);
	*prefix = (int)len;
	return 0;
}

int rk_net_plan(const struct rk_config *cfg, unsigned gw_offset, unsigned dns_offset,
		struct rk_msg_net *m, struct rk_err *err)
{
	int rc;

	if ((rc = rk_net_cidr(cfg->cidr, 100, m->ip, &m->netmask, err)) < 0 ||
	    (rc = rk_net_cidr(cfg->cidr, gw_offset, m->gateway, &m->netmask, err)) < 0 ||
	    (rc = rk_net_cidr(cfg->cidr, dns_offset, m->dns[0], &m->netmask, err)) < 0)
		return rc;
	return 0;
}

int rk_net_cidr_check(const struct rk_config *cfg, struct rk_err *err)
{
	char ip[RK_MSG_IPSTR];
	int prefix;

	return rk_net_cidr(cfg->cidr, 100, ip, &prefix, err);
}

int rk_net_mtu(const struct rk_config *cfg, int def)
{
	return cfg->mtu ? (int)cfg->mtu : def;
}

const char *rk_net_ifname(const struct rk_config *cfg, const char *def)
{
	return cfg->ifname[0] ? cfg->ifname : def;
}

int rk_net_validate_host_like(const struct rk_config *cfg, struct rk_strv *warnings,
			      struct rk_err *err)
{
	if (cfg->mtu != 0 && warnings)
		rk_strv_addf(warnings, "unsupported mtu for --net=%s: %lld", cfg->net,
			     (long long)cfg->mtu);
	if (cfg->cidr[0])
		return rk_err_set(err, EINVAL, "custom cidr is not supported for --net=%s",
				  cfg->net);
	if (cfg->ifname[0])
		return rk_err_set(err, EINVAL, "ifname cannot be specified for --net=%s", cfg->net);
	return 0;
}

void rk_net_info_from(struct rk_net *net, const struct rk_msg_net *m)
{
	snprintf(net->info.child_ip, sizeof(net->info.child_ip), "%s", m->ip);
	net->info.ndns = 0;
	for (int i = 0; i < RK_MSG_DNS_MAX; i++)
		if (m->dns[i][0])
			snprintf(net->info.dns[net->info.ndns++], RK_MSG_IPSTR, "%s", m->dns[i]);
}

int rk_net_wait_helper(const struct rk_net_parent_env *env, const struct rk_helper *h,
		       const bool *done, const char *subject, const char *verb, struct rk_err *err)
{
	int64_t deadline = rk_loop_now_ms() + RK_NET_HELPER_TIMEOUT_MS;
	int rc;

	while (!*done && !h->exited) {
		int64_t left = deadline - rk_loop_now_ms();
		if (*env->abort)
			return rk_err_set(err, ECANCELED,
					  "the child exited while waiting for %s to %s", h->name,
					  verb);
		if (left <= 0)
			return rk_err_set(err, ETIMEDOUT, "%s did not %s within %d s", subject,
					  verb, RK_NET_HELPER_TIMEOUT_MS / 1000);
		if ((rc = rk_loop_run_once(env->loop, (int)left)) < 0)
			return rk_err_errno(err, -rc, "waiting for %s", h->name);
	}
	return 0;
}
