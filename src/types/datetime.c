/* datetime and timespan: ticks, civil calendar, parsing and formatting. */
#include "types/types.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>

/* Days from 0001-01-01 to year-month-day in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days_since_0000_03_01 = era * 146097 + doe;
    /* 0001-01-01 is 306 days after 0000-03-01. */
    return days_since_0000_03_01 - 306;
}

static void civil_from_days(int64_t days, int *year, int *month, int *day)
{
    int64_t z = days + 306;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(y + (m <= 2));
    *month = m;
    *day = d;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return days[month - 1];
}

bool kq_datetime_from_civil(const kq_civil_time *c, int64_t *ticks)
{
    if (c->year < 1 || c->year > 9999 || c->month < 1 || c->month > 12 || c->day < 1 ||
        c->day > days_in_month(c->year, c->month) || c->hour < 0 || c->hour > 23 ||
        c->minute < 0 || c->minute > 59 || c->second < 0 || c->second > 59 ||
        c->fraction_ticks < 0 || c->fraction_ticks >= KQ_TICKS_PER_SECOND)
        return false;
    int64_t days = days_from_civil(c->year, c->month, c->day);
    *ticks = days * KQ_TICKS_PER_DAY + c->hour * KQ_TICKS_PER_HOUR +
             c->minute * KQ_TICKS_PER_MINUTE + c->second * KQ_TICKS_PER_SECOND +
             c->fraction_ticks;
    return true;
}

void kq_datetime_to_civil(int64_t ticks, kq_civil_time *c)
{
    int64_t days = ticks / KQ_TICKS_PER_DAY;
    int64_t rest = ticks % KQ_TICKS_PER_DAY;
    if (rest < 0) {
        rest += KQ_TICKS_PER_DAY;
        days--;
    }
    civil_from_days(days, &c->year, &c->month, &c->day);
    c->hour = (int)(rest / KQ_TICKS_PER_HOUR);
    rest %= KQ_TICKS_PER_HOUR;
    c->minute = (int)(rest / KQ_TICKS_PER_MINUTE);
    rest %= KQ_TICKS_PER_MINUTE;
    c->second = (int)(rest / KQ_TICKS_PER_SECOND);
    c->fraction_ticks = rest % KQ_TICKS_PER_SECOND;
}

int kq_datetime_weekday(int64_t ticks)
{
    int64_t days = ticks / KQ_TICKS_PER_DAY;
    if (ticks % KQ_TICKS_PER_DAY < 0)
        days--;
    /* 0001-01-01 was a Monday. */
    int64_t w = (days + 1) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

void kq_datetime_format(int64_t ticks, char out[32])
{
    kq_civil_time c;
    kq_datetime_to_civil(ticks, &c);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%07lldZ", c.year, c.month, c.day, c.hour,
             c.minute, c.second, (long long)c.fraction_ticks);
}

void kq_timespan_format(int64_t ticks, char out[48])
{
    const char *sign = "";
    uint64_t t = (uint64_t)ticks;
    if (ticks < 0) {
        sign = "-";
        t = (uint64_t)0 - (uint64_t)ticks;
    }
    uint64_t days = t / (uint64_t)KQ_TICKS_PER_DAY;
    uint64_t rest = t % (uint64_t)KQ_TICKS_PER_DAY;
    unsigned hours = (unsigned)(rest / KQ_TICKS_PER_HOUR);
    rest %= KQ_TICKS_PER_HOUR;
    unsigned minutes = (unsigned)(rest / KQ_TICKS_PER_MINUTE);
    rest %= KQ_TICKS_PER_MINUTE;
    unsigned seconds = (unsigned)(rest / KQ_TICKS_PER_SECOND);
    unsigned long long fraction = rest % KQ_TICKS_PER_SECOND;
    int n = days ? snprintf(out, 48, "%s%llu.", sign, (unsigned long long)days)
                 : snprintf(out, 48, "%s", sign);
    n += snprintf(out + n, 48 - n, "%02u:%02u:%02u", hours, minutes, seconds);
    if (fraction)
        snprintf(out + n, 48 - n, ".%07llu", fraction);
}

/* ---- parsing helpers ---- */

typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

