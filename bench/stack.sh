#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Built-in network stack benchmark: ours `--net=gvisor-tap-vsock` (libslirp in a thread of the
# rootlesskit parent, on tap0 in the child's netns) side by side with the reference (Debian's Go
# rootlesskit 1.1.0 with slirp4netns), pasta on its own and the physical paths, in the same run.
# Same machine, same run, as the unprivileged test user with sub-IDs.
#
#   sudo bash bench/stack.sh [--rounds N] [--time S] [--out DIR] [--quick]
#
#   --rounds N   rounds (default 3); every round runs every variant once, the variants
#                interleaved in the same order each round (A at MTU 1500, B at MTU 1500, A at
#                MTU 65520, B at MTU 65520, raw loopback, C)
#   --time S     iperf3 -t (default 10 seconds)
#   --out DIR    keep the raw data in DIR (default: a temporary directory, removed at the end)
#   --quick      smoke test: --rounds 1 --time 3
#
# As root it prepares the machine like the tests do (packages, user rktest with sub-IDs;
# tests/lib/setup-root.sh --no-prop), takes the machine-wide lock (waiting for a running test
# suite; held until the end) and runs itself as rktest inside a private network namespace with the
# test bed (tests/lib/as-test-user.sh, netns-setup.sh). As any other user it measures directly:
# that user needs sub-IDs and the bed (RK_TEST_* variables). Binaries: RK_BIN (default
# <repo>/build/rootlesskit) and RK_REF_BIN (default /usr/bin/rootlesskit). Traffic goes only to the
# bed's 198.18.0.1 and 127.0.0.1, to the child namespaces of the runs and to a veth pair between
# two namespaces made here. Every rootlesskit run has its own --state-dir under DIR; the script
# only ever ends processes it started (by PID) or that live in the bed's or the run's network
# namespace (both private to this run).
#
# A. child→host throughput: `iperf3 -c 198.18.0.1 -t S -J --connect-timeout 5000` is the command
#    inside the namespace (after a probe, see D), against a one-off `iperf3 -s -1 -B 198.18.0.1` on
#    the bed side; the figure is the receiver's average over the whole test (end.sum_received), in
#    Gbit/s. At MTU 1500 and 65520:
#     - ours: `RK_BIN --net=gvisor-tap-vsock --mtu=M` (the stack reaches 198.18.0.1 from the
#       bed's namespace);
#     - reference: `RK_REF_BIN --net=slirp4netns --disable-host-loopback --mtu=M`;
#     - pasta on its own (1.1.0 has no pasta driver), with the options ours' --net=pasta gives it,
#       as bench/net.sh: `pasta --config-net --ns-ifname=tap0 --address=10.0.2.100 ... --mtu=M --
#       COMMAND`. Debian 12's pasta (2023-03-09) stalls in bulk transfers at a random moment:
#       the report adds, as net.sh, its first and best second and the number of stalled seconds
#       (an interval below 5% of the run's best second);
#     - the physical reference: a veth pair between two network namespaces made here with unshare
#       as the user (198.18.3.2 → 198.18.3.1, MTU M on both ends).
#    Goal: ours / reference ≥ 4.0 at each MTU; ours / pasta and ours / veth for context.
# B. host→child throughput through a published port: the command inside starts `iperf3 -s -1 -p
#    5201`, waits until `ss -ltn` inside shows it listening, writes the probe (a ready file) and
#    waits on a FIFO; the script waits for the ready file and for the host listener of
#    127.0.0.1:5301 (owned by the rootlesskit parent, or by slirp4netns for its port driver),
#    then runs `iperf3 -c 127.0.0.1 -p 5301 -t S -J --connect-timeout 5000` on the bed side
#    (Gbit/s at the receiver), then tells the command to end. At MTU 1500 and 65520, all with
#    `-p 127.0.0.1:5301:5201/tcp`:
#     - ours `--net=gvisor-tap-vsock --mtu=M --port-driver=builtin` and
#       `--port-driver=gvisor-tap-vsock` (libslirp's host forwarding);
#     - reference `--net=slirp4netns --disable-host-loopback --mtu=M --port-driver=builtin` and
#       `--port-driver=slirp4netns`;
#     - raw loopback (once a round, no MTU): `iperf3 -s -1 -B 127.0.0.1 -p 5302` and the same
#       client on the bed side, no namespace.
#    Goals: ours builtin / raw loopback ≥ 0.9 at each MTU; ours gvisor-tap-vsock port driver /
#    reference slirp4netns port driver is printed beside it (no goal).
# C. VmRSS of the rootlesskit parent (the process `timeout` started; for ours it holds the stack
#    thread, for the reference it is the Go parent alone, not its slirp4netns child, which is
#    shown apart for context), from /proc/PID/status:
#     - idle: `BIN --net=gvisor-tap-vsock sleep 5` / `REF --net=slirp4netns --disable-host-loopback
#       sleep 5` (default MTU 65520; the command is the probe, then sleep): 5 samples 0.2 s apart
#       from 2 s after the command started; the median;
#     - under load: sampled every 0.2 s from the start of iperf3 to the end of the run in every
#       A run (ours, reference); the maximum; the figure is MTU 65520 (1500 and the B runs are
#       shown for context).
#    Goal: ours ≤ the reference's parent, idle and under load (median over the rounds). The
#    same samples record the CPU time (utime + stime from /proc/PID/stat) of the parent and of
#    the reference's slirp4netns: the report shows it as % of one CPU, for context.
# D. Checks on every run (a failed check fails the run): the command's probe records its netns,
#    interfaces, tap0's MTU and IPv4 address, and the slirp4netns/pasta processes that serve its
#    netns (their command line names its PID or --netns=); from the outside the script records
#    the rootlesskit parent's process tree and thread count once the command runs. Ours: no
#    slirp4netns and no pasta process serves the netns or is in the parent's tree, the parent's
#    only child is the rootlesskit child (the command's parent). Reference: a slirp4netns child
#    serves the netns (the probe works). All: tap0 with 10.0.2.100/24 and MTU M; the command ran
#    in a netns other than the bed's; rootlesskit exited 0; for B the host listener belongs to the
#    expected process; no process of the run (rootlesskit, its child, slirp4netns, pasta, iperf3,
#    anything in the run's netns) outlived it (ended and counted).
# Every iperf3 has --connect-timeout and an outer `timeout`, every run an outer `timeout`:
# nothing can hang.
#
# RK_BIN is copied into DIR at the start (ours/rootlesskit): a rebuild during the run changes nothing.
# Output: in DIR the raw iperf3 JSON (iperf-*.json, client side; *.server.json for A), the
# probes (probe-*.txt), the VmRSS samples (rss-*.tsv), every run's stderr, results.tsv and
# results.json (the report's numbers in the schema of bench/results-schema.md: ids stack.*, VmRSS
# in MiB, the failed runs as failures); on stdout a Markdown report with the machine, the date
# (UTC), the command and the commit. Exits non-zero (after the report) when a figure is missing or
# a check failed.
set -euo pipefail
self=$(readlink -f "${BASH_SOURCE[0]}")
repo=$(cd "$(dirname "$self")/.." && pwd)

