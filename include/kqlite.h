/*
 * kqlite public C API: load telemetry, compile KQL, run it, read the rows.
 *
 * A kqlite_session owns its loaded tables. Queries compile against the
 * session's tables (or the built-in Defender schemas) into an immutable
 * kqlite_query that can run many times; each run returns a kqlite_result the
 * caller frees. Strings returned by the API stay valid until the object that
 * returned them is freed. Functions that can fail return NULL or -1 and write
 * a message the caller frees with kqlite_free.
 */
#ifndef KQLITE_H
#define KQLITE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kqlite_session kqlite_session;
typedef struct kqlite_query kqlite_query;
typedef struct kqlite_result kqlite_result;

kqlite_session *kqlite_open(void);
void kqlite_close(kqlite_session *session);
void kqlite_free(void *pointer);

/* Zone for datetimes written without one, as an IANA name or "+hh:mm"; NULL for UTC.
 * Applies to data loaded afterwards. */
void kqlite_set_timezone(kqlite_session *session, const char *timezone);

/*
 * Loads PATH (file or folder) or TABLE=PATH. Tables become visible to queries
 * compiled afterwards. Returns 0 when every file was read (counted skips
 * allowed), -1 when a path is missing or a file could not be read; *report
 * (may be NULL) receives the per-file account as text.
 */
int kqlite_load(kqlite_session *session, const char *data_argument, char **report);

/* Compiles query text; on failure returns NULL and *errors receives every
 * diagnostic as "name:line:col: error: message" with the source line and carets. */
kqlite_query *kqlite_compile(kqlite_session *session, const char *name, const char *text, char **errors);
void kqlite_query_free(kqlite_query *query);

/* Runs a compiled query with now() fixed to now_ticks (100 ns ticks since 0001-01-01 UTC);
 * kqlite_now_ticks() gives the current time in that unit. */
kqlite_result *kqlite_run(kqlite_session *session, const kqlite_query *query, int64_t now_ticks, char **error);
int64_t kqlite_now_ticks(void);
void kqlite_result_free(kqlite_result *result);

size_t kqlite_result_columns(const kqlite_result *result);
const char *kqlite_result_column_name(const kqlite_result *result, size_t column);
/* KQL type name of a column: "string", "long", "datetime", "dynamic", ... */
const char *kqlite_result_column_type(const kqlite_result *result, size_t column);
uint64_t kqlite_result_rows(const kqlite_result *result);
/* Text of one cell as Kusto prints it (ISO 8601 datetimes with 7 digits, JSON for dynamic,
 * empty for null). The returned string is the caller's to free with kqlite_free. */
char *kqlite_result_text(const kqlite_result *result, uint64_t row, size_t column);
/* One row as a JSON object; the caller frees it with kqlite_free. */
char *kqlite_result_row_json(const kqlite_result *result, uint64_t row);

#ifdef __cplusplus
}
#endif

#endif
