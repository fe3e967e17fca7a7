/* Conversion and conditional functions: tostring, tolong, todatetime, toguid, parse_json, iff, not, ... */
#include "functions/registry.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static kq_value eval_tostring(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_value v = kq_string("", 0);
    v.u.s = kq_value_to_str(ctx->arena, &args[0]);
    return v;
}

/* Parses text as a number the way tolong()/todouble() do: surrounding spaces allowed. */
static bool parse_number(kq_eval_ctx *ctx, kq_str s, bool integer, int64_t *l, double *r)
{
    char *text = kq_arena_strndup(ctx->arena, s.ptr, s.len);
    char *end;
    errno = 0;
    if (integer) {
        long long value = strtoll(text, &end, 10);
        if (end != text && errno == 0) {
            while (*end == ' ')
                end++;
            if (*end == '\0') {
                *l = value;
                return true;
            }
        }
    }
    double value = strtod(text, &end);
    if (end == text)
        return false;
    while (*end == ' ')
        end++;
    if (*end != '\0')
        return false;
    if (integer) {
        if (!isfinite(value) || fabs(value) > 9.2e18)
            return false;
        *l = (int64_t)value;
    } else {
        *r = value;
    }
    return true;
}

static kq_value convert_number(kq_eval_ctx *ctx, const kq_value *v, kq_type type)
{
    if (v->null)
        return kq_null(type);
    bool integer = type != KQ_REAL;
    switch (v->type) {
    case KQ_STRING: {
        int64_t l = 0;
        double r = 0;
        if (!parse_number(ctx, v->u.s, integer, &l, &r))
            return kq_null(type);
        kq_value out = {.type = type};
        if (integer)
            out.u.l = type == KQ_INT ? (int32_t)l : l;
        else
            out.u.r = r;
        return out;
    }
    case KQ_DYNAMIC: {
        if (v->u.d && v->u.d->kind == KQ_DYN_STRING) {
            kq_value s = kq_string(v->u.d->u.s.ptr, v->u.d->u.s.len);
            return convert_number(ctx, &s, type);
        }
        return kq_dyn_to_value(v->u.d, type, ctx->arena);
    }
    case KQ_BOOL:
        return integer ? (kq_value){.type = type, .u.l = v->u.b} : kq_real(v->u.b);
    case KQ_REAL:
    case KQ_DECIMAL:
        if (!integer)
            return kq_real(v->u.r);
        if (!isfinite(v->u.r) || fabs(v->u.r) > 9.2e18)
            return kq_null(type);
        return (kq_value){.type = type, .u.l = type == KQ_INT ? (int32_t)(int64_t)v->u.r : (int64_t)v->u.r};
    default:
        if (!integer)
            return kq_real((double)v->u.l);
        return (kq_value){.type = type, .u.l = type == KQ_INT ? (int32_t)v->u.l : v->u.l};
    }
}

static kq_value eval_tolong(kq_eval_ctx *ctx, const kq_value *args, int argc) { return convert_number(ctx, &args[0], KQ_LONG); }
static kq_value eval_toint(kq_eval_ctx *ctx, const kq_value *args, int argc) { return convert_number(ctx, &args[0], KQ_INT); }
static kq_value eval_toreal(kq_eval_ctx *ctx, const kq_value *args, int argc) { return convert_number(ctx, &args[0], KQ_REAL); }

static kq_value eval_tobool(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_value *v = &args[0];
    if (v->null)
        return kq_null(KQ_BOOL);
    switch (v->type) {
    case KQ_BOOL:
        return *v;
    case KQ_STRING:
        if (kq_ascii_ieq(v->u.s.ptr, v->u.s.len, "true", 4) || kq_ascii_ieq(v->u.s.ptr, v->u.s.len, "1", 1))
            return kq_bool(true);
        if (kq_ascii_ieq(v->u.s.ptr, v->u.s.len, "false", 5) || kq_ascii_ieq(v->u.s.ptr, v->u.s.len, "0", 1))
            return kq_bool(false);
        return kq_null(KQ_BOOL);
    case KQ_DYNAMIC:
        return kq_dyn_to_value(v->u.d, KQ_BOOL, ctx->arena);
    case KQ_REAL:
    case KQ_DECIMAL:
        return kq_bool(v->u.r != 0);
    default:
        return kq_bool(v->u.l != 0);
    }
}

