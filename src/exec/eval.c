/*
 * Vectorized expression evaluation: each node computes its values for a
 * whole selection of rows before its parent runs. and/or evaluate their right
 * side only for the rows the left side leaves undecided.
 */
#include "exec/exec.h"
#include "exec/value_set.h"
#include "exec/batch_facts.h"
#include "base/util.h"
#include "kql/limits.h"

#include <string.h>

/*
 * Returns true when e has the same value on every row: a constant, or a call of
 * a function other than rand() and new_guid() on constants. now() and ago()
 * qualify, because a query reads one "now" throughout.
 */
bool kq_function_is_random(const kq_function *fn)
{
    return strcmp(fn->name, "rand") == 0 || strcmp(fn->name, "new_guid") == 0;
}

bool kq_expr_is_constant(const kq_expr *e)
{
    if (e->kind == KQ_EXPR_CONST)
        return true;
    if (e->kind != KQ_EXPR_CALL || !e->fn)
        return false;
    if (kq_function_is_random(e->fn))
        return false;
    for (int a = 0; a < e->nargs; a++)
        if (!kq_expr_is_constant(e->args[a]))
            return false;
    return true;
}

/*
 * A coded column's function runs per distinct value when the dictionary has at
 * most this many values or at most as many as the rows evaluated. (A store
 * segment's dictionary of device names lists every device of the segment.)
 */
#define CODED_SMALL_DICT 16384

/* A string column as distinct values and a code per row: the value of row r is dict[codes[r]]. */
typedef struct coded_view {
    kq_type type;
    const uint16_t *codes;
    const kq_str *dict;
    uint32_t ndict;
} coded_view;

/*
 * Finds the codes of a column of the batch: a dictionary coded store column,
 * or a loaded column whose term filter kept its distinct values. False when
 * it has none or too many values to be worth it for n rows.
 */
static bool coded_column(const kq_batch *batch, const kq_expr *arg, uint32_t n, coded_view *view)
{
    if (!batch || arg->kind != KQ_EXPR_COLUMN || arg->column < 0 || (uint32_t)arg->column >= batch->ncols)
        return false;
    const kq_column *column = &batch->cols[arg->column];
    *view = (coded_view){column->type, column->codes, column->dict, column->ndict};
    if (!view->codes && (column->type != KQ_STRING ||
                         !kq_batch_distinct_values(batch, (uint32_t)arg->column, &view->codes, &view->dict,
                                                   &view->ndict)))
        return false;
    return view->ndict <= n || view->ndict <= CODED_SMALL_DICT;
}

/*
 * Finds the one argument (*varying) of a call that reads a coded column
 * (coded_column) when every other argument is constant.
 */
static bool coded_argument(const kq_expr *e, const kq_batch *batch, uint32_t n, int *varying, coded_view *view)
{
    bool found = false;
    for (int a = 0; a < e->nargs; a++) {
        const kq_expr *arg = e->args[a];
        if (kq_expr_is_constant(arg))
            continue;
        if (found || !coded_column(batch, arg, n, view))
            return false;
        found = true;
        *varying = a;
    }
    return found;
}

static kq_value coded_value(const coded_view *view, uint16_t code)
{
    kq_value v = {.type = view->type};
    v.u.s = view->dict[code];
    return v;
}

/*
 * Runs a call whose only varying argument is a coded column (a `has` or `==`
 * on a company name) once per distinct value, at the value's first row. So the
 * first error comes from the same row as when every row runs. This is sound
 * because functions of a column are pure: rand() and new_guid() take no column.
 */
static bool eval_call_coded(kq_run *run, const kq_expr *e, kq_batch *batch, const uint32_t *rows, uint32_t n,
                            kq_value *out, kq_arena *arena)
{
    int varying = 0;
    coded_view column;
    if (!coded_argument(e, batch, n, &varying, &column))
        return false;
    kq_value *row_args = kq_arena_alloc(arena, (size_t)e->nargs * sizeof(kq_value));
    for (int a = 0; a < e->nargs; a++)
        if (a != varying)
            kq_eval(run, e->args[a], batch, rows, 1, &row_args[a], arena);
    kq_value *results = kq_arena_alloc(arena, (column.ndict ? column.ndict : 1) * sizeof(kq_value));
    uint8_t *known = kq_arena_alloc(arena, column.ndict ? column.ndict : 1);
    memset(known, 0, column.ndict);
    kq_eval_ctx ctx = {.arena = arena, .now = run->now};
    for (uint32_t i = 0; i < n; i++) {
        uint32_t row = rows ? rows[i] : i;
        uint16_t code = column.codes[row];
        if (!known[code]) {
            row_args[varying] = coded_value(&column, code);
            results[code] = e->fn->eval(&ctx, row_args, e->nargs);
            known[code] = 1;
        }
        out[i] = results[code];
    }
    if (ctx.error && !run->error)
        kq_run_fail(run, "%s", ctx.error);
    return true;
}

