"""The REST API on STATE_DIR/api.sock (SPEC 10.1) and the Debian Go rootlessctl against it
(SPEC 10.2): routes, statuses, bodies and headers, HTTP/1.1 keep-alive, chunked and
pipelined requests, every class of bad request (after each the parent lives and the port
table is unchanged), 1,000 idle connections, api.sock's life cycle, restart after SIGKILL.
"""

import json
import os
import signal
import socket
import stat
import subprocess
import time

import pytest

from conftest import (RK_BIN, TIMEOUT, file_mode, require_tool, rk_ok, wait_child_pid,
                      wait_gone, wait_until)
from portutil import (SERVER, Api, Reader, free_port, http_request, listening, port_bindable,
                      rk_runs, spec_dict, tcp_ask)

pytestmark = pytest.mark.not_in_ref("REST API of this implementation")

GO_CTL = "/usr/bin/rootlessctl"
PROTOS = ["tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"]
TEXT = "text/plain; charset=utf-8"


@pytest.fixture
def start_rk(bg, tmp_path):
    """start_rk(...) -> a ready PortRk (portutil.rk_runs); all stopped at teardown."""
    yield from rk_runs(bg, tmp_path)


@pytest.fixture(autouse=True)
def _tools():
    require_tool("python3")
    if not os.access(GO_CTL, os.X_OK):
        require_tool("rootlessctl")  # fails (CI) or skips with a clear message


def ctl(sock, *args, env=None):
    return subprocess.run([GO_CTL, "--socket", str(sock), *args], capture_output=True,
                          text=True, timeout=TIMEOUT, env=env)


def start_plain(bg, state_dir, *flags, cmd=("sleep", "600")):
    """rootlesskit FLAGS --state-dir=D CMD in the background; waits for api.sock."""
    b = bg([RK_BIN, *flags, f"--state-dir={state_dir}", *cmd])
    pid = wait_child_pid(state_dir)
    wait_until(lambda: (state_dir / "api.sock").exists(), 10, what="api.sock")
    return b, pid, Api(state_dir / "api.sock")


def stop(b):
    if b.p.poll() is None:
        b.signal(signal.SIGTERM)
        b.wait()


# --------------------------------------------------------------------------
# GET /v1/info per driver
# --------------------------------------------------------------------------

BUILTIN_INFO = {"driver": "builtin", "protos": PROTOS}


@pytest.mark.parametrize("flags,net,port", [
    (["--net=none", "--port-driver=builtin"], {"driver": "none"}, BUILTIN_INFO),
    (["--net=slirp4netns", "--disable-host-loopback", "--port-driver=builtin"],
     {"driver": "slirp4netns", "dns": ["10.0.2.3"], "childIP": "10.0.2.100"}, BUILTIN_INFO),
    (["--net=slirp4netns", "--disable-host-loopback", "--port-driver=none"],
     {"driver": "slirp4netns", "dns": ["10.0.2.3"], "childIP": "10.0.2.100"}, None),
    (["--net=none"], {"driver": "none"}, None),
    (["--net=host"], None, None),
    (["--net=pasta", "--disable-host-loopback", "--port-driver=implicit"], "pasta", None),
    (["--net=lxc-user-nic"], "lxc-user-nic", None),
], ids=["none-builtin", "slirp4netns-builtin", "slirp4netns-none", "none-none", "host",
        "pasta-implicit", "lxc-user-nic"])
def test_info(flags, net, port, bg, state_dir, netbed):
    if "--net=lxc-user-nic" in flags:
        flags = flags + [f"--lxc-user-nic-bridge={netbed.bridge}"]
    b, pid, api = start_plain(bg, state_dir, *flags)
    r = api.request("GET", "/v1/info")
    assert r.status == 200 and r.header("Content-Type") == "application/json", r
    info = json.loads(r.body)
    want = {"apiVersion": "1.1.1", "version": "3.0.1", "stateDir": str(state_dir),
            "childPID": pid}
    if isinstance(net, dict):
        want["networkDriver"] = net
    elif net:
        nd = info.get("networkDriver", {})
        assert nd.get("driver") == net, info
        if net == "lxc-user-nic":
            assert nd.get("dynamicChildIP") is True, info
        want["networkDriver"] = nd
    if port:
        want["portDriver"] = port
    assert info == want
    # compact, Go's field order, no trailing newline
    assert r.body == json.dumps(want, separators=(",", ":")).encode()
    if port is None:
        for method, path, body in [("GET", "/v1/ports", None),
                                   ("POST", "/v1/ports", '{"proto":"tcp"'),
                                   ("DELETE", "/v1/ports/1", None),
                                   ("DELETE", "/v1/ports/abc", None)]:
            r = api.request(method, path, body)
            assert (r.status, r.message(), r.header("Content-Type")) == \
                (400, "no PortDriver is available", TEXT), (method, path, r)
        c = ctl(api.path, "list-ports")
        assert (c.returncode, c.stdout, c.stderr) == \
            (1, "", "error: no PortDriver is available\n"), c
    stop(b)


