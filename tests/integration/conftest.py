"""Shared helpers and fixtures for the rootlesskit integration tests.

The tests drive the built binary exactly as users do.  They expect to run as an
unprivileged user that owns sub-ID ranges in /etc/subuid and /etc/subgid, inside
a private network namespace (the test runner, tests/run.sh, sets that up).

Environment:
  RK_BIN               rootlesskit under test (default: <repo>/build/rootlesskit)
  RK_CTL_BIN           rootlessctl under test (default: rootlessctl beside RK_BIN)
  RK_REF_BIN           reference rootlesskit (Debian's Go 1.1.0), informative only
  RK_TEST_PRIVHELPER   root helper, run as `sudo -n HELPER mount-tmpfs|umount DIR`
                       for DIR under /srv/rootlesskit-test/prop (propagation tests)
  RK_TEST_CGROUP2      cgroup2 directory delegated to the test user, in which
                       pytest runs (--evacuate-cgroup2 tests)
  CI=true              a missing tool or facility is a failure, never a skip

Network test bed (tests/lib/netns-setup.sh, built by tests/lib/as-test-user.sh
as root in the private network and mount namespaces the tests run in; use the
`netbed` fixture rather than reading these directly).  Traffic may go only to
loopback and to the bed's own addresses; no interface leads out of it and
forwarding is off.
  RK_TEST_NETBED=1     the bed is there (missing: `netbed` fails under CI=true)
  RK_TEST_NETBED_DIR   the bed's files (a tmpfs of the test mount namespace)
  RK_TEST_ADDR4        198.18.0.1 on lo: plays "a host outside"; DNS server
  RK_TEST_ADDR6        fd42::1 on lo (empty when IPv6 is not usable)
  RK_TEST_DNS_NAME     rk-test.internal: resolves to ADDR4 and ADDR6 through the
                       bed's dnsmasq (/etc/resolv.conf is bind-mounted to name
                       only ADDR4 and ADDR6); every other name is NXDOMAIN
  RK_TEST_DNS_LOG      dnsmasq's query log ("query[A] NAME from ADDR" lines)
  RK_TEST_DEAD_DNS4    198.18.0.2 on lo: a name server that is down (port 53
                       closed: ICMP port unreachable)
  RK_TEST_BLACKHOLE4   198.18.9.9: nothing answers there (dropped in the bed)
  RK_TEST_METADATA4    169.254.169.254 on lo (cloud metadata address)
  /etc/resolv.conf     writable by the test user (same inode: rewrite it in
                       place and put the text back; netbed.resolv_conf())
  RK_TEST_EXT_IF       rkext0, the "external" interface pasta needs: a veth to
                       rkext1, both in the bed; the default routes go there
  RK_TEST_EXT_ADDR4    198.18.1.1/24 on rkext0 (ADDR6: fd42:1::1/64)
  RK_TEST_EXT_GW4      198.18.1.2 on rkext1, the IPv4 default gateway
  RK_TEST_EXT_GW6      fe80::2 on rkext1, the IPv6 default gateway
  RK_TEST_EXT_PEER6    fd42:1::2/64 on rkext1
  RK_TEST_BRIDGE       rkbr0, 198.18.2.1/24 (RK_TEST_BRIDGE_ADDR4), for
                       --net=lxc-user-nic: /etc/lxc/lxc-usernet allows the test
                       user 32 veths on it; /run/lxc is a tmpfs of the bed
  RK_TEST_BRIDGE_NODHCP  rkbr1: a second bridge, allowed too, without any DHCP server
  RK_TEST_DHCP_RANGE   198.18.2.100-198.18.2.199, leases of 10 min from a
                       DHCP-only dnsmasq on the bridge (router 198.18.2.1,
                       DNS 198.18.0.1); RK_TEST_DHCP_LEASES and RK_TEST_DHCP_LOG
                       are its lease file and log
  Also: net.ipv4.ping_group_range is "0 2147483647" (ICMP echo sockets for the
  test user), /sys is a sysfs of the bed's network namespace.

Tests marked `not_in_ref` check behaviour that Debian's rootlesskit 1.1.0 lacks
(v3 features, or upstream quirks our implementation fixes).  When RK_BIN is a
1.x binary they are reported as xfail (non-strict), so the reference can be used
to check that everything else is able to pass.
"""

