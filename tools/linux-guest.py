#!/usr/bin/env python3
"""linux-guest.py — a real Linux guest for `vqsim record`: Debian's own arm64 kernel and its
virtio modules in a busybox initramfs, built from Debian's packages without touching the
machine's apt configuration.

    tools/linux-guest.py [--dir DIR] [--suite bookworm] [--mirror URL] [--init FILE]
                         [--modules NAME,...] [--json]

What it does, each step skipped when its result is already there (a second run downloads
nothing):
  1. a private apt state under DIR/apt (sources.list for arm64 only, signed by Debian's archive
     keyring, lists, cache, an empty dpkg status): `apt-get update` there;
  2. resolves the kernel: `linux-image-arm64` is a metapackage whose Depends names the versioned
     image (linux-image-6.1.0-NN-arm64); `apt-get download` it and `busybox-static` into
     DIR/debs (no build number is written anywhere in the project);
  3. `dpkg-deb -x` both;
  4. the modules: each named module (default virtio_mmio, virtio_pci, virtio_gpu, virtio_rng, virtio_blk,
     virtio_input, evdev)
     and the closure of their `depends=` (read from each .ko's .modinfo ELF section, as modinfo
     does; .ko.xz / .ko.zst decompressed), in dependency order;
  5. a newc cpio initramfs, gzip-compressed: busybox (statically linked) at /bin/busybox, the
     modules in /lib/modules/, their load order in /etc/vqtest/modules, and /init (default
     tests/linux/init.sh);
  6. a 1 MiB disk image with a known pattern (DIR/disk.img), for a virtio-blk read.

Prints where everything is (with --json, as one JSON object: kernel, initrd, disk, version,
modules). Exit status: 0 done, 1 a step failed (its message on stderr), 2 usage error.
"""
import argparse
import gzip
import hashlib
import io
import json
import lzma
import os
import pathlib
import shutil
import struct
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
DEFAULT_MODULES = ["virtio_mmio", "virtio_pci", "virtio_gpu", "virtio_rng", "virtio_blk",
                   "virtio_input", "evdev", "virtio_net"]
DISK_BYTES = 1 << 20
BUILD_FORMAT = 1  # bump when what step 4-6 makes changes


class Failure(Exception):
    pass


def log(msg):
    print(f"linux-guest: {msg}", file=sys.stderr, flush=True)


# ---- 1-2: a private apt state ------------------------------------------------------------------

def apt_options(apt):
    opts = ["-o", f"Dir::Etc={apt}/etc", "-o", f"Dir::State={apt}/state",
            "-o", f"Dir::Cache={apt}/cache", "-o", f"Dir::State::status={apt}/state/status",
            "-o", "APT::Architecture=arm64", "-o", "APT::Architectures::=arm64",
            "-o", "Debug::NoLocking=1", "-o", "Acquire::Retries=3"]
    if os.geteuid() == 0:
        opts += ["-o", "APT::Sandbox::User=root"]  # the _apt user cannot write into DIR
    return opts


def apt_state(apt, suite, mirror, security):
    for d in ("etc/sources.list.d", "etc/preferences.d", "etc/apt.conf.d", "state/lists/partial",
              "cache/archives/partial"):
        (apt / d).mkdir(parents=True, exist_ok=True)
    status = apt / "state" / "status"
    if not status.exists():
        status.write_text("")
    src = f"deb [arch=arm64 signed-by={KEYRING}] {mirror} {suite} main\n"
    if security:
        src += f"deb [arch=arm64 signed-by={KEYRING}] {security} {suite}-security main\n"
    (apt / "etc" / "sources.list").write_text(src)


def run(cmd, what):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise Failure(f"{what} failed (exit {p.returncode}): {' '.join(cmd)}\n"
                      f"{p.stdout[-2000:]}{p.stderr[-2000:]}")
    return p.stdout


def resolve_kernel_package(apt, opts):
    """The versioned image the metapackage depends on (linux-image-6.1.0-NN-arm64)."""
    out = run(["apt-cache", *opts, "depends", "linux-image-arm64"], "apt-cache depends")
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Depends:"):
            name = line.split(":", 1)[1].strip()
            if name.startswith("linux-image-") and not name.startswith("<"):
                return name
    raise Failure(f"linux-image-arm64 names no versioned image in its Depends:\n{out}")