# --------------------------------------------------------------------------
# routes, statuses, bodies
# --------------------------------------------------------------------------

@pytest.fixture
def api_rk(start_rk):
    """rootlesskit --net=none --port-driver=builtin with the test server; its Api."""
    return start_rk()


@pytest.mark.parametrize("method,path", [
    ("GET", "/v1/info/"), ("GET", "/v1/ports/"), ("GET", "/v2/info"), ("GET", "/"),
    ("GET", "/v1"), ("POST", "/v1/ports/1/x"), ("DELETE", "/v1/ports/1/"),
    ("GET", "/v1/info/x"), ("PUT", "/nope"),
])
def test_404(method, path, api_rk):
    r = api_rk.api.request(method, path)
    assert r.status == 404, r
    assert r.header("Content-Type") == TEXT
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert r.body == b"404 page not found\n"


@pytest.mark.parametrize("method,path", [
    ("POST", "/v1/info"), ("DELETE", "/v1/info"), ("PUT", "/v1/ports"),
    ("DELETE", "/v1/ports"), ("PATCH", "/v1/ports"), ("GET", "/v1/ports/1"),
    ("POST", "/v1/ports/1"), ("PUT", "/v1/ports/abc"),
])
def test_405(method, path, api_rk):
    r = api_rk.api.request(method, path, "{}" if method in ("POST", "PUT", "PATCH") else None)
    assert r.status == 405, r
    assert r.body == b"" and r.header("Content-Type") is None, r
    assert r.header("Content-Length") == "0", r


def test_ports_life_cycle(api_rk):
    api = api_rk.api
    r = api.request("GET", "/v1/ports")
    assert (r.status, r.header("Content-Type"), r.body) == (200, "application/json", b"null")
    ports = [free_port() for _ in range(3)]
    posted = [
        {"proto": "tcp", "parentIP": "127.0.0.1", "parentPort": ports[0], "childPort": 80},
        # other key order, an unknown field: answered in Go's order, unknown dropped
        {"childIP": "::1", "childPort": 80, "parentPort": ports[1], "proto": "udp6",
         "parentIP": "::1", "comment": "ignored"},
        {"proto": "tcp4", "parentPort": ports[2], "childPort": 80},
    ]
    canon = [
        f'{{"proto":"tcp","parentIP":"127.0.0.1","parentPort":{ports[0]},"childPort":80}}',
        f'{{"proto":"udp6","parentIP":"::1","parentPort":{ports[1]},"childPort":80,'
        f'"childIP":"::1"}}',
        f'{{"proto":"tcp4","parentPort":{ports[2]},"childPort":80}}',
    ]
    for i, (p, c) in enumerate(zip(posted, canon), 1):
        r = api.request("POST", "/v1/ports", json.dumps(p))
        assert (r.status, r.header("Content-Type")) == (201, "application/json"), r
        assert r.body == f'{{"id":{i},"spec":{c}}}'.encode()
    r = api.request("GET", "/v1/ports")
    assert r.body == ("[" + ",".join(f'{{"id":{i},"spec":{c}}}'
                                     for i, c in enumerate(canon, 1)) + "]").encode()
    r = api.request("DELETE", "/v1/ports/2")
    assert (r.status, r.body, r.header("Content-Type")) == (200, b"", None), r
    # IDs are never reused; the list stays ascending
    r = api.request("POST", "/v1/ports",
                    json.dumps(posted[1]) + ' {"trailing": "ignored, first value only"}')
    assert r.status == 201 and r.json()["id"] == 4, r
    assert [p["id"] for p in api.ports()] == [1, 3, 4]
    assert udp_ok(ports[1])
    assert tcp_ask("127.0.0.1", ports[2], "x") == "echo:x"
    for i in (4, 1, 3):
        assert api.remove(i).body == b""
    assert api.request("GET", "/v1/ports").body == b"null"


