/*
 * Math functions through the registry: result types against the Kusto
 * language service, rounding, integer overflow, bit shifts and series edge
 * cases that a query cannot easily build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <math.h>

#include "base/buf.h"
#include "functions/registry.h"

static const kq_function *find(const char *name)
{
    const kq_function *fn = kq_function_find(name, strlen(name));
    if (!fn)
        fail_msg("function %s is not registered", name);
    return fn;
}

typedef struct type_case {
    const char *name;
    int argc;
    kq_type args[4];
    kq_type expected; /* KQ_TYPE_NONE: the binder must reject the call */
} type_case;

/* Expected types are those @kusto/language-service-next 12.4.1 reports for the same calls. */
static const type_case type_cases[] = {
    {"abs", 1, {KQ_INT}, KQ_LONG},
    {"abs", 1, {KQ_REAL}, KQ_REAL},
    {"abs", 1, {KQ_DECIMAL}, KQ_DECIMAL},
    {"abs", 1, {KQ_TIMESPAN}, KQ_TIMESPAN},
    {"abs", 1, {KQ_STRING}, KQ_TYPE_NONE},
    {"abs", 1, {KQ_DYNAMIC}, KQ_TYPE_NONE},
    {"ceiling", 1, {KQ_INT}, KQ_INT},
    {"ceiling", 1, {KQ_LONG}, KQ_LONG},
    {"ceiling", 1, {KQ_TIMESPAN}, KQ_TYPE_NONE},
    {"round", 2, {KQ_INT, KQ_LONG}, KQ_INT},
    {"round", 2, {KQ_REAL, KQ_INT}, KQ_REAL},
    {"round", 2, {KQ_REAL, KQ_REAL}, KQ_TYPE_NONE},
    {"sqrt", 1, {KQ_LONG}, KQ_REAL},
    {"sqrt", 1, {KQ_STRING}, KQ_TYPE_NONE},
    {"pow", 2, {KQ_INT, KQ_INT}, KQ_REAL},
    {"sign", 1, {KQ_INT}, KQ_REAL},
    {"sign", 1, {KQ_TIMESPAN}, KQ_TYPE_NONE},
    {"isnan", 1, {KQ_INT}, KQ_BOOL},
    {"isnan", 1, {KQ_TIMESPAN}, KQ_TYPE_NONE},
    {"log", 1, {KQ_DECIMAL}, KQ_REAL},
    {"binary_and", 2, {KQ_INT, KQ_INT}, KQ_LONG},
    {"binary_xor", 2, {KQ_REAL, KQ_LONG}, KQ_TYPE_NONE},
    {"binary_or", 2, {KQ_BOOL, KQ_LONG}, KQ_TYPE_NONE},
    {"bitset_count_ones", 1, {KQ_INT}, KQ_LONG},
    {"todecimal", 1, {KQ_STRING}, KQ_DECIMAL},
    {"min_of", 2, {KQ_INT, KQ_INT}, KQ_INT},
    {"min_of", 2, {KQ_INT, KQ_LONG}, KQ_LONG},
    {"min_of", 2, {KQ_LONG, KQ_REAL}, KQ_REAL},
    {"max_of", 2, {KQ_DECIMAL, KQ_REAL}, KQ_DECIMAL},
    {"max_of", 2, {KQ_STRING, KQ_STRING}, KQ_STRING},
    {"max_of", 2, {KQ_DATETIME, KQ_DATETIME}, KQ_DATETIME},
    {"max_of", 2, {KQ_BOOL, KQ_BOOL}, KQ_BOOL},
    {"max_of", 2, {KQ_LONG, KQ_STRING}, KQ_TYPE_NONE},
    {"max_of", 2, {KQ_DATETIME, KQ_LONG}, KQ_TYPE_NONE},
    {"max_of", 2, {KQ_LONG, KQ_DYNAMIC}, KQ_TYPE_NONE},
    {"case", 3, {KQ_BOOL, KQ_LONG, KQ_LONG}, KQ_LONG},
    {"case", 3, {KQ_BOOL, KQ_LONG, KQ_REAL}, KQ_REAL},
    {"case", 3, {KQ_BOOL, KQ_INT, KQ_LONG}, KQ_LONG},
    {"case", 3, {KQ_BOOL, KQ_INT, KQ_INT}, KQ_INT},
    {"case", 3, {KQ_BOOL, KQ_DECIMAL, KQ_REAL}, KQ_DECIMAL},
    {"case", 3, {KQ_BOOL, KQ_DYNAMIC, KQ_LONG}, KQ_LONG},
    {"case", 3, {KQ_BOOL, KQ_TIMESPAN, KQ_TIMESPAN}, KQ_TIMESPAN},
    {"case", 3, {KQ_LONG, KQ_LONG, KQ_LONG}, KQ_TYPE_NONE},
    {"case", 3, {KQ_DYNAMIC, KQ_LONG, KQ_LONG}, KQ_TYPE_NONE},
    {"case", 4, {KQ_BOOL, KQ_LONG, KQ_BOOL, KQ_LONG}, KQ_TYPE_NONE},
    {"coalesce", 2, {KQ_INT, KQ_LONG}, KQ_LONG},
    {"coalesce", 2, {KQ_LONG, KQ_REAL}, KQ_REAL},
    {"coalesce", 2, {KQ_DECIMAL, KQ_LONG}, KQ_DECIMAL},
    {"coalesce", 2, {KQ_STRING, KQ_STRING}, KQ_STRING},
    {"coalesce", 2, {KQ_DYNAMIC, KQ_DYNAMIC}, KQ_DYNAMIC},
    {"coalesce", 2, {KQ_DYNAMIC, KQ_LONG}, KQ_TYPE_NONE},
    {"coalesce", 2, {KQ_LONG, KQ_STRING}, KQ_TYPE_NONE},
    {"coalesce", 2, {KQ_DATETIME, KQ_TIMESPAN}, KQ_TYPE_NONE},
    {"beta_cdf", 3, {KQ_REAL, KQ_LONG, KQ_LONG}, KQ_REAL},
    {"beta_inv", 3, {KQ_REAL, KQ_REAL, KQ_DECIMAL}, KQ_REAL},
    {"beta_pdf", 3, {KQ_DYNAMIC, KQ_LONG, KQ_LONG}, KQ_TYPE_NONE},
    {"series_add", 2, {KQ_DYNAMIC, KQ_LONG}, KQ_DYNAMIC},
    {"series_add", 2, {KQ_LONG, KQ_LONG}, KQ_TYPE_NONE},
    {"series_add", 2, {KQ_STRING, KQ_DYNAMIC}, KQ_TYPE_NONE},
    {"series_pow", 2, {KQ_LONG, KQ_DYNAMIC}, KQ_DYNAMIC},
    {"series_sum", 1, {KQ_DYNAMIC}, KQ_REAL},
    {"series_sum", 1, {KQ_LONG}, KQ_TYPE_NONE},
    {"series_dot_product", 2, {KQ_LONG, KQ_DYNAMIC}, KQ_REAL},
    {"series_stats_dynamic", 2, {KQ_DYNAMIC, KQ_BOOL}, KQ_DYNAMIC},
    {"series_stats_dynamic", 2, {KQ_DYNAMIC, KQ_LONG}, KQ_TYPE_NONE},
    {"series_fill_const", 2, {KQ_DYNAMIC, KQ_STRING}, KQ_TYPE_NONE},
    {"series_fill_linear", 3, {KQ_DYNAMIC, KQ_LONG, KQ_LONG}, KQ_TYPE_NONE},
    {"series_fir", 3, {KQ_DYNAMIC, KQ_DYNAMIC, KQ_LONG}, KQ_TYPE_NONE},
    {"series_fir", 2, {KQ_DYNAMIC, KQ_LONG}, KQ_TYPE_NONE},
};