rounds=3 time_s=10 out='' commit=''
orig_args=("$@")
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--time) time_s=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--quick) rounds=1 time_s=3; shift ;;
	--commit) commit=$2; shift 2 ;; # internal: the root half's `git rev-parse --short HEAD`
	-h | --help) sed -n '3,/^set -euo/p' "$self" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "stack.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done
for v in "$rounds" "$time_s"; do
	case "$v" in '' | *[!0-9]* | 0) echo "stack.sh: --rounds and --time take a positive integer" >&2; exit 2 ;; esac
done
ours=${RK_BIN:-$repo/build/rootlesskit}
ref=${RK_REF_BIN:-/usr/bin/rootlesskit}
case "$ours" in /*) ;; *) ours=$PWD/$ours ;; esac

git_commit() {
	local c
	c=$(git -c safe.directory='*' -C "$repo" rev-parse --short HEAD 2>/dev/null) || { echo '?'; return; }
	git -c safe.directory='*' --no-optional-locks -C "$repo" diff --quiet HEAD 2>/dev/null ||
		c="$c (tracked files differ from it)"
	echo "$c"
}

# ---------------------------------------------------------------- as root: set up, re-exec
if [ "$(id -u)" = 0 ]; then
	# shellcheck source=tests/lib/common.sh
	. "$repo/tests/lib/common.sh"
	rk_bench_as_test_user "$self" "$out" "$ours" "$ref" \
		"bench/stack.sh${orig_args[*]:+ ${orig_args[*]}}" --rounds "$rounds" --time "$time_s" \
		--commit "$(git_commit)"
fi

# ---------------------------------------------------------------- as the unprivileged user
die() { echo "stack.sh: $*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }
for tool in iperf3 pasta slirp4netns unshare nsenter ip ss ps pgrep timeout mkfifo /usr/bin/python3; do
	command -v "$tool" >/dev/null || die "$tool is missing (run as root once to install it)"
done
grep -qE "^($(id -un)|$(id -u)):" /etc/subuid || die "$(id -un) has no range in /etc/subuid"
[ "${RK_TEST_NETBED:-}" = 1 ] || die "not inside the network test bed (run as root: it builds the bed)"
[ -n "$commit" ] || commit=$(git_commit)
[ -n "$out" ] || out=$(mktemp -d /tmp/rootlesskit-bench-stack.XXXXXX)
mkdir -p "$out/tmp" "$out/state"
cd "$out"
# ours is copied at the start (same file name, so the process name stays rootlesskit): a rebuild
# of the checkout during the run does not change it
ours_orig=$ours
[ -x "$ours" ] || die "$ours is not executable"
if [ "$ours" != "$out/ours/rootlesskit" ]; then
	mkdir -p "$out/ours"
	install -m 0755 "$ours" "$out/ours/rootlesskit"
	ours=$out/ours/rootlesskit
fi
# Both binaries make their default state dirs here (the reference leaks its temporary one when
# it is killed): not into /tmp.
export TMPDIR=$out/tmp

addr=$RK_TEST_ADDR4           # 198.18.0.1: the iperf3 server of A
port=5201                     # A's server on the bed side; B's server inside the child
port_pub=5301                 # B: the published host port 127.0.0.1:5301 → child 5201
port_raw=5302                 # B: the raw loopback server
client_timeout=$((time_s + 20))
outer_timeout=$((time_s + 60))
bed_netns=$(readlink /proc/self/ns/net)
# what ours gives pasta (src/net/pasta.c), with the default --cidr=10.0.2.0/24 (as bench/net.sh)
pasta_opts=(--stderr --ns-ifname=tap0 --config-net --address=10.0.2.100 --netmask=24
	--gateway=10.0.2.2 --dns-forward=10.0.2.3 --no-map-gw --ipv4-only --tcp-ports=none --udp-ports=none)

for b in "$ours" "$ref"; do
	[ -x "$b" ] || die "$b is not executable"
	"$b" true 2>"$out/check.err" || { cat "$out/check.err" >&2; die "'$b true' failed"; }
done
"$ours" --help 2>&1 | grep -q gvisor-tap-vsock || die "$ours has no --net=gvisor-tap-vsock"
"$ours" --net=gvisor-tap-vsock true 2>"$out/check.err" ||
	{ cat "$out/check.err" >&2; die "'$ours --net=gvisor-tap-vsock true' failed"; }
rm -f "$out/check.err"

# ---------------------------------------------------------------- inside the namespace
# The probe, run by the command inside the namespace: its netns, interfaces, tap0's MTU, IPv4
# addresses, the command's parent (the rootlesskit child; pasta on its own) and its parent, and
# the helpers (slirp4netns, pasta; Debian's pasta runs as passt.avx2) serving this netns.
# shellcheck disable=SC2016  # expanded by the probe's shell
probe='probe() {
	ns=$(readlink /proc/self/ns/net)
	echo "netns=$ns"
	echo "ifaces=$(ip -o link show | sed -e "s/^[0-9]*: \([^:@]*\).*/\1/" | tr "\n" " ")"
	echo "mtu=$(ip -o link show dev tap0 2>/dev/null | sed -n "s/.* mtu \([0-9]*\) .*/\1/p")"
	ip -o -4 addr show | awk "{ print \"addr=\" \$2 \" \" \$4 }"
	echo "route=$(ip -4 route show default | head -n 1)"
	echo "cmdparent=$PPID $(cat /proc/$PPID/comm 2>/dev/null)"
	echo "cmdgrandparent=$(awk "/^PPid:/ { print \$2 }" /proc/$PPID/status 2>/dev/null)"
	for d in /proc/[0-9]*; do
		c=$(cat "$d/comm" 2>/dev/null) || continue
		case "$c" in slirp4netns) h=slirp4netns ;; pasta* | passt*) h=pasta ;; *) continue ;; esac
		cmd=$(tr "\0" " " <"$d/cmdline" 2>/dev/null) || continue
		for a in $cmd; do
			case "$a" in
			--netns=*) t=${a#--netns=} ;;
			"" | *[!0-9]*) continue ;;
			*) t=/proc/$a/ns/net ;;
			esac
			if [ "$(readlink "$t" 2>/dev/null)" = "$ns" ]; then
				echo "helper=$h ${d#/proc/} $cmd"
				break
			fi
		done
	done
}'
# A: sh -c "$inner_a" sh PROBEFILE ADDR PORT TIME JSON CLIENT_TIMEOUT
# shellcheck disable=SC2016
inner_a="$probe"'
probe >"$1.tmp" 2>&1
mv "$1.tmp" "$1"
exec timeout -k 5 "$6" iperf3 -c "$2" -p "$3" -t "$4" -J --connect-timeout 5000 >"$5"'
# C idle: sh -c "$inner_idle" sh PROBEFILE SECONDS
# shellcheck disable=SC2016
inner_idle="$probe"'
probe >"$1.tmp" 2>&1
mv "$1.tmp" "$1"
exec sleep "$2"'
# B: sh -c "$inner_b" sh READY FIFO PORT SERVER...: starts the server, waits until it listens on
# PORT/tcp, writes the probe to READY, waits for a line on FIFO, stops the server (as
# bench/ports.sh).
# shellcheck disable=SC2016
inner_b="$probe"'
ready=$1 fifo=$2 port=$3
shift 3
"$@" &
s=$!
i=0
until ss -Hltn "sport = :$port" | grep -q .; do
	kill -0 "$s" 2>/dev/null || { echo "inner: the server exited" >&2; exit 3; }
	i=$((i + 1)); [ $i -lt 500 ] || { echo "inner: the server is not listening after 10 s" >&2; kill "$s"; exit 3; }
	sleep 0.02
