/*
 * Load sieve (sieve.h): the where chains over each table's scans, found in
 * the compiled queries, run over the batches a table builder streams.
 *
 * Finding the chains: a walk over every plan and every expression's
 * subqueries. A scan reached through one or more where clauses adds a chain
 * of those clauses, innermost first, up to the first one the sieve cannot
 * run. A scan reached any other way marks its table whole. An operator the
 * walk does not look into (mv-apply, partition, scan, the graph operators,
 * top-nested, make-series) marks every table its query reads whole.
 *
 * Running them: each thread borrows a context (a run per query and scratch
 * memory) from a pool. A batch's rows are kept when some chain keeps them.
 * A batch that keeps more than half of its rows stays as it is. The rows kept
 * from the others are copied, in table order, into batches of up to
 * KQ_BATCH_ROWS rows that own their strings, and the source batches are freed.
 */
#include "exec/sieve.h"
#include "exec/exec.h"
#include "base/util.h"
#include "kql/compile.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct sieve_chain {
    size_t query;                /* the query's index, for its run */
    const kq_expr **predicates;  /* innermost (next to the scan) first */
    size_t count;                /* predicates the sieve runs: `local`, or `resolvable` once resolved */
    size_t local;                /* the first `local` predicates read the row alone */
    size_t resolvable;           /* the first `resolvable` read the row and subqueries (at least local) */
    char **reads;                /* tables the subqueries of predicates [local, resolvable) read */
    size_t nreads, reads_cap;
    bool resolved;               /* count is resolvable, because no input feeds the tables in reads */
} sieve_chain;

typedef struct sieve_table {
    char *name;
    bool whole;                  /* some query reads the table other than through a chain */
    const kq_schema *schema;     /* the columns the chains were compiled against */
    sieve_chain *chains;
    size_t nchains, cap;
} sieve_table;

/* What a thread needs to run the chains: a run per query, set up on first use, and scratch memory. */
typedef struct sieve_context {
    kq_run *runs;
    kq_arena *scratch;           /* one predicate's values, reset per predicate */
    kq_arena *rows;              /* the rows each batch keeps, reset per table */
    struct sieve_context *next;
} sieve_context;

struct kq_sieve {
    int64_t now;
    bool off;                    /* KQLITE_SIEVE=0 */
    kq_query **queries;
    size_t nqueries, queries_cap;
    sieve_table *tables;
    size_t ntables, tables_cap;
    pthread_mutex_t lock;        /* guards idle */
    sieve_context *idle;
    _Atomic uint64_t seen, kept;
    _Atomic uint64_t passed;     /* rows of streamed tables the sieve does not cut */
};

kq_sieve *kq_sieve_new(int64_t now)
{
    kq_sieve *sieve = kq_xcalloc(1, sizeof *sieve);
    sieve->now = now;
    const char *env = getenv("KQLITE_SIEVE");
    sieve->off = env && strcmp(env, "0") == 0;
    pthread_mutex_init(&sieve->lock, NULL);
    return sieve;
}

static sieve_table *find_table(const kq_sieve *sieve, const char *name)
{
    for (size_t i = 0; i < sieve->ntables; i++)
        if (strcmp(sieve->tables[i].name, name) == 0)
            return &sieve->tables[i];
    return NULL;
}

/* Returns the entry of the named table, adding it on first use. */
static sieve_table *table_entry(kq_sieve *sieve, const char *name)
{
    sieve_table *found = find_table(sieve, name);
    if (found)
        return found;
    kq_grow((void **)&sieve->tables, &sieve->tables_cap, sieve->ntables + 1, sizeof *sieve->tables);
    sieve_table *table = &sieve->tables[sieve->ntables++];
    memset(table, 0, sizeof *table);
    table->name = kq_xstrdup(name);
    return table;
}

/* True for an expression that calls rand() or new_guid(): its rows differ from run to run. */
static bool calls_random(const kq_expr *e)
{
    if (!e)
        return false;
    if (e->kind == KQ_EXPR_CALL && e->fn && kq_function_is_random(e->fn))
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (calls_random(e->args[i]))
            return true;
    return false;
}

