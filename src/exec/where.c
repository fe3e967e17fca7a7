/* where: keeps the rows whose predicate is true (false and null rows are dropped). */
#include "exec/exec.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct where_state {
    kq_arena *scratch;
    bool every_row; /* KQLITE_EVAL_EVERY_ROW set: no batch verdicts (tests compare both ways) */
} where_state;

static kq_batch *where_next(kq_op *op)
{
    where_state *state = op->state;
    kq_batch *input;
    while ((input = op->input->next(op->input))) {
        kq_arena_reset(state->scratch);
        kq_verdict verdict = state->every_row ? KQ_VERDICT_SOME
                                              : kq_batch_verdict(op->run, op->plan->predicate, input, state->scratch);
        if (verdict == KQ_VERDICT_NONE) {
            kq_batch_release(input);
            continue;
        }
        if (verdict == KQ_VERDICT_ALL)
            return input;
        uint32_t n = input->nrows;
        kq_value *values = kq_arena_alloc(state->scratch, (n ? n : 1) * sizeof(kq_value));
        kq_eval(op->run, op->plan->predicate, input, NULL, n, values, state->scratch);
        if (op->run->error) {
            kq_batch_release(input);
            return NULL;
        }
        uint32_t *rows = kq_arena_alloc(state->scratch, (n ? n : 1) * sizeof(uint32_t));
        uint32_t kept = 0;
        for (uint32_t i = 0; i < n; i++)
            if (!values[i].null && values[i].u.b)
                rows[kept++] = i;
        if (kept == n)
            return input;
        if (kept == 0) {
            kq_batch_release(input);
            continue;
        }
        kq_batch *out = kq_batch_gather(input, rows, kept);
        kq_batch_release(input);
        return out;
    }
    return NULL;
}

static void where_close(kq_op *op)
{
    where_state *state = op->state;
    kq_arena_free(state->scratch);
    free(state);
}

kq_op *kq_op_where(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    where_state *state = kq_xcalloc(1, sizeof *state);
    state->scratch = kq_arena_new(256 * 1024);
    kq_window_reset(run, plan->predicate);
    const char *every_row = getenv("KQLITE_EVAL_EVERY_ROW");
    state->every_row = every_row && every_row[0] && strcmp(every_row, "0") != 0;
    /* Window functions carry state from row to row, so every batch must be evaluated. */
    if (kq_expr_has_window(plan->predicate))
        state->every_row = true;
    /* Where clauses do not change the schema, so a chain of them can all skip the scan's batches; one
     * that evaluates every row (window functions) must see every batch, so the chain stops there. */
    kq_op *source = input;
    while (source->next == where_next && !((where_state *)source->state)->every_row)
        source = source->input;
    if (!state->every_row)
        kq_scan_skip_unless(source, plan->predicate);
    op->state = state;
    op->next = where_next;
    op->close = where_close;
    return op;
}
