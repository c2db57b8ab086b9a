// SPDX-License-Identifier: Apache-2.0
/*
 * vpnkit.c - --net=vpnkit: not supported (SPEC 7.4). Debian ships no vpnkit and Docker 29.5
 * dropped it; the flag is still recognised so that the error says what is missing.
 */
#include "net/net.h"

#include <errno.h>

static int rk_vpnkit_validate(const struct rk_config *cfg, struct rk_strv *warnings,
			      struct rk_err *err)
{
	if (cfg->cidr[0])
		return rk_err_set(err, EINVAL, "custom cidr is not supported for --net=vpnkit");
	return 0;
}

const struct rk_net_driver rk_net_vpnkit = {
    .name = "vpnkit",
    .built = false,
    .why_not = "vpnkit is not supported by this implementation (no vpnkit for Debian, and "
	       "rootless Docker dropped it); use --net=slirp4netns or --net=pasta",
    .new_netns = true,
    .child_part = true,
    .validate = rk_vpnkit_validate,
};
