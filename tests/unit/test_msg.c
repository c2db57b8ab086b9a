// SPDX-License-Identifier: Apache-2.0
/*
 * test_msg.c - parent<->child channel: round trips with and without payload, fds that travel,
 * fds that must not, EOF, and every way a datagram can be malformed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <sys/resource.h>

#include "util/msg.h"

struct wire_hdr {
	uint32_t magic;
	uint16_t type;
	uint16_t len;
	int64_t value;
};

static void pair(int sp[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
}

static int nfds_open(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static void send_fd_raw(int sock, const void *buf, size_t len, int fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	memset(&ctl, 0, sizeof(ctl));
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	assert_int_equal(sendmsg(sock, &mh, 0), (ssize_t)len);
}

static void test_roundtrip_and_eof(void **state)
{
	int sp[2];
	struct rk_msg m;

	pair(sp);
	assert_int_equal(rk_msg_send_simple(sp[0], RK_MSG_MAPS_DONE, 1), 0);
	assert_int_equal(rk_msg_recv(sp[1], &m), 0);
	assert_int_equal(m.type, RK_MSG_MAPS_DONE);
	assert_true(m.value == 1);
	assert_int_equal(m.fd, -1);
	close(sp[0]);
	assert_int_equal(rk_msg_recv(sp[1], &m), -EPIPE);
	close(sp[1]);
}

static void test_net_payload(void **state)
{
	int sp[2];
	struct rk_msg m = rk_msg_init(RK_MSG_NET_CONFIG, 0), r;

	pair(sp);
	snprintf(m.u.net.dev, sizeof(m.u.net.dev), "tap0");
	snprintf(m.u.net.ip, sizeof(m.u.net.ip), "10.0.2.100");
	snprintf(m.u.net.gateway, sizeof(m.u.net.gateway), "10.0.2.2");
	snprintf(m.u.net.dns[0], sizeof(m.u.net.dns[0]), "10.0.2.3");
	snprintf(m.u.net.dns[1], sizeof(m.u.net.dns[1]), "fd00::3");
	m.u.net.netmask = 24;
	m.u.net.mtu = 65520;
	m.u.net.flags = RK_MSG_NET_DHCP;
	assert_int_equal(rk_msg_send(sp[0], &m), 0);
	assert_int_equal(rk_msg_recv(sp[1], &r), 0);
	assert_int_equal(r.type, RK_MSG_NET_CONFIG);
	assert_string_equal(r.u.net.dev, "tap0");
	assert_string_equal(r.u.net.dns[1], "fd00::3");
	assert_int_equal(r.u.net.mtu, 65520);
	assert_int_equal(r.u.net.flags, RK_MSG_NET_DHCP);
	close(sp[0]);
	close(sp[1]);
}

/* Encode @m, let @mutate break it, and expect the receiver to refuse it. */
static void expect_refused(struct rk_msg *m, void (*mutate)(char *buf, int *len))
{
	char buf[512];
	int sp[2], len = rk_msg_encode(m, buf, sizeof(buf));
	struct rk_msg r;

	assert_true(len > 0);
	mutate(buf, &len);
	pair(sp);
	assert_int_equal(send(sp[0], buf, (size_t)len, 0), len);
	assert_int_equal(rk_msg_recv(sp[1], &r), -EPROTO);
	close(sp[0]);
	close(sp[1]);
}

static void bad_magic(char *b, int *len)
{
	b[0] ^= 1;
}
static void bad_type(char *b, int *len)
{
	struct wire_hdr h;
	memcpy(&h, b, sizeof(h));
	h.type = RK_MSG_TYPE_MAX;
	memcpy(b, &h, sizeof(h));
}
static void zero_type(char *b, int *len)
{
	struct wire_hdr h;
	memcpy(&h, b, sizeof(h));
	h.type = 0;
	memcpy(b, &h, sizeof(h));
}
static void short_payload(char *b, int *len)
{
	*len -= 1;
}
static void long_payload(char *b, int *len)
{
	b[*len] = 0;
	*len += 1;
}
static void bad_len_field(char *b, int *len)
{
	struct wire_hdr h;
	memcpy(&h, b, sizeof(h));
	h.len = (uint16_t)(h.len + 4);
	memcpy(b, &h, sizeof(h));
}
static void hdr_only(char *b, int *len)
{
	*len = 4;
}
static void unterminated_dev(char *b, int *len)
{
	memset(b + sizeof(struct wire_hdr) + 12, 'x', RK_MSG_IFNAMSIZ);
}
static void bad_ip(char *b, int *len)
{
	memcpy(b + sizeof(struct wire_hdr) + 12 + RK_MSG_IFNAMSIZ, "10.0.2.300", 11);
}

