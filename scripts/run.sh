#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/run.sh - build rootlesskit and run its main job: a fake-root shell in a new user,
# mount and network namespace, connected through the built-in network stack
# (--net=gvisor-tap-vsock: libslirp inside rootlesskit, no slirp4netns or pasta needed; the
# host's loopback hidden), with a writable copy-up of /etc. Extra arguments replace the default
# command:
#   bash scripts/run.sh                 # interactive shell (sh) as fake root
#   bash scripts/run.sh ip addr         # run `ip addr` as fake root in the new network namespace
# When run as root on a fresh Debian machine it first installs the build dependencies (and
# newuidmap/newgidmap); nothing else is needed at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for p in meson ninja-build gcc pkg-config libmnl-dev libjansson-dev libslirp-dev libglib2.0-dev \
	libcmocka-dev uidmap iproute2; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing Debian packages: ${need[*]} (run as root, or apt-get install them)" >&2
		exit 1
	fi
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null
[ $# -gt 0 ] || set -- sh
exec build/rootlesskit --net=gvisor-tap-vsock --disable-host-loopback --copy-up=/etc "$@"
