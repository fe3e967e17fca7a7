/*
 * Property bags (bag_pack, bag_merge, bag_set_key, ...), set operations over
 * arrays, treepath, range, repeat and gettype. The function table is in
 * dynamic_functions.c.
 */
#include "functions/dynamic_internal.h"
#include "base/buf.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const kq_dyn null_element = {.kind = KQ_DYN_NULL};

/* Longest JSONPath (in steps) the bag functions follow; deeper paths are treated as invalid. */
#define MAX_PATH_STEPS 256

/* ---- hash sets of dynamic values and of keys ---- */

/* A set of distinct values in insertion order; capacity fixed at creation. */
typedef struct dyn_set {
    const kq_dyn **items;
    uint32_t count, capacity;
    uint32_t *slots; /* index + 1 into items; 0 = empty */
    uint32_t mask;
} dyn_set;

static void dyn_set_init(dyn_set *set, uint64_t capacity)
{
    uint32_t nslots = 16;
    while (nslots < capacity * 2)
        nslots *= 2;
    set->items = kq_xmalloc((capacity ? capacity : 1) * sizeof(kq_dyn *));
    set->slots = kq_xcalloc(nslots, sizeof(uint32_t));
    set->mask = nslots - 1;
    set->count = 0;
    set->capacity = (uint32_t)capacity;
}

static void dyn_set_free(dyn_set *set)
{
    free(set->items);
    free(set->slots);
}

/* Finds the slot of the value, or the empty slot where it would go. */
static uint32_t dyn_set_slot(const dyn_set *set, const kq_dyn *value)
{
    uint32_t h = (uint32_t)kq_dyn_hash(value) & set->mask;
    while (set->slots[h] && !kq_dyn_equal(set->items[set->slots[h] - 1], value))
        h = (h + 1) & set->mask;
    return h;
}

static bool dyn_set_contains(const dyn_set *set, const kq_dyn *value)
{
    return set->slots[dyn_set_slot(set, value)] != 0;
}

/* Adds the value unless present. The caller sized the set for every value it adds. */
static void dyn_set_add(dyn_set *set, const kq_dyn *value)
{
    uint32_t h = dyn_set_slot(set, value);
    if (set->slots[h] || set->count == set->capacity)
        return;
    set->items[set->count++] = value;
    set->slots[h] = set->count;
}

static void dyn_set_add_all(dyn_set *set, const kq_dyn *arr)
{
    for (uint32_t i = 0; i < arr->count; i++)
        dyn_set_add(set, arr->u.items[i]);
}

static kq_value dyn_set_to_array(kq_eval_ctx *ctx, const dyn_set *set)
{
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, set->count);
    if (set->count)
        memcpy(out->u.items, set->items, set->count * sizeof(kq_dyn *));
    return kq_dynamic(out);
}

/* Property-bag builder: members in insertion order with a hash index on the key. */
typedef struct bag_builder {
    kq_dyn *bag;
    uint32_t capacity;
    uint32_t *slots;
    uint32_t mask;
} bag_builder;

static void bag_init(bag_builder *b, kq_arena *arena, uint64_t capacity)
{
    uint32_t nslots = 16;
    while (nslots < capacity * 2)
        nslots *= 2;
    b->bag = kq_dynfn_new_object(arena, (uint32_t)capacity);
    b->bag->count = 0;
    b->capacity = (uint32_t)capacity;
    b->slots = kq_xcalloc(nslots, sizeof(uint32_t));
    b->mask = nslots - 1;
}

static uint32_t key_hash(kq_str key)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < key.len; i++)
        h = (h ^ (unsigned char)key.ptr[i]) * 16777619u;
    return h;
}

