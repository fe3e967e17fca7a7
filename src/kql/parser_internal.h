/*
 * The parser's state and helpers, shared by parser.c (tokens, expressions, statements
 * and most operators) and the operator parsers in their own files (parse_graph.c).
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
    jmp_buf fail;
} parser;

/* A growing list of child nodes, in the parse arena. */
typedef struct kid_list {
    kq_ast **items;
    size_t count, cap;
} kid_list;

const kq_token *kq_ps_peek(parser *ps);
const kq_token *kq_ps_peek_at(parser *ps, size_t ahead);
const kq_token *kq_ps_advance(parser *ps);
bool kq_ps_at(parser *ps, const char *text);
bool kq_ps_accept(parser *ps, const char *text);
const kq_token *kq_ps_expect(parser *ps, const char *text, const char *expected);
const kq_token *kq_ps_expect_name(parser *ps, const char *expected);
_Noreturn void kq_ps_fail_at(parser *ps, const kq_token *token, const char *expected);
kq_ast *kq_ps_node(parser *ps, kq_ast_kind kind, uint32_t start, uint32_t end);
void kq_ps_kids_push(parser *ps, kid_list *list, kq_ast *kid);
void kq_ps_kids_attach(parser *ps, kq_ast *n, kid_list *list);
kq_ast *kq_ps_expr(parser *ps);
kq_ast *kq_ps_assignment(parser *ps);
/* A table name or a parenthesized tabular expression. */
kq_ast *kq_ps_right_side(parser *ps);

/* parse_graph.c: make-graph and graph-match, after their keywords. */
kq_ast *kq_parse_make_graph(parser *ps, const kq_token *keyword);
/* graph-match, or graph-shortest-paths when shortest is set. */
kq_ast *kq_parse_graph_match(parser *ps, const kq_token *keyword, bool shortest);
kq_ast *kq_parse_mark_components(parser *ps, const kq_token *keyword);
kq_ast *kq_parse_graph_to_table(parser *ps, const kq_token *keyword);

#endif
