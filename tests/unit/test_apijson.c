// SPDX-License-Identifier: Apache-2.0
/*
 * test_apijson.c - the REST API's JSON mapping (src/api/json.c) and the Go encoding/json engine
 * under it (src/api/gojson*.c), plus Go's quoting (src/util/goquote.c) and IP texts
 * (src/util/goip.c). Expected texts were measured against the Go rootlesskit/rootlessctl 1.1.0:
 * the decoder's against POST /v1/ports (tests/unit/data/apijson_go_errors.inc), the client
 * decoders' with a fake server answering /usr/bin/rootlessctl.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/gojson.h"
#include "api/json.h"
#include "util/goip.h"
#include "util/goquote.h"

struct go_case {
	const char *body;
	size_t len;
	int opens, closes; /* body NULL: '[' * opens + ']' * closes */
	const char *msg;   /* NULL: decodes and validates */
};

static const struct go_case go_cases[] = {
#include "data/apijson_go_errors.inc"
};

static void test_decoder_matches_go(void **state)
{
	for (size_t i = 0; i < sizeof(go_cases) / sizeof(go_cases[0]); i++) {
		const struct go_case *c = &go_cases[i];
		char *body = NULL;
		size_t len = c->len;
		struct rk_port_spec s;
		struct rk_err e;
		int rc;

		if (!c->body) {
			len = (size_t)(c->opens + c->closes);
			body = malloc(len);
			assert_non_null(body);
			memset(body, '[', (size_t)c->opens);
			memset(body + c->opens, ']', (size_t)c->closes);
		}
		rc = rk_api_decode_port_spec(c->body ? c->body : body, len, &s, &e);
		if (rc == 0)
			rc = rk_portspec_validate(&s, &e);
		if (!c->msg) {
			if (rc)
				fail_msg("case %zu: expected success, got %s", i, e.msg);
		} else {
			if (rc != -EINVAL || strcmp(e.msg, c->msg))
				fail_msg("case %zu: rc %d\n  got:  %s\n  want: %s", i, rc,
					 rc ? e.msg : "(success)", c->msg);
		}
		free(body);
	}
}

static void test_decode_ok(void **state)
{
	static const char body[] =
	    " {\"x\":[{\"proto\":1}],\"PROTO\":\"tcp\",\"ParentIp\":\"127.0.0.1\","
	    "\"parentport\":8080,\"childPort\":80,\"childIP\":null,\"parentPort\":-0,"
	    "\"PARENTPORT\":18080,\"childip\":\"\\u003a\\u003A1\"} trailing ][";
	struct rk_port_spec s;
	struct rk_err e;

	assert_int_equal(rk_api_decode_port_spec(body, sizeof(body) - 1, &s, &e), 0);
	assert_string_equal(s.proto, "tcp");
	assert_string_equal(s.parent_ip, "127.0.0.1");
	assert_int_equal(s.parent_port, 18080); /* the last duplicate wins */
	assert_int_equal(s.child_port, 80);
	assert_string_equal(s.child_ip, "::1");

	/* null leaves zero values; an empty object is a zero spec */
	assert_int_equal(rk_api_decode_port_spec("null", 4, &s, &e), 0);
	assert_string_equal(s.proto, "");
	assert_int_equal(rk_api_decode_port_spec("{}", 2, &s, &e), 0);
	assert_int_equal(s.parent_port, 0);
	/* the longest strings that fit */
	assert_int_equal(rk_api_decode_port_spec("{\"proto\":\"1234567\"}", 19, &s, &e), 0);
	assert_string_equal(s.proto, "1234567");
}

