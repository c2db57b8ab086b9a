"""Mount namespace (SPEC §4.1, §4.2): --copy-up (tmpfs+symlink mode: the
directory becomes a writable tmpfs whose entries are symlinks into a hidden
`.roNNNN` bind of the original tree, or copies of the original symlinks),
several --copy-up (repeated and comma-separated), /tmp refused, nothing visible
on the host afterwards; --copy-up-mode; --propagation values, the warning for a
non-shared host root, and the effect of rslave/rshared vs rprivate on a host
mount made while the command runs (needs the runner's privileged helper).
"""

import os
import uuid
from pathlib import Path

import pytest

from conftest import (RK_BIN, copyup_leftovers, require_env, require_tool, rk, rk_ok,
                      run, wait_until)

PROP_BASE = Path(os.environ.get("RK_TEST_PROPDIR", "/srv/rootlesskit-test/prop"))
PROPAGATIONS = ["private", "rprivate", "shared", "rshared", "slave", "rslave"]

LIST_DIR = "find {d} -mindepth 1 -maxdepth 1 -printf '%f\\t%y\\t%l\\n'"


def listing(text):
    """Parse LIST_DIR output into {name: (type, link target)}."""
    out = {}
    for line in text.splitlines():
        name, typ, target = line.split("\t")
        out[name] = (typ, target)
    return out


def check_copied_up(d, inside):
    """`inside`: LIST_DIR of d as seen by the command.  Every original entry
    is a symlink to .roNNNN/<e>, or to the original target for symlinks."""
    host = sorted(os.listdir(d))
    ro = [n for n, (t, _) in inside.items() if n.startswith(".ro") and t == "d"]
    assert len(ro) == 1, f"expected one .roNNNN directory in {d}: {sorted(inside)}"
    ro = ro[0]
    assert sorted(n for n in inside if n != ro) == host, f"entries of {d} differ from the host"
    for e in host:
        typ, target = inside[e]
        assert typ == "l", f"{d}/{e} is not a symlink inside (type {typ})"
        p = os.path.join(d, e)
        want = os.readlink(p) if os.path.islink(p) else f"{ro}/{e}"
        assert target == want, f"{d}/{e} -> {target}, expected -> {want}"
    return ro


@pytest.fixture
def no_copyup_leftovers():
    before = copyup_leftovers()
    yield
    assert copyup_leftovers() - before == set(), "copy-up left /tmp/rootlesskit-b* behind"


@pytest.fixture
def data_dir(tmp_path):
    """A directory of our own to copy up: file, dir, absolute and relative
    symlinks, a hidden file."""
    d = tmp_path / "data"
    d.mkdir()
    (d / "file").write_text("original\n")
    (d / ".hidden").write_text("h\n")
    (d / "sub").mkdir()
    (d / "sub" / "inner").write_text("inner\n")
    os.symlink("/etc/hostname", d / "abs-link")
    os.symlink("file", d / "rel-link")
    return d


# --------------------------------------------------------------------------
# --copy-up
# --------------------------------------------------------------------------

def test_copy_up_etc_is_tmpfs_of_symlinks(no_copyup_leftovers):
    r = rk_ok("--copy-up=/etc", "sh", "-c",
              "stat -f -c %T /etc; stat -c '%a %u %g' /etc; echo ==; " + LIST_DIR.format(d="/etc"))
    head, lst = r.stdout.split("==\n")
    fstype, mode = head.splitlines()
    assert fstype == "tmpfs"
    assert mode == "1777 0 0", "tmpfs without options: mode 1777, owned by namespace root"
    check_copied_up("/etc", listing(lst))


def test_copy_up_etc_writable_and_replaceable(no_copyup_leftovers):
    victim = next(e for e in sorted(os.listdir("/etc"))
                  if os.path.isfile(f"/etc/{e}") and not os.path.islink(f"/etc/{e}")
                  and os.access(f"/etc/{e}", os.R_OK))
    dvictim = next(e for e in sorted(os.listdir("/etc"))
                   if os.path.isdir(f"/etc/{e}") and not os.path.islink(f"/etc/{e}"))
    with open(f"/etc/{victim}", "rb") as f:
        before = f.read()
    before_dir = sorted(os.listdir(f"/etc/{dvictim}"))
    script = f"""set -e
touch /etc/rk-new-file; echo new > /etc/rk-new-file; cat /etc/rk-new-file
rm /etc/{victim}; echo replaced > /etc/{victim}; cat /etc/{victim}
rm /etc/{dvictim}; mkdir /etc/{dvictim}; touch /etc/{dvictim}/x; ls /etc/{dvictim}
"""
    r = rk_ok("--copy-up=/etc", "sh", "-c", script)
    assert r.stdout == "new\nreplaced\nx\n", str(r)
    assert not os.path.lexists("/etc/rk-new-file")
    with open(f"/etc/{victim}", "rb") as f:
        assert f.read() == before, "host file changed"
    assert sorted(os.listdir(f"/etc/{dvictim}")) == before_dir


def test_copy_up_own_dir(data_dir, no_copyup_leftovers):
    script = (LIST_DIR.format(d=data_dir) +
              f"; echo ==; cat {data_dir}/rel-link {data_dir}/sub/inner;"
              f" echo changed > {data_dir}/newfile; rm {data_dir}/file; echo x > {data_dir}/file;"
              f" cat {data_dir}/file")
    r = rk_ok(f"--copy-up={data_dir}", "sh", "-c", script)
    lst, rest = r.stdout.split("==\n")
    inside = listing(lst)
    check_copied_up(str(data_dir), inside)
    assert inside["abs-link"] == ("l", "/etc/hostname")
    assert inside["rel-link"] == ("l", "file")
    assert rest == "original\ninner\nx\n"
    # the host directory is untouched
    assert sorted(os.listdir(data_dir)) == [".hidden", "abs-link", "file", "rel-link", "sub"]
    assert (data_dir / "file").read_text() == "original\n"


