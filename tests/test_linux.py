"""A real Linux guest checks clean, and every finding on it is true.

Debian's own arm64 kernel and its virtio modules (tools/linux-guest.py fetches them through a
private apt state under the build directory, once; tests/linux/init.sh is the guest's /init) run
under QEMU 7.2, are recorded by `vqsim record` and checked by `vqsim check`, in four cases:

  modern   a virtio-gpu on a version 2 (modern) transport: Linux's driver binds, the framebuffer
           console comes up at QEMU's 1280x800 and shows text
  legacy   the same device on QEMU's default version 1 transport: Linux's gpu driver needs
           VERSION_1, refuses the device and sets FAILED — no rule broken, the refusal reported
  multi    the gpu beside a virtio-rng, a virtio-blk, a virtio-keyboard and a virtio-net: entropy
           and disk reads return data, the keyboard is bound, the network gets a DHCP lease and
           its pings answered through QEMU's user network
  busy     four vCPUs, the framebuffer console kept busy with text for 10 s
  pci      the gpu as a virtio-pci function (-device virtio-gpu-pci) after a virtio-rng-pci: its
           configuration space and BARs recorded and decoded through the model's PCI function,
           the rng's skipped (its controls: tests/test_linux_pci.py)

Before judging vqsim, each test checks that the guest did its part (markers on the serial
console: the driver bound or refused, the framebuffer's mode, the bytes read), so a broken guest
cannot pass for a clean check. Then: `vqsim check` exits 0, outcome ok, no violation, no
model-vs-recording discrepancy, and exactly the informational findings that are true of Linux
(it reads VirtIO 1.2's shared-memory registers; the legacy case refuses the device).

Negative controls: the same recordings mutated — the barrier before one avail.idx store dropped,
one QueueNotify dropped, the used ring the guest polls moved — must fire the matching rule or cause:
a checker silent on Linux must not be silent on everything.

Each case is recorded once here; `make stress-linux` (VQSIM_LINUX_RUNS=5) records each five
times and requires every run clean and every control on it to fire: the vCPUs' interleaving and the kernel's addresses (KASLR)
differ from run to run. Needs qemu-system-aarch64, apt-get and network access for the first run
(the downloads are cached in build/linux-guest); skipped, saying why, only without QEMU."""
import fcntl
import hashlib
import itertools
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
import vqrec  # noqa: E402
from linux_cases import BUSY_SECONDS, CASES, markers, qemu_command  # noqa: E402,F401

RUNS = int(os.environ.get("VQSIM_LINUX_RUNS", "1"))
GPU = 0x0010
NOTIFY, QUEUE_SEL, QUEUE_DESC_LO, QUEUE_DRIVER_LO, QUEUE_DEVICE_LO = 0x050, 0x030, 0x080, 0x090, 0x0a0
STATUS = 0x070


def build_dir():
    return vqsim_path().parent


