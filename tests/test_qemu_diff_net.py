"""The differential for virtio-net: the same net_send / net_receive steps through the unchanged
driver (src/driver/virtio_net.c) on the model and bare metal on QEMU 7.2 (virtio-net-device on
virtio-mmio, virtio-net-pci for net-pci, with `-netdev dgram` between QEMU's unix socket and the
tool's), compared.

What is compared: every step's status, driver error and used length, the outcome and the used
rings (tools/qemu_diff.py compare_steps, compare_used_rings); the device's mac against the
scenario's (in the guest); every frame QEMU's backend received, in order, against the bytes the
scenario's net_send steps send after the negotiated header (vqsim-steptable --net) and against
the model's sink (the sha256 in its step detail); every frame the driver received against the
packet source's, byte for byte (in the guest), and how many it received against the model.

Negative controls: a source frame changed on its way into QEMU, a frame the scenario sends
expected other than it is, a mac QEMU shows other than the scenario's, and a model that
received another count: each a disagreement naming it."""
from conftest import ROOT
from test_qemu_diff import qemu_diff, tools_present  # noqa: F401
from test_qemu_diff_devices import run_one, tool

NET = ROOT / "scenarios" / "devices" / "net"
QEMU_ABORTS = {"net-tx-short-header", "net-rx-mergeable-tiny"}  # their qemu: skip says why
# Scenarios with a net_ctrl step (net-ctrl*, net-rx-filtered) are refused by the port's step
# table with their reason until the step table carries controlq command bytes.


def test_net_scenarios_agree_with_qemu(tools_present, tmp_path):  # noqa: F811
    scen = sorted(NET.glob("*.yaml"))
    p, res = qemu_diff(tmp_path, *scen)
    assert p.returncode == 0, p.stdout + p.stderr
    assert len(res) == len(scen) >= 12
    for s in scen:
        r = res[s.stem]
        if s.stem in QEMU_ABORTS:
            assert r["verdict"] == "skip" and r["reason"].startswith("QEMU 7.2 aborts"), r
        elif "net_ctrl" in s.read_text():  # the port sends no controlq command yet: said so
            assert r["verdict"] == "skip" and r["reason"].startswith("net_ctrl: the port"), r
        else:
            assert r["verdict"] == "agree", (s.stem, r)
    # frames compared by content, each way: 3 sends and 10 repetitions out, 4 source frames in
    assert res["net-modern"]["net_frames"] == {"out": 13, "in": 4}
    assert res["net-legacy"]["net_frames"] == {"out": 2, "in": 2}
    assert res["net-mergeable"]["net_frames"] == {"out": 1, "in": 4}
    assert res["net-pci"]["net_frames"] == {"out": 21, "in": 3}  # virtio-net-pci
    # a bad header goes out as the model's sink got it (QEMU strips the negotiated header)
    assert res["net-tx-flags"]["net_frames"] == {"out": 1, "in": 0}
    # hangs agree as hangs: no buffer posted, a dropped frame, a read-only receive buffer
    assert res["net-no-rx-buffers"]["qemu"] == "timeout"
    assert res["net-no-rx-buffers"]["net_frames"] == {"out": 1, "in": 0}
    assert res["net-rx-small-buffers"]["net_frames"]["in"] == 1
    assert res["net-rx-readonly"]["qemu"] == "timeout"


def patched_frames(q, monkeypatch, change):
    real = q.read_frames

    def changed(path):
        f = real(path)
        change(f)
        return f
    monkeypatch.setattr(q, "read_frames", changed)


def test_a_changed_source_frame_disagrees(tools_present, tmp_path, monkeypatch):  # noqa: F811
    """The tool sends the source's frame 1 into QEMU with byte 20 flipped while the guest
    compares with the scenario's: the guest names frame 1, its length and byte 20."""
    q = tool()

    def flip(f):
        f["rx"][1] = f["rx"][1][:20] + bytes([f["rx"][1][20] ^ 0xff]) + f["rx"][1][21:]
    patched_frames(q, monkeypatch, flip)
    rc, r = run_one(q, tmp_path, NET / "net-legacy.yaml")
    assert rc == 1 and r["verdict"] == "disagree", r
    assert any("step 3 (net_receive): on QEMU the driver read frame/00000001/000005ea/00000014"
               in d for d in r["diffs"]), r["diffs"]


def test_a_frame_out_other_than_the_scenarios_disagrees(tools_present, tmp_path,  # noqa: F811
                                                        monkeypatch):
    """The tool expects the second net_send's frame with byte 100 changed: what QEMU's backend
    received (the driver's frame) differs there."""
    q = tool()

    def flip(f):
        step, repeat, b = f["tx"][1]
        f["tx"][1] = (step, repeat, b[:100] + bytes([b[100] ^ 1]) + b[101:])
    patched_frames(q, monkeypatch, flip)
    rc, r = run_one(q, tmp_path, NET / "net-legacy.yaml")
    assert rc == 1 and r["verdict"] == "disagree", r
    assert ("step 2 (net_send): QEMU's backend received 1514 bytes, the scenario's frame is "
            "1514; they differ from byte 100") in r["diffs"], r["diffs"]


def test_another_mac_on_qemu_disagrees(tools_present, tmp_path, monkeypatch):  # noqa: F811
    """QEMU's device is given a mac whose last byte differs from the scenario's: the guest
    names byte 5, the device's value and the scenario's."""
    q = tool()

    def mac(f):
        f["mac"] = f["mac"][:5] + b"\x01"
    patched_frames(q, monkeypatch, mac)
    rc, r = run_one(q, tmp_path, NET / "net-modern.yaml")
    assert rc == 1 and r["verdict"] == "disagree", r
    assert any("step 0 (init): on QEMU the driver read mac/00000005/00000001/00000056" in d
               for d in r["diffs"]), r["diffs"]


def test_compare_net_counts_frames_each_way():
    """compare_net on made-up results: a model that received another count, a frame the
    backend got twice, a frame out that is not the model's sink's."""
    q = tool()
    frame = bytes(range(60))
    sim = {"steps": [{"step": "init", "status": "ok"},
                     {"step": "net_send", "status": "ok", "detail": "frame of 60 byte(s) sent"},
                     {"step": "net_receive", "status": "ok",
                      "detail": "frames 0..2 of the source arrived, 2 received"}]}
    qr = {"steps": [{"status": "ok", "rx": "0"}, {"status": "ok", "rx": "2"}]}
    dev = {"frames": {"tx": [(0, 1, frame)]}, "tx_got": [frame], "rx_sent": 2}
    diffs, notes = [], []
    assert q.compare_net(sim, qr, dev, diffs, notes) == (1, 2) and diffs == [], diffs
    qr["steps"][1]["rx"] = "1"
    q.compare_net(sim, qr, dev, diffs, notes)
    assert diffs == ["step 2 (net_receive): the driver received 2 frame(s) on the model, 1 on "
                     "QEMU"], diffs
    qr["steps"][1]["rx"], diffs = "2", []
    dev["tx_got"] = [frame, frame]
    q.compare_net(sim, qr, dev, diffs, notes)
    assert diffs == ["QEMU's backend received 1 frame(s) no step sent"], diffs
    dev["tx_got"], diffs = [frame], []
    sim["steps"][1]["detail"] += ", sha256 0123456789abcdef"
    q.compare_net(sim, qr, dev, diffs, notes)
    assert diffs == ["step 1 (net_send): the model's sink got another frame (sha256 "
                     "0123456789abcdef) than QEMU's backend"], diffs
