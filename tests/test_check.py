"""`vqsim check RECORDING`: the CLI, the results JSON (same shape as `vqsim run`'s), and the proof
that replaying a recording is faithful: every scenario of scenarios/rules, scenarios/barriers and
scenarios/hangs, recorded by the simulator (`vqsim run --record`) and checked against its own
device side (`vqsim check --scenario`), gives the same violation set and the same diagnosis
causes as the simulation — but for the exceptions listed below, each with its reason."""
import json
import os
import pathlib
import re
import struct
import subprocess
import sys

import pytest

from conftest import ROOT, run

sys.path.insert(0, str(ROOT / "tools"))
import vqrec  # noqa: E402

# Left out: the network device's runs (its received frames are the host's, played by a step: a
# recording holds none to replay). The input device's events are the host's too, but the replay
# fills as many eventq buffers as the guest saw used (the script's events, device_ops.host_fill),
# so its buffers are judged as the simulation judged them. virtio-pci runs are in (scenarios/pci/
# and any `transport: pci`): their recordings follow the function's configuration space and BARs
# (recording.h, VQREC_PCI_ECAM).
PROOF_SCENARIOS = sorted(p for p in (ROOT / "scenarios").rglob("*.yaml")
                         if p.parent.name != "net")
# The proof in parts, one per scenario folder (the top level as "."), so pytest-xdist shares
# them out.
GROUPS = sorted({str(p.parent.relative_to(ROOT / "scenarios")) for p in PROOF_SCENARIOS})

ANSWER_REJECTED = ("the driver rejected an answer it got (device-error): that is its judgement "
                   "of a response buffer, not a bus access, so the replay sees a request answered; "
                   "the violation set is the same, the bad-response diagnosis is not made")
PACKED_WAIT_UNSEEN = ("a packed ring's driver waits by reading descriptor flags: the replay of a "
                      "simulator recording does not find that wait, so it sees no request left "
                      "unanswered; the violation set is the same, the diagnosis is not made")
# Scenarios whose recording cannot give the simulation's verdict, and why.
EXCEPTIONS = {
    # driver.ring_access: plain hides the driver's loads from the simulation; a recording has
    # every load, so the check finds the missing rmb (pairing C) the plain-mode run cannot see.
    "plain-drop-rmb": "a recording sees the loads plain mode hides",
    "device-used-idx-without-element": ANSWER_REJECTED,
    "response-buffer-missing": ANSWER_REJECTED,
    "response-buffer-too-short": ANSWER_REJECTED,
    "hostile-garbage-display-info": ANSWER_REJECTED,
    "hostile-garbage-edid-size": ANSWER_REJECTED,
    "hostile-wrong-response-size": ANSWER_REJECTED,
    "hostile-wrong-response-type": ANSWER_REJECTED,
    # the device answered with an error response the driver stopped at (command-refused): the
    # simulation explains it, a replay sees an answered request
    "drop-wmb-weak-indirect": ANSWER_REJECTED,
    "drop-wmb-weak-stale-chain": ANSWER_REJECTED,
    "split-indirect-in-order-sequential": ANSWER_REJECTED,
    "command-refused": ANSWER_REJECTED,
    # packed rings (issue 20), known gaps of the replay of a packed ring:
    "packed-unpublished": PACKED_WAIT_UNSEEN,
    "packed-interrupt-suppressed": PACKED_WAIT_UNSEEN,
    "packed-rings-in-ram": PACKED_WAIT_UNSEEN,
    "packed-indirect-longer-than-queue": PACKED_WAIT_UNSEEN,
    "packed-device-drops-interrupt": PACKED_WAIT_UNSEEN,
    "packed-device-used-id-len-unwritten": ANSWER_REJECTED,
    "packed-alter-held": "the bug stores while the device holds the list; the replayed device, "
                         "paced by what the recording shows, has not taken it yet at that store: "
                         "the same store is packed.no-change-after-avail there",
    "packed-indirect-with-next": "after the ignored NEXT the replay judges the guest waiting on a "
                                 "request its device answered (a timeout it cannot explain)",
    "input-no-buffers": "the host's events dropped for want of eventq buffers leave no trace in a "
                        "recording (nor in QEMU's trace): the replay sees an eventq waiting for "
                        "events, which is no request, so no hang to explain",
}

