/* vqrec_ram.c — guest RAM as the plugin sees it: the shared file QEMU backs it with, mapped
 * read-only (a memory callback runs after its access, so the file holds the value by then), and
 * the guest-physical address of a RAM access. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/plugin/vqrec_internal.h"

static const uint8_t *ram;  /* the shared RAM file, read-only */
static uint64_t ram_base, ram_size;

int ram_ok(uint64_t pa, uint64_t n)
{
    return ram && pa >= ram_base && n <= ram_size && pa - ram_base <= ram_size - n;
}

const uint8_t *ram_at(uint64_t pa, uint64_t n)
{
    return ram_ok(pa, n) ? ram + (pa - ram_base) : NULL;
}

uint64_t ram_read(uint64_t pa, unsigned n)
{
    uint64_t v = 0;
    if (n > 8)
        n = 8;
    if (ram_ok(pa, n))
        memcpy(&v, ram + (pa - ram_base), n); /* little-endian host and guest */
    return v;
}

/* qemu_plugin_hwaddr_phys_addr looks the RAM block up on every call (~30 ns, most of what
 * recording costs a memory-heavy guest). QEMU 7.2's handle holds the host address of the
 * access (include/qemu/plugin-memory.h: is_io, is_store, then a union whose RAM member is the
 * host pointer), and guest RAM is one host mapping, so pa = ram_base + (host - host_base).
 * That layout is QEMU's, not the API's: the shortcut is taken only after it agreed with
 * qemu_plugin_hwaddr_phys_addr on the first FAST_CHECKS RAM accesses, and is never taken again
 * after one disagreement. */
struct qemu72_hwaddr_layout {
    bool is_io, is_store;
    union {
        struct {
            void *section;
            uint64_t offset;
        } io;
        struct {
            void *hostaddr;
        } ram;
    } v;
};
#define FAST_CHECKS 4096u
static uintptr_t host_base;    /* host address of guest-physical ram_base */
static int fast_state;         /* 0 checking, 1 on, -1 off */
static unsigned fast_checked;

uint64_t ram_phys(struct qemu_plugin_hwaddr *hw)
{
    uintptr_t host = (uintptr_t)((const struct qemu72_hwaddr_layout *)hw)->v.ram.hostaddr;
    int state = __atomic_load_n(&fast_state, __ATOMIC_RELAXED);
    uintptr_t base = __atomic_load_n(&host_base, __ATOMIC_RELAXED);
    if (state == 1 && host - base < ram_size)
        return ram_base + (host - base);
    uint64_t pa = qemu_plugin_hwaddr_phys_addr(hw);
    if (state != 0 || pa - ram_base >= ram_size || !ram_size)
        return pa;
    if (!base) {
        __atomic_store_n(&host_base, host - (uintptr_t)(pa - ram_base), __ATOMIC_RELAXED);
    } else if (host - base != pa - ram_base) {
        __atomic_store_n(&fast_state, -1, __ATOMIC_RELAXED);
    } else if (__atomic_add_fetch(&fast_checked, 1, __ATOMIC_RELAXED) >= FAST_CHECKS) {
        int expect = 0;
        __atomic_compare_exchange_n(&fast_state, &expect, 1, false, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED);
    }
    return pa;
}

int ram_setup(const char *shm, uint64_t base, uint64_t size)
{
    ram_base = base;
    ram_size = size;
    if (!shm)
        return 0;
    int fd = open(shm, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || (uint64_t)st.st_size < ram_size) {
        fprintf(stderr, "vqrec plugin: cannot use %s as guest RAM: %s\n", shm,
                fd < 0 ? strerror(errno) : "shorter than ramsize");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    void *p = mmap(NULL, ram_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        fprintf(stderr, "vqrec plugin: mmap %s: %s\n", shm, strerror(errno));
        return -1;
    }
    ram = p;
    return 0;
}
