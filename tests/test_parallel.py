"""`vqsim run -j N`: scenarios in worker processes, output and JSON identical to a serial run."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, SCENARIOS, run
from test_cli import GOOD


def _run_all(vqsim, tmp_path, *opts):
    """Every scenario, from the repository root (scenarios name reference PNGs relative to it),
    into the same output paths each time, so the JSON can be compared byte for byte."""
    out, png = tmp_path / "r.json", tmp_path / "png"
    shutil.rmtree(png, ignore_errors=True)
    p = run(vqsim, "run", *opts, "--json", out, "--png", png,
            *[s.relative_to(ROOT) for s in SCENARIOS])
    pngs = {x.name: x.read_bytes() for x in png.iterdir()}
    return p, out.read_bytes(), pngs


def test_jobs_give_byte_identical_output(vqsim, tmp_path):
    serial = _run_all(vqsim, tmp_path)
    assert serial[0].returncode == 0, serial[0].stdout
    for opts in (("-j", "2"), ("-j3",), ("--jobs", "8")):
        par = _run_all(vqsim, tmp_path, *opts)
        assert par[0].returncode == 0, (opts, par[0].stdout, par[0].stderr)
        assert par[0].stdout == serial[0].stdout, opts   # same lines, scenario order
        assert par[1] == serial[1], opts                  # same JSON bytes
        assert par[2] == serial[2], opts                  # same PNG files
    names = [line.split()[1] for line in serial[0].stdout.splitlines()[:-1]]
    doc = json.loads(serial[1])
    assert names == [s["name"] for s in doc["scenarios"]]


def test_jobs_keep_failures_and_exit_code(vqsim, tmp_path):
    files = []
    for i, outcome in enumerate(["ok", "timeout", "ok"]):
        f = tmp_path / f"s{i}.yaml"
        f.write_text(GOOD.replace("outcome: ok", f"outcome: {outcome}")
                     .replace("name: ", f"name: p{i}-", 1))
        files.append(f)
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "-j", "2", "--json", out, *files)
    assert p.returncode == 1, p.stdout
    lines = p.stdout.splitlines()
    assert [l.split()[:2] for l in lines if l.startswith(("PASS", "FAIL"))] == \
        [["PASS", "p0-modern-display"], ["FAIL", "p1-modern-display"], ["PASS", "p2-modern-display"]]
    assert "    - expected outcome timeout, got ok" in lines
    assert lines[-1] == "2 passed, 1 failed"
    doc = json.loads(out.read_text())
    assert doc["summary"] == {"total": 3, "passed": 2, "failed": 1}
    assert doc["scenarios"][1]["failures"] == ["expected outcome timeout, got ok"]


@pytest.mark.parametrize("bad", [["-j"], ["-j", "0"], ["-j", "x"], ["-j2x"], ["-j", "999"]])
def test_bad_jobs_is_a_usage_error(vqsim, bad):
    p = run(vqsim, "run", *bad, SCENARIOS[0])
    assert p.returncode == 2, (bad, p.stdout)
    assert "-j needs a number of jobs" in p.stderr


def test_a_crashed_worker_fails_only_its_scenario(vqsim, tmp_path):
    files = []
    for i in range(4):
        f = tmp_path / f"c{i}.yaml"
        f.write_text(GOOD.replace("name: ", f"name: c{i}-", 1))
        files.append(f)
    out = tmp_path / "r.json"
    env = dict(os.environ, VQSIM_TEST_WORKER_CRASH="c1-modern-display")
    p = subprocess.run([str(vqsim), "run", "-j", "2", "--json", str(out), *map(str, files)],
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 1, p.stdout
    lines = [l for l in p.stdout.splitlines() if l.startswith(("PASS", "FAIL"))]
    assert [l.split()[:2] for l in lines] == [["PASS", "c0-modern-display"],
                                               ["FAIL", "c1-modern-display"],
                                               ["PASS", "c2-modern-display"],
                                               ["PASS", "c3-modern-display"]]
    assert "crashed   worker killed by signal 6" in lines[1]
    assert p.stdout.splitlines()[-1] == "3 passed, 1 failed"
    doc = json.loads(out.read_text())
    assert [s["name"] for s in doc["scenarios"]] == ["c0-modern-display", "c2-modern-display",
                                                     "c3-modern-display"]
    assert doc["summary"] == {"total": 4, "passed": 3, "failed": 1}
