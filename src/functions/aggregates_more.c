/*
 * More aggregates: property bags, lists with nulls, variance, standard
 * deviation and covariance, exact distinct counts, take_anyif, percentiles and buildschema.
 * As in aggregates.c, values kept across batches are copied into the
 * summarize's arena, because input batches are released as the scan moves on.
 */
#include "functions/registry.h"
#include "base/util.h"
#include "table/table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Default and maximum size of make_bag and make_list_with_nulls, the 1,048,576 limit Kusto documents for make_list. */
#define MAX_COLLECTION_SIZE 1048576
/* Maximum number of percentages in one percentiles_array() call, the 64-argument limit of array_concat() and set_union(). */
#define MAX_PERCENTAGES 64

static bool is_true(const kq_value *v)
{
    if (v->null)
        return false;
    if (v->type == KQ_BOOL)
        return v->u.b;
    if (v->type == KQ_DYNAMIC && v->u.d && v->u.d->kind == KQ_DYN_BOOL)
        return v->u.d->u.b;
    return false;
}

/* Arena-backed growable array of pointers. */
static void push_pointer(const void ***items, uint32_t *count, uint32_t *cap, const void *item, kq_agg_ctx *ctx)
{
    if (*count == *cap) {
        uint32_t grown = *cap ? *cap * 2 : 8;
        const void **bigger = kq_arena_alloc(ctx->arena, grown * sizeof(void *));
        if (*count)
            memcpy(bigger, *items, *count * sizeof(void *));
        *items = bigger;
        *cap = grown;
    }
    (*items)[(*count)++] = item;
}

static int64_t read_size_limit(const kq_value *args, int argc, int index)
{
    if (argc > index && !args[index].null && kq_type_is_integer(args[index].type) && args[index].u.l > 0 &&
        args[index].u.l < MAX_COLLECTION_SIZE)
        return args[index].u.l;
    return MAX_COLLECTION_SIZE;
}

/* ---- make_bag, make_bag_if ---- */

typedef struct bag_state {
    kq_dyn_member *members;
    uint32_t count, cap;
    uint32_t *slots; /* index + 1 into members; 0 = empty */
    uint32_t nslots;
} bag_state;

static void zero_init_bag(void *state, const kq_value *args, int argc) { memset(state, 0, sizeof(bag_state)); }

static uint32_t key_hash(kq_str key)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < key.len; i++)
        h = (h ^ (unsigned char)key.ptr[i]) * 16777619u;
    return h;
}

static void bag_grow(bag_state *s, kq_agg_ctx *ctx)
{
    uint32_t cap = s->cap ? s->cap * 2 : 8;
    kq_dyn_member *members = kq_arena_alloc(ctx->arena, cap * sizeof *members);
    if (s->count)
        memcpy(members, s->members, s->count * sizeof *members);
    uint32_t nslots = cap * 2;
    uint32_t *slots = kq_arena_alloc(ctx->arena, nslots * sizeof *slots);
    for (uint32_t i = 0; i < s->count; i++) {
        uint32_t h = key_hash(members[i].key) & (nslots - 1);
        while (slots[h])
            h = (h + 1) & (nslots - 1);
        slots[h] = i + 1;
    }
    s->members = members;
    s->cap = cap;
    s->slots = slots;
    s->nslots = nslots;
}

/* Adds a member unless its key is present; the first value seen for a key is kept. */
static void bag_add_member(bag_state *s, const kq_dyn_member *m, int64_t limit, kq_agg_ctx *ctx)
{
    if (s->count == s->cap)
        bag_grow(s, ctx);
    uint32_t h = key_hash(m->key) & (s->nslots - 1);
    while (s->slots[h]) {
        const kq_dyn_member *have = &s->members[s->slots[h] - 1];
        if (have->key.len == m->key.len && memcmp(have->key.ptr, m->key.ptr, m->key.len) == 0)
            return;
        h = (h + 1) & (s->nslots - 1);
    }
    if (s->count >= limit)
        return;
    s->members[s->count] = *m;
    s->slots[h] = ++s->count;
}

static void bag_merge_value(bag_state *s, const kq_value *v, int64_t limit, kq_agg_ctx *ctx)
{
    if (v->type != KQ_DYNAMIC || v->null || !v->u.d || v->u.d->kind != KQ_DYN_OBJECT || s->count >= limit)
        return;
    kq_value copy = kq_value_copy(ctx->arena, *v);
    for (uint32_t i = 0; copy.u.d && i < copy.u.d->count; i++)
        bag_add_member(s, &copy.u.d->u.members[i], limit, ctx);
}

static void make_bag_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    bag_merge_value(state, &args[0], read_size_limit(args, argc, 1), ctx);
}

/* make_dictionary(): the deprecated name of make_bag(), whose default size limit is 128 keys. */
static void make_dictionary_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    int64_t limit = argc > 1 ? read_size_limit(args, argc, 1) : 128;
    bag_merge_value(state, &args[0], limit, ctx);
}

static void make_bag_if_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    if (is_true(&args[1]))
        bag_merge_value(state, &args[0], read_size_limit(args, argc, 2), ctx);
}

