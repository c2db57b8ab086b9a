// SPDX-License-Identifier: Apache-2.0
/*
 * slirp4netns.c - the slirp4netns port driver (SPEC 8.3): slirp4netns itself listens on the
 * host and forwards into the namespace; we ask it over its API socket STATE_DIR/.s4nn.sock.
 *
 * Each add or remove is one connection: connect, write the request line, shut down writing,
 * read the reply to EOF, all non-blocking from the parent's loop (slirp4netns answers at
 * once, but a stuck or dead slirp4netns must not stall the parent: a call has RK_S4_CALL_MS).
 * IDs are slirp4netns' own; the listed spec is the one posted; conflicts are checked on our
 * table first (SPEC 9). Texts are upstream's: `unsupported protocol "tcp6"`, `unsupported IP
 * (v6?): <ip>`, `reply.Error: map[desc:<slirp4netns' text>]`. A remove goes to slirp4netns
 * even for an ID we do not list, so an unknown ID gets slirp4netns' answer, as upstream.
 */
#include "net/net.h"
#include "port/port.h"
#include "port/s4reply.h"
#include "util/log.h"
#include "util/unixaddr.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define RK_S4_CALL_MS 10000

static const char *const rk_s4_protos[] = {"tcp", "tcp4", "udp", "udp4", NULL};

struct rk_s4call {
	struct rk_s4port *d;
	struct rk_s4call *next, **pprev;
	struct rk_port_entry *e;
	bool add;
	int fd;
	struct rk_loop_src *src, *timer;
	char *req;
	size_t req_len, req_off;
	char *rep;
	size_t rep_len;
};

struct rk_s4port {
	struct rk_ports *pt;
	struct rk_loop *loop;
	char path[PATH_MAX];
	char child_ip[64];
	struct rk_s4call *calls;
};

static void rk_s4call_free(struct rk_s4call *c)
{
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	rk_loop_del(c->d->loop, c->src); /* closes fd */
	rk_loop_del(c->d->loop, c->timer);
	free(c->req);
	free(c->rep);
	free(c);
}

/* End a call: report to the port table. */
static void rk_s4call_end(struct rk_s4call *c, int rc, struct rk_err *err)
{
	struct rk_ports *pt = c->d->pt;
	struct rk_port_entry *e = c->e;

	rk_s4call_free(c);
	rk_ports_driver_done(pt, e, rc, err);
}

static void rk_s4call_failed(struct rk_s4call *c, int e, const char *what)
{
	struct rk_err err;

	rk_err_clear(&err);
	rk_err_errno(&err, e, "%s unix %s", what, c->d->path);
	rk_s4call_end(c, -e, &err);
}

static void rk_s4call_on_reply(struct rk_s4call *c)
{
	struct rk_err err;
	int64_t id = 0;
	int rc;

	rk_err_clear(&err);
	rc = rk_s4_reply_parse(c->rep ? c->rep : "", c->rep_len, c->add, &id, &err);
	if (rc == 0 && c->add)
		c->e->id = id;
	rk_s4call_end(c, rc, &err);
}

static void rk_s4call_on_event(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			       void *data)
{
	struct rk_s4call *c = data;
	char buf[4096];
	ssize_t n;

	if (c->req_off < c->req_len) {
		int e = 0;
		socklen_t l = sizeof(e);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &l) == 0 && e)
			return rk_s4call_failed(c, e, "dial");
		n = send(c->fd, c->req + c->req_off, c->req_len - c->req_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0)
			return rk_s4call_failed(c, errno, "write");
		c->req_off += (size_t)n;
		if (c->req_off == c->req_len) {
			shutdown(c->fd, SHUT_WR);
			rk_loop_mod_fd(loop, src, EPOLLIN);
		}
		return;
	}
	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		return rk_s4call_failed(c, errno, "read");
	if (n == 0)
		return rk_s4call_on_reply(c);
	if (c->rep_len + (size_t)n > RK_S4_REPLY_MAX) {
		struct rk_err err;
		rk_err_clear(&err);
		rk_err_set(&err, EPROTO, "slirp4netns: reply too long");
		return rk_s4call_end(c, -EPROTO, &err);
	}
	char *r = realloc(c->rep, c->rep_len + (size_t)n + 1);
	if (!r)
		return rk_s4call_failed(c, ENOMEM, "read");
	memcpy(r + c->rep_len, buf, (size_t)n);
	c->rep = r;
	c->rep_len += (size_t)n;
}

static void rk_s4call_on_timeout(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
				 void *data)
{
	struct rk_s4call *c = data;
	struct rk_err err;

	rk_err_clear(&err);
	rk_err_set(&err, ETIMEDOUT, "slirp4netns did not answer within %d s", RK_S4_CALL_MS / 1000);
	rk_s4call_end(c, -ETIMEDOUT, &err);
}

