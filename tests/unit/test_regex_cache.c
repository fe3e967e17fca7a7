/* The regular expression cache: lookups, RE2 rejections, and eviction without leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "functions/regex.h"

static void same_pattern_same_code(void **state)
{
    (void)state;
    char error[256];
    const pcre2_code *a = kq_regex_get("ab+c", 4, error, sizeof error);
    const pcre2_code *b = kq_regex_get("ab+c", 4, error, sizeof error);
    assert_non_null(a);
    assert_ptr_equal(a, b);
}

static void re2_rejections(void **state)
{
    (void)state;
    char error[256];
    assert_null(kq_regex_get("(?=a)b", 6, error, sizeof error));
    assert_non_null(strstr(error, "lookahead"));
    assert_null(kq_regex_get("(unclosed", 9, error, sizeof error));
    assert_non_null(strstr(error, "missing closing parenthesis"));
}

/* More distinct patterns than the cache holds: evicted entries are freed (the fuzzer found
 * them leaking), which LeakSanitizer checks in the sanitizer build. */
static void eviction_frees_old_patterns(void **state)
{
    (void)state;
    char error[256], pattern[32];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(pattern, sizeof pattern, "x%dy+", i);
        assert_non_null(kq_regex_get(pattern, (size_t)n, error, sizeof error));
    }
    const pcre2_code *again = kq_regex_get("x999y+", 6, error, sizeof error);
    assert_non_null(again);
}

static void private_compile(void **state)
{
    (void)state;
    char error[256];
    pcre2_code *code = kq_regex_compile("a(b)c", 5, error, sizeof error);
    assert_non_null(code);
    pcre2_code_free(code);
    assert_null(kq_regex_compile("a\\1", 3, error, sizeof error));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_pattern_same_code),
        cmocka_unit_test(re2_rejections),
        cmocka_unit_test(eviction_frees_old_patterns),
        cmocka_unit_test(private_compile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
