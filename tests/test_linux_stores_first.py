"""`vqsim record`'s stores-first instrumentation on Debian's kernel (src/record/plugin/
vqrec_plugin.c): until the guest's first store to a virtio register other than the device
status only instructions that may store call back; the register reads before it (Linux probing
its devices) are recorded from QEMU's trace alone (flag TRACED, pc 0); from that store on, every
access, as before.

- On every case of tests/test_linux.py (its recordings, made stores-first): the recording says
  where the switch was; before it there is no ring access and no barrier, every register read is
  a TRACED one with its value (each virtio-mmio window's MagicValue, Version and DeviceID read
  by the probe), every register write one the plugin saw (pc), in configuration space or to a
  device's status (Linux resets and acknowledges each device as virtio_mmio / virtio_pci load,
  before its driver binds); the switching store is the first write of a virtio register other
  than a status; nothing is said unobserved.
  (test_linux_checks_clean judges the same recordings clean.)
- The decoding that picks the instructions (a64_insn.h, unit test test_a64_insn) against a real
  boot: `--instrument verify` calls back on every access and counts the stores of instructions
  decoded as loads only and the accesses of those decoded as accessing no memory: none; that recording checks as clean, with the same findings.
- A recording that says it could not see something (a NOTE "vqrec: unobserved: ...") is
  reported by `vqsim check` as incomplete (a model-vs-recording discrepancy), not passed silently.
"""
import re
import struct
import subprocess

import pytest

from conftest import vqsim_path
from test_linux import (CASES, Recording, check, guest, judge_clean, qemu_command,  # noqa: F401
                        recordings, vqrec)

TRACED = 32  # recording.h: VQREC_F_TRACED
MAGIC = 0x74726976  # "virt"


def note(evs, prefix):
    return next((vqrec.text(e) for e in evs if e["kind"] == "NOTE" and
                 vqrec.text(e).startswith(prefix)), None)


def switch_event(evs):
    n = note(evs, "vqrec: stores first:")
    assert n, "no stores-first note"
    m = re.search(r"until the first store to a virtio register other than the device status "
                  r"\(event (\d+), vCPU (\d+)\), "
                  r"every access from the end of its translation block on; (\d+) register reads "
                  r"taken from QEMU's trace alone \(those of virtio devices recorded with flag "
                  r"TRACED: no pc\)", n)
    assert m, n
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


@pytest.mark.parametrize("case", CASES)
def test_stores_first_recording(recordings, case):
    rec, _ = recordings(case)
    hdr, evs = vqrec.read(rec)
    assert hdr["minor"] >= 4
    n, cpu, traced = switch_event(evs)
    first = evs[n]
    assert first["kind"] == "MMIO_WRITE" and first["cpu"] == cpu and first["pc"] != 0, first
    assert not first["flags"] & TRACED
    ecam = next(((e["addr"], e["addr"] + e["value"]) for e in evs if e["kind"] == "PCI_ECAM"),
                (0, 0))
    mmio = [e["addr"] for e in evs if e["kind"] == "WINDOW"]

    def status(e):  # virtio-mmio Status (§4.2.2); virtio-pci common device_status (§4.1.4.3,
        # QEMU 7.2's structures BAR: 16 KiB aligned, the common configuration first)
        if any(0 <= e["addr"] - w < 0x200 for w in mmio):
            return e["addr"] % 0x200 == 0x70
        return not ecam[0] <= e["addr"] < ecam[1] and e["addr"] % 0x4000 == 0x14 and \
            e["size"] == 1
    assert not status(first), first
    before = evs[:n]
    assert not [e for e in before if e["kind"] in ("LOAD", "STORE", "MEMORY")]
    reads = [e for e in before if e["kind"] == "MMIO_READ"]
    writes = [e for e in before if e["kind"] == "MMIO_WRITE"]
    # barriers only between accesses the plugin saw itself: configuration writes (PCI)
    assert writes or not [e for e in before if e["kind"] == "BARRIER"]
    assert reads and all(e["flags"] & TRACED and e["pc"] == 0 for e in reads), reads[:3]
    # (the count includes the configuration reads of functions that are not virtio's: not kept)
    assert traced >= sum(1 for e in evs if e["kind"] == "MMIO_READ" and e["flags"] & TRACED)
    assert all((ecam[0] <= e["addr"] < ecam[1] or status(e)) and e["pc"] and
               not e["flags"] & TRACED for e in writes), writes[:3]
    # the probe of every virtio-mmio window of virt (32) is there, values and all: traced when
    # before the switch (a device's own first store switches it: the windows after it are read
    # with the plugin's callbacks)
    windows = {e["addr"] for e in evs if e["kind"] == "WINDOW"}
    magic = {e["addr"] for e in evs if e["kind"] == "MMIO_READ" and e["addr"] in windows and
             e["value"] == MAGIC}
    assert len(windows) == 32 and magic == windows, (len(windows), len(magic))
    assert {e["addr"] for e in reads if e["value"] == MAGIC}, "no probe before the switch"
    # from the switch on the plugin sees the accesses itself, once QEMU has translated again
    # what was translated before (the reads of the rest of the switching store's block, and of
    # other vCPUs' blocks until each left its own, are traced; all before the first it sees)
    after = [e for e in evs[n + 1:] if e["kind"] == "MMIO_READ"]
    seen = [i for i, e in enumerate(after) if not e["flags"] & TRACED]
    assert seen and not [e for e in after[seen[0]:] if e["flags"] & TRACED], after[:5]
    assert not note(evs, "vqrec: unobserved:")


def test_verify_decoding_on_linux(guest, recordings, tmp_path):
    rec = tmp_path / "verify.vqrec"
    p = subprocess.run([str(vqsim_path()), "record", "--instrument", "verify", "-o", str(rec),
                        "--timeout", "240", "--", *qemu_command(guest, "modern")],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "VQTEST done" in p.stdout, p.stderr[-3000:]
    hdr, evs = vqrec.read(rec)
    n = note(evs, "vqrec: stores first:")
    m = re.fullmatch(r"vqrec: stores first: off \(every access called back from the start\); "
                     r"verify: (\d+) stores by instructions decoded as loads only, (\d+) accesses "
                     r"by instructions decoded as accessing no memory", n or "")
    assert m and m.group(1) == "0" and m.group(2) == "0", n
    assert not [e for e in evs if e["kind"] == "MMIO_READ" and e["flags"] & TRACED]
    _, s = check(rec)
    judge_clean("modern", _, s)
    _, s0 = check(recordings("modern")[0])  # stores-first: the same findings
    for key in ("passed", "outcome", "violations", "not_judged", "not_in_spec", "diagnosis"):
        assert s[key] == s0[key], key
    assert [(i["rule"], i["message"]) for i in s["informational"]] == \
        [(i["rule"], i["message"]) for i in s0["informational"]]


def test_unobserved_note_is_reported(recordings, tmp_path):
    rec, _ = recordings("modern")
    r = Recording(rec)
    text = b"vqrec: unobserved: a ring was set up (test)\0"
    ev = struct.pack("<BBBBIQQQ", 10, 0, 0, 0xff, len(text), 0, 0, 0)
    r.events.insert(len(r.events) - 1, bytearray(ev + text + b"\0" * (-len(text) % 8)))
    out = tmp_path / "unobserved.vqrec"
    r.write(out)
    p, s = check(out)
    src = s["source"]
    assert src["discrepancies"] == 1, src
    assert [n["text"] for n in src["notes"]] == \
        ["the recording is incomplete: a ring was set up (test)"], src["notes"]
