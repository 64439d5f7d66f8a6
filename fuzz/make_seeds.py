#!/usr/bin/env python3
"""Write the binary seed inputs of fuzz/corpus/ (fuzz_driver_vs_device, fuzz_device_model,
fuzz_virtqueue, fuzz_drivers).

The seeds encode, in each target's input format (see the comment at the top of each target),
a correct run and a handful of hostile ones, so fuzzing starts deep in the code instead of at
the first register. Run from anywhere; rewrites only the files it names. fuzz_scenario's seeds
are scenario files (copied from scenarios/ by hand) and regression inputs.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v): return struct.pack('<B', v & 0xff)
def u16(v): return struct.pack('<H', v & 0xffff)
def u32(v): return struct.pack('<I', v & 0xffffffff)
def u64(v): return struct.pack('<Q', v & 0xffffffffffffffff)


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# ---- fuzz_driver_vs_device ---------------------------------------------------------------
# kernel part: header, then calls; device part: one action byte per driver wait.
LEGACY, CHAOS_MMIO, CHAOS_CONFIG, REFUSE, PACKED, WAIT_IRQ, FENCES, CURSOR = \
    1, 2, 4, 8, 16, 32, 64, 128
A_NOTHING, A_SANE, A_USED_ELEM, A_USED_IDX, A_BAD_ANSWER, A_REWRITE_DESC, A_NEEDS_RESET, \
    A_SELF_RESET, A_SCRIBBLE, A_CONFIG, A_TWICE, A_BAD_LEN, A_SPURIOUS_IRQ = range(13)
ON_CURSOR = 0x80  # a device action aimed at the cursor queue


def header(flags=0, qs=0, num_max=0, offered_flip=0, wanted=0, align=0, fail_alloc=0):
    return u8(flags) + u8(qs) + u8(num_max) + u64(offered_flip) + u64(wanted) + u8(align) + \
        u8(fail_alloc)


def rect(x, y, w, h): return u16(x) + u16(y) + u16(w) + u16(h)


DISPLAY = u8(0) + u8(0)
CREATE = u8(1) + u8(1) + u8(2) + u16(64) + u16(48)
ATTACH = u8(2) + u8(1) + u8(0) + u16(0) + u16(64 * 48 * 4 % 65536)
SCANOUT = u8(3) + u8(1) + u8(0) + rect(0, 0, 64, 48)
XFER = u8(4) + u8(1) + rect(0, 0, 64, 48) + u32(0)
FLUSH = u8(5) + u8(1) + rect(0, 0, 64, 48)
POLL = u8(6) + u8(0)
REINIT = u8(7) + u8(0)
UNREF = u8(8) + u8(1)
DETACH = u8(9) + u8(1)
EDID = u8(10) + u8(0)
BATCH = u8(11) + u8(2) + u8(2) + u8(0) + u8(1) + rect(0, 0, 16, 16) + u8(0)
CONFIG_EVENT = u8(12) + u8(0)
CURSOR_UPDATE = u8(13) + u8(0) + u8(1) + u16(10) + u16(20) + u8(1) + u8(2)
CURSOR_MOVE = u8(14) + u8(0) + u16(30) + u16(40)
VGPU_RESET = u8(15) + u8(0)
FB_MODE = u8(16) + u8(0) + u8(2) + u8(31) + u8(23)
FB_FILL = u8(17) + u8(0) + u8(1) + u8(2) + u8(8) + u8(8) + u32(0xff0000)
FB_PRESENT = u8(18) + u8(0)
FB_OFF = u8(19) + u8(0)
LIGHT_UP = DISPLAY + CREATE + ATTACH + SCANOUT + XFER + FLUSH


def drv(name, kernel, device=b''):
    write('fuzz_driver_vs_device', name, u16(len(kernel)) + kernel + device)


def seeds_driver():
    drv('modern-light-up', header() + LIGHT_UP)
    drv('legacy-light-up', header(flags=LEGACY) + LIGHT_UP)
    drv('modern-packed-edid', header(flags=PACKED, qs=8, wanted=1 << 1) + LIGHT_UP)
    drv('legacy-align-64-queue-4', header(flags=LEGACY, qs=4, align=6) + LIGHT_UP)
    drv('used-id-out-of-range', header() + DISPLAY + CREATE + REINIT + DISPLAY,
        u8(A_NOTHING) + u8(A_USED_ELEM) + u32(1000) + u32(24))
    drv('used-idx-jump', header() + DISPLAY + POLL + CREATE, u8(A_USED_IDX) + u16(7))
    drv('wrong-type-and-size', header() + DISPLAY + CREATE,
        u8(A_BAD_ANSWER) + u16(24) + u32(0x1203) + bytes(20) + u32(4096))
    drv('short-used-len', header() + DISPLAY + CREATE, u8(A_BAD_LEN) + u32(8))
    drv('same-id-twice', header() + DISPLAY + CREATE + FLUSH, u8(A_SANE) + u8(A_TWICE) + u32(24))
    drv('needs-reset-mid-request', header() + DISPLAY + CREATE + REINIT + DISPLAY,
        u8(A_NEEDS_RESET) + u8(A_NOTHING))
    drv('device-resets-itself', header() + DISPLAY + CREATE + REINIT + LIGHT_UP,
        u8(A_SELF_RESET))
    drv('descriptors-rewritten', header() + DISPLAY + CREATE,
        u8(A_REWRITE_DESC) + u64(0xdead0000) + u32(0xffffffff) + u16(3) + u16(9) + u16(0))
    drv('timeout-then-refuse', header() + DISPLAY + CREATE + POLL,
        bytes([A_NOTHING] * 16))
    drv('hostile-registers', header(flags=CHAOS_MMIO | CHAOS_CONFIG) + LIGHT_UP,
        u8(1) + u32(0x74726976) + u8(1) + u32(3) + u8(0) + u8(1) + u32(0xffffffff))
    drv('features-refused', header(flags=REFUSE, offered_flip=0xffffffff) + LIGHT_UP)
    drv('queue-num-max-small', header(num_max=1, qs=32) + LIGHT_UP)
    drv('alloc-fails', header(fail_alloc=3) + REINIT + LIGHT_UP)
    drv('fences-cursor-irq-wait', header(flags=FENCES | CURSOR | WAIT_IRQ, wanted=1 << 1) +
        LIGHT_UP + EDID + CURSOR_UPDATE + CURSOR_MOVE + UNREF + DETACH)
    drv('batch-and-framebuffer', header() + DISPLAY + BATCH + FB_MODE + FB_FILL + FB_PRESENT +
        FB_OFF + VGPU_RESET + REINIT + DISPLAY)
    drv('display-event', header(flags=WAIT_IRQ) + DISPLAY + CONFIG_EVENT + DISPLAY,
        u8(A_CONFIG) + u32(2) + u8(A_SPURIOUS_IRQ) + u8(A_SANE))
    drv('fence-not-echoed', header(flags=FENCES) + DISPLAY + CREATE,
        u8(A_BAD_ANSWER) + u16(24) + u32(0x1100) + bytes(20) + u32(24))
    drv('cursor-used-twice', header(flags=CURSOR) + CURSOR_MOVE + CURSOR_MOVE,
        u8(A_SANE | ON_CURSOR) + u8(A_TWICE | ON_CURSOR) + u32(0))


# ---- fuzz_device_model ----------------------------------------------------------------------
# op byte: low nibble the operation, bit 4 the queue, bit 5 a variant.
MMIO_W, MMIO_R, MEM_W, DELAY, INIT, DESC, AVAIL, NOTIFY, CMD, REQUEST, RESET = range(11)
T_INFO, T_CREATE, T_UNREF, T_SCANOUT, T_FLUSH, T_XFER, T_ATTACH, T_DETACH = range(8)
RAM = 0x40000000
FB_AREA = RAM + 0x80000


def init(q=0, num=16, features=0): return u8(INIT) + u8(q) + u16(num) + u32(features)


def request(k, mode, body, q=0):
    return u8(REQUEST | (q << 4)) + u8(k) + u8(mode) + body


def r8(x, y, w, h): return u8(x) + u8(y) + u8(w) + u8(h)


M_INFO = request(0, T_INFO, u8(0))
M_CREATE = request(1, T_CREATE, u8(1) + u8(1) + u8(63) + u8(47))
M_ATTACH = request(2, T_ATTACH, u8(1) + u8(1) + u8(0) + u16(0) + u32(64 * 48 * 4))
M_SCANOUT = request(3, T_SCANOUT, u8(1) + r8(0, 0, 64, 48) + u8(0))
M_XFER = request(4, T_XFER, u8(1) + r8(0, 0, 64, 48) + u16(0))
M_FLUSH = request(5, T_FLUSH, u8(1) + r8(0, 0, 64, 48))
M_DETACH = request(6, T_DETACH, u8(1))
M_UNREF = request(7, T_UNREF, u8(1))
M_LIGHT_UP = M_INFO + M_CREATE + M_ATTACH + M_SCANOUT + M_XFER + M_FLUSH
DELAY_10US = u8(DELAY) + u16(160)


def desc(i, addr, length, flags, nxt, q=0):
    return u8(DESC | (q << 4)) + u16(i) + u8(0x80) + u64(addr) + u32(length) + u8(flags) + u16(nxt)


def avail(head, step=1, q=0): return u8(AVAIL | (q << 4)) + u16(head) + u8(step)


def notify(q=0): return u8(NOTIFY | (q << 4))


def dev(name, data): write('fuzz_device_model', name, data)


def seeds_model():
    MODERN, LEGACY_T, OFFER = 0, 1, 2
    dev('modern-light-up', u8(MODERN) + init() + M_LIGHT_UP + M_DETACH + M_UNREF + DELAY_10US)
    dev('legacy-light-up', u8(LEGACY_T) + init() + M_LIGHT_UP + u8(RESET) + init() + M_INFO)
    dev('cursor-queue', u8(MODERN) + init(q=1, num=8) + request(0, T_INFO, u8(0), q=1))
    dev('fenced-commands', u8(MODERN) + init() + request(0, T_INFO | 0x20, u64(7) + u8(0)) +
        request(1, T_CREATE | 0x20, u64(8) + u8(1) + u8(2) + u8(15) + u8(15)))
    dev('raw-command-bodies', u8(MODERN) + init() +
        request(0, 0x40 | T_ATTACH, u8(8) + u32(1) + u32(0xffffffff)) +
        request(1, 0x10, u32(0x0200) + u8(0)))
    dev('avail-idx-jump', u8(MODERN) + init() + avail(0, 0x90) + notify() + DELAY_10US)
    dev('head-out-of-range', u8(MODERN) + init() + avail(500) + notify() + DELAY_10US)
    dev('desc-loop', u8(MODERN) + init() + desc(0, RAM + 0x40000, 24, 1, 1) +
        desc(1, RAM + 0x48000, 24, 1, 0) + avail(0) + notify() + DELAY_10US)
    dev('desc-zero-length', u8(LEGACY_T) + init() + desc(0, RAM + 0x40000, 0, 0, 0) + avail(0) +
        notify() + DELAY_10US)
    dev('writable-then-readable', u8(MODERN) + init() + desc(0, RAM + 0x48000, 24, 3, 1) +
        desc(1, RAM + 0x40000, 24, 0, 0) + avail(0) + notify() + DELAY_10US)
    dev('desc-outside-ram', u8(MODERN) + init() + desc(0, 0xfffffffffffff000, 4096, 0, 0) +
        avail(0) + notify() + DELAY_10US)
    dev('ring-outside-ram', u8(MODERN) + init() + u8(MMIO_W) + u8(0x80 // 4) + u32(0x10) +
        u8(MMIO_W) + u8(0x44 // 4) + u32(1) + notify() + DELAY_10US)
    dev('offer-and-withhold', u8(OFFER) + u64(1 << 35) + u64(1 << 29) + init(features=1 << 1) +
        M_LIGHT_UP)
    dev('bugs-and-device-faults', u8(MODERN | 4 | 8) +
        u8(1) +                                                      # two device faults:
        u8(1) + u8(0) + u8(1) + u8(0) + u16(0) + u16(50) +           # respond-late 50 us
        u8(3) + u8(0) + u8(2) + u8(0) + u16(0) + u16(0) +            # drop-interrupt, 2nd request
        u8(0) +                                                      # one driver bug:
        u8(1) + u8(0x38 // 4) + u8(0) + u8(0) + u64(8) + u8(1) +     # QueueNum written as 8
        init() + M_INFO + M_CREATE + DELAY_10US + u8(DELAY) + u16(0xffff) + M_FLUSH)
    dev('huge-queue-legacy', u8(LEGACY_T) + init(num=1024) + M_INFO + M_CREATE)
    # Regression: the model limited each resource to 256 MiB but not their total (QEMU's
    # max_hostmem is one budget), so 60 near-256 MiB images took > 10 s and unbounded memory.
    # (The target now runs with a 16 MiB budget, so these 4 MiB images exhaust it at the 4th;
    # test_gpu_device checks the 256 MiB default.)
    many = b''
    for i in range(60):
        body = u32(i + 1) + u32(2) + u32(1024) + u32(1023)
        many += request(i % 8, 0x40 | T_CREATE, u8(len(body)) + body)
    dev('regress-hostmem-budget', u8(MODERN) + init() + many)
    # The other devices (bits 4-5 of the flags): the same operations, a gpu command being bytes
    # in a buffer to them — a blk request header (type, sector), entropy, input events.
    BLK, RNG, INPUT = 0x10, 0x20, 0x30
    blk_hdr = lambda t, sector: u8(16) + u32(t) + u32(0) + u64(sector)
    dev('blk-requests', u8(MODERN | BLK) + init() + request(0, 0x40 | T_ATTACH, blk_hdr(0, 0)) +
        request(1, 0x40 | T_ATTACH, blk_hdr(1, 8)) + request(2, 0x40 | T_ATTACH, blk_hdr(8, 0)) +
        DELAY_10US)
    dev('blk-legacy-past-the-end', u8(LEGACY_T | BLK) + init() +
        request(0, 0x40 | T_ATTACH, blk_hdr(0, 1 << 40)) + DELAY_10US)
    dev('rng-requests', u8(MODERN | RNG) + init() + request(0, T_INFO, u8(0)) +
        request(1, T_INFO, u8(0)) + DELAY_10US)
    # behind a virtio-pci function (bit 6): BARs assigned (op 15), a read of every capability,
    # device_status through the common configuration, a notify, MSI-X table writes
    PCI = 0x40
    cfg_rd = lambda off: u8(12) + u8(off)
    bar_wr = lambda off, width, v, msix=0: u8(13) + u8(width | msix) + u16(off) + \
        (u8(v) if width == 0 else u16(v) if width == 1 else u32(v))
    bar_rd = lambda off, width, msix=0: u8(14) + u8(width | msix) + u16(off)
    pci_walk = b''.join(cfg_rd(o) for o in (0, 4, 8, 0x10, 0x14, 0x20, 0x24, 0x34, 0x40, 0x50,
                                              0x60, 0x70, 0x84, 0x98))
    dev('pci-gpu-status', u8(MODERN | PCI) + u8(15) + pci_walk + bar_wr(0x14, 0, 1) +
        bar_wr(0x14, 0, 3) + bar_rd(0x00, 2) + bar_wr(0x16, 1, 0) + bar_rd(0x18, 1) +
        bar_rd(0x1000, 0) + bar_wr(0x3000, 1, 0) + bar_wr(0x0, 2, 0xfee00000, 0x80) +
        bar_rd(0x800, 2, 0x80) + bar_wr(0x1, 2, 5) + DELAY_10US)
    dev('pci-blk-config', u8(MODERN | PCI | BLK) + u8(15) + bar_rd(0x2000, 2) +
        bar_rd(0x2004, 2) + bar_rd(0x2014, 1) + u8(11) + u8(0x04) + u32(0) + bar_rd(0x0, 2) +
        DELAY_10US)
    dev('input-eventq', u8(MODERN | INPUT) + init() + request(0, T_INFO, u8(0)) +
        request(1, T_INFO, u8(0), q=1) + DELAY_10US)
    # virtio-net (bit 7): both queues set up (INIT with bit 5), receive buffers posted on the
    # receiveq (queue 0), frames arriving (DELAY with bit 5), a header and a frame sent on the
    # transmitq (queue 1: the command bytes of buffer k, type 0, so the 12-byte header is zero)
    NET, ALL, ARRIVE, PK = 0x80, 0x20, 0x20, 0x20
    rx = lambda i, length=1526, q=0: desc(i, RAM + 0x48000 + 0x1000 * i, length, 2, 0, q) + \
        avail(i, q=q)
    tx_frame = lambda k, n: u8(CMD) + u8(k) + u8(0x50) + u32(0) + u8(n) + bytes(range(n))
    arrive = lambda n, t=160: u8(DELAY | ARRIVE) + u8(n - 1) + u16(t)
    net_init = lambda num=16, features=0: u8(INIT | ALL) + u8(0) + u16(num) + u32(features)
    dev('net-rx-tx', u8(MODERN | NET) + net_init() + b''.join(rx(i) for i in range(4)) +
        notify(0) + arrive(2) + tx_frame(0, 60) + desc(0, RAM + 0x40000, 12 + 60, 0, 0, q=1) +
        avail(0, q=1) + notify(1) + DELAY_10US + arrive(2))
    dev('net-legacy-small-buffers', u8(LEGACY_T | NET) + net_init(num=8) +
        b''.join(rx(i, 64) for i in range(3)) + notify(0) + arrive(3) + DELAY_10US)
    dev('net-mergeable', u8(MODERN | NET) + net_init(features=1 << 15) +
        b''.join(rx(i) for i in range(8)) + notify(0) + u8(DELAY | ARRIVE) + u8(2) + u16(160))
    # Packed rings (§2.7): the device offers RING_PACKED (flags bit 1: offer bit 34), the guest
    # asks for it (INIT feature bit 26); requests are then packed chains, and DESC with bit 5
    # writes a packed chain of its own (count, then per descriptor an address, length, flags,
    # then the buffer id)
    packed = lambda flags=0: u8(MODERN | OFFER | flags) + u64(1 << 34) + u64(0)
    pdesc = lambda q, bufs, bid, lie=0: u8(DESC | PK | (q << 4)) + \
        u8((len(bufs) - 1) | (0x80 if lie else 0)) + \
        b''.join(u8(0) + u32(a - RAM) + u32(n) + u8(f) for a, n, f in bufs) + u16(bid)
    dev('packed-gpu-light-up', packed() + init(features=1 << 26) + M_LIGHT_UP + M_DETACH +
        M_UNREF + DELAY_10US)
    dev('packed-blk-requests', packed(BLK) + init(features=1 << 26) +
        request(0, 0x40 | T_ATTACH, blk_hdr(0, 0)) + request(1, 0x40 | T_ATTACH, blk_hdr(1, 8)) +
        DELAY_10US)
    dev('packed-chains-and-lies', packed() + init(features=1 << 26, num=4) +
        pdesc(0, [(RAM + 0x40000, 24, 0), (RAM + 0x48000, 4096, 2)], 3) + notify(0) +
        DELAY_10US + pdesc(0, [(RAM + 0x40000, 24, 0)], 9, lie=1) + notify(0) + DELAY_10US +
        pdesc(0, [(RAM + 0x40000, 16, 4)], 1) + notify(0) + DELAY_10US + M_INFO + M_INFO)
    dev('packed-net-rx', packed(NET) + net_init(features=1 << 26) +
        b''.join(pdesc(0, [(RAM + 0x48000 + 0x1000 * i, 1526, 2)], i) for i in range(4)) +
        notify(0) + arrive(2) + tx_frame(0, 60) + pdesc(1, [(RAM + 0x40000, 72, 0)], 0) +
        notify(1) + DELAY_10US)


# ---- fuzz_virtqueue ------------------------------------------------------------------------
# header (flags, queue size - 1), then one operation per byte (fuzz/fuzz_virtqueue.c).
VQ_PACKED, VQ_EIDX, VQ_INDIRECT, VQ_INORDER, VQ_LENIENT, VQ_ONE_REGION, VQ_LEGACY = \
    1, 2, 4, 8, 16, 32, 64
V_ADD, V_KICK, V_GET, V_ENABLE, V_HAS, V_COMPLETE, V_SCRIBBLE16, V_SCRIBBLE32 = range(8)


def vq_add(n_out, n_in, lens=(24, 4096)):
    return u8(V_ADD) + u8(n_out | n_in << 2) + (u8(lens[0] // 16) + u16(lens[1])) * 3


def vq_round(n_out=1, n_in=1, used_len=0):
    return vq_add(n_out, n_in) + u8(V_KICK) + u8(V_COMPLETE) + u32(used_len) + u8(V_GET) + \
        u8(V_ENABLE)


def seeds_virtqueue():
    v = lambda name, flags, num, body: write('fuzz_virtqueue', name, u8(flags) + u8(num - 1) + body)
    laps = lambda n, **k: b''.join(vq_round(**k) for _ in range(n))
    v('split-rounds', 0, 4, laps(10))
    v('split-eidx-indirect', VQ_EIDX | VQ_INDIRECT, 8, laps(20, n_out=2, n_in=2))
    v('split-legacy-layout', VQ_LEGACY | VQ_EIDX, 16, laps(20))
    v('split-one-region', VQ_ONE_REGION | VQ_INDIRECT, 3, laps(9, n_out=2, n_in=1))
    v('split-inorder-batch', VQ_INORDER, 4, vq_add(1, 1) * 3 + u8(V_KICK) + u8(V_COMPLETE) * 3 +
      u32(0) * 3 + u8(V_GET) * 4)
    v('split-full-queue', VQ_EIDX, 2, vq_add(1, 1) * 3 + u8(V_KICK) + (u8(V_COMPLETE) + u32(1)) * 2
      + u8(V_GET) * 3 + laps(3))
    v('split-hostile-used', VQ_LENIENT, 4, vq_add(1, 1) + u8(V_KICK) + u8(V_SCRIBBLE32) + u16(2) +
      u32(7) + u8(V_SCRIBBLE16) + u16(1) + u16(1) + u8(V_GET))
    v('packed-rounds', VQ_PACKED, 4, laps(12))
    v('packed-eidx-indirect', VQ_PACKED | VQ_EIDX | VQ_INDIRECT, 8, laps(20, n_out=2, n_in=2))
    v('packed-long-lists', VQ_PACKED | VQ_LENIENT, 3, laps(8, n_out=1, n_in=2))
    v('packed-hostile-flags', VQ_PACKED | VQ_EIDX, 4, vq_add(1, 1) + u8(V_KICK) +
      u8(V_SCRIBBLE16) + u16(7) + u16(0x8080) + u8(V_GET) + u8(V_SCRIBBLE16) + u16(0x8000) +
      u16(2) + u8(V_KICK))


# ---- fuzz_drivers --------------------------------------------------------------------------
# flags (transport, device, ring features), queue size, hostility, [faults, lies], then calls.
T_MMIO2, T_MMIO1, T_PCI = 0, 1, 2
D_BLK, D_RNG, D_INPUT, D_NET = 0, 4, 8, 12
R_PACKED, R_EIDX, R_INDIRECT, R_MRG = 16, 32, 64, 128
C_TIME, C_SCRIBBLE, C_INIT, C_IO = 0, 1, 2, 3


def c_time(n=0, us=10): return u8(C_TIME) + u8(n) + u8(us)
def c_scribble(q, off, v): return u8(C_SCRIBBLE) + u8(q) + u16(off) + u16(v)
def blk_rw(kind, sector, n, pattern=0): return u8(C_IO | kind << 3) + u8(sector) + u8(n) + u8(pattern)
def rng_read(n): return u8(C_IO) + u16(n)
def net_send(n): return u8(C_IO | 8) + u16(n)
def net_recv(small=0): return u8(C_IO | (16 if small else 0)) + u16(small)


def df(kind, queue=0, nth=1, from_nth=0, after=0, delay=0):
    return u8(kind) + u8(queue) + u8(nth) + u8(from_nth) + u16(after) + u16(delay)


def seeds_drivers():
    d = lambda name, flags, qs, hostile, body: write('fuzz_drivers', name, u8(flags) +
                                                     u8(qs.bit_length() - 1) + u8(hostile) + body)
    blk_work = blk_rw(1, 3, 2, 0x5a) + blk_rw(0, 3, 2) + blk_rw(0, 0, 8) + blk_rw(2, 0, 0) + \
        blk_rw(3, 8, 4, 0) + blk_rw(0, 8, 4) + blk_rw(3, 9, 1, 1) + blk_rw(0, 127, 2)
    for name, t in (('mmio2', T_MMIO2), ('mmio1', T_MMIO1), ('pci', T_PCI)):
        d(f'blk-{name}', D_BLK | t, 8, 0, blk_work)
        d(f'rng-{name}', D_RNG | t, 4, 0, rng_read(16) + rng_read(4096) + rng_read(0) + rng_read(1))
        d(f'input-{name}', D_INPUT | t, 8, 0, c_time(3) + u8(C_IO) * 3 + c_time(3) + u8(C_IO) * 4)
        d(f'net-{name}', D_NET | t, 8, 0, net_send(60) + c_time(2) + net_recv() + net_recv() +
          net_send(1514) + c_time(3) + net_recv() * 3)
    d('blk-packed-eidx-pci', D_BLK | T_PCI | R_PACKED | R_EIDX, 16, 0, blk_work * 3)
    d('blk-indirect-one-region', D_BLK | T_MMIO2 | R_INDIRECT | R_MRG, 4, 0, blk_work)
    d('net-packed-mergeable', D_NET | T_MMIO2 | R_PACKED | R_MRG, 8, 0,
      (net_send(100) + c_time(3) + net_recv() * 3) * 3)
    d('input-packed-pci-reinit', D_INPUT | T_PCI | R_PACKED | R_EIDX, 4, 0,
      c_time(3) + u8(C_IO) * 2 + u8(C_INIT) + c_time(3) + u8(C_IO) * 3)
    # hostile: device faults (device_faults.h kinds by number), lies, scribbles
    NEVER, LATE, TWICE_, NEEDS_RESET, RESET = 0, 1, 10, 4, 5
    ID_RANGE, NOT_HEAD, IDX_JUMP, LEN_LARGE, REWRITE_DESC = 8, 9, 11, 12, 13
    d('blk-used-id-out-of-range', D_BLK, 8, 1, df(ID_RANGE) + blk_work)
    d('blk-used-len-too-large-pci', D_BLK | T_PCI, 8, 1, df(LEN_LARGE, nth=2) + blk_work)
    d('rng-never-answers', D_RNG, 4, 1, df(NEVER) + rng_read(8) + rng_read(8) + u8(C_INIT) +
      rng_read(8))
    d('net-idx-jump-and-twice', D_NET | R_EIDX, 8, 2, df(IDX_JUMP, queue=1) + df(TWICE_) +
      net_send(60) + net_send(60) + c_time(3) + net_recv() * 3)
    d('input-needs-reset-packed', D_INPUT | R_PACKED, 4, 2, df(NEEDS_RESET, from_nth=1) +
      df(REWRITE_DESC, nth=0) + c_time(3) + u8(C_IO) * 3 + u8(C_INIT) + c_time(1) + u8(C_IO))
    d('blk-self-reset-not-head', D_BLK | R_INDIRECT, 8, 2, df(RESET, nth=3) + df(NOT_HEAD, nth=2) +
      blk_work)
    # lies: on virtio-mmio a register read (what = reg << 1) or a used-ring load (what odd)
    lie_reg = lambda reg, v, nth=1: u8((reg // 4) << 1) + u8(0) + u8(0) + u32(v) + u8(nth)
    lie_ring = lambda field, v, nth=1: u8(1) + u8(field) + u8(0) + u32(v) + u8(nth)
    d('blk-lying-registers', D_BLK, 8, 3 << 2, lie_reg(0x34, 0) + lie_reg(0x70, 0xffffffff) +
      lie_reg(0x100, 0xffffffff) + blk_work)
    d('rng-lying-used-ring', D_RNG | R_EIDX, 4, 2 << 2, lie_ring(0, 7) + lie_ring(3, 0xffff, 2) +
      rng_read(32) * 4)
    # on virtio-pci a byte of configuration space: the capability pointer, a cap's BAR and length
    d('pci-lying-capabilities', D_NET | T_PCI, 8, 3 << 2, u8(0x34) + u8(0x41) + u8(0x44) + u8(9) +
      u8(0x5c) + u8(0xff) + net_send(60) + c_time(2) + net_recv())
    d('net-scribbled-used-ring', D_NET, 8, 0, net_send(60) + c_scribble(1, 2, 9) + net_send(60) +
      c_time(3) + c_scribble(0, 4, 0x4000) + net_recv() * 2)


if __name__ == '__main__':
    seeds_driver()
    seeds_model()
    seeds_virtqueue()
    seeds_drivers()
