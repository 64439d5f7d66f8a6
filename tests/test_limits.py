"""The limits vqsim accepts (README "Limits"), each at the limit and one past it: at the limit
the scenario runs (or loads), one past it `vqsim run` exits 2 with the file, line and column of
the value and the limit in words, and writes nothing (no --json file appears).
"""
import json
import re
import struct
import sys

import pytest

from conftest import ROOT, run

sys.path.insert(0, str(ROOT / "tools"))
import vqrec  # noqa: E402

BASE = """name: limit
device:
  transport: modern
  display: {{width: 64, height: 48}}
{device_extra}driver:
  queue_size: {queue_size}
steps:
{steps}
expect:
  outcome: ok
"""


def scenario(tmp_path, name, queue_size=16, steps="  - get_display_info\n", device_extra="",
             pad=0):
    text = BASE.format(queue_size=queue_size, steps=steps, device_extra=device_extra)
    if pad:
        text += "#" * (pad - len(text) - 1) + "\n"
        assert len(text) == pad
    p = tmp_path / f"{name}.yaml"
    p.write_text(text)
    return p


def refused(vqsim, tmp_path, path, words):
    out = tmp_path / "out.json"
    p = run(vqsim, "run", "--json", out, path)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert re.search(re.escape(str(path)) + r"(:\d+:\d+)?: .*" + words, p.stderr), p.stderr
    assert not out.exists(), "a refused scenario must write nothing"


def accepted(vqsim, tmp_path, path):
    out = tmp_path / "ok.json"
    p = run(vqsim, "run", "--json", out, path)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert out.exists()


def test_largest_queue(vqsim, tmp_path):
    """queue_size: the split ring's 32768 at most (§2.6). The device, as QEMU's, offers
    QueueNumMax 1024: 1024 runs clean; 32768 loads and runs to the verdict that the device
    refused the queue (exit 1, its JSON written); 32769 is refused before anything runs."""
    accepted(vqsim, tmp_path, scenario(tmp_path, "q1024", queue_size=1024))
    out = tmp_path / "max.json"
    p = run(vqsim, "run", "--json", out, scenario(tmp_path, "q32768", queue_size=32768))
    assert p.returncode == 1 and "driver-error" in p.stdout and out.exists(), p.stdout
    path = scenario(tmp_path, "q32769", queue_size=32769)
    refused(vqsim, tmp_path, path, r"queue_size.*32768")
    assert re.search(re.escape(str(path)) + r":6:15: ", run(vqsim, "run", path).stderr)


def test_most_steps(vqsim, tmp_path):
    accepted(vqsim, tmp_path, scenario(tmp_path, "s64", steps="  - get_display_info\n" * 64))
    refused(vqsim, tmp_path, scenario(tmp_path, "s65", steps="  - get_display_info\n" * 65),
            r"at most 64 steps")


@pytest.mark.parametrize("size,ok", [(1 << 24, True), ((1 << 24) - 4096, False),
                                     (1 << 34, True), ((1 << 34) + 4096, False)])
def test_guest_ram(vqsim, tmp_path, size, ok):
    extra = f"  ram: {{base: 0x40000000, size: {size:#x}}}\n"
    path = scenario(tmp_path, f"ram{size:x}", device_extra=extra)
    if ok:
        accepted(vqsim, tmp_path, path)
    else:
        refused(vqsim, tmp_path, path, r"size")


def test_request_count(vqsim, tmp_path):
    """repeat's count: 10,000,000 at most (one past it refused; the limit itself is not run
    here — ten million requests — but a count of 100,000 is, to show repeat runs them all)."""
    step = "  - repeat: {{count: {n}, step: get_display_info}}\n"
    accepted(vqsim, tmp_path, scenario(tmp_path, "r1e5", steps=step.format(n=100000)))
    refused(vqsim, tmp_path, scenario(tmp_path, "r1e7p1", steps=step.format(n=10000001)),
            r"count")


def test_scenario_size(vqsim, tmp_path):
    accepted(vqsim, tmp_path, scenario(tmp_path, "big", pad=1 << 20))
    refused(vqsim, tmp_path, scenario(tmp_path, "toobig", pad=(1 << 20) + 1), r"MiB|bytes|large")


# A recording (`vqsim check`): any length, streamed; one event's payload at most 64 KiB of text
# (a note, a device trace line) and 1 GiB of memory (a dump), src/record/recording_reader.c.
# Tested black-box through `vqsim check` on a simulator recording with one event added before
# its END: at the limit the check runs to its verdict (clean, as without the event); one past,
# exit 2, `offset N:` naming the added event, and no --json file written.
EVENT = struct.Struct("<BBBBIQQQ")  # kind, size, flags, cpu, len, addr, value, pc (recording.h)
NOTE, MEMORY, END = 10, 6, 9


@pytest.fixture(scope="module")
def sim_recording(vqsim, tmp_path_factory):
    d = tmp_path_factory.mktemp("rec")
    assert run(vqsim, "run", "--record", d, "scenarios/modern-display.yaml").returncode == 0
    data = vqrec.plain((d / "modern-display.vqrec").read_bytes())  # format 1: events in clear
    return data, data.rindex(struct.pack("<BBBB", END, 0, 0, 0))  # the sim's END event


def with_event(tmp_path, sim_recording, name, kind, length, payload=b"", addr=0):
    """The recording with one event of `length` payload bytes added before END (payload bytes
    given are written, the rest left a hole: zeros); the added event's offset."""
    data, end = sim_recording
    path = tmp_path / f"{name}.vqrec"
    with open(path, "wb") as f:
        f.write(data[:end])
        f.write(EVENT.pack(kind, 0, 0, 255, length, addr, 0, 0))
        f.write(payload)
        f.seek(end + EVENT.size + length + (-length % 8))  # a sparse file for a 1 GiB dump
        f.write(data[end:])
    return path, end


def checked(vqsim, tmp_path, path):
    out = tmp_path / f"{path.stem}.json"
    p = run(vqsim, "check", "--json", out, path)
    return p, out


@pytest.mark.parametrize("kind,limit,what", [
    (NOTE, 64 << 10, "note event: a text payload larger than 64 KiB"),
    (MEMORY, 1 << 30, "memory event: a memory dump larger than 1 GiB"),
])
def test_recording_payload(vqsim, tmp_path, sim_recording, kind, limit, what):
    text = b"limit test\0" if kind == NOTE else b""
    # at the limit (a dump at 0x1000, outside the guest's RAM at 0x40000000: a note, no finding)
    path, _ = with_event(tmp_path, sim_recording, "at", kind, limit, text, addr=0x1000)
    p, out = checked(vqsim, tmp_path, path)
    assert p.returncode == 0 and p.stdout.startswith("PASS at"), (p.stdout, p.stderr)
    assert json.loads(out.read_text())["scenarios"][0]["passed"] is True
    # one past it
    path, off = with_event(tmp_path, sim_recording, "past", kind, limit + 1, text, addr=0x1000)
    p, out = checked(vqsim, tmp_path, path)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert f"{path}: offset {off}: {what}" in p.stderr, p.stderr
    assert not out.exists(), "a refused recording must write nothing"
