#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The network test bed: builds (start) and tears down (stop) the private network the integration
# tests and benchmarks run in. Called as root by tests/lib/as-test-user.sh, from inside the fresh
# network + mount namespaces it made (unshare --net --mount --propagation slave), before it drops
# to the test user:
#
#   netns-setup.sh start DIR   build the bed; DIR is a new empty directory for the bed's files
#                              (a tmpfs is mounted on it in this mount namespace only). Prints
#                              the facts for the tests as NAME=VALUE lines on stdout, the last
#                              one RK_TEST_NETBED=1, and closes stdout when the bed is ready;
#                              then stays, as the parent of the daemons, until `stop` ends them.
#                              Run it in the background: a daemon orphaned to PID 1 may never be
#                              reaped (as on some CI machines).
#   netns-setup.sh stop DIR    stop the daemons started for DIR (pid files: the `start` process
#                              then exits), unmount DIR and remove it. Idempotent; never fails
#                              because something is gone already.
#
# The bed (traffic can reach nothing but this namespace: no interface leads out of it, and
# forwarding is off, so what is routed to the "external" veth is dropped):
#  - lo up with 198.18.0.1/32 and fd42::1/128 (the addresses that play "outside"), 198.18.0.2/32
#    (a name server that is down: nothing listens there) and 169.254.169.254/32 (the cloud
#    metadata address a built-in network must reach);
#  - dnsmasq (DNS only, on 198.18.0.1 and fd42::1 port 53, never forwarding): rk-test.internal
#    is 198.18.0.1 and fd42::1, every other name is NXDOMAIN; queries are logged to DIR/dns.log;
#  - /etc/resolv.conf bind-mounted (this mount namespace only) to "nameserver 198.18.0.1"
#    (and fd42::1 when IPv6 works), a file the test user may rewrite (DNS fail-over tests; they
#    put the original text back); 198.18.9.9 is an address nothing answers at (routed to the
#    external veth and dropped there);
#  - net.ipv4.ping_group_range = 0 2147483647 (ICMP echo sockets for every user);
#    net.ipv4.ip_forward = 0, IPv6 forwarding 0;
#  - veth rkext0 (198.18.1.1/24, fd42:1::1/64) <-> rkext1 (198.18.1.2/24, fd42:1::2/64), both
#    ends here, default routes via rkext1 (198.18.1.2; for IPv6 its link-local fe80::2) on
#    rkext0 (pasta needs an interface with a default route);
#  - bridge rkbr0 (198.18.2.1/24) with a DHCP-only dnsmasq (198.18.2.100-199, router 198.18.2.1,
#    DNS 198.18.0.1, leases in DIR/dhcp.leases) for lxc-user-nic (tests/lib/setup-root.sh puts
#    "rktest veth rkbr0 32" into /etc/lxc/lxc-usernet); a tmpfs on /run/lxc so that its
#    database of NICs stays in this mount namespace;
#  - a fresh sysfs on /sys showing this namespace's interfaces (the mounts below /sys are kept);
#  - /srv/rootlesskit-test/prop made rshared again (unshare made it a slave), so the propagation
#    tests still see mounts made by the privileged helper.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/common.sh
. "$here/common.sh"
rk_require_root "$0"
rk_trap_errors

DNSMASQ=/usr/sbin/dnsmasq
ADDR4=198.18.0.1
ADDR6=fd42::1
DEAD_DNS4=198.18.0.2 BLACKHOLE4=198.18.9.9 METADATA4=169.254.169.254
DNS_NAME=rk-test.internal
EXT_IF=rkext0 EXT_PEER=rkext1
EXT_ADDR4=198.18.1.1 EXT_GW4=198.18.1.2 EXT_ADDR6=fd42:1::1 EXT_PEER6=fd42:1::2
# The IPv6 gateway is rkext1's link-local address: the kernel refuses a global gateway address
# that is local (both ends are here), but checks a link-local one against rkext0 only.
EXT_LL6=fe80::1 EXT_GW6=fe80::2
BRIDGE=rkbr0 # also in tests/lib/setup-root.sh (/etc/lxc/lxc-usernet)
BRIDGE_ADDR4=198.18.2.1
BRIDGE_NODHCP=rkbr1 # a bridge without any DHCP server (fault tests); also in setup-root.sh
DHCP_FIRST=198.18.2.100 DHCP_LAST=198.18.2.199 DHCP_LEASE=10m
LXC_RUN=/run/lxc

