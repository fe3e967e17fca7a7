/*
 * parse-kv: finds the listed keys in each row's text and fills one column per key
 * with the key's first value, converted to the column's type. A key that does not
 * appear gives null (an empty string for string columns). Keys and unquoted values
 * are trimmed of white space; quoted ones lose their quotes and escape characters.
 *
 * The three modes of kq_kv_spec: pairs split by pair_delimiter and kv_delimiter,
 * regex matches, or, with neither, runs of letters and digits where each run is a
 * candidate key and the next run (or quoted text) its value.
 */
#include "exec/exec.h"
#include "base/util.h"
#include "functions/regex.h"
#include "functions/text_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct kv_state {
    kq_arena *scratch;
    kq_type *types;
    pcre2_code *code; /* owned; regex mode only */
} kv_state;

/* One row's extraction: the text and the values found so far. */
typedef struct kv_row {
    const kq_plan *plan;
    const kq_kv_spec *spec;
    const kv_state *state;
    kq_batch *out;
    kq_value *values;
    bool *found;
} kv_row;

static bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (unsigned char)c >= 0x80;
}

static kq_str trim(kq_str s)
{
    while (s.len && is_space(s.ptr[0]))
        s.ptr++, s.len--;
    while (s.len && is_space(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

/* Index of the quote that opens with c, or -1. */
static int quote_index(const kq_kv_spec *spec, char c)
{
    for (int q = 0; q < spec->nquotes; q++)
        if (spec->quote_open[q] == c)
            return q;
    return -1;
}

static bool is_escape(const kq_kv_spec *spec, char c) { return memchr(spec->escapes, c, (size_t)spec->nescapes) != NULL; }

/* Returns the offset just past the quoted text that opens at text[i] with quote q. */
static size_t skip_quoted(const kq_kv_spec *spec, kq_str text, size_t i, int q)
{
    for (i++; i < text.len; i++) {
        if (is_escape(spec, text.ptr[i]) && i + 1 < text.len)
            i++;
        else if (text.ptr[i] == spec->quote_close[q])
            return i + 1;
    }
    return text.len;
}

/* Returns the inside of quoted text[start..end) with its escape characters removed. */
static kq_str unquote(const kv_row *row, kq_str text, size_t start, size_t end)
{
    size_t inner_end = end > start + 1 && text.ptr[end - 1] == row->spec->quote_close[quote_index(row->spec, text.ptr[start])]
                           ? end - 1
                           : end;
    char *copy = kq_arena_alloc(row->state->scratch, inner_end - start + 1);
    size_t len = 0;
    for (size_t i = start + 1; i < inner_end; i++) {
        if (is_escape(row->spec, text.ptr[i]) && i + 1 < inner_end)
            i++;
        copy[len++] = text.ptr[i];
    }
    return (kq_str){copy, (uint32_t)len};
}

/* Offset of the next occurrence of needle in text at or after i, or text.len. */
static size_t find(kq_str text, size_t i, kq_str needle)
{
    for (; i + needle.len <= text.len; i++)
        if (memcmp(text.ptr + i, needle.ptr, needle.len) == 0)
            return i;
    return text.len;
}

/* Records a key's value unless the key is not listed or already has one. */
static void offer(kv_row *row, kq_str key, kq_str value)
{
    key = trim(key);
    for (uint32_t k = 0; k < row->plan->nparse_columns; k++) {
        const char *name = row->plan->kv_keys[k];
        if (row->found[k] || strlen(name) != key.len || memcmp(name, key.ptr, key.len) != 0)
            continue;
        kq_type type = row->state->types[row->plan->parse_columns[k]];
        kq_str copy = {kq_arena_strndup(row->out->arena, value.ptr, value.len), value.len};
        row->values[k] = kq_text_convert(row->out->arena, copy, type);
        row->found[k] = true;
        return;
    }
}

/* Reads a key or value token at text[*i]: quoted text, or plain text up to stop. */
static kq_str read_token(kv_row *row, kq_str text, size_t *i, size_t stop)
{
    while (*i < stop && is_space(text.ptr[*i]))
        (*i)++;
    int q = *i < stop ? quote_index(row->spec, text.ptr[*i]) : -1;
    if (q >= 0) {
        size_t start = *i;
        *i = skip_quoted(row->spec, text, start, q);
        return unquote(row, text, start, *i);
    }
    kq_str plain = {text.ptr + *i, (uint32_t)(stop - *i)};
    *i = stop;
    return trim(plain);
}

/* The end of an unquoted value that starts at i. Greedy mode runs to the last pair
 * delimiter before the next key's kv_delimiter, so values may contain pair delimiters. */
static size_t value_end(const kq_kv_spec *spec, kq_str text, size_t i)
{
    size_t next_pair = find(text, i, spec->pair_delimiter);
    if (!spec->greedy)
        return next_pair;
    size_t next_kv = find(text, i, spec->kv_delimiter);
    if (next_kv == text.len)
        return text.len;
    size_t last_pair = text.len;
    for (size_t p = find(text, i, spec->pair_delimiter); p < next_kv; p = find(text, p + 1, spec->pair_delimiter))
        last_pair = p;
    return last_pair < next_kv ? last_pair : next_pair;
}

/* Pairs mode: key kv_delimiter value, pairs separated by pair_delimiter. */
static void scan_pairs(kv_row *row, kq_str text)
{
    const kq_kv_spec *spec = row->spec;
    size_t i = 0;
    while (i < text.len) {
        size_t key_start = i;
        while (key_start < text.len && is_space(text.ptr[key_start]))
            key_start++;
        int q = key_start < text.len ? quote_index(spec, text.ptr[key_start]) : -1;
        size_t after_key = q >= 0 ? skip_quoted(spec, text, key_start, q) : key_start;
        size_t kv = find(text, after_key, spec->kv_delimiter), pair = find(text, after_key, spec->pair_delimiter);
        if (pair < kv || kv == text.len) {
            /* A piece without a kv_delimiter is not a pair. */
            i = pair == text.len ? text.len : pair + spec->pair_delimiter.len;
            continue;
        }
        size_t k = key_start;
        kq_str key = read_token(row, text, &k, kv);
        i = kv + spec->kv_delimiter.len;
        while (i < text.len && is_space(text.ptr[i]))
            i++;
        kq_str value;
        if (i < text.len && quote_index(spec, text.ptr[i]) >= 0) {
            value = read_token(row, text, &i, text.len);
            size_t next = find(text, i, spec->pair_delimiter);
            i = next == text.len ? text.len : next + spec->pair_delimiter.len;
        } else {
            size_t end = value_end(spec, text, i);
            value = trim((kq_str){text.ptr + i, (uint32_t)(end - i)});
            i = end == text.len ? text.len : end + spec->pair_delimiter.len;
        }
        offer(row, key, value);
    }
}

/* The end of the token at text[i]: quoted text, or a run of letters and digits. */
static size_t token_end(const kq_kv_spec *spec, kq_str text, size_t i)
{
    int q = quote_index(spec, text.ptr[i]);
    if (q >= 0)
        return skip_quoted(spec, text, i, q);
    while (i < text.len && is_alnum(text.ptr[i]))
        i++;
    return i;
}

static kq_str token_text(kv_row *row, kq_str text, size_t start, size_t end)
{
    if (quote_index(row->spec, text.ptr[start]) >= 0)
        return unquote(row, text, start, end);
    return (kq_str){text.ptr + start, (uint32_t)(end - start)};
}

/* No delimiters given: every token is a candidate key, and the token after it its value. */
static void scan_tokens(kv_row *row, kq_str text)
{
    size_t i = 0;
    while (i < text.len) {
        if (!is_alnum(text.ptr[i]) && quote_index(row->spec, text.ptr[i]) < 0) {
            i++;
            continue;
        }
        size_t key_end = token_end(row->spec, text, i);
        size_t v = key_end;
        while (v < text.len && !is_alnum(text.ptr[v]) && quote_index(row->spec, text.ptr[v]) < 0)
            v++;
        if (v < text.len) {
            size_t value_stop = token_end(row->spec, text, v);
            offer(row, token_text(row, text, i, key_end), token_text(row, text, v, value_stop));
        }
        i = key_end;
    }
}

/* Regex mode: each match's group 1 is a key and group 2 its value. */
static void scan_regex(kv_row *row, kq_str text, pcre2_match_data *match)
{
    size_t offset = 0;
    while (offset <= text.len) {
        int rc = pcre2_match(row->state->code, (PCRE2_SPTR)text.ptr, text.len, offset, 0, match, NULL);
        if (rc < 3)
            return;
        PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(match);
        if (ovector[2] != PCRE2_UNSET && ovector[4] != PCRE2_UNSET)
            offer(row, (kq_str){text.ptr + ovector[2], (uint32_t)(ovector[3] - ovector[2])},
                  trim((kq_str){text.ptr + ovector[4], (uint32_t)(ovector[5] - ovector[4])}));
        /* An empty match moves one byte on, so the scan always ends. */
        offset = ovector[1] > ovector[0] ? ovector[1] : ovector[1] + 1;
    }
}

static kq_batch *kv_next(kq_op *op)
{
    kv_state *s = op->state;
    const kq_plan *plan = op->plan;
    kq_batch *in = op->input->next(op->input);
    if (!in)
        return NULL;
    kq_arena_reset(s->scratch);
    uint32_t n = in->nrows;
    kq_value *text = kq_arena_alloc(s->scratch, (n ? n : 1) * sizeof(kq_value));
    kq_eval(op->run, plan->predicate, in, NULL, n, text, s->scratch);
    kq_batch *out = kq_parse_output_batch(plan, s->types, in);
    kv_row row = {.plan = plan, .spec = plan->kv, .state = s, .out = out};
    row.values = kq_arena_alloc(s->scratch, (plan->nparse_columns + 1) * sizeof(kq_value));
    row.found = kq_arena_alloc(s->scratch, (plan->nparse_columns + 1) * sizeof(bool));
    pcre2_match_data *match = s->code ? pcre2_match_data_create_from_pattern(s->code, NULL) : NULL;
    for (uint32_t r = 0; r < n; r++) {
        memset(row.found, 0, plan->nparse_columns * sizeof(bool));
        kq_str str = kq_value_to_str(s->scratch, &text[r]);
        if (match)
            scan_regex(&row, str, match);
        else if (plan->kv->pair_delimiter.len)
            scan_pairs(&row, str);
        else
            scan_tokens(&row, str);
        for (uint32_t k = 0; k < plan->nparse_columns; k++) {
            uint32_t c = (uint32_t)plan->parse_columns[k];
            if (row.found[k])
                kq_batch_set(out, c, r, row.values[k]);
            else if (s->types[c] == KQ_STRING)
                kq_batch_set(out, c, r, kq_string("", 0));
        }
    }
    pcre2_match_data_free(match);
    kq_batch_borrow(out, in);
    kq_batch_release(in);
    return out;
}

static void kv_close(kq_op *op)
{
    kv_state *s = op->state;
    pcre2_code_free(s->code);
    kq_arena_free(s->scratch);
    free(s->types);
    free(s);
}

kq_op *kq_op_parse_kv(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    kv_state *s = kq_xcalloc(1, sizeof *s);
    s->scratch = kq_arena_new(64 * 1024);
    s->types = kq_xmalloc((plan->schema.count + 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < plan->schema.count; c++)
        s->types[c] = plan->schema.fields[c].type;
    if (plan->kv->regex) {
        char error[256];
        s->code = kq_regex_compile(plan->kv->regex, strlen(plan->kv->regex), error, sizeof error);
        if (!s->code)
            kq_run_fail(run, "parse-kv: %s", error);
    }
    op->state = s;
    op->next = kv_next;
    op->close = kv_close;
    return op;
}
