/* union: the inputs one after another, each batch remapped to the union's columns. */
#include "exec/exec.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct union_state {
    uint32_t current;
    kq_op *input;
    kq_type *types;
} union_state;

static kq_batch *remap(kq_op *op, union_state *s, kq_batch *in)
{
    const kq_plan *plan = op->plan;
    const int *map = plan->column_maps[s->current];
    kq_batch *out = kq_batch_new(plan->schema.count, s->types, in->nrows);
    out->nrows = in->nrows;
    for (uint32_t c = 0; c < plan->schema.count; c++) {
        if (map[c] >= 0) {
            out->cols[c] = in->cols[map[c]];
            continue;
        }
        if (c == 0 && plan->with_source) {
            const char *name = plan->source_names[s->current];
            for (uint32_t r = 0; r < in->nrows; r++)
                kq_batch_set(out, c, r, kq_string(name, strlen(name)));
            continue;
        }
        for (uint32_t r = 0; r < in->nrows; r++)
            kq_column_set_null(out, c, r);
    }
    kq_batch_borrow(out, in);
    return out;
}

static kq_batch *union_next(kq_op *op)
{
    union_state *s = op->state;
    const kq_plan *plan = op->plan;
    while (s->current < plan->ninputs && !op->run->error) {
        if (!s->input)
            s->input = kq_op_build(op->run, plan->inputs[s->current]);
        kq_batch *in = s->input->next(s->input);
        if (in) {
            kq_batch *out = remap(op, s, in);
            kq_batch_release(in);
            return out;
        }
        kq_op_close(s->input);
        s->input = NULL;
        s->current++;
    }
    return NULL;
}

static void union_close(kq_op *op)
{
    union_state *s = op->state;
    kq_op_close(s->input);
    free(s->types);
    free(s);
}

kq_op *kq_op_union(kq_run *run, const kq_plan *plan)
{
    kq_op *op = kq_op_new(run, plan, NULL);
    union_state *s = kq_xcalloc(1, sizeof *s);
    s->types = kq_xmalloc((plan->schema.count + 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < plan->schema.count; c++)
        s->types[c] = plan->schema.fields[c].type;
    op->state = s;
    op->next = union_next;
    op->close = union_close;
    return op;
}
