/* Catalog: table builders and finished tables of one session, by name. */
#include "table/catalog.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct catalog_entry {
    char *name;
    kq_table_builder *builder; /* NULL until a reader asks for it */
    kq_table *table;           /* NULL until finished or added */
} catalog_entry;

struct kq_catalog {
    catalog_entry *entries;
    size_t count, cap;
    int threads; /* for kq_table_builder_set_threads; 0 = one per online CPU */
    kq_builder_flush sieve; /* for kq_table_builder_set_sieve; NULL = none */
    void *sieve_user;
};

kq_catalog *kq_catalog_new(void)
{
    return kq_xcalloc(1, sizeof(kq_catalog));
}

void kq_catalog_clear(kq_catalog *catalog)
{
    for (size_t i = 0; i < catalog->count; i++) {
        kq_table_builder_free(catalog->entries[i].builder);
        kq_table_free(catalog->entries[i].table);
        free(catalog->entries[i].name);
    }
    catalog->count = 0;
}

void kq_catalog_free(kq_catalog *catalog)
{
    if (!catalog)
        return;
    kq_catalog_clear(catalog);
    free(catalog->entries);
    free(catalog);
}

static catalog_entry *find_entry(const kq_catalog *catalog, const char *name, size_t len)
{
    for (size_t i = 0; i < catalog->count; i++)
        if (strlen(catalog->entries[i].name) == len && memcmp(catalog->entries[i].name, name, len) == 0)
            return &catalog->entries[i];
    return NULL;
}

static catalog_entry *add_entry(kq_catalog *catalog, const char *name)
{
    kq_grow((void **)&catalog->entries, &catalog->cap, catalog->count + 1, sizeof(catalog_entry));
    catalog_entry *entry = &catalog->entries[catalog->count++];
    memset(entry, 0, sizeof *entry);
    entry->name = kq_xstrdup(name);
    return entry;
}

static void absorb_table(catalog_entry *entry, kq_table *built);

/* Takes the whole batches a builder streams while loading; user is the catalog. */
static void absorb_streamed(void *user, kq_table *table)
{
    kq_catalog *catalog = user;
    absorb_table(find_entry(catalog, table->name, strlen(table->name)), table);
}

kq_table_builder *kq_catalog_builder(kq_catalog *catalog, const char *table_name)
{
    catalog_entry *entry = find_entry(catalog, table_name, strlen(table_name));
    if (!entry)
        entry = add_entry(catalog, table_name);
    if (!entry->builder) {
        const kq_builtin_table *builtin = kq_builtin_table_find(table_name, strlen(table_name));
        kq_schema schema = {0, NULL};
        if (builtin) {
            schema.count = builtin->count;
            schema.fields = (kq_field *)builtin->fields;
        }
        entry->builder = kq_table_builder_new(table_name, builtin ? &schema : NULL);
        kq_table_builder_set_stream(entry->builder, absorb_streamed, catalog);
    }
    kq_table_builder_set_threads(entry->builder, catalog->threads);
    kq_table_builder_set_sieve(entry->builder, catalog->sieve, catalog->sieve_user);
    return entry->builder;
}

/* Appends every row of table to builder, matching columns by name. */
static void replay_rows(kq_table_builder *builder, const kq_table *table)
{
    int *columns = kq_xcalloc(table->schema.count + 1, sizeof(int));
    for (uint32_t c = 0; c < table->schema.count; c++) {
        const char *name = table->schema.fields[c].name;
        columns[c] = kq_table_builder_column(builder, name, strlen(name));
    }
    for (size_t b = 0; b < table->nbatches; b++) {
        const kq_batch *batch = table->batches[b];
        for (uint32_t r = 0; r < batch->nrows; r++) {
            for (uint32_t c = 0; c < batch->ncols; c++) {
                kq_value v = kq_column_get(&batch->cols[c], r);
                if (!v.null)
                    kq_table_builder_set_value(builder, columns[c], v);
            }
            kq_table_builder_end_row(builder);
        }
    }
    free(columns);
}

/*
 * Merges two tables of one name whose column sets differ: the rows of `old`,
 * then those of `added`, go through a fresh builder so that column types are
 * chosen again from all values. Frees both inputs.
 */
static kq_table *merge_tables(kq_table *old, kq_table *added)
{
    const kq_builtin_table *builtin = kq_builtin_table_find(old->name, strlen(old->name));
    kq_schema schema = {0, NULL};
    if (builtin) {
        schema.count = builtin->count;
        schema.fields = (kq_field *)builtin->fields;
    }
    kq_table_builder *builder = kq_table_builder_new(old->name, builtin ? &schema : NULL);
    replay_rows(builder, old);
    replay_rows(builder, added);
    kq_table *merged = kq_table_builder_finish(builder);
    kq_table_builder_free(builder);
    kq_table_free(old);
    kq_table_free(added);
    return merged;
}

void kq_catalog_set_threads(kq_catalog *catalog, int threads)
{
    catalog->threads = threads;
}

void kq_catalog_set_sieve(kq_catalog *catalog, kq_builder_flush sieve, void *user)
{
    catalog->sieve = sieve;
    catalog->sieve_user = user;
}

/* Adds the rows of a built table to the entry's table: batches streamed while loading, or a finished load. */
static void absorb_table(catalog_entry *entry, kq_table *built)
{
    if (entry->table && built->nrows == 0) {
        kq_table_free(built);
    } else if (entry->table && kq_schema_same(&entry->table->schema, &built->schema)) {
        /* Batches streamed before, or a second round of loads into the same table: move the new batches over. */
        for (size_t b = 0; b < built->nbatches; b++)
            kq_table_append(entry->table, built->batches[b]);
        built->nbatches = 0;
        kq_table_free(built);
    } else if (entry->table) {
        entry->table = merge_tables(entry->table, built);
    } else {
        entry->table = built;
    }
}

void kq_catalog_finish(kq_catalog *catalog)
{
    for (size_t i = 0; i < catalog->count; i++) {
        catalog_entry *entry = &catalog->entries[i];
        if (!entry->builder)
            continue;
        kq_table_builder_set_threads(entry->builder, catalog->threads);
        absorb_table(entry, kq_table_builder_finish(entry->builder));
    }
}

void kq_catalog_add_table(kq_catalog *catalog, kq_table *table)
{
    catalog_entry *entry = find_entry(catalog, table->name, strlen(table->name));
    if (!entry)
        entry = add_entry(catalog, table->name);
    kq_table_free(entry->table);
    entry->table = table;
}

kq_table *kq_catalog_table(const kq_catalog *catalog, const char *name, size_t len)
{
    catalog_entry *entry = find_entry(catalog, name, len);
    return entry ? entry->table : NULL;
}

size_t kq_catalog_count(const kq_catalog *catalog)
{
    size_t n = 0;
    for (size_t i = 0; i < catalog->count; i++)
        n += catalog->entries[i].table != NULL;
    return n;
}

kq_table *kq_catalog_table_at(const kq_catalog *catalog, size_t index)
{
    for (size_t i = 0; i < catalog->count; i++) {
        if (!catalog->entries[i].table)
            continue;
        if (index-- == 0)
            return catalog->entries[i].table;
    }
    return NULL;
}

bool kq_catalog_load_tables(const kq_catalog *catalog, const char *const *tables, size_t ntables, char *error,
                            size_t size)
{
    for (size_t i = 0; i < ntables; i++) {
        kq_table *table = kq_catalog_table(catalog, tables[i], strlen(tables[i]));
        for (size_t b = 0; table && b < table->nbatches; b++)
            if (!kq_batch_load(table->batches[b], error, size))
                return false;
    }
    return true;
}
