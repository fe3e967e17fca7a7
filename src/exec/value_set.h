/*
 * Value sets for the list operators: in, !in, in~, !in~, has_any, has_all.
 * A set is built once per run from the listed constants, dynamic arrays and
 * subquery columns, then tested row by row.
 */
#ifndef KQ_EXEC_VALUE_SET_H
#define KQ_EXEC_VALUE_SET_H

#include "exec/exec.h"

/* Returns the set for a list expression, building it on first use (NULL after an error). */
kq_value_set *kq_value_set_for(kq_run *run, const kq_expr *e);
/* Tests one left-hand value; returns a bool (or a null bool). */
kq_value kq_value_set_test(const kq_value_set *set, kq_eval_ctx *ctx, const kq_value *left);

#endif