# A replay reports a model-vs-recording discrepancy (never a violation) where the simulated
# run had something no recording carries; any other discrepancy fails the proof.
DISCREPANCY_BECAUSE = {
    "rewrite-mmio-read": "a replayed bug gave the driver a register value the device never read",
    "rewrite-ring-load": "a replayed bug gave the driver a ring value memory never held",
    "skip-status-bit": "a replayed bug hid a Status bit from the driver's read-back",
    "memory: weak": "weak-memory mode reorders what the driver's loads return",
    "display_change": "a scenario step changed the display (a host event, not recorded)",
    "config_change": "the device changed its config on a count of reads, at another moment",
    "chain-max-4g": "buffers larger than 1 MiB are not dumped, so the device read other bytes",
}


def vset(result):
    return sorted({v["rule"] for v in result["violations"]})


def causes(result):
    d = result["diagnosis"]
    return [c["cause"] for c in d["causes"]] if d else []


@pytest.fixture(scope="module")
def recorded(vqsim, tmp_path_factory):
    """Every scenario run once with --record: (results by name, recording dir)."""
    d = tmp_path_factory.mktemp("rec")
    out = d / "run.json"
    p = run(vqsim, "run", "-j", "2", "--record", d, "--json", out, *PROOF_SCENARIOS)
    assert p.returncode == 0, p.stdout[-2000:]
    res = {s["name"]: s for s in json.loads(out.read_text())["scenarios"]}
    assert len(res) == len(PROOF_SCENARIOS)
    return res, d


def check_json(vqsim, tmp_path, *args):
    out = tmp_path / "check.json"
    p = run(vqsim, "check", "--json", out, *args)
    assert p.returncode in (0, 1), p.stderr
    doc = json.loads(out.read_text())
    return p, doc


@pytest.mark.parametrize("group", GROUPS)
def test_sim_recording_check_proof(vqsim, recorded, tmp_path, group):
    """Each scenario, recorded by the simulator and checked against its own device side, gives
    the simulation's violation set and diagnosis causes (but for EXCEPTIONS), and the replay
    agrees with the recording on every value (but where DISCREPANCY_BECAUSE says why not)."""
    res, d = recorded
    mine = {n: s for n, s in res.items()
            if str(pathlib.Path(s["file"]).parent.relative_to(ROOT / "scenarios")) == group}
    assert mine
    same, differ = [], {}
    for name, s in sorted(mine.items()):
        rec = d / f"{name}.vqrec"
        assert rec.exists(), name
        p, doc = check_json(vqsim, tmp_path, "--scenario", s["file"], rec)
        c = doc["scenarios"][0]
        assert c["source"]["kind"] == "recording" and c["source"]["recorder"] == "vqsim-sim"
        assert c["source"]["ended"] and not c["source"]["truncated"]
        # outcome and exit status agree with each other
        assert p.returncode == (0 if c["outcome"] == "ok" else 1), (name, c["outcome"])
        if (vset(s), causes(s)) == (vset(c), causes(c)):
            same.append(name)
        else:
            differ[name] = (vset(s), causes(s), vset(c), causes(c))
        if c["source"]["discrepancies"]:
            text = (ROOT / s["file"]).read_text()
            assert any(k in text for k in DISCREPANCY_BECAUSE), (name, c["source"]["notes"])
    assert set(differ) == {n for n in EXCEPTIONS if n in mine}, differ
    # the exceptions differ only as their reasons say
    for n, (sv, sc, cv, cc) in differ.items():
        if n == "plain-drop-rmb":
            assert cv == ["split.receive.rmb-before-used-elem"] and sv == []
        elif n == "packed-alter-held":
            assert sv == ["packed.change-only-after-used"] and cv == ["packed.no-change-after-avail"]
        elif n == "packed-indirect-with-next":
            assert sv == cv and sc == [] and cc == ["unexplained"], (n, differ[n])
        else:
            assert sv == cv and cc == [] and sc, (n, differ[n])
    assert len(same) == len(mine) - len(differ)


