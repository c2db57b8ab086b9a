// SPDX-License-Identifier: Apache-2.0
/*
 * port.c - the table of port drivers and their network checks (see port.h).
 */
#include "port/port.h"
#include "util/strv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int rk_port_none_validate(const struct rk_config *cfg, struct rk_err *err)
{
	if (cfg->publish.n > 0)
		return rk_err_set(err, EINVAL,
				  "port driver \"none\" does not support publishing "
				  "ports");
	return 0;
}

static int rk_port_implicit_validate(const struct rk_config *cfg, struct rk_err *err)
{
	if (strcmp(cfg->net, "pasta"))
		return rk_err_set(err, EINVAL, "port driver requires pasta network");
	return 0;
}

static int rk_port_slirp4netns_validate(const struct rk_config *cfg, struct rk_err *err)
{
	if (strcmp(cfg->net, "slirp4netns"))
		return rk_err_set(err, EINVAL, "port driver requires slirp4netns network");
	return 0;
}

static int rk_port_nonhost_validate(const struct rk_config *cfg, struct rk_err *err)
{
	if (!strcmp(cfg->net, "host"))
		return rk_err_set(err, EINVAL, "port driver requires non-host network");
	return 0;
}

static const struct rk_port_driver rk_port_none = {
    .name = "none", .built = true, .validate = rk_port_none_validate};
static const struct rk_port_driver rk_port_implicit = {.name = "implicit",
						       .built = true,
						       .validate = rk_port_implicit_validate,
						       .publish_ignored = true};
static const struct rk_port_driver rk_port_builtin = {.name = "builtin",
						      .validate = rk_port_nonhost_validate};
static const struct rk_port_driver rk_port_slirp4netns = {.name = "slirp4netns",
							  .validate = rk_port_slirp4netns_validate};
static const struct rk_port_driver rk_port_gvisor = {.name = "gvisor-tap-vsock",
						     .validate = rk_port_nonhost_validate};

const struct rk_port_driver *const rk_port_drivers[] = {
    &rk_port_none, &rk_port_implicit, &rk_port_builtin, &rk_port_slirp4netns, &rk_port_gvisor, NULL,
};

const struct rk_port_driver *rk_port_driver_find(const char *name)
{
	for (size_t i = 0; rk_port_drivers[i]; i++)
		if (!strcmp(rk_port_drivers[i]->name, name))
			return rk_port_drivers[i];
	return NULL;
}

const char *rk_port_driver_list(char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; rk_port_drivers[i]; i++)
		if (rk_port_drivers[i]->built)
			rk_strv_list_append(buf, len, rk_port_drivers[i]->name);
	return buf;
}
