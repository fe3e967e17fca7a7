/*
 * series_* functions over dynamic numeric arrays: element-wise arithmetic,
 * comparisons and math, whole-series reductions, filling of missing values
 * and FIR/IIR filters. Registered in the table of math_functions.c.
 *
 * An element counts as numeric when it is a JSON long or real; null, bool,
 * string, array and object elements are non-numeric. Element-wise results
 * keep long for long inputs where Kusto does (add, subtract, multiply, abs,
 * sign, ceiling, floor) and are real otherwise.
 */
#include "functions/math_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- binding ---- */

static void bind_fail(kq_bind_result *result, int arg, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vsnprintf(result->error, sizeof result->error, format, ap);
    va_end(ap);
    result->error_arg = arg;
    result->type = KQ_TYPE_NONE;
}

static bool expect_dynamic(const kq_type *args, int index, kq_bind_result *result)
{
    if (args[index] == KQ_DYNAMIC)
        return true;
    bind_fail(result, index, "argument %d must be a dynamic array of numbers, not %s", index + 1,
              kq_type_name(args[index]));
    return false;
}

static bool expect_number(const kq_type *args, int argc, int index, kq_bind_result *result)
{
    if (index >= argc || kq_type_is_numeric(args[index]))
        return true;
    bind_fail(result, index, "argument %d must be a number, not %s", index + 1, kq_type_name(args[index]));
    return false;
}

static bool expect_bool(const kq_type *args, int argc, int index, kq_bind_result *result)
{
    if (index >= argc || args[index] == KQ_BOOL)
        return true;
    bind_fail(result, index, "argument %d must be bool, not %s", index + 1, kq_type_name(args[index]));
    return false;
}

/* Two series, or a series and a numeric scalar in either order. */
static bool bind_series_pair(const kq_type *args, kq_bind_result *result)
{
    for (int i = 0; i < 2; i++)
        if (args[i] != KQ_DYNAMIC && !kq_type_is_numeric(args[i])) {
            bind_fail(result, i, "argument %d must be a dynamic array or a number, not %s", i + 1,
                      kq_type_name(args[i]));
            return false;
        }
    if (args[0] != KQ_DYNAMIC && args[1] != KQ_DYNAMIC) {
        bind_fail(result, 0, "at least one argument must be a dynamic array, not %s and %s",
                  kq_type_name(args[0]), kq_type_name(args[1]));
        return false;
    }
    return true;
}

void kq_series_bind_binary(const kq_type *args, int argc, kq_bind_result *result)
{
    if (bind_series_pair(args, result))
        result->type = KQ_DYNAMIC;
}

void kq_series_bind_pair_real(const kq_type *args, int argc, kq_bind_result *result)
{
    if (bind_series_pair(args, result))
        result->type = KQ_REAL;
}

void kq_series_bind_unary(const kq_type *args, int argc, kq_bind_result *result)
{
    if (expect_dynamic(args, 0, result))
        result->type = KQ_DYNAMIC;
}

void kq_series_bind_reduce(const kq_type *args, int argc, kq_bind_result *result)
{
    if (expect_dynamic(args, 0, result))
        result->type = KQ_REAL;
}

void kq_series_bind_arrays_real(const kq_type *args, int argc, kq_bind_result *result)
{
    if (expect_dynamic(args, 0, result) && expect_dynamic(args, 1, result))
        result->type = KQ_REAL;
}

void kq_series_bind_stats(const kq_type *args, int argc, kq_bind_result *result)
{
    if (expect_dynamic(args, 0, result) && expect_bool(args, argc, 1, result))
        result->type = KQ_DYNAMIC;
}

void kq_series_bind_fill_const(const kq_type *args, int argc, kq_bind_result *result)
{
    if (expect_dynamic(args, 0, result) && expect_number(args, argc, 1, result) &&
        expect_number(args, argc, 2, result))
        result->type = KQ_DYNAMIC;
}

void kq_series_bind_fill_directional(const kq_type *args, int argc, kq_bind_result *result)
{
    if (expect_dynamic(args, 0, result) && expect_number(args, argc, 1, result))
        result->type = KQ_DYNAMIC;
}

void kq_series_bind_fill_linear(const kq_type *args, int argc, kq_bind_result *result)
{
    if (expect_dynamic(args, 0, result) && expect_number(args, argc, 1, result) &&
        expect_bool(args, argc, 2, result) && expect_number(args, argc, 3, result))
        result->type = KQ_DYNAMIC;
}

