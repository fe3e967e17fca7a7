/*
 * KQL parser: recursive descent over the token list, building kq_ast nodes. This file
 * contains the token and node helpers, statements and the entry point. parse_expr.c
 * contains the expression grammar below, and parse_operators.c the tabular operators.
 *
 * Grammar outline (precedence from loose to tight):
 *   script     := statement (';' statement)* [';']
 *   statement  := 'let' name '=' expr | 'set' name ['=' value] | 'declare' 'pattern' ... | expr
 *   expr       := or ('|' operator)*          -- a pipe makes it tabular
 *   or         := and ('or' and)*
 *   and        := compare ('and' compare)*
 *   compare    := additive [cmp-op additive | in-op '(' list ')' | between '(' a '..' b ')']
 *   additive   := multiply (('+'|'-') multiply)*
 *   multiply   := unary (('*'|'/'|'%') unary)*
 *   unary      := ('-'|'+') unary | postfix
 *   postfix    := primary ('.' name | '[' expr ']')*
 *   primary    := literal | name | call | '(' expr ')' | datatable | dynamic(...)
 * The first error stops the parse; the error names what was expected.
 */
#include "kql/ast.h"
#include "kql/parser_internal.h"
#include "base/util.h"
#include "kql/limits.h"
#include "kql/plan.h"
#include "types/dynamic.h"

#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

const kq_token *kq_ps_peek(parser *ps)
{
    return &ps->tokens[ps->pos];
}

const kq_token *kq_ps_peek_at(parser *ps, size_t ahead)
{
    size_t i = ps->pos + ahead;
    return &ps->tokens[i < ps->count ? i : ps->count - 1];
}

const kq_token *kq_ps_advance(parser *ps)
{
    const kq_token *token = &ps->tokens[ps->pos];
    if (token->kind != KQ_TOK_EOF)
        ps->pos++;
    return token;
}

bool kq_ps_at(parser *ps, const char *text)
{
    return kq_token_is(kq_ps_peek(ps), text);
}

bool kq_ps_accept(parser *ps, const char *text)
{
    if (!kq_ps_at(ps, text))
        return false;
    kq_ps_advance(ps);
    return true;
}

static const char *describe(const kq_token *token, char *buffer, size_t size)
{
    if (token->kind == KQ_TOK_EOF)
        return "the end of the query";
    if (token->kind == KQ_TOK_STRING)
        return "a string literal";
    snprintf(buffer, size, "'%.*s'", (int)(token->text.len > 40 ? 40 : token->text.len),
             token->text.ptr);
    return buffer;
}

/* True when a line break separates the previous token from this one. */
static bool starts_new_line(parser *ps, const kq_token *token)
{
    if (token == ps->tokens)
        return false;
    const kq_token *previous = token - 1;
    for (uint32_t i = previous->end; i < token->start && i < ps->source->len; i++)
        if (ps->source->text[i] == '\n')
            return true;
    return false;
}

_Noreturn void kq_ps_fail_at(parser *ps, const kq_token *token, const char *expected)
{
    char buffer[64];
    /* When the unexpected token opens a new line, the mistake is at the end of the
     * previous line (a missing ')' or operand): point there, as Kusto does. */
    uint32_t start = token->start, end = token->end > token->start ? token->end : token->start + 1;
    if (token > ps->tokens && (token->kind == KQ_TOK_EOF || starts_new_line(ps, token))) {
        start = (token - 1)->end;
        end = start;
    }
    kq_diags_add(ps->diags, ps->source, KQ_SEVERITY_ERROR, start, end,
                 "syntax error: expected %s, found %s", expected,
                 describe(token, buffer, sizeof buffer));
    longjmp(ps->fail, 1);
}

const kq_token *kq_ps_expect(parser *ps, const char *text, const char *expected)
{
    if (!kq_ps_at(ps, text))
        kq_ps_fail_at(ps, kq_ps_peek(ps), expected);
    return kq_ps_advance(ps);
}

kq_ast *kq_ps_node(parser *ps, kq_ast_kind kind, uint32_t start, uint32_t end)
{
    kq_ast *n = kq_arena_alloc(ps->arena, sizeof *n);
    n->kind = kind;
    n->start = start;
    n->end = end;
    return n;
}


/* Lists grow inside the parse arena: a syntax error unwinds with longjmp, so nothing
 * here may own heap memory. */
void kq_ps_kids_push(parser *ps, kid_list *list, kq_ast *kid)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 8;
        kq_ast **items = kq_arena_alloc(ps->arena, cap * sizeof(kq_ast *));
        if (list->count)
            memcpy(items, list->items, list->count * sizeof(kq_ast *));
        list->items = items;
        list->cap = cap;
    }
    list->items[list->count++] = kid;
}

