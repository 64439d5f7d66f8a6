"""Every device of a real Linux guest is checked, not only the gpu.

The `multi` case of tests/test_linux.py (tools/linux_cases.py): Debian's arm64 kernel drives a
virtio-gpu, a virtio-blk (a read-only disk image), a virtio-rng, a virtio-keyboard and a
virtio-net (QEMU's user network: a DHCP exchange and three pings of the gateway) on virtio-mmio.
`vqsim check` gives one result per device (NAME, NAME-blk, NAME-rng, NAME-input, NAME-net):
each replays that device's window through its own model and rules, every other window's traffic
left out. Each must be clean (no violation, no model-vs-recording discrepancy: every register and
config value Linux read, byte-wide config reads included, is the model's), and must have judged
traffic of its own (ring stores, loads, buffers).

Negative controls, one per device, on the same recording mutated where Linux did right:
  blk    the data and status descriptors of one read request (in its indirect table, as dumped)
         made device-readable: blk.req.status-writable, naming that request
  rng    one entropy buffer's descriptor made device-readable: rng.buf.writable-only
  input  the barrier before one eventq avail.idx store dropped: split.avail.idx-barrier on the
         input device's result and nowhere else
  net    one of Linux's controlq commands (RX PROMISC, its header as dumped) turned into RX
         ALLUNI, which needs VIRTIO_NET_F_CTRL_RX_EXTRA (Linux does not negotiate it):
         net.ctrl.class-negotiated, naming that command, and nothing else (QEMU acks both OK)
What the input check cannot see: no key is pressed in the guest, so QEMU's keyboard delivers no
event; the eventq buffers Linux posts are judged as ring traffic (descriptors, avail ring,
barriers, notifications), and input.eventq.buffer — judged when the device fills a buffer — is
not reached by this recording (README, "Checking a recording").
"""
import re
import struct

from conftest import ROOT
from test_linux import (Recording, check_doc, drop_barrier_before_store,  # noqa: F401
                        guest, recordings)

DEVICE_IDS = {"gpu": 0x10, "blk": 0x2, "rng": 0x4, "input": 0x12, "net": 0x1}
QUEUE_SEL, QUEUE_NOTIFY, QUEUE_DESC_LO, QUEUE_DRIVER_LO = 0x030, 0x050, 0x080, 0x090
WRITE, INDIRECT = 2, 4


def by_type(doc):
    return {s["device"]["type"]: s for s in doc}


def all_results(path, *extra):
    p, doc = check_doc(path, *extra)
    assert doc, p.stderr
    return p, doc["scenarios"]


def queues(r, device_id):
    """The window of the device and each queue's descriptor table and available ring."""
    evs = [r.ev(i) for i in range(len(r.events))]
    win = next(e["addr"] - 8 for e in evs if e["kind"] == "MMIO_READ" and
               e["addr"] & 0x1ff == 8 and e["value"] == device_id)
    sel, q = 0, {}
    for e in evs:
        if e["kind"] == "MMIO_WRITE" and e["addr"] & ~0x1ff == win:
            off = e["addr"] - win
            if off == QUEUE_SEL:
                sel = e["value"]
            elif off in (QUEUE_DESC_LO, QUEUE_DRIVER_LO):
                q.setdefault(sel, {})[off] = e["value"]
    return evs, win, q


def test_multi_every_device_checked_clean(recordings):
    rec, _ = recordings("multi", 0)
    p, res = all_results(rec)
    assert p.returncode == 0, p.stdout[-3000:]
    got = by_type(res)
    assert sorted(got) == ["blk", "gpu", "input", "net", "rng"], [s["name"] for s in res]
    assert res[0]["device"]["type"] == "gpu" and res[0]["name"] == "multi-0"
    windows = set()
    for t, s in got.items():
        assert s["passed"] and s["outcome"] == "ok", (t, s["outcome"], s["violations"])
        assert s["violations"] == [], (t, s["violations"])
        assert s["source"]["discrepancies"] == 0, (t, s["source"]["notes"])
        assert t == "gpu" or s["name"] == f"multi-0-{t}"
        windows.add(s["source"]["window"])
        r = s["source"]["replayed"]
        assert r["mmio"] > 40 and r["stores"] > 40 and r["other_devices"] > 0, (t, r)
    assert len(windows) == 5
    # the traffic each judged: blk read the disk (its requests' headers dumped at the notifies),
    # rng answered reads, the keyboard's eventq filled with buffers (64 of 4 stores each)
    assert got["blk"]["source"]["replayed"]["memory_dumps"] > 5
    assert got["rng"]["source"]["replayed"]["loads"] > 10
    assert got["input"]["source"]["replayed"]["stores"] >= 4 * 64
    # the capacity and read-only disk the guest saw are the model's
    assert "blk_ro" in got["blk"]["device"]["offered"], got["blk"]["device"]["offered"]


