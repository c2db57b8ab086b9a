// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_portspec.c - libFuzzer target: `-p` port spec strings. Parses, validates and formats
 * arbitrary bytes (and the same bytes taken as a struct and as an int for %q), checking that an
 * accepted spec is sane and survives a round trip through its canonical string.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/portspec.h"

#define MAX_INPUT 4096

static void check_accepted(const struct rk_port_spec *s)
{
	char f[RK_PORTSPEC_FMT_MAX], again[RK_PORTSPEC_STR_MAX + 1];
	struct rk_port_spec t;
	struct rk_err e;
	size_t n;
	int rc;

	assert(rk_portspec_proto_known(s->proto));
	assert(!s->parent_ip[0] || rk_portspec_ip_valid(s->parent_ip));
	assert(!s->child_ip[0] || rk_portspec_ip_valid(s->child_ip));
	assert(rk_portspec_conflict(s, s));
	rk_portspec_format(s, f, sizeof(f));
	n = strlen(f);
	assert(n > 2 && f[0] == '{' && f[n - 1] == '}');

	rk_err_clear(&e);
	rc = rk_portspec_validate(s, &e);
	assert(rc == 0 || (rc == -EINVAL && e.code == EINVAL && e.msg[0]));
	if (rc)
		return;
	assert(s->parent_port >= 1 && s->parent_port <= 65535);
	assert(s->child_port >= 1 && s->child_port <= 65535);
	/* the canonical spelling parses back to the same struct */
	snprintf(
	    again, sizeof(again), "%s%s%s:%d:%s%s%s%s%d/%s", strchr(s->parent_ip, ':') ? "[" : "",
	    s->parent_ip, strchr(s->parent_ip, ':') ? "]" : "", s->parent_port,
	    strchr(s->child_ip, ':') ? "[" : "", s->child_ip, strchr(s->child_ip, ':') ? "]" : "",
	    s->child_ip[0] ? ":" : "", s->child_port, s->proto);
	assert(rk_portspec_parse(again, &t, &e) == 0);
	assert(!memcmp(s, &t, sizeof(t)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[MAX_INPUT + 1], q[RK_GO_QUOTE_INT_MAX], f[RK_PORTSPEC_FMT_MAX];
	struct rk_port_spec s;
	struct rk_err e;
	long long v = 0;

	if (size > MAX_INPUT)
		size = MAX_INPUT;
	memcpy(buf, data, size);
	buf[size] = '\0';

	rk_err_clear(&e);
	memset(&s, 0, sizeof(s));
	if (rk_portspec_parse(buf, &s, &e) == 0) {
		assert(e.code == 0 && strlen(buf) <= RK_PORTSPEC_STR_MAX);
		check_accepted(&s);
	} else {
		/* every failure says why, and no message is ever cut short */
		assert(e.code == EINVAL && e.msg[0] && strlen(e.msg) < sizeof(e.msg) - 1);
	}

	/* the raw bytes as a struct (fields possibly unterminated), as the API might fill one */
	memset(&s, 0, sizeof(s));
	memcpy(&s, data, size < sizeof(s) ? size : sizeof(s));
	rk_err_clear(&e);
	if (rk_portspec_validate(&s, &e))
		assert(e.code == EINVAL && e.msg[0]);
	rk_portspec_format(&s, f, sizeof(f));
	assert(f[0] == '{');

	memcpy(&v, data, size < sizeof(v) ? size : sizeof(v));
	rk_go_quote_int(v, q, sizeof(q));
	assert(strlen(q) >= 3 && q[0] == '\'' && q[strlen(q) - 1] == '\'');
	return 0;
}
