#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Start-up benchmark: `rootlesskit true`, ours against the reference (Debian's Go rootlesskit
# 1.1.0), in the same run, on the same machine, as the unprivileged test user with sub-IDs.
#
#   sudo bash bench/startup.sh [--runs N] [--warmup N] [--rss-runs N] [--out DIR] [--quick]
#
#   --quick      smoke test: --runs 5 --warmup 1 --rss-runs 3
#
# As root it prepares the machine like the tests do (packages, user rktest with sub-IDs; see
# tests/lib/setup-root.sh) and re-executes itself as rktest inside a private network namespace
# (tests/lib/as-test-user.sh). As any other user it measures directly (that user needs sub-IDs).
# Binaries: RK_BIN (default <repo>/build/rootlesskit) and RK_REF_BIN (default /usr/bin/rootlesskit).
#
# What is measured, per binary:
#  - wall time of `BIN true` from exec to exit of the rootlesskit parent: hyperfine --shell=none
#    (no shell in between), --warmup 3 --runs 30 by default; mean ± σ, median, min.
#  - "peak RSS, largest process": GNU `/usr/bin/time -f %M BIN true`. time(1) reports wait4()'s
#    ru_maxrss, which the kernel computes as the maximum over the waited-for process (the
#    rootlesskit parent) AND every descendant that was itself waited for (the child, the command,
#    newuidmap/newgidmap): the largest single process of the run, not a sum. For a small parent
#    that may be a helper (newuidmap) rather than rootlesskit: the next figure is the parent alone.
#  - "parent VmHWM": the rootlesskit parent alone. The command is a probe (`sh -c ...`) that reads
#    /proc/<pid>/status of its ancestors up to the rootlesskit parent (the process whose parent is
#    this script) while rootlesskit is fully set up: VmHWM (peak RSS so far) of the parent, and
#    the sum of VmHWM over the processes between parent and command ("child"; 0 if none).
#  Each RSS figure is the median of --rss-runs runs (default 10).
#  - wall time of two variants, same hyperfine settings: `--subid-source=static true` (neither
#    side runs getsubids) and `--pidns --copy-up=/etc true`.
# Output: the raw data in DIR (default: a temporary directory, removed at the end) and a Markdown table
# on stdout with absolute figures and ratios ours/reference, the machine, the date and the command.
# DIR/results.json holds the same figures (bench/results-schema.md): the wall times as hyperfine's
# per-run times (ms), the three RSS figures as the per-run samples (KiB).
set -euo pipefail
self=$(readlink -f "${BASH_SOURCE[0]}")
repo=$(cd "$(dirname "$self")/.." && pwd)

runs=30 warmup=3 rss_runs=10 out=
orig_args=("$@")
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	--rss-runs) rss_runs=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--quick) runs=5 warmup=1 rss_runs=3; shift ;;
	-h | --help) sed -n '3,/^set -euo/p' "$self" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "startup.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done
