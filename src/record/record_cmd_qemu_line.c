/* record_cmd_qemu_line.c — the QEMU command line `vqsim record` runs (record_cmd_internal.h):
 * the user's, refused where it cannot be extended safely, plus the plugin, the trace events it
 * reads and guest RAM backed by a shared file. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/record_cmd_internal.h"

#define VIRT_RAM_BASE 0x40000000ull       /* QEMU `virt`: RAM starts at 1 GiB */
#define QEMU_DEFAULT_RAM (128ull << 20)   /* `virt` without -m */

/* virtio-pci devices whose QueueNotify writes QEMU hands to an ioeventfd by default (property
 * `ioeventfd`, on): such a write never reaches the region's ops, so QEMU traces no
 * memory_region_ops_write for it and the recording would lack the guest's notify (the check
 * then sees a kick missed). Turned off for every instance of each type — the guest sees the same
 * device; only how QEMU's main loop learns of the notify changes. (virtio-gpu-pci's is off by
 * default; virtio-input-pci and virtio-balloon-pci have none.) */
static const char *const ioeventfd_off[] = {
    "virtio-blk-pci-base.ioeventfd=off",    "virtio-net-pci-base.ioeventfd=off",
    "virtio-rng-pci-base.ioeventfd=off",    "virtio-scsi-pci-base.ioeventfd=off",
    "virtio-serial-pci-base.ioeventfd=off", "virtio-9p-pci-base.ioeventfd=off"};
#define N_IOEVENTFD_OFF (sizeof(ioeventfd_off) / sizeof(ioeventfd_off[0]))

/* Trace events the plugin reads: MMIO values, then the device side (informative). */
static const char trace_events[] =
    "trace:memory_region_ops_read,trace:memory_region_ops_write,trace:virtqueue_pop,"
    "trace:virtqueue_fill,trace:virtqueue_flush,trace:virtio_queue_notify,trace:virtio_notify,"
    "trace:virtio_mmio_setting_irq,guest_errors";

/* "-m 256M", "-m size=1G,slots=2,maxmem=4G", "-m 512" (MiB): bytes, 0 when unreadable. */
static uint64_t parse_ram_size(const char *s)
{
    const char *p = strstr(s, "size=");
    p = p ? p + 5 : s;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno || end == p || v == 0)
        return 0;
    uint64_t mult = 1ull << 20; /* QEMU: a bare number is MiB */
    switch (*end) {
    case 'k': case 'K': mult = 1ull << 10; end++; break;
    case 'M': case 'm': mult = 1ull << 20; end++; break;
    case 'G': case 'g': mult = 1ull << 30; end++; break;
    case 'T': case 't': mult = 1ull << 40; end++; break;
    case 'B': case 'b': mult = 1; end++; break;
    default: break;
    }
    if (*end && *end != ',')
        return 0;
    if (v > UINT64_MAX / mult)
        return 0;
    return v * mult;
}

static int is_opt(const char *a, const char *name)
{
    /* QEMU accepts -opt and --opt */
    if (a[0] == '-' && a[1] == '-')
        a++;
    return !strcmp(a, name);
}

void free_plan(struct plan *p)
{
    for (int i = 0; i < 4; i++)
        free(p->alloc[i]);
    free(p->argv);
}

/* The user's QEMU command line, checked: the index of -M's value (*machine), of -d's (*debug, -1:
 * none), the RAM size (-m, else QEMU's default). -1 with a message when refused. */
static int check_user_line(char **q, int qn, int *machine, int *debug, uint64_t *ram_size)
{
    *machine = *debug = -1;
    *ram_size = QEMU_DEFAULT_RAM;
    for (int i = 1; i < qn; i++) {
        const char *a = q[i], *v = i + 1 < qn ? q[i + 1] : NULL;
        if ((is_opt(a, "-M") || is_opt(a, "-machine")) && v) {
            const char *type = v;
            v = !strncmp(v, "type=", 5) ? v + 5 : v;
            if (strncmp(v, "virt", 4) || (v[4] && v[4] != ',' && v[4] != '-')) {
                fprintf(stderr, "vqsim record: machine '%s': only QEMU's `virt` machine is "
                                "supported (its RAM starts at 0x40000000)\n", v);
                return -1;
            }
            if (strstr(v, "memory-backend=")) {
                fprintf(stderr, "vqsim record: the command line already sets a memory backend "
                                "(%s); vqsim record backs guest RAM with its own shared file\n", type);
                return -1;
            }
            *machine = i + 1;
        } else if (is_opt(a, "-m") && v) {
            *ram_size = parse_ram_size(v);
            if (!*ram_size) {
                fprintf(stderr, "vqsim record: cannot work out the RAM size from '-m %s'\n", v);
                return -1;
            }
        } else if (is_opt(a, "-mem-path") || is_opt(a, "-numa") ||
                   (is_opt(a, "-object") && v && !strncmp(v, "memory-backend", 14))) {
            fprintf(stderr, "vqsim record: '%s %s' sets up guest RAM itself; vqsim record backs "
                            "guest RAM with its own shared file and cannot combine the two\n",
                    a, v ? v : "");
            return -1;
        } else if (is_opt(a, "-D")) {
            fprintf(stderr, "vqsim record: '-D' given: vqsim record needs QEMU's log file itself "
                            "(use --log FILE to keep it)\n");
            return -1;
        } else if (is_opt(a, "-d") && v) {
            *debug = i + 1;
        } else if (is_opt(a, "-enable-kvm") || (is_opt(a, "-accel") && v && strncmp(v, "tcg", 3))) {
            fprintf(stderr, "vqsim record: TCG plugins need the TCG accelerator\n");
            return -1;
        }
    }
    if (*machine < 0) {
        fprintf(stderr, "vqsim record: give the machine: -M virt\n");
        return -1;
    }
    return 0;
}

