// SPDX-License-Identifier: Apache-2.0
/*
 * json.c - the REST API's JSON mapping (see json.h): jansson trees in upstream's field order
 * for the encoders, gojson.h's Go-compatible walkers for the decoders.
 *
 * Each Go struct has a table of its JSON field names in declaration order; a key picks the field
 * it equals, else the first one it matches case-insensitively (Go's order of lookup), and the
 * field's decoder runs inside Go's error context (<Struct>.<field path>).
 */
#include "api/json.h"
#include "api/gojson.h"
#include "util/goip.h"
#include "util/goquote.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* --- encoders --- */

/* Add @v under @key; a NULL @v (allocation failure) or a failed insert clears *@ok. */
static void rk_api_set(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (!o || !v || json_object_set_new_nocheck(o, key, v))
		*ok = false;
}

static json_t *rk_api_str(const char *s, size_t max)
{
	return json_stringn_nocheck(s, strnlen(s, max));
}

static json_t *rk_api_ip(const char *s, size_t max)
{
	char ip[RK_API_IP_MAX], canon[GO_IP_STRING_MAX];
	size_t n = strnlen(s, max);

	if (n >= sizeof(ip))
		return json_stringn_nocheck(s, n);
	memcpy(ip, s, n);
	ip[n] = '\0';
	return json_string_nocheck(go_ip_canonical(ip, canon, sizeof(canon)) ? canon : ip);
}

static json_t *rk_api_spec_json(const struct rk_port_spec *s, bool *ok)
{
	json_t *o = json_object();

	if (s->proto[0])
		rk_api_set(o, "proto", rk_api_str(s->proto, sizeof(s->proto)), ok);
	if (s->parent_ip[0])
		rk_api_set(o, "parentIP", rk_api_str(s->parent_ip, sizeof(s->parent_ip)), ok);
	if (s->parent_port)
		rk_api_set(o, "parentPort", json_integer(s->parent_port), ok);
	if (s->child_port)
		rk_api_set(o, "childPort", json_integer(s->child_port), ok);
	if (s->child_ip[0])
		rk_api_set(o, "childIP", rk_api_str(s->child_ip, sizeof(s->child_ip)), ok);
	if (!o)
		*ok = false;
	return o;
}

static json_t *rk_api_status_json(const struct rk_api_port_status *st, bool *ok)
{
	json_t *o = json_object();

	rk_api_set(o, "id", json_integer(st->id), ok);
	rk_api_set(o, "spec", rk_api_spec_json(&st->spec, ok), ok);
	if (!o)
		*ok = false;
	return o;
}

/* Dump @v (consumed) the Go way into a malloc'd text, optionally with a trailing newline. */
static int rk_api_finish(json_t *v, bool ok, bool indent, bool newline, char **out, size_t *outlen)
{
	struct rk_gojson_buf b;
	int rc;

	*out = NULL;
	if (!v || !ok) {
		json_decref(v);
		return -ENOMEM;
	}
	rk_gojson_buf_init(&b, 0);
	rc = rk_gojson_dump(&b, v, indent);
	if (newline)
		rk_gojson_put(&b, "\n", 1);
	json_decref(v);
	if (rc || b.err) {
		rk_gojson_buf_free(&b);
		return rc ? rc : b.err;
	}
	if (outlen)
		*outlen = b.len;
	*out = b.data;
	return 0;
}

int rk_api_encode_port_spec(const struct rk_port_spec *s, char **out, size_t *outlen)
{
	bool ok = true;
	json_t *v = rk_api_spec_json(s, &ok);

	return rk_api_finish(v, ok, false, false, out, outlen);
}

int rk_api_encode_port_status(const struct rk_api_port_status *st, char **out, size_t *outlen)
{
	bool ok = true;
	json_t *v = rk_api_status_json(st, &ok);

	return rk_api_finish(v, ok, false, false, out, outlen);
}

int rk_api_encode_port_status_list(const struct rk_api_port_status *v, size_t n, char **out,
				   size_t *outlen)
{
	bool ok = true;
	json_t *a = n ? json_array() : json_null();

	for (size_t i = 0; i < n && a; i++)
		if (json_array_append_new(a, rk_api_status_json(&v[i], &ok)))
			ok = false;
	return rk_api_finish(a, ok, false, false, out, outlen);
}

