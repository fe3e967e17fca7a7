/* Runs a rule with exclusions applied (see exclusion_run.h). */
#include "rules/exclusion_run.h"

#include "base/util.h"
#include "kql/compile.h"
#include "rules/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Name of the table that holds a rule's result while result-scope predicates are compiled. */
#define RESULT_TABLE_NAME "RuleResult"

/* Copies a diagnostic from one list to another, caret and hint included. */
static void copy_diag(kq_diags *to, const kq_diag *from)
{
    kq_diag *diag = kq_diags_add_at(to, from->severity, from->file, from->line, from->column, from->line_text,
                                    "%s", from->message);
    diag->caret_start = from->caret_start;
    diag->caret_end = from->caret_end;
    if (from->hint)
        kq_diag_set_hint(diag, "%s", from->hint);
}

static void schema_columns(kq_buf *out, const kq_schema *schema)
{
    for (uint32_t c = 0; c < schema->count; c++)
        kq_buf_printf(out, "%s%s", c ? ", " : "", schema->fields[c].name);
}

/*
 * Compiles "TABLE | where" followed by the entry's predicate on the next
 * line, so that every position in the predicate maps back to the exclusions
 * file through kq_source. Returns NULL after reporting, with the entry and
 * the rule named first.
 */
static kq_query *compile_predicate(const kq_exclusion *entry, const char *table_name, const kq_schema *schema,
                                   const kq_catalog *catalog, const char *rule_label, kq_diags *diags)
{
    kq_buf text;
    kq_buf_init(&text);
    kq_buf_printf(&text, "%s | where\n%s", table_name, entry->predicate);
    int *indent = kq_xcalloc((size_t)entry->npredicate_lines + 1, sizeof *indent);
    memcpy(indent + 1, entry->predicate_indent, (size_t)entry->npredicate_lines * sizeof *indent);
    kq_source source = {.file = entry->file, .text = text.data, .len = text.len,
                        .first_line = entry->predicate_line - 1, .indent = indent,
                        .nindent = entry->npredicate_lines + 1};
    kq_diags local;
    kq_diags_init(&local);
    kq_query *query = kq_compile(&source, catalog, &local);
    bool one_expression = query && query->root->kind == KQ_PLAN_WHERE && query->root->input &&
                          query->root->input->kind == KQ_PLAN_SCAN;
    if (!query || !one_expression) {
        kq_buf problem;
        kq_buf_init(&problem);
        if (query)
            kq_buf_puts(&problem, "must be one predicate, without '|'");
        else if (entry->scope == KQ_EXCLUSION_SOURCE)
            kq_buf_printf(&problem, "does not compile over the rows of %s", table_name);
        else
            kq_buf_puts(&problem, "does not compile over the rule's result rows");
        kq_diag *diag = kq_diags_add_at(diags, KQ_SEVERITY_ERROR, entry->file, entry->line, entry->column, NULL,
                                        "exclusion '%s' cannot be applied to rule '%s': its 'where' %s",
                                        entry->name, rule_label, problem.data);
        kq_buf_free(&problem);
        /* A result has few columns, so they are listed; a source table's are too many to help. */
        if (entry->scope == KQ_EXCLUSION_RESULT) {
            kq_buf columns;
            kq_buf_init(&columns);
            schema_columns(&columns, schema);
            kq_diag_set_hint(diag, "the result has the columns %s; use 'scope: source' to test the rows the "
                                   "rule reads", columns.data ? columns.data : "(none)");
            kq_buf_free(&columns);
        }
        for (size_t i = 0; i < local.count; i++)
            copy_diag(diags, &local.items[i]);
        kq_query_free(query);
        query = NULL;
    }
    kq_diags_free(&local);
    free(indent);
    kq_buf_free(&text);
    return query;
}

/*
 * Evaluates the compiled predicate over batches; rows not yet suppressed
 * (row_entry 0) whose predicate is true get row_entry = entry_number.
 * Returns false and sets *error on a run-time error.
 */
