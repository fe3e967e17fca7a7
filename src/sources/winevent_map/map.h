/*
 * Windows events to Defender XDR tables: the shared row writer and the
 * mappers. Each map_*.c file contains one family of events, and map_common.c
 * contains the field helpers and the table that picks a mapper by provider and event
 * id. docs/field-mapping.md lists every column and its source.
 */
#ifndef KQ_SOURCES_WINEVENT_MAP_H
#define KQ_SOURCES_WINEVENT_MAP_H

#include "sources/source_internal.h"

#define SYSMON_PROVIDER "Microsoft-Windows-Sysmon"
#define SECURITY_PROVIDER "Microsoft-Windows-Security-Auditing"

typedef struct row_writer {
    kq_load_context *ctx;
    kq_table_builder *builder;
    const kq_winevent *ev;
    char scratch[32]; /* text of a numeric field */
} row_writer;

/* ---- reading the event's data fields ---- */

/* A data field as text (numbers formatted); NULL when absent or null. */
const char *map_field_text(row_writer *w, const char *name, size_t *len);
/* A data field as a number, decimal or 0x-prefixed hex (LogonId 0x3e7). */
bool map_field_long(row_writer *w, const char *name, int64_t *out);

/* ---- writing columns ---- */

void map_put_text(row_writer *w, const char *column, const char *text, size_t len);
void map_put_cstr(row_writer *w, const char *column, const char *text);
void map_put_long(row_writer *w, const char *column, int64_t value);
void map_put_datetime(row_writer *w, const char *column, int64_t ticks);

/* Copies a field unchanged; "-" and missing fields leave the column null. */
void map_copy_text(row_writer *w, const char *column, const char *field);
void map_copy_long(row_writer *w, const char *column, const char *field);
/* Sysmon writes "-" (older versions "?") for version-info fields it could not read. */
void map_copy_version_info(row_writer *w, const char *column, const char *field);
/* A Windows path to FolderPath (the full path) and FileName (its last part). */
void map_copy_path(row_writer *w, const char *folder_column, const char *file_column, const char *field);
/* A Windows path to FolderPath (the folder only, as DeviceEvents writes it) and FileName. */
void map_copy_path_split(row_writer *w, const char *folder_column, const char *file_column, const char *field);
/* "DOMAIN\user" to the domain and name columns; a name without '\' has no domain. */
void map_copy_user(row_writer *w, const char *domain_column, const char *name_column, const char *field);
/* "SHA1=..,MD5=..,SHA256=.." to prefix+SHA1/MD5/SHA256 columns, lower case. */
void map_copy_hashes(row_writer *w, const char *prefix, const char *field);
/* An IP address in its standard text form and its Defender address type. */
void map_put_ip(row_writer *w, const char *column, const char *type_column, const char *text, size_t len);

/* The process that acted: InitiatingProcessFolderPath/FileName, InitiatingProcessId and account. */
void map_initiating_process(row_writer *w, const char *image, const char *process_id, const char *user);

/* Security events: the Subject account to the InitiatingProcessAccount Sid, Name and Domain columns. */
void map_initiating_subject(row_writer *w);

/* DeviceName, DeviceId, ReportId and Timestamp. */
void map_put_common(row_writer *w, int64_t timestamp, bool has_timestamp);
/* Sysmon's UtcTime, else TimeCreated; writes the common columns and returns the time. */
bool map_sysmon_common(row_writer *w, int64_t *ticks);

/* AdditionalFields: a JSON object built member by member, written as compact text. */
typedef struct map_fields {
    json_t *object;
} map_fields;
void map_fields_text(map_fields *f, const char *key, const char *text, size_t len);
void map_fields_copy(row_writer *w, map_fields *f, const char *key, const char *field);
void map_fields_long(map_fields *f, const char *key, int64_t value);
/* Writes the object to AdditionalFields (when it has members) and frees it. */
void map_fields_put(row_writer *w, map_fields *f);

/* ---- mappers, one per event family ---- */

void map_sysmon_process_created(row_writer *w);    /* Sysmon 1 */
void map_sysmon_process_terminated(row_writer *w); /* Sysmon 5 */
void map_security_process_created(row_writer *w);  /* Security 4688 */
void map_sysmon_network(row_writer *w);            /* Sysmon 3 */
void map_sysmon_dns(row_writer *w);                /* Sysmon 22 */
void map_sysmon_file_created(row_writer *w);       /* Sysmon 11 */
void map_sysmon_file_stream(row_writer *w);        /* Sysmon 15 */
void map_sysmon_file_deleted(row_writer *w);       /* Sysmon 23, 26 */
void map_sysmon_registry(row_writer *w);           /* Sysmon 12, 13, 14 */
void map_sysmon_image_loaded(row_writer *w);       /* Sysmon 7 */
void map_sysmon_driver_loaded(row_writer *w);      /* Sysmon 6 */
void map_sysmon_remote_thread(row_writer *w);      /* Sysmon 8 */
void map_sysmon_process_access(row_writer *w);     /* Sysmon 10 */
void map_sysmon_pipe(row_writer *w);               /* Sysmon 17, 18 */
void map_security_logon(row_writer *w);            /* Security 4624, 4625 */

#endif
