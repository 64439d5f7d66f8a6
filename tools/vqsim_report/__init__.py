"""vqsim's report: `vqsim run --json` / `vqsim check --json` results as a static HTML page and/or
JUnit XML (the command is tools/report.py; `cli.main`).

Reads one or more results files (schema `vqsim-results/1`, see docs/results-schema.md) and writes

  * DIR/index.html  (-o DIR): a self-contained page - inline CSS and SVG, no JavaScript, no network.
    The summary: scenarios passed / failed, violations by rule and by spec section, and rule
    coverage by area (from spec/rules.yaml, `--rules FILE`: rules, checked, proven by a scenario,
    fired in these results; the `observable` and `legacy` columns appear when the catalogue has
    those fields). Per scenario: verdict, diagnosis, violations, steps, the ring layout drawn to
    scale (driver vs device addresses), the descriptor chains the device met as linked boxes with
    their flags (as its pop read them: each queue's `chains`), the timeline, and the scanout PNG
    (`display.png`) with the difference image (`display.diff_png`) beside it when there is one;
    the PNGs are copied next to the page and shown with a relative <img>.
  * DIR/viewer/     (-o DIR): per scenario a step-through viewer page, NAME.html, and its data,
    NAME.data.js (the run's trace, compact), with the shared viewer.js / rings_split.js /
    viewer.css: offline, loaded only when that page is opened (viewer_data, viewer_page).
  * FILE            (--junit FILE): JUnit XML, one <testcase> per scenario.

Standard library and PyYAML (python3-yaml, for the rule catalogue; without it the page has no
coverage table). Unknown keys and trace kinds are ignored; the optional keys (trace, queues,
chains, display, diagnosis, ...) may be missing. Exit status: 0 written, 1 an output could not
be written, 2 usage error or an input that is unreadable or not a vqsim results file.

One module per concern:
  values    tolerant accessors and formatting of JSON values
  inputs    results files into scenarios, anchors, the scanout PNGs copied next to the page
  layout    a queue's ring layout (SVG, to scale)
  chains    the descriptor chains the device met (SVG), from each queue's `chains`
  timeline  the trace, folded
  sections  one scenario's section of the page
  page      the whole page: summary, coverage, index, scenarios (style: its CSS)
  coverage  rule coverage by area, from spec/rules.yaml (PyYAML)
  junit     JUnit XML
  viewer_data  a scenario's trace as the viewer's data (bounded, nothing left out silently)
  viewer_page  the viewer pages, the shared scripts copied beside them, the tour's moments
  cli       the command line
"""
