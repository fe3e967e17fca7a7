/*
 * Opening a store for queries. Every table gets one batch per block that holds
 * only nulls at first, with the block's datetime ranges set from the manifest
 * and its term filters read when a where clause first asks for one. A scan asks
 * the batch's loader for the columns (kq_batch_load) only when the where
 * clauses after it cannot rule the block out from those, so skipped blocks are
 * never read or decompressed. Columns the queries do not read stay null, as when loading
 * from files with a column filter.
 */
#include "store/store.h"
#include "store/format.h"
#include "store/bytes.h"
#include "base/util.h"
#include "exec/batch_facts.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

typedef struct open_store open_store;

/* The loader of one block: the batch's kq_batch_loader. */
typedef struct block_loader {
    kq_batch_loader base;
    open_store *store;
    const kq_store_table *table;
    const kq_store_block *block;
    const bool *wanted; /* per table column */
    pthread_mutex_t lock;
    bool loaded;
    char *error; /* a term filter that could not be read: load reports it */
} block_loader;

/*
 * A decompression context with the buffers it reads and decompresses into.
 * They are kept for the next chunk: fresh buffers for every chunk cost a page
 * fault per 4 KiB, more than the decompression itself.
 */
typedef struct chunk_reader {
    ZSTD_DCtx *zstd;
    uint8_t *packed, *raw;
    size_t packed_cap, raw_cap;
} chunk_reader;

/* State shared by the batches of one opened store; freed with the last batch. */
struct open_store {
    char *dir;
    kq_store_manifest manifest;
    int *segment_fds; /* index: segment number */
    uint32_t *segment_versions; /* index: segment number; the format version in its header */
    bool **wanted;    /* per table */
    kq_store_dict_cache *dicts; /* the segments' dictionaries, read on first use */
    int refs;
    /* Readers not in use: creating a context per chunk costs more than small chunks' decoding. */
    pthread_mutex_t readers_lock;
    chunk_reader **readers;
    size_t nreaders, readers_cap;
};

static chunk_reader *take_reader(open_store *store)
{
    pthread_mutex_lock(&store->readers_lock);
    chunk_reader *reader = store->nreaders ? store->readers[--store->nreaders] : NULL;
    pthread_mutex_unlock(&store->readers_lock);
    if (!reader) {
        reader = kq_xcalloc(1, sizeof *reader);
        reader->zstd = ZSTD_createDCtx();
    }
    return reader;
}

/* A buffer larger than this is freed after its chunk rather than kept for the next one. */
#define KEEP_BUFFER_BYTES (8u << 20)

static void return_reader(open_store *store, chunk_reader *reader)
{
    if (reader->raw_cap > KEEP_BUFFER_BYTES) {
        free(reader->raw);
        reader->raw = NULL;
        reader->raw_cap = 0;
    }
    if (reader->packed_cap > KEEP_BUFFER_BYTES) {
        free(reader->packed);
        reader->packed = NULL;
        reader->packed_cap = 0;
    }
    pthread_mutex_lock(&store->readers_lock);
    kq_grow((void **)&store->readers, &store->readers_cap, store->nreaders + 1, sizeof *store->readers);
    store->readers[store->nreaders++] = reader;
    pthread_mutex_unlock(&store->readers_lock);
}

static void free_reader(chunk_reader *reader)
{
    ZSTD_freeDCtx(reader->zstd);
    free(reader->packed);
    free(reader->raw);
    free(reader);
}

