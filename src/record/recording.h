/* recording.h — the file `vqsim record` writes and `vqsim check` reads: what a guest did to its
 * virtio devices, in program order, with values.
 *
 * Written by the QEMU TCG plugin (src/record/plugin/) while an unmodified guest runs, and by the
 * simulator itself (so a simulated run and its recording can be compared). Plain C, no
 * dependencies: the plugin includes it too.
 *
 * Layout, little-endian, every part 8-byte aligned:
 *   struct vqrec_header                       once, at offset 0
 *   { struct vqrec_event; payload[len]; pad to 8 }   repeated until VQREC_END or end of file
 * Major version 2 (what vqsim writes) is the same, the events after the header compressed as one
 * zlib stream (RFC 1950): format 1's bytes, deflated (recording_zlib.h). An offset names a byte
 * of the uncompressed recording, header included, in both. Major version 1 (uncompressed) is
 * still read.
 *
 * A reader must refuse a file whose magic or major version it does not know, skip events of a
 * kind it does not know (their `len` says how far), and treat a file cut short (QEMU killed) as
 * ending after the last whole event.
 */
#ifndef VQSIM_RECORDING_H
#define VQSIM_RECORDING_H

#include <stdint.h>

#define VQREC_MAGIC "VQSIMREC"   /* 8 bytes, no terminator in the file */
#define VQREC_VERSION_MAJOR 2u       /* written: the events deflated */
#define VQREC_VERSION_MAJOR_PLAIN 1u /* the events as they are: read, no longer written */
#define VQREC_VERSION_MINOR 4u   /* 1: VQREC_F_POLL, VQREC_M_RING; 2: VQREC_CPU_NONE, a DEVICE
                                    event's window in pc, barriers only between accesses;
                                    3: VQREC_PCI_ECAM, virtio-pci accesses; 4: VQREC_F_TRACED.
                                    The minor versions of majors 1 and 2 mean the same. */

struct vqrec_header {
    char magic[8];
    uint16_t major, minor;
    uint32_t header_size;        /* sizeof(struct vqrec_header); events start here */
    uint64_t ram_base, ram_size; /* guest RAM (guest-physical) */
    uint32_t n_cpus;
    uint32_t flags;              /* VQREC_HF_* */
    char source[32];             /* "qemu-7.2-tcg-plugin", "vqsim-sim"… NUL-padded */
};
_Static_assert(sizeof(struct vqrec_header) == 72, "vqrec_header layout");

#define VQREC_HF_MMU_SEEN 1u     /* some recorded access had virtual != physical address */

enum vqrec_kind {
    VQREC_MMIO_READ = 1,   /* addr: guest-physical register address; value: what the CPU got */
    VQREC_MMIO_WRITE = 2,  /* addr; value: what the CPU stored */
    VQREC_LOAD = 3,        /* a CPU load from ring memory; value: what it read; flags: ACQUIRE */
    VQREC_STORE = 4,       /* a CPU store to ring memory; value: what it stored; flags: RELEASE */
    VQREC_BARRIER = 5,     /* a barrier instruction executed; value: enum vqrec_barrier;
                              addr: the raw instruction word (aarch64: dmb/dsb with its option).
                              (minor 2) Only barriers between two recorded accesses of the same
                              vCPU, written just before the second, one per kind at most (an MB
                              stands for all): the plugin's barrier_filter.h */
    VQREC_MEMORY = 6,      /* contents of guest RAM at addr, len bytes of payload: buffers the
                              device is about to read (written at a queue notify), or a ring
                              the device has just taken (flags: VQREC_M_RING) */
    VQREC_WINDOW = 7,      /* a virtio-mmio window the guest probed: addr base, value size */
    VQREC_DEVICE = 8,      /* a device-side event (QEMU trace): value: enum vqrec_device,
                              addr: queue; payload: the trace line, NUL-terminated; (minor 2)
                              pc: the device's virtio-mmio window, 0 when not known */
    VQREC_END = 9,         /* the run ended: value: QEMU's exit status; flags: END_* */
    VQREC_NOTE = 10,       /* free text (the command line…), NUL-terminated payload */
    VQREC_PCI_ECAM = 11,   /* (minor 3) the machine's PCI configuration space (ECAM): addr its
                              guest-physical base, value its size. Written before the first
                              configuration access. From then on an MMIO_READ / MMIO_WRITE in
                              [addr, addr + value) is a configuration access of function
                              (a - addr) >> 12 (bus << 8 | device << 3 | function) at offset
                              (a - addr) & 0xfff, of `size` bytes; one outside it and outside
                              every WINDOW is an access to a virtio-pci function's BAR (its
                              virtio structures, its MSI-X table or PBA), at its guest-physical
                              address. Which function a BAR address belongs to follows from
                              the configuration writes that assigned the BARs (§4.1). */
};