/* Start a call with request @req (taken). Return: -EINPROGRESS or -errno with @err. */
static int rk_s4call_start(struct rk_s4port *d, struct rk_port_entry *e, bool add, char *req,
			   int req_len, struct rk_err *err)
{
	struct rk_unixaddr ua;
	struct rk_s4call *c;
	int rc;

	if (req_len < 0)
		return rk_err_set(err, ENOMEM, "out of memory");
	if (!(c = calloc(1, sizeof(*c)))) {
		free(req);
		return rk_err_set(err, ENOMEM, "out of memory");
	}
	c->d = d;
	c->e = e;
	c->add = add;
	c->req = req;
	c->req_len = (size_t)req_len;
	c->next = d->calls;
	if (d->calls)
		d->calls->pprev = &c->next;
	c->pprev = &d->calls;
	d->calls = c;
	if ((rc = rk_unixaddr_init(&ua, d->path)) < 0) {
		rk_s4call_free(c);
		return rk_err_errno(err, -rc, "dial unix %s", d->path);
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	rc = c->fd < 0 || (connect(c->fd, (struct sockaddr *)&ua.sa, sizeof(ua.sa)) < 0 &&
			   errno != EINPROGRESS && errno != EAGAIN)
		 ? errno
		 : 0;
	rk_unixaddr_done(&ua);
	if (rc) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		rk_s4call_free(c);
		return rk_err_errno(err, rc, "dial unix %s: connect", d->path);
	}
	if ((rc = rk_loop_add_fd(d->loop, c->fd, EPOLLOUT, true, rk_s4call_on_event, c, &c->src)) <
		0 ||
	    (rc = rk_loop_add_timer(d->loop, RK_S4_CALL_MS, 0, rk_s4call_on_timeout, c,
				    &c->timer)) < 0) {
		if (!c->src)
			close(c->fd);
		rk_s4call_free(c);
		return rk_err_errno(err, -rc, "slirp4netns API");
	}
	return -EINPROGRESS;
}

static int rk_s4port_add(struct rk_ports *pt, struct rk_port_entry *e, struct rk_err *err)
{
	struct rk_s4port *d = rk_ports_priv(pt);
	const struct rk_port_spec *s = &e->spec;
	char proto[8], ip[64];
	char *req = NULL;
	size_t n = strlen(s->proto);
	int rc;

	if (n && s->proto[n - 1] == '6')
		return rk_err_set(err, EPROTONOSUPPORT, "unsupported protocol \"%s\"", s->proto);
	snprintf(proto, sizeof(proto), "%.*s", (int)(n && s->proto[n - 1] == '4' ? n - 1 : n),
		 s->proto);
	if (!s->child_ip[0])
		snprintf(ip, sizeof(ip), "%s", d->child_ip);
	else if ((rc = rk_port_ipv4(s->child_ip, "IP", ip, err)) < 0)
		return rc;
	int len = rk_s4_add_request(proto, s->parent_ip, s->parent_port, ip, s->child_port, &req);
	return rk_s4call_start(d, e, true, req, len, err);
}

static int rk_s4port_remove(struct rk_ports *pt, struct rk_port_entry *e, struct rk_err *err)
{
	struct rk_s4port *d = rk_ports_priv(pt);
	char *req = NULL;
	int len;

	if (rk_ports_stopping(pt))
		return 0; /* slirp4netns goes away with us */
	len = rk_s4_remove_request(e->id, &req);
	return rk_s4call_start(d, e, false, req, len, err);
}

static int rk_s4port_start(struct rk_ports *pt, struct rk_err *err)
{
	const struct rk_port_env *env = rk_ports_env(pt);
	struct rk_s4port *d = calloc(1, sizeof(*d));

	if (!d)
		return rk_err_set(err, ENOMEM, "out of memory");
	d->pt = pt;
	d->loop = env->loop;
	if ((size_t)snprintf(d->path, sizeof(d->path), "%s/.s4nn.sock", env->state_dir) >=
	    sizeof(d->path)) {
		free(d);
		return rk_err_set(err, ENAMETOOLONG, "%s/.s4nn.sock: path too long",
				  env->state_dir);
	}
	snprintf(d->child_ip, sizeof(d->child_ip), "%s", env->net ? env->net->child_ip : "");
	rk_ports_set_priv(pt, d);
	return 0;
}

static void rk_s4port_stop(struct rk_ports *pt)
{
	struct rk_s4port *d = rk_ports_priv(pt);

	if (!d)
		return;
	/* their entries are freed by the port table */
	for (struct rk_s4call *c = d->calls, *next; c; c = next) {
		next = c->next;
		rk_s4call_free(c);
	}
	free(d);
}

const struct rk_port_driver rk_port_slirp4netns = {
    .name = "slirp4netns",
    .built = true,
    .validate = rk_port_validate_slirp4netns,
    .protos = rk_s4_protos,
    .disallow_loopback_child_ip = true,
    .remove_unlisted = true,
    .start = rk_s4port_start,
    .add = rk_s4port_add,
    .remove = rk_s4port_remove,
    .stop = rk_s4port_stop,
};
