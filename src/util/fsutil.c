// SPDX-License-Identifier: Apache-2.0
/*
 * fsutil.c - bounded file reads/writes, mkdir -p and rm -rf (see fsutil.h).
 */
#include "util/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <unistd.h>

int rk_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	char *b;

	if (fd < 0)
		return -errno;
	if (!(b = malloc(max + 1))) {
		close(fd);
		return -ENOMEM;
	}
	while (n < max) {
		ssize_t r = read(fd, b + n, max - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			free(b);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static int rk_write_all(int fd, const char *data)
{
	size_t len = strlen(data), off = 0;

	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	return 0;
}

int rk_write_file(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	int rc;

	if (fd < 0)
		return -errno;
	rc = rk_write_all(fd, data);
	if (rc == 0 && fchmod(fd, mode) < 0) /* the mode must not depend on the umask */
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

int rk_write_existing(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -errno;
	rc = rk_write_all(fd, data);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

int rk_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	struct stat st;
	if (stat(buf, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int rk_rm_entry_at(int dfd, const char *name, int depth);

static int rk_rm_dir_contents(int fd, const char *keep, int depth)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (keep && !strcmp(de->d_name, keep))
			continue;
		int r = rk_rm_entry_at(dirfd(d), de->d_name, depth + 1);
		if (r < 0 && !rc)
			rc = r;
	}
	closedir(d);
	return rc;
}

static int rk_rm_entry_at(int dfd, const char *name, int depth)
{
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	if (depth > 256)
		return -ELOOP;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int rc = rk_rm_dir_contents(fd, NULL, depth);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return rc ? rc : -errno;
	return rc;
}

int rk_rm_contents_at(int dfd, const char *keep)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : rk_rm_dir_contents(fd, keep, 0);
}

int rk_rm_rf(const char *path)
{
	return rk_rm_entry_at(AT_FDCWD, path, 0);
}

/* Append @n bytes of @s to out[*w]; false when it does not fit. */
static bool rk_clean_put(char *out, size_t outlen, size_t *w, const char *s, size_t n)
{
	if (*w + n >= outlen)
		return false;
	memcpy(out + *w, s, n);
	*w += n;
	return true;
}

int rk_path_clean(const char *in, char *out, size_t outlen)
{
	size_t r = 0, w = 0, dotdot = 0, n = strlen(in);
	bool rooted = n > 0 && in[0] == '/';

	if (outlen < 2)
		return -ENAMETOOLONG;
	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (in[r] == '/') {
			r++;
		} else if (in[r] == '.' && (r + 1 == n || in[r + 1] == '/')) {
			r++;
		} else if (in[r] == '.' && in[r + 1] == '.' && (r + 2 == n || in[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if ((w > 0 && !rk_clean_put(out, outlen, &w, "/", 1)) ||
				    !rk_clean_put(out, outlen, &w, "..", 2))
					return -ENAMETOOLONG;
				dotdot = w;
			}
		} else {
			size_t l = strcspn(in + r, "/");
			if (((rooted && w != 1) || (!rooted && w != 0)) &&
			    !rk_clean_put(out, outlen, &w, "/", 1))
				return -ENAMETOOLONG;
			if (!rk_clean_put(out, outlen, &w, in + r, l))
				return -ENAMETOOLONG;
			r += l;
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return 0;
}
