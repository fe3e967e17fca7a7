/*
 * The pattern statement, which maps tuples of strings to tabular expressions:
 *
 *   declare pattern Name [= (Arg:string, ...) [[Path:string]]
 *   {
 *       ("value", ...)[.["path value"]] = { tabular expression };
 *       ...
 *   }]
 *
 * An invocation, Name("value", ...).PathValue or Name("value", ...).["path value"], parses
 * as an ordinary call with a member access; the binder resolves it (bind_pattern.c).
 */
#include "kql/parser_internal.h"

/* Parses the (Arg:string, ...) list and the optional [Path:string]; returns the argument count. */
static uint32_t parse_signature(parser *ps, bool *has_path)
{
    kq_ps_expect(ps, "(", "'(' and the pattern's arguments");
    uint32_t count = 0;
    do {
        kq_ast *decl = kq_ps_column_decl(ps);
        if (decl->value.type != KQ_STRING)
            kq_ps_fail_at(ps, kq_ps_peek(ps) - 1, "string (pattern arguments are strings)");
        count++;
    } while (kq_ps_accept(ps, ","));
    kq_ps_expect(ps, ")", "',' or ')' after a pattern argument");
    *has_path = false;
    if (kq_ps_accept(ps, "[")) {
        kq_ast *decl = kq_ps_column_decl(ps);
        if (decl->value.type != KQ_STRING)
            kq_ps_fail_at(ps, kq_ps_peek(ps) - 1, "string (the path argument is a string)");
        kq_ps_expect(ps, "]", "']' after the path argument");
        *has_path = true;
    }
    return count;
}

static kq_ast *parse_string_value(parser *ps, const char *expected)
{
    const kq_token *token = kq_ps_peek(ps);
    if (token->kind != KQ_TOK_STRING)
        kq_ps_fail_at(ps, token, expected);
    kq_ps_advance(ps);
    return kq_ps_literal(ps, token, kq_string(token->text.ptr, token->text.len));
}

/* ("value", ...)[.["path value"]] = { expression } */
static kq_ast *parse_case(parser *ps, uint32_t nargs, bool has_path)
{
    const kq_token *open = kq_ps_expect(ps, "(", "'(' and the argument values of a pattern case, or '}'");
    kid_list kids = {0};
    for (uint32_t i = 0; i < nargs; i++) {
        if (i > 0)
            kq_ps_expect(ps, ",", "',' and the next argument value");
        kq_ps_kids_push(ps, &kids, parse_string_value(ps, "a string argument value"));
    }
    kq_ps_expect(ps, ")", "')': the case has more values than the pattern has arguments");
    if (has_path) {
        kq_ps_expect(ps, ".", "'.' and the [\"path value\"] of the case");
        const kq_token *path = kq_ps_peek(ps);
        if (path->kind == KQ_TOK_IDENT && path->bracketed) {
            kq_ps_advance(ps); /* ["value"] lexes as one bracketed name */
            kq_ps_kids_push(ps, &kids, kq_ps_literal(ps, path, kq_string(path->text.ptr, path->text.len)));
        } else {
            kq_ps_expect(ps, "[", "'[' and the path value");
            kq_ps_kids_push(ps, &kids, parse_string_value(ps, "a string path value"));
            kq_ps_expect(ps, "]", "']' after the path value");
        }
    }
    kq_ps_expect(ps, "=", "'=' and the case's { expression }");
    kq_ps_expect(ps, "{", "'{' and the case's expression");
    kq_ps_enter(ps);
    kq_ps_kids_push(ps, &kids, kq_ps_expr(ps));
    kq_ps_leave(ps);
    const kq_token *close = kq_ps_expect(ps, "}", "'}' after the case's expression");
    kq_ast *n = kq_ps_node(ps, KQ_AST_PATTERN_CASE, open->start, close->end);
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}

kq_ast *kq_parse_pattern(parser *ps, const kq_token *declare)
{
    kq_ps_expect(ps, "pattern", "pattern after declare");
    const kq_token *name = kq_ps_expect_name(ps, "the pattern's name");
    kq_ast *n = kq_ps_node(ps, KQ_AST_PATTERN, declare->start, name->end);
    n->text = name->text;
    n->text_start = name->start;
    n->text_end = name->end;
    if (!kq_ps_accept(ps, "="))
        return n; /* an empty pattern: every invocation is an error */
    bool has_path;
    n->flags = parse_signature(ps, &has_path);
    n->value.u.l = has_path;
    kq_ps_expect(ps, "{", "'{' and the pattern's cases");
    kid_list cases = {0};
    while (!kq_ps_at(ps, "}")) {
        kq_ps_kids_push(ps, &cases, parse_case(ps, n->flags, has_path));
        if (!kq_ps_at(ps, "}"))
            kq_ps_expect(ps, ";", "';' or '}' after a pattern case");
        while (kq_ps_accept(ps, ";"))
            ;
    }
    n->end = kq_ps_advance(ps)->end;
    kq_ps_kids_attach(ps, n, &cases);
    return n;
}
