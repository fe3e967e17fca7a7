/*
 * Scheduled-rule semantics, as Microsoft Sentinel runs an analytics rule:
 * a run at instant T (queryFrequency apart from the previous one) sees the
 * rows whose Timestamp (or TimeGenerated) lies in the window (T - queryPeriod, T],
 * and it raises alerts when its result row count passes the trigger
 * (triggerOperator, triggerThreshold).
 *
 * The window is half-open so that back-to-back runs with queryPeriod equal to
 * queryFrequency see every row exactly once. Rows with a null timestamp fall
 * in no window and are counted in kq_window_stats.
 */
#ifndef KQ_RULES_SCHEDULE_H
#define KQ_RULES_SCHEDULE_H

#include "rules/rule.h"
#include "table/catalog.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum kq_trigger_op { KQ_TRIGGER_GT, KQ_TRIGGER_LT, KQ_TRIGGER_EQ, KQ_TRIGGER_NE } kq_trigger_op;

/* A rule's schedule in ticks, with Sentinel's defaults filled in. */
typedef struct kq_schedule {
    int64_t frequency;          /* queryFrequency; 5h (the Sentinel wizard's default) when absent */
    int64_t period;             /* queryPeriod; 0 when absent: the run sees every row up to T */
    kq_trigger_op trigger_op;   /* gt when absent */
    long long trigger_threshold;/* 0 when absent */
    int64_t suppression;        /* suppressionDuration when suppressionEnabled, else 0 */
} kq_schedule;

/*
 * Parses a duration as Sentinel rule files write it: a count and a unit
 * ("30m", "1h", "5d", also "s") or an ISO 8601 duration ("PT1H", "P1D",
 * "P1DT12H"). Returns false for anything else, zero or negative included.
 */
bool kq_duration_parse(const char *text, int64_t *ticks);

/* Parses gt/lt/eq/ne and Sentinel's ARM names (GreaterThan, LessThan, Equal, NotEqual). */
bool kq_trigger_parse(const char *text, kq_trigger_op *op);
const char *kq_trigger_arm_name(kq_trigger_op op);
/* True when a run that returned `rows` rows raises alerts. */
bool kq_trigger_fires(kq_trigger_op op, long long threshold, uint64_t rows);

/*
 * Fills schedule from the rule's keys. Returns false with *error (malloc'd)
 * naming the key and its value when a present key is invalid.
 */
bool kq_schedule_from_rule(const kq_rule *rule, kq_schedule *schedule, char **error);

/* Latest run instant of the frequency grid (multiples of frequency since 1970-01-01) at or before t. */
int64_t kq_schedule_run_at_or_before(const kq_schedule *schedule, int64_t t);

typedef struct kq_window_stats {
    uint64_t rows_in;           /* rows inside the window */
    uint64_t rows_out;          /* rows outside it */
    uint64_t rows_without_time; /* rows with a null timestamp (in no window) */
    const char *untimed_table;  /* a table without a Timestamp or TimeGenerated column, passed whole */
} kq_window_stats;

/*
 * Returns a new catalog holding the named tables of `source`, each cut to the
 * rows whose Timestamp (or TimeGenerated) is in (start, end]; period 0 in the
 * caller means start = INT64_MIN. A table with neither column is passed whole
 * and named in stats. A built-in table the source lacks is added empty;
 * other missing tables are left out. The new catalog
 * shares batches with the source (reference counted), so the source may be
 * freed first.
 */
kq_catalog *kq_window_catalog(const kq_catalog *source, const char *const *tables, size_t ntables,
                              int64_t start, int64_t end, kq_window_stats *stats);

/*
 * Returns a copy of table keeping row r (counted over all batches in order)
 * when keep[r] is nonzero. Whole batches are shared, partial ones gathered.
 */
kq_table *kq_table_select_rows(const kq_table *table, const uint8_t *keep);

/* Index of the table's Timestamp column, else TimeGenerated, when it is a datetime; else -1. */
int kq_table_time_column(const kq_table *table);

#endif
