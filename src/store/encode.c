/*
 * Column chunks: the raw encoding of one column of one block, before zstd.
 *
 *   u8 flags: 1 = the column has nulls, 2 = a text column is dictionary coded
 *   (version 2; version 1 chunks have only flag 1), then nrows null bytes
 *   (1 = null) when flag 1 is set
 *   int, long, datetime, timespan: nrows u64, each the difference from the previous value
 *     (the first from 0), wrapping; timestamps in time order then compress well
 *   real, decimal: nrows IEEE-754 doubles
 *   bool: nrows bytes, 0 or 1
 *   string, guid: nrows u32 lengths, then the bytes of every string. Dictionary
 *     coded: a u32 count of distinct values, their u32 lengths, their bytes, then
 *     nrows u16 codes (indexes into the distinct values). Flag 4 (version 3,
 *     alone): only nrows u16 codes into the segment's dictionary (shared_dict.c)
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

/* The distinct values of a text column and each row's code: an open-addressing table of row numbers. */
typedef struct text_dictionary {
    uint32_t *slots; /* the first row with the value, plus 1 (0 = empty) */
    uint32_t cap;
    uint32_t *first; /* per code: the first row with that value */
    uint16_t *codes; /* per row */
    uint32_t count;
    uint64_t bytes; /* of the distinct values */
} text_dictionary;

