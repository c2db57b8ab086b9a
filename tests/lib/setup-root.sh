#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One-time, idempotent machine set-up for the integration tests and benchmarks (needs root):
#  - the unprivileged test user (rktest) with exactly one sub-ID range 100000:65536 in
#    /etc/subuid and /etc/subgid (rootlesskit 1.1.0 breaks with duplicate ranges);
#  - /dev/net/tun usable by everyone (mode 0666, Debian's default; slirp4netns needs it);
#  - user namespaces allowed (sysctls, where the kernel has them);
#  - the privileged helper and the sudoers entry that lets the test user run only it;
#  - the lines "rktest veth rkbr0 32" and "rktest veth rkbr1 32" in /etc/lxc/lxc-usernet
#    (lxc-user-nic may then attach up to 32 veths of the test user to the bed's bridges; rkbr1
#    has no DHCP server; other lines are kept);
#  - /srv/rootlesskit-test/prop: a fresh rshared tmpfs owned by the test user (not with
#    --no-prop, which the benchmarks use: they need no mounts and leave a running test alone).
# The per-run parts (cgroup, network namespace) are in cgroup.sh and as-test-user.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/common.sh
. "$here/common.sh"
rk_require_root "$0"
rk_trap_errors

user=$RK_TEST_USER

setup_user() {
	if ! getent passwd "$user" >/dev/null; then
		rk_log "creating user $user"
		useradd -m -s /bin/bash "$user"
	fi
	local home
	home=$(getent passwd "$user" | cut -d: -f6)
	if [ ! -d "$home" ]; then
		install -d -m 0755 -o "$user" -g "$(id -g "$user")" "$home"
	fi
}

# Leave exactly one line "$user:START:COUNT" in FILE; drop other lines naming the user or its uid.
set_subid_range() {
	local file=$1 id=$2 want="$user:$RK_TEST_SUBID_START:$RK_TEST_SUBID_COUNT" tmp
	if [ -f "$file" ] && [ "$(grep -c -E "^($user|$id):" "$file")" = 1 ] && grep -qx "$want" "$file"; then
		return 0
	fi
	rk_log "setting $file: $want"
	tmp=$(mktemp "$file.XXXXXX")
	if [ -f "$file" ]; then
		grep -v -E "^($user|$id):" "$file" >"$tmp" || true
	fi
	echo "$want" >>"$tmp"
	chmod 0644 "$tmp"
	mv -f "$tmp" "$file"
}

setup_subids() {
	set_subid_range /etc/subuid "$(id -u "$user")"
	set_subid_range /etc/subgid "$(id -g "$user")"
	local got
	got=$(getsubids "$user" 2>/dev/null | awk '{ print $3 ":" $4 }' | tr '\n' ' ')
	[ "$got" = "$RK_TEST_SUBID_START:$RK_TEST_SUBID_COUNT " ] ||
		rk_warn "getsubids $user says '$got', expected $RK_TEST_SUBID_START:$RK_TEST_SUBID_COUNT"
}

setup_tun() {
	if [ ! -c /dev/net/tun ]; then
		mkdir -p /dev/net
		mknod /dev/net/tun c 10 200
	fi
	if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
		rk_log "chmod 0666 /dev/net/tun (was $(stat -c %a /dev/net/tun))"
		chmod 0666 /dev/net/tun
	fi
}

# Set a sysctl to VALUE if the kernel has it and it differs (Debian/Ubuntu-only knobs included).
set_sysctl() {
	local file=/proc/sys/$1 want=$2
	[ -w "$file" ] || return 0
	if [ "$(cat "$file")" != "$want" ]; then
		rk_log "sysctl $1: $(cat "$file") -> $want"
		echo "$want" >"$file"
	fi
}

setup_userns() {
	set_sysctl kernel/unprivileged_userns_clone 1
	set_sysctl kernel/apparmor_restrict_unprivileged_userns 0
	local max
	max=$(cat /proc/sys/user/max_user_namespaces)
	[ "$max" -ge 1024 ] || set_sysctl user/max_user_namespaces 15000
}

