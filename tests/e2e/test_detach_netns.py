# SPDX-License-Identifier: Apache-2.0
"""Current rootless Docker (v29.5+) starts rootlesskit with exactly this flag set:

  --state-dir=DIR --net=NET --mtu=65520 --slirp4netns-sandbox=auto --slirp4netns-seccomp=auto
  --disable-host-loopback --port-driver=builtin --copy-up=/etc --copy-up=/run
  --propagation=rslave --detach-netns

(port driver implicit for pasta), and its script's child then runs `nsenter
-n$ROOTLESSKIT_STATE_DIR/netns sysctl -w net.ipv4.ip_forward=1` before exec'ing dockerd, which
works in the detached netns itself and publishes ports through the API. Docker 20.10's dockerd
cannot run that way, so a stand-in does what that child does: the sysctl through nsenter, then
a server bound inside the detached netns that publishes its port through the API (rootlessctl,
as dockerd's own API client would) and serves it.
"""

import os
import signal
import socket
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from conftest import TIMEOUT, alive, descendants, free_port, wait_until

STACKS = [
    pytest.param(("slirp4netns", "builtin"), id="slirp4netns"),
    pytest.param(("gvisor-tap-vsock", "builtin"), id="gvisor-tap-vsock"),
    pytest.param(("pasta", "implicit"), id="pasta"),
]

# the stand-in for dockerd-rootless.sh's child: runs as rootlesskit's command
CHILD = textwrap.dedent(r"""
    set -eu
    nsenter -n"$ROOTLESSKIT_STATE_DIR/netns" sysctl -w net.ipv4.ip_forward=1 >/dev/null
    touch /etc/e2e-copied-up /run/e2e-copied-up       # --copy-up made them writable
    echo "netns $(readlink /proc/self/ns/net)"
    exec nsenter -n"$ROOTLESSKIT_STATE_DIR/netns" python3 -c "$SERVER" "$@"
""")

# inside the detached netns: report, serve on 127.0.0.1:CPORT, publish HPORT through the API
SERVER = textwrap.dedent(r"""
    import os, socket, subprocess, sys
    ctl, hport, cport, publish = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    print("inner", os.readlink("/proc/self/ns/net"), flush=True)
    print("ip_forward", open("/proc/sys/net/ipv4/ip_forward").read().strip(), flush=True)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1" if publish == "api" else "0.0.0.0", cport))
    s.listen(16)
    if publish == "api":
        r = subprocess.run([ctl, "add-ports", f"127.0.0.1:{hport}:{cport}/tcp"],
                           capture_output=True, text=True)
        print("published", r.returncode, r.stdout.strip(), r.stderr.strip(), flush=True)
    print("ready", flush=True)
    while True:
        c, _ = s.accept()
        c.sendall(b"from the detached netns\n")
        c.close()
""")


def flags(state_dir, net, port_driver):
    return [f"--state-dir={state_dir}", f"--net={net}", "--mtu=65520",
            "--slirp4netns-sandbox=auto", "--slirp4netns-seccomp=auto",
            "--disable-host-loopback", f"--port-driver={port_driver}", "--copy-up=/etc",
            "--copy-up=/run", "--propagation=rslave", "--detach-netns"]


def read_line(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode()


def ask(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            return read_line(s)
    except OSError:
        return None


@pytest.mark.parametrize("stack", STACKS)
def test_docker_v29_flag_set(stack, bin_dir, tmp_path):
    net, port_driver = stack
    state_dir = Path(f"/tmp/rk-e2e-sd.{os.getpid()}.{net}")  # short: api.sock must fit
    hport, cport = free_port(), free_port()
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": str(tmp_path),
           "SERVER": SERVER, "LANG": "C.UTF-8"}
    publish = "api" if port_driver == "builtin" else "implicit"
    out = open(tmp_path / "out", "w+")
    p = subprocess.Popen([str(bin_dir / "rootlesskit"), *flags(state_dir, net, port_driver),
                          "sh", "-c", CHILD, "child", str(bin_dir / "rootlessctl"), str(hport),
                          str(cport), publish],
                         env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        def output():
            out.seek(0)
            return out.read()
        wait_until(lambda: "ready\n" in output() or p.poll() is not None, TIMEOUT, "the stand-in")
        text = output()
        assert p.poll() is None, text
        lines = dict(line.split(" ", 1) for line in text.splitlines() if " " in line)
        # the command stays in the host's netns; the server runs in the detached one
        assert lines["netns"] == os.readlink("/proc/self/ns/net"), text
        assert lines["inner"] != lines["netns"], text
        assert lines["ip_forward"] == "1", text
        want_port = hport if publish == "api" else cport
        if publish == "api":
            assert lines["published"] == "0 1 ", text
            r = subprocess.run([str(bin_dir / "rootlessctl"), "--socket",
                                f"{state_dir}/api.sock", "list-ports", "--json"],
                               capture_output=True, text=True, timeout=TIMEOUT)
            assert r.stdout == ('{"id":1,"spec":{"proto":"tcp","parentIP":"127.0.0.1",'
                                f'"parentPort":{hport},"childPort":{cport}}}}}\n'), r
        assert wait_until(lambda: ask(want_port), 15, "the published port") == \
            "from the detached netns\n"
        procs = descendants(p.pid)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=TIMEOUT)
        wait_until(lambda: not any(alive(x) for x in procs), TIMEOUT, "every process to end")
        assert not state_dir.exists()
        assert ask(want_port) is None
        assert not os.path.exists("/etc/e2e-copied-up")  # copy-up stayed in the namespace
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        out.close()
        time.sleep(0)
