/*
 * Column chunks: the raw encoding of one column of one block, before zstd.
 *
 *   u8 has_nulls, then nrows null bytes (1 = null) when has_nulls is 1
 *   int, long, datetime, timespan: nrows u64, each the difference from the previous value
 *     (the first from 0), wrapping; timestamps in time order then compress well
 *   real, decimal: nrows IEEE-754 doubles
 *   bool: nrows bytes, 0 or 1
 *   string, guid: nrows u32 lengths, then the bytes of every string
 *   dynamic: one tree per row that is not null (see put_dyn)
 */
#include "store/format.h"
#include "store/bytes.h"
#include "base/util.h"
#include "exec/batch_facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_double(kq_buf *out, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    kq_put_u64(out, bits);
}

/* A tree is u8 kind, then: bool u8; long, datetime, timespan u64; real double; string u32 length and
 * bytes; array u32 count and items; object u32 count and (key as a string, value) pairs. */
static bool put_dyn(kq_buf *out, const kq_dyn *dyn, int depth)
{
    if (depth > KQ_STORE_MAX_DYN_DEPTH)
        return false;
    kq_put_u8(out, (uint8_t)dyn->kind);
    switch (dyn->kind) {
    case KQ_DYN_NULL: return true;
    case KQ_DYN_BOOL: kq_put_u8(out, dyn->u.b ? 1 : 0); return true;
    case KQ_DYN_LONG:
    case KQ_DYN_DATETIME:
    case KQ_DYN_TIMESPAN: kq_put_u64(out, (uint64_t)dyn->u.l); return true;
    case KQ_DYN_REAL: put_double(out, dyn->u.r); return true;
    case KQ_DYN_STRING: kq_put_text(out, dyn->u.s.ptr, dyn->u.s.len); return true;
    case KQ_DYN_ARRAY:
        kq_put_u32(out, dyn->count);
        for (uint32_t i = 0; i < dyn->count; i++)
            if (!put_dyn(out, dyn->u.items[i], depth + 1))
                return false;
        return true;
    case KQ_DYN_OBJECT:
        kq_put_u32(out, dyn->count);
        for (uint32_t i = 0; i < dyn->count; i++) {
            kq_put_text(out, dyn->u.members[i].key.ptr, dyn->u.members[i].key.len);
            if (!put_dyn(out, dyn->u.members[i].value, depth + 1))
                return false;
        }
        return true;
    }
    return false;
}

bool kq_store_encode_column(const kq_column *column, uint32_t nrows, kq_buf *out)
{
    bool nulls = false;
    for (uint32_t r = 0; column->nulls && r < nrows && !nulls; r++)
        nulls = column->nulls[r] != 0;
    kq_put_u8(out, nulls);
    if (nulls)
        kq_buf_append(out, (const char *)column->nulls, nrows);
    kq_type type = column->type;
    if (kq_store_is_int64(type)) {
        uint64_t previous = 0;
        for (uint32_t r = 0; r < nrows; r++) {
            kq_put_u64(out, (uint64_t)column->v.l[r] - previous);
            previous = (uint64_t)column->v.l[r];
        }
    } else if (type == KQ_REAL || type == KQ_DECIMAL) {
        for (uint32_t r = 0; r < nrows; r++)
            put_double(out, column->v.r[r]);
    } else if (type == KQ_BOOL) {
        for (uint32_t r = 0; r < nrows; r++)
            kq_put_u8(out, column->v.b[r] ? 1 : 0);
    } else if (kq_store_is_text(type)) {
        for (uint32_t r = 0; r < nrows; r++)
            kq_put_u32(out, column->v.s[r].len);
        for (uint32_t r = 0; r < nrows; r++)
            kq_buf_append(out, column->v.s[r].ptr, column->v.s[r].len);
    } else if (type == KQ_DYNAMIC) {
        for (uint32_t r = 0; r < nrows; r++)
            if (!(nulls && column->nulls[r]) && !put_dyn(out, column->v.d[r] ? column->v.d[r] : &(kq_dyn){0}, 0))
                return false;
    }
    return true;
}

static bool fail(char *error, size_t size, const char *message, size_t offset)
{
    snprintf(error, size, "%s at byte %zu of the decompressed chunk", message, offset);
    return false;
}