static void test_decode_unrepresentable(void **state)
{
	char body[512], ip63[64], ip64[65];
	struct rk_port_spec s;
	struct rk_err e;

	memset(ip63, 'a', 63);
	ip63[63] = '\0';
	memset(ip64, 'b', 64);
	ip64[64] = '\0';
	/* a 63-byte IP fits the struct: validation reports it later */
	snprintf(body, sizeof(body), "{\"proto\":\"tcp\",\"parentIP\":\"%s\"}", ip63);
	assert_int_equal(rk_api_decode_port_spec(body, strlen(body), &s, &e), 0);
	/* 64 bytes do not: the decoder answers with validation's text, proto checked first */
	snprintf(body, sizeof(body), "{\"proto\":\"tcp\",\"childIP\":\"%s\"}", ip64);
	assert_int_equal(rk_api_decode_port_spec(body, strlen(body), &s, &e), -EINVAL);
	assert_string_equal(e.msg + 0,
			    "invalid ChildIP: \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
			    "bbbbbbbbbbbbbbbbbbbbbb\"");
	snprintf(body, sizeof(body), "{\"proto\":\"tcp4\\u0000\",\"childIP\":\"%s\"}", ip64);
	assert_int_equal(rk_api_decode_port_spec(body, strlen(body), &s, &e), -EINVAL);
	assert_string_equal(e.msg, "unknown proto: \"tcp4\\x00\"");
	snprintf(body, sizeof(body), "{\"proto\":\"tcp\",\"childPort\":-2147483649}");
	assert_int_equal(rk_api_decode_port_spec(body, strlen(body), &s, &e), -EINVAL);
	assert_string_equal(e.msg, "invalid ParentPort: '\\x00'");
	snprintf(body, sizeof(body), "{\"proto\":\"udp\",\"parentPort\":1,\"childPort\":%s}",
		 "-2147483649");
	assert_int_equal(rk_api_decode_port_spec(body, strlen(body), &s, &e), -EINVAL);
	assert_string_equal(e.msg, "invalid ChildPort: '\xef\xbf\xbd'");
	/* a message longer than the error buffer is cut, never overflowed */
	{
		static char big[3 * RK_ERR_MSG_MAX + 32];
		size_t n = 3 * RK_ERR_MSG_MAX;
		memcpy(big, "{\"proto\":\"", 10);
		memset(big + 10, 'p', n);
		memcpy(big + 10 + n, "\"}", 3);
		assert_int_equal(rk_api_decode_port_spec(big, strlen(big), &s, &e), -EINVAL);
		assert_int_equal(strncmp(e.msg, "unknown proto: \"ppp", 19), 0);
		assert_true(strlen(e.msg) < RK_ERR_MSG_MAX);
	}
}

static void assert_encoded(int rc, char *out, size_t len, const char *want)
{
	assert_int_equal(rc, 0);
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
}

static void test_encode_ports(void **state)
{
	struct rk_api_port_status st[2] = {
	    {3, {"tcp6", "::1", 18082, 82, "::1"}},
	    {4, {"udp", "", 53, 0, ""}},
	};
	struct rk_port_spec empty = {0};
	char *out;
	size_t len;
	int rc;

	rc = rk_api_encode_port_status(&st[0], &out, &len);
	assert_encoded(rc, out, len,
		       "{\"id\":3,\"spec\":{\"proto\":\"tcp6\",\"parentIP\":\"::1\",\"parentPort\":"
		       "18082,\"childPort\":82,\"childIP\":\"::1\"}}");
	rc = rk_api_encode_port_status_list(st, 2, &out, &len);
	assert_encoded(
	    rc, out, len,
	    "[{\"id\":3,\"spec\":{\"proto\":\"tcp6\",\"parentIP\":\"::1\",\"parentPort\":"
	    "18082,\"childPort\":82,\"childIP\":\"::1\"}},{\"id\":4,\"spec\":{\"proto\":"
	    "\"udp\",\"parentPort\":53}}]");
	rc = rk_api_encode_port_status_list(st, 0, &out, &len);
	assert_encoded(rc, out, len, "null");
	rc = rk_api_encode_port_spec(&empty, &out, &len);
	assert_encoded(rc, out, len, "{}");
	st[0].spec.parent_port = -1;
	rc = rk_api_encode_port_spec(&st[0].spec, &out, &len);
	assert_encoded(
	    rc, out, len,
	    "{\"proto\":\"tcp6\",\"parentIP\":\"::1\",\"parentPort\":-1,\"childPort\":82,"
	    "\"childIP\":\"::1\"}");
}

