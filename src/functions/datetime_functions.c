/* datetime functions: now, ago, bin and the start-of-period family. */
#include "functions/registry.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>

static void bind_now(const kq_type *args, int argc, kq_bind_result *result)
{
    if (argc == 1 && args[0] != KQ_TIMESPAN) {
        snprintf(result->error, sizeof result->error, "now() takes a timespan offset, not %s",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    result->type = KQ_DATETIME;
}

static kq_value eval_now(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    if (argc == 1) {
        if (args[0].null)
            return kq_null(KQ_DATETIME);
        return kq_datetime(ctx->now + args[0].u.l);
    }
    return kq_datetime(ctx->now);
}

static void bind_ago(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_TIMESPAN) {
        snprintf(result->error, sizeof result->error, "ago() takes a timespan, not %s",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    result->type = KQ_DATETIME;
}

static kq_value eval_ago(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    if (args[0].null)
        return kq_null(KQ_DATETIME);
    return kq_datetime(ctx->now - args[0].u.l);
}

static void bind_bin(const kq_type *args, int argc, kq_bind_result *result)
{
    bool ok = (kq_type_is_numeric(args[0]) && kq_type_is_numeric(args[1])) ||
              (args[0] == KQ_DATETIME && args[1] == KQ_TIMESPAN) ||
              (args[0] == KQ_TIMESPAN && args[1] == KQ_TIMESPAN);
    if (!ok) {
        snprintf(result->error, sizeof result->error,
                 "bin() takes a number and a number, or a datetime or timespan and a timespan");
        return;
    }
    result->type = kq_type_is_numeric(args[0]) ? (args[0] == KQ_INT ? KQ_LONG : args[0]) : args[0];
    if (kq_type_is_numeric(args[0]))
        result->type = kq_numeric_result(args[0] == KQ_INT ? KQ_LONG : args[0], args[1]);
}

/* bin(value, size): rounds down to a multiple of size (datetimes from 0001-01-01). */
static kq_value eval_bin(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_value *v = &args[0], *size = &args[1];
    if (v->null || size->null)
        return kq_null(v->type == KQ_INT ? KQ_LONG : v->type);
    if (v->type == KQ_REAL || size->type == KQ_REAL || v->type == KQ_DECIMAL) {
        double s = kq_value_as_real(size);
        if (s <= 0)
            return kq_null(KQ_REAL);
        return kq_real(floor(kq_value_as_real(v) / s) * s);
    }
    int64_t s = size->u.l;
    if (s <= 0)
        return kq_null(v->type == KQ_INT ? KQ_LONG : v->type);
    int64_t q = v->u.l / s;
    if (v->u.l % s != 0 && v->u.l < 0)
        q--;
    kq_value r = *v;
    if (r.type == KQ_INT)
        r.type = KQ_LONG;
    r.u.l = q * s;
    return r;
}

static void bind_datetime_arg(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_DATETIME) {
        snprintf(result->error, sizeof result->error, "expects a datetime, not %s", kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    if (argc == 2 && !kq_type_is_integer(args[1])) {
        snprintf(result->error, sizeof result->error, "the offset must be an integer number of periods");
        result->error_arg = 1;
        return;
    }
    result->type = KQ_DATETIME;
}

/* Moves a period start by offset periods (days, weeks, months or years). */
static kq_value shift_period(kq_value start, char unit, int64_t offset)
{
    if (start.null || offset == 0)
        return start;
    if (unit == 'd' || unit == 'w') {
        int64_t step = unit == 'd' ? KQ_TICKS_PER_DAY : 7 * KQ_TICKS_PER_DAY;
        if (offset > 4000000 || offset < -4000000)
            return kq_null(KQ_DATETIME);
        int64_t ticks = start.u.l + offset * step;
        return ticks < 0 || ticks > KQ_DATETIME_MAX_TICKS ? kq_null(KQ_DATETIME) : kq_datetime(ticks);
    }
    kq_civil_time c;
    kq_datetime_to_civil(start.u.l, &c);
    int64_t months = (int64_t)c.year * 12 + (c.month - 1) + (unit == 'y' ? offset * 12 : offset);
    if (months < 12 || months >= 10000 * 12)
        return kq_null(KQ_DATETIME);
    c.year = (int)(months / 12);
    c.month = (int)(months % 12) + 1;
    int64_t ticks;
    return kq_datetime_from_civil(&c, &ticks) ? kq_datetime(ticks) : kq_null(KQ_DATETIME);
}

static kq_value start_of(const kq_value *v, char unit)
{
    if (v->null)
        return kq_null(KQ_DATETIME);
    int64_t day = v->u.l - v->u.l % KQ_TICKS_PER_DAY;
    kq_civil_time c;
    kq_datetime_to_civil(v->u.l, &c);
    c.hour = c.minute = c.second = 0;
    c.fraction_ticks = 0;
    int64_t ticks = day;
    switch (unit) {
    case 'w':
        ticks = day - kq_datetime_weekday(v->u.l) * KQ_TICKS_PER_DAY;
        break;
    case 'm':
        c.day = 1;
        kq_datetime_from_civil(&c, &ticks);
        break;
    case 'y':
        c.day = 1;
        c.month = 1;
        kq_datetime_from_civil(&c, &ticks);
        break;
    default:
        break;
    }
    return kq_datetime(ticks);
}

static kq_value eval_startofday(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return shift_period(start_of(&args[0], 'd'), 'd', argc == 2 && !args[1].null ? args[1].u.l : 0);
}
static kq_value eval_startofweek(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return shift_period(start_of(&args[0], 'w'), 'w', argc == 2 && !args[1].null ? args[1].u.l : 0);
}
static kq_value eval_startofmonth(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return shift_period(start_of(&args[0], 'm'), 'm', argc == 2 && !args[1].null ? args[1].u.l : 0);
}
static kq_value eval_startofyear(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return shift_period(start_of(&args[0], 'y'), 'y', argc == 2 && !args[1].null ? args[1].u.l : 0);
}

#define FN(name, min, max, bind, eval, sig, doc) {name, min, max, bind, eval, sig, doc}

const kq_function kq_datetime_functions[] = {
    FN("now", 0, 1, bind_now, eval_now, "now([offset]) -> datetime", "The query's current UTC time plus an optional offset; one instant per query."),
    FN("ago", 1, 1, bind_ago, eval_ago, "ago(timespan) -> datetime", "now() minus the timespan."),
    FN("bin", 2, 2, bind_bin, eval_bin, "bin(value, size)", "Rounds down to a multiple of size."),
    FN("floor", 2, 2, bind_bin, eval_bin, "floor(value, size)", "Same as bin()."),
    FN("startofday", 1, 2, bind_datetime_arg, eval_startofday, "startofday(datetime [, offset]) -> datetime", "Midnight of the day."),
    FN("startofweek", 1, 2, bind_datetime_arg, eval_startofweek, "startofweek(datetime [, offset]) -> datetime", "Midnight of the week's Sunday."),
    FN("startofmonth", 1, 2, bind_datetime_arg, eval_startofmonth, "startofmonth(datetime [, offset]) -> datetime", "Midnight of the month's first day."),
    FN("startofyear", 1, 2, bind_datetime_arg, eval_startofyear, "startofyear(datetime [, offset]) -> datetime", "Midnight of January 1."),
};
const size_t kq_datetime_function_count = KQ_ARRAY_LEN(kq_datetime_functions);
