// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_dproxy.c - libFuzzer target: rootlesskit-docker-proxy's command line. The input, split
 * at NUL bytes, is the argument list; the parse must end in OK (strings point into the
 * arguments or are the defaults), HELP, or BAD with a terminated, non-empty message.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dproxy/dproxy.h"

#define MAX_INPUT 4096
#define MAX_ARGS  64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char prog[] = "rootlesskit-docker-proxy";
	char buf[MAX_INPUT + 1], err[128];
	char *argv[MAX_ARGS + 1] = {prog};
	struct rk_dproxy_args a;
	int argc = 1;

	if (size > MAX_INPUT)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf; p <= buf + size && argc < MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	memset(err, 'x', sizeof(err));
	switch (rk_dproxy_parse(argc, argv, &a, err, sizeof(err))) {
	case RK_DPROXY_ARGS_OK:
		assert(a.proto && a.host_ip && a.container_ip);
		assert(err[0] == '\0');
		break;
	case RK_DPROXY_ARGS_HELP:
		break;
	case RK_DPROXY_ARGS_BAD:
		assert(memchr(err, '\0', sizeof(err)) && err[0]);
		break;
	default:
		abort();
	}
	return 0;
}
