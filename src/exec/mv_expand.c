/*
 * mv-expand: one output row per element of the expanded arrays. Several columns
 * expand in parallel (the i-th elements together; shorter arrays give null). A
 * property bag expands into one single-property bag per member. A value that is
 * neither array nor bag stays as one row; an empty array gives no row.
 */
#include "exec/exec.h"
#include "base/util.h"

#include <stdlib.h>

typedef struct expand_state {
    kq_arena *scratch;
    kq_type *types;
} expand_state;

static uint32_t element_count(const kq_value *v)
{
    if (v->null || v->type != KQ_DYNAMIC || !v->u.d)
        return 1;
    if (v->u.d->kind == KQ_DYN_ARRAY || v->u.d->kind == KQ_DYN_OBJECT)
        return v->u.d->count;
    return 1;
}

static kq_value element(kq_batch *out, const kq_value *v, uint32_t i, kq_type type, bool bag_as_array)
{
    const kq_dyn *item = NULL;
    if (!v->null && v->type == KQ_DYNAMIC && v->u.d) {
        const kq_dyn *d = v->u.d;
        if (d->kind == KQ_DYN_ARRAY)
            item = i < d->count ? d->u.items[i] : NULL;
        else if (d->kind == KQ_DYN_OBJECT && bag_as_array) {
            if (i < d->count) {
                kq_dyn *key = kq_arena_alloc(out->arena, sizeof *key);
                key->kind = KQ_DYN_STRING;
                key->u.s = d->u.members[i].key;
                const kq_dyn *pair[2] = {key, d->u.members[i].value};
                item = kq_dyn_array(out->arena, pair, 2);
            }
        } else if (d->kind == KQ_DYN_OBJECT) {
            if (i < d->count) {
                kq_dyn *bag = kq_arena_alloc(out->arena, sizeof *bag);
                bag->kind = KQ_DYN_OBJECT;
                bag->count = 1;
                bag->u.members = &d->u.members[i];
                item = bag;
            }
        } else if (i == 0) {
            item = d;
        }
    }
    return kq_dyn_to_value(item, type, out->arena);
}

static kq_batch *expand_next(kq_op *op)
{
    expand_state *s = op->state;
    const kq_plan *plan = op->plan;
    kq_batch *in;
    while ((in = op->input->next(op->input))) {
        kq_arena_reset(s->scratch);
        uint32_t n = in->nrows;
        /* The expanded elements point into the evaluated arrays, so those live in a
         * column-less batch that the output borrows, not in the scratch arena. */
        kq_batch *evaluated = kq_batch_new(0, NULL, 0);
        kq_value **values = kq_arena_alloc(s->scratch, plan->nexprs * sizeof(kq_value *));
        for (uint32_t e = 0; e < plan->nexprs; e++) {
            values[e] = kq_arena_alloc(s->scratch, (n ? n : 1) * sizeof(kq_value));
            kq_eval(op->run, plan->exprs[e], in, NULL, n, values[e], evaluated->arena);
        }
        uint64_t total = 0;
        uint32_t *counts = kq_arena_alloc(s->scratch, (n ? n : 1) * sizeof(uint32_t));
        for (uint32_t r = 0; r < n; r++) {
            uint32_t most = 0;
            for (uint32_t e = 0; e < plan->nexprs; e++) {
                uint32_t c = element_count(&values[e][r]);
                if (c > most)
                    most = c;
            }
            if (plan->limit > 0 && most > plan->limit)
                most = (uint32_t)plan->limit;
            counts[r] = most;
            total += most;
        }
        if (total == 0) {
            kq_batch_release(evaluated);
            kq_batch_release(in);
            continue;
        }
        if (total > UINT32_MAX / 2) {
            kq_run_fail(op->run, "mv-expand would produce %llu rows from one batch", (unsigned long long)total);
            kq_batch_release(evaluated);
            kq_batch_release(in);
            return NULL;
        }
        kq_batch *out = kq_batch_new(plan->schema.count, s->types, (uint32_t)total);
        uint32_t row = 0;
        for (uint32_t r = 0; r < n; r++)
            for (uint32_t i = 0; i < counts[r]; i++, row++) {
                for (uint32_t c = 0; c < in->ncols; c++)
                    kq_batch_set(out, c, row, kq_column_get(&in->cols[c], r));
                for (uint32_t e = 0; e < plan->nexprs; e++)
                    kq_batch_set(out, (uint32_t)plan->expand_columns[e], row,
                                 element(out, &values[e][r], i, plan->expand_types[e], plan->bag_as_array));
                if (plan->item_index_column >= 0)
                    kq_batch_set(out, (uint32_t)plan->item_index_column, row, kq_long(i));
            }
        out->nrows = row;
        kq_batch_borrow(out, in);
        kq_batch_borrow(out, evaluated);
        kq_batch_release(evaluated);
        kq_batch_release(in);
        return out;
    }
    return NULL;
}

static void expand_close(kq_op *op)
{
    expand_state *s = op->state;
    kq_arena_free(s->scratch);
    free(s->types);
    free(s);
}

kq_op *kq_op_mv_expand(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    expand_state *s = kq_xcalloc(1, sizeof *s);
    s->scratch = kq_arena_new(64 * 1024);
    s->types = kq_xmalloc((plan->schema.count + 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < plan->schema.count; c++)
        s->types[c] = plan->schema.fields[c].type;
    op->state = s;
    op->next = expand_next;
    op->close = expand_close;
    return op;
}
