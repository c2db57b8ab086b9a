// SPDX-License-Identifier: Apache-2.0
/*
 * gvisortapvsock.c - the gvisor-tap-vsock port driver (SPEC 8.4): the built-in stack's own host
 * forwarding. libslirp listens on the host (slirp_add_hostxfwd, one rule per address family)
 * and carries each connection through its TCP/IP stack to the child's address.
 *
 * As upstream: IDs from 1, no conflict check between specs (a second listener on the same
 * address fails in bind, a same proto+address pair is "proxy already running"), the listed
 * spec has childIP filled in, texts `failed to expose port: expose request failed with status
 * 500: <error>\n` and `unknown port id: <n>`. tcp6/udp6 are taken as tcp/udp, as upstream's
 * prefix check does. An IPv6 parent address is refused as upstream refuses it (Go's "too many
 * colons"), unless the child address is IPv6 too (--ipv6): libslirp 4.7 does not forward from
 * one address family to the other. "" and "::" listen on IPv4 (and IPv6 with --ipv6).
 */
#include "net/net.h"
#include "net/stack.h"
#include "port/port.h"
#include "util/goparse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rk_gvp_protos[] = {"tcp", "tcp4", "udp", "udp4", NULL};

/* One published port: up to two rules (IPv4 and IPv6 listeners). */
struct rk_gvp_port {
	struct rk_stack_fwd fwd[2];
	int nfwd;
};

/* The child's addresses in the driver's default plan (network/gvisortapvsock.c) */
#define RK_GVP_CHILD6 "fd00::100"
#define RK_GVP_CHILD4 "10.0.2.100"

/* Upstream builds "ip:port" with %s:%d, which Go refuses for an IPv6 address; the same text
 * where libslirp cannot forward across families. */
static int rk_gvp_colons(const struct rk_port_spec *s, struct rk_err *err)
{
	return rk_err_set(
	    err, EINVAL,
	    "failed to expose port: expose request failed with status 500: listen %s: "
	    "address %s:%d: too many colons in address\n",
	    strncmp(s->proto, "udp", 3) ? "tcp" : "udp", s->parent_ip, s->parent_port);
}

static int rk_gvp_validate(const struct rk_config *cfg, struct rk_err *err)
{
	int rc = rk_port_validate_nonhost(cfg, err);

	if (rc < 0)
		return rc;
	if (strcmp(cfg->net, "gvisor-tap-vsock"))
		return rk_err_set(err, EINVAL, "port driver requires gvisor-tap-vsock network");
	return 0;
}

/* Go's "listen tcp <addr>" text of the local address as upstream builds it ("%s:%d"). */
static void rk_gvp_local_text(const struct rk_port_spec *s, char *buf, size_t len)
{
	snprintf(buf, len, strchr(s->parent_ip, ':') ? "[%s]:%d" : "%s:%d", s->parent_ip,
		 s->parent_port);
}

/* Append the rule host @hfam/@h:parent port -> guest @gfam/@g:child port of spec @s to @p. */
static void rk_gvp_rule(struct rk_gvp_port *p, const struct rk_port_spec *s, int hfam,
			const void *h, int gfam, const void *g, bool v6only)
{
	struct rk_stack_fwd *f = &p->fwd[p->nfwd++];

	rk_port_sockaddr(&f->host, &f->host_len, hfam, h, s->parent_port);
	rk_port_sockaddr(&f->guest, &f->guest_len, gfam, g, s->child_port);
	f->udp = !strncmp(s->proto, "udp", 3);
	f->v6only = v6only;
}

/*
 * The rules of spec @s: listeners by its parent IP, connections to its child address.
 * libslirp 4.7 forwards within one address family only: an IPv6 listener needs an IPv6 child
 * address (--ipv6: fd00::100). "" and "::" listen on IPv4, and on IPv6 too with --ipv6.
 */
