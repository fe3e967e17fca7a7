/*
 * Mapping of Windows events to Defender tables:
 *   Sysmon EID 1 (process creation)   -> DeviceProcessEvents, ActionType ProcessCreated
 *   Security EID 4688 (new process)   -> DeviceProcessEvents, ActionType ProcessCreated
 *   Sysmon EID 3 (network connection) -> DeviceNetworkEvents, ActionType
 *       ConnectionSuccess (outbound) or InboundConnectionAccepted (inbound)
 * docs/field-mapping.md lists every column and its source.
 *
 * Every mapped row gets these columns:
 *   DeviceName: the event's Computer, lower-cased as Defender writes it.
 *   DeviceId: SHA-1 hex of the lower-cased Computer, so a host keeps its id across files.
 *   ReportId: EventRecordID, or NXLog's RecordNumber.
 *   Timestamp: Sysmon's UtcTime, else the event's TimeCreated.
 */
#include "sources/source_internal.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYSMON_PROVIDER "Microsoft-Windows-Sysmon"
#define SECURITY_PROVIDER "Microsoft-Windows-Security-Auditing"

/* ---- SHA-1 (FIPS 180-4), for DeviceId ---- */

typedef struct sha1_state {
    uint32_t h[5];
    uint8_t block[64];
    size_t used;
    uint64_t total;
} sha1_state;

static uint32_t rotl(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(sha1_state *s, const uint8_t *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDC;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6;
        }
        uint32_t t = rotl(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rotl(b, 30);
        b = a;
        a = t;
    }
    s->h[0] += a;
    s->h[1] += b;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
}

static void sha1_update(sha1_state *s, const uint8_t *data, size_t len)
{
    s->total += len;
    while (len--) {
        s->block[s->used++] = *data++;
        if (s->used == 64) {
            sha1_block(s, s->block);
            s->used = 0;
        }
    }
}

static void sha1_hex(const char *text, size_t len, char out[41])
{
    sha1_state s = {{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0}, {0}, 0, 0};
    sha1_update(&s, (const uint8_t *)text, len);
    uint64_t bits = s.total * 8;
    uint8_t pad = 0x80;
    sha1_update(&s, &pad, 1);
    pad = 0;
    while (s.used != 56)
        sha1_update(&s, &pad, 1);
    for (int i = 7; i >= 0; i--) {
        uint8_t byte = (uint8_t)(bits >> (8 * i));
        sha1_update(&s, &byte, 1);
    }
    for (int i = 0; i < 5; i++)
        snprintf(out + 8 * i, 9, "%08x", s.h[i]);
}

/* ---- field access ---- */

typedef struct row_writer {
    kq_load_context *ctx;
    kq_table_builder *builder;
    const kq_winevent *ev;
    char scratch[32]; /* text of a numeric field */
} row_writer;

/* Returns a data field as text (numbers formatted); NULL when absent or null. */
static const char *field_text(row_writer *w, const char *name, size_t *len)
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

/* Reads a decimal or 0x-prefixed hexadecimal number (LogonId 0x3e7, NewProcessId 0x1dc). */
static bool field_long(row_writer *w, const char *name, int64_t *out)
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

static void put_text(row_writer *w, const char *column, const char *text, size_t len)
{
    int index = kq_table_builder_column(w->builder, column, strlen(column));
    kq_table_builder_set_text(w->builder, index, text, len);
}

static void put_long(row_writer *w, const char *column, int64_t value)
{
    int index = kq_table_builder_column(w->builder, column, strlen(column));
    kq_table_builder_set_value(w->builder, index, kq_long(value));
}

static void put_datetime(row_writer *w, const char *column, int64_t ticks)
{
    int index = kq_table_builder_column(w->builder, column, strlen(column));
    kq_table_builder_set_datetime(w->builder, index, ticks);
}

static void copy_text(row_writer *w, const char *column, const char *field)
{
    size_t len;
    const char *text = field_text(w, field, &len);
    if (text)
        put_text(w, column, text, len);
}

static void copy_long(row_writer *w, const char *column, const char *field)
{
    int64_t value;
    if (field_long(w, field, &value))
        put_long(w, column, value);
}

/* Sysmon writes "-" (and older versions "?") for version-info fields it could not read. */
static void copy_version_info(row_writer *w, const char *column, const char *field)
{
    size_t len;
    const char *text = field_text(w, field, &len);
    if (!text || (len == 1 && (text[0] == '-' || text[0] == '?')))
        return;
    put_text(w, column, text, len);
}

