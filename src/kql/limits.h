/*
 * Limits that protect kqlite from hostile or runaway queries. Each one turns
 * an input that would exhaust the stack or memory into a clear error.
 */
#ifndef KQ_KQL_LIMITS_H
#define KQ_KQL_LIMITS_H

#define KQ_STRINGIFY_INNER(x) #x
#define KQ_STRINGIFY(x) KQ_STRINGIFY_INNER(x)

/* Longest query text accepted (bytes). Real rules are a few KB; 1 MB leaves room for
 * generated queries with long literal lists. */
#define KQ_MAX_QUERY_BYTES (1 << 20)

/* Deepest nesting of parentheses and operators the recursive-descent parser follows.
 * A chain of `and`/`or` terms counts one level per term, because it binds and evaluates as a
 * left-deep tree. Each level costs well under 1 KB of stack in the parser, binder and
 * evaluator, so 1,000 levels stay far below the usual 8 MB stack. */
#define KQ_MAX_EXPRESSION_DEPTH 1000

/* Most arguments one function call may take (pack_array and strcat lists in real rules run
 * to a few hundred). */
#define KQ_MAX_CALL_ARGS 1024

/* Most values an in/has_any list may hold after expanding sets (Kusto's has_any limit). */
#define KQ_MAX_LIST_VALUES 10000

#endif
