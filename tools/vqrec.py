#!/usr/bin/env python3
"""vqrec.py - read a recording of `vqsim record` (src/record/recording.h) and print it.
Format 2 (deflated events) and format 1 (plain).

  tools/vqrec.py RECORDING        one line per event
As a module: read(path) -> (header dict, list of event dicts); plain(bytes) / deflated(bytes)
convert between format 2 (what vqsim writes: the events deflated) and format 1; the tests use
them.
Python 3 standard library only.
"""
import struct
import sys
import zlib

HEADER = struct.Struct("<8sHHIQQII32s")
EVENT = struct.Struct("<BBBBIQQQ")
KINDS = {1: "MMIO_READ", 2: "MMIO_WRITE", 3: "LOAD", 4: "STORE", 5: "BARRIER", 6: "MEMORY",
         7: "WINDOW", 8: "DEVICE", 9: "END", 10: "NOTE", 11: "PCI_ECAM"}
BARRIERS = {0: "MB", 1: "RMB", 2: "WMB"}
DEVICE = {1: "notify", 2: "pop", 3: "fill", 4: "flush", 5: "irq", 15: "other"}
F_ACQUIRE, F_RELEASE, F_VIRT, F_POLL, F_WATCHED, F_TRACED = 1, 2, 4, 8, 16, 32
END_KILLED, END_TRUNCATED = 1, 2
HF_MMU_SEEN = 1
M_RING = 1  # flags of MEMORY
CPU_NONE = 255  # the vCPU of device events, notes and END (minor 2)


def plain(data):
    """A recording's bytes as format 1 (events uncompressed): format 2's inflated (a stream cut
    short gives what it holds), format 1's as they are."""
    if len(data) < HEADER.size or data[:8] != b"VQSIMREC":
        raise ValueError("not a recording")
    major, hsize = struct.unpack_from("<H", data, 8)[0], struct.unpack_from("<I", data, 12)[0]
    if major == 1:
        return bytes(data)
    if major != 2:
        raise ValueError(f"recording format {major}: this reads 1 and 2")
    out, rest = [data[:8] + struct.pack("<H", 1) + data[10:hsize]], data[hsize:]
    while rest:  # zlib streams back to back (vqsim record appends its END as one)
        d = zlib.decompressobj()
        out.append(d.decompress(rest))
        if not d.eof:
            break  # cut short
        rest = d.unused_data
    return b"".join(out)


def deflated(data):
    """Format 1 bytes (plain()) as format 2: the events after the header deflated."""
    hsize = struct.unpack_from("<I", data, 12)[0]
    return data[:8] + struct.pack("<H", 2) + data[10:hsize] + zlib.compress(data[hsize:])


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < HEADER.size:
        raise ValueError(f"{path}: shorter than a header")
    major = struct.unpack_from("<H", data, 8)[0]  # 2: deflated (plain() says 1)
    data = plain(data)
    magic, _, minor, hsize, ram_base, ram_size, n_cpus, flags, source = HEADER.unpack_from(data)
    hdr = dict(major=major, minor=minor, ram_base=ram_base, ram_size=ram_size, n_cpus=n_cpus,
               flags=flags, source=source.rstrip(b"\0").decode())
    events, pos = [], hsize
    while pos + EVENT.size <= len(data):
        kind, size, flags, cpu, ln, addr, value, pc = EVENT.unpack_from(data, pos)
        end = pos + EVENT.size + ln
        if end > len(data):
            break  # cut short
        payload = data[pos + EVENT.size:end]
        events.append(dict(kind=KINDS.get(kind, kind), size=size, flags=flags, cpu=cpu,
                           addr=addr, value=value, pc=pc, payload=payload))
        pos = end + (-ln % 8)
    return hdr, events


def text(e):
    """The NUL-terminated text payload of a DEVICE / NOTE event."""
    return e["payload"].split(b"\0")[0].decode(errors="replace")


def show(e):
    """One event, prefixed with its vCPU ("c0") or "--" for none (device, notes, end)."""
    return ("--" if e["cpu"] == CPU_NONE else f"c{e['cpu']}") + " " + _show(e)


def _show(e):
    k = e["kind"]
    if k in ("MMIO_READ", "MMIO_WRITE", "LOAD", "STORE"):
        fl = "".join(n for b, n in ((F_ACQUIRE, " acq"), (F_RELEASE, " rel"), (F_VIRT, " virt"),
                                    (F_POLL, " poll"), (F_WATCHED, " watched"),
                                    (F_TRACED, " traced")) if e["flags"] & b)
        return f"{k:10} {e['addr']:#012x} sz={e['size']} v={e['value']:#x} pc={e['pc']:#x}{fl}"
    if k == "BARRIER":
        return f"{k:10} {BARRIERS.get(e['value'], e['value'])} op={e['addr']:#010x} pc={e['pc']:#x}"
    if k == "MEMORY":
        return f"{k:10} {e['addr']:#012x} {len(e['payload'])} of {e['value']} bytes: " \
               f"{e['payload'][:16].hex()}" + (" (ring taken)" if e["flags"] & M_RING else "")
    if k in ("WINDOW", "PCI_ECAM"):
        return f"{k:10} {e['addr']:#012x} size={e['value']:#x}"
    if k == "DEVICE":
        win = f" window={e['pc']:#x}" if e["pc"] else ""
        return f"{k:10} {DEVICE.get(e['value'], e['value'])} q={e['addr']:#x}{win} " + text(e)
    if k == "END":
        return f"{k:10} status={e['value']} flags={e['flags']}"
    return f"{k} {text(e)}"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    h, ev = read(sys.argv[1])
    print(h)
    for e in ev:
        print(show(e))
