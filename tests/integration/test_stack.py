"""The built-in network stack, --net=gvisor-tap-vsock (SPEC §7.7, §8.4; libslirp in a
thread of the parent): TCP, UDP, DNS and ICMP from the child to the bed's addresses, the
address plan, host loopback at the gateway, 169.254.169.254, --mtu/--cidr/--ifname, --ipv6,
--detach-netns through nsenter, DNS over the host's name servers (fail-over, changes of
resolv.conf), both port drivers on it, no helper process, data integrity through the
stack's corking and ACK coalescing, and faults (garbage frames, a deleted tap, a flood).

Traffic goes only to the bed's addresses and to loopback.
"""

import hashlib
import os
import re
import socket
import subprocess
import textwrap
import threading
import time

import pytest

from conftest import RK_BIN, RK_CTL_BIN, assert_single_error, rk, rk_ok, require_tool, wait_until
from portutil import (free_port, go_rootlessctl, probe, rk_runs, spec_dict, tcp_ask,
                      udp_ask)
from test_network import CLIENT, Server, loopback_server, server, sh  # noqa: F401 (fixtures)

pytestmark = pytest.mark.not_in_ref("the built-in network stack (upstream v3)")

NET = ["--net=gvisor-tap-vsock"]
GW_MAC = "5a:94:ef:e4:0c:dd"


def env_client():
    return {**os.environ, "CLIENT": CLIENT}


@pytest.fixture
def start_rk(bg, tmp_path):
    yield from rk_runs(bg, tmp_path)


@pytest.fixture(autouse=True)
def _tools():
    for t in ("ip", "nsenter", "python3", "ping", "getent"):
        require_tool(t)


# --------------------------------------------------------------------------
# connectivity and the address plan
# --------------------------------------------------------------------------

@pytest.mark.parametrize("detach", [False, True], ids=["attached", "detached"])
def test_tcp_udp_dns(detach, netbed, server, state_dir):
    off = netbed.dns_log_size()
    args = NET + ["--copy-up=/etc", f"--state-dir={state_dir}"]
    script = [f"python3 -c \"$CLIENT\" tcp {netbed.addr4} {server.port} 3",
              f"python3 -c \"$CLIENT\" udp {netbed.addr4} {server.port} 3",
              f"getent ahostsv4 {netbed.dns_name} | head -n 1"]
    if detach:
        args.append("--detach-netns")
        script = [f'nsenter --net="$ROOTLESSKIT_STATE_DIR/netns" {c}' for c in script]
        script.append('test "$(readlink /proc/self/ns/net)" = "$HOST_NETNS"')
    r = rk_ok(*args, *sh(*script),
              env={**env_client(), "HOST_NETNS": os.readlink("/proc/self/ns/net")})
    lines = r.stdout.splitlines()
    assert lines[:2] == ["ok echo:hi", "ok echo:hi"], str(r)
    # detached, the command keeps the host's resolv.conf (the bed's server, through the stack)
    assert lines[2].split()[0] == netbed.addr4, str(r)
    netbed.wait_dns_query(netbed.dns_name, off)
    assert not state_dir.exists()


def test_address_plan_and_files(netbed, state_dir):
    r = rk_ok(*NET, "--copy-up=/etc", f"--state-dir={state_dir}",
              *sh("ip -o -4 addr show tap0", "echo ---", "ip route", "echo ---",
                  "cat /etc/resolv.conf", "echo ---", "ip -o link show tap0", "echo ---",
                  "ping -c 1 -W 3 10.0.2.1 >/dev/null", "ip neigh show 10.0.2.1"))
    addr, route, resolv, link, neigh = r.stdout.split("---\n")
    assert "inet 10.0.2.100/24" in addr, str(r)
    assert re.search(r"^default via 10\.0\.2\.1 dev tap0", route, re.M), str(r)
    assert resolv == "nameserver 10.0.2.1\n", str(r)
    assert " mtu 65520 " in link, str(r)
    assert f"lladdr {GW_MAC}" in neigh, str(r)
    assert "experimental" in r.stderr, str(r)


