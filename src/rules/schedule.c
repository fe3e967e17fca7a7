/* Scheduled-rule semantics: durations, triggers, the run grid and the query window (see schedule.h). */
#include "rules/schedule.h"

#include "base/util.h"
#include "exec/exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sentinel's rule wizard proposes running every 5 hours over the last 5 hours. */
#define DEFAULT_FREQUENCY (5 * KQ_TICKS_PER_HOUR)

static int64_t unit_ticks(char unit)
{
    switch (unit) {
    case 's': case 'S': return KQ_TICKS_PER_SECOND;
    case 'm': case 'M': return KQ_TICKS_PER_MINUTE;
    case 'h': case 'H': return KQ_TICKS_PER_HOUR;
    case 'd': case 'D': return KQ_TICKS_PER_DAY;
    default: return 0;
    }
}

/* Parses "P[nD][T[nH][nM][nS]]"; months and years are rejected because their length varies. */
static bool parse_iso_duration(const char *text, int64_t *ticks)
{
    const char *p = text + 1;
    bool time_part = false, any = false;
    int64_t total = 0;
    while (*p) {
        if (*p == 'T' || *p == 't') {
            if (time_part)
                return false;
            time_part = true;
            p++;
            continue;
        }
        char *end;
        errno = 0;
        long long count = strtoll(p, &end, 10);
        if (end == p || errno || count < 0 || count > 100000)
            return false;
        char unit = *end;
        bool day = unit == 'D' || unit == 'd';
        if ((day && time_part) || (!day && !time_part))
            return false;
        int64_t size = unit_ticks(unit);
        if (!size)
            return false;
        total += count * size;
        any = true;
        p = end + 1;
    }
    *ticks = total;
    return any && total > 0;
}

bool kq_duration_parse(const char *text, int64_t *ticks)
{
    if (!text || !*text)
        return false;
    if (text[0] == 'P' || text[0] == 'p')
        return parse_iso_duration(text, ticks);
    char *end;
    errno = 0;
    long long count = strtoll(text, &end, 10);
    /* Bounded so that count * ticks-per-day cannot overflow: 100,000 days is ~273 years. */
    if (end == text || errno || count <= 0 || count > 100000 || end[0] == '\0' || end[1] != '\0')
        return false;
    int64_t size = unit_ticks(end[0]);
    if (!size)
        return false;
    *ticks = count * size;
    return true;
}

static const struct {
    const char *short_name, *arm_name;
    kq_trigger_op op;
} trigger_names[] = {
    {"gt", "GreaterThan", KQ_TRIGGER_GT},
    {"lt", "LessThan", KQ_TRIGGER_LT},
    {"eq", "Equal", KQ_TRIGGER_EQ},
    {"ne", "NotEqual", KQ_TRIGGER_NE},
};

bool kq_trigger_parse(const char *text, kq_trigger_op *op)
{
    for (size_t i = 0; i < KQ_ARRAY_LEN(trigger_names); i++) {
        size_t len = strlen(text);
        if (kq_ascii_ieq(text, len, trigger_names[i].short_name, strlen(trigger_names[i].short_name)) ||
            kq_ascii_ieq(text, len, trigger_names[i].arm_name, strlen(trigger_names[i].arm_name))) {
            *op = trigger_names[i].op;
            return true;
        }
    }
    return false;
}

const char *kq_trigger_arm_name(kq_trigger_op op)
{
    for (size_t i = 0; i < KQ_ARRAY_LEN(trigger_names); i++)
        if (trigger_names[i].op == op)
            return trigger_names[i].arm_name;
    return "?";
}

bool kq_trigger_fires(kq_trigger_op op, long long threshold, uint64_t rows)
{
    /* Row counts above LLONG_MAX cannot occur in memory; the cast is safe. */
    long long n = (long long)rows;
    switch (op) {
    case KQ_TRIGGER_GT: return n > threshold;
    case KQ_TRIGGER_LT: return n < threshold;
    case KQ_TRIGGER_EQ: return n == threshold;
    case KQ_TRIGGER_NE: return n != threshold;
    }
    return false;
}

static char *key_error(const char *key, const char *value, const char *expected)
{
    kq_buf message;
    kq_buf_init(&message);
    kq_buf_printf(&message, "'%s' is '%s'; expected %s", key, value, expected);
    return kq_buf_detach(&message);
}

