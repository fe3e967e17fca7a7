/* CSV input: Defender portal and Log Analytics exports, table detection, bad input, folder walks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_sources_util.h"
#include "base/buf.h"
#include "base/util.h"
#include "output/output.h"
#include "table/catalog.h"

#include <sys/stat.h>
#include <unistd.h>

static void portal_export_loads_typed_rows(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "ctf_style_DeviceProcessEvents.csv", NULL);
    assert_int_equal(l->status, 0);
    const kq_file_report *file = file_report(l, "ctf_style_DeviceProcessEvents.csv");
    assert_non_null(file);
    assert_string_equal(file->format, "defender-csv");
    assert_string_equal(file->tables, "DeviceProcessEvents");
    assert_int_equal(file->records_read, 3);
    assert_int_equal(file->records_loaded, 3);
    assert_int_equal(file->records_skipped, 0);
    assert_int_equal(file->conversion_failures, 1);
    assert_int_equal(table_rows(l, "DeviceProcessEvents"), 3);

    /* The BOM is not part of the first column name, so Timestamp is found and typed. */
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "Timestamp", 0), "2024-10-09T14:41:10.0000000Z");
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "Timestamp", 1), "2024-10-09T00:05:00.0000000Z");
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "Timestamp", 2), "2024-10-10T12:30:59.0000000Z");
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "TimeGenerated", 0), "2024-10-09T14:41:10.0000000Z");
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "ProcessCreationTime", 0),
                        "2024-10-09T14:41:09.0000000Z");
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "InitiatingProcessParentCreationTime", 0), "null");
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "ProcessCreationTime", 1), "null");

    assert_string_equal(text_cell(l, "DeviceProcessEvents", "ProcessCommandLine", 0),
                        "\"C:\\Users\\alice\\Downloads\\AA_v3.exe\" -connect 10.0.0.5");
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "ProcessCommandLine", 1), "cmd.exe /c \"echo one,\ntwo\"");
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "ProcessCommandLine", 2),
                        "powershell -c \"Write-Host \"\"hi\"\"\"");
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "AdditionalFields", 0),
                        "{\"ProcessStartKey\":1234,\"Note\":\"x, y\"}");
    assert_int_equal(column_type(l, "DeviceProcessEvents", "AdditionalFields"), KQ_STRING);

    assert_int_equal(long_cell(l, "DeviceProcessEvents", "ProcessId", 0), 4242);
    assert_true(cell(l, "DeviceProcessEvents", "ProcessId", 2).null);
    assert_int_equal(long_cell(l, "DeviceProcessEvents", "ReportId", 2), 317);
    /* ProcessUniqueId is newer than the built-in schema: an extra column, inferred long. */
    assert_int_equal(column_type(l, "DeviceProcessEvents", "ProcessUniqueId"), KQ_LONG);
    assert_int_equal(long_cell(l, "DeviceProcessEvents", "ProcessUniqueId", 1), 2251799813686002LL);
    /* Built-in columns the file lacks are present and empty. */
    assert_int_equal(column_type(l, "DeviceProcessEvents", "SHA1"), KQ_STRING);
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "SHA1", 0), "");
    loaded_free(l);
}

static void portal_export_counts_conversion_failures(void **state)
{
    kq_catalog *catalog = kq_catalog_new();
    kq_load_report report;
    kq_load_report_init(&report);
    assert_int_equal(kq_load_data_argument(catalog, FIXTURES "ctf_style_DeviceProcessEvents.csv", NULL, &report), 0);
    const kq_builder_stats *stats = kq_table_builder_stats(kq_catalog_builder(catalog, "DeviceProcessEvents"));
    assert_int_equal(stats->rows, 3);
    /* ProcessId "abc" is the only cell that does not convert; "Invalid date" and empty cells are null, not failures. */
    assert_int_equal(stats->conversion_failures, 1);
    kq_catalog_free(catalog);
    kq_load_report_free(&report);
}

static void timezone_option_shifts_portal_times(void **state)
{
    loaded *l = load_arguments("Europe/Berlin", FIXTURES "ctf_style_DeviceProcessEvents.csv", NULL);
    /* October 2024 in Berlin is CEST, UTC+2. */
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "Timestamp", 0), "2024-10-09T12:41:10.0000000Z");
    loaded_free(l);

    l = load_arguments("+05:30", FIXTURES "ctf_style_DeviceProcessEvents.csv", NULL);
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "Timestamp", 0), "2024-10-09T09:11:10.0000000Z");
    loaded_free(l);

    l = load_arguments("America/New_York", FIXTURES "ctf_style_DeviceProcessEvents.csv", NULL);
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "Timestamp", 0), "2024-10-09T18:41:10.0000000Z");
    loaded_free(l);
}

