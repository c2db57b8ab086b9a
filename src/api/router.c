// SPDX-License-Identifier: Apache-2.0
/*
 * router.c - the REST API's routes and handlers (SPEC 10.1).
 *
 *   GET    /v1/info        200 Info
 *   GET    /v1/ports       200 PortStatus array (null when empty), ascending IDs
 *   POST   /v1/ports       201 PortStatus
 *   DELETE /v1/ports/{id}  200, empty
 *
 * Like upstream's gorilla/mux: a known path with another method is 405 with an empty body; an
 * unknown path is Go's 404 page. Port routes without a port driver answer 400 `no PortDriver
 * is available`; bad bodies 400 with Go's decoder text; driver failures 400 with the driver's
 * text; our own failures 500. Error bodies are `{"message":...}` + newline with the content
 * type Go sniffs for them.
 */
#include "api/api.h"
#include "api/json.h"
#include "net/net.h"
#include "port/port.h"
#include "util/goparse.h"
#include "util/goquote.h"
#include "rk_version.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RK_API_JSON "application/json"
#define RK_API_TEXT "text/plain; charset=utf-8"

static const char *const rk_api_nosniff[] = {"X-Content-Type-Options: nosniff", NULL};

static void rk_api_error(rk_api_reply_cb cb, void *conn, int status, const char *msg)
{
	struct rk_api_reply r = {.status = status, .content_type = RK_API_TEXT, .sniffed = true};

	if (rk_api_encode_error(msg, &r.body, &r.body_len) < 0)
		r.status = 500;
	cb(conn, &r);
}

static void rk_api_json(rk_api_reply_cb cb, void *conn, int status, int rc, char *body, size_t len)
{
	struct rk_api_reply r = {
	    .status = status, .content_type = RK_API_JSON, .body = body, .body_len = len};

	if (rc < 0) {
		rk_api_error(cb, conn, 500, "out of memory");
		return;
	}
	cb(conn, &r);
}

static void rk_api_info(const struct rk_api_ctx *ctx, rk_api_reply_cb cb, void *conn)
{
	struct rk_api_info *i = calloc(1, sizeof(*i));
	char *body = NULL;
	size_t len = 0;
	int rc;

	if (!i) {
		rk_api_error(cb, conn, 500, "out of memory");
		return;
	}
	snprintf(i->api_version, sizeof(i->api_version), "%s", RK_API_VERSION);
	snprintf(i->version, sizeof(i->version), "%s", RK_VERSION);
	snprintf(i->state_dir, sizeof(i->state_dir), "%s", ctx->state_dir);
	i->child_pid = ctx->child_pid;
	if (ctx->net) {
		i->has_net = true;
		snprintf(i->net.driver, sizeof(i->net.driver), "%s", ctx->net->driver);
		for (int k = 0; k < ctx->net->ndns && k < RK_MSG_DNS_MAX; k++)
			snprintf(i->net.dns[i->net.n_dns++], RK_API_IP_MAX, "%s", ctx->net->dns[k]);
		snprintf(i->net.child_ip, sizeof(i->net.child_ip), "%s", ctx->net->child_ip);
		i->net.dynamic_child_ip = ctx->net->dynamic_child_ip;
	}
	if (ctx->port && ctx->port->protos) {
		i->has_port = true;
		snprintf(i->port.driver, sizeof(i->port.driver), "%s", ctx->port->name);
		for (size_t k = 0; k < RK_API_PROTOS_MAX && ctx->port->protos[k]; k++)
			snprintf(i->port.protos[i->port.n_protos++], sizeof(i->port.protos[0]),
				 "%s", ctx->port->protos[k]);
		i->port.disallow_loopback_child_ip = ctx->port->disallow_loopback_child_ip;
	}
	rc = rk_api_encode_info(i, false, &body, &len);
	free(i);
	rk_api_json(cb, conn, 200, rc, body, len);
}