def fetch(d, args):
    """Steps 1-2: DIR/debs/{kernel,busybox}.deb; nothing is downloaded when both are there."""
    debs = d / "debs"
    manifest = debs / "manifest.json"
    if manifest.exists():
        m = json.loads(manifest.read_text())
        if all((debs / m[k]).exists() for k in ("kernel", "busybox")):
            return m
    apt = d / "apt"
    apt_state(apt, args.suite, args.mirror, args.security)
    opts = apt_options(apt)
    if shutil.which("apt-get") is None or not pathlib.Path(KEYRING).exists():
        raise Failure(f"needs apt-get and {KEYRING} (Debian's apt and debian-archive-keyring)")
    log(f"apt-get update (arm64, {args.suite}) in {apt}")
    run(["apt-get", *opts, "-q", "update"], "apt-get update")
    kernel = resolve_kernel_package(apt, opts)
    debs.mkdir(parents=True, exist_ok=True)
    log(f"apt-get download {kernel} busybox-static")
    before = set(debs.glob("*.deb"))
    p = subprocess.run(["apt-get", *opts, "-q", "download", kernel, "busybox-static"],
                       cwd=debs, capture_output=True, text=True)
    if p.returncode != 0:
        raise Failure(f"apt-get download failed (exit {p.returncode}):\n{p.stderr[-2000:]}")
    got = sorted(set(debs.glob("*.deb")) - before) or sorted(debs.glob("*.deb"))
    kdeb = [f.name for f in got if f.name.startswith(kernel + "_")]
    bdeb = [f.name for f in got if f.name.startswith("busybox-static_")]
    if len(kdeb) != 1 or len(bdeb) != 1:
        raise Failure(f"expected one {kernel} and one busybox-static package in {debs}, "
                      f"found {[f.name for f in got]}")
    m = {"kernel_package": kernel, "kernel": kdeb[0], "busybox": bdeb[0]}
    manifest.write_text(json.dumps(m, indent=1) + "\n")
    return m


# ---- 3: extract --------------------------------------------------------------------------------

def extract(deb, dest):
    stamp = dest / ".extracted"
    if stamp.exists() and stamp.read_text() == deb.name:
        return
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    run(["dpkg-deb", "-x", str(deb), str(dest)], "dpkg-deb -x")
    stamp.write_text(deb.name)


# ---- 4: modules and their depends= -------------------------------------------------------------

def read_module(path):
    """A .ko's bytes, decompressed when it is .ko.xz / .ko.gz / .ko.zst."""
    data = path.read_bytes()
    if path.name.endswith(".xz"):
        return lzma.decompress(data)
    if path.name.endswith(".gz"):
        return gzip.decompress(data)
    if path.name.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", str(path)], capture_output=True, check=True).stdout
    return data


