/*
 * Math functions: arithmetic, rounding, logarithms, trigonometry, bit
 * operations, min_of/max_of, case, coalesce and todecimal. The table at the
 * end also lists the series_* functions of series_functions.c.
 *
 * Argument types follow the Kusto language service: numeric functions take
 * int, long, real or decimal (not dynamic), and decimal values are carried as
 * real, so decimal arithmetic has double precision here.
 */
#include "functions/math_internal.h"
#include "base/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#define KQ_PI 3.14159265358979323846

/* ---- binding helpers ---- */

static void bind_fail(kq_bind_result *result, int arg, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vsnprintf(result->error, sizeof result->error, format, ap);
    va_end(ap);
    result->error_arg = arg;
    result->type = KQ_TYPE_NONE;
}

/* Numeric widening as the Kusto language service types case() and max_of(): decimal wins over real. */
static kq_type widen_numeric(kq_type a, kq_type b)
{
    if (a == KQ_DECIMAL || b == KQ_DECIMAL)
        return KQ_DECIMAL;
    if (a == KQ_REAL || b == KQ_REAL)
        return KQ_REAL;
    if (a == KQ_LONG || b == KQ_LONG)
        return KQ_LONG;
    return KQ_INT;
}

/*
 * Merges one more argument type into the common type of a list. A dynamic
 * argument takes the type of the others when dynamic_adapts is set (case()),
 * otherwise dynamic only matches dynamic (coalesce()). Returns KQ_TYPE_NONE
 * when the types have no common type.
 */
static kq_type merge_type(kq_type common, kq_type next, bool dynamic_adapts)
{
    if (common == KQ_TYPE_NONE || common == next)
        return next;
    if (kq_type_is_numeric(common) && kq_type_is_numeric(next))
        return widen_numeric(common, next);
    if (dynamic_adapts && common == KQ_DYNAMIC)
        return next;
    if (dynamic_adapts && next == KQ_DYNAMIC)
        return common;
    return KQ_TYPE_NONE;
}

/* Checks that every argument is int, long, real or decimal. */
static bool bind_numbers(const kq_type *args, int argc, kq_bind_result *result, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (!kq_type_is_numeric(args[i])) {
            bind_fail(result, i, "%s expects a number (int, long, real or decimal) as argument %d, not %s",
                      name, i + 1, kq_type_name(args[i]));
            return false;
        }
    return true;
}

static bool bind_integers(const kq_type *args, int argc, kq_bind_result *result, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (!kq_type_is_integer(args[i])) {
            bind_fail(result, i, "%s expects an integer (int or long) as argument %d, not %s", name,
                      i + 1, kq_type_name(args[i]));
            return false;
        }
    return true;
}

static void bind_real(const kq_type *args, int argc, kq_bind_result *result)
{
    if (bind_numbers(args, argc, result, "this function"))
        result->type = KQ_REAL;
}

static void bind_number_test(const kq_type *args, int argc, kq_bind_result *result)
{
    if (bind_numbers(args, argc, result, "this function"))
        result->type = KQ_BOOL;
}

/* around(value, center, delta): numbers with a numeric delta, or datetimes or timespans
 * with a timespan delta. */
static void bind_around(const kq_type *args, int argc, kq_bind_result *result)
{
    bool numbers = kq_type_is_numeric(args[0]) && kq_type_is_numeric(args[1]) && kq_type_is_numeric(args[2]);
    bool times = (args[0] == KQ_DATETIME || args[0] == KQ_TIMESPAN) && args[1] == args[0] && args[2] == KQ_TIMESPAN;
    if (!numbers && !times) {
        bind_fail(result, 0, "around() takes three numbers, or two datetimes or two timespans and a timespan "
                             "delta, not %s, %s, %s", kq_type_name(args[0]), kq_type_name(args[1]),
                  kq_type_name(args[2]));
        return;
    }
    result->type = KQ_BOOL;
}

static void bind_bits(const kq_type *args, int argc, kq_bind_result *result)
{
    if (bind_integers(args, argc, result, "this bit function"))
        result->type = KQ_LONG;
}

static void bind_no_args_real(const kq_type *args, int argc, kq_bind_result *result)
{
    result->type = KQ_REAL;
}

/* abs(): integers give long, real and decimal keep their type, timespan stays timespan. */
static void bind_abs(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] == KQ_TIMESPAN) {
        result->type = KQ_TIMESPAN;
        return;
    }
    if (!kq_type_is_numeric(args[0])) {
        bind_fail(result, 0, "abs expects a number or a timespan, not %s", kq_type_name(args[0]));
        return;
    }
    result->type = kq_type_is_integer(args[0]) ? KQ_LONG : args[0];
}

/* ceiling() and round() keep the argument's type (int stays int). */
static void bind_rounding(const kq_type *args, int argc, kq_bind_result *result)
{
    if (!bind_numbers(args, 1, result, "this rounding function"))
        return;
    if (argc > 1 && !kq_type_is_integer(args[1])) {
        bind_fail(result, 1, "the precision of round must be an integer (int or long), not %s",
                  kq_type_name(args[1]));
        return;
    }
    result->type = args[0];
}

