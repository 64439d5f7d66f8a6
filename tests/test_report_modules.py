"""Unit tests of the report's modules (tools/vqsim_report/) on content, from real runs where the
content comes from one: the chains each queue's `chains` holds and how a row ends, checked
against the spec's request sizes and against the driver's own stores; JUnit with one testcase
per scenario and the rule ids in a failure; a legacy ring layout drawn at its addresses; the rule
catalogue read with PyYAML; the trace folded. tests/test_report.py tests the command."""
import json
import re
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, run

sys.path.insert(0, str(ROOT / "tools"))
from vqsim_report import chains, coverage, junit, layout, timeline, values  # noqa: E402
from vqsim_report.inputs import Scenario  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


def rows_of(sc, queue=0):
    q = next(q for q in sc["queues"] if q["index"] == queue)
    return chains.queue_chains(q)


# ---- chains ------------------------------------------------------------------------------------

def test_chains_of_modern_display_are_its_requests(all_results):
    """Six requests, one per command, each a 2-descriptor chain from head 0: the request
    (readable, NEXT to 1) of the size §5.7.6.7 gives the command, then the response (WRITE)."""
    _, _, by_name = all_results
    sc = by_name["modern-display"]
    qi, size, rows, met = rows_of(sc)
    assert (qi, size, met) == (0, "16", 6)
    # get_display_info, resource_create_2d, attach_backing (1 entry), set_scanout,
    # transfer_to_host_2d, resource_flush: request bytes, response bytes
    sizes = [(24, 408), (40, 24), (32 + 16, 24), (48, 24), (56, 24), (48, 24)]
    assert len(rows) == len(sizes)
    for n, (row, (req, resp)) in enumerate(zip(rows, sizes), 1):
        assert (row["n"], row["head"], row["rule"], row["rules"], row["end"]) == \
            (n, 0, None, [], ("end",))
        got = [(e["name"], e["len"], e["flags"], e["next"]) for e in row["entries"]]
        assert got == [("desc[0]", req, F_NEXT, 1), ("desc[1]", resp, F_WRITE, 0)]
        assert row["entries"][0]["addr"] == 0x40200000
    # the times are the pops', in order, each after the step began
    assert [r["t"] for r in rows] == sorted(r["t"] for r in rows)
    pops = [ev["t"] for ev in sc["trace"] if ev["kind"] == "pop"]
    assert [r["t"] for r in rows] == pops


def test_chains_of_an_indirect_run(all_results):
    _, _, by_name = all_results
    _, _, rows, _ = rows_of(by_name["modern-display-indirect"])
    first = rows[0]["entries"]
    assert [e["name"] for e in first] == ["desc[0]", "table[0]", "table[1]"]
    assert first[0]["flags"] == F_INDIRECT and first[0]["len"] == 32
    assert [e["table"] for e in first] == [False, True, True]
    assert (first[1]["len"], first[2]["len"], first[2]["flags"]) == (24, 408, F_WRITE)


@pytest.mark.parametrize("name, entries, end", [
    ("split-desc-next-in-range", ["desc[0]"], ("out-of-range", "desc[99]", "the queue has 16")),
    ("split-avail-head-in-range", [], ("out-of-range", "desc[40]", "the queue has 16")),
    ("split-desc-no-loops", ["desc[0]"], ("loop", "desc[0]")),
    ("split-framing-writable-after-readable", ["desc[0]", "desc[1]"], ("refused",)),
    ("split-desc-zero-length", ["desc[0]"], ("refused",)),
    ("split-indirect-table-size", ["desc[0]"], ("refused",)),
    ("feat-no-access-platform-phys-addr", ["desc[0]"], ("refused",)),
])
def test_refused_chains_end_where_the_device_stopped(all_results, name, entries, end):
    _, _, by_name = all_results
    sc = by_name[name]
    _, _, rows, met = rows_of(sc)
    assert met == 1 and len(rows) == 1
    row = rows[0]
    assert row["rule"] == sc["expected"]["violations"][0]
    assert [e["name"] for e in row["entries"]] == entries
    assert row["end"] == end


def test_a_rule_that_does_not_refuse_leaves_the_chain_taken(all_results):
    _, _, by_name = all_results
    _, _, rows, met = rows_of(by_name["split-indirect-not-with-next"])
    assert met == 6 and len(rows) == 6  # no extra 'refused' row for the rule
    assert rows[0]["rule"] is None and rows[0]["rules"] == ["split.indirect.not-with-next"]
    assert rows[0]["end"] == ("end",)  # not a loop: the device ignores NEXT on an INDIRECT head
    assert [e["name"] for e in rows[0]["entries"]] == ["desc[0]", "table[0]", "table[1]"]


