/* SPDX-License-Identifier: Apache-2.0 */
/*
 * port.h - port drivers (SPEC 8): one ops struct per driver, one table of drivers, which
 * drives validation, --help and dispatch, and the port table every driver shares.
 *
 * The table (port.c) holds the published ports in ascending ID order and does what is common
 * to every driver: validation of the spec, upstream's conflict rule (SPEC 9), a reservation
 * while a driver works, and the listing. A driver adds and removes its own forwarding; it may
 * finish at once or later from the event loop (slirp4netns answers over a socket), so both
 * take a completion callback. Drivers: none and implicit have no port routes (the API answers
 * 400); builtin, slirp4netns, socat and gvisor-tap-vsock (the built-in stack's own) forward.
 */
#ifndef RK_PORT_PORT_H
#define RK_PORT_PORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "cli/options.h"
#include "util/err.h"
#include "util/loop.h"
#include "util/portspec.h"

struct rk_net_info;
struct rk_stack;
struct rk_ports;
struct rk_msg;

/* One published port. */
struct rk_port_entry {
	int64_t id;
	struct rk_port_spec spec; /* as posted (slirp4netns) or with defaults filled in */
	bool pending;		  /* being added or removed: holds its place, not listed */
	void *priv;		  /* the driver's */
};

/* What a running driver gets from the parent. */
struct rk_port_env {
	struct rk_loop *loop;
	const struct rk_config *cfg;
	const char *state_dir;
	int chan_sock;		       /* the channel to the child (builtin asks it for sockets) */
	pid_t child_pid;	       /* socat enters its namespaces */
	const struct rk_net_info *net; /* the network's facts (child IP), NULL for host */
	struct rk_stack *stack;	       /* the built-in network stack, or NULL */
};

/*
 * Completion of an add or a remove: @rc 0 (then @e is the entry, listed now) or -errno with
 * @err. Called exactly once, possibly before the add/remove call returns.
 */
typedef void (*rk_port_done_cb)(void *ctx, int rc, const struct rk_port_entry *e,
				const struct rk_err *err);

struct rk_port_driver {
	const char *name;
	bool built;
	/* pure: which networks it works with (SPEC 2.3 item 9) */
	int (*validate)(const struct rk_config *cfg, struct rk_err *err);
	/* API facts (SPEC 10.1); protos NULL = no port routes (400 "no PortDriver is available")
	 * and nothing runs in the parent: -p is validated, then ignored (implicit: pasta forwards
	 * by itself) */
	const char *const *protos;
	bool disallow_loopback_child_ip;
	/* sequential IDs from 1 (builtin, socat); else the driver sets e->id in add */
	bool own_ids;
	/* the child serves socket requests (child/portsvc.c) */
	bool child_sockets;
	/* remove is passed to the driver even for an ID not listed (slirp4netns answers) */
	bool remove_unlisted;
	/* specs are not checked against each other (gvisor-tap-vsock: its listeners tell) */
	bool no_conflict_check;
	/* what a remove of an ID not listed says before ": <id>"; NULL: "unknown id" */
	const char *unknown_id;
	/* start: create the driver's state in pt (rk_ports_priv). Return: 0 or -errno with @err */
	int (*start)(struct rk_ports *pt, struct rk_err *err);
	/*
	 * add: start forwarding e->spec (validated, no conflict, e->id set unless own_ids).
	 * Return: 0 when done, -EINPROGRESS when rk_ports_driver_done() follows, or -errno with
	 * @err.
	 */
	int (*add)(struct rk_ports *pt, struct rk_port_entry *e, struct rk_err *err);
	/* remove: stop forwarding e; same returns as add. The entry goes even if it fails. */
	int (*remove)(struct rk_ports *pt, struct rk_port_entry *e, struct rk_err *err);
	/* on_msg: a channel message for the driver (builtin's sockets). Return: taken */
	bool (*on_msg)(struct rk_ports *pt, struct rk_msg *m);
	/* stop: close everything, free the state */
	void (*stop)(struct rk_ports *pt);
};

