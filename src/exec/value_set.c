/*
 * Value sets. `in` over strings and has_any over single-term needles use a
 * hash table, so a test costs O(length of the left value) whatever the list
 * size: has_any splits the left value into terms once and looks each up.
 * Needles that contain separators (phrases such as 'ammyy.com') are checked
 * one by one with the phrase rule.
 */
#include "exec/value_set.h"
#include "base/util.h"
#include "functions/terms.h"
#include "kql/limits.h"

#include <string.h>

struct kq_value_set {
    kq_list_op op;
    kq_value *values;     /* all listed values (in, !in) */
    size_t count;
    /* string hash: folded for in~ and has_any terms */
    kq_str *keys;
    uint32_t *slots;      /* index + 1; 0 = empty */
    uint32_t nslots;
    size_t nkeys;
    bool all_strings;
    kq_str *phrases;      /* has_any/has_all needles with separators (has_all: every needle) */
    size_t nphrases;
};

static uint64_t hash_text(const char *p, size_t len, bool fold)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        h ^= fold ? kq_ascii_lower(c) : c;
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static bool keys_equal(kq_str a, const char *p, size_t len, bool fold)
{
    if (a.len != len)
        return false;
    return fold ? kq_ascii_ieq(a.ptr, a.len, p, len) : memcmp(a.ptr, p, len) == 0;
}

static bool lookup(const kq_value_set *set, const char *p, size_t len, bool fold)
{
    if (!set->nslots)
        return false;
    uint32_t h = (uint32_t)hash_text(p, len, fold) & (set->nslots - 1);
    while (set->slots[h]) {
        if (keys_equal(set->keys[set->slots[h] - 1], p, len, fold))
            return true;
        h = (h + 1) & (set->nslots - 1);
    }
    return false;
}

static void build_hash(kq_run *run, kq_value_set *set, bool fold)
{
    uint32_t nslots = 16;
    while (nslots < set->nkeys * 2 + 2)
        nslots *= 2;
    set->slots = kq_arena_alloc(run->arena, nslots * sizeof(uint32_t));
    set->nslots = nslots;
    for (size_t i = 0; i < set->nkeys; i++) {
        if (lookup(set, set->keys[i].ptr, set->keys[i].len, fold))
            continue;
        uint32_t h = (uint32_t)hash_text(set->keys[i].ptr, set->keys[i].len, fold) & (nslots - 1);
        while (set->slots[h])
            h = (h + 1) & (nslots - 1);
        set->slots[h] = (uint32_t)i + 1;
    }
}

typedef struct value_buffer {
    kq_value *items;
    size_t count, cap;
} value_buffer;

static bool push_value(kq_run *run, value_buffer *buffer, kq_value v, const kq_expr *e)
{
    if (buffer->count >= KQ_MAX_LIST_VALUES * 10) {
        kq_run_fail(run, "the value list holds more than %d values", KQ_MAX_LIST_VALUES * 10);
        return false;
    }
    kq_grow((void **)&buffer->items, &buffer->cap, buffer->count + 1, sizeof(kq_value));
    buffer->items[buffer->count++] = v;
    return true;
}

/* A dynamic array in the list contributes its elements. */
static void push_expanded(kq_run *run, value_buffer *buffer, kq_value v, const kq_expr *e)
{
    if (v.type == KQ_DYNAMIC && v.u.d && v.u.d->kind == KQ_DYN_ARRAY) {
        for (uint32_t i = 0; i < v.u.d->count; i++) {
            const kq_dyn *item = v.u.d->u.items[i];
            kq_value element = item && item->kind == KQ_DYN_STRING
                                   ? kq_string(item->u.s.ptr, item->u.s.len)
                                   : kq_dynamic(item);
            if (item && item->kind == KQ_DYN_LONG)
                element = kq_long(item->u.l);
            else if (item && item->kind == KQ_DYN_REAL)
                element = kq_real(item->u.r);
            else if (item && item->kind == KQ_DYN_BOOL)
                element = kq_bool(item->u.b);
            if (!push_value(run, buffer, element, e))
                return;
        }
        return;
    }
    push_value(run, buffer, v, e);
}

