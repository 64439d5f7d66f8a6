"""Hostile devices (scenarios/hostile/): each injected fault gives the driver's specific error,
latches the driver broken where it must, and leaves guest memory outside the driver's buffers
as it was. Also: the new scenario keys are parsed strictly, and the expectations really judge."""
import json

import pytest

from conftest import ROOT, run

HOSTILE = sorted((ROOT / "scenarios" / "hostile").glob("*.yaml"))

# scenario -> (fault that must fire, step index with the error, its driver status, latched by)
CASES = {
    "hostile-used-id-out-of-range": ("used-id-out-of-range", 2, "used-id-out-of-range",
                                     "used-id-out-of-range"),
    "hostile-used-id-not-head": ("used-id-not-head", 2, "used-id-not-head", "used-id-not-head"),
    "hostile-used-id-twice": ("used-id-twice", 3, "used-id-completed-twice",
                              "used-id-completed-twice"),
    "hostile-used-idx-jump": ("used-idx-jump", 2, "used-idx-jump", "used-idx-jump"),
    "hostile-used-id-out-of-range-cursor": ("used-id-out-of-range", 2, "used-id-out-of-range",
                                            "used-id-out-of-range"),
    "hostile-used-id-out-of-range-legacy": ("used-id-out-of-range", 2, "used-id-out-of-range",
                                            "used-id-out-of-range"),
    "hostile-used-len-too-large-in-order-indirect": ("used-len-too-large", 2,
                                                     "used-len-too-large", "used-len-too-large"),
    "hostile-used-len-too-large": ("used-len-too-large", 1, "used-len-too-large",
                                   "used-len-too-large"),
    "hostile-garbage-num-scanouts-0": ("garbage-config", 0, "bad-device-config",
                                       "bad-device-config"),
    "hostile-garbage-num-scanouts-huge": ("garbage-config", 0, "bad-device-config",
                                          "bad-device-config"),
    "hostile-garbage-events-read": ("garbage-config", 3, "bad-device-config", "bad-device-config"),
    "hostile-garbage-config-generation": ("garbage-config", 0, "bad-device-config",
                                          "bad-device-config"),
    "hostile-needs-reset-mid-request": ("set-needs-reset", 2, "device-needs-reset",
                                        "device-needs-reset"),
    "hostile-device-resets-itself": ("reset", 2, "device-reset-itself", "device-reset-itself"),
    "hostile-wrong-response-type": ("wrong-response-type", 1, "gpu-unexpected-response", None),
    "hostile-wrong-response-size": ("wrong-response-size", 1, "gpu-short-response", None),
    "hostile-garbage-display-info": ("garbage-response", 1, "gpu-bad-display-info", None),
    "hostile-garbage-edid-size": ("garbage-response", 1, "gpu-bad-edid", None),
}


