"""Process options (SPEC §5.1, §5.2, §5.6): which namespaces the command gets
(--pidns, --cgroupns, --utsns, --ipcns; user+mount always; host network), the
PID namespace with its own /proc, the reaper (auto/true/false: setsid and
orphan reaping vs. same session and plain wait), --evacuate-cgroup2, the
controlling terminal (`script`), stdin/stdout/stderr pass-through, cwd.
"""

import os
import re
import uuid
from pathlib import Path

import pytest

from conftest import RK_BIN, env_with, ns_inode, require_env, require_tool, rk_ok, run

NS_FLAGS = {"pid": "--pidns", "cgroup": "--cgroupns", "uts": "--utsns", "ipc": "--ipcns"}


def cmd_ns(kind, *flags):
    return rk_ok(*flags, "readlink", f"/proc/self/ns/{kind}").stdout.strip()


# --------------------------------------------------------------------------
# Namespaces
# --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["user", "mnt"])
def test_always_new_user_and_mount_namespace(kind):
    assert cmd_ns(kind) != ns_inode(kind)


def test_host_network_namespace_kept():
    assert cmd_ns("net") == ns_inode("net")


@pytest.mark.parametrize("kind", sorted(NS_FLAGS))
def test_namespace_flag_off_keeps_host_namespace(kind):
    assert cmd_ns(kind) == ns_inode(kind)


@pytest.mark.parametrize("kind", sorted(NS_FLAGS))
def test_namespace_flag_on_gives_new_namespace(kind):
    assert cmd_ns(kind, NS_FLAGS[kind]) != ns_inode(kind)


def test_all_namespace_flags_together():
    script = "; ".join(f"readlink /proc/self/ns/{k}" for k in sorted(NS_FLAGS))
    r = rk_ok(*NS_FLAGS.values(), "sh", "-c", script)
    inside = r.stdout.split()
    for k, v in zip(sorted(NS_FLAGS), inside):
        assert v != ns_inode(k), k


def test_cgroupns_root_is_own_cgroup():
    r = rk_ok("--cgroupns", "cat", "/proc/self/cgroup")
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("0::")]
    assert lines == ["0::/"], r.stdout


def test_without_cgroupns_cgroup_path_is_hosts():
    mine = [ln for ln in open("/proc/self/cgroup").read().splitlines() if ln.startswith("0::")]
    r = rk_ok("cat", "/proc/self/cgroup")
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("0::")]
    assert lines == mine


def test_utsns_hostname_copied_and_private():
    host = os.uname().nodename
    r = rk_ok("--utsns", "sh", "-c", "hostname; hostname rk-uts-test && hostname")
    assert r.stdout == f"{host}\nrk-uts-test\n", str(r)
    assert os.uname().nodename == host


def test_ipcns_private_sysv_ipc():
    # a SysV message queue created inside lives in the namespace only
    require_tool("ipcmk")
    require_tool("ipcs")
    before = run(["ipcs", "-q"]).stdout
    r = rk_ok("--ipcns", "sh", "-c", "ipcmk -Q >/dev/null && ipcs -q | grep -c '^0x'")
    assert r.stdout.strip() == "1", str(r)
    assert run(["ipcs", "-q"]).stdout == before


# --------------------------------------------------------------------------
# --pidns
# --------------------------------------------------------------------------

def _proc_table(text):
    """Parse concatenated /proc/<pid>/stat lines: {pid: (comm, state, ppid)}."""
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        pid = int(line.split(" ", 1)[0])
        comm = line[line.index("(") + 1:line.rindex(")")]
        rest = line[line.rindex(")") + 2:].split()
        out[pid] = (comm, rest[0], int(rest[1]))
    return out


