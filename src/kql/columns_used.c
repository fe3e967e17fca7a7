/*
 * Column use of compiled queries: the columns of each table a query reads.
 *
 * A walk from the root down: each operator receives the set of its output
 * columns that the operators above it read, and works out which of its input
 * columns it needs for them. A scan records what reaches it. Operators whose
 * input use is not worth tracing (mv-expand, parse, parse-kv, scan, the graph
 * operators, mv-apply, partition, top-nested, make-series) need every input
 * column, which is never wrong, only slower. The loader uses the result to skip the cells no query reads.
 */
#include "kql/compile.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

/*
 * needed: which output columns the operators above read (NULL: all).
 * extras: columns outside the built-in schema can reach the output (extend,
 * project-away and the like pass every input column on, whatever its name).
 */
static void use_plan(kq_column_use *use, const kq_plan *plan, const bool *needed, bool extras);

static kq_table_use *table_entry(kq_column_use *use, const char *table)
{
    for (size_t i = 0; i < use->ntables; i++)
        if (strcmp(use->tables[i].table, table) == 0)
            return &use->tables[i];
    kq_grow((void **)&use->tables, &use->cap, use->ntables + 1, sizeof *use->tables);
    kq_table_use *entry = &use->tables[use->ntables++];
    memset(entry, 0, sizeof *entry);
    entry->table = kq_xstrdup(table);
    return entry;
}

static void add_column(kq_table_use *entry, const char *column)
{
    for (size_t i = 0; i < entry->ncolumns; i++)
        if (strcmp(entry->columns[i], column) == 0)
            return;
    kq_grow((void **)&entry->columns, &entry->columns_cap, entry->ncolumns + 1, sizeof *entry->columns);
    entry->columns[entry->ncolumns++] = kq_xstrdup(column);
}

/* Marks the input columns expr reads in needed (NULL: none to mark) and walks its subqueries. */
static void use_expr(kq_column_use *use, const kq_expr *expr, bool *needed)
{
    if (!expr)
        return;
    if (expr->kind == KQ_EXPR_COLUMN && needed && expr->column >= 0)
        needed[expr->column] = true;
    for (int i = 0; i < expr->nargs; i++)
        use_expr(use, expr->args[i], needed);
    for (int i = 0; i < expr->nsubqueries; i++)
        use_plan(use, expr->subqueries[i], NULL, true);
}

/* Returns true when expr calls pack_all, which packs every column of the row, whatever its name. */
static bool packs_row(const kq_expr *expr)
{
    if (!expr)
        return false;
    if (expr->kind == KQ_EXPR_CALL && expr->fn && strcmp(expr->fn->name, "pack_all") == 0)
        return true;
    for (int i = 0; i < expr->nargs; i++)
        if (packs_row(expr->args[i]))
            return true;
    return false;
}

/*
 * Returns true when an operator's output can hold input columns the query
 * never names: pack_all in any expression, or an aggregate with one output
 * column per argument (arg_max(Timestamp, *) expands * over the row).
 */
static bool reads_whole_row(const kq_plan *plan)
{
    if (packs_row(plan->predicate) || packs_row(plan->count))
        return true;
    for (uint32_t i = 0; i < plan->nexprs; i++)
        if (packs_row(plan->exprs[i]))
            return true;
    for (uint32_t i = 0; i < plan->naggs; i++) {
        if (plan->aggs[i].ncolumns > 1)
            return true;
        for (int a = 0; a < plan->aggs[i].nargs; a++)
            if (packs_row(plan->aggs[i].args[a]))
                return true;
    }
    return false;
}

/* Returns true when every input column is marked: distinct *, project * and where * has expand over the row. */
static bool every_column(const bool *in, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        if (!in[i])
            return false;
    return count > 0;
}

