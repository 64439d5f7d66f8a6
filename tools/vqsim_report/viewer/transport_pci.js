/* The virtio-pci registers for the step-through viewer (viewer.js), chosen when the run's device
 * sat on PCI (the results' device.bus): what the model traces for each access (its `reg`, the
 * field the access hit, and its address) named and given its section (VirtIO 1.1 §4.1):
 *   common.*              the common configuration structure (§4.1.4.3); a queue's fields per
 *                         common.queue_select (§4.1.5.1.3), the MSI-X vectors §4.1.5.1.2,
 *                         device_status §2.1
 *   notify                the notification structure (§4.1.4.4; a notify: §4.1.5.2)
 *   isr                   the ISR status (§4.1.4.5)
 *   device+0xN            the device-specific configuration (§4.1.4.6)
 *   pci-cfg               the function's configuration space (§4.1.2, the capability list
 *                         §4.1.4); its address is the ECAM one, so each offset is its own row
 *   msix.table, msix.pba  the MSI-X table and pending bits (BAR1), each offset its own row
 * The trace does not record an access's width: a row is named by the offset it starts at. */
"use strict";
(function (V) {
  Object.assign(V.sections, {
    "4.1.2": "PCI Device Discovery", "4.1.4": "Virtio Structure PCI Capabilities",
    "4.1.4.3": "Common configuration structure layout", "4.1.4.4": "Notification structure layout",
    "4.1.4.5": "ISR status capability", "4.1.4.6": "Device-specific configuration",
    "4.1.5.1.2": "MSI-X Vector Configuration", "4.1.5.1.3": "Virtqueue Configuration",
    "4.1.5.2": "Available Buffer Notifications", "4.1.5.3": "Used Buffer Notifications"});
  var HEADER = {0x00: "Vendor ID / Device ID", 0x04: "Command / Status", 0x08: "Revision / Class",
    0x0c: "Header Type", 0x10: "BAR0", 0x14: "BAR1", 0x18: "BAR2", 0x1c: "BAR3", 0x20: "BAR4",
    0x24: "BAR5", 0x2c: "Subsystem IDs", 0x30: "Expansion ROM", 0x34: "Capabilities Pointer",
    0x3c: "Interrupt Line / Pin"};
  function num(v) { return v == null ? 0 : Number(V.big(v)); }
  function hex3(n) { return "0x" + ("00" + n.toString(16)).slice(-3); }
  function isQueueField(name) { return /^common\.queue_/.test(name) && name !== "common.queue_select"; }
  function section(name, offset) {
    name = name || "";
    if (name === "common.device_status") return "2.1";
    if (/msix_(config|vector)$/.test(name) || /^msix\./.test(name)) return "4.1.5.1.2";
    if (isQueueField(name)) return "4.1.5.1.3";
    if (/^common/.test(name)) return "4.1.4.3";
    if (name === "notify") return "4.1.5.2";
    if (name === "isr") return "4.1.4.5";
    if (/^device/.test(name)) return "4.1.4.6";
    if (name === "pci-cfg") return (num(offset) & 0xfff) >= 0x40 ? "4.1.4" : "4.1.2";
    return "4.1";
  }
  function key(name, offset, regs) {
    if (isQueueField(name))
      return name + " [queue " + (regs["common.queue_select"] ? Number(regs["common.queue_select"].v) : 0) + "]";
    if (name === "pci-cfg") {
      var off = num(offset) & 0xfff, h = HEADER[off];
      return "config " + hex3(off) + " " + (h || (off >= 0x40 ? "capability list" : ""));
    }
    if (/^msix\./.test(name)) return name + " (" + V.hex(offset) + ")";
    return name;
  }
  V.transports.pci = {registers: "4.1.4", notify: "notify", irq: "4.1.5.3", isr: "ISR status",
    section: section, key: key, title: "virtio-pci",
    note: "The common configuration, notify, ISR and device-specific fields by name (a queue's per " +
      "queue_select); the configuration space by offset (the trace records no access width: a row " +
      "is the offset an access starts at)."};
})(VQVIEW);