def modinfo(data):
    """The key=value strings of a 64-bit little-endian ELF module's .modinfo section."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise Failure("not a 64-bit little-endian ELF module")
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    secs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names = secs[shstrndx][4]
    info = {}
    for s in secs:
        name = data[names + s[0]:data.index(b"\0", names + s[0])]
        if name == b".modinfo":
            for field in data[s[4]:s[4] + s[5]].split(b"\0"):
                if b"=" in field:
                    k, v = field.decode(errors="replace").split("=", 1)
                    info.setdefault(k, v)
    return info


def module_index(moddir):
    """module name (dashes as underscores) -> path of its .ko[.xz|.gz|.zst]"""
    idx = {}
    for p in moddir.rglob("*.ko*"):
        base = p.name.split(".ko")[0]
        idx[base.replace("-", "_")] = p
    return idx


def module_closure(moddir, wanted):
    """[(name, bytes)] of the wanted modules and their depends=, each after its dependencies."""
    idx = module_index(moddir)
    builtin = set()
    bf = next(moddir.glob("modules.builtin"), None)
    if bf:
        builtin = {pathlib.Path(l.strip()).name.split(".ko")[0].replace("-", "_")
                   for l in bf.read_text().splitlines() if l.strip()}
    order, state = [], {}

    def visit(name, chain):
        name = name.replace("-", "_")
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise Failure(f"module dependency cycle: {' -> '.join(chain + [name])}")
        if name not in idx:
            if name in builtin:
                state[name] = "done"
                return
            raise Failure(f"module {name} (needed by {' -> '.join(chain) or 'the guest'}) is "
                          f"neither a module of this kernel nor built in")
        state[name] = "visiting"
        data = read_module(idx[name])
        deps = [x for x in modinfo(data).get("depends", "").split(",") if x]
        for dep in deps:
            visit(dep, chain + [name])
        state[name] = "done"
        order.append((name, data))

    for w in wanted:
        visit(w, [])
    return order


# ---- 5: the initramfs --------------------------------------------------------------------------

class Cpio:
    """A newc ("070701") archive, written in memory."""

    def __init__(self):
        self.out = io.BytesIO()
        self.ino = 1

    def _entry(self, name, mode, data=b"", nlink=1):
        nameb = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08x}" for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(nameb), 0))
        self.ino += 1
        self.out.write(hdr.encode() + nameb)
        self.out.write(b"\0" * ((-(110 + len(nameb))) % 4))
        self.out.write(data)
        self.out.write(b"\0" * ((-len(data)) % 4))

    def dir(self, name):
        self._entry(name, 0o040755, nlink=2)

    def file(self, name, data, mode=0o644):
        self._entry(name, 0o100000 | mode, data)

    def symlink(self, name, target):
        self._entry(name, 0o120777, target.encode())

    def bytes(self):
        self._entry("TRAILER!!!", 0)
        return self.out.getvalue()


def build_initrd(busybox, init, modules):
    c = Cpio()
    for dname in ("bin", "sbin", "dev", "proc", "sys", "tmp", "etc", "etc/vqtest", "lib",
                  "lib/modules", "usr", "usr/bin", "usr/sbin"):
        c.dir(dname)
    c.file("bin/busybox", busybox, 0o755)
    c.symlink("bin/sh", "busybox")
    c.file("init", init, 0o755)
    for name, data in modules:
        c.file(f"lib/modules/{name}.ko", data)
    c.file("etc/vqtest/modules", "".join(f"{n}\n" for n, _ in modules).encode())
    return gzip.compress(c.bytes(), compresslevel=6, mtime=0)


def disk_pattern():
    """DISK_BYTES of a known pattern: each 512-byte sector names itself."""
    out = bytearray()
    for s in range(DISK_BYTES // 512):
        head = f"vqsim test disk sector {s:05d}\n".encode()
        out += head + bytes((s * 7 + i) & 0xff for i in range(512 - len(head)))
    return bytes(out)


def build(d, args):
    m = fetch(d, args)
    kdir, bdir = d / "kernel", d / "busybox"
    extract(d / "debs" / m["kernel"], kdir)
    extract(d / "debs" / m["busybox"], bdir)
    vmlinuz = sorted((kdir / "boot").glob("vmlinuz-*"))
    if len(vmlinuz) != 1:
        raise Failure(f"expected one vmlinuz in {kdir / 'boot'}, found {vmlinuz}")
    version = vmlinuz[0].name[len("vmlinuz-"):]
    moddir = kdir / "lib" / "modules" / version
    bb = bdir / "bin" / "busybox"
    if not bb.exists():
        raise Failure(f"{bb} is missing from {m['busybox']}")
    init = pathlib.Path(args.init).read_bytes()
    wanted = args.modules.split(",") if args.modules else DEFAULT_MODULES
    stamp_src = json.dumps([BUILD_FORMAT, m, wanted, hashlib.sha256(init).hexdigest()])
    initrd = d / "initrd.gz"
    stamp = d / "initrd.stamp"
    mods = None
    if not (initrd.exists() and stamp.exists() and stamp.read_text() == stamp_src):
        mods = module_closure(moddir, wanted)
        tmp = initrd.with_suffix(".tmp")
        tmp.write_bytes(build_initrd(bb.read_bytes(), init, mods))
        tmp.replace(initrd)
        stamp.write_text(stamp_src)
        (d / "modules.txt").write_text("".join(f"{n}\n" for n, _ in mods))
        log(f"initramfs {initrd}: {', '.join(n for n, _ in mods)}")
    disk = d / "disk.img"
    if not disk.exists() or disk.stat().st_size != DISK_BYTES:
        disk.write_bytes(disk_pattern())
    kernel = d / "vmlinuz"
    if not kernel.exists() or kernel.stat().st_size != vmlinuz[0].stat().st_size:
        shutil.copyfile(vmlinuz[0], kernel)
    order = (d / "modules.txt").read_text().split()
    return {"version": version, "kernel_package": m["kernel_package"], "kernel": str(kernel),
            "initrd": str(initrd), "disk": str(disk), "modules": order}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=str(ROOT / "build" / "linux-guest"),
                    help="where the apt state, packages and guest go (default build/linux-guest)")
    ap.add_argument("--suite", default="bookworm")
    ap.add_argument("--mirror", default="http://deb.debian.org/debian")
    ap.add_argument("--security", default="http://deb.debian.org/debian-security",
                    help="the security archive ('' for none)")
    ap.add_argument("--init", default=str(ROOT / "tests" / "linux" / "init.sh"))
    ap.add_argument("--modules", help="comma-separated module names (default: "
                    + ",".join(DEFAULT_MODULES) + ")")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    d = pathlib.Path(args.dir).resolve()
    d.mkdir(parents=True, exist_ok=True)
    try:
        res = build(d, args)
    except (Failure, OSError, subprocess.CalledProcessError) as e:
        print(f"linux-guest: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        for k in ("version", "kernel", "initrd", "disk"):
            print(f"{k}: {res[k]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
