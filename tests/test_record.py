"""`vqsim record`: the unchanged driver, bare metal under real QEMU (ports/aarch64-virt), recorded
by the TCG plugin (src/record/plugin/); the recording's content is checked against what the
driver must have done: the Status sequence, ring addresses equal to the queue registers' values,
the store → barrier → store → notify order, buffer dumps at the notify, device events, END.

Needs qemu-system-aarch64, clang and ld.lld (tools/setup-deps.sh installs them): skipped, with
the reason, only where one is missing. Each QEMU run takes well under a second."""
import json
import os
import re
import shutil
import struct
import subprocess
import sys

import pytest

from conftest import ROOT, vqsim_path

sys.path.insert(0, str(ROOT / "tools"))
import qemu_diff  # noqa: E402  (the QEMU command line and guest build, shared)
import vqrec  # noqa: E402

BASE_REG = {"status": 0x070, "sel": 0x030, "num": 0x038, "align": 0x03c, "pfn": 0x040,
            "page": 0x028, "notify": 0x050, "desc": 0x080, "desc_hi": 0x084, "driver": 0x090,
            "driver_hi": 0x094, "device": 0x0a0, "device_hi": 0x0a4, "ready": 0x044}
GET_DISPLAY_INFO = 0x0100
RESOURCE_CREATE_2D = 0x0101


def build():
    return vqsim_path().parent


