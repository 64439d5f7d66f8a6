"""A queue's ring layout as inline SVG: its three areas (§2.6) on a to-scale address axis, where
the driver set them up and where the device looks, a disagreement outlined in red."""

from .values import as_dict, esc, fmt_bytes, is_num, parse_addr, text

AREA_COLOURS = {"desc": ("#cfe0f3", "#2f5d8c"), "avail": ("#d5ecd0", "#3b7a32"),
                "used": ("#fbdcc0", "#a65a12")}
AREA_NAMES = {"desc": "desc table", "avail": "avail ring", "used": "used ring"}
MISMATCH_WORDS = {
    "desc": ("driver wrote here", "device reads here"),
    "avail": ("driver writes here", "device reads here"),
    "used": ("driver polls here", "device writes here"),
}

# Geometry: the drawing's width and margins, the axis break, a label level and a lane's height.
W, LEFT, RIGHT, BRK = 960, 70, 16, 44
LV, LANE = 32, 30


def area_sizes(size):
    """Bytes of each area of a split ring of `size` entries (§2.6), used_event/avail_event in."""
    return {"desc": 16 * size, "avail": 6 + 2 * size, "used": 6 + 8 * size}


def ring_boxes(drv, dev, size):
    """One box per area and lane: an area both sides agree on spans both lanes ("both"); when
    they disagree it is drawn once per lane ("driver", "device"), marked a mismatch."""
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
    return boxes


def axis_clusters(boxes):
    """Sort the boxes by address and group them into clusters separated by gaps above the
    threshold (the axis is broken between them). Returns (clusters, threshold)."""
    boxes.sort(key=lambda bx: (bx["start"], bx["lane"]))
    total = sum(bx["n"] for bx in boxes)
    gap_max = max(64 * 1024, 16 * total)
    clusters = []
    for bx in boxes:
        if clusters and bx["start"] - clusters[-1]["end"] <= gap_max:
            clusters[-1]["end"] = max(clusters[-1]["end"], bx["start"] + bx["n"])
        else:
            clusters.append({"start": bx["start"], "end": bx["start"] + bx["n"]})
    return clusters, gap_max


def place_on_axis(boxes, clusters):
    """x of each cluster and box, box widths and label extents; returns the scale (px/byte)."""
    plot_w = W - LEFT - RIGHT - BRK * (len(clusters) - 1)
    span = sum(c["end"] - c["start"] for c in clusters)
    scale = plot_w / span
    x = LEFT
    for c in clusters:
        c["x"] = x
        x += (c["end"] - c["start"]) * scale + BRK

    def xpos(addr):
        for c in clusters:
            if c["start"] <= addr <= c["end"]:
                return c["x"] + (addr - c["start"]) * scale
        return LEFT

    for bx in boxes:
        bx["x"] = xpos(bx["start"])
        bx["w"] = max(3.0, bx["n"] * scale)
        bx["addr"] = f"0x{bx['start']:08x} · {bx['n']} B"
        bx["tw"] = max(len(bx["label"]) * 7.3, len(bx["addr"]) * 6.9)
        bx["tx"] = min(max(bx["x"], 4), W - 4 - bx["tw"])
    return scale


def assign_levels(group):
    """Right to left, each label on the lowest free level: a leader line then only passes labels
    that start to its right, so it never crosses text. Returns the number of levels."""
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


def svg_axis(clusters, scale, axis_y):
    """The axis, with a break marker and the size of the gap between clusters."""
    out = []
    for i, c in enumerate(clusters):
        x0, x1 = c["x"], c["x"] + (c["end"] - c["start"]) * scale
        out.append(f'<line x1="{x0:.1f}" y1="{axis_y}" x2="{x1:.1f}" y2="{axis_y}" stroke="#888"/>')
        if i + 1 < len(clusters):
            nxt = clusters[i + 1]
            mx = x1 + BRK / 2
            for dx in (-4, 2):
                out.append(f'<line x1="{mx + dx - 3:.1f}" y1="{axis_y + 6}" x2="{mx + dx + 3:.1f}" '
                           f'y2="{axis_y - 6}" stroke="#888"/>')
            out.append(f'<text x="{mx:.1f}" y="{axis_y + 15}" text-anchor="middle" font-size="10" '
                       f'fill="#777">+{esc(fmt_bytes(nxt["start"] - c["end"]))}</text>')
    return out


