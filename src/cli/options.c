// SPDX-License-Identifier: Apache-2.0
/*
 * options.c - the flag table and a Go-flag-compatible parser (see options.h).
 */
#include "util/err.h"
#include "cli/options.h"
#include "util/goparse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define O(f) offsetof(struct rk_config, f)

/* Categories print in this order (sorted by name, as urfave/cli does). */
const struct rk_option rk_options[] = {
    {"debug", NULL, RK_OPT_BOOL, O(debug), "Misc", "debug mode", "false"},
    {"help", "h", RK_OPT_BOOL, O(help), "Misc", "show help", NULL},
    {"print-semver", NULL, RK_OPT_STRING, O(print_semver), "Misc",
     "print a version component as a decimal integer [major, minor, patch]", NULL},
    {"version", "v", RK_OPT_BOOL, O(version), "Misc", "print the version", NULL},

    {"copy-up", NULL, RK_OPT_SLICE, O(copy_up), "Mount",
     "mount a filesystem and copy-up the contents. e.g. \"--copy-up=/etc\" (typically required "
     "for non-host network)",
     NULL},
    {"copy-up-mode", NULL, RK_OPT_STRING, O(copy_up_mode), "Mount", "copy-up mode [tmpfs+symlink]",
     "\"tmpfs+symlink\""},
    {"propagation", NULL, RK_OPT_STRING, O(propagation), "Mount",
     "mount propagation [rprivate, rslave, private, slave, rshared, shared]", "\"rprivate\""},

    {"cidr", NULL, RK_OPT_STRING, O(cidr), "Network",
     "CIDR for pasta, slirp4netns and gvisor-tap-vsock networks (default: 10.0.2.0/24)", NULL},
    {"detach-netns", NULL, RK_OPT_BOOL, O(detach_netns), "Network", "detach network namespaces",
     "false"},
    {"disable-host-loopback", NULL, RK_OPT_BOOL, O(disable_host_loopback), "Network",
     "prohibit connecting to 127.0.0.1:* on the host namespace", "false"},
    {"ifname", NULL, RK_OPT_STRING, O(ifname), "Network",
     "Network interface name (default: tap0 for slirp4netns and vpnkit, eth0 for lxc-user-nic)",
     NULL},
    {"ipv6", NULL, RK_OPT_BOOL, O(ipv6), "Network",
     "enable IPv6 routing. Unrelated to port forwarding. Only supported for pasta, "
     "slirp4netns and gvisor-tap-vsock. (experimental)",
     "false"},
    {"mtu", NULL, RK_OPT_INT, O(mtu), "Network",
     "MTU for non-host network (default: 65520 for pasta, slirp4netns and gvisor-tap-vsock, "
     "1500 for others)",
     "0"},
    {"net", NULL, RK_OPT_STRING, O(net), "Network", "network driver [host]", "\"host\""},

    {"lxc-user-nic-binary", NULL, RK_OPT_STRING, O(lxc_user_nic_binary), "Network [lxc-user-nic]",
     "path of lxc-user-nic binary for --net=lxc-user-nic", NULL},
    {"lxc-user-nic-bridge", NULL, RK_OPT_STRING, O(lxc_user_nic_bridge), "Network [lxc-user-nic]",
     "lxc-user-nic bridge name", "\"lxcbr0\""},
    {"pasta-binary", NULL, RK_OPT_STRING, O(pasta_binary), "Network [pasta]",
     "path of pasta binary for --net=pasta", "\"pasta\""},
    {"slirp4netns-binary", NULL, RK_OPT_STRING, O(slirp4netns_binary), "Network [slirp4netns]",
     "path of slirp4netns binary for --net=slirp4netns", "\"slirp4netns\""},
    {"slirp4netns-sandbox", NULL, RK_OPT_STRING, O(slirp4netns_sandbox), "Network [slirp4netns]",
     "enable slirp4netns sandbox (experimental) [auto, true, false]", "\"false\""},
    {"slirp4netns-seccomp", NULL, RK_OPT_STRING, O(slirp4netns_seccomp), "Network [slirp4netns]",
     "enable slirp4netns seccomp (experimental) [auto, true, false]", "\"false\""},
    {"vpnkit-binary", NULL, RK_OPT_STRING, O(vpnkit_binary), "Network [vpnkit]",
     "path of VPNKit binary for --net=vpnkit", "\"vpnkit\""},

    {"port-driver", NULL, RK_OPT_STRING, O(port_driver), "Port",
     "port driver for non-host network. [none]", "\"none\""},
    {"publish", "p", RK_OPT_SLICE, O(publish), "Port",
     "publish ports. e.g. \"127.0.0.1:8080:80/tcp\"", NULL},
    {"source-ip-transparent", NULL, RK_OPT_BOOL, O(source_ip_transparent), "Port",
     "Enable IP_TRANSPARENT so that the child process sees the client's source IP "
     "(builtin port driver)",
     "true"},

    {"cgroupns", NULL, RK_OPT_BOOL, O(cgroupns), "Process", "create a cgroup namespace", "false"},
    {"evacuate-cgroup2", NULL, RK_OPT_STRING, O(evacuate_cgroup2), "Process",
     "evacuate processes into the specified subgroup. Requires --pidns and --cgroupns", NULL},
    {"ipcns", NULL, RK_OPT_BOOL, O(ipcns), "Process", "create an IPC namespace", "false"},
    {"pidns", NULL, RK_OPT_BOOL, O(pidns), "Process", "create a PID namespace", "false"},
    {"reaper", NULL, RK_OPT_STRING, O(reaper), "Process",
     "enable process reaper. Requires --pidns. [auto,true,false]", "\"auto\""},
    {"utsns", NULL, RK_OPT_BOOL, O(utsns), "Process", "create a UTS namespace", "false"},

    {"state-dir", NULL, RK_OPT_STRING, O(state_dir), "State", "state directory", NULL},

    {"subid-source", NULL, RK_OPT_STRING, O(subid_source), "SubID",
     "the source of the subids. \"dynamic\" executes /usr/bin/getsubids. \"static\" reads "
     "/etc/{subuid,subgid}. [auto,dynamic,static]",
     "\"auto\""},
};
const size_t rk_options_count = sizeof(rk_options) / sizeof(rk_options[0]);

