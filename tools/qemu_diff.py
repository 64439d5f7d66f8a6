#!/usr/bin/env python3
"""qemu_diff.py - run scenarios on the simulator and on real QEMU, and compare.

The same driver source (src/driver/) runs twice:
  - in `vqsim run`, against the device model;
  - bare metal under qemu-system-aarch64 (`-M virt`, the scenario's device — gpu, blk, rng,
    keyboard or net — on virtio-mmio or virtio-pci), built by ports/aarch64-virt, with the
    scenario's steps compiled by vqsim-steptable.
What must agree (what the driver and a screendump can see):
  - every step's status (ok, timeout, device-error, driver-error, skipped), the response type
    and the used length; the driver-visible outcome (the model's "violation" is invisible to a
    driver and counts as "ok" here);
  - the used rings the model says the device wrote (address and used.idx), read back by the
    guest after the run, so a wrong ring-layout model fails even where the driver saw nothing;
  - scanout 0's pixels: identical, or the difference is one QEMU cannot show, and says so
    (an inactive scanout is QEMU's placeholder; a screendump does not need RESOURCE_FLUSH;
    QEMU keeps the cursor out of the surface);
  - another device's outcome by content: blk bytes read and status bytes, rng counts, input
    events, net frames out of QEMU's datagram backend and into the driver (compare_device,
    compare_net).
Scenarios that cannot run on QEMU (their `qemu: {skip: ...}` or what vqsim-steptable --why
finds) are listed with the reason.

Usage:
  tools/qemu_diff.py [options] SCENARIO.yaml...
  --build DIR      vqsim build dir (default build): vqsim, vqsim-steptable, aarch64-virt/
  --vqsim PATH     the simulator binary (default DIR/vqsim)
  --json FILE      write the comparison as JSON
  --table          print the scenario x verdict table (Markdown)
  --readme FILE    rewrite the table between the qemu-table markers of FILE
  --timeout S      extra seconds per QEMU run beyond the scenario's own timeouts (default 10)
  --mmu            the guest turns the MMU and caches on (identity map; default: off)
  -j N             QEMU runs in parallel (default 2)
Exit status: 0 all compared scenarios agree, 1 a disagreement, 2 a setup error.
Python 3 standard library plus PyYAML only.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE_BEGIN = "<!-- qemu-table:begin (tools/qemu_diff.py --readme README.md) -->"
TABLE_END = "<!-- qemu-table:end -->"
QEMU = "qemu-system-aarch64"
STEPTABLE_ADDR = 0x4F000000
DISK_ADDR = 0x4E000000  # ports/aarch64-virt/step_table.h: VQST_DISK_ADDR


class SetupError(Exception):
    pass


# ---- images -------------------------------------------------------------------------------

def read_ppm(path):
    """(width, height, RGB bytes) of a binary P6 PPM (what QMP screendump writes)."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or int(fields[3]) != 255:
        raise ValueError(f"{path}: not an 8-bit P6 PPM")
    w, h = int(fields[1]), int(fields[2])
    pos += 1
    return w, h, data[pos:pos + w * h * 3]


def read_png(path):
    """(width, height, RGB bytes) of an 8-bit RGB, non-interlaced PNG (what vqsim writes)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype != 2 or interlace:
                raise ValueError(f"{path}: only 8-bit RGB non-interlaced PNGs")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, out, prev = zlib.decompress(idat), w * 3, bytearray(), bytearray(w * 3)
    for y in range(h):
        ft, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b = prev[i]
            c = prev[i - 3] if i >= 3 else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        prev = line
    return w, h, bytes(out)


def placeholder_only(rgb):
    """QEMU's "Display output is not active." screen: black with grey text, nothing else."""
    grey = 0
    for i in range(0, len(rgb), 3):
        px = rgb[i:i + 3]
        if px == b"\0\0\0":
            continue
        if px[0] == px[1] == px[2]:
            grey += 1
            continue
        return False
    return 0 < grey < len(rgb) // 30


# ---- QEMU ---------------------------------------------------------------------------------

