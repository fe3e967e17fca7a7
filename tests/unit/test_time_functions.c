/* Time functions called through the function registry: calendar edges and time-zone transitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "functions/registry.h"

static kq_arena *arena;

static kq_value call(const char *name, const kq_value *args, int argc)
{
    const kq_function *fn = kq_function_find(name, strlen(name));
    if (!fn)
        fail_msg("function not registered: %s", name);
    kq_eval_ctx ctx = {.arena = arena};
    return fn->eval(&ctx, args, argc);
}

static kq_value text(const char *s)
{
    return kq_string(s, strlen(s));
}

static kq_value at(const char *iso)
{
    int64_t ticks;
    if (!kq_datetime_parse(iso, strlen(iso), &ticks))
        fail_msg("invalid datetime in test: %s", iso);
    return kq_datetime(ticks);
}

/* Runs a one-datetime function and formats its datetime result, or returns "null". */
static const char *convert(const char *function, const char *iso, const char *zone)
{
    kq_value args[2] = {at(iso), text(zone)};
    kq_value v = call(function, args, 2);
    if (v.null)
        return "null";
    char *out = kq_arena_alloc(arena, 32);
    kq_datetime_format(v.u.l, out);
    return out;
}

static void iso_weeks_at_year_ends(void **state)
{
    (void)state;
    struct {
        const char *date;
        int week;
    } cases[] = {
        {"2004-12-31", 53}, {"2005-01-01", 53}, {"2005-01-03", 1}, {"2007-12-31", 1},
        {"2008-12-29", 1},  {"2010-01-03", 53}, {"2010-01-04", 1}, {"0001-01-01", 1},
        {"9999-12-31", 52},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kq_value arg = at(cases[i].date);
        kq_value v = call("week_of_year", &arg, 1);
        if (v.u.l != cases[i].week)
            fail_msg("week_of_year(%s) returned %lld, expected %d", cases[i].date, (long long)v.u.l, cases[i].week);
    }
}

static void diff_counts_boundaries(void **state)
{
    (void)state;
    kq_value args[3] = {text("year"), at("2017-01-01T00:00:00"), at("2016-12-31T23:59:59.9999999")};
    assert_int_equal(call("datetime_diff", args, 3).u.l, 1);
    args[0] = text("WEEK");
    args[1] = at("2017-01-01"); /* a Sunday */
    args[2] = at("2016-12-31"); /* the Saturday before */
    assert_int_equal(call("datetime_diff", args, 3).u.l, 1);
    args[0] = text("day");
    args[1] = at("2016-12-31");
    args[2] = at("2017-01-02T23:00:00");
    assert_int_equal(call("datetime_diff", args, 3).u.l, -2);
    args[0] = text("fortnight");
    kq_eval_ctx ctx = {.arena = arena};
    const kq_function *fn = kq_function_find("datetime_diff", 13);
    assert_true(fn->eval(&ctx, args, 3).null);
    assert_non_null(ctx.error);
}

static void add_clamps_to_month_end(void **state)
{
    (void)state;
    kq_value args[3] = {text("quarter"), kq_long(1), at("2016-11-30")};
    kq_value v = call("datetime_add", args, 3);
    assert_int_equal(v.u.l, at("2017-02-28").u.l);
    args[0] = text("month");
    args[1] = kq_long(INT64_MAX);
    assert_true(call("datetime_add", args, 3).null);
    args[0] = text("second");
    assert_true(call("datetime_add", args, 3).null);
    args[1] = kq_long(-1);
    args[2] = at("0001-01-01");
    assert_true(call("datetime_add", args, 3).null);
}

