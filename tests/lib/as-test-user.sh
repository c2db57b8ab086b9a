#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a command as the unprivileged test user inside a private network namespace made for
# this run (needs root). Used by tests/run.sh and bench/*.sh.
#
#   as-test-user.sh [--cgroup DIR] [--cwd DIR] [NAME=VALUE ...] -- COMMAND [ARG ...]
#
# In order: move this process into the cgroup DIR (so the command runs inside it); unshare new
# network and mount namespaces (mounts below / become slaves of the host's: nothing made here
# reaches the host); build the network test bed there (tests/lib/netns-setup.sh start: lo with
# 198.18.0.1/32 and fd42::1/128, a local dnsmasq and /etc/resolv.conf pointing at it, an
# "external" veth, a bridge with DHCP; its facts are added to the environment as RK_TEST_*);
# run COMMAND as the test user (setpriv: real/effective/saved uid and gid, its supplementary
# groups, no capabilities) with a clean environment: PATH, HOME, USER, LOGNAME, LANG, the bed's
# RK_TEST_* variables, plus the NAME=VALUE pairs given; cd to --cwd (default: the user's home);
# when it ends, stop the bed's daemons (netns-setup.sh stop) and exit with its status. SIGINT,
# SIGTERM and SIGHUP are passed on to COMMAND (then the same). Traffic from the namespace can
# reach nothing but addresses of the namespace itself.
#
# A shell in the bed, e.g. for manual checks (as root):
#   bash tests/lib/as-test-user.sh -- bash -c 'getent hosts rk-test.internal'
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
	user=$RK_TEST_USER
	home=$(getent passwd "$user" | cut -d: -f6)
	bed=$(mktemp -d /tmp/rk-netbed.XXXXXX)
	bedpid=''
	# shellcheck disable=SC2016  # expanded when the trap runs
	trap 'bash "$here/netns-setup.sh" stop "$bed"; [ -z "$bedpid" ] || wait "$bedpid" || true' EXIT
	# The bed's builder stays in the background as the parent (reaper) of its daemons; it prints
	# the facts and closes its stdout once the bed is ready.
	exec 3< <(exec bash "$here/netns-setup.sh" start "$bed")
	bedpid=$!
	mapfile -t bedvars <&3
	exec 3<&-
	if [ ${#bedvars[@]} = 0 ] || [ "${bedvars[-1]}" != RK_TEST_NETBED=1 ]; then
		rk_warn "the network test bed could not be built (tests/lib/netns-setup.sh start)"
		exit 1
	fi
	vars=(PATH="$RK_TEST_PATH" HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 "${bedvars[@]}")
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	shift
	# In the background (so that a signal to this script can be passed on); env resets SIGINT and
	# SIGQUIT, which bash ignores in background commands.
	setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --inh-caps=-all -- \
		/usr/bin/env -i --default-signal=INT,QUIT -C "${cwd:-$home}" "${vars[@]}" "$@" &
	child=$!
	for sig in INT TERM HUP; do
		# shellcheck disable=SC2064  # expand $sig now
		trap "kill -s $sig $child 2>/dev/null || true" "$sig"
	done
	# wait returns early when a trapped signal arrives; wait again until the command is gone.
	rc=0
	wait "$child" || rc=$?
	while kill -0 "$child" 2>/dev/null; do
		rc=0
		wait "$child" || rc=$?
	done
	trap - INT TERM HUP
	exit "$rc"
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
exec unshare --net --mount --propagation slave -- "$BASH" "${BASH_SOURCE[0]}" --in-netns "$cwd" "$@"
