#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The per-run cgroup2 directory delegated to the test user (needs root).
#
#   cgroup.sh create [PID]  print the path of a new <cgroup2 mount>/rootlesskit-test/run-PID
#                       for the run of process PID (default: the caller), owned (chown -R) by
#                       the test user, with every controller the parent offers enabled for it
#                       (best effort); prints nothing if cgroup2 is not mounted. Leftovers of
#                       runs whose process is gone are killed and removed first.
#   cgroup.sh remove P  kill every process left in P and below, then remove P.
#
# On a hybrid (v1+v2) layout cgroup2 is at /sys/fs/cgroup/unified, on a pure v2 one at
# /sys/fs/cgroup; the mount point is read from /proc/self/mountinfo.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/common.sh
. "$here/common.sh"
rk_require_root "$0"
rk_trap_errors

# Kill everything in cgroup $1 and its descendants, then rmdir them, deepest first.
remove_tree() {
	local dir=$1 pids
	[ -d "$dir" ] || return 0
	for _ in $(seq 50); do
		pids=$(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null) || true
		[ -n "$pids" ] || break
		if [ -e "$dir/cgroup.kill" ]; then
			echo 1 >"$dir/cgroup.kill" 2>/dev/null || true
		fi
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
		sleep 0.1
	done
	find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
	[ ! -d "$dir" ] || rk_warn "could not remove cgroup $dir"
}

# Enable in $1/cgroup.subtree_control every controller listed in $1/cgroup.controllers.
enable_controllers() {
	local dir=$1 c
	# shellcheck disable=SC2013  # one line of space-separated names
	for c in $(cat "$dir/cgroup.controllers"); do
		grep -qw "$c" "$dir/cgroup.subtree_control" && continue
		echo "+$c" >"$dir/cgroup.subtree_control" 2>/dev/null ||
			rk_warn "cannot enable the $c controller in $dir/cgroup.subtree_control"
	done
}

create() {
	local owner=$1 mnt parent run stale
	case "$owner" in '' | *[!0-9]*) echo "cgroup.sh: bad PID '$owner'" >&2; exit 2 ;; esac
	mnt=$(rk_cgroup2_mount)
	if [ -z "$mnt" ]; then
		rk_warn "cgroup2 is not mounted: RK_TEST_CGROUP2 stays unset"
		return 0
	fi
	parent=$mnt/$RK_TEST_CGROUP_PARENT_NAME
	mkdir -p "$parent"
	for stale in "$parent"/run-*; do
		[ -d "$stale" ] || continue
		# Another run (from another chroot, say) may still be going: leave it alone.
		[ -d "/proc/${stale##*/run-}" ] || remove_tree "$stale"
	done
	enable_controllers "$mnt"
	enable_controllers "$parent"
	run=$parent/run-$owner
	[ ! -d "$run" ] || remove_tree "$run"
	mkdir "$run"
	chown -R "$RK_TEST_USER:$(id -g "$RK_TEST_USER")" "$run"
	echo "$run"
}

case "${1:-}" in
create) create "${2:-$PPID}" ;;
remove)
	case "${2:-}" in
	*/"$RK_TEST_CGROUP_PARENT_NAME"/run-[0-9]*) remove_tree "$2" ;;
	*) echo "cgroup.sh: refusing to remove '${2:-}'" >&2; exit 2 ;;
	esac
	;;
*) echo "usage: cgroup.sh create [PID] | cgroup.sh remove PATH" >&2; exit 2 ;;
esac
