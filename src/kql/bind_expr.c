/*
 * Binding scalar expressions: names to columns or let values, calls to the
 * registry, operators to their typed implementations.
 */
#include "kql/binder_internal.h"
#include "base/util.h"
#include "kql/limits.h"
#include "functions/regex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

kq_expr *kq_expr_new(binder *b, kq_expr_kind kind, kq_type type, const kq_ast *ast)
{
    kq_expr *e = kq_arena_alloc(b->arena, sizeof *e);
    e->kind = kind;
    e->type = type;
    e->column = -1;
    e->slot = -1;
    if (ast) {
        e->start = ast->start;
        e->end = ast->end;
    }
    return e;
}

kq_diag *kq_bind_error(binder *b, uint32_t start, uint32_t end, const char *format, ...)
{
    char message[512];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    return kq_diags_add(b->diags, b->source, KQ_SEVERITY_ERROR, start, end, "%s", message);
}

let_binding *kq_find_let(binder *b, const char *name, size_t len)
{
    for (let_binding *let = b->lets; let; let = let->next)
        if (let->name.len == len && memcmp(let->name.ptr, name, len) == 0)
            return let;
    return NULL;
}

int kq_name_distance(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen > 64 || blen > 64)
        return 99;
    int row[65];
    for (size_t j = 0; j <= blen; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= alen; i++) {
        int diagonal = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= blen; j++) {
            int above = row[j];
            int cost = kq_ascii_lower((unsigned char)a[i - 1]) == kq_ascii_lower((unsigned char)b[j - 1]) ? 0 : 1;
            int best = diagonal + cost;
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[blen];
}

/* A close name: same letters ignoring case, a small edit distance, or a longer
 * column that ends with the name (AccountUpn -> InitiatingProcessAccountUpn). */
void kq_hint_column(kq_diag *diag, const kq_schema *schema, const char *name, size_t len)
{
    /* A name such as 5x is most often a timespan literal with a unit kqlite does not know. */
    if (len > 1 && name[0] >= '0' && name[0] <= '9') {
        kq_diag_set_hint(diag, "if this is a timespan, give it a unit such as d, h, m, s or ms (5d, 30m)");
        return;
    }
    if (!schema)
        return;
    const char *best = NULL;
    int best_score = 1000;
    for (uint32_t i = 0; i < schema->count; i++) {
        const char *candidate = schema->fields[i].name;
        size_t clen = strlen(candidate);
        int score;
        if (kq_ascii_ieq(candidate, clen, name, len))
            score = 0;
        else {
            int distance = kq_name_distance(name, len, candidate, clen);
            int allowed = len <= 4 ? 1 : len <= 10 ? 2 : 3;
            score = distance <= allowed ? distance : 1000;
            if (score == 1000 && clen > len && kq_ascii_ieq(candidate + clen - len, len, name, len))
                score = 50;
        }
        if (score < best_score) {
            best_score = score;
            best = candidate;
        }
    }
    if (best)
        kq_diag_set_hint(diag, "did you mean '%s'?", best);
}

static kq_expr *bind_const(binder *b, const kq_ast *ast)
{
    kq_expr *e = kq_expr_new(b, KQ_EXPR_CONST, ast->value.type, ast);
    e->constant = ast->value;
    if (e->type == KQ_TYPE_NONE) {
        /* An untyped null literal behaves as dynamic(null) until context types it. */
        e->type = KQ_DYNAMIC;
        e->constant = kq_dynamic(NULL);
    }
    return e;
}

static kq_expr *bind_name(binder *b, const kq_ast *ast, const kq_schema *row)
{
    if (row) {
        int column = kq_schema_find(row, ast->text.ptr, ast->text.len);
        if (column >= 0) {
            kq_expr *e = kq_expr_new(b, KQ_EXPR_COLUMN, row->fields[column].type, ast);
            e->column = column;
            return e;
        }
    }
    let_binding *let = kq_find_let(b, ast->text.ptr, ast->text.len);
    if (let && let->failed)
        return NULL;
    if (let && let->scalar)
        return let->scalar;
    if (let && let->plan) {
        kq_bind_error(b, ast->start, ast->end,
                      "'%.*s' is a tabular value; use it as a query source or inside in (...)",
                      (int)ast->text.len, ast->text.ptr);
        return NULL;
    }
    kq_diag *diag;
    if (row && b->row_origin)
        diag = kq_bind_error(b, ast->start, ast->end, "unknown column '%.*s' in %s", (int)ast->text.len,
                             ast->text.ptr, b->row_origin);
    else if (row)
        diag = kq_bind_error(b, ast->start, ast->end, "unknown column '%.*s'", (int)ast->text.len,
                             ast->text.ptr);
    else
        diag = kq_bind_error(b, ast->start, ast->end,
                             "unknown name '%.*s': no column, table, variable or function has this name",
                             (int)ast->text.len, ast->text.ptr);
    kq_hint_column(diag, row, ast->text.ptr, ast->text.len);
    return NULL;
}

/* Functions whose argument at `index` is a regular expression. */
static const struct {
    const char *name;
    int index;
} regex_arguments[] = {
    {"matches regex", 1}, {"trim", 0}, {"trim_start", 0}, {"trim_end", 0}, {"extract", 0},
    {"extract_all", 0}, {"extractall", 0}, {"replace_regex", 1}, {"replace", 0}, {"indexof_regex", 1},
};

