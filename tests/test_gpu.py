"""The gpu scenarios (scenarios/gpu/): every 2D command and error code checked on the response
AND on the pixels or state, pictures compared with independent renderings, the dark-display
false positive explained, fences, requests in flight, PNG reference and diff."""
import hashlib
import json
import pathlib

import pytest
import yaml

from conftest import ROOT, run
from test_scenarios import bars_rgb, run_edited

GPU = ROOT / "scenarios" / "gpu"


class Pic:
    """An R,G,B picture built from the independent 'bars' rendering."""

    def __init__(self, w, h, base=None):
        self.w, self.h = w, h
        self.px = bytearray(base if base is not None else bytes(w * h * 3))

    def fill(self, x, y, w, h, c):
        for j in range(y, min(y + h, self.h)):
            for i in range(x, min(x + w, self.w)):
                self.px[(j * self.w + i) * 3:(j * self.w + i) * 3 + 3] = bytes(
                    (c >> 16, (c >> 8) & 0xFF, c & 0xFF))

    def blit(self, other, ox, oy):
        for j in range(other.h):
            for i in range(other.w):
                x, y = ox + i, oy + j
                if 0 <= x < self.w and 0 <= y < self.h:
                    s = (j * other.w + i) * 3
                    self.px[(y * self.w + x) * 3:(y * self.w + x) * 3 + 3] = other.px[s:s + 3]

    def sha(self):
        return hashlib.sha256(bytes(self.px)).hexdigest()


def result(all_results, name):
    return all_results[2][name]


def test_demo_shows_pattern_frames_and_cursor(all_results):
    r = result(all_results, "gpu-demo")
    assert r["passed"], r["failures"]
    pic = Pic(640, 480, bars_rgb(640, 480))
    pic.fill(40, 40, 120, 60, 0xFF8000)
    pic.fill(200, 330, 100, 100, 0x3050FF)
    pic.fill(600, 440, 39, 39, 0xFFFFFF)
    pic.blit(Pic(64, 64, bars_rgb(64, 64)), 420 - 4, 160 - 4)  # opaque cursor, hot spot (4,4)
    d = r["display"]
    assert d["sha256"] == pic.sha()
    assert d["cursor"] == {"resource": 9, "x": 420, "y": 160, "hot_x": 4, "hot_y": 4}
    assert (d["state"], d["dark"], d["flushes"]) == ("active", False, 4)
    # the reference PNG of the scenario is this picture (vqsim compared it pixel for pixel)
    assert r["expected"]["display"]["png"] == "scenarios/gpu/ref/demo.png"
    # frames 2-4: only the changed rectangle was transferred and flushed, two requests in flight
    presents = [s for s in r["steps"] if s["step"] == "fb_present"]
    assert [p["detail"] for p in presents] == [
        "scanout 0: transfer+flush (0,0 640x480), 2 in flight",
        "scanout 0: transfer+flush (40,40 120x60), 2 in flight",
        "scanout 0: transfer+flush (200,330 100x100), 2 in flight",
        "scanout 0: transfer+flush (600,440 39x39), 2 in flight"]
    # one notify per present: both chains published together
    steps = [i for i, e in enumerate(r["trace"]) if e["kind"] == "step"]
    for i, e in enumerate(r["trace"]):
        if e["kind"] == "step" and e["what"] == "fb_present":
            end = min([k for k in steps if k > i] + [len(r["trace"])])
            notes = [x for x in r["trace"][i:end] if x.get("reg") == "QueueNotify"]
            used = [x for x in r["trace"][i:end] if x["kind"] == "used"]
            assert len(notes) == 1 and len(used) == 2, (i, notes, used)


def test_fences_are_echoed_and_increase(all_results):
    r = result(all_results, "gpu-demo")
    ids = [s["fence_id"] for s in r["steps"] if "fence_id" in s]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and ids[0] > 0
    cursor = [s for s in r["steps"] if s["step"] in ("update_cursor", "move_cursor")]
    assert all("fence_id" not in s and s["used_len"] == 0 for s in cursor)  # len 0, no payload
    unfenced = result(all_results, "gpu-cursor-resource-ready-fenced")
    assert not any("fence_id" in s for s in unfenced["steps"])