def qmp(sock_path, commands, deadline):
    """Run QMP commands in order; returns their replies."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    while True:
        try:
            s.connect(sock_path)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SetupError("QMP socket never came up")
            time.sleep(0.01)
    s.settimeout(max(0.1, deadline - time.monotonic()))
    f = s.makefile("rwb")
    replies = []
    json.loads(f.readline())  # greeting
    for cmd in [{"execute": "qmp_capabilities"}] + commands:
        f.write(json.dumps(cmd).encode() + b"\n")
        f.flush()
        while True:
            line = f.readline()
            if not line:
                replies.append({"error": "connection closed"})
                break
            msg = json.loads(line)
            if "return" in msg or "error" in msg:
                replies.append(msg)
                break
    s.close()
    return replies[1:]


# Linux key codes KEY_ESC (1) .. KEY_CAPSLOCK (58) as QEMU's qcodes (qapi/ui.json QKeyCode):
# what an input scenario's key events become in QMP input-send-event (vqsim-steptable refuses
# other events).
QCODES = dict(enumerate(
    "esc 1 2 3 4 5 6 7 8 9 0 minus equal backspace tab q w e r t y u i o p bracket_left "
    "bracket_right ret ctrl a s d f g h j k l semicolon apostrophe grave_accent shift backslash "
    "z x c v b n m comma dot slash shift_r kp_multiply alt spc caps_lock".split(), start=1))
EV_TYPES = {"EV_SYN": 0, "EV_KEY": 1, "EV_REL": 2, "EV_ABS": 3}


def script_events(dev):
    """An input scenario's device.input.events as (type, code, value)."""
    out = []
    for e in (dev.get("input") or {}).get("events") or []:
        t = e.get("type")
        out.append((EV_TYPES.get(t, t if isinstance(t, int) else -1), int(e.get("code", 0)),
                    int(e.get("value", 0))))
    return out


def inject(sock, events, deadline):
    """The script's events as QEMU's keyboard sends them: one input-send-event per batch (the
    events up to a SYN_REPORT; QEMU's virtio-input sends its SYN_REPORT at the batch's sync)."""
    batch = []
    for t, code, value in events:
        if t == 1:
            batch.append({"type": "key", "data": {"down": bool(value),
                                                  "key": {"type": "qcode",
                                                          "data": QCODES[code]}}})
        elif batch:
            r = qmp(sock, [{"execute": "input-send-event", "arguments": {"events": batch}}],
                    deadline)
            if "error" in r[0]:
                return f"input-send-event: {r[0]['error']}"
            batch = []
    return None


NET_MAGIC = 0x464E5156  # step_table.h: VQST_NET_MAGIC, struct vqst_net (64 frames each way)


def read_frames(path):
    """vqsim-steptable --net's file: the mac, the source's frames, and per net_send step (its
    index, repetitions) the bytes QEMU's backend must receive."""
    with open(path, "rb") as f:
        data = f.read()
    magic, n_rx, mac, n_tx = struct.unpack_from("<II6s2xI", data, 0)
    if magic != NET_MAGIC:
        raise SetupError(f"{path}: not a frames file")
    rx_len, tx = struct.unpack_from("<64I", data, 20), struct.unpack_from("<256I", data, 276)
    pos, rx, sends = 1300, [], []
    for n in rx_len[:n_rx]:
        rx.append(data[pos:pos + n])
        pos += n
    for k in range(n_tx):
        step, repeat, n = tx[4 * k:4 * k + 3]
        sends.append((step, repeat, data[pos:pos + n]))
        pos += n
    return {"mac": mac, "rx": rx, "tx": sends}


class NetTap:
    """The tool's end of QEMU's datagram backend (-netdev dgram between two unix sockets): each
    frame QEMU's virtio-net sends arrives as one datagram (kept in `got`); the source's frames go
    to QEMU's socket when the guest asks for them (`VQ netrx from=F n=N`)."""

    def __init__(self, device):
        self.dev, self.got, self.sent = device, [], 0
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(device["host_sock"])
        self.s.setblocking(False)

    def drain(self):
        while True:
            try:
                self.got.append(self.s.recv(1 << 17))
            except BlockingIOError:
                return

    def send(self, first, n, deadline):
        for frame in self.dev["frames"]["rx"][first:first + n]:
            while True:
                try:
                    self.s.sendto(frame, self.dev["qemu_sock"])
                    self.sent += 1
                    break
                except (BlockingIOError, FileNotFoundError, ConnectionRefusedError):
                    if time.monotonic() > deadline:
                        return "QEMU's net backend took no more frames"
                    self.drain()
                    time.sleep(0.005)
        return None


