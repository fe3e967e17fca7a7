/* dynamic values: build from JSON, print as JSON, compare and hash. */
#include "types/dynamic.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static kq_dyn *new_dyn(kq_arena *arena, kq_dyn_kind kind)
{
    kq_dyn *dyn = kq_arena_alloc(arena, sizeof *dyn);
    dyn->kind = kind;
    return dyn;
}

static kq_str arena_str(kq_arena *arena, const char *text, size_t len)
{
    kq_str s = {kq_arena_strndup(arena, text, len), (uint32_t)len};
    return s;
}

const kq_dyn *kq_dyn_from_jansson(kq_arena *arena, const json_t *json)
{
    kq_dyn *dyn;
    switch (json_typeof(json)) {
    case JSON_OBJECT: {
        dyn = new_dyn(arena, KQ_DYN_OBJECT);
        size_t n = json_object_size(json);
        dyn->u.members = kq_arena_alloc(arena, (n ? n : 1) * sizeof(kq_dyn_member));
        const char *key;
        json_t *value;
        uint32_t i = 0;
        /* json_object_foreach visits members in insertion order (jansson >= 2.8). */
        json_object_foreach((json_t *)json, key, value)
        {
            dyn->u.members[i].key = arena_str(arena, key, strlen(key));
            dyn->u.members[i].value = kq_dyn_from_jansson(arena, value);
            i++;
        }
        dyn->count = i;
        return dyn;
    }
    case JSON_ARRAY: {
        dyn = new_dyn(arena, KQ_DYN_ARRAY);
        size_t n = json_array_size(json);
        dyn->u.items = kq_arena_alloc(arena, (n ? n : 1) * sizeof(kq_dyn *));
        for (size_t i = 0; i < n; i++)
            dyn->u.items[i] = kq_dyn_from_jansson(arena, json_array_get(json, i));
        dyn->count = (uint32_t)n;
        return dyn;
    }
    case JSON_STRING:
        dyn = new_dyn(arena, KQ_DYN_STRING);
        dyn->u.s = arena_str(arena, json_string_value(json), json_string_length(json));
        return dyn;
    case JSON_INTEGER:
        dyn = new_dyn(arena, KQ_DYN_LONG);
        dyn->u.l = json_integer_value(json);
        return dyn;
    case JSON_REAL:
        dyn = new_dyn(arena, KQ_DYN_REAL);
        dyn->u.r = json_real_value(json);
        return dyn;
    case JSON_TRUE:
    case JSON_FALSE:
        dyn = new_dyn(arena, KQ_DYN_BOOL);
        dyn->u.b = json_is_true(json);
        return dyn;
    case JSON_NULL:
    default:
        return new_dyn(arena, KQ_DYN_NULL);
    }
}

const kq_dyn *kq_dyn_parse(kq_arena *arena, const char *text, size_t len, json_error_t *error)
{
    json_error_t local;
    json_t *json = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, error ? error : &local);
    if (!json)
        return NULL;
    const kq_dyn *dyn = kq_dyn_from_jansson(arena, json);
    json_decref(json);
    return dyn;
}

const kq_dyn *kq_dyn_from_value(kq_arena *arena, const kq_value *value)
{
    if (value->type == KQ_DYNAMIC)
        return value->u.d ? value->u.d : new_dyn(arena, KQ_DYN_NULL);
    if (value->null)
        return new_dyn(arena, KQ_DYN_NULL);
    kq_dyn *dyn;
    switch (value->type) {
    case KQ_BOOL:
        dyn = new_dyn(arena, KQ_DYN_BOOL);
        dyn->u.b = value->u.b;
        return dyn;
    case KQ_INT:
    case KQ_LONG:
        dyn = new_dyn(arena, KQ_DYN_LONG);
        dyn->u.l = value->u.l;
        return dyn;
    case KQ_REAL:
    case KQ_DECIMAL:
        dyn = new_dyn(arena, KQ_DYN_REAL);
        dyn->u.r = value->u.r;
        return dyn;
    case KQ_DATETIME:
        dyn = new_dyn(arena, KQ_DYN_DATETIME);
        dyn->u.l = value->u.l;
        return dyn;
    case KQ_TIMESPAN:
        dyn = new_dyn(arena, KQ_DYN_TIMESPAN);
        dyn->u.l = value->u.l;
        return dyn;
    case KQ_STRING:
    case KQ_GUID:
    default:
        dyn = new_dyn(arena, KQ_DYN_STRING);
        dyn->u.s = value->u.s;
        return dyn;
    }
}

