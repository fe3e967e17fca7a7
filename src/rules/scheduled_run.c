/* One scheduled run of a rule (see scheduled_run.h). */
#include "rules/scheduled_run.h"

#include <stdlib.h>

kq_run_decision kq_scheduled_decide(const kq_schedule *schedule, const kq_rule_state *state, int64_t t)
{
    if (!state)
        return KQ_RUN_DUE;
    if (state->has_run && t <= state->last_run)
        return KQ_RUN_ALREADY_DONE;
    if (schedule->suppression && state->has_alert && t < state->last_alert + schedule->suppression)
        return KQ_RUN_SUPPRESSED;
    return KQ_RUN_DUE;
}

const char *kq_scheduled_rule_key(const kq_rule *rule)
{
    return rule->id ? rule->id : rule->file;
}

bool kq_scheduled_run(kq_scheduled_rule *scheduled, const kq_catalog *catalog, int64_t t, kq_alert_list *alerts,
                      kq_window_stats *stats, kq_diags *diags)
{
    const kq_rule *rule = scheduled->rule;
    int64_t start = scheduled->schedule.period ? t - scheduled->schedule.period : INT64_MIN;
    /* The window below copies rows out of the tables, so batches still on disk are read first. */
    char error[1024];
    if (!kq_catalog_load_tables(catalog, (const char *const *)scheduled->query->tables, scheduled->query->ntables,
                                error, sizeof error)) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, rule->file, 0, 0, NULL, "rule '%s' failed: %s",
                        rule->name ? rule->name : rule->file, error);
        return false;
    }
    kq_catalog *window = kq_window_catalog(catalog, scheduled->query->tables, scheduled->query->ntables, start, t,
                                           stats);
    kq_rule_run run;
    bool ok = kq_rule_run_with_exclusions(scheduled->query, window, t, scheduled->entries, scheduled->nentries,
                                          rule->name ? rule->name : rule->file, rule->file, false, &run,
                                          diags);
    if (ok) {
        for (size_t e = 0; e < scheduled->nentries; e++)
            scheduled->suppressed[e] += run.suppressed[e];
        kq_alert_run alert_run = {.rule = rule, .schedule = &scheduled->schedule, .run_time = t,
                                  .window_start = start};
        kq_alerts_build(&alert_run, run.result, alerts);
        kq_rule_run_free(&run);
    }
    kq_catalog_free(window);
    return ok;
}
