/*
 * On-disk columnar store: tables kept between runs, read back only in the
 * columns and blocks a query needs. docs/store.md describes the format.
 *
 * A store is a folder: a manifest (schemas, block index, ingested files) and
 * one segment file per ingest holding the zstd-compressed column chunks and
 * term filters. Every read is checked (sizes, CRC-32 of each chunk and of the
 * manifest), so a damaged store gives an error naming the file and offset.
 */
#ifndef KQ_STORE_STORE_H
#define KQ_STORE_STORE_H

#include "sources/source.h"
#include "table/catalog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An ingest in progress: the store's lock, its manifest and the segment being written. */
typedef struct kq_store_ingest kq_store_ingest;

/*
 * Opens the state for an ingest into the store at path (which need not exist):
 * it takes the store's lock and reads the manifest so that files already in
 * the store can be skipped. Returns NULL with a message in *error.
 */
kq_store_ingest *kq_store_ingest_begin(const char *path, char **error);
/* The kq_load_options.file_check callback: skips a file whose size and CRC-32 match an ingested one. */
char *kq_store_check_file(void *ingest, const char *path);
/*
 * Returns the size in bytes that the file at path had when the store last
 * ingested it under that path, or -1 when it never did.
 */
int64_t kq_store_ingested_size(const kq_store_ingest *ingest, const char *path);
/* The kq_load_options.flush callback: writes the rows to the new segment and frees the table. */
void kq_store_flush_table(void *ingest, kq_table *table);
/*
 * Appends the catalog's tables to the store as new blocks, records the loaded
 * files of report, and replaces the manifest. A column keeps the type of its
 * first ingest: later values of another type are converted, and
 * *conversion_failures counts those that did not convert (stored as null).
 * Returns false with a message in *error; the store is then unchanged. Frees
 * check (and releases the lock).
 */
bool kq_store_ingest_finish(kq_store_ingest *check, const kq_catalog *catalog, const kq_load_report *report,
                            uint64_t *conversion_failures, char **error);
void kq_store_ingest_abort(kq_store_ingest *check);

/* Decides which columns to read: the same filter the loaders take (NULL reads every column). */
typedef struct kq_store_read_options {
    kq_column_filter column_filter;
    void *column_filter_user;
} kq_store_read_options;

/*
 * Adds the store's tables to the catalog. Their batches hold only nulls and
 * time ranges until a scan reads them (kq_batch_load); term filters are read
 * when a where clause first asks for one. Returns false with a message in
 * *error when the store is missing or its manifest or segment headers are
 * damaged. Damage inside a chunk is reported when a query reads it.
 */
bool kq_store_open(const char *path, kq_catalog *catalog, const kq_store_read_options *options, char **error);

/*
 * Writes a description of the store (tables, rows, blocks, time ranges,
 * sources) to out. Returns false with a message in *error when the manifest
 * cannot be read (out stays empty) or a segment file is missing or damaged
 * (out then contains the description of what the manifest lists).
 */
bool kq_store_describe(const char *path, kq_buf *out, char **error);

#endif
