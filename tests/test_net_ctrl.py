"""virtio-net's controlq (§5.1.6.5) and what QEMU 7.2's hw/net/virtio-net.c does that the model
was checked against (scenarios/devices/net/net-ctrl*.yaml, net-rx-filtered.yaml).

  net-ctrl               Linux's commands (RX mode, MAC table, MAC address, VLAN) acked as QEMU
                         acks them (virtio_net_handle_ctrl_iov), the new mac in the config, frames
                         through the receive filter: silent
  net-ctrl-*             each controlq rule fires, with the chain and the command named
  net-rx-filtered        a frame the filter drops (receive_filter): explained with its evidence
Each firing scenario also runs once with its bug undone (the correct command), which must be
silent: the rule fires on the bug, not on the scenario."""
import json
import re

import pytest

from conftest import ROOT, run

NET = ROOT / "scenarios" / "devices" / "net"

FIRING = {  # scenario: (outcome, rule, what its message must name)
    "net-ctrl-no-ack": ("timeout", "net.ctrl.header",
                        "controlq chain (head 0) has 3 device-readable and 0 device-writable"),
    "net-ctrl-ack-size": ("violation", "net.ctrl.ack-size",
                          "controlq chain (head 0) has 4 device-writable bytes"),
    "net-ctrl-not-negotiated": ("violation", "net.ctrl.class-negotiated",
                                "class 0 command 2 without net_ctrl_rx_extra negotiated"),
    "net-ctrl-mac-table": ("violation", "net.ctrl.mac-table",
                           "MAC_TABLE_SET (head 0, 14 data byte(s)): fewer bytes than its "
                           "counts say"),
    "net-ctrl-offloads": ("violation", "net.ctrl.offloads-negotiated",
                          "enables offloads 0x2; 0x2 of them are not negotiated"),
}


def results(vqsim, tmp_path, *paths):
    out = tmp_path / "r.json"
    p = run(vqsim, "run", "--json", out, *paths)
    return p, {s["name"]: s for s in json.loads(out.read_text())["scenarios"]}


@pytest.fixture(scope="module")
def ctrl(vqsim, tmp_path_factory):
    paths = sorted(NET.glob("net-ctrl*.yaml")) + [NET / "net-rx-filtered.yaml"]
    return results(vqsim, tmp_path_factory.mktemp("ctrl"), *paths)[1]


def test_linux_commands_acked_as_qemu_acks_them(ctrl):
    r = ctrl["net-ctrl"]
    assert r["passed"] and r["outcome"] == "ok", r["failures"]
    assert r["violations"] == [] and r["informational"] == []
    acks = [re.search(r"ack (\d+)$", s["detail"]).group(1) for s in r["steps"]
            if s["step"] == "net_ctrl"]
    # PROMISC, ALLMULTI, NOBCAST, MAC_TABLE_SET, MAC_ADDR_SET, VLAN_ADD 5, VLAN_DEL 5: OK (0);
    # VLAN_ADD 4096: ERR (1, vid >= MAX_VLAN)
    assert acks == ["0"] * 7 + ["1"], acks
    # the controlq was set up: the third queue, 64 at most (QEMU's ctrl_vq size)
    q = {x["index"]: x for x in r["queues"]}
    assert sorted(q) == [0, 1, 2] and q[2]["used_idx"] == 8, q
    # the frames to the new mac and to broadcast passed the filter, byte for byte (the harness
    # compares them with the source; MAC_ADDR_SET's effect was read back from the config)
    assert all(s["status"] == "ok" for s in r["steps"]), r["steps"]


@pytest.mark.parametrize("name", sorted(FIRING))
def test_each_controlq_rule_fires(ctrl, name):
    outcome, rule, evidence = FIRING[name]
    r = ctrl[name]
    assert r["passed"], r["failures"]
    assert r["outcome"] == outcome
    assert [v["rule"] for v in r["violations"]] == [rule], r["violations"]
    assert evidence in r["violations"][0]["message"], r["violations"][0]["message"]
    assert r["violations"][0]["section"].startswith("5.1.6.5")


def test_missing_ack_breaks_the_device_as_qemu(ctrl):
    cause = ctrl["net-ctrl-no-ack"]["diagnosis"]["causes"][0]
    assert cause["cause"] == "device-broken"
    assert cause["evidence"]["broken_by"] == "net.ctrl.header"
    assert cause["evidence"]["queue"] == "2"
    assert "virtio-net ctrl missing headers" in ctrl["net-ctrl-no-ack"]["violations"][0]["message"]


