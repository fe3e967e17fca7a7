/*
 * KQL scalar types and values.
 *
 * datetime: 100 ns ticks since 0001-01-01T00:00:00Z (UTC), the range Kusto allows.
 * timespan: signed 100 ns ticks.
 * string:   UTF-8 bytes; never null (an absent string is the empty string).
 * dynamic:  a JSON-like tree (see types/dynamic.h).
 * int, long, datetime and timespan share the int64 slot of kq_value; real and
 * decimal share the double slot (decimal is carried as real; see docs/kql-support.md).
 */
#ifndef KQ_TYPES_TYPES_H
#define KQ_TYPES_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum kq_type {
    KQ_TYPE_NONE = 0, /* no value yet: an untyped null literal before binding */
    KQ_BOOL,
    KQ_INT,
    KQ_LONG,
    KQ_REAL,
    KQ_DECIMAL,
    KQ_STRING,
    KQ_DATETIME,
    KQ_TIMESPAN,
    KQ_GUID,
    KQ_DYNAMIC,
    KQ_TYPE_COUNT
} kq_type;

typedef struct kq_str {
    const char *ptr;
    uint32_t len;
} kq_str;

struct kq_dyn;

typedef struct kq_value {
    kq_type type;
    bool null;
    union {
        int64_t l;  /* int, long, datetime, timespan */
        double r;   /* real, decimal */
        bool b;
        kq_str s;   /* string, guid */
        const struct kq_dyn *d;
    } u;
} kq_value;

#define KQ_TICKS_PER_MICROSECOND INT64_C(10)
#define KQ_TICKS_PER_MILLISECOND INT64_C(10000)
#define KQ_TICKS_PER_SECOND INT64_C(10000000)
#define KQ_TICKS_PER_MINUTE (INT64_C(60) * KQ_TICKS_PER_SECOND)
#define KQ_TICKS_PER_HOUR (INT64_C(60) * KQ_TICKS_PER_MINUTE)
#define KQ_TICKS_PER_DAY (INT64_C(24) * KQ_TICKS_PER_HOUR)
/* Ticks of 1970-01-01T00:00:00Z. */
#define KQ_UNIX_EPOCH_TICKS INT64_C(621355968000000000)
/* Ticks of 9999-12-31T23:59:59.9999999Z, the largest datetime. */
#define KQ_DATETIME_MAX_TICKS INT64_C(3155378975999999999)

const char *kq_type_name(kq_type type);
/* Accepts KQL type names and their aliases (int32, int64, double, date, time, boolean, ...). */
kq_type kq_type_from_name(const char *name, size_t len);
bool kq_type_is_numeric(kq_type type);   /* int, long, real, decimal */
bool kq_type_is_integer(kq_type type);   /* int, long */

static inline kq_value kq_null(kq_type type)
{
    kq_value v = {.type = type, .null = true};
    if (type == KQ_STRING) {
        v.null = false;
        v.u.s.ptr = "";
        v.u.s.len = 0;
    }
    return v;
}
static inline kq_value kq_long(int64_t l) { kq_value v = {.type = KQ_LONG}; v.u.l = l; return v; }
static inline kq_value kq_int(int64_t l) { kq_value v = {.type = KQ_INT}; v.u.l = (int32_t)l; return v; }
static inline kq_value kq_real(double r) { kq_value v = {.type = KQ_REAL}; v.u.r = r; return v; }
static inline kq_value kq_bool(bool b) { kq_value v = {.type = KQ_BOOL}; v.u.b = b; return v; }
static inline kq_value kq_datetime(int64_t t) { kq_value v = {.type = KQ_DATETIME}; v.u.l = t; return v; }
static inline kq_value kq_timespan(int64_t t) { kq_value v = {.type = KQ_TIMESPAN}; v.u.l = t; return v; }
static inline kq_value kq_string(const char *p, size_t len)
{
    kq_value v = {.type = KQ_STRING};
    v.u.s.ptr = p ? p : "";
    v.u.s.len = (uint32_t)len;
    return v;
}
static inline kq_value kq_dynamic(const struct kq_dyn *d)
{
    kq_value v = {.type = KQ_DYNAMIC, .null = d == NULL};
    v.u.d = d;
    return v;
}

#include <string.h>

/* True when s holds exactly the NUL-terminated text. */
static inline bool kq_str_eq(kq_str s, const char *text)
{
    size_t n = strlen(text);
    return s.len == n && memcmp(s.ptr, text, n) == 0;
}

/* ---- datetime and timespan ---- */

typedef struct kq_civil_time {
    int year, month, day, hour, minute, second;
    int64_t fraction_ticks; /* 0 .. 9,999,999 */
} kq_civil_time;

/* Returns false when the fields are out of range. */
bool kq_datetime_from_civil(const kq_civil_time *civil, int64_t *ticks);
void kq_datetime_to_civil(int64_t ticks, kq_civil_time *civil);
/* Day of week, 0 = Sunday. */
int kq_datetime_weekday(int64_t ticks);

/*
 * Parses the datetime forms Kusto accepts in datetime() and todatetime():
 * ISO 8601 (T or space separator, optional fraction up to 7 digits, Z or
 * +hh:mm offset), a date alone, the US form "02/17/2016 08:40:01 [PM]", and
 * RFC 822/850 forms ("Sat, 8 Nov 2014 15:05:02 GMT"). Returns false when text
 * is not a datetime.
 */
bool kq_datetime_parse(const char *text, size_t len, int64_t *ticks);
/* Writes "2026-11-27T10:00:00.1234567Z" (28 bytes + NUL) into out. */
void kq_datetime_format(int64_t ticks, char out[32]);

/* Formats a timespan as [-][d.]hh:mm:ss[.fffffff]. */
void kq_timespan_format(int64_t ticks, char out[48]);
/* Parses "[-][d.]hh:mm[:ss[.fffffff]]" or a number of days; used by timespan() and totimespan(). */
bool kq_timespan_parse(const char *text, size_t len, int64_t *ticks);
/*
 * Looks up a timespan literal suffix (d, h, ms, microsecond, tick, ...) and
 * returns its length in ticks, or 0 when the suffix is unknown.
 */
int64_t kq_timespan_suffix_ticks(const char *suffix, size_t len);

/* ---- number formatting (Kusto's text forms) ---- */

/* Formats a real the way Kusto prints it: shortest round-trip digits, NaN, Infinity, -Infinity. */
void kq_real_format(double value, char out[40]);

#endif
