"""VirtIO 1.2's gpu additions and SUSPEND (scenarios/spec/gpu-*.yaml, status-suspend-*): blob
resources shown from guest pages, resource UUIDs read back, the 3D commands refused as QEMU 7.2's
2D device refuses them, and the driver rules on them. Checked by content: response types and
used lengths, the bytes of a UUID, the pixels, the rule ids, the messages and the sections each
version cites; QEMU 7.2's default (no blob, no UUID) kept."""
import json
import re
import textwrap

from conftest import ROOT, run

SPEC = ROOT / "scenarios" / "spec"


def run_doc(vqsim, tmp_path, *args):
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, *args)
    return p, {s["name"]: s for s in json.loads(out.read_text())["scenarios"]}


def scenario(tmp_path, name, body):
    f = tmp_path / f"{name}.yaml"
    f.write_text(f"name: {name}\n" + textwrap.dedent(body))
    return f


BLOB_DEVICE = """
device:
  transport: modern
  offer: [resource_blob]
  display: {width: 64, height: 48}
driver:
  features: [resource_blob]
"""


def steps_of(sc, name):
    return [s for s in sc["steps"] if s["step"] == name]


def test_blob_scanout_is_pixel_exact_without_transfer(vqsim, tmp_path):
    p, doc = run_doc(vqsim, tmp_path, SPEC / "gpu-blob-scanout.yaml", SPEC / "gpu-uuid.yaml")
    assert p.returncode == 0, p.stdout
    sc = doc["gpu-blob-scanout"]
    assert sc["passed"] and sc["violations"] == [] and sc["informational"] == []
    assert "resource_blob" in sc["device"]["offered"] and "resource_blob" in sc["device"]["negotiated"]
    create = steps_of(sc, "resource_create_blob")[0]
    assert create["response_name"] == "OK_NODATA" and "3 entries" in create["detail"]
    assert not steps_of(sc, "transfer_to_host_2d")  # the device reads the blob's pages
    # the same bars as a 2D resource transferred and flushed: the same picture, hash for hash
    assert sc["display"]["active"]
    assert sc["display"]["sha256"] == doc["gpu-uuid"]["display"]["sha256"]  # 64x48, 2D path


def test_blob_display_follows_guest_pages_at_flush(vqsim, tmp_path):
    """A pixel poked into the blob reaches the display when the blob is flushed, not before."""
    base = BLOB_DEVICE + """
steps:
  - get_display_info
  - resource_create_blob: {id: 1}
  - draw: {id: 1, pattern: bars}
  - set_scanout_blob: {scanout: 0, id: 1}
  - resource_flush: {id: 1}
  - poke_pixel: {id: 1, x: 5, y: 7, color: 0x123456}
"""
    unflushed = scenario(tmp_path, "blob-unflushed", base + """
expect:
  outcome: ok
  display: {active: true, pattern: bars}
""")
    flushed = scenario(tmp_path, "blob-flushed", base + """  - resource_flush: {id: 1}
expect:
  outcome: ok
  display: {active: true, pattern: bars}
""")
    pngs = tmp_path / "png"
    p, doc = run_doc(vqsim, tmp_path, "--png", pngs, unflushed, flushed)
    assert doc["blob-unflushed"]["passed"], doc["blob-unflushed"]["failures"]
    assert not doc["blob-flushed"]["passed"]  # the poked pixel is on the display now
    assert any("display" in f for f in doc["blob-flushed"]["failures"])
    assert doc["blob-flushed"]["display"]["sha256"] != doc["blob-unflushed"]["display"]["sha256"]


def test_qemu72_default_refuses_blob_commands(vqsim, tmp_path):
    p, doc = run_doc(vqsim, tmp_path, SPEC / "gpu-blob-qemu72.yaml")
    assert p.returncode == 0, p.stdout
    sc = doc["gpu-blob-qemu72"]
    assert "resource_blob" not in sc["device"]["offered"]  # QEMU's blob=false
    for st in ("resource_create_blob", "set_scanout_blob"):
        (s,) = steps_of(sc, st)
        assert s["response_name"] == "ERR_INVALID_PARAMETER" and s["used_len"] == 24
    msgs = [v["message"] for v in sc["violations"]]
    assert [v["rule"] for v in sc["violations"]] == ["gpu.blob.negotiated"] * 2
    assert msgs[0].startswith("RESOURCE_CREATE_BLOB (0x10c) sent, but VIRTIO_GPU_F_RESOURCE_BLOB")
    assert msgs[1].startswith("SET_SCANOUT_BLOB (0x10d) sent")


