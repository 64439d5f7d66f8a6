"""The step-through viewer pages: DIR/viewer/ANCHOR.html per scenario, its data
(viewer_data.py, DIR/viewer/ANCHOR.data.js) and the scripts it shares with the others
(viewer/viewer.js, the core and the virtio-mmio registers; viewer/rings_split.js and
viewer/rings_packed.js, a renderer per ring format, on what they share, viewer/rings_kit.js; viewer/transport_pci.js, the virtio-pci
registers; viewer/viewer.css), copied from this package. Offline: the page loads nothing but these files.

A lesson of the tour opens at the event that teaches its point: scenarios/tour/viewer.yml (or
--teach FILE) names, per scenario, the first event that matches a selector and a caption."""

import os

from .inputs import InputError, warn
from .values import esc, text
from . import viewer_data

ASSETS = ("viewer.js", "rings_kit.js", "rings_split.js", "rings_packed.js", "transport_pci.js", "viewer.css")
SCRIPTS = ASSETS[:-1]  # in this order: the core first, then what registers with it
TRANSPORT = {"mmio": "virtio-mmio", "pci": "virtio-pci"}
ASSET_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "viewer")
DEFAULT_TEACH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "scenarios", "tour", "viewer.yml")

BUTTONS = [("home", 0, "|◀ start", "Home"), ("step", -1, "◀ event", "←"), ("step", 1, "event ▶", "→"),
           ("access", -1, "◀ access", "Shift+←"), ("access", 1, "next access ▶", "Shift+→"),
           ("barrier", 1, "next barrier ▶", None), ("notify", 1, "next notify ▶", None),
           ("violation", 1, "next violation ▶", None), ("used", 1, "next used ▶", None),
           ("end", 0, "end ▶|", "End")]


def load_teach(path):
    """{scenario name: {"at": selector, "caption": text}} from the tour's viewer.yml; {} when
    there is none (or PyYAML is missing)."""
    if not path or not os.path.isfile(path):
        return {}
    try:
        import yaml
    except ImportError:
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise InputError(f"{path}: cannot read the lessons' viewer moments: {e}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not a mapping of scenario names to {{at, caption}}")
    return doc


def matches(row, data, sel, msgs_at):
    kind = data["kinds"][row[1]]
    what = data["str"][row[5]] if len(row) > 5 and row[5] is not None else None
    if "kind" in sel and sel["kind"] != kind:
        return False
    if "what" in sel and sel["what"] != what:
        return False
    if "value" in sel and (len(row) <= 3 or row[3] != sel["value"]):
        return False
    if "rule" in sel and sel["rule"] not in msgs_at.get(id(row), ()):
        return False
    return True


def resolve_teach(data, entry):
    """The event a lesson's selector names ({kind, what, value, rule, nth}), or None."""
    sel = entry.get("at") if isinstance(entry, dict) else None
    if not isinstance(sel, dict):
        return None
    msgs_at = {}
    for ev, rule, _ in data["msgs"]:
        msgs_at.setdefault(id(data["ev"][ev]), set()).add(data["str"][rule])
    nth = sel.get("nth", 1)
    for i, row in enumerate(data["ev"]):
        if matches(row, data, sel, msgs_at):
            nth -= 1
            if nth == 0:
                return {"event": i, "caption": text(entry.get("caption"))}
    return None


def button(go, direction, label, key):
    keys = f' aria-keyshortcuts="{key}" title="{key}"' if key else ""
    return f'<button type="button" data-go="{go}" data-dir="{direction}"{keys}>{esc(label)}</button>'


def page_html(data):
    name = esc(data["name"])
    buttons = "".join(button(*b) for b in BUTTONS)
    scripts = "\n".join(f'<script src="{s}"></script>' for s in SCRIPTS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name} — vqsim step-through</title>
<link rel="stylesheet" href="viewer.css"></head>
<body><main>
<header><p><a href="../index.html#{esc(data['anchor'])}">← the report</a></p>
<h1>{name}: step through the run</h1>
<p class="muted">outcome <b>{esc(data['outcome'])}</b>{f" · cause <code>{esc(data['cause'])}</code>" if data['cause'] else ""}
· {len(data['ev'])} events · <span id="ringname">{esc(data['ring'])} ring</span>
· {esc(TRANSPORT.get(data['transport'], data['transport']))} · {esc(data['source'])}</p>
<div id="notice" hidden></div><div id="teach"></div></header>
<div class="controls" role="toolbar" aria-label="step through the run">{buttons}
<label><input type="checkbox" id="tableview"> table view (accessible)</label>
<input type="range" id="scrub" min="0" max="0" value="0" aria-label="position in the run">
<span id="pos" aria-live="off"></span><span id="status" aria-live="polite"></span></div>
<section id="event" aria-live="polite" aria-atomic="true"></section>
<p class="legend">Keys: ← → one event, Shift+← → the previous / next access, Home / End. The
access just made is outlined: <span class="who driver">driver</span> or
<span class="who device">device</span>; ? is a byte no event has shown yet.
<span id="ringlegend"></span></p>
<div class="state" aria-hidden="true"><div id="draw"></div></div>
<section id="tables" aria-label="the same state as tables"></section>
</main>
{scripts}
<script src="{esc(data['anchor'])}.data.js"></script>
</body></html>
"""


def write_viewers(scenarios, outdir, write, teach_path=DEFAULT_TEACH):
    """Write every scenario's viewer page and data under outdir/viewer; sets sc.viewer (the page,
    relative to outdir), sc.teach_event (the lesson's event, or None) and sc.violation_events (the
    event of each violation, or None)."""
    vdir = os.path.join(outdir, "viewer")
    os.makedirs(vdir, exist_ok=True)
    for a in ASSETS:
        with open(os.path.join(ASSET_DIR, a), encoding="utf-8") as f:
            write(os.path.join(vdir, a), f.read())
    teach = load_teach(teach_path)
    for sc in scenarios:
        data = viewer_data.build(sc)
        t = resolve_teach(data, teach.get(sc.name)) if sc.name in teach else None
        if sc.name in teach and not t:
            warn(f"{teach_path}: {sc.name}: no event of the run matches its `at`; the viewer "
                 "opens at the first event")
        if t:
            data["teach"] = t
        viewer_data.write_data(data, vdir, write)
        write(os.path.join(vdir, f"{sc.anchor}.html"), page_html(data))
        sc.viewer = f"viewer/{sc.anchor}.html"
        sc.teach_event = t["event"] if t else None
        sc.violation_events = data["violation_events"]
