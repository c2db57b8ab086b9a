"""The builtin port driver (SPEC 8.2, 9): the listener and target rules of every port-spec
shape, TCP and UDP data paths (many clients, 1,000 simultaneous connections, half-close and
reset propagation, a target without a listener, fd exhaustion), source-IP propagation,
adding and removing ports at run time, and -p at start-up.

A Python server (portutil.SERVER) is rootlesskit's command, inside its network namespace
(--net=none unless said otherwise); clients run here, on the bed's loopback and addresses.
The REST API itself is tested in test_api.py.
"""

import os
import random
import re
import selectors
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import (RK_BIN, TIMEOUT, assert_nothing_left, assert_single_error, rk, rk_ok,
                      require_tool)
from portutil import (SERVER, fd_inventory, free_port, listening, poll, port_bindable, probe,
                      recv_line, rk_runs, settled_inventory, spec_dict, tcp_ask, tcp_connect,
                      udp_ask)

pytestmark = pytest.mark.not_in_ref("builtin port driver of this implementation")

GO_CTL = "/usr/bin/rootlessctl"


@pytest.fixture
def start_rk(bg, tmp_path):
    """start_rk(...) -> a ready PortRk (portutil.rk_runs); all stopped at teardown."""
    yield from rk_runs(bg, tmp_path)


@pytest.fixture(autouse=True)
def _tools():
    for t in ("python3", "nsenter", "prlimit"):
        require_tool(t)


def unpriv_start():
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
        return int(f.read())


# --------------------------------------------------------------------------
# 1. the port-spec matrix: proto x parent IP x child IP
# --------------------------------------------------------------------------

PROTOS = ["tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"]
PARENT_IPS = ["127.0.0.1", "0.0.0.0", "", "::1", "::"]
CHILD_IPS = ["", "127.0.0.1", "::1"]


def matrix_expectation(proto, pip, cip):
    """(error text, None) or (None, {host client address: expected WHO answer or None for
    refused})."""
    suffix = proto[3:]
    v6 = ":" in pip
    if (suffix == "4" and v6) or (suffix == "6" and pip and not v6):
        return f"listen {proto}: address {pip}: no suitable address found", None
    if suffix == "4":
        reach = {"127.0.0.1"}
    elif suffix == "6":
        reach = {"::1"}
    elif pip in ("", "0.0.0.0", "::"):
        reach = {"127.0.0.1", "::1"}              # dual-stack (SPEC 8.2.2)
    else:
        reach = {"::1"} if v6 else {"127.0.0.1"}
    # SPEC 8.2.3: child IP, else the parent IP unless empty/0.0.0.0; "::" dials ::1
    target = cip or ("127.0.0.1" if pip in ("", "0.0.0.0") else pip)
    if target == "::":
        target = "::1"
    who = f"{target} 80"
    return None, {h: (who if h in reach else None) for h in ("127.0.0.1", "::1")}


@pytest.mark.parametrize("cip", CHILD_IPS, ids=lambda c: "child=" + (c or "none"))
@pytest.mark.parametrize("pip", PARENT_IPS, ids=lambda p: "parent=" + (p or "empty"))
@pytest.mark.parametrize("proto", PROTOS)
def test_matrix(proto, pip, cip, start_rk):
    r = start_rk()
    port = free_port()
    spec = spec_dict(proto, pip, port, 80, cip)
    err, expect = matrix_expectation(proto, pip, cip)
    if err:
        resp = r.api.add(spec, status=400)
        assert resp.message() == err
        assert r.api.ports() is None
        for h in ("127.0.0.1", "::1"):
            assert probe(proto, h, port)[0] == "refused", f"{h}: a listener was left"
        return
    st = r.api.add(spec).json()
    assert st == {"id": 1, "spec": spec}
    assert r.api.ports() == [st]
    got = {h: probe(proto, h, port) for h in expect}
    want = {h: ("ok", w) if w else ("refused", None) for h, w in expect.items()}
    assert got == want
    r.api.remove(1)
    for h in expect:
        assert probe(proto, h, port)[0] == "refused", f"{h}: still answering after removal"
    r.stop()


# --------------------------------------------------------------------------
# SPEC 8.2.3's named cases, through the Go rootlessctl's spec strings
# --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,answers", [
    ("[::]:{p}:[::1]:80/tcp6", {"::1": "::1 80", "127.0.0.1": None}),                # v6->v6
    ("[::]:{p}:[127.0.0.1]:80/tcp", {"::1": "127.0.0.1 80", "127.0.0.1": "127.0.0.1 80"}),
    ("0.0.0.0:{p}:[::1]:80/tcp4", {"127.0.0.1": "::1 80", "::1": None}),             # v4->v6
    ("0.0.0.0:{p}:80/tcp", {"127.0.0.1": "127.0.0.1 80", "::1": "127.0.0.1 80"}),
    ("0.0.0.0:{p}:80/tcp4", {"127.0.0.1": "127.0.0.1 80", "::1": None}),
    ("[::]:{p}:80/tcp6", {"::1": "::1 80", "127.0.0.1": None}),
    ("127.0.0.2:{p}:80/tcp", {"127.0.0.2": "127.0.0.2 80", "127.0.0.1": None}),
    ("127.0.0.2:{p}:80/udp", {"127.0.0.2": "127.0.0.2 80", "127.0.0.1": None}),
], ids=["v6-v6", "v6-v4", "v4-v6", "tcp-any", "tcp4-any", "tcp6-any", "127.0.0.2-tcp",
        "127.0.0.2-udp"])