static void skip_spaces(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* Reads between min_digits and max_digits decimal digits. */
static bool read_digits(cursor *c, int min_digits, int max_digits, int64_t *value, int *count)
{
    int64_t v = 0;
    int n = 0;
    while (c->p < c->end && n < max_digits && *c->p >= '0' && *c->p <= '9') {
        v = v * 10 + (*c->p - '0');
        c->p++;
        n++;
    }
    if (n < min_digits)
        return false;
    *value = v;
    if (count)
        *count = n;
    return true;
}

static bool accept(cursor *c, char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* Reads a fraction after the decimal point: any number of digits, kept to 7. */
static bool read_fraction(cursor *c, int64_t *fraction_ticks)
{
    int64_t value = 0;
    int digits = 0;
    const char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (digits < 7) {
            value = value * 10 + (*c->p - '0');
            digits++;
        }
        c->p++;
    }
    if (c->p == start)
        return false;
    while (digits < 7) {
        value *= 10;
        digits++;
    }
    *fraction_ticks = value;
    return true;
}

/* Parses "Z", "+hh:mm", "+hhmm", "+hh", "UTC" or "GMT"; *offset_ticks is what to subtract. */
static bool read_zone(cursor *c, int64_t *offset_ticks)
{
    *offset_ticks = 0;
    skip_spaces(c);
    if (c->p >= c->end)
        return true;
    if (*c->p == 'Z' || *c->p == 'z') {
        c->p++;
        return true;
    }
    if (c->end - c->p >= 3 && (memcmp(c->p, "UTC", 3) == 0 || memcmp(c->p, "GMT", 3) == 0)) {
        c->p += 3;
        if (c->p >= c->end)
            return true;
    }
    if (*c->p == '+' || *c->p == '-') {
        int sign = *c->p == '-' ? -1 : 1;
        c->p++;
        int64_t hours, minutes = 0;
        int n;
        if (!read_digits(c, 1, 2, &hours, &n))
            return false;
        if (accept(c, ':')) {
            if (!read_digits(c, 2, 2, &minutes, NULL))
                return false;
        } else if (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (!read_digits(c, 2, 2, &minutes, NULL))
                return false;
        }
        if (hours > 14 || minutes > 59)
            return false;
        *offset_ticks = sign * (hours * KQ_TICKS_PER_HOUR + minutes * KQ_TICKS_PER_MINUTE);
        return true;
    }
    return false;
}

static bool read_time_of_day(cursor *c, kq_civil_time *civil)
{
    int64_t h, m, s = 0;
    if (!read_digits(c, 1, 2, &h, NULL) || !accept(c, ':') || !read_digits(c, 2, 2, &m, NULL))
        return false;
    if (accept(c, ':')) {
        if (!read_digits(c, 2, 2, &s, NULL))
            return false;
        if (accept(c, '.') && !read_fraction(c, &civil->fraction_ticks))
            return false;
    }
    civil->hour = (int)h;
    civil->minute = (int)m;
    civil->second = (int)s;
    return true;
}

static bool finish(kq_civil_time *civil, int64_t offset, int64_t *ticks)
{
    int64_t t;
    if (!kq_datetime_from_civil(civil, &t))
        return false;
    t -= offset;
    if (t < 0 || t > KQ_DATETIME_MAX_TICKS)
        return false;
    *ticks = t;
    return true;
}

static bool parse_iso(cursor *c, int64_t *ticks)
{
    kq_civil_time civil = {0};
    int64_t y, mo, d;
    int ydigits;
    if (!read_digits(c, 4, 4, &y, &ydigits))
        return false;
    char sep = 0;
    if (accept(c, '-'))
        sep = '-';
    else if (accept(c, '/'))
        sep = '/';
    else
        return false;
    if (!read_digits(c, 1, 2, &mo, NULL) || !accept(c, sep) || !read_digits(c, 1, 2, &d, NULL))
        return false;
    civil.year = (int)y;
    civil.month = (int)mo;
    civil.day = (int)d;
    int64_t offset = 0;
    if (c->p < c->end && (*c->p == 'T' || *c->p == 't' || *c->p == ' ')) {
        c->p++;
        skip_spaces(c);
        if (c->p < c->end) {
            if (!read_time_of_day(c, &civil))
                return false;
            if (!read_zone(c, &offset))
                return false;
        }
    } else if (c->p < c->end && !read_zone(c, &offset)) {
        return false;
    }
    skip_spaces(c);
    if (c->p != c->end)
        return false;
    return finish(&civil, offset, ticks);
}

static int month_from_name(const char *p, size_t len)
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

/* RFC 822 / RFC 850: "[Sat, ]8 Nov 2014 15:05:02 GMT", "Saturday, 08-Nov-14 15:05:02 GMT". */
static bool parse_rfc822(cursor *c, int64_t *ticks)
{
    kq_civil_time civil = {0};
    const char *comma = memchr(c->p, ',', (size_t)(c->end - c->p));
    if (comma)
        c->p = comma + 1;
    skip_spaces(c);
    int64_t d, y;
    if (!read_digits(c, 1, 2, &d, NULL))
        return false;
    bool dashed = accept(c, '-');
    if (!dashed)
        skip_spaces(c);
    const char *name = c->p;
    while (c->p < c->end && ((*c->p >= 'a' && *c->p <= 'z') || (*c->p >= 'A' && *c->p <= 'Z')))
        c->p++;
    int month = month_from_name(name, (size_t)(c->p - name));
    if (!month)
        return false;
    if (dashed) {
        if (!accept(c, '-'))
            return false;
    } else {
        skip_spaces(c);
    }
    int ydigits;
    if (!read_digits(c, 2, 4, &y, &ydigits))
        return false;
    if (ydigits == 2)
        y += y < 50 ? 2000 : 1900;
    civil.year = (int)y;
    civil.month = month;
    civil.day = (int)d;
    skip_spaces(c);
    int64_t offset = 0;
    if (c->p < c->end) {
        if (!read_time_of_day(c, &civil) || !read_zone(c, &offset))
            return false;
    }
    skip_spaces(c);
    if (c->p != c->end)
        return false;
    return finish(&civil, offset, ticks);
}

/* US form: MM/dd/yyyy [HH:mm[:ss[.fffffff]]] [AM|PM], as .NET reads it in the invariant culture. */
static bool finish_us_time(cursor *c, kq_civil_time *date, int64_t *ticks);

static bool parse_us_date(cursor *c, int64_t *ticks)
{
    kq_civil_time civil = {0};
    int64_t mo, d, y;
    int ydigits;
    if (!read_digits(c, 1, 2, &mo, NULL))
        return false;
    /* 12/02/2022 or 12-02-2022: month first, the same separator twice. */
    char separator = c->p < c->end && *c->p == '-' ? '-' : '/';
    if (!accept(c, separator) || !read_digits(c, 1, 2, &d, NULL) || !accept(c, separator) ||
        !read_digits(c, 4, 4, &y, &ydigits))
        return false;
    civil.year = (int)y;
    civil.month = (int)mo;
    civil.day = (int)d;
    return finish_us_time(c, &civil, ticks);
}

/* "2025, 6, 14": a four-digit year, then month and day, each after a comma or spaces. */
static bool parse_year_list_date(cursor *c, int64_t *ticks)
{
    kq_civil_time civil = {0};
    int64_t parts[3];
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            const char *before = c->p;
            accept(c, ',');
            skip_spaces(c);
            if (c->p == before)
                return false;
        }
        if (!read_digits(c, i == 0 ? 4 : 1, i == 0 ? 4 : 2, &parts[i], NULL))
            return false;
    }
    civil.year = (int)parts[0];
    civil.month = (int)parts[1];
    civil.day = (int)parts[2];
    return finish_us_time(c, &civil, ticks);
}

