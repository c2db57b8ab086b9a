"""Command-line parsing (SPEC §2.1, §2.2): --help/-h and its layout, --version/-v,
--print-semver, flag syntax (-x == --x, `--x v` / `--x=v`, bool and Go base-0
int values, `--`), the command taken verbatim after the first non-flag word,
usage errors (unknown flag, bad value, missing value) and `no command specified`.
"""

import re

import pytest

from conftest import (RK_BIN, assert_error, assert_single_error, env_with, ns_inode, require_tool,
                      rk, rk_ok, run)

VERSION = "3.0.1"

# Every flag name of SPEC §2.2 (long names, aliases) -> True when new since 1.1.0.
FLAGS = {
    "--debug": False,
    "--print-semver": True,
    "--state-dir": False,
    "--net": False,
    "--pasta-binary": True,
    "--slirp4netns-binary": False,
    "--slirp4netns-sandbox": False,
    "--slirp4netns-seccomp": False,
    "--vpnkit-binary": False,
    "--lxc-user-nic-binary": False,
    "--lxc-user-nic-bridge": False,
    "--mtu": False,
    "--cidr": False,
    "--ifname": False,
    "--disable-host-loopback": False,
    "--ipv6": False,
    "--detach-netns": True,
    "--copy-up": False,
    "--copy-up-mode": False,
    "--propagation": False,
    "--port-driver": False,
    "--publish": False,
    "-p": False,
    "--source-ip-transparent": True,
    "--pidns": False,
    "--cgroupns": False,
    "--utsns": False,
    "--ipcns": False,
    "--reaper": False,
    "--evacuate-cgroup2": False,
    "--subid-source": False,
    "--help": False,
    "-h": False,
    "--version": False,
    "-v": False,
}

# Help option groups, in the order they must appear (sorted by name), -> new since 1.1.0.
GROUPS = {
    "Misc": False,
    "Mount": False,
    "Network": False,
    "Network [lxc-user-nic]": False,
    "Network [pasta]": True,
    "Network [slirp4netns]": False,
    "Network [vpnkit]": False,
    "Port": False,
    "Process": False,
    "State": False,
    "SubID": False,
}


def _param(name, new):
    marks = [pytest.mark.not_in_ref(f"{name} is new in v2/v3")] if new else []
    return pytest.param(name, marks=marks, id=name)


def help_text():
    r = rk_ok("--help")
    return r.stdout


# --------------------------------------------------------------------------
# --help
# --------------------------------------------------------------------------

@pytest.mark.parametrize("opt", ["--help", "-h", "-help"])
def test_help_exits_zero_and_prints_help(opt):
    r = rk(opt)
    assert r.returncode == 0, str(r)
    assert r.stdout.startswith("NAME:\n"), str(r)
    assert "rootlesskit - " in r.stdout
    assert r.error_lines() == [], str(r)


def test_help_wins_over_other_flags_and_needs_no_command():
    r = rk("--pidns", "--help")
    assert r.returncode == 0, str(r)
    assert "OPTIONS:" in r.stdout


@pytest.mark.parametrize("name", [_param(n, v) for n, v in FLAGS.items()])
def test_help_lists_flag_as_whole_word(name):
    # Stricter than `grep -w`: the name must be a whole token (not followed by
    # another '-' or word character, not preceded by one).
    text = help_text()
    rx = re.compile(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])")
    assert rx.search(text), f"{name} not found as a whole word in --help:\n{text}"


@pytest.mark.not_in_ref("--detach-netns is new in v2.0")
def test_help_grep_w_detach_netns_like_containerd_rootless_sh():
    # containerd-rootless.sh: rootlesskit --help | grep -qw -- --detach-netns
    r = run(["sh", "-c", '"$0" --help | grep -qw -- --detach-netns', RK_BIN])
    assert r.returncode == 0, str(r)


