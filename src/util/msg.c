// SPDX-License-Identifier: Apache-2.0
/*
 * msg.c - parent<->child message framing (see msg.h).
 */
#include "util/msg.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int rk_msg_send(int fd, enum rk_msg_type type, int64_t value)
{
	struct rk_msg m = {.magic = RK_MSG_MAGIC, .type = (uint32_t)type, .value = value};
	ssize_t n;

	do
		n = send(fd, &m, sizeof(m), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(m) ? 0 : -EPROTO;
}

int rk_msg_check(const void *buf, long len, struct rk_msg *m)
{
	if (len != (long)sizeof(*m))
		return -EPROTO;
	memcpy(m, buf, sizeof(*m));
	if (m->magic != RK_MSG_MAGIC || m->type == 0 || m->type >= RK_MSG_TYPE_MAX)
		return -EPROTO;
	return 0;
}

int rk_msg_recv(int fd, struct rk_msg *m)
{
	char buf[sizeof(*m) + 1];
	ssize_t n;

	do
		n = recv(fd, buf, sizeof(buf), MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	return rk_msg_check(buf, n, m);
}