void kq_series_bind_fir(const kq_type *args, int argc, kq_bind_result *result)
{
    if (expect_dynamic(args, 0, result) && expect_dynamic(args, 1, result) &&
        expect_bool(args, argc, 2, result) && expect_bool(args, argc, 3, result))
        result->type = KQ_DYNAMIC;
}

void kq_series_bind_iir(const kq_type *args, int argc, kq_bind_result *result)
{
    if (expect_dynamic(args, 0, result) && expect_dynamic(args, 1, result) && expect_dynamic(args, 2, result))
        result->type = KQ_DYNAMIC;
}

/* ---- reading elements and operands ---- */

typedef struct number {
    bool integer; /* a JSON long or an int/long scalar, so l is exact */
    int64_t l;
    double r;     /* the value as a double, set for every number */
} number;

static bool element_number(const kq_dyn *item, number *out)
{
    if (item && item->kind == KQ_DYN_LONG) {
        *out = (number){.integer = true, .l = item->u.l, .r = (double)item->u.l};
        return true;
    }
    if (item && item->kind == KQ_DYN_REAL) {
        *out = (number){.integer = false, .r = item->u.r};
        return true;
    }
    return false;
}

static bool value_number(const kq_value *v, number *out)
{
    if (v->null)
        return false;
    if (v->type == KQ_DYNAMIC)
        return element_number(v->u.d, out);
    if (kq_type_is_integer(v->type)) {
        *out = (number){.integer = true, .l = v->u.l, .r = (double)v->u.l};
        return true;
    }
    if (v->type == KQ_REAL || v->type == KQ_DECIMAL) {
        *out = (number){.integer = false, .r = v->u.r};
        return true;
    }
    return false;
}

/* The array of a series argument, or NULL when the argument is not a dynamic array. */
static const kq_dyn *series_of(const kq_value *v)
{
    if (v->null || v->type != KQ_DYNAMIC || !v->u.d || v->u.d->kind != KQ_DYN_ARRAY)
        return NULL;
    return v->u.d;
}

/* One side of a binary series function: an array, or a numeric scalar repeated. */
typedef struct operand {
    const kq_dyn *array;
    number scalar;
} operand;

static bool read_operand(const kq_value *v, operand *out)
{
    out->array = series_of(v);
    return out->array || value_number(v, &out->scalar);
}

static bool operand_at(const operand *op, uint32_t i, number *out)
{
    if (!op->array) {
        *out = op->scalar;
        return true;
    }
    return i < op->array->count && element_number(op->array->u.items[i], out);
}

/* ---- building results ---- */

/* Allocates an array of count elements. cells[i] is element i and starts as JSON null. */
static kq_dyn *new_array(kq_arena *arena, uint32_t count, kq_dyn **cells)
{
    kq_dyn *array = kq_arena_alloc(arena, sizeof *array);
    array->kind = KQ_DYN_ARRAY;
    array->count = count;
    array->u.items = kq_arena_alloc(arena, (count ? count : 1) * sizeof(kq_dyn *));
    *cells = kq_arena_alloc(arena, (count ? count : 1) * sizeof(kq_dyn));
    for (uint32_t i = 0; i < count; i++)
        array->u.items[i] = &(*cells)[i];
    return array;
}

static void set_long(kq_dyn *cell, int64_t l)
{
    cell->kind = KQ_DYN_LONG;
    cell->u.l = l;
}

static void set_real(kq_dyn *cell, double r)
{
    cell->kind = KQ_DYN_REAL;
    cell->u.r = r;
}

static void set_bool(kq_dyn *cell, bool b)
{
    cell->kind = KQ_DYN_BOOL;
    cell->u.b = b;
}

/* ---- element-wise binary functions ---- */

typedef void (*binary_op)(const number *a, const number *b, kq_dyn *cell);

/* Long arithmetic wraps on overflow (two's complement). */
static void op_add(const number *a, const number *b, kq_dyn *cell)
{
    if (a->integer && b->integer)
        set_long(cell, (int64_t)((uint64_t)a->l + (uint64_t)b->l));
    else
        set_real(cell, a->r + b->r);
}

static void op_subtract(const number *a, const number *b, kq_dyn *cell)
{
    if (a->integer && b->integer)
        set_long(cell, (int64_t)((uint64_t)a->l - (uint64_t)b->l));
    else
        set_real(cell, a->r - b->r);
}

