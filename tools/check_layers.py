#!/usr/bin/env python3
"""check_layers.py - the folders under src/ are the layers; every include points down a layer.

    util  spec  <-  driver
                <-  model (machine, memory, transport/, rings/, devices/; checks/, inject/,
                           diagnosis/)  <-  record  <-  harness  <-  lib  <-  cli

A project include is written by its path under src/ ("model/machine.h"). A file in layer L may
include headers of L and of the layers L lists below; the driver includes only itself and the
spec (it is freestanding and never sees the model); nothing below the harness includes the
driver. Prints each include that breaks this as FILE:LINE and exits 1; exits 0 when there is
none. No exceptions are listed: a new one means moving the code, not this table.

usage: tools/check_layers.py [ROOT]      (Python 3 standard library only)
"""
import re
import sys
from pathlib import Path

# layer -> the layers its files may include (besides its own)
MAY_INCLUDE = {
    "util": set(),
    "spec": {"util"},
    "driver": {"spec"},
    "model": {"spec", "util"},
    "record": {"model", "spec", "util"},
    "harness": {"record", "model", "spec", "util", "driver"},
    "lib": {"harness", "record", "model", "spec", "util", "driver"},
    "cli": {"lib", "harness", "record", "model", "spec", "util", "driver"},
}
# Sub-folders held to a narrower rule than their layer: the QEMU plugin is loaded by QEMU and
# must not pull in the model.
NARROWER = {"record/plugin": {"record", "spec", "util"}}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def layer_of(rel):
    """'model/rings/split_ring.c' -> 'model' (None for a file outside every layer)."""
    top = rel.split("/", 1)[0]
    return top if top in MAY_INCLUDE else None


def allowed(rel):
    for folder, layers in NARROWER.items():
        if rel.startswith(folder + "/"):
            return layers
    return MAY_INCLUDE[layer_of(rel)]


def check(root):
    src = root / "src"
    problems, files = [], 0
    for path in sorted(src.rglob("*.[ch]")):
        rel = path.relative_to(src).as_posix()
        own = layer_of(rel)
        if own is None:
            problems.append(f"src/{rel}:1: not inside a layer folder ({', '.join(MAY_INCLUDE)})")
            continue
        files += 1
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            inc = m.group(1)
            target = layer_of(inc)
            here = f"src/{rel}:{n}"
            if target is None or not (src / inc).is_file():
                if (path.parent / inc).is_file():
                    problems.append(f"{here}: include \"{inc}\" by its path under src/")
                elif rel.startswith("record/plugin/") and inc == "qemu-plugin.h":
                    continue
                else:
                    problems.append(f"{here}: include \"{inc}\" is not a file under src/")
                continue
            narrowed = any(rel.startswith(f + "/") for f in NARROWER)
            if target in allowed(rel) or (target == own and not narrowed):
                continue
            direction = "into the driver" if target == "driver" else "up or across a layer"
            problems.append(f"{here}: {rel.split('/')[0]} includes {inc} ({direction})")
    return problems, files


def main(argv):
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    problems, files = check(root)
    for p in problems:
        print(p)
    print(f"check_layers: {files} files, {len(problems)} include(s) against the layers",
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
