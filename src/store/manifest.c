/*
 * The manifest: header, then a body with the ingested files and, per table, the
 * schema and the block index. The header holds the body's length and CRC-32,
 * so a truncated or altered manifest is detected before any of it is used.
 *
 *   header: "KQSTORE1", u32 version, u64 body length, u32 body CRC-32
 *   body:   u32 segments, u32 sources, sources, u32 tables, tables
 *   source: path, format, tables (u32 length + bytes each), u64 size, u32 CRC-32,
 *           u64 records, u64 ingest time (Unix seconds), u32 segment
 *   table:  name, u32 columns, (name, u8 type) per column, u64 rows, u32 blocks, blocks
 *   block:  u32 segment, u32 rows, u32 columns, per column: u8 flags, and when present
 *           the data chunk (u64 offset, u32 size, u32 raw size, u32 CRC-32), for integer
 *           types u64 min and max, for string types u8 filter size (log2) and the filter chunk
 */
#include "store/format.h"
#include "store/bytes.h"
#include "base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *kq_store_path(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = kq_xmalloc(len);
    snprintf(path, len, "%s/%s", dir, name);
    return path;
}

char *kq_store_segment_path(const char *dir, uint32_t segment)
{
    char name[32];
    snprintf(name, sizeof name, "segment-%06u.kqd", segment);
    return kq_store_path(dir, name);
}

void kq_store_manifest_free(kq_store_manifest *manifest)
{
    /* Counts are set before their arrays while parsing, so a failed parse can leave an array NULL. */
    for (uint32_t i = 0; manifest->sources && i < manifest->nsources; i++) {
        free(manifest->sources[i].path);
        free(manifest->sources[i].format);
        free(manifest->sources[i].tables);
    }
    free(manifest->sources);
    for (uint32_t t = 0; manifest->tables && t < manifest->ntables; t++) {
        kq_store_table *table = &manifest->tables[t];
        free(table->name);
        for (uint32_t c = 0; table->fields && c < table->ncols; c++)
            free((char *)table->fields[c].name);
        free(table->fields);
        for (uint32_t b = table->slab_blocks; table->blocks && b < table->nblocks; b++)
            free(table->blocks[b].cols);
        free(table->blocks);
        free(table->col_slab);
        free(table->slots);
    }
    free(manifest->tables);
    free(manifest->segment_ends);
    memset(manifest, 0, sizeof *manifest);
}

static void put_string(kq_buf *out, const char *text)
{
    kq_put_text(out, text ? text : "", (uint32_t)strlen(text ? text : ""));
}

static void put_chunk(kq_buf *out, const kq_store_chunk *chunk)
{
    kq_put_u64(out, chunk->offset);
    kq_put_u32(out, chunk->size);
    kq_put_u32(out, chunk->raw_size);
    kq_put_u32(out, chunk->crc);
}

static void put_table(kq_buf *out, const kq_store_table *table)
{
    if (table->slots)
        kq_die("internal error: a manifest parsed with a column filter cannot be written back");
    put_string(out, table->name);
    kq_put_u32(out, table->ncols);
    for (uint32_t c = 0; c < table->ncols; c++) {
        put_string(out, table->fields[c].name);
        kq_put_u8(out, (uint8_t)table->fields[c].type);
    }
    kq_put_u64(out, table->nrows);
    kq_put_u32(out, table->nblocks);
    for (uint32_t b = 0; b < table->nblocks; b++) {
        const kq_store_block *block = &table->blocks[b];
        kq_put_u32(out, block->segment);
        kq_put_u32(out, block->nrows);
        kq_put_u32(out, block->ncols);
        for (uint32_t c = 0; c < block->ncols; c++) {
            const kq_store_column_block *col = &block->cols[c];
            kq_put_u8(out, col->flags);
            if (!(col->flags & KQ_STORE_PRESENT))
                continue;
            put_chunk(out, &col->data);
            kq_type type = table->fields[c].type;
            if (kq_store_is_int64(type)) {
                kq_put_u64(out, (uint64_t)col->min);
                kq_put_u64(out, (uint64_t)col->max);
            } else if (kq_store_is_text(type)) {
                kq_put_u8(out, col->bloom_log2);
                put_chunk(out, &col->bloom);
            }
        }
    }
}