/* A constant pattern is compiled at bind time, so a bad regex is a compile error with a
 * caret (and `kqlite rules` catches it) instead of a failure when the rule runs. */
static bool check_constant_regex(binder *b, const kq_function *fn, kq_expr **args, int nargs)
{
    for (size_t i = 0; i < KQ_ARRAY_LEN(regex_arguments); i++) {
        if (strcmp(fn->name, regex_arguments[i].name) != 0 || regex_arguments[i].index >= nargs)
            continue;
        const kq_expr *pattern = args[regex_arguments[i].index];
        if (pattern->kind != KQ_EXPR_CONST || pattern->type != KQ_STRING)
            return true;
        char error[256];
        if (!kq_regex_get(pattern->constant.u.s.ptr, pattern->constant.u.s.len, error, sizeof error)) {
            kq_bind_error(b, pattern->start, pattern->end, "%s", error);
            return false;
        }
    }
    return true;
}

/* Binds a call to a registered function, checking argument types. */
static kq_expr *bind_function(binder *b, const kq_ast *ast, const kq_function *fn,
                              kq_expr **args, int nargs)
{
    if (nargs < fn->min_args || (fn->max_args >= 0 && nargs > fn->max_args)) {
        if (fn->min_args == fn->max_args)
            kq_bind_error(b, ast->start, ast->end, "%s expects %d argument%s, got %d", fn->name,
                          fn->min_args, fn->min_args == 1 ? "" : "s", nargs);
        else
            kq_bind_error(b, ast->start, ast->end, "%s expects %d to %d arguments, got %d",
                          fn->name, fn->min_args, fn->max_args, nargs);
        return NULL;
    }
    kq_type types[KQ_MAX_CALL_ARGS];
    if (nargs > KQ_MAX_CALL_ARGS) {
        kq_bind_error(b, ast->start, ast->end, "%s takes at most %d arguments", fn->name, KQ_MAX_CALL_ARGS);
        return NULL;
    }
    for (int i = 0; i < nargs; i++)
        types[i] = args[i]->type;
    kq_bind_result result = {.type = KQ_TYPE_NONE, .error_arg = -1};
    fn->bind(types, nargs, &result);
    if (result.type == KQ_TYPE_NONE) {
        const kq_expr *at = result.error_arg >= 0 && result.error_arg < nargs ? args[result.error_arg] : NULL;
        kq_bind_error(b, at ? at->start : ast->start, at ? at->end : ast->end, "%s",
                      result.error[0] ? result.error : "invalid argument types");
        return NULL;
    }
    if (!check_constant_regex(b, fn, args, nargs))
        return NULL;
    kq_expr *e = kq_expr_new(b, KQ_EXPR_CALL, result.type, ast);
    e->fn = fn;
    e->args = kq_arena_alloc(b->arena, (nargs ? nargs : 1) * sizeof(kq_expr *));
    memcpy(e->args, args, nargs * sizeof(kq_expr *));
    e->nargs = nargs;
    return e;
}

static bool bind_args(binder *b, const kq_ast *ast, uint32_t first, const kq_schema *row,
                      kq_expr **args)
{
    bool ok = true;
    for (uint32_t i = first; i < ast->nkids; i++) {
        if (ast->kids[i]->kind == KQ_AST_STAR) {
            kq_bind_error(b, ast->kids[i]->start, ast->kids[i]->end, "'*' is not valid here");
            ok = false;
            continue;
        }
        /* A named first argument of bin() (see binder_column_name_of) binds as its value. */
        const kq_ast *arg = ast->kids[i]->kind == KQ_AST_ASSIGN ? ast->kids[i]->kids[0] : ast->kids[i];
        args[i - first] = kq_bind_scalar(b, arg, row);
        if (!args[i - first])
            ok = false;
    }
    return ok;
}

/* toscalar(T): a run-once subquery whose first value becomes a constant. */
static kq_expr *bind_toscalar(binder *b, const kq_ast *ast)
{
    if (ast->nkids != 1) {
        kq_bind_error(b, ast->start, ast->end, "toscalar expects one tabular or scalar argument");
        return NULL;
    }
    if (!kq_ast_is_tabular(b, ast->kids[0]))
        return kq_bind_scalar(b, ast->kids[0], NULL);
    kq_plan *plan = kq_bind_tabular(b, ast->kids[0]);
    if (!plan)
        return NULL;
    if (plan->schema.count < 1) {
        kq_bind_error(b, ast->start, ast->end, "toscalar: the tabular expression has no columns");
        return NULL;
    }
    kq_expr *e = kq_expr_new(b, KQ_EXPR_SCALAR_SUBQUERY, plan->schema.fields[0].type, ast);
    e->subqueries = kq_arena_alloc(b->arena, sizeof(kq_plan *));
    e->subqueries[0] = plan;
    e->nsubqueries = 1;
    e->slot = b->query->nslots++;
    return e;
}