/* Sets key to value; an existing key keeps its value unless replace is set. */
static void bag_put(bag_builder *b, kq_str key, const kq_dyn *value, bool replace)
{
    uint32_t h = key_hash(key) & b->mask;
    while (b->slots[h]) {
        kq_dyn_member *m = &b->bag->u.members[b->slots[h] - 1];
        if (m->key.len == key.len && memcmp(m->key.ptr, key.ptr, key.len) == 0) {
            if (replace)
                m->value = value;
            return;
        }
        h = (h + 1) & b->mask;
    }
    if (b->bag->count == b->capacity)
        return;
    b->bag->u.members[b->bag->count].key = key;
    b->bag->u.members[b->bag->count].value = value;
    b->slots[h] = ++b->bag->count;
}

static kq_value bag_finish(bag_builder *b)
{
    free(b->slots);
    return kq_dynamic(b->bag);
}

/* ---- bag_pack, bag_keys, bag_merge, bag_zip ---- */

void kq_dynfn_bind_bag_pack(const kq_type *args, int argc, kq_bind_result *result)
{
    if (argc % 2 != 0) {
        snprintf(result->error, sizeof result->error,
                 "bag_pack() takes key/value pairs, so it needs an even number of arguments, not %d", argc);
        result->error_arg = argc - 1;
        return;
    }
    for (int i = 0; i < argc; i += 2)
        if (args[i] != KQ_STRING && args[i] != KQ_DYNAMIC) {
            snprintf(result->error, sizeof result->error, "the key in argument %d of bag_pack() must be a string, not %s",
                     i + 1, kq_type_name(args[i]));
            result->error_arg = i;
            return;
        }
    result->type = KQ_DYNAMIC;
}

/* bag_pack(key1, value1, ...): a repeated key keeps its last value; a key that is not a string is skipped. */
kq_value kq_dynfn_bag_pack(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    bag_builder b;
    bag_init(&b, ctx->arena, (uint64_t)argc / 2);
    for (int i = 0; i + 1 < argc; i += 2) {
        kq_str key;
        if (kq_dynfn_string_arg(&args[i], &key))
            bag_put(&b, key, kq_dynfn_element(ctx->arena, &args[i + 1]), true);
    }
    return bag_finish(&b);
}

kq_value kq_dynfn_bag_keys(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *bag = kq_dynfn_object(&args[0]);
    if (!bag)
        return kq_null(KQ_DYNAMIC);
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, bag->count);
    for (uint32_t i = 0; i < bag->count; i++) {
        kq_value key = kq_string(bag->u.members[i].key.ptr, bag->u.members[i].key.len);
        out->u.items[i] = kq_dyn_from_value(ctx->arena, &key);
    }
    return kq_dynamic(out);
}

/*
 * bag_merge(bag1, bag2, ...): the leftmost value of a repeated key wins, as in
 * the documented example. NOTE: arguments that are not bags are skipped. The
 * docs do not cover them.
 */
kq_value kq_dynfn_bag_merge(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint64_t total = 0;
    for (int a = 0; a < argc; a++) {
        const kq_dyn *bag = kq_dynfn_object(&args[a]);
        total += bag ? bag->count : 0;
    }
    if (total > UINT32_MAX / 2)
        return kq_null(KQ_DYNAMIC);
    bag_builder b;
    bag_init(&b, ctx->arena, total);
    for (int a = 0; a < argc; a++) {
        const kq_dyn *bag = kq_dynfn_object(&args[a]);
        for (uint32_t i = 0; bag && i < bag->count; i++)
            bag_put(&b, bag->u.members[i].key, bag->u.members[i].value, false);
    }
    return bag_finish(&b);
}

/* bag_zip(keys, values): keys that are not strings are skipped; values that are not an array give null values. */
kq_value kq_dynfn_bag_zip(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *keys = kq_dynfn_array(&args[0]);
    if (!keys)
        return kq_null(KQ_DYNAMIC);
    const kq_dyn *values = kq_dynfn_array(&args[1]);
    bag_builder b;
    bag_init(&b, ctx->arena, keys->count);
    for (uint32_t i = 0; i < keys->count; i++) {
        const kq_dyn *key = keys->u.items[i];
        if (!key || key->kind != KQ_DYN_STRING)
            continue;
        const kq_dyn *value = values && i < values->count ? values->u.items[i] : &null_element;
        bag_put(&b, key->u.s, value, true);
    }
    return bag_finish(&b);
}

