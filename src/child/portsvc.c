// SPDX-License-Identifier: Apache-2.0
/*
 * portsvc.c - the child's half of the builtin port driver (SPEC 8.2.1, our own protocol).
 *
 * A socket belongs to the network namespace it was created in, and only a process inside that
 * namespace (or holding CAP_SYS_ADMIN over it) can create one there; the parent, an
 * unprivileged process outside, cannot. So the child makes them: on RK_MSG_SOCK_REQ it creates
 * the asked number of non-blocking sockets of one family and type in the network namespace
 * and sends each back as RK_MSG_SOCK with SCM_RIGHTS, closing its own copy at once (#156).
 * Everything else - bind, IP_TRANSPARENT, connect, the data - the parent does on the fd
 * itself: as the owner of the user namespace it holds every capability the namespace grants.
 * The parent keeps a small pool of such sockets, so an accepted connection normally needs no
 * round trip at all (port/sockpool.c).
 *
 * With --detach-netns the child lives outside the namespace, in the host's, over which it has
 * no privilege (so it could not come back after a setns): a thread joins the namespace and
 * makes the batch there (net/netns.c).
 */
#include "child/child.h"
#include "net/netns.h"
#include "util/chan.h"
#include "util/goparse.h"
#include "util/log.h"
#include "util/msg.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

static struct {
	int sock; /* the channel */
	int nsfd; /* the detached netns, or -1 */
} rk_portsvc = {-1, -1};

/* A batch of sockets made in the netns. */
struct rk_portsvc_batch {
	const struct rk_msg_sock *req;
	int fd[RK_MSG_SOCK_BATCH_MAX]; /* a socket or -errno each */
};

static int rk_portsvc_make(void *arg)
{
	struct rk_portsvc_batch *b = arg;

	for (int i = 0; i < b->req->count; i++) {
		b->fd[i] = socket(b->req->family, b->req->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (b->fd[i] < 0)
			b->fd[i] = -errno;
	}
	return 0;
}

static void rk_portsvc_reply(const struct rk_msg_sock *req)
{
	struct rk_msg m = rk_msg_init(RK_MSG_SOCK, 0);
	struct rk_portsvc_batch b = {.req = req};
	int rc;

	/* detached: a thread joins the netns for the batch (the child itself cannot leave the
	 * host's netns and come back: it has no privilege over that one) */
	if ((rc = rk_netns_run(rk_portsvc.nsfd, rk_portsvc_make, &b)) < 0)
		for (int i = 0; i < req->count; i++)
			b.fd[i] = rc;
	m.u.sock = *req;
	m.u.sock.count = 1;
	for (int i = 0; i < req->count; i++) {
		m.fd = b.fd[i] >= 0 ? b.fd[i] : -1;
		m.value = b.fd[i] >= 0 ? 0 : b.fd[i];
		if (rk_msg_send(rk_portsvc.sock, &m) < 0)
			rk_debug("port driver: could not answer the parent");
		if (b.fd[i] >= 0)
			close(b.fd[i]);
	}
}

static bool rk_portsvc_on_msg(struct rk_chan *c, struct rk_msg *m, void *data)
{
	if (m->type == RK_MSG_SOCK_REQ) {
		rk_portsvc_reply(&m->u.sock);
		return true;
	}
	if (m->type == RK_MSG_SRCIP_REQ) {
		int rc = rk_child_srcip_setup(rk_portsvc.nsfd);

		rk_msg_send_simple(rk_portsvc.sock, RK_MSG_SRCIP_DONE, rc);
		return true;
	}
	return false;
}

int rk_child_portsvc_init(struct rk_chan *c, int sock, int nsfd)
{
	rk_portsvc.sock = sock;
	rk_portsvc.nsfd = nsfd;
	rk_chan_set_handler(c, rk_portsvc_on_msg, NULL);
	return 0;
}