/* Reads the optional time of day, AM/PM and zone after a date, up to the end of the text. */
static bool finish_us_time(cursor *c, kq_civil_time *date, int64_t *ticks)
{
    kq_civil_time civil = *date;
    skip_spaces(c);
    int64_t offset = 0;
    if (c->p < c->end) {
        if (!read_time_of_day(c, &civil))
            return false;
        skip_spaces(c);
        if (c->end - c->p >= 2 && (c->p[1] == 'M' || c->p[1] == 'm') &&
            (c->p[0] == 'A' || c->p[0] == 'a' || c->p[0] == 'P' || c->p[0] == 'p')) {
            bool pm = c->p[0] == 'P' || c->p[0] == 'p';
            if (civil.hour < 1 || civil.hour > 12)
                return false;
            civil.hour = civil.hour % 12 + (pm ? 12 : 0);
            c->p += 2;
        }
        if (!read_zone(c, &offset))
            return false;
    }
    skip_spaces(c);
    if (c->p != c->end)
        return false;
    return finish(&civil, offset, ticks);
}

static bool is_white_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool kq_datetime_parse(const char *text, size_t len, int64_t *ticks)
{
    cursor c = {text, text + len};
    /* Surrounding white space, line breaks included, is ignored: Kusto's parse examples
     * convert a captured "02/17/2016 08:40:00\n" to a datetime. */
    while (c.p < c.end && is_white_space(*c.p))
        c.p++;
    while (c.end > c.p && is_white_space(c.end[-1]))
        c.end--;
    if (c.p == c.end)
        return false;
    cursor iso = c;
    if (parse_iso(&iso, ticks))
        return true;
    cursor us = c;
    if (parse_us_date(&us, ticks))
        return true;
    cursor year_list = c;
    if (parse_year_list_date(&year_list, ticks))
        return true;
    cursor rfc = c;
    return parse_rfc822(&rfc, ticks);
}

