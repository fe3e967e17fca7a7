/*
 * Operators: comparison, string matching (the has, contains, startswith and
 * endswith families), between, arithmetic and indexing. Each is registered
 * under its operator text.
 */
#include "functions/registry.h"
#include "functions/terms.h"
#include "base/util.h"

#include <math.h>
#include "functions/regex.h"
#include <stdio.h>
#include <string.h>

/* ---- type categories ---- */

typedef enum category { CAT_NUMBER, CAT_STRING, CAT_DATETIME, CAT_TIMESPAN, CAT_BOOL, CAT_DYNAMIC, CAT_NULL } category;

static category category_of(kq_type type)
{
    switch (type) {
    case KQ_INT:
    case KQ_LONG:
    case KQ_REAL:
    case KQ_DECIMAL:
        return CAT_NUMBER;
    case KQ_STRING:
    case KQ_GUID:
        return CAT_STRING;
    case KQ_DATETIME:
        return CAT_DATETIME;
    case KQ_TIMESPAN:
        return CAT_TIMESPAN;
    case KQ_BOOL:
        return CAT_BOOL;
    case KQ_DYNAMIC:
        return CAT_DYNAMIC;
    default:
        return CAT_NULL;
    }
}

/* The language service also accepts bool == number (true is 1) and number == string (the
 * string is read as a number), which hunting queries use: IsLocalAdmin == 1, RemotePort == "3389". */
static bool comparable(kq_type a, kq_type b)
{
    category x = category_of(a), y = category_of(b);
    if ((x == CAT_BOOL && y == CAT_NUMBER) || (x == CAT_NUMBER && y == CAT_BOOL))
        return true;
    if ((x == CAT_NUMBER && y == CAT_STRING) || (x == CAT_STRING && y == CAT_NUMBER))
        return true;
    return x == y || x == CAT_DYNAMIC || y == CAT_DYNAMIC || x == CAT_NULL || y == CAT_NULL;
}

static void bind_compare(const kq_type *args, int argc, kq_bind_result *result);

/* <, <=, >, >=: like ==, but a string and a number do not order (the language service
 * rejects FileName < 1 while it accepts FileName == 1). */
static void bind_order(const kq_type *args, int argc, kq_bind_result *result)
{
    category x = category_of(args[0]), y = category_of(args[1]);
    if ((x == CAT_STRING && (y == CAT_NUMBER || y == CAT_BOOL)) || (y == CAT_STRING && (x == CAT_NUMBER || x == CAT_BOOL))) {
        snprintf(result->error, sizeof result->error,
                 "cannot order values of types %s and %s; convert one side explicitly (tolong, tostring)",
                 kq_type_name(args[0]), kq_type_name(args[1]));
        result->error_arg = 1;
        return;
    }
    bind_compare(args, argc, result);
}

static void bind_compare(const kq_type *args, int argc, kq_bind_result *result)
{
    if (!comparable(args[0], args[1])) {
        snprintf(result->error, sizeof result->error,
                 "cannot compare values of types %s and %s; convert one side explicitly",
                 kq_type_name(args[0]), kq_type_name(args[1]));
        result->error_arg = 1;
        return;
    }
    result->type = KQ_BOOL;
}

static void bind_string_operator(const kq_type *args, int argc, kq_bind_result *result)
{
    for (int i = 0; i < argc; i++) {
        category c = category_of(args[i]);
        if (c != CAT_STRING && c != CAT_DYNAMIC && c != CAT_NULL) {
            snprintf(result->error, sizeof result->error,
                     "this string operator needs string operands, not %s; use tostring()",
                     kq_type_name(args[i]));
            result->error_arg = i;
            return;
        }
    }
    result->type = KQ_BOOL;
}

