#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Port driver benchmark: traffic from the host side through a published port to a server inside
# the rootlesskit command, for every port driver, ours against the reference (Debian's Go
# rootlesskit 1.1.0) where it has the driver, in the same run, beside the same server reached
# directly on loopback ("raw"). Same machine, same run, as the unprivileged test user with sub-IDs.
#
#   sudo bash bench/ports.sh [--rounds N] [--time S] [--burst N] [--out DIR] [--quick]
#
#   --rounds N   rounds (default 3); every round runs each figure once per variant, in the order
#                ours, reference, raw (A B A B ... over the rounds)
#   --time S     iperf3 -t and wrk -d (default 10 seconds)
#   --burst N    connections of the burst test (default 5000; must fit the hard RLIMIT_NOFILE)
#   --out DIR    keep the raw data in DIR (default: a temporary directory, removed at the end)
#   --quick      smoke test: --rounds 1 --time 3, UDP at 1G only
#   --only LIST  run only these figures (comma-separated: tcp,keepalive,close,udp,drivers,burst,
#                rss; default all)
#
# As root it prepares the machine like the tests do (packages, user rktest with sub-IDs;
# tests/lib/setup-root.sh --no-prop), takes the machine-wide lock (waiting for a running test
# suite; held until the end) and runs itself as rktest inside a private network namespace with the
# test bed (tests/lib/as-test-user.sh). As any other user it measures directly (that user needs
# sub-IDs and the bed's RK_TEST_* variables). Binaries: RK_BIN (default <repo>/build/rootlesskit)
# and RK_REF_BIN (default /usr/bin/rootlesskit). Traffic goes only to 127.0.0.1 of the bed's
# namespace and, through the port driver, to the child's own network namespace.
#
# Figures 1-6 are of the builtin driver: `BIN --net=slirp4netns --disable-host-loopback
# --port-driver=builtin --state-dir=DIR -p 127.0.0.1:P:P/tcp [...] sh -c SERVER`; figure 7 is of
# the other drivers with the same command and other flags. The server (iperf3 -s or nginx) runs
# inside the command, the client (iperf3 -c, wrk, the burst client) on the host side, in the bed's
# namespace, against 127.0.0.1:P. "raw" is the same server started in the bed's namespace on
# 127.0.0.1 (another port) and the same client: the physical limit of the machine.
#  1. TCP host→child: `iperf3 -c 127.0.0.1 -p 5301 -t S -J` against `iperf3 -s -1` in the child
#     (publish 5301/tcp); Gbit/s at the receiver (end.sum_received). Goals: ours ≥ 0.9× raw,
#     ≥ 1.5× the reference.
#  2. HTTP keep-alive: `wrk -c 32 -t 2 -d S --latency` against nginx in the child (publish
#     8080/tcp); requests/s, p50 and p99 latency. Goal: ours ≥ 3× the reference.
#  3. New connections: the same with `-H 'Connection: close'` (one request per connection):
#     requests/s = connections/s. Goal: ours ≥ 1.2× the reference.
#  4. UDP host→child: `iperf3 -u -b RATE -l 1400 -t S` (1G and 500M) against `iperf3 -s -1` in the
#     child (publish 5301 as tcp, iperf3's control connection, and udp); Mbit/s received and
#     iperf3's loss % (lost_percent: sequence gaps seen by the receiver). Goal: ours ≥ the
#     reference's throughput, with less loss.
#  5. Burst: bench/burst.c (compiled into DIR) opens N connections at once (default 5000), sends
#     `GET / HTTP/1.0` on each once all have connected, and counts complete answers (200, the
#     whole body, EOF) within 30 s. nginx has worker_connections ≥ N and worker_rlimit_nofile =
#     the hard limit; the report states that limit. Goal: all N answered through ours.
#  6. Memory: 100 published ports (`-p 127.0.0.1:8080:8080/tcp` and 99 more host ports
#     18001..18099 onto the same child port): VmRSS of the rootlesskit parent (the process this
#     script started; the reference's Go parent) and, separately, of the rootlesskit child (the
#     PID in the state dir's child_pid), idle (1 s after start-up; median of 5 samples), under
#     load (maximum of 5 samples a second during a keep-alive wrk run of S seconds through one
#     of the ports) and after it. Goal: ours' parent ≤ 0.3× the reference's, idle and under load.
# nginx (as the test user, in a temporary directory of DIR): `daemon off`, 1 worker, access_log
# off, keepalive_requests 1000000, a 612-byte static index.html, backlog 4096, multi_accept on.
#
#  7. Every other port driver, TCP as 1. and UDP as 4. at -b 1G (the builtin rows are 1. and 4.):
#     - slirp4netns: `--net=slirp4netns --port-driver=slirp4netns`, ours and the reference.
#       Without --disable-host-loopback: with it, slirp4netns 1.2.0 (libslirp 4.7) drops the
#       child's UDP replies to a forwarded port, for both (the iperf3 UDP client then hangs; a
#       plain UDP echo through it gets no answer);
#     - implicit: `--net=pasta --disable-host-loopback --port-driver=implicit` (pasta forwards
#       the ports bound in the namespace; -p is ignored), ours only (1.1.0 has no pasta). First,
#       pasta alone is tried with a UDP port bound after it started (socat echo): Debian 12's
#       pasta (2023-03) does not forward one, and every port of the command is bound after
#       pasta started, so the UDP figure is then reported as not measured, with the reason;
#     - gvisor-tap-vsock: `--net=gvisor-tap-vsock --port-driver=gvisor-tap-vsock` (libslirp's
#       forwarding in the parent's stack thread), ours only;
#     - socat: `--net=slirp4netns --disable-host-loopback --port-driver=socat`, ours only
#       (upstream removed it in v0.14.0).
#     No goal; TCP is shown beside raw loopback.
#
# Checks on every run (a failed check fails the run): the server in the command is listening in a
# network namespace other than the bed's, with tap0; the host sockets of every published port
# (TCP listeners, UDP sockets) belong to the driver's process: builtin and gvisor-tap-vsock the
# rootlesskit parent itself, slirp4netns and socat the parent's slirp4netns/socat children;
# implicit: pasta makes itself undumpable, so ss cannot name it: a listener on the server's port
# whose owner ss cannot read, and a pasta daemon of this run alive; the command ended when told
# to and rootlesskit exited 0; no rootlesskit, slirp4netns, pasta, socat, nginx or iperf3 process
# of the run outlived it (ended and counted). Every client has a time limit and an outer
# `timeout`: nothing can hang.
#
# Output: in DIR the raw data (iperf-*.json, wrk-*.txt, burst-*.json, rss-*.tsv, probe-*.txt,
# *.stderr, results.tsv); on stdout a Markdown report with the machine, the date and the command.
# Exits non-zero (after the report) when a run produced no number or failed a check.
set -euo pipefail
self=$(readlink -f "${BASH_SOURCE[0]}")
repo=$(cd "$(dirname "$self")/.." && pwd)

