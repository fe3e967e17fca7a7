/* Unit tests for scheduled-rule semantics (src/rules/schedule.c, schedule_state.c, scheduled_run.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/util.h"
#include "rules/scheduled_run.h"
#include "sources/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int64_t at(const char *text)
{
    int64_t ticks = 0;
    assert_true(kq_datetime_parse(text, strlen(text), &ticks));
    return ticks;
}

static void duration_forms(void **unused)
{
    int64_t ticks;
    assert_true(kq_duration_parse("5m", &ticks));
    assert_int_equal(ticks, 5 * KQ_TICKS_PER_MINUTE);
    assert_true(kq_duration_parse("1h", &ticks));
    assert_int_equal(ticks, KQ_TICKS_PER_HOUR);
    assert_true(kq_duration_parse("14d", &ticks));
    assert_int_equal(ticks, 14 * KQ_TICKS_PER_DAY);
    assert_true(kq_duration_parse("PT5H", &ticks));
    assert_int_equal(ticks, 5 * KQ_TICKS_PER_HOUR);
    assert_true(kq_duration_parse("P1DT12H", &ticks));
    assert_int_equal(ticks, 36 * KQ_TICKS_PER_HOUR);
}

static void duration_rejects(void **unused)
{
    const char *bad[] = {"", "h", "0h", "-1h", "5x", "5hh", "1.5h", "P", "PT", "P1H", "PT1D", "P1M", "999999d"};
    int64_t ticks;
    for (size_t i = 0; i < KQ_ARRAY_LEN(bad); i++)
        assert_false(kq_duration_parse(bad[i], &ticks));
}

static void trigger_operators(void **unused)
{
    kq_trigger_op op;
    assert_true(kq_trigger_parse("gt", &op));
    assert_int_equal(op, KQ_TRIGGER_GT);
    assert_true(kq_trigger_parse("GreaterThan", &op));
    assert_int_equal(op, KQ_TRIGGER_GT);
    assert_true(kq_trigger_parse("NotEqual", &op));
    assert_int_equal(op, KQ_TRIGGER_NE);
    assert_false(kq_trigger_parse("ge", &op));
    assert_false(kq_trigger_fires(KQ_TRIGGER_GT, 0, 0));
    assert_true(kq_trigger_fires(KQ_TRIGGER_GT, 0, 1));
    assert_true(kq_trigger_fires(KQ_TRIGGER_LT, 1, 0));
    assert_false(kq_trigger_fires(KQ_TRIGGER_LT, 1, 1));
    assert_true(kq_trigger_fires(KQ_TRIGGER_EQ, 3, 3));
    assert_true(kq_trigger_fires(KQ_TRIGGER_NE, 3, 2));
}

static void schedule_defaults_and_errors(void **unused)
{
    kq_rule rule = {0};
    kq_schedule schedule;
    char *error = NULL;
    assert_true(kq_schedule_from_rule(&rule, &schedule, &error));
    assert_int_equal(schedule.frequency, 5 * KQ_TICKS_PER_HOUR);
    assert_int_equal(schedule.period, 0);
    assert_int_equal(schedule.trigger_op, KQ_TRIGGER_GT);
    rule.query_period = "5 days";
    assert_false(kq_schedule_from_rule(&rule, &schedule, &error));
    assert_string_equal(error, "'queryPeriod' is '5 days'; expected a duration such as 30m, 1h or 5d");
    free(error);
    rule.query_period = "5d";
    rule.suppression_enabled = true;
    assert_false(kq_schedule_from_rule(&rule, &schedule, &error));
    assert_non_null(strstr(error, "'suppressionDuration' is missing"));
    free(error);
}

static void run_grid(void **unused)
{
    kq_schedule schedule = {.frequency = KQ_TICKS_PER_HOUR};
    assert_int_equal(kq_schedule_run_at_or_before(&schedule, at("2026-11-23T10:59:59.9999999Z")),
                     at("2026-11-23T10:00:00Z"));
    assert_int_equal(kq_schedule_run_at_or_before(&schedule, at("2026-11-23T11:00:00Z")), at("2026-11-23T11:00:00Z"));
    assert_int_equal(kq_schedule_run_at_or_before(&schedule, at("1969-12-31T23:30:00Z")), at("1969-12-31T23:00:00Z"));
}

static void decide_runs(void **unused)
{
    kq_schedule schedule = {.frequency = KQ_TICKS_PER_HOUR, .suppression = 5 * KQ_TICKS_PER_HOUR};
    kq_rule_state state = {.has_run = true, .last_run = at("2026-11-23T10:00:00Z"), .has_alert = true,
                           .last_alert = at("2026-11-23T10:00:00Z")};
    assert_int_equal(kq_scheduled_decide(&schedule, NULL, at("2026-11-23T10:00:00Z")), KQ_RUN_DUE);
    assert_int_equal(kq_scheduled_decide(&schedule, &state, at("2026-11-23T10:00:00Z")), KQ_RUN_ALREADY_DONE);
    assert_int_equal(kq_scheduled_decide(&schedule, &state, at("2026-11-23T14:00:00Z")), KQ_RUN_SUPPRESSED);
    assert_int_equal(kq_scheduled_decide(&schedule, &state, at("2026-11-23T15:00:00Z")), KQ_RUN_DUE);
}

static kq_catalog *load_csv(const char *text)
{
    kq_catalog *catalog = kq_catalog_new();
    kq_load_report report;
    kq_load_report_init(&report);
    assert_int_equal(kq_load_buffer(catalog, "DeviceProcessEvents.csv", text, strlen(text), NULL, &report), 0);
    kq_catalog_finish(catalog);
    kq_load_report_free(&report);
    return catalog;
}

/* The window is (start, end]: a row at the start instant is out, one at the end instant is in. */
static void window_bounds(void **unused)
{
    kq_catalog *catalog = load_csv("Timestamp,DeviceName\n"
                                   "2026-11-23T00:00:00.0000000Z,start\n"
                                   "2026-11-23T00:00:00.0000001Z,after-start\n"
                                   "2026-11-24T00:00:00.0000000Z,end\n"
                                   "2026-11-24T00:00:00.0000001Z,after-end\n"
                                   ",no-time\n");
    const char *tables[] = {"DeviceProcessEvents", "DeviceNetworkEvents", "NoSuchTable"};
    kq_window_stats stats;
    kq_catalog *window = kq_window_catalog(catalog, tables, 3, at("2026-11-23T00:00:00Z"), at("2026-11-24T00:00:00Z"),
                                           &stats);
    kq_table *table = kq_catalog_table(window, "DeviceProcessEvents", 19);
    assert_non_null(table);
    assert_int_equal(table->nrows, 2);
    assert_int_equal(stats.rows_in, 2);
    assert_int_equal(stats.rows_out, 2);
    assert_int_equal(stats.rows_without_time, 1);
    int column = kq_schema_find(&table->schema, "DeviceName", 10);
    kq_value first = kq_column_get(&table->batches[0]->cols[column], 0);
    assert_true(kq_str_eq(first.u.s, "after-start"));
    kq_table *network = kq_catalog_table(window, "DeviceNetworkEvents", 19);
    assert_non_null(network);
    assert_int_equal(network->nrows, 0);
    assert_null(kq_catalog_table(window, "NoSuchTable", 11));
    kq_catalog_free(catalog);
    kq_table *window_table = kq_catalog_table(window, "DeviceProcessEvents", 19);
    assert_int_equal(window_table->nrows, 2); /* shared batches outlive the source catalog */
    kq_catalog_free(window);
}

