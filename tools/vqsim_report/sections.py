"""One scenario's section of the page: outcome against expectations, diagnosis, steps, violations,
what could not be judged, display, queues with their ring layouts, chains and the trace."""

import html
import math

from .chains import render_chains
from .layout import ring_svg
from .timeline import render_trace
from .values import as_dict, as_list, esc, fmt_us, is_num, parse_addr, text

# §5.7.6.7 virtio-gpu control-queue response types, to name the codes in the steps table.
GPU_RESPONSES = {
    0x1100: "OK_NODATA", 0x1101: "OK_DISPLAY_INFO", 0x1102: "OK_CAPSET_INFO",
    0x1103: "OK_CAPSET", 0x1104: "OK_EDID", 0x1105: "OK_RESOURCE_UUID", 0x1106: "OK_MAP_INFO",
    0x1200: "ERR_UNSPEC", 0x1201: "ERR_OUT_OF_MEMORY", 0x1202: "ERR_INVALID_SCANOUT_ID",
    0x1203: "ERR_INVALID_RESOURCE_ID", 0x1204: "ERR_INVALID_CONTEXT_ID",
    0x1205: "ERR_INVALID_PARAMETER",
}


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
    line = f'<p class="meta">Device: {", ".join(bits)}</p>' if bits else ""
    return line + render_spec_version(sc.d)


def render_spec_version(d):
    """The VirtIO version the run was judged against, and the rules it left out."""
    v = d.get("spec_version")
    if v is None:
        return ""
    said = ("QEMU 7.2's: VirtIO 1.1 and the later rules QEMU 7.2 answers" if v == "qemu-7.2"
            else f"VirtIO {esc(v)}")
    src = f' <span class="muted">({esc(d.get("spec_source"))})</span>' if v != "qemu-7.2" else ""
    out = f'<p class="meta spec-version">Judged against: <strong>{said}</strong>{src}</p>'
    left = [esc(r) for r in as_list(d.get("not_in_spec"))]
    if left:
        out += (f'<p class="meta">Not judged (not rules of VirtIO {esc(v)}): '
                f'{", ".join(f"<code>{r}</code>" for r in left)}</p>')
    return out


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


def render_violations(viols, viewer=None, events=()):
    """The violations; with `viewer` (the step-through page), each links to the event it was
    found at (events[i] for viols[i]: None when the trace no longer holds it)."""
    viols = [v for v in as_list(viols) if isinstance(v, dict)]
    if not viols:
        return '<p class="muted">No violations.</p>'
    rows = []
    for i, v in enumerate(viols):
        at = events[i] if i < len(events) else None
        link = f'<td><a href="{esc(viewer)}#e={at}">step to it</a></td>' if at is not None else \
            ("<td></td>" if viewer else "")
        rows.append(f'<tr><td><code>{esc(v.get("rule"))}</code></td>'
                    f'<td>{sec_ref(v.get("section"), v.get("title"), v.get("spec"))}</td>'
                    f'<td>{esc(v.get("level"))}</td><td>{esc(v.get("message"))}</td>'
                    f'<td class="num">{fmt_us(v.get("time_ns"))}</td>{link}</tr>')
    return ('<div class="scroll"><table><thead><tr><th>rule</th><th>section</th><th>level</th>'
            '<th>message</th><th class="num">time (µs)</th>'
            f'{"<th>viewer</th>" if viewer else ""}</tr></thead>'
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
    out.append(render_viewer_link(sc))
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
    out.append("<h3>Violations</h3>" + render_violations(d.get("violations"), sc.viewer,
                                                          sc.violation_events))
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


def render_viewer_link(sc):
    """The link to the scenario's step-through viewer (and to a lesson's teaching moment)."""
    if not sc.viewer:
        return ""
    out = f'<p class="viewer-link"><a href="{esc(sc.viewer)}">▶ Step through this run</a>'
    if sc.teach_event is not None:
        out += (f' · <a href="{esc(sc.viewer)}#e={sc.teach_event}">the moment this lesson '
                f'teaches (event {sc.teach_event + 1})</a>')
    return out + "</p>"


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
