"""The foreign-driver corpus (tests/foreign/README.md): four drivers vqsim did not write, in four
styles, each correct and with the bugs of public bug threads. Every correct form is clean on
both transports; every bug form gets its rule and causes with evidence true to what the driver
did (counts, addresses, times); `vqsim run --driver` and the library give the same results; the
built-in driver replaying the same mistake gets the same causes, evidence and wording."""
import json
import os
import pathlib
import re
import subprocess

import pytest

from conftest import ROOT, run
from test_library import libdir, once, prefix, sh  # noqa: F401 (prefix is a fixture)

FOREIGN = ROOT / "tests" / "foreign"
M = FOREIGN / "machines"
DRIVERS = {"linux": "linux/vring_gpu.c", "rcore": "rcore/vd_gpu.c",
           "hobby": "hobby/hobbyos_gpu.c", "firmware": "firmware/fw_virtio_gpu.c"}
PLAIN = {"hobby", "firmware"}          # plain ring access (the others use the accessors)
REPORTS = {"linux", "firmware"}        # call queue_placed
BUGS = {
    "linux": ["BUG_ZERO_LEN", "BUG_NO_USED_EVENT", "BUG_NO_KICK_MB", "BUG_RESET_NO_WAIT",
              "BUG_REINIT_NO_RESET", "BUG_LEGACY_NO_GPS", "BUG_USED_ALIGN", "BUG_SKIP_KICK"],
    "rcore": ["BUG_ZERO_LEN", "BUG_NO_USED_EVENT", "BUG_NO_KICK_MB", "BUG_RESET_NO_WAIT",
              "BUG_LEGACY_NO_GPS", "BUG_USED_ALIGN", "BUG_EVENT_WRAP", "BUG_DUP_RESOURCE",
              "BUG_SKIP_KICK"],
    "hobby": ["BUG_ZERO_LEN", "BUG_NO_USED_EVENT", "BUG_NO_KICK_MB", "BUG_RESET_NO_WAIT",
              "BUG_LEGACY_NO_GPS", "BUG_USED_ALIGN", "BUG_SKIP_KICK", "BUG_DUP_RESOURCE"],
    "firmware": ["BUG_ZERO_LEN", "BUG_NO_USED_EVENT", "BUG_NO_KICK_MB", "BUG_RESET_NO_WAIT",
                 "BUG_REINIT_NO_RESET", "BUG_LEGACY_NO_GPS", "BUG_USED_ALIGN", "BUG_LOOP",
                 "BUG_KEEP_VQ", "BUG_SKIP_KICK"],
}
# extra builds: name -> (driver, -D flags)
LONG = {
    "hobby-long": ("hobby", ["-DBUG_SKIP_KICK", "-DFLUSHES=35000", "-DSKIP_KICK_AT=70003"]),
    "rcore-wrap": ("rcore", ["-DFLUSHES=32767"]),
    "rcore-wrap-bug": ("rcore", ["-DFLUSHES=32767", "-DBUG_EVENT_WRAP"]),
}
NOT_JUDGED_PLAIN = ["split.notify.barrier-before-suppression-check",
                    "split.receive.rmb-before-used-elem", "split.receive.mb-before-reread",
                    "split.legacy.layout", "cleanup.no-alter-exposed"]


# Every corpus driver bounds its own waits; the wall-clock watchdog (10 s) is for drivers that
# never return, and a loaded test machine can stretch a 65,000-request run past it.
WATCHDOG = dict(os.environ, VQSIM_DRIVER_WATCHDOG="600")


