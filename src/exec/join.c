/*
 * join and lookup: a hash join. The right side is read whole and indexed by its
 * key values; the left side streams through. Rows whose key is null never match
 * (null equals nothing in Kusto joins). innerunique first keeps one left row per
 * key (the first seen). Output order follows the left side, then right-only rows.
 */
#include "exec/exec.h"
#include "base/util.h"
#include "kql/ast.h"

#include <stdlib.h>
#include <string.h>

typedef struct right_row {
    uint32_t batch, row;
    uint64_t hash;
    int32_t next;   /* next row with the same hash bucket, or -1 */
    bool matched;
} right_row;

typedef struct join_state {
    bool built;
    kq_batch **right_batches;
    size_t nright_batches, right_cap;
    right_row *rows;
    size_t nrows, rows_cap;
    int32_t *buckets;
    size_t nbuckets;
    /* innerunique: hashes of left keys already used */
    uint64_t *seen;
    size_t nseen, seen_cap;
    uint32_t *seen_slots;
    kq_value **seen_keys;
    kq_arena *arena;     /* copies of the innerunique keys */
    bool left_done;
    size_t right_emit;   /* next right row to consider for right-only output */
    kq_type *types;
    kq_budget_account account;
    uint64_t batch_bytes; /* right batches only this join keeps alive */
} join_state;

static bool key_has_null(const kq_value *keys, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++)
        if (keys[k].null)
            return true;
    return false;
}

static uint64_t hash_keys(const kq_value *keys, uint32_t n)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (uint32_t k = 0; k < n; k++) {
        kq_value v = keys[k];
        /* Numbers of different integer types join when equal: hash them as long. */
        if (v.type == KQ_INT)
            v.type = KQ_LONG;
        h = h * 31 + kq_value_hash(&v);
    }
    return h;
}

static void get_keys(const kq_batch *batch, uint32_t row, const int *columns, uint32_t n, kq_value *out)
{
    for (uint32_t k = 0; k < n; k++)
        out[k] = kq_column_get(&batch->cols[columns[k]], row);
}

static bool keys_equal(const kq_value *a, const kq_value *b, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++)
        if (!kq_value_equal(&a[k], &b[k]))
            return false;
    return true;
}

static void build_right(kq_op *op, join_state *s)
{
    const kq_plan *plan = op->plan;
    kq_op *right = kq_op_build(op->run, plan->right);
    kq_batch *batch;
    kq_value *keys = kq_xmalloc((plan->njoin_keys + 1) * sizeof(kq_value));
    while (!op->run->error && (batch = right->next(right))) {
        kq_grow((void **)&s->right_batches, &s->right_cap, s->nright_batches + 1, sizeof(kq_batch *));
        uint32_t index = (uint32_t)s->nright_batches;
        s->right_batches[s->nright_batches++] = batch;
        s->batch_bytes += kq_budget_batch_bytes(batch);
        for (uint32_t r = 0; r < batch->nrows; r++) {
            get_keys(batch, r, plan->right_keys, plan->njoin_keys, keys);
            kq_grow((void **)&s->rows, &s->rows_cap, s->nrows + 1, sizeof(right_row));
            right_row *row = &s->rows[s->nrows++];
            row->batch = index;
            row->row = r;
            row->hash = key_has_null(keys, plan->njoin_keys) ? 0 : hash_keys(keys, plan->njoin_keys);
            row->matched = false;
            row->next = -1;
        }
        uint64_t held = s->batch_bytes + s->rows_cap * sizeof(right_row) + s->right_cap * sizeof(kq_batch *);
        if (!kq_budget_update(op->run, &s->account, "join", "right-side rows", held, s->nrows))
            break;
    }
    free(keys);
    kq_op_close(right);
    s->nbuckets = 1;
    while (s->nbuckets < s->nrows * 2 + 1)
        s->nbuckets *= 2;
    uint64_t held = s->account.bytes + s->nbuckets * sizeof(int32_t);
    if (!op->run->error)
        kq_budget_update(op->run, &s->account, "join", "right-side rows", held, s->nrows);
    s->buckets = kq_xmalloc(s->nbuckets * sizeof(int32_t));
    for (size_t i = 0; i < s->nbuckets; i++)
        s->buckets[i] = -1;
    /* Insert in reverse so each chain lists right rows in input order. */
    for (size_t i = s->nrows; i-- > 0;) {
        size_t bucket = s->rows[i].hash & (s->nbuckets - 1);
        s->rows[i].next = s->buckets[bucket];
        s->buckets[bucket] = (int32_t)i;
    }
    s->built = true;
}

