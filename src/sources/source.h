/*
 * Sources: read log files into catalog tables.
 *
 * A data argument is PATH (a file or a folder, walked recursively) or
 * TABLE=PATH (every file under PATH goes to TABLE). Each file's format and
 * table are detected from its content. Every record in a file is
 * accounted for: loaded into a table, or skipped with a counted reason.
 */
#ifndef KQ_SOURCES_SOURCE_H
#define KQ_SOURCES_SOURCE_H

#include "table/catalog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kq_load_options {
    /* Zone for datetimes written without one (portal CSV exports): NULL or "UTC",
     * an IANA name such as "Europe/Berlin", or a fixed offset "+02:00". */
    const char *timezone;
    /* Columns to keep (NULL: all); the queries about to run decide, see kq_column_use. */
    kq_column_filter column_filter;
    void *column_filter_user;
    /* Called with each regular file's path before it is read (NULL: read all). Returning a
     * message skips the file: the message becomes the report's `skipped` text, and the
     * loader frees it. kqlite ingest uses it to skip files a store already holds. */
    char *(*file_check)(void *user, const char *path);
    void *file_check_user;
    /* When set, every table builder hands over its rows each flush_rows rows (kq_table_builder_set_flush). */
    kq_builder_flush flush;
    void *flush_user;
    uint64_t flush_rows;
    /* Threads that parse CSV files; 0 means one per online CPU and 1 parses on the calling thread only. */
    int threads;
    /* When set, nothing is loaded: each file found is reported to probe with each table
     * it feeds, judged from its first records (a CSV file), or with NULL when only
     * reading it whole would tell (JSON, EVTX). Folder errors still go to the report. */
    void (*probe)(void *user, const char *table);
    void *probe_user;
} kq_load_options;

/* Distinct skip reasons kept per file (a Windows log can hold dozens of unmapped event ids);
 * further reasons are counted together as "other reasons". */
#define KQ_MAX_SKIP_REASONS 64

typedef struct kq_skip_reason {
    char *reason;     /* "malformed JSON line", "unmapped event: Microsoft-Windows-Sysmon EID 5", ... */
    uint64_t count;
    char *first_location; /* "line 17" or "record 3": where it first happened */
} kq_skip_reason;

typedef struct kq_file_report {
    char *path;
    char *format;   /* "defender-csv", "json-lines", "event-hub-json", "nxlog-json", ... (docs/input-formats.md) */
    char *tables;   /* comma-separated table names the file fed */
    uint64_t records_read;
    uint64_t records_loaded;
    uint64_t records_skipped;
    /* Cells of loaded records that became null because they did not convert to their column's type. */
    uint64_t conversion_failures; /* cells that did not convert to their column's type (now null) */
    char *first_conversion_failure; /* "line 7: Timestamp (datetime): '26.11.2026'" */
    kq_skip_reason reasons[KQ_MAX_SKIP_REASONS];
    int nreasons;
    char *error;    /* set when the file could not be read at all (I/O error, unknown format) */
    /* Set instead of error for a file found in a folder walk that is not a log file kqlite
     * reads (a README, a packet capture, an EVTX file): the file is skipped, the run goes on. */
    char *skipped;
} kq_file_report;

typedef struct kq_load_report {
    kq_file_report *files;
    size_t count, cap;
} kq_load_report;

void kq_load_report_init(kq_load_report *report);
void kq_load_report_free(kq_load_report *report);

/*
 * Loads one data argument into the catalog (call kq_catalog_finish after the
 * last one). Returns 0 when every file was read (skips allowed). Returns -1
 * when the argument is malformed, a path does not exist, a file could not be
 * read, options->timezone is unknown, or a file named directly (not found in a
 * folder) has a format kqlite does not read. The file reports name the path
 * and the error. Files of unknown format inside a folder get an error in
 * their report but do not change the return value.
 */
int kq_load_data_argument(kq_catalog *catalog, const char *argument,
                          const kq_load_options *options, kq_load_report *report);

/*
 * Loads one file's bytes as if they were read from a file named `name` (the
 * name picks the table when the content does not). Adds a file report. Used by
 * the fuzz targets and by callers that already hold the data. Returns 0, or -1
 * when the format is not recognized or options->timezone is unknown.
 */
int kq_load_buffer(kq_catalog *catalog, const char *name, const char *data, size_t len,
                   const kq_load_options *options, kq_load_report *report);

/* True when spec names a zone kq_load_options.timezone accepts (UTC, +02:00, Europe/Berlin). */
bool kq_timezone_valid(const char *spec);

/* Records a skipped record with its reason in a file report. */
void kq_file_report_skip(kq_file_report *file, const char *reason, const char *location);

#endif
