/*
 * Time-zone conversions: datetime_utc_to_local and datetime_local_to_utc.
 *
 * Zones come from the system's IANA tz database: the TZif files (RFC 8536)
 * under /usr/share/zoneinfo, read here directly so that no process-wide TZ
 * setting is touched. Times past a file's last transition follow the POSIX TZ
 * rule in the file's footer ("CET-1CEST,M3.5.0,M10.5.0/3").
 * The functions are registered in time_functions.c.
 */
#include "functions/registry.h"
#include "base/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONEINFO_DIR "/usr/share/zoneinfo"
#define MAX_ZONE_NAME 128
#define MAX_CACHED_ZONES 64
#define SECONDS_PER_DAY 86400

/* One transition date of a POSIX TZ rule: kind 'J' (Jn), 'n' (zero-based day) or 'M' (Mm.w.d). */
typedef struct rule_date {
    char kind;
    int month, week, weekday, day;
    int32_t time; /* seconds after local midnight; may be negative or past 24h */
} rule_date;

/* The POSIX TZ string from a TZif footer. Offsets are seconds east of UTC. */
typedef struct posix_rule {
    bool present, has_dst;
    int32_t std_offset, dst_offset;
    rule_date start, end;
} posix_rule;

typedef struct tz_zone {
    char name[MAX_ZONE_NAME + 1];
    uint32_t count;          /* transitions */
    int64_t *times;          /* transition instants, Unix seconds, ascending */
    int32_t *offsets;        /* UTC offset in force from each transition on */
    int32_t initial_offset;  /* offset before the first transition (local time type 0) */
    posix_rule rule;
} tz_zone;

/* ---- TZif reading ---- */

static uint32_t read_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t read_be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)read_be32(p) << 32 | read_be32(p + 4));
}

/* Reads a POSIX offset "[+-]hh[:mm[:ss]]" (hours up to 167); returns seconds or false. */
static bool read_posix_time(const char **p, int32_t *seconds)
{
    const char *s = *p;
    int sign = 1;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    int32_t parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            if (*s != ':')
                break;
            s++;
        }
        if (*s < '0' || *s > '9')
            return false;
        int value = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 3) {
            value = value * 10 + (*s++ - '0');
            digits++;
        }
        parts[i] = value;
    }
    if (parts[0] > 167 || parts[1] > 59 || parts[2] > 59)
        return false;
    *seconds = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    *p = s;
    return true;
}

/* Skips a zone abbreviation: letters, or anything inside <...>. */
static bool skip_abbreviation(const char **p)
{
    const char *s = *p;
    if (*s == '<') {
        const char *close = strchr(s, '>');
        if (!close)
            return false;
        *p = close + 1;
        return true;
    }
    while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
        s++;
    if (s - *p < 3)
        return false;
    *p = s;
    return true;
}

static bool read_small_int(const char **p, int max, int *value)
{
    const char *s = *p;
    int v = 0, digits = 0;
    while (*s >= '0' && *s <= '9' && digits < 4) {
        v = v * 10 + (*s++ - '0');
        digits++;
    }
    if (digits == 0 || v > max)
        return false;
    *value = v;
    *p = s;
    return true;
}

static bool read_rule_date(const char **p, rule_date *date)
{
    const char *s = *p;
    date->time = 7200; /* POSIX default: 02:00 local time */
    if (*s == 'M') {
        s++;
        date->kind = 'M';
        if (!read_small_int(&s, 12, &date->month) || *s++ != '.' || !read_small_int(&s, 5, &date->week) ||
            *s++ != '.' || !read_small_int(&s, 6, &date->weekday) || date->month < 1 || date->week < 1)
            return false;
    } else if (*s == 'J') {
        s++;
        date->kind = 'J';
        if (!read_small_int(&s, 365, &date->day) || date->day < 1)
            return false;
    } else {
        date->kind = 'n';
        if (!read_small_int(&s, 365, &date->day))
            return false;
    }
    if (*s == '/') {
        s++;
        if (!read_posix_time(&s, &date->time))
            return false;
    }
    *p = s;
    return true;
}

