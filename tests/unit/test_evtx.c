/*
 * EVTX parser on files built here byte by byte: a valid log with every
 * substitution value type, and crafted damage (checksums, lying sizes,
 * truncation, out-of-range offsets, runaway value counts). Each damaged file
 * must load what is still readable and report exactly what was skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sources/evtx/evtx.h"
#include "test_sources_util.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a small EVTX writer ---- */

typedef struct bytes {
    uint8_t *data;
    size_t len, cap;
} bytes;

static void put(bytes *b, const void *data, size_t len)
{
    kq_grow((void **)&b->data, &b->cap, b->len + len, 1);
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static void put8(bytes *b, uint8_t v)
{
    put(b, &v, 1);
}

static void put16(bytes *b, uint16_t v)
{
    uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(b, le, 2);
}

static void put32(bytes *b, uint32_t v)
{
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, le, 4);
}

static void put64(bytes *b, uint64_t v)
{
    put32(b, (uint32_t)v);
    put32(b, (uint32_t)(v >> 32));
}

static void set32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put_utf16(bytes *b, const char *ascii)
{
    for (const char *c = ascii; *c; c++)
        put16(b, (uint8_t)*c);
}

/* Writes an inline name; chunk_base is the chunk offset of b->data[0]. */
static void put_name(bytes *b, uint32_t chunk_base, const char *name)
{
    put32(b, chunk_base + (uint32_t)b->len + 4);
    put32(b, 0);
    put16(b, 0);
    put16(b, (uint16_t)strlen(name));
    put_utf16(b, name);
    put16(b, 0);
}

/* Opens an element; returns the position of its size field for close_element. */
static size_t open_element(bytes *b, uint32_t base, const char *name, bool attributes)
{
    put8(b, attributes ? 0x41 : 0x01);
    put16(b, 0xFFFF);
    size_t size_at = b->len;
    put32(b, 0);
    put_name(b, base, name);
    return size_at;
}

static void close_element(bytes *b, size_t size_at)
{
    put8(b, 0x04);
    set32(b->data + size_at, (uint32_t)(b->len - size_at - 4));
}

static void put_substitution(bytes *b, uint16_t index, uint8_t type)
{
    put8(b, 0x0e);
    put16(b, index);
    put8(b, type);
}

/* <NAME>{substitution index}</NAME> */
static void put_field(bytes *b, uint32_t base, const char *name, uint16_t index, uint8_t type)
{
    size_t at = open_element(b, base, name, false);
    put8(b, 0x02);
    put_substitution(b, index, type);
    close_element(b, at);
}

/* <Data Name="NAME">{substitution index}</Data> */
static void put_data(bytes *b, uint32_t base, const char *name, uint16_t index, uint8_t type)
{
    size_t at = open_element(b, base, "Data", true);
    size_t list_at = b->len;
    put32(b, 0);
    put8(b, 0x06);
    put_name(b, base, "Name");
    put8(b, 0x05);
    put8(b, 0x01);
    put16(b, (uint16_t)strlen(name));
    put_utf16(b, name);
    set32(b->data + list_at, (uint32_t)(b->len - list_at - 4));
    put8(b, 0x02);
    put_substitution(b, index, type);
    close_element(b, at);
}

enum { NVALUES = 17 };
/* Size of the Blob value, and how many extra times EventData substitutes it (the expansion test). */
static size_t blob_size = 3;
static int extra_blob_references = 0;
static const char *const data_names[] = {"Guid", "Sid", "LogonId", "FileTime", "SystemTime", "Blob",
                                          "List", "Flag", "Surrogate", "Small", "Real", "Image"};
static const uint8_t data_types[] = {0x0f, 0x13, 0x15, 0x11, 0x12, 0x0e, 0x81, 0x0d, 0x01, 0x03, 0x0c, 0x01};