/* Splits a Windows path into FolderPath (the full path, as Defender's process tables hold it) and FileName. */
static void copy_path(row_writer *w, const char *folder_column, const char *file_column, const char *field)
{
    size_t len;
    const char *path = field_text(w, field, &len);
    if (!path || len == 0 || (len == 1 && path[0] == '-'))
        return;
    size_t base = len;
    while (base > 0 && path[base - 1] != '\\' && path[base - 1] != '/')
        base--;
    put_text(w, folder_column, path, len);
    put_text(w, file_column, path + base, len - base);
}

/* Splits "DOMAIN\user" into the domain and name columns; a name without '\' has no domain. */
static void copy_user(row_writer *w, const char *domain_column, const char *name_column, const char *field)
{
    size_t len;
    const char *user = field_text(w, field, &len);
    if (!user || len == 0 || (len == 1 && user[0] == '-'))
        return;
    const char *slash = memchr(user, '\\', len);
    if (slash) {
        put_text(w, domain_column, user, (size_t)(slash - user));
        put_text(w, name_column, slash + 1, len - (size_t)(slash - user) - 1);
    } else {
        put_text(w, name_column, user, len);
    }
}

/* Splits "SHA1=..,MD5=..,SHA256=..,IMPHASH=.." into lower-case hash columns (IMPHASH has none). */
static void copy_hashes(row_writer *w, const char *prefix)
{
    size_t len;
    const char *hashes = field_text(w, "Hashes", &len);
    if (!hashes)
        return;
    const char *end = hashes + len;
    for (const char *p = hashes; p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end;
        const char *equals = memchr(p, '=', (size_t)(item_end - p));
        if (equals) {
            size_t name_len = (size_t)(equals - p);
            const char *column = NULL;
            if (kq_ascii_ieq(p, name_len, "SHA1", 4))
                column = "SHA1";
            else if (kq_ascii_ieq(p, name_len, "MD5", 3))
                column = "MD5";
            else if (kq_ascii_ieq(p, name_len, "SHA256", 6))
                column = "SHA256";
            size_t hex_len = (size_t)(item_end - equals - 1);
            if (column && hex_len <= 64) {
                char lower[65], name[64];
                for (size_t i = 0; i < hex_len; i++)
                    lower[i] = (char)kq_ascii_lower((unsigned char)equals[1 + i]);
                snprintf(name, sizeof name, "%s%s", prefix, column);
                put_text(w, name, lower, hex_len);
            }
        }
        p = item_end + 1;
    }
}

static void put_common(row_writer *w, int64_t timestamp, bool has_timestamp)
{
    const char *computer = w->ev->computer;
    size_t len = strlen(computer);
    if (len) {
        char *lower = kq_xstrndup(computer, len);
        for (size_t i = 0; i < len; i++)
            lower[i] = (char)kq_ascii_lower((unsigned char)lower[i]);
        char id[41];
        sha1_hex(lower, len, id);
        put_text(w, "DeviceName", lower, len);
        put_text(w, "DeviceId", id, 40);
        free(lower);
    }
    if (w->ev->has_record_id)
        put_long(w, "ReportId", w->ev->record_id);
    if (has_timestamp)
        put_datetime(w, "Timestamp", timestamp);
}

/* Sysmon's UtcTime ("2019-05-12 13:55:56.610", UTC, millisecond precision), else TimeCreated. */
static bool sysmon_time(row_writer *w, int64_t *ticks)
{
    size_t len;
    const char *text = field_text(w, "UtcTime", &len);
    if (text && kq_datetime_parse(text, len, ticks))
        return true;
    *ticks = w->ev->time_created;
    return w->ev->has_time_created;
}

static void map_sysmon_process(row_writer *w)
{
    int64_t ticks;
    bool has_time = sysmon_time(w, &ticks);
    put_common(w, ticks, has_time);
    if (has_time)
        put_datetime(w, "ProcessCreationTime", ticks);
    put_text(w, "ActionType", "ProcessCreated", 14);
    copy_path(w, "FolderPath", "FileName", "Image");
    copy_long(w, "ProcessId", "ProcessId");
    copy_text(w, "ProcessCommandLine", "CommandLine");
    copy_hashes(w, "");
    copy_version_info(w, "ProcessVersionInfoCompanyName", "Company");
    copy_version_info(w, "ProcessVersionInfoProductName", "Product");
    copy_version_info(w, "ProcessVersionInfoFileDescription", "Description");
    copy_version_info(w, "ProcessVersionInfoProductVersion", "FileVersion");
    copy_version_info(w, "ProcessVersionInfoOriginalFileName", "OriginalFileName");
    copy_text(w, "ProcessIntegrityLevel", "IntegrityLevel");
    copy_user(w, "AccountDomain", "AccountName", "User");
    copy_long(w, "LogonId", "LogonId");
    copy_path(w, "InitiatingProcessFolderPath", "InitiatingProcessFileName", "ParentImage");
    copy_long(w, "InitiatingProcessId", "ParentProcessId");
    copy_text(w, "InitiatingProcessCommandLine", "ParentCommandLine");
    copy_user(w, "InitiatingProcessAccountDomain", "InitiatingProcessAccountName", "ParentUser");
}