done
{
	probe
	echo "listen=$(ss -Hltn "sport = :$port" | awk "{ print \$4 }" | tr "\n" " ")"
} >"$ready.tmp" 2>&1
mv "$ready.tmp" "$ready"
read -r _ <"$fifo"
kill "$s" 2>/dev/null
wait "$s" 2>/dev/null
exit 0'

# The physical reference, run as root of a new user namespace with a new netns (as bench/net.sh;
# the peer's sleep is bounded and ended on every way out):
# sh -c "$veth_inner" sh MTU TIME JSON SERVERJSON CLIENT_TIMEOUT
# shellcheck disable=SC2016
veth_inner='set -eu
m=$1 t=$2 json=$3 srvjson=$4 ct=$5
peer="" srv=""
trap "kill \$peer \$srv 2>/dev/null; exit 1" TERM INT HUP
ip link set lo up
unshare --net sleep $((ct + 30)) &
peer=$!
i=0
while [ "$(readlink /proc/$peer/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do
	i=$((i + 1)); [ $i -lt 200 ] || { echo "veth: no peer netns" >&2; kill $peer; exit 1; }; sleep 0.02
done
ip link add rkv0 mtu "$m" type veth peer name rkv1 mtu "$m" netns "$peer"
ip addr add 198.18.3.1/24 dev rkv0
ip link set rkv0 up
nsenter --net=/proc/$peer/ns/net sh -c "ip link set lo up && ip addr add 198.18.3.2/24 dev rkv1 && ip link set rkv1 up"
iperf3 -s -1 -B 198.18.3.1 -p 5201 -J >"$srvjson" 2>&1 &
srv=$!
i=0
until ss -Hltn "sport = :5201" | grep -q 198.18.3.1; do
	i=$((i + 1)); [ $i -lt 200 ] || { echo "veth: iperf3 server not listening" >&2; kill $peer $srv; exit 1; }; sleep 0.02
done
rc=0
nsenter --net=/proc/$peer/ns/net timeout -k 5 "$ct" iperf3 -c 198.18.3.1 -p 5201 -t "$t" -J --connect-timeout 5000 >"$json" || rc=$?
kill "$peer" "$srv" 2>/dev/null || true
wait || true
exit $rc'

# ---------------------------------------------------------------- helpers
printf 'name\tfig\tvariant\tmtu\tround\tstatus\tvalue\trss_max_kib\tleaked\n' >"$out/results.tsv"
failures=0
record() { # NAME FIG VARIANT MTU ROUND STATUS VALUE RSSMAX LEAKED
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$out/results.tsv"
	if [ "$6" != ok ]; then
		failures=$((failures + 1))
		echo "stack.sh: FAILED: $1: $6" >&2
	fi
}
fail=''
failed() { fail="$fail${fail:+; }$*"; }

# iperf3 JSON → "ok GBPS" or an error text
iperf_result() {
	/usr/bin/python3 - "$1" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"no iperf3 JSON ({e.__class__.__name__})"); sys.exit()
if d.get("error"):
    print("iperf3: " + d["error"]); sys.exit()
try:
    bps = d["end"]["sum_received"]["bits_per_second"]
except KeyError:
    print("iperf3 JSON without end.sum_received"); sys.exit()
print(f"ok {bps / 1e9:.4f}" if bps > 0 else "iperf3 received nothing")
PY
}

rss_kib() { # PID: VmRSS in KiB, or nothing
	local k v _
	{ while read -r k v _; do [ "$k" = VmRSS: ] && { echo "$v"; return 0; }; done <"/proc/$1/status"; } 2>/dev/null
	return 0
}
threads() { # PID
	local k v _
	{ while read -r k v _; do [ "$k" = Threads: ] && { echo "$v"; return 0; }; done <"/proc/$1/status"; } 2>/dev/null
	return 0
}
# the descendants of PID: lines "pid ppid comm"
tree_of() {
	ps -e -o pid=,ppid=,comm= | awk -v root="$1" '
		{ pp[$1] = $2; c[$1] = $3 }
		END {
			sel[root] = 1
			do { n = 0; for (p in pp) if (!(p in sel) && (pp[p] in sel)) { sel[p] = 1; n++ } } while (n)
			for (p in sel) if (p != root) print p, pp[p], c[p]
		}'
}

# This user's live processes of the run: rootlesskit (the reference's child is `exe`),
# slirp4netns, pasta and iperf3 in the bed's network namespace, and anything in the run's child
# namespace ($run_ns). Both namespaces are private to this run.
run_ns=''
run_pids() {
	local p c n
	ps -u "$(id -u)" -o pid=,stat=,comm= | awk '$2 !~ /^[ZX]/ { print $1, $3 }' |
		while read -r p c; do
			n=$(readlink "/proc/$p/ns/net" 2>/dev/null) || continue
			if [ -n "$run_ns" ] && [ "$n" = "$run_ns" ]; then
				echo "$p"
			elif [ "$n" = "$bed_netns" ]; then
				case "$c" in rootlesskit* | exe | slirp4netns | pasta* | passt* | iperf3) echo "$p" ;; esac
			fi
		done | sort
}