/* Brings a dynamic, bool or string operand to the other side's type before comparing. */
static kq_value align(const kq_value *v, kq_type other, kq_arena *arena)
{
    if (v->type == KQ_DYNAMIC && other != KQ_DYNAMIC && !v->null)
        return kq_dyn_to_value(v->u.d, other, arena);
    if (v->type == KQ_BOOL && kq_type_is_numeric(other) && !v->null)
        return kq_long(v->u.b ? 1 : 0);
    if (v->type == KQ_STRING && kq_type_is_numeric(other)) {
        const kq_function *convert = kq_function_find(other == KQ_REAL || other == KQ_DECIMAL ? "todouble" : "tolong",
                                                      other == KQ_REAL || other == KQ_DECIMAL ? 8 : 6);
        kq_eval_ctx ctx = {.arena = arena};
        return convert->eval(&ctx, v, 1);
    }
    return *v;
}

static kq_value as_text(kq_eval_ctx *ctx, const kq_value *v)
{
    kq_value s = kq_string("", 0);
    s.u.s = kq_value_to_str(ctx->arena, v);
    return s;
}

/* ---- comparisons ---- */

static kq_value eval_equal(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_value a = align(&args[0], args[1].type, ctx->arena);
    kq_value b = align(&args[1], args[0].type, ctx->arena);
    /* null == null is null; null == value is false (Kusto's null rules). */
    if (a.null && b.null)
        return kq_null(KQ_BOOL);
    if (a.null || b.null)
        return kq_bool(false);
    return kq_bool(kq_value_equal(&a, &b));
}

static kq_value eval_not_equal(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_value r = eval_equal(ctx, args, argc);
    if (!r.null)
        r.u.b = !r.u.b;
    return r;
}

static kq_value compare_order(kq_eval_ctx *ctx, const kq_value *args, int *out)
{
    kq_value a = align(&args[0], args[1].type, ctx->arena);
    kq_value b = align(&args[1], args[0].type, ctx->arena);
    if (a.null || b.null || (a.type == KQ_DYNAMIC) != (b.type == KQ_DYNAMIC))
        return kq_null(KQ_BOOL);
    if (category_of(a.type) != category_of(b.type))
        return kq_null(KQ_BOOL);
    *out = kq_value_compare(&a, &b);
    if ((a.type == KQ_REAL && isnan(a.u.r)) || (b.type == KQ_REAL && isnan(b.u.r)))
        return kq_bool(false);
    return kq_bool(true);
}

#define ORDER_OPERATOR(fname, test)                                               \
    static kq_value fname(kq_eval_ctx *ctx, const kq_value *args, int argc)       \
    {                                                                             \
        int c = 0;                                                                \
        kq_value ok = compare_order(ctx, args, &c);                               \
        if (ok.null || !ok.u.b)                                                   \
            return ok;                                                            \
        return kq_bool(test);                                                     \
    }
ORDER_OPERATOR(eval_less, c < 0)
ORDER_OPERATOR(eval_less_equal, c <= 0)
ORDER_OPERATOR(eval_greater, c > 0)
ORDER_OPERATOR(eval_greater_equal, c >= 0)

static kq_value eval_equal_ci(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_value a = as_text(ctx, &args[0]), b = as_text(ctx, &args[1]);
    return kq_bool(kq_ascii_ieq(a.u.s.ptr, a.u.s.len, b.u.s.ptr, b.u.s.len));
}

static kq_value eval_not_equal_ci(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_value r = eval_equal_ci(ctx, args, argc);
    r.u.b = !r.u.b;
    return r;
}

/* ---- string matching ---- */

typedef enum match_kind { MATCH_HAS, MATCH_PREFIX, MATCH_SUFFIX, MATCH_CONTAINS, MATCH_STARTS, MATCH_ENDS } match_kind;

