/*
 * Formatting, differences and parts of datetimes and timespans: format_datetime,
 * format_timespan, datetime_diff, datetime_add, datetime_part, the getter
 * family (dayofweek, getyear, ...), endof*, make_datetime, make_timespan,
 * bin_at and the unixtime_*_todatetime conversions. Time-zone conversions
 * live in time_functions2.c.
 */
#include "functions/registry.h"
#include "base/buf.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Defined in time_functions2.c. */
void kq_bind_time_zone_conversion(const kq_type *args, int argc, kq_bind_result *result);
kq_value kq_eval_datetime_utc_to_local(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_eval_datetime_local_to_utc(kq_eval_ctx *ctx, const kq_value *args, int argc);

/* ---- argument helpers ---- */

/* Reads a datetime argument (a datetime, or a dynamic datetime value); false when null. */
static bool datetime_arg(kq_eval_ctx *ctx, const kq_value *v, int64_t *ticks)
{
    if (v->null)
        return false;
    if (v->type == KQ_DATETIME) {
        *ticks = v->u.l;
        return true;
    }
    if (v->type == KQ_DYNAMIC) {
        kq_value d = kq_dyn_to_value(v->u.d, KQ_DATETIME, ctx->arena);
        if (d.null)
            return false;
        *ticks = d.u.l;
        return true;
    }
    return false;
}

/* Reads a whole-number argument (int, long, a real cut to an integer, or dynamic); false when null. */
static bool long_arg(kq_eval_ctx *ctx, const kq_value *v, int64_t *out)
{
    if (v->null)
        return false;
    switch (v->type) {
    case KQ_INT:
    case KQ_LONG:
    case KQ_TIMESPAN:
        *out = v->u.l;
        return true;
    case KQ_REAL:
    case KQ_DECIMAL:
        if (!isfinite(v->u.r) || fabs(v->u.r) > 9.2e18)
            return false;
        *out = (int64_t)v->u.r;
        return true;
    case KQ_DYNAMIC: {
        kq_value d = kq_dyn_to_value(v->u.d, KQ_LONG, ctx->arena);
        if (d.null)
            return false;
        *out = d.u.l;
        return true;
    }
    default:
        return false;
    }
}

static bool real_arg(kq_eval_ctx *ctx, const kq_value *v, double *out)
{
    if (v->null)
        return false;
    if (v->type == KQ_DYNAMIC) {
        kq_value d = kq_dyn_to_value(v->u.d, KQ_REAL, ctx->arena);
        if (d.null)
            return false;
        *out = d.u.r;
        return true;
    }
    if (!kq_type_is_numeric(v->type))
        return false;
    *out = kq_value_as_real(v);
    return true;
}

static bool datetime_in_range(int64_t ticks)
{
    return ticks >= 0 && ticks <= KQ_DATETIME_MAX_TICKS;
}

static bool checked_add(int64_t a, int64_t b, int64_t *sum)
{
    return !__builtin_add_overflow(a, b, sum);
}

static bool checked_mul(int64_t a, int64_t b, int64_t *product)
{
    return !__builtin_mul_overflow(a, b, product);
}

/* Checks argument types against spec: 'd' datetime, 't' timespan, 's' string, 'n' number. */
static void bind_spec(const kq_type *args, int argc, const char *spec, kq_type type, kq_bind_result *result)
{
    size_t spec_len = strlen(spec);
    for (int i = 0; i < argc; i++) {
        char want = spec[(size_t)i < spec_len ? (size_t)i : spec_len - 1];
        kq_type t = args[i];
        bool ok = t == KQ_DYNAMIC || t == KQ_TYPE_NONE || (want == 'd' && t == KQ_DATETIME) ||
                  (want == 't' && t == KQ_TIMESPAN) || (want == 's' && t == KQ_STRING) ||
                  (want == 'n' && kq_type_is_numeric(t));
        if (!ok) {
            const char *expected = "a number";
            if (want == 'd')
                expected = "a datetime";
            else if (want == 't')
                expected = "a timespan";
            else if (want == 's')
                expected = "a string";
            snprintf(result->error, sizeof result->error, "argument %d must be %s, not %s", i + 1, expected,
                     kq_type_name(t));
            result->error_arg = i;
            return;
        }
    }
    result->type = type;
}

static void bind_d_int(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "d", KQ_INT, r); }
static void bind_d_timespan(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "d", KQ_TIMESPAN, r); }
static void bind_dn_datetime(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "dn", KQ_DATETIME, r); }
static void bind_ds_string(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "ds", KQ_STRING, r); }
static void bind_ts_string(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "ts", KQ_STRING, r); }
static void bind_sdd_long(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "sdd", KQ_LONG, r); }
static void bind_snd_datetime(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "snd", KQ_DATETIME, r); }
static void bind_sd_int(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "sd", KQ_INT, r); }
static void bind_n_datetime(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "n", KQ_DATETIME, r); }
static void bind_n_timespan(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "n", KQ_TIMESPAN, r); }

/* ---- calendar helpers ---- */

