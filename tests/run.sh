#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# THE test command of this project (CI runs it through .ci/run):
#
#   bash tests/run.sh [--no-build] [PYTEST_ARGS ...]        (as root; sudo from another account)
#
# As root, in order: install the missing Debian packages (tests/lib/debian-packages); build
# (-Dwerror=true) in build/ and with ASan+UBSan in build-asan/; run the cmocka unit tests of
# both; run the libFuzzer targets briefly (tests/fuzz/run.sh); clang-tidy and cppcheck
# (tests/lint.sh); set up the machine for rootless
# runs (tests/lib/setup-root.sh: test user rktest with sub-IDs, privileged helper + sudoers,
# propagation tmpfs, /dev/net/tun); delegate a fresh cgroup2 directory to the test user
# (tests/lib/cgroup.sh); run pytest on tests/integration as that user inside a private network
# namespace (tests/lib/as-test-user.sh), then the rootless Docker end-to-end tests (tests/e2e) the
# same way, then the network, signal, exit-code, port, API, stack and docker-proxy tests and the
# end-to-end tests again with the ASan+UBSan binary; print a summary. Its last line is "N passed, M failed"
# over unit, fuzz and integration tests, and the exit status is non-zero if anything failed, if
# a step failed, or if no test ran. With CI=true a skipped test counts as failed.
#
# --no-build skips the builds, the unit tests and the fuzz run (to try the integration set-up
#   alone, e.g. with RK_BIN=/usr/bin/rootlesskit). PYTEST_ARGS replace the default
#   "tests/integration" and "tests/e2e"; include the path: tests/run.sh tests/integration -k
#   port, or tests/run.sh --no-build tests/e2e for rootless Docker alone.
# Environment: RK_BIN (default <repo>/build/rootlesskit), CI, FUZZ_SECONDS (per fuzz target),
#   RK_TEST_TIMEOUT (seconds per integration test, default 300), RK_TEST_TOTAL_TIMEOUT (seconds
#   for all of pytest, default 3600).
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lib=$repo/tests/lib
# shellcheck source=tests/lib/common.sh
. "$lib/common.sh"
rk_require_root tests/run.sh
cd "$repo" || exit 1

build=1
if [ "${1:-}" = --no-build ]; then
	build=0
	shift