static void eval_call(kq_run *run, const kq_expr *e, kq_batch *batch, const uint32_t *rows,
                      uint32_t n, kq_value *out, kq_arena *arena)
{
    /* A call on constants (now(-5d) in a time window) runs once, not once per row. */
    if (n > 1 && kq_expr_is_constant(e)) {
        eval_call(run, e, batch, rows, 1, out, arena);
        for (uint32_t i = 1; i < n; i++)
            out[i] = out[0];
        return;
    }
    if (eval_call_coded(run, e, batch, rows, n, out, arena))
        return;
    kq_value *args[KQ_MAX_CALL_ARGS];
    for (int a = 0; a < e->nargs; a++) {
        args[a] = kq_arena_alloc(arena, (n ? n : 1) * sizeof(kq_value));
        kq_eval(run, e->args[a], batch, rows, n, args[a], arena);
    }
    kq_eval_ctx ctx = {.arena = arena, .now = run->now};
    kq_value *row_args = kq_arena_alloc(arena, (e->nargs ? e->nargs : 1) * sizeof(kq_value));
    for (uint32_t i = 0; i < n; i++) {
        for (int a = 0; a < e->nargs; a++)
            row_args[a] = args[a][i];
        out[i] = e->fn->eval(&ctx, row_args, e->nargs);
    }
    if (ctx.error && !run->error)
        kq_run_fail(run, "%s", ctx.error);
}

/*
 * and/or whose operands call window functions: every operand runs over every row, so
 * prev() and row_number() see all the rows, and the results combine as Kusto's
 * three-valued logic says (true and null is null).
 */
static void eval_logical_all_rows(kq_run *run, const kq_expr *e, kq_batch *batch, const uint32_t *rows,
                                  uint32_t n, kq_value *out, kq_arena *arena, bool decided)
{
    bool *settled = kq_arena_alloc(arena, (n ? n : 1) * sizeof(bool));
    bool *saw_null = kq_arena_alloc(arena, (n ? n : 1) * sizeof(bool));
    kq_value *values = kq_arena_alloc(arena, (n ? n : 1) * sizeof(kq_value));
    for (int a = 0; a < e->nargs; a++) {
        kq_eval(run, e->args[a], batch, rows, n, values, arena);
        for (uint32_t i = 0; i < n; i++) {
            bool is_null = values[i].null || values[i].type != KQ_BOOL;
            if (!is_null && values[i].u.b == decided)
                settled[i] = true;
            saw_null[i] = saw_null[i] || is_null;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        if (settled[i])
            out[i] = kq_bool(decided);
        else if (saw_null[i])
            out[i] = kq_null(KQ_BOOL);
        else
            out[i] = kq_bool(!decided);
    }
}

/*
 * and/or over n operands: decided is the value that settles the result (false for and,
 * true for or). Each operand runs only over the rows still undecided; a row that saw a
 * null and is never decided ends null (Kusto: true and null is null).
 */
static void eval_logical(kq_run *run, const kq_expr *e, kq_batch *batch, const uint32_t *rows,
                         uint32_t n, kq_value *out, kq_arena *arena, bool decided)
{
    kq_eval(run, e->args[0], batch, rows, n, out, arena);
    uint32_t *pending = kq_arena_alloc(arena, (n ? n : 1) * sizeof(uint32_t));
    uint32_t *pending_rows = kq_arena_alloc(arena, (n ? n : 1) * sizeof(uint32_t));
    bool *saw_null = kq_arena_alloc(arena, (n ? n : 1) * sizeof(bool));
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool is_null = out[i].null || out[i].type != KQ_BOOL;
        if (!is_null && out[i].u.b == decided)
            continue;
        saw_null[i] = is_null;
        pending[count] = i;
        pending_rows[count] = rows ? rows[i] : i;
        count++;
    }
    kq_value *values = kq_arena_alloc(arena, (count ? count : 1) * sizeof(kq_value));
    for (int a = 1; a < e->nargs && count > 0; a++) {
        kq_eval(run, e->args[a], batch, batch ? pending_rows : NULL, count, values, arena);
        uint32_t still = 0;
        for (uint32_t k = 0; k < count; k++) {
            const kq_value *v = &values[k];
            uint32_t i = pending[k];
            bool is_null = v->null || v->type != KQ_BOOL;
            if (!is_null && v->u.b == decided) {
                out[i] = kq_bool(decided);
                continue;
            }
            saw_null[i] = saw_null[i] || is_null;
            pending[still] = i;
            pending_rows[still] = pending_rows[k];
            still++;
        }
        count = still;
    }
    for (uint32_t k = 0; k < count; k++) {
        uint32_t i = pending[k];
        out[i] = saw_null[i] ? kq_null(KQ_BOOL) : kq_bool(!decided);
    }
}

