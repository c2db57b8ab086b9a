// SPDX-License-Identifier: Apache-2.0
/*
 * cli.c - rootlessctl's command line as upstream's urfave/cli app parses it, over Go's flag
 * package: global flags before the subcommand, the subcommand's flags before its arguments
 * ("-x" equals "--x", "--x=v" or "--x v", bare bools are true, parsing stops at the first
 * non-flag or "--"), usage errors printed as "Incorrect Usage..." plus help on stdout and
 * "error: ..." on stderr (exit 1), help and version handling, `No help topic for 'x'` (exit 3).
 */
#include "ctl/ctl.h"
#include "util/goparse.h"
#include "util/goquote.h"

#include <stdlib.h>
#include <string.h>

#include "rk_version.h"

/* One flag of a Go flag set; aliases ("help" and "h") are separate entries sharing a group. */
struct rk_ctl_flag {
	const char *name;
	const char *svalue; /* string flags */
	int group;	    /* flags of one urfave flag share a group (its first name first) */
	bool is_bool;
	bool value;   /* bool flags */
	bool visited; /* set on the command line (Go's FlagSet.Visit) */
};

struct rk_ctl_flagset {
	struct rk_ctl_flag *flags;
	size_t n;
	int argc; /* the arguments left after parsing */
	char **argv;
};

static struct rk_ctl_flag *rk_ctl_flag_find(struct rk_ctl_flagset *fs, const char *name, size_t len)
{
	for (size_t i = 0; i < fs->n; i++)
		if (strlen(fs->flags[i].name) == len && !strncmp(fs->flags[i].name, name, len))
			return &fs->flags[i];
	return NULL;
}

/* Go's FlagSet.parseOne for one argument; *@i advances. Return: 1 flag, 0 stop, -1 error. */
static int rk_ctl_parse_one(struct rk_ctl_flagset *fs, int argc, char **argv, int *i,
			    struct rk_ctl_err *e)
{
	const char *s = argv[*i], *name, *eq, *value = NULL;
	struct rk_ctl_flag *f;
	char q[512];

	if (strlen(s) < 2 || s[0] != '-')
		return 0;
	name = s + 1;
	if (s[1] == '-') {
		name++;
		if (!s[2]) {
			(*i)++;
			return 0;
		}
	}
	if (!*name || *name == '-' || *name == '=')
		return rk_ctl_errf(e, "bad flag syntax: %s", s);
	(*i)++;
	eq = strchr(name + 1, '=');
	if (eq)
		value = eq + 1;
	f = rk_ctl_flag_find(fs, name, eq ? (size_t)(eq - name) : strlen(name));
	if (!f)
		return rk_ctl_errf(e, "flag provided but not defined: -%.*s",
				   (int)(eq ? (size_t)(eq - name) : strlen(name)), name);
	if (f->is_bool) {
		if (value && go_parse_bool(value, &f->value)) {
			go_strconv_quote(value, strlen(value), q, sizeof(q));
			return rk_ctl_errf(e, "invalid boolean value %s for -%s: parse error", q,
					   f->name);
		}
		if (!value)
			f->value = true;
	} else {
		if (!value && *i < argc)
			value = argv[(*i)++];
		if (!value)
			return rk_ctl_errf(e, "flag needs an argument: -%s", f->name);
		f->svalue = value;
	}
	f->visited = true;
	return 1;
}

/* Go's FlagSet.Parse. Return: 0 or -1 (@e set); fs->argc/argv get the rest. */
static int rk_ctl_parse(struct rk_ctl_flagset *fs, int argc, char **argv, struct rk_ctl_err *e)
{
	int i = 0, rc = 0;

	while (i < argc && (rc = rk_ctl_parse_one(fs, argc, argv, &i, e)) == 1)
		;
	fs->argc = argc - i;
	fs->argv = argv + i;
	return rc < 0 ? -1 : 0;
}

/*
 * urfave/cli's normalizeFlags: naming one flag by two of its names is an error, e.g.
 * "Cannot use two forms of the same flag: h help". Return: 0 or -1.
 */
static int rk_ctl_normalize(const struct rk_ctl_flagset *fs, struct rk_ctl_err *e)
{
	for (size_t i = 0; i < fs->n; i++) {
		const struct rk_ctl_flag *first = NULL;
		if (i > 0 && fs->flags[i - 1].group == fs->flags[i].group)
			continue;
		for (size_t j = i; j < fs->n && fs->flags[j].group == fs->flags[i].group; j++) {
			if (!fs->flags[j].visited)
				continue;
			if (first)
				return rk_ctl_errf(e,
						   "Cannot use two forms of the same flag: %s %s",
						   fs->flags[j].name, first->name);
			first = &fs->flags[j];
		}
	}
	return 0;
}

/* Whether any flag of @group is true (urfave/cli's checkHelp / checkVersion). */
static bool rk_ctl_group_true(const struct rk_ctl_flagset *fs, int group)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->flags[i].group == group && fs->flags[i].value)
			return true;
	return false;
}

static void rk_ctl_print_err(const struct rk_ctl_err *e)
{
	fflush(stdout);
	fputs("error: ", stderr);
	fwrite(e->msg ? e->msg : "", 1, e->msg ? e->len : 0, stderr);
	fputc('\n', stderr);
}

