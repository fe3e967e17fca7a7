/*
 * Time zones for datetimes written without one, and the datetime forms of
 * Defender portal and Log Analytics exports.
 *
 * Named zones are resolved through the C library's time zone database
 * (mktime under a temporary TZ), so any IANA name installed on the system works.
 */
#include "sources/source_internal.h"
#include "base/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static bool parse_fixed_offset(const char *spec, int64_t *offset)
{
    const char *p = spec;
    if (strncmp(p, "UTC", 3) == 0 || strncmp(p, "GMT", 3) == 0)
        p += 3;
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p == '-' ? -1 : 1;
    p++;
    int hours = 0, minutes = 0, digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 2) {
        hours = hours * 10 + (*p++ - '0');
        digits++;
    }
    if (digits == 0)
        return false;
    if (*p == ':')
        p++;
    if (*p) {
        if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9') || p[2] != '\0')
            return false;
        minutes = (p[0] - '0') * 10 + (p[1] - '0');
    }
    if (hours > 14 || minutes > 59)
        return false;
    *offset = sign * (hours * KQ_TICKS_PER_HOUR + minutes * KQ_TICKS_PER_MINUTE);
    return true;
}

/* Accepts names made of the characters IANA names use and present in the zone database. */
static bool zone_name_exists(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len >= 128 || name[0] == '/' || strstr(name, ".."))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!kq_is_alnum((unsigned char)c) && c != '/' && c != '_' && c != '-' && c != '+')
            return false;
    }
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool kq_tz_init(kq_tz *tz, const char *spec)
{
    memset(tz, 0, sizeof *tz);
    tz->kind = KQ_TZ_UTC;
    if (!spec || !*spec || strcmp(spec, "UTC") == 0 || strcmp(spec, "Z") == 0 || strcmp(spec, "GMT") == 0 ||
        strcmp(spec, "Etc/UTC") == 0)
        return true;
    if (parse_fixed_offset(spec, &tz->offset_ticks)) {
        tz->kind = KQ_TZ_FIXED;
        return true;
    }
    if (!zone_name_exists(spec))
        return false;
    tz->kind = KQ_TZ_NAMED;
    snprintf(tz->name, sizeof tz->name, "%s", spec);
    return true;
}

/*
 * Returns the zone's UTC offset at a local wall-clock time. In the hour
 * repeated when clocks go back, glibc's mktime returns standard time (the
 * later instant); in the skipped hour it applies the offset from before the
 * change.
 *
 * NOTE: this swaps the process-wide TZ variable during the call. A lock keeps
 * the CSV reader's threads from swapping it at once, but nothing else in the
 * process may format local times meanwhile.
 */
static pthread_mutex_t tz_swap_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t named_offset(const kq_tz *tz, int64_t local_ticks)
{
    kq_civil_time civil;
    kq_datetime_to_civil(local_ticks, &civil);
    struct tm tm = {0};
    tm.tm_year = civil.year - 1900;
    tm.tm_mon = civil.month - 1;
    tm.tm_mday = civil.day;
    tm.tm_hour = civil.hour;
    tm.tm_min = civil.minute;
    tm.tm_sec = civil.second;
    tm.tm_isdst = -1;

    pthread_mutex_lock(&tz_swap_lock);
    const char *old = getenv("TZ");
    char *saved = old ? kq_xstrdup(old) : NULL;
    setenv("TZ", tz->name, 1);
    tzset();
    time_t utc = mktime(&tm);
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
    pthread_mutex_unlock(&tz_swap_lock);
    if (utc == (time_t)-1)
        return 0;
    int64_t local_seconds = (local_ticks - KQ_UNIX_EPOCH_TICKS) / KQ_TICKS_PER_SECOND;
    return (local_seconds - (int64_t)utc) * KQ_TICKS_PER_SECOND;
}

int64_t kq_tz_local_to_utc(kq_tz *tz, int64_t local_ticks)
{
    if (!tz || tz->kind == KQ_TZ_UTC)
        return local_ticks;
    if (tz->kind == KQ_TZ_FIXED)
        return local_ticks - tz->offset_ticks;
    /* Zone offsets change on quarter hours, so one lookup serves a 15-minute bucket. */
    int64_t bucket = local_ticks / (15 * KQ_TICKS_PER_MINUTE);
    size_t slot = (size_t)(bucket % KQ_TZ_CACHE_SIZE);
    if (!tz->cache_used[slot] || tz->cache_bucket[slot] != bucket) {
        tz->cache_bucket[slot] = bucket;
        tz->cache_offset[slot] = named_offset(tz, local_ticks);
        tz->cache_used[slot] = true;
    }
    int64_t utc = local_ticks - tz->cache_offset[slot];
    if (utc < 0)
        return 0;
    if (utc > KQ_DATETIME_MAX_TICKS)
        return KQ_DATETIME_MAX_TICKS;
    return utc;
}

/* ---- export datetime forms ---- */

typedef struct scan {
    const char *p, *end;
} scan;

static void skip_blanks(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
        s->p++;
}

static bool read_number(scan *s, int max_digits, int *value, int *digits)
{
    int v = 0, n = 0;
    while (s->p < s->end && n < max_digits && *s->p >= '0' && *s->p <= '9') {
        v = v * 10 + (*s->p++ - '0');
        n++;
    }
    if (digits)
        *digits = n;
    *value = v;
    return n > 0;
}

