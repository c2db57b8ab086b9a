"""Helpers for the port driver and REST API tests (test_ports.py, test_api.py).

Traffic goes only to loopback (127.0.0.0/8, ::1), to the bed's own addresses
and into the network namespaces rootlesskit makes for a test.

* SERVER: the command run inside rootlesskit's network namespace: TCP and UDP
  servers on the endpoints given as arguments (default: 127.0.0.1:80,
  [::1]:80 (v6only) and 127.0.0.2:80, TCP and UDP), with a line protocol that
  lets a test ask who answered, who connected, and provoke half-closes and resets.
* Api: a raw HTTP/1.1 client for STATE_DIR/api.sock.
* start_rk(): rootlesskit with the builtin port driver running SERVER.
"""

import json
import os
import re
import signal
import socket
import textwrap
import time

from conftest import RK_BIN, TIMEOUT, wait_child_pid, wait_until
from netutil import family_of, free_port, recv_line, tcp_connect  # noqa: F401 (re-exported)

# --------------------------------------------------------------------------
# the server inside the namespace
# --------------------------------------------------------------------------

# `python3 -c SERVER [proto:host:port ...]` (host may be an IPv6 literal without brackets).
# TCP: lines in, lines out:
#   WHO              -> "<local ip> <local port>"     (which listener/target answered)
#   PEER             -> "<peer ip> <peer port>"       (whom the server sees)
#   HALF             -> nothing now; "got-eof" once the client's EOF arrives, then close
#   RST              -> close at once with SO_LINGER 0 (a reset)
#   WATCH            -> "watching"; prints "watch eof|reset <peer port>" on stdout when
#                       the connection ends
#   LISTEN p h port  -> "ok" after opening a new listener (p: tcp|udp)
#   RAW              -> "raw", then echo every byte verbatim until EOF (then close)
#   SHUTWR           -> "bye", then shutdown(SHUT_WR); later lines are printed on stdout
#                       as "late <line>", EOF as "late-eof"
#   anything else    -> "echo:<line>"
# UDP: WHO / PEER as above, anything else "echo:<datagram>", sent back to the sender.
# Prints "ready" when every listener is up.
SERVER = textwrap.dedent(r"""
    import os, resource, selectors, socket, struct, sys
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()

    def say(msg):
        sys.stdout.write(msg + "\n")
        sys.stdout.flush()

    def listen(proto, host, port):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, int(port)))
        if proto == "tcp":
            s.listen(4096)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, ("accept" if proto == "tcp" else "udp", s))

    class Conn:
        def __init__(self, s, peer):
            self.s, self.peer = s, peer
            self.local = s.getsockname()
            self.buf = b""
            self.out = b""
            self.half = self.watch = self.raw = self.closing = self.shut = False
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, ("conn", self))

        def send(self, data):
            self.out += data
            self.flush()

        def flush(self):
            try:
                while self.out:
                    n = self.s.send(self.out)
                    self.out = self.out[n:]
            except BlockingIOError:
                pass
            except OSError:
                self.close()
                return
            if self.s.fileno() < 0:
                return
            if not self.out and self.closing:
                self.close()
                return
            sel.modify(self.s, selectors.EVENT_READ | (selectors.EVENT_WRITE if self.out else 0),
                       ("conn", self))

        def close(self, reset=False):
            if self.s.fileno() < 0:
                return
            if reset:
                self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sel.unregister(self.s)
            self.s.close()

        def line(self, ln):
            w = ln.split()
            if ln == "WHO":
                self.send(("%s %d\n" % self.local[:2]).encode())
            elif ln == "PEER":
                self.send(("%s %d\n" % self.peer[:2]).encode())
            elif ln == "HALF":
                self.half = True
            elif ln == "RST":
                self.close(reset=True)
            elif ln == "WATCH":
                self.watch = True
                self.send(b"watching\n")
            elif w and w[0] == "LISTEN":
                listen(w[1], w[2], w[3])
                self.send(b"ok\n")
            elif ln == "RAW":
                self.raw = True
                self.send(b"raw\n")
            elif ln == "SHUTWR":
                self.send(b"bye\n")
                self.s.shutdown(socket.SHUT_WR)
                self.shut = True
            elif self.shut:
                say("late " + ln)
            else:
                self.send(b"echo:" + ln.encode() + b"\n")

        def readable(self):
            try:
                data = self.s.recv(1 << 16)
            except BlockingIOError:
                return
            except ConnectionResetError:
                if self.watch:
                    say("watch reset %d" % self.peer[1])
                self.close()
                return
            if not data:
                if self.watch:
                    say("watch eof %d" % self.peer[1])
                if self.shut:
                    say("late-eof")
                if self.half:
                    self.closing = True
                    self.send(b"got-eof\n")
                elif self.raw:
                    self.closing = True
                    self.flush()
                else:
                    self.close()
                return
            if self.raw:
                self.send(data)
                return
            self.buf += data
            while b"\n" in self.buf and self.s.fileno() >= 0 and not self.raw:
                ln, self.buf = self.buf.split(b"\n", 1)
                self.line(ln.decode(errors="replace").strip())
            if self.raw and self.buf and self.s.fileno() >= 0:
                data, self.buf = self.buf, b""
                self.send(data)

    eps = sys.argv[1:] or ["tcp:127.0.0.1:80", "tcp:::1:80", "tcp:127.0.0.2:80",
                           "udp:127.0.0.1:80", "udp:::1:80", "udp:127.0.0.2:80"]
    for ep in eps:
        proto, rest = ep.split(":", 1)
        host, port = rest.rsplit(":", 1)
        listen(proto, host, port)
    say("ready")
    while True:
        for key, ev in sel.select():
            kind, obj = key.data
            if kind == "accept":
                try:
                    c, peer = obj.accept()
                except (BlockingIOError, ConnectionAbortedError):
                    continue
                except OSError as e:
                    say("accept error %s" % e)
                    continue
                Conn(c, peer)
            elif kind == "udp":
                try:
                    data, peer = obj.recvfrom(65536)
                except OSError:
                    continue
                if data == b"WHO":
                    rep = ("%s %d" % obj.getsockname()[:2]).encode()
                elif data == b"PEER":
                    rep = ("%s %d" % peer[:2]).encode()
                else:
                    rep = b"echo:" + data
                try:
                    obj.sendto(rep, peer)
                except OSError:
                    pass
            else:
                if ev & selectors.EVENT_WRITE:
                    obj.flush()
                if ev & selectors.EVENT_READ and obj.s.fileno() >= 0:
                    obj.readable()
""").strip()


