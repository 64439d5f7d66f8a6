/* explain.c — see explain.h. */
#include "cli/explain.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/virtio_spec.h"
#include "model/transport/mmio_device.h"
#include "spec/ring_layout.h"
#include "spec/rules.h"
#include "spec/spec_version.h"
#include "util/text_wrap.h"

#define WRAP 78

/* A paragraph wrapped at WRAP columns, after `first` columns already used (no space before it),
 * later lines indented by `indent`. */
static void wrap(FILE *out, const char *text, int first, int indent)
{
    text_wrap(out, text, WRAP, first, indent, false);
}

static void field(FILE *out, const char *label, const char *text)
{
    fprintf(out, "%-12s", label);
    wrap(out, text && text[0] ? text : "—", 12, 12);
}

/* ---- rules -------------------------------------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 200 || lb > 200)
        return SIZE_MAX;
    size_t row[201];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const char *last_part(const char *id)
{
    const char *d = strrchr(id, '.');
    return d ? d + 1 : id;
}

/* How close a catalogue id is to what was typed: 0 = not close, higher = closer. */
static size_t closeness(const char *typed, const char *id)
{
    size_t d = edit_distance(typed, id);
    size_t limit = strlen(typed) / 4 + 2;
    if (d <= limit)
        return 1000 - d;
    if (strlen(typed) >= 3 && strstr(id, typed))
        return 500;
    if (strlen(last_part(typed)) >= 3 && strcmp(last_part(typed), last_part(id)) == 0)
        return 400;
    return 0;
}

static int unknown_rule(const struct rule_catalogue *c, const char *typed, FILE *err)
{
    fprintf(err, "vqsim: no rule '%s' in the catalogue", typed);
    /* The five closest, best first (stable for equal scores: catalogue order). */
    const struct rule *best[5] = {0};
    size_t score[5] = {0};
    for (size_t i = 0; i < c->n; i++) {
        size_t s = closeness(typed, c->rules[i].id);
        if (!s)
            continue;
        for (int k = 0; k < 5; k++) {
            if (s > score[k]) {
                for (int j = 4; j > k; j--) {
                    best[j] = best[j - 1];
                    score[j] = score[j - 1];
                }
                best[k] = &c->rules[i];
                score[k] = s;
                break;
            }
        }
    }
    if (best[0]) {
        fprintf(err, "; did you mean:");
        for (int k = 0; k < 5 && best[k]; k++)
            fprintf(err, "%s %s", k ? "," : "", best[k]->id);
        fputc('?', err);
    }
    fprintf(err, "\n(`vqsim rules` lists every id)\n");
    return 2;
}

/* What changed for a rule from the version before (prev: NULL for the first version; its
 * section NULL when the rule did not hold there): "" for the first, else "unchanged" or the
 * changes — number, title, text. */
static void version_change(char *buf, size_t n, const struct spec_place *p,
                           const struct spec_place *prev)
{
    buf[0] = 0;
    if (!prev)
        return;
    if (!prev->section) {
        snprintf(buf, n, "first stated here");
        return;
    }
    size_t l = 0;
    if (strcmp(prev->section, p->section))
        l += (size_t)snprintf(buf + l, n - l, "renumbered from §%s; ", prev->section);
    if (prev->title && p->title && strcmp(prev->title, p->title) && l < n)
        l += (size_t)snprintf(buf + l, n - l, "retitled; ");
    const char *t = !strcmp(p->text, "same")       ? ""
                    : !strcmp(p->text, "reworded") ? "text reworded since 1.1"
                    : !strcmp(p->text, "moved")    ? "text moved to another section"
                    : !strcmp(p->text, "changed")  ? "the section's normative text changed since 1.1"
                                                   : p->text;
    if (l < n)
        l += (size_t)snprintf(buf + l, n - l, "%s", t);
    while (l >= 2 && l < n && buf[l - 2] == ';')
        buf[l -= 2] = 0;
    if (!buf[0])
        snprintf(buf, n, "unchanged");
}