def test_multi_net_every_request_checked(recordings):
    """The network device's traffic, every request of it judged by the model: each frame the
    guest sent (transmitq), each frame QEMU's user network delivered (receiveq: its length from
    QEMU's trace, placed by the model in Linux's buffers), each controlq command Linux sent (RX
    mode, MAC table), all answered as QEMU answered them; the guest's own counts are the floor
    (it read them before powering off, and may send an IPv6 packet after)."""
    rec, serial = recordings("multi", 0)
    line = next(x for x in serial.splitlines() if x.startswith("VQTEST net "))
    rx, tx = (int(re.search(rf" {k}=(\d+)", line).group(1)) for k in ("rx", "tx"))
    p, res = all_results(rec)
    net = by_type(res)["net"]
    assert net["passed"] and net["violations"] == [], net["violations"]
    assert net["source"]["discrepancies"] == 0, net["source"]["notes"]
    req = {q["queue"]: q for q in net["source"]["requests"]}
    assert sorted(req) == [0, 1, 2], req  # receiveq, transmitq, controlq
    for q in req.values():
        assert q["taken"] == q["answered"], req
    assert req[0]["answered"] >= rx >= 5, (req, line)  # DHCP offer and ack, 3 ping replies
    assert req[1]["answered"] >= tx >= 5, (req, line)  # DHCP discover and request, 3 pings
    assert req[2]["answered"] >= 3, req  # RX PROMISC, RX ALLMULTI, MAC_TABLE_SET at least
    offered = net["device"]["offered"]
    assert "net_ctrl_vq" in offered and "net_gso" not in offered, offered  # QEMU 7.2's offer


