#!/usr/bin/env python3
"""Turn `vqsim run --json` results into a static HTML report and/or JUnit XML.

Reads one or more results files (schema `vqsim-results/1`, see docs/results-schema.md) and writes

  * DIR/index.html  (-o DIR): a self-contained page - inline CSS and SVG, no JavaScript, no network.
    The summary: scenarios passed / failed, violations by rule and by spec section, and rule
    coverage by area (from spec/rules.yaml, `--rules FILE`: rules, checked, proven by a scenario,
    fired in these results; the `observable` and `legacy` columns appear when the catalogue has
    those fields). Per scenario: verdict, diagnosis, violations, steps, the ring layout drawn to
    scale (driver vs device addresses), the descriptor chains the device took as linked boxes with
    their flags (rebuilt from the trace), the timeline, and the scanout PNG (`display.png`) with
    the difference image (`display.diff_png`) beside it when there is one; the PNGs are copied
    next to the page and shown with a relative <img>.
  * FILE            (--junit FILE): JUnit XML, one <testcase> per scenario.

Standard library only (PyYAML is used for the catalogue when installed; a small reader for the
catalogue's own shapes stands in otherwise). Unknown keys and trace kinds are ignored; the
optional keys (trace, queues, display, diagnosis, ...) may be missing. Exit status: 0 written, 1
an output could not be written, 2 usage error or an input that is unreadable or not a vqsim
results file.
"""

import argparse
import html
import json
import math
import os
import re
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET

SCHEMA_PREFIX = "vqsim-results/"
SCHEMA_KNOWN = "vqsim-results/1"
DEFAULT_MAX_EVENTS = 400

# §5.7.6.7 virtio-gpu control-queue response types, to name the codes in the steps table.
GPU_RESPONSES = {
    0x1100: "OK_NODATA", 0x1101: "OK_DISPLAY_INFO", 0x1102: "OK_CAPSET_INFO",
    0x1103: "OK_CAPSET", 0x1104: "OK_EDID", 0x1105: "OK_RESOURCE_UUID", 0x1106: "OK_MAP_INFO",
    0x1200: "ERR_UNSPEC", 0x1201: "ERR_OUT_OF_MEMORY", 0x1202: "ERR_INVALID_SCANOUT_ID",
    0x1203: "ERR_INVALID_RESOURCE_ID", 0x1204: "ERR_INVALID_CONTEXT_ID",
    0x1205: "ERR_INVALID_PARAMETER",
}


class InputError(Exception):
    """An input file is unreadable or is not a vqsim results document (exit 2)."""


class OutputError(Exception):
    """An output could not be written (exit 1)."""


# ---- tolerant accessors ------------------------------------------------------------------------

# XML 1.0 forbids most C0 controls and lone surrogates; HTML calls them parse errors. Drop them so
# a stray byte in a detail string cannot break the page, the inline SVG or the JUnit file.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def as_dict(v):
    return v if isinstance(v, dict) else {}


def as_list(v):
    return v if isinstance(v, list) else []


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def text(v, default=""):
    """Any JSON value as a display string."""
    if v is None:
        return default
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        s = v
    elif is_num(v):
        s = str(v)
    else:
        s = json.dumps(v, sort_keys=True, ensure_ascii=False)
    return _BAD_CHARS.sub("\ufffd", s)


def esc(v, default=""):
    return html.escape(text(v, default), quote=True)


def parse_addr(v):
    """A guest-physical address from a hex string (or an integer); None when it is not one."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if v >= 0 else None
    if isinstance(v, str):
        s = v.strip().replace("_", "")
        try:
            n = int(s, 16) if s.lower().startswith("0x") else int(s, 10)
        except ValueError:
            return None
        return n if n >= 0 else None
    return None


def fmt_us(ns):
    """Virtual nanoseconds as microseconds with three decimals."""
    if not is_num(ns) or (isinstance(ns, float) and not math.isfinite(ns)):
        return text(ns, "—")
    return f"{ns / 1000:,.3f}"


def fmt_bytes(n):
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    if n < 1024 ** 3:
        return f"{n / 1024 ** 2:.1f} MiB"
    return f"{n / 1024 ** 3:.1f} GiB"


def scenario_passed(sc):
    p = sc.get("passed")
    if isinstance(p, bool):
        return p
    return not as_list(sc.get("failures"))


# ---- input -------------------------------------------------------------------------------------

def load_results(path):
    """Parse one results file; raise InputError naming the file when that is impossible."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        doc = json.loads(raw)
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not valid UTF-8 JSON: {e.reason}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: invalid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except (ValueError, RecursionError) as e:
        raise InputError(f"{path}: invalid JSON: {e}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not a vqsim results file: top level is not a JSON object")
    schema = doc.get("schema")
    if schema is not None and not (isinstance(schema, str) and schema.startswith(SCHEMA_PREFIX)):
        raise InputError(f"{path}: not a vqsim results file: schema is {text(schema)!r}")
    if not isinstance(doc.get("scenarios"), list):
        raise InputError(f"{path}: not a vqsim results file: no \"scenarios\" list")
    for i, sc in enumerate(doc["scenarios"]):
        if not isinstance(sc, dict):
            raise InputError(f"{path}: not a vqsim results file: scenarios[{i}] is not an object")
    if schema is None:
        warn(f"{path}: no \"schema\" key; reading it as {SCHEMA_KNOWN}")
    elif schema != SCHEMA_KNOWN:
        warn(f"{path}: schema {schema!r} is newer than {SCHEMA_KNOWN!r}; unknown parts are ignored")
    return doc


def warn(msg):
    print(f"report.py: warning: {msg}", file=sys.stderr)


class Scenario:
    """One scenario plus what the report needs around it (source file, anchor, copied PNGs)."""

    def __init__(self, data, source, index):
        self.d = data
        self.source = source
        self.name = text(data.get("name")) or f"scenario-{index + 1}"
        self.passed = scenario_passed(data)
        self.anchor = ""
        # Per image key of `display` ("png": the scanout, "diff_png": where it differs from the
        # expected pixels): the path found on disk, the file name inside the output directory,
        # or the sentence shown instead of the image.
        self.img_src, self.img_dest, self.img_problem = {}, {}, {}

    # the scanout image, as the rest of the report calls it
    png_src = property(lambda self: self.img_src.get("png"))
    png_dest = property(lambda self: self.img_dest.get("png"))
    png_problem = property(lambda self: self.img_problem.get("png"))


def make_anchors(scenarios):
    used = set()
    for sc in scenarios:
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", sc.name).strip("-") or "scenario"
        if base[0].isdigit() or base[0] in "._-":
            base = "s-" + base
        anchor, n = base, 2
        while anchor in used or anchor in ("summary", "violations", "scenarios", "sections",
                                           "coverage"):
            anchor, n = f"{base}-{n}", n + 1
        used.add(anchor)
        sc.anchor = anchor


# ---- scanout PNGs ------------------------------------------------------------------------------

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


IMAGE_KEYS = (("png", "Scanout image"), ("diff_png", "Difference image"))


def locate_pngs(scenarios, outdir):
    """Find each scenario's display images (`display.png`, `display.diff_png`: as given, i.e.
    relative to the cwd vqsim ran in, else relative to the results file) and choose a unique file
    name for each copy in outdir."""
    taken = {"index.html"}
    by_src = {}
    for sc in scenarios:
        disp = as_dict(sc.d.get("display"))
        for key, what in IMAGE_KEYS:
            png = disp.get(key)
            if png is None:
                continue
            if not isinstance(png, str) or not png:
                sc.img_problem[key] = f"display.{key} is not a file path: {text(png)}"
                continue
            candidates = [png]
            if not os.path.isabs(png):
                candidates.append(os.path.join(os.path.dirname(os.path.abspath(sc.source)), png))
            found = next((c for c in candidates if os.path.isfile(c)), None)
            if found is None:
                sc.img_problem[key] = f"{what} {png} is missing (not found on disk)."
                continue
            try:
                with open(found, "rb") as f:
                    magic = f.read(8)
            except OSError as e:
                sc.img_problem[key] = f"{what} {png} cannot be read: {e.strerror or e}."
                continue
            if magic != PNG_MAGIC:
                sc.img_problem[key] = f"{what} {png} is not a PNG file."
                continue
            real = os.path.realpath(found)
            if real in by_src:
                sc.img_src[key], sc.img_dest[key] = found, by_src[real]
                continue
            base = re.sub(r"[^A-Za-z0-9._-]+", "_", os.path.basename(found)).lstrip(".") \
                or "scanout.png"
            stem, ext = os.path.splitext(base)
            dest, n = base, 2
            while dest.lower() in taken:
                dest, n = f"{stem}-{n}{ext}", n + 1
            taken.add(dest.lower())
            by_src[real] = dest
            sc.img_src[key], sc.img_dest[key] = found, dest
    if outdir is None:
        return
    copied = set()
    for sc in scenarios:
        for key, dest in sc.img_dest.items():
            if dest in copied:
                continue
            try:
                shutil.copyfile(sc.img_src[key], os.path.join(outdir, dest))
                copied.add(dest)
            except OSError as e:
                raise OutputError(f"cannot copy {sc.img_src[key]} to {outdir}: "
                                  f"{e.strerror or e}") from None


