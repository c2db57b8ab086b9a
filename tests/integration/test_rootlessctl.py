"""rootlessctl (SPEC §10.2) side by side with Debian's Go rootlessctl 1.1.0: for each command
line both run against the same server (Debian's Go rootlesskit 1.1.0, --net=slirp4netns
--port-driver=builtin), re-created in the same state for each where the command changes it, and
stdout, stderr and the exit status must be byte-equal. Where SPEC §10.2 lets us differ (the
version: ours says 3.0.1), ours is checked against the Go output with that one change. The
Go server lists ports in random order: with several ports the lines are compared as sets.
Also: failures without a server (no socket, a socket refusing connections, a server closing
without an answer).
"""

import os
import shutil
import signal
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import env_with, require_tool, run, wait_until

REF_CTL = "/usr/bin/rootlessctl"
VERSION = "3.0.1"
SPECS = ["127.0.0.1:18080:80/tcp", "[::1]:18081:[::1]:81/tcp6",
         "0.0.0.0:18082:10.0.2.100:82/udp", ":18083:83/udp4"]


@dataclass
class Case:
    args: list
    pre: list = field(default_factory=list)  # add-ports arguments run first (Go rootlessctl)
    mutates: bool = False                    # needs a fresh server for each of the two runs
    server: bool = True                      # needs a server at all
    env: str = "state"                       # "state": $ROOTLESSKIT_STATE_DIR; "none": unset
    version_differs: bool = False            # Go's "1.1.0" reads "3.0.1" in ours
    unordered: bool = False                  # port lines in any order (the Go server lists
                                             # its ports in random order)


CASES = {
    # reading
    "list-empty": Case(["list-ports"]),
    "list-empty-json": Case(["list-ports", "--json"]),
    "list-one": Case(["list-ports"], pre=SPECS[1:2]),
    "list-one-json": Case(["list-ports", "--json"], pre=SPECS[2:3]),
    "list": Case(["list-ports"], pre=SPECS, unordered=True),
    "list-json": Case(["list-ports", "--json"], pre=SPECS, unordered=True),
    "list-socket-flag": Case(["--socket", "{state}/api.sock", "list-ports"], pre=SPECS[:1],
                             env="none"),
    "info": Case(["info"], pre=SPECS[:1]),
    "info-json": Case(["info", "--json"]),
    "info-debug-socket": Case(["--debug", "--socket={state}/api.sock", "info"], env="none"),
    # changing
    "add": Case(["add-ports"] + SPECS, mutates=True),
    "add-json": Case(["add-ports", "--json"] + SPECS, mutates=True),
    "add-after": Case(["add-ports", "127.0.0.2:18090:90/tcp"], pre=SPECS[:2], mutates=True),
    "remove": Case(["remove-ports", "1", "3"], pre=SPECS, mutates=True),
    "remove-stops-at-unknown": Case(["remove-ports", "2", "99", "1"], pre=SPECS, mutates=True),
    # errors from the server
    "conflict": Case(["add-ports", "127.0.0.1:18091:91/tcp", "127.0.0.1:18080:81/tcp",
                      "127.0.0.1:18092:92/tcp"], pre=SPECS[:1], mutates=True),
    "invalid-port": Case(["add-ports", "127.0.0.1:0:80/tcp"], mutates=True),
    "privileged-port": Case(["add-ports", "127.0.0.1:80:80/tcp"], mutates=True),
    "sctp": Case(["add-ports", "127.0.0.1:18093:93/sctp"], mutates=True),
    "unknown-id": Case(["remove-ports", "99"], mutates=True),
    # errors found before any request
    "bad-spec": Case(["add-ports", "127.0.0.1:18080:80/tcp", "bad"], mutates=True),
    "bad-spec-proto": Case(["add-ports", "127.0.0.1:18080:80/foo"], mutates=True),
    "bad-id": Case(["remove-ports", "1", "abc"], pre=SPECS[:1], mutates=True),
    "bad-id-range": Case(["remove-ports", "99999999999999999999"], mutates=True),
    "no-port": Case(["add-ports"]),
    "no-id": Case(["remove-ports"]),
    # the command line
    "unknown-subcommand": Case(["foo"], server=False),
    "help-unknown": Case(["help", "foo"], server=False),
    "bad-flag": Case(["--bogus"], server=False, version_differs=True),
    "bad-sub-flag": Case(["list-ports", "--bogus"], server=False),
    "bad-bool": Case(["info", "--json=maybe"], server=False),
    "two-forms": Case(["-h", "--help"], server=False, version_differs=True),
    "socket-no-value": Case(["--socket"], server=False, version_differs=True),
    "help": Case(["--help"], server=False, version_differs=True),
    "help-short": Case(["-h"], server=False, version_differs=True),
    "help-cmd": Case(["help"], server=False, version_differs=True),
    "no-args": Case([], server=False, version_differs=True),
    "help-list-ports": Case(["help", "list-ports"], server=False),
    "help-remove-ports": Case(["help", "remove-ports"], server=False),
    "help-help": Case(["help", "help"], server=False),
    "add-ports-help": Case(["add-ports", "--help"], server=False),
    "remove-ports-h": Case(["remove-ports", "-h"], server=False),
    "version": Case(["--version"], server=False, version_differs=True),
    "version-short": Case(["-v"], server=False, version_differs=True),
    # no server
    "missing-socket": Case(["--socket", "{state}/missing.sock", "list-ports"], server=False),
    "no-socket-no-env": Case(["list-ports"], server=False, env="none"),
    "no-socket-no-env-add": Case(["add-ports", "127.0.0.1:18080:80/tcp"], server=False,
                                 env="none"),
}


