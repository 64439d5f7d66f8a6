/* results_text.c — see results_text.h. */
#include "harness/results_text.h"

#include <string.h>

#include "util/text_wrap.h"

/* Every cause, first cause first: a paragraph a person can act on, then the evidence. */
static void print_diagnosis(FILE *f, const struct results *res)
{
    for (uint32_t i = 0; i < res->n_causes; i++) {
        const struct result_cause *c = &res->causes[i];
        char lead[160];
        if (res->n_causes > 1)
            snprintf(lead, sizeof(lead), "    diagnosis %u/%u %s (§%s %s):", i + 1, res->n_causes,
                     c->id, c->section, c->title);
        else
            snprintf(lead, sizeof(lead), "    diagnosis %s (§%s %s):", c->id, c->section, c->title);
        fputs(lead, f);
        text_wrap(f, c->message, 100, (int)strlen(lead), 6, true);
        for (int k = 0; k < c->n_evidence; k++)
            fprintf(f, "      %s = %s\n", c->evidence[k].key, c->evidence[k].value);
    }
}

/* " LABEL=id,id" of the distinct rules of these findings, in order of first report. */
static void print_rule_ids(FILE *f, const char *label, const struct result_finding *v,
                           uint32_t n)
{
    for (uint32_t i = 0, shown = 0; i < n; i++) {
        bool dup = false;
        for (uint32_t j = 0; j < i; j++)
            dup |= !strcmp(v[j].rule, v[i].rule);
        if (!dup && shown++)
            fprintf(f, ",%s", v[i].rule);
        else if (!dup)
            fprintf(f, " %s=%s", label, v[i].rule);
    }
}

/* The details of a failed (or verbose) run: informational findings, failures, violations, the
 * diagnosis, what was not judged, why each dark display is dark. */
static void print_details(FILE *f, const struct results *res)
{
    for (uint32_t i = 0; i < res->n_informational; i++) {
        const struct result_finding *v = &res->informational[i];
        char lead[200];
        snprintf(lead, sizeof(lead), "    info %s (§%s %s):", v->rule, v->section, v->title);
        fputs(lead, f);
        text_wrap(f, v->message, 100, (int)strlen(lead), 6, true);
    }
    for (uint32_t i = 0; i < res->n_failures; i++)
        fprintf(f, "    - %s\n", res->failures[i]);
    for (uint32_t i = 0; i < res->n_violations; i++) {
        const struct result_finding *v = &res->violations[i];
        fprintf(f, "    violation %s (%s%s%s§%s %s, %s) at %llu ns: %s\n", v->rule,
                v->spec[0] ? "VirtIO " : "", v->spec, v->spec[0] ? " " : "", v->section, v->title,
                v->level, (unsigned long long)v->time_ns, v->message);
    }
    print_diagnosis(f, res);
    for (uint32_t i = 0; i < res->n_not_judged; i++) {
        const struct result_not_judged *n = &res->not_judged[i];
        fprintf(f, "    not judged%s (plain ring access): %s: %s\n", n->partly ? " in part" : "",
                n->rule, n->why);
    }
    for (uint32_t i = 0; i < res->n_not_in_spec; i++)
        fprintf(f, "    not judged (not a rule of VirtIO %s): %s\n", res->spec_version,
                res->not_in_spec[i]);
    /* "Init succeeded but the screen is black": say which display and why (gpu_display.c). */
    for (uint32_t i = 0; i < res->n_displays; i++) {
        if (!res->displays[i].dark)
            continue;
        char lead[48];
        snprintf(lead, sizeof(lead), "    display %u dark:", i);
        fputs(lead, f);
        text_wrap(f, res->displays[i].dark_reason, 100, (int)strlen(lead), 6, true);
    }
}

void results_print(FILE *f, const struct scenario *s, const struct results *res, bool verbose)
{
    fprintf(f, "%s %-40s %-12s", res->passed ? "PASS" : "FAIL", s->name, res->outcome);
    if (s->spec) /* judged against a VirtIO version rather than QEMU 7.2's default */
        fprintf(f, " spec=%s", res->spec_version);
    if (res->n_causes)
        fprintf(f, " cause=%s", res->causes[0].id);
    print_rule_ids(f, "violations", res->violations, res->n_violations);
    /* informational findings: named on the line whatever the verdict (a pass may still need a
     * word: the driver refused the device), said in full with -v */
    print_rule_ids(f, "info", res->informational, res->n_informational);
    if (res->displays[0].active)
        fprintf(f, " display=%.12s", res->displays[0].sha256);
    fputc('\n', f);
    if (!res->passed || verbose)
        print_details(f, res);
}
