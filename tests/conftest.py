"""Shared fixtures: the vqsim binary and a helper to run it."""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.yaml"))


def vqsim_path():
    p = pathlib.Path(os.environ.get("VQSIM", ROOT / "build" / "vqsim"))
    if not p.is_absolute():
        p = ROOT / p
    return p


@pytest.fixture(scope="session")
def vqsim():
    p = vqsim_path()
    if not p.exists():
        pytest.fail(f"{p} does not exist: build first (make test does)")
    return p


def run(vqsim, *args, cwd=ROOT):
    return subprocess.run([str(vqsim), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="session")
def all_results(vqsim, tmp_path_factory):
    """One run of every scenario, as `make run` does: (process, parsed JSON by scenario name)."""
    out = tmp_path_factory.mktemp("all") / "results.json"
    png = out.parent / "png"
    p = run(vqsim, "run", "--json", out, "--png", png, *[s.relative_to(ROOT) for s in SCENARIOS])
    doc = json.loads(out.read_text())
    return p, doc, {s["name"]: s for s in doc["scenarios"]}