rounds=3 time_s=10 burst_n=5000 out='' burst_src='' only=tcp,keepalive,close,udp,drivers,burst,rss
udp_rates='1G 500M'
orig_args=("$@")
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--time) time_s=$2; shift 2 ;;
	--burst) burst_n=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--burst-src) burst_src=$2; shift 2 ;; # internal: the root half's copy of bench/burst.c
	--quick) rounds=1 time_s=3 udp_rates=1G; shift ;;
	--udp-rates) udp_rates=${2//,/ }; shift 2 ;; # internal: what --quick chose, for the user half
	-h | --help) sed -n '3,/^set -euo/p' "$self" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "ports.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done
for t in ${only//,/ }; do
	case "$t" in tcp | keepalive | close | udp | drivers | burst | rss) ;; *) echo "ports.sh: --only: unknown figure $t" >&2; exit 2 ;; esac
done
for v in $udp_rates; do
	[[ "$v" =~ ^[1-9][0-9]*[KMG]?$ ]] || { echo "ports.sh: --udp-rates: not an iperf3 rate: $v" >&2; exit 2; }
done
for v in "$rounds" "$time_s" "$burst_n"; do
	case "$v" in '' | *[!0-9]* | 0) echo "ports.sh: --rounds, --time and --burst take a positive integer" >&2; exit 2 ;; esac
done
ours=${RK_BIN:-$repo/build/rootlesskit}
ref=${RK_REF_BIN:-/usr/bin/rootlesskit}
case "$ours" in /*) ;; *) ours=$PWD/$ours ;; esac

# ---------------------------------------------------------------- as root: set up, re-exec
if [ "$(id -u)" = 0 ]; then
	# shellcheck source=tests/lib/common.sh
	. "$repo/tests/lib/common.sh"
	# The test user may not reach the checkout (rk_bench_as_test_user then copies the script and
	# the binary): the burst client's source goes along as a world-readable copy.
	burst_src=$(mktemp /tmp/rootlesskit-bench-burst.XXXXXX.c)
	trap 'rm -f "$burst_src"' EXIT
	install -m 0644 "$repo/bench/burst.c" "$burst_src"
	rk_bench_as_test_user "$self" "$out" "$ours" "$ref" \
		"bench/ports.sh${orig_args[*]:+ ${orig_args[*]}}" --rounds "$rounds" --time "$time_s" \
		--burst "$burst_n" --only "$only" --burst-src "$burst_src" --udp-rates "${udp_rates// /,}"
fi

# ---------------------------------------------------------------- as the unprivileged user
die() { echo "ports.sh: $*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }
for tool in iperf3 wrk nginx slirp4netns ss timeout cc /usr/bin/python3; do
	command -v "$tool" >/dev/null || die "$tool is missing (run as root once to install it)"
done
grep -qE "^($(id -un)|$(id -u)):" /etc/subuid || die "$(id -un) has no range in /etc/subuid"
[ "${RK_TEST_NETBED:-}" = 1 ] || die "not inside the network test bed (run as root: it builds the bed)"
[ -n "$out" ] || out=$(mktemp -d /tmp/rootlesskit-bench-ports.XXXXXX)
mkdir -p "$out/tmp" "$out/state"
cd "$out"
export TMPDIR=$out/tmp
nginx_bin=$(command -v nginx)

# The burst client: bench/burst.c (or the copy the root half made)
[ -n "$burst_src" ] || burst_src=$repo/bench/burst.c
[ -r "$burst_src" ] || die "$burst_src is missing or not readable"
cc -O2 -Wall -o "$out/burst" "$burst_src" 2>"$out/burst-cc.err" || { cat "$out/burst-cc.err" >&2; die "cc bench/burst.c failed"; }

nofile_hard=$(ulimit -Hn)
[ "$nofile_hard" = unlimited ] && nofile_hard=1048576
# per connection: the client 1 fd, nginx 1, the rootlesskit parent 2 (plus pipes while bytes
# are in flight): the parent is the tightest
need=$((2 * burst_n + 512))
[ "$need" -le "$nofile_hard" ] ||
	die "--burst $burst_n needs about $need fds in the rootlesskit parent; the hard RLIMIT_NOFILE is $nofile_hard"
worker_conns=$((burst_n + 512))
[ "$worker_conns" -ge 10240 ] || worker_conns=10240
[ "$worker_conns" -le "$((nofile_hard - 64))" ] || worker_conns=$((nofile_hard - 64))

for b in "$ours" "$ref"; do
	[ -x "$b" ] || die "$b is not executable"
	"$b" true 2>"$out/check.err" || { cat "$out/check.err" >&2; die "'$b true' failed"; }
	case "$("$b" --help 2>&1)" in *builtin*) ;; *) die "$b has no --port-driver=builtin" ;; esac
done
rm -f "$out/check.err"

bed_netns=$(readlink /proc/self/ns/net)
port_iperf=5301 port_iperf_raw=5302 port_http=8080 port_http_raw=8081
client_timeout=$((time_s + 30))
outer_timeout=$((time_s + 90))
burst_timeout_ms=30000

# ---------------------------------------------------------------- nginx
# nginx_conf DIR PORT LISTEN-ADDR USER-LINE: a self-contained nginx set-up in DIR
nginx_conf() {
	local d=$1
	mkdir -p "$d/www" "$d/tmp"
	chmod 755 "$d" "$d/www"
	head -c 612 /dev/zero | tr '\0' 'x' >"$d/www/index.html"
	cat >"$d/nginx.conf" <<EOF
$4
worker_processes 1;
worker_rlimit_nofile $nofile_hard;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events {
	worker_connections $worker_conns;
	multi_accept on;
}
http {
	access_log off;
	sendfile on;
	keepalive_timeout 75s;
	keepalive_requests 1000000;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	default_type text/html;
	server {
		listen $3:$2 backlog=4096;
		root $d/www;
		location / { }
	}
}
EOF
}
# inside the command nginx's master is root of the user namespace: keep its workers so (the
# raw data dir is not readable by others)
nginx_conf "$out/nginx-child" "$port_http" 0.0.0.0 'user root root;'
nginx_conf "$out/nginx-raw" "$port_http_raw" 127.0.0.1 ''
nginx_cmd() { echo "$nginx_bin" -c "$1/nginx.conf" -p "$1" -e "$1/error.log"; }
"$nginx_bin" -t -c "$out/nginx-raw/nginx.conf" -p "$out/nginx-raw" -e "$out/nginx-raw/error.log" \
	>"$out/nginx-t.txt" 2>&1 || { cat "$out/nginx-t.txt" >&2; die "nginx -t failed"; }

# wrk's summary as one JSON line (latencies in µs)
cat >"$out/wrk-json.lua" <<'EOF'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
		'"connect_errors": %d, "read_errors": %d, "write_errors": %d, "status_errors": %d, ' ..
		'"timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
		summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
		e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
		latency.max, latency.mean))
end
EOF

# ---------------------------------------------------------------- the command inside rootlesskit
# sh -c "$inner" sh READY FIFO PORT SERVER...: starts the server, waits until it listens on
# PORT/tcp, writes the probe to READY, waits for a line on FIFO, stops the server.
# shellcheck disable=SC2016  # expanded by the inner shell
inner='ready=$1 fifo=$2 port=$3
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
	echo "netns=$(readlink /proc/self/ns/net)"
	echo "ifaces=$(ip -o link show | sed -e "s/^[0-9]*: \([^:@]*\).*/\1/" | tr "\n" " ")"
	echo "listen=$(ss -Hltn "sport = :$port" | awk "{ print \$4 }" | tr "\n" " ")"
} >"$ready.tmp"
mv "$ready.tmp" "$ready"
read -r _ <"$fifo"
kill "$s" 2>/dev/null
wait "$s" 2>/dev/null
exit 0'

