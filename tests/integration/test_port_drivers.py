# SPDX-License-Identifier: Apache-2.0
"""The port drivers other than builtin (SPEC 8.1, 8.3, 2.2): slirp4netns through its API
socket, implicit with pasta, socat (deprecated); and what the API says for each.

Run as the unprivileged test user in the private test bed; clients connect to 127.0.0.1 of
the bed, servers run inside rootlesskit's namespace (portutil.SERVER).
"""

import os
import socket
import subprocess

import pytest

from conftest import require_tool, rk
from portutil import (free_port, go_rootlessctl, poll, port_bindable, rk_runs, spec_dict,
                      tcp_ask, udp_ask)


@pytest.fixture
def start_rk(bg, tmp_path):
    yield from rk_runs(bg, tmp_path)


def _answers(port, proto="tcp"):
    try:
        if proto == "tcp":
            return tcp_ask("127.0.0.1", port, "hello", timeout=3) == "echo:hello"
        return udp_ask("127.0.0.1", port, "hello", timeout=2) == "echo:hello"
    except OSError:
        return False


def _udp_taken(port):
    """Whether some socket holds UDP 127.0.0.1:port (a bind without SO_REUSEADDR fails)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


# --------------------------------------------------------------------------
# slirp4netns
# --------------------------------------------------------------------------

def test_slirp4netns_add_use_list_remove(start_rk):
    require_tool("slirp4netns")
    p1, p2 = free_port(), free_port()
    rk = start_rk(net="slirp4netns",
                  extra=["--disable-host-loopback", "--port-driver=slirp4netns",
                         "-p", f"127.0.0.1:{p1}:80/tcp"],
                  server_args=["tcp:0.0.0.0:80", "udp:0.0.0.0:80"])
    api = rk.api
    info = api.info()
    assert info["portDriver"] == {"driver": "slirp4netns", "protos": ["tcp", "tcp4", "udp", "udp4"],
                                  "disallowLoopbackChildIP": True}
    assert info["networkDriver"]["childIP"] == "10.0.2.100"
    assert poll(lambda: _answers(p1), 10)
    # slirp4netns' IDs; the listed spec is the one posted (no childIP filled in)
    r = api.add(spec_dict("udp", "127.0.0.1", p2, 80)).json()
    assert r["spec"] == {"proto": "udp", "parentIP": "127.0.0.1", "parentPort": p2, "childPort": 80}
    # slirp4netns listens on the host (with --disable-host-loopback the child's UDP replies do
    # not come back, with the Go original alike: see the next test; only the listener here)
    assert poll(lambda: _udp_taken(p2), 10)
    ids = [e["id"] for e in api.ports()]
    assert ids == sorted(ids) and r["id"] in ids and len(ids) == 2
    api.remove(r["id"])
    assert [e["id"] for e in api.ports()] == [i for i in ids if i != r["id"]]
    assert poll(lambda: not _udp_taken(p2), 10)


def test_slirp4netns_udp_answers_without_disable_host_loopback(start_rk):
    """UDP through slirp4netns' forwarding answers when slirp4netns runs without
    --disable-host-loopback. With it, slirp4netns 1.2.0 (libslirp 4.7) drops the child's replies
    (the child sends them to 10.0.2.2, the address that option closes), for the Go original
    alike: found by bench/ports.sh, whose slirp4netns driver rows therefore run without it."""
    require_tool("slirp4netns")
    p = free_port()
    rk = start_rk(net="slirp4netns",
                  extra=["--port-driver=slirp4netns", "-p", f"127.0.0.1:{p}:80/udp"],
                  server_args=["udp:0.0.0.0:80"])
    assert poll(lambda: _answers(p, "udp"), 10)
    rk.stop()


@pytest.mark.parametrize("spec,msg", [
    (spec_dict("tcp6", "::1", 18090, 80), 'unsupported protocol "tcp6"'),
    (spec_dict("tcp", "127.0.0.1", 18090, 80, "::1"), "unsupported IP (v6?): ::1"),
    (spec_dict("sctp", "127.0.0.1", 18090, 80),
     "reply.Error: map[desc:bad request: add_hostfwd: bad arguments.proto]"),
])
def test_slirp4netns_add_errors(spec, msg, start_rk):
    require_tool("slirp4netns")
    rk = start_rk(net="slirp4netns", extra=["--disable-host-loopback", "--port-driver=slirp4netns"])
    r = rk.api.add(spec, status=400)
    assert r.json() == {"message": msg}
    assert rk.api.ports() is None


def test_slirp4netns_remove_unknown_and_conflict(start_rk):
    require_tool("slirp4netns")
    p = free_port()
    rk = start_rk(net="slirp4netns", extra=["--disable-host-loopback", "--port-driver=slirp4netns"])
    r = rk.api.remove(99, status=400)
    assert r.json() == {"message": "reply.Error: map[desc:bad request: remove_hostfwd: bad arguments.id]"}
    pid = rk.api.add(spec_dict("tcp", "127.0.0.1", p, 80)).json()["id"]
    r = rk.api.add(spec_dict("tcp", "127.0.0.1", p, 81), status=400)
    assert r.json() == {"message": f"conflict with ID {pid}"}
    assert len(rk.api.ports()) == 1


def test_slirp4netns_go_rootlessctl(start_rk):
    require_tool("slirp4netns")
    ctl = go_rootlessctl()
    p = free_port()
    rk = start_rk(net="slirp4netns", extra=["--disable-host-loopback", "--port-driver=slirp4netns"],
                  server_args=["tcp:0.0.0.0:80"])
    sock = f"--socket={rk.state_dir}/api.sock"
    out = subprocess.run([ctl, sock, "add-ports", f"127.0.0.1:{p}:80/tcp"], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert poll(lambda: _answers(p), 10)
    pid = out.stdout.strip()
    out = subprocess.run([ctl, sock, "remove-ports", pid], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0 and out.stdout == pid + "\n", out


def test_slirp4netns_driver_needs_slirp4netns_network(rk_tmpdir):
    r = rk("--net=lxc-user-nic", "--port-driver=slirp4netns", "true")
    assert r.returncode == 1
    assert "port driver requires slirp4netns network" in r.stderr


# --------------------------------------------------------------------------
# implicit (pasta)
# --------------------------------------------------------------------------

def test_implicit_routes_400_and_ports_just_work(start_rk, netbed):
    require_tool("pasta")
    p = free_port()
    rk = start_rk(net="pasta", extra=["--port-driver=implicit", "-p", f"127.0.0.1:{p}:{p}/tcp"],
                  server_args=[f"tcp:0.0.0.0:{p}"])
    api = rk.api
    assert "portDriver" not in api.info()
    for method, target, body in (("GET", "/v1/ports", None),
                                 ("POST", "/v1/ports", '{"proto":"tcp","parentPort":1,"childPort":1}'),
                                 ("DELETE", "/v1/ports/1", None)):
        r = api.request(method, target, body)
        assert r.status == 400 and r.json() == {"message": "no PortDriver is available"}, r
    # -p was parsed and ignored: pasta forwards the port bound inside by itself
    assert poll(lambda: _answers(p), 15)


# --------------------------------------------------------------------------
# socat (deprecated)
# --------------------------------------------------------------------------

def test_socat_add_use_remove(start_rk):
    require_tool("socat")
    p1, p2 = free_port(), free_port()
    rk = start_rk(net="slirp4netns",
                  extra=["--disable-host-loopback", "--port-driver=socat",
                         "-p", f"127.0.0.1:{p1}:80/tcp"],
                  server_args=["tcp:127.0.0.1:80", "udp:127.0.0.1:80"])
    api = rk.api
    assert api.info()["portDriver"] == {"driver": "socat", "protos": ["tcp", "tcp4", "udp", "udp4"]}
    assert "socat" in rk.b.stderr() and "is deprecated (upstream removed it" in rk.b.stderr()
    assert poll(lambda: _answers(p1), 15)
    pid = api.add_ok(**spec_dict("udp", "127.0.0.1", p2, 80))
    assert poll(lambda: _answers(p2, "udp"), 15)
    assert [e["id"] for e in api.ports()] == [1, pid]
    api.remove(1)
    assert poll(lambda: port_bindable(p1), 10), "the socat listener is gone after removal"
    # a taken port is an error of the add, not a socat retry loop
    r = api.add(spec_dict("udp", "127.0.0.1", p2, 80), status=400)
    assert r.json() == {"message": f"conflict with ID {pid}"}
    p3 = free_port()
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", p3))
        holder.listen()
        r = api.add(spec_dict("tcp", "127.0.0.1", p3, 80), status=400)
    assert r.json() == {"message": f"listen tcp 127.0.0.1:{p3}: bind: address already in use"}
    r = api.add(spec_dict("tcp6", "::1", p1, 80), status=400)
    assert r.json() == {"message": "unsupported proto: tcp6"}


def test_socat_processes_end_with_rootlesskit(start_rk):
    require_tool("socat")
    p = free_port()
    rk = start_rk(net="slirp4netns",
                  extra=["--disable-host-loopback", "--port-driver=socat", "-p",
                         f"127.0.0.1:{p}:80/tcp"],
                  server_args=["tcp:127.0.0.1:80"])
    assert poll(lambda: _answers(p), 15)
    rk.stop()
    assert poll(lambda: port_bindable(p), 10), "a socat listener outlived rootlesskit"


def _socats_in_netns(netns):
    """PIDs of this user's socat processes in the network namespace @netns (a readlink of
    /proc/PID/ns/net): the per-connection forks of the socat driver run `nsenter ... socat
    STDIN UDP4:...` in the child's namespace."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/comm") as f:
                if f.read().strip() != "socat":
                    continue
            if os.readlink(f"/proc/{d}/ns/net") == netns:
                found.append(int(d))
        except OSError:
            continue
    return found