def test_builtin_driver_sends_nothing_it_did_not_negotiate(vqsim, tmp_path):
    f = scenario(tmp_path, "no-blob-driver", """
device:
  transport: modern
  offer: [resource_blob, resource_uuid]
  display: {width: 64, height: 48}
steps:
  - resource_create_blob: {id: 1, expect_status: invalid-argument}
  - assign_uuid: {id: 1, expect_status: invalid-argument}
  - get_display_info
expect:
  outcome: driver-error
  violations: []
""")
    p, doc = run_doc(vqsim, tmp_path, f)
    sc = doc["no-blob-driver"]
    assert sc["passed"], sc["failures"]
    assert sc["device"]["negotiated"] == ["version_1"]
    assert [s["response"] for s in sc["steps"][1:3]] == [None, None]  # nothing reached the device


def test_uuid_read_back_is_the_devices_and_stable(vqsim, tmp_path):
    p, doc = run_doc(vqsim, tmp_path, SPEC / "gpu-uuid.yaml")
    assert p.returncode == 0, p.stdout
    sc = doc["gpu-uuid"]
    assert sc["violations"] == [] and sc["display"]["active"]
    # bit 2 named as the gpu's feature, not virtio-blk's SEG_MAX (bits 0-23 are per device, §6)
    assert sc["device"]["negotiated"] == ["resource_uuid", "version_1"]
    a, b = steps_of(sc, "assign_uuid")
    for s in (a, b):
        assert s["response_name"] is None or s["response"] == "0x1105"
        assert s["used_len"] == 40  # header + 16 bytes
    # the kernel compared the bytes with the device's and with the first answer
    u = re.search(r"UUID ([0-9a-f-]{36})$", a["detail"]).group(1)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", u)
    assert b["detail"].endswith(u)


def test_uuid_without_feature_is_qemu72s_err_unspec(vqsim, tmp_path):
    p, doc = run_doc(vqsim, tmp_path, SPEC / "gpu-uuid-qemu72.yaml")
    sc = doc["gpu-uuid-qemu72"]
    assert sc["passed"], sc["failures"]
    (s,) = steps_of(sc, "assign_uuid")
    assert s["response_name"] == "ERR_UNSPEC" and s["used_len"] == 24
    assert [v["rule"] for v in sc["violations"]] == ["gpu.uuid.negotiated"]
    assert steps_of(sc, "get_display_info")[-1]["response_name"] == "OK_DISPLAY_INFO"


def test_3d_commands_named_and_refused(vqsim, tmp_path):
    p, doc = run_doc(vqsim, tmp_path, SPEC / "gpu-3d-refused.yaml")
    assert p.returncode == 0, p.stdout
    sc = doc["gpu-3d-refused"]
    cmds = steps_of(sc, "gpu_command")
    assert len(cmds) == 10
    assert all(s["response_name"] == "ERR_UNSPEC" and s["used_len"] == 24 for s in cmds)
    named = [v["message"].split(" ")[0] for v in sc["violations"]]
    assert named == ["CTX_CREATE", "CTX_DESTROY", "CTX_ATTACH_RESOURCE", "CTX_DETACH_RESOURCE",
                     "RESOURCE_CREATE_3D", "TRANSFER_TO_HOST_3D", "TRANSFER_FROM_HOST_3D",
                     "SUBMIT_3D"]  # the capset queries are refused too, but are no 3D command
    assert all("VIRTIO_GPU_F_VIRGL was not negotiated" in v["message"] for v in sc["violations"])
    assert steps_of(sc, "get_display_info")[-1]["response_name"] == "OK_DISPLAY_INFO"


