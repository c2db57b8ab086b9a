/* SPDX-License-Identifier: Apache-2.0 */
/*
 * port.h - port drivers (SPEC 8): one ops struct per driver, one table of drivers, which
 * drives validation, --help and dispatch. Today: none and implicit (pasta forwards ports by
 * itself); builtin, slirp4netns and gvisor-tap-vsock are recognised and rejected as not built.
 */
#ifndef RK_PORT_PORT_H
#define RK_PORT_PORT_H

#include <stdbool.h>

#include "cli/options.h"
#include "util/err.h"

struct rk_port_driver {
	const char *name;
	bool built;
	/* pure: which networks it works with (SPEC 2.3 item 9) */
	int (*validate)(const struct rk_config *cfg, struct rk_err *err);
	/* -p is accepted, validated and then ignored (implicit: pasta forwards by itself) */
	bool publish_ignored;
};

/** rk_port_drivers - the table, NULL-terminated, in --help order. */
extern const struct rk_port_driver *const rk_port_drivers[];

/** rk_port_driver_find - the driver called @name, or NULL. */
const struct rk_port_driver *rk_port_driver_find(const char *name);

/** rk_port_driver_list - "none, implicit" of the built drivers into @buf. Return: @buf. */
const char *rk_port_driver_list(char *buf, size_t len);

#endif