printf 'name\ttest\tside\tround\tstatus\tleaked\n' >"$out/results.tsv"
failures=0
record() { # NAME TEST SIDE ROUND STATUS LEAKED
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$out/results.tsv"
	if [ "$5" != ok ]; then
		failures=$((failures + 1))
		echo "ports.sh: FAILED: $1: $5" >&2
	fi
}

# This user's live rootlesskit, slirp4netns, socat, nginx and iperf3 processes (the reference's
# child is `exe`) in this bed's network namespace or in the current run's child namespace, and
# pasta daemons (comm passt or passt.avx2) started for a state dir of this script (pasta makes
# itself undumpable: its netns cannot be read, its command line can): never those of another run
# of the same user (a test suite in its own bed, say).
rk_child_netns=''
run_pids() {
	local p c n
	ps -u "$(id -u)" -o pid=,stat=,comm= |
		awk '$2 !~ /^[ZX]/ && $3 ~ /^(rootlesskit|slirp4netns|passt|passt\.avx2|pasta|socat|nginx|iperf3|exe)$/ { print $1, $3 }' |
		while read -r p c; do
			case "$c" in
			pas*)
				n=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
				[[ "$n" != *" --pid=$out/state/"* ]] || echo "$p"
				continue ;;
			esac
			n=$(readlink "/proc/$p/ns/net" 2>/dev/null) || continue
			if [ "$n" = "$bed_netns" ] || { [ -n "$rk_child_netns" ] && [ "$n" = "$rk_child_netns" ]; }; then
				echo "$p"
			fi
		done | sort
}
new_pids() { run_pids | comm -13 <(echo "$rk_before") -; } # the run's processes (rk_start's rk_before)
rss_kib() { # PID: VmRSS in KiB, or nothing
	local k v _
	{ while read -r k v _; do [ "$k" = VmRSS: ] && { echo "$v"; return 0; }; done <"/proc/$1/status"; } 2>/dev/null
	return 0
}

# Functions below report a problem by appending to $fail (they run in this shell: they start and
# wait for background processes).
fail=''
failed() { fail="$fail${fail:+; }$*"; }

# The flags of each port driver's runs (pdrv, set by the caller; builtin unless said otherwise):
# the network driver it works with, and the processes that must own its host sockets.
pdrv=builtin
pdrv_flags() { # prints one flag a line
	case "$pdrv" in
	builtin | socat) printf '%s\n' --net=slirp4netns --disable-host-loopback ;;
	# without --disable-host-loopback: with it, slirp4netns 1.2.0 (libslirp 4.7) drops the
	# child's UDP replies to a forwarded port (both sides; see the top)
	slirp4netns) printf '%s\n' --net=slirp4netns ;;
	gvisor-tap-vsock) printf '%s\n' --net=gvisor-tap-vsock ;;
	implicit) printf '%s\n' --net=pasta --disable-host-loopback ;;
	esac
	echo "--port-driver=$pdrv"
}
pdrv_owners() { # the PIDs that must own the host sockets of the published ports, one a line
	case "$pdrv" in
	builtin | gvisor-tap-vsock) echo "$rk_ppid" ;; # the parent itself (ours: the stack's thread)
	slirp4netns) pgrep -P "$rk_ppid" -x slirp4netns || true ;;
	socat) pgrep -P "$rk_ppid" -x socat || true ;;
	# implicit: pasta daemonises and makes itself undumpable, so ss cannot name it: see rk_start
	esac
}