fi
pytest_args=("$@")
pytest_args_given=("$@")
[ ${#pytest_args[@]} -gt 0 ] || pytest_args=(tests/integration)
rk_bin=${RK_BIN:-$repo/build/rootlesskit}
case "$rk_bin" in /*) ;; *) rk_bin=$PWD/$rk_bin ;; esac
ci=false
case "${CI:-}" in true | 1 | yes) ci=true ;; esac

passed=0 failed=0 skipped=0
report=()     # one line per counted part, for the summary
cgroup='' rundir='' cleaned=0
built=1       # 0 when the build of build/ failed

# fail_step NAME: a step that is not a test failed; it counts as one failure.
fail_step() {
	printf '\n*** FAILED: %s\n\n' "$1" >&2
	failed=$((failed + 1))
	report+=("$(printf '%-24s FAILED' "$1")")
}

# count LABEL KIND FILE RC: add the results in FILE (meson testlog or junit) to the totals; a
# non-zero RC of the runner without any failed test in FILE counts as one more failure.
count() {
	local p f s out
	out=$(/usr/bin/python3 "$lib/count-results.py" "$2" "$3") || { fail_step "$1: unreadable results"; return; }
	read -r p f s <<<"$out"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s)) last_failed=$f
	report+=("$(printf '%-24s %d passed, %d failed, %d skipped' "$1" "$p" "$f" "$s")")
	if [ "$f" = 0 ] && [ "$4" != 0 ]; then
		fail_step "$1: exited with status $4 without a failed test"
	fi
}

cleanup() {
	[ "$cleaned" = 0 ] || return 0
	cleaned=1
	[ -z "$cgroup" ] || bash "$lib/cgroup.sh" remove "$cgroup"
	[ -z "$rundir" ] || rm -rf "$rundir"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

finish() {
	cleanup
	printf '\n==> summary\n'
	local line
	for line in "${report[@]}"; do printf '  %s\n' "$line"; done
	if [ "$skipped" -gt 0 ]; then
		if [ "$ci" = true ]; then
			printf '  %d skipped test(s) count as failed (CI=true: nothing is skipped silently)\n' "$skipped"
			failed=$((failed + skipped))
		else
			printf '  %d skipped test(s) not counted (they count as failed when CI=true)\n' "$skipped"
		fi
	fi
	[ $((passed + failed)) -gt 0 ] || printf '  no test ran: that is a failure\n'
	printf '%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

# fatal MSG: a set-up step failed; nothing after it can run.
fatal() {
	fail_step "$1"
	finish
}

# build_and_unit DIR MESON_OPTIONS...: configure, compile, run the unit tests, count them.
# Returns non-zero only when the build itself failed.
build_and_unit() {
	local dir=$1 rc
	shift
	rk_log "build $dir ($*)"
	if [ -f "$dir/meson-private/coredata.dat" ]; then
		meson configure "$dir" "$@" || meson setup --wipe "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi || { fail_step "meson setup $dir"; return 1; }
	meson compile -C "$dir" || { fail_step "meson compile -C $dir"; return 1; }
	rk_log "unit tests in $dir"
	rm -f "$dir/meson-logs/testlog.json"
	ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_summary=1:detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_summary=1:print_stacktrace=1 \
		meson test -C "$dir" --print-errorlogs
	rc=$?
	count "unit ($dir)" meson "$dir/meson-logs/testlog.json" "$rc"
	return 0
}

# A script that prints "<kind> <name>: PASS|FAIL", one line per check (tests/fuzz/run.sh,
# tests/lint.sh): count its lines. step KIND SCRIPT
step() {
	local out rc p f
	rk_log "$1 ($2)"
	out=$(bash "$2" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(grep -c -E "^$1 .*: PASS\$" <<<"$out")
	f=$(grep -c -E "^$1 .*: FAIL\$" <<<"$out")
	passed=$((passed + p)) failed=$((failed + f))
	report+=("$(printf '%-24s %d passed, %d failed' "$1" "$p" "$f")")
	if [ "$f" = 0 ] && [ "$rc" != 0 ]; then
		fail_step "$1: $2 exited with status $rc"
	fi
}

# Can the test user read the tree and run the binary where they are?
user_can_reach() {
	setpriv --reuid="$RK_TEST_USER" --regid="$(id -g "$RK_TEST_USER")" --init-groups -- \
		test -r "$repo/tests" -a -x "$repo/tests" -a -x "$rk_bin" 2>/dev/null
}

rk_take_lock
bash "$lib/install-deps.sh" 9>&- || fatal "install Debian packages"

if [ "$build" = 1 ]; then
	build_and_unit build -Dwerror=true 9>&- || built=0
	build_and_unit build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true 9>&-
	step fuzz tests/fuzz/run.sh 9>&-
	step lint tests/lint.sh 9>&-
fi

rk_log "root set-up"
bash "$lib/setup-root.sh" 9>&- || fatal "root set-up (tests/lib/setup-root.sh)"
cgroup=$(bash "$lib/cgroup.sh" create $$ 9>&-) || fatal "cgroup delegation (tests/lib/cgroup.sh)"
rundir=$(mktemp -d /tmp/rootlesskit-test.XXXXXX) || fatal "mktemp"
chown "$RK_TEST_USER:$(id -g "$RK_TEST_USER")" "$rundir"
chmod 0755 "$rundir"

[ -x "$rk_bin" ] || fatal "RK_BIN=$rk_bin is not an executable file"
# Never test a stale binary left from an earlier build.
[ "$built" = 1 ] || [ -n "${RK_BIN:-}" ] || fatal "integration: not run, the build failed"
workdir=$repo
if ! user_can_reach; then
	# The checkout is not readable by the test user (e.g. under /root): test a copy instead.
	rk_log "$RK_TEST_USER cannot read $repo or run $rk_bin; testing a copy in $rundir/tree"
	workdir=$rundir/tree
	mkdir -p "$workdir"
	tar -C "$repo" --exclude=./.git -cf - . | tar -C "$workdir" -xf - || fatal "copy the tree"
	case "$rk_bin" in
	"$repo"/*) rk_bin=$workdir/${rk_bin#"$repo"/} ;;
	*) cp "$rk_bin" "$rundir/rootlesskit" && rk_bin=$rundir/rootlesskit ;;
	esac
	chmod -R a+rX "$workdir"
fi

# run_pytest LABEL RK_BIN PYTEST_ARGS...: the integration tests as the test user in the bed.
run_pytest() {
	local label=$1 bin=$2 junit rc
	shift 2
	local vars=(
		RK_BIN="$bin"
		RK_REF_BIN=/usr/bin/rootlesskit
		RK_TEST_PRIVHELPER="$RK_TEST_PRIVHELPER_PATH"
		CI="$ci"
		PYTEST_TIMEOUT="${RK_TEST_TIMEOUT:-300}"
		ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_summary=1:detect_leaks=1
		UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_summary=1:print_stacktrace=1
	)
	[ -z "$cgroup" ] || vars+=(RK_TEST_CGROUP2="$cgroup")
	# a copy of the binary with CAP_NET_BIND_SERVICE (privileged ports through builtin)
	local capbin=$rundir/capbin-${label//[^a-z]/_}/rootlesskit
	if install -D -m 0755 "$bin" "$capbin" && chmod 0755 "${capbin%/*}" &&
		setcap cap_net_bind_service=ep "$capbin"; then
		vars+=(RK_TEST_CAPBIN="$capbin")
	else
		rk_log "$label: could not make a CAP_NET_BIND_SERVICE copy of $bin"
	fi
	rk_log "$label: tests as $RK_TEST_USER in a private network namespace"
	printf '    %s\n' "${vars[@]}" >&2
	junit=$rundir/junit-${label//[^a-z]/_}.xml
	bash "$lib/as-test-user.sh" ${cgroup:+--cgroup "$cgroup"} --cwd "$workdir" "${vars[@]}" -- \
		timeout --kill-after=30 "${RK_TEST_TOTAL_TIMEOUT:-3600}" \
		/usr/bin/python3 -B -m pytest -v -rA -p no:cacheprovider --junitxml="$junit" \
		--basetemp="${junit%.xml}.tmp" "$@" </dev/null 9>&-
	rc=$?
	last_failed=0
	[ ! -s "$junit" ] || count "$label" junit "$junit" 0
	case $rc in
	0 | 1) [ -s "$junit" ] || fail_step "$label: pytest exited with status $rc and wrote no report" ;;
	5) fail_step "$label: pytest collected no test (exit status 5)" ;;
	124) fail_step "$label: pytest ran out of time (RK_TEST_TOTAL_TIMEOUT=${RK_TEST_TOTAL_TIMEOUT:-3600} s)" ;;
	137) fail_step "$label: pytest was killed (SIGKILL: out of time, or killed from outside)" ;;
	*) [ "$last_failed" != 0 ] || fail_step "$label: pytest exited with status $rc" ;;
	esac
}

run_pytest integration "$rk_bin" "${pytest_args[@]}"
# Rootless Docker end to end (tests/e2e): Debian's dockerd-rootless.sh under our rootlesskit.
if [ ${#pytest_args_given[@]} -eq 0 ]; then
	run_pytest e2e "$rk_bin" tests/e2e
fi
# The sanitizer build through the tests that drive the event loops, the channel, the helpers,
# the network drivers, the port data path and the API hardest: a memory error or a leak in the parent or the child fails them.
asan_bin=$repo/build-asan/rootlesskit
if [ "$build" = 1 ] && [ -z "${RK_BIN:-}" ] && [ ${#pytest_args_given[@]} -eq 0 ]; then
	if [ -x "$asan_bin" ]; then
		[ "$workdir" = "$repo" ] || asan_bin=$workdir/build-asan/rootlesskit
		run_pytest "integration (asan)" "$asan_bin" tests/integration/test_network.py \
			tests/integration/test_signals.py tests/integration/test_exit_codes.py \
			tests/integration/test_ports.py tests/integration/test_api.py \
			tests/integration/test_stack.py tests/integration/test_docker_proxy.py
		# rootless Docker with the sanitizer build as rootlesskit and as the docker-proxy stand-in
		run_pytest "e2e (asan)" "$asan_bin" tests/e2e
	else
		fail_step "integration (asan): $asan_bin was not built"
	fi
fi
finish