def test_spec_8_2_3(fmt, answers, start_rk):
    r = start_rk()
    port = free_port()
    spec = fmt.format(p=port)
    c = subprocess.run([GO_CTL, "--socket", str(r.api.path), "add-ports", spec],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert (c.returncode, c.stdout, c.stderr) == (0, "1\n", ""), c
    proto = spec.rsplit("/", 1)[1]
    for host, want in answers.items():
        got = probe(proto, host, port)
        assert got == (("ok", want) if want else ("refused", None)), f"{spec} via {host}"


def test_tcp4_and_tcp6_coexist(start_rk):
    """`0.0.0.0:P/tcp4` and `[::]:P/tcp6` at the same time, to different targets."""
    r = start_rk()
    port = free_port()
    r.api.add(spec_dict("tcp4", "0.0.0.0", port, 80))
    r.api.add(spec_dict("tcp6", "::", port, 80, "::1"))
    assert tcp_ask("127.0.0.1", port, "WHO") == "127.0.0.1 80"
    assert tcp_ask("::1", port, "WHO") == "::1 80"


def host_gateway_ip():
    """Upstream's HostGatewayIP: the first IPv4 address of a non-loopback interface."""
    out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True,
                         timeout=TIMEOUT).stdout
    for ln in out.splitlines():
        f = ln.split()
        if f[1] != "lo":
            return f[3].split("/")[0]
    return None


def test_parent_ip_host_gateway_targets_loopback(netbed, start_rk):
    """ParentIP equal to HostGatewayIP without ChildIP dials 127.0.0.1 (SPEC 8.2.3)."""
    gw = host_gateway_ip()
    assert gw, "no non-loopback IPv4 address in the bed"
    r = start_rk()
    port = free_port()
    r.api.add(spec_dict("tcp", gw, port, 80))
    assert tcp_ask(gw, port, "WHO") == "127.0.0.1 80"


# --------------------------------------------------------------------------
# add errors (API) and -p errors (start-up)
# --------------------------------------------------------------------------

class Holder:
    """Keeps a host socket bound for the duration of a test."""

    def __init__(self):
        self.socks = []

    def hold(self, host, port, typ=socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, typ)
        s.bind((host, port))
        if typ == socket.SOCK_STREAM:
            s.listen(1)
        self.socks.append(s)

    def close(self):
        for s in self.socks:
            s.close()


@pytest.fixture
def holder():
    h = Holder()
    yield h
    h.close()


def priv_msg(proto, addr, port):
    s = unpriv_start()
    return (f"cannot expose privileged port {port}, you can add "
            f"'net.ipv4.ip_unprivileged_port_start={port}' to /etc/sysctl.conf (currently {s})"
            f", or set CAP_NET_BIND_SERVICE on rootlesskit binary, or choose a larger port "
            f"number (>= {s}): listen {proto} {addr}: bind: permission denied")


# (name, specs to publish first, failing spec, expected message); {p} = a free port
ADD_ERRORS = [
    ("tcp4-v6", [], ("tcp4", "::1", "{p}", 80, ""),
     "listen tcp4: address ::1: no suitable address found"),
    ("udp4-v6-any", [], ("udp4", "::", "{p}", 80, ""),
     "listen udp4: address ::: no suitable address found"),
    ("tcp6-v4", [], ("tcp6", "127.0.0.1", "{p}", 80, ""),
     "listen tcp6: address 127.0.0.1: no suitable address found"),
    ("conflict", [("tcp", "127.0.0.1", "{p}", 80, "")], ("tcp", "127.0.0.1", "{p}", 81, ""),
     "conflict with ID 1"),
    ("bind-in-use-tcp", "hold-tcp", ("tcp", "127.0.0.1", "{p}", 80, ""),
     "listen tcp 127.0.0.1:{p}: bind: address already in use"),
    ("bind-in-use-udp", "hold-udp", ("udp", "127.0.0.1", "{p}", 80, ""),
     "listen udp 127.0.0.1:{p}: bind: address already in use"),
    ("bind-in-use-dual", [("tcp4", "", "{p}", 80, "")], ("tcp", "", "{p}", 80, ""),
     "listen tcp :{p}: bind: address already in use"),
    ("privileged", [], ("tcp", "127.0.0.1", 80, 80, ""),
     "PRIV tcp 127.0.0.1:80 80"),
    ("privileged-udp6", [], ("udp6", "::1", 53, 53, ""),
     "PRIV udp6 [::1]:53 53"),
    ("sctp", [], ("sctp", "127.0.0.1", "{p}", 80, ""), "unsupported port protocol sctp"),
]


def _fill(t, port):
    return tuple(port if x == "{p}" else x for x in t)


def _msg(m, port):
    if m.startswith("PRIV "):
        _, proto, addr, p = m.split()
        return priv_msg(proto, addr, int(p))
    return m.format(p=port)


def _hold_for(first, holder, port):
    if first == "hold-tcp":
        holder.hold("127.0.0.1", port)
        return []
    if first == "hold-udp":
        holder.hold("127.0.0.1", port, socket.SOCK_DGRAM)
        return []
    return first


