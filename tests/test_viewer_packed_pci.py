"""The step-through viewer on a packed ring (rings_packed.js) and on virtio-pci
(transport_pci.js), driven in chromium as tests/test_viewer.py does (its browser and Page).

A packed run must be drawn as a packed ring — never as a split one with an available and a used
ring that do not exist — and a virtio-pci run's registers by their virtio-pci names. The tests
step to the decisive event and check what the page shows: the flags decoded, each entry's state
for the device's wrap counters, the offsets and counters, the event suppression structures, the
rule broken, the registers. Screenshots go to BUILD/artifacts/viewer/ (packed-*.png, pci-*.png)."""
import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT, vqsim_path
from test_linux import guest, recordings  # noqa: F401  (the session's Linux guest)
from test_viewer import Page, browser, data_of, make_report  # noqa: F401  (the browser fixture)

SCENARIOS = ["scenarios/packed/packed-display.yaml", "scenarios/packed/packed-drop-wmb-head.yaml",
             "scenarios/packed/packed-display-indirect-event-idx.yaml",
             "scenarios/packed/packed-wrap-counter-not-flipped.yaml",
             "scenarios/pci/pci-display.yaml"]


@pytest.fixture(scope="module")
def report(vqsim, tmp_path_factory):
    out = tmp_path_factory.mktemp("viewer-packed-pci")
    p = subprocess.run([vqsim, "run", "-j", "2", "--json", str(out / "results.json"), *SCENARIOS],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    make_report(out / "results.json", out / "report")
    return out / "report"


def states(p, rows):
    return [p.cell("q0-desc", r, "state")[0] for r in rows]


# ---- the data, without a browser ----

def test_the_format_and_transport_come_from_the_run(report):
    for name, ring, transport in [("packed-display", "packed", "mmio"),
                                  ("packed-drop-wmb-head", "packed", "mmio"),
                                  ("pci-display", "split", "pci")]:
        d = data_of(report, name)
        assert (d["ring"], d["transport"]) == (ring, transport), name
        page = (report / "viewer" / f"{name}.html").read_text()
        assert f'<span id="ringname">{ring} ring</span>' in page, name
        assert "virtio-" + transport in page
    for asset in ("rings_packed.js", "transport_pci.js"):
        assert f'<script src="{asset}"></script>' in page and (report / "viewer" / asset).exists()
    # an indirect table named by a packed descriptor (flags at offset 14, §2.7.13): 3 entries
    d = data_of(report, "packed-display-indirect-event-idx")
    assert [n for _, n in d["indirect"]] == [48]


def test_ring_format_when_the_results_list_no_features():
    """The results give the features as the device has them at the end of the run (none after a
    reset: a recorded guest powering off): the trace's ring accesses decide where they name one
    format, and the note says so; where nothing names one, the note says it is not known."""
    sys.path.insert(0, str(ROOT / "tools"))
    from vqsim_report.viewer_data import ring_of
    dev, live = {"negotiated": []}, [{"kind": "device", "what": "queue live", "addr": "0x40100000"}]
    packed = [{"kind": "device", "what": "used desc.flags", "addr": "0x4010000e", "value": 32896}]
    split = [{"kind": "device", "what": "used.idx", "addr": "0x4010012a", "value": 1}]
    ring, note = ring_of(dev, live + packed)
    assert ring == "packed" and "the trace's ring accesses are a packed ring's" in note
    assert ring_of(dev, live + [{"kind": "ring-store", "what": "driver_event.flags"}])[0] == "packed"
    assert ring_of(dev, live + split) == ("split", None)
    assert ring_of(dev, [{"kind": "ring-load", "what": "avail.idx"}]) == ("split", None)
    ring, note = ring_of(dev, live)
    assert ring == "split" and "it is not known" in note
    assert ring_of(dev, []) == ("split", None)  # no queue went live: no ring to draw
    ring, note = ring_of({"negotiated": ["version_1", "ring_packed"]}, packed + split)
    assert ring == "packed" and "both split and packed" in note
    assert ring_of({"negotiated": ["version_1", "ring_packed"]}, packed) == ("packed", None)
    assert ring_of({"negotiated": ["version_1", "ring_packed"]}, []) == ("packed", None)


# ---- in the browser ----

def test_packed_list_wrapping_the_ring(report, browser):
    """packed-display: 3 descriptors, so the second two-descriptor list is desc[2] then desc[0]:
    it wraps the ring in its middle, and its second descriptor carries the other wrap bit."""
    p = Page(browser, report / "viewer" / "packed-display.html")
    assert browser.find_element("id", "ringname").text == "packed ring"
    titles = [t.text for t in browser.find_elements("css selector", "#draw .ptitle")]
    assert not any("Available ring" in t or "Used ring" in t for t in titles), titles
    p.go("used")  # "next used": the first descriptor marked used (its flags, not an element)
    assert "device marked desc[0] used: stored flags 0x8080 AVAIL|USED (used wrap counter 1)" \
        in p.event, p.event
    assert p.hits() == [("q0-desc", "desc[0]", "flags", "0x8080 AVAIL|USED")]
    assert states(p, ["desc[0]"]) == ["used (wrap 1)"]
    p.go("barrier", times=2)  # the rmb after the used flags, then the next list's wmb
    assert "driver barrier wmb" in p.event and "§2.7.21.1 Placing Available Buffers" in p.event
    p.go("access")  # the head's flags: the list desc[2] → desc[0] made available
    assert "driver stored 0x81 to desc[2].flags at 0x4010002e (2 bytes)" in p.event, p.event
    assert "§2.7.13 The Virtqueue Descriptor Format" in p.event
    assert p.hits() == [("q0-desc", "desc[2]", "flags", "0x81 AVAIL|NEXT")]
    assert p.cell("q0-desc", "desc[0]", "flags") == ("0x8002 USED|WRITE", False)  # wrap bit 0
    assert [p.cell("q0-desc", r, "len")[0] for r in ("desc[2]", "desc[0]")] == ["40", "24"]
    assert states(p, ["desc[2]", "desc[0]", "desc[1]"]) == [
        "available (wrap 1)", "available (wrap 0)",
        "not available: AVAIL 1, the device reaches it with wrap 0"]
    assert p.cell("q0-wrap", "avail", "offset") == ("offset2", False)
    assert p.cell("q0-wrap", "avail", "wrap") == ("wrap1", False)
    mark = browser.find_element("css selector", '.panel[data-part="q0-desc"] .row[data-row="desc[2]"] .mark')
    assert mark.text == "←avail ←used"
    p.shot("packed-wrap-made-available")
    # the same state as tables, for screen readers
    browser.find_element("id", "tableview").click()
    table = browser.find_element("css selector", '#tables table[data-part="q0-desc"]')
    assert "§2.7.13 The Virtqueue Descriptor Format" in table.find_element("tag name", "caption").text
    assert table.find_element("css selector", "td.hit").text == "0x81 AVAIL|NEXT (just accessed)"
    assert "available (wrap 0)" in [td.text for td in table.find_elements("tag name", "td")]
    ev = browser.find_element("css selector", '#tables table[data-part="q0-avail"]')
    assert "Driver Event Suppression" in ev.text and "§2.7.14" in ev.text and "0x0 ENABLE" in ev.text
    browser.find_element("id", "tableview").click()
    # the device takes the list: its avail offset passes the end, its wrap counter flips
    p.go("notify")
    p.go("step", times=3)
    assert "device took the list of buffer id 0 at desc[2] (its next avail offset: 1)" in p.event
    assert sorted(h[2] for h in p.hits()) == ["addr", "flags", "id", "len"]  # its head, desc[2]
    assert p.cell("q0-wrap", "avail", "offset")[0] == "offset1"
    assert p.cell("q0-wrap", "avail", "wrap")[0] == "wrap0"
    assert states(p, ["desc[2]", "desc[0]"]) == ["in flight (wrap 1)", "in flight (wrap 0)"]
    p.go("used")  # and marks it used in desc[2], the used offset passing the end too
    assert "device marked desc[2] used: stored flags 0x8080 AVAIL|USED (used wrap counter 1)" \
        in p.event
    assert (p.cell("q0-wrap", "used", "offset")[0], p.cell("q0-wrap", "used", "wrap")[0]) == \
        ("offset1", "wrap0")
    p.shot("packed-wrap-used")


def test_packed_event_suppression_split_into_offset_and_wrap(report, browser):
    p = Page(browser, report / "viewer" / "packed-display-indirect-event-idx.html")
    p.act(lambda: browser.execute_script(
        "var d = VQVIEW.data(); VQVIEW.go(d.ev.findIndex(function (r) {"
        " return d.str[r[5]] === 'driver_event.off_wrap' && r[3] === 0x8001; }))"))
    assert "driver stored 0x8001 to driver_event.off_wrap at 0x40100040" in p.event, p.event
    assert "§2.7.14 Event Suppression Structure Format" in p.event
    assert sorted(p.hits()) == [("q0-avail", "off_wrap", "off_wrap", "off_wrap0x8001"),
                                ("q0-avail", "off_wrap", "offset", "offset1"),
                                ("q0-avail", "off_wrap", "wrap", "wrap1")]
    assert p.cell("q0-avail", "flags", "flags")[0] == "flags0x2 DESC"
    assert p.cell("q0-used", "flags", "flags")[0] == "flags0x0 ENABLE"
    assert p.cell("q0-desc", "desc[1]", "flags")[0] == "0x84 AVAIL|INDIRECT"
    p.shot("packed-event-suppression")


def test_packed_missing_write_barrier(report, browser):
    p = Page(browser, report / "viewer" / "packed-drop-wmb-head.html")
    p.go("violation")
    ev = p.event
    assert "driver stored 0x81 to desc[0].flags at 0x4010000e" in ev, ev
    assert "Rule broken: packed.flags-barrier §2.7.21.1.1" in ev and "(MUST)" in ev
    assert "flags of descriptor 0 (0x0081) made its list available with no write barrier" in ev
    assert p.hits() == [("q0-desc", "desc[0]", "flags", "0x81 AVAIL|NEXT")]
    assert p.cell("q0-desc", "desc[1]", "flags")[0] == "0x82 AVAIL|WRITE"
    assert states(p, ["desc[0]", "desc[2]"]) == ["available (wrap 1)", "used (wrap 0)"]
    p.shot("packed-missing-write-barrier")
    p.go("step", -1)
    assert "driver barrier wmb" in p.event and "this barrier was not executed" in p.event
    assert "§2.7.21.1 Placing Available Buffers Into The Descriptor Ring" in p.event


def test_packed_wrap_counter_not_flipped_shows_why(report, browser):
    """The driver writes the wrapped list's second descriptor with the old wrap bit: the entry
    states say the device will not find it available when it reaches it."""
    p = Page(browser, report / "viewer" / "packed-wrap-counter-not-flipped.html")
    p.go("violation")
    assert "Rule broken: packed.first-desc-last §2.7.17 (MUST NOT)" in p.event, p.event
    assert "its descriptor 0 is not (flags 0x0082: AVAIL 1, USED 0; its wrap counter is 0)" in p.event
    assert p.cell("q0-desc", "desc[0]", "flags")[0] == "0x82 AVAIL|WRITE"
    assert states(p, ["desc[2]", "desc[0]"]) == [
        "available (wrap 1)", "not available: AVAIL 1, the device reaches it with wrap 0"]
    p.shot("packed-wrap-counter-not-flipped")


def test_pci_register_table(report, browser):
    p = Page(browser, report / "viewer" / "pci-display.html")
    assert "virtio-pci" in browser.find_element("tag name", "header").text
    p.go("notify")
    assert "driver wrote 0x0 to register notify (offset 0x10003000)" in p.event, p.event
    assert "§4.1.5.2 Available Buffer Notifications" in p.event
    title = browser.find_element("css selector", '.panel[data-part="registers"] .ptitle').text
    assert "virtio-pci" in title and "§4.1.4 Virtio Structure PCI Capabilities" in title
    rows = [r.get_attribute("data-row") for r in
            browser.find_elements("css selector", '.panel[data-part="registers"] .row')]
    assert not [r for r in rows if r in ("QueueNotify", "MagicValue", "Status", "pci-cfg")], rows
    for row, value in [("common.device_status", "0xf"), ("common.queue_select", "0x0"),
                       ("common.queue_size [queue 0]", "0x10"),
                       ("common.queue_desc_lo [queue 0]", "0x40100000"),
                       ("common.queue_driver_lo [queue 0]", "0x40100100"),
                       ("common.queue_device_lo [queue 0]", "0x40100128"),
                       ("common.queue_enable [queue 0]", "0x1"),
                       ("config 0x000 Vendor ID / Device ID", "0x10501af4"),
                       ("config 0x004 Command / Status", "0x6"),
                       ("config 0x020 BAR4", "0x10000000"), ("notify", "0x0")]:
        assert p.cell("registers", row, "value")[0] == value, row
    assert "config 0x034 Capabilities Pointer" in rows
    cur = browser.find_element("css selector", '.panel[data-part="registers"] .row.cur')
    assert cur.get_attribute("data-row") == "notify"
    browser.execute_script("var r = document.querySelector('.panel[data-part=\"registers\"]');"
                           " window.scrollTo(0, r.getBoundingClientRect().top + window.scrollY - 90)")
    p.shot("pci-registers")
    p.act(lambda: browser.execute_script(
        "var d = VQVIEW.data(); VQVIEW.go(d.ev.findIndex(function (r) { return d.kinds[r[1]] === 'irq'; }))"))
    assert "device raised the interrupt (ISR status 0x1, the line rose)" in p.event
    assert "§4.1.5.3 Used Buffer Notifications" in p.event
    p.act(lambda: browser.execute_script(
        "var d = VQVIEW.data(); VQVIEW.go(d.ev.findIndex(function (r) { return d.str[r[5]] === 'isr'; }))"))
    assert "driver read 0x1 from register isr (offset 0x10001000)" in p.event
    assert "§4.1.4.5 ISR status capability" in p.event


def test_recorded_linux_guest_packed(browser, guest, recordings, tmp_path):
    """Linux's own packed ring (virtio_ring.c, packed=on), recorded in QEMU and checked: the viewer
    draws it as a packed ring, and "next used" shows a descriptor marked used whose flags carry
    the used wrap counter the page states, in the slot the device wrote."""
    rec, _ = recordings("packed")
    out = tmp_path / "linux.json"
    p = subprocess.run([str(vqsim_path()), "check", "--json", str(out), str(rec)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    sc = json.loads(out.read_text())["scenarios"][0]
    make_report(out, tmp_path / "report")
    page = Page(browser, tmp_path / "report" / "viewer" / f"{sc['name']}.html")
    assert browser.find_element("id", "ringname").text == "packed ring"
    if not sc["device"]["negotiated"]:  # Linux reset the device at power-off: the page says how
        assert "the trace's ring accesses are a packed ring's" in \
            browser.find_element("id", "notice").text
    page.go("used")
    m = re.search(r"device marked desc\[(\d+)\] used: stored flags (0x[0-9a-f]+)( AVAIL\|USED)? "
                  r"\(used wrap counter (\d)\)", page.event)
    assert m, page.event
    slot, flags, names, wrap = m.groups()
    assert flags == ("0x8080" if wrap == "1" else "0x0"), m.group(0)  # AVAIL = USED = the counter
    assert page.hits() == [("q0-desc", f"desc[{slot}]", "flags", flags + (names or ""))]
    assert page.cell("q0-desc", f"desc[{slot}]", "state")[0] == f"used (wrap {wrap})"
    page.shot("linux-packed-first-used")
    page.go("step", -1)  # just before: the device wrote that slot's id and len (§2.7.22)
    m = re.search(r"device wrote used descriptor \{id (\d+), len (\d+)\} in desc\[(\d+)\]", page.event)
    assert m and m.group(3) == slot, page.event
    assert [page.cell("q0-desc", f"desc[{slot}]", f)[0] for f in ("id", "len")] == [m.group(1), m.group(2)]
    assert page.cell("q0-desc", f"desc[{slot}]", "flags")[0] != flags  # not marked used yet
