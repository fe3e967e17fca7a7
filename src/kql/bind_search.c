/*
 * The search operator, bound as the operators it stands for: the rows come from the piped
 * input (with a $table column in front), from union withsource=$table of the in (...) legs,
 * or from every table; then a where keeps the rows the predicate matches. A bare term
 * (KQ_AST_SEARCH_TERM) becomes an or over the row's columns.
 */
#include "kql/binder_internal.h"
#include "base/util.h"

#include <string.h>

static kq_ast *new_node(binder *b, kq_ast_kind kind, const kq_ast *span, uint32_t nkids)
{
    kq_ast *n = kq_arena_alloc(b->arena, sizeof *n);
    n->kind = kind;
    n->start = span->start;
    n->end = span->end;
    n->text_start = span->start;
    n->text_end = span->end;
    n->nkids = nkids;
    n->kids = kq_arena_alloc(b->arena, (nkids ? nkids : 1) * sizeof(kq_ast *));
    return n;
}

/* "term" over every column: term_op(Column, pattern) or ... for each string column, and
 * term_op(tostring(Column), pattern) for each dynamic column.
 * NOTE: Kusto's docs say a term is searched in every column but name no column types. kqlite
 * searches string and dynamic columns only, so a term never matches a number or a date. */
kq_expr *kq_bind_search_term(binder *b, const kq_ast *term, const kq_schema *row)
{
    if (!row) {
        kq_bind_error(b, term->start, term->end, "a search term needs rows: use it in search");
        return NULL;
    }
    kq_ast *any = new_node(b, KQ_AST_BINARY, term, 0);
    any->text = (kq_str){"or", 2};
    for (uint32_t c = 0; c < row->count; c++) {
        kq_type type = row->fields[c].type;
        if ((type != KQ_STRING && type != KQ_DYNAMIC) || strcmp(row->fields[c].name, "$table") == 0)
            continue; /* $table names the source; search adds it, and terms do not look at it */
        kq_ast *column = new_node(b, KQ_AST_NAME, term, 0);
        column->text = (kq_str){row->fields[c].name, (uint32_t)strlen(row->fields[c].name)};
        if (type == KQ_DYNAMIC) {
            kq_ast *text = new_node(b, KQ_AST_CALL, term, 1);
            text->text = (kq_str){"tostring", 8};
            text->kids[0] = column;
            column = text;
        }
        kq_ast *match = new_node(b, KQ_AST_BINARY, term, 2);
        match->text = term->text;
        match->kids[0] = column;
        match->kids[1] = term->kids[0];
        kq_ast **kids = kq_arena_alloc(b->arena, (any->nkids + 1) * sizeof(kq_ast *));
        if (any->nkids)
            memcpy(kids, any->kids, any->nkids * sizeof(kq_ast *));
        kids[any->nkids++] = match;
        any->kids = kids;
    }
    if (any->nkids == 0) {
        kq_expr *none = kq_expr_new(b, KQ_EXPR_CONST, KQ_BOOL, term);
        none->constant = kq_bool(false);
        return none;
    }
    return kq_bind_scalar(b, any->nkids == 1 ? any->kids[0] : any, row);
}

/* The piped rows with a $table column in front holding the table they come from. */
static kq_plan *with_table_column(binder *b, kq_plan *input, const kq_ast *search)
{
    schema_builder sb = {0};
    expr_list exprs = {0};
    binder_add_field(b, &sb, "$table", KQ_STRING);
    kq_expr *source = kq_expr_new(b, KQ_EXPR_CONST, KQ_STRING, search);
    const char *origin = input->origin ? input->origin : "";
    source->constant = kq_string(origin, strlen(origin));
    binder_exprs_push(&exprs, source);
    for (uint32_t i = 0; i < input->schema.count; i++) {
        if (strcmp(input->schema.fields[i].name, "$table") == 0)
            continue;
        binder_add_field(b, &sb, input->schema.fields[i].name, input->schema.fields[i].type);
        binder_exprs_push(&exprs, binder_column_ref(b, &input->schema, (int)i));
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_PROJECT, input, search);
    plan->nexprs = (uint32_t)exprs.count;
    plan->exprs = binder_exprs_finish(b, &exprs);
    plan->schema = binder_finish_schema(b, &sb);
    plan->origin = input->origin;
    return plan;
}

kq_plan *kq_bind_search(binder *b, kq_plan *input, const kq_ast *search)
{
    kq_plan *rows;
    if (input) {
        rows = with_table_column(b, input, search);
    } else {
        uint32_t nlegs = search->nkids - 1;
        kq_ast *legs = new_node(b, KQ_AST_UNION, search, nlegs ? nlegs : 1);
        legs->text = (kq_str){"$table", 6};
        if (nlegs) {
            memcpy(legs->kids, search->kids + 1, nlegs * sizeof(kq_ast *));
        } else {
            kq_ast *every = new_node(b, KQ_AST_NAME, search, 0);
            every->text = (kq_str){"", 0};
            every->flags = 1; /* the wildcard *: every table and view */
            legs->kids[0] = every;
        }
        rows = binder_union(b, NULL, legs);
    }
    if (!rows)
        return NULL;
    kq_ast *where = new_node(b, KQ_AST_WHERE, search->kids[0], 1);
    where->kids[0] = search->kids[0];
    return binder_bind_operator(b, rows, where);
}