/* The template body: an Event with System fields (substitutions 0-4) and EventData (5-16). */
static void put_template_body(bytes *b, uint32_t base)
{
    put32(b, 0x0001010f); /* fragment header token 0x0f, version 1.1, flags 0 */
    size_t event = open_element(b, base, "Event", false);
    put8(b, 0x02);
    size_t system = open_element(b, base, "System", false);
    put8(b, 0x02);
    size_t provider = open_element(b, base, "Provider", true);
    size_t list_at = b->len;
    put32(b, 0);
    put8(b, 0x06);
    put_name(b, base, "Name");
    put_substitution(b, 0, 0x01);
    set32(b->data + list_at, (uint32_t)(b->len - list_at - 4));
    put8(b, 0x03);
    set32(b->data + provider, (uint32_t)(b->len - provider - 4));
    put_field(b, base, "EventID", 1, 0x06);
    put_field(b, base, "Channel", 2, 0x01);
    put_field(b, base, "Computer", 3, 0x01);
    put_field(b, base, "EventRecordID", 4, 0x0a);
    close_element(b, system);
    size_t event_data = open_element(b, base, "EventData", false);
    put8(b, 0x02);
    for (uint16_t i = 0; i < NVALUES - 5; i++)
        put_data(b, base, data_names[i], (uint16_t)(5 + i), data_types[i]);
    for (int i = 0; i < extra_blob_references; i++)
        put_substitution(b, 10, 0x0e);
    close_element(b, event_data);
    close_element(b, event);
    put8(b, 0x00);
}

static void put_string_value(bytes *v, bytes *sizes, uint8_t type, const void *data, size_t len)
{
    put16(sizes, (uint16_t)len);
    put8(sizes, type);
    put8(sizes, 0);
    put(v, data, len);
}

static void put_utf16_value(bytes *v, bytes *sizes, const char *text)
{
    bytes s = {0};
    put_utf16(&s, text);
    put_string_value(v, sizes, 0x01, s.data, s.len);
    free(s.data);
}

/* The instance values of record number n (1-based). */
static void put_values(bytes *b, uint64_t n)
{
    bytes sizes = {0}, v = {0};
    put_utf16_value(&v, &sizes, "Microsoft-Windows-Sysmon");
    uint8_t eid[2] = {1, 0};
    put_string_value(&v, &sizes, 0x06, eid, 2);
    put_utf16_value(&v, &sizes, "Microsoft-Windows-Sysmon/Operational");
    put_utf16_value(&v, &sizes, "HOST1");
    uint8_t id[8] = {(uint8_t)n};
    put_string_value(&v, &sizes, 0x0a, id, 8);
    const uint8_t guid[16] = {0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4};
    put_string_value(&v, &sizes, 0x0f, guid, 16);
    const uint8_t sid[12] = {1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}; /* S-1-5-18 */
    put_string_value(&v, &sizes, 0x13, sid, 12);
    const uint8_t logon[8] = {0x87, 0xc8, 0x61, 0x01};
    put_string_value(&v, &sizes, 0x15, logon, 8);
    const uint8_t filetime[8] = {0x00, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0x9d, 0x01}; /* 1970-01-01T00:00:00Z */
    put_string_value(&v, &sizes, 0x11, filetime, 8);
    const uint8_t systemtime[16] = {0xe8, 0x07, 2, 0, 4, 0, 29, 0, 13, 0, 5, 0, 9, 0, 0x7b, 0};
    put_string_value(&v, &sizes, 0x12, systemtime, 16);
    uint8_t *blob = kq_xcalloc(1, blob_size);
    memcpy(blob, (const uint8_t[]){0xde, 0xad, 0x01}, blob_size < 3 ? blob_size : 3);
    put_string_value(&v, &sizes, 0x0e, blob, blob_size);
    free(blob);
    const uint8_t list[] = {'a', 0, 0, 0, 'b', 0, 0, 0, 'c', 0, 0, 0}; /* a string array: NUL after each */
    put_string_value(&v, &sizes, 0x81, list, sizeof list);
    const uint8_t flag[4] = {1};
    put_string_value(&v, &sizes, 0x0d, flag, 4);
    const uint8_t surrogate[6] = {'x', 0, 0x00, 0xd8, 'y', 0}; /* an unpaired high surrogate */
    put_string_value(&v, &sizes, 0x01, surrogate, 6);
    const uint8_t small[1] = {0xfb};
    put_string_value(&v, &sizes, 0x03, small, 1);
    const uint8_t real[8] = {0, 0, 0, 0, 0, 0, 0xf8, 0x3f}; /* 1.5 */
    put_string_value(&v, &sizes, 0x0c, real, 8);
    put_utf16_value(&v, &sizes, "C:\\Tools\\cmd.exe");
    put32(b, NVALUES);
    put(b, sizes.data, sizes.len);
    put(b, v.data, v.len);
    free(sizes.data);
    free(v.data);
}