# rk_start NAME BIN NLISTEN PORT SERVER...: rootlesskit BIN with the flags of $pdrv, publishing
# "${pub[@]}", the command running SERVER (listening on PORT/tcp inside). Sets rk_tpid (the outer
# timeout), rk_ppid (the rootlesskit parent), rk_cpid (the child), rk_fifo. Checks the driver
# (see the top).
rk_tpid='' rk_ppid='' rk_cpid='' rk_fifo='' rk_before='' rk_name=''
rk_start() {
	local name=$1 bin=$2 nlisten=$3 i owned=0 p owners='' re flags
	shift 3
	local sport=$1 # the server's port inside (implicit: also the host's)
	local ready=$out/probe-$name.txt state=$out/state/$name
	rk_name=$name rk_fifo=$out/tmp/fifo-$name rk_child_netns=''
	rm -rf "$ready" "$state" "$rk_fifo"
	mkfifo "$rk_fifo"
	rk_before=$(run_pids)
	mapfile -t flags < <(pdrv_flags)
	timeout -k 5 "$outer_timeout" "$bin" "${flags[@]}" --state-dir="$state" "${pub[@]}" \
		/bin/sh -c "$inner" sh "$ready" "$rk_fifo" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" &
	rk_tpid=$! rk_ppid='' rk_cpid=''
	for i in $(seq 1000); do
		[ -n "$rk_ppid" ] || rk_ppid=$(pgrep -P "$rk_tpid" | head -n 1) || true
		[ -s "$ready" ] && [ -n "$rk_ppid" ] && break
		if ! kill -0 "$rk_tpid" 2>/dev/null; then
			failed "rootlesskit exited before the server was ready: $(tail -n 3 "$out/$name.stderr" | tr '\n' ' ')"
			return 1
		fi
		[ "$i" -lt 1000 ] || { failed "the server was not ready after 20 s"; return 1; }
		sleep 0.02
	done
	rk_child_netns=$(sed -n 's/^netns=//p' "$ready")
	rk_cpid=$(cat "$state/child_pid" 2>/dev/null) || true
	[ -n "$rk_cpid" ] || { failed "no child_pid in $state"; return 1; }
	if grep -qx "netns=$bed_netns" "$ready"; then
		failed "the server runs in the bed's network namespace"; return 1
	fi
	grep -q '^ifaces=.* tap0 ' "$ready" || { failed "no tap0 in the child: $(grep ifaces= "$ready")"; return 1; }
	{
		echo "flags=${flags[*]}"
		echo "parent=$rk_ppid $(cat "/proc/$rk_ppid/comm" 2>/dev/null)"
		echo "child=$rk_cpid $(cat "/proc/$rk_cpid/comm" 2>/dev/null)"
	} >>"$ready"
	if [ "$pdrv" = implicit ]; then
		# pasta forwards every port bound in the namespace (its own scan): wait for the server's
		# port on the host side, held by a socket ss cannot name, with a pasta of this run alive
		for i in $(seq 250); do
			owned=$(ss -Hltn "sport = :$sport" | grep -c . || true)
			[ "$owned" -lt 1 ] || break
			sleep 0.02
		done
		p=$(new_pids | while read -r i; do
			case "$(cat "/proc/$i/comm" 2>/dev/null)" in pas*) echo "$i" ;; esac; done | head -n 1)
		{
			echo "pasta=$p"
			ss -Hltnp "sport = :$sport" | head -n 3 | sed 's/^/host_listener=/'
		} >>"$ready"
		[ -n "$p" ] || { failed "no pasta process of this run"; return 1; }
		if [ "$owned" -lt 1 ] || ss -Hltnp "sport = :$sport" | grep -q 'users:'; then
			failed "no host listener on :$sport that only pasta could hold (implicit driver?)"
			return 1
		fi
		return 0
	fi
	for i in $(seq 250); do
		owners=$(pdrv_owners | tr '\n' ' ')
		re="pid=(${owners% }),"
		re=${re// /|}
		owned=0
		[ -z "${owners// /}" ] || owned=$(ss -Hltnp | grep -cE "$re" || true)
		[ "$owned" -lt "$nlisten" ] || break
		sleep 0.02
	done
	{
		echo "owners=$owners($pdrv)"
		echo "host_tcp_listeners_of_owners=$owned"
		[ -z "${owners// /}" ] || ss -Hltnup | grep -E "$re" | head -n 3 | sed 's/^/host_listener=/'
	} >>"$ready"
	if [ "$owned" -lt "$nlisten" ]; then
		failed "the expected owners ($pdrv driver: '${owners% }') hold $owned host TCP listeners, not $nlisten"
		return 1
	fi
	for p in "${pub[@]}"; do
		case "$p" in
		*/udp)
			p=${p%/udp}
			if ! ss -Hlunp "sport = :${p##*:}" | grep -E "$re" >/dev/null; then
				failed "no host UDP socket for $p/udp held by the $pdrv driver's '${owners% }'"; return 1
			fi ;;
		esac
	done
	return 0
}
# rk_stop: tell the command to end, wait for rootlesskit, end and count what outlived it
# (rk_leaked)
rk_leaked=0
rk_stop() {
	local i rc=0 p cmd leaked=''
	[ -n "$rk_tpid" ] || return 0
	# shellcheck disable=SC2016  # $1 of the inner shell
	timeout 5 sh -c ': >"$1"' sh "$rk_fifo" 2>/dev/null || true
	for i in $(seq 200); do
		kill -0 "$rk_tpid" 2>/dev/null || break
		if [ "$i" = 200 ]; then
			failed "rootlesskit still ran 10 s after its command was told to end"
			kill "$rk_tpid" 2>/dev/null || true
		fi
		sleep 0.05
	done
	wait "$rk_tpid" || rc=$?
	rk_tpid=''
	[ "$rc" = 0 ] || failed "rootlesskit exit status $rc: $(tail -n 2 "$out/$rk_name.stderr" | tr '\n' ' ')"
	for i in $(seq 20); do
		leaked=$(new_pids | tr '\n' ' ')
		[ -n "${leaked// /}" ] || break
		sleep 0.1
	done
	rk_leaked=0
	for p in $leaked; do
		cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || cmd=''
		[ -n "$cmd" ] || continue # gone meanwhile
		cmd=${cmd:0:200}
		echo "ports.sh: $rk_name: process $p ($cmd) outlived the run; ending it" >&2
		kill -9 "$p" 2>/dev/null || true
		rk_leaked=$((rk_leaked + 1))
	done
	[ "$rk_leaked" = 0 ] || failed "$rk_leaked process(es) outlived rootlesskit"
	rm -f "$rk_fifo"
}

# the raw servers, in the bed's namespace
raw_pid=''
raw_start() { # NAME PORT SERVER...
	local name=$1 port=$2 i
	shift 2
	"$@" >"$out/$name.stdout" 2>"$out/$name.stderr" &
	raw_pid=$!
	for i in $(seq 500); do
		ss -Hltn "sport = :$port" | grep "127.0.0.1:$port" >/dev/null && return 0
		if ! kill -0 "$raw_pid" 2>/dev/null; then
			failed "the raw server exited: $(tail -n 3 "$out/$name.stderr" | tr '\n' ' ')"; return 1
		fi
		sleep 0.02
	done
	failed "the raw server is not listening after 10 s"
	return 1
}
raw_stop() {
	[ -n "$raw_pid" ] || return 0
	kill "$raw_pid" 2>/dev/null || true
	wait "$raw_pid" 2>/dev/null || true
	raw_pid=''
}
cleanup() {
	raw_stop
	if [ -n "$rk_tpid" ]; then kill "$rk_tpid" 2>/dev/null || true; fi
	if [ -n "$sampler" ]; then kill "$sampler" 2>/dev/null || true; fi
}
sampler=''
trap cleanup EXIT

# ---------------------------------------------------------------- the clients
check_result() { # KIND FILE: prints an error text, or nothing
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
kind, f = sys.argv[1:]
try:
    if kind in ("tcp", "udp"):
        d = json.load(open(f))
        if d.get("error"):
            print("iperf3: " + d["error"]); sys.exit()
        s = d["end"]["sum_received"]
        if not s["bits_per_second"] > 0:
            print("iperf3 received nothing")
    elif kind == "burst":
        d = json.load(open(f))
        d["answered"]
    else:
        lines = [l for l in open(f) if l.startswith("WRKJSON ")]
        if not lines:
            print("no wrk summary"); sys.exit()
        d = json.loads(lines[-1][8:])
        if d["requests"] <= 0:
            print("wrk made no request")
        elif d["status_errors"]:
            print(f"{d['status_errors']} non-2xx answers")
except Exception as e:
    print(f"no result ({e.__class__.__name__}: {e})")
PY
}

# client KIND NAME PORT [RATE]: the host-side client against 127.0.0.1:PORT
client() {
	local kind=$1 name=$2 port=$3 rate=${4:-} rc=0 e='' f hdr=()
	case "$kind" in
	tcp | udp)
		f=$out/iperf-$name.json
		local opts=()
		[ "$kind" = tcp ] || opts=(-u -b "$rate" -l 1400)
		timeout -k 5 "$client_timeout" iperf3 -c 127.0.0.1 -p "$port" "${opts[@]}" -t "$time_s" -J \
			--connect-timeout 5000 >"$f" 2>"$out/$name.client.stderr" || rc=$? ;;
	keepalive | close | rss)
		f=$out/wrk-$name.txt
		[ "$kind" != close ] || hdr=(-H 'Connection: close')
		timeout -k 5 "$client_timeout" wrk -c 32 -t 2 -d "${time_s}s" --latency --timeout 5s \
			"${hdr[@]}" -s "$out/wrk-json.lua" "http://127.0.0.1:$port/" \
			>"$f" 2>"$out/$name.client.stderr" || rc=$? ;;
	burst)
		f=$out/burst-$name.json
		timeout -k 5 $((burst_timeout_ms / 1000 + 30)) "$out/burst" 127.0.0.1 "$port" "$burst_n" \
			"$burst_timeout_ms" >"$f" 2>"$out/$name.client.stderr" || rc=$? ;;
	esac
	e=$(check_result "$kind" "$f")
	[ -n "$e" ] || [ "$rc" = 0 ] || e="client exit status $rc"
	[ -z "$e" ] || failed "$e $(tail -n 2 "$out/$name.client.stderr" 2>/dev/null | tr '\n' ' ')"
	[ -z "$e" ]
}

