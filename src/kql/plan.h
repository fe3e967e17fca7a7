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
    KQ_EXPR_SCALAR_SUBQUERY, /* toscalar(T): first column of the first row of subqueries[0] */
    KQ_EXPR_WINDOW,  /* row_number, prev, row_cumsum, ...: args as the call's; slot holds the run state */
} kq_expr_kind;

typedef enum kq_list_op {
    KQ_LIST_IN,
    KQ_LIST_NOT_IN,
    KQ_LIST_IN_CI,
    KQ_LIST_NOT_IN_CI,
    KQ_LIST_HAS_ANY,
    KQ_LIST_HAS_ALL,
} kq_list_op;

typedef enum kq_window_kind {
    KQ_WINDOW_ROW_NUMBER,
    KQ_WINDOW_PREV,
    KQ_WINDOW_ROW_CUMSUM,
    KQ_WINDOW_ROW_RANK_MIN,
    KQ_WINDOW_ROW_RANK_DENSE,
    KQ_WINDOW_ROW_WINDOW_SESSION,
} kq_window_kind;

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
    int slot;                 /* run-state slot holding the built value set or the window state */
    kq_window_kind window;    /* KQ_EXPR_WINDOW */
};

typedef struct kq_agg_call {
    const kq_aggregate *agg;
    kq_expr **args;
    int nargs;
    kq_type type;
    int ncolumns;    /* output columns: 1, or nargs for arg_max/arg_min */
} kq_agg_call;

/* How parse-kv finds keys and values. With pair_delimiter and kv_delimiter set, the text
 * is a list of pairs; with regex set, each match's groups 1 and 2 are a key and its value;
 * with neither, any character other than a letter or digit separates keys and values. */
typedef struct kq_kv_spec {
    kq_str pair_delimiter, kv_delimiter; /* empty when not given */
    char quote_open[8], quote_close[8];  /* one pair per quote= option */
    int nquotes;
    char escapes[8];                     /* one character per escape= option */
    int nescapes;
    bool greedy;                         /* an unquoted value runs to the next key, not the next pair delimiter */
    const char *regex;                   /* NULL unless regex= is given */
} kq_kv_spec;

/* Output mode of a scan step. */
enum {
    KQ_SCAN_OUTPUT_ALL = 0,
    KQ_SCAN_OUTPUT_LAST = 1,
    KQ_SCAN_OUTPUT_NONE = 2,
};

/* One step of scan: its condition, its assignments to declared columns, its output mode. */
typedef struct kq_scan_step {
    const char *name;
    int output;              /* KQ_SCAN_OUTPUT_* */
    struct kq_expr *condition;
    struct kq_expr **assignments;
    int *targets;            /* the row column each assignment sets */
    int nassignments;
} kq_scan_step;

/*
 * scan. Expressions see one "scan row": the current record's columns (input, then
 * declared), then for each step j the same columns as step j's record in the state
 * being matched (named "step.column"). The output is the record's columns, then the
 * match id when with_match_id is given.
 */
typedef struct kq_scan_spec {
    kq_scan_step *steps;
    int nsteps;
    int ncolumns;            /* input and declared columns of a record */
    int ninput;
    kq_value *defaults;      /* declared columns' defaults, [ninput..ncolumns) used */
    kq_type *row_types;      /* the scan row: ncolumns * (1 + nsteps) types */
    bool match_id;
} kq_scan_spec;

/* Flags of the graph operators. */
enum {
    KQ_GRAPH_DIRECTED = 1,       /* make-graph Source --> Target (not --) */
    KQ_GRAPH_NODES_TABLE = 2,    /* make-graph ... with Nodes on Id */
    KQ_GRAPH_CYCLES_NONE = 1,    /* graph-match cycles=none: no node twice in a match */
    KQ_GRAPH_CYCLES_ALL = 2,     /* cycles=all; the default, unique_edges, allows no edge twice */
    KQ_GRAPH_HAS_WHERE = 4,
    KQ_GRAPH_SHORTEST = 8,       /* graph-shortest-paths: only the shortest paths per start and end */
    KQ_GRAPH_SHORTEST_ALL = 16,  /* output=all: every shortest path, not one per start and end */
    KQ_GRAPH_EDGE_FORWARD = 1,   /* -[e]-> */
    KQ_GRAPH_EDGE_BACKWARD = 2,  /* <-[e]- */
    KQ_GRAPH_EDGE_ANY = 3,       /* -[e]- */
};

