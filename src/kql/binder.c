/*
 * Binder: statements and tabular operators. Resolves tables, let values and
 * output column names (Kusto's naming rules), and builds the immutable plan.
 */
#include "base/util.h"
#include "kql/binder_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static kq_plan *bind_function_table(binder *b, const let_binding *function, const kq_ast *call, kq_plan *first);

/* ---- output schemas ---- */


bool binder_has_name(const schema_builder *sb, const char *name)
{
    for (size_t i = 0; i < sb->count; i++)
        if (strcmp(sb->fields[i].name, name) == 0)
            return true;
    return false;
}

/* Adds a column; a taken name gets the first free numeric suffix (set_y, set_y1). */
int binder_add_field(binder *b, schema_builder *sb, const char *name, kq_type type)
{
    const char *unique = name;
    for (int n = 1; binder_has_name(sb, unique); n++)
        unique = kq_arena_printf(b->arena, "%s%d", name, n);
    kq_grow((void **)&sb->fields, &sb->cap, sb->count + 1, sizeof(kq_field));
    sb->fields[sb->count].name = unique == name ? kq_arena_strdup(b->arena, name) : unique;
    sb->fields[sb->count].type = type;
    return (int)sb->count++;
}

/* The next unused ColumnN name. */
const char *binder_next_column_name(binder *b, const schema_builder *sb, int *counter)
{
    for (;;) {
        const char *name = kq_arena_printf(b->arena, "Column%d", ++*counter);
        if (!binder_has_name(sb, name))
            return name;
    }
}

kq_schema binder_finish_schema(binder *b, schema_builder *sb)
{
    kq_schema schema = {(uint32_t)sb->count, NULL};
    schema.fields = kq_arena_alloc(b->arena, (sb->count ? sb->count : 1) * sizeof(kq_field));
    if (sb->count)
        memcpy(schema.fields, sb->fields, sb->count * sizeof(kq_field));
    free(sb->fields);
    sb->fields = NULL;
    sb->count = sb->cap = 0;
    return schema;
}

kq_plan *binder_new_plan(binder *b, kq_plan_kind kind, kq_plan *input, const kq_ast *ast)
{
    kq_plan *plan = kq_arena_alloc(b->arena, sizeof *plan);
    plan->kind = kind;
    plan->input = input;
    if (ast) {
        plan->start = ast->start;
        plan->end = ast->end;
    }
    return plan;
}

char *binder_ast_name(binder *b, const kq_ast *ast)
{
    return kq_arena_strndup(b->arena, ast->text.ptr, ast->text.len);
}

bool binder_is_bin_call(const kq_ast *ast)
{
    return ast->kind == KQ_AST_CALL && ast->nkids >= 1 &&
           (kq_str_eq(ast->text, "bin") || kq_str_eq(ast->text, "floor") || kq_str_eq(ast->text, "bin_at") ||
            kq_str_eq(ast->text, "bin_auto"));
}

/* Column name of a bare column reference, or of bin(Column, ...) in a summarize key. In
 * bin(Name = Column, 5m) the name names the key column: the Kusto language service accepts
 * this form (a hunting query uses bin(5Minutebin=Timestamp, 5m)) and names the column Name. */
char *binder_column_name_of(binder *b, const kq_ast *ast, bool allow_bin)
{
    if (ast->kind == KQ_AST_NAME)
        return binder_ast_name(b, ast);
    if (allow_bin && binder_is_bin_call(ast) && ast->kids[0]->kind == KQ_AST_ASSIGN)
        return binder_ast_name(b, ast->kids[0]);
    if (allow_bin && binder_is_bin_call(ast) && ast->kids[0]->kind == KQ_AST_NAME)
        return binder_ast_name(b, ast->kids[0]);
    for (const found_column *found = b->found_columns; found; found = found->next)
        if (found->call == ast)
            return found->name ? kq_arena_strndup(b->arena, found->name, strlen(found->name)) : NULL;
    if (ast->kind == KQ_AST_MEMBER && ast->kids[0]->kind == KQ_AST_NAME)
        return kq_arena_printf(b->arena, "%.*s_%.*s", (int)ast->kids[0]->text.len,
                               ast->kids[0]->text.ptr, (int)ast->text.len, ast->text.ptr);
    /* A conversion of one column keeps the column's name: project tostring(X) is X
     * (the language service names tolower(X) Column1, but tostring(X) X). */
    static const char *const conversions[] = {"tostring", "toint", "tolong", "todouble", "toreal", "tobool",
                                              "toboolean", "todatetime", "totimespan", "toguid", "todecimal",
                                              "todynamic", "toarray"};
    if (ast->kind == KQ_AST_CALL && ast->nkids == 1 && ast->kids[0]->kind == KQ_AST_NAME)
        for (size_t i = 0; i < KQ_ARRAY_LEN(conversions); i++)
            if (kq_str_eq(ast->text, conversions[i]))
                return binder_ast_name(b, ast->kids[0]);
    return NULL;
}

/* ---- sources ---- */

kq_plan *binder_bind_table(binder *b, const kq_ast *ast)
{
    let_binding *let = kq_find_let(b, ast->text.ptr, ast->text.len);
    if (let && let->failed)
        return NULL;
    if (let && let->plan)
        return let->plan;
    if (let && let->function)
        return kq_bind_function_table(b, let, ast);
    if (let && let->scalar) {
        kq_bind_error(b, ast->start, ast->end, "'%.*s' is a scalar value, not a table",
                      (int)ast->text.len, ast->text.ptr);
        return NULL;
    }
    const kq_schema *schema = NULL;
    kq_schema builtin_schema;
    kq_table *table = b->catalog ? kq_catalog_table(b->catalog, ast->text.ptr, ast->text.len) : NULL;
    if (table) {
        schema = &table->schema;
    } else {
        const kq_builtin_table *builtin = kq_builtin_table_find(ast->text.ptr, ast->text.len);
        if (builtin) {
            builtin_schema.count = builtin->count;
            builtin_schema.fields = (kq_field *)builtin->fields;
            schema = &builtin_schema;
        }
    }
    if (!schema) {
        kq_diag *diag = kq_bind_error(b, ast->start, ast->end,
                                      "unknown table '%.*s'", (int)ast->text.len, ast->text.ptr);
        size_t count;
        const kq_builtin_table *tables = kq_builtin_tables(&count);
        const char *best = NULL;
        int best_distance = 4;
        for (size_t i = 0; i < count; i++) {
            int d = kq_name_distance(ast->text.ptr, ast->text.len, tables[i].name, strlen(tables[i].name));
            if (d < best_distance) {
                best_distance = d;
                best = tables[i].name;
            }
        }
        if (best)
            kq_diag_set_hint(diag, "did you mean '%s'?", best);
        return NULL;
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_SCAN, NULL, ast);
    plan->table_name = binder_ast_name(b, ast);
    plan->origin = plan->table_name;
    plan->schema = kq_schema_copy(b->arena, schema);
    kq_query *q = b->query;
    for (size_t i = 0; i < q->ntables; i++)
        if (strcmp(q->tables[i], plan->table_name) == 0)
            return plan;
    q->tables = kq_xrealloc(q->tables, (q->ntables + 1) * sizeof(char *));
    q->tables[q->ntables++] = plan->table_name;
    return plan;
}

/* externaldata or inline_external_table: the declared columns and no rows. The query
 * compiles with a warning, and running it fails (kq_op_datatable), because kqlite reads
 * no network data. */
static kq_plan *bind_external_data(binder *b, const kq_ast *ast, kq_plan *plan)
{
    plan->external_operator = kq_arena_printf(b->arena, "%.*s", (int)ast->text.len, ast->text.ptr);
    plan->rows = kq_arena_alloc(b->arena, sizeof(kq_value));
    kq_diag *diag = kq_diags_add(b->diags, b->source, KQ_SEVERITY_WARNING, ast->text_start, ast->text_end,
                                 "%s reads its rows from storage over the network, which kqlite never "
                                 "does, so running this query fails", plan->external_operator);
    kq_diag_set_hint(diag, "download the file, pass it as the data argument TABLE=PATH and use TABLE in "
                           "place of %s", plan->external_operator);
    return plan;
}

