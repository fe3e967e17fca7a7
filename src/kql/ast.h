/*
 * KQL syntax tree. Every node carries the byte span of the text it came from.
 * Nodes live in the arena of the parse; the tree is read-only after parsing.
 */
#ifndef KQ_KQL_AST_H
#define KQ_KQL_AST_H

#include "base/arena.h"
#include "kql/lexer.h"
#include "types/types.h"

typedef enum kq_ast_kind {
    /* statements */
    KQ_AST_SCRIPT,       /* kids: statements; the last one without `let` is the query */
    KQ_AST_LET,          /* text: name; kids[0]: value (scalar expression or tabular); flags 1: a view */
    KQ_AST_QUERY,        /* kids[0]: tabular expression */

    /* scalar expressions */
    KQ_AST_LITERAL,      /* value */
    KQ_AST_NAME,         /* text: column, let name or table name */
    KQ_AST_UNARY,        /* text: operator ("-", "+", "not"); kids[0] */
    KQ_AST_BINARY,       /* text: operator ("and", "==", "has", "!contains", "+", ...); kids[0..1] */
    KQ_AST_IN,           /* text: in, !in, in~, !in~, has_any, has_all; kids[0]: left; kids[1..]: list */
    KQ_AST_BETWEEN,      /* text: between or !between; kids[0]: value, kids[1]: low, kids[2]: high */
    KQ_AST_CALL,         /* text: function name; kids: arguments (a `*` argument is KQ_AST_STAR) */
    KQ_AST_INDEX,        /* kids[0][kids[1]] */
    KQ_AST_MEMBER,       /* kids[0].text */
    KQ_AST_STAR,         /* `*` as a function argument */
    KQ_AST_TYPED_NULL,   /* datetime(null) style typed literal with no value: value.type set */
    KQ_AST_DYNAMIC,      /* dynamic(...) literal: kids hold the JSON-like tree as nested nodes */
    KQ_AST_ARRAY,        /* [a, b, ...] inside dynamic(); kids: items */
    KQ_AST_PROPERTY_BAG, /* {"k": v, ...} inside dynamic(); kids: KQ_AST_PAIR */
    KQ_AST_PAIR,         /* text: key; kids[0]: value */

    /* tabular expressions */
    KQ_AST_PIPE,         /* kids[0]: input; kids[1]: operator */
    KQ_AST_DATATABLE,    /* flags: ncolumns; kids[0..ncolumns-1]: KQ_AST_COLUMN_DECL; rest: values
                          * (row-major); text: externaldata or inline_external_table for those */
    KQ_AST_COLUMN_DECL,  /* text: name; value.type: type */
    KQ_AST_PRINT,        /* kids: KQ_AST_ASSIGN or expressions */

    /* tabular operators (right side of a pipe) */
    KQ_AST_WHERE,        /* kids[0]: predicate */
    KQ_AST_EXTEND,       /* kids: KQ_AST_ASSIGN or expressions */
    KQ_AST_PROJECT,      /* kids: KQ_AST_ASSIGN or expressions */
    KQ_AST_SUMMARIZE,    /* kids[0]: KQ_AST_LIST aggregates; kids[1]: KQ_AST_LIST by (may be empty) */
    KQ_AST_DISTINCT,     /* kids: expressions, or one KQ_AST_STAR */
    KQ_AST_SORT,         /* kids: KQ_AST_SORT_KEY */
    KQ_AST_SORT_KEY,     /* kids[0]: expression; flags: KQ_SORT_* */
    KQ_AST_TAKE,         /* kids[0]: row count expression */
    KQ_AST_COUNT,        /* no kids */
    KQ_AST_TOP,          /* kids[0]: count; kids[1]: KQ_AST_SORT_KEY */
    KQ_AST_PROJECT_AWAY, /* kids: KQ_AST_NAME (may end in '*' wildcard: flags 1) */
    KQ_AST_PROJECT_RENAME, /* kids: KQ_AST_ASSIGN whose value is a KQ_AST_NAME */
    KQ_AST_PROJECT_REORDER, /* kids: KQ_AST_NAME, flags may add KQ_REORDER_* */
    KQ_AST_PROJECT_KEEP, /* kids: KQ_AST_NAME (may end in '*' wildcard: flags 1) */
    KQ_AST_PROJECT_BY_NAMES, /* kids: constant expressions: a name or pattern, or a dynamic array of them */
    KQ_AST_JOIN,         /* flags: KQ_JOIN_*; kids[0]: right side; kids[1..]: KQ_AST_JOIN_KEY */
    KQ_AST_JOIN_KEY,     /* kids[0]: left column name, kids[1]: right column name */
    KQ_AST_LOOKUP,       /* like KQ_AST_JOIN; flags: KQ_JOIN_LEFTOUTER or KQ_JOIN_INNER */
    KQ_AST_UNION,        /* flags: 1 = kind=inner, 2 = isfuzzy=true; text: withsource column; kids: tabular inputs
                          * (KQ_AST_NAME with flags 1 is a wildcard pattern) */
    KQ_AST_MV_EXPAND,    /* kids: KQ_AST_MV_ITEM; text: with_itemindex column; value.u.l: limit (0 none) */
    KQ_AST_MV_ITEM,      /* text: output name (may be empty); kids[0]: expression; value.type: to typeof() */
    KQ_AST_PARSE,        /* flags: mode 0 simple, 1 regex, 2 relaxed, | KQ_PARSE_WHERE; text: regex flags;
                            kids[0]: source; kids[1..]: pattern parts */
    KQ_AST_PARSE_KV,     /* flags: key count; kids[0]: source; kids[1..flags]: KQ_AST_COLUMN_DECL keys;
                            then KQ_AST_ASSIGN options (text: option name, kids[0]: value) */
    KQ_AST_PARSE_PART,   /* a literal (value string) or a column (text: name, value.type: type); flags 1 = '*' */
    KQ_AST_RANGE,        /* text: column; kids[0..2]: from, to, step */
    KQ_AST_FUNCTION,     /* flags: parameter count; kids[0..flags): KQ_AST_COLUMN_DECL parameters
                          * (decl flags 1: tabular; decl kids[0]: default value, when nkids 1);
                          * kids[flags..]: body statements, the last one the result */
    KQ_AST_MV_APPLY,     /* like KQ_AST_MV_EXPAND; flags: item count; kids[flags]: the subquery,
                          * whose source is KQ_AST_APPLY_SOURCE */
    KQ_AST_APPLY_SOURCE, /* the rows of one input record inside mv-apply's subquery */
    KQ_AST_TOP_NESTED,   /* kids: KQ_AST_TOP_LEVEL, one per level */
    KQ_AST_TOP_LEVEL,    /* kids[0]: count (KQ_AST_STAR when absent), kids[1]: key (maybe KQ_AST_ASSIGN),
                          * kids[2]: aggregate (maybe KQ_AST_ASSIGN), kids[3]: others value (optional);
                          * flags: KQ_SORT_ASC */
    KQ_AST_MAKE_SERIES,  /* kids: [0] KQ_AST_LIST of KQ_AST_SERIES_AGG, [1] axis, [2] from, [3] to
                          * (KQ_AST_STAR when absent), [4] step, [5] KQ_AST_LIST of by items */
    KQ_AST_SERIES_AGG,   /* kids[0]: aggregate item (maybe KQ_AST_ASSIGN); kids[1]: default (optional) */
    KQ_AST_PARTITION,    /* kids[0]: partition column (KQ_AST_NAME); kids[1]: subquery over KQ_AST_APPLY_SOURCE */
    KQ_AST_MAKE_GRAPH,   /* flags: KQ_GRAPH_*; text: node id column; kids[0], kids[1]: source and target
                            column names; kids[2]: the nodes table, with KQ_GRAPH_NODES_TABLE */
    KQ_AST_GRAPH_MATCH,  /* flags: KQ_GRAPH_CYCLES_* | KQ_GRAPH_HAS_WHERE; kids[0]: KQ_AST_GRAPH_PATTERN;
                            then the where condition, when given; then the project items */
    KQ_AST_GRAPH_MARK_COMPONENTS, /* text: the component id property */
    KQ_AST_GRAPH_TO_TABLE, /* flags: 1 nodes, 2 edges */
    KQ_AST_GRAPH_PATTERN, /* kids: KQ_AST_GRAPH_NODE, then KQ_AST_GRAPH_EDGE and KQ_AST_GRAPH_NODE pairs */
    KQ_AST_GRAPH_NODE,   /* text: variable name (may be empty) */
    KQ_AST_GRAPH_EDGE,   /* text: variable name (may be empty); flags: KQ_GRAPH_EDGE_*;
                            value.u.l: minimum length << 32 | maximum length */
    KQ_AST_SCAN,         /* text: with_match_id column or empty; flags: declared column count;
                            kids: KQ_AST_COLUMN_DECL (kids[0]: default, when given), then KQ_AST_SCAN_STEP */
    KQ_AST_SCAN_STEP,    /* text: step name; flags: KQ_SCAN_OUTPUT_*; kids[0]: condition; then KQ_AST_ASSIGN */
    KQ_AST_SET,          /* set name [= value]; text: name; kids[0]: value, when given */
    KQ_AST_SEARCH,       /* search: flags: KQ_SEARCH_*; kids[0]: predicate; kids[1..]: the in (...) legs */
    KQ_AST_SEARCH_TERM,  /* a bare "term" of a search predicate, over every column; text: the term */
    KQ_AST_PATTERN,      /* declare pattern: text: name; flags: argument count; value.u.l: 1 when it has a
                          * path argument; kids: KQ_AST_PATTERN_CASE (none for an empty pattern) */
    KQ_AST_PATTERN_CASE, /* kids: the argument values, then the path value when the pattern has one,
                          * then the tabular expression */
    KQ_AST_AS,           /* as Name: text is the name union withsource= reports for these rows */
    KQ_AST_SERIALIZE,    /* serialize [name = expr, ...] (kids[0]: KQ_AST_EXTEND), or render (flags 1) */
    KQ_AST_INVOKE,       /* kids[0]: KQ_AST_CALL; the piped table becomes the first argument */
    KQ_AST_ASSIGN,       /* text: name; kids[0]: expression; kids[1]: KQ_AST_LIST of names for (a, b) = ... */
    KQ_AST_LIST,         /* kids: items */
} kq_ast_kind;

