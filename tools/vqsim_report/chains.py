"""The descriptor chains the device met on each queue, drawn as linked boxes with their flags.

They come from the `chains` key of each queue in the results (docs/results-schema.md): the
chains as the model's pop read them when it took them or refused them (src/model/rings/
chain_log.h) — nothing here walks a descriptor table. A row ends where the device's walk ended:
at the last descriptor of a chain it took, at the descriptor it refused (✗), at a link back to
a descriptor already read (a loop) or at a link to one that does not exist.
"""

from .values import as_dict, as_list, esc, fmt_us, is_num, parse_addr, text

F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4  # §2.6.5 descriptor flags
FLAG_BADGES = (("INDIRECT", F_INDIRECT, "#6f42c1"), ("WRITE", F_WRITE, "#b4702a"),
               ("NEXT", F_NEXT, "#2f5d8c"))
# The refusals that end a walk at a link rather than at the descriptor read last.
LOOP_RULE = "split.desc.no-loops"
NEXT_RULE = "split.desc.next-in-range"
HEAD_RULE = "split.avail.head-in-range"

# Geometry: a descriptor box, the gap (an arrow) after it, the label column, a row.
BW, BH, GAP, LEFT, ROW = 176, 62, 40, 150, 84
MONO = 'font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"'


def read_entry(x):
    """One descriptor of the results as a box: its name, fields and whether it is in a table."""
    x = as_dict(x)
    in_table = x.get("table") is True
    idx = x.get("index")
    return {"table": in_table, "idx": idx,
            "name": f"{'table' if in_table else 'desc'}[{text(idx, '?')}]",
            "addr": parse_addr(x.get("addr")),
            "len": x.get("len") if is_num(x.get("len")) else None,
            "flags": x.get("flags") if is_num(x.get("flags")) else None, "next": x.get("next")}


def chain_end(c, entries, rule, size):
    """How the row ends: ("end",), ("loop", name), ("out-of-range", name, sentence),
    ("more", n) or ("refused",) with the culprit the last entry."""
    descs = as_list(c.get("descriptors"))
    read = c.get("descriptors_read")
    if rule == LOOP_RULE and len(entries) < len(descs):
        return ("loop", read_entry(descs[len(entries)])["name"])
    if rule == HEAD_RULE:
        return ("out-of-range", f"desc[{text(c.get('head'), '?')}]", f"the queue has {size}")
    if rule == NEXT_RULE and entries:
        last = entries[-1]
        if last["table"]:
            head = next((e for e in entries if not e["table"]), {})
            n = head.get("len") // 16 if is_num(head.get("len")) else "?"
            return ("out-of-range", f"table[{text(last['next'], '?')}]", f"the table has {n}")
        return ("out-of-range", f"desc[{text(last['next'], '?')}]", f"the queue has {size}")
    if is_num(read) and read > len(descs):
        return ("more", read - len(descs))
    if rule and entries:
        return ("refused",)
    return ("end",)


def read_chain(c, size):
    """One kept chain of the results as a drawing row (None when it is not an object)."""
    if not isinstance(c, dict):
        return None
    rule = None if c.get("taken") is not False else (text(c.get("refused_by")) or "refused")
    entries, seen = [], set()
    for x in as_list(c.get("descriptors")):
        e = read_entry(x)
        if (e["table"], e["idx"]) in seen:  # the walk came back: drawn up to here
            break
        seen.add((e["table"], e["idx"]))
        entries.append(e)
    rules = [text(r) for r in as_list(c.get("rules")) if text(r) and text(r) != rule]
    return {"n": c.get("n"), "t": c.get("t"), "head": c.get("head"), "rule": rule,
            "rules": rules, "entries": entries, "end": chain_end(c, entries, rule, size)}


def svg_rule_lines(rule, y):
    """A rule id left of the boxes; a long one on two lines, split after a dot."""
    lines = [rule]
    if len(rule) > 22 and "." in rule[:-1]:
        cut = rule.rfind(".", 0, 22) + 1 or rule.find(".") + 1
        lines = [rule[:cut], rule[cut:]]
    return [f'<text x="6" y="{y + 62 + 12 * k}" fill="#c62828" font-size="10.5">{esc(part)}</text>'
            for k, part in enumerate(lines)]


