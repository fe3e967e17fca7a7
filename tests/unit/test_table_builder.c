/* Table builder: batches streamed while rows arrive, or sealed in parts, hold the rows of one build at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "table/builder.h"
#include "types/types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 150123

static const kq_field fields[] = {
    {"Timestamp", KQ_DATETIME}, {"TimeGenerated", KQ_DATETIME}, {"Name", KQ_STRING}, {"Count", KQ_LONG},
};

typedef struct collected {
    kq_table *table;
    int tables; /* tables handed over, the final build's included */
} collected;

/* Collects the streamed batches into one table, as the catalog does. */
static void collect(void *user, kq_table *table)
{
    collected *into = user;
    into->tables++;
    if (!into->table) {
        into->table = table;
        return;
    }
    for (size_t i = 0; i < table->nbatches; i++)
        kq_table_append(into->table, table->batches[i]);
    table->nbatches = 0;
    kq_table_free(table);
}

/* Stages row r: a name that repeats every 97 rows, empty every 10th row, a count and a time. */
static void stage_row(kq_table_builder *b, size_t r)
{
    char name[64];
    int len = r % 10 == 0 ? 0 : snprintf(name, sizeof name, "process-%zu.exe", r % 97);
    kq_table_builder_set_datetime(b, 0, (int64_t)(KQ_UNIX_EPOCH_TICKS + (int64_t)r * KQ_TICKS_PER_SECOND));
    kq_table_builder_set_text(b, 2, name, (size_t)len);
    char count[32];
    int count_len = snprintf(count, sizeof count, "%zu", r * 7);
    kq_table_builder_set_text(b, 3, count, (size_t)count_len);
    kq_table_builder_end_row(b);
}

typedef enum staging { ROW_BY_ROW, PARTS_COPIED, PARTS_SEALED } staging;

/*
 * Builds ROWS rows, staged in parts of uneven sizes unless ROW_BY_ROW,
 * streaming batches when stream. PARTS_SEALED stages the first row in the
 * builder itself and seals every part but the third, which append_parts seals.
 */
static kq_table *build(bool stream, staging mode)
{
    kq_schema schema = {4, (kq_field *)fields};
    kq_table_builder *b = kq_table_builder_new("Events", &schema);
    collected streamed = {NULL, 0};
    if (stream)
        kq_table_builder_set_stream(b, collect, &streamed);
    size_t r = 0, nparts = 0;
    if (mode == PARTS_SEALED)
        stage_row(b, r++);
    while (r < ROWS) {
        if (mode == ROW_BY_ROW) {
            stage_row(b, r++);
            continue;
        }
        kq_table_builder *part = kq_table_builder_fork(b);
        size_t n = 1000 + (r * 7919) % 9000;
        for (size_t i = 0; i < n && r < ROWS; i++)
            stage_row(part, r++);
        if (mode == PARTS_SEALED && nparts++ != 2)
            assert_true(kq_table_builder_seal_part(part, b));
        kq_table_builder *parts[] = {part};
        kq_table_builder_append_parts(b, parts, 1, 2);
    }
    kq_table *rest = kq_table_builder_finish(b);
    kq_table_builder_free(b);
    collect(&streamed, rest);
    /* Streaming hands over whole batches at least twice before the final build. */
    assert_true(stream ? streamed.tables >= 3 : streamed.tables == 1);
    return streamed.table;
}

/* Returns the value of row r of column c, counting rows across batches. */
static kq_value row_value(const kq_table *t, uint32_t c, size_t r)
{
    size_t i = 0;
    while (r >= t->batches[i]->nrows)
        r -= t->batches[i++]->nrows;
    return kq_column_get(&t->batches[i]->cols[c], (uint32_t)r);
}

static void assert_same_values(kq_value u, kq_value v)
{
    assert_int_equal(u.null, v.null);
    if (u.null)
        return;
    if (u.type == KQ_STRING) {
        assert_int_equal(u.u.s.len, v.u.s.len);
        assert_memory_equal(u.u.s.ptr, v.u.s.ptr, u.u.s.len);
    } else {
        assert_int_equal(u.u.l, v.u.l);
    }
}

