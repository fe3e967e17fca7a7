/*
 * scan: matches the serialized rows against a sequence of steps, as Kusto's scan
 * operator documents it. Each step k has a state: empty, or one record per step 1..k
 * and the match id of its sequence. Every input record is checked against the steps
 * from the last to the first:
 *
 *   check 1: step k-1's state is not empty and the record meets step k's condition
 *   (seeing that state). Then step k-1's state moves to step k, extended by the record
 *   with step k's assignments, and step k-1 becomes empty.
 *   check 2, only without a check 1 match: step k's state is not empty or k is the
 *   first step, and the record meets the condition (seeing step k's state). Then the
 *   record with the assignments replaces step k's own record. On an empty first step
 *   this starts a new sequence with the next match id.
 *
 * A match outputs the extended record unless the step says output=none; output=last
 * holds a step's record back until the next record of that step replaces it or the
 * sequence moves on, and outputs only the last one.
 */
#include "exec/exec.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct step_state {
    bool active;
    int64_t match_id;
    kq_value *records;    /* nsteps records of ncolumns values; records of steps > k unused */
    kq_arena *arena;      /* owns the values copied into records */
    kq_value *pending;    /* output=last: the record held back, or NULL */
    int64_t pending_id;
    kq_arena *pending_arena;
} step_state;

typedef struct scan_state {
    kq_arena *scratch;
    step_state *steps;
    int64_t next_match_id;
    kq_type *out_types;
    kq_batch *out;        /* rows being collected for the next output batch */
    kq_batch *row;        /* the one-row scan batch expressions are evaluated on */
    kq_batch *in;         /* the input batch being scanned, from row next_row on */
    uint32_t next_row;
    kq_value *record;     /* the current record: input columns, then declared defaults */
    bool input_done;
} scan_state;

static const kq_scan_spec *spec_of(kq_op *op) { return op->plan->scan; }

/* Fills the scan row: the record, then the records of `view`. An empty state shows the
 * declared columns' defaults and null input columns. */
static void fill_row(kq_op *op, const kq_value *record, const step_state *view)
{
    scan_state *s = op->state;
    const kq_scan_spec *spec = spec_of(op);
    for (int c = 0; c < spec->ncolumns; c++)
        kq_batch_set(s->row, (uint32_t)c, 0, record[c]);
    for (int j = 0; j < spec->nsteps; j++)
        for (int c = 0; c < spec->ncolumns; c++) {
            uint32_t column = (uint32_t)(spec->ncolumns * (1 + j) + c);
            if (view && view->active)
                kq_batch_set(s->row, column, 0, view->records[j * spec->ncolumns + c]);
            else if (c >= spec->ninput)
                kq_batch_set(s->row, column, 0, spec->defaults[c]);
            else
                kq_column_set_null(s->row, column, 0);
        }
}

static bool condition_holds(kq_op *op, const kq_scan_step *step)
{
    scan_state *s = op->state;
    kq_value result;
    kq_eval(op->run, step->condition, s->row, NULL, 1, &result, s->scratch);
    return !result.null && result.u.b;
}

/* The record extended by the step's assignments, all computed on the same scan row. */
static kq_value *extend_record(kq_op *op, const kq_scan_step *step, const kq_value *record)
{
    scan_state *s = op->state;
    const kq_scan_spec *spec = spec_of(op);
    kq_value *extended = kq_arena_alloc(s->scratch, (size_t)spec->ncolumns * sizeof(kq_value));
    memcpy(extended, record, (size_t)spec->ncolumns * sizeof(kq_value));
    for (int a = 0; a < step->nassignments; a++) {
        kq_value v;
        kq_eval(op->run, step->assignments[a], s->row, NULL, 1, &v, s->scratch);
        kq_type want = spec->row_types[step->targets[a]];
        if (!v.null && v.type != want)
            v = want == KQ_REAL || want == KQ_DECIMAL ? kq_real(kq_value_as_real(&v)) : kq_long((int64_t)kq_value_as_real(&v));
        v.type = want;
        extended[step->targets[a]] = v;
    }
    return extended;
}

static void emit(kq_op *op, const kq_value *record, int64_t match_id)
{
    scan_state *s = op->state;
    const kq_scan_spec *spec = spec_of(op);
    uint32_t r = s->out->nrows++;
    for (int c = 0; c < spec->ncolumns; c++)
        kq_batch_set(s->out, (uint32_t)c, r, kq_value_copy(s->out->arena, record[c]));
    if (spec->match_id)
        kq_batch_set(s->out, (uint32_t)spec->ncolumns, r, kq_long(match_id));
}

static void flush_pending(kq_op *op, step_state *state)
{
    if (!state->pending)
        return;
    emit(op, state->pending, state->pending_id);
    state->pending = NULL;
}

/* Outputs a step's match as its output mode (all, last, none) sets. */
static void output_match(kq_op *op, const kq_scan_step *step, step_state *state, const kq_value *record)
{
    const kq_scan_spec *spec = spec_of(op);
    if (step->output == KQ_SCAN_OUTPUT_ALL) {
        emit(op, record, state->match_id);
    } else if (step->output == KQ_SCAN_OUTPUT_LAST) {
        kq_arena_reset(state->pending_arena);
        state->pending = kq_arena_alloc(state->pending_arena, (size_t)spec->ncolumns * sizeof(kq_value));
        for (int c = 0; c < spec->ncolumns; c++)
            state->pending[c] = kq_value_copy(state->pending_arena, record[c]);
        state->pending_id = state->match_id;
    }
}

/* Makes an empty first step active with every step's record empty: null input columns
 * and the declared columns' defaults, which later steps' references see until set. */
