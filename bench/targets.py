#!/usr/bin/env python3
"""The last table of `make bench`: every row of issue 24's table against its target, from the
figures the other tables printed in the same run.

usage: targets.py BENCH_OUTPUT   (bench/bench.sh passes what it printed so far)

Each row says "met" or "NOT met" with this run's figure, or "n/a" with the reason the figure is
missing (a table skipped: BENCH_NO_CALLGRIND, BENCH_NO_QEMU, no Linux guest). The figures are
read from the tables' own rows, so a row renamed in a table shows here as n/a, never as a stale
or invented number. The packed ring and virtio-pci rows stand beside the split ring / virtio-mmio
ones. Standard library only.
"""
import re
import sys


def cell_row(text, label_start, after=None):
    """The cells of the first markdown row whose label starts with label_start (after the line
    `after`, when given), or None."""
    if after is not None:
        i = text.find(after)
        if i < 0:
            return None
        text = text[i:]
    for line in text.splitlines():
        if line.startswith("| " + label_start):
            return [c.strip() for c in line.strip().strip("|").split("|")]
    return None


def num(cell):
    m = re.search(r"-?\d+(?:\.\d+)?", cell.replace(",", "")) if cell else None
    return float(m.group(0)) if m else None


def figures(text):
    """Every figure the verdicts need, None where the run did not print it."""
    f = {}
    t1b = "## 1b. Instructions per round trip"
    for key, label in (("floor", "floor: bare ring"), ("off", "driver + model, checks off"),
                       ("on", "driver + model, checks on"),
                       ("packed_off", "packed ring: driver + model, checks off"),
                       ("packed_on", "packed ring: driver + model, checks on"),
                       ("pci_off", "virtio-pci (queue 16): driver + model, checks off"),
                       ("pci_on", "virtio-pci (queue 16): driver + model, checks on")):
        r = cell_row(text, label, after=t1b)
        f["ir_" + key] = num(r[1]) if r else None
    t1 = "## 1. Round trip"
    for key, label in (("off", "driver + model, checks off"),
                       ("on", "driver + model, checks on (default trace bound"),
                       ("packed_off", "packed ring: driver + model, checks off"),
                       ("packed_on", "packed ring: driver + model, checks on"),
                       ("pci_off", "virtio-pci (queue 16): driver + model, checks off"),
                       ("pci_on", "virtio-pci (queue 16): driver + model, checks on")):
        r = cell_row(text, label, after=t1)
        f["ns_" + key] = num(r[1]) if r else None
    r = cell_row(text, "TRANSFER_TO_HOST_2D + RESOURCE_FLUSH", after="## 2. Transfer")
    f["transfer"] = num(r[3]) if r else None
    r = cell_row(text, "RESOURCE_FLUSH only", after="## 2. Transfer")
    f["flush"] = num(r[3]) if r else None
    t3 = "## 3. Suite"
    m = re.search(r"## 3\. Suite \((\d+) scenarios", text)
    f["n_scenarios"] = int(m.group(1)) if m else None
    for key, label in (("suite1", "whole suite, one `vqsim run` (-j 1)"),
                       ("suite2", "whole suite, one `vqsim run -j 2`"),
                       ("qemu", "QEMU: start to process exit")):
        r = cell_row(text, label, after=t3)
        f[key] = (num(r[1]), num(r[2])) if r else (None, None)
    linux(text, f)
    return f


def linux(text, f):
    """Table 6 (bench/linux_record.py): per case, record / plain, the recording, the check."""
    for case in ("modern", "busy"):
        f[case] = {}
        i = text.find(f"\n### {case}\n")
        if i < 0:
            continue
        j = text.find("\n### ", i + 1)
        part = text[i:j if j > 0 else len(text)]
        c = f[case]
        m = re.search(r"record / plain: ([\d.]+)x", part)
        c["ratio"] = float(m.group(1)) if m else None
        r = cell_row(part, "vqsim record |")
        c["record_s"] = num(r[1]) if r else None
        # (linux_record.py may say more in parentheses: the format, the events/s)
        m = re.search(r"recording: ([\d.]+) MB(?: \([^)]*\))?, (\d+) events", part)
        c["mb"], c["events"] = (float(m.group(1)), int(m.group(2))) if m else (None, None)
        m = re.search(r"vqsim check: ([\d.]+) s(?: \([^)]*\))?, peak memory ([\d.]+) MiB", part)
        c["check_s"], c["check_mib"] = (float(m.group(1)), float(m.group(2))) if m else (None,
                                                                                         None)


def verdict(ok):
    return "met" if ok else "NOT met"


def missing(*xs):
    return any(x is None for x in xs)


