/* datetime and timespan ticks: parsing, formatting and calendar arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "types/types.h"

static int64_t parse(const char *text)
{
    int64_t ticks = -1;
    if (!kq_datetime_parse(text, strlen(text), &ticks))
        fail_msg("did not parse: %s", text);
    return ticks;
}

static void format_has_seven_digits(void **state)
{
    (void)state;
    char out[32];
    kq_datetime_format(parse("2026-11-27T10:00:00.1234567Z"), out);
    assert_string_equal(out, "2026-11-27T10:00:00.1234567Z");
    kq_datetime_format(parse("2015-12-31 23:59:59.9"), out);
    assert_string_equal(out, "2015-12-31T23:59:59.9000000Z");
    kq_datetime_format(parse("2015-12-31"), out);
    assert_string_equal(out, "2015-12-31T00:00:00.0000000Z");
    kq_datetime_format(0, out);
    assert_string_equal(out, "0001-01-01T00:00:00.0000000Z");
}

static void unix_epoch_and_offsets(void **state)
{
    (void)state;
    assert_int_equal(parse("1970-01-01T00:00:00Z"), KQ_UNIX_EPOCH_TICKS);
    assert_int_equal(parse("2026-01-01T02:00:00+02:00"), parse("2026-01-01T00:00:00Z"));
    assert_int_equal(parse("2026-01-01T00:00:00-0130"), parse("2026-01-01T01:30:00Z"));
    /* More than seven fractional digits are cut, not rounded. */
    assert_int_equal(parse("2026-01-01T00:00:00.123456789Z"), parse("2026-01-01T00:00:00.1234567Z"));
}

static void rfc822_forms(void **state)
{
    (void)state;
    assert_int_equal(parse("Sat, 8 Nov 2014 15:05:02 GMT"), parse("2014-11-08T15:05:02Z"));
    assert_int_equal(parse("Saturday, 08-Nov-14 15:05:02 GMT"), parse("2014-11-08T15:05:02Z"));
}

static void invalid_datetimes(void **state)
{
    (void)state;
    const char *bad[] = {"", "2026-02-30", "2026-13-01", "2026-01-01T25:00:00Z", "yesterday", "10000-01-01",
                         "2026-01-01T00:00:00Zjunk"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ticks;
        if (kq_datetime_parse(bad[i], strlen(bad[i]), &ticks))
            fail_msg("parsed but should not: '%s'", bad[i]);
    }
}

static void civil_round_trip(void **state)
{
    (void)state;
    /* Every day boundary over four centuries converts back to itself. */
    for (int64_t day = 0; day < 146097; day += 13) {
        int64_t ticks = (INT64_C(730000) + day) * KQ_TICKS_PER_DAY + 12345;
        kq_civil_time civil;
        kq_datetime_to_civil(ticks, &civil);
        int64_t back;
        assert_true(kq_datetime_from_civil(&civil, &back));
        assert_int_equal(back, ticks);
    }
    assert_int_equal(kq_datetime_weekday(parse("2026-12-04")), 5); /* a Friday */
}

static void timespan_forms(void **state)
{
    (void)state;
    char out[48];
    kq_timespan_format(3 * KQ_TICKS_PER_HOUR, out);
    assert_string_equal(out, "03:00:00");
    kq_timespan_format(365 * KQ_TICKS_PER_DAY, out);
    assert_string_equal(out, "365.00:00:00");
    kq_timespan_format(-(KQ_TICKS_PER_DAY + 1), out);
    assert_string_equal(out, "-1.00:00:00.0000001");
    int64_t ticks;
    assert_true(kq_timespan_parse("0.12:34:56.7", 12, &ticks));
    assert_int_equal(ticks, 12 * KQ_TICKS_PER_HOUR + 34 * KQ_TICKS_PER_MINUTE + 56 * KQ_TICKS_PER_SECOND + 7000000);
    assert_true(kq_timespan_parse("2", 1, &ticks));
    assert_int_equal(ticks, 2 * KQ_TICKS_PER_DAY);
    assert_false(kq_timespan_parse("1:61", 4, &ticks));
}

static void timespan_suffixes(void **state)
{
    (void)state;
    assert_int_equal(kq_timespan_suffix_ticks("d", 1), KQ_TICKS_PER_DAY);
    assert_int_equal(kq_timespan_suffix_ticks("hrs", 3), KQ_TICKS_PER_HOUR);
    assert_int_equal(kq_timespan_suffix_ticks("min", 3), KQ_TICKS_PER_MINUTE);
    assert_int_equal(kq_timespan_suffix_ticks("millisec", 8), KQ_TICKS_PER_MILLISECOND);
    assert_int_equal(kq_timespan_suffix_ticks("microseconds", 12), KQ_TICKS_PER_MICROSECOND);
    assert_int_equal(kq_timespan_suffix_ticks("tick", 4), 1);
    assert_int_equal(kq_timespan_suffix_ticks("nanos", 5), -100);
    assert_int_equal(kq_timespan_suffix_ticks("w", 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(format_has_seven_digits), cmocka_unit_test(unix_epoch_and_offsets),
        cmocka_unit_test(rfc822_forms),            cmocka_unit_test(invalid_datetimes),
        cmocka_unit_test(civil_round_trip),        cmocka_unit_test(timespan_forms),
        cmocka_unit_test(timespan_suffixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