def test_resolution_change(all_results):
    r = result(all_results, "gpu-resolution-change")
    d = r["display"]
    assert (d["width"], d["height"], d["resource"]) == (800, 600, 2)
    assert d["sha256"] == hashlib.sha256(bars_rgb(800, 600)).hexdigest()
    ev = [s for s in r["steps"] if s["step"] == "handle_config_event"][0]
    assert ev["detail"] == "events_read 0x1, num_scanouts 1"
    info = [s for s in r["steps"] if s["step"] == "get_display_info"][0]
    assert info["detail"] == "scanout 0: 800x600 enabled"
    # the config interrupt was raised and acknowledged; ConfigGeneration moved
    irqs = [e for e in r["trace"] if e["kind"] == "irq" and e.get("what") == "config"]
    assert len(irqs) == 1
    gens = {e["value"] for e in r["trace"] if e.get("reg") == "ConfigGeneration"}
    assert {"0x0", "0x1"} <= gens
    acks = [e for e in r["trace"] if e.get("reg") == "InterruptACK" and int(e["value"], 16) & 2]
    assert acks


def test_two_scanouts_each_checked(all_results):
    r = result(all_results, "gpu-two-scanouts")
    d0, d1 = r["displays"]
    assert d0["sha256"] == hashlib.sha256(bars_rgb(320, 240)).hexdigest()
    pic = Pic(160, 128, bars_rgb(160, 128))
    pic.fill(150, 120, 64, 64, 0x000000)  # black opaque cursor, clipped
    assert d1["sha256"] == pic.sha()
    assert d0["cursor"] is None and d1["cursor"]["resource"] == 9
    assert r["display"] == d0  # the single form is scanout 0


def test_short_backing_copies_what_is_there(all_results):
    r = result(all_results, "gpu-short-backing")
    bars = bars_rgb(64, 48)
    want = bars[38 * 64 * 3:] + bytes(64 * 38 * 3)
    assert r["display"]["sha256"] == hashlib.sha256(want).hexdigest()
    assert any("partial copy" in (e.get("what") or "") for e in r["trace"])


def test_sub_rect_transfer_one_wrong_pixel_fails(vqsim, tmp_path):
    spec = yaml.safe_load((GPU / "sub-rect-transfer.yaml").read_text())
    i = next(k for k, s in enumerate(spec["steps"]) if isinstance(s, dict) and "transfer_to_host_2d" in s)
    spec["steps"].insert(i, {"poke_pixel": {"id": 1, "x": 30, "y": 33, "color": 0x000001}})
    p, r = run_edited(vqsim, tmp_path, spec)
    assert p.returncode == 1 and not r["passed"]
    assert any("in 1 of 3072 pixels; first at (30,33)" in f for f in r["failures"]), r["failures"]


def test_sub_rect_transfer_wrong_offset_fails(vqsim, tmp_path):
    spec = yaml.safe_load((GPU / "sub-rect-transfer.yaml").read_text())
    for s in spec["steps"]:
        if isinstance(s, dict) and s.get("transfer_to_host_2d", {}).get("offset") == 5188:
            s["transfer_to_host_2d"]["offset"] = 5192  # one pixel off
    p, r = run_edited(vqsim, tmp_path, spec)
    assert p.returncode == 1 and not r["passed"]
    assert any("differs from pattern 'bars'" in f for f in r["failures"])


def test_dark_display_is_explained(all_results, vqsim, tmp_path):
    r = result(all_results, "gpu-dark-never-transferred")
    d = r["display"]
    assert d["active"] and d["dark"]
    assert "resource 1 was attached and set as scanout 0 but never transferred" in d["dark_reason"]
    assert "never flushed" in d["dark_reason"]
    assert all(s["status"] == "ok" for s in r["steps"])  # every command succeeded
    f = result(all_results, "gpu-dark-never-flushed")["display"]["dark_reason"]
    assert "transferred but never flushed" in f
    # a scenario that expects the picture fails, and the failure says why
    spec = yaml.safe_load((GPU / "dark-never-transferred.yaml").read_text())
    spec["expect"]["display"] = {"active": True, "pattern": "bars"}
    p, res = run_edited(vqsim, tmp_path, spec)
    assert p.returncode == 1
    assert any("never transferred" in x and "differs from pattern 'bars'" in x
               for x in res["failures"]), res["failures"]


@pytest.mark.parametrize("name,state", [("gpu-not-active-set-scanout-0", "inactive"),
                                        ("gpu-not-active-unref", "inactive"),
                                        ("gpu-not-active-reset", "inactive"),
                                        ("gpu-not-active-fb-disable", "inactive"),
                                        ("gpu-errors-scanout", "not-initialized")])
def test_display_states(all_results, name, state):
    d = result(all_results, name)["display"]
    assert d["state"] == state and not d["active"] and d["dark"]
    words = "Display output is not active." if state == "inactive" else "not initialized"
    assert words in d["dark_reason"]


def expected_responses():
    for f in sorted(ROOT.glob("scenarios/**/*.yaml")):
        spec = yaml.safe_load(f.read_text())
        for s in spec["steps"]:
            if isinstance(s, dict):
                args = list(s.values())[0] or {}
                if isinstance(args, dict) and "expect_response" in args:
                    yield spec["name"], list(s)[0], args["expect_response"]


