"""Signals and parent death (SPEC §5.3, §5.4): signals sent to the rootlesskit
parent reach the command (plain and --pidns), rootlesskit itself survives them
(also several in a row), SIGPIPE is not forwarded; SIGKILL of the parent takes
down the child and the command within ~2 s, with and without --pidns/reaper.
"""

import os
import signal
import time

import pytest

from conftest import (RK_BIN, DEATH_TIMEOUT, comm, descendants, wait_child_pid, wait_gone,
                      wait_until)

MODES = {
    "plain": [],
    "pidns-reaper": ["--pidns"],
    "pidns-no-reaper": ["--pidns", "--reaper=false"],
}

EARLY_SIGNAL_RACE = ("1.1.0's child starts forwarding only after starting the command: a signal "
                     "sent right after the command's first output is sometimes lost")

FORWARDED = ["HUP", "INT", "QUIT", "USR1", "USR2", "ALRM", "TERM", "WINCH", "CONT", "TSTP"]


def trap_script(sigs, final):
    """A command that prints `got <SIG>` for each of sigs and keeps running,
    and exits 0 on `final`."""
    traps = " ".join(f"trap 'echo got {s}' {s};" for s in sigs)
    return (f"{traps} trap 'echo got {final}; exit 0' {final}; echo ready; "
            "i=0; while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; exit 9")


@pytest.mark.not_in_ref(EARLY_SIGNAL_RACE)
@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("sig", FORWARDED)
def test_signal_reaches_command(sig, mode, bg):
    p = bg([RK_BIN, *MODES[mode], "sh", "-c", trap_script([], sig)])
    p.wait_stdout("^ready$")
    p.signal(getattr(signal, "SIG" + sig))
    r = p.result()
    assert r.returncode == 0, str(r)
    assert r.stdout == f"ready\ngot {sig}\n", str(r)


@pytest.mark.not_in_ref(EARLY_SIGNAL_RACE)
@pytest.mark.parametrize("mode", sorted(MODES))
def test_rootlesskit_survives_repeated_signals(mode, bg):
    sigs = ["USR1", "HUP", "INT", "TERM"]
    p = bg([RK_BIN, *MODES[mode], "sh", "-c", trap_script(sigs, "USR2")])
    p.wait_stdout("^ready$")
    for s in sigs * 2:
        before = p.stdout().count(f"got {s}\n")
        p.signal(getattr(signal, "SIG" + s))
        wait_until(lambda: p.stdout().count(f"got {s}\n") > before or p.p.poll() is not None,
                   10, what=f"the command to get SIG{s}")
        assert p.p.poll() is None, f"rootlesskit exited after SIG{s}\n{p.describe()}"
    p.signal(signal.SIGUSR2)
    r = p.result()
    assert r.returncode == 0, str(r)
    assert r.stdout.count("got ") == 9


@pytest.mark.not_in_ref(EARLY_SIGNAL_RACE)
@pytest.mark.parametrize("mode", ["plain", "pidns-reaper"])
def test_sigpipe_not_forwarded(mode, bg):
    p = bg([RK_BIN, *MODES[mode], "sh", "-c", trap_script(["PIPE"], "USR1")])
    p.wait_stdout("^ready$")
    p.signal(signal.SIGPIPE)
    # then a signal that is forwarded, to end the run; SIGPIPE, if it had
    # been forwarded, would have been delivered first
    p.signal(signal.SIGUSR1)
    r = p.result()
    assert r.returncode == 0, str(r)
    assert r.stdout == "ready\ngot USR1\n", str(r)


# --------------------------------------------------------------------------
# Parent death
# --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", sorted(MODES))
def test_parent_sigkill_kills_child_and_command(mode, bg, state_dir):
    p = bg([RK_BIN, f"--state-dir={state_dir}", *MODES[mode], "sleep", "1000"])
    child = wait_child_pid(state_dir)
    wait_until(lambda: any(comm(d) == "sleep" for d in descendants(child)), 20,
               what="the command to start")
    procs = descendants(p.pid)
    assert child in procs
    p.extra_pids.update(procs)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    wait_gone(procs, DEATH_TIMEOUT,
              what=f"child {child} and command to die after SIGKILL of the parent")


@pytest.mark.parametrize("mode", ["pidns-reaper", "pidns-no-reaper"])
def test_parent_sigkill_ends_whole_pid_namespace(mode, bg, state_dir):
    # With --pidns the end of the child (PID 1) ends every process of the
    # namespace, also a daemon the command left running in the background.
    # (Without --pidns such daemons survive by design, SPEC §5.1.)
    p = bg([RK_BIN, f"--state-dir={state_dir}", *MODES[mode], "sh", "-c",
            "sleep 1001 & exec sleep 1000"])
    child = wait_child_pid(state_dir)
    wait_until(lambda: sum(comm(d) == "sleep" for d in descendants(child)) == 2, 20,
               what="the command and its background process")
    procs = descendants(p.pid)
    p.extra_pids.update(procs)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    wait_gone(procs, DEATH_TIMEOUT,
              what="every process of the PID namespace to die")


@pytest.mark.parametrize("mode", ["plain", "pidns-reaper"])
@pytest.mark.parametrize("delay", [0.0, 0.002, 0.01, 0.03, 0.1])
def test_parent_sigkill_during_startup(delay, mode, bg, state_dir):
    # SIGKILL at any moment of the start-up must not leave anything running.
    # pytest is a child subreaper (conftest), so whatever the dead parent had
    # started is reparented to us and shows up among our descendants.
    before = set(descendants(os.getpid()))
    p = bg([RK_BIN, f"--state-dir={state_dir}", *MODES[mode], "sleep", "1000"])
    time.sleep(delay)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    wait_gone(set(descendants(os.getpid())) - before, DEATH_TIMEOUT,
              what=f"everything rootlesskit started to die (SIGKILL after {delay}s)")
