"""`vqsim rules --coverage` counts spec/rules.yaml: per area, the observable (yes/partly),
non-legacy driver MUST / MUST NOT entries, how many are checked, and how many are proven by a
scenario. The expected numbers are computed here from the YAML, independently of the C code."""
import yaml

from conftest import ROOT, run

RULES = yaml.safe_load((ROOT / "spec" / "rules.yaml").read_text())["rules"]


def observable(r):
    """YAML 1.1 (PyYAML) reads a bare yes/no as a boolean; the C loader keeps the word."""
    v = r.get("observable")
    return {True: "yes", False: "no"}.get(v, v) if isinstance(v, bool) else str(v)


def normative(r):
    """The catalogue statement ids an entry covers; informative constraints (info.…) excluded."""
    return [c for c in r.get("catalogue") or [] if not c.startswith("info.")]


def counted(r):
    return (r.get("role") == "driver" and r.get("legacy") is not True
            and r.get("level") in ("MUST", "MUST NOT")
            and observable(r) in ("yes", "partly"))


def expected_table():
    """area -> [statements, entries, checked, proven, argued]"""
    rows, ids = {}, {}
    for r in RULES:
        if not counted(r):
            continue
        row = rows.setdefault(r["area"], [0, 0, 0, 0, 0])
        ids.setdefault(r["area"], set()).update(normative(r))
        row[1] += 1
        if r.get("check"):
            row[2] += 1
            row[3] += bool(r.get("proven_by"))
        elif r.get("not_checked_because"):
            row[4] += 1
    for area, row in rows.items():
        row[0] = len(ids[area])
    return rows


def expected_statements():
    """(total, proven, argued) over distinct catalogue statement ids."""
    entries = [r for r in RULES if counted(r)]
    ids = list(dict.fromkeys(c for r in entries for c in normative(r)))
    proven = {c for r in entries if r.get("check") and r.get("proven_by") for c in normative(r)}
    argued = {c for r in entries if not r.get("check") and r.get("not_checked_because")
              for c in normative(r)} - proven
    return len(ids), len(proven), len(argued)


def parse(stdout):
    lines = stdout.strip().splitlines()
    assert lines[1].split() == ["area", "statements", "entries", "checked", "proven", "argued"]
    table = {}
    for line in lines[2:-1]:
        area, *nums = line.split()
        table[area] = [int(x) for x in nums]
    return table


def test_coverage_matches_the_catalogue(vqsim):
    p = run(vqsim, "rules", "--coverage")
    assert p.returncode == 0, p.stderr
    got = parse(p.stdout)
    want = expected_table()
    total = [sum(v[i] for v in want.values()) for i in range(5)]
    assert got.pop("total") == total
    assert got == want
    # Areas print in the order they first appear in the catalogue.
    order = [line.split()[0] for line in p.stdout.strip().splitlines()[2:-2]]
    assert order == list(dict.fromkeys(r["area"] for r in RULES if r["area"] in want))
    n, proven, argued = expected_statements()
    assert p.stdout.strip().splitlines()[-1] == (
        f"{proven} of {n} statements checked and proven by a firing scenario; {argued} not "
        "checked, each argued in spec/rules.yaml (not_checked_because)")


def test_every_observable_statement_is_checked_or_argued():
    """Issue 3's bar: each observable non-legacy driver MUST / MUST NOT is checked and proven, or
    its entry argues why not. An entry that is neither fails here."""
    for r in RULES:
        if counted(r):
            assert (r.get("check") and r.get("proven_by")) or r.get("not_checked_because"), r["id"]
    n, proven, argued = expected_statements()
    assert proven + argued == n


def test_coverage_counts_only_observable_non_legacy_musts():
    # The fixture for the rule above must see every kind of entry it filters on, once the
    # catalogue has them; at least the areas this branch fills are present.
    areas = {r["area"] for r in RULES if observable(r) in ("yes", "partly")}
    assert {"status", "init", "mmio", "features", "config"} <= areas


def test_coverage_rejects_unknown_option(vqsim):
    p = run(vqsim, "rules", "--covrage")
    assert p.returncode == 2
    assert "unknown option '--covrage'" in p.stderr
