/*
 * project and extend: one expression per output column. A column passed
 * through unchanged shares the input's vector; computed columns are
 * evaluated into the output batch.
 */
#include "exec/exec.h"
#include "base/util.h"

#include <stdlib.h>

typedef struct project_state {
    kq_arena *scratch;
    kq_type *types;
} project_state;

static kq_batch *project_next(kq_op *op)
{
    project_state *state = op->state;
    const kq_plan *plan = op->plan;
    kq_batch *input = op->input->next(op->input);
    if (!input)
        return NULL;
    uint32_t n = input->nrows;
    kq_batch *out = kq_batch_new(plan->nexprs, state->types, n);
    out->nrows = n;
    kq_batch_borrow(out, input);
    kq_arena_reset(state->scratch);
    kq_value *values = kq_arena_alloc(state->scratch, (n ? n : 1) * sizeof(kq_value));
    for (uint32_t c = 0; c < plan->nexprs; c++) {
        const kq_expr *e = plan->exprs[c];
        if (e->kind == KQ_EXPR_COLUMN && input->cols[e->column].type == state->types[c]) {
            out->cols[c] = input->cols[e->column];
            continue;
        }
        /* Functions allocate result strings in the output batch so they live as long as it. */
        kq_eval(op->run, e, input, NULL, n, values, out->arena);
        for (uint32_t r = 0; r < n; r++)
            kq_batch_set(out, c, r, values[r]);
    }
    kq_batch_release(input);
    if (op->run->error) {
        kq_batch_release(out);
        return NULL;
    }
    return out;
}

static void project_close(kq_op *op)
{
    project_state *state = op->state;
    kq_arena_free(state->scratch);
    free(state->types);
    free(state);
}

kq_op *kq_op_project(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    project_state *state = kq_xcalloc(1, sizeof *state);
    state->scratch = kq_arena_new(64 * 1024);
    state->types = kq_xmalloc((plan->nexprs ? plan->nexprs : 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < plan->nexprs; c++) {
        state->types[c] = plan->schema.fields[c].type;
        kq_window_reset(run, plan->exprs[c]);
    }
    op->state = state;
    op->next = project_next;
    op->close = project_close;
    return op;
}
