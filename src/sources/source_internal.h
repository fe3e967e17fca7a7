/*
 * Interfaces shared by the readers in src/sources. Not part of the public API.
 *
 * A reader gets a kq_load_context for one file: the catalog to add rows to,
 * the file's report, the resolved time zone and, for TABLE=PATH arguments,
 * the table every row must go to.
 */
#ifndef KQ_SOURCES_SOURCE_INTERNAL_H
#define KQ_SOURCES_SOURCE_INTERNAL_H

#include "sources/source.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- time zones (timezone.c) ---- */

typedef enum kq_tz_kind { KQ_TZ_UTC, KQ_TZ_FIXED, KQ_TZ_NAMED } kq_tz_kind;

#define KQ_TZ_CACHE_SIZE 64

typedef struct kq_tz {
    kq_tz_kind kind;
    int64_t offset_ticks; /* KQ_TZ_FIXED: local = UTC + offset */
    char name[128];       /* KQ_TZ_NAMED: IANA name such as "Europe/Berlin" */
    /* KQ_TZ_NAMED: UTC offsets by 15-minute bucket of local time. */
    int64_t cache_bucket[KQ_TZ_CACHE_SIZE];
    int64_t cache_offset[KQ_TZ_CACHE_SIZE];
    bool cache_used[KQ_TZ_CACHE_SIZE];
} kq_tz;

/* Resolves a zone spec (NULL, "UTC", "+02:00", "Europe/Berlin"); returns false for an unknown zone. */
bool kq_tz_init(kq_tz *tz, const char *spec);
/* Converts a local wall-clock time (ticks read as if UTC) to UTC ticks. */
int64_t kq_tz_local_to_utc(kq_tz *tz, int64_t local_ticks);

/* Order of the numbers in a numeric date such as 10/11/2024. */
typedef enum kq_date_order { KQ_DATE_MONTH_FIRST, KQ_DATE_DAY_FIRST } kq_date_order;

/*
 * Parses a datetime as Defender and Log Analytics exports write it: ISO 8601,
 * "Oct 9, 2024 2:41:10 PM", "10/25/2023, 9:43:21.990 AM". A value without a
 * zone is local time in tz (NULL means UTC).
 */
bool kq_export_datetime_parse(const char *text, size_t len, kq_date_order order, kq_tz *tz,
                              int64_t *ticks);
/* Reads the first two numbers of a numeric date ("13/03/2024, ..."); false for other forms. */
bool kq_export_date_numbers(const char *text, size_t len, int *first, int *second);

/* ---- per-file context and report helpers (load.c) ---- */

typedef struct kq_load_context {
    bool in_folder;    /* found by a folder walk: an unreadable format is a skip, not an error */
    kq_catalog *catalog;
    const kq_load_options *options;
    kq_file_report *file;
    const char *path;         /* the file name, used for table names and messages */
    const char *forced_table; /* TABLE of a TABLE=PATH argument, or NULL */
    kq_tz tz;
} kq_load_context;

void kq_file_report_set_format(kq_file_report *file, const char *format);
/* Adds a table to the comma-separated list of tables the file fed (once per name). */
void kq_file_report_add_table(kq_file_report *file, const char *table);
/* Returns the builder for table (or for the forced table) and records the table in the report. */
kq_table_builder *kq_context_builder(kq_load_context *ctx, const char *table);
/* Ends a row that a reader loaded into builder, counting it in the report. */
void kq_context_row_loaded(kq_load_context *ctx, kq_table_builder *builder);

/* Table name for a file with no better name: basename without extension, non-identifier bytes as '_'. */
char *kq_table_name_from_path(const char *path);

/* ---- detection (detect.c) ---- */

typedef enum kq_format {
    KQ_FORMAT_EMPTY,
    KQ_FORMAT_JSON,
    KQ_FORMAT_CSV,
    KQ_FORMAT_EVTX,
    KQ_FORMAT_BINARY,
    KQ_FORMAT_TEXT, /* text that is neither JSON nor CSV */
} kq_format;

kq_format kq_detect_format(const char *path, const char *data, size_t len);
/* A built-in table whose name appears in the file's basename (the longest such name), or NULL. */
const kq_builtin_table *kq_detect_table_from_path(const char *path);
/* The built-in table whose schema matches the column names strongly enough, or NULL (rule in detect.c). */
const kq_builtin_table *kq_detect_table_from_columns(const char *const *names, const size_t *lens,
                                                     size_t count);
/* Chooses a table for rows of a file: Type value, file name, column match, then the file's own name. */
char *kq_detect_table_name(const kq_load_context *ctx, const char *type_value, size_t type_len,
                           const char *const *names, const size_t *lens, size_t count);

/* ---- readers ---- */

void kq_csv_load(kq_load_context *ctx, const char *data, size_t len);
/*
 * Loads a CSV file through a window: head[0..len) contains its first bytes in a
 * buffer of cap bytes that the reader takes over (and frees), and the rest is
 * read from rest as the records are loaded, so memory contains one window, not
 * the file. Returns false (errno set) when reading the file failed.
 */
bool kq_csv_load_file(kq_load_context *ctx, char *head, size_t len, size_t cap, FILE *rest);

/*
 * Size of the first read of a file, and of a CSV file's window:
 * KQ_CSV_WINDOW_BYTES, or KQLITE_CSV_WINDOW_BYTES when set, so that tests can
 * read small files through a window.
 */
size_t kq_csv_window_bytes(void);
void kq_json_load(kq_load_context *ctx, const char *data, size_t len);

/* Defender streaming API (defender_stream.c). */
bool kq_defender_stream_is_record(const json_t *object);
void kq_defender_stream_load(kq_load_context *ctx, const json_t *record, const char *location);

/* Windows events as JSON (winevent_json.c). */
bool kq_winevent_is_event(const json_t *object);
void kq_winevent_load(kq_load_context *ctx, const json_t *object, const char *location);

/* Sets every member of a JSON object as a cell of the current row. */
void kq_json_set_row(kq_table_builder *builder, const json_t *object);

/* ---- Windows event model and the Sysmon / Security mapping (winevent_map/) ---- */

typedef struct kq_winevent {
    const char *provider; /* "Microsoft-Windows-Sysmon"; "" when unknown */
    int64_t event_id;
    const char *computer; /* "" when unknown */
    int64_t record_id;
    bool has_record_id;
    int64_t time_created; /* UTC ticks */
    bool has_time_created;
    const json_t *data; /* object holding the event's data fields */
} kq_winevent;

/* Maps a mapped event to a Defender row; returns false when the event has no mapping. */
bool kq_winevent_map(kq_load_context *ctx, const kq_winevent *event);

#endif