/* Whether option list v (a,b=c,…) sets `key` to on (on, true, yes, y). */
static bool option_on(const char *v, const char *key)
{
    size_t n = strlen(key);
    for (const char *o = v; o; o = strchr(o, ',') ? strchr(o, ',') + 1 : NULL)
        if (!strncmp(o, key, n) && o[n] == '=') {
            const char *x = o + n + 1;
            size_t l = strcspn(x, ",");
            return (l == 2 && !strncmp(x, "on", 2)) || (l == 4 && !strncmp(x, "true", 4)) ||
                   (l == 3 && !strncmp(x, "yes", 3)) || (l == 1 && x[0] == 'y');
        }
    return false;
}

/* The plugin's page cache (va_cache.h) must not be used: the machine has EL2 or EL3 (a virtual
 * address translates per exception level), or one thread runs every vCPU (no resume callback
 * tells the plugin of a vCPU reset). */
static bool page_cache_unsafe(char **q, int qn, int machine)
{
    if (option_on(q[machine], "virtualization") || option_on(q[machine], "secure"))
        return true;
    for (int i = 1; i + 1 < qn; i++)
        if (is_opt(q[i], "-accel") && strstr(q[i + 1], "thread=single"))
            return true;
    return false;
}

/* The user's QEMU command line plus what recording needs; -1 with a message when refused. */
int make_plan(char **q, int qn, const char *plugin, const char *out, const char *log,
              int punch, const char *ram_file, const char *stores_first, struct plan *p)
{
    int machine, debug;
    if (check_user_line(q, qn, &machine, &debug, &p->ram_size))
        return -1;
    p->argv = calloc((size_t)qn + 12 + 2 * N_IOEVENTFD_OFF, sizeof(char *));
    if (!p->argv)
        return -1;
    char *m = NULL, *d = NULL, *obj = NULL, *plug = NULL;
    int ok = asprintf(&m, "%s,memory-backend=vqrec-ram", q[machine]) >= 0;
    ok = asprintf(&d, "%s%s%s", debug >= 0 ? q[debug] : "", debug >= 0 ? "," : "",
                 trace_events) >= 0 && ok;
    ok = asprintf(&obj, "memory-backend-file,id=vqrec-ram,size=%" PRIu64 ",mem-path=%s,share=on",
                 p->ram_size, ram_file) >= 0 && ok;
    ok = asprintf(&plug, "%s,out=%s,log=%s,punch=%s,shm=%s,rambase=0x%llx,ramsize=0x%" PRIx64
                         "%s%s%s", plugin, out, log, punch ? "on" : "off", ram_file, VIRT_RAM_BASE,
                  p->ram_size, page_cache_unsafe(q, qn, machine) ? ",vacache=off" : "",
                  stores_first ? ",storesfirst=" : "", stores_first ? stores_first : "") >= 0 &&
         ok;
    p->alloc[0] = ok ? m : NULL; /* asprintf leaves the pointer undefined on failure */
    p->alloc[1] = ok ? d : NULL;
    p->alloc[2] = ok ? obj : NULL;
    p->alloc[3] = ok ? plug : NULL;
    if (!ok)
        return -1;
    int n = 0;
    for (int i = 0; i < qn; i++)
        p->argv[n++] = i == machine ? m : i == debug ? d : q[i];
    p->argv[n++] = "-object";
    p->argv[n++] = obj;
    p->argv[n++] = "-plugin";
    p->argv[n++] = plug;
    p->argv[n++] = "-D";
    p->argv[n++] = (char *)log;
    if (debug < 0) {
        p->argv[n++] = "-d";
        p->argv[n++] = d;
    }
    for (size_t i = 0; i < N_IOEVENTFD_OFF; i++) {
        p->argv[n++] = "-global";
        p->argv[n++] = (char *)ioeventfd_off[i];
    }
    p->argv[n] = NULL;
    p->argc = n;
    return 0;
}