static void fill_info(struct rk_api_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->api_version, sizeof(info->api_version), "%s", RK_API_VERSION);
	snprintf(info->version, sizeof(info->version), "3.0.1");
	snprintf(info->state_dir, sizeof(info->state_dir), "/tmp/x/state");
	info->child_pid = 9652;
	info->has_net = true;
	snprintf(info->net.driver, sizeof(info->net.driver), "slirp4netns");
	info->net.n_dns = 1;
	snprintf(info->net.dns[0], sizeof(info->net.dns[0]), "10.0.2.3");
	snprintf(info->net.child_ip, sizeof(info->net.child_ip), "10.0.2.100");
	info->has_port = true;
	snprintf(info->port.driver, sizeof(info->port.driver), "builtin");
	info->port.n_protos = 6;
	for (int i = 0; i < 6; i++)
		snprintf(info->port.protos[i], sizeof(info->port.protos[i]), "%s",
			 (const char *[]){"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"}[i]);
}

static void test_encode_info(void **state)
{
	struct rk_api_info info;
	char *out;
	size_t len;
	int rc;

	fill_info(&info);
	rc = rk_api_encode_info(&info, false, &out, &len);
	assert_encoded(
	    rc, out, len,
	    "{\"apiVersion\":\"1.1.1\",\"version\":\"3.0.1\",\"stateDir\":\"/tmp/x/"
	    "state\",\"childPID\":"
	    "9652,\"networkDriver\":{\"driver\":\"slirp4netns\",\"dns\":[\"10.0.2.3\"],\"childIP\":"
	    "\"10.0.2.100\"},\"portDriver\":{\"driver\":\"builtin\",\"protos\":[\"tcp\",\"tcp4\","
	    "\"tcp6\",\"udp\",\"udp4\",\"udp6\"]}}");
	/* measured with rootlessctl info --json against a fake server (SPEC §10.1 omissions) */
	info.net.n_dns = 0;
	info.net.child_ip[0] = '\0';
	info.net.dynamic_child_ip = true;
	info.port.n_protos = 0;
	info.port.disallow_loopback_child_ip = true;
	snprintf(info.version, sizeof(info.version), "v<");
	rc = rk_api_encode_info(&info, true, &out, &len);
	assert_encoded(rc, out, len,
		       "{\n    \"apiVersion\": \"1.1.1\",\n    \"version\": \"v\\u003c\",\n"
		       "    \"stateDir\": \"/tmp/x/state\",\n    \"childPID\": 9652,\n"
		       "    \"networkDriver\": {\n        \"driver\": \"slirp4netns\",\n"
		       "        \"dynamicChildIP\": true\n    },\n    \"portDriver\": {\n"
		       "        \"driver\": \"builtin\",\n        \"protos\": [],\n"
		       "        \"disallowLoopbackChildIP\": true\n    }\n}");
	info.has_net = false;
	info.port.protos_null = true;
	info.port.disallow_loopback_child_ip = false;
	rc = rk_api_encode_info(&info, true, &out, &len);
	assert_encoded(rc, out, len,
		       "{\n    \"apiVersion\": \"1.1.1\",\n    \"version\": \"v\\u003c\",\n"
		       "    \"stateDir\": \"/tmp/x/state\",\n    \"childPID\": 9652,\n"
		       "    \"portDriver\": {\n        \"driver\": \"builtin\",\n"
		       "        \"protos\": null\n    }\n}");
	/* IPs in Go's canonical form; "" is a nil net.IP */
	info.has_net = true;
	info.net.n_dns = 4;
	snprintf(info.net.dns[0], sizeof(info.net.dns[0]), "::ffff:1.2.3.4");
	info.net.dns[1][0] = '\0';
	snprintf(info.net.dns[2], sizeof(info.net.dns[2]), "::1.2.3.4");
	snprintf(info.net.dns[3], sizeof(info.net.dns[3]), "FD00:0:0::3");
	info.has_port = false;
	info.net.dynamic_child_ip = false;
	rc = rk_api_encode_info(&info, false, &out, &len);
	assert_encoded(
	    rc, out, len,
	    "{\"apiVersion\":\"1.1.1\",\"version\":\"v\\u003c\",\"stateDir\":\"/tmp/x/state\","
	    "\"childPID\":9652,\"networkDriver\":{\"driver\":\"slirp4netns\",\"dns\":"
	    "[\"1.2.3.4\",\"\",\"::102:304\",\"fd00::3\"]}}");
}

