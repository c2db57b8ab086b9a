/* SPDX-License-Identifier: Apache-2.0 */
/*
 * child.h - the child: init of the new namespaces, which sets them up and runs the command.
 */
#ifndef RK_CHILD_CHILD_H
#define RK_CHILD_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

#include "cli/options.h"
#include "cli/validate.h"
#include "util/err.h"
#include "util/msg.h"

struct rk_net_driver;
struct rk_net_child_env;

struct rk_child_args {
	const struct rk_config *cfg;
	const struct rk_choice *choice;
	const char *state_dir;
	int sock;	      /* our end of the parent<->child channel */
	int listen_fds;	      /* systemd socket-activation fds at 3.. to pass on */
	bool set_listen_pid;  /* LISTEN_PID named the parent: rewrite it for the command */
	const int *close_fds; /* the parent's fds the child must not keep (-1 entries ignored) */
	int nclose_fds;
};

/** rk_child_main - run the child; never returns. */
__attribute__((noreturn)) void rk_child_main(const struct rk_child_args *a);

/* mounts.c */
/** rk_mounts_propagation - apply the propagation @flags to "/" (0: nothing). */
int rk_mounts_propagation(unsigned long flags);
/** rk_mounts_proc - mount a new procfs on /proc (for --pidns); failures only warn. */
void rk_mounts_proc(void);
/**
 * rk_mounts_sys - a sysfs of the new netns on /sys, keeping /sys/fs/cgroup (or a new cgroup2
 * there when @evacuate) (SPEC 4.3). Return: 0 or -errno with @err.
 */
int rk_mounts_sys(bool evacuate, struct rk_err *err);

/* network.c */
/**
 * rk_child_netns_detach - create STATE_DIR/netns (0400) and bind-mount a new network namespace
 * on it (--detach-netns). Return: 0 and an fd of the namespace in *@nsfd, or -errno.
 */
int rk_child_netns_detach(const char *state_dir, int *nsfd, struct rk_err *err);
/**
 * rk_child_net_prepare - inside the driver's netns: lo up, then the driver's child_prepare.
 * Return: 0 or -errno with @err.
 */
int rk_child_net_prepare(const struct rk_net_driver *ops, const struct rk_net_child_env *env,
			 struct rk_err *err);
/**
 * rk_child_net_configure - write hosts, let the driver configure (DHCP), write resolv.conf, set
 * up the interface unless the driver did, bind resolv.conf and hosts on /etc (not detached).
 * @m: the parent's configuration; the driver may fill in the address.
 * Return: 0 or -errno with @err.
 */
int rk_child_net_configure(const struct rk_net_driver *ops, const struct rk_net_child_env *env,
			   struct rk_msg_net *m, bool etc_copied, struct rk_err *err);

/* portsvc.c */
struct rk_chan;
/**
 * rk_child_portsvc_init - serve the builtin port driver's requests arriving on channel @c
 * (our end @sock): sockets made in the netns (@nsfd when detached, else our own), and the
 * source-IP set-up. Return: 0 or -errno.
 */
int rk_child_portsvc_init(struct rk_chan *c, int sock, int nsfd);

/* srcip.c */
/**
 * rk_child_srcip_setup - upstream's policy routing and CONNMARK rules for source-IP
 * propagation, inside the netns (@nsfd, or ours when -1). Return: 0, or -errno when
 * propagation cannot work (warned).
 */
int rk_child_srcip_setup(int nsfd);

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
struct rk_command {
	pid_t pid;
	char *text; /* argv joined, for messages */
	bool reaper;
	bool done; /* its status is in .status */
	int status;
};
/**
 * rk_command_start - start the command (call with every signal blocked; the caller reads them
 * and passes them to rk_command_on_signal()).
 * Return: 0, or an exit code > 0 after printing why it could not start.
 */
int rk_command_start(const struct rk_command_opts *o, struct rk_command *c);
/** rk_command_on_signal - SIGCHLD: reap (orphans too with the reaper); else forward it. */
void rk_command_on_signal(struct rk_command *c, int sig);
/** rk_command_finish - report the command's end like upstream. Return: the exit code. */
int rk_command_finish(struct rk_command *c);

#endif
