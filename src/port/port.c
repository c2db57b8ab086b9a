// SPDX-License-Identifier: Apache-2.0
/*
 * port.c - the table of port drivers, their network checks, and the table of published ports
 * that every running driver shares (see port.h).
 */
#include "port/port.h"
#include "util/goip.h"
#include "util/log.h"
#include "util/strv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

int rk_port_validate_slirp4netns(const struct rk_config *cfg, struct rk_err *err)
{
	if (strcmp(cfg->net, "slirp4netns"))
		return rk_err_set(err, EINVAL, "port driver requires slirp4netns network");
	return 0;
}

void rk_port_sockaddr(struct sockaddr_storage *ss, socklen_t *len, int family, const void *addr,
		      int port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		memcpy(&a->sin_addr, addr, 4);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		memcpy(&a->sin6_addr, addr, 16);
		*len = sizeof(*a);
	}
}

int rk_port_validate_nonhost(const struct rk_config *cfg, struct rk_err *err)
{
	if (!strcmp(cfg->net, "host"))
		return rk_err_set(err, EINVAL, "port driver requires non-host network");
	return 0;
}

static const struct rk_port_driver rk_port_none = {
    .name = "none", .built = true, .validate = rk_port_none_validate};
static const struct rk_port_driver rk_port_implicit = {
    .name = "implicit", .built = true, .validate = rk_port_implicit_validate};

const struct rk_port_driver *const rk_port_drivers[] = {
    &rk_port_none,
    &rk_port_implicit,
    &rk_port_builtin,
    &rk_port_slirp4netns,
    &rk_port_gvisor_tap_vsock,
    &rk_port_socat,
    NULL,
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

int rk_port_ipv4(const char *ip, const char *what, char out[INET_ADDRSTRLEN], struct rk_err *err)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t a[16];

	if (!go_ip_parse(ip, a))
		return rk_err_set(err, EINVAL, "invalid IP: \"%s\"", ip);
	if (memcmp(a, v4mapped, sizeof(v4mapped)))
		return rk_err_set(err, EINVAL, "unsupported %s (v6?): %s", what, ip);
	inet_ntop(AF_INET, a + 12, out, INET_ADDRSTRLEN);
	return 0;
}

/* --- the running instance --- */

/* An entry with the add or remove waiting on it. */
struct rk_port_slot {
	struct rk_port_entry e;
	rk_port_done_cb cb;
	void *ctx;
	bool removing;
};

struct rk_ports {
	const struct rk_port_driver *ops;
	struct rk_port_env env;
	void *priv;
	struct rk_port_slot **v; /* ascending IDs; pending adds of own_ids drivers at the end */
	size_t n, cap;
	int64_t next_id;
	bool stopping;
};

int rk_ports_start(struct rk_ports **out, const struct rk_port_driver *ops,
		   const struct rk_port_env *env, struct rk_err *err)
{
	struct rk_ports *pt = calloc(1, sizeof(*pt));
	int rc;

	if (!pt)
		return rk_err_set(err, ENOMEM, "out of memory");
	pt->ops = ops;
	pt->env = *env;
	pt->next_id = 1;
	if (ops->start && (rc = ops->start(pt, err)) < 0) {
		free(pt);
		return rc;
	}
	*out = pt;
	return 0;
}

const struct rk_port_env *rk_ports_env(const struct rk_ports *pt)
{
	return &pt->env;
}

void *rk_ports_priv(const struct rk_ports *pt)
{
	return pt->priv;
}

void rk_ports_set_priv(struct rk_ports *pt, void *priv)
{
	pt->priv = priv;
}

bool rk_ports_stopping(const struct rk_ports *pt)
{
	return pt->stopping;
}

bool rk_ports_on_msg(struct rk_ports *pt, struct rk_msg *m)
{
	return pt && pt->ops->on_msg && pt->ops->on_msg(pt, m);
}

static void rk_ports_unlink(struct rk_ports *pt, struct rk_port_slot *s)
{
	for (size_t i = 0; i < pt->n; i++) {
		if (pt->v[i] != s)
			continue;
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
		memmove(&pt->v[i], &pt->v[i + 1], (pt->n - i - 1) * sizeof(pt->v[0]));
		pt->n--;
		return;
	}
}

/* Put @s where its ID belongs. */
static void rk_ports_place(struct rk_ports *pt, struct rk_port_slot *s)
{
	size_t i;

	rk_ports_unlink(pt, s);
	for (i = 0; i < pt->n; i++)
		if (!pt->v[i]->e.pending && pt->v[i]->e.id > s->e.id)
			break;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	memmove(&pt->v[i + 1], &pt->v[i], (pt->n - i) * sizeof(pt->v[0]));
	pt->v[i] = s;
	pt->n++;
}

static void rk_ports_finish(struct rk_ports *pt, struct rk_port_slot *s, int rc,
			    const struct rk_err *err)
{
	rk_port_done_cb cb = s->cb;
	void *ctx = s->ctx;

	s->cb = NULL;
	if (s->removing || rc < 0) {
		struct rk_port_entry e = s->e;
		rk_ports_unlink(pt, s);
		free(s);
		if (cb)
			cb(ctx, rc, &e, err);
		return;
	}
	if (pt->ops->own_ids)
		s->e.id = pt->next_id++;
	s->e.pending = false;
	rk_ports_place(pt, s);
	if (cb)
		cb(ctx, 0, &s->e, err);
}

