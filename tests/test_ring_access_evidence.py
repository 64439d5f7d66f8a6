"""A checked ring access is located once (src/model/rings/ring_at.h) for every check of it: the
evidence that depends on where a store fell keeps naming the right descriptor and store.

A chain that loops is reported with the driver's store that made the loop (run_facts: which
descriptor's next a store wrote). Checked here through the ring accessors, live and replayed from
a recording; tests/test_foreign_corpus.py checks the same evidence in plain ring access."""
import json

from conftest import ROOT, run

LOOP = ROOT / "scenarios" / "rules" / "split-desc-no-loops.yaml"
HEAD = ("queue 0: chain from head 0 has more than 16 descriptors: it loops: descriptor 0 links "
        "back to descriptor 0 (desc[0].next = 0, NEXT set); the driver stored it at t=")


def loop_message(doc):
    (s,) = doc["scenarios"]
    (v,) = [v for v in s["violations"] if v["rule"] == "split.desc.no-loops"]
    return v["message"]


def test_loop_names_the_store_that_made_it(vqsim, tmp_path):
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, LOOP)
    assert p.returncode == 0, p.stdout + p.stderr
    assert loop_message(json.loads(out.read_text())) == HEAD + (
        "3200 ns — replayed bug rewrite-ring-store: the driver stored the rewritten value")


def test_loop_store_found_in_a_recording(vqsim, tmp_path):
    rec, out = tmp_path / "rec", tmp_path / "c.json"
    p = run(vqsim, "run", "--record", rec, LOOP)
    assert p.returncode == 0, p.stdout + p.stderr
    (r,) = rec.glob("*.vqrec")
    run(vqsim, "check", "--json", out, r)
    assert loop_message(json.loads(out.read_text())) == HEAD + "3201 ns"
