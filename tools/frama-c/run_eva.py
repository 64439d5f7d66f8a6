#!/usr/bin/env python3
"""Frama-C Eva on the driver's virtqueue code (split and packed), one analysis per configuration.

Each configuration runs tools/frama-c/eva_split.c or eva_packed.c against hal_any.c (a device
that shows any value, allocations of exactly the size asked) over src/driver/virtqueue.c,
vq_indirect.c and vq_packed.c. A configuration passes when Eva reports 0 alarms and no Eva error or
warning; anything else fails it.

    python3 tools/frama-c/run_eva.py            # every configuration, 2 at a time
    python3 tools/frama-c/run_eva.py --list     # their names
    python3 tools/frama-c/run_eva.py split-eidx  # one of them
    python3 tools/frama-c/run_eva.py --driver DIR NAME  # the driver sources from DIR (a mutant)

Exit status: 0 every configuration passed, 1 one failed (its alarms are printed), 2 bad usage or
frama-c missing (tools/setup-deps.sh installs Debian's frama-c-base).
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "tools", "frama-c")
SLEVEL = 100
TIMEOUT = 900  # seconds per configuration (measured 35-210 s each at load average 12-14 on 2 cores)

# name: (harness, -D values). Split: every combination of EVENT_IDX / INDIRECT_DESC / IN_ORDER
# at a queue of 4, each layout and policy, starting at 0xfffe (the rounds cross the 16-bit wrap)
# or at 0; queues of 1, 8 and 256, and 3 (not a power of two: refused by vq_create, REFUSED=1 checks
# it and that the calls on the refused queue are safe). Packed: EVENT_IDX and indirect each way at a
# queue of 4, and a queue of 1 (the wrap counters flip every round). (A packed queue of 3 needs
# more than -eva-slevel 400 and more than 10 minutes: not run.)
SPLIT = "eva_split"
PACKED = "eva_packed"
CONFIGS = {
    "split-plain": (SPLIT, dict(NUM=4, KIND=0, EVENT_IDX=0, INDIRECT=0, IN_ORDER=0, POLICY=0, START=0xfffe)),
    "split-eidx": (SPLIT, dict(NUM=4, KIND=0, EVENT_IDX=1, INDIRECT=0, IN_ORDER=0, POLICY=1, START=0xfffe)),
    "split-indirect": (SPLIT, dict(NUM=4, KIND=1, EVENT_IDX=0, INDIRECT=1, IN_ORDER=0, POLICY=0, START=0)),
    "split-inorder": (SPLIT, dict(NUM=4, KIND=2, EVENT_IDX=0, INDIRECT=0, IN_ORDER=1, POLICY=1, START=0xfffe)),
    "split-eidx-indirect": (SPLIT, dict(NUM=4, KIND=2, EVENT_IDX=1, INDIRECT=1, IN_ORDER=0, POLICY=0, START=0xffff)),
    "split-eidx-inorder": (SPLIT, dict(NUM=4, KIND=1, EVENT_IDX=1, INDIRECT=0, IN_ORDER=1, POLICY=0, START=0)),
    "split-indirect-inorder": (SPLIT, dict(NUM=4, KIND=0, EVENT_IDX=0, INDIRECT=1, IN_ORDER=1, POLICY=1, START=0xfffe)),
    "split-all": (SPLIT, dict(NUM=4, KIND=2, EVENT_IDX=1, INDIRECT=1, IN_ORDER=1, POLICY=1, START=0xfffe)),
    "split-num1": (SPLIT, dict(NUM=1, KIND=2, EVENT_IDX=1, INDIRECT=0, IN_ORDER=0, POLICY=0, START=0xffff)),
    "split-num3": (SPLIT, dict(NUM=3, KIND=1, EVENT_IDX=0, INDIRECT=1, IN_ORDER=1, POLICY=1, START=0xfffe, REFUSED=1)),
    "split-num8": (SPLIT, dict(NUM=8, KIND=0, EVENT_IDX=1, INDIRECT=1, IN_ORDER=0, POLICY=0, START=0xfffe)),
    "split-num256": (SPLIT, dict(NUM=256, KIND=1, EVENT_IDX=1, INDIRECT=0, IN_ORDER=0, POLICY=1, START=0xffff)),
    "packed-eidx": (PACKED, dict(NUM=4, EVENT_IDX=1, INDIRECT=0, POLICY=0)),
    "packed-indirect": (PACKED, dict(NUM=4, EVENT_IDX=0, INDIRECT=1, POLICY=1)),
    "packed-num1": (PACKED, dict(NUM=1, EVENT_IDX=1, INDIRECT=1, POLICY=1)),
}
# More states kept apart (-eva-slevel) where the default loses a relation the driver keeps
# (packed, queue of 1: num_free and the chain lengths recorded, when merged, no longer show that a
# list is never longer than the queue).
SLEVEL_OF = {"packed-num1": 400}
# Extra options: a queue of 256 has arrays (the private state, the rings) above Eva's default
# -eva-plevel (200), past which an array is no longer tracked cell by cell.
EXTRA_OF = {"split-num256": ["-eva-plevel", "1000"]}


def command(name, driver_dir):
    harness, defs = CONFIGS[name]
    d = " ".join("-DEVA_%s=%s" % (k, v) for k, v in defs.items())
    drv = os.path.join(driver_dir, "driver")
    return ["frama-c", "-c11", "-machdep", "x86_64",
            "-cpp-extra-args=-I %s -I %s -D_GNU_SOURCE %s" % (driver_dir, os.path.join(ROOT, "src"), d),
            os.path.join(HERE, "hal_any.c"), os.path.join(HERE, harness + ".c"),
            os.path.join(drv, "virtqueue.c"), os.path.join(drv, "vq_indirect.c"),
            os.path.join(drv, "vq_packed.c"),
            # -no-annot: Eva looks for run-time errors; the driver's ACSL contracts are WP's to
            # prove (run_wp.py), and Eva's intervals would leave them "unknown"
            "-no-annot", "-eva", "-main", harness, "-eva-slevel", str(SLEVEL_OF.get(name, SLEVEL)), "-eva-split-return", "full",
            "-eva-no-show-progress", "-eva-print-callstacks"] + EXTRA_OF.get(name, [])


def check(name, log):
    """The reasons a configuration's log fails (empty: it passed)."""
    why = []
    alarms = re.findall(r"\[eva:alarm\] ([^:]+:\d+): Warning: *\n\s*(.*?)\n", log)
    why += ["alarm at %s: %s" % a for a in alarms]
    m = re.search(r"(\d+) alarms? generated by the analysis", log)
    if alarms == [] and not (m and m.group(1) == "0") and "NO alarm" not in log:
        if not m:
            why.append("no Eva summary (did the analysis run?)")
        elif m.group(1) != "0":
            why.append("%s alarms" % m.group(1))
    if re.search(r"by the Eva analyzer:\s+[1-9]\d* errors|by the Eva analyzer:\s+\d+ errors\s+[1-9]", log):
        why.append("Eva errors or warnings (see the log)")
    if "[kernel] User Error" in log or "Frama-C aborted" in log:
        why.append("frama-c failed: " + log.strip().splitlines()[-1])
    return why