/* Appends record n at chunk offset base + b->len; the first record carries the template definition. */
static void put_record(bytes *b, uint64_t n, uint32_t *template_offset)
{
    size_t start = b->len;
    put32(b, 0x00002a2a);
    put32(b, 0);
    put64(b, n);
    put64(b, UINT64_C(125911584000000000)); /* 2000-01-01 as FILETIME */
    put32(b, 0x0001010f);
    put8(b, 0x0c);
    put8(b, 0x01);
    put32(b, 1);
    uint32_t here = EVTX_CHUNK_HEADER_SIZE + (uint32_t)b->len + 4;
    if (*template_offset == 0) {
        *template_offset = here;
        put32(b, here);
        put32(b, 0);                  /* next definition */
        put(b, (uint8_t[16]){0}, 16); /* GUID */
        size_t size_at = b->len;
        put32(b, 0);
        put_template_body(b, EVTX_CHUNK_HEADER_SIZE);
        set32(b->data + size_at, (uint32_t)(b->len - size_at - 4));
    } else {
        put32(b, *template_offset);
    }
    put_values(b, n);
    put8(b, 0x00);
    uint32_t size = (uint32_t)(b->len - start + 4);
    put32(b, size);
    set32(b->data + start + 4, size);
}

/* Builds a one-chunk file with nrecords records and correct checksums. */
static bytes build_file(int nrecords)
{
    bytes records = {0};
    uint32_t template_offset = 0;
    for (int i = 1; i <= nrecords; i++)
        put_record(&records, (uint64_t)i, &template_offset);
    assert_true(records.len <= EVTX_CHUNK_SIZE - EVTX_CHUNK_HEADER_SIZE);

    bytes file = {0};
    kq_grow((void **)&file.data, &file.cap, EVTX_FILE_HEADER_SIZE + EVTX_CHUNK_SIZE, 1);
    memset(file.data, 0, EVTX_FILE_HEADER_SIZE + EVTX_CHUNK_SIZE);
    file.len = EVTX_FILE_HEADER_SIZE + EVTX_CHUNK_SIZE;
    uint8_t *h = file.data;
    memcpy(h, "ElfFile", 8);
    set32(h + 32, 128);
    h[36] = 1;
    h[38] = 3;
    h[40] = 0x00;
    h[41] = 0x10;
    h[42] = 1;
    set32(h + 124, evtx_crc32(0, h, 120));
    uint8_t *c = file.data + EVTX_FILE_HEADER_SIZE;
    memcpy(c, "ElfChnk", 8);
    set32(c + 40, 128);
    set32(c + 48, (uint32_t)(EVTX_CHUNK_HEADER_SIZE + records.len));
    memcpy(c + EVTX_CHUNK_HEADER_SIZE, records.data, records.len);
    set32(c + 52, evtx_crc32(0, c + EVTX_CHUNK_HEADER_SIZE, records.len));
    uint32_t crc = evtx_crc32(evtx_crc32(0, c, 120), c + 128, EVTX_CHUNK_HEADER_SIZE - 128);
    set32(c + 124, crc);
    free(records.data);
    return file;
}

