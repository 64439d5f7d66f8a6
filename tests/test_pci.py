"""virtio-pci (VirtIO 1.1 §4.1): the gpu over the model's PCI function, the pci.* rules silent on
the correct driver and each firing in its scenario, the causes with their evidence, the scenario
key's errors, and `vqsim explain --pci`."""
import json

import pytest

from conftest import ROOT, run

PCI = sorted((ROOT / "scenarios" / "pci").glob("*.yaml"))


def one(vqsim, tmp_path, scenario, text=None):
    """Run one scenario (a file, or `text` written to tmp_path) and return (process, result)."""
    if text is not None:
        scenario = tmp_path / "s.yaml"
        scenario.write_text(text)
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, scenario)
    return p, json.loads(out.read_text())["scenarios"][0] if out.exists() else None


def test_pci_display_is_pixel_identical_to_mmio(vqsim, tmp_path):
    """The same bars over PCI as over virtio-mmio: the display's hash is the same, and the PCI run
    really went through the PCI function (its trace has the capability walk and the common
    configuration, no virtio-mmio register)."""
    _, pci = one(vqsim, tmp_path, ROOT / "scenarios/pci/pci-display.yaml")
    _, mmio = one(vqsim, tmp_path, ROOT / "scenarios/modern-display.yaml")
    assert pci["outcome"] == "ok" and pci["violations"] == []
    assert pci["display"]["sha256"] == mmio["display"]["sha256"]
    assert pci["steps"][0]["detail"].startswith("virtio-pci 00:01.0 (device 0x1050)")
    regs = [e.get("reg") for e in pci["trace"] if e["kind"] in ("mmio-read", "mmio-write")]
    assert "pci-cfg" in regs and "common.queue_enable" in regs and "notify" in regs
    assert "isr" in regs  # the acknowledgement after each answer (§4.1.4.5)
    assert not any(r in ("QueueReady", "QueueNotify", "Status") for r in regs)
    # The capability walk the driver made, in QEMU's order: 0x34 -> 0x98 -> 0x84 -> 0x70 ...
    cfg = [int(e["offset"], 16) & 0xfff for e in pci["trace"]
           if e.get("reg") == "pci-cfg" and e["kind"] == "mmio-read"]
    heads = [o for o in cfg if o in (0x34, 0x98, 0x84, 0x70, 0x60, 0x50, 0x40)]
    assert heads[:2] == [0x34, 0x98]
    assert [o for o in dict.fromkeys(heads)] == [0x34, 0x98, 0x84, 0x70, 0x60, 0x50, 0x40]
    # BAR4 sized (all ones written, the size mask read back) and assigned in the window.
    writes = [(int(e["offset"], 16) & 0xfff, int(e["value"], 16)) for e in pci["trace"]
              if e.get("reg") == "pci-cfg" and e["kind"] == "mmio-write"]
    assert (0x20, 0xffffffff) in writes and (0x20, 0x10000000) in writes
    assert (0x04, 0x6) in writes  # memory space + bus master


def test_cursor_queue_notify_uses_the_multiplier(vqsim, tmp_path):
    """pci-demo: queue 1's notify is a 16-bit write at notify + 4 (multiplier 4), and the demo's
    reference PNG matches, cursor included."""
    p, r = one(vqsim, tmp_path, ROOT / "scenarios/pci/pci-demo.yaml")
    assert p.returncode == 0, p.stdout + p.stderr
    assert r["outcome"] == "ok" and r["violations"] == []
    notes = [(int(e["offset"], 16), e["value"]) for e in r["trace"]
             if e.get("reg") == "notify" and e["kind"] == "mmio-write"]
    assert (0x10003004, "0x1") in notes and (0x10003000, "0x0") in notes


@pytest.mark.parametrize("scenario", PCI, ids=lambda p: p.stem)
def test_pci_scenarios_pass(vqsim, tmp_path, scenario):
    p, r = one(vqsim, tmp_path, scenario)
    assert p.returncode == 0, p.stdout + p.stderr
    assert r["passed"], r["failures"]


def test_every_pci_rule_is_silent_on_the_correct_driver_and_fires_somewhere(vqsim, tmp_path):
    """No pci.* rule on the correct driver's runs; every checked pci.* rule fires in a
    scenarios/pci/ run, with a message naming the section."""
    clean = [one(vqsim, tmp_path, ROOT / f"scenarios/pci/{n}.yaml")[1] for n in
             ("pci-display", "pci-demo")]
    for r in clean:
        assert r["violations"] == []
    rules = run(vqsim, "rules").stdout
    ids = sorted({w for w in rules.split() if w.startswith("pci.")})
    fired = {}
    for s in PCI:
        _, r = one(vqsim, tmp_path, s)
        for v in r["violations"]:
            fired.setdefault(v["rule"], v)
    checked = [i for i in ids if i in fired]
    assert len(checked) >= 9, (ids, sorted(fired))
    for rid in checked:
        assert "§4.1" in fired[rid]["message"] or fired[rid]["section"].startswith("4.1")