FIELDS = {0: ("addr", 8), 8: ("len", 4), 12: ("flags", 2), 14: ("next", 2)}
PACKED_FIELDS = {0: ("addr", 8), 8: ("len", 4), 12: ("next", 2), 14: ("flags", 2)}


def driver_memory(trace, t_end):
    """The bytes the driver's ring stores in the trace left in guest memory up to t_end."""
    mem = {}
    for ev in trace:
        if ev["t"] > t_end:
            break
        if ev["kind"] == "ring-store":
            a, v = int(ev["addr"], 16), int(ev["value"], 16)
            for k in range(ev["size"]):
                mem[a + k] = (v >> (8 * k)) & 0xff
    return mem


def test_chains_hold_what_the_driver_stored_before_each_pop(all_results):
    """An independent check of the chain log on every clean scenario with strong memory and
    accessor ring access (the trace sees every store, none reordered) whose queues never moved:
    each descriptor the device read holds what the driver's last stores before the pop put
    there. (Under weak memory or a replayed bug it need not: the device reads what it reads.)"""
    _, doc, _ = all_results
    checked, scenarios = 0, 0
    for sc in doc["scenarios"]:
        dev, exp = sc["device"], sc["expected"]
        if (dev.get("memory"), dev.get("ring_access"), exp.get("outcome")) != \
                ("strong", "accessors", "ok") or exp.get("violations") or "trace_dropped" in sc:
            continue
        finals = {int(q["device"]["desc"], 16) for q in sc["queues"]}
        if any(int(ev["addr"], 16) not in finals for ev in sc["trace"]
               if ev["kind"] == "device" and ev.get("what") == "queue live"):
            continue
        scenarios += 1
        # a packed ring's descriptor (§2.7.13) has the buffer id (the log's "next") at 12 and
        # the flags at 14
        fields = PACKED_FIELDS if "ring_packed" in dev.get("offered", []) else FIELDS
        for q in sc["queues"]:
            base = int(q["device"]["desc"], 16)
            for c in q["chains"]["kept"]:
                mem, table = driver_memory(sc["trace"], c["t"]), None
                for x in c["descriptors"]:
                    at = (table if x["table"] else base) + 16 * x["index"]
                    want = {"addr": int(x["addr"], 16), "len": x["len"], "flags": x["flags"],
                            "next": x["next"]}
                    got = {name: sum(mem[at + off + k] << (8 * k) for k in range(n))
                           for off, (name, n) in fields.items()}
                    assert got == want, (sc["name"], q["index"], c["n"], x)
                    if not x["table"] and x["flags"] & F_INDIRECT:
                        table = want["addr"]
                    checked += 1
    assert scenarios >= 30 and checked >= 500, (scenarios, checked)


# ---- JUnit -------------------------------------------------------------------------------------

def test_junit_one_case_per_scenario_and_the_rule_ids(vqsim, all_results, tmp_path):
    """A real failing run (zero-length descriptor where the scenario expects a clean run) beside
    two passing ones: one testcase each, one failure, naming the rule and its section."""
    src = (ROOT / "scenarios" / "rules" / "split-desc-zero-length.yaml").read_text()
    bad = tmp_path / "expects-clean.yaml"
    bad.write_text(src.replace("name: split-desc-zero-length", "name: expects-clean")
                   .replace("outcome: timeout", "outcome: ok")
                   .replace("violations: [split.desc.zero-length]", "violations: []"))
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, bad, "scenarios/modern-display.yaml",
            "scenarios/rules/split-desc-next-in-range.yaml")
    assert p.returncode == 1, p.stderr
    doc = json.loads(out.read_text())
    scs = [Scenario(s, str(out), i) for i, s in enumerate(doc["scenarios"])]
    root = ET.fromstring(junit.render_junit(scs).split("\n", 1)[1])
    assert (root.get("tests"), root.get("failures")) == ("3", "1")
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"expects-clean", "modern-display", "split-desc-next-in-range"}
    assert cases["modern-display"].find("failure") is None
    assert cases["split-desc-next-in-range"].find("failure") is None  # its violation expected
    f = cases["expects-clean"].find("failure")
    assert f.get("type") == "timeout" and "expected outcome ok, got timeout" in f.get("message")
    assert "violations:\n  - split.desc.zero-length (§2.6.5): queue 0: descriptor 0 has length 0" \
        in f.text
    assert "diagnosis: device-broken" in f.text


