"""The command line: usage, exit codes, and clear errors for bad scenarios (never a crash)."""
import json

import pytest

from conftest import ROOT, run

GOOD = (ROOT / "scenarios" / "modern-display.yaml").read_text()


def test_help_and_version(vqsim):
    p = run(vqsim, "--help")
    assert p.returncode == 0 and "usage: vqsim run" in p.stdout and "exit status" in p.stdout
    p = run(vqsim, "--version")
    assert p.returncode == 0 and p.stdout.startswith("vqsim 0.")


@pytest.mark.parametrize("cmd", ["run", "check", "record", "rules", "explain"])
def test_command_help_exits_0(vqsim, cmd):
    """`vqsim CMD --help` (and -h) prints the help on stdout and succeeds."""
    for flag in ("--help", "-h"):
        p = run(vqsim, cmd, flag)
        assert p.returncode == 0, (cmd, flag, p.stderr)
        assert f"vqsim {cmd}" in p.stdout and p.stderr == ""


@pytest.mark.parametrize("args", [[], ["run"], ["frobnicate"], ["run", "--json"],
                                  ["run", "--bogus", "x.yaml"],
                                  ["record", "--instrument", "loads", "--", "qemu-system-aarch64"]])
def test_usage_errors_exit_2(vqsim, args):
    p = run(vqsim, *args)
    assert p.returncode == 2
    assert "usage" in p.stderr or "vqsim:" in p.stderr


def line_of(text, needle):
    return next(i for i, l in enumerate(text.splitlines(), 1) if needle in l)


EDITS = [  # (old, new, expected message): the error must point at the edited line
    ("transport: modern", "transport: pci", "'transport' must be one of: legacy, modern"),
    ("queue_size: 16", "queue_sise: 16", "unknown key 'queue_sise' in driver"),
    ("- get_display_info", "- get_display_inf", "unknown step 'get_display_inf'"),
    ("violations: []", "violations: [no.such-rule]", "unknown rule id 'no.such-rule'"),
    ("queue_size: 16", "queue_size: 40000", "'queue_size' is 40000, outside 1..32768"),
    ("  display: {width: 640", "  display: {width: 8", "'width' is 8, outside 16..8192"),
    ("sha256: eed5", "sha256: EED5", "'sha256' must be 64 lower-case hex digits"),
    ("- attach_backing: {id: 1}", "- attach_backing: {id: 1, size: 3}",
     "unknown key 'size' in attach_backing (expected one of: id, entries, addr, length, expect_response, expect_status)"),
]


@pytest.mark.parametrize("old,new,msg", EDITS, ids=[e[1] for e in EDITS])
def test_invalid_scenario_points_at_the_line(vqsim, tmp_path, old, new, msg):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    p = run(vqsim, "run", f)
    assert p.returncode == 2, p.stdout + p.stderr
    assert p.stderr.startswith(f"{f}:{line_of(text, new)}:"), p.stderr
    assert msg in p.stderr, p.stderr
    assert "Sanitizer" not in p.stderr


@pytest.mark.parametrize("text,where,msg", [
    ("name: x\n  bad: [", ":2:", "mapping values are not allowed"),
    ("", ":1:1:", "empty document"),
    ("- a\n- b\n", ":1:1:", "the scenario must be a mapping"),
    ("name: x\nname: y\n", ":2:1:", "duplicate key 'name'"),
    ("a: &x 1\nb: *x\n", ":2:4:", "aliases are not supported"),
    ("name: x\ndevice: {transport: modern}\nsteps: [get_display_info]\n", ":1:1:",
     "needs an 'expect' section"),
])
def test_malformed_files_exit_2_with_position(vqsim, tmp_path, text, where, msg):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    p = run(vqsim, "run", f)
    assert p.returncode == 2, p.stdout + p.stderr
    assert p.stderr.startswith(str(f) + where), p.stderr
    assert msg in p.stderr, p.stderr


def test_missing_file_exit_2(vqsim, tmp_path):
    p = run(vqsim, "run", tmp_path / "nope.yaml")
    assert p.returncode == 2 and "cannot open" in p.stderr


def test_truncated_scenarios_never_crash(vqsim, tmp_path):
    """Every prefix of a real scenario: an error with a position, or a run; never a crash."""
    data = GOOD.encode()
    for n in range(0, len(data), 7):
        f = tmp_path / "cut.yaml"
        f.write_bytes(data[:n])
        p = run(vqsim, "run", f)
        assert p.returncode in (0, 1, 2), (n, p.returncode, p.stderr)
        assert "Sanitizer" not in p.stderr and "runtime error" not in p.stderr, (n, p.stderr)
        if p.returncode == 2:
            assert p.stderr.startswith(str(f) + ":"), (n, p.stderr)


def test_json_written_for_a_failing_run(vqsim, tmp_path):
    f = tmp_path / "wrong.yaml"
    f.write_text(GOOD.replace("outcome: ok", "outcome: timeout"))
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, f)
    assert p.returncode == 1
    doc = json.loads(out.read_text())
    assert doc["summary"] == {"total": 1, "passed": 0, "failed": 1}
    assert doc["scenarios"][0]["failures"] == ["expected outcome timeout, got ok"]
    assert p.stdout.strip().splitlines()[-1] == "0 passed, 1 failed"


def test_verbose_says_why_a_display_is_dark(vqsim):
    """The origin story: init succeeded, the screen stayed black. -v names the display and why."""
    p = run(vqsim, "run", "-v", ROOT / "scenarios" / "gpu" / "dark-never-flushed.yaml")
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    i = next(i for i, l in enumerate(lines) if l.startswith("    display 0 dark:"))
    text = " ".join(l.strip() for l in lines[i:i + 2])
    assert "resource 1 on scanout 0 was transferred but never flushed" in text
    # A lit display prints no such line.
    p = run(vqsim, "run", "-v", ROOT / "scenarios" / "modern-display.yaml")
    assert "dark:" not in p.stdout