/* The rule's section in every version (spec/sections.yaml) and what changed. */
static void explain_versions(const struct rule *r, FILE *out)
{
    struct spec_place prev = {0};
    bool have_prev = false;
    for (int v = SPEC_1_1; v < SPEC_VERSIONS; v++) {
        struct spec_place p;
        if (!spec_rule_place(r->id, (enum spec_version)v, &p))
            return; /* not mapped: a rule with no section */
        char what[200], line[320];
        if (!p.section || !strcmp(p.text, "absent"))
            snprintf(line, sizeof(line), "%s — not a rule of this version",
                     spec_version_name((enum spec_version)v));
        else {
            version_change(what, sizeof(what), &p, have_prev ? &prev : NULL);
            snprintf(line, sizeof(line), "%s §%s %s%s%s", spec_version_name((enum spec_version)v),
                     p.section, p.title ? p.title : "", what[0] ? " — " : "", what);
        }
        fprintf(out, "%-12s", v == SPEC_1_1 ? "In VirtIO" : "");
        wrap(out, line, 12, 12);
        prev = p;
        have_prev = true;
    }
}

static int explain_rule(const char *id, FILE *out, FILE *err)
{
    char e[512];
    const struct rule_catalogue *c = rules_builtin(e, sizeof(e));
    if (!c) {
        fprintf(err, "vqsim: the built-in rule catalogue is invalid: %s\n", e);
        return 2;
    }
    const struct rule *r = rules_find(c, id);
    if (!r)
        return unknown_rule(c, id, err);
    bool spec_rule = !strcmp(r->role, "driver") || !strcmp(r->role, "device");
    if (spec_rule)
        fprintf(out, "%s — %s, binds the %s\n", r->id, r->level, r->role);
    else
        fprintf(out, "%s — %s\n", r->id, r->level);
    if (isdigit((unsigned char)r->section[0]))
        fprintf(out, "VirtIO %s §%s %s (area: %s)\n\n", r->spec[0] ? r->spec : "1.1", r->section,
                r->title, r->area);
    else
        fprintf(out, "Not a VirtIO rule: %s (area: %s)\n\n", r->title, r->area);
    explain_versions(r, out);
    field(out, "Rule", r->statement);
    if (r->checked) {
        field(out, "Check", r->check);
    } else {
        field(out, "Check", "none");
        field(out, "Why not", r->reason);
    }
    field(out, "QEMU 7.2", r->qemu);
    if (r->n_proven) {
        fprintf(out, "%-12s", "Shown by");
        for (size_t i = 0; i < r->n_proven; i++)
            fprintf(out, "%s%s\n", i ? "            " : "", r->proven_by[i]);
        fprintf(out, "%-12svqsim run -v %s\n", "Try", r->proven_by[0]);
    } else {
        field(out, "Shown by", "no scenario");
    }
    return 0;
}

/* ---- layouts ------------------------------------------------------------------------------ */

static bool parse_u32(const char *s, uint32_t *v)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || *end || x > UINT32_MAX)
        return false;
    *v = (uint32_t)x;
    return true;
}

static void row(FILE *out, const char *label, uint64_t off, uint64_t size, const char *align,
                const char *what)
{
    char sz[24] = "";
    if (size)
        snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
    char line[256];
    snprintf(line, sizeof(line), "  %-22s 0x%05llx %6llu %7s  %-6s %s", label,
             (unsigned long long)off, (unsigned long long)off, sz, align, what);
    size_t n = strlen(line);
    while (n && line[n - 1] == ' ')
        line[--n] = 0;
    fprintf(out, "%s\n", line);
}

static void header(FILE *out)
{
    fprintf(out, "  %-22s %-7s %6s %7s  %-6s %s\n", "part", "offset", "(dec)", "bytes", "align",
            "holds");
}

