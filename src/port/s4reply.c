// SPDX-License-Identifier: Apache-2.0
/*
 * s4reply.c - slirp4netns API requests and replies (see s4reply.h). JSON with jansson; the
 * texts for error replies follow Go's %v of the map upstream decodes them into: "map[" + the
 * keys in sorted order as key:value, separated by spaces + "]".
 */
#include "port/s4reply.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rk_s4_dump(json_t *req, char **out)
{
	char *s;
	size_t n;

	if (!req)
		return -ENOMEM;
	s = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(req);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	char *line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return -ENOMEM;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*out = line;
	return (int)(n + 1);
}

int rk_s4_add_request(const char *proto, const char *host_addr, int host_port,
		      const char *guest_addr, int guest_port, char **out)
{
	return rk_s4_dump(json_pack("{s:s, s:{s:s, s:s, s:i, s:s, s:i}}", "execute", "add_hostfwd",
				    "arguments", "proto", proto, "host_addr", host_addr,
				    "host_port", host_port, "guest_addr", guest_addr, "guest_port",
				    guest_port),
			  out);
}

int rk_s4_remove_request(int64_t id, char **out)
{
	return rk_s4_dump(json_pack("{s:s, s:{s:I}}", "execute", "remove_hostfwd", "arguments",
				    "id", (json_int_t)id),
			  out);
}

static int rk_s4_keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Go's %v of a decoded JSON value, appended to @buf (bounded; nested values shortened). */
static void rk_s4_gofmt(const json_t *v, char *buf, size_t len, int depth)
{
	size_t used = strlen(buf);
	char *p = buf + used;
	size_t left = len > used ? len - used : 0;

	if (!left)
		return;
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(p, left, "%s", json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(p, left, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(p, left, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		snprintf(p, left, "%s", json_is_true(v) ? "true" : "false");
		break;
	case JSON_NULL:
		snprintf(p, left, "<nil>");
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		if (depth > 4) {
			snprintf(p, left, "...");
			break;
		}
		if (json_is_array(v)) {
			snprintf(p, left, "[");
			for (size_t i = 0; i < json_array_size(v); i++) {
				if (i)
					strncat(buf, " ", len - strlen(buf) - 1);
				rk_s4_gofmt(json_array_get(v, i), buf, len, depth + 1);
			}
			strncat(buf, "]", len - strlen(buf) - 1);
			break;
		}
		size_t n = json_object_size(v), k = 0;
		const char **keys = calloc(n ? n : 1, sizeof(*keys));
		const char *key;
		json_t *val;
		if (!keys)
			break;
		json_object_foreach((json_t *)v, key, val) keys[k++] = key;
		qsort(keys, n, sizeof(*keys), rk_s4_keycmp);
		snprintf(p, left, "map[");
		for (k = 0; k < n; k++) {
			size_t u = strlen(buf);
			snprintf(buf + u, len > u ? len - u : 0, "%s%s:", k ? " " : "", keys[k]);
			rk_s4_gofmt(json_object_get(v, keys[k]), buf, len, depth + 1);
		}
		strncat(buf, "]", len - strlen(buf) - 1);
		free(keys);
		break;
	}
}

int rk_s4_reply_parse(const char *buf, size_t len, int want_id, int64_t *id, struct rk_err *err)
{
	json_error_t je;
	json_t *rep, *e, *r, *idv;
	char text[RK_ERR_MSG_MAX];
	int rc = -EPROTO;

	if (len > RK_S4_REPLY_MAX)
		return rk_err_set(err, EPROTO, "slirp4netns: reply too long");
	if (len == 0)
		return rk_err_set(err, EPROTO, "unexpected end of JSON input");
	rep = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!rep)
		return rk_err_set(err, EPROTO, "slirp4netns: bad reply: %s", je.text);
	text[0] = '\0';
	e = json_is_object(rep) ? json_object_get(rep, "error") : NULL;
	r = json_is_object(rep) ? json_object_get(rep, "return") : NULL;
	if (!json_is_object(rep)) {
		rk_err_set(err, EPROTO, "slirp4netns: bad reply: not a JSON object");
	} else if (e && !json_is_object(e)) {
		rk_err_set(err, EPROTO, "slirp4netns: bad reply: error is not an object");
	} else if (e && json_object_size(e)) {
		rk_s4_gofmt(e, text, sizeof(text), 0);
		rk_err_set(err, EPROTO, "reply.Error: %s", text);
	} else if (!want_id) {
		rc = 0;
	} else if (!json_is_object(r) || !(idv = json_object_get(r, "id"))) {
		rk_s4_gofmt(rep, text, sizeof(text), 0);
		rk_err_set(err, EPROTO, "unexpected reply: %s", text);
	} else if (!json_is_number(idv) || json_number_value(idv) < 0 ||
		   json_number_value(idv) > 2147483647.0) {
		rk_s4_gofmt(idv, text, sizeof(text), 0);
		rk_err_set(err, EPROTO, "unexpected id: %s", text);
	} else {
		*id = (int64_t)json_number_value(idv); /* Go: int(float64) truncates */
		rc = 0;
	}
	json_decref(rep);
	return rc;
}
