// SPDX-License-Identifier: Apache-2.0
/*
 * helper.c - long-lived helper processes watched by the event loop (see helper.h).
 *
 * The helper's output pipe is non-blocking and read whenever it is readable: complete lines go
 * to the debug log with the helper's name, and the last RK_HELPER_TAIL bytes are kept so that a
 * failure can quote what the helper said. A helper that keeps the pipe open after its
 * foreground process exited (pasta's daemon) is simply read until it closes it.
 */
#include "parent/helper.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/signames.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void rk_helper_keep(struct rk_helper *h, const char *p, size_t n)
{
	if (n >= sizeof(h->tail) - 1) {
		p += n - (sizeof(h->tail) - 1);
		n = sizeof(h->tail) - 1;
	}
	if (h->tail_len + n >= sizeof(h->tail)) {
		size_t drop = h->tail_len + n - (sizeof(h->tail) - 1);
		memmove(h->tail, h->tail + drop, h->tail_len - drop);
		h->tail_len -= drop;
	}
	memcpy(h->tail + h->tail_len, p, n);
	h->tail_len += n;
	h->tail[h->tail_len] = '\0';
}

static void rk_helper_log(struct rk_helper *h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' || h->line_len == sizeof(h->line) - 1) {
			h->line[h->line_len] = '\0';
			rk_debug("%s: %s", h->name, h->line);
			h->line_len = 0;
			if (p[i] == '\n')
				continue;
		}
		h->line[h->line_len++] = p[i];
	}
}

static void rk_helper_read(struct rk_helper *h)
{
	char buf[4096];

	while (h->out_src) {
		ssize_t n = read(rk_loop_src_fd(h->out_src), buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			if (h->line_len)
				rk_helper_log(h, "\n", 1);
			rk_loop_del(h->loop, h->out_src);
			h->out_src = NULL;
			h->out_eof = true;
			return;
		}
		rk_helper_keep(h, buf, (size_t)n);
		rk_helper_log(h, buf, (size_t)n);
	}
}

static void rk_helper_on_output(struct rk_loop *loop, struct rk_loop_src *src, uint32_t events,
				void *data)
{
	rk_helper_read(data);
}

void rk_helper_drain(struct rk_helper *h)
{
	rk_helper_read(h);
}

static void rk_helper_on_exit(struct rk_loop *loop, struct rk_loop_src *src, pid_t pid, int status,
			      void *data)
{
	struct rk_helper *h = data;
	char st[128];

	h->pid_src = NULL; /* the loop removes a pid source after its callback */
	h->exited = true;
	h->status = status;
	h->pid = -1;
	rk_helper_read(h);
	rk_debug("%s (pid %d) exited: %s", h->name, (int)pid,
		 rk_helper_status_text(h, st, sizeof(st)));
	if (h->on_exit)
		h->on_exit(h, h->data);
}

__attribute__((noreturn)) static void rk_helper_exec(const char *path, char *const argv[], int out,
						     const int *extra, int nextra, pid_t parent,
						     bool own_group)
{
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int moved[8];

	if (own_group)
		setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	rk_exec_prepare();
	/* move the extra fds out of the way of 0..3+n first, then into place */
	for (int i = 0; i < nextra && i < 8; i++)
		moved[i] = fcntl(extra[i], F_DUPFD_CLOEXEC, 3 + nextra + 16);
	if (nul >= 0)
		dup2(nul, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	for (int i = 0; i < nextra && i < 8; i++)
		dup2(moved[i], 3 + i);
	rk_fds_cloexec_from(3 + nextra);
	execve(path, argv, environ);
	dprintf(STDERR_FILENO, "exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

int rk_helper_start(struct rk_helper *h, struct rk_loop *loop, char *const argv[], const int *extra,
		    int nextra, struct rk_err *err)
{
	char path[PATH_MAX];
	rk_autoclose int r = -1, w = -1;
	int p[2], rc;
	pid_t parent = getpid();

	h->pid = -1;
	h->loop = loop;
	if (nextra > 8)
		return rk_err_set(err, EINVAL, "too many fds for %s", h->name);
	if ((rc = rk_lookpath_err(argv[0], path, sizeof(path), err)) < 0)
		return rc;
	if (pipe2(p, O_CLOEXEC) < 0)
		return rk_err_errno(err, errno, "pipe");
	r = p[0];
	w = p[1];
	fflush(NULL);
	h->pid = fork();
	if (h->pid < 0)
		return rk_err_errno(err, errno, "fork %s", h->name);
	if (h->pid == 0)
		rk_helper_exec(path, argv, w, extra, nextra, parent, h->own_group);
	if (h->own_group) {
		setpgid(h->pid, h->pid); /* as the child does: whichever runs first */
		h->pgid = h->pid;
	}
	rk_close(&w);
	fcntl(r, F_SETFL, O_NONBLOCK);
	if ((rc = rk_loop_add_pid(loop, h->pid, rk_helper_on_exit, h, &h->pid_src)) < 0) {
		kill(h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
		h->pid = -1;
		return rk_err_errno(err, -rc, "watching %s", h->name);
	}
	if ((rc = rk_loop_add_fd(loop, r, EPOLLIN, true, rk_helper_on_output, h, &h->out_src)) <
	    0) {
		rk_helper_stop(h);
		return rk_err_errno(err, -rc, "reading the output of %s", h->name);
	}
	rk_steal_fd(&r);
	rk_debug("started %s (pid %d): %s", h->name, (int)h->pid, path);
	return 0;
}

void rk_helper_stop(struct rk_helper *h)
{
	if (h->pgid > 0)
		killpg(h->pgid, SIGKILL); /* its forks too, even after it exited itself */
	h->pgid = 0;
	if (h->pid > 0 && !h->exited) {
		kill(h->pid, SIGKILL);
		while (waitpid(h->pid, &h->status, 0) < 0 && errno == EINTR)
			;
		h->exited = true;
		rk_debug("killed %s (pid %d)", h->name, (int)h->pid);
		h->pid = -1;
	}
	if (h->pid_src)
		rk_loop_del(h->loop, h->pid_src);
	h->pid_src = NULL;
	if (h->out_src)
		rk_loop_del(h->loop, h->out_src);
	h->out_src = NULL;
}

const char *rk_helper_last_line(const struct rk_helper *h, char *buf, size_t len)
{
	const char *end = h->tail + h->tail_len, *start;

	while (end > h->tail && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > h->tail && start[-1] != '\n')
		start--;
	snprintf(buf, len, "%.*s", (int)(end - start), start);
	return buf;
}

const char *rk_helper_status_text(const struct rk_helper *h, char *buf, size_t len)
{
	if (h->status < 0)
		snprintf(buf, len, "status unknown");
	else
		rk_wait_status_str(h->status, true, buf, len);
	return buf;
}
