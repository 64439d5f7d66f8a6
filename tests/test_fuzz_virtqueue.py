"""fuzz_virtqueue (fuzz/fuzz_virtqueue.c): the split and packed virtqueues against a device that
writes anything into its memory. Its oracle is shown to catch a broken driver: the target is built
against a mutant of the driver and run on one input that a correct driver survives.
(The seeds and a short fuzzing run are tests/test_fuzz.py's, as for every target.)
"""
import os
import shutil
import struct
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
V_ADD, V_KICK, V_GET, V_COMPLETE, V_SCRIBBLE16 = 0, 1, 2, 5, 6
u8 = lambda v: struct.pack("<B", v)
u16 = lambda v: struct.pack("<H", v)
u32 = lambda v: struct.pack("<I", v)
ADD = u8(V_ADD) + u8(1 | 1 << 2) + (u8(1) + u16(64)) * 3  # one readable, one writable buffer

# Split, queue of 4: two chains published, the first used and taken, then used.idx moved on over
# an element naming the same head again (id 0): the driver must refuse it (USED_ID_TWICE).
SPLIT_TWICE = u8(0) + u8(3) + ADD + ADD + u8(V_KICK) + u8(V_COMPLETE) + u32(0) + u8(V_GET) + \
    u8(V_SCRIBBLE16) + u16(1) + u16(2) + u8(V_GET)
# Packed, queue of 4: the device marks descriptor 0 used with id 200.
PACKED_BAD_ID = u8(1) + u8(3) + ADD + u8(V_KICK) + u8(V_SCRIBBLE16) + u16(6) + u16(200) + \
    u8(V_SCRIBBLE16) + u16(7) + u16(0x8080) + u8(V_GET)


def build(tmp_path, mutation=None):
    if not shutil.which("clang"):
        pytest.skip("clang is not installed (tools/setup-deps.sh installs it)")
    src = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "src", "driver"), src / "driver")
    if mutation:
        path, old, new = mutation
        f = src / "driver" / path
        text = f.read_text()
        assert text.count(old) == 1, old
        f.write_text(text.replace(old, new))
    drv = [str(src / "driver" / f) for f in ("virtqueue.c", "vq_indirect.c", "vq_packed.c")]
    exe = tmp_path / "fuzz_virtqueue"
    p = subprocess.run(["clang", "-g", "-O1", "-fsanitize=fuzzer,address,undefined",
                        "-fno-sanitize-recover=all", "-I", str(src), "-I", os.path.join(ROOT, "src"),
                        "-I", os.path.join(ROOT, "fuzz"), os.path.join(ROOT, "fuzz", "fuzz_virtqueue.c"),
                        *drv, "-o", str(exe)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return exe


def run(exe, tmp_path, data):
    f = tmp_path / "input"
    f.write_bytes(data)
    return subprocess.run([str(exe), str(f)], capture_output=True, text=True, timeout=60)


def test_correct_driver_survives_both_inputs(tmp_path):
    exe = build(tmp_path)
    for data in (SPLIT_TWICE, PACKED_BAD_ID):
        p = run(exe, tmp_path, data)
        assert p.returncode == 0, p.stderr[-2000:]


def test_split_driver_without_the_head_check_is_caught(tmp_path):
    exe = build(tmp_path, ("virtqueue.c", "if (vq->state[id].token == NULL)\n",
                           "if (0)\n"))
    p = run(exe, tmp_path, SPLIT_TWICE)
    assert p.returncode != 0
    assert "fuzz_virtqueue: a token never given" in p.stderr, p.stderr[-2000:]


def test_packed_driver_without_the_id_range_check_is_caught(tmp_path):
    exe = build(tmp_path, ("vq_packed.c", "if (id >= vq->num) /* Linux", "if (0) /* Linux"))
    p = run(exe, tmp_path, PACKED_BAD_ID)
    assert p.returncode != 0
    assert "heap-buffer-overflow" in p.stderr, p.stderr[-2000:]