static kq_value eval_todatetime(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_value *v = &args[0];
    if (v->null)
        return kq_null(KQ_DATETIME);
    if (v->type == KQ_DATETIME)
        return *v;
    if (v->type == KQ_DYNAMIC)
        return kq_dyn_to_value(v->u.d, KQ_DATETIME, ctx->arena);
    if (v->type == KQ_STRING) {
        int64_t ticks;
        if (kq_datetime_parse(v->u.s.ptr, v->u.s.len, &ticks))
            return kq_datetime(ticks);
    }
    if (kq_type_is_integer(v->type) && v->u.l >= 0 && v->u.l <= KQ_DATETIME_MAX_TICKS)
        return kq_datetime(v->u.l);
    return kq_null(KQ_DATETIME);
}

static kq_value eval_totimespan(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_value *v = &args[0];
    if (v->null)
        return kq_null(KQ_TIMESPAN);
    if (v->type == KQ_TIMESPAN)
        return *v;
    if (v->type == KQ_DYNAMIC)
        return kq_dyn_to_value(v->u.d, KQ_TIMESPAN, ctx->arena);
    if (v->type == KQ_STRING) {
        int64_t ticks;
        if (kq_timespan_parse(v->u.s.ptr, v->u.s.len, &ticks))
            return kq_timespan(ticks);
    }
    if (kq_type_is_integer(v->type))
        return kq_timespan(v->u.l);
    return kq_null(KQ_TIMESPAN);
}

/* parse_json / todynamic: a string is parsed as JSON; invalid JSON stays a string value. */
static kq_value eval_parse_json(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_value *v = &args[0];
    if (v->type == KQ_DYNAMIC)
        return *v;
    if (v->type == KQ_STRING) {
        if (v->u.s.len == 0)
            return kq_dynamic(NULL);
        const kq_dyn *dyn = kq_dyn_parse(ctx->arena, v->u.s.ptr, v->u.s.len, NULL);
        if (dyn)
            return kq_dynamic(dyn->kind == KQ_DYN_NULL ? NULL : dyn);
    }
    return kq_dynamic(v->null ? NULL : kq_dyn_from_value(ctx->arena, v));
}

static void bind_dynamic_result(const kq_type *args, int argc, kq_bind_result *result)
{
    result->type = KQ_DYNAMIC;
}

static void bind_long(const kq_type *args, int argc, kq_bind_result *result) { result->type = KQ_LONG; }
static void bind_int(const kq_type *args, int argc, kq_bind_result *result) { result->type = KQ_INT; }
static void bind_real(const kq_type *args, int argc, kq_bind_result *result) { result->type = KQ_REAL; }
static void bind_datetime(const kq_type *args, int argc, kq_bind_result *result) { result->type = KQ_DATETIME; }
static void bind_timespan(const kq_type *args, int argc, kq_bind_result *result) { result->type = KQ_TIMESPAN; }

static void bind_iff(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_BOOL && args[0] != KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error, "the condition of iff must be bool, not %s",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    kq_type a = args[1], b = args[2];
    if (a == b)
        result->type = a;
    else if (kq_type_is_numeric(a) && kq_type_is_numeric(b))
        result->type = kq_numeric_result(a, b);
    else if (a == KQ_DYNAMIC || b == KQ_DYNAMIC)
        result->type = a == KQ_DYNAMIC ? b : a;
    else {
        snprintf(result->error, sizeof result->error,
                 "the two branches of iff must have the same type, not %s and %s",
                 kq_type_name(a), kq_type_name(b));
        result->error_arg = 2;
    }
}

static kq_value coerce(kq_eval_ctx *ctx, kq_value v, kq_type type)
{
    if (v.type == type)
        return v;
    if (v.type == KQ_DYNAMIC)
        return v.null ? kq_null(type) : kq_dyn_to_value(v.u.d, type, ctx->arena);
    if (v.null)
        return kq_null(type);
    if (type == KQ_REAL)
        return kq_real(kq_value_as_real(&v));
    if (type == KQ_LONG)
        return kq_long(v.u.l);
    return v;
}

static kq_value eval_iff(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_value *condition = &args[0];
    bool yes = !condition->null && condition->type == KQ_BOOL && condition->u.b;
    kq_type type = args[1].type == args[2].type ? args[1].type
                   : (kq_type_is_numeric(args[1].type) && kq_type_is_numeric(args[2].type))
                       ? kq_numeric_result(args[1].type, args[2].type)
                       : (args[1].type == KQ_DYNAMIC ? args[2].type : args[1].type);
    return coerce(ctx, yes ? args[1] : args[2], type);
}

static void bind_not(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_BOOL && args[0] != KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error, "not() takes a bool, not %s", kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    result->type = KQ_BOOL;
}

