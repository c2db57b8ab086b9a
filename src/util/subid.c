// SPDX-License-Identifier: Apache-2.0
/*
 * subid.c - parsers for /etc/subuid-style files and getsubids output (see subid.h).
 */
#include "util/err.h"
#include "util/subid.h"
#include "util/goparse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define RK_SUBID_LINE_MAX 4096

int rk_subid_add(struct rk_subid_list *l, struct rk_subid_range r)
{
	uint64_t inside = 1;

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].start == r.start && l->v[i].count == r.count)
			return 0;
		inside += l->v[i].count;
	}
	if (l->n >= RK_SUBID_MAX_RANGES || inside + r.count > UINT32_MAX)
		return -E2BIG;
	l->v[l->n++] = r;
	return 0;
}

/* Copy the next line of [*p, end) into @line, trimmed of surrounding white space. */
static bool subid_next_line(const char **p, const char *end, char *line, size_t linelen)
{
	const char *s = *p, *e;

	if (s >= end)
		return false;
	e = memchr(s, '\n', (size_t)(end - s));
	*p = e ? e + 1 : end;
	if (!e)
		e = end;
	while (s < e && strchr(" \t\r\v\f", *s))
		s++;
	while (e > s && strchr(" \t\r\v\f", e[-1]))
		e--;
	size_t n = (size_t)(e - s);
	if (n >= linelen)
		n = linelen - 1; /* overlong lines are cut; they fail the format checks below */
	memcpy(line, s, n);
	line[n] = '\0';
	return true;
}

/* Check a parsed range: the start and count must describe IDs that exist. */
static int subid_range_from(int64_t start, int64_t count, struct rk_subid_range *r)
{
	if (start < 0 || count <= 0 || start > UINT32_MAX || count > UINT32_MAX ||
	    start + count > (int64_t)UINT32_MAX)
		return -ERANGE;
	r->start = (uint32_t)start;
	r->count = (uint32_t)count;
	return 0;
}

static int subid_atoi_err(const char *s, int rc, const char *path, struct rk_err *err)
{
	char q[256];

	go_quote(s, q, sizeof(q));
	return rk_err_set(
	    err, EINVAL,
	    "String to int conversion failed during subuid/gid parsing of %s: strconv.Atoi: "
	    "parsing %s: %s",
	    path, q, rc == -ERANGE ? "value out of range" : "invalid syntax");
}

static int subid_file_line(char *line, const char *path, const char *uidstr, const char *name,
			   struct rk_subid_list *out, struct rk_err *err)
{
	char *f[4];
	int n = 0;
	int64_t start, count;
	struct rk_subid_range r;
	int rc;

	for (char *s = line, *c; n < 4; s = c + 1) {
		f[n++] = s;
		c = strchr(s, ':');
		if (!c)
			break;
		*c = '\0';
	}
	if (n != 3) {
		return rk_err_set(
		    err, EINVAL,
		    "Cannot parse subuid/gid information: Format not correct for %s file", path);
	}
	if (strcmp(f[0], name) && strcmp(f[0], uidstr))
		return 0;
	if ((rc = go_atoi(f[1], &start)) < 0)
		return subid_atoi_err(f[1], rc, path, err);
	if ((rc = go_atoi(f[2], &count)) < 0)
		return subid_atoi_err(f[2], rc, path, err);
	if (subid_range_from(start, count, &r) < 0) {
		return rk_err_set(err, EINVAL,
				  "invalid range %s:%s in %s: IDs must lie in 0..4294967294", f[1],
				  f[2], path);
	}
	if (rk_subid_add(out, r) < 0) {
		return rk_err_set(err, EINVAL,
				  "too many sub-ID ranges in %s (at most %d, 2^32-1 IDs)", path,
				  RK_SUBID_MAX_RANGES);
	}
	return 0;
}

int rk_subid_parse_file(const char *buf, size_t len, const char *path, uint32_t uid,
			const char *name, struct rk_subid_list *out, struct rk_err *err)
{
	const char *p = buf, *end = buf + len;
	char line[RK_SUBID_LINE_MAX], uidstr[16];
	int rc;

	snprintf(uidstr, sizeof(uidstr), "%u", uid);
	while (subid_next_line(&p, end, line, sizeof(line))) {
		if (!line[0] || line[0] == '#')
			continue;
		if ((rc = subid_file_line(line, path, uidstr, name, out, err)) < 0)
			return rc;
	}
	return 0;
}

int rk_subid_parse_getsubids(const char *buf, size_t len, struct rk_subid_list *out,
			     struct rk_err *err)
{
	const char *p = buf, *end = buf + len;
	char line[RK_SUBID_LINE_MAX], *fields[3];
	int64_t start, count;
	struct rk_subid_range r;

	while (subid_next_line(&p, end, line, sizeof(line))) {
		char *save = NULL, *colon;
		int n = 0;

		if (!line[0] || line[0] == '#')
			continue;
		if (!(colon = strchr(line, ':'))) {
			return rk_err_set(err, EINVAL,
					  "unexpected getsubids output line: no colon");
		}
		for (char *t = strtok_r(colon + 1, " \t", &save); t && n < 3;
		     t = strtok_r(NULL, " \t", &save))
			fields[n++] = t;
		if (n < 3) {
			return rk_err_set(err, EINVAL,
					  "unexpected getsubids output line: fewer than 3 fields");
		}
		if (go_atoi(fields[1], &start) < 0 || go_atoi(fields[2], &count) < 0 ||
		    subid_range_from(start, count, &r) < 0) {
			return rk_err_set(err, EINVAL,
					  "unexpected getsubids output: bad range %s %s", fields[1],
					  fields[2]);
		}
		if (rk_subid_add(out, r) < 0) {
			return rk_err_set(err, EINVAL,
					  "too many sub-ID ranges from getsubids (at most %d)",
					  RK_SUBID_MAX_RANGES);
		}
	}
	return 0;
}

bool rk_subid_nsswitch_files(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	char line[RK_SUBID_LINE_MAX];
	bool files = true;

	while (subid_next_line(&p, end, line, sizeof(line))) {
		char *v;
		line[strcspn(line, "#")] = '\0';
		if (strncmp(line, "subid", 5))
			continue;
		v = line + 5 + strspn(line + 5, " \t");
		if (*v != ':')
			continue;
		v++;
		v += strspn(v, " \t");
		v[strcspn(v, " \t")] = '\0';
		files = !*v || !strcmp(v, "files"); /* the last subid line wins */
	}
	return files;
}
