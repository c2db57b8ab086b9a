/* SPDX-License-Identifier: Apache-2.0 */
/*
 * validate.h - checks of a parsed configuration, in upstream's order (SPEC 2.3).
 *
 * Pure: warnings are returned in a list for the caller to print, errors as one text. Checks that
 * upstream only makes in the child (reaper, copy-up) are made here too, before anything is
 * created, so that bad input leaves nothing behind.
 */
#ifndef RK_CLI_VALIDATE_H
#define RK_CLI_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/options.h"
#include "util/err.h"
#include "util/strv.h"

struct rk_net_driver;
struct rk_port_driver;

enum rk_subid_source { RK_SUBID_AUTO, RK_SUBID_DYNAMIC, RK_SUBID_STATIC };

/* What validation decided: the drivers of this run (from the driver tables) and the modes that
 * the flags carry as text, resolved once. */
struct rk_choice {
	const struct rk_net_driver *net;
	const struct rk_port_driver *port;
	bool reaper;		    /* --reaper (auto = --pidns) */
	unsigned long propagation;  /* mount flags of --propagation; 0 = leave it alone */
	enum rk_subid_source subid; /* --subid-source */
	bool etc_copied; /* --copy-up names /etc (cleaned): resolv.conf and hosts become files */
};

/**
 * rk_config_validate - validate @cfg and pick its drivers into @out.
 * @warnings: receives warning texts (may be NULL).
 * Return: 0, or -EINVAL with the error text in @err.
 */
int rk_config_validate(const struct rk_config *cfg, struct rk_choice *out, struct rk_strv *warnings,
		       struct rk_err *err);

/** rk_reaper_enabled - whether the reaper runs, from --reaper and --pidns (validated cfg). */
int rk_reaper_enabled(const struct rk_config *cfg);

/**
 * rk_propagation_flags - mount flags of a --propagation value; 0 for unknown values (which are
 * ignored, as upstream does).
 */
unsigned long rk_propagation_flags(const char *value);

/**
 * rk_cidr_check - parse an IPv4/IPv6 CIDR like Go's net.ParseCIDR and reject host bits.
 * Return: 0, -EINVAL (unparsable) or -EDOM (host bits set).
 */
int rk_cidr_check(const char *cidr);

#endif