# the one-off iperf3 servers on the bed side (A: $addr:$port; B raw: 127.0.0.1:$port_raw)
srv=''
start_server() { # NAME ADDR PORT: ready when this returns 0
	local i=0
	iperf3 -s -1 -B "$2" -p "$3" -J >"$out/iperf-$1.server.json" 2>&1 &
	srv=$!
	until ss -Hltn "sport = :$3" | grep -qF "$2:$3"; do
		i=$((i + 1))
		[ $i -lt 250 ] || { failed "iperf3 server on $2:$3 is not listening after 5 s"; return 1; }
		kill -0 "$srv" 2>/dev/null || { failed "iperf3 server on $2:$3 exited: $(head -c 300 "$out/iperf-$1.server.json")"; return 1; }
		sleep 0.02
	done
}
stop_server() {
	[ -n "$srv" ] || return 0
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
	srv=''
}
ticks=0
cpu_ticks() { # PID: utime + stime (clock ticks) into $ticks
	local s
	ticks=0
	read -r s 2>/dev/null <"/proc/$1/stat" || return 0
	s=${s##*) }
	# shellcheck disable=SC2086  # split the fields
	set -- $s
	ticks=$((${12} + ${13}))
}
# the sampler: "run TIME PARENT_KIB HELPER_KIB PARENT_TICKS HELPER_TICKS" every 0.2 s while
# PARENT lives (VmRSS; CPU time, user + system, of the parent and of the slirp4netns child)
sampler=''
start_sampler() { # PARENT FILE HELPERPIDS
	local pp=$1 f=$2 hp=$3
	(
		trap 'exit 0' TERM
		while kill -0 "$pp" 2>/dev/null; do
			h=0 ht=0
			for x in $hp; do
				v=$(rss_kib "$x"); h=$((h + ${v:-0}))
				cpu_ticks "$x"; ht=$((ht + ticks))
			done
			v=$(rss_kib "$pp")
			cpu_ticks "$pp"
			[ -z "$v" ] || echo "run $EPOCHREALTIME $v $h $ticks $ht" >>"$f"
			sleep 0.2
		done
	) &
	sampler=$!
}
stop_sampler() {
	[ -n "$sampler" ] || return 0
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	sampler=''
}
tpid=''
cleanup() {
	stop_sampler
	stop_server
	if [ -n "$tpid" ]; then kill "$tpid" 2>/dev/null || true; fi
}
trap cleanup EXIT

# Does the probe show the driver we asked for? Appends to $fail.
check_probe() { # PROBEFILE EXPECT(ours | reference | pasta-alone) MTU PARENT
	local f=$1 want=$2 mtu=$3 pp=$4 ifaces helpers tree kids c
	[ -s "$f" ] || { failed "no probe output (the command did not run)"; return; }
	grep -qx "netns=$bed_netns" "$f" && failed "the command runs in the bed's network namespace"
	ifaces=" $(sed -n 's/^ifaces=//p' "$f") "
	[[ $ifaces == *" tap0 "* ]] || failed "no tap0 (interfaces:$ifaces)"
	grep -q '^addr=tap0 10\.0\.2\.100/24$' "$f" || failed "tap0 has not 10.0.2.100/24"
	grep -qx "mtu=$mtu" "$f" || failed "tap0 MTU $(sed -n 's/^mtu=//p' "$f"), not $mtu"
	helpers=" $(sed -n 's/^helper=\([^ ]*\) .*/\1/p' "$f" | sort -u | tr '\n' ' ')"
	tree=" $(sed -n 's/^tree=[0-9]* [0-9]* //p' "$f" | tr '\n' ' ')"
	case "$want" in
	ours)
		[[ $helpers != *" slirp4netns "* ]] || failed "a slirp4netns process serves the namespace"
		[[ $helpers != *" pasta "* ]] || failed "a pasta process serves the namespace"
		for c in $tree; do
			case "$c" in slirp4netns | pasta* | passt*) failed "a $c process runs under the rootlesskit parent" ;; esac
		done
		kids=$(awk -v pp="$pp" '/^tree=/ && $2 == pp { sub(/^tree=/, "", $1); print $1 }' "$f" | tr '\n' ' ')
		c=$(sed -n 's/^cmdparent=\([0-9]*\).*/\1/p' "$f")
		[ "$kids" = "$c " ] || failed "the rootlesskit parent's children are '$kids', not only the rootlesskit child $c"
		grep -qx "cmdgrandparent=$pp" "$f" || failed "the command's grandparent is not the rootlesskit parent $pp"
		;;
	reference)
		[[ $helpers == *" slirp4netns "* ]] || failed "no slirp4netns serves the namespace"
		[[ $tree == *" slirp4netns "* ]] || failed "no slirp4netns under the rootlesskit parent"
		;;
	pasta-alone)
		[[ $helpers != *" slirp4netns "* ]] || failed "a slirp4netns process serves the namespace"
		;;
	esac
}