/** rk_port_drivers - the table, NULL-terminated, in --help order. */
extern const struct rk_port_driver *const rk_port_drivers[];

/** rk_port_driver_find - the driver called @name, or NULL. */
const struct rk_port_driver *rk_port_driver_find(const char *name);

/** rk_port_driver_list - "none, implicit, ..." of the built drivers into @buf. Return: @buf. */
const char *rk_port_driver_list(char *buf, size_t len);

/* --- the running instance (port.c) --- */

/** rk_ports_start - start driver @ops with @env (copied). Return: 0 or -errno with @err. */
int rk_ports_start(struct rk_ports **out, const struct rk_port_driver *ops,
		   const struct rk_port_env *env, struct rk_err *err);

/** rk_ports_stop - remove every port, stop the driver, free @pt (NULL is ignored). */
void rk_ports_stop(struct rk_ports *pt);

/**
 * rk_ports_add - validate @spec (rk_portspec_validate), check conflicts, let the driver add
 * it; @cb runs when that is done (maybe before this returns).
 */
void rk_ports_add(struct rk_ports *pt, const struct rk_port_spec *spec, rk_port_done_cb cb,
		  void *ctx);

/** rk_ports_remove - remove port @id (`unknown id: <id>` if there is none); @cb as for add. */
void rk_ports_remove(struct rk_ports *pt, int64_t id, rk_port_done_cb cb, void *ctx);

/** rk_ports_count / rk_ports_at - the listed ports in ascending ID order. */
size_t rk_ports_count(const struct rk_ports *pt);
const struct rk_port_entry *rk_ports_at(const struct rk_ports *pt, size_t i);

/** rk_ports_on_msg - pass a channel message to the driver. Return: taken. */
bool rk_ports_on_msg(struct rk_ports *pt, struct rk_msg *m);

/* --- for drivers --- */

/** rk_ports_env - the environment the driver was started with. */
const struct rk_port_env *rk_ports_env(const struct rk_ports *pt);

/** rk_ports_priv / rk_ports_set_priv - the driver's state. */
void *rk_ports_priv(const struct rk_ports *pt);
void rk_ports_set_priv(struct rk_ports *pt, void *priv);

/** rk_ports_stopping - whether the ports are being removed because the run ends. */
bool rk_ports_stopping(const struct rk_ports *pt);

/** rk_ports_driver_done - finish an add or remove that returned -EINPROGRESS. */
void rk_ports_driver_done(struct rk_ports *pt, struct rk_port_entry *e, int rc,
			  const struct rk_err *err);

/** rk_port_validate_nonhost - "port driver requires non-host network" for --net=host. */
int rk_port_validate_nonhost(const struct rk_config *cfg, struct rk_err *err);

/**
 * rk_port_ipv4 - upstream's check of an address for the IPv4-only drivers (slirp4netns, socat):
 * its canonical IPv4 text into @out, or `invalid IP: "<ip>"` / `unsupported <what> (v6?): <ip>`.
 * Return: 0 or -EINVAL with @err.
 */
int rk_port_ipv4(const char *ip, const char *what, char out[INET_ADDRSTRLEN], struct rk_err *err);

/**
 * rk_port_sockaddr - the socket address of @family (AF_INET or AF_INET6) address @addr (4 or 16
 * bytes, network order) and @port into @ss, its length into *@len.
 */
void rk_port_sockaddr(struct sockaddr_storage *ss, socklen_t *len, int family, const void *addr,
		      int port);

/** rk_port_validate_slirp4netns - "port driver requires slirp4netns network" otherwise. */
int rk_port_validate_slirp4netns(const struct rk_config *cfg, struct rk_err *err);

/* The drivers that forward (one file each). */
extern const struct rk_port_driver rk_port_builtin;
extern const struct rk_port_driver rk_port_slirp4netns;
extern const struct rk_port_driver rk_port_socat;
extern const struct rk_port_driver rk_port_gvisor_tap_vsock;

#endif
