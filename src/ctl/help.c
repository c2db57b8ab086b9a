// SPDX-License-Identifier: Apache-2.0
/*
 * help.c - rootlessctl's help texts, byte for byte as urfave/cli renders upstream's app and
 * commands in the reference rootlessctl (including the oddities: `help <cmd>` omits the
 * command's --help flag, `help help` names no program), with this build's version.
 */
#include "ctl/ctl.h"

#include "rk_version.h"

static const char rk_ctl_app_help[] =
    "NAME:\n"
    "   rootlessctl - RootlessKit API client\n"
    "\n"
    "USAGE:\n"
    "   rootlessctl [global options] command [command options] [arguments...]\n"
    "\n"
    "VERSION:\n"
    "   " RK_VERSION "\n"
    "\n"
    "COMMANDS:\n"
    "   list-ports    List ports\n"
    "   add-ports     Add ports\n"
    "   remove-ports  Remove ports\n"
    "   info          Show info\n"
    "   help, h       Shows a list of commands or help for one command\n"
    "\n"
    "GLOBAL OPTIONS:\n"
    "   --debug         debug mode (default: false)\n"
    "   --socket value  Path to api.sock (under the \"rootlesskit --state-dir\" directory), "
    "defaults to $ROOTLESSKIT_STATE_DIR/api.sock\n"
    "   --help, -h      show help (default: false)\n"
    "   --version, -v   print the version (default: false)\n";

void rk_ctl_help_app(FILE *f)
{
	fputs(rk_ctl_app_help, f);
}

struct rk_ctl_cmd_help {
	const char *name, *usage, *args, *description;
	bool json;
};

static const struct rk_ctl_cmd_help rk_ctl_cmds[] = {
    [RK_CTL_LIST_PORTS] = {"list-ports", "List ports", "[flags]", NULL, true},
    [RK_CTL_ADD_PORTS] = {"add-ports", "Add ports",
			  "[flags] PARENTIP:PARENTPORT:CHILDPORT/PROTO "
			  "[PARENTIP:PARENTPORT:CHILDPORT/PROTO...]",
			  "Add exposed ports. The port spec is similar to `docker run -p`. e.g. "
			  "\"127.0.0.1:8080:80/tcp\".",
			  true},
    [RK_CTL_REMOVE_PORTS] = {"remove-ports", "Remove ports", "[flags] ID [ID...]", NULL, false},
    [RK_CTL_INFO] = {"info", "Show info", "[flags]", NULL, true},
};

void rk_ctl_help_command(FILE *f, enum rk_ctl_cmd cmd, bool run)
{
	const struct rk_ctl_cmd_help *c;
	bool flags;

	if (cmd == RK_CTL_HELP) {
		/* the help command's own help: urfave/cli leaves its name out */
		fputs("NAME:\n"
		      "    - Shows a list of commands or help for one command\n"
		      "\n"
		      "USAGE:\n"
		      "    [command options] [command]\n"
		      "\n"
		      "OPTIONS:\n"
		      "   --help, -h  show help (default: false)\n"
		      "   \n",
		      f);
		return;
	}
	c = &rk_ctl_cmds[cmd];
	flags = c->json || run;
	fprintf(f, "NAME:\n   rootlessctl %s - %s\n\nUSAGE:\n   rootlessctl %s%s %s\n", c->name,
		c->usage, c->name, flags ? " [command options]" : "", c->args);
	if (c->description)
		fprintf(f, "\nDESCRIPTION:\n   %s\n", c->description);
	if (!flags)
		return;
	fputs("\nOPTIONS:\n", f);
	if (c->json)
		fprintf(f, "   --json%s  Prints as JSON (default: false)\n", run ? "    " : "");
	if (run)
		fputs("   --help, -h  show help (default: false)\n", f);
	fputs("   \n", f);
}