bool kq_schedule_from_rule(const kq_rule *rule, kq_schedule *schedule, char **error)
{
    memset(schedule, 0, sizeof *schedule);
    schedule->frequency = DEFAULT_FREQUENCY;
    schedule->trigger_op = KQ_TRIGGER_GT;
    const char *duration_help = "a duration such as 30m, 1h or 5d";
    if (rule->query_frequency && !kq_duration_parse(rule->query_frequency, &schedule->frequency)) {
        *error = key_error("queryFrequency", rule->query_frequency, duration_help);
        return false;
    }
    if (rule->query_period && !kq_duration_parse(rule->query_period, &schedule->period)) {
        *error = key_error("queryPeriod", rule->query_period, duration_help);
        return false;
    }
    if (rule->trigger_operator && !kq_trigger_parse(rule->trigger_operator, &schedule->trigger_op)) {
        *error = key_error("triggerOperator", rule->trigger_operator, "gt, lt, eq or ne");
        return false;
    }
    if (rule->has_trigger)
        schedule->trigger_threshold = rule->trigger_threshold;
    if (rule->suppression_enabled) {
        if (!rule->suppression_duration) {
            *error = kq_xstrdup("'suppressionEnabled' is true but 'suppressionDuration' is missing");
            return false;
        }
        if (!kq_duration_parse(rule->suppression_duration, &schedule->suppression)) {
            *error = key_error("suppressionDuration", rule->suppression_duration, duration_help);
            return false;
        }
    }
    return true;
}

int64_t kq_schedule_run_at_or_before(const kq_schedule *schedule, int64_t t)
{
    int64_t since_epoch = t - KQ_UNIX_EPOCH_TICKS;
    int64_t steps = since_epoch / schedule->frequency;
    if (since_epoch < 0 && since_epoch % schedule->frequency != 0)
        steps--;
    return KQ_UNIX_EPOCH_TICKS + steps * schedule->frequency;
}

int kq_table_time_column(const kq_table *table)
{
    const char *names[] = {"Timestamp", "TimeGenerated"};
    for (size_t i = 0; i < KQ_ARRAY_LEN(names); i++) {
        int column = kq_schema_find(&table->schema, names[i], strlen(names[i]));
        if (column >= 0 && table->schema.fields[column].type == KQ_DATETIME)
            return column;
    }
    return -1;
}

kq_table *kq_table_select_rows(const kq_table *table, const uint8_t *keep)
{
    kq_table *copy = kq_table_new(table->name, &table->schema);
    uint64_t base = 0;
    uint32_t *rows = kq_xmalloc(KQ_BATCH_ROWS * sizeof *rows);
    for (size_t b = 0; b < table->nbatches; b++) {
        kq_batch *batch = table->batches[b];
        uint32_t n = 0;
        for (uint32_t r = 0; r < batch->nrows; r++)
            if (keep[base + r])
                rows[n++] = r;
        base += batch->nrows;
        if (n == batch->nrows && n > 0) {
            kq_batch_retain(batch);
            kq_table_append(copy, batch);
        } else if (n > 0) {
            kq_table_append(copy, kq_batch_gather(batch, rows, n));
        }
    }
    free(rows);
    return copy;
}

/* Returns the table cut to (start, end] by its time column, updating stats. */
static kq_table *window_table(const kq_table *table, int64_t start, int64_t end, kq_window_stats *stats)
{
    int column = kq_table_time_column(table);
    uint8_t *keep = kq_xmalloc(table->nrows ? table->nrows : 1);
    uint64_t row = 0;
    for (size_t b = 0; b < table->nbatches; b++) {
        const kq_column *times = &table->batches[b]->cols[column < 0 ? 0 : column];
        for (uint32_t r = 0; r < table->batches[b]->nrows; r++, row++) {
            if (column < 0) {
                keep[row] = 1;
                continue;
            }
            if (times->nulls && times->nulls[r]) {
                keep[row] = 0;
                stats->rows_without_time++;
                continue;
            }
            int64_t t = times->v.l[r];
            keep[row] = t > start && t <= end;
            if (keep[row])
                stats->rows_in++;
            else
                stats->rows_out++;
        }
    }
    if (column < 0)
        stats->untimed_table = table->name;
    kq_table *copy = kq_table_select_rows(table, keep);
    free(keep);
    return copy;
}

kq_catalog *kq_window_catalog(const kq_catalog *source, const char *const *tables, size_t ntables,
                              int64_t start, int64_t end, kq_window_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    kq_catalog *catalog = kq_catalog_new();
    for (size_t i = 0; i < ntables; i++) {
        const kq_table *table = kq_catalog_table(source, tables[i], strlen(tables[i]));
        const kq_builtin_table *builtin = kq_builtin_table_find(tables[i], strlen(tables[i]));
        if (table) {
            kq_catalog_add_table(catalog, window_table(table, start, end, stats));
        } else if (builtin) {
            /* No data yet: the run sees an empty table, as Sentinel's query would. */
            kq_schema schema = {.count = builtin->count, .fields = (kq_field *)builtin->fields};
            kq_catalog_add_table(catalog, kq_table_new(builtin->name, &schema));
        }
    }
    return catalog;
}
