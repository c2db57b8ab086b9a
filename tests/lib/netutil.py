# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the pytest suites (tests/integration, tests/e2e): waiting for a condition,
free ports, a TCP line client. No fixtures here; each suite's conftest.py imports what it uses.
"""

import random
import socket
import time

import pytest


def wait_until(pred, timeout, interval=0.02, what="condition"):
    """Poll pred() until it returns a truthy value; return it, or fail."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


_given_ports = set()


def _ephemeral_start():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    """A port free for TCP and UDP on every address of the test's private network
    namespace, below the ephemeral range (so that no client connection of ours can take
    it meanwhile) and never the same twice in a session."""
    hi = min(_ephemeral_start(), 32768) - 1
    for _ in range(1000):
        port = random.randint(12000, hi)
        if port in _given_ports:
            continue
        ok = True
        for typ in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            t = socket.socket(socket.AF_INET6, typ)
            t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            try:
                t.bind(("::", port))
            except OSError:
                ok = False
            finally:
                t.close()
        if ok:
            _given_ports.add(port)
            return port
    raise AssertionError("no free port found")


def tcp_connect(host, port, timeout=10, source=None):
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if source:
            s.bind(source)
        s.connect((host, port))
    except BaseException:
        s.close()
        raise
    return s


def recv_line(s, timeout=10):
    """One line (without its newline) from TCP socket s; "" at EOF before any byte."""
    s.settimeout(timeout)
    buf = b""
    while not buf.endswith(b"\n"):
        b = s.recv(1)
        if not b:
            break
        buf += b
    return buf.decode().rstrip("\n")
