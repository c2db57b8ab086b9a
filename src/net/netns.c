// SPDX-License-Identifier: Apache-2.0
/*
 * netns.c - work inside another network namespace from a helper thread (see netns.h).
 */
#include "net/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

struct rk_netns_job {
	int nsfd;
	int (*fn)(void *arg);
	void *arg;
	int rc;
};

static void *rk_netns_thread(void *p)
{
	struct rk_netns_job *j = p;

	if (j->nsfd >= 0 && setns(j->nsfd, CLONE_NEWNET) < 0)
		j->rc = -errno;
	else
		j->rc = j->fn(j->arg);
	return NULL;
}

/* Run @fn in a new thread, first joining @nsfd unless it is -1. */
static int rk_netns_thread_run(int nsfd, int (*fn)(void *arg), void *arg)
{
	struct rk_netns_job j = {.nsfd = nsfd, .fn = fn, .arg = arg, .rc = 0};
	pthread_t t;
	int rc;

	if ((rc = pthread_create(&t, NULL, rk_netns_thread, &j)) != 0)
		return -rc;
	pthread_join(t, NULL);
	return j.rc;
}

int rk_netns_run(int nsfd, int (*fn)(void *arg), void *arg)
{
	if (nsfd < 0)
		return fn(arg);
	return rk_netns_thread_run(nsfd, fn, arg);
}

static int rk_netns_unshare(void *arg)
{
	int *fd = arg;

	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	*fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

int rk_netns_new(void)
{
	int fd = -1, rc;

	/* only the thread leaves our netns; it ends right after */
	rc = rk_netns_thread_run(-1, rk_netns_unshare, &fd);
	return rc < 0 ? rc : fd;
}