@pytest.mark.parametrize("reaper", [None, "true", "false"])
def test_pidns_has_own_proc_and_init(reaper):
    args = ["--pidns"] + ([f"--reaper={reaper}"] if reaper else [])
    r = rk_ok(*args, "sh", "-c", 'echo $$; cat /proc/[0-9]*/stat 2>/dev/null')
    me_pid, table = r.stdout.split("\n", 1)
    table = _proc_table(table)
    me_pid = int(me_pid)
    assert 1 in table, table
    assert table[1][2] == 0, "PID 1 has no parent inside the namespace"
    assert me_pid != 1 and me_pid in table
    # only the namespace's processes are visible: init, the command and its children
    assert len(table) <= 6, table
    # the command descends from PID 1
    pid = me_pid
    while pid not in (0, 1):
        pid = table[pid][2]
    assert pid == 1


def test_pidns_proc_is_mounted_fresh():
    r = rk_ok("--pidns", "sh", "-c", "readlink /proc/self; readlink /proc/1/ns/pid; "
              "readlink /proc/self/ns/pid")
    self_pid, ns1, ns_self = r.stdout.split()
    assert int(self_pid) < 100, "/proc shows host PIDs"
    assert ns1 == ns_self


# --------------------------------------------------------------------------
# Reaper
# --------------------------------------------------------------------------

SID_SCRIPT = 'echo "$$ $(ps -o sid= -p $$)"'


def _pid_sid(r):
    pid, sid = r.stdout.split()
    return int(pid), int(sid)


@pytest.mark.parametrize("args", [["--pidns"], ["--pidns", "--reaper=auto"],
                                  ["--pidns", "--reaper=true"]])
def test_reaper_on_runs_command_in_new_session(args):
    require_tool("ps")
    pid, sid = _pid_sid(rk_ok(*args, "sh", "-c", SID_SCRIPT))
    assert sid == pid, "with the reaper the command is started with setsid"


def test_reaper_off_with_pidns_keeps_callers_session():
    require_tool("ps")
    pid, sid = _pid_sid(rk_ok("--pidns", "--reaper=false", "sh", "-c", SID_SCRIPT))
    # the session leader lives outside the PID namespace: shown as 0
    assert sid == 0 and pid != sid


@pytest.mark.parametrize("args", [[], ["--reaper=auto"], ["--reaper=false"]])
def test_no_pidns_keeps_callers_session(args):
    require_tool("ps")
    pid, sid = _pid_sid(rk_ok(*args, "sh", "-c", SID_SCRIPT))
    assert sid == os.getsid(0), "without the reaper no setsid (#557)"


ORPHAN_SCRIPT = ("(sleep 0.2 &) ; sleep 1; for f in /proc/[0-9]*/stat; do cat $f; echo; done "
                 "2>/dev/null")


def _zombies(r):
    table = _proc_table(r.stdout)
    return {p: v for p, v in table.items() if v[1] == "Z"}


@pytest.mark.parametrize("args", [["--pidns"], ["--pidns", "--reaper=true"]])
def test_reaper_reaps_orphans(args):
    r = rk_ok(*args, "sh", "-c", ORPHAN_SCRIPT)
    assert _zombies(r) == {}, f"orphan left as zombie with the reaper:\n{r.stdout}"


def test_no_reaper_leaves_orphans_unreaped():
    # SPEC §5.1: --reaper=false is allowed with --pidns; orphans then stay zombies
    r = rk_ok("--pidns", "--reaper=false", "sh", "-c", ORPHAN_SCRIPT)
    z = _zombies(r)
    assert any(v[0] == "sleep" and v[2] == 1 for v in z.values()), r.stdout


# --------------------------------------------------------------------------
# --evacuate-cgroup2
# --------------------------------------------------------------------------

@pytest.fixture
def sub_cgroup():
    base = Path(require_env("RK_TEST_CGROUP2"))
    cg = base / f"evac-{uuid.uuid4().hex[:10]}"
    cg.mkdir()
    yield cg
    for d in sorted(cg.rglob("*"), key=lambda p: -len(p.parts)):
        if d.is_dir():
            try:
                d.rmdir()
            except OSError:
                pass
    cg.rmdir()