def svg_boxes(boxes, g):
    out = []
    for bx in boxes:
        fill, stroke = AREA_COLOURS[bx["area"]]
        if bx["lane"] == "both":
            y, h = g["lane_y"], LANE * 2 + 4
        else:
            y, h = (g["lane_y"], LANE) if bx["lane"] == "driver" else (g["dev_y"], LANE)
        extra = ' stroke="#c62828" stroke-width="2"' if bx["mismatch"] else \
            f' stroke="{stroke}" stroke-width="1"'
        if bx["mismatch"] and bx["lane"] == "driver":
            extra += ' stroke-dasharray="4 2"'
        tip = f"{bx['label']}: 0x{bx['start']:x}–0x{bx['start'] + bx['n'] - 1:x} ({bx['n']} bytes)"
        out.append(f'<rect x="{bx["x"]:.1f}" y="{y}" width="{bx["w"]:.1f}" height="{h}" '
                   f'fill="{fill}"{extra}><title>{esc(tip)}</title></rect>')
        out.append(f'<line x1="{bx["x"]:.1f}" y1="{g["axis_y"] - 3}" x2="{bx["x"]:.1f}" '
                   f'y2="{g["axis_y"] + 3}" stroke="#888"/>')
    return out


def svg_labels(boxes, g):
    """Labels with leader lines: above for driver/shared boxes, below for device-only boxes."""
    out = []
    halo = 'paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round"'
    for bx in boxes:
        lx = bx["x"] + min(5.0, bx["w"] / 2)
        colour = "#c62828" if bx["mismatch"] else "#222"
        if bx["lane"] == "device":
            ty = g["bottom_y"] + bx["level"] * LV
            out.append(f'<line x1="{lx:.1f}" y1="{g["dev_y"] + LANE}" x2="{lx:.1f}" y2="{ty + 2}" '
                       f'stroke="{colour}" stroke-width="0.8"/>')
        else:
            ty = g["lane_y"] - 10 - (bx["level"] + 1) * LV + 4
            out.append(f'<line x1="{lx:.1f}" y1="{g["lane_y"]}" x2="{lx:.1f}" y2="{ty + 26}" '
                       f'stroke="{colour}" stroke-width="0.8"/>')
        tx = max(bx["tx"], 4)
        if tx < lx < tx + 4:  # keep the text clear of its own leader line
            tx = lx + 3 if tx + bx["tw"] + 3 < W else tx
        out.append(f'<text x="{tx:.1f}" y="{ty + 12}" fill="{colour}" font-weight="600" {halo}>'
                   f'{esc(bx["label"])}</text>')
        out.append(f'<text x="{tx:.1f}" y="{ty + 25}" fill="#333" font-size="11" '
                   f'font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" {halo}>'
                   f'{esc(bx["addr"])}</text>')
    return out


def geometry(boxes, n_clusters):
    """The y of the lanes, the axis and the label rows, and the height, from the label levels."""
    n_top = assign_levels([bx for bx in boxes if bx["lane"] != "device"])
    n_bottom = assign_levels([bx for bx in boxes if bx["lane"] == "device"])
    g = {"lane_y": 10 + n_top * LV + 10}
    g["dev_y"] = g["lane_y"] + LANE + 4
    g["axis_y"] = g["dev_y"] + LANE + 10
    g["bottom_y"] = g["axis_y"] + (26 if n_clusters > 1 else 18)
    g["height"] = g["bottom_y"] + n_bottom * LV + 6
    return g


def ring_svg(q):
    """Inline SVG of one queue's rings on a to-scale address axis (broken where gaps are huge).

    Two lanes: what the driver set up and where the device looks. An area both agree on spans
    both lanes; when they disagree it is drawn once per lane, outlined in red."""
    size = q.get("size")
    if not is_num(size) or isinstance(size, float) or size <= 0:
        return '<p class="muted">No ring layout: the queue size is unknown.</p>'
    boxes = ring_boxes(as_dict(q.get("driver")), as_dict(q.get("device")), size)
    if not boxes:
        return '<p class="muted">No ring layout: no ring addresses were recorded.</p>'
    clusters, gap_max = axis_clusters(boxes)
    scale = place_on_axis(boxes, clusters)
    g = geometry(boxes, len(clusters))
    idx = text(q.get("index"), "?")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="rings" width="{W}" height="{g["height"]}" '
           f'viewBox="0 0 {W} {g["height"]}" role="img" font-size="12" '
           f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">',
           f"<title>{esc(f'Ring layout of queue {idx} (size {size})')}</title>"]
    for y, name in ((g["lane_y"], "driver"), (g["dev_y"], "device")):
        out.append(f'<rect x="{LEFT - 4}" y="{y}" width="{W - LEFT - RIGHT + 8}" height="{LANE}" '
                   f'fill="#f4f5f7"/>')
        out.append(f'<text x="8" y="{y + LANE / 2 + 4:.1f}" fill="#555">{name}</text>')
    out += svg_axis(clusters, scale, g["axis_y"])
    out += svg_boxes(boxes, g)
    out += svg_labels(boxes, g)
    out.append("</svg>")
    note = f"Drawn to scale, 1 px ≈ {1 / scale:,.1f} bytes" if scale < 1 else \
        f"Drawn to scale, {scale:,.1f} px per byte"
    if len(clusters) > 1:
        note += f"; the axis is broken where a gap exceeds {fmt_bytes(gap_max)}"
    return ("<figure class=\"svgwrap\">" + "".join(out) +
            f"<figcaption>{esc(note)}.</figcaption></figure>")
