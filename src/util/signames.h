/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signames.h - Go's names of signals and wait statuses ("signal: killed", "exit status 3").
 */
#ifndef RK_UTIL_SIGNAMES_H
#define RK_UTIL_SIGNAMES_H

#include <stdbool.h>
#include <stddef.h>

/** rk_signame - Go's name of signal @sig ("user defined signal 1"); "signal <n>" otherwise. */
const char *rk_signame(int sig, char *buf, size_t len);

/**
 * rk_wait_status_str - Go's (*exec.ExitError).Error() text of a wait(2) status:
 * "exit status N", "signal: NAME" or "signal: NAME (core dumped)" (the latter if @core_ok).
 */
void rk_wait_status_str(int status, bool core_ok, char *buf, size_t len);

#endif
