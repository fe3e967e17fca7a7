/* IPv4 and IPv6 functions called through the function registry, on edge-case inputs. */
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

/* parse_ipv6 of one string; "" when the function returns the empty string. */
static const char *canonical(const char *address)
{
    kq_value arg = text(address);
    kq_value v = call("parse_ipv6", &arg, 1);
    return kq_arena_strndup(arena, v.u.s.ptr, v.u.s.len);
}

static void ipv6_valid_forms(void **state)
{
    (void)state;
    assert_string_equal(canonical("::"), "0000:0000:0000:0000:0000:0000:0000:0000");
    assert_string_equal(canonical("::1"), "0000:0000:0000:0000:0000:0000:0000:0001");
    assert_string_equal(canonical("1::"), "0001:0000:0000:0000:0000:0000:0000:0000");
    assert_string_equal(canonical("1:2:3:4:5:6:7:8"), "0001:0002:0003:0004:0005:0006:0007:0008");
    assert_string_equal(canonical("1:2:3:4:5:6:7::"), "0001:0002:0003:0004:0005:0006:0007:0000");
    assert_string_equal(canonical("FE80::ABCD"), "fe80:0000:0000:0000:0000:0000:0000:abcd");
    assert_string_equal(canonical("::ffff:1.2.3.4"), "0000:0000:0000:0000:0000:ffff:0102:0304");
    /* A dotted tail after zeros is read as IPv4-mapped, as in the parse_ipv6_mask documentation. */
    assert_string_equal(canonical("::1.2.3.4"), "0000:0000:0000:0000:0000:ffff:0102:0304");
    assert_string_equal(canonical("::1.2.3.4/24"), "0000:0000:0000:0000:0000:ffff:0102:0300");
    assert_string_equal(canonical("1.2.3.4/8"), "0000:0000:0000:0000:0000:ffff:0100:0000");
    assert_string_equal(canonical("ffff::/1"), "8000:0000:0000:0000:0000:0000:0000:0000");
}

static void ipv6_invalid_forms(void **state)
{
    (void)state;
    const char *invalid[] = {
        "", ":", ":::", "1:::2", "1::2::3", ":1::", "1::2:", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
        "12345::", "g::", "::1/129", "::1/", "::1/-1", "1.2.3.4/33", "::1.2.3", "1.2.3.4::",
        "::1.2.3.4.5", "fe80::1%eth0", " ::1", "::1 ", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        if (strcmp(canonical(invalid[i]), "") != 0)
            fail_msg("parse_ipv6 accepted \"%s\"", invalid[i]);
}

static kq_value parse_v4(const char *address)
{
    kq_value arg = text(address);
    return call("parse_ipv4", &arg, 1);
}

static void ipv4_strict_parsing(void **state)
{
    (void)state;
    assert_int_equal(parse_v4("0.0.0.0").u.l, 0);
    assert_int_equal(parse_v4("255.255.255.255").u.l, INT64_C(4294967295));
    assert_int_equal(parse_v4("001.002.003.004").u.l, 0x01020304);
    assert_int_equal(parse_v4("1.2.3.4/0").u.l, 0);
    const char *invalid[] = {"", "1", "1.2", "1.2.3", "1.2.3.4.", "1.2.3.4/", "1.2.3.4/33", "1.2.3.256",
                             "1.2.3.0004", "1..2.3", "a.b.c.d", " 1.2.3.4", "1.2.3.4 ", "-1.2.3.4", "1.2.3.4/1x"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        if (!parse_v4(invalid[i]).null)
            fail_msg("parse_ipv4 accepted \"%s\"", invalid[i]);
}

static void ipv4_compare_prefixes(void **state)
{
    (void)state;
    kq_value args[3] = {text("10.0.0.1/8"), text("10.255.0.0"), kq_long(32)};
    assert_int_equal(call("ipv4_compare", args, 3).u.l, 0);
    args[2] = kq_long(33);
    assert_true(call("ipv4_compare", args, 3).null);
    args[2] = kq_long(-1);
    assert_true(call("ipv4_compare", args, 3).null);
    args[2] = kq_null(KQ_LONG);
    assert_true(call("ipv4_compare", args, 3).null);
    args[0] = text("9.0.0.0");
    assert_int_equal(call("ipv4_compare", args, 2).u.l, -1);
}

static void cidr_list_edges(void **state)
{
    (void)state;
    kq_value args[2] = {text("0.0.0.1"), text("255.255.255.254")};
    kq_value v = call("ipv4_range_to_cidr_list", args, 2);
    assert_false(v.null);
    /* 31 growing blocks from /32 to /2, then 31 shrinking ones: 62 in all. */
    assert_int_equal(v.u.d->count, 62);
    args[0] = text("10.0.0.2");
    args[1] = text("10.0.0.1");
    assert_true(call("ipv4_range_to_cidr_list", args, 2).null);
    args[0] = text("10.0.0.1");
    v = call("ipv4_range_to_cidr_list", args, 2);
    assert_int_equal(v.u.d->count, 1);
}

static void has_ipv4_delimiters(void **state)
{
    (void)state;
    struct {
        const char *source, *address;
        bool expected;
    } cases[] = {
        {"1.2.3.4", "1.2.3.4", true},
        {"(1.2.3.4)", "1.2.3.4", true},
        {"ip=1.2.3.4;", "1.2.3.4", true},
        {"x1.2.3.4", "1.2.3.4", false},
        {"1.2.3.4x", "1.2.3.4", false},
        {"0.1.2.3.4", "1.2.3.4", false},
        {"11.2.3.4", "1.2.3.4", false},
        {"1.2.3.45", "1.2.3.4", false},
        {"1.2.3.4 1.2.3.5", "1.2.3.5", true},
        {"1.2.3.4", "1.2.3", false},
        {"", "1.2.3.4", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kq_value args[2] = {text(cases[i].source), text(cases[i].address)};
        kq_value v = call("has_ipv4", args, 2);
        if (v.u.b != cases[i].expected)
            fail_msg("has_ipv4(\"%s\", \"%s\") returned %d", cases[i].source, cases[i].address, v.u.b);
    }
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
        cmocka_unit_test(ipv6_valid_forms),     cmocka_unit_test(ipv6_invalid_forms),
        cmocka_unit_test(ipv4_strict_parsing),  cmocka_unit_test(ipv4_compare_prefixes),
        cmocka_unit_test(cidr_list_edges),      cmocka_unit_test(has_ipv4_delimiters),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