import contextlib
import ctypes
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# tests/lib/netutil.py: helpers shared with tests/e2e (wait_until is re-exported from here)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from netutil import wait_until  # noqa: E402,F401

REPO = Path(__file__).resolve().parents[2]
RK_BIN = os.environ.get("RK_BIN") or str(REPO / "build" / "rootlesskit")
# rootlessctl under test: $RK_CTL_BIN, else the one built beside RK_BIN
RK_CTL_BIN = os.environ.get("RK_CTL_BIN") or str(Path(RK_BIN).parent / "rootlessctl")
IN_CI = os.environ.get("CI") == "true"

# Upper bound for a single rootlesskit run; every subprocess call has a timeout.
TIMEOUT = 30
# "the child dies within ~2 s" (SPEC §5.3); small margin for slow CI machines.
DEATH_TIMEOUT = 3.0

ERROR_LINE_RE = re.compile(r"^\[rootlesskit:(parent|child )\] error: (.*)$")


# --------------------------------------------------------------------------
# pytest plumbing
# --------------------------------------------------------------------------

PR_SET_CHILD_SUBREAPER = 36


def pytest_configure(config):
    # Processes orphaned by a test (e.g. after SIGKILL of rootlesskit) are
    # reparented to pytest instead of init, so that every test can reap and
    # clean up what it left behind (the machine's init may not reap at all).
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    config.addinivalue_line(
        "markers",
        "not_in_ref(reason): behaviour absent from the Debian 1.1.0 reference "
        "(xfail when RK_BIN is a 1.x binary)")


_version_cache = {}


def rk_version_output(binary=None):
    binary = binary or RK_BIN
    if binary not in _version_cache:
        try:
            p = subprocess.run([binary, "--version"], capture_output=True,
                               text=True, timeout=TIMEOUT)
            _version_cache[binary] = p.stdout.strip()
        except OSError:
            _version_cache[binary] = ""
    return _version_cache[binary]


def rk_is_reference():
    """True when RK_BIN is a 1.x rootlesskit (the Debian reference)."""
    return bool(re.search(r"version 1\.", rk_version_output()))


def pytest_collection_modifyitems(config, items):
    if not rk_is_reference():
        return
    for item in items:
        m = item.get_closest_marker("not_in_ref")
        if m is not None:
            reason = m.args[0] if m.args else "not in rootlesskit 1.1.0"
            item.add_marker(pytest.mark.xfail(reason="reference 1.1.0: " + reason,
                                              strict=False))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


# --------------------------------------------------------------------------
# tools and environment
# --------------------------------------------------------------------------

def require_tool(name):
    """Return the path of `name`; fail under CI, skip otherwise, when missing."""
    path = shutil.which(name)
    if path is None:
        msg = f"required tool not found in PATH: {name}"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def require_env(name):
    """Return the value of the environment variable `name` (a test facility
    provided by the runner); fail under CI, skip otherwise, when unset."""
    val = os.environ.get(name)
    if not val:
        msg = f"test facility not provided: ${name} is not set (see tests/run.sh)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return val


def me():
    """(uid, gid, name) of the test user; gid is the passwd primary gid."""
    uid = os.getuid()
    pw = pwd.getpwuid(uid)
    return uid, pw.pw_gid, pw.pw_name


def static_ranges(path):
    """Sub-ID ranges of the test user in /etc/subuid or /etc/subgid, in file
    order, matching by user name or decimal uid (SPEC §3, static)."""
    uid, _, name = me()
    ranges = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = line.split(":")
            if len(fields) != 3:
                continue
            if fields[0] in (name, str(uid)):
                ranges.append((int(fields[1]), int(fields[2])))
    return ranges


def expected_map(own_id, ranges):
    """Expected /proc/self/{uid,gid}_map content as a list of triples."""
    out = [(0, own_id, 1)]
    inside = 1
    for start, count in ranges:
        out.append((inside, start, count))
        inside += count
    return out


def parse_id_map(text):
    return [tuple(int(x) for x in line.split()) for line in text.splitlines() if line.strip()]


# --------------------------------------------------------------------------
# running processes
# --------------------------------------------------------------------------

@dataclass
class Result:
    args: list
    returncode: int
    stdout: str
    stderr: str

    def __str__(self):
        return (f"command: {self.args!r}\nexit: {self.returncode}\n"
                f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}")

    def error_lines(self):
        """stderr lines of the form `[rootlesskit:<who>] error: <msg>`."""
        return [ln for ln in self.stderr.splitlines() if ERROR_LINE_RE.match(ln)]


