/*
 * The store's on-disk layout (docs/store.md) and the helpers its reader and
 * writer share. All integers are little-endian.
 */
#ifndef KQ_STORE_FORMAT_H
#define KQ_STORE_FORMAT_H

#include "base/buf.h"
#include "store/bytes.h"
#include "table/builder.h"
#include "table/table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KQ_STORE_MANIFEST "manifest.kqs"
#define KQ_STORE_LOCK "lock"
#define KQ_STORE_MAGIC "KQSTORE1"   /* 8 bytes, then the format version */
#define KQ_SEGMENT_MAGIC "KQSEGMT1" /* 8 bytes, then the format version and the segment number */
#define KQ_STORE_VERSION 3u          /* written; versions 1 to 3 are read */
#define KQ_STORE_OLDEST_VERSION 1u
#define KQ_STORE_HEADER_BYTES 24    /* magic, u32 version, u64 body length, u32 body CRC-32 */
#define KQ_SEGMENT_HEADER_BYTES 16  /* magic, u32 version, u32 segment number */
#define KQ_SEGMENT_FOOTER_MAGIC "KQSEGEND" /* ends a version 3 segment (store/shared_dict.c) */
#define KQ_SEGMENT_FOOTER_BYTES 28  /* the index chunk's u64 offset, u32 size, raw size and CRC-32, magic */

/* Limits a reader checks before trusting a count or size from a file. */
#define KQ_STORE_MAX_NAME 4096
#define KQ_STORE_MAX_COLUMNS 10000
#define KQ_STORE_MAX_SEGMENTS 1000000
#define KQ_STORE_MAX_CHUNK (UINT32_C(1) << 30)
#define KQ_STORE_MAX_DYN_DEPTH 4096
#define KQ_STORE_MIN_BLOOM_LOG2 9
#define KQ_STORE_MAX_BLOOM_LOG2 24

/* The flags byte that starts a column chunk. */
#define KQ_CHUNK_NULLS 1u      /* null bytes follow */
#define KQ_CHUNK_DICTIONARY 2u /* a text column coded as distinct values and u16 codes (version 2) */
#define KQ_CHUNK_SHARED 4u     /* a text column coded against its segment's dictionary (version 3) */

/* Column block flags. */
#define KQ_STORE_PRESENT 1u   /* the block holds this column (else: every cell null) */
#define KQ_STORE_ANY_VALUE 2u /* some cell is not null: min and max are set */
#define KQ_STORE_ANY_NULL 4u  /* some cell is null */

/* A compressed byte range of a segment file. */
typedef struct kq_store_chunk {
    uint64_t offset;
    uint32_t size;     /* compressed bytes */
    uint32_t raw_size; /* bytes after decompression */
    uint32_t crc;      /* CRC-32 of the compressed bytes */
} kq_store_chunk;

typedef struct kq_store_column_block {
    uint8_t flags;
    kq_store_chunk data;
    int64_t min, max;     /* int, long, datetime and timespan columns */
    uint8_t bloom_log2;   /* string and guid columns: the term filter has 2^bloom_log2 bits */
    kq_store_chunk bloom;
} kq_store_column_block;

typedef struct kq_store_block {
    uint32_t segment;
    uint32_t nrows;
    uint32_t ncols; /* columns 0..ncols-1 of the table; later ones were added by a later ingest */
    /* One entry per column the manifest was parsed with: see kq_store_block_column. */
    kq_store_column_block *cols;
} kq_store_block;

#define KQ_STORE_NO_SLOT UINT32_MAX

typedef struct kq_store_table {
    char *name;
    uint32_t ncols;
    kq_field *fields; /* names owned by the manifest */
    uint64_t nrows;
    uint32_t nblocks;
    size_t blocks_cap;
    kq_store_block *blocks;
    /*
     * NULL when the manifest keeps every column: a block's cols[c] is column c.
     * Otherwise (a manifest parsed for a query, kq_store_manifest_parse) slots[c]
     * is column c's index in every block's cols, or KQ_STORE_NO_SLOT for a
     * column the parse checked but did not keep.
     */
    uint32_t *slots;
    /* The cols of blocks 0..slab_blocks-1 (the parsed ones) share this array; an ingest allocates its own. */
    kq_store_column_block *col_slab;
    uint32_t slab_blocks;
} kq_store_table;

typedef struct kq_store_source {
    char *path, *format, *tables;
    uint64_t size;
    uint32_t crc;
    uint64_t records;
    int64_t ingested; /* Unix seconds */
    uint32_t segment;
} kq_store_source;

typedef struct kq_store_manifest {
    uint32_t version;  /* format version read; a manifest is always written at KQ_STORE_VERSION */
    uint32_t segments; /* segment files 1..segments exist */
    /*
     * Set by a parse: per segment number (0..nsegment_ends-1), the end of the
     * last chunk that any block of any column refers to, kept or not, so the
     * reader can check each segment file's length.
     */
    uint64_t *segment_ends;
    uint32_t nsegment_ends;
    uint32_t nsources;
    size_t sources_cap;
    kq_store_source *sources;
    uint32_t ntables;
    kq_store_table *tables;
} kq_store_manifest;

static inline bool kq_store_is_int64(kq_type type)
{
    return type == KQ_INT || type == KQ_LONG || type == KQ_DATETIME || type == KQ_TIMESPAN;
}

static inline bool kq_store_is_text(kq_type type)
{
    return type == KQ_STRING || type == KQ_GUID;
}

