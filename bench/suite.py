#!/usr/bin/env python3
"""Table 3 of `make bench`: the scenario suite's wall time against one real QEMU boot.

usage: suite.py VQSIM SCALE SCENARIO.yaml...

- whole suite: one `vqsim run` of every scenario (-j 1, and -j 2), best of REPS; -j 2 again
  writing what `make run` writes (--json, --png); -j 1 split into the long scenarios (a
  `repeat` count of 1,000 or more: the 70,000-request ones) and all the others;
- per scenario: the suite time divided by the scenario count (in-process cost), and one
  `vqsim run FILE` per scenario (a process start included; min / median / max);
- QEMU: `qemu-system-aarch64 -machine virt -device virtio-gpu-device` from process start to the
  answer of the first QMP `screendump`, then `quit` and process exit (the machine boots no guest
  kernel, so this is the least a QEMU run of any scenario costs: a real scenario adds the guest's
  own work). "n/a" when qemu-system-aarch64 is not installed (or BENCH_NO_QEMU=1).
Standard library only. Wall clock (time.perf_counter) — this is a benchmark, not a test.
"""
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def wall(cmd, reps):
    """Best wall time and best CPU time (user + system of the child) over reps runs. CPU time
    hardly moves with the machine's load; wall time does."""
    best = best_cpu = None
    for _ in range(reps):
        c0 = cpu_children()
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        t = time.perf_counter() - t0
        c = cpu_children() - c0
        if p.returncode != 0:
            sys.exit(f"suite.py: {' '.join(cmd[:3])}… exited {p.returncode}: {p.stderr[-400:]}")
        best = t if best is None or t < best else best
        best_cpu = c if best_cpu is None or c < best_cpu else best_cpu
    return best, best_cpu


def is_long(path):
    """A scenario of 1,000 requests or more in one repeated step (vqsim run -j hands these out
    first: harness/parallel.c)."""
    with open(path, encoding="utf-8") as f:
        return any(int(n) >= 1000 for n in re.findall(r"count:\s*(\d+)", f.read()))


def qmp_cmd(f, sock, cmd, args=None):
    msg = {"execute": cmd}
    if args:
        msg["arguments"] = args
    sock.sendall((json.dumps(msg) + "\n").encode())
    while True:
        line = f.readline()
        if not line:
            raise RuntimeError("QMP closed")
        reply = json.loads(line)
        if "return" in reply or "error" in reply:
            return reply


def qemu_once(qemu, tmp):
    sock_path = os.path.join(tmp, "qmp.sock")
    dump = os.path.join(tmp, "screen.ppm")
    for p in (sock_path, dump):
        if os.path.exists(p):
            os.unlink(p)
    cmd = [qemu, "-machine", "virt", "-cpu", "cortex-a57", "-m", "128M", "-nodefaults",
           "-display", "none", "-serial", "none", "-monitor", "none",
           "-qmp", f"unix:{sock_path},server=on,wait=off",
           "-global", "virtio-mmio.force-legacy=false", "-device", "virtio-gpu-device"]
    c0 = cpu_children()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = t0 + 20
    while True:
        try:
            s.connect(sock_path)
            break
        except OSError:
            if proc.poll() is not None or time.perf_counter() > deadline:
                proc.kill()
                raise RuntimeError("QEMU did not open its QMP socket: "
                                   + proc.stderr.read().decode()[-300:])
            time.sleep(0.0005)
    f = s.makefile("r")
    json.loads(f.readline())  # greeting
    qmp_cmd(f, s, "qmp_capabilities")
    r = qmp_cmd(f, s, "screendump", {"filename": dump})
    if "error" in r:
        proc.kill()
        raise RuntimeError(f"screendump failed: {r['error']}")
    t_dump = time.perf_counter() - t0
    try:
        qmp_cmd(f, s, "quit")
    except (RuntimeError, OSError, ValueError):
        pass
    proc.wait(timeout=20)
    t_exit = time.perf_counter() - t0
    cpu = cpu_children() - c0
    s.close()
    if not os.path.exists(dump) or os.path.getsize(dump) < 16:
        raise RuntimeError("screendump wrote no image")
    return t_dump, t_exit, cpu


