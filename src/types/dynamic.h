/*
 * dynamic: KQL's JSON-like value.
 *
 * Ownership: a kq_dyn tree and its strings live in the arena they were built
 * in; trees are immutable once built and may be shared between rows.
 * Object members keep their input order.
 */
#ifndef KQ_TYPES_DYNAMIC_H
#define KQ_TYPES_DYNAMIC_H

#include "base/arena.h"
#include "base/buf.h"
#include "types/types.h"

#include <jansson.h>

typedef enum kq_dyn_kind {
    KQ_DYN_NULL,
    KQ_DYN_BOOL,
    KQ_DYN_LONG,
    KQ_DYN_REAL,
    KQ_DYN_STRING,
    KQ_DYN_DATETIME, /* built by make_set/pack over datetime values; printed as text */
    KQ_DYN_TIMESPAN,
    KQ_DYN_ARRAY,
    KQ_DYN_OBJECT,
} kq_dyn_kind;

typedef struct kq_dyn kq_dyn;

typedef struct kq_dyn_member {
    kq_str key;
    const kq_dyn *value;
} kq_dyn_member;

struct kq_dyn {
    kq_dyn_kind kind;
    uint32_t count; /* array items or object members */
    union {
        bool b;
        int64_t l; /* long, datetime ticks, timespan ticks */
        double r;
        kq_str s;
        const kq_dyn **items;
        kq_dyn_member *members;
    } u;
};

const kq_dyn *kq_dyn_from_jansson(kq_arena *arena, const json_t *json);
/* Parses JSON text. Returns NULL when text is not valid JSON (error may be NULL). */
const kq_dyn *kq_dyn_parse(kq_arena *arena, const char *text, size_t len, json_error_t *error);
/* Converts a scalar value to dynamic (strings stay strings; null stays JSON null). */
const kq_dyn *kq_dyn_from_value(kq_arena *arena, const kq_value *value);
const kq_dyn *kq_dyn_array(kq_arena *arena, const kq_dyn **items, uint32_t count);
/* Copies a tree into another arena, keeping every node's kind (datetimes stay datetimes).
 * Returns NULL for trees nested deeper than 10,000 levels. */
const kq_dyn *kq_dyn_copy(kq_arena *arena, const kq_dyn *dyn);

/* Appends the JSON text of a dynamic value (Kusto's compact form, no spaces). */
void kq_dyn_to_json(const kq_dyn *dyn, kq_buf *out);

/* Deep equality with Kusto's rules: long 1 and real 1.0 differ; strings are case-sensitive. */
bool kq_dyn_equal(const kq_dyn *a, const kq_dyn *b);
uint64_t kq_dyn_hash(const kq_dyn *dyn);

/* Member lookup in an object; NULL when absent or not an object. */
const kq_dyn *kq_dyn_get_member(const kq_dyn *obj, const char *key, size_t key_len);
/* Array element; negative index counts from the end; NULL when out of range. */
const kq_dyn *kq_dyn_get_index(const kq_dyn *arr, int64_t index);

/* Converts a dynamic leaf to a scalar of the given type (Kusto's implicit conversion rules). */
kq_value kq_dyn_to_value(const kq_dyn *dyn, kq_type type, kq_arena *arena);

#endif