static kq_value make_bag_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    bag_state *s = state;
    kq_dyn *bag = kq_arena_alloc(ctx->arena, sizeof *bag);
    bag->kind = KQ_DYN_OBJECT;
    bag->u.members = s->count ? s->members : kq_arena_alloc(ctx->arena, sizeof(kq_dyn_member));
    bag->count = s->count;
    return kq_dynamic(bag);
}

/* ---- make_list_with_nulls ---- */

typedef struct list_state {
    const void **items;
    uint32_t count, cap;
} list_state;

static void zero_init_list(void *state, const kq_value *args, int argc) { memset(state, 0, sizeof(list_state)); }

static void make_list_with_nulls_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    list_state *s = state;
    if (s->count >= read_size_limit(args, argc, 1))
        return;
    kq_value copy = kq_value_copy(ctx->arena, args[0]);
    push_pointer(&s->items, &s->count, &s->cap, kq_dyn_from_value(ctx->arena, &copy), ctx);
}

static kq_value list_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    list_state *s = state;
    return kq_dynamic(kq_dyn_array(ctx->arena, (const kq_dyn **)s->items, s->count));
}

/* ---- variance, variancep, stdev, stdevp and their -if forms ---- */

/* Count, mean and sum of squared deviations, updated with Welford's method. */
typedef struct moments_state {
    int64_t n;
    double mean, m2;
} moments_state;

static void zero_init_moments(void *state, const kq_value *args, int argc) { memset(state, 0, sizeof(moments_state)); }

static void moments_add(moments_state *s, const kq_value *v)
{
    if (v->null)
        return;
    double x = kq_value_as_real(v);
    s->n++;
    double delta = x - s->mean;
    s->mean += delta / (double)s->n;
    s->m2 += delta * (x - s->mean);
}

static void moments_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx) { moments_add(state, &args[0]); }

static void moments_if_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    if (is_true(&args[1]))
        moments_add(state, &args[0]);
}

/*
 * Sample forms divide by n - 1 and population forms by n. A single value
 * has variance 0. NOTE: a group with no values gives null. The docs do not cover that case.
 */
static kq_value moments_result(const moments_state *s, bool sample, bool root)
{
    if (s->n == 0)
        return kq_null(KQ_REAL);
    double variance = s->n == 1 ? 0 : s->m2 / (double)(sample ? s->n - 1 : s->n);
    return kq_real(root ? sqrt(variance) : variance);
}

static kq_value variance_finish(void *state, kq_type type, kq_agg_ctx *ctx) { return moments_result(state, true, false); }
static kq_value variancep_finish(void *state, kq_type type, kq_agg_ctx *ctx) { return moments_result(state, false, false); }
static kq_value stdev_finish(void *state, kq_type type, kq_agg_ctx *ctx) { return moments_result(state, true, true); }
static kq_value stdevp_finish(void *state, kq_type type, kq_agg_ctx *ctx) { return moments_result(state, false, true); }

/* ---- covariance, covariancep and their -if forms ---- */

/* Count, means and co-moment sum((x - mean_x) * (y - mean_y)), updated online. */
typedef struct covariance_state {
    int64_t n;
    double mean_x, mean_y, comoment;
} covariance_state;

static void zero_init_covariance(void *state, const kq_value *args, int argc) { memset(state, 0, sizeof(covariance_state)); }

static void covariance_add(covariance_state *s, const kq_value *x, const kq_value *y)
{
    if (x->null || y->null)
        return;
    double vx = kq_value_as_real(x), vy = kq_value_as_real(y);
    s->n++;
    double dx = vx - s->mean_x;
    s->mean_x += dx / (double)s->n;
    s->mean_y += (vy - s->mean_y) / (double)s->n;
    s->comoment += dx * (vy - s->mean_y);
}

static void covariance_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx) { covariance_add(state, &args[0], &args[1]); }

static void covariance_if_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    if (is_true(&args[2]))
        covariance_add(state, &args[0], &args[1]);
}

/* Sample covariance divides by n - 1 (0 for one pair), population covariance by n; no pairs give null. */
static kq_value covariance_result(const covariance_state *s, bool sample)
{
    if (s->n == 0)
        return kq_null(KQ_REAL);
    if (s->n == 1)
        return kq_real(0);
    return kq_real(s->comoment / (double)(sample ? s->n - 1 : s->n));
}

static kq_value covariance_finish(void *state, kq_type type, kq_agg_ctx *ctx) { return covariance_result(state, true); }
static kq_value covariancep_finish(void *state, kq_type type, kq_agg_ctx *ctx) { return covariance_result(state, false); }

/* ---- count_distinct, count_distinctif ---- */

typedef struct distinct_state {
    const void **items; /* copied values as dynamic trees */
    uint32_t count, cap;
    uint32_t *slots;
    uint32_t nslots;
} distinct_state;

static void zero_init_distinct(void *state, const kq_value *args, int argc) { memset(state, 0, sizeof(distinct_state)); }

