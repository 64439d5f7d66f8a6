"""scenarios/tour/: the lessons run (they are in the whole-run fixture like every scenario) and
what each description claims is what the run shows."""
import re

import pytest
import yaml

from conftest import ROOT

TOUR = ROOT / "scenarios" / "tour"
FILES = sorted(TOUR.glob("*.yaml"))


def lesson(all_results, stem):
    spec = yaml.safe_load((TOUR / f"{stem}.yaml").read_text())
    return spec, all_results[2][spec["name"]]


def events(r, kind, what=None):
    return [e for e in r["trace"] if e["kind"] == kind and (what is None or e.get("what") == what)]


def test_tour_is_complete_and_in_order():
    assert len(FILES) >= 10
    numbers = [int(f.name[:2]) for f in FILES]
    assert numbers == list(range(1, len(FILES) + 1)), "lessons are numbered 01.. without gaps"
    readme = (TOUR / "README.md").read_text()
    for f in FILES:
        assert f"({f.name})" in readme, f"{f.name} is not in the tour README"
        spec = yaml.safe_load(f.read_text())
        assert spec["name"] == f"tour-{f.stem}"
        assert spec["description"].startswith(f"Lesson {int(f.name[:2])} — ")
        assert len(spec["description"]) > 300, f"{f.name}: a lesson, not a caption"
        exp = spec["expect"]
        assert {"outcome", "violations", "display"} <= set(exp), f.name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_lesson_passes_and_its_commands_exist(all_results, path):
    spec = yaml.safe_load(path.read_text())
    r = all_results[2][spec["name"]]
    assert r["passed"], r["failures"]
    ids = {x["id"] for x in yaml.safe_load((ROOT / "spec" / "rules.yaml").read_text())["rules"]}
    for rule in re.findall(r"vqsim explain ([a-z][\w.-]*[\w])", spec["description"]):
        assert rule in ids, f"{path.name} sends the reader to an unknown rule {rule}"


def test_01_one_request(all_results):
    _, r = lesson(all_results, "01-one-request")
    lens = [int(e["value"], 16) for e in events(r, "ring-store", "desc.len")]
    assert lens == [24, 408]  # the request, then the response buffer
    flags = [int(e["value"], 16) for e in events(r, "ring-store", "desc.flags")]
    assert flags == [1, 2]  # NEXT, then WRITE
    assert [int(e["value"], 16) for e in events(r, "ring-store", "avail.ring")] == [0]
    assert [(e["head"], e["avail_idx"]) for e in events(r, "pop")] == [(0, 1)]
    assert [(e["id"], e["len"]) for e in events(r, "used")] == [(0, 408)]
    assert events(r, "irq")


def test_02_chains_restart_at_desc_0(all_results):
    _, r = lesson(all_results, "02-descriptor-chains")
    assert [e["head"] for e in events(r, "pop")] == [0, 0, 0, 0]
    lens = [int(e["value"], 16) for e in events(r, "ring-store", "desc.len")]
    assert lens[:6] == [24, 408, 40, 24, 48, 24]  # attach_backing: header and one entry


def test_03_avail_idx(all_results):
    _, r = lesson(all_results, "03-avail-idx-publishes")
    assert not events(r, "pop")
    assert r["diagnosis"]["evidence"]["device_avail_idx_seen"] == "0"


def test_04_wrap_around(all_results):
    _, r = lesson(all_results, "04-wrap-around")
    q = r["queues"][0]
    assert q["size"] == 2
    avail = int(q["device"]["avail"], 16)
    slots = [(int(e["addr"], 16) - avail - 4) // 2 for e in events(r, "ring-store", "avail.ring")]
    assert slots == [0, 1, 0, 1, 0, 1]
    assert [e["avail_idx"] for e in events(r, "pop")] == [1, 2, 3, 4, 5, 6]  # never wraps to 2


def test_05_used_ring(all_results):
    _, r = lesson(all_results, "05-used-ring")
    assert [e["len"] for e in events(r, "used")] == [408, 24, 24, 24, 24, 24]


def test_06_modern_layout_matches_explain(all_results):
    _, r = lesson(all_results, "06-modern-layout")
    assert r["queues"][0]["device"] == {"desc": "0x40100000", "avail": "0x40100100",
                                        "used": "0x40100128", "size": 16, "ready": True}


def test_08_and_09_legacy_used_ring(all_results):
    _, ok = lesson(all_results, "08-legacy-layout")
    assert ok["queues"][0]["device"]["used"] == "0x40101000"
    _, hang = lesson(all_results, "09-used-ring-nobody-reads")
    assert hang["queues"][0]["driver"]["used"] == "0x40100128"
    assert [e["addr"] for e in events(hang, "used")] == ["0x40101004"]


def test_10_qemu_and_spec(all_results):
    _, r = lesson(all_results, "10-qemu-and-the-spec-disagree")
    q = r["queues"][0]
    assert (q["device"]["used"], q["driver"]["used"]) == ("0x40100124", "0x40100128")
    assert [(e["addr"], e["id"], e["len"]) for e in events(r, "used")] == [("0x40100128", 0, 408)]
    assert not [w for w in events(r, "mmio-write") if w.get("reg") == "QueueAlign"
                and w.get("note")], "QueueAlign 4 reached the device"


def test_11_chain_error(all_results):
    _, r = lesson(all_results, "11-chain-order-error")
    flags = [int(e["value"], 16) for e in events(r, "ring-store", "desc.flags")]
    assert flags == [3, 0]
    assert r["diagnosis"]["evidence"]["needs_reset_set"] == "yes"
