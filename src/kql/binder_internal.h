/* State shared by the binder's files (binder.c: statements and operators; bind_expr.c: expressions). */
#ifndef KQ_KQL_BINDER_INTERNAL_H
#define KQ_KQL_BINDER_INTERNAL_H

#include "kql/ast.h"
#include "kql/compile.h"
#include "kql/plan.h"

typedef struct let_binding {
    kq_str name;
    kq_plan *plan;      /* tabular let */
    kq_expr *scalar;    /* scalar let */
    const kq_ast *function;      /* user-defined function (KQ_AST_FUNCTION) */
    struct let_binding *scope;   /* lets visible where the function was defined */
    bool failed;                 /* its value had errors (already reported): uses stay silent */
    bool view;                   /* let Name = view () { ... }: union * and search read it too */
    struct let_binding *next;
} let_binding;

typedef struct pattern_binding {
    const kq_ast *decl;          /* KQ_AST_PATTERN */
    struct pattern_binding *next;
} pattern_binding;

/* A column_ifexists() call that found its column: the result column takes that name. */
typedef struct found_column {
    const kq_ast *call;
    const char *name;
    struct found_column *next;
} found_column;

typedef struct binder {
    const kq_source *source;
    const kq_catalog *catalog;
    kq_diags *diags;
    kq_arena *arena;
    kq_query *query;
    let_binding *lets;
    pattern_binding *patterns;   /* declare pattern statements, the latest first */
    found_column *found_columns; /* column_ifexists() calls bound to a column */
    int depth;
    const char *row_origin;  /* table the current operator's input rows come from, for messages */
    kq_plan *apply_source;   /* inside mv-apply's subquery: the plan its rows come from */
    const kq_ast *script;    /* the whole query, whose set statements bin_auto() reads */
} binder;

/* Binds a scalar expression over rows of `row` (NULL: no columns in scope). Returns NULL on error. */
kq_expr *kq_bind_scalar(binder *b, const kq_ast *ast, const kq_schema *row);
/* Binds a tabular expression; NULL on error. */
kq_plan *kq_bind_tabular(binder *b, const kq_ast *ast);
/* True when ast names a table, a tabular let, or is a pipeline/datatable. */
bool kq_ast_is_tabular(binder *b, const kq_ast *ast);

kq_expr *kq_expr_new(binder *b, kq_expr_kind kind, kq_type type, const kq_ast *ast);
/* Calls a user-defined function: binds its body with the arguments in place of the parameters. */
kq_expr *kq_bind_function_call(binder *b, const let_binding *function, const kq_ast *call, const kq_schema *row);
kq_plan *kq_bind_function_table(binder *b, const let_binding *function, const kq_ast *call);
bool kq_function_returns_table(binder *b, const let_binding *function);
kq_diag *kq_bind_error(binder *b, uint32_t start, uint32_t end, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
let_binding *kq_find_let(binder *b, const char *name, size_t len);
/* Adds "did you mean" for an unknown column when a close name exists in schema. */
void kq_hint_column(kq_diag *diag, const kq_schema *schema, const char *name, size_t len);

/* bind_pattern.c */
void kq_bind_pattern_declaration(binder *b, const kq_ast *decl);
/* The pattern that ast (Name(...) or Name(...).Path) invokes, or NULL. */
const kq_ast *kq_pattern_of_invocation(binder *b, const kq_ast *ast);
kq_plan *kq_bind_pattern_invocation(binder *b, const kq_ast *decl, const kq_ast *ast);

/* bind_search.c: search after '|' (input set) or as a source (input NULL). */
kq_plan *kq_bind_search(binder *b, kq_plan *input, const kq_ast *search);
kq_expr *kq_bind_search_term(binder *b, const kq_ast *term, const kq_schema *row);
/* Binds one tabular operator over input, as after '|'. */
kq_plan *binder_bind_operator(binder *b, kq_plan *input, const kq_ast *op);

/* ---- shared by binder.c and bind_reshape.c ---- */

typedef struct schema_builder {
    kq_field *fields;
    size_t count, cap;
} schema_builder;

typedef struct expr_list {
    kq_expr **items;
    size_t count, cap;
} expr_list;

bool binder_has_name(const schema_builder *sb, const char *name);
int binder_add_field(binder *b, schema_builder *sb, const char *name, kq_type type);
const char *binder_next_column_name(binder *b, const schema_builder *sb, int *counter);
kq_schema binder_finish_schema(binder *b, schema_builder *sb);
kq_plan *binder_new_plan(binder *b, kq_plan_kind kind, kq_plan *input, const kq_ast *ast);
char *binder_ast_name(binder *b, const kq_ast *ast);
/* True for bin(), floor(), bin_at() and bin_auto() calls, whose first argument names a summarize key. */
bool binder_is_bin_call(const kq_ast *ast);
char *binder_column_name_of(binder *b, const kq_ast *ast, bool allow_bin);
void binder_exprs_push(expr_list *list, kq_expr *e);
kq_expr **binder_exprs_finish(binder *b, expr_list *list);
/* Finishes a projection of input columns (project variants): a PROJECT plan over exprs
 * with schema sb, or NULL (freeing both lists) when ok is false. */
/* An unnamed project or print item that Kusto turns into several columns (series_stats(x),
 * array_sort_asc(a, b)): adds them and returns true; false when item is something else. */
bool binder_expand_columns(binder *b, const kq_ast *item, const kq_schema *row, schema_builder *sb, expr_list *exprs,
                           bool *ok);
kq_plan *binder_column_projection(binder *b, kq_plan *input, const kq_ast *op, schema_builder *sb, expr_list *exprs,
                                  bool ok);
kq_expr *binder_column_ref(binder *b, const kq_schema *schema, int column);
kq_plan *binder_bind_table(binder *b, const kq_ast *ast);
kq_plan *binder_join(binder *b, kq_plan *left, const kq_ast *op);
kq_plan *binder_union(binder *b, kq_plan *first, const kq_ast *op);
kq_plan *binder_mv_expand(binder *b, kq_plan *input, const kq_ast *op);
kq_plan *binder_parse(binder *b, kq_plan *input, const kq_ast *op);
kq_plan *binder_parse_kv(binder *b, kq_plan *input, const kq_ast *op);
kq_plan *binder_project_by_names(binder *b, kq_plan *input, const kq_ast *op);
kq_plan *binder_scan(binder *b, kq_plan *input, const kq_ast *op);
kq_plan *binder_make_graph(binder *b, kq_plan *input, const kq_ast *op);
kq_plan *binder_graph_match(binder *b, kq_plan *input, const kq_ast *op);
kq_plan *binder_mark_components(binder *b, kq_plan *input, const kq_ast *op);
kq_plan *binder_graph_to_table(binder *b, kq_plan *input, const kq_ast *op);
kq_plan *binder_range(binder *b, const kq_ast *ast);
kq_plan *binder_mv_apply(binder *b, kq_plan *input, const kq_ast *op);
kq_plan *binder_top_nested(binder *b, kq_plan *input, const kq_ast *op);
kq_plan *binder_make_series(binder *b, kq_plan *input, const kq_ast *op);
kq_plan *binder_partition(binder *b, kq_plan *input, const kq_ast *op);
/* Binds one aggregate call (count(), max(x), ...) over rows of `row`. */
bool kq_bind_aggregate_call(binder *b, const kq_ast *call, const kq_schema *row, kq_agg_call *out);

#endif
