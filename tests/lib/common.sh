# SPDX-License-Identifier: Apache-2.0
# Shared settings and small helpers for the test runner (tests/run.sh) and the benchmarks (bench/).
# Sourced, never run. Everything here is a constant or a function; sourcing has no side effects.

# shellcheck disable=SC2034  # used by the scripts that source this file
RK_TEST_USER=${RK_TEST_USER:-rktest}
RK_TEST_SUBID_START=100000
RK_TEST_SUBID_COUNT=65536
RK_TEST_ROOT=/srv/rootlesskit-test                # root-owned; holds the propagation tmpfs
RK_TEST_PROP=$RK_TEST_ROOT/prop                    # rshared tmpfs owned by the test user
RK_TEST_PRIVHELPER_PATH=/usr/local/libexec/rootlesskit-test/privhelper
RK_TEST_SUDOERS=/etc/sudoers.d/rootlesskit-test
RK_TEST_LOCK=/run/lock/rootlesskit-test.lock      # serialises runs of run.sh and bench/
RK_TEST_CGROUP_PARENT_NAME=rootlesskit-test        # <cgroup2 mount>/<this>/run-<pid> per run
# The only environment the test user gets (plus HOME, USER, LOGNAME and the RK_* variables).
RK_TEST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

rk_log() { printf '==> %s\n' "$*" >&2; }
rk_warn() { printf 'WARNING: %s\n' "$*" >&2; }

rk_require_root() {
	if [ "$(id -u)" != 0 ]; then
		printf 'error: %s must run as root (try: sudo bash %s); it installs packages,\n' "$1" "$1" >&2
		printf '       sets up the test user %s and drops to it for the tests.\n' "$RK_TEST_USER" >&2
		exit 1
	fi
}

# Take the machine-wide lock so two runs do not fight over the test user's mounts and cgroups.
# Uses fd 9; callers must not pass fd 9 on (run children with 9>&-).
rk_take_lock() {
	mkdir -p "$(dirname "$RK_TEST_LOCK")"
	exec 9>"$RK_TEST_LOCK"
	if ! flock -n 9; then
		rk_log "another test or benchmark run holds $RK_TEST_LOCK; waiting for it"
		flock 9
	fi
}

# Print the mount point of the (first) cgroup2 file system, or nothing if there is none.
# Parses /proc/self/mountinfo: the fs type is the first field after the " - " separator.
rk_cgroup2_mount() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
		/proc/self/mountinfo
}

# With set -e, say which command failed instead of exiting silently.
rk_trap_errors() {
	set -E
	trap 'printf "%s: line %s: command failed (status %s): %s\n" "${0##*/}" "$LINENO" "$?" "$BASH_COMMAND" >&2' ERR
}

# rk_bench_as_test_user SCRIPT OUT OURS REF CMDLINE [ARG ...]: the root half of a bench/ script.
# Installs what is missing, sets up the machine (setup-root.sh --no-prop), takes the machine-wide
# lock and keeps it until the end (a test run waiting for it would otherwise build and test
# beside the measurement), then runs `SCRIPT ARG ... --out DIR` as the test user inside the test
# bed (as-test-user.sh) with RK_BIN=OURS, RK_REF_BIN=REF, RK_BENCH_CMDLINE=CMDLINE and
# RK_BENCH_KEEP. DIR is OUT, or, when OUT is empty, a temporary directory that is removed at the
# end (RK_BENCH_KEEP=0: the report says the raw data is not kept). When the test user cannot reach
# the checkout (e.g. under /root), SCRIPT and OURS are copied into DIR. Exits with SCRIPT's status.
rk_bench_as_test_user() {
	local script=$1 out=$2 ours=$3 ref=$4 cmdline=$5 lib name b keep=1 rc=0
	shift 5
	lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	name=$(basename "$script")
	for b in "$ours" "$ref"; do
		[ -x "$b" ] || { echo "$name: $b is missing; build first: meson setup build && meson compile -C build" >&2; exit 1; }
	done
	rk_take_lock
	bash "$lib/install-deps.sh" 9>&-
	bash "$lib/setup-root.sh" --no-prop 9>&-
	if [ -z "$out" ]; then
		out=$(mktemp -d "/tmp/rootlesskit-bench-${name%.sh}.XXXXXX")
		keep=0
	fi
	mkdir -p "$out"
	chown "$RK_TEST_USER:$(id -g "$RK_TEST_USER")" "$out"
	if ! setpriv --reuid="$RK_TEST_USER" --regid="$(id -g "$RK_TEST_USER")" --init-groups -- \
		test -r "$script" -a -x "$ours" 2>/dev/null; then
		install -m 0755 "$script" "$out/$name" && script=$out/$name
		install -m 0755 "$ours" "$out/rootlesskit" && ours=$out/rootlesskit
	fi
	bash "$lib/as-test-user.sh" --cwd "$out" RK_BIN="$ours" RK_REF_BIN="$ref" \
		RK_BENCH_CMDLINE="$cmdline" RK_BENCH_KEEP="$keep" -- \
		/bin/bash "$script" "$@" --out "$out" 9>&- || rc=$?
	[ "$keep" = 1 ] || rm -rf "$out"
	exit "$rc"
}
