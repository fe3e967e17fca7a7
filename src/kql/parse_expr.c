/*
 * KQL expressions: literals (typed, dynamic, datatable), calls and the operator
 * precedence levels from primary up to or, then assignments (name = expr).
 */
#include "kql/parser_internal.h"
#include "base/util.h"
#include "kql/limits.h"
#include "types/dynamic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- literals ---- */

kq_ast *kq_ps_literal(parser *ps, const kq_token *token, kq_value value)
{
    kq_ast *n = kq_ps_node(ps, KQ_AST_LITERAL, token->start, token->end);
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
    kq_ps_expect(ps, "(", "'('");
    const kq_token *raw = kq_ps_peek(ps);
    if (raw->kind != KQ_TOK_RAW)
        kq_ps_fail_at(ps, raw, "a literal value");
    kq_ps_advance(ps);
    const kq_token *close = kq_ps_expect(ps, ")", "')'");
    kq_ast *n = kq_ps_node(ps, KQ_AST_LITERAL, name->start, close->end);
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
    kq_ps_enter(ps);
    const kq_token *token = kq_ps_peek(ps);
    kq_dyn *dyn = kq_arena_alloc(ps->arena, sizeof *dyn);
    if (token->kind == KQ_TOK_IDENT && token->bracketed) {
        /* ["a"] lexes as a bracketed name; inside dynamic() it is a one-element array. */
        kq_ps_advance(ps);
        kq_dyn *item = kq_arena_alloc(ps->arena, sizeof *item);
        item->kind = KQ_DYN_STRING;
        item->u.s = token->text;
        const kq_dyn *items[1] = {item};
        kq_ps_leave(ps);
        return kq_dyn_array(ps->arena, items, 1);
    }
    if (kq_ps_accept(ps, "[")) {
        kid_list values = {0};
        while (!kq_ps_at(ps, "]")) {
            kq_ps_kids_push(ps, &values, (kq_ast *)parse_dynamic_value(ps));
            if (!kq_ps_accept(ps, ","))
                break;
        }
        kq_ps_expect(ps, "]", "',' or ']' in a dynamic array");
        const kq_dyn *array = kq_dyn_array(ps->arena, (const kq_dyn **)values.items, (uint32_t)values.count);
        kq_ps_leave(ps);
        return array;
    }
    if (kq_ps_accept(ps, "{")) {
        kq_dyn_member *members = NULL;
        size_t count = 0, cap = 0;
        while (!kq_ps_at(ps, "}")) {
            if (count == cap) {
                size_t grown = cap ? cap * 2 : 8;
                kq_dyn_member *bigger = kq_arena_alloc(ps->arena, grown * sizeof(kq_dyn_member));
                if (count)
                    memcpy(bigger, members, count * sizeof(kq_dyn_member));
                members = bigger;
                cap = grown;
            }
            const kq_token *key = kq_ps_peek(ps);
            if (key->kind != KQ_TOK_STRING && key->kind != KQ_TOK_IDENT)
                kq_ps_fail_at(ps, key, "a property name");
            kq_ps_advance(ps);
            kq_ps_expect(ps, ":", "':' after a property name");
            members[count].key.ptr = kq_arena_strndup(ps->arena, key->text.ptr, key->text.len);
            members[count].key.len = key->text.len;
            members[count].value = parse_dynamic_value(ps);
            count++;
            if (!kq_ps_accept(ps, ","))
                break;
        }
        kq_ps_expect(ps, "}", "',' or '}' in a property bag");
        dyn->kind = KQ_DYN_OBJECT;
        dyn->count = (uint32_t)count;
        dyn->u.members = count ? members : kq_arena_alloc(ps->arena, sizeof(kq_dyn_member));
        kq_ps_leave(ps);
        return dyn;
    }
    bool negative = kq_ps_accept(ps, "-");
    token = kq_ps_peek(ps);
    switch (token->kind) {
    case KQ_TOK_STRING:
        kq_ps_advance(ps);
        dyn->kind = KQ_DYN_STRING;
        dyn->u.s = token->text;
        break;
    case KQ_TOK_LONG:
        kq_ps_advance(ps);
        dyn->kind = KQ_DYN_LONG;
        dyn->u.l = negative ? -token->num.l : token->num.l;
        break;
    case KQ_TOK_REAL:
        kq_ps_advance(ps);
        dyn->kind = KQ_DYN_REAL;
        dyn->u.r = negative ? -token->num.r : token->num.r;
        break;
    case KQ_TOK_TIMESPAN:
        kq_ps_advance(ps);
        dyn->kind = KQ_DYN_TIMESPAN;
        dyn->u.l = negative ? -token->num.l : token->num.l;
        break;
    case KQ_TOK_IDENT:
        if (kq_token_is(token, "true") || kq_token_is(token, "false")) {
            kq_ps_advance(ps);
            dyn->kind = KQ_DYN_BOOL;
            dyn->u.b = kq_token_is(token, "true");
        } else if (kq_token_is(token, "null")) {
            kq_ps_advance(ps);
            dyn->kind = KQ_DYN_NULL;
        } else if (kq_token_is(token, "dynamic") && kq_token_is(kq_ps_peek_at(ps, 1), "(")) {
            /* dynamic({...}) nested in a dynamic literal is the inner value itself. */
            kq_ps_advance(ps);
            kq_ps_advance(ps);
            const kq_dyn *inner = parse_dynamic_value(ps);
            kq_ps_expect(ps, ")", "')' after the dynamic value");
            kq_ps_leave(ps);
            return inner;
        } else if (kq_ps_peek_at(ps, 1)->kind == KQ_TOK_PUNCT && kq_token_is(kq_ps_peek_at(ps, 1), "(")) {
            kq_ps_advance(ps);
            kq_ast *typed = parse_typed_literal(ps, token);
            kq_ps_leave(ps);
            return kq_dyn_from_value(ps->arena, &typed->value);
        } else {
            kq_ps_fail_at(ps, token, "a constant inside dynamic()");
        }
        break;
    default:
        kq_ps_fail_at(ps, token, "a constant inside dynamic()");
    }
    kq_ps_leave(ps);
    return dyn;
}

