"""Tests for tools/report.py (HTML report and JUnit XML from `vqsim run --json` results).

Standard library, PyYAML and pytest: run with `/usr/bin/python3 -m pytest tests/test_report.py`.
The fixture below is a hand-built results document in schema `vqsim-results/1`
(docs/results-schema.md): one passing modern scenario, one legacy scenario that times out because
the driver polls a used ring the device never writes.
"""

import copy
import html.parser
import json
import os
import pathlib
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib

import pytest

REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tools", "report.py")
ROOT_DIR = pathlib.Path(__file__).resolve().parent.parent

DEVICE_USED = "0x40101000"
DRIVER_USED = "0x40100128"
CAUSE = "used-ring-mismatch"


def make_png(width=4, height=4):
    """A small RGB PNG (colour bars), built with zlib and struct only."""
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]
    raw = b"".join(b"\x00" + b"".join(bytes(colours[x % 4]) for x in range(width))
                   for _ in range(height))

    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def legacy_trace():
    """About 20 events of a legacy virtio-mmio bring-up that ends polling the wrong used.idx."""
    ev = [
        {"t": 0, "kind": "mmio-read", "offset": "0x000", "reg": "MagicValue", "value": "0x74726976"},
        {"t": 10, "kind": "mmio-read", "offset": "0x004", "reg": "Version", "value": "0x1"},
        {"t": 20, "kind": "mmio-read", "offset": "0x008", "reg": "DeviceID", "value": "0x10"},
        {"t": 30, "kind": "mmio-write", "offset": "0x070", "reg": "Status", "value": "0x1"},
        {"t": 40, "kind": "mmio-write", "offset": "0x070", "reg": "Status", "value": "0x3"},
        {"t": 50, "kind": "mmio-write", "offset": "0x028", "reg": "GuestPageSize", "value": "0x1000"},
        {"t": 60, "kind": "mmio-write", "offset": "0x030", "reg": "QueueSel", "value": "0x0"},
        {"t": 70, "kind": "mmio-read", "offset": "0x034", "reg": "QueueNumMax", "value": "0x100"},
        {"t": 80, "kind": "mmio-write", "offset": "0x038", "reg": "QueueNum", "value": "0x10"},
        {"t": 90, "kind": "mmio-write", "offset": "0x03c", "reg": "QueueAlign", "value": "0x4",
         "note": "legacy device rounds the used ring up to 4096 regardless"},
        {"t": 100, "kind": "mmio-write", "offset": "0x040", "reg": "QueuePFN", "value": "0x40100"},
        {"t": 110, "kind": "mmio-write", "offset": "0x070", "reg": "Status", "value": "0x7"},
        {"t": 120, "kind": "step", "what": "get_display_info"},
        {"t": 130, "kind": "ring-store", "addr": "0x40100000", "size": 16, "value": "0x40200000",
         "what": "desc[0]"},
        {"t": 140, "kind": "ring-store", "addr": "0x40100104", "size": 2, "value": "0x0",
         "what": "avail.ring[0]"},
        {"t": 150, "kind": "barrier", "what": "wmb"},
        {"t": 160, "kind": "ring-store", "addr": "0x40100102", "size": 2, "value": "0x1",
         "what": "avail.idx"},
        {"t": 170, "kind": "notify", "queue": 0},
        {"t": 180, "kind": "pop", "queue": 0, "head": 0},
        {"t": 190, "kind": "used", "queue": 0, "addr": DEVICE_USED, "id": 0, "len": 408,
         "used_idx": 1},
        {"t": 200, "kind": "irq", "value": "0x1"},
        {"t": 210, "kind": "ring-load", "addr": "0x4010012a", "size": 2, "value": "0x0",
         "what": "used.idx", "count": 4000},
        {"t": 40210, "kind": "teleport", "whence": "the future", "extra": {"ignored": True}},
        {"t": 40220, "kind": "violation", "rule": "legacy.used-align"},
    ]
    return ev