static bool string_match(kq_eval_ctx *ctx, const kq_value *args, match_kind kind, bool case_sensitive)
{
    kq_value h = as_text(ctx, &args[0]), n = as_text(ctx, &args[1]);
    const char *hp = h.u.s.ptr, *np = n.u.s.ptr;
    size_t hl = h.u.s.len, nl = n.u.s.len;
    switch (kind) {
    case MATCH_HAS: return kq_has(hp, hl, np, nl, KQ_TERM_WHOLE, case_sensitive);
    case MATCH_PREFIX: return kq_has(hp, hl, np, nl, KQ_TERM_PREFIX, case_sensitive);
    case MATCH_SUFFIX: return kq_has(hp, hl, np, nl, KQ_TERM_SUFFIX, case_sensitive);
    case MATCH_CONTAINS: return kq_find(hp, hl, np, nl, case_sensitive) >= 0;
    case MATCH_STARTS: return kq_starts_with(hp, hl, np, nl, case_sensitive);
    case MATCH_ENDS: return kq_ends_with(hp, hl, np, nl, case_sensitive);
    }
    return false;
}

#define MATCH_OPERATOR(fname, kind, cs, negate)                                   \
    static kq_value fname(kq_eval_ctx *ctx, const kq_value *args, int argc)       \
    {                                                                             \
        bool hit = string_match(ctx, args, kind, cs);                             \
        return kq_bool(negate ? !hit : hit);                                      \
    }
MATCH_OPERATOR(eval_has, MATCH_HAS, false, false)
MATCH_OPERATOR(eval_not_has, MATCH_HAS, false, true)
MATCH_OPERATOR(eval_has_cs, MATCH_HAS, true, false)
MATCH_OPERATOR(eval_not_has_cs, MATCH_HAS, true, true)
MATCH_OPERATOR(eval_hasprefix, MATCH_PREFIX, false, false)
MATCH_OPERATOR(eval_not_hasprefix, MATCH_PREFIX, false, true)
MATCH_OPERATOR(eval_hasprefix_cs, MATCH_PREFIX, true, false)
MATCH_OPERATOR(eval_not_hasprefix_cs, MATCH_PREFIX, true, true)
MATCH_OPERATOR(eval_hassuffix, MATCH_SUFFIX, false, false)
MATCH_OPERATOR(eval_not_hassuffix, MATCH_SUFFIX, false, true)
MATCH_OPERATOR(eval_hassuffix_cs, MATCH_SUFFIX, true, false)
MATCH_OPERATOR(eval_not_hassuffix_cs, MATCH_SUFFIX, true, true)
MATCH_OPERATOR(eval_contains, MATCH_CONTAINS, false, false)
MATCH_OPERATOR(eval_not_contains, MATCH_CONTAINS, false, true)
MATCH_OPERATOR(eval_contains_cs, MATCH_CONTAINS, true, false)
MATCH_OPERATOR(eval_not_contains_cs, MATCH_CONTAINS, true, true)
MATCH_OPERATOR(eval_startswith, MATCH_STARTS, false, false)
MATCH_OPERATOR(eval_not_startswith, MATCH_STARTS, false, true)
MATCH_OPERATOR(eval_startswith_cs, MATCH_STARTS, true, false)
MATCH_OPERATOR(eval_not_startswith_cs, MATCH_STARTS, true, true)
MATCH_OPERATOR(eval_endswith, MATCH_ENDS, false, false)
MATCH_OPERATOR(eval_not_endswith, MATCH_ENDS, false, true)
MATCH_OPERATOR(eval_endswith_cs, MATCH_ENDS, true, false)
MATCH_OPERATOR(eval_not_endswith_cs, MATCH_ENDS, true, true)

/* matches regex: PCRE2 runs the pattern after kq_regex_get has rejected what RE2 would reject. */
static kq_value eval_matches_regex(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_value text = as_text(ctx, &args[0]), pattern = as_text(ctx, &args[1]);
    char error[256];
    const pcre2_code *code = kq_regex_get(pattern.u.s.ptr, pattern.u.s.len, error, sizeof error);
    if (!code) {
        if (!ctx->error)
            ctx->error = kq_arena_strdup(ctx->arena, error);
        return kq_null(KQ_BOOL);
    }
    pcre2_match_data *match = pcre2_match_data_create_from_pattern(code, NULL);
    int rc = pcre2_match(code, (PCRE2_SPTR)text.u.s.ptr, text.u.s.len, 0, 0, match, NULL);
    pcre2_match_data_free(match);
    return kq_bool(rc >= 0);
}

