/*
 * make-series: one row per group, with an array per aggregate holding one value per bin
 * of the axis, and the bins' start values. Bins run from `from` (inclusive) in steps of
 * `step` up to `to` (exclusive); without from/to they cover the data. Rows whose axis
 * value is null or outside the range are left out, as in Kusto. Empty bins hold the
 * aggregate's default.
 */
#include "exec/exec.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Bins one series may hold: a guard against a tiny step over a long range. */
#define MAX_SERIES_BINS 1000000

typedef struct series_row {
    kq_value *keys;
    kq_value axis;
    kq_value *args;  /* all aggregates' arguments, in order */
} series_row;

typedef struct series_state {
    kq_arena *arena;
    series_row *rows;
    size_t nrows, cap;
    uint32_t nargs;
    bool done;
    kq_type *types;
} series_state;

static double axis_number(const kq_value *v)
{
    return v->type == KQ_REAL || v->type == KQ_DECIMAL ? v->u.r : (double)v->u.l;
}

static void consume(kq_op *op, series_state *s)
{
    const kq_plan *plan = op->plan;
    kq_batch *batch;
    while (!op->run->error && (batch = op->input->next(op->input))) {
        uint32_t n = batch->nrows;
        kq_arena *scratch = kq_arena_new(64 * 1024);
        kq_value **keys = kq_arena_alloc(scratch, (plan->nexprs + 1) * sizeof(kq_value *));
        for (uint32_t k = 0; k < plan->nexprs; k++) {
            keys[k] = kq_arena_alloc(scratch, (n ? n : 1) * sizeof(kq_value));
            kq_eval(op->run, plan->exprs[k], batch, NULL, n, keys[k], scratch);
        }
        kq_value *axis = kq_arena_alloc(scratch, (n ? n : 1) * sizeof(kq_value));
        kq_eval(op->run, plan->series_axis, batch, NULL, n, axis, scratch);
        kq_value **args = kq_arena_alloc(scratch, (s->nargs + 1) * sizeof(kq_value *));
        uint32_t a = 0;
        for (uint32_t g = 0; g < plan->naggs; g++)
            for (int i = 0; i < plan->aggs[g].nargs; i++, a++) {
                args[a] = kq_arena_alloc(scratch, (n ? n : 1) * sizeof(kq_value));
                kq_eval(op->run, plan->aggs[g].args[i], batch, NULL, n, args[a], scratch);
            }
        for (uint32_t r = 0; r < n; r++) {
            if (axis[r].null)
                continue;
            kq_grow((void **)&s->rows, &s->cap, s->nrows + 1, sizeof(series_row));
            series_row *row = &s->rows[s->nrows++];
            row->keys = kq_arena_alloc(s->arena, (plan->nexprs + 1) * sizeof(kq_value));
            for (uint32_t k = 0; k < plan->nexprs; k++)
                row->keys[k] = kq_value_copy(s->arena, keys[k][r]);
            row->axis = axis[r];
            row->args = kq_arena_alloc(s->arena, (s->nargs + 1) * sizeof(kq_value));
            for (uint32_t i = 0; i < s->nargs; i++)
                row->args[i] = kq_value_copy(s->arena, args[i][r]);
        }
        kq_arena_free(scratch);
        kq_batch_release(batch);
    }
}

/* The bin range; returns the number of bins, or -1 after a run error. */
static long bin_range(kq_op *op, series_state *s, double *from, double *step)
{
    const kq_plan *plan = op->plan;
    kq_value v;
    kq_eval(op->run, plan->series_step, NULL, NULL, 1, &v, s->arena);
    *step = v.null ? 0 : axis_number(&v);
    if (!(*step > 0)) {
        kq_run_fail(op->run, "make-series: the step must be positive");
        return -1;
    }
    double low = INFINITY, high = -INFINITY;
    for (size_t i = 0; i < s->nrows; i++) {
        double x = axis_number(&s->rows[i].axis);
        low = x < low ? x : low;
        high = x > high ? x : high;
    }
    double to;
    if (plan->series_from) {
        kq_eval(op->run, plan->series_from, NULL, NULL, 1, &v, s->arena);
        *from = v.null ? low : axis_number(&v);
    } else {
        *from = floor(low / *step) * *step;
    }
    if (plan->series_to) {
        kq_eval(op->run, plan->series_to, NULL, NULL, 1, &v, s->arena);
        to = v.null ? high + *step : axis_number(&v);
    } else {
        to = (floor(high / *step) + 1) * *step;
    }
    if (!isfinite(*from) || !isfinite(to) || to <= *from)
        return 0;
    double bins = ceil((to - *from) / *step);
    if (bins > MAX_SERIES_BINS) {
        kq_run_fail(op->run, "make-series would make %.0f bins (limit %d); use a larger step", bins, MAX_SERIES_BINS);
        return -1;
    }
    return (long)bins;
}

static kq_value axis_value(const kq_plan *plan, double x)
{
    kq_type type = plan->series_axis->type;
    if (type == KQ_REAL || type == KQ_DECIMAL)
        return kq_real(x);
    kq_value v = {.type = type == KQ_INT ? KQ_LONG : type};
    v.u.l = (int64_t)llround(x);
    return v;
}