static uint64_t text_hash(const char *text, uint32_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)text[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* Codes the column's rows; false when it has more distinct values than u16 codes can name. */
static bool build_dictionary(const kq_column *column, uint32_t nrows, text_dictionary *dict)
{
    uint32_t cap = 64;
    while (cap < 2 * nrows)
        cap *= 2;
    *dict = (text_dictionary){kq_xcalloc(cap, sizeof(uint32_t)), cap, kq_xmalloc((nrows ? nrows : 1) * 4),
                              kq_xmalloc((nrows ? nrows : 1) * 2), 0, 0};
    for (uint32_t r = 0; r < nrows; r++) {
        const kq_str *s = &column->v.s[r];
        uint32_t i = (uint32_t)(text_hash(s->ptr, s->len) >> 32) & (cap - 1);
        for (;; i = (i + 1) & (cap - 1)) {
            uint32_t slot = dict->slots[i];
            if (!slot) {
                if (dict->count > UINT16_MAX)
                    return false;
                dict->slots[i] = r + 1;
                dict->first[dict->count] = r;
                dict->codes[r] = (uint16_t)dict->count++;
                dict->bytes += s->len;
                break;
            }
            const kq_str *seen = &column->v.s[slot - 1];
            if (seen->len == s->len && memcmp(seen->ptr, s->ptr, s->len) == 0) {
                dict->codes[r] = dict->codes[slot - 1];
                break;
            }
        }
    }
    return true;
}

static void free_dictionary(text_dictionary *dict)
{
    free(dict->slots);
    free(dict->first);
    free(dict->codes);
}

/*
 * Appends a text column, dictionary coded when that is smaller than plain.
 * Returns whether it coded it; the caller has reserved the flags byte.
 */
static bool put_text_column(const kq_column *column, uint32_t nrows, kq_buf *out)
{
    text_dictionary dict;
    uint64_t plain = 0;
    for (uint32_t r = 0; r < nrows; r++)
        plain += 4 + (uint64_t)column->v.s[r].len;
    bool coded = build_dictionary(column, nrows, &dict) &&
                 4 + 4 * (uint64_t)dict.count + dict.bytes + 2 * (uint64_t)nrows < plain;
    if (coded) {
        kq_put_u32(out, dict.count);
        for (uint32_t c = 0; c < dict.count; c++)
            kq_put_u32(out, column->v.s[dict.first[c]].len);
        for (uint32_t c = 0; c < dict.count; c++)
            kq_buf_append(out, column->v.s[dict.first[c]].ptr, column->v.s[dict.first[c]].len);
        for (uint32_t r = 0; r < nrows; r++)
            kq_buf_append(out, (const char *)(uint8_t[2]){(uint8_t)dict.codes[r], (uint8_t)(dict.codes[r] >> 8)}, 2);
    } else {
        for (uint32_t r = 0; r < nrows; r++)
            kq_put_u32(out, column->v.s[r].len);
        for (uint32_t r = 0; r < nrows; r++)
            kq_buf_append(out, column->v.s[r].ptr, column->v.s[r].len);
    }
    free_dictionary(&dict);
    return coded;
}

bool kq_store_encode_column(const kq_column *column, uint32_t nrows, kq_buf *out)
{
    bool nulls = false;
    for (uint32_t r = 0; column->nulls && r < nrows && !nulls; r++)
        nulls = column->nulls[r] != 0;
    size_t flags_at = out->len;
    kq_put_u8(out, nulls ? KQ_CHUNK_NULLS : 0);
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
        if (put_text_column(column, nrows, out))
            out->data[flags_at] |= KQ_CHUNK_DICTIONARY;
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

uint64_t kq_store_sum_lengths(const uint8_t *lengths, uint32_t count)
{
    uint64_t total = 0;
    kq_reader lr = {lengths, (size_t)count * 4, 0, false};
    for (uint32_t i = 0; i < count; i++)
        total += kq_read_u32(&lr);
    return total;
}

kq_str *kq_store_copy_strings(kq_reader *r, const uint8_t *lengths, uint32_t count, uint64_t total,
                              kq_arena *arena)
{
    char *text = kq_arena_alloc(arena, (size_t)total + count + 1);
    kq_str *out = kq_arena_alloc(arena, (count ? count : 1) * sizeof *out);
    kq_reader lr = {lengths, (size_t)count * 4, 0, false};
    for (uint32_t i = 0; i < count; i++) {
        uint32_t len = kq_read_u32(&lr);
        memcpy(text, r->data + r->pos, len);
        text[len] = '\0';
        out[i] = (kq_str){text, len};
        text += len + 1;
        r->pos += len;
    }
    return out;
}

static bool decode_strings(kq_reader *r, uint32_t nrows, kq_column *column, kq_arena *arena, char *error,
                           size_t size)
{
    const uint8_t *lengths = kq_read_bytes(r, (size_t)nrows * 4);
    if (!lengths)
        return fail(error, size, "string lengths end early", r->len);
    uint64_t total = kq_store_sum_lengths(lengths, nrows);
    if (total != r->len - r->pos)
        return fail(error, size, "string lengths do not add up to the string bytes", r->pos);
    column->v.s = kq_store_copy_strings(r, lengths, nrows, total, arena);
    return true;
}

/* Reads nrows u16 codes into a coded column over values (count entries); false when a code is out of range. */
static bool read_codes(kq_reader *r, uint32_t nrows, const kq_str *values, uint32_t count, kq_column *column,
                       kq_arena *arena, char *error, size_t size)
{
    const uint8_t *bytes = kq_read_bytes(r, (size_t)nrows * 2);
    if (!bytes)
        return fail(error, size, "codes end early", r->len);
    uint16_t *codes = kq_arena_alloc(arena, (nrows ? nrows : 1) * sizeof *codes);
    uint32_t largest = 0;
    for (uint32_t i = 0; i < nrows; i++) {
        codes[i] = (uint16_t)(bytes[2 * i] | bytes[2 * i + 1] << 8);
        largest = codes[i] > largest ? codes[i] : largest;
    }
    if (nrows > 0 && largest >= count) {
        uint32_t i = 0;
        while (codes[i] < count)
            i++;
        return fail(error, size, "dictionary code out of range", r->pos - (size_t)(nrows - i) * 2);
    }
    column->v.s = NULL;
    column->codes = codes;
    column->dict = values;
    column->ndict = count;
    return true;
}

/*
 * Decodes a dictionary coded text column into a coded column (kq_column.codes):
 * each distinct value is copied once, and rows keep their 16-bit codes.
 */
static bool decode_dictionary(kq_reader *r, uint32_t nrows, kq_column *column, kq_arena *arena, char *error,
                              size_t size)
{
    uint32_t count = kq_read_u32(r);
    if (r->bad || count == 0 || count > nrows || count > (uint32_t)UINT16_MAX + 1)
        return fail(error, size, "invalid dictionary size", r->pos);
    const uint8_t *lengths = kq_read_bytes(r, (size_t)count * 4);
    if (!lengths)
        return fail(error, size, "dictionary lengths end early", r->len);
    uint64_t total = kq_store_sum_lengths(lengths, count);
    if (total > r->len - r->pos || r->len - r->pos - total != (uint64_t)nrows * 2)
        return fail(error, size, "dictionary lengths and codes do not add up to the chunk", r->pos);
    const kq_str *values = kq_store_copy_strings(r, lengths, count, total, arena);
    return read_codes(r, nrows, values, count, column, arena, error, size);
}

bool kq_store_decode_shared(const uint8_t *data, size_t len, uint32_t nrows, const kq_str *values, uint32_t count,
                            kq_column *column, kq_arena *arena, char *error, size_t size)
{
    kq_reader r = {data, len, 0, false};
    if (len < 1 || data[0] != KQ_CHUNK_SHARED || !kq_store_is_text(column->type))
        return fail(error, size, "invalid chunk flags", 0);
    r.pos = 1;
    if (len - 1 != (uint64_t)nrows * 2)
        return fail(error, size, "the codes do not fill the chunk", 1);
    column->nulls = NULL;
    return read_codes(&r, nrows, values, count, column, arena, error, size);
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
    uint8_t flags = kq_read_u8(&r);
    bool text = kq_store_is_text(column->type);
    if (r.bad || (flags & ~(KQ_CHUNK_NULLS | KQ_CHUNK_DICTIONARY)) || ((flags & KQ_CHUNK_DICTIONARY) && !text))
        return fail(error, size, "invalid chunk flags", 0);
    column->nulls = NULL;
    if (flags & KQ_CHUNK_NULLS) {
        const uint8_t *nulls = kq_read_bytes(&r, nrows);
        if (!nulls)
            return fail(error, size, "null bytes end early", len);
        column->nulls = kq_arena_alloc(arena, nrows ? nrows : 1);
        for (uint32_t i = 0; i < nrows; i++)
            column->nulls[i] = nulls[i] != 0;
    }
    bool ok = (flags & KQ_CHUNK_DICTIONARY) ? decode_dictionary(&r, nrows, column, arena, error, size)
              : text                         ? decode_strings(&r, nrows, column, arena, error, size)
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