usage() {
	echo "usage: netns-setup.sh start|stop DIR" >&2
	exit 2
}

# Never build the bed in the machine's own namespaces: it would reroute and re-resolve the host.
check_private_namespaces() {
	local ns
	for ns in net mnt; do
		if [ "$(readlink /proc/self/ns/$ns)" = "$(readlink /proc/1/ns/$ns)" ]; then
			echo "netns-setup.sh: refusing to run in the $ns namespace of PID 1 (run it after unshare --net --mount)" >&2
			exit 1
		fi
	done
}

set_sysctl() {
	echo "$2" >"/proc/sys/$1"
}

# Set up the interfaces and addresses; sets ipv6=1 when the IPv6 parts could be configured.
setup_links() {
	set_sysctl net/ipv4/ip_forward 0
	set_sysctl net/ipv4/ping_group_range "0 2147483647"
	ip link set lo up
	ip addr add "$ADDR4/32" dev lo
	ip addr add "$DEAD_DNS4/32" dev lo
	ip addr add "$METADATA4/32" dev lo
	ip link add "$EXT_IF" type veth peer name "$EXT_PEER"
	ip addr add "$EXT_ADDR4/24" dev "$EXT_IF"
	ip addr add "$EXT_GW4/24" dev "$EXT_PEER"
	ip link add "$BRIDGE" type bridge
	ip addr add "$BRIDGE_ADDR4/24" dev "$BRIDGE"
	ip link add "$BRIDGE_NODHCP" type bridge
	ipv6=0
	if [ -w /proc/sys/net/ipv6/conf/all/forwarding ] && ip -6 addr add "$ADDR6/128" dev lo 2>/dev/null; then
		ipv6=1
		set_sysctl net/ipv6/conf/all/forwarding 0
		# fixed link-local addresses, usable at once (no DAD)
		ip link set "$EXT_IF" addrgenmode none
		ip link set "$EXT_PEER" addrgenmode none
		ip -6 addr add "$EXT_LL6/64" dev "$EXT_IF" nodad
		ip -6 addr add "$EXT_GW6/64" dev "$EXT_PEER" nodad
		ip -6 addr add "$EXT_ADDR6/64" dev "$EXT_IF" nodad
		ip -6 addr add "$EXT_PEER6/64" dev "$EXT_PEER" nodad
	else
		rk_warn "IPv6 is not usable in the test network namespace: the bed is IPv4 only"
	fi
	ip link set "$EXT_IF" up
	ip link set "$EXT_PEER" up
	ip link set "$BRIDGE" up
	ip link set "$BRIDGE_NODHCP" up
	ip route add default via "$EXT_GW4" dev "$EXT_IF"
	[ "$ipv6" = 0 ] || ip -6 route add default via "$EXT_GW6" dev "$EXT_IF"
}

# The propagation tests need $RK_TEST_PROP shared (see tests/integration/test_mounts.py).
setup_prop() {
	if mountpoint -q "$RK_TEST_PROP"; then
		mount --make-rshared "$RK_TEST_PROP"
	fi
}