static bool is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int month_length(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

/* Ticks of midnight on year-month-day; the date must be valid. */
static int64_t date_ticks(int year, int month, int day)
{
    kq_civil_time c = {.year = year, .month = month, .day = day};
    int64_t ticks = 0;
    kq_datetime_from_civil(&c, &ticks);
    return ticks;
}

static int day_of_year(int64_t ticks)
{
    kq_civil_time c;
    kq_datetime_to_civil(ticks, &c);
    return (int)((ticks - date_ticks(c.year, 1, 1)) / KQ_TICKS_PER_DAY) + 1;
}

/* ISO 8601 week number: week 1 is the week (Monday to Sunday) that contains the year's first Thursday. */
static int iso_week_of_year(int64_t ticks)
{
    int weekday = kq_datetime_weekday(ticks);
    int iso_weekday = weekday == 0 ? 7 : weekday;
    int64_t day = ticks - ticks % KQ_TICKS_PER_DAY;
    int64_t thursday = day + (4 - iso_weekday) * KQ_TICKS_PER_DAY;
    return (day_of_year(thursday) - 1) / 7 + 1;
}

static int64_t start_of_day(int64_t ticks)
{
    return ticks - ticks % KQ_TICKS_PER_DAY;
}

static int64_t start_of_week(int64_t ticks)
{
    return start_of_day(ticks) - kq_datetime_weekday(ticks) * KQ_TICKS_PER_DAY;
}

/* Adds months to a datetime, clamping the day to the new month's length as .NET AddMonths does. */
static bool add_months(int64_t ticks, int64_t months, int64_t *out)
{
    kq_civil_time c;
    kq_datetime_to_civil(ticks, &c);
    if (months > 120000 || months < -120000)
        return false;
    int64_t index = (int64_t)c.year * 12 + (c.month - 1) + months;
    int64_t year = index / 12;
    if (year < 1 || year > 9999)
        return false;
    c.year = (int)year;
    c.month = (int)(index % 12) + 1;
    if (c.day > month_length(c.year, c.month))
        c.day = month_length(c.year, c.month);
    return kq_datetime_from_civil(&c, out);
}

/* ---- period names ---- */

typedef enum period {
    PERIOD_NONE,
    PERIOD_YEAR,
    PERIOD_QUARTER,
    PERIOD_MONTH,
    PERIOD_WEEK,
    PERIOD_DAY,
    PERIOD_HOUR,
    PERIOD_MINUTE,
    PERIOD_SECOND,
    PERIOD_MILLISECOND,
    PERIOD_MICROSECOND,
    PERIOD_NANOSECOND,
    PERIOD_WEEK_OF_YEAR, /* datetime_part only */
    PERIOD_DAY_OF_YEAR,  /* datetime_part only */
} period;

static period period_from_name(kq_str name)
{
    static const struct {
        const char *name;
        period value;
    } names[] = {
        {"year", PERIOD_YEAR}, {"quarter", PERIOD_QUARTER}, {"month", PERIOD_MONTH},
        {"week", PERIOD_WEEK}, {"day", PERIOD_DAY}, {"hour", PERIOD_HOUR},
        {"minute", PERIOD_MINUTE}, {"second", PERIOD_SECOND}, {"millisecond", PERIOD_MILLISECOND},
        {"microsecond", PERIOD_MICROSECOND}, {"nanosecond", PERIOD_NANOSECOND},
        {"week_of_year", PERIOD_WEEK_OF_YEAR}, {"weekofyear", PERIOD_WEEK_OF_YEAR},
        {"dayofyear", PERIOD_DAY_OF_YEAR},
    };
    for (size_t i = 0; i < KQ_ARRAY_LEN(names); i++)
        if (kq_ascii_ieq(name.ptr, name.len, names[i].name, strlen(names[i].name)))
            return names[i].value;
    return PERIOD_NONE;
}

/* Reads the period argument; an unknown name is a query error in Kusto, so it sets ctx->error. */
static period period_arg(kq_eval_ctx *ctx, const kq_value *v, const char *function, bool part_names)
{
    kq_str name = kq_value_to_str(ctx->arena, v);
    period p = period_from_name(name);
    if (p == PERIOD_WEEK_OF_YEAR || p == PERIOD_DAY_OF_YEAR)
        p = part_names ? p : PERIOD_NONE;
    else if (p == PERIOD_WEEK && part_names)
        p = PERIOD_NONE;
    if (p == PERIOD_NONE && !ctx->error && !v->null)
        ctx->error = kq_arena_printf(ctx->arena, "%s(): '%.*s' is not a valid period", function,
                                     (int)name.len, name.ptr);
    return p;
}

/* ---- datetime_diff, datetime_add, datetime_part ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Counts the calendar boundaries of period p crossed going from t2 to t1. */
static int64_t count_calendar_boundaries(period p, int64_t t1, int64_t t2)
{
    kq_civil_time a, b;
    kq_datetime_to_civil(t1, &a);
    kq_datetime_to_civil(t2, &b);
    switch (p) {
    case PERIOD_YEAR:
        return a.year - b.year;
    case PERIOD_QUARTER:
        return ((int64_t)a.year * 4 + (a.month - 1) / 3) - ((int64_t)b.year * 4 + (b.month - 1) / 3);
    case PERIOD_MONTH:
        return ((int64_t)a.year * 12 + a.month) - ((int64_t)b.year * 12 + b.month);
    case PERIOD_WEEK:
        return (start_of_week(t1) - start_of_week(t2)) / (7 * KQ_TICKS_PER_DAY);
    case PERIOD_DAY:
        return floor_div(t1, KQ_TICKS_PER_DAY) - floor_div(t2, KQ_TICKS_PER_DAY);
    case PERIOD_HOUR:
        return floor_div(t1, KQ_TICKS_PER_HOUR) - floor_div(t2, KQ_TICKS_PER_HOUR);
    case PERIOD_MINUTE:
        return floor_div(t1, KQ_TICKS_PER_MINUTE) - floor_div(t2, KQ_TICKS_PER_MINUTE);
    case PERIOD_SECOND:
        return floor_div(t1, KQ_TICKS_PER_SECOND) - floor_div(t2, KQ_TICKS_PER_SECOND);
    case PERIOD_MILLISECOND:
        return floor_div(t1, KQ_TICKS_PER_MILLISECOND) - floor_div(t2, KQ_TICKS_PER_MILLISECOND);
    case PERIOD_MICROSECOND:
        return floor_div(t1, KQ_TICKS_PER_MICROSECOND) - floor_div(t2, KQ_TICKS_PER_MICROSECOND);
    default:
        return 0;
    }
}

/* Counts the period boundaries crossed going from t2 to t1 (calendar counting, not elapsed time).
 * Returns false when the count does not fit a long, which only nanoseconds can do (dates
 * about 292 years apart), so the caller returns null instead of a wrapped number. */
static bool count_boundaries(period p, int64_t t1, int64_t t2, int64_t *out)
{
    int64_t ticks;
    if (p == PERIOD_NANOSECOND)
        return !__builtin_sub_overflow(t1, t2, &ticks) && checked_mul(ticks, 100, out);
    *out = count_calendar_boundaries(p, t1, t2);
    return true;
}

static kq_value eval_datetime_diff(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    period p = period_arg(ctx, &args[0], "datetime_diff", false);
    int64_t t1, t2;
    if (p == PERIOD_NONE || !datetime_arg(ctx, &args[1], &t1) || !datetime_arg(ctx, &args[2], &t2))
        return kq_null(KQ_LONG);
    int64_t n;
    if (!count_boundaries(p, t1, t2, &n))
        return kq_null(KQ_LONG);
    return kq_long(n);
}

static const int64_t fixed_period_ticks[] = {
    [PERIOD_WEEK] = 7 * KQ_TICKS_PER_DAY,
    [PERIOD_DAY] = KQ_TICKS_PER_DAY,
    [PERIOD_HOUR] = KQ_TICKS_PER_HOUR,
    [PERIOD_MINUTE] = KQ_TICKS_PER_MINUTE,
    [PERIOD_SECOND] = KQ_TICKS_PER_SECOND,
    [PERIOD_MILLISECOND] = KQ_TICKS_PER_MILLISECOND,
    [PERIOD_MICROSECOND] = KQ_TICKS_PER_MICROSECOND,
};

static kq_value eval_datetime_add(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    period p = period_arg(ctx, &args[0], "datetime_add", false);
    int64_t amount, ticks, result;
    if (p == PERIOD_NONE || !long_arg(ctx, &args[1], &amount) || !datetime_arg(ctx, &args[2], &ticks))
        return kq_null(KQ_DATETIME);
    bool ok;
    if (p == PERIOD_YEAR || p == PERIOD_QUARTER || p == PERIOD_MONTH) {
        int64_t months = 1;
        if (p == PERIOD_YEAR)
            months = 12;
        else if (p == PERIOD_QUARTER)
            months = 3;
        ok = checked_mul(amount, months, &months) && add_months(ticks, months, &result);
    } else if (p == PERIOD_NANOSECOND) {
        ok = checked_add(ticks, amount / 100, &result); /* sub-tick nanoseconds are dropped */
    } else {
        int64_t delta;
        ok = checked_mul(amount, fixed_period_ticks[p], &delta) && checked_add(ticks, delta, &result);
    }
    if (!ok || !datetime_in_range(result))
        return kq_null(KQ_DATETIME);
    return kq_datetime(result);
}

static kq_value eval_datetime_part(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    period p = period_arg(ctx, &args[0], "datetime_part", true);
    int64_t ticks;
    if (p == PERIOD_NONE || !datetime_arg(ctx, &args[1], &ticks))
        return kq_null(KQ_INT);
    kq_civil_time c;
    kq_datetime_to_civil(ticks, &c);
    switch (p) {
    case PERIOD_YEAR: return kq_int(c.year);
    case PERIOD_QUARTER: return kq_int((c.month - 1) / 3 + 1);
    case PERIOD_MONTH: return kq_int(c.month);
    case PERIOD_WEEK_OF_YEAR: return kq_int(iso_week_of_year(ticks));
    case PERIOD_DAY: return kq_int(c.day);
    case PERIOD_DAY_OF_YEAR: return kq_int(day_of_year(ticks));
    case PERIOD_HOUR: return kq_int(c.hour);
    case PERIOD_MINUTE: return kq_int(c.minute);
    case PERIOD_SECOND: return kq_int(c.second);
    case PERIOD_MILLISECOND: return kq_int(c.fraction_ticks / KQ_TICKS_PER_MILLISECOND);
    case PERIOD_MICROSECOND: return kq_int(c.fraction_ticks / KQ_TICKS_PER_MICROSECOND);
    default: return kq_int(c.fraction_ticks * 100);
    }
}

/* ---- single-part getters ---- */

typedef enum getter {
    GET_DAY_OF_MONTH,
    GET_DAY_OF_YEAR,
    GET_WEEK_OF_YEAR,
    GET_MONTH,
    GET_YEAR,
    GET_HOUR,
} getter;

static kq_value get_part(kq_eval_ctx *ctx, const kq_value *v, getter which)
{
    int64_t ticks;
    if (!datetime_arg(ctx, v, &ticks))
        return kq_null(KQ_INT);
    kq_civil_time c;
    kq_datetime_to_civil(ticks, &c);
    switch (which) {
    case GET_DAY_OF_MONTH: return kq_int(c.day);
    case GET_DAY_OF_YEAR: return kq_int(day_of_year(ticks));
    case GET_WEEK_OF_YEAR: return kq_int(iso_week_of_year(ticks));
    case GET_MONTH: return kq_int(c.month);
    case GET_YEAR: return kq_int(c.year);
    default: return kq_int(c.hour);
    }
}

static kq_value eval_dayofmonth(kq_eval_ctx *ctx, const kq_value *args, int argc) { return get_part(ctx, &args[0], GET_DAY_OF_MONTH); }
static kq_value eval_dayofyear(kq_eval_ctx *ctx, const kq_value *args, int argc) { return get_part(ctx, &args[0], GET_DAY_OF_YEAR); }
static kq_value eval_week_of_year(kq_eval_ctx *ctx, const kq_value *args, int argc) { return get_part(ctx, &args[0], GET_WEEK_OF_YEAR); }
static kq_value eval_monthofyear(kq_eval_ctx *ctx, const kq_value *args, int argc) { return get_part(ctx, &args[0], GET_MONTH); }
static kq_value eval_getyear(kq_eval_ctx *ctx, const kq_value *args, int argc) { return get_part(ctx, &args[0], GET_YEAR); }
static kq_value eval_hourofday(kq_eval_ctx *ctx, const kq_value *args, int argc) { return get_part(ctx, &args[0], GET_HOUR); }

/* dayofweek: days since the preceding Sunday, as a timespan (Sunday is 0d). */
static kq_value eval_dayofweek(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int64_t ticks;
    if (!datetime_arg(ctx, &args[0], &ticks))
        return kq_null(KQ_TIMESPAN);
    return kq_timespan(kq_datetime_weekday(ticks) * KQ_TICKS_PER_DAY);
}

/* ---- endofday, endofweek, endofmonth, endofyear ---- */

/* The last tick of the period that lies offset periods after the one holding the datetime. */
static kq_value end_of(kq_eval_ctx *ctx, const kq_value *args, int argc, period unit)
{
    int64_t ticks, offset = 0, start = 0, next = 0;
    if (!datetime_arg(ctx, &args[0], &ticks) || (argc > 1 && !long_arg(ctx, &args[1], &offset)))
        return kq_null(KQ_DATETIME);
    if (offset > 1000000 || offset < -1000000)
        return kq_null(KQ_DATETIME); /* far outside 0001..9999 for every unit */
    kq_civil_time c;
    kq_datetime_to_civil(ticks, &c);
    bool ok = true;
    switch (unit) {
    case PERIOD_DAY:
        next = start_of_day(ticks) + (offset + 1) * KQ_TICKS_PER_DAY;
        break;
    case PERIOD_WEEK:
        next = start_of_week(ticks) + (offset + 1) * 7 * KQ_TICKS_PER_DAY;
        break;
    default: {
        /* Months and years: step from the period's first day, and past 9999 use the end of time. */
        int64_t months = unit == PERIOD_MONTH ? 1 : 12;
        start = date_ticks(c.year, unit == PERIOD_MONTH ? c.month : 1, 1);
        ok = add_months(start, offset * months, &start);
        kq_civil_time first;
        kq_datetime_to_civil(start, &first);
        if (ok && first.year == 9999 && (unit == PERIOD_YEAR || first.month == 12))
            next = KQ_DATETIME_MAX_TICKS + 1;
        else
            ok = ok && add_months(start, months, &next);
        break;
    }
    }
    if (!ok || !datetime_in_range(next - 1))
        return kq_null(KQ_DATETIME);
    return kq_datetime(next - 1);
}

static kq_value eval_endofday(kq_eval_ctx *ctx, const kq_value *args, int argc) { return end_of(ctx, args, argc, PERIOD_DAY); }
static kq_value eval_endofweek(kq_eval_ctx *ctx, const kq_value *args, int argc) { return end_of(ctx, args, argc, PERIOD_WEEK); }
static kq_value eval_endofmonth(kq_eval_ctx *ctx, const kq_value *args, int argc) { return end_of(ctx, args, argc, PERIOD_MONTH); }
static kq_value eval_endofyear(kq_eval_ctx *ctx, const kq_value *args, int argc) { return end_of(ctx, args, argc, PERIOD_YEAR); }

/* ---- make_datetime, make_timespan ---- */

/* Converts seconds (0 <= s < 60) into whole seconds and fraction ticks, rounding to the nearest tick. */
static bool split_seconds(double seconds, int *whole, int64_t *fraction)
{
    if (!(seconds >= 0 && seconds < 60))
        return false;
    int64_t ticks = llround(seconds * (double)KQ_TICKS_PER_SECOND);
    if (ticks >= 60 * KQ_TICKS_PER_SECOND)
        ticks = 60 * KQ_TICKS_PER_SECOND - 1;
    *whole = (int)(ticks / KQ_TICKS_PER_SECOND);
    *fraction = ticks % KQ_TICKS_PER_SECOND;
    return true;
}

static kq_value eval_make_datetime(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int64_t parts[5] = {0, 0, 0, 0, 0};
    for (int i = 0; i < argc && i < 5; i++)
        if (!long_arg(ctx, &args[i], &parts[i]) || parts[i] < 0 || parts[i] > 9999)
            return kq_null(KQ_DATETIME);
    kq_civil_time c = {.year = (int)parts[0], .month = (int)parts[1], .day = (int)parts[2],
                       .hour = (int)parts[3], .minute = (int)parts[4]};
    double seconds = 0;
    if (argc == 6 && (!real_arg(ctx, &args[5], &seconds) || !split_seconds(seconds, &c.second, &c.fraction_ticks)))
        return kq_null(KQ_DATETIME);
    int64_t ticks;
    if (!kq_datetime_from_civil(&c, &ticks))
        return kq_null(KQ_DATETIME);
    return kq_datetime(ticks);
}

static void bind_make_datetime(const kq_type *args, int argc, kq_bind_result *result)
{
    if (argc == 4) {
        snprintf(result->error, sizeof result->error,
                 "make_datetime() takes 3, 5 or 6 arguments: year, month, day[, hour, minute[, second]]");
        result->error_arg = 3;
        return;
    }
    bind_spec(args, argc, "n", KQ_DATETIME, result);
}

/* make_timespan(hour, minute[, second]) or make_timespan(day, hour, minute, second). */
static kq_value eval_make_timespan(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int64_t day = 0, hour, minute;
    int first = argc == 4 ? 1 : 0;
    if ((argc == 4 && !long_arg(ctx, &args[0], &day)) || !long_arg(ctx, &args[first], &hour) ||
        !long_arg(ctx, &args[first + 1], &minute))
        return kq_null(KQ_TIMESPAN);
    int whole = 0;
    int64_t fraction = 0;
    double seconds;
    if (argc >= 3 && (!real_arg(ctx, &args[argc - 1], &seconds) || !split_seconds(seconds, &whole, &fraction)))
        return kq_null(KQ_TIMESPAN);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || day < -10675199 || day > 10675199)
        return kq_null(KQ_TIMESPAN);
    int64_t ticks = day * KQ_TICKS_PER_DAY + hour * KQ_TICKS_PER_HOUR + minute * KQ_TICKS_PER_MINUTE +
                    whole * KQ_TICKS_PER_SECOND + fraction;
    return kq_timespan(ticks);
}