/* pack_all([flag]): the row's columns become name/value argument pairs. */
static kq_expr *bind_pack_all(binder *b, const kq_ast *ast, const kq_schema *row)
{
    if (ast->nkids > 1) {
        kq_bind_error(b, ast->start, ast->end, "pack_all takes at most one argument");
        return NULL;
    }
    uint32_t ncolumns = row ? row->count : 0;
    if (ncolumns > (KQ_MAX_CALL_ARGS - 1) / 2) {
        kq_bind_error(b, ast->start, ast->end, "pack_all: the row has more than %d columns", (KQ_MAX_CALL_ARGS - 1) / 2);
        return NULL;
    }
    kq_expr *e = kq_expr_new(b, KQ_EXPR_CALL, KQ_DYNAMIC, ast);
    e->fn = kq_function_find("pack_all", 8);
    e->nargs = 1 + 2 * (int)ncolumns;
    e->args = kq_arena_alloc(b->arena, (size_t)e->nargs * sizeof(kq_expr *));
    if (ast->nkids == 1) {
        e->args[0] = kq_bind_scalar(b, ast->kids[0], row);
        if (!e->args[0])
            return NULL;
        if (e->args[0]->type != KQ_BOOL) {
            kq_bind_error(b, ast->kids[0]->start, ast->kids[0]->end, "pack_all takes a bool ignore_null_empty");
            return NULL;
        }
    } else {
        e->args[0] = kq_expr_new(b, KQ_EXPR_CONST, KQ_BOOL, ast);
        e->args[0]->constant = kq_bool(false);
    }
    for (uint32_t c = 0; c < ncolumns; c++) {
        kq_expr *name = kq_expr_new(b, KQ_EXPR_CONST, KQ_STRING, ast);
        name->constant = kq_string(row->fields[c].name, strlen(row->fields[c].name));
        kq_expr *value = kq_expr_new(b, KQ_EXPR_COLUMN, row->fields[c].type, ast);
        value->column = (int)c;
        e->args[1 + 2 * c] = name;
        e->args[2 + 2 * c] = value;
    }
    return e;
}

/* typeof(T) names a type as an argument (extract(..., typeof(long))): a null of that type. */
static kq_expr *bind_typeof(binder *b, const kq_ast *ast)
{
    const kq_ast *arg = ast->nkids == 1 ? ast->kids[0] : NULL;
    kq_type type = arg && arg->kind == KQ_AST_NAME ? kq_type_from_name(arg->text.ptr, arg->text.len) : KQ_TYPE_NONE;
    if (type == KQ_TYPE_NONE) {
        kq_bind_error(b, ast->start, ast->end, "typeof() takes a type name: string, long, int, real, bool, datetime, timespan, guid or dynamic");
        return NULL;
    }
    kq_expr *e = kq_expr_new(b, KQ_EXPR_CONST, type, ast);
    e->constant = kq_null(type);
    return e;
}

/* column_ifexists("Name", default): the column when the rows have it, else the default.
 * As documented, a dynamic column also gives the default. The language service types the
 * call as the default; a column of another type is an error here (Kusto's behavior for it
 * is not documented). */
static kq_expr *bind_column_ifexists(binder *b, const kq_ast *ast, const kq_schema *row)
{
    if (ast->nkids != 2) {
        kq_bind_error(b, ast->start, ast->end, "column_ifexists takes a column name and a default value");
        return NULL;
    }
    kq_expr *name = kq_bind_scalar(b, ast->kids[0], row);
    kq_expr *fallback = kq_bind_scalar(b, ast->kids[1], row);
    if (!name || !fallback)
        return NULL;
    if (name->kind != KQ_EXPR_CONST || name->type != KQ_STRING) {
        kq_bind_error(b, name->start, name->end, "column_ifexists takes the column name as a constant string");
        return NULL;
    }
    int column = row ? kq_schema_find(row, name->constant.u.s.ptr, name->constant.u.s.len) : -1;
    bool use_column = column >= 0 && row->fields[column].type != KQ_DYNAMIC;
    /* The latest binding of this call decides its column name (binder_column_name_of). */
    found_column *found = kq_arena_alloc(b->arena, sizeof *found);
    found->call = ast;
    found->name = use_column ? row->fields[column].name : NULL;
    found->next = b->found_columns;
    b->found_columns = found;
    if (!use_column) {
        if (column < 0 && !b->catalog)
            b->query->guessed_column = true;
        return fallback;
    }
    if (row->fields[column].type != fallback->type) {
        kq_bind_error(b, fallback->start, fallback->end,
                      "column '%s' is %s, but this default value is %s: give column_ifexists a default of the column's type",
                      row->fields[column].name, kq_type_name(row->fields[column].type), kq_type_name(fallback->type));
        return NULL;
    }
    kq_expr *e = kq_expr_new(b, KQ_EXPR_COLUMN, row->fields[column].type, ast);
    e->column = column;
    return e;
}

/* column_names_of(T): the column names of a tabular expression, as a constant dynamic array. */
static kq_expr *bind_column_names_of(binder *b, const kq_ast *ast)
{
    if (ast->nkids != 1) {
        kq_bind_error(b, ast->start, ast->end, "column_names_of takes one tabular argument");
        return NULL;
    }
    kq_plan *table = kq_bind_tabular(b, ast->kids[0]);
    if (!table)
        return NULL;
    const kq_dyn **names = kq_arena_alloc(b->arena, (table->schema.count + 1) * sizeof(kq_dyn *));
    for (uint32_t c = 0; c < table->schema.count; c++) {
        const char *name = table->schema.fields[c].name;
        kq_value text = kq_string(name, strlen(name));
        names[c] = kq_dyn_from_value(b->arena, &text);
    }
    kq_expr *e = kq_expr_new(b, KQ_EXPR_CONST, KQ_DYNAMIC, ast);
    e->constant = kq_dynamic(kq_dyn_array(b->arena, names, table->schema.count));
    return e;
}

