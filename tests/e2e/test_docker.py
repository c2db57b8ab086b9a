# SPDX-License-Identifier: Apache-2.0
"""Rootless Docker end to end: Debian's dockerd-rootless.sh (Docker 20.10) runs dockerd under
our rootlesskit, and publishes ports through our rootlesskit-docker-proxy and REST API. Once per
network stack a Docker user can pick (DOCKERD_ROOTLESS_ROOTLESSKIT_NET): slirp4netns and our
built-in stack (gvisor-tap-vsock) with the builtin port driver, pasta with the implicit one.

The tests of a stack share one daemon and run in file order; the last one stops it.
"""

import http.server
import os
import re
import socket
import tempfile
import time
import threading
from pathlib import Path

import pytest

from conftest import (PAGE, RootlessDocker, exe, free_port, remove_tree, sigterm_and_check_gone,
                      wait_until)

STACKS = [
    pytest.param(("slirp4netns", "builtin"), id="slirp4netns"),
    pytest.param(("gvisor-tap-vsock", "builtin"), id="gvisor-tap-vsock"),
    pytest.param(("pasta", "implicit"), id="pasta"),
]


@pytest.fixture(scope="module", params=STACKS)
def dk(request, bin_dir, image_tar):
    net, port_driver = request.param
    # a short base: containerd's sockets below it must fit in sun_path
    base = Path(tempfile.mkdtemp(prefix="rk-e2e.", dir="/tmp"))
    try:
        d = RootlessDocker(base, bin_dir, net, port_driver, image_tar)
        yield d
        d.stop()
    finally:
        remove_tree(bin_dir, base)


def addr4():
    return os.environ["RK_TEST_ADDR4"]