/* ---- JSONPath keys: bag_has_key, bag_remove_keys, bag_set_key ---- */

/*
 * Splits a key into member names. A key not starting with '$' is one root
 * key. Otherwise it is a JSONPath of .name, ['name'] and ["name"] steps.
 * Returns the number of steps, or -1 for the root path, an array index or a
 * syntax error. *steps is malloc'ed.
 */
static int parse_key_path(kq_str key, kq_str **steps)
{
    *steps = kq_xmalloc(MAX_PATH_STEPS * sizeof(kq_str));
    if (key.len == 0 || key.ptr[0] != '$') {
        (*steps)[0] = key;
        return 1;
    }
    int n = 0;
    uint32_t i = 1;
    while (i < key.len) {
        if (n == MAX_PATH_STEPS)
            return -1;
        if (key.ptr[i] == '.') {
            uint32_t start = ++i;
            while (i < key.len && key.ptr[i] != '.' && key.ptr[i] != '[')
                i++;
            if (i == start)
                return -1;
            (*steps)[n++] = (kq_str){key.ptr + start, i - start};
        } else if (key.ptr[i] == '[' && i + 1 < key.len && (key.ptr[i + 1] == '\'' || key.ptr[i + 1] == '"')) {
            char quote = key.ptr[i + 1];
            uint32_t start = i + 2, end = start;
            while (end < key.len && key.ptr[end] != quote)
                end++;
            if (end + 1 >= key.len || key.ptr[end + 1] != ']')
                return -1;
            (*steps)[n++] = (kq_str){key.ptr + start, end - start};
            i = end + 2;
        } else {
            return -1;
        }
    }
    return n > 0 ? n : -1;
}

static int member_index(const kq_dyn *bag, kq_str key)
{
    for (uint32_t i = 0; bag && bag->kind == KQ_DYN_OBJECT && i < bag->count; i++)
        if (bag->u.members[i].key.len == key.len && memcmp(bag->u.members[i].key.ptr, key.ptr, key.len) == 0)
            return (int)i;
    return -1;
}

/*
 * bag_has_key(bag, key): true when the key or path exists, even with a null value.
 * NOTE: a bag argument that is not a property bag gives false, following the
 * docs' "true or false"; Kusto may return null for it instead.
 */
kq_value kq_dynfn_bag_has_key(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *bag = kq_dynfn_object(&args[0]);
    kq_str key, *steps;
    if (!bag || !kq_dynfn_string_arg(&args[1], &key))
        return kq_bool(false);
    int n = parse_key_path(key, &steps);
    bool found = n > 0;
    const kq_dyn *node = bag;
    for (int s = 0; s < n && found; s++) {
        int at = member_index(node, steps[s]);
        found = at >= 0;
        if (found)
            node = node->u.members[at].value;
    }
    free(steps);
    return kq_bool(found);
}

/* Copy of bag without the member at steps[0..n), or bag itself when there is no such member. */
static const kq_dyn *remove_path(kq_arena *arena, const kq_dyn *bag, const kq_str *steps, int n)
{
    int at = member_index(bag, steps[0]);
    if (at < 0)
        return bag;
    const kq_dyn *child = NULL;
    if (n > 1) {
        const kq_dyn *old = bag->u.members[at].value;
        child = remove_path(arena, old, steps + 1, n - 1);
        if (child == old)
            return bag;
    }
    kq_dyn *out = kq_dynfn_new_object(arena, bag->count);
    uint32_t k = 0;
    for (uint32_t i = 0; i < bag->count; i++) {
        if ((int)i == at && n == 1)
            continue;
        out->u.members[k] = bag->u.members[i];
        if ((int)i == at)
            out->u.members[k].value = child;
        k++;
    }
    out->count = k;
    return out;
}

