#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""report.py - merge the bench/ scripts' results.json files (schema: bench/results-schema.md)
into one JSON, one Markdown report and one SVG chart of the throughput figures, and optionally
rewrite the generated part of docs/benchmarks.md.

  bench/report.py [--json OUT.json] [--md OUT.md] [--svg OUT.svg]
                  [--docs docs/benchmarks.md [--docs-svg docs/benchmarks-throughput.svg]]
                  [--command CMD] [--mode quick|full] RESULTS.json ...

For every figure and variant: median, min, max and the number of values; the ratio ours /
ratio_to (medians). A table cell reads "median (min–max)". The machine (CPU, cores, memory,
kernel, OS), the date, the command and the binaries' versions head the report. Exit status 1
when any script reported a failure, a variant came without a number, or a file is unreadable:
the report is still written, with the failures listed at its top.

docs/benchmarks.md keeps its hand-written history: only the text between the lines
`<!-- bench/run: begin -->` and `<!-- bench/run: end -->` is replaced (added at the top when the
markers are missing).
"""

import argparse
import datetime
import html
import json
import os
import platform
import statistics
import subprocess
import sys

BEGIN = "<!-- bench/run: begin -->"
END = "<!-- bench/run: end -->"
REQUIRED = ("id", "group", "title", "unit", "better", "values")
# variants drawn as the physical limit of a throughput figure, the first one present wins
PHYSICAL = ("veth", "raw loopback", "loopback")


def field(path, prefix, sep):
    """The text after `sep` on the first line of `path` that starts with `prefix`, or None."""
    try:
        for line in open(path):
            if line.startswith(prefix):
                return line.split(sep, 1)[1].strip()
    except OSError:
        pass
    return None


def machine():
    cpu = field("/proc/cpuinfo", "model name", ":") or "?"
    mem = field("/proc/meminfo", "MemTotal:", ":")
    mem = f"{int(mem.split()[0]) / 1048576:.1f} GiB" if mem else "?"
    osname = (field("/etc/os-release", "PRETTY_NAME=", "=") or "?").strip('"')
    u = os.uname()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "kernel": f"{u.sysname} {u.release} {u.machine}", "os": osname}


def version_of(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        text = (p.stdout or p.stderr).strip()
        return text.splitlines()[0] if text else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def git_commit(repo):
    try:
        p = subprocess.run(["git", "-C", repo, "describe", "--always", "--dirty"],
                           capture_output=True, text=True, timeout=10)
        return p.stdout.strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def stats(vals):
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
            "n": len(vals)}


def fmt_num(v):
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def cell(st):
    if st is None:
        return "no result"
    if st["n"] == 1 or st["min"] == st["max"]:
        return fmt_num(st["median"])
    return f"{fmt_num(st['median'])} ({fmt_num(st['min'])}–{fmt_num(st['max'])})"


def load(paths):
    parts, failures = [], []
    for p in paths:
        try:
            with open(p) as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            failures.append(f"{p}: unreadable results ({e})")
            continue
        parts.append(d)
        failures += [str(x) for x in d.get("failures", [])]
    return parts, failures


def analyse(parts, failures):
    figures, seen = [], set()
    for part in parts:
        for fig in part.get("figures", []):
            missing = [k for k in REQUIRED if k not in fig]
            if missing:
                failures.append(f"{part.get('part', '?')}: figure {fig.get('id', '?')} lacks "
                                f"{', '.join(missing)}")
                continue
            if fig["id"] in seen:
                failures.append(f"figure id {fig['id']} appears twice")
                continue
            seen.add(fig["id"])
            out = dict(fig)
            out["part"] = part.get("part", "?")
            out["stats"] = {k: stats(v) for k, v in fig["values"].items()}
            nm = fig.get("not_measured") or {}
            for k, st in out["stats"].items():
                if st is None and k not in nm and not any(k in x and fig["id"] in x
                                                          for x in failures):
                    failures.append(f"{fig['id']}: {k} produced no number")
            if not fig["values"] and not nm:
                failures.append(f"{fig['id']}: no variant at all")
            to = fig.get("ratio_to")
            if to is None and "reference" in fig["values"]:
                to = "reference"
            a, b = out["stats"].get("ours"), out["stats"].get(to) if to else None
            out["ratio_to"] = to
            out["ratio"] = a["median"] / b["median"] if a and b and b["median"] else None
            figures.append(out)
    return figures


def variants_of(figs):
    """Column order for a group: ours, reference, then peers in first-seen order."""
    order = ["ours", "reference"]
    for f in figs:
        for k in [*f["values"], *(f.get("not_measured") or {})]:
            if k not in order:
                order.append(k)
    return [v for v in order
            if any(v in f["values"] or v in (f.get("not_measured") or {}) for f in figs)]


def markdown(doc, svg_link):
    m = doc["machine"]
    lines = [
        f"## Benchmarks: ours against the Go original ({doc['mode']} run)",
        "",
        f"- Date: {doc['date']}",
        f"- Command: `{doc['command']}`",
        f"- Machine: {m['cpu']}, {m['cores']} CPUs, {m['memory']}; {m['kernel']}; {m['os']}",
        f"- Ours: `{doc['binaries']['ours']['path']}` ({doc['binaries']['ours']['version']}, "
        f"commit {doc['binaries']['ours']['commit']}); reference: "
        f"`{doc['binaries']['reference']['path']}` ({doc['binaries']['reference']['version']})",
        "- Each cell: median (min–max) over the rounds; ours and the reference ran alternately "
        "(A B A B ...) in the same run. Ratio: ours / the named variant, medians; whether higher "
        "or lower is better is given per row.",
        "",
    ]
    if doc["failures"]:
        lines += ["**Failures** (runs that produced no number or failed a check):", ""]
        lines += [f"- {x}" for x in doc["failures"]] + [""]
    if svg_link:
        lines += [f"![throughput: ours, reference and the physical limit]({svg_link})", ""]
    groups = []
    for f in doc["figures"]:
        if f["group"] not in groups:
            groups.append(f["group"])
    for g in groups:
        figs = [f for f in doc["figures"] if f["group"] == g]
        cols = variants_of(figs)
        lines += [f"### {g}", ""]
        lines.append("| figure | unit | " + " | ".join(cols) + " | ours / … | better | goal |")
        lines.append("|---|---|" + "---|" * len(cols) + "---|---|---|")
        for f in figs:
            nm = f.get("not_measured") or {}
            cells = [cell(f["stats"][c]) if c in f["stats"] else
                     "not measured (below)" if c in nm else "—" for c in cols]
            ratio = (f"{f['ratio']:.2f}× {f['ratio_to']}" if f["ratio"] is not None
                     else "—")
            lines.append(f"| {f['title']} | {f['unit']} | " + " | ".join(cells) +
                         f" | {ratio} | {f['better']} | {f.get('goal') or ''} |")
            # secondary numbers (latency percentiles, loss, failed runs...): one row each
            extra = f.get("extra") or {}
            keys = []
            for v in extra.values():
                keys += [k for k in v if k not in keys]
            for k in keys:
                xcells = []
                for c in cols:
                    vals = extra.get(c, {}).get(k)
                    vals = vals if isinstance(vals, list) else [vals] if vals is not None else []
                    vals = [x for x in vals if isinstance(x, (int, float))]
                    xcells.append(cell(stats(vals)) if vals else "—")
                lines.append(f"| ↳ {k} |  | " + " | ".join(xcells) + " |  |  |  |")
        checks = []  # what each run's probe verified, once per distinct text
        for f in figs:
            if f.get("checked") and f["checked"] not in checks:
                checks.append(f["checked"])
        if checks:
            lines += ["", "Checked on every run: " + "; ".join(checks) + "."]
        for f in figs:  # figures that could not be measured on this machine, and why
            for v, why in (f.get("not_measured") or {}).items():
                lines += ["", f"Not measured: {f['title']}, {v}: {why}."]
        lines.append("")
    return "\n".join(lines)


def svg(doc):
    """Horizontal bars per throughput figure: ours, reference, physical limit."""
    figs = [f for f in doc["figures"] if f.get("chart") and f["stats"].get("ours")]
    colors = {"ours": "#1f77b4", "reference": "#ff7f0e", "peer": "#8e6bbf", "limit": "#9e9e9e"}
    rows = []
    for f in figs:
        bars = [("ours", f["stats"].get("ours"))]
        if f["stats"].get("reference"):
            bars.append(("reference", f["stats"]["reference"]))
        elif f["ratio_to"] not in (None, *PHYSICAL) and f["stats"].get(f["ratio_to"]):
            bars.append(("peer", f["stats"][f["ratio_to"]], f["ratio_to"]))
        for p in PHYSICAL:
            if f["stats"].get(p):
                bars.append(("limit", f["stats"][p], p))
                break
        rows.append((f, bars))
    vmax = max([b[1]["max"] for _, bars in rows for b in bars] + [1e-9])
    label_w, bar_w, bar_h, gap = 430, 400, 12, 10
    height = 40 + sum(len(b) * bar_h + gap for _, b in rows) + 30
    width = label_w + bar_w + 110
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="18" font-size="13" font-weight="bold">Throughput (Gbit/s, median; '
           f'whisker: min–max) — {html.escape(doc["date"])}</text>']
    y = 36
    for f, bars in rows:
        title = f"{f['part']}: {f['title']}"
        title = html.escape(title if len(title) <= 72 else title[:71] + "…")
        out.append(f'<text x="{label_w - 6}" y="{y + bar_h}" text-anchor="end">{title}</text>')
        for b in bars:
            kind, st = b[0], b[1]
            name = b[2] if len(b) > 2 else kind
            w = bar_w * st["median"] / vmax
            x0, x1 = bar_w * st["min"] / vmax, bar_w * st["max"] / vmax
            out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                       f'fill="{colors[kind]}"><title>{html.escape(name)}</title></rect>')
            out.append(f'<line x1="{label_w + x0:.1f}" x2="{label_w + x1:.1f}" '
                       f'y1="{y + bar_h / 2 - 1}" y2="{y + bar_h / 2 - 1}" stroke="black"/>')
            out.append(f'<text x="{label_w + max(w, x1) + 4:.1f}" y="{y + bar_h - 3}">'
                       f'{fmt_num(st["median"])} {html.escape(name)}</text>')
            y += bar_h
        y += gap
    lx = 10
    for kind, text in (("ours", "ours"), ("reference", "Go rootlesskit 1.1.0"),
                       ("peer", "peer (e.g. pasta alone)"),
                       ("limit", "physical limit (veth / loopback)")):
        out.append(f'<rect x="{lx}" y="{y + 4}" width="10" height="10" fill="{colors[kind]}"/>')
        out.append(f'<text x="{lx + 14}" y="{y + 13}">{html.escape(text)}</text>')
        lx += 40 + 7 * len(text)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def update_docs(path, md):
    try:
        text = open(path).read()
    except FileNotFoundError:
        text = "# Benchmarks\n"
    block = f"{BEGIN}\n{md.rstrip()}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        lines = text.split("\n", 1)
        text = lines[0] + "\n\n" + block + "\n" + (lines[1] if len(lines) > 1 else "")
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", nargs="+")
    ap.add_argument("--json")
    ap.add_argument("--md")
    ap.add_argument("--svg")
    ap.add_argument("--docs", help="rewrite the generated part of this Markdown file")
    ap.add_argument("--docs-svg", help="with --docs: a copy of the chart for it, linked from it")
    ap.add_argument("--command", default="bench/run")
    ap.add_argument("--mode", default="full")
    ap.add_argument("--ours", default=os.environ.get("RK_BIN", "build/rootlesskit"))
    ap.add_argument("--reference", default=os.environ.get("RK_REF_BIN", "/usr/bin/rootlesskit"))
    a = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts, failures = load(a.results)
    figures = analyse(parts, failures)
    doc = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": a.command, "mode": a.mode, "machine": machine(),
        "binaries": {
            "ours": {"path": a.ours, "version": version_of([a.ours, "--version"]),
                     "commit": git_commit(repo)},
            "reference": {"path": a.reference,
                          "version": version_of([a.reference, "--version"])},
        },
        "parts": [{k: p.get(k) for k in ("part", "command", "date", "settings")} for p in parts],
        "failures": failures,
        "figures": figures,
    }
    if not figures:
        doc["failures"].append("no figure at all")
    md = markdown(doc, a.svg and os.path.basename(a.svg))
    chart = svg(doc)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
            f.write("\n")
    if a.md:
        with open(a.md, "w") as f:
            f.write(md + "\n")
    else:
        print(md)
    for path in (a.svg, a.docs and a.docs_svg):
        if path:
            with open(path, "w") as f:
                f.write(chart)
    if a.docs:
        link = (os.path.relpath(a.docs_svg, os.path.dirname(os.path.abspath(a.docs)))
                if a.docs_svg else None)
        update_docs(a.docs, markdown(doc, link))
    if doc["failures"]:
        print(f"report.py: {len(doc['failures'])} failure(s); see the report", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
