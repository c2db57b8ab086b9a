/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netns.h - doing things inside a network namespace the caller is not in (--detach-netns).
 *
 * A thread may join a network namespace on its own (setns(2) with CLONE_NEWNET affects only
 * the calling thread), so work that must happen inside the detached namespace runs in a
 * short-lived thread that joins it first. Sockets made there (netlink, DHCP, later the port
 * driver's) stay bound to that namespace after the thread is gone.
 */
#ifndef RK_NET_NETNS_H
#define RK_NET_NETNS_H

/**
 * rk_netns_run - run @fn(@arg) inside the network namespace @nsfd, or directly when @nsfd is -1.
 * Return: what @fn returned, or -errno if the thread could not be started or could not join.
 */
int rk_netns_run(int nsfd, int (*fn)(void *arg), void *arg);

/**
 * rk_netns_new - create a new network namespace (owned by the caller's user namespace) without
 * entering it. Return: an O_CLOEXEC fd of it, or -errno.
 */
int rk_netns_new(void);

#endif