def run_one(name, driver_dir):
    t0 = time.monotonic()
    try:
        p = subprocess.run(command(name, driver_dir), capture_output=True, text=True,
                           timeout=TIMEOUT, cwd=ROOT)
        log = p.stdout + p.stderr
        why = check(name, log) + ([] if p.returncode == 0 else ["frama-c exit %d" % p.returncode])
    except subprocess.TimeoutExpired:
        log, why = "", ["over %d s" % TIMEOUT]
    return name, time.monotonic() - t0, why, log


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("configs", nargs="*", help="configurations to run (default: all)")
    ap.add_argument("--list", action="store_true", help="print the configurations and exit")
    ap.add_argument("--driver", default=os.path.join(ROOT, "src"),
                    help="directory holding driver/*.c (default: src)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--log-dir", help="write each configuration's frama-c log there")
    a = ap.parse_args()
    if a.list:
        print("\n".join(CONFIGS))
        return 0
    unknown = [c for c in a.configs if c not in CONFIGS]
    if unknown:
        print("run_eva: unknown configuration %s (--list)" % ", ".join(unknown), file=sys.stderr)
        return 2
    if not shutil.which("frama-c"):
        print("run_eva: frama-c not found (tools/setup-deps.sh installs frama-c-base)", file=sys.stderr)
        return 2
    names = a.configs or list(CONFIGS)
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        for name, secs, why, log in ex.map(lambda n: run_one(n, a.driver), names):
            if a.log_dir:
                os.makedirs(a.log_dir, exist_ok=True)
                with open(os.path.join(a.log_dir, name + ".log"), "w") as f:
                    f.write(log)
            print("%-24s %6.1f s  %s" % (name, secs, "0 alarms" if not why else "FAIL"), flush=True)
            for w in why:
                print("    " + w)
            failed += bool(why)
    print("run_eva: %d of %d configurations with 0 alarms" % (len(names) - failed, len(names)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
