"""The differential suite: every scenario that can run on real QEMU runs there too (the
unchanged driver, bare metal, ports/aarch64-virt) and on the simulator; any disagreement fails.

tools/setup-deps.sh (run by `make test`) installs qemu-system-arm, clang and lld; without them
these tests fail rather than skip, so a machine that cannot run them is noticed."""
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, SCENARIOS, vqsim_path

TOOL = ROOT / "tools" / "qemu_diff.py"


def build_dir():
    return vqsim_path().parent


def qemu_diff(tmp_path, *args):
    out = tmp_path / "diff.json"
    p = subprocess.run([sys.executable, str(TOOL), "--build", str(build_dir()), "--json",
                        str(out), *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    doc = json.loads(out.read_text()) if out.exists() else {"results": []}
    return p, {r["name"]: r for r in doc["results"]}


@pytest.fixture(scope="session")
def tools_present():
    for t in ("qemu-system-aarch64", "clang", "ld.lld"):
        if not shutil.which(t):
            pytest.fail(f"{t} is missing: tools/setup-deps.sh (make test) installs it")
    for t in ("vqsim-steptable", "vqsim-wrong-legacy-used"):
        if not (build_dir() / t).exists():
            pytest.fail(f"{build_dir() / t} is missing: make build")


@pytest.fixture(scope="session")
def everything(tools_present, tmp_path_factory):
    """One differential run over every scenario, shared by the pytest-xdist workers (the first
    to take the lock runs it; the others read its result)."""
    scen = [s.relative_to(ROOT) for s in SCENARIOS]
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return qemu_diff(tmp_path_factory.mktemp("qemu"), *scen)
    shared = tmp_path_factory.getbasetemp().parent / "qemu-diff"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "result.json"
        if not done.exists():
            p, res = qemu_diff(shared, *scen)
            done.write_text(json.dumps({"rc": p.returncode, "out": p.stdout + p.stderr,
                                        "res": res}))
        d = json.loads(done.read_text())
    return subprocess.CompletedProcess([], d["rc"], d["out"], ""), d["res"]


def test_no_scenario_disagrees(everything):
    p, res = everything
    bad = {n: r["diffs"] for n, r in res.items() if r["verdict"] not in ("agree", "skip")}
    assert not bad, p.stdout + p.stderr
    assert p.returncode == 0, p.stdout + p.stderr
    assert len(res) == len(SCENARIOS)
    # Most of the suite runs on QEMU: the skips are the exception, each with its reason.
    agree = [n for n, r in res.items() if r["verdict"] == "agree"]
    assert len(agree) >= 110, agree
    for n, r in res.items():
        if r["verdict"] == "skip":
            assert len(r["reason"]) > 20, (n, r)


@pytest.mark.parametrize("name,transport", [("modern-display", 2), ("legacy-display", 1),
                                            ("gpu-demo", 2)])
def test_display_pixel_exact_on_both_transports(everything, name, transport):
    _, res = everything
    r = res[name]
    assert r["verdict"] == "agree", r
    assert r["simulator"] == "ok" and r["qemu"] == "ok"
    assert any("pixel-exact" in n for n in r["notes"]), r["notes"]
    doc = yaml.safe_load((ROOT / r["scenario"]).read_text())
    assert doc["device"]["transport"] == ("legacy" if transport == 1 else "modern")


@pytest.mark.parametrize("name", ["pci-display", "pci-demo"])
def test_display_pixel_exact_over_pci(everything, name):
    """The same driver over virtio-pci: the port enumerates the ECAM, sizes and assigns BAR4,
    and drives QEMU's virtio-gpu-pci; the picture (the demo: cursor queue included) is the
    model's, pixel for pixel."""
    _, res = everything
    r = res[name]
    assert r["verdict"] == "agree", r
    assert r["simulator"] == "ok" and r["qemu"] == "ok"
    assert any("pixel-exact" in n for n in r["notes"]), r["notes"]
    assert yaml.safe_load((ROOT / r["scenario"]).read_text())["transport"] == "pci"


def test_legacy_layout_hang_agrees(everything):
    """QEMU does the work and writes the used ring where the model says (+0x1000), but the
    driver polls +0x128 and times out, on both; the scanout stays inactive on both."""
    _, res = everything
    r = res["legacy-used-ring-misaligned"]
    assert r["verdict"] == "agree", r
    assert r["simulator"] == "timeout" and r["qemu"] == "timeout"
    assert r["violations"] == ["split.legacy.layout"]
    # QEMU answered all the same: used.idx 1 and a 408-byte display-info answer at +0x1000,
    # where the model's device wrote them too.
    assert r["probes"] == [{"addr": "0x40101000", "idx": "1", "id0": "0", "len0": "408"}]
    assert any("placeholder" in n for n in r["notes"]), r["notes"]


def test_at_least_five_replayed_bugs_agree(everything):
    _, res = everything
    with_bugs = []
    for n, r in res.items():
        doc = yaml.safe_load((ROOT / r["scenario"]).read_text())
        if doc.get("bugs") and r["verdict"] == "agree":
            with_bugs.append(n)
    assert len(with_bugs) >= 5, with_bugs
    # Bugs QEMU reacts to with a hang, not only rule violations.
    assert sum(res[n]["qemu"] == "timeout" for n in with_bugs) >= 3, with_bugs
    # Ring-side bugs too, replayed by the port where QEMU put the rings.
    ring = [n for n in with_bugs
            if any(k in (ROOT / res[n]["scenario"]).read_text()
                   for k in ("rewrite-ring-store", "rewrite-ring-load", "ring-init"))]
    assert len(ring) >= 10, ring
    for n in ("avail-idx-not-advanced", "legacy-queue-num-unset", "notify-never-written"):
        assert res[n]["verdict"] == "agree" and res[n]["qemu"] == "timeout", res[n]


def test_qemu_skip_key_is_honoured(everything):
    _, res = everything
    r = res["interrupt-not-acknowledged"]
    assert r["verdict"] == "skip" and r["reason"].startswith("timing:"), r


def test_wrong_legacy_used_formula_is_caught(tools_present, tmp_path):
    """vqsim-wrong-legacy-used packs the legacy used ring after the available ring (ignoring
    QueueAlign): the display that works on QEMU times out in the model, and the hang QEMU shows
    works in the model. The differential must fail on both."""
    p, res = qemu_diff(tmp_path, "--vqsim", build_dir() / "vqsim-wrong-legacy-used",
                       "scenarios/legacy-display.yaml",
                       "scenarios/legacy-used-ring-misaligned.yaml",
                       "scenarios/modern-display.yaml")
    assert p.returncode == 1, p.stdout + p.stderr
    a, b = res["legacy-display"], res["legacy-used-ring-misaligned"]
    assert a["verdict"] == "disagree" and b["verdict"] == "disagree"
    assert "outcome: simulator timeout (as the driver sees it), QEMU ok" in a["diffs"]
    assert "outcome: simulator ok (as the driver sees it), QEMU timeout" in b["diffs"]
    # The model's device "wrote" used.idx 1 at +0x128 (packed); QEMU wrote nothing there.
    assert any("0x40100128" in d and "QEMU's memory there holds" in d for d in a["diffs"]), a
    # The modern transport does not use the formula: still in agreement.
    assert res["modern-display"]["verdict"] == "agree"


def test_table_lists_every_scenario(tools_present, tmp_path):
    p = subprocess.run([sys.executable, str(TOOL), "--build", str(build_dir()), "--table",
                        "scenarios/legacy-display.yaml", "scenarios/hangs/interrupt-not-acknowledged.yaml"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "| scenario | simulator | QEMU | verdict |"
    assert "| `scenarios/legacy-display.yaml` | ok | ok | agree, pixel-exact |" in lines
    assert any(l.startswith("| `scenarios/hangs/interrupt-not-acknowledged.yaml` | timeout "
                            "(`mmio.ack-handled-events`) | not run | timing:") for l in lines)


def test_steptable_refuses_what_qemu_cannot_show(tools_present):
    st = build_dir() / "vqsim-steptable"
    p = subprocess.run([str(st), "--why", "scenarios/barriers/drop-wmb-weak.yaml"], cwd=ROOT,
                       capture_output=True, text=True)
    assert p.returncode == 3 and p.stdout.startswith("skip: device.memory: weak"), p.stdout
    p = subprocess.run([str(st), "--why", "scenarios/modern-display.yaml"], cwd=ROOT,
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout == "run\n"


@pytest.mark.parametrize("qemu,msg", [
    ("qemu: {skipp: x}", "unknown key 'skipp'"),
    ("qemu: {skip: ''}", "qemu needs 'skip'"),
    ("qemu: skip", "qemu"),
])
def test_qemu_key_is_strict(vqsim, tmp_path, qemu, msg):
    text = (ROOT / "scenarios" / "modern-display.yaml").read_text()
    f = tmp_path / "s.yaml"
    f.write_text(qemu + "\n" + text)
    p = subprocess.run([str(vqsim), "run", str(f)], capture_output=True, text=True)
    assert p.returncode == 2
    assert f"{f}:1:" in p.stderr and msg in p.stderr, p.stderr


def test_qemu_skip_recorded_in_json(vqsim, tmp_path):
    out = tmp_path / "r.json"
    subprocess.run([str(vqsim), "run", "--json", str(out),
                    "scenarios/hangs/interrupt-not-acknowledged.yaml",
                    "scenarios/modern-display.yaml"], cwd=ROOT, capture_output=True)
    s = json.loads(out.read_text())["scenarios"]
    assert s[0]["qemu"]["skip"].startswith("timing: QEMU finishes")
    assert s[1]["qemu"] == {"skip": None}


def _png(path, w, h, rgb):
    """An 8-bit RGB PNG written with filter 2 ("up") on every row, so the tool's decoder has to
    undo a filter, as it must for libpng's adaptive choice."""
    import struct as st
    import zlib

    def chunk(kind, body):
        return st.pack(">I", len(body)) + kind + body + st.pack(">I", zlib.crc32(kind + body))
    enc, prev = bytearray(), bytes(w * 3)
    for y in range(h):
        line = rgb[y * w * 3:(y + 1) * w * 3]
        enc += b"\x02" + bytes((line[i] - prev[i]) & 255 for i in range(w * 3))
        prev = line
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", st.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(bytes(enc))) + chunk(b"IEND", b""))


def _sim(png):
    return {"steps": [{"step": "init", "status": "ok"}],
            "displays": [{"active": True, "state": "active", "png": str(png), "dark": False,
                          "cursor": None}],
            "queues": []}


def test_one_wrong_pixel_is_a_disagreement(tmp_path):
    """The pixel comparison itself: identical images agree, one changed byte does not."""
    sys.path.insert(0, str(ROOT / "tools"))
    import qemu_diff
    w, h = 7, 5
    rgb = bytes((x * 37 + y * 11 + c * 5) & 255 for y in range(h) for x in range(w)
                for c in range(3))
    _png(tmp_path / "sim.png", w, h, rgb)
    q = {"init": {"status": "ok"}, "steps": [], "probes": [], "outcome": "ok"}
    (tmp_path / "q.ppm").write_bytes(b"P6\n# QEMU\n%d %d\n255\n" % (w, h) + rgb)
    diffs, notes = qemu_diff.compare(_sim(tmp_path / "sim.png"), q, str(tmp_path / "q.ppm"), None)
    assert diffs == [] and notes == ["scanout 0: 7x5 pixel-exact"]
    bad = bytearray(rgb)
    bad[(3 * w + 4) * 3 + 1] ^= 1
    (tmp_path / "q.ppm").write_bytes(b"P6\n%d %d\n255\n" % (w, h) + bytes(bad))
    diffs, _ = qemu_diff.compare(_sim(tmp_path / "sim.png"), q, str(tmp_path / "q.ppm"), None)
    assert diffs == ["scanout 0: 1 of 35 pixels differ, first at (4, 3)"]


def test_feature_refusal_agrees(everything):
    """The model says QEMU 7.2 refuses FEATURES_OK when the driver leaves an offered
    ACCESS_PLATFORM out; real QEMU (iommu_platform=on) does, and the driver reports the same
    error on both (the error name is compared too)."""
    _, res = everything
    r = res["modern-access-platform-refused"]
    assert r["verdict"] == "agree" and r["qemu"] == "driver-error", r


def test_mmu_on_agrees_too(tools_present, tmp_path):
    """The same scenarios with the guest's MMU and caches on (identity map, RAM Normal
    write-back, MMIO Device-nGnRE): nothing the driver or the screen sees changes."""
    names = ["modern-display.yaml", "legacy-display.yaml", "legacy-used-ring-misaligned.yaml",
             "gpu/demo.yaml", "hangs/notify-never-written.yaml",
             "hangs/avail-idx-not-advanced.yaml", "barriers/drop-wmb.yaml",
             "modern-access-platform-refused.yaml"]
    p, res = qemu_diff(tmp_path, "--mmu", *[f"scenarios/{n}" for n in names])
    assert p.returncode == 0, p.stdout + p.stderr
    assert len(res) == len(names)
    for n, r in res.items():
        assert r["verdict"] == "agree" and r["mmu"] is True, (n, r)
    assert any("pixel-exact" in x for x in res["legacy-display"]["notes"])


def test_readme_table_lists_every_scenario():
    """The README's scenario × verdict table is generated (tools/qemu_diff.py --readme): it must
    list exactly the scenarios on disk, so a new scenario without a regenerated table fails."""
    text = (ROOT / "README.md").read_text()
    begin = text.index("<!-- qemu-table:begin")
    end = text.index("<!-- qemu-table:end -->")
    listed = set(re.findall(r"^\| `(scenarios/[^`]+\.yaml)` \|", text[begin:end], re.M))
    on_disk = {str(p.relative_to(ROOT)) for p in SCENARIOS}
    assert listed == on_disk, (sorted(on_disk - listed), sorted(listed - on_disk))