def svg_row_label(c, y):
    bad = c["rule"] is not None or c["rules"] or c["end"][0] not in ("end", "more")
    colour = "#c62828" if bad else "#222"
    label = f"pop #{text(c['n'], '?')}" if c["rule"] is None else "chain refused"
    out = [f'<text x="6" y="{y + 18}" font-weight="600" fill="{colour}">{esc(label)}</text>',
           f'<text x="6" y="{y + 33}" fill="#555">head {esc(c["head"], "?")}</text>',
           f'<text x="6" y="{y + 47}" fill="#555">t {esc(fmt_us(c["t"]))} µs</text>']
    rule = c["rule"] or (c["rules"][0] if c["rules"] else None)
    if rule:
        more = len(c["rules"]) - (0 if c["rule"] else 1)
        out += svg_rule_lines(rule + (f" +{more}" if more > 0 else ""), y)
    return out


def svg_badges(x, y, flags):
    """The flag badges, right-aligned on the box's first line."""
    out, bx = [], x + BW - 6
    for name, bit, col in FLAG_BADGES:
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
    return out


def svg_box(e, x, y, culprit):
    flags = e["flags"]
    write = bool((flags or 0) & F_WRITE)
    fill = "#fdf0e3" if write else "#eaf2fb"
    stroke = "#c62828" if culprit else ("#b4702a" if write else "#2f5d8c")
    sw = 2.5 if culprit else 1.2
    addr = f"0x{e['addr']:x}" if e["addr"] is not None else "addr ?"
    ln = f"{e['len']:,} B" if e["len"] is not None else "len ?"
    tip = (f"{e['name']}: addr {addr if e['addr'] is not None else '?'}, "
           f"len {text(e['len'], '?')}, flags {text(flags, '?')}, next {text(e['next'], '?')}")
    out = [f'<rect x="{x}" y="{y}" width="{BW}" height="{BH}" rx="5" fill="{fill}" '
           f'stroke="{stroke}" stroke-width="{sw}"><title>{esc(tip)}</title></rect>',
           f'<text x="{x + 8}" y="{y + 16}" font-weight="600">{esc(e["name"])}</text>',
           f'<text x="{x + 8}" y="{y + 32}" font-size="11" {MONO}>{esc(addr)}</text>',
           f'<text x="{x + 8}" y="{y + 48}" font-size="11" {MONO}>{esc(ln)}</text>']
    out += svg_badges(x, y, flags)
    if culprit:
        out.append(f'<text x="{x + BW - 8}" y="{y + 48}" text-anchor="end" '
                   'font-size="10.5" fill="#c62828" font-weight="600">✗ here</text>')
    elif (flags or 0) & F_INDIRECT and e["len"] is not None and not e["table"]:
        out.append(f'<text x="{x + 78}" y="{y + 48}" font-size="10.5" fill="#6f42c1">'
                   f"table of {e['len'] // 16}</text>")
    return out


def svg_arrow(x, y, label, bad, uid):
    col = "#c62828" if bad else "#555"
    marker = f"{uid}-bad" if bad else f"{uid}-arr"
    return [f'<line x1="{x}" y1="{y + BH / 2}" x2="{x + GAP - 2}" y2="{y + BH / 2}" '
            f'stroke="{col}" stroke-width="1.4" marker-end="url(#{marker})"/>',
            f'<text x="{x + GAP / 2}" y="{y + BH / 2 - 5}" text-anchor="middle" '
            f'font-size="10" fill="{col}">{esc(label, "?")}</text>']


def svg_end(end, x, y):
    """What follows the last box: a loop back, a descriptor that does not exist, or a count."""
    if end[0] == "loop":
        return [f'<text x="{x}" y="{y + BH / 2 + 4}" fill="#c62828" font-weight="600">'
                f"↩ {esc(end[1])} again: the chain loops</text>"]
    if end[0] == "more":
        return [f'<text x="{x}" y="{y + BH / 2 + 4}" fill="#555">… {end[1]:,} more descriptors '
                "read (not kept in the results)</text>"]
    if end[0] != "out-of-range":
        return []
    return [f'<rect x="{x}" y="{y}" width="{BW}" height="{BH}" rx="5" fill="#fdecea" '
            'stroke="#c62828" stroke-width="1.5" stroke-dasharray="5 3"/>',
            f'<text x="{x + 8}" y="{y + 16}" font-weight="600" fill="#c62828">{esc(end[1])}</text>',
            f'<text x="{x + 8}" y="{y + 34}" font-size="11" fill="#c62828">'
            f"no such {'entry' if end[1].startswith('table') else 'descriptor'}:</text>",
            f'<text x="{x + 8}" y="{y + 50}" font-size="11" fill="#c62828">{esc(end[2])}</text>']


