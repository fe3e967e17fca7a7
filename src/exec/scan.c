/* Scan and datatable: the sources of a plan. */
#include "exec/exec.h"
#include "base/util.h"

#include <string.h>

/* Where clauses in a row after a scan that may skip its on-disk batches; more are evaluated as usual. */
#define SCAN_MAX_PREDICATES 8

typedef struct scan_state {
    const kq_table *table;
    size_t next_batch;
    /* A scan fed by kq_scan_feed (exchange.c) returns the batch it was given, not the table's. */
    bool fed;
    kq_batch *fed_batch;
    /* The where clauses right after the scan (kq_scan_skip_unless). */
    const kq_expr *predicates[SCAN_MAX_PREDICATES];
    int npredicates;
    kq_arena *scratch;
} scan_state;

/* True when a where clause after the scan is false on every row of the batch, from its filters and ranges. */
static bool batch_ruled_out(kq_op *op, scan_state *state, kq_batch *batch)
{
    for (int i = 0; i < state->npredicates; i++) {
        kq_arena_reset(state->scratch);
        if (kq_batch_verdict(op->run, state->predicates[i], batch, state->scratch) == KQ_VERDICT_NONE)
            return true;
    }
    return false;
}

/*
 * Returns the next batch. Batches of an on-disk store are read here, except
 * those a following where clause rejects from their term filters and time
 * ranges alone: those are skipped unread.
 */
/* Returns the batch, read first when it is on disk, or NULL when a where clause rules it out or its read fails. */
static kq_batch *take_batch(kq_op *op, scan_state *state, kq_batch *batch)
{
    if (!batch->loader) {
        kq_batch_retain(batch);
        return batch;
    }
    if (batch_ruled_out(op, state, batch))
        return NULL;
    char error[1024];
    if (!kq_batch_load(batch, error, sizeof error)) {
        kq_run_fail(op->run, "%s", error);
        return NULL;
    }
    kq_batch_retain(batch);
    return batch;
}

static kq_batch *scan_next(kq_op *op)
{
    scan_state *state = op->state;
    if (state->fed) {
        kq_batch *batch = state->fed_batch;
        state->fed_batch = NULL;
        return batch ? take_batch(op, state, batch) : NULL;
    }
    while (state->table && state->next_batch < state->table->nbatches && !op->run->error) {
        kq_batch *batch = take_batch(op, state, state->table->batches[state->next_batch++]);
        if (batch)
            return batch;
    }
    return NULL;
}

kq_op *kq_op_scan_fed(kq_run *run, const kq_plan *plan)
{
    kq_op *op = kq_op_scan(run, plan);
    ((scan_state *)op->state)->fed = true;
    return op;
}

void kq_scan_feed(kq_op *scan, kq_batch *batch)
{
    ((scan_state *)scan->state)->fed_batch = batch;
}

static void free_state(kq_op *op)
{
    free(op->state);
}

static void free_scan_state(kq_op *op)
{
    scan_state *state = op->state;
    if (state->scratch)
        kq_arena_free(state->scratch);
    free(state);
}

void kq_scan_skip_unless(kq_op *scan, const kq_expr *predicate)
{
    if (scan->next != scan_next)
        return;
    scan_state *state = scan->state;
    if (state->npredicates == SCAN_MAX_PREDICATES)
        return;
    state->predicates[state->npredicates++] = predicate;
    if (!state->scratch)
        state->scratch = kq_arena_new(64 * 1024);
}

kq_op *kq_op_scan(kq_run *run, const kq_plan *plan)
{
    kq_op *op = kq_op_new(run, plan, NULL);
    scan_state *state = kq_xcalloc(1, sizeof *state);
    const char *name = plan->table_name;
    state->table = run->catalog ? kq_catalog_table(run->catalog, name, strlen(name)) : NULL;
    if (state->table && state->table->schema.count != plan->schema.count)
        kq_run_fail(run, "table %s changed after the query was compiled", name);
    op->state = state;
    op->next = scan_next;
    op->close = free_scan_state;
    return op;
}

typedef struct datatable_state {
    uint64_t next_row;
} datatable_state;

