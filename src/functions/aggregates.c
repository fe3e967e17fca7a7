/*
 * Aggregate functions for summarize. Each keeps a fixed-size state per group;
 * growing data (sets, lists) lives in the summarize's arena. Values kept
 * across batches are copied into that arena, because input batches are
 * released as the scan moves on.
 */
#include "functions/registry.h"
#include "base/util.h"
#include "table/table.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* make_set/make_list default and maximum size (Kusto's documented limit). */
#define MAX_SET_SIZE 1048576

/* ---- count, countif ---- */

typedef struct count_state {
    int64_t n;
} count_state;

static void count_init(void *state, const kq_value *args, int argc) { ((count_state *)state)->n = 0; }

static void count_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    ((count_state *)state)->n++;
}

static void countif_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    if (!args[0].null && args[0].u.b)
        ((count_state *)state)->n++;
}

static kq_value count_finish(void *state, kq_type type, kq_agg_ctx *ctx) { return kq_long(((count_state *)state)->n); }

static void count_merge(void *state, const void *other, kq_agg_ctx *ctx)
{
    ((count_state *)state)->n += ((const count_state *)other)->n;
}

static void bind_count(const kq_type *args, int argc, kq_bind_result *result)
{
    if (argc == 1 && args[0] != KQ_BOOL) {
        snprintf(result->error, sizeof result->error,
                 "count() takes no argument here; to count rows where a condition holds use countif(condition)");
        result->error_arg = 0;
        return;
    }
    result->type = KQ_LONG;
}

static void bind_countif(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_BOOL) {
        snprintf(result->error, sizeof result->error, "countif() takes a bool condition, not %s",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    result->type = KQ_LONG;
}

/* ---- min, max, take_any ---- */

typedef struct extreme_state {
    kq_value best;
    bool seen;
} extreme_state;

static void extreme_init(void *state, const kq_value *args, int argc) { memset(state, 0, sizeof(extreme_state)); }

static void extreme_update(extreme_state *s, const kq_value *v, int direction, kq_agg_ctx *ctx)
{
    if (v->null || (v->type == KQ_REAL && isnan(v->u.r)))
        return;
    if (s->seen && kq_value_compare(v, &s->best) * direction <= 0)
        return;
    s->best = kq_value_copy(ctx->arena, *v);
    s->seen = true;
}

static void min_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx) { extreme_update(state, &args[0], -1, ctx); }
static void max_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx) { extreme_update(state, &args[0], 1, ctx); }

static void any_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    extreme_state *s = state;
    const kq_value *v = &args[0];
    bool empty = v->null || ((v->type == KQ_STRING) && v->u.s.len == 0);
    /* Prefer the first non-empty value, as take_any does with a single column. */
    if (s->seen && !(s->best.null || (s->best.type == KQ_STRING && s->best.u.s.len == 0)))
        return;
    if (s->seen && empty)
        return;
    s->best = kq_value_copy(ctx->arena, *v);
    s->seen = true;
}

/* Keeps other's value when it is strictly better, as an update with it would. */
static void extreme_merge(extreme_state *s, const extreme_state *other, int direction, kq_agg_ctx *ctx)
{
    if (!other->seen || (s->seen && kq_value_compare(&other->best, &s->best) * direction <= 0))
        return;
    s->best = kq_value_copy(ctx->arena, other->best);
    s->seen = true;
}

static void min_merge(void *state, const void *other, kq_agg_ctx *ctx) { extreme_merge(state, other, -1, ctx); }
static void max_merge(void *state, const void *other, kq_agg_ctx *ctx) { extreme_merge(state, other, 1, ctx); }

static bool any_empty(const kq_value *v)
{
    return v->null || (v->type == KQ_STRING && v->u.s.len == 0);
}