# ---- ring-layout SVG ---------------------------------------------------------------------------

AREA_COLOURS = {"desc": ("#cfe0f3", "#2f5d8c"), "avail": ("#d5ecd0", "#3b7a32"),
                "used": ("#fbdcc0", "#a65a12")}
AREA_NAMES = {"desc": "desc table", "avail": "avail ring", "used": "used ring"}
MISMATCH_WORDS = {
    "desc": ("driver wrote here", "device reads here"),
    "avail": ("driver writes here", "device reads here"),
    "used": ("driver polls here", "device writes here"),
}


def area_sizes(size):
    return {"desc": 16 * size, "avail": 6 + 2 * size, "used": 6 + 8 * size}


def ring_svg(q):
    """Inline SVG of one queue's rings on a to-scale address axis (broken where gaps are huge).

    Two lanes: what the driver set up and where the device looks. An area both agree on spans
    both lanes; when they disagree it is drawn once per lane, outlined in red."""
    size = q.get("size")
    if not is_num(size) or isinstance(size, float) or size <= 0:
        return '<p class="muted">No ring layout: the queue size is unknown.</p>'
    drv, dev = as_dict(q.get("driver")), as_dict(q.get("device"))
    sizes = area_sizes(size)
    boxes = []  # dict(area, start, n, lane, label, mismatch)
    for area in ("desc", "avail", "used"):
        a, b = parse_addr(drv.get(area)), parse_addr(dev.get(area))
        n = sizes[area]
        if a is not None and a == b:
            boxes.append(dict(area=area, start=a, n=n, lane="both", label=AREA_NAMES[area],
                              mismatch=False))
            continue
        both = a is not None and b is not None
        if a is not None:
            label = f"{AREA_NAMES[area]} — {MISMATCH_WORDS[area][0]}" if both \
                else f"{AREA_NAMES[area]} (driver)"
            boxes.append(dict(area=area, start=a, n=n, lane="driver", label=label, mismatch=both))
        if b is not None:
            label = f"{AREA_NAMES[area]} — {MISMATCH_WORDS[area][1]}" if both \
                else f"{AREA_NAMES[area]} (device)"
            boxes.append(dict(area=area, start=b, n=n, lane="device", label=label, mismatch=both))
    if not boxes:
        return '<p class="muted">No ring layout: no ring addresses were recorded.</p>'

    # Clusters of boxes separated by gaps above the threshold get a broken axis between them.
    boxes.sort(key=lambda bx: (bx["start"], bx["lane"]))
    total = sum(bx["n"] for bx in boxes)
    gap_max = max(64 * 1024, 16 * total)
    clusters = []
    for bx in boxes:
        if clusters and bx["start"] - clusters[-1]["end"] <= gap_max:
            clusters[-1]["end"] = max(clusters[-1]["end"], bx["start"] + bx["n"])
        else:
            clusters.append({"start": bx["start"], "end": bx["start"] + bx["n"]})

    W, left, right, brk = 960, 70, 16, 44
    plot_w = W - left - right - brk * (len(clusters) - 1)
    span = sum(c["end"] - c["start"] for c in clusters)
    scale = plot_w / span
    x = left
    for c in clusters:
        c["x"] = x
        x += (c["end"] - c["start"]) * scale + brk

    def xpos(addr):
        for c in clusters:
            if c["start"] <= addr <= c["end"]:
                return c["x"] + (addr - c["start"]) * scale
        return left

    for bx in boxes:
        bx["x"] = xpos(bx["start"])
        bx["w"] = max(3.0, bx["n"] * scale)
        bx["addr"] = f"0x{bx['start']:08x} · {bx['n']} B"
        bx["tw"] = max(len(bx["label"]) * 7.3, len(bx["addr"]) * 6.9)
        bx["tx"] = min(max(bx["x"], 4), W - 4 - bx["tw"])

    def assign_levels(group):
        # Right to left, each label on the lowest free level: a leader line then only passes
        # labels that start to its right, so it never crosses text.
        starts = []
        for bx in sorted(group, key=lambda b: (-b["tx"], -b["x"])):
            for i, start in enumerate(starts):
                if bx["tx"] + bx["tw"] + 12 <= start:
                    bx["level"], starts[i] = i, bx["tx"]
                    break
            else:
                bx["level"] = len(starts)
                starts.append(bx["tx"])
        return len(starts)

    top = [bx for bx in boxes if bx["lane"] != "device"]
    bottom = [bx for bx in boxes if bx["lane"] == "device"]
    n_top, n_bottom = assign_levels(top), assign_levels(bottom)
    LV, LANE = 32, 30
    lane_y = 10 + n_top * LV + 10
    dev_y = lane_y + LANE + 4
    axis_y = dev_y + LANE + 10
    bottom_y = axis_y + (26 if len(clusters) > 1 else 18)
    height = bottom_y + n_bottom * LV + 6

    idx = text(q.get("index"), "?")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="rings" width="{W}" height="{height}" '
           f'viewBox="0 0 {W} {height}" role="img" font-size="12" '
           f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">',
           f"<title>{esc(f'Ring layout of queue {idx} (size {size})')}</title>"]
    # lanes
    for y, name in ((lane_y, "driver"), (dev_y, "device")):
        out.append(f'<rect x="{left - 4}" y="{y}" width="{W - left - right + 8}" height="{LANE}" '
                   f'fill="#f4f5f7"/>')
        out.append(f'<text x="8" y="{y + LANE / 2 + 4:.1f}" fill="#555">{name}</text>')
    # axis, with a break marker and the size of the gap between clusters
    for i, c in enumerate(clusters):
        x0, x1 = c["x"], c["x"] + (c["end"] - c["start"]) * scale
        out.append(f'<line x1="{x0:.1f}" y1="{axis_y}" x2="{x1:.1f}" y2="{axis_y}" stroke="#888"/>')
        if i + 1 < len(clusters):
            nxt = clusters[i + 1]
            mx = x1 + brk / 2
            for dx in (-4, 2):
                out.append(f'<line x1="{mx + dx - 3:.1f}" y1="{axis_y + 6}" x2="{mx + dx + 3:.1f}" '
                           f'y2="{axis_y - 6}" stroke="#888"/>')
            out.append(f'<text x="{mx:.1f}" y="{axis_y + 15}" text-anchor="middle" font-size="10" '
                       f'fill="#777">+{esc(fmt_bytes(nxt["start"] - c["end"]))}</text>')
    # boxes
    for bx in boxes:
        fill, stroke = AREA_COLOURS[bx["area"]]
        if bx["lane"] == "both":
            y, h = lane_y, LANE * 2 + 4
        else:
            y, h = (lane_y, LANE) if bx["lane"] == "driver" else (dev_y, LANE)
        extra = ' stroke="#c62828" stroke-width="2"' if bx["mismatch"] else \
            f' stroke="{stroke}" stroke-width="1"'
        if bx["mismatch"] and bx["lane"] == "driver":
            extra += ' stroke-dasharray="4 2"'
        tip = f"{bx['label']}: 0x{bx['start']:x}–0x{bx['start'] + bx['n'] - 1:x} ({bx['n']} bytes)"
        out.append(f'<rect x="{bx["x"]:.1f}" y="{y}" width="{bx["w"]:.1f}" height="{h}" '
                   f'fill="{fill}"{extra}><title>{esc(tip)}</title></rect>')
        out.append(f'<line x1="{bx["x"]:.1f}" y1="{axis_y - 3}" x2="{bx["x"]:.1f}" '
                   f'y2="{axis_y + 3}" stroke="#888"/>')
    # labels with leader lines: above for driver/shared boxes, below for device-only boxes
    for bx in boxes:
        lx = bx["x"] + min(5.0, bx["w"] / 2)
        colour = "#c62828" if bx["mismatch"] else "#222"
        if bx["lane"] == "device":
            ty = bottom_y + bx["level"] * LV
            out.append(f'<line x1="{lx:.1f}" y1="{dev_y + LANE}" x2="{lx:.1f}" y2="{ty + 2}" '
                       f'stroke="{colour}" stroke-width="0.8"/>')
        else:
            ty = lane_y - 10 - (bx["level"] + 1) * LV + 4
            out.append(f'<line x1="{lx:.1f}" y1="{lane_y}" x2="{lx:.1f}" y2="{ty + 26}" '
                       f'stroke="{colour}" stroke-width="0.8"/>')
        tx = max(bx["tx"], 4)
        if tx < lx < tx + 4:  # keep the text clear of its own leader line
            tx = lx + 3 if tx + bx["tw"] + 3 < W else tx
        halo = 'paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round"'
        out.append(f'<text x="{tx:.1f}" y="{ty + 12}" fill="{colour}" font-weight="600" {halo}>'
                   f'{esc(bx["label"])}</text>')
        out.append(f'<text x="{tx:.1f}" y="{ty + 25}" fill="#333" font-size="11" '
                   f'font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" {halo}>'
                   f'{esc(bx["addr"])}</text>')
    out.append("</svg>")
    note = f"Drawn to scale, 1 px ≈ {1 / scale:,.1f} bytes" if scale < 1 else \
        f"Drawn to scale, {scale:,.1f} px per byte"
    if len(clusters) > 1:
        note += f"; the axis is broken where a gap exceeds {fmt_bytes(gap_max)}"
    return ("<figure class=\"svgwrap\">" + "".join(out) +
            f"<figcaption>{esc(note)}.</figcaption></figure>")


