"""systemd socket activation (SPEC §5.7): with systemd-socket-activate passing
1-3 listening sockets (Unix and loopback TCP) to rootlesskit, the command gets
the same sockets at fds 3.. in the same order, LISTEN_FDS and LISTEN_FDNAMES
unchanged, LISTEN_PID equal to the command's own PID (also with --pidns), and no
other fds; a LISTEN_PID that was not rootlesskit's is left alone.

systemd-socket-activate (without --accept) waits for the first connection on
any socket before it execs the program, so each test connects once.
"""

import os
import re
import shutil
import socket
import tempfile

import pytest

from conftest import RK_BIN, require_tool, wait_until

# Inside the command: the variables, the shell's fd table (listed by a child
# process writing straight to stdout -- no pipeline, whose pipe the shell would
# briefly hold itself), and the address each fd 3.. is bound to.
SCRIPT = r"""
echo "vars ${LISTEN_FDS-unset} ${LISTEN_PID-unset} $$ ${LISTEN_FDNAMES-unset}"
ls -l /proc/$$/fd
python3 -c '
import os, socket
for fd in range(3, 3 + int(os.environ.get("LISTEN_FDS", "0"))):
    try:
        s = socket.socket(fileno=fd)
        print("addr", fd, s.getsockname())
        s.detach()
    except OSError as e:
        print("addr", fd, "error", e)
'
"""


@pytest.fixture
def sockdir():
    # short path: AF_UNIX paths are limited to 108 bytes
    d = tempfile.mkdtemp(prefix="rk-sa-", dir="/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def free_loopback_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def activate(bg, listen, args, *, fdnames=None, wrapper=None):
    """Start systemd-socket-activate on the `listen` addresses running
    rootlesskit; trigger it with one connection to the first address."""
    require_tool("systemd-socket-activate")
    require_tool("python3")
    cmd = ["systemd-socket-activate"]
    for a in listen:
        cmd += ["-l", a]
    if fdnames:
        cmd += [f"--fdname={fdnames}"]
    rk = [RK_BIN, *args, "sh", "-c", SCRIPT]
    cmd += (wrapper + rk) if wrapper else rk
    p = bg(cmd)
    wait_until(lambda: p.stderr().count("Listening on") == len(listen) or p.p.poll() is not None,
               20, what="systemd-socket-activate to listen")
    assert p.p.poll() is None, p.describe()
    first = listen[0]
    if first.startswith("/"):
        c = socket.socket(socket.AF_UNIX)
        c.connect(first)
    else:
        host, port = first.rsplit(":", 1)
        c = socket.create_connection((host, int(port)), timeout=10)
    try:
        r = p.result()
    finally:
        c.close()
    assert r.returncode == 0, str(r)
    return parse(r.stdout)


def parse(out):
    vars_line = re.search(r"^vars (\S+) (\S+) (\S+) (\S+)$", out, re.M)
    assert vars_line, out
    fds = {int(m.group(1)): m.group(2)
           for m in re.finditer(r"^l\S+ .* (\d+) -> (.*)$", out, re.M)}
    addrs = {int(m.group(1)): m.group(2) for m in re.finditer(r"^addr (\d+) (.*)$", out, re.M)}
    listen_fds, listen_pid, pid, names = vars_line.groups()
    return {"LISTEN_FDS": listen_fds, "LISTEN_PID": listen_pid, "pid": pid,
            "LISTEN_FDNAMES": names, "fds": fds, "addrs": addrs, "out": out}


@pytest.mark.not_in_ref("1.1.0 passes a wrong LISTEN_PID and loses fd 3")
@pytest.mark.parametrize("mode", [[], ["--pidns"], ["--pidns", "--reaper=false"]],
                         ids=["plain", "pidns", "pidns-no-reaper"])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_unix_sockets_passed(n, mode, sockdir, bg):
    paths = [os.path.join(sockdir, f"s{i}") for i in range(n)]
    res = activate(bg, paths, mode)
    assert res["LISTEN_FDS"] == str(n), res["out"]
    assert res["LISTEN_PID"] == res["pid"], "LISTEN_PID must be the command's PID\n" + res["out"]
    assert res["LISTEN_FDNAMES"] == "unset", res["out"]
    assert sorted(res["fds"]) == list(range(3 + n)), "only stdio and the sockets\n" + res["out"]
    for i in range(n):
        assert res["fds"][3 + i].startswith("socket:["), res["out"]
        assert res["addrs"][3 + i] == paths[i], f"fd {3 + i} is not {paths[i]}\n{res['out']}"


@pytest.mark.not_in_ref("1.1.0 passes a wrong LISTEN_PID and loses fd 3")
def test_tcp_loopback_sockets_passed(bg):
    ports = [free_loopback_port(), free_loopback_port()]
    res = activate(bg, [f"127.0.0.1:{p}" for p in ports], [])
    assert res["LISTEN_FDS"] == "2"
    assert res["LISTEN_PID"] == res["pid"], res["out"]
    assert sorted(res["fds"]) == [0, 1, 2, 3, 4], res["out"]
    for i, port in enumerate(ports):
        assert res["addrs"][3 + i] == str(("127.0.0.1", port)), res["out"]


@pytest.mark.not_in_ref("1.1.0 passes a wrong LISTEN_PID and loses fd 3")
def test_fdnames_untouched(sockdir, bg):
    paths = [os.path.join(sockdir, "a"), os.path.join(sockdir, "b")]
    res = activate(bg, paths, [], fdnames="first:second")
    assert res["LISTEN_FDNAMES"] == "first:second", res["out"]
    assert res["LISTEN_FDS"] == "2"
    assert res["LISTEN_PID"] == res["pid"]


@pytest.mark.not_in_ref("1.1.0 loses fd 3")
def test_foreign_listen_pid_left_alone(sockdir, bg):
    # LISTEN_PID that is not rootlesskit's PID: passed on unchanged; the fds
    # still go to the command (LISTEN_PID and LISTEN_FDS both parse)
    paths = [os.path.join(sockdir, "s0")]
    res = activate(bg, paths, [], wrapper=["env", "LISTEN_PID=1"])
    assert res["LISTEN_PID"] == "1", res["out"]
    assert res["LISTEN_FDS"] == "1"
    assert sorted(res["fds"]) == [0, 1, 2, 3], res["out"]