# run_ns NAME FIG VARIANT MTU ROUND KIND EXPECT LAUNCHER...: one run in a namespace.
# KIND: a (iperf3 client inside), b (iperf3 server inside, client here to 127.0.0.1:$port_pub),
# idle (sleep inside, VmRSS samples). EXPECT: ours | reference | pasta-alone. LAUNCHER: the
# rootlesskit (or pasta) command line up to the command; rootlesskit gets --state-dir here.
run_ns() {
	local name=$1 fig=$2 variant=$3 mtu=$4 round=$5 kind=$6 expect=$7
	shift 7
	local pr=$out/probe-$name.txt json=$out/iperf-$name.json rssf=$out/rss-$name.tsv
	local state=$out/state/$name fifo=$out/tmp/fifo-$name
	local rc=0 i pp='' before leaked p cmd n value='' rssmax='' r owner ocomm hp='' cmdv=() sd=()
	log "round $round: $fig $variant, MTU $mtu"
	fail='' run_ns=''
	rm -rf "$pr" "$pr.tmp" "$json" "$rssf" "$state" "$fifo"
	: >"$rssf"
	[ "$expect" = pasta-alone ] || sd=(--state-dir="$state")
	case "$kind" in
	a) cmdv=(/bin/sh -c "$inner_a" sh "$pr" "$addr" "$port" "$time_s" "$json" "$client_timeout") ;;
	idle) cmdv=(/bin/sh -c "$inner_idle" sh "$pr" 5) ;;
	b) mkfifo "$fifo"; cmdv=(/bin/sh -c "$inner_b" sh "$pr" "$fifo" "$port" iperf3 -s -1 -p "$port") ;;
	esac
	before=$(run_pids)
	if [ "$kind" != a ] || start_server "$name" "$addr" "$port"; then
		timeout -k 10 "$outer_timeout" "$@" "${sd[@]}" "${cmdv[@]}" >"$out/$name.stdout" 2>"$out/$name.stderr" &
		tpid=$!
		for i in $(seq 1500); do
			[ -n "$pp" ] || pp=$(pgrep -P "$tpid" | head -n 1) || true
			[ -s "$pr" ] && [ -n "$pp" ] && break
			if ! kill -0 "$tpid" 2>/dev/null; then
				failed "the run ended before its command ran: $(tail -n 3 "$out/$name.stderr" | tr '\n' ' ')"
				break
			fi
			[ "$i" -lt 1500 ] || failed "the command did not run within 30 s"
			sleep 0.02
		done
		if [ -z "$fail" ]; then
			run_ns=$(sed -n 's/^netns=//p' "$pr")
			# the rootlesskit parent's tree while the command runs (D)
			{
				echo "parent=$pp $(cat "/proc/$pp/comm" 2>/dev/null) threads=$(threads "$pp")"
				tree_of "$pp" | sort -n | sed 's/^/tree=/'
			} >>"$pr"
			hp=$(awk -v pp="$pp" '/^tree=/ && $2 == pp && $3 == "slirp4netns" { sub(/^tree=/, "", $1); print $1 }' "$pr" | tr '\n' ' ')
			case "$kind" in
			a)
				[ "$expect" = pasta-alone ] || start_sampler "$pp" "$rssf" "$hp"
				;;
			idle)
				sleep 2
				for i in 1 2 3 4 5; do
					echo "idle $EPOCHREALTIME $(rss_kib "$pp") $(for x in $hp; do rss_kib "$x"; done | awk '{ s += $1 } END { print s + 0 }')" >>"$rssf"
					sleep 0.2
				done
				;;
			b)
				owner=''
				for i in $(seq 250); do
					owner=$(ss -Hltnp "sport = :$port_pub" | grep -F "127.0.0.1:$port_pub" | grep -o 'pid=[0-9]*' | head -n 1) || true
					[ -z "$owner" ] || break
					sleep 0.02
				done
				owner=${owner#pid=}
				ocomm=$(cat "/proc/$owner/comm" 2>/dev/null) || ocomm=''
				echo "host_listener=$owner $ocomm" >>"$pr"
				case "$variant" in
				*-slirp4netns)
					if [ "$ocomm" != slirp4netns ] || [[ " $hp" != *" $owner "* ]]; then
						failed "the host listener 127.0.0.1:$port_pub belongs to '$owner $ocomm', not the run's slirp4netns"
					fi ;;
				*)
					if [ -z "$owner" ] || [ "$owner" != "$pp" ]; then
						failed "the host listener 127.0.0.1:$port_pub belongs to '$owner $ocomm', not the rootlesskit parent $pp"
					fi ;;
				esac
				if [ -z "$fail" ]; then
					start_sampler "$pp" "$rssf" "$hp"
					timeout -k 5 "$client_timeout" iperf3 -c 127.0.0.1 -p "$port_pub" -t "$time_s" -J \
						--connect-timeout 5000 >"$json" 2>"$out/$name.client.stderr" || true
					stop_sampler
				fi
				# shellcheck disable=SC2016  # $1 of the inner shell
				timeout 5 sh -c ': >"$1"' sh "$fifo" 2>/dev/null || true
				;;
			esac
		fi
		# the run ends by itself (A, idle) or was told to (B); the outer timeout bounds it
		wait "$tpid" || rc=$?
		tpid=''
		stop_sampler
	fi
	stop_server
	rm -f "$fifo"
	if [ -s "$pr" ] && [ -n "$pp" ]; then check_probe "$pr" "$expect" "$mtu" "$pp"; fi
	# processes of this run still alive after it ended (give them 2 s to leave)
	for i in $(seq 20); do
		leaked=$(comm -13 <(echo "$before") <(run_pids) | tr '\n' ' ')
		[ -n "${leaked// /}" ] || break
		sleep 0.1
	done
	n=0
	for p in $leaked; do
		cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || cmd=''
		[ -n "$cmd" ] || continue # gone meanwhile
		echo "stack.sh: $name: process $p (${cmd:0:200}) outlived the run; ending it" >&2
		kill -9 "$p" 2>/dev/null || true
		n=$((n + 1))
	done
	[ "$n" = 0 ] || failed "$n process(es) outlived the run"
	run_ns=''
	if [ "$kind" = idle ]; then
		value=$(awk '$1 == "idle" && $3 != "" { print $3 }' "$rssf" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
		[ -n "$value" ] || failed "no VmRSS sample"
	else
		r=$(iperf_result "$json")
		case "$r" in ok\ *) value=${r#ok } ;; *) [ -n "$fail" ] || failed "$r $(tail -n 2 "$out/$name.client.stderr" 2>/dev/null | tr '\n' ' ')" ;; esac
	fi
	rssmax=$(awk '$1 == "run" && $3 != "" { print $3 }' "$rssf" | sort -n | tail -n 1)
	[ -s "$rssf" ] || rm -f "$rssf"
	if [ "$expect" != pasta-alone ] && [ "$kind" != idle ] && [ -z "$rssmax" ] && [ -z "$fail" ]; then
		failed "no VmRSS sample under load"
	fi
	if [ "$rc" != 0 ]; then
		[ "$rc" != 124 ] || failed "timed out after ${outer_timeout}s"
		failed "exit status $rc: $(tail -n 2 "$out/$name.stderr" | tr '\n' ' ')"
	fi
	record "$name" "$fig" "$variant" "$mtu" "$round" "${fail:-ok}" "$value" "$rssmax" "$n"
}

run_veth() { # MTU ROUND
	local name=a-veth-mtu$1-r$2 rc=0 r value=''
	log "round $2: A veth, MTU $1"
	fail=''
	timeout -k 10 "$outer_timeout" unshare --user --map-root-user --net -- /bin/sh -c "$veth_inner" sh \
		"$1" "$time_s" "$out/iperf-$name.json" "$out/iperf-$name.server.json" "$client_timeout" \
		2>"$out/$name.stderr" || rc=$?
	r=$(iperf_result "$out/iperf-$name.json")
	case "$r" in ok\ *) value=${r#ok } ;; *) failed "$r" ;; esac
	[ "$rc" = 0 ] || failed "exit status $rc: $(tail -n 3 "$out/$name.stderr" | tr '\n' ' ')"
	record "$name" A veth "$1" "$2" "${fail:-ok}" "$value" '' 0
}

run_loopback() { # ROUND
	local name=b-raw-r$1 rc=0 r value=''
	log "round $1: B raw loopback"
	fail=''
	if start_server "$name" 127.0.0.1 "$port_raw"; then
		timeout -k 5 "$client_timeout" iperf3 -c 127.0.0.1 -p "$port_raw" -t "$time_s" -J --connect-timeout 5000 \
			>"$out/iperf-$name.json" 2>"$out/$name.client.stderr" || rc=$?
	fi
	stop_server
	if [ -z "$fail" ]; then
		r=$(iperf_result "$out/iperf-$name.json")
		case "$r" in ok\ *) value=${r#ok } ;; *) failed "$r" ;; esac
		[ "$rc" = 0 ] || failed "client exit status $rc"
	fi
	record "$name" B raw 65536 "$1" "${fail:-ok}" "$value" '' 0
}

cat /proc/loadavg >"$out/loadavg-start.txt"