static bool mark_rows(const kq_query *predicate, const kq_catalog *catalog, int64_t now, kq_batch *const *batches,
                      size_t nbatches, uint8_t *row_entry, uint8_t entry_number, char **error)
{
    kq_run run;
    kq_run_init(&run, predicate, catalog, now, kq_exec_default_limits());
    kq_arena *scratch = kq_arena_new(64 * 1024);
    uint32_t *rows = kq_xmalloc(KQ_BATCH_ROWS * sizeof *rows);
    kq_value *values = kq_xmalloc(KQ_BATCH_ROWS * sizeof *values);
    uint64_t base = 0;
    for (size_t b = 0; b < nbatches && !run.error; b++) {
        kq_batch *batch = batches[b];
        uint32_t n = 0;
        for (uint32_t r = 0; r < batch->nrows; r++)
            if (!row_entry[base + r])
                rows[n++] = r;
        if (n) {
            kq_eval(&run, predicate->root->predicate, batch, rows, n, values, scratch);
            for (uint32_t i = 0; i < n && !run.error; i++)
                if (!values[i].null && values[i].u.b)
                    row_entry[base + rows[i]] = entry_number;
        }
        kq_arena_reset(scratch);
        base += batch->nrows;
    }
    free(rows);
    free(values);
    kq_arena_free(scratch);
    bool ok = run.error == NULL;
    *error = ok ? NULL : run.error;
    run.error = NULL;
    kq_run_free(&run);
    return ok;
}

/* Runs one node of a compiled plan (a prefix of the rule) to the end. */
static kq_result *execute_plan(const kq_query *query, const kq_plan *plan, const kq_catalog *catalog, int64_t now,
                               char **error)
{
    /* kq_run_init sets the memory and row limits: a run without them fails at its first group. */
    kq_run run;
    kq_run_init(&run, query, catalog, now, kq_exec_default_limits());
    kq_result *result = kq_xcalloc(1, sizeof *result);
    result->arena = kq_arena_new(4096);
    result->schema = kq_schema_copy(result->arena, &plan->schema);
    kq_op *root = kq_op_build(&run, plan);
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
    char *failure = run.error;
    run.error = NULL;
    kq_run_free(&run);
    if (failure) {
        *error = failure;
        kq_result_free(result);
        return NULL;
    }
    return result;
}

/*
 * Returns the topmost plan node that keeps rows one for one or drops them
 * (where, project, extend) above a scan of table_name, or NULL when the
 * rule's pipeline does not start with such a scan.
 */
static const kq_plan *row_level_prefix(const kq_query *query, const char *table_name)
{
    const kq_plan *chain[64];
    size_t depth = 0;
    for (const kq_plan *node = query->root; node && depth < KQ_ARRAY_LEN(chain); node = node->input)
        chain[depth++] = node;
    if (!depth || chain[depth - 1]->kind != KQ_PLAN_SCAN || strcmp(chain[depth - 1]->table_name, table_name) != 0)
        return NULL;
    size_t top = depth - 1;
    while (top > 0 && (chain[top - 1]->kind == KQ_PLAN_WHERE || chain[top - 1]->kind == KQ_PLAN_PROJECT))
        top--;
    return chain[top];
}

kq_result *kq_result_select_rows(const kq_result *result, const uint8_t *keep)
{
    kq_result *copy = kq_xcalloc(1, sizeof *copy);
    copy->arena = kq_arena_new(4096);
    copy->schema = kq_schema_copy(copy->arena, &result->schema);
    uint32_t *rows = kq_xmalloc(KQ_BATCH_ROWS * sizeof *rows);
    uint64_t base = 0;
    for (size_t b = 0; b < result->nbatches; b++) {
        kq_batch *batch = result->batches[b];
        uint32_t n = 0;
        for (uint32_t r = 0; r < batch->nrows; r++)
            if (keep[base + r])
                rows[n++] = r;
        base += batch->nrows;
        if (!n)
            continue;
        kq_batch *filtered = batch;
        if (n == batch->nrows)
            kq_batch_retain(batch);
        else
            filtered = kq_batch_gather(batch, rows, n);
        kq_grow((void **)&copy->batches, &copy->cap, copy->nbatches + 1, sizeof(kq_batch *));
        copy->batches[copy->nbatches++] = filtered;
        copy->nrows += n;
    }
    free(rows);
    return copy;
}

/* Wraps a table's rows as a result (sharing its batches). */
static kq_result *table_as_result(const kq_table *table)
{
    kq_result *result = kq_xcalloc(1, sizeof *result);
    result->arena = kq_arena_new(4096);
    result->schema = kq_schema_copy(result->arena, &table->schema);
    for (size_t b = 0; b < table->nbatches; b++) {
        kq_batch_retain(table->batches[b]);
        kq_grow((void **)&result->batches, &result->cap, result->nbatches + 1, sizeof(kq_batch *));
        result->batches[result->nbatches++] = table->batches[b];
        result->nrows += table->batches[b]->nrows;
    }
    return result;
}