static const kq_dyn *read_dyn(kq_reader *r, kq_arena *arena, int depth)
{
    if (depth > KQ_STORE_MAX_DYN_DEPTH)
        return NULL;
    uint8_t kind = kq_read_u8(r);
    if (r->bad || kind > KQ_DYN_OBJECT)
        return NULL;
    kq_dyn *dyn = kq_arena_alloc(arena, sizeof *dyn);
    memset(dyn, 0, sizeof *dyn);
    dyn->kind = (kq_dyn_kind)kind;
    switch (dyn->kind) {
    case KQ_DYN_NULL: break;
    case KQ_DYN_BOOL: dyn->u.b = kq_read_u8(r) != 0; break;
    case KQ_DYN_LONG:
    case KQ_DYN_DATETIME:
    case KQ_DYN_TIMESPAN: dyn->u.l = (int64_t)kq_read_u64(r); break;
    case KQ_DYN_REAL: {
        uint64_t bits = kq_read_u64(r);
        memcpy(&dyn->u.r, &bits, sizeof bits);
        break;
    }
    case KQ_DYN_STRING: {
        uint32_t len = kq_read_u32(r);
        const uint8_t *text = kq_read_bytes(r, len);
        if (!text)
            return NULL;
        dyn->u.s = (kq_str){kq_arena_strndup(arena, (const char *)text, len), len};
        break;
    }
    case KQ_DYN_ARRAY:
    case KQ_DYN_OBJECT: {
        uint32_t count = kq_read_u32(r);
        /* Every item takes at least one byte, so a count past the remaining bytes is damage. */
        if (r->bad || count > r->len - r->pos)
            return NULL;
        dyn->count = count;
        bool object = dyn->kind == KQ_DYN_OBJECT;
        if (object)
            dyn->u.members = kq_arena_alloc(arena, (count ? count : 1) * sizeof *dyn->u.members);
        else
            dyn->u.items = kq_arena_alloc(arena, (count ? count : 1) * sizeof *dyn->u.items);
        for (uint32_t i = 0; i < count; i++) {
            if (object) {
                uint32_t len = kq_read_u32(r);
                const uint8_t *key = kq_read_bytes(r, len);
                if (!key)
                    return NULL;
                dyn->u.members[i].key = (kq_str){kq_arena_strndup(arena, (const char *)key, len), len};
            }
            const kq_dyn *item = read_dyn(r, arena, depth + 1);
            if (!item)
                return NULL;
            if (object)
                dyn->u.members[i].value = item;
            else
                dyn->u.items[i] = item;
        }
        break;
    }
    }
    return r->bad ? NULL : dyn;
}

static bool decode_strings(kq_reader *r, uint32_t nrows, kq_column *column, kq_arena *arena, char *error,
                           size_t size)
{
    const uint8_t *lengths = kq_read_bytes(r, (size_t)nrows * 4);
    if (!lengths)
        return fail(error, size, "string lengths end early", r->len);
    uint64_t total = 0;
    kq_reader lr = {lengths, (size_t)nrows * 4, 0, false};
    for (uint32_t i = 0; i < nrows; i++)
        total += kq_read_u32(&lr);
    if (total != r->len - r->pos)
        return fail(error, size, "string lengths do not add up to the string bytes", r->pos);
    /* One block for every string, each followed by a NUL as the loaders leave them. */
    char *text = kq_arena_alloc(arena, (size_t)total + nrows + 1);
    column->v.s = kq_arena_alloc(arena, (nrows ? nrows : 1) * sizeof *column->v.s);
    lr.pos = 0;
    for (uint32_t i = 0; i < nrows; i++) {
        uint32_t len = kq_read_u32(&lr);
        memcpy(text, r->data + r->pos, len);
        text[len] = '\0';
        column->v.s[i] = (kq_str){text, len};
        text += len + 1;
        r->pos += len;
    }
    return true;
}

static bool decode_values(kq_reader *r, uint32_t nrows, kq_column *column, kq_arena *arena, char *error,
                          size_t size)
{
    kq_type type = column->type;
    size_t width = kq_store_is_int64(type) || type == KQ_REAL || type == KQ_DECIMAL ? 8 : 1;
    if (type == KQ_DYNAMIC) {
        column->v.d = kq_arena_alloc(arena, (nrows ? nrows : 1) * sizeof *column->v.d);
        for (uint32_t i = 0; i < nrows; i++) {
            column->v.d[i] = NULL;
            if (column->nulls && column->nulls[i])
                continue;
            if (!(column->v.d[i] = read_dyn(r, arena, 0)))
                return fail(error, size, "invalid dynamic value", r->pos);
        }
        return true;
    }
    const uint8_t *bytes = kq_read_bytes(r, (size_t)nrows * width);
    if (!bytes)
        return fail(error, size, "values end early", r->len);
    kq_reader vr = {bytes, (size_t)nrows * width, 0, false};
    if (kq_store_is_int64(type)) {
        column->v.l = kq_arena_alloc(arena, (nrows ? nrows : 1) * sizeof(int64_t));
        uint64_t value = 0;
        for (uint32_t i = 0; i < nrows; i++) {
            value += kq_read_u64(&vr);
            column->v.l[i] = (int64_t)value;
        }
    } else if (width == 8) {
        column->v.r = kq_arena_alloc(arena, (nrows ? nrows : 1) * sizeof(double));
        memcpy(column->v.r, bytes, (size_t)nrows * 8);
    } else {
        column->v.b = kq_arena_alloc(arena, nrows ? nrows : 1);
        for (uint32_t i = 0; i < nrows; i++)
            column->v.b[i] = bytes[i] != 0;
    }
    return true;
}