static kq_plan *bind_datatable(binder *b, const kq_ast *ast)
{
    uint32_t ncolumns = ast->flags;
    schema_builder sb = {0};
    for (uint32_t i = 0; i < ncolumns; i++) {
        const kq_ast *decl = ast->kids[i];
        char *name = binder_ast_name(b, decl);
        if (binder_has_name(&sb, name)) {
            kq_bind_error(b, decl->start, decl->end, "duplicate column name '%s'", name);
            free(sb.fields);
            return NULL;
        }
        binder_add_field(b, &sb, name, decl->value.type);
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_DATATABLE, NULL, ast);
    plan->schema = binder_finish_schema(b, &sb);
    if (ast->text.len > 0)
        return bind_external_data(b, ast, plan);
    uint32_t nvalues = ast->nkids - ncolumns;
    if (nvalues % ncolumns != 0) {
        kq_bind_error(b, ast->start, ast->end,
                      "datatable has %u values, which is not a multiple of its %u columns",
                      nvalues, ncolumns);
        return NULL;
    }
    plan->nrows = nvalues / ncolumns;
    plan->rows = kq_arena_alloc(b->arena, (nvalues ? nvalues : 1) * sizeof(kq_value));
    bool ok = true;
    for (uint32_t i = 0; i < nvalues; i++) {
        const kq_ast *item = ast->kids[ncolumns + i];
        kq_type want = plan->schema.fields[i % ncolumns].type;
        kq_expr *value = kq_bind_scalar(b, item, NULL);
        if (!value) {
            ok = false;
            continue;
        }
        if (value->kind != KQ_EXPR_CONST) {
            kq_bind_error(b, item->start, item->end, "datatable values must be constants");
            ok = false;
            continue;
        }
        kq_value v = value->constant;
        if (v.null && (v.type == KQ_DYNAMIC || v.type == KQ_TYPE_NONE ||
                       (kq_type_is_numeric(v.type) && kq_type_is_numeric(want)))) {
            v = kq_null(want);
        } else if (v.type != want && !(kq_type_is_numeric(v.type) && kq_type_is_numeric(want)) &&
                   want != KQ_DYNAMIC) {
            kq_bind_error(b, item->start, item->end,
                          "datatable column '%s' is %s, but this value is %s",
                          plan->schema.fields[i % ncolumns].name, kq_type_name(want),
                          kq_type_name(v.type));
            ok = false;
            continue;
        } else if (want == KQ_DYNAMIC && v.type != KQ_DYNAMIC) {
            v = kq_dynamic(kq_dyn_from_value(b->arena, &v));
        } else if (v.type != want) {
            double real = kq_value_as_real(&v);
            if (want == KQ_REAL || want == KQ_DECIMAL)
                v = kq_real(real);
            else if (!(real >= -9.2e18 && real <= 9.2e18))
                v = kq_null(want); /* a real too large for a long (or NaN) has no long value */
            else if (want == KQ_INT)
                v = kq_int((int64_t)real);
            else
                v = kq_long((int64_t)real);
            v.type = want;
        }
        plan->rows[i] = v;
    }
    return ok ? plan : NULL;
}

/* ---- operators ---- */

static kq_plan *bind_where(binder *b, kq_plan *input, const kq_ast *op)
{
    kq_expr *predicate = kq_bind_scalar(b, op->kids[0], &input->schema);
    if (!predicate)
        return NULL;
    if (predicate->type != KQ_BOOL) {
        kq_bind_error(b, predicate->start, predicate->end,
                      "the where predicate must be bool, not %s", kq_type_name(predicate->type));
        return NULL;
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_WHERE, input, op);
    plan->schema = input->schema;
    plan->predicate = predicate;
    return plan;
}


void binder_exprs_push(expr_list *list, kq_expr *e)
{
    kq_grow((void **)&list->items, &list->cap, list->count + 1, sizeof(kq_expr *));
    list->items[list->count++] = e;
}

kq_expr **binder_exprs_finish(binder *b, expr_list *list)
{
    kq_expr **items = kq_arena_alloc(b->arena, (list->count ? list->count : 1) * sizeof(kq_expr *));
    if (list->count)
        memcpy(items, list->items, list->count * sizeof(kq_expr *));
    free(list->items);
    list->items = NULL;
    return items;
}

kq_expr *binder_column_ref(binder *b, const kq_schema *schema, int column)
{
    kq_expr *e = kq_expr_new(b, KQ_EXPR_COLUMN, schema->fields[column].type, NULL);
    e->column = column;
    return e;
}

/* extend: input columns, with assigned names replaced in place and new ones appended. */
static kq_plan *bind_extend(binder *b, kq_plan *input, const kq_ast *op)
{
    schema_builder sb = {0};
    expr_list exprs = {0};
    for (uint32_t i = 0; i < input->schema.count; i++) {
        binder_add_field(b, &sb, input->schema.fields[i].name, input->schema.fields[i].type);
        binder_exprs_push(&exprs, binder_column_ref(b, &input->schema, (int)i));
    }
    int counter = 0;
    bool ok = true;
    for (uint32_t i = 0; i < op->nkids; i++) {
        const kq_ast *item = op->kids[i];
        if (binder_expand_columns(b, item, &input->schema, &sb, &exprs, &ok))
            continue;
        const kq_ast *value_ast = item->kind == KQ_AST_ASSIGN ? item->kids[0] : item;
        kq_expr *value = kq_bind_scalar(b, value_ast, &input->schema);
        if (!value) {
            ok = false;
            continue;
        }
        const char *name = item->kind == KQ_AST_ASSIGN ? binder_ast_name(b, item) : binder_column_name_of(b, value_ast, false);
        if (!name)
            name = binder_next_column_name(b, &sb, &counter);
        int existing = -1;
        for (size_t c = 0; c < sb.count; c++)
            if (strcmp(sb.fields[c].name, name) == 0)
                existing = (int)c;
        if (existing >= 0) {
            sb.fields[existing].type = value->type;
            exprs.items[existing] = value;
        } else {
            binder_add_field(b, &sb, name, value->type);
            binder_exprs_push(&exprs, value);
        }
    }
    if (!ok) {
        free(sb.fields);
        free(exprs.items);
        return NULL;
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_PROJECT, input, op);
    plan->nexprs = (uint32_t)exprs.count;
    plan->exprs = binder_exprs_finish(b, &exprs);
    plan->schema = binder_finish_schema(b, &sb);
    plan->keeps_input_columns = true;
    return plan;
}

static kq_plan *bind_project(binder *b, kq_plan *input, const kq_ast *op)
{
    schema_builder sb = {0};
    expr_list exprs = {0};
    int counter = 0;
    bool ok = true;
    for (uint32_t i = 0; i < op->nkids; i++) {
        const kq_ast *item = op->kids[i];
        if (binder_expand_columns(b, item, &input->schema, &sb, &exprs, &ok))
            continue;
        const kq_ast *value_ast = item->kind == KQ_AST_ASSIGN ? item->kids[0] : item;
        kq_expr *value = kq_bind_scalar(b, value_ast, &input->schema);
        if (!value) {
            ok = false;
            continue;
        }
        const char *name = item->kind == KQ_AST_ASSIGN ? binder_ast_name(b, item) : binder_column_name_of(b, value_ast, false);
        if (!name)
            name = binder_next_column_name(b, &sb, &counter);
        if (binder_has_name(&sb, name) && item->kind == KQ_AST_ASSIGN) {
            kq_bind_error(b, item->start, item->end, "column '%s' is projected twice", name);
            ok = false;
            continue;
        }
        binder_add_field(b, &sb, name, value->type);
        binder_exprs_push(&exprs, value);
    }
    if (!ok) {
        free(sb.fields);
        free(exprs.items);
        return NULL;
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_PROJECT, input, op);
    plan->nexprs = (uint32_t)exprs.count;
    plan->exprs = binder_exprs_finish(b, &exprs);
    plan->schema = binder_finish_schema(b, &sb);
    return plan;
}

/* Default name of an unnamed aggregate: count_, min_Timestamp, set_ReportId, take_any keeps x. */
static const char *aggregate_name(binder *b, const kq_aggregate *agg, const kq_ast *call)
{
    char *column = call->nkids > 0 ? binder_column_name_of(b, call->kids[0], false) : NULL;
    if (!agg->name_prefix)
        return column;
    if (agg->name_uses_argument && column)
        return kq_arena_printf(b->arena, "%s_%s", agg->name_prefix, column);
    return kq_arena_printf(b->arena, "%s_", agg->name_prefix);
}

