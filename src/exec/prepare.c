/*
 * Building the batch facts of a set of queries on several threads.
 *
 * A where clause that reads a table's batches directly (its input is a scan,
 * or where clauses over a scan) builds a term filter or a datetime range for
 * a batch the first time it looks at it. A rule pack builds them one batch at
 * a time on one thread. Here every thread takes whole batches and asks
 * kq_batch_verdict, for each such where clause, what the run would ask: the
 * same clauses in the same order, stopping where the run would stop looking
 * at the table batch (a verdict of none, or of some rows, after which the
 * next where clause sees a new batch). Two threads never touch the same batch.
 */
#include "exec/exec.h"
#include "base/parallel.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

/* A chain of where clauses directly over a scan, outermost last. */
typedef struct where_chain {
    size_t query;             /* index in the query list, for the run that evaluates constants */
    const kq_table *table;
    const kq_expr **predicates; /* innermost (next to the scan) first */
    size_t count;
} where_chain;

typedef struct prepare_job {
    const kq_query *const *queries;
    size_t nqueries;
    const kq_catalog *catalog;
    int64_t now;
    where_chain *chains;
    size_t nchains, chains_cap;
    const kq_table **tables; /* distinct tables the chains read */
    size_t ntables, tables_cap;
    size_t *first_item;       /* per table: index of its first batch among all work items */
    size_t nitems;
    kq_run *runs;             /* per thread, one per query, set up on first use */
    kq_arena **scratch;       /* per thread */
} prepare_job;

static void add_table(prepare_job *job, const kq_table *table)
{
    for (size_t i = 0; i < job->ntables; i++)
        if (job->tables[i] == table)
            return;
    kq_grow((void **)&job->tables, &job->tables_cap, job->ntables + 1, sizeof *job->tables);
    job->tables[job->ntables++] = table;
}

/* Records the chain that ends at plan, a WHERE, when its innermost input is a scan of a loaded table. */
static void add_chain(prepare_job *job, size_t query, const kq_plan *plan)
{
    size_t count = 0;
    const kq_plan *p = plan;
    for (; p && p->kind == KQ_PLAN_WHERE; p = p->input)
        count++;
    if (!p || p->kind != KQ_PLAN_SCAN || !p->table_name)
        return;
    const kq_table *table = kq_catalog_table(job->catalog, p->table_name, strlen(p->table_name));
    /* A table whose schema changed since compiling fails the run itself; leave it alone. */
    if (!table || table->schema.count != p->schema.count)
        return;
    where_chain chain = {query, table, kq_xcalloc(count, sizeof(kq_expr *)), count};
    size_t i = count;
    for (p = plan; p && p->kind == KQ_PLAN_WHERE; p = p->input)
        chain.predicates[--i] = p->predicate;
    kq_grow((void **)&job->chains, &job->chains_cap, job->nchains + 1, sizeof(where_chain));
    job->chains[job->nchains++] = chain;
    add_table(job, table);
}

/* Finds the where chains of a plan tree; a WHERE that feeds another WHERE is part of that one's chain. */
static void find_chains(prepare_job *job, size_t query, const kq_plan *plan, bool in_chain)
{
    if (!plan)
        return;
    if (plan->kind == KQ_PLAN_WHERE && !in_chain)
        add_chain(job, query, plan);
    find_chains(job, query, plan->input, plan->kind == KQ_PLAN_WHERE);
    find_chains(job, query, plan->right, false);
    for (uint32_t i = 0; i < plan->ninputs; i++)
        find_chains(job, query, plan->inputs[i], false);
}

/*
 * Asks each chain over the batch's table what the run would ask, in the run's
 * order. A batch of an on-disk store that some chain does not rule out is
 * read here too, so that its chunks are decompressed on every thread. A read
 * that fails is left to the run, which tries again and reports the error.
 */
static void prepare_batch(const prepare_job *job, kq_run *runs, kq_arena *scratch, const kq_table *table,
                          kq_batch *batch)
{
    bool needed = false;
    for (size_t c = 0; c < job->nchains; c++) {
        const where_chain *chain = &job->chains[c];
        if (chain->table != table)
            continue;
        kq_run *run = &runs[chain->query];
        if (!run->arena)
            kq_run_init(run, job->queries[chain->query], job->catalog, job->now, NULL);
        bool ruled_out = false;
        for (size_t i = 0; i < chain->count; i++) {
            if (kq_expr_has_window(chain->predicates[i]))
                break;
            kq_arena_reset(scratch);
            kq_verdict verdict = kq_batch_verdict(run, chain->predicates[i], batch, scratch);
            ruled_out = verdict == KQ_VERDICT_NONE;
            /* The scan of a store evaluates every clause before it reads a batch (scan.c). */
            if (ruled_out || (verdict == KQ_VERDICT_SOME && !batch->loader))
                break;
        }
        needed |= !ruled_out;
    }
    if (needed && batch->loader) {
        char error[512];
        (void)kq_batch_load(batch, error, sizeof error);
    }
}

/* Prepares work item `item`: one batch of one of the tables. */
static void prepare_item(void *user, size_t item, int thread)
{
    prepare_job *job = user;
    size_t t = 0;
    while (t + 1 < job->ntables && job->first_item[t + 1] <= item)
        t++;
    const kq_table *table = job->tables[t];
    if (!job->scratch[thread])
        job->scratch[thread] = kq_arena_new(64 * 1024);
    prepare_batch(job, &job->runs[(size_t)thread * job->nqueries], job->scratch[thread], table,
                  table->batches[item - job->first_item[t]]);
}

void kq_prepare_batch_facts(const kq_query *const *queries, size_t count, const kq_catalog *catalog, int64_t now,
                            int threads)
{
    const char *every_row = getenv("KQLITE_EVAL_EVERY_ROW");
    if (!catalog || (every_row && every_row[0] && strcmp(every_row, "0") != 0))
        return;
    prepare_job job = {.queries = queries, .nqueries = count, .catalog = catalog, .now = now};
    for (size_t q = 0; q < count; q++)
        if (queries[q])
            find_chains(&job, q, queries[q]->root, false);
    job.first_item = kq_xcalloc(job.ntables + 1, sizeof(size_t));
    for (size_t t = 0; t < job.ntables; t++) {
        job.first_item[t] = job.nitems;
        job.nitems += job.tables[t]->nbatches;
    }
    int nthreads = kq_thread_count(threads);
    job.runs = kq_xcalloc((size_t)nthreads * (count ? count : 1), sizeof(kq_run));
    job.scratch = kq_xcalloc((size_t)nthreads, sizeof(kq_arena *));
    kq_parallel_for(job.nitems, nthreads, prepare_item, &job);

    for (size_t r = 0; r < (size_t)nthreads * count; r++)
        if (job.runs[r].arena)
            kq_run_free(&job.runs[r]);
    for (int i = 0; i < nthreads; i++)
        kq_arena_free(job.scratch[i]);
    free(job.runs);
    free(job.scratch);

    for (size_t c = 0; c < job.nchains; c++)
        free(job.chains[c].predicates);
    free(job.chains);
    free(job.tables);
    free(job.first_item);
}
