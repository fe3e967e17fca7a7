/*
 * Segment dictionaries (format version 3): one list of distinct values per
 * text column of a segment. A block's chunk of a column such as DeviceId then
 * holds a u16 code per row, not its own copy of a thousand device ids.
 * Ingest keeps the lists in memory and writes them when it closes the
 * segment, with an index and a footer at the end of the file:
 *
 *   dictionary chunk: u32 count, count u32 lengths, the bytes of every value
 *   index chunk: u32 entries, then per entry u32 table, u32 column, u32 count
 *     and the dictionary chunk's u64 offset, u32 size, u32 raw size, u32 CRC-32
 *   footer (the file's last 28 bytes, not compressed): the index chunk's
 *     u64 offset, u32 size, u32 raw size, u32 CRC-32, then KQ_SEGMENT_FOOTER_MAGIC
 *
 * Table and column are indexes into the manifest's tables and their columns,
 * which later ingests only append to. Readers load an index and a dictionary
 * on first use and keep them while the store is open.
 */
#include "store/format.h"
#include "store/bytes.h"
#include "base/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A column's list stops growing at this many bytes of values, so columns of distinct values stay per block. */
#define SHARED_MAX_BYTES (1u << 20)
#define SHARED_MAX_VALUES ((uint32_t)UINT16_MAX + 1)

/* ---- writing ---- */

typedef struct column_dict {
    uint32_t table, column;
    kq_arena *arena; /* the values' bytes */
    kq_str *values;
    uint32_t count;
    size_t values_cap;
    uint64_t bytes;
    uint32_t *slots; /* code + 1 of a value, by hash; 0 = empty */
    uint32_t nslots;
} column_dict;

struct kq_store_dicts {
    column_dict *dicts;
    size_t count, cap;
};

kq_store_dicts *kq_store_dicts_new(void)
{
    return kq_xcalloc(1, sizeof(kq_store_dicts));
}

void kq_store_dicts_free(kq_store_dicts *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->count; i++) {
        kq_arena_free(set->dicts[i].arena);
        free(set->dicts[i].values);
        free(set->dicts[i].slots);
    }
    free(set->dicts);
    free(set);
}

static uint64_t hash_text(const char *text, uint32_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)text[i]) * UINT64_C(0x100000001b3);
    return h ^ (h >> 29);
}

static column_dict *find_dict(kq_store_dicts *set, uint32_t table, uint32_t column)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->dicts[i].table == table && set->dicts[i].column == column)
            return &set->dicts[i];
    kq_grow((void **)&set->dicts, &set->cap, set->count + 1, sizeof *set->dicts);
    column_dict *d = &set->dicts[set->count++];
    *d = (column_dict){.table = table, .column = column, .arena = kq_arena_new(64 * 1024), .nslots = 1024};
    d->slots = kq_xcalloc(d->nslots, sizeof *d->slots);
    return d;
}

/* Returns text's slot in an open-addressing table of codes into values: the one with its code + 1, or the empty one. */
static uint32_t *find_slot(uint32_t *slots, uint32_t nslots, const kq_str *values, const kq_str *text)
{
    uint32_t i = (uint32_t)hash_text(text->ptr, text->len) & (nslots - 1);
    for (;; i = (i + 1) & (nslots - 1)) {
        uint32_t slot = slots[i];
        if (!slot)
            return &slots[i];
        const kq_str *seen = &values[slot - 1];
        if (seen->len == text->len && memcmp(seen->ptr, text->ptr, text->len) == 0)
            return &slots[i];
    }
}

static void add_value(column_dict *d, kq_str text)
{
    if (2 * (d->count + 1) > d->nslots) {
        uint32_t nslots = d->nslots * 2;
        uint32_t *slots = kq_xcalloc(nslots, sizeof *slots);
        for (uint32_t code = 0; code < d->count; code++)
            *find_slot(slots, nslots, d->values, &d->values[code]) = code + 1;
        free(d->slots);
        d->slots = slots;
        d->nslots = nslots;
    }
    kq_grow((void **)&d->values, &d->values_cap, d->count + 1, sizeof *d->values);
    d->values[d->count] = (kq_str){kq_arena_strndup(d->arena, text.ptr, text.len), text.len};
    *find_slot(d->slots, d->nslots, d->values, &text) = ++d->count;
    d->bytes += text.len;
}

/*
 * Codes the block's rows against the list, adding the block's new values when
 * the list stays under its limits. New values are first collected in a table
 * of their own, so a block that would break a limit leaves the list as it was.
 */
