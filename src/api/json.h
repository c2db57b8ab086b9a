/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - the JSON mapping of the REST API (SPEC §10.1): encoders for the server's answers and
 * rootlessctl's --json output, the server's decoder of POST /v1/ports bodies, and rootlessctl's
 * decoders of the server's answers.
 *
 * Output is byte for byte what upstream's Go code prints (json.Marshal of port.Spec,
 * port.Status, api.Info; json.MarshalIndent(info, "", "    "); the error body written by
 * json.NewEncoder(w).Encode), and every decoder reproduces what Go's json.NewDecoder(r).Decode
 * says about bad input, down to the error text. The Go-compatible engine is gojson.h.
 *
 * Sizes: the struct fields are fixed buffers. A string longer than its field (or holding a NUL
 * byte) cannot be stored; see each decoder for what it answers then.
 */
#ifndef RK_API_JSON_H
#define RK_API_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/portspec.h"

#define RK_API_VERSION "1.1.1"

/* IP text (longest: 45 bytes); DNS servers and protos an Info can carry. */
#define RK_API_IP_MAX	     64
#define RK_API_DNS_MAX	     8
#define RK_API_PROTOS_MAX    16
#define RK_API_NAME_MAX	     64
#define RK_API_STATE_DIR_MAX 4096

/* port.Status: an ID and the spec as the port driver stored it. */
struct rk_api_port_status {
	long long id;
	struct rk_port_spec spec;
};

/* api.NetworkDriverInfo */
struct rk_api_net_info {
	char driver[RK_API_NAME_MAX];
	size_t n_dns;
	char dns[RK_API_DNS_MAX][RK_API_IP_MAX]; /* "" stands for Go's nil net.IP */
	char child_ip[RK_API_IP_MAX];		 /* "" when none (omitted) */
	bool dynamic_child_ip;
};

/* api.PortDriverInfo */
struct rk_api_port_info {
	char driver[RK_API_NAME_MAX];
	bool protos_null; /* Go's nil slice: encoded as null (the server never sends one) */
	size_t n_protos;
	char protos[RK_API_PROTOS_MAX][8];
	bool disallow_loopback_child_ip;
};

/* api.Info */
struct rk_api_info {
	char api_version[RK_API_NAME_MAX];
	char version[RK_API_NAME_MAX];
	char state_dir[RK_API_STATE_DIR_MAX];
	long long child_pid;
	bool has_net; /* networkDriver present (absent for host) */
	struct rk_api_net_info net;
	bool has_port; /* portDriver present (absent for none/implicit) */
	struct rk_api_port_info port;
};

/**
 * rk_api_encode_port_spec - json.Marshal(port.Spec): compact, fields proto, parentIP,
 * parentPort, childPort, childIP, each omitted when empty/0; no trailing newline.
 * @out: gets a malloc'd NUL-terminated text (free() it); @outlen: its length (may be NULL).
 * Return: 0 or -ENOMEM.
 */
int rk_api_encode_port_spec(const struct rk_port_spec *s, char **out, size_t *outlen);

/** rk_api_encode_port_status - json.Marshal(port.Status): `{"id":N,"spec":{...}}`. */
int rk_api_encode_port_status(const struct rk_api_port_status *st, char **out, size_t *outlen);

/**
 * rk_api_encode_port_status_list - json.Marshal([]port.Status) for GET /v1/ports: `[...]` in
 * the order given, `null` when @n is 0.
 */
int rk_api_encode_port_status_list(const struct rk_api_port_status *v, size_t n, char **out,
				   size_t *outlen);

/**
 * rk_api_encode_info - json.Marshal(api.Info) (@indent false), or json.MarshalIndent(info, "",
 * "    ") (@indent true, for `rootlessctl info --json`, which adds the newline itself). IPs are
 * printed as Go's net.IP prints them (canonical form).
 */
int rk_api_encode_info(const struct rk_api_info *info, bool indent, char **out, size_t *outlen);

/**
 * rk_api_encode_error - the error body `{"message":"<msg>"}` + "\n" (json.Encoder.Encode).
 * @msg: NUL-terminated.
 */
int rk_api_encode_error(const char *msg, char **out, size_t *outlen);

/**
 * rk_api_decode_port_spec - the server's decoding of a POST /v1/ports body, as upstream's
 * json.NewDecoder(body).Decode(&spec): only the first JSON value counts (bytes after it are
 * ignored), keys match case-insensitively, unknown keys and nulls are ignored, the last of
 * duplicate keys wins, the first type error is reported.
 * @err: Go's text on failure: `EOF`, `unexpected EOF`, `invalid character ...`, `json: cannot
 * unmarshal ...`. A value Go would store but @out cannot hold faithfully (a string longer than
 * its field, holding NUL or non-ASCII bytes; a port outside the C int range) is reported with
 * the text Go's validation (rk_portspec_validate's checks, in its order) gives for the whole
 * spec, e.g. `invalid ParentIP: "<ip>"` or `unknown proto: "\u00a0"`: such a value never
 * passes that validation. The text is cut to fit struct rk_err (Go would echo it whole).
 * Return: 0 (@out filled; validate it next), -EINVAL, or -ENOMEM.
 */
int rk_api_decode_port_spec(const char *body, size_t len, struct rk_port_spec *out,
			    struct rk_err *err);

/**
 * rk_api_decode_port_status_list - rootlessctl's decoding of GET /v1/ports (into
 * []port.Status, first value only). `null` and `[]` give @n 0.
 * @out: gets a malloc'd array (free() it; NULL when @n is 0).
 * @err: Go's text for bad input, e.g. `json: cannot unmarshal string into Go struct field
 * Spec.spec.parentPort of type int`. Strings too long for the struct's fields, and ports outside
 * the C int range, are refused with `json: <what> too long for Go struct field ...` style texts
 * of our own (Go has no limit; no server sends such values).
 * Return: 0, -EINVAL or -ENOMEM.
 */
int rk_api_decode_port_status_list(const char *body, size_t len, struct rk_api_port_status **out,
				   size_t *n, struct rk_err *err);

/** rk_api_decode_port_status - the same for one port.Status (POST /v1/ports' answer). */
int rk_api_decode_port_status(const char *body, size_t len, struct rk_api_port_status *out,
			      struct rk_err *err);

/**
 * rk_api_decode_info - rootlessctl's decoding of GET /v1/info into api.Info. IPs are parsed as
 * Go's net.IP does (`invalid IP address: <text>`) and kept in canonical form; "" and null give
 * Go's nil IP.
 */
int rk_api_decode_info(const char *body, size_t len, struct rk_api_info *out, struct rk_err *err);

/**
 * rk_api_decode_error_body - what upstream's client makes of a non-2xx answer's body:
 * json.Unmarshal into {"message": string} (exactly one value, keys case-insensitive).
 * @msg, @msglen: on success the message, malloc'd (may be empty, may hold NULs).
 * Return: 0 when the body is such JSON, -EINVAL when it is "not JSON" (the caller then prints
 * `unexpected HTTP status <Status>, body=<quoted>`), -ENOMEM.
 */
int rk_api_decode_error_body(const char *body, size_t len, char **msg, size_t *msglen);

#endif