void rk_config_defaults(struct rk_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->net = "host";
	cfg->pasta_binary = "pasta";
	cfg->slirp4netns_binary = "slirp4netns";
	cfg->slirp4netns_sandbox = "false";
	cfg->slirp4netns_seccomp = "false";
	cfg->vpnkit_binary = "vpnkit";
	cfg->lxc_user_nic_binary = "";
	cfg->lxc_user_nic_bridge = "lxcbr0";
	cfg->cidr = "";
	cfg->ifname = "";
	cfg->copy_up_mode = "tmpfs+symlink";
	cfg->propagation = "rprivate";
	cfg->port_driver = "none";
	cfg->source_ip_transparent = true;
	cfg->reaper = "auto";
	cfg->evacuate_cgroup2 = "";
	cfg->subid_source = "auto";
	cfg->state_dir = "";
	cfg->print_semver = "";
}

void rk_config_free(struct rk_config *cfg)
{
	rk_strv_free(&cfg->copy_up);
	rk_strv_free(&cfg->publish);
}

static const struct rk_option *rk_option_find(const char *name, size_t len)
{
	for (size_t i = 0; i < rk_options_count; i++) {
		const struct rk_option *o = &rk_options[i];
		if ((strlen(o->name) == len && !strncmp(o->name, name, len)) ||
		    (o->alias && strlen(o->alias) == len && !strncmp(o->alias, name, len)))
			return o;
	}
	return NULL;
}

/* urfave/cli v3 slice flags split each value on ',' and trim white space. */
static int rk_slice_add(struct rk_strv *sv, const char *value)
{
	const char *p = value;

	for (;;) {
		const char *e = strchrnul(p, ',');
		const char *s = p, *t = e;
		while (s < t && strchr(" \t\n\r\v\f", *s))
			s++;
		while (t > s && strchr(" \t\n\r\v\f", t[-1]))
			t--;
		if (rk_strv_addf(sv, "%.*s", (int)(t - s), s) < 0)
			return -ENOMEM;
		if (!*e)
			return 0;
		p = e + 1;
	}
}

static int rk_option_set(const struct rk_option *o, const char *name, const char *value,
			 struct rk_config *cfg, struct rk_err *err)
{
	char *field = (char *)cfg + o->offset;
	char q[512];
	int rc;

	switch (o->type) {
	case RK_OPT_BOOL:
		if (go_parse_bool(value, (bool *)field) < 0) {
			go_quote(value, q, sizeof(q));
			return rk_err_set(err, EINVAL,
					  "invalid boolean value %s for -%s: parse error", q, name);
		}
		return 0;
	case RK_OPT_STRING:
		*(const char **)field = value;
		return 0;
	case RK_OPT_INT:
		if ((rc = go_parse_int(value, (int64_t *)field)) < 0) {
			go_quote(value, q, sizeof(q));
			return rk_err_set(err, EINVAL, "invalid value %s for flag -%s: %s", q, name,
					  rc == -ERANGE ? "value out of range" : "parse error");
		}
		return 0;
	case RK_OPT_SLICE:
		if (rk_slice_add((struct rk_strv *)field, value) < 0) {
			return rk_err_set(err, ENOMEM, "out of memory");
		}
		return 0;
	}
	return -EINVAL;
}

/* Parse one flag at argv[*i]; advance *i. Return 1 when flags end, 0 to go on, <0 on error. */
static int rk_parse_one(int argc, char **argv, int *i, struct rk_config *cfg, struct rk_err *err)
{
	const char *s = argv[*i], *name, *eq;
	char namebuf[256];
	size_t len;

	if (strlen(s) < 2 || s[0] != '-')
		return 1;
	name = s + 1;
	if (s[1] == '-') {
		if (!s[2]) {
			(*i)++;
			return 1;
		}
		name = s + 2;
	}
	if (!*name || *name == '-' || *name == '=') {
		return rk_err_set(err, EINVAL, "bad flag syntax: %s", s);
	}
	(*i)++;
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	snprintf(namebuf, sizeof(namebuf), "%.*s", (int)len, name);
	const struct rk_option *o = rk_option_find(name, len);
	if (!o) {
		return rk_err_set(err, EINVAL, "flag provided but not defined: -%s", namebuf);
	}
	if (o->type == RK_OPT_BOOL)
		return rk_option_set(o, namebuf, eq ? eq + 1 : "true", cfg, err);
	if (eq)
		return rk_option_set(o, namebuf, eq + 1, cfg, err);
	if (*i >= argc) {
		return rk_err_set(err, EINVAL, "flag needs an argument: -%s", namebuf);
	}
	return rk_option_set(o, namebuf, argv[(*i)++], cfg, err);
}

int rk_options_parse(int argc, char **argv, struct rk_config *cfg, struct rk_err *err)
{
	int i = 1, rc;

	while (i < argc) {
		rc = rk_parse_one(argc, argv, &i, cfg, err);
		if (rc < 0)
			return rc;
		if (rc == 1)
			break;
	}
	cfg->command = argv + i;
	cfg->command_argc = argc - i;
	return 0;
}