def test_every_expected_response_is_in_the_step_result(all_results):
    seen = set()
    for name, step, want in expected_responses():
        r = result(all_results, name)
        seen.add(want)
        assert r["passed"], (name, r["failures"])
    # every response code QEMU's 2D device can give, at least once (INVALID_CONTEXT_ID is 3D)
    assert seen >= {"OK_NODATA", "OK_DISPLAY_INFO", "OK_EDID", "ERR_UNSPEC", "ERR_OUT_OF_MEMORY",
                    "ERR_INVALID_SCANOUT_ID", "ERR_INVALID_RESOURCE_ID", "ERR_INVALID_PARAMETER"}
    for r in all_results[1]["scenarios"]:
        for s in r["steps"]:
            if s["response"]:
                assert s["response_name"], s


def test_wrong_expected_response_fails(vqsim, tmp_path):
    spec = yaml.safe_load((GPU / "errors-create.yaml").read_text())
    spec["steps"][1]["resource_create_2d"]["expect_response"] = "ERR_INVALID_PARAMETER"
    p, r = run_edited(vqsim, tmp_path, spec)
    assert p.returncode == 1
    assert any("expected response ERR_INVALID_PARAMETER, got ERR_INVALID_RESOURCE_ID" in f
               for f in r["failures"]), r["failures"]


def test_error_without_expectation_is_a_device_error(vqsim, tmp_path):
    spec = yaml.safe_load((GPU / "errors-create.yaml").read_text())
    del spec["steps"][1]["resource_create_2d"]["expect_response"]
    p, r = run_edited(vqsim, tmp_path, spec)
    assert r["outcome"] == "device-error"
    assert r["steps"][2]["detail"].endswith("gpu-err-invalid-resource-id")
    assert [s["status"] for s in r["steps"][3:5]] == ["skipped", "skipped"]


def test_png_mismatch_writes_actual_and_diff(vqsim, tmp_path):
    spec = yaml.safe_load((GPU / "demo.yaml").read_text())
    spec["steps"].insert(3, {"fb_fill": {"scanout": 0, "rect": {"x": 5, "y": 6, "width": 1,
                                                                 "height": 1}, "color": 0}})
    f = tmp_path / "edited.yaml"
    f.write_text(yaml.safe_dump(spec))
    out, png = tmp_path / "r.json", tmp_path / "png"
    p = run(vqsim, "run", "--json", out, "--png", png, f)
    assert p.returncode == 1
    r = json.loads(out.read_text())["scenarios"][0]
    msg = [x for x in r["failures"] if "differs from scenarios/gpu/ref/demo.png" in x]
    assert msg and "in 1 of 307200 pixels; first at (5,6): #000000 instead of #ffffff" in msg[0]
    d = r["display"]
    for k in ("png", "diff_png"):
        data = (ROOT / d[k]).read_bytes() if not pathlib.Path(d[k]).is_absolute() else \
            pathlib.Path(d[k]).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", k
    assert d["diff_png"].endswith("gpu-demo-scanout0-diff.png")


def test_scanouts_written_as_png_per_scanout(all_results):
    d = result(all_results, "gpu-two-scanouts")["displays"]
    assert d[0]["png"].endswith("/gpu-two-scanouts.png")
    assert d[1]["png"].endswith("/gpu-two-scanouts-scanout1.png")
    data = pathlib.Path(d[1]["png"]).read_bytes()
    assert int.from_bytes(data[16:20], "big") == 160 and int.from_bytes(data[20:24], "big") == 128


def test_demo_on_the_legacy_transport_gives_the_same_picture(all_results, vqsim, tmp_path):
    spec = yaml.safe_load((GPU / "demo.yaml").read_text())
    spec["device"]["transport"] = "legacy"
    p, r = run_edited(vqsim, tmp_path, spec)
    assert p.returncode == 0, r["failures"]
    assert r["display"]["sha256"] == result(all_results, "gpu-demo")["display"]["sha256"]
    # both queues, as the driver and the device see them (cursor queue: two commands answered)
    assert [q["index"] for q in r["queues"]] == [0, 1]
    cq = r["queues"][1]
    assert {k: cq["driver"][k] for k in ("desc", "avail", "used")} == \
        {k: cq["device"][k] for k in ("desc", "avail", "used")}
    assert cq["avail_idx"] == cq["used_idx"] == 2


def test_display_change_out_of_range_is_refused(vqsim, tmp_path):
    spec = yaml.safe_load((GPU / "resolution-change.yaml").read_text())
    spec["steps"][3] = {"display_change": {"scanout": 0, "width": 9000, "height": 600}}
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(spec))
    p = run(vqsim, "run", f)
    assert p.returncode == 2 and "'width' is 9000, outside 16..8192" in p.stderr