# ---------------------------------------------------------------- the rounds
pub=(-p "127.0.0.1:$port_pub:$port/tcp")
for r in $(seq "$rounds"); do
	for m in 1500 65520; do
		run_ns "a-ours-mtu$m-r$r" A ours "$m" "$r" a ours \
			"$ours" --net=gvisor-tap-vsock --mtu="$m"
		run_ns "a-reference-mtu$m-r$r" A reference "$m" "$r" a reference \
			"$ref" --net=slirp4netns --disable-host-loopback --mtu="$m"
		run_ns "a-pasta-mtu$m-r$r" A pasta "$m" "$r" a pasta-alone \
			pasta "${pasta_opts[@]}" --mtu="$m" --
		run_veth "$m" "$r"
		run_ns "b-ours-builtin-mtu$m-r$r" B ours-builtin "$m" "$r" b ours \
			"$ours" --net=gvisor-tap-vsock --mtu="$m" --port-driver=builtin "${pub[@]}"
		run_ns "b-ours-gvisor-mtu$m-r$r" B ours-gvisor "$m" "$r" b ours \
			"$ours" --net=gvisor-tap-vsock --mtu="$m" --port-driver=gvisor-tap-vsock "${pub[@]}"
		run_ns "b-reference-builtin-mtu$m-r$r" B reference-builtin "$m" "$r" b reference \
			"$ref" --net=slirp4netns --disable-host-loopback --mtu="$m" --port-driver=builtin "${pub[@]}"
		run_ns "b-reference-slirp4netns-mtu$m-r$r" B reference-slirp4netns "$m" "$r" b reference \
			"$ref" --net=slirp4netns --disable-host-loopback --mtu="$m" --port-driver=slirp4netns "${pub[@]}"
	done
	run_loopback "$r"
	run_ns "c-idle-ours-r$r" C ours 65520 "$r" idle ours "$ours" --net=gvisor-tap-vsock
	run_ns "c-idle-reference-r$r" C reference 65520 "$r" idle reference \
		"$ref" --net=slirp4netns --disable-host-loopback
done
trap - EXIT
cat /proc/loadavg >"$out/loadavg-end.txt"

# ---------------------------------------------------------------- report
rc=0
/usr/bin/python3 - "$out" "$ours" "$ref" "${RK_BENCH_CMDLINE:-bench/stack.sh${orig_args[*]:+ ${orig_args[*]}}}" \
	"$rounds" "$time_s" "$commit" "$ours_orig" <<'PY' || rc=$?
import csv, hashlib, json, os, platform, statistics, subprocess, sys, time
out, ours, ref, cmdline, rounds, time_s, commit, ours_orig = sys.argv[1:]

def version(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True)
    except OSError:
        return "?"
    s = (p.stdout or p.stderr).strip()
    return s.splitlines()[0] if s else "?"

def cpu():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"

def debian():
    try:
        return "Debian " + open("/etc/debian_version").read().strip()
    except OSError:
        return "not Debian"

rows = list(csv.DictReader(open(f"{out}/results.tsv"), delimiter="\t"))
ok = [r for r in rows if r["status"] == "ok"]
bad = [r for r in rows if r["status"] != "ok"]
missing = []
figures = [] # results.json (bench/results-schema.md): the numbers of the tables below

def figure(fid, group, title, unit, better, values, ratio_to, chart=False, **opt):
    """adds one figure to results.json; opt: goal, checked, extra (left out when empty)"""
    f = dict(id=fid, group=group, title=title, unit=unit, better=better, values=values,
             ratio_to=ratio_to, chart=chart, **{k: v for k, v in opt.items() if v})
    figures.append(f)
    return f

checked_probe = ("probe: tap0 10.0.2.100/24 with the MTU asked for; ours: no slirp4netns or pasta serves the netns, "
                 "the parent's only child is the rootlesskit child; reference: a slirp4netns child serves it; nothing outlived the run")

def series(fig, variant, mtu, col="value"):
    return [float(r[col]) for r in ok
            if (r["fig"], r["variant"], r["mtu"]) == (fig, variant, str(mtu)) and r[col]]

def med(v):
    return statistics.median(v) if v else None

def cell(v, fmt="{:.2f}"):
    if not v:
        return "no result"
    if len(v) == 1:
        return fmt.format(v[0])
    return f"{fmt.format(statistics.median(v))} ({fmt.format(min(v))}–{fmt.format(max(v))})"

def ratio(a, b):
    return med(a) / med(b) if a and b and med(b) else None

def rc(q, fmt="{:.2f}"):
    return "–" if q is None else fmt.format(q)

goals = []
def goal(label, q, ok_fn, text):
    if q is None:
        v = "NOT met (no figure)"
        missing.append(label)
    else:
        v = ("met" if ok_fn(q) else "NOT met") + f" ({q:.2f})"
    goals.append(f"{label}: {text}: {v}")
    return v

u = os.uname()
la0 = " ".join(open(f"{out}/loadavg-start.txt").read().split()[:3])
la1 = " ".join(open(f"{out}/loadavg-end.txt").read().split()[:3])
now = time.gmtime() # the report's date and results.json's
print(f"""## The built-in network stack: `--net=gvisor-tap-vsock` against slirp4netns, pasta and the physical paths

- date: {time.strftime('%Y-%m-%d %H:%M:%S UTC', now)}
- machine: {cpu()}, {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}); Linux {u.release} ({u.machine}); {debian()}
- command: `{cmdline}` ({rounds} round{'' if rounds == '1' else 's'}, every variant once a round, in the same order; iperf3 -t {time_s})
- commit: {commit}
- run as: {os.environ.get('USER', '?')} (uid {os.getuid()}), private network namespace with the test bed
- load average (1, 5, 15 min) at the start: {la0}; at the end: {la1}
- ours: `{ours_orig}` (copied to `{ours}` at the start; {version([ours, '--version'])}, sha256 {hashlib.sha256(open(ours, 'rb').read()).hexdigest()[:12]}); reference: `{ref}` ({version([ref, '--version'])})
- helpers: {version(['slirp4netns', '--version'])}; pasta: Debian passt {version(['dpkg-query', '-W', '-f=${Version}', 'passt'])}; libslirp {version(['dpkg-query', '-W', '-f=${Version}', 'libslirp0'])}; {version(['iperf3', '--version'])}
- raw data: {f'`{out}`' if os.environ.get('RK_BENCH_KEEP', '1') == '1' else 'not kept (`--out DIR` keeps it)'}

Median (min–max) over the rounds; ratios are of the medians.

### A. child → host, Gbit/s

`iperf3 -c 198.18.0.1` as the command inside, `iperf3 -s -1 -B 198.18.0.1` on the bed side; receiver's average over the whole test.
ours: `--net=gvisor-tap-vsock --mtu=M`; reference: rootlesskit 1.1.0 `--net=slirp4netns --disable-host-loopback --mtu=M`;
pasta: pasta 2023-03-09 on its own with the options ours' `--net=pasta` gives it; veth: a veth pair between two namespaces.

| MTU | ours | reference (slirp4netns) | pasta alone | veth | ours/reference | goal ≥ 4.0 | ours/pasta | ours/veth |
| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |""")
fig_a = {} # MTU → its figure, for the pasta details below
for m in (1500, 65520):
    a, b, p, v = (series("A", x, m) for x in ("ours", "reference", "pasta", "veth"))
    q = ratio(a, b)
    g = goal(f"A, child→host, MTU {m}: ours / reference slirp4netns", q, lambda x: x >= 4.0, "≥ 4.0")
    print(f"| {m} | {cell(a)} | {cell(b)} | {cell(p)} | {cell(v)} | {rc(q)} | {g} | {rc(ratio(a, p))} | {rc(ratio(a, v))} |")
    # the same group as bench/net.sh's drivers: the merged report has one table of every
    # network driver's child→host throughput
    fig_a[m] = figure(f"stack.a.tput.mtu{m}", "Network throughput child→host (iperf3)",
                      f"gvisor-tap-vsock (built-in stack; ours) vs reference slirp4netns, MTU {m}",
                      "Gbit/s", "higher",
                      {"ours": a, "reference": b, "pasta alone": p, "veth": v}, "reference", chart=True,
                      goal="ours/reference ≥ 4.0", checked=checked_probe)