static int rk_gvp_rules(const struct rk_port_spec *s, bool ipv6, struct rk_gvp_port *p,
			struct rk_err *err)
{
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} h, g;
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	const struct in_addr any4 = {INADDR_ANY};
	struct in6_addr child6;
	int gfam;

	if (inet_pton(AF_INET, s->child_ip, &g.v4) == 1)
		gfam = AF_INET;
	else if (inet_pton(AF_INET6, s->child_ip, &g.v6) == 1)
		gfam = AF_INET6;
	else
		return rk_err_set(err, EINVAL, "invalid ChildIP: %s", s->child_ip);
	inet_pton(AF_INET6, RK_GVP_CHILD6, &child6);
	p->nfwd = 0;
	if (inet_pton(AF_INET, s->parent_ip, &h.v4) == 1 ||
	    (inet_pton(AF_INET6, s->parent_ip, &h.v6) == 1 && !IN6_IS_ADDR_UNSPECIFIED(&h.v6))) {
		int hfam = strchr(s->parent_ip, ':') ? AF_INET6 : AF_INET;
		if (gfam != hfam)
			return rk_gvp_colons(s, err);
		rk_gvp_rule(p, s, hfam, &h, gfam, &g, false);
		return 0;
	}
	/* "" or "::": as Go's listener on ":port", within libslirp's limits */
	if (gfam == AF_INET)
		rk_gvp_rule(p, s, AF_INET, &any4, AF_INET, &g, false);
	if (ipv6 && (gfam == AF_INET6 || !strcmp(s->child_ip, RK_GVP_CHILD4)))
		rk_gvp_rule(p, s, AF_INET6, &any6, AF_INET6,
			    gfam == AF_INET6 ? (const void *)&g : &child6, true);
	return 0;
}

static int rk_gvp_fail(struct rk_err *err, const char *what)
{
	return rk_err_set(
	    err, EIO, "failed to expose port: expose request failed with status 500: %s\n", what);
}

/* upstream's forwarder refuses a second proxy on the same protocol and local address */
static bool rk_gvp_running(struct rk_ports *pt, const struct rk_port_entry *e)
{
	bool udp = !strncmp(e->spec.proto, "udp", 3);

	for (size_t i = 0; i < rk_ports_count(pt); i++) {
		const struct rk_port_entry *o = rk_ports_at(pt, i);
		if (!strncmp(o->spec.proto, "udp", 3) == udp &&
		    !strcmp(o->spec.parent_ip, e->spec.parent_ip) &&
		    o->spec.parent_port == e->spec.parent_port)
			return true;
	}
	return false;
}

static int rk_gvp_add(struct rk_ports *pt, struct rk_port_entry *e, struct rk_err *err)
{
	const struct rk_port_env *env = rk_ports_env(pt);
	struct rk_stack *st = rk_ports_priv(pt);
	struct rk_gvp_port *p;
	char local[96], what[192];
	int rc;

	if (strncmp(e->spec.proto, "tcp", 3) && strncmp(e->spec.proto, "udp", 3))
		return rk_err_set(err, EINVAL, "unsupported protocol: %s", e->spec.proto);
	if (!e->spec.child_ip[0] && env->net)
		snprintf(e->spec.child_ip, sizeof(e->spec.child_ip), "%s", env->net->child_ip);
	if (rk_gvp_running(pt, e))
		return rk_gvp_fail(err, "proxy already running");
	if (!(p = calloc(1, sizeof(*p))))
		return rk_err_set(err, ENOMEM, "out of memory");
	if ((rc = rk_gvp_rules(&e->spec, env->cfg->ipv6, p, err)) < 0) {
		free(p);
		return rc;
	}
	for (int i = 0; i < p->nfwd; i++) {
		if ((rc = rk_stack_fwd_add(st, &p->fwd[i])) == 0)
			continue;
		while (--i >= 0)
			rk_stack_fwd_remove(st, &p->fwd[i]);
		free(p);
		rk_gvp_local_text(&e->spec, local, sizeof(local));
		snprintf(what, sizeof(what), "listen %s %s: bind: %s",
			 strncmp(e->spec.proto, "udp", 3) ? "tcp" : "udp", local, go_strerror(-rc));
		return rk_gvp_fail(err, what);
	}
	e->priv = p;
	return 0;
}

static int rk_gvp_remove(struct rk_ports *pt, struct rk_port_entry *e, struct rk_err *err)
{
	struct rk_gvp_port *p = e->priv;

	if (!p)
		return 0;
	for (int i = 0; i < p->nfwd; i++)
		rk_stack_fwd_remove(rk_ports_priv(pt), &p->fwd[i]);
	free(p);
	e->priv = NULL;
	return 0;
}

static int rk_gvp_start(struct rk_ports *pt, struct rk_err *err)
{
	struct rk_stack *st = rk_ports_env(pt)->stack;

	if (!st)
		return rk_err_set(err, EINVAL, "port driver requires gvisor-tap-vsock network");
	rk_ports_set_priv(pt, st);
	return 0;
}

const struct rk_port_driver rk_port_gvisor_tap_vsock = {
    .name = "gvisor-tap-vsock",
    .built = true,
    .validate = rk_gvp_validate,
    .protos = rk_gvp_protos,
    .disallow_loopback_child_ip = true,
    .own_ids = true,
    .no_conflict_check = true,
    .unknown_id = "unknown port id",
    .start = rk_gvp_start,
    .add = rk_gvp_add,
    .remove = rk_gvp_remove,
};
