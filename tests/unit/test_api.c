/* The public C API: load, compile, run and read a result; errors come back as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kqlite.h"

static void seed_rule_over_example(void **state)
{
    (void)state;
    kqlite_session *session = kqlite_open();
    char *report = NULL;
    assert_int_equal(kqlite_load(session, KQLITE_SOURCE_DIR "/examples/defender-export/DeviceProcessEvents.csv", &report), 0);
    assert_non_null(strstr(report, "36 loaded"));
    kqlite_free(report);
    const char *text = "let Time_start = now(-5d); let Time_end = now();\n"
                       "DeviceProcessEvents | where Timestamp between (Time_start..Time_end)\n"
                       "| where ProcessVersionInfoCompanyName has 'Ammyy' and ProcessVersionInfoProductName has 'Ammyy Admin'\n"
                       "| summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp), Report=make_set(ReportId), Count=count() by DeviceId, DeviceName\n"
                       "| order by DeviceName asc";
    char *errors = NULL;
    kqlite_query *query = kqlite_compile(session, "seed", text, &errors);
    assert_non_null(query);
    kqlite_free(errors);
    /* 2026-12-01T00:00:00Z in ticks. */
    int64_t now = INT64_C(639316800000000000);
    char *error = NULL;
    kqlite_result *result = kqlite_run(session, query, now, &error);
    assert_non_null(result);
    assert_int_equal(kqlite_result_columns(result), 6);
    assert_string_equal(kqlite_result_column_name(result, 4), "Report");
    assert_string_equal(kqlite_result_column_type(result, 2), "datetime");
    assert_int_equal(kqlite_result_rows(result), 2);
    char *device = kqlite_result_text(result, 0, 1);
    assert_string_equal(device, "eng-wks-077.corp.tailspintoys.com");
    kqlite_free(device);
    char *row = kqlite_result_row_json(result, 1);
    assert_non_null(strstr(row, "\"Count\":2"));
    kqlite_free(row);
    assert_null(kqlite_result_text(result, 2, 0));
    kqlite_result_free(result);
    kqlite_query_free(query);
    kqlite_close(session);
}

static void compile_error_has_caret(void **state)
{
    (void)state;
    kqlite_session *session = kqlite_open();
    char *errors = NULL;
    kqlite_query *query = kqlite_compile(session, "q.kql", "DeviceProcessEvents\n| where ProcessCommandline has 'x'", &errors);
    assert_null(query);
    assert_non_null(strstr(errors, "q.kql:2:9: error: unknown column 'ProcessCommandline'"));
    assert_non_null(strstr(errors, "        ^^^^^^^^^^^^^^^^^^"));
    assert_non_null(strstr(errors, "did you mean 'ProcessCommandLine'?"));
    kqlite_free(errors);
    kqlite_close(session);
}

static void missing_path_fails(void **state)
{
    (void)state;
    kqlite_session *session = kqlite_open();
    char *report = NULL;
    assert_int_equal(kqlite_load(session, "/nonexistent/kqlite-test.csv", &report), -1);
    assert_non_null(strstr(report, "error"));
    kqlite_free(report);
    kqlite_close(session);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_rule_over_example),
        cmocka_unit_test(compile_error_has_caret),
        cmocka_unit_test(missing_path_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