static void bind_todecimal(const kq_type *args, int argc, kq_bind_result *result)
{
    result->type = KQ_DECIMAL;
}

/* ---- evaluation helpers ---- */

/* Reads a numeric argument as a double. Returns false for null. */
static bool real_arg(kq_eval_ctx *ctx, const kq_value *v, double *out)
{
    if (v->null)
        return false;
    if (v->type == KQ_DYNAMIC) {
        kq_value r = kq_dyn_to_value(v->u.d, KQ_REAL, ctx->arena);
        if (r.null)
            return false;
        *out = r.u.r;
        return true;
    }
    *out = kq_value_as_real(v);
    return true;
}

/* Converts a non-dynamic numeric value to another numeric type of the same or a wider kind. */
static kq_value widen_value(const kq_value *v, kq_type to)
{
    if (v->null)
        return kq_null(to);
    kq_value out = {.type = to};
    if (to == KQ_REAL || to == KQ_DECIMAL)
        out.u.r = kq_value_as_real(v);
    else
        out.u.l = v->u.l;
    return out;
}

/* Brings a value to the common type of a case()/coalesce()/min_of() call. */
static kq_value convert_to(kq_eval_ctx *ctx, const kq_value *v, kq_type to)
{
    if (v->type == to)
        return *v;
    if (to == KQ_DYNAMIC)
        return kq_dynamic(v->null ? NULL : kq_dyn_from_value(ctx->arena, v));
    if (v->type == KQ_DYNAMIC)
        return v->null || !v->u.d ? kq_null(to) : kq_dyn_to_value(v->u.d, to, ctx->arena);
    if (kq_type_is_numeric(v->type) && kq_type_is_numeric(to))
        return widen_value(v, to);
    return kq_null(to);
}

static kq_value real_or_null(double r, bool ok)
{
    return ok ? kq_real(r) : kq_null(KQ_REAL);
}

static double sign_of(double x)
{
    if (x > 0)
        return 1.0;
    if (x < 0)
        return -1.0;
    return x; /* 0, -0 and NaN */
}

/* Evaluates a one-argument real function. Inputs that fail the domain test give null. */
#define REAL_UNARY(fname, expression, domain)                                      \
    static kq_value fname(kq_eval_ctx *ctx, const kq_value *args, int argc)         \
    {                                                                               \
        double x;                                                                   \
        if (!real_arg(ctx, &args[0], &x) || !(domain))                              \
            return kq_null(KQ_REAL);                                                \
        return kq_real(expression);                                                 \
    }

/* sqrt, log, log2 and log10 give null for a negative argument (Kusto docs), and log(0) is -Infinity. */
REAL_UNARY(eval_sqrt, sqrt(x), !(x < 0))
REAL_UNARY(eval_log, log(x), !(x < 0))
REAL_UNARY(eval_log2, log2(x), !(x < 0))
REAL_UNARY(eval_log10, log10(x), !(x < 0))
REAL_UNARY(eval_exp, exp(x), true)
REAL_UNARY(eval_exp2, exp2(x), true)
REAL_UNARY(eval_exp10, pow(10.0, x), true)
REAL_UNARY(eval_degrees, x * (180.0 / KQ_PI), true)
REAL_UNARY(eval_radians, x * (KQ_PI / 180.0), true)
REAL_UNARY(eval_sin, sin(x), true)
REAL_UNARY(eval_cos, cos(x), true)
REAL_UNARY(eval_tan, tan(x), true)
REAL_UNARY(eval_cot, 1.0 / tan(x), true)
/* acos and asin are null outside [-1, 1] (Kusto docs). */
REAL_UNARY(eval_acos, acos(x), x >= -1 && x <= 1)
REAL_UNARY(eval_asin, asin(x), x >= -1 && x <= 1)
REAL_UNARY(eval_atan, atan(x), true)
REAL_UNARY(eval_gamma, tgamma(x), true)
REAL_UNARY(eval_erf, erf(x), true)
REAL_UNARY(eval_erfc, erfc(x), true)
REAL_UNARY(eval_sign, sign_of(x), true)

/* True when value lies in [center - delta, center + delta], both ends included. */
static kq_value eval_around(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    if (args[0].null || args[1].null || args[2].null)
        return kq_null(KQ_BOOL);
    if (args[0].type == KQ_DATETIME || args[0].type == KQ_TIMESPAN) {
        /* Ticks compare exactly; the difference is taken in real numbers so it cannot overflow. */
        double distance = fabs((double)args[0].u.l - (double)args[1].u.l);
        return kq_bool(distance <= fabs((double)args[2].u.l));
    }
    double value = kq_value_as_real(&args[0]), center = kq_value_as_real(&args[1]);
    double delta = kq_value_as_real(&args[2]);
    return kq_bool(value >= center - delta && value <= center + delta);
}

/* lgamma_r instead of lgamma: lgamma writes the global signgam, which races between threads. */
static kq_value eval_loggamma(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    double x;
    int sign;
    if (!real_arg(ctx, &args[0], &x))
        return kq_null(KQ_REAL);
    return kq_real(lgamma_r(x, &sign));
}

