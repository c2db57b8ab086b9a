// SPDX-License-Identifier: Apache-2.0
/*
 * command.c - starting, supervising and reporting the user's command (SPEC 5.1, 5.4-5.7).
 *
 * Theory of operation: the child has blocked every signal since its set-up ended (child.c)
 * and reads them from a signalfd in its event loop, so nothing is lost before the command
 * starts: signals that arrived early are forwarded once it runs. The command process resets every
 * disposition and the mask to the defaults, marks every fd above the socket-activation ones
 * close-on-exec, optionally becomes a session leader (reaper mode, #557: never otherwise) and
 * execs. An exec failure travels back as an errno over a close-on-exec pipe, so "not found" and
 * "permission denied" are reported with Go's words. The child's loop then hands every signal
 * to rk_command_on_signal(): SIGCHLD reaps (every orphan with the reaper, only the command
 * without), anything else is kill()ed on to the command.
 */
#include "child/child.h"
#include "util/goparse.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/signames.h"
#include "util/strv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char *rk_command_text(char **argv)
{
	size_t n = 0;

	while (argv[n])
		n++;
	return rk_strv_join(argv, n, " ");
}

__attribute__((noreturn)) static void rk_command_exec(const struct rk_command_opts *o,
						      const char *path, int errfd)
{
	int e;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (o->reaper)
		setsid();
	rk_exec_prepare(); /* default signals, empty mask, the caller's RLIMIT_NOFILE */
	if (o->set_listen_pid) {
		char pid[16];
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		setenv("LISTEN_PID", pid, 1);
	}
	rk_fds_cloexec_from(3 + o->listen_fds);
	execve(path, o->argv, environ);
	e = errno;
	while (write(errfd, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* Wait for the exec result: 0 if the command runs, else its errno. */
static int rk_command_exec_result(int errfd)
{
	int e = 0;
	ssize_t n;

	do
		n = read(errfd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(e) ? e : 0;
}

static int rk_command_report(const char *cmdtext, int status, bool reaper)
{
	char what[128];

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	rk_wait_status_str(status, !reaper, what, sizeof(what));
	rk_error("command [%s] exited: %s", cmdtext, what);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

/* Reap what SIGCHLD announced. Return: true once the command's status is in *status. */
static bool rk_command_reap(pid_t cmd, bool reaper, int *status)
{
	bool done = false;
	int st;
	pid_t p;

	while ((p = waitpid(reaper ? -1 : cmd, &st, WNOHANG)) > 0) {
		if (p == cmd) {
			*status = st;
			done = true;
		}
	}
	return done;
}

int rk_command_start(const struct rk_command_opts *o, struct rk_command *c)
{
	char path[PATH_MAX];
	int errp[2], e;

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->reaper = o->reaper;
	c->text = rk_command_text(o->argv);
	if (!c->text)
		rk_die("out of memory");
	if (rk_lookpath(o->argv[0], path, sizeof(path)) < 0) {
		rk_error("command [%s] exited: exec: \"%s\": executable file not found in $PATH",
			 c->text, o->argv[0]);
		return 1;
	}
	if (pipe2(errp, O_CLOEXEC) < 0)
		rk_die("failed to prepare the command: %s", go_strerror(errno));
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0)
		rk_die("fork: %s", go_strerror(errno));
	if (c->pid == 0)
		rk_command_exec(o, path, errp[1]);
	close(errp[1]);
	e = rk_command_exec_result(errp[0]);
	close(errp[0]);
	if (e) {
		char et[128];
		waitpid(c->pid, NULL, 0);
		c->pid = -1;
		rk_error("command [%s] exited: fork/exec %s: %s", c->text, path,
			 go_errno_text(e, et, sizeof(et)));
		return 1;
	}
	return 0;
}

void rk_command_on_signal(struct rk_command *c, int sig)
{
	if (c->pid <= 0 || c->done)
		return;
	if (sig == SIGCHLD) {
		if (rk_command_reap(c->pid, c->reaper, &c->status))
			c->done = true;
	} else if (sig != SIGPIPE && sig != SIGURG) {
		kill(c->pid, sig);
	}
}

int rk_command_finish(struct rk_command *c)
{
	int code = rk_command_report(c->text, c->status, c->reaper);

	free(c->text);
	c->text = NULL;
	return code;
}