static kq_value eval_not(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_value v = coerce(ctx, args[0], KQ_BOOL);
    if (v.null)
        return kq_null(KQ_BOOL);
    return kq_bool(!v.u.b);
}

static kq_value eval_isnull(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_value *v = &args[0];
    if (v->type == KQ_STRING)
        return kq_bool(false);
    return kq_bool(v->null || (v->type == KQ_DYNAMIC && (!v->u.d || v->u.d->kind == KQ_DYN_NULL)));
}

static kq_value eval_isnotnull(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_value r = eval_isnull(ctx, args, argc);
    r.u.b = !r.u.b;
    return r;
}

/*
 * pack_all([ignore_null_empty]): the binder passes the row's columns as name/value pairs
 * after the flag, so this sees (flag, name1, value1, name2, value2, ...).
 */
static kq_value eval_pack_all(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    bool skip_empty = argc > 0 && !args[0].null && args[0].type == KQ_BOOL && args[0].u.b;
    int pairs = (argc - 1) / 2;
    kq_dyn *bag = kq_arena_alloc(ctx->arena, sizeof *bag);
    bag->kind = KQ_DYN_OBJECT;
    bag->u.members = kq_arena_alloc(ctx->arena, (size_t)(pairs ? pairs : 1) * sizeof(kq_dyn_member));
    for (int i = 0; i < pairs; i++) {
        const kq_value *name = &args[1 + 2 * i], *value = &args[2 + 2 * i];
        bool empty = value->null || (value->type == KQ_STRING && value->u.s.len == 0) ||
                     (value->type == KQ_DYNAMIC && (!value->u.d || value->u.d->kind == KQ_DYN_NULL));
        if (skip_empty && empty)
            continue;
        kq_dyn_member *member = &bag->u.members[bag->count++];
        member->key = name->u.s;
        member->value = kq_dyn_from_value(ctx->arena, value);
    }
    return kq_dynamic(bag);
}

static void bind_pack_all(const kq_type *args, int argc, kq_bind_result *result)
{
    if (argc < 1 || args[0] != KQ_BOOL) {
        snprintf(result->error, sizeof result->error, "pack_all takes an optional bool ignore_null_empty");
        return;
    }
    result->type = KQ_DYNAMIC;
}

/* new_guid() and rand(): random values, from the kernel's random source (a query that calls
 * them is not reproducible, as in Kusto). */
static void random_bytes(unsigned char *out, size_t n)
{
    FILE *source = fopen("/dev/urandom", "rb");
    size_t got = source ? fread(out, 1, n, source) : 0;
    if (source)
        fclose(source);
    for (size_t i = got; i < n; i++)
        out[i] = (unsigned char)(rand() & 0xff);
}

static kq_value eval_new_guid(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    unsigned char b[16];
    random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char *text = kq_arena_printf(ctx->arena,
                                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                                 b[12], b[13], b[14], b[15]);
    kq_value v = kq_string(text, 36);
    v.type = KQ_GUID;
    return v;
}

static void bind_guid(const kq_type *args, int argc, kq_bind_result *result) { result->type = KQ_GUID; }

/* toguid(): the first 32 hex digits of the text, with hyphens allowed only where a GUID's
 * 8-4-4-4-12 groups meet, and the rest of the text ignored. A hyphen may be missing: the
 * docs show 0123456789ab-cdef-0123-456789abcdef converting.
 * NOTE: the docs list the digits as 0-9 and a-f; A-F are accepted too, as in guid literals. */