/* Walks every expression an operator holds, marking the columns they read. */
static void use_all_exprs(kq_column_use *use, const kq_plan *plan, bool *needed)
{
    use_expr(use, plan->predicate, needed);
    for (uint32_t i = 0; i < plan->nexprs; i++)
        use_expr(use, plan->exprs[i], needed);
    for (uint32_t i = 0; i < plan->naggs; i++)
        for (int a = 0; a < plan->aggs[i].nargs; a++)
            use_expr(use, plan->aggs[i].args[a], needed);
    for (uint32_t i = 0; i < plan->nkeys; i++)
        use_expr(use, plan->keys[i].expr, needed);
    use_expr(use, plan->count, needed);
    if (plan->kind == KQ_PLAN_TOP_NESTED)
        for (uint32_t i = 0; i < plan->nexprs; i++) {
            use_expr(use, plan->level_counts ? plan->level_counts[i] : NULL, needed);
            use_expr(use, plan->level_others ? plan->level_others[i] : NULL, needed);
        }
    use_expr(use, plan->series_axis, needed);
    use_expr(use, plan->series_from, needed);
    use_expr(use, plan->series_to, needed);
    use_expr(use, plan->series_step, needed);
}

static void use_scan(kq_column_use *use, const kq_plan *plan, const bool *needed, bool extras)
{
    kq_table_use *entry = table_entry(use, plan->table_name);
    entry->extras = entry->extras || extras;
    if (!needed) {
        entry->all = true;
        return;
    }
    for (uint32_t i = 0; i < plan->schema.count; i++)
        if (needed[i])
            add_column(entry, plan->schema.fields[i].name);
}

/* Join: output = left_out[] columns, then right_out[] columns; both sides also read their keys. */
static void use_join(kq_column_use *use, const kq_plan *plan, const bool *needed, bool extras)
{
    bool *left = kq_xcalloc(plan->input->schema.count + 1, sizeof *left);
    bool *right = kq_xcalloc(plan->right->schema.count + 1, sizeof *right);
    for (uint32_t i = 0; i < plan->nleft_out; i++)
        if (!needed || needed[i])
            left[plan->left_out[i]] = true;
    for (uint32_t i = 0; i < plan->nright_out; i++)
        if (!needed || needed[plan->nleft_out + i])
            right[plan->right_out[i]] = true;
    for (uint32_t k = 0; k < plan->njoin_keys; k++) {
        left[plan->left_keys[k]] = true;
        right[plan->right_keys[k]] = true;
    }
    use_plan(use, plan->input, left, extras);
    use_plan(use, plan->right, right, extras);
    free(left);
    free(right);
}

static void use_union(kq_column_use *use, const kq_plan *plan, const bool *needed, bool extras)
{
    for (uint32_t i = 0; i < plan->ninputs; i++) {
        const kq_plan *input = plan->inputs[i];
        bool *in = kq_xcalloc(input->schema.count + 1, sizeof *in);
        for (uint32_t c = 0; c < plan->schema.count; c++)
            if ((!needed || needed[c]) && plan->column_maps[i][c] >= 0)
                in[plan->column_maps[i][c]] = true;
        use_plan(use, input, in, extras);
        free(in);
    }
}

/* Where, sort, top, take: the output columns are the input columns, plus what the operator reads. */
static void use_passthrough(kq_column_use *use, const kq_plan *plan, const bool *needed, bool extras)
{
    bool *in = kq_xcalloc(plan->input->schema.count + 1, sizeof *in);
    for (uint32_t i = 0; i < plan->input->schema.count; i++)
        in[i] = !needed || needed[i];
    use_all_exprs(use, plan, in);
    use_plan(use, plan->input, in, extras || reads_whole_row(plan) || every_column(in, plan->input->schema.count));
    free(in);
}

/* Project (and extend, project-away, project-rename): each needed output column reads its expression. */
static void use_project(kq_column_use *use, const kq_plan *plan, const bool *needed, bool extras)
{
    bool *in = kq_xcalloc(plan->input->schema.count + 1, sizeof *in);
    for (uint32_t i = 0; i < plan->nexprs; i++)
        use_expr(use, plan->exprs[i], (!needed || needed[i]) ? in : NULL);
    bool whole = reads_whole_row(plan) || every_column(in, plan->input->schema.count);
    use_plan(use, plan->input, in, (extras && plan->keeps_input_columns) || whole);
    free(in);
}

/* Summarize, count: keys and aggregate arguments only (count reads no column). */
static void use_own_exprs(kq_column_use *use, const kq_plan *plan)
{
    bool *in = kq_xcalloc(plan->input->schema.count + 1, sizeof *in);
    use_all_exprs(use, plan, in);
    use_plan(use, plan->input, in, reads_whole_row(plan) || every_column(in, plan->input->schema.count));
    free(in);
}