/* flags of LOAD / STORE / END */
#define VQREC_F_ACQUIRE 1u /* load-acquire (aarch64 ldar/ldapr): later accesses stay after it */
#define VQREC_F_RELEASE 2u /* store-release (aarch64 stlr): earlier accesses stay before it */
#define VQREC_F_VIRT    4u /* the CPU used a virtual address different from addr (MMU on) */
/* (minor 1) a 2-byte load outside every ring the registers name, recorded because the guest
 * polls there: the same instruction read this value at this address VQREC_POLL_RUN times in a
 * row (recorded once per run, at the last of them). Later changes of the value there come as
 * plain loads. A reader that does not know the flag sees one load. */
#define VQREC_F_POLL    8u
#define VQREC_POLL_RUN  8u
/* (minor 2) a load at a location once recorded as a poll (VQREC_F_POLL), outside the rings,
 * recorded because its value changed there: the guest saw a new value. */
#define VQREC_F_WATCHED 16u
/* (minor 4) flag of MMIO_READ: a register read the recorder did not see itself, known only from
 * QEMU's own trace of the device side (address, width, value, vCPU, and its place among that
 * vCPU's recorded accesses): pc 0, and the barriers around it are not known (they count towards
 * the vCPU's next recorded access). The plugin records a guest's reads this way until its first
 * store to a virtio register other than the device status (no ring can exist before it) and in
 * the rest of the translation block that store was in (src/record/plugin/vqrec_plugin.c, "stores
 * first"). */
#define VQREC_F_TRACED  32u
/* flags of MEMORY (minor 1) */
#define VQREC_M_RING    1u /* a ring's contents when the device took it (QueueReady = 1, legacy
                              QueuePFN), right after that write: what the guest left there */
#define VQREC_END_KILLED 1u   /* `vqsim record` stopped QEMU (its time bound ran out) */
#define VQREC_END_TRUNCATED 2u

#define VQREC_CPU_NONE 0xffu

/* What a barrier orders, mapped from the instruction (aarch64: dmb/dsb ld → RMB, st → WMB,
 * anything else → MB; isb is not recorded). */
enum vqrec_barrier { VQREC_MB = 0, VQREC_RMB = 1, VQREC_WMB = 2 };

enum vqrec_device {
    VQREC_DEV_NOTIFY = 1,  /* the device saw a queue notify */
    VQREC_DEV_POP = 2,     /* the device took a chain */
    VQREC_DEV_FILL = 3,    /* the device wrote a used element */
    VQREC_DEV_FLUSH = 4,   /* the device published used.idx */
    VQREC_DEV_IRQ = 5,     /* the device raised its interrupt */
    VQREC_DEV_OTHER = 15,
};

struct vqrec_event {
    uint8_t kind;          /* enum vqrec_kind */
    uint8_t size;          /* access width in bytes (1, 2, 4, 8), 0 for non-accesses */
    uint8_t flags;         /* VQREC_F_* */
    uint8_t cpu;           /* vCPU index; program order holds per vCPU only; (minor 2)
                              VQREC_CPU_NONE for events of no vCPU (device, note, end) */
    uint32_t len;          /* payload bytes after this event (before padding to 8) */
    uint64_t addr;
    uint64_t value;
    uint64_t pc;           /* guest pc of the instruction, 0 when none; (minor 2) DEVICE: the
                              device's virtio-mmio window, (minor 3) or the base of a virtio-pci
                              function's 16 KiB structures BAR (QEMU 7.2's layout) */
};
_Static_assert(sizeof(struct vqrec_event) == 32, "vqrec_event layout");

#endif /* VQSIM_RECORDING_H */