/* The first non-empty value of both, else the first value. */
static void any_merge(void *state, const void *other_state, kq_agg_ctx *ctx)
{
    extreme_state *s = state;
    const extreme_state *other = other_state;
    if (!other->seen || (s->seen && (!any_empty(&s->best) || any_empty(&other->best))))
        return;
    s->best = kq_value_copy(ctx->arena, other->best);
    s->seen = true;
}

static kq_value extreme_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    extreme_state *s = state;
    return s->seen ? s->best : kq_null(type);
}

static void bind_same_type(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] == KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error, "this aggregate does not take a dynamic value; convert it first");
        result->error_arg = 0;
        return;
    }
    result->type = args[0];
}

static void bind_any(const kq_type *args, int argc, kq_bind_result *result) { result->type = args[0]; }

/* ---- sum, sumif, avg ---- */

typedef struct sum_state {
    int64_t l;
    double r;
    int64_t n;
} sum_state;

static void sum_init(void *state, const kq_value *args, int argc) { memset(state, 0, sizeof(sum_state)); }

static void sum_add(sum_state *s, const kq_value *v)
{
    if (v->null)
        return;
    if (v->type == KQ_REAL || v->type == KQ_DECIMAL)
        s->r += v->u.r;
    else
        s->l = (int64_t)((uint64_t)s->l + (uint64_t)v->u.l);
    s->n++;
}

static void sum_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx) { sum_add(state, &args[0]); }

static void sumif_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    if (!args[1].null && args[1].u.b)
        sum_add(state, &args[0]);
}

static void sum_merge(void *state, const void *other_state, kq_agg_ctx *ctx)
{
    sum_state *s = state;
    const sum_state *other = other_state;
    s->l = (int64_t)((uint64_t)s->l + (uint64_t)other->l);
    s->r += other->r;
    s->n += other->n;
}

static kq_value sum_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    sum_state *s = state;
    if (type == KQ_REAL)
        return kq_real(s->r);
    kq_value v = {.type = type};
    v.u.l = s->l;
    return v;
}

static kq_value avg_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    sum_state *s = state;
    if (s->n == 0)
        return kq_null(KQ_REAL);
    return kq_real((s->r + (double)s->l) / (double)s->n);
}