/* True for a predicate whose value for a row does not change from run to run or with the rows around it. */
static bool steady(const kq_expr *predicate)
{
    return predicate && !calls_random(predicate) && !kq_expr_has_window(predicate);
}

/* True for the operators whose inputs (input, right, inputs) and expressions the walks follow in full. */
static bool followed(kq_plan_kind kind)
{
    switch (kind) {
    case KQ_PLAN_SCAN:
    case KQ_PLAN_DATATABLE:
    case KQ_PLAN_WHERE:
    case KQ_PLAN_PROJECT:
    case KQ_PLAN_SUMMARIZE:
    case KQ_PLAN_SORT:
    case KQ_PLAN_TAKE:
    case KQ_PLAN_TOP:
    case KQ_PLAN_COUNT:
    case KQ_PLAN_JOIN:
    case KQ_PLAN_UNION:
    case KQ_PLAN_MV_EXPAND:
    case KQ_PLAN_PARSE:
    case KQ_PLAN_RANGE:
        return true;
    default:
        return false;
    }
}

static void add_read(sieve_chain *chain, const char *table)
{
    for (size_t i = 0; i < chain->nreads; i++)
        if (strcmp(chain->reads[i], table) == 0)
            return;
    kq_grow((void **)&chain->reads, &chain->reads_cap, chain->nreads + 1, sizeof *chain->reads);
    chain->reads[chain->nreads++] = kq_xstrdup(table);
}

static bool plan_reads(sieve_chain *chain, const kq_plan *plan);

/* Adds the tables e's subqueries read to chain. Returns false when one contains an operator it does not follow. */
static bool expr_reads(sieve_chain *chain, const kq_expr *e)
{
    if (!e)
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (!expr_reads(chain, e->args[i]))
            return false;
    for (int i = 0; i < e->nsubqueries; i++)
        if (!plan_reads(chain, e->subqueries[i]))
            return false;
    return true;
}

static bool plan_reads(sieve_chain *chain, const kq_plan *plan)
{
    if (!plan)
        return true;
    if (!followed(plan->kind))
        return false;
    if (plan->kind == KQ_PLAN_SCAN) {
        add_read(chain, plan->table_name);
        return true;
    }
    bool ok = expr_reads(chain, plan->predicate) && expr_reads(chain, plan->count);
    for (uint32_t i = 0; ok && i < plan->nexprs; i++)
        ok = expr_reads(chain, plan->exprs[i]);
    for (uint32_t i = 0; ok && i < plan->naggs; i++)
        for (int a = 0; ok && a < plan->aggs[i].nargs; a++)
            ok = expr_reads(chain, plan->aggs[i].args[a]);
    for (uint32_t i = 0; ok && i < plan->nkeys; i++)
        ok = expr_reads(chain, plan->keys[i].expr);
    ok = ok && plan_reads(chain, plan->input) && plan_reads(chain, plan->right);
    for (uint32_t i = 0; ok && i < plan->ninputs; i++)
        ok = plan_reads(chain, plan->inputs[i]);
    return ok;
}

/* Records the chain of where clauses from top (a WHERE) down to the scan under it. */
static void add_chain(kq_sieve *sieve, size_t query, const kq_plan *top, const kq_plan *scan)
{
    sieve_table *table = table_entry(sieve, scan->table_name);
    size_t depth = 0;
    for (const kq_plan *p = top; p != scan; p = p->input)
        depth++;
    sieve_chain chain = {.query = query, .predicates = kq_xcalloc(depth, sizeof(kq_expr *))};
    size_t i = depth;
    for (const kq_plan *p = top; p != scan; p = p->input)
        chain.predicates[--i] = p->predicate;
    while (chain.local < depth && steady(chain.predicates[chain.local]) &&
           kq_expr_is_local(chain.predicates[chain.local]))
        chain.local++;
    /* Beyond them, predicates whose subqueries read other tables, which may turn out to be empty. */
    chain.resolvable = chain.local;
    while (chain.resolvable < depth && steady(chain.predicates[chain.resolvable]) &&
           expr_reads(&chain, chain.predicates[chain.resolvable]))
        chain.resolvable++;
    bool self = false;
    for (size_t r = 0; r < chain.nreads; r++)
        self |= strcmp(chain.reads[r], scan->table_name) == 0;
    if (self || chain.resolvable == chain.local || sieve->queries[query]->guessed_table) {
        /* A subquery over the chain's own table, one the walk cannot follow, or one that may read
         * a table union isfuzzy=true left out without the data: never taken as empty. */
        chain.resolvable = chain.local;
        for (size_t r = 0; r < chain.nreads; r++)
            free(chain.reads[r]);
        chain.nreads = 0;
    }
    chain.count = chain.local;
    if ((table->schema && !kq_schema_same(table->schema, &scan->schema)) || chain.resolvable == 0) {
        table->whole = true;
        free(chain.reads);
        free(chain.predicates);
        return;
    }
    table->schema = &scan->schema;
    kq_grow((void **)&table->chains, &table->cap, table->nchains + 1, sizeof *table->chains);
    table->chains[table->nchains++] = chain;
}