enum {
    KQ_JOIN_INNERUNIQUE,
    KQ_JOIN_INNER,
    KQ_JOIN_LEFTOUTER,
    KQ_JOIN_RIGHTOUTER,
    KQ_JOIN_FULLOUTER,
    KQ_JOIN_LEFTANTI,
    KQ_JOIN_RIGHTANTI,
    KQ_JOIN_LEFTSEMI,
    KQ_JOIN_RIGHTSEMI,
};

enum {
    KQ_SORT_ASC = 1,         /* asc written (default is desc) */
    KQ_SORT_NULLS_FIRST = 2, /* nulls first written */
    KQ_SORT_NULLS_LAST = 4,  /* nulls last written */
};

enum {
    KQ_SEARCH_CASE_SENSITIVE = 1, /* kind=case_sensitive */
    KQ_SEARCH_SOURCE = 2,         /* search opens the query: it reads the in (...) legs, or every table */
};

/* Flags of a project-reorder pattern (beside the wildcard flag 1). */
enum {
    KQ_REORDER_ASC = 2,     /* the matched columns sorted by name, ascending */
    KQ_REORDER_DESC = 4,    /* descending */
    KQ_REORDER_NATURAL = 8, /* granny-asc/-desc: digit runs compare as numbers (a2 < a10) */
};

/* Flags of a KQ_AST_PARSE node: the mode in the low bits, and parse-where. */
enum {
    KQ_PARSE_MODE_MASK = 3, /* 0 simple, 1 regex, 2 relaxed */
    KQ_PARSE_WHERE = 4,     /* parse-where: drop the rows that do not match */
};

typedef struct kq_ast kq_ast;

struct kq_ast {
    kq_ast_kind kind;
    uint32_t start, end;
    uint32_t flags;
    kq_str text;
    uint32_t text_start, text_end; /* span of the name or operator word */
    kq_value value;
    kq_ast **kids;
    uint32_t nkids;
};

/* Parses a KQL script. Returns NULL after reporting syntax errors to diags. */
kq_ast *kq_parse(const kq_source *source, kq_arena *arena, kq_diags *diags);

#endif
