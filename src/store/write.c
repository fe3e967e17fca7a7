/*
 * kqlite ingest: appends tables to a store. Each ingest writes one new segment
 * file, then replaces the manifest by renaming a complete new one over it, so a
 * reader sees either the old store or the new one, never a partial ingest. A
 * lock file keeps two ingests from writing at once.
 */
#include "store/store.h"
#include "store/format.h"
#include "store/bytes.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

/* zstd level for column chunks: level 3 (zstd's default) compresses logs well and fast. */
#define STORE_ZSTD_LEVEL 3

typedef struct seen_file {
    char *path;
    uint64_t size;
    uint32_t crc;
} seen_file;

/* The segment being written. */
typedef struct segment_writer {
    FILE *file;
    char *path;
    uint64_t offset;
    ZSTD_CCtx *cctx;
    kq_buf scratch;
    kq_store_dicts *dicts; /* the segment's dictionaries of text columns */
    bool failed;
} segment_writer;

/* One ingest: the store's manifest as it will be written, and the new segment. */
struct kq_store_ingest {
    char *dir;
    int lock_fd;
    kq_store_manifest manifest;
    seen_file *seen;
    size_t nseen, seen_cap;
    segment_writer segment; /* opened with the first rows */
    uint64_t rows, conversion_failures;
    char *error;    /* the first write error; the ingest then fails */
    bool committed; /* the manifest that lists the segment is in place */
    bool created;   /* this ingest created the store folder */
};

static bool close_segment(segment_writer *w, char **error);

static char *message(const char *format, ...) __attribute__((format(printf, 1, 2)));

static char *message(const char *format, ...)
{
    kq_buf buf;
    kq_buf_init(&buf);
    va_list args;
    va_start(args, format);
    char text[1024];
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    kq_buf_puts(&buf, text);
    return kq_buf_detach(&buf);
}

/* Returns true when dir contains only store files, so a new store may be created there. */
static bool folder_usable(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool usable = true;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") && strcmp(name, "..") && strcmp(name, KQ_STORE_LOCK) && strncmp(name, "segment-", 8))
            usable = false;
    }
    closedir(d);
    return usable;
}

kq_store_ingest *kq_store_ingest_begin(const char *path, char **error)
{
    struct stat st;
    bool created = false;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT || mkdir(path, 0777) != 0) {
            *error = message("cannot create the store folder %s: %s", path, strerror(errno));
            return NULL;
        }
        created = true;
    } else if (!S_ISDIR(st.st_mode)) {
        *error = message("%s exists and is not a folder; a store is a folder (choose a new path)", path);
        return NULL;
    }
    kq_store_ingest *check = kq_xcalloc(1, sizeof *check);
    check->dir = kq_xstrdup(path);
    check->created = created;
    char *lock_path = kq_store_path(path, KQ_STORE_LOCK);
    check->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    free(lock_path);
    if (check->lock_fd < 0 || flock(check->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        *error = message(check->lock_fd < 0 ? "cannot create the lock file in %s: %s"
                                            : "another kqlite ingest is writing to %s (%s); wait for it to finish",
                         path, strerror(errno));
        kq_store_ingest_abort(check);
        return NULL;
    }
    char *manifest_path = kq_store_path(path, KQ_STORE_MANIFEST);
    bool exists = access(manifest_path, F_OK) == 0;
    free(manifest_path);
    char why[600];
    if (exists && !kq_store_manifest_load(path, NULL, NULL, &check->manifest, why, sizeof why)) {
        *error = message("%s", why);
        kq_store_ingest_abort(check);
        return NULL;
    }
    /* Appending to a store with a missing or damaged segment would bury the damage under new data. */
    if (exists && !kq_store_check_segments(path, &check->manifest, why, sizeof why)) {
        *error = message("cannot append to %s: %s", path, why);
        kq_store_ingest_abort(check);
        return NULL;
    }
    if (!exists && !folder_usable(path)) {
        *error = message("%s is a folder with other files and no %s; give ingest an empty or new folder",
                         path, KQ_STORE_MANIFEST);
        kq_store_ingest_abort(check);
        return NULL;
    }
    return check;
}