static void unknown_timezone_is_error(void **state)
{
    loaded *l = load_arguments("Mars/Olympus_Mons", FIXTURES "ctf_style_DeviceProcessEvents.csv", NULL);
    assert_int_equal(l->status, -1);
    assert_int_equal(l->report.count, 1);
    assert_non_null(l->report.files[0].error);
    assert_non_null(strstr(l->report.files[0].error, "Mars/Olympus_Mons"));
    loaded_free(l);

    l = load_arguments("../../etc/passwd", FIXTURES "ctf_style_DeviceProcessEvents.csv", NULL);
    assert_int_equal(l->status, -1);
    loaded_free(l);
}

static void log_analytics_suffixes_and_zones(void **state)
{
    loaded *l = load_arguments("Europe/Berlin", FIXTURES "log_analytics_export.csv", NULL);
    const kq_file_report *file = file_report(l, "log_analytics_export.csv");
    assert_string_equal(file->format, "log-analytics-csv");
    /* The Type column names the table even though the file name does not. */
    assert_string_equal(file->tables, "DeviceProcessEvents");
    assert_int_equal(file->records_loaded, 2);
    assert_int_equal(column_type(l, "DeviceProcessEvents", "Timestamp"), KQ_DATETIME);
    assert_true(kq_schema_find(&table_named(l, "DeviceProcessEvents")->schema, "Timestamp [Local Time]", 22) < 0);
    /* [UTC] values ignore the zone option; [Local Time] values use it (CEST, UTC+2). */
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "TimeGenerated", 0), "2023-10-25T13:43:22.1230000Z");
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "ProcessCreationTime", 0),
                        "2023-10-25T13:43:21.5000000Z");
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "Timestamp", 0), "2023-10-25T07:43:21.9900000Z");
    /* An empty Timestamp is filled from TimeGenerated. */
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "Timestamp", 1), "2023-10-25T13:50:00.0000000Z");
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "MachineGroup", 1), "Linux servers");
    loaded_free(l);
}

static void day_first_dates_decided_per_file(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "dayfirst_DeviceLogonEvents.csv", NULL);
    assert_int_equal(table_rows(l, "DeviceLogonEvents"), 2);
    /* 13/03/2024 makes the whole file day-first, so the earlier 03/04/2024 is 3 April. */
    assert_string_equal(datetime_cell(l, "DeviceLogonEvents", "Timestamp", 0), "2024-04-03T09:15:00.0000000Z");
    assert_string_equal(datetime_cell(l, "DeviceLogonEvents", "Timestamp", 1), "2024-03-13T15:40:13.9880000Z");
    loaded_free(l);
}

static void bad_rows_skipped_with_lines(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "bad_quoting.csv", NULL);
    assert_int_equal(l->status, 0);
    const kq_file_report *file = file_report(l, "bad_quoting.csv");
    assert_int_equal(file->records_read, 5);
    assert_int_equal(file->records_loaded, 2);
    assert_int_equal(file->records_skipped, 3);
    const kq_skip_reason *more = skip_reason(file, "more fields than the header");
    const kq_skip_reason *fewer = skip_reason(file, "fewer fields than the header");
    /* The quote opened on line 6 swallows lines 6 and 7, and the reason gives that count. */
    const kq_skip_reason *quote = skip_reason(file, "unterminated quoted field: the rest of the file (2 lines) is not loaded");
    assert_non_null(more);
    assert_non_null(fewer);
    assert_non_null(quote);
    assert_string_equal(more->first_location, "line 3");
    assert_string_equal(fewer->first_location, "line 4");
    assert_string_equal(quote->first_location, "line 6");
    assert_string_equal(text_cell(l, "bad_quoting", "Host", 1), "delta");
    loaded_free(l);
}