bool kq_bind_aggregate_call(binder *b, const kq_ast *call, const kq_schema *row, kq_agg_call *out)
{
    if (call->kind != KQ_AST_CALL) {
        kq_bind_error(b, call->start, call->end,
                      "summarize expects an aggregate function call such as count() or max(x)");
        return false;
    }
    const kq_aggregate *agg = kq_aggregate_find(call->text.ptr, call->text.len);
    if (!agg) {
        kq_diag *diag = kq_bind_error(b, call->text_start, call->text_end,
                                      "'%.*s' is not an aggregate function", (int)call->text.len,
                                      call->text.ptr);
        const char *best = NULL;
        int best_distance = 3;
        for (size_t i = 0; i < kq_aggregate_count(); i++) {
            const kq_aggregate *candidate = kq_aggregate_at(i);
            int d = kq_name_distance(call->text.ptr, call->text.len, candidate->name, strlen(candidate->name));
            if (d < best_distance) {
                best_distance = d;
                best = candidate->name;
            }
        }
        if (best)
            kq_diag_set_hint(diag, "did you mean '%s'?", best);
        return false;
    }
    int nargs = (int)call->nkids;
    if (nargs < agg->min_args || nargs > agg->max_args) {
        kq_bind_error(b, call->start, call->end, "%s expects %d to %d arguments, got %d",
                      agg->name, agg->min_args, agg->max_args, nargs);
        return false;
    }
    out->agg = agg;
    out->nargs = nargs;
    out->args = kq_arena_alloc(b->arena, (nargs ? nargs : 1) * sizeof(kq_expr *));
    kq_type *types = kq_arena_alloc(b->arena, (nargs ? nargs : 1) * sizeof(kq_type));
    for (int i = 0; i < nargs; i++) {
        out->args[i] = kq_bind_scalar(b, call->kids[i], row);
        if (!out->args[i])
            return false;
        types[i] = out->args[i]->type;
    }
    kq_bind_result result = {.type = KQ_TYPE_NONE, .error_arg = -1};
    agg->bind(types, nargs, &result);
    if (result.type == KQ_TYPE_NONE) {
        const kq_expr *at = result.error_arg >= 0 ? out->args[result.error_arg] : NULL;
        kq_bind_error(b, at ? at->start : call->start, at ? at->end : call->end, "%s",
                      result.error[0] ? result.error : "invalid argument types");
        return false;
    }
    out->type = result.type;
    return true;
}

/*
 * arg_max(x, a, b) / arg_min: outputs x (named after its column, or max_/min_), then a and
 * b; `*` stands for every input column that is neither a by column nor x itself.
 */
static bool bind_arg_aggregate(binder *b, const kq_ast *item, const kq_ast *call, const kq_aggregate *agg,
                               const kq_plan *input, const expr_list *keys, schema_builder *sb, kq_agg_call *out)
{
    if (call->nkids < 1 || call->kids[0]->kind == KQ_AST_STAR) {
        kq_bind_error(b, call->start, call->end, "%s needs the value to compare as its first argument", agg->name);
        return false;
    }
    expr_list args = {0};
    kq_expr *target = kq_bind_scalar(b, call->kids[0], &input->schema);
    if (!target)
        return false;
    binder_exprs_push(&args, target);
    char *target_name = binder_column_name_of(b, call->kids[0], false);
    const kq_ast *tuple = item->kind == KQ_AST_ASSIGN && item->nkids == 2 ? item->kids[1] : NULL;
    size_t first_column = sb->count;
    const char *name = item->kind == KQ_AST_ASSIGN ? binder_ast_name(b, item)
                       : target_name ? target_name
                                     : kq_arena_printf(b->arena, "%s_", agg->name_prefix);
    binder_add_field(b, sb, name, target->type);
    bool ok = true;
    for (uint32_t a = 1; a < call->nkids; a++) {
        const kq_ast *arg = call->kids[a];
        if (arg->kind == KQ_AST_STAR) {
            for (uint32_t c = 0; c < input->schema.count; c++) {
                const char *column = input->schema.fields[c].name;
                bool skip = target_name && strcmp(target_name, column) == 0;
                for (size_t k = 0; k < keys->count && !skip; k++)
                    skip = keys->items[k]->kind == KQ_EXPR_COLUMN && keys->items[k]->column == (int)c;
                if (skip)
                    continue;
                binder_exprs_push(&args, binder_column_ref(b, &input->schema, (int)c));
                binder_add_field(b, sb, column, input->schema.fields[c].type);
            }
            continue;
        }
        const kq_ast *value_ast = arg->kind == KQ_AST_ASSIGN ? arg->kids[0] : arg;
        kq_expr *value = kq_bind_scalar(b, value_ast, &input->schema);
        if (!value) {
            ok = false;
            continue;
        }
        const char *value_name = arg->kind == KQ_AST_ASSIGN ? binder_ast_name(b, arg) : binder_column_name_of(b, value_ast, false);
        int counter = 0;
        binder_add_field(b, sb, value_name ? value_name : binder_next_column_name(b, sb, &counter), value->type);
        binder_exprs_push(&args, value);
    }
    if (!ok || args.count > 512) {
        if (ok)
            kq_bind_error(b, call->start, call->end, "%s returns at most 512 columns", agg->name);
        free(args.items);
        return false;
    }
    /* (a, b) = arg_max(...) renames the first columns in order. */
    for (uint32_t t = 0; tuple && t < tuple->nkids && first_column + t < sb->count; t++)
        sb->fields[first_column + t].name = kq_arena_strndup(b->arena, tuple->kids[t]->text.ptr, tuple->kids[t]->text.len);
    out->agg = agg;
    out->nargs = (int)args.count;
    out->ncolumns = (int)args.count;
    out->args = binder_exprs_finish(b, &args);
    out->type = target->type;
    return true;
}

/* Returns the default column name of one percentage, percentile_x_99_9 for
 * percentiles(x, 99.9): every character of the percentage's text other than a letter
 * or digit becomes '_'. */
static const char *percentile_column_name(binder *b, const char *target_name, const kq_value *percentage)
{
    kq_str text = kq_value_to_str(b->arena, percentage);
    char *name = kq_arena_printf(b->arena, "percentile_%s_%.*s", target_name ? target_name : "", (int)text.len,
                                 text.ptr);
    for (char *c = name + strlen(name) - text.len; *c; c++)
        if (!isalnum((unsigned char)*c))
            *c = '_';
    return name;
}

/*
 * Binds percentile(s) and percentile(s)w: the percentages must be constants, and each
 * gets an output column. x = percentiles(...) names the first column, and
 * (a, b) = percentiles(...) names the first two.
 */
static bool bind_percentiles_aggregate(binder *b, const kq_ast *item, const kq_ast *call, const kq_aggregate *agg,
                                       const kq_plan *input, schema_builder *sb, kq_agg_call *out)
{
    if (!kq_bind_aggregate_call(b, call, &input->schema, out))
        return false;
    kq_expr **args = out->args;
    for (int a = agg->percentage_arg; a < out->nargs; a++) {
        if (args[a]->kind != KQ_EXPR_CONST) {
            kq_bind_error(b, args[a]->start, args[a]->end, "the percentages of %s must be constants", agg->name);
            return false;
        }
    }
    char *target_name = binder_column_name_of(b, call->kids[0], false);
    const kq_ast *tuple = item->kind == KQ_AST_ASSIGN && item->nkids == 2 ? item->kids[1] : NULL;
    size_t first_column = sb->count;
    for (uint32_t a = (uint32_t)agg->percentage_arg; a < call->nkids; a++) {
        const char *name = a == (uint32_t)agg->percentage_arg && item->kind == KQ_AST_ASSIGN && !tuple
                               ? binder_ast_name(b, item)
                               : percentile_column_name(b, target_name, &args[a]->constant);
        binder_add_field(b, sb, name, out->type);
    }
    for (uint32_t t = 0; tuple && t < tuple->nkids && first_column + t < sb->count; t++)
        sb->fields[first_column + t].name = kq_arena_strndup(b->arena, tuple->kids[t]->text.ptr, tuple->kids[t]->text.len);
    out->ncolumns = out->nargs - agg->percentage_arg;
    return true;
}