/* ---- timespans ---- */

static const struct {
    const char *suffix;
    int64_t ticks;
} timespan_suffixes[] = {
    {"d", KQ_TICKS_PER_DAY},
    {"day", KQ_TICKS_PER_DAY},
    {"days", KQ_TICKS_PER_DAY},
    {"h", KQ_TICKS_PER_HOUR},
    {"hr", KQ_TICKS_PER_HOUR},
    {"hrs", KQ_TICKS_PER_HOUR},
    {"hour", KQ_TICKS_PER_HOUR},
    {"hours", KQ_TICKS_PER_HOUR},
    {"m", KQ_TICKS_PER_MINUTE},
    {"min", KQ_TICKS_PER_MINUTE},
    {"minute", KQ_TICKS_PER_MINUTE},
    {"minutes", KQ_TICKS_PER_MINUTE},
    {"s", KQ_TICKS_PER_SECOND},
    {"sec", KQ_TICKS_PER_SECOND},
    {"second", KQ_TICKS_PER_SECOND},
    {"seconds", KQ_TICKS_PER_SECOND},
    {"ms", KQ_TICKS_PER_MILLISECOND},
    {"milli", KQ_TICKS_PER_MILLISECOND},
    {"millis", KQ_TICKS_PER_MILLISECOND},
    {"millisec", KQ_TICKS_PER_MILLISECOND},
    {"millisecond", KQ_TICKS_PER_MILLISECOND},
    {"milliseconds", KQ_TICKS_PER_MILLISECOND},
    {"micro", KQ_TICKS_PER_MICROSECOND},
    {"micros", KQ_TICKS_PER_MICROSECOND},
    {"microsec", KQ_TICKS_PER_MICROSECOND},
    {"microsecond", KQ_TICKS_PER_MICROSECOND},
    {"microseconds", KQ_TICKS_PER_MICROSECOND},
    {"tick", 1},
    {"ticks", 1},
};

/* Nanosecond suffixes count 1/100 of a tick; the caller divides (see kq_timespan_suffix_ticks). */
int64_t kq_timespan_suffix_ticks(const char *suffix, size_t len)
{
    for (size_t i = 0; i < KQ_ARRAY_LEN(timespan_suffixes); i++)
        if (strlen(timespan_suffixes[i].suffix) == len &&
            memcmp(timespan_suffixes[i].suffix, suffix, len) == 0)
            return timespan_suffixes[i].ticks;
    /* Nanoseconds: 100 ns per tick; returned negative so the caller divides. */
    static const char *const nano[] = {"nano", "nanos", "nanosec", "nanosecond", "nanoseconds"};
    for (size_t i = 0; i < KQ_ARRAY_LEN(nano); i++)
        if (strlen(nano[i]) == len && memcmp(nano[i], suffix, len) == 0)
            return -100;
    return 0;
}

bool kq_timespan_parse(const char *text, size_t len, int64_t *ticks)
{
    cursor c = {text, text + len};
    skip_spaces(&c);
    while (c.end > c.p && c.end[-1] == ' ')
        c.end--;
    int sign = 1;
    if (accept(&c, '-'))
        sign = -1;
    else
        accept(&c, '+');
    int64_t first;
    if (!read_digits(&c, 1, 18, &first, NULL))
        return false;
    int64_t days = 0, hours, minutes, seconds = 0, fraction = 0;
    if (c.p == c.end) {
        /* A bare number means days; the range check comes first so the product fits. */
        if (first > 10675199)
            return false;
        *ticks = sign * first * KQ_TICKS_PER_DAY;
        return true;
    }
    if (accept(&c, '.')) {
        days = first;
        if (!read_digits(&c, 1, 2, &hours, NULL))
            return false;
    } else {
        hours = first;
    }
    if (!accept(&c, ':') || !read_digits(&c, 1, 2, &minutes, NULL))
        return false;
    if (accept(&c, ':')) {
        if (!read_digits(&c, 1, 2, &seconds, NULL))
            return false;
        if (accept(&c, '.') && !read_fraction(&c, &fraction))
            return false;
    }
    if (c.p != c.end || hours > 23 || minutes > 59 || seconds > 59 || days > 10675199)
        return false;
    *ticks = sign * (days * KQ_TICKS_PER_DAY + hours * KQ_TICKS_PER_HOUR +
                     minutes * KQ_TICKS_PER_MINUTE + seconds * KQ_TICKS_PER_SECOND + fraction);
    return true;
}
