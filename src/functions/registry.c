/* Function registry lookup and value helpers shared by the function families. */
#include "functions/registry.h"
#include "base/buf.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct family {
    const kq_function *functions;
    const size_t *count;
} family;

static const family families[] = {
    {kq_operator_functions, &kq_operator_function_count},
    {kq_string_functions, &kq_string_function_count},
    {kq_datetime_functions, &kq_datetime_function_count},
    {kq_conversion_functions, &kq_conversion_function_count},
    {kq_dynamic_functions, &kq_dynamic_function_count},
    {kq_text_functions, &kq_text_function_count},
    {kq_network_functions, &kq_network_function_count},
    {kq_time_functions, &kq_time_function_count},
    {kq_math_functions, &kq_math_function_count},
    {kq_unit_functions, &kq_unit_function_count},
    {kq_compression_functions, &kq_compression_function_count},
    {kq_punycode_functions, &kq_punycode_function_count},
    {kq_command_line_functions, &kq_command_line_function_count},
    {kq_geo_functions, &kq_geo_function_count},
};

const kq_function *kq_function_find(const char *name, size_t len)
{
    for (size_t f = 0; f < KQ_ARRAY_LEN(families); f++)
        for (size_t i = 0; i < *families[f].count; i++) {
            const kq_function *fn = &families[f].functions[i];
            if (strlen(fn->name) == len && memcmp(fn->name, name, len) == 0)
                return fn;
        }
    return NULL;
}

size_t kq_function_count(void)
{
    size_t total = 0;
    for (size_t f = 0; f < KQ_ARRAY_LEN(families); f++)
        total += *families[f].count;
    return total;
}

const kq_function *kq_function_at(size_t index)
{
    for (size_t f = 0; f < KQ_ARRAY_LEN(families); f++) {
        if (index < *families[f].count)
            return &families[f].functions[index];
        index -= *families[f].count;
    }
    return NULL;
}

const kq_aggregate *kq_aggregate_find(const char *name, size_t len)
{
    for (size_t i = 0; i < kq_aggregate_count(); i++) {
        const kq_aggregate *agg = kq_aggregate_at(i);
        if (strlen(agg->name) == len && memcmp(agg->name, name, len) == 0)
            return agg;
    }
    return NULL;
}

size_t kq_aggregate_count(void)
{
    return kq_aggregate_total + kq_more_aggregate_total;
}

const kq_aggregate *kq_aggregate_at(size_t index)
{
    if (index < kq_aggregate_total)
        return &kq_aggregates[index];
    index -= kq_aggregate_total;
    return index < kq_more_aggregate_total ? &kq_more_aggregates[index] : NULL;
}

kq_type kq_numeric_result(kq_type a, kq_type b)
{
    if (a == KQ_REAL || b == KQ_REAL || a == KQ_DECIMAL || b == KQ_DECIMAL)
        return KQ_REAL;
    if (a == KQ_LONG || b == KQ_LONG)
        return KQ_LONG;
    return KQ_INT;
}

double kq_value_as_real(const kq_value *v)
{
    switch (v->type) {
    case KQ_REAL:
    case KQ_DECIMAL:
        return v->u.r;
    case KQ_BOOL:
        return v->u.b ? 1 : 0;
    default:
        return (double)v->u.l;
    }
}

static int compare_str(kq_str a, kq_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c)
        return c;
    return KQ_COMPARE(a.len, b.len);
}

int kq_value_compare(const kq_value *a, const kq_value *b)
{
    if (kq_type_is_numeric(a->type) && kq_type_is_numeric(b->type)) {
        if (kq_type_is_integer(a->type) && kq_type_is_integer(b->type))
            return KQ_COMPARE(a->u.l, b->u.l);
        double x = kq_value_as_real(a), y = kq_value_as_real(b);
        /* NaN sorts before every number and equals another NaN. */
        if (isnan(x) && isnan(y))
            return 0;
        if (isnan(x))
            return -1;
        if (isnan(y))
            return 1;
        return KQ_COMPARE(x, y);
    }
    switch (a->type) {
    case KQ_STRING:
    case KQ_GUID:
        return compare_str(a->u.s, b->u.s);
    case KQ_BOOL:
        return (int)a->u.b - (int)b->u.b;
    case KQ_DYNAMIC: {
        kq_buf x, y;
        kq_buf_init(&x);
        kq_buf_init(&y);
        kq_dyn_to_json(a->u.d, &x);
        kq_dyn_to_json(b->u.d, &y);
        int c = strcmp(x.data, y.data);
        kq_buf_free(&x);
        kq_buf_free(&y);
        return c;
    }
    default:
        return KQ_COMPARE(a->u.l, b->u.l);
    }
}

bool kq_value_equal(const kq_value *a, const kq_value *b)
{
    if (a->null || b->null)
        return a->null && b->null;
    if (a->type == KQ_DYNAMIC && b->type == KQ_DYNAMIC)
        return kq_dyn_equal(a->u.d, b->u.d);
    if ((a->type == KQ_STRING || a->type == KQ_GUID) && (b->type == KQ_STRING || b->type == KQ_GUID))
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0;
    return kq_value_compare(a, b) == 0;
}

kq_str kq_value_to_str(kq_arena *arena, const kq_value *v)
{
    kq_str empty = {"", 0};
    if (v->null)
        return empty;
    char text[48];
    switch (v->type) {
    case KQ_STRING:
    case KQ_GUID:
        return v->u.s;
    case KQ_BOOL:
        strcpy(text, v->u.b ? "true" : "false");
        break;
    case KQ_INT:
    case KQ_LONG:
        snprintf(text, sizeof text, "%lld", (long long)v->u.l);
        break;
    case KQ_REAL:
    case KQ_DECIMAL:
        kq_real_format(v->u.r, text);
        break;
    case KQ_DATETIME:
        kq_datetime_format(v->u.l, text);
        break;
    case KQ_TIMESPAN:
        kq_timespan_format(v->u.l, text);
        break;
    case KQ_DYNAMIC: {
        if (v->u.d && v->u.d->kind == KQ_DYN_STRING)
            return v->u.d->u.s;
        kq_value s = kq_dyn_to_value(v->u.d, KQ_STRING, arena);
        return s.u.s;
    }
    default:
        return empty;
    }
    kq_str s = {kq_arena_strdup(arena, text), (uint32_t)strlen(text)};
    return s;
}

void kq_bind_string_result(const kq_type *args, int argc, kq_bind_result *result)
{
    (void)args;
    (void)argc;
    result->type = KQ_STRING;
}

void kq_bind_string_to_string(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_STRING) {
        snprintf(result->error, sizeof result->error, "this function takes a string, not %s", kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    result->type = KQ_STRING;
}

void kq_bind_bool_result(const kq_type *args, int argc, kq_bind_result *result)
{
    (void)args;
    (void)argc;
    result->type = KQ_BOOL;
}

void kq_bind_long_result(const kq_type *args, int argc, kq_bind_result *result)
{
    (void)args;
    (void)argc;
    result->type = KQ_LONG;
}