/* Output row builder: appends left/right cells (right NULL for unmatched left rows and vice versa). */
typedef struct row_sink {
    kq_batch *out;
    uint32_t count;
} row_sink;

static void emit_row(const kq_plan *plan, row_sink *sink, const kq_batch *left, uint32_t lrow,
                     const kq_batch *right, uint32_t rrow)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < plan->nleft_out; i++, c++)
        kq_batch_set(sink->out, c, sink->count,
                     left ? kq_column_get(&left->cols[plan->left_out[i]], lrow) : kq_null(sink->out->cols[c].type));
    for (uint32_t i = 0; i < plan->nright_out; i++, c++)
        kq_batch_set(sink->out, c, sink->count,
                     right ? kq_column_get(&right->cols[plan->right_out[i]], rrow) : kq_null(sink->out->cols[c].type));
    sink->count++;
}

/* innerunique: true when a left row with these keys was already joined; records the keys otherwise. */
static bool seen_before(join_state *s, uint64_t hash, const kq_value *keys, uint32_t n)
{
    if ((s->nseen + 1) * 2 > s->seen_cap) {
        size_t cap = s->seen_cap ? s->seen_cap * 2 : 256;
        uint32_t *slots = kq_xcalloc(cap, sizeof(uint32_t));
        for (size_t i = 0; i < s->seen_cap; i++)
            if (s->seen_slots[i]) {
                size_t h = s->seen[s->seen_slots[i] - 1] & (cap - 1);
                while (slots[h])
                    h = (h + 1) & (cap - 1);
                slots[h] = s->seen_slots[i];
            }
        free(s->seen_slots);
        s->seen_slots = slots;
        s->seen_cap = cap;
        s->seen = kq_xrealloc(s->seen, cap * sizeof(uint64_t));
        s->seen_keys = kq_xrealloc(s->seen_keys, cap * sizeof(kq_value *));
    }
    size_t h = hash & (s->seen_cap - 1);
    while (s->seen_slots[h]) {
        size_t i = s->seen_slots[h] - 1;
        if (s->seen[i] == hash && keys_equal(s->seen_keys[i], keys, n))
            return true;
        h = (h + 1) & (s->seen_cap - 1);
    }
    s->seen[s->nseen] = hash;
    s->seen_keys[s->nseen] = kq_arena_alloc(s->arena, n * sizeof(kq_value));
    for (uint32_t k = 0; k < n; k++)
        s->seen_keys[s->nseen][k] = kq_value_copy(s->arena, keys[k]);
    s->seen_slots[h] = (uint32_t)++s->nseen;
    return false;
}

static kq_batch *new_output(kq_op *op, join_state *s, uint32_t capacity)
{
    return kq_batch_new(op->plan->schema.count, s->types, capacity);
}

/* Joins one left batch. Matches can multiply rows, so output grows in chunks. */
static kq_batch *join_left_batch(kq_op *op, join_state *s, kq_batch *left, kq_arena *scratch)
{
    const kq_plan *plan = op->plan;
    int kind = plan->join_kind;
    uint32_t cap = left->nrows ? left->nrows : 1;
    row_sink sink = {new_output(op, s, cap), 0};
    kq_value *keys = kq_arena_alloc(scratch, (plan->njoin_keys + 1) * sizeof(kq_value));
    kq_value *other = kq_arena_alloc(scratch, (plan->njoin_keys + 1) * sizeof(kq_value));
    for (uint32_t r = 0; r < left->nrows; r++) {
        get_keys(left, r, plan->left_keys, plan->njoin_keys, keys);
        bool null_key = key_has_null(keys, plan->njoin_keys);
        uint64_t hash = null_key ? 0 : hash_keys(keys, plan->njoin_keys);
        if (kind == KQ_JOIN_INNERUNIQUE && !null_key && seen_before(s, hash, keys, plan->njoin_keys))
            continue;
        bool matched = false;
        for (int32_t i = null_key ? -1 : s->buckets[hash & (s->nbuckets - 1)]; i >= 0; i = s->rows[i].next) {
            right_row *rr = &s->rows[i];
            if (rr->hash != hash)
                continue;
            kq_batch *right = s->right_batches[rr->batch];
            get_keys(right, rr->row, plan->right_keys, plan->njoin_keys, other);
            if (!keys_equal(keys, other, plan->njoin_keys))
                continue;
            matched = true;
            rr->matched = true;
            if (kind == KQ_JOIN_LEFTSEMI || kind == KQ_JOIN_LEFTANTI || kind == KQ_JOIN_RIGHTSEMI ||
                kind == KQ_JOIN_RIGHTANTI)
                continue;
            if (sink.count == cap) {
                /* Grow: move the rows so far into a bigger batch. */
                kq_batch *bigger = new_output(op, s, cap * 2);
                for (uint32_t c = 0; c < plan->schema.count; c++)
                    for (uint32_t k = 0; k < sink.count; k++)
                        kq_batch_set(bigger, c, k, kq_column_get(&sink.out->cols[c], k));
                for (uint32_t k = 0; k < sink.out->nborrowed; k++)
                    kq_batch_borrow(bigger, sink.out->borrowed[k]);
                kq_batch_release(sink.out);
                sink.out = bigger;
                cap *= 2;
            }
            emit_row(plan, &sink, left, r, right, rr->row);
        }
        bool keep_unmatched = kind == KQ_JOIN_LEFTOUTER || kind == KQ_JOIN_FULLOUTER;
        bool keep_left = (kind == KQ_JOIN_LEFTSEMI && matched) || (kind == KQ_JOIN_LEFTANTI && !matched) ||
                         (keep_unmatched && !matched);
        if (keep_left) {
            if (sink.count == cap) {
                kq_batch *bigger = new_output(op, s, cap * 2);
                for (uint32_t c = 0; c < plan->schema.count; c++)
                    for (uint32_t k = 0; k < sink.count; k++)
                        kq_batch_set(bigger, c, k, kq_column_get(&sink.out->cols[c], k));
                for (uint32_t k = 0; k < sink.out->nborrowed; k++)
                    kq_batch_borrow(bigger, sink.out->borrowed[k]);
                kq_batch_release(sink.out);
                sink.out = bigger;
                cap *= 2;
            }
            emit_row(plan, &sink, left, r, NULL, 0);
        }
    }
    sink.out->nrows = sink.count;
    kq_batch_borrow(sink.out, left);
    for (size_t i = 0; i < s->nright_batches && plan->nright_out; i++)
        kq_batch_borrow(sink.out, s->right_batches[i]);
    return sink.out;
}

