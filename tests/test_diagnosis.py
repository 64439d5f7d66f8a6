"""The diagnosis through the CLI: every timeout is explained (or says plainly it is not), every
cause and device fault has its scenario, the console prints the paragraphs, expect.causes and
expect.evidence are judged, and device_faults parse strictly."""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import pytest
import yaml

from conftest import ROOT, SCENARIOS, run
from test_scenarios import run_edited

# the causes' scenarios: scenarios/hangs/, virtio-pci's in scenarios/pci/, and a packed queue's
# in scenarios/packed/ (those that name cause and evidence)
HANGS = sorted((ROOT / "scenarios" / "hangs").glob("*.yaml")) + sorted(
    p for p in (ROOT / "scenarios" / "pci").glob("*.yaml") if "causes:" in p.read_text())
HANGS += [p for p in sorted((ROOT / "scenarios" / "packed").glob("*.yaml"))
          if "evidence" in yaml.safe_load(p.read_text())["expect"]]

# Every cause the engine names (src/model/diagnosis/diagnosis.h), in causal order.
CAUSES = ["pci-memory-decoding-off", "pci-notify-wrong-offset", "pci-msix-no-vector",
          "reinit-without-reset", "queue-sel-out-of-range", "guest-page-size-missing",
          "queue-not-ready", "queue-num-mismatch", "rings-outside-ram", "used-ring-mismatch",
          "request-unservable", "no-buffers-posted", "rx-buffer-too-small", "rx-frame-filtered",
          "no-notify",
          "avail-idx-not-advanced",
          "device-broken", "reset-while-queued", "command-too-short", "device-fault",
          "response-buffer-too-short", "command-refused",
          "packed-unpublished", "packed-wrap-out-of-step", "packed-interrupt-suppressed",
          "interrupt-suppressed", "interrupt-not-acknowledged", "register-wait", "unexplained"]
FAULTS = ["never-respond", "respond-late", "respond-after-second-notify", "drop-interrupt",
          "set-needs-reset", "reset", "used-element-without-idx", "used-idx-without-element",
          "event-index"]


def norm(text):
    return " ".join(text.split())


def spec_of(path):
    return yaml.safe_load(path.read_text())


def test_every_timeout_has_a_diagnosis(all_results):
    _, doc, _ = all_results
    timeouts = [s for s in doc["scenarios"] if s["outcome"] == "timeout"]
    assert len(timeouts) >= 25
    for s in timeouts:
        d = s["diagnosis"]
        assert d is not None, s["name"]
        assert d["causes"], s["name"]
        assert d["cause"] == d["causes"][0]["cause"]
        assert d["message"] == d["causes"][0]["message"]
        assert d["evidence"] == d["causes"][0]["evidence"]
        for c in d["causes"]:
            assert c["cause"] in CAUSES
            assert re.fullmatch(r"\d+(\.\d+)*", c["section"]), c
            assert c["title"] and len(c["message"]) > 100, c
            # the control queue; the cursor queue where that is the request that hung
            # (scenarios/pci/notify-no-multiplier.yaml), a network device's transmitq where a
            # frame sent hung (scenarios/devices/net/net-tx-short-header.yaml), its controlq
            # where a command did (net-ctrl-no-ack.yaml)
            assert c["evidence"]["queue"] == ("1" if s["name"] in ("pci-notify-no-multiplier",
                                                                   "net-tx-short-header")
                                              else "2" if s["name"] == "net-ctrl-no-ack"
                                              else "0")
            assert int(c["evidence"]["timed_out_at_ns"]) > int(c["evidence"]["waited_from_ns"])
        ids = [c["cause"] for c in d["causes"]]
        assert len(set(ids)) == len(ids), s["name"]  # one entry per cause
        assert ids == sorted(ids, key=CAUSES.index), s["name"]  # causal order


def test_every_cause_and_fault_has_a_hang_scenario():
    # (a device's own causes hang in its own folder, scenarios/devices/<device>/)
    devices = sorted((ROOT / "scenarios" / "devices").glob("*/*.yaml"))
    first = {spec_of(p)["expect"].get("cause") for p in HANGS + devices}
    assert set(CAUSES) - {"unexplained"} <= first
    faults = set()
    for p in HANGS:
        for f in spec_of(p).get("device_faults", []):
            faults.add(f if isinstance(f, str) else next(iter(f)))
    assert faults == set(FAULTS)
    readme = (ROOT / "README.md").read_text()
    for name in CAUSES + FAULTS:
        assert f"`{name}`" in readme, name


