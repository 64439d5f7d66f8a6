#!/usr/bin/env python3
"""record_overhead.py - what `vqsim record` costs on the bare-metal port (bench/README.md).

  python3 bench/record_overhead.py [--build DIR] [--runs N] [SCENARIO.yaml]

Runs the port (ports/aarch64-virt) with SCENARIO's steps (default scenarios/modern-display.yaml)
under plain QEMU and under `vqsim record`, round-robin, N times each (default 9), the guest
powering QEMU off after its last step; prints the median and best wall time of each, from
process start to exit, and the recording's size. Python 3 standard library plus PyYAML.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qemu_diff  # noqa: E402
import vqrec  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", nargs="?", default=os.path.join(ROOT, "scenarios",
                                                                "modern-display.yaml"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--runs", type=int, default=9)
    a = ap.parse_args()
    guest = qemu_diff.build_guest(a.build)
    with tempfile.TemporaryDirectory() as d:
        table, rec = os.path.join(d, "steps.bin"), os.path.join(d, "out.rec")
        subprocess.run([os.path.join(a.build, "vqsim-steptable"), a.scenario, table,
                        "--poweroff"], check=True)
        import yaml
        with open(a.scenario) as f:
            doc = yaml.safe_load(f)
        dev = doc.get("device") or {}
        disp = dev.get("display") or {}
        cmd = qemu_diff.qemu_command(guest, table, dev.get("transport", "modern"),
                                     disp.get("width", 640), disp.get("height", 480))
        runs = {"plain QEMU": cmd,
                "vqsim record": [os.path.join(a.build, "vqsim"), "record", "-o", rec,
                                 "--timeout", "60", "--"] + cmd}
        times = {k: [] for k in runs}
        for _ in range(a.runs):
            for k, c in runs.items():
                t0 = time.monotonic()
                p = subprocess.run(c, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                times[k].append(time.monotonic() - t0)
                if b"VQ outcome=" not in p.stdout:
                    sys.exit(f"{k}: the guest did not finish")
        hdr, ev = vqrec.read(rec)
        size = os.path.getsize(rec)
    print(f"scenario {os.path.relpath(a.scenario, ROOT)}, {a.runs} runs each, round-robin")
    print("| run | median | best |")
    print("|---|---|---|")
    for k, t in times.items():
        print(f"| {k} | {statistics.median(t) * 1000:.0f} ms | {min(t) * 1000:.0f} ms |")
    kinds = {}
    for e in ev:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    print(f"recording: {size} bytes, {len(ev)} events "
          + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))


if __name__ == "__main__":
    main()
