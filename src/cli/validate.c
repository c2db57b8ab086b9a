// SPDX-License-Identifier: Apache-2.0
/*
 * validate.c - configuration checks in upstream's order (see validate.h).
 */
#include "cli/validate.h"
#include "net/net.h"
#include "port/port.h"
#include "util/fsutil.h"
#include "util/portspec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#define RK_MTU_MAX 65521

unsigned long rk_propagation_flags(const char *v)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} t[] = {
	    {"private", MS_PRIVATE}, {"rprivate", MS_REC | MS_PRIVATE},
	    {"shared", MS_SHARED},   {"rshared", MS_REC | MS_SHARED},
	    {"slave", MS_SLAVE},     {"rslave", MS_REC | MS_SLAVE},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(v, t[i].name))
			return t[i].flags;
	return 0;
}

int rk_cidr_check(const char *cidr)
{
	char addr[64];
	unsigned char buf[16];
	const char *slash = strchr(cidr, '/');
	int family, bits, len;
	char *end;

	if (!slash || (size_t)(slash - cidr) >= sizeof(addr) || !slash[1] || slash[1] == '+' ||
	    slash[1] == '-' || (slash[1] == '0' && slash[2]))
		return -EINVAL;
	memcpy(addr, cidr, (size_t)(slash - cidr));
	addr[slash - cidr] = '\0';
	family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	bits = family == AF_INET ? 32 : 128;
	if (inet_pton(family, addr, buf) != 1)
		return -EINVAL;
	errno = 0;
	long l = strtol(slash + 1, &end, 10);
	if (*end || errno || l < 0 || l > bits)
		return -EINVAL;
	len = (int)l;
	for (int b = len; b < bits; b++)
		if (buf[b / 8] & (0x80 >> (b % 8)))
			return -EDOM;
	return 0;
}

int rk_reaper_enabled(const struct rk_config *cfg)
{
	if (!strcmp(cfg->reaper, "auto"))
		return cfg->pidns;
	return !strcmp(cfg->reaper, "true");
}

#define FAIL(...) return rk_err_set(err, EINVAL, __VA_ARGS__)
#define WARN(...)                                                                                  \
	do {                                                                                       \
		if (warnings)                                                                      \
			rk_strv_addf(warnings, __VA_ARGS__);                                       \
	} while (0)

static int rk_validate_net(const struct rk_config *cfg, struct rk_choice *out,
			   struct rk_strv *warnings, struct rk_err *err)
{
	const struct rk_net_driver *d;
	const char *net = cfg->net;
	int rc;

	if (cfg->ipv6) {
		WARN("ipv6 is experimental");
		if (strcmp(net, "pasta") && strcmp(net, "slirp4netns"))
			WARN("--ipv6 is discarded for --net=%s", net);
	}
	if (strcmp(net, "host") && strcmp(net, "none") && !cfg->disable_host_loopback)
		WARN("specifying --disable-host-loopback is highly recommended to prohibit "
		     "connecting to 127.0.0.1:* on the host namespace (requires pasta, "
		     "slirp4netns, or VPNKit)");
	if (!(d = rk_net_driver_find(net)))
		FAIL("unknown network mode: %s", net);
	if (d->validate && (rc = d->validate(cfg, warnings, err)) < 0)
		return rc;
	if (!d->built)
		FAIL("%s", d->why_not);
	out->net = d;
	return 0;
}

static int rk_validate_port(const struct rk_config *cfg, struct rk_choice *out, struct rk_err *err)
{
	const struct rk_port_driver *d = rk_port_driver_find(cfg->port_driver);
	struct rk_port_spec spec;
	int rc;

	if (!d)
		FAIL("unknown port driver: %s", cfg->port_driver);
	if (d->validate && (rc = d->validate(cfg, err)) < 0)
		return rc;
	if (!d->built)
		FAIL("port driver \"%s\" is not built in yet (built-in port drivers: %s)", d->name,
		     rk_port_driver_list((char[128]){0}, 128));
	for (size_t i = 0; i < cfg->publish.n; i++) {
		if ((rc = rk_portspec_parse(cfg->publish.v[i], &spec, err)) < 0 ||
		    (rc = rk_portspec_validate(&spec, err)) < 0)
			return rc;
	}
	out->port = d;
	return 0;
}

