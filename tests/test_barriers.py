"""Every barrier call of the real driver is numbered and covered by the omit-one-barrier builds."""
import re

from conftest import ROOT


def test_every_driver_barrier_is_numbered_and_covered():
    src = (ROOT / "src" / "driver" / "virtqueue.c").read_text()
    code = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    bare = re.findall(r"\bvhal_(?:mb|rmb|wmb)\s*\(", code)
    assert not bare, "a barrier call outside VQ_BARRIER(n, …) cannot be compiled out by the test"
    numbered = [int(n) for n in re.findall(r"VQ_BARRIER\((\d+),\s*vhal_(?:mb|rmb|wmb)\)", code)]
    assert sorted(numbered) == list(range(1, len(numbered) + 1)), numbered
    cmake = (ROOT / "CMakeLists.txt").read_text()
    m = re.search(r'set\(VQ_OMIT_RULES ""((?:\s+"[^"]+")+)\)', cmake)
    assert m, "CMakeLists.txt lists the rule each omitted barrier must trip"
    rules = re.findall(r'"([^"]+)"', m.group(1))
    assert len(rules) == len(numbered)
    assert re.search(rf"foreach\(n RANGE 0 {len(numbered)}\)", cmake)