def udp_ok(port):
    from portutil import udp_ask
    return udp_ask("::1", port, "u") == "echo:u"


@pytest.mark.parametrize("pid,msg", [
    ("abc", 'bad id abc: strconv.Atoi: parsing "abc": invalid syntax'),
    ("99", "unknown id: 99"),
    ("-1", "unknown id: -1"),
    ("1.0", 'bad id 1.0: strconv.Atoi: parsing "1.0": invalid syntax'),
    ("99999999999999999999", 'bad id 99999999999999999999: strconv.Atoi: parsing '
                             '"99999999999999999999": value out of range'),
])
def test_delete_errors(pid, msg, api_rk):
    r = api_rk.api.request("DELETE", f"/v1/ports/{pid}")
    assert (r.status, r.header("Content-Type")) == (400, TEXT), r
    assert r.body == (json.dumps({"message": msg}, separators=(",", ":")) + "\n").encode()


# --------------------------------------------------------------------------
# HTTP: keep-alive, chunked, pipelined
# --------------------------------------------------------------------------

def test_keep_alive(api_rk):
    api = api_rk.api
    port = free_port()
    with api.connect() as s:
        rd = Reader(s)
        for i in range(3):
            s.sendall(http_request("GET", "/v1/info", keep_alive=True))
            r = rd.read()
            assert r.status == 200 and r.header("Connection") != "close", r
        s.sendall(http_request("POST", "/v1/ports",
                               json.dumps(spec_dict("tcp", "127.0.0.1", port, 80)),
                               keep_alive=True))
        assert rd.read().status == 201
        # an API refusal keeps the connection too
        s.sendall(http_request("DELETE", "/v1/ports/77", keep_alive=True))
        assert rd.read().message() == "unknown id: 77"
        s.sendall(http_request("GET", "/v1/ports", keep_alive=True))
        assert rd.read().json()[0]["id"] == 1
        # Connection: close is honoured
        s.sendall(http_request("GET", "/v1/ports"))
        r = rd.read()
        assert r.status == 200 and r.header("Connection") == "close", r
        assert rd.at_eof()


