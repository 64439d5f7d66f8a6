"""Every scenario through the real CLI, and the outcomes checked in its JSON."""
import hashlib
import json
import pathlib
import shutil

import pytest
import yaml

from conftest import ROOT, SCENARIOS, run

MODERN = ROOT / "scenarios" / "modern-display.yaml"
LEGACY = ROOT / "scenarios" / "legacy-display.yaml"
HANG = ROOT / "scenarios" / "legacy-used-ring-misaligned.yaml"


def bars_rgb(w, h):
    """The 'bars' test pattern, written again from its description in src/harness/patterns.c,
    so the display hash is checked against an independent implementation."""
    bars = [0xFFFFFF, 0xFFFF00, 0x00FFFF, 0x00FF00, 0xFF00FF, 0xFF0000, 0x0000FF, 0x000000]
    out = bytearray()
    for y in range(h):
        for x in range(w):
            if x in (0, w - 1) or y in (0, h - 1):
                c = 0xFF0000
            elif x == y:
                c = 0x00FF00
            elif y < h * 2 // 3:
                c = bars[x * 8 // w]
            elif x < w // 2:
                v = x * 255 // (w // 2)
                c = v << 16 | v << 8 | v
            else:
                c = 0xFFFFFF if ((x // 8) + (y // 8)) % 2 else 0x202020
            out += bytes((c >> 16, (c >> 8) & 0xFF, c & 0xFF))
    return bytes(out)


def run_edited(vqsim, tmp_path, spec):
    """Run a scenario given as a dict; return the process and its one JSON result."""
    f = tmp_path / "edited.yaml"
    f.write_text(yaml.safe_dump(spec))
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, f)
    return p, json.loads(out.read_text())["scenarios"][0]


def test_whole_run_passes(all_results):
    p, doc, by_name = all_results
    assert p.returncode == 0, p.stdout + p.stderr
    assert doc["schema"] == "vqsim-results/1"
    assert doc["summary"] == {"total": len(SCENARIOS), "passed": len(SCENARIOS), "failed": 0}
    assert p.stdout.strip().splitlines()[-1] == f"{len(SCENARIOS)} passed, 0 failed"
    assert "AddressSanitizer" not in p.stderr and "runtime error" not in p.stderr


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_meets_its_expectations(all_results, path):
    spec = yaml.safe_load(path.read_text())
    _, _, by_name = all_results
    r = by_name[spec["name"]]
    exp = spec["expect"]
    assert r["passed"], r["failures"]
    assert r["failures"] == []
    assert r["outcome"] == exp.get("outcome", "ok")
    fired = sorted({v["rule"] for v in r["violations"]})
    assert fired == sorted(set(exp.get("violations", [])))
    for v in r["violations"]:
        assert v["section"] and v["message"] and v["level"]
    if "cause" in exp:
        assert r["diagnosis"]["cause"] == exp["cause"]
        assert r["diagnosis"]["section"]
        assert len(r["diagnosis"]["message"]) > 60
    if r["outcome"] == "timeout":  # no timeout without a diagnosis
        assert r["diagnosis"] is not None
    disp = exp.get("display")
    if disp and "active" in disp:
        assert r["display"]["active"] is disp["active"]
    if disp and "sha256" in disp:
        assert r["display"]["sha256"] == disp["sha256"]


@pytest.mark.parametrize("path", [MODERN, LEGACY], ids=["modern", "legacy"])
def test_display_pixels_match_independent_pattern(all_results, path):
    spec = yaml.safe_load(path.read_text())
    r = all_results[2][spec["name"]]
    d = r["display"]
    assert (d["state"], d["width"], d["height"]) == ("active", 640, 480)
    want = hashlib.sha256(bars_rgb(640, 480)).hexdigest()
    assert d["sha256"] == want
    assert spec["expect"]["display"]["sha256"] == want
    assert r["violations"] == []  # a clean run of the real driver breaks no rule
    steps = [s["step"] for s in r["steps"]]
    assert steps == ["init", "get_display_info", "resource_create_2d", "attach_backing",
                     "set_scanout", "draw", "transfer_to_host_2d", "resource_flush"]
    assert all(s["status"] == "ok" for s in r["steps"])
    assert r["steps"][1]["response"] == "0x1101"
    assert {s["response"] for s in r["steps"][2:] if s["step"] != "draw"} == {"0x1100"}


def test_png_is_the_display(all_results):
    r = all_results[2]["modern-display"]
    png = pathlib.Path(r["display"]["png"])
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 640 and int.from_bytes(data[20:24], "big") == 480


def test_transports_differ_in_what_crossed_the_bus(all_results):
    m, l = all_results[2]["modern-display"], all_results[2]["legacy-display"]
    regs = lambda r: {e.get("reg") for e in r["trace"] if e["kind"] == "mmio-write"}
    assert {"QueueReady", "QueueDescLow", "QueueDeviceLow"} <= regs(m)
    assert not {"QueuePFN", "GuestPageSize", "QueueAlign"} & regs(m)
    assert {"QueuePFN", "GuestPageSize", "QueueAlign"} <= regs(l)
    assert not {"QueueReady", "QueueDescLow"} & regs(l)
    # the legacy device puts the used ring at the next 4096 boundary: +0x1000 for 16 entries
    q = l["queues"][0]
    assert int(q["device"]["used"], 16) - int(q["device"]["desc"], 16) == 0x1000
    assert {k: q["driver"][k] for k in ("desc", "avail", "used")} == \
        {k: q["device"][k] for k in ("desc", "avail", "used")}
    assert q["driver"]["source"] == "driver"
    assert q["avail_idx"] == q["used_idx"] == 6


def test_legacy_hang_names_both_addresses(all_results):
    r = all_results[2]["legacy-used-ring-misaligned"]
    assert r["outcome"] == "timeout"
    d = r["diagnosis"]
    assert d["cause"] == "used-ring-mismatch" and d["section"] == "2.6.2"
    ev = d["evidence"]
    assert ev["device_used"] == "0x40101000"
    assert ev["driver_used"] == "0x40100128"
    assert ev["driver_saw_used_idx"] == "0" and ev["device_used_idx"] == "1"
    assert "0x40101000" in d["message"] and "0x40100128" in d["message"]
    q = r["queues"][0]
    assert q["driver"]["used"] == "0x40100128" and q["device"]["used"] == "0x40101000"
    # the device did answer: it wrote its used element where the driver never looks
    used = [e for e in r["trace"] if e["kind"] == "used"]
    assert [(e["addr"], e["len"]) for e in used] == [("0x40101004", 408)]
    assert [s["status"] for s in r["steps"]][:3] == ["ok", "timeout", "skipped"]


def test_one_wrong_pixel_fails_the_scenario(vqsim, tmp_path):
    spec = yaml.safe_load(MODERN.read_text())
    i = [list(s)[0] if isinstance(s, dict) else s for s in spec["steps"]].index("transfer_to_host_2d")
    spec["steps"].insert(i, {"poke_pixel": {"id": 1, "x": 320, "y": 100, "color": 0x00FF01}})
    p, r = run_edited(vqsim, tmp_path, spec)
    assert p.returncode == 1, p.stdout
    assert not r["passed"]
    assert any("sha256" in x for x in r["failures"])
    assert any("in 1 of 307200 pixels; first at (320,100): #00ff01 instead of #ff00ff" in x
               for x in r["failures"])
    assert "FAIL modern-display" in p.stdout


def test_results_are_deterministic(vqsim, tmp_path):
    outs = []
    for i in range(2):
        out = tmp_path / f"r{i}.json"
        run(vqsim, "run", "--json", out, MODERN.relative_to(ROOT), HANG.relative_to(ROOT))
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_virtual_time_makes_long_timeouts_cheap(vqsim, tmp_path):
    spec = yaml.safe_load(HANG.read_text())
    spec["driver"]["timeout_ms"] = 30000
    p, r = run_edited(vqsim, tmp_path, spec)
    assert p.returncode == 0, p.stdout
    assert int(r["diagnosis"]["evidence"]["timed_out_at_ns"]) >= 30_000_000_000


def test_version_2_registers_on_a_legacy_device_are_named(all_results):
    r = all_results[2]["modern-registers-on-legacy-device"]
    d = r["diagnosis"]
    assert d["cause"] == "queue-not-ready" and d["section"] == "4.2.4"
    assert d["evidence"]["ignored_writes"] == ("QueueDescLow, QueueDescHigh, QueueDriverLow, "
                                               "QueueDriverHigh, QueueDeviceLow, QueueDeviceHigh, "
                                               "QueueReady")
    ignored = [e for e in r["trace"] if e["kind"] == "mmio-write" and e.get("reg") == "QueueReady"]
    assert ignored and ignored[0]["note"] == "ignored: QueueReady exists only on version 2"
    assert r["queues"][0]["device"]["ready"] is False


@pytest.mark.parametrize("name,cause,key,value", [
    ("modern-queue-ready-never-set", "queue-not-ready", "QueueReady", "0"),
    ("legacy-queue-pfn-never-set", "queue-not-ready", "QueuePFN", "0x0"),
    ("notify-never-written", "no-notify", "notify_writes_lost", "1"),
    ("notify-wrong-queue", "no-notify", "notified_queue", "1"),
    ("split-desc-no-loops", "device-broken", "broken_by", "split.desc.no-loops"),
    ("split-rings-in-ram", "rings-outside-ram", "needs_reset_set", "yes"),
])
def test_hang_evidence(all_results, name, cause, key, value):
    d = all_results[2][name]["diagnosis"]
    assert d["cause"] == cause
    assert d["causes"][0]["cause"] == cause and d["causes"][0]["message"] == d["message"]
    found = [c["evidence"][key] for c in d["causes"] if key in c["evidence"]]
    assert found and found[0] == value


def test_features_offered_and_negotiated(vqsim, tmp_path):
    """device.offer / device.withhold change what the device offers; driver.features is what the
    driver accepts when offered. The JSON names both masks."""
    spec = yaml.safe_load((ROOT / "scenarios" / "modern-display.yaml").read_text())
    _, r = run_edited(vqsim, tmp_path, spec)
    # as QEMU 7.2 on modern: the legacy-only bits hidden, bit 40 (1.2's RING_RESET) shown
    assert r["device"]["offered"] == ["edid", "indirect_desc", "event_idx", "version_1",
                                      "ring_reset"]
    assert r["device"]["negotiated"] == ["version_1"]

    spec["driver"]["features"] = ["edid"]
    spec["device"]["offer"] = ["in_order"]
    _, r = run_edited(vqsim, tmp_path, spec)
    assert r["passed"], r["failures"]
    assert "in_order" in r["device"]["offered"]
    assert r["device"]["negotiated"] == ["edid", "version_1"]

    spec["device"]["withhold"] = ["edid"]
    _, r = run_edited(vqsim, tmp_path, spec)
    assert "edid" not in r["device"]["offered"]
    assert r["device"]["negotiated"] == ["version_1"]


def test_unknown_feature_is_an_error_with_its_position(vqsim, tmp_path):
    f = tmp_path / "bad.yaml"
    text = (ROOT / "scenarios" / "modern-display.yaml").read_text()
    f.write_text(text.replace("transport: modern", "transport: modern\n  offer: [event_idx, warp_drive]"))
    p = run(vqsim, "run", f)
    assert p.returncode == 2
    line = next(i for i, l in enumerate(f.read_text().splitlines(), 1) if "warp_drive" in l)
    assert f"bad.yaml:{line}:" in p.stderr and "unknown feature in 'offer'" in p.stderr
    assert "event_idx" in p.stderr  # the known names are listed


def test_text_run_says_what_a_json_run_says(vqsim, tmp_path):
    """Without --json a run leaves out what only the JSON shows (the trace, the digests of
    displays nobody reads: runner.h run_options): the verdict lines and every detail (-v:
    violations, diagnosis and its evidence, dark displays) are the same as with --json."""
    files = [s.relative_to(ROOT) for s in SCENARIOS]
    text = run(vqsim, "run", "-j", "2", "-v", *files)
    full = run(vqsim, "run", "-j", "2", "-v", "--json", tmp_path / "r.json", *files)
    assert text.returncode == full.returncode == 0, text.stdout[-2000:] + text.stderr
    assert text.stdout == full.stdout
    assert text.stdout.count("\nPASS ") + text.stdout.startswith("PASS ") == len(SCENARIOS)
