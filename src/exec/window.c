/*
 * Window functions over serialized rows: row_number, prev, row_cumsum, row_rank_min,
 * row_rank_dense and row_window_session. Each call site has a state slot in the run
 * that carries what it needs from earlier rows (and earlier batches) to the next row,
 * so the rows must arrive in their serialized order. An operator that evaluates such a
 * call resets the state when it is built, so a subquery run once per partition starts
 * over in each partition.
 *
 * NOTE: Kusto rejects these functions over rows that are not serialized (after sort,
 * serialize, top, ...); kqlite does not check that and numbers rows in arrival order.
 */
#include "exec/exec.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

/* Largest prev() offset; Kusto documents no limit. */
#define MAX_PREV_OFFSET 4096

struct kq_window_state {
    int64_t count;        /* rows since the last restart */
    int64_t rank;         /* row_rank_min / row_rank_dense of the previous row */
    kq_value last;        /* previous row's value (ranks, sessions), copied into last_arena */
    kq_arena *last_arena;
    kq_value total;       /* row_cumsum */
    kq_value session_start;
    kq_value *history;    /* prev(): the last `depth` values, a ring starting at `oldest` */
    kq_arena **history_arenas;
    uint32_t depth, filled, oldest;
};

static void state_free(kq_window_state *s)
{
    if (!s)
        return;
    kq_arena_free(s->last_arena);
    for (uint32_t i = 0; i < s->depth; i++)
        kq_arena_free(s->history_arenas[i]);
    free(s->history_arenas);
    free(s->history);
    free(s);
}

void kq_window_reset(kq_run *run, const kq_expr *e)
{
    if (!e)
        return;
    if (e->kind == KQ_EXPR_WINDOW) {
        state_free(run->windows[e->slot]);
        run->windows[e->slot] = NULL;
    }
    for (int a = 0; a < e->nargs; a++)
        kq_window_reset(run, e->args[a]);
}

bool kq_expr_has_window(const kq_expr *e)
{
    if (!e)
        return false;
    if (e->kind == KQ_EXPR_WINDOW)
        return true;
    for (int a = 0; a < e->nargs; a++)
        if (kq_expr_has_window(e->args[a]))
            return true;
    return false;
}

void kq_window_free_all(kq_run *run)
{
    for (int i = 0; run->windows && i < run->query->nslots; i++) {
        state_free(run->windows[i]);
        run->windows[i] = NULL;
    }
}

static kq_window_state *state_of(kq_run *run, const kq_expr *e)
{
    kq_window_state *s = run->windows[e->slot];
    if (!s) {
        s = kq_xcalloc(1, sizeof *s);
        s->last_arena = kq_arena_new(256);
        s->last = kq_null(KQ_TYPE_NONE);
        run->windows[e->slot] = s;
    }
    return s;
}

static void remember_last(kq_window_state *s, const kq_value *v)
{
    kq_arena_reset(s->last_arena);
    s->last = kq_value_copy(s->last_arena, *v);
}

static bool restarts(const kq_value *restart) { return restart && !restart->null && restart->u.b; }

/* prev(x, offset, default): the value offset rows back, kept in a ring of copies. The
 * result is copied into arena before its ring slot takes the current row's value. */
static kq_value window_prev(kq_window_state *s, const kq_expr *e, const kq_value *x, const kq_value *offset,
                            const kq_value *fallback, kq_arena *arena)
{
    int64_t depth = offset && !offset->null ? offset->u.l : 1;
    if (depth < 1 || depth > MAX_PREV_OFFSET)
        return fallback ? *fallback : kq_null(e->type);
    if (!s->history) {
        s->depth = (uint32_t)depth;
        s->history = kq_xcalloc(s->depth, sizeof *s->history);
        s->history_arenas = kq_xcalloc(s->depth, sizeof *s->history_arenas);
    }
    bool full = s->filled == s->depth;
    kq_value result = full ? kq_value_copy(arena, s->history[s->oldest]) : fallback ? *fallback : kq_null(e->type);
    uint32_t slot = full ? s->oldest : s->filled;
    if (!s->history_arenas[slot])
        s->history_arenas[slot] = kq_arena_new(256);
    kq_arena_reset(s->history_arenas[slot]);
    s->history[slot] = kq_value_copy(s->history_arenas[slot], *x);
    if (full)
        s->oldest = (s->oldest + 1) % s->depth;
    else
        s->filled++;
    return result;
}