static kq_value_set *build_set(kq_run *run, const kq_expr *e)
{
    value_buffer buffer = {0};
    for (int i = 1; i < e->nargs && !run->error; i++) {
        kq_value v;
        kq_eval(run, e->args[i], NULL, NULL, 1, &v, run->arena);
        push_expanded(run, &buffer, v, e);
    }
    for (int i = 0; i < e->nsubqueries && !run->error; i++) {
        size_t count = 0;
        kq_value *column = kq_run_collect_column(run, e->subqueries[i], &count);
        for (size_t k = 0; k < count && !run->error; k++)
            push_expanded(run, &buffer, column[k], e);
    }
    if (run->error) {
        free(buffer.items);
        return NULL;
    }
    kq_value_set *set = kq_arena_alloc(run->arena, sizeof *set);
    set->op = e->list_op;
    set->count = buffer.count;
    set->values = kq_arena_alloc(run->arena, (buffer.count ? buffer.count : 1) * sizeof(kq_value));
    if (buffer.count)
        memcpy(set->values, buffer.items, buffer.count * sizeof(kq_value));
    free(buffer.items);

    bool text_op = set->op != KQ_LIST_IN && set->op != KQ_LIST_NOT_IN;
    set->all_strings = true;
    for (size_t i = 0; i < set->count; i++)
        if (set->values[i].type != KQ_STRING)
            set->all_strings = false;
    set->keys = kq_arena_alloc(run->arena, (set->count ? set->count : 1) * sizeof(kq_str));
    set->phrases = kq_arena_alloc(run->arena, (set->count ? set->count : 1) * sizeof(kq_str));
    kq_eval_ctx ctx = {.arena = run->arena, .now = run->now};
    for (size_t i = 0; i < set->count; i++) {
        if (!text_op && !set->all_strings)
            break;
        kq_str text = kq_value_to_str(run->arena, &set->values[i]);
        if (set->op == KQ_LIST_HAS_ALL ||
            (set->op == KQ_LIST_HAS_ANY && !kq_is_single_term(text.ptr, text.len)))
            set->phrases[set->nphrases++] = text;
        else
            set->keys[set->nkeys++] = text;
    }
    (void)ctx;
    bool fold = set->op != KQ_LIST_IN && set->op != KQ_LIST_NOT_IN;
    if (text_op || set->all_strings)
        build_hash(run, set, fold);
    return set;
}

kq_value_set *kq_value_set_for(kq_run *run, const kq_expr *e)
{
    if (!run->sets[e->slot] && !run->error)
        run->sets[e->slot] = build_set(run, e);
    return run->sets[e->slot];
}

/* has_any: split the haystack into terms and look each up; then try phrase needles. */
static bool has_any(const kq_value_set *set, kq_str hay)
{
    size_t i = 0;
    while (i < hay.len && set->nkeys) {
        while (i < hay.len && !kq_is_alnum((unsigned char)hay.ptr[i]))
            i++;
        size_t start = i;
        while (i < hay.len && kq_is_alnum((unsigned char)hay.ptr[i]))
            i++;
        if (i > start && lookup(set, hay.ptr + start, i - start, true))
            return true;
    }
    for (size_t k = 0; k < set->nphrases; k++)
        if (kq_has(hay.ptr, hay.len, set->phrases[k].ptr, set->phrases[k].len, KQ_TERM_WHOLE, false))
            return true;
    return false;
}

static bool has_all(const kq_value_set *set, kq_str hay)
{
    for (size_t k = 0; k < set->nphrases; k++)
        if (!kq_has(hay.ptr, hay.len, set->phrases[k].ptr, set->phrases[k].len, KQ_TERM_WHOLE, false))
            return false;
    return true;
}

static bool contains_value(const kq_value_set *set, kq_eval_ctx *ctx, const kq_value *left)
{
    if (set->all_strings && (left->type == KQ_STRING || left->type == KQ_DYNAMIC)) {
        kq_str text = kq_value_to_str(ctx->arena, left);
        if (left->type == KQ_DYNAMIC && (!left->u.d || left->u.d->kind != KQ_DYN_STRING))
            return false;
        return lookup(set, text.ptr, text.len, false);
    }
    for (size_t i = 0; i < set->count; i++) {
        kq_value v = set->values[i];
        kq_value l = *left;
        if (l.type == KQ_DYNAMIC && v.type != KQ_DYNAMIC)
            l = kq_dyn_to_value(l.u.d, v.type, ctx->arena);
        if (l.null || v.null)
            continue;
        bool numeric = kq_type_is_numeric(l.type) && kq_type_is_numeric(v.type);
        if (!numeric && l.type != v.type && !(l.type == KQ_GUID || v.type == KQ_GUID))
            continue;
        if (kq_value_equal(&l, &v))
            return true;
    }
    return false;
}

kq_value kq_value_set_test(const kq_value_set *set, kq_eval_ctx *ctx, const kq_value *left)
{
    switch (set->op) {
    case KQ_LIST_IN:
        return kq_bool(contains_value(set, ctx, left));
    case KQ_LIST_NOT_IN:
        return kq_bool(!contains_value(set, ctx, left));
    case KQ_LIST_IN_CI:
    case KQ_LIST_NOT_IN_CI: {
        kq_str text = kq_value_to_str(ctx->arena, left);
        bool hit = lookup(set, text.ptr, text.len, true);
        return kq_bool(set->op == KQ_LIST_IN_CI ? hit : !hit);
    }
    case KQ_LIST_HAS_ANY:
        return kq_bool(has_any(set, kq_value_to_str(ctx->arena, left)));
    case KQ_LIST_HAS_ALL:
        return kq_bool(has_all(set, kq_value_to_str(ctx->arena, left)));
    }
    return kq_null(KQ_BOOL);
}