@pytest.fixture(scope="session")
def guest():
    """The kernel, initramfs and disk (tools/linux-guest.py), made once for all workers."""
    if not shutil.which("qemu-system-aarch64"):
        pytest.skip("qemu-system-aarch64 is missing (tools/setup-deps.sh installs it)")
    if not (build_dir() / "libvqrec.so").exists():
        pytest.fail(f"{build_dir() / 'libvqrec.so'} is missing: make build")
    d = build_dir() / "linux-guest"
    d.mkdir(parents=True, exist_ok=True)
    with open(d.parent / "linux-guest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers: one fetch and build
        p = subprocess.run([sys.executable, str(ROOT / "tools" / "linux-guest.py"), "--dir",
                            str(d), "--json"], capture_output=True, text=True, timeout=1800)
    assert p.returncode == 0, "tools/linux-guest.py failed (needs network the first time):\n" + \
        p.stderr[-3000:]
    return json.loads(p.stdout)


def record(g, case, out):
    p = subprocess.run([str(vqsim_path()), "record", "-o", str(out), "--timeout", "240", "--",
                        *qemu_command(g, case)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"vqsim record failed ({p.returncode}):\n{p.stderr[-3000:]}"
    return p.stdout


def guest_did_its_part(g, case, serial):
    """What the guest must have shown on its serial console before its recording is judged."""
    m = markers(serial)
    assert m and m[0].startswith("start kernel=") and m[-1] == "done", serial[-3000:]
    assert f"cpus={4 if case == 'busy' else 1}" in m[0]
    for mod in g["modules"]:
        assert f"insmod {mod} ok" in m, (mod, m)
    gpu = [x for x in m if x.startswith("device ") and f"id=0x{GPU:04x}" in x]
    assert len(gpu) == 1, m
    if case == "legacy":
        # the driver refused the device: not bound, FAILED in its status (0x80)
        assert "driver=none" in gpu[0] and "gpu unbound" in m, m
        status = int(re.search(r"status=(0x[0-9a-f]+)", gpu[0]).group(1), 16)
        assert status & 0x80 and not status & 0x04, gpu[0]
        return
    assert "driver=virtio_gpu" in gpu[0] and "status=0x0000000f" in gpu[0], gpu[0]
    assert "fb fb0 name=virtio_gpudrmfb size=1280,800" in m, m  # QEMU's default mode
    assert any(re.fullmatch(r"drm-mode card0-\S+ 1280x800 status=connected", x) for x in m), m
    assert "fbcon wrote 20 lines" in m, m
    if case == "busy":
        n = next(int(x.split()[2]) for x in m if x.startswith("busy wrote "))
        assert n >= 20, m  # the console kept drawing
    if case in ("multi", "pci"):
        rng = next(x for x in m if x.startswith("rng "))
        assert "current=virtio_rng.0" in rng and "bytes=256" in rng, rng
        head = re.search(r"head=([0-9a-f]{32})$", rng).group(1)
        assert head != "0" * 32, rng
    if case == "multi":
        disk = open(g["disk"], "rb").read()
        blk = next(x for x in m if x.startswith("blk "))
        assert blk == f"blk sectors={len(disk) // 512} sha256={hashlib.sha256(disk).hexdigest()}"
        kbd = next(x for x in m if x.startswith("input "))
        assert 'name="QEMU Virtio Keyboard" driver=virtio_input' in kbd, kbd
        # the network: link up, a lease from QEMU's DHCP server, every ping of the gateway
        # answered (tests/linux/init.sh), QEMU's default mac
        net = next(x for x in m if x.startswith("net "))
        assert re.match(r"net eth0 mac=52:54:00:12:34:56 driver=virtio_net lease=10\.0\.2\.15 "
                        r"ping=3/3 rx=\d+ tx=\d+$", net), net


def check_doc(path, *extra):
    """`vqsim check` on a recording: the process and the whole JSON document (None without
    one), written to a file of this call's own (pytest-xdist workers check one recording at
    once)."""
    out = path.with_name(f"{path.stem}-{os.getpid()}-{next(CHECKS)}.json")
    p = subprocess.run([str(vqsim_path()), "check", "--json", str(out), *extra, str(path)],
                       capture_output=True, text=True, timeout=600)
    doc = json.loads(out.read_text()) if out.exists() else None
    return p, doc


CHECKS = itertools.count()


def check(path, *extra):
    p, doc = check_doc(path, *extra)
    return p, (doc["scenarios"][0] if doc else None)


# Informational findings that are true of Linux 6.1 (and not violations): its virtio_gpu_init
# looks for a shared memory region through VirtIO 1.2's registers (SHMSel written, SHMLen read:
# QEMU 7.2 answers all ones, "none"); on a legacy device it refuses the device.
LATER = {"SHMSel", "SHMLenLow", "SHMLenHigh"}


def gpu_notifies(path):
    """QueueNotify writes of the gpu's queue 0 in a recording (what the check had to judge); on
    virtio-pci, the writes to queue 0's notify address."""
    r = Recording(path)
    if any(r.ev(i)["kind"] == "PCI_ECAM" for i in range(len(r.events))):
        from test_linux_pci import pci_gpu  # noqa: E402 (the PCI case's helpers)
        evs, bar, _ = pci_gpu(r)
        return sum(1 for e in evs if e["kind"] == "MMIO_WRITE" and e["addr"] == bar + 0x3000)
    evs, win, _, _ = r.gpu()
    return sum(1 for e in evs if e["kind"] == "MMIO_WRITE" and e["addr"] == win + NOTIFY and
               e["value"] == 0)


def judge_clean(case, p, s):
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert s["passed"] and s["outcome"] == "ok", (s["outcome"], s["failures"])
    assert s["violations"] == [], [v["message"] for v in s["violations"]]
    src = s["source"]
    assert src["discrepancies"] == 0, src["notes"]
    assert src["ended"] and src["exit_status"] == 0 and not src["killed"] and not src["truncated"]
    info = s["informational"]
    if case == "legacy":
        assert [i["rule"] for i in info] == ["status.driver-failed"], info
        msg = info[0]["message"]
        assert "refused the device" in msg and "VIRTIO_F_VERSION_1" in msg, msg
        assert re.search(r"Status 0x00 -> 0x01 -> 0x03 -> 0x83\b", msg), msg
        assert s["device"]["version"] == 1
        return
    if case == "pci":  # its shared-memory search walks the capability list: no register
        assert info == [] and s["device"]["bus"] == "pci", info
    else:
        assert {i["rule"] for i in info} == {"mmio.later-version-register"}, info
        assert {re.search(r": (\w+), a register", i["message"]).group(1) for i in info} == LATER
    assert s["device"]["version"] == 2
    # the check saw the traffic it judged (the gpu's queues are reset at power-off: counted
    # from what was replayed)
    r = src["replayed"]
    assert r["stores"] > 100 and r["loads"] > 100 and r["memory_dumps"] > 20, r
    assert s["device"]["display"] == {"width": 1280, "height": 800}
    if case in ("multi", "pci"):  # multi: rng, blk and input left out of the gpu's replay (each
        assert r["other_devices"] > 0 and r["other_windows"] > 0, r  # checked on its own:
        # test_linux_devices); pci: the rng-pci function left out
    if case == "busy":
        assert src["vcpus"] == 4


@pytest.fixture(scope="session")
def recordings(guest, tmp_path_factory):
    """One recording per case and run, made on first use and shared by all pytest-xdist workers
    (the negative controls mutate the clean tests' recordings)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's directory, above each worker's
    d = root / "linux-recordings"
    d.mkdir(exist_ok=True)

    def get(case, run=0):
        rec, serial = d / f"{case}-{run}.vqrec", d / f"{case}-{run}.serial"
        with open(d / f"{case}-{run}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not serial.exists():
                serial.write_text(record(guest, case, rec))
        return rec, serial.read_text()
    return get


@pytest.mark.parametrize("run", range(RUNS))
@pytest.mark.parametrize("case", CASES)
def test_linux_checks_clean(guest, recordings, case, run):
    rec, serial = recordings(case, run)
    guest_did_its_part(guest, case, serial)
    p, s = check(rec)
    assert s, p.stderr
    judge_clean(case, p, s)
    # the guest's memory is its own: with no allocation known, "outside the driver's buffers"
    # is not judged (every byte the guest ever wrote used to count as "changed")
    assert s["memory_outside_buffers"]["state"] == "not-judged", s["memory_outside_buffers"]
    if case != "legacy":  # the display was drawn: many requests (a busy one: hundreds)
        assert gpu_notifies(rec) >= (100 if case == "busy" else 10)
    # the plugin's page cache (src/record/plugin/va_cache.h) resolved most accesses and agreed
    # with QEMU on every one it had QEMU resolve again
    cache = next(vqrec.text(e) for e in vqrec.read(rec)[1]
                 if e["kind"] == "NOTE" and "resolved by the page cache" in vqrec.text(e))
    hits, lookups = map(int, re.match(r"vqrec: (\d+) of (\d+) accesses", cache).groups())
    assert " 0 disagreement(s) with QEMU" in cache and hits > 0.9 * lookups, cache


def test_readme_example_runs_as_written(guest, tmp_path):
    """README "Check your kernel in QEMU": its commands, as written (paths to this build), pass."""
    text = (ROOT / "README.md").read_text()
    block = text[text.index("<!-- readme-example:begin"):text.index("<!-- readme-example:end")]
    script = block[block.index("```sh\n") + 6:block.rindex("```")]
    build = build_dir()
    script = script.replace("tools/", f"{ROOT}/tools/").replace("build/", f"{build}/")
    if build != ROOT / "build":  # the guest lives in this build's directory
        script = script.replace("linux-guest.py ", f"linux-guest.py --dir {build}/linux-guest ", 1)
    p = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True,
                       text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    line = next(l for l in p.stdout.splitlines() if l.startswith(("PASS", "FAIL")))
    assert line.split() == ["PASS", "run", "ok", "info=mmio.later-version-register"], line
    assert "1 clean, 0 with findings" in p.stdout
    assert "VQTEST done" in p.stdout  # the guest ran to its end
    assert (tmp_path / "run.vqrec").exists()


# ---- negative controls: mutated Linux recordings ------------------------------------------------

CONTROLLED = ["modern", "multi", "busy"]  # the cases with gpu traffic (one vCPU, several devices,
                                          # four vCPUs)

class Recording:
    """A recording as a list of raw events, to mutate and write back."""

    def __init__(self, path):
        data = vqrec.plain(path.read_bytes())
        hsize = struct.unpack_from("<I", data, 12)[0]
        self.header, self.events = data[:hsize], []
        pos = hsize
        while pos + 32 <= len(data):
            ln = struct.unpack_from("<I", data, pos + 4)[0]
            end = pos + 32 + ((ln + 7) & ~7)
            self.events.append(bytearray(data[pos:end]))
            pos = end

    def ev(self, i):
        kind, size, flags, cpu, ln, addr, value, pc = struct.unpack_from("<BBBBIQQQ",
                                                                         self.events[i])
        return dict(kind=vqrec.KINDS.get(kind, kind), size=size, flags=flags, cpu=cpu, addr=addr,
                    value=value, pc=pc, payload=bytes(self.events[i][32:32 + ln]))

    def set(self, i, **kw):
        e = self.ev(i)
        e.update(kw)
        struct.pack_into("<QQ", self.events[i], 8, e["addr"], e["value"])

    def write(self, path):
        path.write_bytes(vqrec.deflated(self.header + b"".join(self.events)))

    def gpu(self):
        """The gpu's window and queue 0's available and used rings, from the register writes."""
        evs = [self.ev(i) for i in range(len(self.events))]
        win = next(e["addr"] - 8 for e in evs
                   if e["kind"] == "MMIO_READ" and e["addr"] & 0x1ff == 8 and e["value"] == GPU)
        sel, regs = 0, {}
        for e in evs:
            if e["kind"] == "MMIO_WRITE" and e["addr"] & ~0x1ff == win:
                off = e["addr"] - win
                if off == QUEUE_SEL:
                    sel = e["value"]
                elif sel == 0 and off in (QUEUE_DESC_LO, QUEUE_DRIVER_LO, QUEUE_DEVICE_LO):
                    regs[off] = e["value"]
        self.desc = regs[QUEUE_DESC_LO]
        return evs, win, regs[QUEUE_DRIVER_LO], regs[QUEUE_DEVICE_LO]


def mutated(recordings, tmp_path, case, run, mutate):
    rec, _ = recordings(case, run)
    r = Recording(rec)
    what = mutate(r)
    out = tmp_path / f"{case}-mutated.vqrec"
    r.write(out)
    p, s = check(out)
    assert s, p.stderr
    return p, s, what


def drop_barrier_before_avail_idx(r):
    """The barrier (a write barrier, dmb ishst) just before one avail.idx store of queue 0,
    about half way through: a driver built without that virtio_wmb."""
    evs, _, avail, _ = r.gpu()
    return drop_barrier_before_store(r, evs, avail + 2)


def drop_barrier_before_store(r, evs, addr):
    """Delete the barrier just before one store to `addr` (about half way through); return the
    value that store wrote."""
    stores = [i for i, e in enumerate(evs) if e["kind"] == "STORE" and e["addr"] == addr]
    for i in stores[len(stores) // 2:]:
        # the same vCPU's barrier right before it, after its previous recorded access
        j = i - 1
        while j > 0 and evs[j]["cpu"] != evs[i]["cpu"]:
            j -= 1
        if evs[j]["kind"] == "BARRIER":
            del r.events[j]
            return evs[i]["value"]
    raise AssertionError(f"no barrier before a store to {addr:#x}")


@pytest.mark.parametrize("run", range(RUNS))
@pytest.mark.parametrize("case", CONTROLLED)
def test_control_dropped_barrier_fires_pairing_a(recordings, tmp_path, case, run):
    p, s, idx = mutated(recordings, tmp_path, case, run, drop_barrier_before_avail_idx)
    assert p.returncode == 1
    rules = [v["rule"] for v in s["violations"]]
    assert rules == ["split.avail.idx-barrier"], rules
    assert f"avail.idx = {idx} stored with no write barrier" in s["violations"][0]["message"]


def end_here(r, i, killed=True):
    """Cut the recording before event i, and end it as `vqsim record --timeout` ends a guest that
    hangs: QEMU stopped by the time bound."""
    end = next(e for e in reversed(r.events) if e[0] == 9)  # VQREC_END
    end = bytearray(end)
    end[2] = 1 if killed else 0  # VQREC_END_KILLED
    del r.events[i:]
    r.events.append(end)


def drop_one_notify(r):
    """One QueueNotify of queue 0 half way through (with QEMU's trace of it and the buffers dumped
    at it): a driver that skipped a kick it needed (Linux kicks only when avail_event says so).
    Without the kick QEMU's device would not have looked: the recording ends there, the guest
    waiting, as `vqsim record --timeout` ends a hang. The notify chosen is of a request made with
    every earlier one seen answered (else the cut leaves those in flight too, and the diagnosis
    explains the earliest of them)."""
    evs, win, avail, used = r.gpu()
    avail_event = used + 4 + 8 * 1024  # a 1024-entry queue (QueueNumMax)

    def decision(i):  # the notifying vCPU's access before it: its read of avail_event
        k = i - 1
        while k > 0 and (evs[k]["cpu"] != evs[i]["cpu"] or evs[k]["kind"] == "BARRIER"):
            k -= 1
        return k if evs[k]["kind"] == "LOAD" and evs[k]["addr"] == avail_event else None

    # the requests made while the ring was idle (every published chain seen answered): their
    # first ring store's index
    idle_starts, published, seen, busy = [], 0, 0, False
    for k, e in enumerate(evs):
        if e["kind"] == "LOAD" and e["addr"] == used + 2:
            seen = e["value"]
            busy = busy and seen != published
        elif e["kind"] == "STORE" and (avail <= e["addr"] < avail + 4 + 2 * 1024 or
                                       r.desc <= e["addr"] < r.desc + 16 * 1024):
            if not busy and seen == published:
                idle_starts.append(k)
            busy = True
            if e["addr"] == avail + 2:
                published = e["value"]
    notifies = [i for i, e in enumerate(evs) if e["kind"] == "MMIO_WRITE" and
                e["addr"] == win + NOTIFY and e["value"] == 0]
    prev = {i: max([n for n in notifies if n < i], default=0) for i in notifies}
    i = next(i for i in notifies[len(notifies) // 2:] if decision(i) is not None and
             any(prev[i] < k < i for k in idle_starts))
    # QEMU's trace of this write (logged while it ran, so before the plugin's callback for it:
    # anywhere after the decision) and all QEMU did after it go: cut at the first of them
    first = next((k for k in range(decision(i) + 1, i) if evs[k]["kind"] == "DEVICE"), i)
    end_here(r, first)
    return evs[i]


@pytest.mark.parametrize("run", range(RUNS))
@pytest.mark.parametrize("case", CONTROLLED)
def test_control_dropped_notify_is_a_hang_without_notify(recordings, tmp_path, case, run):
    p, s, _ = mutated(recordings, tmp_path, case, run, drop_one_notify)
    assert p.returncode == 1
    assert s["outcome"] == "timeout", (s["outcome"], s["violations"])
    assert s["diagnosis"]["cause"] == "no-notify", s["diagnosis"]
    # and the rule the driver broke: its avail_event read said a notify was needed
    assert [v["rule"] for v in s["violations"]] == ["split.availnotif.event-idx-must-notify"], \
        s["violations"]


def last_kick(evs, win):
    """The index of the last QueueNotify write to the device at `win` before its last reset
    (Status = 0), of that reset, and of QEMU's notify line before the kick."""
    reset = max(i for i, e in enumerate(evs) if e["kind"] == "MMIO_WRITE" and
                e["addr"] == win + STATUS and e["value"] == 0)
    kick = max(i for i in range(reset) if evs[i]["kind"] == "MMIO_WRITE" and
               evs[i]["addr"] == win + NOTIFY)
    line = max(i for i in range(kick) if evs[i]["kind"] == "DEVICE" and
               b"virtio_queue_notify" in evs[i]["payload"])
    return kick, reset, line


def power_off_in_flight(r, taken):
    """The gpu's last kick before its power-off reset, made the race of tests/test_power_off.py:
    the guest resets the gpu before its interrupt handler looks at the answers (every guest
    access between the kick and the reset dropped) and, unless `taken`, before QEMU's device ran
    the notify (its pops, fills, flushes and interrupts after its notify line dropped too)."""
    evs, win, _, _ = r.gpu()
    kick, reset, line = last_kick(evs, win)
    guest = {"LOAD", "STORE", "MMIO_READ", "MMIO_WRITE", "BARRIER"}
    drop = {i for i in range(kick + 1, reset - 1) if evs[i]["kind"] in guest}
    if not taken:
        drop |= {i for i in range(line + 1, reset) if evs[i]["kind"] == "DEVICE"}
    r.events = [e for i, e in enumerate(r.events) if i not in drop]


@pytest.mark.parametrize("taken", [True, False], ids=["answered-unread", "untaken"])
@pytest.mark.parametrize("case", ["modern", "multi"])  # one vCPU: the kick and reset are its own
def test_power_off_with_requests_in_flight_is_clean(recordings, tmp_path, case, taken):
    p, s, _ = mutated(recordings, tmp_path, case, 0, lambda r: power_off_in_flight(r, taken))
    judge_clean(case, p, s)
    assert re.search(r"; queue 0: \d+ request\(s\) abandoned at a reset$",
                     s["steps"][0]["detail"]), s["steps"][0]["detail"]


def move_polled_used_ring(r):
    """The guest reads its used ring elsewhere than QueueDevice says (4 KiB further, inside the
    device's 1024-entry ring but past every element it writes before the cut, and never into
    another ring: Linux lays the next queue's rings right after this one's): the first request's
    answer is never seen.
    The guest's first read of used.idx after the first notify moves there and sees 0; the
    recording ends there, the guest waiting, as `vqsim record --timeout` ends a hang."""
    evs, win, _, used = r.gpu()
    first_notify = next(i for i, e in enumerate(evs) if e["kind"] == "MMIO_WRITE" and
                        e["addr"] == win + NOTIFY)
    i = next(i for i, e in enumerate(evs) if i > first_notify and e["kind"] == "LOAD" and
             e["addr"] == used + 2)
    moved = used + 0x1000
    r.set(i, addr=moved + 2, value=0)
    end_here(r, i + 1)
    return used, moved


@pytest.mark.parametrize("run", range(RUNS))
@pytest.mark.parametrize("case", CONTROLLED)
def test_control_moved_used_ring_is_used_ring_mismatch(recordings, tmp_path, case, run):
    p, s, (used, moved) = mutated(recordings, tmp_path, case, run, move_polled_used_ring)
    assert p.returncode == 1
    assert s["outcome"] == "timeout", (s["outcome"], s["violations"])
    causes = [c["cause"] for c in s["diagnosis"]["causes"]]
    assert causes[0] == "used-ring-mismatch", causes
    ev = s["diagnosis"]["causes"][0]["evidence"]
    assert ev["device_used"] == hex(used) and ev["driver_used"] == hex(moved), ev


# ---- the packed case's control ------------------------------------------------------------------

AVAIL_F, USED_F = 1 << 7, 1 << 15


def head_wrap_not_flipped(r):
    """Linux's packed ring (packed=on): one head's flags store about half way through, stored with
    the other lap's AVAIL/USED bits (a driver whose wrap counter is out of step). QEMU saw the
    right flags and answered; the mutated run must not: after the notify, the guest's next read
    of that descriptor's flags sees its own store, again (a poll), and the recording ends there,
    the guest waiting, as `vqsim record --timeout` ends a hang."""
    evs, win, _, _ = r.gpu()
    lo, hi = r.desc, r.desc + 16 * 1024
    heads = [i for i, e in enumerate(evs) if e["kind"] == "STORE" and e["size"] == 2 and
             lo <= e["addr"] < hi and (e["addr"] - lo) % 16 == 14 and
             bool(e["value"] & AVAIL_F) != bool(e["value"] & USED_F)]
    for i in heads[len(heads) // 2:]:
        loads = [k for k in range(i + 1, len(evs)) if evs[k]["kind"] == "LOAD" and
                 evs[k]["addr"] == evs[i]["addr"]]
        notify = [k for k in range(i + 1, loads[0] if loads else i + 1)
                  if evs[k]["kind"] == "MMIO_WRITE" and evs[k]["addr"] == win + NOTIFY]
        if not loads or not notify:
            continue
        bad = evs[i]["value"] ^ (AVAIL_F | USED_F)
        r.set(i, value=bad)
        j = loads[0]
        r.set(j, value=bad)
        r.events.insert(j + 1, bytearray(r.events[j]))  # read again: a poll
        end_here(r, j + 2)
        return evs[i]["addr"], evs[i]["value"], bad
    raise AssertionError("no head flags store followed by a notify and a read of it")


@pytest.mark.parametrize("run", range(RUNS))
def test_control_packed_wrap_out_of_step(recordings, tmp_path, run):
    p, s, (at, good, bad) = mutated(recordings, tmp_path, "packed", run, head_wrap_not_flipped)
    assert p.returncode == 1
    assert s["outcome"] == "timeout", (s["outcome"], s["violations"])
    d = s["diagnosis"]["causes"][0]
    assert d["cause"] == "packed-wrap-out-of-step", s["diagnosis"]["causes"]
    ev = d["evidence"]
    assert ev["desc_flags"] == f"0x{bad:04x}" and ev["desc_flags_at"] == hex(at), ev
    assert ev["device_wrap_counter"] == str(int(bool(good & AVAIL_F))), ev


def drop_barrier_before(r, want):
    """Delete the barrier just before (on the same vCPU) the first event of queue 0's descriptor
    ring, about half way through, that `want(event, desc_offset)` selects; return its offset."""
    evs, _, _, _ = r.gpu()
    lo, hi = r.desc, r.desc + 16 * 1024
    hits = [i for i, e in enumerate(evs) if lo <= e.get("addr", 0) < hi and want(e, e["addr"] - lo)]
    for i in hits[len(hits) // 2:]:
        j = i - 1
        while j > 0 and evs[j]["cpu"] != evs[i]["cpu"]:
            j -= 1
        if evs[j]["kind"] == "BARRIER":
            del r.events[j]
            return (evs[i]["addr"] - lo) // 16
    raise AssertionError("no barrier before such an access")


def head_flags_store(e, off):
    """A flags store that makes a descriptor available (AVAIL != USED): a head's when a barrier
    precedes it (Linux stores a list's other flags in the loop that fills it)."""
    return e["kind"] == "STORE" and e["size"] == 2 and off % 16 == 14 and \
        bool(e["value"] & AVAIL_F) != bool(e["value"] & USED_F)


def used_len_load(e, off):
    """A used descriptor's len load (Linux reads len, then id, after its virtio_rmb)."""
    return e["kind"] == "LOAD" and e["size"] == 4 and off % 16 == 8


@pytest.mark.parametrize("run", range(RUNS))
def test_control_packed_dropped_barrier_before_head_flags(recordings, tmp_path, run):
    """Linux's virtio_wmb before one head's flags store (virtqueue_add_packed) dropped: pairing
    PA, named at that descriptor, and nothing else."""
    p, s, at = mutated(recordings, tmp_path, "packed", run,
                       lambda r: drop_barrier_before(r, head_flags_store))
    assert p.returncode == 1
    rules = [v["rule"] for v in s["violations"]]
    assert rules == ["packed.flags-barrier"], rules
    assert f"the flags of descriptor {at} " in s["violations"][0]["message"]


@pytest.mark.parametrize("run", range(RUNS))
def test_control_packed_dropped_rmb_before_used_len(recordings, tmp_path, run):
    """Linux's virtio_rmb between a used descriptor's flags and its len (virtqueue_get_buf_ctx_
    packed) dropped: pairing PC, named at that descriptor, and nothing else."""
    p, s, at = mutated(recordings, tmp_path, "packed", run,
                       lambda r: drop_barrier_before(r, used_len_load))
    assert p.returncode == 1
    rules = [v["rule"] for v in s["violations"]]
    assert rules == ["packed.receive.rmb-before-id-len"], rules
    assert f"desc.len of descriptor {at} read after its flags with no read barrier" in \
        s["violations"][0]["message"]