static void generic_csv_infers_types(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "asset-inventory.csv", NULL);
    /* No Defender table matches, so the table is named after the file. */
    assert_int_equal(table_rows(l, "asset_inventory"), 3);
    assert_string_equal(file_report(l, "asset-inventory.csv")->format, "csv");
    assert_int_equal(column_type(l, "asset_inventory", "Host"), KQ_STRING);
    assert_int_equal(column_type(l, "asset_inventory", "CpuCount"), KQ_LONG);
    assert_int_equal(column_type(l, "asset_inventory", "LoadAverage"), KQ_REAL);
    assert_int_equal(column_type(l, "asset_inventory", "IsServer"), KQ_BOOL);
    assert_int_equal(column_type(l, "asset_inventory", "LastSeen"), KQ_DATETIME);
    assert_int_equal(column_type(l, "asset_inventory", "Tags"), KQ_DYNAMIC);
    assert_int_equal(column_type(l, "asset_inventory", "Notes"), KQ_STRING);
    /* A table with only one of Timestamp/TimeGenerated gets the other; this one has neither. */
    assert_int_equal(column_type(l, "asset_inventory", "TimeGenerated"), KQ_TYPE_NONE);
    assert_true(cell(l, "asset_inventory", "IsServer", 2).u.b);
    assert_true(cell(l, "asset_inventory", "LastSeen", 2).null);
    assert_string_equal(text_cell(l, "asset_inventory", "Notes", 2), "3");
    loaded_free(l);
}

static void forced_table_argument(void **state)
{
    loaded *l = load_arguments(NULL, "Assets=" FIXTURES "asset-inventory.csv", NULL);
    assert_int_equal(l->status, 0);
    assert_int_equal(table_rows(l, "Assets"), 3);
    assert_null(table_named(l, "asset_inventory"));
    loaded_free(l);

    l = load_arguments(NULL, "=" FIXTURES "asset-inventory.csv", NULL);
    assert_int_equal(l->status, -1);
    assert_non_null(l->report.files[0].error);
    loaded_free(l);
}

static void missing_path_is_error(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "no-such-file.csv", NULL);
    assert_int_equal(l->status, -1);
    assert_int_equal(l->report.count, 1);
    assert_non_null(l->report.files[0].error);
    assert_non_null(strstr(l->report.files[0].error, "no-such-file.csv"));
    loaded_free(l);
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(data, 1, len, file), len);
    fclose(file);
}

