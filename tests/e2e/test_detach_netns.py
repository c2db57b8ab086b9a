# SPDX-License-Identifier: Apache-2.0
"""Current rootless Docker (v29.5+) starts rootlesskit with exactly this flag set:

  --state-dir=DIR --net=NET --mtu=65520 --slirp4netns-sandbox=auto --slirp4netns-seccomp=auto
  --disable-host-loopback --port-driver=builtin --copy-up=/etc --copy-up=/run
  --propagation=rslave --detach-netns

(port driver implicit for pasta), and its script's child then runs `nsenter
-n$ROOTLESSKIT_STATE_DIR/netns sysctl -w net.ipv4.ip_forward=1` before exec'ing dockerd, which
works in the detached netns itself and publishes ports through the API. Docker 20.10's dockerd
cannot run that way, so a stand-in does what that child and dockerd do: the script's steps
(/run clean-up, the /etc/ssl bind mount, the sysctls through nsenter), then, inside the
detached netns, what dockerd does for `docker run -p PORT:80` with its API client (moby's
rlkclient: info, then one POST per address family) and listens where it said it would.
"""

import os
import socket
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import TIMEOUT, free_port, recv_line, sigterm_and_check_gone, wait_until

STACKS = [
    pytest.param(("slirp4netns", "builtin"), id="slirp4netns"),
    pytest.param(("gvisor-tap-vsock", "builtin"), id="gvisor-tap-vsock"),
    pytest.param(("pasta", "implicit"), id="pasta"),
]

# the stand-in for dockerd-rootless.sh's child (as of Docker v29.5), then for dockerd
CHILD = textwrap.dedent(r"""
    set -eu
    rm -f /run/docker /run/containerd /run/xtables.lock
    if [ "$(stat -c %T -f /etc)" = tmpfs ] && [ -L /etc/ssl ]; then
        real=$(realpath /etc/ssl); rm -rf /etc/ssl; mkdir -p /etc/ssl; mount --rbind "$real" /etc/ssl
    fi
    nsenter -n"$ROOTLESSKIT_STATE_DIR/netns" sysctl -w net.ipv4.ip_forward=1 >/dev/null
    nsenter -n"$ROOTLESSKIT_STATE_DIR/netns" sysctl -w net.ipv6.conf.all.forwarding=1 \
        >/dev/null || true
    touch /etc/e2e-copied-up /run/e2e-copied-up
    echo "netns $(readlink /proc/self/ns/net)"
    echo "ssl $(ls /etc/ssl | head -c 200 | tr '\n' ' ')"
    exec nsenter -n"$ROOTLESSKIT_STATE_DIR/netns" python3 -c "$SERVER" "$@"
""")

# dockerd v28+ for `-p PORT:80` in the detached netns: its API client (moby's rlkclient) asks
# /v1/info, then publishes tcp4 0.0.0.0 -> 127.0.0.1 and tcp6 :: -> ::1 (child port = host
# port) and listens there itself; with pasta (no port driver) it listens on 0.0.0.0 and pasta
# forwards. Prints what it did; serves "<address it answered on>".
SERVER = textwrap.dedent(r"""
    import json, os, selectors, socket, sys
    sock, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]

    def api(method, path, body=None):
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        data = json.dumps(body).encode() if body is not None else b""
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: rootlesskit\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                  "Connection: close\r\n\r\n".encode() + data)
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
        head, _, rest = raw.partition(b"\r\n\r\n")
        return int(head.split()[1]), rest.decode()

    print("inner", os.readlink("/proc/self/ns/net"), flush=True)
    print("ip_forward", open("/proc/sys/net/ipv4/ip_forward").read().strip(), flush=True)
    sel = selectors.DefaultSelector()
    binds = [("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)]
    if mode == "implicit":
        binds = [("0.0.0.0", socket.AF_INET)]
    for host, fam in binds:
        l = socket.socket(fam)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((host, port))
        l.listen(16)
        sel.register(l, selectors.EVENT_READ)
    if mode == "api":
        st, info = api("GET", "/v1/info")
        protos = json.loads(info)["portDriver"]["protos"]
        print("protos", " ".join(protos), flush=True)
        for proto, pip, cip in (("tcp4", "0.0.0.0", "127.0.0.1"), ("tcp6", "::", "::1")):
            st, body = api("POST", "/v1/ports", {"proto": proto, "parentIP": pip,
                                                 "parentPort": port, "childIP": cip,
                                                 "childPort": port})
            print("published", proto, st, body, flush=True)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            c, _ = key.fileobj.accept()
            c.sendall(f"from the detached netns {c.getsockname()[0]}\n".encode())
            c.close()
""")