# run_rk TEST SIDE ROUND KIND [RATE]: one figure through rootlesskit
run_rk() {
	local test=$1 side=$2 round=$3 kind=$4 rate=${5:-} bin=$ours name
	[ "$side" = ours ] || bin=$ref
	name=$test-$side-r$round
	log "round $round: $test, $side"
	fail=''
	case "$kind" in
	tcp) pub=(-p "127.0.0.1:$port_iperf:$port_iperf/tcp") ;;
	udp) pub=(-p "127.0.0.1:$port_iperf:$port_iperf/tcp" -p "127.0.0.1:$port_iperf:$port_iperf/udp") ;;
	*) pub=(-p "127.0.0.1:$port_http:$port_http/tcp") ;;
	esac
	if [ "$kind" = tcp ] || [ "$kind" = udp ]; then
		if rk_start "$name" "$bin" 1 "$port_iperf" iperf3 -s -1 -p "$port_iperf"; then
			client "$kind" "$name" "$port_iperf" "$rate" || true
		fi
	else
		# shellcheck disable=SC2046
		if rk_start "$name" "$bin" 1 "$port_http" $(nginx_cmd "$out/nginx-child"); then
			client "$kind" "$name" "$port_http" || true
		fi
	fi
	rk_stop
	record "$name" "$test" "$side" "$round" "${fail:-ok}" "$rk_leaked"
}

run_raw() { # TEST ROUND KIND [RATE]
	local test=$1 round=$2 kind=$3 rate=${4:-} name=$1-raw-r$2
	log "round $round: $test, raw"
	fail=''
	if [ "$kind" = tcp ] || [ "$kind" = udp ]; then
		if raw_start "$name" "$port_iperf_raw" iperf3 -s -1 -B 127.0.0.1 -p "$port_iperf_raw"; then
			client "$kind" "$name" "$port_iperf_raw" "$rate" || true
		fi
	else
		# shellcheck disable=SC2046
		if raw_start "$name" "$port_http_raw" $(nginx_cmd "$out/nginx-raw"); then
			client "$kind" "$name" "$port_http_raw" || true
		fi
	fi
	raw_stop
	record "$name" "$test" raw "$round" "${fail:-ok}" 0
}

# run_rss SIDE ROUND: 100 published ports, VmRSS of parent and child idle, under load, after
rss_sample() { # LABEL: one line "LABEL TIME PARENT CHILD" into $rss_file
	echo "$1 $EPOCHREALTIME $(rss_kib "$rk_ppid") $(rss_kib "$rk_cpid")" >>"$rss_file"
}
run_rss() {
	local side=$1 round=$2 bin=$ours name i
	[ "$side" = ours ] || bin=$ref
	name=rss-$side-r$round
	log "round $round: rss with 100 ports, $side"
	fail=''
	pub=(-p "127.0.0.1:$port_http:$port_http/tcp")
	for i in $(seq 18001 18099); do pub+=(-p "127.0.0.1:$i:$port_http/tcp"); done
	rss_file=$out/rss-$name.tsv
	: >"$rss_file"
	# shellcheck disable=SC2046
	if rk_start "$name" "$bin" 100 "$port_http" $(nginx_cmd "$out/nginx-child"); then
		sleep 1
		for i in 1 2 3 4 5; do rss_sample idle; sleep 0.2; done
		(
			trap 'exit 0' TERM
			while :; do rss_sample load; sleep 0.2; done
		) &
		sampler=$!
		client rss "$name" "$port_http" || true
		kill "$sampler" 2>/dev/null || true
		wait "$sampler" 2>/dev/null || true
		sampler=''
		sleep 1
		for i in 1 2 3 4 5; do rss_sample after; sleep 0.2; done
		grep -q '^load [0-9.]* [0-9]' "$rss_file" || failed "no VmRSS sample under load"
		grep -q '^idle [0-9.]* [0-9]* [0-9]' "$rss_file" || failed "no VmRSS sample of parent and child"
	fi
	rk_stop
	record "$name" rss "$side" "$round" "${fail:-ok}" "$rk_leaked"
}

cat /proc/loadavg >"$out/loadavg-start.txt"
echo "$nofile_hard" >"$out/nofile-hard.txt"

# ---------------------------------------------------------------- the rounds
want() { [[ ",$only," == *",$1,"* ]]; }

# The other port drivers (builtin's rows are the tcp and udp1G figures). Debian 12's pasta
# (2023-03) does not forward a UDP port bound after it started, and every port of the command is
# bound after it (the implicit driver starts pasta first): tried here with pasta alone, and if so
# that figure is reported as not measured, with the reason, instead of failing every round.
pd_list='slirp4netns implicit gvisor-tap-vsock socat'
pd_implicit_udp_na=''
pasta_udp_probe() { # succeeds when pasta forwards a UDP port bound after it started
	local port=5399 got=''
	# shellcheck disable=SC2016  # $1 of the inner shell
	timeout -k 2 6 pasta --config-net --ipv4-only --tcp-ports=none --udp-ports=auto \
		-T none -U none -f -- sh -c 'sleep 0.3; exec timeout 4 socat UDP-RECVFROM:"$1",fork EXEC:cat' \
		sh "$port" >"$out/pasta-udp-probe.txt" 2>&1 &
	local pp=$!
	sleep 1.5
	got=$(echo probe | timeout 2 socat - "UDP:127.0.0.1:$port" 2>>"$out/pasta-udp-probe.txt") || true
	wait "$pp" 2>/dev/null || true
	[ "$got" = probe ]
}
if want drivers; then
	for d in $pd_list; do
		case "$("$ours" --help 2>&1)" in *"$d"*) ;; *) die "$ours has no --port-driver=$d" ;; esac
	done
	case "$("$ref" --help 2>&1)" in *slirp4netns*) ;; *) die "$ref has no --port-driver=slirp4netns" ;; esac
	for tool in pasta socat pgrep; do command -v "$tool" >/dev/null || die "$tool is missing (run as root once to install it)"; done
	if ! pasta_udp_probe; then
		pd_implicit_udp_na="this pasta ($(dpkg-query -W -f '${Version}' passt 2>/dev/null || echo '?')) does not forward a UDP port bound after it started (tried with pasta alone: $(tail -n 1 "$out/pasta-udp-probe.txt" | cut -c1-120)); the implicit driver's ports are all bound after it"
		echo "$pd_implicit_udp_na" >"$out/pd-implicit-udp.not-measured"
		log "implicit UDP: not measured: $pd_implicit_udp_na"
	fi
