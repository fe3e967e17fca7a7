/* Running a query: builds the operator tree, drains it into a result, and manages run state. */
#include "exec/exec.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kq_run_fail(kq_run *run, const char *format, ...)
{
    if (run->error)
        return;
    va_list args;
    va_start(args, format);
    char message[512];
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    run->error = kq_xstrdup(message);
}

kq_op *kq_op_new(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_xcalloc(1, sizeof *op);
    op->plan = plan;
    op->run = run;
    op->input = input;
    return op;
}

kq_op *kq_op_build(kq_run *run, const kq_plan *plan)
{
    if (run->threads > 1 && (plan->kind == KQ_PLAN_WHERE || plan->kind == KQ_PLAN_PROJECT)) {
        kq_op *exchange = kq_op_exchange(run, plan);
        if (exchange)
            return exchange;
    }
    /* summarize right over a table aggregates on the threads of an exchange too (summarize.c). */
    if (run->threads > 1 && plan->kind == KQ_PLAN_SUMMARIZE && plan->input && plan->input->kind == KQ_PLAN_SCAN) {
        kq_op *exchange = kq_op_exchange(run, plan->input);
        if (exchange)
            return kq_op_summarize(run, plan, exchange);
    }
    kq_op *input = plan->input ? kq_op_build(run, plan->input) : NULL;
    switch (plan->kind) {
    case KQ_PLAN_SCAN: return kq_op_scan(run, plan);
    case KQ_PLAN_DATATABLE: return kq_op_datatable(run, plan);
    case KQ_PLAN_WHERE: return kq_op_where(run, plan, input);
    case KQ_PLAN_PROJECT: return kq_op_project(run, plan, input);
    case KQ_PLAN_SUMMARIZE: return kq_op_summarize(run, plan, input);
    case KQ_PLAN_SORT:
    case KQ_PLAN_TOP: return kq_op_sort(run, plan, input);
    case KQ_PLAN_TAKE: return kq_op_take(run, plan, input);
    case KQ_PLAN_COUNT: return kq_op_count(run, plan, input);
    case KQ_PLAN_JOIN: return kq_op_join(run, plan, input);
    case KQ_PLAN_UNION: return kq_op_union(run, plan);
    case KQ_PLAN_MV_EXPAND: return kq_op_mv_expand(run, plan, input);
    case KQ_PLAN_PARSE: return kq_op_parse(run, plan, input);
    case KQ_PLAN_PARSE_KV: return kq_op_parse_kv(run, plan, input);
    case KQ_PLAN_SCAN_STEPS: return kq_op_scan_steps(run, plan, input);
    case KQ_PLAN_GRAPH_MATCH: return kq_op_graph_match(run, plan, input);
    case KQ_PLAN_GRAPH: break; /* the binder lets make-graph reach the run only through graph-match */
    case KQ_PLAN_RANGE: return kq_op_range(run, plan);
    case KQ_PLAN_MV_APPLY: return kq_op_mv_apply(run, plan, input);
    case KQ_PLAN_APPLY_ROW: return kq_op_apply_row(run, plan);
    case KQ_PLAN_TOP_NESTED: return kq_op_top_nested(run, plan, input);
    case KQ_PLAN_MAKE_SERIES: return kq_op_make_series(run, plan, input);
    case KQ_PLAN_PARTITION: return kq_op_partition(run, plan, input);
    }
    return NULL;
}

void kq_op_close(kq_op *op)
{
    if (!op)
        return;
    kq_op_close(op->input);
    if (op->close)
        op->close(op);
    free(op);
}

kq_value *kq_run_collect_column(kq_run *run, const kq_plan *plan, size_t *count)
{
    kq_op *op = kq_op_build(run, plan);
    kq_value *values = NULL;
    size_t n = 0, cap = 0;
    kq_batch *batch;
    while (!run->error && (batch = op->next(op))) {
        for (uint32_t r = 0; r < batch->nrows; r++) {
            kq_grow((void **)&values, &cap, n + 1, sizeof(kq_value));
            values[n++] = kq_value_copy(run->arena, kq_column_get(&batch->cols[0], r));
        }
        kq_batch_release(batch);
    }
    kq_op_close(op);
    kq_value *out = kq_arena_alloc(run->arena, (n ? n : 1) * sizeof(kq_value));
    if (n)
        memcpy(out, values, n * sizeof(kq_value));
    free(values);
    *count = n;
    return out;
}

static kq_exec_limits default_limits;

void kq_run_init(kq_run *run, const kq_query *query, const kq_catalog *catalog, int64_t now,
                 const kq_exec_limits *limits)
{
    memset(run, 0, sizeof *run);
    run->catalog = catalog;
    run->query = query;
    run->now = now;
    kq_budget_init(&run->budget, limits);
    run->threads = limits && limits->threads > 1 ? limits->threads : 1;
    size_t slots = query->nslots ? (size_t)query->nslots : 1;
    run->arena = kq_arena_new(64 * 1024);
    run->sets = kq_arena_alloc(run->arena, slots * sizeof(kq_value_set *));
    run->scalars = kq_arena_alloc(run->arena, slots * sizeof(kq_value));
    run->scalar_done = kq_arena_alloc(run->arena, slots * sizeof(bool));
    run->apply_rows = kq_arena_alloc(run->arena, slots * sizeof(kq_batch *));
    run->windows = kq_arena_alloc(run->arena, slots * sizeof(kq_window_state *));
}