typedef struct apply_context {
    const kq_query *query;
    int64_t now;
    const kq_exclusion *const *entries;
    size_t nentries;
    const char *rule_label;
    bool keep_suppressed;
    kq_rule_run *out;
    kq_diags *diags;
} apply_context;

static bool report_run_error(apply_context *ctx, const kq_exclusion *entry, char *error)
{
    kq_diags_add_at(ctx->diags, KQ_SEVERITY_ERROR, entry->file, entry->line, entry->column, NULL,
                    "exclusion '%s' failed on rule '%s': %s", entry->name, ctx->rule_label, error);
    free(error);
    return false;
}

/*
 * Counts (and keeps, when asked) the rows entry number e removed from table:
 * the rows of the rule's row-level prefix over the removed rows alone.
 */
static bool count_source_rows(apply_context *ctx, const kq_table *table, const uint8_t *row_entry, size_t e)
{
    uint8_t *mine = kq_xmalloc(table->nrows ? table->nrows : 1);
    for (uint64_t r = 0; r < table->nrows; r++)
        mine[r] = row_entry[r] == e + 1;
    kq_table *removed = kq_table_select_rows(table, mine);
    free(mine);
    const kq_plan *prefix = row_level_prefix(ctx->query, table->name);
    kq_result *rows;
    if (prefix) {
        kq_catalog *only = kq_catalog_new();
        kq_catalog_add_table(only, removed);
        char *error = NULL;
        rows = execute_plan(ctx->query, prefix, only, ctx->now, &error);
        kq_catalog_free(only);
        if (!rows)
            return report_run_error(ctx, ctx->entries[e], error);
    } else {
        rows = table_as_result(removed);
        kq_table_free(removed);
    }
    ctx->out->suppressed[e] += rows->nrows;
    if (ctx->keep_suppressed && rows->nrows && !ctx->out->suppressed_rows[e])
        ctx->out->suppressed_rows[e] = rows;
    else
        kq_result_free(rows);
    return true;
}

/* Applies the source-scope entries to one table; returns the filtered copy, or NULL after an error. */
static kq_table *filter_source_table(apply_context *ctx, const kq_table *table, const kq_catalog *catalog)
{
    uint8_t *row_entry = kq_xcalloc(table->nrows ? table->nrows : 1, 1);
    bool ok = true, any = false;
    for (size_t e = 0; e < ctx->nentries && ok; e++) {
        const kq_exclusion *entry = ctx->entries[e];
        if (entry->scope != KQ_EXCLUSION_SOURCE)
            continue;
        kq_query *predicate = compile_predicate(entry, table->name, &table->schema, catalog, ctx->rule_label,
                                                ctx->diags);
        char *error = NULL;
        if (!predicate)
            ok = false;
        else if (!mark_rows(predicate, catalog, ctx->now, table->batches, table->nbatches, row_entry,
                            (uint8_t)(e + 1), &error))
            ok = report_run_error(ctx, entry, error);
        kq_query_free(predicate);
        any = true;
    }
    for (size_t e = 0; e < ctx->nentries && ok && any; e++)
        if (ctx->entries[e]->scope == KQ_EXCLUSION_SOURCE)
            ok = count_source_rows(ctx, table, row_entry, e);
    kq_table *filtered = NULL;
    if (ok) {
        for (uint64_t r = 0; r < table->nrows; r++)
            row_entry[r] = row_entry[r] == 0;
        filtered = kq_table_select_rows(table, row_entry);
    }
    free(row_entry);
    return filtered;
}

/* Builds the catalog the rule runs over: its tables, with source-scope entries applied. */
static kq_catalog *source_view(apply_context *ctx, const kq_catalog *catalog)
{
    kq_catalog *view = kq_catalog_new();
    for (size_t t = 0; t < ctx->query->ntables; t++) {
        const kq_table *table = kq_catalog_table(catalog, ctx->query->tables[t], strlen(ctx->query->tables[t]));
        if (!table)
            continue;
        kq_table *filtered = filter_source_table(ctx, table, catalog);
        if (!filtered) {
            kq_catalog_free(view);
            return NULL;
        }
        kq_catalog_add_table(view, filtered);
    }
    return view;
}