static void op_multiply(const number *a, const number *b, kq_dyn *cell)
{
    if (a->integer && b->integer)
        set_long(cell, (int64_t)((uint64_t)a->l * (uint64_t)b->l));
    else
        set_real(cell, a->r * b->r);
}

/* Always real, so x/0 is Infinity, -Infinity or NaN (Kusto docs). */
static void op_divide(const number *a, const number *b, kq_dyn *cell) { set_real(cell, a->r / b->r); }
static void op_pow(const number *a, const number *b, kq_dyn *cell) { set_real(cell, pow(a->r, b->r)); }

/* Returns <0, 0 or >0 and compares longs exactly. A NaN operand sets *unordered. */
static int compare_numbers(const number *a, const number *b, bool *unordered)
{
    *unordered = false;
    if (a->integer && b->integer)
        return a->l < b->l ? -1 : a->l > b->l;
    if (isnan(a->r) || isnan(b->r)) {
        *unordered = true;
        return 0;
    }
    return a->r < b->r ? -1 : a->r > b->r;
}

#define COMPARE_OP(fname, test, if_unordered)                                      \
    static void fname(const number *a, const number *b, kq_dyn *cell)              \
    {                                                                              \
        bool unordered;                                                            \
        int c = compare_numbers(a, b, &unordered);                                 \
        set_bool(cell, unordered ? if_unordered : (test));                         \
    }
COMPARE_OP(op_greater, c > 0, false)
COMPARE_OP(op_greater_equals, c >= 0, false)
COMPARE_OP(op_less, c < 0, false)
COMPARE_OP(op_less_equals, c <= 0, false)
COMPARE_OP(op_equals, c == 0, false)
COMPARE_OP(op_not_equals, c != 0, true)

/* The result is as long as the longer array. A missing or non-numeric element gives null. */
static kq_value series_binary(kq_eval_ctx *ctx, const kq_value *args, binary_op op)
{
    operand a, b;
    if (!read_operand(&args[0], &a) || !read_operand(&args[1], &b) || (!a.array && !b.array))
        return kq_dynamic(NULL);
    uint32_t count = 0;
    if (a.array)
        count = a.array->count;
    if (b.array && b.array->count > count)
        count = b.array->count;
    kq_dyn *cells;
    kq_dyn *result = new_array(ctx->arena, count, &cells);
    for (uint32_t i = 0; i < count; i++) {
        number x, y;
        if (operand_at(&a, i, &x) && operand_at(&b, i, &y))
            op(&x, &y, &cells[i]);
    }
    return kq_dynamic(result);
}

#define SERIES_BINARY(fname, op)                                                   \
    kq_value fname(kq_eval_ctx *ctx, const kq_value *args, int argc)               \
    {                                                                              \
        return series_binary(ctx, args, op);                                       \
    }
SERIES_BINARY(kq_series_add, op_add)
SERIES_BINARY(kq_series_subtract, op_subtract)
SERIES_BINARY(kq_series_multiply, op_multiply)
SERIES_BINARY(kq_series_divide, op_divide)
SERIES_BINARY(kq_series_pow, op_pow)
SERIES_BINARY(kq_series_greater, op_greater)
SERIES_BINARY(kq_series_greater_equals, op_greater_equals)
SERIES_BINARY(kq_series_less, op_less)
SERIES_BINARY(kq_series_less_equals, op_less_equals)
SERIES_BINARY(kq_series_equals, op_equals)
SERIES_BINARY(kq_series_not_equals, op_not_equals)

/* ---- element-wise unary functions ---- */

typedef void (*unary_op)(const number *x, kq_dyn *cell);

/* The absolute value of the smallest long does not fit in a long, so it stays null. */
static void op_abs(const number *x, kq_dyn *cell)
{
    if (!x->integer)
        set_real(cell, fabs(x->r));
    else if (x->l != INT64_MIN)
        set_long(cell, x->l < 0 ? -x->l : x->l);
}

static void op_ceiling(const number *x, kq_dyn *cell)
{
    if (x->integer)
        set_long(cell, x->l);
    else
        set_real(cell, ceil(x->r));
}

static void op_floor(const number *x, kq_dyn *cell)
{
    if (x->integer)
        set_long(cell, x->l);
    else
        set_real(cell, floor(x->r));
}

