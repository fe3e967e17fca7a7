/*
 * KQL parser: recursive descent over the token list, building kq_ast nodes.
 *
 * Grammar outline (precedence from loose to tight):
 *   script     := statement (';' statement)* [';']
 *   statement  := 'let' name '=' expr | expr
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


static kq_ast *parse_expr(parser *ps);
static kq_ast *parse_pipeline_tail(parser *ps, kq_ast *input);
static kq_ast *parse_assignment_list(parser *ps, kq_ast_kind kind, const kq_token *keyword);
static kq_ast *parse_union(parser *ps, const kq_token *keyword, kq_ast *input);
static kq_ast *parse_range(parser *ps, const kq_token *keyword);
static kq_ast *parse_assignment(parser *ps);
static kq_ast *parse_operator(parser *ps);

static const kq_token *peek(parser *ps)
{
    return &ps->tokens[ps->pos];
}

static const kq_token *peek_at(parser *ps, size_t ahead)
{
    size_t i = ps->pos + ahead;
    return &ps->tokens[i < ps->count ? i : ps->count - 1];
}

static const kq_token *advance(parser *ps)
{
    const kq_token *token = &ps->tokens[ps->pos];
    if (token->kind != KQ_TOK_EOF)
        ps->pos++;
    return token;
}

static bool at(parser *ps, const char *text)
{
    return kq_token_is(peek(ps), text);
}

static bool accept(parser *ps, const char *text)
{
    if (!at(ps, text))
        return false;
    advance(ps);
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

_Noreturn static void fail_at(parser *ps, const kq_token *token, const char *expected)
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

static const kq_token *expect(parser *ps, const char *text, const char *expected)
{
    if (!at(ps, text))
        fail_at(ps, peek(ps), expected);
    return advance(ps);
}

static kq_ast *node(parser *ps, kq_ast_kind kind, uint32_t start, uint32_t end)
{
    kq_ast *n = kq_arena_alloc(ps->arena, sizeof *n);
    n->kind = kind;
    n->start = start;
    n->end = end;
    return n;
}


/* Lists grow inside the parse arena: a syntax error unwinds with longjmp, so nothing
 * here may own heap memory. */
static void kids_push(parser *ps, kid_list *list, kq_ast *kid)
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

static void kids_attach(parser *ps, kq_ast *n, kid_list *list)
{
    (void)ps;
    n->nkids = (uint32_t)list->count;
    n->kids = list->count ? list->items : kq_arena_alloc(ps->arena, sizeof(kq_ast *));
    list->items = NULL;
    list->count = list->cap = 0;
}

static kq_ast *node1(parser *ps, kq_ast_kind kind, uint32_t start, uint32_t end, kq_ast *kid)
{
    kq_ast *n = node(ps, kind, start, end);
    n->kids = kq_arena_alloc(ps->arena, sizeof(kq_ast *));
    n->kids[0] = kid;
    n->nkids = 1;
    return n;
}

static kq_ast *node2(parser *ps, kq_ast_kind kind, kq_ast *a, kq_ast *b)
{
    kq_ast *n = node(ps, kind, a->start, b->end);
    n->kids = kq_arena_alloc(ps->arena, 2 * sizeof(kq_ast *));
    n->kids[0] = a;
    n->kids[1] = b;
    n->nkids = 2;
    return n;
}

static void enter(parser *ps)
{
    if (++ps->depth > KQ_MAX_EXPRESSION_DEPTH)
        fail_at(ps, peek(ps), "a shallower expression (nesting is limited to "
                              KQ_STRINGIFY(KQ_MAX_EXPRESSION_DEPTH) " levels)");
}

static void leave(parser *ps)
{
    ps->depth--;
}

static bool is_ident(const kq_token *token)
{
    return token->kind == KQ_TOK_IDENT;
}

static const kq_token *expect_name(parser *ps, const char *expected)
{
    if (!is_ident(peek(ps)))
        fail_at(ps, peek(ps), expected);
    return advance(ps);
}

/* ---- literals ---- */

static kq_ast *literal(parser *ps, const kq_token *token, kq_value value)
{
    kq_ast *n = node(ps, KQ_AST_LITERAL, token->start, token->end);
    n->value = value;
    return n;
}

static bool raw_is_null(const kq_token *raw)
{
    return raw->text.len == 4 && memcmp(raw->text.ptr, "null", 4) == 0;
}

static void trim(const char **p, size_t *len)
{
    while (*len && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*len)--;
    }
    while (*len && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
        (*len)--;
}