static void test_encode_error_and_escaping(void **state)
{
	char *out;
	size_t len;
	int rc;

	rc = rk_api_encode_error("unknown proto: \"<&>\"", &out, &len);
	assert_encoded(rc, out, len,
		       "{\"message\":\"unknown proto: \\\"\\u003c\\u0026\\u003e\\\"\"}\n");
	/* control bytes: \n \r \t named, the rest (\b and \f too, in Go 1.19) as \u00XX; DEL
	 * raw; U+2028/9 escaped; invalid UTF-8 as \ufffd per byte; other runes raw */
	rc = rk_api_encode_error("a\n\r\t\b\f\x01\x1f\x7f\\/"
				 "\xe2\x80\xa8\xe2\x80\xa9\xff\xc3\xa9\xed\xa0\x80"
				 "\xef\xbf\xbd",
				 &out, &len);
	assert_encoded(
	    rc, out, len,
	    "{\"message\":\"a\\n\\r\\t\\u0008\\u000c\\u0001\\u001f\x7f\\\\/\\u2028\\u2029"
	    "\\ufffd\xc3\xa9\\ufffd\\ufffd\\ufffd\xef\xbf\xbd\"}\n");
}

static void test_gojson_dump(void **state)
{
	struct rk_gojson_buf b;
	json_t *v = json_pack("{s:[],s:{},s:[i,{s:b}],s:n}", "a", "b", "c", 1, "d", 0, "e");

	assert_non_null(v);
	rk_gojson_buf_init(&b, 0);
	assert_int_equal(rk_gojson_dump(&b, v, true), 0);
	assert_string_equal(b.data, "{\n    \"a\": [],\n    \"b\": {},\n    \"c\": [\n        1,\n"
				    "        {\n            \"d\": false\n        }\n    ],\n"
				    "    \"e\": null\n}");
	rk_gojson_buf_free(&b);
	rk_gojson_buf_init(&b, 0);
	assert_int_equal(rk_gojson_dump(&b, v, false), 0);
	assert_string_equal(b.data, "{\"a\":[],\"b\":{},\"c\":[1,{\"d\":false}],\"e\":null}");
	rk_gojson_buf_free(&b);
	/* the size limit */
	rk_gojson_buf_init(&b, 10);
	assert_int_equal(rk_gojson_dump(&b, v, false), -E2BIG);
	rk_gojson_buf_free(&b);
	json_decref(v);
	v = json_real(1.5);
	rk_gojson_buf_init(&b, 0);
	assert_int_equal(rk_gojson_dump(&b, v, false), -EINVAL);
	rk_gojson_buf_free(&b);
	json_decref(v);
}