@pytest.mark.parametrize("path", HANGS, ids=lambda p: p.stem)
def test_hang_scenarios_assert_cause_list_and_evidence(all_results, path):
    spec = spec_of(path)
    exp = spec["expect"]
    r = all_results[2][spec["name"]]
    if exp["outcome"] == "ok":  # a device fault the driver rides out: nothing to diagnose
        assert r["diagnosis"] is None and "cause" not in exp
        return
    assert "cause" in exp and "evidence" in exp, "a hang scenario names its cause and evidence"
    d = r["diagnosis"]
    assert d["cause"] == exp["cause"]
    if "causes" in exp:
        assert [c["cause"] for c in d["causes"]] == exp["causes"]
    for key, value in exp["evidence"].items():
        got = next(c["evidence"][key] for c in d["causes"] if key in c["evidence"])
        assert got == str(value), key


def test_console_prints_every_paragraph(vqsim):
    hangs = [p for p in HANGS if spec_of(p)["expect"]["outcome"] != "ok"]
    p = run(vqsim, "run", "-v", *[h.relative_to(ROOT) for h in hangs])
    assert p.returncode == 0, p.stdout
    out = norm(p.stdout)
    with tempfile.TemporaryDirectory() as t:
        j = pathlib.Path(t) / "r.json"
        run(vqsim, "run", "--json", j, *[h.relative_to(ROOT) for h in hangs])
        doc = json.loads(j.read_text())
    for s in doc["scenarios"]:
        for i, c in enumerate(s["diagnosis"]["causes"]):
            assert norm(c["message"]) in out, (s["name"], c["cause"])
            for k, v in c["evidence"].items():
                assert f"      {k} = {v}\n" in p.stdout
    # paragraphs are wrapped for a terminal
    assert max(len(line) for line in p.stdout.splitlines() if "diagnosis" in line) <= 100


def test_failing_scenario_prints_the_diagnosis_without_v(vqsim, tmp_path):
    spec = spec_of(ROOT / "scenarios" / "hangs" / "two-causes-in-causal-order.yaml")
    spec["expect"]["causes"] = ["no-notify", "queue-not-ready"]
    p, r = run_edited(vqsim, tmp_path, spec)
    assert p.returncode == 1
    assert r["failures"] == ["expected the causes [no-notify, queue-not-ready], got "
                             "[queue-not-ready, no-notify]"]
    assert "diagnosis 1/2 queue-not-ready (§4.2.3.2 Virtqueue Configuration):" in p.stdout
    assert "diagnosis 2/2 no-notify (§4.2.3.3 Available Buffer Notifications):" in p.stdout
    p2 = run(vqsim, "run", ROOT / "scenarios" / "hangs" / "two-causes-in-causal-order.yaml")
    assert "diagnosis" not in p2.stdout  # passing, not verbose: one line


def test_wrong_evidence_fails_with_both_values(vqsim, tmp_path):
    spec = spec_of(ROOT / "scenarios" / "legacy-used-ring-misaligned.yaml")
    spec["expect"]["evidence"] = {"device_used": "0x40100128", "nonsense": "1"}
    p, r = run_edited(vqsim, tmp_path, spec)
    assert p.returncode == 1
    assert r["failures"] == ["expected diagnosis evidence device_used = 0x40100128, got 0x40101000",
                             "expected diagnosis evidence nonsense = 1, got none"]


def test_thirty_second_timeout_is_virtual(all_results):
    r = all_results[2]["device-never-responds"]
    ev = r["diagnosis"]["evidence"]
    waited = int(ev["timed_out_at_ns"]) - int(ev["waited_from_ns"])
    assert 30_000_000_000 <= waited < 30_100_000_000
    assert [s["status"] for s in r["steps"]][:4] == ["ok", "ok", "timeout", "skipped"]


def test_device_fault_outcomes(all_results):
    by = all_results[2]
    # a late answer within the deadline is only slower; a polling driver ignores lost interrupts
    assert by["device-responds-late-in-time"]["outcome"] == "ok"
    assert by["device-drops-interrupt-polling-driver"]["outcome"] == "ok"
    drops = [e for e in by["device-drops-interrupt-polling-driver"]["trace"]
             if e["kind"] == "device" and e.get("what") == "drop-interrupt"]
    assert len(drops) == 6 and all(e["note"].startswith("injected device fault") for e in drops)
    late = by["device-responds-late"]["diagnosis"]["evidence"]
    assert int(late["answer_due_ns"]) - int(late["at_ns"]) == 500_000_000
    # a device answering with used.idx but no element: the driver reads a stale one and says so
    r = by["device-used-idx-without-element"]
    assert r["outcome"] == "device-error" and r["steps"][1]["status"] == "device-error"
    # set-needs-reset leaves DEVICE_NEEDS_RESET for the driver's timeout handling to find
    ev = by["device-sets-needs-reset"]["diagnosis"]["evidence"]
    assert ev["needs_reset_now"] == "yes"