void kq_ps_kids_attach(parser *ps, kq_ast *n, kid_list *list)
{
    (void)ps;
    n->nkids = (uint32_t)list->count;
    n->kids = list->count ? list->items : kq_arena_alloc(ps->arena, sizeof(kq_ast *));
    list->items = NULL;
    list->count = list->cap = 0;
}

kq_ast *kq_ps_node1(parser *ps, kq_ast_kind kind, uint32_t start, uint32_t end, kq_ast *kid)
{
    kq_ast *n = kq_ps_node(ps, kind, start, end);
    n->kids = kq_arena_alloc(ps->arena, sizeof(kq_ast *));
    n->kids[0] = kid;
    n->nkids = 1;
    return n;
}

kq_ast *kq_ps_node2(parser *ps, kq_ast_kind kind, kq_ast *a, kq_ast *b)
{
    kq_ast *n = kq_ps_node(ps, kind, a->start, b->end);
    n->kids = kq_arena_alloc(ps->arena, 2 * sizeof(kq_ast *));
    n->kids[0] = a;
    n->kids[1] = b;
    n->nkids = 2;
    return n;
}

void kq_ps_enter(parser *ps)
{
    if (++ps->depth > KQ_MAX_EXPRESSION_DEPTH)
        kq_ps_fail_at(ps, kq_ps_peek(ps), "a shallower expression (nesting is limited to "
                              KQ_STRINGIFY(KQ_MAX_EXPRESSION_DEPTH) " levels)");
}

void kq_ps_leave(parser *ps)
{
    ps->depth--;
}

bool kq_ps_is_ident(const kq_token *token)
{
    return token->kind == KQ_TOK_IDENT;
}

const kq_token *kq_ps_expect_name(parser *ps, const char *expected)
{
    if (!kq_ps_is_ident(kq_ps_peek(ps)))
        kq_ps_fail_at(ps, kq_ps_peek(ps), expected);
    return kq_ps_advance(ps);
}

kq_ast *kq_ps_pipeline_tail(parser *ps, kq_ast *input)
{
    while (kq_ps_accept(ps, "|")) {
        kq_ast *op = kq_ps_operator(ps);
        input = kq_ps_node2(ps, KQ_AST_PIPE, input, op);
    }
    return input;
}

/* ---- statements ---- */

/* True at "(" that opens a function's parameter list: () { or (name: */
static bool at_function_definition(parser *ps)
{
    if (!kq_ps_at(ps, "("))
        return false;
    if (kq_token_is(kq_ps_peek_at(ps, 1), ")"))
        return kq_token_is(kq_ps_peek_at(ps, 2), "{");
    return kq_ps_is_ident(kq_ps_peek_at(ps, 1)) && kq_token_is(kq_ps_peek_at(ps, 2), ":");
}

static kq_ast *parse_statement(parser *ps);

/* (a:string, T:(*), n:long = 5) { statements; result } */
static kq_ast *parse_function_definition(parser *ps)
{
    const kq_token *open = kq_ps_advance(ps);
    kid_list kids = {0};
    uint32_t nparams = 0;
    while (!kq_ps_at(ps, ")")) {
        const kq_token *name = kq_ps_expect_name(ps, "a parameter name");
        kq_ps_expect(ps, ":", "':' and the parameter type");
        kq_ast *param = kq_ps_node(ps, KQ_AST_COLUMN_DECL, name->start, name->end);
        param->text = name->text;
        if (kq_ps_accept(ps, "(")) {
            /* A tabular parameter: (*) or (Col:type, ...); its columns come from the argument. */
            int depth = 1;
            while (depth > 0 && kq_ps_peek(ps)->kind != KQ_TOK_EOF) {
                if (kq_ps_at(ps, "("))
                    depth++;
                else if (kq_ps_at(ps, ")"))
                    depth--;
                kq_ps_advance(ps);
            }
            param->flags = 1;
        } else {
            const kq_token *type_name = kq_ps_expect_name(ps, "a parameter type");
            param->value.type = kq_type_from_name(type_name->text.ptr, type_name->text.len);
            if (param->value.type == KQ_TYPE_NONE)
                kq_ps_fail_at(ps, type_name, "a scalar type");
            if (kq_ps_accept(ps, "=")) {
                kq_ast *value = kq_ps_additive(ps);
                param->kids = kq_arena_alloc(ps->arena, sizeof(kq_ast *));
                param->kids[0] = value;
                param->nkids = 1;
            }
        }
        kq_ps_kids_push(ps, &kids, param);
        nparams++;
        if (!kq_ps_accept(ps, ","))
            break;
    }
    kq_ps_expect(ps, ")", "',' or ')' after a parameter");
    kq_ps_expect(ps, "{", "'{' and the function body");
    while (!kq_ps_at(ps, "}")) {
        if (kq_ps_accept(ps, ";"))
            continue;
        kq_ps_kids_push(ps, &kids, parse_statement(ps));
        if (!kq_ps_at(ps, "}"))
            kq_ps_expect(ps, ";", "';' or '}' in the function body");
    }
    const kq_token *close = kq_ps_expect(ps, "}", "'}' after the function body");
    if (kids.count == nparams)
        kq_ps_fail_at(ps, close, "a result expression in the function body");
    kq_ast *n = kq_ps_node(ps, KQ_AST_FUNCTION, open->start, close->end);
    kq_ps_kids_attach(ps, n, &kids);
    n->flags = nparams;
    return n;
}