static json_t *rk_api_net_json(const struct rk_api_net_info *ni, bool *ok)
{
	json_t *o = json_object();

	rk_api_set(o, "driver", rk_api_str(ni->driver, sizeof(ni->driver)), ok);
	if (ni->n_dns) {
		json_t *a = json_array();
		for (size_t i = 0; i < ni->n_dns && i < RK_API_DNS_MAX && a; i++)
			if (json_array_append_new(a, rk_api_ip(ni->dns[i], sizeof(ni->dns[i]))))
				*ok = false;
		rk_api_set(o, "dns", a, ok);
	}
	if (ni->child_ip[0])
		rk_api_set(o, "childIP", rk_api_ip(ni->child_ip, sizeof(ni->child_ip)), ok);
	if (ni->dynamic_child_ip)
		rk_api_set(o, "dynamicChildIP", json_true(), ok);
	if (!o)
		*ok = false;
	return o;
}

static json_t *rk_api_portinfo_json(const struct rk_api_port_info *pi, bool *ok)
{
	json_t *o = json_object(), *a;

	rk_api_set(o, "driver", rk_api_str(pi->driver, sizeof(pi->driver)), ok);
	a = pi->protos_null ? json_null() : json_array();
	for (size_t i = 0; !pi->protos_null && i < pi->n_protos && i < RK_API_PROTOS_MAX && a; i++)
		if (json_array_append_new(a, rk_api_str(pi->protos[i], sizeof(pi->protos[i]))))
			*ok = false;
	rk_api_set(o, "protos", a, ok);
	if (pi->disallow_loopback_child_ip)
		rk_api_set(o, "disallowLoopbackChildIP", json_true(), ok);
	if (!o)
		*ok = false;
	return o;
}

int rk_api_encode_info(const struct rk_api_info *info, bool indent, char **out, size_t *outlen)
{
	bool ok = true;
	json_t *o = json_object();

	rk_api_set(o, "apiVersion", rk_api_str(info->api_version, sizeof(info->api_version)), &ok);
	rk_api_set(o, "version", rk_api_str(info->version, sizeof(info->version)), &ok);
	rk_api_set(o, "stateDir", rk_api_str(info->state_dir, sizeof(info->state_dir)), &ok);
	rk_api_set(o, "childPID", json_integer(info->child_pid), &ok);
	if (info->has_net)
		rk_api_set(o, "networkDriver", rk_api_net_json(&info->net, &ok), &ok);
	if (info->has_port)
		rk_api_set(o, "portDriver", rk_api_portinfo_json(&info->port, &ok), &ok);
	return rk_api_finish(o, ok, indent, false, out, outlen);
}

int rk_api_encode_error(const char *msg, char **out, size_t *outlen)
{
	bool ok = true;
	json_t *o = json_object();

	rk_api_set(o, "message", json_string_nocheck(msg), &ok);
	return rk_api_finish(o, ok, false, true, out, outlen);
}

/* --- decoders --- */

/* The field of a Go struct that JSON key @key selects: exact name first, then Go's folding. */
static int rk_api_field(const char *const *names, int n, const char *key, size_t keylen)
{
	for (int i = 0; i < n; i++)
		if (strlen(names[i]) == keylen && !memcmp(names[i], key, keylen))
			return i;
	for (int i = 0; i < n; i++)
		if (rk_gojson_key_is(names[i], key, keylen))
			return i;
	return -1;
}

/*
 * Walk the object at the position as Go struct @st (Go type @gotype, JSON names @names):
 * @field(d, index, ctx) decodes one member's value. A non-object is Go's type error, null
 * leaves the struct. Return: whether an object was there.
 */
typedef void (*rk_api_field_fn)(struct rk_gojson_dec *d, int index, void *ctx);

static bool rk_api_struct(struct rk_gojson_dec *d, const char *st, const char *gotype,
			  const char *const *names, int n, rk_api_field_fn field, void *ctx)
{
	char *key;
	size_t keylen;

	if (rk_gojson_peek(d) != RK_GOJSON_OBJECT) {
		rk_gojson_mismatch(d, gotype);
		return false;
	}
	while (!d->fatal && rk_gojson_object_next(d, &key, &keylen)) {
		int i = rk_api_field(names, n, key, keylen);
		free(key);
		if (i < 0) {
			rk_gojson_skip(d);
			continue;
		}
		const char *saved_struct;
		size_t saved = rk_gojson_ctx_push(d, st, names[i], &saved_struct);
		field(d, i, ctx);
		rk_gojson_ctx_pop(d, saved, saved_struct);
	}
	return true;
}

