/*
 * Dynamic arrays: pack_array, array_length, slicing, sorting, shifting,
 * searching and joining. Property bags, sets and paths are in
 * dynamic_functions2.c, and this file contains the one table for both.
 *
 * An argument that should be an array but is not (a scalar, a property bag
 * or null) gives a null result, as in Kusto, unless a function says otherwise.
 */
#include "functions/dynamic_internal.h"
#include "base/buf.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const kq_dyn null_element = {.kind = KQ_DYN_NULL};

/* ---- shared helpers ---- */

const kq_dyn *kq_dynfn_tree(const kq_value *v)
{
    if (v->type != KQ_DYNAMIC || v->null || !v->u.d || v->u.d->kind == KQ_DYN_NULL)
        return NULL;
    return v->u.d;
}

const kq_dyn *kq_dynfn_array(const kq_value *v)
{
    const kq_dyn *d = kq_dynfn_tree(v);
    return d && d->kind == KQ_DYN_ARRAY ? d : NULL;
}

const kq_dyn *kq_dynfn_object(const kq_value *v)
{
    const kq_dyn *d = kq_dynfn_tree(v);
    return d && d->kind == KQ_DYN_OBJECT ? d : NULL;
}

kq_dyn *kq_dynfn_new_array(kq_arena *arena, uint32_t count)
{
    kq_dyn *d = kq_arena_alloc(arena, sizeof *d);
    d->kind = KQ_DYN_ARRAY;
    d->u.items = kq_arena_alloc(arena, (count ? count : 1) * sizeof(kq_dyn *));
    d->count = count;
    return d;
}

kq_dyn *kq_dynfn_new_object(kq_arena *arena, uint32_t count)
{
    kq_dyn *d = kq_arena_alloc(arena, sizeof *d);
    d->kind = KQ_DYN_OBJECT;
    d->u.members = kq_arena_alloc(arena, (count ? count : 1) * sizeof(kq_dyn_member));
    d->count = count;
    return d;
}

const kq_dyn *kq_dynfn_element(kq_arena *arena, const kq_value *v)
{
    if (v->type == KQ_DYNAMIC)
        return v->null || !v->u.d ? &null_element : v->u.d;
    if (v->null)
        return &null_element;
    return kq_dyn_from_value(arena, v);
}

bool kq_dynfn_int_arg(const kq_value *v, int64_t *out)
{
    if (v->null)
        return false;
    if (kq_type_is_integer(v->type)) {
        *out = v->u.l;
        return true;
    }
    const kq_dyn *d = kq_dynfn_tree(v);
    if (d && d->kind == KQ_DYN_LONG) {
        *out = d->u.l;
        return true;
    }
    if (d && d->kind == KQ_DYN_REAL && d->u.r == floor(d->u.r) && fabs(d->u.r) < 9.2e18) {
        *out = (int64_t)d->u.r;
        return true;
    }
    return false;
}

bool kq_dynfn_string_arg(const kq_value *v, kq_str *out)
{
    if (v->type == KQ_STRING) {
        *out = v->u.s;
        return true;
    }
    const kq_dyn *d = kq_dynfn_tree(v);
    if (d && d->kind == KQ_DYN_STRING) {
        *out = d->u.s;
        return true;
    }
    return false;
}

static bool type_fits(kq_type type, char letter)
{
    if (type == KQ_DYNAMIC || letter == '*')
        return true;
    switch (letter) {
    case 'i':
        return kq_type_is_integer(type);
    case 's':
        return type == KQ_STRING;
    case 'b':
        return type == KQ_BOOL;
    case 'n':
        return kq_type_is_numeric(type);
    default:
        return false;
    }
}

static const char *letter_name(char letter)
{
    switch (letter) {
    case 'd':
        return "a dynamic value";
    case 'i':
        return "an integer";
    case 's':
        return "a string";
    case 'b':
        return "a bool";
    default:
        return "a number";
    }
}

bool kq_dynfn_check_args(const kq_type *args, int argc, const char *spec, const char *function,
                         kq_bind_result *result)
{
    size_t n = strlen(spec);
    for (int i = 0; i < argc; i++) {
        char letter = spec[(size_t)i < n ? (size_t)i : n - 1];
        if (!type_fits(args[i], letter)) {
            snprintf(result->error, sizeof result->error, "argument %d of %s() must be %s, not %s", i + 1,
                     function, letter_name(letter), kq_type_name(args[i]));
            result->error_arg = i;
            result->type = KQ_TYPE_NONE;
            return false;
        }
    }
    return true;
}

