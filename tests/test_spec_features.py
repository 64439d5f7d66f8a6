"""VirtIO 1.2 features the device offers when a scenario asks (device.offer): RING_RESET (the
QueueReset register, the reset of one queue) and NOTIFICATION_DATA (what QueueNotify carries).
Checked by content: the register traffic of the handshake, the values written, the rule ids, the
sections cited, the diagnosis, the pixels. QEMU 7.2's default (neither offered) is unchanged."""
import json

import pytest

from conftest import ROOT, run

SPEC = ROOT / "scenarios" / "spec"


def run_doc(vqsim, tmp_path, *args):
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, *args)
    return p, {s["name"]: s for s in json.loads(out.read_text())["scenarios"]}


def regs(sc, kind=None):
    return [e for e in sc["trace"] if e["kind"].startswith("mmio") and
            (kind is None or e["kind"] == kind)]


def test_queue_reset_handshake_and_queue_enabled_again(vqsim, tmp_path):
    p, doc = run_doc(vqsim, tmp_path, SPEC / "queue-reset.yaml")
    assert p.returncode == 0, p.stdout
    sc = doc["queue-reset"]
    assert sc["outcome"] == "ok" and sc["violations"] == [] and sc["informational"] == []
    assert "ring_reset" in sc["device"]["negotiated"]
    ev = regs(sc)
    i = next(k for k, e in enumerate(ev) if e.get("reg") == "QueueReset" and
             e["kind"] == "mmio-write")
    assert ev[i]["value"] == "0x1" and ev[i - 1]["reg"] == "QueueSel"
    reads = [e["value"] for e in ev[i + 1:] if e.get("reg") == "QueueReset"]
    # the device shows the reset going on (1) for its latency, then done (0): the driver polled
    assert reads[0] == "0x1" and reads[-1] == "0x0" and "0x0" not in reads[:-1]
    after = ev[i + 1 + next(k for k, e in enumerate(ev[i + 1:]) if e.get("reg") == "QueueReset"
                            and e["value"] == "0x0"):]
    setup = [e["reg"] for e in after if e["kind"] == "mmio-write"][:9]
    assert setup[0] == "QueueSel" and setup[-1] == "QueueReady"
    assert {"QueueNum", "QueueDescLow", "QueueDriverLow", "QueueDeviceLow"} <= set(setup)
    # new rings: the descriptor table is not where it was before the reset
    descs = [e["value"] for e in ev if e.get("reg") == "QueueDescLow"]
    assert len(descs) == 2 and descs[0] != descs[1]
    # the resource made before the reset is still the device's: the display shows the bars
    assert sc["display"]["active"] and sc["expected"]["display"]["pattern"] == "bars"
    assert sc["passed"]  # the pixels were compared with the pattern


def test_default_is_qemu_72(vqsim, tmp_path):
    """Without device.offer the device is QEMU 7.2's: bit 40 offered, NOTIFICATION_DATA not; the
    built-in driver takes neither unless told; QueueNotify carries the queue index alone."""
    p, doc = run_doc(vqsim, tmp_path, ROOT / "scenarios" / "modern-display.yaml")
    assert p.returncode == 0, p.stdout
    sc = doc["modern-display"]
    assert "ring_reset" in sc["device"]["offered"]  # QEMU 7.2 offers bit 40 on every transport
    assert "ring_reset" not in sc["device"]["negotiated"]
    assert "notification_data" not in sc["device"]["offered"]
    notes = [int(e["value"], 16) for e in regs(sc, "mmio-write") if e.get("reg") == "QueueNotify"]
    assert notes and all(v in (0, 1) for v in notes)


