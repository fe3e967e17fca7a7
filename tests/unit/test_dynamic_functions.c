/*
 * Dynamic array and bag functions and the percentile and bag aggregates,
 * called through the registry, on large and deeply nested input that a
 * golden query cannot easily build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf.h"
#include "functions/registry.h"

static kq_arena *arena;

static int setup(void **state)
{
    (void)state;
    arena = kq_arena_new(1 << 16);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kq_arena_free(arena);
    return 0;
}

static kq_value call(const char *name, const kq_value *args, int argc)
{
    const kq_function *fn = kq_function_find(name, strlen(name));
    if (!fn)
        fail_msg("function not registered: %s", name);
    kq_eval_ctx ctx = {.arena = arena};
    kq_value v = fn->eval(&ctx, args, argc);
    assert_null(ctx.error);
    return v;
}

static kq_value json(const char *text)
{
    const kq_dyn *d = kq_dyn_parse(arena, text, strlen(text), NULL);
    if (!d)
        fail_msg("invalid JSON in test: %s", text);
    return kq_dynamic(d);
}

/* Compact JSON text of a dynamic result, or "null" for a null value. */
static const char *to_json(kq_value v)
{
    assert_int_equal(v.type, KQ_DYNAMIC);
    kq_buf out;
    kq_buf_init(&out);
    kq_dyn_to_json(v.null ? NULL : v.u.d, &out);
    char *text = kq_arena_strdup(arena, out.data);
    kq_buf_free(&out);
    return text;
}

/* JSON text of an array of n consecutive integers starting at first. */
static char *integer_array_json(int first, int n)
{
    kq_buf out;
    kq_buf_init(&out);
    kq_buf_putc(&out, '[');
    for (int i = 0; i < n; i++)
        kq_buf_printf(&out, i ? ",%d" : "%d", first + i);
    kq_buf_putc(&out, ']');
    return kq_buf_detach(&out);
}

static void shift_beyond_length_fills_all(void **state)
{
    (void)state;
    kq_value args[3] = {json("[1,2,3]"), kq_long(INT64_MAX), kq_long(0)};
    assert_string_equal(to_json(call("array_shift_left", args, 3)), "[0,0,0]");
    args[1] = kq_long(INT64_MIN);
    assert_string_equal(to_json(call("array_shift_left", args, 3)), "[0,0,0]");
}

static void rotate_handles_extreme_counts(void **state)
{
    (void)state;
    kq_value args[2] = {json("[1,2,3]"), kq_long(INT64_MIN)};
    /* INT64_MIN % 3 == -2, so rotating left by it is rotating left by 1. */
    assert_string_equal(to_json(call("array_rotate_left", args, 2)), "[2,3,1]");
    args[0] = json("[]");
    assert_string_equal(to_json(call("array_rotate_right", args, 2)), "[]");
}

static void slice_with_extreme_indexes(void **state)
{
    (void)state;
    kq_value args[3] = {json("[1,2,3]"), kq_long(INT64_MIN), kq_long(INT64_MAX)};
    assert_string_equal(to_json(call("array_slice", args, 3)), "[1,2,3]");
    args[1] = kq_long(INT64_MAX);
    assert_string_equal(to_json(call("array_slice", args, 3)), "[]");
}

static void range_stops_before_overflow(void **state)
{
    (void)state;
    kq_value args[3] = {kq_long(INT64_MAX - 2), kq_long(INT64_MAX), kq_long(2)};
    assert_string_equal(to_json(call("range", args, 3)), "[9223372036854775805,9223372036854775807]");
    args[0] = kq_long(INT64_MIN);
    args[2] = kq_long(INT64_MAX);
    kq_value r = call("range", args, 3);
    assert_int_equal(r.u.d->count, 3);
}

static void range_is_capped(void **state)
{
    (void)state;
    kq_value args[2] = {kq_real(0), kq_real(1e300)};
    kq_value r = call("range", args, 2);
    assert_false(r.null);
    assert_int_equal(r.u.d->count, 1048576);
}

static void repeat_is_capped(void **state)
{
    (void)state;
    kq_value args[2] = {kq_long(7), kq_long(INT64_MAX)};
    kq_value r = call("repeat", args, 2);
    assert_int_equal(r.u.d->count, 1048576);
}

static void set_operations_on_long_arrays(void **state)
{
    (void)state;
    char *first = integer_array_json(0, 5000), *second = integer_array_json(2500, 5000);
    kq_value args[2] = {json(first), json(second)};
    free(first);
    free(second);
    kq_value inter = call("set_intersect", args, 2);
    assert_int_equal(inter.u.d->count, 2500);
    assert_int_equal(inter.u.d->u.items[0]->u.l, 2500);
    kq_value diff = call("set_difference", args, 2);
    assert_int_equal(diff.u.d->count, 2500);
    assert_int_equal(diff.u.d->u.items[2499]->u.l, 2499);
    kq_value all = call("set_union", args, 2);
    assert_int_equal(all.u.d->count, 7500);
    kq_value jaccard = call("jaccard_index", args, 2);
    assert_true(jaccard.u.d->u.r > 0.3333 && jaccard.u.d->u.r < 0.3334);
}

static void treepath_on_deep_nesting(void **state)
{
    (void)state;
    /* 500 nested arrays, each level adding one [0] path. */
    kq_buf text;
    kq_buf_init(&text);
    for (int i = 0; i < 500; i++)
        kq_buf_putc(&text, '[');
    kq_buf_putc(&text, '1');
    for (int i = 0; i < 500; i++)
        kq_buf_putc(&text, ']');
    kq_value arg = json(text.data);
    kq_buf_free(&text);
    kq_value paths = call("treepath", &arg, 1);
    assert_int_equal(paths.u.d->count, 500);
    assert_int_equal(paths.u.d->u.items[499]->u.s.len, 1500);
}

