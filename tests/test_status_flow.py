"""The Status handshake as the device sees it, end to end."""
import json

from conftest import ROOT, run


def status_writes(s):
    return [(int(e["value"], 16), e.get("note")) for e in s["trace"]
            if e["kind"] == "mmio-write" and e.get("reg") == "Status"]


def test_refused_features_ok_then_failed_reaches_the_device(vqsim, tmp_path):
    # QEMU refuses FEATURES_OK when ACCESS_PLATFORM is offered and not accepted; the driver then
    # sets FAILED on top of what the device kept, which the device takes.
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, ROOT / "scenarios" / "modern-access-platform-refused.yaml")
    assert p.returncode == 0, p.stdout
    s = json.loads(out.read_text())["scenarios"][0]
    w = status_writes(s)
    assert [v for v, _ in w] == [0x00, 0x01, 0x03, 0x0B, 0x83]
    assert w[3][1] and w[3][1].startswith("refused: ACCESS_PLATFORM")
    assert w[4][1] is None
    assert s["steps"][0]["detail"] == "features-refused"
    assert s["violations"] == []


def test_strict_profile_is_in_the_results(vqsim, tmp_path):
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, ROOT / "scenarios" / "modern-display-strict.yaml",
            ROOT / "scenarios" / "modern-display.yaml")
    assert p.returncode == 0, p.stdout
    doc = json.loads(out.read_text())["scenarios"]
    assert [d["device"]["profile"] for d in doc] == ["strict", "qemu"]
    assert [w for w, _ in status_writes(doc[0])] == [0x00, 0x01, 0x03, 0x0B, 0x0F]


def test_without_driver_ok_a_display_event_is_not_signalled(vqsim, tmp_path):
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, ROOT / "scenarios" / "rules" / "init-step8-driver-ok.yaml")
    assert p.returncode == 0, p.stdout
    s = json.loads(out.read_text())["scenarios"][0]
    # skip-status-bit took DRIVER_OK out of the last write: 0x0b, not 0x0f
    assert [w for w, _ in status_writes(s)] == [0x00, 0x01, 0x03, 0x0B, 0x0B]
    assert any(e["kind"] == "device" and e["what"].startswith("display changed")
               for e in s["trace"])
    assert not [e for e in s["trace"] if e["kind"] == "irq"]
    assert [v["rule"] for v in s["violations"]] == ["init.step8-driver-ok"]