static void eval_list(kq_run *run, const kq_expr *e, kq_batch *batch, const uint32_t *rows,
                      uint32_t n, kq_value *out, kq_arena *arena)
{
    kq_value_set *set = kq_value_set_for(run, e);
    coded_view column;
    kq_eval_ctx ctx = {.arena = arena, .now = run->now};
    if (set && coded_column(batch, e->args[0], n, &column)) {
        /* A coded column: each distinct value is looked up once. */
        kq_value *results = kq_arena_alloc(arena, (column.ndict ? column.ndict : 1) * sizeof(kq_value));
        uint8_t *known = kq_arena_alloc(arena, column.ndict ? column.ndict : 1);
        memset(known, 0, column.ndict);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t row = rows ? rows[i] : i;
            uint16_t code = column.codes[row];
            if (!known[code]) {
                kq_value v = coded_value(&column, code);
                results[code] = kq_value_set_test(set, &ctx, &v);
                known[code] = 1;
            }
            out[i] = results[code];
        }
        return;
    }
    kq_eval(run, e->args[0], batch, rows, n, out, arena);
    if (!set)
        return;
    for (uint32_t i = 0; i < n; i++)
        out[i] = kq_value_set_test(set, &ctx, &out[i]);
}

void kq_eval(kq_run *run, const kq_expr *e, kq_batch *batch, const uint32_t *rows, uint32_t n,
             kq_value *out, kq_arena *arena)
{
    switch (e->kind) {
    case KQ_EXPR_CONST:
        for (uint32_t i = 0; i < n; i++)
            out[i] = e->constant;
        return;
    case KQ_EXPR_COLUMN: {
        const kq_column *column = &batch->cols[e->column];
        for (uint32_t i = 0; i < n; i++)
            out[i] = kq_column_get(column, rows ? rows[i] : i);
        return;
    }
    case KQ_EXPR_CALL:
        eval_call(run, e, batch, rows, n, out, arena);
        return;
    case KQ_EXPR_AND:
    case KQ_EXPR_OR:
        if (kq_expr_has_window(e))
            eval_logical_all_rows(run, e, batch, rows, n, out, arena, e->kind == KQ_EXPR_OR);
        else
            eval_logical(run, e, batch, rows, n, out, arena, e->kind == KQ_EXPR_OR);
        return;
    case KQ_EXPR_LIST_OP:
        eval_list(run, e, batch, rows, n, out, arena);
        return;
    case KQ_EXPR_WINDOW:
        kq_eval_window(run, e, batch, rows, n, out, arena);
        return;
    case KQ_EXPR_SCALAR_SUBQUERY:
        if (!run->scalar_done[e->slot]) {
            size_t count = 0;
            kq_value *column = kq_run_collect_column(run, e->subqueries[0], &count);
            run->scalars[e->slot] = count ? column[0] : kq_null(e->type);
            run->scalar_done[e->slot] = true;
        }
        /* The value lives in the run's arena, which ends before the result is written:
         * each row gets a copy in the caller's arena. */
        for (uint32_t i = 0; i < n; i++)
            out[i] = kq_value_copy(arena, run->scalars[e->slot]);
        return;
    }
}
