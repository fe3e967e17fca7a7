/* Windows events as JSON (NXLog flat and evtx_dump nested) mapped to DeviceProcessEvents and DeviceNetworkEvents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_sources_util.h"

#define PROC "DeviceProcessEvents"
#define NET "DeviceNetworkEvents"

static void nxlog_file_accounting(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "nxlog_windows_events.jsonl", NULL);
    assert_int_equal(l->status, 0);
    const kq_file_report *file = file_report(l, "nxlog_windows_events.jsonl");
    assert_string_equal(file->format, "nxlog-json");
    assert_int_equal(file->records_read, 5);
    assert_int_equal(file->records_loaded, 5);
    assert_int_equal(file->records_skipped, 0);
    assert_int_equal(table_rows(l, PROC), 2);
    assert_int_equal(table_rows(l, NET), 2);
    /* Line 5, Sysmon EID 10 without UtcTime or ProcessId: the fields it has still map. */
    assert_int_equal(table_rows(l, "DeviceEvents"), 1);
    assert_string_equal(text_cell(l, "DeviceEvents", "ActionType", 0), "OpenProcessApiCall");
    assert_string_equal(text_cell(l, "DeviceEvents", "FileName", 0), "svchost.exe");
    assert_string_equal(text_cell(l, "DeviceEvents", "FolderPath", 0), "C:\\Windows\\system32");
    assert_string_equal(text_cell(l, "DeviceEvents", "InitiatingProcessFileName", 0), "lsass.exe");
    assert_string_equal(text_cell(l, "DeviceEvents", "AdditionalFields", 0), "{\"DesiredAccess\":4096}");
    assert_true(cell(l, "DeviceEvents", "ProcessId", 0).null);
    loaded_free(l);
}

static void nxlog_sysmon_process_create(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "nxlog_windows_events.jsonl", NULL);
    /* Row 0 is Sysmon EID 1. */
    assert_string_equal(datetime_cell(l, PROC, "Timestamp", 0), "2024-10-09T14:41:10.1230000Z");
    assert_string_equal(datetime_cell(l, PROC, "ProcessCreationTime", 0), "2024-10-09T14:41:10.1230000Z");
    assert_string_equal(datetime_cell(l, PROC, "TimeGenerated", 0), "2024-10-09T14:41:10.1230000Z");
    assert_string_equal(text_cell(l, PROC, "DeviceName", 0), "workstation5.contoso.local");
    /* DeviceId is the SHA-1 of the lower-cased Computer name. */
    assert_string_equal(text_cell(l, PROC, "DeviceId", 0), "07ee5bbb12eac94f7fa01d2278ea1a2a7bb17dbd");
    assert_int_equal(long_cell(l, PROC, "ReportId", 0), 172776);
    assert_string_equal(text_cell(l, PROC, "ActionType", 0), "ProcessCreated");
    assert_string_equal(text_cell(l, PROC, "FileName", 0), "AA_v3.exe");
    assert_string_equal(text_cell(l, PROC, "FolderPath", 0), "C:\\Users\\alice\\Downloads\\AA_v3.exe");
    assert_int_equal(long_cell(l, PROC, "ProcessId", 0), 4242);
    assert_string_equal(text_cell(l, PROC, "ProcessCommandLine", 0),
                        "\"C:\\Users\\alice\\Downloads\\AA_v3.exe\" -connect 10.0.0.5");
    assert_string_equal(text_cell(l, PROC, "SHA1", 0), "01c782e1d351f4955571fa4cf4dfcdb16dda78d5");
    assert_string_equal(text_cell(l, PROC, "MD5", 0), "5fd1d66e944223729b6c7cadcc193915");
    assert_string_equal(text_cell(l, PROC, "SHA256", 0),
                        "3a7ab202069383a6b241f024edc61acf0ed6bf109fdec819cd5ad06410ed80f8");
    assert_string_equal(text_cell(l, PROC, "ProcessVersionInfoProductName", 0), "Ammyy Admin");
    assert_string_equal(text_cell(l, PROC, "ProcessVersionInfoFileDescription", 0), "Ammyy Admin");
    assert_string_equal(text_cell(l, PROC, "ProcessVersionInfoProductVersion", 0), "3.10");
    /* "-" and "?" mean Sysmon could not read the version resource. */
    assert_string_equal(text_cell(l, PROC, "ProcessVersionInfoCompanyName", 0), "");
    assert_string_equal(text_cell(l, PROC, "ProcessVersionInfoOriginalFileName", 0), "");
    assert_string_equal(text_cell(l, PROC, "ProcessIntegrityLevel", 0), "Medium");
    assert_string_equal(text_cell(l, PROC, "AccountDomain", 0), "CONTOSO");
    assert_string_equal(text_cell(l, PROC, "AccountName", 0), "alice");
    assert_int_equal(long_cell(l, PROC, "LogonId", 0), 0x24579a8);
    assert_string_equal(text_cell(l, PROC, "InitiatingProcessFileName", 0), "explorer.exe");
    assert_string_equal(text_cell(l, PROC, "InitiatingProcessFolderPath", 0), "C:\\Windows\\explorer.exe");
    assert_int_equal(long_cell(l, PROC, "InitiatingProcessId", 0), 1448);
    assert_string_equal(text_cell(l, PROC, "InitiatingProcessCommandLine", 0), "C:\\Windows\\Explorer.EXE");
    assert_string_equal(text_cell(l, PROC, "InitiatingProcessAccountName", 0), "alice");
    loaded_free(l);
}

