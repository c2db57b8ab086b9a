/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s4reply.h - slirp4netns API messages for the slirp4netns port driver (SPEC 8.3): the request
 * lines we send and the strict parsing of the replies it sends back (outside input: bounded,
 * unit-tested, fuzzed in tests/fuzz/fuzz_s4reply.c).
 */
#ifndef RK_PORT_S4REPLY_H
#define RK_PORT_S4REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Longest reply we read; slirp4netns' replies are under 200 bytes. */
#define RK_S4_REPLY_MAX 65536

/**
 * rk_s4_add_request - the add_hostfwd request line (JSON + "\n"), malloc'd into *@out.
 * Return: its length or -ENOMEM.
 */
int rk_s4_add_request(const char *proto, const char *host_addr, int host_port,
		      const char *guest_addr, int guest_port, char **out);

/** rk_s4_remove_request - the remove_hostfwd request line for @id. Return: length or -ENOMEM. */
int rk_s4_remove_request(int64_t id, char **out);

/**
 * rk_s4_reply_parse - a reply to an add (@want_id) or a remove. upstream's texts on failure:
 * `reply.Error: map[desc:<d>]` for {"error":{...}}, `unexpected reply: ...` without a
 * "return" id, `unexpected id: ...` for an id that is not a number, and Go's JSON errors
 * for bytes that are not JSON (`unexpected end of JSON input`, `invalid character ...`).
 * @id: the id of an add's reply (integral part, in 0..INT32_MAX).
 * Return: 0 or -EPROTO with @err.
 */
int rk_s4_reply_parse(const char *buf, size_t len, int want_id, int64_t *id, struct rk_err *err);

#endif
