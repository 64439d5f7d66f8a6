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


def expected_table():
    rows = {}
    for r in RULES:
        if (r.get("role") != "driver" or r.get("legacy") is True
                or r.get("level") not in ("MUST", "MUST NOT")
                or observable(r) not in ("yes", "partly")):
            continue
        row = rows.setdefault(r["area"], [0, 0, 0])
        row[0] += 1
        if r.get("check"):
            row[1] += 1
            if r.get("proven_by"):
                row[2] += 1
    return rows


def parse(stdout):
    lines = stdout.strip().splitlines()
    assert lines[1].split() == ["area", "observable", "checked", "proven"]
    table = {}
    for line in lines[2:]:
        area, *nums = line.split()
        table[area] = [int(x) for x in nums]
    return table


def test_coverage_matches_the_catalogue(vqsim):
    p = run(vqsim, "rules", "--coverage")
    assert p.returncode == 0, p.stderr
    got = parse(p.stdout)
    want = expected_table()
    total = [sum(v[i] for v in want.values()) for i in range(3)]
    assert got.pop("total") == total
    assert got == want
    # Areas print in the order they first appear in the catalogue.
    order = [line.split()[0] for line in p.stdout.strip().splitlines()[2:-1]]
    assert order == list(dict.fromkeys(r["area"] for r in RULES if r["area"] in want))


def test_coverage_counts_only_observable_non_legacy_musts():
    # The fixture for the rule above must see every kind of entry it filters on, once the
    # catalogue has them; at least the areas this branch fills are present.
    areas = {r["area"] for r in RULES if observable(r) in ("yes", "partly")}
    assert {"status", "init", "mmio", "features", "config"} <= areas


def test_coverage_rejects_unknown_option(vqsim):
    p = run(vqsim, "rules", "--covrage")
    assert p.returncode == 2
    assert "unknown option '--covrage'" in p.stderr
