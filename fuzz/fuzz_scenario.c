/* fuzz_scenario.c — libFuzzer target: the scenario parser (src/harness/scenario*.c on top of
 * src/util/yaml_tree.c and libyaml) on arbitrary bytes.
 *
 * Oracle: every input either parses into a scenario that satisfies the invariants the runner
 * relies on, or is refused with a message of the form "NAME:line:col: …" (what `vqsim run`
 * prints before exiting 2). A crash, a leak, UB, an empty message or a message without the
 * position are all findings: the harness aborts on the last two.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/harness/scenario.h"

#define NAME "fuzz.yaml"

static void fail(const char *why, const char *err)
{
    fprintf(stderr, "fuzz_scenario: %s (message: '%s')\n", why, err);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scenario s;
    char err[1024];
    err[0] = 0;
    int rc = scenario_parse_buffer(NAME, (const char *)data, size, &s, err, sizeof(err));
    if (rc != 0) {
        if (rc != -1)
            fail("scenario_parse_buffer returned neither 0 nor -1", err);
        /* "fuzz.yaml:LINE:COL: message" (or "fuzz.yaml: …" for whole-file problems). */
        if (strncmp(err, NAME ":", sizeof(NAME)) != 0 || strlen(err) <= sizeof(NAME) + 1)
            fail("error message does not name the file or says nothing", err);
        int line = 0, col = 0, used = 0;
        if (err[sizeof(NAME)] != ' ' &&
            (sscanf(err + sizeof(NAME), "%d:%d: %n", &line, &col, &used) != 2 || used == 0 ||
             line < 1 || col < 1 || !err[sizeof(NAME) + (size_t)used]))
            fail("error message has no valid line:col position or no text", err);
    } else {
        /* What the runner takes for granted about a scenario that loaded. */
        if (!s.name || !s.name[0] || s.n_steps == 0 || s.n_steps > SCENARIO_MAX_STEPS ||
            !s.expect_outcome || !outcome_valid(s.expect_outcome) ||
            (s.transport_version != 1 && s.transport_version != 2) || s.queue_size == 0 ||
            s.n_expect_violations > SCENARIO_MAX_EXPECT_VIOLATIONS || s.faults.n > FAULT_MAX)
            fail("a scenario was accepted that breaks the runner's assumptions", "");
        for (uint32_t i = 0; i < s.n_steps; i++) /* every kind of the enum: STEP_KIND_COUNT */
            if ((unsigned)s.steps[i].kind >= STEP_KIND_COUNT || !step_name(s.steps[i].kind))
                fail("a step of unknown kind was accepted", "");
    }
    scenario_free(&s);
    return 0;
}