const kq_dyn *kq_dyn_array(kq_arena *arena, const kq_dyn **items, uint32_t count)
{
    kq_dyn *dyn = new_dyn(arena, KQ_DYN_ARRAY);
    dyn->u.items = kq_arena_alloc(arena, (count ? count : 1) * sizeof(kq_dyn *));
    if (count)
        memcpy(dyn->u.items, items, count * sizeof(kq_dyn *));
    dyn->count = count;
    return dyn;
}

static const kq_dyn *copy_node(kq_arena *arena, const kq_dyn *dyn, int depth)
{
    if (!dyn || depth > 10000)
        return NULL;
    kq_dyn *copy = kq_arena_alloc(arena, sizeof *copy);
    *copy = *dyn;
    switch (dyn->kind) {
    case KQ_DYN_STRING:
        copy->u.s = arena_str(arena, dyn->u.s.ptr, dyn->u.s.len);
        break;
    case KQ_DYN_ARRAY:
        copy->u.items = kq_arena_alloc(arena, (dyn->count ? dyn->count : 1) * sizeof(kq_dyn *));
        for (uint32_t i = 0; i < dyn->count; i++)
            copy->u.items[i] = copy_node(arena, dyn->u.items[i], depth + 1);
        break;
    case KQ_DYN_OBJECT:
        copy->u.members = kq_arena_alloc(arena, (dyn->count ? dyn->count : 1) * sizeof(kq_dyn_member));
        for (uint32_t i = 0; i < dyn->count; i++) {
            copy->u.members[i].key = arena_str(arena, dyn->u.members[i].key.ptr, dyn->u.members[i].key.len);
            copy->u.members[i].value = copy_node(arena, dyn->u.members[i].value, depth + 1);
        }
        break;
    default:
        break;
    }
    return copy;
}

const kq_dyn *kq_dyn_copy(kq_arena *arena, const kq_dyn *dyn)
{
    return copy_node(arena, dyn, 0);
}

void kq_dyn_to_json(const kq_dyn *dyn, kq_buf *out)
{
    char text[48];
    if (!dyn) {
        kq_buf_puts(out, "null");
        return;
    }
    switch (dyn->kind) {
    case KQ_DYN_NULL:
        kq_buf_puts(out, "null");
        break;
    case KQ_DYN_BOOL:
        kq_buf_puts(out, dyn->u.b ? "true" : "false");
        break;
    case KQ_DYN_LONG:
        kq_buf_printf(out, "%lld", (long long)dyn->u.l);
        break;
    case KQ_DYN_REAL:
        if (isnan(dyn->u.r) || isinf(dyn->u.r)) {
            kq_real_format(dyn->u.r, text);
            kq_buf_json_string(out, text, strlen(text));
        } else {
            kq_real_format(dyn->u.r, text);
            kq_buf_puts(out, text);
        }
        break;
    case KQ_DYN_STRING:
        kq_buf_json_string(out, dyn->u.s.ptr, dyn->u.s.len);
        break;
    case KQ_DYN_DATETIME:
        kq_datetime_format(dyn->u.l, text);
        kq_buf_json_string(out, text, strlen(text));
        break;
    case KQ_DYN_TIMESPAN:
        kq_timespan_format(dyn->u.l, text);
        kq_buf_json_string(out, text, strlen(text));
        break;
    case KQ_DYN_ARRAY:
        kq_buf_putc(out, '[');
        for (uint32_t i = 0; i < dyn->count; i++) {
            if (i)
                kq_buf_putc(out, ',');
            kq_dyn_to_json(dyn->u.items[i], out);
        }
        kq_buf_putc(out, ']');
        break;
    case KQ_DYN_OBJECT:
        kq_buf_putc(out, '{');
        for (uint32_t i = 0; i < dyn->count; i++) {
            if (i)
                kq_buf_putc(out, ',');
            kq_buf_json_string(out, dyn->u.members[i].key.ptr, dyn->u.members[i].key.len);
            kq_buf_putc(out, ':');
            kq_dyn_to_json(dyn->u.members[i].value, out);
        }
        kq_buf_putc(out, '}');
        break;
    }
}