def main():
    vqsim, scale, files = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    reps = 5 if scale >= 1 else 1
    n = len(files)
    suite1, suite1_cpu = wall([vqsim, "run", *files], reps)
    suite2, suite2_cpu = wall([vqsim, "run", "-j", "2", *files], reps)
    with tempfile.TemporaryDirectory() as out:
        outs = wall([vqsim, "run", "-j", "2", "--json", os.path.join(out, "r.json"), "--png",
                     os.path.join(out, "png"), *files], reps)
    long_files = [f for f in files if is_long(f)]
    rest = [f for f in files if f not in long_files]
    split = [(f"the {len(long_files)} long scenarios alone (-j 1)", long_files),
             (f"the other {len(rest)} scenarios (-j 1)", rest)]
    split = [(what, wall([vqsim, "run", *fs], reps)) for what, fs in split if fs]
    some = files if scale >= 0.1 else files[:5]  # a smoke run: a sample
    single = sorted(wall([vqsim, "run", f], 3 if scale >= 1 else 1) for f in some)
    single_wall = sorted(x[0] for x in single)
    single_cpu = sorted(x[1] for x in single)
    sample = "" if len(some) == n else f" ({len(some)} of {n})"

    qemu = shutil.which("qemu-system-aarch64")
    if os.environ.get("BENCH_NO_QEMU") == "1":
        qemu = None
    q_dump = q_exit = q_cpu = None
    q_note = "n/a (qemu-system-aarch64 not installed)"
    if os.environ.get("BENCH_NO_QEMU") == "1":
        q_note = "n/a (BENCH_NO_QEMU=1)"
    if qemu:
        try:
            with tempfile.TemporaryDirectory() as tmp:
                runs = [qemu_once(qemu, tmp) for _ in range(5 if scale >= 1 else 1)]
            q_dump = min(r[0] for r in runs)
            q_exit = min(r[1] for r in runs)
            q_cpu = min(r[2] for r in runs)
            ver = subprocess.run([qemu, "--version"], capture_output=True, text=True).stdout
            q_note = ver.splitlines()[0] if ver else qemu
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            q_note = f"n/a (QEMU run failed: {e})"

    def vs(t, q):
        if not q or t <= 0:
            return "n/a"
        return f"{q / t:.1f}x" if q / t < 10 else f"{q / t:.0f}x"

    def row(what, w, c):
        print(f"| {what} | {w * 1e3:.2f} | {c * 1e3:.2f} | {vs(w, q_exit)} | {vs(c, q_cpu)} |")

    print(f"\n## 3. Suite ({n} scenarios, best of {reps}; QEMU: {q_note})\n")
    print("| what | wall ms | CPU ms (user+sys) | QEMU run / this, wall | QEMU run / this, CPU |")
    print("|---|---:|---:|---:|---:|")
    row("whole suite, one `vqsim run` (-j 1)", suite1, suite1_cpu)
    row("whole suite, one `vqsim run -j 2`", suite2, suite2_cpu)
    row("whole suite, `vqsim run -j 2 --json --png` (what `make run` writes)", *outs)
    for what, (w, c) in split:
        row(what, w, c)
    row(f"per scenario, inside the suite run (-j 1 / {n})", suite1 / n, suite1_cpu / n)
    row(f"per scenario, own `vqsim run` process{sample}: median", statistics.median(single_wall),
        statistics.median(single_cpu))
    row(f"per scenario, own `vqsim run` process{sample}: slowest", single_wall[-1], single_cpu[-1])
    if q_exit:
        print(f"| QEMU virt + virtio-gpu-device: start to first QMP screendump | "
              f"{q_dump * 1e3:.1f} | | | |")
        print(f"| QEMU: start to process exit (screendump + quit) | {q_exit * 1e3:.1f} | "
              f"{q_cpu * 1e3:.1f} | 1x | 1x |")
        per = suite1 / n
        print(f"\ntargets: whole suite (-j 2) faster than one QEMU boot: "
              f"{'met' if suite2 < q_exit else 'NOT met'} ({q_exit / suite2:.2f}x wall, "
              f"{q_cpu / suite2_cpu:.2f}x CPU); a scenario >= 100x faster than its QEMU run: "
              f"{'met' if q_exit / per >= 100 else 'NOT met'} ({q_exit / per:.0f}x wall, "
              f"{q_cpu / (suite1_cpu / n):.0f}x CPU, in-suite)")
    else:
        print(f"| QEMU boot-to-screendump | {q_note} | | | |")


if __name__ == "__main__":
    main()