setup_privhelper() {
	install -d -m 0755 -o root -g root "$(dirname "$RK_TEST_PRIVHELPER_PATH")"
	install -m 0755 -o root -g root "$here/privhelper" "$RK_TEST_PRIVHELPER_PATH"
	local tmp
	tmp=$(mktemp)
	cat >"$tmp" <<-SUDOERS
	# Installed by tests/lib/setup-root.sh (rootlesskit tests): the test user may run the
	# test privhelper as root without a password, and nothing else.
	$user ALL=(root) NOPASSWD: $RK_TEST_PRIVHELPER_PATH
	SUDOERS
	visudo -q -c -f "$tmp" >/dev/null
	install -d -m 0750 /etc/sudoers.d
	install -m 0440 -o root -g root "$tmp" "$RK_TEST_SUDOERS"
	rm -f "$tmp"
	grep -q '^@includedir /etc/sudoers.d' /etc/sudoers ||
		grep -q '^#includedir /etc/sudoers.d' /etc/sudoers ||
		echo '@includedir /etc/sudoers.d' >>/etc/sudoers
}

# Let the test user attach veths to the test bed's bridges with lxc-user-nic (SUID root).
LXC_USERNET=/etc/lxc/lxc-usernet
# the bridges that tests/lib/netns-setup.sh makes in the test network namespace (rkbr1: no DHCP)
LXC_BRIDGES="rkbr0 rkbr1"
setup_lxc_usernet() {
	local br want ours tmp ok=1
	for br in $LXC_BRIDGES; do
		want="$user veth $br 32"
		ours="^${user}[[:space:]]+veth[[:space:]]+${br}([[:space:]]|\$)" # any count
		if ! [ -f "$LXC_USERNET" ] || ! grep -qx "$want" "$LXC_USERNET" ||
			[ "$(grep -c -E "$ours" "$LXC_USERNET")" != 1 ]; then
			ok=0
		fi
	done
	[ "$ok" = 0 ] || return 0
	install -d -m 0755 "$(dirname "$LXC_USERNET")"
	tmp=$(mktemp "$LXC_USERNET.XXXXXX")
	[ ! -f "$LXC_USERNET" ] || cp "$LXC_USERNET" "$tmp"
	for br in $LXC_BRIDGES; do
		want="$user veth $br 32"
		ours="^${user}[[:space:]]+veth[[:space:]]+${br}([[:space:]]|\$)"
		rk_log "setting $LXC_USERNET: $want"
		grep -v -E "$ours" "$tmp" >"$tmp.new" || true
		echo "$want" >>"$tmp.new"
		mv -f "$tmp.new" "$tmp"
	done
	chmod 0644 "$tmp"
	mv -f "$tmp" "$LXC_USERNET"
}

# A fresh tmpfs every run: whatever an earlier run left mounted or created below it goes away.
setup_prop() {
	install -d -m 0755 -o root -g root "$RK_TEST_ROOT"
	install -d -m 0755 "$RK_TEST_PROP"
	if mountpoint -q "$RK_TEST_PROP"; then
		umount -R "$RK_TEST_PROP" || umount -R -l "$RK_TEST_PROP"
	fi
	mount -t tmpfs -o "mode=0755,size=64m,uid=$(id -u "$user"),gid=$(id -g "$user")" \
		rootlesskit-test-prop "$RK_TEST_PROP"
	mount --make-rshared "$RK_TEST_PROP"
}

setup_user
setup_subids
setup_tun
setup_userns
setup_privhelper
setup_lxc_usernet
if [ "${1:-}" = --no-prop ]; then
	rk_log "root set-up done: user $user, $RK_TEST_PRIVHELPER_PATH"
else
	setup_prop
	rk_log "root set-up done: user $user, $RK_TEST_PROP (rshared tmpfs), $RK_TEST_PRIVHELPER_PATH"
fi
