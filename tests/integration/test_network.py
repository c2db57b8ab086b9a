"""Network drivers (SPEC §4.4, §4.5, §7): none, slirp4netns, pasta, lxc-user-nic,
with and without --detach-netns, run for real in the network test bed
(conftest.py "Network test bed"): TCP, UDP, DNS and ICMP from the child to the
bed's addresses, the address plan, MTU/CIDR/ifname, IPv6, host loopback,
network-namespaced operations, resolv.conf/hosts, and the faults of the
external programs (missing, too old, failing, killed while running).

Traffic goes only to the bed's addresses and to loopback.
"""

import os
import re
import signal
import socket
import stat
import subprocess
import textwrap
import threading
import time

import pytest

from conftest import (RK_BIN, TIMEOUT, assert_error, assert_nothing_left, assert_single_error,
                      rk, rk_ok, require_tool, wait_child_pid, wait_until)

pytestmark = pytest.mark.not_in_ref("network drivers of this implementation")

# Per driver: the flags, the expected device and whether it has a fixed address plan.
DRIVERS = {
    "slirp4netns": ["--net=slirp4netns", "--disable-host-loopback"],
    "pasta": ["--net=pasta", "--disable-host-loopback"],
    "lxc-user-nic": ["--net=lxc-user-nic"],
}


def driver_args(driver, netbed):
    args = list(DRIVERS[driver])
    if driver == "lxc-user-nic":
        args.append(f"--lxc-user-nic-bridge={netbed.bridge}")
    return args


@pytest.fixture(autouse=True)
def _tools(request):
    for t in ("slirp4netns", "pasta", "ip", "nsenter", "python3"):
        require_tool(t)
    if not os.path.exists("/usr/libexec/lxc/lxc-user-nic"):
        require_tool("lxc-user-nic")


# --------------------------------------------------------------------------
# servers in the bed
# --------------------------------------------------------------------------