fi
for r in $(seq "$rounds"); do
	for t in tcp keepalive close; do
		want "$t" || continue
		run_rk "$t" ours "$r" "$t"
		run_rk "$t" reference "$r" "$t"
		run_raw "$t" "$r" "$t"
	done
	if want udp; then
		for rate in $udp_rates; do
			run_rk "udp$rate" ours "$r" udp "$rate"
			run_rk "udp$rate" reference "$r" udp "$rate"
			run_raw "udp$rate" "$r" udp "$rate"
		done
	fi
	if want drivers; then
		for d in $pd_list; do
			for k in tcp udp; do
				if [ "$d.$k" = implicit.udp ] && [ -n "$pd_implicit_udp_na" ]; then continue; fi
				pdrv=$d
				run_rk "pd.$d.$k" ours "$r" "$k" 1G
				if [ "$d" = slirp4netns ]; then run_rk "pd.$d.$k" reference "$r" "$k" 1G; fi
				pdrv=builtin
			done
		done
	fi
	if want burst; then
		run_rk burst ours "$r" burst
		run_rk burst reference "$r" burst
		run_raw burst "$r" burst
	fi
	if want rss; then
		run_rss ours "$r"
		run_rss reference "$r"
	fi
done
trap - EXIT
cat /proc/loadavg >"$out/loadavg-end.txt"

# ---------------------------------------------------------------- report
rc=0
/usr/bin/python3 - "$out" "$ours" "$ref" "${RK_BENCH_CMDLINE:-bench/ports.sh${orig_args[*]:+ ${orig_args[*]}}}" \
	"$rounds" "$time_s" "$burst_n" "$nofile_hard" "$worker_conns" "$burst_timeout_ms" <<'PY' || rc=$?
import csv, hashlib, json, os, platform, statistics, subprocess, sys, time
out, ours, ref, cmdline, rounds, time_s, burst_n, nofile, wconns, burst_to = sys.argv[1:]
burst_n = int(burst_n)

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

rows = list(csv.DictReader(open(f"{out}/results.tsv"), delimiter="\t"))
okrows = [r for r in rows if r["status"] == "ok"]
bad = [r for r in rows if r["status"] != "ok"]

def load(r):
    n = r["name"]
    t = r["test"]
    if t in ("tcp", "udp1G", "udp500M") or t.startswith("pd."):
        return json.load(open(f"{out}/iperf-{n}.json"))
    if t in ("keepalive", "close", "rss"):
        return json.loads([l for l in open(f"{out}/wrk-{n}.txt") if l.startswith("WRKJSON ")][-1][8:])
    if t == "burst":
        return json.load(open(f"{out}/burst-{n}.json"))

def series(test, side, f):
    v = []
    for r in okrows:
        if r["test"] == test and r["side"] == side:
            v.append(f(load(r), r))
    return v

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

def rcell(q, fmt="{:.2f}"):
    return "–" if q is None else fmt.format(q)

gbps = lambda d, r: d["end"]["sum_received"]["bits_per_second"] / 1e9
mbps = lambda d, r: d["end"]["sum_received"]["bits_per_second"] / 1e6
lost = lambda d, r: d["end"]["sum_received"]["lost_percent"]
rps = lambda d, r: d["requests"] / (d["duration_us"] / 1e6)
p50 = lambda d, r: d["p50_us"] / 1000
p99 = lambda d, r: d["p99_us"] / 1000
answered = lambda d, r: d["answered"]
lastms = lambda d, r: d["last_answer_ms"]

PDRVS = ("slirp4netns", "implicit", "gvisor-tap-vsock", "socat")
def net_flags(d):
    """The flags a driver's runs had besides --port-driver (rk_start's probe line flags=)."""
    for side in ("ours", "reference"):
        for r in rows:
            if r["test"] == f"pd.{d}.tcp" and r["side"] == side:
                try:
                    for l in open(f"{out}/probe-{r['name']}.txt"):
                        if l.startswith("flags="):
                            return " ".join(x for x in l[6:].split()
                                            if not x.startswith("--port-driver="))
                except OSError:
                    pass
    return "?"
PDRV_NET = {d: net_flags(d) for d in PDRVS}
goals = []
def verdict(ok, text):
    if ok is None:
        return "no result"
    return ("met" if ok else "**missed**") + (f" ({text})" if text else "")

u = os.uname()
la0 = " ".join(open(f"{out}/loadavg-start.txt").read().split()[:3])
la1 = " ".join(open(f"{out}/loadavg-end.txt").read().split()[:3])
print(f"""## Port drivers, host → child

- date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}
- machine: Linux {u.release} ({u.machine}), {cpu()}, {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))})
- command: `{cmdline}` ({rounds} round{'' if rounds == '1' else 's'}; per figure ours, reference, raw in turn; iperf3 -t {time_s}, wrk -d {time_s}s)
- run as: {os.environ.get('USER', '?')} (uid {os.getuid()}), private network namespace with the test bed; clients on its 127.0.0.1
- load average (1, 5, 15 min) at the start: {la0}; at the end: {la1}
- ours: `{ours}` ({version([ours, '--version'])}, sha256 {hashlib.sha256(open(ours, 'rb').read()).hexdigest()[:12]}); reference: `{ref}` ({version([ref, '--version'])})
- builtin rows (both): `--net=slirp4netns --disable-host-loopback --port-driver=builtin -p 127.0.0.1:P:P/tcp` (defaults otherwise); the other drivers: `--port-driver=D` with the network flags in the row; {version(['slirp4netns', '--version'])}
- tools: {version(['iperf3', '--version'])}; {version(['wrk', '-v'])}; {version(['nginx', '-v'])} (1 worker, access_log off, 612-byte file)
- open files: hard RLIMIT_NOFILE {nofile} (the test user's; the burst client, nginx's worker_rlimit_nofile and both rootlesskit parents raise their soft limit to it); nginx worker_connections {wconns}
- raw: the same server on the bed's 127.0.0.1, no rootlesskit
- raw data: {f'`{out}`' if os.environ.get('RK_BENCH_KEEP', '1') == '1' else 'not kept (`--out DIR` keeps it)'}

Median (min–max) over the rounds; ratios are of the medians.

| figure | ours | reference | raw | ours/reference | ours/raw | goal | |
| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |""")

def ran(test):
    return any(r["test"] == test for r in rows)

