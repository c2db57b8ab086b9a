/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resolv.h - the host's resolver configuration (resolv.conf(5)) as glibc reads it: the name
 * servers in order (at most three), `options timeout:N attempts:N rotate`. The built-in
 * stack's DNS forwarder asks exactly these servers, in this order.
 */
#ifndef RK_NET_RESOLV_H
#define RK_NET_RESOLV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define RK_RESOLV_MAXNS	   3	 /* glibc's MAXNS: later nameserver lines are ignored */
#define RK_RESOLV_TEXT_MAX 65536 /* more of the file than this is not read */

struct rk_resolv {
	int n; /* name servers (never 0: glibc's default is 127.0.0.1) */
	struct sockaddr_storage ns[RK_RESOLV_MAXNS]; /* port 53 set */
	socklen_t len[RK_RESOLV_MAXNS];
	int timeout_s; /* options timeout:N (default 5, at most 30) */
	int attempts;  /* options attempts:N (default 2, at most 5) */
	bool rotate;   /* options rotate */
};

/**
 * rk_resolv_parse - read resolv.conf text @text (@len bytes, need not be terminated) into @out.
 * Lines that do not parse are ignored, as glibc does. RES_OPTIONS from the environment is not
 * consulted (the parent's environment is not the host resolver's).
 */
void rk_resolv_parse(const char *text, size_t len, struct rk_resolv *out);

#endif