/* Name:type, as in datatable's schema and parse-kv's keys. */
kq_ast *kq_ps_column_decl(parser *ps)
{
    const kq_token *name = kq_ps_expect_name(ps, "a column name");
    kq_ps_expect(ps, ":", "':' and a column type");
    const kq_token *type_name = kq_ps_expect_name(ps, "a column type");
    kq_type type = kq_type_from_name(type_name->text.ptr, type_name->text.len);
    if (type == KQ_TYPE_NONE)
        kq_ps_fail_at(ps, type_name, "a scalar type (string, long, int, real, bool, datetime, timespan, dynamic, guid)");
    kq_ast *decl = kq_ps_node(ps, KQ_AST_COLUMN_DECL, name->start, type_name->end);
    decl->text = name->text;
    decl->value.type = type;
    return decl;
}

/* datatable(Name:type, ...)[value, ...] */
static kq_ast *parse_datatable(parser *ps, const kq_token *keyword)
{
    kid_list kids = {0};
    kq_ps_expect(ps, "(", "'(' after datatable");
    size_t ncolumns = 0;
    do {
        kq_ps_kids_push(ps, &kids, kq_ps_column_decl(ps));
        ncolumns++;
    } while (kq_ps_accept(ps, ","));
    kq_ps_expect(ps, ")", "',' or ')' in the datatable schema");
    /* ['a'] lexes as a bracketed name; after datatable(...) it is a one-value list. */
    if (kq_ps_peek(ps)->kind == KQ_TOK_IDENT && kq_ps_peek(ps)->bracketed) {
        const kq_token *only = kq_ps_advance(ps);
        kq_ps_kids_push(ps, &kids, kq_ps_literal(ps, only, kq_string(only->text.ptr, only->text.len)));
        kq_ast *n = kq_ps_node(ps, KQ_AST_DATATABLE, keyword->start, only->end);
        kq_ps_kids_attach(ps, n, &kids);
        n->flags = (uint32_t)ncolumns;
        return n;
    }
    kq_ps_expect(ps, "[", "'[' and the datatable values");
    while (!kq_ps_at(ps, "]")) {
        kq_ps_kids_push(ps, &kids, kq_ps_expr(ps));
        if (!kq_ps_accept(ps, ","))
            break;
    }
    const kq_token *close = kq_ps_expect(ps, "]", "',' or ']' after a datatable value");
    kq_ast *n = kq_ps_node(ps, KQ_AST_DATATABLE, keyword->start, close->end);
    kq_ps_kids_attach(ps, n, &kids);
    n->flags = (uint32_t)ncolumns;
    return n;
}