def test_mtu_cidr_ifname(netbed, server, loopback_server):
    r = rk_ok(*NET, "--mtu=1500", "--cidr=10.0.3.0/24", "--ifname=rk7",
              *sh("ip -o link show rk7", "ip -o -4 addr show rk7", "ip route",
                  'cat "$ROOTLESSKIT_STATE_DIR/resolv.conf"',
                  f"python3 -c \"$CLIENT\" tcp {netbed.addr4} {server.port} 3",
                  f"python3 -c \"$CLIENT\" tcp 10.0.3.1 {loopback_server.port} 3"),
              env=env_client())
    assert " mtu 1500 " in r.stdout, str(r)
    assert "inet 10.0.3.100/24" in r.stdout, str(r)
    assert "default via 10.0.3.1 dev rk7" in r.stdout, str(r)
    assert "nameserver 10.0.3.1" in r.stdout, str(r)
    # the host's loopback sits at this plan's gateway (upstream: at 10.0.2.1 only)
    assert r.stdout.count("ok echo:hi") == 2, str(r)


def test_ping(netbed):
    r = rk_ok(*NET, *sh(f"ping -c 1 -W 3 {netbed.addr4}", "ping -c 1 -W 3 10.0.2.1"))
    assert r.stdout.count("1 received") == 2, str(r)


@pytest.mark.parametrize("disable", [False, True], ids=["loopback", "no-loopback"])
def test_host_loopback(disable, loopback_server):
    args = NET + (["--disable-host-loopback"] if disable else [])
    p = loopback_server.port
    r = rk_ok(*args, *sh(f"python3 -c \"$CLIENT\" tcp 10.0.2.1 {p} 1",
                         f"python3 -c \"$CLIENT\" udp 10.0.2.1 {p} 1"), env=env_client())
    if disable:
        assert r.stdout.splitlines()[0].startswith("fail"), str(r)
        assert r.stdout.splitlines()[1].startswith("fail"), str(r)
    else:
        assert r.stdout.splitlines() == ["ok echo:hi", "ok echo:hi"], str(r)


def test_internal_alias_is_hidden(loopback_server):
    """libslirp's own host address (.2) is not part of the plan: nothing answers there."""
    r = rk_ok(*NET, *sh(f"python3 -c \"$CLIENT\" tcp 10.0.2.2 {loopback_server.port} 1",
                        "ping -c 1 -W 1 10.0.2.2 || true"), env=env_client())
    assert r.stdout.startswith("fail"), str(r)
    assert "0 received" in r.stdout, str(r)


def test_metadata_address(netbed):
    s = Server(netbed.metadata4)
    try:
        r = rk_ok(*NET, *sh(f"python3 -c \"$CLIENT\" tcp {netbed.metadata4} {s.port} 3"),
                  env=env_client())
    finally:
        s.close()
    assert r.stdout.strip() == "ok echo:hi", str(r)


# A DNS query over UDP or TCP from the child: `python3 -c DNSQ server name qtype udp|tcp`;
# prints the answer's RCODE and addresses.
DNSQ = textwrap.dedent(r"""
    import socket, struct, sys
    server, name, qtype, proto = sys.argv[1:5]
    qt = {"A": 1, "AAAA": 28}[qtype]
    q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    q += struct.pack(">HH", qt, 1)
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    if proto == "udp":
        s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(5)
        s.sendto(q, (server, 53)); a = s.recv(4096)
    else:
        s = socket.create_connection((server, 53), timeout=5)
        s.sendall(struct.pack(">H", len(q)) + q)
        n = struct.unpack(">H", s.recv(2))[0]; a = b""
        while len(a) < n: a += s.recv(n - len(a))
    assert a[:2] == b"\x42\x42"
    rcode, an = a[3] & 15, struct.unpack(">H", a[6:8])[0]
    i = len(q); out = []
    for _ in range(an):
        while a[i] != 0 and a[i] < 192: i += a[i] + 1
        i += 2 if a[i] >= 192 else 1
        t, _, _, ln = struct.unpack(">HHIH", a[i:i + 10]); i += 10
        if t in (1, 28): out.append(socket.inet_ntop(socket.AF_INET if t == 1 else socket.AF_INET6, a[i:i + ln]))
        i += ln
    print("rcode", rcode, *out)
""").strip()


def dns_cmd(server, name, qtype="A", proto="udp"):
    return f"python3 -c \"$DNSQ\" {server} {name} {qtype} {proto}"


