"""The report of a real run (every scenario), rendered by a real browser: Debian's chromium,
headless, takes a screenshot of index.html. The page must load with no console message, every
image it shows must exist, and the screenshot must show the page (its size, the summary's green
and dark text), not a blank or an error page.

tools/setup-deps.sh (run by `make test`) installs chromium; when it could not, this test skips and
says so."""
import json
import re
import shutil
import struct
import subprocess
import sys
import zlib

import pytest

from conftest import ROOT

REPORT = ROOT / "tools" / "report.py"
WIDTH, HEIGHT = 1280, 2000


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium is not installed: tools/setup-deps.sh (run by `make test`) installs "
                "Debian's chromium package, and it could not here (no network or no root?)")


def png_rows(data, max_rows):
    """Size and the first max_rows rows (RGB(A) bytes) of an 8-bit, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, tag = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if tag == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat += body
    w, h, depth, colour, _, _, interlace = hdr
    assert depth == 8 and colour in (2, 6) and interlace == 0, hdr
    bpp = 3 if colour == 2 else 4
    stride = w * bpp
    raw = zlib.decompressobj().decompress(idat, (stride + 1) * max_rows)
    rows, prev = [], bytearray(stride)
    for y in range(min(max_rows, h)):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return (w, h, bpp), rows


@pytest.fixture(scope="module")
def report(all_results, tmp_path_factory):
    """build/report as `make run` writes it, from the session's run of every scenario."""
    _, doc, _ = all_results
    out = tmp_path_factory.mktemp("report")
    results = out / "results.json"  # the scanout paths in it are absolute: found from anywhere
    results.write_text(json.dumps(doc))
    p = subprocess.run([sys.executable, str(REPORT), str(results), "-o", str(out / "report")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return out / "report", doc


def test_report_renders_in_chromium(report, tmp_path):
    browser = chromium()
    outdir, doc = report
    page = outdir / "index.html"
    html = page.read_text(encoding="utf-8")
    # every image the page shows is there (a browser does not complain about a missing one)
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', html)
    assert len(srcs) >= sum(1 for s in doc["scenarios"] if s["display"].get("png"))
    for src in srcs:
        assert (outdir / src).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", src

    shot = tmp_path / "report.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--enable-logging=stderr", "--v=0"]
    p = subprocess.run([browser, *flags, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}",
                        page.as_uri()], capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-2000:]
    console = [l for l in p.stderr.splitlines() if ":CONSOLE" in l or "Uncaught" in l]
    assert console == [], console  # the page has no script: any console message is an error

    (w, h, bpp), rows = png_rows(shot.read_bytes(), 420)
    assert (w, h) == (WIDTH, HEIGHT)
    pixels = [tuple(r[x:x + 3]) for r in rows for x in range(0, len(r), bpp)]
    dark = sum(1 for p in pixels if max(p) < 80)
    green = sum(1 for p in pixels if abs(p[0] - 0x1b) < 24 and abs(p[1] - 0x7f) < 24
                and abs(p[2] - 0x3b) < 24)
    white = sum(1 for p in pixels if min(p) > 245)
    assert dark > 2000, "no text in the top of the page"       # title, cards, table text
    assert green > 200, "the green 'passed' count is not there"  # .card.ok b and PASS badges
    assert white > len(pixels) // 2, "not the report's white page"

    # the DOM chromium built is the report: title, the summary and one section per scenario
    p = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                        page.as_uri()], capture_output=True, text=True, timeout=180)
    assert p.returncode == 0
    dom = p.stdout
    n = len(doc["scenarios"])
    assert f"<title>vqsim report — {n}/{n} passed</title>" in dom
    assert dom.count('<section class="scenario') == n
    assert 'id="coverage"' in dom and 'class="chains"' in dom and 'class="rings"' in dom


def test_real_report_svgs_and_legacy_diagram(report):
    """Without a browser: every SVG of the real report is well-formed XML, and the legacy hang's
    ring diagram shows both used rings (where the driver polls, where the device writes)."""
    import xml.etree.ElementTree as ET
    outdir, doc = report
    html = (outdir / "index.html").read_text(encoding="utf-8")
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) >= len(doc["scenarios"])
    for s in svgs:
        ET.fromstring(s)
    sec = html[html.index('id="legacy-used-ring-misaligned"'):]
    sec = sec[:sec.index("</section>")]
    rings = re.search(r'<svg[^>]*class="rings".*?</svg>', sec, re.S).group(0)
    assert "used ring — driver polls here" in rings and "0x40100128" in rings
    assert "used ring — device writes here" in rings and "0x40101000" in rings
    chains = re.search(r'<svg[^>]*class="chains".*?</svg>', sec, re.S).group(0)
    assert "pop #1" in chains and "NEXT" in chains and "WRITE" in chains
