/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl.h - rootlessctl, the REST API's command-line client (SPEC §10.2), shared by its parts:
 * cli.c (urfave/cli-compatible command line and dispatch), help.c (help texts), client.c
 * (HTTP over the API's unix socket, with Go's client error texts), ports.c and info.c (one
 * function per subcommand). Output, errors and exit codes are upstream rootlessctl's.
 */
#ifndef RK_CTL_CTL_H
#define RK_CTL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "api/json.h"

enum rk_ctl_cmd {
	RK_CTL_LIST_PORTS,
	RK_CTL_ADD_PORTS,
	RK_CTL_REMOVE_PORTS,
	RK_CTL_INFO,
	RK_CTL_HELP,
};

/* What the command line asked for. */
struct rk_ctl {
	bool debug;
	const char *socket; /* --socket's value, NULL when not given */
	bool json;	    /* the subcommand's --json */
	char **args;	    /* the subcommand's arguments */
	int nargs;
};

/*
 * An error for the user: upstream prints it as "error: <msg>\n". The text may be long (a
 * server's message, a quoted 64 KiB body) and may hold NUL bytes, hence a heap buffer.
 */
struct rk_ctl_err {
	char *msg;
	size_t len;
};

/** rk_ctl_errf - set @e to the formatted text (replacing any earlier one). Return: -1. */
int rk_ctl_errf(struct rk_ctl_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** rk_ctl_errset - set @e to the bytes @msg[0..@len). Return: -1. */
int rk_ctl_errset(struct rk_ctl_err *e, const char *msg, size_t len);

/** rk_ctl_main - the whole program: parse @argv, run, print. Return: the exit status. */
int rk_ctl_main(int argc, char **argv);

/** rk_ctl_help_app - print the application help (`rootlessctl --help`). */
void rk_ctl_help_app(FILE *f);

/**
 * rk_ctl_help_command - print a subcommand's help: as `<cmd> --help` shows it (@run true: the
 * command was run, so its --help flag is listed) or as `help <cmd>` shows it (@run false).
 */
void rk_ctl_help_command(FILE *f, enum rk_ctl_cmd cmd, bool run);

/* One HTTP exchange with the API. */
struct rk_ctl_response {
	int status;
	char *body; /* malloc'd, NUL-terminated */
	size_t body_len;
};

/**
 * rk_ctl_socket_path - the API socket: --socket, else $ROOTLESSKIT_STATE_DIR/api.sock (Go's
 * filepath.Join), which must exist (`stat <path>: ...`), as upstream's client.New checks.
 * @buf: gets the path. Return: 0 or -1 (@e set).
 */
int rk_ctl_socket_path(const struct rk_ctl *ctl, char *buf, size_t len, struct rk_ctl_err *e);

/**
 * rk_ctl_request - send `@method @path` (with the JSON @body when not NULL) to the API on
 * unix socket @sock and read the whole answer, bounded in size and time.
 * @e: Go's client wording for transport failures, e.g. `Get "http://rootlesskit/v1/ports":
 * dial unix <sock>: connect: connection refused`.
 * Return: 0 (@resp filled; free resp->body) or -1.
 */
int rk_ctl_request(const char *sock, const char *method, const char *path, const char *body,
		   size_t body_len, struct rk_ctl_response *resp, struct rk_ctl_err *e);

/**
 * rk_ctl_successful - upstream's httputil.Successful: a non-2xx answer becomes the server's
 * JSON message, or `unexpected HTTP status <text>, body="<quoted>"`. Return: 0 or -1.
 */
int rk_ctl_successful(const struct rk_ctl_response *resp, struct rk_ctl_err *e);

/*
 * The API calls of upstream's Go client (Info, PortManager.AddPort, RemovePort), for rootlessctl
 * and rootlesskit-docker-proxy: the request, upstream's HTTPStatusError text for a non-2xx
 * answer, Go's decoder text for a bad body. Return: 0, or -1 with @e set.
 */
int rk_ctl_get_info(const char *sock, struct rk_api_info *info, struct rk_ctl_err *e);
/* @body: the JSON PortSpec; @st gets the new port's status */
int rk_ctl_add_port(const char *sock, const char *body, size_t len, struct rk_api_port_status *st,
		    struct rk_ctl_err *e);
int rk_ctl_remove_port(const char *sock, long long id, struct rk_ctl_err *e);

/* The subcommands: each prints its output and returns 0, or -1 with @e set. */
int rk_ctl_list_ports(const struct rk_ctl *ctl, struct rk_ctl_err *e);
int rk_ctl_add_ports(const struct rk_ctl *ctl, struct rk_ctl_err *e);
int rk_ctl_remove_ports(const struct rk_ctl *ctl, struct rk_ctl_err *e);
int rk_ctl_info(const struct rk_ctl *ctl, struct rk_ctl_err *e);

#endif