static kq_ast *parse_statement(parser *ps)
{
    if (kq_ps_at(ps, "let") && kq_ps_is_ident(kq_ps_peek_at(ps, 1)) && kq_token_is(kq_ps_peek_at(ps, 2), "=")) {
        size_t save = ps->pos;
        kq_ps_advance(ps);
        const kq_token *name = kq_ps_advance(ps);
        kq_ps_advance(ps);
        /* view() { ... } is a function whose result union * and search also read. */
        bool view = kq_ps_at(ps, "view") && kq_token_is(kq_ps_peek_at(ps, 1), "(");
        if (view)
            kq_ps_advance(ps);
        if (at_function_definition(ps)) {
            kq_ast *value = parse_function_definition(ps);
            kq_ast *n = kq_ps_node1(ps, KQ_AST_LET, ps->tokens[save].start, value->end, value);
            n->flags = view ? 1 : 0;
            n->text = name->text;
            n->text_start = name->start;
            n->text_end = name->end;
            return n;
        }
        ps->pos = save;
    }
    if (kq_ps_at(ps, "let") && kq_ps_is_ident(kq_ps_peek_at(ps, 1))) {
        const kq_token *keyword = kq_ps_advance(ps);
        const kq_token *name = kq_ps_advance(ps);
        kq_ps_expect(ps, "=", "'=' after the let name");
        kq_ast *value = kq_ps_expr(ps);
        kq_ast *n = kq_ps_node1(ps, KQ_AST_LET, keyword->start, value->end, value);
        n->text = name->text;
        n->text_start = name->start;
        n->text_end = name->end;
        return n;
    }
    if (kq_ps_at(ps, "set") && kq_ps_is_ident(kq_ps_peek_at(ps, 1)) &&
        (kq_token_is(kq_ps_peek_at(ps, 2), "=") || kq_token_is(kq_ps_peek_at(ps, 2), ";"))) {
        /* set option [= value]: a request property such as query_bin_auto_size. */
        const kq_token *keyword = kq_ps_advance(ps);
        const kq_token *name = kq_ps_advance(ps);
        kq_ast *n = kq_ps_node(ps, KQ_AST_SET, keyword->start, name->end);
        n->text = name->text;
        n->text_start = name->start;
        n->text_end = name->end;
        if (kq_ps_accept(ps, "=")) {
            kq_ast *value = kq_ps_additive(ps);
            n->kids = kq_arena_alloc(ps->arena, sizeof(kq_ast *));
            n->kids[0] = value;
            n->nkids = 1;
            n->end = value->end;
        }
        return n;
    }
    if (kq_ps_at(ps, "declare") && kq_token_is(kq_ps_peek_at(ps, 1), "pattern"))
        return kq_parse_pattern(ps, kq_ps_advance(ps));
    kq_ast *query = kq_ps_expr(ps);
    return kq_ps_node1(ps, KQ_AST_QUERY, query->start, query->end, query);
}

kq_ast *kq_parse(const kq_source *source, kq_arena *arena, kq_diags *diags)
{
    if (source->len > KQ_MAX_QUERY_BYTES) {
        kq_diags_add(diags, source, KQ_SEVERITY_ERROR, 0, 0,
                     "query is %zu bytes long; the limit is %d bytes", source->len,
                     KQ_MAX_QUERY_BYTES);
        return NULL;
    }
    kq_token_list tokens;
    if (!kq_lex(source, arena, &tokens, diags))
        return NULL;
    parser ps = {.source = source, .arena = arena, .diags = diags, .tokens = tokens.items,
                 .count = tokens.count};
    kid_list statements = {0};
    if (setjmp(ps.fail))
        return NULL;
    while (kq_ps_peek(&ps)->kind != KQ_TOK_EOF) {
        if (kq_ps_accept(&ps, ";"))
            continue;
        kq_ps_kids_push(&ps, &statements, parse_statement(&ps));
        if (kq_ps_peek(&ps)->kind != KQ_TOK_EOF)
            kq_ps_expect(&ps, ";", "';' or '|' (or the end of the query)");
    }
    kq_ast *script = kq_ps_node(&ps, KQ_AST_SCRIPT, 0, (uint32_t)source->len);
    kq_ps_kids_attach(&ps, script, &statements);
    return script;
}

