/* SPDX-License-Identifier: Apache-2.0 */
/*
 * options.h - the rootlesskit command line (SPEC section 2) as a plain configuration struct.
 *
 * Parsing follows urfave/cli v2 over Go's flag package: "-x" equals "--x", values as "--x=v" or
 * "--x v", bare bools are true, ints in Go base-0 syntax, flags end at the first non-flag word or
 * "--". Parsing and validation have no side effects: they only fill the struct or an error text.
 */
#ifndef RK_CLI_OPTIONS_H
#define RK_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strv.h"

struct rk_config {
	bool debug;
	const char *print_semver;
	const char *state_dir;
	/* network */
	const char *net;
	const char *pasta_binary;
	const char *slirp4netns_binary;
	const char *slirp4netns_sandbox;
	const char *slirp4netns_seccomp;
	const char *vpnkit_binary;
	const char *lxc_user_nic_binary;
	const char *lxc_user_nic_bridge;
	int64_t mtu;
	const char *cidr;
	const char *ifname;
	bool disable_host_loopback;
	bool ipv6;
	bool detach_netns;
	/* mount */
	struct rk_strv copy_up;
	const char *copy_up_mode;
	const char *propagation;
	/* port */
	const char *port_driver;
	struct rk_strv publish;
	bool source_ip_transparent;
	/* process */
	bool pidns, cgroupns, utsns, ipcns;
	const char *reaper;
	const char *evacuate_cgroup2;
	/* subid */
	const char *subid_source;
	/* misc */
	bool help, version;
	/* the command, pointing into argv */
	char **command;
	int command_argc;
};

enum rk_opt_type { RK_OPT_BOOL, RK_OPT_STRING, RK_OPT_INT, RK_OPT_SLICE };

/* One row of the flag table; the help text is generated from the same rows. */
struct rk_option {
	const char *name;
	const char *alias; /* short alias or NULL */
	enum rk_opt_type type;
	size_t offset; /* of the field in struct rk_config */
	const char *category;
	const char *usage;
	const char *default_text; /* "(default: ...)" shown in help, or NULL */
};

extern const struct rk_option rk_options[];
extern const size_t rk_options_count;

/** rk_config_defaults - fill @cfg with the defaults of SPEC 2.2. */
void rk_config_defaults(struct rk_config *cfg);

/** rk_config_free - release the lists owned by @cfg. */
void rk_config_free(struct rk_config *cfg);

/**
 * rk_options_parse - parse @argv[1..] into @cfg (which must hold defaults).
 * Return: 0, or -EINVAL with Go's flag error text in @err ("flag provided but not defined: -x").
 */
int rk_options_parse(int argc, char **argv, struct rk_config *cfg, struct rk_err *err);

#endif
