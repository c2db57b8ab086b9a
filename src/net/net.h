/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net.h - network drivers (SPEC 7): one ops struct per driver, one table of drivers.
 *
 * The table (net.c) drives validation, --help and dispatch: a driver is one file defining a
 * const struct rk_net_driver and one row in the table. A run goes through the hooks in this
 * order, each optional:
 *
 *   validate         parent, pure: flag combinations, warnings (SPEC 2.3 item 8)
 *   probe            parent, before the state dir exists: find the binary, probe features
 *   child_prepare    child, inside the new netns, before it reports ready: e.g. make the tap
 *                    (and pass its fd on to the parent: the built-in stack)
 *   start            parent, after the child is ready: start helpers, say what to configure
 *   child_configure  child, on the parent's word: e.g. DHCP; fills in the address
 *   stop             parent, at the end: kill helpers
 *
 * Around the hooks, common code brings lo up, configures the interface with netlink (unless
 * the driver did), writes STATE_DIR/hosts and resolv.conf and bind-mounts them (SPEC 4.4).
 */
#ifndef RK_NET_NET_H
#define RK_NET_NET_H

#include <stdbool.h>
#include <sys/types.h>

#include "cli/options.h"
#include "parent/helper.h"
#include "util/err.h"
#include "util/loop.h"
#include "util/msg.h"
#include "util/strv.h"

struct rk_net;

/* What the API reports (SPEC 10.1 NetworkDriverInfo); absent entirely for host. */
struct rk_net_info {
	const char *driver;
	char child_ip[RK_MSG_IPSTR]; /* "" = omitted */
	char dns[RK_MSG_DNS_MAX][RK_MSG_IPSTR];
	int ndns;
	bool dynamic_child_ip;
};

/* The parent's side of a run, as drivers see it. */
struct rk_net_parent_env {
	struct rk_loop *loop;
	pid_t child_pid;
	const char *state_dir;
	const char *netns_path; /* detach mode: /proc/<pid>/root<statedir>/netns; else NULL */
	const bool *abort;	/* becomes true when waiting makes no sense (the child died) */
	int *child_fd;		/* the fd the child's prepare passed (-1: none); start may take it
				 * (then it sets *child_fd to -1) */
};

/* The child's side of a run, as drivers see it. */
struct rk_net_child_env {
	const struct rk_config *cfg;
	struct rk_loop *loop;
	int nsfd; /* the detached netns, or -1: the child's own netns (the current one) */
	const char *state_dir;
	int *ready_fd; /* child_prepare may set it: an fd the parent gets with CHILD_READY */
};

struct rk_net_driver {
	const char *name;
	bool built;	     /* false: rejected as not supported by this build */
	const char *why_not; /* when !built: what is missing, for the error message */
	bool new_netns;	     /* the child gets its own network namespace (all but host) */
	bool child_part;     /* hosts/resolv.conf, /sys remount, interface set-up (not host/none) */
	int (*validate)(const struct rk_config *cfg, struct rk_strv *warnings, struct rk_err *err);
	int (*probe)(struct rk_net *net, struct rk_err *err);
	int (*child_prepare)(const struct rk_net_child_env *env, struct rk_err *err);
	int (*start)(struct rk_net *net, const struct rk_net_parent_env *env,
		     struct rk_msg_net *out, struct rk_err *err);
	int (*child_configure)(const struct rk_net_child_env *env, struct rk_msg_net *net,
			       struct rk_err *err);
	void (*stop)(struct rk_net *net);
};

/* A driver instance in the parent. */
struct rk_net {
	const struct rk_net_driver *ops;
	const struct rk_config *cfg;
	void *priv; /* the driver's own state (freed by stop) */
	struct rk_net_info info;
};

/** rk_net_drivers - the table, NULL-terminated, in --help order. */
extern const struct rk_net_driver *const rk_net_drivers[];