# ---- descriptor chains --------------------------------------------------------------------------

F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4
DESC_FIELDS = {0: "addr", 8: "len", 12: "flags", 14: "next"}
# Violations the device finds while walking a chain: the chain it was walking is drawn for them.
CHAIN_RULE_PREFIXES = ("split.desc.", "split.framing.", "split.avail.head-in-range", "split.indirect")
MAX_CHAINS = 10


def walk_chain(table, head, size):
    """Follow NEXT links through the shadow descriptor table. Returns (entries, end) with end one
    of ("end", None), ("loop", index), ("out-of-range", index)."""
    entries, seen, i = [], set(), head
    while True:
        if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < size:
            return entries, ("out-of-range", i)
        if i in seen:
            return entries, ("loop", i)
        seen.add(i)
        e = dict(table.get(i, {}))
        e["idx"] = i
        entries.append(e)
        if not (e.get("flags") or 0) & F_NEXT:
            return entries, ("end", None)
        i = e.get("next")


def collect_chains(d):
    """The chains the device took (trace `pop`) or was walking when a chain rule fired, rebuilt
    from the driver's ring stores in the trace: descriptor fields by address in the descriptor
    table, avail.ring entries by slot. Returns [(queue, size, [chain dicts])]."""
    out = []
    trace = [ev for ev in as_list(d.get("trace")) if isinstance(ev, dict)]
    queues = [q for q in as_list(d.get("queues")) if isinstance(q, dict)]
    for q in queues:
        size = q.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= 32768:
            continue
        qi = q.get("index")
        dev, drv = as_dict(q.get("device")), as_dict(q.get("driver"))
        desc = parse_addr(dev.get("desc")) or parse_addr(drv.get("desc"))
        avail = parse_addr(dev.get("avail")) or parse_addr(drv.get("avail"))
        if not desc:
            continue
        table, slots, pops, chains = {}, {}, 0, []
        for ev in trace:
            kind = ev.get("kind")
            if kind == "ring-store":
                a, v = parse_addr(ev.get("addr")), parse_addr(ev.get("value"))
                if a is None or v is None:
                    continue
                if desc <= a < desc + 16 * size:
                    i, off = divmod(a - desc, 16)
                    if off in DESC_FIELDS:
                        table.setdefault(i, {})[DESC_FIELDS[off]] = v
                elif avail and avail + 4 <= a < avail + 4 + 2 * size and (a - avail) % 2 == 0:
                    slots[(a - avail - 4) // 2] = v
            elif kind == "pop" and (ev.get("queue") == qi or len(queues) == 1):
                head = ev.get("head")
                entries, end = walk_chain(table, head, size)
                chains.append({"n": pops + 1, "t": ev.get("t"), "head": head, "entries": entries,
                               "end": end, "rule": None, "avail_idx": ev.get("avail_idx")})
                pops += 1
            elif kind == "violation" and text(ev.get("rule")).startswith(CHAIN_RULE_PREFIXES) \
                    and (ev.get("queue") == qi or ("queue" not in ev and len(queues) == 1)):
                head = slots.get(pops % size)
                entries, end = walk_chain(table, head, size)
                chains.append({"n": pops + 1, "t": ev.get("t"), "head": head, "entries": entries,
                               "end": end, "rule": text(ev.get("rule")), "avail_idx": None})
        if chains:
            out.append((qi, size, chains))
    return out


def _culprit(chain):
    """Index into chain entries of the descriptor a chain rule is about, or None."""
    rule, entries = chain["rule"] or "", chain["entries"]
    if rule.startswith("split.framing."):
        seen_w = False
        for k, e in enumerate(entries):
            w = bool((e.get("flags") or 0) & F_WRITE)
            if seen_w and not w:
                return k
            seen_w |= w
    if rule == "split.desc.zero-length":
        return next((k for k, e in enumerate(entries) if e.get("len") == 0), None)
    return None


def chains_svg(size, chains, uid):
    shown = chains[:MAX_CHAINS]
    BW, BH, GAP, LEFT, ROW = 176, 62, 40, 150, 84
    widest = max(len(c["entries"]) + (0 if c["end"][0] == "end" else 1) for c in shown)
    W = max(960, LEFT + widest * (BW + GAP) + 40)
    H = len(shown) * ROW + 8
    mono = 'font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"'
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chains" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" role="img" font-size="12" '
           f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">',
           f"<title>{esc(f'Descriptor chains (queue size {size})')}</title>",
           f'<defs><marker id="{uid}-arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
           f'fill="#555"/></marker><marker id="{uid}-bad" viewBox="0 0 10 10" refX="9" refY="5" '
           'markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path '
           'd="M0,0 L10,5 L0,10 z" fill="#c62828"/></marker></defs>']
    for r, c in enumerate(shown):
        y = 6 + r * ROW
        bad = c["rule"] is not None or c["end"][0] != "end"
        colour = "#c62828" if bad else "#222"
        label = f"pop #{c['n']}" if c["rule"] is None else "chain refused"
        out.append(f'<text x="6" y="{y + 18}" font-weight="600" fill="{colour}">{esc(label)}</text>')
        out.append(f'<text x="6" y="{y + 34}" fill="#555">head {esc(c["head"], "?")} · '
                   f't {esc(fmt_us(c["t"]))} µs</text>')
        if c["rule"]:
            # a long id goes on two lines, split after a dot, so it stays left of the boxes
            rule, lines = c["rule"], [c["rule"]]
            if len(rule) > 22 and "." in rule[:-1]:
                cut = rule.rfind(".", 0, 22) + 1 or rule.find(".") + 1
                lines = [rule[:cut], rule[cut:]]
            for k, part in enumerate(lines):
                out.append(f'<text x="6" y="{y + 50 + 12 * k}" fill="#c62828" font-size="10.5">'
                           f"{esc(part)}</text>")
        culprit = _culprit(c)
        x = LEFT
        for k, e in enumerate(c["entries"]):
            flags = e.get("flags")
            write = bool((flags or 0) & F_WRITE)
            fill = "#fdf0e3" if write else "#eaf2fb"
            stroke = "#c62828" if k == culprit else ("#b4702a" if write else "#2f5d8c")
            sw = 2.5 if k == culprit else 1.2
            tip = (f"desc[{e['idx']}]: addr {text(hex(e['addr']) if is_num(e.get('addr')) else '?')}, "
                   f"len {text(e.get('len'), '?')}, flags {text(flags, '?')}, "
                   f"next {text(e.get('next'), '?')}")
            out.append(f'<rect x="{x}" y="{y}" width="{BW}" height="{BH}" rx="5" fill="{fill}" '
                       f'stroke="{stroke}" stroke-width="{sw}"><title>{esc(tip)}</title></rect>')
            out.append(f'<text x="{x + 8}" y="{y + 16}" font-weight="600">desc[{e["idx"]}]</text>')
            addr = f"0x{e['addr']:x}" if is_num(e.get("addr")) else "addr ?"
            ln = f"{e['len']:,} B" if is_num(e.get("len")) else "len ?"
            out.append(f'<text x="{x + 8}" y="{y + 32}" font-size="11" {mono}>{esc(addr)}</text>')
            out.append(f'<text x="{x + 8}" y="{y + 48}" font-size="11" {mono}>{esc(ln)}</text>')
            # flag badges, right-aligned on the first line
            bx = x + BW - 6
            names = [("INDIRECT", F_INDIRECT, "#6f42c1"), ("WRITE", F_WRITE, "#b4702a"),
                     ("NEXT", F_NEXT, "#2f5d8c")]
            for name, bit, col in names:
                if (flags or 0) & bit:
                    w = len(name) * 6.4 + 8
                    bx -= w
                    out.append(f'<rect x="{bx:.1f}" y="{y + 5}" width="{w:.1f}" height="15" rx="7" '
                               f'fill="{col}"/>')
                    out.append(f'<text x="{bx + w / 2:.1f}" y="{y + 16}" text-anchor="middle" '
                               f'font-size="9.5" font-weight="700" fill="#fff">{name}</text>')
                    bx -= 3
            if flags is None:
                out.append(f'<text x="{x + BW - 8}" y="{y + 16}" text-anchor="end" fill="#777">'
                           "flags ?</text>")
            if (flags or 0) & F_INDIRECT and is_num(e.get("len")):
                out.append(f'<text x="{x + 78}" y="{y + 48}" font-size="10.5" fill="#6f42c1">'
                           f"table of {e['len'] // 16}</text>")
            elif k == culprit:
                out.append(f'<text x="{x + BW - 8}" y="{y + 48}" text-anchor="end" '
                           'font-size="10.5" fill="#c62828" font-weight="600">✗ here</text>')
            x += BW
            last = k == len(c["entries"]) - 1
            if not last or c["end"][0] != "end":
                kind, target = c["end"] if last else ("next", None)
                marker = f"{uid}-bad" if last else f"{uid}-arr"
                col = "#c62828" if last else "#555"
                nxt = e.get("next")
                out.append(f'<line x1="{x}" y1="{y + BH / 2}" x2="{x + GAP - 2}" y2="{y + BH / 2}" '
                           f'stroke="{col}" stroke-width="1.4" marker-end="url(#{marker})"/>')
                out.append(f'<text x="{x + GAP / 2}" y="{y + BH / 2 - 5}" text-anchor="middle" '
                           f'font-size="10" fill="{col}">{esc(nxt, "?")}</text>')
            x += GAP
        kind, target = c["end"]
        if kind == "loop":
            out.append(f'<text x="{x}" y="{y + BH / 2 + 4}" fill="#c62828" font-weight="600">'
                       f"↩ desc[{esc(target)}] again: the chain loops</text>")
        elif kind == "out-of-range":
            out.append(f'<rect x="{x}" y="{y}" width="{BW}" height="{BH}" rx="5" fill="#fdecea" '
                       'stroke="#c62828" stroke-width="1.5" stroke-dasharray="5 3"/>')
            out.append(f'<text x="{x + 8}" y="{y + 16}" font-weight="600" fill="#c62828">'
                       f"desc[{esc(target, '?')}]</text>")
            out.append(f'<text x="{x + 8}" y="{y + 34}" font-size="11" fill="#c62828">'
                       f"no such descriptor:</text>")
            out.append(f'<text x="{x + 8}" y="{y + 50}" font-size="11" fill="#c62828">'
                       f"the queue has {size}</text>")
    out.append("</svg>")
    cap = ("Each row is one chain as the device met it, rebuilt from the driver's stores in the "
           "trace. Blue: the device reads the buffer; orange: the device writes it. Arrows follow "
           "NEXT; the number on an arrow is the next field.")
    if len(chains) > len(shown):
        cap += f" {len(chains) - len(shown)} more chains are not drawn."
    return (f'<figure class="svgwrap">{"".join(out)}<figcaption>{esc(cap)}</figcaption></figure>')


