/*
 * Network events:
 *   Sysmon 3 (network connection) -> DeviceNetworkEvents, ConnectionSuccess
 *       (outbound) or InboundConnectionAccepted (inbound)
 *   Sysmon 22 (DNS query)         -> DeviceEvents, DnsQueryResponse, with the
 *       query in AdditionalFields.DnsQueryString as Defender writes it
 */
#include "sources/winevent_map/map.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>

static bool is_true_text(const char *text, size_t len)
{
    return text && kq_ascii_ieq(text, len, "true", 4);
}

/* Sysmon writes tcp/udp; Defender writes Tcp/Udp. */
static void copy_protocol(row_writer *w)
{
    size_t len;
    const char *protocol = map_field_text(w, "Protocol", &len);
    if (!protocol || len == 0 || len >= 16)
        return;
    char cased[16];
    cased[0] = (char)(protocol[0] >= 'a' && protocol[0] <= 'z' ? protocol[0] - 32 : protocol[0]);
    for (size_t i = 1; i < len; i++)
        cased[i] = (char)kq_ascii_lower((unsigned char)protocol[i]);
    map_put_text(w, "Protocol", cased, len);
}

/* Writes the IP, type and port of one end ("Source" or "Destination") to prefix+IP/IPType/Port. */
static void copy_end(row_writer *w, const char *end, const char *prefix)
{
    char field[40], column[40], type_column[40];
    size_t len;
    snprintf(field, sizeof field, "%sIp", end);
    snprintf(column, sizeof column, "%sIP", prefix);
    snprintf(type_column, sizeof type_column, "%sIPType", prefix);
    const char *ip = map_field_text(w, field, &len);
    map_put_ip(w, column, type_column, ip, ip ? len : 0);
    snprintf(field, sizeof field, "%sPort", end);
    snprintf(column, sizeof column, "%sPort", prefix);
    map_copy_long(w, column, field);
}

void map_sysmon_network(row_writer *w)
{
    int64_t ticks;
    map_sysmon_common(w, &ticks);
    size_t len;
    const char *initiated = map_field_text(w, "Initiated", &len);
    bool outbound = is_true_text(initiated, len);
    map_put_cstr(w, "ActionType", outbound ? "ConnectionSuccess" : "InboundConnectionAccepted");
    const char *local = outbound ? "Source" : "Destination";
    const char *remote = outbound ? "Destination" : "Source";
    copy_end(w, local, "Local");
    copy_end(w, remote, "Remote");
    /* Hostnames of "-" mean Sysmon did not resolve the address. */
    char field[40];
    snprintf(field, sizeof field, "%sHostname", remote);
    map_copy_text(w, "RemoteUrl", field);
    copy_protocol(w);
    map_initiating_process(w, "Image", "ProcessId", "User");
}

void map_sysmon_dns(row_writer *w)
{
    int64_t ticks;
    map_sysmon_common(w, &ticks);
    map_put_cstr(w, "ActionType", "DnsQueryResponse");
    map_initiating_process(w, "Image", "ProcessId", "User");
    map_fields f = {0};
    map_fields_copy(w, &f, "DnsQueryString", "QueryName");
    map_fields_copy(w, &f, "DnsQueryStatus", "QueryStatus");
    map_fields_copy(w, &f, "DnsQueryResult", "QueryResults");
    map_fields_put(w, &f);
}