def device_args(device, pci=False):
    """The QEMU arguments of a blk or rng scenario's device (device: the dict of qemu_command):
    virtio-blk on a copy of the image (QEMU's writes reach the copy, never the repository's
    file), the image itself loaded at DISK_ADDR for the guest to compare what it reads; the
    entropy device with QEMU's default backend (rng-builtin, the host's entropy); virtio-net
    with a datagram backend between QEMU's unix socket and the tool's (NetTap), the frames file
    (vqsim-steptable --net) at DISK_ADDR for the guest to compare what it receives."""
    # on virtio-pci: the modern function the model is (QEMU's blk, rng and net are transitional
    # on virt's root bus by default), without an option ROM (net's is often not installed)
    dev = {k: (f"virtio-{k}-pci,disable-legacy=on" if pci else f"virtio-{k}-device")
           for k in ("blk", "rng", "net")}
    dev["input"] = "virtio-keyboard-pci" if pci else "virtio-keyboard-device"
    dev["net"] += ",romfile=" if pci else ""
    if device["type"] in ("rng", "input"):
        return ["-device", dev[device["type"]]]
    if device["type"] == "net":
        return ["-netdev", f"dgram,id=n0,local.type=unix,local.path={device['qemu_sock']},"
                f"remote.type=unix,remote.path={device['host_sock']}",
                "-device", dev["net"] + ",netdev=n0,mac="
                + ":".join(f"{b:02x}" for b in device["frames"]["mac"]),
                "-device", f"loader,file={device['frames_file']},addr={DISK_ADDR:#x},force-raw=on"]
    ro = ",readonly=on" if device.get("read_only") else ""
    return ["-drive", f"file={device['copy']},if=none,format=raw,id=d0{ro}",
            "-device", dev["blk"] + ",drive=d0",
            "-device", f"loader,file={device['image']},addr={DISK_ADDR:#x},force-raw=on"]


def qemu_command(guest, table, transport, width, height, offered=(), bus="mmio", device=None):
    """The QEMU command line that boots the port with a step table, serial on stdout (also
    used by tests/test_record.py under `vqsim record`). bus "pci": virtio-gpu-pci on the PCIe
    root bus, with highmem=off so the ECAM and the BAR window are the low ones the port uses.
    device: a blk or rng scenario's ({type, image, copy, read_only}: device_args), instead of
    the gpu."""
    pci = bus == "pci"
    if device and device["type"] != "gpu":
        cmd = [QEMU, "-M", "virt,highmem=off" if pci else "virt", "-cpu", "cortex-a57", "-m",
               "256M", "-nodefaults", "-display", "none", "-monitor", "none", "-serial", "stdio",
               *device_args(device, pci), "-kernel", guest,
               "-device", f"loader,file={table},addr={STEPTABLE_ADDR:#x},force-raw=on"]
        if transport == "modern" and not pci:
            cmd[1:1] = ["-global", "virtio-mmio.force-legacy=false"]
        return cmd
    cmd = [QEMU, "-M", "virt,highmem=off" if pci else "virt", "-cpu", "cortex-a57", "-m", "256M",
           "-nodefaults", "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-device", ("virtio-gpu-pci" if pci else "virtio-gpu-device")
           + f",id=gpu0,xres={width},yres={height}"
           + ("" if "edid" in offered else ",edid=off")
           + (",iommu_platform=on" if "access_platform" in offered else "")
           + (",packed=on" if "ring_packed" in offered else ""),
           "-kernel", guest,
           "-device", f"loader,file={table},addr={STEPTABLE_ADDR:#x},force-raw=on"]
    if transport == "modern" and not pci:
        cmd[1:1] = ["-global", "virtio-mmio.force-legacy=false"]
    return cmd


def build_guest(build):
    """Build the bare-metal port into BUILD/aarch64-virt; returns the image's path."""
    guest_dir = os.path.join(build, "aarch64-virt")
    r = subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "ports", "aarch64-virt"),
                        f"OUT={os.path.abspath(guest_dir)}"], capture_output=True, text=True)
    if r.returncode:
        raise SetupError(f"building the guest failed:\n{r.stdout}{r.stderr}")
    return os.path.join(guest_dir, "vqguest.elf")