/* bag_remove_keys(bag, keys): keys that are not strings or not valid paths are ignored. */
kq_value kq_dynfn_bag_remove_keys(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *bag = kq_dynfn_object(&args[0]);
    const kq_dyn *keys = kq_dynfn_array(&args[1]);
    if (!bag || !keys)
        return kq_null(KQ_DYNAMIC);
    for (uint32_t i = 0; i < keys->count; i++) {
        const kq_dyn *key = keys->u.items[i];
        if (!key || key->kind != KQ_DYN_STRING)
            continue;
        kq_str *steps;
        int n = parse_key_path(key->u.s, &steps);
        if (n > 0)
            bag = remove_path(ctx->arena, bag, steps, n);
        free(steps);
    }
    return kq_dynamic(bag);
}

/* Copy of bag (NULL: an empty bag) with the member at steps[0..n) set to value, creating bags on the way. */
static const kq_dyn *set_path(kq_arena *arena, const kq_dyn *bag, const kq_str *steps, int n, const kq_dyn *value)
{
    uint32_t count = bag && bag->kind == KQ_DYN_OBJECT ? bag->count : 0;
    int at = count ? member_index(bag, steps[0]) : -1;
    kq_dyn *out = kq_dynfn_new_object(arena, count + (at < 0));
    if (count)
        memcpy(out->u.members, bag->u.members, count * sizeof(kq_dyn_member));
    if (n > 1) {
        const kq_dyn *old = at >= 0 ? bag->u.members[at].value : NULL;
        value = set_path(arena, old && old->kind == KQ_DYN_OBJECT ? old : NULL, steps + 1, n - 1, value);
    }
    if (at >= 0) {
        out->u.members[at].value = value;
    } else {
        out->u.members[count].key = steps[0];
        out->u.members[count].value = value;
    }
    return out;
}

/*
 * bag_set_key(bag, key, value): null when bag is not a property bag or the key
 * is an invalid path. NOTE: an intermediate key whose value is not a bag is
 * replaced by a new bag; the docs do not cover that case.
 */
kq_value kq_dynfn_bag_set_key(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *bag = kq_dynfn_object(&args[0]);
    kq_str key, *steps;
    if (!bag || !kq_dynfn_string_arg(&args[1], &key))
        return kq_null(KQ_DYNAMIC);
    int n = parse_key_path(key, &steps);
    const kq_dyn *out = NULL;
    if (n > 0) {
        for (int s = 0; s < n; s++)
            steps[s].ptr = kq_arena_strndup(ctx->arena, steps[s].ptr, steps[s].len);
        out = set_path(ctx->arena, bag, steps, n, kq_dynfn_element(ctx->arena, &args[2]));
    }
    free(steps);
    return kq_dynamic(out);
}

/* ---- set_difference, set_union, set_intersect, jaccard_index ---- */

/* Checks that every argument is an array and returns their total length, or -1. */
static int64_t total_length(const kq_value *args, int argc)
{
    int64_t total = 0;
    for (int a = 0; a < argc; a++) {
        const kq_dyn *arr = kq_dynfn_array(&args[a]);
        if (!arr)
            return -1;
        total += arr->count;
    }
    return total > UINT32_MAX / 4 ? -1 : total;
}

kq_value kq_dynfn_set_union(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int64_t total = total_length(args, argc);
    if (total < 0)
        return kq_null(KQ_DYNAMIC);
    dyn_set set;
    dyn_set_init(&set, (uint64_t)total);
    for (int a = 0; a < argc; a++)
        dyn_set_add_all(&set, args[a].u.d);
    kq_value out = dyn_set_to_array(ctx, &set);
    dyn_set_free(&set);
    return out;
}

