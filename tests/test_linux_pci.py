"""The Linux virtio-gpu-pci recording (tools/linux_cases.py: `pci`; checked clean by
tests/test_linux.py's test_linux_checks_clean) and its negative controls: the same recording
mutated as a driver with a virtio-pci bug would have made it, each firing exactly the pci.* rule
of that bug, at the access mutated, and nothing else.

  msix-vector-read-back   Linux reads each queue_msix_vector back after writing it (vp_modern_
                          queue_vector): one read-back deleted, pci.msix-vector-read-back names
                          that queue and that write
  common-access-width     one 1-byte device_status write made 4 bytes wide (QEMU 7.2 acts on the
                          field at the access's start, so the device does the same):
                          pci.common-access-width names offset 0x14 and the width

Needs what tests/test_linux.py needs (its fixtures are used here)."""
import pytest

from test_linux import RUNS, Recording, check, guest, recordings  # noqa: F401 (fixtures)

VENDOR_DEVICE = 0x10501AF4  # §4.1.2: vendor 0x1af4, device 0x1040 + 16 (gpu)
COMMON_STATUS, COMMON_QUEUE_SELECT, COMMON_QUEUE_VECTOR = 0x14, 0x16, 0x1A


def pci_gpu(r):
    """(events, the gpu function's structures BAR (BAR4/5 as the guest assigned it), ECAM base),
    found as a guest finds them: its ids read in configuration space, its BAR writes."""
    evs = [r.ev(i) for i in range(len(r.events))]
    ecam = next(e for e in evs if e["kind"] == "PCI_ECAM")
    base, size = ecam["addr"], ecam["value"]

    def cfg(e):
        return e["kind"] in ("MMIO_READ", "MMIO_WRITE") and base <= e["addr"] < base + size

    fn = next((e["addr"] - base) >> 12 for e in evs if cfg(e) and e["kind"] == "MMIO_READ" and
              (e["addr"] - base) & 0xFFF == 0 and e["value"] == VENDOR_DEVICE)
    bar = {}
    for e in evs:
        if cfg(e) and e["kind"] == "MMIO_WRITE" and (e["addr"] - base) >> 12 == fn and \
                e["size"] == 4 and (e["addr"] - base) & 0xFFF in (0x20, 0x24) and \
                e["value"] != 0xFFFFFFFF:
            bar[(e["addr"] - base) & 0xFFF] = e["value"]
    return evs, (bar[0x20] & ~0xF) | bar[0x24] << 32, base


def drop_vector_read_back(r):
    """Delete the read-back of the first queue_msix_vector write: the driver assumes the device
    took the vector. Returns (the write's index, the queue selected then)."""
    evs, bar, _ = pci_gpu(r)
    sel = None
    for i, e in enumerate(evs):
        if e["kind"] == "MMIO_WRITE" and e["addr"] == bar + COMMON_QUEUE_SELECT:
            sel = e["value"]
        if e["kind"] == "MMIO_WRITE" and e["addr"] == bar + COMMON_QUEUE_VECTOR:
            k = next(k for k in range(i + 1, len(evs)) if evs[k]["kind"] != "BARRIER")
            assert evs[k]["kind"] == "MMIO_READ" and evs[k]["addr"] == e["addr"], evs[k]
            del r.events[k]
            return e["value"], sel
    raise AssertionError("no queue_msix_vector write")


@pytest.mark.parametrize("run", range(RUNS))
def test_control_pci_vector_not_read_back(recordings, tmp_path, run):
    rec, _ = recordings("pci", run)
    r = Recording(rec)
    vector, sel = drop_vector_read_back(r)
    out = tmp_path / "pci-mutated.vqrec"
    r.write(out)
    p, s = check(out)
    assert p.returncode == 1, p.stdout[-2000:]
    assert [v["rule"] for v in s["violations"]] == ["pci.msix-vector-read-back"], s["violations"]
    msg = s["violations"][0]["message"]
    assert f"queue_msix_vector written at" in msg and f"(queue_select {sel})" in msg, msg
    assert s["outcome"] == "violation" and s["source"]["discrepancies"] == 0, s["source"]["notes"]
    assert vector < 3  # Linux's vectors fit virtio-gpu-pci's table: only the read-back is missing


@pytest.mark.parametrize("run", range(RUNS))
def test_control_pci_status_written_32_bits_wide(recordings, tmp_path, run):
    rec, _ = recordings("pci", run)
    r = Recording(rec)
    evs, bar, _ = pci_gpu(r)
    writes = [i for i, e in enumerate(evs) if e["kind"] == "MMIO_WRITE" and
              e["addr"] == bar + COMMON_STATUS and e["size"] == 1]
    i = writes[len(writes) // 2]
    r.events[i][1] = 4  # the event's size byte
    out = tmp_path / "pci-wide.vqrec"
    r.write(out)
    p, s = check(out)
    assert p.returncode == 1, p.stdout[-2000:]
    v = s["violations"]
    assert [x["rule"] for x in v] == ["pci.common-access-width"], v
    assert "a 32-bit write at common-configuration offset 0x14 (common.device_status)" in \
        v[0]["message"], v[0]["message"]
    assert s["outcome"] == "violation" and s["source"]["discrepancies"] == 0, s["source"]["notes"]
