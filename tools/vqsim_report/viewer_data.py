"""The step-through viewer's data: one scenario's event stream (its `trace`), compact, written as
DIR/viewer/ANCHOR.data.js beside the report and loaded by that scenario's viewer page only.

A page opened from file:// cannot fetch JSON in chromium, so the data is a script that hands one
object to `VQVIEW.load(...)`. Format `vqsim-viewer/1`:

  name, ring ("split" | "packed": the format the run negotiated, device.negotiated holding
  ring_packed or not, or when the results list no features, the device's used-publishing stores
  in the trace; the ring format's renderer draws it), ring_note (how the format was found when
  not from the features, else null), transport ("mmio" | "pci":
  device.bus; the register window's names and sections), ram ([base, size] of guest RAM,
  [null, null] when the results do not say; a byte outside it is never known), source
  ("simulation" | "recording"), zeroed (guest memory known to be all zero before the first event: a simulation
  whose trace kept every event), dropped (events the run's trace bound left out before the first
  one here), elided (events this file leaves out before the first one here, beyond MAX_EVENTS),
  first (the run's number of the first event here, 0-based),
  queues: [{index, size, driver: {desc, avail, used}, device: {desc, avail, used}}] (numbers or
  null where unknown; the device's as at the end of the run; on a packed ring avail is the Driver
  Area, the driver's event suppression structure, and used the Device Area), placed_elsewhere: descriptor tables
  the device was also given during the run (a queue set up again elsewhere), not drawn,
  indirect: [[addr, length]] of the indirect tables descriptors named (the first 4096),
  str: interned strings; kinds: the event kinds by code,
  ev: one array per event, [t, kind, addr, value, size, what, count, queue, x, note] with the
  trailing nulls cut: what / note index `str`; x is kind-specific ([id, len] of a used element,
  [id, len, 0] when the device did not write it, an injected fault; line_rose of an irq),
  rules: {rule: [section, title, level, spec]}, msgs: [[event, rule, message]]: each violation
  (rule and message index `str`) on the event it was found at; violation_events: per entry of
  the results' `violations`, that event (null when the trace no longer holds it),
  teach: {event, caption} when the scenario is a lesson of the tour.

Values that do not fit a JavaScript number exactly (above 2**53) are written as "0x…" strings.
Violations are not events of their own here: each is attached to the access after which the
checker recorded it (the event before it in the trace), which is the access that broke it."""

import json
import os

from .values import as_dict, as_list, parse_addr, text

SCHEMA = "vqsim-viewer/1"
# Events kept per scenario: the model's own trace bound is 65,536 (src/model/trace.h); a results
# file from elsewhere may hold more. Beyond it the oldest are left out, and the page says so.
MAX_EVENTS = 200_000
KINDS = ["mmio-read", "mmio-write", "ring-store", "ring-load", "barrier", "notify", "pop", "used",
         "irq", "step", "device", "other"]
KIND_CODE = {k: i for i, k in enumerate(KINDS)}
SAFE = 1 << 53


def num(v):
    """A JSON value (number or "0x…") as a JS-safe number, a "0x…" string above 2**53, or None."""
    n = parse_addr(v)
    if n is None:
        return None
    return n if 0 <= n < SAFE else f"0x{n & ((1 << 64) - 1):x}"


class Strings:
    def __init__(self):
        self.list, self.index = [""], {"": 0}

    def __call__(self, s):
        if s is None:
            return None
        s = text(s)
        if s not in self.index:
            self.index[s] = len(self.list)
            self.list.append(s)
        return self.index[s]


def event_row(e, strs):
    kind = text(e.get("kind"))
    code = KIND_CODE.get(kind, KIND_CODE["other"])
    addr, value, x = e.get("addr"), e.get("value"), None
    what = e.get("what")
    if kind.startswith("mmio"):
        addr, what = e.get("offset"), e.get("reg")
    elif kind == "pop":
        addr, value = e.get("head"), e.get("avail_idx")
    elif kind == "used":  # an injected fault may publish the idx without writing the element
        x = [num(e.get("id")), num(e.get("len"))] + \
            ([0] if any(w in text(e.get("note")) for w in ("element not written",  # split
                                                              "id and len not written"))  # packed
             else [])
    elif kind == "irq":
        x = 1 if e.get("line_rose") else 0
    elif code == KIND_CODE["other"]:  # a kind this viewer does not know: named, not drawn
        what = kind
    row = [num(e.get("t")) or 0, code, num(addr), num(value), num(e.get("size")), strs(what),
           num(e.get("count")), num(e.get("queue")), x, strs(e.get("note"))]
    while row and row[-1] is None:
        row.pop()
    return row