def test_proof_covers_the_suite(recorded):
    res, _ = recorded
    assert set(EXCEPTIONS) <= set(res)
    assert len(res) - len(EXCEPTIONS) >= 263  # README: "263 of 284"


# The four replayed driver bugs a QEMU recording can show, found with the same rule or
# cause from the recording as from the simulator.
@pytest.mark.parametrize("name,rule,cause", [
    ("legacy-used-ring-misaligned", "split.legacy.layout", "used-ring-mismatch"),
    ("drop-wmb", "split.avail.idx-barrier", None),
    ("modern-registers-on-legacy-device", None, "queue-not-ready"),
    ("init-step5-features-ok", "init.step5-features-ok", None),
])
def test_replayed_bugs_same_verdict(vqsim, tmp_path, name, rule, cause):
    hits = list((ROOT / "scenarios").rglob(f"{name}.yaml"))
    assert len(hits) == 1, name
    scen = hits[0]
    out = tmp_path / "run.json"
    run(vqsim, "run", "--record", tmp_path, "--json", out, scen)
    s = json.loads(out.read_text())["scenarios"][0]
    p, doc = check_json(vqsim, tmp_path, "--scenario", scen, tmp_path / f"{s['name']}.vqrec")
    c = doc["scenarios"][0]
    assert vset(c) == vset(s) and causes(c) == causes(s)
    assert c["outcome"] == s["outcome"]
    if rule:
        assert rule in vset(c)
    if cause:
        assert causes(c)[0] == cause
    assert p.returncode == 1  # each of these is a finding


def test_check_without_scenario_uses_the_recording(vqsim, recorded, tmp_path):
    """No --scenario: RAM from the header, the window, the Version the guest read (legacy)."""
    res, d = recorded
    for name in ("split-legacy-layout", "split-avail-idx-barrier"):
        if name not in res:
            continue
        p, doc = check_json(vqsim, tmp_path, d / f"{name}.vqrec")
        c = doc["scenarios"][0]
        assert vset(c) == vset(res[name]), name
        assert causes(c) == causes(res[name]), name
        assert c["device"]["version"] == res[name]["device"]["version"]


def test_clean_recording_exit_0(vqsim, tmp_path):
    p = run(vqsim, "run", "--record", tmp_path, "scenarios/modern-display.yaml")
    assert p.returncode == 0
    p = run(vqsim, "check", "-v", tmp_path / "modern-display.vqrec")
    assert p.returncode == 0, p.stdout
    first = p.stdout.splitlines()[0].split()
    assert first[:3] == ["PASS", "modern-display", "ok"]
    assert "1 clean, 0 with findings" in p.stdout
    assert "framebuffer pages are not recorded" in p.stdout  # pixels are the model's
    assert "discrepancy" not in p.stdout


def test_finding_line_and_exit_1(vqsim, tmp_path):
    p = run(vqsim, "run", "--record", tmp_path, "scenarios/legacy-used-ring-misaligned.yaml")
    assert p.returncode == 0
    p = run(vqsim, "check", tmp_path / "legacy-used-ring-misaligned.vqrec")
    assert p.returncode == 1
    line = p.stdout.splitlines()[0]
    assert line.startswith("FAIL legacy-used-ring-misaligned")
    assert "timeout" in line and "cause=used-ring-mismatch" in line
    assert "violations=split.legacy.layout" in line
    assert "diagnosis used-ring-mismatch" in p.stdout  # the paragraph, as vqsim run prints it