def make_results(png_path):
    modern = {
        "name": "modern-display",
        "file": "scenarios/modern-display.yaml",
        "description": "Modern virtio-mmio device, driver brings up the GPU and shows colour bars.",
        "passed": True,
        "failures": [],
        "outcome": "ok",
        "expected": {"outcome": "ok", "violations": [], "cause": None,
                     "display": {"active": True, "sha256": "ab" * 32, "pattern": "bars"}},
        "device": {"transport": "modern", "version": 2, "profile": "qemu",
                   "display": {"width": 4, "height": 4}},
        "steps": [
            {"step": "get_display_info", "status": "ok", "response": "0x1101", "time_ns": 12000,
             "detail": "scanout 0: 4x4 enabled"},
            {"step": "resource_create_2d", "status": "ok", "response": "0x1100", "time_ns": 15500,
             "detail": "resource 1"},
        ],
        "violations": [],
        "diagnosis": None,
        "display": {"scanout": 0, "state": "active", "active": True, "width": 4, "height": 4,
                    "sha256": "ab" * 32, "png": png_path},
        "queues": [{"index": 0, "size": 16,
                    "driver": {"desc": "0x40000000", "avail": "0x40000100", "used": "0x40001000"},
                    "device": {"desc": "0x40000000", "avail": "0x40000100", "used": "0x40001000",
                               "ready": True},
                    "avail_idx": 2, "used_idx": 2}],
        "trace": [
            {"t": 0, "kind": "mmio-read", "offset": "0x000", "reg": "MagicValue",
             "value": "0x74726976"},
            {"t": 10, "kind": "step", "what": "get_display_info"},
            {"t": 20, "kind": "notify", "queue": 0},
        ],
        "future_key": {"whatever": 1},
    }
    legacy = {
        "name": "legacy-used-ring-timeout",
        "file": "scenarios/legacy-used-ring-timeout.yaml",
        "description": "Legacy (version 1) device.\nThe driver packs the used ring right after "
                       "the avail ring, the device aligns it to 4096.",
        "passed": False,
        "failures": ["outcome was timeout, expected ok",
                     "step get_display_info timed out after 40000 ns"],
        "outcome": "timeout",
        "expected": {"outcome": "ok", "violations": [], "cause": None, "display": None},
        "device": {"transport": "legacy", "version": 1, "profile": "qemu",
                   "display": {"width": 640, "height": 480}},
        "steps": [
            {"step": "get_display_info", "status": "timeout", "response": None,
             "time_ns": 40210, "detail": "used.idx stayed 0"},
            {"step": "set_scanout", "status": "skipped", "response": None, "time_ns": 40210,
             "detail": ""},
        ],
        "violations": [
            {"rule": "legacy.used-align", "section": "2.6.2",
             "title": "Legacy Interfaces: A Note on Virtqueue Layout", "level": "MUST",
             "message": "used ring at 0x40100128 is not aligned to QueueAlign 4096",
             "time_ns": 40220},
        ],
        "diagnosis": {
            "cause": CAUSE, "section": "2.6.2",
            "title": "Legacy Interfaces: A Note on Virtqueue Layout",
            "message": "The device wrote the used ring at 0x40101000 (PFN 0x40100 with 4096 "
                       "alignment) but the driver polls used.idx at 0x40100128. Align the used "
                       "ring to QueueAlign in the driver.",
            "evidence": {"queue": 0, "device_used": DEVICE_USED, "driver_used": DRIVER_USED,
                         "queue_align": 4096, "polls": 4000},
        },
        "display": {"scanout": 0, "state": "not-initialized", "active": False, "width": 0,
                    "height": 0, "sha256": None, "png": None},
        "queues": [{"index": 0, "size": 16,
                    "driver": {"desc": "0x40100000", "avail": "0x40100100", "used": DRIVER_USED},
                    "device": {"desc": "0x40100000", "avail": "0x40100100", "used": DEVICE_USED,
                               "ready": True},
                    "avail_idx": 1, "used_idx": 1}],
        "trace": legacy_trace(),
    }
    return {"schema": "vqsim-results/1", "vqsim_version": "0.1.0",
            "summary": {"total": 2, "passed": 1, "failed": 1},
            "scenarios": [modern, legacy], "unknown_top_level": [1, 2, 3]}