def svg_row(c, y, uid):
    out = svg_row_label(c, y)
    x, entries, end = LEFT, c["entries"], c["end"]
    for k, e in enumerate(entries):
        last = k == len(entries) - 1
        out += svg_box(e, x, y, last and end[0] == "refused")
        x += BW
        if not last:
            nxt = entries[k + 1]
            out += svg_arrow(x, y, "table" if nxt["table"] and not e["table"] else e["next"],
                             False, uid)
        elif end[0] in ("loop", "out-of-range"):
            out += svg_arrow(x, y, e["next"], True, uid)
        x += GAP
    return out + svg_end(end, x, y)


def chains_svg(size, rows, met, uid):
    """One queue's kept chains, a row each; `met`: every chain the device met on the queue."""
    widest = max(len(c["entries"]) + (0 if c["end"][0] in ("end", "refused") else 1)
                 for c in rows)
    W = max(960, LEFT + widest * (BW + GAP) + 40)
    H = len(rows) * ROW + 8
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chains" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" role="img" font-size="12" '
           f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">',
           f"<title>{esc(f'Descriptor chains (queue size {size})')}</title>",
           f'<defs><marker id="{uid}-arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
           f'fill="#555"/></marker><marker id="{uid}-bad" viewBox="0 0 10 10" refX="9" refY="5" '
           'markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path '
           'd="M0,0 L10,5 L0,10 z" fill="#c62828"/></marker></defs>']
    for r, c in enumerate(rows):
        out += svg_row(c, 6 + r * ROW, uid)
    out.append("</svg>")
    cap = ("Each row is one chain as the device read it when it took it (pop) or refused it: its "
           "descriptors in the order the device read them, an indirect table's entries after the "
           "head that names it. Blue: the device reads the buffer; orange: the device writes it. "
           "Arrows follow NEXT; the number on an arrow is the next field.")
    if is_num(met) and met > len(rows):
        cap += (f" The device met {met:,} chains on this queue; the results keep the first ones "
                "and every one it refused.")
    return f'<figure class="svgwrap">{"".join(out)}<figcaption>{esc(cap)}</figcaption></figure>'


def queue_chains(q):
    """(queue index, size, rows, chains met) of one queue of the results, or None."""
    chains = as_dict(q.get("chains"))
    size = as_dict(q.get("device")).get("size") or q.get("size")
    rows = [r for r in (read_chain(c, text(size, "?")) for c in as_list(chains.get("kept"))) if r]
    if not rows:
        return None
    return q.get("index"), text(size, "?"), rows, chains.get("met")


def render_chains(d, anchor="s"):
    """The 'Descriptor chains' section of one scenario ("" when the device met none)."""
    queues = [q for q in as_list(d.get("queues")) if isinstance(q, dict)]
    per_queue = [pq for pq in (queue_chains(q) for q in queues) if pq]
    if not per_queue:
        if any(as_dict(ev).get("kind") == "pop" for ev in as_list(d.get("trace"))) and \
                not any("chains" in q for q in queues):
            return ("<h3>Descriptor chains</h3><p class=\"muted\">These results do not say which "
                    "chains the device took (no <code>chains</code> key in their queues: an older "
                    "vqsim wrote them).</p>")
        return ""
    out = ["<h3>Descriptor chains</h3>"]
    for qi, size, rows, met in per_queue:
        if len(per_queue) > 1:
            out.append(f"<h4>Queue {esc(qi, '?')}</h4>")
        out.append(chains_svg(size, rows, met, f"{anchor}-q{text(qi, 'x')}"))
    return "".join(out)