def test_dns_udp_and_tcp(netbed):
    r = rk_ok(*NET, *sh(dns_cmd("10.0.2.1", netbed.dns_name),
                        dns_cmd("10.0.2.1", netbed.dns_name, proto="tcp"),
                        dns_cmd("10.0.2.1", "nope.example")),
              env={**os.environ, "DNSQ": DNSQ})
    assert r.stdout.splitlines() == [f"rcode 0 {netbed.addr4}", f"rcode 0 {netbed.addr4}",
                                     "rcode 3"], str(r)


def test_ipv6(netbed, loopback_server):
    if not netbed.addr6:
        pytest.fail("the bed has no IPv6 address")
    s6 = Server(netbed.addr6)
    lo6 = Server("::1")
    try:
        r = rk_ok(*NET, "--ipv6",
                  *sh("ip -o -6 addr show tap0 scope global", "ip -6 route show default",
                      'cat "$ROOTLESSKIT_STATE_DIR/resolv.conf"',
                      f"python3 -c \"$CLIENT\" tcp {netbed.addr6} {s6.port} 3",
                      f"python3 -c \"$CLIENT\" udp {netbed.addr6} {s6.port} 3",
                      f"python3 -c \"$CLIENT\" tcp fd00::1 {lo6.port} 3",
                      "ping -6 -c 1 -W 3 fd00::1 | grep -c '1 received'",
                      dns_cmd("fd00::1", netbed.dns_name, "AAAA")),
                  env={**env_client(), "DNSQ": DNSQ})
    finally:
        s6.close()
        lo6.close()
    out = r.stdout
    assert "inet6 fd00::100/64" in out, str(r)
    assert "default via fd00::1 dev tap0" in out, str(r)
    assert "nameserver 10.0.2.1\nnameserver fd00::1\n" in out, str(r)
    assert out.count("ok echo:hi") == 3, str(r)
    assert f"rcode 0 {netbed.addr6}" in out, str(r)
    assert "\n1\n" in out, str(r)


def test_no_helper_process_and_one_thread(bg, state_dir):
    b = bg([RK_BIN, *NET, f"--state-dir={state_dir}", "sleep", "30"])
    child = int(wait_until(lambda: (state_dir / "child_pid").exists() and
                           (state_dir / "child_pid").read_text(), 20, what="child_pid"))
    tasks = os.listdir(f"/proc/{b.pid}/task")
    kids = [int(x) for t in tasks
            for x in open(f"/proc/{b.pid}/task/{t}/children").read().split()]
    names = subprocess.run(["ps", "-eo", "comm"], capture_output=True, text=True).stdout.split()
    b.signal(15)
    b.wait()
    assert kids == [child], kids
    assert len(tasks) == 2, tasks          # the main loop and the stack's thread
    assert "slirp4netns" not in names and "pasta" not in names and "passt" not in names


def _maps_libslirp(pid):
    with open(f"/proc/{pid}/maps") as f:
        return "libslirp" in f.read()


@pytest.mark.parametrize("net", ["gvisor-tap-vsock", "slirp4netns", "none"])
def test_libslirp_mapped_only_for_the_builtin_stack(bg, state_dir, net):
    """libslirp (and glib with it) is dlopen'ed by --net=gvisor-tap-vsock alone: linked in, it
    cost every run about 1.1 MiB of the parent's RSS (src/net/slirpdl.c)."""
    if net == "slirp4netns":
        require_tool("slirp4netns")
    b = bg([RK_BIN, f"--net={net}", f"--state-dir={state_dir}", "sleep", "30"])
    wait_until(lambda: (state_dir / "child_pid").exists(), 20, what="child_pid")
    mapped = _maps_libslirp(b.pid)
    b.signal(15)
    b.wait()
    assert mapped == (net == "gvisor-tap-vsock")


# --------------------------------------------------------------------------
# DNS: the host's name servers, in order, as the host's resolver
# --------------------------------------------------------------------------