static void folder_with_junk_files(void **state)
{
    char dir[] = "/tmp/kqlite-sources-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/__MACOSX", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    /* An AppleDouble resource fork: binary, with a .json name. */
    static const char fork[] = "\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02\x00\x00\x00\x09";
    snprintf(path, sizeof path, "%s/__MACOSX/._events.json", dir);
    write_file(path, fork, sizeof fork - 1);
    snprintf(path, sizeof path, "%s/events.csv", dir);
    write_file(path, "A,B\n1,x\n", 8);
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    write_file(path, "just a note\n", 12);
    snprintf(path, sizeof path, "%s/empty.json", dir);
    write_file(path, "", 0);

    loaded *l = load_arguments(NULL, dir, NULL);
    assert_int_equal(l->status, 0);
    assert_int_equal(l->report.count, 4);
    /* Found in a folder, files kqlite cannot read are skipped, not errors. */
    const kq_file_report *fork_report = file_report(l, "._events.json");
    assert_null(fork_report->error);
    assert_non_null(fork_report->skipped);
    assert_string_equal(fork_report->format, "unknown");
    assert_null(file_report(l, "notes.txt")->error);
    assert_non_null(file_report(l, "notes.txt")->skipped);
    assert_null(file_report(l, "empty.json")->error);
    assert_int_equal(table_rows(l, "events"), 1);
    loaded_free(l);

    /* Named directly, a file of unknown format is an error. */
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    l = load_arguments(NULL, path, NULL);
    assert_int_equal(l->status, -1);
    loaded_free(l);

    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

static void megabyte_field_loads(void **state)
{
    size_t field = 1024 * 1024;
    size_t len = 0;
    char *data = malloc(field + 64);
    len += (size_t)sprintf(data, "Id,Blob\n1,\"");
    memset(data + len, 'a', field);
    len += field;
    len += (size_t)sprintf(data + len, "\"\n2,b\n");
    kq_catalog *catalog = kq_catalog_new();
    kq_load_report report;
    kq_load_report_init(&report);
    assert_int_equal(kq_load_buffer(catalog, "big.csv", data, len, NULL, &report), 0);
    kq_catalog_finish(catalog);
    kq_table *table = kq_catalog_table(catalog, "big", 3);
    assert_non_null(table);
    assert_int_equal(table->nrows, 2);
    int blob = kq_schema_find(&table->schema, "Blob", 4);
    assert_int_equal(kq_column_get(&table->batches[0]->cols[blob], 0).u.s.len, field);
    free(data);
    kq_catalog_free(catalog);
    kq_load_report_free(&report);
}

static void many_rows_span_batches(void **state)
{
    size_t rows = KQ_BATCH_ROWS * 2 + 17;
    char *data = malloc(rows * 64 + 64);
    size_t len = (size_t)sprintf(data, "Timestamp,DeviceName,ReportId\r\n");
    for (size_t i = 0; i < rows; i++)
        len += (size_t)sprintf(data + len, "2024-01-01T00:00:%02zuZ,host%zu,%zu\r\n", i % 60, i % 7, i);
    kq_catalog *catalog = kq_catalog_new();
    kq_load_report report;
    kq_load_report_init(&report);
    assert_int_equal(kq_load_buffer(catalog, "DeviceEvents.csv", data, len, NULL, &report), 0);
    kq_catalog_finish(catalog);
    kq_table *table = kq_catalog_table(catalog, "DeviceEvents", 12);
    assert_non_null(table);
    assert_int_equal(table->nrows, rows);
    assert_int_equal(table->nbatches, 3);
    assert_int_equal(table->batches[2]->nrows, 17);
    int report_id = kq_schema_find(&table->schema, "ReportId", 8);
    assert_int_equal(kq_column_get(&table->batches[2]->cols[report_id], 16).u.l, (int64_t)rows - 1);
    free(data);
    kq_catalog_free(catalog);
    kq_load_report_free(&report);
}

static void second_load_merges_columns(void **state)
{
    loaded *l = calloc(1, sizeof *l);
    l->catalog = kq_catalog_new();
    kq_load_report_init(&l->report);
    /* Finishing after each argument, as a session does, must keep earlier rows. */
    static const char *const files[] = {FIXTURES "ctf_style_DeviceProcessEvents.csv",
                                        FIXTURES "hunting_api_DeviceProcessEvents.json",
                                        FIXTURES "ctf_style_DeviceProcessEvents.csv"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(kq_load_data_argument(l->catalog, files[i], NULL, &l->report), 0);
        kq_catalog_finish(l->catalog);
    }
    assert_int_equal(table_rows(l, "DeviceProcessEvents"), 8);
    assert_int_equal(column_type(l, "DeviceProcessEvents", "ProcessUniqueId"), KQ_LONG);
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "DeviceName", 3), "ws-01");
    assert_true(cell(l, "DeviceProcessEvents", "ProcessUniqueId", 3).null);
    assert_int_equal(long_cell(l, "DeviceProcessEvents", "ProcessUniqueId", 2), 2251799813686003LL);
    assert_int_equal(long_cell(l, "DeviceProcessEvents", "ProcessUniqueId", 5), 2251799813686001LL);
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "Timestamp", 4), "2020-02-05T01:12:00.0000000Z");
    loaded_free(l);
}

/* Builds a CSV of about 20 MiB whose records cross the 16 MiB read window at every kind of
 * boundary: inside quoted fields, between the quotes of an escaped "", and between CR and LF. */
static char *window_csv(size_t *len)
{
    kq_buf text;
    kq_buf_init(&text);
    kq_buf_puts(&text, "id,note,tail\r\n");
    for (int i = 0; text.len < 20u * 1024 * 1024; i++) {
        /* Record lengths vary with i, so record ends fall on many offsets of the window. */
        kq_buf_printf(&text, "%d,\"line one\nsaid \"\"%*d\"\" x\",t%d\r\n", i, i % 97, i, i % 13);
    }
    *len = text.len;
    return text.data;
}