static kq_value eval_pow(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    double base, exponent;
    bool ok = real_arg(ctx, &args[0], &base) && real_arg(ctx, &args[1], &exponent);
    return real_or_null(ok ? pow(base, exponent) : 0, ok);
}

static kq_value eval_atan2(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    double y, x;
    bool ok = real_arg(ctx, &args[0], &y) && real_arg(ctx, &args[1], &x);
    return real_or_null(ok ? atan2(y, x) : 0, ok);
}

static kq_value eval_pi(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return kq_real(KQ_PI);
}

/* isnan, isinf and isfinite give null for a null argument, like the other math functions. */
#define REAL_TEST(fname, test)                                                      \
    static kq_value fname(kq_eval_ctx *ctx, const kq_value *args, int argc)         \
    {                                                                               \
        double x;                                                                   \
        if (!real_arg(ctx, &args[0], &x))                                           \
            return kq_null(KQ_BOOL);                                                \
        return kq_bool(test(x));                                                    \
    }
REAL_TEST(eval_isnan, isnan)
REAL_TEST(eval_isinf, isinf)
REAL_TEST(eval_isfinite, isfinite)

/* ---- abs, ceiling, round ---- */

static kq_value eval_abs(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_value *v = &args[0];
    kq_type type = v->type == KQ_INT ? KQ_LONG : v->type;
    if (v->null)
        return kq_null(type);
    if (v->type == KQ_REAL || v->type == KQ_DECIMAL)
        return (kq_value){.type = type, .u.r = fabs(v->u.r)};
    /* The absolute value of the smallest long does not fit in a long. */
    if (v->u.l == INT64_MIN)
        return kq_null(type);
    return (kq_value){.type = type, .u.l = v->u.l < 0 ? -v->u.l : v->u.l};
}

static kq_value eval_ceiling(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_value *v = &args[0];
    if (v->null || kq_type_is_integer(v->type))
        return *v;
    return (kq_value){.type = v->type, .u.r = ceil(v->u.r)};
}

/* Rounds half away from zero to `digits` decimal digits. Negative digits round left of the point. */
static double round_real(double x, int64_t digits)
{
    if (!isfinite(x))
        return x;
    if (digits > 308)
        return x;
    if (digits < -308)
        return 0.0;
    if (digits >= 0) {
        double scale = pow(10.0, (double)digits);
        double scaled = x * scale;
        /* Beyond 2^52 every double is an integer, so there is nothing left to round. */
        if (!isfinite(scaled) || fabs(scaled) >= 4503599627370496.0)
            return x;
        return round(scaled) / scale;
    }
    double scale = pow(10.0, (double)-digits);
    return round(x / scale) * scale;
}

/* Rounds an integer to a negative number of digits. Returns false when the result overflows. */
static bool round_integer(int64_t x, int64_t digits, int64_t *out)
{
    if (digits >= 0) {
        *out = x;
        return true;
    }
    if (digits < -18) {
        *out = 0;
        return true;
    }
    int64_t scale = 1;
    for (int64_t i = 0; i < -digits; i++)
        scale *= 10;
    int64_t quotient = x / scale, remainder = x % scale;
    int64_t magnitude = remainder < 0 ? -remainder : remainder;
    if (magnitude * 2 >= scale)
        quotient += x < 0 ? -1 : 1;
    return !__builtin_mul_overflow(quotient, scale, out);
}

static kq_value eval_round(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_value *v = &args[0];
    if (v->null || (argc > 1 && args[1].null))
        return kq_null(v->type);
    int64_t digits = argc > 1 ? args[1].u.l : 0;
    if (v->type == KQ_REAL || v->type == KQ_DECIMAL)
        return (kq_value){.type = v->type, .u.r = round_real(v->u.r, digits)};
    int64_t rounded;
    if (!round_integer(v->u.l, digits, &rounded))
        return kq_null(v->type);
    if (v->type == KQ_INT && (rounded < INT32_MIN || rounded > INT32_MAX))
        return kq_null(KQ_INT);
    return (kq_value){.type = v->type, .u.l = rounded};
}

/* ---- bit operations (64-bit two's complement) ---- */

static bool long_args(const kq_value *args, int argc)
{
    for (int i = 0; i < argc; i++)
        if (args[i].null || !kq_type_is_integer(args[i].type))
            return false;
    return true;
}

static kq_value eval_binary_and(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return long_args(args, 2) ? kq_long(args[0].u.l & args[1].u.l) : kq_null(KQ_LONG);
}

static kq_value eval_binary_or(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return long_args(args, 2) ? kq_long(args[0].u.l | args[1].u.l) : kq_null(KQ_LONG);
}

static kq_value eval_binary_xor(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return long_args(args, 2) ? kq_long(args[0].u.l ^ args[1].u.l) : kq_null(KQ_LONG);
}

static kq_value eval_binary_not(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return long_args(args, 1) ? kq_long(~args[0].u.l) : kq_null(KQ_LONG);
}

/* value << (shift % 64), and null for a negative shift (Kusto docs). */
static kq_value eval_shift_left(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    if (!long_args(args, 2) || args[1].u.l < 0)
        return kq_null(KQ_LONG);
    return kq_long((int64_t)((uint64_t)args[0].u.l << (args[1].u.l % 64)));
}

