#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/fuzz/run.sh - build the libFuzzer targets with clang and run each for a short time
# (FUZZ_SECONDS, default 20) from the seed corpus. Exit non-zero on any crash or build error.
# Prints one line per target: "fuzz <name>: PASS" or "fuzz <name>: FAIL".
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-20}
if [ ! -d build-fuzz ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dwerror=true >/dev/null || { echo "fuzz build: FAIL"; exit 1; }
fi
meson compile -C build-fuzz >/dev/null || { echo "fuzz build: FAIL"; exit 1; }
rc=0
for t in $(sed -n "s/^  'fuzz_\\(.*\\)',\$/\\1/p" tests/fuzz/meson.build); do
	work=$(mktemp -d)
	cp -r "tests/fuzz/corpus/$t/." "$work/"
	if build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$secs" -max_len=4096 \
		-artifact_prefix="$work/" "$work" >"$work/log" 2>&1; then
		echo "fuzz fuzz_$t: PASS"
	else
		echo "fuzz fuzz_$t: FAIL"
		tail -40 "$work/log"
		rc=1
	fi
	rm -rf "$work"
done
exit $rc
