// SPDX-License-Identifier: Apache-2.0
/*
 * builtin.c - the builtin port driver (SPEC 8.2): the parent listens on the host, the child
 * makes sockets in its network namespace, the parent moves the bytes (builtin_tcp.c,
 * builtin_udp.c). This file opens the listeners with upstream's address rules and error texts
 * and computes each port's target inside the namespace.
 */
#include "port/builtin.h"
#include "util/goparse.h"
#include "util/log.h"
#include "util/msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const rk_builtin_protos[] = {"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", NULL};

extern char *program_invocation_name;

/* An address of a port spec: "" (none), IPv4 or IPv6. */
struct rk_baddr {
	int family; /* 0 when empty */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
};

static void rk_baddr_parse(const char *s, struct rk_baddr *out)
{
	memset(out, 0, sizeof(*out));
	if (!s[0])
		return;
	if (inet_pton(AF_INET, s, &out->a.v4) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, s, &out->a.v6) == 1)
		out->family = AF_INET6;
}

static bool rk_baddr_unspecified(const struct rk_baddr *a)
{
	if (a->family == AF_INET)
		return a->a.v4.s_addr == INADDR_ANY;
	return a->family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&a->a.v6);
}

/* Go's text of a listen address: ":8080", "127.0.0.1:8080", "[::1]:8080". */
static void rk_baddr_text(const struct rk_baddr *a, int port, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "";

	if (a->family)
		inet_ntop(a->family, &a->a, ip, sizeof(ip));
	snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, port);
}

/* The host's first non-loopback IPv4 address (upstream's HostGatewayIP), or "" */
static void rk_builtin_host_gateway(char *buf, size_t len)
{
	struct ifaddrs *ifa, *i;

	buf[0] = '\0';
	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf, len);
		break;
	}
	freeifaddrs(ifa);
}

/* SPEC 8.2.3: where a port's connections go inside the netns. */
static void rk_builtin_target(const struct rk_port_spec *s, struct sockaddr_storage *ss,
			      socklen_t *len)
{
	struct rk_baddr a;
	char gw[INET_ADDRSTRLEN];

	rk_baddr_parse(s->child_ip, &a);
	if (!a.family) {
		rk_baddr_parse(s->parent_ip, &a);
		rk_builtin_host_gateway(gw, sizeof(gw));
		if (!a.family || (a.family == AF_INET && a.a.v4.s_addr == INADDR_ANY) ||
		    !strcmp(s->parent_ip, gw)) {
			a.family = AF_INET;
			a.a.v4.s_addr = htonl(INADDR_LOOPBACK);
		}
	}
	rk_port_sockaddr(ss, len, a.family, &a.a, s->child_port);
}

static int rk_unprivileged_port_start(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	int v = 1024;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 1024;
		fclose(f);
	}
	return v;
}

/* "listen tcp 127.0.0.1:80: bind: permission denied", with the privileged-port hint. */
static int rk_builtin_bind_error(const char *net, const char *addr, int port, int e,
				 struct rk_err *err)
{
	int start = rk_unprivileged_port_start();
	char argv0[256];

	if ((e != EACCES && e != EPERM) || port >= start)
		return rk_err_errno(err, e, "listen %s %s: bind", net, addr);
	snprintf(argv0, sizeof(argv0), "%s", program_invocation_name);
	return rk_err_set(err, e,
			  "cannot expose privileged port %d, you can add "
			  "'net.ipv4.ip_unprivileged_port_start=%d' to /etc/sysctl.conf "
			  "(currently %d)%s, or choose a larger port number (>= %d): listen %s "
			  "%s: bind: %s",
			  port, port, start,
			  strcmp(basename(argv0), "rootlesskit")
			      ? ""
			      : ", or set CAP_NET_BIND_SERVICE on rootlesskit binary",
			  start, net, addr, go_strerror(e));
}