/* value >> (shift % 64) as an arithmetic shift, which keeps the sign bit. */
static kq_value eval_shift_right(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    if (!long_args(args, 2) || args[1].u.l < 0)
        return kq_null(KQ_LONG);
    int64_t value = args[0].u.l;
    int shift = (int)(args[1].u.l % 64);
    return kq_long(value < 0 ? ~(~value >> shift) : value >> shift);
}

static kq_value eval_bitset_count_ones(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    if (!long_args(args, 1))
        return kq_null(KQ_LONG);
    return kq_long(__builtin_popcountll((unsigned long long)args[0].u.l));
}

/* ---- min_of, max_of ---- */

static bool is_orderable(kq_type type)
{
    return kq_type_is_numeric(type) || type == KQ_STRING || type == KQ_DATETIME ||
           type == KQ_TIMESPAN || type == KQ_BOOL;
}

static void bind_extreme(const kq_type *args, int argc, kq_bind_result *result)
{
    kq_type common = KQ_TYPE_NONE;
    for (int i = 0; i < argc; i++) {
        if (!is_orderable(args[i])) {
            bind_fail(result, i,
                      "argument %d must be orderable (a number, timespan, datetime, string or bool), not %s",
                      i + 1, kq_type_name(args[i]));
            return;
        }
        kq_type merged = merge_type(common, args[i], false);
        if (merged == KQ_TYPE_NONE) {
            bind_fail(result, i, "the arguments must share one type, but argument %d is %s and the ones before it are %s",
                      i + 1, kq_type_name(args[i]), kq_type_name(common));
            return;
        }
        common = merged;
    }
    result->type = common;
}

/* In case(p1, v1, p2, v2, ..., else) the values sit at odd indexes and at the end. */
static bool is_case_value(int index, int argc)
{
    return index % 2 == 1 || index == argc - 1;
}

/* Returns the common type of the arguments' runtime types. case_values selects case()'s value arguments. */
static kq_type common_value_type(const kq_value *args, int argc, bool case_values)
{
    kq_type common = KQ_TYPE_NONE;
    for (int i = 0; i < argc; i++)
        if (!case_values || is_case_value(i, argc))
            common = merge_type(common, args[i].type, case_values);
    return common == KQ_TYPE_NONE ? KQ_DYNAMIC : common;
}

/* Null arguments are skipped: "non-null values take precedence" (Kusto docs). */
static kq_value extreme_of(kq_eval_ctx *ctx, const kq_value *args, int argc, int direction)
{
    kq_type type = common_value_type(args, argc, false);
    kq_value best = kq_null(type);
    bool found = false;
    for (int i = 0; i < argc; i++) {
        if (args[i].null)
            continue;
        kq_value v = convert_to(ctx, &args[i], type);
        if (v.null)
            continue;
        if (!found || kq_value_compare(&v, &best) * direction > 0)
            best = v;
        found = true;
    }
    return best;
}

static kq_value eval_min_of(kq_eval_ctx *ctx, const kq_value *args, int argc) { return extreme_of(ctx, args, argc, -1); }
static kq_value eval_max_of(kq_eval_ctx *ctx, const kq_value *args, int argc) { return extreme_of(ctx, args, argc, 1); }

/* ---- case, coalesce ---- */

/*
 * case(predicate_1, then_1, ..., else): every predicate is bool, and the then
 * values and the else value share a type, with numeric widening and a
 * dynamic value adapting to the others.
 * NOTE: the Kusto language service types case(true, 1, "a") as dynamic, but
 * the docs require one type, so kqlite rejects it as it rejects iff() with
 * mismatched branches.
 */
static void bind_case(const kq_type *args, int argc, kq_bind_result *result)
{
    if (argc % 2 == 0) {
        bind_fail(result, argc - 1,
                  "case expects predicate/value pairs followed by one else value, so an odd number of arguments, not %d",
                  argc);
        return;
    }
    for (int i = 0; i + 1 < argc; i += 2)
        if (args[i] != KQ_BOOL) {
            bind_fail(result, i, "argument %d of case is a predicate and must be bool, not %s", i + 1,
                      kq_type_name(args[i]));
            return;
        }
    kq_type common = KQ_TYPE_NONE;
    for (int i = 1; i < argc; i++) {
        if (!is_case_value(i, argc))
            continue;
        kq_type merged = merge_type(common, args[i], true);
        if (merged == KQ_TYPE_NONE) {
            bind_fail(result, i, "the values of case must share one type, but argument %d is %s and the values before it are %s",
                      i + 1, kq_type_name(args[i]), kq_type_name(common));
            return;
        }
        common = merged;
    }
    result->type = common;
}

static kq_value eval_case(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_type type = common_value_type(args, argc, true);
    int chosen = argc - 1;
    for (int i = 0; i + 1 < argc; i += 2)
        if (!args[i].null && args[i].type == KQ_BOOL && args[i].u.b) {
            chosen = i + 1;
            break;
        }
    return convert_to(ctx, &args[chosen], type);
}

