/*
 * Windows events rendered as JSON, in two forms:
 *
 * - evtx_dump: {"Event":{"System":{"Provider":{"#attributes":{"Name":...}},
 *   "EventID":1, "TimeCreated":{"#attributes":{"SystemTime":...}},
 *   "EventRecordID":..., "Computer":...}, "EventData":{...}}}
 * - NXLog im_msvistalog (flat): EventData fields at the top level beside
 *   EventID, SourceName, Channel, Hostname, RecordNumber, EventTime (the
 *   collector's local time), EventReceivedTime (local) and @timestamp (UTC).
 *
 * Both become a kq_winevent for the mapping in winevent_map/. An event with
 * no mapping is counted as skipped with the reason "unmapped event:
 * <provider> EID <n>".
 */
#include "sources/source_internal.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool kq_winevent_is_event(const json_t *object)
{
    const json_t *event = json_object_get(object, "Event");
    if (json_is_object(event) && json_is_object(json_object_get(event, "System")))
        return true;
    return json_object_get(object, "EventID") &&
           (json_is_string(json_object_get(object, "SourceName")) ||
            json_is_string(json_object_get(object, "Channel")));
}

static const json_t *attribute(const json_t *element, const char *name)
{
    return json_object_get(json_object_get(element, "#attributes"), name);
}

/* Reads a JSON integer, a decimal string, or evtx_dump's {"#text": n} form. */
static bool json_to_long(const json_t *value, int64_t *out)
{
    if (json_is_object(value))
        value = json_object_get(value, "#text");
    if (json_is_integer(value)) {
        *out = json_integer_value(value);
        return true;
    }
    if (json_is_string(value)) {
        const char *text = json_string_value(value);
        char *end;
        long long parsed = strtoll(text, &end, 10);
        if (end != text && *end == '\0') {
            *out = parsed;
            return true;
        }
    }
    return false;
}

static const char *json_text_or_empty(const json_t *value)
{
    return json_is_string(value) ? json_string_value(value) : "";
}

static bool parse_time(const json_t *value, int64_t *ticks)
{
    return json_is_string(value) && kq_datetime_parse(json_string_value(value), json_string_length(value), ticks);
}

static void read_evtx_dump(const json_t *event, kq_winevent *ev)
{
    const json_t *system = json_object_get(event, "System");
    ev->provider = json_text_or_empty(attribute(json_object_get(system, "Provider"), "Name"));
    if (!json_to_long(json_object_get(system, "EventID"), &ev->event_id))
        ev->event_id = -1;
    ev->computer = json_text_or_empty(json_object_get(system, "Computer"));
    ev->has_record_id = json_to_long(json_object_get(system, "EventRecordID"), &ev->record_id);
    ev->has_time_created =
        parse_time(attribute(json_object_get(system, "TimeCreated"), "SystemTime"), &ev->time_created);
    ev->data = json_object_get(event, "EventData");
    if (!json_is_object(ev->data)) {
        /* Some providers put their fields under UserData/<element>. */
        const json_t *user = json_object_get(event, "UserData");
        const char *key;
        json_t *inner;
        ev->data = NULL;
        json_object_foreach((json_t *)user, key, inner)
        {
            if (json_is_object(inner)) {
                ev->data = inner;
                break;
            }
        }
    }
}

/* Rounds a UTC offset to the nearest quarter hour, the granularity of real zone offsets. */
static int64_t round_to_quarter_hour(int64_t offset)
{
    int64_t quarter = 15 * KQ_TICKS_PER_MINUTE;
    int64_t half = quarter / 2;
    return (offset >= 0 ? offset + half : offset - half) / quarter * quarter;
}

/*
 * NXLog writes EventTime in the collector's local zone. Some exports carry
 * TimeCreated instead, which is local or UTC depending on the pipeline. The
 * first rule that applies wins:
 * 1. EventTime with an explicit timezone option: that zone.
 * 2. With @timestamp (UTC, when the shipper received the event): the zone
 *    offset is EventReceivedTime (or the event's own time) minus @timestamp,
 *    rounded to 15 minutes. The result is exact while shipping takes less
 *    than 7.5 minutes.
 * 3. TimeCreated with an explicit timezone option: that zone.
 * 4. Otherwise the local time is read as UTC, and with no local time the
 *    event's time is @timestamp.
 */
static bool nxlog_time(kq_load_context *ctx, const json_t *object, int64_t *ticks)
{
    int64_t local, received, shipped;
    bool explicit_zone = ctx->options && ctx->options->timezone;
    bool has_event_time = parse_time(json_object_get(object, "EventTime"), &local);
    if (has_event_time && explicit_zone) {
        *ticks = kq_tz_local_to_utc(&ctx->tz, local);
        return true;
    }
    bool has_local = has_event_time || parse_time(json_object_get(object, "TimeCreated"), &local);
    bool has_shipped = parse_time(json_object_get(object, "@timestamp"), &shipped);
    if (has_local && has_shipped) {
        if (!has_event_time || !parse_time(json_object_get(object, "EventReceivedTime"), &received))
            received = local;
        *ticks = local - round_to_quarter_hour(received - shipped);
        return true;
    }
    if (has_shipped) {
        *ticks = shipped;
        return true;
    }
    if (has_local) {
        *ticks = explicit_zone ? kq_tz_local_to_utc(&ctx->tz, local) : local;
        return true;
    }
    return false;
}

/* NXLog events without SourceName: the provider is the channel's first part ("Microsoft-Windows-Sysmon/Operational"). */
static const char *provider_from_channel(const char *channel, char *out, size_t size)
{
    if (strcmp(channel, "Security") == 0)
        return "Microsoft-Windows-Security-Auditing";
    const char *slash = strchr(channel, '/');
    size_t len = slash ? (size_t)(slash - channel) : strlen(channel);
    if (len >= size)
        len = size - 1;
    memcpy(out, channel, len);
    out[len] = '\0';
    return out;
}

static void read_nxlog(kq_load_context *ctx, const json_t *object, kq_winevent *ev, char *provider, size_t size)
{
    const json_t *source = json_object_get(object, "SourceName");
    ev->provider = json_is_string(source)
                       ? json_string_value(source)
                       : provider_from_channel(json_text_or_empty(json_object_get(object, "Channel")), provider, size);
    if (!json_to_long(json_object_get(object, "EventID"), &ev->event_id))
        ev->event_id = -1;
    ev->computer = json_text_or_empty(json_object_get(object, "Hostname"));
    ev->has_record_id = json_to_long(json_object_get(object, "RecordNumber"), &ev->record_id);
    ev->has_time_created = nxlog_time(ctx, object, &ev->time_created);
    ev->data = object;
}

void kq_winevent_load(kq_load_context *ctx, const json_t *object, const char *location)
{
    kq_winevent ev;
    memset(&ev, 0, sizeof ev);
    char provider[128];
    const json_t *event = json_object_get(object, "Event");
    if (json_is_object(event))
        read_evtx_dump(event, &ev);
    else
        read_nxlog(ctx, object, &ev, provider, sizeof provider);
    if (ev.data && kq_winevent_map(ctx, &ev))
        return;
    char reason[192];
    snprintf(reason, sizeof reason, "%s: %.128s EID %lld", ev.data ? "unmapped event" : "event without data fields",
             ev.provider[0] ? ev.provider : "unknown provider", (long long)ev.event_id);
    kq_file_report_skip(ctx->file, reason, location);
}