def test_cli_errors(vqsim, tmp_path):
    assert run(vqsim, "check").returncode == 2
    assert run(vqsim, "check", "--bogus", "x").returncode == 2
    assert run(vqsim, "check", "--json").returncode == 2
    p = run(vqsim, "check", tmp_path / "missing.vqrec")
    assert p.returncode == 3 and "missing.vqrec" in p.stderr
    bad = tmp_path / "bad.vqrec"
    bad.write_bytes(b"NOTAREC!" + bytes(100))
    p = run(vqsim, "check", bad)
    assert p.returncode == 2 and "offset 0: not a vqsim recording" in p.stderr
    p = run(vqsim, "check", "--scenario", tmp_path / "nope.yaml", bad)
    assert p.returncode == 2
    h = run(vqsim, "--help")
    assert h.returncode == 0 and "vqsim check [--json FILE] [--scenario S.yaml]" in h.stdout
    assert "--record DIR" in h.stdout


def recording_bytes(*events, ram=256 << 20):
    """A recording as vqsim record writes it: a header, then (kind, value, payload) events."""
    out = struct.pack("<8sHHIQQII32s", b"VQSIMREC", 1, 2, 72, 0x40000000, ram, 1, 0,
                      b"hand-built")
    for kind, value, payload in events:
        out += struct.pack("<BBBBIQQQ", kind, 0, 0, 255, len(payload), 0, value, 0) + payload
        out += bytes(-len(payload) % 8)
    return out


def test_empty_or_failed_recording_never_passes(vqsim, tmp_path):
    """A recording with no virtio traffic is nothing to check: exit 1, outcome no-traffic, never
    PASS; with QEMU's failure in it, the check says that too. A run that had traffic but whose
    QEMU failed is not clean either."""
    empty = tmp_path / "empty.vqrec"
    empty.write_bytes(recording_bytes((9, 0, b"")))  # END, status 0
    out = tmp_path / "e.json"
    p = run(vqsim, "check", "--json", out, empty)
    assert p.returncode == 1 and p.stdout.startswith("FAIL empty"), p.stdout
    assert "nothing to check: the recording holds no access to any virtio device" in p.stdout
    s = json.loads(out.read_text())["scenarios"][0]
    assert s["outcome"] == "no-traffic" and not s["passed"]
    failed = tmp_path / "failed.vqrec"
    failed.write_bytes(recording_bytes((10, 0, b"qemu stderr: qemu: cannot start\0"),
                                       (9, 1, b"")))
    p = run(vqsim, "check", failed)
    assert p.returncode == 1
    assert "QEMU exited with status 1: qemu: cannot start" in p.stdout
    # traffic, then QEMU exited with status 1 by itself: the guest did not run to its end
    run(vqsim, "run", "--record", tmp_path, "scenarios/modern-display.yaml")
    data = bytearray(vqrec.plain((tmp_path / "modern-display.vqrec").read_bytes()))
    end = data.rindex(struct.pack("<BBBB", 9, 0, 0, 0))  # the sim's END event (cpu 0)
    struct.pack_into("<Q", data, end + 16, 1)
    crashed = tmp_path / "crashed.vqrec"
    crashed.write_bytes(bytes(data))
    p = run(vqsim, "check", crashed)
    assert p.returncode == 1 and p.stdout.startswith("FAIL crashed"), p.stdout
    assert "QEMU exited with status 1: the guest did not run to its end" in p.stdout


