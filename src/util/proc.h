/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc.h - running helper programs (newuidmap, getsubids) and Go-style PATH lookup.
 */
#ifndef RK_UTIL_PROC_H
#define RK_UTIL_PROC_H

#include <stddef.h>

#include "util/err.h"

/**
 * rk_lookpath - Go's exec.LookPath for a name without '/': the first regular file with an
 * execute bit in $PATH. Names with '/' are returned unchanged.
 * Return: 0 with the path in @out, or -ENOENT.
 */
int rk_lookpath(const char *name, char *out, size_t outlen);

/**
 * rk_lookpath_err - rk_lookpath() with Go's exec.LookPath errors in @err:
 * `exec: "x": executable file not found in $PATH`, `exec: "/x": stat /x: no such file or
 * directory`, `exec: "/x": permission denied`. Return: 0 or -errno.
 */
int rk_lookpath_err(const char *name, char *out, size_t outlen, struct rk_err *err);

/**
 * rk_run_capture - run @argv[0] (already a path) with @argv, stdin /dev/null, stdout and
 * stderr captured together into @out (truncated to @outlen-1, NUL-terminated). The helper gets
 * PDEATHSIG=SIGKILL. Return: the wait status (>= 0), or -errno if it could not be started.
 */
int rk_run_capture(char *const argv[], char *out, size_t outlen);

/**
 * rk_fds_cloexec_from - mark every fd >= @first close-on-exec (close_range(2), or a walk over
 * the first 4096 fds on kernels without CLOSE_RANGE_CLOEXEC).
 */
void rk_fds_cloexec_from(int first);

/* A helper started by rk_run_start(): its pid and the read end of its output pipe. */
struct rk_run {
	int pid;
	int fd;
};

/** rk_run_start - start @argv like rk_run_capture() without waiting. Return: 0 or -errno. */
int rk_run_start(char *const argv[], struct rk_run *r);

/* A helper run to completion that has not closed its output within this time is killed. */
#define RK_RUN_TIMEOUT_MS 30000

/**
 * rk_run_finish - collect the output of a started helper into @out and reap it; a helper that
 * hangs for RK_RUN_TIMEOUT_MS is killed. Return: the wait status, -ETIME for a hung helper, or
 * -errno.
 */
int rk_run_finish(struct rk_run *r, char *out, size_t outlen);

/**
 * rk_rlimit_raise - raise the soft RLIMIT_NOFILE to the hard limit (the port data path needs
 * many fds) and remember the original, which rk_exec_prepare() restores for programs we run.
 */
void rk_rlimit_raise(void);

/**
 * rk_exec_prepare - in a forked process about to exec another program: default signal
 * dispositions, an empty signal mask, the original soft RLIMIT_NOFILE.
 */
void rk_exec_prepare(void);

#endif