static void test_check_valid(void **state)
{
	static const struct {
		const char *in, *err;
	} c[] = {
	    {"null", NULL},
	    {" {\"a\":1} \n", NULL},
	    {"1", NULL},
	    {"", "unexpected end of JSON input"},
	    {"  ", "unexpected end of JSON input"},
	    {"{", "unexpected end of JSON input"},
	    {"{} x", "invalid character 'x' after top-level value"},
	    {"1}", "invalid character '}' after top-level value"},
	    {"{}}", "invalid character '}' after top-level value"},
	    {"tx", "invalid character 'x' in literal true (expecting 'r')"},
	};
	struct rk_err e;
	size_t start, end;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc = rk_gojson_check_valid(c[i].in, strlen(c[i].in), &start, &end, &e);
		if (!c[i].err) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_string_equal(e.msg, c[i].err);
		}
	}
	assert_int_equal(rk_gojson_check_valid(" {\"a\":1} \n", 10, &start, &end, &e), 0);
	assert_int_equal(start, 1);
	assert_int_equal(end, 8);
	assert_int_equal(rk_gojson_read_value(" 12 x", 5, &start, &end, &e), 0);
	assert_int_equal(start, 1);
	assert_int_equal(end, 3);
	assert_int_equal(rk_gojson_read_value("12", 2, &start, &end, &e), 0);
	assert_int_equal(end, 2);
}

static void test_error_body(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *msg;
	} c[] = {
	    /* measured: rootlessctl prints "error: <msg>" for these */
	    {"{\"message\":\"conflict with ID 1\"}\n", 0, "conflict with ID 1"},
	    {"null", 0, ""},
	    {"{}", 0, ""},
	    {"{\"MESSAGE\":\"q\"}", 0, "q"},
	    {"{\"message\":null,\"x\":[1]}", 0, ""},
	    {"{\"me\xc5\xbfsage\":\"long s\"}", 0, "long s"},
	    /* and "unexpected HTTP status ..." for these */
	    {"{\"message\":\"a\"} x", -EINVAL, NULL},
	    {"{\"message\":5}", -EINVAL, NULL},
	    {"\"text\"", -EINVAL, NULL},
	    {"[]", -EINVAL, NULL},
	    {"404 page not found\n", -EINVAL, NULL},
	    {"", -EINVAL, NULL},
	};
	char *msg;
	size_t len;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc = rk_api_decode_error_body(c[i].in, strlen(c[i].in), &msg, &len);
		assert_int_equal(rc, c[i].rc);
		if (!rc) {
			assert_string_equal(msg, c[i].msg);
			free(msg);
		}
	}
}

static void test_decode_status_list(void **state)
{
	static const char ok[] =
	    "[{\"spec\":{\"parentPort\":5,\"proto\":\"t\xc3\xa9\xc3\xa9\"},\"id\":2},{\"id\":10,"
	    "\"spec\":{\"childIP\":\"<&>\",\"parentIP\":\"\"}},{},null]   x";
	static const struct {
		const char *in, *msg;
	} bad[] = {
	    /* measured with /usr/bin/rootlessctl list-ports against a fake server */
	    {"[{\"spec\":{\"parentPort\":\"x\"}},1]",
	     "json: cannot unmarshal string into Go struct field Spec.spec.parentPort of type int"},
	    {"[1,{\"spec\":{\"parentPort\":\"x\"}}]",
	     "json: cannot unmarshal number into Go value of type port.Status"},
	    {"{}", "json: cannot unmarshal object into Go value of type []port.Status"},
	    {"", "EOF"},
	    {"[{\"id\":1", "unexpected EOF"},
	    {"[{\"id\":1.5}]",
	     "json: cannot unmarshal number 1.5 into Go struct field Status.id of type int"},
	    {"[{\"spec\":5}]",
	     "json: cannot unmarshal number into Go struct field Status.spec of type port.Spec"},
	};
	struct rk_api_port_status *v;
	struct rk_err e;
	size_t n;

	assert_int_equal(rk_api_decode_port_status_list(ok, sizeof(ok) - 1, &v, &n, &e), 0);
	assert_int_equal(n, 4);
	assert_int_equal(v[0].id, 2);
	assert_string_equal(v[0].spec.proto, "t\xc3\xa9\xc3\xa9");
	assert_int_equal(v[0].spec.parent_port, 5);
	assert_int_equal(v[1].id, 10);
	assert_string_equal(v[1].spec.child_ip, "<&>");
	assert_int_equal(v[2].id, 0);
	assert_int_equal(v[3].id, 0);
	free(v);
	assert_int_equal(rk_api_decode_port_status_list("null", 4, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    rk_api_decode_port_status_list(bad[i].in, strlen(bad[i].in), &v, &n, &e),
		    -EINVAL);
		assert_string_equal(e.msg, bad[i].msg);
		assert_null(v);
	}
	/* too long for our struct: our own text */
	assert_int_equal(
	    rk_api_decode_port_status_list("[{\"spec\":{\"proto\":\"12345678\"}}]", 33, &v, &n, &e),
	    -EINVAL);
	assert_string_equal(e.msg, "json: cannot unmarshal string longer than 7 bytes into Go "
				   "struct field Spec.spec.proto of type string");
}