static bool take(scan *s, char c)
{
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

/* Reads "h:mm[:ss[.fraction]] [AM|PM]" and the end of the text. */
static bool read_clock(scan *s, kq_civil_time *civil)
{
    int hour, minute, second = 0, digits;
    if (!read_number(s, 2, &hour, NULL) || !take(s, ':') || !read_number(s, 2, &minute, &digits) ||
        digits != 2)
        return false;
    if (take(s, ':')) {
        if (!read_number(s, 2, &second, &digits) || digits != 2)
            return false;
        if (take(s, '.')) {
            int64_t fraction = 0;
            int n = 0;
            while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
                if (n < 7) {
                    fraction = fraction * 10 + (*s->p - '0');
                    n++;
                }
                s->p++;
            }
            if (n == 0)
                return false;
            while (n++ < 7)
                fraction *= 10;
            civil->fraction_ticks = fraction;
        }
    }
    skip_blanks(s);
    if (s->end - s->p >= 2 && (s->p[1] == 'M' || s->p[1] == 'm')) {
        char c = (char)kq_ascii_lower((unsigned char)s->p[0]);
        if (c != 'a' && c != 'p')
            return false;
        if (hour < 1 || hour > 12)
            return false;
        hour = hour % 12 + (c == 'p' ? 12 : 0);
        s->p += 2;
        skip_blanks(s);
    }
    civil->hour = hour;
    civil->minute = minute;
    civil->second = second;
    return s->p == s->end;
}

static int month_number(const char *p, size_t len)
{
    static const char *const names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
    if (len < 3)
        return 0;
    for (int i = 0; i < 12; i++)
        if (kq_ascii_ieq(p, 3, names[i], 3))
            return i + 1;
    return 0;
}

/* "Oct 9, 2024 2:41:10 PM" (portal, en-US). */
static bool parse_month_name(scan s, kq_civil_time *civil)
{
    const char *name = s.p;
    while (s.p < s.end && ((*s.p | 0x20) >= 'a' && (*s.p | 0x20) <= 'z'))
        s.p++;
    civil->month = month_number(name, (size_t)(s.p - name));
    if (!civil->month)
        return false;
    skip_blanks(&s);
    int digits;
    if (!read_number(&s, 2, &civil->day, NULL))
        return false;
    take(&s, ',');
    skip_blanks(&s);
    if (!read_number(&s, 4, &civil->year, &digits) || digits != 4)
        return false;
    take(&s, ',');
    skip_blanks(&s);
    return read_clock(&s, civil);
}

bool kq_export_date_numbers(const char *text, size_t len, int *first, int *second)
{
    scan s = {text, text + len};
    skip_blanks(&s);
    int year, digits;
    return read_number(&s, 2, first, NULL) && take(&s, '/') && read_number(&s, 2, second, NULL) &&
           take(&s, '/') && read_number(&s, 4, &year, &digits) && digits == 4;
}

/* "10/25/2023, 9:43:21.990 AM" or "13/03/2024, 3:40:13.988 pm". */
static bool parse_numeric_date(scan s, kq_date_order order, kq_civil_time *civil)
{
    int first, second, digits;
    if (!read_number(&s, 2, &first, NULL) || !take(&s, '/') || !read_number(&s, 2, &second, NULL) ||
        !take(&s, '/') || !read_number(&s, 4, &civil->year, &digits) || digits != 4)
        return false;
    /* A first number above 12 can only be a day, whatever the file's order. */
    if (order == KQ_DATE_DAY_FIRST || first > 12) {
        civil->day = first;
        civil->month = second;
    } else {
        civil->month = first;
        civil->day = second;
    }
    take(&s, ',');
    skip_blanks(&s);
    if (s.p == s.end)
        return true;
    return read_clock(&s, civil);
}

/* True when an ISO-style text carries its own zone (Z, +hh:mm, -hh:mm, UTC, GMT) after the time. */
static bool has_explicit_zone(const char *text, size_t len)
{
    const char *colon = memchr(text, ':', len);
    if (!colon)
        return false;
    for (const char *p = colon; p < text + len; p++) {
        if (*p == 'Z' || *p == 'z' || *p == '+' || *p == '-')
            return true;
        if (text + len - p >= 3 && (memcmp(p, "UTC", 3) == 0 || memcmp(p, "GMT", 3) == 0))
            return true;
    }
    return false;
}

bool kq_export_datetime_parse(const char *text, size_t len, kq_date_order order, kq_tz *tz,
                              int64_t *ticks)
{
    scan s = {text, text + len};
    skip_blanks(&s);
    while (s.end > s.p && (s.end[-1] == ' ' || s.end[-1] == '\t' || s.end[-1] == '\r'))
        s.end--;
    if (s.p == s.end)
        return false;
    size_t trimmed = (size_t)(s.end - s.p);
    int64_t parsed;
    if (kq_datetime_parse(s.p, trimmed, &parsed)) {
        *ticks = has_explicit_zone(s.p, trimmed) ? parsed : kq_tz_local_to_utc(tz, parsed);
        return true;
    }
    kq_civil_time civil = {0};
    bool ok = (*s.p >= '0' && *s.p <= '9') ? parse_numeric_date(s, order, &civil)
                                           : parse_month_name(s, &civil);
    if (!ok || !kq_datetime_from_civil(&civil, &parsed))
        return false;
    *ticks = kq_tz_local_to_utc(tz, parsed);
    return true;
}

bool kq_timezone_valid(const char *spec)
{
    kq_tz tz;
    return kq_tz_init(&tz, spec);
}
