"""The network test bed itself (tests/lib/netns-setup.sh), not rootlesskit:
name resolution through the bed's dnsmasq only (rk-test.internal, nothing
else, queries logged), the "external" veth and its default routes, the bridge
with its DHCP server and the lxc-usernet entry for it, ICMP echo sockets for
the test user, and that no interface leads out of the namespace.
"""

import json
import os
import socket
import stat
import struct
import threading

import pytest

from conftest import me, require_tool, run

LXC_USER_NIC = "/usr/libexec/lxc/lxc-user-nic"


def links():
    """{ifname: link} from `ip -j -d link`."""
    r = run([require_tool("ip"), "-j", "-d", "link", "show"])
    assert r.returncode == 0, str(r)
    return {ln["ifname"]: ln for ln in json.loads(r.stdout)}


def addrs(ifname):
    """The addresses of an interface as {"198.18.0.1/32", ...}."""
    r = run([require_tool("ip"), "-j", "addr", "show", "dev", ifname])
    assert r.returncode == 0, str(r)
    return {f"{a['local']}/{a['prefixlen']}" for ln in json.loads(r.stdout)
            for a in ln.get("addr_info", [])}


def default_route(family):
    r = run([require_tool("ip"), "-j", family, "route", "show", "default"])
    assert r.returncode == 0, str(r)
    return json.loads(r.stdout)


# --------------------------------------------------------------------------
# DNS
# --------------------------------------------------------------------------

def test_resolv_conf_names_only_the_bed(netbed):
    servers = [ln.split()[1] for ln in open("/etc/resolv.conf")
               if ln.split()[:1] == ["nameserver"]]
    assert servers == [a for a in (netbed.addr4, netbed.addr6) if a], servers


def test_dns_name_resolves_through_the_bed(netbed):
    getent = require_tool("getent")
    off = netbed.dns_log_size()
    r = run([getent, "ahostsv4", netbed.dns_name])
    assert r.returncode == 0, str(r)
    assert {ln.split()[0] for ln in r.stdout.splitlines()} == {netbed.addr4}, str(r)
    line = netbed.wait_dns_query(netbed.dns_name, off, "A")
    assert line.endswith(f"from {netbed.addr4}"), line
    # `getent hosts` prefers the IPv6 address when there is one
    r = run([getent, "hosts", netbed.dns_name])
    assert r.returncode == 0, str(r)
    assert r.stdout.split()[:2] == [netbed.addr6 or netbed.addr4, netbed.dns_name], str(r)
    if netbed.addr6:
        off = netbed.dns_log_size()
        r = run([getent, "ahostsv6", netbed.dns_name])
        assert r.returncode == 0, str(r)
        assert {ln.split()[0] for ln in r.stdout.splitlines()} == {netbed.addr6}, str(r)
        netbed.wait_dns_query(netbed.dns_name, off, "AAAA")


@pytest.mark.parametrize("name", ["example.com", "other.internal", "x.rk-test.internal"])
def test_other_names_do_not_resolve(netbed, name):
    off = netbed.dns_log_size()
    r = run([require_tool("getent"), "hosts", name])
    assert r.returncode == 2 and r.stdout == "", str(r)   # 2: not found
    netbed.wait_dns_query(name, off, "A")
    log = netbed.dns_log_since(off)
    assert f"config {name} is NXDOMAIN" in log, log
    assert "forwarded" not in log, log


def test_dns_server_never_forwards(netbed):
    log = netbed.dns_log_since(0)
    assert "forwarded " not in log and "reply " not in log, log


# --------------------------------------------------------------------------
# interfaces, routes, sysctls
# --------------------------------------------------------------------------

def test_loopback_addresses(netbed):
    a = addrs("lo")
    assert f"{netbed.addr4}/32" in a, a
    if netbed.addr6:
        assert f"{netbed.addr6}/128" in a, a


def test_external_veth_and_default_routes(netbed):
    ls = links()
    ext = ls[netbed.ext_if]
    assert ext["linkinfo"]["info_kind"] == "veth", ext
    peer = ls[ext["link"]]   # "link": the peer's name when it is in this namespace
    assert peer["linkinfo"]["info_kind"] == "veth", peer
    for ln in (ext, peer):
        assert "UP" in ln["flags"], ln
    want = {f"{netbed.ext_addr4}/24"} | ({f"{netbed.ext_addr6}/64"} if netbed.addr6 else set())
    assert want <= addrs(netbed.ext_if), addrs(netbed.ext_if)
    want = {f"{netbed.ext_gw4}/24"} | ({f"{netbed.ext_peer6}/64", f"{netbed.ext_gw6}/64"}
                                       if netbed.addr6 else set())
    assert want <= addrs(peer["ifname"]), addrs(peer["ifname"])
    assert [(r["gateway"], r["dev"]) for r in default_route("-4")] == \
        [(netbed.ext_gw4, netbed.ext_if)]
    if netbed.addr6:
        assert [(r["gateway"], r["dev"]) for r in default_route("-6")] == \
            [(netbed.ext_gw6, netbed.ext_if)]