static void nxlog_security_4688(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "nxlog_windows_events.jsonl", NULL);
    /* EventTime 10:50:04 local; EventReceivedTime vs @timestamp gives UTC-4. */
    assert_string_equal(datetime_cell(l, PROC, "Timestamp", 1), "2024-10-09T14:50:04.0000000Z");
    assert_int_equal(long_cell(l, PROC, "ReportId", 1), 379988);
    assert_string_equal(text_cell(l, PROC, "FileName", 1), "AnyDesk.exe");
    assert_int_equal(long_cell(l, PROC, "ProcessId", 1), 0x7d8);
    assert_int_equal(long_cell(l, PROC, "InitiatingProcessId", 1), 0x5a8);
    assert_string_equal(text_cell(l, PROC, "InitiatingProcessFileName", 1), "explorer.exe");
    assert_string_equal(text_cell(l, PROC, "ProcessTokenElevation", 1), "TokenElevationTypeLimited");
    assert_string_equal(text_cell(l, PROC, "ProcessIntegrityLevel", 1), "Medium");
    /* TargetUserSid S-1-0-0: the new process runs as the subject. */
    assert_string_equal(text_cell(l, PROC, "AccountName", 1), "alice");
    assert_string_equal(text_cell(l, PROC, "AccountDomain", 1), "CONTOSO");
    assert_string_equal(text_cell(l, PROC, "AccountSid", 1), "S-1-5-21-1111111111-2222222222-3333333333-1104");
    assert_int_equal(long_cell(l, PROC, "LogonId", 1), 0x24579a8);
    assert_string_equal(text_cell(l, PROC, "InitiatingProcessAccountName", 1), "alice");
    assert_int_equal(long_cell(l, PROC, "InitiatingProcessLogonId", 1), 0x24579a8);
    loaded_free(l);
}

static void nxlog_network_both_directions(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "nxlog_windows_events.jsonl", NULL);
    /* Outbound: local = Source*, remote = Destination*. */
    assert_string_equal(text_cell(l, NET, "ActionType", 0), "ConnectionSuccess");
    assert_string_equal(text_cell(l, NET, "LocalIP", 0), "10.0.0.8");
    assert_int_equal(long_cell(l, NET, "LocalPort", 0), 51234);
    assert_string_equal(text_cell(l, NET, "RemoteIP", 0), "136.243.18.118");
    assert_int_equal(long_cell(l, NET, "RemotePort", 0), 443);
    assert_string_equal(text_cell(l, NET, "RemoteUrl", 0), "rl.ammyy.com");
    assert_string_equal(text_cell(l, NET, "RemoteIPType", 0), "Public");
    assert_string_equal(text_cell(l, NET, "Protocol", 0), "Tcp");
    assert_string_equal(text_cell(l, NET, "InitiatingProcessFileName", 0), "AA_v3.exe");
    assert_int_equal(long_cell(l, NET, "InitiatingProcessId", 0), 4242);
    assert_string_equal(text_cell(l, NET, "InitiatingProcessAccountName", 0), "alice");
    assert_string_equal(datetime_cell(l, NET, "Timestamp", 0), "2024-10-09T14:41:14.9500000Z");

    /* Inbound SMB: local = Destination* (port 445), remote = Source* (the client). */
    assert_string_equal(text_cell(l, NET, "ActionType", 1), "InboundConnectionAccepted");
    assert_string_equal(text_cell(l, NET, "LocalIP", 1), "10.0.0.8");
    assert_int_equal(long_cell(l, NET, "LocalPort", 1), 445);
    assert_string_equal(text_cell(l, NET, "RemoteIP", 1), "10.0.0.99");
    assert_int_equal(long_cell(l, NET, "RemotePort", 1), 50110);
    assert_string_equal(text_cell(l, NET, "RemoteUrl", 1), "");
    assert_string_equal(text_cell(l, NET, "InitiatingProcessAccountDomain", 1), "NT AUTHORITY");
    loaded_free(l);
}

