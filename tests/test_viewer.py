"""The step-through viewer (tools/report.py -o DIR: DIR/viewer/NAME.html per scenario), driven in
a real browser: Debian's chromium through chromium-driver and python3-selenium (tools/setup-deps.sh
installs them; the browser tests skip, saying why, only when they could not be installed).

For a clean run, the legacy used-ring mismatch, a missing write barrier and a recorded Linux
guest, a test steps to the decisive event and checks what the page shows: the event's text, the
indices in the rings, which cells are outlined as the access just made, the rule and its section.
Screenshots are kept in BUILD/artifacts/viewer/*.png. The data files are checked without a
browser: bounded, on demand (not in index.html), nothing left out without saying so."""
import json
import re
import shutil
import subprocess
import sys
import time

import pytest

from conftest import ROOT, vqsim_path

sys.path.insert(0, str(ROOT / "tools"))
from vqsim_report import viewer_data  # noqa: E402

REPORT = ROOT / "tools" / "report.py"
SCENARIOS = ["scenarios/modern-display.yaml", "scenarios/legacy-used-ring-misaligned.yaml",
             "scenarios/barriers/drop-wmb.yaml", "scenarios/barriers/wrap-70000-queue-2.yaml",
             "scenarios/hangs/device-used-idx-without-element.yaml",
             "scenarios/hangs/legacy-guest-page-size-missing.yaml",
             "scenarios/modern-display-indirect.yaml"]


def artifacts():
    d = vqsim_path().parent / "artifacts" / "viewer"
    d.mkdir(parents=True, exist_ok=True)
    return d


