/* Unit tests for the alert-shaping rule keys (src/rules/rule_alerting_yaml.c) and alerts (src/rules/alerts.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/util.h"
#include "kql/compile.h"
#include "rules/alerts.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rule_yaml =
    "id: 6f2d4b1e-3c8a-4e57-9a0d-0b7c5e1f2a93\n"
    "name: Ammyy Admin started\n"
    "description: Ammyy Admin ran.\n"
    "severity: Medium\n"
    "tactics: [CommandAndControl]\n"
    "relevantTechniques: [T1219]\n"
    "queryFrequency: 1h\n"
    "queryPeriod: 5d\n"
    "triggerOperator: gt\n"
    "triggerThreshold: 0\n"
    "query: |\n"
    "  datatable(DeviceName:string, Account:string, Seen:datetime, Level:string)\n"
    "  ['fin-wks-014.corp.example', 'TAILSPIN\\\\m.okafor', datetime(2026-11-28T10:00:00Z), 'High',\n"
    "   'fin-wks-014.corp.example', 'j.silva@corp.example', datetime(2026-11-27T09:00:00Z), 'bogus']\n"
    "entityMappings:\n"
    "  - entityType: Host\n"
    "    fieldMappings:\n"
    "      - identifier: FullName\n"
    "        columnName: DeviceName\n"
    "  - entityType: Account\n"
    "    fieldMappings:\n"
    "      - identifier: FullName\n"
    "        columnName: Account\n"
    "customDetails:\n"
    "  Level: Level\n"
    "alertDetailsOverride:\n"
    "  alertDisplayNameFormat: Ammyy on {{DeviceName}} ({{ Nope }})\n"
    "  alertSeverityColumnName: Level\n"
    "eventGroupingSettings:\n"
    "  aggregationKind: SingleAlert\n"
    "suppressionEnabled: true\n"
    "suppressionDuration: 5h\n";

typedef struct fixture {
    kq_rule_set set;
    kq_diags diags;
    kq_rule *rule;
    kq_query *query;
    kq_result *result;
    kq_schedule schedule;
    kq_alert_list alerts;
} fixture;

static int64_t at(const char *text)
{
    int64_t ticks = 0;
    assert_true(kq_datetime_parse(text, strlen(text), &ticks));
    return ticks;
}

static void load(fixture *f, const char *text)
{
    memset(f, 0, sizeof *f);
    kq_rule_set_init(&f->set);
    kq_diags_init(&f->diags);
    assert_int_equal(kq_rules_load_buffer("rule.yaml", text, strlen(text), &f->set, &f->diags), 1);
    f->rule = f->set.rules[0];
}

static void run(fixture *f, const char *now)
{
    f->query = kq_compile(&f->rule->query_source, NULL, &f->diags);
    assert_non_null(f->query);
    char *error = NULL;
    f->result = kq_execute(f->query, NULL, at(now), &error);
    assert_non_null(f->result);
    assert_true(kq_schedule_from_rule(f->rule, &f->schedule, &error));
    kq_alert_run alert_run = {.rule = f->rule, .schedule = &f->schedule, .run_time = at(now),
                              .window_start = at(now) - f->schedule.period};
    kq_alerts_build(&alert_run, f->result, &f->alerts);
}

static void release(fixture *f)
{
    kq_alert_list_free(&f->alerts);
    kq_result_free(f->result);
    kq_query_free(f->query);
    kq_rule_set_free(&f->set);
    kq_diags_free(&f->diags);
}

static json_t *parse(const char *text)
{
    json_error_t error;
    json_t *value = json_loads(text, 0, &error);
    assert_non_null(value);
    return value;
}

/* Returns a copy of text with its first `from` replaced by `to`. */
static char *replaced(const char *text, const char *from, const char *to)
{
    const char *found = strstr(text, from);
    assert_non_null(found);
    kq_buf out;
    kq_buf_init(&out);
    kq_buf_append(&out, text, (size_t)(found - text));
    kq_buf_puts(&out, to);
    kq_buf_puts(&out, found + strlen(from));
    return kq_buf_detach(&out);
}

static void alert_keys_load(void **unused)
{
    fixture f;
    load(&f, rule_yaml);
    assert_int_equal(f.diags.count, 0);
    assert_int_equal(f.rule->nentity_mappings, 2);
    assert_string_equal(f.rule->entity_mappings[1].entity_type, "Account");
    assert_string_equal(f.rule->entity_mappings[1].fields[0].column, "Account");
    assert_int_equal(f.rule->ncustom_details, 1);
    assert_string_equal(f.rule->custom_details[0].key, "Level");
    assert_string_equal(f.rule->alert_severity_column, "Level");
    assert_null(f.rule->alert_description_format);
    assert_int_equal(f.rule->grouping, KQ_RULE_GROUPING_SINGLE_ALERT);
    assert_true(f.rule->suppression_enabled);
    assert_string_equal(f.rule->suppression_duration, "5h");
    release(&f);
}