/* One edge of a graph-match pattern. */
typedef struct kq_graph_edge {
    int direction;     /* KQ_GRAPH_EDGE_* */
    int min, max;      /* path length in edges; 1..1 for a single edge */
    int row_column;    /* a single edge: first match-row column of its properties, else -1 */
} kq_graph_edge;

/* all(e, ...), any(e, ...), map(e, ...) over a variable-length edge or its inner nodes. */
typedef struct kq_graph_element_call {
    int kind;          /* 0 all, 1 any, 2 map */
    int edge;          /* index of the pattern edge */
    bool inner_nodes;  /* over inner_nodes(e), not the edges */
    struct kq_expr *expr; /* over the element row: edge columns, or node properties, $id, $out, $in */
} kq_graph_element_call;

/*
 * make-graph and graph-match. A node has its properties (the nodes table's columns, or
 * one column named by with_node_id), then $id, $out and $in (its id and out and in
 * degrees). The match row that where and project see has, per pattern node, the node's
 * columns (node_column[i] onward), per single edge the edge's columns, then one column
 * per element call.
 */
typedef struct kq_graph_spec {
    int source_column, target_column; /* in the edges' schema */
    int node_id_column;               /* in the nodes table, or -1 without one */
    bool directed;
    int nproperties;                  /* node properties before $id, $out, $in */
    kq_type *node_types;              /* nproperties + 3 */
    const char **node_names;
    int cycles;                       /* 0 unique_edges, KQ_GRAPH_CYCLES_NONE or _ALL */
    int nnodes;                       /* pattern nodes; pattern edges are nnodes - 1 */
    kq_graph_edge *edges;
    int *node_column;
    kq_graph_element_call *calls;
    int ncalls, call_column;
    kq_type *row_types;
    int row_count;
    struct kq_expr *where;            /* or NULL */
    int shortest;                     /* 0, or KQ_GRAPH_SHORTEST with KQ_GRAPH_SHORTEST_ALL */
    int component_property;           /* graph-mark-components: its node property, or -1 */
    int to_table;                     /* graph-to-table: 1 nodes, 2 edges; 0 for graph-match */
} kq_graph_spec;

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
    KQ_PLAN_JOIN,       /* also lookup */
    KQ_PLAN_UNION,
    KQ_PLAN_MV_EXPAND,
    KQ_PLAN_PARSE,
    KQ_PLAN_PARSE_KV,   /* parse_columns: the keys' output columns; kv: how to find them */
    KQ_PLAN_SCAN_STEPS, /* the scan operator; scan: its steps */
    KQ_PLAN_GRAPH,      /* make-graph: never run, graph-match reads it */
    KQ_PLAN_GRAPH_MATCH,
    KQ_PLAN_RANGE,
    KQ_PLAN_MV_APPLY,   /* right: the subquery, run once per input row */
    KQ_PLAN_APPLY_ROW,  /* leaf of an mv-apply subquery: the current input row (slot) */
    KQ_PLAN_TOP_NESTED, /* exprs[i]: level i's key; aggs[i]: its aggregate; level_* below */
    KQ_PLAN_MAKE_SERIES, /* exprs: by keys; aggs; series_* below */
    KQ_PLAN_PARTITION,  /* right: the subquery, run once per value of column partition_column */
} kq_plan_kind;

