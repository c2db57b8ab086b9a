/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err.h - the one error convention of this project.
 *
 * A function that can fail returns 0 (or an fd, a length) on success and -errno on failure.
 * When the failure must reach a user, it also fills a struct rk_err: the errno and a message
 * in the wording the user sees. Callers add context in front of the message with
 * rk_err_wrap() ("setting up tap0: " + "operation not permitted"), the way Go code wraps
 * errors with fmt.Errorf("...: %w"). The API layer maps the errno to an HTTP status.
 *
 * The message lives in a fixed buffer inside the struct, so reporting an error never
 * allocates and an out-of-memory path can still say what happened. Every setter returns the
 * negative errno, so "return rk_err_set(err, EINVAL, ...);" is the usual form. @err may be
 * NULL where nobody wants the text.
 */
#ifndef RK_UTIL_ERR_H
#define RK_UTIL_ERR_H

#include <stddef.h>

#define RK_ERR_MSG_MAX 2048

struct rk_err {
	int code;		  /* positive errno, 0 when no error was recorded */
	char msg[RK_ERR_MSG_MAX]; /* user-facing text, always NUL-terminated */
};

/** rk_err_clear - reset @err to "no error". */
void rk_err_clear(struct rk_err *err);

/**
 * rk_err_set - record error @code (a positive errno) with a formatted message.
 * Return: -@code (or -EIO if @code is not positive).
 */
int rk_err_set(struct rk_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * rk_err_errno - record @code with "<formatted context>: <Go errno text>", e.g.
 * rk_err_errno(err, ENOENT, "open %s", p) -> "open /x: no such file or directory".
 * Return: -@code.
 */
int rk_err_errno(struct rk_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * rk_err_wrap - put "<formatted context>: " in front of the recorded message. When nothing was
 * recorded yet, the message becomes "<context>: <Go errno text of @code>" and @code is stored.
 * Return: -(the recorded errno).
 */
int rk_err_wrap(struct rk_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