/* Chunk offset of record n (1-based) in a file from build_file. */
static uint32_t record_offset(const bytes *file, int n)
{
    uint32_t offset = EVTX_CHUNK_HEADER_SIZE;
    const uint8_t *c = file->data + EVTX_FILE_HEADER_SIZE;
    for (int i = 1; i < n; i++)
        offset += evtx_le32(c + offset + 4);
    return offset;
}

static loaded *load_bytes(const bytes *file)
{
    loaded *l = kq_xcalloc(1, sizeof *l);
    l->catalog = kq_catalog_new();
    kq_load_report_init(&l->report);
    l->status = kq_load_buffer(l->catalog, "crafted.evtx", (const char *)file->data, file->len, NULL, &l->report);
    kq_catalog_finish(l->catalog);
    return l;
}

static const kq_file_report *only_file(loaded *l)
{
    assert_int_equal(l->report.count, 1);
    return &l->report.files[0];
}

/* Keeps the event data of the file's first record. */
static void keep_first_data(void *user, evtx_chunk_result *result)
{
    json_t **data = user;
    if (!*data && result->nevents)
        *data = evtx_event_data(&result->events[0]);
}

/* ---- tests ---- */

static void crc32_known_vector(void **state)
{
    (void)state;
    assert_int_equal(evtx_crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
}

static void valid_file_every_value_type(void **state)
{
    (void)state;
    bytes file = build_file(3);
    loaded *l = load_bytes(&file);
    const kq_file_report *report = only_file(l);
    assert_string_equal(report->format, "evtx");
    assert_int_equal(report->records_read, 3);
    assert_int_equal(report->records_loaded, 3);
    assert_int_equal(report->records_skipped, 0);
    assert_int_equal(report->nreasons, 0);
    assert_int_equal(table_rows(l, "WindowsEvent"), 3);
    assert_int_equal(table_rows(l, "DeviceProcessEvents"), 3);

    assert_string_equal(text_cell(l, "WindowsEvent", "Channel", 0), "Microsoft-Windows-Sysmon/Operational");
    assert_string_equal(text_cell(l, "WindowsEvent", "EventRecordId", 2), "3");
    assert_string_equal(datetime_cell(l, "WindowsEvent", "TimeGenerated", 0), "2000-01-01T00:00:00.0000000Z");
    json_t *data = NULL;
    char damage[160];
    assert_true(evtx_decode_file(file.data, file.len, NULL, keep_first_data, &data, damage, sizeof damage));
    assert_string_equal(damage, "");
    assert_non_null(data);
    assert_string_equal(json_string_value(json_object_get(data, "Guid")), "{12345678-1234-5678-9ABC-DEF001020304}");
    assert_string_equal(json_string_value(json_object_get(data, "Sid")), "S-1-5-18");
    assert_string_equal(json_string_value(json_object_get(data, "LogonId")), "0x161c887");
    assert_string_equal(json_string_value(json_object_get(data, "FileTime")), "1970-01-01T00:00:00.0000000Z");
    assert_string_equal(json_string_value(json_object_get(data, "SystemTime")), "2024-02-29T13:05:09.123Z");
    assert_string_equal(json_string_value(json_object_get(data, "Blob")), "DEAD01");
    assert_string_equal(json_string_value(json_object_get(data, "List")), "a, b, c");
    assert_string_equal(json_string_value(json_object_get(data, "Flag")), "true");
    assert_string_equal(json_string_value(json_object_get(data, "Surrogate")), "x\xEF\xBF\xBDy");
    assert_int_equal(json_integer_value(json_object_get(data, "Small")), -5);
    assert_string_equal(json_string_value(json_object_get(data, "Real")), "1.5");
    json_decref(data);

    assert_string_equal(text_cell(l, "DeviceProcessEvents", "FileName", 0), "cmd.exe");
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "DeviceName", 0), "host1");
    free(file.data);
    loaded_free(l);
}

