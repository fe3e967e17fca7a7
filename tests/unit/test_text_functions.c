/* The RE2 dialect check, typeof() conversion and text functions on hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "functions/registry.h"
#include "functions/text_internal.h"

typedef struct re2_case {
    const char *pattern;
    const char *construct; /* NULL: RE2 accepts the pattern */
} re2_case;

static const re2_case re2_cases[] = {
    {"abc", NULL},
    {"(\\d+)-(\\w+)", NULL},
    {"(?P<name>a)(?i)b", NULL},
    {"a{2,3}?b*?c+?", NULL},
    {"[(?=]a", NULL},
    {"[]\\1]", NULL},
    {"\\Q(?=\\E", NULL},
    {"\\\\1", NULL},
    {"a\\+\\+", NULL},
    {"a(?=b)", "lookahead"},
    {"a(?!b)", "lookahead"},
    {"(?<=a)b", "lookbehind"},
    {"(?<!a)b", "lookbehind"},
    {"(a)\\1", "backreferences"},
    {"(?<n>a)\\k<n>", "backreferences"},
    {"(?P<n>a)(?P=n)", "backreferences"},
    {"a++", "possessive quantifiers"},
    {"a*+", "possessive quantifiers"},
    {"a?+", "possessive quantifiers"},
    {"a{2}+", "possessive quantifiers"},
    {"(?>ab)", "atomic groups"},
    {"(a(?R))", "recursion"},
    {"(?(1)a|b)", "conditional groups"},
    {"a\\Cb", "\\C"},
};

static void re2_check_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof re2_cases / sizeof re2_cases[0]; i++) {
        const re2_case *c = &re2_cases[i];
        char error[256] = "";
        bool ok = kq_regex_check_re2(c->pattern, strlen(c->pattern), error, sizeof error);
        if (!c->construct && !ok)
            fail_msg("pattern '%s': expected accepted, got \"%s\"", c->pattern, error);
        if (c->construct && ok)
            fail_msg("pattern '%s': expected rejected for %s", c->pattern, c->construct);
        if (c->construct && !strstr(error, c->construct))
            fail_msg("pattern '%s': message \"%s\" does not name %s", c->pattern, error, c->construct);
    }
}

static void re2_check_message(void **state)
{
    (void)state;
    char error[256];
    assert_false(kq_regex_check_re2("ab(?=c)", 7, error, sizeof error));
    assert_string_equal(error, "invalid regular expression 'ab(?=c)' at offset 2: RE2 syntax does not support lookahead");
}

static kq_str str(const char *text)
{
    return (kq_str){text, (uint32_t)strlen(text)};
}

static void convert_numbers(void **state)
{
    kq_arena *arena = *state;
    kq_value v = kq_text_convert(arena, str("12"), KQ_INT);
    assert_false(v.null);
    assert_int_equal(v.type, KQ_INT);
    assert_int_equal(v.u.l, 12);
    assert_true(kq_text_convert(arena, str("3000000000"), KQ_INT).null);
    v = kq_text_convert(arena, str("-9223372036854775808"), KQ_LONG);
    assert_false(v.null);
    assert_true(v.u.l == INT64_MIN);
    assert_true(kq_text_convert(arena, str("9223372036854775808"), KQ_LONG).null);
    assert_true(kq_text_convert(arena, str("12x"), KQ_LONG).null);
    assert_true(kq_text_convert(arena, str(""), KQ_LONG).null);
    v = kq_text_convert(arena, str("1.5e3"), KQ_REAL);
    assert_false(v.null);
    assert_true(v.u.r == 1500.0);
    assert_true(kq_text_convert(arena, str("0x10"), KQ_REAL).null);
}

static void convert_other_types(void **state)
{
    kq_arena *arena = *state;
    kq_value v = kq_text_convert(arena, str("TRUE"), KQ_BOOL);
    assert_false(v.null);
    assert_true(v.u.b);
    assert_true(kq_text_convert(arena, str("yes"), KQ_BOOL).null);
    v = kq_text_convert(arena, str("2024-12-15"), KQ_DATETIME);
    assert_false(v.null);
    assert_int_equal(v.type, KQ_DATETIME);
    v = kq_text_convert(arena, str("AE3133F2-6E22-49AE-B06A-16E6A9B212EB"), KQ_GUID);
    assert_false(v.null);
    assert_int_equal(v.u.s.len, 36);
    assert_memory_equal(v.u.s.ptr, "ae3133f2-6e22-49ae-b06a-16e6a9b212eb", 36);
    assert_true(kq_text_convert(arena, str("ae3133f2"), KQ_GUID).null);
    v = kq_text_convert(arena, str("[1,2]"), KQ_DYNAMIC);
    assert_non_null(v.u.d);
    assert_int_equal(v.u.d->kind, KQ_DYN_ARRAY);
    v = kq_text_convert(arena, str("not json"), KQ_DYNAMIC);
    assert_int_equal(v.u.d->kind, KQ_DYN_STRING);
}

