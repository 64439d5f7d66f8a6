"""Every barrier call of the real driver is numbered and covered by the omit-one-barrier builds."""
import re

from conftest import ROOT


def test_every_driver_barrier_is_numbered_and_covered():
    src = (ROOT / "src" / "driver" / "virtqueue.c").read_text()
    code = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    bare = re.findall(r"\bvhal_(?:mb|rmb|wmb)\s*\(", code)
    assert not bare, "a barrier call outside VQ_BARRIER(n, …) cannot be compiled out by the test"
    numbered = [int(n) for n in re.findall(r"VQ_BARRIER\((\d+),\s*vhal_(?:mb|rmb|wmb)\)", code)]
    assert sorted(numbered) == list(range(1, len(numbered) + 1)), numbered
    cmake = (ROOT / "CMakeLists.txt").read_text()
    m = re.search(r'set\(VQ_OMIT_RULES ""((?:\s+"[^"]+")+)\)', cmake)
    assert m, "CMakeLists.txt lists the rule each omitted barrier must trip"
    rules = re.findall(r'"([^"]+)"', m.group(1))
    assert len(rules) == len(numbered)
    assert re.search(rf"foreach\(n RANGE 0 {len(numbered)}\)", cmake)


def test_repeat_step_runs_the_step_count_times(vqsim, tmp_path):
    import json
    import yaml
    from conftest import run
    spec = yaml.safe_load((ROOT / "scenarios" / "barriers" / "ring-wrap-repeat.yaml").read_text())
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(spec))
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, f)
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.loads(out.read_text())["scenarios"][0]
    assert r["steps"][1]["detail"].endswith("(×300)")
    pops = [e for e in r["trace"] if e["kind"] == "pop"]
    assert len(pops) == 300 + 5  # draw is not a command
    assert pops[-1]["avail_idx"] == 305


def test_repeat_step_errors(vqsim, tmp_path):
    from conftest import run
    text = (ROOT / "scenarios" / "barriers" / "ring-wrap-repeat.yaml").read_text()
    for bad, msg in [("{count: 300}", "needs 'count' and 'step'"),
                     ("{count: 0, step: get_display_info}", "'count' is 0"),
                     ("{count: 2, step: {repeat: {count: 2, step: get_display_info}}}", "cannot nest"),
                     ("{count: 2, step: get_display_info, times: 3}", "unknown key 'times'")]:
        f = tmp_path / "bad.yaml"
        f.write_text(text.replace("{count: 300, step: get_display_info}", bad))
        p = run(vqsim, "run", f)
        assert p.returncode == 2, bad
        assert "bad.yaml:" in p.stderr and msg in p.stderr, (bad, p.stderr)


def test_barrier_bug_errors(vqsim, tmp_path):
    from conftest import run
    text = (ROOT / "scenarios" / "barriers" / "drop-wmb.yaml").read_text()
    for bad, msg in [("{kind: sfence, nth: 1}", "'kind' must be one of: mb, rmb, wmb"),
                     ("{nth: 1}", "needs 'kind'")]:
        f = tmp_path / "bad.yaml"
        f.write_text(text.replace("{kind: wmb, nth: 1}", bad))
        p = run(vqsim, "run", f)
        assert p.returncode == 2 and msg in p.stderr, (bad, p.stderr)
    text = (ROOT / "scenarios" / "barriers" / "missed-kick-flags.yaml").read_text()
    orig = "rewrite-ring-load: {field: used.flags, value: 1, nth: 1}"
    for bad, msg in [("rewrite-ring-load: {field: avail.idx, value: 1}", "'field' must be one of: used.flags"),
                     ("rewrite-ring-load: {field: used.flags}", "needs 'field' and 'value'"),
                     ("ring-init: {field: used.flags, value: 1, nth: 2}", "unknown key 'nth'"),
                     ("ring-init: {field: used.flags, value: 0x10000}", "outside 0..65535")]:
        f = tmp_path / "bad.yaml"
        f.write_text(text.replace(orig, bad))
        p = run(vqsim, "run", f)
        assert p.returncode == 2 and msg in p.stderr, (bad, p.stderr)