/* Parses a POSIX TZ string such as "EST5EDT,M3.2.0,M11.1.0". POSIX offsets count west, so signs flip. */
static bool parse_posix_rule(const char *text, posix_rule *rule)
{
    const char *s = text;
    int32_t value;
    memset(rule, 0, sizeof *rule);
    if (!skip_abbreviation(&s) || !read_posix_time(&s, &value))
        return false;
    rule->std_offset = -value;
    rule->present = true;
    if (*s == '\0')
        return true;
    if (!skip_abbreviation(&s))
        return false;
    rule->has_dst = true;
    rule->dst_offset = rule->std_offset + 3600;
    if (*s != ',' && *s != '\0') {
        if (!read_posix_time(&s, &value))
            return false;
        rule->dst_offset = -value;
    }
    if (*s != ',')
        return false; /* a DST zone with no rule: not produced by zic for current data */
    s++;
    if (!read_rule_date(&s, &rule->start) || *s++ != ',' || !read_rule_date(&s, &rule->end))
        return false;
    return *s == '\0';
}

/*
 * Parses the version 2+ body of a TZif file (64-bit transition times) and its
 * footer into zone. Version 1 files, which lack the 64-bit body, are rejected.
 */
static bool parse_tzif(const unsigned char *data, size_t len, tz_zone *zone)
{
    if (len < 44 || memcmp(data, "TZif", 4) != 0 || data[4] < '2')
        return false;
    /* Skip the version 1 body: its header counts say how long it is. */
    uint32_t isutcnt = read_be32(data + 20), isstdcnt = read_be32(data + 24), leapcnt = read_be32(data + 28);
    uint32_t timecnt = read_be32(data + 32), typecnt = read_be32(data + 36), charcnt = read_be32(data + 40);
    uint64_t v1_size = (uint64_t)timecnt * 5 + (uint64_t)typecnt * 6 + charcnt + (uint64_t)leapcnt * 8 + isstdcnt + isutcnt;
    if (44 + v1_size + 44 > len)
        return false;
    const unsigned char *h = data + 44 + v1_size;
    if (memcmp(h, "TZif", 4) != 0)
        return false;
    isutcnt = read_be32(h + 20), isstdcnt = read_be32(h + 24), leapcnt = read_be32(h + 28);
    timecnt = read_be32(h + 32), typecnt = read_be32(h + 36), charcnt = read_be32(h + 40);
    uint64_t body = (uint64_t)timecnt * 9 + (uint64_t)typecnt * 6 + charcnt + (uint64_t)leapcnt * 12 + isstdcnt + isutcnt;
    const unsigned char *p = h + 44;
    if (typecnt == 0 || typecnt > 256 || (uint64_t)(p - data) + body > len)
        return false;
    const unsigned char *indexes = p + (size_t)timecnt * 8, *types = indexes + timecnt;
    zone->count = timecnt;
    zone->times = kq_xmalloc((timecnt ? timecnt : 1) * sizeof *zone->times);
    zone->offsets = kq_xmalloc((timecnt ? timecnt : 1) * sizeof *zone->offsets);
    for (uint32_t i = 0; i < timecnt; i++) {
        if (indexes[i] >= typecnt)
            return false;
        zone->times[i] = read_be64(p + (size_t)i * 8);
        zone->offsets[i] = (int32_t)read_be32(types + (size_t)indexes[i] * 6);
    }
    zone->initial_offset = (int32_t)read_be32(types);
    /* The footer is "\n<POSIX TZ string>\n" after the body. */
    const char *footer = (const char *)p + body;
    size_t footer_len = len - (size_t)(p + body - data);
    if (footer_len >= 2 && footer[0] == '\n') {
        const char *end = memchr(footer + 1, '\n', footer_len - 1);
        if (end && end - footer - 1 < 128) {
            char text[128];
            memcpy(text, footer + 1, (size_t)(end - footer - 1));
            text[end - footer - 1] = '\0';
            if (text[0] != '\0' && !parse_posix_rule(text, &zone->rule))
                zone->rule.present = false;
        }
    }
    return true;
}

