/* take / limit: passes rows through until the count is reached. */
#include "exec/exec.h"
#include "base/util.h"

#include <stdlib.h>

typedef struct take_state {
    bool started;
    uint64_t remaining;
} take_state;

static kq_batch *take_next(kq_op *op)
{
    take_state *s = op->state;
    if (!s->started) {
        s->started = true;
        kq_value count;
        kq_arena *scratch = kq_arena_new(1024);
        kq_eval(op->run, op->plan->count, NULL, NULL, 1, &count, scratch);
        kq_arena_free(scratch);
        s->remaining = count.null || count.u.l < 0 ? 0 : (uint64_t)count.u.l;
    }
    if (s->remaining == 0)
        return NULL;
    kq_batch *input = op->input->next(op->input);
    if (!input)
        return NULL;
    if (input->nrows <= s->remaining) {
        s->remaining -= input->nrows;
        return input;
    }
    uint32_t n = (uint32_t)s->remaining;
    uint32_t *rows = kq_xmalloc((n ? n : 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++)
        rows[i] = i;
    kq_batch *out = kq_batch_gather(input, rows, n);
    free(rows);
    kq_batch_release(input);
    s->remaining = 0;
    return out;
}

static void take_close(kq_op *op)
{
    free(op->state);
}

kq_op *kq_op_take(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    op->state = kq_xcalloc(1, sizeof(take_state));
    op->next = take_next;
    op->close = take_close;
    return op;
}

/* count: one row, one long column named Count. */
static kq_batch *count_next(kq_op *op)
{
    bool *done = op->state;
    if (*done)
        return NULL;
    *done = true;
    int64_t total = 0;
    kq_batch *input;
    while ((input = op->input->next(op->input))) {
        total += input->nrows;
        kq_batch_release(input);
    }
    kq_type type = KQ_LONG;
    kq_batch *out = kq_batch_new(1, &type, 1);
    kq_batch_set(out, 0, 0, kq_long(total));
    out->nrows = 1;
    return out;
}

kq_op *kq_op_count(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    op->state = kq_xcalloc(1, sizeof(bool));
    op->next = count_next;
    op->close = take_close;
    return op;
}