#define BIND(fname, spec, kusto_name, result_type)                                          \
    static void fname(const kq_type *args, int argc, kq_bind_result *result)                 \
    {                                                                                         \
        if (kq_dynfn_check_args(args, argc, spec, kusto_name, result))                       \
            result->type = result_type;                                                       \
    }

/* ---- pack_array, array_length, array_concat ---- */

static kq_value eval_pack_array(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, (uint32_t)argc);
    for (int i = 0; i < argc; i++)
        out->u.items[i] = kq_dynfn_element(ctx->arena, &args[i]);
    return kq_dynamic(out);
}

static kq_value eval_array_length(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *arr = kq_dynfn_array(&args[0]);
    return arr ? kq_long(arr->count) : kq_null(KQ_LONG);
}

/* NOTE: an argument that is not an array makes the whole result null. The docs do not cover that case. */
static kq_value eval_array_concat(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint64_t total = 0;
    for (int i = 0; i < argc; i++) {
        const kq_dyn *arr = kq_dynfn_array(&args[i]);
        if (!arr)
            return kq_null(KQ_DYNAMIC);
        total += arr->count;
    }
    if (total > UINT32_MAX)
        return kq_null(KQ_DYNAMIC);
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, (uint32_t)total);
    uint32_t n = 0;
    for (int i = 0; i < argc; i++) {
        const kq_dyn *arr = args[i].u.d;
        for (uint32_t k = 0; k < arr->count; k++)
            out->u.items[n++] = arr->u.items[k];
    }
    return kq_dynamic(out);
}

/* ---- array_slice, array_reverse ---- */

/* array_slice(arr, start, end): both ends inclusive; negative indexes count from the end. */
static kq_value eval_array_slice(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *arr = kq_dynfn_array(&args[0]);
    int64_t start, end;
    if (!arr || !kq_dynfn_int_arg(&args[1], &start) || !kq_dynfn_int_arg(&args[2], &end))
        return kq_null(KQ_DYNAMIC);
    int64_t len = arr->count;
    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    if (start < 0)
        start = 0;
    if (end >= len)
        end = len - 1;
    if (start > end)
        return kq_dynamic(kq_dynfn_new_array(ctx->arena, 0));
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, (uint32_t)(end - start + 1));
    memcpy(out->u.items, arr->u.items + start, out->count * sizeof(kq_dyn *));
    return kq_dynamic(out);
}

static kq_value eval_array_reverse(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *arr = kq_dynfn_array(&args[0]);
    if (!arr)
        return kq_null(KQ_DYNAMIC);
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, arr->count);
    for (uint32_t i = 0; i < arr->count; i++)
        out->u.items[i] = arr->u.items[arr->count - 1 - i];
    return kq_dynamic(out);
}

/* ---- array_sort_asc, array_sort_desc ---- */

typedef struct sort_entry {
    const kq_dyn *key;
    uint32_t index;
    int direction;    /* 1 ascending, -1 descending */
    bool nulls_last;
} sort_entry;

/* Kusto's order of kinds in a mixed array: numbers, datetimes and timespans; strings; everything else. */
static int kind_rank(const kq_dyn *d)
{
    switch (d->kind) {
    case KQ_DYN_LONG:
    case KQ_DYN_REAL:
    case KQ_DYN_DATETIME:
    case KQ_DYN_TIMESPAN:
        return 0;
    case KQ_DYN_STRING:
        return 1;
    default:
        return 2;
    }
}

