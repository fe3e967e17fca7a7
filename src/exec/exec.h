/*
 * Execution: runs a compiled plan over catalog tables, batch by batch.
 *
 * Each plan node becomes an operator with a next() that returns the next
 * output batch (a new reference the caller releases) or NULL at the end.
 * Operators that need all their input (summarize, sort) read it on their
 * first next() call. All per-run state lives in kq_run, so one plan can run
 * many times and from several threads.
 */
#ifndef KQ_EXEC_EXEC_H
#define KQ_EXEC_EXEC_H

#include "exec/budget.h"
#include "kql/plan.h"
#include "table/catalog.h"

typedef struct kq_value_set kq_value_set;
typedef struct kq_window_state kq_window_state;

typedef struct kq_run {
    const kq_catalog *catalog;
    const kq_query *query;
    int64_t now;                /* ticks; fixed for the whole run */
    kq_arena *arena;            /* run-lifetime allocations: value sets, subquery results */
    kq_value_set **sets;        /* one per list-operator slot, built on first use */
    kq_value *scalars;          /* toscalar() results, one per slot */
    kq_batch **apply_rows;      /* mv-apply: the row its subquery is running on, one per slot */
    bool *scalar_done;
    kq_window_state **windows;  /* window functions' state across rows, one per slot (window.c) */
    char *error;                /* first run-time error; the run stops when set */
    kq_budget budget;           /* memory and rows the operators hold (budget.h) */
    int threads;                /* threads a scan and the operators after it may use (exchange.c) */
} kq_run;

typedef struct kq_op kq_op;

struct kq_op {
    const kq_plan *plan;
    kq_run *run;
    kq_op *input;
    kq_batch *(*next)(kq_op *op);
    void (*close)(kq_op *op);
    void *state;
};

/* The rows a query returned. */
typedef struct kq_result {
    kq_schema schema;
    kq_arena *arena;            /* schema names */
    kq_batch **batches;
    size_t nbatches, cap;
    uint64_t nrows;
} kq_result;

/*
 * Runs query against catalog with now (ticks) under the process-wide limits
 * (kq_exec_set_default_limits). Returns NULL and sets *error (malloc'd) on failure.
 */
kq_result *kq_execute(const kq_query *query, const kq_catalog *catalog, int64_t now, char **error);
/* Runs query like kq_execute under limits (NULL or zero members: the defaults). */
kq_result *kq_execute_limited(const kq_query *query, const kq_catalog *catalog, int64_t now,
                              const kq_exec_limits *limits, char **error);
/*
 * Sets the limits kq_execute applies from now on, for callers that reach it
 * through other layers (rule runs, exclusions, scheduled alerts). Call it
 * before any query runs: the setting is not synchronized with running threads.
 */
void kq_exec_set_default_limits(const kq_exec_limits *limits);
/* The limits kq_execute uses; runs set up elsewhere (exclusions) take them too. */
const kq_exec_limits *kq_exec_default_limits(void);
void kq_result_free(kq_result *result);

/*
 * Builds, on `threads` threads (0: one per online CPU), the term filters and
 * datetime ranges that the where clauses of queries read from table batches
 * (batch_verdict.c, term_filter.c), the same ones the queries would build on
 * first use. Later runs only read them, so they no longer build them one
 * batch at a time on one thread. Results do not change.
 */
void kq_prepare_batch_facts(const kq_query *const *queries, size_t count, const kq_catalog *catalog, int64_t now,
                            int threads);

/* ---- used by the operator files ---- */

/* Sets up a run of query (limits: as for kq_execute_limited); kq_execute does this itself. */
void kq_run_init(kq_run *run, const kq_query *query, const kq_catalog *catalog, int64_t now,
                 const kq_exec_limits *limits);