static void op_sign(const number *x, kq_dyn *cell)
{
    if (!x->integer) {
        set_real(cell, x->r > 0 ? 1.0 : (x->r < 0 ? -1.0 : x->r));
        return;
    }
    int64_t sign = 0;
    if (x->l > 0)
        sign = 1;
    else if (x->l < 0)
        sign = -1;
    set_long(cell, sign);
}

/* Like the scalar log(): null for a negative element. */
static void op_log(const number *x, kq_dyn *cell)
{
    if (!(x->r < 0))
        set_real(cell, log(x->r));
}

/* Like the scalar acos() and asin(): null outside [-1, 1]. */
static void op_acos(const number *x, kq_dyn *cell)
{
    if (x->r >= -1 && x->r <= 1)
        set_real(cell, acos(x->r));
}

static void op_asin(const number *x, kq_dyn *cell)
{
    if (x->r >= -1 && x->r <= 1)
        set_real(cell, asin(x->r));
}

static void op_exp(const number *x, kq_dyn *cell) { set_real(cell, exp(x->r)); }
static void op_cos(const number *x, kq_dyn *cell) { set_real(cell, cos(x->r)); }
static void op_sin(const number *x, kq_dyn *cell) { set_real(cell, sin(x->r)); }
static void op_tan(const number *x, kq_dyn *cell) { set_real(cell, tan(x->r)); }
static void op_atan(const number *x, kq_dyn *cell) { set_real(cell, atan(x->r)); }

static kq_value series_unary(kq_eval_ctx *ctx, const kq_value *arg, unary_op op)
{
    const kq_dyn *series = series_of(arg);
    if (!series)
        return kq_dynamic(NULL);
    kq_dyn *cells;
    kq_dyn *result = new_array(ctx->arena, series->count, &cells);
    for (uint32_t i = 0; i < series->count; i++) {
        number x;
        if (element_number(series->u.items[i], &x))
            op(&x, &cells[i]);
    }
    return kq_dynamic(result);
}

#define SERIES_UNARY(fname, op)                                                    \
    kq_value fname(kq_eval_ctx *ctx, const kq_value *args, int argc)               \
    {                                                                              \
        return series_unary(ctx, &args[0], op);                                    \
    }
SERIES_UNARY(kq_series_abs, op_abs)
SERIES_UNARY(kq_series_ceiling, op_ceiling)
SERIES_UNARY(kq_series_floor, op_floor)
SERIES_UNARY(kq_series_sign, op_sign)
SERIES_UNARY(kq_series_exp, op_exp)
SERIES_UNARY(kq_series_log, op_log)
SERIES_UNARY(kq_series_cos, op_cos)
SERIES_UNARY(kq_series_sin, op_sin)
SERIES_UNARY(kq_series_tan, op_tan)
SERIES_UNARY(kq_series_acos, op_acos)
SERIES_UNARY(kq_series_asin, op_asin)
SERIES_UNARY(kq_series_atan, op_atan)

/* ---- reductions ---- */

/* Non-numeric elements are skipped. */
kq_value kq_series_sum(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *series = series_of(&args[0]);
    if (!series)
        return kq_null(KQ_REAL);
    double sum = 0;
    for (uint32_t i = 0; i < series->count; i++) {
        number x;
        if (element_number(series->u.items[i], &x))
            sum += x.r;
    }
    return kq_real(sum);
}

kq_value kq_series_product(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *series = series_of(&args[0]);
    if (!series)
        return kq_null(KQ_REAL);
    double product = 1;
    for (uint32_t i = 0; i < series->count; i++) {
        number x;
        if (element_number(series->u.items[i], &x))
            product *= x.r;
    }
    return kq_real(product);
}

/* Sums of x*y, x*x and y*y over the pairs where both elements are numeric. */
typedef struct pair_sums {
    double xy, xx, yy;
    uint32_t length; /* pairs considered: the shorter array's length */
} pair_sums;

static bool sum_pairs(const kq_value *args, pair_sums *sums)
{
    operand a, b;
    if (!read_operand(&args[0], &a) || !read_operand(&args[1], &b) || (!a.array && !b.array))
        return false;
    uint32_t length = a.array ? a.array->count : b.array->count;
    if (a.array && b.array && b.array->count < length)
        length = b.array->count;
    *sums = (pair_sums){.length = length};
    for (uint32_t i = 0; i < length; i++) {
        number x, y;
        if (!operand_at(&a, i, &x) || !operand_at(&b, i, &y))
            continue;
        sums->xy += x.r * y.r;
        sums->xx += x.r * x.r;
        sums->yy += y.r * y.r;
    }
    return true;
}

