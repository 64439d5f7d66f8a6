"""A device the driver must ignore (§4.2.2.2, §4.2.3.1.1): the real driver reads exactly the
identification registers the spec asks for, in order, and then touches nothing."""
import json

import pytest

from conftest import ROOT, run

CASES = {
    "probe-bad-magic": ["MagicValue"],
    "probe-bad-version": ["MagicValue", "Version"],
    "probe-device-id-0": ["MagicValue", "Version", "DeviceID"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_driver_stops_after_the_probe(vqsim, tmp_path, name):
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, ROOT / "scenarios" / f"{name}.yaml")
    assert p.returncode == 0, p.stdout
    s = json.loads(out.read_text())["scenarios"][0]
    mmio = [(e["kind"], e.get("reg")) for e in s["trace"] if e["kind"].startswith("mmio")]
    assert mmio == [("mmio-read", r) for r in CASES[name]]
    assert s["outcome"] == "driver-error"
    assert s["violations"] == []
    assert s["steps"][0]["step"] == "init"
    assert s["steps"][0]["detail"] == "no-device"


def test_a_driver_that_misreads_the_magic_is_caught(vqsim, tmp_path):
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, ROOT / "scenarios" / "rules" / "mmio-ignore-bad-magic.yaml")
    assert p.returncode == 0, p.stdout
    s = json.loads(out.read_text())["scenarios"][0]
    assert [v["rule"] for v in s["violations"]] == ["mmio.ignore-bad-magic"]
    # reported at the first access beyond the identification registers: the reset write
    first = next(e for e in s["trace"] if e["kind"] == "violation")
    before = [e for e in s["trace"] if e["kind"].startswith("mmio") and e["t"] <= first["t"]]
    assert (before[-1]["kind"], before[-1]["reg"]) == ("mmio-write", "Status")