def test_weak_memory_hang_is_tied_to_the_barrier(all_results):
    by_name = {s["name"]: s for s in all_results[1]["scenarios"]}
    r = by_name["drop-mb-notify-weak"]
    assert r["passed"], r["failures"]
    ev = r["diagnosis"]["evidence"]
    assert ev["barrier_violation"] == "split.notify.barrier-before-suppression-check (§2.6.13.4.1)"
    assert ev["reordering"].startswith("weak memory:")
    assert "missing memory barrier" in r["diagnosis"]["message"]
    # Strongly ordered, the same dropped barrier hangs nothing.
    assert by_name["drop-mb-notify"]["outcome"] == "violation"


def test_driver_accepts_only_features_it_implements(vqsim, tmp_path):
    """driver.features asks; the driver still accepts only what it implements (one mask,
    VGPU_DRIVER_FEATURES in virtio_gpu.h) and what the device offers."""
    import json
    import yaml
    from conftest import run
    spec = yaml.safe_load((ROOT / "scenarios" / "barriers" / "event-idx-clean.yaml").read_text())
    spec["device"]["offer"] = ["ring_packed", "order_platform"]
    spec["driver"]["features"] = ["event_idx", "ring_packed", "order_platform"]
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(spec))
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, f)
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.loads(out.read_text())["scenarios"][0]
    # ring_packed is implemented (issue 20: vq_packed.c), order_platform is not
    assert r["device"]["negotiated"] == ["event_idx", "version_1", "ring_packed"]


def test_json_names_memory_model_and_ring_access(all_results):
    by_name = {s["name"]: s for s in all_results[1]["scenarios"]}
    assert by_name["drop-wmb-weak"]["device"]["memory"] == "weak"
    assert by_name["drop-wmb"]["device"]["memory"] == "strong"
    assert by_name["plain-clean"]["device"]["ring_access"] == "plain"
    assert by_name["drop-wmb"]["device"]["ring_access"] == "accessors"
    # plain mode records no ring accesses; accessors mode records every one
    assert not [e for e in by_name["plain-clean"]["trace"] if e["kind"].startswith("ring-")]
    assert [e for e in by_name["drop-wmb"]["trace"] if e["kind"] == "ring-store"]
    # the dropped barrier is in the trace, marked
    dropped = [e for e in by_name["drop-wmb"]["trace"]
               if e["kind"] == "barrier" and "drop-barrier" in e.get("note", "")]
    assert [e["what"] for e in dropped] == ["wmb"]


def test_indices_wrap_past_0xffff_in_scenarios(all_results):
    """70,000 requests and five more commands: both 16-bit indices end at 70,005 mod 65,536, on a
    queue of 2 with EVENT_IDX and a queue of 1024 without, and nothing fired on the way."""
    by_name = {s["name"]: s for s in all_results[1]["scenarios"]}
    for name, size in (("wrap-70000-queue-2", 2), ("wrap-70000-queue-1024", 1024)):
        r = by_name[name]
        assert r["passed"] and r["violations"] == [], (name, r["failures"])
        q = r["queues"][0]
        assert q["size"] == size
        assert q["avail_idx"] == q["used_idx"] == (70000 + 5) % 65536 == 4469
        assert r["steps"][1]["detail"].endswith("(×70000)")
        fences = [s["fence_id"] for s in r["steps"] if s.get("fence_id")]
        assert fences[-1] == 70005  # every control command fenced, ids counted past 65,536
        # The trace keeps the newest events only (it is bounded), and says how many it dropped.
        assert r["trace_dropped"] > 0
        pops = [e for e in r["trace"] if e["kind"] == "pop"]
        assert pops[-1]["avail_idx"] == 4469
        assert r["displays"][0]["active"] and not r["displays"][0]["dark"]
