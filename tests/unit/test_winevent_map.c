/*
 * Sysmon 5-26 and Security 4624/4625 mapped to DeviceEvents, DeviceFileEvents,
 * DeviceRegistryEvents, DeviceImageLoadEvents and DeviceLogonEvents, from one
 * NXLog fixture with an event of each kind (tests/fixtures/sources/sysmon_more_events.jsonl).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_sources_util.h"

#define EVENTS "DeviceEvents"
#define FILES "DeviceFileEvents"
#define REGISTRY "DeviceRegistryEvents"
#define IMAGES "DeviceImageLoadEvents"
#define LOGONS "DeviceLogonEvents"
#define FIXTURE FIXTURES "sysmon_more_events.jsonl"

static loaded *events;

static int load_fixture(void **state)
{
    (void)state;
    events = load_arguments(NULL, FIXTURE, NULL);
    return events->status == 0 ? 0 : -1;
}

static int free_fixture(void **state)
{
    (void)state;
    loaded_free(events);
    return 0;
}

static void accounting(void **state)
{
    (void)state;
    const kq_file_report *file = file_report(events, "sysmon_more_events.jsonl");
    assert_int_equal(file->records_read, 20);
    assert_int_equal(file->records_loaded, 19);
    assert_int_equal(file->records_skipped, 1);
    const kq_skip_reason *unmapped = skip_reason(file, "unmapped event: Microsoft-Windows-Sysmon EID 4");
    assert_non_null(unmapped);
    assert_string_equal(unmapped->first_location, "line 20");
    assert_int_equal(table_rows(events, EVENTS), 6);
    assert_int_equal(table_rows(events, FILES), 4);
    assert_int_equal(table_rows(events, REGISTRY), 5);
    assert_int_equal(table_rows(events, IMAGES), 1);
    assert_int_equal(table_rows(events, LOGONS), 3);
}

static void device_events(void **state)
{
    (void)state;
    /* Row 0: Sysmon 5. */
    assert_string_equal(text_cell(events, EVENTS, "ActionType", 0), "ProcessTerminated");
    assert_string_equal(text_cell(events, EVENTS, "FileName", 0), "AA_v3.exe");
    assert_string_equal(text_cell(events, EVENTS, "FolderPath", 0), "C:\\Users\\alice\\Downloads");
    assert_int_equal(long_cell(events, EVENTS, "ProcessId", 0), 4242);
    assert_string_equal(datetime_cell(events, EVENTS, "Timestamp", 0), "2024-10-09T15:00:01.1000000Z");
    /* Row 1: Sysmon 6; IMPHASH has no column, "-" is no value. */
    assert_string_equal(text_cell(events, EVENTS, "ActionType", 1), "DriverLoad");
    assert_string_equal(text_cell(events, EVENTS, "SHA1", 1), "aabbcc");
    assert_string_equal(text_cell(events, EVENTS, "MD5", 1), "ddeeff");
    assert_string_equal(text_cell(events, EVENTS, "AdditionalFields", 1),
                        "{\"Signed\":\"false\",\"SignatureStatus\":\"Unavailable\"}");
    /* Row 2: Sysmon 8, source process initiates, target is the process acted on. */
    assert_string_equal(text_cell(events, EVENTS, "ActionType", 2), "CreateRemoteThreadApiCall");
    assert_string_equal(text_cell(events, EVENTS, "FileName", 2), "lsass.exe");
    assert_int_equal(long_cell(events, EVENTS, "ProcessId", 2), 640);
    assert_string_equal(text_cell(events, EVENTS, "AccountName", 2), "SYSTEM");
    assert_string_equal(text_cell(events, EVENTS, "InitiatingProcessFileName", 2), "AA_v3.exe");
    assert_int_equal(long_cell(events, EVENTS, "InitiatingProcessId", 2), 4242);
    assert_string_equal(text_cell(events, EVENTS, "AdditionalFields", 2), "{\"StartAddress\":\"0x00007FF6A0B21000\"}");
    /* Rows 3 and 4: Sysmon 17 and 18 with Defender's pipe device path. */
    assert_string_equal(text_cell(events, EVENTS, "ActionType", 3), "NamedPipeEvent");
    assert_string_equal(text_cell(events, EVENTS, "AdditionalFields", 3),
                        "{\"FileOperation\":\"File created\",\"NamedPipeEnd\":\"Server\","
                        "\"PipeName\":\"\\\\Device\\\\NamedPipe\\\\ammyy_pipe\"}");
    assert_string_equal(text_cell(events, EVENTS, "AdditionalFields", 4),
                        "{\"FileOperation\":\"File opened\",\"NamedPipeEnd\":\"Client\","
                        "\"PipeName\":\"\\\\Device\\\\NamedPipe\\\\ammyy_pipe\"}");
    /* Row 5: Sysmon 22, the query name where Defender rules read it. */
    assert_string_equal(text_cell(events, EVENTS, "ActionType", 5), "DnsQueryResponse");
    assert_string_equal(text_cell(events, EVENTS, "AdditionalFields", 5),
                        "{\"DnsQueryString\":\"rl.ammyy.com\",\"DnsQueryStatus\":\"0\","
                        "\"DnsQueryResult\":\"::ffff:136.243.18.118;\"}");
}

