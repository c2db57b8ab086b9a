// SPDX-License-Identifier: Apache-2.0
/*
 * none.c - --net=none: a network namespace with only lo, up with 127.0.0.1/8 (SPEC 7.6).
 *
 * The child brings lo up itself (it owns the namespace), so no helper process runs. The
 * child then behaves as with host networking: no resolv.conf or hosts, no /sys remount.
 */
#include "net/net.h"

#include <errno.h>
#include <string.h>

static int rk_none_validate(const struct rk_config *cfg, struct rk_strv *warnings,
			    struct rk_err *err)
{
	int rc = rk_net_validate_host_like(cfg, warnings, err);

	if (rc < 0)
		return rc;
	if (strcmp(cfg->port_driver, "none") && strcmp(cfg->port_driver, "builtin"))
		return rk_err_set(err, EINVAL,
				  "network \"none\" requires either port driver \"none\" or "
				  "\"builtin\"");
	return 0;
}

const struct rk_net_driver rk_net_none = {
    .name = "none",
    .built = true,
    .new_netns = true,
    .validate = rk_none_validate,
};