static void evtx_dump_concatenated_objects(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "evtx_dump_events.json", NULL);
    const kq_file_report *file = file_report(l, "evtx_dump_events.json");
    assert_string_equal(file->format, "evtx-json");
    assert_int_equal(file->records_read, 4);
    assert_int_equal(file->records_loaded, 4);
    /* Sysmon EID 5: the process exit, with the folder apart as DeviceEvents writes it. */
    assert_string_equal(text_cell(l, "DeviceEvents", "ActionType", 0), "ProcessTerminated");
    assert_string_equal(text_cell(l, "DeviceEvents", "FolderPath", 0), "C:\\Tools");
    assert_string_equal(text_cell(l, "DeviceEvents", "FileName", 0), "rutserv.exe");
    assert_string_equal(text_cell(l, "DeviceEvents", "AccountName", 0), "xodih");

    /* Sysmon EID 1 with numbers typed and no SHA1 in Hashes. */
    assert_string_equal(text_cell(l, PROC, "DeviceName", 0), "analyst-pc");
    assert_int_equal(long_cell(l, PROC, "ReportId", 0), 21651);
    assert_int_equal(long_cell(l, PROC, "ProcessId", 0), 7760);
    assert_int_equal(long_cell(l, PROC, "LogonId", 0), 0x317fb);
    assert_string_equal(text_cell(l, PROC, "SHA1", 0), "");
    assert_string_equal(text_cell(l, PROC, "MD5", 0), "dbb2d090d2098b2b995fa067fdef839f");
    assert_string_equal(text_cell(l, PROC, "ProcessVersionInfoCompanyName", 0), "Remote Utilities LLC");
    assert_string_equal(text_cell(l, PROC, "ProcessVersionInfoOriginalFileName", 0), "rutserv.exe");
    assert_string_equal(datetime_cell(l, PROC, "Timestamp", 0), "2025-10-24T23:34:34.6250000Z");

    /* Security 4688 takes its time from TimeCreated and its account from Target*. */
    assert_string_equal(datetime_cell(l, PROC, "Timestamp", 1), "2025-10-24T23:36:01.1234560Z");
    assert_string_equal(text_cell(l, PROC, "AccountName", 1), "xodih");
    assert_string_equal(text_cell(l, PROC, "AccountSid", 1), "S-1-5-21-1-2-3-1001");
    assert_int_equal(long_cell(l, PROC, "ProcessId", 1), 0x1dc);
    assert_string_equal(text_cell(l, PROC, "ProcessIntegrityLevel", 1), "System");
    assert_string_equal(text_cell(l, PROC, "ProcessTokenElevation", 1), "TokenElevationTypeDefault");
    assert_string_equal(text_cell(l, PROC, "InitiatingProcessAccountName", 1), "ANALYST-PC$");

    /* Inbound IPv6 with a typed false Initiated; addresses written compressed. */
    assert_string_equal(text_cell(l, NET, "ActionType", 0), "InboundConnectionAccepted");
    assert_string_equal(text_cell(l, NET, "LocalIP", 0), "::1");
    assert_string_equal(text_cell(l, NET, "LocalIPType", 0), "Loopback");
    assert_int_equal(long_cell(l, NET, "LocalPort", 0), 5650);
    assert_string_equal(text_cell(l, NET, "RemoteIP", 0), "fe80::1a");
    assert_int_equal(long_cell(l, NET, "RemotePort", 0), 49822);
    assert_string_equal(text_cell(l, NET, "RemoteIPType", 0), "LinkLocal");
    loaded_free(l);
}