/* ---- between ---- */

static void bind_between(const kq_type *args, int argc, kq_bind_result *result)
{
    category v = category_of(args[0]), lo = category_of(args[1]), hi = category_of(args[2]);
    bool ok = (v == CAT_NUMBER && lo == CAT_NUMBER && hi == CAT_NUMBER) ||
              (v == CAT_DATETIME && lo == CAT_DATETIME && (hi == CAT_DATETIME || hi == CAT_TIMESPAN)) ||
              (v == CAT_TIMESPAN && lo == CAT_TIMESPAN && hi == CAT_TIMESPAN) ||
              v == CAT_DYNAMIC || v == CAT_NULL;
    if (!ok) {
        snprintf(result->error, sizeof result->error,
                 "between needs a number, datetime or timespan and bounds of the same kind, "
                 "not %s between (%s .. %s)",
                 kq_type_name(args[0]), kq_type_name(args[1]), kq_type_name(args[2]));
        return;
    }
    result->type = KQ_BOOL;
}

static kq_value eval_between(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_value low = args[1], high = args[2];
    if (low.null || high.null)
        return kq_null(KQ_BOOL);
    /* datetime between (start .. timespan) means start .. start + timespan. */
    if (low.type == KQ_DATETIME && high.type == KQ_TIMESPAN)
        high = kq_datetime(low.u.l + high.u.l);
    kq_value value = align(&args[0], low.type, ctx->arena);
    if (value.null)
        return kq_null(KQ_BOOL);
    return kq_bool(kq_value_compare(&value, &low) >= 0 && kq_value_compare(&value, &high) <= 0);
}

static kq_value eval_not_between(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_value r = eval_between(ctx, args, argc);
    if (!r.null)
        r.u.b = !r.u.b;
    return r;
}

/* ---- arithmetic ---- */

static kq_type arithmetic_type(char op, kq_type a, kq_type b)
{
    category x = category_of(a), y = category_of(b);
    if (x == CAT_DYNAMIC || y == CAT_DYNAMIC)
        return x == CAT_DYNAMIC && y == CAT_DYNAMIC ? KQ_DYNAMIC : (x == CAT_DYNAMIC ? b : a);
    if (x == CAT_NUMBER && y == CAT_NUMBER)
        return kq_numeric_result(a, b);
    switch (op) {
    case '+':
        if ((x == CAT_DATETIME && y == CAT_TIMESPAN) || (x == CAT_TIMESPAN && y == CAT_DATETIME))
            return KQ_DATETIME;
        if (x == CAT_TIMESPAN && y == CAT_TIMESPAN)
            return KQ_TIMESPAN;
        break;
    case '-':
        if (x == CAT_DATETIME && y == CAT_DATETIME)
            return KQ_TIMESPAN;
        if (x == CAT_DATETIME && y == CAT_TIMESPAN)
            return KQ_DATETIME;
        if (x == CAT_TIMESPAN && y == CAT_TIMESPAN)
            return KQ_TIMESPAN;
        break;
    case '*':
        if ((x == CAT_TIMESPAN && y == CAT_NUMBER) || (x == CAT_NUMBER && y == CAT_TIMESPAN))
            return KQ_TIMESPAN;
        break;
    case '/':
        if (x == CAT_TIMESPAN && y == CAT_NUMBER)
            return KQ_TIMESPAN;
        if (x == CAT_TIMESPAN && y == CAT_TIMESPAN)
            return KQ_REAL;
        break;
    case '%':
        if (x == CAT_TIMESPAN && y == CAT_TIMESPAN)
            return KQ_TIMESPAN;
        break;
    }
    return KQ_TYPE_NONE;
}

#define BIND_ARITHMETIC(fname, op)                                                          \
    static void fname(const kq_type *args, int argc, kq_bind_result *result)                \
    {                                                                                       \
        result->type = arithmetic_type(op, args[0], args[1]);                               \
        if (result->type == KQ_TYPE_NONE)                                                   \
            snprintf(result->error, sizeof result->error,                                   \
                     "operator '%c' cannot be applied to %s and %s", op,                    \
                     kq_type_name(args[0]), kq_type_name(args[1]));                         \
    }