def resolve_times(netbed, n=1):
    """rootlesskit resolving the bed's name n times; (stdout lines, seconds per lookup)."""
    script = [f'a=$(date +%s%N); getent ahostsv4 {netbed.dns_name} | head -n 1 || echo none; '
              f'echo "ms $(( ($(date +%s%N) - a) / 1000000 ))"'] * n
    r = rk_ok(*NET, "--copy-up=/etc", *sh(*script))
    lines = r.stdout.splitlines()
    return [ln for ln in lines if not ln.startswith("ms ")], \
        [int(ln.split()[1]) for ln in lines if ln.startswith("ms ")], r


def test_dns_fails_over_from_a_refusing_server(netbed):
    with netbed.resolv_conf(f"nameserver {netbed.dead_dns4}\nnameserver {netbed.addr4}\n"):
        got, ms, r = resolve_times(netbed)
    assert got[0].split()[0] == netbed.addr4, str(r)
    assert ms[0] < 2000, str(r)


def test_dns_fails_over_from_a_silent_server(netbed):
    with netbed.resolv_conf(f"nameserver {netbed.blackhole4}\nnameserver {netbed.addr4}\n"):
        got, ms, r = resolve_times(netbed)
    assert got[0].split()[0] == netbed.addr4, str(r)
    assert 900 <= ms[0] < 4000, str(r)


def test_dns_all_servers_refuse(netbed):
    with netbed.resolv_conf(f"nameserver {netbed.dead_dns4}\n"):
        r = rk_ok(*NET, *sh(dns_cmd("10.0.2.1", netbed.dns_name)),
                  env={**os.environ, "DNSQ": DNSQ})
    assert r.stdout.strip() == "rcode 2", str(r)      # SERVFAIL at once


def test_dns_follows_resolv_conf_changes(netbed, bg, tmp_path):
    go = tmp_path / "go"
    script = sh(dns_cmd("10.0.2.1", netbed.dns_name), "echo first",
                f"while [ ! -e {go} ]; do sleep 0.05; done",
                dns_cmd("10.0.2.1", netbed.dns_name))
    with netbed.resolv_conf(f"nameserver {netbed.addr4}\n"):
        b = bg([RK_BIN, *NET, *script], env={**os.environ, "DNSQ": DNSQ})
        b.wait_stdout(r"^first$")
        with netbed.resolv_conf(f"nameserver {netbed.dead_dns4}\n"):
            time.sleep(1.2)   # the forwarder looks at resolv.conf at most once a second
            go.touch()
            r = b.result()
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == [f"rcode 0 {netbed.addr4}", "first", "rcode 2"], str(r)


# --------------------------------------------------------------------------
# port drivers on the stack
# --------------------------------------------------------------------------

ANY80 = ("tcp:0.0.0.0:80", "udp:0.0.0.0:80")


def test_api_info_and_port_driver(start_rk):
    rk_ = start_rk(net="gvisor-tap-vsock", extra=["--port-driver=gvisor-tap-vsock"],
                   server_args=ANY80)
    info = rk_.api.info()
    assert info["networkDriver"] == {"driver": "gvisor-tap-vsock", "dns": ["10.0.2.1"],
                                     "childIP": "10.0.2.100"}, info
    assert info["portDriver"] == {"driver": "gvisor-tap-vsock",
                                  "protos": ["tcp", "tcp4", "udp", "udp4"],
                                  "disallowLoopbackChildIP": True}, info
    p1, p2 = free_port(), free_port()
    assert rk_.api.add_ok(**spec_dict("tcp", "127.0.0.1", p1, 80)) == 1
    assert rk_.api.add_ok(**spec_dict("udp", "127.0.0.1", p2, 80)) == 2
    assert tcp_ask("127.0.0.1", p1, "WHO") == "10.0.2.100 80"
    assert tcp_ask("127.0.0.1", p1, "PEER").split()[0] == "10.0.2.1"   # source not kept
    assert udp_ask("127.0.0.1", p2, "hello") == "echo:hello"
    ports = rk_.api.ports()
    assert [p["id"] for p in ports] == [1, 2], ports
    assert ports[0]["spec"] == {"proto": "tcp", "parentIP": "127.0.0.1", "parentPort": p1,
                                "childIP": "10.0.2.100", "childPort": 80}, ports
    rk_.api.remove(1)
    assert probe("tcp", "127.0.0.1", p1)[0] == "refused"
    r = rk_.api.request("DELETE", "/v1/ports/9")
    assert r.status == 400 and r.message() == "unknown port id: 9", r