def test_help_sections_and_usage_line():
    text = help_text()
    for section in ("NAME:", "USAGE:", "VERSION:", "DESCRIPTION:", "OPTIONS:"):
        assert re.search(r"^" + re.escape(section) + r"$", text, re.M), f"missing {section}\n{text}"
    assert "rootlesskit [global options] [arguments...]" in text


@pytest.mark.parametrize("group", [_param(g, v) for g, v in GROUPS.items()])
def test_help_group_heading_present(group):
    text = help_text()
    assert re.search(r"^[ \t]+" + re.escape(group) + r":[ \t]*$", text, re.M), \
        f"missing option group {group!r}\n{text}"


def test_help_groups_sorted_by_name():
    text = help_text()
    options = text[text.index("\nOPTIONS:\n"):]
    found = [m.group(1) for m in re.finditer(r"^[ \t]+(\S.*?):[ \t]*$", options, re.M)]
    assert found, text
    assert found == sorted(found), f"option groups not sorted: {found}"


def test_help_publish_line_shows_alias():
    text = help_text()
    assert re.search(r"^\s+--publish value, -p value\b", text, re.M), text


# --------------------------------------------------------------------------
# --version, --print-semver
# --------------------------------------------------------------------------

@pytest.mark.not_in_ref("reports 1.1.0")
@pytest.mark.parametrize("opt", ["--version", "-v"])
def test_version(opt):
    r = rk(opt)
    assert r.returncode == 0, str(r)
    assert r.stdout == f"rootlesskit version {VERSION}\n", str(r)


def test_version_needs_no_command_and_has_semver_shape():
    r = rk("--version")
    assert r.returncode == 0, str(r)
    assert re.fullmatch(r"rootlesskit version \d+\.\d+\.\d+(-[\w.]+)?\n", r.stdout), str(r)


@pytest.mark.not_in_ref("--print-semver is new in v2.0")
@pytest.mark.parametrize("part,value", [("major", "3"), ("minor", "0"), ("patch", "1")])
def test_print_semver(part, value):
    r = rk(f"--print-semver={part}")
    assert r.returncode == 0, str(r)
    assert r.stdout == value + "\n", str(r)
    # the space-separated form too
    r = rk("--print-semver", part)
    assert r.returncode == 0 and r.stdout == value + "\n", str(r)


@pytest.mark.not_in_ref("--print-semver is new in v2.0")
def test_print_semver_checked_before_validation():
    # "checked before anything else": an invalid --net does not matter
    r = rk("--print-semver=major", "--net=foo")
    assert r.returncode == 0 and r.stdout == "3\n", str(r)


@pytest.mark.not_in_ref("--print-semver is new in v2.0")
@pytest.mark.parametrize("bad", ["foo", "MAJOR", " major"])
def test_print_semver_bad_value(bad):
    r = rk(f"--print-semver={bad}")
    assert_single_error(r, f'expected --print-semver=(major|minor|patch), got "{bad}"')


@pytest.mark.not_in_ref("--print-semver is new in v2.0")
def test_print_semver_empty_means_unset():
    # upstream: `if s := clicontext.String("print-semver"); s != ""`
    r = rk_ok("--print-semver=", "echo", "ran")
    assert r.stdout == "ran\n"
    r = rk("--print-semver=")
    assert_single_error(r, "no command specified")


# --------------------------------------------------------------------------
# Flags end at the first non-flag word; `--`; `-`; `help`
# --------------------------------------------------------------------------

def test_command_args_are_verbatim():
    r = rk_ok("echo", "--net=host")
    assert r.stdout == "--net=host\n"
    r = rk_ok("echo", "--foo", "-h", "--version")
    assert r.stdout == "--foo -h --version\n"


def test_double_dash_ends_flags():
    r = rk_ok("--", "echo", "--pidns")
    assert r.stdout == "--pidns\n"
    r = rk_ok("--pidns=false", "--", "echo", "--", "x")
    assert r.stdout == "-- x\n"