static void header_checksum_mismatch_flagged(void **state)
{
    (void)state;
    bytes file = build_file(2);
    file.data[EVTX_FILE_HEADER_SIZE + 124] ^= 0xFF;
    loaded *l = load_bytes(&file);
    const kq_file_report *report = only_file(l);
    assert_int_equal(report->records_loaded, 2);
    assert_int_equal(report->records_skipped, 0);
    const kq_skip_reason *reason = skip_reason(report, "damaged chunk 0 (header checksum mismatch)");
    assert_non_null(reason);
    assert_string_equal(reason->first_location, "chunk 0 (file offset 4096)");
    free(file.data);
    loaded_free(l);
}

static void records_checksum_mismatch_flagged(void **state)
{
    (void)state;
    bytes file = build_file(2);
    file.data[EVTX_FILE_HEADER_SIZE + 52] ^= 0x01;
    loaded *l = load_bytes(&file);
    const kq_file_report *report = only_file(l);
    assert_int_equal(report->records_loaded, 2);
    assert_non_null(skip_reason(report, "damaged chunk 0 (event records checksum mismatch)"));
    free(file.data);
    loaded_free(l);
}

static void file_header_damage_reported(void **state)
{
    (void)state;
    bytes file = build_file(1);
    file.data[100] ^= 0x01;
    loaded *l = load_bytes(&file);
    const kq_file_report *report = only_file(l);
    assert_int_equal(report->records_loaded, 1);
    assert_non_null(skip_reason(report, "damaged file header (checksum mismatch)"));
    free(file.data);
    loaded_free(l);
}

static void lying_record_size_recovers_next(void **state)
{
    (void)state;
    bytes file = build_file(3);
    uint32_t second = record_offset(&file, 2);
    set32(file.data + EVTX_FILE_HEADER_SIZE + second + 4, 0x7FFFFFF0);
    loaded *l = load_bytes(&file);
    const kq_file_report *report = only_file(l);
    assert_int_equal(report->records_read, 3);
    assert_int_equal(report->records_loaded, 2);
    assert_int_equal(report->records_skipped, 1);
    assert_non_null(skip_reason(report, "damaged record header"));
    assert_int_equal(table_rows(l, "WindowsEvent"), 2);
    free(file.data);
    loaded_free(l);
}

static void truncated_file_keeps_whole_records(void **state)
{
    (void)state;
    bytes file = build_file(3);
    file.len = EVTX_FILE_HEADER_SIZE + record_offset(&file, 3) + 40;
    loaded *l = load_bytes(&file);
    const kq_file_report *report = only_file(l);
    assert_int_equal(report->records_loaded, 2);
    assert_int_equal(report->records_skipped, 1);
    bool found = false;
    for (int i = 0; i < report->nreasons; i++)
        found = found || strncmp(report->reasons[i].reason, "file ends inside chunk 0", 24) == 0;
    assert_true(found);
    free(file.data);
    loaded_free(l);
}

static void missing_chunks_reported(void **state)
{
    (void)state;
    /* The header lists 4 chunks but the file contains 1: the reason names the loss, with no record count. */
    bytes file = build_file(3);
    file.data[42] = 4;
    file.data[43] = 0;
    set32(file.data + 124, evtx_crc32(0, file.data, 120));
    loaded *l = load_bytes(&file);
    const kq_file_report *report = only_file(l);
    assert_int_equal(report->records_loaded, 3);
    assert_int_equal(report->records_skipped, 0);
    assert_non_null(skip_reason(report, "file ends after 1 of the 4 chunks its header lists: the records of the "
                                        "other 3 chunks are lost and cannot be counted"));
    free(file.data);
    loaded_free(l);
}

/* Overwrites the 4-byte field at a record-relative position of record n. */
static void patch_record(bytes *file, int n, size_t position, uint32_t value)
{
    set32(file->data + EVTX_FILE_HEADER_SIZE + record_offset(file, n) + position, value);
}