def row(label, test, f, fmt, goal_txt="", goal_fn=None, raw=True, ref=True):
    """ref=False: the reference has no such driver (its cell is –, not "no result")."""
    if not ran(test):
        return [], [], []
    a, b = series(test, "ours", f), series(test, "reference", f)
    c = series(test, "raw", f) if raw else []
    q, qr = ratio(a, b), ratio(a, c)
    v = ""
    if goal_fn:
        ok = goal_fn(a, b, c, q, qr)
        v = verdict(ok, "")
        goals.append((label, goal_txt, v))
    print(f"| {label} | {cell(a, fmt)} | {cell(b, fmt) if ref else '–'} | {cell(c, fmt) if raw else '–'} | "
          f"{rcell(q)} | {rcell(qr) if raw else '–'} | {goal_txt} | {v} |")
    return a, b, c

def g_ratio(lo_ref=None, lo_raw=None):
    def f(a, b, c, q, qr):
        if q is None or (lo_raw is not None and qr is None):
            return None
        return (lo_ref is None or q >= lo_ref) and (lo_raw is None or qr >= lo_raw)
    return f

row("TCP host→child, Gbit/s (iperf3)", "tcp", gbps, "{:.2f}", "≥ 0.9× raw, ≥ 1.5× ref.", g_ratio(1.5, 0.9))
row("HTTP keep-alive, requests/s (wrk -c 32)", "keepalive", rps, "{:.0f}", "≥ 3× ref.", g_ratio(3))
row("  latency p50, ms", "keepalive", p50, "{:.3f}")
row("  latency p99, ms", "keepalive", p99, "{:.3f}")
row("new connections/s (`Connection: close`)", "close", rps, "{:.0f}", "≥ 1.2× ref.", g_ratio(1.2))
row("  latency p50, ms", "close", p50, "{:.3f}")
row("  latency p99, ms", "close", p99, "{:.3f}")
for rate in ("1G", "500M"):
    t = f"udp{rate}"
    if not ran(t):
        continue
    a, b, c = row(f"UDP -b {rate}, Mbit/s received", t, mbps, "{:.0f}")
    la, lb, lc = row(f"  loss % (iperf3 lost_percent)", t, lost, "{:.2f}")
    ok = None
    if a and b and la and lb:
        ok = med(a) >= med(b) and med(la) < med(lb)
    v = verdict(ok, "")
    goals.append((f"UDP -b {rate}", "≥ ref. throughput, less loss", v))
    print(f"| UDP -b {rate}: goal | | | | | | ≥ ref. throughput, less loss | {v} |")
# the other port drivers (the builtin rows above): TCP, and UDP -b 1G
not_measured = {}
if os.path.exists(f"{out}/pd-implicit-udp.not-measured"):
    not_measured["pd.implicit.udp"] = open(f"{out}/pd-implicit-udp.not-measured").read().strip()
for d in PDRVS:
    hasref = d == "slirp4netns"
    row(f"{d} driver ({PDRV_NET[d]}): TCP, Gbit/s", f"pd.{d}.tcp", gbps, "{:.2f}", raw=False,
        ref=hasref)
    if f"pd.{d}.udp" in not_measured:
        print(f"| {d} driver: UDP -b 1G | not measured (see Details) | – | – | – | – | | |")
        continue
    row(f"{d} driver: UDP -b 1G, Mbit/s received", f"pd.{d}.udp", mbps, "{:.0f}", raw=False,
        ref=hasref)
    row(f"  loss %", f"pd.{d}.udp", lost, "{:.2f}", raw=False, ref=hasref)
a, b, c = row(f"burst: answered of {burst_n}", "burst", answered, "{:.0f}")
ok = None
if ran("burst"):
    na = [r for r in rows if r["test"] == "burst" and r["side"] == "ours"]
    if a:
        ok = len(a) == len(na) and min(a) == burst_n
    v = verdict(ok, "")
    goals.append((f"burst of {burst_n}", f"all {burst_n} answered (ours, every round)", v))
    print(f"| burst: goal | | | | | | all {burst_n} answered, every round | {v} |")
row("  time to the last answer, ms", "burst", lastms, "{:.0f}")

def rss(side, label, col):
    v = []
    for r in okrows:
        if r["test"] == "rss" and r["side"] == side:
            xs = [l.split() for l in open(f"{out}/rss-{r['name']}.tsv") if l.startswith(label + " ")]
            xs = [int(x[col]) for x in xs if len(x) > col]
            if xs:
                v.append(max(xs) if label == "load" else statistics.median(xs))
    return v

for what, col, goal in ((("parent", 2, True), ("child", 3, False)) if ran("rss") else ()):
    for label, desc in (("idle", "idle"), ("load", "under load (max)"), ("after", "after the load")):
        a, b = rss("ours", label, col), rss("reference", label, col)
        q = ratio(a, b)
        v, gt = "", ""
        if goal and label in ("idle", "load"):
            gt = "≤ 0.3× ref."
            v = verdict(None if q is None else q <= 0.3, "")
            goals.append((f"parent VmRSS {desc}", gt, v))
        print(f"| {what} VmRSS, 100 ports, {desc}, KiB | {cell(a, '{:.0f}')} | {cell(b, '{:.0f}')} | – | {rcell(q)} | – | {gt} | {v} |")
rr = series("rss", "ours", rps), series("rss", "reference", rps)
if ran("rss"):
    print(f"| (wrk during the RSS run, requests/s) | {cell(rr[0], '{:.0f}')} | {cell(rr[1], '{:.0f}')} | – | {rcell(ratio(*rr))} | – | | |")

print("\nGoals:\n")
for label, gt, v in goals:
    print(f"- {label}: {gt}: {v}")

print("\nDetails:\n")
for test in ("keepalive", "close", "rss"):
    for side in ("ours", "reference", "raw"):
        e = series(test, side, lambda d, r: (d["connect_errors"], d["read_errors"], d["write_errors"], d["timeouts"]))
        if e and any(sum(x) for x in e):
            print(f"- wrk {test}, {side}: socket errors per run (connect, read, write, timeout): "
                  + ", ".join(str(x) for x in e))
for side in ("ours", "reference", "raw"):
    ds = series("burst", side, lambda d, r: d)
    for d in ds:
        if d["answered"] != d["n"]:
            print(f"- burst, {side}: answered {d['answered']} of {d['n']}: connected {d['connected']}, "
                  f"connect failed {d['connect_failed']} (first: {d['first_connect_errno'] or '–'}), "
                  f"EOF before a whole answer {d['incomplete_eof']}, errors (reset) {d['errors']}, "
                  f"no answer within {d['timeout_ms']:.0f} ms {d['no_answer_in_time']}, "
                  f"never connected {d['never_connected_in_time']}")
    if ds:
        print(f"- burst, {side}: connect phase (all {burst_n} connects done), ms: "
              + cell([d['connect_phase_ms'] for d in ds], '{:.0f}'))
