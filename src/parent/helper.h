/* SPDX-License-Identifier: Apache-2.0 */
/*
 * helper.h - long-lived helper processes (slirp4netns, pasta, lxc-user-nic) watched by the
 * parent's event loop: started without blocking, their exit seen through a pidfd, their output
 * logged at debug level and its tail kept for error messages.
 */
#ifndef RK_PARENT_HELPER_H
#define RK_PARENT_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/loop.h"

#define RK_HELPER_TAIL 4096

struct rk_helper;
/* Called from the loop when the helper has exited (and was reaped). */
typedef void (*rk_helper_exit_cb)(struct rk_helper *h, void *data);

struct rk_helper {
	char name[64]; /* for messages: "slirp4netns" */
	pid_t pid;     /* -1 before start and after reaping */
	bool exited;   /* its exit was seen */
	int status;    /* wait status once exited */
	bool out_eof;  /* its output pipe is closed */
	struct rk_loop *loop;
	struct rk_loop_src *pid_src, *out_src;
	char tail[RK_HELPER_TAIL]; /* the last output, NUL-terminated */
	size_t tail_len;
	char line[512]; /* a partial line for the debug log */
	size_t line_len;
	rk_helper_exit_cb on_exit;
	void *data;
	/* set before start: the helper leads a process group of its own and rk_helper_stop kills
	 * the whole group, so that what the helper forked (socat's per-connection children) ends
	 * with it */
	bool own_group;
	pid_t pgid; /* that group while it may have members, else 0 */
};

/**
 * rk_helper_start - start @argv (argv[0] is looked up in $PATH like Go's exec.LookPath) with
 * stdin on /dev/null, stdout+stderr into a pipe read by the loop, @extra[i] as fd 3+i in the
 * helper, PDEATHSIG=SIGKILL, default signal dispositions and mask, the original RLIMIT_NOFILE.
 * @h must be zeroed except name/on_exit/data/own_group. Return: 0 or -errno with @err
 * ("exec: \"x\": executable file not found in $PATH").
 */
int rk_helper_start(struct rk_helper *h, struct rk_loop *loop, char *const argv[], const int *extra,
		    int nextra, struct rk_err *err);

/**
 * rk_helper_stop - SIGKILL the helper if it runs (with @own_group: its whole process group),
 * reap it, drop its sources. Idempotent.
 */
void rk_helper_stop(struct rk_helper *h);

/** rk_helper_drain - read whatever output is already in the pipe (non-blocking). */
void rk_helper_drain(struct rk_helper *h);

/**
 * rk_helper_last_line - the last non-empty line of the helper's output into @buf ("" if none).
 * Return: @buf.
 */
const char *rk_helper_last_line(const struct rk_helper *h, char *buf, size_t len);

/**
 * rk_helper_status_text - Go's words for its end ("exit status 1", "signal: killed").
 * Return: @buf.
 */
const char *rk_helper_status_text(const struct rk_helper *h, char *buf, size_t len);

#endif