/* True when ast is, or contains, a call to an aggregate function. */
static bool contains_aggregate(const kq_ast *ast)
{
    if (ast->kind == KQ_AST_CALL && kq_aggregate_find(ast->text.ptr, ast->text.len))
        return true;
    for (uint32_t i = 0; i < ast->nkids; i++)
        if (contains_aggregate(ast->kids[i]))
            return true;
    return false;
}

/*
 * Copies ast with every aggregate call replaced by a name __aggN, appending the calls to
 * `calls`; summarize computes those, and a projection evaluates the rest of the expression.
 */
static kq_ast *lift_aggregates(binder *b, const kq_ast *ast, const kq_ast ***calls, size_t *ncalls, size_t *cap)
{
    if (ast->kind == KQ_AST_CALL && kq_aggregate_find(ast->text.ptr, ast->text.len)) {
        kq_grow((void **)calls, cap, *ncalls + 1, sizeof(kq_ast *));
        (*calls)[*ncalls] = ast;
        kq_ast *name = kq_arena_alloc(b->arena, sizeof *name);
        *name = *ast;
        name->kind = KQ_AST_NAME;
        const char *text = kq_arena_printf(b->arena, "__agg%zu", (*ncalls)++);
        name->text.ptr = text;
        name->text.len = (uint32_t)strlen(text);
        name->nkids = 0;
        return name;
    }
    kq_ast *copy = kq_arena_alloc(b->arena, sizeof *copy);
    *copy = *ast;
    if (ast->nkids) {
        copy->kids = kq_arena_alloc(b->arena, ast->nkids * sizeof(kq_ast *));
        for (uint32_t i = 0; i < ast->nkids; i++)
            copy->kids[i] = lift_aggregates(b, ast->kids[i], calls, ncalls, cap);
    }
    return copy;
}

static kq_plan *bind_summarize_direct(binder *b, kq_plan *input, const kq_ast *op);

/*
 * summarize whose items are expressions over aggregates (x = tostring(make_set(y))): a
 * summarize of the aggregates under hidden names, then a projection of the expressions.
 */
static kq_plan *bind_summarize(binder *b, kq_plan *input, const kq_ast *op)
{
    const kq_ast *aggregates = op->kids[0], *by = op->kids[1];
    bool lifted = false;
    for (uint32_t i = 0; i < aggregates->nkids; i++) {
        const kq_ast *item = aggregates->kids[i];
        const kq_ast *value = item->kind == KQ_AST_ASSIGN ? item->kids[0] : item;
        if (!(value->kind == KQ_AST_CALL && kq_aggregate_find(value->text.ptr, value->text.len)) &&
            contains_aggregate(value))
            lifted = true;
    }
    if (!lifted)
        return bind_summarize_direct(b, input, op);

    const kq_ast **calls = NULL;
    size_t ncalls = 0, cap = 0;
    uint32_t n = aggregates->nkids;
    kq_ast **rewritten = kq_arena_alloc(b->arena, n * sizeof(kq_ast *));
    kq_ast **inner_items = kq_arena_alloc(b->arena, (n + 64) * sizeof(kq_ast *));
    size_t ninner = 0, inner_cap = n + 64;
    int *inner_index = kq_arena_alloc(b->arena, n * sizeof(int)); /* direct items: position in inner aggs */
    size_t *item_calls = kq_arena_alloc(b->arena, (n + 1) * sizeof(size_t)); /* lifted calls of item i */
    for (uint32_t i = 0; i < n; i++) {
        item_calls[i] = ninner;
        const kq_ast *item = aggregates->kids[i];
        const kq_ast *value = item->kind == KQ_AST_ASSIGN ? item->kids[0] : item;
        inner_index[i] = -1;
        if (value->kind == KQ_AST_CALL && kq_aggregate_find(value->text.ptr, value->text.len)) {
            inner_index[i] = (int)ninner;
            rewritten[i] = NULL;
            if (ninner == inner_cap)
                break;
            inner_items[ninner++] = (kq_ast *)item;
            continue;
        }
        size_t before = ncalls;
        rewritten[i] = lift_aggregates(b, value, &calls, &ncalls, &cap);
        for (size_t c = before; c < ncalls; c++) {
            kq_ast *assign = kq_arena_alloc(b->arena, sizeof *assign);
            *assign = *calls[c];
            assign->kind = KQ_AST_ASSIGN;
            const char *text = kq_arena_printf(b->arena, "__agg%zu", c);
            assign->text.ptr = text;
            assign->text.len = (uint32_t)strlen(text);
            assign->kids = kq_arena_alloc(b->arena, sizeof(kq_ast *));
            assign->kids[0] = (kq_ast *)calls[c];
            assign->nkids = 1;
            if (ninner == inner_cap) {
                kq_ast **bigger = kq_arena_alloc(b->arena, inner_cap * 2 * sizeof(kq_ast *));
                memcpy(bigger, inner_items, ninner * sizeof(kq_ast *));
                inner_items = bigger;
                inner_cap *= 2;
            }
            inner_items[ninner++] = assign;
        }
    }
    item_calls[n] = ninner;
    free(calls);
    kq_ast *inner_aggs = kq_arena_alloc(b->arena, sizeof *inner_aggs);
    *inner_aggs = *aggregates;
    inner_aggs->nkids = (uint32_t)ninner;
    inner_aggs->kids = inner_items;
    kq_ast inner_op = *op;
    kq_ast *inner_kids[2] = {inner_aggs, (kq_ast *)by};
    inner_op.kids = inner_kids;
    kq_plan *inner = bind_summarize_direct(b, input, &inner_op);
    if (!inner)
        return NULL;
    /* Output column of each inner aggregate: keys first, then each aggregate's columns. */
    uint32_t *first_column = kq_arena_alloc(b->arena, (ninner + 1) * sizeof(uint32_t));
    first_column[0] = inner->nexprs;
    for (size_t a = 0; a < ninner; a++)
        first_column[a + 1] = first_column[a] + (uint32_t)inner->aggs[a].ncolumns;
    /* Outer projection: the by columns, then each item. */
    uint32_t nkeys = inner->nexprs;
    schema_builder sb = {0};
    expr_list exprs = {0};
    for (uint32_t k = 0; k < nkeys; k++) {
        binder_add_field(b, &sb, inner->schema.fields[k].name, inner->schema.fields[k].type);
        binder_exprs_push(&exprs, binder_column_ref(b, &inner->schema, (int)k));
    }
    int counter = 0;
    for (uint32_t i = 0; i < n; i++) {
        const kq_ast *item = aggregates->kids[i];
        if (inner_index[i] >= 0) {
            for (uint32_t c = first_column[inner_index[i]]; c < first_column[inner_index[i] + 1]; c++) {
                binder_add_field(b, &sb, inner->schema.fields[c].name, inner->schema.fields[c].type);
                binder_exprs_push(&exprs, binder_column_ref(b, &inner->schema, (int)c));
            }
            continue;
        }
        kq_expr *value = kq_bind_scalar(b, rewritten[i], &inner->schema);
        if (!value) {
            free(sb.fields);
            free(exprs.items);
            return NULL;
        }
        const char *name = item->kind == KQ_AST_ASSIGN ? binder_ast_name(b, item) : NULL;
        /* An unnamed expression over one aggregate takes that aggregate's name: tostring(make_set(x)) is set_x. */
        if (!name && item_calls[i + 1] - item_calls[i] == 1) {
            const kq_ast *call = inner_items[item_calls[i]]->kids[0];
            name = aggregate_name(b, kq_aggregate_find(call->text.ptr, call->text.len), call);
        }
        if (!name)
            name = binder_next_column_name(b, &sb, &counter);
        binder_add_field(b, &sb, name, value->type);
        binder_exprs_push(&exprs, value);
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_PROJECT, inner, op);
    plan->nexprs = (uint32_t)exprs.count;
    plan->exprs = binder_exprs_finish(b, &exprs);
    plan->schema = binder_finish_schema(b, &sb);
    return plan;
}

