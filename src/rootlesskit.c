// SPDX-License-Identifier: Apache-2.0
/*
 * rootlesskit.c - entry point: parse and validate the command line, then run the parent.
 */
#include "cli/help.h"
#include "cli/options.h"
#include "cli/validate.h"
#include "parent/parent.h"
#include "util/goparse.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

#include "rk_version.h"

static int rk_print_semver(const char *what)
{
	int major = 0, minor = 0, patch = 0;
	char q[256];

	sscanf(RK_VERSION, "%d.%d.%d", &major, &minor, &patch);
	if (!strcmp(what, "major"))
		printf("%d\n", major);
	else if (!strcmp(what, "minor"))
		printf("%d\n", minor);
	else if (!strcmp(what, "patch"))
		printf("%d\n", patch);
	else {
		go_quote(what, q, sizeof(q));
		rk_error("expected --print-semver=(major|minor|patch), got %s", q);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rk_config cfg;
	struct rk_strv warnings = {0};
	struct rk_choice choice;
	struct rk_err err;
	int code;

	rk_log_set_debug(false);
	rk_config_defaults(&cfg);
	rk_err_clear(&err);
	if (rk_options_parse(argc, argv, &cfg, &err) < 0) {
		printf("Incorrect Usage: %s\n\n", err.msg);
		rk_help_print(stdout);
		fflush(stdout);
		rk_error("%s", err.msg);
		rk_config_free(&cfg);
		return 1;
	}
	rk_log_set_debug(cfg.debug);
	if (cfg.print_semver[0])
		code = rk_print_semver(cfg.print_semver);
	else if (cfg.help)
		rk_help_print(stdout), code = 0;
	else if (cfg.version)
		printf("rootlesskit version %s\n", RK_VERSION), code = 0;
	else if (cfg.command_argc < 1)
		rk_error("no command specified"), code = 1;
	else if (rk_config_validate(&cfg, &choice, &warnings, &err) < 0) {
		for (size_t i = 0; i < warnings.n; i++)
			rk_warn("%s", warnings.v[i]);
		rk_error("%s", err.msg);
		code = 1;
	} else {
		for (size_t i = 0; i < warnings.n; i++)
			rk_warn("%s", warnings.v[i]);
		code = rk_parent_run(&cfg, &choice);
	}
	rk_strv_free(&warnings);
	rk_config_free(&cfg);
	return code;
}
