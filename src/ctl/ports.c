// SPDX-License-Identifier: Apache-2.0
/*
 * ports.c - rootlessctl's list-ports, add-ports and remove-ports: upstream's order of checks
 * (arguments, then all specs or IDs parsed, then the socket), one request per port, output as
 * upstream prints it (the table through Go's tabwriter, --json one compact PortStatus a line).
 */
#include "ctl/ctl.h"
#include "api/json.h"
#include "util/goparse.h"
#include "util/goquote.h"
#include "util/portspec.h"
#include "util/tabwriter.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* GET /v1/ports, decoded. Return: 0 or -1. */
static int rk_ctl_get_ports(const char *sock, struct rk_api_port_status **v, size_t *n,
			    struct rk_ctl_err *e)
{
	struct rk_ctl_response resp;
	struct rk_err err;
	int rc;

	if (rk_ctl_request(sock, "GET", "/v1/ports", NULL, 0, &resp, e))
		return -1;
	rc = rk_ctl_successful(&resp, e);
	if (!rc && rk_api_decode_port_status_list(resp.body, resp.body_len, v, n, &err))
		rc = rk_ctl_errf(e, "%s", err.msg);
	free(resp.body);
	return rc;
}

static int rk_ctl_print_table(const struct rk_api_port_status *v, size_t n, struct rk_ctl_err *e)
{
	struct rk_tabwriter *tw = rk_tabwriter_new(stdout, 4, 8, 4, ' ');
	int rc;

	if (!tw)
		return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	rk_tabwriter_printf(tw, "ID\tPROTO\tPARENTIP\tPARENTPORT\tCHILDIP\tCHILDPORT\t\n");
	for (size_t i = 0; i < n; i++)
		rk_tabwriter_printf(tw, "%lld\t%s\t%s\t%d\t%s\t%d\t\n", v[i].id, v[i].spec.proto,
				    v[i].spec.parent_ip, v[i].spec.parent_port, v[i].spec.child_ip,
				    v[i].spec.child_port);
	rc = rk_tabwriter_flush(tw);
	rk_tabwriter_free(tw);
	return rc ? rk_ctl_errf(e, "write /dev/stdout: %s", go_strerror(-rc)) : 0;
}

/* One PortStatus as compact JSON and a newline (json.Marshal + fmt.Println). */
static int rk_ctl_print_status_json(const struct rk_api_port_status *st, struct rk_ctl_err *e)
{
	char *out;
	size_t len;

	if (rk_api_encode_port_status(st, &out, &len))
		return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	fwrite(out, 1, len, stdout);
	fputc('\n', stdout);
	free(out);
	return 0;
}

int rk_ctl_list_ports(const struct rk_ctl *ctl, struct rk_ctl_err *e)
{
	struct rk_api_port_status *v = NULL;
	char sock[PATH_MAX];
	size_t n = 0;
	int rc = 0;

	if (rk_ctl_socket_path(ctl, sock, sizeof(sock), e) || rk_ctl_get_ports(sock, &v, &n, e))
		return -1;
	if (!ctl->json)
		rc = rk_ctl_print_table(v, n, e);
	for (size_t i = 0; ctl->json && i < n && !rc; i++)
		rc = rk_ctl_print_status_json(&v[i], e);
	free(v);
	return rc;
}

/* POST one spec and print the answer. Return: 0 or -1. */
static int rk_ctl_add_one(const char *sock, const struct rk_port_spec *spec, bool json,
			  struct rk_ctl_err *e)
{
	struct rk_api_port_status st;
	char *body;
	size_t len;
	int rc;

	if (rk_api_encode_port_spec(spec, &body, &len))
		return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	rc = rk_ctl_add_port(sock, body, len, &st, e);
	free(body);
	if (rc)
		return -1;
	if (json)
		return rk_ctl_print_status_json(&st, e);
	printf("%lld\n", st.id);
	return 0;
}

int rk_ctl_add_ports(const struct rk_ctl *ctl, struct rk_ctl_err *e)
{
	struct rk_port_spec *specs;
	char sock[PATH_MAX];
	struct rk_err err;
	int rc = 0;

	if (ctl->nargs < 1)
		return rk_ctl_errf(e, "no port specified");
	specs = calloc((size_t)ctl->nargs, sizeof(*specs));
	if (!specs)
		return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	for (int i = 0; i < ctl->nargs && !rc; i++)
		if (rk_portspec_parse(ctl->args[i], &specs[i], &err))
			rc = rk_ctl_errf(e, "%s", err.msg);
	if (!rc)
		rc = rk_ctl_socket_path(ctl, sock, sizeof(sock), e);
	for (int i = 0; i < ctl->nargs && !rc; i++) {
		rc = rk_ctl_add_one(sock, &specs[i], ctl->json, e);
		fflush(stdout);
	}
	free(specs);
	return rc;
}

/* strconv.Atoi's error text for @s. */
static int rk_ctl_atoi_err(const char *s, int code, struct rk_ctl_err *e)
{
	size_t qlen = go_strconv_quote(s, strlen(s), NULL, 0) + 1;
	char *q = malloc(qlen);

	if (!q)
		return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	go_strconv_quote(s, strlen(s), q, qlen);
	rk_ctl_errf(e, "strconv.Atoi: parsing %s: %s", q,
		    code == -ERANGE ? "value out of range" : "invalid syntax");
	free(q);
	return -1;
}

int rk_ctl_remove_ports(const struct rk_ctl *ctl, struct rk_ctl_err *e)
{
	char sock[PATH_MAX];
	int64_t *ids;
	int rc = 0;

	if (ctl->nargs < 1)
		return rk_ctl_errf(e, "no ID specified");
	ids = calloc((size_t)ctl->nargs, sizeof(*ids));
	if (!ids)
		return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	for (int i = 0; i < ctl->nargs && !rc; i++) {
		int prc = go_atoi(ctl->args[i], &ids[i]);
		if (prc)
			rc = rk_ctl_atoi_err(ctl->args[i], prc, e);
	}
	if (!rc)
		rc = rk_ctl_socket_path(ctl, sock, sizeof(sock), e);
	for (int i = 0; i < ctl->nargs && !rc; i++) {
		rc = rk_ctl_remove_port(sock, (long long)ids[i], e);
		if (!rc) {
			printf("%lld\n", (long long)ids[i]);
			fflush(stdout);
		}
	}
	free(ids);
	return rc;
}