def test_bridge(netbed):
    br = links()[netbed.bridge]
    assert br["linkinfo"]["info_kind"] == "bridge", br
    assert "UP" in br["flags"], br
    assert f"{netbed.bridge_addr4}/24" in addrs(netbed.bridge)
    # /sys is the bed's: lxc-user-nic looks for the bridge there
    assert os.path.isdir(f"/sys/class/net/{netbed.bridge}/bridge")


def test_no_interface_leads_out(netbed):
    """Every interface is one of the bed's, and no veth has its peer in
    another network namespace."""
    ls = links()
    assert set(ls) == {"lo", netbed.ext_if, "rkext1", netbed.bridge,
                       os.environ["RK_TEST_BRIDGE_NODHCP"]}, sorted(ls)
    for ln in ls.values():
        assert "link_netnsid" not in ln, ln
    assert ls[netbed.ext_if]["link"] == "rkext1" and ls["rkext1"]["link"] == netbed.ext_if


def test_forwarding_is_off(netbed):
    assert open("/proc/sys/net/ipv4/ip_forward").read().strip() == "0"
    if netbed.addr6:
        assert open("/proc/sys/net/ipv6/conf/all/forwarding").read().strip() == "0"


def test_ping_group_range(netbed):
    lo, hi = map(int, open("/proc/sys/net/ipv4/ping_group_range").read().split())
    assert (lo, hi) == (0, 2147483647)
    assert lo <= me()[1] <= hi


# --------------------------------------------------------------------------
# traffic to the bed's addresses
# --------------------------------------------------------------------------

def echo_once(family, addr):
    """A TCP server on addr: accept one connection, echo what it receives."""
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.bind((addr, 0))
    srv.listen(1)
    srv.settimeout(10)

    def serve():
        with srv:
            c, _ = srv.accept()
            with c:
                c.sendall(c.recv(100))
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return srv.getsockname()[1], t


def test_tcp_server_on_bed_address_is_reachable(netbed):
    for fam, addr in [(socket.AF_INET, netbed.addr4), (socket.AF_INET6, netbed.addr6)]:
        if not addr:
            continue   # IPv6 not usable in the bed
        port, t = echo_once(fam, addr)
        with socket.create_connection((addr, port), timeout=10) as c:
            c.sendall(b"hello bed\n")
            assert c.recv(100) == b"hello bed\n"
        t.join(10)


def test_icmp_echo_socket(netbed):
    """An ICMP datagram ("ping") socket of the test user gets an answer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    with s:
        s.settimeout(5)
        # type 8 (echo request), code, checksum and id filled in by the kernel, seq 1
        s.sendto(struct.pack("!BBHHH", 8, 0, 0, 0, 1) + b"rk-netbed", (netbed.addr4, 0))
        data, peer = s.recvfrom(1500)
    assert peer[0] == netbed.addr4
    assert data[0] == 0 and data[8:] == b"rk-netbed", data   # type 0: echo reply


def test_ping_tool(netbed):
    r = run([require_tool("ping"), "-c", "1", "-W", "5", netbed.addr4])
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, str(r)


# --------------------------------------------------------------------------
# lxc-user-nic and DHCP
# --------------------------------------------------------------------------

def test_lxc_usernet_allows_the_bridge(netbed):
    _, _, name = me()
    entries = [ln.split() for ln in open("/etc/lxc/lxc-usernet")
               if ln.strip() and not ln.startswith("#")]
    mine = [e for e in entries if e[:3] == [name, "veth", netbed.bridge]]
    assert len(mine) == 1 and int(mine[0][3]) >= 1, entries
    st = os.stat(LXC_USER_NIC)
    assert st.st_uid == 0 and st.st_mode & stat.S_ISUID, f"{LXC_USER_NIC} is not SUID root"
    # its database of NICs is the bed's own, not the host's
    assert os.path.ismount("/run/lxc")


def test_dhcp_server_serves_the_bridge(netbed):
    first, last = netbed.dhcp_range
    log = netbed.dhcp_log.read_text()
    assert f"DHCP, IP range {first} -- {last}" in log, log
    assert netbed.dhcp_leases.exists()
    # it does no DNS: only the DNS server listens on port 53
    r = run([require_tool("ss"), "-Hlnu", "sport", "=", ":53"])
    assert r.returncode == 0, str(r)
    local = sorted(ln.split()[3] for ln in r.stdout.splitlines())
    assert local == sorted([f"{netbed.addr4}:53"] + ([f"[{netbed.addr6}]:53"]
                                                    if netbed.addr6 else [])), str(r)
