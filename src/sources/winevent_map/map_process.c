/*
 * Process events:
 *   Sysmon 1 (process creation)       -> DeviceProcessEvents, ProcessCreated
 *   Security 4688 (new process)       -> DeviceProcessEvents, ProcessCreated
 *   Sysmon 5 (process terminated)     -> DeviceEvents, ProcessTerminated
 * Defender records no process exits; ProcessTerminated is kqlite's name for
 * them, so that process lifetimes can be hunted next to Defender's own rows.
 */
#include "sources/winevent_map/map.h"
#include "base/util.h"

#include <string.h>

void map_sysmon_process_created(row_writer *w)
{
    int64_t ticks;
    if (map_sysmon_common(w, &ticks))
        map_put_datetime(w, "ProcessCreationTime", ticks);
    map_put_cstr(w, "ActionType", "ProcessCreated");
    map_copy_path(w, "FolderPath", "FileName", "Image");
    map_copy_long(w, "ProcessId", "ProcessId");
    map_copy_text(w, "ProcessCommandLine", "CommandLine");
    map_copy_hashes(w, "", "Hashes");
    map_copy_version_info(w, "ProcessVersionInfoCompanyName", "Company");
    map_copy_version_info(w, "ProcessVersionInfoProductName", "Product");
    map_copy_version_info(w, "ProcessVersionInfoFileDescription", "Description");
    map_copy_version_info(w, "ProcessVersionInfoProductVersion", "FileVersion");
    map_copy_version_info(w, "ProcessVersionInfoOriginalFileName", "OriginalFileName");
    map_copy_text(w, "ProcessIntegrityLevel", "IntegrityLevel");
    map_copy_user(w, "AccountDomain", "AccountName", "User");
    map_copy_long(w, "LogonId", "LogonId");
    map_copy_path(w, "InitiatingProcessFolderPath", "InitiatingProcessFileName", "ParentImage");
    map_copy_long(w, "InitiatingProcessId", "ParentProcessId");
    map_copy_text(w, "InitiatingProcessCommandLine", "ParentCommandLine");
    map_copy_user(w, "InitiatingProcessAccountDomain", "InitiatingProcessAccountName", "ParentUser");
}

void map_sysmon_process_terminated(row_writer *w)
{
    int64_t ticks;
    map_sysmon_common(w, &ticks);
    map_put_cstr(w, "ActionType", "ProcessTerminated");
    map_copy_path_split(w, "FolderPath", "FileName", "Image");
    map_copy_long(w, "ProcessId", "ProcessId");
    map_copy_user(w, "AccountDomain", "AccountName", "User");
}

/* ---- Security 4688 ---- */

static void copy_token_elevation(row_writer *w)
{
    size_t len;
    const char *text = map_field_text(w, "TokenElevationType", &len);
    if (!text)
        return;
    /* %%1936 is documented as a full token (type 1); 1937 and 1938 follow as types 2 and 3. */
    if (kq_ascii_ieq(text, len, "%%1936", 6))
        map_put_cstr(w, "ProcessTokenElevation", "TokenElevationTypeDefault");
    else if (kq_ascii_ieq(text, len, "%%1937", 6))
        map_put_cstr(w, "ProcessTokenElevation", "TokenElevationTypeFull");
    else if (kq_ascii_ieq(text, len, "%%1938", 6))
        map_put_cstr(w, "ProcessTokenElevation", "TokenElevationTypeLimited");
}

static void copy_integrity_level(row_writer *w)
{
    static const struct {
        const char *sid, *level;
    } levels[] = {{"S-1-16-0", "Untrusted"}, {"S-1-16-4096", "Low"},     {"S-1-16-8192", "Medium"},
                  {"S-1-16-8448", "Medium"},  {"S-1-16-12288", "High"}, {"S-1-16-16384", "System"},
                  {"S-1-16-20480", "Protected"}};
    size_t len;
    const char *sid = map_field_text(w, "MandatoryLabel", &len);
    if (!sid)
        return;
    for (size_t i = 0; i < KQ_ARRAY_LEN(levels); i++)
        if (kq_ascii_ieq(sid, len, levels[i].sid, strlen(levels[i].sid)))
            map_put_cstr(w, "ProcessIntegrityLevel", levels[i].level);
}

void map_security_process_created(row_writer *w)
{
    map_put_common(w, w->ev->time_created, w->ev->has_time_created);
    if (w->ev->has_time_created)
        map_put_datetime(w, "ProcessCreationTime", w->ev->time_created);
    map_put_cstr(w, "ActionType", "ProcessCreated");
    map_copy_path(w, "FolderPath", "FileName", "NewProcessName");
    map_copy_long(w, "ProcessId", "NewProcessId");
    map_copy_text(w, "ProcessCommandLine", "CommandLine");
    map_copy_long(w, "InitiatingProcessId", "ProcessId");
    map_copy_path(w, "InitiatingProcessFolderPath", "InitiatingProcessFileName", "ParentProcessName");
    map_initiating_subject(w);
    map_copy_long(w, "InitiatingProcessLogonId", "SubjectLogonId");
    copy_token_elevation(w);
    copy_integrity_level(w);

    /* A Target SID of S-1-0-0 (NULL SID), or none in version 0/1 events, means the process runs as the Subject. */
    size_t len;
    const char *target_sid = map_field_text(w, "TargetUserSid", &len);
    bool as_subject = !target_sid || kq_ascii_ieq(target_sid, len, "S-1-0-0", 7);
    map_copy_text(w, "AccountSid", as_subject ? "SubjectUserSid" : "TargetUserSid");
    map_copy_text(w, "AccountName", as_subject ? "SubjectUserName" : "TargetUserName");
    map_copy_text(w, "AccountDomain", as_subject ? "SubjectDomainName" : "TargetDomainName");
    map_copy_long(w, "LogonId", as_subject ? "SubjectLogonId" : "TargetLogonId");
}
