# SPDX-License-Identifier: Apache-2.0
"""The benchmark harness without measuring (bench/ is not timed in CI, issue 9): every script
parses its command line (bad arguments exit 2 with a message, --help prints its header), and
bench/report.py merges results.json files (bench/results-schema.md) into the JSON, Markdown and
SVG it promises, counts every run without a number as a failure (exit 1), keeps a variant that
could not be measured apart from a failure, and rewrites only the generated block of the docs.
"""

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(REPO, "bench")
SCRIPTS = ("run", "startup.sh", "net.sh", "ports.sh", "stack.sh")


def _run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_and_bad_arguments(script):
    path = os.path.join(BENCH, script)
    r = _run(["bash", path, "--help"])
    assert r.returncode == 0, r.stderr
    assert "--quick" in r.stdout and "sudo bash bench/" in r.stdout
    r = _run(["bash", path, "--no-such-flag"])
    assert r.returncode == 2
    assert "unknown argument: --no-such-flag" in r.stderr


@pytest.mark.parametrize("script,args,text", [
    ("ports.sh", ["--rounds", "0"], "take a positive integer"),
    ("ports.sh", ["--only", "tcp,bogus"], "--only: unknown figure bogus"),
    ("ports.sh", ["--udp-rates", "1G,fast"], "not an iperf3 rate: fast"),
    ("stack.sh", ["--time", "x"], "take a positive integer"),
    ("run", ["--only", "net,bogus"], "bogus"),
])
def test_invalid_values(script, args, text):
    r = _run(["bash", os.path.join(BENCH, script), *args])
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert text in r.stderr


def _fig(fid, group, title, values, **kw):
    return {"id": fid, "group": group, "title": title, "unit": "Gbit/s", "better": "higher",
            "values": values, "ratio_to": "reference", "chart": True, **kw}


def _write(tmp_path, name, part, figures, failures=()):
    p = tmp_path / name
    p.write_text(json.dumps({"part": part, "command": f"bench/{part}.sh", "date": "2026-11-23",
                             "settings": {"rounds": 2}, "figures": figures,
                             "failures": list(failures)}))
    return str(p)


def _report(tmp_path, *results, docs=None):
    argv = [sys.executable, os.path.join(BENCH, "report.py"), "--json", str(tmp_path / "b.json"),
            "--md", str(tmp_path / "b.md"), "--svg", str(tmp_path / "b.svg"),
            "--ours", "/bin/true", "--reference", "/bin/true", *results]
    if docs:
        argv += ["--docs", docs, "--docs-svg", str(tmp_path / "docs.svg")]
    return _run(argv)


def test_report_merges_parts_into_one_table_per_group(tmp_path):
    g = "Network throughput child→host (iperf3)"
    a = _write(tmp_path, "net.json", "net", [
        _fig("net.a", g, "slirp4netns, MTU 1500", {"ours": [2.0, 4.0, 3.0], "reference": [1.0, 1.0]},
             extra={"ours": {"stalled_s": [0, 1]}}),
        _fig("net.nm", g, "implicit UDP", {}, not_measured={"ours": "pasta too old"}, chart=False),
    ])
    b = _write(tmp_path, "stack.json", "stack", [
        _fig("stack.a", g, "gvisor-tap-vsock, MTU 1500", {"ours": [8.0], "reference": [1.0],
                                                          "veth": [16.0]}),
    ])
    r = _report(tmp_path, a, b)
    assert r.returncode == 0, r.stderr
    doc = json.load(open(tmp_path / "b.json"))
    assert doc["failures"] == []
    figs = {f["id"]: f for f in doc["figures"]}
    assert figs["net.a"]["stats"]["ours"] == {"median": 3.0, "min": 2.0, "max": 4.0, "n": 3}
    assert figs["net.a"]["ratio"] == pytest.approx(3.0)
    assert figs["stack.a"]["ratio"] == pytest.approx(8.0)
    md = open(tmp_path / "b.md").read()
    assert md.count(f"### {g}") == 1, "both parts' figures in one table"
    assert "| slirp4netns, MTU 1500 | Gbit/s | 3.00 (2.00–4.00) | 1.00 |" in md
    assert "| ↳ stalled_s |" in md
    assert "not measured (below)" in md and "Not measured: implicit UDP, ours: pasta too old." in md
    svg = open(tmp_path / "b.svg").read()
    assert svg.startswith("<svg") and "gvisor-tap-vsock" in svg and "veth" in svg


def test_report_counts_missing_numbers_as_failures(tmp_path):
    a = _write(tmp_path, "ports.json", "ports", [
        _fig("ports.tcp", "G", "TCP", {"ours": [], "reference": [5.0]}),
    ], failures=["ports: a run failed a check"])
    r = _report(tmp_path, a, str(tmp_path / "missing.json"))
    assert r.returncode == 1
    doc = json.load(open(tmp_path / "b.json"))
    assert "ports: a run failed a check" in doc["failures"]
    assert "ports.tcp: ours produced no number" in doc["failures"]
    assert any("missing.json: unreadable results" in x for x in doc["failures"])
    assert "**Failures**" in open(tmp_path / "b.md").read()


def test_report_rewrites_only_the_generated_block(tmp_path):
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nintro\n\n<!-- bench/run: begin -->\nold\n"
                    "<!-- bench/run: end -->\n\n## History\nkept\n")
    a = _write(tmp_path, "s.json", "startup", [_fig("s.x", "G", "x", {"ours": [1.0],
                                                                      "reference": [2.0]})])
    r = _report(tmp_path, a, docs=str(docs))
    assert r.returncode == 0, r.stderr
    text = docs.read_text()
    assert text.startswith("# Benchmarks\n\nintro\n\n<!-- bench/run: begin -->\n## Benchmarks:")
    assert "old" not in text and text.endswith("<!-- bench/run: end -->\n\n## History\nkept\n")
    assert "![throughput: ours, reference and the physical limit](docs.svg)" in text
    assert (tmp_path / "docs.svg").read_text().startswith("<svg")