def test_each_rule_fires_with_its_evidence(vqsim, tmp_path):
    names = ["gpu-map-blob-no-region", "gpu-ring-idx", "gpu-blob-mem-zero",
             "gpu-blob-bad-format", "status-suspend-not-negotiated"]
    p, doc = run_doc(vqsim, tmp_path, *[SPEC / f"{n}.yaml" for n in names])
    assert p.returncode == 0, p.stdout
    m = {n: [(v["rule"], v["message"]) for v in doc[n]["violations"]] for n in names}
    assert [r for r, _ in m["gpu-map-blob-no-region"]] == ["gpu.map-blob.host-region"] * 2
    assert m["gpu-map-blob-no-region"][0][1].startswith("RESOURCE_MAP_BLOB sent")
    assert m["gpu-ring-idx"] == [("gpu.ring-idx.context-init", m["gpu-ring-idx"][0][1])]
    assert "GET_DISPLAY_INFO (0x100)" in m["gpu-ring-idx"][0][1]
    assert "ring_idx 1" in m["gpu-ring-idx"][0][1]
    assert m["gpu-blob-mem-zero"][0] == (
        "gpu.blob.mem", "RESOURCE_CREATE_BLOB of resource 1: blob_mem 0 is 0 (it MUST be non-zero)")
    assert doc["gpu-blob-mem-zero"]["display"]["active"]  # QEMU 7.2 took it anyway
    assert "format 999" in m["gpu-blob-bad-format"][0][1]
    assert not doc["gpu-blob-bad-format"]["display"]["active"]
    assert ("status.suspend-negotiated", "Status 0x1f sets SUSPEND (0x10) without "
            "VIRTIO_F_SUSPEND negotiated (Status was 0x0f)") in m["status-suspend-not-negotiated"]


def test_sections_per_version(vqsim, tmp_path):
    """1.2+ rules are not judged against 1.1; against 1.2-1.4 they cite that version's section."""
    f = SPEC / "gpu-3d-refused.yaml"
    p, doc = run_doc(vqsim, tmp_path, "--spec", "1.1", f)
    sc = doc["gpu-3d-refused"]
    assert sc["violations"] == [] and "gpu.3d.negotiated" in sc["not_in_spec"]
    for v in ("1.2", "1.3", "1.4"):
        p, doc = run_doc(vqsim, tmp_path, "--spec", v, f, SPEC / "gpu-ring-idx.yaml")
        assert {x["section"] for x in doc["gpu-3d-refused"]["violations"]} == {"5.7.6.9"}
        assert doc["gpu-ring-idx"]["violations"][0]["section"] == "5.7.6.7"
        assert all(x["spec"] == v for x in doc["gpu-3d-refused"]["violations"])
    s = SPEC / "status-suspend-not-negotiated.yaml"
    p, doc = run_doc(vqsim, tmp_path, "--spec", "1.3", s)
    assert [x["rule"] for x in doc["status-suspend-not-negotiated"]["violations"]] == [
        "status.set-bits-per-sequence"]
    p, doc = run_doc(vqsim, tmp_path, "--spec", "1.4", s)
    (susp,) = [x for x in doc["status-suspend-not-negotiated"]["violations"]
               if x["rule"] == "status.suspend-negotiated"]
    assert susp["section"] == "3.4.1"


def test_explain_shows_versions_and_why_not_checked(vqsim):
    out = run(vqsim, "explain", "gpu.blob.negotiated").stdout
    assert "1.1 — not a rule of this version" in out
    assert "1.4 §5.7.6.8 Device Operation: controlq" in out
    out = run(vqsim, "explain", "split.used.len-writable-part").stdout
    assert "1.2 §2.7.8 The Virtqueue Used Ring" in out and "Why not" in out
    out = run(vqsim, "explain", "feat.admin-vq").stdout
    assert "1.2 — not a rule of this version" in out and "1.3 §6" in out
    out = run(vqsim, "explain", "status.suspend-negotiated").stdout
    assert "1.4 §3.4.1 Driver Requirements: Device Suspend" in out
    assert "1.3 — not a rule of this version" in out