void kq_store_ingest_abort(kq_store_ingest *check)
{
    if (!check)
        return;
    /* A segment the manifest does not list is removed: the store stays as it was. */
    char *ignored = NULL;
    close_segment(&check->segment, &ignored);
    free(ignored);
    if (check->segment.path && !check->committed)
        unlink(check->segment.path);
    free(check->segment.path);
    free(check->error);
    /* A failed first ingest leaves no folder holding only a lock file behind. */
    if (check->created && !check->committed) {
        char *lock_path = kq_store_path(check->dir, KQ_STORE_LOCK);
        unlink(lock_path);
        free(lock_path);
        rmdir(check->dir); /* fails, harmlessly, when other files remain */
    }
    if (check->lock_fd >= 0)
        close(check->lock_fd);
    kq_store_manifest_free(&check->manifest);
    for (size_t i = 0; i < check->nseen; i++)
        free(check->seen[i].path);
    free(check->seen);
    free(check->dir);
    free(check);
}

/* Computes a file's size and CRC-32; false when it cannot be read. */
static bool file_identity(const char *path, uint64_t *size, uint32_t *crc)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return false;
    static __thread unsigned char buffer[1 << 16];
    uint32_t sum = 0;
    uint64_t total = 0;
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, file)) > 0) {
        sum = libdeflate_crc32(sum, buffer, n);
        total += n;
    }
    bool ok = !ferror(file);
    fclose(file);
    *size = total;
    *crc = sum;
    return ok;
}

char *kq_store_check_file(void *user, const char *path)
{
    kq_store_ingest *check = user;
    uint64_t size;
    uint32_t crc;
    if (!file_identity(path, &size, &crc))
        return NULL; /* the loader reports the read error */
    for (uint32_t i = 0; i < check->manifest.nsources; i++) {
        const kq_store_source *source = &check->manifest.sources[i];
        if (source->size == size && source->crc == crc) {
            char when[32];
            time_t t = (time_t)source->ingested;
            struct tm tm;
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
            return message("already in the store: same size and CRC-32 as %s, ingested %s", source->path, when);
        }
    }
    for (size_t i = 0; i < check->nseen; i++)
        if (check->seen[i].size == size && check->seen[i].crc == crc)
            return message("same size and CRC-32 as %s in this ingest; read once", check->seen[i].path);
    kq_grow((void **)&check->seen, &check->seen_cap, check->nseen + 1, sizeof *check->seen);
    check->seen[check->nseen++] = (seen_file){kq_xstrdup(path), size, crc};
    return NULL;
}

int64_t kq_store_ingested_size(const kq_store_ingest *check, const char *path)
{
    int64_t size = -1;
    for (uint32_t i = 0; i < check->manifest.nsources; i++)
        if (strcmp(check->manifest.sources[i].path, path) == 0)
            size = (int64_t)check->manifest.sources[i].size;
    return size;
}

/* Compresses raw and appends it to the segment as one chunk. */
static void write_chunk(segment_writer *w, const void *raw, size_t raw_size, kq_store_chunk *chunk)
{
    size_t bound = ZSTD_compressBound(raw_size);
    if (w->scratch.cap < bound + 1)
        w->scratch.data = kq_xrealloc(w->scratch.data, w->scratch.cap = bound + 1);
    size_t size = ZSTD_compressCCtx(w->cctx, w->scratch.data, bound, raw, raw_size, STORE_ZSTD_LEVEL);
    if (ZSTD_isError(size) || size > KQ_STORE_MAX_CHUNK || raw_size > KQ_STORE_MAX_CHUNK) {
        w->failed = true;
        return;
    }
    chunk->offset = w->offset;
    chunk->size = (uint32_t)size;
    chunk->raw_size = (uint32_t)raw_size;
    chunk->crc = kq_store_crc32(w->scratch.data, size);
    if (fwrite(w->scratch.data, 1, size, w->file) != size)
        w->failed = true;
    w->offset += size;
}

/* True when every cell of the column is null (or an empty string): the block then stores nothing for it. */
static bool column_empty(const kq_column *column, uint32_t nrows)
{
    for (uint32_t r = 0; r < nrows; r++) {
        if (kq_store_is_text(column->type) ? column->v.s[r].len != 0 : !(column->nulls && column->nulls[r]))
            return false;
    }
    return true;
}

static void column_range(const kq_column *column, uint32_t nrows, kq_store_column_block *col)
{
    for (uint32_t r = 0; r < nrows; r++) {
        if (column->nulls && column->nulls[r]) {
            col->flags |= KQ_STORE_ANY_NULL;
            continue;
        }
        int64_t v = column->v.l[r];
        if (!(col->flags & KQ_STORE_ANY_VALUE) || v < col->min)
            col->min = v;
        if (!(col->flags & KQ_STORE_ANY_VALUE) || v > col->max)
            col->max = v;
        col->flags |= KQ_STORE_ANY_VALUE;
    }
}

