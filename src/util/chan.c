// SPDX-License-Identifier: Apache-2.0
/*
 * chan.c - the parent<->child channel in an event loop (see chan.h).
 */
#include "util/chan.h"

#include <errno.h>
#include <unistd.h>

static void rk_chan_end(struct rk_chan *c, struct rk_loop *loop, int rc)
{
	c->rc = rc;
	rk_loop_del(loop, c->src);
	c->src = NULL;
}

static void rk_chan_on_readable(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
				void *data)
{
	struct rk_chan *c = data;
	struct rk_msg m;

	/* a batch at a time: sockets for a burst of connections come many at once */
	for (int i = 0; i < 64 && c->src; i++) {
		int rc = rk_msg_recv(c->sock, &m);

		if (rc == -EAGAIN)
			return;
		if (rc < 0) {
			rk_chan_end(c, loop, rc);
			return;
		}
		if (c->handler && c->handler(c, &m, c->handler_data))
			continue;
		if (c->got) { /* the peer does not speak out of turn */
			if (m.fd >= 0)
				close(m.fd);
			rk_chan_end(c, loop, -EPROTO);
			return;
		}
		c->msg = m;
		c->got = true;
		return;
	}
}

void rk_chan_set_handler(struct rk_chan *c, rk_chan_handler fn, void *data)
{
	c->handler = fn;
	c->handler_data = data;
}

int rk_chan_watch(struct rk_chan *c, struct rk_loop *loop, int sock)
{
	c->sock = sock;
	c->handler = NULL;
	c->handler_data = NULL;
	c->got = false;
	c->rc = 0;
	c->src = NULL;
	return rk_loop_add_fd(loop, sock, EPOLLIN, false, rk_chan_on_readable, c, &c->src);
}

int rk_chan_expect(struct rk_chan *c, struct rk_loop *loop, enum rk_msg_type type, const bool *stop,
		   struct rk_msg *m)
{
	int rc;

	while (!c->got && c->rc == 0 && !(stop && *stop))
		if ((rc = rk_loop_run_once(loop, -1)) < 0)
			return rc;
	if (!c->got)
		return c->rc < 0 ? c->rc : -ECANCELED;
	c->got = false;
	if (c->msg.type != (uint16_t)type) {
		if (c->msg.fd >= 0)
			close(c->msg.fd);
		return -EBADMSG;
	}
	*m = c->msg;
	return 0;
}
