/*
 * Running one rule with exclusions applied: source-scope entries filter the
 * rows of the tables the rule reads before it runs, and result-scope entries
 * filter its result rows after. Each suppressed row is counted against the
 * first applicable entry, in file order, whose predicate is true for it.
 *
 * A source-scope entry counts the rows it removed that the rule's row-level
 * steps would have kept: the rows that reach the rule's first summarize,
 * sort, take or count. Those are the rows --show-suppressed lists.
 */
#ifndef KQ_RULES_EXCLUSION_RUN_H
#define KQ_RULES_EXCLUSION_RUN_H

#include "base/diag.h"
#include "exec/exec.h"
#include "rules/exclusions.h"

typedef struct kq_rule_run {
    kq_result *result;          /* rows kept */
    size_t nentries;
    uint64_t *suppressed;       /* per entry: rows suppressed */
    kq_result **suppressed_rows;/* per entry: the rows themselves when kept, else NULL */
} kq_rule_run;

/*
 * Runs query over catalog at now with the given entries (all already known to
 * match the rule and be unexpired). rule_label and rule_file name the rule in messages.
 * keep_suppressed asks for the suppressed rows. Returns false after adding an
 * error to diags (an entry that does not compile over the rows it tests, a
 * run-time error); out is then empty.
 */
bool kq_rule_run_with_exclusions(const kq_query *query, const kq_catalog *catalog, int64_t now,
                                 const kq_exclusion *const *entries, size_t nentries, const char *rule_label,
                                 const char *rule_file, bool keep_suppressed, kq_rule_run *out, kq_diags *diags);
void kq_rule_run_free(kq_rule_run *run);

/* Returns a result holding the rows of result whose keep[r] is nonzero (rows counted over all batches). */
kq_result *kq_result_select_rows(const kq_result *result, const uint8_t *keep);

#endif