void kq_store_manifest_write(const kq_store_manifest *manifest, kq_buf *out)
{
    kq_buf body;
    kq_buf_init(&body);
    kq_put_u32(&body, manifest->segments);
    kq_put_u32(&body, manifest->nsources);
    /* Counts are set before their arrays while parsing, so a failed parse can leave an array NULL. */
    for (uint32_t i = 0; manifest->sources && i < manifest->nsources; i++) {
        const kq_store_source *source = &manifest->sources[i];
        put_string(&body, source->path);
        put_string(&body, source->format);
        put_string(&body, source->tables);
        kq_put_u64(&body, source->size);
        kq_put_u32(&body, source->crc);
        kq_put_u64(&body, source->records);
        kq_put_u64(&body, (uint64_t)source->ingested);
        kq_put_u32(&body, source->segment);
    }
    kq_put_u32(&body, manifest->ntables);
    for (uint32_t t = 0; t < manifest->ntables; t++)
        put_table(&body, &manifest->tables[t]);
    kq_buf_append(out, KQ_STORE_MAGIC, 8);
    kq_put_u32(out, KQ_STORE_VERSION);
    kq_put_u64(out, body.len);
    kq_put_u32(out, kq_store_crc32(body.data, body.len));
    kq_buf_append(out, body.data, body.len);
    kq_buf_free(&body);
}

/* Parsing state: the cursor, the first error, the columns to keep and the segments' ends. */
typedef struct parser {
    kq_reader r;
    char *error;
    size_t size;
    bool failed;
    kq_column_filter keep;
    void *keep_user;
    kq_store_manifest *manifest;
} parser;

static bool parse_fail(parser *p, const char *format, ...) __attribute__((format(printf, 2, 3)));

static bool parse_fail(parser *p, const char *format, ...)
{
    if (p->failed)
        return false;
    p->failed = true;
    char what[256];
    va_list args;
    va_start(args, format);
    vsnprintf(what, sizeof what, format, args);
    va_end(args);
    snprintf(p->error, p->size, "%s (at byte %zu of the manifest body)", what, p->r.pos);
    return false;
}

/* Reads a string of at most KQ_STORE_MAX_NAME bytes without NUL bytes; NULL on failure. */
static char *parse_string(parser *p, const char *what)
{
    uint32_t len = kq_read_u32(&p->r);
    if (p->r.bad || len > KQ_STORE_MAX_NAME) {
        parse_fail(p, "invalid %s length", what);
        return NULL;
    }
    const uint8_t *bytes = kq_read_bytes(&p->r, len);
    if (!bytes || memchr(bytes, 0, len)) {
        parse_fail(p, "invalid %s", what);
        return NULL;
    }
    return kq_xstrndup((const char *)bytes, len);
}

static void parse_chunk(parser *p, kq_store_chunk *chunk)
{
    chunk->offset = kq_read_u64(&p->r);
    chunk->size = kq_read_u32(&p->r);
    chunk->raw_size = kq_read_u32(&p->r);
    chunk->crc = kq_read_u32(&p->r);
    if (p->r.bad)
        return;
    if (chunk->offset < KQ_SEGMENT_HEADER_BYTES || chunk->offset > UINT64_MAX / 2 || chunk->size == 0 ||
        chunk->size > KQ_STORE_MAX_CHUNK || chunk->raw_size > KQ_STORE_MAX_CHUNK)
        parse_fail(p, "invalid chunk (offset %llu, size %u, raw size %u)", (unsigned long long)chunk->offset,
                   chunk->size, chunk->raw_size);
}

