"""The seam between the driver and the model holds: the driver is freestanding and never
includes the model; the model reaches the driver only through the spec and HAL headers."""
import re

from conftest import ROOT

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def includes(path):
    return INCLUDE.findall(path.read_text())


def test_driver_is_freestanding():
    driver = ROOT / "src" / "driver"
    own = {p.name for p in driver.glob("*.h")}
    files = sorted(driver.glob("*.[ch]"))
    assert len(files) >= 8
    for f in files:
        for kind, name in includes(f):
            if kind == "<":
                assert name in {"stdint.h", "stddef.h", "stdbool.h"}, (f.name, name)
            else:
                assert name in own, (f.name, name)  # nothing from fakedevice/, cli/, util/


def test_model_uses_only_the_drivers_spec_and_hal_headers():
    for sub in ("fakedevice", "util"):
        for f in sorted((ROOT / "src" / sub).glob("*.[ch]")):
            for kind, name in includes(f):
                if "driver/" in name:
                    assert name.endswith(("virtio_spec.h", "virtio_hal.h")), (f.name, name)
                    if name.endswith("virtio_hal.h"):
                        assert f.name == "hal_sim.c", f.name  # only the HAL implementation


def test_spec_structs_are_declared_once():
    structs = re.compile(r"^struct (virtq_\w+|virtio_gpu_\w+) \{", re.M)
    seen = {}
    for f in sorted((ROOT / "src").rglob("*.[ch]")):
        for name in structs.findall(f.read_text()):
            assert name not in seen, f"struct {name} in {f} and {seen[name]}"
            seen[name] = f
    assert all(f.name == "virtio_spec.h" for f in seen.values()), seen
    assert len(seen) >= 15
