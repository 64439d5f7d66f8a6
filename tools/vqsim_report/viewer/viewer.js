/* vqsim step-through viewer: one scenario's run, event by event (tools/report.py writes the page,
 * its data file ANCHOR.data.js and copies this file beside them). Offline: no network, no
 * library. The state at an event is rebuilt from the nearest keyframe (every KEY events, taken
 * in one pass when the data loads) plus the events after it, so any position costs at most KEY
 * event applications: a 65,536-event run scrubs as smoothly as a short one.
 *
 * The state is the guest memory of every ring region (as the driver and as the device place the
 * rings; a byte is "known" once a store or a load showed it), the registers by name, and per queue
 * what the device did. A ring format draws it through VQVIEW.renderers[format] (rings_split.js,
 * rings_packed.js; the data's `ring` picks one):
 *   regions(q)           -> [[addr, length]] of guest memory the format's parts occupy
 *   panels(view, q, rs)  -> [{title, sec, rows: [{label, mark, entry, cls, cells: [{name, text, addr, size}]}]}]
 *                           (rs: the [addr, size] ranges the current event touches)
 *                           (entry: one of the part's N entries; past WINDOW of them, only a
 *                           window around the access is drawn, and the part says which;
 *                           mark: a short note drawn after the label, e.g. "←idx")
 *   part(q, addr)        -> {part, field, sec} naming an address, or null
 *   apply(mem, e, q)     -> the device's side of an event (pop, used, device) on the state:
 *                           mem.write(addr, n, value), mem.read(addr, n), mem.dev (per queue,
 *                           replaced, never mutated: keyframes share it)
 *   ranges(ev, q)        -> [[addr, size]] a device event touches (a pop: its head descriptor)
 *   describe(ev, q)      -> the sentence for a pop, used or device event, or null
 *   isUsed(ev)           -> whether the event marks a buffer used ("next used")
 *   sections             -> {wmb, mb, rmb, notify, pop}: the spec sections of those events
 *   legend               -> what the part's marks mean (the page's legend)
 * A transport names its registers through VQVIEW.transports[name] (mmio here, pci in
 * transport_pci.js): {registers, section(reg, offset), key(reg, offset, regs), notify, irq}. */
