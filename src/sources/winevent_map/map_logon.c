/*
 * Security 4624 (an account logged on)     -> DeviceLogonEvents, LogonSuccess
 * Security 4625 (an account failed to log on) -> DeviceLogonEvents, LogonFailed
 * The Target account is the one that logged on; the Subject account and
 * ProcessName are the process that asked for the logon.
 */
#include "sources/winevent_map/map.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>

/* Windows logon type numbers and Defender's names for them. */
static const char *logon_type_name(int64_t type)
{
    switch (type) {
    case 2: return "Interactive";
    case 3: return "Network";
    case 4: return "Batch";
    case 5: return "Service";
    case 7: return "Unlock";
    case 8: return "NetworkCleartext";
    case 9: return "NewCredentials";
    case 10: return "RemoteInteractive";
    case 11: return "CachedInteractive";
    case 12: return "CachedRemoteInteractive";
    case 13: return "CachedUnlock";
    default: return "Unknown";
    }
}

/*
 * NTSTATUS codes of 4625 and the FailureReason written for them.
 * InvalidUserNameOrPassword and PasswordExpired are the values Defender
 * writes (seen in exports); the others are the codes' NTSTATUS names in the
 * same style. An unlisted code is written as its hex text.
 */
static const struct {
    uint32_t status;
    const char *reason;
} failure_reasons[] = {
    {0xC0000064, "InvalidUserNameOrPassword"}, /* no such user */
    {0xC000006A, "InvalidUserNameOrPassword"}, /* wrong password */
    {0xC000006D, "InvalidUserNameOrPassword"}, /* bad user name or authentication information */
    {0xC0000071, "PasswordExpired"},
    {0xC0000072, "AccountDisabled"},
    {0xC0000193, "AccountExpired"},
    {0xC0000234, "AccountLockedOut"},
    {0xC000006F, "InvalidLogonHours"},
    {0xC0000070, "InvalidWorkstation"},
    {0xC0000224, "PasswordMustChange"},
    {0xC000015B, "LogonTypeNotGranted"},
    {0xC0000133, "TimeDifferenceAtDc"},
    {0xC000005E, "NoLogonServers"},
    {0xC000006E, "AccountRestriction"},
    {0xC0000413, "AuthenticationFirewallFailed"},
};

static void put_failure_reason(row_writer *w)
{
    int64_t status;
    /* SubStatus narrows Status (0xC000006D "bad user name or password" -> 0xC000006A "wrong password"). */
    if (!map_field_long(w, "SubStatus", &status) || status == 0)
        if (!map_field_long(w, "Status", &status))
            return;
    for (size_t i = 0; i < KQ_ARRAY_LEN(failure_reasons); i++)
        if ((uint32_t)status == failure_reasons[i].status) {
            map_put_cstr(w, "FailureReason", failure_reasons[i].reason);
            return;
        }
    char text[16];
    snprintf(text, sizeof text, "0x%08X", (unsigned)(uint32_t)status);
    map_put_cstr(w, "FailureReason", text);
}

/*
 * Writes Protocol from AuthenticationPackageName. MSV1_0, which Windows names
 * MICROSOFT_AUTHENTICATION_PACKAGE_V1_0, checks local accounts with NTLM, so it becomes NTLM.
 */
static void put_protocol(row_writer *w)
{
    static const char msv[] = "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0";
    size_t len;
    const char *package = map_field_text(w, "AuthenticationPackageName", &len);
    if (package && kq_ascii_ieq(package, len, msv, sizeof msv - 1))
        map_put_cstr(w, "Protocol", "NTLM");
    else
        map_copy_text(w, "Protocol", "AuthenticationPackageName");
}

void map_security_logon(row_writer *w)
{
    bool success = w->ev->event_id == 4624;
    map_put_common(w, w->ev->time_created, w->ev->has_time_created);
    map_put_cstr(w, "ActionType", success ? "LogonSuccess" : "LogonFailed");
    int64_t type;
    if (map_field_long(w, "LogonType", &type))
        map_put_cstr(w, "LogonType", logon_type_name(type));
    map_copy_text(w, "AccountDomain", "TargetDomainName");
    map_copy_text(w, "AccountName", "TargetUserName");
    map_copy_text(w, "AccountSid", "TargetUserSid");
    if (success)
        map_copy_long(w, "LogonId", "TargetLogonId");
    put_protocol(w);
    if (!success)
        put_failure_reason(w);
    size_t len;
    const char *ip = map_field_text(w, "IpAddress", &len);
    map_put_ip(w, "RemoteIP", "RemoteIPType", ip, ip ? len : 0);
    map_copy_long(w, "RemotePort", "IpPort");
    map_copy_text(w, "RemoteDeviceName", "WorkstationName");
    map_initiating_process(w, "ProcessName", "ProcessId", NULL);
    map_initiating_subject(w);
}