/* Equivalent to sqrt(series_dot_product(series, series)), so an empty series gives null. */
kq_value kq_series_magnitude(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_value pair[2] = {args[0], args[0]};
    pair_sums sums;
    if (!series_of(&args[0]) || !sum_pairs(pair, &sums) || sums.length == 0)
        return kq_null(KQ_REAL);
    return kq_real(sqrt(sums.xx));
}

kq_value kq_series_dot_product(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    pair_sums sums;
    if (!sum_pairs(args, &sums) || sums.length == 0)
        return kq_null(KQ_REAL);
    return kq_real(sums.xy);
}

kq_value kq_series_cosine_similarity(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    pair_sums sums;
    if (!series_of(&args[0]) || !series_of(&args[1]) || !sum_pairs(args, &sums) || sums.length == 0)
        return kq_null(KQ_REAL);
    return kq_real(sums.xy / (sqrt(sums.xx) * sqrt(sums.yy)));
}

/* Null when the lengths differ or any element is non-numeric (Kusto docs). */
kq_value kq_series_pearson_correlation(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *a = series_of(&args[0]), *b = series_of(&args[1]);
    if (!a || !b || a->count != b->count || a->count == 0)
        return kq_null(KQ_REAL);
    double mean_x = 0, mean_y = 0;
    for (uint32_t i = 0; i < a->count; i++) {
        number x, y;
        if (!element_number(a->u.items[i], &x) || !element_number(b->u.items[i], &y))
            return kq_null(KQ_REAL);
        mean_x += x.r;
        mean_y += y.r;
    }
    mean_x /= a->count;
    mean_y /= a->count;
    double sxy = 0, sxx = 0, syy = 0;
    for (uint32_t i = 0; i < a->count; i++) {
        number x = {0}, y = {0};
        element_number(a->u.items[i], &x);
        element_number(b->u.items[i], &y);
        sxy += (x.r - mean_x) * (y.r - mean_y);
        sxx += (x.r - mean_x) * (x.r - mean_x);
        syy += (y.r - mean_y) * (y.r - mean_y);
    }
    return kq_real(sxy / sqrt(sxx * syy));
}

/* ---- series_stats_dynamic ---- */

typedef struct series_stats {
    bool valid;   /* false when a non-finite value was found and is not ignored */
    uint32_t used;
    double min, max, sum, sum_squares;
    int64_t min_idx, max_idx;
} series_stats;

static void compute_stats(const kq_dyn *series, bool ignore_nonfinite, series_stats *stats)
{
    *stats = (series_stats){.valid = true};
    for (uint32_t i = 0; i < series->count; i++) {
        number x;
        if (!element_number(series->u.items[i], &x) || !isfinite(x.r)) {
            if (!ignore_nonfinite)
                stats->valid = false;
            continue;
        }
        if (stats->used == 0 || x.r < stats->min) {
            stats->min = x.r;
            stats->min_idx = i;
        }
        if (stats->used == 0 || x.r > stats->max) {
            stats->max = x.r;
            stats->max_idx = i;
        }
        stats->sum += x.r;
        stats->sum_squares += x.r * x.r;
        stats->used++;
    }
}

/*
 * NOTE: the docs say a non-finite element gives null unless ignore_nonfinite
 * is true; here that makes every statistic null while len stays the array
 * length. With ignore_nonfinite, len counts the finite values used.
 */