class GoServer:
    """Debian's Go rootlesskit with the builtin port driver, restartable in a clean state."""

    def __init__(self, bg, state):
        self.bg = bg
        self.state = state
        self.proc = None

    def start(self, pre):
        self.stop()
        shutil.rmtree(self.state, ignore_errors=True)
        self.proc = self.bg(["/usr/bin/rootlesskit", "--net=slirp4netns", "--port-driver=builtin",
                             f"--state-dir={self.state}", "sleep", "3600"])
        sock = self.state / "api.sock"

        def ready():
            if self.proc.p.poll() is not None:
                pytest.fail(f"Go rootlesskit exited\n{self.proc.describe()}")
            return sock.exists() and run([REF_CTL, "--socket", sock, "info"]).returncode == 0
        wait_until(ready, 30, interval=0.05, what="the Go rootlesskit's API")
        if pre:
            r = run([REF_CTL, "--socket", sock, "add-ports", *pre])
            assert r.returncode == 0, str(r)

    def stop(self):
        if self.proc is not None and self.proc.p.poll() is None:
            self.proc.signal(signal.SIGTERM)
            self.proc.wait()
        self.proc = None


@pytest.fixture
def go_server(bg, tmp_path):
    require_tool("slirp4netns")
    for tool in ("/usr/bin/rootlesskit", REF_CTL):
        if not os.access(tool, os.X_OK):
            pytest.fail(f"reference not installed: {tool}")
    srv = GoServer(bg, tmp_path / "state")
    yield srv
    srv.stop()


def run_ctl(binary, case, state):
    args = [a.replace("{state}", str(state)) for a in case.args]
    env = env_with(ROOTLESSKIT_STATE_DIR=state if case.env == "state" else None)
    return run([binary, *args], env=env)


def assert_same(ours, ref, version_differs=False, unordered=False):
    want_out, want_err, got_out = ref.stdout, ref.stderr, ours.stdout
    if version_differs:
        assert "1.1.0" in want_out, str(ref)
        want_out = want_out.replace("1.1.0", VERSION)
    if unordered:
        def order(text):  # the table's header stays first
            lines = text.split("\n")
            head = 1 if lines[0].startswith("ID ") else 0
            return "\n".join(lines[:head] + sorted(lines[head:]))
        want_out, got_out = order(want_out), order(got_out)
    assert (ours.returncode, got_out, ours.stderr) == (ref.returncode, want_out, want_err), \
        f"ours:\n{ours}\nGo 1.1.0 (version as {VERSION}: {version_differs}):\n{ref}"


@pytest.mark.parametrize("name", list(CASES))
def test_same_as_go(name, rootlessctl, go_server, tmp_path):
    case = CASES[name]
    state = tmp_path / "state"
    results = []
    for binary in (REF_CTL, rootlessctl):
        if case.server and (case.mutates or not results):
            go_server.start(case.pre)
        results.append(run_ctl(binary, case, state))
    ref, ours = results
    if name in ("list", "list-json", "list-one", "info", "info-json", "add", "add-json",
                "remove"):
        assert ref.returncode == 0 and ref.stdout, str(ref)  # a real exchange was compared
    assert_same(ours, ref, case.version_differs, case.unordered)
    if name == "version":
        assert ours.stdout == f"rootlessctl version {VERSION}\n"


def test_connection_refused(rootlessctl, tmp_path):
    # a bound socket nobody listens on refuses connections
    path = tmp_path / "refuse.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    try:
        for args in (["list-ports"], ["info", "--json"], ["add-ports", "127.0.0.1:18080:80/tcp"],
                     ["remove-ports", "3"]):
            ref = run([REF_CTL, "--socket", path, *args])
            ours = run([rootlessctl, "--socket", path, *args])
            assert_same(ours, ref)
        assert "connect: connection refused" in ours.stderr
        assert ours.stderr.startswith(f'error: Delete "http://rootlesskit/v1/ports/3": dial unix {path}')
    finally:
        s.close()


def test_server_closes_without_answer(rootlessctl, tmp_path):
    path = tmp_path / "eof.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen(8)
    srv.settimeout(10)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                return
            c.recv(65536)
            c.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        for args in (["list-ports"], ["add-ports", "--json", "127.0.0.1:18080:80/tcp"]):
            ref = run([REF_CTL, "--socket", path, *args])
            ours = run([rootlessctl, "--socket", path, *args])
            assert_same(ours, ref)
            assert ours.stderr.endswith(': EOF\n'), str(ours)
    finally:
        stop.set()
        srv.close()
        t.join(5)


def test_socket_path_from_state_dir_is_cleaned(rootlessctl, tmp_path):
    # $ROOTLESSKIT_STATE_DIR is joined the Go way (filepath.Join cleans the path)
    d = tmp_path / "a"
    d.mkdir()
    for sd in (f"{d}/", f"{d}//../a/./", str(Path(d) / "missing")):
        env = env_with(ROOTLESSKIT_STATE_DIR=sd)
        ref = run([REF_CTL, "info"], env=env)
        ours = run([rootlessctl, "info"], env=env)
        assert_same(ours, ref)
        assert "stat " in ours.stderr