static void test_decode_status(void **state)
{
	struct rk_api_port_status st;
	struct rk_err e;

	assert_int_equal(
	    rk_api_decode_port_status("{\"id\":5,\"spec\":{\"proto\":\"x\"}}", 30, &st, &e), 0);
	assert_int_equal(st.id, 5);
	assert_string_equal(st.spec.proto, "x");
	assert_int_equal(rk_api_decode_port_status("", 0, &st, &e), -EINVAL);
	assert_string_equal(e.msg, "EOF");
}

static void test_decode_info(void **state)
{
	static const char weird[] =
	    "{\"apiVersion\":\"1\",\"version\":\"v<\",\"stateDir\":\"/x\",\"childPID\":3,"
	    "\"networkDriver\":{\"driver\":\"d\",\"dns\":[\"::ffff:1.2.3.4\",\"\",\"::1.2.3.4\","
	    "\"FD00:0:0::3\",null],\"childIP\":\"\"},\"portDriver\":{}}";
	static const struct {
		const char *in, *msg;
	} bad[] = {
	    /* measured with /usr/bin/rootlessctl info against a fake server */
	    {"5", "json: cannot unmarshal number into Go value of type api.Info"},
	    {"{\"networkDriver\":\"x\"}", "json: cannot unmarshal string into Go struct field "
					  "Info.networkDriver of type api.NetworkDriverInfo"},
	    {"{\"childPID\":1e2}",
	     "json: cannot unmarshal number 1e2 into Go struct field Info.childPID of type int"},
	    {"{\"networkDriver\":{\"childIP\":\"x\"},\"apiVersion\":[1]}", "invalid IP address: x"},
	    {"{\"networkDriver\":{\"dns\":[5]},\"apiVersion\":[1]}",
	     "json: cannot unmarshal number into Go struct field "
	     "NetworkDriverInfo.networkDriver.dns of type net.IP"},
	    {"{\"networkDriver\":{\"dns\":[5],\"childIP\":\"x\"}}", "invalid IP address: x"},
	    {"{\"networkDriver\":{\"dns\":\"x\"}}", "json: cannot unmarshal string into Go struct "
						    "field NetworkDriverInfo.networkDriver.dns "
						    "of type []net.IP"},
	    {"{\"networkDriver\":{\"childIP\":{}}}",
	     "json: cannot unmarshal object into Go struct field "
	     "NetworkDriverInfo.networkDriver.childIP of type net.IP"},
	    {"{\"portDriver\":{\"protos\":[1]}}",
	     "json: cannot unmarshal number into Go struct field PortDriverInfo.portDriver.protos "
	     "of type string"},
	    {"{\"portDriver\":{\"disallowLoopbackChildIP\":\"true\"}}",
	     "json: cannot unmarshal string into Go struct field "
	     "PortDriverInfo.portDriver.disallowLoopbackChildIP of type bool"},
	    {"{\"networkDriver\":{\"childIP\":\"1.2.3.04\"}}", "invalid IP address: 1.2.3.04"},
	    {"{\"networkDriver\":{\"childIP\":\"fe80::1%eth0\"}}",
	     "invalid IP address: fe80::1%eth0"},
	};
	struct rk_api_info info;
	struct rk_err e;

	assert_int_equal(rk_api_decode_info(weird, sizeof(weird) - 1, &info, &e), 0);
	assert_string_equal(info.version, "v<");
	assert_int_equal(info.child_pid, 3);
	assert_true(info.has_net);
	assert_int_equal(info.net.n_dns, 5);
	assert_string_equal(info.net.dns[0], "1.2.3.4");
	assert_string_equal(info.net.dns[1], "");
	assert_string_equal(info.net.dns[2], "::102:304");
	assert_string_equal(info.net.dns[3], "fd00::3");
	assert_string_equal(info.net.dns[4], "");
	assert_string_equal(info.net.child_ip, "");
	assert_true(info.has_port);
	assert_true(info.port.protos_null);
	{
		static const char two[] = "{\"networkDriver\":{},\"networkDriver\":null,"
					  "\"portDriver\":{\"protos\":[]}}";
		assert_int_equal(rk_api_decode_info(two, sizeof(two) - 1, &info, &e), 0);
	}
	assert_false(info.has_net);
	assert_false(info.port.protos_null);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rk_api_decode_info(bad[i].in, strlen(bad[i].in), &info, &e),
				 -EINVAL);
		assert_string_equal(e.msg, bad[i].msg);
	}
}