void rk_ports_driver_done(struct rk_ports *pt, struct rk_port_entry *e, int rc,
			  const struct rk_err *err)
{
	rk_ports_finish(pt, (struct rk_port_slot *)e, rc, err);
}

static int rk_ports_grow(struct rk_ports *pt, struct rk_err *err)
{
	size_t cap = pt->cap ? pt->cap * 2 : 16;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	struct rk_port_slot **v = realloc(pt->v, cap * sizeof(*v));

	if (!v)
		return rk_err_set(err, ENOMEM, "out of memory");
	pt->v = v;
	pt->cap = cap;
	return 0;
}

static int rk_ports_check(const struct rk_ports *pt, const struct rk_port_spec *spec,
			  struct rk_err *err)
{
	int rc = rk_portspec_validate(spec, err);

	if (rc < 0 || pt->ops->no_conflict_check)
		return rc;
	for (size_t i = 0; i < pt->n; i++) {
		const struct rk_port_entry *o = &pt->v[i]->e;
		if (!rk_portspec_conflict(&o->spec, spec))
			continue;
		if (o->pending)
			return rk_err_set(err, EADDRINUSE, "conflict with a port being added");
		return rk_err_set(err, EADDRINUSE, "conflict with ID %lld", (long long)o->id);
	}
	return 0;
}

void rk_ports_add(struct rk_ports *pt, const struct rk_port_spec *spec, rk_port_done_cb cb,
		  void *ctx)
{
	struct rk_port_slot *s;
	struct rk_err err;
	int rc;

	rk_err_clear(&err);
	if ((rc = rk_ports_check(pt, spec, &err)) < 0 ||
	    (pt->n == pt->cap && (rc = rk_ports_grow(pt, &err)) < 0) ||
	    !(s = calloc(1, sizeof(*s)))) {
		if (rc == 0)
			rk_err_set(&err, ENOMEM, "out of memory");
		cb(ctx, rc < 0 ? rc : -ENOMEM, NULL, &err);
		return;
	}
	s->e.spec = *spec;
	s->e.pending = true;
	s->cb = cb;
	s->ctx = ctx;
	pt->v[pt->n++] = s;
	rc = pt->ops->add(pt, &s->e, &err);
	if (rc != -EINPROGRESS)
		rk_ports_finish(pt, s, rc, &err);
}

void rk_ports_remove(struct rk_ports *pt, int64_t id, rk_port_done_cb cb, void *ctx)
{
	struct rk_port_slot *s = NULL;
	struct rk_err err;
	int rc;

	rk_err_clear(&err);
	for (size_t i = 0; i < pt->n && !s; i++)
		if (!pt->v[i]->e.pending && pt->v[i]->e.id == id)
			s = pt->v[i];
	if (!s && pt->ops->remove_unlisted && (pt->n < pt->cap || rk_ports_grow(pt, &err) == 0) &&
	    (s = calloc(1, sizeof(*s)))) {
		s->e.id = id; /* the driver's own answer for an ID it may not know */
		pt->v[pt->n++] = s;
	}
	if (!s) {
		rk_err_set(&err, ENOENT, "%s: %lld",
			   pt->ops->unknown_id ? pt->ops->unknown_id : "unknown id", (long long)id);
		cb(ctx, -ENOENT, NULL, &err);
		return;
	}
	s->e.pending = true;
	s->removing = true;
	s->cb = cb;
	s->ctx = ctx;
	rc = pt->ops->remove ? pt->ops->remove(pt, &s->e, &err) : 0;
	if (rc != -EINPROGRESS)
		rk_ports_finish(pt, s, rc, &err);
}

size_t rk_ports_count(const struct rk_ports *pt)
{
	size_t n = 0;

	for (size_t i = 0; pt && i < pt->n; i++)
		n += !pt->v[i]->e.pending;
	return n;
}

const struct rk_port_entry *rk_ports_at(const struct rk_ports *pt, size_t k)
{
	for (size_t i = 0; i < pt->n; i++)
		if (!pt->v[i]->e.pending && k-- == 0)
			return &pt->v[i]->e;
	return NULL;
}

static void rk_ports_stop_done(void *ctx, int rc, const struct rk_port_entry *e,
			       const struct rk_err *err)
{
	if (rc < 0)
		rk_debug("port %lld: %s", (long long)e->id, err->msg);
}

void rk_ports_stop(struct rk_ports *pt)
{
	if (!pt)
		return;
	pt->stopping = true;
	/* pending operations lose their callers: the driver's stop closes what they hold */
	for (size_t i = pt->n; i-- > 0;) {
		struct rk_port_slot *s = pt->v[i];
		if (s->e.pending)
			continue;
		s->e.pending = true;
		s->removing = true;
		s->cb = rk_ports_stop_done;
		if (pt->ops->remove &&
		    pt->ops->remove(pt, &s->e, &(struct rk_err){0}) == -EINPROGRESS)
			continue;
		rk_ports_finish(pt, s, 0, NULL);
	}
	if (pt->ops->stop)
		pt->ops->stop(pt);
	for (size_t i = 0; i < pt->n; i++)
		free(pt->v[i]);
	free(pt->v);
	free(pt);
}
