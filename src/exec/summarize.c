/*
 * summarize (and distinct): hash aggregation. Groups are kept in the order
 * they are first seen, so output order, like make_set's element order, is
 * deterministic. Without `by` there is exactly one group, even for empty input.
 *
 * Over an exchange (exchange.c), each thread aggregates morsels of
 * consecutive table batches into partial states, and the calling thread
 * merges them into the result in morsel order (kq_aggregate.merge). Merging
 * in order keeps the first-seen order of groups and set elements, so the
 * result is that of one thread.
 */
#include "exec/exec.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct group {
    kq_value *keys;
    unsigned char *states;
    uint64_t hash;
} group;

typedef struct summarize_state {
    kq_arena *arena;   /* keys and aggregate states */
    kq_arena *scratch;
    group *groups;
    size_t ngroups, cap;
    uint32_t *slots;   /* group index + 1 */
    size_t nslots;
    size_t *state_offsets;
    size_t states_size;
    bool consumed;
    size_t next_group;
    kq_type *types;
    kq_budget_account account;
} summarize_state;

static group *add_group(summarize_state *s, const kq_plan *plan, const kq_value *keys, uint64_t hash)
{
    kq_grow((void **)&s->groups, &s->cap, s->ngroups + 1, sizeof(group));
    group *g = &s->groups[s->ngroups++];
    g->hash = hash;
    g->keys = kq_arena_alloc(s->arena, (plan->nexprs ? plan->nexprs : 1) * sizeof(kq_value));
    for (uint32_t k = 0; k < plan->nexprs; k++)
        g->keys[k] = kq_value_copy(s->arena, keys[k]);
    g->states = kq_arena_alloc(s->arena, s->states_size ? s->states_size : 1);
    for (uint32_t a = 0; a < plan->naggs; a++)
        plan->aggs[a].agg->init(g->states + s->state_offsets[a], NULL, 0);
    return g;
}

static void rehash(summarize_state *s)
{
    size_t nslots = s->nslots ? s->nslots * 2 : 1024;
    free(s->slots);
    s->slots = kq_xcalloc(nslots, sizeof(uint32_t));
    s->nslots = nslots;
    for (size_t i = 0; i < s->ngroups; i++) {
        size_t h = s->groups[i].hash & (nslots - 1);
        while (s->slots[h])
            h = (h + 1) & (nslots - 1);
        s->slots[h] = (uint32_t)i + 1;
    }
}

static size_t find_group(summarize_state *s, const kq_plan *plan, const kq_value *keys)
{
    uint64_t hash = UINT64_C(1469598103934665603);
    for (uint32_t k = 0; k < plan->nexprs; k++)
        hash = hash * 31 + kq_value_hash(&keys[k]);
    if ((s->ngroups + 1) * 2 > s->nslots)
        rehash(s);
    size_t h = hash & (s->nslots - 1);
    while (s->slots[h]) {
        group *g = &s->groups[s->slots[h] - 1];
        if (g->hash == hash) {
            bool same = true;
            for (uint32_t k = 0; k < plan->nexprs && same; k++)
                same = kq_value_equal(&g->keys[k], &keys[k]);
            if (same)
                return s->slots[h] - 1;
        }
        h = (h + 1) & (s->nslots - 1);
    }
    add_group(s, plan, keys, hash);
    s->slots[h] = (uint32_t)s->ngroups;
    return s->ngroups - 1;
}

