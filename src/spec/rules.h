/* rules.h — the rule catalogue (spec/rules.yaml), read once and looked up by id.
 *
 * spec/rules.yaml is the single source: the build embeds it into the binary, the device model
 * reports violations by rule id, and `vqsim rules` prints it. A rule id used by a check but
 * missing from the catalogue is reported as an internal error (and fails the test suite).
 */
#ifndef RULES_H
#define RULES_H

#include <stdbool.h>
#include <stddef.h>

/* Versions are indexed by enum spec_version (spec/spec_version.h: 0 QEMU 7.2's, 1..4 VirtIO 1.1 ..
 * 1.4); spec headers include only the freestanding standard ones, hence the plain numbers here. */
#define RULE_SPEC_VERSIONS 5

struct rule {
    char *id;
    char *section;   /* VirtIO 1.1 section number, e.g. "2.6.5.2" (of `spec` when set) */
    char *spec;      /* "" for VirtIO 1.1; else the version `section` is of ("1.2") */
    char *title;     /* section title */
    char *area;
    char *role;      /* driver | device */
    char *level;     /* MUST, MUST NOT, SHOULD, informative, implied, device-limit */
    char *statement; /* in our own words */
    char *check;     /* which check enforces it ("" if not checked) */
    char *qemu;      /* what QEMU 7.2 does about it */
    char *reason;    /* for rules not checked: why */
    char *observable;/* yes | partly | no | n/a: can a device model see a breach (catalogue) */
    bool legacy;     /* applies to the legacy interface only */
    bool checked;
    char **proven_by; /* scenario files where the check fires */
    size_t n_proven;
    char **catalogue; /* ids of the VirtIO 1.1 normative statements this entry covers */
    size_t n_catalogue;
    /* `sections:` — its section in each version it holds in (by enum spec_version; NULL where
     * it does not hold); has_sections false for an entry without the key (tools/spec_sections.py
     * adds it), which is taken to hold everywhere under its own section */
    char *sections[RULE_SPEC_VERSIONS];
    bool has_sections;
};

/* What a finding of rule r cites when the run is judged against version v. */
struct rule_cite {
    const char *section, *title;
    const char *spec; /* "" for VirtIO 1.1, else the version the section is of */
};

struct rule_catalogue {
    struct rule *rules;
    size_t n;
};

/* Parse a catalogue from YAML text; on error returns -1 with "name:line:col: message" in err. */
int rules_parse(struct rule_catalogue *c, const char *buf, size_t len, const char *name, char *err,
                size_t errlen);
void rules_free(struct rule_catalogue *c);
const struct rule *rules_find(const struct rule_catalogue *c, const char *id);

/* Whether rule r holds in version v (SPEC_QEMU: every rule is judged, as QEMU 7.2 answers it). */
bool rule_holds_in(const struct rule *r, unsigned v);
/* Its section and title in v (SPEC_QEMU: its own, 1.1 unless `spec` says otherwise). */
struct rule_cite rule_cite(const struct rule *r, unsigned v);

/* The catalogue embedded at build time (parsed once, on first use from any thread); NULL with
 * err filled on failure. */
const struct rule_catalogue *rules_builtin(char *err, size_t errlen);

#endif /* RULES_H */