def run(args, *, input=None, env=None, cwd=None, timeout=TIMEOUT, pass_fds=()):
    """Run a command to completion with a timeout; return a Result (text)."""
    args = [str(a) for a in args]
    p = subprocess.Popen(args, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env, cwd=cwd, pass_fds=pass_fds)
    try:
        out, err = p.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate(timeout=TIMEOUT)
        pytest.fail(f"timed out after {timeout}s: {args!r}\n--- stdout ---\n{out}"
                    f"--- stderr ---\n{err}")
    return Result(args, p.returncode, out, err)


def rk(*args, **kw):
    """Run RK_BIN with the given arguments (see run())."""
    return run([RK_BIN, *args], **kw)


def rk_ok(*args, **kw):
    """Run RK_BIN and assert it succeeded; return the Result."""
    r = rk(*args, **kw)
    assert r.returncode == 0, str(r)
    return r


def env_with(**kv):
    """os.environ plus/minus the given variables (value None removes)."""
    env = dict(os.environ)
    for k, v in kv.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


def wait_child_pid(state_dir, timeout=20):
    """Wait for STATE_DIR/child_pid to have content; return the PID in it."""
    f = state_dir / "child_pid"
    return int(wait_until(lambda: f.exists() and f.read_text(), timeout, what="child_pid"))


def comm(pid):
    """The command name of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def proc_stat(pid):
    """(state, ppid) of a process, or None if it does not exist."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    rest = data[data.rindex(")") + 2:].split()
    return rest[0], int(rest[1])


def is_gone(pid):
    """A process is gone when it no longer exists or is a zombie (an orphan
    zombie may wait for a non-reaping init)."""
    st = proc_stat(pid)
    return st is None or st[0] in ("Z", "X")


