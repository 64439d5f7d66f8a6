"""virtio-blk and the entropy device through the CLI (scenarios/devices/blk/, …/rng/): each
scenario's verdict, the steps' bytes against the image (the image and the written pattern are
computed here, apart from the C code), writes that reach the image file only when the scenario
says so, the entropy device's silence explained, and the errors of a malformed device section.
(The rng's bytes are checked against the seeded stream by the harness in every rng_read, and
against splitmix64's published output in tests/unit/test_rng.c.)"""
import hashlib
import json
import shutil

import pytest

from conftest import ROOT, run

BLK = ROOT / "scenarios" / "devices" / "blk"
IMAGE = BLK / "disk-64k.img"

# The rule each rule scenario proves, and the verdict it must have.
FIRING = {
    "blk-status-readonly": ("timeout", ["blk.req.status-writable"]),
    "blk-header-short": ("timeout", ["blk.req.header-readable"]),
    "blk-read-past-capacity": ("violation", ["blk.req.within-capacity"]),
    "blk-read-partial-sector": ("violation", ["blk.req.data-sectors"]),
    "blk-flush-sector": ("violation", ["blk.flush.sector-zero"]),
    "blk-flush-not-negotiated": ("violation", ["blk.flush.negotiated"]),
    "blk-discard-unmap": ("violation", ["blk.discard.unmap-zero"]),
    "rng-readable-buffer": ("timeout", ["rng.buf.writable-only"]),
    "rng-mixed-buffers": ("violation", ["rng.buf.writable-only"]),
    "input-short-buffers": ("device-error", ["input.eventq.buffer"]),
    "input-no-buffers": ("timeout", []),
}
CLEAN = ["blk-read-write-modern", "blk-legacy-indirect", "blk-pci", "rng-read",
         "rng-legacy-indirect", "rng-pci", "input-keys", "input-legacy", "input-pci"]


def pattern(seed, sector, i):
    """kernel_blk_pattern (harness/kernel_blk.c), written again: byte i of a blk_write."""
    m = (1 << 64) - 1
    x = ((seed + 1) * 0x9E3779B97F4A7C15 & m) ^ ((sector * 512 + i) * 0xBF58476D1CE4E5B9 & m)
    x ^= x >> 31
    return ((x * 0x94D049BB133111EB) & m) >> 56


def run_json(vqsim, tmp_path, *scenarios):
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, *scenarios)
    return p, {s["name"]: s for s in json.loads(out.read_text())["scenarios"]}


@pytest.fixture(scope="module")
def blk_results(vqsim, tmp_path_factory):
    before = hashlib.sha256(IMAGE.read_bytes()).hexdigest()
    p, res = run_json(vqsim, tmp_path_factory.mktemp("blk"), *sorted(BLK.glob("*.yaml")),
                      *sorted((BLK.parent / "rng").glob("*.yaml")),
                      *sorted((BLK.parent / "input").glob("*.yaml")))
    assert hashlib.sha256(IMAGE.read_bytes()).hexdigest() == before, \
        "the image changed: writes reached it without disk.writes: file"
    return p, res


def test_correct_driver_is_clean(blk_results):
    _, res = blk_results
    for name in CLEAN:
        r = res[name]
        assert r["passed"], (name, r["failures"])
        assert r["outcome"] == "ok" and r["violations"] == [] and r["informational"] == []
        if name.startswith("blk"):
            assert r["device"]["negotiated"][:2] == ["blk_blk_size", "blk_flush"]
        assert all(s["status"] == "ok" for s in r["steps"]), r["steps"]
        transport = "virtio-pci" if name.endswith("-pci") else "virtio-mmio"
        assert r["steps"][0]["detail"].startswith(transport), r["steps"][0]["detail"]


def test_every_blk_rule_fires_with_qemus_answer(blk_results):
    _, res = blk_results
    for name, (outcome, rules) in FIRING.items():
        r = res[name]
        assert r["passed"], (name, r["failures"])
        assert r["outcome"] == outcome, name
        assert sorted({v["rule"] for v in r["violations"]}) == rules, name
    # the status byte in a read-only buffer: the device broken by that rule, named with evidence
    diag = res["blk-status-readonly"]["diagnosis"]
    cause = diag["causes"][0]
    assert cause["cause"] == "device-broken"
    assert cause["evidence"]["broken_by"] == "blk.req.status-writable"
    assert cause["evidence"]["needs_reset_set"] == "yes"
    v = res["blk-status-readonly"]["violations"][0]
    assert "no device-writable buffer" in v["message"]
    # the device's answers, as QEMU's: IOERR, UNSUPP; the byte is in the step's detail
    steps = {n: res[n]["steps"] for n in FIRING}
    assert steps["blk-read-past-capacity"][1]["detail"].endswith("status IOERR")
    assert steps["blk-discard-unmap"][1]["detail"].endswith("status UNSUPP")
    # an entropy request with no writable byte: held, never answered, the device says why
    cause = res["rng-readable-buffer"]["diagnosis"]["causes"][0]
    assert cause["cause"] == "request-unservable" and cause["section"] == "5.4.6.1"
    assert cause["evidence"]["held_requests"] == "1"
    # with a writable buffer beside the readable one, the writable one is filled: 128 / 2
    assert res["rng-mixed-buffers"]["steps"][1]["used_len"] == 64