/* ---- bin_at ---- */

static void bind_bin_at(const kq_type *args, int argc, kq_bind_result *result)
{
    kq_type v = args[0], size = args[1], fixed = args[2];
    if (kq_type_is_numeric(v) && kq_type_is_numeric(size) && kq_type_is_numeric(fixed)) {
        bool real = v == KQ_REAL || v == KQ_DECIMAL || size == KQ_REAL || size == KQ_DECIMAL ||
                    fixed == KQ_REAL || fixed == KQ_DECIMAL;
        result->type = real ? KQ_REAL : KQ_LONG;
    } else if ((v == KQ_DATETIME || v == KQ_TIMESPAN) && size == KQ_TIMESPAN && fixed == v) {
        result->type = v;
    } else {
        snprintf(result->error, sizeof result->error,
                 "bin_at() takes (number, number, number), (datetime, timespan, datetime) or "
                 "(timespan, timespan, timespan), not (%s, %s, %s)",
                 kq_type_name(v), kq_type_name(size), kq_type_name(fixed));
    }
}

/* bin_at(value, size, fixed): fixed + floor((value - fixed) / size) * size; null when size <= 0. */
static kq_value eval_bin_at(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_value *v = &args[0], *size = &args[1], *fixed = &args[2];
    bool real = v->type == KQ_REAL || v->type == KQ_DECIMAL || size->type == KQ_REAL ||
                size->type == KQ_DECIMAL || fixed->type == KQ_REAL || fixed->type == KQ_DECIMAL;
    kq_type type = real ? KQ_REAL : (v->type == KQ_INT ? KQ_LONG : v->type);
    if (v->null || size->null || fixed->null)
        return kq_null(type);
    if (real) {
        double s = kq_value_as_real(size), f = kq_value_as_real(fixed);
        if (!(s > 0))
            return kq_null(KQ_REAL);
        return kq_real(f + floor((kq_value_as_real(v) - f) / s) * s);
    }
    int64_t s = size->u.l, distance, result;
    if (s <= 0 || __builtin_sub_overflow(v->u.l, fixed->u.l, &distance) ||
        !checked_mul(floor_div(distance, s), s, &result) || !checked_add(fixed->u.l, result, &result))
        return kq_null(type);
    if (type == KQ_DATETIME && !datetime_in_range(result))
        return kq_null(type);
    kq_value out = {.type = type};
    out.u.l = result;
    return out;
}

