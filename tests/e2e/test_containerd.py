# SPDX-License-Identifier: Apache-2.0
"""containerd-rootless.sh's way (nerdctl's daemon): containerd under our rootlesskit with that
script's flag set (it adds --copy-up=/var/lib to Docker's), and a client that enters the child
as nerdctl does, `nsenter -U --preserve-credentials -m -n -t $(cat $STATE_DIR/child_pid)`, and
talks to containerd there (Debian's `ctr`). nerdctl itself is not packaged in Debian 12.
"""

import os
import subprocess
from pathlib import Path

import pytest

from conftest import TIMEOUT, sigterm_and_check_gone, wait_until

# containerd-rootless.sh's child: drop the host's entries that copy-up turned into symlinks
CHILD = "rm -f /run/containerd /run/xtables.lock /var/lib/containerd /etc/containerd; exec containerd"


@pytest.mark.parametrize("net", ["slirp4netns", "gvisor-tap-vsock"])
def test_containerd_rootless(net, bin_dir, tmp_path):
    for tool in ("/usr/bin/containerd", "/usr/bin/ctr"):
        if not os.access(tool, os.X_OK):
            pytest.fail(f"{tool} is missing (tests/lib/debian-packages: containerd)")
    state_dir = Path(f"/tmp/rk-e2e-ctd.{os.getpid()}.{net}")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": str(tmp_path),
           "LANG": "C.UTF-8"}
    log = open(tmp_path / "log", "w+")
    p = subprocess.Popen([str(bin_dir / "rootlesskit"), f"--state-dir={state_dir}",
                          f"--net={net}", "--mtu=65520", "--slirp4netns-sandbox=auto",
                          "--slirp4netns-seccomp=auto", "--disable-host-loopback",
                          "--port-driver=builtin", "--copy-up=/etc", "--copy-up=/run",
                          "--copy-up=/var/lib", "--propagation=rslave", "sh", "-c", CHILD],
                         env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        child = wait_until(lambda: (state_dir / "child_pid").exists() and
                           (state_dir / "child_pid").read_text(), TIMEOUT, what="child_pid")

        def ctr(*args):
            return subprocess.run(["nsenter", "-U", "--preserve-credentials", "-m", "-n", "-t",
                                   child, "ctr", *args], env=env, capture_output=True,
                                  text=True, timeout=TIMEOUT)

        r = wait_until(lambda: (lambda r: r if r.returncode == 0 else None)(ctr("version")),
                       TIMEOUT, interval=0.1, what="containerd to answer ctr in the child")
        assert "Server:" in r.stdout and "Version:" in r.stdout, r.stdout
        r = ctr("namespaces", "create", "e2e")
        assert r.returncode == 0, r.stderr
        assert "e2e" in ctr("namespaces", "list").stdout
        sigterm_and_check_gone(p, state_dir)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        log.seek(0)
        print(log.read()[-4000:])
        log.close()