def flags(state_dir, net, port_driver):
    return [f"--state-dir={state_dir}", f"--net={net}", "--mtu=65520",
            "--slirp4netns-sandbox=auto", "--slirp4netns-seccomp=auto",
            "--disable-host-loopback", f"--port-driver={port_driver}", "--copy-up=/etc",
            "--copy-up=/run", "--propagation=rslave", "--detach-netns"]


def ask(host, port):
    try:
        with socket.create_connection((host, port), timeout=3) as s:
            return recv_line(s, timeout=3)
    except OSError:
        return None


@pytest.mark.parametrize("stack", STACKS)
def test_docker_v29_flag_set(stack, bin_dir, tmp_path):
    net, port_driver = stack
    state_dir = Path(f"/tmp/rk-e2e-sd.{os.getpid()}.{net}")  # short: api.sock must fit
    port = free_port()
    addr4 = os.environ["RK_TEST_ADDR4"]
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": str(tmp_path),
           "SERVER": SERVER, "LANG": "C.UTF-8"}
    mode = "api" if port_driver == "builtin" else "implicit"
    ctl = [str(bin_dir / "rootlessctl"), "--socket", f"{state_dir}/api.sock"]
    out = open(tmp_path / "out", "w+")
    p = subprocess.Popen([str(bin_dir / "rootlesskit"), *flags(state_dir, net, port_driver),
                          "sh", "-c", CHILD, "child", f"{state_dir}/api.sock", str(port), mode],
                         env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        def output():
            out.seek(0)
            return out.read()
        wait_until(lambda: "ready\n" in output() or p.poll() is not None, TIMEOUT,
                   interval=0.1, what="the stand-in")
        text = output()
        assert p.poll() is None, text
        lines = {}
        for line in text.splitlines():
            k, _, v = line.partition(" ")
            lines.setdefault(k, []).append(v)
        # the command stays in the host's netns; the "daemon" works in the detached one
        assert lines["netns"] == [os.readlink("/proc/self/ns/net")], text
        assert lines["inner"] != lines["netns"], text
        assert lines["ip_forward"] == ["1"], text
        assert "certs" in lines["ssl"][0], text  # the script's /etc/ssl bind mount worked
        hosts = ["127.0.0.1", addr4, "::1"]
        if mode == "api":
            assert lines["protos"] == ["tcp tcp4 tcp6 udp udp4 udp6"], text
            assert lines["published"] == [
                f'tcp4 201 {{"id":1,"spec":{{"proto":"tcp4","parentIP":"0.0.0.0",'
                f'"parentPort":{port},"childPort":{port},"childIP":"127.0.0.1"}}}}',
                f'tcp6 201 {{"id":2,"spec":{{"proto":"tcp6","parentIP":"::",'
                f'"parentPort":{port},"childPort":{port},"childIP":"::1"}}}}'], text
            r = subprocess.run([*ctl, "list-ports"], capture_output=True, text=True,
                               timeout=TIMEOUT)
            assert r.returncode == 0 and len(r.stdout.splitlines()) == 3, r
        else:
            # pasta runs --ipv4-only without --ipv6. Debian 12's passt (2023-03, older than the
            # 2023-12-04 Docker asks for with pasta) leaves a connection from a non-loopback
            # host address to a socket in the namespace half-open (SYN-RECV there, with or
            # without --detach-netns and --disable-host-loopback), so only 127.0.0.1 is checked.
            hosts = ["127.0.0.1"]
        for host in hosts:
            want = "127.0.0.1" if ":" not in host else "::1"
            if mode == "implicit":
                want = None
            got = wait_until(lambda: ask(host, port), 15, interval=0.1, what=f"{host}:{port}")
            assert got.startswith("from the detached netns"), got
            if want:
                assert got == f"from the detached netns {want}", got
        if mode == "api":  # the container goes: dockerd removes its ports
            r = subprocess.run([*ctl, "remove-ports", "1", "2"], capture_output=True,
                               text=True, timeout=TIMEOUT)
            assert r.stdout == "1\n2\n", r
            for host in hosts:
                assert ask(host, port) is None
        sigterm_and_check_gone(p, state_dir)
        assert ask("127.0.0.1", port) is None
        assert not os.path.exists("/etc/e2e-copied-up")  # copy-up stayed in the namespace
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        out.close()
