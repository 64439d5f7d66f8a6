"""The limits vqsim accepts (README "Limits"), each at the limit and one past it: at the limit
the scenario runs (or loads), one past it `vqsim run` exits 2 with the file, line and column of
the value and the limit in words, and writes nothing (no --json file appears).
"""
import re

import pytest

from conftest import run

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