def test_single_dash_is_the_command():
    r = rk("-")
    assert_error(r, 'exec: "-": executable file not found in $PATH')


def test_help_word_runs_a_program_called_help(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    prog = bindir / "help"
    prog.write_text("#!/bin/sh\necho helped \"$@\"\n")
    prog.chmod(0o755)
    r = rk_ok("help", "me", env=env_with(PATH=f"{bindir}:/usr/bin:/bin"))
    assert r.stdout == "helped me\n"


# --------------------------------------------------------------------------
# Flag syntax: -x == --x, --x=v == --x v
# --------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["--state-dir=D", "--state-dir D", "-state-dir=D", "-state-dir D"])
def test_string_flag_forms(form, tmp_path):
    d = tmp_path / "sd"
    args = form.replace("D", str(d)).split(" ")
    r = rk_ok(*args, "sh", "-c", 'echo "$ROOTLESSKIT_STATE_DIR"')
    assert r.stdout == f"{d}\n"


@pytest.mark.not_in_ref("1.1.0 leaks its temporary state dir on late validation errors")
@pytest.mark.parametrize("form", ["-p", "--publish", "-publish"])
def test_publish_alias_forms_reach_validation(form):
    # all spellings are the same flag: with port driver none, publishing is refused
    r = rk(form, "127.0.0.1:8080:80/tcp", "true")
    assert_single_error(r, 'port driver "none" does not support publishing ports')


# --------------------------------------------------------------------------
# Bools
# --------------------------------------------------------------------------

def _cmd_pidns(*flags):
    r = rk_ok(*flags, "readlink", "/proc/self/ns/pid")
    return r.stdout.strip()


@pytest.mark.parametrize("value", ["", "=true", "=1", "=t", "=T", "=TRUE", "=True"])
def test_bool_true_values(value):
    assert _cmd_pidns(f"--pidns{value}") != ns_inode("pid")


@pytest.mark.parametrize("value", ["=false", "=0", "=f", "=F", "=FALSE", "=False"])
def test_bool_false_values(value):
    assert _cmd_pidns(f"--pidns{value}") == ns_inode("pid")


def test_bool_does_not_consume_next_word():
    # `--pidns false`: bare bool = true, and `false` is the command (exit 1)
    r = rk("--pidns", "false")
    assert_error(r, "command [false] exited: exit status 1")


@pytest.mark.parametrize("bad", ["x", "yes", "2", ""])
def test_bool_bad_value(bad):
    r = rk(f"--pidns={bad}", "true")
    assert r.returncode == 1, str(r)
    msg = f'invalid boolean value "{bad}" for -pidns: parse error'
    assert f"[rootlesskit:parent] error: {msg}" in r.stderr.splitlines(), str(r)


# --------------------------------------------------------------------------
# Ints (Go base 0); --mtu with host network only warns when non-zero
# --------------------------------------------------------------------------

@pytest.mark.parametrize("value,parsed", [("0x10", 16), ("010", 8), ("16", 16), ("65521", 65521)])
def test_int_base0_values(value, parsed):
    r = rk_ok(f"--mtu={value}", "true")
    assert f"unsupported mtu for --net=host: {parsed}" in r.stderr, str(r)
    assert r.error_lines() == []


@pytest.mark.parametrize("value", ["0", "0x0", "00"])
def test_int_zero_mtu_no_warning(value):
    r = rk_ok(f"--mtu={value}", "true")
    assert "mtu" not in r.stderr, str(r)


def test_int_space_separated_value():
    r = rk_ok("--mtu", "0x10", "true")
    assert "unsupported mtu for --net=host: 16" in r.stderr, str(r)


def _assert_usage_error(r, err):
    assert r.returncode == 1, str(r)
    assert r.stderr.splitlines().count(f"[rootlesskit:parent] error: {err}") == 1, str(r)
    assert len(r.error_lines()) == 1, str(r)


@pytest.mark.parametrize("value", ["abc", "1.5", "0x", "true"])
def test_int_bad_value(value):
    r = rk(f"--mtu={value}", "true")
    _assert_usage_error(r, f'invalid value "{value}" for flag -mtu: parse error')


def test_int_flag_consumes_next_word():
    r = rk("--mtu", "true")
    _assert_usage_error(r, 'invalid value "true" for flag -mtu: parse error')


def test_flag_missing_value_at_end():
    r = rk("--mtu")
    _assert_usage_error(r, "flag needs an argument: -mtu")


# --------------------------------------------------------------------------
# Usage errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--foo", "-foo", "--foo=bar"])
def test_unknown_flag(flag):
    r = rk(flag, "true")
    _assert_usage_error(r, "flag provided but not defined: -foo")


@pytest.mark.not_in_ref("1.1.0 prints `Incorrect Usage. `")
def test_unknown_flag_stdout_usage_and_help():
    r = rk("--foo", "true")
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0] == "Incorrect Usage: flag provided but not defined: -foo", str(r)
    assert lines[1] == "", str(r)
    assert lines[2] == "NAME:", str(r)
    assert "OPTIONS:" in r.stdout


