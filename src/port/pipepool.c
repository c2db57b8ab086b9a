// SPDX-License-Identifier: Apache-2.0
/*
 * pipepool.c - pipes on loan for the builtin driver's splice(2) data path.
 *
 * splice moves bytes between two sockets only through a pipe. Keeping a pipe pair per
 * connection, as most splice proxies do, costs four fds per connection even while it is idle,
 * and under a burst of thousands of connections that, not the sockets, exhausts the fd limit.
 * Here a direction borrows a pipe only while bytes sit in it: it splices from its source into
 * the pipe and at once on into its destination; if the pipe drains, it goes back to this pool
 * and the connection holds just its two sockets. Only a direction whose destination is full
 * (a slow reader) keeps its pipe until it drains. The pool keeps a bounded number of idle
 * pipes; each is enlarged once (F_SETPIPE_SZ) so one splice moves more per call.
 */
#include "port/builtin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#define RK_PIPEPOOL_IDLE 64
#define RK_PIPE_SIZE	 (512 * 1024)

struct rk_pipepool {
	int idle[RK_PIPEPOOL_IDLE][2];
	int nidle;
};

int rk_pipepool_new(struct rk_pipepool **out)
{
	struct rk_pipepool *pp = calloc(1, sizeof(*pp));

	if (!pp)
		return -ENOMEM;
	*out = pp;
	return 0;
}

void rk_pipepool_free(struct rk_pipepool *pp)
{
	if (!pp)
		return;
	for (int i = 0; i < pp->nidle; i++) {
		close(pp->idle[i][0]);
		close(pp->idle[i][1]);
	}
	free(pp);
}

int rk_pipepool_get(struct rk_pipepool *pp, int fds[2])
{
	if (pp->nidle > 0) {
		pp->nidle--;
		fds[0] = pp->idle[pp->nidle][0];
		fds[1] = pp->idle[pp->nidle][1];
		return 0;
	}
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	/* best effort: past the user's pipe-buffer quota the kernel refuses, which is fine */
	fcntl(fds[1], F_SETPIPE_SZ, RK_PIPE_SIZE);
	return 0;
}

void rk_pipepool_put(struct rk_pipepool *pp, int fds[2])
{
	if (fds[0] < 0)
		return;
	if (pp->nidle < RK_PIPEPOOL_IDLE) {
		pp->idle[pp->nidle][0] = fds[0];
		pp->idle[pp->nidle][1] = fds[1];
		pp->nidle++;
	} else {
		close(fds[0]);
		close(fds[1]);
	}
	fds[0] = fds[1] = -1;
}