def test_interrupt_evidence_in_trace(all_results):
    r = all_results[2]["interrupt-not-acknowledged"]
    irqs = [e for e in r["trace"] if e["kind"] == "irq"]
    assert len(irqs) == 2
    acks = [e for e in r["trace"] if e["kind"] == "mmio-write" and e["reg"] == "InterruptACK"]
    assert acks and all("drop-mmio-write" in e["note"] for e in acks)
    reads = [e for e in r["trace"] if e["kind"] == "mmio-read" and e["reg"] == "InterruptStatus"]
    assert reads and reads[0]["value"] == "0x1"
    r = all_results[2]["interrupt-suppressed"]
    sup = [e for e in r["trace"] if e["kind"] == "device"
           and e.get("what") == "interrupt suppressed by avail.flags"]
    assert len(sup) == 1 and not [e for e in r["trace"] if e["kind"] == "irq"]


BAD = [
    ("device_faults:\n  - gremlins\n", ":1:", "unknown device fault 'gremlins'"),
    ("device_faults:\n  - never-respond: {nth: 1, from_nth: 2}\n", ":1:",
     "give 'nth' or 'from_nth', not both"),
    ("device_faults:\n  - respond-late: {nth: 1}\n", ":1:", "respond-late needs 'delay_us'"),
    ("device_faults:\n  - drop-interrupt: {queue: 3}\n", ":1:", "'queue' is 3, outside 0..2"),
    ("device_faults:\n  - reset: {when: 3}\n", ":1:", "unknown key 'when' in reset"),
    ("device_faults: reset\n", ":0:", "'device_faults' must be a list"),
]


@pytest.mark.parametrize("text,_line,msg", BAD, ids=[b[2][:30] for b in BAD])
def test_device_faults_parse_strictly(vqsim, tmp_path, text, _line, msg):
    base = (ROOT / "scenarios" / "hangs" / "device-never-responds.yaml").read_text()
    base = re.sub(r"device_faults:\n(  - .*\n)+", "", base)
    f = tmp_path / "bad.yaml"
    f.write_text(base + text)
    p = run(vqsim, "run", f)
    assert p.returncode == 2, p.stdout
    want_line = len(base.splitlines()) + (1 if "\n  -" in text else 1)
    m = re.match(rf"{re.escape(str(f))}:(\d+):(\d+): ", p.stderr)
    assert m, p.stderr
    assert int(m.group(1)) in (want_line, want_line + 1)
    assert msg in p.stderr


def test_expect_causes_and_evidence_parse_strictly(vqsim, tmp_path):
    base = (ROOT / "scenarios" / "hangs" / "notify-wrong-queue.yaml").read_text()
    for old, new, msg in [
        ("causes: [no-notify]", "causes: [no-notifyy]", "unknown cause id"),
        ("causes: [no-notify]", "causes: no-notify", "'causes' must be a list"),
        ('evidence: {notifies_for_queue: "0", notified_queue: "1"}', "evidence: [1]",
         "'evidence' must be a mapping"),
        ('notified_queue: "1"', "notified_queue: [1]", "evidence 'notified_queue' must be a scalar"),
        ("wait: interrupt", "wait: irq", "'wait' must be one of: poll, interrupt"),
    ]:
        text = base.replace("timeout_ms: 200", "timeout_ms: 200\n  wait: interrupt")
        assert old in text
        text = text.replace(old, new)
        f = tmp_path / "bad.yaml"
        f.write_text(text)
        p = run(vqsim, "run", f)
        line = next(i for i, l in enumerate(text.splitlines(), 1) if new in l)
        assert p.returncode == 2 and p.stderr.startswith(f"{f}:{line}:"), p.stderr
        assert msg in p.stderr


def test_report_shows_every_cause(vqsim, tmp_path):
    out = tmp_path / "r.json"
    run(vqsim, "run", "--json", out, ROOT / "scenarios" / "hangs" / "two-causes-in-causal-order.yaml")
    report = ROOT / "tools" / "report.py"
    p = subprocess.run([sys.executable, str(report), str(out), "-o", str(tmp_path / "rep"),
                        "--junit", str(tmp_path / "j.xml")], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    page = (tmp_path / "rep" / "index.html").read_text()
    first = page.index("Diagnosis, cause 1 of 2")
    second = page.index("Diagnosis, cause 2 of 2")
    assert first < page.index("queue-not-ready", first) < second < page.index("no-notify", second)