static void window_reading_matches_whole(void **state)
{
    (void)state;
    size_t len;
    char *csv = window_csv(&len);
    char path[] = "/tmp/kqlite_test_window_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, csv, len), (ssize_t)len);
    close(fd);
    char argument[64];
    snprintf(argument, sizeof argument, "Notes=%s", path);
    loaded *windowed = load_arguments(NULL, argument, NULL);
    unlink(path);

    loaded *whole = calloc(1, sizeof *whole);
    whole->catalog = kq_catalog_new();
    kq_load_report_init(&whole->report);
    kq_load_options options = {NULL};
    whole->status = kq_load_buffer(whole->catalog, "Notes.csv", csv, len, &options, &whole->report);
    kq_catalog_finish(whole->catalog);

    assert_int_equal(windowed->status, 0);
    uint64_t rows = table_rows(whole, "Notes");
    assert_true(rows > 100000);
    assert_int_equal(table_rows(windowed, "Notes"), rows);
    assert_int_equal(windowed->report.files[0].records_skipped, 0);
    for (uint64_t r = 0; r < rows; r += 997) {
        assert_string_equal(text_cell(windowed, "Notes", "note", r), text_cell(whole, "Notes", "note", r));
        assert_string_equal(text_cell(windowed, "Notes", "tail", r), text_cell(whole, "Notes", "tail", r));
    }
    /* The last record, read after the final refill. */
    assert_string_equal(text_cell(windowed, "Notes", "tail", rows - 1), text_cell(whole, "Notes", "tail", rows - 1));
    free(csv);
    loaded_free(windowed);
    loaded_free(whole);
}

static void export_found_by_columns(void **state)
{
    (void)state;
    /* A current portal export has 53 of its 59 columns in the schema (ProcessUniqueId and
     * five more are newer): under any file name it is still DeviceProcessEvents. */
    size_t len;
    char *csv = kq_read_file(KQLITE_SOURCE_DIR "/examples/defender-export/DeviceProcessEvents.csv", &len);
    assert_non_null(csv);
    char path[] = "/tmp/kqlite_test_export_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, csv, len), (ssize_t)len);
    close(fd);
    loaded *l = load_arguments(NULL, path, NULL);
    unlink(path);
    assert_int_equal(l->status, 0);
    assert_true(table_rows(l, "DeviceProcessEvents") > 0);
    assert_string_equal(l->report.files[0].format, "defender-csv");
    free(csv);
    loaded_free(l);
}

/* ---- the 64-byte field splitter against the byte-at-a-time reader ---- */

static uint64_t random_state = 0x9e3779b97f4a7c15u;

static uint32_t next_random(uint32_t below)
{
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return (uint32_t)(random_state % below);
}

static const char *const line_ends[] = {"\n", "\r\n", "\r"};

/* Appends a field: plain, or quoted with commas, line breaks and doubled quotes inside. */
static void random_field(kq_buf *out)
{
    static const char plain[] = "ab1 ;x-";
    static const char quoted[] = "ab,\n\r ";
    size_t n = next_random(12);
    if (next_random(3) == 0) {
        kq_buf_append(out, "\"", 1);
        for (size_t i = 0; i < n; i++) {
            if (next_random(6) == 0)
                kq_buf_append(out, "\"\"", 2);
            else
                kq_buf_append(out, &quoted[next_random(sizeof quoted - 1)], 1);
        }
        kq_buf_append(out, "\"", 1);
        return;
    }
    for (size_t i = 0; i < n; i++)
        kq_buf_append(out, &plain[next_random(sizeof plain - 1)], 1);
}

/* A header and records of one to four fields, some of them longer than 64 bytes, then a few damaged bytes. */
static void random_csv(kq_buf *out)
{
    kq_buf_clear(out);
    kq_buf_printf(out, "a,b,c%s", line_ends[next_random(3)]);
    int records = (int)next_random(40);
    for (int r = 0; r < records; r++) {
        int fields = next_random(8) == 0 ? 1 + (int)next_random(4) : 3;
        for (int f = 0; f < fields; f++) {
            if (f)
                kq_buf_append(out, ",", 1);
            int pieces = next_random(10) == 0 ? 8 : 1;
            for (int i = 0; i < pieces; i++)
                random_field(out);
        }
        if (r + 1 < records || next_random(2))
            kq_buf_printf(out, "%s", line_ends[next_random(3)]);
    }
    static const char damage[] = "\",\n\ra";
    int changes = next_random(3) == 0 ? 1 + (int)next_random(3) : 0;
    for (int i = 0; i < changes && out->len > 8; i++)
        out->data[8 + next_random((uint32_t)(out->len - 8))] = damage[next_random(sizeof damage - 1)];
}

