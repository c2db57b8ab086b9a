"""User namespace and sub-ID mapping (SPEC §3): the command runs as uid/gid 0,
the own uid/gid is mapped to 0 and the user's sub-ID ranges from 1 on, via
newuidmap/newgidmap; --subid-source=auto|dynamic|static; getsubids (dynamic,
also through $GETSUBIDS) queried by name and by numeric uid, duplicate ranges
dropped, several ranges mapped consecutively; no range -> single-ID mapping
with a warning; a getsubids that cannot be run -> `subid-source:dynamic: ...`.

Not covered here (no root for the test user, so /etc/subuid cannot be edited or
made unreadable): static numeric-uid lines, malformed lines, an unreadable or
missing /etc/subuid, and the static no-match fallback.  Those belong to the
unit tests of the subid parser (tests/unit).  The fallback itself is exercised
here through dynamic mode with an empty getsubids answer, and the numeric-uid
lookup through a getsubids stub that only answers the numeric query.
"""

import os

import pytest

from conftest import (assert_error, assert_nothing_left, env_with, expected_map, me,
                      parse_id_map, rk, rk_ok, static_ranges)

SHOW_MAPS = "cat /proc/self/uid_map; echo --; cat /proc/self/gid_map"


def maps_of(r):
    uid_text, gid_text = r.stdout.split("--\n")
    return parse_id_map(uid_text), parse_id_map(gid_text)


def static_expected():
    uid, gid, _ = me()
    return (expected_map(uid, static_ranges("/etc/subuid")),
            expected_map(gid, static_ranges("/etc/subgid")))


@pytest.fixture
def subid_base():
    """First sub-uid and sub-gid of the test user (the environment contract
    gives the user at least one range of >= 65536 IDs)."""
    u, g = static_ranges("/etc/subuid"), static_ranges("/etc/subgid")
    assert u and g, "the test user needs ranges in /etc/subuid and /etc/subgid"
    assert u[0][1] >= 4000 and g[0][1] >= 4000
    return u[0][0], g[0][0]


def make_getsubids_stub(tmp_path, answers):
    """A fake getsubids.  `answers` maps the argument string ("NAME", "UID",
    "-g NAME", "-g UID") to output lines; other queries fail like the real
    tool does for an unknown user.  Every call is logged."""
    log = tmp_path / "getsubids.log"
    lines = ["#!/bin/sh", f'echo "$*" >> "{log}"', 'case "$*" in']
    for query, out in answers.items():
        body = "".join(f"printf '%s\\n' '{ln}'; " for ln in out)
        lines.append(f'"{query}") {body}exit 0;;')
    lines += ['*) echo "Error fetching ranges" >&2; exit 1;;', "esac"]
    stub = tmp_path / "getsubids-stub"
    stub.write_text("\n".join(lines) + "\n")
    stub.chmod(0o755)
    return stub, log


# --------------------------------------------------------------------------

def test_command_runs_as_root():
    r = rk_ok("sh", "-c", "id -u; id -g")
    assert r.stdout == "0\n0\n"


@pytest.mark.parametrize("source", [None, "auto", "static", "dynamic"])
def test_maps_from_subid_files(source):
    # Debian's getsubids reads the same /etc/subuid, so every source agrees.
    args = [f"--subid-source={source}"] if source else []
    r = rk_ok(*args, "sh", "-c", SHOW_MAPS)
    assert maps_of(r) == static_expected(), str(r)


def test_subordinate_ids_are_usable(tmp_path):
    # Inside ID 1 is the first sub-ID on the host.
    f = tmp_path / "owned"
    rk_ok("sh", "-c", f'touch "{f}" && chown 1:1 "{f}" && stat -c %u:%g "{f}"')
    st = os.stat(f)
    (u0, _), (g0, _) = static_ranges("/etc/subuid")[0], static_ranges("/etc/subgid")[0]
    assert (st.st_uid, st.st_gid) == (u0, g0)
    # clean up: only the namespace root can remove it now if the dir is ours (it is)
    f.unlink()


def test_dynamic_numeric_uid_query(tmp_path, subid_base):
    """The name query fails, the numeric one answers: its ranges are used."""
    uid, gid, name = me()
    su, sg = subid_base
    stub, log = make_getsubids_stub(tmp_path, {
        str(uid): [f"0: {uid} {su} 1000"],
        f"-g {uid}": [f"0: {uid} {sg} 2000"],
    })
    r = rk_ok("--subid-source=dynamic", "sh", "-c", SHOW_MAPS, env=env_with(GETSUBIDS=stub))
    assert maps_of(r) == ([(0, uid, 1), (1, su, 1000)], [(0, gid, 1), (1, sg, 2000)]), str(r)
    calls = set(log.read_text().splitlines())
    assert {name, str(uid), f"-g {name}", f"-g {uid}"} <= calls, calls


def test_dynamic_name_query(tmp_path, subid_base):
    uid, gid, name = me()
    su, sg = subid_base
    stub, _ = make_getsubids_stub(tmp_path, {
        name: [f"0: {name} {su} 1500"],
        f"-g {name}": [f"0: {name} {sg} 2500"],
    })
    r = rk_ok("--subid-source=dynamic", "sh", "-c", SHOW_MAPS, env=env_with(GETSUBIDS=stub))
    assert maps_of(r) == ([(0, uid, 1), (1, su, 1500)], [(0, gid, 1), (1, sg, 2500)]), str(r)


