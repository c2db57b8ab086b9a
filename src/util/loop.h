/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loop.h - the event loop of the parent and of the child: one epoll set, one callback per
 * source. Sources are fds (sockets, pipes), timers (timerfd), processes (pidfd) and signals
 * (signalfd). See loop.c for the theory of operation.
 */
#ifndef RK_UTIL_LOOP_H
#define RK_UTIL_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/types.h>

struct rk_loop;
struct rk_loop_src;

/* fd readiness (EPOLLIN/EPOLLOUT/EPOLLHUP/EPOLLERR bits) or a timer expiry (EPOLLIN). */
typedef void (*rk_loop_fd_cb)(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
			      void *data);
/* A process ended; @status is its wait status (it has been reaped). */
typedef void (*rk_loop_pid_cb)(struct rk_loop *loop, struct rk_loop_src *src, pid_t pid, int status,
			       void *data);
/* One signal arrived. */
typedef void (*rk_loop_sig_cb)(struct rk_loop *loop, const struct signalfd_siginfo *si, void *data);

/** rk_loop_now_ms - CLOCK_MONOTONIC in milliseconds (the clock of every timeout). */
int64_t rk_loop_now_ms(void);

/** rk_loop_new - create a loop. Return: 0 or -errno. */
int rk_loop_new(struct rk_loop **out);

/** rk_loop_free - free the loop and every source still registered (closing owned fds). */
void rk_loop_free(struct rk_loop *loop);

/**
 * rk_loop_add_fd - watch @fd for @events and call @cb. The fd stays the caller's unless @own
 * is true, in which case it is closed when the source is removed.
 * Return: 0 (and the source in *@out if @out) or -errno.
 */
int rk_loop_add_fd(struct rk_loop *loop, int fd, uint32_t events, bool own, rk_loop_fd_cb cb,
		   void *data, struct rk_loop_src **out);

/** rk_loop_src_fd - the fd of a source. */
int rk_loop_src_fd(const struct rk_loop_src *src);

/** rk_loop_mod_fd - change the events watched on an fd source. Return: 0 or -errno. */
int rk_loop_mod_fd(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events);

/**
 * rk_loop_add_timer - a timer that first fires after @first_ms and then every @interval_ms
 * (0 = once); @first_ms 0 means at once. For a timer armed later, add it and disarm it with
 * rk_loop_timer_set(src, 0, 0). @cb gets EPOLLIN. Return: 0 or -errno.
 */
int rk_loop_add_timer(struct rk_loop *loop, uint64_t first_ms, uint64_t interval_ms,
		      rk_loop_fd_cb cb, void *data, struct rk_loop_src **out);

/** rk_loop_timer_set - re-arm a timer source (0, 0 disarms). Return: 0 or -errno. */
int rk_loop_timer_set(struct rk_loop_src *src, uint64_t first_ms, uint64_t interval_ms);

/**
 * rk_loop_add_pid - call @cb once, with the wait status, when child process @pid has exited;
 * the loop reaps it. Uses a pidfd; on kernels without pidfd_open it polls every 50 ms.
 * The source removes itself after the callback. Return: 0 or -errno.
 */
int rk_loop_add_pid(struct rk_loop *loop, pid_t pid, rk_loop_pid_cb cb, void *data,
		    struct rk_loop_src **out);

/**
 * rk_loop_add_signals - read the signals in @set from a signalfd and call @cb for each. The
 * caller must have blocked them. Return: 0 or -errno.
 */
int rk_loop_add_signals(struct rk_loop *loop, const sigset_t *set, rk_loop_sig_cb cb, void *data,
			struct rk_loop_src **out);

/**
 * rk_loop_del - stop watching @src. Safe inside any callback, including the source's own: the
 * memory is freed after the current batch of events. NULL is ignored.
 */
void rk_loop_del(struct rk_loop *loop, struct rk_loop_src *src);

/**
 * rk_loop_run_until - dispatch events until *@done is true or @timeout_ms passed (-1: no
 * limit). Return: 0 when *@done, -ETIMEDOUT, or -errno if epoll_wait failed.
 */
int rk_loop_run_until(struct rk_loop *loop, const bool *done, int timeout_ms);

/**
 * rk_loop_run_once - wait up to @timeout_ms (-1: no limit) for one batch of events and dispatch
 * it. For callers that wait for a condition of their own. Return: 0 or -errno.
 */
int rk_loop_run_once(struct rk_loop *loop, int timeout_ms);

#endif