static void damaged_template_reference_skipped(void **state)
{
    (void)state;
    bytes file = build_file(3);
    /* Record 2 refers to the template by offset (record header 24 + fragment header 4 + token 1 + 1 + id 4). */
    patch_record(&file, 2, 34, EVTX_CHUNK_SIZE - 4);
    loaded *l = load_bytes(&file);
    const kq_file_report *report = only_file(l);
    assert_int_equal(report->records_loaded, 2);
    assert_int_equal(report->records_skipped, 1);
    const kq_skip_reason *reason = skip_reason(report, "damaged record");
    assert_non_null(reason);
    assert_non_null(strstr(reason->first_location, "template definition offset"));
    free(file.data);
    loaded_free(l);
}

static void huge_value_count_skipped(void **state)
{
    (void)state;
    bytes file = build_file(3);
    /* The value count follows the template offset in record 2 (24 + 4 + 1 + 1 + 4 + 4). */
    patch_record(&file, 2, 38, 0xFFFFFFFF);
    loaded *l = load_bytes(&file);
    const kq_file_report *report = only_file(l);
    assert_int_equal(report->records_loaded, 2);
    assert_int_equal(report->records_skipped, 1);
    const kq_skip_reason *reason = skip_reason(report, "damaged record");
    assert_non_null(reason);
    assert_non_null(strstr(reason->first_location, "values"));
    free(file.data);
    loaded_free(l);
}

static void self_referencing_template_stops(void **state)
{
    (void)state;
    bytes file = build_file(2);
    /* Point record 2's template reference at its own template instance token: the
     * "definition" body then starts with that same instance, which recurses. */
    uint32_t second = record_offset(&file, 2);
    patch_record(&file, 2, 34, second + 24 + 4 - 20);
    loaded *l = load_bytes(&file);
    const kq_file_report *report = only_file(l);
    assert_int_equal(report->records_read, 2);
    assert_int_equal(report->records_loaded + report->records_skipped, 2);
    assert_int_equal(report->records_skipped, 1);
    free(file.data);
    loaded_free(l);
}

static void garbage_chunk_flagged(void **state)
{
    (void)state;
    bytes file = build_file(1);
    kq_grow((void **)&file.data, &file.cap, file.len + EVTX_CHUNK_SIZE, 1);
    memset(file.data + file.len, 0x5A, EVTX_CHUNK_SIZE);
    file.len += EVTX_CHUNK_SIZE;
    loaded *l = load_bytes(&file);
    const kq_file_report *report = only_file(l);
    assert_int_equal(report->records_loaded, 1);
    assert_non_null(skip_reason(report, "damaged chunk 1 (no chunk signature)"));
    free(file.data);
    loaded_free(l);
}

static void expanding_record_stops(void **state)
{
    (void)state;
    /* 300 references to a 30000-byte binary value render 18 MB of hex from a 31 KB record. */
    blob_size = 30000;
    extra_blob_references = 300;
    bytes file = build_file(1);
    blob_size = 3;
    extra_blob_references = 0;
    loaded *l = load_bytes(&file);
    const kq_file_report *report = only_file(l);
    assert_int_equal(report->records_read, 1);
    assert_int_equal(report->records_skipped, 1);
    const kq_skip_reason *reason = skip_reason(report, "damaged record");
    assert_non_null(reason);
    assert_non_null(strstr(reason->first_location, "record expands to more than"));
    free(file.data);
    loaded_free(l);
}

static void forced_table_one_row_each(void **state)
{
    (void)state;
    bytes file = build_file(3);
    char path[] = "/tmp/kqlite_test_evtx_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, file.data, file.len), (ssize_t)file.len);
    close(fd);
    char argument[64];
    snprintf(argument, sizeof argument, "Mine=%s", path);
    loaded *l = load_arguments(NULL, argument, NULL);
    unlink(path);
    assert_int_equal(l->status, 0);
    assert_int_equal(table_rows(l, "Mine"), 3);
    assert_int_equal(table_rows(l, "WindowsEvent"), 0);
    assert_int_equal(table_rows(l, "DeviceProcessEvents"), 0);
    assert_string_equal(text_cell(l, "Mine", "Computer", 0), "HOST1");
    free(file.data);
    loaded_free(l);
}

