// SPDX-License-Identifier: Apache-2.0
/*
 * rootlesskit-docker-proxy.c - entry point of rootlesskit-docker-proxy, the docker-proxy
 * stand-in that Docker releases before v28 run in rootless mode; the program lives in
 * src/dproxy/.
 */
#include "dproxy/dproxy.h"

int main(int argc, char **argv)
{
	return rk_dproxy_main(argc, argv);
}