static void walk_plan(kq_sieve *sieve, size_t query, const kq_plan *plan, bool *opaque);

static void walk_expr(kq_sieve *sieve, size_t query, const kq_expr *e, bool *opaque)
{
    if (!e)
        return;
    for (int i = 0; i < e->nargs; i++)
        walk_expr(sieve, query, e->args[i], opaque);
    for (int i = 0; i < e->nsubqueries; i++)
        walk_plan(sieve, query, e->subqueries[i], opaque);
}

/* Walks the expressions of the operators whose inputs and expressions walk_plan follows in full. */
static void walk_exprs(kq_sieve *sieve, size_t query, const kq_plan *plan, bool *opaque)
{
    walk_expr(sieve, query, plan->predicate, opaque);
    for (uint32_t i = 0; i < plan->nexprs; i++)
        walk_expr(sieve, query, plan->exprs[i], opaque);
    for (uint32_t i = 0; i < plan->naggs; i++)
        for (int a = 0; a < plan->aggs[i].nargs; a++)
            walk_expr(sieve, query, plan->aggs[i].args[a], opaque);
    for (uint32_t i = 0; i < plan->nkeys; i++)
        walk_expr(sieve, query, plan->keys[i].expr, opaque);
    walk_expr(sieve, query, plan->count, opaque);
}

static void walk_plan(kq_sieve *sieve, size_t query, const kq_plan *plan, bool *opaque)
{
    if (!plan)
        return;
    if (!followed(plan->kind)) {
        *opaque = true;
        return;
    }
    if (plan->kind == KQ_PLAN_SCAN) {
        /* Reached without a where clause over it: the query reads every row. */
        table_entry(sieve, plan->table_name)->whole = true;
        return;
    }
    if (plan->kind == KQ_PLAN_WHERE) {
        const kq_plan *bottom = plan;
        while (bottom->kind == KQ_PLAN_WHERE) {
            walk_expr(sieve, query, bottom->predicate, opaque);
            bottom = bottom->input;
        }
        if (bottom->kind == KQ_PLAN_SCAN)
            add_chain(sieve, query, plan, bottom);
        else
            walk_plan(sieve, query, bottom, opaque);
        return;
    }
    walk_exprs(sieve, query, plan, opaque);
    walk_plan(sieve, query, plan->input, opaque);
    walk_plan(sieve, query, plan->right, opaque);
    for (uint32_t i = 0; i < plan->ninputs; i++)
        walk_plan(sieve, query, plan->inputs[i], opaque);
}

void kq_sieve_add(kq_sieve *sieve, kq_query *query)
{
    kq_grow((void **)&sieve->queries, &sieve->queries_cap, sieve->nqueries + 1, sizeof *sieve->queries);
    size_t index = sieve->nqueries++;
    sieve->queries[index] = query;
    bool opaque = false;
    walk_plan(sieve, index, query->root, &opaque);
    if (opaque)
        for (size_t i = 0; i < query->ntables; i++)
            table_entry(sieve, query->tables[i])->whole = true;
}