def test_port_driver_errors(start_rk):
    rk_ = start_rk(net="gvisor-tap-vsock", extra=["--port-driver=gvisor-tap-vsock"],
                   server_args=ANY80)
    p = free_port()
    rk_.api.add_ok(**spec_dict("tcp", "127.0.0.1", p, 80))
    r = rk_.api.add(spec_dict("tcp", "127.0.0.1", p, 81), status=400)
    assert r.message() == ("failed to expose port: expose request failed with status 500: "
                           "proxy already running\n"), r
    # no conflict check between specs: the second listener's bind tells
    r = rk_.api.add(spec_dict("tcp", "0.0.0.0", p, 81), status=400)
    assert r.message() == ("failed to expose port: expose request failed with status 500: "
                           f"listen tcp 0.0.0.0:{p}: bind: address already in use\n"), r
    r = rk_.api.add(spec_dict("sctp", "127.0.0.1", free_port(), 80), status=400)
    assert r.message() == "unsupported protocol: sctp", r
    # an IPv6 parent address: Go's text for upstream's "%s:%d" (libslirp 4.7 cannot forward
    # IPv6 to the child's IPv4 address either)
    q = free_port()
    r = rk_.api.add(spec_dict("tcp", "::1", q, 80), status=400)
    assert r.message() == ("failed to expose port: expose request failed with status 500: "
                           f"listen tcp: address ::1:{q}: too many colons in address\n"), r
    # tcp6 is taken as tcp (upstream's prefix check)
    rk_.api.add_ok(**spec_dict("tcp6", "127.0.0.1", q, 80))
    assert tcp_ask("127.0.0.1", q, "WHO") == "10.0.2.100 80"
    assert [x["id"] for x in rk_.api.ports()] == [1, 2]
    assert rk_.alive()


def test_port_driver_publish_and_both_families(start_rk):
    p = free_port()
    rk_ = start_rk(net="gvisor-tap-vsock",
                   extra=["--port-driver=gvisor-tap-vsock", f"--publish=:{p}:80/tcp"],
                   server_args=ANY80)
    assert tcp_ask("127.0.0.1", p, "WHO") == "10.0.2.100 80"
    assert probe("tcp", "::1", p)[0] != "ok"   # IPv4 only without --ipv6 (libslirp 4.7)
    # ours and the Go rootlessctl (Debian's 1.1.0) list it the same way
    for ctl in (RK_CTL_BIN, go_rootlessctl()):
        out = subprocess.run([ctl, f"--socket={rk_.state_dir}/api.sock", "list-ports"],
                             capture_output=True, text=True, timeout=10)
        assert re.search(rf"^1\s+tcp\s+{p}\s+10\.0\.2\.100\s+80\s*$", out.stdout, re.M), out


def test_builtin_port_driver_on_the_stack(start_rk):
    rk_ = start_rk(net="gvisor-tap-vsock")
    p = free_port()
    assert rk_.api.add_ok(**spec_dict("tcp", "127.0.0.1", p, 80)) == 1
    assert tcp_ask("127.0.0.1", p, "WHO") == "127.0.0.1 80"
    assert rk_.api.info()["portDriver"]["driver"] == "builtin"
    assert [x["id"] for x in rk_.api.ports()] == [1]
    rk_.api.remove(1)
    assert not rk_.api.ports()      # Go encodes the empty list as null
    assert probe("tcp", "127.0.0.1", p)[0] == "refused"


def test_port_driver_with_ipv6(start_rk):
    """With --ipv6 the child has fd00::100: "" listens on IPv6 too, forwarding to it."""
    p = free_port()
    rk_ = start_rk(net="gvisor-tap-vsock",
                   extra=["--ipv6", "--port-driver=gvisor-tap-vsock", f"--publish=:{p}:80/tcp"],
                   server_args=("tcp:0.0.0.0:80", "tcp:::0:80"))
    assert tcp_ask("127.0.0.1", p, "WHO") == "10.0.2.100 80"
    assert tcp_ask("::1", p, "WHO") == "fd00::100 80"
    q = free_port()
    rk_.api.add_ok(**spec_dict("tcp", "::1", q, 80, "fd00::100"))
    assert tcp_ask("::1", q, "WHO") == "fd00::100 80"