static void test_strconv_quote(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} c[] = {
	    /* measured: rootlessctl's body=%q of a non-JSON error body */
	    {"\x01\xff\xc3\xa9\xc2\xa0\"\\\n\t<\x7f", 12,
	     "\"\\x01\\xff\xc3\xa9\\u00a0\\\"\\\\\\n\\t<\\x7f\""},
	    {"404 page not found\n", 19, "\"404 page not found\\n\""},
	    {"", 0, "\"\""},
	    {"a\0b", 3, "\"a\\x00b\""},
	    {"\a\b\f\v\r", 5, "\"\\a\\b\\f\\v\\r\""},
	    {"\xc2\x85\xc2\xad\xe2\x80\xa8\xef\xbb\xbf", 10, "\"\\u0085\\u00ad\\u2028\\ufeff\""},
	    {"\xf0\x9f\x98\x80\xf3\xa0\x80\x81\xed\xa0\x80", 11,
	     "\"\xf0\x9f\x98\x80\\U000e0001\\xed\\xa0\\x80\""},
	    {"\xef\xbf\xbd\xe4\xb8\x96", 6, "\"\xef\xbf\xbd\xe4\xb8\x96\""},
	};
	char out[128], small[8];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t n = go_strconv_quote(c[i].in, c[i].len, out, sizeof(out));
		assert_string_equal(out, c[i].out);
		assert_int_equal(n, strlen(c[i].out));
	}
	/* cut between escapes, length still counted */
	assert_int_equal(go_strconv_quote("ab\ncd", 5, small, sizeof(small)), 8);
	assert_string_equal(small, "\"ab\\ncd");
	assert_int_equal(go_strconv_quote("abcdefgh", 8, small, sizeof(small)), 10);
	assert_string_equal(small, "\"abcdef");
}

static void test_quote_char(void **state)
{
	static const struct {
		unsigned char c;
		const char *q;
	} c[] = {{'x', "'x'"},	      {'\'', "'\\''"},	    {'"', "'\"'"},
		 {'\\', "'\\\\'"},    {'\n', "'\\n'"},	    {0, "'\\x00'"},
		 {0x7f, "'\\x7f'"},   {0x80, "'\\u0080'"},  {0xa0, "'\\u00a0'"},
		 {0xad, "'\\u00ad'"}, {0xff, "'\xc3\xbf'"}, {0xef, "'\xc3\xaf'"}};
	char q[16];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		go_quote_char(c[i].c, q);
		assert_string_equal(q, c[i].q);
	}
}