static bool parse_column_block(parser *p, const kq_store_table *table, uint32_t segment, uint32_t c,
                               kq_store_column_block *col)
{
    col->flags = kq_read_u8(&p->r);
    if (col->flags & ~(KQ_STORE_PRESENT | KQ_STORE_ANY_VALUE | KQ_STORE_ANY_NULL))
        return parse_fail(p, "invalid flags %u for column %s", col->flags, table->fields[c].name);
    if (!(col->flags & KQ_STORE_PRESENT))
        return !p->r.bad;
    parse_chunk(p, &col->data);
    kq_type type = table->fields[c].type;
    uint64_t end = col->data.offset + col->data.size;
    if (kq_store_is_int64(type)) {
        col->min = (int64_t)kq_read_u64(&p->r);
        col->max = (int64_t)kq_read_u64(&p->r);
        if ((col->flags & KQ_STORE_ANY_VALUE) && col->min > col->max)
            return parse_fail(p, "minimum above maximum in column %s", table->fields[c].name);
    } else if (kq_store_is_text(type)) {
        col->bloom_log2 = kq_read_u8(&p->r);
        parse_chunk(p, &col->bloom);
        if (col->bloom_log2 < KQ_STORE_MIN_BLOOM_LOG2 || col->bloom_log2 > KQ_STORE_MAX_BLOOM_LOG2 ||
            col->bloom.raw_size != (UINT32_C(1) << col->bloom_log2) / 8)
            return parse_fail(p, "invalid term filter for column %s", table->fields[c].name);
        if (col->bloom.offset + col->bloom.size > end)
            end = col->bloom.offset + col->bloom.size;
    }
    if (p->r.bad || p->failed)
        return false;
    /* Offsets are at most UINT64_MAX / 2 and sizes 32-bit (parse_chunk), so end did not wrap. */
    if (end > p->manifest->segment_ends[segment])
        p->manifest->segment_ends[segment] = end;
    return true;
}

/* Number of kept columns among 0..n-1: the entries a block of n columns takes in cols. */
static uint32_t kept_below(const kq_store_table *table, const uint32_t *kept_prefix, uint32_t n)
{
    return table->slots ? kept_prefix[n] : n;
}

/*
 * Parses the block index into one array for the whole table. The array grows
 * as blocks are read, so its size follows the bytes read and not the counts
 * the file claims. The blocks' cols point into it once it stops moving.
 */
static bool parse_blocks(parser *p, kq_store_table *table, const uint32_t *kept_prefix, uint32_t segments)
{
    table->nblocks = kq_read_u32(&p->r);
    /* A block takes at least 12 bytes: a count past that is damage, not a reason to allocate. */
    if (p->r.bad || table->nblocks > (p->r.len - p->r.pos) / 12)
        return parse_fail(p, "invalid block count for table %s", table->name);
    table->blocks = kq_xcalloc(table->nblocks ? table->nblocks : 1, sizeof *table->blocks);
    table->blocks_cap = table->nblocks;
    /* Every kept entry takes at least its flags byte, so the remaining bytes bound the first guess. */
    size_t used = 0, cap = 0, guess = (size_t)table->nblocks * kept_below(table, kept_prefix, table->ncols);
    kq_grow((void **)&table->col_slab, &cap, guess < p->r.len - p->r.pos ? guess : p->r.len - p->r.pos,
            sizeof *table->col_slab);
    uint64_t rows = 0;
    for (uint32_t b = 0; b < table->nblocks; b++) {
        kq_store_block *block = &table->blocks[b];
        block->segment = kq_read_u32(&p->r);
        block->nrows = kq_read_u32(&p->r);
        block->ncols = kq_read_u32(&p->r);
        if (p->r.bad)
            break;
        if (block->segment == 0 || block->segment > segments || block->nrows == 0 ||
            block->nrows > KQ_BATCH_ROWS || block->ncols > table->ncols)
            return parse_fail(p, "invalid block %u of table %s", b, table->name);
        uint32_t count = kept_below(table, kept_prefix, block->ncols);
        kq_grow((void **)&table->col_slab, &cap, used + count + 1, sizeof *table->col_slab);
        for (uint32_t c = 0; c < block->ncols; c++) {
            kq_store_column_block skipped, *col = &skipped;
            if (!table->slots)
                col = &table->col_slab[used + c];
            else if (table->slots[c] != KQ_STORE_NO_SLOT)
                col = &table->col_slab[used + table->slots[c]];
            memset(col, 0, sizeof *col);
            if (!parse_column_block(p, table, block->segment, c, col))
                return parse_fail(p, "truncated block %u of table %s", b, table->name);
        }
        used += count;
        rows += block->nrows;
    }
    if (p->r.bad)
        return parse_fail(p, "truncated block index of table %s", table->name);
    if (rows != table->nrows)
        return parse_fail(p, "table %s records %llu rows but its blocks hold %llu", table->name,
                          (unsigned long long)table->nrows, (unsigned long long)rows);
    used = 0;
    for (uint32_t b = 0; b < table->nblocks; b++) {
        table->blocks[b].cols = table->col_slab + used;
        used += kept_below(table, kept_prefix, table->blocks[b].ncols);
    }
    table->slab_blocks = table->nblocks;
    return true;
}

