#!/usr/bin/env python3
"""Frama-C WP on the driver's ring invariants: each target proves the ACSL contracts of some
driver functions (src/driver/*.c, *.h) with the HAL's contract of tools/frama-c/wp_hal.c.

A target passes when WP proves every goal it generates (Qed, WP's simplifier, or an SMT solver
through Why3: CVC4 1.8, Debian's cvc4; each goal at most --timeout seconds). Any goal left
unproven fails it and is printed.

    python3 tools/frama-c/run_wp.py              # every target
    python3 tools/frama-c/run_wp.py --list       # their names
    python3 tools/frama-c/run_wp.py need-event   # one of them
    python3 tools/frama-c/run_wp.py --driver DIR NAME   # the driver sources from DIR (a mutant)

Why3 finds its provers through a configuration written under build/frama-c-wp/ (`why3 config
detect`), not the user's ~/.why3.conf.

Exit status: 0 every goal of every target proven, 1 a goal left unproven, 2 bad usage or a tool
missing (tools/setup-deps.sh installs frama-c-base, why3 and cvc4).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "tools", "frama-c")
PROVERS = "cvc4"
TIMEOUT = 300       # seconds per goal and prover, wall clock (CVC4's --tlimit): the slowest takes
                    # 5-15 s, but 120 s was not enough for vq_get_used's `links` (6 s alone) in a
                    # run at load average 25-28 on 2 cores
RUN_TIMEOUT = 900   # seconds per target

# name: (files, functions whose contracts are proven (None: all, and the files' lemmas),
# -wp-prop selection or None). Files are driver/*.c under --driver, or tools/frama-c/wp_*.c;
# wp_hal.c (the HAL's contract) is always first. The header's static inline functions are proven
# through wp_hal.c, which includes it. wp_c11.c (C11's unsigned conversion, for the 16-bit wrap)
# only where a goal needs it: its axioms slow every other goal.
GET_USED_WRAP = "published_only"
TARGETS = {
    # §2.6.7.2 vring_need_event: the spec's formula, and "event is among old .. new - 1" mod 2^16
    "need-event": (["wp_c11.c"], ["vq_need_event"], None),
    # the 16-bit indices: a slot follows the slot before it across 0xffff -> 0 (every power of
    # two), the count in flight moves by one (wp_ring.c, wp_c11.c)
    "wrap": (["wp_c11.c", "wp_ring.c"], None, None),
    # a split queue is created only with a size whose slots follow each other across the wrap
    # (a power of two, §2.6; the lemmas of wp_ring.c, proven in "wrap", as hypotheses)
    "split-size": (["wp_ring.c", "virtqueue.c"], ["split_size_ok", "vq_create"], None),
    # the packed ring (vq_packed.c): the wrap counter flips exactly at the ring's end, the offset
    # moves by one modulo the size; a used id is accepted only in range and in flight
    "packed": (["vq_packed.c"], ["advance", "advance_used", "check_used", "latch"], None),
    # reclaiming: links stay indices, a token is returned once (then NULL, completed), nothing
    # comes back to life, nothing is written on an error, last_used moves by one
    "get-used": (["virtqueue.c"], ["vq_get_used", "latch", "used_event_of"], "-" + GET_USED_WRAP),
    # ... and only an element of a published chain is consumed, across the 16-bit wrap
    "get-used-wrap": (["wp_c11.c", "virtqueue.c"], ["vq_get_used"], GET_USED_WRAP),
}


def why3_config():
    """A Why3 configuration naming the provers installed here (why3 config detect)."""
    d = os.path.join(ROOT, "build", "frama-c-wp")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "why3.conf")
    p = subprocess.run(["why3", "config", "detect", "-C", conf], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("why3 config detect failed: " + p.stderr.strip())
    return conf


def command(name, driver_dir, provers, timeout, defines=(), prop=None):
    files, fcts, props = TARGETS[name]
    props = prop or props
    paths = [os.path.join(HERE, f) if f.startswith("wp_") else os.path.join(driver_dir, "driver", f)
             for f in files]
    d = "".join(" -D%s" % x for x in defines)
    return ["frama-c", "-c11", "-machdep", "x86_64",
            "-cpp-extra-args=-I %s -I %s%s" % (driver_dir, os.path.join(ROOT, "src"), d),
            os.path.join(HERE, "wp_hal.c")] + paths + [
            "-wp"] + (["-wp-fct", ",".join(fcts)] if fcts else []) + (
            ["-wp-prop=" + props] if props else []) + [
            "-wp-prover", provers, "-wp-timeout", str(timeout),
            "-wp-par", "1", "-wp-no-cache-env", "-wp-cache", "none"]


def check(log):
    """(proven, total, reasons it fails)."""
    m = re.search(r"\[wp\] Proved goals:\s+(\d+) / (\d+)", log)
    if not m:
        tail = log.strip().splitlines()[-1:] or ["no output"]
        return 0, 0, ["no WP summary (did frama-c run?): " + tail[0]]
    proven, total = int(m.group(1)), int(m.group(2))
    why = ["not proven: %s (%s)" % g for g in
           re.findall(r"\[wp\] \[[^\]]+\] Goal (\S+) : (Timeout|Unknown|Failed|Stepout)\b", log)]
    why += ["not proven: %s" % g for g in re.findall(r"\[wp\] \[Failed\] Goal (\S+)", log)]
    if proven != total and not why:
        why.append("%d of %d goals not proven" % (total - proven, total))
    if total == 0:
        why.append("no goal generated (the contracts were not found)")
    if "[kernel] User Error" in log or "Frama-C aborted" in log:
        why.append("frama-c failed: " + log.strip().splitlines()[-1])
    return proven, total, why


def run_one(name, driver_dir, provers, timeout, conf, defines=(), prop=None):
    t0 = time.monotonic()
    env = dict(os.environ, WHY3CONFIG=conf)
    try:
        p = subprocess.run(command(name, driver_dir, provers, timeout, defines, prop), capture_output=True,
                           text=True, timeout=RUN_TIMEOUT, cwd=ROOT, env=env)
        log = p.stdout + p.stderr
        proven, total, why = check(log)
        if p.returncode != 0:
            why.append("frama-c exit %d" % p.returncode)
    except subprocess.TimeoutExpired:
        log, proven, total, why = "", 0, 0, ["over %d s" % RUN_TIMEOUT]
    return name, time.monotonic() - t0, proven, total, why, log


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("targets", nargs="*", help="targets to prove (default: all)")
    ap.add_argument("--list", action="store_true", help="print the targets and exit")
    ap.add_argument("--driver", default=os.path.join(ROOT, "src"),
                    help="directory holding driver/*.c and *.h (default: src)")
    ap.add_argument("--provers", default=PROVERS, help="WP's -wp-prover (default: %(default)s)")
    ap.add_argument("--timeout", type=int, default=TIMEOUT, help="seconds per goal (default: %(default)s)")
    ap.add_argument("--log-dir", help="write each target's frama-c log there")
    ap.add_argument("--prop", help="only these properties (WP's -wp-prop, e.g. returned_once,links)")
    ap.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
                    help="a preprocessor definition (tests: WP_SLOT_NUM=12 adds a lemma that must fail)")
    a = ap.parse_args()
    if a.list:
        print("\n".join(TARGETS))
        return 0
    unknown = [t for t in a.targets if t not in TARGETS]
    if unknown:
        print("run_wp: unknown target %s (--list)" % ", ".join(unknown), file=sys.stderr)
        return 2
    for tool in ("frama-c", "why3", "cvc4"):
        if not shutil.which(tool):
            print("run_wp: %s not found (tools/setup-deps.sh installs frama-c-base, why3, cvc4)" % tool,
                  file=sys.stderr)
            return 2
    try:
        conf = why3_config()
    except RuntimeError as e:
        print("run_wp: %s" % e, file=sys.stderr)
        return 2
    names = a.targets or list(TARGETS)
    failed = 0
    for name in names:
        name, secs, proven, total, why, log = run_one(name, a.driver, a.provers, a.timeout, conf,
                                                         a.defines, a.prop)
        if a.log_dir:
            os.makedirs(a.log_dir, exist_ok=True)
            with open(os.path.join(a.log_dir, name + ".log"), "w") as f:
                f.write(log)
        print("%-20s %6.1f s  %d / %d goals proven%s" % (name, secs, proven, total,
                                                          "" if not why else "  FAIL"), flush=True)
        for w in why:
            print("    " + w)
        failed += bool(why)
    print("run_wp: %d of %d targets proven" % (len(names) - failed, len(names)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
