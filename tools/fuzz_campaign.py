#!/usr/bin/env python3
"""fuzz_campaign.py — run every libFuzzer target of fuzz/ for a given time on all cores, keep and
merge its corpus, print figures per target; optionally the line coverage each corpus reaches.

    tools/fuzz_campaign.py [--time SECONDS] [--jobs N] [--targets a,b] [--coverage] [--bins DIR]
    make fuzz FUZZ_TIME=600            # the same, every target 600 s on all cores, then coverage

Per target, one after another: N libFuzzer processes (N = --jobs, default every core) share the
campaign corpus build/fuzz-corpus/<target>/ (created from the committed seeds fuzz/corpus/<target>/,
which stay small; the campaign corpus is the one that grows, as a cluster keeps its own) for
--time seconds. Then the corpus is merged (libFuzzer -merge=1: only inputs that add coverage are
kept) and the figures printed: executions, executions per second (wall clock, all processes),
coverage before and after (libFuzzer's cov = edges, ft = features, measured by running the whole
corpus once), findings (crash-/leak-/timeout-/oom- files in build/fuzz-campaign/artifacts/<target>/, each a
reproducer: `build/fuzz/<target> FILE`), and the machine's load average (uptime) at the start and
the end, since the machine may be shared.

--coverage builds the targets again with clang's source-based coverage (fuzz/build.sh, OUT=
build/fuzz-cov) and runs each over its campaign corpus: llvm-cov's line coverage of the code that
target aims at (AIMS below), file by file.

Exit status: 0, or 1 when a target found something (or did not run).
"""
import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGETS = sorted(p.stem for p in (ROOT / "fuzz").glob("fuzz_*.c"))  # as fuzz/build.sh finds them
# The code each target aims at (a file is counted when its path, relative to the repository,
# starts with one of these): what its line coverage is measured over.
AIMS = {  # a new target adds its line (else its coverage is over src/)
    "fuzz_driver_vs_device": ["src/driver/"],
    "fuzz_device_model": ["src/model/"],
    "fuzz_scenario": ["src/harness/scenario", "src/util/yaml_tree.c"],
    "fuzz_recording": ["src/record/recording_reader.c", "src/harness/replay"],
    "fuzz_virtqueue": ["src/driver/virtqueue.c", "src/driver/vq_indirect.c", "src/driver/vq_packed.c"],
    "fuzz_drivers": ["src/driver/virtio_blk.c", "src/driver/virtio_rng.c",
                     "src/driver/virtio_input.c", "src/driver/virtio_net.c",
                     "src/driver/virtio_device.c", "src/driver/virtio_mmio.c",
                     "src/driver/virtio_pci.c", "src/driver/virtio_pci_ops.c"],
}
EXTRA = {t: [f"-dict={ROOT / 'fuzz' / (t + '.dict')}"] for t in TARGETS
         if (ROOT / "fuzz" / (t + ".dict")).is_file()}
FINDING = re.compile(r"^(crash|leak|timeout|oom|slow-unit)-")


def uptime():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def target_options(t):
    """The [libfuzzer] options of fuzz/<t>.options (the file OSS-Fuzz also reads), as flags."""
    opts, p = [], ROOT / "fuzz" / f"{t}.options"
    if p.is_file():
        for line in p.read_text().splitlines():
            m = re.match(r"\s*(\w+)\s*=\s*(\S+)", line)
            if m:
                opts.append(f"-{m.group(1)}={m.group(2)}")
    return opts


def corpus_stats(binary, corpus, extra):
    """(edges, features, inputs) of running the whole corpus once."""
    p = subprocess.run([str(binary), "-runs=0", *extra, str(corpus)], capture_output=True,
                       text=True, timeout=3600)
    m = re.findall(r"INITED cov: (\d+) ft: (\d+) corp: (\d+)", p.stderr)
    return tuple(int(x) for x in m[-1]) if m else (0, 0, 0)


def run_target(t, bins, seconds, jobs, work):
    binary = bins / t
    corpus = work / "corpus" / t
    art = work / "artifacts" / t
    corpus.mkdir(parents=True, exist_ok=True)
    art.mkdir(parents=True, exist_ok=True)
    for f in (ROOT / "fuzz" / "corpus" / t).iterdir():  # the committed seeds, always in
        if f.is_file() and not (corpus / f.name).exists():
            shutil.copy(f, corpus / f.name)
    extra = EXTRA.get(t, []) + target_options(t)
    before = corpus_stats(binary, corpus, extra)
    load0, t0 = uptime(), time.time()
    procs = []
    for j in range(jobs):
        log = open(work / f"{t}.{j}.log", "w")
        procs.append((subprocess.Popen(
            [str(binary), f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2048",
             "-print_final_stats=1", f"-artifact_prefix={art}/", *extra, str(corpus)],
            stdout=log, stderr=subprocess.STDOUT), log))
    execs = 0
    for p, log in procs:
        p.wait()
        log.close()
        text = pathlib.Path(log.name).read_text(errors="replace")
        m = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)
        execs += int(m[-1]) if m else 0
    wall = time.time() - t0
    load1 = uptime()
    # Merge: keep only the inputs that add coverage, in place.
    merged = work / "corpus" / (t + ".merged")
    shutil.rmtree(merged, ignore_errors=True)
    merged.mkdir()
    subprocess.run([str(binary), "-merge=1", *extra, str(merged), str(corpus)],
                   capture_output=True, timeout=3600)
    if any(merged.iterdir()):
        shutil.rmtree(corpus)
        merged.rename(corpus)
    after = corpus_stats(binary, corpus, extra)
    findings = sorted(f.name for f in art.iterdir() if FINDING.match(f.name))
    return {"target": t, "art": art, "execs": execs, "wall": wall, "jobs": jobs, "before": before,
            "after": after, "findings": findings, "load": (load0, load1)}