static void image_load(void **state)
{
    (void)state;
    assert_string_equal(text_cell(events, IMAGES, "ActionType", 0), "ImageLoaded");
    assert_string_equal(text_cell(events, IMAGES, "FileName", 0), "wininet.dll");
    assert_string_equal(text_cell(events, IMAGES, "FolderPath", 0), "C:\\Windows\\System32\\wininet.dll");
    assert_string_equal(text_cell(events, IMAGES, "SHA256", 0), "abcd");
    assert_string_equal(text_cell(events, IMAGES, "InitiatingProcessFileName", 0), "AA_v3.exe");
    assert_string_equal(text_cell(events, IMAGES, "InitiatingProcessAccountName", 0), "alice");
}

static void file_events(void **state)
{
    (void)state;
    assert_string_equal(text_cell(events, FILES, "ActionType", 0), "FileCreated");
    assert_string_equal(text_cell(events, FILES, "FolderPath", 0), "C:\\Users\\alice\\AppData\\Roaming\\aa.dat");
    assert_string_equal(text_cell(events, FILES, "FileName", 0), "aa.dat");
    /* Sysmon 15: the stream is part of the name; the Zone.Identifier gives the origin. */
    assert_string_equal(text_cell(events, FILES, "FileName", 1), "AA_v3.exe:Zone.Identifier");
    assert_string_equal(text_cell(events, FILES, "FileOriginUrl", 1), "https://example.test/AA_v3.exe");
    assert_string_equal(text_cell(events, FILES, "FileOriginReferrerUrl", 1), "https://example.test/dl");
    assert_string_equal(text_cell(events, FILES, "SHA256", 1), "feed");
    assert_string_equal(text_cell(events, FILES, "InitiatingProcessFileName", 1), "firefox.exe");
    /* Sysmon 23 and 26. */
    assert_string_equal(text_cell(events, FILES, "ActionType", 2), "FileDeleted");
    assert_string_equal(text_cell(events, FILES, "MD5", 2), "0a0b");
    assert_string_equal(text_cell(events, FILES, "ActionType", 3), "FileDeleted");
    assert_string_equal(text_cell(events, FILES, "SHA1", 3), "0c0d");
}