static kq_plan *bind_summarize_direct(binder *b, kq_plan *input, const kq_ast *op)
{
    const kq_ast *aggregates = op->kids[0], *by = op->kids[1];
    schema_builder sb = {0};
    expr_list keys = {0};
    int counter = 0;
    bool ok = true;
    for (uint32_t i = 0; i < by->nkids; i++) {
        const kq_ast *item = by->kids[i];
        const kq_ast *value_ast = item->kind == KQ_AST_ASSIGN ? item->kids[0] : item;
        kq_expr *key = kq_bind_scalar(b, value_ast, &input->schema);
        if (!key) {
            ok = false;
            continue;
        }
        const char *name = item->kind == KQ_AST_ASSIGN ? binder_ast_name(b, item) : binder_column_name_of(b, value_ast, true);
        if (!name)
            name = binder_next_column_name(b, &sb, &counter);
        binder_add_field(b, &sb, name, key->type);
        binder_exprs_push(&keys, key);
    }
    kq_agg_call *aggs = kq_arena_alloc(b->arena, (aggregates->nkids ? aggregates->nkids : 1) * sizeof(kq_agg_call));
    for (uint32_t i = 0; i < aggregates->nkids; i++) {
        const kq_ast *item = aggregates->kids[i];
        const kq_ast *call = item->kind == KQ_AST_ASSIGN ? item->kids[0] : item;
        const kq_aggregate *agg = call->kind == KQ_AST_CALL ? kq_aggregate_find(call->text.ptr, call->text.len) : NULL;
        if (agg && agg->percentage_arg) {
            if (!bind_percentiles_aggregate(b, item, call, agg, input, &sb, &aggs[i]))
                ok = false;
            continue;
        }
        if (agg && agg->finish_row) {
            if (!bind_arg_aggregate(b, item, call, agg, input, &keys, &sb, &aggs[i]))
                ok = false;
            continue;
        }
        if (!kq_bind_aggregate_call(b, call, &input->schema, &aggs[i])) {
            ok = false;
            continue;
        }
        aggs[i].ncolumns = 1;
        const char *name = item->kind == KQ_AST_ASSIGN ? binder_ast_name(b, item) : aggregate_name(b, aggs[i].agg, call);
        if (!name)
            name = binder_next_column_name(b, &sb, &counter);
        binder_add_field(b, &sb, name, aggs[i].type);
    }
    if (!ok) {
        free(sb.fields);
        free(keys.items);
        return NULL;
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_SUMMARIZE, input, op);
    plan->nexprs = (uint32_t)keys.count;
    plan->exprs = binder_exprs_finish(b, &keys);
    plan->aggs = aggs;
    plan->naggs = aggregates->nkids;
    plan->schema = binder_finish_schema(b, &sb);
    return plan;
}

static kq_plan *bind_distinct(binder *b, kq_plan *input, const kq_ast *op)
{
    if (op->nkids == 1 && op->kids[0]->kind == KQ_AST_STAR) {
        kq_plan *plan = binder_new_plan(b, KQ_PLAN_SUMMARIZE, input, op);
        plan->schema = input->schema;
        plan->nexprs = input->schema.count;
        plan->exprs = kq_arena_alloc(b->arena, (plan->nexprs ? plan->nexprs : 1) * sizeof(kq_expr *));
        for (uint32_t i = 0; i < plan->nexprs; i++)
            plan->exprs[i] = binder_column_ref(b, &input->schema, (int)i);
        return plan;
    }
    kq_plan *projected = bind_project(b, input, op);
    if (!projected)
        return NULL;
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_SUMMARIZE, input, op);
    plan->schema = projected->schema;
    plan->nexprs = projected->nexprs;
    plan->exprs = projected->exprs;
    return plan;
}

static bool bind_sort_keys(binder *b, kq_plan *plan, const kq_plan *input, kq_ast *const *items,
                           uint32_t n)
{
    plan->keys = kq_arena_alloc(b->arena, (n ? n : 1) * sizeof(kq_sort_key));
    plan->nkeys = n;
    bool ok = true;
    for (uint32_t i = 0; i < n; i++) {
        const kq_ast *key = items[i];
        kq_expr *e = kq_bind_scalar(b, key->kids[0], &input->schema);
        if (!e) {
            ok = false;
            continue;
        }
        if (e->type == KQ_DYNAMIC) {
            kq_bind_error(b, e->start, e->end, "cannot sort by a dynamic value; convert it first (tostring, tolong, ...)");
            ok = false;
            continue;
        }
        plan->keys[i].expr = e;
        plan->keys[i].ascending = key->flags & KQ_SORT_ASC;
        /* Kusto puts nulls first in ascending order and last in descending order. */
        plan->keys[i].nulls_first = (key->flags & KQ_SORT_NULLS_FIRST) ||
                                    ((key->flags & KQ_SORT_ASC) && !(key->flags & KQ_SORT_NULLS_LAST));
    }
    return ok;
}

static kq_expr *bind_row_count(binder *b, const kq_ast *ast)
{
    kq_expr *count = kq_bind_scalar(b, ast, NULL);
    if (!count)
        return NULL;
    if (!kq_type_is_integer(count->type)) {
        kq_bind_error(b, count->start, count->end, "the row count must be an integer, not %s",
                      kq_type_name(count->type));
        return NULL;
    }
    return count;
}

static bool name_matches(const kq_ast *pattern, const char *name)
{
    size_t n = strlen(name);
    if (pattern->flags & 1)
        return n >= pattern->text.len && memcmp(name, pattern->text.ptr, pattern->text.len) == 0;
    return n == pattern->text.len && memcmp(name, pattern->text.ptr, n) == 0;
}

static bool check_patterns(binder *b, const kq_plan *input, const kq_ast *op)
{
    bool ok = true;
    for (uint32_t k = 0; k < op->nkids; k++) {
        bool found = false;
        for (uint32_t i = 0; i < input->schema.count && !found; i++)
            found = name_matches(op->kids[k], input->schema.fields[i].name);
        if (!found && !(op->kids[k]->flags & 1)) {
            kq_diag *diag = kq_bind_error(b, op->kids[k]->start, op->kids[k]->end, "unknown column '%.*s'",
                                          (int)op->kids[k]->text.len, op->kids[k]->text.ptr);
            kq_hint_column(diag, &input->schema, op->kids[k]->text.ptr, op->kids[k]->text.len);
            ok = false;
        }
    }
    return ok;
}

/* Compares column names for project-reorder; natural order compares digit runs as numbers. */
static int compare_names(const char *a, const char *b, bool natural)
{
    if (!natural)
        return strcmp(a, b);
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la]))
                la++;
            while (isdigit((unsigned char)b[lb]))
                lb++;
            int order = la != lb ? (la < lb ? -1 : 1) : memcmp(a, b, la);
            if (order)
                return order;
            a += la;
            b += lb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++, b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

/* Moves the columns that a project-reorder pattern matches to the output, sorted when
 * the pattern asks for it. */