/* The listener of SPEC 8.2.2. Return: the fd or -errno with @err. */
static int rk_builtin_listen(const struct rk_port_spec *s, bool udp, struct rk_err *err)
{
	char suffix = s->proto[3], addr[64];
	struct rk_baddr a;
	struct sockaddr_storage ss;
	socklen_t len;
	int v6only = -1, fd, one = 1;

	rk_baddr_parse(s->parent_ip, &a);
	rk_baddr_text(&a, s->parent_port, addr, sizeof(addr));
	if (suffix == '4' && a.family == AF_INET6)
		return rk_err_set(err, EINVAL, "listen %s: address %s: no suitable address found",
				  s->proto, s->parent_ip);
	if (suffix == '6' && a.family == AF_INET)
		return rk_err_set(err, EINVAL, "listen %s: address %s: no suitable address found",
				  s->proto, s->parent_ip);
	if (suffix == '4' && !a.family) {
		a.family = AF_INET;
	} else if (suffix == '6') {
		a.family = AF_INET6;
		v6only = 1;
	} else if (!suffix && (!a.family || rk_baddr_unspecified(&a))) {
		memset(&a, 0, sizeof(a));
		a.family = AF_INET6; /* dual-stack */
		v6only = 0;
	}
	fd = socket(a.family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && a.family == AF_INET6 && v6only == 0 && errno == EAFNOSUPPORT) {
		a.family = AF_INET; /* a host without IPv6 */
		fd = socket(AF_INET,
			    (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return rk_err_errno(err, errno, "listen %s %s: socket", s->proto, addr);
	if (!udp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a.family == AF_INET6 && v6only >= 0)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	rk_port_sockaddr(&ss, &len, a.family, &a.a, s->parent_port);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;
		close(fd);
		return rk_builtin_bind_error(s->proto, addr, s->parent_port, e, err);
	}
	if (!udp && listen(fd, 65535) < 0) {
		int e = errno;
		close(fd);
		return rk_err_errno(err, e, "listen %s %s: listen", s->proto, addr);
	}
	return fd;
}

static void rk_builtin_port_free(struct rk_bport *p)
{
	if (p->udp)
		rk_budp_stop(p);
	else
		rk_btcp_stop(p);
	free(p);
}

static int rk_builtin_add(struct rk_ports *pt, struct rk_port_entry *e, struct rk_err *err)
{
	struct rk_builtin *b = rk_ports_priv(pt);
	const struct rk_port_spec *s = &e->spec;
	struct rk_bport *p;
	bool udp;
	int rc;

	if (strncmp(s->proto, "tcp", 3) && strncmp(s->proto, "udp", 3))
		return rk_err_set(err, EPROTONOSUPPORT, "unsupported port protocol %s", s->proto);
	udp = s->proto[0] == 'u';
	if (!(p = calloc(1, sizeof(*p))))
		return rk_err_set(err, ENOMEM, "out of memory");
	p->b = b;
	p->e = e;
	p->udp = udp;
	rk_builtin_target(s, &p->target, &p->target_len);
	if ((p->lfd = rk_builtin_listen(s, udp, err)) < 0) {
		rc = p->lfd;
		free(p);
		return rc;
	}
	rc = udp ? rk_budp_start(p) : rk_btcp_start(p);
	if (rc < 0) {
		if (!p->lsrc)
			close(p->lfd);
		rk_builtin_port_free(p);
		return rk_err_errno(err, -rc, "starting port");
	}
	rk_sockpool_warm(b->pool, p->target.ss_family, udp ? SOCK_DGRAM : SOCK_STREAM);
	e->priv = p;
	return 0;
}

static int rk_builtin_remove(struct rk_ports *pt, struct rk_port_entry *e, struct rk_err *err)
{
	if (e->priv)
		rk_builtin_port_free(e->priv);
	e->priv = NULL;
	return 0;
}

static bool rk_builtin_on_msg(struct rk_ports *pt, struct rk_msg *m)
{
	struct rk_builtin *b = rk_ports_priv(pt);

	if (m->type == RK_MSG_SRCIP_DONE) {
		rk_btcp_srcip_ready(b, (int)m->value);
		return true;
	}
	return rk_sockpool_on_msg(b->pool, m);
}

static int rk_builtin_start(struct rk_ports *pt, struct rk_err *err)
{
	const struct rk_port_env *env = rk_ports_env(pt);
	struct rk_builtin *b = calloc(1, sizeof(*b));
	int rc;

	if (!b)
		return rk_err_set(err, ENOMEM, "out of memory");
	b->loop = env->loop;
	b->chan_sock = env->chan_sock;
	b->srcip = env->cfg->source_ip_transparent;
	if ((rc = rk_sockpool_new(env->loop, env->chan_sock, &b->pool)) < 0 ||
	    (rc = rk_pipepool_new(&b->pipes)) < 0) {
		rk_sockpool_free(b->pool);
		free(b);
		return rk_err_errno(err, -rc, "starting the builtin port driver");
	}
	rk_ports_set_priv(pt, b);
	return 0;
}

static void rk_builtin_stop(struct rk_ports *pt)
{
	struct rk_builtin *b = rk_ports_priv(pt);

	if (!b)
		return;
	rk_sockpool_free(b->pool);
	rk_pipepool_free(b->pipes);
	free(b);
}

const struct rk_port_driver rk_port_builtin = {
    .name = "builtin",
    .built = true,
    .validate = rk_port_validate_nonhost,
    .protos = rk_builtin_protos,
    .own_ids = true,
    .child_sockets = true,
    .start = rk_builtin_start,
    .add = rk_builtin_add,
    .remove = rk_builtin_remove,
    .on_msg = rk_builtin_on_msg,
    .stop = rk_builtin_stop,
};