static void bind_coalesce(const kq_type *args, int argc, kq_bind_result *result)
{
    kq_type common = KQ_TYPE_NONE;
    for (int i = 0; i < argc; i++) {
        kq_type merged = merge_type(common, args[i], false);
        if (merged == KQ_TYPE_NONE) {
            bind_fail(result, i, "the arguments of coalesce must share one type, but argument %d is %s and the ones before it are %s",
                      i + 1, kq_type_name(args[i]), kq_type_name(common));
            return;
        }
        common = merged;
    }
    result->type = common;
}

/* The first argument that is not null, and for strings not empty. */
static kq_value eval_coalesce(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_type type = common_value_type(args, argc, false);
    for (int i = 0; i < argc; i++) {
        kq_value v = convert_to(ctx, &args[i], type);
        if (type == KQ_STRING ? v.u.s.len > 0 : !v.null && !(type == KQ_DYNAMIC && v.u.d->kind == KQ_DYN_NULL))
            return v;
    }
    return kq_null(type);
}

/* ---- todecimal ---- */

/* Converts the way todouble() does and labels the result decimal (decimal is carried as real). */
static kq_value eval_todecimal(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_function *todouble = kq_function_find("todouble", 8);
    kq_value r = todouble ? todouble->eval(ctx, args, argc) : kq_null(KQ_REAL);
    r.type = KQ_DECIMAL;
    return r;
}

/* ---- beta distribution and Welch's t-test ---- */

static double log_beta(double a, double b)
{
    int sign;
    return lgamma_r(a, &sign) + lgamma_r(b, &sign) - lgamma_r(a + b, &sign);
}

/*
 * Evaluates the continued fraction 1 + d1 / (1 + d2 / (1 + ...)) with the
 * modified Lentz method, where d(2m+1) = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1))
 * and d(2m) = m(b-m)x / ((a+2m-1)(a+2m)). It converges quickly for
 * x < (a + 1) / (a + b + 2).
 */
static double incomplete_beta_fraction(double x, double a, double b)
{
    const double tiny = 1e-300;
    double f = 1, c = 1, d = 0;
    for (int j = 1; j <= 2000; j++) {
        int m = j / 2;
        double term = j % 2 ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                            : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        d = 1 + term * d;
        d = fabs(d) < tiny ? 1 / tiny : 1 / d;
        c = 1 + term / c;
        if (fabs(c) < tiny)
            c = tiny;
        double delta = c * d;
        f *= delta;
        if (fabs(delta - 1) < 1e-16)
            break;
    }
    return f;
}

/*
 * Computes the regularized incomplete beta function I_x(a, b), which is the
 * beta distribution's CDF: x^a (1-x)^b / (a B(a, b)) divided by the continued fraction.
 */
static double regularized_beta(double x, double a, double b)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    if (x > (a + 1) / (a + b + 2))
        return 1 - regularized_beta(1 - x, b, a);
    double front = exp(a * log(x) + b * log(1 - x) - log_beta(a, b)) / a;
    return front / incomplete_beta_fraction(x, a, b);
}

/* Reads three numeric arguments. Returns false when any is null. */
static bool three_reals(kq_eval_ctx *ctx, const kq_value *args, double *x, double *a, double *b)
{
    return real_arg(ctx, &args[0], x) && real_arg(ctx, &args[1], a) && real_arg(ctx, &args[2], b);
}

/* NaN for x outside (0, 1) or a parameter <= 0 (Kusto docs). */
static kq_value eval_beta_pdf(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    double x, a, b;
    if (!three_reals(ctx, args, &x, &a, &b))
        return kq_null(KQ_REAL);
    if (!(x > 0 && x < 1 && a > 0 && b > 0))
        return kq_real(NAN);
    return kq_real(exp((a - 1) * log(x) + (b - 1) * log(1 - x) - log_beta(a, b)));
}

/* NaN for x outside [0, 1] or a parameter outside (0, 10000] (Kusto docs). */
static kq_value eval_beta_cdf(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    double x, a, b;
    if (!three_reals(ctx, args, &x, &a, &b))
        return kq_null(KQ_REAL);
    if (!(x >= 0 && x <= 1 && a > 0 && a <= 10000 && b > 0 && b <= 10000))
        return kq_real(NAN);
    return kq_real(regularized_beta(x, a, b));
}

/*
 * Finds x with beta_cdf(x, a, b) = p by bisection, which works because the CDF increases on [0, 1].
 * NOTE: the Kusto docs' notes and example disagree on null versus NaN. This
 * follows the example: a probability outside (0, 1] gives null and a
 * parameter <= 0 gives NaN.
 */
static kq_value eval_beta_inv(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    double p, a, b;
    if (!three_reals(ctx, args, &p, &a, &b) || !(p > 0 && p <= 1))
        return kq_null(KQ_REAL);
    if (!(a > 0 && b > 0))
        return kq_real(NAN);
    /* The CDF rounds to 1 well before x = 1 for some parameters, so bisection would stop short. */
    if (p == 1)
        return kq_real(1);
    double low = 0, high = 1;
    for (int i = 0; i < 200 && high - low > 0; i++) {
        double middle = low + (high - low) / 2;
        if (middle <= low || middle >= high)
            break;
        if (regularized_beta(middle, a, b) < p)
            low = middle;
        else
            high = middle;
    }
    return kq_real(low + (high - low) / 2);
}

