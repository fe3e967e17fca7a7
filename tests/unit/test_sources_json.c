/* JSON input: streaming-API records, hunting API results, arrays, JSON lines and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_sources_util.h"

static void event_hub_message_splits_tables(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "eventhub_message.json", NULL);
    assert_int_equal(l->status, 0);
    const kq_file_report *file = file_report(l, "eventhub_message.json");
    assert_string_equal(file->format, "event-hub-json");
    assert_string_equal(file->tables, "DeviceProcessEvents,DeviceNetworkEvents");
    assert_int_equal(file->records_read, 2);
    assert_int_equal(file->records_loaded, 2);
    assert_int_equal(table_rows(l, "DeviceProcessEvents"), 1);
    assert_int_equal(table_rows(l, "DeviceNetworkEvents"), 1);

    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "Timestamp", 0), "2024-10-09T14:41:10.6265786Z");
    assert_int_equal(long_cell(l, "DeviceProcessEvents", "ReportId", 0), 4294967396LL);
    assert_int_equal(long_cell(l, "DeviceProcessEvents", "LogonId", 0), 1443318);
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "ProcessVersionInfoCompanyName", 0), "Ammyy LLC");
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "AdditionalFields", 0),
                        "{\"ProcessStartKey\":844424930131969}");
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "MachineGroup", 0), "UnassignedGroup");
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "TenantId", 0), "00000000-0000-0000-0000-000000000000");
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "AccountUpn", 0), "");

    /* A nested AdditionalFields object is kept as its JSON text in the string column. */
    assert_string_equal(text_cell(l, "DeviceNetworkEvents", "AdditionalFields", 0), "{\"direction\":\"Out\"}");
    assert_int_equal(long_cell(l, "DeviceNetworkEvents", "RemotePort", 0), 443);
    assert_string_equal(text_cell(l, "DeviceNetworkEvents", "RemoteIP", 0), "2a02:cf40::");
    assert_string_equal(datetime_cell(l, "DeviceNetworkEvents", "Timestamp", 0), "2024-10-09T14:42:00.3225710Z");
    loaded_free(l);
}

static void storage_blob_lines_with_crlf(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "storage_blob_PT1H.json", NULL);
    const kq_file_report *file = file_report(l, "storage_blob_PT1H.json");
    assert_string_equal(file->format, "defender-stream-lines");
    assert_int_equal(file->records_read, 2);
    assert_int_equal(file->records_loaded, 2);
    assert_int_equal(file->records_skipped, 0);
    assert_string_equal(text_cell(l, "DeviceNetworkEvents", "RemoteUrl", 0), "rl.ammyy.com");
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "FileName", 0), "AA_v3.exe");
    loaded_free(l);
}

static void hunting_api_results_both_casings(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "hunting_api_DeviceProcessEvents.json",
                               FIXTURES "graph_hunting_results.json", NULL);
    const kq_file_report *api = file_report(l, "hunting_api_DeviceProcessEvents.json");
    assert_string_equal(api->format, "hunting-api-json");
    assert_int_equal(api->records_loaded, 2);
    assert_string_equal(datetime_cell(l, "DeviceProcessEvents", "Timestamp", 0), "2020-02-05T01:10:26.2648757Z");
    assert_string_equal(text_cell(l, "DeviceProcessEvents", "DeviceName", 1), "ws-02");

    const kq_file_report *graph = file_report(l, "graph_hunting_results.json");
    assert_string_equal(graph->format, "hunting-api-json");
    assert_int_equal(graph->records_loaded, 1);
    /* Three columns are too few for a schema match, so the table is named after the file. */
    assert_int_equal(table_rows(l, "graph_hunting_results"), 1);
    assert_int_equal(column_type(l, "graph_hunting_results", "Timestamp"), KQ_DATETIME);
    assert_string_equal(datetime_cell(l, "graph_hunting_results", "TimeGenerated", 0),
                        "2024-06-01T08:00:00.0000000Z");
    loaded_free(l);
}

static void json_array_of_rows(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "export_DeviceNetworkEvents.json", NULL);
    const kq_file_report *file = file_report(l, "export_DeviceNetworkEvents.json");
    assert_string_equal(file->format, "json-array");
    assert_string_equal(file->tables, "DeviceNetworkEvents");
    assert_int_equal(file->records_loaded, 2);
    /* RemotePort is int in the schema: a JSON number and a numeric string both convert. */
    assert_int_equal(long_cell(l, "DeviceNetworkEvents", "RemotePort", 0), 5931);
    assert_int_equal(long_cell(l, "DeviceNetworkEvents", "RemotePort", 1), 443);
    assert_int_equal(column_type(l, "DeviceNetworkEvents", "Extra"), KQ_DYNAMIC);
    loaded_free(l);
}