for side in ("ours", "reference"):
    try:
        lines = open(f"{out}/probe-tcp-{side}-r1.txt").read().splitlines()
    except OSError:
        print(f"- {side}: no probe"); continue
    kv = dict(l.split("=", 1) for l in lines if "=" in l)
    print(f"- {side}, checks (round 1, TCP): parent {kv.get('parent', '?')}, child {kv.get('child', '?')}, "
          f"child interfaces `{kv.get('ifaces', '?').strip()}`, server on `{kv.get('listen', '?').strip()}` in the child; "
          f"host listener: `{' '.join(kv.get('host_listener', '?').split()[:5])}` owned by the parent")
for t, why in not_measured.items():
    print(f"- not measured: {t}: {why}")
leaks = [r for r in rows if r["leaked"] not in ("", "0")]
if leaks:
    print("- processes that outlived rootlesskit (ended by the script): "
          + ", ".join(f"{r['name']}: {r['leaked']}" for r in leaks))
else:
    print("- no process outlived its rootlesskit run")
if bad:
    print("\nRuns that produced no number or failed a check:\n")
    for r in bad:
        print(f"- `{r['name']}`: {r['status']}")

# results.json (bench/results-schema.md) for bench/report.py: the table's numbers, read with the
# same helpers; per-run latencies, loss and burst times ride along in "extra".
SIDES = (("ours", "ours"), ("reference", "reference"), ("raw", "raw loopback"))
figures = []
def figure(fid, test, group, title, unit, better, f, extra=None, sides=SIDES, get=None, **opt):
    """One figure from the runs of TEST: get(side, f) (default series(TEST, side, f)) gives a
    side's numbers; extra maps a name to another f."""
    if not ran(test):
        return
    get = get or (lambda side, f: series(test, side, f))
    fig = {"id": f"ports.{fid}", "group": group, "title": title, "unit": unit, "better": better,
           "values": {k: get(s, f) for s, k in sides}, "ratio_to": "reference", "chart": False,
           **opt}
    if extra:
        fig["extra"] = {k: {e: get(s, g) for e, g in extra.items()} for s, k in sides}
    figures.append(fig)

lat = {"p50_ms": p50, "p99_ms": p99}
TPUT = "Port driver throughput host→child (iperf3, 127.0.0.1:P)"
UDPG = "Port driver UDP host→child (iperf3 -l 1400)"
figure("tcp", "tcp", TPUT, "builtin (--net=slirp4netns --disable-host-loopback), TCP",
       "Gbit/s", "higher", gbps, chart=True, goal="≥ 0.9× raw, ≥ 1.5× ref.",
       # stated once: the same checks hold for every rootlesskit run of every figure
       checked="every rootlesskit run: server in a netns of its own with tap0; host sockets of "
       "the published ports held by the driver's process (builtin, gvisor-tap-vsock: the "
       "rootlesskit parent; slirp4netns, socat: its slirp4netns/socat children; implicit: a "
       "listener only pasta's undumpable daemon can hold, and that daemon alive); clean exit; "
       "no process outlived it")
figure("http.keepalive", "keepalive", "Port driver HTTP (wrk -c 32, nginx in the child)",
       "keep-alive requests/s", "req/s", "higher", rps, lat, goal="≥ 3× ref.")
figure("http.close", "close", "Port driver HTTP (wrk -c 32, nginx in the child)",
       "new connections/s (Connection: close)", "conn/s", "higher", rps, lat, goal="≥ 1.2× ref.")
for rate in ("1G", "500M"):
    figure(f"udp.{rate.lower()}", f"udp{rate}", UDPG, f"builtin, UDP -b {rate}, received",
           "Mbit/s", "higher", mbps, goal="≥ ref. throughput, less loss")
    figure(f"udp.{rate.lower()}.loss", f"udp{rate}", UDPG,
           f"builtin, UDP -b {rate}, loss (lost_percent)", "%", "lower", lost)
# every other port driver: TCP beside raw loopback (the tcp figure's raw runs, when they ran),
# UDP -b 1G; the reference where it has the driver (slirp4netns)
for d in PDRVS:
    sides = SIDES[:2] if d == "slirp4netns" else SIDES[:1]
    rawtcp = lambda side, f: series("tcp" if side == "raw" else f"pd.{d}.tcp", side, f)
    figure(f"driver.{d}.tcp", f"pd.{d}.tcp", TPUT, f"{d} ({PDRV_NET[d]}), TCP", "Gbit/s",
           "higher", gbps, chart=True, sides=sides + ((SIDES[2],) if ran("tcp") else ()),
           get=rawtcp, ratio_to="reference" if d == "slirp4netns" else
           "raw loopback" if ran("tcp") else None)
    if f"pd.{d}.udp" in not_measured:
        figures.append({"id": f"ports.driver.{d}.udp.1g", "group": UDPG,
                        "title": f"{d}, UDP -b 1G, received", "unit": "Mbit/s", "better": "higher",
                        "values": {}, "ratio_to": None, "chart": False,
                        "not_measured": {"ours": not_measured[f"pd.{d}.udp"]}})
        continue
    figure(f"driver.{d}.udp.1g", f"pd.{d}.udp", UDPG, f"{d}, UDP -b 1G, received", "Mbit/s",
           "higher", mbps, sides=sides,
           ratio_to="reference" if d == "slirp4netns" else None)
    figure(f"driver.{d}.udp.1g.loss", f"pd.{d}.udp", UDPG, f"{d}, UDP -b 1G, loss (lost_percent)",
           "%", "lower", lost, sides=sides, ratio_to="reference" if d == "slirp4netns" else None)
figure("burst", "burst", "Port driver burst of new connections",
       f"burst: answered of {burst_n} (within {int(burst_to) // 1000} s)", "answered/N", "higher",
       answered, {"last_answer_ms": lastms}, goal=f"all {burst_n} answered, every round")
# VmRSS: rss() gives KiB per run (idle and after: median; load: max)
for what, col in (("parent", 2), ("child", 3)):
    for label, desc in (("idle", "idle"), ("load", "under load (max)"), ("after", "after the load")):
        figure(f"rss.{what}.{label}", "rss", "Memory: VmRSS with 100 published ports",
               f"{what}, {desc}", "MiB", "lower", (label, col), sides=SIDES[:2],
               get=lambda side, lc: [x / 1024 for x in rss(side, *lc)],
               **({"goal": "≤ 0.3× ref."} if what == "parent" and label != "after" else {}))
variant = dict(SIDES)
with open(f"{out}/results.json", "w") as fh:
    json.dump({"part": "ports", "command": cmdline,
               "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "settings": {"rounds": int(rounds), "time_s": int(time_s), "burst": burst_n,
                            "burst_timeout_ms": int(burst_to), "nofile_hard": int(nofile),
                            "nginx_worker_connections": int(wconns)},
               "figures": figures,
               "failures": [f"ports: {r['test']}, {variant[r['side']]}: run {r['name']}: {r['status']}"
                            for r in bad]}, fh, indent=1, ensure_ascii=False)
    fh.write("\n")
PY
if [ "$failures" != 0 ] || [ "$rc" != 0 ]; then
	echo "ports.sh: FAILED: $failures run(s) produced no number or failed a check (see the report and $out)" >&2
	exit 1
fi
