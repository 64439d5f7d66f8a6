"""The ring side seen through the CLI: indirect tables on the clean path of both transports,
features the driver does not implement never accepted, and the ring-side bug vocabulary."""
import json

import yaml

from conftest import ROOT, run


def run_spec(vqsim, tmp_path, spec):
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(spec))
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, f)
    return p, json.loads(out.read_text())["scenarios"][0]


def test_clean_indirect_runs_use_tables(all_results):
    by_name = all_results[2]
    for t in ("modern", "legacy"):
        r = by_name[f"{t}-display-indirect"]
        assert r["passed"], r["failures"]
        assert r["violations"] == []
        assert "indirect_desc" in r["device"]["negotiated"]
        stores = [e for e in r["trace"] if e["kind"] == "ring-store"]
        heads = [e for e in stores if e.get("what") == "desc.flags"]
        assert heads and all(e["value"] == "0x4" for e in heads), heads  # INDIRECT, no NEXT
        table = [e for e in stores if (e.get("what") or "").startswith("indirect.")]
        # the table of the first command: request (NEXT) then response (WRITE); the JSON names
        # table stores by the tables the ring names at the end of the run, so later commands'
        # entries are counted only as far as the last table at the same place reaches
        flags = [e["value"] for e in table if e["what"] == "indirect.flags"]
        assert flags[:2] == ["0x1", "0x2"], flags
        assert len(flags) >= 2 * len(heads) - 1
        assert r["display"]["sha256"] == by_name[f"{t}-display"]["display"]["sha256"]


def test_driver_never_accepts_what_it_does_not_implement(vqsim, tmp_path):
    spec = yaml.safe_load((ROOT / "scenarios" / "modern-display.yaml").read_text())
    spec["device"]["offer"] = ["virgl", "order_platform"]
    spec["driver"]["features"] = ["virgl", "order_platform", "indirect_desc"]
    p, r = run_spec(vqsim, tmp_path, spec)
    assert r["passed"], r["failures"]
    assert "virgl" in r["device"]["offered"] and "order_platform" in r["device"]["offered"]
    assert r["device"]["negotiated"] == ["indirect_desc", "version_1"]


def test_ring_bug_errors_name_the_position(vqsim, tmp_path):
    base = (ROOT / "scenarios" / "modern-display.yaml").read_text()
    cases = [
        ("bugs:\n  - set-desc-flags: {add: [LOOP]}\n", "unknown descriptor flag in 'add'"),
        ("bugs:\n  - set-desc-flags: {in: ring}\n", "set-desc-flags needs 'add' or 'remove'"),
        ("bugs:\n  - set-desc-flags: {in: table, add: [NEXT]}\n", "'in' must be one of: ring, indirect"),
        ("bugs:\n  - virt-as-phys: {nth: 1}\n", "virt-as-phys needs 'offset'"),
        ("bugs:\n  - alter-exposed-desc: {field: flags, value: 0x10000}\n", "'value' is 65536"),
        ("bugs:\n  - alter-exposed-desc: {field: id, value: 1}\n", "'field' must be one of"),
        ("bugs:\n  - clear-write-flag: {nth: 1, reg: Status}\n", "unknown key 'reg'"),
    ]
    for i, (bug, msg) in enumerate(cases):
        f = tmp_path / f"b{i}.yaml"
        f.write_text(base.replace("steps:\n", bug + "steps:\n", 1))
        p = run(vqsim, "run", f)
        assert p.returncode == 2, (bug, p.stdout)
        assert f"b{i}.yaml:" in p.stderr and msg in p.stderr, (bug, p.stderr)


def test_clear_write_flag_leaves_no_room_for_the_answer(vqsim, tmp_path):
    """The response descriptor without WRITE: the device has nowhere to write (used len 0) and
    the driver refuses the empty answer instead of reading a stale response."""
    spec = yaml.safe_load((ROOT / "scenarios" / "modern-display.yaml").read_text())
    spec["bugs"] = [{"clear-write-flag": {"nth": 1}}]
    spec["steps"] = ["get_display_info"]
    spec["expect"] = {"outcome": "device-error", "violations": []}
    p, r = run_spec(vqsim, tmp_path, spec)
    assert r["passed"], r["failures"]
    notes = [e for e in r["trace"] if (e.get("note") or "").startswith("replayed bug clear-write-flag")]
    assert len(notes) == 1 and notes[0]["value"] == "0x0"


def test_clean_in_order_runs_take_descriptors_in_ring_order(all_results):
    by_name = all_results[2]
    r = by_name["modern-display-in-order"]
    assert r["passed"], r["failures"]
    assert r["violations"] == [] and "in_order" in r["device"]["negotiated"]
    heads = [e["head"] for e in r["trace"] if e["kind"] == "pop"]
    assert heads == [(2 * k) % 16 for k in range(len(heads))]  # chains of two, in ring order
    r = by_name["modern-display-in-order-indirect"]
    assert r["passed"], r["failures"]
    heads = [e["head"] for e in r["trace"] if e["kind"] == "pop"]
    assert heads == list(range(len(heads)))  # one ring descriptor per command


def test_used_element_then_used_idx_in_the_trace(all_results):
    r = all_results[2]["modern-display"]
    ev = r["trace"]
    used = [i for i, e in enumerate(ev) if e["kind"] == "used"]
    idx = [i for i, e in enumerate(ev) if e["kind"] == "device" and e.get("what") == "used.idx"]
    assert len(used) == len(idx) > 0
    for k, (u, i) in enumerate(zip(used, idx)):
        assert u < i and ev[i]["value"] == k + 1 and ev[i]["addr"] == hex(int(ev[u]["addr"], 16) - 4 - 8 * (k % 16) + 2)
