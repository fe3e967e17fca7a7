/*
 * Helpers and evaluators shared by dynamic_functions.c (arrays) and
 * dynamic_functions2.c (property bags, sets, paths). The function table for
 * both files lives in dynamic_functions.c.
 */
#ifndef KQ_FUNCTIONS_DYNAMIC_INTERNAL_H
#define KQ_FUNCTIONS_DYNAMIC_INTERNAL_H

#include "functions/registry.h"

/* Largest array that range(), repeat() and the bag/list aggregates build (Kusto's 2^20 limit for range()). */
#define KQ_DYN_MAX_ELEMENTS 1048576

/* The dynamic tree of a value, or NULL when the value is null or JSON null. */
const kq_dyn *kq_dynfn_tree(const kq_value *v);
/* The value's tree when it is an array (or object), else NULL. */
const kq_dyn *kq_dynfn_array(const kq_value *v);
const kq_dyn *kq_dynfn_object(const kq_value *v);
/* A new array or object with room for count entries; the caller fills them and may lower count. */
kq_dyn *kq_dynfn_new_array(kq_arena *arena, uint32_t count);
kq_dyn *kq_dynfn_new_object(kq_arena *arena, uint32_t count);
/* Converts an argument to a dynamic element: scalars are wrapped, null becomes JSON null. */
const kq_dyn *kq_dynfn_element(kq_arena *arena, const kq_value *v);
/* Reads an integer argument (int, long or a dynamic number); false when it is null or not an integer. */
bool kq_dynfn_int_arg(const kq_value *v, int64_t *out);
/* Reads a string argument (string or a dynamic string); false when it is neither. */
bool kq_dynfn_string_arg(const kq_value *v, kq_str *out);

/*
 * Checks argument types against a spec with one letter per argument:
 * d dynamic, i integer, s string, b bool, n number, * any scalar or dynamic.
 * The last letter repeats for further arguments. A dynamic argument passes
 * every letter because an untyped null literal arrives as dynamic.
 */
bool kq_dynfn_check_args(const kq_type *args, int argc, const char *spec, const char *function,
                         kq_bind_result *result);

/* Evaluators and binders defined in dynamic_functions2.c. */
kq_value kq_dynfn_bag_pack(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_bag_keys(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_bag_merge(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_bag_remove_keys(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_bag_has_key(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_bag_set_key(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_bag_zip(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_set_difference(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_set_union(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_set_intersect(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_jaccard_index(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_treepath(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_range(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_repeat(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_gettype(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_dynfn_to_json(kq_eval_ctx *ctx, const kq_value *args, int argc);

void kq_dynfn_bind_bag_pack(const kq_type *args, int argc, kq_bind_result *result);
void kq_dynfn_bind_range(const kq_type *args, int argc, kq_bind_result *result);

#endif