BIND_ARITHMETIC(bind_add, '+')
BIND_ARITHMETIC(bind_subtract, '-')
BIND_ARITHMETIC(bind_multiply, '*')
BIND_ARITHMETIC(bind_divide, '/')
BIND_ARITHMETIC(bind_modulo, '%')

static kq_value arithmetic(kq_eval_ctx *ctx, char op, const kq_value *args)
{
    kq_value a = args[0], b = args[1];
    if (a.type == KQ_DYNAMIC && b.type != KQ_DYNAMIC)
        a = align(&a, b.type, ctx->arena);
    if (b.type == KQ_DYNAMIC && a.type != KQ_DYNAMIC)
        b = align(&b, a.type, ctx->arena);
    if (a.type == KQ_DYNAMIC && b.type == KQ_DYNAMIC) {
        a = kq_dyn_to_value(a.u.d, KQ_REAL, ctx->arena);
        b = kq_dyn_to_value(b.u.d, KQ_REAL, ctx->arena);
    }
    kq_type type = arithmetic_type(op, a.type, b.type);
    if (a.null || b.null || type == KQ_TYPE_NONE)
        return kq_null(type == KQ_TYPE_NONE ? KQ_REAL : type);
    category x = category_of(a.type), y = category_of(b.type);
    if (type == KQ_REAL && !(x == CAT_TIMESPAN)) {
        double p = kq_value_as_real(&a), q = kq_value_as_real(&b);
        switch (op) {
        case '+': return kq_real(p + q);
        case '-': return kq_real(p - q);
        case '*': return kq_real(p * q);
        case '/': return kq_real(p / q);
        default: return kq_real(fmod(p, q));
        }
    }
    if (type == KQ_REAL) /* timespan / timespan */
        return b.u.l == 0 ? kq_null(KQ_REAL) : kq_real((double)a.u.l / (double)b.u.l);
    if (type == KQ_TIMESPAN && (x == CAT_NUMBER || y == CAT_NUMBER)) {
        const kq_value *span = x == CAT_TIMESPAN ? &a : &b, *number = x == CAT_TIMESPAN ? &b : &a;
        double factor = kq_value_as_real(number);
        double ticks = op == '/' ? (factor == 0 ? NAN : (double)span->u.l / factor) : (double)span->u.l * factor;
        if (!isfinite(ticks) || fabs(ticks) > 9.2e18)
            return kq_null(KQ_TIMESPAN);
        kq_value r = kq_timespan((int64_t)llround(ticks));
        return r;
    }
    /* Integer, datetime and timespan arithmetic on ticks, wrapping like two's complement. */
    uint64_t p = (uint64_t)a.u.l, q = (uint64_t)b.u.l;
    int64_t result;
    switch (op) {
    case '+': result = (int64_t)(p + q); break;
    case '-': result = (int64_t)(p - q); break;
    case '*': result = (int64_t)(p * q); break;
    case '/':
        if (b.u.l == 0 || (a.u.l == INT64_MIN && b.u.l == -1))
            return kq_null(type);
        result = a.u.l / b.u.l;
        break;
    default:
        if (b.u.l == 0 || b.u.l == -1)
            return b.u.l == 0 ? kq_null(type) : (kq_value){.type = type};
        /* Kusto's remainder is never negative: -14 % 12 and -14 % -12 are both 10. */
        result = a.u.l % b.u.l;
        if (result < 0)
            result += b.u.l < 0 ? -b.u.l : b.u.l;
        break;
    }
    kq_value r = {.type = type};
    r.u.l = type == KQ_INT ? (int32_t)result : result;
    if (type == KQ_DATETIME && (r.u.l < 0 || r.u.l > KQ_DATETIME_MAX_TICKS))
        return kq_null(KQ_DATETIME);
    return r;
}