@pytest.fixture(scope="module")
def hostile(vqsim, tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile") / "r.json"
    p = run(vqsim, "run", "--json", out, *[s.relative_to(ROOT) for s in HOSTILE])
    assert p.returncode == 0, p.stdout + p.stderr
    return {s["name"]: s for s in json.loads(out.read_text())["scenarios"]}


def faults_fired(r):
    return {e["what"] for e in r["trace"] if e["kind"] == "device" and
            "injected device fault" in (e.get("note") or "")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fault_gives_its_specific_error(hostile, name):
    fault, step, status, latch = CASES[name]
    r = hostile[name]
    assert r["passed"], r["failures"]
    assert fault in faults_fired(r)
    assert r["steps"][step]["driver_status"] == status
    assert r["driver"]["broken"] is (latch is not None)
    assert r["driver"]["broken_status"] == latch
    # every later step that ran was refused at once by the latch, without a new request
    for s in r["steps"][step + 1:]:
        if latch and s["status"] != "skipped" and s["step"] != "display_change":
            assert s["driver_status"] == "latched-broken"
    m = r["memory_outside_buffers"]
    assert m == {**m, "state": "untouched", "canary": True, "changed_bytes": 0,
                 "first_changed": None}
    assert m["pages_scanned"] > 0


def test_every_hostile_scenario_is_covered():
    names = {p.read_text().split("\n", 1)[0].split(": ", 1)[1] for p in HOSTILE}
    assert names == set(CASES) | {"hostile-rewrite-descriptors",
                                  "hostile-used-len-too-large-lenient"}


def test_variants_run_on_their_transport_and_features(hostile):
    r = hostile["hostile-used-id-out-of-range-legacy"]
    assert r["device"]["transport"] == "legacy"
    r = hostile["hostile-used-len-too-large-in-order-indirect"]
    assert {"in_order", "indirect_desc"} <= set(r["device"]["negotiated"])


def test_an_unsettled_generation_is_tried_a_bounded_number_of_times(hostile):
    r = hostile["hostile-garbage-config-generation"]
    reads = [e for e in r["trace"] if e.get("reg") == "ConfigGeneration"]
    assert len(reads) == 2 * 16  # 16 rounds of before/after, then the value is refused


def test_a_cursor_queue_fault_latches_that_queue_only(hostile):
    d = hostile["hostile-used-id-out-of-range-cursor"]["driver"]
    assert d["cursor_queue"]["broken"] and not d["control_queue"]["broken"]
    assert d["broken"]  # the driver as a whole stops


def test_used_ring_faults_latch_the_control_queue(hostile):
    for name in ("hostile-used-id-out-of-range", "hostile-used-id-not-head",
                 "hostile-used-id-twice", "hostile-used-idx-jump", "hostile-used-len-too-large"):
        q = hostile[name]["driver"]["control_queue"]
        assert q["broken"] and q["broken_status"] == CASES[name][2], name


def test_needs_reset_wakes_the_sleeping_driver_before_its_deadline(hostile):
    s = hostile["hostile-needs-reset-mid-request"]["steps"]
    assert s[3]["time_ns"] - s[2]["time_ns"] < 1_000_000  # the deadline is 200 ms
    s = hostile["hostile-device-resets-itself"]["steps"]
    assert s[3]["time_ns"] - s[2]["time_ns"] >= 200_000_000  # polling: found at the deadline


def test_harmless_faults_leave_a_working_display(hostile):
    for name in ("hostile-rewrite-descriptors", "hostile-used-len-too-large-lenient"):
        r = hostile[name]
        assert r["passed"] and r["outcome"] == "ok" and not r["driver"]["broken"], name
        assert r["display"]["active"] and not r["display"]["dark"]
    assert "rewrite-descriptors" in faults_fired(hostile["hostile-rewrite-descriptors"])
    lenient = hostile["hostile-used-len-too-large-lenient"]["driver"]
    assert lenient["used_len"] == "lenient"
    assert lenient["control_queue"]["len_clamped"] == 6  # one per command


def test_clean_scenarios_touch_no_memory_outside_their_buffers(all_results):
    for name, r in all_results[2].items():
        if r["outcome"] == "ok":
            assert r["memory_outside_buffers"]["state"] == "untouched", name


def test_the_memory_check_sees_a_device_writing_outside(all_results):
    # the legacy used-ring hang: the device writes a used ring where the driver has none
    m = all_results[2]["legacy-used-ring-misaligned"]["memory_outside_buffers"]
    assert m["state"] == "changed" and m["changed_bytes"] > 0 and m["first_changed"]


def edit(tmp_path, name, old, new):
    text = (ROOT / "scenarios" / "hostile" / name).read_text()
    assert old in text
    f = tmp_path / name
    f.write_text(text.replace(old, new))
    return f


@pytest.mark.parametrize("name,old,new,msg", [
    ("used-idx-jump.yaml", "by: 3", "by: 0", "'by' is 0, outside 1..65535"),
    ("used-idx-jump.yaml", "by: 3", "bye: 3", "unknown key 'bye' in used-idx-jump"),
    ("used-id-out-of-range.yaml", "expect_status: used-id-out-of-range",
     "expect_status: used-id-far-away", "unknown driver status"),
    ("garbage-events-read.yaml", "field: events_read", "field: events_clear",
     "unknown config field"),
    ("garbage-events-read.yaml", "field: events_read, ", "", "garbage-config needs 'field'"),
    ("garbage-events-read.yaml", "value: 0xdeadbeef}", "value: 1, nth: 2}",
     "unknown key 'nth' in garbage-config"),
    ("garbage-edid-size.yaml", "field: edid.size", "field: edid.edid",
     "'field' must be one of: display.width, display.height, display.enabled, edid.size"),
    ("garbage-edid-size.yaml", "field: edid.size, ", "", "garbage-response needs 'field'"),
    ("used-len-too-large.yaml", "used_len: strict", "used_len: loose",
     "'used_len' must be one of: strict, lenient"),
    ("used-id-not-head.yaml", "memory_outside_buffers: untouched",
     "memory_outside_buffers: pristine", "'memory_outside_buffers' must be one of"),
    ("used-id-not-head.yaml", "broken: true,", "broken: yes-ish,", "'broken' must be true or false"),
    ("used-id-not-head.yaml", "driver: {broken: true,", "driver: {borked: true,",
     "unknown key 'borked' in expect.driver"),
    ("used-id-not-head.yaml", "queues_broken: [control]", "queues_broken: [ctrl]",
     "unknown queue (expected control or cursor)"),
    ("used-id-not-head.yaml", "queues_broken: [control]", "queues_broken: control",
     "'queues_broken' must be a list"),
])
def test_new_keys_are_strict(vqsim, tmp_path, name, old, new, msg):
    p = run(vqsim, "run", edit(tmp_path, name, old, new))
    assert p.returncode == 2, p.stdout + p.stderr
    assert msg in p.stderr, p.stderr


@pytest.mark.parametrize("name,old,new,msg", [
    ("used-id-out-of-range.yaml", "expect_status: used-id-out-of-range",
     "expect_status: used-id-not-head",
     "expected driver status used-id-not-head, got used-id-out-of-range"),
    ("used-id-out-of-range.yaml", "broken_status: used-id-out-of-range",
     "broken_status: used-idx-jump", "expected the driver latched broken by used-idx-jump"),
    ("used-id-out-of-range-cursor.yaml", "queues_broken: [cursor]",
     "queues_broken: [control, cursor]",
     "expected the queues latched broken to be [control, cursor], they are [cursor]"),
    ("rewrite-descriptors.yaml", "broken: false", "broken: true",
     "expected the driver latched broken, it is not broken"),
    ("rewrite-descriptors.yaml", "memory_outside_buffers: untouched",
     "memory_outside_buffers: changed", "expected guest memory outside the driver's buffers to"),
])
def test_expectations_judge(vqsim, tmp_path, name, old, new, msg):
    p = run(vqsim, "run", edit(tmp_path, name, old, new))
    assert p.returncode == 1, p.stdout + p.stderr
    assert msg in p.stdout + p.stderr


def test_a_device_writing_past_a_buffer_is_caught_by_the_canary(vqsim, tmp_path):
    # a legacy device whose used ring lies past the driver's allocation writes into the canary
    text = (ROOT / "scenarios" / "legacy-used-ring-misaligned.yaml").read_text()
    assert "expect:\n" in text
    f = tmp_path / "x.yaml"
    f.write_text(text.replace("expect:\n", "expect:\n  memory_outside_buffers: changed\n"))
    p = run(vqsim, "run", "--json", tmp_path / "r.json", f)
    assert p.returncode == 0, p.stdout + p.stderr
    m = json.loads((tmp_path / "r.json").read_text())["scenarios"][0]["memory_outside_buffers"]
    assert m["canary"] and m["state"] == "changed"


def test_readme_lists_every_driver_status():
    import re
    src = (ROOT / "src" / "driver" / "virtio_status.h").read_text() + \
        (ROOT / "src" / "driver" / "virtio_gpu.c").read_text()
    names = set(re.findall(r'return "([a-z0-9-]+)";', src)) - {"unknown-error"}
    readme = (ROOT / "README.md").read_text()
    assert len(names) == 31
    assert not [n for n in names if f"`{n}`" not in readme]


def test_report_shows_the_latch_and_the_memory_check(vqsim, tmp_path):
    import subprocess
    import sys
    out = tmp_path / "r.json"
    run(vqsim, "run", "--json", out, "scenarios/hostile/used-idx-jump.yaml",
        "scenarios/legacy-used-ring-misaligned.yaml")
    p = subprocess.run([sys.executable, str(ROOT / "tools" / "report.py"), str(out), "-o",
                        str(tmp_path / "rep")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    html = (tmp_path / "rep" / "index.html").read_text()
    assert "latched broken by <code>used-idx-jump</code>" in html
    assert "<code>used-idx-jump</code></td>" in html  # the step's driver status
    assert "memory outside buffers</th><td>untouched</td><td>untouched</td>" in html
    assert "memory outside buffers</th><td>changed (3 bytes, first at <code>0x40101002</code>)" in html