bool kq_dyn_equal(const kq_dyn *a, const kq_dyn *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return (!a || a->kind == KQ_DYN_NULL) && (!b || b->kind == KQ_DYN_NULL);
    if (a->kind != b->kind || a->count != b->count)
        return false;
    switch (a->kind) {
    case KQ_DYN_NULL:
        return true;
    case KQ_DYN_BOOL:
        return a->u.b == b->u.b;
    case KQ_DYN_LONG:
    case KQ_DYN_DATETIME:
    case KQ_DYN_TIMESPAN:
        return a->u.l == b->u.l;
    case KQ_DYN_REAL:
        return a->u.r == b->u.r || (isnan(a->u.r) && isnan(b->u.r));
    case KQ_DYN_STRING:
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0;
    case KQ_DYN_ARRAY:
        for (uint32_t i = 0; i < a->count; i++)
            if (!kq_dyn_equal(a->u.items[i], b->u.items[i]))
                return false;
        return true;
    case KQ_DYN_OBJECT:
        for (uint32_t i = 0; i < a->count; i++) {
            const kq_dyn_member *m = &a->u.members[i];
            const kq_dyn *other = kq_dyn_get_member(b, m->key.ptr, m->key.len);
            if (!other || !kq_dyn_equal(m->value, other))
                return false;
        }
        return true;
    }
    return false;
}

