// SPDX-License-Identifier: Apache-2.0
/*
 * msg.c - parent<->child message framing and strict decoding (see msg.h).
 */
#include "util/msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

_Static_assert(sizeof(struct rk_msg_net) == 12 + 16 + 46 * 7 + 2 + 4, "no hidden padding");

struct rk_msg_hdr {
	uint32_t magic;
	uint16_t type;
	uint16_t len;
	int64_t value;
};

#define RK_MSG_WIRE_MAX (sizeof(struct rk_msg_hdr) + sizeof(struct rk_msg_net))
#define RK_MSG_FDS_MAX	4 /* room to notice (and close) more fds than a message may carry */

/* What each type carries. */
static const struct {
	uint16_t payload;
	bool fd;
} rk_msg_types[RK_MSG_TYPE_MAX] = {
    [RK_MSG_MAPS_DONE] = {0, false},
    [RK_MSG_CHILD_READY] = {0, true},
    [RK_MSG_NET_CONFIG] = {sizeof(struct rk_msg_net), false},
    [RK_MSG_NET_DONE] = {sizeof(struct rk_msg_net), false},
    [RK_MSG_START] = {0, false},
    [RK_MSG_SOCK_REQ] = {sizeof(struct rk_msg_sock), false},
    [RK_MSG_SOCK] = {sizeof(struct rk_msg_sock), true},
    [RK_MSG_SRCIP_REQ] = {0, false},
    [RK_MSG_SRCIP_DONE] = {0, false},
};

struct rk_msg rk_msg_init(enum rk_msg_type type, int64_t value)
{
	struct rk_msg m;

	memset(&m, 0, sizeof(m));
	m.type = (uint16_t)type;
	m.value = value;
	m.fd = -1;
	return m;
}

int rk_msg_encode(const struct rk_msg *m, void *buf, size_t len)
{
	struct rk_msg_hdr h = {.magic = RK_MSG_MAGIC, .type = m->type, .value = m->value};

	if (m->type == 0 || m->type >= RK_MSG_TYPE_MAX)
		return -EINVAL;
	h.len = rk_msg_types[m->type].payload;
	if (len < sizeof(h) + h.len)
		return -ENOSPC;
	memcpy(buf, &h, sizeof(h));
	if (h.len)
		memcpy((char *)buf + sizeof(h), &m->u, h.len);
	return (int)(sizeof(h) + h.len);
}

int rk_msg_send(int sock, const struct rk_msg *m)
{
	char buf[RK_MSG_WIRE_MAX];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	int n = rk_msg_encode(m, buf, sizeof(buf));
	ssize_t w;

	if (n < 0)
		return n;
	iov.iov_base = buf;
	iov.iov_len = (size_t)n;
	if (m->fd >= 0) {
		struct cmsghdr *c;
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &m->fd, sizeof(int));
	}
	do
		w = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return w == n ? 0 : -EPROTO;
}

int rk_msg_send_simple(int sock, enum rk_msg_type type, int64_t value)
{
	struct rk_msg m = rk_msg_init(type, value);

	return rk_msg_send(sock, &m);
}