static void free_zone(tz_zone *zone)
{
    free(zone->times);
    free(zone->offsets);
    free(zone);
}

/* IANA names are letters, digits, '_', '+', '-' and '/' between non-empty parts; no "." or "..". */
static bool is_valid_zone_name(kq_str name)
{
    if (name.len == 0 || name.len > MAX_ZONE_NAME || name.ptr[0] == '/' || name.ptr[name.len - 1] == '/')
        return false;
    for (uint32_t i = 0; i < name.len; i++) {
        char c = name.ptr[i];
        bool ok = kq_is_alnum((unsigned char)c) || c == '_' || c == '+' || c == '-' || c == '/';
        if (!ok || (c == '/' && name.ptr[i + 1] == '/'))
            return false;
    }
    return true;
}

static tz_zone *load_zone(kq_str name)
{
    char path[sizeof ZONEINFO_DIR + MAX_ZONE_NAME + 2];
    snprintf(path, sizeof path, "%s/%.*s", ZONEINFO_DIR, (int)name.len, name.ptr);
    size_t len;
    unsigned char *data = (unsigned char *)kq_read_file(path, &len);
    if (!data)
        return NULL;
    tz_zone *zone = kq_xcalloc(1, sizeof *zone);
    memcpy(zone->name, name.ptr, name.len);
    bool ok = parse_tzif(data, len, zone);
    free(data);
    if (!ok) {
        free_zone(zone);
        return NULL;
    }
    return zone;
}

/* Parsed zones, kept for the life of the process; the mutex guards the table, zones are read-only. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static tz_zone *cached_zones[MAX_CACHED_ZONES];
static size_t cached_count;

/*
 * Finds a zone, loading it on first use. Sets *owned when the caller must
 * free the zone because the cache is full.
 */
static tz_zone *find_zone(kq_str name, bool *owned)
{
    *owned = false;
    if (!is_valid_zone_name(name))
        return NULL;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < cached_count; i++) {
        if (strlen(cached_zones[i]->name) == name.len && memcmp(cached_zones[i]->name, name.ptr, name.len) == 0) {
            tz_zone *zone = cached_zones[i];
            pthread_mutex_unlock(&cache_lock);
            return zone;
        }
    }
    tz_zone *zone = load_zone(name);
    if (zone && cached_count < MAX_CACHED_ZONES)
        cached_zones[cached_count++] = zone;
    else if (zone)
        *owned = true;
    pthread_mutex_unlock(&cache_lock);
    return zone;
}

/* ---- offsets ---- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468; /* days since 1970-01-01 */
}

static bool leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Unix seconds of a rule date's local midnight in year y, plus its time of day. */
static int64_t rule_local_seconds(const rule_date *date, int64_t year)
{
    int64_t days;
    if (date->kind == 'J') {
        days = days_from_civil(year, 1, 1) + date->day - 1;
        if (leap_year(year) && date->day >= 60)
            days++;
    } else if (date->kind == 'n') {
        days = days_from_civil(year, 1, 1) + date->day;
    } else {
        static const int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int length = lengths[date->month - 1] + (date->month == 2 && leap_year(year));
        int64_t first = days_from_civil(year, date->month, 1);
        int first_weekday = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
        int day = 1 + (date->weekday - first_weekday + 7) % 7 + (date->week - 1) * 7;
        while (day > length)
            day -= 7;
        days = first + day - 1;
    }
    return days * SECONDS_PER_DAY + date->time;
}

static int32_t rule_offset_at(const posix_rule *rule, int64_t t)
{
    if (!rule->has_dst)
        return rule->std_offset;
    int64_t local_days = (t + rule->std_offset) / SECONDS_PER_DAY - (t + rule->std_offset < 0);
    /* Year of the local date, from days since 1970 (inverse of days_from_civil, year only). */
    int64_t year = 1970 + local_days / 366;
    while (days_from_civil(year + 1, 1, 1) <= local_days)
        year++;
    while (days_from_civil(year, 1, 1) > local_days)
        year--;
    int64_t start = rule_local_seconds(&rule->start, year) - rule->std_offset;
    int64_t end = rule_local_seconds(&rule->end, year) - rule->dst_offset;
    bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? rule->dst_offset : rule->std_offset;
}

