/*
 * top-nested: hierarchical top-N. Level 1 groups all rows by its key and keeps the N
 * groups with the largest (or smallest) aggregate; each kept group's rows go on to level
 * 2, and so on. "with others" adds one row per level that aggregates the groups left out.
 * The operator reads its whole input, keeping each row's keys and aggregate arguments.
 */
#include "exec/exec.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct nested_state {
    kq_arena *arena;
    kq_value *values;     /* row-major: per row, per level: key, then the aggregate's arguments */
    size_t nrows, cap;
    uint32_t stride;
    uint32_t *offsets;    /* per level: offset of its key within a row */
    kq_batch *out;        /* all output rows */
    kq_type *types;
    bool done, emitted;
} nested_state;

typedef struct group {
    kq_value key;
    uint32_t *rows;
    size_t nrows, cap;
    kq_value aggregate;
} group;

static kq_value *row_values(nested_state *s, size_t row)
{
    return &s->values[row * s->stride];
}

static kq_value aggregate_rows(kq_op *op, nested_state *s, uint32_t level, const uint32_t *rows, size_t n)
{
    const kq_agg_call *call = &op->plan->aggs[level];
    void *state = kq_arena_alloc(s->arena, call->agg->state_size ? call->agg->state_size : 1);
    call->agg->init(state, NULL, 0);
    kq_agg_ctx ctx = {.arena = s->arena};
    for (size_t i = 0; i < n; i++)
        call->agg->update(state, row_values(s, rows[i]) + s->offsets[level] + 1, call->nargs, &ctx);
    return call->agg->finish(state, call->type, &ctx);
}

static const kq_plan *sort_plan;
static const bool *sort_ascending;
static uint32_t sort_level;

static int compare_groups(const void *pa, const void *pb)
{
    const group *a = pa, *b = pb;
    bool an = a->aggregate.null, bn = b->aggregate.null;
    if (an || bn)
        return an == bn ? 0 : (an ? 1 : -1); /* nulls last */
    int c = kq_value_compare(&a->aggregate, &b->aggregate);
    return sort_ascending[sort_level] ? c : -c;
}

static void emit(kq_op *op, nested_state *s, const kq_value *prefix)
{
    kq_batch *out = s->out;
    if (out->nrows == out->capacity) {
        kq_batch *bigger = kq_batch_new(out->ncols, s->types, out->capacity * 2);
        for (uint32_t c = 0; c < out->ncols; c++)
            for (uint32_t r = 0; r < out->nrows; r++)
                kq_batch_set(bigger, c, r, kq_column_get(&out->cols[c], r));
        bigger->nrows = out->nrows;
        kq_batch_release(out);
        s->out = out = bigger;
    }
    for (uint32_t c = 0; c < out->ncols; c++)
        kq_batch_set(out, c, out->nrows, kq_value_copy(out->arena, prefix[c]));
    out->nrows++;
}

/* Groups rows[] by level's key, keeps the top groups and recurses into each. */
static void expand_level(kq_op *op, nested_state *s, uint32_t level, const uint32_t *rows, size_t n,
                         kq_value *prefix)
{
    const kq_plan *plan = op->plan;
    if (level == plan->nexprs) {
        emit(op, s, prefix);
        return;
    }
    group *groups = NULL;
    size_t ngroups = 0, cap = 0;
    /* Open-addressing index over the groups (group number + 1), sized for n distinct keys. */
    size_t nslots = 16;
    while (nslots < 2 * n + 2)
        nslots *= 2;
    uint32_t *slots = kq_xcalloc(nslots, sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) {
        const kq_value *key = row_values(s, rows[i]) + s->offsets[level];
        size_t h = kq_value_hash(key) & (nslots - 1);
        while (slots[h] && !kq_value_equal(&groups[slots[h] - 1].key, key))
            h = (h + 1) & (nslots - 1);
        size_t g;
        if (slots[h]) {
            g = slots[h] - 1;
        } else {
            kq_grow((void **)&groups, &cap, ngroups + 1, sizeof(group));
            memset(&groups[ngroups], 0, sizeof(group));
            groups[ngroups].key = *key;
            g = ngroups++;
            slots[h] = (uint32_t)ngroups;
        }
        kq_grow((void **)&groups[g].rows, &groups[g].cap, groups[g].nrows + 1, sizeof(uint32_t));
        groups[g].rows[groups[g].nrows++] = rows[i];
    }
    free(slots);
    for (size_t g = 0; g < ngroups; g++)
        groups[g].aggregate = aggregate_rows(op, s, level, groups[g].rows, groups[g].nrows);
    sort_plan = plan;
    sort_ascending = plan->level_ascending;
    sort_level = level;
    if (ngroups > 1)
        qsort(groups, ngroups, sizeof(group), compare_groups);
    size_t keep = ngroups;
    if (plan->level_counts[level]) {
        kq_value count;
        kq_eval(op->run, plan->level_counts[level], NULL, NULL, 1, &count, s->arena);
        if (!count.null && count.u.l >= 0 && (uint64_t)count.u.l < keep)
            keep = (size_t)count.u.l;
    }
    for (size_t g = 0; g < keep && !op->run->error; g++) {
        prefix[2 * level] = groups[g].key;
        prefix[2 * level + 1] = groups[g].aggregate;
        expand_level(op, s, level + 1, groups[g].rows, groups[g].nrows, prefix);
    }
    if (plan->level_others[level] && keep < ngroups) {
        /* One row for the groups left out; deeper levels show null for it. */
        uint32_t *rest = NULL;
        size_t nrest = 0, rest_cap = 0;
        for (size_t g = keep; g < ngroups; g++)
            for (size_t r = 0; r < groups[g].nrows; r++) {
                kq_grow((void **)&rest, &rest_cap, nrest + 1, sizeof(uint32_t));
                rest[nrest++] = groups[g].rows[r];
            }
        kq_eval(op->run, plan->level_others[level], NULL, NULL, 1, &prefix[2 * level], s->arena);
        /* The language service accepts an others value whose type differs from the key's,
         * such as "other" for a long key. It is converted through dynamic, so a value that
         * does not fit the key's type becomes null. */
        kq_type key_type = plan->schema.fields[2 * level].type;
        if (!prefix[2 * level].null && prefix[2 * level].type != key_type)
            prefix[2 * level] = kq_dyn_to_value(kq_dyn_from_value(s->arena, &prefix[2 * level]), key_type, s->arena);
        prefix[2 * level + 1] = aggregate_rows(op, s, level, rest, nrest);
        for (uint32_t deeper = 2 * (level + 1); deeper < plan->schema.count; deeper++)
            prefix[deeper] = kq_null(plan->schema.fields[deeper].type);
        emit(op, s, prefix);
        free(rest);
    }
    for (size_t g = 0; g < ngroups; g++)
        free(groups[g].rows);
    free(groups);
}