/* Our own limits, in Go's error style: the field cannot hold what Go would have stored. */
static void rk_api_too_long(struct rk_gojson_dec *d, const char *what, size_t limit)
{
	char t[64];

	snprintf(t, sizeof(t), "%s longer than %zu bytes", what, limit);
	rk_gojson_type_error(d, t, "string");
}

/* Decode a string into the fixed field @buf (client side): refuse what does not fit. */
static void rk_api_string_field(struct rk_gojson_dec *d, char *buf, size_t size)
{
	char *s = NULL;
	size_t n = 0;

	rk_gojson_string(d, &s, &n);
	if (!s)
		return;
	if (n >= size || memchr(s, '\0', n))
		rk_api_too_long(d, "string", size - 1);
	else
		memcpy(buf, s, n + 1);
	free(s);
}

/* Decode a Go int into a C int field (client side). */
static void rk_api_int_field(struct rk_gojson_dec *d, int *out)
{
	int64_t v = *out;
	char what[48];

	rk_gojson_int(d, &v);
	if (v >= INT32_MIN && v <= INT32_MAX) {
		*out = (int)v;
		return;
	}
	snprintf(what, sizeof(what), "number %lld", (long long)v);
	rk_gojson_type_error(d, what, "int");
}

/* --- port.Spec --- */

static const char *const rk_api_spec_names[] = {"proto", "parentIP", "parentPort", "childPort",
						"childIP"};

/* port.Spec as Go holds it: strings of any length, 64-bit ports. */
struct rk_api_spec_go {
	char *str[3]; /* proto, parentIP, childIP */
	size_t len[3];
	int64_t port[2]; /* parentPort, childPort */
};

static void rk_api_spec_go_field(struct rk_gojson_dec *d, int i, void *ctx)
{
	struct rk_api_spec_go *g = ctx;
	static const int str_index[] = {0, 1, -1, -1, 2};

	if (i == 2 || i == 3)
		rk_gojson_int(d, &g->port[i - 2]);
	else
		rk_gojson_string(d, &g->str[str_index[i]], &g->len[str_index[i]]);
}

static void rk_api_spec_go_free(struct rk_api_spec_go *g)
{
	for (int i = 0; i < 3; i++)
		free(g->str[i]);
}

/*
 * Whether struct rk_port_spec can carry the string faithfully: it fits, holds no NUL, and is
 * ASCII (a valid proto or IP always is; anything else fails validation, whose text then needs
 * Go's full quoting of non-ASCII runes, done here).
 */
