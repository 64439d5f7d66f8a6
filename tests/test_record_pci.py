"""`vqsim record` / `vqsim check` of the bare-metal port driving QEMU 7.2's virtio-gpu-pci
(`-M virt,highmem=off`: the low ECAM at 0x3f000000, BARs the port assigns at 0x10000000..):
the recording holds the function's configuration and BAR accesses at their addresses and
widths (recording.h, VQREC_PCI_ECAM), and checking it gives the simulator's verdict. The Linux
guest on virtio-gpu-pci (highmem: its ECAM at 0x4010000000, BARs Linux assigns) is
tests/test_linux.py's `pci` case.

Needs what tests/test_record.py needs (its fixture builds the port)."""
import json
import subprocess

from conftest import ROOT, vqsim_path
from test_record import build, guest, qemu_diff, vqrec  # noqa: F401 (the fixture)

ECAM, FN = 0x3F000000, 0x08 << 12  # 00:01.0
BAR4_AT = 0x14  # common configuration's device_status


def record_pci(guest_elf, tmp, scenario):
    table = tmp / "steps.bin"
    subprocess.run([str(build() / "vqsim-steptable"), str(ROOT / scenario), str(table),
                    "--poweroff"], check=True)
    # the device the scenario describes: QEMU 7.2's defaults (EDID offered, as the model does)
    cmd = qemu_diff.qemu_command(guest_elf, str(table), "modern", 640, 480, ("edid",), bus="pci")
    rec = tmp / "out.rec"
    p = subprocess.run([str(vqsim_path()), "record", "-o", str(rec), "--timeout", "30", "--",
                        *cmd], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return rec, vqrec.read(rec)[1]


def test_port_on_virtio_gpu_pci_recorded_and_checked(guest, tmp_path):
    scenario = "scenarios/pci/pci-display.yaml"
    rec, ev = record_pci(guest, tmp_path, scenario)
    ecam = [e for e in ev if e["kind"] == "PCI_ECAM"]
    assert [(e["addr"], e["value"]) for e in ecam] == [(ECAM, 0x1000000)]  # virt's low ECAM
    first = next(i for i, e in enumerate(ev) if e["kind"].startswith("MMIO"))
    assert ev.index(ecam[0]) < first  # said before the first configuration access
    # the function's ids, read where the port reads them, are the first access recorded
    assert (ev[first]["kind"], ev[first]["addr"], ev[first]["value"]) == \
        ("MMIO_READ", ECAM + FN, 0x10501AF4)
    # the BAR the port assigned (BAR4, 64-bit), then its common configuration at that address,
    # at the fields' widths: device_status 1 byte, queue_select 2
    bar4 = [e["value"] for e in ev if e["kind"] == "MMIO_WRITE" and e["addr"] == ECAM + FN + 0x20
            and e["value"] != 0xFFFFFFFF][-1] & ~0xF
    status = [e for e in ev if e["kind"] == "MMIO_WRITE" and e["addr"] == bar4 + BAR4_AT]
    assert [e["value"] for e in status][:4] == [0, 1, 3, 0xB] and {e["size"] for e in status} == {1}
    notifies = [e for e in ev if e["kind"] == "MMIO_WRITE" and e["addr"] == bar4 + 0x3000]
    assert notifies and {(e["size"], e["value"]) for e in notifies} == {(2, 0)}
    assert sum(e["kind"] == "STORE" for e in ev) > 20 and sum(e["kind"] == "MEMORY" for e in ev)
    # checked against the scenario's device side: the simulator's verdict
    out = tmp_path / "check.json"
    p = subprocess.run([str(vqsim_path()), "check", "--json", str(out), "--scenario",
                        str(ROOT / scenario), str(rec)], capture_output=True, text=True)
    s = json.loads(out.read_text())["scenarios"][0]
    assert p.returncode == 0 and s["outcome"] == "ok", (p.stdout, s["failures"])
    assert s["violations"] == [] and s["device"]["bus"] == "pci", s["violations"]
    assert s["source"]["discrepancies"] == 0, s["source"]["notes"]
    assert s["source"]["replayed"]["mmio"] >= len(status) + len(notifies)
