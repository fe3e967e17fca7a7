/* Which columns a compiled query reads (kq_column_use), for loading only those. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kql/compile.h"

#include <string.h>

#define PROC "DeviceProcessEvents"

static kq_column_use *use_of(const char *text)
{
    kq_source source = {.file = "<test>", .text = text, .len = strlen(text), .first_line = 1};
    kq_diags diags;
    kq_diags_init(&diags);
    kq_query *query = kq_compile(&source, NULL, &diags);
    kq_diags_free(&diags);
    assert_non_null(query);
    static kq_column_use use;
    kq_column_use_free(&use);
    kq_column_use_add(&use, query);
    kq_query_free(query);
    return &use;
}

static bool wants(const kq_column_use *use, const char *table, const char *column)
{
    return kq_column_use_wants(use, table, column, strlen(column));
}

static void where_and_summarize(void **state)
{
    (void)state;
    kq_column_use *use = use_of(PROC " | where ProcessVersionInfoCompanyName has 'Ammyy' "
                                     "| summarize n = count(), last = max(Timestamp) by DeviceId");
    assert_true(wants(use, PROC, "ProcessVersionInfoCompanyName"));
    assert_true(wants(use, PROC, "DeviceId"));
    assert_true(wants(use, PROC, "Timestamp"));
    assert_false(wants(use, PROC, "FileName"));
    assert_false(wants(use, PROC, "ProcessCommandLine"));
    /* Timestamp and TimeGenerated fill each other while loading. */
    assert_true(wants(use, PROC, "TimeGenerated"));
    /* A store contains both, so only the one read loads. */
    assert_false(kq_column_use_wants_stored(use, PROC, "TimeGenerated", 13));
    assert_true(kq_column_use_wants_stored(use, PROC, "Timestamp", 9));
    assert_true(kq_column_use_wants_stored(use, PROC, "DeviceId", 8));
    /* A column outside the built-in schema cannot reach this output. */
    assert_false(wants(use, PROC, "ProcessUniqueId"));
    /* A table the query does not read keeps every column. */
    assert_true(wants(use, "DeviceNetworkEvents", "RemoteIP"));
    /* Scheduled runs cut their window by Timestamp: reading TimeGenerated wants it too. */
    use = use_of(PROC " | where TimeGenerated > ago(1d)");
    assert_true(kq_column_use_wants_stored(use, PROC, "Timestamp", 9));
    assert_true(kq_column_use_wants_stored(use, PROC, "TimeGenerated", 13));
}

static void project_reads_only_its_columns(void **state)
{
    (void)state;
    kq_column_use *use = use_of(PROC " | project DeviceName, Cmd = tolower(ProcessCommandLine)");
    assert_true(wants(use, PROC, "DeviceName"));
    assert_true(wants(use, PROC, "ProcessCommandLine"));
    assert_false(wants(use, PROC, "SHA256"));
    assert_false(wants(use, PROC, "ProcessUniqueId"));
}

static void whole_rows_load_everything(void **state)
{
    (void)state;
    /* The rows reach the output as they are: every column, also those outside the schema. */
    kq_column_use *use = use_of(PROC " | where FileName == 'a.exe'");
    assert_true(wants(use, PROC, "SHA256"));
    assert_true(wants(use, PROC, "ProcessUniqueId"));
    /* project-away passes unnamed columns on. */
    use = use_of(PROC " | project-away SHA256 | summarize count() by FileName");
    assert_false(wants(use, PROC, "SHA256"));
    assert_false(wants(use, PROC, "ProcessUniqueId"));
    use = use_of(PROC " | project-away SHA256");
    assert_true(wants(use, PROC, "ProcessUniqueId"));
    /* arg_max(*) and pack_all() take every column of the row. */
    use = use_of(PROC " | summarize arg_max(Timestamp, *) by DeviceId");
    assert_true(wants(use, PROC, "ProcessUniqueId"));
    use = use_of(PROC " | project bag = pack_all()");
    assert_true(wants(use, PROC, "ProcessUniqueId"));
}

static void join_and_subquery_sides(void **state)
{
    (void)state;
    kq_column_use *use = use_of(PROC " | project DeviceId, FileName "
                                     "| join kind=inner (DeviceNetworkEvents | project DeviceId, RemoteIP) on DeviceId "
                                     "| where DeviceId in ((DeviceLogonEvents | project DeviceId))");
    assert_true(wants(use, PROC, "FileName"));
    assert_false(wants(use, PROC, "SHA1"));
    assert_true(wants(use, "DeviceNetworkEvents", "RemoteIP"));
    assert_false(wants(use, "DeviceNetworkEvents", "RemotePort"));
    assert_true(wants(use, "DeviceLogonEvents", "DeviceId"));
    assert_false(wants(use, "DeviceLogonEvents", "LogonType"));
}

static void count_reads_no_column(void **state)
{
    (void)state;
    kq_column_use *use = use_of(PROC " | count");
    assert_false(wants(use, PROC, "DeviceId"));
    assert_false(wants(use, PROC, "Timestamp"));
}

static int free_use(void **state)
{
    (void)state;
    use_of("print 1");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(where_and_summarize),       cmocka_unit_test(project_reads_only_its_columns),
        cmocka_unit_test(whole_rows_load_everything), cmocka_unit_test(join_and_subquery_sides),
        cmocka_unit_test(count_reads_no_column),
    };
    int failed = cmocka_run_group_tests(tests, NULL, free_use);
    return failed;
}