@pytest.mark.parametrize("name,first,bad,msg", ADD_ERRORS, ids=[e[0] for e in ADD_ERRORS])
def test_add_error(name, first, bad, msg, start_rk, holder):
    r = start_rk()
    port = free_port()
    first = _hold_for(first, holder, port)
    for f in first:
        r.api.add(spec_dict(*_fill(f, port)))
    before = r.api.ports()
    resp = r.api.add(spec_dict(*_fill(bad, port)), status=400)
    assert resp.message() == _msg(msg, port)
    assert r.api.ports() == before
    assert r.alive()


def spec_str(proto, pip, pport, cport, cip):
    b = (lambda ip: f"[{ip}]" if ":" in ip else ip)
    return f"{b(pip)}:{pport}:" + (f"{b(cip)}:" if cip else "") + f"{cport}/{proto}"


@pytest.mark.parametrize("name,first,bad,msg", ADD_ERRORS, ids=[e[0] for e in ADD_ERRORS])
def test_publish_error(name, first, bad, msg, holder, rk_tmpdir, state_dir):
    """A -p that cannot be published is a start-up error with upstream's text; the command
    does not run, nothing is left: no state dir, no listener of an earlier -p."""
    port = free_port()
    first = _hold_for(first, holder, port)
    early = free_port()
    args = []
    for f in first:
        args += ["-p", spec_str(*_fill(f, port))]
    args += ["-p", f"127.0.0.1:{early}:80/tcp"]
    bad = _fill(bad, port)
    args += ["-p", spec_str(*bad)]
    r = rk("--net=none", "--port-driver=builtin", f"--state-dir={state_dir}", *args,
           "echo", "must-not-run")
    text = "{%s %s %d %d %s}" % (bad[0], bad[1], bad[2], bad[3], bad[4])
    assert_single_error(r, f"failed to expose port {text}: {_msg(msg, port)}")
    assert r.error_lines()[0] == (f"[rootlesskit:parent] error: failed to expose port {text}: "
                                  f"{_msg(msg, port)}"), str(r)
    assert_nothing_left(rk_tmpdir, state_dir)
    assert port_bindable(early), "the listener of an earlier -p was left behind"
    if not holder.socks:
        assert port_bindable(port), "a listener was left behind"


def test_publish_error_exact_text(holder, rk_tmpdir, state_dir):
    """The brief's example, byte for byte."""
    port = free_port()
    holder.hold("127.0.0.1", port)
    r = rk("--net=none", "--port-driver=builtin", f"--state-dir={state_dir}",
           "-p", f"127.0.0.1:{port}:80/tcp", "true")
    assert r.returncode == 1, str(r)
    assert (f"[rootlesskit:parent] error: failed to expose port {{tcp 127.0.0.1 {port} 80 }}: "
            f"listen tcp 127.0.0.1:{port}: bind: address already in use\n") in r.stderr, str(r)
    assert_nothing_left(rk_tmpdir, state_dir)


# --------------------------------------------------------------------------
# -p at start-up
# --------------------------------------------------------------------------

def test_publish_listed_before_command(state_dir):
    """Ports of -p are published and listed when the command starts."""
    p1, p2 = free_port(), free_port()
    r = rk_ok("--net=none", "--port-driver=builtin", f"--state-dir={state_dir}",
              "-p", f"127.0.0.1:{p1}:80/tcp", "--publish", f"[::1]:{p2}:[::1]:53/udp6",
              GO_CTL, "list-ports", "--json")
    assert r.stdout == (
        f'{{"id":1,"spec":{{"proto":"tcp","parentIP":"127.0.0.1","parentPort":{p1},'
        f'"childPort":80}}}}\n'
        f'{{"id":2,"spec":{{"proto":"udp6","parentIP":"::1","parentPort":{p2},"childPort":53,'
        f'"childIP":"::1"}}}}\n'), str(r)
    assert port_bindable(p1), "listener left after the run"


@pytest.mark.parametrize("net", ["none", "slirp4netns"])
def test_publish_serves(net, start_rk, netbed):
    port = free_port()
    extra = ["--disable-host-loopback"] if net == "slirp4netns" else []
    r = start_rk(net=net, extra=[*extra, "-p", f"0.0.0.0:{port}:80/tcp",
                                 "-p", f"127.0.0.1:{port}:80/udp"])
    assert tcp_ask("127.0.0.1", port, "hi") == "echo:hi"
    assert tcp_ask("::1", port, "WHO") == "127.0.0.1 80"
    assert udp_ask("127.0.0.1", port, "hu") == "echo:hu"
    live = tcp_connect("127.0.0.1", port)
    live.sendall(b"x\n")
    assert recv_line(live) == "echo:x"
    r.stop()        # with a live connection: rootlesskit still ends, and closes it
    live.settimeout(10)
    try:
        assert live.recv(10) == b""
    except ConnectionResetError:
        pass
    live.close()
    assert not listening(port) and port_bindable(port) and \
        port_bindable(port, typ=socket.SOCK_DGRAM)