/* True when every chain over table runs at least one predicate (with resolved: as far as it can). */
static bool chains_run(const sieve_table *table, bool resolved)
{
    if (table->whole || table->nchains == 0)
        return false;
    for (size_t c = 0; c < table->nchains; c++)
        if ((resolved ? table->chains[c].resolvable : table->chains[c].count) == 0)
            return false;
    return true;
}

bool kq_sieve_active(const kq_sieve *sieve)
{
    if (!sieve || sieve->off)
        return false;
    for (size_t i = 0; i < sieve->ntables; i++)
        if (chains_run(&sieve->tables[i], true))
            return true;
    return false;
}

bool kq_sieve_reads(const kq_sieve *sieve)
{
    for (size_t i = 0; sieve && i < sieve->ntables; i++)
        for (size_t c = 0; c < sieve->tables[i].nchains; c++)
            if (sieve->tables[i].chains[c].nreads)
                return true;
    return false;
}

void kq_sieve_resolve(kq_sieve *sieve, bool (*fed)(void *user, const char *table), void *user)
{
    for (size_t i = 0; i < sieve->ntables; i++) {
        for (size_t c = 0; c < sieve->tables[i].nchains; c++) {
            sieve_chain *chain = &sieve->tables[i].chains[c];
            bool empty = chain->nreads > 0;
            for (size_t r = 0; r < chain->nreads && empty; r++)
                empty = !fed(user, chain->reads[r]);
            chain->resolved = empty;
            chain->count = empty ? chain->resolvable : chain->local;
        }
    }
}

bool kq_sieve_check(const kq_sieve *sieve, const kq_catalog *catalog, const char **table)
{
    for (size_t i = 0; i < sieve->ntables; i++) {
        for (size_t c = 0; c < sieve->tables[i].nchains; c++) {
            const sieve_chain *chain = &sieve->tables[i].chains[c];
            for (size_t r = 0; chain->resolved && r < chain->nreads; r++) {
                const kq_table *read = kq_catalog_table(catalog, chain->reads[r], strlen(chain->reads[r]));
                if (read && read->nrows > 0) {
                    *table = chain->reads[r];
                    return false;
                }
            }
        }
    }
    return true;
}

void kq_sieve_unresolve(kq_sieve *sieve)
{
    for (size_t i = 0; i < sieve->ntables; i++) {
        for (size_t c = 0; c < sieve->tables[i].nchains; c++) {
            sieve->tables[i].chains[c].resolved = false;
            sieve->tables[i].chains[c].count = sieve->tables[i].chains[c].local;
        }
    }
    atomic_store(&sieve->seen, 0);
    atomic_store(&sieve->kept, 0);
    atomic_store(&sieve->passed, 0);
}

static sieve_context *take_context(kq_sieve *sieve)
{
    pthread_mutex_lock(&sieve->lock);
    sieve_context *context = sieve->idle;
    if (context)
        sieve->idle = context->next;
    pthread_mutex_unlock(&sieve->lock);
    if (!context) {
        context = kq_xcalloc(1, sizeof *context);
        context->runs = kq_xcalloc(sieve->nqueries + 1, sizeof *context->runs);
        context->scratch = kq_arena_new(256 * 1024);
        context->rows = kq_arena_new(64 * 1024);
    }
    return context;
}

static void return_context(kq_sieve *sieve, sieve_context *context)
{
    pthread_mutex_lock(&sieve->lock);
    context->next = sieve->idle;
    sieve->idle = context;
    pthread_mutex_unlock(&sieve->lock);
}

/*
 * Narrows rows[0..*n) to those every predicate of chain keeps. Returns false
 * when a predicate failed to evaluate: the caller then keeps the batch.
 */
