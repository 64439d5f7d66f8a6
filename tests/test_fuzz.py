"""The libFuzzer targets of fuzz/: they build, every seed and regression input in fuzz/corpus/
passes, and a short fuzzing run of each finds nothing (a smoke run; real campaigns are longer,
see README.md "Fuzzing").

Skipped when clang cannot link a libFuzzer binary (Debian: clang, libclang-rt-14-dev, which
tools/setup-deps.sh installs). The whole module takes about a minute.
"""
import fcntl
import os
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, run

TARGETS = sorted(p.stem for p in (ROOT / "fuzz").glob("fuzz_*.c"))  # as fuzz/build.sh finds them
FUZZ_RUNS = 2000  # per target: a count, not a time, so a loaded machine cannot fail it
FUZZ_TIME_BOUND = 300  # seconds: only a safety bound (a hang), never the measure


def libfuzzer_available(tmp):
    cc = shutil.which("clang")
    if not cc:
        return False
    src = tmp / "probe.c"
    src.write_text("#include <stddef.h>\n#include <stdint.h>\n"
                   "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\n"
                   "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)"
                   " { (void)d; (void)n; return 0; }\n")
    p = subprocess.run([cc, "-fsanitize=fuzzer,address,undefined", str(src), "-o",
                        str(tmp / "probe")], capture_output=True)
    return p.returncode == 0


@pytest.fixture(scope="module")
def fuzz_bin(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzzprobe")
    if not libfuzzer_available(tmp):
        pytest.skip("clang with libFuzzer is not installed (apt-get install clang "
                    "libclang-rt-14-dev)")
    out = ROOT / "build" / "fuzz"
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OUT=str(out), CC="clang")
    for k in ("CFLAGS", "LIB_FUZZING_ENGINE", "WORK"):  # the local defaults, not a cluster's
        env.pop(k, None)
    # Under pytest-xdist every worker gets here: build once per run, the others wait for it.
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    stamp = out / ".built-for-run"
    with open(out / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (run_id and stamp.exists() and stamp.read_text() == run_id):
            p = subprocess.run(["bash", str(ROOT / "fuzz" / "build.sh")], env=env,
                               capture_output=True, text=True, timeout=1200)  # (the model
            # is compiled twice: with and without coverage instrumentation, fuzz/build.sh)
            assert p.returncode == 0, p.stdout + p.stderr
            stamp.write_text(run_id or "")
    for t in TARGETS:
        assert (out / t).is_file() and os.access(out / t, os.X_OK), t
    return out


def corpus(t):
    return ROOT / "fuzz" / "corpus" / t


def test_corpora_are_small_and_present():
    for t in TARGETS:
        files = [f for f in corpus(t).iterdir() if f.is_file()]
        assert 5 <= len(files) <= 60, (t, len(files))
        assert all(0 < f.stat().st_size <= 8192 for f in files), t
    assert (ROOT / "fuzz" / "fuzz_scenario.dict").is_file()


@pytest.mark.parametrize("target", TARGETS)
def test_every_corpus_input_passes(fuzz_bin, target, tmp_path):
    """Each seed and regression input, run once: no crash, no leak, no finding."""
    files = sorted(str(f) for f in corpus(target).iterdir() if f.is_file())
    p = subprocess.run([str(fuzz_bin / target), "-timeout=5", f"-artifact_prefix={tmp_path}/",
                        *files],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stderr.count("Running: ") == len(files)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("target", TARGETS)
def test_short_fuzzing_run_finds_nothing(fuzz_bin, target, tmp_path):
    work = tmp_path / "corpus"  # new inputs go here, never into the repository's corpus
    art = tmp_path / "artifacts"
    work.mkdir()
    art.mkdir()
    args = [str(fuzz_bin / target), f"-runs={FUZZ_RUNS}", f"-max_total_time={FUZZ_TIME_BOUND}",
            "-timeout=10",
            "-rss_limit_mb=2048", f"-artifact_prefix={art}/", "-print_final_stats=1",
            str(work), str(corpus(target))]
    if (ROOT / "fuzz" / f"{target}.dict").is_file():
        args.insert(1, f"-dict={ROOT / 'fuzz' / (target + '.dict')}")
    p = subprocess.run(args, capture_output=True, text=True, timeout=FUZZ_TIME_BOUND + 60)
    assert p.returncode == 0, p.stderr[-3000:]
    assert list(art.iterdir()) == [], p.stderr[-3000:]
    done = re.search(r"^#(\d+)\s+DONE\s+cov: (\d+)", p.stderr, re.M)
    assert done, p.stderr[-2000:]
    execs, cov = int(done.group(1)), int(done.group(2))
    assert execs >= FUZZ_RUNS, f"only {execs} of {FUZZ_RUNS} executions (the time bound hit)"
    assert cov > 100, f"coverage {cov}: the target does not reach the code under test"


def test_malformed_scenarios_exit_2_with_position(vqsim):
    """The parser's fuzz seeds through the CLI: a scenario that does not load is exit 2 with
    file:line:col, never a crash (the fuzz target checks the same on every input it tries)."""
    bad = [f for f in sorted(corpus("fuzz_scenario").iterdir())
           if not list((ROOT / "scenarios").rglob(f.name))]  # not a copy of a real scenario
    assert len(bad) >= 3
    for f in bad:
        p = run(vqsim, "run", f)
        if f.name.startswith("regress-") and p.returncode in (0, 1):
            # an input that once showed a bug in the fuzz target's own oracle: a scenario that
            # loads; it runs to a verdict line (0 or 1), never a crash
            assert re.search(r"^(PASS|FAIL) ", p.stdout, re.M), (f.name, p.stdout, p.stderr)
            continue
        assert p.returncode == 2, (f.name, p.stdout, p.stderr)
        assert re.search(re.escape(str(f)) + r":\d+:\d+: \S", p.stderr), (f.name, p.stderr)