static kq_value eval_add(kq_eval_ctx *ctx, const kq_value *args, int argc) { return arithmetic(ctx, '+', args); }
static kq_value eval_subtract(kq_eval_ctx *ctx, const kq_value *args, int argc) { return arithmetic(ctx, '-', args); }
static kq_value eval_multiply(kq_eval_ctx *ctx, const kq_value *args, int argc) { return arithmetic(ctx, '*', args); }
static kq_value eval_divide(kq_eval_ctx *ctx, const kq_value *args, int argc) { return arithmetic(ctx, '/', args); }
static kq_value eval_modulo(kq_eval_ctx *ctx, const kq_value *args, int argc) { return arithmetic(ctx, '%', args); }

static void bind_negate(const kq_type *args, int argc, kq_bind_result *result)
{
    category c = category_of(args[0]);
    if (c == CAT_NUMBER || c == CAT_TIMESPAN || c == CAT_DYNAMIC) {
        result->type = args[0];
        return;
    }
    snprintf(result->error, sizeof result->error, "unary minus cannot be applied to %s",
             kq_type_name(args[0]));
}

static kq_value eval_negate(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_value v = args[0];
    if (v.type == KQ_DYNAMIC)
        v = kq_dyn_to_value(v.u.d, KQ_REAL, ctx->arena);
    if (v.null)
        return v;
    if (v.type == KQ_REAL || v.type == KQ_DECIMAL)
        v.u.r = -v.u.r;
    else
        v.u.l = (int64_t)(0 - (uint64_t)v.u.l);
    return v;
}

/* ---- indexing: x[0], x["key"], x.key ---- */

static void bind_index(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error,
                 "only dynamic values can be indexed, not %s; use parse_json() or split() first",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    if (!kq_type_is_integer(args[1]) && args[1] != KQ_STRING && args[1] != KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error, "an index must be an integer or a string, not %s",
                 kq_type_name(args[1]));
        result->error_arg = 1;
        return;
    }
    result->type = KQ_DYNAMIC;
}

static kq_value eval_index(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    if (args[0].null || args[1].null)
        return kq_dynamic(NULL);
    const kq_dyn *target = args[0].u.d;
    if (kq_type_is_integer(args[1].type))
        return kq_dynamic(kq_dyn_get_index(target, args[1].u.l));
    kq_str key = kq_value_to_str(ctx->arena, &args[1]);
    return kq_dynamic(kq_dyn_get_member(target, key.ptr, key.len));
}

#define OP(name, n, bind, eval, sig, doc) {name, n, n, bind, eval, sig, doc}