static void reorder_pattern(binder *b, const kq_plan *input, const kq_ast *pattern, bool *used, schema_builder *sb,
                            expr_list *exprs)
{
    uint32_t n = input->schema.count, count = 0;
    uint32_t *matched = kq_arena_alloc(b->arena, (n ? n : 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++)
        if (!used[i] && name_matches(pattern, input->schema.fields[i].name))
            matched[count++] = i;
    bool natural = pattern->flags & KQ_REORDER_NATURAL;
    int direction = pattern->flags & KQ_REORDER_DESC ? -1 : 1;
    /* Insertion sort: a pattern matches few columns. */
    for (uint32_t i = 1; i < count && (pattern->flags & (KQ_REORDER_ASC | KQ_REORDER_DESC)); i++)
        for (uint32_t j = i; j > 0; j--) {
            const char *left = input->schema.fields[matched[j - 1]].name, *right = input->schema.fields[matched[j]].name;
            if (compare_names(left, right, natural) * direction <= 0)
                break;
            uint32_t swap = matched[j];
            matched[j] = matched[j - 1];
            matched[j - 1] = swap;
        }
    for (uint32_t m = 0; m < count; m++) {
        used[matched[m]] = true;
        binder_add_field(b, sb, input->schema.fields[matched[m]].name, input->schema.fields[matched[m]].type);
        binder_exprs_push(exprs, binder_column_ref(b, &input->schema, (int)matched[m]));
    }
}

/* project-away, project-keep, project-rename, project-reorder: column selections without expressions. */
static kq_plan *bind_project_variant(binder *b, kq_plan *input, const kq_ast *op)
{
    schema_builder sb = {0};
    expr_list exprs = {0};
    uint32_t n = input->schema.count;
    bool *used = kq_xcalloc(n ? n : 1, sizeof(bool));
    bool ok = op->kind == KQ_AST_PROJECT_RENAME || check_patterns(b, input, op);
    if (op->kind == KQ_AST_PROJECT_REORDER) {
        for (uint32_t k = 0; k < op->nkids; k++)
            reorder_pattern(b, input, op->kids[k], used, &sb, &exprs);
    }
    for (uint32_t i = 0; i < n && ok; i++) {
        if (used[i])
            continue;
        const char *name = input->schema.fields[i].name;
        bool away = false, keep = op->kind != KQ_AST_PROJECT_KEEP;
        for (uint32_t k = 0; k < op->nkids && op->kind == KQ_AST_PROJECT_AWAY; k++)
            away = away || name_matches(op->kids[k], name);
        for (uint32_t k = 0; k < op->nkids && op->kind == KQ_AST_PROJECT_KEEP; k++)
            keep = keep || name_matches(op->kids[k], name);
        if (away || !keep)
            continue;
        for (uint32_t k = 0; k < op->nkids && op->kind == KQ_AST_PROJECT_RENAME; k++) {
            const kq_ast *old_name = op->kids[k]->kids[0];
            if (old_name->text.len == strlen(name) && memcmp(old_name->text.ptr, name, old_name->text.len) == 0)
                name = binder_ast_name(b, op->kids[k]);
        }
        binder_add_field(b, &sb, name, input->schema.fields[i].type);
        binder_exprs_push(&exprs, binder_column_ref(b, &input->schema, (int)i));
    }
    for (uint32_t k = 0; k < op->nkids && op->kind == KQ_AST_PROJECT_RENAME && ok; k++) {
        const kq_ast *old_name = op->kids[k]->kids[0];
        if (kq_schema_find(&input->schema, old_name->text.ptr, old_name->text.len) < 0) {
            kq_diag *diag = kq_bind_error(b, old_name->start, old_name->end, "unknown column '%.*s'",
                                          (int)old_name->text.len, old_name->text.ptr);
            kq_hint_column(diag, &input->schema, old_name->text.ptr, old_name->text.len);
            ok = false;
        }
    }
    free(used);
    return binder_column_projection(b, input, op, &sb, &exprs, ok);
}

kq_plan *binder_column_projection(binder *b, kq_plan *input, const kq_ast *op, schema_builder *sb, expr_list *exprs,
                                  bool ok)
{
    if (!ok) {
        free(sb->fields);
        free(exprs->items);
        return NULL;
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_PROJECT, input, op);
    plan->nexprs = (uint32_t)exprs->count;
    plan->exprs = binder_exprs_finish(b, exprs);
    plan->schema = binder_finish_schema(b, sb);
    plan->origin = input->origin;
    plan->keeps_input_columns = true;
    return plan;
}

/* as Name: the same rows and columns under a name; a new plan, because the input may be shared. */
static kq_plan *bind_as(binder *b, kq_plan *input, const kq_ast *op)
{
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_PROJECT, input, op);
    plan->nexprs = input->schema.count;
    plan->exprs = kq_arena_alloc(b->arena, (plan->nexprs ? plan->nexprs : 1) * sizeof(kq_expr *));
    for (uint32_t i = 0; i < plan->nexprs; i++)
        plan->exprs[i] = binder_column_ref(b, &input->schema, (int)i);
    plan->schema = input->schema;
    plan->origin = input->origin;
    plan->alias = binder_ast_name(b, op);
    return plan;
}

/* print a = x, y: one row; unnamed columns are print_N by position. */
static kq_plan *bind_print(binder *b, const kq_ast *ast)
{
    kq_plan *source = binder_new_plan(b, KQ_PLAN_DATATABLE, NULL, ast);
    source->nrows = 1;
    source->rows = kq_arena_alloc(b->arena, sizeof(kq_value));
    schema_builder sb = {0};
    expr_list exprs = {0};
    bool ok = true;
    for (uint32_t i = 0; i < ast->nkids; i++) {
        const kq_ast *item = ast->kids[i];
        if (binder_expand_columns(b, item, &source->schema, &sb, &exprs, &ok))
            continue;
        const kq_ast *value_ast = item->kind == KQ_AST_ASSIGN ? item->kids[0] : item;
        kq_expr *value = kq_bind_scalar(b, value_ast, &source->schema);
        if (!value) {
            ok = false;
            continue;
        }
        const char *name = item->kind == KQ_AST_ASSIGN ? binder_ast_name(b, item)
                                                       : kq_arena_printf(b->arena, "print_%u", i);
        binder_add_field(b, &sb, name, value->type);
        binder_exprs_push(&exprs, value);
    }
    if (!ok) {
        free(sb.fields);
        free(exprs.items);
        return NULL;
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_PROJECT, source, ast);
    plan->nexprs = (uint32_t)exprs.count;
    plan->exprs = binder_exprs_finish(b, &exprs);
    plan->schema = binder_finish_schema(b, &sb);
    return plan;
}

/* A bare scalar expression as the query, such as asin(0.5). The language service types
 * the result as that scalar; kqlite returns it as `print` does, one row in a column
 * print_0. NOTE: Kusto's docs do not name this column. */
static kq_plan *bind_scalar_query(binder *b, const kq_ast *expression)
{
    kq_ast *print = kq_arena_alloc(b->arena, sizeof *print);
    print->kind = KQ_AST_PRINT;
    print->start = expression->start;
    print->end = expression->end;
    print->kids = kq_arena_alloc(b->arena, sizeof(kq_ast *));
    print->kids[0] = (kq_ast *)expression;
    print->nkids = 1;
    return bind_print(b, print);
}

static kq_plan *bind_operator_kind(binder *b, kq_plan *input, const kq_ast *op);

static kq_plan *bind_operator(binder *b, kq_plan *input, const kq_ast *op)
{
    bool graph_operator = op->kind == KQ_AST_GRAPH_MATCH || op->kind == KQ_AST_GRAPH_MARK_COMPONENTS ||
                          op->kind == KQ_AST_GRAPH_TO_TABLE;
    if (input->kind == KQ_PLAN_GRAPH && !graph_operator) {
        kq_bind_error(b, op->start, op->end, "make-graph builds a graph, not a table: follow it with graph-match");
        return NULL;
    }
    if (graph_operator && input->kind != KQ_PLAN_GRAPH) {
        kq_bind_error(b, op->start, op->end, "this graph operator needs a graph: put make-graph before it");
        return NULL;
    }
    const char *saved = b->row_origin;
    b->row_origin = input->origin;
    kq_plan *plan = bind_operator_kind(b, input, op);
    b->row_origin = saved;
    /* Operators that keep the input's columns keep its origin for later messages. */
    if (plan && (plan->kind == KQ_PLAN_WHERE || plan->kind == KQ_PLAN_SORT || plan->kind == KQ_PLAN_TAKE ||
                 plan->kind == KQ_PLAN_TOP || op->kind == KQ_AST_EXTEND))
        plan->origin = input->origin;
    return plan;
}