static kq_value add_values(kq_value total, const kq_value *term, kq_type type)
{
    if (term->null)
        return total;
    if (type == KQ_REAL || type == KQ_DECIMAL) {
        kq_value v = kq_real((total.null ? 0 : total.u.r) + kq_value_as_real(term));
        v.type = type;
        return v;
    }
    kq_value v = kq_long((total.null ? 0 : total.u.l) + term->u.l);
    v.type = type;
    return v;
}

/* The window value of one row; args holds the row's argument values. */
static kq_value window_row(kq_window_state *s, const kq_expr *e, const kq_value *args, int nargs, kq_arena *arena)
{
    const kq_value *restart = NULL;
    switch (e->window) {
    case KQ_WINDOW_ROW_NUMBER: {
        restart = nargs > 1 ? &args[1] : NULL;
        int64_t start = nargs > 0 && !args[0].null ? args[0].u.l : 1;
        if (restarts(restart))
            s->count = 0;
        return kq_long(start + s->count++);
    }
    case KQ_WINDOW_PREV:
        return window_prev(s, e, &args[0], nargs > 1 ? &args[1] : NULL, nargs > 2 ? &args[2] : NULL, arena);
    case KQ_WINDOW_ROW_CUMSUM:
        if (nargs > 1 && restarts(&args[1]))
            s->total = kq_null(e->type);
        if (s->count++ == 0)
            s->total = kq_null(e->type);
        s->total = add_values(s->total, &args[0], e->type);
        return s->total.null ? kq_null(e->type) : s->total;
    case KQ_WINDOW_ROW_RANK_MIN:
    case KQ_WINDOW_ROW_RANK_DENSE: {
        bool restart_here = s->count == 0 || (nargs > 1 && restarts(&args[1]));
        if (restart_here) {
            s->count = 0;
            s->rank = 1;
        } else if (!kq_value_equal(&args[0], &s->last)) {
            s->rank = e->window == KQ_WINDOW_ROW_RANK_MIN ? s->count + 1 : s->rank + 1;
        }
        s->count++;
        remember_last(s, &args[0]);
        return kq_long(s->rank);
    }
    case KQ_WINDOW_ROW_WINDOW_SESSION: {
        const kq_value *t = &args[0];
        bool fresh = s->count == 0 || (nargs > 3 && restarts(&args[3])) || s->session_start.null || t->null ||
                     s->last.null || t->u.l - s->session_start.u.l > args[1].u.l ||
                     t->u.l - s->last.u.l > args[2].u.l;
        if (fresh)
            s->session_start = *t;
        s->count++;
        s->last = *t;
        return s->session_start;
    }
    }
    return kq_null(e->type);
}

void kq_eval_window(kq_run *run, const kq_expr *e, kq_batch *batch, const uint32_t *rows, uint32_t n, kq_value *out,
                    kq_arena *arena)
{
    kq_value *args[8];
    for (int a = 0; a < e->nargs && a < 8; a++) {
        args[a] = kq_arena_alloc(arena, (n ? n : 1) * sizeof(kq_value));
        kq_eval(run, e->args[a], batch, rows, n, args[a], arena);
    }
    kq_window_state *s = state_of(run, e);
    kq_value row_args[8];
    for (uint32_t i = 0; i < n; i++) {
        for (int a = 0; a < e->nargs && a < 8; a++)
            row_args[a] = args[a][i];
        out[i] = window_row(s, e, row_args, e->nargs, arena);
    }
}
