/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsutil.h - small file-system helpers: bounded reads, writes, mkdir -p, rm -rf.
 * All return 0 (or a length) on success and -errno on failure.
 */
#ifndef RK_UTIL_FSUTIL_H
#define RK_UTIL_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/** rk_read_file - read at most @max bytes of @path into a new NUL-terminated buffer. */
int rk_read_file(const char *path, size_t max, char **buf, size_t *len);
/** rk_write_file - create/truncate @path with @mode and write @data (no trailing newline added). */
int rk_write_file(const char *path, const char *data, mode_t mode);
/** rk_write_existing - write @data to an existing file (procfs, cgroupfs) without creating it. */
int rk_write_existing(const char *path, const char *data);
/** rk_mkdir_p - create @path and its parents with @mode; existing directories are fine. */
int rk_mkdir_p(const char *path, mode_t mode);
/** rk_rm_rf - remove @path recursively without following symlinks; missing is fine. */
int rk_rm_rf(const char *path);
/** rk_rm_rf_at - remove everything inside directory fd @dfd except the entry named @keep. */
int rk_rm_contents_at(int dfd, const char *keep);
/**
 * rk_path_clean - Go's filepath.Clean of @in into @out: collapse "//", drop "." elements,
 * resolve ".." lexically. Return: 0 or -ENAMETOOLONG.
 */
int rk_path_clean(const char *in, char *out, size_t outlen);

#endif