# --------------------------------------------------------------------------
# host-side clients (loopback and the bed's addresses only)
# --------------------------------------------------------------------------

def tcp_ask(host, port, line, timeout=10, source=None):
    """Connect, send `line`, return the answer line."""
    with tcp_connect(host, port, timeout, source) as s:
        s.sendall(line.encode() + b"\n")
        return recv_line(s, timeout)


def udp_ask(host, port, data, timeout=5):
    """Send one datagram from a connected UDP socket; return the reply (str).
    Raises ConnectionRefusedError when nothing listens (ICMP port unreachable)."""
    with socket.socket(family_of(host), socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        s.send(data.encode())
        return s.recv(65536).decode()


def probe(proto, host, port, what="WHO", timeout=5):
    """("ok", reply) or ("refused", None) or ("error", repr) for one exchange."""
    try:
        if proto.startswith("tcp"):
            r = tcp_ask(host, port, what, timeout)
        else:
            r = udp_ask(host, port, what, timeout)
        return ("ok", r)
    except ConnectionRefusedError:
        return ("refused", None)
    except OSError as e:
        return ("error", repr(e))


def listening(port, host="127.0.0.1"):
    """True when something on the host accepts TCP connections on host:port."""
    try:
        with tcp_connect(host, port, timeout=2):
            return True
    except OSError:
        return False


def port_bindable(port, host="127.0.0.1", typ=socket.SOCK_STREAM):
    """True when no socket holds host:port (SO_REUSEADDR: connections in TIME_WAIT do not
    count, only listeners and bound sockets)."""
    s = socket.socket(family_of(host), typ)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


# --------------------------------------------------------------------------
# the REST API over the unix socket
# --------------------------------------------------------------------------

class Resp:
    def __init__(self, version, status, reason, headers, body):
        self.version, self.status, self.reason = version, status, reason
        self.headers = headers              # list of (name, value) as sent
        self.body = body                    # bytes

    def header(self, name):
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        return vals[0] if vals else None

    def json(self):
        return json.loads(self.body)

    def message(self):
        """The `message` of an error body (which must be `{"message":...}` + newline)."""
        assert self.body.endswith(b"\n"), self
        return json.loads(self.body)["message"]

    def __repr__(self):
        return (f"<{self.version} {self.status} {self.reason} headers={self.headers!r} "
                f"body={self.body!r}>")


class Reader:
    """Reads HTTP responses off a socket, one after the other (pipelining)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        b = self.sock.recv(65536)
        if not b:
            raise EOFError("connection closed by the server")
        self.buf += b

    def read(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"^(HTTP/1\.[01]) (\d{3}) ?(.*)$", lines[0])
        assert m, f"bad status line {lines[0]!r}"
        headers = []
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            headers.append((k, v.strip()))
        r = Resp(m.group(1), int(m.group(2)), m.group(3), headers, b"")
        te = r.header("Transfer-Encoding")
        if te and te.lower() == "chunked":
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    self._fill()
                ln, self.buf = self.buf.split(b"\r\n", 1)
                n = int(ln.split(b";")[0], 16)
                while len(self.buf) < n + 2:
                    self._fill()
                body += self.buf[:n]
                self.buf = self.buf[n + 2:]
                if n == 0:
                    break
            r.body = body
            return r
        n = int(r.header("Content-Length") or 0)
        while len(self.buf) < n:
            self._fill()
        r.body, self.buf = self.buf[:n], self.buf[n:]
        return r

    def at_eof(self, timeout=5):
        """True when the server closed the connection (after what was buffered)."""
        self.sock.settimeout(timeout)
        try:
            b = self.sock.recv(65536)
        except ConnectionResetError:
            return True
        self.buf += b
        return b == b""


def http_request(method, target, body=None, headers=(), keep_alive=False):
    """The bytes of a request (Host: rootlesskit, like the Go client)."""
    if isinstance(body, str):
        body = body.encode()
    lines = [f"{method} {target} HTTP/1.1", "Host: rootlesskit"]
    lines += list(headers)
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


class Api:
    def __init__(self, path):
        self.path = str(path)

    def connect(self, timeout=10):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.path)
        return s

    def raw(self, data, timeout=10):
        """Send raw bytes on a new connection, half-close, return every response read
        until the server closes (list of Resp)."""
        with self.connect(timeout) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            rd = Reader(s)
            out = []
            while True:
                try:
                    out.append(rd.read())
                except EOFError:
                    assert rd.buf == b"", f"trailing bytes {rd.buf!r}"
                    return out

    def request(self, method, target, body=None, headers=()):
        with self.connect() as s:
            s.sendall(http_request(method, target, body, headers))
            return Reader(s).read()

    def info(self):
        r = self.request("GET", "/v1/info")
        assert r.status == 200, r
        return r.json()

    def ports(self):
        r = self.request("GET", "/v1/ports")
        assert r.status == 200, r
        return r.json()

    def add(self, spec, status=201):
        """POST a PortSpec (dict or str); return the Resp, asserting its status."""
        body = spec if isinstance(spec, (str, bytes)) else json.dumps(spec)
        r = self.request("POST", "/v1/ports", body)
        assert r.status == status, r
        return r

    def add_ok(self, **spec):
        return self.add(spec).json()["id"]

    def remove(self, pid, status=200):
        r = self.request("DELETE", f"/v1/ports/{pid}")
        assert r.status == status, r
        return r


def spec_dict(proto, parent_ip, parent_port, child_port, child_ip=""):
    d = {"proto": proto}
    if parent_ip:
        d["parentIP"] = parent_ip
    d["parentPort"] = parent_port
    d["childPort"] = child_port
    if child_ip:
        d["childIP"] = child_ip
    return d


# --------------------------------------------------------------------------
# rootlesskit with the builtin port driver and SERVER as its command
# --------------------------------------------------------------------------

class PortRk:
    def __init__(self, b, state_dir):
        self.b = b
        self.state_dir = state_dir
        self.pid = b.pid                # the parent (prlimit execs it)
        self.child_pid = None
        self.api = Api(state_dir / "api.sock")

    def wait_ready(self, timeout=TIMEOUT):
        self.child_pid = wait_child_pid(self.state_dir, timeout)
        self.b.wait_stdout(r"^ready$", timeout)
        return self

    def alive(self):
        return self.b.p.poll() is None

    def fds(self, pid=None):
        return sorted(os.listdir(f"/proc/{pid or self.pid}/fd"), key=int)

    def fd_targets(self, pid=None):
        out = []
        for fd in self.fds(pid):
            try:
                out.append(os.readlink(f"/proc/{pid or self.pid}/fd/{fd}"))
            except OSError:
                pass
        return sorted(out)

    def cpu_ticks(self):
        with open(f"/proc/{self.pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[11]) + int(rest[12])    # utime + stime

    def stop(self):
        if self.b.p.poll() is None:
            self.b.signal(signal.SIGTERM)
            self.b.wait()
        wait_until(lambda: not (self.state_dir / "api.sock").exists(), 5,
                   what="api.sock to go")


_libc = None
SYS_pidfd_getfd = 438   # the same number on every architecture


def _getfd(pidfd, fd):
    global _libc
    import ctypes
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    r = _libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def fd_inventory(pid):
    """What process `pid` (a descendant of ours) holds, as a sorted list of descriptions,
    with pool sockets counted apart: (descriptions, number of pool sockets, pipe fds).
    A pool socket is an IPv4/IPv6 socket never bound nor connected (the builtin driver's
    stock of child-netns sockets, whose level varies by design); pipes are counted apart
    too (the pipe pool's level depends on timing). Every other fd is described by its
    target, and sockets by family, type, local address (when bound), peer, listening."""
    out, pool, pipes = [], 0, 0
    pidfd = os.pidfd_open(pid)
    try:
        for name in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{name}")
            except OSError:
                continue
            if target.startswith("pipe:"):
                pipes += 1
                continue
            if not target.startswith("socket:"):
                out.append(re.sub(r"\[\d+\]", "[]", target))
                continue
            try:
                dup = _getfd(pidfd, int(name))
            except OSError:
                continue                        # closed meanwhile
            s = socket.socket(fileno=dup)
            try:
                fam = s.family
                if fam in (socket.AF_INET, socket.AF_INET6):
                    local = s.getsockname()
                    try:
                        peer = s.getpeername()
                    except OSError:
                        peer = None
                    listening = s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
                    if local[1] == 0 and peer is None and not listening:
                        pool += 1
                        continue
                    out.append(f"inet {fam.name} {s.type.name} local={local[:2]} "
                               f"peer={peer[:2] if peer else None} listen={listening}")
                else:
                    listening = s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
                    out.append(f"socket {fam.name} {s.type.name} listen={listening}")
            finally:
                s.close()
    finally:
        os.close(pidfd)
    return sorted(out), pool, pipes


def settled_inventory(pid, timeout=10):
    """fd_inventory() once no connection is open any more (no inet socket with a peer, no
    API connection): the parent closes its side of a finished connection a moment after
    the client saw the end."""
    deadline = time.monotonic() + timeout
    while True:
        inv = fd_inventory(pid)
        busy = [d for d in inv[0] if "peer=(" in d or
                (d.startswith("socket AF_UNIX SOCK_STREAM") and d.endswith("listen=0"))]
        if not busy or time.monotonic() >= deadline:
            return inv
        time.sleep(0.05)


def rk_args(state_dir, *, net="none", extra=(), server_args=(), port_driver="builtin",
            rk_bin=None):
    return [rk_bin or RK_BIN, f"--net={net}", f"--port-driver={port_driver}", f"--state-dir={state_dir}",
            *extra, "python3", "-c", SERVER, *server_args]


def rk_runs(bg, tmp_path):
    """Body of the test modules' `start_rk` fixture (`yield from rk_runs(bg, tmp_path)`):
    start_rk(extra=..., server_args=..., net=..., prefix=...) -> PortRk, ready; every
    instance is stopped (SIGTERM) at teardown."""
    runs = []

    def start(*, extra=(), server_args=(), net="none", prefix=(), state_dir=None, env=None,
              rk_bin=None):
        sd = state_dir or tmp_path / f"state{len(runs)}"
        b = bg([*prefix, *rk_args(sd, net=net, extra=extra, server_args=server_args,
                                  rk_bin=rk_bin)], env=env)
        r = PortRk(b, sd)
        runs.append(r)
        return r.wait_ready()
    yield start
    for r in runs:
        if r.b.p.poll() is None:
            r.b.signal(signal.SIGTERM)
            try:
                r.b.p.wait(timeout=TIMEOUT)
            except Exception:
                pass


def go_rootlessctl():
    from conftest import require_tool
    return require_tool("rootlessctl")


def poll(pred, timeout, interval=0.05):
    """pred() until truthy (returned) or timeout (returns the last value)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)