def start_detached(bg, tmp_path, net, publish, extra=()):
    """rootlesskit --detach-netns -p ...: the command starts SERVER in the detached netns
    through nsenter. Returns (Bg, state dir) once the server is up."""
    if net == "slirp4netns":
        require_tool("slirp4netns")
    sd = tmp_path / "state"
    args = [RK_BIN, f"--net={net}", "--port-driver=builtin", "--detach-netns",
            f"--state-dir={sd}", *extra]
    for p in publish:
        args += ["-p", p]
    if net == "slirp4netns":
        args.append("--disable-host-loopback")
    b = bg([*args, "sh", "-c",
            'exec nsenter --net="$ROOTLESSKIT_STATE_DIR/netns" python3 -c "$SERVER"'],
           env={**os.environ, "SERVER": SERVER})
    b.wait_stdout("^ready$")
    return b, sd


@pytest.mark.parametrize("net", ["none", "slirp4netns"])
def test_publish_detach_netns(net, bg, tmp_path, netbed):
    """-p with --detach-netns: the target is in the detached netns, where the command starts
    its server through nsenter."""
    port = free_port()
    b, sd = start_detached(bg, tmp_path, net, [f"127.0.0.1:{port}:80/tcp",
                                               f"127.0.0.1:{port}:80/udp"])
    assert tcp_ask("127.0.0.1", port, "WHO") == "127.0.0.1 80"
    assert udp_ask("127.0.0.1", port, "x") == "echo:x"
    b.signal(signal.SIGTERM)
    b.wait()
    assert not sd.exists()


# --------------------------------------------------------------------------
# 2. UDP: several clients at once
# --------------------------------------------------------------------------

def test_udp_many_clients(start_rk):
    r = start_rk()
    port = free_port()
    r.api.add(spec_dict("udp", "", port, 80))
    clients = []
    for i in range(24):
        host = "127.0.0.1" if i % 2 == 0 else "::1"
        s = socket.socket(socket.AF_INET6 if host == "::1" else socket.AF_INET,
                          socket.SOCK_DGRAM)
        s.connect((host, port))
        s.settimeout(2)
        clients.append(s)
    try:
        # every client's flow is distinct in the child (its own socket there)
        peers = []
        for s in clients:
            s.send(b"PEER")
        for s in clients:
            peers.append(s.recv(100).decode())
        assert len(set(peers)) == len(clients), peers
        for rnd in range(10):
            for i, s in enumerate(clients):
                s.send(f"c{i}-r{rnd}".encode())
            for i, s in enumerate(clients):
                want = f"echo:c{i}-r{rnd}".encode()
                for attempt in range(5):
                    try:
                        got = s.recv(100)
                        break
                    except socket.timeout:
                        s.send(f"c{i}-r{rnd}".encode())   # a lost datagram: once more
                else:
                    pytest.fail(f"client {i}: no reply in round {rnd}")
                assert got == want, f"client {i} got another client's reply"
        # a large datagram both ways
        big = bytes(random.getrandbits(8) for _ in range(60000))
        clients[0].send(big)
        assert clients[0].recv(65536) == b"echo:" + big
    finally:
        for s in clients:
            s.close()


def test_udp_target_without_listener(start_rk):
    """Datagrams to a child port nobody listens on are dropped (no error to the client, the
    port stays); once a server appears the same flow works."""
    r = start_rk()
    port, ctl = free_port(), free_port()
    r.api.add(spec_dict("udp", "127.0.0.1", port, 81))
    r.api.add(spec_dict("tcp", "127.0.0.1", ctl, 80))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("127.0.0.1", port))
        s.settimeout(1)
        s.send(b"lost")
        with pytest.raises(socket.timeout):
            s.recv(100)
        assert tcp_ask("127.0.0.1", ctl, "LISTEN udp 127.0.0.1 81") == "ok"

        def answer():
            s.send(b"found")
            try:
                return s.recv(100)
            except socket.timeout:
                return None
        assert poll(answer, 15) == b"echo:found"


# --------------------------------------------------------------------------
# 3. 1,000 simultaneous TCP connections
# --------------------------------------------------------------------------

def many_connections(host, port, payloads, deadline_s=90):
    """Open a connection per payload at once, send its line on each, read every answer.
    Return {index: answer line} for those answered; the sockets are closed."""
    n = len(payloads)
    sel = selectors.DefaultSelector()
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    conns = {}
    try:
        for i in range(n):
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((host, port))
            conns[i] = {"s": s, "out": payloads[i].encode() + b"\n", "in": b""}
            sel.register(s, selectors.EVENT_WRITE, i)
        done = {}
        deadline = time.monotonic() + deadline_s
        while len(done) < n and time.monotonic() < deadline:
            for key, ev in sel.select(timeout=1):
                i = key.data
                c = conns[i]
                s = c["s"]
                if ev & selectors.EVENT_WRITE:
                    try:
                        k = s.send(c["out"])
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError as e:
                        done[i] = f"error {e!r}"
                        sel.unregister(s)
                        continue
                    c["out"] = c["out"][k:]
                    if not c["out"]:
                        sel.modify(s, selectors.EVENT_READ, i)
                    continue
                try:
                    b = s.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError as e:
                    done[i] = f"error {e!r}"
                    sel.unregister(s)
                    continue
                c["in"] += b
                if not b or c["in"].endswith(b"\n"):
                    done[i] = c["in"].decode(errors="replace").rstrip("\n") if b else \
                        "eof " + c["in"].decode(errors="replace")
                    sel.unregister(s)
        return done
    finally:
        for c in conns.values():
            c["s"].close()
        sel.close()