static void rk_api_list(const struct rk_api_ctx *ctx, rk_api_reply_cb cb, void *conn)
{
	size_t n = rk_ports_count(ctx->ports);
	struct rk_api_port_status *v = calloc(n ? n : 1, sizeof(*v));
	char *body = NULL;
	size_t len = 0;
	int rc;

	if (!v) {
		rk_api_error(cb, conn, 500, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct rk_port_entry *e = rk_ports_at(ctx->ports, i);
		v[i].id = e->id;
		v[i].spec = e->spec;
	}
	rc = rk_api_encode_port_status_list(v, n, &body, &len);
	free(v);
	rk_api_json(cb, conn, 200, rc, body, len);
}

/* A port operation in flight: who to answer. */
struct rk_api_op {
	rk_api_reply_cb cb;
	void *conn;
	bool add;
};

static void rk_api_port_done(void *arg, int rc, const struct rk_port_entry *e,
			     const struct rk_err *err)
{
	struct rk_api_op op = *(struct rk_api_op *)arg;
	struct rk_api_port_status st;
	struct rk_api_reply r = {.status = 200};
	char *body = NULL;
	size_t len = 0;

	free(arg);
	if (rc < 0) {
		rk_api_error(op.cb, op.conn, rc == -ENOMEM ? 500 : 400, err->msg);
		return;
	}
	if (!op.add) {
		op.cb(op.conn, &r);
		return;
	}
	st.id = e->id;
	st.spec = e->spec;
	rc = rk_api_encode_port_status(&st, &body, &len);
	rk_api_json(op.cb, op.conn, 201, rc, body, len);
}

static struct rk_api_op *rk_api_op_new(rk_api_reply_cb cb, void *conn, bool add)
{
	struct rk_api_op *op = malloc(sizeof(*op));

	if (op) {
		op->cb = cb;
		op->conn = conn;
		op->add = add;
	}
	return op;
}

static void rk_api_add(const struct rk_api_ctx *ctx, const struct rk_http_msg *m,
		       rk_api_reply_cb cb, void *conn)
{
	struct rk_port_spec spec;
	struct rk_api_op *op;
	struct rk_err err;
	int rc;

	rk_err_clear(&err);
	if ((rc = rk_api_decode_port_spec(m->body, m->body_len, &spec, &err)) < 0) {
		rk_api_error(cb, conn, rc == -ENOMEM ? 500 : 400, err.msg);
		return;
	}
	if (!(op = rk_api_op_new(cb, conn, true))) {
		rk_api_error(cb, conn, 500, "out of memory");
		return;
	}
	rk_ports_add(ctx->ports, &spec, rk_api_port_done, op);
}

static void rk_api_remove(const struct rk_api_ctx *ctx, const char *idstr, rk_api_reply_cb cb,
			  void *conn)
{
	struct rk_api_op *op;
	int64_t id;
	int rc;

	if ((rc = go_atoi(idstr, &id)) < 0) {
		char q[512], msg[1200];
		go_strconv_quote(idstr, strlen(idstr), q, sizeof(q));
		snprintf(msg, sizeof(msg), "bad id %s: strconv.Atoi: parsing %s: %s", idstr, q,
			 rc == -ERANGE ? "value out of range" : "invalid syntax");
		rk_api_error(cb, conn, 400, msg);
		return;
	}
	if (!(op = rk_api_op_new(cb, conn, false))) {
		rk_api_error(cb, conn, 500, "out of memory");
		return;
	}
	rk_ports_remove(ctx->ports, id, rk_api_port_done, op);
}

static void rk_api_status(rk_api_reply_cb cb, void *conn, int status)
{
	struct rk_api_reply r = {.status = status};
	static const char notfound[] = "404 page not found\n";

	if (status == 404) {
		r.content_type = RK_API_TEXT;
		r.headers = rk_api_nosniff;
		r.body = strdup(notfound);
		r.body_len = r.body ? sizeof(notfound) - 1 : 0;
	}
	cb(conn, &r);
}

void rk_api_route(const struct rk_api_ctx *ctx, const struct rk_http_msg *m, rk_api_reply_cb cb,
		  void *conn)
{
	const char *path = m->path, *method = m->method;
	const char *id = NULL;
	bool get = !strcmp(method, "GET");

	if (!strncmp(path, "/v1/ports/", 10) && path[10] && !strchr(path + 10, '/'))
		id = path + 10;
	if (!strcmp(path, "/v1/info")) {
		if (!get)
			return rk_api_status(cb, conn, 405);
		return rk_api_info(ctx, cb, conn);
	}
	if (strcmp(path, "/v1/ports") && !id)
		return rk_api_status(cb, conn, 404);
	if (id ? strcmp(method, "DELETE") : !get && strcmp(method, "POST"))
		return rk_api_status(cb, conn, 405);
	if (!ctx->ports)
		return rk_api_error(cb, conn, 400, "no PortDriver is available");
	if (id)
		return rk_api_remove(ctx, id, cb, conn);
	if (get)
		return rk_api_list(ctx, cb, conn);
	rk_api_add(ctx, m, cb, conn);
}