kq_value kq_series_stats_dynamic(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *series = series_of(&args[0]);
    if (!series)
        return kq_dynamic(NULL);
    bool ignore = argc > 1 && !args[1].null && args[1].u.b;
    series_stats stats;
    compute_stats(series, ignore, &stats);
    static const char *const names[] = {"min", "min_idx", "max", "max_idx", "avg", "stdev", "variance", "sum", "len"};
    enum { FIELDS = 9 };
    kq_dyn *bag = kq_arena_alloc(ctx->arena, sizeof *bag);
    kq_dyn *cells = kq_arena_alloc(ctx->arena, FIELDS * sizeof *cells);
    bag->kind = KQ_DYN_OBJECT;
    bag->count = FIELDS;
    bag->u.members = kq_arena_alloc(ctx->arena, FIELDS * sizeof(kq_dyn_member));
    for (int i = 0; i < FIELDS; i++) {
        bag->u.members[i].key = (kq_str){names[i], (uint32_t)strlen(names[i])};
        bag->u.members[i].value = &cells[i];
    }
    set_long(&cells[8], stats.valid ? stats.used : series->count);
    if (!stats.valid || stats.used == 0)
        return kq_dynamic(bag);
    /*
     * Sample variance (n - 1) from the sums, (n * sum(x^2) - sum(x)^2) / (n * (n - 1)):
     * this order of operations reproduces the digits of the Kusto docs' example.
     * A single value gets variance 0 because n - 1 would be 0.
     */
    double n = stats.used;
    double variance = stats.used > 1 ? (n * stats.sum_squares - stats.sum * stats.sum) / (n * (n - 1)) : 0;
    if (variance < 0)
        variance = 0;
    set_real(&cells[0], stats.min);
    set_long(&cells[1], stats.min_idx);
    set_real(&cells[2], stats.max);
    set_long(&cells[3], stats.max_idx);
    set_real(&cells[4], stats.sum / stats.used);
    set_real(&cells[5], sqrt(variance));
    set_real(&cells[6], variance);
    set_real(&cells[7], stats.sum);
    return kq_dynamic(bag);
}

/* ---- filling missing values ---- */

/* Which elements count as missing: JSON null by default, or elements equal to a number. */
typedef struct placeholder {
    bool is_null;
    double value;
} placeholder;

static placeholder read_placeholder(const kq_value *args, int argc, int index)
{
    placeholder p = {.is_null = true};
    number n;
    if (index < argc && value_number(&args[index], &n)) {
        p.is_null = false;
        p.value = n.r;
    }
    return p;
}

static bool is_missing(const kq_dyn *item, const placeholder *p)
{
    if (p->is_null)
        return !item || item->kind == KQ_DYN_NULL;
    number n;
    return element_number(item, &n) && n.r == p->value;
}

/* A copy of the series' item pointers: kept elements are shared, not copied. */
static kq_dyn *copy_series(kq_arena *arena, const kq_dyn *series)
{
    kq_dyn *result = kq_arena_alloc(arena, sizeof *result);
    result->kind = KQ_DYN_ARRAY;
    result->count = series->count;
    result->u.items = kq_arena_alloc(arena, (series->count ? series->count : 1) * sizeof(kq_dyn *));
    for (uint32_t i = 0; i < series->count; i++)
        result->u.items[i] = series->u.items[i];
    return result;
}

kq_value kq_series_fill_const(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *series = series_of(&args[0]);
    if (!series)
        return kq_dynamic(NULL);
    placeholder p = read_placeholder(args, argc, 2);
    const kq_dyn *constant = kq_dyn_from_value(ctx->arena, &args[1]);
    kq_dyn *result = copy_series(ctx->arena, series);
    for (uint32_t i = 0; i < series->count; i++)
        if (is_missing(series->u.items[i], &p))
            result->u.items[i] = constant;
    return kq_dynamic(result);
}

/* Fills each missing element with the nearest kept element in the direction of travel. */
static kq_value fill_directional(kq_eval_ctx *ctx, const kq_value *args, int argc, bool forward)
{
    const kq_dyn *series = series_of(&args[0]);
    if (!series)
        return kq_dynamic(NULL);
    placeholder p = read_placeholder(args, argc, 1);
    kq_dyn *result = copy_series(ctx->arena, series);
    const kq_dyn *last = NULL;
    for (uint32_t step = 0; step < series->count; step++) {
        uint32_t i = forward ? step : series->count - 1 - step;
        if (!is_missing(series->u.items[i], &p))
            last = series->u.items[i];
        else if (last)
            result->u.items[i] = last;
    }
    return kq_dynamic(result);
}

kq_value kq_series_fill_forward(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return fill_directional(ctx, args, argc, true);
}

kq_value kq_series_fill_backward(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return fill_directional(ctx, args, argc, false);
}

/* True when element i is a numeric value that interpolation can start or end at. */
static bool is_anchor(const kq_dyn *series, uint32_t i, const placeholder *p, number *out)
{
    return !is_missing(series->u.items[i], p) && element_number(series->u.items[i], out);
}

/* Stores an interpolated value. Integer series are truncated, as the Kusto docs' example shows. */
static void set_interpolated(kq_dyn *cell, double value, bool integer_series)
{
    if (integer_series && value >= -9.2e18 && value <= 9.2e18)
        set_long(cell, (int64_t)value);
    else
        set_real(cell, value);
}

