"""virtio-net through the CLI (scenarios/devices/net/): each scenario's verdict, the rule each rule
scenario proves with QEMU's answer, the frames judged by content (the frame generator is written
again here, apart from the C code, and a scenario whose source differs from what the device sends
must fail), the silent device explained with its evidence, and the errors of a malformed net
section."""
import hashlib
import json
import re

import pytest

from conftest import ROOT, run

NET = ROOT / "scenarios" / "devices" / "net"

FIRING = {
    "net-tx-short-header": ("timeout", ["net.tx.header"]),
    "net-tx-num-buffers": ("violation", ["net.tx.num-buffers-zero"]),
    "net-tx-flags": ("violation", ["net.tx.flags-zero"]),
    "net-tx-gso": ("violation", ["net.tx.gso-negotiated"]),
    "net-rx-small-buffers": ("timeout", ["net.rx.buffer-size"]),
    "net-rx-mergeable-tiny": ("device-error", ["net.rx.buffer-header"]),
    "net-rx-readonly": ("timeout", ["net.rx.writable"]),
    "net-no-rx-buffers": ("timeout", []),
}
CLEAN = ["net-modern", "net-legacy", "net-pci", "net-mergeable"]


def frame_byte(seed, i):
    """kernel_net_frame_byte (harness/kernel_net.c), written again."""
    m = (1 << 64) - 1
    if 9 <= i < 12:
        return (seed >> 8 * (i - 9)) & 0xFF
    if i < 14:
        return ([0xFF] * 6 + [0x52, 0x54, 0x00, 0, 0, 0, 0x88, 0xB5])[i]
    z = (seed * 0x9E3779B97F4A7C15 + i * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return ((z ^ (z >> 31)) & m) >> 56


def frame(seed, n):
    return bytes(frame_byte(seed, i) for i in range(n))


def run_json(vqsim, tmp_path, *scenarios):
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, *scenarios)
    return p, {s["name"]: s for s in json.loads(out.read_text())["scenarios"]}


@pytest.fixture(scope="module")
def net_results(vqsim, tmp_path_factory):
    return run_json(vqsim, tmp_path_factory.mktemp("net"), *sorted(NET.glob("*.yaml")))[1]


def test_correct_driver_is_clean(net_results):
    for name in CLEAN:
        r = net_results[name]
        assert r["passed"], (name, r["failures"])
        assert r["outcome"] == "ok" and r["violations"] == [] and r["informational"] == []
        assert all(s["status"] == "ok" for s in r["steps"]), r["steps"]
        transport = "virtio-pci" if name.endswith("-pci") else "virtio-mmio"
        assert r["steps"][0]["detail"].startswith(transport), r["steps"][0]["detail"]
    init = {n: net_results[n]["steps"][0]["detail"] for n in CLEAN}
    # the header per negotiated features (§5.1.6): 10 on a legacy device without MRG_RXBUF
    assert "net 52:54:00:ab:cd:ef link up, 10-byte header" in init["net-legacy"]
    assert "net 52:54:00:12:34:56 link up, 12-byte header, 16 receive buffer(s) of 1526 bytes" \
        in init["net-modern"]
    assert init["net-mergeable"].endswith("16 receive buffer(s) of 256 bytes, mergeable")
    assert init["net-pci"].endswith("of 1526 bytes, mergeable")


def test_offer_is_qemus_without_a_vnet_header_peer(net_results):
    """QEMU 7.2's virtio_net_properties defaults, less what virtio_net_get_features clears for a
    peer without a vnet header (checksums, TSO, ECN, UFO), named as a net device's bits
    (feature_name_of: bits 2, 5, 6 are blk's on a disk). GSO is in the class's legacy_features:
    virtio-mmio version 2 hides it (hw/virtio/virtio-mmio.c: host_features & ~legacy_features;
    Linux 6.1 read DeviceFeatures 0x30bf8024 from QEMU's version 2 window)."""
    ctrl = ["net_ctrl_vq", "net_ctrl_rx", "net_ctrl_vlan", "net_ctrl_rx_extra",
            "net_guest_announce", "net_ctrl_mac_addr"]
    modern = net_results["net-modern"]["device"]["offered"]
    assert modern == ["net_ctrl_guest_offloads", "net_mac", "net_mrg_rxbuf", "net_status", *ctrl,
                      "indirect_desc", "event_idx", "version_1", "ring_reset"]
    legacy = net_results["net-legacy"]["device"]["offered"]
    assert legacy == ["net_ctrl_guest_offloads", "net_mac", "net_gso", "net_mrg_rxbuf",
                      "net_status", *ctrl, "notify_on_empty", "any_layout", "indirect_desc",
                      "event_idx"]


