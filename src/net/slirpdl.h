/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slirpdl.h - libslirp, loaded on first use: only --net=gvisor-tap-vsock maps libslirp and what
 * it brings (glib, pcre2, libm). Linked in, they cost every run about 1.1 MiB of the parent's
 * resident memory and their relocations at start-up, whatever the network driver.
 */
#ifndef RK_NET_SLIRPDL_H
#define RK_NET_SLIRPDL_H

#include <glib.h>
#include <slirp/libslirp.h>

#include "util/err.h"

/* The functions the stack calls, typed as libslirp's and glib's headers declare them. */
struct rk_slirp_api {
	__typeof__(slirp_new) *new_;
	__typeof__(slirp_cleanup) *cleanup;
	__typeof__(slirp_input) *input;
	__typeof__(slirp_pollfds_fill) *pollfds_fill;
	__typeof__(slirp_pollfds_poll) *pollfds_poll;
	__typeof__(slirp_handle_timer) *handle_timer;
	__typeof__(slirp_add_hostxfwd) *add_hostxfwd;
	__typeof__(slirp_remove_hostxfwd) *remove_hostxfwd;
	__typeof__(slirp_version_string) *version_string;
	__typeof__(g_log_set_handler) *g_log_set_handler;
};

/**
 * rk_slirp_load - dlopen libslirp (its SONAME, libslirp.so.0) once and resolve the table. Not
 * thread-safe: the parent's main thread calls it before the stack's thread exists.
 * Return: the table, or NULL with @err ("--net=gvisor-tap-vsock needs libslirp ...: <dlerror>").
 */
const struct rk_slirp_api *rk_slirp_load(struct rk_err *err);

#endif
