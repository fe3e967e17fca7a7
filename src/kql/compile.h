/* Compiling KQL text into a plan: parse, then bind names and types. */
#ifndef KQ_KQL_COMPILE_H
#define KQ_KQL_COMPILE_H

#include "base/diag.h"
#include "kql/plan.h"
#include "table/catalog.h"

/*
 * Compiles a query. Tables resolve to the catalog's loaded tables first
 * (their columns include extra columns found in the files), then to the
 * built-in schemas. catalog may be NULL (check-only compiles, as in
 * `kqlite rules`). Returns NULL after adding every error found to diags.
 */
kq_query *kq_compile(const kq_source *source, const kq_catalog *catalog, kq_diags *diags);
void kq_query_free(kq_query *query);

/* The columns of one table that compiled queries read. */
typedef struct kq_table_use {
    char *table;
    bool all;    /* a query reads whole rows: every column */
    bool extras; /* columns outside the built-in schema can reach a query's output */
    char **columns;
    size_t ncolumns, columns_cap;
} kq_table_use;

/* Column use of a set of queries (a rule pack), for loading only what they read. */
typedef struct kq_column_use {
    kq_table_use *tables;
    size_t ntables, cap;
} kq_column_use;

/* Adds the columns query reads to use. */
void kq_column_use_add(kq_column_use *use, const kq_query *query);
/*
 * Returns true when some query reads table.column, or reads the table whole,
 * or does not read the table. A query that reads Timestamp or TimeGenerated
 * wants both, because the file loaders fill each from the other.
 */
bool kq_column_use_wants(const kq_column_use *use, const char *table, const char *column, size_t len);
/*
 * The same for a store, which contains both columns as ingest filled them,
 * so a query that reads Timestamp does not want TimeGenerated. (One that reads
 * TimeGenerated still wants Timestamp, which scheduled runs cut windows by.)
 */
bool kq_column_use_wants_stored(const kq_column_use *use, const char *table, const char *column, size_t len);
void kq_column_use_free(kq_column_use *use);

/* Edit distance with case-insensitive matching, for "did you mean" hints. */
int kq_name_distance(const char *a, size_t alen, const char *b, size_t blen);

#endif