/* ---- unixtime_*_todatetime ---- */

static kq_value unixtime_to_datetime(kq_eval_ctx *ctx, const kq_value *v, int64_t ticks_per_unit, int64_t units_per_tick)
{
    double r;
    int64_t ticks;
    if (v->type == KQ_REAL || v->type == KQ_DECIMAL ||
        (v->type == KQ_DYNAMIC && v->u.d && v->u.d->kind == KQ_DYN_REAL)) {
        if (!real_arg(ctx, v, &r))
            return kq_null(KQ_DATETIME);
        double t = units_per_tick > 1 ? r / (double)units_per_tick : r * (double)ticks_per_unit;
        if (!isfinite(t) || fabs(t) > 4e18)
            return kq_null(KQ_DATETIME);
        ticks = llround(t);
    } else {
        int64_t n;
        if (!long_arg(ctx, v, &n))
            return kq_null(KQ_DATETIME);
        if (units_per_tick > 1)
            ticks = floor_div(n, units_per_tick);
        else if (!checked_mul(n, ticks_per_unit, &ticks))
            return kq_null(KQ_DATETIME);
    }
    int64_t result;
    if (!checked_add(ticks, KQ_UNIX_EPOCH_TICKS, &result) || !datetime_in_range(result))
        return kq_null(KQ_DATETIME);
    return kq_datetime(result);
}