static void bind_sum(const kq_type *args, int argc, kq_bind_result *result)
{
    if (kq_type_is_integer(args[0]))
        result->type = KQ_LONG;
    else if (args[0] == KQ_REAL || args[0] == KQ_DECIMAL)
        result->type = KQ_REAL;
    else if (args[0] == KQ_TIMESPAN)
        result->type = KQ_TIMESPAN;
    else {
        snprintf(result->error, sizeof result->error, "sum() takes a number or timespan, not %s", kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    if (argc == 2 && args[1] != KQ_BOOL) {
        snprintf(result->error, sizeof result->error, "the condition must be bool");
        result->error_arg = 1;
        result->type = KQ_TYPE_NONE;
    }
}

static void bind_avg(const kq_type *args, int argc, kq_bind_result *result)
{
    if (!kq_type_is_numeric(args[0])) {
        snprintf(result->error, sizeof result->error, "avg() takes a number, not %s", kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    result->type = KQ_REAL;
}

/* ---- make_set, make_list, dcount: a first-seen-ordered list with an optional hash index ---- */

typedef struct value_list {
    const kq_dyn **items;
    uint32_t count, cap;
    uint32_t *slots;      /* open addressing over items, index + 1; 0 = empty */
    uint32_t nslots;
    int64_t limit;
    bool limit_read;
} value_list;

static void list_init(void *state, const kq_value *args, int argc) { memset(state, 0, sizeof(value_list)); }

static void list_push(value_list *list, const kq_dyn *item, kq_agg_ctx *ctx)
{
    if (list->count == list->cap) {
        uint32_t cap = list->cap ? list->cap * 2 : 8;
        const kq_dyn **items = kq_arena_alloc(ctx->arena, cap * sizeof(kq_dyn *));
        if (list->count)
            memcpy(items, list->items, list->count * sizeof(kq_dyn *));
        list->items = items;
        list->cap = cap;
    }
    list->items[list->count++] = item;
}

static void rehash(value_list *list, kq_agg_ctx *ctx)
{
    uint32_t nslots = list->nslots ? list->nslots * 2 : 16;
    uint32_t *slots = kq_arena_alloc(ctx->arena, nslots * sizeof(uint32_t));
    for (uint32_t i = 0; i < list->count; i++) {
        uint32_t h = (uint32_t)kq_dyn_hash(list->items[i]) & (nslots - 1);
        while (slots[h])
            h = (h + 1) & (nslots - 1);
        slots[h] = i + 1;
    }
    list->slots = slots;
    list->nslots = nslots;
}

/* Adds the item unless an equal one is present. The item must live in ctx->arena. */
static void set_add_item(value_list *list, const kq_dyn *item, kq_agg_ctx *ctx)
{
    if (list->count >= list->limit)
        return;
    if ((list->count + 1) * 2 > list->nslots)
        rehash(list, ctx);
    uint32_t h = (uint32_t)kq_dyn_hash(item) & (list->nslots - 1);
    while (list->slots[h]) {
        if (kq_dyn_equal(list->items[list->slots[h] - 1], item))
            return;
        h = (h + 1) & (list->nslots - 1);
    }
    list_push(list, item, ctx);
    list->slots[h] = list->count;
}

/* Adds the value unless an equal one is present. */
static void set_add(value_list *list, const kq_value *v, kq_agg_ctx *ctx)
{
    if (v->null || list->count >= list->limit)
        return;
    kq_value copy = kq_value_copy(ctx->arena, *v);
    set_add_item(list, kq_dyn_from_value(ctx->arena, &copy), ctx);
}

/* Adds the value, or each element of a dynamic array: Kusto's make_set of an array
 * column returns the set of the arrays' elements. */
static void set_add_elements(value_list *list, const kq_value *v, kq_agg_ctx *ctx)
{
    if (v->null || v->type != KQ_DYNAMIC || !v->u.d || v->u.d->kind != KQ_DYN_ARRAY) {
        set_add(list, v, ctx);
        return;
    }
    const kq_dyn *array = kq_dyn_copy(ctx->arena, v->u.d);
    for (uint32_t i = 0; i < array->count; i++)
        set_add_item(list, array->u.items[i], ctx);
}

static void read_limit(value_list *list, const kq_value *args, int argc, int index)
{
    if (list->limit_read)
        return;
    list->limit_read = true;
    list->limit = MAX_SET_SIZE;
    if (argc > index && !args[index].null && args[index].u.l > 0 && args[index].u.l < MAX_SET_SIZE)
        list->limit = args[index].u.l;
}

static void make_set_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    read_limit(state, args, argc, 1);
    set_add_elements(state, &args[0], ctx);
}

static void make_set_if_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    read_limit(state, args, argc, 2);
    if (!args[1].null && args[1].u.b)
        set_add_elements(state, &args[0], ctx);
}

static void list_add(value_list *list, const kq_value *v, kq_agg_ctx *ctx)
{
    if (v->null || list->count >= list->limit)
        return;
    kq_value copy = kq_value_copy(ctx->arena, *v);
    list_push(list, kq_dyn_from_value(ctx->arena, &copy), ctx);
}

/*
 * Adds the value, or each element of a dynamic array, as make_set does. The docs'
 * examples rely on it: geo_h3cell_rings' example lists the cells of every ring in
 * one flat array, and geo_point_in_polygon's wraps each polygon in pack_array()
 * so that make_list yields a MultiPolygon's coordinates.
 */
static void list_add_elements(value_list *list, const kq_value *v, kq_agg_ctx *ctx)
{
    if (v->null || v->type != KQ_DYNAMIC || !v->u.d || v->u.d->kind != KQ_DYN_ARRAY) {
        list_add(list, v, ctx);
        return;
    }
    const kq_dyn *array = kq_dyn_copy(ctx->arena, v->u.d);
    for (uint32_t i = 0; i < array->count && list->count < list->limit; i++)
        list_push(list, array->u.items[i], ctx);
}

static void make_list_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    read_limit(state, args, argc, 1);
    list_add_elements(state, &args[0], ctx);
}

static void make_list_if_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    read_limit(state, args, argc, 2);
    if (!args[1].null && args[1].u.b)
        list_add_elements(state, &args[0], ctx);
}

