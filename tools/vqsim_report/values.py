"""Tolerant accessors and formatting: any JSON value read as what the report needs, shown
escaped. A results file may hold wrong types anywhere; nothing here raises on them."""

import html
import json
import math
import re


# XML 1.0 forbids most C0 controls and lone surrogates; HTML calls them parse errors. Drop them so
# a stray byte in a detail string cannot break the page, the inline SVG or the JUnit file.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def as_dict(v):
    return v if isinstance(v, dict) else {}


def as_list(v):
    return v if isinstance(v, list) else []


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def text(v, default=""):
    """Any JSON value as a display string."""
    if v is None:
        return default
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        s = v
    elif is_num(v):
        s = str(v)
    else:
        s = json.dumps(v, sort_keys=True, ensure_ascii=False)
    return _BAD_CHARS.sub("\ufffd", s)


def esc(v, default=""):
    return html.escape(text(v, default), quote=True)


def parse_addr(v):
    """A guest-physical address from a hex string (or an integer); None when it is not one."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if v >= 0 else None
    if isinstance(v, str):
        s = v.strip().replace("_", "")
        try:
            n = int(s, 16) if s.lower().startswith("0x") else int(s, 10)
        except ValueError:
            return None
        return n if n >= 0 else None
    return None


def fmt_us(ns):
    """Virtual nanoseconds as microseconds with three decimals."""
    if not is_num(ns) or (isinstance(ns, float) and not math.isfinite(ns)):
        return text(ns, "—")
    return f"{ns / 1000:,.3f}"


def fmt_bytes(n):
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    if n < 1024 ** 3:
        return f"{n / 1024 ** 2:.1f} MiB"
    return f"{n / 1024 ** 3:.1f} GiB"


def scenario_passed(sc):
    p = sc.get("passed")
    if isinstance(p, bool):
        return p
    return not as_list(sc.get("failures"))