/* ---- Security 4688 ---- */

static void copy_token_elevation(row_writer *w)
{
    size_t len;
    const char *text = field_text(w, "TokenElevationType", &len);
    if (!text)
        return;
    /* %%1936 is documented as a full token (type 1); 1937 and 1938 follow as types 2 and 3. */
    const char *value = NULL;
    if (kq_ascii_ieq(text, len, "%%1936", 6))
        value = "TokenElevationTypeDefault";
    else if (kq_ascii_ieq(text, len, "%%1937", 6))
        value = "TokenElevationTypeFull";
    else if (kq_ascii_ieq(text, len, "%%1938", 6))
        value = "TokenElevationTypeLimited";
    if (value)
        put_text(w, "ProcessTokenElevation", value, strlen(value));
}

static void copy_integrity_level(row_writer *w)
{
    static const struct {
        const char *sid, *level;
    } levels[] = {{"S-1-16-0", "Untrusted"}, {"S-1-16-4096", "Low"},     {"S-1-16-8192", "Medium"},
                  {"S-1-16-8448", "Medium"},  {"S-1-16-12288", "High"}, {"S-1-16-16384", "System"},
                  {"S-1-16-20480", "Protected"}};
    size_t len;
    const char *sid = field_text(w, "MandatoryLabel", &len);
    if (!sid)
        return;
    for (size_t i = 0; i < KQ_ARRAY_LEN(levels); i++)
        if (kq_ascii_ieq(sid, len, levels[i].sid, strlen(levels[i].sid)))
            put_text(w, "ProcessIntegrityLevel", levels[i].level, strlen(levels[i].level));
}

static void map_security_4688(row_writer *w)
{
    put_common(w, w->ev->time_created, w->ev->has_time_created);
    if (w->ev->has_time_created)
        put_datetime(w, "ProcessCreationTime", w->ev->time_created);
    put_text(w, "ActionType", "ProcessCreated", 14);
    copy_path(w, "FolderPath", "FileName", "NewProcessName");
    copy_long(w, "ProcessId", "NewProcessId");
    copy_text(w, "ProcessCommandLine", "CommandLine");
    copy_long(w, "InitiatingProcessId", "ProcessId");
    copy_path(w, "InitiatingProcessFolderPath", "InitiatingProcessFileName", "ParentProcessName");
    copy_text(w, "InitiatingProcessAccountSid", "SubjectUserSid");
    copy_text(w, "InitiatingProcessAccountName", "SubjectUserName");
    copy_text(w, "InitiatingProcessAccountDomain", "SubjectDomainName");
    copy_long(w, "InitiatingProcessLogonId", "SubjectLogonId");
    copy_token_elevation(w);
    copy_integrity_level(w);

    /* A Target SID of S-1-0-0 (NULL SID), or none in version 0/1 events, means the process runs as the Subject. */
    size_t len;
    const char *target_sid = field_text(w, "TargetUserSid", &len);
    bool as_subject = !target_sid || kq_ascii_ieq(target_sid, len, "S-1-0-0", 7);
    copy_text(w, "AccountSid", as_subject ? "SubjectUserSid" : "TargetUserSid");
    copy_text(w, "AccountName", as_subject ? "SubjectUserName" : "TargetUserName");
    copy_text(w, "AccountDomain", as_subject ? "SubjectDomainName" : "TargetDomainName");
    copy_long(w, "LogonId", as_subject ? "SubjectLogonId" : "TargetLogonId");
}

/* ---- Sysmon EID 3 ---- */