static kq_value eval_unixtime_seconds(kq_eval_ctx *ctx, const kq_value *args, int argc) { return unixtime_to_datetime(ctx, &args[0], KQ_TICKS_PER_SECOND, 1); }
static kq_value eval_unixtime_milliseconds(kq_eval_ctx *ctx, const kq_value *args, int argc) { return unixtime_to_datetime(ctx, &args[0], KQ_TICKS_PER_MILLISECOND, 1); }
static kq_value eval_unixtime_microseconds(kq_eval_ctx *ctx, const kq_value *args, int argc) { return unixtime_to_datetime(ctx, &args[0], KQ_TICKS_PER_MICROSECOND, 1); }
static kq_value eval_unixtime_nanoseconds(kq_eval_ctx *ctx, const kq_value *args, int argc) { return unixtime_to_datetime(ctx, &args[0], 1, 100); }

/* ---- format_datetime and format_timespan ---- */

static const char *const day_names[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
static const char *const month_names[] = {"January", "February", "March", "April", "May", "June", "July",
                                          "August", "September", "October", "November", "December"};

/* Appends a non-negative number padded with zeros to at least width digits. */
static void put_number(kq_buf *out, int64_t value, int width)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)value);
    for (int i = n; i < width; i++)
        kq_buf_putc(out, '0');
    kq_buf_append(out, digits, (size_t)n);
}