static bool run_chain(kq_sieve *sieve, sieve_context *context, const sieve_chain *chain, kq_batch *batch,
                      uint32_t *rows, uint32_t *n)
{
    kq_run *run = &context->runs[chain->query];
    if (!run->arena)
        kq_run_init(run, sieve->queries[chain->query], NULL, sieve->now, NULL);
    for (size_t p = 0; p < chain->count && *n > 0; p++) {
        kq_arena_reset(context->scratch);
        kq_verdict verdict = kq_batch_verdict(run, chain->predicates[p], batch, context->scratch);
        if (run->error)
            break;
        if (verdict == KQ_VERDICT_NONE)
            *n = 0;
        if (verdict != KQ_VERDICT_SOME)
            continue;
        kq_value *values = kq_arena_alloc(context->scratch, *n * sizeof *values);
        kq_eval(run, chain->predicates[p], batch, rows, *n, values, context->scratch);
        if (run->error)
            break;
        uint32_t kept = 0;
        for (uint32_t i = 0; i < *n; i++)
            if (!values[i].null && values[i].u.b)
                rows[kept++] = rows[i];
        *n = kept;
    }
    if (!run->error)
        return true;
    free(run->error);
    run->error = NULL;
    return false;
}

/* The rows a batch keeps: every row (kept as it is), or a list in row order. */
typedef struct batch_rows {
    bool whole;
    uint32_t *rows;
    uint32_t n;
} batch_rows;

/* Works out which rows of batch some chain of table keeps. */
static batch_rows sift_batch(kq_sieve *sieve, sieve_context *context, const sieve_table *table, kq_batch *batch)
{
    uint32_t n = batch->nrows;
    batch_rows out = {false, NULL, 0};
    uint8_t *keep = kq_arena_alloc(context->rows, n ? n : 1);
    /* The rows no chain has kept yet, in row order; each chain runs over a copy of them. */
    uint32_t *undecided = kq_arena_alloc(context->rows, (n ? n : 1) * sizeof *undecided);
    uint32_t *candidates = kq_arena_alloc(context->rows, (n ? n : 1) * sizeof *candidates);
    for (uint32_t r = 0; r < n; r++)
        undecided[r] = r;
    uint32_t nundecided = n;
    for (size_t c = 0; c < table->nchains && nundecided > 0; c++) {
        memcpy(candidates, undecided, nundecided * sizeof *candidates);
        uint32_t ncandidates = nundecided;
        if (!run_chain(sieve, context, &table->chains[c], batch, candidates, &ncandidates)) {
            out.whole = true;
            return out;
        }
        if (ncandidates == 0)
            continue;
        for (uint32_t i = 0; i < ncandidates; i++)
            keep[candidates[i]] = 1;
        uint32_t left = 0;
        for (uint32_t i = 0; i < nundecided; i++)
            if (!keep[undecided[i]])
                undecided[left++] = undecided[i];
        nundecided = left;
    }
    uint32_t nkept = n - nundecided;
    /* Copying most of a batch frees little memory and costs the copy. */
    if (nkept > n / 2) {
        out.whole = true;
        return out;
    }
    out.rows = candidates;
    for (uint32_t r = 0; r < n; r++)
        if (keep[r])
            out.rows[out.n++] = r;
    return out;
}

/* Rows waiting to be copied into a batch of their own: which source batch and row. */
typedef struct pending_rows {
    kq_batch **sources;
    uint32_t *rows;
    uint32_t n;
} pending_rows;

/* Copies the pending rows into a new batch whose strings and dynamic values it owns. */
static kq_batch *copy_pending(pending_rows *pending)
{
    const kq_batch *first = pending->sources[0];
    uint32_t ncols = first->ncols;
    kq_type *types = kq_xcalloc(ncols + 1, sizeof *types);
    bool *absent = kq_xcalloc(ncols + 1, sizeof *absent);
    for (uint32_t c = 0; c < ncols; c++) {
        types[c] = first->cols[c].type;
        absent[c] = true;
        for (uint32_t i = 0; i < pending->n && absent[c]; i++)
            absent[c] = kq_column_is_absent(&pending->sources[i]->cols[c]);
    }
    kq_batch *out = kq_batch_new_sparse(ncols, types, pending->n, absent);
    for (uint32_t c = 0; c < ncols; c++) {
        if (absent[c])
            continue;
        for (uint32_t i = 0; i < pending->n; i++) {
            kq_value v = kq_column_get(&pending->sources[i]->cols[c], pending->rows[i]);
            kq_batch_set(out, c, i, kq_value_copy(out->arena, v));
        }
    }
    out->nrows = pending->n;
    free(types);
    free(absent);
    pending->n = 0;
    return out;
}

