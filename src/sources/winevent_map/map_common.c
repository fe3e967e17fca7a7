/*
 * Field helpers shared by the mappers, and the table that picks a mapper.
 *
 * Every mapped row gets these columns:
 *   DeviceName: the event's Computer, lower-cased as Defender writes it.
 *   DeviceId: SHA-1 hex of the lower-cased Computer, so a host keeps its id across files.
 *   ReportId: EventRecordID, or NXLog's RecordNumber.
 *   Timestamp: Sysmon's UtcTime, else the event's TimeCreated.
 */
#include "sources/winevent_map/map.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <nettle/sha1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading fields ---- */

const char *map_field_text(row_writer *w, const char *name, size_t *len)
{
    const json_t *value = json_object_get(w->ev->data, name);
    if (json_is_string(value)) {
        *len = json_string_length(value);
        return json_string_value(value);
    }
    if (json_is_integer(value)) {
        *len = (size_t)snprintf(w->scratch, sizeof w->scratch, "%lld", (long long)json_integer_value(value));
        return w->scratch;
    }
    if (json_is_boolean(value)) {
        *len = json_is_true(value) ? 4 : 5;
        return json_is_true(value) ? "true" : "false";
    }
    return NULL;
}

bool map_field_long(row_writer *w, const char *name, int64_t *out)
{
    const json_t *value = json_object_get(w->ev->data, name);
    if (json_is_integer(value)) {
        *out = json_integer_value(value);
        return true;
    }
    if (!json_is_string(value))
        return false;
    const char *text = json_string_value(value);
    char *end;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        if (!text[2])
            return false;
        unsigned long long parsed = strtoull(text + 2, &end, 16);
        if (*end)
            return false;
        *out = (int64_t)parsed;
        return true;
    }
    long long parsed = strtoll(text, &end, 10);
    if (end == text || *end)
        return false;
    *out = parsed;
    return true;
}

/* ---- writing columns ---- */

void map_put_text(row_writer *w, const char *column, const char *text, size_t len)
{
    int index = kq_table_builder_column(w->builder, column, strlen(column));
    kq_table_builder_set_text(w->builder, index, text, len);
}

void map_put_cstr(row_writer *w, const char *column, const char *text)
{
    map_put_text(w, column, text, strlen(text));
}

void map_put_long(row_writer *w, const char *column, int64_t value)
{
    int index = kq_table_builder_column(w->builder, column, strlen(column));
    kq_table_builder_set_value(w->builder, index, kq_long(value));
}

void map_put_datetime(row_writer *w, const char *column, int64_t ticks)
{
    int index = kq_table_builder_column(w->builder, column, strlen(column));
    kq_table_builder_set_datetime(w->builder, index, ticks);
}

void map_copy_text(row_writer *w, const char *column, const char *field)
{
    size_t len;
    const char *text = map_field_text(w, field, &len);
    if (text && !(len == 1 && text[0] == '-'))
        map_put_text(w, column, text, len);
}

void map_copy_long(row_writer *w, const char *column, const char *field)
{
    int64_t value;
    if (map_field_long(w, field, &value))
        map_put_long(w, column, value);
}

void map_copy_version_info(row_writer *w, const char *column, const char *field)
{
    size_t len;
    const char *text = map_field_text(w, field, &len);
    if (!text || (len == 1 && (text[0] == '-' || text[0] == '?')))
        return;
    map_put_text(w, column, text, len);
}

/* Returns the path field and the offset of its last part; NULL when it has no value. */
static const char *path_field(row_writer *w, const char *field, size_t *len, size_t *base)
{
    const char *path = map_field_text(w, field, len);
    if (!path || *len == 0 || (*len == 1 && path[0] == '-'))
        return NULL;
    *base = *len;
    while (*base > 0 && path[*base - 1] != '\\' && path[*base - 1] != '/')
        (*base)--;
    return path;
}

void map_copy_path(row_writer *w, const char *folder_column, const char *file_column, const char *field)
{
    size_t len, base;
    const char *path = path_field(w, field, &len, &base);
    if (!path)
        return;
    map_put_text(w, folder_column, path, len);
    map_put_text(w, file_column, path + base, len - base);
}

void map_copy_path_split(row_writer *w, const char *folder_column, const char *file_column, const char *field)
{
    size_t len, base;
    const char *path = path_field(w, field, &len, &base);
    if (!path)
        return;
    if (base > 0)
        map_put_text(w, folder_column, path, base - 1);
    map_put_text(w, file_column, path + base, len - base);
}

void map_copy_user(row_writer *w, const char *domain_column, const char *name_column, const char *field)
{
    size_t len;
    const char *user = map_field_text(w, field, &len);
    if (!user || len == 0 || (len == 1 && user[0] == '-'))
        return;
    const char *slash = memchr(user, '\\', len);
    if (slash) {
        map_put_text(w, domain_column, user, (size_t)(slash - user));
        map_put_text(w, name_column, slash + 1, len - (size_t)(slash - user) - 1);
    } else {
        map_put_text(w, name_column, user, len);
    }
}