def test_1000_connections(start_rk):
    r = start_rk()
    port = free_port()
    r.api.add(spec_dict("tcp", "127.0.0.1", port, 80))
    assert tcp_ask("127.0.0.1", port, "first") == "echo:first"
    before, _, _ = settled_inventory(r.pid)
    n = 1000
    payloads = [f"conn-{i}-{random.getrandbits(64):x}" for i in range(n)]
    done = many_connections("127.0.0.1", port, payloads)
    expect = {i: "echo:" + payloads[i] for i in range(n)}
    bad = {i: done.get(i, "no answer") for i in range(n) if done.get(i) != expect[i]}
    assert not bad, f"{len(bad)} of {n} connections not answered right, e.g. " \
                    f"{list(bad.items())[:5]}"
    # everything those connections held is given back; the pools stay bounded
    ok = poll(lambda: fd_inventory(r.pid)[0] == before, 15)
    after, pool, pipes = fd_inventory(r.pid)
    assert ok, f"parent fds before: {before}\nafter closing {n} connections: {after}"
    assert pool <= POOL_SOCKETS_MAX and pipes <= PIPE_FDS_MAX, (pool, pipes)
    assert tcp_ask("127.0.0.1", port, "again") == "echo:again"


# --------------------------------------------------------------------------
# 4. source IP
# --------------------------------------------------------------------------

def test_source_ip_transparent(netbed, start_rk):
    """A client on a non-loopback address is seen by the server with its own address and
    port; the first connections (which wait for the child's routing set-up) too."""
    r = start_rk()
    port = free_port()
    r.api.add(spec_dict("tcp", "0.0.0.0", port, 80))
    # 10 connections at once as the very first ones
    socks = []
    try:
        for _ in range(10):
            s = tcp_connect(netbed.addr4, port, source=(netbed.addr4, 0))
            s.sendall(b"PEER\n")
            socks.append(s)
        for s in socks:
            want = f"{netbed.addr4} {s.getsockname()[1]}"
            assert recv_line(s) == want
    finally:
        for s in socks:
            s.close()
    # a loopback client is not transparent: the server sees 127.0.0.1
    assert tcp_ask("127.0.0.1", port, "PEER").split()[0] == "127.0.0.1"
    # and a later non-loopback one still is
    with tcp_connect(netbed.addr4, port, source=(netbed.addr4, 0)) as s:
        s.sendall(b"PEER\n")
        assert recv_line(s) == f"{netbed.addr4} {s.getsockname()[1]}"
    assert "falling back" not in r.b.stderr(), r.b.describe()


def test_source_ip_transparent_ipv6(netbed, start_rk):
    if not netbed.addr6:
        pytest.fail("the bed has no IPv6 address")
    r = start_rk()
    port = free_port()
    r.api.add(spec_dict("tcp", "::", port, 80, "::1"))
    with tcp_connect(netbed.addr6, port, source=(netbed.addr6, 0)) as s:
        s.sendall(b"PEER\n")
        assert recv_line(s) == f"{netbed.addr6} {s.getsockname()[1]}"


def test_source_ip_transparent_detach_netns(netbed, bg, tmp_path):
    """With --detach-netns the routing set-up runs in the detached netns."""
    port = free_port()
    b, sd = start_detached(bg, tmp_path, "none", [f"0.0.0.0:{port}:80/tcp"])
    with tcp_connect(netbed.addr4, port, source=(netbed.addr4, 0)) as s:
        s.sendall(b"PEER\n")
        assert recv_line(s) == f"{netbed.addr4} {s.getsockname()[1]}"
    assert "falling back" not in b.stderr(), b.describe()
    b.signal(signal.SIGTERM)
    b.wait()


def test_source_ip_transparent_false(netbed, start_rk):
    r = start_rk(extra=["--source-ip-transparent=false"])
    port = free_port()
    r.api.add(spec_dict("tcp", "0.0.0.0", port, 80))
    got = tcp_ask(netbed.addr4, port, "PEER", source=(netbed.addr4, 0))
    assert got.split()[0] == "127.0.0.1"


def test_source_ip_not_for_udp(netbed, start_rk):
    """UDP is never transparent (SPEC 8.2.5, #592)."""
    r = start_rk()
    port = free_port()
    r.api.add(spec_dict("udp", "0.0.0.0", port, 80))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((netbed.addr4, 0))
        s.settimeout(5)
        s.connect((netbed.addr4, port))
        s.send(b"PEER")
        assert s.recv(100).decode().split()[0] == "127.0.0.1"


# --------------------------------------------------------------------------
# 5. add and remove at run time
# --------------------------------------------------------------------------

def ctl(api, *args):
    c = subprocess.run([GO_CTL, "--socket", str(api.path), *args], capture_output=True,
                       text=True, timeout=TIMEOUT)
    return c


def exercise(port, udp_port):
    """Some sequential TCP and UDP exchanges and a few concurrent ones."""
    for i in range(5):
        assert tcp_ask("127.0.0.1", port, f"x{i}") == f"echo:x{i}"
        assert udp_ask("127.0.0.1", udp_port, f"u{i}") == f"echo:u{i}"
    socks = [tcp_connect("127.0.0.1", port) for _ in range(8)]
    for i, s in enumerate(socks):
        s.sendall(f"p{i}\n".encode())
    for i, s in enumerate(socks):
        assert recv_line(s) == f"echo:p{i}"
        s.close()