static void use_plan(kq_column_use *use, const kq_plan *plan, const bool *needed, bool extras)
{
    if (!plan)
        return;
    switch (plan->kind) {
    case KQ_PLAN_SCAN:
        use_scan(use, plan, needed, extras);
        return;
    case KQ_PLAN_WHERE:
    case KQ_PLAN_SORT:
    case KQ_PLAN_TOP:
    case KQ_PLAN_TAKE:
        use_passthrough(use, plan, needed, extras);
        return;
    case KQ_PLAN_PROJECT:
        use_project(use, plan, needed, extras);
        return;
    case KQ_PLAN_SUMMARIZE:
    case KQ_PLAN_COUNT:
        use_own_exprs(use, plan);
        return;
    case KQ_PLAN_JOIN:
        use_join(use, plan, needed, extras);
        return;
    case KQ_PLAN_UNION:
        use_union(use, plan, needed, extras);
        return;
    case KQ_PLAN_DATATABLE:
    case KQ_PLAN_RANGE:
    case KQ_PLAN_APPLY_ROW:
        use_all_exprs(use, plan, NULL);
        return;
    default:
        /* mv-expand, parse, parse-kv, scan, the graph operators, mv-apply, partition, top-nested,
         * make-series: every column of every input. */
        use_all_exprs(use, plan, NULL);
        use_plan(use, plan->input, NULL, true);
        use_plan(use, plan->right, NULL, true);
        for (uint32_t i = 0; i < plan->ninputs; i++)
            use_plan(use, plan->inputs[i], NULL, true);
        return;
    }
}

void kq_column_use_add(kq_column_use *use, const kq_query *query)
{
    use_plan(use, query->root, NULL, true);
}

static bool listed(const kq_table_use *entry, const char *column, size_t len)
{
    for (size_t c = 0; c < entry->ncolumns; c++)
        if (strlen(entry->columns[c]) == len && memcmp(entry->columns[c], column, len) == 0)
            return true;
    return false;
}

/* Returns true when column is one of the table's built-in columns. */
static bool built_in(const char *table, const char *column, size_t len)
{
    const kq_builtin_table *schema = kq_builtin_table_find(table, strlen(table));
    for (uint32_t i = 0; schema && i < schema->count; i++)
        if (strlen(schema->fields[i].name) == len && memcmp(schema->fields[i].name, column, len) == 0)
            return true;
    return false;
}

static bool wants(const kq_column_use *use, const char *table, const char *column, size_t len, bool paired_times)
{
    for (size_t i = 0; i < use->ntables; i++) {
        const kq_table_use *entry = &use->tables[i];
        if (strcmp(entry->table, table) != 0)
            continue;
        if (entry->all || listed(entry, column, len))
            return true;
        /* The loader fills Timestamp and TimeGenerated from each other. A scheduled run
         * cuts its window by Timestamp when the table has it (kq_table_time_column). */
        if ((kq_ascii_ieq(column, len, "Timestamp", 9) && listed(entry, "TimeGenerated", 13)) ||
            (paired_times && kq_ascii_ieq(column, len, "TimeGenerated", 13) && listed(entry, "Timestamp", 9)))
            return true;
        /* Queries compiled against the built-in schema cannot name a column outside it.
         * Such a column loads only when extend or project-away can pass it to the output. */
        return !built_in(table, column, len) && entry->extras;
    }
    /* A table no query reads: nothing to learn, so every column loads. */
    return true;
}

bool kq_column_use_wants(const kq_column_use *use, const char *table, const char *column, size_t len)
{
    return wants(use, table, column, len, true);
}

bool kq_column_use_wants_stored(const kq_column_use *use, const char *table, const char *column, size_t len)
{
    return wants(use, table, column, len, false);
}

void kq_column_use_free(kq_column_use *use)
{
    for (size_t i = 0; i < use->ntables; i++) {
        for (size_t c = 0; c < use->tables[i].ncolumns; c++)
            free(use->tables[i].columns[c]);
        free(use->tables[i].columns);
        free(use->tables[i].table);
    }
    free(use->tables);
    memset(use, 0, sizeof *use);
}
