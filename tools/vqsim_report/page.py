"""The whole page: the summary (counts, violations by rule and by spec section, rule coverage,
the scenario index), then a section per scenario."""

from .coverage import render_coverage
from .sections import render_by_rule, render_scenario, sec_ref
from .style import CSS
from .values import as_dict, as_list, esc, is_num, text


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
    specs = sorted({text(s.d.get("spec_version")) for s in scenarios} - {""})
    if specs:  # the VirtIO version(s) the scenarios were judged against
        meta.append("judged against " + ", ".join(
            "QEMU 7.2 (VirtIO 1.1 + later)" if v == "qemu-7.2" else f"VirtIO {esc(v)}"
            for v in specs))
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
