/*
 * Function registry: every scalar function, operator and aggregate kqlite
 * knows, with its signature and a one-line description. The binder looks
 * names up here; docs/kql-support.md is generated from the same tables.
 *
 * Operators (==, has, between, +, ...) are registered like functions under
 * their operator text, so the binder and the evaluator treat them alike.
 */
#ifndef KQ_FUNCTIONS_REGISTRY_H
#define KQ_FUNCTIONS_REGISTRY_H

#include "base/arena.h"
#include "types/dynamic.h"
#include "types/types.h"

/* Per-evaluation context: where results are allocated and the query's fixed "now". */
typedef struct kq_eval_ctx {
    kq_arena *arena;  /* strings and dynamic values made by functions */
    int64_t now;      /* ticks; now() and ago() read this, so every call in a query agrees */
    char *error;      /* set by a function that fails at run time (bad regex); first one wins */
} kq_eval_ctx;

/* Result of checking a call's argument types. */
typedef struct kq_bind_result {
    kq_type type;            /* result type, or KQ_TYPE_NONE on error */
    char error[160];         /* why the arguments do not fit */
    int error_arg;           /* index of the offending argument, or -1 */
} kq_bind_result;

typedef kq_value (*kq_scalar_eval)(kq_eval_ctx *ctx, const kq_value *args, int argc);
typedef void (*kq_scalar_bind)(const kq_type *args, int argc, kq_bind_result *result);

typedef struct kq_function {
    const char *name;
    int min_args, max_args;     /* max_args -1: any number */
    kq_scalar_bind bind;
    kq_scalar_eval eval;
    const char *signature;      /* "tolower(string) -> string" */
    const char *description;
} kq_function;

/* ---- aggregates ---- */

typedef struct kq_agg_ctx {
    kq_arena *arena; /* state storage; lives as long as the summarize */
} kq_agg_ctx;

typedef struct kq_aggregate {
    const char *name;
    int min_args, max_args;
    kq_scalar_bind bind;
    /* Default column name: prefix + "_" + first argument's column name ("min_Timestamp"),
     * or prefix + "_" when the aggregate names no column ("count_", "countif_").
     * NULL prefix keeps the argument's own name (take_any). */
    const char *name_prefix;
    bool name_uses_argument;
    size_t state_size;
    void (*init)(void *state, const kq_value *constant_args, int argc);
    void (*update)(void *state, const kq_value *args, int argc, kq_agg_ctx *ctx);
    kq_value (*finish)(void *state, kq_type result_type, kq_agg_ctx *ctx);
    const char *signature;
    const char *description;
    /* arg_max/arg_min: the aggregate outputs one column per argument (a `*` argument expands
     * to the input's other columns) and finish_row writes them all. */
    void (*finish_row)(void *state, kq_value *out, int count, kq_agg_ctx *ctx);
    /* percentile, percentiles and their weighted forms: the index of the first percentage
     * argument (0 for other aggregates). They output one column per percentage, named
     * percentile_x_50, through finish_row. */
    int percentage_arg;
    /*
     * Adds to state another state of the same group that was built from rows
     * coming after this state's rows, with the result of updating this state
     * with those rows one by one (summarize's partial aggregation). other's
     * values live in another arena: merge copies what it keeps into
     * ctx->arena. NULL when the aggregate has no merge.
     */
    void (*merge)(void *state, const void *other, kq_agg_ctx *ctx);
    /* Set when merge would change the result for real arguments: floating-point sums depend on their order. */
    bool merge_inexact_for_reals;
} kq_aggregate;

const kq_function *kq_function_find(const char *name, size_t len);
const kq_aggregate *kq_aggregate_find(const char *name, size_t len);

/* Iteration for docs generation and "did you mean". */
size_t kq_function_count(void);
const kq_function *kq_function_at(size_t index);
size_t kq_aggregate_count(void);
const kq_aggregate *kq_aggregate_at(size_t index);

/* Function family tables, one per source file, collected by registry.c. */
extern const kq_function kq_string_functions[];
extern const size_t kq_string_function_count;
extern const kq_function kq_operator_functions[];
extern const size_t kq_operator_function_count;
extern const kq_function kq_datetime_functions[];
extern const size_t kq_datetime_function_count;
extern const kq_function kq_conversion_functions[];
extern const size_t kq_conversion_function_count;
extern const kq_function kq_dynamic_functions[];
extern const size_t kq_dynamic_function_count;
extern const kq_function kq_text_functions[];
extern const size_t kq_text_function_count;
extern const kq_function kq_network_functions[];
extern const size_t kq_network_function_count;
extern const kq_function kq_time_functions[];
extern const size_t kq_time_function_count;
extern const kq_function kq_math_functions[];
extern const size_t kq_math_function_count;
extern const kq_function kq_unit_functions[];
extern const size_t kq_unit_function_count;
extern const kq_function kq_compression_functions[];
extern const size_t kq_compression_function_count;
extern const kq_function kq_punycode_functions[];
extern const size_t kq_punycode_function_count;
extern const kq_function kq_command_line_functions[];
extern const size_t kq_command_line_function_count;
extern const kq_function kq_geo_functions[];
extern const size_t kq_geo_function_count;
extern const kq_aggregate kq_aggregates[];
extern const size_t kq_aggregate_total;
extern const kq_aggregate kq_more_aggregates[];
extern const size_t kq_more_aggregate_total;

/* ---- helpers shared by function families ---- */

/* Kusto's type for mixed numeric arithmetic: int+long -> long, anything+real -> real. */
kq_type kq_numeric_result(kq_type a, kq_type b);
double kq_value_as_real(const kq_value *v);
/* Compares two non-null values of compatible types; returns <0, 0, >0. */
int kq_value_compare(const kq_value *a, const kq_value *b);
bool kq_value_equal(const kq_value *a, const kq_value *b);
/* Converts a value to its string form (tostring semantics) in the arena. */
kq_str kq_value_to_str(kq_arena *arena, const kq_value *v);

/* Bind helpers usable as kq_function.bind. */
void kq_bind_string_result(const kq_type *args, int argc, kq_bind_result *result);
/* One string argument, a string result. */
void kq_bind_string_to_string(const kq_type *args, int argc, kq_bind_result *result);
void kq_bind_bool_result(const kq_type *args, int argc, kq_bind_result *result);
void kq_bind_long_result(const kq_type *args, int argc, kq_bind_result *result);

#endif
