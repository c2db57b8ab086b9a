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
 * With --detach-netns the child lives outside the namespace: it joins it for the socket() call
 * and returns to its own right after (the command runs in its own process and is unaffected).
 */
#include "child/child.h"
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
	int sock;   /* the channel */
	int nsfd;   /* the detached netns, or -1 */
	int homefd; /* our own netns when detached, or -1 */
} rk_portsvc = {-1, -1, -1};

/* One socket in the netns. Return: the fd or -errno. */
static int rk_portsvc_socket(int family, int type)
{
	int fd, e;

	if (rk_portsvc.nsfd >= 0 && setns(rk_portsvc.nsfd, CLONE_NEWNET) < 0)
		return -errno;
	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	e = errno;
	if (rk_portsvc.nsfd >= 0 && setns(rk_portsvc.homefd, CLONE_NEWNET) < 0)
		rk_die("failed to return to the network namespace: %s", go_strerror(errno));
	return fd < 0 ? -e : fd;
}

static void rk_portsvc_reply(const struct rk_msg_sock *req)
{
	struct rk_msg m = rk_msg_init(RK_MSG_SOCK, 0);

	m.u.sock = *req;
	m.u.sock.count = 1;
	for (int i = 0; i < req->count; i++) {
		int fd = rk_portsvc_socket(req->family, req->type);

		m.fd = fd >= 0 ? fd : -1;
		m.value = fd >= 0 ? 0 : fd;
		if (rk_msg_send(rk_portsvc.sock, &m) < 0 && fd < 0)
			rk_debug("port driver: could not answer the parent");
		if (fd >= 0)
			close(fd);
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
	if (nsfd >= 0) {
		rk_portsvc.homefd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (rk_portsvc.homefd < 0)
			return -errno;
		rk_portsvc.nsfd = nsfd;
	}
	rk_chan_set_handler(c, rk_portsvc_on_msg, NULL);
	return 0;
}