static void test_malformed(void **state)
{
	struct rk_msg s = rk_msg_init(RK_MSG_START, 0);
	struct rk_msg n = rk_msg_init(RK_MSG_NET_DONE, 0);
	int sp[2];
	struct rk_msg r;

	snprintf(n.u.net.dev, sizeof(n.u.net.dev), "eth0");
	expect_refused(&s, bad_magic);
	expect_refused(&s, bad_type);
	expect_refused(&s, zero_type);
	expect_refused(&s, long_payload);
	expect_refused(&s, bad_len_field);
	expect_refused(&s, hdr_only);
	expect_refused(&n, short_payload);
	expect_refused(&n, unterminated_dev);
	expect_refused(&n, bad_ip);
	/* a datagram too big for the receive buffer is truncated: refused */
	char big[4096] = {0};
	pair(sp);
	assert_int_equal(send(sp[0], big, sizeof(big), 0), (ssize_t)sizeof(big));
	assert_int_equal(rk_msg_recv(sp[1], &r), -EPROTO);
	close(sp[0]);
	close(sp[1]);
}

static void test_fds(void **state)
{
	struct rk_msg m = rk_msg_init(RK_MSG_START, 0), r;
	char buf[64];
	int sp[2], len, before, p[2];

	/* an fd on a type that carries none is closed, not leaked (upstream #156) */
	pair(sp);
	assert_int_equal(pipe(p), 0);
	before = nfds_open();
	len = rk_msg_encode(&m, buf, sizeof(buf));
	send_fd_raw(sp[0], buf, (size_t)len, p[0]);
	assert_int_equal(rk_msg_recv(sp[1], &r), -EPROTO);
	assert_int_equal(nfds_open(), before);
	/* an fd alone, without any data, is not EOF and is closed */
	send_fd_raw(sp[0], buf, (size_t)len, p[1]);
	assert_int_equal(rk_msg_recv(sp[1], &r), -EPROTO);
	assert_int_equal(nfds_open(), before);
	/* the sender keeps its fd; the decoder rejects an fd count it was not given */
	int fds[2] = {-1, -1};
	assert_int_equal(rk_msg_decode(buf, (size_t)len, fds, 2, &r), -EPROTO);
	close(p[0]);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
}

static void test_nonblocking(void **state)
{
	int sp[2];
	struct rk_msg r;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sp), 0);
	assert_int_equal(rk_msg_recv(sp[1], &r), -EAGAIN);
	close(sp[0]);
	close(sp[1]);
}

/* The port driver's messages: counts in range, a socket or an errno, never both or neither. */
static void test_sock_messages(void **state)
{
	struct rk_msg m = rk_msg_init(RK_MSG_SOCK_REQ, 0), r;
	char buf[256];
	int n, fd;

	m.u.sock.family = AF_INET6;
	m.u.sock.type = SOCK_DGRAM;
	m.u.sock.count = RK_MSG_SOCK_BATCH_MAX;
	n = rk_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(rk_msg_decode(buf, (size_t)n, NULL, 0, &r), 0);
	assert_int_equal(r.u.sock.count, RK_MSG_SOCK_BATCH_MAX);
	m.u.sock.count = RK_MSG_SOCK_BATCH_MAX + 1;
	n = rk_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(rk_msg_decode(buf, (size_t)n, NULL, 0, &r), -EPROTO);
	m.u.sock.count = 1;
	m.u.sock.family = AF_UNIX;
	n = rk_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(rk_msg_decode(buf, (size_t)n, NULL, 0, &r), -EPROTO);
	/* a reply: value 0 needs an fd, an errno must come without one */
	m = rk_msg_init(RK_MSG_SOCK, 0);
	m.u.sock.family = AF_INET;
	m.u.sock.type = SOCK_STREAM;
	m.u.sock.count = 1;
	n = rk_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(rk_msg_decode(buf, (size_t)n, NULL, 0, &r), -EPROTO);
	fd = dup(0);
	assert_int_equal(rk_msg_decode(buf, (size_t)n, &fd, 1, &r), 0);
	assert_int_equal(r.fd, fd);
	close(fd);
	m.value = -EMFILE;
	n = rk_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(rk_msg_decode(buf, (size_t)n, NULL, 0, &r), 0);
	fd = dup(0);
	assert_int_equal(rk_msg_decode(buf, (size_t)n, &fd, 1, &r), -EPROTO);
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed by the decoder */
	m.value = 5;
	n = rk_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(rk_msg_decode(buf, (size_t)n, NULL, 0, &r), -EPROTO);
}

/* Out of fds: a socket reply whose fd the kernel could not install becomes an -EMFILE reply. */
static void test_sock_lost_at_fd_limit(void **state)
{
	struct rlimit old, low;
	struct rk_msg m = rk_msg_init(RK_MSG_SOCK, 0), r;
	int sp[2], probe;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	m.u.sock.family = AF_INET;
	m.u.sock.type = SOCK_STREAM;
	m.u.sock.count = 1;
	m.fd = sp[0];
	assert_int_equal(rk_msg_send(sp[0], &m), 0);
	probe = dup(0);
	assert_true(probe >= 0);
	close(probe);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)probe; /* the next fd would be >= the limit */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	int rc = rk_msg_recv(sp[1], &r);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(r.type, RK_MSG_SOCK);
	assert_int_equal(r.value, -EMFILE);
	assert_int_equal(r.fd, -1);
	close(sp[0]);
	close(sp[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sock_lost_at_fd_limit),
	    cmocka_unit_test(test_sock_messages),
	    cmocka_unit_test(test_roundtrip_and_eof),
	    cmocka_unit_test(test_net_payload),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_fds),
	    cmocka_unit_test(test_nonblocking),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