static void bind_types_match_language_service(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof type_cases / sizeof type_cases[0]; i++) {
        const type_case *c = &type_cases[i];
        kq_bind_result result = {.type = KQ_TYPE_NONE, .error_arg = -1};
        find(c->name)->bind(c->args, c->argc, &result);
        if (result.type != c->expected)
            fail_msg("case %zu, %s: expected %s, got %s (%s)", i, c->name, kq_type_name(c->expected),
                     kq_type_name(result.type), result.error);
        if (c->expected == KQ_TYPE_NONE && result.error[0] == '\0')
            fail_msg("case %zu, %s: rejected without a message", i, c->name);
    }
}

static kq_value call(kq_arena *arena, const char *name, const kq_value *args, int argc)
{
    kq_eval_ctx ctx = {.arena = arena};
    kq_value v = find(name)->eval(&ctx, args, argc);
    assert_null(ctx.error);
    return v;
}

typedef struct round_case {
    double value;
    int64_t digits;
    double expected;
} round_case;

static void round_real_half_away_from_zero(void **state)
{
    (void)state;
    /* The first five come from the examples of the Kusto round() docs. */
    static const round_case cases[] = {
        {2.98765, 3, 2.988}, {2.15, 1, 2.2}, {2.15, 0, 2}, {-50.55, -2, -100}, {21.5, -1, 20},
        {0.5, 0, 1}, {-0.5, 0, -1}, {1.5, 0, 2}, {2.5, 0, 3}, {-2.5, 0, -3},
        {1e300, 5, 1e300}, {123.456, 400, 123.456}, {123.456, -400, 0}, {4.4e15, 2, 4.4e15},
    };
    kq_arena *arena = kq_arena_new(4096);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kq_value args[2] = {kq_real(cases[i].value), kq_long(cases[i].digits)};
        kq_value r = call(arena, "round", args, 2);
        assert_false(r.null);
        assert_int_equal(r.type, KQ_REAL);
        if (fabs(r.u.r - cases[i].expected) > 1e-12 * fabs(cases[i].expected))
            fail_msg("round(%g, %lld): expected %.17g, got %.17g", cases[i].value,
                     (long long)cases[i].digits, cases[i].expected, r.u.r);
    }
    kq_value nan_args[2] = {kq_real(NAN), kq_long(2)};
    assert_true(isnan(call(arena, "round", nan_args, 2).u.r));
    kq_arena_free(arena);
}