static void consume_batch(kq_run *run, const kq_plan *plan, summarize_state *s, kq_batch *batch)
{
    uint32_t n = batch->nrows;
    kq_arena_reset(s->scratch);
    kq_value **keys = kq_arena_alloc(s->scratch, (plan->nexprs ? plan->nexprs : 1) * sizeof(kq_value *));
    for (uint32_t k = 0; k < plan->nexprs; k++) {
        keys[k] = kq_arena_alloc(s->scratch, (n ? n : 1) * sizeof(kq_value));
        kq_eval(run, plan->exprs[k], batch, NULL, n, keys[k], s->scratch);
    }
    uint32_t *group_of = kq_arena_alloc(s->scratch, (n ? n : 1) * sizeof(uint32_t));
    kq_value *row_keys = kq_arena_alloc(s->scratch, (plan->nexprs ? plan->nexprs : 1) * sizeof(kq_value));
    for (uint32_t r = 0; r < n; r++) {
        for (uint32_t k = 0; k < plan->nexprs; k++)
            row_keys[k] = keys[k][r];
        group_of[r] = (uint32_t)find_group(s, plan, row_keys);
    }
    kq_agg_ctx ctx = {.arena = s->arena};
    for (uint32_t a = 0; a < plan->naggs; a++) {
        const kq_agg_call *call = &plan->aggs[a];
        kq_value *args[512];
        for (int i = 0; i < call->nargs; i++) {
            args[i] = kq_arena_alloc(s->scratch, (n ? n : 1) * sizeof(kq_value));
            kq_eval(run, call->args[i], batch, NULL, n, args[i], s->scratch);
        }
        kq_value row_args[512];
        for (uint32_t r = 0; r < n; r++) {
            for (int i = 0; i < call->nargs; i++)
                row_args[i] = args[i][r];
            call->agg->update(s->groups[group_of[r]].states + s->state_offsets[a], row_args,
                              call->nargs, &ctx);
        }
    }
}

static kq_batch *emit(kq_op *op, summarize_state *s)
{
    const kq_plan *plan = op->plan;
    if (s->next_group >= s->ngroups)
        return NULL;
    size_t rows = s->ngroups - s->next_group;
    if (rows > KQ_BATCH_ROWS)
        rows = KQ_BATCH_ROWS;
    kq_batch *out = kq_batch_new(plan->schema.count, s->types, (uint32_t)rows);
    kq_agg_ctx ctx = {.arena = s->arena};
    for (size_t i = 0; i < rows; i++) {
        group *g = &s->groups[s->next_group + i];
        for (uint32_t k = 0; k < plan->nexprs; k++)
            kq_batch_set(out, k, (uint32_t)i, kq_value_copy(out->arena, g->keys[k]));
        uint32_t column = plan->nexprs;
        for (uint32_t a = 0; a < plan->naggs; a++) {
            const kq_agg_call *call = &plan->aggs[a];
            void *state = g->states + s->state_offsets[a];
            if (call->agg->finish_row) {
                kq_value values[512];
                call->agg->finish_row(state, values, call->ncolumns, &ctx);
                for (int k = 0; k < call->ncolumns; k++, column++) {
                    kq_value v = values[k].null ? kq_null(plan->schema.fields[column].type) : values[k];
                    kq_batch_set(out, column, (uint32_t)i, kq_value_copy(out->arena, v));
                }
                continue;
            }
            kq_value v = call->agg->finish(state, call->type, &ctx);
            if (!v.null && v.type != call->type && v.type != KQ_DYNAMIC)
                v.type = call->type;
            kq_batch_set(out, column++, (uint32_t)i, kq_value_copy(out->arena, v));
        }
    }
    out->nrows = (uint32_t)rows;
    s->next_group += rows;
    return out;
}

/* Accounts the groups' memory to the run; false when that is over its limit (the run error is set). */
static bool account_groups(kq_op *op, summarize_state *s)
{
    uint64_t bytes = kq_arena_used(s->arena) + s->cap * sizeof(group) + s->nslots * sizeof(uint32_t);
    return kq_budget_update(op->run, &s->account, "summarize", "groups", bytes, s->ngroups);
}

/* Adds a partial state's groups, built from rows after every row already in s, to s. */
static void merge_partial(const kq_plan *plan, summarize_state *s, const summarize_state *part)
{
    kq_agg_ctx ctx = {.arena = s->arena};
    for (size_t i = 0; i < part->ngroups; i++) {
        const group *from = &part->groups[i];
        size_t index = find_group(s, plan, from->keys);
        unsigned char *states = s->groups[index].states;
        for (uint32_t a = 0; a < plan->naggs; a++)
            plan->aggs[a].agg->merge(states + s->state_offsets[a], from->states + s->state_offsets[a], &ctx);
    }
}

/* Consecutive table batches one partial state aggregates. */
#define MORSEL_BATCHES 16

typedef struct partial_job {
    kq_op *op;
    summarize_state **parts; /* per morsel, built on the thread that runs it */
    bool failed;
} partial_job;

static summarize_state *new_state(const kq_plan *plan);
static void free_state(summarize_state *s);

