/*
 * Table builder: turns rows of loosely typed cells from a reader into a
 * typed kq_table.
 *
 * Columns of the table's built-in schema (if any) keep their declared types;
 * a cell is converted when it is set, and a cell that does not convert
 * (text "abc" in a long column) becomes null and is counted in
 * kq_builder_stats. Columns not in the schema are added in the order they are
 * first seen; their type is inferred at kq_table_builder_finish from all their
 * values: long, real, bool, datetime, dynamic (JSON object or array text) or
 * string. Built-in columns that no file provides are present and null (empty
 * for strings). Timestamp and TimeGenerated fill each other when only one is
 * present, so Defender and Sentinel queries both run.
 */
#ifndef KQ_TABLE_BUILDER_H
#define KQ_TABLE_BUILDER_H

#include "table/table.h"

#include <jansson.h>

typedef struct kq_table_builder kq_table_builder;

typedef struct kq_builder_stats {
    uint64_t rows;
    uint64_t conversion_failures; /* cells that became null because they did not convert */
    /* The latest failure: "Timestamp (datetime): '26.11.2026 00:00:00'", for messages. */
    char last_failure[192];
} kq_builder_stats;

/* schema may be NULL for a table with no built-in schema. */
kq_table_builder *kq_table_builder_new(const char *table_name, const kq_schema *schema);
void kq_table_builder_free(kq_table_builder *builder);

/* Return values of kq_table_builder_column for a column past the table's limit and for one the filter skips. */
#define KQ_BUILDER_FULL (-1)
#define KQ_BUILDER_SKIPPED (-2)

/*
 * Returns the index of the named column, adding it when it is new. Returns
 * KQ_BUILDER_FULL past the column limit and KQ_BUILDER_SKIPPED for a column the
 * filter skips; setting a cell of either does nothing.
 */
int kq_table_builder_column(kq_table_builder *builder, const char *name, size_t len);

/*
 * Decides whether a column's cells are kept: false skips them, so a reader's
 * sets for that column do nothing. A skipped built-in column stays in the
 * schema with every cell null; a skipped column outside the schema is left
 * out. Loaders use it to keep only what the queries to run will read.
 */
typedef bool (*kq_column_filter)(void *user, const char *table, const char *column, size_t len);
/* Installs filter (NULL: keep every column); call before the first row. Calling again with the same filter costs nothing. */
void kq_table_builder_set_filter(kq_table_builder *builder, kq_column_filter filter, void *user);

/* Sets a cell of the current row. Setting a cell twice keeps the last value. */
void kq_table_builder_set_text(kq_table_builder *builder, int column, const char *text, size_t len);
void kq_table_builder_set_json(kq_table_builder *builder, int column, const json_t *value);
void kq_table_builder_set_value(kq_table_builder *builder, int column, kq_value value);
/* Sets a datetime cell that the reader already parsed (portal formats, time zones). */
void kq_table_builder_set_datetime(kq_table_builder *builder, int column, int64_t ticks);

/* Ends the current row; unset cells are null. */
void kq_table_builder_end_row(kq_table_builder *builder);
/* Drops the cells set so far in the current row (a record the reader skips). */
void kq_table_builder_discard_row(kq_table_builder *builder);

/*
 * Receives the rows staged so far as a table (the callee owns it). Types of
 * columns outside the built-in schema are then inferred from those rows
 * alone, so two flushes of one file can type such a column differently.
 */
typedef void (*kq_builder_flush)(void *user, kq_table *table);
/* Hands every `rows` rows to flush as they end, so a very large input need not be held whole. */
void kq_table_builder_set_flush(kq_table_builder *builder, uint64_t rows, kq_builder_flush flush, void *user);
/*
 * Hands whole batches to stream as rows arrive, once every kept column has a
 * declared type: the batches then hold the rows kq_table_builder_finish would
 * build, and staged cells do not pile up for the whole input. The rows of an
 * unfinished batch stay staged. Sealed parts (kq_table_builder_seal_part) go
 * to stream as tables of their own. Not used while a flush is set.
 */
void kq_table_builder_set_stream(kq_table_builder *builder, kq_builder_flush stream, void *user);
/*
 * Installs a sieve that every group of batches passes through before it is
 * streamed, on the thread that built it: it may drop rows (and batches) that
 * no query will read. Only streamed batches pass through it; the rows of
 * kq_table_builder_finish do not. NULL removes it.
 */
void kq_table_builder_set_sieve(kq_table_builder *builder, kq_builder_flush sieve, void *user);
/*
 * Creates an empty builder with the columns, types and column filter of
 * builder, so that a worker thread can stage rows that kq_table_builder_append_parts
 * later adds to it. Columns added to builder afterwards are not in the fork.
 */
kq_table_builder *kq_table_builder_fork(const kq_table_builder *builder);
/*
 * Appends the rows of parts (forks of builder with no columns added since),
 * in order, after builder's rows: their cells are copied on `threads` threads
 * (at least 1), and their statistics and staged strings move to builder.
 * Frees the parts.
 */
void kq_table_builder_append_parts(kq_table_builder *builder, kq_table_builder **parts, size_t count, int threads);
/*
 * Builds a part's staged rows into batches of its own on the calling thread,
 * when builder streams whole batches (kq_table_builder_set_stream with every
 * kept column declared). Returns false and changes nothing otherwise.
 * kq_table_builder_append_parts then streams builder's staged rows and the
 * parts' batches in order instead of copying cells. The rows stay the same,
 * but a batch ends where its part ends, and a part's batches get equal
 * shares of its rows.
 */
bool kq_table_builder_seal_part(kq_table_builder *part, const kq_table_builder *builder);

const kq_builder_stats *kq_table_builder_stats(const kq_table_builder *builder);
/* Sets the threads that kq_table_builder_finish fills batches on (0: one per online CPU, the default). */
void kq_table_builder_set_threads(kq_table_builder *builder, int threads);
/* Builds the table and resets the builder to empty. The batches are the same for any thread count. */
kq_table *kq_table_builder_finish(kq_table_builder *builder);

#endif