/* Column c of a block, or NULL when the block predates the column or the parse did not keep it. */
static inline const kq_store_column_block *kq_store_block_column(const kq_store_table *table,
                                                                 const kq_store_block *block, uint32_t c)
{
    if (c >= block->ncols)
        return NULL;
    if (!table->slots)
        return &block->cols[c];
    return table->slots[c] == KQ_STORE_NO_SLOT ? NULL : &block->cols[table->slots[c]];
}

/* manifest.c */
void kq_store_manifest_free(kq_store_manifest *manifest);
/* Serializes the manifest with its header. */
void kq_store_manifest_write(const kq_store_manifest *manifest, kq_buf *out);
/*
 * Parses a manifest file's bytes; on failure returns false and writes what is
 * wrong and at which offset to error. Never reads outside data. With a keep
 * filter, the block index holds only the columns it accepts (see
 * kq_store_table.slots); every column is still checked. Such a manifest
 * cannot be written back. keep NULL keeps every column.
 */
bool kq_store_manifest_parse(const uint8_t *data, size_t len, kq_column_filter keep, void *keep_user,
                             kq_store_manifest *manifest, char *error, size_t size);
/* Reads path's manifest; false with a message (a missing file is reported as not a store). */
bool kq_store_manifest_load(const char *dir, kq_column_filter keep, void *keep_user, kq_store_manifest *manifest,
                            char *error, size_t size);
/*
 * Checks every segment file the manifest names (read.c): it exists, has the
 * right header, is long enough for every chunk the manifest puts in it and
 * ends with its footer. False with a message naming the file and what to do.
 */
bool kq_store_check_segments(const char *dir, const kq_store_manifest *manifest, char *error, size_t size);
/* Returns the path of a file in the store folder (caller frees). */
char *kq_store_path(const char *dir, const char *name);
char *kq_store_segment_path(const char *dir, uint32_t segment);

/* encode.c */
/*
 * Appends the raw (uncompressed) encoding of rows 0..nrows-1 of a column, one
 * with a string per row (not coded: ingest writes batches loaded from files).
 * False when a dynamic value is nested too deeply.
 */
bool kq_store_encode_column(const kq_column *column, uint32_t nrows, kq_buf *out);
/*
 * Decodes a column's raw encoding into column (type set by the caller), with
 * its data in arena. A dictionary coded chunk gives a coded column
 * (kq_column.codes). False with a message when the bytes do not match the
 * type and row count.
 */
bool kq_store_decode_column(const uint8_t *data, size_t len, uint32_t nrows, kq_column *column, kq_arena *arena,
                            char *error, size_t size);
/*
 * Decodes a chunk coded against a segment dictionary (flag KQ_CHUNK_SHARED)
 * into a coded column whose dict is values (count entries, owned by the
 * caller). False with a message when the chunk's size or a code is invalid.
 */
bool kq_store_decode_shared(const uint8_t *data, size_t len, uint32_t nrows, const kq_str *values, uint32_t count,
                            kq_column *column, kq_arena *arena, char *error, size_t size);
/* Returns the sum of count u32 lengths (little-endian, as a chunk lists them). */
uint64_t kq_store_sum_lengths(const uint8_t *lengths, uint32_t count);
/*
 * Copies count strings of the given lengths (total bytes in all) from r into
 * one arena block, each followed by a NUL, and advances r past them.
 */
kq_str *kq_store_copy_strings(kq_reader *r, const uint8_t *lengths, uint32_t count, uint64_t total,
                              kq_arena *arena);
/* Computes a string column's term filter: returns the bits (malloc'd) and sets *log2 to its size. */
uint64_t *kq_store_build_bloom(const kq_column *column, uint32_t nrows, uint8_t *log2);

/* shared_dict.c: segment dictionaries, written by ingest */
typedef struct kq_store_dicts kq_store_dicts;
kq_store_dicts *kq_store_dicts_new(void);
void kq_store_dicts_free(kq_store_dicts *set);
/*
 * Appends a text column's chunk coded against the segment dictionary of
 * (table, column), adding the block's new values to it. False, with nothing
 * appended, when the dictionary would pass its limits: the caller then codes
 * the block on its own.
 */
bool kq_store_dicts_encode(kq_store_dicts *set, uint32_t table, uint32_t column, const kq_column *col,
                           uint32_t nrows, kq_buf *out);
size_t kq_store_dicts_count(const kq_store_dicts *set);
/* Appends dictionary i's raw chunk, the index (given each dictionary's chunk) and the footer. */
void kq_store_dicts_put(const kq_store_dicts *set, size_t i, kq_buf *out);
void kq_store_dicts_put_index(const kq_store_dicts *set, const kq_store_chunk *chunks, kq_buf *out);
void kq_store_put_footer(kq_buf *out, const kq_store_chunk *index);

/* shared_dict.c: segment dictionaries, read on first use and kept while the store is open */
typedef struct kq_store_dict_cache kq_store_dict_cache;
/*
 * How the cache reads a segment: its file, and a function that reads, checks
 * and decompresses a chunk into memory the caller frees (NULL with a message).
 */
typedef struct kq_store_dict_source {
    int fd;
    uint8_t *(*read)(void *user, uint32_t segment, const kq_store_chunk *chunk, char *error, size_t size);
    void *user;
} kq_store_dict_source;
kq_store_dict_cache *kq_store_dict_cache_new(uint32_t segments);
void kq_store_dict_cache_free(kq_store_dict_cache *cache);
/* Finds the dictionary of (table, column) in a segment; false with a message when it cannot be read. Thread-safe. */
bool kq_store_dict_find(kq_store_dict_cache *cache, const kq_store_dict_source *source, uint32_t segment,
                        uint32_t table, uint32_t column, const kq_str **values, uint32_t *count, char *error,
                        size_t size);

#endif
