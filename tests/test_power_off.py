"""A driver that resets its device with requests in flight and powers off abandons them; it does
not wait for them (src/harness/replay_abandon.c). Linux resets every virtio device at power-off
(virtio_dev_shutdown) without waiting for the buffers in flight, and QEMU's gpu answers a moment
after the notify (a bottom half of its main loop): tests/data/linux-recordings/
multi-power-off-race.vqrec is such a run, recorded unmodified (its README). `vqsim check` must
find it clean, saying what was abandoned — and still find a hang in each mutation of it where
the guest could have been waiting: QEMU stopped by the time bound, the kick never made, the guest
reading used.idx again after its reset."""
import json
import pathlib
import subprocess
import sys

import pytest

from conftest import ROOT, vqsim_path

sys.path.insert(0, str(ROOT / "tools"))
import vqrec  # noqa: E402
from test_linux import Recording, end_here, last_kick  # noqa: E402

RACE = ROOT / "tests" / "data" / "linux-recordings" / "multi-power-off-race.vqrec"
GPU_WINDOW = 0x0a003e00


def check(path):
    out = pathlib.Path(str(path) + ".json")
    p = subprocess.run([str(vqsim_path()), "check", "-v", "--json", str(out), str(path)],
                       capture_output=True, text=True, timeout=600)
    doc = json.loads(out.read_text())
    return p, {s["name"].rsplit("-", 1)[-1] if s["name"] != path.stem else "gpu": s
               for s in doc["scenarios"]}


def ending(r):
    """The gpu's last kick before its power-off reset (index of the QueueNotify write), the reset,
    and QEMU's notify line of that kick."""
    evs = [r.ev(i) for i in range(len(r.events))]
    return (evs, *last_kick(evs, GPU_WINDOW))


def test_the_recording_is_the_race():
    """What the file holds: two commands kicked, QEMU notified, no pop, then the guest's reset."""
    r = Recording(RACE)
    evs, kick, reset, line = ending(r)
    between = evs[line:reset]
    assert not [e for e in between if e["kind"] == "DEVICE" and b"virtqueue_pop" in e["payload"]]
    assert not [e for e in between if e["kind"] in ("LOAD", "STORE", "MMIO_READ")]
    stores = [e["value"] for e in evs[:line] if e["kind"] == "STORE" and e["size"] == 2 and
              e["addr"] & 0xfff == 0x002][-2:]
    assert stores == [0x1e0, 0x1e1]  # avail.idx of TRANSFER_TO_HOST_2D, then RESOURCE_FLUSH
    dumps = [e["payload"][:4] for e in evs[kick:reset] if e["kind"] == "MEMORY"]
    assert [int.from_bytes(d, "little") for d in dumps if len(d) == 4][1::2] == [0x0105, 0x0104]


def test_linux_power_off_with_requests_in_flight_is_clean(tmp_path):
    rec = tmp_path / RACE.name
    rec.write_bytes(RACE.read_bytes())
    p, res = check(rec)
    assert p.returncode == 0, p.stdout[-3000:]
    assert sorted(res) == ["blk", "gpu", "input", "net", "rng"], sorted(res)
    for name, s in res.items():
        assert s["outcome"] == "ok" and s["violations"] == [], (name, s["outcome"])
        assert s["source"]["discrepancies"] == 0, s["source"]["notes"]
    assert res["gpu"]["steps"][0]["detail"].endswith(
        "; queue 0: 2 request(s) abandoned at a reset"), res["gpu"]["steps"][0]["detail"]
    assert "queue 0: 2 request(s) still unanswered when the driver reset the device" in p.stdout
    assert "(QEMU's device had been notified of them)" in p.stdout
    # the other devices' buffers at the reset (net's receiveq, the keyboard's eventq) are
    # standing buffers, no request: nothing said of them
    assert all("abandoned" not in s["steps"][0]["detail"] for n, s in res.items() if n != "gpu")


def test_a_second_reset_keeps_what_the_first_abandoned(tmp_path):
    """A driver that writes Status = 0 twice (or reads it back by writing again) abandons the
    same requests: the second reset finds no live queue and changes nothing."""
    r = Recording(RACE)
    evs, kick, reset, line = ending(r)
    r.events.insert(reset + 1, bytearray(r.events[reset]))
    rec = tmp_path / "twice.vqrec"
    r.write(rec)
    p, res = check(rec)
    assert p.returncode == 0 and res["gpu"]["outcome"] == "ok", p.stdout[-3000:]
    assert res["gpu"]["steps"][0]["detail"].endswith("; queue 0: 2 request(s) abandoned at a reset")


def mutate(tmp_path, name, how):
    r = Recording(RACE)
    evs, kick, reset, line = ending(r)
    how(r, evs, kick, reset, line)
    out = tmp_path / f"{name}.vqrec"
    r.write(out)
    p, res = check(out)
    return p, res["gpu"]


def stopped(r, evs, kick, reset, line):
    end_here(r, len(r.events) - 1, killed=True)  # QEMU stopped by the time bound, not powered off


def no_kick(r, evs, kick, reset, line):
    del r.events[kick]  # the guest never notified: QEMU never logged the notify either
    del r.events[line]


def reads_after(r, evs, kick, reset, line):
    used = max(i for i in range(line) if evs[i]["kind"] == "LOAD" and evs[i]["size"] == 2 and
               evs[i]["addr"] & 0xfff == 0x002)  # the gpu's used.idx, read before the request
    r.events[reset + 1:reset + 1] = [bytearray(r.events[used]), bytearray(r.events[used])]


@pytest.mark.parametrize("name,how,causes", [
    ("stopped", stopped, ["reset-while-queued"]),
    ("no-kick", no_kick, ["no-notify", "reset-while-queued"]),
    ("reads-after", reads_after, ["reset-while-queued"]),
])
def test_a_guest_that_may_still_wait_still_hangs(tmp_path, name, how, causes):
    p, s = mutate(tmp_path, name, how)
    assert p.returncode == 1 and s["outcome"] == "timeout", (name, s["outcome"])
    assert [c["cause"] for c in s["diagnosis"]["causes"]] == causes, s["diagnosis"]
    assert "abandoned" not in s["steps"][0]["detail"], s["steps"][0]["detail"]