def test_evacuate_cgroup2(sub_cgroup):
    name = "evacuated"
    script = ('echo $$ > "$1/cgroup.procs" && exec "$2" --pidns --cgroupns '
              '--evacuate-cgroup2="$3" cat /proc/self/cgroup')
    r = run(["sh", "-c", script, "sh", sub_cgroup, RK_BIN, name])
    assert r.returncode == 0, str(r)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("0::")]
    assert lines == [f"0::/{name}"], str(r)
    assert (sub_cgroup / name).is_dir()
    # every process that was in the sub-cgroup was moved (it is empty now and was left empty)
    assert (sub_cgroup / "cgroup.procs").read_text() == ""


def test_evacuate_cgroup2_leaves_callers_cgroup_alone(sub_cgroup):
    # pytest itself is not in sub_cgroup and must not be moved
    before = open("/proc/self/cgroup").read()
    script = 'echo $$ > "$1/cgroup.procs" && exec "$2" --pidns --cgroupns --evacuate-cgroup2=x true'
    r = run(["sh", "-c", script, "sh", sub_cgroup, RK_BIN])
    assert r.returncode == 0, str(r)
    assert open("/proc/self/cgroup").read() == before


# --------------------------------------------------------------------------
# Terminal
# --------------------------------------------------------------------------

def script_run(cmd):
    """Run a shell command line on a new pseudo-terminal with script(1)."""
    require_tool("script")
    return run(["script", "-qec", cmd, "/dev/null"], env=env_with(SHELL="/bin/sh"))


@pytest.mark.parametrize("args", ["--reaper=false", "", "--pidns --reaper=false"])
def test_tty_kept_without_reaper(args):
    r = script_run(f"{RK_BIN} {args} sh -c tty")
    assert r.returncode == 0, str(r)
    assert "cannot set terminal process group" not in r.stdout
    assert re.fullmatch(r"/dev/pts/\d+\r?\n", r.stdout), str(r)


@pytest.mark.parametrize("args", ["--reaper=false", "", "--pidns --reaper=false"])
def test_controlling_tty_and_job_control_without_reaper(args):
    # an interactive shell can take the terminal's foreground process group;
    # opening /dev/tty works only with a controlling terminal
    require_tool("bash")
    r = script_run(f"{RK_BIN} {args} bash --norc -ic 'exec 3</dev/tty && echo ctty-ok'")
    assert r.returncode == 0, str(r)
    assert "cannot set terminal process group" not in r.stdout, str(r)
    assert "no job control" not in r.stdout, str(r)
    assert "ctty-ok" in r.stdout, str(r)


def test_reaper_detaches_from_controlling_tty():
    # SPEC §5.1: with the reaper, setsid: no controlling terminal
    r = script_run(f"{RK_BIN} --pidns sh -c "
                   "'if (exec 3</dev/tty) 2>/dev/null; then echo ctty-ok; else echo no-ctty; fi'")
    assert r.returncode == 0, str(r)
    assert "no-ctty" in r.stdout and "ctty-ok" not in r.stdout, str(r)


# --------------------------------------------------------------------------
# stdio, cwd
# --------------------------------------------------------------------------

@pytest.mark.parametrize("args", [[], ["--pidns"]])
def test_stdin_passthrough(args):
    data = "hello\nworld\n" * 1000
    r = rk_ok(*args, "cat", input=data)
    assert r.stdout == data


def test_stdout_stderr_separate():
    r = rk_ok("sh", "-c", "echo out; echo err >&2")
    assert r.stdout == "out\n"
    assert "err\n" in r.stderr and "out" not in r.stderr


def test_stdin_eof_propagates():
    r = rk_ok("sh", "-c", "cat >/dev/null; echo eof-seen", input="")
    assert r.stdout == "eof-seen\n"


def test_cwd_unchanged(tmp_path):
    r = rk_ok("pwd", cwd=tmp_path)
    assert r.stdout == f"{tmp_path}\n"


def test_path_lookup_of_command(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    prog = bindir / "rk-test-prog"
    prog.write_text("#!/bin/sh\necho found\n")
    prog.chmod(0o755)
    r = rk_ok("rk-test-prog", env=env_with(PATH=f"{bindir}:{os.environ['PATH']}"))
    assert r.stdout == "found\n"
