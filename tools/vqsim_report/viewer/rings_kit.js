/* What the ring renderers (rings_split.js, rings_packed.js) share, as VQVIEW.kit: where a part
 * lies for the driver and for the device, the indirect tables (both formats: 16-byte entries,
 * flags INDIRECT = 4, addr at 0, len at 8; §2.6.5.3, §2.7.7), a cell read from the state, and the
 * panels of a format's parts. A format gives PARTS = {name: {len(n), sec, name, driver, device}}
 * and draws each part's rows itself. */
"use strict";
(function (V) {
  function views(q, part) { /* where the driver and the device place a part: both when they differ */
    var d = q.driver[part], v = q.device[part];
    if (d != null && v != null && d !== v) return [{addr: d, who: "driver"}, {addr: v, who: "device"}];
    var a = v != null ? v : d;
    return a == null ? [] : [{addr: a, who: null}];
  }
  function regions(q, parts) {
    if (!q.size) return [];
    var out = (V.data().indirect || []).slice();  /* indirect tables: shared by the queues */
    Object.keys(parts).forEach(function (p) {
      views(q, p).forEach(function (v) { out.push([v.addr, parts[p].len(q.size)]); });
    });
    return out;
  }
  function indirectAt(addr) { /* the indirect table holding addr: [base, length] or null */
    var t = V.data().indirect || [];
    for (var i = 0; i < t.length; i++) if (addr >= t[i][0] && addr < t[i][0] + t[i][1]) return t[i];
    return null;
  }
  function cell(st, name, addr, n, fmt) {
    var r = st.read(addr, n);
    return {name: name, addr: addr, size: n, unknown: !r.known,
            text: r.known ? (fmt ? fmt(r.v) : r.v.toString()) : "?"};
  }
  function hexf(v) { return "0x" + v.toString(16); }
  function flagsf(names) { /* names: [[bit, name]] -> a formatter "0x.. NAME|NAME" */
    return function (v) {
      var on = names.filter(function (f) { return (v & BigInt(f[0])) !== 0n; }).map(function (f) { return f[1]; });
      return hexf(v) + (on.length ? " " + on.join("|") : "");
    };
  }
  /* The indirect table the access is in, or the one the descriptor it touches names (drawn for
   * the instant: a driver may have a table per request). f: {flagsAt, sec, cells(st, entry addr)}. */
  function indirectPanel(st, q, rs, f) {
    var t = null, from = "";
    rs.forEach(function (r) { t = t || indirectAt(r[0]); });
    if (!t) views(q, "desc").forEach(function (v) {
      rs.forEach(function (r) {
        var i = Math.floor((r[0] - v.addr) / 16);
        if (t || r[0] < v.addr || i >= q.size) return;
        var fl = st.read(v.addr + 16 * i + f.flagsAt, 2), a = st.read(v.addr + 16 * i, 8), n = st.read(v.addr + 16 * i + 8, 4);
        if (fl.known && (fl.v & 4n) && a.known && n.known) {
          t = indirectAt(Number(a.v)) && [Number(a.v), Number(n.v)];  /* as long as this desc says */
          from = " named by desc[" + i + "]";
        }
      });
    });
    if (!t) return [];
    var rows = [];
    for (var k = 0; k < Math.floor(t[1] / 16); k++)
      rows.push({label: "entry[" + k + "]", entry: true, cells: f.cells(st, t[0] + 16 * k)});
    return [{id: "q" + q.index + "-indirect", title: "Queue " + q.index + ": indirect table" + from + " at " + V.hex(t[0]),
             sec: f.sec, rows: rows}];
  }
  /* A panel per part and per place it lies (the driver's and the device's where they differ);
   * draw(part, st, q, addr) -> {rows, ...more of the panel}; after(part) -> panels to add. */
  function partPanels(st, q, parts, draw, after) {
    var out = [];
    Object.keys(parts).forEach(function (p) {
      views(q, p).forEach(function (v) {
        out.push(Object.assign({id: "q" + q.index + "-" + p + (v.who ? "-" + v.who : ""),
                  title: "Queue " + q.index + ": " + parts[p].name + (v.who ? " " + parts[p][v.who] : "") + " at " + V.hex(v.addr) +
                         (V.inRam(v.addr) ? "" : " — outside guest RAM"),
                  sec: parts[p].sec}, draw(p, st, q, v.addr)));
      });
      out = out.concat(after ? after(p) : []);
    });
    return out;
  }
  function unsized(q) {
    return [{id: "q" + q.index, title: "Queue " + q.index + ": its size is not known, its rings cannot be drawn", sec: null, rows: []}];
  }
  V.kit = {views: views, regions: regions, indirectAt: indirectAt, cell: cell, hexf: hexf,
           flagsf: flagsf, indirectPanel: indirectPanel, partPanels: partPanels, unsized: unsized};
})(VQVIEW);