static void registry_events(void **state)
{
    (void)state;
    assert_string_equal(text_cell(events, REGISTRY, "ActionType", 0), "RegistryKeyCreated");
    assert_string_equal(text_cell(events, REGISTRY, "RegistryKey", 0),
                        "HKEY_CURRENT_USER\\S-1-5-21-1-2-3-1001\\Software\\Ammyy\\Admin");
    assert_string_equal(text_cell(events, REGISTRY, "RegistryValueName", 0), "");
    /* DWORD (0x00000002) is the number 2. */
    assert_string_equal(text_cell(events, REGISTRY, "ActionType", 1), "RegistryValueSet");
    assert_string_equal(text_cell(events, REGISTRY, "RegistryKey", 1),
                        "HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services\\AmmyyAdmin");
    assert_string_equal(text_cell(events, REGISTRY, "RegistryValueName", 1), "Start");
    assert_string_equal(text_cell(events, REGISTRY, "RegistryValueType", 1), "Dword");
    assert_string_equal(text_cell(events, REGISTRY, "RegistryValueData", 1), "2");
    assert_string_equal(text_cell(events, REGISTRY, "RegistryValueType", 2), "String");
    assert_string_equal(text_cell(events, REGISTRY, "RegistryValueData", 2),
                        "C:\\Users\\alice\\Downloads\\AA_v3.exe -service");
    /* QWORD (high-low) is 1 << 32 | 2. */
    assert_string_equal(text_cell(events, REGISTRY, "RegistryValueType", 3), "Qword");
    assert_string_equal(text_cell(events, REGISTRY, "RegistryValueData", 3), "4294967298");
    assert_string_equal(text_cell(events, REGISTRY, "ActionType", 4), "RegistryKeyRenamed");
    assert_string_equal(text_cell(events, REGISTRY, "PreviousRegistryKey", 4), "HKEY_LOCAL_MACHINE\\SOFTWARE\\Ammyy\\Old");
    assert_string_equal(text_cell(events, REGISTRY, "RegistryKey", 4), "HKEY_LOCAL_MACHINE\\SOFTWARE\\Ammyy\\New");
}

static void logon_events(void **state)
{
    (void)state;
    assert_string_equal(text_cell(events, LOGONS, "ActionType", 0), "LogonSuccess");
    assert_string_equal(text_cell(events, LOGONS, "LogonType", 0), "RemoteInteractive");
    assert_string_equal(text_cell(events, LOGONS, "AccountName", 0), "alice");
    assert_string_equal(text_cell(events, LOGONS, "AccountSid", 0), "S-1-5-21-1-2-3-1001");
    assert_int_equal(long_cell(events, LOGONS, "LogonId", 0), 0x24579a8);
    assert_string_equal(text_cell(events, LOGONS, "Protocol", 0), "Negotiate");
    assert_string_equal(text_cell(events, LOGONS, "RemoteIP", 0), "203.0.113.7");
    assert_int_equal(long_cell(events, LOGONS, "RemotePort", 0), 50123);
    assert_string_equal(text_cell(events, LOGONS, "InitiatingProcessFileName", 0), "svchost.exe");
    assert_int_equal(long_cell(events, LOGONS, "InitiatingProcessId", 0), 0x2f4);
    assert_string_equal(text_cell(events, LOGONS, "InitiatingProcessAccountName", 0), "WS7$");
    assert_string_equal(datetime_cell(events, LOGONS, "Timestamp", 0), "2024-10-09T15:01:00.0000000Z");
    /* SubStatus 0xC000006A (wrong password) names the reason; the mapped IPv4 address keeps its form. */
    assert_string_equal(text_cell(events, LOGONS, "ActionType", 1), "LogonFailed");
    assert_string_equal(text_cell(events, LOGONS, "FailureReason", 1), "InvalidUserNameOrPassword");
    assert_string_equal(text_cell(events, LOGONS, "LogonType", 1), "Network");
    assert_string_equal(text_cell(events, LOGONS, "RemoteIP", 1), "::ffff:10.1.2.3");
    assert_string_equal(text_cell(events, LOGONS, "RemoteIPType", 1), "FourToSixMapping");
    /* An unknown status is kept as its code; "-" address and port are no value. */
    assert_string_equal(text_cell(events, LOGONS, "FailureReason", 2), "0xC0000999");
    assert_string_equal(text_cell(events, LOGONS, "LogonType", 2), "Unknown");
    /* MSV1_0 checks local accounts with NTLM, so Protocol is NTLM. */
    assert_string_equal(text_cell(events, LOGONS, "Protocol", 2), "NTLM");
    assert_string_equal(text_cell(events, LOGONS, "RemoteIP", 2), "");
    assert_true(cell(events, LOGONS, "RemotePort", 2).null);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accounting),     cmocka_unit_test(device_events),   cmocka_unit_test(image_load),
        cmocka_unit_test(file_events),    cmocka_unit_test(registry_events), cmocka_unit_test(logon_events),
    };
    return cmocka_run_group_tests(tests, load_fixture, free_fixture);
}