/* Asserts the same rows in the same order, whatever the batches. */
static void assert_same_rows(const kq_table *a, const kq_table *b)
{
    assert_int_equal(a->nrows, b->nrows);
    assert_int_equal(a->schema.count, b->schema.count);
    for (uint32_t c = 0; c < a->schema.count; c++)
        for (size_t r = 0; r < a->nrows; r += 13)
            assert_same_values(row_value(a, c, r), row_value(b, c, r));
    for (uint32_t c = 0; c < a->schema.count; c++)
        assert_same_values(row_value(a, c, a->nrows - 1), row_value(b, c, b->nrows - 1));
}

static void assert_same_tables(const kq_table *a, const kq_table *b)
{
    assert_int_equal(a->nrows, b->nrows);
    assert_int_equal(a->nbatches, b->nbatches);
    assert_int_equal(a->schema.count, b->schema.count);
    for (size_t i = 0; i < a->nbatches; i++) {
        const kq_batch *x = a->batches[i], *y = b->batches[i];
        assert_int_equal(x->nrows, y->nrows);
        for (uint32_t c = 0; c < a->schema.count; c++)
            for (uint32_t r = 0; r < x->nrows; r++)
                assert_same_values(kq_column_get(&x->cols[c], r), kq_column_get(&y->cols[c], r));
    }
}

static void streamed_rows_match_one_build(void **state)
{
    (void)state;
    kq_table *whole = build(false, ROW_BY_ROW);
    assert_int_equal(whole->nrows, ROWS);
    /* The builders are freed before the comparison, so streamed strings must outlive them. */
    kq_table *one_by_one = build(true, ROW_BY_ROW);
    kq_table *in_parts = build(true, PARTS_COPIED);
    assert_same_tables(whole, one_by_one);
    assert_same_tables(whole, in_parts);
    /* TimeGenerated was filled from Timestamp in every batch. */
    const kq_batch *last = in_parts->batches[in_parts->nbatches - 1];
    kq_value generated = kq_column_get(&last->cols[1], last->nrows - 1);
    assert_false(generated.null);
    kq_table_free(whole);
    kq_table_free(one_by_one);
    kq_table_free(in_parts);
}

/* Sealed parts keep every row in order; their batches end where parts end, in equal shares. */
static void sealed_parts_keep_the_rows(void **state)
{
    (void)state;
    kq_table *whole = build(false, ROW_BY_ROW);
    kq_table *sealed = build(true, PARTS_SEALED);
    assert_same_rows(whole, sealed);
    assert_true(sealed->nbatches > whole->nbatches);
    /* The builder's one staged row went out on its own, before the first part. */
    assert_int_equal(sealed->batches[0]->nrows, 1);
    for (size_t i = 0; i < sealed->nbatches; i++)
        assert_true(sealed->batches[i]->nrows > 0 && sealed->batches[i]->nrows <= KQ_BATCH_ROWS);
    /* The first part's 8,919 rows in five shares of 1,783 or 1,784, then the second's 6,480 in four. */
    for (size_t i = 1; i < 6; i++)
        assert_true(sealed->batches[i]->nrows == 1783 || sealed->batches[i]->nrows == 1784);
    for (size_t i = 6; i < 10; i++)
        assert_int_equal(sealed->batches[i]->nrows, 1620);
    kq_table_free(whole);
    kq_table_free(sealed);
}

/* A builder that does not stream, or whose types wait on the rows, leaves its parts to be copied. */
static void parts_of_other_builders_stay_staged(void **state)
{
    (void)state;
    kq_schema schema = {4, (kq_field *)fields};
    kq_table_builder *plain = kq_table_builder_new("Events", &schema);
    kq_table_builder *part = kq_table_builder_fork(plain);
    stage_row(part, 0);
    assert_false(kq_table_builder_seal_part(part, plain));
    kq_table_builder_free(part);

    collected streamed = {NULL, 0};
    kq_table_builder_set_stream(plain, collect, &streamed);
    kq_table_builder_column(plain, "Extra", 5);
    part = kq_table_builder_fork(plain);
    stage_row(part, 0);
    assert_false(kq_table_builder_seal_part(part, plain));
    kq_table_builder_free(part);
    kq_table_builder_free(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(streamed_rows_match_one_build),
        cmocka_unit_test(sealed_parts_keep_the_rows),
        cmocka_unit_test(parts_of_other_builders_stay_staged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
