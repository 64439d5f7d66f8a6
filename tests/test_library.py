"""vqsim as a library (README "Testing your own driver"): the installed package (static and
shared libvqsim, headers, CMake package, pkg-config file), the example drivers built out of tree
against it through find_package, their verdicts, `vqsim run --driver`, and that a foreign run's
JSON has the same schema as a built-in run's."""
import fcntl
import hashlib
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess

import pytest

from conftest import ROOT, run

EXAMPLES = ROOT / "examples"


def sh(*cmd, env=None, cwd=None, timeout=300):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=cwd,
                       timeout=timeout)
    assert p.returncode == 0, f"{cmd}: {p.stdout}\n{p.stderr}"
    return p


def once(tmp_path_factory, name, make):
    """Build `name` once per test session, even under pytest-xdist (whose workers share the
    base temp directory's parent): the first worker builds under a lock, the others reuse it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    top = base / f"library-{name}"
    with open(base / f"library-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (top / "done").exists():
            shutil.rmtree(top, ignore_errors=True)
            top.mkdir()
            make(top)
            (top / "done").write_text("")
    return top


def readme_install_commands():
    """The README's install block ("Install and build against it"), command by command."""
    text = (ROOT / "README.md").read_text()
    block = text.split("### Install and build against it", 1)[1].split("```sh\n", 1)[1]
    return [shlex.split(line) for line in block.split("```", 1)[0].splitlines() if line.strip()]


@pytest.fixture(scope="session")
def prefix(tmp_path_factory):
    """The library of this tree, installed to a temporary prefix by the README's own commands
    (VQSIM_SANITIZE left at its default, on: the library is built without sanitizers anyway)."""
    def make(top):
        subst = {"build-lib": str(top / "build"), "/opt/vqsim": str(top / "prefix"), ".": ROOT}
        for cmd in readme_install_commands():
            sh(*[subst.get(a, a) for a in cmd], cwd=ROOT)
    return once(tmp_path_factory, "prefix", make) / "prefix"


def test_readme_install_works_with_sanitize_on(prefix):
    """The README's commands, as written, with VQSIM_SANITIZE on (its default): the library is
    built and installed, and without the sanitizer runtime (a user's program does not link
    ASan)."""
    cmds = readme_install_commands()
    assert [c[:2] for c in cmds] == [["cmake", "-S"], ["cmake", "--build"], ["cmake", "--install"]]
    assert not any("VQSIM_SANITIZE" in a for c in cmds for a in c)
    cache = (prefix.parent / "build" / "CMakeCache.txt").read_text()
    assert "VQSIM_SANITIZE:BOOL=ON" in cache
    so = next(libdir(prefix).glob("libvqsim.so.1"))
    needed = sh("readelf", "-d", so).stdout
    assert "libasan" not in needed and "libubsan" not in needed, needed
    syms = sh("nm", libdir(prefix) / "libvqsim.a").stdout
    assert "__asan_" not in syms and "__ubsan_" not in syms


def libdir(prefix):
    hits = list(prefix.rglob("libvqsim.a"))
    assert len(hits) == 1, hits
    return hits[0].parent


def configure(prefix, src, build):
    sh("cmake", "-S", src, "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}")
    sh("cmake", "--build", build, "-j2")
    return build


@pytest.fixture(scope="session")
def clean(prefix, tmp_path_factory):
    """examples/hobby-gpu, configured and built out of tree against the installed package."""
    return once(tmp_path_factory, "hobby",
                lambda top: configure(prefix, EXAMPLES / "hobby-gpu", top / "b")) / "b"


@pytest.fixture(scope="session")
def buggy(prefix, tmp_path_factory):
    """examples/hobby-gpu-buggy: the same driver, no wmb before avail.idx."""
    return once(tmp_path_factory, "buggy",
                lambda top: configure(prefix, EXAMPLES / "hobby-gpu-buggy", top / "b")) / "b/hobby-gpu"


def picture_sha(w, h):
    """The example's picture as the display shows it (RGB): R = x ^ y, G = y, B = x."""
    return hashlib.sha256(bytes(v for y in range(h) for x in range(w)
                                for v in ((x ^ y) & 255, y & 255, x & 255))).hexdigest()