static bool code_rows(column_dict *d, const kq_column *column, uint32_t nrows, uint16_t *codes)
{
    uint32_t nslots = 64;
    while (nslots < 2 * nrows)
        nslots *= 2;
    uint32_t *fresh_slots = kq_xcalloc(nslots, sizeof *fresh_slots);
    kq_str *fresh = kq_xmalloc((nrows ? nrows : 1) * sizeof *fresh);
    uint32_t nfresh = 0;
    uint64_t fresh_bytes = 0;
    bool ok = true;
    for (uint32_t r = 0; r < nrows && ok; r++) {
        const kq_str *text = &column->v.s[r];
        uint32_t known = *find_slot(d->slots, d->nslots, d->values, text);
        if (known) {
            codes[r] = (uint16_t)(known - 1);
            continue;
        }
        uint32_t *slot = find_slot(fresh_slots, nslots, fresh, text);
        if (!*slot) {
            fresh[nfresh] = *text;
            *slot = ++nfresh;
            fresh_bytes += text->len;
            ok = d->count + nfresh <= SHARED_MAX_VALUES && d->bytes + fresh_bytes <= SHARED_MAX_BYTES;
        }
        codes[r] = (uint16_t)(d->count + *slot - 1);
    }
    for (uint32_t i = 0; ok && i < nfresh; i++)
        add_value(d, fresh[i]);
    free(fresh_slots);
    free(fresh);
    return ok;
}

bool kq_store_dicts_encode(kq_store_dicts *set, uint32_t table, uint32_t column, const kq_column *col,
                           uint32_t nrows, kq_buf *out)
{
    if (!kq_store_is_text(col->type) || col->codes || nrows == 0)
        return false;
    column_dict *d = find_dict(set, table, column);
    uint16_t *codes = kq_xmalloc(nrows * sizeof *codes);
    bool ok = code_rows(d, col, nrows, codes);
    if (ok) {
        kq_put_u8(out, KQ_CHUNK_SHARED);
        for (uint32_t r = 0; r < nrows; r++)
            kq_buf_append(out, (const char *)(uint8_t[2]){(uint8_t)codes[r], (uint8_t)(codes[r] >> 8)}, 2);
    }
    free(codes);
    return ok;
}

size_t kq_store_dicts_count(const kq_store_dicts *set)
{
    return set ? set->count : 0;
}

void kq_store_dicts_put(const kq_store_dicts *set, size_t i, kq_buf *out)
{
    const column_dict *d = &set->dicts[i];
    kq_put_u32(out, d->count);
    for (uint32_t c = 0; c < d->count; c++)
        kq_put_u32(out, d->values[c].len);
    for (uint32_t c = 0; c < d->count; c++)
        kq_buf_append(out, d->values[c].ptr, d->values[c].len);
}

static void put_chunk(kq_buf *out, const kq_store_chunk *chunk)
{
    kq_put_u64(out, chunk->offset);
    kq_put_u32(out, chunk->size);
    kq_put_u32(out, chunk->raw_size);
    kq_put_u32(out, chunk->crc);
}

void kq_store_dicts_put_index(const kq_store_dicts *set, const kq_store_chunk *chunks, kq_buf *out)
{
    kq_put_u32(out, (uint32_t)kq_store_dicts_count(set));
    for (size_t i = 0; i < kq_store_dicts_count(set); i++) {
        kq_put_u32(out, set->dicts[i].table);
        kq_put_u32(out, set->dicts[i].column);
        kq_put_u32(out, set->dicts[i].count);
        put_chunk(out, &chunks[i]);
    }
}

void kq_store_put_footer(kq_buf *out, const kq_store_chunk *index)
{
    put_chunk(out, index);
    kq_buf_append(out, KQ_SEGMENT_FOOTER_MAGIC, 8);
}

/* ---- reading ---- */

typedef struct dict_entry {
    uint32_t table, column, count;
    kq_store_chunk chunk;
    const kq_str *values; /* NULL until read */
} dict_entry;

typedef struct segment_dicts {
    bool read;   /* the index was read, or failed (error set) */
    char *error; /* why the index or a dictionary cannot be used */
    dict_entry *entries;
    uint32_t count;
    kq_arena *arena;
} segment_dicts;

struct kq_store_dict_cache {
    pthread_mutex_t lock;
    uint32_t nsegments;
    segment_dicts *segments; /* index: segment number */
};

kq_store_dict_cache *kq_store_dict_cache_new(uint32_t segments)
{
    kq_store_dict_cache *cache = kq_xcalloc(1, sizeof *cache);
    pthread_mutex_init(&cache->lock, NULL);
    cache->nsegments = segments;
    cache->segments = kq_xcalloc((size_t)segments + 1, sizeof *cache->segments);
    return cache;
}