def render_chains(d, anchor="s"):
    per_queue = collect_chains(d)
    if not per_queue:
        return ""
    out = ["<h3>Descriptor chains</h3>"]
    for qi, size, chains in per_queue:
        if len(per_queue) > 1:
            out.append(f"<h4>Queue {esc(qi, '?')}</h4>")
        out.append(chains_svg(size, chains, f"{anchor}-q{text(qi, 'x')}"))
    return "".join(out)


# ---- trace timeline ----------------------------------------------------------------------------

def event_details(ev):
    """HTML for the details cell of one trace event."""
    kind = ev.get("kind")
    parts = []

    def code(v):
        return f"<code>{esc(v)}</code>"

    if kind in ("mmio-read", "mmio-write"):
        reg = text(ev.get("reg")) or "?"
        s = f"{esc(reg)} {code(ev.get('offset'))}" if ev.get("offset") is not None else esc(reg)
        arrow = "→" if kind == "mmio-read" else "←"
        if ev.get("value") is not None:
            s += f" {arrow} {code(ev.get('value'))}"
        parts.append(s)
    elif kind in ("ring-store", "ring-load"):
        s = f"{esc(ev.get('what'), '?')}"
        if ev.get("addr") is not None:
            s += f" @ {code(ev.get('addr'))}"
        if ev.get("size") is not None:
            s += f" ({esc(ev.get('size'))} B)"
        if ev.get("value") is not None:
            s += f" {'←' if kind == 'ring-store' else '→'} {code(ev.get('value'))}"
        parts.append(s)
    elif kind == "barrier":
        parts.append(esc(ev.get("what"), "?"))
    elif kind == "notify":
        parts.append(f"queue {esc(ev.get('queue'), '?')}")
    elif kind == "used":
        s = f"queue {esc(ev.get('queue'), '?')}: id {esc(ev.get('id'), '?')}, " \
            f"len {esc(ev.get('len'), '?')}, used_idx {esc(ev.get('used_idx'), '?')}"
        if ev.get("addr") is not None:
            s += f" @ {code(ev.get('addr'))}"
        parts.append(s)
    elif kind == "irq":
        parts.append(f"interrupt status {code(ev.get('value'))}")
    elif kind == "step":
        parts.append(f"<strong>{esc(ev.get('what'), '?')}</strong>")
    elif kind == "violation":
        parts.append(f"<strong>{esc(ev.get('rule'), '?')}</strong>")
    else:  # pop, device, and kinds this report does not know: show the scalar keys as they are
        for k, v in ev.items():
            if k in ("t", "kind", "count", "note") or isinstance(v, (dict, list)):
                continue
            parts.append(f"{esc(k)}={code(v)}")
    if ev.get("note") is not None:
        parts.append(f'<span class="note">{esc(ev.get("note"))}</span>')
    return " ".join(parts)


def fold_trace(events):
    """Rows for the timeline: identical consecutive events (all keys but t and count equal) become
    one row; runs longer than 6 rows of the same kind and register/what keep their first and last
    two rows around a single fold row."""
    rows = []
    for ev in events:
        sig = json.dumps({k: v for k, v in ev.items() if k not in ("t", "count")},
                         sort_keys=True, default=str)
        cnt = ev.get("count") if is_num(ev.get("count")) and ev.get("count") > 0 else 1
        if rows and rows[-1]["sig"] == sig:
            rows[-1]["n"] += cnt
            rows[-1]["t1"] = ev.get("t")
            rows[-1]["events"] += 1
        else:
            rows.append({"sig": sig, "ev": ev, "n": cnt, "t0": ev.get("t"), "t1": ev.get("t"),
                         "events": 1})
    out, i = [], 0
    while i < len(rows):
        ev = rows[i]["ev"]
        key = (text(ev.get("kind")), text(ev.get("reg") or ev.get("what")))
        j = i
        while j < len(rows) and (text(rows[j]["ev"].get("kind")),
                                 text(rows[j]["ev"].get("reg") or rows[j]["ev"].get("what"))) == key:
            j += 1
        run = rows[i:j]
        if len(run) > 6:
            hidden = run[2:-2]
            out.extend(run[:2])
            out.append({"fold": True, "kind": key[0], "what": key[1], "rows": len(hidden),
                        "events": sum(r["events"] for r in hidden),
                        "t0": hidden[0]["t0"], "t1": hidden[-1]["t1"]})
            out.extend(run[-2:])
        else:
            out.extend(run)
        i = j
    return out