/* The parts of one area (RL_AREA_AVAIL / RL_AREA_USED) as indented rows. */
static void area_rows(FILE *out, const struct ring_layout *l, enum rl_area area)
{
    for (unsigned i = 0; i < l->n_parts; i++) {
        const struct rl_part *p = &l->part[i];
        if (p->area != area)
            continue;
        char label[40], what[48];
        const char *dot = strchr(p->name, '.');
        if (p->entries)
            snprintf(label, sizeof(label), "  %s[%u]", dot ? dot + 1 : p->name, p->entries);
        else
            snprintf(label, sizeof(label), "  %s", dot ? dot + 1 : p->name);
        if (p->entries)
            snprintf(what, sizeof(what), "%u × %u B", p->entries, p->entry_size);
        else if (!strcmp(p->name, "avail.used_event") && l->used < p->off + p->size)
            snprintf(what, sizeof(what), "EVENT_IDX only; lies on the used ring!");
        else if (!strcmp(p->name, "avail.used_event") || !strcmp(p->name, "used.avail_event"))
            snprintf(what, sizeof(what), "only with VIRTIO_F_EVENT_IDX");
        else
            what[0] = 0;
        row(out, label, p->off, p->size, "", what);
    }
}

static void print_layout(FILE *out, const struct ring_layout *l)
{
    char a[16];
    header(out);
    if (l->kind == RL_MODERN)
        snprintf(a, sizeof(a), "%u", l->desc_align);
    else /* QueuePFN × GuestPageSize */
        snprintf(a, sizeof(a), "page");
    char what[64];
    snprintf(what, sizeof(what), "%u × 16 B, written by the driver", l->num);
    row(out, "descriptor table", l->desc, l->desc_size, a, what);
    snprintf(a, sizeof(a), "%u", l->avail_align);
    row(out, "available ring", l->avail, l->avail_size, a, "written by the driver");
    area_rows(out, l, RL_AREA_AVAIL);
    for (unsigned i = 0; i < l->n_parts; i++)
        if (l->part[i].area == RL_AREA_NONE)
            row(out, "padding", l->part[i].off, l->part[i].size, "",
                l->kind == RL_MODERN ? "to the used ring's 4-byte alignment"
                                     : "to the next QueueAlign boundary");
    snprintf(a, sizeof(a), "%u", l->used_align);
    row(out, "used ring", l->used, l->used_size, a, "written by the device");
    area_rows(out, l, RL_AREA_USED);
    row(out, "end", l->end, 0, "", "");
}