static kq_plan *bind_operator_kind(binder *b, kq_plan *input, const kq_ast *op)
{
    kq_plan *plan;
    switch (op->kind) {
    case KQ_AST_WHERE: return bind_where(b, input, op);
    case KQ_AST_SEARCH: return kq_bind_search(b, input, op);
    case KQ_AST_EXTEND: return bind_extend(b, input, op);
    case KQ_AST_PROJECT: return bind_project(b, input, op);
    case KQ_AST_PROJECT_AWAY:
    case KQ_AST_PROJECT_RENAME:
    case KQ_AST_PROJECT_REORDER: return bind_project_variant(b, input, op);
    case KQ_AST_PROJECT_KEEP: return bind_project_variant(b, input, op);
    case KQ_AST_PROJECT_BY_NAMES: return binder_project_by_names(b, input, op);
    case KQ_AST_SUMMARIZE: return bind_summarize(b, input, op);
    case KQ_AST_DISTINCT: return bind_distinct(b, input, op);
    case KQ_AST_SORT:
        plan = binder_new_plan(b, KQ_PLAN_SORT, input, op);
        plan->schema = input->schema;
        return bind_sort_keys(b, plan, input, op->kids, op->nkids) ? plan : NULL;
    case KQ_AST_TOP:
        plan = binder_new_plan(b, KQ_PLAN_TOP, input, op);
        plan->schema = input->schema;
        plan->count = bind_row_count(b, op->kids[0]);
        if (!bind_sort_keys(b, plan, input, &op->kids[1], 1) || !plan->count)
            return NULL;
        return plan;
    case KQ_AST_TAKE:
        plan = binder_new_plan(b, KQ_PLAN_TAKE, input, op);
        plan->schema = input->schema;
        plan->count = bind_row_count(b, op->kids[0]);
        return plan->count ? plan : NULL;
    case KQ_AST_AS:
        return bind_as(b, input, op);
    case KQ_AST_SERIALIZE:
        if (op->nkids == 1)
            return bind_extend(b, input, op->kids[0]);
        return input;
    case KQ_AST_INVOKE: {
        const kq_ast *call = op->kids[0];
        let_binding *function = kq_find_let(b, call->text.ptr, call->text.len);
        if (!function || !function->function) {
            kq_bind_error(b, call->start, call->end, "invoke: '%.*s' is not a function defined with let",
                          (int)call->text.len, call->text.ptr);
            return NULL;
        }
        return bind_function_table(b, function, call, input);
    }
    case KQ_AST_JOIN:
    case KQ_AST_LOOKUP: return binder_join(b, input, op);
    case KQ_AST_UNION: return binder_union(b, input, op);
    case KQ_AST_MV_EXPAND: return binder_mv_expand(b, input, op);
    case KQ_AST_MV_APPLY: return binder_mv_apply(b, input, op);
    case KQ_AST_TOP_NESTED: return binder_top_nested(b, input, op);
    case KQ_AST_MAKE_SERIES: return binder_make_series(b, input, op);
    case KQ_AST_PARTITION: return binder_partition(b, input, op);
    case KQ_AST_PARSE: return binder_parse(b, input, op);
    case KQ_AST_PARSE_KV: return binder_parse_kv(b, input, op);
    case KQ_AST_SCAN: return binder_scan(b, input, op);
    case KQ_AST_MAKE_GRAPH: return binder_make_graph(b, input, op);
    case KQ_AST_GRAPH_MATCH: return binder_graph_match(b, input, op);
    case KQ_AST_GRAPH_MARK_COMPONENTS: return binder_mark_components(b, input, op);
    case KQ_AST_GRAPH_TO_TABLE: return binder_graph_to_table(b, input, op);
    case KQ_AST_COUNT: {
        plan = binder_new_plan(b, KQ_PLAN_COUNT, input, op);
        schema_builder sb = {0};
        binder_add_field(b, &sb, "Count", KQ_LONG);
        plan->schema = binder_finish_schema(b, &sb);
        return plan;
    }
    default:
        kq_bind_error(b, op->start, op->end, "this operator is not supported yet");
        return NULL;
    }
}

kq_plan *binder_bind_operator(binder *b, kq_plan *input, const kq_ast *op)
{
    return bind_operator(b, input, op);
}

bool kq_ast_is_tabular(binder *b, const kq_ast *ast)
{
    if ((ast->kind == KQ_AST_CALL || ast->kind == KQ_AST_MEMBER) && kq_pattern_of_invocation(b, ast))
        return true;
    switch (ast->kind) {
    case KQ_AST_PIPE:
    case KQ_AST_DATATABLE:
    case KQ_AST_SEARCH:
    case KQ_AST_PRINT:
    case KQ_AST_UNION:
    case KQ_AST_RANGE:
    case KQ_AST_APPLY_SOURCE:
        return true;
    case KQ_AST_CALL: {
        if (kq_str_eq(ast->text, "materialize") && ast->nkids == 1)
            return kq_ast_is_tabular(b, ast->kids[0]);
        let_binding *let = kq_find_let(b, ast->text.ptr, ast->text.len);
        return let && let->function && kq_function_returns_table(b, let);
    }
    case KQ_AST_NAME: {
        let_binding *let = kq_find_let(b, ast->text.ptr, ast->text.len);
        if (let && let->function)
            return kq_function_returns_table(b, let);
        if (let)
            return let->plan != NULL;
        if (b->catalog && kq_catalog_table(b->catalog, ast->text.ptr, ast->text.len))
            return true;
        return kq_builtin_table_find(ast->text.ptr, ast->text.len) != NULL;
    }
    default:
        return false;
    }
}

kq_plan *kq_bind_tabular(binder *b, const kq_ast *ast)
{
    const kq_ast *pattern = ast->kind == KQ_AST_CALL || ast->kind == KQ_AST_MEMBER ? kq_pattern_of_invocation(b, ast)
                                                                                   : NULL;
    if (pattern)
        return kq_bind_pattern_invocation(b, pattern, ast);
    switch (ast->kind) {
    case KQ_AST_PIPE: {
        kq_plan *input = kq_bind_tabular(b, ast->kids[0]);
        if (!input)
            return NULL;
        kq_plan *plan = bind_operator(b, input, ast->kids[1]);
        /* After an error in an operator that keeps its input's columns (where, sort, take),
         * binding goes on with those columns so later errors are reported too. The query
         * still fails, because the error is recorded. */
        kq_ast_kind kind = ast->kids[1]->kind;
        if (!plan && (kind == KQ_AST_WHERE || kind == KQ_AST_SORT || kind == KQ_AST_TAKE || kind == KQ_AST_TOP))
            return input;
        return plan;
    }
    case KQ_AST_NAME:
        return binder_bind_table(b, ast);
    case KQ_AST_DATATABLE:
        return bind_datatable(b, ast);
    case KQ_AST_SEARCH:
        return kq_bind_search(b, NULL, ast);
    case KQ_AST_PRINT:
        return bind_print(b, ast);
    case KQ_AST_UNION:
        return binder_union(b, NULL, ast);
    case KQ_AST_RANGE:
        return binder_range(b, ast);
    case KQ_AST_APPLY_SOURCE:
        if (b->apply_source)
            return b->apply_source;
        kq_bind_error(b, ast->start, ast->end, "a subquery source is only valid inside mv-apply");
        return NULL;
    case KQ_AST_CALL: {
        if (kq_str_eq(ast->text, "materialize") && ast->nkids == 1)
            return kq_bind_tabular(b, ast->kids[0]);
        let_binding *let = kq_find_let(b, ast->text.ptr, ast->text.len);
        if (let && let->function)
            return kq_bind_function_table(b, let, ast);
        kq_bind_error(b, ast->start, ast->end, "'%.*s' does not return a table", (int)ast->text.len, ast->text.ptr);
        return NULL;
    }
    default:
        kq_bind_error(b, ast->start, ast->end,
                      "a tabular expression (a table name, a let-bound table or datatable) is expected here");
        return NULL;
    }
}

/* ---- user-defined functions ---- */

static void bind_let(binder *b, const kq_ast *let);

/*
 * Matches a call's arguments to the function's parameters: positional ones in order
 * (after `shift` parameters filled by a piped table), then name = value ones by name.
 * args[i] is the argument of parameter i, or NULL when it takes its default.
 */
static bool match_arguments(binder *b, const kq_ast *def, const kq_ast *call, uint32_t shift, const kq_ast **args)
{
    uint32_t nparams = def->flags;
    memset(args, 0, nparams * sizeof *args);
    bool named_seen = false;
    for (uint32_t a = 0; a < call->nkids; a++) {
        const kq_ast *arg = call->kids[a];
        if (arg->kind != KQ_AST_ASSIGN) {
            if (named_seen) {
                kq_bind_error(b, arg->start, arg->end, "a positional argument cannot follow a named one");
                return false;
            }
            args[a + shift] = arg;
            continue;
        }
        named_seen = true;
        uint32_t p = 0;
        while (p < nparams && !(def->kids[p]->text.len == arg->text.len &&
                                memcmp(def->kids[p]->text.ptr, arg->text.ptr, arg->text.len) == 0))
            p++;
        if (p == nparams || p < shift) {
            kq_bind_error(b, arg->text_start, arg->text_end, "%.*s has no parameter '%.*s'", (int)call->text.len,
                          call->text.ptr, (int)arg->text.len, arg->text.ptr);
            return false;
        }
        if (args[p]) {
            kq_bind_error(b, arg->text_start, arg->text_end, "parameter '%.*s' is given twice", (int)arg->text.len,
                          arg->text.ptr);
            return false;
        }
        args[p] = arg->kids[0];
    }
    return true;
}