static int compare_same_rank(const kq_dyn *a, const kq_dyn *b)
{
    if (kind_rank(a) == 1) {
        size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
        int c = n ? memcmp(a->u.s.ptr, b->u.s.ptr, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len;
    }
    if (kind_rank(a) == 2)
        return 0;
    if (a->kind != KQ_DYN_REAL && b->kind != KQ_DYN_REAL)
        return a->u.l < b->u.l ? -1 : a->u.l > b->u.l;
    double x = a->kind == KQ_DYN_REAL ? a->u.r : (double)a->u.l;
    double y = b->kind == KQ_DYN_REAL ? b->u.r : (double)b->u.l;
    if (isnan(x) && isnan(y))
        return 0;
    if (isnan(x) || isnan(y))
        return isnan(x) ? -1 : 1;
    return x < y ? -1 : x > y;
}

static int compare_sort_entries(const void *pa, const void *pb)
{
    const sort_entry *a = pa, *b = pb;
    bool a_null = !a->key || a->key->kind == KQ_DYN_NULL;
    bool b_null = !b->key || b->key->kind == KQ_DYN_NULL;
    int c = 0;
    if (a_null || b_null) {
        if (a_null != b_null)
            c = (a_null ? 1 : -1) * (a->nulls_last ? 1 : -1);
    } else {
        int ra = kind_rank(a->key), rb = kind_rank(b->key);
        if (ra != rb)
            c = ra < rb ? -1 : 1;
        else
            c = compare_same_rank(a->key, b->key);
        c *= a->direction;
    }
    if (c == 0) /* keeps equal elements in input order */
        c = a->index < b->index ? -1 : 1;
    return c;
}

/*
 * array_sort_asc/desc(array1 [, array2, ...] [, nulls_last]). One array gives
 * the sorted array. Several arrays give an array of arrays: the first is
 * sorted and the others are permuted the same way. An array whose length
 * differs from the first becomes null.
 * NOTE: Kusto returns several arrays as separate result columns. kqlite
 * returns one array of arrays, which `array_sort_asc(a, b)[1]` indexes the same way.
 */
static kq_value sort_arrays(kq_eval_ctx *ctx, const kq_value *args, int argc, int direction)
{
    bool nulls_last = true;
    if (argc > 1 && args[argc - 1].type == KQ_BOOL) {
        if (!args[argc - 1].null)
            nulls_last = args[argc - 1].u.b;
        argc--;
    }
    const kq_dyn *first = kq_dynfn_array(&args[0]);
    if (!first)
        return kq_null(KQ_DYNAMIC);
    sort_entry *entries = kq_xmalloc((first->count ? first->count : 1) * sizeof *entries);
    for (uint32_t i = 0; i < first->count; i++)
        entries[i] = (sort_entry){first->u.items[i], i, direction, nulls_last};
    qsort(entries, first->count, sizeof *entries, compare_sort_entries);

    kq_dyn *results = kq_dynfn_new_array(ctx->arena, (uint32_t)argc);
    for (int a = 0; a < argc; a++) {
        const kq_dyn *arr = kq_dynfn_array(&args[a]);
        if (!arr || arr->count != first->count) {
            results->u.items[a] = &null_element;
            continue;
        }
        kq_dyn *sorted = kq_dynfn_new_array(ctx->arena, arr->count);
        for (uint32_t i = 0; i < arr->count; i++)
            sorted->u.items[i] = arr->u.items[entries[i].index];
        results->u.items[a] = sorted;
    }
    free(entries);
    return kq_dynamic(argc == 1 ? results->u.items[0] : results);
}

static kq_value eval_array_sort_asc(kq_eval_ctx *ctx, const kq_value *args, int argc) { return sort_arrays(ctx, args, argc, 1); }
static kq_value eval_array_sort_desc(kq_eval_ctx *ctx, const kq_value *args, int argc) { return sort_arrays(ctx, args, argc, -1); }

static void bind_array_sort(const kq_type *args, int argc, kq_bind_result *result)
{
    int arrays = argc > 1 && args[argc - 1] == KQ_BOOL ? argc - 1 : argc;
    for (int i = 0; i < arrays; i++)
        if (args[i] != KQ_DYNAMIC) {
            snprintf(result->error, sizeof result->error,
                     "argument %d of array_sort must be a dynamic array (only the last may be the bool nulls_last), not %s",
                     i + 1, kq_type_name(args[i]));
            result->error_arg = i;
            return;
        }
    result->type = KQ_DYNAMIC;
}

/* ---- array_shift_left/right, array_rotate_left/right ---- */

/* Moves elements left by shift (right when negative) and fills the vacated slots. */
static kq_value shift_array(kq_eval_ctx *ctx, const kq_value *args, int argc, int sign)
{
    const kq_dyn *arr = kq_dynfn_array(&args[0]);
    int64_t shift;
    if (!arr || !kq_dynfn_int_arg(&args[1], &shift))
        return kq_null(KQ_DYNAMIC);
    const kq_dyn *fill = argc > 2 ? kq_dynfn_element(ctx->arena, &args[2]) : &null_element;
    int64_t len = arr->count;
    if (shift < -len || shift > len)
        shift = shift < 0 ? -len : len;
    shift *= sign;
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, arr->count);
    for (int64_t i = 0; i < len; i++) {
        int64_t from = i + shift;
        out->u.items[i] = from >= 0 && from < len ? arr->u.items[from] : fill;
    }
    return kq_dynamic(out);
}