static void test_utf8(void **state)
{
	uint32_t r;

	assert_int_equal(go_utf8_decode("\xc3\xa9", 2, &r), 2);
	assert_int_equal(r, 0xe9);
	assert_int_equal(go_utf8_decode("\xc0\xaf", 2, &r), 1); /* overlong */
	assert_int_equal(r, GO_RUNE_ERROR);
	assert_int_equal(go_utf8_decode("\xe2\x82", 2, &r), 1);		/* short */
	assert_int_equal(go_utf8_decode("\xf4\x90\x80\x80", 4, &r), 1); /* > U+10FFFF */
	assert_int_equal(go_utf8_decode("\xf4\x8f\xbf\xbf", 4, &r), 4);
	assert_int_equal(r, 0x10ffff);
	assert_int_equal(go_utf8_decode("", 0, &r), 0);
	assert_int_equal(go_utf8_runes("\xff\xfe\xc3\xa9x", 5), 4);
	assert_true(go_is_print(' '));
	assert_false(go_is_print(0xa0));
	assert_true(go_is_print(0xa1));
	assert_false(go_is_print(0x2028));
	assert_true(go_is_print(0x1f600));
	assert_false(go_is_print(0x10ffff));
}

static void test_ip(void **state)
{
	static const struct {
		const char *in, *out;
	} c[] = {
	    /* measured: rootlessctl info prints these */
	    {"::ffff:1.2.3.4", "1.2.3.4"}, {"::1.2.3.4", "::102:304"},
	    {"FD00:0:0::3", "fd00::3"},	   {"0:0:0:0:0:0:0:0", "::"},
	    {"::0.0.0.1", "::1"},	   {"1::", "1::"},
	    {"1:0:0:2::3", "1:0:0:2::3"},  {"2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
	    {"10.0.2.100", "10.0.2.100"},  {"1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"},
	};
	char buf[GO_IP_STRING_MAX];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_true(go_ip_canonical(c[i].in, buf, sizeof(buf)));
		assert_string_equal(buf, c[i].out);
	}
	assert_false(go_ip_canonical("1.2.3.04", buf, sizeof(buf)));
	assert_false(go_ip_canonical("fe80::1%eth0", buf, sizeof(buf)));
	assert_false(go_ip_canonical("", buf, sizeof(buf)));
}

static void test_key_fold(void **state)
{
	assert_true(rk_gojson_key_is("parentPort", "PARENTPORT", 10));
	assert_false(rk_gojson_key_is("parentPort", "parentPort ", 11));
	assert_false(rk_gojson_key_is("parentPort", "parentPor", 9));
	assert_true(rk_gojson_key_is("stateDir", "\xc5\xbftatedir", 9)); /* U+017F */
	assert_true(rk_gojson_key_is("disallowLoopbackChildIP",
				     "disallowLoopbac\xe2\x84\xaa"
				     "ChildIP",
				     25)); /* U+212A Kelvin */
	assert_false(rk_gojson_key_is("proto", "pr\xc3\xb6to", 6));
	assert_false(rk_gojson_key_is("proto", "pr@to", 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decoder_matches_go),
	    cmocka_unit_test(test_decode_ok),
	    cmocka_unit_test(test_decode_unrepresentable),
	    cmocka_unit_test(test_encode_ports),
	    cmocka_unit_test(test_encode_info),
	    cmocka_unit_test(test_encode_error_and_escaping),
	    cmocka_unit_test(test_gojson_dump),
	    cmocka_unit_test(test_check_valid),
	    cmocka_unit_test(test_error_body),
	    cmocka_unit_test(test_decode_status_list),
	    cmocka_unit_test(test_decode_status),
	    cmocka_unit_test(test_decode_info),
	    cmocka_unit_test(test_strconv_quote),
	    cmocka_unit_test(test_quote_char),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_ip),
	    cmocka_unit_test(test_key_fold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