def run_qemu(guest, table, transport, width, height, bound_s, workdir, offered=(), bus="mmio",
             device=None):
    """Boot the guest with the step table; returns (uart lines, screendump path or None, note)."""
    sock = os.path.join(workdir, "q")
    ppm = os.path.join(workdir, "screen.ppm")
    gpu = not device or device["type"] == "gpu"
    cmd = qemu_command(guest, table, transport, width, height, offered, bus, device)
    cmd[-4:-4] = ["-qmp", f"unix:{sock},server=on,wait=off"]
    deadline = time.monotonic() + bound_s
    tap = NetTap(device) if device and device["type"] == "net" else None
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    lines, note, shot = [], None, None
    try:
        os.set_blocking(p.stdout.fileno(), False)
        buf = b""
        while True:
            if tap:  # (QEMU waits when the socket's queue is full)
                tap.drain()
            chunk = p.stdout.read()
            if chunk:
                buf += chunk
                *done, buf = buf.split(b"\n")
                new = [l.decode(errors="replace").strip() for l in done]
                lines += new
                for l in new:  # the guest waits for the script's next events (guest_devices.c)
                    if l.startswith("VQ inject ") and device:
                        kv = dict(w.split("=", 1) for w in l.split()[2:])
                        f, n = int(kv["from"]), int(kv["n"])
                        note = inject(sock, device["events"][f:f + n], deadline) or note
                    if l.startswith("VQ netrx ") and tap:  # (guest_net.c)
                        kv = dict(w.split("=", 1) for w in l.split()[2:])
                        note = tap.send(int(kv["from"]), int(kv["n"]), deadline) or note
                if any(l == "VQ END" for l in lines):
                    break
            if p.poll() is not None:
                note = "QEMU exited: " + p.stderr.read().decode(errors="replace").strip()
                break
            if time.monotonic() > deadline:
                note = f"no 'VQ END' within {bound_s:.0f} s"
                break
            time.sleep(0.005)
        if p.poll() is None and note is None and not gpu:
            qmp(sock, [{"execute": "quit"}], deadline)
        elif p.poll() is None and note is None:
            r = qmp(sock, [{"execute": "screendump",
                            "arguments": {"filename": ppm, "device": "gpu0"}},
                           {"execute": "quit"}], deadline)
            if "error" in r[0]:
                note = f"screendump: {r[0]['error']}"
            else:
                shot = ppm
        p.wait(timeout=max(1, deadline - time.monotonic()))
    except (subprocess.TimeoutExpired, OSError, SetupError) as e:
        note = note or f"QEMU: {e}"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()
        if tap:
            tap.drain()
            tap.s.close()
            device.update(tx_got=tap.got, rx_sent=tap.sent)
    return lines, shot, note


def parse_uart(lines):
    """The guest's result lines (ports/aarch64-virt/guest_runner.c)."""
    res = {"init": None, "steps": [], "probes": [], "outcome": None, "exception": None,
           "mmu": "VQ mmu=on" in lines}
    for l in lines:
        if not l.startswith("VQ "):
            continue
        words = l.split()
        kv = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        if words[1] == "init":
            res["init"] = kv
        elif words[1].startswith("step="):
            res["steps"].append(kv)
        elif words[1] == "probe":
            res["probes"].append(kv)
        elif words[1].startswith("outcome="):
            res["outcome"] = kv["outcome"]
        elif words[1] == "exception":
            res["exception"] = l
    return res


# ---- comparison ---------------------------------------------------------------------------

def driver_outcome(steps):
    """The outcome rule of src/harness/runner.c over step statuses only (no violations)."""
    out = "ok"
    for s in steps:
        if s == "timeout":
            return "timeout"
        if s in ("device-error", "driver-error"):
            out = s
    return out


def compare(sim, q, shot, png_dir):
    """Differences (list of str) and explanations (list of str) between the two runs."""
    diffs, notes = [], []
    compare_steps(sim, q, diffs)
    compare_used_rings(sim, q, diffs)
    if sim_device(sim) == "gpu":
        compare_pixels(sim, shot, diffs, notes)
    else:
        compare_device(sim, q, diffs, notes)
    return diffs, notes


def sim_device(sim):
    return (sim.get("device") or {}).get("type", "gpu")


BLK_STATUS = {"0": "OK", "1": "IOERR", "2": "UNSUPP", "255": "none"}


def compare_device(sim, q, diffs, notes):
    """A blk, rng or input run: the guest's content checks on QEMU (blk: every byte read equals
    the image, with the guest's own writes applied; the capacity is the image's; input: every
    event received is the script's), and each blk request's status byte against the
    simulator's (its step detail says "status NAME"). An rng run compares counts only (status
    and used length, compare_steps): QEMU's bytes are the host's entropy."""
    qsteps = ([q["init"]] if q["init"] else []) + q["steps"]
    for i, (a, b) in enumerate(zip(sim["steps"], qsteps)):
        if b.get("content", "ok") != "ok":
            diffs.append(f"step {i} ({a['step']}): on QEMU the driver read {b['content']} "
                         "(hex: capacity/QEMU/image, byte/offset/sector/value, "
                         "event/index/type/code, name/first byte, mac/byte/device/scenario, "
                         "frame/index/length/first differing byte), not what the model gave")
        if i == 0 or "blk" not in b or a["status"] == "skipped":
            continue
        m = re.search(r"status (\w+)", a.get("detail") or "")
        said = m.group(1) if m else "?"
        got = BLK_STATUS.get(b["blk"], b["blk"])
        if said != got:
            diffs.append(f"step {i} ({a['step']}): blk status {said} vs QEMU {got}")
    if sim_device(sim) == "blk":
        notes.append("every byte read on QEMU equals the image's; blk status bytes agree")
    elif sim_device(sim) == "rng":
        notes.append("entropy counts agree (the bytes are QEMU's host entropy: not compared)")
    elif sim_device(sim) == "input":
        notes.append("every event received on QEMU equals the script's (played through QMP "
                     "input-send-event)")