def violation_at(rows, e, strs):
    """The index of the access a violation event belongs to: the event before it, or a row of
    its own when nothing but a step precedes it in this window."""
    if rows and rows[-1][1] != KIND_CODE["step"]:
        return len(rows) - 1
    rows.append([num(e.get("t")) or 0, KIND_CODE["other"], None, None, None, strs("violation"),
                 None, num(e.get("queue"))])
    return len(rows) - 1


def queue_view(v):
    v = as_dict(v)
    return {p: num(v.get(p)) for p in ("desc", "avail", "used")}


def device_view(q):
    """Where the device's rings are: the results give them at the end of the run, so a queue the
    driver reset before the end (a guest powering off: size and addresses 0) has none; its
    driver's view is drawn. A queue the device refused (not ready) keeps where it looked."""
    dev = as_dict(q.get("device"))
    view = queue_view(dev)
    if not parse_addr(dev.get("size")) or not any(view.values()):
        return {"desc": None, "avail": None, "used": None}
    return view


def rule_info(d):
    rules = {}
    for v in as_list(d.get("violations")):
        v = as_dict(v)
        rules.setdefault(text(v.get("rule")), [text(v.get("section")) or None,
                                              text(v.get("title")) or None,
                                              text(v.get("level")) or None,
                                              text(v.get("spec")) or None])
    return rules


def queues_of(d):
    return [{"index": num(q.get("index")), "size": num(q.get("size")) or
             num(as_dict(q.get("device")).get("size")),
             "driver": queue_view(q.get("driver")), "device": device_view(q)}
            for q in map(as_dict, as_list(d.get("queues")))]


def placed_elsewhere(trace, queues):
    """Descriptor tables the device was given ("queue live") that are not drawn."""
    drawn = {v["desc"] for q in queues for v in (q["driver"], q["device"])}
    return sorted({num(e.get("addr")) for e in trace if e.get("kind") == "device" and
                   e.get("what") == "queue live"} - drawn - {None}, key=str)


def events(d, trace, elided, strs):
    """The rows of `ev`, the violations on their access (msgs) and, per entry of the results'
    `violations`, its event."""
    viols = [as_dict(v) for v in as_list(d.get("violations"))]
    rows, msgs, vi = [], [], 0
    events_of = [None] * len(viols)
    for n, e in enumerate(trace):
        if e.get("kind") != "violation":
            if n >= elided:
                rows.append(event_row(e, strs))
            continue
        # violations[] and the trace's violation events are recorded together, in order
        v = viols[vi] if vi < len(viols) and viols[vi].get("rule") == e.get("rule") else {}
        vi += 1 if v else 0
        if n < elided:
            continue
        at = violation_at(rows, e, strs)
        msgs.append([at, strs(e.get("rule")), strs(v.get("message"))])
        if v:
            events_of[vi - 1] = at
    return rows, msgs, events_of


MAX_INDIRECT = 4096  # indirect tables kept as memory regions (Linux: one per request, reused)


FLAGS_AT = {"split": 12, "packed": 14}  # a descriptor's flags (§2.6.5, §2.7.13); both 16 bytes


# What in a trace names the ring format: the device's store that publishes a used buffer (used.idx,
# §2.6.8; a descriptor's flags, §2.7.22) and the fields the model names a ring access by (split:
# avail.*, used.*, desc.next; packed: desc.id, driver_event.*, device_event.*).
PUBLISH = {"used.idx": "split", "used desc.flags": "packed"}
FIELDS = {"split": ("avail.", "used.", "desc.next"),
          "packed": ("desc.id", "driver_event.", "device_event.")}


def formats_seen(trace):
    seen, live = set(), False
    for e in trace:
        kind, what = e.get("kind"), text(e.get("what"))
        if kind == "device":
            live = live or what == "queue live"
            if what in PUBLISH:
                seen.add(PUBLISH[what])
        elif kind in ("ring-store", "ring-load") and what:
            seen.update(f for f, names in FIELDS.items() if what.startswith(names))
    return seen, live