def test_socat_udp_forks_end_with_removal_and_exit(start_rk):
    """A UDP "connection" of socat (its fork, exec'd into the child's namespace) never ends by
    itself: removing the port and rootlesskit's exit must end it (upstream left it running;
    found by bench/ports.sh)."""
    require_tool("socat")
    p1, p2 = free_port(), free_port()
    rk = start_rk(net="slirp4netns",
                  extra=["--disable-host-loopback", "--port-driver=socat", "-p",
                         f"127.0.0.1:{p1}:80/udp", "-p", f"127.0.0.1:{p2}:81/udp"],
                  server_args=["udp:127.0.0.1:80", "udp:127.0.0.1:81"])
    netns = os.readlink(f"/proc/{rk.child_pid}/ns/net")
    assert poll(lambda: _answers(p1, "udp"), 15)
    assert poll(lambda: _answers(p2, "udp"), 15)
    assert len(poll(lambda: _socats_in_netns(netns), 5)) == 2, "one fork per port's peer"
    ids = [e["id"] for e in rk.api.ports() if e["spec"]["parentPort"] == p1]
    rk.api.remove(ids[0])
    assert poll(lambda: len(_socats_in_netns(netns)) == 1, 10), \
        f"the removed port's fork still runs: {_socats_in_netns(netns)}"
    assert _answers(p2, "udp"), "the other port's fork is untouched"
    rk.stop()
    assert poll(lambda: not _socats_in_netns(netns), 10), \
        f"socat forks outlived rootlesskit: {_socats_in_netns(netns)}"


# --------------------------------------------------------------------------
# builtin: privileged ports with CAP_NET_BIND_SERVICE on the binary (SPEC 8.2.2)
# --------------------------------------------------------------------------

def test_builtin_privileged_port_with_file_capability(start_rk):
    """tests/run.sh makes RK_TEST_CAPBIN: a copy of the binary under test with
    cap_net_bind_service=ep. With it a port below ip_unprivileged_port_start publishes."""
    import os
    from conftest import IN_CI
    capbin = os.environ.get("RK_TEST_CAPBIN")
    if not capbin:
        msg = "RK_TEST_CAPBIN is not set (tests/run.sh sets it)"
        pytest.fail(msg) if IN_CI else pytest.skip(msg)
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
        start = int(f.read())
    assert start > 81, "the test needs port 81 to be privileged"
    rk = start_rk(prefix=[], extra=["-p", "127.0.0.1:81:80/tcp"], rk_bin=capbin)
    assert poll(lambda: _answers(81), 10)
    rk.stop()
