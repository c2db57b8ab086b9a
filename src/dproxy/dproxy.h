/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dproxy.h - rootlesskit-docker-proxy (SPEC §10.3): the `docker-proxy` stand-in that Docker
 * releases before v28 run, inside rootlesskit's namespaces, for each published port. flags.c
 * parses its command line as Go's flag package does (the texts and exit codes of upstream's
 * binary); dproxy.c asks the REST API for the port on the host and runs the real docker-proxy
 * on the child side.
 */
#ifndef RK_DPROXY_DPROXY_H
#define RK_DPROXY_DPROXY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The command line dockerd gives (`-proto tcp -host-ip 0.0.0.0 -host-port 8080
 * -container-ip 172.17.0.2 -container-port 80`); the strings point into argv. */
struct rk_dproxy_args {
	char *container_ip;	/* default "" */
	int64_t container_port; /* default -1 */
	char *host_ip;		/* default "" */
	int64_t host_port;	/* default -1 */
	char *proto;		/* default "tcp" */
};

enum rk_dproxy_parse_rc {
	RK_DPROXY_ARGS_OK,
	RK_DPROXY_ARGS_HELP, /* -h, -help: print the usage, exit 0 */
	RK_DPROXY_ARGS_BAD,  /* @err holds Go's text: print it and the usage, exit 2 */
};

/**
 * rk_dproxy_parse - Go's flag.Parse over @argv[1..@argc): `-name value`, `-name=value`, one or
 * two dashes, stopping at the first non-flag argument or after `--`; the rest is ignored, as
 * upstream ignores it. Ints are strconv.ParseInt(s, 0, 64). A repeated flag keeps its last value.
 * @err: for RK_DPROXY_ARGS_BAD, e.g. `flag provided but not defined: -foo`, `invalid value
 * "abc" for flag -host-port: parse error` (always terminated; a long value is cut).
 */
enum rk_dproxy_parse_rc rk_dproxy_parse(int argc, char **argv, struct rk_dproxy_args *a, char *err,
					size_t errlen);

/** rk_dproxy_usage - Go's default usage text, `Usage of <argv0>:` and the flags' defaults. */
void rk_dproxy_usage(FILE *f, const char *argv0);

/** rk_dproxy_main - the whole program. Return: the exit status. */
int rk_dproxy_main(int argc, char **argv);

#endif
