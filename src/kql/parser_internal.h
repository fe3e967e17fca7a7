/*
 * The parser's state and helpers, shared by parser.c (tokens, nodes, statements),
 * parse_expr.c (literals and scalar expressions), parse_operators.c (the tabular
 * operators after '|') and parse_graph.c (the graph operators).
 * A syntax error longjmps to ps->fail, so parse functions never return on failure.
 */
#ifndef KQ_KQL_PARSER_INTERNAL_H
#define KQ_KQL_PARSER_INTERNAL_H

#include "kql/ast.h"
#include "kql/plan.h"

#include <setjmp.h>

typedef struct parser {
    const kq_source *source;
    kq_arena *arena;
    kq_diags *diags;
    kq_token *tokens;
    size_t count;
    size_t pos;
    int depth;
    bool search_case_sensitive; /* inside search kind=case_sensitive: terms use the _cs operators */
    jmp_buf fail;
} parser;

/* A growing list of child nodes, in the parse arena. */
typedef struct kid_list {
    kq_ast **items;
    size_t count, cap;
} kid_list;

/* parser.c: tokens, nodes and the nesting guard. */
const kq_token *kq_ps_peek(parser *ps);
const kq_token *kq_ps_peek_at(parser *ps, size_t ahead);
const kq_token *kq_ps_advance(parser *ps);
bool kq_ps_at(parser *ps, const char *text);
bool kq_ps_accept(parser *ps, const char *text);
bool kq_ps_is_ident(const kq_token *token);
const kq_token *kq_ps_expect(parser *ps, const char *text, const char *expected);
const kq_token *kq_ps_expect_name(parser *ps, const char *expected);
_Noreturn void kq_ps_fail_at(parser *ps, const kq_token *token, const char *expected);
kq_ast *kq_ps_node(parser *ps, kq_ast_kind kind, uint32_t start, uint32_t end);
kq_ast *kq_ps_node1(parser *ps, kq_ast_kind kind, uint32_t start, uint32_t end, kq_ast *kid);
kq_ast *kq_ps_node2(parser *ps, kq_ast_kind kind, kq_ast *a, kq_ast *b);
void kq_ps_kids_push(parser *ps, kid_list *list, kq_ast *kid);
void kq_ps_kids_attach(parser *ps, kq_ast *n, kid_list *list);
/* Counts one level of nesting and fails past KQ_MAX_EXPRESSION_DEPTH; kq_ps_leave undoes it. */
void kq_ps_enter(parser *ps);
void kq_ps_leave(parser *ps);
/* Parses ('|' operator)* after input. */
kq_ast *kq_ps_pipeline_tail(parser *ps, kq_ast *input);

/* parse_expr.c: scalar expressions, from the loosest (expr: or plus a pipeline) down. */
kq_ast *kq_ps_expr(parser *ps);
kq_ast *kq_ps_or(parser *ps);
kq_ast *kq_ps_additive(parser *ps);
/* additive [comparison additive], the operand level of and. */
kq_ast *kq_ps_compare(parser *ps);
/* operand (word operand)*, such as a chain of and, as one KQ_AST_BINARY. */
kq_ast *kq_ps_chain(parser *ps, const char *word, kq_ast *(*operand)(parser *));
kq_ast *kq_ps_literal(parser *ps, const kq_token *token, kq_value value);
/* name = expr, (a, b) = expr or a bare expr. */
kq_ast *kq_ps_assignment(parser *ps);
kq_ast *kq_ps_assignment_list(parser *ps, kq_ast_kind kind, const kq_token *keyword);
/* A call after its name token, at '('. */
kq_ast *kq_ps_call(parser *ps, const kq_token *name);
/* name:type in datatable, parse-kv and scan declarations. */
kq_ast *kq_ps_column_decl(parser *ps);

/* parse_operators.c: one tabular operator after '|', and the sources that can also open a query. */
kq_ast *kq_ps_operator(parser *ps);
/* A table name or a parenthesized tabular expression. */
kq_ast *kq_ps_right_side(parser *ps);
kq_ast *kq_ps_union(parser *ps, const kq_token *keyword, kq_ast *input);
kq_ast *kq_ps_range(parser *ps, const kq_token *keyword);
/* One leg of union or search in (...): a table, a wildcard, a call or (tabular expression). */
kq_ast *kq_ps_union_leg(parser *ps);

/* parse_graph.c: make-graph and graph-match, after their keywords. */
kq_ast *kq_parse_make_graph(parser *ps, const kq_token *keyword);
/* graph-match, or graph-shortest-paths when shortest is set. */
kq_ast *kq_parse_graph_match(parser *ps, const kq_token *keyword, bool shortest);
kq_ast *kq_parse_mark_components(parser *ps, const kq_token *keyword);
kq_ast *kq_parse_graph_to_table(parser *ps, const kq_token *keyword);

/* parse_external.c: after their keywords; both give a KQ_AST_DATATABLE without rows whose
 * text is the keyword. */
kq_ast *kq_parse_externaldata(parser *ps, const kq_token *keyword);
kq_ast *kq_parse_inline_external_table(parser *ps, const kq_token *keyword);

/* parse_pattern.c: declare pattern ..., at declare. */
kq_ast *kq_parse_pattern(parser *ps, const kq_token *declare);

/* parse_search.c: search, after its keyword; source is false after '|'. */
kq_ast *kq_parse_search(parser *ps, const kq_token *keyword, bool source);

#endif
