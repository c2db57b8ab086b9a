# SPDX-License-Identifier: Apache-2.0
"""rootlesskit-docker-proxy (SPEC 10.3): the docker-proxy stand-in that Docker < 28 runs for
each published port, here as dockerd runs it: inside rootlesskit's namespaces (nsenter into
the child's user and network namespaces), with ROOTLESSKIT_STATE_DIR set, a pipe on fd 3 for
its status, the real docker-proxy (Debian's docker.io) on PATH, stopped with SIGINT.

Most tests run twice, with ours and with Debian's Go rootlesskit-docker-proxy against the
same (our) rootlesskit, and expect the same status text, exit status and API state from both.
The containers are stood in for by portutil.SERVER in the child (WHO answers which
listener took the connection), so `-container-ip 127.0.0.1 -container-port 80`.
"""

import os
import select
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import RK_BIN, TIMEOUT, wait_until
from portutil import free_port, listening, poll, port_bindable, rk_runs, tcp_ask, udp_ask

OURS = str(Path(RK_BIN).parent / "rootlesskit-docker-proxy")
GO = "/usr/bin/rootlesskit-docker-proxy"
REAL = "/usr/sbin/docker-proxy"
PROXIES = [pytest.param(OURS, id="ours"), pytest.param(GO, id="go")]

pytestmark = pytest.mark.not_in_ref("rootlesskit-docker-proxy of this implementation")


@pytest.fixture(autouse=True)
def _tools():
    for t in (OURS, GO, REAL):
        if not os.access(t, os.X_OK):
            pytest.fail(f"{t} is missing (tests/lib/debian-packages: rootlesskit, docker.io)")


@pytest.fixture
def start_rk(bg, tmp_path):
    yield from rk_runs(bg, tmp_path)


