"""The page's stylesheet, inlined (the page loads nothing)."""


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
