"""Flag validation (SPEC §2.3) as it applies with the host network: every
message, exit code 1, exactly one error line (two when the check runs in the
child: the child's line and the parent's `child exited`), nothing on stdout,
and nothing left behind -- neither a temporary state dir in $TMPDIR nor an
explicit --state-dir that did not exist before.

Also: network and port drivers that are known but not built into this binary
are refused with a clear error naming the driver (never silently accepted), and
the help lists only the drivers that are built in.

Expectation for an explicit --state-dir after a failed start: a directory that
did not exist before the run does not exist after it (validation happens before
the state dir is made, or the state dir is removed on the error path, SPEC §6).
"""

import re

import pytest

from conftest import assert_error, assert_nothing_left, assert_single_error, rk, rk_ok

# Drivers built into the binary under test.  Update when a driver lands.
BUILT_NET_DRIVERS = {"host", "none", "pasta", "slirp4netns", "lxc-user-nic", "gvisor-tap-vsock"}
BUILT_PORT_DRIVERS = {"none", "implicit", "builtin", "slirp4netns", "gvisor-tap-vsock", "socat"}
KNOWN_NET_DRIVERS = ["host", "none", "pasta", "slirp4netns", "vpnkit", "lxc-user-nic",
                     "gvisor-tap-vsock"]
KNOWN_PORT_DRIVERS = ["none", "implicit", "builtin", "slirp4netns", "gvisor-tap-vsock", "socat"]

LEAK = "1.1.0 leaks its temporary state dir on late validation errors"

# (id, extra args, expected message, checked in the parent only, reference difference)
CASES = [
    ("evacuate-no-cgroupns", ["--evacuate-cgroup2=x"],
     "evacuate-cgroup2 requires --cgroupns", True, None),
    ("evacuate-no-cgroupns-with-pidns", ["--evacuate-cgroup2=x", "--pidns"],
     "evacuate-cgroup2 requires --cgroupns", True, None),
    ("evacuate-no-pidns", ["--evacuate-cgroup2=x", "--cgroupns"],
     "evacuate-cgroup2 requires --pidns", True, None),
    ("mtu-too-big", ["--mtu=65522"], "mtu must be <= 65521, got 65522", True, LEAK),
    ("mtu-negative", ["--mtu=-1"], "mtu must be <= 65521, got -1", True, LEAK),
    ("cidr-unparsable", ["--cidr=foo"], "invalid CIDR address: foo", True, LEAK),
    ("cidr-host-bits", ["--cidr=10.0.2.100/24"],
     "cidr must be like 10.0.2.0/24, not like 10.0.2.100/24", True, LEAK),
    ("cidr-host-net", ["--cidr=10.0.2.0/24"],
     "custom cidr is not supported for --net=host", True, "different wording in 1.1.0"),
    ("ifname-slash", ["--ifname=a/b"], 'ifname must not contain "/"', True, LEAK),
    ("ifname-host-net", ["--ifname=eth0"], "ifname cannot be specified for --net=host", True, LEAK),
    ("publish-port-driver-none", ["-p", "127.0.0.1:8080:80/tcp"],
     'port driver "none" does not support publishing ports', True, LEAK),
    ("publish-long-port-driver-none", ["--publish=127.0.0.1:8080:80/tcp"],
     'port driver "none" does not support publishing ports', True, LEAK),
    ("unknown-net", ["--net=foo"], "unknown network mode: foo", True, LEAK),
    ("unknown-port-driver", ["--port-driver=foo"], "unknown port driver: foo", True, LEAK),
    # upstream removed socat in v0.14.0; we keep it (issue 6), so it gets its network check
    ("socat-port-driver-host-net", ["--port-driver=socat"],
     "port driver requires non-host network", True, "1.1.0 has no socat port driver"),
    ("reaper-true-without-pidns", ["--reaper=true"], "reaper requires --pidns", False, None),
    ("reaper-bad", ["--reaper=x"], "unknown reaper mode: x", False, None),
    ("reaper-bad-with-pidns", ["--pidns", "--reaper=x"], "unknown reaper mode: x", False, None),
    ("copy-up-mode-bad", ["--copy-up-mode=x"], "unknown copy-up mode: x", False, None),
    ("copy-up-rshared", ["--copy-up=/etc", "--propagation=rshared"],
     "propagation rshared does not support copy-up driver tmpfs+symlink", False, None),
    ("copy-up-shared", ["--copy-up=/etc", "--propagation=shared"],
     "propagation shared does not support copy-up driver tmpfs+symlink", False, None),
    ("copy-up-tmp", ["--copy-up=/tmp"], "/tmp cannot be copied up", False, None),
    ("copy-up-tmp-trailing-slash", ["--copy-up=/tmp/"], "/tmp cannot be copied up", False, None),
    ("subid-source-bad", ["--subid-source=x"],
     'failed to setup UID/GID map: failed to compute uid/gid map: unknown subid source "x"',
     True, None),
    ("evacuate-name-slash", ["--evacuate-cgroup2=a/b", "--pidns", "--cgroupns"],
     'unexpected evacuation group name "a/b": must not contain "/"', True, None),
]