const kq_function kq_operator_functions[] = {
    OP("==", 2, bind_compare, eval_equal, "a == b", "Equals (case-sensitive for strings)."),
    OP("!=", 2, bind_compare, eval_not_equal, "a != b", "Not equals (case-sensitive for strings)."),
    OP("<", 2, bind_order, eval_less, "a < b", "Less than."),
    OP("<=", 2, bind_order, eval_less_equal, "a <= b", "Less than or equal."),
    OP(">", 2, bind_order, eval_greater, "a > b", "Greater than."),
    OP(">=", 2, bind_order, eval_greater_equal, "a >= b", "Greater than or equal."),
    OP("=~", 2, bind_string_operator, eval_equal_ci, "string =~ string", "Equals, ASCII case-insensitive."),
    OP("!~", 2, bind_string_operator, eval_not_equal_ci, "string !~ string", "Not equals, ASCII case-insensitive."),
    OP("has", 2, bind_string_operator, eval_has, "string has string", "Right side is a whole term (or a term-bounded phrase) of the left; case-insensitive."),
    OP("!has", 2, bind_string_operator, eval_not_has, "string !has string", "Negation of has."),
    OP("has_cs", 2, bind_string_operator, eval_has_cs, "string has_cs string", "has, case-sensitive."),
    OP("!has_cs", 2, bind_string_operator, eval_not_has_cs, "string !has_cs string", "Negation of has_cs."),
    OP("hasprefix", 2, bind_string_operator, eval_hasprefix, "string hasprefix string", "Right side is a prefix of a term of the left; case-insensitive."),
    OP("!hasprefix", 2, bind_string_operator, eval_not_hasprefix, "string !hasprefix string", "Negation of hasprefix."),
    OP("hasprefix_cs", 2, bind_string_operator, eval_hasprefix_cs, "string hasprefix_cs string", "hasprefix, case-sensitive."),
    OP("!hasprefix_cs", 2, bind_string_operator, eval_not_hasprefix_cs, "string !hasprefix_cs string", "Negation of hasprefix_cs."),
    OP("hassuffix", 2, bind_string_operator, eval_hassuffix, "string hassuffix string", "Right side is a suffix of a term of the left; case-insensitive."),
    OP("!hassuffix", 2, bind_string_operator, eval_not_hassuffix, "string !hassuffix string", "Negation of hassuffix."),
    OP("hassuffix_cs", 2, bind_string_operator, eval_hassuffix_cs, "string hassuffix_cs string", "hassuffix, case-sensitive."),
    OP("!hassuffix_cs", 2, bind_string_operator, eval_not_hassuffix_cs, "string !hassuffix_cs string", "Negation of hassuffix_cs."),
    OP("contains", 2, bind_string_operator, eval_contains, "string contains string", "Substring, case-insensitive."),
    OP("!contains", 2, bind_string_operator, eval_not_contains, "string !contains string", "Negation of contains."),
    OP("contains_cs", 2, bind_string_operator, eval_contains_cs, "string contains_cs string", "Substring, case-sensitive."),
    OP("!contains_cs", 2, bind_string_operator, eval_not_contains_cs, "string !contains_cs string", "Negation of contains_cs."),
    OP("startswith", 2, bind_string_operator, eval_startswith, "string startswith string", "Prefix, case-insensitive."),
    OP("!startswith", 2, bind_string_operator, eval_not_startswith, "string !startswith string", "Negation of startswith."),
    OP("startswith_cs", 2, bind_string_operator, eval_startswith_cs, "string startswith_cs string", "Prefix, case-sensitive."),
    OP("!startswith_cs", 2, bind_string_operator, eval_not_startswith_cs, "string !startswith_cs string", "Negation of startswith_cs."),
    OP("endswith", 2, bind_string_operator, eval_endswith, "string endswith string", "Suffix, case-insensitive."),
    OP("!endswith", 2, bind_string_operator, eval_not_endswith, "string !endswith string", "Negation of endswith."),
    OP("endswith_cs", 2, bind_string_operator, eval_endswith_cs, "string endswith_cs string", "Suffix, case-sensitive."),
    OP("!endswith_cs", 2, bind_string_operator, eval_not_endswith_cs, "string !endswith_cs string", "Negation of endswith_cs."),
    OP("matches regex", 2, bind_string_operator, eval_matches_regex, "string matches regex string", "Regular expression match (PCRE2 engine)."),
    OP("between", 3, bind_between, eval_between, "x between (low .. high)", "Inclusive range test; high may be a timespan after a datetime low."),
    OP("!between", 3, bind_between, eval_not_between, "x !between (low .. high)", "Negation of between."),
    OP("+", 2, bind_add, eval_add, "a + b", "Addition: numbers, datetime + timespan, timespan + timespan."),
    OP("-", 2, bind_subtract, eval_subtract, "a - b", "Subtraction: numbers, datetime - datetime = timespan, datetime - timespan."),
    OP("*", 2, bind_multiply, eval_multiply, "a * b", "Multiplication: numbers, timespan * number."),
    OP("/", 2, bind_divide, eval_divide, "a / b", "Division: integer division for integers, timespan / number, timespan / timespan = real."),
    OP("%", 2, bind_modulo, eval_modulo, "a % b", "Remainder."),
    OP("negate", 1, bind_negate, eval_negate, "-x", "Unary minus."),
    OP("[]", 2, bind_index, eval_index, "dynamic[index]", "Array element (negative counts from the end) or property value."),
};
const size_t kq_operator_function_count = KQ_ARRAY_LEN(kq_operator_functions);