static bool rk_api_fits(const char *s, size_t n, size_t size)
{
	if (n >= size)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || (unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

static int rk_api_quoted(struct rk_err *err, const char *what, const char *s, size_t n)
{
	char q[RK_ERR_MSG_MAX];

	go_strconv_quote(s, n, q, sizeof(q));
	return rk_err_set(err, EINVAL, "%s: %s", what, q);
}

/*
 * Go would hold a value that struct rk_port_spec cannot: answer what upstream's
 * ValidatePortSpec says about the whole spec (checks in its order); one of them must fail.
 */
static int rk_api_spec_invalid(const struct rk_api_spec_go *g, struct rk_err *err)
{
	static const char *const ip_what[] = {"invalid ParentIP", "invalid ChildIP"};
	static const char *const port_what[] = {"invalid ParentPort", "invalid ChildPort"};
	char q[RK_GO_QUOTE_INT_MAX];

	if (!rk_api_fits(g->str[0], g->len[0], 8) || !rk_portspec_proto_known(g->str[0]))
		return rk_api_quoted(err, "unknown proto", g->str[0], g->len[0]);
	for (int i = 1; i < 3; i++)
		if (g->len[i] && (!rk_api_fits(g->str[i], g->len[i], RK_API_IP_MAX) ||
				  !rk_portspec_ip_valid(g->str[i])))
			return rk_api_quoted(err, ip_what[i - 1], g->str[i], g->len[i]);
	for (int i = 0; i < 2; i++) {
		if (g->port[i] >= 1 && g->port[i] <= 65535)
			continue;
		rk_go_quote_int(g->port[i], q, sizeof(q));
		return rk_err_set(err, EINVAL, "%s: %s", port_what[i], q);
	}
	return rk_err_set(err, EINVAL, "invalid port spec"); /* not reached */
}

static int rk_api_spec_store(struct rk_api_spec_go *g, struct rk_port_spec *out, struct rk_err *err)
{
	char *const dst[3] = {out->proto, out->parent_ip, out->child_ip};
	const size_t size[3] = {sizeof(out->proto), sizeof(out->parent_ip), sizeof(out->child_ip)};

	for (int i = 0; i < 3; i++) {
		if (!g->str[i]) {
			g->str[i] = strdup("");
			if (!g->str[i])
				return rk_err_set(err, ENOMEM, "out of memory");
		}
	}
	for (int i = 0; i < 3; i++)
		if (!rk_api_fits(g->str[i], g->len[i], size[i]))
			return rk_api_spec_invalid(g, err);
	for (int i = 0; i < 2; i++)
		if (g->port[i] < INT32_MIN || g->port[i] > INT32_MAX)
			return rk_api_spec_invalid(g, err);
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 3; i++)
		memcpy(dst[i], g->str[i], g->len[i] + 1);
	out->parent_port = (int)g->port[0];
	out->child_port = (int)g->port[1];
	return 0;
}

int rk_api_decode_port_spec(const char *body, size_t len, struct rk_port_spec *out,
			    struct rk_err *err)
{
	struct rk_api_spec_go g = {0};
	struct rk_gojson_dec d;
	size_t start, end;
	int rc;

	rk_err_clear(err);
	rc = rk_gojson_read_value(body, len, &start, &end, err);
	if (rc)
		return rc;
	rk_gojson_dec_init(&d, body, start, end, err);
	rk_api_struct(&d, "Spec", "port.Spec", rk_api_spec_names, 5, rk_api_spec_go_field, &g);
	rc = rk_gojson_failed(&d) ? -(err->code ? err->code : EINVAL)
				  : rk_api_spec_store(&g, out, err);
	rk_api_spec_go_free(&g);
	return rc;
}

/* --- port.Status (client side) --- */

static void rk_api_spec_field(struct rk_gojson_dec *d, int i, void *ctx)
{
	struct rk_port_spec *s = ctx;

	switch (i) {
	case 0:
		rk_api_string_field(d, s->proto, sizeof(s->proto));
		break;
	case 1:
		rk_api_string_field(d, s->parent_ip, sizeof(s->parent_ip));
		break;
	case 2:
		rk_api_int_field(d, &s->parent_port);
		break;
	case 3:
		rk_api_int_field(d, &s->child_port);
		break;
	default:
		rk_api_string_field(d, s->child_ip, sizeof(s->child_ip));
	}
}

static const char *const rk_api_status_names[] = {"id", "spec"};

static void rk_api_status_field(struct rk_gojson_dec *d, int i, void *ctx)
{
	struct rk_api_port_status *st = ctx;
	int64_t id = st->id;

	if (i == 0) {
		rk_gojson_int(d, &id);
		st->id = id;
	} else {
		rk_api_struct(d, "Spec", "port.Spec", rk_api_spec_names, 5, rk_api_spec_field,
			      &st->spec);
	}
}

static int rk_api_begin(const char *body, size_t len, struct rk_gojson_dec *d, struct rk_err *err)
{
	size_t start, end;
	int rc;

	rk_err_clear(err);
	rc = rk_gojson_read_value(body, len, &start, &end, err);
	if (!rc)
		rk_gojson_dec_init(d, body, start, end, err);
	return rc;
}

static int rk_api_end(const struct rk_gojson_dec *d, struct rk_err *err)
{
	return rk_gojson_failed(d) ? -(err->code ? err->code : EINVAL) : 0;
}

int rk_api_decode_port_status(const char *body, size_t len, struct rk_api_port_status *out,
			      struct rk_err *err)
{
	struct rk_gojson_dec d;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = rk_api_begin(body, len, &d, err);
	if (rc)
		return rc;
	rk_api_struct(&d, "Status", "port.Status", rk_api_status_names, 2, rk_api_status_field,
		      out);
	return rk_api_end(&d, err);
}

/* Walk the []port.Status at the position into a growing array. */
static void rk_api_status_array(struct rk_gojson_dec *d, struct rk_api_port_status **v, size_t *n)
{
	size_t cap = 0;

	if (rk_gojson_peek(d) != RK_GOJSON_ARRAY) {
		rk_gojson_mismatch(d, "[]port.Status");
		return;
	}
	while (!d->fatal && rk_gojson_array_next(d)) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct rk_api_port_status *nv = realloc(*v, ncap * sizeof(**v));
			if (!nv) {
				rk_gojson_fail(d, "out of memory");
				d->err->code = ENOMEM;
				return;
			}
			*v = nv;
			cap = ncap;
		}
		memset(&(*v)[*n], 0, sizeof(**v));
		rk_api_struct(d, "Status", "port.Status", rk_api_status_names, 2,
			      rk_api_status_field, &(*v)[(*n)++]);
	}
}