/* bag_pack_columns(a, b): bag_pack("a", a, "b", b) over the named columns. */
static kq_expr *bind_bag_pack_columns(binder *b, const kq_ast *ast, const kq_schema *row)
{
    if (ast->nkids == 0 || ast->nkids * 2 > KQ_MAX_CALL_ARGS) {
        kq_bind_error(b, ast->start, ast->end, "bag_pack_columns takes 1 to %d columns", KQ_MAX_CALL_ARGS / 2);
        return NULL;
    }
    kq_expr *e = kq_expr_new(b, KQ_EXPR_CALL, KQ_DYNAMIC, ast);
    e->fn = kq_function_find("bag_pack", 8);
    e->nargs = 2 * (int)ast->nkids;
    e->args = kq_arena_alloc(b->arena, (size_t)e->nargs * sizeof(kq_expr *));
    for (uint32_t i = 0; i < ast->nkids; i++) {
        const kq_ast *column = ast->kids[i];
        if (column->kind != KQ_AST_NAME) {
            kq_bind_error(b, column->start, column->end, "bag_pack_columns takes column names, not expressions");
            return NULL;
        }
        kq_expr *value = kq_bind_scalar(b, column, row);
        if (!value)
            return NULL;
        kq_expr *name = kq_expr_new(b, KQ_EXPR_CONST, KQ_STRING, column);
        name->constant = kq_string(column->text.ptr, column->text.len);
        e->args[2 * i] = name;
        e->args[2 * i + 1] = value;
    }
    return e;
}

/* The value of the last `set name = value;` statement before the query, or NULL. */
static const kq_ast *set_option(const binder *b, const char *name)
{
    const kq_ast *value = NULL;
    for (uint32_t i = 0; b->script && i < b->script->nkids; i++) {
        const kq_ast *statement = b->script->kids[i];
        if (statement->kind == KQ_AST_SET && statement->nkids == 1 && kq_str_eq(statement->text, name))
            value = statement->kids[0];
    }
    return value;
}

/* bin_auto(x): bin_at(x, size, at) with the size and fixed point from set
 * query_bin_auto_size and query_bin_auto_at (bin(x, size) without a fixed point). */
static kq_expr *bind_bin_auto(binder *b, const kq_ast *ast, const kq_schema *row)
{
    if (ast->nkids != 1) {
        kq_bind_error(b, ast->start, ast->end, "bin_auto takes one argument");
        return NULL;
    }
    const kq_ast *size = set_option(b, "query_bin_auto_size");
    if (!size) {
        kq_bind_error(b, ast->start, ast->end,
                      "bin_auto needs the bin size: add 'set query_bin_auto_size=1h;' before the query");
        return NULL;
    }
    const kq_ast *at = set_option(b, "query_bin_auto_at");
    kq_ast *call = kq_arena_alloc(b->arena, sizeof *call);
    *call = *ast;
    call->nkids = at ? 3 : 2;
    call->kids = kq_arena_alloc(b->arena, 3 * sizeof(kq_ast *));
    call->kids[0] = ast->kids[0];
    call->kids[1] = (kq_ast *)size;
    call->kids[2] = (kq_ast *)at;
    call->text.ptr = at ? "bin_at" : "bin";
    call->text.len = at ? 6 : 3;
    return kq_bind_scalar(b, call, row);
}

static const struct {
    const char *name;
    kq_window_kind kind;
    int min_args, max_args;
} window_functions[] = {
    {"row_number", KQ_WINDOW_ROW_NUMBER, 0, 2},       {"prev", KQ_WINDOW_PREV, 1, 3},
    {"row_cumsum", KQ_WINDOW_ROW_CUMSUM, 1, 2},       {"row_rank_min", KQ_WINDOW_ROW_RANK_MIN, 1, 2},
    {"row_rank_dense", KQ_WINDOW_ROW_RANK_DENSE, 1, 2}, {"row_window_session", KQ_WINDOW_ROW_WINDOW_SESSION, 3, 4},
};

/* Checks one window function's argument types and returns its result type, or
 * KQ_TYPE_NONE after reporting the argument that does not fit. */
static kq_type window_type(binder *b, const kq_expr *e)
{
    const kq_expr *const *args = (const kq_expr *const *)e->args;
    int restart = e->window == KQ_WINDOW_ROW_WINDOW_SESSION ? 3 : e->window == KQ_WINDOW_PREV ? -1 : 1;
    const kq_expr *bad = NULL;
    const char *expected = NULL;
    if (restart >= 0 && e->nargs > restart && args[restart]->type != KQ_BOOL) {
        bad = args[restart];
        expected = "a bool restart condition";
    } else if (e->window == KQ_WINDOW_ROW_NUMBER && e->nargs > 0 && !kq_type_is_integer(args[0]->type)) {
        bad = args[0];
        expected = "an integer start index";
    } else if (e->window == KQ_WINDOW_PREV && e->nargs > 1 && !kq_type_is_integer(args[1]->type)) {
        bad = args[1];
        expected = "an integer offset";
    } else if (e->window == KQ_WINDOW_ROW_CUMSUM && !kq_type_is_numeric(args[0]->type)) {
        bad = args[0];
        expected = "a number";
    } else if (e->window == KQ_WINDOW_ROW_WINDOW_SESSION &&
               (args[0]->type != KQ_DATETIME || args[1]->type != KQ_TIMESPAN || args[2]->type != KQ_TIMESPAN)) {
        bad = args[0];
        expected = "a datetime and two timespans";
    }
    if (bad) {
        kq_bind_error(b, bad->start, bad->end, "%s expects %s here, not %s", window_functions[e->window].name, expected,
                      kq_type_name(bad->type));
        return KQ_TYPE_NONE;
    }
    switch (e->window) {
    case KQ_WINDOW_PREV: return args[0]->type;
    case KQ_WINDOW_ROW_CUMSUM: return args[0]->type;
    case KQ_WINDOW_ROW_WINDOW_SESSION: return KQ_DATETIME;
    default: return KQ_LONG;
    }
}