static int explain_layout(uint32_t n, bool legacy, uint32_t align, FILE *out)
{
    struct ring_layout l, spec;
    if (!legacy) {
        ring_layout_compute(n, RL_MODERN, 0, &l);
        fprintf(out, "Split virtqueue of %u entries, modern layout (VirtIO 1.1 §2.6)\n", n);
        wrap(out, "The driver tells the device three addresses (QueueDesc, QueueDriver, QueueDevice "
                  "on virtio-mmio version 2); each part may lie anywhere in guest RAM at its "
                  "alignment: descriptor table 16, available ring 2, used ring 4 (§2.6.1, rule "
                  "split.align). Shown back to back at exactly those alignments, the tightest "
                  "legal packing (the driver's `layout: packed`):", 0, 0);
        fputc('\n', out);
        print_layout(out, &l);
        fprintf(out, "\nSizes include the event fields, which exist only with VIRTIO_F_EVENT_IDX "
                     "but cost\n4 bytes: reserving them means negotiating it never moves a ring.\n");
    } else {
        ring_layout_compute(n, RL_LEGACY_QEMU, align, &l);
        ring_layout_compute(n, RL_LEGACY_SPEC, align, &spec);
        fprintf(out, "Split virtqueue of %u entries, legacy layout with QueueAlign %u "
                     "(VirtIO 1.1 §2.6.2, §4.2.4)\n", n, align);
        wrap(out, "One contiguous region from QueuePFN × GuestPageSize (so it starts on a page): "
                  "the descriptor table, the available ring right after it, then the used ring "
                  "at the next QueueAlign boundary. The device computes that position itself; "
                  "the driver must put its used ring at the same place. As the device model "
                  "(QEMU 7.2) places it:", 0, 0);
        fputc('\n', out);
        print_layout(out, &l);
        uint64_t qemu_end = l.avail + 4 + 2ull * n, spec_end = spec.avail + spec.avail_size;
        fprintf(out, "\nWhere the used ring goes:\n");
        fprintf(out, "  device model, as QEMU 7.2: ALIGN_UP(16×%u + 4 + 2×%u, %u) = "
                     "ALIGN_UP(0x%llx, %u) = 0x%llx\n", n, n, align,
                (unsigned long long)qemu_end, align, (unsigned long long)l.used);
        fprintf(out, "  VirtIO 1.1 §2.6.2 formula: ALIGN_UP(16×%u + 6 + 2×%u, %u) = "
                     "ALIGN_UP(0x%llx, %u) = 0x%llx\n", n, n, align,
                (unsigned long long)spec_end, align, (unsigned long long)spec.used);
        if (l.used == spec.used) {
            fprintf(out, "  They agree.\n");
        } else {
            fputc('\n', out);
            wrap(out, "They differ: QEMU rounds up the end of avail.ring without used_event, the "
                      "spec's formula includes it, and here avail.ring ends exactly on a "
                      "boundary. A driver that follows §2.6.2 puts its used ring here:", 0, 0);
            fputc('\n', out);
            header(out);
            char a[16];
            snprintf(a, sizeof(a), "%u", align);
            row(out, "used ring (spec)", spec.used, spec.used_size, a, "where the driver polls");
            area_rows(out, &spec, RL_AREA_USED);
            fputc('\n', out);
            wrap(out, "…and polls used.idx where the device never writes it: the request times "
                      "out (diagnosis used-ring-mismatch). Use a page-sized QueueAlign (4096), "
                      "as real legacy drivers do, and the two agree.", 0, 0);
        }
    }
    bool pow2 = (n & (n - 1)) == 0;
    if (!pow2 || n > MMIO_QUEUE_NUM_MAX || (legacy && (align & (align - 1)))) {
        fprintf(out, "\nNotes:\n");
        if (!pow2)
            wrap(out, "- Queue Size is not a power of two. §2.6 describes split queue sizes as "
                      "powers of 2; the device model records split.queue-size-pow2 (QEMU "
                      "accepts any size up to 1024).", 0, 2);
        if (n > MMIO_QUEUE_NUM_MAX)
            fprintf(out, "- %u entries is more than the device's QueueNumMax (%u, QEMU's "
                         "VIRTQUEUE_MAX_SIZE).\n", n, MMIO_QUEUE_NUM_MAX);
        if (legacy && (align & (align - 1)))
            wrap(out, "- QueueAlign is not a power of two. QEMU accepts it and rounds up by "
                      "division (so does the device model); vqsim's driver refuses it.", 0, 2);
    }
    return 0;
}

static int layout_usage(FILE *err, const char *why)
{
    fprintf(err, "vqsim: explain: %s\nusage: vqsim " EXPLAIN_USAGE, why);
    return 2;
}

int cmd_explain(int argc, char **argv, FILE *out, FILE *err)
{
    if (argc < 1)
        return layout_usage(err, "give a rule id, --layout N or --pci");
    if (!strcmp(argv[0], "--pci"))
        return argc == 1 ? explain_pci(out) : layout_usage(err, "--pci takes no argument");
    if (strcmp(argv[0], "--layout") != 0) {
        if (argv[0][0] == '-')
            return layout_usage(err, "unknown option");
        if (argc > 1)
            return layout_usage(err, "one rule id at a time");
        return explain_rule(argv[0], out, err);
    }
    uint32_t n = 0, align = 0;
    bool legacy = false;
    if (argc < 2 || !parse_u32(argv[1], &n) || n < 1 || n > VIRTQ_MAX_SIZE)
        return layout_usage(err, "--layout needs a Queue Size N, 1..32768");
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--legacy") && i + 1 < argc) {
            if (!parse_u32(argv[i + 1], &align) || align == 0 || align > (1u << 31))
                return layout_usage(err, "--legacy needs a QueueAlign, 1..2147483648");
            legacy = true;
            i++;
        } else {
            return layout_usage(err, !strcmp(argv[i], "--legacy") ? "--legacy needs a QueueAlign"
                                                                 : "unexpected argument");
        }
    }
    return explain_layout(n, legacy, align, out);
}
