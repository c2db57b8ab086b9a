"""State directory (SPEC §6): explicit --state-dir (absolute or relative,
created if missing) or a temporary `rootlesskit*` dir under $TMPDIR; `lock`
(0600) and `child_pid` (host PID of the child, no newline, readable by the
command when it starts) while running; the whole dir removed at exit (explicit
ones too); a second rootlesskit on the same dir is refused without harming the
first; after SIGKILL of the parent the next start with the same dir works and
finds it emptied.
"""

import fcntl
import os
import signal

import pytest

from conftest import (RK_BIN, DEATH_TIMEOUT, assert_single_error, descendants, file_mode, rk,
                      rk_ok, wait_child_pid, wait_gone, wait_until)

def test_explicit_state_dir_contents_and_removal(state_dir):
    r = rk_ok(f"--state-dir={state_dir}", "sh", "-c",
              'echo "$ROOTLESSKIT_STATE_DIR"; ls -A "$ROOTLESSKIT_STATE_DIR"; '
              'stat -c "%a %F %s" "$ROOTLESSKIT_STATE_DIR/lock"')
    lines = r.stdout.splitlines()
    assert lines[0] == str(state_dir)
    entries = lines[1:-1]
    assert "lock" in entries and "child_pid" in entries, entries
    assert lines[-1] == "600 regular empty file 0", r.stdout
    assert not os.path.lexists(state_dir), "explicit state dir must be removed at exit"


@pytest.mark.not_in_ref("1.1.0 may start the command before child_pid exists")
def test_child_pid_exists_when_command_starts(state_dir):
    # no waiting loop: the command reads child_pid first thing
    r = rk_ok(f"--state-dir={state_dir}", "sh", "-c",
              'printf "[%s]\\n" "$(cat "$ROOTLESSKIT_STATE_DIR/child_pid")"')
    assert r.stdout.startswith("[") and r.stdout[1:-2].isdigit(), str(r)


@pytest.mark.not_in_ref("1.1.0 may start the command before child_pid exists")
def test_child_pid_exists_when_command_starts_pidns(state_dir):
    r = rk_ok(f"--state-dir={state_dir}", "--pidns", "sh", "-c",
              'cat "$ROOTLESSKIT_STATE_DIR/child_pid"')
    assert r.stdout.isdigit(), str(r)


WAIT_CHILD_PID = ('f="$ROOTLESSKIT_STATE_DIR/child_pid"; i=0; '
                  'while [ ! -s "$f" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; ')


def test_child_pid_is_child_in_command_namespaces(state_dir):
    script = WAIT_CHILD_PID + (
        'p=$(cat "$f"); printf "[%s]\\n" "$p"; stat -c %a "$f"; '
        'for ns in user mnt; do '
        '[ "$(readlink /proc/$p/ns/$ns)" = "$(readlink /proc/self/ns/$ns)" ] '
        '&& echo same-$ns; done')
    r = rk_ok(f"--state-dir={state_dir}", "sh", "-c", script)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("[") and lines[0].endswith("]"), "child_pid has no newline"
    pid = int(lines[0][1:-1])
    assert lines[1] == "444", "child_pid mode (SPEC §6: 0444)"
    assert lines[2:] == ["same-user", "same-mnt"], r.stdout
    assert pid != os.getpid()


def test_child_pid_host_view(state_dir, bg):
    p = bg([RK_BIN, f"--state-dir={state_dir}", "sleep", "1000"])
    f = state_dir / "child_pid"
    text = wait_until(lambda: f.exists() and f.read_text(), 20, what="child_pid")
    assert text.isdigit(), repr(text)
    child = int(text)
    assert child in descendants(p.pid)
    assert os.readlink(f"/proc/{child}/ns/user") != os.readlink("/proc/self/ns/user")
    assert file_mode(state_dir / "lock") == 0o600
    p.signal(signal.SIGTERM)
    p.wait()
    assert not os.path.lexists(state_dir)


def test_relative_state_dir_made_absolute(tmp_path):
    r = rk_ok("--state-dir=rel/sd", "sh", "-c", 'echo "$ROOTLESSKIT_STATE_DIR"; pwd', cwd=tmp_path)
    assert r.stdout == f"{tmp_path}/rel/sd\n{tmp_path}\n"
    assert not os.path.lexists(tmp_path / "rel" / "sd")


def test_explicit_state_dir_parents_created(tmp_path):
    d = tmp_path / "a" / "b" / "c"
    r = rk_ok(f"--state-dir={d}", "sh", "-c", 'stat -c %a "$ROOTLESSKIT_STATE_DIR"')
    umask = os.umask(0o22)
    os.umask(umask)
    assert r.stdout.strip() == format(0o755 & ~umask, "o"), "mkdir -p with mode 0755"
    assert not os.path.lexists(d)


def test_existing_state_dir_emptied_then_removed(state_dir):
    state_dir.mkdir()
    (state_dir / "stale-file").write_text("x")
    (state_dir / "stale-dir").mkdir()
    (state_dir / "stale-dir" / "f").write_text("y")
    os.symlink("/etc/passwd", state_dir / "stale-link")
    r = rk_ok(f"--state-dir={state_dir}", "sh", "-c", 'ls -A "$ROOTLESSKIT_STATE_DIR"')
    entries = r.stdout.split()
    for stale in ("stale-file", "stale-dir", "stale-link"):
        assert stale not in entries, r.stdout
    assert not os.path.lexists(state_dir)
    assert os.path.exists("/etc/passwd")


