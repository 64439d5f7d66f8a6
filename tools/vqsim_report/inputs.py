"""Reading results files (schema `vqsim-results/1`, docs/results-schema.md) into scenarios,
their anchors on the page, and the scanout PNGs found for them and copied next to the page."""

import json
import os
import re
import shutil
import sys

from .values import as_dict, scenario_passed, text


SCHEMA_PREFIX = "vqsim-results/"
SCHEMA_KNOWN = "vqsim-results/1"
DEFAULT_MAX_EVENTS = 400


class InputError(Exception):
    """An input file is unreadable or is not a vqsim results document (exit 2)."""


class OutputError(Exception):
    """An output could not be written (exit 1)."""


def load_results(path):
    """Parse one results file; raise InputError naming the file when that is impossible."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        doc = json.loads(raw)
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not valid UTF-8 JSON: {e.reason}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: invalid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except (ValueError, RecursionError) as e:
        raise InputError(f"{path}: invalid JSON: {e}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not a vqsim results file: top level is not a JSON object")
    schema = doc.get("schema")
    if schema is not None and not (isinstance(schema, str) and schema.startswith(SCHEMA_PREFIX)):
        raise InputError(f"{path}: not a vqsim results file: schema is {text(schema)!r}")
    if not isinstance(doc.get("scenarios"), list):
        raise InputError(f"{path}: not a vqsim results file: no \"scenarios\" list")
    for i, sc in enumerate(doc["scenarios"]):
        if not isinstance(sc, dict):
            raise InputError(f"{path}: not a vqsim results file: scenarios[{i}] is not an object")
    if schema is None:
        warn(f"{path}: no \"schema\" key; reading it as {SCHEMA_KNOWN}")
    elif schema != SCHEMA_KNOWN:
        warn(f"{path}: schema {schema!r} is newer than {SCHEMA_KNOWN!r}; unknown parts are ignored")
    return doc


def warn(msg):
    print(f"report.py: warning: {msg}", file=sys.stderr)


class Scenario:
    """One scenario plus what the report needs around it (source file, anchor, copied PNGs)."""

    def __init__(self, data, source, index):
        self.d = data
        self.source = source
        self.name = text(data.get("name")) or f"scenario-{index + 1}"
        self.passed = scenario_passed(data)
        self.anchor = ""
        self.viewer, self.teach_event = None, None  # the step-through page (viewer_page.py)
        self.violation_events = []
        # Per image key of `display` ("png": the scanout, "diff_png": where it differs from the
        # expected pixels): the path found on disk, the file name inside the output directory,
        # or the sentence shown instead of the image.
        self.img_src, self.img_dest, self.img_problem = {}, {}, {}

    # the scanout image, as the rest of the report calls it
    png_src = property(lambda self: self.img_src.get("png"))
    png_dest = property(lambda self: self.img_dest.get("png"))
    png_problem = property(lambda self: self.img_problem.get("png"))


def make_anchors(scenarios):
    used = set()
    for sc in scenarios:
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", sc.name).strip("-") or "scenario"
        if base[0].isdigit() or base[0] in "._-":
            base = "s-" + base
        anchor, n = base, 2
        while anchor in used or anchor in ("summary", "violations", "scenarios", "sections",
                                           "coverage"):
            anchor, n = f"{base}-{n}", n + 1
        used.add(anchor)
        sc.anchor = anchor


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


IMAGE_KEYS = (("png", "Scanout image"), ("diff_png", "Difference image"))


def locate_pngs(scenarios, outdir):
    """Find each scenario's display images (`display.png`, `display.diff_png`: as given, i.e.
    relative to the cwd vqsim ran in, else relative to the results file) and choose a unique file
    name for each copy in outdir."""
    taken = {"index.html"}
    by_src = {}
    for sc in scenarios:
        disp = as_dict(sc.d.get("display"))
        for key, what in IMAGE_KEYS:
            png = disp.get(key)
            if png is None:
                continue
            if not isinstance(png, str) or not png:
                sc.img_problem[key] = f"display.{key} is not a file path: {text(png)}"
                continue
            candidates = [png]
            if not os.path.isabs(png):
                candidates.append(os.path.join(os.path.dirname(os.path.abspath(sc.source)), png))
            found = next((c for c in candidates if os.path.isfile(c)), None)
            if found is None:
                sc.img_problem[key] = f"{what} {png} is missing (not found on disk)."
                continue
            try:
                with open(found, "rb") as f:
                    magic = f.read(8)
            except OSError as e:
                sc.img_problem[key] = f"{what} {png} cannot be read: {e.strerror or e}."
                continue
            if magic != PNG_MAGIC:
                sc.img_problem[key] = f"{what} {png} is not a PNG file."
                continue
            real = os.path.realpath(found)
            if real in by_src:
                sc.img_src[key], sc.img_dest[key] = found, by_src[real]
                continue
            base = re.sub(r"[^A-Za-z0-9._-]+", "_", os.path.basename(found)).lstrip(".") \
                or "scanout.png"
            stem, ext = os.path.splitext(base)
            dest, n = base, 2
            while dest.lower() in taken:
                dest, n = f"{stem}-{n}{ext}", n + 1
            taken.add(dest.lower())
            by_src[real] = dest
            sc.img_src[key], sc.img_dest[key] = found, dest
    if outdir is None:
        return
    copied = set()
    for sc in scenarios:
        for key, dest in sc.img_dest.items():
            if dest in copied:
                continue
            try:
                shutil.copyfile(sc.img_src[key], os.path.join(outdir, dest))
                copied.add(dest)
            except OSError as e:
                raise OutputError(f"cannot copy {sc.img_src[key]} to {outdir}: "
                                  f"{e.strerror or e}") from None