def intervals(name):
    try:
        d = json.load(open(f"{out}/iperf-{name}.json"))
    except Exception:
        return None
    iv = [i["sum"]["bits_per_second"] / 1e9 for i in d.get("intervals", []) if i["sum"].get("seconds", 0) > 0.5]
    if not iv:
        return None
    best = max(iv)
    return iv[0], best, sum(1 for x in iv if x < 0.05 * best), len(iv)

print("""
pasta in detail (Debian 12's pasta stalls in bulk transfers at a random moment; a stalled second
is one below 5% of the run's best second), beside ours:

| variant | MTU | first second, Gbit/s | best second, Gbit/s | stalled seconds per run |
| --- | ---: | ---: | ---: | ---: |""")
for m in (1500, 65520):
    for variant, label in (("ours", "ours"), ("pasta", "pasta alone")):
        ivs = [intervals(r["name"]) for r in ok if (r["fig"], r["variant"], r["mtu"]) == ("A", variant, str(m))]
        ivs = [x for x in ivs if x]
        st = ", ".join(f"{x[2]} of {x[3]}" for x in ivs) or "no result"
        print(f"| {label} | {m} | {cell([x[0] for x in ivs])} | {cell([x[1] for x in ivs])} | {st} |")
        fig_a[m].setdefault("extra", {})[label] = {"first_s_gbps": [x[0] for x in ivs], "best_s_gbps": [x[1] for x in ivs],
                                                   "stalled_s": [x[2] for x in ivs]}

print(f"""
### B. host → child through a published port, Gbit/s

`iperf3 -s -1 -p 5201` inside, `iperf3 -c 127.0.0.1 -p 5301` on the bed side, `-p 127.0.0.1:5301:5201/tcp`;
ours `--net=gvisor-tap-vsock --mtu=M`, reference `--net=slirp4netns --disable-host-loopback --mtu=M`;
raw loopback: client and server on the bed's 127.0.0.1, no namespace (once a round, shown in both rows).

| MTU | ours builtin | ours gvisor-tap-vsock | reference builtin | reference slirp4netns | raw loopback | ours builtin/raw | goal ≥ 0.9 | ours gvisor/ref. slirp4netns | ours builtin/ref. builtin |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |""")
raw = series("B", "raw", 65536)
group_b = "Built-in stack: host→child throughput through a published port (iperf3)"
checked_b = "; the host listener 127.0.0.1:5301 is the rootlesskit parent (slirp4netns for its port driver)"
for m in (1500, 65520):
    ob, og, rb, rs = (series("B", x, m) for x in ("ours-builtin", "ours-gvisor", "reference-builtin", "reference-slirp4netns"))
    q = ratio(ob, raw)
    g = goal(f"B, host→child, MTU {m}: ours builtin / raw loopback", q, lambda x: x >= 0.9, "≥ 0.9")
    qg = ratio(og, rs)
    if qg is None:
        missing.append(f"B MTU {m} ours gvisor / reference slirp4netns")
    goals.append(f"B, host→child, MTU {m}: ours gvisor-tap-vsock port driver / reference slirp4netns port driver: {rc(qg)} (no goal set)")
    print(f"| {m} | {cell(ob)} | {cell(og)} | {cell(rb)} | {cell(rs)} | {cell(raw)} | {rc(q)} | {g} | {rc(qg)} | {rc(ratio(ob, rb))} |")
    # raw loopback (the physical limit) in both; the builtin figure's goal is against it
    figure(f"stack.b.tput.builtin.mtu{m}", group_b, f"builtin port driver, MTU {m}",
           "Gbit/s", "higher", {"ours": ob, "reference": rb, "raw loopback": raw}, "raw loopback", chart=True,
           goal="ours/raw loopback ≥ 0.9", checked=checked_probe + checked_b)
    figure(f"stack.b.tput.portdriver.mtu{m}", group_b,
           f"port driver: ours gvisor-tap-vsock vs reference slirp4netns, MTU {m}",
           "Gbit/s", "higher", {"ours": og, "reference": rs, "raw loopback": raw}, "reference", chart=True,
           checked=checked_probe + checked_b)

def samples(name, label):
    try:
        return [l.split() for l in open(f"{out}/rss-{name}.tsv") if l.startswith(label + " ")]
    except OSError:
        return []

def helper_rss(fig, variant, mtu, label):
    v = []
    for r in ok:
        if (r["fig"], r["variant"], r["mtu"]) == (fig, variant, str(mtu)):
            xs = samples(r["name"], label)
            xs = [int(x[3]) for x in xs if len(x) > 3 and x[3].isdigit()]
            if xs:
                v.append(max(xs) if label == "run" else statistics.median(xs))
    return v

print("""
### C. VmRSS of the rootlesskit parent, KiB

ours: the parent with the stack thread; reference: the Go parent alone (its slirp4netns child is shown apart, not counted).
Idle: `BIN --net=... sleep 5`, median of 5 samples from 2 s on; under load: maximum of samples every 0.2 s during the run.

| state | ours parent | reference parent | ours/reference | goal ≤ 1.0 | (reference's slirp4netns) |
| --- | ---: | ---: | ---: | --- | ---: |""")
def rss_figure(fid, title, a, b, h, goal=None):
    """results.json takes the KiB of the table in MiB; the reference's slirp4netns as its extra"""
    mib = lambda v: [round(x / 1024, 2) for x in v]
    figure(fid, "Built-in stack: VmRSS of the rootlesskit parent", title, "MiB", "lower", {"ours": mib(a), "reference": mib(b)},
           "reference", goal=goal, extra={"reference": {"slirp4netns_mib": mib(h)}})

a, b = series("C", "ours", 65520), series("C", "reference", 65520)
h = helper_rss("C", "reference", 65520, "idle")
q = ratio(a, b)
g = goal("C, parent VmRSS idle: ours / reference parent", q, lambda x: x <= 1.0, "≤ 1.0")
print(f"| idle (default MTU 65520) | {cell(a, '{:.0f}')} | {cell(b, '{:.0f}')} | {rc(q)} | {g} | {cell(h, '{:.0f}')} |")
rss_figure("stack.c.rss.idle", "idle (default MTU 65520), median of 5 samples", a, b, h, "ours/reference ≤ 1.0")
for m in (65520, 1500):
    a, b = series("A", "ours", m, "rss_max_kib"), series("A", "reference", m, "rss_max_kib")
    h = helper_rss("A", "reference", m, "run")
    q = ratio(a, b)
    if m == 65520:
        g = goal("C, parent VmRSS under load (A, MTU 65520): ours / reference parent", q, lambda x: x <= 1.0, "≤ 1.0")
    else:
        g = "(context)"
    print(f"| under load, A child→host, MTU {m} (max) | {cell(a, '{:.0f}')} | {cell(b, '{:.0f}')} | {rc(q)} | {g} | {cell(h, '{:.0f}')} |")
    rss_figure(f"stack.c.rss.load.a.mtu{m}", f"under load, A child→host, MTU {m} (max)", a, b, h,
               "ours/reference ≤ 1.0" if m == 65520 else None)