static void round_integer_overflow_is_null(void **state)
{
    (void)state;
    kq_arena *arena = kq_arena_new(4096);
    kq_value args[2] = {kq_long(INT64_MAX), kq_long(-1)};
    assert_true(call(arena, "round", args, 2).null);
    args[0] = kq_long(-1249);
    args[1] = kq_long(-2);
    assert_int_equal(call(arena, "round", args, 2).u.l, -1200);
    args[0] = kq_long(-1250);
    assert_int_equal(call(arena, "round", args, 2).u.l, -1300);
    args[0] = kq_long(INT64_MAX);
    args[1] = kq_long(-19);
    assert_int_equal(call(arena, "round", args, 2).u.l, 0);
    args[0] = kq_int(2147483647);
    args[1] = kq_long(-1);
    kq_value r = call(arena, "round", args, 2);
    assert_int_equal(r.type, KQ_INT);
    assert_true(r.null);
    kq_arena_free(arena);
}

static void abs_of_smallest_long_is_null(void **state)
{
    (void)state;
    kq_arena *arena = kq_arena_new(4096);
    kq_value arg = kq_long(INT64_MIN);
    assert_true(call(arena, "abs", &arg, 1).null);
    arg = kq_long(INT64_MIN + 1);
    assert_int_equal(call(arena, "abs", &arg, 1).u.l, INT64_MAX);
    arg = kq_int(-7);
    kq_value r = call(arena, "abs", &arg, 1);
    assert_int_equal(r.type, KQ_LONG);
    assert_int_equal(r.u.l, 7);
    kq_arena_free(arena);
}

static void shifts_wrap_and_keep_sign(void **state)
{
    (void)state;
    kq_arena *arena = kq_arena_new(4096);
    kq_value args[2] = {kq_long(1), kq_long(64)};
    assert_int_equal(call(arena, "binary_shift_left", args, 2).u.l, 1);
    args[1] = kq_long(63);
    assert_int_equal(call(arena, "binary_shift_left", args, 2).u.l, INT64_MIN);
    args[0] = kq_long(INT64_MIN);
    args[1] = kq_long(63);
    assert_int_equal(call(arena, "binary_shift_right", args, 2).u.l, -1);
    args[1] = kq_long(-3);
    assert_true(call(arena, "binary_shift_right", args, 2).null);
    args[1] = kq_null(KQ_LONG);
    assert_true(call(arena, "binary_and", args, 2).null);
    kq_arena_free(arena);
}

static kq_value parse(kq_arena *arena, const char *json)
{
    const kq_dyn *d = kq_dyn_parse(arena, json, strlen(json), NULL);
    if (!d)
        fail_msg("invalid JSON in the test: %s", json);
    return kq_dynamic(d);
}

static void assert_json(kq_value v, const char *expected)
{
    kq_buf out;
    kq_buf_init(&out);
    kq_dyn_to_json(v.u.d, &out);
    assert_string_equal(out.data, expected);
    kq_buf_free(&out);
}

static void series_edge_cases(void **state)
{
    (void)state;
    kq_arena *arena = kq_arena_new(4096);
    /* Long arithmetic wraps instead of trapping. */
    kq_value add[2] = {parse(arena, "[9223372036854775807]"), kq_long(1)};
    assert_json(call(arena, "series_add", add, 2), "[-9223372036854775808]");
    /* An empty series gives an empty result, not null. */
    kq_value empty[2] = {parse(arena, "[]"), parse(arena, "[]")};
    assert_json(call(arena, "series_multiply", empty, 2), "[]");
    /* A non-array dynamic series gives null. */
    kq_value scalar = parse(arena, "5");
    assert_true(call(arena, "series_exp", &scalar, 1).null);
    /* Fill functions share kept elements and leave non-numeric ones alone. */
    kq_value fill[1] = {parse(arena, "[\"a\",null,{\"b\":1},null]")};
    assert_json(call(arena, "series_fill_forward", fill, 1), "[\"a\",\"a\",{\"b\":1},{\"b\":1}]");
    assert_json(call(arena, "series_fill_linear", fill, 1), "[\"a\",0,{\"b\":1},0]");
    /* Pearson correlation of a constant series divides 0 by 0. */
    kq_value flat[2] = {parse(arena, "[1,1,1]"), parse(arena, "[1,2,3]")};
    assert_true(isnan(call(arena, "series_pearson_correlation", flat, 2).u.r));
    kq_arena_free(arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bind_types_match_language_service),
        cmocka_unit_test(round_real_half_away_from_zero),
        cmocka_unit_test(round_integer_overflow_is_null),
        cmocka_unit_test(abs_of_smallest_long_is_null),
        cmocka_unit_test(shifts_wrap_and_keep_sign),
        cmocka_unit_test(series_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
