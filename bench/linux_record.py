#!/usr/bin/env python3
"""linux_record.py - what recording and checking a real Linux guest costs (bench/README.md).

  python3 bench/linux_record.py [--build DIR] [--vqsim PATH] [--plugin PATH] [--runs N]
                                [--cases modern,busy] [--busy-seconds S] [--check REC,...]

The cases of tools/linux_cases.py (Debian's arm64 kernel from tools/linux-guest.py, built into
DIR/linux-guest), each run under plain QEMU and under `vqsim record`, round-robin, N times
(default 3). Prints, per case: wall time (median, best) of both and their ratio, what the guest
did in its fixed time (the busy case's lines written to the framebuffer console in S seconds: a
guest slowed by recording writes fewer), the recording's size and events (the kept barriers'
share), and `vqsim check` on the last recording, 5 times: median wall time and CPU time, peak
memory (/usr/bin/time -v's maximum resident set), its verdict. --vqsim / --plugin time other
binaries (an older build: the "before" figures); --check REC,... only times the check of
recordings made before (no QEMU run). Python 3 standard library; needs qemu-system-aarch64 and /usr/bin/time.
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import linux_cases  # noqa: E402
import vqrec  # noqa: E402


def guest(build):
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "linux-guest.py"), "--dir",
                        os.path.join(build, "linux-guest"), "--json"], capture_output=True,
                       text=True)
    if p.returncode:
        sys.exit(p.stderr)
    return json.loads(p.stdout)


def busy_lines(serial):
    for m in linux_cases.markers(serial):
        if m.startswith("busy wrote "):
            return int(m.split()[2])
    return None


def uptime(serial):
    """The guest's own time at power-off, in seconds (tests/linux/init.sh)."""
    for m in linux_cases.markers(serial):
        if m.startswith("uptime "):
            return float(m.split()[1])
    return None


def timed(cmd):
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return time.monotonic() - t0, p


def timed_cpu(cmd):
    """timed, and the CPU time (user + system) of cmd and everything it ran (QEMU's threads;
    vqsim record's QEMU): what the machine's load inflates less than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t, p = timed(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return t, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, p


CHECK_RUNS = 5


def check_timed(vqsim, rec):
    """`vqsim check` on rec CHECK_RUNS times under /usr/bin/time -v: the median wall time (process
    start included: the issue's figure), the median CPU time (user + system: what the load on a
    shared machine does not inflate), the largest peak memory, and the last run's process."""
    walls, cpus, rss = [], [], 0
    for _ in range(CHECK_RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        ct, cp = timed(["/usr/bin/time", "-v", vqsim, "check", rec])
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # (time's own CPU is negligible)
        walls.append(ct)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        rss = max(rss, int(re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                                     cp.stderr).group(1)))
    return statistics.median(walls), statistics.median(cpus), rss, cp


