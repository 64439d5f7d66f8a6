"""The seam between the driver and the model holds: the driver is freestanding and never
includes the model; the model never includes the driver (they meet at the HAL, which the harness
implements on the model: src/harness/hal_sim.c); every include points down a layer."""
import re
import subprocess
import sys

from conftest import ROOT

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def includes(path):
    return INCLUDE.findall(path.read_text())


def test_driver_is_freestanding():
    driver = ROOT / "src" / "driver"
    own = {f"driver/{p.name}" for p in driver.glob("*.h")}
    files = sorted(driver.glob("*.[ch]"))
    assert len(files) >= 8
    for f in files:
        for kind, name in includes(f):
            if kind == "<":
                assert name in {"stdint.h", "stddef.h", "stdbool.h"}, (f.name, name)
            else:  # its own headers and the spec's structs (virtio_spec.h, virtio_pci.h, a device
                # type's virtio_blk.h …), nothing of the model or the host
                assert name in own or re.fullmatch(r"spec/virtio_\w+\.h", name), (f.name, name)


def test_spec_headers_are_freestanding():
    """The driver includes the spec: the spec's headers must compile where the driver does."""
    for f in sorted((ROOT / "src" / "spec").glob("*.h")):
        for kind, name in includes(f):
            assert kind == "<" and name in {"stdint.h", "stddef.h", "stdbool.h"}, (f.name, name)


def test_the_layers_hold():
    """tools/check_layers.py: every include of src/ points down a layer (README "Source map")."""
    p = subprocess.run([sys.executable, str(ROOT / "tools" / "check_layers.py"), str(ROOT)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout
    assert "0 include(s) against the layers" in p.stderr, p.stderr


def test_the_layer_check_fires(tmp_path):
    """…and it is not silent: a model file that includes the harness, a driver file that
    includes the model, and a record file that includes the driver are each reported."""
    for rel, inc in (("model/x.c", "harness/runner.h"), ("driver/x.c", "model/machine.h"),
                     ("record/x.c", "driver/virtqueue.h"), ("spec/x.h", "model/trace.h")):
        root = tmp_path / rel.replace("/", "_")
        (root / "src" / rel).parent.mkdir(parents=True)
        (root / "src" / inc).parent.mkdir(parents=True, exist_ok=True)
        (root / "src" / inc).write_text("")
        (root / "src" / rel).write_text(f'#include <stdint.h>\n#include "{inc}"\n')
        p = subprocess.run([sys.executable, str(ROOT / "tools" / "check_layers.py"), str(root)],
                           capture_output=True, text=True)
        assert p.returncode == 1, (rel, inc)
        assert p.stdout.strip().startswith(f"src/{rel}:2: "), p.stdout
        assert inc in p.stdout


def test_spec_structs_are_declared_once():
    structs = re.compile(r"^struct (virtq_\w+|virtio_gpu_\w+) \{", re.M)
    seen = {}
    for f in sorted((ROOT / "src").rglob("*.[ch]")):
        for name in structs.findall(f.read_text()):
            assert name not in seen, f"struct {name} in {f} and {seen[name]}"
            seen[name] = f
    assert all(f.name == "virtio_spec.h" for f in seen.values()), seen
    assert len(seen) >= 15