static kq_value eval_array_shift_left(kq_eval_ctx *ctx, const kq_value *args, int argc) { return shift_array(ctx, args, argc, 1); }
static kq_value eval_array_shift_right(kq_eval_ctx *ctx, const kq_value *args, int argc) { return shift_array(ctx, args, argc, -1); }

static kq_value rotate_array(kq_eval_ctx *ctx, const kq_value *args, int sign)
{
    const kq_dyn *arr = kq_dynfn_array(&args[0]);
    int64_t rotate;
    if (!arr || !kq_dynfn_int_arg(&args[1], &rotate))
        return kq_null(KQ_DYNAMIC);
    int64_t len = arr->count;
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, arr->count);
    if (len == 0)
        return kq_dynamic(out);
    int64_t offset = (rotate % len) * sign;
    offset = ((offset % len) + len) % len;
    for (int64_t i = 0; i < len; i++)
        out->u.items[i] = arr->u.items[(i + offset) % len];
    return kq_dynamic(out);
}

static kq_value eval_array_rotate_left(kq_eval_ctx *ctx, const kq_value *args, int argc) { return rotate_array(ctx, args, 1); }
static kq_value eval_array_rotate_right(kq_eval_ctx *ctx, const kq_value *args, int argc) { return rotate_array(ctx, args, -1); }

/* ---- array_index_of, set_has_element ---- */

/*
 * True when a datetime or timespan value equals a string element holding its
 * text form. Arrays built by make_list hold such strings, because summarize
 * copies its state through JSON text.
 */
static bool temporal_text_matches(const kq_dyn *element, const kq_dyn *value)
{
    int64_t ticks;
    if (!element || element->kind != KQ_DYN_STRING || !value)
        return false;
    if (value->kind == KQ_DYN_DATETIME)
        return kq_datetime_parse(element->u.s.ptr, element->u.s.len, &ticks) && ticks == value->u.l;
    if (value->kind == KQ_DYN_TIMESPAN)
        return kq_timespan_parse(element->u.s.ptr, element->u.s.len, &ticks) && ticks == value->u.l;
    return false;
}

/* True when an array element equals the looked-up value; 1 and 1.0 are equal, as in Kusto's == . */
static bool element_matches(const kq_dyn *element, const kq_dyn *value)
{
    if (kq_dyn_equal(element, value))
        return true;
    if (temporal_text_matches(element, value))
        return true;
    bool en = element && (element->kind == KQ_DYN_LONG || element->kind == KQ_DYN_REAL);
    bool vn = value && (value->kind == KQ_DYN_LONG || value->kind == KQ_DYN_REAL);
    if (!en || !vn)
        return false;
    double x = element->kind == KQ_DYN_REAL ? element->u.r : (double)element->u.l;
    double y = value->kind == KQ_DYN_REAL ? value->u.r : (double)value->u.l;
    return x == y;
}

/*
 * array_index_of(arr, value [, start [, length [, occurrence]]]): the index of
 * the occurrence-th match within length elements from start, -1 when there is
 * none, null for a negative occurrence or a length below -1.
 * NOTE: a start past the end gives -1 and a start before the beginning is
 * clamped to 0; the docs leave both open.
 */