/* row_number(), prev(x), row_cumsum(x), ...: functions of the row's position among the
 * serialized rows, evaluated with state carried from row to row (exec/window.c). */
static kq_expr *bind_window(binder *b, const kq_ast *ast, const kq_schema *row, int which)
{
    int nargs = (int)ast->nkids;
    if (nargs < window_functions[which].min_args || nargs > window_functions[which].max_args) {
        kq_bind_error(b, ast->start, ast->end, "%s takes %d to %d arguments, got %d", window_functions[which].name,
                      window_functions[which].min_args, window_functions[which].max_args, nargs);
        return NULL;
    }
    kq_expr *e = kq_expr_new(b, KQ_EXPR_WINDOW, KQ_TYPE_NONE, ast);
    e->window = window_functions[which].kind;
    e->nargs = nargs;
    e->args = kq_arena_alloc(b->arena, (nargs ? nargs : 1) * sizeof(kq_expr *));
    for (int a = 0; a < nargs; a++) {
        e->args[a] = kq_bind_scalar(b, ast->kids[a], row);
        if (!e->args[a])
            return NULL;
    }
    e->type = window_type(b, e);
    if (e->type == KQ_TYPE_NONE)
        return NULL;
    if (e->window == KQ_WINDOW_PREV && nargs == 3 && e->args[2]->type != e->type &&
        !(kq_type_is_numeric(e->args[2]->type) && kq_type_is_numeric(e->type))) {
        kq_bind_error(b, e->args[2]->start, e->args[2]->end, "the default of prev must be %s, like its value",
                      kq_type_name(e->type));
        return NULL;
    }
    e->slot = b->query->nslots++;
    return e;
}

/* estimate_data_size(*) or estimate_data_size(a, b): the function over the row's columns. */
static kq_expr *bind_estimate_data_size(binder *b, const kq_ast *ast, const kq_schema *row)
{
    bool star = ast->nkids == 1 && ast->kids[0]->kind == KQ_AST_STAR;
    uint32_t nargs = star ? (row ? row->count : 0) : ast->nkids;
    if (nargs == 0 || nargs > KQ_MAX_CALL_ARGS) {
        kq_bind_error(b, ast->start, ast->end, "estimate_data_size takes * or 1 to %d columns", KQ_MAX_CALL_ARGS);
        return NULL;
    }
    kq_expr *e = kq_expr_new(b, KQ_EXPR_CALL, KQ_LONG, ast);
    e->fn = kq_function_find("estimate_data_size", 18);
    e->nargs = (int)nargs;
    e->args = kq_arena_alloc(b->arena, nargs * sizeof(kq_expr *));
    for (uint32_t i = 0; i < nargs; i++) {
        e->args[i] = star ? binder_column_ref(b, row, (int)i) : kq_bind_scalar(b, ast->kids[i], row);
        if (!e->args[i])
            return NULL;
    }
    return e;
}