def test_edid_response_and_mode(all_results):
    r = result(all_results, "gpu-edid")
    edid = [s for s in r["steps"] if s["step"] == "get_edid"]
    assert edid[0]["detail"] == "scanout 0: 1024-byte EDID, preferred 800x600"
    assert (edid[0]["response_name"], edid[0]["used_len"]) == ("OK_EDID", 1056)
    assert (edid[1]["response_name"], edid[1]["used_len"]) == ("ERR_INVALID_PARAMETER", 24)
    refused = result(all_results, "gpu-edid-not-negotiated")["steps"][1]
    assert refused["response"] is None and refused["status"] == "driver-error"


def test_flip_without_flush_is_dark_though_pixels_match(all_results):
    d = result(all_results, "gpu-dark-new-resource-never-flushed")["display"]
    assert d["resource"] == 2 and d["dark"]
    assert d["sha256"] == hashlib.sha256(bars_rgb(64, 48)).hexdigest()  # the old picture
    assert "resource 2 on scanout 0 was transferred but never flushed" in d["dark_reason"]
    assert "still shows what an earlier resource left there" in d["dark_reason"]


def two_scanouts_expecting(tmp_path, sha1, pattern0="bars"):
    """gpu-two-scanouts with scanout 1's sha256 expected (a display the verdict line never
    shows) and scanout 0 compared with `pattern0`."""
    spec = yaml.safe_load((GPU / "two-scanouts.yaml").read_text())
    spec["expect"]["display"][1]["sha256"] = sha1
    spec["expect"]["display"][0]["pattern"] = pattern0
    f = tmp_path / f"two-{sha1[:4]}-{pattern0}.yaml"
    f.write_text(yaml.safe_dump(spec))
    return f


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_text_run_hashes_what_it_is_asked(vqsim, tmp_path, jobs):
    """Without --json a run hashes only the digests something reads (results.c digest_read):
    the verdict line's (scanout 0, active) and every sha256 a scenario expects, on any scanout;
    the pattern is compared with the picture composed once (judge.c picture)."""
    pic = Pic(160, 128, bars_rgb(160, 128))
    pic.fill(150, 120, 64, 64, 0x000000)  # black opaque cursor, clipped
    p = run(vqsim, "run", "-j", jobs, two_scanouts_expecting(tmp_path, pic.sha()))
    assert p.returncode == 0, p.stdout + p.stderr
    shown = hashlib.sha256(bars_rgb(320, 240)).hexdigest()
    assert "PASS gpu-two-scanouts" in p.stdout and f"display={shown[:12]}" in p.stdout
    p = run(vqsim, "run", "-j", jobs, two_scanouts_expecting(tmp_path, "0" * 64))
    assert p.returncode == 1, p.stdout
    assert f"display sha256 is {pic.sha()}, expected {'0' * 64}" in p.stdout
    # scanout 0 against another pattern: compared, and failed, without --json too
    p = run(vqsim, "run", "-j", jobs, two_scanouts_expecting(tmp_path, pic.sha(), "black"))
    assert p.returncode == 1, p.stdout
    assert "display differs from pattern 'black' in " in p.stdout
    assert "of 76800 pixels; first at (0,0): #ff0000 instead of #000000" in p.stdout


@pytest.mark.parametrize("fmt", ["B8G8R8X8", "B8G8R8A8", "X8R8G8B8", "A8R8G8B8", "R8G8B8X8",
                                 "R8G8B8A8", "X8B8G8R8", "A8B8G8R8"])
def test_drawn_pattern_in_every_format(vqsim, tmp_path, fmt):
    """The kernel draws a pattern row by row, copying the row before where the colours repeat
    and encoding only the 16-pixel pieces that differ (kernel_steps.c put_row): at a size that is
    no multiple of 16 and a diagonal crossing every piece, in every 2D format, the display shows
    exactly the pattern as an independent generator makes it."""
    w, h = 45, 37
    spec = yaml.safe_load((ROOT / "scenarios" / "modern-display.yaml").read_text())
    spec["device"]["display"] = {"width": w, "height": h}
    spec["steps"][1] = {"resource_create_2d": {"id": 1, "format": fmt}}
    spec["expect"]["display"]["sha256"] = hashlib.sha256(bars_rgb(w, h)).hexdigest()
    p, r = run_edited(vqsim, tmp_path, spec)
    assert p.returncode == 0, p.stdout + p.stderr
    assert r["display"]["sha256"] == hashlib.sha256(bars_rgb(w, h)).hexdigest()