struct kq_plan {
    kq_plan_kind kind;
    kq_schema schema;        /* output columns */
    kq_plan *input;
    uint32_t start, end;     /* span of the operator in the query text */
    const char *table_name;  /* SCAN */
    const char *origin;      /* table whose columns this output still carries (for messages), or NULL */
    const char *alias;       /* the name `as` gave these rows (union withsource= shows it), or NULL */
    kq_value *rows;          /* DATATABLE: row-major values, schema.count per row */
    uint64_t nrows;
    const char *external_operator; /* DATATABLE of externaldata or inline_external_table, whose
                                    * rows are on the network: running it fails; else NULL */
    kq_expr *predicate;      /* WHERE */
    kq_expr **exprs;         /* PROJECT: one per output column; SUMMARIZE: keys */
    bool keeps_input_columns; /* PROJECT of extend, project-away, -rename, -reorder: unnamed input columns stay */
    uint32_t nexprs;
    kq_agg_call *aggs;       /* SUMMARIZE: after the keys in the output */
    uint32_t naggs;
    kq_sort_key *keys;       /* SORT, TOP */
    uint32_t nkeys;
    kq_expr *count;          /* TAKE, TOP: row count */

    /* JOIN: input is the left side. Output = left columns left_out[], then right columns
     * right_out[] (indices into each side's schema). */
    kq_plan *right;
    int join_kind;           /* KQ_JOIN_* */
    int *left_keys, *right_keys;
    uint32_t njoin_keys;
    int *left_out, *right_out;
    uint32_t nleft_out, nright_out;

    /* UNION: inputs[i] feeds output column c from column_maps[i][c] (-1: null). With
     * withsource, output column 0 holds source_names[i]. */
    kq_plan **inputs;
    uint32_t ninputs;
    int **column_maps;
    const char **source_names;
    bool with_source;

    /* MV_EXPAND: exprs[i] (dynamic) is expanded into output column expand_columns[i],
     * converted to expand_types[i]; item_index_column is -1 or the output column of the index. */
    int *expand_columns;
    kq_type *expand_types;
    int item_index_column;
    int64_t limit;
    bool bag_as_array;       /* kind=array: a property bag expands into [key, value] pairs */

    /* PARSE: predicate is the text; the regex's groups fill parse_columns[] of the output. */
    const char *regex;
    int *parse_columns;
    uint32_t nparse_columns;
    bool parse_relaxed;
    bool parse_where; /* parse-where: rows that do not match are dropped */

    /* GRAPH (make-graph, only as graph-match's input) and GRAPH_MATCH: input is the
     * edges, right the nodes table or NULL; exprs are graph-match's project items. */
    kq_graph_spec *graph;

    /* SCAN: the steps and the scan row layout. */
    const kq_scan_spec *scan;

    /* PARSE_KV: predicate is the text; kv_keys[i] fills parse_columns[i]. */
    const kq_kv_spec *kv;
    const char **kv_keys;

    /* RANGE: exprs[0..2] are from, to, step. */

    /* MV_APPLY: output = the input's columns left_out[] (those not expanded), then the
     * subquery's columns right_out[]; APPLY_ROW and MV_APPLY share apply_slot, where the
     * run keeps the current row. */
    int apply_slot;
    int partition_column;

    /* TOP_NESTED, per level: row count (NULL: all groups), the others-row value (NULL: none),
     * and the sort direction of the aggregate. */
    kq_expr **level_counts;
    kq_expr **level_others;
    bool *level_ascending;

    /* MAKE_SERIES: the axis expression, its range (from/to NULL: taken from the data), the
     * bin size, and each aggregate's value for empty bins. */
    kq_expr *series_axis, *series_from, *series_to, *series_step;
    kq_value *series_defaults;
};

/* A compiled query. */
typedef struct kq_query {
    kq_arena *arena;
    kq_plan *root;
    int nslots;              /* value-set slots used by list operators */
    const char **tables;     /* distinct table names the query reads */
    size_t ntables;
    bool scalar_result;      /* the query is a scalar expression; root returns it as print_0 */
    /* Bound without a catalog, column_ifexists took its default for a column the data may
     * have (guessed_column), or union isfuzzy=true left out a table the data may define
     * (guessed_table). Compiled again over the loaded tables, the query can read more. */
    bool guessed_column;
    bool guessed_table;
} kq_query;

#endif
