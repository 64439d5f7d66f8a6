/* spec_version.c — see spec_version.h. */
#include "spec/spec_version.h"

#include <stdio.h>
#include <string.h>
#include <threads.h>

#include "util/yaml_embed.h"
#include "util/yaml_tree.h"

extern const struct yembed vqsim_sections_embed; /* spec/sections.yaml, parsed at build time */

static const char *const names[SPEC_VERSIONS] = {"qemu-7.2", "1.1", "1.2", "1.3", "1.4"};

bool spec_version_parse(const char *s, enum spec_version *out)
{
    if (!s)
        return false;
    if (!strcmp(s, "qemu") || !strcmp(s, "qemu-7.2")) {
        *out = SPEC_QEMU;
        return true;
    }
    for (int v = SPEC_1_1; v < SPEC_VERSIONS; v++)
        if (!strcmp(s, names[v])) {
            *out = (enum spec_version)v;
            return true;
        }
    return false;
}

const char *spec_version_name(enum spec_version v)
{
    return (unsigned)v < SPEC_VERSIONS ? names[v] : "?";
}

/* spec/sections.yaml, parsed once per process and kept (its strings are handed out). */
static struct ynode *doc;
static char doc_err[300];
static char sources[SPEC_VERSIONS][160];

static void parse_doc(void)
{
    doc = yembed_tree(&vqsim_sections_embed);
    if (!doc || !ymap_get(doc, "rules") || !ymap_get(doc, "sections") || !ymap_get(doc, "versions"))
        snprintf(doc_err, sizeof(doc_err), "spec/sections.yaml:1:1: %s",
                 doc ? "incomplete" : "out of memory (or a bad embedding)");
    const struct ynode *vs = doc ? ymap_get(doc, "versions") : NULL;
    for (int v = SPEC_1_1; v < SPEC_VERSIONS; v++) {
        const struct ynode *m = vs ? ymap_get(vs, names[v]) : NULL;
        const struct ynode *tag = m ? ymap_get(m, "tag") : NULL;
        const struct ynode *commit = m ? ymap_get(m, "commit") : NULL;
        snprintf(sources[v], sizeof(sources[v]), "%s (%s, commit %.12s)", names[v],
                 tag && tag->str ? tag->str : "?", commit && commit->str ? commit->str : "?");
    }
    snprintf(sources[SPEC_QEMU], sizeof(sources[SPEC_QEMU]), "%s",
             "QEMU 7.2: VirtIO 1.1 and the later rules QEMU 7.2 answers");
}

static const struct ynode *section_doc(void)
{
    static once_flag once = ONCE_FLAG_INIT;
    call_once(&once, parse_doc);
    return doc_err[0] ? NULL : doc;
}

const char *spec_versions_error(void)
{
    section_doc();
    return doc_err;
}

const char *spec_version_source(enum spec_version v)
{
    section_doc();
    return (unsigned)v < SPEC_VERSIONS ? sources[v] : "?";
}

static const char *str_of(const struct ynode *n)
{
    return n && n->kind == YN_SCALAR && !yscalar_is_null(n) ? n->str : NULL;
}

bool spec_rule_place(const char *rule_id, enum spec_version v, struct spec_place *out)
{
    const struct ynode *d = section_doc();
    *out = (struct spec_place){0};
    if (!d || v == SPEC_QEMU || (unsigned)v >= SPEC_VERSIONS)
        return false;
    const struct ynode *r = ymap_get(ymap_get(d, "rules"), rule_id);
    const struct ynode *p = r ? ymap_get(r, names[v]) : NULL;
    if (!p)
        return false;
    *out = (struct spec_place){str_of(ymap_get(p, "section")), str_of(ymap_get(p, "title")),
                               str_of(ymap_get(p, "text"))};
    return true;
}

const char *spec_section_in(const char *sec11, enum spec_version v)
{
    const struct ynode *d = section_doc();
    if (!d || !sec11)
        return NULL;
    const struct ynode *m = ymap_get(ymap_get(d, "sections"), sec11);
    if (!m)
        return NULL;
    if (v == SPEC_QEMU || v == SPEC_1_1)
        return sec11;
    return (unsigned)v < SPEC_VERSIONS ? str_of(ymap_get(m, names[v])) : NULL;
}

void spec_rewrite_sections(char *text, size_t cap, enum spec_version v)
{
    if (v == SPEC_QEMU || v == SPEC_1_1 || !cap)
        return;
    char out[2048];
    size_t o = 0;
    for (const char *p = text; *p && o + 1 < sizeof(out);) {
        bool mark = (unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa7; /* § */
        size_t n = 0;
        char num[32];
        while (mark && n + 1 < sizeof(num) &&
               ((p[2 + n] >= '0' && p[2 + n] <= '9') || (p[2 + n] == '.' && n)))
            num[n] = p[2 + n], n++;
        while (n && num[n - 1] == '.') /* a sentence's full stop is not part of it */
            n--;
        /* "VirtIO 1.2 §2.6.1": a number of the version it names, not 1.1's */
        bool named = mark && p - text >= 11 && !strncmp(p - 11, "VirtIO 1.", 9) &&
                     p[-2] >= '0' && p[-2] <= '9' && p[-1] == ' ';
        if (!mark || !n || named) {
            out[o++] = *p++;
            continue;
        }
        num[n] = 0;
        const char *in = spec_section_in(num, v);
        int w = snprintf(out + o, sizeof(out) - o, in ? "§%s" : "§%s (1.1)", in ? in : num);
        o += w > 0 ? (size_t)w : 0;
        if (o >= sizeof(out))
            o = sizeof(out) - 1;
        p += 2 + n;
    }
    out[o] = 0;
    snprintf(text, cap, "%s", out);
}