def fd_snapshot(r, pid=None):
    return sorted(re.sub(r"\[\d+\]", "[]", t) for t in r.fd_targets(pid))


# The parent's pools are bounded: at most 32 ready sockets per kind (4 kinds) and 64 idle
# pipes (port/sockpool.c, port/pipepool.c); generous bounds that still catch a leak per
# connection.
POOL_SOCKETS_MAX = 4 * 32
PIPE_FDS_MAX = 2 * 64


@pytest.mark.parametrize("via", ["rootlessctl", "http"])
def test_add_remove_at_run_time(via, start_rk):
    r = start_rk()
    port, uport = free_port(), free_port()
    specs = [f"127.0.0.1:{port}:80/tcp", f"127.0.0.1:{uport}:80/udp"]

    def add():
        if via == "rootlessctl":
            c = ctl(r.api, "add-ports", *specs)
            assert c.returncode == 0 and c.stderr == "", c
            return [int(x) for x in c.stdout.split()]
        return [r.api.add_ok(proto="tcp", parentIP="127.0.0.1", parentPort=port,
                             childPort=80),
                r.api.add_ok(proto="udp", parentIP="127.0.0.1", parentPort=uport,
                             childPort=80)]

    def remove(ids):
        if via == "rootlessctl":
            c = ctl(r.api, "remove-ports", *map(str, ids))
            assert (c.returncode, c.stdout, c.stderr) == (0, "".join(f"{i}\n" for i in ids),
                                                          ""), c
        else:
            for i in ids:
                assert r.api.remove(i).body == b""

    # warm up the parent's pools (child sockets, pipes) with the same traffic
    ids = add()
    exercise(port, uport)
    remove(ids)
    assert poll(lambda: not listening(port), 5)
    base, _, _ = settled_inventory(r.pid)
    child_base = fd_snapshot(r, r.child_pid)
    # the measured round
    ids = add()
    assert ids == [3, 4]
    exercise(port, uport)
    live = tcp_connect("127.0.0.1", port)
    live.sendall(b"WATCH\n")
    assert recv_line(live) == "watching"
    remove(ids)
    # the port stops answering at once
    with pytest.raises(ConnectionRefusedError):
        tcp_connect("127.0.0.1", port, timeout=5)
    with pytest.raises(ConnectionRefusedError):
        udp_ask("127.0.0.1", uport, "gone")
    # its live connection is closed (client side and server side)
    live.settimeout(5)
    try:
        assert live.recv(100) == b""
    except ConnectionResetError:
        pass
    live.close()
    r.b.wait_stdout(r"^watch (eof|reset) \d+$", 10)
    assert r.api.ports() is None
    # and the parent holds nothing more than before (but its pools)
    ok = poll(lambda: fd_inventory(r.pid)[0] == base, 10)
    after, pool, pipes = fd_inventory(r.pid)
    assert ok, f"parent fds before: {base}\nafter: {after}"
    assert pool <= POOL_SOCKETS_MAX and pipes <= PIPE_FDS_MAX, (pool, pipes)
    # nor does the child, which made the sockets and passed them on (#156)
    assert poll(lambda: fd_snapshot(r, r.child_pid) == child_base, 10), \
        f"child fds before: {child_base}\nafter: {fd_snapshot(r, r.child_pid)}"


def test_remove_many_live_connections(start_rk):
    """Removal closes every live connection of the port, others stay."""
    r = start_rk()
    p1, p2 = free_port(), free_port()
    id1 = r.api.add_ok(proto="tcp", parentIP="127.0.0.1", parentPort=p1, childPort=80)
    r.api.add_ok(proto="tcp", parentIP="127.0.0.1", parentPort=p2, childPort=80)
    gone = [tcp_connect("127.0.0.1", p1) for _ in range(50)]
    kept = [tcp_connect("127.0.0.1", p2) for _ in range(5)]
    for s in gone + kept:
        s.sendall(b"hello\n")
        assert recv_line(s) == "echo:hello"
    r.api.remove(id1)
    for s in gone:
        s.settimeout(5)
        try:
            assert s.recv(10) == b""
        except ConnectionResetError:
            pass
        s.close()
    for s in kept:
        s.sendall(b"still\n")
        assert recv_line(s) == "echo:still"
        s.close()


# --------------------------------------------------------------------------
# 6. half-close and reset propagation
# --------------------------------------------------------------------------

def test_half_close(start_rk):
    """The client shuts down writing: the server sees EOF and its answer still arrives,
    then EOF."""
    r = start_rk()
    port = free_port()
    r.api.add(spec_dict("tcp", "127.0.0.1", port, 80))
    with tcp_connect("127.0.0.1", port) as s:
        s.sendall(b"HALF\n")
        s.shutdown(socket.SHUT_WR)
        assert recv_line(s) == "got-eof"
        assert s.recv(10) == b""


def test_half_close_by_server(start_rk):
    """The server shuts down writing first: the client sees EOF and can still send."""
    r = start_rk()
    port = free_port()
    r.api.add(spec_dict("tcp", "127.0.0.1", port, 80))
    with tcp_connect("127.0.0.1", port) as s:
        s.sendall(b"SHUTWR\n")
        assert recv_line(s) == "bye"
        assert s.recv(10) == b""
        s.sendall(b"after-eof\n")
        r.b.wait_stdout(r"^late after-eof$", 10)
        s.shutdown(socket.SHUT_WR)
        r.b.wait_stdout(r"^late-eof$", 10)


