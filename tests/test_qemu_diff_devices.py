"""The differential for virtio-blk, the entropy device and virtio-input: the same blk / rng /
input steps through the unchanged drivers on the model and bare metal on QEMU 7.2
(virtio-blk-device on a copy of the scenario's raw image, virtio-rng-device with QEMU's default
backend, virtio-keyboard-device with the script played through QMP input-send-event; their -pci
forms, disable-legacy=on, for the -pci scenarios), compared.

What is compared: every step's status, driver error and used length, and the outcome
(tools/qemu_diff.py compare_steps); for blk, each request's status byte (OK / IOERR / UNSUPP /
none) and, inside the guest, every byte read against the image (QEMU's loader puts a copy at
VQST_DISK_ADDR; the guest applies its own writes to it) and the capacity QEMU shows against the
image's size; for rng, the counts only — QEMU's bytes are the host's entropy; for input, every
event the driver received against the script.

Negative controls: QEMU given a disk one byte different from the image the model reads must
disagree on that byte; QEMU's keyboard made to send another key must disagree on that event; a
simulator whose blk status differs must disagree on the status."""
import importlib.util
import json
import sys

import pytest

from conftest import ROOT
from test_qemu_diff import build_dir, qemu_diff, tools_present  # noqa: F401

BLK = ROOT / "scenarios" / "devices" / "blk"
RNG = ROOT / "scenarios" / "devices" / "rng"
INPUT = ROOT / "scenarios" / "devices" / "input"
RUNS = ["blk-read-write-modern", "blk-legacy-indirect", "blk-read-only", "blk-header-short",
        "blk-read-past-capacity", "blk-status-readonly", "blk-discard-unmap", "blk-pci"]


def tool():
    spec = importlib.util.spec_from_file_location("qemu_diff", ROOT / "tools" / "qemu_diff.py")
    m = importlib.util.module_from_spec(spec)
    sys.modules["qemu_diff"] = m
    spec.loader.exec_module(m)
    return m


def run_one(q, tmp_path, scenario):
    """qemu_diff (module q, perhaps patched) on one scenario: its exit status and result."""
    out = tmp_path / "d.json"
    rc = q.main(["--build", str(build_dir()), "--json", str(out), str(scenario)])
    return rc, json.loads(out.read_text())["results"][0]


def test_blk_rng_and_input_agree_with_qemu(tools_present, tmp_path):  # noqa: F811
    scen = [BLK / f"{n}.yaml" for n in RUNS] + sorted(RNG.glob("rng-*.yaml")) + \
        sorted(INPUT.glob("input-*.yaml"))
    p, res = qemu_diff(tmp_path, *scen)
    assert p.returncode == 0, p.stdout + p.stderr
    for s in scen:  # (the -pci ones on virtio-blk/rng/keyboard-pci, disable-legacy=on)
        r = res[s.stem]
        assert r["verdict"] == "agree", (s.stem, r)
        assert any("every byte read on QEMU equals the image's" in n or
                   "entropy counts agree" in n or "every event received on QEMU" in n
                   for n in r["notes"]), r["notes"]
    # the hangs agree as hangs: the status byte in a read-only buffer breaks QEMU's device too
    assert res["blk-status-readonly"]["qemu"] == "timeout"
    assert res["blk-header-short"]["qemu"] == "timeout"


@pytest.mark.parametrize("name,step", [("blk-read-write-modern", 2), ("blk-pci", 3)])
def test_a_different_disk_on_qemu_disagrees(tools_present, tmp_path, monkeypatch,  # noqa: F811
                                            name, step):
    """QEMU's disk gets one byte changed (sector 61, byte 7: read by the scenario's read of
    sector 60 on) while the guest compares with the image: the differential must name that
    byte, on virtio-mmio and on virtio-pci."""
    q = tool()
    real = q.scenario_device

    def corrupted(path, doc, workdir):
        dev = real(path, doc, workdir)
        data = bytearray(open(dev["copy"], "rb").read())
        data[61 * 512 + 7] ^= 0xff
        open(dev["copy"], "wb").write(bytes(data))
        return dev
    monkeypatch.setattr(q, "scenario_device", corrupted)
    rc, r = run_one(q, tmp_path, BLK / f"{name}.yaml")
    assert rc == 1 and r["verdict"] == "disagree", r
    assert any(f"step {step} (blk_read): on QEMU the driver read byte/00000007/0000003d/" in d
               for d in r["diffs"]), r["diffs"]


def test_a_different_key_on_qemu_disagrees(tools_present, tmp_path, monkeypatch):  # noqa: F811
    """The host plays KEY_S where the script says KEY_A (30): the guest receives QEMU's event
    and names the first one that differs (event 0, type 1, code 31)."""
    q = tool()
    monkeypatch.setitem(q.QCODES, 30, "s")
    rc, r = run_one(q, tmp_path, INPUT / "input-keys.yaml")
    assert rc == 1 and r["verdict"] == "disagree", r
    assert any("on QEMU the driver read event/00000000/00000001/0000001f" in d
               for d in r["diffs"]), r["diffs"]


def test_compare_device_names_a_status_difference():
    """compare_device on made-up results: a blk status the simulator did not give is a
    difference; an rng run compares no status."""
    q = tool()
    sim = {"device": {"type": "blk"}, "steps": [
        {"step": "init", "status": "ok", "detail": "virtio-mmio version 2, blk"},
        {"step": "blk_read", "status": "ok",
         "detail": "read 512 bytes at sector 200: status IOERR"}]}
    qr = {"init": {"status": "ok", "content": "ok"},
          "steps": [{"status": "ok", "blk": "0", "content": "ok"}]}
    diffs, notes = [], []
    q.compare_device(sim, qr, diffs, notes)
    assert diffs == ["step 1 (blk_read): blk status IOERR vs QEMU OK"], diffs
    qr["steps"][0]["blk"] = "1"
    diffs = []
    q.compare_device(sim, qr, diffs, notes)
    assert diffs == [], diffs
    qr["init"]["content"] = "capacity/00000080/00000081/00000000"
    q.compare_device(sim, qr, diffs, notes)
    assert diffs and "capacity" in diffs[0], diffs