static void rk_msg_close_fds(const int *fds, int nfds)
{
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* A fixed char array holds a NUL-terminated string. */
static bool rk_msg_str_ok(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static bool rk_msg_ip_ok(const char *s)
{
	unsigned char a[16];

	if (!rk_msg_str_ok(s, RK_MSG_IPSTR))
		return false;
	return !s[0] || inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static int rk_msg_net_check(const struct rk_msg_net *n)
{
	if (!rk_msg_str_ok(n->dev, sizeof(n->dev)) || strchr(n->dev, '/'))
		return -EPROTO;
	if (!rk_msg_ip_ok(n->ip) || !rk_msg_ip_ok(n->gateway) || !rk_msg_ip_ok(n->ip6) ||
	    !rk_msg_ip_ok(n->gateway6))
		return -EPROTO;
	for (int i = 0; i < RK_MSG_DNS_MAX; i++)
		if (!rk_msg_ip_ok(n->dns[i]))
			return -EPROTO;
	if (n->netmask < 0 || n->netmask > 128 || n->netmask6 < 0 || n->netmask6 > 128 ||
	    n->mtu < 0 || n->mtu > 65535)
		return -EPROTO;
	if ((n->flags & ~RK_MSG_NET_FLAGS_ALL) || n->reserved[0] || n->reserved[1])
		return -EPROTO;
	return 0;
}

static int rk_msg_sock_check(const struct rk_msg_sock *s, bool request)
{
	if (s->family != AF_INET && s->family != AF_INET6)
		return -EPROTO;
	if (s->type != SOCK_STREAM && s->type != SOCK_DGRAM)
		return -EPROTO;
	if (request ? s->count < 1 || s->count > RK_MSG_SOCK_BATCH_MAX : s->count != 1)
		return -EPROTO;
	return s->reserved ? -EPROTO : 0;
}

int rk_msg_decode(const void *buf, size_t len, const int *fds, int nfds, struct rk_msg *m)
{
	struct rk_msg_hdr h;

	*m = rk_msg_init(RK_MSG_MAPS_DONE, 0);
	if (len < sizeof(h) || nfds < 0 || nfds > 1)
		goto bad;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != RK_MSG_MAGIC || h.type == 0 || h.type >= RK_MSG_TYPE_MAX)
		goto bad;
	if (h.len != rk_msg_types[h.type].payload || len != sizeof(h) + h.len)
		goto bad;
	if (nfds && !rk_msg_types[h.type].fd)
		goto bad;
	m->type = h.type;
	m->value = h.value;
	if (h.len)
		memcpy(&m->u, (const char *)buf + sizeof(h), h.len);
	if ((h.type == RK_MSG_NET_CONFIG || h.type == RK_MSG_NET_DONE) &&
	    rk_msg_net_check(&m->u.net) < 0)
		goto bad;
	if ((h.type == RK_MSG_SOCK_REQ || h.type == RK_MSG_SOCK) &&
	    rk_msg_sock_check(&m->u.sock, h.type == RK_MSG_SOCK_REQ) < 0)
		goto bad;
	/* a socket, or an errno without one */
	if (h.type == RK_MSG_SOCK && (nfds ? h.value != 0 : h.value >= 0 || h.value < -4095))
		goto bad;
	if (h.type == RK_MSG_SRCIP_DONE && (h.value > 0 || h.value < -4095))
		goto bad;
	m->fd = nfds ? fds[0] : -1;
	return 0;
bad:
	rk_msg_close_fds(fds, nfds);
	m->fd = -1;
	return -EPROTO;
}

/*
 * A RK_MSG_SOCK whose socket the kernel could not install (the receiver hit its fd limit):
 * turn it into the error reply it effectively is (value -EMFILE, no fd).
 */
static bool rk_msg_sock_lost(char *buf, size_t len)
{
	struct rk_msg_hdr h;

	if (len < sizeof(h))
		return false;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != RK_MSG_MAGIC || h.type != RK_MSG_SOCK || h.value != 0)
		return false;
	h.value = -EMFILE;
	memcpy(buf, &h, sizeof(h));
	return true;
}

int rk_msg_recv(int sock, struct rk_msg *m)
{
	char buf[RK_MSG_WIRE_MAX + 1];
	union {
		char b[CMSG_SPACE(sizeof(int) * RK_MSG_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b)};
	int fds[RK_MSG_FDS_MAX], nfds = 0;
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && nfds < RK_MSG_FDS_MAX; i++)
			memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	if (n == 0 && nfds == 0)
		return -EPIPE;
	if ((mh.msg_flags & MSG_CTRUNC) && !(mh.msg_flags & MSG_TRUNC) &&
	    rk_msg_sock_lost(buf, (size_t)n)) {
		/* we are out of fds: the socket was dropped on the way; say so, keep the channel */
		rk_msg_close_fds(fds, nfds);
		return rk_msg_decode(buf, (size_t)n, NULL, 0, m);
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		rk_msg_close_fds(fds, nfds);
		return -EPROTO;
	}
	return rk_msg_decode(buf, (size_t)n, fds, nfds, m);
}
