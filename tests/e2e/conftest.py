# SPDX-License-Identifier: Apache-2.0
"""Helpers of the rootless Docker end-to-end tests (tests/e2e).

Run as the unprivileged test user inside the private network test bed
(tests/lib/as-test-user.sh, started by `bash tests/run.sh`); traffic goes only to loopback,
to the bed's own addresses (RK_TEST_ADDR4, its DNS name) and into the namespaces the tests
make. No registry is reachable or asked: the image is imported from a tarball.

* bin_dir: a directory holding our rootlesskit, rootlessctl and rootlesskit-docker-proxy
  (beside $RK_BIN), put first in PATH so that Debian's dockerd-rootless.sh and dockerd pick
  them up instead of Debian's Go ones.
* image_tar: the test image, a static busybox, a static UDP echo server (udpecho.c) and a
  page in /www, as a tarball for `docker import`.
* RootlessDocker: Debian's dockerd-rootless.sh started with a chosen network stack, its
  state (rootlesskit's state dir, dockerd's pid), a docker client, rootlessctl.
"""

import io
import os
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

# tests/lib/netutil.py: helpers shared with tests/integration
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from netutil import free_port, recv_line, wait_until  # noqa: E402,F401 (re-exported)

REPO = Path(__file__).resolve().parents[2]
RK_BIN = os.environ.get("RK_BIN") or str(REPO / "build" / "rootlesskit")
TIMEOUT = 60
DOCKER = "/usr/bin/docker"                       # Debian's client (20.10), not any other
CONTRIB = "/usr/share/docker.io/contrib"         # dockerd-rootless.sh
PAGE = "hello from the e2e container\n"


def fail_missing(path):
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing (tests/lib/debian-packages installs docker.io, "
                    "containerd, runc, busybox-static; RK_BIN's build holds ours)")


@pytest.fixture(scope="session")
def bin_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("bin")
    for name in ("rootlesskit", "rootlessctl", "rootlesskit-docker-proxy"):
        src = Path(RK_BIN).parent / name if name != "rootlesskit" else Path(RK_BIN)
        fail_missing(str(src))
        (d / name).symlink_to(src)
    return d


@pytest.fixture(scope="session")
def image_tar(tmp_path_factory):
    for p in ("/bin/busybox", "/usr/bin/gcc", DOCKER, "/usr/sbin/dockerd",
              "/usr/sbin/docker-proxy", f"{CONTRIB}/dockerd-rootless.sh"):
        fail_missing(p)
    d = tmp_path_factory.mktemp("image")
    echo = d / "udpecho"
    subprocess.run(["gcc", "-static", "-O2", "-o", str(echo),
                    str(Path(__file__).parent / "udpecho.c")], check=True)
    tar = d / "image.tar"
    with tarfile.open(tar, "w") as t:
        def add_dir(name):
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            t.addfile(ti)
        for name in ("bin", "www", "etc", "tmp"):
            add_dir(name)
        t.add("/bin/busybox", "bin/busybox")
        t.add(str(echo), "bin/udpecho")
        for applet in ("sh", "wget", "nslookup", "httpd", "cat", "sleep"):
            ti = tarfile.TarInfo(f"bin/{applet}")
            ti.type, ti.linkname = tarfile.SYMTYPE, "busybox"
            t.addfile(ti)
        data = PAGE.encode()
        ti = tarfile.TarInfo("www/index.html")
        ti.size, ti.mode = len(data), 0o644
        t.addfile(ti, io.BytesIO(data))
    return tar


def descendants(pid):
    """pid and every process below it (all threads' children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def exe(pid):
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def sigterm_and_check_gone(p, state_dir):
    """SIGTERM to rootlesskit (Popen p): every process of its tree must end and its state
    directory must go. Return: rootlesskit's exit status."""
    procs = descendants(p.pid)
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=TIMEOUT)
    wait_until(lambda: not any(alive(x) for x in procs), TIMEOUT, interval=0.1,
               what="every process to end")
    assert not os.path.exists(state_dir)
    return rc