/* Binds the parameters of a call as lets; returns false after reporting a bad argument list. */
static bool bind_parameters(binder *b, const let_binding *function, const kq_ast *call, const kq_schema *row,
                            kq_plan *first, let_binding **params)
{
    const kq_ast *def = function->function;
    uint32_t nparams = def->flags;
    uint32_t shift = first ? 1 : 0;
    if (call->nkids + shift > nparams) {
        kq_bind_error(b, call->start, call->end, "%.*s takes %u argument%s, got %u", (int)call->text.len,
                      call->text.ptr, nparams, nparams == 1 ? "" : "s", call->nkids);
        return false;
    }
    const kq_ast **args = kq_arena_alloc(b->arena, (nparams + 1) * sizeof(kq_ast *));
    if (!match_arguments(b, def, call, shift, args))
        return false;
    let_binding *list = function->scope;
    for (uint32_t i = 0; i < nparams; i++) {
        const kq_ast *param = def->kids[i];
        let_binding *binding = kq_arena_alloc(b->arena, sizeof *binding);
        binding->name = param->text;
        if (first && i == 0) {
            binding->plan = first;
        } else if (args[i] && param->flags == 1) {
            binding->plan = kq_bind_tabular(b, args[i]);
        } else if (args[i]) {
            binding->scalar = kq_bind_scalar(b, args[i], row);
        } else if (param->nkids == 1) {
            let_binding *saved = b->lets;
            b->lets = function->scope;
            binding->scalar = kq_bind_scalar(b, param->kids[0], NULL);
            b->lets = saved;
        } else {
            kq_bind_error(b, call->start, call->end, "%.*s: missing the argument for parameter '%.*s'",
                          (int)call->text.len, call->text.ptr, (int)param->text.len, param->text.ptr);
            return false;
        }
        if (!binding->plan && !binding->scalar)
            return false;
        binding->next = list;
        list = binding;
    }
    *params = list;
    return true;
}

/* Binds the body statements in the function's scope; the result statement is returned unbound. */
static const kq_ast *enter_body(binder *b, const let_binding *function, let_binding *params)
{
    const kq_ast *def = function->function;
    b->lets = params;
    for (uint32_t i = def->flags; i + 1 < def->nkids; i++)
        if (def->kids[i]->kind == KQ_AST_LET)
            bind_let(b, def->kids[i]);
    const kq_ast *last = def->kids[def->nkids - 1];
    return last->kind == KQ_AST_QUERY ? last->kids[0] : NULL;
}

kq_expr *kq_bind_function_call(binder *b, const let_binding *function, const kq_ast *call, const kq_schema *row)
{
    if (++b->depth > 64) {
        kq_bind_error(b, call->start, call->end, "functions call each other too deeply (limit 64)");
        b->depth--;
        return NULL;
    }
    let_binding *saved = b->lets, *params = NULL;
    kq_expr *result = NULL;
    if (bind_parameters(b, function, call, row, NULL, &params)) {
        const kq_ast *body = enter_body(b, function, params);
        if (!body)
            kq_bind_error(b, call->start, call->end, "%.*s has no result expression", (int)call->text.len, call->text.ptr);
        else
            result = kq_bind_scalar(b, body, row);
    }
    b->lets = saved;
    b->depth--;
    return result;
}

kq_plan *kq_bind_function_table(binder *b, const let_binding *function, const kq_ast *call)
{
    return bind_function_table(b, function, call, NULL);
}

static kq_plan *bind_function_table(binder *b, const let_binding *function, const kq_ast *call, kq_plan *first)
{
    if (++b->depth > 64) {
        kq_bind_error(b, call->start, call->end, "functions call each other too deeply (limit 64)");
        b->depth--;
        return NULL;
    }
    let_binding *saved = b->lets, *params = NULL;
    kq_plan *result = NULL;
    if (bind_parameters(b, function, call, NULL, first, &params)) {
        const kq_ast *body = enter_body(b, function, params);
        if (body)
            result = kq_bind_tabular(b, body);
    }
    b->lets = saved;
    b->depth--;
    return result;
}

bool kq_function_returns_table(binder *b, const let_binding *function)
{
    const kq_ast *def = function->function;
    const kq_ast *last = def->kids[def->nkids - 1];
    if (last->kind != KQ_AST_QUERY)
        return false;
    const kq_ast *body = last->kids[0];
    for (uint32_t i = 0; i < def->flags; i++)
        if (body->kind == KQ_AST_NAME && def->kids[i]->flags == 1 &&
            kq_ascii_ieq(body->text.ptr, body->text.len, def->kids[i]->text.ptr, def->kids[i]->text.len))
            return true;
    if (body->kind == KQ_AST_PIPE) {
        const kq_ast *source = body;
        while (source->kind == KQ_AST_PIPE)
            source = source->kids[0];
        for (uint32_t i = 0; i < def->flags; i++)
            if (source->kind == KQ_AST_NAME && def->kids[i]->flags == 1 &&
                source->text.len == def->kids[i]->text.len &&
                memcmp(source->text.ptr, def->kids[i]->text.ptr, source->text.len) == 0)
                return true;
    }
    let_binding *saved = b->lets;
    b->lets = function->scope;
    bool tabular = kq_ast_is_tabular(b, body);
    b->lets = saved;
    return tabular;
}

static void bind_let(binder *b, const kq_ast *let)
{
    let_binding *binding = kq_arena_alloc(b->arena, sizeof *binding);
    binding->name = let->text;
    const kq_ast *value = let->kids[0];
    if (value->kind == KQ_AST_FUNCTION) {
        binding->function = value;
        binding->view = let->flags & 1;
        binding->scope = b->lets;
        binding->next = b->lets;
        b->lets = binding;
        return;
    }
    if (kq_ast_is_tabular(b, value))
        binding->plan = kq_bind_tabular(b, value);
    else
        binding->scalar = kq_bind_scalar(b, value, NULL);
    /* A let whose value failed stays defined, so its uses do not report a second error. */
    binding->failed = !binding->plan && !binding->scalar;
    /* Later lets shadow earlier ones of the same name. */
    binding->next = b->lets;
    b->lets = binding;
}

kq_query *kq_compile(const kq_source *source, const kq_catalog *catalog, kq_diags *diags)
{
    kq_arena *arena = kq_arena_new(64 * 1024);
    size_t errors_before = diags->errors;
    kq_ast *script = kq_parse(source, arena, diags);
    if (!script) {
        kq_arena_free(arena);
        return NULL;
    }
    kq_query *query = kq_xcalloc(1, sizeof *query);
    query->arena = arena;
    binder b = {.source = source, .catalog = catalog, .diags = diags, .arena = arena, .query = query,
                .script = script};
    const kq_ast *last_query = NULL;
    for (uint32_t i = 0; i < script->nkids; i++) {
        const kq_ast *statement = script->kids[i];
        if (statement->kind == KQ_AST_LET)
            bind_let(&b, statement);
        else if (statement->kind == KQ_AST_PATTERN)
            kq_bind_pattern_declaration(&b, statement);
        else if (statement->kind != KQ_AST_SET)
            last_query = statement;
    }
    if (!last_query) {
        if (diags->errors == errors_before)
            kq_diags_add(diags, source, KQ_SEVERITY_ERROR, source->len, source->len,
                         "the query has no tabular expression to run (only let statements)");
    } else if (!kq_ast_is_tabular(&b, last_query->kids[0]) &&
               last_query->kids[0]->kind != KQ_AST_PIPE) {
        query->root = bind_scalar_query(&b, last_query->kids[0]);
        query->scalar_result = query->root != NULL;
    } else {
        query->root = kq_bind_tabular(&b, last_query->kids[0]);
        if (query->root && query->root->kind == KQ_PLAN_GRAPH) {
            kq_bind_error(&b, last_query->start, last_query->end,
                          "make-graph builds a graph, not a table: follow it with graph-match");
            query->root = NULL;
        }
    }
    if (diags->errors > errors_before || !query->root) {
        kq_query_free(query);
        return NULL;
    }
    return query;
}

void kq_query_free(kq_query *query)
{
    if (!query)
        return;
    free(query->tables);
    kq_arena_free(query->arena);
    free(query);
}
