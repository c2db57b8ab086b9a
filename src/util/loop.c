// SPDX-License-Identifier: Apache-2.0
/*
 * loop.c - the event loop (see loop.h).
 *
 * Theory of operation: every long-lived thing the parent (or the child) waits for is a source
 * in one epoll set: the signalfd, the parent<->child channel, a pidfd per process we started
 * (the child, slirp4netns, pasta, lxc-user-nic), timerfds, and later the API socket and port
 * listeners. Each epoll entry carries a pointer to its struct rk_loop_src, which says what kind
 * of source it is and which callback to call; a driver registers its own sources and never
 * needs an entry in a central switch. (passt tags events with a type enum and dispatches in
 * one switch; with callbacks a driver stays one file, which matters more here than saving an
 * indirect call.)
 *
 * Nothing in a callback blocks: fds are non-blocking, a process exit arrives as a pidfd event
 * and is reaped without waiting, and a misbehaving peer is an event to handle, not a reason to
 * exit. Code that has to wait for something (the child's ready message, slirp4netns' ready
 * byte) runs the loop until a flag it owns becomes true (rk_loop_run_until), so signals keep
 * being forwarded and helpers keep being watched while it waits.
 *
 * Removal is deferred: rk_loop_del() takes the fd out of epoll at once (and closes it if the
 * source owns it) but frees the source only after the current batch of events, so a callback
 * may remove any source, itself included, and a later event of the same batch that points to
 * a removed source is skipped.
 */
#include "util/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RK_LOOP_BATCH	    64
#define RK_LOOP_PID_POLL_MS 50

enum rk_loop_kind { RK_SRC_FD, RK_SRC_TIMER, RK_SRC_PID, RK_SRC_SIGNAL };

struct rk_loop_src {
	enum rk_loop_kind kind;
	int fd;
	bool own;
	bool dead;
	pid_t pid;
	union {
		rk_loop_fd_cb fd;
		rk_loop_pid_cb pid;
		rk_loop_sig_cb sig;
	} cb;
	void *data;
	struct rk_loop_src *prev, *next; /* all live sources */
	struct rk_loop_src *next_dead;
};

struct rk_loop {
	int epfd;
	struct rk_loop_src *live;
	struct rk_loop_src *dead;
};

int rk_loop_new(struct rk_loop **out)
{
	struct rk_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int e = errno;
		free(l);
		return -e;
	}
	*out = l;
	return 0;
}

static void rk_loop_reap_dead(struct rk_loop *l)
{
	while (l->dead) {
		struct rk_loop_src *s = l->dead;
		l->dead = s->next_dead;
		free(s);
	}
}

void rk_loop_free(struct rk_loop *l)
{
	if (!l)
		return;
	while (l->live)
		rk_loop_del(l, l->live);
	rk_loop_reap_dead(l);
	close(l->epfd);
	free(l);
}

/* Add @fd to the epoll set as a new source. Return: the source, or NULL with *@rc = -errno. */
static struct rk_loop_src *rk_loop_register(struct rk_loop *l, enum rk_loop_kind kind, int fd,
					    uint32_t events, bool own, void *data, int *rc)
{
	struct epoll_event ev = {.events = events};
	struct rk_loop_src *s = calloc(1, sizeof(*s));

	if (!s) {
		*rc = -ENOMEM;
		return NULL;
	}
	s->kind = kind;
	s->fd = fd;
	s->own = own;
	s->data = data;
	ev.data.ptr = s;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		*rc = errno > 0 ? -errno : -EIO;
		free(s);
		return NULL;
	}
	s->next = l->live;
	if (l->live)
		l->live->prev = s;
	l->live = s;
	*rc = 0;
	return s;
}

int rk_loop_add_fd(struct rk_loop *l, int fd, uint32_t events, bool own, rk_loop_fd_cb cb,
		   void *data, struct rk_loop_src **out)
{
	int rc;
	struct rk_loop_src *s = rk_loop_register(l, RK_SRC_FD, fd, events, own, data, &rc);

	if (!s)
		return rc;
	s->cb.fd = cb;
	if (out)
		*out = s;
	return 0;
}

int rk_loop_src_fd(const struct rk_loop_src *s)
{
	return s->fd;
}

int rk_loop_mod_fd(struct rk_loop *l, struct rk_loop_src *s, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = s};

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, s->fd, &ev) < 0 ? -errno : 0;
}

static struct timespec rk_ms_ts(uint64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)(ms % 1000) * 1000000};
	return ts;
}

static int rk_timerfd_set(int fd, uint64_t first_ms, uint64_t interval_ms)
{
	struct itimerspec its = {.it_value = rk_ms_ts(first_ms),
				 .it_interval = rk_ms_ts(interval_ms)};

	/* a zero it_value would disarm: a due timer fires after 1 ns instead */
	if (first_ms == 0 && interval_ms != 0)
		its.it_value.tv_nsec = 1;
	return timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : 0;
}

