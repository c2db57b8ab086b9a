"""Exit codes and their messages (SPEC §5.5): the command's exit status
becomes rootlesskit's (with and without --pidns and the reaper), a command
killed by a signal gives 255 and a message naming the signal (Go names), a
missing or non-executable command gives 1, a killed rootlesskit child gives 255.
"""

import os
import signal

import pytest

from conftest import (RK_BIN, DEATH_TIMEOUT, comm, descendants, rk, wait_child_pid, wait_gone,
                      wait_until)

MODES = {
    "plain": [],
    "pidns-reaper": ["--pidns"],
    "pidns-no-reaper": ["--pidns", "--reaper=false"],
}


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("code", [0, 1, 2, 42, 126, 127, 255])
def test_exit_code_round_trip(mode, code):
    r = rk(*MODES[mode], "sh", "-c", f"exit {code}")
    assert r.returncode == code, str(r)
    if code == 0:
        assert r.stderr == "", str(r)
        assert r.stdout == ""
    else:
        assert r.error_lines() == [
            f"[rootlesskit:child ] error: command [sh -c exit {code}] exited: exit status {code}",
            f"[rootlesskit:parent] error: child exited: exit status {code}",
        ], str(r)


# Go's names (SPEC §5.5) for signals a shell can send to itself.
SIGNAL_NAMES = {
    "HUP": "hangup",
    "INT": "interrupt",
    "QUIT": "quit",
    "ABRT": "aborted",
    "KILL": "killed",
    "USR1": "user defined signal 1",
    "SEGV": "segmentation fault",
    "USR2": "user defined signal 2",
    "ALRM": "alarm clock",
    "TERM": "terminated",
}


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("sig", sorted(SIGNAL_NAMES))
def test_command_killed_by_signal(mode, sig):
    # `ulimit -c 0`: no core dump, so no " (core dumped)" suffix
    r = rk(*MODES[mode], "sh", "-c", f"ulimit -c 0; kill -{sig} $$; sleep 10")
    assert r.returncode == 255, str(r)
    errs = r.error_lines()
    cmd = f"sh -c ulimit -c 0; kill -{sig} $$; sleep 10"
    assert errs == [
        f"[rootlesskit:child ] error: command [{cmd}] exited: signal: {SIGNAL_NAMES[sig]}",
        "[rootlesskit:parent] error: child exited: exit status 255",
    ], str(r)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_command_killed_by_realtime_signal(mode):
    rtmin = signal.SIGRTMIN
    r = rk(*MODES[mode], "sh", "-c", f"kill -{rtmin} $$; sleep 10")
    assert r.returncode == 255, str(r)
    assert f"exited: signal: signal {rtmin}" in r.stderr, str(r)


def test_kill_child_pid_with_usr1():
    # SPEC §5.5 test: `kill -USR1 $(cat child_pid)` -> the child forwards USR1 to
    # the command, which dies of it: exit 255 and "user defined signal 1".
    # (The loop only waits for child_pid in case the command starts early.)
    script = ('f="$ROOTLESSKIT_STATE_DIR/child_pid"; i=0; while [ ! -s "$f" ] && [ $i -lt 200 ]; '
              'do sleep 0.05; i=$((i+1)); done; kill -USR1 "$(cat "$f")"; sleep 10')
    r = rk("sh", "-c", script)
    assert r.returncode == 255, str(r)
    assert "user defined signal 1" in r.stderr, str(r)
    assert "[rootlesskit:parent] error: child exited: exit status 255" in r.error_lines(), str(r)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_command_not_found(mode):
    r = rk(*MODES[mode], "rk-no-such-command", "arg")
    assert r.returncode == 1, str(r)
    assert r.error_lines() == [
        '[rootlesskit:child ] error: command [rk-no-such-command arg] exited: exec: '
        '"rk-no-such-command": executable file not found in $PATH',
        "[rootlesskit:parent] error: child exited: exit status 1",
    ], str(r)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_command_not_executable(mode):
    r = rk(*MODES[mode], "/etc/passwd")
    assert r.returncode == 1, str(r)
    assert r.error_lines() == [
        "[rootlesskit:child ] error: command [/etc/passwd] exited: fork/exec /etc/passwd: "
        "permission denied",
        "[rootlesskit:parent] error: child exited: exit status 1",
    ], str(r)


def test_command_path_missing():
    r = rk("/nonexistent/rk-cmd")
    assert r.returncode == 1, str(r)
    assert "no such file or directory" in r.stderr, str(r)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_rootlesskit_child_killed(mode, bg, state_dir):
    p = bg([RK_BIN, f"--state-dir={state_dir}", *MODES[mode], "sleep", "1000"])
    child = wait_child_pid(state_dir)
    wait_until(lambda: any(comm(d) == "sleep" for d in descendants(child)), 20,
               what="the command to start")
    procs = descendants(p.pid)
    p.extra_pids.update(procs)
    os.kill(child, signal.SIGKILL)
    r = p.result()
    assert r.returncode == 255, str(r)
    assert r.error_lines() == ["[rootlesskit:parent] error: child exited: signal: killed"], str(r)
    wait_gone(procs, DEATH_TIMEOUT,
              what="the command to die with the child")
    assert not state_dir.exists()


