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
from test_bench_targets import ROWS as TARGET_ROWS

BENCH_DIR = pathlib.Path(os.environ.get("VQSIM_BENCH_DIR", ROOT / "build-bench"))


def bench_build():
    """The bench configuration as `make bench` makes it, brought up to date: a build left from an
    older tree would print an older set of rows (and a fresh clone has none)."""
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(BENCH_DIR), "-DCMAKE_BUILD_TYPE=Release",
                    "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG", "-DVQSIM_SANITIZE=OFF",
                    "-DVQSIM_TESTS=OFF", "-DVQSIM_BENCH=ON", "-DVQSIM_LIBRARY=OFF"],
                   check=True, capture_output=True, timeout=600)
    subprocess.run(["cmake", "--build", str(BENCH_DIR), "-j2", "--target", "vqsim-bench"],
                   check=True, capture_output=True, timeout=1200)


def test_bench_prints_every_table(vqsim):
    bench_build()
    # valgrind and a QEMU boot would take seconds: smoke-test their tables' fallbacks
    env = dict(os.environ, BENCH_NO_INSTALL="1", BENCH_NO_CALLGRIND="1", BENCH_NO_QEMU="1",
               BENCH_VQSIM=str(vqsim))  # the freshly built vqsim: a bench build may be older

    p = subprocess.run(["bash", str(ROOT / "bench" / "bench.sh"), str(BENCH_DIR), "0.001"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
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
                "| 4096 MiB |", "| vhal_wmb() |", "| round trip (all of the above in driver order) |",
                "| packed ring: driver + model, checks on |",
                "| virtio-pci (queue 16): driver + model, checks on |"):
        assert row in p.stdout, row
    assert re.search(r"targets: checks on <= 2x checks off: (met|NOT met) \(\d+\.\d+x\)", p.stdout)
    assert re.search(r"target: transfer \+ flush >= 0\.7x memcpy: (met|NOT met)", p.stdout)
    assert re.search(r"trace events per round trip \(accessors\): \d+\.\d", p.stdout)
    # The last table: every row of issue 24 against its target; the rows this run measured
    # (callgrind and QEMU skipped above) with a verdict, the others n/a with the reason.
    assert "## Targets (issue 24)" in p.stdout
    verdicts = {}
    for line in p.stdout[p.stdout.index("## Targets (issue 24)"):].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in TARGET_ROWS:
            verdicts[cells[0]] = cells[3]
    assert set(verdicts) == set(TARGET_ROWS), p.stdout
    measured = ("checks on / checks off", "packed ring: checks on / checks off",
                "virtio-pci: checks on / checks off",
                "TRANSFER_TO_HOST_2D + RESOURCE_FLUSH of a 1080p frame / memcpy")
    for row, v in verdicts.items():
        if row in measured:
            assert v in ("met", "NOT met"), (row, v)
        else:
            assert v in ("n/a (BENCH_NO_CALLGRIND=1)", "n/a (BENCH_NO_QEMU=1)"), (row, v)