def compare_net(sim, q, device, diffs, notes):
    """What QEMU's backend received, in order, against what each net_send step sends (the
    bytes after the negotiated header, vqsim-steptable's frames) and the model's sink (the sha256
    in the simulator's step detail). A step that failed on QEMU may have sent some of its
    repetitions, or none. Returns the frames compared each way."""
    got, k = device.get("tx_got") or [], 0
    for step, repeat, want in device["frames"]["tx"]:
        ok = step < len(q["steps"]) and q["steps"][step].get("status") == "ok"
        sim_step = sim["steps"][step + 1] if step + 1 < len(sim["steps"]) else {}
        m = re.search(r"sha256 ([0-9a-f]{16})", sim_step.get("detail") or "")
        n = 0
        while n < repeat and k < len(got) and (ok or got[k] == want):
            if got[k] != want:
                at = next((i for i, (a, b) in enumerate(zip(got[k], want)) if a != b),
                          min(len(got[k]), len(want)))
                diffs.append(f"step {step + 1} (net_send): QEMU's backend received "
                             f"{len(got[k])} bytes, the scenario's frame is {len(want)}; they "
                             f"differ from byte {at}")
            elif m and hashlib.sha256(got[k]).hexdigest()[:16] != m.group(1):
                diffs.append(f"step {step + 1} (net_send): the model's sink got another frame "
                             f"(sha256 {m.group(1)}) than QEMU's backend")
            n, k = n + 1, k + 1
        if ok and n < repeat:
            diffs.append(f"step {step + 1} (net_send): QEMU's backend received {n} of its "
                         f"{repeat} frame(s)")
    if k < len(got):
        diffs.append(f"QEMU's backend received {len(got) - k} frame(s) no step sent")
    rx = 0
    for i, (a, b) in enumerate(zip(sim["steps"][1:], q["steps"]), 1):
        m = re.search(r"(\d+) received", a.get("detail") or "")
        if a["step"] == "net_receive" and m and b.get("status") != "skipped":
            rx += int(b.get("rx", 0))
            if int(m.group(1)) != int(b.get("rx", 0)):
                diffs.append(f"step {i} (net_receive): the driver received {m.group(1)} "
                             f"frame(s) on the model, {b.get('rx')} on QEMU")
    notes.append(f"{k} frame(s) out of QEMU's backend equal the scenario's and the model's sink; "
                 f"{rx} of the {device.get('rx_sent', 0)} source frame(s) sent into it received, "
                 "each equal to the source's byte for byte")
    return k, rx


def compare_steps(sim, q, diffs):
    """Each step's status, error, response and used length, and the driver's outcome."""
    sim_steps = sim["steps"]
    qsteps = ([q["init"]] if q["init"] else []) + q["steps"]
    if len(qsteps) != len(sim_steps):
        diffs.append(f"QEMU reported {len(qsteps)} steps, the simulator {len(sim_steps)}")
    for i, (a, b) in enumerate(zip(sim_steps, qsteps)):
        name = a["step"]
        if a["status"] != b.get("status"):
            diffs.append(f"step {i} ({name}): simulator {a['status']}, QEMU {b.get('status')}")
            continue
        err = b.get("err")
        if err and not (a.get("detail") or "").endswith(err):
            diffs.append(f"step {i} ({name}): the driver returned {err} on QEMU; the "
                         f"simulator's step says \"{a.get('detail')}\"")
        if i == 0 or a["status"] == "skipped":
            continue
        sresp = int(a["response"], 16) if a.get("response") else 0
        qresp = int(b.get("resp", "0"), 16)
        if sresp != qresp:
            diffs.append(f"step {i} ({name}): response {sresp:#x} vs QEMU {qresp:#x}")
        if int(a.get("used_len") or 0) != int(b.get("used_len", 0)):
            diffs.append(f"step {i} ({name}): used len {a.get('used_len')} vs QEMU "
                         f"{b.get('used_len')}")
    sim_out = driver_outcome(s["status"] for s in sim_steps)
    if sim_out != q["outcome"]:
        diffs.append(f"outcome: simulator {sim_out} (as the driver sees it), QEMU {q['outcome']}")


def packed(sim):
    return "ring_packed" in ((sim.get("device") or {}).get("negotiated") or ())


