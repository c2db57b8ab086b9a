"""The command's environment and file descriptors (SPEC §5.6):
ROOTLESSKIT_STATE_DIR (absolute), ROOTLESSKIT_PARENT_EUID/EGID are set
(overriding inherited values), everything else of the caller's environment
arrives unchanged and nothing else is added (no internal variables); only fds
0-2 reach the command, even when the caller leaks other fds to rootlesskit.
"""

import os

import pytest

from conftest import env_with, rk_ok

RK_VARS = ("ROOTLESSKIT_STATE_DIR", "ROOTLESSKIT_PARENT_EUID", "ROOTLESSKIT_PARENT_EGID")


def command_env(*args, env=None):
    r = rk_ok(*args, "env", "-0", env=env)
    out = {}
    for item in r.stdout.split("\0"):
        if item:
            k, _, v = item.partition("=")
            out[k] = v
    return out


@pytest.mark.parametrize("args", [[], ["--pidns"]])
def test_rootlesskit_variables(args, state_dir):
    e = command_env(f"--state-dir={state_dir}", *args)
    assert e["ROOTLESSKIT_STATE_DIR"] == str(state_dir)
    assert e["ROOTLESSKIT_PARENT_EUID"] == str(os.geteuid())
    assert e["ROOTLESSKIT_PARENT_EGID"] == str(os.getegid())


def test_state_dir_variable_absolute_for_temp_dir():
    e = command_env()
    assert os.path.isabs(e["ROOTLESSKIT_STATE_DIR"])


def test_inherited_rootlesskit_variables_overridden(state_dir):
    env = env_with(ROOTLESSKIT_STATE_DIR="/bogus", ROOTLESSKIT_PARENT_EUID="12345",
                   ROOTLESSKIT_PARENT_EGID="54321")
    e = command_env(f"--state-dir={state_dir}", env=env)
    assert e["ROOTLESSKIT_STATE_DIR"] == str(state_dir)
    assert e["ROOTLESSKIT_PARENT_EUID"] == str(os.geteuid())
    assert e["ROOTLESSKIT_PARENT_EGID"] == str(os.getegid())


@pytest.mark.parametrize("args", [[], ["--pidns"], ["--pidns", "--reaper=false"],
                                  ["--copy-up=/etc", "--utsns", "--ipcns", "--cgroupns"]])
def test_environment_otherwise_untouched(args):
    env = env_with(FOO="bar", EMPTY="", WITH_EQ="a=b=c", MULTI="line1\nline2",
                   SPACES="  x  ", LISTEN_FDNAMES="unrelated")
    e = command_env(*args, env=env)
    for k in RK_VARS:
        e.pop(k)
    assert e == env


def test_path_passes_through(tmp_path):
    path = f"{tmp_path}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
    e = command_env(env=env_with(PATH=path))
    assert e["PATH"] == path


# --------------------------------------------------------------------------
# File descriptors
# --------------------------------------------------------------------------

def command_fds(*args, pass_fds=()):
    # the shell's own fd table ($$), listed by a child process
    r = rk_ok(*args, "sh", "-c", "ls /proc/$$/fd", pass_fds=pass_fds)
    return sorted(int(x) for x in r.stdout.split())


@pytest.mark.parametrize("args", [[], ["--pidns"], ["--pidns", "--reaper=false"],
                                  ["--copy-up=/etc"]])
def test_only_stdio_reaches_command(args):
    assert command_fds(*args) == [0, 1, 2]


@pytest.mark.not_in_ref("Go passes on fds inherited from the caller")
@pytest.mark.parametrize("args", [[], ["--pidns"]])
def test_callers_leaked_fds_do_not_reach_command(args, tmp_path):
    fds = []
    try:
        for i in range(3):
            fds.append(os.open(tmp_path / f"leak{i}", os.O_CREAT | os.O_RDWR, 0o600))
        r, w = os.pipe()
        fds += [r, w]
        for fd in fds:
            os.set_inheritable(fd, True)
        assert command_fds(*args, pass_fds=fds) == [0, 1, 2]
    finally:
        for fd in fds:
            os.close(fd)
