/*
 * mv-apply: runs the subquery once per input row. The row is handed to the
 * subquery's APPLY_ROW leaf through the run's apply slot; the subquery's
 * output rows are joined back to the row's columns that were not expanded.
 */
#include "exec/exec.h"
#include "base/util.h"

#include <stdlib.h>

typedef struct apply_state {
    kq_type *types;
    kq_batch *input;      /* current input batch */
    uint32_t next_row;
    kq_budget_account account; /* the output batch being filled */
} apply_state;

/* Runs the subquery for one row and appends its output rows to out (growing it as needed). */
static kq_batch *apply_row(kq_op *op, apply_state *s, kq_batch *out, uint32_t row)
{
    const kq_plan *plan = op->plan;
    kq_run *run = op->run;
    uint32_t one = row;
    run->apply_rows[plan->apply_slot] = kq_batch_gather(s->input, &one, 1);
    kq_op *sub = kq_op_build(run, plan->right);
    kq_batch *result;
    while (!run->error && (result = sub->next(sub))) {
        for (uint32_t r = 0; r < result->nrows; r++) {
            if (out->nrows == out->capacity) {
                kq_batch *bigger = kq_batch_new(plan->schema.count, s->types, out->capacity * 2);
                for (uint32_t c = 0; c < plan->schema.count; c++)
                    for (uint32_t k = 0; k < out->nrows; k++)
                        kq_batch_set(bigger, c, k, kq_column_get(&out->cols[c], k));
                bigger->nrows = out->nrows;
                for (uint32_t k = 0; k < out->nborrowed; k++)
                    kq_batch_borrow(bigger, out->borrowed[k]);
                kq_batch_release(out);
                out = bigger;
                if (!kq_budget_update(run, &s->account, "mv-apply", "output rows", kq_arena_used(out->arena),
                                      out->capacity))
                    break;
            }
            uint32_t c = 0;
            for (uint32_t i = 0; i < plan->nleft_out; i++, c++)
                kq_batch_set(out, c, out->nrows, kq_column_get(&s->input->cols[plan->left_out[i]], row));
            for (uint32_t i = 0; i < plan->nright_out; i++, c++)
                kq_batch_set(out, c, out->nrows, kq_column_get(&result->cols[plan->right_out[i]], r));
            out->nrows++;
        }
        kq_batch_borrow(out, result);
        kq_batch_release(result);
    }
    kq_op_close(sub);
    kq_batch_release(run->apply_rows[plan->apply_slot]);
    run->apply_rows[plan->apply_slot] = NULL;
    return out;
}

static kq_batch *apply_next(kq_op *op)
{
    apply_state *s = op->state;
    for (;;) {
        if (!s->input || s->next_row >= s->input->nrows) {
            if (s->input)
                kq_batch_release(s->input);
            s->input = op->input->next(op->input);
            s->next_row = 0;
            if (!s->input)
                return NULL;
        }
        kq_batch *out = kq_batch_new(op->plan->schema.count, s->types, 64);
        /* One input batch at a time, a slice of rows per call, so memory stays bounded. */
        while (s->next_row < s->input->nrows && out->nrows < KQ_BATCH_ROWS && !op->run->error)
            out = apply_row(op, s, out, s->next_row++);
        kq_batch_borrow(out, s->input);
        if (op->run->error || out->nrows > 0)
            return op->run->error ? (kq_batch_release(out), NULL) : out;
        kq_batch_release(out);
    }
}

static void apply_close(kq_op *op)
{
    apply_state *s = op->state;
    kq_budget_release(op->run, &s->account);
    if (s->input)
        kq_batch_release(s->input);
    free(s->types);
    free(s);
}

kq_op *kq_op_mv_apply(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    apply_state *s = kq_xcalloc(1, sizeof *s);
    s->types = kq_xmalloc((plan->schema.count + 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < plan->schema.count; c++)
        s->types[c] = plan->schema.fields[c].type;
    op->state = s;
    op->next = apply_next;
    op->close = apply_close;
    return op;
}

/* The current mv-apply row, once. */
static kq_batch *apply_row_next(kq_op *op)
{
    bool *done = op->state;
    kq_batch *row = op->run->apply_rows[op->plan->apply_slot];
    if (*done || !row)
        return NULL;
    *done = true;
    kq_batch_retain(row);
    return row;
}

static void apply_row_close(kq_op *op)
{
    free(op->state);
}

kq_op *kq_op_apply_row(kq_run *run, const kq_plan *plan)
{
    kq_op *op = kq_op_new(run, plan, NULL);
    op->state = kq_xcalloc(1, sizeof(bool));
    op->next = apply_row_next;
    op->close = apply_row_close;
    return op;
}