kq_ast *kq_ps_call(parser *ps, const kq_token *name)
{
    kid_list args = {0};
    kq_ps_advance(ps); /* ( */
    if (!kq_ps_at(ps, ")")) {
        do {
            if (kq_ps_at(ps, "*")) {
                const kq_token *star = kq_ps_advance(ps);
                kq_ps_kids_push(ps, &args, kq_ps_node(ps, KQ_AST_STAR, star->start, star->end));
            } else if (kq_ps_is_ident(kq_ps_peek(ps)) && kq_token_is(kq_ps_peek_at(ps, 1), "=")) {
                /* name = value: a named argument of a user-defined function. */
                const kq_token *param = kq_ps_advance(ps);
                kq_ps_advance(ps);
                kq_ast *value = kq_ps_expr(ps);
                kq_ast *named = kq_ps_node1(ps, KQ_AST_ASSIGN, param->start, value->end, value);
                named->text = param->text;
                named->text_start = param->start;
                named->text_end = param->end;
                kq_ps_kids_push(ps, &args, named);
            } else {
                kq_ps_kids_push(ps, &args, kq_ps_expr(ps));
            }
        } while (kq_ps_accept(ps, ","));
    }
    const kq_token *close = kq_ps_expect(ps, ")", "',' or ')' after a function argument");
    kq_ast *n = kq_ps_node(ps, KQ_AST_CALL, name->start, close->end);
    n->text = name->text;
    n->text_start = name->start;
    n->text_end = name->end;
    kq_ps_kids_attach(ps, n, &args);
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

static bool starts_search(parser *ps);

static kq_ast *parse_primary(parser *ps)
{
    const kq_token *token = kq_ps_peek(ps);
    switch (token->kind) {
    case KQ_TOK_STRING: {
        kq_ps_advance(ps);
        /* Adjacent string literals concatenate, as in Kusto. */
        kq_ast *n = kq_ps_literal(ps, token, kq_string(token->text.ptr, token->text.len));
        while (kq_ps_peek(ps)->kind == KQ_TOK_STRING) {
            const kq_token *more = kq_ps_advance(ps);
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
        kq_ps_advance(ps);
        return kq_ps_literal(ps, token, kq_long(token->num.l));
    case KQ_TOK_REAL:
        kq_ps_advance(ps);
        return kq_ps_literal(ps, token, kq_real(token->num.r));
    case KQ_TOK_TIMESPAN:
        kq_ps_advance(ps);
        return kq_ps_literal(ps, token, kq_timespan(token->num.l));
    case KQ_TOK_IDENT: {
        kq_ps_advance(ps);
        if (!token->bracketed) {
            if (kq_token_is(token, "true") || kq_token_is(token, "false"))
                return kq_ps_literal(ps, token, kq_bool(kq_token_is(token, "true")));
            if (kq_token_is(token, "null")) {
                kq_ast *n = kq_ps_literal(ps, token, kq_null(KQ_TYPE_NONE));
                return n;
            }
            if (kq_token_is(token, "datatable") && kq_ps_at(ps, "("))
                return parse_datatable(ps, token);
            if (kq_token_is(token, "externaldata") && kq_ps_at(ps, "("))
                return kq_parse_externaldata(ps, token);
            if (kq_token_is(token, "inline_external_table") &&
                (kq_ps_at(ps, "(") || kq_ps_at(ps, "kind")))
                return kq_parse_inline_external_table(ps, token);
            if (kq_token_is(token, "search") && starts_search(ps))
                return kq_parse_search(ps, token, true);
            if (kq_token_is(token, "print") && starts_operand(kq_ps_peek(ps)))
                return kq_ps_assignment_list(ps, KQ_AST_PRINT, token);
            if (kq_token_is(token, "union") && !kq_ps_at(ps, "|") && !kq_ps_at(ps, ")") && !kq_ps_at(ps, ";") &&
                kq_ps_peek(ps)->kind != KQ_TOK_EOF)
                return kq_ps_union(ps, token, NULL);
            if (kq_token_is(token, "range") && kq_ps_is_ident(kq_ps_peek(ps)) && kq_token_is(kq_ps_peek_at(ps, 1), "from"))
                return kq_ps_range(ps, token);
            if (kq_token_is(token, "dynamic") && kq_ps_at(ps, "(")) {
                kq_ps_advance(ps);
                const kq_dyn *dyn = parse_dynamic_value(ps);
                const kq_token *close = kq_ps_expect(ps, ")", "')' after the dynamic value");
                kq_ast *n = kq_ps_node(ps, KQ_AST_LITERAL, token->start, close->end);
                n->value = kq_dynamic(dyn->kind == KQ_DYN_NULL ? NULL : dyn);
                return n;
            }
            if (kq_ps_peek(ps)->kind == KQ_TOK_PUNCT && kq_ps_at(ps, "(") && kq_ps_peek_at(ps, 1)->kind == KQ_TOK_RAW)
                return parse_typed_literal(ps, token);
            if (kq_ps_at(ps, "("))
                return kq_ps_call(ps, token);
        }
        kq_ast *n = kq_ps_node(ps, KQ_AST_NAME, token->start, token->end);
        n->text = token->text;
        n->text_start = token->start;
        n->text_end = token->end;
        return n;
    }
    case KQ_TOK_PUNCT:
        if (kq_token_is(token, "(")) {
            kq_ps_advance(ps);
            kq_ast *inner = kq_ps_expr(ps); /* parse_expr counts the nesting level */
            const kq_token *close = kq_ps_expect(ps, ")", "')'");
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
    kq_ps_fail_at(ps, token, "an expression");
}

static kq_ast *parse_postfix(parser *ps)
{
    kq_ast *n = parse_primary(ps);
    for (;;) {
        if (kq_ps_peek(ps)->kind == KQ_TOK_IDENT && kq_ps_peek(ps)->bracketed) {
            /* x["key"] lexes as a bracketed name; after an operand it is an index. */
            const kq_token *key = kq_ps_advance(ps);
            kq_ast *index = kq_ps_literal(ps, key, kq_string(key->text.ptr, key->text.len));
            n = kq_ps_node2(ps, KQ_AST_INDEX, n, index);
            n->end = key->end;
        } else if (kq_ps_at(ps, "[")) {
            kq_ps_advance(ps);
            kq_ast *index = kq_ps_expr(ps);
            const kq_token *close = kq_ps_expect(ps, "]", "']'");
            n = kq_ps_node2(ps, KQ_AST_INDEX, n, index);
            n->end = close->end;
        } else if (kq_ps_at(ps, ".") && kq_token_is(kq_ps_peek_at(ps, 1), "[")) {
            kq_ps_advance(ps); /* x.[expr] is x[expr] */
        } else if (kq_ps_at(ps, ".") && (kq_ps_is_ident(kq_ps_peek_at(ps, 1)))) {
            kq_ps_advance(ps);
            const kq_token *member = kq_ps_advance(ps);
            kq_ast *m = kq_ps_node1(ps, KQ_AST_MEMBER, n->start, member->end, n);
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
    if (kq_ps_at(ps, "-") || kq_ps_at(ps, "+")) {
        const kq_token *op = kq_ps_advance(ps);
        kq_ps_enter(ps);
        kq_ast *operand = parse_unary(ps);
        kq_ps_leave(ps);
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
        kq_ast *n = kq_ps_node1(ps, KQ_AST_UNARY, op->start, operand->end, operand);
        n->text = op->text;
        return n;
    }
    return parse_postfix(ps);
}

static kq_ast *binary(parser *ps, const kq_token *op, kq_ast *left, kq_ast *right)
{
    kq_ast *n = kq_ps_node2(ps, KQ_AST_BINARY, left, right);
    n->text = op->text;
    n->text_start = op->start;
    n->text_end = op->end;
    return n;
}

static kq_ast *parse_multiply(parser *ps)
{
    kq_ast *left = parse_unary(ps);
    while (kq_ps_at(ps, "*") || kq_ps_at(ps, "/") || kq_ps_at(ps, "%")) {
        const kq_token *op = kq_ps_advance(ps);
        left = binary(ps, op, left, parse_unary(ps));
    }
    return left;
}

kq_ast *kq_ps_additive(parser *ps)
{
    kq_ast *left = parse_multiply(ps);
    while (kq_ps_at(ps, "+") || kq_ps_at(ps, "-")) {
        const kq_token *op = kq_ps_advance(ps);
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
    kq_ps_kids_push(ps, &kids, left);
    char expected[48];
    snprintf(expected, sizeof expected, "'(' after %.*s", (int)op->text.len, op->text.ptr);
    kq_ps_expect(ps, "(", expected);
    if (!kq_ps_at(ps, ")")) {
        do {
            kq_ps_kids_push(ps, &kids, kq_ps_expr(ps));
        } while (kq_ps_accept(ps, ","));
    }
    const kq_token *close = kq_ps_expect(ps, ")", "',' or ')' in the value list");
    kq_ast *n = kq_ps_node(ps, KQ_AST_IN, left->start, close->end);
    n->text = op->text;
    n->text_start = op->start;
    n->text_end = op->end;
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}

/* True after the word search when it opens the search operator rather than naming a column:
 * followed by a term, *, kind=, in (...) or a column predicate. */
static bool starts_search(parser *ps)
{
    const kq_token *next = kq_ps_peek(ps);
    if (next->kind == KQ_TOK_STRING || kq_ps_at(ps, "*") || kq_ps_at(ps, "("))
        return true;
    if ((kq_ps_at(ps, "kind") && kq_token_is(kq_ps_peek_at(ps, 1), "=")) ||
        (kq_ps_at(ps, "in") && kq_token_is(kq_ps_peek_at(ps, 1), "(")))
        return true;
    if (!kq_ps_is_ident(next) || next->bracketed || kq_token_is(next, "and") || kq_token_is(next, "or"))
        return false;
    return !in_list(next, compare_words, KQ_ARRAY_LEN(compare_words));
}

kq_ast *kq_ps_compare(parser *ps)
{
    kq_ast *left = kq_ps_additive(ps);
    const kq_token *op = kq_ps_peek(ps);
    if ((op->kind == KQ_TOK_IDENT || op->kind == KQ_TOK_OPWORD) &&
        in_list(op, compare_words, KQ_ARRAY_LEN(compare_words))) {
        kq_ps_advance(ps);
        return binary(ps, op, left, kq_ps_additive(ps));
    }
    if (op->kind == KQ_TOK_PUNCT && in_list(op, compare_symbols, KQ_ARRAY_LEN(compare_symbols))) {
        kq_ps_advance(ps);
        return binary(ps, op, left, kq_ps_additive(ps));
    }
    if ((kq_token_is(op, "matches") || kq_token_is(op, "!matches")) &&
        kq_token_is(kq_ps_peek_at(ps, 1), "regex")) {
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        return binary(ps, op, left, kq_ps_additive(ps));
    }
    if (in_list(op, list_words, KQ_ARRAY_LEN(list_words))) {
        kq_ps_advance(ps);
        return parse_list_operator(ps, op, left);
    }
    if (kq_token_is(op, "between") || kq_token_is(op, "!between")) {
        kq_ps_advance(ps);
        kq_ps_expect(ps, "(", "'(' after between");
        kq_ast *low = kq_ps_additive(ps);
        kq_ps_expect(ps, "..", "'..' between the two bounds");
        kq_ast *high = kq_ps_additive(ps);
        const kq_token *close = kq_ps_expect(ps, ")", "')' after the range");
        kq_ast *n = kq_ps_node(ps, KQ_AST_BETWEEN, left->start, close->end);
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
kq_ast *kq_ps_chain(parser *ps, const char *word, kq_ast *(*operand)(parser *))
{
    kq_ast *first = operand(ps);
    if (!kq_ps_at(ps, word))
        return first;
    kid_list kids = {0};
    kq_ps_kids_push(ps, &kids, first);
    const kq_token *op = kq_ps_peek(ps);
    while (kq_ps_at(ps, word)) {
        kq_ps_advance(ps);
        kq_ps_kids_push(ps, &kids, operand(ps));
    }
    kq_ast *n = kq_ps_node(ps, KQ_AST_BINARY, first->start, kids.items[kids.count - 1]->end);
    n->text = op->text;
    n->text_start = op->start;
    n->text_end = op->end;
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}

static kq_ast *parse_and(parser *ps)
{
    return kq_ps_chain(ps, "and", kq_ps_compare);
}

kq_ast *kq_ps_or(parser *ps)
{
    return kq_ps_chain(ps, "or", parse_and);
}

kq_ast *kq_ps_expr(parser *ps)
{
    kq_ps_enter(ps);
    kq_ast *n = kq_ps_or(ps);
    if (kq_ps_at(ps, "|"))
        n = kq_ps_pipeline_tail(ps, n);
    kq_ps_leave(ps);
    return n;
}

/* name = expr, or expr */
kq_ast *kq_ps_assignment(parser *ps)
{
    /* (a, b) = arg_max(...): names for the columns of a multi-column result. */
    if (kq_ps_at(ps, "(") && kq_ps_is_ident(kq_ps_peek_at(ps, 1)) &&
        (kq_token_is(kq_ps_peek_at(ps, 2), ",") || (kq_token_is(kq_ps_peek_at(ps, 2), ")") && kq_token_is(kq_ps_peek_at(ps, 3), "=")))) {
        size_t save = ps->pos;
        const kq_token *open = kq_ps_advance(ps);
        kid_list names = {0};
        bool tuple = true;
        do {
            if (!kq_ps_is_ident(kq_ps_peek(ps))) {
                tuple = false;
                break;
            }
            const kq_token *name = kq_ps_advance(ps);
            kq_ast *n = kq_ps_node(ps, KQ_AST_NAME, name->start, name->end);
            n->text = name->text;
            kq_ps_kids_push(ps, &names, n);
        } while (kq_ps_accept(ps, ","));
        if (tuple && kq_ps_accept(ps, ")") && kq_ps_accept(ps, "=")) {
            kq_ast *value = kq_ps_or(ps);
            kq_ast *list = kq_ps_node(ps, KQ_AST_LIST, open->start, value->end);
            kq_ps_kids_attach(ps, list, &names);
            kq_ast *n = kq_ps_node2(ps, KQ_AST_ASSIGN, value, list);
            n->start = open->start;
            n->text = list->kids[0]->text;
            return n;
        }
        ps->pos = save;
    }
    if (kq_ps_is_ident(kq_ps_peek(ps)) && kq_token_is(kq_ps_peek_at(ps, 1), "=")) {
        const kq_token *name = kq_ps_advance(ps);
        kq_ps_advance(ps);
        kq_ast *value = kq_ps_or(ps);
        kq_ast *n = kq_ps_node1(ps, KQ_AST_ASSIGN, name->start, value->end, value);
        n->text = name->text;
        n->text_start = name->start;
        n->text_end = name->end;
        return n;
    }
    return kq_ps_or(ps);
}

kq_ast *kq_ps_assignment_list(parser *ps, kq_ast_kind kind, const kq_token *keyword)
{
    kid_list kids = {0};
    do {
        kq_ps_kids_push(ps, &kids, kq_ps_assignment(ps));
    } while (kq_ps_accept(ps, ","));
    kq_ast *n = kq_ps_node(ps, kind, keyword->start, kids.items[kids.count - 1]->end);
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}

