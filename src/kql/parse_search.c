/*
 * The search operator: [T |] search [kind=case_sensitive] [in (T1, T2, ...)] predicate.
 *
 * The predicate is an ordinary boolean expression in which a bare string is a term to find
 * in any column and Column:"term" a term to find in one column. A term's asterisks choose
 * the string operator, as Kusto's docs list them: "err" is has, "err*" hasprefix, "*err"
 * hassuffix, "*err*" contains, and "e*r" matches regex @"\be.*r\b". A bare * matches every
 * row. The case-insensitive forms are the default; kind=case_sensitive picks the _cs ones.
 */
#include "kql/parser_internal.h"
#include "base/util.h"

#include <setjmp.h>
#include <string.h>

/* The operator for a term and the text it compares with (the term without its outer '*',
 * or the regular expression of a term with an inner '*'). */
static const char *term_operator(parser *ps, kq_str term, bool case_sensitive, kq_str *pattern)
{
    bool leading = term.len > 0 && term.ptr[0] == '*';
    bool trailing = term.len > 1 && term.ptr[term.len - 1] == '*';
    kq_str inner = {term.ptr + leading, term.len - leading - trailing};
    if (memchr(inner.ptr, '*', inner.len) == NULL) {
        *pattern = inner;
        if (leading && trailing)
            return case_sensitive ? "contains_cs" : "contains";
        if (leading)
            return case_sensitive ? "hassuffix_cs" : "hassuffix";
        if (trailing)
            return case_sensitive ? "hasprefix_cs" : "hasprefix";
        return case_sensitive ? "has_cs" : "has";
    }
    kq_buf regex;
    kq_buf_init(&regex);
    kq_buf_puts(&regex, case_sensitive ? "\\b" : "(?i)\\b");
    for (uint32_t i = 0; i < term.len; i++) {
        char c = term.ptr[i];
        if (c == '*')
            kq_buf_puts(&regex, ".*");
        else if (strchr("\\^$.|?+()[]{}", c))
            kq_buf_printf(&regex, "\\%c", c);
        else
            kq_buf_putc(&regex, c);
    }
    kq_buf_puts(&regex, "\\b");
    pattern->ptr = kq_arena_strndup(ps->arena, regex.data, regex.len);
    pattern->len = (uint32_t)regex.len;
    kq_buf_free(&regex);
    return "matches regex";
}

/* A term as Column op "pattern", or as a KQ_AST_SEARCH_TERM whose text is the operator and
 * kids[0] the pattern, which the binder applies to every column. */
static kq_ast *term_node(parser *ps, const kq_token *column, const kq_token *term, bool case_sensitive)
{
    kq_str pattern;
    const char *op = term_operator(ps, term->text, case_sensitive, &pattern);
    kq_ast *value = kq_ps_literal(ps, term, kq_string(pattern.ptr, pattern.len));
    uint32_t start = column ? column->start : term->start;
    kq_ast *n = kq_ps_node(ps, column ? KQ_AST_BINARY : KQ_AST_SEARCH_TERM, start, term->end);
    n->text = (kq_str){op, (uint32_t)strlen(op)};
    n->text_start = term->start;
    n->text_end = term->end;
    kid_list kids = {0};
    if (column) {
        kq_ast *name = kq_ps_node(ps, KQ_AST_NAME, column->start, column->end);
        name->text = column->text;
        name->text_start = column->start;
        name->text_end = column->end;
        kq_ps_kids_push(ps, &kids, name);
    }
    kq_ps_kids_push(ps, &kids, value);
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}

static kq_ast *parse_predicate(parser *ps);

static kq_ast *parse_operand(parser *ps)
{
    bool case_sensitive = ps->search_case_sensitive;
    const kq_token *token = kq_ps_peek(ps);
    if (token->kind == KQ_TOK_STRING && !kq_token_is(kq_ps_peek_at(ps, 1), "==") &&
        !kq_token_is(kq_ps_peek_at(ps, 1), "!=")) {
        kq_ps_advance(ps);
        return term_node(ps, NULL, token, case_sensitive);
    }
    if (kq_ps_is_ident(token) && kq_token_is(kq_ps_peek_at(ps, 1), ":") &&
        kq_ps_peek_at(ps, 2)->kind == KQ_TOK_STRING) {
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        return term_node(ps, token, kq_ps_advance(ps), case_sensitive);
    }
    if (kq_ps_at(ps, "*")) {
        kq_ps_advance(ps);
        return kq_ps_literal(ps, token, kq_bool(true)); /* search * keeps every row */
    }
    if (kq_ps_at(ps, "(")) {
        kq_ps_advance(ps);
        kq_ps_enter(ps);
        kq_ast *inner = parse_predicate(ps);
        kq_ps_leave(ps);
        kq_ps_expect(ps, ")", "')' in the search predicate");
        return inner;
    }
    return kq_ps_compare(ps);
}

static kq_ast *parse_conjunction(parser *ps)
{
    return kq_ps_chain(ps, "and", parse_operand);
}

static kq_ast *parse_predicate(parser *ps)
{
    return kq_ps_chain(ps, "or", parse_conjunction);
}

kq_ast *kq_parse_search(parser *ps, const kq_token *keyword, bool source)
{
    kq_ast *n = kq_ps_node(ps, KQ_AST_SEARCH, keyword->start, keyword->end);
    n->flags = source ? KQ_SEARCH_SOURCE : 0;
    if (kq_ps_at(ps, "kind") && kq_token_is(kq_ps_peek_at(ps, 1), "=")) {
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        const kq_token *kind = kq_ps_expect_name(ps, "case_sensitive, case_insensitive or default");
        if (kq_token_is(kind, "case_sensitive"))
            n->flags |= KQ_SEARCH_CASE_SENSITIVE;
        else if (!kq_token_is(kind, "case_insensitive") && !kq_token_is(kind, "default"))
            kq_ps_fail_at(ps, kind, "case_sensitive, case_insensitive or default");
    }
    kid_list kids = {0};
    kq_ps_kids_push(ps, &kids, NULL); /* the predicate, parsed after the legs */
    if (kq_ps_at(ps, "in") && kq_token_is(kq_ps_peek_at(ps, 1), "(")) {
        if (!source) {
            /* Reported at search, as the language service does. */
            kq_diags_add(ps->diags, ps->source, KQ_SEVERITY_ERROR, keyword->start, keyword->end,
                         "search in (...) must open the query: after '|', search reads only its input");
            longjmp(ps->fail, 1);
        }
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        do {
            kq_ps_kids_push(ps, &kids, kq_ps_union_leg(ps));
        } while (kq_ps_accept(ps, ","));
        kq_ps_expect(ps, ")", "',' or ')' after a table of search in (...)");
    }
    ps->search_case_sensitive = n->flags & KQ_SEARCH_CASE_SENSITIVE;
    kids.items[0] = parse_predicate(ps);
    ps->search_case_sensitive = false;
    n->end = kids.items[0]->end;
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}