void kq_store_dict_cache_free(kq_store_dict_cache *cache)
{
    if (!cache)
        return;
    for (uint32_t s = 0; s <= cache->nsegments; s++) {
        free(cache->segments[s].entries);
        free(cache->segments[s].error);
        kq_arena_free(cache->segments[s].arena);
    }
    free(cache->segments);
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

static kq_store_chunk read_chunk_ref(kq_reader *r)
{
    kq_store_chunk chunk;
    chunk.offset = kq_read_u64(r);
    chunk.size = kq_read_u32(r);
    chunk.raw_size = kq_read_u32(r);
    chunk.crc = kq_read_u32(r);
    return chunk;
}

static bool chunk_fits(const kq_store_chunk *chunk, uint64_t end)
{
    return chunk->offset >= KQ_SEGMENT_HEADER_BYTES && chunk->size <= KQ_STORE_MAX_CHUNK &&
           chunk->raw_size <= KQ_STORE_MAX_CHUNK && chunk->offset + chunk->size <= end;
}

/* Reads a segment's footer and index; false with a message. */
static bool read_index(segment_dicts *seg, const kq_store_dict_source *source, uint32_t segment, char *error,
                       size_t size)
{
    struct stat st;
    uint8_t footer[KQ_SEGMENT_FOOTER_BYTES];
    if (fstat(source->fd, &st) != 0 || st.st_size < KQ_SEGMENT_HEADER_BYTES + KQ_SEGMENT_FOOTER_BYTES ||
        pread(source->fd, footer, sizeof footer, st.st_size - KQ_SEGMENT_FOOTER_BYTES) != (ssize_t)sizeof footer ||
        memcmp(footer + KQ_SEGMENT_FOOTER_BYTES - 8, KQ_SEGMENT_FOOTER_MAGIC, 8) != 0) {
        snprintf(error, size, "the file does not end with the dictionary index footer");
        return false;
    }
    kq_reader fr = {footer, sizeof footer, 0, false};
    kq_store_chunk index = read_chunk_ref(&fr);
    uint64_t end = (uint64_t)st.st_size - KQ_SEGMENT_FOOTER_BYTES;
    if (!chunk_fits(&index, end)) {
        snprintf(error, size, "the dictionary index lies outside the file");
        return false;
    }
    uint8_t *raw = source->read(source->user, segment, &index, error, size);
    if (!raw)
        return false;
    kq_reader r = {raw, index.raw_size, 0, false};
    uint32_t count = kq_read_u32(&r);
    if (r.bad || (uint64_t)count * 32 != index.raw_size - 4) {
        snprintf(error, size, "the dictionary index's size does not match its %u entries", count);
        free(raw);
        return false;
    }
    seg->entries = kq_xcalloc(count ? count : 1, sizeof *seg->entries);
    for (uint32_t i = 0; i < count; i++) {
        dict_entry *e = &seg->entries[i];
        e->table = kq_read_u32(&r);
        e->column = kq_read_u32(&r);
        e->count = kq_read_u32(&r);
        e->chunk = read_chunk_ref(&r);
        if (e->count > SHARED_MAX_VALUES || !chunk_fits(&e->chunk, end)) {
            snprintf(error, size, "dictionary %u of the index is invalid (%u values, chunk at offset %llu)", i,
                     e->count, (unsigned long long)e->chunk.offset);
            free(raw);
            return false;
        }
    }
    free(raw);
    seg->count = count;
    seg->arena = kq_arena_new(64 * 1024);
    return true;
}

/* Reads one dictionary chunk into the segment's arena; false with a message. */
static bool read_values(segment_dicts *seg, dict_entry *e, const kq_store_dict_source *source, uint32_t segment,
                        char *error, size_t size)
{
    uint8_t *raw = source->read(source->user, segment, &e->chunk, error, size);
    if (!raw)
        return false;
    kq_reader r = {raw, e->chunk.raw_size, 0, false};
    uint32_t count = kq_read_u32(&r);
    const uint8_t *lengths = r.bad || count != e->count ? NULL : kq_read_bytes(&r, (size_t)count * 4);
    if (!lengths) {
        snprintf(error, size, "the dictionary at offset %llu does not hold the %u values its index lists",
                 (unsigned long long)e->chunk.offset, e->count);
        free(raw);
        return false;
    }
    uint64_t total = kq_store_sum_lengths(lengths, count);
    if (total != r.len - r.pos) {
        snprintf(error, size, "the dictionary at offset %llu: value lengths do not add up to its bytes",
                 (unsigned long long)e->chunk.offset);
        free(raw);
        return false;
    }
    e->values = kq_store_copy_strings(&r, lengths, count, total, seg->arena);
    free(raw);
    return true;
}

bool kq_store_dict_find(kq_store_dict_cache *cache, const kq_store_dict_source *source, uint32_t segment,
                        uint32_t table, uint32_t column, const kq_str **values, uint32_t *count, char *error,
                        size_t size)
{
    if (segment > cache->nsegments) {
        snprintf(error, size, "segment %u is not in the store", segment);
        return false;
    }
    pthread_mutex_lock(&cache->lock);
    segment_dicts *seg = &cache->segments[segment];
    char why[400] = "";
    if (!seg->read) {
        seg->read = true;
        if (!read_index(seg, source, segment, why, sizeof why))
            seg->error = kq_xstrdup(why);
    }
    dict_entry *found = NULL;
    for (uint32_t i = 0; !seg->error && i < seg->count && !found; i++)
        if (seg->entries[i].table == table && seg->entries[i].column == column)
            found = &seg->entries[i];
    bool ok = false;
    if (seg->error)
        snprintf(error, size, "%s", seg->error);
    else if (!found)
        snprintf(error, size, "a chunk is coded against a segment dictionary that the index does not list");
    else if (!found->values && !read_values(seg, found, source, segment, error, size))
        ok = false;
    else {
        *values = found->values;
        *count = found->count;
        ok = true;
    }
    pthread_mutex_unlock(&cache->lock);
    return ok;
}