static void state_round_trip(void **unused)
{
    char folder[] = "/tmp/kqlite-state-XXXXXX";
    assert_non_null(mkdtemp(folder));
    kq_schedule_state state;
    char *error = NULL;
    assert_true(kq_schedule_state_open(folder, &state, &error));
    kq_rule_state *rule = kq_schedule_state_rule(&state, "rule-1");
    rule->has_run = true;
    rule->last_run = at("2026-11-23T10:00:00Z");
    state.output_path = kq_xstrdup("/tmp/alerts.jsonl");
    state.output_bytes = 1234;
    assert_true(kq_schedule_state_save(&state, &error));

    kq_schedule_state second;
    assert_false(kq_schedule_state_open(folder, &second, &error));
    assert_non_null(strstr(error, "in use by another kqlite process"));
    free(error);
    kq_schedule_state_close(&second);
    kq_schedule_state_close(&state);

    assert_true(kq_schedule_state_open(folder, &state, &error));
    rule = kq_schedule_state_rule(&state, "rule-1");
    assert_true(rule->has_run);
    assert_int_equal(rule->last_run, at("2026-11-23T10:00:00Z"));
    assert_false(rule->has_alert);
    assert_string_equal(state.output_path, "/tmp/alerts.jsonl");
    assert_int_equal(state.output_bytes, 1234);
    kq_schedule_state_close(&state);

    char path[128];
    snprintf(path, sizeof path, "%s/state.json", folder);
    FILE *file = fopen(path, "w");
    fputs("{\"version\": 2, \"rules\": {}}", file);
    fclose(file);
    assert_false(kq_schedule_state_open(folder, &state, &error));
    assert_non_null(strstr(error, "unknown state version"));
    free(error);
    kq_schedule_state_close(&state);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock", folder);
    unlink(path);
    rmdir(folder);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(duration_forms),
        cmocka_unit_test(duration_rejects),
        cmocka_unit_test(trigger_operators),
        cmocka_unit_test(schedule_defaults_and_errors),
        cmocka_unit_test(run_grid),
        cmocka_unit_test(decide_runs),
        cmocka_unit_test(window_bounds),
        cmocka_unit_test(state_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