# ---- ring layout -------------------------------------------------------------------------------

def rects(svg):
    root = ET.fromstring(svg[svg.index("<svg"):svg.index("</svg>") + 6])
    return [(r.find(SVG + "title").text, float(r.get("x")), float(r.get("width")),
             r.get("stroke"), r.get("stroke-dasharray"))
            for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]


def test_legacy_layout_draws_the_used_ring_on_its_page(all_results):
    """§2.6.2: a legacy ring of 16 has the used ring at the next 4096 boundary after the avail
    ring; drawn to scale, its box starts that far from the descriptor table's."""
    _, _, by_name = all_results
    q = by_name["legacy-display"]["queues"][0]
    desc, avail, used = (int(q["device"][k], 16) for k in ("desc", "avail", "used"))
    assert (avail - desc, used - desc) == (16 * 16, 4096)  # 256 + 6 + 2 * 16 rounded up
    boxes = {t.split(":")[0]: (x, w) for t, x, w, _, _ in rects(layout.ring_svg(q))}
    assert set(boxes) == {"desc table", "avail ring", "used ring"}
    span = used + 6 + 8 * 16 - desc
    scale = (layout.W - layout.LEFT - layout.RIGHT) / span
    assert boxes["desc table"][0] == pytest.approx(layout.LEFT, abs=0.05)
    assert boxes["avail ring"][0] == pytest.approx(layout.LEFT + 256 * scale, abs=0.05)
    assert boxes["used ring"][0] == pytest.approx(layout.LEFT + 4096 * scale, abs=0.05)
    assert boxes["used ring"][1] == pytest.approx((6 + 8 * 16) * scale, abs=0.05)


def test_legacy_layout_mismatch_is_drawn_per_lane(all_results):
    """The driver packs the used ring after the avail ring, the device aligns it: two used-ring
    boxes, outlined red (the driver's dashed), each at its own address."""
    _, _, by_name = all_results
    q = by_name["legacy-used-ring-misaligned"]["queues"][0]
    drv, dev = int(q["driver"]["used"], 16), int(q["device"]["used"], 16)
    assert drv != dev
    used = [r for r in rects(layout.ring_svg(q)) if r[0].startswith("used ring")]
    assert len(used) == 2
    (t_drv, x_drv, _, s_drv, d_drv), (t_dev, x_dev, _, s_dev, d_dev) = \
        sorted(used, key=lambda r: r[1])
    assert "driver polls here" in t_drv and f"0x{drv:x}" in t_drv
    assert "device writes here" in t_dev and f"0x{dev:x}" in t_dev
    assert s_drv == s_dev == "#c62828" and d_drv == "4 2" and d_dev is None
    assert x_drv < x_dev


# ---- catalogue, timeline, values ---------------------------------------------------------------

def test_catalogue_read_with_pyyaml():
    yaml = pytest.importorskip("yaml")
    path = ROOT / "spec" / "rules.yaml"
    areas, rules = coverage.load_catalogue(str(path))
    raw = path.read_text()
    want = [r for r in yaml.safe_load(raw)["rules"] if r.get("level") != "internal"]
    assert [r["id"] for r in rules] == [r["id"] for r in want]
    banners = re.findall(r"^\s*#\s*=+\s*area:\s*([\w-]+)\s*$", raw, re.M)
    assert areas[:len(banners)] == list(dict.fromkeys(banners))
    assert {r["area"] for r in rules} <= set(areas)


def test_trace_folding():
    same = [{"t": i, "kind": "ring-load", "addr": "0x10", "what": "used.idx", "value": "0x0"}
            for i in range(50)]
    rows = timeline.fold_trace(same)
    assert len(rows) == 1 and rows[0]["n"] == 50 and (rows[0]["t0"], rows[0]["t1"]) == (0, 49)
    reads = [{"t": i, "kind": "mmio-read", "reg": "Status", "value": hex(i)} for i in range(10)]
    rows = timeline.fold_trace(reads)
    assert len(rows) == 5 and rows[2]["fold"] and rows[2]["events"] == 6
    assert [r["ev"]["t"] for r in rows if not r.get("fold")] == [0, 1, 8, 9]


def test_values_are_tolerant():
    assert values.parse_addr("0x4010_0000") == 0x40100000 and values.parse_addr(-1) is None
    assert values.parse_addr(True) is None and values.parse_addr("zz") is None
    assert values.text("a\x01b") == "a\ufffdb" and values.esc("<b>") == "&lt;b&gt;"
    assert values.fmt_us(40210) == "40.210" and values.fmt_bytes(2048) == "2.0 KiB"