static void set_key_rejects_overlong_path(void **state)
{
    (void)state;
    kq_buf path;
    kq_buf_init(&path);
    kq_buf_putc(&path, '$');
    for (int i = 0; i < 100000; i++)
        kq_buf_puts(&path, ".a");
    kq_value args[3] = {json("{}"), kq_string(path.data, path.len), kq_long(1)};
    assert_true(call("bag_set_key", args, 3).null);
    kq_buf_free(&path);

    kq_value nested[3] = {json("{\"a\":5}"), kq_string("$.a.b['c']", 10), kq_long(1)};
    assert_string_equal(to_json(call("bag_set_key", nested, 3)), "{\"a\":{\"b\":{\"c\":1}}}");
}

static void bag_merge_many_keys_keeps_first(void **state)
{
    (void)state;
    kq_buf a, b;
    kq_buf_init(&a);
    kq_buf_init(&b);
    kq_buf_putc(&a, '{');
    kq_buf_putc(&b, '{');
    for (int i = 0; i < 3000; i++) {
        kq_buf_printf(&a, "%s\"k%d\":%d", i ? "," : "", i, i);
        kq_buf_printf(&b, "%s\"k%d\":-1", i ? "," : "", i + 1500);
    }
    kq_buf_putc(&a, '}');
    kq_buf_putc(&b, '}');
    kq_value args[2] = {json(a.data), json(b.data)};
    kq_buf_free(&a);
    kq_buf_free(&b);
    kq_value merged = call("bag_merge", args, 2);
    assert_int_equal(merged.u.d->count, 4500);
    const kq_dyn *first_value = kq_dyn_get_member(merged.u.d, "k2999", 5);
    assert_non_null(first_value);
    assert_int_equal(first_value->u.l, 2999);
    const kq_dyn *added = kq_dyn_get_member(merged.u.d, "k4499", 5);
    assert_non_null(added);
    assert_int_equal(added->u.l, -1);
}

/* Runs an aggregate over nrows rows of argc arguments each, stored one row after another in rows. */
static kq_value aggregate(const char *name, const kq_value *rows, int nrows, int argc, kq_type type)
{
    const kq_aggregate *agg = kq_aggregate_find(name, strlen(name));
    if (!agg)
        fail_msg("aggregate not registered: %s", name);
    void *state = kq_arena_alloc(arena, agg->state_size);
    kq_agg_ctx ctx = {.arena = arena};
    agg->init(state, NULL, 0);
    for (int i = 0; i < nrows; i++)
        agg->update(state, rows + i * argc, argc, &ctx);
    return agg->finish(state, type, &ctx);
}

static void percentile_nearest_rank(void **state)
{
    (void)state;
    kq_value rows[20];
    for (int i = 0; i < 10; i++) {
        rows[2 * i] = kq_long(10 - i); /* input in descending order */
        rows[2 * i + 1] = kq_real(25);
    }
    kq_value p25 = aggregate("percentile", rows, 10, 2, KQ_LONG);
    assert_int_equal(p25.u.l, 3);
    for (int i = 0; i < 10; i++)
        rows[2 * i + 1] = kq_real(100.5);
    assert_true(aggregate("percentile", rows, 10, 2, KQ_LONG).null);
}

static void weighted_percentiles_doc_example(void **state)
{
    (void)state;
    /* Latency buckets 10, 20, 30, 40 seen 8, 6, 3 and 1 times. */
    const int64_t bucket[4] = {10, 20, 30, 40}, count[4] = {8, 6, 3, 1};
    kq_value rows[4 * 5];
    for (int i = 0; i < 4; i++) {
        rows[5 * i] = kq_long(bucket[i]);
        rows[5 * i + 1] = kq_long(count[i]);
        rows[5 * i + 2] = kq_long(50);
        rows[5 * i + 3] = kq_long(75);
        rows[5 * i + 4] = kq_real(99.9);
    }
    assert_string_equal(to_json(aggregate("percentilesw_array", rows, 4, 5, KQ_DYNAMIC)), "[20,20,40]");
}

static void make_bag_respects_size_limit(void **state)
{
    (void)state;
    kq_value rows[6] = {json("{\"a\":1,\"b\":2}"), kq_long(2), json("{\"c\":3}"), kq_long(2),
                        json("[1]"), kq_long(2)};
    assert_string_equal(to_json(aggregate("make_bag", rows, 3, 2, KQ_DYNAMIC)), "{\"a\":1,\"b\":2}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(shift_beyond_length_fills_all, setup, teardown),
        cmocka_unit_test_setup_teardown(rotate_handles_extreme_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(slice_with_extreme_indexes, setup, teardown),
        cmocka_unit_test_setup_teardown(range_stops_before_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(range_is_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(repeat_is_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(set_operations_on_long_arrays, setup, teardown),
        cmocka_unit_test_setup_teardown(treepath_on_deep_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(set_key_rejects_overlong_path, setup, teardown),
        cmocka_unit_test_setup_teardown(bag_merge_many_keys_keeps_first, setup, teardown),
        cmocka_unit_test_setup_teardown(percentile_nearest_rank, setup, teardown),
        cmocka_unit_test_setup_teardown(weighted_percentiles_doc_example, setup, teardown),
        cmocka_unit_test_setup_teardown(make_bag_respects_size_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