def _cases():
    for cid, args, msg, parent_only, ref in CASES:
        marks = [pytest.mark.not_in_ref(ref)] if ref else []
        yield pytest.param(args, msg, parent_only, marks=marks, id=cid)


@pytest.mark.parametrize("args,msg,parent_only", _cases())
def test_validation_error_temp_state_dir(args, msg, parent_only, rk_tmpdir):
    r = rk(*args, "true")
    if parent_only:
        assert_single_error(r, msg)
    else:
        assert_error(r, msg)
    assert_nothing_left(rk_tmpdir)


@pytest.mark.parametrize("args,msg,parent_only", _cases())
def test_validation_error_explicit_state_dir(args, msg, parent_only, rk_tmpdir, state_dir):
    r = rk(f"--state-dir={state_dir}", *args, "true")
    if parent_only:
        assert_single_error(r, msg)
    else:
        assert_error(r, msg)
    assert_nothing_left(rk_tmpdir, state_dir)


# --------------------------------------------------------------------------
# Accepted values
# --------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["--reaper=false", "--pidns"], ["--reaper=true", "--pidns"], ["--reaper=auto"],
    ["--reaper=false"], ["--copy-up-mode=tmpfs+symlink"], ["--subid-source=auto"],
    ["--subid-source=static"], ["--subid-source=dynamic"], ["--net=host"],
    ["--port-driver=none"], ["--disable-host-loopback"], ["--slirp4netns-sandbox=auto"],
    ["--slirp4netns-seccomp=true"], ["--slirp4netns-binary=/nonexistent"],
    ["--vpnkit-binary=/nonexistent"], ["--lxc-user-nic-binary=/nonexistent"],
    ["--lxc-user-nic-bridge=foo"],
    pytest.param(["--pasta-binary=/nonexistent"], marks=pytest.mark.not_in_ref("new in v2.0")),
    pytest.param(["--source-ip-transparent=false"], marks=pytest.mark.not_in_ref("new in v3")),
], ids=lambda a: " ".join(a))
def test_valid_values_accepted_with_host_network(args):
    # Flags of drivers that are not in use are accepted and ignored.
    r = rk_ok(*args, "echo", "ok")
    assert r.stdout == "ok\n"
    assert r.error_lines() == [], str(r)


# --------------------------------------------------------------------------
# Drivers that are not built in
# --------------------------------------------------------------------------

@pytest.mark.not_in_ref("1.1.0 has its own driver set")
@pytest.mark.parametrize("driver,msg", [
    ("vpnkit", "vpnkit is not supported by this implementation"),
])
def test_network_driver_not_built_in(driver, msg, rk_tmpdir, state_dir):
    assert driver not in BUILT_NET_DRIVERS
    r = rk(f"--net={driver}", "--disable-host-loopback", f"--state-dir={state_dir}", "true")
    assert_single_error(r, msg)
    assert_nothing_left(rk_tmpdir, state_dir)


def test_every_port_driver_is_built():
    """Every port driver upstream knows is built in (none is refused as "not built in")."""
    assert set(KNOWN_PORT_DRIVERS) == BUILT_PORT_DRIVERS


@pytest.mark.not_in_ref("--detach-netns is new in v2.0")
def test_detach_netns_false_is_accepted():
    rk_ok("--detach-netns=false", "true")


def _help_driver_list(flag):
    text = rk_ok("--help").stdout
    rx = re.compile(r"\s+" + re.escape(flag) + r" value\b")
    line = next((ln for ln in text.splitlines() if rx.match(ln)), None)
    assert line is not None, f"{flag} not in help\n{text}"
    m = re.search(r"\[([^\]]*)\]", line)
    assert m, f"no driver list on help line: {line!r}"
    return {re.sub(r"\(.*\)", "", x).strip() for x in m.group(1).split(",")}


@pytest.mark.not_in_ref("1.1.0 has its own driver set")
def test_help_lists_only_built_network_drivers():
    assert _help_driver_list("--net") == BUILT_NET_DRIVERS


@pytest.mark.not_in_ref("1.1.0 has its own driver set")
def test_help_lists_only_built_port_drivers():
    assert _help_driver_list("--port-driver") == BUILT_PORT_DRIVERS