def rows(f, why_missing):
    """(figure, this run, target, verdict) for every row of the issue's table, and the packed /
    PCI rows beside them."""
    out = []

    def na(table):
        return f"n/a ({why_missing.get(table, 'not printed in this run')})"

    def instructions(label, on, off, floor):
        if missing(on, off, floor):
            return (label, "-", "<= 1,000 (<= 20x the bare ring)", na("1b"))
        return (label, f"{on:.0f} ({on / floor:.0f}x the {floor:.0f}-instruction bare ring; "
                f"checks off {off:.0f})", "<= 1,000 (<= 20x the bare ring)",
                verdict(on <= 1000 and on <= 20 * floor))

    def on_off(label, ir_on, ir_off, ns_on, ns_off):
        figs = []
        ok = True
        if not missing(ir_on, ir_off):
            figs.append(f"{ir_on / ir_off:.2f}x instructions")
            ok = ok and ir_on / ir_off <= 1.5
        if not missing(ns_on, ns_off):
            figs.append(f"{ns_on / ns_off:.2f}x wall")
            ok = ok and ns_on / ns_off <= 1.5
        if not figs:
            return (label, "-", "<= 1.5x", na("1"))
        return (label, ", ".join(figs), "<= 1.5x", verdict(ok))

    out.append(instructions("instructions per checked round trip (callgrind)", f["ir_on"],
                            f["ir_off"], f["ir_floor"]))
    out.append(on_off("checks on / checks off", f["ir_on"], f["ir_off"], f["ns_on"], f["ns_off"]))
    for ring, key in (("packed ring", "packed"), ("virtio-pci", "pci")):
        out.append(instructions(f"{ring}: instructions per checked round trip", f[f"ir_{key}_on"],
                                f[f"ir_{key}_off"], f["ir_floor"]))
        out.append(on_off(f"{ring}: checks on / checks off", f[f"ir_{key}_on"],
                          f[f"ir_{key}_off"], f[f"ns_{key}_on"], f[f"ns_{key}_off"]))
    t = f["transfer"]
    out.append(("TRANSFER_TO_HOST_2D + RESOURCE_FLUSH of a 1080p frame / memcpy",
                f"{t:.2f}x (flush alone {f['flush']:.2f}x)" if t is not None else "-", ">= 0.7x",
                verdict(t >= 0.7) if t is not None else na("2")))
    (s1, s1c), (s2, s2c), (q, qc) = f["suite1"], f["suite2"], f["qemu"]
    n = f["n_scenarios"]
    if missing(s2, q):
        out.append(("whole suite, `vqsim run -j 2` / one QEMU 7.2 boot-to-screendump",
                    f"{s2:.1f} ms" if s2 is not None else "-", "faster than one QEMU boot",
                    na("3")))
    else:
        out.append(("whole suite, `vqsim run -j 2` / one QEMU 7.2 boot-to-screendump",
                    f"{s2:.1f} ms vs {q:.1f} ms ({s2c:.1f} ms CPU vs {qc:.1f})",
                    "faster than one QEMU boot", verdict(s2 < q)))
    if missing(s1, q, n):
        out.append(("per scenario in the suite vs its QEMU run", "-", ">= 100x", na("3")))
    else:
        per = s1 / n
        out.append(("per scenario in the suite vs its QEMU run",
                    f"{q / per:.0f}x ({per:.2f} ms per scenario, -j 1 / {n}; "
                    f"CPU {qc / (s1c / n):.0f}x)", ">= 100x", verdict(q / per >= 100)))
    mo, bu = f["modern"], f["busy"]
    r = mo.get("ratio")
    out.append(("`vqsim record` on a Linux boot / plain QEMU",
                f"{r:.2f}x (median)" if r is not None else "-", "<= 1.3x",
                verdict(r <= 1.3) if r is not None else na("6")))
    mb, rs = bu.get("mb"), bu.get("record_s")
    out.append(("recording size, Linux boot with a busy display",
                f"{mb / rs:.2f} MB/s ({mb:.2f} MB in a {rs:.1f} s recorded run)"
                if not missing(mb, rs) else "-", "<= 0.3 MB/s",
                verdict(mb / rs <= 0.3) if not missing(mb, rs) else na("6")))
    ev, cs = bu.get("events"), bu.get("check_s")
    out.append(("`vqsim check` throughput",
                f"{ev / cs / 1e6:.2f} M events/s ({ev} events in {cs:.2f} s)"
                if not missing(ev, cs) and cs > 0 else "-", ">= 10 M events/s",
                verdict(ev / cs >= 10e6) if not missing(ev, cs) and cs > 0 else na("6")))
    out.append(check_memory(mo, bu, na))
    return out


def check_memory(mo, bu, na):
    """Flat in recording length: the longer recording (at least 4x the events: memory growing
    with length would grow about as much) needs at most 1.5x the shorter one's peak memory."""
    what, target = "`vqsim check` memory", "flat in recording length (<= 1.5x for >= 4x the events)"
    e1, m1, e2, m2 = mo.get("events"), mo.get("check_mib"), bu.get("events"), bu.get("check_mib")
    if missing(e1, m1, e2, m2):
        return (what, "-", target, na("6"))
    fig = f"{m1:.1f} MiB at {e1} events, {m2:.1f} MiB at {e2} ({m2 / m1:.2f}x)"
    if e2 < 4 * e1:
        return (what, fig, target, "n/a (the recordings differ less than 4x in length)")
    return (what, fig, target, verdict(m2 <= 1.5 * m1))


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    why = {}
    for table, pat in (("1b", r"## 1b\. Instructions per round trip: (.*)"),
                       ("3", r"\| QEMU boot-to-screendump \| (n/a[^|]*)"),
                       ("6", r"## 6\. Recording a Linux guest.*\n\n(n/a.*)")):
        m = re.search(pat, text)
        if m:  # "skipped (X)", "n/a (X)", "n/a: X" -> X
            reason = m.group(1).strip()
            inner = re.search(r"\(([^()]*)\)\s*$", reason)
            why[table] = inner.group(1) if inner else re.sub(r"^n/a:?\s*", "", reason)
    print("\n## Targets (issue 24): this run's figures\n")
    print("| figure | this run | target | verdict |")
    print("|---|---|---|---|")
    for what, fig, target, v in rows(figures(text), why):
        print(f"| {what} | {fig} | {target} | {v} |")


if __name__ == "__main__":
    main()