static kq_value eval_array_index_of(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *arr = kq_dynfn_array(&args[0]);
    if (!arr)
        return kq_null(KQ_LONG);
    int64_t start = 0, length = -1, occurrence = 1;
    if ((argc > 2 && !kq_dynfn_int_arg(&args[2], &start)) || (argc > 3 && !kq_dynfn_int_arg(&args[3], &length)) ||
        (argc > 4 && !kq_dynfn_int_arg(&args[4], &occurrence)))
        return kq_null(KQ_LONG);
    if (occurrence < 0 || length < -1)
        return kq_null(KQ_LONG);
    int64_t len = arr->count;
    if (start < 0)
        start = start + len < 0 ? 0 : start + len;
    int64_t end = length == -1 || length > len - start ? len : start + length;
    const kq_dyn *value = kq_dynfn_element(ctx->arena, &args[1]);
    int64_t seen = 0;
    for (int64_t i = start; i < end; i++)
        if (element_matches(arr->u.items[i], value) && ++seen == occurrence)
            return kq_long(i);
    return kq_long(-1);
}

static kq_value eval_set_has_element(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *arr = kq_dynfn_array(&args[0]);
    if (!arr)
        return kq_null(KQ_BOOL);
    const kq_dyn *value = kq_dynfn_element(ctx->arena, &args[1]);
    for (uint32_t i = 0; i < arr->count; i++)
        if (element_matches(arr->u.items[i], value))
            return kq_bool(true);
    return kq_bool(false);
}

/* ---- array_iff, array_sum, array_split ---- */

/* Element i of an array_iff branch: the array's element (null past its end) or the scalar itself. */
static const kq_dyn *branch_element(kq_eval_ctx *ctx, const kq_value *branch, const kq_dyn *scalar, uint32_t i)
{
    const kq_dyn *arr = kq_dynfn_array(branch);
    if (!arr)
        return scalar;
    return i < arr->count ? arr->u.items[i] : &null_element;
}

/* array_iff(conditions, when_true, when_false): a condition that is neither bool nor number gives null. */
static kq_value eval_array_iff(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *conditions = kq_dynfn_array(&args[0]);
    if (!conditions)
        return kq_null(KQ_DYNAMIC);
    const kq_dyn *when_true = kq_dynfn_element(ctx->arena, &args[1]);
    const kq_dyn *when_false = kq_dynfn_element(ctx->arena, &args[2]);
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, conditions->count);
    for (uint32_t i = 0; i < conditions->count; i++) {
        const kq_dyn *c = conditions->u.items[i];
        int truth = -1;
        if (c && c->kind == KQ_DYN_BOOL)
            truth = c->u.b;
        else if (c && c->kind == KQ_DYN_LONG)
            truth = c->u.l != 0;
        else if (c && c->kind == KQ_DYN_REAL)
            truth = c->u.r != 0;
        if (truth < 0)
            out->u.items[i] = &null_element;
        else
            out->u.items[i] = truth ? branch_element(ctx, &args[1], when_true, i)
                                    : branch_element(ctx, &args[2], when_false, i);
    }
    return kq_dynamic(out);
}

/* array_sum(arr): the sum as real; null when an element is not a number. */
static kq_value eval_array_sum(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *arr = kq_dynfn_array(&args[0]);
    if (!arr)
        return kq_null(KQ_REAL);
    double sum = 0;
    for (uint32_t i = 0; i < arr->count; i++) {
        const kq_dyn *d = arr->u.items[i];
        if (!d || (d->kind != KQ_DYN_LONG && d->kind != KQ_DYN_REAL))
            return kq_null(KQ_REAL);
        sum += d->kind == KQ_DYN_REAL ? d->u.r : (double)d->u.l;
    }
    return kq_real(sum);
}

/* Reads array_split's split points: one integer or an array of integers. */
static int64_t *split_points(const kq_value *arg, uint32_t *count)
{
    int64_t single;
    if (kq_dynfn_int_arg(arg, &single)) {
        int64_t *points = kq_xmalloc(sizeof *points);
        points[0] = single;
        *count = 1;
        return points;
    }
    const kq_dyn *arr = kq_dynfn_array(arg);
    if (!arr)
        return NULL;
    int64_t *points = kq_xmalloc((arr->count ? arr->count : 1) * sizeof *points);
    for (uint32_t i = 0; i < arr->count; i++) {
        kq_value element = kq_dynamic(arr->u.items[i]);
        if (!kq_dynfn_int_arg(&element, &points[i])) {
            free(points);
            return NULL;
        }
    }
    *count = arr->count;
    return points;
}