static void start_sequence(const kq_scan_spec *spec, step_state *state)
{
    kq_arena_reset(state->arena);
    for (int j = 0; j < spec->nsteps; j++)
        for (int c = 0; c < spec->ncolumns; c++)
            state->records[j * spec->ncolumns + c] = c < spec->ninput ? kq_null(spec->row_types[c]) : spec->defaults[c];
    state->active = true;
}

/* Copies a record into step k's own slot of the state. */
static void store_record(const kq_scan_spec *spec, step_state *state, int k, const kq_value *record)
{
    for (int c = 0; c < spec->ncolumns; c++)
        state->records[k * spec->ncolumns + c] = kq_value_copy(state->arena, record[c]);
}

/* Moves step k-1's state to step k; the arenas swap so no value is copied twice. */
static void promote(const kq_scan_spec *spec, step_state *from, step_state *to)
{
    kq_arena *arena = to->arena;
    kq_value *records = to->records;
    to->arena = from->arena;
    to->records = from->records;
    to->match_id = from->match_id;
    to->active = true;
    from->arena = arena;
    from->records = records;
    from->active = false;
    kq_arena_reset(from->arena);
    (void)spec;
}

/* Checks one record against every step, from the last to the first. */
static void scan_record(kq_op *op, const kq_value *record)
{
    scan_state *s = op->state;
    const kq_scan_spec *spec = spec_of(op);
    for (int k = spec->nsteps - 1; k >= 0; k--) {
        const kq_scan_step *step = &spec->steps[k];
        step_state *state = &s->steps[k];
        if (k > 0 && s->steps[k - 1].active) {
            fill_row(op, record, &s->steps[k - 1]);
            if (condition_holds(op, step)) {
                kq_value *extended = extend_record(op, step, record);
                flush_pending(op, state);
                flush_pending(op, &s->steps[k - 1]);
                promote(spec, &s->steps[k - 1], state);
                store_record(spec, state, k, extended);
                output_match(op, step, state, extended);
                continue;
            }
        }
        if (!state->active && k > 0)
            continue;
        fill_row(op, record, state);
        if (!condition_holds(op, step))
            continue;
        kq_value *extended = extend_record(op, step, record);
        if (!state->active) {
            start_sequence(spec, state);
            state->match_id = s->next_match_id++;
        }
        store_record(spec, state, k, extended);
        output_match(op, step, state, extended);
    }
}

static kq_batch *new_out_batch(kq_op *op)
{
    scan_state *s = op->state;
    /* One record outputs at most one row per step, plus the rows held back by output=last. */
    uint32_t spare = 2 * (uint32_t)spec_of(op)->nsteps + 2;
    return kq_batch_new(op->plan->schema.count, s->out_types, KQ_BATCH_ROWS + spare);
}

/* Scans input records until a batch of output is full or the input ends. */
static kq_batch *scan_steps_next(kq_op *op)
{
    scan_state *s = op->state;
    const kq_scan_spec *spec = spec_of(op);
    while (s->out->nrows < KQ_BATCH_ROWS && !op->run->error) {
        if (!s->in || s->next_row >= s->in->nrows) {
            if (s->in)
                kq_batch_release(s->in);
            s->in = s->input_done ? NULL : op->input->next(op->input);
            s->next_row = 0;
            if (!s->in) {
                if (!s->input_done)
                    for (int k = 0; k < spec->nsteps; k++)
                        flush_pending(op, &s->steps[k]);
                s->input_done = true;
                break;
            }
            continue;
        }
        kq_arena_reset(s->scratch);
        for (int c = 0; c < spec->ncolumns; c++)
            s->record[c] = c < spec->ninput ? kq_column_get(&s->in->cols[c], s->next_row) : spec->defaults[c];
        s->next_row++;
        scan_record(op, s->record);
    }
    if (s->out->nrows == 0)
        return NULL;
    kq_batch *out = s->out;
    s->out = new_out_batch(op);
    return out;
}

static void scan_steps_close(kq_op *op)
{
    scan_state *s = op->state;
    const kq_scan_spec *spec = spec_of(op);
    for (int k = 0; k < spec->nsteps; k++) {
        kq_arena_free(s->steps[k].arena);
        kq_arena_free(s->steps[k].pending_arena);
        free(s->steps[k].records);
    }
    if (s->in)
        kq_batch_release(s->in);
    kq_batch_release(s->out);
    kq_batch_release(s->row);
    kq_arena_free(s->scratch);
    free(s->steps);
    free(s->record);
    free(s->out_types);
    free(s);
}

kq_op *kq_op_scan_steps(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    const kq_scan_spec *spec = plan->scan;
    scan_state *s = kq_xcalloc(1, sizeof *s);
    op->state = s;
    s->scratch = kq_arena_new(16 * 1024);
    s->out_types = kq_xmalloc((plan->schema.count + 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < plan->schema.count; c++)
        s->out_types[c] = plan->schema.fields[c].type;
    s->record = kq_xmalloc(((size_t)spec->ncolumns + 1) * sizeof(kq_value));
    s->steps = kq_xcalloc((size_t)spec->nsteps + 1, sizeof(step_state));
    for (int k = 0; k < spec->nsteps; k++) {
        s->steps[k].arena = kq_arena_new(1024);
        s->steps[k].pending_arena = kq_arena_new(1024);
        s->steps[k].records = kq_xcalloc((size_t)spec->nsteps * (size_t)spec->ncolumns + 1, sizeof(kq_value));
    }
    s->row = kq_batch_new((uint32_t)(spec->ncolumns * (1 + spec->nsteps)), spec->row_types, 1);
    s->row->nrows = 1;
    s->out = new_out_batch(op);
    op->next = scan_steps_next;
    op->close = scan_steps_close;
    return op;
}