def ring_of(dev, trace):
    """(format, note): packed when VIRTIO_F_RING_PACKED was negotiated (§2.7). The results give
    the features as the device has them at the end of the run (none after a reset), so the trace
    decides where it names one format; the note says when that is not what the features say, or
    when nothing says (a queue went live, no features, nothing in the trace names a format)."""
    if text(dev.get("ring")):
        return text(dev.get("ring")), None
    negotiated = [text(f) for f in as_list(dev.get("negotiated"))]
    by_features = "packed" if "ring_packed" in negotiated else "split"
    seen, live = formats_seen(trace)
    if len(seen) == 1:
        ring = seen.pop()
        if ring == by_features:
            return ring, None
        return ring, (f"The negotiated features in the results (the device's at the end of the run: "
                      f"none after a reset) do not say {ring}, but the trace's ring accesses are a "
                      f"{ring} ring's: it is drawn as one.")
    if seen:
        return by_features, ("The trace holds both split and packed ring accesses (a queue set up "
                             f"again with other features): drawn as the {by_features} ring the "
                             "features at the end of the run say.")
    if not negotiated and live:
        return "split", ("The results list no negotiated features and nothing in the trace names a "
                         "ring format: it is not known; drawn as a split ring.")
    return by_features, None


def transport_of(dev):
    return "pci" if text(dev.get("bus")) == "pci" or text(dev.get("transport")).startswith("pci") \
        else "mmio"


def indirect_tables(trace, queues, ring="split"):
    """[addr, length] of each indirect table a descriptor named (flags INDIRECT, addr, len:
    §2.6.5.3, §2.7.7), from the stores to the descriptor tables; the first MAX_INDIRECT distinct
    ones."""
    flags_at = FLAGS_AT.get(ring, 12)
    tables = [(v["desc"], 16 * q["size"]) for q in queues for v in (q["driver"], q["device"])
              if isinstance(v["desc"], int) and q["size"]]
    fields, found = {}, {}
    for e in trace:
        if e.get("kind") != "ring-store":
            continue
        a = num(e.get("addr"))
        base = next((t + (a - t) // 16 * 16 for t, n in tables
                     if isinstance(a, int) and t <= a < t + n), None)
        if base is None:
            continue
        fields[a] = num(e.get("value"))
        flags, addr, size = fields.get(base + flags_at), fields.get(base), fields.get(base + 8)
        if isinstance(flags, int) and flags & 4 and isinstance(addr, int) and size:
            if addr not in found and len(found) >= MAX_INDIRECT:
                break
            found[addr] = max(found.get(addr, 0), size)  # a table reused: its largest use
    return [[a, n] for a, n in found.items()]


def build(sc):
    d = sc.d
    trace = [as_dict(e) for e in as_list(d.get("trace"))]
    elided = max(0, len(trace) - MAX_EVENTS)
    strs = Strings()
    rows, msgs, events_of = events(d, trace, elided, strs)
    dev, ram = as_dict(d.get("device")), as_dict(as_dict(d.get("device")).get("ram"))
    source = "recording" if isinstance(d.get("source"), dict) else "simulation"
    dropped = parse_addr(d.get("trace_dropped")) or 0
    queues, (ring, ring_note) = queues_of(d), ring_of(dev, trace)
    return {"schema": SCHEMA, "name": sc.name, "anchor": sc.anchor,
            "ring": ring, "ring_note": ring_note, "source": source, "transport": transport_of(dev),
            "zeroed": source == "simulation" and not dropped and not elided,
            "dropped": dropped, "elided": elided, "first": dropped + elided,
            "ram": [num(ram.get("base")), num(ram.get("size"))],
            "queues": queues, "placed_elsewhere": placed_elsewhere(trace, queues),
            "indirect": indirect_tables(trace, queues, ring),
            "kinds": KINDS, "str": strs.list, "ev": rows,
            "rules": rule_info(d), "msgs": msgs, "violation_events": events_of,
            "outcome": text(d.get("outcome")),
            "cause": text(as_dict(d.get("diagnosis")).get("cause")) or None}


def data_js(data):
    return ("/* vqsim step-through viewer data (" + SCHEMA + "): generated by tools/report.py */\n"
            "VQVIEW.load(" + json.dumps(data, separators=(",", ":"), ensure_ascii=True) + ");\n")


def write_data(data, viewer_dir, write):
    path = os.path.join(viewer_dir, f"{data['anchor']}.data.js")
    write(path, data_js(data))
    return path
