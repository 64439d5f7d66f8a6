"""spec/rules.yaml is the one catalogue: every check has an entry, every checked entry is proven
by a scenario in which it fires, and every rule scenario is tied to its rule."""
import pathlib
import re

import yaml

from conftest import ROOT, run

RULES = yaml.safe_load((ROOT / "spec" / "rules.yaml").read_text())["rules"]
BY_ID = {r["id"]: r for r in RULES}


def rule_ids_in_checks():
    ids = set()
    # (.h too: a ring's hot paths are inline code in a header, rings/split_hot.h)
    for f in (ROOT / "src" / "model").rglob("*.[ch]"):
        text = f.read_text()
        ids |= set(re.findall(r'machine_(?:violation|break_device|inform)\(\s*m,\s*"([^"]+)"',
                              text))
        # a ring format reports its own rules through its hooks (rings/ring_hooks.h)
        ids |= set(re.findall(r'ring_finding\(\s*q,\s*RING_\w+,\s*"([^"]+)"', text))
    return ids


def test_catalogue_entries_are_complete():
    assert len(BY_ID) == len(RULES), "duplicate ids"
    for r in RULES:
        for k in ("id", "section", "title", "area", "role", "level", "statement"):
            assert r.get(k), (r["id"], k)
        assert re.fullmatch(r"\d+(\.\d+)*|-", r["section"]), r["id"]
        if r.get("check"):
            assert r.get("qemu"), r["id"]
        else:
            assert r.get("not_checked_because"), r["id"]


def test_every_check_has_an_entry():
    used = rule_ids_in_checks()
    assert used, "the pattern that finds checks found none"
    missing = used - set(BY_ID)
    assert not missing, f"checks report rule ids missing from spec/rules.yaml: {missing}"
    checked = {r["id"] for r in RULES if r.get("check")}
    assert used == checked, f"entries marked checked that no check reports: {checked - used}"


def test_every_checked_rule_fires_in_its_scenario(all_results):
    by_file = {s["file"]: s for s in all_results[1]["scenarios"]}
    for r in RULES:
        if not r.get("check"):
            continue
        assert r.get("proven_by"), f"{r['id']} has no scenario proving it fires"
        for f in r["proven_by"]:
            assert (ROOT / f).exists(), f
            res = by_file[f]
            # an informational rule is reported apart, never as a violation
            key = "informational" if r["level"] == "informational" else "violations"
            assert r["id"] in {v["rule"] for v in res[key]}, (r["id"], f)
            other = "violations" if key == "informational" else "informational"
            assert r["id"] not in {v["rule"] for v in res[other]}, (r["id"], f)
            assert res["passed"], (f, res["failures"])


def test_every_rule_scenario_is_in_the_catalogue():
    proven = {f for r in RULES for f in r.get("proven_by", [])}
    for f in sorted((ROOT / "scenarios" / "rules").glob("*.yaml")):
        assert str(f.relative_to(ROOT)) in proven, f


def test_vqsim_rules_lists_the_catalogue(vqsim):
    p = run(vqsim, "rules")
    assert p.returncode == 0
    for r in RULES:
        assert r["id"] in p.stdout
    checked = sum(1 for r in RULES if r.get("check"))
    assert p.stdout.strip().splitlines()[-1] == f"{len(RULES)} rules, {checked} checked"


CAUSES = yaml.safe_load((ROOT / "spec" / "rules.yaml").read_text())["causes"]


def cause_ids_in_engine():
    text = (ROOT / "src" / "model" / "diagnosis" / "diagnosis.c").read_text()
    body = text.split("diag_cause_ids[] = {", 1)[1].split("NULL}", 1)[0]
    return re.findall(r'"([a-z-]+)"', body)


def test_every_cause_is_in_the_catalogue():
    """spec/rules.yaml's causes: are the engine's, in its causal order, each with its section,
    a statement, and the scenarios (and foreign-driver corpus tests) that name it."""
    assert [c["cause"] for c in CAUSES] == cause_ids_in_engine()
    corpus = (ROOT / "tests" / "test_foreign_corpus.py").read_text()
    for c in CAUSES:
        assert c.get("statement"), c["cause"]
        if c.get("section") == "rule":
            assert "title" not in c
        elif "sections" in c:
            assert len(c["sections"]) == len(c["titles"]) > 1, c["cause"]
        else:
            assert re.fullmatch(r"\d+(\.\d+)*", c["section"]) and c["title"], c["cause"]
        if c["cause"] != "unexplained":  # no scenario can be left unexplained on purpose
            assert c["proven_by"], c["cause"]
        for t in c.get("corpus", []):
            assert f"\ndef {t}(" in corpus, (c["cause"], t)


def test_every_cause_is_named_in_its_scenarios(all_results):
    by_file = {s["file"]: s for s in all_results[1]["scenarios"]}
    rules = {r["id"]: r for r in RULES}
    for c in CAUSES:
        for f in c["proven_by"]:
            res = by_file[f]
            assert res["passed"], (f, res["failures"])
            named = [x for x in res["diagnosis"]["causes"] if x["cause"] == c["cause"]]
            assert named, (c["cause"], f)
            got = (named[0]["section"], named[0]["title"])
            if c.get("section") == "rule":  # the section of a rule that fired in the run
                assert got in {(rules[v["rule"]]["section"], rules[v["rule"]]["title"])
                               for v in res["violations"]} | {
                    ("2.1.2", "Device Requirements: Device Status Field")}, (c["cause"], f)
            elif "sections" in c:
                assert got in set(zip(c["sections"], c["titles"])), (c["cause"], f)
            else:
                assert got == (c["section"], c["title"]), (c["cause"], f)