def blk_status_readable(r):
    """One read request's data and status descriptors (every descriptor after the header in its
    indirect table, as dumped at its notify and when QEMU took it) made device-readable, a third
    of the way through the blk read requests: a driver that put the status byte in a read-only
    buffer (its data too, so the chain stays framed readable-then-writable and only the blk rule
    speaks). A third of the requests, not of the events: how many events other devices add
    before the guest reads its disk varies from one recording to the next."""
    evs, win, q = queues(r, DEVICE_IDS["blk"])
    desc = q[0][QUEUE_DESC_LO]
    table_of = {e["value"]: (e["addr"] - desc) // 16 for e in evs if e["kind"] == "STORE" and
                e["size"] == 8 and desc <= e["addr"] < desc + 16 * 1024 and
                (e["addr"] - desc) % 16 == 0}

    def read_request(e):  # header, data descriptor(s) device-writable, a 1-byte writable status
        pl = e["payload"]
        n = len(pl) // 16
        return (e["kind"] == "MEMORY" and e["addr"] in table_of and len(pl) % 16 == 0 and
                n >= 3 and struct.unpack_from("<IH", pl, 16 * n - 8) == (1, WRITE) and
                all(struct.unpack_from("<H", pl, 16 * d + 12)[0] & WRITE for d in range(1, n)))

    reads = [i for i, e in enumerate(evs) if read_request(e)]
    assert reads, "no blk read request's indirect table with a status descriptor"
    i = reads[len(reads) // 3]
    e = evs[i]
    pl = e["payload"]
    for k in range(i, len(evs)):  # every dump of this request's table
        f = evs[k]
        if f["kind"] == "STORE" and f["value"] == e["addr"] and k > i:
            break  # the table reused by a later request
        if f["kind"] == "MEMORY" and f["addr"] == e["addr"] and f["payload"] == pl:
            for d in range(1, len(pl) // 16):
                flags = struct.unpack_from("<H", pl, 16 * d + 12)[0] & ~WRITE
                r.events[k][32 + 16 * d + 12:32 + 16 * d + 14] = struct.pack("<H", flags)
    # the head whose descriptor pointed at this table when it was dumped: Linux reuses a freed
    # table for another head (table_of keeps only the last), e.g. when QEMU answered out of order
    return next((evs[k]["addr"] - desc) // 16 for k in range(i, -1, -1)
                if evs[k]["kind"] == "STORE" and evs[k]["size"] == 8 and
                evs[k]["value"] == e["addr"] and desc <= evs[k]["addr"] < desc + 16 * 1024 and
                (evs[k]["addr"] - desc) % 16 == 0)


def test_control_blk_status_readonly_fires(recordings, tmp_path):
    p, s, head = mutated_device(recordings, tmp_path, blk_status_readable, "blk")
    assert p.returncode == 1
    rules = [v["rule"] for v in s["violations"]]
    assert rules and rules[0] == "blk.req.status-writable", rules
    msg = s["violations"][0]["message"]
    assert f"request (head {head}) has no device-writable buffer" in msg, msg


def rng_buffer_readable(r):
    """One entropy request's descriptor flags stored device-readable (WRITE cleared in Linux's
    last flags store of it, half way through): rng.buf.writable-only (§5.4.6.1)."""
    evs, _, q = queues(r, DEVICE_IDS["rng"])
    desc = q[0][QUEUE_DESC_LO]
    hits = [i for i, e in enumerate(evs) if e["kind"] == "STORE" and e["size"] == 2 and
            desc <= e["addr"] < desc + 16 * 1024 and (e["addr"] - desc) % 16 == 12 and
            e["value"] == WRITE]
    i = hits[len(hits) // 2]
    r.set(i, value=0)
    return (evs[i]["addr"] - desc) // 16


def test_control_rng_readable_buffer_fires(recordings, tmp_path):
    p, s, head = mutated_device(recordings, tmp_path, rng_buffer_readable, "rng")
    assert p.returncode == 1
    rules = [v["rule"] for v in s["violations"]]
    # first the rule, at that request; then only what follows from QEMU having answered it (the
    # model holds a request with nothing writable, as QEMU does while it is alone, so Linux's
    # reuse of the descriptor it saw answered alters one still exposed)
    assert rules and rules[0] == "rng.buf.writable-only", rules
    assert set(rules[1:]) <= {"cleanup.no-alter-exposed"}, rules
    msg = s["violations"][0]["message"]
    assert f"request (head {head}) has 64 device-readable byte(s) and 0 writable" in msg, msg


def input_drop_barrier(r):
    """The barrier just before one eventq avail.idx store (Linux fills the eventq at probe, one
    virtio_wmb per buffer), half way through: pairing A on the input device."""
    evs, _, q = queues(r, DEVICE_IDS["input"])
    return drop_barrier_before_store(r, evs, q[0][QUEUE_DRIVER_LO] + 2)


def test_control_input_dropped_barrier_fires_pairing_a(recordings, tmp_path):
    p, s, idx = mutated_device(recordings, tmp_path, input_drop_barrier, "input")
    assert p.returncode == 1
    rules = [v["rule"] for v in s["violations"]]
    assert rules == ["split.avail.idx-barrier"], rules
    assert f"avail.idx = {idx} stored with no write barrier" in s["violations"][0]["message"]


def net_ctrl_alluni(r):
    """One of Linux's RX PROMISC commands, a third of the way through the controlq's traffic,
    made RX ALLUNI (class 0, command 2): its 2-byte header in every dump of that command (at its
    notify, and when QEMU took it). Linux does not negotiate CTRL_RX_EXTRA, which ALLUNI needs;
    QEMU acks both OK, so only the rule speaks. Returns how many commands were dumped."""
    evs, win, _ = queues(r, DEVICE_IDS["net"])
    first = next(i for i, e in enumerate(evs) if e["kind"] == "MMIO_WRITE" and
                 e["addr"] == win + QUEUE_NOTIFY and e["value"] == 2)  # the controlq's
    hdr = next(evs[i]["addr"] for i in range(first, 0, -1)
               if evs[i]["kind"] == "MEMORY" and len(evs[i]["payload"]) == 2)
    runs = []  # the dumps of one command: consecutive dumps of the header with one content
    for i, e in enumerate(evs):
        if e["kind"] == "MEMORY" and e["addr"] == hdr and len(e["payload"]) == 2:
            if runs and evs[runs[-1][0]]["payload"] == e["payload"]:
                runs[-1].append(i)
            else:
                runs.append([i])
    promisc = [run for run in runs if evs[run[0]]["payload"] == b"\x00\x00"]
    assert len(promisc) >= 2, [evs[run[0]]["payload"] for run in runs]
    for k in promisc[len(promisc) // 3]:
        r.events[k][33] = 2  # the command byte: VIRTIO_NET_CTRL_RX_ALLUNI
    return len(runs)


def test_control_net_ctrl_command_without_feature_fires(recordings, tmp_path):
    p, s, _ = mutated_device(recordings, tmp_path, net_ctrl_alluni, "net")
    assert p.returncode == 1
    rules = [v["rule"] for v in s["violations"]]
    assert rules == ["net.ctrl.class-negotiated"], rules
    msg = s["violations"][0]["message"]
    assert "class 0 command 2 without net_ctrl_rx_extra negotiated" in msg, msg
    assert s["source"]["discrepancies"] == 0, s["source"]["notes"]


def mutated_device(recordings, tmp_path, mutate, device):
    """The multi recording mutated; the result of `device`, and the others' all clean: the
    mutation is found where it was made, and nowhere else."""
    rec, _ = recordings("multi", 0)
    r = Recording(rec)
    what = mutate(r)
    out = tmp_path / "multi-mutated.vqrec"
    r.write(out)
    p, doc = all_results(out)
    res = by_type(doc)
    for t, s in res.items():
        if t != device:
            assert s["passed"] and s["violations"] == [], (t, s["violations"])
    return p, res[device], what


def test_scenario_picks_its_device_in_a_several_device_recording(recordings, tmp_path):
    """`vqsim check --scenario` with an entropy device's scenario checks the recording's entropy
    device (its window), not the gpu: one result, clean."""
    rec, _ = recordings("multi", 0)
    p, res = all_results(rec, "--scenario",
                         str(ROOT / "scenarios" / "devices" / "rng" / "rng-read.yaml"))
    assert p.returncode == 0, p.stdout[-2000:]
    assert [s["device"]["type"] for s in res] == ["rng"], [s["name"] for s in res]
    assert res[0]["source"]["window"] == "0xa003c00" and res[0]["violations"] == []
    assert res[0]["source"]["replayed"]["stores"] > 40