static void distinct_rehash(distinct_state *s, kq_agg_ctx *ctx)
{
    uint32_t nslots = s->nslots ? s->nslots * 2 : 16;
    uint32_t *slots = kq_arena_alloc(ctx->arena, nslots * sizeof *slots);
    for (uint32_t i = 0; i < s->count; i++) {
        uint32_t h = (uint32_t)kq_dyn_hash(s->items[i]) & (nslots - 1);
        while (slots[h])
            h = (h + 1) & (nslots - 1);
        slots[h] = i + 1;
    }
    s->slots = slots;
    s->nslots = nslots;
}

/* A stack-built dynamic node for a non-null scalar, matching what kq_dyn_from_value builds. */
static kq_dyn scalar_node(const kq_value *v)
{
    kq_dyn node = {.kind = KQ_DYN_STRING};
    switch (v->type) {
    case KQ_BOOL:
        node.kind = KQ_DYN_BOOL;
        node.u.b = v->u.b;
        break;
    case KQ_INT:
    case KQ_LONG:
        node.kind = KQ_DYN_LONG;
        node.u.l = v->u.l;
        break;
    case KQ_REAL:
    case KQ_DECIMAL:
        node.kind = KQ_DYN_REAL;
        node.u.r = v->u.r;
        break;
    case KQ_DATETIME:
    case KQ_TIMESPAN:
        node.kind = v->type == KQ_DATETIME ? KQ_DYN_DATETIME : KQ_DYN_TIMESPAN;
        node.u.l = v->u.l;
        break;
    default:
        node.u.s = v->u.s;
        break;
    }
    return node;
}

/*
 * Adds a value unless an equal one is present. A scalar is looked up through
 * a stack node, so repeated scalars cost no arena space. A dynamic value is
 * copied first, because the copy (made through JSON text) is the form stored.
 */
static void distinct_add(distinct_state *s, const kq_value *v, kq_agg_ctx *ctx)
{
    if (v->null || (v->type == KQ_DYNAMIC && (!v->u.d || v->u.d->kind == KQ_DYN_NULL)))
        return;
    kq_dyn scalar;
    const kq_dyn *probe = NULL;
    if (v->type == KQ_DYNAMIC) {
        probe = kq_value_copy(ctx->arena, *v).u.d;
        if (!probe)
            return;
    } else {
        scalar = scalar_node(v);
        probe = &scalar;
    }
    if ((s->count + 1) * 2 > s->nslots)
        distinct_rehash(s, ctx);
    uint32_t h = (uint32_t)kq_dyn_hash(probe) & (s->nslots - 1);
    while (s->slots[h]) {
        if (kq_dyn_equal(s->items[s->slots[h] - 1], probe))
            return;
        h = (h + 1) & (s->nslots - 1);
    }
    if (probe == &scalar) {
        kq_value copy = kq_value_copy(ctx->arena, *v);
        probe = kq_dyn_from_value(ctx->arena, &copy);
    }
    push_pointer(&s->items, &s->count, &s->cap, probe, ctx);
    s->slots[h] = s->count;
}

static void count_distinct_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx) { distinct_add(state, &args[0], ctx); }

static void count_distinctif_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    if (is_true(&args[1]))
        distinct_add(state, &args[0], ctx);
}

static kq_value count_distinct_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    return kq_long(((distinct_state *)state)->count);
}

/* ---- take_anyif ---- */

typedef struct any_state {
    kq_value value;
    bool seen;
} any_state;

static void zero_init_any(void *state, const kq_value *args, int argc) { memset(state, 0, sizeof(any_state)); }

/* Keeps the first non-null value among the rows where the condition is true. */
static void take_anyif_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    any_state *s = state;
    if ((s->seen && !s->value.null) || !is_true(&args[1]))
        return;
    s->value = kq_value_copy(ctx->arena, args[0]);
    s->seen = true;
}

static kq_value take_anyif_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    any_state *s = state;
    return s->seen ? s->value : kq_null(type);
}

/* ---- percentile, percentiles_array, percentilew, percentilesw_array ---- */

/*
 * Every value of the group is kept and sorted at the end, and each percentile
 * is the nearest-rank value: the smallest value whose cumulative weight
 * reaches ceil(p / 100 * total weight) (at least 1). Kusto computes an
 * estimate (t-digest); on small groups both agree with the documented examples.
 */
typedef struct sample {
    kq_value value;
    int64_t weight;
} sample;

typedef struct percentile_state {
    sample *samples;
    uint32_t count, cap;
    double *percentages;
    int npercentages; /* -1: invalid percentages, so every result is null */
    bool percentages_read;
} percentile_state;

static void zero_init_percentile(void *state, const kq_value *args, int argc) { memset(state, 0, sizeof(percentile_state)); }

static bool read_percentage(const kq_value *v, double *out)
{
    if (v->type == KQ_DYNAMIC) {
        const kq_dyn *d = v->null ? NULL : v->u.d;
        if (!d || (d->kind != KQ_DYN_LONG && d->kind != KQ_DYN_REAL))
            return false;
        *out = d->kind == KQ_DYN_REAL ? d->u.r : (double)d->u.l;
    } else {
        if (v->null || !kq_type_is_numeric(v->type))
            return false;
        *out = kq_value_as_real(v);
    }
    return *out >= 0 && *out <= 100;
}