/*
 * Appends the first count digits of a 7-digit tick fraction. With trim (the
 * F specifiers) trailing zeros are dropped, and when nothing is left the
 * preceding '.' is removed too, as .NET does.
 */
static void put_fraction(kq_buf *out, int64_t fraction, int count, bool trim)
{
    char digits[8];
    snprintf(digits, sizeof digits, "%07lld", (long long)fraction);
    int n = count;
    if (trim)
        while (n > 0 && digits[n - 1] == '0')
            n--;
    if (trim && n == 0) {
        if (out->len > 0 && out->data[out->len - 1] == '.')
            out->data[--out->len] = '\0';
        return;
    }
    kq_buf_append(out, digits, (size_t)n);
}

/*
 * Appends a quoted literal ('text' or "text") or a backslash escape starting
 * at fmt[i]; returns the index after it. A missing closing quote ends the literal
 * at the end of the format.
 */
static size_t put_literal(kq_buf *out, const char *fmt, size_t len, size_t i)
{
    char c = fmt[i];
    if (c == '\\') {
        if (i + 1 < len)
            kq_buf_putc(out, fmt[i + 1]);
        return i + 2;
    }
    size_t j = i + 1;
    while (j < len && fmt[j] != c)
        j++;
    kq_buf_append(out, fmt + i + 1, j - i - 1);
    return j + 1;
}

/* Formats a datetime with .NET custom date and time format specifiers (invariant culture, UTC). */
static bool format_datetime_text(int64_t ticks, const char *fmt, size_t len, kq_buf *out)
{
    kq_civil_time c;
    kq_datetime_to_civil(ticks, &c);
    int hour12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
    size_t i = 0;
    while (i < len) {
        char ch = fmt[i];
        if (ch == '\'' || ch == '"' || ch == '\\') {
            i = put_literal(out, fmt, len, i);
            continue;
        }
        size_t run = 1;
        while (i + run < len && fmt[i + run] == ch)
            run++;
        int n = (int)run;
        switch (ch) {
        case 'd':
            if (n <= 2)
                put_number(out, c.day, n);
            else
                kq_buf_append(out, day_names[kq_datetime_weekday(ticks)], n == 3 ? 3 : strlen(day_names[kq_datetime_weekday(ticks)]));
            break;
        case 'M':
            if (n <= 2)
                put_number(out, c.month, n);
            else
                kq_buf_append(out, month_names[c.month - 1], n == 3 ? 3 : strlen(month_names[c.month - 1]));
            break;
        case 'y':
            put_number(out, n <= 2 ? c.year % 100 : c.year, n);
            break;
        case 'h':
            put_number(out, hour12, n > 2 ? 2 : n);
            break;
        case 'H':
            put_number(out, c.hour, n > 2 ? 2 : n);
            break;
        case 'm':
            put_number(out, c.minute, n > 2 ? 2 : n);
            break;
        case 's':
            put_number(out, c.second, n > 2 ? 2 : n);
            break;
        case 'f':
        case 'F':
            if (n > 7)
                return false;
            put_fraction(out, c.fraction_ticks, n, ch == 'F');
            break;
        case 't':
            kq_buf_append(out, c.hour < 12 ? "AM" : "PM", n == 1 ? 1 : 2);
            break;
        case 'z':
            /* Datetimes are UTC, so z, zz and zzz all write a zero offset. */
            if (n == 1)
                kq_buf_puts(out, "+0");
            else if (n == 2)
                kq_buf_puts(out, "+00");
            else
                kq_buf_puts(out, "+00:00");
            break;
        case 'K':
            for (int k = 0; k < n; k++)
                kq_buf_putc(out, 'Z');
            break;
        default:
            kq_buf_append(out, fmt + i, run);
            break;
        }
        i += run;
    }
    return true;
}

