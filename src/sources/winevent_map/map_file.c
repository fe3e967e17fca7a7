/*
 * File events -> DeviceFileEvents:
 *   Sysmon 11 (file created)               FileCreated
 *   Sysmon 15 (alternate data stream made) FileCreated, FileName "name:stream";
 *       a Zone.Identifier stream's HostUrl and ReferrerUrl fill FileOriginUrl
 *       and FileOriginReferrerUrl, where Defender keeps a download's origin
 *   Sysmon 23 (file deleted and archived)  FileDeleted
 *   Sysmon 26 (file deletion detected)     FileDeleted
 * FolderPath contains the full path including the file name, as Defender's
 * DeviceFileEvents rows do.
 */
#include "sources/winevent_map/map.h"

#include <string.h>

/* Columns every file event shares: the time, the file and the process that touched it. */
static void file_common(row_writer *w, const char *action)
{
    int64_t ticks;
    map_sysmon_common(w, &ticks);
    map_put_cstr(w, "ActionType", action);
    map_copy_path(w, "FolderPath", "FileName", "TargetFilename");
    map_initiating_process(w, "Image", "ProcessId", "User");
}

void map_sysmon_file_created(row_writer *w)
{
    file_common(w, "FileCreated");
}

/* Copies "KEY=value" from a Zone.Identifier text ("[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=...") to column. */
static void copy_zone_value(row_writer *w, const char *contents, size_t len, const char *key, const char *column)
{
    size_t key_len = strlen(key);
    for (size_t i = 0; i + key_len <= len; i++) {
        bool line_start = i == 0 || contents[i - 1] == '\n' || contents[i - 1] == '\r' || contents[i - 1] == ' ';
        if (!line_start || memcmp(contents + i, key, key_len) != 0)
            continue;
        size_t start = i + key_len, end = start;
        while (end < len && contents[end] != '\r' && contents[end] != '\n' && contents[end] != ' ')
            end++;
        if (end > start)
            map_put_text(w, column, contents + start, end - start);
        return;
    }
}

void map_sysmon_file_stream(row_writer *w)
{
    file_common(w, "FileCreated");
    map_copy_hashes(w, "", "Hash");
    size_t len;
    const char *contents = map_field_text(w, "Contents", &len);
    if (contents) {
        copy_zone_value(w, contents, len, "HostUrl=", "FileOriginUrl");
        copy_zone_value(w, contents, len, "ReferrerUrl=", "FileOriginReferrerUrl");
    }
}

void map_sysmon_file_deleted(row_writer *w)
{
    file_common(w, "FileDeleted");
    map_copy_hashes(w, "", "Hashes");
}