def remove_tree(bin_dir, path):
    """rm -rf as the fake root of our rootlesskit: the image layers below dockerd's data root
    belong to sub-IDs, which the test user cannot remove directly."""
    subprocess.run([str(bin_dir / "rootlesskit"), "rm", "-rf", str(path)],
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    if os.path.exists(path):
        raise AssertionError(f"could not remove {path}")


class RootlessDocker:
    """Debian's dockerd-rootless.sh under our rootlesskit, with network stack `net`."""

    def __init__(self, base, bin_dir, net, port_driver, image_tar):
        self.net, self.port_driver = net, port_driver
        self.home = base / "home"
        self.xdg = base / "xdg"
        self.home.mkdir()
        self.xdg.mkdir(mode=0o700)
        self.log_path = base / "dockerd.log"
        self.sock = self.xdg / "docker.sock"
        self.env = {
            "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin:{CONTRIB}",
            "HOME": str(self.home), "USER": os.environ.get("USER", ""),
            "XDG_RUNTIME_DIR": str(self.xdg), "DOCKER_HOST": f"unix://{self.sock}",
            "DOCKERD_ROOTLESS_ROOTLESSKIT_NET": net,
            "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER": port_driver,
            "LANG": "C.UTF-8",
        }
        self.ctl_bin = str(bin_dir / "rootlessctl")
        self.our_rk = os.path.realpath(bin_dir / "rootlesskit")
        self.our_proxy = os.path.realpath(bin_dir / "rootlesskit-docker-proxy")
        with open(self.log_path, "wb") as log:
            self.p = subprocess.Popen(["dockerd-rootless.sh"], env=self.env, stdout=log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_until(self._ready, TIMEOUT, interval=0.1, what="dockerd to answer")
        except BaseException:
            self.stop()
            raise
        self.dockerd_pid = int((self.xdg / "docker.pid").read_text())
        self.state_dir = self._env_of(self.dockerd_pid)["ROOTLESSKIT_STATE_DIR"]
        self.docker("import", str(image_tar), "e2e:1")

    def log(self):
        return self.log_path.read_text(errors="replace")[-6000:]

    def _ready(self):
        if self.p.poll() is not None:
            pytest.fail(f"dockerd-rootless.sh exited with {self.p.returncode}:\n{self.log()}")
        return subprocess.run([DOCKER, "info"], env=self.env, capture_output=True,
                              timeout=TIMEOUT).returncode == 0

    @staticmethod
    def _env_of(pid):
        with open(f"/proc/{pid}/environ", "rb") as f:
            return dict(kv.decode().split("=", 1) for kv in f.read().split(b"\0") if b"=" in kv)

    def docker(self, *args, check=True, timeout=TIMEOUT):
        r = subprocess.run([DOCKER, *args], env=self.env, capture_output=True, text=True,
                           timeout=timeout)
        if check and r.returncode != 0:
            pytest.fail(f"docker {' '.join(args)}: exit {r.returncode}\n{r.stderr}\n"
                        f"dockerd log:\n{self.log()}")
        return r

    def run_d(self, *args):
        """docker run -d --init ARGS; the container's id."""
        return self.docker("run", "-d", "--init", *args).stdout.strip()

    def ctl(self, *args):
        return subprocess.run([self.ctl_bin, "--socket", f"{self.state_dir}/api.sock", *args],
                              capture_output=True, text=True, timeout=TIMEOUT)

    def ports(self):
        """rootlessctl list-ports --json: the published specs (empty without a port driver)."""
        import json
        r = self.ctl("list-ports", "--json")
        if self.port_driver == "implicit":
            assert r.returncode == 1 and "no PortDriver is available" in r.stderr, r
            return []
        assert r.returncode == 0, r.stderr
        return [json.loads(line)["spec"] for line in r.stdout.splitlines()]

    def processes(self):
        return descendants(self.p.pid)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                for pid in descendants(self.p.pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                self.p.wait()
        return self.p.returncode
