/*
 * Image loads and the process and pipe events Defender keeps in DeviceEvents:
 *   Sysmon 7 (image loaded)           -> DeviceImageLoadEvents, ImageLoaded
 *   Sysmon 6 (driver loaded)          -> DeviceEvents, DriverLoad
 *   Sysmon 8 (CreateRemoteThread)     -> DeviceEvents, CreateRemoteThreadApiCall
 *   Sysmon 10 (process accessed)      -> DeviceEvents, OpenProcessApiCall
 *   Sysmon 17, 18 (pipe created, connected) -> DeviceEvents, NamedPipeEvent
 * In DeviceEvents the process acted on is FileName, FolderPath (its folder,
 * as Defender writes it there) and ProcessId; the process that acted is in
 * the InitiatingProcess columns. AdditionalFields contains what has no column,
 * under Defender's key names where Defender has the same fact.
 */
#include "sources/winevent_map/map.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void map_sysmon_image_loaded(row_writer *w)
{
    int64_t ticks;
    map_sysmon_common(w, &ticks);
    map_put_cstr(w, "ActionType", "ImageLoaded");
    map_copy_path(w, "FolderPath", "FileName", "ImageLoaded");
    map_copy_hashes(w, "", "Hashes");
    map_initiating_process(w, "Image", "ProcessId", "User");
}

/* Signed, Signature and SignatureStatus of a loaded image or driver. */
static void add_signature(row_writer *w, map_fields *f)
{
    map_fields_copy(w, f, "Signed", "Signed");
    map_fields_copy(w, f, "Signature", "Signature");
    map_fields_copy(w, f, "SignatureStatus", "SignatureStatus");
}

void map_sysmon_driver_loaded(row_writer *w)
{
    int64_t ticks;
    map_sysmon_common(w, &ticks);
    map_put_cstr(w, "ActionType", "DriverLoad");
    map_copy_path_split(w, "FolderPath", "FileName", "ImageLoaded");
    map_copy_hashes(w, "", "Hashes");
    map_fields f = {0};
    add_signature(w, &f);
    map_fields_put(w, &f);
}

/* The source process to the InitiatingProcess columns, the target to the process columns. */
static void source_and_target(row_writer *w)
{
    map_initiating_process(w, "SourceImage", "SourceProcessId", "SourceUser");
    map_copy_path_split(w, "FolderPath", "FileName", "TargetImage");
    map_copy_long(w, "ProcessId", "TargetProcessId");
    map_copy_user(w, "AccountDomain", "AccountName", "TargetUser");
}

void map_sysmon_remote_thread(row_writer *w)
{
    int64_t ticks;
    map_sysmon_common(w, &ticks);
    map_put_cstr(w, "ActionType", "CreateRemoteThreadApiCall");
    source_and_target(w);
    map_fields f = {0};
    map_fields_copy(w, &f, "StartAddress", "StartAddress");
    map_fields_copy(w, &f, "StartModule", "StartModule");
    map_fields_copy(w, &f, "StartFunction", "StartFunction");
    map_fields_put(w, &f);
}

void map_sysmon_process_access(row_writer *w)
{
    int64_t ticks;
    map_sysmon_common(w, &ticks);
    map_put_cstr(w, "ActionType", "OpenProcessApiCall");
    source_and_target(w);
    map_fields f = {0};
    int64_t access;
    /* Sysmon writes the mask in hex ("0x1010"); Defender's DesiredAccess is the number. */
    if (map_field_long(w, "GrantedAccess", &access))
        map_fields_long(&f, "DesiredAccess", access);
    map_fields_copy(w, &f, "CallTrace", "CallTrace");
    map_fields_put(w, &f);
}

void map_sysmon_pipe(row_writer *w)
{
    int64_t ticks;
    map_sysmon_common(w, &ticks);
    map_put_cstr(w, "ActionType", "NamedPipeEvent");
    map_initiating_process(w, "Image", "ProcessId", "User");
    bool created = w->ev->event_id == 17;
    map_fields f = {0};
    map_fields_text(&f, "FileOperation", created ? "File created" : "File opened", created ? 12 : 11);
    map_fields_text(&f, "NamedPipeEnd", created ? "Server" : "Client", 6);
    size_t len;
    const char *pipe = map_field_text(w, "PipeName", &len);
    if (pipe && len && pipe[0] == '\\') {
        /* Sysmon writes \name; Defender writes the device path \Device\NamedPipe\name. */
        static const char prefix[] = "\\Device\\NamedPipe";
        char *full = kq_xmalloc(sizeof prefix - 1 + len);
        memcpy(full, prefix, sizeof prefix - 1);
        memcpy(full + sizeof prefix - 1, pipe, len);
        map_fields_text(&f, "PipeName", full, sizeof prefix - 1 + len);
        free(full);
    } else if (pipe && len) {
        map_fields_text(&f, "PipeName", pipe, len);
    }
    map_fields_put(w, &f);
}
