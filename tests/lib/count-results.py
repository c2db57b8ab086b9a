#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Counts test results for tests/run.sh. Prints one line "PASSED FAILED SKIPPED" on stdout and the
# names of the tests that failed or were skipped on stderr.
#
#   count-results.py meson TESTLOG.json   meson's build/meson-logs/testlog.json: one count per
#       test case, read from each test program's output, either TAP ("ok N - name", "not ok ...",
#       "# SKIP"; cmocka with CMOCKA_MESSAGE_OUTPUT=TAP) or cmocka's default "[ RUN ] / [ OK ] /
#       [ FAILED ] / [ SKIPPED ]" lines; a program that fails without a failed case (crash,
#       sanitizer report, time-out, fewer results than its TAP plan) adds one failure; a program
#       without such output counts once.
#   count-results.py junit JUNIT.xml      pytest's --junitxml: xfail counts as passed.
import json
import re
import sys
import xml.etree.ElementTree as ET

CASE = re.compile(r"^\[ *(RUN|OK|FAILED|SKIPPED|ERROR) *\] (\S.*)$")
TAP = re.compile(r"^(not )?ok\b *(\d*)\s*(?:- )?([^#]*?)\s*(?:#\s*(\w+)\b.*)?$", re.I)


def count_tap(out):
    """Like count_cmocka, for TAP output; None if OUT has no TAP result line."""
    passed = failed = skipped = 0
    bad, skips = [], []
    seen = False
    for line in out.splitlines():
        line = line.strip()
        if line.lower().startswith("bail out!"):
            failed += 1
            bad.append(line)
            continue
        m = TAP.match(line)
        if not m:
            continue
        seen = True
        ok = m.group(1) is None
        name = m.group(3) or f"#{m.group(2)}"
        directive = (m.group(4) or "").upper()
        if directive == "SKIP":
            skipped += 1
            skips.append(name)
        elif ok or directive == "TODO":
            passed += 1
        else:
            failed += 1
            bad.append(name)
    return (passed, failed, skipped, bad, skips) if seen else None


def count_cmocka(out):
    """Return (passed, failed, skipped, failed_names, skipped_names) from cmocka output."""
    passed = failed = skipped = 0
    bad, skips = [], []
    running = None
    for line in out.splitlines():
        m = CASE.match(line.strip())
        if not m:
            continue
        kind, name = m.group(1), m.group(2).strip()
        if kind == "RUN":
            if running is not None:  # previous case never finished
                failed += 1
                bad.append(running)
            running = name
        elif running is not None and name == running:
            if kind == "OK":
                passed += 1
            elif kind == "SKIPPED":
                skipped += 1
                skips.append(name)
            else:
                failed += 1
                bad.append(name)
            running = None
    if running is not None:
        failed += 1
        bad.append(running + " (did not finish)")
    return passed, failed, skipped, bad, skips


def meson(path):
    p = f = s = 0
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        name, result = t["name"], t.get("result", "ERROR")
        out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
        cp, cf, cs, bad, skips = count_tap(t.get("stdout") or "") or count_cmocka(out)
        for b in bad:
            print(f"  FAILED  {name}: {b}", file=sys.stderr)
        for k in skips:
            print(f"  SKIPPED {name}: {k}", file=sys.stderr)
        if result in ("OK", "EXPECTEDFAIL"):
            p += cp if cp + cf + cs else 1
            f += cf
            s += cs
        elif result == "SKIP":
            s += 1
            print(f"  SKIPPED {name} (whole program)", file=sys.stderr)
        else:  # FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS, INTERRUPT
            p += cp
            s += cs
            f += cf if cf else 1
            if not cf:
                print(f"  FAILED  {name}: {result} (exit status {t.get('returncode')})",
                      file=sys.stderr)
    return p, f, s


def junit(path):
    p = f = s = 0
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        if case.find("failure") is not None or case.find("error") is not None:
            f += 1
            print(f"  FAILED  {name}", file=sys.stderr)
        elif (sk := case.find("skipped")) is not None:
            if sk.get("type") == "pytest.xfail":
                p += 1
            else:
                s += 1
                print(f"  SKIPPED {name}: {sk.get('message', '')}", file=sys.stderr)
        else:
            p += 1
    return p, f, s


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("meson", "junit"):
        sys.exit("usage: count-results.py meson TESTLOG.json | junit JUNIT.xml")
    print(*(meson if sys.argv[1] == "meson" else junit)(sys.argv[2]))