/* The column for one "NAME=hex" item of a Sysmon Hashes field; NULL for IMPHASH and unknown names. */
static const char *hash_column(const char *name, size_t len)
{
    if (kq_ascii_ieq(name, len, "SHA1", 4))
        return "SHA1";
    if (kq_ascii_ieq(name, len, "MD5", 3))
        return "MD5";
    if (kq_ascii_ieq(name, len, "SHA256", 6))
        return "SHA256";
    return NULL;
}

void map_copy_hashes(row_writer *w, const char *prefix, const char *field)
{
    size_t len;
    const char *hashes = map_field_text(w, field, &len);
    if (!hashes)
        return;
    const char *end = hashes + len;
    for (const char *p = hashes; p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end;
        const char *equals = memchr(p, '=', (size_t)(item_end - p));
        const char *column = equals ? hash_column(p, (size_t)(equals - p)) : NULL;
        size_t hex_len = column ? (size_t)(item_end - equals - 1) : 0;
        if (column && hex_len <= 64) {
            char lower[65], name[64];
            for (size_t i = 0; i < hex_len; i++)
                lower[i] = (char)kq_ascii_lower((unsigned char)equals[1 + i]);
            snprintf(name, sizeof name, "%s%s", prefix, column);
            map_put_text(w, name, lower, hex_len);
        }
        p = item_end + 1;
    }
}

/* Defender's address types (RemoteIPType: Public, Private, Reserved, Loopback, Teredo, FourToSixMapping, Broadcast, ...). */
static const char *ipv4_type(const unsigned char *b)
{
    if (b[0] == 127)
        return "Loopback";
    if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168))
        return "Private";
    if (b[0] == 169 && b[1] == 254)
        return "LinkLocal";
    if (b[0] >= 224 && b[0] <= 239)
        return "Multicast";
    if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
        return "Broadcast";
    if (b[0] == 0 || b[0] >= 240)
        return "Reserved";
    return "Public";
}

static const char *ipv6_type(const unsigned char *b)
{
    static const unsigned char loopback[16] = {[15] = 1};
    static const unsigned char mapped[12] = {[10] = 0xFF, [11] = 0xFF};
    if (memcmp(b, loopback, 16) == 0)
        return "Loopback";
    if (memcmp(b, mapped, 12) == 0)
        return "FourToSixMapping";
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        return "Teredo";
    if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80)
        return "LinkLocal";
    if ((b[0] & 0xFE) == 0xFC)
        return "Private";
    if (b[0] == 0xFF)
        return "Multicast";
    return "Public";
}

void map_put_ip(row_writer *w, const char *column, const char *type_column, const char *text, size_t len)
{
    char copy[64], normal[INET6_ADDRSTRLEN];
    if (!text || len == 0 || len >= sizeof copy || (len == 1 && text[0] == '-'))
        return;
    memcpy(copy, text, len);
    copy[len] = '\0';
    unsigned char bytes[16];
    if (inet_pton(AF_INET, copy, bytes) == 1) {
        map_put_text(w, column, text, len);
        map_put_cstr(w, type_column, ipv4_type(bytes));
    } else if (inet_pton(AF_INET6, copy, bytes) == 1 && inet_ntop(AF_INET6, bytes, normal, sizeof normal)) {
        /* The standard text form: 0:0:0:0:0:0:0:1 -> ::1. */
        map_put_cstr(w, column, normal);
        map_put_cstr(w, type_column, ipv6_type(bytes));
    } else {
        map_put_text(w, column, text, len);
    }
}

void map_initiating_process(row_writer *w, const char *image, const char *process_id, const char *user)
{
    map_copy_path(w, "InitiatingProcessFolderPath", "InitiatingProcessFileName", image);
    map_copy_long(w, "InitiatingProcessId", process_id);
    if (user)
        map_copy_user(w, "InitiatingProcessAccountDomain", "InitiatingProcessAccountName", user);
}

void map_initiating_subject(row_writer *w)
{
    map_copy_text(w, "InitiatingProcessAccountSid", "SubjectUserSid");
    map_copy_text(w, "InitiatingProcessAccountName", "SubjectUserName");
    map_copy_text(w, "InitiatingProcessAccountDomain", "SubjectDomainName");
}

/* ---- common columns ---- */

