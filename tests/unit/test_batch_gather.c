/*
 * kq_batch_gather (src/exec/run.c): the rows a where clause keeps are copied
 * into a new batch. Columns without nulls are copied slot by slot, columns
 * with nulls or dictionary codes value by value, and a column no query reads
 * stays absent in the copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "exec/exec.h"

enum { TEXT, COUNT, SCORE, UNREAD, CODED, NCOLS };
#define ROWS 10

static const kq_str dictionary[] = {{"alpha", 5}, {"beta", 4}};
static const uint16_t codes[ROWS] = {0, 1, 1, 0, 1, 0, 0, 1, 1, 0};

/* Returns a batch whose row r has "row-r", r * 10, r / 2 (null on odd rows), nothing, and a coded name. */
static kq_batch *source_batch(void)
{
    kq_type types[NCOLS] = {KQ_STRING, KQ_LONG, KQ_REAL, KQ_STRING, KQ_STRING};
    bool absent[NCOLS] = {false, false, false, true, false};
    kq_batch *batch = kq_batch_new_sparse(NCOLS, types, ROWS, absent);
    for (uint32_t r = 0; r < ROWS; r++) {
        char text[16];
        int len = snprintf(text, sizeof text, "row-%u", r);
        kq_batch_set(batch, TEXT, r, kq_value_copy(batch->arena, kq_string(text, (size_t)len)));
        kq_batch_set(batch, COUNT, r, kq_long((int64_t)r * 10));
        if (r % 2)
            kq_column_set_null(batch, SCORE, r);
        else
            kq_batch_set(batch, SCORE, r, kq_real(r / 2.0));
    }
    batch->cols[CODED].codes = codes;
    batch->cols[CODED].dict = dictionary;
    batch->cols[CODED].ndict = 2;
    batch->cols[CODED].v.s = NULL;
    batch->nrows = ROWS;
    return batch;
}

static void gather_copies_kept_rows(void **state)
{
    (void)state;
    kq_batch *source = source_batch();
    const uint32_t rows[] = {7, 2, 2, 9};
    kq_batch *out = kq_batch_gather(source, rows, 4);
    assert_int_equal(out->nrows, 4);
    for (uint32_t i = 0; i < 4; i++) {
        uint32_t r = rows[i];
        char text[16];
        int len = snprintf(text, sizeof text, "row-%u", r);
        kq_value s = kq_column_get(&out->cols[TEXT], i);
        assert_int_equal(s.u.s.len, len);
        assert_memory_equal(s.u.s.ptr, text, (size_t)len);
        assert_int_equal(kq_column_get(&out->cols[COUNT], i).u.l, (int64_t)r * 10);
        kq_value score = kq_column_get(&out->cols[SCORE], i);
        assert_int_equal(score.null, r % 2 == 1);
        if (!score.null)
            assert_true(score.u.r == r / 2.0);
        kq_value name = kq_column_get(&out->cols[CODED], i);
        assert_string_equal(name.u.s.ptr, dictionary[codes[r]].ptr);
    }
    kq_batch_release(out);
    kq_batch_release(source);
}

static void gather_keeps_unread_column_absent(void **state)
{
    (void)state;
    kq_batch *source = source_batch();
    const uint32_t rows[] = {0, 5};
    kq_batch *out = kq_batch_gather(source, rows, 2);
    assert_true(kq_column_is_absent(&source->cols[UNREAD]));
    assert_true(kq_column_is_absent(&out->cols[UNREAD]));
    assert_false(kq_column_is_absent(&out->cols[TEXT]));
    kq_value unread = kq_column_get(&out->cols[UNREAD], 1);
    assert_int_equal(unread.u.s.len, 0);
    kq_batch_release(out);
    kq_batch_release(source);
}

/* The copy reads the source's strings, so it keeps the source alive after the caller's release. */
static void gather_outlives_source_release(void **state)
{
    (void)state;
    kq_batch *source = source_batch();
    const uint32_t rows[] = {3};
    kq_batch *out = kq_batch_gather(source, rows, 1);
    kq_batch_release(source);
    kq_value s = kq_column_get(&out->cols[TEXT], 0);
    assert_memory_equal(s.u.s.ptr, "row-3", 5);
    kq_batch_release(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gather_copies_kept_rows),
        cmocka_unit_test(gather_keeps_unread_column_absent),
        cmocka_unit_test(gather_outlives_source_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