def test_port_driver_needs_the_stack(rk_tmpdir, state_dir):
    r = rk("--net=slirp4netns", "--port-driver=gvisor-tap-vsock", "true")
    assert r.returncode == 1
    assert_single_error(r, "port driver requires gvisor-tap-vsock network")


@pytest.mark.parametrize("args,msg", [
    (["--mtu=67"], "mtu must be >= 68 for --net=gvisor-tap-vsock, got 67"),
    (["--cidr=fd00::/64"], "expected IPv4 address, got fd00::"),
    (["--cidr=10.0.2.0"], "invalid CIDR address: 10.0.2.0"),
])
def test_bad_flags(args, msg, rk_tmpdir, state_dir):
    r = rk(*NET, *args, "true")
    assert r.returncode == 1
    assert_single_error(r, msg)


# --------------------------------------------------------------------------
# data integrity through corking and ACK coalescing
# --------------------------------------------------------------------------

# `python3 -c SINK port`: accepts connections on 0.0.0.0:port, prints "sha <hex> <bytes>" for
# each when it ends; "ready" once listening.
SINK = textwrap.dedent(r"""
    import hashlib, socket, sys, threading
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(64)
    print("ready", flush=True)
    def one(c):
        h, n = hashlib.sha256(), 0
        while True:
            b = c.recv(1 << 20)
            if not b: break
            h.update(b); n += len(b)
        print("sha", h.hexdigest(), n, flush=True); c.close()
    while True:
        c, _ = s.accept(); threading.Thread(target=one, args=(c,)).start()
""").strip()

# `python3 -c SEND host port nbytes seed nconn`: nconn connections, each sends nbytes of a
# seeded pseudo-random stream; prints "sent <hex>" per connection.
SEND = textwrap.dedent(r"""
    import hashlib, random, socket, sys, threading
    host, port, n, seed, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    def one(i):
        r = random.Random(seed + i); h = hashlib.sha256(); left = n
        c = socket.create_connection((host, port), timeout=30)
        while left:
            b = r.randbytes(min(left, 1 << 16)); h.update(b); c.sendall(b); left -= len(b)
        c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
        print("sent", h.hexdigest(), flush=True)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(k)]
    [t.start() for t in ts]; [t.join() for t in ts]
""").strip()