/* array_split(arr, index or indexes): N+1 arrays [0..i1), [i1..i2), ... [iN..len). */
static kq_value eval_array_split(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *arr = kq_dynfn_array(&args[0]);
    uint32_t npoints = 0;
    int64_t *points = arr ? split_points(&args[1], &npoints) : NULL;
    if (!points)
        return kq_null(KQ_DYNAMIC);
    int64_t len = arr->count;
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, npoints + 1);
    int64_t from = 0;
    for (uint32_t p = 0; p <= npoints; p++) {
        int64_t to = len;
        if (p < npoints) {
            to = points[p] < 0 ? points[p] + len : points[p];
            if (to < 0)
                to = 0;
            if (to > len)
                to = len;
        }
        uint32_t n = to > from ? (uint32_t)(to - from) : 0;
        kq_dyn *part = kq_dynfn_new_array(ctx->arena, n);
        if (n)
            memcpy(part->u.items, arr->u.items + from, n * sizeof(kq_dyn *));
        out->u.items[p] = part;
        if (to > from)
            from = to;
    }
    free(points);
    return kq_dynamic(out);
}

/* ---- strcat_array, zip ---- */

/* strcat_array(arr, delimiter): elements in their string form; null elements are empty. */
static kq_value eval_strcat_array(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *arr = kq_dynfn_array(&args[0]);
    if (!arr)
        return kq_string("", 0);
    kq_str delimiter = kq_value_to_str(ctx->arena, &args[1]);
    kq_buf out;
    kq_buf_init(&out);
    for (uint32_t i = 0; i < arr->count; i++) {
        if (i)
            kq_buf_append(&out, delimiter.ptr, delimiter.len);
        kq_value text = kq_dyn_to_value(arr->u.items[i], KQ_STRING, ctx->arena);
        kq_buf_append(&out, text.u.s.ptr, text.u.s.len);
    }
    kq_value v = kq_string(kq_arena_strndup(ctx->arena, out.data ? out.data : "", out.len), out.len);
    kq_buf_free(&out);
    return v;
}

/* zip(arr1, arr2, ...): [[arr1[0], arr2[0], ...], ...] as long as the longest, padded with null. */
static kq_value eval_zip(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint32_t longest = 0;
    for (int a = 0; a < argc; a++) {
        const kq_dyn *arr = kq_dynfn_array(&args[a]);
        if (!arr)
            return kq_null(KQ_DYNAMIC);
        if (arr->count > longest)
            longest = arr->count;
    }
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, longest);
    for (uint32_t i = 0; i < longest; i++) {
        kq_dyn *tuple = kq_dynfn_new_array(ctx->arena, (uint32_t)argc);
        for (int a = 0; a < argc; a++) {
            const kq_dyn *arr = args[a].u.d;
            tuple->u.items[a] = i < arr->count ? arr->u.items[i] : &null_element;
        }
        out->u.items[i] = tuple;
    }
    return kq_dynamic(out);
}

/* ---- binders ---- */

BIND(bind_pack_array, "*", "pack_array", KQ_DYNAMIC)
BIND(bind_array_length, "d", "array_length", KQ_LONG)
BIND(bind_array_concat, "d", "array_concat", KQ_DYNAMIC)
BIND(bind_array_slice, "dii", "array_slice", KQ_DYNAMIC)
BIND(bind_array_reverse, "d", "array_reverse", KQ_DYNAMIC)
BIND(bind_array_shift, "di*", "array_shift", KQ_DYNAMIC)
BIND(bind_array_rotate, "di", "array_rotate", KQ_DYNAMIC)
BIND(bind_array_index_of, "d*i", "array_index_of", KQ_LONG)
BIND(bind_set_has_element, "d*", "set_has_element", KQ_BOOL)
BIND(bind_array_iff, "d**", "array_iff", KQ_DYNAMIC)
BIND(bind_array_sum, "d", "array_sum", KQ_REAL)
BIND(bind_array_split, "di", "array_split", KQ_DYNAMIC)
BIND(bind_strcat_array, "d*", "strcat_array", KQ_STRING)
BIND(bind_zip, "d", "zip", KQ_DYNAMIC)
BIND(bind_bag_keys, "d", "bag_keys", KQ_DYNAMIC)
BIND(bind_bag_merge, "d", "bag_merge", KQ_DYNAMIC)
BIND(bind_bag_remove_keys, "dd", "bag_remove_keys", KQ_DYNAMIC)
BIND(bind_bag_has_key, "ds", "bag_has_key", KQ_BOOL)
BIND(bind_bag_set_key, "ds*", "bag_set_key", KQ_DYNAMIC)
BIND(bind_bag_zip, "dd", "bag_zip", KQ_DYNAMIC)
BIND(bind_set_difference, "d", "set_difference", KQ_DYNAMIC)
BIND(bind_set_union, "d", "set_union", KQ_DYNAMIC)
BIND(bind_set_intersect, "d", "set_intersect", KQ_DYNAMIC)
BIND(bind_jaccard_index, "dd", "jaccard_index", KQ_DYNAMIC)
BIND(bind_treepath, "d", "treepath", KQ_DYNAMIC)
BIND(bind_repeat, "*i", "repeat", KQ_DYNAMIC)
BIND(bind_gettype, "*", "gettype", KQ_STRING)
BIND(bind_to_json, "*", "dynamic_to_json", KQ_STRING)