static kq_value eval_toguid(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_str text;
    if (args[0].null)
        return kq_null(KQ_GUID);
    if (args[0].type == KQ_STRING)
        text = args[0].u.s;
    else if (args[0].type == KQ_DYNAMIC && args[0].u.d && args[0].u.d->kind == KQ_DYN_STRING)
        text = args[0].u.d->u.s;
    else
        return kq_null(KQ_GUID);
    char digits[32];
    size_t count = 0;
    for (uint32_t i = 0; i < text.len && count < 32; i++) {
        char c = text.ptr[i];
        bool group_end = count == 8 || count == 12 || count == 16 || count == 20;
        if (c == '-' && group_end && i > 0 && text.ptr[i - 1] != '-')
            continue;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return kq_null(KQ_GUID);
        digits[count++] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    if (count < 32)
        return kq_null(KQ_GUID);
    char *out = kq_arena_printf(ctx->arena, "%.8s-%.4s-%.4s-%.4s-%.12s", digits, digits + 8, digits + 12,
                                digits + 16, digits + 20);
    kq_value v = kq_string(out, 36);
    v.type = KQ_GUID;
    return v;
}

static void bind_toguid(const kq_type *args, int argc, kq_bind_result *result)
{
    (void)argc;
    if (args[0] != KQ_STRING && args[0] != KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error, "toguid takes a string or dynamic value, not %s",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    result->type = KQ_GUID;
}

static kq_value eval_rand(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint64_t bits;
    random_bytes((unsigned char *)&bits, sizeof bits);
    double unit = (double)(bits >> 11) / 9007199254740992.0; /* [0, 1) with 53 random bits */
    if (argc == 1 && !args[0].null) {
        int64_t n = args[0].u.l;
        return n > 0 ? kq_long((int64_t)(unit * (double)n)) : kq_null(KQ_LONG);
    }
    return kq_real(unit);
}

static void bind_rand(const kq_type *args, int argc, kq_bind_result *result)
{
    if (argc == 1 && !kq_type_is_integer(args[0])) {
        snprintf(result->error, sizeof result->error, "rand(n) takes an integer range");
        result->error_arg = 0;
        return;
    }
    result->type = argc == 1 ? KQ_LONG : KQ_REAL;
}

#define FN(name, min, max, bind, eval, sig, doc) {name, min, max, bind, eval, sig, doc}

const kq_function kq_conversion_functions[] = {
    FN("tostring", 1, 1, kq_bind_string_result, eval_tostring, "tostring(x) -> string", "String form of a value; null becomes the empty string."),
    FN("tolong", 1, 1, bind_long, eval_tolong, "tolong(x) -> long", "Converts to long; null when the value does not convert."),
    FN("toint", 1, 1, bind_int, eval_toint, "toint(x) -> int", "Converts to int; null when the value does not convert."),
    FN("todouble", 1, 1, bind_real, eval_toreal, "todouble(x) -> real", "Converts to real; null when the value does not convert."),
    FN("toreal", 1, 1, bind_real, eval_toreal, "toreal(x) -> real", "Same as todouble()."),
    FN("tobool", 1, 1, kq_bind_bool_result, eval_tobool, "tobool(x) -> bool", "Converts to bool; null when the value does not convert."),
    FN("toboolean", 1, 1, kq_bind_bool_result, eval_tobool, "toboolean(x) -> bool", "Same as tobool()."),
    FN("todatetime", 1, 1, bind_datetime, eval_todatetime, "todatetime(x) -> datetime", "Parses ISO 8601 and RFC 822 text; null when it does not parse."),
    FN("totimespan", 1, 1, bind_timespan, eval_totimespan, "totimespan(x) -> timespan", "Parses [d.]hh:mm:ss[.fffffff] text; null when it does not parse."),
    FN("parse_json", 1, 1, bind_dynamic_result, eval_parse_json, "parse_json(string) -> dynamic", "Parses JSON text; text that is not JSON stays a string value."),
    FN("todynamic", 1, 1, bind_dynamic_result, eval_parse_json, "todynamic(string) -> dynamic", "Same as parse_json()."),
    FN("parsejson", 1, 1, bind_dynamic_result, eval_parse_json, "parsejson(string) -> dynamic", "Deprecated name of parse_json()."),
    FN("iff", 3, 3, bind_iff, eval_iff, "iff(condition, then, else)", "then when the condition is true, else otherwise (null counts as false)."),
    FN("iif", 3, 3, bind_iff, eval_iff, "iif(condition, then, else)", "Same as iff()."),
    FN("not", 1, 1, bind_not, eval_not, "not(bool) -> bool", "Logical negation; not(null) is null."),
    FN("isnull", 1, 1, kq_bind_bool_result, eval_isnull, "isnull(x) -> bool", "True for a null value (never for a string)."),
    FN("isnotnull", 1, 1, kq_bind_bool_result, eval_isnotnull, "isnotnull(x) -> bool", "Negation of isnull()."),
    FN("toguid", 1, 1, bind_toguid, eval_toguid, "toguid(string) -> guid", "Converts 32 hex digits (hyphens allowed between the groups) to a guid; null when they do not convert."),
    FN("new_guid", 0, 0, bind_guid, eval_new_guid, "new_guid() -> guid", "A random (version 4) GUID."),
    FN("rand", 0, 1, bind_rand, eval_rand, "rand([n]) -> real or long", "A random real in [0, 1), or a random integer in [0, n)."),
    FN("pack_all", 1, -1, bind_pack_all, eval_pack_all, "pack_all([ignore_null_empty]) -> dynamic", "A property bag of every column of the row."),
};
const size_t kq_conversion_function_count = KQ_ARRAY_LEN(kq_conversion_functions);