CORRECTED = {  # each firing scenario's step with the bug undone: silent, and the ack QEMU's
    "net-ctrl-no-ack": ('{class: 0, command: 0, data: "00", expect_ack: OK}',
                        "[net_ctrl_vq, net_ctrl_rx]"),
    "net-ctrl-ack-size": ('{class: 0, command: 0, data: "00", writable: 1, expect_ack: OK}',
                          "[net_ctrl_vq, net_ctrl_rx]"),
    "net-ctrl-not-negotiated": ('{class: 0, command: 2, data: "01", expect_ack: OK}',
                                "[net_ctrl_vq, net_ctrl_rx, net_ctrl_rx_extra]"),
    "net-ctrl-mac-table": ('{class: 1, command: 0, data: "0100000052540000000100000000", '
                           'expect_ack: OK}', "[net_ctrl_vq, net_ctrl_rx]"),
    "net-ctrl-offloads": ('{class: 5, command: 0, data: "0000000000000000", expect_ack: ERR}',
                          "[net_ctrl_vq, net_ctrl_guest_offloads]"),
}


@pytest.mark.parametrize("name", sorted(CORRECTED))
def test_the_correct_command_is_silent(vqsim, tmp_path, name):
    step, features = CORRECTED[name]
    s = tmp_path / "s.yaml"
    s.write_text(f"name: {name}-fixed\ndevice: {{transport: modern, type: net}}\n"
                 f"driver: {{features: {features}}}\nsteps:\n  - net_ctrl: {step}\n"
                 "expect: {outcome: ok, violations: []}\n")
    p, res = results(vqsim, tmp_path, s)
    r = res[f"{name}-fixed"]
    assert p.returncode == 0 and r["passed"], (r["failures"], r["violations"])
    assert r["violations"] == []


def test_filtered_frame_is_explained(ctrl):
    r = ctrl["net-rx-filtered"]
    assert r["passed"], r["failures"]
    assert [st["status"] for st in r["steps"]] == ["ok", "ok", "ok", "timeout"]  # init, RX
    # PROMISC off, the frame to the device's own mac delivered, the other's dropped
    cause = r["diagnosis"]["causes"][0]
    assert cause["cause"] == "rx-frame-filtered" and cause["section"] == "5.1.6.5.1"
    ev = cause["evidence"]
    assert (ev["frames_filtered"], ev["first_destination"], ev["device_mac"]) == \
        ("1", "52:54:00:77:77:77", "52:54:00:12:34:56")
    assert ev["filter"].startswith("promisc 0 "), ev["filter"]


def test_header_alone_breaks_the_device_as_qemu(vqsim, tmp_path):
    """A transmit chain holding the 12-byte header and nothing after it: QEMU 7.2 with a peer
    without a vnet header copies the bytes after guest_hdr_len, finds none and breaks
    (virtio_net_flush_tx: virtio_error "virtio-net nothing to send")."""
    s = tmp_path / "s.yaml"
    s.write_text("name: hdr\ndevice: {transport: modern, type: net}\nsteps:\n"
                 "  - net_send: {bytes: 1, header_bytes: 11, expect_status: device-needs-reset}\n"
                 "expect: {outcome: timeout, violations: [net.tx.header]}\n")
    p, res = results(vqsim, tmp_path, s)
    r = res["hdr"]
    assert r["passed"], r["failures"]
    msg = r["violations"][0]["message"]
    assert "has 12 device-readable byte(s)" in msg and "nothing to send" in msg, msg


def test_net_ctrl_step_errors(vqsim, tmp_path):
    cases = [("{command: 0}", "net_ctrl needs 'class' and 'command'"),
             ('{class: 0, command: 0, data: "abc"}', "'data' is an even number of hex digits"),
             ('{class: 0, command: 0, expect_ack: MAYBE}', "expect_ack is OK or ERR"),
             ('{class: 0, command: 0, data: "00", readable: 4}', "'readable' is 4"),
             ("", "net_ctrl needs its arguments")]
    for args, message in cases:
        s = tmp_path / "s.yaml"
        s.write_text("name: e\ndevice: {transport: modern, type: net}\nsteps:\n"
                     f"  - net_ctrl{': ' + args if args else ''}\nexpect: {{outcome: ok}}\n")
        p = run(vqsim, "run", s)
        assert p.returncode == 2 and message in p.stderr, (args, p.stderr)
