/* Helpers shared by the test_sources_*.c programs: load files, then read cells by table, column and row. */
#ifndef KQ_TEST_SOURCES_UTIL_H
#define KQ_TEST_SOURCES_UTIL_H

#include "sources/source.h"
#include "types/types.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURES KQLITE_SOURCE_DIR "/tests/fixtures/sources/"

typedef struct loaded {
    kq_catalog *catalog;
    kq_load_report report;
    int status; /* return value of the last kq_load_data_argument */
} loaded;

/* Loads each argument (NULL-terminated list) with an optional time zone and finishes the catalog. */
static inline loaded *load_arguments(const char *timezone, ...)
{
    loaded *l = calloc(1, sizeof *l);
    l->catalog = kq_catalog_new();
    kq_load_report_init(&l->report);
    kq_load_options options = {timezone};
    va_list args;
    va_start(args, timezone);
    for (const char *arg; (arg = va_arg(args, const char *)) != NULL;)
        l->status = kq_load_data_argument(l->catalog, arg, &options, &l->report);
    va_end(args);
    kq_catalog_finish(l->catalog);
    return l;
}

static inline void loaded_free(loaded *l)
{
    kq_catalog_free(l->catalog);
    kq_load_report_free(&l->report);
    free(l);
}

static inline kq_table *table_named(const loaded *l, const char *name)
{
    return kq_catalog_table(l->catalog, name, strlen(name));
}

static inline uint64_t table_rows(const loaded *l, const char *name)
{
    kq_table *table = table_named(l, name);
    return table ? table->nrows : 0;
}

/* Returns the cell at a table-wide row index; a null of type NONE when the table or column is missing. */
static inline kq_value cell(const loaded *l, const char *table_name, const char *column, uint64_t row)
{
    kq_value missing = {.type = KQ_TYPE_NONE, .null = true};
    kq_table *table = table_named(l, table_name);
    if (!table)
        return missing;
    int index = kq_schema_find(&table->schema, column, strlen(column));
    if (index < 0)
        return missing;
    for (size_t b = 0; b < table->nbatches; b++) {
        if (row < table->batches[b]->nrows)
            return kq_column_get(&table->batches[b]->cols[index], (uint32_t)row);
        row -= table->batches[b]->nrows;
    }
    return missing;
}

/* Returns a string cell as a NUL-terminated copy in a static buffer ("" for empty or missing). */
static inline const char *text_cell(const loaded *l, const char *table, const char *column, uint64_t row)
{
    static char buffer[4096];
    kq_value v = cell(l, table, column, row);
    if (v.type != KQ_STRING || v.null) {
        buffer[0] = '\0';
        return buffer;
    }
    size_t len = v.u.s.len < sizeof buffer - 1 ? v.u.s.len : sizeof buffer - 1;
    memcpy(buffer, v.u.s.ptr, len);
    buffer[len] = '\0';
    return buffer;
}

/* Formats a datetime cell as ISO 8601 ("null" when null). */
static inline const char *datetime_cell(const loaded *l, const char *table, const char *column, uint64_t row)
{
    static char buffer[32];
    kq_value v = cell(l, table, column, row);
    if (v.null || v.type != KQ_DATETIME)
        return "null";
    kq_datetime_format(v.u.l, buffer);
    return buffer;
}

static inline int64_t long_cell(const loaded *l, const char *table, const char *column, uint64_t row)
{
    kq_value v = cell(l, table, column, row);
    return v.null ? INT64_MIN : v.u.l;
}

static inline kq_type column_type(const loaded *l, const char *table_name, const char *column)
{
    kq_table *table = table_named(l, table_name);
    if (!table)
        return KQ_TYPE_NONE;
    int index = kq_schema_find(&table->schema, column, strlen(column));
    return index < 0 ? KQ_TYPE_NONE : table->schema.fields[index].type;
}

/* The report of the first file whose path ends with suffix, or NULL. */
static inline const kq_file_report *file_report(const loaded *l, const char *suffix)
{
    for (size_t i = 0; i < l->report.count; i++) {
        const char *path = l->report.files[i].path;
        size_t plen = strlen(path), slen = strlen(suffix);
        if (plen >= slen && strcmp(path + plen - slen, suffix) == 0)
            return &l->report.files[i];
    }
    return NULL;
}

/* The skip reason with this text in a file report, or NULL. */
static inline const kq_skip_reason *skip_reason(const kq_file_report *file, const char *reason)
{
    for (int i = 0; file && i < file->nreasons; i++)
        if (strcmp(file->reasons[i].reason, reason) == 0)
            return &file->reasons[i];
    return NULL;
}

#endif
