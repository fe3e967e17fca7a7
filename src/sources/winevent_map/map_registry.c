/*
 * Registry events -> DeviceRegistryEvents:
 *   Sysmon 12 (key or value created or deleted) RegistryKeyCreated,
 *       RegistryKeyDeleted, RegistryValueDeleted
 *   Sysmon 13 (value set)                       RegistryValueSet
 *   Sysmon 14 (key or value renamed)            RegistryKeyRenamed,
 *       RegistryValueRenamed; the old name goes to the Previous columns
 * Sysmon writes hive names short (HKLM\, HKU\S-1-5-21-...\); Defender writes
 * them long, and a user's hive as HKEY_CURRENT_USER\<SID>\, so they are
 * rewritten. A value's path is split into RegistryKey and RegistryValueName.
 */
#include "sources/winevent_map/map.h"
#include "base/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *short_name, *long_name;
} hives[] = {
    {"HKLM", "HKEY_LOCAL_MACHINE"}, {"HKU", "HKEY_CURRENT_USER"},  {"HKCU", "HKEY_CURRENT_USER"},
    {"HKCR", "HKEY_CLASSES_ROOT"},  {"HKCC", "HKEY_CURRENT_CONFIG"},
};

/* Writes path[0..len) to column with its hive name spelled out. */
static void put_key(row_writer *w, const char *column, const char *path, size_t len)
{
    const char *slash = memchr(path, '\\', len);
    size_t hive_len = slash ? (size_t)(slash - path) : len;
    for (size_t i = 0; i < KQ_ARRAY_LEN(hives); i++) {
        if (!kq_ascii_ieq(path, hive_len, hives[i].short_name, strlen(hives[i].short_name)))
            continue;
        size_t long_len = strlen(hives[i].long_name);
        char *full = kq_xmalloc(long_len + len - hive_len + 1);
        memcpy(full, hives[i].long_name, long_len);
        memcpy(full + long_len, path + hive_len, len - hive_len);
        map_put_text(w, column, full, long_len + len - hive_len);
        free(full);
        return;
    }
    map_put_text(w, column, path, len);
}

/* Splits a value's path at its last '\' into the key and value-name columns. */
static void put_value_path(row_writer *w, const char *key_column, const char *name_column, const char *path, size_t len)
{
    size_t cut = len;
    while (cut > 0 && path[cut - 1] != '\\')
        cut--;
    if (cut == 0) {
        map_put_text(w, name_column, path, len);
        return;
    }
    put_key(w, key_column, path, cut - 1);
    map_put_text(w, name_column, path + cut, len - cut);
}

/* "DWORD (0x00000001)" -> Dword 1; "QWORD (0x00000001-0x00000002)" -> Qword; "Binary Data" -> Binary. */
static void put_value_data(row_writer *w)
{
    size_t len;
    const char *details = map_field_text(w, "Details", &len);
    if (!details)
        return;
    char copy[64];
    unsigned long long high, low;
    if (len < sizeof copy) {
        memcpy(copy, details, len);
        copy[len] = '\0';
        char tail;
        if (sscanf(copy, "DWORD (0x%llx)%c", &low, &tail) == 1) {
            char text[24];
            snprintf(text, sizeof text, "%llu", low & 0xFFFFFFFFull);
            map_put_cstr(w, "RegistryValueType", "Dword");
            map_put_cstr(w, "RegistryValueData", text);
            return;
        }
        if (sscanf(copy, "QWORD (0x%llx-0x%llx)%c", &high, &low, &tail) == 2) {
            char text[24];
            snprintf(text, sizeof text, "%" PRIu64, (uint64_t)(((high & 0xFFFFFFFFull) << 32) | (low & 0xFFFFFFFFull)));
            map_put_cstr(w, "RegistryValueType", "Qword");
            map_put_cstr(w, "RegistryValueData", text);
            return;
        }
        if (strcmp(copy, "Binary Data") == 0) {
            map_put_cstr(w, "RegistryValueType", "Binary");
            return;
        }
    }
    map_put_cstr(w, "RegistryValueType", "String");
    map_put_text(w, "RegistryValueData", details, len);
}

/* The ActionType for Sysmon's EventType; NULL for a type kqlite does not know. */
static const char *action_for(const char *type, size_t len, bool *is_value)
{
    static const struct {
        const char *event_type, *action;
        bool value;
    } actions[] = {
        {"CreateKey", "RegistryKeyCreated", false},    {"DeleteKey", "RegistryKeyDeleted", false},
        {"CreateValue", "RegistryValueSet", true},     {"DeleteValue", "RegistryValueDeleted", true},
        {"SetValue", "RegistryValueSet", true},        {"RenameKey", "RegistryKeyRenamed", false},
        {"RenameValue", "RegistryValueRenamed", true},
    };
    for (size_t i = 0; i < KQ_ARRAY_LEN(actions); i++)
        if (kq_ascii_ieq(type, len, actions[i].event_type, strlen(actions[i].event_type))) {
            *is_value = actions[i].value;
            return actions[i].action;
        }
    return NULL;
}

/*
 * NXLog writes its own EventType (INFO, AUDIT_SUCCESS) over Sysmon's, and some
 * collectors drop the field: the rendered Message still has "EventType: X".
 */
static const char *action_from_message(row_writer *w, bool *is_value)
{
    size_t len;
    const char *message = map_field_text(w, "Message", &len);
    static const char key[] = "EventType: ";
    const char *end = message ? message + len : NULL;
    for (const char *p = message; p && (size_t)(end - p) >= sizeof key - 1; p++) {
        if (memcmp(p, key, sizeof key - 1) != 0)
            continue;
        const char *type = p + sizeof key - 1, *stop = type;
        while (stop < end && *stop != '\r' && *stop != '\n')
            stop++;
        return action_for(type, (size_t)(stop - type), is_value);
    }
    return NULL;
}

void map_sysmon_registry(row_writer *w)
{
    int64_t ticks;
    map_sysmon_common(w, &ticks);
    size_t len = 0;
    const char *type = map_field_text(w, "EventType", &len);
    bool is_value = w->ev->event_id == 13;
    const char *action = type ? action_for(type, len, &is_value) : NULL;
    if (!action)
        action = action_from_message(w, &is_value);
    /* Without a type, 13 can only be a value set and 14 a rename; 12 stays without ActionType. */
    if (!action && w->ev->event_id == 13)
        action = "RegistryValueSet";
    if (!action && w->ev->event_id == 14)
        action = "RegistryKeyRenamed";
    if (action)
        map_put_cstr(w, "ActionType", action);
    const char *target = map_field_text(w, "TargetObject", &len);
    bool renamed = w->ev->event_id == 14;
    if (target && len) {
        if (is_value)
            put_value_path(w, renamed ? "PreviousRegistryKey" : "RegistryKey",
                           renamed ? "PreviousRegistryValueName" : "RegistryValueName", target, len);
        else
            put_key(w, renamed ? "PreviousRegistryKey" : "RegistryKey", target, len);
    }
    const char *new_name = renamed ? map_field_text(w, "NewName", &len) : NULL;
    if (new_name && len) {
        if (is_value)
            put_value_path(w, "RegistryKey", "RegistryValueName", new_name, len);
        else
            put_key(w, "RegistryKey", new_name, len);
    }
    if (w->ev->event_id == 13)
        put_value_data(w);
    map_initiating_process(w, "Image", "ProcessId", "User");
}