int rk_api_decode_port_status_list(const char *body, size_t len, struct rk_api_port_status **out,
				   size_t *n, struct rk_err *err)
{
	struct rk_gojson_dec d;
	int rc;

	*out = NULL;
	*n = 0;
	rc = rk_api_begin(body, len, &d, err);
	if (rc)
		return rc;
	rk_api_status_array(&d, out, n);
	rc = rk_api_end(&d, err);
	if (rc || !*n) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* --- api.Info (client side) --- */

/* A net.IP value (encoding.TextUnmarshaler): a string parsed by net.ParseIP, "" is nil. */
static void rk_api_ip_field(struct rk_gojson_dec *d, char *buf, size_t size)
{
	enum rk_gojson_kind k = rk_gojson_peek(d);
	char *s = NULL, msg[RK_ERR_MSG_MAX];
	size_t n = 0;
	uint8_t ip[16];

	if (k == RK_GOJSON_NULL) {
		rk_gojson_skip(d);
		buf[0] = '\0';
		return;
	}
	if (k != RK_GOJSON_STRING) {
		rk_gojson_mismatch(d, "net.IP");
		return;
	}
	rk_gojson_string(d, &s, &n);
	if (!s)
		return;
	if (n == 0) {
		buf[0] = '\0';
	} else if (!memchr(s, '\0', n) && go_ip_parse(s, ip)) {
		go_ip_string(ip, buf, size);
	} else {
		snprintf(msg, sizeof(msg), "invalid IP address: %s", s);
		rk_gojson_fail(d, msg);
	}
	free(s);
}

/*
 * The elements of a JSON array of strings into the fixed slots @items (@max of @size bytes),
 * each decoded by @field; *@n gets the count. Elements past @max are refused (too long).
 */
static void rk_api_text_array(struct rk_gojson_dec *d, char *items, size_t size, size_t max,
			      size_t *n,
			      void (*field)(struct rk_gojson_dec *d, char *buf, size_t size))
{
	*n = 0;
	while (!d->fatal && rk_gojson_array_next(d)) {
		if (*n == max) {
			rk_api_too_long(d, "array", max);
			rk_gojson_skip(d);
			continue;
		}
		items[*n * size] = '\0';
		field(d, items + *n * size, size);
		(*n)++;
	}
}

static const char *const rk_api_net_names[] = {"driver", "dns", "childIP", "dynamicChildIP"};

static void rk_api_net_field(struct rk_gojson_dec *d, int i, void *ctx)
{
	struct rk_api_net_info *ni = ctx;

	if (i == 0) {
		rk_api_string_field(d, ni->driver, sizeof(ni->driver));
	} else if (i == 2) {
		rk_api_ip_field(d, ni->child_ip, sizeof(ni->child_ip));
	} else if (i == 3) {
		rk_gojson_bool(d, &ni->dynamic_child_ip);
	} else if (rk_gojson_peek(d) != RK_GOJSON_ARRAY) {
		if (rk_gojson_peek(d) == RK_GOJSON_NULL)
			ni->n_dns = 0;
		rk_gojson_mismatch(d, "[]net.IP");
	} else {
		rk_api_text_array(d, ni->dns[0], sizeof(ni->dns[0]), RK_API_DNS_MAX, &ni->n_dns,
				  rk_api_ip_field);
	}
}

static const char *const rk_api_portinfo_names[] = {"driver", "protos", "disallowLoopbackChildIP"};

static void rk_api_portinfo_field(struct rk_gojson_dec *d, int i, void *ctx)
{
	struct rk_api_port_info *pi = ctx;

	if (i == 0) {
		rk_api_string_field(d, pi->driver, sizeof(pi->driver));
	} else if (i == 2) {
		rk_gojson_bool(d, &pi->disallow_loopback_child_ip);
	} else if (rk_gojson_peek(d) != RK_GOJSON_ARRAY) {
		if (rk_gojson_peek(d) == RK_GOJSON_NULL) {
			pi->protos_null = true;
			pi->n_protos = 0;
		}
		rk_gojson_mismatch(d, "[]string");
	} else {
		pi->protos_null = false;
		rk_api_text_array(d, pi->protos[0], sizeof(pi->protos[0]), RK_API_PROTOS_MAX,
				  &pi->n_protos, rk_api_string_field);
	}
}

static const char *const rk_api_info_names[] = {"apiVersion", "version",       "stateDir",
						"childPID",   "networkDriver", "portDriver"};

/* A pointer-to-struct field: null makes it nil, anything else allocates it (as Go does). */
static void rk_api_info_ptr(struct rk_gojson_dec *d, int i, struct rk_api_info *info)
{
	bool *has = i == 4 ? &info->has_net : &info->has_port;

	if (rk_gojson_peek(d) == RK_GOJSON_NULL) {
		rk_gojson_skip(d);
		*has = false;
		return;
	}
	if (!*has) {
		*has = true;
		if (i == 4) {
			memset(&info->net, 0, sizeof(info->net));
		} else {
			memset(&info->port, 0, sizeof(info->port));
			info->port.protos_null = true;
		}
	}
	if (i == 4)
		rk_api_struct(d, "NetworkDriverInfo", "api.NetworkDriverInfo", rk_api_net_names, 4,
			      rk_api_net_field, &info->net);
	else
		rk_api_struct(d, "PortDriverInfo", "api.PortDriverInfo", rk_api_portinfo_names, 3,
			      rk_api_portinfo_field, &info->port);
}

static void rk_api_info_field(struct rk_gojson_dec *d, int i, void *ctx)
{
	struct rk_api_info *info = ctx;
	int64_t pid = info->child_pid;

	switch (i) {
	case 0:
		rk_api_string_field(d, info->api_version, sizeof(info->api_version));
		break;
	case 1:
		rk_api_string_field(d, info->version, sizeof(info->version));
		break;
	case 2:
		rk_api_string_field(d, info->state_dir, sizeof(info->state_dir));
		break;
	case 3:
		rk_gojson_int(d, &pid);
		info->child_pid = pid;
		break;
	default:
		rk_api_info_ptr(d, i, info);
	}
}

int rk_api_decode_info(const char *body, size_t len, struct rk_api_info *out, struct rk_err *err)
{
	struct rk_gojson_dec d;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = rk_api_begin(body, len, &d, err);
	if (rc)
		return rc;
	rk_api_struct(&d, "Info", "api.Info", rk_api_info_names, 6, rk_api_info_field, out);
	return rk_api_end(&d, err);
}

/* --- the error body --- */

struct rk_api_errmsg {
	char *msg;
	size_t len;
};

static void rk_api_errmsg_field(struct rk_gojson_dec *d, int i, void *ctx)
{
	struct rk_api_errmsg *m = ctx;

	rk_gojson_string(d, &m->msg, &m->len);
}

int rk_api_decode_error_body(const char *body, size_t len, char **msg, size_t *msglen)
{
	static const char *const names[] = {"message"};
	struct rk_api_errmsg m = {0};
	struct rk_gojson_dec d;
	struct rk_err err;
	size_t start, end;
	int rc;

	*msg = NULL;
	*msglen = 0;
	rc = rk_gojson_check_valid(body, len, &start, &end, &err);
	if (rc)
		return rc == -ENOMEM ? rc : -EINVAL;
	rk_gojson_dec_init(&d, body, start, end, &err);
	rk_api_struct(&d, "ErrorJSON", "httputil.ErrorJSON", names, 1, rk_api_errmsg_field, &m);
	if (rk_gojson_failed(&d)) {
		free(m.msg);
		return err.code == ENOMEM ? -ENOMEM : -EINVAL;
	}
	if (!m.msg && !(m.msg = strdup("")))
		return -ENOMEM;
	*msg = m.msg;
	*msglen = m.len;
	return 0;
}
