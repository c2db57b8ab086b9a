// SPDX-License-Identifier: Apache-2.0
/*
 * info.c - rootlessctl info: GET /v1/info printed as upstream's text (Go's %v of the IP and
 * proto lists) or, with --json, as json.MarshalIndent(info, "", "    ") and a newline.
 */
#include "ctl/ctl.h"
#include "api/json.h"
#include "util/goparse.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

/* Go's %v of a []net.IP or []string: "[a b]"; a nil IP prints as "<nil>". */
static void rk_ctl_print_list(FILE *f, const char (*v)[RK_API_IP_MAX], size_t n, bool ip)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "", ip && !v[i][0] ? "<nil>" : v[i]);
	fputs("]\n", f);
}

static void rk_ctl_print_protos(FILE *f, const struct rk_api_port_info *pi)
{
	fputc('[', f);
	for (size_t i = 0; i < pi->n_protos; i++)
		fprintf(f, "%s%s", i ? " " : "", pi->protos[i]);
	fputs("]\n", f);
}

static void rk_ctl_print_info(FILE *f, const struct rk_api_info *info)
{
	fprintf(f, "- REST API version: %s\n", info->api_version);
	fprintf(f, "- Implementation version: %s\n", info->version);
	fprintf(f, "- State Directory: %s\n", info->state_dir);
	fprintf(f, "- Child PID: %lld\n", info->child_pid);
	if (info->has_net) {
		fprintf(f, "- Network Driver: %s\n", info->net.driver);
		fputs("  - DNS: ", f);
		rk_ctl_print_list(f, info->net.dns, info->net.n_dns, true);
		if (info->net.child_ip[0])
			fprintf(f, "  - IP: %s\n", info->net.child_ip);
	}
	if (info->has_port) {
		fprintf(f, "- Port Driver: %s\n", info->port.driver);
		fputs("  - Supported protocols: ", f);
		rk_ctl_print_protos(f, &info->port);
	}
}

int rk_ctl_info(const struct rk_ctl *ctl, struct rk_ctl_err *e)
{
	struct rk_api_info *info;
	char sock[PATH_MAX], *out;
	size_t len;
	int rc;

	if (rk_ctl_socket_path(ctl, sock, sizeof(sock), e))
		return -1;
	info = malloc(sizeof(*info));
	if (!info)
		return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	rc = rk_ctl_get_info(sock, info, e);
	if (!rc && ctl->json) {
		if (rk_api_encode_info(info, true, &out, &len)) {
			rc = rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
		} else {
			fwrite(out, 1, len, stdout);
			fputc('\n', stdout);
			free(out);
		}
	} else if (!rc) {
		rk_ctl_print_info(stdout, info);
	}
	free(info);
	return rc;
}