def vq(vqsim, *args):
    return subprocess.run([str(vqsim), *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=900, env=WATCHDOG)


def cc(src, out, flags):
    sh("cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
       f"-I{ROOT / 'include'}", *flags, FOREIGN / src, "-o", out)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """Every driver in every form, as shared objects (built once per session)."""
    def make(top):
        for d, src in DRIVERS.items():
            for b in [None] + BUGS[d]:
                cc(src, top / f"{d}-{b or 'ok'}.so", [f"-D{b}"] if b else [])
        for name, (d, flags) in LONG.items():
            cc(DRIVERS[d], top / f"{name}.so", flags)
    return once(tmp_path_factory, "corpus", make)


def so(corpus, d, b=None):
    return corpus / f"{d}-{b or 'ok'}.so"


_runs = {}


def result(vqsim, lib, machine, tmp_path):
    """`vqsim run --driver LIB MACHINE`: the scenario's results (cached per session)."""
    key = (str(lib), machine)
    if key not in _runs:
        out = tmp_path / "r.json"
        p = vq(vqsim, "run", "--driver", lib, "--json", out, M / f"{machine}.yaml")
        assert p.returncode in (0, 1), p.stdout + p.stderr
        _runs[key] = json.loads(out.read_text())["scenarios"][0]
    return _runs[key]


def rules(s):
    return sorted({v["rule"] for v in s["violations"]})


def causes(s):
    return [c["cause"] for c in s["diagnosis"]["causes"]] if s["diagnosis"] else []


def cause(s, cid):
    return next(c for c in s["diagnosis"]["causes"] if c["cause"] == cid)


def violation(s, rule):
    return next(v for v in s["violations"] if v["rule"] == rule)


def hx(v):
    return int(v, 16)


# ---- every correct form is clean ---------------------------------------------------------------

@pytest.mark.parametrize("machine", ["modern", "legacy"])
@pytest.mark.parametrize("d", sorted(DRIVERS))
def test_correct_form_is_clean(vqsim, corpus, d, machine, tmp_path):
    s = result(vqsim, so(corpus, d), machine, tmp_path)
    assert (s["outcome"], s["violations"], s["diagnosis"]) == ("ok", [], None), s["failures"]
    assert s["display"]["active"] and not s["display"]["dark"]
    # plain ring access says what it could not judge; the accessors judge everything
    assert [n["rule"] for n in s["not_judged"]] == (NOT_JUDGED_PLAIN if d in PLAIN else [])
    assert s["device"]["ring_access"] == ("plain" if d in PLAIN else "accessors")
    # the queues are shown whether the driver reported them or not
    q0 = s["queues"][0]
    assert q0["index"] == 0 and q0["device"]["ready"] and q0["avail_idx"] == q0["used_idx"] > 0
    if d in REPORTS:
        assert q0["driver"]["source"] == "queue_placed"
        assert {k: q0["driver"][k] for k in ("desc", "avail", "used")} == \
            {k: q0["device"][k] for k in ("desc", "avail", "used")}
    else:  # learnt from the register writes: all three on modern, the used ring unknown on
        # legacy unless the driver was seen polling it (accessors only)
        assert q0["driver"]["source"].startswith("registers")
        assert q0["driver"]["desc"] == q0["device"]["desc"]
        assert q0["driver"]["used"] == (q0["device"]["used"] if machine == "modern" or
                                        d not in PLAIN else None)


def test_correct_forms_draw_their_pictures(vqsim, corpus, tmp_path):
    """The same picture on both transports, and one that is not black."""
    for d in DRIVERS:
        a, b = (result(vqsim, so(corpus, d), m, tmp_path)["display"]["sha256"]
                for m in ("modern", "legacy"))
        assert a == b, d
    hashes = {result(vqsim, so(corpus, d), "modern", tmp_path)["display"]["sha256"]
              for d in DRIVERS}
    assert len(hashes) == 4  # four different pictures: each driver drew its own


# ---- a zero-length buffer: QEMU breaks the device, the driver waits on the used ring ----------

@pytest.mark.parametrize("machine", ["modern", "legacy"])
@pytest.mark.parametrize("d", sorted(DRIVERS))
def test_zero_length_buffer(vqsim, corpus, d, machine, tmp_path):
    s = result(vqsim, so(corpus, d, "BUG_ZERO_LEN"), machine, tmp_path)
    assert s["outcome"] == "timeout"
    assert rules(s) == ["split.desc.zero-length"]
    assert causes(s) == ["device-broken"]
    v = violation(s, "split.desc.zero-length")
    # every driver sends GET_DISPLAY_INFO first: header in descriptor 0, the empty body in 1
    assert v["message"] == "queue 0: descriptor 1 has length 0"
    e = cause(s, "device-broken")["evidence"]
    assert e["broken_by"] == "split.desc.zero-length"
    assert int(e["broken_at_ns"]) == v["time_ns"] < int(e["timed_out_at_ns"])
    # QEMU signals NEEDS_RESET only when VERSION_1 was negotiated
    assert e["needs_reset_set"] == ("yes" if machine == "modern" else "no")
    q0 = s["queues"][0]
    assert (q0["avail_idx"], q0["used_idx"]) == (1, 0)  # the slot taken (as QEMU), no answer


# ---- EVENT_IDX without used_event ----------------------------------------------------------------

@pytest.mark.parametrize("machine", ["modern", "legacy"])
def test_no_used_event_hangs_a_driver_that_sleeps(vqsim, corpus, machine, tmp_path):
    """Linux-style: after the first answer (always signalled) used_event stays 0, so the second
    answer raises no interrupt and the driver, asleep, never looks."""
    s = result(vqsim, so(corpus, "linux", "BUG_NO_USED_EVENT"), machine, tmp_path)
    assert (s["outcome"], rules(s), causes(s)) == ("timeout", [], ["interrupt-suppressed"])
    e = cause(s, "interrupt-suppressed")["evidence"]
    q0 = s["queues"][0]
    assert e["used_event"] == "0" and e["driver_wait"] == "interrupt"
    assert hx(e["used_event_at"]) == hx(q0["device"]["avail"]) + 4 + 2 * 16
    assert (e["device_used_idx"], e["interrupts_suppressed"]) == ("2", "1")
    assert q0["used_idx"] == 2  # the device did answer: the driver slept through it
    assert int(e["answered_at_ns"]) < int(e["timed_out_at_ns"])


@pytest.mark.parametrize("d", ["rcore", "hobby", "firmware"])
def test_no_used_event_is_harmless_to_a_driver_that_polls(vqsim, corpus, d, tmp_path):
    for machine in ("modern", "legacy"):
        s = result(vqsim, so(corpus, d, "BUG_NO_USED_EVENT"), machine, tmp_path)
        assert (s["outcome"], s["violations"]) == ("ok", []), (d, machine)
        assert "event_idx" in s["device"]["negotiated"]


# ---- no barrier between the avail.idx store and the suppression check ----------------------------

@pytest.mark.parametrize("d", ["linux", "rcore"])
def test_missing_kick_barrier_accessors(vqsim, corpus, d, tmp_path):
    for machine in ("modern", "legacy"):
        s = result(vqsim, so(corpus, d, "BUG_NO_KICK_MB"), machine, tmp_path)
        assert (s["outcome"], rules(s)) == \
            ("violation", ["split.notify.barrier-before-suppression-check"])
        v = violation(s, "split.notify.barrier-before-suppression-check")
        assert v["message"].startswith("queue 0: used.avail_event read after the avail.idx store")
    # on a weakly ordered CPU the kick decision sees the device's old avail_event: the kick is
    # missed, and the diagnosis names the barrier behind it
    s = result(vqsim, so(corpus, d, "BUG_NO_KICK_MB"), "modern-weak", tmp_path)
    assert s["outcome"] == "timeout" and causes(s) == ["no-notify"]
    assert rules(s) == ["split.availnotif.event-idx-must-notify",
                        "split.notify.barrier-before-suppression-check"]
    e = cause(s, "no-notify")["evidence"]
    assert e["notifies_for_queue"] == "0"
    assert e["barrier_violation"].startswith("split.notify.barrier-before-suppression-check")
    assert "suppression check saw the device's state from before" in e["reordering"]
    assert violation(s, "split.availnotif.event-idx-must-notify")["message"] == (
        "queue 0: missed kick: avail.idx moved from 0 to 1 past avail_event = 0, and the driver "
        "waits without notifying")


@pytest.mark.parametrize("d", ["hobby", "firmware"])
def test_missing_kick_barrier_plain_is_said_not_judged(vqsim, corpus, d, tmp_path):
    """Plain ring access cannot see the load: the verdict says the rule was not judged."""
    for machine in ("modern", "legacy", "modern-weak"):
        s = result(vqsim, so(corpus, d, "BUG_NO_KICK_MB"), machine, tmp_path)
        assert s["violations"] == [] and s["outcome"] == "ok"
        nj = {n["rule"]: n for n in s["not_judged"]}
        assert nj["split.notify.barrier-before-suppression-check"]["judged"] == "no"
    p = vq(vqsim, "run", "-v", "--driver", so(corpus, d, "BUG_NO_KICK_MB"), M / "modern.yaml")
    assert ("not judged (plain ring access): split.notify.barrier-before-suppression-check"
            in p.stdout)
    assert p.stdout.splitlines()[-1].startswith("plain ring access: 2 rule(s) not judged, 3 in part")


# ---- the reset not read back --------------------------------------------------------------------

@pytest.mark.parametrize("d,status", [("rcore", "0x03"), ("hobby", "0x01"), ("firmware", "0x01")])
def test_reset_not_read_back(vqsim, corpus, d, status, tmp_path):
    for machine in ("modern", "legacy"):
        s = result(vqsim, so(corpus, d, "BUG_RESET_NO_WAIT"), machine, tmp_path)
        assert (s["outcome"], rules(s)) == ("violation", ["init.reset-read-back"])
        v = violation(s, "init.reset-read-back")
        assert v["spec"] == "1.2" and v["section"] == "2.4.2"
        m = re.fullmatch(r"Status (0x..) written (\d+) ns after the reset \(Status = 0 at "
                         r"t=(\d+) ns\) without reading Status back as 0 in between: the driver "
                         r"took the reset as complete without seeing it complete", v["message"])
        assert m and m.group(1) == status
        # the next register access after the reset write: one MMIO access (100 ns) later
        assert int(m.group(2)) == 100 and int(m.group(3)) + 100 == v["time_ns"]


def test_linux_reads_status_back_through_add_status(vqsim, corpus, tmp_path):
    """Linux's virtio_mmio does not wait after the reset, but the core's add_status() reads
    Status (0) before it sets ACKNOWLEDGE: the read-back happens, no finding."""
    for machine in ("modern", "legacy"):
        s = result(vqsim, so(corpus, "linux", "BUG_RESET_NO_WAIT"), machine, tmp_path)
        assert (s["outcome"], s["violations"]) == ("ok", [])


# ---- a re-initialisation without a reset ---------------------------------------------------------

@pytest.mark.parametrize("machine,status", [("modern", "0x0f"), ("legacy", "0x07")])
def test_firmware_reinit_without_reset(vqsim, corpus, machine, status, tmp_path):
    """The hand-over forgets the reset: the second probe re-initialises a live device. QEMU
    keeps the queue's indices (6 requests taken by the splash), takes the slots from avail index
    6 of the zeroed ring (head 0: the new request, again and again) and breaks when it holds a
    whole queue — "Virtqueue size exceeded", as QEMU 7.2's virtqueue_split_pop."""
    s = result(vqsim, so(corpus, "firmware", "BUG_REINIT_NO_RESET"), machine, tmp_path)
    assert s["outcome"] == "timeout"
    assert causes(s) == ["reinit-without-reset", "device-broken"]
    assert "init.step1-reset" in rules(s)
    v = violation(s, "init.step1-reset")
    assert v["message"].startswith(f"Status 0x01 starts the initialisation again while the device "
                                   f"still holds Status {status} from the last one")
    assert "queue 0's next avail index is 6" in v["message"]
    e = cause(s, "reinit-without-reset")["evidence"]
    assert (e["status_before"], e["device_avail_idx_kept"], e["device_used_idx_kept"]) == \
        (status, "6", "6")
    assert int(e["reinit_at_ns"]) == v["time_ns"] < int(e["queue_live_again_at_ns"])
    assert e["avail_idx_in_memory"] == "1"
    assert e["device_avail_idx_now"] == "22"  # 6 + a whole queue (16) taken, then broken
    b = cause(s, "device-broken")["evidence"]
    assert b["broken_by"] == "init.step1-reset"
    assert "Virtqueue size exceeded" in cause(s, "device-broken")["message"]
    assert "avail index 6 to 21" in cause(s, "device-broken")["message"]


def test_linux_rebind_without_reset(vqsim, corpus, tmp_path):
    """Linux's remove forgets virtio_reset_device(): the queues are stopped (QueueReady = 0,
    read back) and set up again on new rings while the device keeps their indices. The Status
    sequence never restarted (add_status keeps bits), yet the cause is named from the queue."""
    s = result(vqsim, so(corpus, "linux", "BUG_REINIT_NO_RESET"), "modern", tmp_path)
    assert s["outcome"] == "timeout"
    assert rules(s) == ["split.avail.idx-no-decrement"]
    assert causes(s) == ["reinit-without-reset", "device-broken"]
    c = cause(s, "reinit-without-reset")
    e = c["evidence"]
    assert (e["device_avail_idx_kept"], e["device_used_idx_kept"], e["avail_idx_in_memory"]) == \
        ("6", "6", "1")
    assert "reinit_at_ns" not in e  # no Status restart to point at
    assert "set queue 0 up again without resetting the device" in c["message"]
    assert "read avail.idx = 0 then" in c["message"]
    # on legacy, QueuePFN = 0 resets the whole device (QEMU): the rebind is clean
    s = result(vqsim, so(corpus, "linux", "BUG_REINIT_NO_RESET"), "legacy", tmp_path)
    assert (s["outcome"], s["violations"]) == ("ok", [])


@pytest.mark.parametrize("machine", ["modern", "legacy"])
def test_firmware_keeps_its_virtqueue_after_the_reset(vqsim, corpus, machine, tmp_path):
    """The hand-over resets the device, and the second probe keeps the virtqueue it has: the
    request goes to a queue the reset forgot. Nothing was queued when the reset came (the splash
    had been answered), so the cause is queue-not-ready at the reset, not reset-while-queued."""
    s = result(vqsim, so(corpus, "firmware", "BUG_KEEP_VQ"), machine, tmp_path)
    assert (s["outcome"], rules(s), causes(s)) == \
        ("timeout", ["init.step7-device-setup"], ["queue-not-ready"])
    c = cause(s, "queue-not-ready")
    e = c["evidence"]
    resets = [x["t"] for x in s["trace"] if x["kind"] == "mmio-write" and x["reg"] == "Status"
              and x["value"] == "0x0"]
    assert len(resets) == 2 and int(e["reset_at_ns"]) == resets[1]  # the hand-over's
    assert e["reset_by"] == "the driver (Status = 0)"
    assert int(e["reset_at_ns"]) < violation(s, "init.step7-device-setup")["time_ns"]
    assert c["message"].startswith(f"Queue 0 was live, but the device was reset at "
                                   f"t={e['reset_at_ns']} ns by the driver")
    q0 = s["queues"][0]
    assert not q0["device"]["ready"] and (q0["avail_idx"], q0["used_idx"]) == (0, 0)


# ---- legacy: QueuePFN without GuestPageSize ------------------------------------------------------

@pytest.mark.parametrize("d", sorted(DRIVERS))
def test_legacy_queue_pfn_without_guest_page_size(vqsim, corpus, d, tmp_path):
    assert result(vqsim, so(corpus, d, "BUG_LEGACY_NO_GPS"), "modern", tmp_path)["outcome"] == "ok"
    s = result(vqsim, so(corpus, d, "BUG_LEGACY_NO_GPS"), "legacy", tmp_path)
    assert s["outcome"] == "timeout"
    assert causes(s) == ["guest-page-size-missing", "device-broken"]
    assert {"mmio.legacy.page-size-first", "split.rings-in-ram"} <= set(rules(s))
    e = cause(s, "guest-page-size-missing")["evidence"]
    pfn = hx(e["QueuePFN"])
    assert e["device_desc"] == e["QueuePFN"]  # the PFN taken as a byte address
    if d in REPORTS:  # it said where its ring is: that, exactly
        assert hx(e["driver_desc"]) == pfn * 4096
        assert "(QueuePFN x 4096" not in cause(s, "guest-page-size-missing")["message"]
    else:  # not told: what it meant is an assumption, and said as one
        assert e["driver_desc"] == f"{hex(pfn * 4096)} (QueuePFN x 4096, if the driver counts 4 KiB pages)"
    assert cause(s, "device-broken")["evidence"]["broken_by"] == "split.rings-in-ram"


# ---- legacy: the used ring at another alignment --------------------------------------------------

def test_used_ring_alignment_hobby_overwrites_its_own_request(vqsim, corpus, tmp_path):
    """The hobby struct: ring in page 0 (used ring packed after the available ring), command
    buffer page-aligned at page 1 — where the device puts its used ring by QueueAlign. Plain
    access, no placement reported: the model still knows the answer went into the driver's
    request, and says which bytes."""
    s = result(vqsim, so(corpus, "hobby", "BUG_USED_ALIGN"), "legacy", tmp_path)
    assert (s["outcome"], rules(s), causes(s)) == \
        ("timeout", ["split.legacy.layout"], ["used-ring-mismatch"])
    ring = hx(s["queues"][0]["device"]["desc"])
    cmd = ring + 0x1000
    assert hx(s["queues"][0]["device"]["used"]) == cmd
    v = violation(s, "split.legacy.layout")
    assert v["message"].startswith(f"queue 0: the driver handed the device a buffer (descriptor 0 "
                                   f"at {hex(cmd)}, 24 bytes, device-readable) that lies on the "
                                   f"used ring the device writes")
    c = cause(s, "used-ring-mismatch")
    e = c["evidence"]
    assert e["driver_used"] == "unknown"
    assert e["overwrote_buffer"] == f"descriptor 0: {hex(cmd)}, 24 bytes, device-readable"
    assert e["overwritten_with"] == (f"used.idx (2 bytes at {hex(cmd + 2)}) and the used element "
                                     f"(8 bytes at {hex(cmd + 4)})")
    assert "the driver's own request" in c["message"]
    assert "vqsim does not know" in c["message"]  # where its used ring is: not asserted
    assert s["memory_outside_buffers"]["state"] == "untouched"  # inside its allocation


@pytest.mark.parametrize("d", ["rcore", "linux", "firmware"])
def test_used_ring_alignment_64(vqsim, corpus, d, tmp_path):
    """Used ring at align_up(desc + avail, 64) = ring + 0x140; the device's at ring + 0x1000."""
    s = result(vqsim, so(corpus, d, "BUG_USED_ALIGN"), "legacy", tmp_path)
    assert (s["outcome"], causes(s)) == ("timeout", ["used-ring-mismatch"])
    ring = hx(s["queues"][0]["device"]["desc"])
    e = cause(s, "used-ring-mismatch")["evidence"]
    assert (hx(e["device_used"]), hx(e["driver_used"])) == (ring + 0x1000, ring + 0x140)
    assert hx(e["used_element_at"]) == ring + 0x1004 and e["device_used_idx"] == "1"
    if d in PLAIN:  # the driver's loads are not seen: the rule is not judged, and said so
        assert rules(s) == []
        assert {n["rule"]: n["judged"] for n in s["not_judged"]}["split.legacy.layout"] == "partly"
    else:  # its first load outside the device's used ring: avail_event at ring + 0x1c4
        assert rules(s) == ["split.legacy.layout"]
        assert violation(s, "split.legacy.layout")["message"].startswith(
            f"the driver read ring memory at {hex(ring + 0x1c4)}, outside every used ring")
        assert int(e["driver_polls"]) > 0 and e["driver_saw_used_idx"] == "0"


# ---- one kick skipped after earlier notifies -----------------------------------------------------

@pytest.mark.parametrize("d,rule", [("hobby", "split.availnotif.flags0-must-notify"),
                                    ("linux", "split.availnotif.event-idx-must-notify"),
                                    ("rcore", "split.availnotif.event-idx-must-notify"),
                                    ("firmware", "split.availnotif.event-idx-must-notify")])
def test_kick_skipped_after_earlier_notifies(vqsim, corpus, d, rule, tmp_path):
    """The fourth command is published and never notified: found in every wait style — the
    driver sleeps until the interrupt (linux), polls with rmb() + now_ns() (hobby), spins on
    load + rmb with a spin hint (rcore), polls with udelay() (firmware) — and the cause counts
    the notifies there were (3) instead of saying there were none."""
    for machine in ("modern", "legacy"):
        s = result(vqsim, so(corpus, d, "BUG_SKIP_KICK"), machine, tmp_path)
        assert (s["outcome"], rules(s), causes(s)) == ("timeout", [rule], ["no-notify"])
        e = cause(s, "no-notify")["evidence"]
        assert (e["notifies_for_queue"], e["avail_idx_at_last_notify"], e["avail_idx_in_memory"],
                e["device_avail_idx_seen"], e["requests_not_notified"]) == ("3", "3", "4", "3", "1")
        assert int(e["last_notify_at_ns"]) < int(e["avail_idx_stored_at_ns"])
        v = violation(s, rule)
        assert "avail.idx moved from 3 to 4" in v["message"]
        # judged when the driver started waiting, right after its store, not at its deadline
        assert int(e["avail_idx_stored_at_ns"]) <= v["time_ns"] < int(e["avail_idx_stored_at_ns"]) + 5000


# ---- a command the device refuses ------------------------------------------------------------------

@pytest.mark.parametrize("d,rid", [("hobby", 1), ("rcore", 0xbabe)])
def test_duplicate_resource_is_explained(vqsim, corpus, d, rid, tmp_path):
    for machine in ("modern", "legacy"):
        s = result(vqsim, so(corpus, d, "BUG_DUP_RESOURCE"), machine, tmp_path)
        assert (s["outcome"], rules(s), causes(s)) == ("device-error", [], ["command-refused"])
        e = cause(s, "command-refused")["evidence"]
        assert (e["command"], e["response"], e["resource"], e["errors_answered"]) == \
            ("RESOURCE_CREATE_2D", "ERR_INVALID_RESOURCE_ID", str(rid), "1")
        assert e["reason"] == f"resource {rid} already exists (created earlier and not unreferenced)"


# ---- a looped chain: which descriptor links back, which store made it ------------------------------

def test_loop_says_which_link_and_which_store(vqsim, corpus, tmp_path):
    for machine in ("modern", "legacy"):
        s = result(vqsim, so(corpus, "firmware", "BUG_LOOP"), machine, tmp_path)
        assert (s["outcome"], rules(s), causes(s)) == \
            ("timeout", ["split.desc.no-loops"], ["device-broken"])
        v = violation(s, "split.desc.no-loops")
        m = re.fullmatch(r"queue 0: chain from head 0 has more than 16 descriptors: it loops: "
                         r"descriptor 2 links back to descriptor 1 \(desc\[2\]\.next = 1, NEXT "
                         r"set\); the driver stored it between t=(\d+) and (\d+) ns \(plain ring "
                         r"access: seen at the hook call that ended that epoch\)", v["message"])
        assert m, v["message"]
        assert int(m.group(1)) < int(m.group(2)) < v["time_ns"]


# ---- the event index moved by the device ---------------------------------------------------------

def test_device_event_index_fault_blames_the_device(vqsim, corpus, tmp_path):
    """The device publishes avail_event = 100 past what it took: the Linux-style driver obeys
    (no kick), no rule fires, and the diagnosis blames the device."""
    s = result(vqsim, so(corpus, "linux"), "event-index", tmp_path)
    assert (s["outcome"], rules(s), causes(s)) == ("timeout", [], ["device-fault"])
    e = cause(s, "device-fault")["evidence"]
    q0 = s["queues"][0]
    assert (e["fault"], e["request"], e["event_index_written"]) == ("event-index", "3", "103")
    assert hx(e["event_index_at"]) == hx(q0["device"]["used"]) + 4 + 8 * 16


def test_device_used_event_fault(vqsim, corpus, tmp_path):
    """The device writes used_event = 1000 over the driver's when it takes the third request: it
    then raises no interrupt for that answer (used.idx 2 -> 3 does not pass 1000). The sleeping
    Linux-style driver hangs, and the diagnosis says the value was the device's own, not that
    the driver forgot it; the spinning rcore-style driver never needed the interrupt."""
    s = result(vqsim, so(corpus, "linux"), "used-event", tmp_path)
    assert (s["outcome"], rules(s), causes(s)) == \
        ("timeout", [], ["device-fault", "interrupt-suppressed"])
    e = cause(s, "device-fault")["evidence"]
    q0 = s["queues"][0]
    used_event_at = hx(q0["device"]["avail"]) + 4 + 2 * 16
    assert (e["fault"], e["request"], e["event_index_written"]) == ("event-index", "3", "1000")
    assert hx(e["event_index_at"]) == used_event_at
    c = cause(s, "interrupt-suppressed")
    i = c["evidence"]
    assert (i["used_event"], hx(i["used_event_at"]), i["device_used_idx"]) == \
        ("1000", used_event_at, "3")
    assert i["used_event_written_by"] == f"the device (event-index fault, t={e['at_ns']} ns)"
    assert "which used.idx has not reached (this answer moved it from 2 to 3)" in c["message"]
    assert "write used_event = the used index you wait for" not in c["message"]  # no blame
    s = result(vqsim, so(corpus, "rcore"), "used-event", tmp_path)
    assert (s["outcome"], s["violations"], s["diagnosis"]) == ("ok", [], None)


def test_event_index_wrap(vqsim, corpus, tmp_path):
    """65,538 requests: avail.idx wraps from 0xffff to 0. vring_need_event's 16-bit arithmetic
    kicks there; `avail_idx > avail_event` as plain numbers does not."""
    s = result(vqsim, corpus / "rcore-wrap.so", "fast", tmp_path)
    assert (s["outcome"], s["violations"]) == ("ok", [])
    assert s["queues"][0]["avail_idx"] == 65538 % 65536
    s = result(vqsim, corpus / "rcore-wrap-bug.so", "fast", tmp_path)
    assert (s["outcome"], causes(s)) == ("timeout", ["no-notify"])
    assert rules(s) == ["split.availnotif.event-idx-must-notify"]
    assert violation(s, "split.availnotif.event-idx-must-notify")["message"] == (
        "queue 0: missed kick: avail.idx moved from 65535 to 0 past avail_event = 65535, and the "
        "driver waits without notifying")
    e = cause(s, "no-notify")["evidence"]
    assert (e["notifies_for_queue"], e["avail_idx_at_last_notify"], e["avail_idx_in_memory"]) == \
        ("65535", "65535", "0")
    assert s["trace_dropped"] > 0


# ---- a run past the trace bound keeps its counts ---------------------------------------------------

def test_long_run_past_the_trace_bound(vqsim, corpus, tmp_path):
    """70,003 commands, the last one never notified: the trace keeps only its newest events
    (trace_dropped), yet the diagnosis counts every notify (70,002) from the run's facts."""
    s = result(vqsim, corpus / "hobby-long.so", "modern", tmp_path)
    assert s["trace_dropped"] > 1_000_000
    assert (s["outcome"], causes(s)) == ("timeout", ["no-notify"])
    e = cause(s, "no-notify")["evidence"]
    assert (e["notifies_for_queue"], e["avail_idx_in_memory"], e["avail_idx_at_last_notify"],
            e["requests_not_notified"]) == ("70002", str(70003 % 65536), str(70002 % 65536), "1")
    assert "notified queue 0 70002 time(s)" in cause(s, "no-notify")["message"]
    q0 = s["queues"][0]
    assert (q0["avail_idx"], q0["used_idx"]) == (70002 % 65536, 70002 % 65536)


# ---- several pinned buffers ------------------------------------------------------------------------

def test_place_pins_several_buffers(vqsim, corpus, tmp_path):
    """The Linux-style driver allocates its command buffer, then its response buffer: a log's
    two fixed addresses pin them both."""
    s = result(vqsim, so(corpus, "linux"), "pinned", tmp_path)
    assert s["outcome"] == "ok"
    addrs = [hx(e["value"]) for e in s["trace"]
             if e["kind"] == "ring-store" and e.get("what") == "desc.addr"]
    assert {0x40600000, 0x40600100, 0x40601000} <= set(addrs)  # header, body, response


# ---- the library and `vqsim run --driver` agree -----------------------------------------------------

@pytest.fixture(scope="session")
def host(prefix, tmp_path_factory):  # noqa: F811 (prefix is test_library's fixture)
    """tests/foreign/host_run.c built against the installed library."""
    def make(top):
        env = dict(os.environ, PKG_CONFIG_PATH=str(libdir(prefix) / "pkgconfig"))
        flags = sh("pkg-config", "--cflags", "--libs", "vqsim", env=env).stdout.split()
        sh("cc", "-std=c11", "-Wall", "-Werror", FOREIGN / "host_run.c", "-o", top / "host_run",
           *flags, "-ldl")
    return once(tmp_path_factory, "corpus-host", make) / "host_run", libdir(prefix)


@pytest.mark.parametrize("d", sorted(DRIVERS))
def test_library_and_run_driver_give_the_same_results(vqsim, corpus, host, d, tmp_path):
    exe, lib = host
    env = dict(os.environ, LD_LIBRARY_PATH=str(lib))
    for b in [None] + BUGS[d]:
        for machine in ("modern", "legacy"):
            a = result(vqsim, so(corpus, d, b), machine, tmp_path)
            out = tmp_path / "lib.json"
            p = subprocess.run([str(exe), str(so(corpus, d, b)), str(M / f"{machine}.yaml"),
                                str(out)], capture_output=True, text=True, env=env, cwd=ROOT,
                               timeout=120)
            assert p.returncode == (0 if a["outcome"] == "ok" else 1), p.stderr
            assert json.loads(out.read_text())["scenarios"][0] == a, (d, b, machine)


# ---- the built-in driver replaying the same mistake ---------------------------------------------------

def template(msg):
    """A message with its numbers and addresses masked: the wording alone."""
    return re.sub(r"0x[0-9a-f]+|\d+", "N", msg)


# (driver, bug, machine) -> the scenario in which the built-in driver replays that mistake
SAME_MISTAKE = [
    ("hobby", "BUG_ZERO_LEN", "modern", "scenarios/rules/split-desc-zero-length.yaml"),
    ("linux", "BUG_NO_USED_EVENT", "modern", "scenarios/hangs/interrupt-suppressed-by-used-event.yaml"),
    ("rcore", "BUG_RESET_NO_WAIT", "modern", "scenarios/rules/init-reset-read-back.yaml"),
    ("linux", "BUG_LEGACY_NO_GPS", "legacy", "scenarios/hangs/legacy-guest-page-size-missing.yaml"),
    ("rcore", "BUG_USED_ALIGN", "legacy", "scenarios/legacy-used-ring-misaligned.yaml"),
    ("firmware", "BUG_REINIT_NO_RESET", "modern", "scenarios/hangs/reinit-without-reset.yaml"),
    ("hobby", "BUG_SKIP_KICK", "modern", "scenarios/hangs/notify-skipped-after-earlier.yaml"),
    ("hobby", "BUG_DUP_RESOURCE", "modern", "scenarios/hangs/command-refused.yaml"),
    ("linux", "BUG_NO_KICK_MB", "modern-weak", "scenarios/barriers/drop-mb-notify-event-idx-weak.yaml"),
]


@pytest.mark.parametrize("d,b,machine,scenario", SAME_MISTAKE,
                         ids=[f"{d}-{b}" for d, b, _, _ in SAME_MISTAKE])
def test_same_mistake_same_verdict_as_the_builtin_driver(vqsim, corpus, d, b, machine, scenario,
                                                         tmp_path):
    f = result(vqsim, so(corpus, d, b), machine, tmp_path)
    out = tmp_path / "b.json"
    run(vqsim, "run", "--json", out, scenario)
    bi = json.loads(out.read_text())["scenarios"][0]
    assert bi["passed"], bi["failures"]
    assert causes(f) == causes(bi)
    # the rules of the mistake (each run may add what its own driver does besides)
    mistake = set(rules(bi)) - {"mmio.no-queue-regs-while-ready"}
    assert mistake <= set(rules(f)), (rules(f), rules(bi))
    for cf, cb in zip(f["diagnosis"]["causes"] if f["diagnosis"] else [],
                      bi["diagnosis"]["causes"] if bi["diagnosis"] else []):
        # the same evidence, but for what only one side can know (where a driver polls, what
        # it told of its rings, which Status it restarted from)
        only = {"driver_polls", "driver_saw_used_idx", "reinit_at_ns", "status_before",
                "barrier_violation", "reordering", "ignored_register"}
        assert set(cf["evidence"]) - only == set(cb["evidence"]) - only, cf["cause"]
        assert (cf["section"], cf["title"]) == (cb["section"], cb["title"])
        if cf["cause"] not in ("guest-page-size-missing", "reinit-without-reset"):
            assert template(cf["message"]) == template(cb["message"]), cf["cause"]
    for rule in mistake:
        if rule in ("split.desc.zero-length", "init.reset-read-back", "init.step1-reset",
                    "split.availnotif.flags0-must-notify",
                    "split.availnotif.event-idx-must-notify"):
            assert template(violation(f, rule)["message"]) == \
                template(violation(bi, rule)["message"]), rule