/** rk_net_driver_find - the driver called @name, or NULL. */
const struct rk_net_driver *rk_net_driver_find(const char *name);

/** rk_net_driver_list - "host, none, ..." of the built drivers into @buf. Return: @buf. */
const char *rk_net_driver_list(char *buf, size_t len);

/** rk_net_probe - create the instance for @ops and run its probe. Return: 0 or -errno. */
int rk_net_probe(struct rk_net *net, const struct rk_net_driver *ops, const struct rk_config *cfg,
		 struct rk_err *err);

/** rk_net_stop - stop the driver's helpers and free its state (idempotent). */
void rk_net_stop(struct rk_net *net);

/* --- helpers shared by the drivers (net.c) --- */

/**
 * rk_net_cidr - the address plan of --cidr (default 10.0.2.0/24): network + @offset as text
 * into @ip, the prefix length into *@prefix. Return: 0 or -EINVAL with Go's text
 * ("expected IPv4 address, got <ip>").
 */
int rk_net_cidr(const char *cidr, unsigned offset, char ip[RK_MSG_IPSTR], int *prefix,
		struct rk_err *err);

/**
 * rk_net_plan - the fixed address plan of --cidr into @m (SPEC 7.1): child .100, gateway
 * @gw_offset, the first DNS server @dns_offset, the prefix length. Return: 0 or -EINVAL.
 */
int rk_net_plan(const struct rk_config *cfg, unsigned gw_offset, unsigned dns_offset,
		struct rk_msg_net *m, struct rk_err *err);

/** rk_net_cidr_check - whether --cidr gives an IPv4 address plan (rk_net_cidr's errors). */
int rk_net_cidr_check(const struct rk_config *cfg, struct rk_err *err);

/** rk_net_mtu - --mtu, or @def when it is 0. */
int rk_net_mtu(const struct rk_config *cfg, int def);

/** rk_net_ifname - --ifname, or @def when empty. */
const char *rk_net_ifname(const struct rk_config *cfg, const char *def);

/* How long a helper may take to become ready (slirp4netns' ready byte, pasta's daemonisation,
 * lxc-user-nic's exit) before the start fails; they normally need milliseconds. */
#define RK_NET_HELPER_TIMEOUT_MS 30000

/**
 * rk_net_wait_helper - run the parent's loop until *@done becomes true or helper @h exits, for
 * at most RK_NET_HELPER_TIMEOUT_MS; the child's death ends the wait too.
 * @subject, @verb: for the timeout's message, "<subject> did not <verb> within 30 s".
 * Return: 0 (*@done or @h exited: the caller looks at which), or -errno with @err: -ECANCELED
 * (the child died), -ETIMEDOUT, or the loop's error.
 */
int rk_net_wait_helper(const struct rk_net_parent_env *env, const struct rk_helper *h,
		       const bool *done, const char *subject, const char *verb, struct rk_err *err);

/** rk_net_info_from - fill the API facts (child IP, DNS) from the configuration @m. */
void rk_net_info_from(struct rk_net *net, const struct rk_msg_net *m);

/** rk_net_validate_host_like - the checks of host and none (mtu warning, cidr, ifname). */
int rk_net_validate_host_like(const struct rk_config *cfg, struct rk_strv *warnings,
			      struct rk_err *err);

struct rk_stack;

/** rk_net_stack - the built-in stack of a --net=gvisor-tap-vsock run, else NULL. */
struct rk_stack *rk_net_stack(const struct rk_net *net);

/* The drivers (one file each). */
extern const struct rk_net_driver rk_net_host;
extern const struct rk_net_driver rk_net_none;
extern const struct rk_net_driver rk_net_pasta;
extern const struct rk_net_driver rk_net_slirp4netns;
extern const struct rk_net_driver rk_net_vpnkit;
extern const struct rk_net_driver rk_net_lxc_user_nic;
extern const struct rk_net_driver rk_net_gvisor_tap_vsock;

#endif