static int rk_timerfd_new(uint64_t first_ms, uint64_t interval_ms)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), rc;

	if (fd < 0)
		return -errno;
	if ((rc = rk_timerfd_set(fd, first_ms, interval_ms)) < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int rk_loop_add_timer(struct rk_loop *l, uint64_t first_ms, uint64_t interval_ms, rk_loop_fd_cb cb,
		      void *data, struct rk_loop_src **out)
{
	struct rk_loop_src *s = NULL;
	int fd = rk_timerfd_new(first_ms ? first_ms : (interval_ms ? 0 : 1), interval_ms), rc;

	if (fd < 0)
		return fd;
	if (!(s = rk_loop_register(l, RK_SRC_TIMER, fd, EPOLLIN, true, data, &rc))) {
		close(fd);
		return rc;
	}
	s->cb.fd = cb;
	if (out)
		*out = s;
	return 0;
}

int rk_loop_timer_set(struct rk_loop_src *s, uint64_t first_ms, uint64_t interval_ms)
{
	if (s->kind != RK_SRC_TIMER)
		return -EINVAL;
	return rk_timerfd_set(s->fd, first_ms, interval_ms);
}

static int rk_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	return fd < 0 ? -errno : fd;
#else
	(void)pid;
	return -ENOSYS;
#endif
}

int rk_loop_add_pid(struct rk_loop *l, pid_t pid, rk_loop_pid_cb cb, void *data,
		    struct rk_loop_src **out)
{
	struct rk_loop_src *s = NULL;
	int fd = rk_pidfd_open(pid), rc;

	/* a pidfd is always close-on-exec; without pidfd_open, poll with a timer */
	if (fd == -ENOSYS || fd == -EINVAL)
		fd = rk_timerfd_new(RK_LOOP_PID_POLL_MS, RK_LOOP_PID_POLL_MS);
	if (fd < 0)
		return fd;
	if (!(s = rk_loop_register(l, RK_SRC_PID, fd, EPOLLIN, true, data, &rc))) {
		close(fd);
		return rc;
	}
	s->pid = pid;
	s->cb.pid = cb;
	if (out)
		*out = s;
	return 0;
}

int rk_loop_add_signals(struct rk_loop *l, const sigset_t *set, rk_loop_sig_cb cb, void *data,
			struct rk_loop_src **out)
{
	struct rk_loop_src *s = NULL;
	int fd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK), rc;

	if (fd < 0)
		return -errno;
	if (!(s = rk_loop_register(l, RK_SRC_SIGNAL, fd, EPOLLIN, true, data, &rc))) {
		close(fd);
		return rc;
	}
	s->cb.sig = cb;
	if (out)
		*out = s;
	return 0;
}

void rk_loop_del(struct rk_loop *l, struct rk_loop_src *s)
{
	if (!s || s->dead)
		return;
	s->dead = true;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	if (s->own)
		close(s->fd);
	s->fd = -1;
	if (s->prev)
		s->prev->next = s->next;
	else
		l->live = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next_dead = l->dead;
	l->dead = s;
}

static void rk_loop_drain(int fd)
{
	uint64_t ticks;

	while (read(fd, &ticks, sizeof(ticks)) < 0 && errno == EINTR)
		;
}

static void rk_loop_pid_event(struct rk_loop *l, struct rk_loop_src *s)
{
	int status = 0;
	pid_t r;

	/* the fallback's timerfd needs draining; a pidfd read fails harmlessly with EINVAL */
	rk_loop_drain(s->fd);
	do
		r = waitpid(s->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return; /* not yet (spurious wake-up, or the poll fallback) */
	if (r < 0)
		status = -1; /* reaped elsewhere: the status is lost */
	s->cb.pid(l, s, s->pid, status, s->data);
	rk_loop_del(l, s);
}

static void rk_loop_signal_event(struct rk_loop *l, struct rk_loop_src *s)
{
	struct signalfd_siginfo si;

	while (!s->dead) {
		ssize_t n = read(s->fd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			return;
		s->cb.sig(l, &si, s->data);
	}
}

static void rk_loop_dispatch(struct rk_loop *l, struct rk_loop_src *s, uint32_t events)
{
	switch (s->kind) {
	case RK_SRC_FD:
		s->cb.fd(l, s, events, s->data);
		break;
	case RK_SRC_TIMER:
		rk_loop_drain(s->fd);
		s->cb.fd(l, s, events, s->data);
		break;
	case RK_SRC_PID:
		rk_loop_pid_event(l, s);
		break;
	case RK_SRC_SIGNAL:
		rk_loop_signal_event(l, s);
		break;
	}
}

int64_t rk_loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rk_loop_run_once(struct rk_loop *l, int timeout_ms)
{
	struct epoll_event ev[RK_LOOP_BATCH];
	int n = epoll_wait(l->epfd, ev, RK_LOOP_BATCH, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct rk_loop_src *s = ev[i].data.ptr;
		if (!s->dead)
			rk_loop_dispatch(l, s, ev[i].events);
	}
	rk_loop_reap_dead(l);
	return 0;
}

int rk_loop_run_until(struct rk_loop *l, const bool *done, int timeout_ms)
{
	int64_t deadline = timeout_ms >= 0 ? rk_loop_now_ms() + timeout_ms : -1;

	while (!*done) {
		int wait = -1, rc;
		if (deadline >= 0) {
			int64_t left = deadline - rk_loop_now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			wait = left > 0x7fffffff ? 0x7fffffff : (int)left;
		}
		if ((rc = rk_loop_run_once(l, wait)) < 0)
			return rc;
	}
	return 0;
}