def render_trace(trace, max_events):
    events = [ev for ev in as_list(trace) if isinstance(ev, dict)]
    if not events:
        return '<p class="muted">No trace recorded.</p>'
    shown = events[:max_events]
    left_out = len(events) - len(shown)
    t_first, t_last = events[0].get("t"), events[-1].get("t")
    head = f"{len(events):,} events, t = {fmt_us(t_first)} … {fmt_us(t_last)} µs."
    if left_out:
        head += f" Showing the first {len(shown):,}; <strong>{left_out:,} events left out</strong>."
    rows = []
    for r in fold_trace(shown):
        if r.get("fold"):
            t = f"{fmt_us(r['t0'])} … {fmt_us(r['t1'])}"
            rows.append(f'<tr class="fold"><td class="num">{t}</td><td>⋯</td>'
                        f'<td>{r["events"]:,} more <code>{esc(r["kind"])}</code> events '
                        f'({esc(r["what"]) or "same kind"}) folded</td></tr>')
            continue
        ev = r["ev"]
        kind = text(ev.get("kind"), "?")
        t = fmt_us(r["t0"])
        if r["events"] > 1 and r["t1"] != r["t0"]:
            t += f" … {fmt_us(r['t1'])}"
        det = event_details(ev)
        if r["n"] > 1:
            det += f' <span class="count">×{r["n"]:,}</span>'
        cls = {"step": "ev-step", "violation": "ev-viol", "irq": "ev-irq"}.get(kind, "")
        if ev.get("note") is not None:
            cls += " ev-note"
        rows.append(f'<tr class="{cls.strip()}"><td class="num">{t}</td>'
                    f'<td class="kind">{esc(kind)}</td><td>{det}</td></tr>')
    return (f'<p class="muted">{head}</p><div class="scroll"><table class="trace">'
            f'<thead><tr><th>t (µs)</th><th>kind</th><th>details</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


# ---- HTML --------------------------------------------------------------------------------------

CSS = """
:root { --ok:#1b7f3b; --bad:#c62828; --muted:#666; --line:#dde1e6; --bg2:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
       Arial, sans-serif; color:#1f2328; background:#fff; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 20px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 0; display:inline; }
h3 { font-size: 16px; margin: 22px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 3px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono",
       monospace; font-size: 0.9em; }
a { color: #0b5cad; }
.muted { color: var(--muted); }
.cards { display:flex; gap:12px; margin: 16px 0; }
.card { border:1px solid var(--line); border-radius:8px; padding:10px 18px; min-width:120px; }
.card b { display:block; font-size:28px; line-height:1.1; }
.card.ok b { color: var(--ok); } .card.bad b { color: var(--bad); }
table { border-collapse: collapse; width: 100%; margin: 6px 0; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.kv { width: auto; min-width: 50%; } table.kv th { white-space: nowrap; }
.scroll { overflow-x: auto; }
.badge { display:inline-block; padding: 1px 9px; border-radius: 10px; font-size: 13px;
         font-weight: 700; color:#fff; vertical-align: 3px; margin-right: 8px; letter-spacing: .04em; }
.badge.pass { background: var(--ok); } .badge.fail { background: var(--bad); }
section.scenario { border-top: 3px solid var(--line); margin-top: 36px; padding-top: 14px; }
section.scenario.failed { border-top-color: var(--bad); }
.desc { white-space: pre-line; margin: 8px 0; }
.good { color: var(--ok); } .bad { color: var(--bad); font-weight: 600; }
td.mismatch { background: #fdecea; color: var(--bad); font-weight: 600; }
ul.failures li { color: var(--bad); }
.diagnosis { border-left: 4px solid var(--bad); background: #fff6f5; padding: 8px 14px; margin: 8px 0; }
.diagnosis p { margin: 6px 0; }
.warn { background: #fff8e1; border: 1px solid #f0d27a; padding: 6px 10px; border-radius: 4px; }
img.scanout { border: 1px solid var(--line); image-rendering: pixelated; max-width: 100%;
              height: auto; background: repeating-conic-gradient(#eee 0 25%, #fff 0 50%) 0 0/16px 16px; }
.status-ok { color: var(--ok); font-weight:600; } .status-skipped { color: var(--muted); }
.status-bad { color: var(--bad); font-weight:600; }
table.trace { font-size: 13px; } table.trace td { padding: 2px 8px; }
table.trace td.kind { white-space: nowrap; color:#444; }
tr.ev-step td { background: #eef4fb; } tr.ev-viol td { background: #fdecea; }
tr.fold td { background: var(--bg2); color: var(--muted); font-style: italic; }
.note { color: #8a5a00; font-style: italic; } .note::before { content: "note: "; }
.count { color: #6f42c1; font-weight: 600; }
figure.svgwrap { margin: 8px 0 16px; overflow-x: auto; }
.images { display:flex; gap:16px; flex-wrap: wrap; align-items: flex-start; }
.images figure, figure { margin: 6px 0; }
figcaption { color: var(--muted); font-size: 12px; }
figure.svgwrap figcaption { color: var(--muted); font-size: 12px; }
svg.rings { display:block; max-width:none; }
.bar { display:inline-block; width:120px; height:10px; background:#eceff3; border-radius:5px;
       vertical-align: middle; overflow:hidden; }
.bar span { display:block; height:100%; background: var(--ok); }
table.coverage tr.empty td { color: var(--muted); }
table.coverage tr.total th { border-top: 2px solid #b8bfc7; }
.meta { color: var(--muted); font-size: 13px; }
"""


def status_class(s):
    s = text(s)
    if s == "ok":
        return "status-ok"
    if s == "skipped":
        return "status-skipped"
    return "status-bad"


def fmt_response(v):
    if v is None:
        return ""
    s = f"<code>{esc(v)}</code>"
    n = parse_addr(v)
    if n in GPU_RESPONSES:
        s += f' <span class="muted">{GPU_RESPONSES[n]}</span>'
    return s


def sec_ref(section, title=None, spec=None):
    """§section and its title; a section of another VirtIO version than 1.1 says which."""
    if section is None and not title:
        return ""
    s = f"§{esc(section)}" if section is not None else ""
    if spec and s:
        s = f"VirtIO {esc(spec)} {s}"
    if title:
        s += f' <span class="muted">{esc(title)}</span>'
    return s


def render_expectations(sc):
    d = sc.d
    exp = as_dict(d.get("expected"))
    rows = []

    def row(label, actual, expected, ok):
        mark = "" if ok is None else ('<span class="good">✓</span>' if ok else
                                       '<span class="bad">✗</span>')
        rows.append(f"<tr><th>{label}</th><td>{actual}</td><td>{expected}</td><td>{mark}</td></tr>")

    outcome, eo = d.get("outcome"), exp.get("outcome")
    row("outcome", f"<strong>{esc(outcome, '—')}</strong>", esc(eo, "—"),
        None if eo is None else outcome == eo)
    if "violations" in exp or d.get("violations"):
        got = sorted({text(as_dict(v).get("rule")) for v in as_list(d.get("violations"))} - {""})
        want = sorted({text(r) for r in as_list(exp.get("violations"))})
        row("violations", esc(", ".join(got) or "none"), esc(", ".join(want) or "none"),
            got == want if "violations" in exp else None)
    if "cause" in exp or d.get("diagnosis"):
        cause = as_dict(d.get("diagnosis")).get("cause")
        row("diagnosis cause", f"<code>{esc(cause, '—')}</code>" if cause else "—",
            f"<code>{esc(exp.get('cause'))}</code>" if exp.get("cause") else "—",
            cause == exp.get("cause") if "cause" in exp else None)
    drv, edrv = as_dict(d.get("driver")), as_dict(exp.get("driver"))
    if edrv or drv.get("broken_status"):  # the driver's broken latch (hostile devices)
        def latch(x):
            if not x.get("broken"):
                return "not broken" if "broken" in x else "—"
            why = f" by <code>{esc(x.get('broken_status'))}</code>" if x.get("broken_status") else ""
            return f"latched broken{why}"
        ok = None
        if edrv:
            ok = all(drv.get(k) == edrv.get(k) for k in ("broken", "broken_status") if k in edrv)
        row("driver", latch(drv), latch(edrv) if edrv else "—", ok)
    mem, emem = as_dict(d.get("memory_outside_buffers")), exp.get("memory_outside_buffers")
    if emem or mem.get("state") == "changed":  # guest memory outside the driver's buffers
        got = esc(mem.get("state"), "—")
        if mem.get("changed_bytes"):
            got += f" ({esc(mem.get('changed_bytes'))} bytes, first at <code>{esc(mem.get('first_changed'))}</code>)"
        row("memory outside buffers", got, esc(emem, "—"),
            None if emem is None else mem.get("state") == emem)
    ed = exp.get("display")
    if isinstance(ed, dict):
        disp = as_dict(d.get("display"))
        bits, want, ok = [], [], True
        if "active" in ed:
            want.append(f"active {esc(ed.get('active'))}")
            ok = ok and disp.get("active") == ed.get("active")
        if ed.get("sha256"):
            want.append(f"sha256 <code>{esc(text(ed.get('sha256'))[:16])}…</code>")
            ok = ok and disp.get("sha256") == ed.get("sha256")
        if ed.get("pattern"):
            want.append(f"pattern {esc(ed.get('pattern'))}")
        bits.append(f"{esc(disp.get('state'), '—')}, active {esc(disp.get('active'), '—')}")
        if disp.get("sha256"):
            bits.append(f"sha256 <code>{esc(text(disp.get('sha256'))[:16])}…</code>")
        row("display", ", ".join(bits), ", ".join(want) or "—", ok)
    return ('<table class="kv"><thead><tr><th></th><th>actual</th><th>expected</th><th></th></tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table>')


def render_device(sc):
    dev = as_dict(sc.d.get("device"))
    if not dev:
        return ""
    bits = []
    if dev.get("transport") is not None:
        bits.append(f"transport <strong>{esc(dev.get('transport'))}</strong>")
    if dev.get("version") is not None:
        bits.append(f"version {esc(dev.get('version'))}")
    if dev.get("profile") is not None:
        bits.append(f"profile {esc(dev.get('profile'))}")
    dd = as_dict(dev.get("display"))
    if dd:
        bits.append(f"display {esc(dd.get('width'), '?')}×{esc(dd.get('height'), '?')}")
    return f'<p class="meta">Device: {", ".join(bits)}</p>' if bits else ""


def render_steps(steps):
    steps = [s for s in as_list(steps) if isinstance(s, dict)]
    if not steps:
        return '<p class="muted">No steps recorded.</p>'
    rows = []
    for i, s in enumerate(steps, 1):
        st = s.get("status")
        rows.append(f'<tr><td class="num">{i}</td><td><code>{esc(s.get("step"))}</code></td>'
                    f'<td class="{status_class(st)}">{esc(st)}'
                    + (f' <code>{esc(s.get("driver_status"))}</code>'
                       if s.get("driver_status") not in (None, "ok") else "") + '</td>'
                    f'<td>{fmt_response(s.get("response"))}</td>'
                    f'<td class="num">{fmt_us(s.get("time_ns"))}</td><td>{esc(s.get("detail"))}</td></tr>')
    return ('<div class="scroll"><table><thead><tr><th class="num">#</th><th>step</th><th>status</th>'
            '<th>response</th><th class="num">time (µs)</th><th>detail</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def render_violations(viols):
    viols = [v for v in as_list(viols) if isinstance(v, dict)]
    if not viols:
        return '<p class="muted">No violations.</p>'
    rows = []
    for v in viols:
        rows.append(f'<tr><td><code>{esc(v.get("rule"))}</code></td>'
                    f'<td>{sec_ref(v.get("section"), v.get("title"), v.get("spec"))}</td>'
                    f'<td>{esc(v.get("level"))}</td><td>{esc(v.get("message"))}</td>'
                    f'<td class="num">{fmt_us(v.get("time_ns"))}</td></tr>')
    return ('<div class="scroll"><table><thead><tr><th>rule</th><th>section</th><th>level</th>'
            '<th>message</th><th class="num">time (µs)</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def render_diagnosis(diag):
    """All causes in causal order (`causes`), or the flat first cause of older results."""
    if not isinstance(diag, dict):
        return ""
    causes = [c for c in as_list(diag.get("causes")) if isinstance(c, dict)] or [diag]
    if len(causes) == 1:
        return render_cause(causes[0], "Diagnosis")
    return "".join(render_cause(c, f"Diagnosis, cause {i} of {len(causes)}")
                   for i, c in enumerate(causes, 1))


def render_cause(diag, heading):
    ev = as_dict(diag.get("evidence"))
    ev_rows = "".join(f"<tr><th>{esc(k)}</th><td class=\"mono\">{esc(v)}</td></tr>"
                      for k, v in ev.items())
    out = [f'<h3>{esc(heading)}</h3><div class="diagnosis">',
           f'<p><strong>cause:</strong> <code>{esc(diag.get("cause"), "unknown")}</code>']
    if diag.get("section") is not None or diag.get("title"):
        out.append(f" — {sec_ref(diag.get('section'), diag.get('title'))}")
    out.append("</p>")
    if diag.get("message"):
        out.append(f'<p class="desc">{esc(diag.get("message"))}</p>')
    if ev_rows:
        out.append(f'<table class="kv"><thead><tr><th colspan="2">evidence</th></tr></thead>'
                   f"<tbody>{ev_rows}</tbody></table>")
    out.append("</div>")
    return "".join(out)


def render_display(sc):
    disp = sc.d.get("display")
    if not isinstance(disp, dict):
        return ""
    rows = [("scanout", esc(disp.get("scanout"), "—")),
            ("state", f"<strong>{esc(disp.get('state'), '—')}</strong>"),
            ("active", esc(disp.get("active"), "—"))]
    if disp.get("width") is not None or disp.get("height") is not None:
        rows.append(("size", f"{esc(disp.get('width'), '?')} × {esc(disp.get('height'), '?')}"))
    rows.append(("sha256", f'<code style="word-break:break-all">{esc(disp.get("sha256"), "—")}</code>'))
    exp_sha = as_dict(as_dict(sc.d.get("expected")).get("display")).get("sha256")
    if exp_sha:
        same = exp_sha == disp.get("sha256")
        rows.append(("expected sha256", f'<code style="word-break:break-all">{esc(exp_sha)}</code> '
                     + ('<span class="good">✓ matches</span>' if same else
                        '<span class="bad">✗ differs</span>')))
    out = ["<h3>Display</h3>", '<table class="kv"><tbody>']
    out += [f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows]
    out.append("</tbody></table>")
    def img(key, alt):
        w = disp.get("width")
        attrs = ""
        if is_num(w) and 0 < w < 160:  # blow tiny scanouts up, pixelated
            attrs = f' width="{int(w * math.ceil(160 / w))}"'
        return (f'<img class="scanout" src="{html.escape(sc.img_dest[key])}"{attrs} '
                f'alt="{esc(alt)}">')

    if sc.png_dest and sc.img_dest.get("diff_png"):
        out.append('<div class="images">'
                   f'<figure>{img("png", "scanout of " + sc.name)}'
                   "<figcaption>what the device shows</figcaption></figure>"
                   f'<figure>{img("diff_png", "difference image of " + sc.name)}'
                   "<figcaption>where it differs from the expected display</figcaption>"
                   "</figure></div>")
    elif sc.png_dest:
        out.append(f"<p>{img('png', 'scanout of ' + sc.name)}</p>")
    elif sc.png_problem:
        out.append(f'<p class="warn">{esc(sc.png_problem)}</p>')
    else:
        out.append('<p class="muted">No scanout image (run vqsim with <code>--png DIR</code> '
                   "to capture one).</p>")
    if sc.img_dest.get("diff_png") and not sc.png_dest:
        out.append(f'<figure>{img("diff_png", "difference image of " + sc.name)}'
                   "<figcaption>where the display differs from the expected one</figcaption>"
                   "</figure>")
    elif sc.img_problem.get("diff_png"):
        out.append(f'<p class="warn">{esc(sc.img_problem["diff_png"])}</p>')
    return "".join(out)


def render_queues(queues):
    queues = [q for q in as_list(queues) if isinstance(q, dict)]
    if not queues:
        return ""
    rows, notes, figs = [], [], []
    for q in queues:
        drv, dev = as_dict(q.get("driver")), as_dict(q.get("device"))
        idx = esc(q.get("index"), "?")
        ready = dev.get("ready")
        for k, area in enumerate(("desc", "avail", "used")):
            a, b = drv.get(area), dev.get(area)
            pa, pb = parse_addr(a), parse_addr(b)
            bad = a is not None and b is not None and (pa != pb if None not in (pa, pb) else
                                                         text(a) != text(b))
            cls = ' class="mismatch mono"' if bad else ' class="mono"'
            mark = " ≠" if bad else ""
            head = ""
            if k == 0:
                head = (f'<td rowspan="3" class="num">{idx}</td>'
                        f'<td rowspan="3" class="num">{esc(q.get("size"), "—")}</td>'
                        f'<td rowspan="3">{esc(ready, "—")}</td>'
                        f'<td rowspan="3" class="num">{esc(q.get("avail_idx"), "—")} / '
                        f'{esc(q.get("used_idx"), "—")}</td>')
            rows.append(f"<tr>{head}<td>{area}</td><td{cls}>{esc(a, '—')}</td>"
                        f"<td{cls}>{esc(b, '—')}{mark}</td></tr>")
            if bad and None not in (pa, pb):
                delta = pb - pa
                notes.append(f"<li>queue {idx}: driver and device disagree on the {area} "
                             f"{'table' if area == 'desc' else 'ring'}: driver <code>{esc(a)}</code>, "
                             f"device <code>{esc(b)}</code> (device is "
                             f"{'+' if delta >= 0 else '−'}0x{abs(delta):x} bytes away)</li>")
        figs.append(f"<h4>Queue {idx} ring layout</h4>{ring_svg(q)}")
    out = ['<h3>Queues</h3><div class="scroll"><table><thead><tr><th class="num">queue</th>'
           '<th class="num">size</th><th>ready</th><th class="num">avail_idx / used_idx</th>'
           '<th>area</th><th>driver address</th><th>device address</th></tr></thead>'
           f'<tbody>{"".join(rows)}</tbody></table></div>']
    if notes:
        out.append(f'<ul class="failures">{"".join(notes)}</ul>')
    out += figs
    return "".join(out)


def render_scenario(sc, multi_source, max_events):
    d = sc.d
    badge = '<span class="badge pass">PASS</span>' if sc.passed else \
        '<span class="badge fail">FAIL</span>'
    out = [f'<section class="scenario {"passed" if sc.passed else "failed"}" id="{sc.anchor}">',
           f"{badge}<h2>{esc(sc.name)}</h2>"]
    meta = []
    if d.get("file") is not None:
        meta.append(f"file <code>{esc(d.get('file'))}</code>")
    if multi_source:
        meta.append(f"results <code>{esc(sc.source)}</code>")
    if meta:
        out.append(f'<p class="meta">{" · ".join(meta)}</p>')
    out.append(render_device(sc))
    if d.get("description"):
        out.append(f'<p class="desc">{esc(d.get("description"))}</p>')
    out.append("<h3>Outcome</h3>")
    out.append(render_expectations(sc))
    failures = as_list(d.get("failures"))
    if failures:
        out.append('<ul class="failures">' + "".join(f"<li>{esc(f)}</li>" for f in failures) + "</ul>")
    elif not sc.passed:
        out.append('<p class="bad">The scenario failed (no failure sentences recorded).</p>')
    out.append(render_diagnosis(d.get("diagnosis")))
    out.append("<h3>Steps</h3>" + render_steps(d.get("steps")))
    out.append("<h3>Violations</h3>" + render_violations(d.get("violations")))
    if as_list(d.get("informational")):  # reported, never violations (level informational)
        out.append("<h3>Informational findings</h3>" + render_violations(d.get("informational")))
    out.append(render_not_judged(d.get("not_judged")))
    out.append(render_display(sc))
    out.append(render_queues(d.get("queues")))
    out.append(render_chains(d, sc.anchor))
    if "trace" in d:
        out.append("<h3>Trace</h3>" + render_trace(d.get("trace"), max_events))
    out.append('<p class="meta"><a href="#summary">↑ summary</a></p></section>')
    return "\n".join(o for o in out if o)


def render_by_rule(scenarios, key):
    """One row per rule found under `key` ("violations" or "informational") of any scenario:
    section, level, count and the scenarios; "" when there is none."""
    by_rule = {}
    for sc in scenarios:
        for v in as_list(sc.d.get(key)):
            v = as_dict(v)
            rule = text(v.get("rule")) or "?"
            e = by_rule.setdefault(rule, {"section": v.get("section"), "title": v.get("title"),
                                          "spec": v.get("spec"),
                                          "level": v.get("level"), "count": 0, "in": []})
            e["count"] += 1
            if sc not in e["in"]:
                e["in"].append(sc)
    if not by_rule:
        return ""
    rows = []
    for rule, e in sorted(by_rule.items(), key=lambda kv: (-kv[1]["count"], kv[0])):
        links = ", ".join(f'<a href="#{s.anchor}">{esc(s.name)}</a>' for s in e["in"])
        rows.append(f'<tr><td><code>{esc(rule)}</code></td><td>{sec_ref(e["section"], e["title"], e["spec"])}'
                    f'</td><td>{esc(e["level"])}</td><td class="num">{e["count"]}</td>'
                    f"<td>{links}</td></tr>")
    return ('<div class="scroll"><table><thead><tr><th>rule</th><th>spec section</th>'
            '<th>level</th><th class="num">count</th><th>scenarios</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def render_not_judged(items):
    """The rules a plain-ring-access run could not judge (wholly or in part), and why."""
    items = [as_dict(n) for n in as_list(items)]
    if not items:
        return ""
    rows = "".join(f'<li><code>{esc(n.get("rule"))}</code> — '
                   f'{"in part" if n.get("judged") == "partly" else "not judged"}: '
                   f'{esc(n.get("why"))}</li>' for n in items)
    return ("<h3>Not judged (plain ring access)</h3><p class=\"muted\">The driver's ring accesses "
            "were learnt by snapshot, not one by one: these rules could not be judged, or only in "
            f"part. A silence here is no verdict.</p><ul>{rows}</ul>")


def render_html(docs, scenarios, max_events, catalogue=None, rules_path="spec/rules.yaml"):
    total = len(scenarios)
    passed = sum(1 for s in scenarios if s.passed)
    failed = total - passed
    versions = sorted({text(doc.get("vqsim_version")) for _, doc in docs} - {""})
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>vqsim report — {passed}/{total} passed</title>",
           f"<style>{CSS}</style></head><body><main>",
           '<header id="summary"><h1>vqsim report</h1>']
    meta = [f"results: {', '.join(f'<code>{esc(p)}</code>' for p, _ in docs)}"]
    if versions:
        meta.append(f"vqsim {esc(', '.join(versions))}")
    out.append(f'<p class="meta">{" · ".join(meta)}</p></header>')
    out.append('<div class="cards">'
               f'<div class="card"><b>{total}</b>scenarios</div>'
               f'<div class="card ok"><b>{passed}</b>passed</div>'
               f'<div class="card {"bad" if failed else "ok"}"><b>{failed}</b>failed</div></div>')
    for path, doc in docs:  # say so when vqsim's own summary disagrees with the scenarios
        summ = as_dict(doc.get("summary"))
        sc_in = [s for s in scenarios if s.source == path]
        calc = {"total": len(sc_in), "passed": sum(s.passed for s in sc_in)}
        calc["failed"] = calc["total"] - calc["passed"]
        diff = [k for k in calc if is_num(summ.get(k)) and summ.get(k) != calc[k]]
        if diff:
            out.append(f'<p class="warn">{esc(path)}: its summary says '
                       + ", ".join(f"{k} {esc(summ.get(k))}" for k in diff)
                       + "; the scenarios in it say "
                       + ", ".join(f"{k} {calc[k]}" for k in diff) + ".</p>")

    out.append('<h3 id="violations">Violations by rule</h3>')
    out.append(render_by_rule(scenarios, "violations") or
               '<p class="muted">No violations in any scenario.</p>')
    info = render_by_rule(scenarios, "informational")
    if info:  # what the drivers did that no 1.1 requirement forbids (a later version's register…)
        out.append('<h3 id="informational">Informational findings by rule</h3>' + info)

    out.append(render_by_section(scenarios))
    out.append(render_coverage(catalogue, scenarios, rules_path))

    # scenario index
    out.append('<h3 id="scenarios">Scenarios</h3>')
    if scenarios:
        rows = []
        for sc in scenarios:
            badge = '<span class="badge pass">PASS</span>' if sc.passed else \
                '<span class="badge fail">FAIL</span>'
            exp = as_dict(sc.d.get("expected"))
            cause = as_dict(sc.d.get("diagnosis")).get("cause")
            nviol = len(as_list(sc.d.get("violations")))
            rows.append(f'<tr><td>{badge}</td><td><a href="#{sc.anchor}">{esc(sc.name)}</a></td>'
                        f'<td>{esc(sc.d.get("outcome"), "—")}</td><td>{esc(exp.get("outcome"), "—")}'
                        f'</td><td>{f"<code>{esc(cause)}</code>" if cause else "—"}</td>'
                        f'<td class="num">{nviol}</td></tr>')
        out.append('<div class="scroll"><table><thead><tr><th></th><th>scenario</th><th>outcome</th>'
                   '<th>expected</th><th>diagnosis</th><th class="num">violations</th></tr></thead>'
                   f'<tbody>{"".join(rows)}</tbody></table></div>')
    else:
        out.append('<p class="muted">The results contain no scenarios.</p>')

    multi = len(docs) > 1
    for sc in scenarios:
        out.append(render_scenario(sc, multi, max_events))
    out.append("</main></body></html>\n")
    return "\n".join(out)


# ---- rule catalogue: coverage by area ----------------------------------------------------------

DEFAULT_RULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "spec",
                             "rules.yaml")
_AREA_LINE = re.compile(r"^\s*#\s*=+\s*area:\s*([\w-]+)\s*$", re.M)


_YAML_BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}


def _scalar(v):
    """A plain or quoted YAML scalar as PyYAML reads it (plain yes/no/true/false are booleans)."""
    v = v.strip()
    if v.lower() in _YAML_BOOLS:
        return _YAML_BOOLS[v.lower()]
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        inner = v[1:-1]
        return inner.replace('\\"', '"').replace("\\\\", "\\") if v[0] == '"' else \
            inner.replace("''", "'")
    return v


def parse_catalogue_text(raw):
    """The few shapes spec/rules.yaml uses (a `rules:` list of flat mappings whose values are
    scalars, quoted strings, [flow, lists], folded >- blocks or block lists), for when PyYAML is
    not installed. Returns a list of dicts."""
    rules, cur, key, block, block_indent = [], None, None, None, 0
    in_rules = False
    for line in raw.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if block is not None:
            if stripped and indent > block_indent:
                block.append(stripped)
                continue
            cur[key] = " ".join(block)
            block = None
        if not stripped or stripped.startswith("#"):
            continue
        top = re.match(r"^([\w-]+):", line)
        if top:  # a top-level key: only the `rules:` list is read (`causes:` is not)
            in_rules, cur = top.group(1) == "rules", None
            continue
        if not in_rules:
            continue
        m = re.match(r"^(\s*)- (\w+):\s*(.*)$", line)
        if m and m.group(2) == "id":
            cur = {}
            rules.append(cur)
            line, indent = m.group(1) + "  " + m.group(2) + ": " + m.group(3), indent + 2
            stripped = line.strip()
        if cur is None:
            continue
        m = re.match(r"^([\w-]+):\s*(.*)$", stripped)
        if m:
            key, val = m.group(1), m.group(2)
            if val in (">-", ">", "|", "|-"):
                block, block_indent = [], indent
            elif val.startswith("[") and val.endswith("]"):
                cur[key] = [_scalar(x) for x in val[1:-1].split(",") if x.strip()]
            elif val == "":
                cur[key] = []
            else:
                cur[key] = _scalar(val)
        elif stripped.startswith("- ") and key and isinstance(cur.get(key), list):
            cur[key].append(_scalar(stripped[2:]))
    if block is not None and cur is not None:
        cur[key] = " ".join(block)
    return rules


def load_catalogue(path):
    """(areas in file order, rules) from spec/rules.yaml, or None when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = f.read()
    except OSError as e:
        warn(f"{path}: cannot read the rule catalogue ({e.strerror or e}); no coverage table")
        return None
    rules = None
    try:
        import yaml  # python3-yaml; optional
        doc = yaml.safe_load(raw)
        rules = as_list(as_dict(doc).get("rules"))
    except ImportError:
        rules = parse_catalogue_text(raw)
    except Exception as e:  # a broken catalogue must not stop the report
        warn(f"{path}: cannot parse the rule catalogue ({e}); no coverage table")
        return None
    # vqsim's own markers (level internal, e.g. vqsim.unknown-rule) are not rules of the spec
    rules = [r for r in rules if isinstance(r, dict) and r.get("id")
             and text(r.get("level")) != "internal"]
    areas = []
    for a in _AREA_LINE.findall(raw) + [text(r.get("area")) for r in rules]:
        if a and a not in areas:
            areas.append(a)
    return areas, rules


def observable(rule):
    """The `observable` field as yes | partly | no | n/a (YAML reads plain yes/no as booleans)."""
    v = rule.get("observable")
    if isinstance(v, bool):
        return "yes" if v else "no"
    return text(v).strip().lower()


def render_coverage(catalogue, scenarios, path):
    if catalogue is None:
        return ('<h3 id="coverage">Rule coverage by area</h3><p class="muted">The rule catalogue '
                "was not available (give <code>--rules spec/rules.yaml</code>).</p>")
    areas, rules = catalogue
    fired = {text(as_dict(v).get("rule")) for sc in scenarios
             for v in as_list(sc.d.get("violations"))}
    has_obs = any("observable" in r for r in rules)
    has_legacy = any("legacy" in r for r in rules)
    obs_values = ("yes", "partly", "no", "n/a")
    rows, tot = [], {}

    def count(rs):
        c = {"rules": len(rs),
             "checked": sum(1 for r in rs if text(r.get("check")).strip()),
             "proven": sum(1 for r in rs if text(r.get("check")).strip() and as_list(r.get("proven_by"))),
             "fired": sum(1 for r in rs if text(r.get("id")) in fired)}
        c["not checked"] = c["rules"] - c["checked"]
        for o in obs_values:
            c[o] = sum(1 for r in rs if observable(r) == o)
        c["legacy"] = sum(1 for r in rs if r.get("legacy") is True
                          or text(r.get("legacy")).lower() in ("true", "yes"))
        return c

    cols = ["rules", "checked", "proven", "fired", "not checked"]
    if has_obs:
        cols += list(obs_values)
    if has_legacy:
        cols.append("legacy")
    for area in areas:
        c = count([r for r in rules if text(r.get("area")) == area])
        for k, v in c.items():
            tot[k] = tot.get(k, 0) + v
        pct = f"{100 * c['checked'] // c['rules']}%" if c["rules"] else "—"
        bar = (f'<span class="bar"><span style="width:{100 * c["checked"] // c["rules"]}%">'
               "</span></span>") if c["rules"] else ""
        cls = ' class="empty"' if not c["rules"] else ""
        rows.append(f"<tr{cls}><td>{esc(area)}</td>"
                    + "".join(f'<td class="num">{c[k]}</td>' for k in cols)
                    + f'<td class="num">{pct}</td><td>{bar}</td></tr>')
    rows.append("<tr class=\"total\"><th>all areas</th>"
                + "".join(f'<th class="num">{tot.get(k, 0)}</th>' for k in cols)
                + f'<th class="num">{(100 * tot.get("checked", 0) // tot["rules"]) if tot.get("rules") else 0}%'
                  "</th><th></th></tr>")
    head = "".join(f'<th class="num">{esc(k)}</th>' for k in cols)
    notes = ["<b>checked</b>: the device model has a check for it; <b>proven</b>: and a scenario "
             "in which it fires; <b>fired</b>: it fired in these results"]
    if has_obs:
        notes.append("<b>yes/partly/no/n/a</b>: whether a device model can observe it at all")
    if has_legacy:
        notes.append("<b>legacy</b>: applies to the legacy interface only")
    return ('<h3 id="coverage">Rule coverage by area</h3>'
            f'<p class="meta">From <code>{esc(os.path.relpath(path) if os.path.isabs(path) else path)}'
            f"</code>. {'; '.join(notes)}.</p>"
            f'<div class="scroll"><table class="coverage"><thead><tr><th>area</th>{head}'
            '<th class="num">% checked</th><th></th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def render_by_section(scenarios):
    by = {}
    for sc in scenarios:
        for v in as_list(sc.d.get("violations")):
            v = as_dict(v)
            # a section of another VirtIO version than 1.1 is not 1.1's of that number
            sec = (text(v.get("spec")) or "", text(v.get("section")) or "?")
            e = by.setdefault(sec, {"title": v.get("title"), "count": 0, "rules": set(), "in": set()})
            e["count"] += 1
            e["rules"].add(text(v.get("rule")) or "?")
            e["in"].add(sc.name)

    def key(sec):
        return [sec[0]] + [int(x) if x.isdigit() else 1 << 30 for x in sec[1].split(".")]

    if not by:
        return ""
    rows = "".join(
        f"<tr><td>{sec_ref(sec[1], e['title'], sec[0])}</td><td class=\"num\">{e['count']}</td>"
        f"<td class=\"num\">{len(e['in'])}</td>"
        f"<td>{', '.join(f'<code>{esc(r)}</code>' for r in sorted(e['rules']))}</td></tr>"
        for sec, e in sorted(by.items(), key=lambda kv: key(kv[0])))
    return ('<h3 id="sections">Violations by spec section</h3><div class="scroll"><table><thead>'
            '<tr><th>section</th><th class="num">violations</th><th class="num">scenarios</th>'
            f"<th>rules</th></tr></thead><tbody>{rows}</tbody></table></div>")


# ---- JUnit -------------------------------------------------------------------------------------

def failure_text(sc):
    d = sc.d
    exp = as_dict(d.get("expected"))
    lines = [f"outcome: {text(d.get('outcome'), '?')} (expected: {text(exp.get('outcome'), '?')})"]
    failures = [text(f) for f in as_list(d.get("failures"))]
    if failures:
        lines.append("failures:")
        lines += [f"  - {f}" for f in failures]
    diag = d.get("diagnosis")
    if isinstance(diag, dict):
        causes = [c for c in as_list(diag.get("causes")) if isinstance(c, dict)] or [diag]
        for c in causes:
            sect = f" (§{text(c.get('section'))})" if c.get("section") is not None else ""
            lines.append(f"diagnosis: {text(c.get('cause'), '?')}{sect}")
            if c.get("message"):
                lines.append(f"  {text(c.get('message'))}")
            for k, v in as_dict(c.get("evidence")).items():
                lines.append(f"  {text(k)}: {text(v)}")
    return "\n".join(lines)


def render_junit(scenarios):
    failed = sum(1 for s in scenarios if not s.passed)
    suite = ET.Element("testsuite", {"name": "vqsim", "tests": str(len(scenarios)),
                                     "failures": str(failed), "errors": "0", "skipped": "0"})
    for sc in scenarios:
        attrs = {"classname": "vqsim.scenarios", "name": sc.name}
        if sc.d.get("file") is not None:
            attrs["file"] = text(sc.d.get("file"))
        case = ET.SubElement(suite, "testcase", attrs)
        if not sc.passed:
            failures = as_list(sc.d.get("failures"))
            msg = text(failures[0]) if failures else \
                f"outcome {text(sc.d.get('outcome'), '?')}"
            if len(failures) > 1:
                msg += f" (+{len(failures) - 1} more)"
            f = ET.SubElement(case, "failure", {"message": msg,
                                                "type": text(sc.d.get("outcome"), "failed")})
            f.text = failure_text(sc)
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


# ---- main --------------------------------------------------------------------------------------

def write_atomic(path, content):
    d = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".report-", dir=d)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="\n") as f:
                f.write(content)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="report.py",
        description="Make an HTML report and/or JUnit XML from `vqsim run --json` results files.",
        epilog="Exit status: 0 written; 1 an output could not be written; 2 usage error or an "
               "input that is unreadable or not a vqsim results file. Failed scenarios do not "
               "change the exit status.")
    p.add_argument("results", nargs="+", metavar="RESULTS.json",
                   help="results file written by `vqsim run --json FILE`")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="write DIR/index.html (and copies of the scanout PNGs)")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML to FILE")
    p.add_argument("--rules", metavar="FILE", default=DEFAULT_RULES,
                   help="the rule catalogue for the coverage table (default: spec/rules.yaml "
                        "of this checkout)")
    p.add_argument("--max-events", type=int, default=DEFAULT_MAX_EVENTS, metavar="N",
                   help=f"trace events shown per scenario (default {DEFAULT_MAX_EVENTS})")
    args = p.parse_args(argv)
    if not args.output and not args.junit:
        p.error("nothing to write: give -o DIR and/or --junit FILE")
    if args.max_events < 0:
        p.error("--max-events must be 0 or more")
    return args


def run(argv):
    args = parse_args(argv)
    docs = [(path, load_results(path)) for path in args.results]
    scenarios = [Scenario(sc, path, i) for path, doc in docs for i, sc in enumerate(doc["scenarios"])]
    make_anchors(scenarios)
    if args.output:
        try:
            os.makedirs(args.output, exist_ok=True)
        except OSError as e:
            raise OutputError(f"cannot create {args.output}: {e.strerror or e}") from None
        locate_pngs(scenarios, args.output)
        write_atomic(os.path.join(args.output, "index.html"),
                     render_html(docs, scenarios, args.max_events, load_catalogue(args.rules),
                                 args.rules))
    if args.junit:
        write_atomic(args.junit, render_junit(scenarios))
    return 0


def main(argv=None):
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except InputError as e:
        print(f"report.py: error: {e}", file=sys.stderr)
        return 2
    except OutputError as e:
        print(f"report.py: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug here must not hide the results behind a traceback
        if os.environ.get("VQSIM_REPORT_DEBUG"):
            raise
        print(f"report.py: internal error: {type(e).__name__}: {e} "
              "(set VQSIM_REPORT_DEBUG=1 for a traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