/*
 * Distinct elements of the first array, kept when present in every other
 * array (intersect) or in none (difference). Compares pairwise, which is
 * cheaper than hashing for short arrays.
 */
static kq_value filter_first(kq_eval_ctx *ctx, const kq_value *args, int argc, bool keep_when_present)
{
    const kq_dyn *first = args[0].u.d;
    dyn_set result;
    dyn_set_init(&result, first->count);
    for (uint32_t i = 0; i < first->count; i++) {
        const kq_dyn *item = first->u.items[i];
        bool keep = true;
        for (int a = 1; a < argc && keep; a++) {
            const kq_dyn *other = args[a].u.d;
            bool present = false;
            for (uint32_t k = 0; k < other->count && !present; k++)
                present = kq_dyn_equal(other->u.items[k], item);
            keep = present == keep_when_present;
        }
        if (keep)
            dyn_set_add(&result, item);
    }
    kq_value out = dyn_set_to_array(ctx, &result);
    dyn_set_free(&result);
    return out;
}

/* Same as filter_first, hashing the other arrays once for long inputs. */
static kq_value filter_first_hashed(kq_eval_ctx *ctx, const kq_value *args, int argc, bool keep_when_present)
{
    const kq_dyn *first = args[0].u.d;
    dyn_set *others = kq_xmalloc((size_t)argc * sizeof *others);
    for (int a = 1; a < argc; a++) {
        dyn_set_init(&others[a], args[a].u.d->count);
        dyn_set_add_all(&others[a], args[a].u.d);
    }
    dyn_set result;
    dyn_set_init(&result, first->count);
    for (uint32_t i = 0; i < first->count; i++) {
        const kq_dyn *item = first->u.items[i];
        bool keep = true;
        for (int a = 1; a < argc && keep; a++)
            keep = dyn_set_contains(&others[a], item) == keep_when_present;
        if (keep)
            dyn_set_add(&result, item);
    }
    for (int a = 1; a < argc; a++)
        dyn_set_free(&others[a]);
    free(others);
    kq_value out = dyn_set_to_array(ctx, &result);
    dyn_set_free(&result);
    return out;
}

static kq_value set_filter(kq_eval_ctx *ctx, const kq_value *args, int argc, bool keep_when_present)
{
    int64_t total = total_length(args, argc);
    if (total < 0)
        return kq_null(KQ_DYNAMIC);
    if (total <= 64)
        return filter_first(ctx, args, argc, keep_when_present);
    return filter_first_hashed(ctx, args, argc, keep_when_present);
}

kq_value kq_dynfn_set_difference(kq_eval_ctx *ctx, const kq_value *args, int argc) { return set_filter(ctx, args, argc, false); }
kq_value kq_dynfn_set_intersect(kq_eval_ctx *ctx, const kq_value *args, int argc) { return set_filter(ctx, args, argc, true); }

/* jaccard_index(set1, set2): |A ∩ B| / |A ∪ B| over distinct elements; null when both are empty. */
kq_value kq_dynfn_jaccard_index(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    if (total_length(args, 2) < 0)
        return kq_null(KQ_DYNAMIC);
    dyn_set a, b;
    dyn_set_init(&a, args[0].u.d->count);
    dyn_set_init(&b, args[1].u.d->count);
    dyn_set_add_all(&a, args[0].u.d);
    dyn_set_add_all(&b, args[1].u.d);
    uint32_t common = 0;
    for (uint32_t i = 0; i < a.count; i++)
        common += dyn_set_contains(&b, a.items[i]);
    uint32_t all = a.count + b.count - common;
    dyn_set_free(&a);
    dyn_set_free(&b);
    if (all == 0)
        return kq_null(KQ_DYNAMIC);
    kq_value ratio = kq_real((double)common / (double)all);
    return kq_dynamic(kq_dyn_from_value(ctx->arena, &ratio));
}