ours=${RK_BIN:-$repo/build/rootlesskit}
ref=${RK_REF_BIN:-/usr/bin/rootlesskit}
case "$ours" in /*) ;; *) ours=$PWD/$ours ;; esac

# ---------------------------------------------------------------- as root: set up, re-exec
if [ "$(id -u)" = 0 ]; then
	# shellcheck source=tests/lib/common.sh
	. "$repo/tests/lib/common.sh"
	rk_bench_as_test_user "$self" "$out" "$ours" "$ref" \
		"bench/startup.sh${orig_args[*]:+ ${orig_args[*]}}" --runs "$runs" --warmup "$warmup" --rss-runs "$rss_runs"
fi

# ---------------------------------------------------------------- as the unprivileged user
die() { echo "startup.sh: $*" >&2; exit 1; }
for tool in hyperfine /usr/bin/time /usr/bin/python3; do
	command -v "$tool" >/dev/null || die "$tool is missing (run as root once to install it)"
done
grep -qE "^($(id -un)|$(id -u)):" /etc/subuid || die "$(id -un) has no range in /etc/subuid"
[ -n "$out" ] || out=$(mktemp -d /tmp/rootlesskit-bench-startup.XXXXXX)
mkdir -p "$out"
cd "$out"

for b in "$ours" "$ref"; do
	[ -x "$b" ] || die "$b is not executable"
	"$b" true 2>"$out/check.err" || { cat "$out/check.err" >&2; die "'$b true' failed"; }
done

echo "==> wall time (hyperfine --warmup $warmup --runs $runs)" >&2
hyperfine --shell=none --style=basic --warmup "$warmup" --runs "$runs" \
	--export-json "$out/startup-hyperfine.json" \
	-n ours "$ours true" -n reference "$ref true" >&2

# Variants: without getsubids for either side, and with a PID namespace plus an /etc copy-up.
echo "==> wall time of variants" >&2
hyperfine --shell=none --style=basic --warmup "$warmup" --runs "$runs" \
	--export-json "$out/variants-hyperfine.json" \
	-n "ours static" "$ours --subid-source=static true" \
	-n "reference static" "$ref --subid-source=static true" \
	-n "ours pidns+copy-up" "$ours --pidns --copy-up=/etc true" \
	-n "reference pidns+copy-up" "$ref --pidns --copy-up=/etc true" >&2

# The probe run as the command: prints "PARENT_HWM CHILD_HWM PARENT_COMM" (KiB).
# shellcheck disable=SC2016  # expanded by the probe's shell, not here
probe='c=$PPID child=0
while :; do
	pp=$(awk "/^PPid:/ { print \$2 }" /proc/$c/status)
	[ "$pp" = "$RK_BENCH_SELF" ] && break
	[ "$pp" -gt 1 ] || { echo "probe: rootlesskit parent not found" >&2; exit 1; }
	child=$((child + $(awk "/^VmHWM:/ { print \$2 }" /proc/$c/status)))
	c=$pp
done
echo "$(awk "/^VmHWM:/ { print \$2 }" /proc/$c/status) $child $(cat /proc/$c/comm)"'

echo "==> peak RSS ($rss_runs runs each)" >&2
for name in ours reference; do
	b=$ours
	[ $name = ours ] || b=$ref
	: >"$out/rss-time-$name.txt"
	: >"$out/rss-probe-$name.txt"
	for _ in $(seq "$rss_runs"); do
		/usr/bin/time -f %M -o "$out/time.tmp" "$b" true 2>/dev/null
		cat "$out/time.tmp" >>"$out/rss-time-$name.txt"
		RK_BENCH_SELF=$$ "$b" /bin/sh -c "$probe" >>"$out/rss-probe-$name.txt" 2>"$out/probe.err" ||
			{ cat "$out/probe.err" >&2; die "probe under $b failed"; }
	done
done
rm -f "$out/time.tmp" "$out/probe.err" "$out/check.err"

# ---------------------------------------------------------------- report
/usr/bin/python3 - "$out" "$ours" "$ref" "${RK_BENCH_CMDLINE:-bench/startup.sh${orig_args[*]:+ ${orig_args[*]}}}" \
	"$warmup" "$runs" "$rss_runs" <<'PY'
import json, os, platform, statistics, subprocess, sys, time
out, ours, ref, cmdline, warmup, runs, rss_runs = sys.argv[1:]

def version(b):
    p = subprocess.run([b, "--version"], capture_output=True, text=True)
    return (p.stdout or p.stderr).strip().splitlines()[0] if (p.stdout or p.stderr).strip() else "?"

def cpu():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"

hf = {r["command"]: r for r in json.load(open(f"{out}/startup-hyperfine.json"))["results"]}

def rss(name):
    t = [int(x) for x in open(f"{out}/rss-time-{name}.txt").read().split()]
    probe = [l.split() for l in open(f"{out}/rss-probe-{name}.txt") if l.strip()]
    return (statistics.median(t), statistics.median(int(p[0]) for p in probe),
            statistics.median(int(p[1]) for p in probe), probe[0][2])

def ratio(a, b):
    return f"{a / b:.2f}" if b else "–"

o, r = hf["ours"], hf["reference"]
ro, rr = rss("ours"), rss("reference")
ms = lambda s: s * 1000
rows = [
    ("wall time, mean ± σ (ms)", f"{ms(o['mean']):.2f} ± {ms(o['stddev']):.2f}",
     f"{ms(r['mean']):.2f} ± {ms(r['stddev']):.2f}", ratio(o["mean"], r["mean"])),
    ("wall time, median (ms)", f"{ms(o['median']):.2f}", f"{ms(r['median']):.2f}",
     ratio(o["median"], r["median"])),
    ("wall time, min (ms)", f"{ms(o['min']):.2f}", f"{ms(r['min']):.2f}", ratio(o["min"], r["min"])),
    ("user + sys CPU, mean (ms)", f"{ms(o['user'] + o['system']):.2f}",
     f"{ms(r['user'] + r['system']):.2f}", ratio(o["user"] + o["system"], r["user"] + r["system"])),
    ("peak RSS, largest process (`time -f %M`, KiB)", f"{ro[0]:.0f}", f"{rr[0]:.0f}", ratio(ro[0], rr[0])),
    ("parent VmHWM while the command runs (KiB)", f"{ro[1]:.0f}", f"{rr[1]:.0f}", ratio(ro[1], rr[1])),
    ("child VmHWM while the command runs (KiB)", f"{ro[2]:.0f}", f"{rr[2]:.0f}", ratio(ro[2], rr[2])),
]
u = os.uname()
print(f"""## Start-up: `rootlesskit true`

- date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}
- machine: Linux {u.release} ({u.machine}), {cpu()}, {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))})
- command: `{cmdline}` (hyperfine --shell=none --warmup {warmup} --runs {runs}; RSS: median of {rss_runs} runs)
- run as: {os.environ.get('USER', '?')} (uid {os.getuid()}), private network namespace, default `--net=host`
- ours: `{ours}` ({version(ours)}); reference: `{ref}` ({version(ref)})
- parent process name seen by the probe: ours `{ro[3]}`, reference `{rr[3]}`
- raw data: {f'`{out}`' if os.environ.get('RK_BENCH_KEEP', '1') == '1' else 'not kept (`--out DIR` keeps it)'}

| metric | ours | reference | ours/reference |
| --- | ---: | ---: | ---: |""")
for row in rows:
    print("| " + " | ".join(row) + " |")

var = {r["command"]: r for r in json.load(open(f"{out}/variants-hyperfine.json"))["results"]}
print("""
| variant (wall time, mean ± σ, ms) | ours | reference | ours/reference |
| --- | ---: | ---: | ---: |""")
for name, flags in (("static", "--subid-source=static true"),
                    ("pidns+copy-up", "--pidns --copy-up=/etc true")):
    a, b = var[f"ours {name}"], var[f"reference {name}"]
    print(f"| `{flags}` | {ms(a['mean']):.2f} ± {ms(a['stddev']):.2f} | "
          f"{ms(b['mean']):.2f} ± {ms(b['stddev']):.2f} | {ratio(a['mean'], b['mean'])} |")

# results.json (bench/results-schema.md): the same numbers, per run / per sample.
figures = []
def figure(fid, group, title, unit, values):
    figures.append({"id": fid, "group": group, "title": title, "unit": unit, "better": "lower",
                    "values": values, "ratio_to": "reference", "chart": False})

sides = ("ours", "reference")
for key, flags, res, suffix in (("true", "true", hf, ""),
                                ("static", "--subid-source=static true", var, " static"),
                                ("pidns_copyup", "--pidns --copy-up=/etc true", var, " pidns+copy-up")):
    figure(f"startup.wall.{key}", "Start-up wall time (hyperfine --shell=none)", f"`rootlesskit {flags}`",
           "ms", {s: [round(ms(t), 3) for t in res[s + suffix].get("times", [])] for s in sides})
time_kib = {s: [int(x) for x in open(f"{out}/rss-time-{s}.txt").read().split()] for s in sides}
probe_kib = {s: [l.split() for l in open(f"{out}/rss-probe-{s}.txt") if l.strip()] for s in sides}
figure("startup.rss.largest", "Start-up memory", "peak RSS, largest process (`time -f %M`)", "KiB", time_kib)
for key, title, col in (("parent_vmhwm", "parent VmHWM while the command runs", 0),
                        ("child_vmhwm", "child VmHWM while the command runs", 1)):
    figure(f"startup.rss.{key}", "Start-up memory", title, "KiB",
           {s: [int(p[col]) for p in probe_kib[s]] for s in sides})
results = {
    "part": "startup",
    "command": cmdline,
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "settings": {"runs": int(runs), "warmup": int(warmup), "rss_runs": int(rss_runs)},
    "figures": figures,
    "failures": [f"startup: {f['id']} ({s}) produced no number"
                 for f in figures for s, v in f["values"].items() if not v],
}
with open(f"{out}/results.json", "w") as f:
    json.dump(results, f, indent=2, ensure_ascii=False)
    f.write("\n")
PY
