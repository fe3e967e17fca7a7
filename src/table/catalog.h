/*
 * Catalog: the tables of one session, by name.
 *
 * Readers add rows through kq_catalog_builder(); files that feed the same
 * table (several CSV exports of DeviceProcessEvents, say) share one builder.
 * kq_catalog_finish() turns every builder into a table. Lookups then return
 * the loaded table, or NULL when no file provided it. Finishing again after
 * more loads adds the new rows to the existing tables (after the earlier rows),
 * choosing column types again when the column sets differ.
 */
#ifndef KQ_TABLE_CATALOG_H
#define KQ_TABLE_CATALOG_H

#include "table/builder.h"
#include "table/table.h"

typedef struct kq_catalog kq_catalog;

kq_catalog *kq_catalog_new(void);
void kq_catalog_free(kq_catalog *catalog);
/* Drops every table and builder, keeping the settings (threads, sieve). */
void kq_catalog_clear(kq_catalog *catalog);

/* Returns the builder for a table, creating it (with the built-in schema, if any) on first use. */
kq_table_builder *kq_catalog_builder(kq_catalog *catalog, const char *table_name);
/* Sets the threads kq_catalog_finish builds tables on (0: one per online CPU, the default). */
void kq_catalog_set_threads(kq_catalog *catalog, int threads);
/* Sets the sieve every builder passes its streamed batches through (kq_table_builder_set_sieve). */
void kq_catalog_set_sieve(kq_catalog *catalog, kq_builder_flush sieve, void *user);
void kq_catalog_finish(kq_catalog *catalog);

/* Adds a finished table; the catalog takes ownership. Replaces a table of the same name. */
void kq_catalog_add_table(kq_catalog *catalog, kq_table *table);
kq_table *kq_catalog_table(const kq_catalog *catalog, const char *name, size_t len);
/*
 * Reads every batch of the named tables that is still on disk (an on-disk store),
 * for code that reads table batches directly instead of through a scan. Returns
 * false with a message in error when a batch cannot be read.
 */
bool kq_catalog_load_tables(const kq_catalog *catalog, const char *const *tables, size_t ntables, char *error,
                            size_t size);
size_t kq_catalog_count(const kq_catalog *catalog);
kq_table *kq_catalog_table_at(const kq_catalog *catalog, size_t index);

#endif