static int rk_ctl_fail(struct rk_ctl_err *e)
{
	rk_ctl_print_err(e);
	free(e->msg);
	return 1;
}

static int rk_ctl_no_topic(const char *name)
{
	fflush(stdout);
	fprintf(stderr, "No help topic for '%s'\n", name);
	return 3;
}

static const char *const rk_ctl_cmd_names[] = {"list-ports", "add-ports", "remove-ports",
					       "info",	     "help",	  "h"};

static int rk_ctl_cmd_lookup(const char *name)
{
	for (int i = 0; i < 6; i++)
		if (!strcmp(name, rk_ctl_cmd_names[i]))
			return i < 5 ? i : RK_CTL_HELP;
	return -1;
}

/* The help command: `help` alone is the app help, `help <cmd>` that command's help. */
static int rk_ctl_help_action(int argc, char **argv)
{
	int cmd;

	if (argc == 0) {
		rk_ctl_help_app(stdout);
		return 0;
	}
	cmd = rk_ctl_cmd_lookup(argv[0]);
	if (cmd < 0)
		return rk_ctl_no_topic(argv[0]);
	rk_ctl_help_command(stdout, (enum rk_ctl_cmd)cmd, cmd == RK_CTL_HELP);
	return 0;
}

/* Run subcommand @cmd with its arguments @argv[0..@argc) (its name excluded). */
static int rk_ctl_run_command(struct rk_ctl *ctl, enum rk_ctl_cmd cmd, int argc, char **argv)
{
	struct rk_ctl_flag flags[] = {
	    {.name = "json", .group = 0, .is_bool = true},
	    {.name = "help", .group = 1, .is_bool = true},
	    {.name = "h", .group = 1, .is_bool = true},
	};
	bool has_json = cmd != RK_CTL_REMOVE_PORTS && cmd != RK_CTL_HELP;
	struct rk_ctl_flagset fs = {has_json ? flags : flags + 1, has_json ? 3 : 2, 0, NULL};
	struct rk_ctl_err e = {0};
	int rc;

	if (rk_ctl_parse(&fs, argc, argv, &e) || rk_ctl_normalize(&fs, &e)) {
		printf("Incorrect Usage: %.*s\n\n", (int)e.len, e.msg);
		rk_ctl_help_command(stdout, cmd, true);
		return rk_ctl_fail(&e);
	}
	if (rk_ctl_group_true(&fs, 1)) {
		rk_ctl_help_command(stdout, cmd, true);
		return 0;
	}
	ctl->json = has_json && flags[0].value;
	ctl->args = fs.argv;
	ctl->nargs = fs.argc;
	switch (cmd) {
	case RK_CTL_LIST_PORTS:
		rc = rk_ctl_list_ports(ctl, &e);
		break;
	case RK_CTL_ADD_PORTS:
		rc = rk_ctl_add_ports(ctl, &e);
		break;
	case RK_CTL_REMOVE_PORTS:
		rc = rk_ctl_remove_ports(ctl, &e);
		break;
	case RK_CTL_INFO:
		rc = rk_ctl_info(ctl, &e);
		break;
	default:
		return rk_ctl_help_action(fs.argc, fs.argv);
	}
	fflush(stdout);
	return rc ? rk_ctl_fail(&e) : 0;
}

int rk_ctl_main(int argc, char **argv)
{
	struct rk_ctl_flag flags[] = {
	    {.name = "debug", .group = 0, .is_bool = true},
	    {.name = "socket", .group = 1, .is_bool = false},
	    {.name = "help", .group = 2, .is_bool = true},
	    {.name = "h", .group = 2, .is_bool = true},
	    {.name = "version", .group = 3, .is_bool = true},
	    {.name = "v", .group = 3, .is_bool = true},
	};
	struct rk_ctl_flagset fs = {flags, 6, 0, NULL};
	struct rk_ctl_err e = {0}, ne = {0};
	struct rk_ctl ctl = {0};
	int perr, cmd;

	perr = rk_ctl_parse(&fs, argc > 0 ? argc - 1 : 0, argv + (argc > 0), &e);
	if (rk_ctl_normalize(&fs, &ne)) { /* checked before the parse error, as urfave/cli does */
		printf("%.*s\n", (int)ne.len, ne.msg);
		rk_ctl_help_app(stdout);
		free(e.msg);
		return rk_ctl_fail(&ne);
	}
	if (perr) {
		printf("Incorrect Usage. %.*s\n\n", (int)e.len, e.msg);
		rk_ctl_help_app(stdout);
		return rk_ctl_fail(&e);
	}
	if (rk_ctl_group_true(&fs, 2)) {
		rk_ctl_help_app(stdout);
		return 0;
	}
	if (rk_ctl_group_true(&fs, 3)) {
		printf("rootlessctl version %s\n", RK_VERSION);
		return 0;
	}
	ctl.debug = flags[0].value;
	ctl.socket = flags[1].svalue;
	if (fs.argc == 0) {
		rk_ctl_help_app(stdout);
		return 0;
	}
	cmd = rk_ctl_cmd_lookup(fs.argv[0]);
	if (cmd < 0)
		return rk_ctl_no_topic(fs.argv[0]);
	return rk_ctl_run_command(&ctl, (enum rk_ctl_cmd)cmd, fs.argc - 1, fs.argv + 1);
}