/* Parses the raw text of timespan(...): 1d, 1.5h, 0.12:34:56.7, a number of days. */
static bool parse_timespan_text(const char *text, size_t len, int64_t *ticks)
{
    if (kq_timespan_parse(text, len, ticks))
        return true;
    size_t i = 0;
    if (i < len && text[i] == '-')
        i++;
    while (i < len && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.'))
        i++;
    size_t unit_start = i;
    while (i < len && text[i] == ' ')
        i++;
    if (i >= len || unit_start == 0)
        return false;
    int64_t unit = kq_timespan_suffix_ticks(text + i, len - i);
    if (!unit)
        return false;
    char number[64];
    if (unit_start >= sizeof number)
        return false;
    memcpy(number, text, unit_start);
    number[unit_start] = '\0';
    double amount = strtod(number, NULL);
    double scaled = unit < 0 ? amount / 100.0 : amount * (double)unit;
    if (!(fabs(scaled) < 9.2e18)) /* outside the timespan range, or NaN */
        return false;
    *ticks = (int64_t)llround(scaled);
    return true;
}

/* type(raw) literals: datetime(...), timespan(...), long(...), bool(...), guid(...), ... */
static kq_ast *parse_typed_literal(parser *ps, const kq_token *name)
{
    kq_type type = kq_type_from_name(name->text.ptr, name->text.len);
    expect(ps, "(", "'('");
    const kq_token *raw = peek(ps);
    if (raw->kind != KQ_TOK_RAW)
        fail_at(ps, raw, "a literal value");
    advance(ps);
    const kq_token *close = expect(ps, ")", "')'");
    kq_ast *n = node(ps, KQ_AST_LITERAL, name->start, close->end);
    const char *text = raw->text.ptr;
    size_t len = raw->text.len;
    trim(&text, &len);
    /* datetime("2015-12-14") is accepted too: the quotes are not part of the value. */
    if (len >= 2 && (text[0] == '"' || text[0] == '\'') && text[len - 1] == text[0]) {
        text++;
        len -= 2;
    }
    n->value = kq_null(type);
    if (type == KQ_STRING || (len == 4 && memcmp(text, "null", 4) == 0) || raw_is_null(raw)) {
        n->value = kq_null(type);
        return n;
    }
    char *copy = kq_arena_strndup(ps->arena, text, len);
    char *end = NULL;
    bool ok = true;
    switch (type) {
    case KQ_DATETIME:
        ok = kq_datetime_parse(text, len, &n->value.u.l);
        break;
    case KQ_TIMESPAN:
        ok = parse_timespan_text(text, len, &n->value.u.l);
        break;
    case KQ_BOOL:
        ok = (len == 4 && kq_ascii_ieq(text, 4, "true", 4)) || (len == 5 && kq_ascii_ieq(text, 5, "false", 5));
        n->value.u.b = len == 4;
        break;
    case KQ_INT:
    case KQ_LONG:
        n->value.u.l = strtoll(copy, &end, 0);
        ok = end && *end == '\0' && len > 0;
        if (type == KQ_INT)
            n->value.u.l = (int32_t)n->value.u.l;
        break;
    case KQ_REAL:
    case KQ_DECIMAL:
        n->value.u.r = strtod(copy, &end);
        ok = end && *end == '\0' && len > 0;
        break;
    case KQ_GUID:
        n->value.u.s.ptr = copy;
        n->value.u.s.len = (uint32_t)len;
        ok = len == 36;
        break;
    default:
        ok = false;
    }
    if (!ok) {
        kq_diags_add(ps->diags, ps->source, KQ_SEVERITY_ERROR, raw->start, raw->end,
                     "invalid %s literal '%.*s'", kq_type_name(type), (int)len, text);
        longjmp(ps->fail, 1);
    }
    n->value.null = false;
    n->value.type = type;
    return n;
}

/* One value inside dynamic(...): JSON-like arrays, bags, strings, numbers, typed literals. */
static const kq_dyn *parse_dynamic_value(parser *ps)
{
    enter(ps);
    const kq_token *token = peek(ps);
    kq_dyn *dyn = kq_arena_alloc(ps->arena, sizeof *dyn);
    if (token->kind == KQ_TOK_IDENT && token->bracketed) {
        /* ["a"] lexes as a bracketed name; inside dynamic() it is a one-element array. */
        advance(ps);
        kq_dyn *item = kq_arena_alloc(ps->arena, sizeof *item);
        item->kind = KQ_DYN_STRING;
        item->u.s = token->text;
        const kq_dyn *items[1] = {item};
        leave(ps);
        return kq_dyn_array(ps->arena, items, 1);
    }
    if (accept(ps, "[")) {
        kid_list values = {0};
        while (!at(ps, "]")) {
            kids_push(ps, &values, (kq_ast *)parse_dynamic_value(ps));
            if (!accept(ps, ","))
                break;
        }
        expect(ps, "]", "',' or ']' in a dynamic array");
        const kq_dyn *array = kq_dyn_array(ps->arena, (const kq_dyn **)values.items, (uint32_t)values.count);
        leave(ps);
        return array;
    }
    if (accept(ps, "{")) {
        kq_dyn_member *members = NULL;
        size_t count = 0, cap = 0;
        while (!at(ps, "}")) {
            if (count == cap) {
                size_t grown = cap ? cap * 2 : 8;
                kq_dyn_member *bigger = kq_arena_alloc(ps->arena, grown * sizeof(kq_dyn_member));
                if (count)
                    memcpy(bigger, members, count * sizeof(kq_dyn_member));
                members = bigger;
                cap = grown;
            }
            const kq_token *key = peek(ps);
            if (key->kind != KQ_TOK_STRING && key->kind != KQ_TOK_IDENT)
                fail_at(ps, key, "a property name");
            advance(ps);
            expect(ps, ":", "':' after a property name");
            members[count].key.ptr = kq_arena_strndup(ps->arena, key->text.ptr, key->text.len);
            members[count].key.len = key->text.len;
            members[count].value = parse_dynamic_value(ps);
            count++;
            if (!accept(ps, ","))
                break;
        }
        expect(ps, "}", "',' or '}' in a property bag");
        dyn->kind = KQ_DYN_OBJECT;
        dyn->count = (uint32_t)count;
        dyn->u.members = count ? members : kq_arena_alloc(ps->arena, sizeof(kq_dyn_member));
        leave(ps);
        return dyn;
    }
    bool negative = accept(ps, "-");
    token = peek(ps);
    switch (token->kind) {
    case KQ_TOK_STRING:
        advance(ps);
        dyn->kind = KQ_DYN_STRING;
        dyn->u.s = token->text;
        break;
    case KQ_TOK_LONG:
        advance(ps);
        dyn->kind = KQ_DYN_LONG;
        dyn->u.l = negative ? -token->num.l : token->num.l;
        break;
    case KQ_TOK_REAL:
        advance(ps);
        dyn->kind = KQ_DYN_REAL;
        dyn->u.r = negative ? -token->num.r : token->num.r;
        break;
    case KQ_TOK_TIMESPAN:
        advance(ps);
        dyn->kind = KQ_DYN_TIMESPAN;
        dyn->u.l = negative ? -token->num.l : token->num.l;
        break;
    case KQ_TOK_IDENT:
        if (kq_token_is(token, "true") || kq_token_is(token, "false")) {
            advance(ps);
            dyn->kind = KQ_DYN_BOOL;
            dyn->u.b = kq_token_is(token, "true");
        } else if (kq_token_is(token, "null")) {
            advance(ps);
            dyn->kind = KQ_DYN_NULL;
        } else if (kq_token_is(token, "dynamic") && kq_token_is(peek_at(ps, 1), "(")) {
            /* dynamic({...}) nested in a dynamic literal is the inner value itself. */
            advance(ps);
            advance(ps);
            const kq_dyn *inner = parse_dynamic_value(ps);
            expect(ps, ")", "')' after the dynamic value");
            leave(ps);
            return inner;
        } else if (peek_at(ps, 1)->kind == KQ_TOK_PUNCT && kq_token_is(peek_at(ps, 1), "(")) {
            advance(ps);
            kq_ast *typed = parse_typed_literal(ps, token);
            leave(ps);
            return kq_dyn_from_value(ps->arena, &typed->value);
        } else {
            fail_at(ps, token, "a constant inside dynamic()");
        }
        break;
    default:
        fail_at(ps, token, "a constant inside dynamic()");
    }
    leave(ps);
    return dyn;
}

/* Name:type, as in datatable's schema and parse-kv's keys. */
static kq_ast *parse_column_decl(parser *ps)
{
    const kq_token *name = expect_name(ps, "a column name");
    expect(ps, ":", "':' and a column type");
    const kq_token *type_name = expect_name(ps, "a column type");
    kq_type type = kq_type_from_name(type_name->text.ptr, type_name->text.len);
    if (type == KQ_TYPE_NONE)
        fail_at(ps, type_name, "a scalar type (string, long, int, real, bool, datetime, timespan, dynamic, guid)");
    kq_ast *decl = node(ps, KQ_AST_COLUMN_DECL, name->start, type_name->end);
    decl->text = name->text;
    decl->value.type = type;
    return decl;
}

/* datatable(Name:type, ...)[value, ...] */
static kq_ast *parse_datatable(parser *ps, const kq_token *keyword)
{
    kid_list kids = {0};
    expect(ps, "(", "'(' after datatable");
    size_t ncolumns = 0;
    do {
        kids_push(ps, &kids, parse_column_decl(ps));
        ncolumns++;
    } while (accept(ps, ","));
    expect(ps, ")", "',' or ')' in the datatable schema");
    /* ['a'] lexes as a bracketed name; after datatable(...) it is a one-value list. */
    if (peek(ps)->kind == KQ_TOK_IDENT && peek(ps)->bracketed) {
        const kq_token *only = advance(ps);
        kids_push(ps, &kids, literal(ps, only, kq_string(only->text.ptr, only->text.len)));
        kq_ast *n = node(ps, KQ_AST_DATATABLE, keyword->start, only->end);
        kids_attach(ps, n, &kids);
        n->flags = (uint32_t)ncolumns;
        return n;
    }
    expect(ps, "[", "'[' and the datatable values");
    while (!at(ps, "]")) {
        kids_push(ps, &kids, parse_expr(ps));
        if (!accept(ps, ","))
            break;
    }
    const kq_token *close = expect(ps, "]", "',' or ']' after a datatable value");
    kq_ast *n = node(ps, KQ_AST_DATATABLE, keyword->start, close->end);
    kids_attach(ps, n, &kids);
    n->flags = (uint32_t)ncolumns;
    return n;
}

static kq_ast *parse_call(parser *ps, const kq_token *name)
{
    kid_list args = {0};
    advance(ps); /* ( */
    if (!at(ps, ")")) {
        do {
            if (at(ps, "*")) {
                const kq_token *star = advance(ps);
                kids_push(ps, &args, node(ps, KQ_AST_STAR, star->start, star->end));
            } else if (is_ident(peek(ps)) && kq_token_is(peek_at(ps, 1), "=")) {
                /* name = value: a named argument of a user-defined function. */
                const kq_token *param = advance(ps);
                advance(ps);
                kq_ast *value = parse_expr(ps);
                kq_ast *named = node1(ps, KQ_AST_ASSIGN, param->start, value->end, value);
                named->text = param->text;
                named->text_start = param->start;
                named->text_end = param->end;
                kids_push(ps, &args, named);
            } else {
                kids_push(ps, &args, parse_expr(ps));
            }
        } while (accept(ps, ","));
    }
    const kq_token *close = expect(ps, ")", "',' or ')' after a function argument");
    kq_ast *n = node(ps, KQ_AST_CALL, name->start, close->end);
    n->text = name->text;
    n->text_start = name->start;
    n->text_end = name->end;
    kids_attach(ps, n, &args);
    return n;
}

/* True when token can begin an expression, so a preceding `print` is the print operator. */
static bool starts_operand(const kq_token *token)
{
    if (token->kind == KQ_TOK_EOF)
        return false;
    if (token->kind != KQ_TOK_PUNCT)
        return true;
    return kq_token_is(token, "(") || kq_token_is(token, "-") || kq_token_is(token, "+") ||
           kq_token_is(token, "[");
}

static kq_ast *parse_primary(parser *ps)
{
    const kq_token *token = peek(ps);
    switch (token->kind) {
    case KQ_TOK_STRING: {
        advance(ps);
        /* Adjacent string literals concatenate, as in Kusto. */
        kq_ast *n = literal(ps, token, kq_string(token->text.ptr, token->text.len));
        while (peek(ps)->kind == KQ_TOK_STRING) {
            const kq_token *more = advance(ps);
            size_t len = n->value.u.s.len + more->text.len;
            char *joined = kq_arena_alloc(ps->arena, len + 1);
            memcpy(joined, n->value.u.s.ptr, n->value.u.s.len);
            memcpy(joined + n->value.u.s.len, more->text.ptr, more->text.len);
            n->value = kq_string(joined, len);
            n->end = more->end;
        }
        return n;
    }
    case KQ_TOK_LONG:
        advance(ps);
        return literal(ps, token, kq_long(token->num.l));
    case KQ_TOK_REAL:
        advance(ps);
        return literal(ps, token, kq_real(token->num.r));
    case KQ_TOK_TIMESPAN:
        advance(ps);
        return literal(ps, token, kq_timespan(token->num.l));
    case KQ_TOK_IDENT: {
        advance(ps);
        if (!token->bracketed) {
            if (kq_token_is(token, "true") || kq_token_is(token, "false"))
                return literal(ps, token, kq_bool(kq_token_is(token, "true")));
            if (kq_token_is(token, "null")) {
                kq_ast *n = literal(ps, token, kq_null(KQ_TYPE_NONE));
                return n;
            }
            if (kq_token_is(token, "datatable") && at(ps, "("))
                return parse_datatable(ps, token);
            if ((kq_token_is(token, "externaldata") || kq_token_is(token, "inline_external_table")) && at(ps, "(")) {
                kq_diags_add(ps->diags, ps->source, KQ_SEVERITY_ERROR, token->start, token->end,
                             "%.*s is not supported: kqlite reads no network data; download the "
                             "file and pass it as a data argument (TABLE=PATH), then use TABLE in the query",
                             (int)token->text.len, token->text.ptr);
                longjmp(ps->fail, 1);
            }
            if (kq_token_is(token, "print") && starts_operand(peek(ps)))
                return parse_assignment_list(ps, KQ_AST_PRINT, token);
            if (kq_token_is(token, "union") && !at(ps, "|") && !at(ps, ")") && !at(ps, ";") &&
                peek(ps)->kind != KQ_TOK_EOF)
                return parse_union(ps, token, NULL);
            if (kq_token_is(token, "range") && is_ident(peek(ps)) && kq_token_is(peek_at(ps, 1), "from"))
                return parse_range(ps, token);
            if (kq_token_is(token, "dynamic") && at(ps, "(")) {
                advance(ps);
                const kq_dyn *dyn = parse_dynamic_value(ps);
                const kq_token *close = expect(ps, ")", "')' after the dynamic value");
                kq_ast *n = node(ps, KQ_AST_LITERAL, token->start, close->end);
                n->value = kq_dynamic(dyn->kind == KQ_DYN_NULL ? NULL : dyn);
                return n;
            }
            if (peek(ps)->kind == KQ_TOK_PUNCT && at(ps, "(") && peek_at(ps, 1)->kind == KQ_TOK_RAW)
                return parse_typed_literal(ps, token);
            if (at(ps, "("))
                return parse_call(ps, token);
        }
        kq_ast *n = node(ps, KQ_AST_NAME, token->start, token->end);
        n->text = token->text;
        n->text_start = token->start;
        n->text_end = token->end;
        return n;
    }
    case KQ_TOK_PUNCT:
        if (kq_token_is(token, "(")) {
            advance(ps);
            kq_ast *inner = parse_expr(ps); /* parse_expr counts the nesting level */
            const kq_token *close = expect(ps, ")", "')'");
            /* Keep the parentheses in the span so carets cover them. */
            if (inner->kind == KQ_AST_PIPE || inner->kind == KQ_AST_NAME) {
                inner->start = inner->start;
            }
            (void)close;
            return inner;
        }
        break;
    default:
        break;
    }
    fail_at(ps, token, "an expression");
}

static kq_ast *parse_postfix(parser *ps)
{
    kq_ast *n = parse_primary(ps);
    for (;;) {
        if (peek(ps)->kind == KQ_TOK_IDENT && peek(ps)->bracketed) {
            /* x["key"] lexes as a bracketed name; after an operand it is an index. */
            const kq_token *key = advance(ps);
            kq_ast *index = literal(ps, key, kq_string(key->text.ptr, key->text.len));
            n = node2(ps, KQ_AST_INDEX, n, index);
            n->end = key->end;
        } else if (at(ps, "[")) {
            advance(ps);
            kq_ast *index = parse_expr(ps);
            const kq_token *close = expect(ps, "]", "']'");
            n = node2(ps, KQ_AST_INDEX, n, index);
            n->end = close->end;
        } else if (at(ps, ".") && kq_token_is(peek_at(ps, 1), "[")) {
            advance(ps); /* x.[expr] is x[expr] */
        } else if (at(ps, ".") && (is_ident(peek_at(ps, 1)))) {
            advance(ps);
            const kq_token *member = advance(ps);
            kq_ast *m = node1(ps, KQ_AST_MEMBER, n->start, member->end, n);
            m->text = member->text;
            m->text_start = member->start;
            m->text_end = member->end;
            n = m;
        } else {
            return n;
        }
    }
}

static kq_ast *parse_unary(parser *ps)
{
    if (at(ps, "-") || at(ps, "+")) {
        const kq_token *op = advance(ps);
        enter(ps);
        kq_ast *operand = parse_unary(ps);
        leave(ps);
        /* Fold a minus into a numeric literal: -5d, -1. */
        if (operand->kind == KQ_AST_LITERAL && !operand->value.null &&
            (operand->value.type == KQ_LONG || operand->value.type == KQ_TIMESPAN ||
             operand->value.type == KQ_REAL)) {
            if (op->text.ptr[0] == '-') {
                if (operand->value.type == KQ_REAL)
                    operand->value.u.r = -operand->value.u.r;
                else
                    operand->value.u.l = -operand->value.u.l;
            }
            operand->start = op->start;
            return operand;
        }
        kq_ast *n = node1(ps, KQ_AST_UNARY, op->start, operand->end, operand);
        n->text = op->text;
        return n;
    }
    return parse_postfix(ps);
}

static kq_ast *binary(parser *ps, const kq_token *op, kq_ast *left, kq_ast *right)
{
    kq_ast *n = node2(ps, KQ_AST_BINARY, left, right);
    n->text = op->text;
    n->text_start = op->start;
    n->text_end = op->end;
    return n;
}

static kq_ast *parse_multiply(parser *ps)
{
    kq_ast *left = parse_unary(ps);
    while (at(ps, "*") || at(ps, "/") || at(ps, "%")) {
        const kq_token *op = advance(ps);
        left = binary(ps, op, left, parse_unary(ps));
    }
    return left;
}

static kq_ast *parse_additive(parser *ps)
{
    kq_ast *left = parse_multiply(ps);
    while (at(ps, "+") || at(ps, "-")) {
        const kq_token *op = advance(ps);
        left = binary(ps, op, left, parse_multiply(ps));
    }
    return left;
}

/* String and comparison operators that take one right operand. */
static const char *const compare_words[] = {
    "has", "!has", "has_cs", "!has_cs", "hasprefix", "!hasprefix", "hasprefix_cs",
    "!hasprefix_cs", "hassuffix", "!hassuffix", "hassuffix_cs", "!hassuffix_cs", "contains",
    "!contains", "contains_cs", "!contains_cs", "startswith", "!startswith", "startswith_cs",
    "!startswith_cs", "endswith", "!endswith", "endswith_cs", "!endswith_cs", "like", "!like",
};
static const char *const compare_symbols[] = {"==", "!=", "<>", "<", "<=", ">", ">=", "=~", "!~"};
static const char *const list_words[] = {"in", "!in", "in~", "!in~", "has_any", "has_all"};

static bool in_list(const kq_token *token, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (kq_token_is(token, list[i]))
            return true;
    return false;
}

static kq_ast *parse_list_operator(parser *ps, const kq_token *op, kq_ast *left)
{
    kid_list kids = {0};
    kids_push(ps, &kids, left);
    char expected[48];
    snprintf(expected, sizeof expected, "'(' after %.*s", (int)op->text.len, op->text.ptr);
    expect(ps, "(", expected);
    if (!at(ps, ")")) {
        do {
            kids_push(ps, &kids, parse_expr(ps));
        } while (accept(ps, ","));
    }
    const kq_token *close = expect(ps, ")", "',' or ')' in the value list");
    kq_ast *n = node(ps, KQ_AST_IN, left->start, close->end);
    n->text = op->text;
    n->text_start = op->start;
    n->text_end = op->end;
    kids_attach(ps, n, &kids);
    return n;
}

static kq_ast *parse_compare(parser *ps)
{
    kq_ast *left = parse_additive(ps);
    const kq_token *op = peek(ps);
    if ((op->kind == KQ_TOK_IDENT || op->kind == KQ_TOK_OPWORD) &&
        in_list(op, compare_words, KQ_ARRAY_LEN(compare_words))) {
        advance(ps);
        return binary(ps, op, left, parse_additive(ps));
    }
    if (op->kind == KQ_TOK_PUNCT && in_list(op, compare_symbols, KQ_ARRAY_LEN(compare_symbols))) {
        advance(ps);
        return binary(ps, op, left, parse_additive(ps));
    }
    if ((kq_token_is(op, "matches") || kq_token_is(op, "!matches")) &&
        kq_token_is(peek_at(ps, 1), "regex")) {
        advance(ps);
        advance(ps);
        return binary(ps, op, left, parse_additive(ps));
    }
    if (in_list(op, list_words, KQ_ARRAY_LEN(list_words))) {
        advance(ps);
        return parse_list_operator(ps, op, left);
    }
    if (kq_token_is(op, "between") || kq_token_is(op, "!between")) {
        advance(ps);
        expect(ps, "(", "'(' after between");
        kq_ast *low = parse_additive(ps);
        expect(ps, "..", "'..' between the two bounds");
        kq_ast *high = parse_additive(ps);
        const kq_token *close = expect(ps, ")", "')' after the range");
        kq_ast *n = node(ps, KQ_AST_BETWEEN, left->start, close->end);
        n->text = op->text;
        n->text_start = op->start;
        n->text_end = op->end;
        n->kids = kq_arena_alloc(ps->arena, 3 * sizeof(kq_ast *));
        n->kids[0] = left;
        n->kids[1] = low;
        n->kids[2] = high;
        n->nkids = 3;
        return n;
    }
    return left;
}

/* and/or chains become one node with every operand as a kid, so a rule with thousands of
 * `or` terms (IOC lists) does not nest thousands of levels deep. */
static kq_ast *parse_chain(parser *ps, const char *word, kq_ast *(*operand)(parser *))
{
    kq_ast *first = operand(ps);
    if (!at(ps, word))
        return first;
    kid_list kids = {0};
    kids_push(ps, &kids, first);
    const kq_token *op = peek(ps);
    while (at(ps, word)) {
        advance(ps);
        kids_push(ps, &kids, operand(ps));
    }
    kq_ast *n = node(ps, KQ_AST_BINARY, first->start, kids.items[kids.count - 1]->end);
    n->text = op->text;
    n->text_start = op->start;
    n->text_end = op->end;
    kids_attach(ps, n, &kids);
    return n;
}

static kq_ast *parse_and(parser *ps)
{
    return parse_chain(ps, "and", parse_compare);
}

static kq_ast *parse_or(parser *ps)
{
    return parse_chain(ps, "or", parse_and);
}

static kq_ast *parse_expr(parser *ps)
{
    enter(ps);
    kq_ast *n = parse_or(ps);
    if (at(ps, "|"))
        n = parse_pipeline_tail(ps, n);
    leave(ps);
    return n;
}

/* ---- tabular operators ---- */

/* name = expr, or expr */
static kq_ast *parse_assignment(parser *ps)
{
    /* (a, b) = arg_max(...): names for the columns of a multi-column result. */
    if (at(ps, "(") && is_ident(peek_at(ps, 1)) &&
        (kq_token_is(peek_at(ps, 2), ",") || (kq_token_is(peek_at(ps, 2), ")") && kq_token_is(peek_at(ps, 3), "=")))) {
        size_t save = ps->pos;
        const kq_token *open = advance(ps);
        kid_list names = {0};
        bool tuple = true;
        do {
            if (!is_ident(peek(ps))) {
                tuple = false;
                break;
            }
            const kq_token *name = advance(ps);
            kq_ast *n = node(ps, KQ_AST_NAME, name->start, name->end);
            n->text = name->text;
            kids_push(ps, &names, n);
        } while (accept(ps, ","));
        if (tuple && accept(ps, ")") && accept(ps, "=")) {
            kq_ast *value = parse_or(ps);
            kq_ast *list = node(ps, KQ_AST_LIST, open->start, value->end);
            kids_attach(ps, list, &names);
            kq_ast *n = node2(ps, KQ_AST_ASSIGN, value, list);
            n->start = open->start;
            n->text = list->kids[0]->text;
            return n;
        }
        ps->pos = save;
    }
    if (is_ident(peek(ps)) && kq_token_is(peek_at(ps, 1), "=")) {
        const kq_token *name = advance(ps);
        advance(ps);
        kq_ast *value = parse_or(ps);
        kq_ast *n = node1(ps, KQ_AST_ASSIGN, name->start, value->end, value);
        n->text = name->text;
        n->text_start = name->start;
        n->text_end = name->end;
        return n;
    }
    return parse_or(ps);
}

static kq_ast *parse_assignment_list(parser *ps, kq_ast_kind kind, const kq_token *keyword)
{
    kid_list kids = {0};
    do {
        kids_push(ps, &kids, parse_assignment(ps));
    } while (accept(ps, ","));
    kq_ast *n = node(ps, kind, keyword->start, kids.items[kids.count - 1]->end);
    kids_attach(ps, n, &kids);
    return n;
}

static kq_ast *parse_sort_key(parser *ps)
{
    kq_ast *expr = parse_or(ps);
    kq_ast *key = node1(ps, KQ_AST_SORT_KEY, expr->start, expr->end, expr);
    if (accept(ps, "asc"))
        key->flags |= KQ_SORT_ASC;
    else
        accept(ps, "desc");
    if (at(ps, "nulls")) {
        advance(ps);
        if (accept(ps, "first"))
            key->flags |= KQ_SORT_NULLS_FIRST;
        else if (accept(ps, "last"))
            key->flags |= KQ_SORT_NULLS_LAST;
        else
            fail_at(ps, peek(ps), "'first' or 'last' after nulls");
    }
    return key;
}

static kq_ast *parse_summarize(parser *ps, const kq_token *keyword)
{
    kid_list aggregates = {0}, by = {0};
    if (!at(ps, "by")) {
        do {
            kids_push(ps, &aggregates, parse_assignment(ps));
        } while (accept(ps, ","));
    }
    uint32_t end = aggregates.count ? aggregates.items[aggregates.count - 1]->end : keyword->end;
    if (accept(ps, "by")) {
        do {
            kids_push(ps, &by, parse_assignment(ps));
        } while (accept(ps, ","));
        end = by.items[by.count - 1]->end;
    }
    kq_ast *agg_list = node(ps, KQ_AST_LIST, keyword->start, end);
    kids_attach(ps, agg_list, &aggregates);
    kq_ast *by_list = node(ps, KQ_AST_LIST, keyword->start, end);
    kids_attach(ps, by_list, &by);
    return node2(ps, KQ_AST_SUMMARIZE, agg_list, by_list);
}

/* Column names for project-away/-reorder; a trailing '*' makes a wildcard (flags 1). */
static kq_ast *parse_column_pattern(parser *ps)
{
    const kq_token *name = expect_name(ps, "a column name");
    kq_ast *n = node(ps, KQ_AST_NAME, name->start, name->end);
    n->text = name->text;
    n->text_start = name->start;
    n->text_end = name->end;
    if (at(ps, "*") && !peek(ps)->space_before) {
        n->end = advance(ps)->end;
        n->flags = 1;
    }
    return n;
}

/* project-reorder's optional asc, desc, granny-asc or granny-desc after a column pattern. */
static void parse_reorder_direction(parser *ps, kq_ast *pattern)
{
    uint32_t flags = 0;
    if (at(ps, "granny") && kq_token_is(peek_at(ps, 1), "-")) {
        advance(ps);
        advance(ps);
        flags = KQ_REORDER_NATURAL;
        if (!at(ps, "asc") && !at(ps, "desc"))
            fail_at(ps, peek(ps), "asc or desc after granny-");
    }
    if (accept(ps, "asc"))
        flags |= KQ_REORDER_ASC;
    else if (accept(ps, "desc"))
        flags |= KQ_REORDER_DESC;
    pattern->flags |= flags;
    if (flags)
        pattern->end = ps->tokens[ps->pos - 1].end;
}

static kq_ast *parse_project_variant(parser *ps, const kq_token *keyword)
{
    advance(ps); /* - */
    const kq_token *variant = advance(ps);
    kq_ast_kind kind;
    if (kq_token_is(variant, "away"))
        kind = KQ_AST_PROJECT_AWAY;
    else if (kq_token_is(variant, "rename"))
        kind = KQ_AST_PROJECT_RENAME;
    else if (kq_token_is(variant, "reorder"))
        kind = KQ_AST_PROJECT_REORDER;
    else if (kq_token_is(variant, "keep"))
        kind = KQ_AST_PROJECT_KEEP;
    else if (kq_token_is(variant, "by") && at(ps, "-") && kq_token_is(peek_at(ps, 1), "names"))
        kind = KQ_AST_PROJECT_BY_NAMES;
    else
        fail_at(ps, variant, "project-away, project-keep, project-rename, project-reorder or project-by-names");
    if (kind == KQ_AST_PROJECT_BY_NAMES) {
        advance(ps);
        advance(ps);
    }
    kid_list kids = {0};
    do {
        if (kind == KQ_AST_PROJECT_BY_NAMES) {
            kids_push(ps, &kids, parse_or(ps));
        } else if (kind == KQ_AST_PROJECT_RENAME) {
            const kq_token *name = expect_name(ps, "the new column name");
            expect(ps, "=", "'=' and the column to rename");
            const kq_token *old_name = expect_name(ps, "the column to rename");
            kq_ast *value = node(ps, KQ_AST_NAME, old_name->start, old_name->end);
            value->text = old_name->text;
            kq_ast *assign = node1(ps, KQ_AST_ASSIGN, name->start, old_name->end, value);
            assign->text = name->text;
            assign->text_start = name->start;
            assign->text_end = name->end;
            kids_push(ps, &kids, assign);
        } else {
            kq_ast *pattern = parse_column_pattern(ps);
            if (kind == KQ_AST_PROJECT_REORDER)
                parse_reorder_direction(ps, pattern);
            kids_push(ps, &kids, pattern);
        }
    } while (accept(ps, ","));
    kq_ast *n = node(ps, kind, keyword->start, kids.items[kids.count - 1]->end);
    kids_attach(ps, n, &kids);
    return n;
}

/* ---- join, lookup, union, mv-expand, parse, range ---- */

static const struct {
    const char *name;
    int kind;
} join_kinds[] = {
    {"innerunique", KQ_JOIN_INNERUNIQUE}, {"inner", KQ_JOIN_INNER},
    {"leftouter", KQ_JOIN_LEFTOUTER},     {"rightouter", KQ_JOIN_RIGHTOUTER},
    {"fullouter", KQ_JOIN_FULLOUTER},     {"leftanti", KQ_JOIN_LEFTANTI},
    {"anti", KQ_JOIN_LEFTANTI},           {"leftantisemi", KQ_JOIN_LEFTANTI},
    {"rightanti", KQ_JOIN_RIGHTANTI},     {"rightantisemi", KQ_JOIN_RIGHTANTI},
    {"leftsemi", KQ_JOIN_LEFTSEMI},       {"rightsemi", KQ_JOIN_RIGHTSEMI},
};

/* Skips hint.strategy=shuffle style options, which change how Kusto distributes work, not results. */
static void skip_hints(parser *ps)
{
    while (is_ident(peek(ps)) && kq_str_eq(peek(ps)->text, "hint") && kq_token_is(peek_at(ps, 1), ".")) {
        advance(ps);
        advance(ps);
        expect_name(ps, "a hint name");
        expect(ps, "=", "'=' after the hint name");
        advance(ps);
    }
}

/* The right side of join/lookup: (tabular expression) or a name. */
static kq_ast *parse_right_side(parser *ps)
{
    if (at(ps, "(")) {
        advance(ps);
        enter(ps);
        kq_ast *inner = parse_expr(ps);
        leave(ps);
        expect(ps, ")", "')' after the right side");
        return inner;
    }
    const kq_token *name = expect_name(ps, "the right side: a table name or (tabular expression)");
    kq_ast *n = node(ps, KQ_AST_NAME, name->start, name->end);
    n->text = name->text;
    n->text_start = name->start;
    n->text_end = name->end;
    return n;
}

/* $left.A or $right.B: returns the column name and which side. */
static kq_ast *parse_side_column(parser *ps, int *side)
{
    const kq_token *token = peek(ps);
    *side = 0;
    if (kq_token_is(token, "$left") || kq_token_is(token, "$right")) {
        *side = kq_token_is(token, "$left") ? 1 : 2;
        advance(ps);
        expect(ps, ".", "'.' and a column name after $left or $right");
    }
    const kq_token *name = expect_name(ps, "a join column");
    kq_ast *n = node(ps, KQ_AST_NAME, token->start, name->end);
    n->text = name->text;
    n->text_start = name->start;
    n->text_end = name->end;
    return n;
}

static kq_ast *parse_join_key(parser *ps)
{
    int side_a, side_b;
    kq_ast *a = parse_side_column(ps, &side_a);
    if (side_a == 0)
        return node2(ps, KQ_AST_JOIN_KEY, a, a);
    expect(ps, "==", "'==' between $left and $right columns");
    kq_ast *b = parse_side_column(ps, &side_b);
    if (side_b == 0 || side_b == side_a)
        fail_at(ps, peek(ps), "one $left and one $right column");
    return side_a == 1 ? node2(ps, KQ_AST_JOIN_KEY, a, b) : node2(ps, KQ_AST_JOIN_KEY, b, a);
}

static kq_ast *parse_join(parser *ps, const kq_token *keyword, bool lookup)
{
    int kind = lookup ? KQ_JOIN_LEFTOUTER : KQ_JOIN_INNERUNIQUE;
    for (;;) {
        skip_hints(ps);
        if (!at(ps, "kind"))
            break;
        advance(ps);
        expect(ps, "=", "'=' after kind");
        const kq_token *value = expect_name(ps, "a join kind");
        size_t i;
        for (i = 0; i < KQ_ARRAY_LEN(join_kinds); i++)
            if (kq_str_eq(value->text, join_kinds[i].name))
                break;
        if (i == KQ_ARRAY_LEN(join_kinds) || (lookup && join_kinds[i].kind != KQ_JOIN_INNER &&
                                              join_kinds[i].kind != KQ_JOIN_LEFTOUTER)) {
            ps->pos--;
            fail_at(ps, value, lookup ? "kind=leftouter or kind=inner" : "a join kind (innerunique, inner, leftouter, rightouter, fullouter, leftanti, rightanti, leftsemi, rightsemi)");
        }
        kind = join_kinds[i].kind;
    }
    kid_list kids = {0};
    kids_push(ps, &kids, parse_right_side(ps));
    expect(ps, "on", "'on' and the join columns");
    do {
        kids_push(ps, &kids, parse_join_key(ps));
    } while (accept(ps, ",") || accept(ps, "and"));
    kq_ast *n = node(ps, lookup ? KQ_AST_LOOKUP : KQ_AST_JOIN, keyword->start, kids.items[kids.count - 1]->end);
    n->flags = (uint32_t)kind;
    kids_attach(ps, n, &kids);
    return n;
}

/* union [kind=inner|outer] [withsource=Name] T1, T2, ...; `input` is the piped table or NULL. */
static kq_ast *parse_union(parser *ps, const kq_token *keyword, kq_ast *input)
{
    kq_ast *n = node(ps, KQ_AST_UNION, keyword->start, keyword->end);
    for (;;) {
        skip_hints(ps);
        if (at(ps, "kind") && kq_token_is(peek_at(ps, 1), "=")) {
            advance(ps);
            advance(ps);
            const kq_token *value = expect_name(ps, "inner or outer");
            if (kq_str_eq(value->text, "inner"))
                n->flags |= 1;
            else if (!kq_str_eq(value->text, "outer"))
                fail_at(ps, value, "inner or outer");
        } else if (at(ps, "withsource") && kq_token_is(peek_at(ps, 1), "=")) {
            advance(ps);
            advance(ps);
            const kq_token *name = expect_name(ps, "a column name for the source table");
            n->text = name->text;
        } else if (at(ps, "isfuzzy") && kq_token_is(peek_at(ps, 1), "=")) {
            advance(ps);
            advance(ps);
            const kq_token *value = expect_name(ps, "true or false");
            if (kq_str_eq(value->text, "true"))
                n->flags |= 2;
            else if (!kq_str_eq(value->text, "false"))
                fail_at(ps, value, "true or false");
        } else {
            break;
        }
    }
    kid_list kids = {0};
    if (input)
        kids_push(ps, &kids, input);
    do {
        if (at(ps, "(")) {
            kids_push(ps, &kids, parse_right_side(ps));
            continue;
        }
        const kq_token *name = expect_name(ps, "a table name or (tabular expression)");
        kq_ast *table = node(ps, KQ_AST_NAME, name->start, name->end);
        table->text = name->text;
        table->text_start = name->start;
        table->text_end = name->end;
        if (at(ps, "*") && !peek(ps)->space_before) {
            table->end = advance(ps)->end;
            table->flags = 1;
        }
        kids_push(ps, &kids, table);
    } while (accept(ps, ","));
    n->end = kids.items[kids.count - 1]->end;
    kids_attach(ps, n, &kids);
    return n;
}

/* mv-expand [with_itemindex=I] [Name =] Expr [to typeof(T)], ... [limit N] */
static kq_ast *parse_mv_expand(parser *ps, const kq_token *keyword)
{
    kq_ast *n = node(ps, KQ_AST_MV_EXPAND, keyword->start, keyword->end);
    for (;;) {
        if ((at(ps, "bagexpansion") || at(ps, "kind")) && kq_token_is(peek_at(ps, 1), "=")) {
            advance(ps);
            advance(ps);
            const kq_token *mode = expect_name(ps, "bag or array");
            if (kq_str_eq(mode->text, "array"))
                n->flags = 1; /* a property bag expands into [key, value] arrays */
            else if (!kq_str_eq(mode->text, "bag"))
                fail_at(ps, mode, "bag or array");
        } else if (at(ps, "with_itemindex") && kq_token_is(peek_at(ps, 1), "=")) {
            advance(ps);
            advance(ps);
            n->text = expect_name(ps, "a column name for the item index")->text;
        } else {
            break;
        }
    }
    kid_list kids = {0};
    do {
        kq_ast *expr = parse_assignment(ps);
        kq_ast *item = node1(ps, KQ_AST_MV_ITEM, expr->start, expr->end, expr->kind == KQ_AST_ASSIGN ? expr->kids[0] : expr);
        if (expr->kind == KQ_AST_ASSIGN)
            item->text = expr->text;
        item->value.type = KQ_DYNAMIC;
        if (at(ps, "to") && kq_token_is(peek_at(ps, 1), "typeof")) {
            advance(ps);
            advance(ps);
            expect(ps, "(", "'(' after typeof");
            const kq_token *type_name = expect_name(ps, "a type name");
            item->value.type = kq_type_from_name(type_name->text.ptr, type_name->text.len);
            if (item->value.type == KQ_TYPE_NONE)
                fail_at(ps, type_name, "a scalar type");
            item->end = expect(ps, ")", "')'")->end;
        }
        kids_push(ps, &kids, item);
    } while (accept(ps, ","));
    if (accept(ps, "limit")) {
        const kq_token *limit = peek(ps);
        if (limit->kind != KQ_TOK_LONG)
            fail_at(ps, limit, "a row limit");
        advance(ps);
        n->value.u.l = limit->num.l;
    }
    n->end = kids.items[kids.count - 1]->end;
    kids_attach(ps, n, &kids);
    return n;
}

/* make-series [Name =] Aggregate [default = V], ... on Axis [from A] [to B] step S [by Keys] */
static kq_ast *parse_make_series(parser *ps, const kq_token *keyword)
{
    kid_list aggs = {0};
    while (at(ps, "kind") || at(ps, "hint")) {
        /* kind=nonempty and hints change empty-series handling and distribution; skipped. */
        advance(ps);
        if (accept(ps, "."))
            advance(ps);
        expect(ps, "=", "'='");
        advance(ps);
    }
    do {
        kq_ast *item = parse_assignment(ps);
        kq_ast *agg = node1(ps, KQ_AST_SERIES_AGG, item->start, item->end, item);
        if (at(ps, "default") && kq_token_is(peek_at(ps, 1), "=")) {
            advance(ps);
            advance(ps);
            kq_ast *value = parse_additive(ps);
            agg = node2(ps, KQ_AST_SERIES_AGG, item, value);
        }
        kids_push(ps, &aggs, agg);
    } while (accept(ps, ","));
    expect(ps, "on", "'on' and the axis column");
    kq_ast *kids[6];
    kids[1] = parse_additive(ps);
    const kq_token *here = peek(ps);
    kids[2] = accept(ps, "from") ? parse_additive(ps) : node(ps, KQ_AST_STAR, here->start, here->start);
    here = peek(ps);
    kids[3] = accept(ps, "to") ? parse_additive(ps) : node(ps, KQ_AST_STAR, here->start, here->start);
    expect(ps, "step", "'step' and the bin size");
    kids[4] = parse_additive(ps);
    kid_list by = {0};
    if (accept(ps, "by")) {
        do {
            kids_push(ps, &by, parse_assignment(ps));
        } while (accept(ps, ","));
    }
    kids[0] = node(ps, KQ_AST_LIST, keyword->start, keyword->end);
    kids_attach(ps, kids[0], &aggs);
    kids[5] = node(ps, KQ_AST_LIST, keyword->start, keyword->end);
    kids_attach(ps, kids[5], &by);
    kq_ast *n = node(ps, KQ_AST_MAKE_SERIES, keyword->start, (peek(ps) - 1)->end);
    n->kids = kq_arena_alloc(ps->arena, sizeof kids);
    memcpy(n->kids, kids, sizeof kids);
    n->nkids = 6;
    return n;
}

/* top-nested [N] of [Name =] Expr [with others = V] by [Name =] Aggregate [asc|desc], top-nested ... */
static kq_ast *parse_top_nested(parser *ps, const kq_token *keyword)
{
    kid_list levels = {0};
    for (;;) {
        const kq_token *start = peek(ps);
        kq_ast *level = node(ps, KQ_AST_TOP_LEVEL, start->start, start->end);
        level->kids = kq_arena_alloc(ps->arena, 4 * sizeof(kq_ast *));
        level->nkids = 3;
        if (at(ps, "of"))
            level->kids[0] = node(ps, KQ_AST_STAR, start->start, start->end);
        else
            level->kids[0] = parse_additive(ps);
        expect(ps, "of", "'of' and the grouping expression");
        level->kids[1] = parse_assignment(ps);
        if (accept(ps, "with")) {
            expect(ps, "others", "'others' after with");
            expect(ps, "=", "'=' and the value of the others row");
            level->kids[3] = parse_additive(ps);
            level->nkids = 4;
        }
        expect(ps, "by", "'by' and an aggregate");
        level->kids[2] = parse_assignment(ps);
        if (accept(ps, "asc"))
            level->flags |= KQ_SORT_ASC;
        else
            accept(ps, "desc");
        level->end = peek_at(ps, 0)->start;
        kids_push(ps, &levels, level);
        if (!(at(ps, ",") && kq_token_is(peek_at(ps, 1), "top") && kq_token_is(peek_at(ps, 2), "-") &&
              kq_token_is(peek_at(ps, 3), "nested")))
            break;
        advance(ps);
        advance(ps);
        advance(ps);
        advance(ps);
    }
    kq_ast *n = node(ps, KQ_AST_TOP_NESTED, keyword->start, levels.items[levels.count - 1]->end);
    kids_attach(ps, n, &levels);
    return n;
}

/* partition [hint.x=y] by Column ( operators over one partition's rows ) */
static kq_ast *parse_partition(parser *ps, const kq_token *keyword)
{
    skip_hints(ps);
    expect(ps, "by", "'by' and the partition column");
    const kq_token *name = expect_name(ps, "the partition column");
    kq_ast *column = node(ps, KQ_AST_NAME, name->start, name->end);
    column->text = name->text;
    column->text_start = name->start;
    column->text_end = name->end;
    skip_hints(ps);
    const kq_token *open = expect(ps, "(", "'(' and the subquery");
    kq_ast *subquery = node(ps, KQ_AST_APPLY_SOURCE, open->start, open->end);
    do {
        subquery = node2(ps, KQ_AST_PIPE, subquery, parse_operator(ps));
    } while (accept(ps, "|"));
    const kq_token *close = expect(ps, ")", "'|' or ')' after the subquery");
    kq_ast *n = node2(ps, KQ_AST_PARTITION, column, subquery);
    n->start = keyword->start;
    n->end = close->end;
    return n;
}

/* mv-apply items... on (operators over the record's rows) */
static kq_ast *parse_mv_apply(parser *ps, const kq_token *keyword)
{
    kq_ast *expand = parse_mv_expand(ps, keyword);
    expect(ps, "on", "'on' and the subquery in parentheses");
    const kq_token *open = expect(ps, "(", "'(' and the subquery");
    kq_ast *source = node(ps, KQ_AST_APPLY_SOURCE, open->start, open->end);
    kq_ast *subquery = source;
    do {
        kq_ast *op = parse_operator(ps);
        subquery = node2(ps, KQ_AST_PIPE, subquery, op);
    } while (accept(ps, "|"));
    const kq_token *close = expect(ps, ")", "'|' or ')' after the subquery");
    kq_ast *n = node(ps, KQ_AST_MV_APPLY, keyword->start, close->end);
    n->text = expand->text;
    n->value = expand->value;
    n->flags = expand->nkids;
    n->kids = kq_arena_alloc(ps->arena, (expand->nkids + 1) * sizeof(kq_ast *));
    memcpy(n->kids, expand->kids, expand->nkids * sizeof(kq_ast *));
    n->kids[expand->nkids] = subquery;
    n->nkids = expand->nkids + 1;
    return n;
}

/* parse [kind=simple|regex|relaxed] Expr with * "literal" Column:type ... */
static kq_ast *parse_parse(parser *ps, const kq_token *keyword)
{
    kq_ast *n = node(ps, KQ_AST_PARSE, keyword->start, keyword->end);
    if (at(ps, "kind") && kq_token_is(peek_at(ps, 1), "=")) {
        advance(ps);
        advance(ps);
        const kq_token *kind = expect_name(ps, "simple, regex or relaxed");
        if (kq_str_eq(kind->text, "regex"))
            n->flags = 1;
        else if (kq_str_eq(kind->text, "relaxed"))
            n->flags = 2;
        else if (!kq_str_eq(kind->text, "simple"))
            fail_at(ps, kind, "simple, regex or relaxed");
        if (at(ps, "flags") && kq_token_is(peek_at(ps, 1), "=")) {
            advance(ps);
            advance(ps);
            const kq_token *flags = expect_name(ps, "regex flags such as U, i, m or s");
            n->text = flags->text;
        }
    }
    kid_list kids = {0};
    kids_push(ps, &kids, parse_additive(ps));
    expect(ps, "with", "'with' and the pattern");
    for (;;) {
        const kq_token *token = peek(ps);
        kq_ast *part;
        if (token->kind == KQ_TOK_STRING) {
            advance(ps);
            part = literal(ps, token, kq_string(token->text.ptr, token->text.len));
            part->kind = KQ_AST_PARSE_PART;
        } else if (at(ps, "*")) {
            advance(ps);
            part = node(ps, KQ_AST_PARSE_PART, token->start, token->end);
            part->flags = 1;
        } else if (is_ident(token) && !kq_token_is(token, "|")) {
            advance(ps);
            part = node(ps, KQ_AST_PARSE_PART, token->start, token->end);
            part->text = token->text;
            part->value.type = KQ_STRING;
            part->flags = 2;
            if (accept(ps, ":")) {
                const kq_token *type_name = expect_name(ps, "a column type");
                part->value.type = kq_type_from_name(type_name->text.ptr, type_name->text.len);
                if (part->value.type == KQ_TYPE_NONE)
                    fail_at(ps, type_name, "a scalar type");
                part->end = type_name->end;
            }
        } else {
            break;
        }
        kids_push(ps, &kids, part);
    }
    if (kids.count < 2)
        fail_at(ps, peek(ps), "a pattern of string literals and columns");
    n->end = kids.items[kids.count - 1]->end;
    kids_attach(ps, n, &kids);
    return n;
}

/* parse-kv Expr as (Key:type, ...) [with (option = value, ...)] */
static kq_ast *parse_parse_kv(parser *ps, const kq_token *keyword)
{
    kid_list kids = {0};
    kids_push(ps, &kids, parse_additive(ps));
    expect(ps, "as", "'as' and the keys to extract, such as (Key:string, ...)");
    expect(ps, "(", "'(' and the keys to extract");
    uint32_t nkeys = 0;
    do {
        kids_push(ps, &kids, parse_column_decl(ps));
        nkeys++;
    } while (accept(ps, ","));
    uint32_t end = expect(ps, ")", "',' or ')' after a key")->end;
    if (accept(ps, "with")) {
        expect(ps, "(", "'(' and the options, such as (pair_delimiter=',', kv_delimiter=':')");
        do {
            const kq_token *name = expect_name(ps, "an option: pair_delimiter, kv_delimiter, quote, escape, greedy or regex");
            expect(ps, "=", "'=' and the option's value");
            kq_ast *value = parse_additive(ps);
            kq_ast *option = node1(ps, KQ_AST_ASSIGN, name->start, value->end, value);
            option->text = name->text;
            option->text_start = name->start;
            option->text_end = name->end;
            kids_push(ps, &kids, option);
        } while (accept(ps, ","));
        end = expect(ps, ")", "',' or ')' after an option")->end;
    }
    kq_ast *n = node(ps, KQ_AST_PARSE_KV, keyword->start, end);
    kids_attach(ps, n, &kids);
    n->flags = nkeys;
    return n;
}

/* step Name [output = all|last|none] : Condition [=> Column = Expr, ...] ; */
static kq_ast *parse_scan_step(parser *ps)
{
    const kq_token *keyword = expect(ps, "step", "'step' and a step name");
    const kq_token *name = expect_name(ps, "a step name");
    kq_ast *n = node(ps, KQ_AST_SCAN_STEP, keyword->start, name->end);
    n->text = name->text;
    n->text_start = name->start;
    n->text_end = name->end;
    if (accept(ps, "output")) {
        expect(ps, "=", "'=' after output");
        const kq_token *mode = expect_name(ps, "all, last or none");
        if (kq_str_eq(mode->text, "last"))
            n->flags = KQ_SCAN_OUTPUT_LAST;
        else if (kq_str_eq(mode->text, "none"))
            n->flags = KQ_SCAN_OUTPUT_NONE;
        else if (!kq_str_eq(mode->text, "all"))
            fail_at(ps, mode, "all, last or none");
    }
    expect(ps, ":", "':' and the step's condition");
    kid_list kids = {0};
    kids_push(ps, &kids, parse_expr(ps));
    if (accept(ps, "=>")) {
        do {
            kids_push(ps, &kids, parse_assignment(ps));
        } while (accept(ps, ","));
    }
    n->end = kids.items[kids.count - 1]->end;
    kids_attach(ps, n, &kids);
    expect(ps, ";", "';' after the step");
    return n;
}

/* scan [with_match_id = Name] [declare (Name:type [= value], ...)] with (step ...; ...) */
static kq_ast *parse_scan(parser *ps, const kq_token *keyword)
{
    kq_ast *n = node(ps, KQ_AST_SCAN, keyword->start, keyword->end);
    kid_list kids = {0};
    if (at(ps, "with_match_id")) {
        advance(ps);
        expect(ps, "=", "'=' and the match id column name");
        const kq_token *name = expect_name(ps, "the match id column name");
        n->text = name->text;
        n->text_start = name->start;
        n->text_end = name->end;
    }
    if (accept(ps, "declare")) {
        expect(ps, "(", "'(' and the declared columns");
        do {
            kq_ast *decl = parse_column_decl(ps);
            if (accept(ps, "=")) {
                kq_ast *value = parse_additive(ps);
                decl->kids = kq_arena_alloc(ps->arena, sizeof(kq_ast *));
                decl->kids[0] = value;
                decl->nkids = 1;
                decl->end = value->end;
            }
            kids_push(ps, &kids, decl);
            n->flags++;
        } while (accept(ps, ","));
        expect(ps, ")", "',' or ')' after a declared column");
    }
    expect(ps, "with", "'with' and the steps in parentheses");
    expect(ps, "(", "'(' and the steps");
    do {
        kids_push(ps, &kids, parse_scan_step(ps));
    } while (at(ps, "step"));
    n->end = expect(ps, ")", "another step or ')' after the steps")->end;
    kids_attach(ps, n, &kids);
    return n;
}

/* range Column from A to B step C */
static kq_ast *parse_range(parser *ps, const kq_token *keyword)
{
    const kq_token *name = expect_name(ps, "a column name after range");
    expect(ps, "from", "'from'");
    kq_ast *from = parse_additive(ps);
    expect(ps, "to", "'to'");
    kq_ast *to = parse_additive(ps);
    expect(ps, "step", "'step'");
    kq_ast *step = parse_additive(ps);
    kq_ast *n = node(ps, KQ_AST_RANGE, keyword->start, step->end);
    n->text = name->text;
    n->kids = kq_arena_alloc(ps->arena, 3 * sizeof(kq_ast *));
    n->kids[0] = from;
    n->kids[1] = to;
    n->kids[2] = step;
    n->nkids = 3;
    return n;
}

static kq_ast *parse_operator(parser *ps)
{
    const kq_token *keyword = peek(ps);
    if (!is_ident(keyword) || keyword->bracketed)
        fail_at(ps, keyword, "a query operator (where, extend, project, summarize, ...)");
    advance(ps);
    if (kq_token_is(keyword, "where") || kq_token_is(keyword, "filter")) {
        kq_ast *predicate = parse_or(ps);
        return node1(ps, KQ_AST_WHERE, keyword->start, predicate->end, predicate);
    }
    if (kq_token_is(keyword, "extend"))
        return parse_assignment_list(ps, KQ_AST_EXTEND, keyword);
    if (kq_token_is(keyword, "project") && at(ps, "-") && !peek(ps)->space_before &&
        is_ident(peek_at(ps, 1)) && !peek_at(ps, 1)->space_before)
        return parse_project_variant(ps, keyword);
    if (kq_token_is(keyword, "project"))
        return parse_assignment_list(ps, KQ_AST_PROJECT, keyword);
    if (kq_token_is(keyword, "summarize")) {
        kq_ast *n = parse_summarize(ps, keyword);
        n->start = keyword->start;
        return n;
    }
    if (kq_token_is(keyword, "distinct")) {
        if (at(ps, "*")) {
            const kq_token *star = advance(ps);
            return node1(ps, KQ_AST_DISTINCT, keyword->start, star->end,
                         node(ps, KQ_AST_STAR, star->start, star->end));
        }
        return parse_assignment_list(ps, KQ_AST_DISTINCT, keyword);
    }
    if (kq_token_is(keyword, "sort") || kq_token_is(keyword, "order")) {
        expect(ps, "by", "'by' after sort or order");
        kid_list keys = {0};
        do {
            kids_push(ps, &keys, parse_sort_key(ps));
        } while (accept(ps, ","));
        kq_ast *n = node(ps, KQ_AST_SORT, keyword->start, keys.items[keys.count - 1]->end);
        kids_attach(ps, n, &keys);
        return n;
    }
    if (kq_token_is(keyword, "take") || kq_token_is(keyword, "limit")) {
        kq_ast *count = parse_or(ps);
        return node1(ps, KQ_AST_TAKE, keyword->start, count->end, count);
    }
    if (kq_token_is(keyword, "scan"))
        return parse_scan(ps, keyword);
    if (kq_token_is(keyword, "make") && at(ps, "-") && kq_token_is(peek_at(ps, 1), "graph")) {
        advance(ps);
        advance(ps);
        return kq_parse_make_graph(ps, keyword);
    }
    if (kq_token_is(keyword, "graph") && at(ps, "-") && kq_token_is(peek_at(ps, 1), "match")) {
        advance(ps);
        advance(ps);
        return kq_parse_graph_match(ps, keyword, false);
    }
    if (kq_token_is(keyword, "graph") && at(ps, "-") && kq_token_is(peek_at(ps, 1), "mark") &&
        kq_token_is(peek_at(ps, 2), "-") && kq_token_is(peek_at(ps, 3), "components")) {
        for (int i = 0; i < 4; i++)
            advance(ps);
        return kq_parse_mark_components(ps, keyword);
    }
    if (kq_token_is(keyword, "graph") && at(ps, "-") && kq_token_is(peek_at(ps, 1), "to") &&
        kq_token_is(peek_at(ps, 2), "-") && kq_token_is(peek_at(ps, 3), "table")) {
        for (int i = 0; i < 4; i++)
            advance(ps);
        return kq_parse_graph_to_table(ps, keyword);
    }
    if (kq_token_is(keyword, "graph") && at(ps, "-") && kq_token_is(peek_at(ps, 1), "shortest") &&
        kq_token_is(peek_at(ps, 2), "-") && kq_token_is(peek_at(ps, 3), "paths")) {
        for (int i = 0; i < 4; i++)
            advance(ps);
        return kq_parse_graph_match(ps, keyword, true);
    }
    if (kq_token_is(keyword, "partition"))
        return parse_partition(ps, keyword);
    if (kq_token_is(keyword, "make") && at(ps, "-") && !peek(ps)->space_before &&
        kq_token_is(peek_at(ps, 1), "series")) {
        advance(ps);
        advance(ps);
        return parse_make_series(ps, keyword);
    }
    if (kq_token_is(keyword, "top") && at(ps, "-") && !peek(ps)->space_before &&
        kq_token_is(peek_at(ps, 1), "nested")) {
        advance(ps);
        advance(ps);
        return parse_top_nested(ps, keyword);
    }
    if (kq_token_is(keyword, "top")) {
        kq_ast *count = parse_additive(ps);
        expect(ps, "by", "'by' after the row count of top");
        kq_ast *key = parse_sort_key(ps);
        return node2(ps, KQ_AST_TOP, count, key);
    }
    if (kq_token_is(keyword, "count"))
        return node(ps, KQ_AST_COUNT, keyword->start, keyword->end);
    if (kq_token_is(keyword, "join"))
        return parse_join(ps, keyword, false);
    if (kq_token_is(keyword, "lookup"))
        return parse_join(ps, keyword, true);
    if (kq_token_is(keyword, "union"))
        return parse_union(ps, keyword, NULL);
    if ((kq_token_is(keyword, "mv") && at(ps, "-") && kq_token_is(peek_at(ps, 1), "expand")) ||
        kq_token_is(keyword, "mvexpand")) {
        if (kq_token_is(keyword, "mv")) {
            advance(ps);
            advance(ps);
        }
        return parse_mv_expand(ps, keyword);
    }
    if ((kq_token_is(keyword, "mv") && at(ps, "-") && kq_token_is(peek_at(ps, 1), "apply")) ||
        kq_token_is(keyword, "mvapply")) {
        if (kq_token_is(keyword, "mv")) {
            advance(ps);
            advance(ps);
        }
        return parse_mv_apply(ps, keyword);
    }
    if (kq_token_is(keyword, "parse") && at(ps, "-") && !peek(ps)->space_before &&
        kq_token_is(peek_at(ps, 1), "kv")) {
        advance(ps);
        advance(ps);
        return parse_parse_kv(ps, keyword);
    }
    if (kq_token_is(keyword, "parse") && at(ps, "-") && !peek(ps)->space_before &&
        kq_token_is(peek_at(ps, 1), "where")) {
        advance(ps);
        advance(ps);
        kq_ast *n = parse_parse(ps, keyword);
        n->flags |= KQ_PARSE_WHERE;
        return n;
    }
    if (kq_token_is(keyword, "parse"))
        return parse_parse(ps, keyword);
    if (kq_token_is(keyword, "serialize")) {
        kq_ast *n = node(ps, KQ_AST_SERIALIZE, keyword->start, keyword->end);
        if (is_ident(peek(ps)) && kq_token_is(peek_at(ps, 1), "=")) {
            kq_ast *list = parse_assignment_list(ps, KQ_AST_EXTEND, keyword);
            n->kids = kq_arena_alloc(ps->arena, sizeof(kq_ast *));
            n->kids[0] = list;
            n->nkids = 1;
            n->end = list->end;
        }
        return n;
    }
    if (kq_token_is(keyword, "render")) {
        /* render only chooses a chart in Kusto's clients; the rows are unchanged. */
        kq_ast *n = node(ps, KQ_AST_SERIALIZE, keyword->start, keyword->end);
        while (peek(ps)->kind != KQ_TOK_EOF && !at(ps, "|") && !at(ps, ";") && !at(ps, ")"))
            n->end = advance(ps)->end;
        n->flags = 1;
        return n;
    }
    if (kq_token_is(keyword, "as")) {
        skip_hints(ps);
        const kq_token *name = expect_name(ps, "the name to give the table");
        kq_ast *n = node(ps, KQ_AST_AS, keyword->start, name->end);
        n->text = name->text;
        n->text_start = name->start;
        n->text_end = name->end;
        return n;
    }
    if (kq_token_is(keyword, "invoke")) {
        const kq_token *name = expect_name(ps, "a function name after invoke");
        if (!at(ps, "("))
            fail_at(ps, peek(ps), "'(' and the function's arguments");
        kq_ast *call = parse_call(ps, name);
        return node1(ps, KQ_AST_INVOKE, keyword->start, call->end, call);
    }
    ps->pos--;
    fail_at(ps, keyword, "a query operator (where, extend, project, summarize, ...)");
}

static kq_ast *parse_pipeline_tail(parser *ps, kq_ast *input)
{
    while (accept(ps, "|")) {
        kq_ast *op = parse_operator(ps);
        input = node2(ps, KQ_AST_PIPE, input, op);
    }
    return input;
}

/* ---- statements ---- */

/* True at "(" that opens a function's parameter list: () { or (name: */
static bool at_function_definition(parser *ps)
{
    if (!at(ps, "("))
        return false;
    if (kq_token_is(peek_at(ps, 1), ")"))
        return kq_token_is(peek_at(ps, 2), "{");
    return is_ident(peek_at(ps, 1)) && kq_token_is(peek_at(ps, 2), ":");
}

static kq_ast *parse_statement(parser *ps);

/* (a:string, T:(*), n:long = 5) { statements; result } */
static kq_ast *parse_function_definition(parser *ps)
{
    const kq_token *open = advance(ps);
    kid_list kids = {0};
    uint32_t nparams = 0;
    while (!at(ps, ")")) {
        const kq_token *name = expect_name(ps, "a parameter name");
        expect(ps, ":", "':' and the parameter type");
        kq_ast *param = node(ps, KQ_AST_COLUMN_DECL, name->start, name->end);
        param->text = name->text;
        if (accept(ps, "(")) {
            /* A tabular parameter: (*) or (Col:type, ...); its columns come from the argument. */
            int depth = 1;
            while (depth > 0 && peek(ps)->kind != KQ_TOK_EOF) {
                if (at(ps, "("))
                    depth++;
                else if (at(ps, ")"))
                    depth--;
                advance(ps);
            }
            param->flags = 1;
        } else {
            const kq_token *type_name = expect_name(ps, "a parameter type");
            param->value.type = kq_type_from_name(type_name->text.ptr, type_name->text.len);
            if (param->value.type == KQ_TYPE_NONE)
                fail_at(ps, type_name, "a scalar type");
            if (accept(ps, "=")) {
                kq_ast *value = parse_additive(ps);
                param->kids = kq_arena_alloc(ps->arena, sizeof(kq_ast *));
                param->kids[0] = value;
                param->nkids = 1;
            }
        }
        kids_push(ps, &kids, param);
        nparams++;
        if (!accept(ps, ","))
            break;
    }
    expect(ps, ")", "',' or ')' after a parameter");
    expect(ps, "{", "'{' and the function body");
    while (!at(ps, "}")) {
        if (accept(ps, ";"))
            continue;
        kids_push(ps, &kids, parse_statement(ps));
        if (!at(ps, "}"))
            expect(ps, ";", "';' or '}' in the function body");
    }
    const kq_token *close = expect(ps, "}", "'}' after the function body");
    if (kids.count == nparams)
        fail_at(ps, close, "a result expression in the function body");
    kq_ast *n = node(ps, KQ_AST_FUNCTION, open->start, close->end);
    kids_attach(ps, n, &kids);
    n->flags = nparams;
    return n;
}

static kq_ast *parse_statement(parser *ps)
{
    if (at(ps, "let") && is_ident(peek_at(ps, 1)) && kq_token_is(peek_at(ps, 2), "=")) {
        size_t save = ps->pos;
        advance(ps);
        const kq_token *name = advance(ps);
        advance(ps);
        if (at(ps, "view") && kq_token_is(peek_at(ps, 1), "("))
            advance(ps); /* view() { ... } is a function whose result is also visible to union * */
        if (at_function_definition(ps)) {
            kq_ast *value = parse_function_definition(ps);
            kq_ast *n = node1(ps, KQ_AST_LET, ps->tokens[save].start, value->end, value);
            n->text = name->text;
            n->text_start = name->start;
            n->text_end = name->end;
            return n;
        }
        ps->pos = save;
    }
    if (at(ps, "let") && is_ident(peek_at(ps, 1))) {
        const kq_token *keyword = advance(ps);
        const kq_token *name = advance(ps);
        expect(ps, "=", "'=' after the let name");
        kq_ast *value = parse_expr(ps);
        kq_ast *n = node1(ps, KQ_AST_LET, keyword->start, value->end, value);
        n->text = name->text;
        n->text_start = name->start;
        n->text_end = name->end;
        return n;
    }
    if (at(ps, "set") && is_ident(peek_at(ps, 1)) &&
        (kq_token_is(peek_at(ps, 2), "=") || kq_token_is(peek_at(ps, 2), ";"))) {
        /* set option [= value]: a request property such as query_bin_auto_size. */
        const kq_token *keyword = advance(ps);
        const kq_token *name = advance(ps);
        kq_ast *n = node(ps, KQ_AST_SET, keyword->start, name->end);
        n->text = name->text;
        n->text_start = name->start;
        n->text_end = name->end;
        if (accept(ps, "=")) {
            kq_ast *value = parse_additive(ps);
            n->kids = kq_arena_alloc(ps->arena, sizeof(kq_ast *));
            n->kids[0] = value;
            n->nkids = 1;
            n->end = value->end;
        }
        return n;
    }
    kq_ast *query = parse_expr(ps);
    return node1(ps, KQ_AST_QUERY, query->start, query->end, query);
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
    while (peek(&ps)->kind != KQ_TOK_EOF) {
        if (accept(&ps, ";"))
            continue;
        kids_push(&ps, &statements, parse_statement(&ps));
        if (peek(&ps)->kind != KQ_TOK_EOF)
            expect(&ps, ";", "';' or '|' (or the end of the query)");
    }
    kq_ast *script = node(&ps, KQ_AST_SCRIPT, 0, (uint32_t)source->len);
    kids_attach(&ps, script, &statements);
    return script;
}

/* ---- helpers for the operator parsers in other files (parser_internal.h) ---- */

const kq_token *kq_ps_peek(parser *ps) { return peek(ps); }
const kq_token *kq_ps_peek_at(parser *ps, size_t ahead) { return peek_at(ps, ahead); }
const kq_token *kq_ps_advance(parser *ps) { return advance(ps); }
bool kq_ps_at(parser *ps, const char *text) { return at(ps, text); }
bool kq_ps_accept(parser *ps, const char *text) { return accept(ps, text); }
const kq_token *kq_ps_expect(parser *ps, const char *text, const char *expected) { return expect(ps, text, expected); }
const kq_token *kq_ps_expect_name(parser *ps, const char *expected) { return expect_name(ps, expected); }
_Noreturn void kq_ps_fail_at(parser *ps, const kq_token *token, const char *expected) { fail_at(ps, token, expected); }
kq_ast *kq_ps_node(parser *ps, kq_ast_kind kind, uint32_t start, uint32_t end) { return node(ps, kind, start, end); }
void kq_ps_kids_push(parser *ps, kid_list *list, kq_ast *kid) { kids_push(ps, list, kid); }
void kq_ps_kids_attach(parser *ps, kq_ast *n, kid_list *list) { kids_attach(ps, n, list); }
kq_ast *kq_ps_expr(parser *ps) { return parse_expr(ps); }
kq_ast *kq_ps_assignment(parser *ps) { return parse_assignment(ps); }
kq_ast *kq_ps_right_side(parser *ps) { return parse_right_side(ps); }
