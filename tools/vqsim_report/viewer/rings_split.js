/* The split virtqueue's renderer for the step-through viewer (viewer.js): where its three parts
 * lie, what each byte of them is called, and how they are drawn (§2.6: descriptor table 16 bytes
 * per entry, available ring flags/idx/ring[N]/used_event, used ring flags/idx/ring[N] of {id,
 * len}/avail_event). Where the driver and the device place a part at different addresses (the
 * legacy used-ring mismatch), both are drawn: the ring the driver uses and the one the device
 * uses. Another ring format registers its own renderer under its `ring` name. */
"use strict";
(function (V) {
  var PARTS = {
    desc: {len: function (n) { return 16 * n; }, sec: "2.6.5", name: "Descriptor table",
           driver: "the driver writes", device: "the device reads"},
    avail: {len: function (n) { return 6 + 2 * n; }, sec: "2.6.6", name: "Available ring",
            driver: "the driver writes", device: "the device reads"},
    used: {len: function (n) { return 6 + 8 * n; }, sec: "2.6.8", name: "Used ring",
           driver: "the driver polls", device: "the device writes"}};
  var K = V.kit, views = K.views, indirectAt = K.indirectAt, cell = K.cell, hexf = K.hexf;
  var flagsf = K.flagsf([[1, "NEXT"], [2, "WRITE"], [4, "INDIRECT"]]);
  function regions(q) { return K.regions(q, PARTS); }

  function field(part, off, n) {
    if (part === "desc") {
      var i = Math.floor(off / 16), o = off % 16;
      return "desc[" + i + "]." + (o < 8 ? "addr" : o < 12 ? "len" : o < 14 ? "flags" : "next");
    }
    if (part === "avail") {
      if (off < 2) return "avail.flags";
      if (off < 4) return "avail.idx";
      if (off < 4 + 2 * n) return "avail.ring[" + Math.floor((off - 4) / 2) + "]";
      return "avail.used_event";
    }
    if (off < 2) return "used.flags";
    if (off < 4) return "used.idx";
    if (off < 4 + 8 * n) {
      var k = Math.floor((off - 4) / 8);
      return "used.ring[" + k + "]." + ((off - 4) % 8 < 4 ? "id" : "len");
    }
    return "used.avail_event";
  }
  function part(q, addr) {
    if (!q.size || addr == null) return null;
    var it = indirectAt(addr);
    if (it) return {part: "indirect", sec: "2.6.5.3", field: "indirect table at " + V.hex(it[0]) +
                    ": " + field("desc", addr - it[0], 0).replace(/^desc/, "entry")};
    for (var p in PARTS) {
      var vs = views(q, p);
      for (var j = 0; j < vs.length; j++) {
        var off = addr - vs[j].addr;
        if (off >= 0 && off < PARTS[p].len(q.size)) {
          var f = field(p, off, q.size), sec = PARTS[p].sec;
          if (/used_event$/.test(f)) sec = "2.6.7";
          if (/avail_event$/.test(f)) sec = "2.6.10";
          return {part: p, field: f + (vs[j].who ? " (the ring " + PARTS[p][vs[j].who] + ")" : ""), sec: sec};
        }
      }
    }
    return null;
  }
  function descPanel(st, q, a) {
    var rows = [], dev = st.dev[q.index] || {};
    for (var i = 0; i < q.size; i++) {
      var b = a + 16 * i;
      rows.push({label: "desc[" + i + "]", entry: true, cls: dev.head === i ? "head" : "", cells: [
        cell(st, "addr", b, 8, hexf), cell(st, "len", b + 8, 4), cell(st, "flags", b + 12, 2, flagsf),
        cell(st, "next", b + 14, 2)]});
    }
    return rows;
  }
  function idxOf(st, a) { var r = st.read(a + 2, 2); return r.known ? Number(r.v) : null; }
  function availPanel(st, q, a) {
    var n = q.size, idx = idxOf(st, a), rows = [
      {label: "flags", cells: [cell(st, "flags", a, 2, hexf)]},
      {label: "idx", cells: [cell(st, "idx", a + 2, 2)]}];
    for (var i = 0; i < n; i++)
      rows.push({label: "ring[" + i + "]", entry: true, cls: idx !== null && idx % n === i ? "next" : "",
                 cells: [cell(st, "head", a + 4 + 2 * i, 2)]});
    rows.push({label: "used_event", cells: [cell(st, "used_event", a + 4 + 2 * n, 2)]});
    return rows;
  }
  function usedPanel(st, q, a) {
    var n = q.size, idx = idxOf(st, a), rows = [
      {label: "flags", cells: [cell(st, "flags", a, 2, hexf)]},
      {label: "idx", cells: [cell(st, "idx", a + 2, 2)]}];
    for (var i = 0; i < n; i++)
      rows.push({label: "ring[" + i + "]", entry: true, cls: idx !== null && idx % n === i ? "next" : "",
                 cells: [cell(st, "id", a + 4 + 8 * i, 4), cell(st, "len", a + 8 + 8 * i, 4)]});
    rows.push({label: "avail_event", cells: [cell(st, "avail_event", a + 4 + 8 * n, 2)]});
    return rows;
  }
  var DRAW = {desc: descPanel, avail: availPanel, used: usedPanel};
  function entryCells(st, b) {
    return [cell(st, "addr", b, 8, hexf), cell(st, "len", b + 8, 4), cell(st, "flags", b + 12, 2, flagsf), cell(st, "next", b + 14, 2)];
  }
  function panels(st, q, rs) {
    if (!q.size) return K.unsized(q);
    return K.partPanels(st, q, PARTS, function (p, st2, q2, a) { return {rows: DRAW[p](st2, q2, a)}; })
      .concat(K.indirectPanel(st, q, rs || [], {flagsAt: 12, sec: "2.6.5.3", cells: entryCells}));
  }
  function ranges(e, q) {
    if (e.kind === "pop" && q.device.desc != null && e.addr != null) return [[q.device.desc + 16 * e.addr, 16]];
    if (e.kind === "used") return [[e.addr, 8]];
    if (e.kind === "device" && e.what === "used.idx" && e.addr != null) return [[e.addr, 2]];
    return [];
  }
  /* The device's side of the ring: a used element {id, len} (§2.6.8; an injected fault may
   * publish the idx without writing it), then used.idx; a pop's head and the avail.idx it saw. */
  function apply(mem, e, q) {
    if (e.kind === "used" && e.x[2] !== 0) { mem.write(e.addr, 4, e.x[0]); mem.write(e.addr + 4, 4, e.x[1]); }
    if (e.kind === "device" && e.what === "used.idx" && e.addr != null) mem.write(e.addr, 2, e.value);
    if (e.kind === "pop") mem.dev[e.queue] = Object.assign({}, mem.dev[e.queue], {head: e.addr, seen: e.value});
  }
  function describe(e) {
    if (e.kind === "pop") return "took the chain at head " + e.addr + " (avail.idx it saw: " + e.value + ")";
    if (e.kind === "used") return (e.x[2] === 0 ? "did not write" : "wrote") + " used element {id " + e.x[0] +
      ", len " + e.x[1] + "} at " + V.hex(e.addr);
    if (e.kind === "device" && e.what === "used.idx") return "stored used.idx = " + e.value + " at " + V.hex(e.addr);
    return null;
  }
  V.renderers.split = {regions: regions, panels: panels, part: part, ranges: ranges, apply: apply,
    describe: describe, isUsed: function (e) { return e.kind === "used"; },
    sections: {wmb: "2.6.13.3", mb: "2.6.13.4", rmb: "2.6.14", notify: "2.6.13.4", pop: "2.6.6"},
    legend: "←idx marks the slot the ring's idx points at next."};
})(VQVIEW);
