/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api.h - the REST API on STATE_DIR/api.sock (SPEC 10.1): the server (server.c) runs in the
 * parent's event loop; the router (router.c) maps requests to the port table and the info.
 */
#ifndef RK_API_API_H
#define RK_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "api/http.h"
#include "util/err.h"
#include "util/loop.h"

struct rk_ports;
struct rk_port_driver;
struct rk_net_info;

/* What the API reports and acts on. */
struct rk_api_ctx {
	const char *state_dir;
	pid_t child_pid;
	const struct rk_net_info *net;	   /* NULL: --net=host (no networkDriver) */
	const struct rk_port_driver *port; /* the chosen driver */
	struct rk_ports *ports;		   /* NULL: no port routes (none, implicit) */
};

/* The request body limit (a port spec is under 300 bytes). */
#define RK_API_BODY_MAX 65536

struct rk_api_server;

/**
 * rk_api_start - listen on @path (mode 0600; a stale file is replaced) and serve @ctx from
 * @loop. Return: 0 or -errno with @err.
 */
int rk_api_start(struct rk_api_server **out, struct rk_loop *loop, const char *path,
		 const struct rk_api_ctx *ctx, struct rk_err *err);

/** rk_api_stop - close the listener and every connection, remove the socket file. */
void rk_api_stop(struct rk_api_server *s);

/* A response the router produced. */
struct rk_api_reply {
	int status;
	const char *content_type;
	bool sniffed; /* content_type is what Go would have sniffed */
	const char *const *headers;
	char *body; /* malloc'd, or NULL */
	size_t body_len;
};

/* The router's completion: a reply for the request (body ownership passes). */
typedef void (*rk_api_reply_cb)(void *conn, struct rk_api_reply *r);

/**
 * rk_api_route - handle request @m for @ctx; calls @cb(@conn, reply) exactly once, possibly
 * later from the loop (a port driver that answers asynchronously).
 */
void rk_api_route(const struct rk_api_ctx *ctx, const struct rk_http_msg *m, rk_api_reply_cb cb,
		  void *conn);

#endif