static void json_lines_skip_bad_lines(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "vpn_sessions.jsonl", NULL);
    const kq_file_report *file = file_report(l, "vpn_sessions.jsonl");
    assert_string_equal(file->format, "json-lines");
    assert_int_equal(file->records_read, 4);
    assert_int_equal(file->records_loaded, 2);
    assert_int_equal(file->records_skipped, 2);
    assert_string_equal(skip_reason(file, "malformed JSON line")->first_location, "line 2");
    assert_string_equal(skip_reason(file, "JSON value is not an object")->first_location, "line 4");
    assert_int_equal(column_type(l, "vpn_sessions", "Bytes"), KQ_LONG);
    assert_int_equal(column_type(l, "vpn_sessions", "Ratio"), KQ_REAL);
    assert_int_equal(column_type(l, "vpn_sessions", "Active"), KQ_BOOL);
    assert_int_equal(column_type(l, "vpn_sessions", "Start"), KQ_DATETIME);
    assert_int_equal(column_type(l, "vpn_sessions", "Meta"), KQ_DYNAMIC);
    assert_string_equal(datetime_cell(l, "vpn_sessions", "Start", 1), "2024-03-01T10:00:00.1234567Z");
    assert_true(cell(l, "vpn_sessions", "Meta", 1).null);
    loaded_free(l);
}

static loaded *load_text(const char *name, const char *text)
{
    loaded *l = calloc(1, sizeof *l);
    l->catalog = kq_catalog_new();
    kq_load_report_init(&l->report);
    l->status = kq_load_buffer(l->catalog, name, text, strlen(text), NULL, &l->report);
    kq_catalog_finish(l->catalog);
    return l;
}

static void malformed_documents_are_counted(void **state)
{
    loaded *l = load_text("broken.json", "[{\"a\":1},\n{\"a\":");
    assert_int_equal(l->status, 0);
    assert_int_equal(l->report.files[0].records_read, 1);
    assert_int_equal(l->report.files[0].records_skipped, 1);
    assert_non_null(skip_reason(&l->report.files[0], "malformed JSON document"));
    loaded_free(l);

    /* Concatenated objects: the broken one is skipped, the reader resumes at the next '{' line. */
    l = load_text("concat.json", "{\n  \"a\": 1\n}\n{\n  \"a\": \n}\n{\n  \"a\": 3\n}\n");
    assert_int_equal(l->report.files[0].records_read, 3);
    assert_int_equal(l->report.files[0].records_loaded, 2);
    assert_string_equal(skip_reason(&l->report.files[0], "malformed JSON value")->first_location, "line 4");
    assert_int_equal(table_rows(l, "concat"), 2);
    loaded_free(l);

    l = load_text("deep.json", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
    assert_int_equal(l->report.files[0].records_skipped, 1);
    loaded_free(l);
}

static void event_hub_messages_one_per_line(void **state)
{
    loaded *l = load_text("capture.jsonl",
                          "{\"records\":[{\"category\":\"AdvancedHunting-DeviceInfo\",\"properties\":"
                          "{\"Timestamp\":\"2024-01-01T00:00:00Z\",\"DeviceName\":\"a\"}}]}\r\n"
                          "{\"records\":[]}\r\n"
                          "{\"records\":[{\"category\":\"AdvancedHunting-DeviceInfo\",\"properties\":"
                          "{\"DeviceName\":\"b\"}},{\"category\":\"Other\"}]}\r\n");
    const kq_file_report *file = &l->report.files[0];
    assert_string_equal(file->format, "event-hub-json");
    assert_int_equal(file->records_read, 3);
    assert_int_equal(file->records_loaded, 3);
    assert_int_equal(table_rows(l, "DeviceInfo"), 2);
    /* A record without streaming members is a plain row of the file's own table. */
    assert_int_equal(table_rows(l, "capture"), 1);
    assert_string_equal(text_cell(l, "DeviceInfo", "DeviceName", 1), "b");
    assert_string_equal(datetime_cell(l, "DeviceInfo", "Timestamp", 1), "null");
    loaded_free(l);
}

static void nul_bytes_are_binary(void **state)
{
    static const char data[] = "{\"a\":1}\n\0\0\0\0";
    loaded *l = calloc(1, sizeof *l);
    l->catalog = kq_catalog_new();
    kq_load_report_init(&l->report);
    assert_int_equal(kq_load_buffer(l->catalog, "x.json", data, sizeof data - 1, NULL, &l->report), -1);
    assert_string_equal(l->report.files[0].format, "unknown");
    loaded_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(event_hub_message_splits_tables),
        cmocka_unit_test(storage_blob_lines_with_crlf),
        cmocka_unit_test(hunting_api_results_both_casings),
        cmocka_unit_test(json_array_of_rows),
        cmocka_unit_test(json_lines_skip_bad_lines),
        cmocka_unit_test(malformed_documents_are_counted),
        cmocka_unit_test(event_hub_messages_one_per_line),
        cmocka_unit_test(nul_bytes_are_binary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
