/*
 * Deciding a where clause for a whole batch before evaluating it row by row.
 *
 * Two facts about a batch decide many hunting predicates at once: the terms in
 * its string columns (term_filter.c) and the range of each datetime column,
 * kept with the batch after the first look. Exports are written in time order,
 * so the batches of a long export fall wholly inside or outside a rule's time
 * window (`Timestamp between (ago(5d) .. now())`, `Timestamp > ago(1d)`), and
 * only the batches that straddle an edge are evaluated per row.
 */
#include "exec/exec.h"
#include "exec/batch_facts.h"
#include "base/util.h"

#include <string.h>

struct kq_time_range {
    int64_t min, max;
    bool any;      /* at least one non-null value */
    bool has_null; /* at least one null: never all rows true */
};

/* Returns the slot array of time ranges, allocating it (zeroed) on first use; the caller has the facts lock. */
static struct kq_time_range **range_slots(kq_batch *batch)
{
    if (!batch->time_ranges) {
        struct kq_time_range **slots =
            kq_arena_alloc(batch->arena, (batch->ncols ? batch->ncols : 1) * sizeof *batch->time_ranges);
        __atomic_store_n(&batch->time_ranges, slots, __ATOMIC_RELEASE);
    }
    return batch->time_ranges;
}

/* Computes a column's range in locals, so a column without nulls (the usual case) is a loop the compiler vectorizes. */
static void compute_range(const kq_column *column, uint32_t nrows, struct kq_time_range *range)
{
    int64_t min = INT64_MAX, max = INT64_MIN;
    bool any = false, has_null = false;
    const int64_t *values = column->v.l;
    if (!column->nulls) {
        for (uint32_t r = 0; r < nrows; r++) {
            min = values[r] < min ? values[r] : min;
            max = values[r] > max ? values[r] : max;
        }
        any = nrows > 0;
    } else {
        for (uint32_t r = 0; r < nrows; r++) {
            if (column->nulls[r]) {
                has_null = true;
                continue;
            }
            min = values[r] < min ? values[r] : min;
            max = values[r] > max ? values[r] : max;
            any = true;
        }
    }
    *range = (struct kq_time_range){min, max, any, has_null};
}

/* The range of a datetime column, computed on the first look and kept with the batch. */
static const struct kq_time_range *column_range(kq_batch *batch, uint32_t col)
{
    struct kq_time_range **slots = __atomic_load_n(&batch->time_ranges, __ATOMIC_ACQUIRE);
    const struct kq_time_range *known = slots ? __atomic_load_n(&slots[col], __ATOMIC_ACQUIRE) : NULL;
    if (known)
        return known;
    kq_batch_lock_facts(batch);
    slots = range_slots(batch);
    struct kq_time_range *range = slots[col];
    if (!range) {
        range = kq_arena_alloc(batch->arena, sizeof *range);
        compute_range(&batch->cols[col], batch->nrows, range);
        __atomic_store_n(&slots[col], range, __ATOMIC_RELEASE);
    }
    kq_batch_unlock_facts(batch);
    return range;
}

/* Evaluates a constant datetime (or timespan, for between's high end) once; false when it is not one. */
static bool constant_ticks(kq_run *run, const kq_expr *e, kq_batch *batch, kq_arena *arena, kq_type type,
                           int64_t *out)
{
    if (e->type != type || !kq_expr_is_constant(e))
        return false;
    kq_value v;
    kq_eval(run, e, batch, NULL, 1, &v, arena);
    if (v.null || v.type != type)
        return false;
    *out = v.u.l;
    return true;
}

/* The datetime column a comparison reads, or NULL. */
static const struct kq_time_range *datetime_column(const kq_expr *e, kq_batch *batch)
{
    if (e->kind != KQ_EXPR_COLUMN || e->column < 0 || (uint32_t)e->column >= batch->ncols)
        return NULL;
    if (batch->cols[e->column].type != KQ_DATETIME)
        return NULL;
    return column_range(batch, (uint32_t)e->column);
}

/* Decides column in [low, high] for the batch. */
static kq_verdict within(const struct kq_time_range *range, int64_t low, int64_t high)
{
    if (!range->any || range->max < low || range->min > high)
        return KQ_VERDICT_NONE;
    if (!range->has_null && range->min >= low && range->max <= high)
        return KQ_VERDICT_ALL;
    return KQ_VERDICT_SOME;
}

