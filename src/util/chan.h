/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chan.h - one end of the parent<->child channel (util/msg.h) inside an event loop.
 *
 * The loop reads each message as it arrives into a one-message mailbox; the code that expects
 * a message runs the loop until the mailbox holds one and takes it. A message nobody asked for
 * (the mailbox is full), a malformed one or EOF ends the channel: the source is removed, the
 * fd a message carried is closed, and every later wait returns the reason.
 */
#ifndef RK_UTIL_CHAN_H
#define RK_UTIL_CHAN_H

#include <stdbool.h>

#include "util/loop.h"
#include "util/msg.h"

struct rk_chan;
/* Takes a message outside the expect/reply order (e.g. port-driver sockets): return true when
 * it consumed @m (its fd included), false to leave it to the mailbox. */
typedef bool (*rk_chan_handler)(struct rk_chan *c, struct rk_msg *m, void *data);

struct rk_chan {
	int sock;
	rk_chan_handler handler; /* optional, see rk_chan_set_handler() */
	void *handler_data;
	bool got; /* a message waits in .msg */
	struct rk_msg msg;
	int rc; /* < 0 once the channel ended: -EPIPE at EOF, -EPROTO, -errno */
	struct rk_loop_src *src;
};

/** rk_chan_watch - read @sock (not owned) from @loop into @c. Return: 0 or -errno. */
int rk_chan_watch(struct rk_chan *c, struct rk_loop *loop, int sock);

/**
 * rk_chan_set_handler - let @fn see every message first (NULL: none). Messages it takes never
 * reach the mailbox, so requests may arrive at any time without ending the channel.
 */
void rk_chan_set_handler(struct rk_chan *c, rk_chan_handler fn, void *data);

/**
 * rk_chan_expect - run @loop until the message of @type arrives, the channel ends, or *@stop
 * (if not NULL) becomes true.
 * Return: 0 with the message in *@m (its fd is the caller's); -EPIPE (the peer is gone);
 * -EPROTO (malformed, or a message nobody asked for); -EBADMSG (a message of another type: its
 * fd is closed); -ECANCELED (*@stop); or -errno of the loop.
 */
int rk_chan_expect(struct rk_chan *c, struct rk_loop *loop, enum rk_msg_type type, const bool *stop,
		   struct rk_msg *m);

#endif
