/* SPDX-License-Identifier: Apache-2.0 */
/*
 * child.h - the child: init of the new namespaces, which sets them up and runs the command.
 */
#ifndef RK_CHILD_CHILD_H
#define RK_CHILD_CHILD_H

#include <stdbool.h>

#include "cli/options.h"

struct rk_child_args {
	const struct rk_config *cfg;
	int sock;	     /* our end of the parent<->child channel */
	int listen_fds;	     /* systemd socket-activation fds at 3.. to pass on */
	bool set_listen_pid; /* LISTEN_PID named the parent: rewrite it for the command */
};

/** rk_child_main - run the child; never returns. */
__attribute__((noreturn)) void rk_child_main(const struct rk_child_args *a);

/* mounts.c */
/** rk_mounts_propagation - apply --propagation to "/" (unknown values: nothing). */
int rk_mounts_propagation(const char *value);
/** rk_mounts_proc - mount a new procfs on /proc (for --pidns); failures only warn. */
void rk_mounts_proc(void);

/* copyup.c */
/** rk_copyup - tmpfs+symlink copy-up of each of @dirs; dies on error (child before exec). */
void rk_copyup(char *const *dirs, size_t n);

/* command.c */
struct rk_command_opts {
	char **argv;
	bool reaper;
	int listen_fds;
	bool set_listen_pid;
};
/**
 * rk_command_run - start the command, forward signals to it, wait for it (reaping orphans with
 * the reaper), report its end like upstream. Call with every signal blocked.
 * Return: the child's exit code.
 */
int rk_command_run(const struct rk_command_opts *o);

#endif
