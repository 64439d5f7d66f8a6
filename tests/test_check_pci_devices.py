"""vqsim check follows a virtio-pci function of any device it models, not only the gpu.

Simulator recordings (`vqsim run --record`) of the blk, rng and input scenarios on virtio-pci,
checked without --scenario: the replay finds the function by its PCI device id (0x1040 + the
device id), takes the device's features and configuration as the driver read them through the
structures BAR (a blk's capacity from the device-configuration region, §4.1.4.6), and must give
a clean result for that device with nothing the model says differently (its class code, MSI-X
table size and config bytes are QEMU's virtio-*-pci's). Before, such a recording was "nothing
to check" (another device), or judged as a gpu.

Negative control: the blk's capacity as the driver read it made smaller than the sectors its
requests use: blk.req.within-capacity, against the capacity read there."""
import json

import pytest

from conftest import ROOT, run
from test_linux import Recording

DEVICES = ROOT / "scenarios" / "devices"
CASES = {"blk-pci": ("blk", 2), "rng-pci": ("rng", 4), "input-pci": ("input", 18)}


@pytest.fixture(scope="module")
def recorded(vqsim, tmp_path_factory):
    d = tmp_path_factory.mktemp("pcirec")
    files = [DEVICES / n.split("-")[0] / f"{n}.yaml" for n in CASES]
    p = run(vqsim, "run", "--record", d, *files)
    assert p.returncode == 0, p.stdout[-2000:]
    return d


def check(vqsim, path, tmp_path):
    out = tmp_path / f"{path.stem}.json"
    p = run(vqsim, "check", "-v", "--json", out, path)
    return p, json.loads(out.read_text())["scenarios"][0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_pci_device_recording_checked_as_its_device(vqsim, recorded, tmp_path, name):
    kind, device_id = CASES[name]
    p, s = check(vqsim, recorded / f"{name}.vqrec", tmp_path)
    assert p.returncode == 0 and s["outcome"] == "ok", (s["outcome"], p.stdout[-2000:])
    assert s["violations"] == [] and s["source"]["discrepancies"] == 0, s["source"]["notes"]
    assert s["device"]["type"] == kind and s["device"]["bus"] == "pci", s["device"]
    assert f"device: {kind}, virtio-pci function" in p.stdout and f"(DeviceID {device_id})" \
        in p.stdout, p.stdout
    r = s["source"]["replayed"]
    assert r["mmio"] > 50 and r["stores"] > 40, r


def test_blk_pci_capacity_is_the_one_read_from_the_bar(vqsim, recorded, tmp_path):
    """The driver read capacity 128 (a 64 KiB image) at the device region's offset 0; made 70,
    the scenario's write of sectors 64..71 and read of 60..75 run past it."""
    rec = recorded / "blk-pci.vqrec"
    p, s = check(vqsim, rec, tmp_path)
    bar = int(s["source"]["window"], 16)
    r = Recording(rec)
    hits = 0
    for i in range(len(r.events)):
        e = r.ev(i)
        if e["kind"] == "MMIO_READ" and e["addr"] == bar + 0x2000:
            assert e["value"] == 128, e
            r.set(i, value=70)
            hits += 1
    assert hits
    out = tmp_path / "blk-pci-70.vqrec"
    r.write(out)
    p, s = check(vqsim, out, tmp_path)
    assert p.returncode == 1
    assert [v["rule"] for v in s["violations"]] == ["blk.req.within-capacity"] * 2
    msgs = [v["message"] for v in s["violations"]]
    assert msgs[0].startswith("write of 8 sector(s) at sector 64: the disk has 70 (capacity)")
    assert msgs[1].startswith("read of 16 sector(s) at sector 60: the disk has 70 (capacity)")