def sink_on_bed(addr):
    """A sink on the bed: returns (port, results list, closer)."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, 0))
    ls.listen(64)
    got = []

    def one(c):
        h, n = hashlib.sha256(), 0
        with c:
            while True:
                b = c.recv(1 << 20)
                if not b:
                    break
                h.update(b)
                n += len(b)
        got.append((h.hexdigest(), n))

    def loop():
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            threading.Thread(target=one, args=(c,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
    return ls.getsockname()[1], got, ls.close


@pytest.mark.parametrize("mtu", [1500, 65520])
def test_child_to_host_streams_arrive_intact(mtu, netbed):
    port, got, close = sink_on_bed(netbed.addr4)
    n, k = 24 << 20, 4
    try:
        r = rk_ok(*NET, f"--mtu={mtu}", "python3", "-c", SEND, netbed.addr4, str(port),
                  str(n), "7", str(k), timeout=120)
        wait_until(lambda: len(got) == k, 30, what="every stream at the sink")
    finally:
        close()
    sent = sorted(ln.split()[1] for ln in r.stdout.splitlines())
    assert sorted(h for h, _ in got) == sent, (got, r)
    assert all(b == n for _, b in got), got


def test_host_to_child_streams_arrive_intact(bg, state_dir):
    p = free_port()
    b = bg([RK_BIN, *NET, "--port-driver=gvisor-tap-vsock", f"--publish=127.0.0.1:{p}:9000/tcp",
            f"--state-dir={state_dir}", "python3", "-c", SINK, "9000"])
    b.wait_stdout(r"^ready$")
    r = subprocess.run(["python3", "-c", SEND, "127.0.0.1", str(p), str(16 << 20), "11", "4"],
                       capture_output=True, text=True, timeout=120)
    sent = sorted(ln.split()[1] for ln in r.stdout.splitlines())
    wait_until(lambda: len(re.findall(r"^sha ", b.stdout(), re.M)) == 4, 30, what="4 streams")
    got = sorted(m.group(1) for m in re.finditer(r"^sha (\w+) (\d+)$", b.stdout(), re.M))
    assert len(sent) == 4 and got == sent, (r, b.stdout())


# --------------------------------------------------------------------------
# faults: garbage frames, a deleted tap, a flood
# --------------------------------------------------------------------------

# `python3 -c GARBAGE n`: n frames on tap0 through an AF_PACKET socket: random bytes, and
# headers cut short or inconsistent, to the gateway, the alias and elsewhere.
GARBAGE = textwrap.dedent(r"""
    import random, socket, struct, sys
    r = random.Random(5)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind(("tap0", 0))
    dst, src = bytes.fromhex("5a94efe40cdd"), bytes.fromhex("020000000001")
    def ip4(d, proto, body, ihl=5, tot=None):
        h = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, tot if tot is not None else 20 + len(body),
                        0, 0, 64, proto, 0, bytes([10, 0, 2, 100]), bytes(d))
        return h + body
    kinds = [
        lambda: bytes(r.getrandbits(8) for _ in range(r.randrange(0, 1600))),
        lambda: dst + src + b"\x08\x00" + ip4([10, 0, 2, r.choice([1, 2, 3])], r.choice([1, 6, 17]),
                    bytes(r.getrandbits(8) for _ in range(r.randrange(0, 60))),
                    ihl=r.randrange(0, 16), tot=r.randrange(0, 65536)),
        lambda: dst + src + b"\x86\xdd" + bytes(r.getrandbits(8) for _ in range(r.randrange(0, 80))),
        lambda: dst + src + b"\x08\x06" + bytes(r.getrandbits(8) for _ in range(r.randrange(0, 40))),
        lambda: dst + src + b"\x08\x00" + ip4([10, 0, 2, 1], 17, struct.pack(">HHHH", 1234, 53, r.randrange(0, 65536), 0) + bytes(r.randrange(0, 40))),
    ]
    n = int(sys.argv[1])
    for i in range(n):
        f = r.choice(kinds)()
        try:
            s.send(f)
        except OSError:
            pass
    print("sent", n)
""").strip()


def test_garbage_frames(netbed, server):
    r = rk_ok(*NET, *sh("python3 -c \"$GARBAGE\" 20000",
                        f"python3 -c \"$CLIENT\" tcp {netbed.addr4} {server.port} 3",
                        "ping -c 1 -W 3 10.0.2.1 | grep -c '1 received'"),
              env={**env_client(), "GARBAGE": GARBAGE}, timeout=120)
    assert r.stdout.splitlines() == ["sent 20000", "ok echo:hi", "1"], str(r)
    noise = [ln for ln in r.stderr.splitlines() if "built-in network" in ln]
    assert len(noise) <= 3, r.stderr          # logged once per kind, then only counted


def test_tap_deleted_while_running(bg, state_dir):
    b = bg([RK_BIN, *NET, f"--state-dir={state_dir}",
            *sh("ip link del tap0", "echo deleted", "sleep 3", "echo done")])
    b.wait_stdout(r"^deleted$")
    with open(f"/proc/{b.pid}/stat") as f:
        t0 = sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:13])
    time.sleep(2)
    with open(f"/proc/{b.pid}/stat") as f:
        t1 = sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:13])
    r = b.result()
    assert r.returncode == 0 and r.stdout.splitlines() == ["deleted", "done"], str(r)
    assert t1 - t0 < 50, f"the parent used {t1 - t0} ticks in 2 s with the tap gone"


def test_udp_flood(netbed, server):
    flood = ("import socket, time\n"
             "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
             "end = time.time() + 2\n"
             "while time.time() < end:\n"
             "    for p in (9, 53, 4444):\n"
             "        try: s.sendto(b'x' * 1200, ('10.0.2.1', p))\n"
             "        except OSError: pass\n")
    r = rk_ok(*NET, *sh(f"python3 -c \"{flood}\"",
                        f"python3 -c \"$CLIENT\" tcp {netbed.addr4} {server.port} 3"),
              env=env_client(), timeout=60)
    assert r.stdout.strip() == "ok echo:hi", str(r)