static void flush_pending(pending_rows *pending, kq_table *out)
{
    if (pending->n)
        kq_table_append(out, copy_pending(pending));
}

void kq_sieve_table(void *user, kq_table *table)
{
    kq_sieve *sieve = user;
    if (!sieve || sieve->off || table->nbatches == 0)
        return;
    const sieve_table *entry = find_table(sieve, table->name);
    if (!entry || !chains_run(entry, false) || !kq_schema_same(entry->schema, &table->schema)) {
        atomic_fetch_add(&sieve->passed, table->nrows);
        return;
    }
    sieve_context *context = take_context(sieve);
    kq_arena_reset(context->rows);
    batch_rows *sifted = kq_arena_alloc(context->rows, table->nbatches * sizeof *sifted);
    for (size_t b = 0; b < table->nbatches; b++)
        sifted[b] = sift_batch(sieve, context, entry, table->batches[b]);

    /* The output reuses the table's batch list: a batch kept whole moves down in place. */
    pending_rows pending = {kq_xcalloc(KQ_BATCH_ROWS, sizeof(kq_batch *)), kq_xcalloc(KQ_BATCH_ROWS, sizeof(uint32_t)), 0};
    kq_table out = {.batches = NULL, .nbatches = 0, .cap = 0};
    uint64_t before = table->nrows;
    for (size_t b = 0; b < table->nbatches; b++) {
        kq_batch *batch = table->batches[b];
        if (sifted[b].whole) {
            flush_pending(&pending, &out);
            kq_table_append(&out, batch);
            continue;
        }
        for (uint32_t i = 0; i < sifted[b].n; i++) {
            if (pending.n == KQ_BATCH_ROWS)
                flush_pending(&pending, &out);
            pending.sources[pending.n] = batch;
            pending.rows[pending.n++] = sifted[b].rows[i];
        }
    }
    flush_pending(&pending, &out);
    for (size_t b = 0; b < table->nbatches; b++)
        if (!sifted[b].whole)
            kq_batch_release(table->batches[b]);
    free(table->batches);
    table->batches = out.batches;
    table->nbatches = out.nbatches;
    table->cap = out.cap;
    table->nrows = 0;
    for (size_t b = 0; b < out.nbatches; b++)
        table->nrows += out.batches[b]->nrows;
    free(pending.sources);
    free(pending.rows);
    atomic_fetch_add(&sieve->seen, before);
    atomic_fetch_add(&sieve->kept, table->nrows);
    return_context(sieve, context);
}

void kq_sieve_counts(const kq_sieve *sieve, uint64_t *seen, uint64_t *kept, uint64_t *passed)
{
    *seen = sieve ? atomic_load(&sieve->seen) : 0;
    *kept = sieve ? atomic_load(&sieve->kept) : 0;
    *passed = sieve ? atomic_load(&sieve->passed) : 0;
}

void kq_sieve_free(kq_sieve *sieve)
{
    if (!sieve)
        return;
    while (sieve->idle) {
        sieve_context *context = sieve->idle;
        sieve->idle = context->next;
        for (size_t q = 0; q < sieve->nqueries; q++)
            if (context->runs[q].arena)
                kq_run_free(&context->runs[q]);
        free(context->runs);
        kq_arena_free(context->scratch);
        kq_arena_free(context->rows);
        free(context);
    }
    for (size_t i = 0; i < sieve->ntables; i++) {
        for (size_t c = 0; c < sieve->tables[i].nchains; c++) {
            sieve_chain *chain = &sieve->tables[i].chains[c];
            for (size_t r = 0; r < chain->nreads; r++)
                free(chain->reads[r]);
            free(chain->reads);
            free(chain->predicates);
        }
        free(sieve->tables[i].chains);
        free(sieve->tables[i].name);
    }
    free(sieve->tables);
    for (size_t q = 0; q < sieve->nqueries; q++)
        kq_query_free(sieve->queries[q]);
    free(sieve->queries);
    pthread_mutex_destroy(&sieve->lock);
    free(sieve);
}