def test_chunked_body(api_rk):
    port = free_port()
    body = json.dumps(spec_dict("tcp", "127.0.0.1", port, 80)).encode()
    parts = [body[:5], body[5:20], body[20:]]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
    req = (b"POST /v1/ports HTTP/1.1\r\nHost: rootlesskit\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked)
    (r,) = api_rk.api.raw(req)
    assert r.status == 201, r
    assert r.json() == {"id": 1, "spec": spec_dict("tcp", "127.0.0.1", port, 80)}
    assert tcp_ask("127.0.0.1", port, "c") == "echo:c"


def test_pipelined(api_rk):
    port = free_port()
    reqs = (http_request("GET", "/v1/ports", keep_alive=True) +
            http_request("POST", "/v1/ports", json.dumps(spec_dict("tcp", "", port, 80)),
                         keep_alive=True) +
            http_request("GET", "/nowhere", keep_alive=True) +
            http_request("DELETE", "/v1/ports/5", keep_alive=True) +
            http_request("GET", "/v1/ports", keep_alive=True) +
            http_request("DELETE", "/v1/ports/1", keep_alive=True) +
            http_request("GET", "/v1/ports"))
    rs = api_rk.api.raw(reqs)
    assert [r.status for r in rs] == [200, 201, 404, 400, 200, 200, 200]
    assert rs[0].body == b"null"
    assert rs[1].json()["id"] == 1
    assert rs[3].message() == "unknown id: 5"
    assert [p["id"] for p in rs[4].json()] == [1]
    assert rs[6].body == b"null"


def test_expect_continue(api_rk):
    """A client sending `Expect: 100-continue` (curl does for larger bodies) gets the interim
    answer, then its real one."""
    port = free_port()
    body = json.dumps(spec_dict("tcp", "127.0.0.1", port, 80)).encode()
    with api_rk.api.connect() as s:
        s.sendall(b"POST /v1/ports HTTP/1.1\r\nHost: rootlesskit\r\nExpect: 100-continue\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
        rd = Reader(s)
        r = rd.read()
        assert r.status == 100, r
        s.sendall(body)
        r = rd.read()
        assert r.status == 201 and r.json()["id"] == 1, r


def test_http10_and_query(api_rk):
    """HTTP/1.0 is answered as HTTP/1.0 and closed; the query string is ignored."""
    with api_rk.api.connect() as s:
        s.sendall(b"GET /v1/info?verbose=1 HTTP/1.0\r\n\r\n")
        rd = Reader(s)
        r = rd.read()
        assert (r.version, r.status) == ("HTTP/1.0", 200), r
        assert r.json()["apiVersion"] == "1.1.1"
        assert rd.at_eof()
    r = api_rk.api.request("GET", "/v1/ports?x=y")
    assert (r.status, r.body) == (200, b"null"), r


# --------------------------------------------------------------------------
# bad requests: each answered (or dropped), the parent lives, the table is unchanged
# --------------------------------------------------------------------------

def post(body, extra=()):
    if isinstance(body, str):
        body = body.encode()
    return http_request("POST", "/v1/ports", body, headers=extra)


BAD = [
    ("empty-body", post(""), 400, "EOF"),
    ("bad-json", post("{"), 400, "unexpected EOF"),
    ("not-json", post("x"), 400, "invalid character 'x' looking for beginning of value"),
    ("wrong-type", post('{"proto":"tcp","parentPort":"80","childPort":80}'), 400,
     "json: cannot unmarshal string into Go struct field Spec.parentPort of type int"),
    ("wrong-type-proto", post('{"proto":5}'), 400,
     "json: cannot unmarshal number into Go struct field Spec.proto of type string"),
    ("array", post("[1]"), 400,
     "json: cannot unmarshal array into Go value of type port.Spec"),
    ("float-port", post('{"proto":"tcp","parentPort":1.5,"childPort":80}'), 400,
     "json: cannot unmarshal number 1.5 into Go struct field Spec.parentPort of type int"),
    ("port-0", post('{"proto":"tcp","parentPort":0,"childPort":80}'), 400,
     "invalid ParentPort: '\\x00'"),
    ("port-65536", post('{"proto":"tcp","parentPort":65536,"childPort":80}'), 400,
     "invalid ParentPort: '\U00010000'"),
    ("child-port-70000", post('{"proto":"tcp","parentPort":18080,"childPort":70000}'), 400,
     "invalid ChildPort: '\U00011170'"),
    # Go's %q of a negative int is the replacement character (Go 1.19, the reference)
    ("child-port-neg", post('{"proto":"tcp","parentPort":18080,"childPort":-1}'), 400,
     "invalid ChildPort: '\ufffd'"),
    ("no-child-port", post('{"proto":"tcp","parentPort":18080}'), 400,
     "invalid ChildPort: '\\x00'"),
    ("unknown-proto", post('{"proto":"foo","parentPort":18080,"childPort":80}'), 400,
     'unknown proto: "foo"'),
    ("null", post("null"), 400, 'unknown proto: ""'),
    ("bad-parent-ip", post('{"proto":"tcp","parentIP":"1.2.3","parentPort":18080,'
                           '"childPort":80}'), 400, 'invalid ParentIP: "1.2.3"'),
    ("bad-child-ip", post('{"proto":"tcp","childIP":"::g","parentPort":18080,"childPort":80}'),
     400, 'invalid ChildIP: "::g"'),
    ("zone-ip", post('{"proto":"tcp","parentIP":"fe80::1%lo","parentPort":18080,'
                     '"childPort":80}'), 400, 'invalid ParentIP: "fe80::1%lo"'),
    ("unknown-id", http_request("DELETE", "/v1/ports/99"), 400, "unknown id: 99"),
    ("bad-id", http_request("DELETE", "/v1/ports/abc"), 400,
     'bad id abc: strconv.Atoi: parsing "abc": invalid syntax'),
    ("unknown-route", http_request("GET", "/v1/nothing"), 404, None),
    ("garbage", b"\x00\x01\x02 not http at all \xff\xfe\r\n\r\n", 400, ...),
    ("garbage-line", b"HELLO\r\n\r\n", 400, ...),
    ("bad-version", b"GET /v1/info HTTP/2.0\r\nHost: x\r\n\r\n", 505, ...),
    ("bad-content-length", b"POST /v1/ports HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400,
     ...),
    ("unsupported-te", b"POST /v1/ports HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, ...),
    ("long-header", b"GET /v1/info HTTP/1.1\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n", 431,
     ...),
    ("many-headers", b"GET /v1/info HTTP/1.1\r\n" +
     b"".join(b"X-H%d: v\r\n" % i for i in range(100)) + b"\r\n", 431, ...),
    ("long-body", b"POST /v1/ports HTTP/1.1\r\nContent-Length: 70000\r\n\r\n" +
     b"{" + b" " * 69999, 413, ...),
    ("long-chunked-body", b"POST /v1/ports HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"11170\r\n" + b" " * 70000 + b"\r\n0\r\n\r\n", 413, ...),
    ("truncated-head", b"GET /v1/info HTTP/1.1\r\nHost: x", None, None),
    ("truncated-body", b"POST /v1/ports HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"proto\"",
     None, None),
]


@pytest.mark.parametrize("name,data,status,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_request(name, data, status, msg, api_rk):
    api = api_rk.api
    port = free_port()
    api.add(spec_dict("tcp", "127.0.0.1", port, 80))
    before = api.request("GET", "/v1/ports").body
    if status is None:
        # the client sends part of a request and disconnects
        with api.connect() as s:
            s.sendall(data)
        # and one that stops mid-request without closing, then resets
        s = api.connect()
        s.sendall(data)
        time.sleep(0.2)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    else:
        with api.connect() as s:
            s.sendall(data)
            rd = Reader(s)
            r = rd.read()
            assert r.status == status, r
            if msg is None:
                pass
            elif msg is ...:
                # a malformed request: a {"message":...} body, then the server closes
                assert isinstance(r.message(), str) and r.message(), r
                assert rd.at_eof(), "the connection stays open after a malformed request"
            else:
                assert r.message() == msg, r
                assert r.header("Content-Type") == TEXT
    assert api_rk.alive()
    assert api.request("GET", "/v1/ports").body == before
    assert tcp_ask("127.0.0.1", port, "still") == "echo:still"


def test_slow_client_does_not_block_others(api_rk):
    """A client that sent half a request holds nothing but its own connection."""
    api = api_rk.api
    stuck = [api.connect() for _ in range(10)]
    try:
        for i, s in enumerate(stuck):
            s.sendall(b"POST /v1/ports HTTP/1.1\r\nContent-Length: 50\r\n\r\n{"[:10 + i * 3])
        port = free_port()
        t0 = time.monotonic()
        api.add(spec_dict("tcp", "127.0.0.1", port, 80))
        assert time.monotonic() - t0 < 5
    finally:
        for s in stuck:
            s.close()


def test_1000_idle_connections(api_rk):
    api = api_rk.api
    idle = []
    try:
        for _ in range(1000):
            idle.append(api.connect())
        # some of them have spoken once and stay (keep-alive)
        for s in idle[:50]:
            s.sendall(http_request("GET", "/v1/info", keep_alive=True))
        for s in idle[:50]:
            assert Reader(s).read().status == 200
        port = free_port()
        t0 = time.monotonic()
        r = api.add(spec_dict("tcp", "127.0.0.1", port, 80))
        assert time.monotonic() - t0 < 5, "adding a port took too long"
        assert r.json()["id"] == 1
        assert tcp_ask("127.0.0.1", port, "ok") == "echo:ok"
        # an idle keep-alive connection still works
        idle[0].sendall(http_request("GET", "/v1/ports"))
        assert Reader(idle[0]).read().json()[0]["id"] == 1
    finally:
        for s in idle:
            s.close()
    assert api_rk.alive()
    assert api.ports()[0]["id"] == 1


# --------------------------------------------------------------------------
# api.sock
# --------------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_api_sock_life_cycle(umask, bg, state_dir):
    """api.sock is a socket of mode 0600 whatever the umask, answers before the command
    starts (the command's first action queries it), and goes at exit."""
    script = ('test -S "$ROOTLESSKIT_STATE_DIR/api.sock" || { echo no-socket; exit 9; }; '
              f'{GO_CTL} list-ports --json; {GO_CTL} info --json > "$ROOTLESSKIT_STATE_DIR/i" '
              '&& echo queried; exec sleep 600')
    old = os.umask(umask)
    try:
        b = bg([RK_BIN, "--net=none", "--port-driver=builtin", f"--state-dir={state_dir}",
                "-p", f"127.0.0.1:{free_port()}:80/tcp", "sh", "-c", script])
    finally:
        os.umask(old)
    b.wait_stdout("^queried$")
    out = b.stdout()
    assert out.startswith('{"id":1,"spec":{"proto":"tcp"'), b.describe()
    sock = state_dir / "api.sock"
    assert stat.S_ISSOCK(os.lstat(sock).st_mode)
    assert file_mode(sock) == 0o600
    info = json.loads((state_dir / "i").read_text())
    assert info["stateDir"] == str(state_dir)
    b.signal(signal.SIGTERM)
    b.wait()
    assert not sock.exists() and not state_dir.exists()


def test_restart_after_sigkill(bg, state_dir, netbed):
    """SPEC 6 (#220): SIGKILL the parent and its child, start again on the same state dir:
    it works and rootlessctl list-ports answers."""
    require_tool("slirp4netns")
    port = free_port()
    b = bg([RK_BIN, "--net=slirp4netns", "--disable-host-loopback", "--port-driver=builtin",
            f"--state-dir={state_dir}", "-p", f"127.0.0.1:{port}:80/tcp",
            "python3", "-c", SERVER])
    child = wait_child_pid(state_dir)
    b.wait_stdout("^ready$")
    assert tcp_ask("127.0.0.1", port, "a") == "echo:a"
    os.kill(b.pid, signal.SIGKILL)
    os.kill(child, signal.SIGKILL)
    b.p.wait(timeout=TIMEOUT)
    wait_gone([child], 10, "the child")
    assert (state_dir / "api.sock").exists() and (state_dir / "lock").exists()
    assert wait_until(lambda: not listening(port), 10, what="the listener to go")
    r = rk_ok("--net=slirp4netns", "--disable-host-loopback", "--port-driver=builtin",
              f"--state-dir={state_dir}", "-p", f"127.0.0.1:{port}:80/tcp",
              GO_CTL, "list-ports")
    assert r.stdout.splitlines()[0].split() == ["ID", "PROTO", "PARENTIP", "PARENTPORT",
                                                "CHILDIP", "CHILDPORT"], str(r)
    assert r.stdout.splitlines()[1].split() == ["1", "tcp", "127.0.0.1", str(port), "80"], \
        str(r)
    assert not state_dir.exists()
    assert port_bindable(port)


# --------------------------------------------------------------------------
# the Go rootlessctl against our rootlesskit (SPEC 10.2)
# --------------------------------------------------------------------------

def tabwriter(rows):
    """Go's tabwriter (minwidth 4, padding 4, spaces), every cell tab-terminated."""
    widths = [max(4, max(len(r[i]) for r in rows) + 4) for i in range(len(rows[0]))]
    return "".join("".join(c.ljust(w) for c, w in zip(r, widths)) + "\n" for r in rows)


HEADER = ["ID", "PROTO", "PARENTIP", "PARENTPORT", "CHILDIP", "CHILDPORT"]


def test_rootlessctl_ports(api_rk):
    sock = api_rk.api.path
    c = ctl(sock, "list-ports")
    assert (c.returncode, c.stdout, c.stderr) == \
        (0, "ID    PROTO    PARENTIP    PARENTPORT    CHILDIP    CHILDPORT    \n", ""), c
    c = ctl(sock, "list-ports", "--json")
    assert (c.returncode, c.stdout, c.stderr) == (0, "", ""), c
    p = [free_port() for _ in range(4)]
    specs = [f"127.0.0.1:{p[0]}:80/tcp", f"[::1]:{p[1]}:[::1]:81/udp6",
             f":{p[2]}:10.0.2.100:82/tcp4"]
    c = ctl(sock, "add-ports", *specs)
    assert (c.returncode, c.stdout, c.stderr) == (0, "1\n2\n3\n", ""), c
    c = ctl(sock, "add-ports", "--json", f"127.0.0.1:{p[3]}:83/udp")
    assert (c.returncode, c.stderr) == (0, ""), c
    assert c.stdout == (f'{{"id":4,"spec":{{"proto":"udp","parentIP":"127.0.0.1",'
                        f'"parentPort":{p[3]},"childPort":83}}}}\n')
    rows = [HEADER,
            ["1", "tcp", "127.0.0.1", str(p[0]), "", "80"],
            ["2", "udp6", "::1", str(p[1]), "::1", "81"],
            ["3", "tcp4", "", str(p[2]), "10.0.2.100", "82"],
            ["4", "udp", "127.0.0.1", str(p[3]), "", "83"]]
    c = ctl(sock, "list-ports")
    assert (c.returncode, c.stdout, c.stderr) == (0, tabwriter(rows), ""), c
    c = ctl(sock, "list-ports", "--json")
    assert c.stdout.splitlines() == [
        f'{{"id":1,"spec":{{"proto":"tcp","parentIP":"127.0.0.1","parentPort":{p[0]},'
        f'"childPort":80}}}}',
        f'{{"id":2,"spec":{{"proto":"udp6","parentIP":"::1","parentPort":{p[1]},'
        f'"childPort":81,"childIP":"::1"}}}}',
        f'{{"id":3,"spec":{{"proto":"tcp4","parentPort":{p[2]},"childPort":82,'
        f'"childIP":"10.0.2.100"}}}}',
        f'{{"id":4,"spec":{{"proto":"udp","parentIP":"127.0.0.1","parentPort":{p[3]},'
        f'"childPort":83}}}}'], c
    c = ctl(sock, "remove-ports", "2", "3")
    assert (c.returncode, c.stdout, c.stderr) == (0, "2\n3\n", ""), c
    # failures: the server's message, exit 1; earlier ones stay
    c = ctl(sock, "remove-ports", "9")
    assert (c.returncode, c.stdout, c.stderr) == (1, "", "error: unknown id: 9\n"), c
    p5 = free_port()
    c = ctl(sock, "add-ports", f"127.0.0.1:{p5}:80/tcp", f"127.0.0.1:{p[0]}:80/tcp")
    assert (c.returncode, c.stdout, c.stderr) == (1, "5\n", "error: conflict with ID 1\n"), c
    c = ctl(sock, "add-ports", f"127.0.0.1:{p[1]}:80/sctp")
    assert (c.returncode, c.stderr) == (1, "error: unsupported port protocol sctp\n"), c
    rows = [HEADER,
            ["1", "tcp", "127.0.0.1", str(p[0]), "", "80"],
            ["4", "udp", "127.0.0.1", str(p[3]), "", "83"],
            ["5", "tcp", "127.0.0.1", str(p5), "", "80"]]
    c = ctl(sock, "list-ports")
    assert c.stdout == tabwriter(rows), c
    # through $ROOTLESSKIT_STATE_DIR instead of --socket
    c = subprocess.run([GO_CTL, "remove-ports", "1", "4", "5"], capture_output=True, text=True,
                       timeout=TIMEOUT,
                       env={**os.environ, "ROOTLESSKIT_STATE_DIR": str(api_rk.state_dir)})
    assert (c.returncode, c.stdout, c.stderr) == (0, "1\n4\n5\n", ""), c
    assert api_rk.api.ports() is None


@pytest.mark.parametrize("net", ["slirp4netns", "none", "host"])
def test_rootlessctl_info(net, bg, state_dir, netbed):
    flags = [f"--net={net}"]
    if net == "slirp4netns":
        flags.append("--disable-host-loopback")
    if net != "host":
        flags.append("--port-driver=builtin")
    b, pid, api = start_plain(bg, state_dir, *flags)
    c = ctl(api.path, "info")
    want = ("- REST API version: 1.1.1\n"
            "- Implementation version: 3.0.1\n"
            f"- State Directory: {state_dir}\n"
            f"- Child PID: {pid}\n")
    if net == "slirp4netns":
        want += ("- Network Driver: slirp4netns\n"
                 "  - DNS: [10.0.2.3]\n"
                 "  - IP: 10.0.2.100\n")
    elif net == "none":
        want += "- Network Driver: none\n  - DNS: []\n"
    if net != "host":
        want += ("- Port Driver: builtin\n"
                 "  - Supported protocols: [tcp tcp4 tcp6 udp udp4 udp6]\n")
    assert (c.returncode, c.stdout, c.stderr) == (0, want, ""), c
    c = ctl(api.path, "info", "--json")
    info = {"apiVersion": "1.1.1", "version": "3.0.1", "stateDir": str(state_dir),
            "childPID": pid}
    if net == "slirp4netns":
        info["networkDriver"] = {"driver": "slirp4netns", "dns": ["10.0.2.3"],
                                 "childIP": "10.0.2.100"}
    elif net == "none":
        info["networkDriver"] = {"driver": "none"}
    if net != "host":
        info["portDriver"] = {"driver": "builtin", "protos": PROTOS}
    assert (c.returncode, c.stdout, c.stderr) == (0, json.dumps(info, indent=4) + "\n", ""), c
    stop(b)