def print_check(vqsim, rec, n_events):
    """The check's line of a case: what targets.py reads (wall s, peak MiB) and the CPU time."""
    ct, cpu, rss, cp = check_timed(vqsim, rec)
    verdict = next((l for l in cp.stdout.splitlines() if l[:4] in ("PASS", "FAIL")), "?")
    print(f"vqsim check: {ct:.4f} s ({n_events / ct / 1e6:.2f} M events/s, process start "
          f"included; median of {CHECK_RUNS}), peak memory {rss / 1024:.1f} MiB; "
          f"CPU {cpu:.3f} s ({n_events / max(cpu, 1e-6) / 1e6:.2f} M events per CPU-second); "
          f"{' '.join(verdict.split()[:3])} (exit {cp.returncode})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--vqsim")
    ap.add_argument("--plugin")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cases", default="modern,busy")
    ap.add_argument("--busy-seconds", type=int, default=linux_cases.BUSY_SECONDS)
    ap.add_argument("--check", help="only time `vqsim check` on these recordings")
    a = ap.parse_args()
    vqsim = a.vqsim or os.path.join(a.build, "vqsim")
    if a.check:
        print(f"{vqsim}; load average {open('/proc/loadavg').read().split()[0]}")
        for rec in a.check.split(","):
            print(f"\n### {os.path.basename(rec)}\n")
            print_check(vqsim, rec, len(vqrec.read(rec)[1]))
        return
    plugin = a.plugin or os.path.join(os.path.dirname(vqsim), "libvqrec.so")
    g = guest(a.build)
    print(f"kernel {g['version']} ({g['kernel_package']}); {vqsim}; {a.runs} runs each, "
          f"round-robin; load average {open('/proc/loadavg').read().split()[0]}")
    with tempfile.TemporaryDirectory() as d:
        for case in a.cases.split(","):
            cmd = linux_cases.qemu_command(g, case, a.busy_seconds)
            rec = os.path.join(d, f"{case}.vqrec")
            runs = {"plain QEMU": cmd,
                    "vqsim record": [vqsim, "record", "--plugin", plugin, "-o", rec,
                                     "--timeout", "600", "--"] + cmd}
            times = {k: [] for k in runs}
            cpus = {k: [] for k in runs}
            lines = {k: [] for k in runs}
            for _ in range(a.runs):
                for k, c in runs.items():
                    t, cpu, p = timed_cpu(c)
                    if "VQTEST done" not in p.stdout:
                        sys.exit(f"{case}, {k}: the guest did not finish:\n{p.stdout[-2000:]}"
                                 f"{p.stderr[-2000:]}")
                    times[k].append(t)
                    cpus[k].append(cpu)
                    lines[k].append(busy_lines(p.stdout))
                    if k == "vqsim record":
                        guest_s = uptime(p.stdout)  # of the recording kept (the last)
            hdr, ev = vqrec.read(rec)
            size = os.path.getsize(rec)
            with open(rec, "rb") as f:
                raw = len(vqrec.plain(f.read()))  # format 1: the events uncompressed
            bars = sum(1 for e in ev if e["kind"] == "BARRIER")
            print(f"\n### {case}\n")
            print("| run | median s | best s | busy-console lines |")
            print("|---|---:|---:|---:|")
            for k, t in times.items():
                ln = [x for x in lines[k] if x is not None]
                print(f"| {k} | {statistics.median(t):.2f} | {min(t):.2f} | "
                      f"{statistics.median(ln) if ln else '-'} |")
            ratio = statistics.median(times['vqsim record']) / statistics.median(times['plain QEMU'])
            print(f"\nrecord / plain: {ratio:.2f}x (median); target <= 1.3x: "
                  f"{'met' if ratio <= 1.3 else 'NOT met'}")
            cp, cr = statistics.median(cpus["plain QEMU"]), statistics.median(cpus["vqsim record"])
            print(f"CPU time (user + system, median): plain {cp:.2f} s, record {cr:.2f} s: "
                  f"{cr / max(cp, 1e-6):.2f}x (the target is the wall-time ratio above; CPU time "
                  f"is less inflated by a loaded machine)")
            print(f"recording: {size / 1e6:.3f} MB (format {hdr['major']}; {raw / 1e6:.2f} MB "
                  f"uncompressed), {len(ev)} events, {bars} barriers "
                  f"({100.0 * bars / max(len(ev), 1):.1f} %)")
            if guest_s:
                rate = size / 1e6 / guest_s
                print(f"per second of guest time ({guest_s:.1f} s, the guest's uptime at power-off):"
                      f" {rate:.4f} MB/s" + (f"; target <= 0.3 MB/s: "
                                             f"{'met' if rate <= 0.3 else 'NOT met'}"
                                             if case == "busy" else ""))
            cb = next((vqrec.text(e) for e in ev if e["kind"] == "NOTE" and
                       "resolved by the page cache" in vqrec.text(e)), None)
            if cb:  # every memory callback QEMU made: the plugin's per-access cost
                n_cb = int(re.findall(r"of (\d+) accesses", cb)[0])
                print(f"memory callbacks: {n_cb / 1e6:.1f} M (the plugin's count)")
            # the plugin says how many barriers the guest executed: with each one recorded (as
            # before the filter) the events would hold that many 32-byte events more
            note = next((vqrec.text(e) for e in ev if e["kind"] == "NOTE" and
                         "barriers executed" in vqrec.text(e)), None)
            if note:
                executed, kept = map(int, re.findall(r"(\d+) barriers executed, (\d+) recorded",
                                                     note)[0])
                every = raw + 32 * (executed - kept)
                ratio = every / raw
                print(f"uncompressed with every barrier recorded: {every / 1e6:.2f} MB ({executed} "
                      f"executed, {kept} kept): {ratio:.0f}x the filtered events")
                if case == "modern":
                    print(f"target: a Linux boot's recording at least 10x smaller than with every "
                          f"barrier recorded: {'met' if ratio >= 10 else 'NOT met'} "
                          f"({ratio:.0f}x)")
            print_check(vqsim, rec, len(ev))


if __name__ == "__main__":
    main()
