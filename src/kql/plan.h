/*
 * Bound queries: typed expressions and the plan of tabular operators.
 *
 * The binder turns the syntax tree into these structures, resolving every
 * name to a column index, a constant or a registry entry. A plan is
 * immutable: it can run many times, each run with its own kq_run state.
 * Everything here lives in the plan's arena.
 */
#ifndef KQ_KQL_PLAN_H
#define KQ_KQL_PLAN_H

#include "base/arena.h"
#include "functions/registry.h"
#include "table/table.h"

typedef struct kq_plan kq_plan;

typedef enum kq_expr_kind {
    KQ_EXPR_CONST,
    KQ_EXPR_COLUMN,  /* column of the operator's input batch */
    KQ_EXPR_CALL,    /* registered scalar function or operator */
    KQ_EXPR_AND,
    KQ_EXPR_OR,
    KQ_EXPR_LIST_OP, /* in, !in, in~, !in~, has_any, has_all over a value list or a subquery */
} kq_expr_kind;

typedef enum kq_list_op {
    KQ_LIST_IN,
    KQ_LIST_NOT_IN,
    KQ_LIST_IN_CI,
    KQ_LIST_NOT_IN_CI,
    KQ_LIST_HAS_ANY,
    KQ_LIST_HAS_ALL,
} kq_list_op;

typedef struct kq_expr kq_expr;

struct kq_expr {
    kq_expr_kind kind;
    kq_type type;
    uint32_t start, end;      /* span in the query text */
    kq_value constant;        /* KQ_EXPR_CONST */
    int column;               /* KQ_EXPR_COLUMN */
    const kq_function *fn;    /* KQ_EXPR_CALL */
    kq_expr **args;
    int nargs;
    /* KQ_EXPR_LIST_OP: args[0] is the left side; args[1..] the listed values;
     * a listed tabular expression is a subquery whose first column supplies values. */
    kq_list_op list_op;
    kq_plan **subqueries;
    int nsubqueries;
    int slot;                 /* run-state slot holding the built value set */
};

typedef struct kq_agg_call {
    const kq_aggregate *agg;
    kq_expr **args;
    int nargs;
    kq_type type;
} kq_agg_call;

typedef struct kq_sort_key {
    kq_expr *expr;
    bool ascending;
    bool nulls_first;
} kq_sort_key;

typedef enum kq_plan_kind {
    KQ_PLAN_SCAN,
    KQ_PLAN_DATATABLE,
    KQ_PLAN_WHERE,
    KQ_PLAN_PROJECT,    /* also extend: one expression per output column */
    KQ_PLAN_SUMMARIZE,  /* also distinct: keys without aggregates */
    KQ_PLAN_SORT,
    KQ_PLAN_TAKE,
    KQ_PLAN_TOP,
    KQ_PLAN_COUNT,
} kq_plan_kind;

struct kq_plan {
    kq_plan_kind kind;
    kq_schema schema;        /* output columns */
    kq_plan *input;
    uint32_t start, end;     /* span of the operator in the query text */
    const char *table_name;  /* SCAN */
    const char *origin;      /* table whose columns this output still carries (for messages), or NULL */
    kq_value *rows;          /* DATATABLE: row-major values, schema.count per row */
    uint64_t nrows;
    kq_expr *predicate;      /* WHERE */
    kq_expr **exprs;         /* PROJECT: one per output column; SUMMARIZE: keys */
    uint32_t nexprs;
    kq_agg_call *aggs;       /* SUMMARIZE: after the keys in the output */
    uint32_t naggs;
    kq_sort_key *keys;       /* SORT, TOP */
    uint32_t nkeys;
    kq_expr *count;          /* TAKE, TOP: row count */
};

/* A compiled query. */
typedef struct kq_query {
    kq_arena *arena;
    kq_plan *root;
    int nslots;              /* value-set slots used by list operators */
    const char **tables;     /* distinct table names the query reads */
    size_t ntables;
} kq_query;

#endif