"use strict";
var VQVIEW = (function () {
  var KEY = 512, WINDOW = 64;
  var WHO = {"mmio-read": "driver", "mmio-write": "driver", "ring-store": "driver",
             "ring-load": "driver", "barrier": "driver", "notify": "device", "pop": "device",
             "used": "device", "irq": "device", "device": "device", "step": "scenario",
             "other": "checker"};
  var SECTIONS = {
    "2.1": "Device Status Field", "2.6.5": "The Virtqueue Descriptor Table",
    "2.6.5.3": "Indirect Descriptors", "2.6.6": "The Virtqueue Available Ring",
    "2.6.7": "Used Buffer Notification Suppression", "2.6.8": "The Virtqueue Used Ring",
    "2.6.10": "Available Buffer Notification Suppression", "2.6.13.3": "Updating idx",
    "2.6.13.4": "Notifying The Device", "2.6.14": "Receiving Used Buffers From The Device",
    "3.1.1": "Driver Requirements: Device Initialization", "4.2.2": "MMIO Device Register Layout",
    "4.2.3.2": "Virtqueue Configuration", "4.2.3.3": "Available Buffer Notifications",
    "4.2.3.4": "Notifications From The Device"};
  /* The register window's sections, per transport (the data's `transport`): another transport
   * registers its own (VQVIEW.transports.NAME, as transport_pci.js does). key: the name a
   * register's last value is kept under (a queue's registers per the queue selector). */
  var transports = {mmio: {registers: "4.2.2", notify: "QueueNotify", irq: "4.2.3.4",
    section: function (name) {
      var fixed = {Status: "2.1", QueueNotify: "4.2.3.3", InterruptStatus: "4.2.3.4", InterruptACK: "4.2.3.4"};
      return fixed[name] || (/^Queue/.test(name || "") ? "4.2.3.2" : "4.2.2");
    },
    key: function (name, offset, regs) {
      return /^Queue/.test(name) && !/^Queue(Sel|Notify)$/.test(name) ?
        name + " [queue " + (regs.QueueSel ? Number(regs.QueueSel.v) : 0) + "]" : name;
    }}};
  var T = transports.mmio;
  var renderers = {};
  var D, R, segs, size, cur = 0, draws = 0, keys = [], learnt = {}, msgsAt = {};

  /* ---- guest memory of the ring regions: one byte array over merged segments ---- */
  function makeSegments(regions) {
    var rs = regions.filter(function (r) { return r[0] !== null && r[1] > 0; })
      .sort(function (a, b) { return a[0] - b[0]; });
    var out = [], off = 0;
    rs.forEach(function (r) {
      var last = out[out.length - 1];
      if (last && r[0] <= last.end) {
        if (r[0] + r[1] > last.end) { off += r[0] + r[1] - last.end; last.end = r[0] + r[1]; }
      } else { out.push({start: r[0], end: r[0] + r[1], off: off}); off += r[1]; }
    });
    out.forEach(function (s, i) { if (i) s.off = out[i - 1].off + out[i - 1].end - out[i - 1].start; });
    size = off;
    return out;
  }
  function slot(a) {
    for (var i = 0; i < segs.length; i++)
      if (a >= segs[i].start && a < segs[i].end) return segs[i].off + a - segs[i].start;
    return -1;
  }
  function inRam(a) {
    var r = D.ram || [];
    return r[0] == null || (a >= r[0] && a - r[0] < r[1]);
  }
  function big(v) { return typeof v === "string" ? BigInt(v) : BigInt(v || 0); }
  function write(st, addr, n, value) {
    var v = big(value);
    for (var b = 0; b < n; b++) {
      var s = slot(addr + b);
      if (s >= 0 && inRam(addr + b)) { st.mem[s] = Number(v & 255n); st.known[s] = 1; }
      v >>= 8n;
    }
  }
  function read(st, addr, n) { /* {v: BigInt, known: every byte known, some: any byte} */
    var hi = 0, lo = 0, known = true, some = false; /* numbers, not BigInt per byte: a 1024-entry ring */
    for (var b = n - 1; b >= 0; b--) {
      var s = slot(addr + b), byte = 0;
      if (s < 0 || !st.known[s]) known = false; else { some = true; byte = st.mem[s]; }
      if (b >= 4) hi = hi * 256 + byte; else lo = lo * 256 + byte;
    }
    return {v: n > 4 ? (BigInt(hi) << 32n) | BigInt(lo) : BigInt(lo), known: known, some: some};
  }

  /* ---- events ---- */
  function ev(i) {
    var e = D.ev[i];
    return {i: i, t: e[0], kind: D.kinds[e[1]], addr: e[2], value: e[3], size: e[4],
            what: e[5] == null ? null : D.str[e[5]], count: e[6] || 1,
            queue: e[7] == null ? 0 : e[7], x: e[8], note: e[9] == null ? null : D.str[e[9]]};
  }
  function queueOf(n) {
    for (var i = 0; i < D.queues.length; i++) if (D.queues[i].index === n) return D.queues[i];
    return D.queues[0];
  }
  function queueAt(desc) { /* the queue whose descriptor table is at desc ("queue live" names no queue) */
    for (var i = 0; i < D.queues.length; i++)
      if (D.queues[i].device.desc === desc || D.queues[i].driver.desc === desc) return D.queues[i];
    return null;
  }
  function memOf(st) {
    return {write: function (a, n, v) { write(st, a, n, v); }, read: function (a, n) { return read(st, a, n); },
            dev: st.dev};
  }
  function apply(st, i, first) {
    var e = ev(i);
    switch (e.kind) {
    case "ring-store": write(st, e.addr, e.size, e.value); break;
    case "ring-load": {  /* what the driver read: a store the trace does not show is learnt */
      var r = read(st, e.addr, e.size);
      if (!r.known || r.v !== big(e.value)) {
        if (first) learnt[i] = r.known ? "0x" + r.v.toString(16) : "unknown";
        write(st, e.addr, e.size, e.value);
      }
      break;
    }
    case "used": case "device": case "pop": /* the device's side: the ring format's */
      R.apply(memOf(st), e, e.kind === "device" && e.what === "queue live" ? queueAt(e.addr) : queueOf(e.queue));
      break;
    case "mmio-write": case "mmio-read":
      if (e.what) st.regs[T ? T.key(e.what, e.addr, st.regs) : e.what] =
        {v: e.value, dir: e.kind === "mmio-write" ? "W" : "R", t: e.t, i: i, note: e.note};
      break;
    case "irq": st.regs["(interrupt line)"] = {v: e.value, dir: "device", t: e.t, i: i}; break;
    }
  }
  function snapshot(st) {
    return {mem: st.mem.slice(), known: st.known.slice(), regs: Object.assign({}, st.regs),
            dev: Object.assign({}, st.dev)};
  }
  function buildKeys() {
    var st = {mem: new Uint8Array(size), known: new Uint8Array(size), regs: {}, dev: {}};
    if (D.zeroed) /* guest RAM starts zeroed; outside it nothing is memory (rings outside RAM) */
      segs.forEach(function (sg) {
        for (var a = sg.start; a < sg.end; a++) if (inRam(a)) st.known[sg.off + a - sg.start] = 1;
      });
    keys = [snapshot(st)];
    for (var i = 0; i < D.ev.length; i++) {
      apply(st, i, true);
      if ((i + 1) % KEY === 0) keys.push(snapshot(st));
    }
  }
  function stateAt(i) { /* the state after event i (i = -1: before the first) */
    var k = Math.floor((i + 1) / KEY), st = snapshot(keys[k]);
    for (var j = k * KEY; j <= i; j++) apply(st, j, false);
    return st;
  }

  /* ---- what an event is ---- */
  function rangesOf(e) {
    var q = queueOf(e.queue), r = [];
    if (e.kind === "ring-store" || e.kind === "ring-load") r.push([e.addr, e.size]);
    else if (q && /^(used|device|pop)$/.test(e.kind)) r = R.ranges(e, q) || [];
    return r;
  }
  function sectionOf(e) {
    if (e.kind === "barrier") return R.sections[e.what] || null;
    if (e.kind === "mmio-read" || e.kind === "mmio-write")
      return T ? T.section(e.what, e.addr) : null;
    if (e.kind === "notify" || e.kind === "pop") return R.sections[e.kind] || null;
    if (e.kind === "irq") return T ? T.irq : null;
    var rs = rangesOf(e);
    for (var i = 0; i < rs.length; i++) {
      for (var qi = 0; qi < D.queues.length; qi++) {
        var p = R.part(D.queues[qi], rs[i][0]);
        if (p) return p.sec;
      }
    }
    return null;
  }
  function nameOf(e) {
    var rs = rangesOf(e);
    if (rs.length && (e.kind === "ring-store" || e.kind === "ring-load" || e.kind === "used" ||
                      e.kind === "device")) {
      for (var qi = 0; qi < D.queues.length; qi++) {
        var p = R.part(D.queues[qi], rs[0][0]);
        if (p) return p.field + (D.queues.length > 1 ? " (queue " + D.queues[qi].index + ")" : "");
      }
    }
    return e.what;
  }
  function hex(v) { return v == null ? "" : "0x" + big(v).toString(16); }
  function describe(e) {
    var who = WHO[e.kind] || "device", name = nameOf(e), s;
    switch (e.kind) {
    case "ring-store": s = "stored " + hex(e.value) + " to " + (name || "?") + " at " + hex(e.addr) + " (" + e.size + " bytes)"; break;
    case "ring-load": s = "loaded " + hex(e.value) + " from " + (name || "?") + " at " + hex(e.addr) + (e.count > 1 ? " (" + e.count + " times: a poll)" : ""); break;
    case "mmio-write": s = "wrote " + hex(e.value) + " to register " + e.what + " (offset " + hex(e.addr) + ")"; break;
    case "mmio-read": s = "read " + hex(e.value) + " from register " + e.what + " (offset " + hex(e.addr) + ")"; break;
    case "barrier": s = "barrier " + e.what; break;
    case "notify": s = "accepted a notify of queue " + e.queue; break;
    case "irq": s = "raised the interrupt (" + (T && T.isr || "InterruptStatus") + " " + hex(e.value) + (e.x ? ", the line rose" : ", already set") + ")"; break;
    case "pop": case "used": case "device":
      s = R.describe(e, queueOf(e.queue), name) ||
        (e.what || "device event") + (e.value != null ? " (" + e.value + ")" : ""); break;
    case "step": s = "step " + e.what + " begins"; break;
    default: s = e.what || e.kind;
    }
    return {who: who, text: s};
  }

  /* ---- stepping ---- */
  function isAccess(e) { return /^(ring-|mmio-)/.test(e.kind); }
  function isNotify(e, i) {
    var reg = T ? T.notify : "QueueNotify";
    if (e.kind === "mmio-write" && e.what === reg) return true;
    return e.kind === "notify" && !(i > 0 && ev(i - 1).what === reg);
  }
  var FIND = {
    access: isAccess, barrier: function (e) { return e.kind === "barrier"; },
    notify: isNotify, violation: function (e) { return !!msgsAt[e.i]; },
    used: function (e) { return R.isUsed(e); }
  };
  function find(what, dir) {
    for (var i = cur + dir; i >= 0 && i < D.ev.length; i += dir)
      if (FIND[what](ev(i), i)) return i;
    return -1;
  }
  function go(i) {
    if (!D.ev.length) return;
    cur = Math.max(0, Math.min(D.ev.length - 1, i));
    schedule();
  }
  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; draw(); });
  }

  /* ---- drawing ---- */
  function el(id) { return document.getElementById(id); }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }); }
  function secText(sec) { return sec ? "§" + sec + (SECTIONS[sec] ? " " + SECTIONS[sec] : "") : ""; }
  function overlaps(cell, rs) {
    if (cell.addr == null) return false;
    for (var i = 0; i < rs.length; i++)
      if (cell.addr < rs[i][0] + rs[i][1] && rs[i][0] < cell.addr + cell.size) return true;
    return false;
  }
  function drawPanel(p, rs, who) {
    var h = ['<div class="panel" data-part="' + esc(p.id) + '"><div class="ptitle">' + esc(p.title) +
             ' <span class="sec">' + esc(secText(p.sec)) + "</span></div>" +
             (p.note ? '<p class="pnote">' + esc(p.note) + "</p>" : "") + '<div class="rows">'];
    if (p.cols) h.push('<div class="row cols" aria-hidden="true"><span class="rl"></span>' + p.cols.map(function (c) {
      return '<span class="colh" data-field="' + esc(c) + '">' + esc(c) + "</span>"; }).join("") + "</div>");
    p.rows.forEach(function (row) {
      h.push('<div class="row' + (row.cls ? " " + row.cls : "") + '" data-row="' + esc(row.label) +
             '"><span class="rl">' + esc(row.label) + (row.mark ? '<span class="mark">' + esc(row.mark) + "</span>" : "") + "</span>");
      row.cells.forEach(function (c) {
        var hit = overlaps(c, rs);
        h.push('<span class="cell' + (hit ? " hit " + who : "") + (c.unknown ? " unknown" : "") +
               '" data-field="' + esc(c.name) + '"' + (hit ? ' data-hit="1"' : "") +
               '><i>' + esc(c.name) + '</i>' + esc(c.text) + '</span>');
      });
      h.push("</div>");
    });
    return h.join("") + "</div></div>";
  }
  function tablePanel(p, rs) {
    var cols = [];
    p.rows.forEach(function (r) { r.cells.forEach(function (c) { if (cols.indexOf(c.name) < 0) cols.push(c.name); }); });
    var h = ['<table data-part="' + esc(p.id) + '"><caption>' + esc(p.title) + " " + esc(secText(p.sec)) +
             (p.note ? '<p class="pnote">' + esc(p.note) + "</p>" : "") + '</caption><thead><tr><th scope="col">entry</th>'];
    cols.forEach(function (c) { h.push('<th scope="col">' + esc(c) + "</th>"); });
    h.push("</tr></thead><tbody>");
    p.rows.forEach(function (r) {
      h.push('<tr><th scope="row">' + esc(r.label) + (r.mark ? " " + esc(r.mark) : "") + "</th>");
      cols.forEach(function (name) {
        var c = r.cells.filter(function (x) { return x.name === name; })[0];
        h.push(c ? "<td" + (overlaps(c, rs) ? ' class="hit"' : "") + ">" + esc(c.text) +
               (overlaps(c, rs) ? " (just accessed)" : "") + "</td>" : "<td></td>");
      });
      h.push("</tr>");
    });
    return h.join("") + "</tbody></table>";
  }
  function regPanel(st, e) {
    var names = Object.keys(st.regs).sort();
    var rows = names.map(function (n) {
      var r = st.regs[n];
      return {label: n, cls: (r.i === e.i ? "cur" : "") + (r.note ? " noted" : ""), cells: [
        {name: "value", text: r.v == null ? "?" : hex(r.v), addr: null},
        {name: "last", text: (r.dir === "W" ? "written" : r.dir === "R" ? "read" : r.dir) + " at " + r.t + " ns" +
          (r.note ? " — " + r.note : ""), addr: null}]};
    });
    return {id: "registers", title: "Registers (the last value each was written or read)" + (T && T.title ? " — " + T.title : ""),
            sec: T ? T.registers : null, rows: rows, note: T && T.note};
  }
  function windowed(p, rs) { /* a long part: WINDOW entries around the access (or the idx slot) */
    var entries = p.rows.filter(function (r) { return r.entry; });
    if (entries.length <= WINDOW) return p;
    var focus = entries.findIndex(function (r) { return r.cells.some(function (c) { return overlaps(c, rs); }); });
    if (focus < 0) focus = entries.findIndex(function (r) { return /next|head/.test(r.cls || "") || r.mark; });
    var lo = Math.max(0, Math.min(entries.length - WINDOW, Math.max(focus, 0) - WINDOW / 4)), hi = lo + WINDOW;
    var rows = [], k = 0;
    p.rows.forEach(function (r) {
      if (!r.entry) return rows.push(r);
      if (k === lo && lo > 0) rows.push({label: "…", cls: "elided", cells: [{name: "not drawn", text: "entries 0–" + (lo - 1) + " not drawn", addr: null}]});
      if (k >= lo && k < hi) rows.push(r);
      if (k === hi && hi < entries.length) rows.push({label: "…", cls: "elided", cells: [{name: "not drawn", text: "entries " + hi + "–" + (entries.length - 1) + " not drawn", addr: null}]});
      k++;
    });
    return Object.assign({}, p, {rows: rows, title: p.title + " — entries " + lo + "–" + (hi - 1) + " of " + entries.length + " drawn"});
  }
  function panelsAt(st, e) {
    var R2 = {read: function (a, n) { return read(st, a, n); }, dev: st.dev};
    var ps = [];
    var rs = rangesOf(e);
    D.queues.forEach(function (q) { ps = ps.concat(R.panels(R2, q, rs).map(function (p) { return windowed(p, rs); })); });
    var rp = regPanel(st, e);
    return {rings: ps, regs: rp};
  }
  function reveal(rows) { /* scroll a long part to the cell just accessed, never the page */
    var hit = rows.querySelector(".hit") || rows.querySelector(".row.cur") || rows.querySelector(".row.next") ||
      rows.querySelector(".mark");  /* .cur: the register just accessed */
    if (!hit) return;
    var top = hit.offsetTop, h = rows.clientHeight;
    if (top < rows.scrollTop || top > rows.scrollTop + h - 24) rows.scrollTop = Math.max(0, top - h / 3);
  }
  function draw() {
    var e = ev(cur), st = stateAt(cur), rs = rangesOf(e), d = describe(e), sec = sectionOf(e);
    var ps = panelsAt(st, e);
    el("pos").textContent = "event " + (cur + 1) + " of " + D.ev.length +
      (D.first ? " (event " + (D.first + cur + 1) + " of the run)" : "") + " · t = " + e.t + " ns";
    el("scrub").value = cur;
    el("scrub").setAttribute("aria-valuetext", "event " + (cur + 1) + ", " + d.who + ": " + d.text);
    var rules = msgsAt[cur] || [];
    var h = ['<span class="who ' + d.who + '">' + d.who + "</span> " + esc(d.text)];
    if (sec) h.push(' <span class="sec" id="cur-sec">' + esc(secText(sec)) + "</span>");
    if (e.note) h.push('<div class="note">' + esc(e.note) + "</div>");
    if (learnt[cur]) h.push('<div class="note learnt">The trace shows no store of this value: it was learnt from this load (memory held ' + esc(learnt[cur]) + " before).</div>");
    rules.forEach(function (m) {
      var info = D.rules[m[0]] || [];
      h.push('<div class="rule" role="alert"><b>Rule broken: <code>' + esc(m[0]) + "</code></b>" +
             (info[0] ? " " + esc((info[3] ? "VirtIO " + info[3] + " " : "") + secText(info[0])) : "") +
             (info[2] ? " (" + esc(info[2]) + ")" : "") + (m[1] ? '<div class="msg">' + esc(m[1]) + "</div>" : "") + "</div>");
    });
    el("event").innerHTML = h.join("");
    el("draw").innerHTML = (ps.rings.map(function (p) { return drawPanel(p, rs, d.who); }).join("") ||
      '<p class="muted">No queue was set up in this run.</p>') + drawPanel(ps.regs, [], d.who);
    el("tables").innerHTML = document.body.classList.contains("tables") ?
      ps.rings.concat([ps.regs]).map(function (p) { return tablePanel(p, rs); }).join("") : "";
    el("draw").querySelectorAll(".rows").forEach(reveal);
    if (location.hash !== "#e=" + cur && history.replaceState) history.replaceState(null, "", "#e=" + cur);
    document.body.setAttribute("data-pos", cur);
    document.body.setAttribute("data-drawn", ++draws);
  }

  /* ---- page ---- */
  function notices() {
    var n = [];
    if (D.dropped) n.push("The run's trace bound left out its first " + D.dropped.toLocaleString("en") +
      " events: this view starts at event " + (D.dropped + 1).toLocaleString("en") + " of the run.");
    if (D.elided) n.push("This viewer's data leaves out " + D.elided.toLocaleString("en") +
      " more events before the first one shown (its bound is the newest " + D.ev.length.toLocaleString("en") + ").");
    if (!D.zeroed) n.push("Memory before the first event shown is not known: a field shows ? until a store or a load reveals it" +
      (D.source === "recording" ? " (a recording holds no memory image of the rings)." : "."));
    if ((D.placed_elsewhere || []).length) n.push("During the run the device was also given a ring at " +
      D.placed_elsewhere.map(hex).join(", ") + " (a queue set up again elsewhere): the rings are drawn where they are at the end, so accesses to that one are not drawn.");
    if (D.ring_note) n.push(D.ring_note);
    if (!D.drawn) n.push("No renderer for the " + D.ring + " ring format: only the registers are drawn.");
    el("notice").innerHTML = n.map(function (s) { return "<p>" + esc(s) + "</p>"; }).join("");
    el("notice").hidden = !n.length;
  }
  function bind() {
    el("scrub").max = Math.max(0, D.ev.length - 1);
    el("scrub").addEventListener("input", function () { go(+this.value); });
    document.querySelectorAll("[data-go]").forEach(function (b) {
      b.addEventListener("click", function () {
        var g = b.getAttribute("data-go"), dir = +b.getAttribute("data-dir");
        if (g === "step") return go(cur + dir);
        if (g === "home") return go(0);
        if (g === "end") return go(D.ev.length - 1);
        var i = find(g, dir);
        if (i >= 0) go(i); else el("status").textContent = "no " + (dir > 0 ? "later" : "earlier") + " " + g;
      });
    });
    el("tableview").addEventListener("change", function () {
      document.body.classList.toggle("tables", this.checked);
      draw();
    });
    document.addEventListener("keydown", function (k) {
      var t = k.target || {};  /* the scrubber steps by itself (its input event); text fields type */
      if (/^(SELECT|TEXTAREA)$/.test(t.tagName) || (t.tagName === "INPUT" && t.type !== "checkbox")) return;
      var m = {ArrowRight: 1, ArrowLeft: -1};  /* up / down still scroll the page */
      if (k.key in m) { go(k.shiftKey ? (find("access", m[k.key]) >= 0 ? find("access", m[k.key]) : cur) : cur + m[k.key]); k.preventDefault(); }
      else if (k.key === "Home") { go(0); k.preventDefault(); }
      else if (k.key === "End") { go(D.ev.length - 1); k.preventDefault(); }
    });
  }
  function load(data) {
    D = data;
    D.drawn = !!renderers[D.ring];
    T = transports[D.transport || "mmio"] || null;  /* unknown: registers drawn, no section named */
    var none = function () { return null; };
    R = renderers[D.ring] || {regions: function () { return []; }, panels: function () { return []; },
                              part: none, apply: none, ranges: function () { return []; },
                              describe: none, isUsed: function () { return false; }, sections: {}};
    if (R.legend) el("ringlegend").textContent = R.legend;
    document.body.classList.add("ring-" + D.ring, "transport-" + (D.transport || "mmio"));
    var regions = [];
    D.queues.forEach(function (q) { regions = regions.concat(R.regions(q)); });
    segs = makeSegments(regions);
    D.msgs.forEach(function (m) { (msgsAt[m[0]] = msgsAt[m[0]] || []).push([D.str[m[1]], D.str[m[2]]]); });
    buildKeys();
    notices();
    bind();
    if (D.teach) el("teach").innerHTML = '<b>Lesson:</b> ' + esc(D.teach.caption) +
      ' <button type="button" id="toteach">go to event ' + (D.teach.event + 1) + "</button>";
    if (D.teach) el("toteach").addEventListener("click", function () { go(D.teach.event); });
    var m = /#e=(\d+)/.exec(location.hash);
    go(m ? +m[1] : 0);
    if (!D.ev.length) el("event").textContent = "This run has no events.";
    document.body.setAttribute("data-ready", "1");
  }
  function seek(i) { cur = Math.max(0, Math.min(D.ev.length - 1, i)); draw(); } /* now, not at the next frame */
  return {load: load, renderers: renderers, transports: transports, sections: SECTIONS, data: function () { return D; }, hex: hex, big: big, go: go, seek: seek, inRam: inRam,
          position: function () { return cur; }};
})();
