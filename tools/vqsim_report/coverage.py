"""Rule coverage by area, from the rule catalogue (spec/rules.yaml, read with PyYAML): rules,
checked, proven by a scenario, fired in these results."""

import os
import re

from .inputs import warn
from .values import as_dict, as_list, esc, text

try:
    import yaml  # python3-yaml (tools/setup-deps.sh installs it)
except ImportError:  # the report is still written, without the coverage table
    yaml = None

DEFAULT_RULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                             "spec", "rules.yaml")
# The catalogue's area banners ("# ==== area: status"): comments, so not in what YAML reads; they
# give the areas' order, and list an area that has no rule yet.
_AREA_LINE = re.compile(r"^\s*#\s*=+\s*area:\s*([\w-]+)\s*$", re.M)


def load_catalogue(path):
    """(areas in file order, rules) from spec/rules.yaml, or None when it cannot be read."""
    if yaml is None:
        warn(f"{path}: PyYAML is not installed (Debian: python3-yaml); no coverage table")
        return None
    try:
        with open(path, encoding="utf-8") as f:
            raw = f.read()
    except (OSError, ValueError) as e:  # ValueError: not UTF-8
        warn(f"{path}: cannot read the rule catalogue ({getattr(e, 'strerror', None) or e}); "
             "no coverage table")
        return None
    try:
        rules = as_list(as_dict(yaml.safe_load(raw)).get("rules"))
    except yaml.YAMLError as e:  # a broken catalogue must not stop the report
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