/*
 * Two-sided p-value of Welch's unequal-variances t-test: with
 * t = (mean1 - mean2) / sqrt(var1/n1 + var2/n2) and the Welch-Satterthwaite
 * degrees of freedom df, p = I_{df / (df + t^2)}(df / 2, 1 / 2).
 */
static kq_value eval_welch_test(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    double v[6];
    for (int i = 0; i < 6; i++)
        if (!real_arg(ctx, &args[i], &v[i]))
            return kq_null(KQ_REAL);
    double mean1 = v[0], var1 = v[1], n1 = v[2], mean2 = v[3], var2 = v[4], n2 = v[5];
    double se1 = var1 / n1, se2 = var2 / n2;
    double t = (mean1 - mean2) / sqrt(se1 + se2);
    double df = (se1 + se2) * (se1 + se2) / (se1 * se1 / (n1 - 1) + se2 * se2 / (n2 - 1));
    if (!isfinite(t) || !(df > 0))
        return kq_real(NAN);
    return kq_real(regularized_beta(df / (df + t * t), df / 2, 0.5));
}

/* ---- the table ---- */

#define FN(name, min, max, bind, eval, sig, doc) {name, min, max, bind, eval, sig, doc}

const kq_function kq_math_functions[] = {
    FN("abs", 1, 1, bind_abs, eval_abs, "abs(number or timespan)", "Absolute value. Integers give long, and abs of the smallest long is null."),
    FN("ceiling", 1, 1, bind_rounding, eval_ceiling, "ceiling(number)", "Smallest integer greater than or equal to the number, in the argument's type."),
    FN("round", 1, 2, bind_rounding, eval_round, "round(number [, precision])", "Rounds half away from zero to precision digits (default 0). A negative precision rounds left of the point."),
    FN("sqrt", 1, 1, bind_real, eval_sqrt, "sqrt(number) -> real", "Square root, or null for a negative number."),
    FN("pow", 2, 2, bind_real, eval_pow, "pow(base, exponent) -> real", "base raised to the power exponent."),
    FN("exp", 1, 1, bind_real, eval_exp, "exp(number) -> real", "e raised to the power of the number."),
    FN("exp2", 1, 1, bind_real, eval_exp2, "exp2(number) -> real", "2 raised to the power of the number."),
    FN("exp10", 1, 1, bind_real, eval_exp10, "exp10(number) -> real", "10 raised to the power of the number."),
    FN("log", 1, 1, bind_real, eval_log, "log(number) -> real", "Natural logarithm. A negative number gives null and 0 gives -Infinity."),
    FN("log2", 1, 1, bind_real, eval_log2, "log2(number) -> real", "Base-2 logarithm, or null for a negative number."),
    FN("log10", 1, 1, bind_real, eval_log10, "log10(number) -> real", "Base-10 logarithm, or null for a negative number."),
    FN("sign", 1, 1, bind_real, eval_sign, "sign(number) -> real", "-1, 0 or 1 by the sign of the number."),
    FN("isnan", 1, 1, bind_number_test, eval_isnan, "isnan(number) -> bool", "True for NaN."),
    FN("isinf", 1, 1, bind_number_test, eval_isinf, "isinf(number) -> bool", "True for positive or negative infinity."),
    FN("isfinite", 1, 1, bind_number_test, eval_isfinite, "isfinite(number) -> bool", "True unless the number is NaN or infinite."),
    FN("min_of", 2, 64, bind_extreme, eval_min_of, "min_of(arg, arg_2, ...)", "Smallest argument, ignoring nulls. All nulls give null."),
    FN("max_of", 2, 64, bind_extreme, eval_max_of, "max_of(arg, arg_2, ...)", "Largest argument, ignoring nulls. All nulls give null."),
    FN("case", 3, -1, bind_case, eval_case, "case(predicate, then, ..., else)", "Value of the first true predicate, else the last argument. All values share one type."),
    FN("coalesce", 2, 64, bind_coalesce, eval_coalesce, "coalesce(arg, arg_2, ...)", "First argument that is not null (not empty for strings). All arguments share one type."),
    FN("binary_and", 2, 2, bind_bits, eval_binary_and, "binary_and(long, long) -> long", "Bitwise AND."),
    FN("binary_or", 2, 2, bind_bits, eval_binary_or, "binary_or(long, long) -> long", "Bitwise OR."),
    FN("binary_xor", 2, 2, bind_bits, eval_binary_xor, "binary_xor(long, long) -> long", "Bitwise exclusive OR."),
    FN("binary_not", 1, 1, bind_bits, eval_binary_not, "binary_not(long) -> long", "Bitwise complement of the 64-bit value."),
    FN("binary_shift_left", 2, 2, bind_bits, eval_shift_left, "binary_shift_left(value, shift) -> long", "value << (shift % 64), or null for a negative shift."),
    FN("binary_shift_right", 2, 2, bind_bits, eval_shift_right, "binary_shift_right(value, shift) -> long", "Arithmetic value >> (shift % 64), or null for a negative shift."),
    FN("bitset_count_ones", 1, 1, bind_bits, eval_bitset_count_ones, "bitset_count_ones(long) -> long", "Number of set bits in the 64-bit two's complement value."),
    FN("pi", 0, 0, bind_no_args_real, eval_pi, "pi() -> real", "The constant pi."),
    FN("degrees", 1, 1, bind_real, eval_degrees, "degrees(radians) -> real", "Converts radians to degrees."),
    FN("radians", 1, 1, bind_real, eval_radians, "radians(degrees) -> real", "Converts degrees to radians."),
    FN("sin", 1, 1, bind_real, eval_sin, "sin(radians) -> real", "Sine."),
    FN("cos", 1, 1, bind_real, eval_cos, "cos(radians) -> real", "Cosine."),
    FN("tan", 1, 1, bind_real, eval_tan, "tan(radians) -> real", "Tangent."),
    FN("cot", 1, 1, bind_real, eval_cot, "cot(radians) -> real", "Cotangent, 1 / tan(x)."),
    FN("asin", 1, 1, bind_real, eval_asin, "asin(number) -> real", "Arc sine in radians, or null outside [-1, 1]."),
    FN("acos", 1, 1, bind_real, eval_acos, "acos(number) -> real", "Arc cosine in radians, or null outside [-1, 1]."),
    FN("atan", 1, 1, bind_real, eval_atan, "atan(number) -> real", "Arc tangent in radians."),
    FN("atan2", 2, 2, bind_real, eval_atan2, "atan2(y, x) -> real", "Angle in radians between the positive x axis and the point (x, y)."),
    FN("erf", 1, 1, bind_real, eval_erf, "erf(number) -> real", "Error function."),
    FN("erfc", 1, 1, bind_real, eval_erfc, "erfc(number) -> real", "Complementary error function, 1 - erf(x)."),
    FN("around", 3, 3, bind_around, eval_around, "around(value, center, delta) -> bool",
       "True when value is within delta of center, both ends included; null when any argument is null."),
    FN("gamma", 1, 1, bind_real, eval_gamma, "gamma(number) -> real", "Gamma function."),
    FN("loggamma", 1, 1, bind_real, eval_loggamma, "loggamma(number) -> real", "Natural logarithm of the absolute value of the gamma function."),
    FN("beta_pdf", 3, 3, bind_real, eval_beta_pdf, "beta_pdf(x, alpha, beta) -> real", "Beta probability density. NaN for x outside (0, 1) or a parameter <= 0."),
    FN("beta_cdf", 3, 3, bind_real, eval_beta_cdf, "beta_cdf(x, alpha, beta) -> real", "Beta cumulative distribution. NaN for x outside [0, 1] or a parameter outside (0, 10000]."),
    FN("beta_inv", 3, 3, bind_real, eval_beta_inv, "beta_inv(probability, alpha, beta) -> real", "Inverse of beta_cdf(). Null for a probability outside (0, 1] and NaN for a parameter <= 0."),
    FN("welch_test", 6, 6, bind_real, eval_welch_test, "welch_test(mean1, variance1, count1, mean2, variance2, count2) -> real", "Two-sided p-value of Welch's unequal-variances t-test."),
    FN("todecimal", 1, 1, bind_todecimal, eval_todecimal, "todecimal(x) -> decimal", "Converts like todouble(). kqlite carries decimal as a 64-bit real, so the result has double precision, not 128-bit decimal precision."),
    FN("series_add", 2, 2, kq_series_bind_binary, kq_series_add, "series_add(series1, series2) -> dynamic", "Element-wise sum. A numeric scalar side is repeated. Missing or non-numeric elements give null."),
    FN("series_subtract", 2, 2, kq_series_bind_binary, kq_series_subtract, "series_subtract(series1, series2) -> dynamic", "Element-wise difference. Missing or non-numeric elements give null."),
    FN("series_multiply", 2, 2, kq_series_bind_binary, kq_series_multiply, "series_multiply(series1, series2) -> dynamic", "Element-wise product. Missing or non-numeric elements give null."),
    FN("series_divide", 2, 2, kq_series_bind_binary, kq_series_divide, "series_divide(series1, series2) -> dynamic", "Element-wise real division (x/0 is Infinity or NaN). Missing or non-numeric elements give null."),
    FN("series_pow", 2, 2, kq_series_bind_binary, kq_series_pow, "series_pow(series1, series2) -> dynamic", "Element-wise power as real."),
    FN("series_greater", 2, 2, kq_series_bind_binary, kq_series_greater, "series_greater(series1, series2) -> dynamic", "Element-wise >, as bools."),
    FN("series_greater_equals", 2, 2, kq_series_bind_binary, kq_series_greater_equals, "series_greater_equals(series1, series2) -> dynamic", "Element-wise >=, as bools."),
    FN("series_less", 2, 2, kq_series_bind_binary, kq_series_less, "series_less(series1, series2) -> dynamic", "Element-wise <, as bools."),
    FN("series_less_equals", 2, 2, kq_series_bind_binary, kq_series_less_equals, "series_less_equals(series1, series2) -> dynamic", "Element-wise <=, as bools."),
    FN("series_equals", 2, 2, kq_series_bind_binary, kq_series_equals, "series_equals(series1, series2) -> dynamic", "Element-wise ==, as bools."),
    FN("series_not_equals", 2, 2, kq_series_bind_binary, kq_series_not_equals, "series_not_equals(series1, series2) -> dynamic", "Element-wise !=, as bools."),
    FN("series_abs", 1, 1, kq_series_bind_unary, kq_series_abs, "series_abs(series) -> dynamic", "Element-wise abs()."),
    FN("series_ceiling", 1, 1, kq_series_bind_unary, kq_series_ceiling, "series_ceiling(series) -> dynamic", "Element-wise ceiling()."),
    FN("series_floor", 1, 1, kq_series_bind_unary, kq_series_floor, "series_floor(series) -> dynamic", "Element-wise floor()."),
    FN("series_sign", 1, 1, kq_series_bind_unary, kq_series_sign, "series_sign(series) -> dynamic", "Element-wise sign: -1, 0 or 1."),
    FN("series_exp", 1, 1, kq_series_bind_unary, kq_series_exp, "series_exp(series) -> dynamic", "Element-wise exp()."),
    FN("series_log", 1, 1, kq_series_bind_unary, kq_series_log, "series_log(series) -> dynamic", "Element-wise natural logarithm, with null for a negative element."),
    FN("series_cos", 1, 1, kq_series_bind_unary, kq_series_cos, "series_cos(series) -> dynamic", "Element-wise cos()."),
    FN("series_sin", 1, 1, kq_series_bind_unary, kq_series_sin, "series_sin(series) -> dynamic", "Element-wise sin()."),
    FN("series_tan", 1, 1, kq_series_bind_unary, kq_series_tan, "series_tan(series) -> dynamic", "Element-wise tan()."),
    FN("series_acos", 1, 1, kq_series_bind_unary, kq_series_acos, "series_acos(series) -> dynamic", "Element-wise acos(), with null outside [-1, 1]."),
    FN("series_asin", 1, 1, kq_series_bind_unary, kq_series_asin, "series_asin(series) -> dynamic", "Element-wise asin(), with null outside [-1, 1]."),
    FN("series_atan", 1, 1, kq_series_bind_unary, kq_series_atan, "series_atan(series) -> dynamic", "Element-wise atan()."),
    FN("series_sum", 1, 1, kq_series_bind_reduce, kq_series_sum, "series_sum(series) -> real", "Sum of the numeric elements."),
    FN("series_product", 1, 1, kq_series_bind_reduce, kq_series_product, "series_product(series) -> real", "Product of the numeric elements."),
    FN("series_magnitude", 1, 1, kq_series_bind_reduce, kq_series_magnitude, "series_magnitude(series) -> real", "Euclidean norm of the numeric elements, or null for an empty series."),
    FN("series_dot_product", 2, 2, kq_series_bind_pair_real, kq_series_dot_product, "series_dot_product(series1, series2) -> real", "Dot product over the shorter length, skipping non-numeric elements. An empty series gives null."),
    FN("series_cosine_similarity", 2, 2, kq_series_bind_arrays_real, kq_series_cosine_similarity, "series_cosine_similarity(series1, series2) -> real", "Cosine similarity over the shorter length. An empty series gives null."),
    FN("series_pearson_correlation", 2, 2, kq_series_bind_arrays_real, kq_series_pearson_correlation, "series_pearson_correlation(series1, series2) -> real", "Pearson correlation coefficient. Different lengths or a non-numeric element give null."),
    FN("series_stats_dynamic", 1, 2, kq_series_bind_stats, kq_series_stats_dynamic, "series_stats_dynamic(series [, ignore_nonfinite]) -> dynamic", "Bag of min, min_idx, max, max_idx, avg, stdev, variance, sum and len."),
    FN("series_fill_const", 2, 3, kq_series_bind_fill_const, kq_series_fill_const, "series_fill_const(series, constant [, missing_value])", "Replaces missing elements (null by default) with the constant."),
    FN("series_fill_forward", 1, 2, kq_series_bind_fill_directional, kq_series_fill_forward, "series_fill_forward(series [, missing_value])", "Replaces missing elements with the nearest value on their left."),
    FN("series_fill_backward", 1, 2, kq_series_bind_fill_directional, kq_series_fill_backward, "series_fill_backward(series [, missing_value])", "Replaces missing elements with the nearest value on their right."),
    FN("series_fill_linear", 1, 4, kq_series_bind_fill_linear, kq_series_fill_linear, "series_fill_linear(series [, missing_value [, fill_edges [, constant]]])", "Linear interpolation of missing elements. Integer series give truncated values."),
    FN("series_seasonal", 1, 2, kq_series_bind_seasonal, kq_series_seasonal, "series_seasonal(series, period) -> dynamic",
       "Each element replaced by the median of the elements at the same phase (index modulo period); the period is required."),
    FN("series_fir", 2, 4, kq_series_bind_fir, kq_series_fir, "series_fir(series, filter [, normalize [, center]])", "Finite impulse response filter. Samples outside the series count as 0."),
    FN("series_iir", 3, 3, kq_series_bind_iir, kq_series_iir, "series_iir(series, numerators, denominators)", "Infinite impulse response filter. denominators[0] = 0 gives null."),
};
const size_t kq_math_function_count = KQ_ARRAY_LEN(kq_math_functions);