static uint64_t hash_bytes(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

uint64_t kq_dyn_hash(const kq_dyn *dyn)
{
    uint64_t h = UINT64_C(14695981039346656037);
    if (!dyn)
        return h;
    h = hash_bytes(h, &dyn->kind, sizeof dyn->kind);
    switch (dyn->kind) {
    case KQ_DYN_NULL:
        break;
    case KQ_DYN_BOOL:
        h = hash_bytes(h, &dyn->u.b, sizeof dyn->u.b);
        break;
    case KQ_DYN_LONG:
    case KQ_DYN_DATETIME:
    case KQ_DYN_TIMESPAN:
        h = hash_bytes(h, &dyn->u.l, sizeof dyn->u.l);
        break;
    case KQ_DYN_REAL: {
        double r = dyn->u.r == 0 ? 0 : dyn->u.r;
        h = hash_bytes(h, &r, sizeof r);
        break;
    }
    case KQ_DYN_STRING:
        h = hash_bytes(h, dyn->u.s.ptr, dyn->u.s.len);
        break;
    case KQ_DYN_ARRAY:
        for (uint32_t i = 0; i < dyn->count; i++)
            h = h * 31 + kq_dyn_hash(dyn->u.items[i]);
        break;
    case KQ_DYN_OBJECT:
        /* Order-independent, matching kq_dyn_equal. */
        for (uint32_t i = 0; i < dyn->count; i++) {
            uint64_t member = hash_bytes(UINT64_C(14695981039346656037),
                                         dyn->u.members[i].key.ptr, dyn->u.members[i].key.len);
            h ^= member + kq_dyn_hash(dyn->u.members[i].value);
        }
        break;
    }
    return h;
}

const kq_dyn *kq_dyn_get_member(const kq_dyn *obj, const char *key, size_t key_len)
{
    if (!obj || obj->kind != KQ_DYN_OBJECT)
        return NULL;
    for (uint32_t i = 0; i < obj->count; i++)
        if (obj->u.members[i].key.len == key_len &&
            memcmp(obj->u.members[i].key.ptr, key, key_len) == 0)
            return obj->u.members[i].value;
    return NULL;
}

const kq_dyn *kq_dyn_get_index(const kq_dyn *arr, int64_t index)
{
    if (!arr || arr->kind != KQ_DYN_ARRAY)
        return NULL;
    if (index < 0)
        index += arr->count;
    if (index < 0 || index >= arr->count)
        return NULL;
    return arr->u.items[index];
}

kq_value kq_dyn_to_value(const kq_dyn *dyn, kq_type type, kq_arena *arena)
{
    if (type == KQ_DYNAMIC)
        return kq_dynamic(dyn);
    if (!dyn || dyn->kind == KQ_DYN_NULL)
        return kq_null(type);
    kq_buf text;
    switch (type) {
    case KQ_STRING:
        if (dyn->kind == KQ_DYN_STRING)
            return kq_string(dyn->u.s.ptr, dyn->u.s.len);
        kq_buf_init(&text);
        if (dyn->kind == KQ_DYN_DATETIME || dyn->kind == KQ_DYN_TIMESPAN) {
            char tmp[48];
            if (dyn->kind == KQ_DYN_DATETIME)
                kq_datetime_format(dyn->u.l, tmp);
            else
                kq_timespan_format(dyn->u.l, tmp);
            kq_buf_puts(&text, tmp);
        } else {
            kq_dyn_to_json(dyn, &text);
        }
        {
            kq_value v = kq_string(kq_arena_strndup(arena, text.data, text.len), text.len);
            kq_buf_free(&text);
            return v;
        }
    case KQ_BOOL:
        if (dyn->kind == KQ_DYN_BOOL)
            return kq_bool(dyn->u.b);
        if (dyn->kind == KQ_DYN_LONG)
            return kq_bool(dyn->u.l != 0);
        if (dyn->kind == KQ_DYN_STRING) {
            if (kq_ascii_ieq(dyn->u.s.ptr, dyn->u.s.len, "true", 4))
                return kq_bool(true);
            if (kq_ascii_ieq(dyn->u.s.ptr, dyn->u.s.len, "false", 5))
                return kq_bool(false);
        }
        return kq_null(type);
    case KQ_INT:
    case KQ_LONG:
        if (dyn->kind == KQ_DYN_LONG)
            return type == KQ_INT ? kq_int(dyn->u.l) : kq_long(dyn->u.l);
        /* A real outside the long range (or NaN) has no integer value. */
        if (dyn->kind == KQ_DYN_REAL && dyn->u.r >= -9.2e18 && dyn->u.r <= 9.2e18)
            return type == KQ_INT ? kq_int((int64_t)dyn->u.r) : kq_long((int64_t)dyn->u.r);
        if (dyn->kind == KQ_DYN_BOOL)
            return kq_long(dyn->u.b);
        return kq_null(type);
    case KQ_REAL:
    case KQ_DECIMAL:
        if (dyn->kind == KQ_DYN_REAL)
            return kq_real(dyn->u.r);
        if (dyn->kind == KQ_DYN_LONG)
            return kq_real((double)dyn->u.l);
        return kq_null(type);
    case KQ_DATETIME:
        if (dyn->kind == KQ_DYN_DATETIME)
            return kq_datetime(dyn->u.l);
        if (dyn->kind == KQ_DYN_STRING) {
            int64_t ticks;
            if (kq_datetime_parse(dyn->u.s.ptr, dyn->u.s.len, &ticks))
                return kq_datetime(ticks);
        }
        return kq_null(type);
    case KQ_TIMESPAN:
        if (dyn->kind == KQ_DYN_TIMESPAN)
            return kq_timespan(dyn->u.l);
        if (dyn->kind == KQ_DYN_STRING) {
            int64_t ticks;
            if (kq_timespan_parse(dyn->u.s.ptr, dyn->u.s.len, &ticks))
                return kq_timespan(ticks);
        }
        return kq_null(type);
    default:
        return kq_null(type);
    }
}