def http_get(host, port, timeout=5):
    """The body of GET / from host:port, or None when nothing answers."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    return data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace")


def serves(host, port, timeout=30):
    """Whether host:port serves the container's page (within timeout: pasta's implicit
    forwarding notices new listeners by scanning, about once a second)."""
    return wait_until(lambda: http_get(host, port) == PAGE or None, timeout, interval=0.1,
                      what=f"the page on {host}:{port}")


def closed(host, port):
    return http_get(host, port, timeout=2) is None


def udp_echo(host, port, data=b"ping-e2e", timeout=1):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        s.send(data)
        try:
            return s.recv(65536)
        except OSError:
            return None


def specs(dk, port):
    return [s for s in dk.ports() if s.get("parentPort") == port]


HTTPD = ["e2e:1", "httpd", "-f", "-p", "80", "-h", "/www"]


def test_started_under_ours(dk):
    """dockerd-rootless.sh picked our rootlesskit from PATH; the API answers."""
    assert exe(dk.p.pid) == dk.our_rk
    info = dk.ctl("info", "--json")
    assert info.returncode == 0, info.stderr
    assert f'"driver": "{dk.net}"' in info.stdout


def test_publish_loopback(dk):
    """docker run -p 127.0.0.1:P:80 serves the page on the host's 127.0.0.1; the port is
    published through our rootlesskit-docker-proxy (builtin) and listed."""
    port = free_port()
    cid = dk.run_d("-p", f"127.0.0.1:{port}:80", *HTTPD)
    assert serves("127.0.0.1", port)
    if dk.port_driver == "builtin":
        assert specs(dk, port) == [{"proto": "tcp4", "parentIP": "127.0.0.1", "parentPort": port,
                                    "childPort": port, "childIP": "127.0.0.1"}]
        proxies = [p for p in dk.processes() if exe(p) == dk.our_proxy]
        assert proxies, "no rootlesskit-docker-proxy of ours among dockerd's children"
        assert closed(addr4(), port)  # bound to 127.0.0.1 only
    dk.docker("rm", "-f", cid)
    wait_until(lambda: closed("127.0.0.1", port), 10, interval=0.1, what="the port to close")
    assert specs(dk, port) == []


def test_publish_all_addresses(dk):
    """-p P:80 answers on 127.0.0.1, on a test address and on [::1]; docker rm -f closes it.
    (pasta runs with --ipv4-only unless rootlesskit has --ipv6, which Docker does not pass:
    no IPv6 there, as with upstream.)"""
    port = free_port()
    cid = dk.run_d("-p", f"{port}:80", *HTTPD)
    hosts = ("127.0.0.1", addr4()) if dk.net == "pasta" else ("127.0.0.1", addr4(), "::1")
    for host in hosts:
        assert serves(host, port)
    if dk.net == "pasta":
        assert closed("::1", port)
    if dk.port_driver == "builtin":
        assert sorted((s["proto"], s.get("parentIP")) for s in specs(dk, port)) == [
            ("tcp4", "0.0.0.0"), ("tcp6", "::")]
    dk.docker("rm", "-f", cid)
    for host in hosts:
        wait_until(lambda: closed(host, port), 10, interval=0.1,
                   what=f"{host}:{port} to close")
    assert specs(dk, port) == []


def test_udp(dk):
    """A published UDP port echoes. With pasta (implicit), Debian 12's passt (2023-03) does
    not forward a UDP port bound after it started, with or without rootlesskit (checked with
    `pasta -u auto` alone), so there the datagram must go unanswered: this fails, to be
    updated, once a passt that forwards it is installed."""
    port = free_port()
    cid = dk.run_d("-p", f"{port}:5353/udp", "e2e:1", "udpecho", "5353")
    if dk.net == "pasta":
        time.sleep(3)  # pasta's scan interval is one second
        assert udp_echo("127.0.0.1", port) is None
    else:
        for host in ("127.0.0.1", addr4()):
            wait_until(lambda: udp_echo(host, port) == b"ping-e2e", 15, interval=0.1,
                       what=f"the UDP echo on {host}")
        assert sorted(s["proto"] for s in specs(dk, port)) == ["udp4", "udp6"]
    dk.docker("rm", "-f", cid)
    assert specs(dk, port) == []


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"from the host side\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def host_server():
    """An HTTP server on the bed's test address (outside rootlesskit's namespaces)."""
    srv = http.server.ThreadingHTTPServer((addr4(), free_port()), _Page)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_container_reaches_host_side(dk, host_server):
    """A container reaches a server on a test address, by address and by a name the bed's
    dnsmasq resolves (through the stack's DNS)."""
    name = os.environ["RK_TEST_DNS_NAME"]
    r = dk.docker("run", "--rm", "e2e:1", "wget", "-q", "-O", "-",
                  f"http://{addr4()}:{host_server}/")
    assert r.stdout == "from the host side\n"
    r = dk.docker("run", "--rm", "e2e:1", "nslookup", name)
    assert re.search(rf"Address:\s+{re.escape(addr4())}\b", r.stdout), r.stdout
    r = dk.docker("run", "--rm", "e2e:1", "wget", "-q", "-O", "-",
                  f"http://{name}:{host_server}/")
    assert r.stdout == "from the host side\n"


def test_port_in_use(dk):
    """A host port already in use: docker run fails with Docker's message and leaves nothing
    published. (With pasta's implicit forwarding the port is only taken inside the namespace:
    docker run succeeds and pasta cannot forward it; the holder keeps it.)"""
    port = free_port()
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", port))
        holder.listen()
        r = dk.docker("run", "-d", "--init", "--name", f"busy{port}", "-p",
                      f"127.0.0.1:{port}:80", *HTTPD, check=False)
        if dk.port_driver == "builtin":
            assert r.returncode == 125, r
            assert "driver failed programming external connectivity" in r.stderr, r.stderr
            assert "Error starting userland proxy: error while calling " \
                   "PortManager.AddPort(): listen tcp4 127.0.0.1:" in r.stderr, r.stderr
            assert "bind: address already in use" in r.stderr, r.stderr
            assert specs(dk, port) == []
        else:
            assert r.returncode == 0, r.stderr
        dk.docker("rm", "-f", f"busy{port}")
    # nothing of ours holds the port
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))
    assert specs(dk, port) == []


def test_sigterm_stops_everything(dk):
    """SIGTERM to rootlesskit stops dockerd (and containerd, the containers, the network
    helper); no process and no state dir are left."""
    port = free_port()
    dk.run_d("-p", f"127.0.0.1:{port}:80", *HTTPD)
    assert serves("127.0.0.1", port)
    procs = dk.processes()
    comms = set()
    for p in procs:
        try:
            with open(f"/proc/{p}/comm") as f:
                comms.add(f.read().strip())
        except OSError:
            pass
    assert {"dockerd", "containerd"} <= comms, comms
    assert os.path.isdir(dk.state_dir)
    rc = sigterm_and_check_gone(dk.p, dk.state_dir)
    assert rc == 0, f"rootlesskit exited with {rc} (dockerd ends with 0 on SIGTERM):\n{dk.log()}"
    assert closed("127.0.0.1", port)
