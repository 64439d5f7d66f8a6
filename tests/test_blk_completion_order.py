"""QEMU's virtio-blk answers requests as its block layer completes them, not in the order it took
them: on a loaded host, two reads in flight can complete the second first. Its trace says so —
`virtqueue_pop vq V elem E …` for each chain taken, `virtqueue_fill vq V elem E len L idx I` for
the answer published at used index (flushed + I) — and the replay follows it
(src/harness/replay_device.c: qemu_filled, src/model/device_pace.c: pace_order): the model's
device publishes the head QEMU published there. tests/data/linux-recordings/
multi-blk-out-of-order.vqrec is such a run (its README): `vqsim check` must find every device
clean with no model-vs-recording discrepancy (it used to report the blk's swapped used ids as 4
ring-load discrepancies). Where the model cannot follow — it had already published another head
at that used index, here because QEMU's fill lines are moved after the guest read the answers —
the check says so by name, and still reports no driver problem."""
import re
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from test_linux import Recording, check_doc  # noqa: E402

OOO = ROOT / "tests" / "data" / "linux-recordings" / "multi-blk-out-of-order.vqrec"
CANNOT = "the model cannot follow QEMU's completion order"


def check(path):
    """`vqsim check --json` (test_linux.check_doc): the process and each device's result."""
    p, doc = check_doc(path)
    assert doc, p.stderr
    return p, {s["device"]["type"]: s for s in doc["scenarios"]}


def out_of_order_fills(r):
    """Each fill of an element that is not the oldest taken and unanswered of its VirtQueue:
    (event index, the oldest's pop index, this one's pop index)."""
    pending, found = {}, []
    for i in range(len(r.events)):
        e = r.ev(i)
        m = re.match(rb"virtqueue_(pop|fill) vq (0x[0-9a-f]+) elem (0x[0-9a-f]+)", e["payload"])
        if e["kind"] != "DEVICE" or not m:
            continue
        what, vq, elem = m.groups()
        p = pending.setdefault(vq, [])
        if what == b"pop":
            p.append((elem, i))
            continue
        k = [x[0] for x in p].index(elem)
        if k:
            found.append((i, p[0][1], p[k][1]))
        p.pop(k)
    return found


def test_the_recording_has_a_fill_out_of_order():
    """What the file holds: QEMU answered a blk request taken after another still unanswered."""
    found = out_of_order_fills(Recording(OOO))
    assert len(found) == 2, found
    r = Recording(OOO)
    for fill, first, second in found:
        assert first < second < fill
        assert b"virtio_queue_notify" in r.ev(first - 3)["payload"]


def test_every_device_clean_when_qemu_answered_out_of_order(tmp_path):
    rec = tmp_path / OOO.name
    rec.write_bytes(OOO.read_bytes())
    p, res = check(rec)
    assert p.returncode == 0, p.stdout[-3000:]
    assert sorted(res) == ["blk", "gpu", "input", "net", "rng"], sorted(res)
    for t, s in res.items():
        assert s["passed"] and s["outcome"] == "ok" and s["violations"] == [], (t, s["violations"])
        assert s["source"]["discrepancies"] == 0, (t, s["source"]["notes"])
    assert res["blk"]["source"]["replayed"]["memory_dumps"] > 5


def test_control_fills_after_the_guest_read_them_cannot_be_followed(tmp_path):
    """QEMU's fills and flushes of the first out-of-order answer moved after the guest's loads of
    those used elements: the model published in the order it took the chains when the guest read
    used.idx, and then learns QEMU's order — it says it cannot follow, at which head and used
    index, and reports no driver problem."""
    r = Recording(OOO)
    fill = out_of_order_fills(r)[0][0]
    vq = re.search(rb"vq (0x[0-9a-f]+)", r.ev(fill)["payload"]).group(1)
    # QEMU's lines of that completion: its fill, flush, notify, and the next fill and flush
    end = next(i for i in range(fill + 1, len(r.events)) if r.ev(i)["kind"] == "DEVICE" and
               r.ev(i)["payload"].startswith(b"virtqueue_flush vq " + vq) and i > fill + 1 and
               any(r.ev(j)["payload"].startswith(b"virtqueue_fill") for j in range(fill + 1, i)))
    lines = [i for i in range(fill, end + 1) if r.ev(i)["kind"] == "DEVICE"]
    # after the guest's second used-element load following them
    loads = [i for i in range(end + 1, len(r.events)) if r.ev(i)["kind"] == "LOAD" and
             r.ev(i)["size"] == 4 and r.ev(i)["value"] == 0x20001]
    moved = [r.events[i] for i in lines]
    at = loads[1]
    r.events = ([x for i, x in enumerate(r.events[:at + 1]) if i not in lines] + moved +
                r.events[at + 1:])
    out = tmp_path / "moved-fills.vqrec"
    r.write(out)
    p, res = check(out)
    blk = res["blk"]
    assert p.returncode == 0, p.stdout[-3000:]
    assert blk["violations"] == [] and blk["outcome"] == "ok", blk["violations"]
    notes = [n["text"] for n in blk["source"]["notes"]]
    said = [n for n in notes if CANNOT in n]
    assert len(said) == 1, notes
    assert re.match(r"QEMU answered head \d+ at used index \d+ out of the order it took its "
                    r"chains; the model's device had already published head \d+ there", said[0])
    assert all(s["source"]["discrepancies"] == 0 for t, s in res.items() if t != "blk")
