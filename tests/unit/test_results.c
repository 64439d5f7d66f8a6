/* test_results.c — the results model (harness/results.h) holds what a run says on its own.
 *
 * Two runs whose results have every part a report shows (a violation and a lit display; a
 * timeout with two diagnosis causes, their evidence and a violation): the results say it by
 * content (outcome, rule ids, causes, evidence, display, queues, trace), and the JSON and text
 * written from them are byte for byte the same before and after the machine is destroyed and
 * its memory scribbled over — the writers read the results, never the machine (under ASan a read
 * of the freed machine would also stop the test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/results.h"
#include "harness/results_json.h"
#include "harness/results_text.h"
#include "harness/runner.h"
#include "harness/scenario.h"

static const char drop_wmb[] =
    "name: results-drop-wmb\n"
    "device: {transport: modern, display: {width: 64, height: 48}}\n"
    "driver: {timeout_ms: 200}\n"
    "bugs: [drop-barrier: {kind: wmb, nth: 1}]\n"
    "steps:\n"
    "  - get_display_info\n"
    "  - resource_create_2d: {id: 1}\n"
    "  - attach_backing: {id: 1}\n"
    "  - set_scanout: {scanout: 0, id: 1}\n"
    "  - draw: {id: 1, pattern: bars}\n"
    "  - transfer_to_host_2d: {id: 1}\n"
    "  - resource_flush: {id: 1}\n"
    "expect: {outcome: violation, violations: [split.avail.idx-barrier]}\n";

static const char two_causes[] =
    "name: results-two-causes\n"
    "device: {transport: modern, display: {width: 64, height: 48}}\n"
    "driver: {timeout_ms: 200}\n"
    "bugs:\n"
    "  - drop-mmio-write: {reg: QueueReady}\n"
    "  - drop-mmio-write: {reg: QueueNotify, nth: 0}\n"
    "steps: [get_display_info]\n"
    "expect: {outcome: timeout, violations: [init.step7-device-setup], cause: queue-not-ready}\n";

static void parse(const char *text, struct scenario *sc)
{
    char err[512] = "";
    memset(sc, 0, sizeof(*sc));
    if (scenario_parse_buffer("test_results", text, strlen(text), sc, err, sizeof(err)) != 0)
        fail_msg("scenario does not parse: %s", err);
}

/* The results as JSON (one scenario's object) and as the verbose text, into *json and *text. */
static void write_both(const struct scenario *sc, const struct results *res, char **json,
                       char **text)
{
    size_t jn = 0, tn = 0;
    FILE *jf = open_memstream(json, &jn), *tf = open_memstream(text, &tn);
    assert_non_null(jf);
    assert_non_null(tf);
    struct jw w;
    jw_init(&w, jf);
    results_json_begin(&w);
    results_json_scenario(&w, sc, res);
    results_json_end(&w, 1, res->passed);
    results_print(tf, sc, res, true);
    fclose(jf);
    fclose(tf);
}

/* Run sc, write its results, destroy and scribble over the machine, write them again. */
static struct run_result *run_and_compare(const struct scenario *sc)
{
    struct run_result *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    assert_int_equal(run_scenario(sc, NULL, r), 0);
    char *json1, *text1, *json2, *text2;
    write_both(sc, &r->res, &json1, &text1);
    machine_destroy(&r->m);
    memset(&r->m, 0xa5, sizeof(r->m));
    r->machine_ok = false;
    write_both(sc, &r->res, &json2, &text2);
    assert_string_equal(json1, json2);
    assert_string_equal(text1, text2);
    assert_non_null(strstr(json1, "\"kind\": \"mmio-write\"")); /* the trace, in the JSON */
    free(json1);
    free(text1);
    free(json2);
    free(text2);
    return r;
}

static void test_violation_and_display(void **state)
{
    (void)state;
    static struct scenario sc;
    parse(drop_wmb, &sc);
    struct run_result *r = run_and_compare(&sc);
    const struct results *res = &r->res;
    assert_true(res->passed);
    assert_string_equal(res->outcome, "violation");
    assert_int_equal(res->n_violations, 1);
    assert_string_equal(res->violations[0].rule, "split.avail.idx-barrier");
    assert_string_equal(res->violations[0].section, "2.6.13.3.1"); /* from the catalogue */
    assert_non_null(strstr(res->violations[0].message, "pairing A"));
    assert_int_equal(res->n_causes, 0);
    assert_int_equal(res->n_displays, 1);
    assert_true(res->displays[0].active);
    assert_string_equal(res->displays[0].state, "active");
    assert_int_equal(res->displays[0].width, 64);
    assert_int_equal(res->displays[0].height, 48);
    assert_int_equal(strlen(res->displays[0].sha256), 64);
    assert_false(res->displays[0].dark);
    /* the control queue, both sides: where the driver put it is where the device looks */
    assert_int_equal(res->n_queues, 1);
    assert_string_equal(res->queues[0].source, "driver");
    assert_int_equal(res->queues[0].desc, res->queues[0].dev_desc);
    assert_int_equal(res->queues[0].used, res->queues[0].dev_used);
    assert_int_equal(res->queues[0].used_idx, 6); /* display info, create … flush */
    assert_true(res->n_trace > 0);
    bool ring_named = false, rule_seen = false;
    for (size_t i = 0; i < res->n_trace; i++) {
        const struct result_event *e = &res->trace[i];
        ring_named |= e->kind == RE_RING_STORE && e->what && !strcmp(e->what, "avail.idx");
        rule_seen |= e->kind == RE_VIOLATION && !strcmp(e->what, "split.avail.idx-barrier");
    }
    assert_true(ring_named);
    assert_true(rule_seen);
    run_result_free(r);
    free(r);
    scenario_free(&sc);
}

static void test_timeout_diagnosed(void **state)
{
    (void)state;
    static struct scenario sc;
    parse(two_causes, &sc);
    struct run_result *r = run_and_compare(&sc);
    const struct results *res = &r->res;
    assert_true(res->passed);
    assert_string_equal(res->outcome, "timeout");
    assert_int_equal(res->n_violations, 1);
    assert_string_equal(res->violations[0].rule, "init.step7-device-setup");
    assert_int_equal(res->n_causes, 2);
    assert_string_equal(res->causes[0].id, "queue-not-ready");
    assert_string_equal(res->causes[1].id, "no-notify");
    assert_string_equal(results_evidence(res, "QueueReady"), "0");
    assert_string_equal(results_evidence(res, "notify_writes_lost"), "1");
    assert_null(results_evidence(res, "no-such-key"));
    assert_int_equal(res->steps[1].status, ST_TIMEOUT);
    assert_false(res->displays[0].active);
    run_result_free(r);
    free(r);
    scenario_free(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_violation_and_display),
        cmocka_unit_test(test_timeout_diagnosed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