/* Writes an IP address in its standard text form (IPv6 compressed: 0:0:0:0:0:0:0:1 -> ::1). */
static void put_ip(row_writer *w, const char *column, const char *type_column, const char *text, size_t len)
{
    char copy[64], normal[INET6_ADDRSTRLEN];
    if (!text || len == 0 || len >= sizeof copy)
        return;
    memcpy(copy, text, len);
    copy[len] = '\0';
    unsigned char bytes[16];
    const char *type = NULL;
    if (inet_pton(AF_INET, copy, bytes) == 1) {
        if (bytes[0] == 127)
            type = "Loopback";
        else if (bytes[0] == 10 || (bytes[0] == 172 && (bytes[1] & 0xF0) == 16) || (bytes[0] == 192 && bytes[1] == 168))
            type = "Private";
        else if (bytes[0] == 169 && bytes[1] == 254)
            type = "LinkLocal";
        else if (bytes[0] >= 224 && bytes[0] <= 239)
            type = "Multicast";
        else if (bytes[0] == 0 || (bytes[0] == 255 && bytes[1] == 255 && bytes[2] == 255 && bytes[3] == 255))
            type = "Reserved";
        else
            type = "Public";
    } else if (inet_pton(AF_INET6, copy, bytes) == 1 && inet_ntop(AF_INET6, bytes, normal, sizeof normal)) {
        static const unsigned char loopback[16] = {[15] = 1};
        if (memcmp(bytes, loopback, 16) == 0)
            type = "Loopback";
        else if (bytes[0] == 0xFE && (bytes[1] & 0xC0) == 0x80)
            type = "LinkLocal";
        else if ((bytes[0] & 0xFE) == 0xFC)
            type = "Private";
        else if (bytes[0] == 0xFF)
            type = "Multicast";
        else
            type = "Public";
        put_text(w, column, normal, strlen(normal));
        put_text(w, type_column, type, strlen(type));
        return;
    }
    put_text(w, column, text, len);
    if (type)
        put_text(w, type_column, type, strlen(type));
}

static bool is_true_text(const char *text, size_t len)
{
    return text && kq_ascii_ieq(text, len, "true", 4);
}

/* Hostnames of "-" mean Sysmon did not resolve the address. */
static void copy_hostname(row_writer *w, const char *column, const char *field)
{
    size_t len;
    const char *text = field_text(w, field, &len);
    if (text && len && !(len == 1 && text[0] == '-'))
        put_text(w, column, text, len);
}

static void map_sysmon_network(row_writer *w)
{
    int64_t ticks;
    bool has_time = sysmon_time(w, &ticks);
    put_common(w, ticks, has_time);
    size_t len;
    const char *initiated = field_text(w, "Initiated", &len);
    bool outbound = is_true_text(initiated, len);
    put_text(w, "ActionType", outbound ? "ConnectionSuccess" : "InboundConnectionAccepted",
             outbound ? 17 : 25);
    const char *local = outbound ? "Source" : "Destination";
    const char *remote = outbound ? "Destination" : "Source";
    char name[40];
    size_t ip_len;
    snprintf(name, sizeof name, "%sIp", local);
    const char *ip = field_text(w, name, &ip_len);
    put_ip(w, "LocalIP", "LocalIPType", ip, ip ? ip_len : 0);
    snprintf(name, sizeof name, "%sPort", local);
    copy_long(w, "LocalPort", name);
    snprintf(name, sizeof name, "%sIp", remote);
    ip = field_text(w, name, &ip_len);
    put_ip(w, "RemoteIP", "RemoteIPType", ip, ip ? ip_len : 0);
    snprintf(name, sizeof name, "%sPort", remote);
    copy_long(w, "RemotePort", name);
    snprintf(name, sizeof name, "%sHostname", remote);
    copy_hostname(w, "RemoteUrl", name);

    const char *protocol = field_text(w, "Protocol", &len);
    if (protocol && len > 0 && len < 16) {
        /* Sysmon writes tcp/udp; Defender writes Tcp/Udp. */
        char cased[16];
        for (size_t i = 0; i < len; i++)
            cased[i] = (char)(i == 0 ? protocol[i] - (protocol[i] >= 'a' && protocol[i] <= 'z' ? 32 : 0)
                                     : kq_ascii_lower((unsigned char)protocol[i]));
        put_text(w, "Protocol", cased, len);
    }
    copy_path(w, "InitiatingProcessFolderPath", "InitiatingProcessFileName", "Image");
    copy_long(w, "InitiatingProcessId", "ProcessId");
    copy_user(w, "InitiatingProcessAccountDomain", "InitiatingProcessAccountName", "User");
}

bool kq_sysmon_map_event(kq_load_context *ctx, const kq_winevent *event)
{
    void (*map)(row_writer *) = NULL;
    const char *table = NULL;
    if (strcmp(event->provider, SYSMON_PROVIDER) == 0 && event->event_id == 1) {
        map = map_sysmon_process;
        table = "DeviceProcessEvents";
    } else if (strcmp(event->provider, SYSMON_PROVIDER) == 0 && event->event_id == 3) {
        map = map_sysmon_network;
        table = "DeviceNetworkEvents";
    } else if (strcmp(event->provider, SECURITY_PROVIDER) == 0 && event->event_id == 4688) {
        map = map_security_4688;
        table = "DeviceProcessEvents";
    }
    if (!map)
        return false;
    row_writer w = {.ctx = ctx, .ev = event};
    w.builder = kq_context_builder(ctx, table);
    map(&w);
    kq_context_row_loaded(ctx, w.builder);
    return true;
}