def last_packed_used(sim, x):
    """A packed queue's last used descriptor flags store, from the trace: its address, and the
    value the model's memory ends with there (the driver may have stored a new list's flags
    over it since)."""
    lo, hi = int(x["device"]["desc"], 16), int(x["device"]["desc"], 16) + 16 * x["size"]
    trace = sim.get("trace") or []
    wrote = [k for k, e in enumerate(trace) if e["kind"] == "device"
             and e.get("what") == "used desc.flags" and lo <= int(e["addr"], 16) < hi]
    if not wrote:
        return None
    at = int(trace[wrote[-1]]["addr"], 16)
    num = lambda v: int(v, 0) if isinstance(v, str) else int(v)  # noqa: E731 (hex or int)
    last = [num(e.get("value", 0)) for e in trace[wrote[-1]:]
            if e["kind"] in ("device", "ring-store") and int(e.get("addr", "0"), 16) == at
            and e.get("size", 2) == 2]
    return at, last[-1]


def probe_addresses(sim):
    """What the guest reads back after the run: a split ring's used ring (its idx at +2), or
    the flags of a packed ring's last used descriptor (probed 2 bytes before, so at +2)."""
    out = []
    for x in sim.get("queues") or []:
        if not x["device"]["ready"]:
            continue
        if packed(sim):
            w = last_packed_used(sim, x)
            if w:
                out += ["--probe", hex(w[0] - 2)]
        else:
            out += ["--probe", x["device"]["used"]]
    return out


def compare_used_rings(sim, q, diffs):
    """Used rings: where the model says the device wrote them, QEMU's device must have."""
    ready = [x for x in sim.get("queues") or [] if x["device"]["ready"]]
    if packed(sim):
        if sim.get("trace_dropped"):
            return  # the last used descriptor may be among the events the trace dropped
        wrote = [w for w in (last_packed_used(sim, x) for x in ready) if w]
        for (at, flags), p in zip(wrote, q["probes"]):
            if int(p["idx"]) != flags:
                diffs.append(f"the descriptor flags at {at:#x} (the model's device marked it "
                             f"used last) end as {flags:#06x} in the model, QEMU's memory there "
                             f"holds {int(p['idx']):#06x}")
        return
    for x, p in zip(ready, q["probes"]):
        # Only where the model's device wrote: an untouched used ring may overlap memory the
        # driver wrote itself (a mis-sized legacy ring puts it on the driver's available ring).
        # What it last wrote at this ring's used.idx, from the trace; the device's index is
        # not that when the ring is new and the device kept an older one's (a re-initialisation
        # without reset) and has not answered on it.
        at = int(x["device"]["used"], 16) + 2
        wrote = [e["value"] for e in sim.get("trace") or [] if e["kind"] == "device"
                 and e.get("what") == "used.idx" and int(e.get("addr", "0"), 16) == at]
        idx = wrote[-1] if wrote else (x["used_idx"] if sim.get("trace_dropped") else 0)
        if idx and int(p["idx"]) != idx:
            diffs.append(f"queue {x['index']}: the model's device wrote used.idx {idx} "
                         f"at {x['device']['used']}, QEMU's memory there holds {p['idx']}")