def test_big_transfer_both_ways(start_rk):
    """16 MiB through the splice path in each direction at once, byte-exact, then
    half-close: the echo of everything arrives before EOF."""
    r = start_rk()
    port = free_port()
    r.api.add(spec_dict("tcp", "", port, 80))
    data = random.randbytes(16 << 20) if hasattr(random, "randbytes") else os.urandom(16 << 20)
    with tcp_connect("::1", port, timeout=30) as s:
        s.sendall(b"RAW\n")
        assert recv_line(s) == "raw"
        got = bytearray()

        def reader():
            while True:
                b = s.recv(1 << 20)
                if not b:
                    return
                got.extend(b)
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        t.join(60)
        assert not t.is_alive(), "no EOF after the echo"
    assert len(got) == len(data) and bytes(got) == data


def test_server_reset_reaches_client(start_rk):
    """The server closes with SO_LINGER 0: builtin_tcp.c promises the client a reset."""
    r = start_rk()
    port = free_port()
    r.api.add(spec_dict("tcp", "127.0.0.1", port, 80))
    with tcp_connect("127.0.0.1", port) as s:
        s.sendall(b"RST\n")
        s.settimeout(10)
        try:
            b = s.recv(10)
        except ConnectionResetError:
            b = "reset"
        assert b == "reset", f"the client saw {b!r} instead of a reset"


def test_client_reset_reaches_server(start_rk):
    r = start_rk()
    port = free_port()
    r.api.add(spec_dict("tcp", "127.0.0.1", port, 80))
    s = tcp_connect("127.0.0.1", port)
    s.sendall(b"WATCH\n")
    assert recv_line(s) == "watching"
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    m = r.b.wait_stdout(r"^watch (eof|reset) \d+$", 10)
    assert m.group(1) == "reset", r.b.describe()


def test_client_eof_reaches_server(start_rk):
    r = start_rk()
    port = free_port()
    r.api.add(spec_dict("tcp", "127.0.0.1", port, 80))
    s = tcp_connect("127.0.0.1", port)
    s.sendall(b"WATCH\n")
    assert recv_line(s) == "watching"
    s.close()
    m = r.b.wait_stdout(r"^watch (eof|reset) \d+$", 10)
    assert m.group(1) == "eof", r.b.describe()


# --------------------------------------------------------------------------
# 7. a target without a listener
# --------------------------------------------------------------------------

def test_no_child_listener(start_rk):
    """Nothing listens on the target: the client's connection is accepted, then closed: EOF
    (SPEC 8.2.4). The port keeps working and serves once a server appears."""
    r = start_rk()
    port, ctl_port = free_port(), free_port()
    r.api.add(spec_dict("tcp", "127.0.0.1", port, 81))
    r.api.add(spec_dict("tcp", "127.0.0.1", ctl_port, 80))
    for _ in range(3):
        with tcp_connect("127.0.0.1", port) as s:     # accepted ...
            s.settimeout(10)
            assert s.recv(10) == b""                  # ... then closed: EOF, not a reset
    # a client that sent bytes the parent never read may see a reset instead (the kernel
    # resets a socket closed with unread data), but never a hang
    with tcp_connect("127.0.0.1", port) as s:
        s.sendall(b"anyone?\n")
        s.settimeout(10)
        try:
            assert s.recv(10) == b""
        except ConnectionResetError:
            pass
    assert tcp_ask("127.0.0.1", ctl_port, "LISTEN tcp 127.0.0.1 81") == "ok"
    assert tcp_ask("127.0.0.1", port, "found") == "echo:found"
    assert [p["id"] for p in r.api.ports()] == [1, 2]


def test_privileged_hint_depends_on_argv0(tmp_path, start_rk):
    """The CAP_NET_BIND_SERVICE part of the hint only when argv[0]'s basename is rootlesskit
    (SPEC 8.2.2)."""
    link = tmp_path / "rk-under-another-name"
    link.symlink_to(RK_BIN)
    r = rk("--net=none", "--port-driver=builtin", "-p", "127.0.0.1:80:80/tcp", "true")
    assert ", or set CAP_NET_BIND_SERVICE on rootlesskit binary, " in r.stderr, str(r)
    p = subprocess.run([str(link), "--net=none", "--port-driver=builtin",
                        "-p", "127.0.0.1:80:80/tcp", "true"], capture_output=True, text=True,
                       timeout=TIMEOUT)
    s = unpriv_start()
    assert p.returncode == 1, p
    assert (f"failed to expose port {{tcp 127.0.0.1 80 80 }}: cannot expose privileged port "
            f"80, you can add 'net.ipv4.ip_unprivileged_port_start=80' to /etc/sysctl.conf "
            f"(currently {s}), or choose a larger port number (>= {s}): listen tcp "
            f"127.0.0.1:80: bind: permission denied\n") in p.stderr, p


# --------------------------------------------------------------------------
# 8. fd exhaustion
# --------------------------------------------------------------------------