class Server:
    """TCP and UDP echo servers on one address of the bed; stopped at teardown."""

    def __init__(self, addr):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self.addr = addr
        self.tcp = socket.socket(fam, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((addr, 0))
        self.tcp.listen(16)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(fam, socket.SOCK_DGRAM)
        self.udp.bind((addr, self.port))
        self.peers = []
        self.stop = False
        self.threads = [threading.Thread(target=self._tcp, daemon=True),
                        threading.Thread(target=self._udp, daemon=True)]
        for t in self.threads:
            t.start()

    def _tcp(self):
        self.tcp.settimeout(0.2)
        while not self.stop:
            try:
                c, peer = self.tcp.accept()
            except (socket.timeout, OSError):
                continue
            self.peers.append(peer[0])
            with c:
                c.settimeout(5)
                try:
                    data = c.recv(4096)
                    c.sendall(b"echo:" + data)
                except OSError:
                    pass

    def _udp(self):
        self.udp.settimeout(0.2)
        while not self.stop:
            try:
                data, peer = self.udp.recvfrom(4096)
            except (socket.timeout, OSError):
                continue
            self.udp.sendto(b"echo:" + data, peer)

    def close(self):
        self.stop = True
        for t in self.threads:
            t.join(2)
        self.tcp.close()
        self.udp.close()


@pytest.fixture
def server(netbed):
    s = Server(netbed.addr4)
    yield s
    s.close()


@pytest.fixture
def server6(netbed):
    if not netbed.addr6:
        pytest.fail("the bed has no IPv6 address")
    s = Server(netbed.addr6)
    yield s
    s.close()


@pytest.fixture
def loopback_server():
    s = Server("127.0.0.1")
    yield s
    s.close()


# The client run inside the child: `python3 -c CLIENT proto host port [tries]`; prints
# "ok <reply>" or "fail <error>".
CLIENT = textwrap.dedent("""
    import socket, sys, time
    proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tries = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    err = None
    for i in range(tries):
        try:
            if proto == "tcp":
                s = socket.create_connection((host, port), timeout=3)
                s.sendall(b"hi")
                print("ok", s.recv(100).decode())
            else:
                s = socket.socket(fam, socket.SOCK_DGRAM)
                s.settimeout(2)
                s.sendto(b"hi", (host, port))
                print("ok", s.recvfrom(100)[0].decode())
            sys.exit(0)
        except OSError as e:
            err = e
            time.sleep(0.5)
    print("fail", err)
""").strip()


def client_cmd(proto, host, port, tries=1):
    return f"python3 -c '{CLIENT}' {proto} {host} {port} {tries}"


def in_netns(cmd, detach):
    """`cmd` (shell) run where the driver's network is: directly, or through nsenter into
    STATE_DIR/netns with --detach-netns."""
    if not detach:
        return cmd
    return f'nsenter --net="$ROOTLESSKIT_STATE_DIR/netns" sh -c "{cmd}"'.replace("'", "'")


def sh(*lines):
    return ["sh", "-euc", "\n".join(lines)]


# --------------------------------------------------------------------------
# connectivity per driver, attached and detached
# --------------------------------------------------------------------------

@pytest.mark.parametrize("detach", [False, True], ids=["attached", "detached"])
@pytest.mark.parametrize("driver", list(DRIVERS))
def test_tcp_udp_dns(driver, detach, netbed, server, state_dir):
    require_tool("getent")
    off = netbed.dns_log_size()
    args = driver_args(driver, netbed) + ["--copy-up=/etc", f"--state-dir={state_dir}"]
    if detach:
        args.append("--detach-netns")
    script = [
        f"python3 -c \"$CLIENT\" tcp {netbed.addr4} {server.port} 3",
        f"python3 -c \"$CLIENT\" udp {netbed.addr4} {server.port} 3",
    ]
    if detach:
        # the command stays in the host's netns; the driver's network is behind nsenter
        script = [f'nsenter --net="$ROOTLESSKIT_STATE_DIR/netns" {c}' for c in script]
        script.append('test "$(readlink /proc/self/ns/net)" = "$HOST_NETNS"')
    else:
        script.append(f"getent ahostsv4 {netbed.dns_name} | head -n 1")
    r = rk_ok(*args, *sh(*script),
              env={**os.environ, "CLIENT": CLIENT,
                   "HOST_NETNS": os.readlink("/proc/self/ns/net")})
    lines = r.stdout.splitlines()
    assert lines[0] == "ok echo:hi" and lines[1] == "ok echo:hi", str(r)
    if not detach:
        assert lines[2].split()[0] == netbed.addr4, str(r)
        netbed.wait_dns_query(netbed.dns_name, off)
    assert not state_dir.exists()


@pytest.mark.parametrize("driver", list(DRIVERS))
def test_address_plan_and_files(driver, netbed, state_dir):
    """Interface, address, route, resolv.conf and hosts as SPEC §7.1 and §4.4 say."""
    r = rk_ok(*driver_args(driver, netbed), "--copy-up=/etc", f"--state-dir={state_dir}",
              *sh("ip -o -4 addr show", "echo ---", "ip route", "echo ---",
                  "cat /etc/resolv.conf", "echo ---", 'cat "$ROOTLESSKIT_STATE_DIR/resolv.conf"',
                  "echo ---", "tail -n 2 /etc/hosts", "echo ---", "ip -o link show",
                  "echo ---", "stat -c %a:%F /etc/resolv.conf /etc/hosts",
                  'test ! -e "$ROOTLESSKIT_STATE_DIR/netns" && echo no-netns-file'))
    addr, route, resolv, resolv_sd, hosts, links, modes = r.stdout.split("---\n")
    hostname = socket.gethostname()
    assert hosts.splitlines() == [f"127.0.0.1 {hostname}", f"::1 {hostname}"], str(r)
    assert resolv == resolv_sd, str(r)
    assert modes.splitlines()[:2] == ["644:regular file"] * 2, str(r)
    assert modes.splitlines()[-1] == "no-netns-file", str(r)
    if driver == "lxc-user-nic":
        m = re.search(r"eth0\s+inet (198\.18\.2\.\d+)/24", addr)
        assert m, str(r)
        assert re.search(r"default via 198\.18\.2\.1 dev eth0", route), str(r)
        assert resolv == "nameserver 198.18.0.1\n", str(r)
        assert re.search(r"eth0.* mtu 1500 ", links), str(r)
        last = int(m.group(1).rsplit(".", 1)[1])
        assert 100 <= last <= 199
    else:
        assert re.search(r"tap0\s+inet 10\.0\.2\.100/24", addr), str(r)
        assert re.search(r"default via 10\.0\.2\.2 dev tap0", route), str(r)
        assert resolv == "nameserver 10.0.2.3\n", str(r)
        assert re.search(r"tap0.* mtu 65520 ", links), str(r)


@pytest.mark.parametrize("driver", list(DRIVERS))
def test_mtu_cidr_ifname(driver, netbed):
    args = driver_args(driver, netbed) + ["--mtu=1400", "--ifname=rk7"]
    if driver != "lxc-user-nic":
        args.append("--cidr=10.0.3.0/24")
    r = rk_ok(*args, *sh("ip -o link show rk7", "ip -o -4 addr show rk7", "ip route",
                         'cat "$ROOTLESSKIT_STATE_DIR/resolv.conf"'))
    assert " mtu 1400 " in r.stdout, str(r)
    if driver != "lxc-user-nic":
        assert "inet 10.0.3.100/24" in r.stdout, str(r)
        assert "default via 10.0.3.2 dev rk7" in r.stdout, str(r)
        assert "nameserver 10.0.3.3" in r.stdout, str(r)


def test_ping(netbed, state_dir):
    """ICMP echo: slirp4netns and pasta with the bed's ping_group_range, lxc-user-nic
    routed by the kernel."""
    require_tool("ping")
    for driver in DRIVERS:
        r = rk_ok(*driver_args(driver, netbed), "ping", "-c", "1", "-W", "3", netbed.addr4)
        assert "1 received" in r.stdout, f"{driver}: {r}"


@pytest.mark.parametrize("driver", list(DRIVERS))
def test_netns_operations(driver, netbed, server):
    """The command is root in its own netns: an iptables rule and a veth pair work."""
    require_tool("iptables")
    r = rk_ok(*driver_args(driver, netbed), "--copy-up=/etc", "--copy-up=/run",
              *sh("ip link add rkva type veth peer name rkvb", "ip -o link show rkvb >/dev/null",
                  f"iptables -A OUTPUT -d {netbed.addr4} -p tcp -j REJECT",
                  f"python3 -c \"$CLIENT\" tcp {netbed.addr4} {server.port} 1"),
              env={**os.environ, "CLIENT": CLIENT})
    assert r.stdout.startswith("fail"), str(r)


@pytest.mark.parametrize("driver", ["slirp4netns", "pasta"])
@pytest.mark.parametrize("disable", [False, True], ids=["loopback", "no-loopback"])
def test_host_loopback(driver, disable, netbed, loopback_server):
    """The host's 127.0.0.1 is reachable at the gateway only without
    --disable-host-loopback."""
    args = ["--net=" + driver] + (["--disable-host-loopback"] if disable else [])
    r = rk_ok(*args, *sh(f"python3 -c \"$CLIENT\" tcp 10.0.2.2 {loopback_server.port} 1"),
              env={**os.environ, "CLIENT": CLIENT})
    if disable:
        assert r.stdout.startswith("fail"), str(r)
    else:
        assert r.stdout.strip() == "ok echo:hi", str(r)


@pytest.mark.parametrize("driver", ["slirp4netns", "pasta"])
def test_ipv6(driver, netbed, server6):
    r = rk_ok("--net=" + driver, "--disable-host-loopback", "--ipv6",
              *sh(f"python3 -c \"$CLIENT\" tcp {netbed.addr6} {server6.port} 10",
                  'cat "$ROOTLESSKIT_STATE_DIR/resolv.conf"'),
              env={**os.environ, "CLIENT": CLIENT})
    assert r.stdout.startswith("ok echo:hi"), str(r)
    if driver == "slirp4netns":
        assert "nameserver 10.0.2.3\nnameserver fd00::3\n" in r.stdout, str(r)


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return int(re.search(r"PPid:\s+(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return None


def _helper_cmdlines(name, parent):
    """argv of the processes called `name` whose parent is `parent` (other runs on the
    machine, e.g. a benchmark, must not count)."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or _ppid(p) != parent:
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0].decode(errors="replace")) == name:
            out.append([a.decode(errors="replace") for a in argv if a])
    return out


def test_slirp4netns_arguments_sandbox_seccomp(netbed, server, bg, state_dir):
    """slirp4netns runs with exactly SPEC §7.2's arguments, sandbox and seccomp on."""
    b = bg([RK_BIN, "--net=slirp4netns", "--disable-host-loopback", "--copy-up=/etc",
            "--slirp4netns-sandbox=true", "--slirp4netns-seccomp=true", "--mtu=1500",
            f"--state-dir={state_dir}", "sh", "-c",
            f"python3 -c \"$CLIENT\" tcp {netbed.addr4} {server.port} 3; sleep 30"],
           env={**os.environ, "CLIENT": CLIENT})
    pid = wait_child_pid(state_dir)
    b.wait_stdout(r"ok echo:hi")
    cmds = _helper_cmdlines("slirp4netns", b.p.pid)
    assert [c[1:] for c in cmds] == [["--mtu", "1500", "-r", "3", "--disable-host-loopback",
                                      "--enable-sandbox", "--enable-seccomp", str(pid),
                                      "tap0"]], cmds
    b.signal(signal.SIGTERM)
    b.wait()


def test_detach_netns(netbed, state_dir, bg):
    """--detach-netns: the command stays in the host netns; STATE_DIR/netns is a netns the
    command may enter, and helpers get /proc/<pid>/root<statedir>/netns."""
    b = bg([RK_BIN, "--net=slirp4netns", "--disable-host-loopback", "--detach-netns",
            f"--state-dir={state_dir}", "sh", "-c",
            'stat -c %a "$ROOTLESSKIT_STATE_DIR/netns"; readlink /proc/self/ns/net; '
            'nsenter --net="$ROOTLESSKIT_STATE_DIR/netns" readlink /proc/self/ns/net; '
            'echo ready; sleep 30'])
    pid = wait_child_pid(state_dir)
    b.wait_stdout("ready")
    mode, cmd_ns, det_ns = b.stdout().splitlines()[:3]
    assert mode == "444"  # inside: the nsfs file bind-mounted on it
    assert cmd_ns == os.readlink("/proc/self/ns/net")
    assert det_ns != cmd_ns
    # from the host it is an empty file; the netns is in the child's mount namespace
    st = (state_dir / "netns").stat()
    assert st.st_size == 0 and stat.S_IMODE(st.st_mode) == 0o400
    assert os.readlink(f"/proc/{pid}/ns/net") == cmd_ns
    cmds = _helper_cmdlines("slirp4netns", b.p.pid)
    assert len(cmds) == 1 and cmds[0][-4:] == [
        f"--userns-path=/proc/{pid}/ns/user", "--netns-type=path",
        f"/proc/{pid}/root{state_dir}/netns", "tap0"], cmds
    b.signal(signal.SIGTERM)
    b.wait()
    assert not state_dir.exists()


def test_detach_netns_lxc_user_nic(netbed):
    r = rk_ok("--net=lxc-user-nic", f"--lxc-user-nic-bridge={netbed.bridge}", "--detach-netns",
              *sh('nsenter --net="$ROOTLESSKIT_STATE_DIR/netns" ip -o -4 addr show eth0',
                  'ip -o link show eth0 2>&1 || true'))
    assert re.search(r"eth0\s+inet 198\.18\.2\.\d+/24", r.stdout), str(r)
    assert "does not exist" in r.stdout, str(r)


# --------------------------------------------------------------------------
# none
# --------------------------------------------------------------------------

@pytest.mark.parametrize("detach", [False, True], ids=["attached", "detached"])
def test_none(detach):
    args = ["--net=none"] + (["--detach-netns"] if detach else [])
    cmd = "ip -o addr show; ip -o link show"
    if detach:
        cmd = f'nsenter --net="$ROOTLESSKIT_STATE_DIR/netns" sh -c "{cmd}"'
    r = rk_ok(*args, *sh(cmd, 'test -e "$ROOTLESSKIT_STATE_DIR/resolv.conf" || echo no-resolv'))
    assert re.search(r"lo\s+inet 127\.0\.0\.1/8", r.stdout), str(r)
    links = [ln for ln in r.stdout.splitlines() if re.match(r"\d+: ", ln) and "link/" in ln]
    assert len(links) == 1 and "LOOPBACK,UP" in links[0], str(r)
    assert "no-resolv" in r.stdout, str(r)


def test_detach_netns_with_host_network():
    """--net=host --detach-netns: an empty netns (lo down) on STATE_DIR/netns, as upstream."""
    r = rk_ok("--detach-netns", *sh('readlink /proc/self/ns/net',
                                    'nsenter --net="$ROOTLESSKIT_STATE_DIR/netns" ip -o link'))
    cmd_ns, links = r.stdout.split("\n", 1)
    assert cmd_ns == os.readlink("/proc/self/ns/net"), str(r)
    assert len(links.splitlines()) == 1 and "lo:" in links and ",UP" not in links, str(r)


def test_none_has_new_netns():
    r = rk_ok("--net=none", "readlink", "/proc/self/ns/net")
    assert r.stdout.strip() != os.readlink("/proc/self/ns/net")


# --------------------------------------------------------------------------
# resolv.conf without --copy-up=/etc
# --------------------------------------------------------------------------

def test_resolv_conf_without_copy_up_warns(netbed):
    r = rk_ok("--net=slirp4netns", "--disable-host-loopback", "cat", "/etc/resolv.conf")
    assert r.stdout == "nameserver 10.0.2.3\n", str(r)
    assert "Mounting /etc/resolv.conf without copying-up /etc" in r.stderr, str(r)


# --------------------------------------------------------------------------
# faults
# --------------------------------------------------------------------------

def fake(tmp_path, name, body):
    p = tmp_path / name
    p.write_text("#!/bin/sh\n" + body)
    p.chmod(0o755)
    return p


@pytest.mark.parametrize("flag,msg", [
    ("--slirp4netns-binary=/nonexistent/slirp4netns",
     'exec: "/nonexistent/slirp4netns": stat /nonexistent/slirp4netns: no such file or '
     'directory'),
    ("--slirp4netns-binary=no-such-slirp4netns",
     'exec: "no-such-slirp4netns": executable file not found in $PATH'),
])
def test_slirp4netns_missing(flag, msg, rk_tmpdir, state_dir):
    r = rk("--net=slirp4netns", "--disable-host-loopback", flag, f"--state-dir={state_dir}",
           "true")
    assert_single_error(r, msg)
    assert_nothing_left(rk_tmpdir, state_dir)


def test_slirp4netns_too_old(tmp_path, rk_tmpdir, state_dir):
    old = fake(tmp_path, "slirp4netns", "echo 'Usage: slirp4netns [OPTION]... PID TAPNAME'\n")
    r = rk("--net=slirp4netns", "--disable-host-loopback", f"--slirp4netns-binary={old}",
           f"--state-dir={state_dir}", "true")
    assert_single_error(r, "slirp4netns seems older than v0.4.0")
    assert_nothing_left(rk_tmpdir, state_dir)


def test_slirp4netns_help_fails(tmp_path, rk_tmpdir, state_dir):
    bad = fake(tmp_path, "slirp4netns", "echo broken; exit 3\n")
    r = rk("--net=slirp4netns", f"--slirp4netns-binary={bad}", f"--state-dir={state_dir}",
           "true")
    assert_single_error(r, f'command "{bad} --help" failed, make sure slirp4netns v0.4.0+ is '
                           f'installed: "broken\\n": exit status 3')
    assert_nothing_left(rk_tmpdir, state_dir)


def test_slirp4netns_fails_to_start(tmp_path, rk_tmpdir, state_dir):
    real = subprocess.run(["slirp4netns", "--help"], capture_output=True, text=True).stdout
    (tmp_path / "help.txt").write_text(real)
    bad = fake(tmp_path, "slirp4netns",
               f'[ "$1" = --help ] && exec cat {tmp_path}/help.txt\n'
               'echo "cannot open tap: it is a test" >&2; exit 1\n')
    r = rk("--net=slirp4netns", "--disable-host-loopback", f"--slirp4netns-binary={bad}",
           f"--state-dir={state_dir}", "echo", "must-not-run")
    assert_single_error(r, "slirp4netns failed (exit status 1): cannot open tap: it is a test")
    assert "must-not-run" not in r.stdout
    assert_nothing_left(rk_tmpdir, state_dir)


def test_slirp4netns_killed_while_running(netbed, server, bg, state_dir):
    b = bg([RK_BIN, "--net=slirp4netns", "--disable-host-loopback", f"--state-dir={state_dir}",
            "sh", "-c", "echo up; read x; echo still-running; exit 7"],
           stdin=subprocess.PIPE)
    wait_child_pid(state_dir)
    b.wait_stdout("up")
    cmds = _helper_pids("slirp4netns", parent=b.p.pid)
    assert len(cmds) == 1
    os.kill(cmds[0], signal.SIGKILL)
    wait_until(lambda: "slirp4netns exited unexpectedly" in b.stderr(), TIMEOUT,
               what="the warning")
    b.p.stdin.write(b"go\n")
    b.p.stdin.close()
    r = b.result()
    assert r.returncode == 7, str(r)
    assert "still-running" in r.stdout
    assert "signal: killed" in r.stderr
    assert not state_dir.exists()


def _helper_pids(name, parent=None, arg=None):
    """Live (not zombie) processes whose command name starts with `name`, with parent `parent`
    and an argument containing `arg` when given."""
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit() and (parent is None or _ppid(p) == parent):
            if arg is not None:
                try:
                    with open(f"/proc/{p}/cmdline", "rb") as f:
                        if arg.encode() not in f.read():
                            continue
                except OSError:
                    continue
            try:
                with open(f"/proc/{p}/stat") as f:
                    st = f.read()
            except OSError:
                continue
            comm = st[st.index("(") + 1:st.rindex(")")]
            state = st[st.rindex(")") + 2]
            if comm.startswith(name) and state != "Z":
                out.append(int(p))
    return out


def test_pasta_missing(rk_tmpdir, state_dir):
    r = rk("--net=pasta", "--pasta-binary=no-such-pasta", f"--state-dir={state_dir}", "true")
    assert_single_error(r, 'exec: "no-such-pasta": executable file not found in $PATH')
    assert_nothing_left(rk_tmpdir, state_dir)


def test_pasta_fails(tmp_path, rk_tmpdir, state_dir):
    bad = fake(tmp_path, "pasta", '[ "$1" = --version ] && exit 0\n'
                                  'case "$*" in *host-lo-to-ns-lo*) exit 1;; esac\n'
                                  'echo "No external interface" >&2; exit 1\n')
    r = rk("--net=pasta", f"--pasta-binary={bad}", f"--state-dir={state_dir}", "true")
    assert_single_error(r, "failed to setup network pasta: pasta failed with exit code 1:")
    assert "exit code 1:\nNo external interface\n" in r.stderr, str(r)
    assert_nothing_left(rk_tmpdir, state_dir)


def test_lxc_user_nic_bad_bridge(rk_tmpdir, state_dir):
    r = rk("--net=lxc-user-nic", "--lxc-user-nic-bridge=rknosuchbr", f"--state-dir={state_dir}",
           "true")
    assert_single_error(r, "lxc-user-nic failed: ")
    assert_nothing_left(rk_tmpdir, state_dir)


@pytest.mark.parametrize("args,msg", [
    (["--net=slirp4netns", "--ifname=abcdefghijklmnop"], "ifname must be shorter than 16 bytes"),
    (["--net=pasta", "--port-driver=builtin"],
     'network "pasta" requires port driver "none" or "implicit"'),
    (["--net=none", "--port-driver=implicit"],
     'network "none" requires either port driver "none" or "builtin"'),
    (["--net=lxc-user-nic", "--cidr=10.0.3.0/24"],
     "custom cidr is not supported for --net=lxc-user-nic"),
    (["--net=none", "--mtu=70000"], "mtu must be <= 65521, got 70000"),
    (["--net=slirp4netns", "--cidr=fd00::/64"], "expected IPv4 address, got fd00::"),
    (["--net=slirp4netns", "--slirp4netns-sandbox=maybe"],
     'unsupported slirp4netns-sandbox mode: "maybe"'),
    (["--net=slirp4netns", "--slirp4netns-sandbox=true", "--detach-netns"],
     "--slirp4netns-sandbox conflicts with --detach-netns"),
])
def test_bad_network_flags(args, msg, rk_tmpdir, state_dir):
    r = rk(*args, f"--state-dir={state_dir}", "true")
    assert_single_error(r, msg)
    assert_nothing_left(rk_tmpdir, state_dir)


def test_slirp4netns_never_ready(tmp_path, rk_tmpdir, state_dir):
    """A slirp4netns that never writes its ready byte fails the start after 30 s; it is
    killed, nothing is left behind (the Go original waits forever)."""
    real = subprocess.run(["slirp4netns", "--help"], capture_output=True, text=True).stdout
    (tmp_path / "help.txt").write_text(real)
    hang = fake(tmp_path, "slirp4netns",
                f'[ "$1" = --help ] && exec cat {tmp_path}/help.txt\nexec sleep 600\n')
    t0 = time.monotonic()
    r = rk("--net=slirp4netns", "--disable-host-loopback", f"--slirp4netns-binary={hang}",
           f"--state-dir={state_dir}", "true", timeout=60)
    assert_single_error(r, "slirp4netns did not become ready within 30 s")
    assert 29 <= time.monotonic() - t0 < 45
    assert_nothing_left(rk_tmpdir, state_dir)


def test_limits_and_fds_of_command_and_helpers(netbed, bg, state_dir):
    """The command gets the caller's soft RLIMIT_NOFILE while rootlesskit raises its own to the
    hard limit; slirp4netns gets neither the parent's event-loop fds nor the state dir's."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lower = min(soft, 512)
    b = bg(["sh", "-c", f'ulimit -Sn {lower} && exec "$0" "$@"', RK_BIN, "--net=slirp4netns",
            "--disable-host-loopback", f"--state-dir={state_dir}", "sh", "-c",
            "ulimit -Sn; ls /proc/self/fd; echo ready; sleep 30"])
    pid = wait_child_pid(state_dir)
    b.wait_stdout("ready")
    out = b.stdout().split()
    assert out[0] == str(lower), b.describe()
    assert sorted(int(x) for x in out[1:-1]) == [0, 1, 2, 3], b.describe()  # 3: ls's own dir fd
    with open(f"/proc/{pid}/status") as f:
        parent = int(re.search(r"PPid:\s+(\d+)", f.read()).group(1))
    with open(f"/proc/{parent}/limits") as f:
        m = re.search(r"Max open files\s+(\d+)\s+(\d+)", f.read())
    assert int(m.group(1)) == int(m.group(2)) == hard
    (s4,) = _helper_pids("slirp4netns", arg=str(pid))
    targets = [os.readlink(f"/proc/{s4}/fd/{fd}") for fd in os.listdir(f"/proc/{s4}/fd")]
    bad = [t for t in targets if re.search(r"eventpoll|signalfd|pidfd|timerfd", t) or
           str(state_dir) in t]
    assert not bad, targets
    with open(f"/proc/{s4}/limits") as f:
        assert re.search(rf"Max open files\s+{lower}\s", f.read())
    b.signal(signal.SIGTERM)
    b.wait()


def test_pasta_version_fails(tmp_path, rk_tmpdir, state_dir):
    old = fake(tmp_path, "pasta", "echo 'unknown option'; exit 2\n")
    r = rk("--net=pasta", f"--pasta-binary={old}", f"--state-dir={state_dir}", "true")
    assert_single_error(r, f'command "{old} --version" failed, make sure pasta is installed: '
                           f'"unknown option\\n": exit status 2')
    assert_nothing_left(rk_tmpdir, state_dir)


def test_pasta_killed_while_running(netbed, bg, state_dir):
    """pasta's daemon dies while the command runs: the command goes on, rootlesskit ends with
    its status and leaves nothing behind."""
    b = bg([RK_BIN, "--net=pasta", "--disable-host-loopback", f"--state-dir={state_dir}",
            "sh", "-c", "echo up; read x; echo still-running"], stdin=subprocess.PIPE)
    wait_child_pid(state_dir)
    b.wait_stdout("up")
    pids = wait_until(lambda: _helper_pids("pas", arg=str(state_dir)), TIMEOUT,
                      what="the pasta daemon")
    for p in pids:
        os.kill(p, signal.SIGKILL)
    b.p.stdin.write(b"go\n")
    b.p.stdin.close()
    r = b.result()
    assert r.returncode == 0 and "still-running" in r.stdout, str(r)
    assert not state_dir.exists()


@pytest.mark.parametrize("detach", [False, True], ids=["attached", "detached"])
def test_pasta_daemon_stopped_at_the_end(detach, netbed, state_dir):
    """Debian's 2023 pasta does not leave when the namespace goes away: rootlesskit stops it
    (otherwise every run leaves a daemon that keeps the namespace alive)."""
    args = ["--detach-netns"] if detach else []
    r = rk_ok("--net=pasta", "--disable-host-loopback", *args, f"--state-dir={state_dir}",
              "sh", "-c", "ls $ROOTLESSKIT_STATE_DIR")
    assert ".pasta.pid" not in r.stdout, str(r)
    wait_until(lambda: _helper_pids("pas", arg=str(state_dir)) == [], 3,
               what="pasta to be gone")


@pytest.mark.parametrize("flag,msg", [
    ("--lxc-user-nic-binary=/nonexistent/lxc-user-nic",
     'exec: "/nonexistent/lxc-user-nic": stat /nonexistent/lxc-user-nic: no such file or '
     'directory'),
    ("--lxc-user-nic-binary=/etc/passwd", 'exec: "/etc/passwd": permission denied'),
])
def test_lxc_user_nic_missing(flag, msg, rk_tmpdir, state_dir):
    r = rk("--net=lxc-user-nic", flag, f"--state-dir={state_dir}", "true")
    assert_single_error(r, msg)
    assert_nothing_left(rk_tmpdir, state_dir)


def test_lxc_user_nic_no_dhcp_server(netbed, rk_tmpdir, state_dir):
    """A bridge without a DHCP server: the child gives up after its 30 s per phase with the
    Go original's text; nothing is left behind."""
    r = rk("--net=lxc-user-nic", f"--lxc-user-nic-bridge={os.environ['RK_TEST_BRIDGE_NODHCP']}",
           f"--state-dir={state_dir}", "true", timeout=90)
    assert_error(r, "did not get DHCPACK")
    assert_nothing_left(rk_tmpdir, state_dir)


def test_sigterm_while_waiting_for_slirp4netns(tmp_path, bg, rk_tmpdir, state_dir):
    """A signal during the network set-up ends the run at once: no hang on the helper, no
    orphaned helper, state dir removed."""
    real = subprocess.run(["slirp4netns", "--help"], capture_output=True, text=True).stdout
    (tmp_path / "help.txt").write_text(real)
    hang = fake(tmp_path, "slirp4netns",
                f'[ "$1" = --help ] && exec cat {tmp_path}/help.txt\nexec sleep 600\n')
    b = bg([RK_BIN, "--net=slirp4netns", "--disable-host-loopback",
            f"--slirp4netns-binary={hang}", f"--state-dir={state_dir}", "echo", "must-not-run"])
    def fake_running():
        pids = _helper_pids("sleep", parent=b.p.pid)
        return pids[0] if pids else None
    fake_pid = wait_until(fake_running, TIMEOUT, what="the fake slirp4netns")
    t0 = time.monotonic()
    b.signal(signal.SIGTERM)
    r = b.result(timeout=10)
    assert time.monotonic() - t0 < 5
    assert r.returncode == 255 and "child exited: signal: terminated" in r.stderr, str(r)
    assert "must-not-run" not in r.stdout
    wait_until(lambda: fake_pid not in _helper_pids("sleep"), 3,
               what="the fake slirp4netns to be killed")
    assert not state_dir.exists()


def test_probe_of_a_hanging_helper(tmp_path, rk_tmpdir, state_dir):
    """A slirp4netns whose --help never ends is killed after 30 s: a clear error, no hang."""
    hang = fake(tmp_path, "slirp4netns", "exec sleep 600\n")
    r = rk("--net=slirp4netns", "--disable-host-loopback", f"--slirp4netns-binary={hang}",
           f"--state-dir={state_dir}", "true", timeout=60)
    assert_single_error(r, f'command "{hang} --help" failed: timer expired')
    assert_nothing_left(rk_tmpdir, state_dir)
