// SPDX-License-Identifier: Apache-2.0
/*
 * publish.c - the parent starts the port driver and publishes the -p/--publish ports before
 * the command starts; a port that cannot be published is a start-up error with upstream's
 * text (`failed to expose port {tcp 127.0.0.1 8080 80 }: <why>`).
 */
#include "parent/parent.h"
#include "port/port.h"
#include "util/log.h"
#include "util/loop.h"

#include <errno.h>
#include <string.h>

struct rk_publish_wait {
	bool done;
	int rc;
	struct rk_err err;
};

static void rk_publish_done(void *ctx, int rc, const struct rk_port_entry *e,
			    const struct rk_err *err)
{
	struct rk_publish_wait *w = ctx;

	w->done = true;
	w->rc = rc;
	if (rc < 0)
		w->err = *err;
	else
		rk_debug("published port %lld", (long long)e->id);
}

int rk_publish_start(struct rk_ports **out, const struct rk_port_driver *ops,
		     const struct rk_port_env *env, const bool *abort)
{
	const struct rk_strv *specs = &env->cfg->publish;
	struct rk_err err;

	*out = NULL;
	if (!ops->protos)
		return 0; /* none, implicit: nothing runs in the parent */
	rk_err_clear(&err);
	if (rk_ports_start(out, ops, env, &err) < 0) {
		rk_error("failed to start port driver %s: %s", ops->name, err.msg);
		return 1;
	}
	for (size_t i = 0; i < specs->n; i++) {
		struct rk_publish_wait w = {0};
		struct rk_port_spec spec;
		char text[RK_PORTSPEC_FMT_MAX];

		if (rk_portspec_parse(specs->v[i], &spec, &err) < 0) { /* validated before */
			rk_error("%s", err.msg);
			return 1;
		}
		rk_ports_add(*out, &spec, rk_publish_done, &w);
		while (!w.done && !*abort)
			if (rk_loop_run_once(env->loop, -1) < 0)
				return 1;
		if (!w.done)
			return -1; /* the child died: its status tells */
		if (w.rc < 0) {
			rk_portspec_format(&spec, text, sizeof(text));
			rk_error("failed to expose port %s: %s", text, w.err.msg);
			return 1;
		}
	}
	return 0;
}
