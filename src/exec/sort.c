/*
 * sort / order by and top. Kusto sorts descending unless asc is written;
 * nulls come first in ascending order and last in descending order unless
 * the query says otherwise. Ties keep input order (the sort is stable).
 */
#include "exec/exec.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct sort_row {
    uint32_t batch;
    uint32_t row;
    uint64_t sequence;
    kq_value *keys;
} sort_row;

typedef struct sort_state {
    kq_arena *arena;
    kq_batch **batches;
    size_t nbatches, cap;
    sort_row *rows;
    size_t nrows, rows_cap;
    size_t next;
    uint64_t limit;
    bool consumed;
    const kq_plan *plan;
    kq_budget_account account;
    uint64_t batch_bytes; /* input batches only this sort keeps alive */
} sort_state;

/* qsort has no context argument; sort runs are not nested within one thread. */
static _Thread_local const kq_plan *current_plan;

static int compare_rows(const void *pa, const void *pb)
{
    const sort_row *a = pa, *b = pb;
    for (uint32_t k = 0; k < current_plan->nkeys; k++) {
        const kq_sort_key *key = &current_plan->keys[k];
        const kq_value *x = &a->keys[k], *y = &b->keys[k];
        bool xnull = x->null || (x->type == KQ_REAL && x->u.r != x->u.r);
        bool ynull = y->null || (y->type == KQ_REAL && y->u.r != y->u.r);
        if (xnull || ynull) {
            if (xnull && ynull)
                continue;
            return (xnull ? -1 : 1) * (key->nulls_first ? 1 : -1);
        }
        int c = kq_value_compare(x, y);
        if (c)
            return key->ascending ? c : -c;
    }
    return KQ_COMPARE(a->sequence, b->sequence);
}

static void consume(kq_op *op, sort_state *s)
{
    const kq_plan *plan = op->plan;
    kq_batch *batch;
    uint64_t sequence = 0;
    while ((batch = op->input->next(op->input))) {
        kq_grow((void **)&s->batches, &s->cap, s->nbatches + 1, sizeof(kq_batch *));
        uint32_t index = (uint32_t)s->nbatches;
        s->batches[s->nbatches++] = batch;
        s->batch_bytes += kq_budget_batch_bytes(batch);
        uint32_t n = batch->nrows;
        kq_value **keys = kq_xmalloc((plan->nkeys ? plan->nkeys : 1) * sizeof(kq_value *));
        for (uint32_t k = 0; k < plan->nkeys; k++) {
            keys[k] = kq_arena_alloc(s->arena, (n ? n : 1) * sizeof(kq_value));
            kq_eval(op->run, plan->keys[k].expr, batch, NULL, n, keys[k], s->arena);
        }
        for (uint32_t r = 0; r < n; r++) {
            kq_grow((void **)&s->rows, &s->rows_cap, s->nrows + 1, sizeof(sort_row));
            sort_row *row = &s->rows[s->nrows++];
            row->batch = index;
            row->row = r;
            row->sequence = sequence++;
            row->keys = kq_arena_alloc(s->arena, (plan->nkeys ? plan->nkeys : 1) * sizeof(kq_value));
            for (uint32_t k = 0; k < plan->nkeys; k++)
                row->keys[k] = keys[k][r];
        }
        free(keys);
        uint64_t held = s->batch_bytes + kq_arena_used(s->arena) + s->rows_cap * sizeof(sort_row) +
                        s->cap * sizeof(kq_batch *);
        if (op->run->error || !kq_budget_update(op->run, &s->account, "sort", "rows", held, s->nrows))
            return;
    }
    current_plan = plan;
    if (s->nrows > 1)
        qsort(s->rows, s->nrows, sizeof(sort_row), compare_rows);
    if (s->limit < s->nrows)
        s->nrows = (size_t)s->limit;
}

static kq_batch *sort_next(kq_op *op)
{
    sort_state *s = op->state;
    const kq_plan *plan = op->plan;
    if (!s->consumed) {
        s->consumed = true;
        if (plan->kind == KQ_PLAN_TOP) {
            kq_value count;
            kq_eval(op->run, plan->count, NULL, NULL, 1, &count, s->arena);
            s->limit = count.null || count.u.l < 0 ? 0 : (uint64_t)count.u.l;
        }
        consume(op, s);
    }
    if (op->run->error || s->next >= s->nrows)
        return NULL;
    size_t rows = s->nrows - s->next;
    if (rows > KQ_BATCH_ROWS)
        rows = KQ_BATCH_ROWS;
    uint32_t ncols = plan->schema.count;
    kq_type *types = kq_xmalloc((ncols ? ncols : 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < ncols; c++)
        types[c] = plan->schema.fields[c].type;
    kq_batch *out = kq_batch_new(ncols, types, (uint32_t)rows);
    free(types);
    for (size_t i = 0; i < rows; i++) {
        const sort_row *row = &s->rows[s->next + i];
        kq_batch *source = s->batches[row->batch];
        for (uint32_t c = 0; c < ncols; c++)
            kq_batch_set(out, c, (uint32_t)i, kq_column_get(&source->cols[c], row->row));
        kq_batch_borrow(out, source);
    }
    out->nrows = (uint32_t)rows;
    s->next += rows;
    return out;
}

static void sort_close(kq_op *op)
{
    sort_state *s = op->state;
    kq_budget_release(op->run, &s->account);
    for (size_t i = 0; i < s->nbatches; i++)
        kq_batch_release(s->batches[i]);
    free(s->batches);
    free(s->rows);
    kq_arena_free(s->arena);
    free(s);
}

kq_op *kq_op_sort(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    sort_state *s = kq_xcalloc(1, sizeof *s);
    s->arena = kq_arena_new(256 * 1024);
    s->limit = UINT64_MAX;
    s->plan = plan;
    op->state = s;
    op->next = sort_next;
    op->close = sort_close;
    return op;
}