def test_every_net_rule_fires_with_qemus_answer(net_results):
    for name, (outcome, rules) in FIRING.items():
        r = net_results[name]
        assert r["passed"], (name, r["failures"])
        assert r["outcome"] == outcome, name
        assert sorted({v["rule"] for v in r["violations"]}) == rules, name
    # a short transmit header breaks the device (virtio_error): named on the transmitq
    cause = net_results["net-tx-short-header"]["diagnosis"]["causes"][0]
    assert cause["cause"] == "device-broken"
    assert cause["evidence"]["queue"] == "1" and cause["evidence"]["broken_by"] == "net.tx.header"
    v = net_results["net-tx-short-header"]["violations"][0]
    assert "has 10 device-readable byte(s)" in v["message"] and "12-byte header" in v["message"]
    # a receive chain with no writable buffer: broken, and no false no-notify before it
    causes = net_results["net-rx-readonly"]["diagnosis"]["causes"]
    assert [c["cause"] for c in causes] == ["device-broken"]
    assert causes[0]["evidence"]["broken_by"] == "net.rx.writable"
    # each of the 9 buffers of 8 bytes the frame took is named (mergeable, below the header)
    tiny = net_results["net-rx-mergeable-tiny"]["violations"]
    assert len(tiny) == 9 and all("holds 8 byte(s)" in v["message"] for v in tiny)
    # num_buffers 1 on transmit: the frame still reaches the sink byte for byte
    assert net_results["net-tx-num-buffers"]["failures"] == []


def test_receiveq_never_filled_is_explained(net_results):
    r = net_results["net-no-rx-buffers"]
    assert r["violations"] == []
    causes = r["diagnosis"]["causes"]
    assert [c["cause"] for c in causes] == ["no-buffers-posted"]
    assert causes[0]["section"] == "5.1.6.3"
    ev = causes[0]["evidence"]
    assert (ev["frames_waiting"], ev["buffers_available"], ev["bytes_available"],
            ev["bytes_needed"]) == ("1", "0", "0", "72")
    assert ev["queue"] == "0"
    # the frame sent before it went out: transmit works without receive buffers
    assert r["steps"][1]["status"] == "ok"


def test_short_buffer_drops_the_frame_and_says_so(net_results):
    r = net_results["net-rx-small-buffers"]
    assert r["steps"][1]["status"] == "ok"            # 60 bytes + 12 fit in 512
    assert r["steps"][2]["status"] == "timeout"       # 1514 + 12 do not: dropped
    cause = r["diagnosis"]["causes"][0]
    assert cause["cause"] == "rx-buffer-too-small" and cause["section"] == "5.1.6.3.1"
    assert (cause["evidence"]["frames_dropped"], cause["evidence"]["bytes_needed"],
            cause["evidence"]["buffer_bytes"]) == ("1", "1526", "512")


def scenario(tmp_path, net, steps, driver="", transport="modern"):
    s = tmp_path / "s.yaml"
    s.write_text(f"name: n\ndevice:\n  transport: {transport}\n  type: net\n  net: {net}\n"
                 f"{driver}steps:\n{steps}expect:\n  outcome: ok\n  violations: []\n")
    return s


def sha(data):
    return hashlib.sha256(data).hexdigest()[:16]


ARP = bytes.fromhex("ffffffffffff525400123456080600010800060400015254001234560a000202"
                    "000000000000000a000201")


def test_frames_are_judged_by_content(net_results):
    """Every frame the sink got and every frame the driver received, hashed by the harness, is
    the frame this file computes (the generator written again): sent frames by their seed, the
    received ones as the scenario's source lists them (net-modern.yaml, net-mergeable.yaml)."""
    def hashes(name):
        return [re.search(r"sha256 ([0-9a-f]{16})", s["detail"]).group(1)
                for s in net_results[name]["steps"][1:]]
    assert hashes("net-modern") == [
        sha(frame(10, 60)), sha(frame(11, 64)), sha(frame(12, 1514)), sha(frame(13, 100)),
        sha(frame(1, 60)), sha(frame(2, 1514) + frame(3, 342) + ARP)]
    # mergeable: a 1514-byte frame gathered from 7 buffers of 256, frames of 244 and 245 bytes
    # (with the header: exactly one buffer, and one byte more)
    assert hashes("net-mergeable") == [
        sha(frame(41, 1514)), sha(frame(42, 60) + frame(43, 244) + frame(44, 245)),
        sha(frame(40, 1514))]
    legacy = [s["detail"] for s in net_results["net-legacy"]["steps"][1:]]
    assert legacy[2].endswith("2 received, sha256 " + sha(frame(21, 60) + frame(22, 1514)))


def test_net_section_errors(vqsim, tmp_path):
    cases = [
        ('{mac: "52:54:00"}', "'mac' is six hex bytes"),
        ('{frames: [{hex: "abc"}]}', "'hex' is an even number of hex digits"),
        ('{frames: [{bytes: 10, hex: "ab"}]}', "a frame is either"),
        ('{frames: [{bytes: 70000}]}', "bytes"),
        ('{pcap: x}', "pcap"),
    ]
    for net, message in cases:
        s = scenario(tmp_path, net, "  - net_receive: {count: 1}\n")
        p = run(vqsim, "run", s)
        assert p.returncode == 2, (net, p.stdout, p.stderr)
        assert message in p.stderr, (net, p.stderr)
    s = tmp_path / "g.yaml"
    s.write_text("name: g\ndevice: {transport: modern, type: net}\nsteps:\n"
                 "  - rng_read: {bytes: 4}\nexpect: {outcome: ok}\n")
    p = run(vqsim, "run", s)
    assert "step 'rng_read' is not a step of a net device" in p.stderr