static kq_value eval_format_datetime(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int64_t ticks;
    if (!datetime_arg(ctx, &args[0], &ticks))
        return kq_null(KQ_STRING);
    kq_str fmt = kq_value_to_str(ctx->arena, &args[1]);
    kq_buf out;
    kq_buf_init(&out);
    kq_value result = kq_null(KQ_STRING);
    if (format_datetime_text(ticks, fmt.ptr, fmt.len, &out))
        result = kq_string(kq_arena_strndup(ctx->arena, out.data, out.len), out.len);
    kq_buf_free(&out);
    return result;
}

/*
 * Formats a timespan with .NET custom timespan specifiers: d (whole days,
 * padded to the run length, up to 8), h/H and hh/HH (hours), m, s, f and F.
 * NOTE: like .NET custom formats, no sign is written for a negative timespan;
 * whether Kusto adds one is not documented.
 */
static bool format_timespan_text(int64_t ticks, const char *fmt, size_t len, kq_buf *out)
{
    uint64_t magnitude = ticks < 0 ? (uint64_t)0 - (uint64_t)ticks : (uint64_t)ticks;
    int64_t days = (int64_t)(magnitude / (uint64_t)KQ_TICKS_PER_DAY);
    int64_t rest = (int64_t)(magnitude % (uint64_t)KQ_TICKS_PER_DAY);
    int64_t hours = rest / KQ_TICKS_PER_HOUR, minutes = rest / KQ_TICKS_PER_MINUTE % 60;
    int64_t seconds = rest / KQ_TICKS_PER_SECOND % 60, fraction = rest % KQ_TICKS_PER_SECOND;
    size_t i = 0;
    while (i < len) {
        char ch = fmt[i];
        if (ch == '\'' || ch == '"' || ch == '\\') {
            i = put_literal(out, fmt, len, i);
            continue;
        }
        size_t run = 1;
        while (i + run < len && fmt[i + run] == ch)
            run++;
        int n = (int)run;
        switch (ch) {
        case 'd':
            if (n > 8)
                return false;
            put_number(out, days, n);
            break;
        case 'h':
        case 'H':
            put_number(out, hours, n > 2 ? 2 : n);
            break;
        case 'm':
            put_number(out, minutes, n > 2 ? 2 : n);
            break;
        case 's':
            put_number(out, seconds, n > 2 ? 2 : n);
            break;
        case 'f':
        case 'F':
            if (n > 7)
                return false;
            put_fraction(out, fraction, n, ch == 'F');
            break;
        default:
            kq_buf_append(out, fmt + i, run);
            break;
        }
        i += run;
    }
    return true;
}

static kq_value eval_format_timespan(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_value *v = &args[0];
    int64_t ticks;
    if (v->null)
        return kq_null(KQ_STRING);
    if (v->type == KQ_TIMESPAN) {
        ticks = v->u.l;
    } else {
        kq_value d = v->type == KQ_DYNAMIC ? kq_dyn_to_value(v->u.d, KQ_TIMESPAN, ctx->arena) : kq_null(KQ_TIMESPAN);
        if (d.null)
            return kq_null(KQ_STRING);
        ticks = d.u.l;
    }
    kq_str fmt = kq_value_to_str(ctx->arena, &args[1]);
    kq_buf out;
    kq_buf_init(&out);
    kq_value result = kq_null(KQ_STRING);
    if (format_timespan_text(ticks, fmt.ptr, fmt.len, &out))
        result = kq_string(kq_arena_strndup(ctx->arena, out.data, out.len), out.len);
    kq_buf_free(&out);
    return result;
}

#define FN(name, min, max, bind, eval, sig, doc) {name, min, max, bind, eval, sig, doc}

