/*
 * Alerts of a scheduled rule run, shaped like the rows of Microsoft
 * Sentinel's SecurityAlert table.
 *
 * A run raises alerts only when its result row count passes the rule's
 * trigger. With eventGroupingSettings AlertPerResult each result row becomes
 * one alert; otherwise (SingleAlert, Sentinel's default) the run makes one
 * alert that carries every row.
 *
 * Each alert's SystemAlertId is derived from the rule id, the run instant and,
 * for per-result alerts, the row's content, so the same run over the same data
 * yields the same ids: that identity is what lets `watch` and `hunt --state`
 * emit each alert once.
 */
#ifndef KQ_RULES_ALERTS_H
#define KQ_RULES_ALERTS_H

#include "base/buf.h"
#include "exec/exec.h"
#include "rules/rule.h"
#include "rules/schedule.h"

typedef struct kq_alert_run {
    const kq_rule *rule;
    const kq_schedule *schedule;
    int64_t run_time;           /* the run's now() */
    int64_t window_start;       /* exclusive start of the rows it saw; INT64_MIN when queryPeriod is absent */
} kq_alert_run;

typedef struct kq_alert {
    char id[37];                /* SystemAlertId: a UUID-formatted hash */
    char *json;                 /* one JSON object, no line break */
} kq_alert;

typedef struct kq_alert_list {
    kq_alert *items;
    size_t count, cap;
} kq_alert_list;

/* Appends the alerts of one run to list (none when the trigger does not fire). */
void kq_alerts_build(const kq_alert_run *run, const kq_result *result, kq_alert_list *list);
void kq_alert_list_free(kq_alert_list *list);

#endif
