// SPDX-License-Identifier: Apache-2.0
/*
 * help.c - the --help text generated from the flag table (see help.h).
 *
 * Every flag name appears as a whole word: scripts run `rootlesskit --help | grep -qw -- FLAG`
 * to detect features. Driver lists name only the drivers built into this binary.
 */
#include "cli/help.h"
#include "cli/options.h"
#include "net/net.h"
#include "port/port.h"

#include <stdio.h>
#include <string.h>

#include "rk_version.h"

static const char rk_help_head[] =
    "NAME:\n"
    "   rootlesskit - Linux-native fakeroot using user namespaces\n"
    "\n"
    "USAGE:\n"
    "   rootlesskit [global options] [arguments...]\n"
    "\n"
    "VERSION:\n"
    "   " RK_VERSION "\n"
    "\n"
    "DESCRIPTION:\n"
    "   RootlessKit is a Linux-native implementation of \"fake root\" using user_namespaces(7).\n"
    "   \n"
    "   Web site: https://github.com/rootless-containers/rootlesskit\n"
    "   \n"
    "   Examples:\n"
    "     # spawn a shell with a new user namespace and a mount namespace\n"
    "     rootlesskit bash\n"
    "   \n"
    "     # make /etc writable\n"
    "     rootlesskit --copy-up=/etc bash\n"
    "   \n"
    "     # set mount propagation to rslave\n"
    "     rootlesskit --propagation=rslave bash\n"
    "   \n"
    "   Note: RootlessKit requires /etc/subuid and /etc/subgid to be configured by the real "
    "root user.\n"
    "   See https://rootlesscontaine.rs/getting-started/common/ .\n"
    "\n"
    "OPTIONS:\n";

/* Render the left column of one flag ("--publish value, -p value [ ... ]") into @buf. */
static void rk_help_names(const struct rk_option *o, char *buf, size_t len)
{
	const char *v = o->type == RK_OPT_BOOL ? "" : " value";
	char one[128];

	if (o->alias)
		snprintf(one, sizeof(one), "--%s%s, -%s%s", o->name, v, o->alias, v);
	else
		snprintf(one, sizeof(one), "--%s%s", o->name, v);
	if (o->type == RK_OPT_SLICE)
		snprintf(buf, len, "%s [ %s ]", one, one);
	else
		snprintf(buf, len, "%s", one);
}

/* The usage text; the driver lists come from the driver tables (built drivers only). */
static const char *rk_help_usage(const struct rk_option *o, char *buf, size_t len)
{
	char list[256];

	if (!strcmp(o->name, "net")) {
		snprintf(buf, len,
			 "network driver [%s] (gvisor-tap-vsock is the built-in userspace network "
			 "stack, implemented in-process with libslirp: no external program needed)",
			 rk_net_driver_list(list, sizeof(list)));
		return buf;
	}
	if (!strcmp(o->name, "port-driver")) {
		snprintf(buf, len, "port driver for non-host network. [%s]",
			 rk_port_driver_list(list, sizeof(list)));
		return buf;
	}
	return o->usage;
}

void rk_help_print(FILE *f)
{
	char names[256], usage[512];
	size_t width = 0;
	const char *cat = NULL;

	for (size_t i = 0; i < rk_options_count; i++) {
		rk_help_names(&rk_options[i], names, sizeof(names));
		if (strlen(names) > width)
			width = strlen(names);
	}
	fputs(rk_help_head, f);
	for (size_t i = 0; i < rk_options_count; i++) {
		const struct rk_option *o = &rk_options[i];
		if (!cat || strcmp(cat, o->category)) {
			fprintf(f, "%s  %s:\n", cat ? "\n" : "", o->category);
			cat = o->category;
		}
		rk_help_names(o, names, sizeof(names));
		fprintf(f, "    %-*s  %s", (int)width, names,
			rk_help_usage(o, usage, sizeof(usage)));
		if (o->default_text)
			fprintf(f, " (default: %s)", o->default_text);
		fputc('\n', f);
	}
	fputc('\n', f);
}
