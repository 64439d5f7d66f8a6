"""Packed virtqueues (§2.7, issue 20): the scenario key, and the whole class of correct runs.

Every scenario of the suite in which a correct driver talks to a correct modern device (no
replayed bug, no device fault, no violation expected) is run again with `ring: packed`: the
driver negotiates VIRTIO_F_RING_PACKED, both sides use the packed ring, and the run must meet the
same expectations — the same outcome, no violation, the same pixels (sha256 / pattern). The rules
of the packed area are proven by scenarios/packed/ (tests/test_rules.py)."""
import json

import pytest
import yaml

from conftest import ROOT, SCENARIOS, run


def clean_modern(path):
    doc = yaml.safe_load(path.read_text())
    dev, exp = doc.get("device", {}), doc.get("expect", {})
    if dev.get("transport") != "modern" or "ring" in dev:
        return None
    if doc.get("bugs") or doc.get("device_faults") or doc.get("faults"):
        return None
    if exp.get("violations") not in ([], None):
        return None
    return doc


CLEAN = [p for p in SCENARIOS if clean_modern(p)]


def test_the_class_is_not_empty():
    names = {p.stem for p in CLEAN}
    # the display scenarios the issue names are in it, with indirect tables and EVENT_IDX
    assert {"modern-display", "modern-display-indirect", "event-idx-clean", "demo"} <= names
    assert len(CLEAN) >= 35, len(CLEAN)


@pytest.fixture(scope="module")
def packed_results(vqsim, tmp_path_factory):
    d = tmp_path_factory.mktemp("packed")
    files = []
    for p in CLEAN:
        doc = clean_modern(p)
        doc["device"]["ring"] = "packed"
        disk = doc["device"].get("disk")
        if disk and "image" in disk: # a blk scenario's image, named from its own folder
            disk["image"] = str((p.parent / disk["image"]).resolve())
        f = d / (str(p.relative_to(ROOT)).replace("/", "__"))
        f.write_text(yaml.safe_dump(doc, sort_keys=False))
        files.append(f)
    out = d / "results.json"
    proc = run(vqsim, "run", "-j", "2", "--json", out, *files)
    return proc, {s["name"]: s for s in json.loads(out.read_text())["scenarios"]}


def test_every_correct_run_holds_over_packed(packed_results):
    proc, by_name = packed_results
    assert len(by_name) == len(CLEAN)
    failed = {n: s["failures"] for n, s in by_name.items() if not s["passed"]}
    assert not failed, failed
    assert proc.returncode == 0, proc.stdout[-2000:]
    packed = 0
    for name, s in by_name.items():
        assert s["violations"] == [], name
        neg = s["device"]["negotiated"]
        assert "in_order" not in neg, name  # declined beside packed
        packed += "ring_packed" in neg  # (empty when the run ends with a device reset)
    assert packed >= len(CLEAN) - 5, packed


def test_pixels_match_split(packed_results, all_results):
    """The same picture over both ring formats, byte for byte."""
    _, by_name = packed_results
    split = all_results[2]
    compared = 0
    for name, s in by_name.items():
        a, b = split[name].get("display") or {}, s.get("display") or {}
        if a.get("sha256"):
            assert a["sha256"] == b.get("sha256"), name
            compared += 1
    assert compared >= 20, compared


def scenario(tmp_path, ring):
    src = (ROOT / "scenarios" / "modern-display.yaml").read_text()
    f = tmp_path / "s.yaml"
    f.write_text(src.replace("  transport: modern\n", f"  transport: modern\n  ring: {ring}\n"))
    return f


def test_ring_key(vqsim, tmp_path):
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, scenario(tmp_path, "split"))
    assert p.returncode == 0, p.stdout
    s = json.loads(out.read_text())["scenarios"][0]
    assert "ring_packed" not in s["device"]["offered"]  # QEMU 7.2's default: packed=off
    p = run(vqsim, "run", "--json", out, scenario(tmp_path, "packed"))
    assert p.returncode == 0, p.stdout
    s = json.loads(out.read_text())["scenarios"][0]
    assert "ring_packed" in s["device"]["offered"] and "ring_packed" in s["device"]["negotiated"]
    # the driver area is the 4-byte event suppression structure right after the 16 x 16 bytes
    q = s["queues"][0]
    assert int(q["device"]["avail"], 16) - int(q["device"]["desc"], 16) == 256
    assert q["chains"]["met"] == 6


def test_ring_key_refuses_a_bad_value(vqsim, tmp_path):
    p = run(vqsim, "run", scenario(tmp_path, "ringed"))
    assert p.returncode != 0
    assert "s.yaml:" in p.stderr + p.stdout and "ring" in p.stderr + p.stdout


@pytest.mark.parametrize("fault,field", [("used-idx-jump: {by: 2}", "used.idx"),
                                         ("event-index: {offset: 5}", "used_event / avail_event")])
def test_split_only_device_faults_refused_on_packed(vqsim, tmp_path, fault, field):
    """A device fault that writes a field only the split ring has cannot be injected on a packed
    ring: an input error at the fault's line (exit 2), not a run whose fault silently misses."""
    f = scenario(tmp_path, "packed")
    text = f.read_text().replace("\nsteps:", f"\ndevice_faults:\n  - {fault}\nsteps:", 1)
    f.write_text(text)
    line = text.splitlines().index(f"  - {fault}") + 1
    p = run(vqsim, "run", f)
    assert p.returncode == 2, p.stdout
    assert f"s.yaml:{line}:" in p.stderr and field in p.stderr and "packed" in p.stderr, p.stderr
    # the same fault on the split ring is taken
    f.write_text(text.replace("  ring: packed\n", ""))
    assert "only a split ring" not in run(vqsim, "run", f).stderr


def test_packed_device_faults_cite_the_packed_ring(all_results):
    """The device faults replayed on packed rings (scenarios/packed/packed-device-*.yaml) are
    explained in the packed ring's terms: §2.7.22, the used descriptor's flags or id/len, the
    device's used offset and wrap counter; never the split ring's used.idx."""
    by_name = {s["name"]: s for s in all_results[1]["scenarios"]}
    names = [p.stem for p in sorted((ROOT / "scenarios" / "packed").glob("packed-device-*.yaml"))]
    assert len(names) >= 4, names
    for n in names:
        c = by_name[n]["diagnosis"]["causes"][0]
        assert c["cause"] == "device-fault" and c["section"] == "2.7.22", (n, c)
        assert "used.idx" not in c["message"] and "used_idx_in_memory" not in c["evidence"], n
        assert {"device_used_offset", "device_used_wrap_counter"} <= set(c["evidence"]), n
    flags = by_name["packed-device-used-flags-unwritten"]["diagnosis"]["causes"][0]["message"]
    assert "never its flags" in flags and "§2.7.1" in flags, flags
