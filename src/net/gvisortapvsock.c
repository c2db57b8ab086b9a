// SPDX-License-Identifier: Apache-2.0
/*
 * gvisortapvsock.c - --net=gvisor-tap-vsock: the in-process userspace network stack (SPEC 7.7),
 * to be built on libslirp. Not built yet: rejected with a clear message.
 */
#include "net/net.h"

#include <errno.h>

static int rk_gvisor_validate(const struct rk_config *cfg, struct rk_strv *warnings,
			      struct rk_err *err)
{
	if (warnings)
		rk_strv_add(warnings, "\"gvisor-tap-vsock\" network driver is experimental");
	if (cfg->ipv6)
		return rk_err_set(err, EINVAL, "--ipv6 is not supported for gvisor-tap-vsock");
	return 0;
}

const struct rk_net_driver rk_net_gvisor_tap_vsock = {
    .name = "gvisor-tap-vsock",
    .built = false,
    .why_not = "network driver \"gvisor-tap-vsock\" is not built in yet (the in-process "
	       "network stack is work in progress); use --net=slirp4netns or --net=pasta",
    .new_netns = true,
    .child_part = true,
    .validate = rk_gvisor_validate,
};
