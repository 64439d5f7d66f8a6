"""The trace as a timeline table: identical consecutive events folded into one row, long runs of
one kind folded around a single row, the first events only when the trace is long."""

import json

from .values import as_list, esc, fmt_us, is_num, text


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