static kq_expr *bind_call(binder *b, const kq_ast *ast, const kq_schema *row)
{
    if (kq_str_eq(ast->text, "estimate_data_size") && !kq_find_let(b, ast->text.ptr, ast->text.len))
        return bind_estimate_data_size(b, ast, row);
    for (size_t w = 0; w < KQ_ARRAY_LEN(window_functions); w++)
        if (kq_str_eq(ast->text, window_functions[w].name) && !kq_find_let(b, ast->text.ptr, ast->text.len))
            return bind_window(b, ast, row, (int)w);
    if (kq_str_eq(ast->text, "bin_auto"))
        return bind_bin_auto(b, ast, row);
    if (kq_str_eq(ast->text, "column_names_of"))
        return bind_column_names_of(b, ast);
    if (kq_str_eq(ast->text, "bag_pack_columns"))
        return bind_bag_pack_columns(b, ast, row);
    if (kq_str_eq(ast->text, "typeof"))
        return bind_typeof(b, ast);
    if (kq_str_eq(ast->text, "column_ifexists") || kq_str_eq(ast->text, "columnifexists"))
        return bind_column_ifexists(b, ast, row);
    if (kq_str_eq(ast->text, "toscalar"))
        return bind_toscalar(b, ast);
    if (kq_str_eq(ast->text, "pack_all"))
        return bind_pack_all(b, ast, row);
    let_binding *function = kq_find_let(b, ast->text.ptr, ast->text.len);
    if (function && function->function)
        return kq_bind_function_call(b, function, ast, row);
    for (uint32_t i = 0; i < ast->nkids; i++) {
        if (ast->kids[i]->kind == KQ_AST_ASSIGN && !(i == 0 && binder_is_bin_call(ast))) {
            kq_bind_error(b, ast->kids[i]->text_start, ast->kids[i]->text_end,
                          "'%.*s' takes no named arguments; name = value works for user-defined functions only",
                          (int)ast->text.len, ast->text.ptr);
            return NULL;
        }
    }
    if (ast->nkids > KQ_MAX_CALL_ARGS) {
        kq_bind_error(b, ast->start, ast->end, "a call takes at most %d arguments", KQ_MAX_CALL_ARGS);
        return NULL;
    }
    kq_expr *args[KQ_MAX_CALL_ARGS];
    const kq_function *fn = kq_function_find(ast->text.ptr, ast->text.len);
    if (!fn) {
        if (kq_aggregate_find(ast->text.ptr, ast->text.len)) {
            kq_bind_error(b, ast->text_start, ast->text_end,
                          "aggregate function '%.*s' is only allowed in summarize",
                          (int)ast->text.len, ast->text.ptr);
            return NULL;
        }
        kq_diag *diag = kq_bind_error(b, ast->text_start, ast->text_end,
                                      "unknown function '%.*s'", (int)ast->text.len,
                                      ast->text.ptr);
        const char *best = NULL;
        int best_distance = 3;
        for (size_t i = 0; i < kq_function_count(); i++) {
            const kq_function *candidate = kq_function_at(i);
            if (!((candidate->name[0] >= 'a' && candidate->name[0] <= 'z')))
                continue;
            size_t clen = strlen(candidate->name);
            int d = kq_name_distance(ast->text.ptr, ast->text.len, candidate->name, clen);
            /* A shortened name (substr for substring) is as good as a small typo. */
            if (ast->text.len >= 4 && clen > ast->text.len &&
                memcmp(candidate->name, ast->text.ptr, ast->text.len) == 0)
                d = 2;
            if (d < best_distance) {
                best_distance = d;
                best = candidate->name;
            }
        }
        if (best)
            kq_diag_set_hint(diag, "did you mean '%s'?", best);
        return NULL;
    }
    if (!bind_args(b, ast, 0, row, args))
        return NULL;
    return bind_function(b, ast, fn, args, (int)ast->nkids);
}

static kq_expr *bind_operator(binder *b, const kq_ast *ast, const char *name, size_t len,
                              kq_expr **args, int nargs)
{
    const kq_function *fn = kq_function_find(name, len);
    if (!fn) {
        kq_bind_error(b, ast->text_start, ast->text_end, "operator '%.*s' is not supported",
                      (int)len, name);
        return NULL;
    }
    return bind_function(b, ast, fn, args, nargs);
}

/* and/or over any number of operands (the parser flattens chains). */
static kq_expr *bind_logical(binder *b, const kq_ast *ast, const kq_schema *row, bool is_and)
{
    kq_expr *e = kq_expr_new(b, is_and ? KQ_EXPR_AND : KQ_EXPR_OR, KQ_BOOL, ast);
    e->args = kq_arena_alloc(b->arena, ast->nkids * sizeof(kq_expr *));
    e->nargs = (int)ast->nkids;
    bool ok = true;
    for (uint32_t i = 0; i < ast->nkids; i++) {
        kq_expr *side = kq_bind_scalar(b, ast->kids[i], row);
        e->args[i] = side;
        if (!side) {
            ok = false;
            continue;
        }
        if (side->type != KQ_BOOL && !(side->kind == KQ_EXPR_CONST && side->constant.null)) {
            kq_bind_error(b, side->start, side->end, "the operands of '%s' must be bool, not %s",
                          is_and ? "and" : "or", kq_type_name(side->type));
            ok = false;
        }
    }
    return ok ? e : NULL;
}

static kq_expr *bind_binary(binder *b, const kq_ast *ast, const kq_schema *row)
{
    bool is_and = kq_str_eq(ast->text, "and"), is_or = kq_str_eq(ast->text, "or");
    if (is_and || is_or)
        return bind_logical(b, ast, row, is_and);
    kq_expr *left = kq_bind_scalar(b, ast->kids[0], row);
    kq_expr *right = kq_bind_scalar(b, ast->kids[1], row);
    if (!left || !right)
        return NULL;
    kq_expr *args[2] = {left, right};
    const char *op = ast->text.ptr;
    size_t len = ast->text.len;
    if (len == 2 && memcmp(op, "<>", 2) == 0)
        op = "!=";
    if (len == 7 && memcmp(op, "matches", 7) == 0) {
        op = "matches regex";
        len = strlen(op);
    }
    return bind_operator(b, ast, op, len, args, 2);
}

static kq_list_op list_op_from(kq_str text)
{
    if (kq_str_eq(text, "in")) return KQ_LIST_IN;
    if (kq_str_eq(text, "!in")) return KQ_LIST_NOT_IN;
    if (kq_str_eq(text, "in~")) return KQ_LIST_IN_CI;
    if (kq_str_eq(text, "!in~")) return KQ_LIST_NOT_IN_CI;
    if (kq_str_eq(text, "has_any")) return KQ_LIST_HAS_ANY;
    return KQ_LIST_HAS_ALL;
}