def test_notify_without_multiplier_is_diagnosed_with_evidence(vqsim, tmp_path):
    _, r = one(vqsim, tmp_path, ROOT / "scenarios/pci/notify-no-multiplier.yaml")
    d = r["diagnosis"]
    assert d["cause"] == "pci-notify-wrong-offset"
    ev = d["evidence"]
    # offset 1 is not aligned for a 16-bit access: QEMU's notify region refuses it
    assert (ev["notify_offset"], ev["queue_reached"], ev["expected_offset"]) == \
        ("0x1", "none (ignored)", "0x4")
    assert "no-notify" not in [c["cause"] for c in d["causes"]]


def test_msix_vector_refused_is_diagnosed_and_intx_is_not_blamed(vqsim, tmp_path):
    """MSI-X enabled, vector 7 refused (NO_VECTOR): no interrupt is sent; the cause says so and
    the INTx acknowledgement cause is not named. Without MSI-X enabled (the cfg write removed),
    the same refused vector does not matter: INTx wakes the driver and the request completes."""
    path = ROOT / "scenarios/pci/msix-vector-not-accepted.yaml"
    _, r = one(vqsim, tmp_path, path)
    assert [c["cause"] for c in r["diagnosis"]["causes"]] == ["pci-msix-no-vector"]
    ev = r["diagnosis"]["evidence"]
    assert (ev["queue_msix_vector"], ev["vector_written"]) == ("0xffff", "7")
    text = path.read_text().replace("  - pci-add-cfg-write: {offset: 0x98, value: 0x80000000}\n",
                                    "")
    _, r = one(vqsim, tmp_path, None, text)
    assert r["outcome"] == "violation" and r["steps"][1]["status"] == "ok"


def test_memory_decoding_off_is_diagnosed(vqsim, tmp_path):
    _, r = one(vqsim, tmp_path, ROOT / "scenarios/pci/memory-decoding-off.yaml")
    assert r["steps"][0]["status"] == "timeout"
    ev = r["diagnosis"]["evidence"]
    assert r["diagnosis"]["cause"] == "pci-memory-decoding-off"
    assert ev["command"] == "0x4" and ev["first_unanswered_at"].startswith("0x10000014 ")


def test_unaligned_and_aligned_wide_accesses_as_qemu(vqsim, tmp_path):
    """A 32-bit write at device_status (0x14, aligned) is taken by its start: the display lights
    (common-access-width.yaml). At queue_select (0x16, not 4-aligned) QEMU refuses it: selecting
    the cursor queue (1) fails, queue 0 stays selected and reads as in use, and the driver's
    init gives up with queue-unavailable. Both break §4.1.3.1."""
    _, r = one(vqsim, tmp_path, ROOT / "scenarios/pci/common-access-width.yaml")
    assert r["passed"] and r["display"]["sha256"].startswith("eed5beb0")
    text = """name: t
transport: pci
device:
  transport: modern
bugs:
  - pci-wide-access: {field: common.queue_select}
steps:
  - resource_create_2d: {id: 9, width: 64, height: 64, format: B8G8R8A8}
  - update_cursor: {scanout: 0, id: 9, x: 1, y: 1, hot_x: 0, hot_y: 0}
expect:
  outcome: driver-error
  violations: [pci.common-access-width]
"""
    _, r = one(vqsim, tmp_path, None, text)
    assert r["steps"][0]["driver_status"] == "queue-unavailable"
    assert [v["rule"] for v in r["violations"]] == ["pci.common-access-width"] * 2


def test_the_bug_changes_the_outcome(vqsim, tmp_path):
    """Without its bug, each firing scenario's rule is silent (the scenarios check the bug, not
    the scenario's text): the notify scenario without pci-notify-no-multiplier is clean."""
    text = (ROOT / "scenarios/pci/notify-no-multiplier.yaml").read_text()
    text = text.replace("  - pci-notify-no-multiplier: {}\n", "").replace("bugs:\n", "")
    _, r = one(vqsim, tmp_path, None, text)
    assert r["violations"] == [] and r["outcome"] == "ok"


@pytest.mark.parametrize("body,msg", [
    ("transport: pcie\n", "transport"),
    ("transport: pci-transitional\n", "no transitional PCI device id"),
])
def test_transport_key_errors_name_the_line(vqsim, tmp_path, body, msg):
    text = ("name: t\n" + body + "device:\n  transport: modern\nsteps:\n  - get_display_info\n"
            "expect:\n  outcome: ok\n")
    f = tmp_path / "t.yaml"
    f.write_text(text)
    p = run(vqsim, "run", f)
    assert p.returncode != 0
    assert f"{f}:2:" in p.stderr and msg in p.stderr


def test_pci_bug_on_mmio_is_refused(vqsim, tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("name: t\ndevice:\n  transport: modern\nbugs:\n  - pci-memory-off: {}\n"
                 "steps:\n  - get_display_info\nexpect:\n  outcome: ok\n")
    p = run(vqsim, "run", f)
    assert p.returncode != 0 and "needs 'transport: pci'" in p.stderr


def test_explain_pci_prints_the_capability_chain(vqsim):
    p = run(vqsim, "explain", "--pci")
    assert p.returncode == 0
    out = p.stdout
    chain = [line.split()[0] for line in out.splitlines() if line.startswith("  0x")]
    assert chain == ["0x98", "0x84", "0x70", "0x60", "0x50", "0x40"]
    assert "notify_off_multiplier 4" in out and "device 0x1050" in out
    assert "queue 1  BAR4 + 0x3004" in out
    assert run(vqsim, "explain", "--pci", "x").returncode == 2