def test_temporary_state_dir(rk_tmpdir):
    r = rk_ok("sh", "-c", 'echo "$ROOTLESSKIT_STATE_DIR"; stat -c %a "$ROOTLESSKIT_STATE_DIR"; '
              'ls -A "$ROOTLESSKIT_STATE_DIR"')
    lines = r.stdout.splitlines()
    d = lines[0]
    assert os.path.dirname(d) == str(rk_tmpdir), "temporary state dir is made in $TMPDIR"
    assert os.path.basename(d).startswith("rootlesskit")
    assert lines[1] == "700"
    assert "lock" in lines[2:]
    assert list(rk_tmpdir.iterdir()) == [], "temporary state dir must be removed at exit"


def test_temporary_state_dirs_unique(rk_tmpdir, bg):
    a = bg([RK_BIN, "sh", "-c", 'echo "$ROOTLESSKIT_STATE_DIR"; exec sleep 1000'])
    b = bg([RK_BIN, "sh", "-c", 'echo "$ROOTLESSKIT_STATE_DIR"; exec sleep 1000'])
    da = a.wait_stdout(r"^(/.*)$").group(1)
    db = b.wait_stdout(r"^(/.*)$").group(1)
    assert da != db
    a.signal(signal.SIGTERM)
    b.signal(signal.SIGTERM)
    a.wait()
    b.wait()
    assert list(rk_tmpdir.iterdir()) == []


@pytest.mark.parametrize("how", ["exit0", "exit42", "signal"])
def test_state_dir_removed_on_every_exit(how, state_dir):
    cmd = {"exit0": "exit 0", "exit42": "exit 42", "signal": "kill -TERM $$"}[how]
    r = rk(f"--state-dir={state_dir}", "sh", "-c", cmd)
    assert r.returncode == {"exit0": 0, "exit42": 42, "signal": 255}[how], str(r)
    assert not os.path.lexists(state_dir)


def test_state_dir_removed_when_parent_gets_sigterm(state_dir, bg):
    p = bg([RK_BIN, f"--state-dir={state_dir}", "sleep", "1000"])
    wait_child_pid(state_dir)
    p.signal(signal.SIGTERM)  # forwarded to sleep, which dies of it
    r = p.result()
    assert r.returncode == 255, str(r)
    assert not os.path.lexists(state_dir)


def test_second_instance_same_state_dir_refused(state_dir, bg, tmp_path):
    first = bg([RK_BIN, f"--state-dir={state_dir}", "sh", "-c", "echo ready; exec sleep 1000"])
    first.wait_stdout("^ready$")
    wait_child_pid(state_dir)
    f = state_dir / "child_pid"
    before = sorted(os.listdir(state_dir))
    pid_before = f.read_text()
    r = rk(f"--state-dir={state_dir}", "echo", "second")
    assert_single_error(r, f"failed to lock {state_dir}/lock, another RootlessKit is running "
                           "with the same state directory?")
    # the first instance's state is untouched and it is still running
    assert sorted(os.listdir(state_dir)) == before
    assert f.read_text() == pid_before
    assert first.p.poll() is None
    first.signal(signal.SIGTERM)
    first.wait()
    assert not os.path.lexists(state_dir)


@pytest.mark.not_in_ref("1.1.0's child may survive an early SIGKILL of the parent (PDEATHSIG lost "
                        "across its re-exec, SPEC §11.5)")
@pytest.mark.parametrize("pidns", [False, True])
def test_restart_after_parent_sigkill(pidns, state_dir, bg):
    args = ["--pidns"] if pidns else []
    p = bg([RK_BIN, f"--state-dir={state_dir}", *args, "sleep", "1000"])
    child = wait_child_pid(state_dir)
    procs = descendants(p.pid)
    p.extra_pids.update(procs)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    wait_gone(procs, DEATH_TIMEOUT,
              what="the child to die after SIGKILL of the parent")
    # a killed parent cannot clean up: the dir stays, with its content
    assert state_dir.is_dir()
    assert (state_dir / "lock").exists()
    (state_dir / "stale").write_text("stale\n")
    r = rk(f"--state-dir={state_dir}", *args, "sh", "-c",
           'ls -A "$ROOTLESSKIT_STATE_DIR"; '
           'cat "$ROOTLESSKIT_STATE_DIR/child_pid" 2>/dev/null; echo')
    assert r.returncode == 0, str(r)
    assert "stale" not in r.stdout.split(), str(r)
    assert str(child) not in r.stdout.split(), "stale child_pid survived"
    assert not os.path.lexists(state_dir)


def test_state_dir_is_a_file(tmp_path, rk_tmpdir):
    f = tmp_path / "afile"
    f.write_text("keep me\n")
    r = rk(f"--state-dir={f}", "true")
    assert_single_error(r, str(f))
    assert f.read_text() == "keep me\n", "rootlesskit must not remove what it did not create"
    assert list(rk_tmpdir.iterdir()) == []


def test_state_dir_not_creatable(tmp_path, rk_tmpdir):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        r = rk(f"--state-dir={ro}/sd", "true")
        assert_single_error(r, f"{ro}/sd")
    finally:
        ro.chmod(0o755)
    assert list(ro.iterdir()) == []
    assert list(rk_tmpdir.iterdir()) == []


def test_lock_is_flocked_while_running(state_dir, bg):
    p = bg([RK_BIN, f"--state-dir={state_dir}", "sleep", "1000"])
    wait_child_pid(state_dir)
    with open(state_dir / "lock") as lk:
        with pytest.raises(BlockingIOError):
            fcntl.flock(lk, fcntl.LOCK_EX | fcntl.LOCK_NB)
    # SPEC §6: also a shared flock on the directory itself (#185)
    dfd = os.open(state_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(dfd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(dfd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # shared is compatible
    finally:
        os.close(dfd)
    p.signal(signal.SIGTERM)
    p.wait()
