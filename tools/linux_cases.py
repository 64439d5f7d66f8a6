"""linux_cases.py - the QEMU command lines of the real-kernel cases (tests/test_linux.py,
bench/linux_record.py), for a guest made by tools/linux-guest.py (its --json output).

  modern  a virtio-gpu on a version 2 (modern) transport
  legacy  the same on QEMU's default version 1 transport (Linux's gpu driver refuses it)
  multi   the gpu beside a virtio-rng, a virtio-blk, a virtio-keyboard and a virtio-net on QEMU's
          user network (restrict=on: its DHCP server and gateway 10.0.2.2 are inside QEMU, no
          packet leaves it)
  busy    four vCPUs, the framebuffer console kept busy with text for BUSY_SECONDS
  packed  the modern gpu with packed=on: Linux drives packed virtqueues (§2.7)
  pci     the gpu as a virtio-pci function (-device virtio-gpu-pci on virt's PCIe host, §4.1),
          after a virtio-rng-pci (00:01.0; the gpu is 00:02.0): Linux enumerates the bus,
          assigns the BARs and binds virtio_pci (MSI-X)
  blkbig  a virtio-blk alone on virtio-mmio, on the disk the caller names in guest["disk"] (an
          8 GiB sparse image: tests/test_linux_blk_pci.py)
  blkpci  a virtio-blk-pci alone (the read-only disk): its capacity read from the function's
          device-configuration BAR (tests/test_linux_blk_pci.py; not in CASES, which hold a gpu)
Python 3 standard library only."""

CASES = ["modern", "legacy", "multi", "busy", "packed", "pci"]
BUSY_SECONDS = 10


def qemu_command(guest, case, busy_seconds=BUSY_SECONDS):
    """The QEMU command line of `case` (guest: tools/linux-guest.py --json's object)."""
    cmd = ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a57", "-m", "512M", "-nic",
           "none", "-display", "none", "-nographic", "-no-reboot",
           "-kernel", guest["kernel"], "-initrd", guest["initrd"]]
    append = "console=ttyAMA0 panic=-1 quiet"
    if case != "legacy":
        cmd += ["-global", "virtio-mmio.force-legacy=false"]
    if case == "busy":
        cmd += ["-smp", "4"]
        append += f" vqtest.busy={busy_seconds}"
    if case == "pci":
        cmd += ["-device", "virtio-rng-pci", "-device", "virtio-gpu-pci"]
    elif case == "blkbig":
        cmd += ["-drive", f"file={guest['disk']},if=none,format=raw,id=d0,readonly=on",
                "-device", "virtio-blk-device,drive=d0"]
    elif case == "blkpci":
        cmd += ["-drive", f"file={guest['disk']},if=none,format=raw,id=d0,readonly=on",
                "-device", "virtio-blk-pci,disable-legacy=on,drive=d0"]
    else:
        cmd += ["-device", "virtio-gpu-device" + (",packed=on" if case == "packed" else "")]
    if case == "multi":
        cmd += ["-device", "virtio-rng-device",
                "-drive", f"file={guest['disk']},if=none,format=raw,id=d0,readonly=on",
                "-device", "virtio-blk-device,drive=d0", "-device", "virtio-keyboard-device",
                "-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-device,netdev=n0"]
    return cmd + ["-append", append]


def markers(serial):
    """The guest's VQTEST lines (tests/linux/init.sh), without the prefix."""
    return [l[len("VQTEST "):] for l in serial.splitlines() if l.startswith("VQTEST ")]
