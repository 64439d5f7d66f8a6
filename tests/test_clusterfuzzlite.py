"""ClusterFuzzLite / OSS-Fuzz build (issue 25): .clusterfuzzlite/build.sh — the project's
fuzz/build.sh — run as those builders run it: the source under $SRC/vqsim, the environment
variables they set ($CC, $CFLAGS with the sanitizer and -fsanitize=fuzzer-no-link,
$LIB_FUZZING_ENGINE, $OUT, $WORK), libyaml and libpng linked statically. $OUT must then hold every
target of fuzz/ (found as ClusterFuzzLite finds them: executables that define
LLVMFuzzerTestOneInput), each runs its own seed corpus zip without a finding and does not need
libyaml or libpng at run time; and the project files say what those builders need.
"""
import os
import shutil
import subprocess
import zipfile

import pytest

from conftest import ROOT
from test_fuzz import TARGETS, libfuzzer_available

# OSS-Fuzz's address-sanitizer flags (infra/base-images/base-builder: SANITIZER_FLAGS_address,
# COVERAGE_FLAGS, plus the -fsanitize=fuzzer-no-link every libFuzzer build adds).
OSS_FUZZ_CFLAGS = ("-O1 -fno-omit-frame-pointer -gline-tables-only "
                   "-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address "
                   "-fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link")


@pytest.fixture(scope="module")
def cflite_out(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cflite")
    if not libfuzzer_available(tmp):
        pytest.skip("clang with libFuzzer is not installed (apt-get install clang "
                    "libclang-rt-14-dev)")
    src, out, work = tmp / "src", tmp / "out", tmp / "work"
    for d in (src, out, work):
        d.mkdir()
    (src / "vqsim").symlink_to(ROOT)
    shutil.copy(ROOT / ".clusterfuzzlite" / "build.sh", src / "build.sh")
    env = dict(os.environ, SRC=str(src), OUT=str(out), WORK=str(work), CC="clang",
               CXX="clang++", CFLAGS=OSS_FUZZ_CFLAGS, LIB_FUZZING_ENGINE="-fsanitize=fuzzer",
               SANITIZER="address", FUZZING_ENGINE="libfuzzer", JOBS="2")
    p = subprocess.run(["bash", "-eu", str(src / "build.sh")], cwd=src / "vqsim", env=env,
                       capture_output=True, text=True, timeout=1500)  # (the model compiled twice)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-4000:]
    return out


def test_build_finds_every_target(cflite_out):
    found = sorted(f.name for f in cflite_out.iterdir()
                   if f.is_file() and os.access(f, os.X_OK)
                   and b"LLVMFuzzerTestOneInput" in f.read_bytes())
    assert found == TARGETS
    for t in TARGETS:
        assert zipfile.ZipFile(cflite_out / f"{t}_seed_corpus.zip").namelist(), t
        libs = subprocess.run(["ldd", str(cflite_out / t)], capture_output=True, text=True).stdout
        assert "libyaml" not in libs and "libpng" not in libs, (t, libs)
    assert (cflite_out / "fuzz_scenario.dict").is_file()


@pytest.mark.parametrize("target", TARGETS)
def test_cluster_build_runs_its_seeds(cflite_out, target, tmp_path):
    with zipfile.ZipFile(cflite_out / f"{target}_seed_corpus.zip") as z:
        z.extractall(tmp_path / "seeds")
    p = subprocess.run([str(cflite_out / target), "-runs=0", f"-artifact_prefix={tmp_path}/",
                        str(tmp_path / "seeds")], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "INITED" in p.stderr and not list(tmp_path.glob("crash-*"))


def test_project_files():
    dockerfile = (ROOT / ".clusterfuzzlite" / "Dockerfile").read_text()
    assert "FROM gcr.io/oss-fuzz-base/base-builder" in dockerfile
    for pkg in ("libyaml-dev", "libpng-dev", "zlib1g-dev", "cmake", "pkg-config"):
        assert pkg in dockerfile, pkg
    assert "language: c" in (ROOT / ".clusterfuzzlite" / "project.yaml").read_text()
    assert "fuzz/build.sh" in (ROOT / ".clusterfuzzlite" / "build.sh").read_text()
    oss = ROOT / "fuzz" / "oss-fuzz"
    assert (oss / "build.sh").read_text() == (ROOT / ".clusterfuzzlite" / "build.sh").read_text()
    project = (oss / "project.yaml").read_text()
    for key in ("homepage:", "main_repo:", "primary_contact:", "language: c", "sanitizers:"):
        assert key in project, key
