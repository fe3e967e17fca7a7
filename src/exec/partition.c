/*
 * partition: reads its whole input, groups the rows by the partition column (first-seen
 * order), and runs the subquery over each group's rows in turn; the subquery reads them
 * from the run's apply slot, as mv-apply's subquery does.
 */
#include "exec/exec.h"
#include "base/util.h"

#include <stdlib.h>

typedef struct partition_state {
    kq_batch **inputs;
    size_t ninputs, inputs_cap;
    uint32_t *rows;          /* per partition, contiguous: (batch, row) pairs */
    size_t *starts;          /* partition p's pairs are rows[starts[p] .. starts[p + 1]) */
    size_t npartitions;
    size_t next;
    kq_op *sub;
    bool consumed;
    kq_type *types;
} partition_state;

static void consume(kq_op *op, partition_state *s)
{
    const kq_plan *plan = op->plan;
    kq_batch *batch;
    uint32_t *pairs = NULL, *group = NULL;
    size_t npairs = 0, pairs_cap = 0, group_cap = 0;
    kq_value *keys = NULL;
    size_t nkeys = 0, keys_cap = 0;
    size_t nslots = 1024;
    size_t *slots = kq_xcalloc(nslots, sizeof(size_t));
    while (!op->run->error && (batch = op->input->next(op->input))) {
        kq_grow((void **)&s->inputs, &s->inputs_cap, s->ninputs + 1, sizeof(kq_batch *));
        uint32_t index = (uint32_t)s->ninputs;
        s->inputs[s->ninputs++] = batch;
        for (uint32_t r = 0; r < batch->nrows; r++) {
            kq_value key = kq_column_get(&batch->cols[plan->partition_column], r);
            if ((nkeys + 1) * 2 > nslots) {
                size_t grown = nslots * 2;
                size_t *bigger = kq_xcalloc(grown, sizeof(size_t));
                for (size_t k = 0; k < nkeys; k++) {
                    size_t h = kq_value_hash(&keys[k]) & (grown - 1);
                    while (bigger[h])
                        h = (h + 1) & (grown - 1);
                    bigger[h] = k + 1;
                }
                free(slots);
                slots = bigger;
                nslots = grown;
            }
            size_t h = kq_value_hash(&key) & (nslots - 1);
            while (slots[h] && !kq_value_equal(&keys[slots[h] - 1], &key))
                h = (h + 1) & (nslots - 1);
            if (!slots[h]) {
                kq_grow((void **)&keys, &keys_cap, nkeys + 1, sizeof(kq_value));
                keys[nkeys++] = key;
                slots[h] = nkeys;
            }
            kq_grow((void **)&pairs, &pairs_cap, npairs + 2, 2 * sizeof(uint32_t));
            kq_grow((void **)&group, &group_cap, npairs / 2 + 1, sizeof(uint32_t));
            group[npairs / 2] = (uint32_t)(slots[h] - 1);
            pairs[npairs++] = index;
            pairs[npairs++] = r;
        }
    }
    free(slots);
    /* Counting sort of the (batch, row) pairs by partition, keeping input order inside each. */
    s->npartitions = nkeys;
    s->starts = kq_xcalloc(nkeys + 1, sizeof(size_t));
    for (size_t i = 0; i < npairs / 2; i++)
        s->starts[group[i] + 1]++;
    for (size_t p = 0; p < nkeys; p++)
        s->starts[p + 1] += s->starts[p];
    size_t *fill = kq_xcalloc(nkeys + 1, sizeof(size_t));
    s->rows = kq_xmalloc((npairs ? npairs : 1) * sizeof(uint32_t));
    for (size_t i = 0; i < npairs / 2; i++) {
        size_t at = s->starts[group[i]] + fill[group[i]]++;
        s->rows[2 * at] = pairs[2 * i];
        s->rows[2 * at + 1] = pairs[2 * i + 1];
    }
    free(fill);
    free(pairs);
    free(group);
    free(keys);
}

/* The rows of partition p as one batch that borrows the input batches. */
static kq_batch *partition_rows(kq_op *op, partition_state *s, size_t p)
{
    const kq_schema *schema = &op->plan->input->schema;
    size_t n = s->starts[p + 1] - s->starts[p];
    kq_type *types = kq_xmalloc((schema->count + 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < schema->count; c++)
        types[c] = schema->fields[c].type;
    kq_batch *out = kq_batch_new(schema->count, types, (uint32_t)n);
    free(types);
    for (size_t i = 0; i < n; i++) {
        const uint32_t *pair = &s->rows[2 * (s->starts[p] + i)];
        kq_batch *source = s->inputs[pair[0]];
        for (uint32_t c = 0; c < schema->count; c++)
            kq_batch_set(out, c, (uint32_t)i, kq_column_get(&source->cols[c], pair[1]));
        kq_batch_borrow(out, source);
    }
    out->nrows = (uint32_t)n;
    return out;
}

static kq_batch *partition_next(kq_op *op)
{
    partition_state *s = op->state;
    kq_run *run = op->run;
    if (!s->consumed) {
        s->consumed = true;
        consume(op, s);
    }
    for (;;) {
        if (run->error)
            return NULL;
        if (s->sub) {
            kq_batch *result = s->sub->next(s->sub);
            if (result)
                return result;
            kq_op_close(s->sub);
            s->sub = NULL;
            kq_batch_release(run->apply_rows[op->plan->apply_slot]);
            run->apply_rows[op->plan->apply_slot] = NULL;
        }
        if (s->next >= s->npartitions)
            return NULL;
        run->apply_rows[op->plan->apply_slot] = partition_rows(op, s, s->next++);
        s->sub = kq_op_build(run, op->plan->right);
    }
}

static void partition_close(kq_op *op)
{
    partition_state *s = op->state;
    if (s->sub) {
        kq_op_close(s->sub);
        kq_batch_release(op->run->apply_rows[op->plan->apply_slot]);
        op->run->apply_rows[op->plan->apply_slot] = NULL;
    }
    for (size_t i = 0; i < s->ninputs; i++)
        kq_batch_release(s->inputs[i]);
    free(s->inputs);
    free(s->rows);
    free(s->starts);
    free(s);
}

kq_op *kq_op_partition(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    op->state = kq_xcalloc(1, sizeof(partition_state));
    op->next = partition_next;
    op->close = partition_close;
    return op;
}