static kq_value list_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    value_list *list = state;
    return kq_dynamic(kq_dyn_array(ctx->arena, list->items, list->count));
}

static void dcount_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    value_list *list = state;
    list->limit = INT64_MAX;
    set_add(list, &args[0], ctx);
}

static void dcountif_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    value_list *list = state;
    list->limit = INT64_MAX;
    if (!args[1].null && args[1].u.b)
        set_add(list, &args[0], ctx);
}

/* Takes other's size limit when this state has not read one: it saw no row, or counts distinct values. */
static void merge_limit(value_list *list, const value_list *other)
{
    if (!list->limit_read && (other->limit_read || other->limit > list->limit)) {
        list->limit = other->limit;
        list->limit_read = other->limit_read;
    }
}

static void set_merge(void *state, const void *other_state, kq_agg_ctx *ctx)
{
    value_list *list = state;
    const value_list *other = other_state;
    merge_limit(list, other);
    for (uint32_t i = 0; i < other->count && list->count < list->limit; i++) {
        uint32_t before = list->count;
        set_add_item(list, other->items[i], ctx);
        /* A new item is kept: it must live in this state's arena. */
        if (list->count > before)
            list->items[before] = kq_dyn_copy(ctx->arena, other->items[i]);
    }
}

static void list_merge(void *state, const void *other_state, kq_agg_ctx *ctx)
{
    value_list *list = state;
    const value_list *other = other_state;
    merge_limit(list, other);
    for (uint32_t i = 0; i < other->count && list->count < list->limit; i++)
        list_push(list, kq_dyn_copy(ctx->arena, other->items[i]), ctx);
}

static kq_value dcount_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    return kq_long(((value_list *)state)->count);
}

static void bind_dynamic(const kq_type *args, int argc, kq_bind_result *result)
{
    result->type = KQ_DYNAMIC;
    if (argc >= 2 && args[argc - 1] != KQ_BOOL && !kq_type_is_integer(args[argc - 1])) {
        snprintf(result->error, sizeof result->error, "the size limit must be an integer");
        result->error_arg = argc - 1;
        result->type = KQ_TYPE_NONE;
    }
}

static void bind_with_condition(const kq_type *args, int argc, kq_bind_result *result, kq_type type)
{
    if (args[1] != KQ_BOOL) {
        snprintf(result->error, sizeof result->error, "the condition must be bool, not %s", kq_type_name(args[1]));
        result->error_arg = 1;
        return;
    }
    result->type = type;
}

static void bind_dynamic_if(const kq_type *args, int argc, kq_bind_result *result) { bind_with_condition(args, argc, result, KQ_DYNAMIC); }
static void bind_long_if(const kq_type *args, int argc, kq_bind_result *result) { bind_with_condition(args, argc, result, KQ_LONG); }

/* ---- arg_max, arg_min: the values of the row where the first argument is largest/smallest ---- */

#define ARG_MAX_VALUES 512

typedef struct arg_state {
    kq_value *values; /* args[0..count) of the best row so far */
    int count;
    bool seen;  /* values holds a row */
    bool keyed; /* that row's first argument is not null (nor NaN) */
} arg_state;

static void arg_init(void *state, const kq_value *args, int argc) { memset(state, 0, sizeof(arg_state)); }

static void arg_store(arg_state *s, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    if (!s->values) {
        s->values = kq_arena_alloc(ctx->arena, (size_t)argc * sizeof(kq_value));
        s->count = argc;
    }
    for (int i = 0; i < argc && i < s->count; i++)
        s->values[i] = kq_value_copy(ctx->arena, args[i]);
    s->seen = true;
}

