"""JUnit XML: one <testcase> per scenario, a <failure> with the reasons for each failed one."""

import xml.etree.ElementTree as ET

from .values import as_dict, as_list, text


def failure_text(sc):
    """The body of a failed scenario's <failure>: outcome, the failed expectations, the
    violations by rule id and the diagnosis with its evidence."""
    d = sc.d
    exp = as_dict(d.get("expected"))
    lines = [f"outcome: {text(d.get('outcome'), '?')} (expected: {text(exp.get('outcome'), '?')})"]
    failures = [text(f) for f in as_list(d.get("failures"))]
    if failures:
        lines.append("failures:")
        lines += [f"  - {f}" for f in failures]
    viols = [as_dict(v) for v in as_list(d.get("violations"))]
    if viols:  # the rule ids, for a CI log to be searched by
        lines.append("violations:")
        for v in viols:
            sect = f" (§{text(v.get('section'))})" if v.get("section") is not None else ""
            lines.append(f"  - {text(v.get('rule'), '?')}{sect}: {text(v.get('message'))}")
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
    """The JUnit document of these scenarios (a string, XML declaration first)."""
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
