// SPDX-License-Identifier: Apache-2.0
/*
 * host.c - --net=host: the host's network namespace, nothing to set up (SPEC 7.1).
 */
#include "net/net.h"

const struct rk_net_driver rk_net_host = {
    .name = "host",
    .built = true,
    .validate = rk_net_validate_host_like,
};
