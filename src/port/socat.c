// SPDX-License-Identifier: Apache-2.0
/*
 * socat.c - the socat port driver (SPEC 2.2; deprecated, removed from upstream in v0.14.0,
 * kept so every driver of the seed's table works). Per port, socat listens on the host and,
 * for each connection, runs `nsenter -U -n --preserve-credentials -t <child> socat STDIN
 * <TCP|UDP>4:<ip>:<port>` into the child's namespaces (with --detach-netns: --net= the detached
 * namespace). IPv4 only; source addresses are not kept (the child sees 127.0.0.1). A socat that
 * exits is started again after (retry x 100 ms, at most 30 s), as upstream did.
 *
 * Beyond upstream: the listen address is tried with a bind of our own before socat starts, so
 * a port in use is an error of the add (upstream answered OK and socat failed in a retry loop).
 * Each socat leads a process group of its own, and removing the port (or rootlesskit's exit)
 * kills the group: its per-connection forks go with it, so the port's connections end there.
 * Upstream killed the listener alone, and a UDP fork (which never sees an end) lived on after
 * rootlesskit exited.
 */
#include "net/net.h"
#include "port/port.h"
#include "util/log.h"
#include "util/proc.h"
#include "parent/helper.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const rk_socat_protos[] = {"tcp", "tcp4", "udp", "udp4", NULL};

struct rk_socat_port {
	struct rk_ports *pt;
	struct rk_helper h;
	char *argv[4];
	char listen[128], exec[PATH_MAX + 256];
	int retry;
	struct rk_loop_src *timer;
};

/* Whether socat will be able to listen there (we bind the same address and let go). */
static int rk_socat_trybind(bool udp, const char *ip, int port, struct rk_err *err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0), one = 1, e;

	if (fd < 0)
		return rk_err_errno(err, errno, "socket");
	inet_pton(AF_INET, ip, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return 0;
	}
	e = errno;
	close(fd);
	return rk_err_errno(err, e, "listen %s %s:%d: bind", udp ? "udp" : "tcp", ip, port);
}

static void rk_socat_on_exit(struct rk_helper *h, void *data);

static int rk_socat_run(struct rk_socat_port *sp, struct rk_err *err)
{
	char name[64];

	snprintf(name, sizeof(name), "%s", sp->h.name);
	memset(&sp->h, 0, sizeof(sp->h));
	snprintf(sp->h.name, sizeof(sp->h.name), "%s", name);
	sp->h.on_exit = rk_socat_on_exit;
	sp->h.data = sp;
	sp->h.own_group = true; /* its per-connection forks end with it (UDP ones never end) */
	return rk_helper_start(&sp->h, rk_ports_env(sp->pt)->loop, sp->argv, NULL, 0, err);
}

static void rk_socat_on_timer(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			      void *data)
{
	struct rk_socat_port *sp = data;
	struct rk_err err;

	rk_err_clear(&err);
	if (rk_socat_run(sp, &err) < 0)
		rk_warn("socat port driver: %s", err.msg);
}

static void rk_socat_on_exit(struct rk_helper *h, void *data)
{
	struct rk_socat_port *sp = data;
	char st[64], line[256];
	unsigned ms;

	sp->retry++;
	ms = (unsigned)(sp->retry * 100) % 30000;
	rk_warn("socat port driver: %s %s ended (%s: %s), restarting in %u ms", sp->argv[1],
		sp->argv[2], rk_helper_status_text(h, st, sizeof(st)),
		rk_helper_last_line(h, line, sizeof(line)), ms);
	rk_helper_stop(h);
	rk_loop_timer_set(sp->timer, ms ? ms : 1, 0);
}

static int rk_socat_add(struct rk_ports *pt, struct rk_port_entry *e, struct rk_err *err)
{
	const struct rk_port_env *env = rk_ports_env(pt);
	const struct rk_port_spec *s = &e->spec;
	char pip[INET_ADDRSTRLEN] = "0.0.0.0", cip[INET_ADDRSTRLEN] = "127.0.0.1",
	     ns[PATH_MAX + 16];
	struct rk_socat_port *sp;
	bool udp = s->proto[0] == 'u';
	int rc;

	if (strcmp(s->proto, "tcp") && strcmp(s->proto, "tcp4") && strcmp(s->proto, "udp") &&
	    strcmp(s->proto, "udp4"))
		return rk_err_set(err, EPROTONOSUPPORT, "unsupported proto: %s", s->proto);
	if (s->parent_ip[0] && (rc = rk_port_ipv4(s->parent_ip, "parentIP", pip, err)) < 0)
		return rc;
	if (s->child_ip[0] && (rc = rk_port_ipv4(s->child_ip, "IP", cip, err)) < 0)
		return rc;
	if ((rc = rk_socat_trybind(udp, pip, s->parent_port, err)) < 0)
		return rc;
	if (!(sp = calloc(1, sizeof(*sp))))
		return rk_err_set(err, ENOMEM, "out of memory");
	sp->pt = pt;
	snprintf(sp->h.name, sizeof(sp->h.name), "socat");
	snprintf(sp->listen, sizeof(sp->listen),
		 "%s-LISTEN:%d,bind=%s,reuseaddr,fork,rcvbuf=65536,sndbuf=65536",
		 udp ? "UDP" : "TCP", s->parent_port, pip);
	if (env->cfg->detach_netns)
		snprintf(ns, sizeof(ns), "--net=/proc/%d/root%s/netns", (int)env->child_pid,
			 env->state_dir);
	else
		snprintf(ns, sizeof(ns), "-n");
	snprintf(sp->exec, sizeof(sp->exec),
		 "EXEC:\"nsenter -U %s --preserve-credentials -t %d socat STDIN %s4:%s:%d\",nofork",
		 ns, (int)env->child_pid, udp ? "UDP" : "TCP", cip, s->child_port);
	sp->argv[0] = (char *)"socat";
	sp->argv[1] = sp->listen;
	sp->argv[2] = sp->exec;
	if ((rc = rk_loop_add_timer(env->loop, 0, 0, rk_socat_on_timer, sp, &sp->timer)) < 0 ||
	    (rc = rk_loop_timer_set(sp->timer, 0, 0)) < 0 || (rc = rk_socat_run(sp, err)) < 0) {
		if (!err->code)
			rk_err_errno(err, -rc, "socat");
		rk_loop_del(env->loop, sp->timer);
		free(sp);
		return rc;
	}
	e->priv = sp;
	return 0;
}

static int rk_socat_remove(struct rk_ports *pt, struct rk_port_entry *e, struct rk_err *err)
{
	struct rk_socat_port *sp = e->priv;

	if (!sp)
		return 0;
	rk_helper_stop(&sp->h);
	rk_loop_del(rk_ports_env(pt)->loop, sp->timer);
	free(sp);
	e->priv = NULL;
	return 0;
}

static int rk_socat_start(struct rk_ports *pt, struct rk_err *err)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = rk_lookpath_err("socat", path, sizeof(path), err)) < 0 ||
	    (rc = rk_lookpath_err("nsenter", path, sizeof(path), err)) < 0)
		return rc;
	rk_warn("port driver \"socat\" is deprecated (upstream removed it in v0.14.0): it is "
		"slower than \"builtin\" and keeps no source addresses");
	return 0;
}

const struct rk_port_driver rk_port_socat = {
    .name = "socat",
    .built = true,
    .validate = rk_port_validate_nonhost,
    .protos = rk_socat_protos,
    .own_ids = true,
    .start = rk_socat_start,
    .add = rk_socat_add,
    .remove = rk_socat_remove,
};