/* Frees a run set up by kq_run_init, with its error message. */
void kq_run_free(kq_run *run);
kq_op *kq_op_build(kq_run *run, const kq_plan *plan);
void kq_op_close(kq_op *op);
kq_op *kq_op_new(kq_run *run, const kq_plan *plan, kq_op *input);
void kq_run_fail(kq_run *run, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Runs a subplan to the end and returns its first column's values (in run->arena). */
kq_value *kq_run_collect_column(kq_run *run, const kq_plan *plan, size_t *count);

/*
 * Evaluates e for rows[0..n) of batch into out[0..n). Strings and dynamic
 * values that functions create are allocated in `arena`. batch may be NULL
 * for expressions that read no column (n is then 1).
 */
void kq_eval(kq_run *run, const kq_expr *e, kq_batch *batch, const uint32_t *rows, uint32_t n,
             kq_value *out, kq_arena *arena);

/* Operator constructors, one per file. */
kq_op *kq_op_scan(kq_run *run, const kq_plan *plan);
/* A scan that returns only the batches kq_scan_feed hands it, one per call, for exchange.c. */
kq_op *kq_op_scan_fed(kq_run *run, const kq_plan *plan);
/* Sets the batch a fed scan returns on its next call (not retained: the table keeps it alive). */
void kq_scan_feed(kq_op *scan, kq_batch *batch);
/*
 * Runs the where, project and extend operators over a table scan (plan is
 * the topmost of them) on run->threads threads, returning their batches in
 * table order. NULL when the chain cannot run that way: kq_op_build then
 * builds it as usual.
 */
kq_op *kq_op_exchange(kq_run *run, const kq_plan *plan);
bool kq_op_is_exchange(const kq_op *op);
/* Returns true when e reads nothing but its own row: no window function and no subquery. */
bool kq_expr_is_local(const kq_expr *e);
typedef void (*kq_exchange_consume)(void *user, size_t morsel, kq_run *run, kq_batch *batch);
typedef void (*kq_exchange_done)(void *user, size_t morsel, const char *error);
/*
 * Runs an exchange's chain over its table batches in morsels of
 * morsel_batches consecutive batches, on its threads, before any call of its
 * next. consume gets each batch the chain gives, on the thread that runs the
 * morsel and with that thread's run, and releases it. done runs on the
 * calling thread in morsel order, once the morsel and every earlier one are
 * finished, with the run error the chain raised in the morsel or NULL.
 */
void kq_exchange_morsels(kq_op *exchange, size_t morsel_batches, kq_exchange_consume consume,
                         kq_exchange_done done, void *user);
/* Returns how many morsels kq_exchange_morsels would run. */
size_t kq_exchange_morsel_count(const kq_op *exchange, size_t morsel_batches);
/* When scan is a table scan, lets it skip unread the on-disk batches on which predicate is false on every row. */
void kq_scan_skip_unless(kq_op *scan, const kq_expr *predicate);
kq_op *kq_op_datatable(kq_run *run, const kq_plan *plan);
kq_op *kq_op_where(kq_run *run, const kq_plan *plan, kq_op *input);
/* Returns true when e has one value on every row (constants, and calls on them other than rand and new_guid). */
bool kq_expr_is_constant(const kq_expr *e);
/* True for a function that returns another value on every call (rand, new_guid). */
bool kq_function_is_random(const kq_function *fn);
/* Returns true when the comparison e (has, ==, in, ...) is false on every row of batch, from its terms. */
bool kq_terms_exclude(const kq_expr *e, kq_batch *batch);

/* What a where clause's predicate is on a whole batch, decided without evaluating it per row. */
typedef enum kq_verdict { KQ_VERDICT_SOME, KQ_VERDICT_NONE, KQ_VERDICT_ALL } kq_verdict;
kq_verdict kq_batch_verdict(kq_run *run, const kq_expr *predicate, kq_batch *batch, kq_arena *arena);
kq_op *kq_op_project(kq_run *run, const kq_plan *plan, kq_op *input);
kq_op *kq_op_summarize(kq_run *run, const kq_plan *plan, kq_op *input);
kq_op *kq_op_sort(kq_run *run, const kq_plan *plan, kq_op *input);
kq_op *kq_op_take(kq_run *run, const kq_plan *plan, kq_op *input);
kq_op *kq_op_count(kq_run *run, const kq_plan *plan, kq_op *input);
kq_op *kq_op_join(kq_run *run, const kq_plan *plan, kq_op *input);
kq_op *kq_op_union(kq_run *run, const kq_plan *plan);
kq_op *kq_op_mv_expand(kq_run *run, const kq_plan *plan, kq_op *input);
kq_op *kq_op_parse(kq_run *run, const kq_plan *plan, kq_op *input);
kq_op *kq_op_parse_kv(kq_run *run, const kq_plan *plan, kq_op *input);
kq_op *kq_op_scan_steps(kq_run *run, const kq_plan *plan, kq_op *input);
kq_op *kq_op_graph_match(kq_run *run, const kq_plan *plan, kq_op *input);
/* Window functions (window.c): evaluation, and the state reset an operator does when built. */
void kq_eval_window(kq_run *run, const kq_expr *e, kq_batch *batch, const uint32_t *rows, uint32_t n, kq_value *out,
                    kq_arena *arena);
void kq_window_reset(kq_run *run, const kq_expr *e);
/* True when e calls a window function, so its rows cannot be skipped by batch. */
bool kq_expr_has_window(const kq_expr *e);
void kq_window_free_all(kq_run *run);
/* A batch of parse's or parse-kv's output: the input's columns, with fresh all-null
 * vectors for plan->parse_columns (replacing input columns of the same name). */
kq_batch *kq_parse_output_batch(const kq_plan *plan, const kq_type *types, kq_batch *in);
kq_op *kq_op_range(kq_run *run, const kq_plan *plan);
kq_op *kq_op_mv_apply(kq_run *run, const kq_plan *plan, kq_op *input);
kq_op *kq_op_apply_row(kq_run *run, const kq_plan *plan);
kq_op *kq_op_top_nested(kq_run *run, const kq_plan *plan, kq_op *input);
kq_op *kq_op_make_series(kq_run *run, const kq_plan *plan, kq_op *input);
kq_op *kq_op_partition(kq_run *run, const kq_plan *plan, kq_op *input);

/* Copies selected rows of a batch into a new batch that borrows the source's strings. */
kq_batch *kq_batch_gather(kq_batch *source, const uint32_t *rows, uint32_t n);
/* Hash of a value for grouping; equal values (kq_value_equal, nulls equal) hash equally. */
uint64_t kq_value_hash(const kq_value *v);

#endif