def compare_pixels(sim, shot, diffs, notes):
    """Scanout 0, pixel by pixel (the cursor's square left out), or why it may differ."""
    disp = (sim.get("displays") or [None])[0]
    if shot is None:
        diffs.append("no screendump")
    elif disp is not None:
        qw, qh, qrgb = read_ppm(shot)
        if not disp["active"]:
            if placeholder_only(qrgb):
                notes.append("scanout inactive on both: QEMU shows its placeholder text")
            else:
                diffs.append(f"the model's scanout 0 is {disp['state']}, QEMU shows a picture")
        elif disp.get("png"):
            sw, sh, srgb = read_png(disp["png"])
            if (sw, sh) != (qw, qh):
                diffs.append(f"scanout 0: simulator {sw}x{sh}, QEMU {qw}x{qh}")
            else:
                cur = disp.get("cursor")
                skip = None
                if cur:
                    x0, y0 = cur["x"] - cur["hot_x"], cur["y"] - cur["hot_y"]
                    skip = (x0, y0, x0 + 64, y0 + 64)
                bad, first = 0, None
                for i in range(0, len(srgb) if srgb != qrgb else 0, 3):
                    if srgb[i:i + 3] != qrgb[i:i + 3]:
                        px, py = (i // 3) % sw, (i // 3) // sw
                        if skip and skip[0] <= px < skip[2] and skip[1] <= py < skip[3]:
                            continue
                        bad += 1
                        first = first or (px, py)
                if cur:
                    notes.append("cursor area not compared: QEMU keeps the cursor out of the "
                                 "surface a screendump reads")
                if bad and disp.get("dark") and "flush" in (disp.get("dark_reason") or ""):
                    if placeholder_only(qrgb):
                        diffs.append("the model's scanout is active but unflushed; QEMU shows "
                                     "its inactive placeholder instead of the surface")
                    notes.append("pixels differ as expected: the model shows what was last "
                                 "flushed; a screendump reads the surface without "
                                 "RESOURCE_FLUSH")
                elif bad:
                    diffs.append(f"scanout 0: {bad} of {sw * sh} pixels differ, first at {first}")
                else:
                    notes.append(f"scanout 0: {sw}x{sh} pixel-exact")


# ---- driver -------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--vqsim")
    ap.add_argument("--json")
    ap.add_argument("--table", action="store_true")
    ap.add_argument("--readme")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--mmu", action="store_true",
                    help="the guest runs with the MMU and caches on (identity map)")
    a = ap.parse_args(argv)
    vqsim = a.vqsim or os.path.join(a.build, "vqsim")
    steptable = os.path.join(a.build, "vqsim-steptable")
    for tool in (vqsim, steptable):
        if not os.access(tool, os.X_OK):
            print(f"qemu_diff: {tool} missing (make build)", file=sys.stderr)
            return 2
    if not shutil.which(QEMU):
        print(f"qemu_diff: {QEMU} missing (tools/setup-deps.sh installs qemu-system-arm)",
              file=sys.stderr)
        return 2
    try:
        guest = build_guest(a.build)
    except SetupError as e:
        print(f"qemu_diff: {e}", file=sys.stderr)
        return 2

    work = tempfile.mkdtemp(prefix="vqq")
    try:
        return run_all(a, vqsim, steptable, guest, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def scenario_device(path, doc, workdir):
    """qemu_command's `device` for a blk or rng scenario (None for the gpu): a blk's image, and
    a copy of it in workdir for QEMU to write to."""
    dev = doc.get("device") or {}
    kind = dev.get("type", "gpu")
    if kind == "gpu":
        return None
    out = {"type": kind, "events": script_events(dev)}
    if kind == "blk":
        disk = dev.get("disk") or {}
        image = os.path.join(os.path.dirname(os.path.abspath(path)), disk["image"])
        out.update(image=image, copy=os.path.join(workdir, "disk.img"),
                   read_only=bool(disk.get("read_only")))
        shutil.copyfile(image, out["copy"])
    if kind == "net":  # (vqsim-steptable --net wrote the frames: diff_one)
        frames = os.path.join(workdir, "frames.bin")
        out.update(frames_file=frames, frames=read_frames(frames),
                   host_sock=os.path.join(workdir, "h.sock"),
                   qemu_sock=os.path.join(workdir, "q.sock"))
    return out


def diff_one(a, sims, steptable, guest, work, k, path, retry=True):
    """Scenario `path` (the k-th) on real QEMU, compared with the simulator's result in sims."""
    res = {"scenario": path, "name": os.path.basename(path)[:-5]}
    sim = sims.get(path)
    if sim is None:
        res.update(verdict="error", diffs=["the simulator did not run it"])
        return res
    res["name"] = sim["name"]
    res["simulator"] = sim["outcome"]
    res["violations"] = sorted({v["rule"] for v in sim.get("violations") or []})
    why = subprocess.run([steptable, "--why", path], capture_output=True, text=True)
    if why.returncode == 3:
        res.update(verdict="skip", reason=why.stdout.strip()[len("skip: "):])
        return res
    if why.returncode:
        res.update(verdict="error", diffs=[why.stderr.strip()])
        return res
    d = os.path.join(work, f"{k}{'' if retry else 'r'}")
    os.mkdir(d)
    table = os.path.join(d, "steps.bin")
    probes = probe_addresses(sim)
    with open(path) as f:
        doc = yaml.safe_load(f)
    net = ["--net", os.path.join(d, "frames.bin")] \
        if (doc.get("device") or {}).get("type") == "net" else []
    subprocess.run([steptable, path, table] + probes[:8] + (["--mmu"] if a.mmu else []) + net,
                   check=True)
    timeout_ms = ((doc.get("driver") or {}).get("timeout_ms") or 1000)
    repeats = sum(1 for s in doc.get("steps") or [] if isinstance(s, dict) and "repeat" in s)
    bound = a.timeout + 3 * timeout_ms / 1000.0 + 10 * repeats
    t0 = time.monotonic()
    dev = scenario_device(path, doc, d)
    lines, shot, note = run_qemu(guest, table, sim["device"]["transport"],
                                 sim["device"]["display"]["width"],
                                 sim["device"]["display"]["height"], bound, d,
                                 sim["device"].get("offered") or (),
                                 sim["device"].get("bus", "mmio"), dev)
    res["qemu_seconds"] = round(time.monotonic() - t0, 3)
    q = parse_uart(lines)
    res["qemu"] = q["outcome"] or "no-result"
    if note or q["outcome"] is None or q["exception"]:
        res.update(verdict="disagree",
                   diffs=[note or q["exception"] or "the guest printed no outcome"],
                   uart=lines[-20:])
        return res
    diffs, notes = compare(sim, q, shot, None)
    if dev and dev["type"] == "net":
        res["net_frames"] = dict(zip(("out", "in"), compare_net(sim, q, dev, diffs, notes)))
    res["probes"] = q["probes"]  # used rings read back after the run
    res["mmu"] = q["mmu"]
    if diffs and q["outcome"] == "timeout" and retry:
        # A starved QEMU (both cores busy) can miss a short driver timeout: once more, and
        # say so. A model that times out where QEMU answers is never retried.
        again = diff_one(a, sims, steptable, guest, work, k, path, retry=False)
        if again["verdict"] == "agree":
            again["notes"].append("agreed on the second QEMU run (the first timed out)")
        return again
    res.update(verdict="disagree" if diffs else "agree", diffs=diffs, notes=notes)
    if diffs:
        res["uart"] = lines
    return res


def run_all(a, vqsim, steptable, guest, work):
    png_dir = os.path.join(work, "png")
    sim_json = os.path.join(work, "sim.json")
    subprocess.run([vqsim, "run", "--json", sim_json, "--png", png_dir] + a.scenarios,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with open(sim_json) as f:
            sims = {s["file"]: s for s in json.load(f)["scenarios"]}
    except (OSError, ValueError) as e:
        print(f"qemu_diff: vqsim run wrote no results: {e}", file=sys.stderr)
        return 2

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.j)) as ex:
        results = list(ex.map(lambda kp: diff_one(a, sims, steptable, guest, work, *kp),
                               enumerate(a.scenarios)))

    return report_results(a, results)


