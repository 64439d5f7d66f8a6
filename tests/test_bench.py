"""Smoke test of `make bench`: the benchmark runs a tiny iteration count and prints every table.

No timing is checked here (speed targets live in bench/, never in tests). Skipped when the bench
build (make bench, build-bench/) is not there: make test never builds it.
"""
import os
import pathlib
import re
import subprocess

import pytest

from conftest import ROOT

BENCH_DIR = pathlib.Path(os.environ.get("VQSIM_BENCH_DIR", ROOT / "build-bench"))


@pytest.mark.skipif(not (BENCH_DIR / "vqsim-bench").exists(),
                    reason="no bench build (run make bench once)")
def test_bench_prints_every_table(vqsim):
    # valgrind and a QEMU boot would take seconds: smoke-test their tables' fallbacks
    env = dict(os.environ, BENCH_NO_INSTALL="1", BENCH_NO_CALLGRIND="1", BENCH_NO_QEMU="1",
               BENCH_VQSIM=str(vqsim))  # the freshly built vqsim: a bench build may be older

    p = subprocess.run(["bash", str(ROOT / "bench" / "bench.sh"), str(BENCH_DIR), "0.001"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    heads = re.findall(r"^## (\d\w?)\. (\w+)", p.stdout, re.M)
    assert heads == [("1", "Round"), ("1b", "Instructions"), ("2", "Transfer"), ("3", "Suite"),
                     ("4", "Scaling"), ("5", "Barrier"), ("6", "Recording")], p.stdout
    assert "heap allocations in the measured loops" in p.stdout
    assert re.search(r"^machine: \d+ cores", p.stdout, re.M)
    # Every ratio the issue asks for is printed (with a number or, for QEMU, n/a).
    for row in ("| floor: bare ring", "| driver + model, checks off", "| driver + model, checks on",
                "| memcpy of the frame", "| TRANSFER_TO_HOST_2D + RESOURCE_FLUSH",
                "| whole suite, one `vqsim run` (-j 1)", "| 32768 (direct)", "| 64 |",
                "| 4096 MiB |", "| vhal_wmb() |", "| round trip (all of the above in driver order) |"):
        assert row in p.stdout, row
    assert re.search(r"targets: checks on <= 2x checks off: (met|NOT met) \(\d+\.\d+x\)", p.stdout)
    assert re.search(r"target: transfer \+ flush >= 0\.7x memcpy: (met|NOT met)", p.stdout)
    assert re.search(r"trace events per round trip \(accessors\): \d+\.\d", p.stdout)
