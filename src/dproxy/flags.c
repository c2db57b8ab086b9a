// SPDX-License-Identifier: Apache-2.0
/*
 * flags.c - rootlesskit-docker-proxy's command line, parsed by the rules of Go's flag package
 * (the upstream binary is a Go program using flag.Parse with five flags): the accepted syntax,
 * the error texts and the usage text are the ones it prints.
 */
#include "dproxy/dproxy.h"
#include "util/goparse.h"
#include "util/goquote.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

enum rk_dproxy_flag_kind { RK_DPROXY_STRING, RK_DPROXY_INT };

struct rk_dproxy_flag {
	const char *name;
	enum rk_dproxy_flag_kind kind;
	size_t off; /* of the value in struct rk_dproxy_args */
};

/* In Go's usage order (sorted by name). */
static const struct rk_dproxy_flag rk_dproxy_flags[] = {
    {"container-ip", RK_DPROXY_STRING, offsetof(struct rk_dproxy_args, container_ip)},
    {"container-port", RK_DPROXY_INT, offsetof(struct rk_dproxy_args, container_port)},
    {"host-ip", RK_DPROXY_STRING, offsetof(struct rk_dproxy_args, host_ip)},
    {"host-port", RK_DPROXY_INT, offsetof(struct rk_dproxy_args, host_port)},
    {"proto", RK_DPROXY_STRING, offsetof(struct rk_dproxy_args, proto)},
};

static const char rk_dproxy_defaults[] = "  -container-ip string\n"
					 "    \tcontainer ip\n"
					 "  -container-port int\n"
					 "    \tcontainer port (default -1)\n"
					 "  -host-ip string\n"
					 "    \thost ip\n"
					 "  -host-port int\n"
					 "    \thost port (default -1)\n"
					 "  -proto string\n"
					 "    \tproxy protocol (default \"tcp\")\n";

void rk_dproxy_usage(FILE *f, const char *argv0)
{
	fprintf(f, "Usage of %s:\n%s", argv0 ? argv0 : "", rk_dproxy_defaults);
}

static enum rk_dproxy_parse_rc rk_dproxy_bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum rk_dproxy_parse_rc rk_dproxy_bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return RK_DPROXY_ARGS_BAD;
}

static const struct rk_dproxy_flag *rk_dproxy_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(rk_dproxy_flags) / sizeof(rk_dproxy_flags[0]); i++)
		if (strlen(rk_dproxy_flags[i].name) == len &&
		    !memcmp(rk_dproxy_flags[i].name, name, len))
			return &rk_dproxy_flags[i];
	return NULL;
}

/* flag.Value.Set of @fl to @value. */
static enum rk_dproxy_parse_rc rk_dproxy_set(const struct rk_dproxy_flag *fl, char *value,
					     struct rk_dproxy_args *a, char *err, size_t errlen)
{
	char quoted[256];
	int64_t v;
	int rc;

	if (fl->kind == RK_DPROXY_STRING) {
		*(char **)(void *)((char *)a + fl->off) = value;
		return RK_DPROXY_ARGS_OK;
	}
	rc = go_parse_int(value, &v);
	if (!rc) {
		*(int64_t *)(void *)((char *)a + fl->off) = v;
		return RK_DPROXY_ARGS_OK;
	}
	go_strconv_quote(value, strlen(value), quoted, sizeof(quoted));
	return rk_dproxy_bad(err, errlen, "invalid value %s for flag -%s: %s", quoted, fl->name,
			     rc == -ERANGE ? "value out of range" : "parse error");
}

/* the string flags' defaults */
static char rk_dproxy_empty[] = "", rk_dproxy_tcp[] = "tcp";

enum rk_dproxy_parse_rc rk_dproxy_parse(int argc, char **argv, struct rk_dproxy_args *a, char *err,
					size_t errlen)
{
	*a = (struct rk_dproxy_args){.container_ip = rk_dproxy_empty,
				     .container_port = -1,
				     .host_ip = rk_dproxy_empty,
				     .host_port = -1,
				     .proto = rk_dproxy_tcp};
	if (errlen)
		err[0] = '\0';
	for (int i = 1; i < argc;) {
		const char *s = argv[i], *name, *eq;
		char *value = NULL;
		const struct rk_dproxy_flag *fl;
		size_t len;
		enum rk_dproxy_parse_rc rc;

		if (strlen(s) < 2 || s[0] != '-')
			break; /* the first non-flag argument ends the flags */
		name = s + 1;
		if (s[1] == '-') {
			if (!s[2])
				break; /* "--" */
			name = s + 2;
		}
		if (!*name || *name == '-' || *name == '=')
			return rk_dproxy_bad(err, errlen, "bad flag syntax: %s", s);
		i++;
		eq = strchr(name + 1, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if (eq)
			value = argv[i - 1] + (eq - s) + 1;
		fl = rk_dproxy_lookup(name, len);
		if (!fl) {
			if ((len == 4 && !memcmp(name, "help", 4)) || (len == 1 && *name == 'h'))
				return RK_DPROXY_ARGS_HELP;
			return rk_dproxy_bad(err, errlen, "flag provided but not defined: -%.*s",
					     (int)len, name);
		}
		if (!value && i < argc)
			value = argv[i++];
		if (!value)
			return rk_dproxy_bad(err, errlen, "flag needs an argument: -%s", fl->name);
		rc = rk_dproxy_set(fl, value, a, err, errlen);
		if (rc != RK_DPROXY_ARGS_OK)
			return rc;
	}
	return RK_DPROXY_ARGS_OK;
}