@pytest.fixture(scope="session")
def guest(tmp_path_factory):
    for t in ("qemu-system-aarch64", "clang", "ld.lld"):
        if not shutil.which(t):
            pytest.skip(f"{t} is missing (tools/setup-deps.sh installs it)")
    if not (build() / "libvqrec.so").exists():
        pytest.fail(f"{build() / 'libvqrec.so'} is missing: make build")
    # A private build of the guest: pytest-xdist workers must not run make on one OUT dir.
    out = tmp_path_factory.mktemp("guest")
    r = subprocess.run(["make", "-s", "-C", str(ROOT / "ports" / "aarch64-virt"), f"OUT={out}"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return str(out / "vqguest.elf")


def record(guest, tmp, scenario, *table_opts, timeout="30", poweroff=True, transport=None,
           offered=(), extra=()):
    """Record the port running SCENARIO; returns (vqsim record's process, header, events).
    EXTRA: more QEMU arguments (other devices beside the gpu)."""
    table = tmp / "steps.bin"
    opts = list(table_opts) + (["--poweroff"] if poweroff else [])
    subprocess.run([str(build() / "vqsim-steptable"), str(ROOT / scenario), str(table), *opts],
                   check=True)
    cmd = qemu_diff.qemu_command(guest, str(table), transport or (
        "legacy" if "legacy" in scenario else "modern"), 640, 480, offered) + list(extra)
    rec = tmp / "out.rec"
    p = subprocess.run([str(vqsim_path()), "record", "-o", str(rec), "--timeout", timeout, "--",
                        *cmd], capture_output=True, text=True, timeout=60)
    hdr, ev = vqrec.read(rec) if rec.exists() else (None, [])
    return p, hdr, ev


def mmio(ev, kind, base, reg):
    return [i for i, e in enumerate(ev) if e["kind"] == kind and e["addr"] == base + BASE_REG[reg]]


def window(ev):
    wins = [e["addr"] for e in ev if e["kind"] == "WINDOW"]
    assert len(wins) == 1, wins
    return wins[0]


def reg_value(ev, base, lo, hi=None):
    v = ev[mmio(ev, "MMIO_WRITE", base, lo)[-1]]["value"]
    if hi:
        v |= ev[mmio(ev, "MMIO_WRITE", base, hi)[-1]]["value"] << 32
    return v


def check_kicks(ev, base, avail, num):
    """Before every QueueNotify write: avail.ring store, a write barrier, the avail.idx store
    (in this order, nothing of it after the notify); returns the notify indices."""
    notifies = mmio(ev, "MMIO_WRITE", base, "notify")
    prev = 0
    for n in notifies:
        span = ev[prev:n]
        idx_st = [i for i, e in enumerate(span) if e["kind"] == "STORE" and e["addr"] == avail + 2]
        assert idx_st, f"no avail.idx store before the notify at event {n}"
        j = idx_st[-1]
        bars = [i for i, e in enumerate(span[:j]) if e["kind"] == "BARRIER" and
                e["value"] in (0, 2)]  # MB or WMB
        assert bars, "no write barrier before the avail.idx store"
        ring = [i for i, e in enumerate(span[:bars[-1]]) if e["kind"] == "STORE" and
                avail + 4 <= e["addr"] < avail + 4 + 2 * num]
        assert ring, "no avail.ring store before the barrier"
        # the value published is one more than the previous kick's
        assert span[j]["value"] == len([x for x in notifies if x <= n]) & 0xffff
        prev = n + 1
    return notifies


def check_common(p, hdr, ev):
    assert p.returncode == 0, p.stderr
    assert hdr["source"] == "qemu-7.2-tcg-plugin"
    assert (hdr["ram_base"], hdr["ram_size"], hdr["n_cpus"]) == (0x40000000, 256 << 20, 1)
    assert ev[-1]["kind"] == "END" and ev[-1]["value"] == 0 and ev[-1]["flags"] == 0
    assert ev[-2]["kind"] == "NOTE" and b"qemu-system-aarch64" in ev[-2]["payload"]
    # every window access found its value in QEMU's log (the plugin notes the ones that did not);
    # the plugin's notes are what its page cache resolved (and never disagreed with QEMU:
    # va_cache.h) and how many barriers it kept
    notes = [vqrec.text(e) for e in ev if e["kind"] == "NOTE"]
    assert len(notes) == 4 and all(n.startswith("vqrec: ") for n in notes[:3]), notes
    # stores first (src/record/plugin/vqrec_plugin.c): the driver's register reads before its
    # first register write other than the status come from QEMU's trace (no pc); that write is
    # the switch; before it the guest wrote the status only (reset, ACKNOWLEDGE, DRIVER), seen
    # by the plugin itself (pc), with the barriers between those writes
    first = re.match(r"vqrec: stores first: only stores and barriers called back until the first "
                     r"store to a virtio register other than the device status \(event (\d+), "
                     r"vCPU 0\)", notes[0])
    assert first, notes
    n = int(first.group(1))
    assert ev[n]["kind"] == "MMIO_WRITE" and ev[n]["pc"] and not ev[n]["flags"] & 32, ev[n]
    assert ev[n]["addr"] % 0x200 != 0x70, ev[n]
    assert not [e for e in ev[:n] if e["kind"] in ("LOAD", "STORE")]
    writes = [i for i, e in enumerate(ev[:n]) if e["kind"] == "MMIO_WRITE"]
    assert writes and all(ev[i]["addr"] % 0x200 == 0x70 and ev[i]["pc"] and
                          not ev[i]["flags"] & 32 for i in writes), [ev[i] for i in writes]
    assert not [e for e in ev[:writes[0]] if e["kind"] == "BARRIER"]
    assert all(e["flags"] & 32 and not e["pc"] for e in ev[:n] if e["kind"] == "MMIO_READ")
    assert "resolved by the page cache; 0 disagreement(s) with QEMU" in notes[1], notes
    assert "barriers executed" in notes[2], notes
    # events of no vCPU (device, notes, end) say so; the guest's are vCPU 0's; a memory dump is
    # the notifying vCPU's, or no vCPU's when it was made as QEMU's device took a chain
    assert {e["cpu"] for e in ev if e["kind"] in ("DEVICE", "NOTE", "END")} == {255}
    assert {e["cpu"] for e in ev if e["kind"] not in ("DEVICE", "NOTE", "END", "MEMORY")} == {0}
    assert {e["cpu"] for e in ev if e["kind"] == "MEMORY"} <= {0, 255}
    base = window(ev)
    assert 0x0a000000 <= base < 0x0a004000 and base % 0x200 == 0
    statuses = [ev[i]["value"] for i in mmio(ev, "MMIO_WRITE", base, "status")]
    return base, statuses


def dumps_at(ev, n):
    """The MEMORY events of the notify at event n: right after it, or — when QEMU's device took
    the chain while the notify store ran (its pop is in the log before the notify's callback) —
    just before it, at that pop."""
    out = []
    for e in ev[n + 1:]:
        if e["kind"] != "MEMORY":
            break
        out.append(e)
    before = []
    for e in reversed(ev[:n]):
        if e["kind"] not in ("MEMORY", "DEVICE"):
            break
        if e["kind"] == "MEMORY":
            before.insert(0, e)
    return before + out


def test_modern_clean_run(guest, tmp_path):
    p, hdr, ev = record(guest, tmp_path, "scenarios/modern-display.yaml")
    base, statuses = check_common(p, hdr, ev)
    assert hdr["flags"] == 0  # no access with virtual != physical
    assert statuses == [0, 1, 3, 0xb, 0xf]  # reset, ACK, DRIVER, FEATURES_OK, DRIVER_OK
    version = [e["value"] for e in ev if e["kind"] == "MMIO_READ" and e["addr"] == base + 4]
    assert version == [2]
    num = reg_value(ev, base, "num")
    desc = reg_value(ev, base, "desc", "desc_hi")
    avail = reg_value(ev, base, "driver", "driver_hi")
    used = reg_value(ev, base, "device", "device_hi")
    assert (num, desc, avail, used) == (16, 0x40100000, 0x40100100, 0x40100128)
    # The queue registers are written before QueueReady = 1, and the ring accesses land where
    # they said: descriptor stores in the table, avail stores in the avail ring, used loads in
    # the used ring, nothing else.
    ready = mmio(ev, "MMIO_WRITE", base, "ready")
    assert [ev[i]["value"] for i in ready] == [1]
    assert max(mmio(ev, "MMIO_WRITE", base, "device_hi")) < ready[0]
    stores = [e for e in ev if e["kind"] == "STORE"]
    loads = [e for e in ev if e["kind"] == "LOAD"]
    assert stores and loads
    for e in stores:
        assert desc <= e["addr"] < desc + 16 * num or avail <= e["addr"] < avail + 6 + 2 * num, e
    for e in loads:
        assert used <= e["addr"] < used + 6 + 8 * num, e
    assert any(e["addr"] == used + 2 and e["size"] == 2 for e in loads)  # polls used.idx
    notifies = check_kicks(ev, base, avail, num)
    assert len(notifies) == 6  # six commands (draw is guest-side only)
    # The first kick's dumps: GET_DISPLAY_INFO's 24-byte header, at the address desc[0] holds.
    d0 = [e for e in ev[:notifies[0]] if e["kind"] == "STORE" and e["addr"] == desc]
    first = dumps_at(ev, notifies[0])
    assert [e["addr"] for e in first] == [d0[-1]["value"]]
    assert struct.unpack_from("<I", first[0]["payload"])[0] == GET_DISPLAY_INFO
    assert len(first[0]["payload"]) == first[0]["value"] == 24
    second = dumps_at(ev, notifies[1])
    assert struct.unpack_from("<I", second[0]["payload"])[0] == RESOURCE_CREATE_2D
    # Device side: each kick popped, filled and flushed on queue 0, and the driver saw it.
    dev = [(e["value"], e["addr"]) for e in ev if e["kind"] == "DEVICE"]
    for kind in (vqrec_kind("pop"), vqrec_kind("fill"), vqrec_kind("flush")):
        assert dev.count((kind, 0)) == 6, (kind, dev)
    # The device may run during the notify store itself: its events can precede the notify's
    # MMIO_WRITE event, never the avail.idx store that published the chain.
    kick = max(i for i, e in enumerate(ev[:notifies[0]]) if e["kind"] == "STORE" and
               e["addr"] == avail + 2)
    after = [e for e in ev[kick:] if e["kind"] in ("DEVICE", "LOAD")]
    fill = next(i for i, e in enumerate(after) if e["kind"] == "DEVICE" and
                e["value"] == vqrec_kind("fill"))
    assert any(e["kind"] == "LOAD" and e["addr"] == used + 2 and e["value"] == 1
               for e in after[fill:])
    # Barriers are recorded with their instruction: dmb ishst/st → WMB, dmb ld → RMB, sy → MB.
    bars = {(e["value"], e["addr"]) for e in ev if e["kind"] == "BARRIER"}
    assert all((e & 0xfffff0df) in (0xd503309f, 0xd50330bf) for _, e in bars)
    assert {k for k, _ in bars} == {0, 1, 2}


def vqrec_kind(name):
    return {v: k for k, v in vqrec.DEVICE.items()}[name]


def test_legacy_indirect_run(guest, tmp_path):
    p, hdr, ev = record(guest, tmp_path, "scenarios/legacy-display-indirect.yaml")
    base, statuses = check_common(p, hdr, ev)
    assert statuses == [0, 1, 3, 7]  # version 1: no FEATURES_OK
    assert [e["value"] for e in ev if e["kind"] == "MMIO_READ" and e["addr"] == base + 4] == [1]
    page = reg_value(ev, base, "page")
    num, align, pfn = (reg_value(ev, base, r) for r in ("num", "align", "pfn"))
    assert (page, num, align) == (4096, 16, 4096)
    desc = pfn * page
    avail = desc + 16 * num
    used = desc + 0x1000  # QEMU's legacy layout with QueueAlign 4096
    stores = [e for e in ev if e["kind"] == "STORE"]
    assert min(e["addr"] for e in stores) == desc
    for e in [e for e in ev if e["kind"] == "LOAD"]:
        assert used <= e["addr"] < used + 6 + 8 * num, e
    notifies = check_kicks(ev, base, avail, num)
    assert len(notifies) == 6
    # An indirect chain: the dump holds the indirect table (two entries), then the readable
    # buffer it names (the device-writable one is not dumped).
    first = dumps_at(ev, notifies[0])
    table = [e for e in ev[:notifies[0]] if e["kind"] == "STORE" and e["addr"] == desc]
    flags = [e for e in ev[:notifies[0]] if e["kind"] == "STORE" and e["addr"] == desc + 12]
    assert flags[-1]["value"] == 4  # INDIRECT
    assert first[0]["addr"] == table[-1]["value"] and len(first[0]["payload"]) == 32
    a0, l0, f0, _ = struct.unpack_from("<QIHH", first[0]["payload"])
    a1, l1, f1, _ = struct.unpack_from("<QIHH", first[0]["payload"], 16)
    assert (l0, f0, l1, f1) == (24, 1, 408, 2)  # header NEXT, response WRITE
    assert len(first) == 2 and first[1]["addr"] == a0
    assert struct.unpack_from("<I", first[1]["payload"])[0] == GET_DISPLAY_INFO


def test_mmu_alias_records_physical_addresses(guest, tmp_path):
    p, hdr, ev = record(guest, tmp_path, "scenarios/modern-display.yaml", "--mmu-alias")
    base, statuses = check_common(p, hdr, ev)
    assert statuses == [0, 1, 3, 0xb, 0xf]
    assert hdr["flags"] & vqrec.HF_MMU_SEEN
    desc = reg_value(ev, base, "desc", "desc_hi")
    avail = reg_value(ev, base, "driver", "driver_hi")
    assert (desc, avail) == (0x40100000, 0x40100100)  # physical, as the device needs them
    ring = [e for e in ev if e["kind"] in ("LOAD", "STORE")]
    assert ring and all(e["flags"] & vqrec.F_VIRT for e in ring)  # the driver used the alias
    assert all(0x40100000 <= e["addr"] < 0x40100200 for e in ring)  # recorded physical
    # The MMIO window stays identity-mapped: no VIRT flag there.
    assert not any(e["flags"] & vqrec.F_VIRT for e in ev if e["kind"].startswith("MMIO"))
    # Descriptors carry physical buffer addresses (vhal_virt_to_phys), and the dump is there.
    notifies = check_kicks(ev, base, avail, 16)
    d0 = [e for e in ev[:notifies[0]] if e["kind"] == "STORE" and e["addr"] == desc]
    first = dumps_at(ev, notifies[0])
    assert d0[-1]["value"] < 0x50000000 and first[0]["addr"] == d0[-1]["value"]
    assert struct.unpack_from("<I", first[0]["payload"])[0] == GET_DISPLAY_INFO


def test_time_bound_stops_qemu_and_keeps_the_recording(guest, tmp_path):
    # Without --poweroff the guest idles after its last step: the time bound ends the run,
    # QEMU exits on SIGTERM, the plugin's exit handler writes what it has. The bound leaves the
    # guest time to finish its six steps on a loaded machine (alone it needs well under 1.5 s;
    # at load 15 on 2 cores 1.5 s caught 4): the assertion is about what is kept, not speed.
    p, hdr, ev = record(guest, tmp_path, "scenarios/modern-display.yaml", timeout="8",
                        poweroff=False)
    assert p.returncode == 0, p.stderr
    assert ev[-1]["kind"] == "END" and ev[-1]["flags"] == vqrec.END_KILLED
    assert "time bound" in p.stderr
    assert len(mmio(ev, "MMIO_WRITE", window(ev), "notify")) == 6


@pytest.mark.parametrize("args,message", [
    (["-M", "virt,memory-backend=m0"], "already sets a memory backend"),
    (["-M", "virt", "-object", "memory-backend-ram,id=m0,size=64M"], "sets up guest RAM"),
    (["-M", "virt", "-m", "lots"], "cannot work out the RAM size"),
    (["-M", "vexpress-a15"], "only QEMU's `virt` machine"),
    (["-M", "virt", "-D", "x.log"], "needs QEMU's log file"),
    (["-m", "64M"], "give the machine"),
])
def test_refuses_command_lines_it_cannot_extend(args, message, tmp_path):
    if not (build() / "libvqrec.so").exists():
        pytest.fail("libvqrec.so missing: make build")
    p = subprocess.run([str(vqsim_path()), "record", "-o", str(tmp_path / "r"), "--",
                        "qemu-system-aarch64", *args], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and message in p.stderr, p.stderr
    assert not (tmp_path / "r").exists()


def test_usage_errors(tmp_path):
    v = str(vqsim_path())
    for args, message in ((["record"], "give the QEMU command after '--'"),
                          (["record", "--timeout", "0", "--", "q"], "--timeout wants"),
                          (["record", "--bogus", "--", "q"], "unknown or incomplete option"),
                          (["record", "--plugin", str(tmp_path / "none.so"), "--", "q"],
                           "is not there")):
        p = subprocess.run([v, *args], capture_output=True, text=True, timeout=30)
        assert p.returncode == 2 and message in p.stderr, (args, p.stderr)


def test_qemu_failure_leaves_no_recording(tmp_path):
    if not shutil.which("qemu-system-aarch64"):
        pytest.skip("qemu-system-aarch64 is missing (tools/setup-deps.sh installs it)")
    p = subprocess.run([str(vqsim_path()), "record", "-o", str(tmp_path / "r"), "--",
                        "qemu-system-aarch64", "-M", "virt", "-no-such-option"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "left no recording" in p.stderr, p.stderr
    assert not (tmp_path / "r").exists()


def test_qemu_failing_after_start_is_reported_and_never_passes(tmp_path):
    """QEMU that fails once the plugin is loaded (a device it cannot create: the README's old
    example stopped on a missing "efi-virtio.rom" so) leaves a recording with no virtio traffic.
    `vqsim record` says QEMU's exit status and message, and exits 1; the recording holds them,
    and `vqsim check` on it fails (exit 1, outcome no-traffic): an empty or failed recording must
    never pass."""
    if not shutil.which("qemu-system-aarch64"):
        pytest.skip("qemu-system-aarch64 is missing (tools/setup-deps.sh installs it)")
    rec = tmp_path / "r.vqrec"
    p = subprocess.run([str(vqsim_path()), "record", "-o", str(rec), "--timeout", "30", "--",
                        "qemu-system-aarch64", "-M", "virt", "-nic", "none", "-display", "none",
                        "-device", "no-such-device"], capture_output=True, text=True, timeout=60)
    said = "'no-such-device' is not a valid device model name"
    assert p.returncode == 1, p.stderr
    assert f"QEMU failed: exit status 1: qemu-system-aarch64: -device no-such-device: {said}" \
        in p.stderr
    hdr, ev = vqrec.read(rec)
    assert ev[-1]["kind"] == "END" and ev[-1]["value"] == 1
    assert any(e["kind"] == "NOTE" and said in vqrec.text(e) for e in ev)
    assert not any(e["kind"] in ("MMIO_READ", "MMIO_WRITE") for e in ev)
    out = tmp_path / "r.json"
    c = subprocess.run([str(vqsim_path()), "check", "--json", str(out), str(rec)],
                       capture_output=True, text=True, timeout=60)
    assert c.returncode == 1, c.stdout
    assert c.stdout.startswith("FAIL r ") and "no-traffic" in c.stdout.splitlines()[0]
    assert "nothing to check" in c.stdout and said in c.stdout
    s = json.loads(out.read_text())["scenarios"][0]
    assert s["outcome"] == "no-traffic" and not s["passed"] and s["source"]["exit_status"] == 1


def kick_spans(ev, base, avail):
    """For each QueueNotify write: the events from the previous one up to it."""
    spans, prev = [], 0
    for n in mmio(ev, "MMIO_WRITE", base, "notify"):
        spans.append(ev[prev:n])
        prev = n + 1
    return spans


def test_replayed_bugs_show_in_the_recording(guest, tmp_path):
    """What `vqsim check` needs to find each replayed bug is in the recording: the raw facts,
    not a verdict (that is the checker's)."""
    # A legacy driver that lays out its ring for QueueAlign 4 and drops the QueueAlign write:
    # it polls used.idx at +0x12a, QEMU's device writes the used ring at +0x1000.
    p, hdr, ev = record(guest, tmp_path, "scenarios/legacy-used-ring-misaligned.yaml")
    base, _ = check_common(p, hdr, ev)
    assert not mmio(ev, "MMIO_WRITE", base, "align")
    desc = reg_value(ev, base, "pfn") * reg_value(ev, base, "page")
    polls = {e["addr"] - desc for e in ev if e["kind"] == "LOAD"}
    assert 0x12a in polls and not any(a >= 0x1000 for a in polls)
    assert all(e["value"] == 0 for e in ev if e["kind"] == "LOAD" and e["addr"] == desc + 0x12a)
    assert [e["value"] for e in ev if e["kind"] == "DEVICE"].count(vqrec_kind("flush")) == 1

    # drop-barrier wmb, first occurrence: the first kick has no barrier between the avail.ring
    # store and the avail.idx store; the second has its dmb ishst.
    p, hdr, ev = record(guest, tmp_path, "scenarios/barriers/plain-drop-wmb.yaml")
    base, _ = check_common(p, hdr, ev)
    avail = reg_value(ev, base, "driver", "driver_hi")
    spans = kick_spans(ev, base, avail)

    def between(span):
        ring = max(i for i, e in enumerate(span) if e["kind"] == "STORE" and
                   avail + 4 <= e["addr"] < avail + 36)
        idx = max(i for i, e in enumerate(span) if e["kind"] == "STORE" and e["addr"] == avail + 2)
        assert ring < idx
        return [e["value"] for e in span[ring:idx] if e["kind"] == "BARRIER"]
    assert between(spans[0]) == [] and between(spans[1]) == [2]

    # skip-status-bit ACKNOWLEDGE: DRIVER is set without it.
    p, hdr, ev = record(guest, tmp_path, "scenarios/rules/init-step2-acknowledge.yaml")
    base, statuses = check_common(p, hdr, ev)
    assert statuses[-3:] == [0x2, 0xa, 0xe] and not any(s & 1 for s in statuses)

    # Version 2 registers on a version 1 device: QEMU answers Version 1, the driver (told 2 by
    # the replayed bug) writes QueueDesc…/QueueReady, never QueuePFN, and its kick gets nothing.
    p, hdr, ev = record(guest, tmp_path, "scenarios/hangs/modern-registers-on-legacy-device.yaml")
    base, _ = check_common(p, hdr, ev)
    assert [e["value"] for e in ev if e["kind"] == "MMIO_READ" and e["addr"] == base + 4] == [1]
    assert reg_value(ev, base, "desc") == 0x40100000 and reg_value(ev, base, "ready") == 1
    assert not mmio(ev, "MMIO_WRITE", base, "pfn")
    assert len(mmio(ev, "MMIO_WRITE", base, "notify")) == 1
    assert not [e for e in ev if e["kind"] == "DEVICE" and e["value"] == vqrec_kind("pop")]
    # …while its own ring stores are still recorded (the rings it set up in the registers).
    assert any(e["kind"] == "STORE" and e["addr"] == 0x40100102 and e["value"] == 1 for e in ev)


def test_polling_outside_the_rings_is_recorded(guest, tmp_path):
    """A modern driver whose used ring is not where QueueDevice says: the device answers at
    0x40300000, the driver polls used.idx at 0x4010012a, outside every ring the registers name.
    The plugin sees the same instruction load the same value there again and again and records
    it, flagged POLL, once per value; no other load outside the rings is recorded."""
    p, hdr, ev = record(guest, tmp_path, "scenarios/hangs/modern-used-ring-mismatch.yaml")
    base, _ = check_common(p, hdr, ev)
    assert reg_value(ev, base, "device", "device_hi") == 0x40300000
    polls = [e for e in ev if e["kind"] == "LOAD" and e["flags"] & vqrec.F_POLL]
    assert polls, "the poll of the driver's own used.idx was not recorded"
    assert {(e["addr"], e["size"], e["value"]) for e in polls} == {(0x4010012a, 2, 0)}
    assert len(polls) == 1  # one run of one value: recorded once
    # it comes after the request was published and notified
    notify = mmio(ev, "MMIO_WRITE", base, "notify")[0]
    assert ev.index(polls[0]) > notify
    # the device answered in its ring, which the guest never read
    assert [e["value"] for e in ev if e["kind"] == "DEVICE"].count(vqrec_kind("flush")) == 1
    assert not [e for e in ev if e["kind"] == "LOAD" and e["addr"] == 0x40300002]
    # The device took the rings at QueueReady = 1: their contents then follow that write, the
    # used ring at 0x40300000 holding what the guest had stored there before QueueDevice named
    # it (the port's private data lies there; its value 1 at +8 was never recorded as a store).
    ready = mmio(ev, "MMIO_WRITE", base, "ready")[0]
    rings = [e for e in ev if e["kind"] == "MEMORY" and e["flags"] & vqrec.M_RING]
    assert [(e["addr"], e["value"]) for e in rings] == [(0x40100000, 256), (0x40100100, 38),
                                                      (0x40300000, 134)]
    assert ev[ready + 1:ready + 4] == rings
    assert struct.unpack_from("<H", rings[2]["payload"], 8)[0] == 1
    assert not any(e["kind"] == "STORE" and e["addr"] == 0x40300008 for e in ev)


def test_queue_address_writes_while_ready_do_not_move_the_ring(guest, tmp_path):
    """QueueDescLow = 0 written after QueueReady = 1: QEMU (version 2) keeps the table where
    QueueReady latched it, and so does the plugin: the descriptor stores of every request are
    still recorded."""
    p, hdr, ev = record(guest, tmp_path, "scenarios/rules/mmio-no-queue-regs-while-ready.yaml")
    base, _ = check_common(p, hdr, ev)
    desc_writes = [ev[i]["value"] for i in mmio(ev, "MMIO_WRITE", base, "desc")]
    assert desc_writes == [0x40100000, 0]
    late = mmio(ev, "MMIO_WRITE", base, "desc")[-1]
    assert late > mmio(ev, "MMIO_WRITE", base, "ready")[0]
    notifies = check_kicks(ev, base, 0x40100100, 16)
    assert len(notifies) == 6
    for n in notifies:  # every kick's descriptor stores, in the table QueueReady latched
        prev = max([i for i in notifies if i < n], default=late)
        assert any(e["kind"] == "STORE" and 0x40100000 <= e["addr"] < 0x40100100
                   for e in ev[prev:n]), n
    assert not any(e["kind"] == "STORE" and e["addr"] < 0x100 for e in ev)


def test_sigint_to_vqsim_record_still_finishes_the_recording(guest, tmp_path):
    import signal
    import time
    table = tmp_path / "steps.bin"
    subprocess.run([str(build() / "vqsim-steptable"), str(ROOT / "scenarios/modern-display.yaml"),
                    str(table)], check=True)  # no --poweroff: the guest idles at the end
    cmd = qemu_diff.qemu_command(guest, str(table), "modern", 640, 480)
    rec = tmp_path / "out.rec"
    p = subprocess.Popen([str(vqsim_path()), "record", "-o", str(rec), "--", *cmd],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = ""
    deadline = time.monotonic() + 30
    while "VQ END" not in out and time.monotonic() < deadline:
        out += p.stdout.readline()
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 0 and "stopped on a signal" in err, err
    hdr, ev = vqrec.read(rec)
    assert ev[-1]["kind"] == "END" and ev[-1]["flags"] == vqrec.END_KILLED
    assert len(mmio(ev, "MMIO_WRITE", window(ev), "notify")) == 6


def test_plugin_is_built_without_sanitizers_and_exports_only_the_plugin_api():
    so = build() / "libvqrec.so"
    if not so.exists():
        pytest.fail(f"{so} is missing: make build")
    if not shutil.which("nm"):
        pytest.skip("nm is missing")
    syms = subprocess.run(["nm", "-D", "--defined-only", str(so)], capture_output=True,
                          text=True, check=True).stdout.split()
    assert {"qemu_plugin_install", "qemu_plugin_version"} <= set(syms)
    assert not [s for s in syms if "asan" in s or "ubsan" in s]
    undefined = subprocess.run(["nm", "-D", "--undefined-only", str(so)], capture_output=True,
                               text=True, check=True).stdout
    assert "__asan" not in undefined and "__ubsan" not in undefined and "g_" not in undefined


# ---- end to end: `vqsim check` on the recording gives the simulator's verdict ---------------

PROOF = [  # (scenario, vqsim-steptable options): the clean runs and four replayed bugs
    ("scenarios/modern-display.yaml", ()),
    ("scenarios/legacy-display-indirect.yaml", ()),
    ("scenarios/modern-display.yaml", ("--mmu-alias",)),           # virtual != physical
    ("scenarios/legacy-used-ring-misaligned.yaml", ()),            # legacy used-ring layout
    ("scenarios/barriers/plain-drop-wmb.yaml", ()),                # a missing barrier
    ("scenarios/barriers/drop-wmb.yaml", ("--mmu-alias",)),        # …with the MMU on
    ("scenarios/hangs/modern-registers-on-legacy-device.yaml", ()),  # v2 registers on v1
    ("scenarios/rules/init-step2-acknowledge.yaml", ()),           # skipped status bits
    ("scenarios/rules/init-step5-features-ok.yaml", ()),
    ("scenarios/hangs/modern-used-ring-mismatch.yaml", ()),        # polls a used ring of its own
    ("scenarios/rules/mmio-no-queue-regs-while-ready.yaml", ()),   # QueueDesc moved while ready
    ("scenarios/barriers/ring-init-used-flags.yaml", ()),
]


def verdict(path):
    r = json.loads(path.read_text())["scenarios"][0]
    d = r["diagnosis"]
    return (sorted({v["rule"] for v in r["violations"]}),
            [c["cause"] for c in d["causes"]] if d else [], r["outcome"])


@pytest.mark.parametrize("scenario,opts", PROOF,
                         ids=[os.path.basename(s)[:-5] + "".join(o) for s, o in PROOF])
def test_check_of_the_recording_agrees_with_the_simulator(guest, tmp_path, scenario, opts):
    sim_json = tmp_path / "sim.json"
    subprocess.run([str(vqsim_path()), "run", "--json", str(sim_json), str(ROOT / scenario)],
                   capture_output=True, timeout=120)
    sim = json.loads(sim_json.read_text())["scenarios"][0]
    # QEMU's device offers what the simulated one does (EDID is a property).
    p, hdr, ev = record(guest, tmp_path, scenario, *opts,
                        offered=tuple(sim["device"].get("offered") or ()))
    assert p.returncode == 0, p.stderr
    if opts:
        assert hdr["flags"] & vqrec.HF_MMU_SEEN
    chk_json = tmp_path / "check.json"
    c = subprocess.run([str(vqsim_path()), "check", "--json", str(chk_json), "--scenario",
                        str(ROOT / scenario), str(tmp_path / "out.rec")],
                       capture_output=True, text=True, timeout=120)
    assert chk_json.exists(), c.stderr
    assert sim["passed"], sim["failures"]  # the simulator's verdict is the scenario's
    expect = verdict(sim_json)
    assert verdict(chk_json) == expect, c.stdout
    assert c.returncode == (0 if expect[2] == "ok" else 1)
    src = json.loads(chk_json.read_text())["scenarios"][0]["source"]
    assert src["recorder"] == "qemu-7.2-tcg-plugin" and src["ended"] and src["exit_status"] == 0
    assert src["mmu_seen"] is bool(opts)
    # the model answers every register read as QEMU did (DeviceFeatures included)
    assert src["discrepancies"] == 0 and src["notes"] == [], src["notes"]


@pytest.mark.parametrize("scenario", ["scenarios/modern-display.yaml",
                                      "scenarios/legacy-used-ring-misaligned.yaml"])
def test_other_virtio_devices_beside_the_gpu_keep_the_verdict(guest, tmp_path, scenario):
    """A virtio-rng beside the gpu gives the verdict of the gpu alone. The port knows the gpu's
    window from its step table and never touches the rng's: this shows only that another
    device on the machine does not disturb the recording or the check (the replay of another
    device's ring traffic is proven by tests/unit/test_recording.c)."""
    sim_json = tmp_path / "sim.json"
    subprocess.run([str(vqsim_path()), "run", "--json", str(sim_json), str(ROOT / scenario)],
                   capture_output=True, timeout=120)
    offered = tuple(json.loads(sim_json.read_text())["scenarios"][0]["device"].get("offered")
                    or ())
    verdicts = []
    for extra in ((), ("-device", "virtio-rng-device")):
        d = tmp_path / ("rng" if extra else "alone")
        d.mkdir()
        p, hdr, ev = record(guest, d, scenario, offered=offered, extra=extra)
        assert p.returncode == 0, p.stderr
        chk_json = d / "check.json"
        c = subprocess.run([str(vqsim_path()), "check", "--json", str(chk_json), "--scenario",
                            str(ROOT / scenario), str(d / "out.rec")],
                           capture_output=True, text=True, timeout=120)
        assert chk_json.exists(), c.stderr
        src = json.loads(chk_json.read_text())["scenarios"][0]["source"]
        assert src["discrepancies"] == 0, src["notes"]
        assert src["replayed"]["other_devices"] == 0
        verdicts.append((verdict(chk_json), c.returncode))
    assert verdicts[1] == verdicts[0]
    assert verdicts[1][0] == verdict(sim_json)  # and it is the simulator's


@pytest.mark.parametrize("how", ["accel", "virtualization"])
def test_page_cache_off_where_an_address_can_translate_another_way(guest, tmp_path, how):
    """The plugin's page cache (va_cache.h) keys an entry by the virtual address alone: with EL2
    or EL3 in the machine an address translates per exception level, and with one thread for all
    vCPUs QEMU gives no resume callback to tell the plugin of a vCPU reset. `vqsim record` turns
    the cache off there (vacache=off): every access resolved by QEMU, the recording the same."""
    extra = ["-accel", "tcg,thread=single"] if how == "accel" else []
    if how == "virtualization":
        extra = ["-M", "virt,virtualization=on"]  # the last -M wins in QEMU
    p, hdr, ev = record(guest, tmp_path, "scenarios/modern-display.yaml", extra=extra)
    assert p.returncode == 0, p.stderr
    note = next(vqrec.text(e) for e in ev if e["kind"] == "NOTE" and "page cache" in vqrec.text(e))
    assert note.startswith("vqrec: 0 of ") and note.endswith(
        "0 disagreement(s) with QEMU (the cache is off for this machine: vacache=off)"), note
    c = subprocess.run([str(vqsim_path()), "check", str(tmp_path / "out.rec")],
                       capture_output=True, text=True, timeout=120)
    assert c.returncode == 0 and c.stdout.startswith("PASS"), c.stdout + c.stderr