/* With a keep filter, numbers the kept columns (table->slots) and counts them per prefix. */
static uint32_t *choose_columns(parser *p, kq_store_table *table)
{
    if (!p->keep)
        return NULL;
    table->slots = kq_xmalloc((table->ncols ? table->ncols : 1) * sizeof *table->slots);
    uint32_t *kept_prefix = kq_xmalloc(((size_t)table->ncols + 1) * sizeof *kept_prefix);
    uint32_t kept_count = 0;
    for (uint32_t c = 0; c < table->ncols; c++) {
        kept_prefix[c] = kept_count;
        const char *name = table->fields[c].name;
        table->slots[c] = p->keep(p->keep_user, table->name, name, strlen(name)) ? kept_count++ : KQ_STORE_NO_SLOT;
    }
    kept_prefix[table->ncols] = kept_count;
    return kept_prefix;
}

static bool parse_table(parser *p, kq_store_table *table, uint32_t segments)
{
    if (!(table->name = parse_string(p, "table name")))
        return false;
    table->ncols = kq_read_u32(&p->r);
    if (p->r.bad || table->ncols > KQ_STORE_MAX_COLUMNS || table->ncols > (p->r.len - p->r.pos) / 5)
        return parse_fail(p, "invalid column count for table %s", table->name);
    table->fields = kq_xcalloc(table->ncols ? table->ncols : 1, sizeof *table->fields);
    for (uint32_t c = 0; c < table->ncols; c++) {
        char *name = parse_string(p, "column name");
        if (!name)
            return false;
        table->fields[c].name = name;
        uint8_t type = kq_read_u8(&p->r);
        if (p->r.bad || type == KQ_TYPE_NONE || type >= KQ_TYPE_COUNT || !*name)
            return parse_fail(p, "invalid column %u of table %s", c, table->name);
        table->fields[c].type = (kq_type)type;
        for (uint32_t d = 0; d < c; d++)
            if (strcmp(table->fields[d].name, name) == 0)
                return parse_fail(p, "column %s appears twice in table %s", name, table->name);
    }
    table->nrows = kq_read_u64(&p->r);
    uint32_t *kept_prefix = choose_columns(p, table);
    bool ok = parse_blocks(p, table, kept_prefix, segments);
    free(kept_prefix);
    return ok;
}

static bool parse_sources(parser *p, kq_store_manifest *manifest)
{
    manifest->nsources = kq_read_u32(&p->r);
    if (p->r.bad || manifest->nsources > (p->r.len - p->r.pos) / 44)
        return parse_fail(p, "invalid source file count");
    manifest->sources = kq_xcalloc(manifest->nsources ? manifest->nsources : 1, sizeof *manifest->sources);
    manifest->sources_cap = manifest->nsources;
    /* Counts are set before their arrays while parsing, so a failed parse can leave an array NULL. */
    for (uint32_t i = 0; manifest->sources && i < manifest->nsources; i++) {
        kq_store_source *source = &manifest->sources[i];
        if (!(source->path = parse_string(p, "source path")) || !(source->format = parse_string(p, "format")) ||
            !(source->tables = parse_string(p, "table list")))
            return false;
        source->size = kq_read_u64(&p->r);
        source->crc = kq_read_u32(&p->r);
        source->records = kq_read_u64(&p->r);
        source->ingested = (int64_t)kq_read_u64(&p->r);
        source->segment = kq_read_u32(&p->r);
        if (p->r.bad || source->segment > manifest->segments)
            return parse_fail(p, "invalid source file entry %u", i);
    }
    return true;
}