static kq_value call(kq_arena *arena, const char *name, const kq_value *args, int argc, char **error)
{
    const kq_function *fn = kq_function_find(name, strlen(name));
    assert_non_null(fn);
    kq_eval_ctx ctx = {.arena = arena};
    kq_value v = fn->eval(&ctx, args, argc);
    if (error)
        *error = ctx.error;
    return v;
}

static void replace_regex_empty_matches(void **state)
{
    kq_arena *arena = *state;
    kq_value args[] = {kq_string("abc", 3), kq_string("x*", 2), kq_string("-", 1)};
    kq_value v = call(arena, "replace_regex", args, 3, NULL);
    assert_int_equal(v.u.s.len, 7);
    assert_memory_equal(v.u.s.ptr, "-a-b-c-", 7);
    args[0] = kq_string("aaa", 3);
    args[1] = kq_string("a*", 2);
    v = call(arena, "replace_regex", args, 3, NULL);
    assert_int_equal(v.u.s.len, 1);
}

/* typeof(T) reaches extract as a null argument of type T, which sets the result type. */
static void extract_typeof_argument(void **state)
{
    kq_arena *arena = *state;
    const kq_function *fn = kq_function_find("extract", 7);
    assert_non_null(fn);
    kq_type types[] = {KQ_STRING, KQ_LONG, KQ_STRING, KQ_INT};
    kq_bind_result result = {.type = KQ_TYPE_NONE, .error_arg = -1};
    fn->bind(types, 4, &result);
    assert_int_equal(result.type, KQ_INT);

    kq_value args[] = {kq_string("-(\\d{2})-", 9), kq_long(1), kq_string("21-07-2023", 10), kq_null(KQ_INT)};
    kq_value v = call(arena, "extract", args, 4, NULL);
    assert_false(v.null);
    assert_int_equal(v.type, KQ_INT);
    assert_int_equal(v.u.l, 7);

    args[2] = kq_string("no date", 7);
    v = call(arena, "extract", args, 4, NULL);
    assert_true(v.null);
}

static void huge_input_bounded(void **state)
{
    kq_arena *arena = *state;
    size_t len = 1 << 20;
    char *text = malloc(len);
    memset(text, 'a', len);
    kq_value args[] = {kq_string(text, len), kq_string("a*", 2), kq_string("", 0)};
    kq_value v = call(arena, "replace_regex", args, 3, NULL);
    assert_int_equal(v.u.s.len, 0);

    kq_value count_args[] = {kq_string(text, len), kq_string("aa", 2)};
    v = call(arena, "countof", count_args, 2, NULL);
    assert_int_equal(v.u.l, (int64_t)len - 1);

    char *error = NULL;
    kq_value rep_args[] = {kq_string(text, len), kq_long(1000)};
    v = call(arena, "strrep", rep_args, 2, &error);
    assert_int_equal(v.u.s.len, 0);
    assert_non_null(error);
    free(text);
}

static void deep_json_path(void **state)
{
    kq_arena *arena = *state;
    size_t depth = 100000;
    char *json = malloc(2 * depth);
    memset(json, '[', depth);
    memset(json + depth, ']', depth);
    kq_value args[] = {kq_string("$[0][0]", 7), kq_string(json, 2 * depth)};
    kq_value v = call(arena, "extract_json", args, 2, NULL);
    assert_int_equal(v.u.s.len, 0);
    free(json);
}

static int setup(void **state)
{
    *state = kq_arena_new(1 << 16);
    return 0;
}

static int teardown(void **state)
{
    kq_arena_free(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(re2_check_cases),
        cmocka_unit_test(re2_check_message),
        cmocka_unit_test_setup_teardown(convert_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(convert_other_types, setup, teardown),
        cmocka_unit_test_setup_teardown(replace_regex_empty_matches, setup, teardown),
        cmocka_unit_test_setup_teardown(extract_typeof_argument, setup, teardown),
        cmocka_unit_test_setup_teardown(huge_input_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(deep_json_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
