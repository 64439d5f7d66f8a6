"""`vqsim explain`: a rule from the embedded catalogue, and the split-ring layout table with exact
offsets (computed by src/spec/ring_layout.c, the code the device model places rings with)."""
import re

import pytest
import yaml

from conftest import ROOT, run

RULES = {r["id"]: r for r in yaml.safe_load((ROOT / "spec" / "rules.yaml").read_text())["rules"]}
ROW = re.compile(r"^  ( *)(\S.*?)\s+0x([0-9a-f]{5})\s+(\d+)(?:\s+(\d+))?(?:\s+(\S+))?")


def table(text, start=0):
    """The first layout table at or after line `start`: {"area.field": (offset, size, align)}."""
    rows, area, seen = {}, None, False
    for line in text.splitlines()[start:]:
        m = ROW.match(line)
        if not m:
            if seen and line.strip() == "":
                break
            continue
        seen = True
        indent, label, off, dec, size, align = m.groups()
        assert int(off, 16) == int(dec), line  # hex and decimal columns agree
        if indent:
            key = f"{area}.{label}"
        else:
            area = label
            key = label
        rows[key] = (int(off, 16), int(size) if size else 0, align)
    return rows


def explain(vqsim, *args):
    return run(vqsim, "explain", *args)


def test_layout_modern_16(vqsim):
    p = explain(vqsim, "--layout", "16")
    assert p.returncode == 0, p.stderr
    assert "modern layout" in p.stdout and "§2.6" in p.stdout
    t = table(p.stdout)
    assert t["descriptor table"] == (0x000, 256, "16")
    assert t["available ring"] == (0x100, 38, "2")
    assert t["available ring.flags"][:2] == (0x100, 2)
    assert t["available ring.idx"][:2] == (0x102, 2)
    assert t["available ring.ring[16]"][:2] == (0x104, 32)
    assert t["available ring.used_event"][:2] == (0x124, 2)
    assert t["padding"][:2] == (0x126, 2)
    assert t["used ring"] == (0x128, 134, "4")
    assert t["used ring.flags"][:2] == (0x128, 2)
    assert t["used ring.idx"][:2] == (0x12a, 2)
    assert t["used ring.ring[16]"][:2] == (0x12c, 128)
    assert t["used ring.avail_event"][:2] == (0x1ac, 2)
    assert t["end"][:2] == (0x1ae, 0)
    assert "Notes" not in p.stdout  # a power of two within QueueNumMax: nothing to warn about


def test_layout_legacy_16_4096(vqsim):
    p = explain(vqsim, "--layout", "16", "--legacy", "4096")
    assert p.returncode == 0, p.stderr
    assert "QueueAlign 4096" in p.stdout and "§2.6.2" in p.stdout
    t = table(p.stdout)
    assert t["descriptor table"] == (0, 256, "page")
    assert t["available ring"] == (0x100, 38, "2")
    assert t["available ring.used_event"][:2] == (0x124, 2)
    assert t["padding"][:2] == (0x126, 0x1000 - 0x126)
    assert t["used ring"] == (0x1000, 134, "4096")
    assert t["used ring.idx"][:2] == (0x1002, 2)
    assert t["used ring.ring[16]"][:2] == (0x1004, 128)
    assert t["end"][:2] == (0x1086, 0)
    assert "ALIGN_UP(0x124, 4096) = 0x1000" in p.stdout  # QEMU: without used_event
    assert "ALIGN_UP(0x126, 4096) = 0x1000" in p.stdout  # §2.6.2: with it
    assert "They agree." in p.stdout
    assert "used ring (spec)" not in p.stdout


def test_layout_legacy_where_qemu_and_the_spec_differ(vqsim):
    p = explain(vqsim, "--layout", "16", "--legacy", "4")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    device = table(p.stdout)
    assert device["used ring"] == (0x124, 134, "4")
    assert "padding" not in device
    assert "lies on the used ring" in p.stdout  # used_event overlaps used.flags
    assert "They differ" in p.stdout
    spec_at = next(i for i, l in enumerate(lines) if "used ring (spec)" in l) - 1
    spec = table(p.stdout, spec_at)
    assert spec["used ring (spec)"] == (0x128, 134, "4")
    assert spec["used ring (spec).idx"][:2] == (0x12a, 2)
    assert "used-ring-mismatch" in p.stdout