def run_example(exe, scenario, tmp_path):
    out = tmp_path / f"{exe.name}-{pathlib.Path(str(scenario)).stem}.json"
    p = subprocess.run([str(exe), str(scenario), str(out)], capture_output=True, text=True,
                       timeout=60)
    doc = json.loads(out.read_text())
    assert doc["schema"] == "vqsim-results/1"
    assert len(doc["scenarios"]) == 1
    return p, doc["scenarios"][0]


def rules(s):
    return sorted({v["rule"] for v in s["violations"]})


def test_installed_package(prefix):
    lib = libdir(prefix)
    assert (lib / "libvqsim.so.1").is_symlink()
    assert (prefix / "include/vqsim/vqsim.h").is_file()
    assert (prefix / "include/vqsim/virtio_hal.h").is_file()
    for f in ("vqsimConfig.cmake", "vqsimConfigVersion.cmake", "vqsimTargets.cmake"):
        assert (lib / "cmake/vqsim" / f).is_file(), f
    pc = (lib / "pkgconfig/vqsim.pc").read_text()
    assert "Requires.private: yaml-0.1 libpng" in pc
    assert "Version: 1.0.0" in pc
    if shutil.which("objdump"):
        so = sh("objdump", "-p", lib / "libvqsim.so").stdout
        assert "SONAME               libvqsim.so.1" in so
    if shutil.which("nm"):
        syms = [l.split()[-1] for l in sh("nm", "-D", "--defined-only", lib / "libvqsim.so")
                .stdout.splitlines() if l.strip()]
        # exactly the API (every VQSIM_EXPORT function of vqsim.h) and virtio_hal.h's functions
        header = (prefix / "include/vqsim/vqsim.h").read_text()
        api = set(re.findall(r"VQSIM_EXPORT [^;]*?\b(vqsim_\w+)\(", header))
        api.discard("vqsim_driver_main")  # VQSIM_DRIVER_DEFINE: the driver's, not the library's
        hal = set(re.findall(r"\b(vhal_\w+)\(", (prefix / "include/vqsim/virtio_hal.h").read_text()))
        assert len(api) == 18 and len(hal) == 22  # 16 + virtio-pci's 8/16-bit MMIO and config
        assert sorted(syms) == sorted(api | hal)


def test_find_package_refuses_another_major(prefix, tmp_path):
    src = tmp_path / "want2"
    src.mkdir()
    (src / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.16)\nproject(w C)\nfind_package(vqsim 2 REQUIRED)\n")
    p = subprocess.run(["cmake", "-S", src, "-B", tmp_path / "b",
                        f"-DCMAKE_PREFIX_PATH={prefix}"], capture_output=True, text=True)
    assert p.returncode != 0
    assert "vqsim" in p.stderr and "1.0.0" in p.stderr