/* Reads the percentages from args[first..]: numbers, or one dynamic array of numbers. */
static void read_percentages(percentile_state *s, const kq_value *args, int argc, int first, kq_agg_ctx *ctx)
{
    if (s->percentages_read)
        return;
    s->percentages_read = true;
    const kq_dyn *list = argc == first + 1 && args[first].type == KQ_DYNAMIC && !args[first].null && args[first].u.d &&
                                 args[first].u.d->kind == KQ_DYN_ARRAY
                             ? args[first].u.d
                             : NULL;
    int n = list ? (int)list->count : argc - first;
    if (n > MAX_PERCENTAGES) {
        s->npercentages = -1;
        return;
    }
    s->percentages = kq_arena_alloc(ctx->arena, (size_t)(n ? n : 1) * sizeof(double));
    for (int i = 0; i < n; i++) {
        kq_value v = list ? kq_dynamic(list->u.items[i]) : args[first + i];
        if (!read_percentage(&v, &s->percentages[i])) {
            s->npercentages = -1;
            return;
        }
    }
    s->npercentages = n;
}

static void percentile_add(percentile_state *s, const kq_value *v, int64_t weight, kq_agg_ctx *ctx)
{
    if (v->null || weight <= 0 || (v->type == KQ_REAL && isnan(v->u.r)))
        return;
    if (s->count == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 16;
        sample *bigger = kq_arena_alloc(ctx->arena, cap * sizeof *bigger);
        if (s->count)
            memcpy(bigger, s->samples, s->count * sizeof *bigger);
        s->samples = bigger;
        s->cap = cap;
    }
    s->samples[s->count].value = kq_value_copy(ctx->arena, *v);
    s->samples[s->count].weight = weight;
    s->count++;
}

static void percentile_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    read_percentages(state, args, argc, 1, ctx);
    percentile_add(state, &args[0], 1, ctx);
}

static void percentilew_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    read_percentages(state, args, argc, 2, ctx);
    if (!args[1].null && kq_type_is_integer(args[1].type))
        percentile_add(state, &args[0], args[1].u.l, ctx);
}

static int compare_samples(const void *a, const void *b)
{
    return kq_value_compare(&((const sample *)a)->value, &((const sample *)b)->value);
}

/* Sorts the samples and returns the nearest-rank value of each percentage, in order. */
static void nearest_ranks(percentile_state *s, const kq_value **out)
{
    if (s->samples && s->count > 1)
        qsort(s->samples, s->count, sizeof *s->samples, compare_samples);
    double total = 0;
    for (uint32_t i = 0; i < s->count; i++)
        total += (double)s->samples[i].weight;
    for (int p = 0; p < s->npercentages; p++) {
        double rank = ceil(s->percentages[p] / 100.0 * total);
        if (rank < 1)
            rank = 1;
        double cumulative = 0;
        out[p] = NULL;
        for (uint32_t i = 0; i < s->count && !out[p]; i++) {
            cumulative += (double)s->samples[i].weight;
            if (cumulative >= rank)
                out[p] = &s->samples[i].value;
        }
    }
}

static kq_value percentile_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    percentile_state *s = state;
    if (s->count == 0 || s->npercentages != 1)
        return kq_null(type);
    const kq_value *result;
    nearest_ranks(s, &result);
    return result ? *result : kq_null(type);
}

static kq_value percentiles_array_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    percentile_state *s = state;
    /* No rows: the percentages were never read, so the array's length is unknown. */
    if (s->npercentages < 0 || !s->percentages_read)
        return kq_null(KQ_DYNAMIC);
    const kq_value **results = kq_arena_alloc(ctx->arena, (size_t)(s->npercentages + 1) * sizeof *results);
    if (s->count)
        nearest_ranks(s, results);
    const kq_dyn **items = kq_arena_alloc(ctx->arena, (size_t)(s->npercentages + 1) * sizeof *items);
    for (int p = 0; p < s->npercentages; p++) {
        kq_value null_value = kq_null(KQ_DYNAMIC);
        items[p] = kq_dyn_from_value(ctx->arena, results[p] ? results[p] : &null_value);
    }
    return kq_dynamic(kq_dyn_array(ctx->arena, items, (uint32_t)s->npercentages));
}

/* Writes one value per percentage for percentile, percentiles and the weighted forms. */
static void percentiles_finish_row(void *state, kq_value *out, int count, kq_agg_ctx *ctx)
{
    percentile_state *s = state;
    const kq_value **results = kq_arena_alloc(ctx->arena, (size_t)(count + 1) * sizeof *results);
    bool known = s->count > 0 && s->npercentages == count;
    if (known)
        nearest_ranks(s, results);
    for (int p = 0; p < count; p++)
        out[p] = known && results[p] ? *results[p] : kq_null(KQ_TYPE_NONE);
}

/* ---- binary_all_and, binary_all_or, binary_all_xor ---- */