def run_report(*args, cwd):
    return subprocess.run([sys.executable, REPORT, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def workdir(tmp_path):
    """tmp_path with scanouts/modern-display.png and results.json (PNG path relative to it)."""
    (tmp_path / "scanouts").mkdir()
    (tmp_path / "scanouts" / "modern-display.png").write_bytes(make_png())
    doc = make_results("scanouts/modern-display.png")
    (tmp_path / "results.json").write_text(json.dumps(doc, indent=2))
    return tmp_path


class TagBalance(html.parser.HTMLParser):
    """Fails on end tags that do not close the innermost open element."""
    VOID = {"meta", "link", "img", "br", "hr", "input", "col", "area", "base", "source", "wbr"}
    SVG_LEAVES = {"rect", "line", "path", "circle"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> but open: {self.stack[-3:]}")
        else:
            self.stack.pop()


def svgs_of(page):
    return re.findall(r"<svg\b.*?</svg>", page, re.S)


def test_html_report(workdir):
    r = run_report("results.json", "-o", "out", cwd=workdir)
    assert r.returncode == 0, r.stderr
    page = (workdir / "out" / "index.html").read_text(encoding="utf-8")

    assert "modern-display" in page and "legacy-used-ring-timeout" in page
    assert 'id="modern-display"' in page and 'id="legacy-used-ring-timeout"' in page
    assert CAUSE in page
    assert DEVICE_USED in page and DRIVER_USED in page
    assert "PASS" in page and "FAIL" in page
    # summary: counts and the violations-by-rule table
    assert re.search(r"<b>2</b>\s*scenarios", page)
    assert "legacy.used-align" in page and "§2.6.2" in page
    # steps, failures, evidence, response code names
    assert "step get_display_info timed out after 40000 ns" in page
    assert "OK_DISPLAY_INFO" in page
    assert "queue_align" in page
    assert "40.210" in page  # 40210 ns shown in µs
    # the unknown trace kind is shown harmlessly; folded loads carry their count
    assert "×4,000" in page
    # the mismatching used ring is highlighted
    assert re.search(r'class="mismatch mono">' + re.escape(DEVICE_USED), page)

    svgs = [s for s in svgs_of(page) if 'class="rings"' in s]
    assert len(svgs) == 2  # one ring layout per queue
    for s in svgs:
        root = ET.fromstring(s)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    legacy_svg = svgs[1]
    assert "driver polls here" in legacy_svg and "device writes here" in legacy_svg
    assert DRIVER_USED in legacy_svg and DEVICE_USED in legacy_svg
    assert "driver polls here" not in svgs[0]  # modern: driver and device agree

    copied = workdir / "out" / "modern-display.png"
    assert copied.read_bytes() == make_png()
    assert 'src="modern-display.png"' in page

    checker = TagBalance()
    checker.feed(page)
    assert checker.errors == [] and checker.stack == []
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")


def test_junit(workdir):
    r = run_report("results.json", "--junit", "junit.xml", "-o", "out", cwd=workdir)
    assert r.returncode == 0, r.stderr
    assert (workdir / "out" / "index.html").exists()
    root = ET.parse(workdir / "junit.xml").getroot()
    assert root.tag == "testsuite" and root.get("name") == "vqsim"
    assert root.get("tests") == "2" and root.get("failures") == "1"
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"modern-display", "legacy-used-ring-timeout"}
    assert all(c.get("classname") == "vqsim.scenarios" for c in cases.values())
    assert cases["legacy-used-ring-timeout"].get("file") == "scenarios/legacy-used-ring-timeout.yaml"
    assert cases["modern-display"].find("failure") is None
    failure = cases["legacy-used-ring-timeout"].find("failure")
    assert failure is not None
    assert "outcome was timeout" in failure.get("message")
    assert CAUSE in failure.text and "timeout" in failure.text
    assert "step get_display_info timed out" in failure.text


def test_missing_png_and_missing_optional_keys(tmp_path):
    doc = make_results("scanouts/not-there.png")
    minimal = {"name": "bare", "passed": False, "outcome": "driver-error"}
    doc["scenarios"].append(minimal)
    del doc["scenarios"][1]["trace"]
    del doc["scenarios"][1]["queues"]
    del doc["scenarios"][1]["display"]
    (tmp_path / "r.json").write_text(json.dumps(doc))
    r = run_report("r.json", "-o", "out", "--junit", "j.xml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "scanouts/not-there.png is missing" in page
    assert "<img" not in page
    assert 'id="bare"' in page
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert root.get("tests") == "3" and root.get("failures") == "2"


def test_escaping_and_two_inputs(workdir):
    doc = make_results(None)
    for sc in doc["scenarios"]:
        sc["name"] += "-<b>x</b>"
    doc["scenarios"][0]["description"] = "<script>alert(1)</script> & more"
    (workdir / "second.json").write_text(json.dumps(doc))
    r = run_report("results.json", "second.json", "-o", "out", "--junit", "j.xml", cwd=workdir)
    assert r.returncode == 0, r.stderr
    page = (workdir / "out" / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "<b>x</b>" not in page
    for s in svgs_of(page):
        ET.fromstring(s)
    root = ET.parse(workdir / "j.xml").getroot()
    assert root.get("tests") == "4" and root.get("failures") == "2"
    assert "modern-display-<b>x</b>" in {c.get("name") for c in root.iter("testcase")}


def test_long_trace_is_cut(workdir):
    doc = make_results(None)
    ev = doc["scenarios"][1]["trace"]
    ev += [{"t": 50000 + i, "kind": "mmio-read", "offset": "0x%03x" % (4 * (i % 7)),
            "reg": "R%d" % (i % 7), "value": hex(i)} for i in range(500)]
    (workdir / "long.json").write_text(json.dumps(doc))
    r = run_report("long.json", "-o", "out", cwd=workdir)
    assert r.returncode == 0, r.stderr
    page = (workdir / "out" / "index.html").read_text(encoding="utf-8")
    left_out = len(ev) - 400
    assert f"{left_out} events left out" in page
    assert "0x1f3" not in page  # event 499 is past the first 400


def test_identical_runs_fold(workdir):
    doc = make_results(None)
    doc["scenarios"][1]["trace"] = [{"t": i, "kind": "ring-load", "addr": DRIVER_USED, "size": 2,
                                     "value": "0x0", "what": "used.idx"} for i in range(50)]
    (workdir / "fold.json").write_text(json.dumps(doc))
    r = run_report("fold.json", "-o", "out", cwd=workdir)
    assert r.returncode == 0, r.stderr
    page = (workdir / "out" / "index.html").read_text(encoding="utf-8")
    section = page[page.index('id="legacy-used-ring-timeout"'):]
    assert section.count('<td class="kind">ring-load</td>') == 1
    assert "×50" in section


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"schema": "other/1"}', "\xff\xfe\x00"])
def test_invalid_json_exits_2(tmp_path, content):
    bad = tmp_path / "broken-results.json"
    bad.write_bytes(content.encode("latin-1"))
    r = run_report(str(bad), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode == 2
    assert "broken-results.json" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out" / "index.html").exists()


def test_unreadable_file_exits_2(tmp_path):
    r = run_report("does-not-exist.json", "--junit", "j.xml", cwd=tmp_path)
    assert r.returncode == 2
    assert "does-not-exist.json" in r.stderr and "Traceback" not in r.stderr


def test_usage_errors(workdir):
    r = run_report(cwd=workdir)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run_report("results.json", cwd=workdir)  # neither -o nor --junit
    assert r.returncode == 2 and "nothing to write" in r.stderr


def test_help():
    r = subprocess.run([sys.executable, REPORT, "--help"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0
    assert "--junit" in r.stdout and "-o" in r.stdout


def test_wrong_types_do_not_crash(tmp_path):
    doc = make_results(None)
    sc = copy.deepcopy(doc["scenarios"][1])
    sc.update({"name": 42, "failures": "not a list", "steps": {"a": 1}, "violations": [None, 3],
               "diagnosis": "text", "display": [1], "queues": [{"size": "x"}, 7],
               "trace": [None, {"kind": 5, "t": "soon"}, {"t": 1}], "expected": None})
    doc["scenarios"].append(sc)
    (tmp_path / "odd.json").write_text(json.dumps(doc))
    r = run_report("odd.json", "-o", "out", "--junit", "j.xml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "internal error" not in r.stderr
    ET.parse(tmp_path / "j.xml")


def test_script_is_executable():
    assert os.access(REPORT, os.X_OK)
    with open(REPORT, encoding="utf-8") as f:
        assert f.readline().rstrip("\n") == "#!/usr/bin/env python3"


# ---- summary by section, rule coverage, descriptor chains, difference images -----------------

RULES_YAML = """\
rules:
  # ===================================================================== area: status

  # ===================================================================== area: virtqueue
  - id: split.align
    section: "2.6.1"
    title: "Driver Requirements: Virtqueues"
    area: virtqueue
    level: MUST
    statement: >-
      Folded text
      over two lines.
    check: "split_ring.c: sr_make_live"
    proven_by: [scenarios/rules/split-align.yaml]
{extra_align}
  - id: split.other
    section: "2.6"
    title: "Split Virtqueues"
    area: virtqueue
    level: MUST
    statement: "not checked"
    check: ""
    not_checked_because: "reasons"
{extra_other}
  - id: legacy.used-align
    section: "2.6.2"
    title: "Legacy Interfaces: A Note on Virtqueue Layout"
    area: legacy
    level: MUST
    statement: "x"
    check: "mmio_device.c: legacy_update_rings"
    proven_by:
      - scenarios/x.yaml
  - id: vqsim.unknown-rule
    section: "-"
    title: "vqsim internal"
    area: vqsim
    level: internal
    statement: "marker"
    check: ""
"""


def coverage_rows(page):
    table = re.search(r'<table class="coverage">.*?</table>', page, re.S).group(0)
    head = re.findall(r"<th[^>]*>([^<]*)</th>", re.search(r"<thead>.*?</thead>", table, re.S).group(0))
    rows = {}
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", re.search(r"<tbody>.*?</tbody>", table, re.S).group(0)):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr)
        rows[cells[0]] = dict(zip(head[1:], cells[1:]))
    return head, rows


@pytest.mark.parametrize("with_new_fields", [False, True])
def test_coverage_by_area_and_violations_by_section(workdir, with_new_fields, monkeypatch):
    extra_align = "    observable: yes\n" if with_new_fields else ""
    extra_other = "    observable: partly\n    legacy: true\n" if with_new_fields else ""
    (workdir / "rules.yaml").write_text(RULES_YAML.format(extra_align=extra_align,
                                                          extra_other=extra_other))
    r = run_report("results.json", "-o", "out", "--rules", "rules.yaml", cwd=workdir)
    assert r.returncode == 0, r.stderr
    page = (workdir / "out" / "index.html").read_text(encoding="utf-8")
    head, rows = coverage_rows(page)
    assert ("yes" in head and "partly" in head and "legacy" in head) == with_new_fields
    assert "vqsim" not in rows  # internal markers are not spec rules
    assert rows["status"]["rules"] == "0"  # an area with a section but no rules yet
    vq = rows["virtqueue"]
    assert (vq["rules"], vq["checked"], vq["proven"], vq["fired"], vq["not checked"]) == \
        ("2", "1", "1", "0", "1")
    assert vq["% checked"] == "50%"
    lg = rows["legacy"]
    assert (lg["rules"], lg["checked"], lg["proven"], lg["fired"]) == ("1", "1", "1", "1")
    assert rows["all areas"]["rules"] == "3"
    if with_new_fields:
        assert (vq["yes"], vq["partly"], vq["legacy"]) == ("1", "1", "1")
    # violations by spec section
    sec = re.search(r'id="sections".*?</table>', page, re.S).group(0)
    assert "§2.6.2" in sec and "legacy.used-align" in sec


def test_coverage_without_pyyaml_is_a_warning(workdir):
    """Without PyYAML the page is still written, without the coverage table, and says why."""
    fake = workdir / "no-yaml"
    fake.mkdir()
    (fake / "yaml.py").write_text("raise ImportError('no PyYAML here')\n")
    env = dict(os.environ, PYTHONPATH=str(fake))
    r = subprocess.run([sys.executable, REPORT, "results.json", "-o", "out"], cwd=workdir,
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert "PyYAML is not installed" in r.stderr
    page = (workdir / "out" / "index.html").read_text(encoding="utf-8")
    assert "The rule catalogue was not available" in page and "legacy.used-align" in page


def test_missing_catalogue_is_a_note(workdir):
    r = run_report("results.json", "-o", "out", "--rules", "nope.yaml", cwd=workdir)
    assert r.returncode == 0, r.stderr
    assert "nope.yaml" in r.stderr
    page = (workdir / "out" / "index.html").read_text(encoding="utf-8")
    assert "The rule catalogue was not available" in page


def desc(index, addr, length, flags, nxt, table=False):
    """One descriptor of a queue's `chains` (docs/results-schema.md)."""
    return {"index": index, "table": table, "addr": hex(addr), "len": length, "flags": flags,
            "next": nxt}


def chain(n, head, descs, t=100, refused_by=None, rules=(), read=None):
    return {"n": n, "t": t, "avail_index": n - 1, "head": head, "taken": refused_by is None,
            "refused_by": refused_by, "rules": list(rules) + ([refused_by] if refused_by else []),
            "descriptors_read": len(descs) if read is None else read, "descriptors": descs}


def test_descriptor_chains(workdir):
    doc = make_results(None)
    m = doc["scenarios"][0]
    loop = [desc(3, 0x40400000, 8, 1, 4), desc(4, 0x40401000, 8, 1, 3)] * 8
    m["queues"][0]["chains"] = {"met": 3, "refused": 1, "kept": [
        chain(1, 0, [desc(0, 0x40200000, 24, 1, 1), desc(1, 0x40201000, 408, 2, 0)]),
        # an indirect head, then the entries of its table
        chain(2, 2, [desc(2, 0x40300000, 64, 4, 0), desc(0, 0x40310000, 24, 1, 1, table=True),
                     desc(1, 0x40311000, 408, 2, 0, table=True)], t=140),
        # a loop 3 -> 4 -> 3 the device refused after reading 16 descriptors
        chain(3, 3, loop, t=160, refused_by="split.desc.no-loops", read=16)]}
    (workdir / "c.json").write_text(json.dumps(doc))
    r = run_report("c.json", "-o", "out", cwd=workdir)
    assert r.returncode == 0, r.stderr
    page = (workdir / "out" / "index.html").read_text(encoding="utf-8")
    modern = page[page.index('id="modern-display"'):page.index('id="legacy-used-ring-timeout"')]
    chains = [s for s in svgs_of(modern) if 'class="chains"' in s]
    assert len(chains) == 1
    root = ET.fromstring(chains[0])
    words = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "pop #1" in words and "pop #2" in words and "chain refused" in words
    for label in ("desc[0]", "desc[1]", "desc[2]", "desc[3]", "desc[4]", "table[0]", "table[1]"):
        assert label in words
    assert "0x40201000" in words and "408 B" in words and "0x40311000" in words
    assert "NEXT" in words and "WRITE" in words and "INDIRECT" in words
    assert "table of 4" in words  # 64-byte indirect table = 4 descriptors
    assert "desc[3] again: the chain loops" in words
    assert words.count("desc[3]") == 2 and words.count("desc[4]") == 1  # drawn up to the loop
    assert "split.desc." in words and "no-loops" in words
    assert "The device met" not in modern  # every chain met is drawn
    # marker ids are unique on the page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_chain_refusals_end_where_the_walk_ended(workdir):
    doc = make_results(None)
    m = doc["scenarios"][0]
    m["queues"][0]["chains"] = {"met": 57, "refused": 2, "kept": [
        chain(1, 0, [desc(0, 0x40200000, 24, 3, 1), desc(1, 0x40201000, 408, 0, 0)],
              refused_by="split.framing.writable-after-readable"),
        chain(2, 40, [], refused_by="split.avail.head-in-range")]}
    legacy = doc["scenarios"][1]
    legacy["queues"][0]["chains"] = {"met": 1, "refused": 1, "kept": [
        chain(1, 0, [desc(0, 0x40200000, 24, 1, 99)], refused_by="split.desc.next-in-range")]}
    (workdir / "c.json").write_text(json.dumps(doc))
    r = run_report("c.json", "-o", "out", cwd=workdir)
    assert r.returncode == 0, r.stderr
    page = (workdir / "out" / "index.html").read_text(encoding="utf-8")
    chains = [s for s in svgs_of(page) if 'class="chains"' in s]
    assert len(chains) == 2
    # the readable descriptor after a writable one is where the device stopped
    assert chains[0].count("✗ here") == 1 and 'stroke="#c62828" stroke-width="2.5"' in chains[0]
    assert chains[0].index("desc[1]") < chains[0].index("✗ here")
    assert "desc[40]" in chains[0] and "no such descriptor:" in chains[0]
    assert "The device met 57 chains on this queue" in page
    assert "desc[99]" in chains[1] and "the queue has 16" in chains[1]


def test_results_without_chains_say_so(workdir):
    """Results of an older vqsim (no `chains` key) get a note, never a chain rebuilt here."""
    r = run_report("results.json", "-o", "out", cwd=workdir)
    assert r.returncode == 0, r.stderr
    page = (workdir / "out" / "index.html").read_text(encoding="utf-8")
    legacy = page[page.index('id="legacy-used-ring-timeout"'):]  # its trace has a pop
    assert "no <code>chains</code> key" in legacy and 'class="chains"' not in legacy
    modern = page[page.index('id="modern-display"'):page.index('id="legacy-used-ring-timeout"')]
    assert "Descriptor chains" not in modern  # no pop: nothing to say


def test_diff_image_next_to_the_scanout(workdir):
    doc = make_results("scanouts/modern-display.png")
    (workdir / "scanouts" / "modern-display.diff.png").write_bytes(make_png(8, 8))
    doc["scenarios"][0]["display"]["diff_png"] = "scanouts/modern-display.diff.png"
    doc["scenarios"][1]["display"]["diff_png"] = "scanouts/gone.png"
    (workdir / "d.json").write_text(json.dumps(doc))
    r = run_report("d.json", "-o", "out", cwd=workdir)
    assert r.returncode == 0, r.stderr
    page = (workdir / "out" / "index.html").read_text(encoding="utf-8")
    pair = re.search(r'<div class="images">.*?</div>', page, re.S).group(0)
    assert pair.index('src="modern-display.png"') < pair.index('src="modern-display.diff.png"')
    assert (workdir / "out" / "modern-display.diff.png").read_bytes() == make_png(8, 8)
    assert "Difference image scanouts/gone.png is missing" in page


def test_informational_findings_and_what_plain_mode_could_not_judge(workdir):
    """Informational findings get their own table in the summary (never among the violations),
    and a plain-mode run's not_judged rules are listed in its scenario, with the reason."""
    doc = json.loads((workdir / "results.json").read_text())
    sc = doc["scenarios"][0]
    sc["informational"] = [{"rule": "mmio.later-version-register", "section": "4.2.2",
                            "title": "MMIO Device Register Layout", "level": "informational",
                            "message": "read at 0x0b0: SHMLenLow", "time_ns": 5}] * 3
    sc["not_judged"] = [{"rule": "split.receive.rmb-before-used-elem", "judged": "no",
                         "why": "the loads of used.idx are not seen (pairing C)"},
                        {"rule": "cleanup.no-alter-exposed", "judged": "partly",
                         "why": "indirect tables are not seen"}]
    (workdir / "results.json").write_text(json.dumps(doc))
    r = run_report("results.json", "-o", "out", cwd=workdir)
    assert r.returncode == 0, r.stderr
    page = (workdir / "out" / "index.html").read_text(encoding="utf-8")
    summary = page[page.index('id="informational"'):page.index('id="scenarios"')]
    row = re.search(r"<tr><td><code>mmio\.later-version-register</code>.*?</tr>", summary, re.S)
    assert row and '<td class="num">3</td>' in row.group(0), summary
    violations = page[page.index('id="violations"'):page.index('id="informational"')]
    assert "mmio.later-version-register" not in violations
    section = page[page.index(f'id="{sc["name"]}"'):]
    assert "Not judged (plain ring access)" in section
    assert ("<code>split.receive.rmb-before-used-elem</code> — not judged: the loads of used.idx "
            "are not seen (pairing C)") in section
    assert "<code>cleanup.no-alter-exposed</code> — in part: indirect tables are not seen" in section
    # a run without them shows neither
    other = page[page.index('id="legacy-used-ring-timeout"'):]
    assert "Not judged" not in other