static kq_batch *series_next(kq_op *op)
{
    series_state *s = op->state;
    const kq_plan *plan = op->plan;
    if (s->done)
        return NULL;
    s->done = true;
    consume(op, s);
    double from, step;
    long nbins = op->run->error ? -1 : bin_range(op, s, &from, &step);
    if (nbins < 0)
        return NULL;
    /* Groups in first-seen order, each with one state per (aggregate, bin). */
    size_t ngroups = 0;
    size_t *group_of = kq_xmalloc((s->nrows ? s->nrows : 1) * sizeof(size_t));
    size_t *first_row = kq_xmalloc((s->nrows ? s->nrows : 1) * sizeof(size_t));
    size_t nslots = 16;
    while (nslots < 2 * s->nrows + 2)
        nslots *= 2;
    size_t *slots = kq_xcalloc(nslots, sizeof(size_t)); /* group number + 1 */
    for (size_t i = 0; i < s->nrows; i++) {
        uint64_t hash = 1469598103934665603u;
        for (uint32_t k = 0; k < plan->nexprs; k++)
            hash = hash * 31 + kq_value_hash(&s->rows[i].keys[k]);
        size_t h = hash & (nslots - 1);
        for (;;) {
            if (!slots[h]) {
                first_row[ngroups++] = i;
                slots[h] = ngroups;
                break;
            }
            bool same = true;
            for (uint32_t k = 0; k < plan->nexprs && same; k++)
                same = kq_value_equal(&s->rows[first_row[slots[h] - 1]].keys[k], &s->rows[i].keys[k]);
            if (same)
                break;
            h = (h + 1) & (nslots - 1);
        }
        group_of[i] = slots[h] - 1;
    }
    free(slots);
    kq_batch *out = kq_batch_new(plan->schema.count, s->types, (uint32_t)(ngroups ? ngroups : 1));
    kq_agg_ctx ctx = {.arena = out->arena};
    for (size_t g = 0; g < ngroups && !op->run->error; g++) {
        for (uint32_t k = 0; k < plan->nexprs; k++)
            kq_batch_set(out, k, (uint32_t)g, kq_value_copy(out->arena, s->rows[first_row[g]].keys[k]));
        uint32_t arg_base = 0;
        for (uint32_t a = 0; a < plan->naggs; a++) {
            const kq_agg_call *call = &plan->aggs[a];
            size_t state_size = (call->agg->state_size + 15) & ~(size_t)15;
            unsigned char *states = kq_arena_alloc(out->arena, (size_t)(nbins ? nbins : 1) * (state_size ? state_size : 16));
            bool *touched = kq_arena_alloc(out->arena, (size_t)(nbins ? nbins : 1));
            for (long bin = 0; bin < nbins; bin++)
                call->agg->init(states + bin * state_size, NULL, 0);
            for (size_t i = 0; i < s->nrows; i++) {
                if (group_of[i] != g)
                    continue;
                double offset = (axis_number(&s->rows[i].axis) - from) / step;
                if (offset < 0 || offset >= (double)nbins)
                    continue;
                long bin = (long)floor(offset);
                touched[bin] = true;
                call->agg->update(states + bin * state_size, s->rows[i].args + arg_base, call->nargs, &ctx);
            }
            const kq_dyn **items = kq_arena_alloc(out->arena, (size_t)(nbins ? nbins : 1) * sizeof(kq_dyn *));
            for (long bin = 0; bin < nbins; bin++) {
                kq_value v = touched[bin] ? call->agg->finish(states + bin * state_size, call->type, &ctx)
                                          : plan->series_defaults[a];
                items[bin] = kq_dyn_from_value(out->arena, &v);
            }
            kq_batch_set(out, plan->nexprs + a, (uint32_t)g, kq_dynamic(kq_dyn_array(out->arena, items, (uint32_t)nbins)));
            arg_base += (uint32_t)call->nargs;
        }
        const kq_dyn **bins = kq_arena_alloc(out->arena, (size_t)(nbins ? nbins : 1) * sizeof(kq_dyn *));
        for (long bin = 0; bin < nbins; bin++) {
            kq_value v = axis_value(plan, from + (double)bin * step);
            bins[bin] = kq_dyn_from_value(out->arena, &v);
        }
        kq_batch_set(out, plan->schema.count - 1, (uint32_t)g, kq_dynamic(kq_dyn_array(out->arena, bins, (uint32_t)nbins)));
    }
    out->nrows = (uint32_t)ngroups;
    free(group_of);
    free(first_row);
    return out;
}

static void series_close(kq_op *op)
{
    series_state *s = op->state;
    free(s->rows);
    free(s->types);
    kq_arena_free(s->arena);
    free(s);
}

kq_op *kq_op_make_series(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    series_state *s = kq_xcalloc(1, sizeof *s);
    s->arena = kq_arena_new(256 * 1024);
    for (uint32_t a = 0; a < plan->naggs; a++)
        s->nargs += (uint32_t)plan->aggs[a].nargs;
    s->types = kq_xmalloc(plan->schema.count * sizeof(kq_type));
    for (uint32_t c = 0; c < plan->schema.count; c++)
        s->types[c] = plan->schema.fields[c].type;
    op->state = s;
    op->next = series_next;
    op->close = series_close;
    return op;
}
