// SPDX-License-Identifier: Apache-2.0
/*
 * srcip.c - routing for source-IP propagation of the builtin port driver (SPEC 8.2.5).
 *
 * The parent connects child-netns sockets bound (IP_TRANSPARENT) to the real client's address.
 * For the server's replies to come back to that socket instead of leaving through the default
 * route, the netns needs upstream's policy routing: a local default route in table 100, a rule
 * sending fwmark 100 there, tcp_fwmark_accept so accepted sockets inherit the SYN's mark, and
 * CONNMARK rules marking connections that come from a non-local source. This runs once, on the
 * parent's request (its first non-loopback client), with upstream's commands, in the network
 * namespace (with --detach-netns forked from a thread that joined it). A missing or unusable
 * iptables means no propagation for good; a failing individual command only logs.
 */
#include "child/child.h"
#include "net/netns.h"
#include "util/log.h"
#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run @argv (looked up in PATH); log failures at debug level. Return: 0 or -1. */
static int rk_srcip_run(const char *const *argv)
{
	char path[4096], out[512];
	int st;

	if (rk_lookpath(argv[0], path, sizeof(path)) < 0) {
		rk_debug("source IP transparent: %s: not found", argv[0]);
		return -1;
	}
	char *v[24];
	size_t i = 0;
	v[i++] = path;
	for (; i < 23 && argv[i]; i++)
		v[i] = (char *)argv[i];
	v[i] = NULL;
	st = rk_run_capture(v, out, sizeof(out));
	if (st == 0)
		return 0;
	rk_debug("source IP transparent: %s %s failed: %s", argv[0], argv[1], out);
	return -1;
}

#define RK_SRCIP_MARK "100"

static int rk_srcip_commands(void)
{
	static const char *const check[] = {"iptables", "-t", "mangle", "-L", "-n", NULL};
	static const char *const cmds[][20] = {
	    {"ip", "route", "add", "local", "default", "dev", "lo", "table", RK_SRCIP_MARK},
	    {"ip", "-6", "route", "add", "local", "default", "dev", "lo", "table", RK_SRCIP_MARK},
	    {"ip", "rule", "add", "fwmark", RK_SRCIP_MARK, "lookup", RK_SRCIP_MARK, "priority",
	     RK_SRCIP_MARK},
	    {"ip", "-6", "rule", "add", "fwmark", RK_SRCIP_MARK, "lookup", RK_SRCIP_MARK,
	     "priority", RK_SRCIP_MARK},
	    {"sysctl", "-w", "net.ipv4.tcp_fwmark_accept=1"},
	    {"iptables", "-t", "mangle", "-A", "OUTPUT", "-p", "tcp", "-m", "addrtype", "!",
	     "--src-type", "LOCAL", "-j", "CONNMARK", "--set-mark", RK_SRCIP_MARK},
	    {"ip6tables", "-t", "mangle", "-A", "OUTPUT", "-p", "tcp", "-m", "addrtype", "!",
	     "--src-type", "LOCAL", "-j", "CONNMARK", "--set-mark", RK_SRCIP_MARK},
	    {"iptables", "-t", "mangle", "-A", "PREROUTING", "-p", "tcp", "-m", "connmark",
	     "--mark", RK_SRCIP_MARK, "-j", "MARK", "--set-mark", RK_SRCIP_MARK},
	    {"ip6tables", "-t", "mangle", "-A", "PREROUTING", "-p", "tcp", "-m", "connmark",
	     "--mark", RK_SRCIP_MARK, "-j", "MARK", "--set-mark", RK_SRCIP_MARK},
	};

	if (rk_srcip_run(check) < 0) {
		rk_warn("source IP transparent: iptables is not usable in the network namespace; "
			"falling back to non-transparent mode, client source IPs will not be "
			"preserved");
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		rk_srcip_run(cmds[i]);
	return 0;
}

static int rk_srcip_in_netns(void *arg)
{
	return rk_srcip_commands();
}

int rk_child_srcip_setup(int nsfd)
{
	/* detached: from a thread inside the netns; the commands it forks start there */
	return rk_netns_run(nsfd, rk_srcip_in_netns, NULL);
}
