// SPDX-License-Identifier: Apache-2.0
/*
 * proc.c - PATH lookup and running helpers with captured output (see proc.h).
 */
#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int rk_lookpath(const char *name, char *out, size_t outlen)
{
	const char *path = getenv("PATH");
	struct stat st;

	if (strchr(name, '/')) {
		if ((size_t)snprintf(out, outlen, "%s", name) >= outlen)
			return -ENAMETOOLONG;
		return 0;
	}
	if (!*name)
		return -ENOENT;
	if (!path)
		path = "";
	for (const char *p = path;; p++) {
		const char *e = strchrnul(p, ':');
		int n = (int)(e - p);
		/* an empty element means the current directory, as in Go */
		if ((size_t)snprintf(out, outlen, "%.*s/%s", n ? n : 1, n ? p : ".", name) < outlen &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return 0;
		if (!*e)
			break;
		p = e;
	}
	return -ENOENT;
}

static void rk_run_child(char *const argv[], int wfd)
{
	int nul = open("/dev/null", O_RDONLY);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (nul >= 0)
		dup2(nul, STDIN_FILENO);
	dup2(wfd, STDOUT_FILENO);
	dup2(wfd, STDERR_FILENO);
	execve(argv[0], argv, environ);
	dprintf(STDERR_FILENO, "exec %s: %s", argv[0], strerror(errno));
	_exit(127);
}

int rk_run_capture(char *const argv[], char *out, size_t outlen)
{
	int p[2], status;
	size_t n = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (pid == 0)
		rk_run_child(argv, p[1]);
	close(p[1]);
	for (;;) {
		char sink[512];
		ssize_t r = n + 1 < outlen ? read(p[0], out + n, outlen - 1 - n)
					   : read(p[0], sink, sizeof(sink));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (n + 1 < outlen)
			n += (size_t)r;
	}
	close(p[0]);
	if (outlen)
		out[n] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return status;
}