/* Fills a series with no anchor: every missing element becomes the constant. */
static kq_dyn *fill_without_anchors(kq_eval_ctx *ctx, const kq_dyn *series, const kq_value *args,
                                    int argc, const placeholder *p)
{
    const kq_dyn *constant;
    if (argc > 3) {
        constant = kq_dyn_from_value(ctx->arena, &args[3]);
    } else {
        kq_value zero = kq_real(0);
        constant = kq_dyn_from_value(ctx->arena, &zero);
    }
    kq_dyn *result = copy_series(ctx->arena, series);
    for (uint32_t i = 0; i < series->count; i++)
        if (is_missing(series->u.items[i], p))
            result->u.items[i] = constant;
    return result;
}

kq_value kq_series_fill_linear(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *series = series_of(&args[0]);
    if (!series)
        return kq_dynamic(NULL);
    placeholder p = read_placeholder(args, argc, 1);
    bool fill_edges = argc < 3 || args[2].null || args[2].u.b;
    bool integer_series = true, any_anchor = false;
    for (uint32_t i = 0; i < series->count; i++) {
        number x;
        if (is_anchor(series, i, &p, &x)) {
            any_anchor = true;
            integer_series = integer_series && x.integer;
        }
    }
    if (!any_anchor)
        return kq_dynamic(fill_without_anchors(ctx, series, args, argc, &p));
    kq_dyn *result = copy_series(ctx->arena, series);
    kq_dyn *cells = kq_arena_alloc(ctx->arena, (series->count ? series->count : 1) * sizeof *cells);
    int64_t previous = -1; /* index of the last anchor seen */
    number before = {0};
    for (uint32_t i = 0; i < series->count; i++) {
        number after;
        if (!is_anchor(series, i, &p, &after))
            continue;
        for (int64_t j = previous + 1; j < i; j++) {
            if (!is_missing(series->u.items[j], &p))
                continue;
            if (previous < 0) {
                if (fill_edges)
                    result->u.items[j] = series->u.items[i];
                continue;
            }
            double value = before.r + (after.r - before.r) * (double)(j - previous) / (double)(i - previous);
            set_interpolated(&cells[j], value, integer_series);
            result->u.items[j] = &cells[j];
        }
        previous = i;
        before = after;
    }
    for (uint32_t j = (uint32_t)previous + 1; fill_edges && j < series->count; j++)
        if (is_missing(series->u.items[j], &p))
            result->u.items[j] = series->u.items[previous];
    return kq_dynamic(result);
}

/* ---- filters ---- */

/* Reads a coefficient array. Returns false when it is not an array, is empty or contains a non-number. */
static bool read_coefficients(kq_arena *arena, const kq_value *arg, double **out, uint32_t *count)
{
    const kq_dyn *array = series_of(arg);
    if (!array || array->count == 0)
        return false;
    double *values = kq_arena_alloc(arena, array->count * sizeof *values);
    for (uint32_t i = 0; i < array->count; i++) {
        number n;
        if (!element_number(array->u.items[i], &n))
            return false;
        values[i] = n.r;
    }
    *out = values;
    *count = array->count;
    return true;
}

/* Copies the series as doubles. A non-numeric element becomes NaN, which makes its outputs null. */
static double *read_samples(kq_arena *arena, const kq_dyn *series)
{
    double *samples = kq_arena_alloc(arena, (series->count ? series->count : 1) * sizeof *samples);
    for (uint32_t i = 0; i < series->count; i++) {
        number n;
        samples[i] = element_number(series->u.items[i], &n) ? n.r : NAN;
    }
    return samples;
}

static kq_value real_array(kq_eval_ctx *ctx, const double *values, uint32_t count)
{
    kq_dyn *cells;
    kq_dyn *result = new_array(ctx->arena, count, &cells);
    for (uint32_t i = 0; i < count; i++)
        if (!isnan(values[i]))
            set_real(&cells[i], values[i]);
    return kq_dynamic(result);
}

/* Normalizes the coefficients when requested. Returns false when Kusto gives null for the filter. */
static bool prepare_fir(const kq_value *args, int argc, double *coefficients, uint32_t count)
{
    bool negative = false;
    double sum = 0;
    for (uint32_t k = 0; k < count; k++) {
        negative = negative || coefficients[k] < 0;
        sum += coefficients[k];
    }
    bool normalize = argc > 2 && !args[2].null ? args[2].u.b : !negative;
    if (normalize && negative)
        return false;
    if (normalize) {
        if (sum == 0)
            return false;
        for (uint32_t k = 0; k < count; k++)
            coefficients[k] /= sum;
    }
    return true;
}