/*
 * Writes one column of one batch. A text column is coded against the
 * segment's dictionary of column `index` of table `table` when the dictionary
 * can take its values. False when a dynamic value is nested too deeply to store.
 */
static bool write_column(segment_writer *w, const kq_column *column, uint32_t nrows, uint32_t table, uint32_t index,
                         kq_store_column_block *col)
{
    memset(col, 0, sizeof *col);
    if (column_empty(column, nrows)) {
        col->flags = KQ_STORE_ANY_NULL;
        return true;
    }
    col->flags = KQ_STORE_PRESENT;
    kq_buf raw;
    kq_buf_init(&raw);
    bool ok = kq_store_dicts_encode(w->dicts, table, index, column, nrows, &raw) ||
              kq_store_encode_column(column, nrows, &raw);
    if (ok)
        write_chunk(w, raw.data, raw.len, &col->data);
    kq_buf_free(&raw);
    if (kq_store_is_int64(column->type))
        column_range(column, nrows, col);
    if (kq_store_is_text(column->type)) {
        uint64_t *bits = kq_store_build_bloom(column, nrows, &col->bloom_log2);
        size_t words = ((size_t)1 << col->bloom_log2) / 64;
        kq_buf le;
        kq_buf_init(&le);
        for (size_t i = 0; i < words; i++)
            kq_put_u64(&le, bits[i]);
        write_chunk(w, le.data, le.len, &col->bloom);
        kq_buf_free(&le);
        free(bits);
    }
    return ok;
}

/* Finds or adds the store table for a catalog table and adds the columns the store lacks. */
static kq_store_table *store_table_for(kq_store_manifest *manifest, const kq_table *table)
{
    kq_store_table *st = NULL;
    for (uint32_t t = 0; t < manifest->ntables && !st; t++)
        if (strcmp(manifest->tables[t].name, table->name) == 0)
            st = &manifest->tables[t];
    if (!st) {
        manifest->tables = kq_xrealloc(manifest->tables, (manifest->ntables + 1) * sizeof *manifest->tables);
        st = &manifest->tables[manifest->ntables++];
        memset(st, 0, sizeof *st);
        st->name = kq_xstrdup(table->name);
    }
    for (uint32_t c = 0; c < table->schema.count; c++) {
        const kq_field *field = &table->schema.fields[c];
        uint32_t i = 0;
        while (i < st->ncols && strcmp(st->fields[i].name, field->name) != 0)
            i++;
        if (i < st->ncols)
            continue;
        st->fields = kq_xrealloc(st->fields, (st->ncols + 1) * sizeof *st->fields);
        st->fields[st->ncols++] = (kq_field){kq_xstrdup(field->name), field->type};
    }
    return st;
}

/*
 * Returns a one-column batch with the column converted to type, the way the
 * table builder converts a cell to a declared type; counts in *failures the
 * values that did not convert and became null.
 */
static kq_batch *convert_column(const kq_column *column, uint32_t nrows, kq_type type, uint64_t *failures)
{
    kq_batch *out = kq_batch_new(1, &type, nrows);
    out->nrows = nrows;
    for (uint32_t r = 0; r < nrows; r++) {
        kq_value v = kq_column_get(column, r);
        /* A string column has no nulls, only empty strings: those are missing values, not failures. A part
         * whose rows all lack an extra column infers string for it, and the store may have typed it long. */
        if ((v.type == KQ_STRING || v.type == KQ_GUID) && !v.null && v.u.s.len == 0 && !kq_store_is_text(type))
            v.null = true;
        kq_value converted = v;
        if (!v.null) {
            const kq_dyn *dyn = kq_dyn_from_value(out->arena, &v);
            converted = kq_dyn_to_value(dyn, type == KQ_GUID ? KQ_STRING : type, out->arena);
        }
        if (converted.null) {
            *failures += !v.null && !kq_store_is_text(type);
            kq_column_set_null(out, 0, r);
            continue;
        }
        converted.type = type;
        kq_batch_set(out, 0, r, converted);
    }
    return out;
}

/*
 * Writes a table's batches as blocks. A column keeps the type the store gave
 * it first: values of another type (a later export where inference chose bool
 * for a column that was long) are converted, and those that do not convert
 * become null and are counted in *failures.
 */