def report_results(a, results):
    """Print one line per scenario (or the table), write --json / --readme; the exit status."""
    bad = 0
    for r in results:
        v = r["verdict"]
        if v == "skip":
            line = f"SKIP     {r['name']:44} {r['reason']}"
        else:
            line = (f"{v.upper():8} {r['name']:44} sim={r.get('simulator')} "
                    f"qemu={r.get('qemu')} ({r.get('qemu_seconds', 0):.2f} s)")
        if not a.table:
            print(line)
        for d in r.get("diffs") or []:
            print(f"           - {d}", file=sys.stderr if a.table else sys.stdout)
        bad += v in ("disagree", "error")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"results": results}, f, indent=1)
    table = make_table(results)
    if a.table:
        print(table)
    if a.readme:
        with open(a.readme) as f:
            text = f.read()
        b, e = text.find(TABLE_BEGIN), text.find(TABLE_END)
        if b < 0 or e < b:
            print(f"qemu_diff: {a.readme} has no qemu-table markers", file=sys.stderr)
            return 2
        with open(a.readme, "w") as f:
            f.write(text[:b + len(TABLE_BEGIN)] + "\n" + table + text[e:])
    if not a.table:
        n = {v: sum(r["verdict"] == v for r in results) for v in ("agree", "disagree", "skip",
                                                                    "error")}
        print(f"{n['agree']} agree, {n['disagree']} disagree, {n['error']} errors, "
              f"{n['skip']} not run on QEMU")
    return 1 if bad else 0


def make_table(results):
    rows = ["| scenario | simulator | QEMU | verdict |", "|---|---|---|---|"]
    for r in sorted(results, key=lambda r: r["scenario"]):
        sim = r.get("simulator", "?")
        if r.get("violations"):
            sim += " (" + ", ".join(f"`{v}`" for v in r["violations"]) + ")"
        if r["verdict"] == "skip":
            q, v = "not run", r["reason"]
        else:
            q = r.get("qemu", "?")
            v = r["verdict"]
            expl = [n for n in r.get("notes") or [] if "pixel-exact" not in n]
            if r["verdict"] == "agree" and any("pixel-exact" in n for n in r.get("notes") or []):
                v += ", pixel-exact"
            if expl:
                v += "; " + "; ".join(expl)
        rows.append(f"| `{r['scenario']}` | {sim} | {q} | {v} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.exit(main())