/*
 * y[i] = sum over k of filter[k] * x[i + shift - k], where shift is 0, or
 * (length - 1) / 2 rounded down when center is true.
 * NOTE: samples outside the series count as 0 and the centered shift for an
 * even-length filter rounds down; the docs state neither.
 */
kq_value kq_series_fir(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *series = series_of(&args[0]);
    double *filter;
    uint32_t taps;
    if (!series || !read_coefficients(ctx->arena, &args[1], &filter, &taps) || !prepare_fir(args, argc, filter, taps))
        return kq_dynamic(NULL);
    bool center = argc > 3 && !args[3].null && args[3].u.b;
    int64_t shift = center ? (int64_t)(taps - 1) / 2 : 0;
    double *x = read_samples(ctx->arena, series);
    double *y = kq_arena_alloc(ctx->arena, (series->count ? series->count : 1) * sizeof *y);
    for (int64_t i = 0; i < series->count; i++) {
        double sum = 0;
        for (int64_t k = 0; k < taps; k++) {
            int64_t j = i + shift - k;
            if (j >= 0 && j < series->count)
                sum += filter[k] * x[j];
        }
        y[i] = sum;
    }
    return real_array(ctx, y, series->count);
}

/* y[i] = (sum b[k] x[i-k] - sum_{k>=1} a[k] y[i-k]) / a[0], with samples before the start as 0. */
kq_value kq_series_iir(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *series = series_of(&args[0]);
    double *b, *a;
    uint32_t nb, na;
    if (!series || !read_coefficients(ctx->arena, &args[1], &b, &nb) ||
        !read_coefficients(ctx->arena, &args[2], &a, &na) || a[0] == 0)
        return kq_dynamic(NULL);
    double *x = read_samples(ctx->arena, series);
    double *y = kq_arena_alloc(ctx->arena, (series->count ? series->count : 1) * sizeof *y);
    for (int64_t i = 0; i < series->count; i++) {
        double sum = 0;
        for (int64_t k = 0; k < nb && k <= i; k++)
            sum += b[k] * x[i - k];
        for (int64_t k = 1; k < na && k <= i; k++)
            sum -= a[k] * y[i - k];
        y[i] = sum / a[0];
    }
    return real_array(ctx, y, series->count);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/*
 * series_seasonal(series, period): each element becomes the median of the elements at the
 * same phase (index modulo period), the seasonal component Kusto documents. Non-numeric
 * elements are left out of the medians; a phase without numbers gives null.
 */
kq_value kq_series_seasonal(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *series = series_of(&args[0]);
    if (!series || args[1].null || args[1].u.l <= 0 || args[1].u.l > (int64_t)series->count + 1)
        return kq_dynamic(NULL);
    uint32_t period = (uint32_t)args[1].u.l, count = series->count;
    double *x = read_samples(ctx->arena, series);
    double *medians = kq_arena_alloc(ctx->arena, period * sizeof *medians);
    double *phase = kq_arena_alloc(ctx->arena, (count / period + 2) * sizeof *phase);
    for (uint32_t p = 0; p < period; p++) {
        uint32_t n = 0;
        for (uint32_t i = p; i < count; i += period)
            if (!isnan(x[i]))
                phase[n++] = x[i];
        qsort(phase, n, sizeof *phase, compare_doubles);
        medians[p] = n == 0 ? NAN : n % 2 ? phase[n / 2] : (phase[n / 2 - 1] + phase[n / 2]) / 2;
    }
    double *y = kq_arena_alloc(ctx->arena, (count ? count : 1) * sizeof *y);
    for (uint32_t i = 0; i < count; i++)
        y[i] = medians[i % period];
    return real_array(ctx, y, count);
}

void kq_series_bind_seasonal(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_DYNAMIC || argc < 2 || !kq_type_is_integer(args[1])) {
        snprintf(result->error, sizeof result->error,
                 argc < 2 ? "series_seasonal needs the period: kqlite does not detect it automatically"
                          : "series_seasonal takes a dynamic series and an integer period");
        result->error_arg = argc < 2 ? 0 : args[0] != KQ_DYNAMIC ? 0 : 1;
        return;
    }
    result->type = KQ_DYNAMIC;
}
