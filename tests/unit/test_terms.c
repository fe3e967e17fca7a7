/* The has family's term rule, contains/startswith/endswith, and the has_any value set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "functions/terms.h"

typedef struct term_case {
    const char *haystack;
    const char *needle;
    kq_term_mode mode;
    bool case_sensitive;
    bool expected;
} term_case;

static const term_case cases[] = {
    /* Whole terms, ASCII case folding. */
    {"Ammyy", "ammyy", KQ_TERM_WHOLE, false, true},
    {"Ammyy LLC", "Ammyy", KQ_TERM_WHOLE, false, true},
    {"XAmmyy", "Ammyy", KQ_TERM_WHOLE, false, false},
    {"Ammyy2", "Ammyy", KQ_TERM_WHOLE, false, false},
    {"(Ammyy)", "Ammyy", KQ_TERM_WHOLE, false, true},
    {"_Hello_World_", "hello", KQ_TERM_WHOLE, false, true},
    {"KustoExplorerQueryRun", "Explorer", KQ_TERM_WHOLE, false, false},
    {"Ammyy", "AMMYY", KQ_TERM_WHOLE, true, false},
    {"Ammyy", "Ammyy", KQ_TERM_WHOLE, true, true},
    /* Phrases: the needle's own separators must match, edges must be term edges. */
    {"Ammyy Admin 3.5", "Ammyy Admin", KQ_TERM_WHOLE, false, true},
    {"XAmmyy Admin", "Ammyy Admin", KQ_TERM_WHOLE, false, false},
    {"Ammyy  Admin", "Ammyy Admin", KQ_TERM_WHOLE, false, false},
    {"Ammyy Administrator", "Ammyy Admin", KQ_TERM_WHOLE, false, false},
    {"Ammyy_Admin", "Ammyy Admin", KQ_TERM_WHOLE, false, false},
    {"www.ammyy.com/x", "ammyy.com", KQ_TERM_WHOLE, false, true},
    {"fooammyy.com", "ammyy.com", KQ_TERM_WHOLE, false, false},
    {"ammyy.community", "ammyy.com", KQ_TERM_WHOLE, false, false},
    {"a/resourcegroups/test.rg000001?api", "/resourcegroups/test.rg000001?", KQ_TERM_WHOLE, false, true},
    {"North America", "North America", KQ_TERM_WHOLE, false, true},
    /* Prefix and suffix of any term. */
    {"North America", "ame", KQ_TERM_PREFIX, false, true},
    {"North America", "mer", KQ_TERM_PREFIX, false, false},
    {"North America", "ica", KQ_TERM_SUFFIX, false, true},
    {"North America", "eri", KQ_TERM_SUFFIX, false, false},
    {"North America", "Ame", KQ_TERM_PREFIX, true, true},
    {"North America", "ame", KQ_TERM_PREFIX, true, false},
    /* A later occurrence can match when an earlier one does not. */
    {"XAmmyy and Ammyy", "Ammyy", KQ_TERM_WHOLE, false, true},
    {"", "x", KQ_TERM_WHOLE, false, false},
};

static void has_family_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const term_case *c = &cases[i];
        bool got = kq_has(c->haystack, strlen(c->haystack), c->needle, strlen(c->needle), c->mode,
                          c->case_sensitive);
        if (got != c->expected)
            fail_msg("case %zu: \"%s\" has(mode %d, cs %d) \"%s\": expected %d, got %d", i, c->haystack,
                     c->mode, c->case_sensitive, c->needle, c->expected, got);
    }
}

static void substring_search(void **state)
{
    (void)state;
    assert_int_equal(kq_find("KustoExplorerQueryRun", 21, "explorer", 8, false), 5);
    assert_int_equal(kq_find("KustoExplorerQueryRun", 21, "explorer", 8, true), -1);
    assert_int_equal(kq_find("abc", 3, "", 0, true), 0);
    assert_int_equal(kq_find("ab", 2, "abc", 3, false), -1);
}

static void prefix_and_suffix(void **state)
{
    (void)state;
    assert_true(kq_starts_with("C:\\Windows\\x.exe", 16, "c:\\windows", 10, false));
    assert_false(kq_starts_with("C:\\Windows\\x.exe", 16, "c:\\windows", 10, true));
    assert_true(kq_ends_with("AA_v3.EXE", 9, ".exe", 4, false));
    assert_false(kq_ends_with("exe", 3, "a.exe", 5, false));
}

static void single_term_detection(void **state)
{
    (void)state;
    assert_true(kq_is_single_term("Ammyy", 5));
    assert_false(kq_is_single_term("ammyy.com", 9));
    assert_false(kq_is_single_term("a_b", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(has_family_table),
        cmocka_unit_test(substring_search),
        cmocka_unit_test(prefix_and_suffix),
        cmocka_unit_test(single_term_detection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