/* `x in (a, b)`, `x has_any (T | distinct C)`, `x in (letTable)`, `x has_any (dynamic([...]))`. */
static kq_expr *bind_list(binder *b, const kq_ast *ast, const kq_schema *row)
{
    kq_expr *left = kq_bind_scalar(b, ast->kids[0], row);
    if (!left)
        return NULL;
    kq_expr *e = kq_expr_new(b, KQ_EXPR_LIST_OP, KQ_BOOL, ast);
    e->list_op = list_op_from(ast->text);
    uint32_t n = ast->nkids;
    e->args = kq_arena_alloc(b->arena, n * sizeof(kq_expr *));
    e->subqueries = kq_arena_alloc(b->arena, n * sizeof(kq_plan *));
    e->args[e->nargs++] = left;
    bool ok = true;
    bool text_op = e->list_op == KQ_LIST_HAS_ANY || e->list_op == KQ_LIST_HAS_ALL ||
                   e->list_op == KQ_LIST_IN_CI || e->list_op == KQ_LIST_NOT_IN_CI;
    if (text_op && left->type != KQ_STRING && left->type != KQ_DYNAMIC) {
        kq_bind_error(b, left->start, left->end, "%.*s needs a string on its left side, not %s",
                      (int)ast->text.len, ast->text.ptr, kq_type_name(left->type));
        return NULL;
    }
    if (n < 2) {
        kq_bind_error(b, ast->start, ast->end, "%.*s needs at least one value",
                      (int)ast->text.len, ast->text.ptr);
        return NULL;
    }
    for (uint32_t i = 1; i < n; i++) {
        const kq_ast *item = ast->kids[i];
        if (kq_ast_is_tabular(b, item)) {
            kq_plan *plan = kq_bind_tabular(b, item);
            if (!plan) {
                ok = false;
                continue;
            }
            if (plan->schema.count < 1) {
                kq_bind_error(b, item->start, item->end, "the tabular expression has no columns");
                ok = false;
                continue;
            }
            e->subqueries[e->nsubqueries++] = plan;
            continue;
        }
        kq_expr *value = kq_bind_scalar(b, item, NULL);
        if (!value) {
            ok = false;
            continue;
        }
        e->args[e->nargs++] = value;
    }
    if (!ok)
        return NULL;
    e->slot = b->query->nslots++;
    return e;
}

static kq_expr *bind_between(binder *b, const kq_ast *ast, const kq_schema *row)
{
    kq_expr *args[3];
    for (int i = 0; i < 3; i++) {
        args[i] = kq_bind_scalar(b, ast->kids[i], row);
        if (!args[i])
            return NULL;
    }
    return bind_operator(b, ast, ast->text.ptr, ast->text.len, args, 3);
}

static kq_expr *bind_index(binder *b, const kq_ast *ast, const kq_schema *row)
{
    kq_expr *args[2] = {kq_bind_scalar(b, ast->kids[0], row), kq_bind_scalar(b, ast->kids[1], row)};
    if (!args[0] || !args[1])
        return NULL;
    return bind_operator(b, ast, "[]", 2, args, 2);
}

static kq_expr *bind_member(binder *b, const kq_ast *ast, const kq_schema *row)
{
    kq_expr *target = kq_bind_scalar(b, ast->kids[0], row);
    if (!target)
        return NULL;
    kq_expr *key = kq_expr_new(b, KQ_EXPR_CONST, KQ_STRING, ast);
    key->constant = kq_string(ast->text.ptr, ast->text.len);
    kq_expr *args[2] = {target, key};
    return bind_operator(b, ast, "[]", 2, args, 2);
}

static kq_expr *bind_unary(binder *b, const kq_ast *ast, const kq_schema *row)
{
    kq_expr *operand = kq_bind_scalar(b, ast->kids[0], row);
    if (!operand)
        return NULL;
    kq_expr *args[1] = {operand};
    if (kq_str_eq(ast->text, "+"))
        return operand;
    return bind_operator(b, ast, "negate", 6, args, 1);
}

kq_expr *kq_bind_scalar(binder *b, const kq_ast *ast, const kq_schema *row)
{
    if (++b->depth > KQ_MAX_EXPRESSION_DEPTH) {
        kq_bind_error(b, ast->start, ast->end, "expression nested too deeply (limit %d)",
                      KQ_MAX_EXPRESSION_DEPTH);
        b->depth--;
        return NULL;
    }
    kq_expr *e = NULL;
    switch (ast->kind) {
    case KQ_AST_LITERAL: e = bind_const(b, ast); break;
    case KQ_AST_NAME: e = bind_name(b, ast, row); break;
    case KQ_AST_CALL: e = bind_call(b, ast, row); break;
    case KQ_AST_BINARY: e = bind_binary(b, ast, row); break;
    case KQ_AST_IN: e = bind_list(b, ast, row); break;
    case KQ_AST_SEARCH_TERM: e = kq_bind_search_term(b, ast, row); break;
    case KQ_AST_BETWEEN: e = bind_between(b, ast, row); break;
    case KQ_AST_INDEX: e = bind_index(b, ast, row); break;
    case KQ_AST_MEMBER: e = bind_member(b, ast, row); break;
    case KQ_AST_UNARY: e = bind_unary(b, ast, row); break;
    case KQ_AST_PIPE:
    case KQ_AST_DATATABLE:
        kq_bind_error(b, ast->start, ast->end,
                      "a tabular expression is not allowed here; a scalar value is expected");
        break;
    default:
        kq_bind_error(b, ast->start, ast->end, "this expression is not supported here");
        break;
    }
    b->depth--;
    return e;
}