/* Applies the result-scope entries; replaces out->result with the rows kept. */
static bool filter_result(apply_context *ctx)
{
    kq_result *result = ctx->out->result;
    kq_catalog *shape = kq_catalog_new();
    kq_catalog_add_table(shape, kq_table_new(RESULT_TABLE_NAME, &result->schema));
    uint8_t *row_entry = kq_xcalloc(result->nrows ? result->nrows : 1, 1);
    bool ok = true;
    for (size_t e = 0; e < ctx->nentries && ok; e++) {
        const kq_exclusion *entry = ctx->entries[e];
        if (entry->scope != KQ_EXCLUSION_RESULT)
            continue;
        kq_query *predicate = compile_predicate(entry, RESULT_TABLE_NAME, &result->schema, shape, ctx->rule_label,
                                                ctx->diags);
        char *error = NULL;
        if (!predicate)
            ok = false;
        else if (!mark_rows(predicate, shape, ctx->now, result->batches, result->nbatches, row_entry,
                            (uint8_t)(e + 1), &error))
            ok = report_run_error(ctx, entry, error);
        kq_query_free(predicate);
    }
    uint8_t *select = kq_xmalloc(result->nrows ? result->nrows : 1);
    for (size_t e = 0; e < ctx->nentries && ok; e++) {
        if (ctx->entries[e]->scope != KQ_EXCLUSION_RESULT)
            continue;
        for (uint64_t r = 0; r < result->nrows; r++)
            select[r] = row_entry[r] == e + 1;
        kq_result *rows = kq_result_select_rows(result, select);
        ctx->out->suppressed[e] += rows->nrows;
        if (ctx->keep_suppressed && rows->nrows)
            ctx->out->suppressed_rows[e] = rows;
        else
            kq_result_free(rows);
    }
    if (ok) {
        for (uint64_t r = 0; r < result->nrows; r++)
            select[r] = row_entry[r] == 0;
        ctx->out->result = kq_result_select_rows(result, select);
        kq_result_free(result);
    }
    free(select);
    free(row_entry);
    kq_catalog_free(shape);
    return ok;
}

bool kq_rule_run_with_exclusions(const kq_query *query, const kq_catalog *catalog, int64_t now,
                                 const kq_exclusion *const *entries, size_t nentries, const char *rule_label,
                                 const char *rule_file, bool keep_suppressed, kq_rule_run *out, kq_diags *diags)
{
    /* Entry numbers are stored in one byte per row. */
    if (nentries > 255) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, entries[0]->file, 0, 0, NULL,
                        "%zu exclusions apply to rule '%s'; at most 255 can apply to one rule", nentries,
                        rule_label);
        return false;
    }
    memset(out, 0, sizeof *out);
    out->nentries = nentries;
    out->suppressed = kq_xcalloc(nentries ? nentries : 1, sizeof *out->suppressed);
    out->suppressed_rows = kq_xcalloc(nentries ? nentries : 1, sizeof *out->suppressed_rows);
    apply_context ctx = {.query = query, .now = now, .entries = entries, .nentries = nentries,
                         .rule_label = rule_label, .keep_suppressed = keep_suppressed, .out = out, .diags = diags};
    bool any_source = false;
    for (size_t e = 0; e < nentries; e++)
        any_source |= entries[e]->scope == KQ_EXCLUSION_SOURCE;
    /* Source exclusions read table rows directly, so batches still on disk are read first. */
    char load_error[1024];
    if (any_source && !kq_catalog_load_tables(catalog, (const char *const *)query->tables, query->ntables,
                                              load_error, sizeof load_error)) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, rule_file, 0, 0, NULL, "rule '%s' failed: %s", rule_label,
                        load_error);
        kq_rule_run_free(out);
        return false;
    }
    kq_catalog *view = any_source ? source_view(&ctx, catalog) : NULL;
    bool ok = !any_source || view;
    if (ok) {
        char *error = NULL;
        out->result = kq_execute(query, view ? view : catalog, now, &error);
        if (!out->result) {
            kq_diags_add_at(diags, KQ_SEVERITY_ERROR, rule_file, 0, 0, NULL, "rule '%s' failed: %s", rule_label,
                            error);
            free(error);
            ok = false;
        }
    }
    kq_catalog_free(view);
    if (ok)
        ok = filter_result(&ctx);
    if (!ok)
        kq_rule_run_free(out);
    return ok;
}

void kq_rule_run_free(kq_rule_run *run)
{
    kq_result_free(run->result);
    for (size_t e = 0; e < run->nentries; e++)
        kq_result_free(run->suppressed_rows ? run->suppressed_rows[e] : NULL);
    free(run->suppressed);
    free(run->suppressed_rows);
    memset(run, 0, sizeof *run);
}