def test_layout_non_power_of_two(vqsim):
    p = explain(vqsim, "--layout", "10")
    assert p.returncode == 0, p.stderr
    t = table(p.stdout)
    assert t["descriptor table"][:2] == (0, 160)
    assert t["available ring"][:2] == (0xa0, 26)
    assert t["available ring.ring[10]"][:2] == (0xa4, 20)
    assert t["padding"][:2] == (0xba, 2)
    assert t["used ring"][:2] == (0xbc, 86)
    assert t["used ring.ring[10]"][:2] == (0xc0, 80)
    assert t["end"][:2] == (0x112, 0)
    assert "not a power of two" in p.stdout and "split.queue-size-pow2" in p.stdout
    # legacy, odd QueueAlign: QEMU rounds up by division
    p = explain(vqsim, "--layout", "3", "--legacy", "100")
    assert p.returncode == 0, p.stderr
    t = table(p.stdout)
    assert t["used ring"] == (100, 30, "100")
    assert t["padding"][:2] == (60, 40)
    assert "QueueAlign is not a power of two" in p.stdout


def test_layout_hex_argument_and_large_queue(vqsim):
    p = explain(vqsim, "--layout", "0x800")
    assert p.returncode == 0, p.stderr
    assert table(p.stdout)["used ring"][:2] == (0x8000 + 6 + 0x1000 + 2, 6 + 8 * 2048)
    assert "QueueNumMax" in p.stdout


@pytest.mark.parametrize("args", [
    [], ["--layout"], ["--layout", "0"], ["--layout", "32769"], ["--layout", "x"],
    ["--layout", "-4"], ["--layout", "16", "--legacy"], ["--layout", "16", "--legacy", "0"],
    ["--layout", "16", "--bogus"], ["--frob"], ["split.align", "split.desc.no-loops"],
])
def test_usage_errors_exit_2(vqsim, args):
    p = explain(vqsim, *args)
    assert p.returncode == 2, p.stdout
    assert p.stderr.startswith("vqsim: explain:"), p.stderr
    assert "usage: vqsim explain" in p.stderr
    assert p.stdout == ""


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_explains_from_the_catalogue(vqsim, rule_id):
    r = RULES[rule_id]
    p = explain(vqsim, rule_id)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    first = out.splitlines()[0]
    assert first.startswith(f"{rule_id} — {r['level']}")
    if r["section"][0].isdigit():
        spec = r.get("spec", "1.1")  # a rule cited from a later version says which
        assert f"VirtIO {spec} §{r['section']} {r['title']} (area: {r['area']})" in out
    else:
        assert f"Not a VirtIO rule: {r['title']}" in out
    flat = " ".join(out.split())
    assert " ".join(r["statement"].split()) in flat
    if r.get("check"):
        assert f"Check {r['check']}" in flat
    else:
        assert " ".join(r["not_checked_because"].split()) in flat
    if r.get("qemu"):
        assert " ".join(r["qemu"].split()) in flat
    for f in r.get("proven_by", []):
        assert f in out
    if r.get("proven_by"):
        assert f"vqsim run -v {r['proven_by'][0]}" in out


@pytest.mark.parametrize("typed,suggested", [
    ("split.desc.noloops", "split.desc.no-loops"),
    ("split.desc.no_loops", "split.desc.no-loops"),
    ("SPLIT.ALIGN", "split.align"),
    ("zero-length", "split.desc.zero-length"),
    ("split.avail.idx-jumps", "split.avail.idx-jump"),
])
def test_unknown_rule_suggests_close_ids(vqsim, typed, suggested):
    p = explain(vqsim, typed)
    assert p.returncode == 2
    assert p.stdout == ""
    assert f"no rule '{typed}'" in p.stderr
    m = re.search(r"did you mean: ([^?]+)\?", p.stderr)
    assert m, p.stderr
    assert m.group(1).split(", ")[0] == suggested


def test_unknown_rule_far_from_everything(vqsim):
    p = explain(vqsim, "qwertyuiop")
    assert p.returncode == 2
    assert "did you mean" not in p.stderr and "vqsim rules" in p.stderr


def test_help_mentions_explain(vqsim):
    p = run(vqsim, "--help")
    assert p.returncode == 0
    assert "vqsim explain RULE-ID | --layout N [--legacy ALIGN]" in p.stdout
    assert "explain --layout N [--legacy ALIGN]" in p.stdout