static bool write_table(segment_writer *w, kq_store_table *st, uint32_t table_index, const kq_table *table,
                        uint32_t segment, uint64_t *failures)
{
    int *map = kq_xmalloc((st->ncols ? st->ncols : 1) * sizeof *map);
    for (uint32_t i = 0; i < st->ncols; i++)
        map[i] = kq_schema_find(&table->schema, st->fields[i].name, strlen(st->fields[i].name));
    bool ok = true;
    for (size_t b = 0; b < table->nbatches && ok && !w->failed; b++) {
        const kq_batch *batch = table->batches[b];
        if (batch->nrows == 0)
            continue;
        kq_grow((void **)&st->blocks, &st->blocks_cap, st->nblocks + 1, sizeof *st->blocks);
        kq_store_block *block = &st->blocks[st->nblocks++];
        *block = (kq_store_block){segment, batch->nrows, st->ncols, kq_xcalloc(st->ncols ? st->ncols : 1,
                                                                                sizeof *block->cols)};
        for (uint32_t i = 0; i < st->ncols && ok; i++) {
            if (map[i] < 0) {
                block->cols[i].flags = KQ_STORE_ANY_NULL;
            } else if (batch->cols[map[i]].type != st->fields[i].type) {
                kq_batch *converted = convert_column(&batch->cols[map[i]], batch->nrows, st->fields[i].type,
                                                     failures);
                ok = write_column(w, &converted->cols[0], batch->nrows, table_index, i, &block->cols[i]);
                kq_batch_release(converted);
            } else {
                ok = write_column(w, &batch->cols[map[i]], batch->nrows, table_index, i, &block->cols[i]);
            }
        }
        st->nrows += batch->nrows;
    }
    free(map);
    return ok;
}

/* Records the files this ingest loaded (skipped and failed files are not recorded). */
static void add_sources(kq_store_ingest *check, const kq_load_report *report, uint32_t segment)
{
    kq_store_manifest *manifest = &check->manifest;
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < report->count; i++) {
        const kq_file_report *file = &report->files[i];
        if (file->error || file->skipped)
            continue;
        const seen_file *seen = NULL;
        for (size_t j = 0; j < check->nseen && !seen; j++)
            if (strcmp(check->seen[j].path, file->path) == 0)
                seen = &check->seen[j];
        kq_grow((void **)&manifest->sources, &manifest->sources_cap, manifest->nsources + 1,
                sizeof *manifest->sources);
        manifest->sources[manifest->nsources++] = (kq_store_source){
            .path = kq_xstrdup(file->path), .format = kq_xstrdup(file->format ? file->format : ""),
            .tables = kq_xstrdup(file->tables ? file->tables : ""), .size = seen ? seen->size : 0,
            .crc = seen ? seen->crc : 0, .records = file->records_loaded, .ingested = now, .segment = segment};
    }
}