def describe_pid(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = "?"
    st = proc_stat(pid)
    return f"{pid} [{st[0] if st else 'gone'}] {cmd}"


def wait_gone(pids, timeout, what):
    """Wait until every pid is gone (or a zombie); fail listing survivors."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [p for p in pids if not is_gone(p)]
        if not alive:
            return
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}; still alive: " +
                        "; ".join(describe_pid(p) for p in alive))
        time.sleep(0.02)


def descendants(pid):
    """PIDs of all live descendants of pid (host PID namespace)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = proc_stat(int(d))
        if st is None:
            continue
        children.setdefault(st[1], []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


class Bg:
    """A background process with stdout/stderr captured to files."""

    def __init__(self, args, workdir, *, env=None, cwd=None, stdin=subprocess.DEVNULL,
                 pass_fds=(), name="bg"):
        self.args = [str(a) for a in args]
        self.out_path = Path(workdir) / f"{name}.stdout"
        self.err_path = Path(workdir) / f"{name}.stderr"
        self._out = open(self.out_path, "w")
        self._err = open(self.err_path, "w")
        self.p = subprocess.Popen(self.args, stdin=stdin, stdout=self._out, stderr=self._err,
                                  env=env, cwd=cwd, pass_fds=pass_fds)
        self.pid = self.p.pid
        self.extra_pids = set()  # processes to kill at cleanup if still alive

    def stdout(self):
        return self.out_path.read_text()

    def stderr(self):
        return self.err_path.read_text()

    def wait_stdout(self, pattern, timeout=TIMEOUT):
        """Wait until stdout matches the regex; fail early if the process ends."""
        rx = re.compile(pattern, re.M)

        def pred():
            m = rx.search(self.stdout())
            if m:
                return m
            if self.p.poll() is not None:
                m = rx.search(self.stdout())
                if m:
                    return m
                pytest.fail(f"process exited ({self.p.returncode}) before printing "
                            f"{pattern!r}\n{self.describe()}")
            return None
        return wait_until(pred, timeout, what=f"{pattern!r} on stdout of {self.args!r}")

    def wait(self, timeout=TIMEOUT):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.args!r} did not exit within {timeout}s\n{self.describe()}")

    def result(self, timeout=TIMEOUT):
        rc = self.wait(timeout)
        return Result(self.args, rc, self.stdout(), self.stderr())

    def signal(self, sig):
        self.p.send_signal(sig)

    def describe(self):
        return f"--- stdout ---\n{self.stdout()}--- stderr ---\n{self.stderr()}"

    def cleanup(self):
        if self.p.poll() is None:
            self.p.kill()
            try:
                self.p.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        for pid in self.extra_pids:
            if not is_gone(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._out.close()
        self._err.close()


@pytest.fixture
def bg(tmp_path):
    """Factory for background processes; all are killed at teardown."""
    procs = []

    def start(args, **kw):
        kw.setdefault("name", f"bg{len(procs)}")
        b = Bg(args, tmp_path, **kw)
        procs.append(b)
        return b
    yield start
    for b in procs:
        b.cleanup()


# --------------------------------------------------------------------------
# per-test temporary directories
# --------------------------------------------------------------------------

def _exe(pid):
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


@pytest.fixture(autouse=True)
def _no_stray_processes(request):
    """After each test (and after the `bg` fixture's cleanup): kill and reap
    every process the test left behind.  A rootlesskit process still alive
    at that point fails the test: rootlesskit must never outlive its run."""
    yield
    left = [p for p in descendants(os.getpid()) if not is_gone(p)]
    rk_exe = os.path.realpath(RK_BIN)
    stray_rk = [p for p in left if _exe(p) == rk_exe]
    # give rootlesskit processes killed at cleanup (PDEATHSIG) time to go
    deadline = time.monotonic() + DEATH_TIMEOUT
    while stray_rk and time.monotonic() < deadline:
        time.sleep(0.02)
        stray_rk = [p for p in stray_rk if not is_gone(p)]
    for p in left:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # reap them (and any other orphan handed to us) until nothing is left
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if all(is_gone(p) for p in left):
                break
            time.sleep(0.01)
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.passed:
        assert not stray_rk, f"rootlesskit processes still running after the test: {stray_rk}"


@pytest.fixture(autouse=True)
def _rk_preflight():
    if not os.access(RK_BIN, os.X_OK):
        pytest.fail(f"rootlesskit under test not found or not executable: RK_BIN={RK_BIN}")
    if os.geteuid() == 0:
        pytest.fail("the integration tests must run as an unprivileged user (see tests/run.sh)")


@pytest.fixture(autouse=True)
def rk_tmpdir(tmp_path, monkeypatch, request):
    """A fresh, empty $TMPDIR for every test.  rootlesskit creates its default
    state dir there; at the end of every test nothing named rootlesskit* may be
    left in it (SPEC §6: the temporary state dir is removed on exit)."""
    d = tmp_path / "tmpdir"
    d.mkdir()
    monkeypatch.setenv("TMPDIR", str(d))
    yield d
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.passed:
        left = sorted(p.name for p in d.iterdir() if p.name.startswith("rootlesskit"))
        assert not left, f"rootlesskit left temporary state dirs behind in $TMPDIR: {left}"


@pytest.fixture
def rootlessctl():
    """Path of the rootlessctl under test (RK_CTL_BIN, default: beside RK_BIN, i.e.
    <repo>/build/rootlessctl)."""
    if not os.access(RK_CTL_BIN, os.X_OK):
        pytest.fail(f"rootlessctl under test not found or not executable: {RK_CTL_BIN}")
    return RK_CTL_BIN


@pytest.fixture
def state_dir(tmp_path):
    """Path (not yet created) for an explicit --state-dir."""
    return tmp_path / "state"


def copyup_leftovers():
    """Copy-up scratch dirs (/tmp/rootlesskit-b*) currently visible on the host."""
    return {p.name for p in Path("/tmp").glob("rootlesskit-b*")}


def assert_error(r, msg, *, code=1, stdout_empty=True, allow_child_line=True):
    """Assert a fatal error in SPEC §1.4 form: exit `code`; the message `msg`
    (substring) on an `[rootlesskit:...] error:` line; at most one further
    error line, which must be the parent's `child exited: ...` (a check done
    in the child, SPEC §1.4); nothing on stdout unless told otherwise."""
    assert r.returncode == code, str(r)
    errs = r.error_lines()
    assert any(msg in ln for ln in errs), f"expected error containing {msg!r}\n{r}"
    if len(errs) > 1:
        assert allow_child_line and len(errs) == 2 and \
            errs[0].startswith("[rootlesskit:child ] error: ") and \
            errs[1].startswith("[rootlesskit:parent] error: child exited: "), \
            f"more than one error line\n{r}"
    assert "panic" not in r.stderr and "goroutine" not in r.stderr, str(r)
    if stdout_empty:
        assert r.stdout == "", str(r)


def assert_single_error(r, msg, *, code=1, stdout_empty=True):
    """Like assert_error, but exactly one error line, from the parent."""
    assert_error(r, msg, code=code, stdout_empty=stdout_empty, allow_child_line=False)
    assert r.error_lines()[0].startswith("[rootlesskit:parent] error: "), str(r)


def assert_nothing_left(tmpdir, *paths):
    """After a failed start: $TMPDIR holds nothing and the given paths
    (e.g. an explicit --state-dir that did not exist before) do not exist."""
    left = sorted(p.name for p in Path(tmpdir).iterdir())
    assert left == [], f"left behind in $TMPDIR: {left}"
    for p in paths:
        assert not os.path.lexists(p), f"left behind: {p}"


def file_mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def ns_inode(kind, pid="self"):
    return os.readlink(f"/proc/{pid}/ns/{kind}")


# --------------------------------------------------------------------------
# network test bed (tests/lib/netns-setup.sh; facts in the docstring above)
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class NetBed:
    dir: Path
    addr4: str
    addr6: str            # "" when IPv6 is not usable in the bed
    dns_name: str
    dns_log: Path
    ext_if: str
    ext_addr4: str
    ext_gw4: str
    ext_addr6: str
    ext_gw6: str
    ext_peer6: str
    bridge: str
    bridge_addr4: str
    dhcp_range: tuple     # (first, last)
    dhcp_leases: Path
    dhcp_log: Path
    dead_dns4: str
    blackhole4: str
    metadata4: str

    @contextlib.contextmanager
    def resolv_conf(self, text):
        """/etc/resolv.conf says `text` inside the block (rewritten in place: the bed's bind
        mount keeps its inode); the original text comes back afterwards."""
        path = Path("/etc/resolv.conf").resolve()
        orig = path.read_text()
        with open(path, "w") as f:
            f.write(text)
        try:
            yield
        finally:
            with open(path, "w") as f:
                f.write(orig)

    def dns_log_size(self):
        """Current size of the DNS query log: pass it to dns_log_since()."""
        return self.dns_log.stat().st_size

    def dns_log_since(self, offset):
        """The DNS log written after `offset` (from dns_log_size())."""
        with open(self.dns_log, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def wait_dns_query(self, name, offset, qtype="A", timeout=5):
        """Wait until the DNS log (after `offset`) shows a query of `qtype`
        for `name`; return the matching line."""
        rx = re.compile(rf"query\[{re.escape(qtype)}\] {re.escape(name)} from ")

        def pred():
            return next((ln for ln in self.dns_log_since(offset).splitlines()
                         if rx.search(ln)), None)
        return wait_until(pred, timeout, what=f"a DNS query[{qtype}] for {name} in {self.dns_log}")


@pytest.fixture(scope="session")
def netbed():
    """The network test bed the runner built (fails under CI=true, skips
    otherwise, when the tests do not run in it)."""
    require_env("RK_TEST_NETBED")
    e = os.environ
    first, _, last = e["RK_TEST_DHCP_RANGE"].partition("-")
    return NetBed(dir=Path(e["RK_TEST_NETBED_DIR"]), addr4=e["RK_TEST_ADDR4"],
                  addr6=e.get("RK_TEST_ADDR6", ""), dns_name=e["RK_TEST_DNS_NAME"],
                  dns_log=Path(e["RK_TEST_DNS_LOG"]), ext_if=e["RK_TEST_EXT_IF"],
                  ext_addr4=e["RK_TEST_EXT_ADDR4"], ext_gw4=e["RK_TEST_EXT_GW4"],
                  ext_addr6=e.get("RK_TEST_EXT_ADDR6", ""), ext_gw6=e.get("RK_TEST_EXT_GW6", ""),
                  ext_peer6=e.get("RK_TEST_EXT_PEER6", ""), bridge=e["RK_TEST_BRIDGE"],
                  bridge_addr4=e["RK_TEST_BRIDGE_ADDR4"], dhcp_range=(first, last),
                  dhcp_leases=Path(e["RK_TEST_DHCP_LEASES"]),
                  dhcp_log=Path(e["RK_TEST_DHCP_LOG"]), dead_dns4=e["RK_TEST_DEAD_DNS4"],
                  blackhole4=e["RK_TEST_BLACKHOLE4"], metadata4=e["RK_TEST_METADATA4"])