/* A row whose first argument is null only counts while no row with a value has
 * been seen, so a group where it is null throughout still returns its first row
 * (Kusto's documented null handling: the key column is null, the others are kept). */
static void arg_update(arg_state *s, const kq_value *args, int argc, int direction, kq_agg_ctx *ctx)
{
    if (args[0].null || (args[0].type == KQ_REAL && isnan(args[0].u.r))) {
        if (!s->seen)
            arg_store(s, args, argc, ctx);
        return;
    }
    /* Ties keep the first row seen. */
    if (s->keyed && kq_value_compare(&args[0], &s->values[0]) * direction <= 0)
        return;
    arg_store(s, args, argc, ctx);
    s->keyed = true;
}

static void arg_max_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx) { arg_update(state, args, argc, 1, ctx); }
static void arg_min_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx) { arg_update(state, args, argc, -1, ctx); }

/*
 * A row with a key beats one without, and a strictly better key beats the
 * kept one: ties and rows without a key keep this state's row, as updating
 * it with other's rows in order would.
 */
static void arg_merge(arg_state *s, const arg_state *other, int direction, kq_agg_ctx *ctx)
{
    if (!other->seen)
        return;
    bool take = !s->seen || (other->keyed && (!s->keyed ||
                                               kq_value_compare(&other->values[0], &s->values[0]) * direction > 0));
    if (!take)
        return;
    arg_store(s, other->values, other->count, ctx);
    s->keyed = other->keyed;
}

static void arg_max_merge(void *state, const void *other, kq_agg_ctx *ctx) { arg_merge(state, other, 1, ctx); }
static void arg_min_merge(void *state, const void *other, kq_agg_ctx *ctx) { arg_merge(state, other, -1, ctx); }

static kq_value arg_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    arg_state *s = state;
    return s->seen ? s->values[0] : kq_null(type);
}

static void arg_finish_row(void *state, kq_value *out, int count, kq_agg_ctx *ctx)
{
    arg_state *s = state;
    for (int i = 0; i < count; i++)
        out[i] = s->seen && i < s->count ? s->values[i] : kq_null(KQ_TYPE_NONE);
}

static void bind_arg(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] == KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error, "the value to maximize or minimize cannot be dynamic");
        result->error_arg = 0;
        return;
    }
    result->type = args[0];
}

/* merge and merge_inexact_for_reals as in kq_aggregate. */
#define AGG(name, min, max, bind, prefix, uses_arg, state, init, update, finish, merge, inexact, sig, doc) \
    {name, min, max, bind, prefix, uses_arg, sizeof(state), init, update, finish, sig, doc, NULL, 0, merge, inexact}

