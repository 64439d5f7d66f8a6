"""fuzz_drivers (fuzz/fuzz_drivers.c): the blk / rng / input / net drivers over virtio-mmio and
virtio-pci against the device model made hostile. Its oracles are shown to catch a broken driver:
the target is linked against a mutant of one driver file (the rest of the objects as
fuzz/build.sh built them) and run on one input that the correct driver survives.
(The seeds, the regression inputs and a short fuzzing run are tests/test_fuzz.py's, the reuse
digest tests/test_fuzz_reuse.py's, as for every target.)
"""
import os
import shlex
import struct
import subprocess

import pytest

from test_fuzz import fuzz_bin  # noqa: F401  (the fixture: builds fuzz/build.sh once)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
u8 = lambda v: struct.pack("<B", v)
u16 = lambda v: struct.pack("<H", v)
u32 = lambda v: struct.pack("<I", v)
D_BLK, D_RNG, C_IO = 0, 4, 3
LOAD_USED_LEN = 4  # fault_ring_load_fields[4] (driver_bugs.c)

# rng on virtio-mmio, queue of 4; one lie: the driver's load of used.len reads 0 (a device that
# used the buffer with no byte in it); then a read of 16 bytes. §5.4.6.2: a correct driver
# refuses the answer (VIRTIO_ERR_RESPONSE).
RNG_USED_LEN_0 = u8(D_RNG) + u8(2) + u8(1 << 2) + \
    u8(1) + u8(LOAD_USED_LEN) + u8(0) + u32(0) + u8(1) + u8(C_IO) + u16(16)
# blk on virtio-pci, a truthful device: sector 3 written (its bytes must land on the model's
# sector 3), sector 2 read back (zeros), then a read that runs past the 128-sector disk (the
# driver must refuse it: VIRTIO_ERR_INVALID).
BLK_WRITE_READ = u8(D_BLK | 2) + u8(3) + u8(0) + \
    u8(C_IO | 1 << 3) + u8(3) + u8(1) + u8(0x5a) + u8(C_IO) + u8(2) + u8(1) + u8(0) + \
    u8(C_IO) + u8(127) + u8(2) + u8(0)


def build(fuzz_bin, tmp_path, mutation=None):  # noqa: F811
    """fuzz_drivers linked against fuzz/build.sh's objects, one driver file mutated."""
    obj = fuzz_bin / "obj"
    cc = ["clang", "-std=c11", "-D_GNU_SOURCE", "-g", "-O1", "-fsanitize=address,undefined",
          "-fno-sanitize-recover=all", "-fsanitize=fuzzer-no-link", f"-I{ROOT}/src",
          f"-I{ROOT}/include"]
    objs = []
    if mutation:
        path, old, new = mutation
        text = open(os.path.join(ROOT, "src", "driver", path)).read()
        assert text.count(old) == 1, old
        src = tmp_path / path
        src.write_text(text.replace(old, new))
        inc = subprocess.run(["clang", "-print-file-name=include"], capture_output=True,
                             text=True).stdout.strip()
        o = tmp_path / "mutant.o"
        p = subprocess.run([*cc, "-ffreestanding", "-nostdinc", "-isystem", inc, "-c", str(src),
                            "-o", str(o)], capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        objs.append(str(o))  # first: the archive's own copy is never pulled in
    libs = subprocess.run(["pkg-config", "--libs", "libpng", "yaml-0.1"], capture_output=True,
                          text=True).stdout.split()
    exe = tmp_path / "fuzz_drivers"
    p = subprocess.run([*cc, *objs, str(obj / "fuzz_drivers.o"), str(obj / "libharness.a"),
                        str(obj / "libdriver.a"), str(obj / "libhal.a"), str(obj / "libcore.a"),
                        "-fsanitize=fuzzer", *libs, "-o", str(exe)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, shlex.join(p.args) + "\n" + p.stderr
    return exe


def run(exe, tmp_path, data):
    f = tmp_path / "input"
    f.write_bytes(data)
    return subprocess.run([str(exe), str(f)], capture_output=True, text=True, timeout=120)


def test_correct_drivers_survive_both_inputs(fuzz_bin, tmp_path):  # noqa: F811
    exe = build(fuzz_bin, tmp_path)
    for data in (RNG_USED_LEN_0, BLK_WRITE_READ):
        p = run(exe, tmp_path, data)
        assert p.returncode == 0, p.stderr[-2000:]


def test_rng_driver_taking_an_empty_answer_is_caught(fuzz_bin, tmp_path):  # noqa: F811
    exe = build(fuzz_bin, tmp_path, ("virtio_rng.c", "return len ? VIRTIO_OK : VIRTIO_ERR_RESPONSE;",
                                     "return VIRTIO_OK;"))
    p = run(exe, tmp_path, RNG_USED_LEN_0)
    assert p.returncode != 0
    assert "an rng read reported an impossible byte count" in p.stderr, p.stderr[-2000:]


def test_blk_driver_sending_the_wrong_sector_is_caught(fuzz_bin, tmp_path):  # noqa: F811
    exe = build(fuzz_bin, tmp_path, ("virtio_blk.c", ".hdr = {type, 0, sector}",
                                     ".hdr = {type, 0, sector ^ 1}"))
    p = run(exe, tmp_path, BLK_WRITE_READ)
    assert p.returncode != 0
    assert "a blk write did not put its bytes on the disk's sectors" in p.stderr, p.stderr[-2000:]


def test_blk_driver_without_the_capacity_check_is_caught(fuzz_bin, tmp_path):  # noqa: F811
    exe = build(fuzz_bin, tmp_path, ("virtio_blk.c", "sector > b->capacity ||\n        n > b->capacity - sector || (type",
                                     "sector > b->capacity || (type"))
    p = run(exe, tmp_path, BLK_WRITE_READ)
    assert p.returncode != 0
    assert "a call failed on a device that answered it correctly" in p.stderr, p.stderr[-2000:]
