/*
 * Declarations shared by the math family's two source files. math_functions.c
 * contains the registry table, and series_functions.c defines the series_*
 * functions that the table lists.
 */
#ifndef KQ_FUNCTIONS_MATH_INTERNAL_H
#define KQ_FUNCTIONS_MATH_INTERNAL_H

#include "functions/registry.h"

/* ---- bind ---- */

/* (series, series) where one side may be a numeric scalar: series_add, series_greater, ... */
void kq_series_bind_binary(const kq_type *args, int argc, kq_bind_result *result);
/* (series) -> dynamic: series_abs, series_exp, ... */
void kq_series_bind_unary(const kq_type *args, int argc, kq_bind_result *result);
/* (series) -> real: series_sum, series_product, series_magnitude */
void kq_series_bind_reduce(const kq_type *args, int argc, kq_bind_result *result);
/* (series, series) -> real, one side may be a numeric scalar: series_dot_product */
void kq_series_bind_pair_real(const kq_type *args, int argc, kq_bind_result *result);
/* (series, series) -> real, both arrays: series_pearson_correlation, series_cosine_similarity */
void kq_series_bind_arrays_real(const kq_type *args, int argc, kq_bind_result *result);
void kq_series_bind_stats(const kq_type *args, int argc, kq_bind_result *result);
void kq_series_bind_fill_const(const kq_type *args, int argc, kq_bind_result *result);
void kq_series_bind_fill_directional(const kq_type *args, int argc, kq_bind_result *result);
void kq_series_bind_fill_linear(const kq_type *args, int argc, kq_bind_result *result);
void kq_series_bind_fir(const kq_type *args, int argc, kq_bind_result *result);
void kq_series_bind_iir(const kq_type *args, int argc, kq_bind_result *result);

/* ---- element-wise ---- */

kq_value kq_series_add(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_subtract(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_multiply(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_divide(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_pow(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_greater(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_greater_equals(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_less(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_less_equals(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_equals(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_not_equals(kq_eval_ctx *ctx, const kq_value *args, int argc);

kq_value kq_series_abs(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_ceiling(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_floor(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_sign(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_exp(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_log(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_cos(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_sin(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_tan(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_acos(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_asin(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_atan(kq_eval_ctx *ctx, const kq_value *args, int argc);

/* ---- whole-series ---- */

kq_value kq_series_sum(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_product(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_magnitude(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_dot_product(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_cosine_similarity(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_pearson_correlation(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_stats_dynamic(kq_eval_ctx *ctx, const kq_value *args, int argc);

/* ---- filling and filtering ---- */

kq_value kq_series_fill_const(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_fill_forward(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_fill_backward(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_fill_linear(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_fir(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_series_seasonal(kq_eval_ctx *ctx, const kq_value *args, int argc);
void kq_series_bind_seasonal(const kq_type *args, int argc, kq_bind_result *result);
kq_value kq_series_iir(kq_eval_ctx *ctx, const kq_value *args, int argc);

#endif