static void same_host_same_device_id(void **state)
{
    loaded *l = load_arguments(NULL, FIXTURES "evtx_dump_events.json", NULL);
    char first[64];
    snprintf(first, sizeof first, "%.63s", text_cell(l, PROC, "DeviceId", 0));
    assert_int_equal(strlen(first), 40);
    assert_string_equal(text_cell(l, PROC, "DeviceId", 1), first);
    assert_string_equal(text_cell(l, NET, "DeviceId", 0), first);
    loaded_free(l);
}

static loaded *load_event_text(const char *text, const char *timezone)
{
    loaded *l = calloc(1, sizeof *l);
    l->catalog = kq_catalog_new();
    kq_load_report_init(&l->report);
    kq_load_options options = {timezone};
    l->status = kq_load_buffer(l->catalog, "events.json", text, strlen(text), &options, &l->report);
    kq_catalog_finish(l->catalog);
    return l;
}

#define NXLOG_4688 "{\"SourceName\":\"Microsoft-Windows-Security-Auditing\",\"Channel\":\"Security\",\"EventID\":4688,"

static void nxlog_time_variants(void **state)
{
    /* TimeCreated within seconds of @timestamp: a UTC pipeline, kept as is. */
    loaded *l = load_event_text(NXLOG_4688 "\"Hostname\":\"a\",\"TimeCreated\":\"2020-10-19 03:30:46.673\","
                                           "\"@timestamp\":\"2020-10-19T03:30:49.000Z\"}\n", NULL);
    assert_string_equal(datetime_cell(l, PROC, "Timestamp", 0), "2020-10-19T03:30:46.6730000Z");
    loaded_free(l);

    /* EventTime four hours behind @timestamp: a UTC-4 collector. */
    l = load_event_text(NXLOG_4688 "\"Hostname\":\"a\",\"EventTime\":\"2020-06-09 22:51:04\","
                                   "\"@timestamp\":\"2020-06-10T02:51:05.734Z\"}\n", NULL);
    assert_string_equal(datetime_cell(l, PROC, "Timestamp", 0), "2020-06-10T02:51:04.0000000Z");
    loaded_free(l);

    /* Only a local time: read as UTC, or in the zone the option names. */
    l = load_event_text(NXLOG_4688 "\"Hostname\":\"a\",\"TimeCreated\":\"2020-10-19 03:30:46\"}\n", NULL);
    assert_string_equal(datetime_cell(l, PROC, "Timestamp", 0), "2020-10-19T03:30:46.0000000Z");
    loaded_free(l);
    l = load_event_text(NXLOG_4688 "\"Hostname\":\"a\",\"TimeCreated\":\"2020-10-19 03:30:46\"}\n", "-04:00");
    assert_string_equal(datetime_cell(l, PROC, "Timestamp", 0), "2020-10-19T07:30:46.0000000Z");
    loaded_free(l);
}

static void event_without_data_skipped(void **state)
{
    loaded *l = load_event_text("{\"Event\":{\"System\":{\"Provider\":{\"#attributes\":{\"Name\":"
                                "\"Microsoft-Windows-Sysmon\"}},\"EventID\":{\"#text\":1}}}}\n"
                                "{\"EventID\":\"3\",\"Channel\":\"Microsoft-Windows-Sysmon/Operational\"}\n",
                                NULL);
    const kq_file_report *file = &l->report.files[0];
    assert_int_equal(file->records_read, 2);
    /* An EID 1 with no EventData has nothing to map; an NXLog EID 3 maps even when nearly empty. */
    assert_int_equal(file->records_loaded, 1);
    assert_non_null(skip_reason(file, "event without data fields: Microsoft-Windows-Sysmon EID 1"));
    assert_string_equal(text_cell(l, NET, "ActionType", 0), "InboundConnectionAccepted");
    loaded_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nxlog_file_accounting),
        cmocka_unit_test(nxlog_sysmon_process_create),
        cmocka_unit_test(nxlog_security_4688),
        cmocka_unit_test(nxlog_network_both_directions),
        cmocka_unit_test(evtx_dump_concatenated_objects),
        cmocka_unit_test(same_host_same_device_id),
        cmocka_unit_test(nxlog_time_variants),
        cmocka_unit_test(event_without_data_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
