/*
 * libFuzzer target for the store reader (src/store), which parses files that
 * may be damaged or hostile. The first input byte picks what the rest is:
 *
 *   0: a manifest file, parsed as is (the header and CRC-32 checks run), once
 *      keeping every column and once keeping some, as a query does
 *   1: a manifest whose header length and CRC-32 are rewritten to match the
 *      body, so mutations reach the body parser past the checksum
 *   2: a column chunk after decompression: a type byte, a little-endian u16 row
 *      count (at most one block), then the chunk, decoded as a scan would
 *   3: the end of a version 3 segment file, read for the dictionary of table 0,
 *      column 0. Chunks are read as stored, without zstd and CRC-32, so
 *      mutations reach the footer, index and dictionary parsers
 *   4: a chunk coded against a segment dictionary: a u16 row count, a u16
 *      dictionary size (values "v0", "v1", ...), then the chunk
 *
 * Seeds are in tests/fuzz/store-seeds (one of each kind). Built by
 * `make fuzz-build` with the other targets.
 */
#include "store/format.h"
#include "base/util.h"
#include "types/dynamic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

/* A column filter that keeps the columns whose names have an odd length. */
static bool keep_odd_names(void *user, const char *table, const char *column, size_t len)
{
    (void)user;
    (void)table;
    (void)column;
    return len % 2 == 1;
}

static void fuzz_manifest(const uint8_t *data, size_t size, bool fix_header)
{
    uint8_t *copy = kq_xmalloc(size ? size : 1);
    memcpy(copy, data, size);
    if (fix_header && size >= KQ_STORE_HEADER_BYTES) {
        uint64_t body = size - KQ_STORE_HEADER_BYTES;
        uint32_t crc = (uint32_t)crc32_z(0, copy + KQ_STORE_HEADER_BYTES, (z_size_t)body);
        for (int i = 0; i < 8; i++)
            copy[12 + i] = (uint8_t)(body >> (8 * i));
        for (int i = 0; i < 4; i++)
            copy[20 + i] = (uint8_t)(crc >> (8 * i));
    }
    kq_store_manifest manifest;
    char error[512];
    if (kq_store_manifest_parse(copy, size, NULL, NULL, &manifest, error, sizeof error))
        kq_store_manifest_free(&manifest);
    /* Again as a query opens it, keeping only some columns. */
    if (kq_store_manifest_parse(copy, size, keep_odd_names, NULL, &manifest, error, sizeof error)) {
        for (uint32_t t = 0; t < manifest.ntables; t++) {
            const kq_store_table *table = &manifest.tables[t];
            for (uint32_t b = 0; b < table->nblocks; b++)
                for (uint32_t c = 0; c < table->ncols; c++) {
                    const kq_store_column_block *col = kq_store_block_column(table, &table->blocks[b], c);
                    /* Read each kept entry, so a wrong slot or slab offset shows up here. */
                    if (col && col->flags > 7)
                        abort();
                }
        }
        kq_store_manifest_free(&manifest);
    }
    free(copy);
}

static void fuzz_column(const uint8_t *data, size_t size)
{
    if (size < 3)
        return;
    kq_type type = (kq_type)(1 + data[0] % (KQ_TYPE_COUNT - 1));
    uint32_t nrows = ((uint32_t)data[1] | (uint32_t)data[2] << 8) % (KQ_BATCH_ROWS + 1);
    kq_arena *arena = kq_arena_new(64 * 1024);
    kq_column column = {.type = type};
    char error[256];
    if (kq_store_decode_column(data + 3, size - 3, nrows, &column, arena, error, sizeof error)) {
        /* Read every decoded value back, so a bad pointer or length shows up here. */
        for (uint32_t r = 0; r < nrows; r++) {
            kq_value v = kq_column_get(&column, r);
            if (!v.null && (type == KQ_STRING || type == KQ_GUID) && v.u.s.len)
                (void)strlen(v.u.s.ptr);
            if (!v.null && type == KQ_DYNAMIC) {
                kq_buf json;
                kq_buf_init(&json);
                kq_dyn_to_json(v.u.d, &json);
                kq_buf_free(&json);
            }
        }
    }
    kq_arena_free(arena);
}

/* Reads a chunk's bytes as they lie in the file (kq_store_dict_source.read without compression). */
static uint8_t *read_plain(void *user, uint32_t segment, const kq_store_chunk *chunk, char *error, size_t size)
{
    (void)segment;
    int fd = *(int *)user;
    uint8_t *raw = kq_xmalloc(chunk->raw_size ? chunk->raw_size : 1);
    if (pread(fd, raw, chunk->raw_size, (off_t)chunk->offset) != (ssize_t)chunk->raw_size) {
        snprintf(error, size, "short read");
        free(raw);
        return NULL;
    }
    return raw;
}

static void fuzz_segment_end(const uint8_t *data, size_t size)
{
    int fd = memfd_create("segment", 0);
    if (fd < 0)
        return;
    if (write(fd, data, size) == (ssize_t)size) {
        kq_store_dict_cache *cache = kq_store_dict_cache_new(1);
        kq_store_dict_source source = {fd, read_plain, &fd};
        const kq_str *values = NULL;
        uint32_t count = 0;
        char error[512];
        if (kq_store_dict_find(cache, &source, 1, 0, 0, &values, &count, error, sizeof error))
            for (uint32_t i = 0; i < count; i++)
                (void)strlen(values[i].ptr);
        kq_store_dict_cache_free(cache);
    }
    close(fd);
}

static void fuzz_shared_chunk(const uint8_t *data, size_t size)
{
    if (size < 4)
        return;
    uint32_t nrows = ((uint32_t)data[0] | (uint32_t)data[1] << 8) % (KQ_BATCH_ROWS + 1);
    uint32_t count = (uint32_t)data[2] | (uint32_t)data[3] << 8;
    kq_arena *arena = kq_arena_new(64 * 1024);
    kq_str *values = kq_arena_alloc(arena, (count ? count : 1) * sizeof *values);
    for (uint32_t i = 0; i < count; i++) {
        char *text = kq_arena_printf(arena, "v%u", i);
        values[i] = (kq_str){text, (uint32_t)strlen(text)};
    }
    kq_column column = {.type = KQ_STRING};
    char error[256];
    if (kq_store_decode_shared(data + 4, size - 4, nrows, values, count, &column, arena, error, sizeof error))
        for (uint32_t r = 0; r < nrows; r++)
            (void)strlen(kq_column_get(&column, r).u.s.ptr);
    kq_arena_free(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 5) {
    case 0: fuzz_manifest(data + 1, size - 1, false); break;
    case 1: fuzz_manifest(data + 1, size - 1, true); break;
    case 2: fuzz_column(data + 1, size - 1); break;
    case 3: fuzz_segment_end(data + 1, size - 1); break;
    default: fuzz_shared_chunk(data + 1, size - 1); break;
    }
    return 0;
}