def test_truncated_recording_is_checked(vqsim, tmp_path):
    run(vqsim, "run", "--record", tmp_path, "scenarios/modern-display.yaml")
    rec = tmp_path / "modern-display.vqrec"
    whole = vqrec.read(rec)[1]
    data = vqrec.plain(rec.read_bytes())
    cut = tmp_path / "cut.vqrec"
    cut.write_bytes(data[: len(data) // 2 + 5])  # format 1, inside an event
    out = tmp_path / "cut.json"
    p = run(vqsim, "check", "-v", "--json", out, cut)
    assert p.returncode in (0, 1), p.stderr
    assert "the file is cut short" in p.stdout
    src = json.loads(out.read_text())["scenarios"][0]["source"]
    assert src["truncated"] is True and src["ended"] is False and src["exit_status"] is None
    # format 2 (as written), its zlib stream cut: the events it holds are checked, no end
    z = rec.read_bytes()
    cut.write_bytes(z[: len(z) // 2])
    p = run(vqsim, "check", "-v", "--json", out, cut)
    assert p.returncode in (0, 1), p.stderr
    src = json.loads(out.read_text())["scenarios"][0]["source"]
    assert src["ended"] is False and src["exit_status"] is None
    assert 0 < src["events"] == len(vqrec.read(cut)[1]) < len(whole)


def keypaths(obj, path=""):
    """Every key path of a JSON value; list elements merge under `[]`."""
    out = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(f"{path}.{k}")
            out |= keypaths(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for v in obj:
            out |= keypaths(v, f"{path}[]")
    return out


def test_json_keys_same_as_run(vqsim, tmp_path):
    """The check's JSON has every key `vqsim run` writes, nested, plus only `source`."""
    scen = "scenarios/legacy-used-ring-misaligned.yaml"
    rj = tmp_path / "run.json"
    run(vqsim, "run", "--record", tmp_path, "--json", rj, scen)
    p, doc = check_json(vqsim, tmp_path, "--scenario", scen,
                        tmp_path / "legacy-used-ring-misaligned.vqrec")
    r = json.loads(rj.read_text())
    assert doc["schema"] == r["schema"] == "vqsim-results/1"
    kr, kc = keypaths(r), keypaths(doc)
    # Written only when there is something to say, which a check never has: a step's fence_id
    # (the command carried one: the recording's one step is no command); the built-in driver's
    # own queue state (an external driver has none: null); the scenario's display expectation
    # (a check expects a clean run, no display: null).
    conditional = (".fence_id", ".driver.control_queue.", ".driver.cursor_queue.",
                   ".expected.display.")
    missing = {k for k in kr - kc if not any(c in k + "." for c in conditional)}
    assert missing == set()
    extra = kc - kr
    assert extra and all(k.startswith(".scenarios[].source") for k in extra), extra
    s = doc["scenarios"][0]["source"]
    assert set(s) == {"kind", "recorder", "events", "skipped_unknown", "truncated", "ended",
                      "exit_status", "killed", "mmu_seen", "vcpus", "window", "replayed", "requests",
                      "discrepancies", "notes"}
    assert s["discrepancies"] == 0 and s["ended"] is True and s["exit_status"] == 0


def test_report_draws_check_json(vqsim, tmp_path):
    scen = "scenarios/legacy-used-ring-misaligned.yaml"
    run(vqsim, "run", "--record", tmp_path, scen)
    p, _ = check_json(vqsim, tmp_path, "--scenario", scen,
                      tmp_path / "legacy-used-ring-misaligned.vqrec")
    rep = tmp_path / "report"
    junit = tmp_path / "junit.xml"
    q = subprocess.run([sys.executable, str(ROOT / "tools" / "report.py"),
                        str(tmp_path / "check.json"), "-o", str(rep), "--junit", str(junit)],
                       capture_output=True, text=True, timeout=120)
    assert q.returncode == 0, q.stderr
    html = (rep / "index.html").read_text()
    assert "legacy-used-ring-misaligned" in html
    assert "used-ring-mismatch" in html and "split.legacy.layout" in html
    assert "legacy-used-ring-misaligned" in junit.read_text()


QEMU_RECORDINGS = ROOT / "tests" / "data" / "qemu-recordings"
QEMU_CASES = {
    "modern-display": "scenarios/modern-display.yaml",
    "legacy-display": "scenarios/legacy-display.yaml",
    "legacy-used-ring-misaligned": "scenarios/legacy-used-ring-misaligned.yaml",
    "drop-wmb": "scenarios/barriers/drop-wmb.yaml",
    "modern-registers-on-legacy-device": "scenarios/hangs/modern-registers-on-legacy-device.yaml",
    "init-step5-features-ok": "scenarios/rules/init-step5-features-ok.yaml",
    # recorded by the plugin of recording format 1.1 (polls outside the rings, ring dumps)
    "modern-used-ring-mismatch": "scenarios/hangs/modern-used-ring-mismatch.yaml",
    "mmio-no-queue-regs-while-ready": "scenarios/rules/mmio-no-queue-regs-while-ready.yaml",
    "ring-init-used-flags": "scenarios/barriers/ring-init-used-flags.yaml",
}


@pytest.mark.parametrize("kind,name", [("plain", n) for n in QEMU_CASES] +
                         [("mmu", n) for n in ("modern-display", "drop-wmb",
                                               "legacy-used-ring-misaligned")])
def test_real_qemu_recording_same_verdict(vqsim, tmp_path, kind, name):
    """The port recorded under real QEMU (tests/data/qemu-recordings/README.md): the clean runs
    record clean, and each replayed bug is found with the simulator's rule ids and causes — with
    the MMU on too."""
    scen = QEMU_CASES[name]
    rj = tmp_path / "run.json"
    run(vqsim, "run", "--json", rj, scen)
    s = json.loads(rj.read_text())["scenarios"][0]
    p, doc = check_json(vqsim, tmp_path, "--scenario", scen, QEMU_RECORDINGS / kind / f"{name}.vqrec")
    c = doc["scenarios"][0]
    assert (vset(c), causes(c), c["outcome"]) == (vset(s), causes(s), s["outcome"])
    assert p.returncode == (0 if s["outcome"] == "ok" else 1)
    src = c["source"]
    assert src["recorder"] == "qemu-7.2-tcg-plugin" and src["ended"] and src["exit_status"] == 0
    assert src["mmu_seen"] is (kind == "mmu")
    # the model answers every register read as QEMU did (DeviceFeatures included)
    assert src["discrepancies"] == 0 and src["notes"] == [], src["notes"]
    expected = {"modern-display": ([], []), "legacy-display": ([], []),
                "legacy-used-ring-misaligned": (["split.legacy.layout"], ["used-ring-mismatch"]),
                "drop-wmb": (["split.avail.idx-barrier"], []),
                "modern-registers-on-legacy-device": (None, ["queue-not-ready"]),
                "init-step5-features-ok": (["init.step5-features-ok"], []),
                "modern-used-ring-mismatch": ([], ["used-ring-mismatch"]),
                "mmio-no-queue-regs-while-ready": (["mmio.no-queue-regs-while-ready"], []),
                "ring-init-used-flags": (["split.availnotif.init-used-flags"], ["no-notify"])}[name]
    if expected[0] is not None:
        assert vset(c) == expected[0]
    assert causes(c) == expected[1]


@pytest.mark.parametrize("scen", ["scenarios/gpu/two-scanouts.yaml",
                                  "scenarios/gpu/not-active-reset.yaml"])
def test_display_digests_with_and_without_json(vqsim, tmp_path, scen):
    """Without --json a check hashes only the display its line shows (displays[0] when active:
    `display=`): its output is the same as with --json, whose every display carries its digest
    (the model's pictures: a recording holds no framebuffer pages, so they are not the run's)."""
    run(vqsim, "run", "--record", tmp_path, scen)
    (rec,) = tmp_path.glob("*.vqrec")
    plain = run(vqsim, "check", "--scenario", scen, rec)
    p, doc = check_json(vqsim, tmp_path, "--scenario", scen, rec)
    assert plain.stdout == p.stdout and plain.returncode == p.returncode
    got = doc["scenarios"][0]["displays"]
    assert len(got) == (2 if "two" in scen else 1)
    assert all(re.fullmatch(r"[0-9a-f]{64}", d["sha256"]) for d in got), got
    assert len({d["sha256"] for d in got}) == len(got)  # two scanouts, two pictures
    shown = [w[len("display="):] for w in plain.stdout.split() if w.startswith("display=")]
    assert shown == ([got[0]["sha256"][:12]] if got[0]["active"] else [])
    assert got[0]["active"] == ("two" in scen)
