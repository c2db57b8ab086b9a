#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a command as the unprivileged test user inside a private network namespace made for
# this run (needs root). Used by tests/run.sh and bench/*.sh.
#
#   as-test-user.sh [--cgroup DIR] [--cwd DIR] [NAME=VALUE ...] -- COMMAND [ARG ...]
#
# In order: move this process into the cgroup DIR (so the command runs inside it); unshare a new
# network namespace; bring lo up and add 198.18.0.1/32 and fd42::1/128 to it (the addresses that
# play "outside" for network tests); drop to the test user (setpriv: real/effective/saved uid and
# gid, its supplementary groups, no capabilities) with a clean environment: PATH, HOME, USER,
# LOGNAME, LANG, plus the NAME=VALUE pairs given; cd to --cwd (default: the user's home); exec
# COMMAND. Traffic from the namespace can reach nothing but its own loopback.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/common.sh
. "$here/common.sh"
rk_require_root "$0"
rk_trap_errors

if [ "${1:-}" = --in-netns ]; then
	shift
	cwd=$1
	shift
	ip link set lo up
	ip addr add 198.18.0.1/32 dev lo
	ip -6 addr add fd42::1/128 dev lo 2>/dev/null || rk_warn "cannot add fd42::1/128 to lo (IPv6 disabled?)"
	user=$RK_TEST_USER
	home=$(getent passwd "$user" | cut -d: -f6)
	vars=(PATH="$RK_TEST_PATH" HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8)
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	shift
	exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --inh-caps=-all -- \
		/usr/bin/env -i -C "${cwd:-$home}" "${vars[@]}" "$@"
fi

cgroup='' cwd=''
while [ $# -gt 0 ]; do
	case "$1" in
	--cgroup) cgroup=$2; shift 2 ;;
	--cwd) cwd=$2; shift 2 ;;
	*) break ;;
	esac
done
if [ -n "$cgroup" ]; then
	echo $$ >"$cgroup/cgroup.procs"
fi
exec unshare --net -- "$BASH" "${BASH_SOURCE[0]}" --in-netns "$cwd" "$@"