@pytest.mark.not_in_ref("1.1.0 prints `Incorrect Usage. `")
def test_bad_value_stdout_usage():
    r = rk("--mtu=abc", "true")
    first = r.stdout.splitlines()[0]
    assert first == 'Incorrect Usage: invalid value "abc" for flag -mtu: parse error', str(r)


@pytest.mark.parametrize("args", [[], ["--pidns"], ["--state-dir=/nonexistent/x", "--"]])
def test_no_command(args, tmp_path):
    r = rk(*args)
    assert_single_error(r, "no command specified")
    assert r.stderr.strip() == "[rootlesskit:parent] error: no command specified", str(r)


def test_debug_flag_adds_debug_logs():
    r = rk_ok("--debug", "echo", "ok")
    assert r.stdout == "ok\n"
    assert "level=debug" in r.stderr, str(r)
    r = rk_ok("echo", "ok")
    assert "level=debug" not in r.stderr, str(r)


def test_ipv6_with_host_network_warns():
    r = rk_ok("--ipv6", "true")
    assert "ipv6 is experimental" in r.stderr, str(r)


def test_ipv6_discarded_for_host_network():
    r = rk_ok("--ipv6", "true")
    assert "--ipv6 is discarded for --net=host" in r.stderr, str(r)


def test_warning_log_format_non_tty():
    # SPEC §1.4: non-TTY logrus text: time="<RFC3339>" level=warning msg="..."
    r = rk_ok("--mtu=16", "true")
    lines = [ln for ln in r.stderr.splitlines() if "unsupported mtu" in ln]
    assert len(lines) == 1, str(r)
    assert re.fullmatch(r'time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)" level=warning '
                        r'msg=".*unsupported mtu for --net=host: 16"', lines[0]), lines[0]


def test_warning_log_format_tty():
    # SPEC §1.4: on a terminal, logrus prints `WARN[0000] <msg>`
    require_tool("script")
    r = run(["script", "-qec", f"{RK_BIN} --mtu=16 true", "/dev/null"],
            env=env_with(SHELL="/bin/sh"))
    assert r.returncode == 0, str(r)
    lines = [ln for ln in r.stdout.splitlines() if "unsupported mtu" in ln]
    assert len(lines) == 1, str(r)
    assert re.match(r"^(\x1b\[[0-9;]*m)?WARN(\x1b\[0m)?\[\d{4}\] ", lines[0]), str(r)


@pytest.mark.not_in_ref("v3 prefixes log messages")
def test_warning_log_has_parent_prefix():
    r = rk_ok("--mtu=16", "true")
    assert 'msg="[rootlesskit:parent] unsupported mtu for --net=host: 16"' in r.stderr, str(r)
