/*
 * Term filters of in-memory batches (src/exec/term_filter.c): a filter built
 * from a column's distinct values must still hold every term of every row,
 * whether the column repeats a few values or has mostly distinct ones, and a
 * column of few values keeps them with a code per row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "exec/exec.h"
#include "exec/batch_facts.h"
#include "functions/registry.h"

/* Returns a batch of one string column with text(r) in row r. */
static kq_batch *string_batch(uint32_t nrows, void (*text)(uint32_t row, char *out, size_t size))
{
    kq_type type = KQ_STRING;
    kq_batch *batch = kq_batch_new(1, &type, nrows);
    for (uint32_t r = 0; r < nrows; r++) {
        char value[64];
        text(r, value, sizeof value);
        kq_batch_set(batch, 0, r, kq_value_copy(batch->arena, kq_string(value, strlen(value))));
    }
    batch->nrows = nrows;
    return batch;
}

/* Returns whether the filter rules out `Col has term` for the batch. */
static bool excluded(kq_batch *batch, const char *term)
{
    kq_expr column = {.kind = KQ_EXPR_COLUMN, .type = KQ_STRING, .column = 0};
    kq_expr constant = {.kind = KQ_EXPR_CONST, .type = KQ_STRING, .constant = kq_string(term, strlen(term))};
    kq_expr *args[2] = {&column, &constant};
    kq_expr call = {.kind = KQ_EXPR_CALL, .type = KQ_BOOL, .fn = kq_function_find("has", 3), .args = args,
                    .nargs = 2};
    assert_non_null(call.fn);
    return kq_terms_exclude(&call, batch);
}

/* Three company names over and over, then one that appears once in the last row. */
static void repeated_text(uint32_t row, char *out, size_t size)
{
    static const char *names[] = {"Microsoft Corporation", "Google LLC", "Mozilla Corporation"};
    snprintf(out, size, "%s", row == KQ_BATCH_ROWS - 1 ? "Ammyy LLC" : names[row % 3]);
}

/* A distinct command line in every row, so the filter stops looking for repeats. */
static void distinct_text(uint32_t row, char *out, size_t size)
{
    snprintf(out, size, row == 2000 ? "cmd.exe /c zebra%u" : "cmd.exe /c run%u", row);
}

static void repeated_values_keep_rare_terms(void **state)
{
    (void)state;
    kq_batch *batch = string_batch(KQ_BATCH_ROWS, repeated_text);
    assert_false(excluded(batch, "microsoft"));
    assert_false(excluded(batch, "LLC"));
    assert_false(excluded(batch, "Ammyy"));
    assert_false(excluded(batch, "mozilla"));
    assert_true(excluded(batch, "anydesk"));
    assert_true(excluded(batch, "teamviewer"));
    /* The filter kept the four distinct values and each row's code. */
    const uint16_t *codes = NULL;
    const kq_str *values = NULL;
    uint32_t count = 0;
    assert_true(kq_batch_distinct_values(batch, 0, &codes, &values, &count));
    assert_int_equal(count, 4);
    for (uint32_t r = 0; r < KQ_BATCH_ROWS; r++) {
        char want[64];
        repeated_text(r, want, sizeof want);
        assert_true(codes[r] < count);
        assert_int_equal(values[codes[r]].len, strlen(want));
        assert_memory_equal(values[codes[r]].ptr, want, strlen(want));
    }
    kq_batch_release(batch);
}

static void distinct_values_keep_every_term(void **state)
{
    (void)state;
    kq_batch *batch = string_batch(KQ_BATCH_ROWS, distinct_text);
    assert_false(excluded(batch, "run0"));
    assert_false(excluded(batch, "run300"));
    assert_false(excluded(batch, "run2047"));
    assert_false(excluded(batch, "zebra2000"));
    assert_false(excluded(batch, "exe"));
    assert_true(excluded(batch, "powershell"));
    /* A column that gave up looking for repeats keeps no codes. */
    const uint16_t *codes = NULL;
    const kq_str *values = NULL;
    uint32_t count = 0;
    assert_false(kq_batch_distinct_values(batch, 0, &codes, &values, &count));
    kq_batch_release(batch);
}

/* A dictionary coded column (as read from a store) builds its filter from its dictionary. */
static void coded_column_keeps_every_term(void **state)
{
    (void)state;
    static const kq_str dict[] = {{"Microsoft Corporation", 21}, {"Ammyy LLC", 9}, {"", 0}};
    static uint16_t codes[KQ_BATCH_ROWS];
    for (uint32_t r = 0; r < KQ_BATCH_ROWS; r++)
        codes[r] = r == 1500 ? 1 : (uint16_t)(r % 2 ? 0 : 2);
    kq_type type = KQ_STRING;
    bool absent = true;
    kq_batch *batch = kq_batch_new_sparse(1, &type, KQ_BATCH_ROWS, &absent);
    batch->nrows = KQ_BATCH_ROWS;
    batch->cols[0].v.s = NULL;
    batch->cols[0].codes = codes;
    batch->cols[0].dict = dict;
    batch->cols[0].ndict = 3;
    assert_false(excluded(batch, "ammyy"));
    assert_false(excluded(batch, "Corporation"));
    assert_true(excluded(batch, "anydesk"));
    kq_batch_release(batch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(repeated_values_keep_rare_terms),
        cmocka_unit_test(distinct_values_keep_every_term),
        cmocka_unit_test(coded_column_keeps_every_term),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
