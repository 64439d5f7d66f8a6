/* The packed virtqueue's renderer for the step-through viewer (viewer.js), chosen when the run
 * negotiated VIRTIO_F_RING_PACKED (§2.7, VirtIO 1.1 numbering): where its three parts lie, what
 * each byte of them is called and how they are drawn.
 *   - the descriptor ring, 16 bytes an entry: addr, len, id, flags (§2.7.13); the flags decoded
 *     (AVAIL bit 7, USED bit 15, NEXT, WRITE, INDIRECT) and what the entry is for the device's
 *     wrap counters (§2.7.1): available, in flight (taken, not yet used), used, or not available;
 *   - the Driver Area and the Device Area, each an event suppression structure (§2.7.14):
 *     off_wrap (offset bits 0-14, wrap bit 15) and flags (0 ENABLE, 1 DISABLE, 2 DESC);
 *   - the device's offsets and wrap counters, followed from its events: a "queue live" starts
 *     them (offset 0, wrap counter 1), a pop moves the avail offset by the list's descriptors
 *     (the wrap counter flips at the ring's end), a used descriptor moves the used offset by the
 *     list it returns, and the flags that publish it show the used wrap counter. Where the
 *     window starts after the queue went live (a recording, a run past the trace bound) they
 *     are not known, and entries show their bits only.
 * The trace's device events on a packed ring: pop {head: buffer id, avail_idx: the offset after
 * the list}, used {addr: the used descriptor's len, id, len} then device "used desc.flags"
 * {addr: its flags, value: AVAIL|USED = the used wrap counter}. */
