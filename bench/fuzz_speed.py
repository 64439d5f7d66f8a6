#!/usr/bin/env python3
"""fuzz_speed.py — executions per second of each fuzz target on one core (issue 25: at least 5,000).

    bench/fuzz_speed.py [--time 30] [--base DIR] [TARGET...]

Each target runs alone for --time seconds, one process, from a fresh copy of its committed seeds
(fuzz/corpus/<target>/), built by fuzz/build.sh into build/fuzz/. Printed per target: executions,
executions per wall-clock second (libFuzzer's figure), executions per CPU second of the process
(user + system: what the target costs, less sensitive to a machine shared with other work) and
the load average at the end. --base DIR runs the binaries in DIR too (the same targets built from
another commit, e.g. main) and prints the ratio of CPU-second figures.
"""
import argparse
import os
import pathlib
import re
import resource
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGETS = sorted(p.stem for p in (ROOT / "fuzz").glob("fuzz_*.c"))  # as fuzz/build.sh finds them


def measure(binary, target, seconds):
    with tempfile.TemporaryDirectory() as tmp:
        corpus = pathlib.Path(tmp) / "corpus"
        shutil.copytree(ROOT / "fuzz" / "corpus" / target, corpus)
        d = ROOT / "fuzz" / (target + ".dict")
        extra = [f"-dict={d}"] if d.is_file() else []
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run([str(binary), f"-max_total_time={seconds}", "-timeout=10",
                            "-rss_limit_mb=2048", "-print_final_stats=1",
                            f"-artifact_prefix={tmp}/", *extra, str(corpus)],
                           capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    execs = int(re.findall(r"stat::number_of_executed_units:\s*(\d+)", p.stderr)[-1])
    wall = int(re.findall(r"stat::average_exec_per_sec:\s*(\d+)", p.stderr)[-1])
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return execs, wall, execs / max(cpu, 1e-9), load


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time", type=int, default=30)
    ap.add_argument("--base", help="a directory with the same targets built from another commit")
    ap.add_argument("targets", nargs="*", default=TARGETS)
    a = ap.parse_args()
    print(f"{'target':<22} {'build':<6} {'executions':>10} {'exec/s':>8} {'exec/cpu-s':>10}  load")
    for t in a.targets:
        new = measure(ROOT / "build" / "fuzz" / t, t, a.time)
        print(f"{t:<22} {'this':<6} {new[0]:>10,} {new[1]:>8,} {new[2]:>10,.0f}  {new[3]}",
              flush=True)
        if a.base and not (pathlib.Path(a.base) / t).is_file():
            print(f"{'':<22} {'base':<6} (no such target there)", flush=True)
        elif a.base:
            old = measure(pathlib.Path(a.base) / t, t, a.time)
            print(f"{'':<22} {'base':<6} {old[0]:>10,} {old[1]:>8,} {old[2]:>10,.0f}  {old[3]}"
                  f"   ratio {new[2] / max(old[2], 1e-9):.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
