"""Failures of the environment (SPEC §1.4, §3): newuidmap or newgidmap not
found in PATH while the user has sub-ID ranges -> exit 1, one error line naming
the missing tool, nothing left behind, no process left running.

Not covered here, because the unprivileged test user cannot change /etc:
an unreadable or missing /etc/subuid / /etc/subgid and malformed lines in them
(the unit tests of the subid parser cover those messages); a failing newuidmap
(e.g. a range not granted) is covered indirectly by test_userns.py, whose
getsubids stubs only ever return granted ranges.
"""

import os
import shutil

import pytest

from conftest import assert_nothing_left, env_with, rk

TOOLS = ["sh", "true", "cat", "getsubids", "newuidmap", "newgidmap"]


def tool_dir(tmp_path, without):
    """A PATH directory with symlinks to the tools rootlesskit and the tests
    need, except `without`."""
    d = tmp_path / f"bin-without-{without}"
    d.mkdir()
    for tool in TOOLS:
        if tool == without:
            continue
        path = shutil.which(tool)
        assert path, f"{tool} not found"
        os.symlink(path, d / tool)
    return d


def rk_processes():
    """PIDs of processes of ours running the binary under test."""
    out = set()
    uid = os.getuid()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.stat(f"/proc/{d}").st_uid != uid:
                continue
            exe = os.readlink(f"/proc/{d}/exe")
        except OSError:
            continue
        if os.path.basename(exe).startswith("rootlesskit"):
            out.add(int(d))
    return out


@pytest.mark.not_in_ref("1.1.0's child sometimes adds `parsing message from fd 3: EOF`")
@pytest.mark.parametrize("missing", ["newuidmap", "newgidmap"])
@pytest.mark.parametrize("explicit_state_dir", [False, True])
def test_missing_idmap_tool(missing, explicit_state_dir, tmp_path, rk_tmpdir, state_dir):
    bindir = tool_dir(tmp_path, missing)
    args = [f"--state-dir={state_dir}"] if explicit_state_dir else []
    before = rk_processes()
    r = rk(*args, "sh", "-c", "echo should-not-run", env=env_with(PATH=bindir))
    assert r.returncode == 1, str(r)
    errs = r.error_lines()
    assert len(errs) == 1 and errs[0].startswith("[rootlesskit:parent] error: "), str(r)
    assert missing in errs[0], str(r)
    assert "should-not-run" not in r.stdout
    assert_nothing_left(rk_tmpdir, *([state_dir] if explicit_state_dir else []))
    assert rk_processes() - before == set(), "rootlesskit processes left running"


@pytest.mark.not_in_ref("1.1.0's child sometimes adds `parsing message from fd 3: EOF`")
@pytest.mark.parametrize("source", ["auto", "static", "dynamic"])
def test_missing_newuidmap_any_subid_source(source, tmp_path, rk_tmpdir):
    bindir = tool_dir(tmp_path, "newuidmap")
    r = rk(f"--subid-source={source}", "true", env=env_with(PATH=bindir))
    assert r.returncode == 1, str(r)
    assert len(r.error_lines()) == 1 and "newuidmap" in r.error_lines()[0], str(r)
    assert_nothing_left(rk_tmpdir)