@pytest.mark.not_in_ref("duplicate getsubids ranges are removed since v2 (SPEC §11.17)")
def test_dynamic_duplicate_ranges_dropped(tmp_path, subid_base):
    uid, gid, name = me()
    su, sg = subid_base
    stub, _ = make_getsubids_stub(tmp_path, {
        name: [f"0: {name} {su} 1000"],
        str(uid): [f"0: {uid} {su} 1000"],
        f"-g {name}": [f"0: {name} {sg} 1000"],
        f"-g {uid}": [f"0: {uid} {sg} 1000"],
    })
    r = rk_ok("--subid-source=dynamic", "sh", "-c", SHOW_MAPS, env=env_with(GETSUBIDS=stub))
    assert maps_of(r) == ([(0, uid, 1), (1, su, 1000)], [(0, gid, 1), (1, sg, 1000)]), str(r)


def test_dynamic_several_ranges_consecutive(tmp_path, subid_base):
    uid, gid, name = me()
    su, sg = subid_base
    stub, _ = make_getsubids_stub(tmp_path, {
        name: ["# a comment", "", f"0: {name} {su} 1000", f"1: {name} {su + 2000} 500"],
        f"-g {name}": [f"0: {name} {sg} 300", f"1: {name} {sg + 1000} 700"],
    })
    r = rk_ok("--subid-source=dynamic", "sh", "-c", SHOW_MAPS, env=env_with(GETSUBIDS=stub))
    assert maps_of(r) == (
        [(0, uid, 1), (1, su, 1000), (1001, su + 2000, 500)],
        [(0, gid, 1), (1, sg, 300), (301, sg + 1000, 700)]), str(r)


def test_auto_prefers_getsubids(tmp_path, subid_base):
    uid, gid, name = me()
    su, sg = subid_base
    stub, log = make_getsubids_stub(tmp_path, {
        name: [f"0: {name} {su} 1234"],
        f"-g {name}": [f"0: {name} {sg} 4321"],
    })
    for args in ([], ["--subid-source=auto"]):
        r = rk_ok(*args, "sh", "-c", SHOW_MAPS, env=env_with(GETSUBIDS=stub))
        assert maps_of(r) == ([(0, uid, 1), (1, su, 1234)], [(0, gid, 1), (1, sg, 4321)]), str(r)


def test_auto_falls_back_to_static_when_getsubids_fails(tmp_path):
    stub, log = make_getsubids_stub(tmp_path, {})  # every query fails
    r = rk_ok("--subid-source=auto", "sh", "-c", SHOW_MAPS, env=env_with(GETSUBIDS=stub))
    assert maps_of(r) == static_expected(), str(r)
    assert log.read_text(), "getsubids stub was not called"


def test_auto_falls_back_to_static_when_getsubids_is_empty(tmp_path):
    uid, _, name = me()
    stub, log = make_getsubids_stub(tmp_path, {name: [], str(uid): [], f"-g {name}": [],
                                               f"-g {uid}": []})
    r = rk_ok("--subid-source=auto", "sh", "-c", SHOW_MAPS, env=env_with(GETSUBIDS=stub))
    assert maps_of(r) == static_expected(), str(r)
    assert log.read_text(), "getsubids stub was not called"


def test_auto_falls_back_to_static_when_getsubids_missing(tmp_path):
    r = rk_ok("--subid-source=auto", "sh", "-c", SHOW_MAPS,
              env=env_with(GETSUBIDS=tmp_path / "no-such-getsubids"))
    assert maps_of(r) == static_expected(), str(r)


def test_static_ignores_getsubids(tmp_path, subid_base):
    uid, _, name = me()
    su, _ = subid_base
    stub, log = make_getsubids_stub(tmp_path, {name: [f"0: {name} {su} 1000"]})
    r = rk_ok("--subid-source=static", "sh", "-c", SHOW_MAPS, env=env_with(GETSUBIDS=stub))
    assert maps_of(r) == static_expected(), str(r)
    assert not log.exists(), "static mode ran getsubids"


@pytest.mark.not_in_ref("1.1.0 fails without sub-IDs instead of falling back")
def test_no_subids_single_id_mapping_with_warning(tmp_path):
    uid, gid, name = me()
    stub, _ = make_getsubids_stub(tmp_path, {name: [], str(uid): [], f"-g {name}": [],
                                             f"-g {uid}": []})
    r = rk("--subid-source=dynamic", "sh", "-c", "id -u; " + SHOW_MAPS,
           env=env_with(GETSUBIDS=stub))
    assert r.returncode == 0, str(r)
    assert r.stdout.startswith("0\n"), str(r)
    r.stdout = r.stdout[2:]
    assert maps_of(r) == ([(0, uid, 1)], [(0, gid, 1)]), str(r)
    warn = [ln for ln in r.stderr.splitlines() if "single-ID mapping" in ln]
    assert len(warn) == 1 and "level=warning" in warn[0], str(r)
    assert r.error_lines() == [], str(r)


def test_dynamic_getsubids_not_runnable(tmp_path, rk_tmpdir, state_dir):
    r = rk("--subid-source=dynamic", f"--state-dir={state_dir}", "true",
           env=env_with(GETSUBIDS=tmp_path / "no-such-getsubids"))
    assert_error(r, "subid-source:dynamic: ")
    assert len(r.error_lines()) == 1, str(r)
    assert_nothing_left(rk_tmpdir, state_dir)


def test_dynamic_getsubids_not_in_path(tmp_path, rk_tmpdir):
    # PATH without getsubids (but with everything else needed)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("sh", "true", "newuidmap", "newgidmap"):
        os.symlink(f"/usr/bin/{tool}" if os.path.exists(f"/usr/bin/{tool}") else f"/bin/{tool}",
                   bindir / tool)
    r = rk("--subid-source=dynamic", "true", env=env_with(PATH=bindir, GETSUBIDS=None))
    assert_error(r, "subid-source:dynamic: ")
    assert_nothing_left(rk_tmpdir)