static void consume(kq_op *op, nested_state *s)
{
    const kq_plan *plan = op->plan;
    kq_batch *batch;
    while (!op->run->error && (batch = op->input->next(op->input))) {
        uint32_t n = batch->nrows;
        kq_arena *scratch = kq_arena_new(64 * 1024);
        kq_value **columns = kq_arena_alloc(scratch, s->stride * sizeof(kq_value *));
        uint32_t c = 0;
        for (uint32_t level = 0; level < plan->nexprs; level++) {
            columns[c] = kq_arena_alloc(scratch, (n ? n : 1) * sizeof(kq_value));
            kq_eval(op->run, plan->exprs[level], batch, NULL, n, columns[c++], scratch);
            for (int a = 0; a < plan->aggs[level].nargs; a++) {
                columns[c] = kq_arena_alloc(scratch, (n ? n : 1) * sizeof(kq_value));
                kq_eval(op->run, plan->aggs[level].args[a], batch, NULL, n, columns[c++], scratch);
            }
        }
        for (uint32_t r = 0; r < n; r++) {
            kq_grow((void **)&s->values, &s->cap, (s->nrows + 1) * s->stride, sizeof(kq_value));
            kq_value *row = row_values(s, s->nrows++);
            for (uint32_t k = 0; k < s->stride; k++)
                row[k] = kq_value_copy(s->arena, columns[k][r]);
        }
        kq_arena_free(scratch);
        kq_batch_release(batch);
    }
}

static kq_batch *nested_next(kq_op *op)
{
    nested_state *s = op->state;
    if (s->emitted)
        return NULL;
    s->emitted = true;
    consume(op, s);
    if (op->run->error || s->nrows > UINT32_MAX)
        return NULL;
    uint32_t *rows = kq_xmalloc((s->nrows ? s->nrows : 1) * sizeof(uint32_t));
    for (size_t i = 0; i < s->nrows; i++)
        rows[i] = (uint32_t)i;
    kq_value *prefix = kq_arena_alloc(s->arena, op->plan->schema.count * sizeof(kq_value));
    expand_level(op, s, 0, rows, s->nrows, prefix);
    free(rows);
    kq_batch *out = s->out;
    s->out = NULL;
    return out;
}

static void nested_close(kq_op *op)
{
    nested_state *s = op->state;
    if (s->out)
        kq_batch_release(s->out);
    free(s->values);
    free(s->offsets);
    free(s->types);
    kq_arena_free(s->arena);
    free(s);
}

kq_op *kq_op_top_nested(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    nested_state *s = kq_xcalloc(1, sizeof *s);
    s->arena = kq_arena_new(256 * 1024);
    s->offsets = kq_xcalloc(plan->nexprs, sizeof(uint32_t));
    for (uint32_t level = 0; level < plan->nexprs; level++) {
        s->offsets[level] = s->stride;
        s->stride += 1 + (uint32_t)plan->aggs[level].nargs;
    }
    s->types = kq_xmalloc(plan->schema.count * sizeof(kq_type));
    for (uint32_t c = 0; c < plan->schema.count; c++)
        s->types[c] = plan->schema.fields[c].type;
    s->out = kq_batch_new(plan->schema.count, s->types, 64);
    op->state = s;
    op->next = nested_next;
    op->close = nested_close;
    return op;
}