bool kq_store_decode_column(const uint8_t *data, size_t len, uint32_t nrows, kq_column *column, kq_arena *arena,
                            char *error, size_t size)
{
    kq_reader r = {data, len, 0, false};
    uint8_t has_nulls = kq_read_u8(&r);
    if (r.bad || has_nulls > 1)
        return fail(error, size, "invalid null marker", 0);
    column->nulls = NULL;
    if (has_nulls) {
        const uint8_t *nulls = kq_read_bytes(&r, nrows);
        if (!nulls)
            return fail(error, size, "null bytes end early", len);
        column->nulls = kq_arena_alloc(arena, nrows ? nrows : 1);
        for (uint32_t i = 0; i < nrows; i++)
            column->nulls[i] = nulls[i] != 0;
    }
    bool ok = kq_store_is_text(column->type) ? decode_strings(&r, nrows, column, arena, error, size)
                                             : decode_values(&r, nrows, column, arena, error, size);
    if (ok && r.pos != len)
        return fail(error, size, "extra bytes after the column's values", r.pos);
    return ok;
}

typedef struct term_set {
    uint64_t *slots; /* 0 = empty; a hash of 0 is stored as 1 */
    size_t cap, count;
} term_set;

static void term_set_add(void *user, uint64_t hash)
{
    term_set *set = user;
    if (set->count * 2 >= set->cap) {
        term_set bigger = {kq_xcalloc(set->cap * 2, sizeof(uint64_t)), set->cap * 2, 0};
        for (size_t i = 0; i < set->cap; i++)
            if (set->slots[i])
                term_set_add(&bigger, set->slots[i]);
        free(set->slots);
        *set = bigger;
    }
    uint64_t key = hash ? hash : 1;
    size_t i = (size_t)(key * UINT64_C(0x9E3779B97F4A7C15) >> 20) & (set->cap - 1);
    while (set->slots[i] && set->slots[i] != key)
        i = (i + 1) & (set->cap - 1);
    if (!set->slots[i]) {
        set->slots[i] = key;
        set->count++;
    }
}

typedef struct bloom_fill {
    uint64_t *bits, nbits;
} bloom_fill;

static void bloom_fill_add(void *user, uint64_t hash)
{
    bloom_fill *fill = user;
    kq_term_bloom_set(fill->bits, fill->nbits, hash);
}

/*
 * Sizes the filter at 10 bits per distinct term (about 1% false positives with
 * 3 bits per term), not per occurrence as the in-memory filter does, because
 * ingest can afford to count distinct terms and the filter is stored.
 */
uint64_t *kq_store_build_bloom(const kq_column *column, uint32_t nrows, uint8_t *log2)
{
    term_set set = {kq_xcalloc(1024, sizeof(uint64_t)), 1024, 0};
    for (uint32_t r = 0; r < nrows; r++)
        kq_term_hash_each(column->v.s[r].ptr, column->v.s[r].len, term_set_add, &set);
    uint8_t bits_log2 = KQ_STORE_MIN_BLOOM_LOG2;
    while (bits_log2 < KQ_STORE_MAX_BLOOM_LOG2 && (UINT64_C(1) << bits_log2) < 10 * (uint64_t)set.count)
        bits_log2++;
    free(set.slots);
    bloom_fill fill = {kq_xcalloc((UINT64_C(1) << bits_log2) / 64, sizeof(uint64_t)), UINT64_C(1) << bits_log2};
    for (uint32_t r = 0; r < nrows; r++)
        kq_term_hash_each(column->v.s[r].ptr, column->v.s[r].len, bloom_fill_add, &fill);
    *log2 = bits_log2;
    return fill.bits;
}