const kq_function kq_time_functions[] = {
    FN("format_datetime", 2, 2, bind_ds_string, eval_format_datetime, "format_datetime(datetime, format) -> string",
       "Formats a datetime with .NET-style specifiers (yyyy, MM, dd, HH, hh, mm, ss, f..fffffff, F..FFFFFFF, tt)."),
    FN("format_timespan", 2, 2, bind_ts_string, eval_format_timespan, "format_timespan(timespan, format) -> string",
       "Formats a timespan with specifiers d..dddddddd, h, H, HH, m, mm, s, ss, f..fffffff, F..FFFFFFF."),
    FN("datetime_diff", 3, 3, bind_sdd_long, eval_datetime_diff, "datetime_diff(period, datetime1, datetime2) -> long",
       "Number of period boundaries between datetime2 and datetime1 (year, quarter, month, week, day, ..., nanosecond)."),
    FN("datetime_add", 3, 3, bind_snd_datetime, eval_datetime_add, "datetime_add(period, amount, datetime) -> datetime",
       "Adds amount periods to the datetime; months and years keep the day or clamp it to the month's end."),
    FN("datetime_part", 2, 2, bind_sd_int, eval_datetime_part, "datetime_part(part, datetime) -> int",
       "Extracts a part: year, quarter, month, week_of_year, day, dayofyear, hour, ..., nanosecond."),
    FN("datepart", 2, 2, bind_sd_int, eval_datetime_part, "datepart(part, datetime) -> int",
       "Deprecated alias of datetime_part()."),
    FN("dayofweek", 1, 1, bind_d_timespan, eval_dayofweek, "dayofweek(datetime) -> timespan",
       "Whole days since the preceding Sunday (0d for Sunday)."),
    FN("dayofmonth", 1, 1, bind_d_int, eval_dayofmonth, "dayofmonth(datetime) -> int", "Day of the month, 1 to 31."),
    FN("dayofyear", 1, 1, bind_d_int, eval_dayofyear, "dayofyear(datetime) -> int", "Day of the year, 1 to 366."),
    FN("week_of_year", 1, 1, bind_d_int, eval_week_of_year, "week_of_year(datetime) -> int", "ISO 8601 week number."),
    FN("weekofyear", 1, 1, bind_d_int, eval_week_of_year, "weekofyear(datetime) -> int",
       "Deprecated alias of week_of_year() (ISO 8601 week number)."),
    FN("monthofyear", 1, 1, bind_d_int, eval_monthofyear, "monthofyear(datetime) -> int", "Month number, 1 to 12."),
    FN("getmonth", 1, 1, bind_d_int, eval_monthofyear, "getmonth(datetime) -> int", "Month number, 1 to 12."),
    FN("getyear", 1, 1, bind_d_int, eval_getyear, "getyear(datetime) -> int", "The year."),
    FN("hourofday", 1, 1, bind_d_int, eval_hourofday, "hourofday(datetime) -> int", "Hour of the day, 0 to 23."),
    FN("endofday", 1, 2, bind_dn_datetime, eval_endofday, "endofday(datetime[, offset]) -> datetime",
       "Last tick of the day, offset days later."),
    FN("endofweek", 1, 2, bind_dn_datetime, eval_endofweek, "endofweek(datetime[, offset]) -> datetime",
       "Last tick of the week's Saturday, offset weeks later."),
    FN("endofmonth", 1, 2, bind_dn_datetime, eval_endofmonth, "endofmonth(datetime[, offset]) -> datetime",
       "Last tick of the month, offset months later."),
    FN("endofyear", 1, 2, bind_dn_datetime, eval_endofyear, "endofyear(datetime[, offset]) -> datetime",
       "Last tick of the year, offset years later."),
    FN("make_datetime", 3, 6, bind_make_datetime, eval_make_datetime,
       "make_datetime(year, month, day[, hour, minute[, second]]) -> datetime", "A datetime from its parts; null when a part is out of range."),
    FN("make_timespan", 2, 4, bind_n_timespan, eval_make_timespan,
       "make_timespan([day,] hour, minute[, second]) -> timespan", "A timespan from its parts; null when a part is out of range."),
    FN("bin_at", 3, 3, bind_bin_at, eval_bin_at, "bin_at(value, size, fixed_point)",
       "Rounds down to a multiple of size, with bins aligned to fixed_point."),
    FN("unixtime_seconds_todatetime", 1, 1, bind_n_datetime, eval_unixtime_seconds,
       "unixtime_seconds_todatetime(seconds) -> datetime", "Datetime of a Unix time in seconds."),
    FN("unixtime_milliseconds_todatetime", 1, 1, bind_n_datetime, eval_unixtime_milliseconds,
       "unixtime_milliseconds_todatetime(milliseconds) -> datetime", "Datetime of a Unix time in milliseconds."),
    FN("unixtime_microseconds_todatetime", 1, 1, bind_n_datetime, eval_unixtime_microseconds,
       "unixtime_microseconds_todatetime(microseconds) -> datetime", "Datetime of a Unix time in microseconds."),
    FN("unixtime_nanoseconds_todatetime", 1, 1, bind_n_datetime, eval_unixtime_nanoseconds,
       "unixtime_nanoseconds_todatetime(nanoseconds) -> datetime", "Datetime of a Unix time in nanoseconds."),
    FN("datetime_utc_to_local", 2, 2, kq_bind_time_zone_conversion, kq_eval_datetime_utc_to_local,
       "datetime_utc_to_local(datetime, timezone) -> datetime", "Local time in an IANA time zone of a UTC datetime."),
    FN("datetime_local_to_utc", 2, 2, kq_bind_time_zone_conversion, kq_eval_datetime_local_to_utc,
       "datetime_local_to_utc(datetime, timezone) -> datetime", "UTC datetime of a local time in an IANA time zone."),
};
const size_t kq_time_function_count = KQ_ARRAY_LEN(kq_time_functions);