void map_put_common(row_writer *w, int64_t timestamp, bool has_timestamp)
{
    const char *computer = w->ev->computer;
    size_t len = strlen(computer);
    if (len) {
        char *lower = kq_xstrndup(computer, len);
        for (size_t i = 0; i < len; i++)
            lower[i] = (char)kq_ascii_lower((unsigned char)lower[i]);
        struct sha1_ctx sha;
        uint8_t digest[SHA1_DIGEST_SIZE];
        sha1_init(&sha);
        sha1_update(&sha, len, (const uint8_t *)lower);
        sha1_digest(&sha, sizeof digest, digest);
        char id[2 * SHA1_DIGEST_SIZE + 1];
        for (size_t i = 0; i < sizeof digest; i++)
            snprintf(id + 2 * i, 3, "%02x", digest[i]);
        map_put_text(w, "DeviceName", lower, len);
        map_put_text(w, "DeviceId", id, 2 * SHA1_DIGEST_SIZE);
        free(lower);
    }
    if (w->ev->has_record_id)
        map_put_long(w, "ReportId", w->ev->record_id);
    if (has_timestamp)
        map_put_datetime(w, "Timestamp", timestamp);
}

bool map_sysmon_common(row_writer *w, int64_t *ticks)
{
    size_t len;
    const char *text = map_field_text(w, "UtcTime", &len);
    bool has_time = true;
    if (!text || !kq_datetime_parse(text, len, ticks)) {
        *ticks = w->ev->time_created;
        has_time = w->ev->has_time_created;
    }
    map_put_common(w, *ticks, has_time);
    return has_time;
}

/* ---- AdditionalFields ---- */

void map_fields_text(map_fields *f, const char *key, const char *text, size_t len)
{
    if (!f->object)
        f->object = json_object();
    json_object_set_new(f->object, key, json_stringn(text, len));
}

void map_fields_copy(row_writer *w, map_fields *f, const char *key, const char *field)
{
    size_t len;
    const char *text = map_field_text(w, field, &len);
    if (text && !(len == 1 && text[0] == '-'))
        map_fields_text(f, key, text, len);
}

void map_fields_long(map_fields *f, const char *key, int64_t value)
{
    if (!f->object)
        f->object = json_object();
    json_object_set_new(f->object, key, json_integer(value));
}

void map_fields_put(row_writer *w, map_fields *f)
{
    if (!f->object)
        return;
    char *text = json_dumps(f->object, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text)
        map_put_cstr(w, "AdditionalFields", text);
    free(text);
    json_decref(f->object);
    f->object = NULL;
}

/* ---- which mapper, which table ---- */

typedef struct mapping {
    bool sysmon; /* provider: Sysmon, else Security-Auditing */
    int64_t event_id;
    const char *table;
    void (*map)(row_writer *);
} mapping;

static const mapping mappings[] = {
    {true, 1, "DeviceProcessEvents", map_sysmon_process_created},
    {true, 3, "DeviceNetworkEvents", map_sysmon_network},
    {true, 5, "DeviceEvents", map_sysmon_process_terminated},
    {true, 6, "DeviceEvents", map_sysmon_driver_loaded},
    {true, 7, "DeviceImageLoadEvents", map_sysmon_image_loaded},
    {true, 8, "DeviceEvents", map_sysmon_remote_thread},
    {true, 10, "DeviceEvents", map_sysmon_process_access},
    {true, 11, "DeviceFileEvents", map_sysmon_file_created},
    {true, 12, "DeviceRegistryEvents", map_sysmon_registry},
    {true, 13, "DeviceRegistryEvents", map_sysmon_registry},
    {true, 14, "DeviceRegistryEvents", map_sysmon_registry},
    {true, 15, "DeviceFileEvents", map_sysmon_file_stream},
    {true, 17, "DeviceEvents", map_sysmon_pipe},
    {true, 18, "DeviceEvents", map_sysmon_pipe},
    {true, 22, "DeviceEvents", map_sysmon_dns},
    {true, 23, "DeviceFileEvents", map_sysmon_file_deleted},
    {true, 26, "DeviceFileEvents", map_sysmon_file_deleted},
    {false, 4624, "DeviceLogonEvents", map_security_logon},
    {false, 4625, "DeviceLogonEvents", map_security_logon},
    {false, 4688, "DeviceProcessEvents", map_security_process_created},
};

bool kq_winevent_map(kq_load_context *ctx, const kq_winevent *event)
{
    bool sysmon = strcmp(event->provider, SYSMON_PROVIDER) == 0;
    if (!sysmon && strcmp(event->provider, SECURITY_PROVIDER) != 0)
        return false;
    for (size_t i = 0; i < KQ_ARRAY_LEN(mappings); i++) {
        if (mappings[i].sysmon != sysmon || mappings[i].event_id != event->event_id)
            continue;
        row_writer w = {.ctx = ctx, .ev = event};
        w.builder = kq_context_builder(ctx, mappings[i].table);
        mappings[i].map(&w);
        kq_context_row_loaded(ctx, w.builder);
        return true;
    }
    return false;
}