const kq_aggregate kq_aggregates[] = {
    AGG("count", 0, 1, bind_count, "count", false, count_state, count_init, count_update, count_finish,
        count_merge, false, "count() -> long", "Number of rows in the group."),
    AGG("countif", 1, 1, bind_countif, "countif", false, count_state, count_init, countif_update, count_finish,
        count_merge, false, "countif(condition) -> long", "Number of rows where the condition is true."),
    AGG("min", 1, 1, bind_same_type, "min", true, extreme_state, extreme_init, min_update, extreme_finish,
        min_merge, false, "min(x)", "Smallest non-null value."),
    AGG("max", 1, 1, bind_same_type, "max", true, extreme_state, extreme_init, max_update, extreme_finish,
        max_merge, false, "max(x)", "Largest non-null value."),
    AGG("take_any", 1, 1, bind_any, NULL, true, extreme_state, extreme_init, any_update, extreme_finish,
        any_merge, false, "take_any(x)", "Some value of the group, preferring a non-empty one."),
    AGG("any", 1, 1, bind_any, "any", true, extreme_state, extreme_init, any_update, extreme_finish,
        any_merge, false, "any(x)", "Deprecated name of take_any(); the column is named any_x."),
    AGG("sum", 1, 1, bind_sum, "sum", true, sum_state, sum_init, sum_update, sum_finish,
        sum_merge, true, "sum(x)", "Sum of non-null values."),
    AGG("sumif", 2, 2, bind_sum, "sumif", true, sum_state, sum_init, sumif_update, sum_finish,
        sum_merge, true, "sumif(x, condition)", "Sum of the values where the condition is true."),
    AGG("avg", 1, 1, bind_avg, "avg", true, sum_state, sum_init, sum_update, avg_finish,
        sum_merge, true, "avg(x) -> real", "Mean of non-null values."),
    AGG("make_set", 1, 2, bind_dynamic, "set", true, value_list, list_init, make_set_update, list_finish,
        set_merge, false, "make_set(x [, maxSize]) -> dynamic", "Distinct non-null values in first-seen order."),
    AGG("makeset", 1, 2, bind_dynamic, "set", true, value_list, list_init, make_set_update, list_finish,
        set_merge, false, "makeset(x [, maxSize]) -> dynamic", "Deprecated name of make_set()."),
    AGG("make_set_if", 2, 3, bind_dynamic_if, "set", true, value_list, list_init, make_set_if_update, list_finish,
        set_merge, false, "make_set_if(x, condition [, maxSize]) -> dynamic",
        "make_set() over the rows where the condition is true."),
    AGG("make_list", 1, 2, bind_dynamic, "list", true, value_list, list_init, make_list_update, list_finish,
        list_merge, false, "make_list(x [, maxSize]) -> dynamic",
        "All non-null values in input order; an array adds its elements."),
    AGG("makelist", 1, 2, bind_dynamic, "list", true, value_list, list_init, make_list_update, list_finish,
        list_merge, false, "makelist(x [, maxSize]) -> dynamic", "Deprecated name of make_list()."),
    AGG("make_list_if", 2, 3, bind_dynamic_if, "list", true, value_list, list_init, make_list_if_update, list_finish,
        list_merge, false, "make_list_if(x, condition [, maxSize]) -> dynamic",
        "make_list() over the rows where the condition is true."),
    AGG("dcount", 1, 2, kq_bind_long_result, "dcount", true, value_list, list_init, dcount_update, dcount_finish,
        set_merge, false, "dcount(x) -> long", "Number of distinct values (exact; Kusto returns an estimate)."),
    AGG("dcountif", 2, 3, bind_long_if, "dcountif", true, value_list, list_init, dcountif_update, dcount_finish,
        set_merge, false, "dcountif(x, condition) -> long", "dcount() over the rows where the condition is true."),
    {"arg_max", 1, ARG_MAX_VALUES, bind_arg, "max", false, sizeof(arg_state), arg_init, arg_max_update, arg_finish,
     "arg_max(x, expr1 [, ...] | *)", "Values of the row where x is largest (first such row on ties).",
     arg_finish_row, 0, arg_max_merge},
    {"arg_min", 1, ARG_MAX_VALUES, bind_arg, "min", false, sizeof(arg_state), arg_init, arg_min_update, arg_finish,
     "arg_min(x, expr1 [, ...] | *)", "Values of the row where x is smallest (first such row on ties).",
     arg_finish_row, 0, arg_min_merge},
    {"argmax", 1, ARG_MAX_VALUES, bind_arg, "max", false, sizeof(arg_state), arg_init, arg_max_update, arg_finish,
     "argmax(x, expr1 [, ...])", "Deprecated name of arg_max().", arg_finish_row, 0, arg_max_merge},
    {"argmin", 1, ARG_MAX_VALUES, bind_arg, "min", false, sizeof(arg_state), arg_init, arg_min_update, arg_finish,
     "argmin(x, expr1 [, ...])", "Deprecated name of arg_min().", arg_finish_row, 0, arg_min_merge},
};
const size_t kq_aggregate_total = KQ_ARRAY_LEN(kq_aggregates);
