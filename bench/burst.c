// SPDX-License-Identifier: Apache-2.0
/*
 * burst.c - the connection burst client of bench/ports.sh: opens N TCP connections to
 * ADDR:PORT at once, and once every one of them has connected (or failed, or the connect phase
 * ran out), sends `GET / HTTP/1.0` on each and counts the complete answers (status 200, the
 * whole body of Content-Length bytes, then EOF) within the time limit.
 *
 *   burst ADDR PORT N TIMEOUT_MS
 *
 * Raises its soft RLIMIT_NOFILE to the hard limit and refuses to start when N does not fit.
 * Prints one JSON object on stdout. Exit status 0 when it ran (whatever it counted), 2 on a
 * usage or set-up error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum st { CONNECTING, CONNECTED, SENT, DONE_OK, DONE_BAD, DONE_ERR, DONE_CONNFAIL };

struct conn {
	int fd;
	enum st st;
	size_t len; /* bytes received so far (only the first BUFSZ are kept) */
	char buf[2048];
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A complete answer: "HTTP/1.x 200", the header's end, Content-Length bytes of body. */
static int complete(const struct conn *c)
{
	size_t kept = c->len < sizeof(c->buf) ? c->len : sizeof(c->buf) - 1;
	char tmp[sizeof(c->buf)];
	memcpy(tmp, c->buf, kept);
	tmp[kept] = 0;
	if (strncmp(tmp, "HTTP/1.", 7) != 0 || strncmp(tmp + 8, " 200", 4) != 0)
		return 0;
	char *end = strstr(tmp, "\r\n\r\n");
	if (!end)
		return 0;
	char *cl = strcasestr(tmp, "\r\nContent-Length:");
	if (!cl || cl > end)
		return 0;
	size_t body = strtoul(cl + 17, NULL, 10), head = (size_t)(end + 4 - tmp);
	return c->len == head + body;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: burst ADDR PORT N TIMEOUT_MS\n");
		return 2;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "burst: bad address %s\n", argv[1]);
		return 2;
	}
	int n = atoi(argv[3]);
	double timeout = atof(argv[4]);
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || n <= 0 || (rlim_t)n + 16 > rl.rlim_cur) {
		fprintf(stderr, "burst: %d connections do not fit RLIMIT_NOFILE %llu\n", n,
			(unsigned long long)rl.rlim_cur);
		return 2;
	}
	struct conn *cs = calloc((size_t)n, sizeof(*cs));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cs || ep < 0) {
		perror("burst");
		return 2;
	}
	static const char req[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
	int connected = 0, connfail = 0, finished = 0, err_first = 0;
	double t0 = now_ms(), t_conn = -1, t_last = -1;

	/* Phase 1: every connect at once. */
	for (int i = 0; i < n; i++) {
		struct conn *c = &cs[i];
		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd < 0) {
			perror("burst: socket");
			return 2;
		}
		struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			c->st = CONNECTED;
			connected++;
			ev.events = EPOLLIN | EPOLLRDHUP;
		} else if (errno == EINPROGRESS) {
			c->st = CONNECTING;
		} else {
			if (!err_first)
				err_first = errno;
			c->st = DONE_CONNFAIL;
			connfail++;
			finished++;
			close(c->fd);
			c->fd = -1;
			continue;
		}
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	}
	struct epoll_event evs[512];
	int sent = 0;
	double deadline = t0 + timeout, conn_deadline = t0 + timeout / 2;
	while (finished < n) {
		double t = now_ms();
		if (t >= deadline)
			break;
		/* Phase 2 starts when no connect is pending any more, or at half the time. */
		if (!sent && (connected + connfail == n || t >= conn_deadline)) {
			t_conn = t - t0;
			for (int i = 0; i < n; i++) {
				struct conn *c = &cs[i];
				if (c->st != CONNECTED)
					continue;
				if (send(c->fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1) {
					c->st = DONE_ERR;
					finished++;
					close(c->fd);
					c->fd = -1;
					continue;
				}
				c->st = SENT;
			}
			sent = 1;
			continue;
		}
		double wait = (sent ? deadline : conn_deadline) - t;
		int k = epoll_wait(ep, evs, 512, wait < 1 ? 1 : (int)wait);
		for (int j = 0; j < k; j++) {
			struct conn *c = &cs[evs[j].data.u32];
			if (c->fd < 0)
				continue;
			if (c->st == CONNECTING) {
				int e = 0;
				socklen_t el = sizeof(e);
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el);
				if (e) {
					if (!err_first)
						err_first = e;
					c->st = DONE_CONNFAIL;
					connfail++;
					finished++;
					close(c->fd);
					c->fd = -1;
					continue;
				}
				c->st = CONNECTED;
				connected++;
				struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data = evs[j].data};
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				continue;
			}
			/* CONNECTED (an early EOF or reset) or SENT: read what there is. */
			for (;;) {
				char tmp[4096];
				ssize_t r = read(c->fd, tmp, sizeof(tmp));
				if (r > 0) {
					if (c->len < sizeof(c->buf)) {
						size_t m = sizeof(c->buf) - c->len;
						memcpy(c->buf + c->len, tmp, (size_t)r < m ? (size_t)r : m);
					}
					c->len += (size_t)r;
					continue;
				}
				if (r < 0 && errno == EAGAIN)
					break;
				/* EOF or error: this connection is over */
				if (r == 0 && c->st == SENT && complete(c))
					c->st = DONE_OK;
				else if (r == 0)
					c->st = DONE_BAD;
				else
					c->st = DONE_ERR;
				finished++;
				t_last = now_ms() - t0;
				close(c->fd);
				c->fd = -1;
				break;
			}
		}
	}
	int ok = 0, bad = 0, errs = 0, pending = 0, stuck_connecting = 0;
	for (int i = 0; i < n; i++) {
		switch (cs[i].st) {
		case DONE_OK: ok++; break;
		case DONE_BAD: bad++; break;
		case DONE_ERR: errs++; break;
		case DONE_CONNFAIL: break;
		case CONNECTING: stuck_connecting++; break;
		default: pending++; break;
		}
	}
	printf("{\"n\": %d, \"answered\": %d, \"connected\": %d, \"connect_failed\": %d, "
	       "\"first_connect_errno\": \"%s\", \"incomplete_eof\": %d, \"errors\": %d, "
	       "\"no_answer_in_time\": %d, \"never_connected_in_time\": %d, \"connect_phase_ms\": %.1f, "
	       "\"last_answer_ms\": %.1f, \"timeout_ms\": %.0f, \"nofile\": %llu}\n",
	       n, ok, connected, connfail, err_first ? strerror(err_first) : "", bad, errs, pending,
	       stuck_connecting, t_conn, t_last, timeout, (unsigned long long)rl.rlim_cur);
	return 0;
}