def make_report(results, out):
    p = subprocess.run([sys.executable, str(REPORT), str(results), "-o", str(out)], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p


@pytest.fixture(scope="module")
def report(vqsim, tmp_path_factory):
    out = tmp_path_factory.mktemp("viewer")
    tour = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios" / "tour").glob("*.yaml"))
    p = subprocess.run([vqsim, "run", "-j", "2", "--json", str(out / "results.json"),
                        *SCENARIOS, *tour], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    rep = make_report(out / "results.json", out / "report")
    doc = json.loads((out / "results.json").read_text())
    return out / "report", {s["name"]: s for s in doc["scenarios"]}, rep.stderr


def data_of(report_dir, name):
    text = (report_dir / "viewer" / f"{name}.data.js").read_text()
    return json.loads(text[text.index("VQVIEW.load(") + len("VQVIEW.load("):text.rindex(");")])


# ---- the data, without a browser ----

def test_data_beside_the_report_loaded_on_demand(report):
    rep, by_name, _ = report
    index = (rep / "index.html").read_text()
    assert "VQVIEW" not in index and "<script" not in index  # the page itself stays script-free
    for name in by_name:
        page = (rep / "viewer" / f"{name}.html").read_text()
        assert f'<script src="{name}.data.js"></script>' in page  # its own data, and only it
        assert f'href="viewer/{name}.html"' in index
        assert "http" not in page.replace("../index.html", "")  # nothing from the network
    for asset in ("viewer.js", "rings_split.js", "viewer.css"):
        assert "http://" not in (rep / "viewer" / asset).read_text().replace("http://www", "")


def test_data_is_the_trace_every_event_with_violations_on_their_access(report):
    rep, by_name, _ = report
    for name, sc in by_name.items():
        d = data_of(rep, name)
        trace = sc["trace"]
        nviol = sum(1 for e in trace if e["kind"] == "violation")
        assert len(d["ev"]) >= len(trace) - nviol and len(d["msgs"]) == nviol, name
        assert [d["str"][m[1]] for m in d["msgs"]] == [v["rule"] for v in sc["violations"]], name
    d = data_of(rep, "drop-wmb")
    (at, rule, msg), = d["msgs"]
    row = d["ev"][at]
    assert d["kinds"][row[1]] == "ring-store" and d["str"][row[5]] == "avail.idx" and row[3] == 1
    assert d["str"][rule] == "split.avail.idx-barrier" and "no write barrier" in d["str"][msg]
    index = (rep / "index.html").read_text()  # the report's violation links to its event
    assert f'href="viewer/drop-wmb.html#e={at}">step to it</a>' in index
    prev = d["ev"][at - 1]
    assert d["kinds"][prev[1]] == "barrier" and "not executed" in d["str"][prev[9]]


def test_a_used_element_the_device_did_not_write_is_not_drawn(report, browser):
    """The injected fault used-idx-without-element publishes used.idx over a slot it never
    wrote: the viewer must show the slot as it was (0), not the element the trace names."""
    rep, _, _ = report
    p = Page(browser, rep / "viewer" / "device-used-idx-without-element.html")
    p.go("used")
    assert "device did not write used element {id 0, len 408}" in p.event, p.event
    assert "element not written" in p.event
    slot = p.hits()
    assert [h[2:] for h in slot] == [("id", "0"), ("len", "0")], slot


def test_the_device_looks_outside_ram(report, browser):
    """No GuestPageSize: the device takes QueuePFN 0x40100 as a byte address, outside RAM. Both
    views are drawn, and the device's is not memory: every byte ?, never the zeros of RAM."""
    rep, _, _ = report
    p = Page(browser, rep / "viewer" / "legacy-guest-page-size-missing.html")
    p.go("notify")
    titles = [t.text for t in browser.find_elements("css selector", "#draw .ptitle")]
    assert any(t.startswith("Queue 0: Descriptor table the device reads at 0x40100 — outside "
                            "guest RAM") for t in titles), titles
    assert p.cell("q0-desc-device", "desc[0]", "addr") == ("?", False)
    assert p.cell("q0-desc-driver", "desc[0]", "addr") == ("0x40200000", False)
    assert p.cell("q0-avail-driver", "idx", "idx") == ("1", False)


def test_indirect_table_drawn_with_the_descriptor_that_names_it(report, browser):
    rep, _, _ = report
    p = Page(browser, rep / "viewer" / "modern-display-indirect.html")
    p.act(lambda: browser.execute_script(
        "var d = VQVIEW.data(); VQVIEW.go(d.ev.findIndex(function (r) {"
        " return d.str[r[5]] === 'indirect.flags'; }) + 4)"))  # entry[1].flags, WRITE
    assert "driver stored 0x2 to indirect table at 0x401001b0: entry[1].flags" in p.event
    assert "§2.6.5.3 Indirect Descriptors" in p.event
    assert p.hits() == [("q0-indirect", "entry[1]", "flags", "0x2 WRITE")]
    assert p.cell("q0-indirect", "entry[0]", "len") == ("24", False)
    p.act(lambda: browser.execute_script(  # the descriptor that names the table
        "var d = VQVIEW.data(); VQVIEW.go(d.ev.findIndex(function (r) {"
        " return d.str[r[5]] === 'desc.flags' && r[3] === 4; }))"))
    assert "driver stored 0x4 to desc[0].flags" in p.event
    assert p.hits() == [("q0-desc", "desc[0]", "flags", "0x4 INDIRECT")]
    titles = [t.text for t in browser.find_elements("css selector", "#draw .ptitle")]
    assert "Queue 0: indirect table named by desc[0] at 0x401001b0 §2.6.5.3 Indirect " \
        "Descriptors" in titles, titles
    p.shot("indirect-table")


def test_long_run_is_bounded_and_says_what_it_left_out(report):
    rep, by_name, _ = report
    sc = by_name["wrap-70000-queue-2"]
    d = data_of(rep, "wrap-70000-queue-2")
    assert sc["trace_dropped"] > 1_000_000  # 70,000 requests: most of the run is past the bound
    assert d["dropped"] == sc["trace_dropped"] and d["first"] == sc["trace_dropped"]
    assert len(d["ev"]) == len(sc["trace"]) <= 65536 and not d["zeroed"]
    size = (rep / "viewer" / "wrap-70000-queue-2.data.js").stat().st_size
    assert size < 48 * 65536, size  # compact: under 48 bytes an event
    assert (rep / "index.html").stat().st_size < 4 << 20


def test_events_beyond_the_viewer_bound_are_counted(report, monkeypatch):
    _, by_name, _ = report
    from vqsim_report.inputs import Scenario
    sc = Scenario(by_name["drop-wmb"], "r.json", 0)
    sc.anchor = "drop-wmb"
    monkeypatch.setattr(viewer_data, "MAX_EVENTS", 50)
    d = viewer_data.build(sc)
    n = len(by_name["drop-wmb"]["trace"])
    assert d["elided"] == n - 50 and d["first"] == n - 50 and not d["zeroed"]
    assert 40 <= len(d["ev"]) <= 50  # the newest 50 events, violations folded into their access


def test_every_lesson_opens_at_its_moment(report):
    rep, by_name, stderr = report
    assert "no event of the run matches" not in stderr, stderr
    index = (rep / "index.html").read_text()
    lessons = [n for n in by_name if n.startswith("tour-")]
    assert len(lessons) == 12
    for name in lessons:
        t = data_of(rep, name)["teach"]
        assert t["caption"], name
        assert f'href="viewer/{name}.html#e={t["event"]}"' in index, name


def test_a_broken_lessons_file_is_an_input_error(report, tmp_path):
    bad = tmp_path / "viewer.yml"
    bad.write_text("tour-01-one-request: [\n")
    p = subprocess.run([sys.executable, str(REPORT), str(report[0].parent / "results.json"), "-o",
                        str(tmp_path / "out"), "--teach", str(bad)], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 2 and f"{bad}: cannot read the lessons' viewer moments" in p.stderr


# ---- in the browser ----

def start_chromium(tmp):
    """Headless chromium with its DevTools on 127.0.0.1 (a fresh root may have no /etc/hosts, and
    chromedriver would look for it at "localhost"); returns (process, port)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    proc = subprocess.Popen([exe, "--headless=new", "--no-sandbox", "--disable-gpu",
                             "--hide-scrollbars", "--window-size=1280,1000",
                             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                             f"--user-data-dir={tmp}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = tmp / "DevToolsActivePort"
    for _ in range(600):
        if port_file.exists() and port_file.read_text().strip():
            return proc, int(port_file.read_text().split()[0])
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"chromium did not start its DevTools (exit {proc.poll()})")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common import utils
    except ImportError:
        pytest.skip("python3-selenium is not installed: tools/setup-deps.sh (run by `make test`) "
                    "installs it, and it could not here (no network or no root?)")
    drv = shutil.which("chromedriver")
    if not drv or not (shutil.which("chromium") or shutil.which("chromium-browser")):
        pytest.skip("chromium / chromium-driver are not installed: tools/setup-deps.sh (run by "
                    "`make test`) installs them, and it could not here (no network or no root?)")

    class LoopbackService(Service):  # chromedriver at 127.0.0.1, not "localhost"
        @property
        def service_url(self):
            return f"http://127.0.0.1:{self.port}"

        def is_connectable(self):
            return utils.is_connectable(self.port, "127.0.0.1")

    proc, port = start_chromium(tmp_path_factory.mktemp("chromium"))
    opts = webdriver.ChromeOptions()
    opts.debugger_address = f"127.0.0.1:{port}"
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        b = webdriver.Chrome(service=LoopbackService(drv), options=opts)
    except Exception:
        proc.kill()
        raise
    yield b
    b.quit()
    proc.terminate()
    proc.wait(30)


class Page:
    def __init__(self, b, path, hash=""):
        from selenium.webdriver.support.ui import WebDriverWait
        self.b, self.wait = b, WebDriverWait(b, 30)
        b.get(path.as_uri() + hash)
        self.wait.until(lambda b: b.find_element("tag name", "body").get_attribute("data-drawn"))
        errors = [m for m in b.get_log("browser") if m["level"] in ("SEVERE", "WARNING")]
        assert errors == [], errors

    def drawn(self):
        return int(self.b.find_element("tag name", "body").get_attribute("data-drawn"))

    def act(self, fn):
        n = self.drawn()
        fn()
        self.wait.until(lambda b: self.drawn() > n)

    def go(self, what, direction=1, times=1):
        for _ in range(times):
            button = self.b.find_element(
                "css selector", f'[data-go="{what}"][data-dir="{direction}"]')
            self.act(button.click)

    def key(self, key):
        from selenium.webdriver.common.action_chains import ActionChains
        self.act(lambda: ActionChains(self.b).send_keys(key).perform())

    @property
    def pos(self):
        return int(self.b.find_element("tag name", "body").get_attribute("data-pos"))

    @property
    def event(self):
        return self.b.find_element("id", "event").text

    def cell(self, part, row, field):
        el = self.b.find_element("css selector", f'.panel[data-part="{part}"] '
                                 f'.row[data-row="{row}"] .cell[data-field="{field}"]')
        return el.text, el.get_attribute("data-hit") == "1"

    def hits(self):
        return [(h.find_element("xpath", "ancestor::div[@class='panel']").get_attribute("data-part"),
                 h.find_element("xpath", "..").get_attribute("data-row"),
                 h.get_attribute("data-field"), h.text)
                for h in self.b.find_elements("css selector", "#draw .cell.hit")]

    def shot(self, name):
        path = artifacts() / f"{name}.png"
        self.b.save_screenshot(str(path))
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        return path


def test_clean_run_first_answer(report, browser):
    rep, _, _ = report
    p = Page(browser, rep / "viewer" / "modern-display.html")
    assert p.pos == 0 and "step init begins" in p.event
    p.go("used")
    assert "device wrote used element {id 0, len 408} at 0x4010012c" in p.event
    assert "§2.6.8 The Virtqueue Used Ring" in p.event
    assert sorted(p.hits()) == [("q0-used", "ring[0]", "id", "0"), ("q0-used", "ring[0]", "len", "408")]
    assert p.cell("q0-used", "idx", "idx") == ("0", False)  # the element first …
    assert p.cell("q0-avail", "idx", "idx") == ("1", False)
    assert p.cell("q0-desc", "desc[1]", "flags") == ("0x2 WRITE", False)
    p.key("\ue014")  # → … then used.idx
    assert "stored used.idx = 1 at 0x4010012a" in p.event
    assert p.hits() == [("q0-used", "idx", "idx", "1")]
    p.shot("clean-used-idx")
    # the same state as tables, for screen readers: the cell just written says so
    browser.find_element("id", "tableview").click()
    hit = browser.find_element("css selector", '#tables table[data-part="q0-used"] td.hit')
    assert hit.text == "1 (just accessed)"
    browser.find_element("id", "tableview").click()
    # keyboard: Home, End, Shift+→ (next access)
    p.key("\ue011")  # Home
    assert p.pos == 0
    p.key("\ue010")  # End
    assert p.pos == len(data_of(rep, "modern-display")["ev"]) - 1
    p.key("\ue011")
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    p.act(lambda: ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ARROW_RIGHT)
          .key_up(Keys.SHIFT).perform())
    assert "driver read 0x74726976 from register MagicValue" in p.event


def test_legacy_used_ring_mismatch_two_used_rings(report, browser):
    rep, _, _ = report
    p = Page(browser, rep / "viewer" / "legacy-used-ring-misaligned.html")
    p.go("violation")
    assert "Rule broken: split.legacy.layout" in p.event
    p.go("used")
    assert "device wrote used element {id 0, len 408} at 0x40101004" in p.event
    assert sorted(p.hits()) == [("q0-used-device", "ring[0]", "id", "0"),
                                ("q0-used-device", "ring[0]", "len", "408")]
    p.go("step")  # the device's used.idx store lands in its ring; the driver's stays 0
    assert "stored used.idx = 1 at 0x40101002" in p.event
    assert p.hits() == [("q0-used-device", "idx", "idx", "1")]
    assert p.cell("q0-used-driver", "idx", "idx") == ("0", False)
    titles = [t.text for t in browser.find_elements("css selector", "#draw .ptitle")]
    assert any(t.startswith("Queue 0: Used ring the driver polls at 0x40100128") for t in titles)
    assert any(t.startswith("Queue 0: Used ring the device writes at 0x40101000") for t in titles)
    p.go("access")  # the driver's next access: it polls its own used.idx, 0, 495 times
    assert "driver loaded 0x0 from used.idx (the ring the driver polls) at 0x4010012a" in p.event
    assert "495 times" in p.event
    assert p.hits() == [("q0-used-driver", "idx", "idx", "0")]
    p.shot("legacy-used-ring-mismatch")


def test_missing_write_barrier(report, browser):
    rep, _, _ = report
    p = Page(browser, rep / "viewer" / "drop-wmb.html")
    p.go("violation")
    ev = p.event
    assert "driver stored 0x1 to avail.idx at 0x40100102" in ev
    assert "Rule broken: split.avail.idx-barrier §2.6.13.3.1" in ev and "(MUST)" in ev
    assert "no write barrier" in ev
    assert p.hits() == [("q0-avail", "idx", "idx", "1")]
    assert p.cell("q0-avail", "ring[0]", "head") == ("0", False)
    p.shot("missing-write-barrier")
    p.go("step", -1)
    assert "driver barrier wmb" in p.event and "this barrier was not executed" in p.event
    assert "§2.6.13.3 Updating idx" in p.event
    p.go("home", 0)
    p.go("barrier")  # the run's first barrier is the one the replayed bug dropped
    assert "driver barrier wmb" in p.event and "this barrier was not executed" in p.event
    p.go("notify")
    assert "driver wrote 0x0 to register QueueNotify" in p.event


def test_lesson_link_opens_at_its_moment(report, browser):
    rep, _, _ = report
    index = (rep / "index.html").read_text()
    href = re.search(r'href="(viewer/tour-09-used-ring-nobody-reads\.html#e=\d+)"', index).group(1)
    p = Page(browser, rep / href.split("#")[0], "#" + href.split("#")[1])
    assert "device wrote used element {id 0, len 408} at 0x40101004" in p.event
    assert "two used rings" in browser.find_element("id", "teach").text
    assert sorted(p.hits()) == [("q0-used-device", "ring[0]", "id", "0"),
                                ("q0-used-device", "ring[0]", "len", "408")]
    p.shot("tour-09-lesson")


def test_long_run_scrubs_and_says_it_starts_late(report, browser):
    rep, _, _ = report
    p = Page(browser, rep / "viewer" / "wrap-70000-queue-2.html")
    notice = browser.find_element("id", "notice").text
    assert "left out its first 1,966,080 events" in notice and "not known" in notice
    p.key("\ue010")  # End
    n = len(data_of(rep, "wrap-70000-queue-2")["ev"])
    assert p.pos == n - 1 and f"event {n} of {n} (event 2030188 of the run)" in \
        browser.find_element("id", "pos").text
    # the end state: 70,000 requests and the init ones, answered
    assert p.cell("q0-used", "idx", "idx")[0] == p.cell("q0-avail", "idx", "idx")[0]
    p.act(lambda: browser.execute_script("VQVIEW.go(30000)"))
    assert p.pos == 30000
    p.shot("long-run-middle")


def test_recorded_linux_guest(report, browser, guest, recordings, tmp_path):
    rec, _ = recordings("modern")
    out = tmp_path / "linux.json"
    p = subprocess.run([str(vqsim_path()), "check", "--json", str(out), str(rec)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    sc = json.loads(out.read_text())["scenarios"][0]
    make_report(out, tmp_path / "report")
    name = sc["name"]
    page = Page(browser, tmp_path / "report" / "viewer" / f"{name}.html")
    notice = browser.find_element("id", "notice").text
    assert "a recording holds no memory image of the rings" in notice
    q = next(q for q in sc["queues"] if q["index"] == 0)
    size = q["size"]
    page.go("notify")  # Linux's first kick of the control queue
    assert "driver wrote 0x0 to register QueueNotify" in page.event
    assert "§4.2.3.3 Available Buffer Notifications" in page.event
    avail_idx = int(page.cell("q0-avail", "idx", "idx")[0])
    assert avail_idx >= 1
    page.go("used")  # the device's answer to it
    m = re.search(r"device wrote used element \{id (\d+), len (\d+)\} at (0x[0-9a-f]+)", page.event)
    assert m, page.event
    used_at = int(m.group(3), 16)
    # (the device's queue was reset at power-off: its rings are where the driver put them)
    slot = (used_at - int(q["driver"]["used"], 16) - 4) // 8
    assert 0 <= slot < size
    assert sorted(page.hits()) == [("q0-used", f"ring[{slot}]", "id", m.group(1)),
                                   ("q0-used", f"ring[{slot}]", "len", m.group(2))]
    # the head the device answered is a chain the driver wrote: its descriptor is known
    head = int(m.group(1))
    assert page.cell("q0-desc", f"desc[{head}]", "addr")[0] != "?"
    page.go("step")  # then it publishes the element: used.idx moves on by one
    assert re.search(r"device stored used\.idx = (\d+)", page.event).group(1) == str(slot + 1)
    assert page.hits() == [("q0-used", "idx", "idx", str(slot + 1))]
    page.shot("linux-first-answer")


from test_linux import guest, recordings  # noqa: E402,F401  (the session's Linux guest)
