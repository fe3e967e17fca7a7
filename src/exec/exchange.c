/*
 * exchange: runs the where, project and extend operators right after a table
 * scan on several threads, and hands their batches on in table order.
 *
 * Each thread builds its own copy of the chain over a fed scan (scan.c), with
 * its own run state, and takes whole table batches (morsels). A round gives
 * out ROUND_BATCHES_PER_THREAD batches per thread. The next operator then
 * reads the round's output batch by batch in table order. Rows and their
 * order are those of one thread, so summarize, make_set and take see the
 * same input either way. A summarize can also have the threads aggregate
 * morsels of consecutive batches and merge them (kq_exchange_morsels).
 *
 * A chain runs here only when its batches are independent: no window
 * function (row_number, prev) carries state from one batch to the next, and
 * no subquery (`in (T | ...)`, toscalar) would be run once per thread.
 */
#include "exec/exec.h"
#include "base/parallel.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

/* Table batches a round gives each thread: enough that threads rarely wait at the end of a round. */
#define ROUND_BATCHES_PER_THREAD 8

/* The batches per thread per round; KQLITE_MORSEL_BATCHES lets tests make small tables take several rounds. */
static size_t round_batches_per_thread(void)
{
    return kq_env_count("KQLITE_MORSEL_BATCHES", ROUND_BATCHES_PER_THREAD);
}

/* What one table batch became: where and project give at most one batch per input batch. */
typedef struct exchange_item {
    kq_batch **out;
    size_t nout, cap, next;
    char *error; /* the run error the chain raised on this batch */
} exchange_item;

/* One thread's copy of the chain. */
typedef struct exchange_worker {
    kq_run run;
    kq_op *top, *scan;
} exchange_worker;

typedef struct exchange_state {
    const kq_table *table;
    size_t next_batch; /* the first table batch of the next round */
    int threads;
    exchange_worker *workers;
    size_t round_batches; /* per thread */
    exchange_item *items; /* the current round, in table order */
    size_t nitems, next_item;
    bool failed;
} exchange_state;

bool kq_expr_is_local(const kq_expr *e)
{
    if (!e)
        return true;
    if (e->kind == KQ_EXPR_WINDOW || e->kind == KQ_EXPR_SCALAR_SUBQUERY || e->nsubqueries > 0)
        return false;
    for (int i = 0; i < e->nargs; i++)
        if (!kq_expr_is_local(e->args[i]))
            return false;
    return true;
}

/* Returns the scan under a chain of where and project operators whose expressions are all local, or NULL. */
static const kq_plan *chain_scan(const kq_plan *plan)
{
    for (; plan; plan = plan->input) {
        if (plan->kind == KQ_PLAN_SCAN)
            return plan->table_name ? plan : NULL;
        if (plan->kind == KQ_PLAN_WHERE) {
            if (!kq_expr_is_local(plan->predicate))
                return NULL;
        } else if (plan->kind == KQ_PLAN_PROJECT) {
            for (uint32_t c = 0; c < plan->nexprs; c++)
                if (!kq_expr_is_local(plan->exprs[c]))
                    return NULL;
        } else {
            return NULL;
        }
    }
    return NULL;
}

/* Builds a thread's copy of the chain from plan down to its scan, which is fed. */
static kq_op *build_chain(kq_run *run, const kq_plan *plan, kq_op **scan)
{
    if (plan->kind == KQ_PLAN_SCAN) {
        *scan = kq_op_scan_fed(run, plan);
        return *scan;
    }
    kq_op *input = build_chain(run, plan->input, scan);
    return plan->kind == KQ_PLAN_WHERE ? kq_op_where(run, plan, input) : kq_op_project(run, plan, input);
}

static void add_output(exchange_item *item, kq_batch *batch)
{
    kq_grow((void **)&item->out, &item->cap, item->nout + 1, sizeof *item->out);
    item->out[item->nout++] = batch;
}

/* Runs a thread's chain over one table batch and hands each batch it gives to emit, until a run error. */
static void run_chain(exchange_worker *worker, kq_batch *input, void (*emit)(void *user, kq_batch *batch),
                      void *user)
{
    kq_scan_feed(worker->scan, input);
    kq_batch *batch;
    while (!worker->run.error && (batch = worker->top->next(worker->top)))
        emit(user, batch);
}

static void emit_to_item(void *user, kq_batch *batch)
{
    add_output(user, batch);
}

/* kq_parallel_for work: runs the thread's chain over one table batch of the round. */
static void run_item(void *user, size_t index, int thread)
{
    exchange_state *state = user;
    exchange_worker *worker = &state->workers[thread];
    exchange_item *item = &state->items[index];
    run_chain(worker, state->table->batches[state->next_batch + index], emit_to_item, item);
    if (worker->run.error) {
        /* The error ends the query at this batch, as on one thread; the worker's run is clean for the next. */
        item->error = worker->run.error;
        worker->run.error = NULL;
    }
}

static void clear_items(exchange_state *state)
{
    for (size_t i = 0; i < state->nitems; i++) {
        exchange_item *item = &state->items[i];
        for (size_t b = item->next; b < item->nout; b++)
            kq_batch_release(item->out[b]);
        free(item->out);
        free(item->error);
    }
    state->nitems = state->next_item = 0;
}