typedef struct bits_state {
    int64_t bits;
    bool seen;
} bits_state;

typedef enum bits_operation { BITS_AND, BITS_OR, BITS_XOR } bits_operation;

static void zero_init_bits(void *state, const kq_value *args, int argc) { memset(state, 0, sizeof(bits_state)); }

/* Folds one value into the state; null values are skipped. */
static void bits_update(bits_state *s, const kq_value *v, bits_operation operation)
{
    if (v->null)
        return;
    if (!s->seen) {
        s->bits = v->u.l;
        s->seen = true;
        return;
    }
    switch (operation) {
    case BITS_AND: s->bits &= v->u.l; break;
    case BITS_OR: s->bits |= v->u.l; break;
    case BITS_XOR: s->bits ^= v->u.l; break;
    }
}

static void bits_and_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx) { bits_update(state, &args[0], BITS_AND); }
static void bits_or_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx) { bits_update(state, &args[0], BITS_OR); }
static void bits_xor_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx) { bits_update(state, &args[0], BITS_XOR); }

static kq_value bits_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    bits_state *s = state;
    if (!s->seen)
        return kq_null(type);
    kq_value v = kq_long(s->bits);
    v.type = type;
    return v;
}

static void bind_bits(const kq_type *args, int argc, kq_bind_result *result)
{
    if (!kq_type_is_integer(args[0])) {
        snprintf(result->error, sizeof result->error, "binary_all_and/or/xor take an integer (int or long), not %s",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    result->type = args[0];
}

/* ---- buildschema ---- */

/*
 * A schema node is a union of alternatives in first-seen order: primitive type
 * names and at most one container. A container has a child schema per
 * property name, and arrays add their elements under the name "`indexer`".
 * NOTE: an empty array adds an empty container. A property seen only with
 * null values gets an empty union. The docs show neither case.
 */
#define SCHEMA_CONTAINER "{}"
/* Deepest level buildschema descends to; deeper parts of a value are left out of the schema. */
#define MAX_SCHEMA_DEPTH 512

typedef struct schema_node schema_node;

typedef struct schema_field {
    kq_str key;
    schema_node *node;
} schema_field;

struct schema_node {
    const char *alternatives[8]; /* primitive names, or SCHEMA_CONTAINER */
    int nalternatives;
    schema_field *fields;
    uint32_t nfields, cap;
    uint32_t *slots; /* index + 1 into fields; 0 = empty */
    uint32_t nslots;
};

typedef struct schema_state {
    schema_node *root;
} schema_state;

static void zero_init_schema(void *state, const kq_value *args, int argc) { memset(state, 0, sizeof(schema_state)); }

static void schema_add_alternative(schema_node *node, const char *name)
{
    for (int i = 0; i < node->nalternatives; i++)
        if (strcmp(node->alternatives[i], name) == 0)
            return;
    if (node->nalternatives < (int)KQ_ARRAY_LEN(node->alternatives))
        node->alternatives[node->nalternatives++] = name;
}

static void schema_grow_fields(schema_node *node, kq_agg_ctx *ctx)
{
    uint32_t cap = node->cap ? node->cap * 2 : 4;
    schema_field *fields = kq_arena_alloc(ctx->arena, cap * sizeof *fields);
    if (node->nfields)
        memcpy(fields, node->fields, node->nfields * sizeof *fields);
    uint32_t nslots = cap * 2;
    uint32_t *slots = kq_arena_alloc(ctx->arena, nslots * sizeof *slots);
    for (uint32_t i = 0; i < node->nfields; i++) {
        uint32_t h = key_hash(fields[i].key) & (nslots - 1);
        while (slots[h])
            h = (h + 1) & (nslots - 1);
        slots[h] = i + 1;
    }
    node->fields = fields;
    node->cap = cap;
    node->slots = slots;
    node->nslots = nslots;
}

/* The child schema for a property name, created (with the name copied) on first use. */
static schema_node *schema_child(schema_node *node, kq_str key, kq_agg_ctx *ctx)
{
    if (node->nfields == node->cap)
        schema_grow_fields(node, ctx);
    uint32_t h = key_hash(key) & (node->nslots - 1);
    while (node->slots[h]) {
        schema_field *f = &node->fields[node->slots[h] - 1];
        if (f->key.len == key.len && memcmp(f->key.ptr, key.ptr, key.len) == 0)
            return f->node;
        h = (h + 1) & (node->nslots - 1);
    }
    schema_field *f = &node->fields[node->nfields];
    f->key.ptr = kq_arena_strndup(ctx->arena, key.ptr, key.len);
    f->key.len = key.len;
    f->node = kq_arena_alloc(ctx->arena, sizeof(schema_node));
    node->slots[h] = ++node->nfields;
    return f->node;
}

static const char *primitive_name(const kq_dyn *d)
{
    switch (d->kind) {
    case KQ_DYN_BOOL:
        return "bool";
    case KQ_DYN_LONG:
        return "long";
    case KQ_DYN_REAL:
        return "double";
    case KQ_DYN_DATETIME:
        return "datetime";
    case KQ_DYN_TIMESPAN:
        return "timespan";
    default:
        return "string";
    }
}

/* Adds one value to a schema node. JSON nulls add nothing. */
static void schema_add(schema_node *node, const kq_dyn *d, int depth, kq_agg_ctx *ctx)
{
    if (!d || d->kind == KQ_DYN_NULL || depth > MAX_SCHEMA_DEPTH)
        return;
    if (d->kind == KQ_DYN_OBJECT) {
        schema_add_alternative(node, SCHEMA_CONTAINER);
        for (uint32_t i = 0; i < d->count; i++)
            schema_add(schema_child(node, d->u.members[i].key, ctx), d->u.members[i].value, depth + 1, ctx);
    } else if (d->kind == KQ_DYN_ARRAY) {
        schema_add_alternative(node, SCHEMA_CONTAINER);
        if (d->count == 0)
            return;
        kq_str indexer = {"`indexer`", 9};
        schema_node *items = schema_child(node, indexer, ctx);
        for (uint32_t i = 0; i < d->count; i++)
            schema_add(items, d->u.items[i], depth + 1, ctx);
    } else {
        schema_add_alternative(node, primitive_name(d));
    }
}

static void buildschema_update(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx)
{
    schema_state *s = state;
    if (args[0].null)
        return;
    if (!s->root)
        s->root = kq_arena_alloc(ctx->arena, sizeof(schema_node));
    const kq_dyn *d = args[0].type == KQ_DYNAMIC ? args[0].u.d : kq_dyn_from_value(ctx->arena, &args[0]);
    schema_add(s->root, d, 0, ctx);
}

/* A node with one alternative is that alternative; several become an array; none is an empty array. */
static const kq_dyn *schema_to_dyn(const schema_node *node, kq_agg_ctx *ctx)
{
    const kq_dyn **alternatives = kq_arena_alloc(ctx->arena, 8 * sizeof(kq_dyn *));
    for (int i = 0; i < node->nalternatives; i++) {
        if (strcmp(node->alternatives[i], SCHEMA_CONTAINER) != 0) {
            kq_value name = kq_string(node->alternatives[i], strlen(node->alternatives[i]));
            alternatives[i] = kq_dyn_from_value(ctx->arena, &name);
            continue;
        }
        kq_dyn *container = kq_arena_alloc(ctx->arena, sizeof *container);
        container->kind = KQ_DYN_OBJECT;
        container->count = node->nfields;
        kq_dyn_member *members = kq_arena_alloc(ctx->arena, (node->nfields ? node->nfields : 1) * sizeof *members);
        for (uint32_t f = 0; f < node->nfields; f++) {
            members[f].key = node->fields[f].key;
            members[f].value = schema_to_dyn(node->fields[f].node, ctx);
        }
        container->u.members = members;
        alternatives[i] = container;
    }
    if (node->nalternatives == 1)
        return alternatives[0];
    return kq_dyn_array(ctx->arena, alternatives, (uint32_t)node->nalternatives);
}

static kq_value buildschema_finish(void *state, kq_type type, kq_agg_ctx *ctx)
{
    schema_state *s = state;
    if (!s->root || s->root->nalternatives == 0)
        return kq_null(KQ_DYNAMIC);
    return kq_dynamic(schema_to_dyn(s->root, ctx));
}

/* ---- binders ---- */

static bool check_condition(const kq_type *args, int argc, int index, kq_bind_result *result)
{
    if (index < argc && args[index] != KQ_BOOL && args[index] != KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error, "the condition must be bool, not %s", kq_type_name(args[index]));
        result->error_arg = index;
        return false;
    }
    return true;
}

static bool check_size_limit(const kq_type *args, int argc, int index, kq_bind_result *result)
{
    if (index < argc && !kq_type_is_integer(args[index])) {
        snprintf(result->error, sizeof result->error, "the size limit must be an integer, not %s",
                 kq_type_name(args[index]));
        result->error_arg = index;
        return false;
    }
    return true;
}

static void bind_make_bag(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error, "make_bag() takes a dynamic property bag, not %s",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    if (check_size_limit(args, argc, 1, result))
        result->type = KQ_DYNAMIC;
}

static void bind_make_bag_if(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error, "make_bag_if() takes a dynamic property bag, not %s",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    if (check_condition(args, argc, 1, result) && check_size_limit(args, argc, 2, result))
        result->type = KQ_DYNAMIC;
}

static void bind_list_with_nulls(const kq_type *args, int argc, kq_bind_result *result)
{
    if (check_size_limit(args, argc, 1, result))
        result->type = KQ_DYNAMIC;
}

static void bind_moments(const kq_type *args, int argc, kq_bind_result *result)
{
    if (!kq_type_is_numeric(args[0])) {
        snprintf(result->error, sizeof result->error, "variance and standard deviation take a number, not %s",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    if (check_condition(args, argc, 1, result))
        result->type = KQ_REAL;
}

static void bind_covariance(const kq_type *args, int argc, kq_bind_result *result)
{
    for (int i = 0; i < 2; i++)
        if (!kq_type_is_numeric(args[i])) {
            snprintf(result->error, sizeof result->error, "covariance takes two numbers, but argument %d is %s", i + 1,
                     kq_type_name(args[i]));
            result->error_arg = i;
            return;
        }
    if (check_condition(args, argc, 2, result))
        result->type = KQ_REAL;
}

static void bind_count_distinct(const kq_type *args, int argc, kq_bind_result *result)
{
    if (check_condition(args, argc, 1, result))
        result->type = KQ_LONG;
}

static void bind_buildschema(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error, "buildschema() takes a dynamic value, not %s",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    result->type = KQ_DYNAMIC;
}

static void bind_take_anyif(const kq_type *args, int argc, kq_bind_result *result)
{
    if (check_condition(args, argc, 1, result))
        result->type = args[0];
}

/* percentile(x, p) and percentilew(x, weight, p) keep x's type; the _array forms give dynamic. */
static void bind_percentile_common(const kq_type *args, int argc, kq_bind_result *result, int first, bool array)
{
    if (args[0] == KQ_DYNAMIC || args[0] == KQ_BOOL) {
        snprintf(result->error, sizeof result->error, "percentiles take a number, datetime or timespan, not %s",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    if (first == 2 && !kq_type_is_integer(args[1])) {
        snprintf(result->error, sizeof result->error, "the weight must be an integer, not %s", kq_type_name(args[1]));
        result->error_arg = 1;
        return;
    }
    for (int i = first; i < argc; i++)
        if (!kq_type_is_numeric(args[i]) && !(array && args[i] == KQ_DYNAMIC && argc == first + 1)) {
            snprintf(result->error, sizeof result->error, "the percentage must be a number, not %s",
                     kq_type_name(args[i]));
            result->error_arg = i;
            return;
        }
    result->type = array ? KQ_DYNAMIC : args[0];
}

static void bind_percentile(const kq_type *args, int argc, kq_bind_result *result) { bind_percentile_common(args, argc, result, 1, false); }
static void bind_percentiles_array(const kq_type *args, int argc, kq_bind_result *result) { bind_percentile_common(args, argc, result, 1, true); }
static void bind_percentilew(const kq_type *args, int argc, kq_bind_result *result) { bind_percentile_common(args, argc, result, 2, false); }
static void bind_percentilesw_array(const kq_type *args, int argc, kq_bind_result *result) { bind_percentile_common(args, argc, result, 2, true); }

#define AGG(name, min, max, bind, prefix, uses_arg, state, init, update, finish, sig, doc) \
    {name, min, max, bind, prefix, uses_arg, sizeof(state), init, update, finish, sig, doc}

const kq_aggregate kq_more_aggregates[] = {
    AGG("make_bag", 1, 2, bind_make_bag, "bag", true, bag_state, zero_init_bag, make_bag_update, make_bag_finish,
        "make_bag(bag [, maxSize]) -> dynamic", "Merges property bags; the first value seen for a key is kept."),
    AGG("make_dictionary", 1, 2, bind_make_bag, "dictionary", true, bag_state, zero_init_bag, make_dictionary_update,
        make_bag_finish, "make_dictionary(bag [, maxSize]) -> dynamic", "Deprecated name of make_bag(); the default limit is 128 keys."),
    AGG("make_bag_if", 2, 3, bind_make_bag_if, "bag", true, bag_state, zero_init_bag, make_bag_if_update, make_bag_finish,
        "make_bag_if(bag, condition [, maxSize]) -> dynamic", "make_bag() over the rows where the condition is true."),
    AGG("make_list_with_nulls", 1, 2, bind_list_with_nulls, "list", true, list_state, zero_init_list,
        make_list_with_nulls_update, list_finish,
        "make_list_with_nulls(x [, maxSize]) -> dynamic", "All values in input order, nulls included."),
    AGG("variance", 1, 1, bind_moments, "variance", true, moments_state, zero_init_moments, moments_update, variance_finish,
        "variance(x) -> real", "Sample variance (divides by n - 1)."),
    AGG("varianceif", 2, 2, bind_moments, "varianceif", true, moments_state, zero_init_moments, moments_if_update,
        variance_finish, "varianceif(x, condition) -> real", "variance() over the rows where the condition is true."),
    AGG("variancep", 1, 1, bind_moments, "variancep", true, moments_state, zero_init_moments, moments_update,
        variancep_finish, "variancep(x) -> real", "Population variance (divides by n)."),
    AGG("variancepif", 2, 2, bind_moments, "variancepif", true, moments_state, zero_init_moments, moments_if_update,
        variancep_finish, "variancepif(x, condition) -> real", "variancep() over the rows where the condition is true."),
    AGG("stdev", 1, 1, bind_moments, "stdev", true, moments_state, zero_init_moments, moments_update, stdev_finish,
        "stdev(x) -> real", "Sample standard deviation (divides by n - 1)."),
    AGG("stdevif", 2, 2, bind_moments, "stdevif", true, moments_state, zero_init_moments, moments_if_update, stdev_finish,
        "stdevif(x, condition) -> real", "stdev() over the rows where the condition is true."),
    AGG("stdevp", 1, 1, bind_moments, "stdevp", true, moments_state, zero_init_moments, moments_update, stdevp_finish,
        "stdevp(x) -> real", "Population standard deviation (divides by n)."),
    AGG("covariance", 2, 2, bind_covariance, "covariance", true, covariance_state, zero_init_covariance,
        covariance_update, covariance_finish, "covariance(x, y) -> real", "Sample covariance (divides by n - 1)."),
    AGG("covarianceif", 3, 3, bind_covariance, "covarianceif", true, covariance_state, zero_init_covariance,
        covariance_if_update, covariance_finish,
        "covarianceif(x, y, condition) -> real", "covariance() over the rows where the condition is true."),
    AGG("covariancep", 2, 2, bind_covariance, "covariancep", true, covariance_state, zero_init_covariance,
        covariance_update, covariancep_finish, "covariancep(x, y) -> real", "Population covariance (divides by n)."),
    AGG("covariancepif", 3, 3, bind_covariance, "covariancepif", true, covariance_state, zero_init_covariance,
        covariance_if_update, covariancep_finish,
        "covariancepif(x, y, condition) -> real", "covariancep() over the rows where the condition is true."),
    AGG("count_distinct", 1, 1, bind_count_distinct, "count_distinct", true, distinct_state, zero_init_distinct,
        count_distinct_update, count_distinct_finish, "count_distinct(x) -> long", "Exact number of distinct non-null values."),
    AGG("count_distinctif", 2, 2, bind_count_distinct, "count_distinctif", true, distinct_state, zero_init_distinct,
        count_distinctif_update, count_distinct_finish,
        "count_distinctif(x, condition) -> long", "count_distinct() over the rows where the condition is true."),
    AGG("binary_all_and", 1, 1, bind_bits, NULL, true, bits_state, zero_init_bits, bits_and_update, bits_finish,
        "binary_all_and(x)", "Bitwise AND of the non-null values; the column keeps x's name."),
    AGG("binary_all_or", 1, 1, bind_bits, NULL, true, bits_state, zero_init_bits, bits_or_update, bits_finish,
        "binary_all_or(x)", "Bitwise OR of the non-null values; the column keeps x's name."),
    AGG("binary_all_xor", 1, 1, bind_bits, NULL, true, bits_state, zero_init_bits, bits_xor_update, bits_finish,
        "binary_all_xor(x)", "Bitwise XOR of the non-null values; the column keeps x's name."),
    AGG("take_anyif", 2, 2, bind_take_anyif, NULL, true, any_state, zero_init_any, take_anyif_update, take_anyif_finish,
        "take_anyif(x, condition)", "Some non-null value from the rows where the condition is true."),
    AGG("buildschema", 1, 1, bind_buildschema, "schema", true, schema_state, zero_init_schema, buildschema_update,
        buildschema_finish, "buildschema(x) -> dynamic", "The smallest schema that admits every value of x."),
    {"percentile", 2, 2, bind_percentile, "percentile", true, sizeof(percentile_state), zero_init_percentile,
     percentile_update, percentile_finish, "percentile(x, percentage)",
     "Nearest-rank percentile over all values (Kusto returns an estimate).", percentiles_finish_row, 1},
    {"percentiles", 2, MAX_PERCENTAGES + 1, bind_percentile, "percentile", true, sizeof(percentile_state),
     zero_init_percentile, percentile_update, percentile_finish, "percentiles(x, p1, p2, ...)",
     "Nearest-rank percentiles, one column per percentage (percentile_x_50, ...).", percentiles_finish_row, 1},
    AGG("percentiles_array", 2, MAX_PERCENTAGES + 1, bind_percentiles_array, "percentiles", true, percentile_state,
        zero_init_percentile, percentile_update, percentiles_array_finish,
        "percentiles_array(x, p1, p2, ... | dynamic([p1, ...])) -> dynamic", "Nearest-rank percentiles as an array."),
    {"percentilew", 3, 3, bind_percentilew, "percentile", true, sizeof(percentile_state), zero_init_percentile,
     percentilew_update, percentile_finish, "percentilew(x, weight, percentage)",
     "Weighted nearest-rank percentile (each row counts weight times).", percentiles_finish_row, 2},
    {"percentilesw", 3, MAX_PERCENTAGES + 2, bind_percentilew, "percentile", true, sizeof(percentile_state),
     zero_init_percentile, percentilew_update, percentile_finish, "percentilesw(x, weight, p1, p2, ...)",
     "Weighted nearest-rank percentiles, one column per percentage.", percentiles_finish_row, 2},
    AGG("percentilesw_array", 3, MAX_PERCENTAGES + 2, bind_percentilesw_array, "percentiles", true, percentile_state,
        zero_init_percentile, percentilew_update, percentiles_array_finish,
        "percentilesw_array(x, weight, p1, ... | dynamic([p1, ...])) -> dynamic", "Weighted nearest-rank percentiles as an array."),
};
const size_t kq_more_aggregate_total = KQ_ARRAY_LEN(kq_more_aggregates);