# /sys shows the network devices of the namespace that mounted it (the host's). Mount a fresh
# sysfs, made here, on /sys, with the mounts that were below /sys (cgroups, ...) bound again on
# top of it: lxc-user-nic looks for /sys/class/net/BRIDGE/bridge (and takes a bridge it cannot
# see there for an Open vSwitch one). Binding only /sys/class/net would not do: a rootless
# sysfs mount (rootlesskit's child) needs a fully visible sysfs in its mount namespace.
setup_sysfs() {
	local dir=$1 opts sub subs=() m
	opts=$(awk '$5 == "/sys" { o = $6 } END { print o }' /proc/self/mountinfo)
	mkdir "$dir/sys"
	mount -t sysfs -o "${opts:-rw,nosuid,nodev,noexec}" rootlesskit-netbed-sys "$dir/sys"
	# the topmost mounts below /sys, in mount order (mountinfo escapes blanks as \040 etc.)
	while read -r m; do
		for sub in "${subs[@]}"; do
			case "$m" in "$sub" | "$sub"/*) continue 2 ;; esac
		done
		subs+=("$m")
	done < <(awk '$5 ~ "^/sys/" { print $5 }' /proc/self/mountinfo)
	for sub in "${subs[@]}"; do
		case "$sub" in *\\*) rk_warn "not keeping $sub below /sys (odd name)"; continue ;; esac
		if [ -d "$dir/sys${sub#/sys}" ]; then
			mount --rbind "$sub" "$dir/sys${sub#/sys}"
		else
			rk_warn "not keeping $sub below /sys (no such directory in a fresh sysfs)"
		fi
	done
	mount --move "$dir/sys" /sys
	rmdir "$dir/sys"
}

# Bind a file of ours over the file that /etc/resolv.conf names (it may be a symlink).
setup_resolv_conf() {
	local dir=$1 target
	{
		echo "# rootlesskit test bed (tests/lib/netns-setup.sh): the only name server is ours"
		echo "nameserver $ADDR4"
		[ "$ipv6" = 0 ] || echo "nameserver $ADDR6"
	} >"$dir/resolv.conf"
	chmod 0644 "$dir/resolv.conf"
	chown "$RK_TEST_USER" "$dir/resolv.conf"
	target=$(readlink -f /etc/resolv.conf) || target=''
	if [ -z "$target" ] || [ ! -f "$target" ]; then
		echo "netns-setup.sh: /etc/resolv.conf does not lead to a file ($target); cannot redirect it" >&2
		exit 1
	fi
	mount --bind "$dir/resolv.conf" "$target"
}

# start_dnsmasq NAME ARGS...: run dnsmasq in the foreground as a child of this script (so that
# it is reaped here, whatever PID 1 does), logging to DIR/NAME.log, with pid file DIR/NAME.pid;
# wait until it has written the pid file, which it does once its sockets are bound.
start_dnsmasq() {
	local name=$1 pid i
	shift
	"$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
		--pid-file="$dir/$name.pid" --log-facility=- "$@" </dev/null >/dev/null 2>"$dir/$name.log" &
	pid=$!
	daemons+=("$pid")
	for i in $(seq 100); do
		[ "$(cat "$dir/$name.pid" 2>/dev/null)" != "$pid" ] || return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "netns-setup.sh: dnsmasq ($name) did not start:" >&2
			cat "$dir/$name.log" >&2
			exit 1
		fi
		sleep 0.05
	done
	echo "netns-setup.sh: dnsmasq ($name) wrote no pid file in 5 s (i=$i)" >&2
	exit 1
}

setup_daemons() {
	local listen=(--listen-address="$ADDR4") record="$DNS_NAME,$ADDR4"
	if [ "$ipv6" = 1 ]; then
		listen+=(--listen-address="$ADDR6")
		record+=",$ADDR6"
	fi
	# DNS: local data only; --local=/#/ makes every other name NXDOMAIN (no upstream, ever).
	start_dnsmasq dns --port=53 --bind-interfaces "${listen[@]}" --host-record="$record" \
		--local=/#/ --log-queries=extra
	# DHCP on the bridge only; --port=0: no DNS at all; --no-ping: offer at once (nothing else
	# is on the bridge; the ping check would add up to 3 s to every lxc-user-nic start).
	start_dnsmasq dhcp --port=0 --interface="$BRIDGE" --except-interface=lo --bind-interfaces \
		--dhcp-authoritative --no-ping \
		--dhcp-range="$DHCP_FIRST,$DHCP_LAST,255.255.255.0,$DHCP_LEASE" \
		--dhcp-option=option:router,"$BRIDGE_ADDR4" --dhcp-option=option:dns-server,"$ADDR4" \
		--dhcp-leasefile="$dir/dhcp.leases" --log-dhcp
}

start() {
	dir=$1
	daemons=()
	# If the set-up fails half-way, the daemons started so far must not outlive it.
	trap 'kill -TERM "${daemons[@]}" 2>/dev/null || true' EXIT
	check_private_namespaces
	if [ ! -d "$dir" ] || [ -n "$(ls -A "$dir")" ]; then
		echo "netns-setup.sh: $dir is not an empty directory" >&2
		exit 1
	fi
	mount -t tmpfs -o mode=0755,size=16m rootlesskit-netbed "$dir"
	setup_prop
	setup_links
	setup_resolv_conf "$dir"
	setup_sysfs "$dir"
	if [ ! -d "$LXC_RUN" ]; then
		# created on the host's /run (empty; stop removes it again), with a private tmpfs on it here
		mkdir -m 0755 "$LXC_RUN"
		touch "$dir/lxc-run-created"
	fi
	mount -t tmpfs -o mode=0755,size=1m rootlesskit-netbed-lxc "$LXC_RUN"
	setup_daemons
	cat <<-VARS
	RK_TEST_NETBED_DIR=$dir
	RK_TEST_ADDR4=$ADDR4
	RK_TEST_ADDR6=$([ "$ipv6" = 0 ] || echo "$ADDR6")
	RK_TEST_DNS_NAME=$DNS_NAME
	RK_TEST_DEAD_DNS4=$DEAD_DNS4
	RK_TEST_BLACKHOLE4=$BLACKHOLE4
	RK_TEST_METADATA4=$METADATA4
	RK_TEST_DNS_LOG=$dir/dns.log
	RK_TEST_EXT_IF=$EXT_IF
	RK_TEST_EXT_ADDR4=$EXT_ADDR4
	RK_TEST_EXT_GW4=$EXT_GW4
	RK_TEST_EXT_ADDR6=$([ "$ipv6" = 0 ] || echo "$EXT_ADDR6")
	RK_TEST_EXT_GW6=$([ "$ipv6" = 0 ] || echo "$EXT_GW6")
	RK_TEST_EXT_PEER6=$([ "$ipv6" = 0 ] || echo "$EXT_PEER6")
	RK_TEST_BRIDGE=$BRIDGE
	RK_TEST_BRIDGE_ADDR4=$BRIDGE_ADDR4
	RK_TEST_BRIDGE_NODHCP=$BRIDGE_NODHCP
	RK_TEST_DHCP_RANGE=$DHCP_FIRST-$DHCP_LAST
	RK_TEST_DHCP_LEASES=$dir/dhcp.leases
	RK_TEST_DHCP_LOG=$dir/dhcp.log
	RK_TEST_NETBED=1
	VARS
	# Ready: close stdout (the caller reads it to the end), then stay to reap the daemons until
	# `stop` ends them.
	exec >/dev/null
	trap - EXIT
	wait || true
}

# Is process $1 gone? A zombie is: the daemons are orphans, and init may be slow to reap them.
gone() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	st=${st##*) }
	case "${st%% *}" in Z | X) return 0 ;; *) return 1 ;; esac
}

# Stop the daemon whose pid file is $1: only if that PID is still our dnsmasq, in this netns.
stop_daemon() {
	local pidfile=$1 pid i
	[ -s "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	case "$pid" in '' | *[!0-9]*) return 0 ;; esac
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$DNSMASQ" ] || return 0
	[ "$(readlink "/proc/$pid/ns/net")" = "$(readlink /proc/self/ns/net)" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do
		gone "$pid" && return 0
		sleep 0.1
	done
	rk_warn "dnsmasq $pid ($pidfile) ignored SIGTERM for 5 s; killing it (i=$i)"
	kill -KILL "$pid" 2>/dev/null || true
}

stop() {
	local dir=$1 f
	check_private_namespaces
	[ -d "$dir" ] || return 0
	for f in "$dir"/*.pid; do
		[ ! -e "$f" ] || stop_daemon "$f"
	done
	if [ -e "$dir/lxc-run-created" ]; then
		umount "$LXC_RUN" 2>/dev/null || true
		rmdir "$LXC_RUN" 2>/dev/null || rk_warn "could not remove $LXC_RUN"
	fi
	if mountpoint -q "$dir"; then
		umount "$dir" || umount -l "$dir"
	fi
	rmdir "$dir" 2>/dev/null || rk_warn "could not remove $dir"
}

[ $# = 2 ] || usage
case "$1" in
start) start "$2" ;;
stop) stop "$2" ;;
*) usage ;;
esac