def test_reset_queue_without_the_feature_is_refused_by_the_driver(vqsim, tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text((SPEC / "queue-reset.yaml").read_text()
                 .replace("name: queue-reset", "name: not-negotiated")
                 .replace("driver:\n  features: [ring_reset]\n", "")
                 .replace("  - reset_queue: {queue: 0}", "  - reset_queue: {queue: 0, "
                                                         "expect_status: invalid-argument}"))
    p, doc = run_doc(vqsim, tmp_path, f)
    sc = doc["not-negotiated"]
    assert [e for e in regs(sc) if e.get("reg") == "QueueReset"] == []  # never touched
    assert sc["violations"] == [] and sc["outcome"] == "driver-error"


def test_qemu_72_ignores_queue_reset(vqsim, tmp_path):
    """QEMU 7.2 offers bit 40 on virtio-mmio with no QueueReset register: the reset goes nowhere,
    the queue stays live, and the driver's new setup is refused — as on the real QEMU."""
    p, doc = run_doc(vqsim, tmp_path, SPEC / "queue-reset-qemu72.yaml")
    assert p.returncode == 0, p.stdout
    sc = doc["queue-reset-qemu72"]
    ev = [e for e in regs(sc) if e.get("reg") == "QueueReset"]
    assert [(e["kind"], e["value"]) for e in ev] == [("mmio-write", "0x1"), ("mmio-read", "0x0")]
    assert "QEMU 7.2 does not implement" in ev[0]["note"]
    after = regs(sc)[regs(sc).index(ev[-1]):]
    assert next(e for e in after if e.get("reg") == "QueueReady")["value"] == "0x1"
    assert [s["driver_status"] for s in sc["steps"]][-1] == "queue-unavailable"


@pytest.mark.parametrize("name,rule,section,spec,evidence", [
    ("queue-reset-no-wait", "mmio.queue-reset.wait-read-back", "4.2.2.2", "1.2",
     "QueueNum (0x10) after writing 1 to QueueReset, before reading 0 back"),
    ("queue-reset-notify-early", "mmio.queue-reset.wait-read-back", "4.2.2.2", "1.2",
     "QueueNotify (0x0) after writing 1 to QueueReset"),
    ("queue-reset-no-reconfigure", "virtqueue.reset.reenable-configure", "2.6.1.2.2", "1.2",
     "made ready again after its reset without QueueDesc written since"),
    ("notification-data-index-only", "notify.data-next", "4.2.3.3", None,
     "QueueNotify 0x00000000 says next_off 0, next_wrap 0, but avail.idx in memory is 1"),
    ("notification-data-stale", "notify.data-next", "4.2.3.3", None,
     "QueueNotify 0x00020000 says next_off 2, next_wrap 0, but avail.idx in memory is 3"),
])
def test_each_wrong_way_fires_its_rule(vqsim, tmp_path, name, rule, section, spec, evidence):
    p, doc = run_doc(vqsim, tmp_path, SPEC / f"{name}.yaml")
    assert p.returncode == 0, p.stdout
    v = doc[name]["violations"]
    assert {x["rule"] for x in v} == {rule}
    assert (v[0]["section"], v[0].get("spec")) == (section, spec)
    assert evidence in v[0]["message"]


def test_stale_notification_is_the_only_one(vqsim, tmp_path):
    p, doc = run_doc(vqsim, tmp_path, SPEC / "notification-data-stale.yaml")
    assert len(doc["notification-data-stale"]["violations"]) == 1


def test_notification_data_carries_the_published_avail_idx(vqsim, tmp_path):
    p, doc = run_doc(vqsim, tmp_path, SPEC / "notification-data.yaml")
    sc = doc["notification-data"]
    assert sc["outcome"] == "ok" and sc["violations"] == []
    assert "notification_data" in sc["device"]["negotiated"]
    notes = [int(e["value"], 16) for e in regs(sc, "mmio-write") if e.get("reg") == "QueueNotify"]
    assert len(notes) >= 6
    assert all(v & 0xffff == 0 for v in notes)                 # vqn: the control queue
    assert [v >> 16 for v in notes] == list(range(1, len(notes) + 1))  # one chain per command


def test_reenable_without_areas_is_diagnosed(vqsim, tmp_path):
    p, doc = run_doc(vqsim, tmp_path, SPEC / "queue-reset-no-reconfigure.yaml")
    sc = doc["queue-reset-no-reconfigure"]
    c = sc["diagnosis"]["causes"][0]
    assert c["cause"] == "queue-not-ready"
    assert "was reset alone (VirtIO 1.2 QueueReset" in c["message"]
    ev = c["evidence"]
    assert ev["QueueDesc"] == "0x0" and ev["QueueDriver"] != "0x0"
    # judged against 1.1 the rule is not one, yet the diagnosis still knows what happened
    p, doc = run_doc(vqsim, tmp_path, "--spec", "1.1", SPEC / "queue-reset-no-reconfigure.yaml")
    sc = doc["queue-reset-no-reconfigure"]
    assert sc["violations"] == [] and sc["not_in_spec"] == ["virtqueue.reset.reenable-configure"]
    assert "was reset alone" in sc["diagnosis"]["causes"][0]["message"]


def test_versions_judge_the_later_rules(vqsim, tmp_path):
    """RING_RESET's rules are 1.2's: not judged against 1.1; notification data is 1.1's too."""
    args = [SPEC / "queue-reset-no-wait.yaml", SPEC / "notification-data-stale.yaml"]
    p, doc = run_doc(vqsim, tmp_path, "--spec", "1.1", *args)
    assert doc["queue-reset-no-wait"]["violations"] == []
    assert doc["queue-reset-no-wait"]["not_in_spec"] == ["mmio.queue-reset.wait-read-back"]
    assert [v["rule"] for v in doc["notification-data-stale"]["violations"]] == ["notify.data-next"]
    p, doc = run_doc(vqsim, tmp_path, "--spec", "1.4", *args)
    v = doc["queue-reset-no-wait"]["violations"][0]
    assert (v["rule"], v["section"], v["spec"]) == ("mmio.queue-reset.wait-read-back", "4.2.2.2",
                                                    "1.4")
