/* SPDX-License-Identifier: Apache-2.0 */
/*
 * portspec.h - port spec strings (`-p/--publish`, `rootlessctl add-ports`) and port spec
 * validation (SPEC §9), with upstream RootlessKit's texts.
 *
 * Syntax: [parentIP]:parentPort[:childIP]:childPort/proto, IPv6 in brackets. Parsing follows
 * upstream exactly, quirks included: the part before the last ':' is tokenised like Go's
 * text/scanner (whitespace and Go comments vanish, a "..." literal hides its colons, the token
 * right after a closing ']' is skipped), and a fourth ':' in that part appends to childPort.
 *
 * sctp, sctp4 and sctp6 pass both parsing and validation here, as upstream: the builtin port
 * driver refuses them when adding (`unsupported port protocol <proto>`), slirp4netns refuses them
 * itself (`bad arguments.proto`). Conflicts (`conflict with ID <id>`) are the caller's loop over
 * rk_portspec_conflict().
 */
#ifndef RK_UTIL_PORTSPEC_H
#define RK_UTIL_PORTSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* Longest spec string rk_portspec_parse() accepts (a real one is under 110 bytes). */
#define RK_PORTSPEC_STR_MAX 240
/* Buffer size that always holds rk_portspec_format()'s output. */
#define RK_PORTSPEC_FMT_MAX 176
/* Buffer size that always holds rk_go_quote_int()'s output. */
#define RK_GO_QUOTE_INT_MAX 48

struct rk_port_spec {
	char proto[8];	    /* tcp tcp4 tcp6 udp udp4 udp6 sctp sctp4 sctp6 as typed */
	char parent_ip[64]; /* as typed minus brackets; "" when empty */
	int parent_port;    /* out-of-int-range values are clamped (validation rejects them) */
	int child_port;
	char child_ip[64]; /* "" when absent */
};

/**
 * rk_portspec_parse - parse a `-p` spec string like upstream's ParsePortSpec.
 * @s: the spec, NUL-terminated; at most RK_PORTSPEC_STR_MAX bytes.
 * @out: filled only on success. Ports are not range-checked: call rk_portspec_validate().
 * @err: gets upstream's text, e.g. `missing proto in PortSpec string: "<s>"`.
 * Return: 0 or -EINVAL.
 */
int rk_portspec_parse(const char *s, struct rk_port_spec *out, struct rk_err *err);

/**
 * rk_portspec_validate - upstream's ValidatePortSpec without the conflict check: proto known
 * (`unknown proto: "<p>"`), non-empty IPs parse (`invalid ParentIP: "<ip>"`, `invalid ChildIP:
 * ...`), ports in 1..65535 (`invalid ParentPort: <q>`, `invalid ChildPort: <q>`, <q> being
 * rk_go_quote_int()). Fields without a terminating NUL are invalid.
 * Return: 0 or -EINVAL.
 */
int rk_portspec_validate(const struct rk_port_spec *s, struct rk_err *err);

/**
 * rk_portspec_format - Go's %v of the spec struct, e.g. `{tcp 127.0.0.1 80 80 }`, into @buf
 * (always terminated; RK_PORTSPEC_FMT_MAX bytes never truncate).
 */
void rk_portspec_format(const struct rk_port_spec *s, char *buf, size_t len);

/**
 * rk_portspec_conflict - whether @a and @b claim the same parent socket in upstream's sense:
 * same proto string, same parentIP string and same parentPort ("" vs 0.0.0.0 and tcp vs tcp4
 * do not conflict; child ports may repeat).
 */
bool rk_portspec_conflict(const struct rk_port_spec *a, const struct rk_port_spec *b);

/** rk_portspec_proto_known - whether @proto is one of the nine protos upstream accepts. */
bool rk_portspec_proto_known(const char *proto);

/**
 * rk_portspec_ip_valid - Go's net.ParseIP(@ip) != nil (Go >= 1.22, netip rules): dotted quad
 * without leading zeros, or IPv6 with at most 4 hex digits a group; no zone, no brackets.
 */
bool rk_portspec_ip_valid(const char *ip);

/**
 * rk_go_quote_int - Go's fmt %q of an int into @buf (always terminated): a quoted rune such as
 * 'P', '\x00', '\u0378' or '\U000e0000'; values outside 0..0x10FFFF and surrogates give '\ufffd'
 * printed as the character itself ('�'), as Go does.
 */
void rk_go_quote_int(long long v, char *buf, size_t len);

#endif
