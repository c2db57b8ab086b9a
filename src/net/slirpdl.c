// SPDX-License-Identifier: Apache-2.0
/*
 * slirpdl.c - libslirp loaded with dlopen on first use (see slirpdl.h for why). A missing or
 * too old library is an error of --net=gvisor-tap-vsock alone; every other driver runs without it.
 */
#include "net/slirpdl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

#define RK_SLIRP_SONAME "libslirp.so.0"

static struct rk_slirp_api rk_slirp;
static void *rk_slirp_handle;

static const struct {
	const char *name;
	size_t off;
} rk_slirp_syms[] = {
    {"slirp_new", offsetof(struct rk_slirp_api, new_)},
    {"slirp_cleanup", offsetof(struct rk_slirp_api, cleanup)},
    {"slirp_input", offsetof(struct rk_slirp_api, input)},
    {"slirp_pollfds_fill", offsetof(struct rk_slirp_api, pollfds_fill)},
    {"slirp_pollfds_poll", offsetof(struct rk_slirp_api, pollfds_poll)},
    {"slirp_handle_timer", offsetof(struct rk_slirp_api, handle_timer)},
    {"slirp_add_hostxfwd", offsetof(struct rk_slirp_api, add_hostxfwd)},
    {"slirp_remove_hostxfwd", offsetof(struct rk_slirp_api, remove_hostxfwd)},
    {"slirp_version_string", offsetof(struct rk_slirp_api, version_string)},
    /* glib is libslirp's dependency: dlsym on libslirp's handle searches it too */
    {"g_log_set_handler", offsetof(struct rk_slirp_api, g_log_set_handler)},
};

const struct rk_slirp_api *rk_slirp_load(struct rk_err *err)
{
	struct rk_slirp_api api = {0};
	void *h;

	if (rk_slirp_handle)
		return &rk_slirp;
	if (!(h = dlopen(RK_SLIRP_SONAME, RTLD_NOW | RTLD_LOCAL))) {
		const char *e = dlerror();
		rk_err_set(err, ENOENT,
			   "--net=gvisor-tap-vsock needs libslirp >= 4.7 (Debian: libslirp0): %s",
			   e ? e : RK_SLIRP_SONAME ": cannot be loaded");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(rk_slirp_syms) / sizeof(rk_slirp_syms[0]); i++) {
		void *f;

		dlerror();
		if (!(f = dlsym(h, rk_slirp_syms[i].name))) {
			rk_err_set(
			    err, ENOENT,
			    "--net=gvisor-tap-vsock needs libslirp >= 4.7 (Debian: libslirp0): "
			    "%s has no %s",
			    RK_SLIRP_SONAME, rk_slirp_syms[i].name);
			dlclose(h);
			return NULL;
		}
		/* a function pointer stored through its slot's address: POSIX guarantees dlsym's
		 * void * converts to a function pointer */
		*(void **)((char *)&api + rk_slirp_syms[i].off) = f;
	}
	rk_slirp = api;
	rk_slirp_handle = h;
	return &rk_slirp;
}
