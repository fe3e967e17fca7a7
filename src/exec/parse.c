/*
 * parse: matches each row's text against the pattern's regular expression and
 * fills the pattern's columns from its groups, converted to their declared
 * types. In simple and regex mode a row that does not match gets empty and
 * null values; relaxed mode keeps the groups that matched.
 */
#include "exec/exec.h"
#include "base/util.h"
#include "functions/regex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parse_state {
    kq_arena *scratch;
    kq_type *types;
    pcre2_code *code; /* owned: kept for the whole run */
    int *groups;      /* capture group number of each parse column, -1 when absent */
} parse_state;

static kq_value convert(kq_batch *out, const char *text, size_t len, kq_type type)
{
    kq_value s = kq_string(kq_arena_strndup(out->arena, text, len), len);
    if (type == KQ_STRING)
        return s;
    const kq_function *fn = NULL;
    switch (type) {
    case KQ_LONG: fn = kq_function_find("tolong", 6); break;
    case KQ_INT: fn = kq_function_find("toint", 5); break;
    case KQ_REAL:
    case KQ_DECIMAL: fn = kq_function_find("todouble", 8); break;
    case KQ_BOOL: fn = kq_function_find("tobool", 6); break;
    case KQ_DATETIME: fn = kq_function_find("todatetime", 10); break;
    case KQ_TIMESPAN: fn = kq_function_find("totimespan", 10); break;
    case KQ_DYNAMIC: fn = kq_function_find("parse_json", 10); break;
    default: return s;
    }
    kq_eval_ctx ctx = {.arena = out->arena};
    return fn->eval(&ctx, &s, 1);
}

/*
 * Converts the groups of one match into values[] (type KQ_TYPE_NONE where a group did
 * not take part). Simple and regex mode are strict: when a group's text does not
 * convert to its column's type, the whole row counts as unparsed and this returns false.
 */
static bool match_columns(const parse_state *s, const kq_plan *plan, kq_batch *out, pcre2_match_data *match,
                          kq_str str, kq_value *values)
{
    PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(match);
    uint32_t pairs = pcre2_get_ovector_count(match);
    for (uint32_t p = 0; p < plan->nparse_columns; p++) {
        values[p].type = KQ_TYPE_NONE;
        int group = s->groups[p];
        if (group < 0 || (uint32_t)group >= pairs || ovector[2 * group] == PCRE2_UNSET)
            continue;
        PCRE2_SIZE start = ovector[2 * group], end = ovector[2 * group + 1];
        kq_type type = s->types[plan->parse_columns[p]];
        values[p] = convert(out, str.ptr + start, end - start, type);
        if (values[p].null && type != KQ_STRING && !plan->parse_relaxed)
            return false;
    }
    return true;
}

kq_batch *kq_parse_output_batch(const kq_plan *plan, const kq_type *types, kq_batch *in)
{
    uint32_t n = in->nrows;
    kq_batch *out = kq_batch_new(plan->schema.count, types, n);
    out->nrows = n;
    for (uint32_t c = 0; c < in->ncols; c++)
        out->cols[c] = in->cols[c];
    /* Parsed columns that replace input columns need their own vectors. */
    for (uint32_t p = 0; p < plan->nparse_columns; p++) {
        uint32_t c = (uint32_t)plan->parse_columns[p];
        if (c < in->ncols) {
            kq_batch *fresh = kq_batch_new(1, &types[c], n);
            out->cols[c] = fresh->cols[0];
            kq_batch_borrow(out, fresh);
            kq_batch_release(fresh);
        }
        for (uint32_t r = 0; r < n; r++)
            kq_column_set_null(out, c, r);
    }
    return out;
}

/* Parses one input batch; matched[0..*nmatched) receives the rows that matched. */
static kq_batch *parse_batch(kq_op *op, kq_batch *in, uint32_t *matched, uint32_t *nmatched)
{
    parse_state *s = op->state;
    const kq_plan *plan = op->plan;
    uint32_t n = in->nrows;
    kq_value *text = kq_arena_alloc(s->scratch, (n ? n : 1) * sizeof(kq_value));
    kq_eval(op->run, plan->predicate, in, NULL, n, text, s->scratch);
    kq_batch *out = kq_parse_output_batch(plan, s->types, in);
    pcre2_match_data *match = pcre2_match_data_create_from_pattern(s->code, NULL);
    kq_value *values = kq_arena_alloc(s->scratch, (plan->nparse_columns + 1) * sizeof(kq_value));
    *nmatched = 0;
    for (uint32_t r = 0; r < n; r++) {
        kq_str str = kq_value_to_str(s->scratch, &text[r]);
        int rc = pcre2_match(s->code, (PCRE2_SPTR)str.ptr, str.len, 0, PCRE2_ANCHORED, match, NULL);
        if (rc < 0 || !match_columns(s, plan, out, match, str, values))
            continue;
        for (uint32_t p = 0; p < plan->nparse_columns; p++)
            if (values[p].type != KQ_TYPE_NONE)
                kq_batch_set(out, (uint32_t)plan->parse_columns[p], r, values[p]);
        matched[(*nmatched)++] = r;
    }
    pcre2_match_data_free(match);
    kq_batch_borrow(out, in);
    return out;
}

/* parse keeps every row; parse-where keeps only the rows that matched. */
static kq_batch *parse_next(kq_op *op)
{
    parse_state *s = op->state;
    kq_batch *in;
    while ((in = op->input->next(op->input))) {
        kq_arena_reset(s->scratch);
        uint32_t *matched = kq_arena_alloc(s->scratch, (in->nrows ? in->nrows : 1) * sizeof(uint32_t));
        uint32_t nmatched;
        kq_batch *out = parse_batch(op, in, matched, &nmatched);
        uint32_t n = in->nrows;
        kq_batch_release(in);
        if (!op->plan->parse_where || nmatched == n)
            return out;
        kq_batch *kept = nmatched ? kq_batch_gather(out, matched, nmatched) : NULL;
        kq_batch_release(out);
        if (kept)
            return kept;
    }
    return NULL;
}

static void parse_close(kq_op *op)
{
    parse_state *s = op->state;
    pcre2_code_free(s->code);
    kq_arena_free(s->scratch);
    free(s->groups);
    free(s->types);
    free(s);
}

kq_op *kq_op_parse(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    parse_state *s = kq_xcalloc(1, sizeof *s);
    s->scratch = kq_arena_new(64 * 1024);
    s->types = kq_xmalloc((plan->schema.count + 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < plan->schema.count; c++)
        s->types[c] = plan->schema.fields[c].type;
    char error[256];
    s->code = kq_regex_compile(plan->regex, strlen(plan->regex), error, sizeof error);
    if (!s->code)
        kq_run_fail(run, "parse: %s", error);
    s->groups = kq_xmalloc((plan->nparse_columns + 1) * sizeof(int));
    for (uint32_t p = 0; p < plan->nparse_columns; p++) {
        char name[32];
        snprintf(name, sizeof name, "kqlite_%u", p);
        s->groups[p] = s->code ? pcre2_substring_number_from_name(s->code, (PCRE2_SPTR)name) : -1;
    }
    op->state = s;
    op->next = parse_next;
    op->close = parse_close;
    return op;
}
