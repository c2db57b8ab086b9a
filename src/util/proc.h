/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc.h - running helper programs (newuidmap, getsubids) and Go-style PATH lookup.
 */
#ifndef RK_UTIL_PROC_H
#define RK_UTIL_PROC_H

#include <stddef.h>

/**
 * rk_lookpath - Go's exec.LookPath for a name without '/': the first regular file with an
 * execute bit in $PATH. Names with '/' are returned unchanged.
 * Return: 0 with the path in @out, or -ENOENT.
 */
int rk_lookpath(const char *name, char *out, size_t outlen);

/**
 * rk_run_capture - run @argv[0] (already a path) with @argv, stdin /dev/null, stdout and
 * stderr captured together into @out (truncated to @outlen-1, NUL-terminated). The helper gets
 * PDEATHSIG=SIGKILL. Return: the wait status (>= 0), or -errno if it could not be started.
 */
int rk_run_capture(char *const argv[], char *out, size_t outlen);

#endif