def test_copy_up_repeated(no_copyup_leftovers):
    r = rk_ok("--copy-up=/etc", "--copy-up=/var", "sh", "-c", "stat -f -c %T /etc /var")
    assert r.stdout == "tmpfs\ntmpfs\n"


@pytest.mark.not_in_ref("slice flags are split on ',' since v3")
@pytest.mark.parametrize("value", ["/etc,/var", "/etc, /var", " /etc , /var "])
def test_copy_up_comma_separated(value, no_copyup_leftovers):
    r = rk_ok(f"--copy-up={value}", "sh", "-c", "stat -f -c %T /etc /var")
    assert r.stdout == "tmpfs\ntmpfs\n"


def test_copy_up_mode_explicit(no_copyup_leftovers):
    r = rk_ok("--copy-up=/etc", "--copy-up-mode=tmpfs+symlink", "stat", "-f", "-c", "%T", "/etc")
    assert r.stdout == "tmpfs\n"


def test_copy_up_tmp_refused(no_copyup_leftovers, rk_tmpdir):
    r = rk("--copy-up=/tmp", "true")
    assert r.returncode == 1, str(r)
    assert any("/tmp cannot be copied up" in ln for ln in r.error_lines()), str(r)
    assert list(rk_tmpdir.iterdir()) == []


def test_copy_up_nothing_left_on_host(data_dir, no_copyup_leftovers):
    rk_ok(f"--copy-up={data_dir}", "--copy-up=/etc", "true")
    # the host sees no tmpfs and no .ro dir
    assert not any(n.startswith(".ro") for n in os.listdir(data_dir))
    assert not any(n.startswith(".ro") for n in os.listdir("/etc"))


def test_without_copy_up_etc_is_host_etc():
    r = rk_ok("sh", "-c", "stat -f -c %T /etc; stat -c %i /etc")
    fstype, ino = r.stdout.split()
    assert int(ino) == os.stat("/etc").st_ino
    assert fstype == run(["stat", "-f", "-c", "%T", "/etc"]).stdout.strip()


# --------------------------------------------------------------------------
# --propagation
# --------------------------------------------------------------------------

def host_root_optional_fields():
    """Optional fields of the mountinfo entry of / (the last one mounted)."""
    opt = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[4] == "/":
                sep = fields.index("-")
                opt = fields[6:sep]
    return opt or []


@pytest.mark.parametrize("prop", PROPAGATIONS + ["foo"])
def test_propagation_values_accepted(prop):
    # unknown values are silently ignored (SPEC §2.2)
    r = rk_ok(f"--propagation={prop}", "echo", "ok")
    assert r.stdout == "ok\n"
    assert r.error_lines() == [], str(r)


@pytest.mark.parametrize("prop", PROPAGATIONS)
def test_propagation_warning_for_non_shared_host_root(prop):
    r = rk_ok(f"--propagation={prop}", "true")
    stderr = r.stderr.replace('\\"', '"')  # logfmt escapes quotes inside msg="..."
    warning = f'Setting child propagation to "{prop}" is not supported.'
    host_shared = any(o.startswith("shared:") for o in host_root_optional_fields())
    if "private" in prop or host_shared:
        assert warning not in stderr, str(r)
    else:
        lines = [ln for ln in stderr.splitlines() if warning in ln]
        assert len(lines) == 1 and "The host root filesystem is mounted as" in lines[0] \
            and "level=warning" in lines[0], str(r)


@pytest.fixture
def prop_dir():
    """An empty directory on the runner's rshared tmpfs, for a host mount."""
    helper = require_env("RK_TEST_PRIVHELPER")
    require_tool("sudo")
    base_ok = any(ln.split()[4] == str(PROP_BASE) and "shared:" in ln.split(" - ")[0]
                  for ln in open("/proc/self/mountinfo"))
    if not base_ok:
        pytest.fail(f"{PROP_BASE} is not a shared mount (test environment broken)")
    d = PROP_BASE / f"t-{uuid.uuid4().hex[:12]}"
    d.mkdir()
    mounted = []

    def mount():
        r = run(["sudo", "-n", helper, "mount-tmpfs", d])
        assert r.returncode == 0, f"privileged helper failed: {r}"
        mounted.append(d)
    yield d, mount
    for m in mounted:
        run(["sudo", "-n", helper, "umount", m])
    d.rmdir()


@pytest.mark.parametrize("prop,visible", [("rslave", True), ("rshared", True),
                                          ("rprivate", False)])
def test_propagation_of_host_mount(prop, visible, prop_dir, tmp_path, bg):
    d, mount = prop_dir
    sync = tmp_path / "sync"
    sync.mkdir()
    script = f"""
echo ready > {sync}/ready
i=0; while [ ! -e {sync}/go ]; do sleep 0.05; i=$((i+1)); [ $i -lt 400 ] || exit 3; done
if [ -e {d}/marker ]; then cat {d}/marker; else echo absent; fi
"""
    p = bg([RK_BIN, f"--propagation={prop}", "sh", "-c", script])
    wait_until(lambda: (sync / "ready").exists() or p.p.poll() is not None, 20,
               what="the command to start")
    assert p.p.poll() is None, p.describe()
    mount()
    (d / "marker").write_text("mounted-later\n")
    (sync / "go").touch()
    r = p.result()
    assert r.returncode == 0, str(r)
    assert r.stdout == ("mounted-later\n" if visible else "absent\n"), str(r)
