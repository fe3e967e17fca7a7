/* Scan and datatable: the sources of a plan. */
#include "exec/exec.h"
#include "base/util.h"

#include <string.h>

typedef struct scan_state {
    const kq_table *table;
    size_t next_batch;
} scan_state;

static kq_batch *scan_next(kq_op *op)
{
    scan_state *state = op->state;
    if (!state->table || state->next_batch >= state->table->nbatches)
        return NULL;
    kq_batch *batch = state->table->batches[state->next_batch++];
    kq_batch_retain(batch);
    return batch;
}

static void free_state(kq_op *op)
{
    free(op->state);
}

kq_op *kq_op_scan(kq_run *run, const kq_plan *plan)
{
    kq_op *op = kq_op_new(run, plan, NULL);
    scan_state *state = kq_xcalloc(1, sizeof *state);
    const char *name = plan->table_name;
    state->table = run->catalog ? kq_catalog_table(run->catalog, name, strlen(name)) : NULL;
    if (state->table && state->table->schema.count != plan->schema.count)
        kq_run_fail(run, "table %s changed after the query was compiled", name);
    op->state = state;
    op->next = scan_next;
    op->close = free_state;
    return op;
}

typedef struct datatable_state {
    uint64_t next_row;
} datatable_state;

static kq_batch *datatable_next(kq_op *op)
{
    datatable_state *state = op->state;
    const kq_plan *plan = op->plan;
    if (state->next_row >= plan->nrows)
        return NULL;
    uint64_t rows = plan->nrows - state->next_row;
    if (rows > KQ_BATCH_ROWS)
        rows = KQ_BATCH_ROWS;
    uint32_t ncols = plan->schema.count;
    kq_type *types = kq_xmalloc(ncols * sizeof(kq_type));
    for (uint32_t c = 0; c < ncols; c++)
        types[c] = plan->schema.fields[c].type;
    kq_batch *batch = kq_batch_new(ncols, types, (uint32_t)rows);
    free(types);
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t c = 0; c < ncols; c++)
            kq_batch_set(batch, c, r, plan->rows[(state->next_row + r) * ncols + c]);
    batch->nrows = (uint32_t)rows;
    state->next_row += rows;
    return batch;
}

kq_op *kq_op_datatable(kq_run *run, const kq_plan *plan)
{
    kq_op *op = kq_op_new(run, plan, NULL);
    op->state = kq_xcalloc(1, sizeof(datatable_state));
    op->next = datatable_next;
    op->close = free_state;
    return op;
}