/* UTC offset in seconds of the zone at Unix time t. */
static int32_t zone_offset_at(const tz_zone *zone, int64_t t)
{
    if (zone->count == 0 || t < zone->times[0])
        return zone->count == 0 && zone->rule.present ? rule_offset_at(&zone->rule, t) : zone->initial_offset;
    if (t >= zone->times[zone->count - 1] && zone->rule.present)
        return rule_offset_at(&zone->rule, t);
    uint32_t low = 0, high = zone->count - 1; /* last transition <= t lies in [low, high] */
    while (low < high) {
        uint32_t mid = low + (high - low + 1) / 2;
        if (zone->times[mid] <= t)
            low = mid;
        else
            high = mid - 1;
    }
    return zone->offsets[low];
}

/*
 * Converts local Unix seconds to UTC. A local time that occurs twice (the
 * clock goes back) or never (the clock goes forward) takes the offset in force
 * after the transition. The datetime_local_to_utc example in the Kusto
 * documentation (2022-03-27, Europe/Brussels) shows this for the skipped hour.
 * NOTE: the repeated-hour case follows the same rule by analogy; no Kusto
 * example shows it. Assumes at most one transition within a day of local.
 */
static int64_t local_to_utc_seconds(const tz_zone *zone, int64_t local)
{
    int32_t before = zone_offset_at(zone, local - SECONDS_PER_DAY);
    int32_t after = zone_offset_at(zone, local + SECONDS_PER_DAY);
    if (zone_offset_at(zone, local - after) == after)
        return local - after;
    if (zone_offset_at(zone, local - before) == before)
        return local - before;
    return local - after;
}

/* ---- functions ---- */

void kq_bind_time_zone_conversion(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_DATETIME && args[0] != KQ_DYNAMIC && args[0] != KQ_TYPE_NONE) {
        snprintf(result->error, sizeof result->error, "argument 1 must be a datetime, not %s", kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    if (args[1] != KQ_STRING && args[1] != KQ_DYNAMIC && args[1] != KQ_TYPE_NONE) {
        snprintf(result->error, sizeof result->error, "argument 2 must be a time zone name string, not %s",
                 kq_type_name(args[1]));
        result->error_arg = 1;
        return;
    }
    result->type = KQ_DATETIME;
}

static kq_value convert_time_zone(kq_eval_ctx *ctx, const kq_value *args, bool to_local)
{
    const kq_value *v = &args[0];
    kq_value dt = v->type == KQ_DYNAMIC ? kq_dyn_to_value(v->u.d, KQ_DATETIME, ctx->arena) : *v;
    if (dt.null || dt.type != KQ_DATETIME)
        return kq_null(KQ_DATETIME);
    bool owned;
    tz_zone *zone = find_zone(kq_value_to_str(ctx->arena, &args[1]), &owned);
    if (!zone)
        return kq_null(KQ_DATETIME);
    int64_t seconds = (dt.u.l - KQ_UNIX_EPOCH_TICKS) / KQ_TICKS_PER_SECOND;
    int64_t sub = (dt.u.l - KQ_UNIX_EPOCH_TICKS) % KQ_TICKS_PER_SECOND;
    if (sub < 0) {
        sub += KQ_TICKS_PER_SECOND;
        seconds--;
    }
    int64_t converted = to_local ? seconds + zone_offset_at(zone, seconds) : local_to_utc_seconds(zone, seconds);
    if (owned)
        free_zone(zone);
    int64_t ticks = converted * KQ_TICKS_PER_SECOND + sub + KQ_UNIX_EPOCH_TICKS;
    if (ticks < 0 || ticks > KQ_DATETIME_MAX_TICKS)
        return kq_null(KQ_DATETIME);
    return kq_datetime(ticks);
}

kq_value kq_eval_datetime_utc_to_local(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return convert_time_zone(ctx, args, true);
}

kq_value kq_eval_datetime_local_to_utc(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return convert_time_zone(ctx, args, false);
}