/* Writes data to path through a temporary file, synced and renamed over path. */
static bool replace_file(const char *path, const char *data, size_t len, char **error)
{
    size_t n = strlen(path) + 5;
    char *tmp = kq_xmalloc(n);
    snprintf(tmp, n, "%s.tmp", path);
    FILE *file = fopen(tmp, "wb");
    bool ok = file && fwrite(data, 1, len, file) == len;
    ok = file && fflush(file) == 0 && fsync(fileno(file)) == 0 && ok;
    if (file && fclose(file) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        *error = message("cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return ok;
}

static bool open_segment(segment_writer *w, const char *dir, uint32_t segment, char **error)
{
    if (segment > KQ_STORE_MAX_SEGMENTS) {
        *error = message("%s holds %u segments, the most a store can; ingest the new data into a new store", dir,
                         KQ_STORE_MAX_SEGMENTS);
        return false;
    }
    w->path = kq_store_segment_path(dir, segment);
    w->file = fopen(w->path, "wb");
    if (!w->file) {
        *error = message("cannot create %s: %s", w->path, strerror(errno));
        return false;
    }
    kq_buf header;
    kq_buf_init(&header);
    kq_buf_append(&header, KQ_SEGMENT_MAGIC, 8);
    kq_put_u32(&header, KQ_STORE_VERSION);
    kq_put_u32(&header, segment);
    fwrite(header.data, 1, header.len, w->file);
    kq_buf_free(&header);
    w->offset = KQ_SEGMENT_HEADER_BYTES;
    w->cctx = ZSTD_createCCtx();
    kq_buf_init(&w->scratch);
    w->dicts = kq_store_dicts_new();
    return true;
}

/* Writes the segment's dictionaries, their index and the footer that ends the file. */
static void write_dictionaries(segment_writer *w)
{
    size_t n = kq_store_dicts_count(w->dicts);
    kq_store_chunk *chunks = kq_xcalloc(n ? n : 1, sizeof *chunks);
    kq_buf raw;
    kq_buf_init(&raw);
    for (size_t i = 0; i < n; i++) {
        raw.len = 0;
        kq_store_dicts_put(w->dicts, i, &raw);
        write_chunk(w, raw.data, raw.len, &chunks[i]);
    }
    raw.len = 0;
    kq_store_dicts_put_index(w->dicts, chunks, &raw);
    kq_store_chunk index;
    write_chunk(w, raw.data, raw.len, &index);
    raw.len = 0;
    kq_store_put_footer(&raw, &index);
    if (fwrite(raw.data, 1, raw.len, w->file) != raw.len)
        w->failed = true;
    w->offset += raw.len;
    kq_buf_free(&raw);
    free(chunks);
}

/* Closes the segment file (if open); false with a message in *error (unless one is set) on failure. */
static bool close_segment(segment_writer *w, char **error)
{
    if (!w->file)
        return true;
    bool ok = !w->failed && fflush(w->file) == 0 && fsync(fileno(w->file)) == 0;
    if (fclose(w->file) != 0)
        ok = false;
    w->file = NULL;
    if (!ok && !*error)
        *error = message("cannot write %s: %s", w->path, errno ? strerror(errno) : "compression failed");
    ZSTD_freeCCtx(w->cctx);
    kq_buf_free(&w->scratch);
    kq_store_dicts_free(w->dicts);
    w->dicts = NULL;
    return ok;
}

/* Writes a table's rows to the new segment, opening it first; false (with check->error set) on failure. */
static bool append_table(kq_store_ingest *check, const kq_table *table)
{
    if (check->error)
        return false;
    if (!table || table->nrows == 0)
        return true;
    uint32_t segment = check->manifest.segments + 1;
    if (!check->segment.file && !open_segment(&check->segment, check->dir, segment, &check->error))
        return false;
    kq_store_table *st = store_table_for(&check->manifest, table);
    uint32_t table_index = (uint32_t)(st - check->manifest.tables);
    if (!write_table(&check->segment, st, table_index, table, segment, &check->conversion_failures)) {
        check->error = check->segment.failed
                           ? message("cannot write %s: %s", check->segment.path, strerror(errno))
                           : message("a dynamic value in table %s is nested more than %d levels deep; it cannot be "
                                     "stored", table->name, KQ_STORE_MAX_DYN_DEPTH);
        return false;
    }
    check->rows += table->nrows;
    return true;
}

void kq_store_flush_table(void *user, kq_table *table)
{
    append_table(user, table);
    kq_table_free(table);
}

bool kq_store_ingest_finish(kq_store_ingest *check, const kq_catalog *catalog, const kq_load_report *report,
                            uint64_t *conversion_failures, char **error)
{
    *error = NULL;
    for (size_t t = 0; t < kq_catalog_count(catalog); t++)
        append_table(check, kq_catalog_table_at(catalog, t));
    *conversion_failures = check->conversion_failures;
    kq_store_manifest *manifest = &check->manifest;
    char *manifest_path = kq_store_path(check->dir, KQ_STORE_MANIFEST);
    bool exists = access(manifest_path, F_OK) == 0;
    free(manifest_path);
    bool ok = !check->error;
    if (ok && check->rows == 0 && exists) {
        /* Nothing new (every file was already in the store): the store stays as it is. */
        kq_store_ingest_abort(check);
        return true;
    }
    if (ok && !check->segment.file)
        ok = open_segment(&check->segment, check->dir, manifest->segments + 1, &check->error);
    if (ok)
        write_dictionaries(&check->segment);
    if (!close_segment(&check->segment, &check->error))
        ok = false;
    if (ok) {
        manifest->segments++;
        add_sources(check, report, manifest->segments);
        kq_buf out;
        kq_buf_init(&out);
        kq_store_manifest_write(manifest, &out);
        char *path = kq_store_path(check->dir, KQ_STORE_MANIFEST);
        ok = replace_file(path, out.data, out.len, &check->error);
        check->committed = ok;
        free(path);
        kq_buf_free(&out);
    }
    if (!ok) {
        *error = check->error;
        check->error = NULL;
    }
    kq_store_ingest_abort(check);
    return ok;
}
