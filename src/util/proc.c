// SPDX-License-Identifier: Apache-2.0
/*
 * proc.c - PATH lookup and running helpers with captured output (see proc.h).
 */
#include "util/proc.h"
#include "util/goparse.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

void rk_fds_cloexec_from(int first)
{
	if (syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	for (int fd = first; fd < 4096; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

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
		if ((size_t)snprintf(out, outlen, "%.*s/%s", n ? n : 1, n ? p : ".", name) <
			outlen &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return 0;
		if (!*e)
			break;
		p = e;
	}
	return -ENOENT;
}

static struct rlimit rk_rlimit_orig;
static int rk_rlimit_saved;

void rk_rlimit_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	rk_rlimit_orig = rl;
	rk_rlimit_saved = 1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

void rk_exec_prepare(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigset_t none;

	for (int sig = 1; sig < _NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (rk_rlimit_saved)
		setrlimit(RLIMIT_NOFILE, &rk_rlimit_orig);
}

int rk_lookpath_err(const char *name, char *out, size_t outlen, struct rk_err *err)
{
	struct stat st;

	if (!strchr(name, '/')) {
		if (rk_lookpath(name, out, outlen) < 0)
			return rk_err_set(err, ENOENT,
					  "exec: \"%s\": executable file not found in $PATH", name);
		return 0;
	}
	if (stat(name, &st) < 0)
		return rk_err_set(err, errno, "exec: \"%s\": stat %s: %s", name, name,
				  go_strerror(errno));
	if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111))
		return rk_err_set(err, EACCES, "exec: \"%s\": permission denied", name);
	if ((size_t)snprintf(out, outlen, "%s", name) >= outlen)
		return rk_err_set(err, ENAMETOOLONG, "exec: \"%s\": file name too long", name);
	return 0;
}

__attribute__((noreturn)) static void rk_run_child(char *const argv[], int wfd)
{
	int nul = open("/dev/null", O_RDONLY);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	rk_exec_prepare();
	if (nul >= 0)
		dup2(nul, STDIN_FILENO);
	dup2(wfd, STDOUT_FILENO);
	dup2(wfd, STDERR_FILENO);
	execve(argv[0], argv, environ);
	dprintf(STDERR_FILENO, "exec %s: %s", argv[0], go_strerror(errno));
	_exit(127);
}

int rk_run_start(char *const argv[], struct rk_run *r)
{
	int p[2];

	r->pid = r->fd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	r->pid = fork();
	if (r->pid < 0) {
		int e = -errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (r->pid == 0)
		rk_run_child(argv, p[1]);
	close(p[1]);
	r->fd = p[0];
	return 0;
}

/* Read what is there within @deadline; return the bytes read, 0 at EOF, or -ETIME. */
static ssize_t rk_run_read(int fd, char *buf, size_t len, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	struct timespec ts;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t left = deadline - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		if (left <= 0)
			return -ETIME;
		int n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		ssize_t got = read(fd, buf, len);
		if (got < 0 && errno == EINTR)
			continue;
		return got < 0 ? -errno : got;
	}
}

int rk_run_finish(struct rk_run *r, char *out, size_t outlen)
{
	struct timespec ts;
	size_t n = 0;
	int status;
	ssize_t got;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + RK_RUN_TIMEOUT_MS;
	for (;;) {
		char sink[512];
		got = n + 1 < outlen ? rk_run_read(r->fd, out + n, outlen - 1 - n, deadline)
				     : rk_run_read(r->fd, sink, sizeof(sink), deadline);
		if (got <= 0)
			break;
		if (n + 1 < outlen)
			n += (size_t)got;
	}
	close(r->fd);
	if (outlen)
		out[n] = '\0';
	if (got == -ETIME)
		kill(r->pid, SIGKILL); /* hung: it must not hang us */
	while (waitpid(r->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return got == -ETIME ? -ETIME : status;
}

int rk_run_capture(char *const argv[], char *out, size_t outlen)
{
	struct rk_run r = {.pid = -1, .fd = -1};
	int rc = rk_run_start(argv, &r);

	return rc < 0 ? rc : rk_run_finish(&r, out, outlen);
}