void kq_run_free(kq_run *run)
{
    kq_window_free_all(run);
    kq_arena_free(run->arena);
    free(run->error);
    run->arena = NULL;
    run->error = NULL;
}

void kq_exec_set_default_limits(const kq_exec_limits *limits)
{
    default_limits = limits ? *limits : (kq_exec_limits){0};
}

const kq_exec_limits *kq_exec_default_limits(void)
{
    return &default_limits;
}

kq_result *kq_execute(const kq_query *query, const kq_catalog *catalog, int64_t now, char **error)
{
    return kq_execute_limited(query, catalog, now, &default_limits, error);
}

kq_result *kq_execute_limited(const kq_query *query, const kq_catalog *catalog, int64_t now,
                              const kq_exec_limits *limits, char **error)
{
    kq_run run;
    kq_run_init(&run, query, catalog, now, limits);
    kq_result *result = kq_xcalloc(1, sizeof *result);
    result->arena = kq_arena_new(4096);
    result->schema = kq_schema_copy(result->arena, &query->root->schema);
    kq_op *root = kq_op_build(&run, query->root);
    kq_batch *batch;
    while (!run.error && (batch = root->next(root))) {
        if (batch->nrows == 0) {
            kq_batch_release(batch);
            continue;
        }
        kq_grow((void **)&result->batches, &result->cap, result->nbatches + 1, sizeof(kq_batch *));
        result->batches[result->nbatches++] = batch;
        result->nrows += batch->nrows;
    }
    kq_op_close(root);
    kq_window_free_all(&run);
    kq_arena_free(run.arena);
    if (run.error) {
        *error = run.error;
        kq_result_free(result);
        return NULL;
    }
    return result;
}

void kq_result_free(kq_result *result)
{
    if (!result)
        return;
    for (size_t i = 0; i < result->nbatches; i++)
        kq_batch_release(result->batches[i]);
    free(result->batches);
    kq_arena_free(result->arena);
    free(result);
}

/* Copies rows of a column into column c of out; a column without nulls or codes is copied slot by slot. */
static void gather_column(kq_batch *out, uint32_t c, const kq_column *from, const uint32_t *rows, uint32_t n)
{
    kq_column *to = &out->cols[c];
    if (!from->codes && !from->nulls) {
        switch (from->type) {
        case KQ_STRING:
        case KQ_GUID:
            for (uint32_t i = 0; i < n; i++)
                to->v.s[i] = from->v.s[rows[i]];
            return;
        case KQ_INT:
        case KQ_LONG:
        case KQ_DATETIME:
        case KQ_TIMESPAN:
            for (uint32_t i = 0; i < n; i++)
                to->v.l[i] = from->v.l[rows[i]];
            return;
        default:
            break;
        }
    }
    for (uint32_t i = 0; i < n; i++)
        kq_batch_set(out, c, i, kq_column_get(from, rows[i]));
}

kq_batch *kq_batch_gather(kq_batch *source, const uint32_t *rows, uint32_t n)
{
    uint32_t ncols = source->ncols;
    kq_type *types = kq_xmalloc((ncols ? ncols : 1) * sizeof(kq_type));
    /* A column no query reads stays absent: copying its nulls would cost as much as a real column. */
    bool *absent = kq_xcalloc(ncols ? ncols : 1, sizeof *absent);
    for (uint32_t c = 0; c < ncols; c++) {
        types[c] = source->cols[c].type;
        absent[c] = n <= KQ_BATCH_ROWS && kq_column_is_absent(&source->cols[c]);
    }
    kq_batch *out = kq_batch_new_sparse(ncols, types, n, absent);
    free(types);
    for (uint32_t c = 0; c < ncols; c++) {
        if (!absent[c])
            gather_column(out, c, &source->cols[c], rows, n);
    }
    free(absent);
    out->nrows = n;
    kq_batch_borrow(out, source);
    return out;
}

uint64_t kq_value_hash(const kq_value *v)
{
    uint64_t h = UINT64_C(14695981039346656037);
    if (v->null)
        return h ^ 0x9e3779b97f4a7c15u;
    const unsigned char *p;
    size_t len;
    double r;
    switch (v->type) {
    case KQ_STRING:
    case KQ_GUID:
        p = (const unsigned char *)v->u.s.ptr;
        len = v->u.s.len;
        break;
    case KQ_REAL:
    case KQ_DECIMAL:
        r = v->u.r == 0 ? 0 : v->u.r;
        p = (const unsigned char *)&r;
        len = sizeof r;
        break;
    case KQ_BOOL:
        return h ^ (v->u.b ? 1 : 2);
    case KQ_DYNAMIC:
        return kq_dyn_hash(v->u.d);
    default:
        p = (const unsigned char *)&v->u.l;
        len = sizeof v->u.l;
        break;
    }
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}