def test_input_eventq_never_filled_is_explained(blk_results):
    _, res = blk_results
    r = res["input-no-buffers"]
    assert r["violations"] == []  # no ring rule: the driver simply never posted buffers
    cause = r["diagnosis"]["causes"]
    assert [c["cause"] for c in cause] == ["no-buffers-posted"]
    ev = cause[0]["evidence"]
    assert (ev["events_dropped"], ev["buffers_available"], ev["buffers_needed"]) == ("2", "0", "2")
    init = res["input-keys"]["steps"][0]["detail"]
    assert '"QEMU Virtio Keyboard" (0627:0001), 16 event buffer(s)' in init
    assert [s["detail"] for s in res["input-keys"]["steps"][1:]] == [
        "events 0..2 of the script played, 2 received",
        "events 2..4 of the script played, 2 received",
        "events 4..10 of the script played, 6 received"]


def test_entropy_fills_every_buffer(blk_results):
    _, res = blk_results
    got = [s["used_len"] for s in res["rng-read"]["steps"][1:5]]
    assert got == [1, 64, 4096, 100]


def test_used_len_is_every_writable_byte(blk_results):
    """QEMU 7.2 returns in_len: the data and the status byte of a read."""
    _, res = blk_results
    steps = res["blk-read-write-modern"]["steps"]
    assert [s["used_len"] for s in steps[1:4]] == [513, 8 * 512 + 1, 513]


def scenario_in(tmp_path, writes, steps):
    shutil.copy(IMAGE, tmp_path / "disk.img")
    s = tmp_path / "s.yaml"
    s.write_text("name: w\ndevice:\n  transport: modern\n  type: blk\n"
                 f"  disk: {{image: disk.img, writes: {writes}}}\n"
                 f"steps:\n{steps}expect:\n  outcome: ok\n  violations: []\n")
    return s


def test_writes_reach_the_file_only_when_asked(vqsim, tmp_path):
    steps = "  - blk_write: {sector: 9, count: 3, seed: 42}\n  - blk_read: {sector: 8, count: 5}\n"
    image = IMAGE.read_bytes()
    for writes in ("model", "file"):
        d = tmp_path / writes
        d.mkdir()
        p, res = run_json(vqsim, d, scenario_in(d, writes, steps))
        assert p.returncode == 0 and res["w"]["passed"], res["w"]["failures"]
        got = (d / "disk.img").read_bytes()
        if writes == "model":
            assert got == image
            continue
        want = bytearray(image)
        for i in range(3 * 512):
            want[9 * 512 + i] = pattern(42, 9, i)
        assert got == bytes(want)


def test_a_read_is_judged_against_the_image(vqsim, tmp_path):
    """The scenario's image is the truth: a run whose image was replaced by another one with
    the same size still passes (the bytes read are that image's), and its first bytes differ."""
    d = tmp_path / "x"
    d.mkdir()
    s = scenario_in(d, "model", "  - blk_read: {sector: 0, count: 2}\n")
    (d / "disk.img").write_bytes(bytes(range(256)) * 256)
    p, res = run_json(vqsim, d, s)
    assert res["w"]["passed"], res["w"]["failures"]
    assert "128 sectors" in res["w"]["steps"][0]["detail"]


@pytest.mark.parametrize("device, message", [
    ("{transport: modern, type: blk}", "a blk device needs 'disk: {image: FILE}'"),
    ("{transport: modern, disk: {image: disk-64k.img}}", "'disk' belongs to a blk device"),
    ("{transport: modern, type: floppy}", "unknown device type (expected gpu, blk, rng, input or net)"),
    ("{transport: modern, type: input}", "an input device needs 'input: {events: [...]}'"),
    ("{transport: modern, entropy: {seed: 1}}", "'entropy' belongs to an entropy device"),
    ("{transport: modern, type: blk, disk: {image: nowhere.img}}", "is not a readable file"),
    ("{transport: modern, type: blk, disk: {image: disk-64k.img, writes: tape}}", "writes"),
])
def test_bad_device_sections(vqsim, tmp_path, device, message):
    shutil.copy(IMAGE, tmp_path / "disk-64k.img")
    s = tmp_path / "bad.yaml"
    s.write_text(f"name: bad\ndevice: {device}\nsteps: [blk_flush]\nexpect: {{outcome: ok}}\n")
    p = run(vqsim, "run", s)
    assert p.returncode != 0
    assert f"{s.name}:2:" in p.stderr + p.stdout and message in p.stderr + p.stdout


def test_steps_belong_to_their_device(vqsim, tmp_path):
    s = tmp_path / "s.yaml"
    s.write_text("name: mixed\ndevice: {transport: modern}\nsteps:\n  - blk_read: {sector: 0}\n"
                 "expect: {outcome: ok}\n")
    p = run(vqsim, "run", s)
    assert p.returncode != 0
    assert "s.yaml:4:5: step 'blk_read' is not a step of a gpu device" in p.stderr + p.stdout
