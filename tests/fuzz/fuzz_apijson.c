// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_apijson.c - libFuzzer target: the REST API's JSON decoders (src/api/json.c) and the Go
 * encoding/json engine under them. Arbitrary bytes go through the server's POST /v1/ports
 * decoder and rootlessctl's decoders; an accepted spec or list must survive a round trip through
 * the encoders; the Go scanner must accept whatever jansson accepts; Go's string encoding of the
 * raw bytes must scan as one valid JSON string.
 */
#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/gojson.h"
#include "api/json.h"

static void check_spec_roundtrip(const struct rk_port_spec *s)
{
	struct rk_port_spec t;
	struct rk_err e;
	char *out;
	size_t len;

	assert(memchr(s->proto, '\0', sizeof(s->proto)));
	assert(memchr(s->parent_ip, '\0', sizeof(s->parent_ip)));
	assert(memchr(s->child_ip, '\0', sizeof(s->child_ip)));
	assert(rk_api_encode_port_spec(s, &out, &len) == 0);
	assert(rk_api_decode_port_spec(out, len, &t, &e) == 0);
	assert(!strcmp(s->proto, t.proto) && !strcmp(s->parent_ip, t.parent_ip) &&
	       !strcmp(s->child_ip, t.child_ip) && s->parent_port == t.parent_port &&
	       s->child_port == t.child_port);
	free(out);
}

static void check_list(const uint8_t *data, size_t size)
{
	struct rk_api_port_status *v, *w;
	struct rk_err e;
	size_t n, m, len;
	char *out;

	if (rk_api_decode_port_status_list((const char *)data, size, &v, &n, &e)) {
		assert(e.msg[0]);
		return;
	}
	assert(rk_api_encode_port_status_list(v, n, &out, &len) == 0);
	assert(rk_api_decode_port_status_list(out, len, &w, &m, &e) == 0);
	assert(m == n);
	for (size_t i = 0; i < n; i++)
		assert(w[i].id == v[i].id && !strcmp(w[i].spec.proto, v[i].spec.proto) &&
		       w[i].spec.parent_port == v[i].spec.parent_port);
	free(out);
	free(v);
	free(w);
}

static void check_info(const uint8_t *data, size_t size)
{
	struct rk_api_info *info = malloc(sizeof(*info)), *again = malloc(sizeof(*again));
	struct rk_err e;
	char *out;
	size_t len;

	assert(info && again);
	if (rk_api_decode_info((const char *)data, size, info, &e) == 0) {
		assert(rk_api_encode_info(info, true, &out, &len) == 0);
		assert(rk_api_decode_info(out, len, again, &e) == 0);
		assert(again->child_pid == info->child_pid && again->has_net == info->has_net &&
		       again->has_port == info->has_port);
		free(out);
	} else {
		assert(e.msg[0]);
	}
	free(info);
	free(again);
}

static void check_scanner(const uint8_t *data, size_t size)
{
	struct rk_gojson_buf b;
	struct rk_err e;
	size_t start, end;
	json_t *j;
	int rc;

	rc = rk_gojson_check_valid((const char *)data, size, &start, &end, &e);
	assert(rc == 0 || (rc == -EINVAL && e.msg[0]));
	if (rc == 0)
		assert(start < end && end <= size);
	/* jansson is stricter than Go (UTF-8, surrogates, depth 2048): what it takes, Go takes;
	 * except that jansson stops reading at a NUL byte */
	j = memchr(data, '\0', size) ? NULL
				     : json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (j)
		assert(rc == 0);
	json_decref(j);

	rk_gojson_buf_init(&b, 0);
	rk_gojson_put_string(&b, (const char *)data, size);
	assert(b.err == 0);
	assert(rk_gojson_check_valid(b.data, b.len, &start, &end, &e) == 0);
	assert(start == 0 && end == b.len);
	rk_gojson_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rk_port_spec s;
	struct rk_err e;
	char *msg;
	size_t len;
	int rc;

	rc = rk_api_decode_port_spec((const char *)data, size, &s, &e);
	if (rc == 0)
		check_spec_roundtrip(&s);
	else
		assert(rc == -EINVAL && e.msg[0] && strlen(e.msg) < sizeof(e.msg));

	rc = rk_api_decode_error_body((const char *)data, size, &msg, &len);
	assert(rc == 0 || rc == -EINVAL);
	if (rc == 0)
		free(msg);
	check_list(data, size);
	check_info(data, size);
	check_scanner(data, size);
	return 0;
}