static void format_long_runs(void **state)
{
    (void)state;
    kq_value args[2] = {at("2009-06-15T13:45:30.0001150"), text("yyyyyy|FFFFFFF|fffffff|'ss'\\d|%d")};
    kq_value v = call("format_datetime", args, 2);
    assert_int_equal(v.u.s.len, strlen("002009|000115|0001150|ssd|%15"));
    assert_memory_equal(v.u.s.ptr, "002009|000115|0001150|ssd|%15", v.u.s.len);
    args[1] = text("ffffffff"); /* eight f's: more digits than the 7-digit tick fraction */
    assert_int_equal(call("format_datetime", args, 2).u.s.len, 0);
}

static void local_to_utc_transitions(void **state)
{
    (void)state;
    /* Europe/Brussels, 2022-03-27: 02:00 CET jumps to 03:00 CEST; the skipped hour takes +02:00. */
    assert_string_equal(convert("datetime_local_to_utc", "2022-03-27T01:59:59", "Europe/Brussels"),
                        "2022-03-27T00:59:59.0000000Z");
    assert_string_equal(convert("datetime_local_to_utc", "2022-03-27T02:30:00", "Europe/Brussels"),
                        "2022-03-27T00:30:00.0000000Z");
    assert_string_equal(convert("datetime_local_to_utc", "2022-03-27T03:00:00", "Europe/Brussels"),
                        "2022-03-27T01:00:00.0000000Z");
    /* 2022-10-30: 03:00 CEST goes back to 02:00 CET; the repeated hour takes +01:00. */
    assert_string_equal(convert("datetime_local_to_utc", "2022-10-30T02:30:00", "Europe/Brussels"),
                        "2022-10-30T01:30:00.0000000Z");
    assert_string_equal(convert("datetime_utc_to_local", "2022-10-30T00:59:59", "Europe/Brussels"),
                        "2022-10-30T02:59:59.0000000Z");
    assert_string_equal(convert("datetime_utc_to_local", "2022-10-30T01:00:00", "Europe/Brussels"),
                        "2022-10-30T02:00:00.0000000Z");
}

static void footer_rule_transitions(void **state)
{
    (void)state;
    /* Past the last transition in the file, America/New_York follows EST5EDT,M3.2.0,M11.1.0. */
    assert_string_equal(convert("datetime_utc_to_local", "2100-03-14T06:59:59", "America/New_York"),
                        "2100-03-14T01:59:59.0000000Z");
    assert_string_equal(convert("datetime_utc_to_local", "2100-03-14T07:00:00", "America/New_York"),
                        "2100-03-14T03:00:00.0000000Z");
    assert_string_equal(convert("datetime_utc_to_local", "2100-11-07T05:59:59", "America/New_York"),
                        "2100-11-07T01:59:59.0000000Z");
    assert_string_equal(convert("datetime_utc_to_local", "2100-11-07T06:00:00", "America/New_York"),
                        "2100-11-07T01:00:00.0000000Z");
    assert_string_equal(convert("datetime_utc_to_local", "9999-12-31T23:59:59", "Asia/Tokyo"), "null");
    assert_string_equal(convert("datetime_utc_to_local", "0001-01-01T00:00:00", "UTC"),
                        "0001-01-01T00:00:00.0000000Z");
}

static void zone_names_rejected(void **state)
{
    (void)state;
    const char *names[] = {"", "/etc/passwd", "../zoneinfo/UTC", "Europe/../UTC", "Europe//Paris",
                           "Europe", "Europe/", "No/Such_Zone", "UTC\n"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(convert("datetime_utc_to_local", "2020-01-01", names[i]), "null") != 0)
            fail_msg("zone name accepted: \"%s\"", names[i]);
}

static int setup(void **state)
{
    (void)state;
    arena = kq_arena_new(4096);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kq_arena_free(arena);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(iso_weeks_at_year_ends),   cmocka_unit_test(diff_counts_boundaries),
        cmocka_unit_test(add_clamps_to_month_end),  cmocka_unit_test(format_long_runs),
        cmocka_unit_test(local_to_utc_transitions), cmocka_unit_test(footer_rule_transitions),
        cmocka_unit_test(zone_names_rejected),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