/*
 * array_sort_asc(a, b, ...) and array_sort_desc with two or more arrays, unnamed in project
 * or print: one column per array, a_sorted, b_sorted, ..., as Kusto returns them. kqlite's
 * function gives an array of the sorted arrays, and column i reads its element i.
 */
static bool expand_array_sort(binder *b, const kq_ast *item, const kq_schema *row, schema_builder *sb,
                              expr_list *exprs, bool *ok)
{
    if (item->kind != KQ_AST_CALL || item->nkids < 2 ||
        !(kq_str_eq(item->text, "array_sort_asc") || kq_str_eq(item->text, "array_sort_desc")) ||
        kq_find_let(b, item->text.ptr, item->text.len))
        return false;
    kq_expr *call = kq_bind_scalar(b, item, row);
    if (!call) {
        *ok = false;
        return true;
    }
    int arrays = call->nargs;
    if (arrays > 0 && call->args[arrays - 1]->type == KQ_BOOL)
        arrays--;
    if (arrays < 2)
        return false; /* one array: an ordinary column, bound again by the caller */
    int counter = 0;
    for (int i = 0; i < arrays; i++) {
        kq_ast *key = kq_arena_alloc(b->arena, sizeof *key);
        *key = *item;
        key->kind = KQ_AST_LITERAL;
        key->nkids = 0;
        key->kids = NULL;
        key->value = kq_long(i);
        kq_ast *index = kq_arena_alloc(b->arena, sizeof *index);
        *index = *item;
        index->kind = KQ_AST_INDEX;
        index->nkids = 2;
        index->kids = kq_arena_alloc(b->arena, 2 * sizeof(kq_ast *));
        index->kids[0] = (kq_ast *)item;
        index->kids[1] = key;
        kq_expr *value = kq_bind_scalar(b, index, row);
        if (!value) {
            *ok = false;
            return true;
        }
        /* An array without a column name takes the first array's, as the language service
         * names it (a second a_sorted becomes a_sorted1). */
        const char *column = binder_column_name_of(b, item->kids[i], false);
        if (!column)
            column = binder_column_name_of(b, item->kids[0], false);
        const char *name = column ? kq_arena_printf(b->arena, "%s_sorted", column)
                                  : binder_next_column_name(b, sb, &counter);
        binder_add_field(b, sb, name, value->type);
        binder_exprs_push(exprs, value);
    }
    return true;
}

/*
 * series_stats(x) in project: seven columns, series_stats_x_min, _min_idx, _max, _max_idx,
 * _avg, _stdev and _variance, each read from series_stats_dynamic(x). Returns false when
 * item is not such a call; *ok turns false after an error.
 */
static bool expand_series_stats(binder *b, const kq_ast *item, const kq_schema *row, schema_builder *sb,
                                expr_list *exprs, bool *ok)
{
    if (item->kind != KQ_AST_CALL || !kq_str_eq(item->text, "series_stats") || item->nkids < 1 || item->nkids > 2 ||
        kq_find_let(b, item->text.ptr, item->text.len))
        return false;
    static const struct {
        const char *name;
        const char *conversion;
    } stats[] = {{"min", "todouble"}, {"min_idx", "tolong"}, {"max", "todouble"}, {"max_idx", "tolong"},
                 {"avg", "todouble"}, {"stdev", "todouble"}, {"variance", "todouble"}};
    const char *column = binder_column_name_of(b, item->kids[0], false);
    kq_ast *bag = kq_arena_alloc(b->arena, sizeof *bag);
    *bag = *item;
    bag->text.ptr = "series_stats_dynamic";
    bag->text.len = 20;
    for (size_t i = 0; i < KQ_ARRAY_LEN(stats); i++) {
        kq_ast *key = kq_arena_alloc(b->arena, sizeof *key);
        *key = *item;
        key->kind = KQ_AST_LITERAL;
        key->nkids = 0;
        key->kids = NULL;
        key->value = kq_string(stats[i].name, strlen(stats[i].name));
        kq_ast *index = kq_arena_alloc(b->arena, sizeof *index);
        *index = *item;
        index->kind = KQ_AST_INDEX;
        index->nkids = 2;
        index->kids = kq_arena_alloc(b->arena, 2 * sizeof(kq_ast *));
        index->kids[0] = bag;
        index->kids[1] = key;
        kq_ast *convert = kq_arena_alloc(b->arena, sizeof *convert);
        *convert = *item;
        convert->text.ptr = stats[i].conversion;
        convert->text.len = (uint32_t)strlen(stats[i].conversion);
        convert->nkids = 1;
        convert->kids = kq_arena_alloc(b->arena, sizeof(kq_ast *));
        convert->kids[0] = index;
        kq_expr *value = kq_bind_scalar(b, convert, row);
        if (!value) {
            *ok = false;
            return true;
        }
        binder_add_field(b, sb, kq_arena_printf(b->arena, "series_stats_%s_%s", column ? column : "", stats[i].name),
                         value->type);
        binder_exprs_push(exprs, value);
    }
    return true;
}

bool binder_expand_columns(binder *b, const kq_ast *item, const kq_schema *row, schema_builder *sb, expr_list *exprs,
                           bool *ok)
{
    return expand_series_stats(b, item, row, sb, exprs, ok) || expand_array_sort(b, item, row, sb, exprs, ok);
}