def test_emfile_listener_survives(start_rk):
    """Under a low fd limit, more simultaneous connections than the parent can hold: it must
    neither spin nor drop its listener, and the port answers again once they are closed."""
    limit = 200
    port = free_port()
    r = start_rk(prefix=["prlimit", f"--nofile={limit}:{limit}"],
                 extra=["-p", f"127.0.0.1:{port}:80/tcp"])
    with open(f"/proc/{r.pid}/limits") as f:
        assert re.search(rf"Max open files\s+{limit}\s+{limit}\s", f.read())
    assert tcp_ask("127.0.0.1", port, "warm") == "echo:warm"
    n = 400
    socks = []
    try:
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect(("127.0.0.1", port))      # completes in the kernel's backlog
            s.sendall(f"c{i}\n".encode())
            socks.append(s)
        # saturated: the parent's fd table is (nearly) full
        assert poll(lambda: len(r.fds()) >= limit - 20, 15), \
            f"not saturated: the parent has {len(r.fds())} fds"
        t0, c0 = time.monotonic(), r.cpu_ticks()
        time.sleep(3)
        t1, c1 = time.monotonic(), r.cpu_ticks()
        hz = os.sysconf("SC_CLK_TCK")
        cpu = (c1 - c0) / hz
        assert cpu < 0.3 * (t1 - t0), f"the parent spins: {cpu:.2f} s CPU in {t1 - t0:.2f} s"
        assert r.alive()
    finally:
        for s in socks:
            s.close()
    # after the flood the API and the port answer again
    assert poll(lambda: api_answers(r), 20), "the API does not answer after the flood"
    assert r.api.ports()[0]["spec"]["parentPort"] == port
    assert poll(lambda: port_answers(port), 20), "the port does not answer after the flood"
    assert r.alive()
    for i in range(40):
        assert tcp_ask("127.0.0.1", port, f"again{i}") == f"echo:again{i}"


def api_answers(r):
    try:
        return r.api.request("GET", "/v1/ports").status == 200
    except OSError:
        return False


def port_answers(port, what="back"):
    try:
        return tcp_ask("127.0.0.1", port, what, timeout=5) == "echo:" + what
    except OSError:
        return False


def fill_fds_with_api_connections(r, target):
    """Open idle API connections until the parent holds `target` fds; return them."""
    conns = []
    wait_stable_fds(r)
    for _ in range(target - len(r.fds())):
        conns.append(r.api.connect())
    assert poll(lambda: len(r.fds()) == target, 10), \
        f"the parent has {len(r.fds())} fds, not {target}"
    return conns


def wait_stable_fds(r, quiet=0.5, timeout=10):
    """Wait until the parent's fd count has not changed for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last, since = len(r.fds()), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        n = len(r.fds())
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return n
    return last


def test_emfile_accept_resumes(start_rk):
    """An accept that fails with EMFILE pauses the listener; it must resume once fds are
    free again (here the fds are taken by idle API connections, so no socket passing is
    involved)."""
    limit = 100
    port = free_port()
    r = start_rk(prefix=["prlimit", f"--nofile={limit}:{limit}"],
                 extra=["-p", f"127.0.0.1:{port}:80/tcp"])
    assert tcp_ask("127.0.0.1", port, "warm") == "echo:warm"
    conns = fill_fds_with_api_connections(r, limit)
    try:
        late = tcp_connect("127.0.0.1", port)   # in the backlog: accept4 gets EMFILE
        late.sendall(b"late\n")
        time.sleep(0.5)
    finally:
        for c in conns:
            c.close()
    try:
        got = recv_line(late, timeout=15)
    except socket.timeout:
        got = None
    finally:
        late.close()
    assert got == "echo:late", "the listener did not resume accepting after EMFILE"
    assert port_answers(port)


def test_emfile_while_receiving_a_socket(start_rk):
    """The parent's fd table is full when the child's sockets (refilling the pool for new
    UDP flows) arrive, so they cannot be received (MSG_CTRUNC). Those sockets are lost, not
    the channel to the child: once fds are free again, TCP connections and UDP flows keep
    working well past the pool's stock. (UDP: no accept is involved, whose own EMFILE
    handling test_emfile_accept_resumes covers.)"""
    limit = 100
    port, uport = free_port(), free_port()
    r = start_rk(prefix=["prlimit", f"--nofile={limit}:{limit}"],
                 extra=["-p", f"127.0.0.1:{port}:80/tcp", "-p", f"127.0.0.1:{uport}:80/udp"])
    assert tcp_ask("127.0.0.1", port, "warm") == "echo:warm"
    assert udp_ask("127.0.0.1", uport, "warm") == "echo:warm"
    conns = fill_fds_with_api_connections(r, limit - 1)
    clients = []
    try:
        for i in range(24):     # new flows: more than the pool's stock of UDP sockets
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.connect(("127.0.0.1", uport))
            u.send(b"flood")
            clients.append(u)
        time.sleep(1)
    finally:
        for k in conns + clients:
            k.close()
    assert poll(lambda: api_answers(r), 10)
    for i in range(40):     # more than the pool holds (16)
        assert port_answers(port, f"n{i}"), f"TCP connection {i} after the exhaustion hangs"

    def udp_answers(i):
        for _ in range(3):
            try:
                return udp_ask("127.0.0.1", uport, f"u{i}", timeout=3) == f"echo:u{i}"
            except OSError:
                pass
        return False
    for i in range(8):      # new flows (each holds an fd for 90 s: not too many)
        assert udp_answers(i), f"new UDP flow {i} after the exhaustion gets no answer"