static kq_verdict between_verdict(kq_run *run, const kq_expr *e, kq_batch *batch, kq_arena *arena)
{
    const struct kq_time_range *range = datetime_column(e->args[0], batch);
    int64_t low, high;
    if (!range || !constant_ticks(run, e->args[1], batch, arena, KQ_DATETIME, &low))
        return KQ_VERDICT_SOME;
    if (constant_ticks(run, e->args[2], batch, arena, KQ_TIMESPAN, &high)) {
        /* datetime between (start .. timespan) */
        if (__builtin_add_overflow(high, low, &high))
            return KQ_VERDICT_SOME;
    } else if (!constant_ticks(run, e->args[2], batch, arena, KQ_DATETIME, &high))
        return KQ_VERDICT_SOME;
    return within(range, low, high);
}

/* column < > <= >= constant, either way round. */
static kq_verdict compare_verdict(kq_run *run, const kq_expr *e, kq_batch *batch, kq_arena *arena)
{
    const char *op = e->fn->name;
    const kq_expr *column = e->args[0], *bound = e->args[1];
    bool swapped = false;
    if (!datetime_column(column, batch)) {
        column = e->args[1];
        bound = e->args[0];
        swapped = true;
    }
    const struct kq_time_range *range = datetime_column(column, batch);
    int64_t t;
    if (!range || !constant_ticks(run, bound, batch, arena, KQ_DATETIME, &t))
        return KQ_VERDICT_SOME;
    bool less = op[0] == '<', inclusive = op[1] == '=';
    if (swapped)
        less = !less; /* t < column is column > t */
    if (!inclusive && t == (less ? INT64_MIN : INT64_MAX))
        return KQ_VERDICT_NONE; /* nothing is below the least or above the greatest value */
    if (less)
        return within(range, INT64_MIN, inclusive ? t : t - 1);
    return within(range, inclusive ? t : t + 1, INT64_MAX);
}

static kq_verdict call_verdict(kq_run *run, const kq_expr *e, kq_batch *batch, kq_arena *arena)
{
    if (kq_terms_exclude(e, batch))
        return KQ_VERDICT_NONE;
    if (e->kind != KQ_EXPR_CALL || !e->fn)
        return KQ_VERDICT_SOME;
    const char *name = e->fn->name;
    if (strcmp(name, "between") == 0 && e->nargs == 3)
        return between_verdict(run, e, batch, arena);
    bool order = strcmp(name, "<") == 0 || strcmp(name, "<=") == 0 || strcmp(name, ">") == 0 || strcmp(name, ">=") == 0;
    if (order && e->nargs == 2)
        return compare_verdict(run, e, batch, arena);
    return KQ_VERDICT_SOME;
}

kq_verdict kq_batch_verdict(kq_run *run, const kq_expr *e, kq_batch *batch, kq_arena *arena)
{
    if (!e || batch->nrows == 0)
        return KQ_VERDICT_SOME;
    if (e->kind == KQ_EXPR_AND || e->kind == KQ_EXPR_OR) {
        bool and = e->kind == KQ_EXPR_AND;
        kq_verdict settles = and ? KQ_VERDICT_NONE : KQ_VERDICT_ALL;
        bool every_other = e->nargs > 0;
        for (int i = 0; i < e->nargs; i++) {
            kq_verdict v = kq_batch_verdict(run, e->args[i], batch, arena);
            if (v == settles)
                return settles;
            if (v != (and ? KQ_VERDICT_ALL : KQ_VERDICT_NONE))
                every_other = false;
        }
        if (!every_other)
            return KQ_VERDICT_SOME;
        return and ? KQ_VERDICT_ALL : KQ_VERDICT_NONE;
    }
    return call_verdict(run, e, batch, arena);
}

void kq_batch_set_time_range(kq_batch *batch, uint32_t col, int64_t min, int64_t max, bool any, bool has_null)
{
    kq_batch_lock_facts(batch);
    struct kq_time_range **slots = range_slots(batch);
    struct kq_time_range *range = kq_arena_alloc(batch->arena, sizeof *range);
    *range = (struct kq_time_range){min, max, any, has_null};
    __atomic_store_n(&slots[col], range, __ATOMIC_RELEASE);
    kq_batch_unlock_facts(batch);
}