static void store_release(open_store *store)
{
    if (__atomic_sub_fetch(&store->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    for (uint32_t s = 1; store->segment_fds && s <= store->manifest.segments; s++)
        if (store->segment_fds[s] >= 0)
            close(store->segment_fds[s]);
    for (uint32_t t = 0; store->wanted && t < store->manifest.ntables; t++)
        free(store->wanted[t]);
    free(store->wanted);
    for (size_t i = 0; i < store->nreaders; i++)
        free_reader(store->readers[i]);
    free(store->readers);
    pthread_mutex_destroy(&store->readers_lock);
    free(store->segment_fds);
    free(store->segment_versions);
    kq_store_dict_cache_free(store->dicts);
    kq_store_manifest_free(&store->manifest);
    free(store->dir);
    free(store);
}

/* Grows a reader's buffer to hold n bytes (at least 1). */
static uint8_t *reader_buffer(uint8_t **buffer, size_t *cap, size_t n)
{
    if (n > *cap || !*buffer) {
        free(*buffer);
        *cap = n > 1 ? n : 1;
        *buffer = kq_xmalloc(*cap);
    }
    return *buffer;
}

/*
 * Reads, checks and decompresses a chunk into the reader's raw buffer, valid
 * until the reader's next chunk; NULL with a message.
 */
static const uint8_t *read_chunk(open_store *store, chunk_reader *reader, uint32_t segment,
                                 const kq_store_chunk *chunk, char *error, size_t size)
{
    uint8_t *packed = reader_buffer(&reader->packed, &reader->packed_cap, chunk->size);
    ssize_t got = pread(store->segment_fds[segment], packed, chunk->size, (off_t)chunk->offset);
    enum { CHUNK_OK, CHUNK_SHORT_READ, CHUNK_CRC, CHUNK_SIZE } problem = CHUNK_OK;
    if (got != (ssize_t)chunk->size)
        problem = CHUNK_SHORT_READ;
    else if (kq_store_crc32(packed, chunk->size) != chunk->crc)
        problem = CHUNK_CRC;
    uint8_t *raw = NULL;
    size_t n = 0;
    if (problem == CHUNK_OK) {
        raw = reader_buffer(&reader->raw, &reader->raw_cap, chunk->raw_size);
        n = ZSTD_decompressDCtx(reader->zstd, raw, chunk->raw_size, packed, chunk->size);
        if (ZSTD_isError(n) || n != chunk->raw_size)
            problem = CHUNK_SIZE;
    }
    if (problem == CHUNK_OK)
        return raw;
    char *path = kq_store_segment_path(store->dir, segment);
    unsigned long long offset = (unsigned long long)chunk->offset;
    if (problem == CHUNK_SHORT_READ)
        snprintf(error, size, "%s: cannot read %u bytes at offset %llu (%s); the store is damaged, so ingest the "
                              "data again into a new store", path, chunk->size, offset,
                 got < 0 ? strerror(errno) : "the file is truncated");
    else if (problem == CHUNK_CRC)
        snprintf(error, size, "%s: CRC-32 mismatch in the chunk at offset %llu; the store is damaged, so ingest "
                              "the data again into a new store", path, offset);
    else
        snprintf(error, size, "%s: the chunk at offset %llu does not decompress to its recorded size (%s); the "
                              "store is damaged, so ingest the data again into a new store", path, offset,
                 ZSTD_isError(n) ? ZSTD_getErrorName(n) : "a different size");
    free(path);
    return NULL;
}

/* kq_store_dict_source.read: a chunk in memory of its own, since the dictionary outlives the reader. */
static uint8_t *read_for_dictionary(void *user, uint32_t segment, const kq_store_chunk *chunk, char *error,
                                    size_t size)
{
    open_store *store = user;
    chunk_reader *reader = take_reader(store);
    const uint8_t *raw = read_chunk(store, reader, segment, chunk, error, size);
    uint8_t *copy = NULL;
    if (raw) {
        copy = kq_xmalloc(chunk->raw_size ? chunk->raw_size : 1);
        memcpy(copy, raw, chunk->raw_size);
    } else {
        /* The caller's message names the segment file already. */
        char *path = kq_store_segment_path(store->dir, segment);
        size_t n = strlen(path);
        if (strncmp(error, path, n) == 0 && error[n] == ':' && error[n + 1] == ' ')
            memmove(error, error + n + 2, strlen(error + n + 2) + 1);
        free(path);
    }
    return_reader(store, reader);
    return copy;
}

/* Decodes column c's chunk of the block (raw_size bytes at raw) into column; false with the reason in why. */
static bool decode_chunk(block_loader *loader, uint32_t c, const uint8_t *raw, uint32_t raw_size, kq_column *column,
                         kq_arena *arena, char *why, size_t size)
{
    const kq_store_block *block = loader->block;
    open_store *store = loader->store;
    uint32_t version = store->segment_versions[block->segment];
    uint8_t flags = raw_size > 0 ? raw[0] : 0;
    /* Version 1 wrote no dictionary and version 2 no segment dictionary: such a chunk means damage. */
    if ((version < 2 && (flags & KQ_CHUNK_DICTIONARY)) || (version < 3 && (flags & KQ_CHUNK_SHARED))) {
        snprintf(why, size, "a dictionary coded chunk in a version %u segment", version);
        return false;
    }
    if (!(flags & KQ_CHUNK_SHARED))
        return kq_store_decode_column(raw, raw_size, block->nrows, column, arena, why, size);
    kq_store_dict_source source = {store->segment_fds[block->segment], read_for_dictionary, store};
    const kq_str *values = NULL;
    uint32_t count = 0;
    uint32_t table = (uint32_t)(loader->table - store->manifest.tables);
    char problem[400];
    if (!kq_store_dict_find(store->dicts, &source, block->segment, table, c, &values, &count, problem,
                            sizeof problem)) {
        snprintf(why, size, "its segment dictionary: %s", problem);
        return false;
    }
    return kq_store_decode_shared(raw, raw_size, block->nrows, values, count, column, arena, why, size);
}

static bool load_columns(block_loader *loader, kq_batch *batch, chunk_reader *reader, char *error, size_t size)
{
    const kq_store_block *block = loader->block;
    for (uint32_t c = 0; c < block->ncols; c++) {
        const kq_store_column_block *col = kq_store_block_column(loader->table, block, c);
        if (!col || !loader->wanted[c] || !(col->flags & KQ_STORE_PRESENT))
            continue;
        const uint8_t *raw = read_chunk(loader->store, reader, block->segment, &col->data, error, size);
        if (!raw)
            return false;
        kq_column column = {.type = batch->cols[c].type};
        char why[600];
        if (!decode_chunk(loader, c, raw, col->data.raw_size, &column, batch->arena, why, sizeof why)) {
            char *path = kq_store_segment_path(loader->store->dir, block->segment);
            const char *remedy = strstr(why, "ingest the data again") ? ""
                                 : "; the store is damaged, so ingest the data again into a new store";
            snprintf(error, size, "%s: column %s of table %s, chunk at offset %llu: %s%s", path,
                     loader->table->fields[c].name, loader->table->name, (unsigned long long)col->data.offset,
                     why, remedy);
            free(path);
            return false;
        }
        /* Only the data: where clauses on other threads read the column's type while this runs. */
        batch->cols[c].nulls = column.nulls;
        batch->cols[c].v = column.v;
        batch->cols[c].codes = column.codes;
        batch->cols[c].dict = column.dict;
        batch->cols[c].ndict = column.ndict;
    }
    return true;
}

/* kq_batch_loader.load: a failed load is tried again on the next call and fails the same way. */
static bool block_load(kq_batch_loader *self, kq_batch *batch, char *error, size_t size)
{
    block_loader *loader = (block_loader *)self;
    pthread_mutex_lock(&loader->lock);
    bool ok = loader->loaded;
    if (!ok && loader->error)
        snprintf(error, size, "%s", loader->error);
    else if (!ok) {
        chunk_reader *reader = take_reader(loader->store);
        ok = load_columns(loader, batch, reader, error, size);
        return_reader(loader->store, reader);
    }
    loader->loaded = ok;
    pthread_mutex_unlock(&loader->lock);
    return ok;
}

/*
 * kq_batch_loader.term_filter: installs the stored filter of a string column.
 * A filter that cannot be read is replaced by one with every bit set, which
 * rules nothing out, and the error is kept for load to report, so a damaged
 * filter never drops rows.
 */
static bool block_term_filter(kq_batch_loader *self, kq_batch *batch, uint32_t col)
{
    block_loader *loader = (block_loader *)self;
    const kq_store_block *block = loader->block;
    const kq_store_column_block *column = kq_store_block_column(loader->table, block, col);
    if (!column || !(column->flags & KQ_STORE_PRESENT) || !kq_store_is_text(loader->table->fields[col].type))
        return false;
    pthread_mutex_lock(&loader->lock);
    char error[512];
    chunk_reader *reader = take_reader(loader->store);
    const uint8_t *raw = read_chunk(loader->store, reader, block->segment, &column->bloom, error, sizeof error);
    size_t words = column->bloom.raw_size / 8;
    uint64_t *bits = kq_arena_alloc(batch->arena, words * sizeof *bits);
    kq_reader r = {raw, raw ? column->bloom.raw_size : 0, 0, false};
    for (size_t i = 0; i < words; i++)
        bits[i] = raw ? kq_read_u64(&r) : UINT64_MAX;
    return_reader(loader->store, reader);
    if (!raw && !loader->error)
        loader->error = kq_xstrdup(error);
    kq_batch_set_term_bloom(batch, col, bits, (uint64_t)words * 64);
    pthread_mutex_unlock(&loader->lock);
    return true;
}

static void block_release(kq_batch_loader *self)
{
    block_loader *loader = (block_loader *)self;
    pthread_mutex_destroy(&loader->lock);
    free(loader->error);
    open_store *store = loader->store;
    free(loader);
    store_release(store);
}

/* Sets the block's datetime ranges on a batch that holds nulls. */
static void set_time_ranges(const kq_store_table *table, const kq_store_block *block, kq_batch *batch)
{
    for (uint32_t c = 0; c < block->ncols; c++) {
        const kq_store_column_block *col = kq_store_block_column(table, block, c);
        if (col && table->fields[c].type == KQ_DATETIME && (col->flags & KQ_STORE_PRESENT))
            kq_batch_set_time_range(batch, c, col->min, col->max, (col->flags & KQ_STORE_ANY_VALUE) != 0,
                                    (col->flags & KQ_STORE_ANY_NULL) != 0);
    }
}

/*
 * A store appended to by a later kqlite keeps its older segments, so segment
 * versions may differ, but none is newer than the manifest.
 */
static bool segment_version_known(uint32_t version, uint32_t manifest_version)
{
    return version >= KQ_STORE_OLDEST_VERSION && version <= manifest_version;
}

/* Returns whether a version 3 segment of the given size ends with its footer, after its last chunk. */
static bool ends_with_footer(int fd, uint64_t file_size, uint64_t chunks_end)
{
    char magic[8];
    return file_size >= chunks_end + KQ_SEGMENT_FOOTER_BYTES &&
           pread(fd, magic, sizeof magic, (off_t)(file_size - sizeof magic)) == (ssize_t)sizeof magic &&
           memcmp(magic, KQ_SEGMENT_FOOTER_MAGIC, 8) == 0;
}

/*
 * Opens segment s and checks it: a regular file with this store's header for
 * segment s, long enough for every chunk the manifest puts in it, and (from
 * version 3) ending with its footer. Returns the descriptor and the segment's
 * version, or -1 with a message.
 */
static int open_segment_file(const char *dir, const kq_store_manifest *m, uint32_t s, uint32_t *version,
                             char *error, size_t size)
{
    uint64_t needed = m->segment_ends && s < m->nsegment_ends ? m->segment_ends[s] : 0;
    char *path = kq_store_segment_path(dir, s);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    unsigned char header[KQ_SEGMENT_HEADER_BYTES];
    kq_reader r = {header, sizeof header, 8, false};
    bool ok = false;
    if (fd < 0 || fstat(fd, &st) != 0)
        snprintf(error, size, "cannot open %s: %s; the store is incomplete, so ingest the data again into a "
                              "new store", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        snprintf(error, size, "%s is not a regular file; the store is damaged, so ingest the data again into a "
                              "new store", path);
    else if (pread(fd, header, sizeof header, 0) != (ssize_t)sizeof header ||
             memcmp(header, KQ_SEGMENT_MAGIC, 8) != 0 ||
             !segment_version_known(*version = kq_read_u32(&r), m->version) || kq_read_u32(&r) != s)
        snprintf(error, size, "%s is not segment %u of this version %u store (its header differs); the store "
                              "is damaged, so ingest the data again into a new store", path, s, m->version);
    else if ((uint64_t)st.st_size < needed)
        snprintf(error, size, "%s is %lld bytes but the manifest refers to bytes up to %llu: the file is "
                              "truncated; ingest the data again into a new store",
                 path, (long long)st.st_size, (unsigned long long)needed);
    else if (*version >= 3 && !ends_with_footer(fd, (uint64_t)st.st_size, needed))
        snprintf(error, size, "%s does not end with its dictionary footer: the file is truncated or damaged; "
                              "ingest the data again into a new store", path);
    else
        ok = true;
    free(path);
    if (!ok && fd >= 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Opens every segment file the manifest names and checks that each chunk lies inside its file. */
static bool open_segments(open_store *store, char *error, size_t size)
{
    const kq_store_manifest *m = &store->manifest;
    store->segment_fds = kq_xmalloc(((size_t)m->segments + 1) * sizeof(int));
    store->segment_versions = kq_xcalloc((size_t)m->segments + 1, sizeof(uint32_t));
    for (uint32_t s = 0; s <= m->segments; s++)
        store->segment_fds[s] = -1;
    for (uint32_t s = 1; s <= m->segments; s++) {
        store->segment_fds[s] = open_segment_file(store->dir, m, s, &store->segment_versions[s], error, size);
        if (store->segment_fds[s] < 0)
            return false;
    }
    return true;
}

bool kq_store_check_segments(const char *dir, const kq_store_manifest *manifest, char *error, size_t size)
{
    for (uint32_t s = 1; s <= manifest->segments; s++) {
        uint32_t version;
        int fd = open_segment_file(dir, manifest, s, &version, error, size);
        if (fd < 0)
            return false;
        close(fd);
    }
    return true;
}

static kq_table *open_table(open_store *store, uint32_t t)
{
    const kq_store_table *st = &store->manifest.tables[t];
    kq_schema schema = {st->ncols, st->fields};
    kq_table *table = kq_table_new(st->name, &schema);
    kq_type *types = kq_xmalloc((st->ncols ? st->ncols : 1) * sizeof *types);
    bool *absent = kq_xmalloc(st->ncols ? st->ncols : 1);
    for (uint32_t c = 0; c < st->ncols; c++) {
        types[c] = st->fields[c].type;
        absent[c] = true;
    }
    for (uint32_t b = 0; b < st->nblocks; b++) {
        const kq_store_block *block = &st->blocks[b];
        kq_batch *batch = kq_batch_new_sparse(st->ncols, types, block->nrows, absent);
        batch->nrows = block->nrows;
        block_loader *loader = kq_xcalloc(1, sizeof *loader);
        *loader = (block_loader){{block_load, block_term_filter, block_release}, store, st, block, store->wanted[t]};
        pthread_mutex_init(&loader->lock, NULL);
        __atomic_add_fetch(&store->refs, 1, __ATOMIC_ACQ_REL);
        batch->loader = &loader->base;
        set_time_ranges(st, block, batch);
        kq_table_append(table, batch);
    }
    free(types);
    free(absent);
    return table;
}

bool kq_store_open(const char *path, kq_catalog *catalog, const kq_store_read_options *options, char **error)
{
    char message[700];
    open_store *store = kq_xcalloc(1, sizeof *store);
    store->dir = kq_xstrdup(path);
    store->refs = 1;
    pthread_mutex_init(&store->readers_lock, NULL);
    kq_column_filter keep = options ? options->column_filter : NULL;
    void *keep_user = options ? options->column_filter_user : NULL;
    if (!kq_store_manifest_load(path, keep, keep_user, &store->manifest, message, sizeof message) ||
        !open_segments(store, message, sizeof message)) {
        *error = kq_xstrdup(message);
        store_release(store);
        return false;
    }
    const kq_store_manifest *m = &store->manifest;
    store->dicts = kq_store_dict_cache_new(m->segments);
    store->wanted = kq_xcalloc(m->ntables ? m->ntables : 1, sizeof *store->wanted);
    for (uint32_t t = 0; t < m->ntables; t++) {
        const kq_store_table *st = &m->tables[t];
        store->wanted[t] = kq_xmalloc(st->ncols ? st->ncols : 1);
        for (uint32_t c = 0; c < st->ncols; c++)
            store->wanted[t][c] = !st->slots || st->slots[c] != KQ_STORE_NO_SLOT;
    }
    for (uint32_t t = 0; t < m->ntables; t++)
        kq_catalog_add_table(catalog, open_table(store, t));
    store_release(store); /* the batches hold the remaining references */
    return true;
}
