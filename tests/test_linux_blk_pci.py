"""A virtio-blk-pci in a real Linux guest is checked, its capacity read from the PCI
device-configuration BAR; and a virtio-blk of 8 GiB (a sparse image) is checked.

The `blkpci` case (tools/linux_cases.py): Debian's arm64 kernel drives `-device
virtio-blk-pci,disable-legacy=on` (a modern function: the model's PCI functions are modern; a
transitional one's legacy I/O BAR is not modelled, README "Transitional devices") on virt's
PCIe host, reading the read-only 1 MiB disk. `vqsim check` follows that function — no gpu in
the recording — as a blk (its PCI device id 0x1042), with the capacity, features and the rest of
the configuration Linux read through the BAR's device-configuration region, and must be clean:
no violation, no model-vs-recording discrepancy (the class code, the MSI-X table size, every
config byte Linux read are the model's), traffic judged.

`vqsim record` turns QEMU's ioeventfd off for virtio-blk-pci (and net, rng, scsi, serial, 9p):
with it on, QEMU takes a notify through an eventfd without tracing the write, and the recording
lacked every QueueNotify (the check then saw each kick missed).

Negative control: the capacity Linux read (config bytes 0..7) made 8 sectors in the recording:
the replay's disk then has 8 sectors, and Linux's reads past them are blk.req.within-capacity —
which a replay that did not take the capacity from the BAR (its default disk) would not fire.

The `blkbig` case: the same kernel on a virtio-blk (virtio-mmio) whose disk is an 8 GiB sparse
image with a known first MiB: Linux sees 16777216 sectors and reads the head; `vqsim check`
builds the model's disk at that capacity (no bytes held for it) and is clean — where it used to
exit 2 on any disk over 256 MiB."""
import hashlib

from test_linux import Recording, check, guest, markers, record, recordings  # noqa: F401

DEVICE_CFG, NOTIFY = 0x2000, 0x3000


def test_linux_blk_pci_checked_clean(guest, recordings):  # noqa: F811
    rec, serial = recordings("blkpci")
    m = markers(serial)
    assert m and m[-1] == "done", serial[-3000:]
    disk = open(guest["disk"], "rb").read()
    assert "device virtio0 id=0x0002 driver=virtio_blk status=0x0000000f" in m, m
    assert f"blk sectors={len(disk) // 512} sha256={hashlib.sha256(disk).hexdigest()}" in m, m
    p, s = check(rec)
    assert s, p.stderr
    assert p.returncode == 0 and s["outcome"] == "ok", (s["outcome"], s["violations"])
    assert s["violations"] == [] and s["informational"] == [], s["violations"]
    assert s["device"]["type"] == "blk" and s["device"]["bus"] == "pci", s["device"]
    src = s["source"]
    assert src["discrepancies"] == 0, src["notes"]
    r = src["replayed"]
    assert r["mmio"] > 100 and r["stores"] > 40 and r["loads"] > 40 and r["memory_dumps"] > 5, r
    # every notify is in the recording (ioeventfd off), and Linux read the capacity there
    bar = int(src["window"], 16)
    ev = Recording(rec)
    evs = [ev.ev(i) for i in range(len(ev.events))]
    assert sum(e["kind"] == "MMIO_WRITE" and e["addr"] == bar + NOTIFY for e in evs) >= 5
    cap = [e for e in evs if e["kind"] == "MMIO_READ" and e["addr"] == bar + DEVICE_CFG]
    assert cap and cap[0]["value"] == len(disk) // 512, cap[:1]


def test_control_a_smaller_capacity_read_fires(guest, recordings, tmp_path):  # noqa: F811
    rec, _ = recordings("blkpci")
    p, s = check(rec)
    bar = int(s["source"]["window"], 16)
    r = Recording(rec)
    for i in range(len(r.events)):
        e = r.ev(i)
        if e["kind"] == "MMIO_READ" and e["addr"] in (bar + DEVICE_CFG, bar + DEVICE_CFG + 4):
            r.set(i, value=8 if e["addr"] == bar + DEVICE_CFG else 0)
    out = tmp_path / "blkpci-8-sectors.vqrec"
    r.write(out)
    p, s = check(out)
    assert p.returncode == 1, p.stdout[-2000:]
    rules = {v["rule"] for v in s["violations"]}
    assert rules == {"blk.req.within-capacity"}, [v["message"] for v in s["violations"]]
    assert all("the disk has 8 (capacity)" in v["message"] for v in s["violations"])


def test_linux_8_gib_disk_checked_clean(guest, tmp_path):  # noqa: F811
    big = tmp_path / "disk-8g.img"
    head = open(guest["disk"], "rb").read()  # the 1 MiB pattern, then 8 GiB of holes
    with open(big, "wb") as f:
        f.write(head)
        f.truncate(8 << 30)
    rec = tmp_path / "blkbig.vqrec"
    serial = record({**guest, "disk": str(big)}, "blkbig", rec)
    m = markers(serial)
    assert f"blk sectors={16 << 20} sha256={hashlib.sha256(head).hexdigest()}" in m, m
    p, s = check(rec)
    assert s, p.stderr
    assert p.returncode == 0 and s["outcome"] == "ok", (s["outcome"], p.stdout[-3000:])
    assert s["violations"] == [] and s["source"]["discrepancies"] == 0, s["source"]["notes"]
    assert s["device"]["type"] == "blk", s["device"]
    r = s["source"]["replayed"]
    assert r["stores"] > 40 and r["memory_dumps"] > 5, r