#define FN(name, min, max, bind, eval, sig, doc) {name, min, max, bind, eval, sig, doc}

const kq_function kq_dynamic_functions[] = {
    FN("pack_array", 1, -1, bind_pack_array, eval_pack_array, "pack_array(value, ...) -> dynamic", "Array of the arguments; a null argument becomes a JSON null element."),
    FN("array_length", 1, 1, bind_array_length, eval_array_length, "array_length(array) -> long", "Number of elements; null when the argument is not an array."),
    FN("array_concat", 1, 64, bind_array_concat, eval_array_concat, "array_concat(array, ...) -> dynamic", "The arrays joined end to end; null when an argument is not an array."),
    FN("array_slice", 3, 3, bind_array_slice, eval_array_slice, "array_slice(array, start, end) -> dynamic", "Elements start..end, both inclusive; negative indexes count from the end."),
    FN("array_reverse", 1, 1, bind_array_reverse, eval_array_reverse, "array_reverse(array) -> dynamic", "The elements in reverse order."),
    FN("array_sort_asc", 1, 64, bind_array_sort, eval_array_sort_asc, "array_sort_asc(array1 [, array2, ...] [, nulls_last]) -> dynamic", "Sorts the first array ascending and permutes the others to match; several arrays give one column each when unnamed in print or project, else an array of arrays."),
    FN("array_sort_desc", 1, 64, bind_array_sort, eval_array_sort_desc, "array_sort_desc(array1 [, array2, ...] [, nulls_last]) -> dynamic", "Sorts the first array descending and permutes the others to match; several arrays give one column each when unnamed in print or project, else an array of arrays."),
    FN("array_shift_left", 2, 3, bind_array_shift, eval_array_shift_left, "array_shift_left(array, shift [, fill]) -> dynamic", "Moves elements left, filling the end with fill (default null); a negative shift moves right."),
    FN("array_shift_right", 2, 3, bind_array_shift, eval_array_shift_right, "array_shift_right(array, shift [, fill]) -> dynamic", "Moves elements right, filling the start with fill (default null); a negative shift moves left."),
    FN("array_rotate_left", 2, 2, bind_array_rotate, eval_array_rotate_left, "array_rotate_left(array, count) -> dynamic", "Rotates the elements left; a negative count rotates right."),
    FN("array_rotate_right", 2, 2, bind_array_rotate, eval_array_rotate_right, "array_rotate_right(array, count) -> dynamic", "Rotates the elements right; a negative count rotates left."),
    FN("array_index_of", 2, 5, bind_array_index_of, eval_array_index_of, "array_index_of(array, value [, start [, length [, occurrence]]]) -> long", "Index of the value, or -1 when absent."),
    FN("set_has_element", 2, 2, bind_set_has_element, eval_set_has_element, "set_has_element(array, value) -> bool", "True when the array contains the value."),
    FN("array_iff", 3, 3, bind_array_iff, eval_array_iff, "array_iff(conditions, when_true, when_false) -> dynamic", "Element-wise iff over an array of conditions; branches may be arrays or scalars."),
    FN("array_iif", 3, 3, bind_array_iff, eval_array_iff, "array_iif(conditions, when_true, when_false) -> dynamic", "Same as array_iff()."),
    FN("array_sum", 1, 1, bind_array_sum, eval_array_sum, "array_sum(array) -> real", "Sum of the elements; null when one is not a number."),
    FN("array_split", 2, 2, bind_array_split, eval_array_split, "array_split(array, index or indexes) -> dynamic", "Splits the array before each index into an array of arrays."),
    FN("strcat_array", 2, 2, bind_strcat_array, eval_strcat_array, "strcat_array(array, delimiter) -> string", "The elements' string forms joined with the delimiter."),
    FN("zip", 2, 64, bind_zip, eval_zip, "zip(array1, array2, ...) -> dynamic", "Array of tuples of the elements at each index, padded with null."),
    FN("bag_pack", 2, -1, kq_dynfn_bind_bag_pack, kq_dynfn_bag_pack, "bag_pack(key1, value1, ...) -> dynamic", "Property bag of the key/value pairs."),
    FN("pack", 2, -1, kq_dynfn_bind_bag_pack, kq_dynfn_bag_pack, "pack(key1, value1, ...) -> dynamic", "Deprecated name of bag_pack()."),
    FN("bag_keys", 1, 1, bind_bag_keys, kq_dynfn_bag_keys, "bag_keys(bag) -> dynamic", "Array of the bag's root keys; null when the argument is not a bag."),
    FN("bag_merge", 2, 64, bind_bag_merge, kq_dynfn_bag_merge, "bag_merge(bag1, bag2, ...) -> dynamic", "One bag with the keys of all; the leftmost value of a repeated key is kept."),
    FN("bag_remove_keys", 2, 2, bind_bag_remove_keys, kq_dynfn_bag_remove_keys, "bag_remove_keys(bag, keys) -> dynamic", "The bag without the keys (names or JSONPath like $.a.b)."),
    FN("bag_has_key", 2, 2, bind_bag_has_key, kq_dynfn_bag_has_key, "bag_has_key(bag, key) -> bool", "True when the key (a name or JSONPath like $.a.b) exists."),
    FN("bag_set_key", 3, 3, bind_bag_set_key, kq_dynfn_bag_set_key, "bag_set_key(bag, key, value) -> dynamic", "The bag with the key (a name or JSONPath like $.a.b) set to the value."),
    FN("bag_zip", 2, 2, bind_bag_zip, kq_dynfn_bag_zip, "bag_zip(keys, values) -> dynamic", "Bag pairing each string key with the value at the same index (null when missing)."),
    FN("set_difference", 2, 64, bind_set_difference, kq_dynfn_set_difference, "set_difference(array1, array2, ...) -> dynamic", "Distinct elements of the first array that no other array contains."),
    FN("set_union", 2, 64, bind_set_union, kq_dynfn_set_union, "set_union(array1, array2, ...) -> dynamic", "Distinct elements of all the arrays."),
    FN("set_intersect", 2, 64, bind_set_intersect, kq_dynfn_set_intersect, "set_intersect(array1, array2, ...) -> dynamic", "Distinct elements that every array contains."),
    FN("jaccard_index", 2, 2, bind_jaccard_index, kq_dynfn_jaccard_index, "jaccard_index(set1, set2) -> dynamic", "Size of the intersection over size of the union of the distinct elements."),
    FN("treepath", 1, 1, bind_treepath, kq_dynfn_treepath, "treepath(object) -> dynamic", "Path expressions of every key and array level in the object."),
    FN("repeat", 2, 2, bind_repeat, kq_dynfn_repeat, "repeat(value, count) -> dynamic", "Array of count copies of the value; null for a negative count."),
    FN("range", 2, 3, kq_dynfn_bind_range, kq_dynfn_range, "range(start, stop [, step]) -> dynamic", "Array start, start+step, ... up to stop (at most 1,048,576 elements)."),
    FN("dynamic_to_json", 1, 1, bind_to_json, kq_dynfn_to_json, "dynamic_to_json(value) -> string",
       "The value as JSON text with property-bag keys sorted, so equal values give equal text."),
    FN("gettype", 1, 1, bind_gettype, kq_dynfn_gettype, "gettype(value) -> string", "Name of the value's runtime type (array, dictionary, int, long, string, ...)."),
};
const size_t kq_dynamic_function_count = KQ_ARRAY_LEN(kq_dynamic_functions);