/* ---- treepath ---- */

typedef struct path_list {
    dyn_set seen;     /* paths already listed, as dynamic strings */
    const kq_dyn **paths;
    size_t count, cap;
} path_list;

static void add_path(kq_eval_ctx *ctx, path_list *list, const kq_buf *path)
{
    kq_value text = kq_string(path->data, path->len);
    kq_dyn probe = {.kind = KQ_DYN_STRING};
    probe.u.s = text.u.s;
    if (list->seen.count && dyn_set_contains(&list->seen, &probe))
        return;
    text.u.s.ptr = kq_arena_strndup(ctx->arena, path->data, path->len);
    const kq_dyn *item = kq_dyn_from_value(ctx->arena, &text);
    if (list->seen.count == list->seen.capacity) {
        /* Rebuild the index with room for twice as many paths. */
        dyn_set bigger;
        dyn_set_init(&bigger, (uint64_t)list->seen.count * 2 + 8);
        for (uint32_t i = 0; i < list->seen.count; i++)
            dyn_set_add(&bigger, list->seen.items[i]);
        dyn_set_free(&list->seen);
        list->seen = bigger;
    }
    dyn_set_add(&list->seen, item);
    kq_grow((void **)&list->paths, &list->cap, list->count + 1, sizeof(kq_dyn *));
    list->paths[list->count++] = item;
}

/* Lists ['key'] for every member and [0] for every non-empty array; all elements of an array share [0]. */
static void walk_paths(kq_eval_ctx *ctx, path_list *list, const kq_dyn *node, kq_buf *path)
{
    size_t mark = path->len;
    if (node->kind == KQ_DYN_OBJECT) {
        for (uint32_t i = 0; i < node->count; i++) {
            kq_buf_puts(path, "['");
            const kq_str key = node->u.members[i].key;
            for (uint32_t c = 0; c < key.len; c++) {
                if (key.ptr[c] == '\'' || key.ptr[c] == '\\')
                    kq_buf_putc(path, '\\');
                kq_buf_putc(path, key.ptr[c]);
            }
            kq_buf_puts(path, "']");
            add_path(ctx, list, path);
            walk_paths(ctx, list, node->u.members[i].value, path);
            path->len = mark;
            path->data[mark] = '\0';
        }
    } else if (node->kind == KQ_DYN_ARRAY && node->count > 0) {
        kq_buf_puts(path, "[0]");
        add_path(ctx, list, path);
        for (uint32_t i = 0; i < node->count; i++)
            walk_paths(ctx, list, node->u.items[i], path);
        path->len = mark;
        path->data[mark] = '\0';
    }
}

kq_value kq_dynfn_treepath(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *root = kq_dynfn_tree(&args[0]);
    if (!root)
        return kq_null(KQ_DYNAMIC);
    path_list list = {0};
    dyn_set_init(&list.seen, 8);
    kq_buf path;
    kq_buf_init(&path);
    kq_buf_puts(&path, "");
    walk_paths(ctx, &list, root, &path);
    kq_buf_free(&path);
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, (uint32_t)list.count);
    if (list.count)
        memcpy(out->u.items, list.paths, list.count * sizeof(kq_dyn *));
    free(list.paths);
    dyn_set_free(&list.seen);
    return kq_dynamic(out);
}

/* ---- range, repeat, gettype ---- */