static int rk_validate_process(const struct rk_config *cfg, struct rk_choice *out,
			       struct rk_err *err)
{
	if (strcmp(cfg->reaper, "auto") && strcmp(cfg->reaper, "true") &&
	    strcmp(cfg->reaper, "false"))
		FAIL("unknown reaper mode: %s", cfg->reaper);
	if (!strcmp(cfg->reaper, "true") && !cfg->pidns)
		FAIL("reaper requires --pidns");
	if (strchr(cfg->evacuate_cgroup2, '/'))
		FAIL("unexpected evacuation group name \"%s\": must not contain \"/\"",
		     cfg->evacuate_cgroup2);
	if (strcmp(cfg->subid_source, "auto") && strcmp(cfg->subid_source, "dynamic") &&
	    strcmp(cfg->subid_source, "static"))
		FAIL("failed to setup UID/GID map: failed to compute uid/gid map: unknown subid "
		     "source \"%s\"",
		     cfg->subid_source);
	out->reaper = rk_reaper_enabled(cfg);
	out->subid = !strcmp(cfg->subid_source, "static")    ? RK_SUBID_STATIC
		     : !strcmp(cfg->subid_source, "dynamic") ? RK_SUBID_DYNAMIC
							     : RK_SUBID_AUTO;
	return 0;
}

static int rk_validate_mounts(const struct rk_config *cfg, struct rk_choice *out,
			      struct rk_strv *warnings, struct rk_err *err)
{
	char clean[PATH_MAX];

	if (strcmp(cfg->copy_up_mode, "tmpfs+symlink"))
		FAIL("unknown copy-up mode: %s", cfg->copy_up_mode);
	if (!rk_propagation_flags(cfg->propagation))
		WARN("unknown propagation mode \"%s\" is ignored (known: private, rprivate, "
		     "shared, rshared, slave, rslave)",
		     cfg->propagation);
	if (cfg->copy_up.n && strstr(cfg->propagation, "shared"))
		FAIL("propagation %s does not support copy-up driver %s", cfg->propagation,
		     cfg->copy_up_mode);
	for (size_t i = 0; i < cfg->copy_up.n; i++) {
		const char *d = cfg->copy_up.v[i];
		if (rk_path_clean(d, clean, sizeof(clean)) < 0)
			FAIL("copy-up path too long: %s", d);
		if (clean[0] != '/')
			FAIL("copy-up path must be absolute: %s", d);
		if (!strcmp(clean, "/tmp"))
			FAIL("/tmp cannot be copied up");
		if (!strcmp(clean, "/"))
			FAIL("/ cannot be copied up");
		if (!strcmp(clean, "/etc"))
			out->etc_copied = true;
	}
	return 0;
}

int rk_config_validate(const struct rk_config *cfg, struct rk_choice *out, struct rk_strv *warnings,
		       struct rk_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (cfg->evacuate_cgroup2[0] && !cfg->cgroupns)
		FAIL("evacuate-cgroup2 requires --cgroupns");
	if (cfg->evacuate_cgroup2[0] && !cfg->pidns)
		FAIL("evacuate-cgroup2 requires --pidns");
	if (cfg->mtu < 0 || cfg->mtu > RK_MTU_MAX)
		FAIL("mtu must be <= %d, got %lld", RK_MTU_MAX, (long long)cfg->mtu);
	if (cfg->cidr[0]) {
		rc = rk_cidr_check(cfg->cidr);
		if (rc == -EINVAL)
			FAIL("invalid CIDR address: %s", cfg->cidr);
		if (rc == -EDOM)
			FAIL("cidr must be like 10.0.2.0/24, not like 10.0.2.100/24");
	}
	if (strchr(cfg->ifname, '/'))
		FAIL("ifname must not contain \"/\"");
	if ((rc = rk_validate_net(cfg, out, warnings, err)) < 0)
		return rc;
	if (strlen(cfg->ifname) >= 16)
		FAIL("ifname must be shorter than 16 bytes, got %s", cfg->ifname);
	if ((rc = rk_validate_port(cfg, out, err)) < 0)
		return rc;
	if ((rc = rk_validate_process(cfg, out, err)) < 0)
		return rc;
	out->propagation = rk_propagation_flags(cfg->propagation);
	return rk_validate_mounts(cfg, out, warnings, err);
}