@pytest.mark.parametrize("exe", ["hobby-gpu", "hobby-gpu-static"])
def test_clean_example(clean, exe, tmp_path):
    p, s = run_example(clean / exe, EXAMPLES / "hobby-gpu/hobby.yaml", tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.startswith("PASS hobby-gpu ")
    assert "driver returned 0; outcome ok; 0 rule(s) broken" in p.stdout
    assert s["outcome"] == "ok" and s["passed"] is True
    assert s["violations"] == [] and s["diagnosis"] is None
    assert s["device"]["ring_access"] == "plain"  # a foreign driver without accessors
    assert s["steps"] == [{"step": "driver", "status": "ok", "driver_status": "ok",
                           "response": None, "response_name": None, "used_len": 0,
                           "time_ns": 0, "detail": "foreign driver returned 0"}]
    # where the driver said (queue_placed) its rings are, and where the device looks: one page,
    # descriptors, avail ring at 16 * 8, used ring after avail (4 + 2 * 8 + 2, 4-aligned)
    q, = s["queues"]
    assert (q["index"], q["size"], q["avail_idx"], q["used_idx"]) == (0, 8, 6, 6)
    base = int(q["driver"]["desc"], 16)
    assert q["driver"] == {"desc": hex(base), "avail": hex(base + 0x80), "used": hex(base + 0x98),
                           "source": "queue_placed"}
    assert {k: q["device"][k] for k in ("desc", "avail", "used")} == {
        k: q["driver"][k] for k in ("desc", "avail", "used")}
    d = s["display"]
    assert (d["active"], d["width"], d["height"], d["resource"]) == (True, 64, 48, 1)
    assert d["sha256"] == picture_sha(64, 48)


def test_clean_example_from_config(clean, tmp_path):
    p, s = run_example(clean / "hobby-gpu", "-", tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert s["name"] == "hobby-gpu" and s["outcome"] == "ok"
    assert s["display"]["sha256"] == picture_sha(64, 48)


def test_clean_example_on_weak_memory(clean, tmp_path):
    p, s = run_example(clean / "hobby-gpu", EXAMPLES / "hobby-gpu/weak-memory.yaml", tmp_path)
    assert p.returncode == 0
    assert s["outcome"] == "ok" and s["violations"] == []
    assert s["display"]["sha256"] == picture_sha(64, 48)


def test_buggy_example_names_its_rule(buggy, tmp_path):
    p, s = run_example(buggy / "hobby-gpu", EXAMPLES / "hobby-gpu/hobby.yaml", tmp_path)
    assert p.returncode == 1
    assert p.stdout.startswith("FAIL hobby-gpu ")
    assert "violations=split.avail.idx-barrier" in p.stdout.splitlines()[0]
    assert s["outcome"] == "violation" and s["passed"] is False
    assert rules(s) == ["split.avail.idx-barrier"]
    assert "pairing A" in s["violations"][0]["message"]
    # a strongly ordered CPU hides the bug: the picture is still right
    assert s["display"]["sha256"] == picture_sha(64, 48)


def test_buggy_example_hangs_on_weak_memory(buggy, tmp_path):
    """The README's worked example: the missing wmb turns into a timeout, and the diagnosis
    names the barrier as the underlying cause."""
    p, s = run_example(buggy / "hobby-gpu-static", EXAMPLES / "hobby-gpu/weak-memory.yaml",
                       tmp_path)
    assert p.returncode == 1
    assert s["outcome"] == "timeout"
    assert s["steps"][0]["status"] == "timeout"
    assert s["steps"][0]["driver_status"] == "timeout"
    assert s["steps"][0]["detail"] == "foreign driver returned 1"
    assert rules(s) == ["split.avail.idx-barrier", "split.desc.zero-length"]
    dg = s["diagnosis"]
    assert dg["cause"] == "device-broken"
    assert dg["evidence"]["broken_by"] == "split.desc.zero-length"
    assert dg["evidence"]["barrier_violation"].startswith("split.avail.idx-barrier")
    assert s["display"]["active"] is False


def test_pkg_config_build(prefix, tmp_path):
    env = dict(os.environ, PKG_CONFIG_PATH=str(libdir(prefix) / "pkgconfig"))
    flags = sh("pkg-config", "--cflags", "--libs", "vqsim", env=env).stdout.split()
    src = EXAMPLES / "hobby-gpu"
    exe = tmp_path / "hobby"
    sh("cc", "-std=c11", "-Wall", "-Werror", src / "host_main.c", src / "hobby_gpu.c", "-o", exe,
       *flags, env=env)
    p = subprocess.run([str(exe), "-"], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, LD_LIBRARY_PATH=str(libdir(prefix))))
    assert p.returncode == 0, p.stderr
    assert "outcome ok; 0 rule(s) broken" in p.stdout


def test_driver_on_vqsims_own_hal(prefix, tmp_path):
    """A driver written to vqsim's virtio_hal.h (vhal_*) links the library directly: the library
    implements the HAL on the running machine."""
    (tmp_path / "hal.c").write_text(r"""
#include <stdio.h>
#include <vqsim/vqsim.h>
#include <vqsim/virtio_hal.h>
static int entry(const struct vqsim_platform *p, void *arg)
{
    uint64_t pa = 0;
    void *buf = vhal_dma_alloc(256, 64, VHAL_DMA_BUFFER, &pa);
    *(unsigned *)arg = vhal_mmio_read32((uintptr_t)p->mmio_base);        /* MagicValue */
    return buf && pa >= p->ram_base && vhal_virt_to_phys(buf) == pa ? VQSIM_DRIVER_OK
                                                                     : VQSIM_DRIVER_ERROR;
}
int main(void)
{
    char err[256];
    struct vqsim_config cfg = {.size = sizeof(cfg)};
    struct vqsim_machine *m = vqsim_open_config(&cfg, err, sizeof err);
    unsigned magic = 0;
    if (!m || vqsim_run(m, entry, &magic, 0) != VQSIM_OK)
        return 2;
    printf("magic=%08x outcome=%s rc=%d\n", magic, vqsim_outcome(m), vqsim_driver_rc(m));
    vqsim_close(m);
    return 0;
}
""")
    env = dict(os.environ, PKG_CONFIG_PATH=str(libdir(prefix) / "pkgconfig"))
    flags = sh("pkg-config", "--cflags", "--libs", "vqsim", env=env).stdout.split()
    sh("cc", "-std=c11", "-Wall", "-Werror", tmp_path / "hal.c", "-o", tmp_path / "hal", *flags)
    p = sh(tmp_path / "hal", env=dict(os.environ, LD_LIBRARY_PATH=str(libdir(prefix))))
    assert p.stdout == "magic=74726976 outcome=ok rc=0\n"


def test_run_driver(vqsim, clean, buggy, tmp_path):
    out = tmp_path / "d.json"
    p = run(vqsim, "run", "--driver", clean / "libhobby_gpu.so", "--json", out,
            "scenarios/barriers/plain-clean.yaml", "scenarios/hangs/device-never-responds.yaml")
    assert p.returncode == 1, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split()[:3] == ["PASS", "plain-clean", "ok"]
    assert lines[1].split()[:4] == ["FAIL", "device-never-responds", "timeout",
                                    "cause=device-fault"]
    assert lines[-2].startswith("1 clean, 1 not clean (foreign driver ")
    # a plain-mode driver is told what its runs could not judge
    assert lines[-1].startswith("plain ring access: 2 rule(s) not judged, 3 in part")
    doc = json.loads(out.read_text())
    assert doc["summary"]["passed"] == 1 and doc["summary"]["failed"] == 1
    a, b = doc["scenarios"]
    assert a["display"]["sha256"] == picture_sha(64, 48)
    assert b["diagnosis"]["cause"] == "device-fault"
    # the buggy driver on one of our own scenarios
    p = run(vqsim, "run", "--driver", buggy / "libhobby_gpu.so",
            "scenarios/barriers/plain-clean.yaml")
    assert p.returncode == 1
    assert "violations=split.avail.idx-barrier" in p.stdout.splitlines()[0]


def keys(v, path="", nulls=None):
    """Every key path of a JSON value (list items merge under path[], trace events under
    path[KIND]: each kind has its keys); the paths whose value is null go to `nulls`. The
    evidence map's keys depend on the cause and are left out."""
    if v is None and nulls is not None:
        nulls.add(path)
    if isinstance(v, dict):
        out = set()
        for k, x in v.items():
            out.add(f"{path}.{k}")
            if k != "evidence":
                out |= keys(x, f"{path}.{k}", nulls)
        return out
    if isinstance(v, list):
        return set().union(*(keys(x, path + (f"[{x['kind']}]" if isinstance(x, dict) and "kind" in x
                                             else "[]"), nulls) for x in v)) if v else set()
    return set()


def same_schema(a, b):
    """Same key sets, except what docs/results-schema.md makes optional: inside a value that is
    null on one side (an object "or null"), steps[].fence_id (only on fenced commands), and
    trace events of a kind only one run has (the built-in driver's ring accessors record
    ring-load / ring-store events; a plain-pointer driver's accesses are not events), and the
    keys a trace event has only when they apply."""
    na, nb = set(), set()
    ka, kb = keys(a, "", na), keys(b, "", nb)
    nulls = na | nb

    def kinds(ks):
        return {k.split("trace[")[1].split("]")[0] for k in ks if "trace[" in k}
    one_sided = kinds(ka) ^ kinds(kb)
    # a trace event writes these only when they apply (non-zero, a note, a queue)
    optional = (".note", ".count", ".addr", ".value", ".queue")
    return sorted(k for k in ka ^ kb
                  if not k.endswith("steps[].fence_id")
                  and ".not_judged[]." not in k  # empty unless the run was in plain mode
                  and not ("trace[" in k and k.endswith(optional))
                  and not any(k.startswith(n + ".") for n in nulls)
                  and not any(f"trace[{kd}]" in k for kd in one_sided))


@pytest.mark.parametrize("scenario", ["scenarios/barriers/plain-clean.yaml",
                                      "scenarios/hangs/device-never-responds.yaml",
                                      "scenarios/barriers/plain-drop-wmb.yaml"])
def test_foreign_json_has_the_builtin_schema(vqsim, clean, scenario, tmp_path):
    """Run the same scenario with the built-in driver and with the example: same key sets."""
    a, b = tmp_path / "builtin.json", tmp_path / "foreign.json"
    run(vqsim, "run", "--json", a, scenario)
    run(vqsim, "run", "--driver", clean / "libhobby_gpu.so", "--json", b, scenario)
    da, db = json.loads(a.read_text()), json.loads(b.read_text())
    assert same_schema(da, db) == []
    sa, sb = da["scenarios"][0], db["scenarios"][0]
    assert sa["outcome"] == sb["outcome"] or scenario.endswith("drop-wmb.yaml")
    if sb["diagnosis"]:
        assert sa["diagnosis"]["cause"] == sb["diagnosis"]["cause"]


def tiny_driver(prefix, tmp_path, name, body, version="VQSIM_API_VERSION"):
    src = tmp_path / f"{name}.c"
    src.write_text(
        "#include <vqsim/vqsim.h>\n"
        f"const uint32_t vqsim_driver_api_version = {version};\n"
        "int vqsim_driver_main(const struct vqsim_platform *p, void *arg);\n"
        "int vqsim_driver_main(const struct vqsim_platform *p, void *arg)\n"
        f"{{ (void)arg; {body} }}\n")
    so = tmp_path / f"lib{name}.so"
    sh("cc", "-std=c11", "-shared", "-fPIC", f"-I{prefix / 'include'}", src, "-o", so)
    return so


def test_run_driver_refuses_other_major(vqsim, prefix, tmp_path):
    so = tiny_driver(prefix, tmp_path, "v2", "(void)p; return 0;", version="(2u << 16)")
    p = run(vqsim, "run", "--driver", so, "scenarios/barriers/plain-clean.yaml")
    assert p.returncode == 2
    assert "built against vqsim API 2.0; this vqsim offers 1.0" in p.stderr
    missing = tmp_path / "libnothing.so"
    (tmp_path / "n.c").write_text("int nothing(void);\nint nothing(void) { return 0; }\n")
    sh("cc", "-shared", "-fPIC", tmp_path / "n.c", "-o", missing)
    p = run(vqsim, "run", "--driver", missing, "scenarios/barriers/plain-clean.yaml")
    assert p.returncode == 2
    assert "is not a vqsim driver: it lacks the symbol vqsim_driver_api_version" in p.stderr
    p = run(vqsim, "run", "--driver", tmp_path / "absent.so", "scenarios/barriers/plain-clean.yaml")
    assert p.returncode == 2 and "cannot load the driver" in p.stderr
    for opt in (["-j", "2"], ["--png", tmp_path]):
        p = run(vqsim, "run", "--driver", so, *opt, "scenarios/barriers/plain-clean.yaml")
        assert p.returncode == 2
        assert f"{opt[0]} is not available with --driver" in p.stderr
    ok = tiny_driver(prefix, tmp_path, "ok", "(void)p; return 0;")
    p = run(vqsim, "run", "--driver", ok, "scenarios/no-such.yaml")
    assert p.returncode == 2 and "scenarios/no-such.yaml" in p.stderr


@pytest.mark.parametrize("name,body,msg", [
    # spins on plain memory without a hook: no in-process device can ever answer it
    ("spin", "volatile unsigned *x = p->dma_alloc(64, 64, VQSIM_DMA_RING, &(uint64_t){0});"
             " while (*x == 0) ; return 0;", "made no hook call in its last"),
    # keeps calling hooks but waits without a deadline of its own
    ("forever", "for (;;) p->delay_ns(1000000);", "although it keeps calling hooks"),
])
def test_run_driver_watchdog(vqsim, prefix, tmp_path, name, body, msg):
    """A driver that hangs on one scenario (here: only on a legacy device) is killed by the
    watchdog and reported for that scenario; the other scenarios still run, the JSON holds
    their results, the summary counts the hung one as failed, and the exit status is 3."""
    so = tiny_driver(prefix, tmp_path, name,
                     "(void)p->mmio_read32(p->mmio_base);"  # MagicValue first (§4.2.3.1.1)
                     f" if (p->mmio_read32(p->mmio_base + 4) == 1) {{ {body} }} return 0;")
    out = tmp_path / "r.json"
    p = subprocess.run([str(vqsim), "run", "--driver", str(so), "--json", str(out),
                        "scenarios/legacy-display.yaml", "scenarios/barriers/plain-clean.yaml"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, VQSIM_DRIVER_WATCHDOG="1.5"))
    assert p.returncode == 3, p.stderr
    assert "DRIVER HUNG on legacy-display" in p.stderr and msg in p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split()[:3] == ["FAIL", "legacy-display", "hung"]
    assert lines[1].split()[:3] == ["PASS", "plain-clean", "ok"]
    assert lines[2].startswith("1 clean, 1 not clean")
    doc = json.loads(out.read_text())
    assert [s["name"] for s in doc["scenarios"]] == ["plain-clean"]
    assert doc["summary"] == {"total": 2, "passed": 1, "failed": 1}


def test_run_driver_crash(vqsim, prefix, tmp_path):
    so = tiny_driver(prefix, tmp_path, "crash", "(void)p; return *(volatile int *)0;")
    p = run(vqsim, "run", "--driver", so, "scenarios/barriers/plain-clean.yaml")
    assert p.returncode == 3
    assert "DRIVER CRASHED on plain-clean" in p.stderr and "signal 11" in p.stderr
    assert p.stdout.splitlines()[0].split()[:3] == ["FAIL", "plain-clean", "crashed"]


def test_run_driver_fresh_statics_per_scenario(vqsim, prefix, tmp_path):
    """Each scenario meets the driver as loaded: its static data as at boot, as a kernel driver
    meets its device once per boot. This driver refuses to run twice in one process."""
    so = tiny_driver(prefix, tmp_path, "once",
                     "static int runs; if (runs++) return VQSIM_DRIVER_ERROR;"
                     " (void)p->mmio_read32(p->mmio_base); return 0;")
    p = run(vqsim, "run", "--driver", so, "scenarios/barriers/plain-clean.yaml",
            "scenarios/modern-display.yaml")
    assert p.returncode == 0, p.stdout + p.stderr
    assert [l.split()[:3] for l in p.stdout.splitlines()[:2]] == [
        ["PASS", "plain-clean", "ok"], ["PASS", "modern-display", "ok"]]


def test_run_driver_ring_accessors_flag(vqsim, prefix, tmp_path):
    """vqsim_driver_flags = VQSIM_RUN_RING_ACCESSORS selects accessor mode: the driver's ring
    accesses through the hooks are seen one by one (a store through ring_store16 is a trace
    event); without the flag the mode is plain."""
    body = ("uint64_t pa; volatile uint16_t *x = p->dma_alloc(64, 64, VQSIM_DMA_RING, &pa);"
            " p->ring_store16(x, 7); p->wmb(); return *x == 7 ? 0 : 3;")
    plain = tiny_driver(prefix, tmp_path, "plainmode", body)
    src = tmp_path / "acc.c"
    so = tiny_driver(prefix, tmp_path, "accmode", body)
    src.write_text((tmp_path / "accmode.c").read_text() +
                   "const unsigned vqsim_driver_flags = VQSIM_RUN_RING_ACCESSORS;\n")
    sh("cc", "-std=c11", "-shared", "-fPIC", f"-I{prefix / 'include'}", src, "-o", so)
    for lib, mode, stores in ((plain, "plain", 0), (so, "accessors", 1)):
        out = tmp_path / f"{mode}.json"
        p = run(vqsim, "run", "--driver", lib, "--json", out, "scenarios/barriers/plain-clean.yaml")
        assert p.returncode == 0, p.stderr
        s = json.loads(out.read_text())["scenarios"][0]
        assert s["device"]["ring_access"] == mode
        assert s["outcome"] == "ok"
        assert sum(e["kind"] == "ring-store" for e in s["trace"]) == stores


@pytest.mark.skipif(not shutil.which("c++"), reason="no C++ compiler")
def test_cxx_driver(vqsim, prefix, tmp_path):
    """vqsim.h and VQSIM_DRIVER_DEFINE work from C++: both symbols exported with C linkage even
    with hidden visibility by default."""
    src = tmp_path / "d.cpp"
    src.write_text("#include <vqsim/vqsim.h>\n"
                   "static int entry(const struct vqsim_platform *p, void *)\n"
                   "{ return p->mmio_read32(p->mmio_base) == 0x74726976u ? VQSIM_DRIVER_OK\n"
                   "                                                     : VQSIM_DRIVER_ERROR; }\n"
                   "VQSIM_DRIVER_DEFINE(entry)\n")
    so = tmp_path / "libcxx.so"
    sh("c++", "-std=c++11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
       "-fvisibility=hidden", f"-I{prefix / 'include'}", src, "-o", so)
    p = run(vqsim, "run", "--driver", so, "examples/hobby-gpu/hobby.yaml")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0].split()[:3] == ["PASS", "hobby-gpu", "ok"]