/* After the left side: right rows that never matched (rightouter, fullouter, rightanti) or did (rightsemi). */
static kq_batch *emit_right_rows(kq_op *op, join_state *s)
{
    const kq_plan *plan = op->plan;
    int kind = plan->join_kind;
    bool want_matched = kind == KQ_JOIN_RIGHTSEMI;
    if (kind != KQ_JOIN_RIGHTOUTER && kind != KQ_JOIN_FULLOUTER && kind != KQ_JOIN_RIGHTANTI && !want_matched)
        return NULL;
    row_sink sink = {new_output(op, s, KQ_BATCH_ROWS), 0};
    while (s->right_emit < s->nrows && sink.count < KQ_BATCH_ROWS) {
        right_row *rr = &s->rows[s->right_emit++];
        if (rr->matched != want_matched)
            continue;
        emit_row(plan, &sink, NULL, 0, s->right_batches[rr->batch], rr->row);
    }
    sink.out->nrows = sink.count;
    for (size_t i = 0; i < s->nright_batches; i++)
        kq_batch_borrow(sink.out, s->right_batches[i]);
    if (sink.count == 0 && s->right_emit >= s->nrows) {
        kq_batch_release(sink.out);
        return NULL;
    }
    return sink.out;
}

static kq_batch *join_next(kq_op *op)
{
    join_state *s = op->state;
    if (!s->built)
        build_right(op, s);
    kq_arena *scratch = kq_arena_new(16 * 1024);
    while (!s->left_done && !op->run->error) {
        kq_batch *left = op->input->next(op->input);
        if (!left) {
            s->left_done = true;
            break;
        }
        kq_batch *out = join_left_batch(op, s, left, scratch);
        kq_batch_release(left);
        if (out->nrows > 0) {
            kq_arena_free(scratch);
            return out;
        }
        kq_batch_release(out);
    }
    kq_arena_free(scratch);
    if (op->run->error)
        return NULL;
    return emit_right_rows(op, s);
}

static void join_close(kq_op *op)
{
    join_state *s = op->state;
    kq_budget_release(op->run, &s->account);
    for (size_t i = 0; i < s->nright_batches; i++)
        kq_batch_release(s->right_batches[i]);
    free(s->right_batches);
    free(s->rows);
    free(s->buckets);
    free(s->seen);
    free(s->seen_keys);
    free(s->seen_slots);
    kq_arena_free(s->arena);
    free(s->types);
    free(s);
}

kq_op *kq_op_join(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    join_state *s = kq_xcalloc(1, sizeof *s);
    s->arena = kq_arena_new(64 * 1024);
    s->types = kq_xmalloc((plan->schema.count + 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < plan->schema.count; c++)
        s->types[c] = plan->schema.fields[c].type;
    op->state = s;
    op->next = join_next;
    op->close = join_close;
    return op;
}