"use strict";
(function (V) {
  var PARTS = {
    desc: {len: function (n) { return 16 * n; }, sec: "2.7.13", name: "Descriptor ring",
           driver: "the driver writes", device: "the device writes"},
    avail: {len: function () { return 4; }, sec: "2.7.14", field: "driver_event",
            name: "Driver Event Suppression", note: "The Driver Area: the driver writes it, the device reads it before it interrupts.",
            driver: "the driver writes", device: "the device reads"},
    used: {len: function () { return 4; }, sec: "2.7.14", field: "device_event",
           name: "Device Event Suppression", note: "The Device Area: the device writes it, the driver reads it before it notifies.",
           driver: "the driver reads", device: "the device writes"}};
  var AVAIL = 0x80, USED = 0x8000;
  var K = V.kit, views = K.views, indirectAt = K.indirectAt, cell = K.cell, hexf = K.hexf;
  var flagsf = K.flagsf([[AVAIL, "AVAIL"], [USED, "USED"], [1, "NEXT"], [2, "WRITE"], [4, "INDIRECT"]]);
  function regions(q) { return K.regions(q, PARTS); }
  var EVENT_FLAGS = ["ENABLE", "DISABLE", "DESC", "reserved"];
  var popAt = {};  /* event number of a pop -> the offset of the list's first descriptor */
  Object.assign(V.sections, {
    "2.7.1": "Driver and Device Ring Wrap Counters", "2.7.7": "Indirect Flag: Scatter-Gather Support",
    "2.7.13": "The Virtqueue Descriptor Format", "2.7.14": "Event Suppression Structure Format",
    "2.7.21.1": "Placing Available Buffers Into The Descriptor Ring",
    "2.7.21.2": "Sending Available Buffer Notifications", "2.7.22": "Receiving Used Buffers From The Device"});

  function descBase(q) { return q.device.desc != null ? q.device.desc : q.driver.desc; }
  function descField(off) {
    var o = off % 16;
    return "[" + Math.floor(off / 16) + "]." + (o < 8 ? "addr" : o < 12 ? "len" : o < 14 ? "id" : "flags");
  }
  function part(q, addr) {
    if (!q.size || addr == null) return null;
    var it = indirectAt(addr);
    if (it) return {part: "indirect", sec: "2.7.7", field: "indirect table at " + V.hex(it[0]) + ": entry" + descField(addr - it[0])};
    for (var p in PARTS) {
      var vs = views(q, p);
      for (var j = 0; j < vs.length; j++) {
        var off = addr - vs[j].addr;
        if (off < 0 || off >= PARTS[p].len(q.size)) continue;
        var f = p === "desc" ? "desc" + descField(off) : PARTS[p].field + (off < 2 ? ".off_wrap" : ".flags");
        return {part: p, field: f + (vs[j].who ? " (" + PARTS[p][vs[j].who] + ")" : ""), sec: PARTS[p].sec};
      }
    }
    return null;
  }

  /* ---- the device's offsets and wrap counters (§2.7.1) ---- */
  function counters(mem, q) { return mem.dev[q.index] || {}; }
  function setCounters(mem, q, s) { mem.dev[q.index] = Object.assign({}, counters(mem, q), s); }
  function pop(mem, e, q) {
    var s = counters(mem, q), at = s.pos, n = q.size, nd = Object.assign({}, s.nd), A = s.A;
    var len = at == null ? null : ((e.value - at + n) % n) || n;  /* a list is 1..n descriptors */
    if (len != null && A != null && at + len >= n) A = 1 - A;    /* §2.7.1: the end flips it */
    popAt[e.i] = at;
    if (len != null) nd[e.addr] = len;
    setCounters(mem, q, {pos: e.value, A: at == null ? null : A, nd: nd});
  }
  function used(mem, e, q) {
    var s = counters(mem, q), n = q.size, nd = Object.assign({}, s.nd), id = e.x[0];
    var slot = (e.addr - 8 - descBase(q)) / 16, len = nd[id];
    if (e.x[2] !== 0) { mem.write(e.addr, 4, e.x[1]); mem.write(e.addr + 4, 2, id); }  /* len, id */
    delete nd[id];
    var wrapped = len != null && slot + len >= n;
    setCounters(mem, q, {used: len == null ? null : (slot + len) % n, nd: nd, wrapped: wrapped,
                         U: len == null || s.U == null ? null : wrapped ? 1 - s.U : s.U});
  }
  function apply(mem, e, q) {
    if (e.kind === "device" && e.what === "queue live" && q)
      mem.dev[q.index] = {pos: 0, A: 1, used: 0, U: 1, nd: {}};
    else if (e.kind === "device" && e.what === "device reset")
      Object.keys(mem.dev).forEach(function (k) { mem.dev[k] = {}; });
    else if (e.kind === "pop" && q) pop(mem, e, q);
    else if (e.kind === "used" && q) used(mem, e, q);
    else if (e.kind === "device" && e.what === "used desc.flags" && e.addr != null) {
      mem.write(e.addr, 2, e.value);  /* the flags that publish it: AVAIL = USED = the counter */
      if (q) {
        var bit = (Number(e.value) & USED) ? 1 : 0, s = counters(mem, q);
        setCounters(mem, q, {U: s.wrapped ? 1 - bit : bit});
      }
    }
  }

  /* ---- drawing ---- */
  /* What entry i is for the device (§2.7.1), or only what its bits say when the counters are
   * not known. In flight: between the used offset and the avail offset (taken, not used yet). */
  function stateOf(flags, i, s, n, taken) {
    var a = (flags & AVAIL) ? 1 : 0, u = (flags & USED) ? 1 : 0;
    if (a === u) return "used (wrap " + u + ")";
    if (s.pos == null || s.A == null || s.used == null) return "available (wrap " + a + ")";
    if ((i - s.used + n) % n < (((s.pos - s.used + n) % n) || (taken >= n ? n : 0)))
      return "in flight (wrap " + a + ")";
    var lap = i >= s.pos ? s.A : 1 - s.A;  /* the counter the device has when it reaches i */
    return a === lap ? "available (wrap " + a + ")" :
      "not available: AVAIL " + a + ", the device reaches it with wrap " + lap;
  }
  function marks(i, s) {
    var m = [];
    if (s.pos === i) m.push("←avail");
    if (s.used === i) m.push("←used");
    return m.join(" ");
  }
  function descRows(st, q, a) {
    var rows = [], s = st.dev[q.index] || {};
    var taken = Object.keys(s.nd || {}).reduce(function (t, k) { return t + s.nd[k]; }, 0);  /* descriptors in flight */
    for (var i = 0; i < q.size; i++) {
      var b = a + 16 * i, f = cell(st, "flags", b + 14, 2, flagsf), fv = st.read(b + 14, 2);
      rows.push({label: "desc[" + i + "]", entry: true, mark: marks(i, s), cells: [
        cell(st, "addr", b, 8, hexf), cell(st, "len", b + 8, 4), cell(st, "id", b + 12, 2), f,
        {name: "state", addr: null, unknown: !fv.known,
         text: fv.known ? stateOf(Number(fv.v), i, s, q.size, taken) : "?"}]});
    }
    return rows;
  }
  function eventRows(st, q, a) {
    var ow = function (name, fmt) { return cell(st, name, a, 2, fmt); };
    return [{label: "off_wrap", cells: [ow("off_wrap", hexf),
              ow("offset", function (v) { return (v & 0x7fffn).toString(); }),
              ow("wrap", function (v) { return (v >> 15n).toString(); })]},
            {label: "flags", cells: [cell(st, "flags", a + 2, 2, function (v) {
              return hexf(v) + " " + (EVENT_FLAGS[Number(v)] || "reserved"); })]}];
  }
  function countersPanel(st, q) {
    var s = st.dev[q.index] || {}, k = function (v) { return v == null ? "?" : String(v); };
    var known = s.pos != null && s.A != null;
    return {id: "q" + q.index + "-wrap", title: "Queue " + q.index + ": the device's offsets and wrap counters",
            sec: "2.7.1", note: known ? null : "Not known here: the trace does not show this queue going live before this point.",
            rows: [{label: "avail", cells: [{name: "offset", text: k(s.pos), addr: null, unknown: s.pos == null},
                                            {name: "wrap", text: k(s.A), addr: null, unknown: s.A == null}]},
                   {label: "used", cells: [{name: "offset", text: k(s.used), addr: null, unknown: s.used == null},
                                           {name: "wrap", text: k(s.U), addr: null, unknown: s.U == null}]}]};
  }
  function entryCells(st, b) {  /* §2.7.7: an indirect table's entries are packed descriptors */
    return [cell(st, "addr", b, 8, hexf), cell(st, "len", b + 8, 4), cell(st, "id", b + 12, 2), cell(st, "flags", b + 14, 2, flagsf)];
  }
  function panels(st, q, rs) {
    if (!q.size) return K.unsized(q);
    return K.partPanels(st, q, PARTS, function (p, st2, q2, a) {
      return p === "desc" ? {rows: descRows(st2, q2, a), cols: ["addr", "len", "id", "flags", "state"]} :
        {rows: eventRows(st2, q2, a), note: PARTS[p].note};
    }, function (p) { return p === "desc" ? [countersPanel(st, q)] : []; })
      .concat(K.indirectPanel(st, q, rs || [], {flagsAt: 14, sec: "2.7.7", cells: entryCells}));
  }
  function ranges(e, q) {
    var at = popAt[e.i], base = descBase(q);
    if (e.kind === "pop" && at != null && base != null) return [[base + 16 * at, 16]];
    if (e.kind === "used") return [[e.addr, 6]];  /* len, id: the flags follow */
    if (e.kind === "device" && e.what === "used desc.flags" && e.addr != null) return [[e.addr, 2]];
    return [];
  }
  function slotOf(q, addr) { return "desc[" + Math.floor((addr - descBase(q)) / 16) + "]"; }
  function describe(e, q) {
    if (e.kind === "pop") return "took the list of buffer id " + e.addr + (popAt[e.i] != null ? " at desc[" + popAt[e.i] + "]" : "") +
      " (its next avail offset: " + e.value + ")";
    if (e.kind === "used") return (e.x[2] === 0 ? "did not write" : "wrote") + " used descriptor {id " + e.x[0] +
      ", len " + e.x[1] + "} in " + slotOf(q, e.addr) + " at " + V.hex(e.addr);
    if (e.kind === "device" && e.what === "used desc.flags") return "marked " + slotOf(q, e.addr) +
      " used: stored flags " + flagsf(V.big(e.value)) + " (used wrap counter " + ((Number(e.value) & USED) ? 1 : 0) + ")";
    return null;
  }
  V.renderers.packed = {regions: regions, panels: panels, part: part, ranges: ranges, apply: apply,
    describe: describe, isUsed: function (e) { return e.kind === "device" && e.what === "used desc.flags"; },
    sections: {wmb: "2.7.21.1", mb: "2.7.21.2", rmb: "2.7.22", notify: "2.7.21.2", pop: "2.7.21.1"},
    legend: "Packed ring (§2.7): ←avail marks the descriptor the device takes next, ←used the one it " +
      "marks used next. A descriptor is available when AVAIL ≠ USED and AVAIL equals the wrap counter the " +
      "device has when it reaches it, used when AVAIL = USED (a zeroed entry reads as used in wrap 0: " +
      "both counters start at 1); in flight: taken, not yet used."};
})(VQVIEW);
