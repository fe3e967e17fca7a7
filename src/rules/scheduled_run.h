/*
 * One scheduled run of a rule: the rule's tables cut to the run's window,
 * exclusions applied, the trigger tested and the alerts built. Shared by
 * `hunt --format alerts` and `watch`.
 */
#ifndef KQ_RULES_SCHEDULED_RUN_H
#define KQ_RULES_SCHEDULED_RUN_H

#include "rules/alerts.h"
#include "rules/exclusion_run.h"
#include "rules/schedule.h"
#include "rules/schedule_state.h"

typedef struct kq_scheduled_rule {
    const kq_rule *rule;
    const kq_query *query;              /* compiled against the data's tables */
    kq_schedule schedule;
    const kq_exclusion *const *entries; /* the unexpired exclusions matching the rule */
    size_t nentries;
    uint64_t *suppressed;               /* per entry: rows suppressed, summed over runs */
} kq_scheduled_rule;

typedef enum kq_run_decision {
    KQ_RUN_DUE,
    KQ_RUN_ALREADY_DONE,        /* the state records a run at or after this instant */
    KQ_RUN_SUPPRESSED,          /* within suppressionDuration of the rule's last alert */
} kq_run_decision;

/* Decides whether a run at instant t is made, given the rule's state (NULL: no state kept). */
kq_run_decision kq_scheduled_decide(const kq_schedule *schedule, const kq_rule_state *state, int64_t t);

/*
 * Runs the rule once at instant t over catalog and appends its alerts.
 * stats receives the window's row counts. Returns false after adding an error
 * to diags.
 */
bool kq_scheduled_run(kq_scheduled_rule *scheduled, const kq_catalog *catalog, int64_t t, kq_alert_list *alerts,
                      kq_window_stats *stats, kq_diags *diags);

/* Key of the rule in the state: its id, or its file when it has none. */
const char *kq_scheduled_rule_key(const kq_rule *rule);

#endif