/* Writes the file reports (without paths) and every cell of every table. */
static void describe_load(const kq_catalog *catalog, const kq_load_report *report, kq_buf *out)
{
    kq_buf_clear(out);
    for (size_t i = 0; i < report->count; i++) {
        const kq_file_report *file = &report->files[i];
        kq_buf_printf(out, "read %llu loaded %llu skipped %llu failures %llu\n",
                      (unsigned long long)file->records_read, (unsigned long long)file->records_loaded,
                      (unsigned long long)file->records_skipped, (unsigned long long)file->conversion_failures);
        for (int k = 0; k < file->nreasons; k++)
            kq_buf_printf(out, "  %s: %llu, first at %s\n", file->reasons[k].reason,
                          (unsigned long long)file->reasons[k].count, file->reasons[k].first_location);
    }
    for (size_t t = 0; t < kq_catalog_count(catalog); t++) {
        kq_table *table = kq_catalog_table_at(catalog, t);
        for (size_t b = 0; b < table->nbatches; b++)
            for (uint32_t r = 0; r < table->batches[b]->nrows; r++) {
                for (uint32_t c = 0; c < table->batches[b]->ncols; c++) {
                    kq_value v = kq_column_get(&table->batches[b]->cols[c], r);
                    kq_buf_printf(out, "%d:", (int)v.type);
                    kq_value_text(out, &v);
                    kq_buf_append(out, "|", 1);
                }
                kq_buf_append(out, "\n", 1);
            }
    }
}

/* Loads csv from memory, or from a file through a small window on two threads, and describes the result. */
static void load_and_describe(const kq_buf *csv, bool bytewise, bool from_file, kq_buf *out)
{
    setenv("KQLITE_CSV_BYTEWISE", bytewise ? "1" : "0", 1);
    kq_catalog *catalog = kq_catalog_new();
    kq_load_report report;
    kq_load_report_init(&report);
    kq_load_options options = {NULL};
    if (from_file) {
        char path[] = "/tmp/kqlite_test_split_XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, csv->data, csv->len), (ssize_t)csv->len);
        close(fd);
        char argument[64];
        snprintf(argument, sizeof argument, "Notes=%s", path);
        options.threads = 2;
        setenv("KQLITE_CSV_WINDOW_BYTES", "64", 1);
        setenv("KQLITE_CSV_CHUNK_BYTES", "50", 1);
        kq_load_data_argument(catalog, argument, &options, &report);
        unsetenv("KQLITE_CSV_WINDOW_BYTES");
        unsetenv("KQLITE_CSV_CHUNK_BYTES");
        unlink(path);
    } else {
        kq_load_buffer(catalog, "Notes.csv", csv->data, csv->len, &options, &report);
    }
    kq_catalog_finish(catalog);
    describe_load(catalog, &report, out);
    kq_catalog_free(catalog);
    kq_load_report_free(&report);
    unsetenv("KQLITE_CSV_BYTEWISE");
}

static void fast_splitter_matches_bytewise(void **state)
{
    (void)state;
    kq_buf csv, fast, slow;
    kq_buf_init(&csv);
    kq_buf_init(&fast);
    kq_buf_init(&slow);
    for (int i = 0; i < 3000; i++) {
        random_csv(&csv);
        load_and_describe(&csv, true, false, &slow);
        load_and_describe(&csv, false, i % 5 == 0, &fast);
        if (fast.len != slow.len || memcmp(fast.data, slow.data, fast.len) != 0) {
            print_message("input %d differs:\n%.*s\nfast:\n%.*s\nbytewise:\n%.*s\n", i, (int)csv.len, csv.data,
                          (int)fast.len, fast.data, (int)slow.len, slow.data);
            fail();
        }
    }
    kq_buf_free(&csv);
    kq_buf_free(&fast);
    kq_buf_free(&slow);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(portal_export_loads_typed_rows),
        cmocka_unit_test(portal_export_counts_conversion_failures),
        cmocka_unit_test(timezone_option_shifts_portal_times),
        cmocka_unit_test(unknown_timezone_is_error),
        cmocka_unit_test(log_analytics_suffixes_and_zones),
        cmocka_unit_test(day_first_dates_decided_per_file),
        cmocka_unit_test(bad_rows_skipped_with_lines),
        cmocka_unit_test(generic_csv_infers_types),
        cmocka_unit_test(forced_table_argument),
        cmocka_unit_test(missing_path_is_error),
        cmocka_unit_test(folder_with_junk_files),
        cmocka_unit_test(megabyte_field_loads),
        cmocka_unit_test(many_rows_span_batches),
        cmocka_unit_test(second_load_merges_columns),
        cmocka_unit_test(window_reading_matches_whole),
        cmocka_unit_test(export_found_by_columns),
        cmocka_unit_test(fast_splitter_matches_bytewise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