static void run_round(exchange_state *state)
{
    clear_items(state);
    size_t count = (size_t)state->threads * state->round_batches;
    if (count > state->table->nbatches - state->next_batch)
        count = state->table->nbatches - state->next_batch;
    memset(state->items, 0, count * sizeof *state->items);
    state->nitems = count;
    kq_parallel_for(count, state->threads, run_item, state);
    state->next_batch += count;
}

static kq_batch *exchange_next(kq_op *op)
{
    exchange_state *state = op->state;
    while (!state->failed && !op->run->error) {
        if (state->next_item < state->nitems) {
            exchange_item *item = &state->items[state->next_item];
            if (item->error) {
                kq_run_fail(op->run, "%s", item->error);
                state->failed = true;
                return NULL;
            }
            if (item->next < item->nout)
                return item->out[item->next++];
            state->next_item++;
            continue;
        }
        if (state->next_batch >= state->table->nbatches)
            return NULL;
        run_round(state);
    }
    return NULL;
}

bool kq_op_is_exchange(const kq_op *op)
{
    return op && op->next == exchange_next;
}

/* A run of kq_exchange_morsels. */
typedef struct morsel_job {
    exchange_state *state;
    size_t first, morsel_batches;
    char **errors; /* per morsel */
    kq_exchange_consume consume;
    kq_exchange_done done;
    void *user;
} morsel_job;

/* The morsel a thread is running, for emit_to_consumer. */
typedef struct morsel_run {
    const morsel_job *job;
    size_t index;
    kq_run *run;
} morsel_run;

static void emit_to_consumer(void *user, kq_batch *batch)
{
    const morsel_run *morsel = user;
    morsel->job->consume(morsel->job->user, morsel->index, morsel->run, batch);
}

static void morsel_work(void *user, size_t index, int thread)
{
    morsel_job *job = user;
    exchange_state *state = job->state;
    exchange_worker *worker = &state->workers[thread];
    size_t begin = job->first + index * job->morsel_batches;
    size_t end = begin + job->morsel_batches < state->table->nbatches ? begin + job->morsel_batches
                                                                      : state->table->nbatches;
    morsel_run morsel = {job, index, &worker->run};
    for (size_t b = begin; b < end && !worker->run.error; b++)
        run_chain(worker, state->table->batches[b], emit_to_consumer, &morsel);
    job->errors[index] = worker->run.error;
    worker->run.error = NULL;
}

static void morsel_done(void *user, size_t index)
{
    morsel_job *job = user;
    job->done(job->user, index, job->errors[index]);
    free(job->errors[index]);
    job->errors[index] = NULL;
}

size_t kq_exchange_morsel_count(const kq_op *op, size_t morsel_batches)
{
    const exchange_state *state = op->state;
    return (state->table->nbatches - state->next_batch + morsel_batches - 1) / morsel_batches;
}

void kq_exchange_morsels(kq_op *op, size_t morsel_batches, kq_exchange_consume consume, kq_exchange_done done,
                         void *user)
{
    exchange_state *state = op->state;
    size_t count = kq_exchange_morsel_count(op, morsel_batches);
    morsel_job job = {state, state->next_batch, morsel_batches, kq_xcalloc(count ? count : 1, sizeof(char *)),
                      consume, done, user};
    kq_parallel_ordered(count, state->threads, (size_t)state->threads * 2, morsel_work, morsel_done, &job);
    state->next_batch = state->table->nbatches;
    free(job.errors);
}

static void exchange_close(kq_op *op)
{
    exchange_state *state = op->state;
    clear_items(state);
    free(state->items);
    for (int t = 0; t < state->threads; t++) {
        kq_op_close(state->workers[t].top);
        kq_run_free(&state->workers[t].run);
    }
    free(state->workers);
    free(state);
}

kq_op *kq_op_exchange(kq_run *run, const kq_plan *plan)
{
    const kq_plan *scan = chain_scan(plan);
    const char *name = scan ? scan->table_name : NULL;
    const kq_table *table = name && run->catalog ? kq_catalog_table(run->catalog, name, strlen(name)) : NULL;
    if (!table || table->nbatches < 2 || table->schema.count != scan->schema.count)
        return NULL;
    exchange_state *state = kq_xcalloc(1, sizeof *state);
    state->table = table;
    state->threads = run->threads;
    state->workers = kq_xcalloc((size_t)state->threads, sizeof *state->workers);
    state->round_batches = round_batches_per_thread();
    state->items = kq_xcalloc((size_t)state->threads * state->round_batches, sizeof *state->items);
    /* Thread runs share the limits but not the scan threads: a subquery a worker runs stays on its thread. */
    kq_exec_limits limits = {run->budget.max_memory, run->budget.max_rows, 1};
    for (int t = 0; t < state->threads; t++) {
        exchange_worker *worker = &state->workers[t];
        kq_run_init(&worker->run, run->query, run->catalog, run->now, &limits);
        worker->top = build_chain(&worker->run, plan, &worker->scan);
    }
    kq_op *op = kq_op_new(run, plan, NULL);
    op->state = state;
    op->next = exchange_next;
    op->close = exchange_close;
    return op;
}