static void partial_consume(void *user, size_t morsel, kq_run *run, kq_batch *batch)
{
    partial_job *job = user;
    if (!job->parts[morsel])
        job->parts[morsel] = new_state(job->op->plan);
    consume_batch(run, job->op->plan, job->parts[morsel], batch);
    kq_batch_release(batch);
}

static void partial_done(void *user, size_t morsel, const char *error)
{
    partial_job *job = user;
    summarize_state *part = job->parts[morsel];
    job->parts[morsel] = NULL;
    if (error && !job->failed) {
        kq_run_fail(job->op->run, "%s", error);
        job->failed = true;
    }
    if (part && !job->failed) {
        summarize_state *s = job->op->state;
        merge_partial(job->op->plan, s, part);
        job->failed = !account_groups(job->op, s);
    }
    if (part)
        free_state(part);
}

/*
 * True when the input is an exchange and every aggregate can merge exactly:
 * a sum or average of reals would add in another order and round otherwise.
 */
static bool can_aggregate_partially(const kq_op *op)
{
    const kq_plan *plan = op->plan;
    if (!kq_op_is_exchange(op->input))
        return false;
    for (uint32_t k = 0; k < plan->nexprs; k++)
        if (!kq_expr_is_local(plan->exprs[k]))
            return false;
    for (uint32_t a = 0; a < plan->naggs; a++) {
        const kq_agg_call *call = &plan->aggs[a];
        if (!call->agg->merge)
            return false;
        for (int i = 0; i < call->nargs; i++) {
            kq_type type = call->args[i]->type;
            if (!kq_expr_is_local(call->args[i]) ||
                (call->agg->merge_inexact_for_reals && (type == KQ_REAL || type == KQ_DECIMAL || type == KQ_DYNAMIC)))
                return false;
        }
    }
    return true;
}

static void aggregate_partially(kq_op *op)
{
    /* The test knob that shrinks the exchange's rounds makes small tables merge many morsels here. */
    size_t morsel_batches = kq_env_count("KQLITE_MORSEL_BATCHES", MORSEL_BATCHES);
    size_t count = kq_exchange_morsel_count(op->input, morsel_batches);
    partial_job job = {op, kq_xcalloc(count ? count : 1, sizeof(summarize_state *)), false};
    kq_exchange_morsels(op->input, morsel_batches, partial_consume, partial_done, &job);
    free(job.parts);
}

static kq_batch *summarize_next(kq_op *op)
{
    summarize_state *s = op->state;
    if (!s->consumed) {
        s->consumed = true;
        if (can_aggregate_partially(op)) {
            aggregate_partially(op);
            if (op->run->error)
                return NULL;
        }
        kq_batch *batch;
        while ((batch = op->input->next(op->input))) {
            consume_batch(op->run, op->plan, s, batch);
            kq_batch_release(batch);
            if (op->run->error || !account_groups(op, s))
                return NULL;
        }
        /* Without `by`, an empty input still yields one row of default values. */
        if (op->plan->nexprs == 0 && s->ngroups == 0)
            add_group(s, op->plan, NULL, 0);
    }
    return emit(op, s);
}

static void free_state(summarize_state *s)
{
    kq_arena_free(s->arena);
    kq_arena_free(s->scratch);
    free(s->groups);
    free(s->slots);
    free(s->state_offsets);
    free(s->types);
    free(s);
}

static void summarize_close(kq_op *op)
{
    summarize_state *s = op->state;
    kq_budget_release(op->run, &s->account);
    free_state(s);
}

static summarize_state *new_state(const kq_plan *plan)
{
    summarize_state *s = kq_xcalloc(1, sizeof *s);
    s->arena = kq_arena_new(256 * 1024);
    s->scratch = kq_arena_new(256 * 1024);
    s->state_offsets = kq_xcalloc(plan->naggs ? plan->naggs : 1, sizeof(size_t));
    for (uint32_t a = 0; a < plan->naggs; a++) {
        s->state_offsets[a] = s->states_size;
        s->states_size += (plan->aggs[a].agg->state_size + 15) & ~(size_t)15;
    }
    s->types = kq_xmalloc((plan->schema.count ? plan->schema.count : 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < plan->schema.count; c++)
        s->types[c] = plan->schema.fields[c].type;
    return s;
}

kq_op *kq_op_summarize(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    op->state = new_state(plan);
    op->next = summarize_next;
    op->close = summarize_close;
    return op;
}