void kq_dynfn_bind_range(const kq_type *args, int argc, kq_bind_result *result)
{
    kq_type start = args[0];
    bool numeric = kq_type_is_numeric(start);
    bool temporal = start == KQ_DATETIME || start == KQ_TIMESPAN;
    if (!numeric && !temporal && start != KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error,
                 "range() takes numbers, datetimes or timespans, not %s", kq_type_name(start));
        result->error_arg = 0;
        return;
    }
    for (int i = 1; i < argc; i++) {
        kq_type want = i == 2 && start == KQ_DATETIME ? KQ_TIMESPAN : start;
        bool fits = args[i] == KQ_DYNAMIC || start == KQ_DYNAMIC || args[i] == want ||
                    (numeric && kq_type_is_numeric(args[i]));
        if (!fits) {
            snprintf(result->error, sizeof result->error, "argument %d of range() must be %s, not %s", i + 1,
                     kq_type_name(want), kq_type_name(args[i]));
            result->error_arg = i;
            return;
        }
    }
    result->type = KQ_DYNAMIC;
}

static kq_value real_range(kq_eval_ctx *ctx, double start, double stop, double step)
{
    if (!isfinite(start) || !isfinite(stop) || !isfinite(step) || step == 0)
        return kq_null(KQ_DYNAMIC);
    double steps = floor((stop - start) / step);
    uint32_t count = KQ_DYN_MAX_ELEMENTS;
    if (steps < 0)
        count = 0;
    else if (steps < KQ_DYN_MAX_ELEMENTS)
        count = (uint32_t)steps + 1;
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, count);
    for (uint32_t i = 0; i < count; i++) {
        kq_value v = kq_real(start + step * i);
        /* stop - start can overflow to infinity, so check each element against stop. */
        if (step > 0 ? v.u.r > stop : v.u.r < stop) {
            out->count = i;
            break;
        }
        out->u.items[i] = kq_dyn_from_value(ctx->arena, &v);
    }
    return kq_dynamic(out);
}

/* Integer, datetime and timespan ranges; elements stop before overflowing int64 or passing stop. */
static kq_value tick_range(kq_eval_ctx *ctx, kq_type type, int64_t start, int64_t stop, int64_t step)
{
    if (step == 0)
        return kq_null(KQ_DYNAMIC);
    const kq_dyn **items = NULL;
    size_t count = 0, cap = 0;
    int64_t value = start;
    while (count < KQ_DYN_MAX_ELEMENTS && (step > 0 ? value <= stop : value >= stop)) {
        if (type == KQ_DATETIME && (value < 0 || value > KQ_DATETIME_MAX_TICKS))
            break;
        kq_value v = {.type = type};
        v.u.l = value;
        kq_grow((void **)&items, &cap, count + 1, sizeof(kq_dyn *));
        items[count++] = kq_dyn_from_value(ctx->arena, &v);
        if (__builtin_add_overflow(value, step, &value))
            break;
    }
    kq_value out = kq_dynamic(kq_dyn_array(ctx->arena, items, (uint32_t)count));
    free(items);
    return out;
}

/* range(start, stop [, step]): step defaults to 1, or 1h for datetimes and timespans. */
kq_value kq_dynfn_range(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    for (int i = 0; i < argc; i++)
        if (args[i].null || args[i].type == KQ_DYNAMIC)
            return kq_null(KQ_DYNAMIC);
    kq_type type = args[0].type;
    if (type == KQ_DATETIME || type == KQ_TIMESPAN) {
        int64_t step = argc > 2 ? args[2].u.l : KQ_TICKS_PER_HOUR;
        return tick_range(ctx, type, args[0].u.l, args[1].u.l, step);
    }
    bool integers = kq_type_is_integer(type) && kq_type_is_integer(args[1].type) &&
                    (argc < 3 || kq_type_is_integer(args[2].type));
    if (integers)
        return tick_range(ctx, KQ_LONG, args[0].u.l, args[1].u.l, argc > 2 ? args[2].u.l : 1);
    return real_range(ctx, kq_value_as_real(&args[0]), kq_value_as_real(&args[1]),
                      argc > 2 ? kq_value_as_real(&args[2]) : 1.0);
}

/*
 * repeat(value, count): null for a negative count.
 * NOTE: count is capped at 1,048,576 elements like range(); the repeat() docs state no limit.
 */