static void parallel_matches_serial(void **state)
{
    (void)state;
    /* Eight copies of the chunk: the rows must come out in chunk order on any thread count. */
    bytes one = build_file(3);
    bytes file = {0};
    put(&file, one.data, EVTX_FILE_HEADER_SIZE);
    for (int i = 0; i < 8; i++)
        put(&file, one.data + EVTX_FILE_HEADER_SIZE, EVTX_CHUNK_SIZE);
    loaded *l = load_bytes(&file);
    const kq_file_report *report = only_file(l);
    assert_int_equal(report->records_loaded, 24);
    assert_int_equal(report->records_skipped, 0);
    for (int i = 0; i < 24; i++) {
        char expected[8];
        snprintf(expected, sizeof expected, "%d", i % 3 + 1);
        assert_string_equal(text_cell(l, "WindowsEvent", "EventRecordId", (uint64_t)i), expected);
    }
    free(one.data);
    free(file.data);
    loaded_free(l);
}

static void write_file(const char *folder, const char *name, const void *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(data, 1, len, file), len);
    fclose(file);
}

static void folder_evtx_files_share_one_job(void **state)
{
    (void)state;
    /* EVTX files around a CSV file: decoded together, reported and added in name order. */
    char folder[] = "/tmp/kqlite_test_evtx_folder_XXXXXX";
    assert_non_null(mkdtemp(folder));
    bytes three = build_file(3), two = build_file(2), one = build_file(1);
    one.data[124] ^= 0xFF; /* file header checksum */
    write_file(folder, "a.evtx", three.data, three.len);
    write_file(folder, "b.csv", "x,y\n1,2\n", 8);
    write_file(folder, "c.evtx", two.data, two.len);
    write_file(folder, "d.evtx", one.data, one.len);
    write_file(folder, "e.evtx", three.data, 100);
    loaded *l = load_arguments(NULL, folder, NULL);
    assert_int_equal(l->status, 0);
    assert_int_equal(l->report.count, 5);
    static const uint64_t loaded_rows[] = {3, 1, 2, 1, 0};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(l->report.files[i].records_loaded, loaded_rows[i]);
    assert_string_equal(l->report.files[1].format, "csv");
    assert_non_null(skip_reason(&l->report.files[3], "damaged file header (checksum mismatch)"));
    assert_non_null(skip_reason(&l->report.files[4], "file header truncated (100 of 4096 bytes)"));
    static const char *const record_ids[] = {"1", "2", "3", "1", "2", "1"};
    assert_int_equal(table_rows(l, "WindowsEvent"), 6);
    for (uint64_t r = 0; r < 6; r++)
        assert_string_equal(text_cell(l, "WindowsEvent", "EventRecordId", r), record_ids[r]);
    static const char *const names[] = {"a.evtx", "b.csv", "c.evtx", "d.evtx", "e.evtx"};
    for (size_t i = 0; i < 5; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", folder, names[i]);
        unlink(path);
    }
    rmdir(folder);
    free(three.data);
    free(two.data);
    free(one.data);
    loaded_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32_known_vector),
        cmocka_unit_test(valid_file_every_value_type),
        cmocka_unit_test(header_checksum_mismatch_flagged),
        cmocka_unit_test(records_checksum_mismatch_flagged),
        cmocka_unit_test(file_header_damage_reported),
        cmocka_unit_test(lying_record_size_recovers_next),
        cmocka_unit_test(truncated_file_keeps_whole_records),
        cmocka_unit_test(damaged_template_reference_skipped),
        cmocka_unit_test(huge_value_count_skipped),
        cmocka_unit_test(self_referencing_template_stops),
        cmocka_unit_test(garbage_chunk_flagged),
        cmocka_unit_test(expanding_record_stops),
        cmocka_unit_test(forced_table_one_row_each),
        cmocka_unit_test(parallel_matches_serial),
        cmocka_unit_test(folder_evtx_files_share_one_job),
        cmocka_unit_test(missing_chunks_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
