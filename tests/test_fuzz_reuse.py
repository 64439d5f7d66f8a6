"""The fast fuzz targets reuse their machine between inputs (issue 25): fuzz_device_model and
fuzz_drivers map guest RAM once and build each input's machine on it (machine_init_reusing,
gm_clear). The reuse must leave nothing of one input behind for the next: with FUZZ_DIGEST=1 the
target prints a digest of the machine's end state (fuzz/fuzz_machine_digest.h: trace, violations,
device state, what the target recorded — gpu counters, the drivers' results —, every byte of
guest RAM) per input; each input run after all the others in one process must give the digest
it gives alone, on a fresh process and machine.
"""
import os
import re
import subprocess

import pytest

from test_fuzz import corpus, fuzz_bin  # noqa: F401  (the fixture: builds fuzz/build.sh once)

DIGEST = re.compile(r"^digest (\S+) ram (\S+) input (\S+) violations (\d+) trace (\d+)$", re.M)


def digests(binary, files):
    """{input hash: (state digest, RAM digest)} of every input run, in order, in one process."""
    p = subprocess.run([str(binary), "-runs=1", *map(str, files)], capture_output=True,
                       text=True, timeout=300, env=dict(os.environ, FUZZ_DIGEST="1"))
    assert p.returncode == 0, p.stderr[-3000:]
    out = {}
    for m in DIGEST.finditer(p.stderr):
        state = (m.group(1), m.group(2))
        assert out.setdefault(m.group(3), state) == state, "one input, two end states"
    return out


REUSING = ["fuzz_device_model", "fuzz_drivers"]  # the targets on machine_init_reusing


@pytest.mark.parametrize("target", REUSING)
def test_reused_machine_equals_a_fresh_one(fuzz_bin, target):  # noqa: F811
    files = sorted(f for f in corpus(target).iterdir() if f.is_file())
    assert len(files) >= 10
    # Forwards and backwards: every input runs after a different one in each order.
    together = [digests(fuzz_bin / target, files),
                digests(fuzz_bin / target, files[::-1])]
    ram_differs = set()
    for f in files:
        alone = digests(fuzz_bin / target, [f])
        assert len(alone) == 1, f.name
        (key, state), = alone.items()
        for t in together:
            assert t.get(key) == state, f"{f.name}: after other inputs its end state differs"
        ram_differs.add(state[1])
    # The digest sees what the inputs did: they do not all end with the same RAM or state.
    assert len(ram_differs) >= len(files) // 2


def test_every_reusing_target_is_listed():
    """A target that builds its machine on kept RAM is in REUSING, so its reset is proven."""
    root = corpus("fuzz_device_model").parent.parent
    users = sorted(p.stem for p in root.glob("fuzz_*.c") if "machine_init_reusing" in p.read_text())
    assert users == sorted(REUSING)