class Proxy:
    """A proxy run as dockerd runs it; .status is what it wrote on fd 3 (up to "0\\n" or its
    exit)."""

    def __init__(self, binary, rk, args, *, env=None, path=None, reader_gone=False):
        r, w = os.pipe()
        if reader_gone:  # dockerd gave up and closed its end
            os.close(r)
        self.env = {"PATH": path if path is not None else os.environ["PATH"] + ":/usr/sbin",
                    "ROOTLESSKIT_STATE_DIR": str(rk.state_dir)} if env is None else env
        cmd = ["nsenter", "-t", str(rk.child_pid), "-U", "--preserve-credentials", "-n",
               binary, *args]
        # fd 3 is the status pipe's write end, as dockerd passes it
        self.p = subprocess.Popen(cmd, preexec_fn=lambda: os.dup2(w, 3), pass_fds=(3,),
                                  env=self.env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(w)
        self.status = None if reader_gone else self._read_status(r)
        if not reader_gone:
            os.close(r)

    def _read_status(self, fd, timeout=TIMEOUT):
        data = b""
        deadline = time.monotonic() + timeout
        while not data.startswith(b"0\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise AssertionError(f"no status from the proxy; so far {data!r}")
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
        return data.decode()

    def stop(self, sig=signal.SIGINT):
        self.p.send_signal(sig)
        return self.finish()

    def finish(self):
        _, err = self.p.communicate(timeout=TIMEOUT)
        self.stderr = err.decode()
        return self.p.returncode


def dockerd_args(proto, host_ip, host_port, container_ip="127.0.0.1", container_port=80):
    return ["-proto", proto, "-host-ip", host_ip, "-host-port", str(host_port),
            "-container-ip", container_ip, "-container-port", str(container_port)]


def children(pid):
    out = []
    for t in os.listdir(f"/proc/{pid}/task"):  # a Go program forks from any of its threads
        with open(f"/proc/{pid}/task/{t}/children") as f:
            out += [int(x) for x in f.read().split()]
    return out


def gone(pid):
    """Ended (a zombie counts: upstream's proxy exits without reaping the real one)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def ports(rk):
    return rk.api.ports() or []


SERVER_ARGS = ["tcp:127.0.0.1:80", "tcp:::1:80", "udp:127.0.0.1:80"]


@pytest.mark.parametrize("proxy", PROXIES)
@pytest.mark.parametrize("proto,host_ip,want_proto,child_ip,client", [
    ("tcp", "127.0.0.1", "tcp4", "127.0.0.1", "127.0.0.1"),
    ("tcp", "0.0.0.0", "tcp4", "127.0.0.1", "127.0.0.1"),
    ("tcp", "", "tcp4", "127.0.0.1", "127.0.0.1"),
    ("tcp", "::1", "tcp6", "::1", "::1"),
    ("tcp", "::", "tcp6", "::1", "::1"),
    ("udp", "0.0.0.0", "udp4", "127.0.0.1", "127.0.0.1"),
])
def test_publish_builtin(proxy, proto, host_ip, want_proto, child_ip, client, start_rk):
    """The port is published with the proto made explicit by the host IP's family, towards
    the child's loopback; traffic reaches the container; SIGINT removes the port and stops
    the real proxy."""
    rk = start_rk(net="slirp4netns", extra=["--disable-host-loopback"],
                  server_args=SERVER_ARGS)
    port = free_port()
    container_ip = "::1" if want_proto == "tcp6" else "127.0.0.1"
    px = Proxy(proxy, rk, dockerd_args(proto, host_ip, port, container_ip))
    assert px.status == "0\n"
    spec = {"proto": want_proto, "parentPort": port, "childPort": port, "childIP": child_ip}
    if host_ip:
        spec["parentIP"] = host_ip
    assert [p["spec"] for p in ports(rk)] == [spec]
    real = children(px.p.pid)
    assert [os.readlink(f"/proc/{c}/exe") for c in real] == [REAL]
    if proto.startswith("udp"):
        assert poll(lambda: _udp_who(client, port) == "127.0.0.1 80", 10)
    else:
        assert tcp_ask(client, port, "WHO") == f"{container_ip} 80"
    assert px.stop() == 0
    assert ports(rk) == []
    wait_until(lambda: gone(real[0]), 5, what="docker-proxy to end")
    if not proto.startswith("udp"):
        assert not listening(port, client)


def _udp_who(host, port):
    try:
        return udp_ask(host, port, "WHO", timeout=1)
    except OSError:
        return None


@pytest.mark.parametrize("proxy", PROXIES)
def test_two_families_one_port(proxy, start_rk):
    """Docker 20.10 publishes `-p 8081:80` twice, on 0.0.0.0 and on ::."""
    rk = start_rk(net="slirp4netns", extra=["--disable-host-loopback"],
                  server_args=SERVER_ARGS)
    port = free_port()
    p4 = Proxy(proxy, rk, dockerd_args("tcp", "0.0.0.0", port))
    p6 = Proxy(proxy, rk, dockerd_args("tcp", "::", port, "::1"))
    assert (p4.status, p6.status) == ("0\n", "0\n")
    assert sorted(p["spec"]["proto"] for p in ports(rk)) == ["tcp4", "tcp6"]
    assert tcp_ask("127.0.0.1", port, "WHO") == "127.0.0.1 80"
    assert tcp_ask("::1", port, "WHO") == "::1 80"
    assert (p4.stop(), p6.stop()) == (0, 0)
    assert ports(rk) == []


@pytest.mark.parametrize("proxy", PROXIES)
def test_slirp4netns_port_driver(proxy, start_rk):
    """The slirp4netns port driver forbids loopback child IPs: the child's own IP is the
    target; it has no tcp6, so a request for [::1] is skipped with a warning and `0`."""
    rk = start_rk(net="slirp4netns",
                  extra=["--disable-host-loopback", "--port-driver=slirp4netns"],
                  server_args=["tcp:0.0.0.0:80"])
    port = free_port()
    px = Proxy(proxy, rk, dockerd_args("tcp", "127.0.0.1", port))
    assert px.status == "0\n"
    [st] = ports(rk)
    assert st["spec"] == {"proto": "tcp4", "parentIP": "127.0.0.1", "parentPort": port,
                          "childPort": port, "childIP": "10.0.2.100"}
    assert poll(lambda: _who(port) == "127.0.0.1 80", 10)
    skipped = Proxy(proxy, rk, dockerd_args("tcp", "::1", port, "::1"))
    assert skipped.status == "0\n"
    assert skipped.finish() == 0
    assert ('protocol \\"tcp6\\" is not supported by the RootlessKit port driver '
            f'\\"slirp4netns\\", discarding request for \\"[::1]:{port}\\"') in skipped.stderr
    assert "level=warning" in skipped.stderr
    assert len(ports(rk)) == 1
    assert px.stop() == 0
    assert ports(rk) == []


def _who(port):
    try:
        return tcp_ask("127.0.0.1", port, "WHO", timeout=2)
    except OSError:
        return None


@pytest.mark.parametrize("net,driver", [("slirp4netns", "none"), ("pasta", "implicit")])
def test_no_port_driver_execs_real_proxy(net, driver, start_rk):
    """Without a port driver (none; implicit: pasta forwards by itself) the real docker-proxy
    runs in the proxy's place with the same arguments and reports on the same fd 3, as
    upstream's v2+ proxy does (Debian's 1.1.0 one predates that and crashes on the missing
    port driver, hence ours only)."""
    rk = start_rk(net=net, extra=["--disable-host-loopback", f"--port-driver={driver}"],
                  server_args=SERVER_ARGS)
    port = free_port()
    px = Proxy(OURS, rk, dockerd_args("tcp", "127.0.0.1", port))
    assert px.status == "0\n"
    assert os.readlink(f"/proc/{px.p.pid}/exe") == REAL
    assert children(px.p.pid) == []
    if driver == "implicit":  # pasta publishes what listens in the namespace
        assert poll(lambda: _who(port) == "127.0.0.1 80", 10)
    assert px.stop() == 0


@pytest.mark.parametrize("proxy", PROXIES)
def test_errors(proxy, start_rk, tmp_path):
    """Failures: `1\\n<text>` on fd 3, exit status 1, nothing left published or running."""
    rk = start_rk(net="slirp4netns", extra=["--disable-host-loopback"],
                  server_args=SERVER_ARGS)
    port = free_port()
    path = os.environ["PATH"] + ":/usr/sbin"

    px = Proxy(proxy, rk, dockerd_args("tcp", "127.0.0.1", port), env={"PATH": path})
    assert px.status == "1\n$ROOTLESSKIT_STATE_DIR needs to be set"
    assert px.finish() == 1

    px = Proxy(proxy, rk, dockerd_args("tcp", "127.0.0.1", port),
               env={"PATH": path, "ROOTLESSKIT_STATE_DIR": str(tmp_path)})
    assert px.status == ("1\nerror while connecting to RootlessKit API socket: "
                         f"stat {tmp_path}/api.sock: no such file or directory")
    assert px.finish() == 1

    # the host port is taken: Docker shows this text as "Error starting userland proxy: ..."
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        px = Proxy(proxy, rk, dockerd_args("tcp", "127.0.0.1", port))
        assert px.status == ("1\nerror while calling PortManager.AddPort(): "
                             f"listen tcp4 127.0.0.1:{port}: bind: address already in use")
        assert px.finish() == 1
        assert ports(rk) == []

    # no real docker-proxy: the port just added is removed again
    px = Proxy(proxy, rk, dockerd_args("tcp", "127.0.0.1", port), path="/usr/bin:/bin")
    assert px.status == ("1\nerror while starting docker-proxy: exec: \"docker-proxy\": "
                         "executable file not found in $PATH")
    assert px.finish() == 1
    assert ports(rk) == []
    assert port_bindable(port)


def test_real_proxy_fails(start_rk):
    """The real proxy fails (the port is taken in the child): its status reaches dockerd with
    EOF at once (ours hands fd 3 over; upstream keeps it open, so dockerd, which reads the
    error to EOF, times out after 16 s); SIGINT still removes the port."""
    taken = free_port()
    rk = start_rk(net="slirp4netns", extra=["--disable-host-loopback"],
                  server_args=[*SERVER_ARGS, f"tcp:127.0.0.1:{taken}"])
    px = Proxy(OURS, rk, dockerd_args("tcp", "127.0.0.1", taken))
    assert px.status == f"1\nlisten tcp4 127.0.0.1:{taken}: bind: address already in use"
    assert len(ports(rk)) == 1
    assert px.stop() == 0
    assert ports(rk) == []


def test_sigterm_removes_port(start_rk):
    """dockerd's death reaches the proxy as SIGTERM (PDEATHSIG): ours removes the port and
    stops the real proxy (upstream's dies there and leaves the port published)."""
    rk = start_rk(net="slirp4netns", extra=["--disable-host-loopback"],
                  server_args=SERVER_ARGS)
    port = free_port()
    px = Proxy(OURS, rk, dockerd_args("tcp", "127.0.0.1", port))
    assert px.status == "0\n"
    real = children(px.p.pid)
    assert px.stop(signal.SIGTERM) == 0
    assert ports(rk) == []
    wait_until(lambda: gone(real[0]), 5, what="docker-proxy to end")
    assert not listening(port)


def test_bad_flags_like_go(tmp_path):
    """Go's flag package: the same texts and exit codes as the upstream binary."""
    for args in (["-foo"], ["-host-port", "abc"], ["-host-port"], ["-h"], ["---x"],
                 ["-host-port", "1_000"]):
        out = []
        for binary in (OURS, GO):
            r = subprocess.run([binary, *args], capture_output=True, text=True,
                               env={"PATH": "/usr/bin:/bin"}, timeout=TIMEOUT)
            out.append((r.returncode, r.stderr.replace(binary, "PROG").split(" ", 2)[-1]
                        if r.returncode == 1 else r.stderr.replace(binary, "PROG")))
        assert out[0] == out[1], args


def test_status_pipe_closed(start_rk):
    """dockerd closed the status pipe (it gives up after 16 s): writing the status must not
    kill the proxy (SIGPIPE) before it has cleaned up; it ends with its own status."""
    rk = start_rk(net="slirp4netns",
                  extra=["--disable-host-loopback", "--port-driver=slirp4netns"],
                  server_args=["tcp:0.0.0.0:80"])
    port = free_port()
    skipped = Proxy(OURS, rk, dockerd_args("tcp", "::1", port, "::1"), reader_gone=True)
    assert skipped.finish() == 0, skipped.stderr
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        failed = Proxy(OURS, rk, dockerd_args("tcp", "127.0.0.1", port), reader_gone=True)
        assert failed.finish() == 1, failed.stderr
        assert "error while calling PortManager.AddPort(): " in failed.stderr
    assert ports(rk) == []