static kq_batch *datatable_next(kq_op *op)
{
    datatable_state *state = op->state;
    const kq_plan *plan = op->plan;
    if (state->next_row >= plan->nrows)
        return NULL;
    uint64_t rows = plan->nrows - state->next_row;
    if (rows > KQ_BATCH_ROWS)
        rows = KQ_BATCH_ROWS;
    uint32_t ncols = plan->schema.count;
    kq_type *types = kq_xmalloc(ncols * sizeof(kq_type));
    for (uint32_t c = 0; c < ncols; c++)
        types[c] = plan->schema.fields[c].type;
    kq_batch *batch = kq_batch_new(ncols, types, (uint32_t)rows);
    free(types);
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t c = 0; c < ncols; c++)
            kq_batch_set(batch, c, r, plan->rows[(state->next_row + r) * ncols + c]);
    batch->nrows = (uint32_t)rows;
    state->next_row += rows;
    return batch;
}

kq_op *kq_op_datatable(kq_run *run, const kq_plan *plan)
{
    if (plan->external_operator)
        kq_run_fail(run, "%s is not supported: kqlite reads no network data; download the file and pass it "
                         "as a data argument (TABLE=PATH), then use TABLE in the query",
                    plan->external_operator);
    kq_op *op = kq_op_new(run, plan, NULL);
    op->state = kq_xcalloc(1, sizeof(datatable_state));
    op->next = datatable_next;
    op->close = free_state;
    return op;
}

/* range: from, from + step, ... while not past `to`. */
typedef struct range_state {
    bool started, done;
    kq_value next, to, step;
} range_state;

static bool range_past(const range_state *s)
{
    int c = kq_value_compare(&s->next, &s->to);
    bool descending = s->step.type == KQ_REAL ? s->step.u.r < 0 : s->step.u.l < 0;
    return descending ? c < 0 : c > 0;
}

static kq_batch *range_next(kq_op *op)
{
    range_state *s = op->state;
    const kq_plan *plan = op->plan;
    kq_type type = plan->schema.fields[0].type;
    if (!s->started) {
        s->started = true;
        kq_arena *scratch = kq_arena_new(1024);
        kq_value v[3];
        for (int i = 0; i < 3; i++)
            kq_eval(op->run, plan->exprs[i], NULL, NULL, 1, &v[i], scratch);
        kq_arena_free(scratch);
        if (v[0].null || v[1].null || v[2].null) {
            s->done = true;
            return NULL;
        }
        bool zero = v[2].type == KQ_REAL ? v[2].u.r == 0 : v[2].u.l == 0;
        if (zero) {
            kq_run_fail(op->run, "range: the step must not be zero");
            return NULL;
        }
        if (type == KQ_REAL) {
            for (int i = 0; i < 3; i++)
                v[i] = kq_real(kq_value_as_real(&v[i]));
        } else {
            for (int i = 0; i < 2; i++)
                v[i].type = type;
        }
        s->next = v[0];
        s->to = v[1];
        s->step = v[2];
    }
    if (s->done || range_past(s))
        return NULL;
    kq_batch *out = kq_batch_new(1, &type, KQ_BATCH_ROWS);
    uint32_t n = 0;
    while (n < KQ_BATCH_ROWS && !range_past(s)) {
        kq_batch_set(out, 0, n++, s->next);
        if (type == KQ_REAL) {
            s->next.u.r += s->step.u.r;
        } else {
            int64_t before = s->next.u.l;
            s->next.u.l = (int64_t)((uint64_t)s->next.u.l + (uint64_t)s->step.u.l);
            if ((s->step.u.l > 0) != (s->next.u.l > before)) {
                s->done = true; /* the next value would overflow */
                break;
            }
        }
    }
    out->nrows = n;
    if (s->done && n == 0) {
        kq_batch_release(out);
        return NULL;
    }
    return out;
}

kq_op *kq_op_range(kq_run *run, const kq_plan *plan)
{
    kq_op *op = kq_op_new(run, plan, NULL);
    op->state = kq_xcalloc(1, sizeof(range_state));
    op->next = range_next;
    op->close = free_state;
    return op;
}