for m in (65520, 1500):
    for o, rf, key in (("ours-builtin", "reference-builtin", "builtin"), ("ours-gvisor", "reference-slirp4netns", "portdriver")):
        a, b = series("B", o, m, "rss_max_kib"), series("B", rf, m, "rss_max_kib")
        h = helper_rss("B", rf, m, "run")
        print(f"| under load, B {o} vs {rf}, MTU {m} (max) | {cell(a, '{:.0f}')} | {cell(b, '{:.0f}')} | {rc(ratio(a, b))} | (context) | {cell(h, '{:.0f}')} |")
        rss_figure(f"stack.c.rss.load.b.{key}.mtu{m}", f"under load, B {o} vs {rf}, MTU {m} (max)", a, b, h)

def cpu_pct(fig, variant, mtu, col):
    """% of one CPU used by the parent (col 4) or the slirp4netns child (col 5) while sampled"""
    v = []
    hz = os.sysconf("SC_CLK_TCK")
    for r in ok:
        if (r["fig"], r["variant"], r["mtu"]) == (fig, variant, str(mtu)):
            xs = [x for x in samples(r["name"], "run") if len(x) > 5]
            if len(xs) >= 2 and float(xs[-1][1]) > float(xs[0][1]):
                v.append(100 * (int(xs[-1][col]) - int(xs[0][col])) / hz / (float(xs[-1][1]) - float(xs[0][1])))
    return v

print("""
CPU time (user + system) while iperf3 ran, % of one CPU (context; the machine has """ + str(os.cpu_count()) + """ CPUs;
ours: the parent's main thread and the stack thread; reference: the Go parent and its slirp4netns child apart):

| run | MTU | ours parent | reference parent | reference's slirp4netns |
| --- | ---: | ---: | ---: | ---: |""")
r1 = lambda v: [round(x, 1) for x in v]
for fig, o, rf, label, key in (("A", "ours", "reference", "A child→host", "a"),
                               ("B", "ours-builtin", "reference-builtin", "B builtin port driver", "b.builtin"),
                               ("B", "ours-gvisor", "reference-slirp4netns", "B gvisor-tap-vsock / slirp4netns port driver", "b.portdriver")):
    for m in (1500, 65520):
        a, b, h = cpu_pct(fig, o, m, 4), cpu_pct(fig, rf, m, 4), cpu_pct(fig, rf, m, 5)
        print(f"| {label} | {m} | {cell(a, '{:.0f}')} | {cell(b, '{:.0f}')} | {cell(h, '{:.0f}')} |")
        # context only: ours' parent holds the stack, the reference's does not (its slirp4netns
        # does, in extra), so there is no ratio to draw
        figure(f"stack.cpu.{key}.mtu{m}", "Built-in stack: CPU time (user + system) while iperf3 ran, % of one CPU",
               f"{label}, MTU {m}: the rootlesskit parent", "%", "lower", {"ours": r1(a), "reference": r1(b)}, None,
               extra={"reference": {"slirp4netns_percent": r1(h)}})

print("\n### D. Checks\n")
def probe(name):
    try:
        return open(f"{out}/probe-{name}.txt").read().splitlines()
    except OSError:
        return []
ours_runs = [r for r in rows if r["variant"].startswith("ours")]
ours_ok = [r for r in ours_runs if r["status"] == "ok"]
print(f"- ours: {len(ours_ok)} of {len(ours_runs)} runs passed the checks (no slirp4netns and no pasta process serves "
      "the child's netns or runs under the parent; the parent's only child is the rootlesskit child; tap0 10.0.2.100/24 with the MTU asked for; "
      "B: the host listener is the parent's; nothing outlived the run)")
threads = set()
for r in ours_runs:
    for l in probe(r["name"]):
        if l.startswith("parent="):
            threads.add(l.rsplit("threads=", 1)[-1])
print(f"- ours: threads of the parent while the command ran: {', '.join(sorted(threads)) or '?'}")
for name, label in (("a-ours-mtu65520-r1", "ours, A"), ("a-reference-mtu65520-r1", "reference, A"),
                    ("b-ours-gvisor-mtu65520-r1", "ours gvisor port driver, B"),
                    ("b-reference-slirp4netns-mtu65520-r1", "reference slirp4netns port driver, B")):
    lines = probe(name)
    if not lines:
        print(f"- {label} (round 1, MTU 65520): no probe"); continue
    kv = {}
    for l in lines:
        k, _, v = l.partition("=")
        kv.setdefault(k, []).append(v)
    tree = "; ".join(" ".join(t.split()[0:1] + t.split()[2:]) for t in kv.get("tree", [])) or "none"
    hs = "; ".join(h.split()[0] for h in kv.get("helper", [])) or "no helper process"
    extra = f"; host listener: {kv['host_listener'][0]}" if "host_listener" in kv else ""
    print(f"- {label} (round 1, MTU 65520): interfaces `{kv.get('ifaces', ['?'])[0].strip()}`, tap0 MTU {kv.get('mtu', ['?'])[0]}, "
          f"`{kv.get('route', ['?'])[0]}`; parent `{kv.get('parent', ['?'])[0]}`, its tree: {tree}; serving the netns: {hs}{extra}")
leaks = [r for r in rows if r["leaked"] not in ("", "0")]
print("- processes that outlived their run (ended by the script): " +
      (", ".join(f"{r['name']}: {r['leaked']}" for r in leaks) if leaks else "none"))
goals.append("D, checks: " + ("met (every run passed)" if not bad else f"NOT met ({len(bad)} run(s) failed)"))

print("\n### Goals\n")
for g in goals:
    print(f"- {g}")
if bad:
    print("\nRuns that produced no figure or failed a check:\n")
    for r in bad:
        print(f"- `{r['name']}`: {r['status']}")
variant_key = {"pasta": "pasta alone", "raw": "raw loopback"}
with open(f"{out}/results.json", "w") as f:
    json.dump({"part": "stack", "command": cmdline, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", now),
               "settings": {"rounds": int(rounds), "time_s": int(time_s)}, "figures": figures,
               # named as the figures' variants, so a variant left empty is found here
               "failures": [f"stack: run {r['name']} ({r['fig']} {variant_key.get(r['variant'], r['variant'])}, MTU {r['mtu']}): "
                            f"{r['status']}" for r in bad]},
              f, ensure_ascii=False, indent=1)
if missing:
    print("\nMissing figures: " + ", ".join(missing))
    sys.exit(1)
PY
if [ "$failures" != 0 ] || [ "$rc" != 0 ]; then
	echo "stack.sh: FAILED: $failures run(s) produced no figure or failed a check, or a figure is missing (see the report and $out)" >&2
	exit 1
fi