def print_row(r):
    b, a = r["before"], r["after"]
    print(f"{r['target']:<22} {r['execs']:>12,} {r['execs'] / max(r['wall'], 1e-9):>9,.0f} "
          f"{b[0]:>6}->{a[0]:<6} {b[1]:>6}->{a[1]:<6} {b[2]:>5}->{a[2]:<5} "
          f"{len(r['findings']):>8}   {r['load'][0]} / {r['load'][1]}")
    for f in r["findings"]:
        print(f"    finding: {r['art']}/{f}")


def coverage(targets, work):
    """Line coverage of each target's aim over its campaign corpus (clang source coverage)."""
    out = ROOT / "build" / "fuzz-cov"
    env = dict(os.environ, CC="clang", OUT=str(out),
               CFLAGS="-g -O0 -fprofile-instr-generate -fcoverage-mapping "
                      "-fsanitize=fuzzer-no-link",
               LIB_FUZZING_ENGINE="-fsanitize=fuzzer")
    env.pop("WORK", None)
    subprocess.run(["bash", str(ROOT / "fuzz" / "build.sh")], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    print("\nline coverage of the code each target aims at (llvm-cov over its campaign corpus)")
    for t in targets:
        corpus = work / "corpus" / t
        prof = out / f"{t}.profraw"
        subprocess.run([str(out / t), "-runs=0", *EXTRA.get(t, []), *target_options(t),
                        str(corpus)], env=dict(os.environ, LLVM_PROFILE_FILE=str(prof)),
                       capture_output=True, timeout=3600)
        data = out / f"{t}.profdata"
        subprocess.run(["llvm-profdata", "merge", "-sparse", str(prof), "-o", str(data)],
                       check=True)
        rep = subprocess.run(["llvm-cov", "report", str(out / t), f"-instr-profile={data}"],
                             capture_output=True, text=True, check=True).stdout
        rows = []
        for line in rep.splitlines():
            cols = line.split()
            if len(cols) < 10 or not cols[0].endswith(".c"):
                continue
            path = os.path.relpath(os.path.normpath(os.path.join(ROOT, cols[0])), ROOT) \
                if not os.path.isabs(cols[0]) else os.path.relpath(cols[0], ROOT)
            if any(path.startswith(a) for a in AIMS.get(t, ["src/"])):
                # columns: regions missed cover functions missed executed lines missed cover ...
                lines, missed = int(cols[7]), int(cols[8])
                rows.append((path, lines, missed))
        total = sum(r[1] for r in rows)
        hit = total - sum(r[2] for r in rows)
        print(f"\n{t}: {hit}/{total} lines = {100.0 * hit / max(total, 1):.1f}% of "
              f"{', '.join(AIMS.get(t, ['src/']))} ({len(rows)} files)")
        for path, lines, missed in sorted(rows, key=lambda r: (r[1] - r[2]) / max(r[1], 1)):
            print(f"    {100.0 * (lines - missed) / max(lines, 1):5.1f}%  {lines - missed:>5}/"
                  f"{lines:<5} {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time", type=int, default=int(os.environ.get("FUZZ_TIME", 60)),
                    help="seconds per target (default FUZZ_TIME or 60)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="fuzzing processes per target (default: every core)")
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--coverage", action="store_true", help="then measure line coverage")
    ap.add_argument("--work", default=str(ROOT / "build" / "fuzz-campaign"),
                    help="where corpus/ and artifacts/ live (default build/fuzz-campaign)")
    ap.add_argument("--bins", help="run the targets already built in BINS (e.g. a copy of "
                    "build/fuzz) instead of building them into build/fuzz first: so several "
                    "campaigns (one per target) can run at once while build/fuzz is rebuilt")
    a = ap.parse_args()
    targets = [t for t in a.targets.split(",") if t]
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        ap.error(f"unknown target(s): {', '.join(unknown)} (known: {', '.join(TARGETS)})")
    bins = pathlib.Path(a.bins) if a.bins else ROOT / "build" / "fuzz"
    if not a.bins:
        env = dict(os.environ, OUT=str(bins), CC=os.environ.get("CC", "clang"))
        for k in ("CFLAGS", "LIB_FUZZING_ENGINE", "WORK"):
            env.pop(k, None)
        subprocess.run(["bash", str(ROOT / "fuzz" / "build.sh")], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    missing = [t for t in targets if not (bins / t).is_file()]
    if missing:
        ap.error(f"not built in {bins}: {', '.join(missing)}")
    work = pathlib.Path(a.work)
    (work / "corpus").mkdir(parents=True, exist_ok=True)
    print(f"fuzz campaign: {len(targets)} target(s), {a.time} s each on {a.jobs} process(es); "
          f"load {uptime()}", flush=True)
    print(f"{'target':<22} {'executions':>12} {'exec/s':>9} {'edges':>14} {'features':>14} "
          f"{'corpus':>12} {'findings':>8}   load start / end")
    results = []
    for t in targets:
        r = run_target(t, bins, a.time, a.jobs, work)
        results.append(r)
        print_row(r)
        sys.stdout.flush()
    total = sum(r["execs"] for r in results)
    print(f"total: {total:,} executions, {sum(len(r['findings']) for r in results)} findings")
    if a.coverage:
        coverage(targets, work)
    return 1 if any(r["findings"] or not r["execs"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
