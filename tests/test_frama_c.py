"""The proof of the driver (README "The proof of the driver"): Frama-C Eva on the split and packed
virtqueue code against a device that shows any value, one analysis per configuration
(tools/frama-c/run_eva.py), each with 0 alarms — and the harness is shown to see a broken driver:
a mutant without a used id's range check (split, then packed) gets an out-of-bounds alarm, and
one that creates a split queue of 3 reaches the harness's must-not-reach write.

frama-c (Debian's frama-c-base) is a required package: tools/setup-deps.sh installs it.
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "tools", "frama-c", "run_eva.py")
CONFIGS = subprocess.run([sys.executable, RUN, "--list"], capture_output=True, text=True,
                         check=True).stdout.split()


def run_eva(*args):
    if not shutil.which("frama-c"):
        pytest.fail("frama-c not installed: run tools/setup-deps.sh (Debian's frama-c-base)")
    return subprocess.run([sys.executable, RUN, "-j1", *args], capture_output=True, text=True,
                          cwd=ROOT)


def test_configurations_cover_both_rings_and_every_feature():
    assert any(c.startswith("split-") for c in CONFIGS) and any(c.startswith("packed-") for c in CONFIGS)
    assert {"split-plain", "split-all", "split-num1", "packed-eidx", "packed-indirect"} <= set(CONFIGS)


@pytest.mark.parametrize("config", CONFIGS)
def test_eva_no_alarm(config):
    p = run_eva(config)
    assert p.returncode == 0, p.stdout + p.stderr
    assert re.search(r"^%s\s+[\d.]+ s  0 alarms$" % re.escape(config), p.stdout, re.M), p.stdout


def mutant(tmp_path, path, old, new):
    d = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "src", "driver"), d / "driver")
    f = d / "driver" / path
    text = f.read_text()
    assert text.count(old) == 1, old
    f.write_text(text.replace(old, new))
    return str(d)


@pytest.mark.parametrize("config,path,old,new,where", [
    # split: the used id checked against num + 1 instead of num
    ("split-num1", "virtqueue.c", "if (id >= vq->num)\n", "if (id >= vq->num + 1u)\n",
     r"virtqueue\.c:\d+: out of bounds read"),
    # packed: the range check gone altogether
    ("packed-num1", "vq_packed.c", "if (id >= vq->num) /* Linux", "if (0) /* Linux",
     r"vq_packed\.c:\d+: out of bounds read"),
    # a split queue of 3 (not a power of two, §2.6) created instead of refused
    ("split-num3", "virtqueue.c",
     "    if (!split_size_ok(num)) /* §2.6, see split_size_ok */\n        return VIRTIO_ERR_INVALID;\n", "",
     r"eva_split\.c:\d+: out of bounds write"),
])
def test_eva_sees_a_broken_driver(tmp_path, config, path, old, new, where):
    p = run_eva("--driver", mutant(tmp_path, path, old, new), config)
    assert p.returncode == 1, p.stdout + p.stderr
    assert re.search(r"FAIL\n(    alarm at .*\n)*    alarm at .*" + where, p.stdout), p.stdout