static void alert_keys_warnings(void **unused)
{
    fixture f;
    load(&f, "id: x\nname: y\nquery: print 1\nentityMappings: Host\ncustomDetails: [a]\n"
             "eventGroupingSettings:\n  aggregationKind: PerDevice\nsuppressionEnabled: maybe\n"
             "alertDetailsOverride:\n  alertDynamicProperties: []\n");
    assert_int_equal(f.diags.errors, 0);
    assert_int_equal(f.diags.count, 5);
    assert_non_null(strstr(f.diags.items[0].message, "'entityMappings' must be a list"));
    assert_int_equal(f.diags.items[0].line, 4);
    assert_non_null(strstr(f.diags.items[1].message, "'customDetails' must be a mapping"));
    assert_non_null(strstr(f.diags.items[2].message, "SingleAlert or AlertPerResult"));
    assert_non_null(strstr(f.diags.items[3].message, "'suppressionEnabled' must be true or false"));
    assert_non_null(strstr(f.diags.items[4].message, "'alertDynamicProperties' is not supported"));
    assert_int_equal(f.rule->nentity_mappings, 0);
    assert_int_equal(f.rule->grouping, KQ_RULE_GROUPING_SINGLE_ALERT);
    release(&f);
}

static void single_alert_shape(void **unused)
{
    fixture f;
    load(&f, rule_yaml);
    run(&f, "2026-12-01T00:00:00Z");
    assert_int_equal(f.alerts.count, 1);
    json_t *alert = parse(f.alerts.items[0].json);
    assert_string_equal(json_string_value(json_object_get(alert, "AlertName")),
                        "Ammyy on fin-wks-014.corp.example ({{ Nope }})");
    assert_string_equal(json_string_value(json_object_get(alert, "AlertSeverity")), "High");
    assert_string_equal(json_string_value(json_object_get(alert, "Tactics")), "CommandAndControl");
    assert_string_equal(json_string_value(json_object_get(alert, "StartTime")), "2026-11-27T09:00:00.0000000Z");
    assert_string_equal(json_string_value(json_object_get(alert, "EndTime")), "2026-11-28T10:00:00.0000000Z");
    assert_string_equal(json_string_value(json_object_get(alert, "SystemAlertId")), f.alerts.items[0].id);
    assert_int_equal(json_array_size(json_object_get(alert, "Rows")), 2);
    /* The host appears in both rows but is one entity; the accounts are two. */
    json_t *entities = json_object_get(alert, "Entities");
    assert_int_equal(json_array_size(entities), 3);
    json_t *host = json_array_get(entities, 0);
    assert_string_equal(json_string_value(json_object_get(host, "$id")), "2");
    assert_string_equal(json_string_value(json_object_get(host, "HostName")), "fin-wks-014");
    assert_string_equal(json_string_value(json_object_get(host, "DnsDomain")), "corp.example");
    json_t *domain_account = json_array_get(entities, 1);
    assert_string_equal(json_string_value(json_object_get(domain_account, "NTDomain")), "TAILSPIN");
    assert_string_equal(json_string_value(json_object_get(domain_account, "Name")), "m.okafor");
    json_t *upn_account = json_array_get(entities, 2);
    assert_string_equal(json_string_value(json_object_get(upn_account, "UPNSuffix")), "corp.example");
    json_t *properties = json_object_get(alert, "ExtendedProperties");
    assert_string_equal(json_string_value(json_object_get(properties, "Query Period")), "5.00:00:00");
    assert_string_equal(json_string_value(json_object_get(properties, "Query Start Time UTC")),
                        "2026-11-26T00:00:00.0000000Z");
    assert_string_equal(json_string_value(json_object_get(properties, "Trigger Operator")), "GreaterThan");
    assert_string_equal(json_string_value(json_object_get(properties, "Search Query Results Overall Count")), "2");
    json_t *levels = json_object_get(json_object_get(properties, "Custom Details"), "Level");
    assert_int_equal(json_array_size(levels), 2);
    json_decref(alert);
    release(&f);
}

static void alert_per_result_ids(void **unused)
{
    char *text = replaced(rule_yaml, "SingleAlert", "AlertPerResult");
    fixture first, second, later;
    load(&first, text);
    assert_int_equal(first.rule->grouping, KQ_RULE_GROUPING_ALERT_PER_RESULT);
    run(&first, "2026-12-01T00:00:00Z");
    load(&second, text);
    run(&second, "2026-12-01T00:00:00Z");
    load(&later, text);
    run(&later, "2026-12-01T01:00:00Z");
    assert_int_equal(first.alerts.count, 2);
    assert_string_not_equal(first.alerts.items[0].id, first.alerts.items[1].id);
    /* The same run over the same rows gives the same ids; a later run gives new ones. */
    assert_string_equal(first.alerts.items[0].id, second.alerts.items[0].id);
    assert_string_equal(first.alerts.items[1].id, second.alerts.items[1].id);
    assert_string_not_equal(first.alerts.items[0].id, later.alerts.items[0].id);
    json_t *alert = parse(first.alerts.items[1].json);
    /* "bogus" is not a severity, so the rule's own severity stays. */
    assert_string_equal(json_string_value(json_object_get(alert, "AlertSeverity")), "Medium");
    assert_int_equal(json_array_size(json_object_get(alert, "Rows")), 1);
    json_decref(alert);
    release(&first);
    release(&second);
    release(&later);
    free(text);
}

static void trigger_threshold(void **unused)
{
    char *text = replaced(rule_yaml, "triggerThreshold: 0", "triggerThreshold: 2");
    fixture f;
    load(&f, text);
    run(&f, "2026-12-01T00:00:00Z");
    assert_int_equal(f.alerts.count, 0); /* 2 rows is not greater than 2 */
    release(&f);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alert_keys_load),
        cmocka_unit_test(alert_keys_warnings),
        cmocka_unit_test(single_alert_shape),
        cmocka_unit_test(alert_per_result_ids),
        cmocka_unit_test(trigger_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