kq_value kq_dynfn_repeat(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int64_t count;
    if (!kq_dynfn_int_arg(&args[1], &count) || count < 0)
        return kq_null(KQ_DYNAMIC);
    if (count > KQ_DYN_MAX_ELEMENTS)
        count = KQ_DYN_MAX_ELEMENTS;
    const kq_dyn *element = kq_dynfn_element(ctx->arena, &args[0]);
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, (uint32_t)count);
    for (int64_t i = 0; i < count; i++)
        out->u.items[i] = element;
    return kq_dynamic(out);
}

/* Kusto reports a dynamic integer that fits 32 bits as int (gettype(parse_json('1')) is "int"). */
static const char *dynamic_type_name(const kq_dyn *d)
{
    if (!d)
        return "null";
    switch (d->kind) {
    case KQ_DYN_NULL:
        return "null";
    case KQ_DYN_BOOL:
        return "bool";
    case KQ_DYN_LONG:
        return d->u.l >= INT32_MIN && d->u.l <= INT32_MAX ? "int" : "long";
    case KQ_DYN_REAL:
        return "real";
    case KQ_DYN_STRING:
        return "string";
    case KQ_DYN_DATETIME:
        return "datetime";
    case KQ_DYN_TIMESPAN:
        return "timespan";
    case KQ_DYN_ARRAY:
        return "array";
    case KQ_DYN_OBJECT:
        return "dictionary";
    }
    return "null";
}

kq_value kq_dynfn_gettype(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const char *name = args[0].type == KQ_DYNAMIC ? dynamic_type_name(kq_dynfn_tree(&args[0]))
                                                  : kq_type_name(args[0].type);
    return kq_string(name, strlen(name));
}

/* ---- dynamic_to_json ---- */

static int compare_members(const void *a, const void *b)
{
    const kq_dyn_member *left = a, *right = b;
    size_t len = left->key.len < right->key.len ? left->key.len : right->key.len;
    int order = memcmp(left->key.ptr, right->key.ptr, len);
    if (order)
        return order;
    return left->key.len < right->key.len ? -1 : left->key.len > right->key.len;
}

/* A copy of the tree with every bag's keys in ordinal order, arrays kept in their order. */
static const kq_dyn *canonical_tree(kq_arena *arena, const kq_dyn *d)
{
    if (d->kind == KQ_DYN_ARRAY) {
        kq_dyn *copy = kq_dynfn_new_array(arena, d->count);
        for (uint32_t i = 0; i < d->count; i++)
            copy->u.items[i] = canonical_tree(arena, d->u.items[i]);
        return copy;
    }
    if (d->kind == KQ_DYN_OBJECT) {
        kq_dyn *copy = kq_dynfn_new_object(arena, d->count);
        for (uint32_t i = 0; i < d->count; i++) {
            copy->u.members[i].key = d->u.members[i].key;
            copy->u.members[i].value = canonical_tree(arena, d->u.members[i].value);
        }
        if (d->count > 1)
            qsort(copy->u.members, d->count, sizeof(kq_dyn_member), compare_members);
        return copy;
    }
    return d;
}

/* dynamic_to_json(value): the value as JSON with sorted bag keys, so equal values give
 * equal text; a non-dynamic argument gives its tostring() text. */
kq_value kq_dynfn_to_json(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    if (args[0].type != KQ_DYNAMIC) {
        kq_str text = kq_value_to_str(ctx->arena, &args[0]);
        return kq_string(text.ptr, text.len);
    }
    const kq_dyn *tree = kq_dynfn_tree(&args[0]);
    if (!tree)
        return kq_string("null", 4);
    kq_buf out;
    kq_buf_init(&out);
    kq_dyn_to_json(canonical_tree(ctx->arena, tree), &out);
    kq_value v = kq_string(kq_arena_strndup(ctx->arena, out.data ? out.data : "", out.len), out.len);
    kq_buf_free(&out);
    return v;
}