static bool parse_body(parser *p, kq_store_manifest *manifest)
{
    manifest->segments = kq_read_u32(&p->r);
    if (p->r.bad || manifest->segments > KQ_STORE_MAX_SEGMENTS)
        return parse_fail(p, "invalid segment count %u (at most %u)", manifest->segments, KQ_STORE_MAX_SEGMENTS);
    manifest->nsegment_ends = manifest->segments + 1;
    manifest->segment_ends = kq_xcalloc(manifest->nsegment_ends, sizeof *manifest->segment_ends);
    if (!parse_sources(p, manifest))
        return false;
    manifest->ntables = kq_read_u32(&p->r);
    if (p->r.bad || manifest->ntables > (p->r.len - p->r.pos) / 20)
        return parse_fail(p, "invalid table count");
    manifest->tables = kq_xcalloc(manifest->ntables ? manifest->ntables : 1, sizeof *manifest->tables);
    for (uint32_t t = 0; t < manifest->ntables; t++) {
        if (!parse_table(p, &manifest->tables[t], manifest->segments))
            return false;
        for (uint32_t u = 0; u < t; u++)
            if (strcmp(manifest->tables[u].name, manifest->tables[t].name) == 0)
                return parse_fail(p, "table %s appears twice", manifest->tables[t].name);
    }
    if (p->r.pos != p->r.len)
        return parse_fail(p, "extra bytes after the last table");
    return true;
}

_Static_assert(KQ_STORE_VERSION > KQ_STORE_OLDEST_VERSION, "the version message below names a range");

bool kq_store_manifest_parse(const uint8_t *data, size_t len, kq_column_filter keep, void *keep_user,
                             kq_store_manifest *manifest, char *error, size_t size)
{
    memset(manifest, 0, sizeof *manifest);
    if (len < KQ_STORE_HEADER_BYTES || memcmp(data, KQ_STORE_MAGIC, 7) != 0) {
        snprintf(error, size, "not a kqlite store manifest (the file does not start with %s)", KQ_STORE_MAGIC);
        return false;
    }
    kq_reader header = {data + 8, KQ_STORE_HEADER_BYTES - 8, 0, false};
    uint32_t version = kq_read_u32(&header);
    uint64_t body_len = kq_read_u64(&header);
    uint32_t crc = kq_read_u32(&header);
    if (data[7] != KQ_STORE_MAGIC[7] || version < KQ_STORE_OLDEST_VERSION || version > KQ_STORE_VERSION) {
        snprintf(error, size, "store format version %u; this kqlite reads versions %u to %u, so ingest the "
                              "data again into a new store", version, KQ_STORE_OLDEST_VERSION, KQ_STORE_VERSION);
        return false;
    }
    manifest->version = version;
    if (body_len != len - KQ_STORE_HEADER_BYTES) {
        snprintf(error, size, "the manifest is %zu bytes but its header records %llu: the file is truncated "
                              "or was extended", len, (unsigned long long)(body_len + KQ_STORE_HEADER_BYTES));
        return false;
    }
    const uint8_t *body = data + KQ_STORE_HEADER_BYTES;
    if (kq_store_crc32(body, (size_t)body_len) != crc) {
        snprintf(error, size, "the manifest's CRC-32 does not match its contents: the file is damaged");
        return false;
    }
    parser p = {{body, (size_t)body_len, 0, false}, error, size, false, keep, keep_user, manifest};
    if (!parse_body(&p, manifest)) {
        if (!p.failed)
            parse_fail(&p, "truncated manifest");
        kq_store_manifest_free(manifest);
        return false;
    }
    return true;
}

bool kq_store_manifest_load(const char *dir, kq_column_filter keep, void *keep_user, kq_store_manifest *manifest,
                            char *error, size_t size)
{
    char *path = kq_store_path(dir, KQ_STORE_MANIFEST);
    size_t len;
    char *data = kq_read_file(path, &len);
    if (!data) {
        if (errno == ENOTDIR)
            snprintf(error, size, "%s is a file, not a kqlite store folder; pass it as DATA, or ingest it with "
                                  "kqlite ingest %s -o STORE and give that folder to --store", dir, dir);
        else if (errno == ENOENT)
            snprintf(error, size, "%s is not a kqlite store (%s not found); create one with kqlite ingest DATA "
                                  "-o %s", dir, KQ_STORE_MANIFEST, dir);
        else
            snprintf(error, size, "cannot read %s: %s", path, strerror(errno));
        free(path);
        return false;
    }
    char why[400];
    bool ok = kq_store_manifest_parse((const uint8_t *)data, len, keep, keep_user, manifest, why, sizeof why);
    if (!ok)
        snprintf(error, size, "%s: %s", path, why);
    free(data);
    free(path);
    return ok;
}
