/*
 * The store manifest (src/store/manifest.c). A manifest parsed with a column
 * filter keeps only the block entries of the columns the filter accepts, and
 * finds them by column number in blocks of every width. It still checks and
 * measures every column. A parse without a filter keeps every column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store/format.h"
#include "base/util.h"

static const char *const NAMES[] = {"Timestamp", "DeviceName", "ReportId", "FileName", "Added"};
static const kq_type TYPES[] = {KQ_DATETIME, KQ_STRING, KQ_LONG, KQ_STRING, KQ_STRING};
#define NCOLS 5u
#define NBLOCKS 3u

static kq_store_chunk chunk_at(uint64_t offset, uint32_t size)
{
    return (kq_store_chunk){offset, size, size * 4, 0x1234u};
}

/*
 * Builds a manifest of one table: blocks 0 and 1 in segment 1 with the first
 * four columns, block 2 in segment 2 with all five (the fifth column added by
 * a later ingest). Column c of block b has its data chunk at 100 + 1000 b +
 * 100 c; string columns' term filters follow it. Block 1 has no ReportId.
 */
static kq_buf build_manifest(void)
{
    kq_store_manifest m = {.version = KQ_STORE_VERSION, .segments = 2, .ntables = 1};
    kq_store_table *t = kq_xcalloc(1, sizeof *t);
    m.tables = t;
    t->name = "DeviceProcessEvents";
    t->ncols = NCOLS;
    t->fields = kq_xcalloc(NCOLS, sizeof *t->fields);
    for (uint32_t c = 0; c < NCOLS; c++)
        t->fields[c] = (kq_field){NAMES[c], TYPES[c]};
    t->nblocks = NBLOCKS;
    t->blocks = kq_xcalloc(NBLOCKS, sizeof *t->blocks);
    for (uint32_t b = 0; b < NBLOCKS; b++) {
        kq_store_block *block = &t->blocks[b];
        block->segment = b < 2 ? 1 : 2;
        block->nrows = 100 + b;
        block->ncols = b < 2 ? 4 : 5;
        block->cols = kq_xcalloc(block->ncols, sizeof *block->cols);
        for (uint32_t c = 0; c < block->ncols; c++) {
            kq_store_column_block *col = &block->cols[c];
            if (b == 1 && c == 2) {
                col->flags = KQ_STORE_ANY_NULL; /* absent: no chunk */
                continue;
            }
            col->flags = KQ_STORE_PRESENT | KQ_STORE_ANY_VALUE;
            col->data = chunk_at(100 + 1000 * b + 100 * c, 10 + c);
            col->min = 10 * b + c;
            col->max = 10 * b + c + 5;
            if (kq_store_is_text(TYPES[c])) {
                col->bloom_log2 = KQ_STORE_MIN_BLOOM_LOG2;
                col->bloom = chunk_at(150 + 1000 * b + 100 * c, 20);
                col->bloom.raw_size = (UINT32_C(1) << KQ_STORE_MIN_BLOOM_LOG2) / 8;
            }
        }
        t->nrows += block->nrows;
    }
    kq_buf out;
    kq_buf_init(&out);
    kq_store_manifest_write(&m, &out);
    for (uint32_t b = 0; b < NBLOCKS; b++)
        free(t->blocks[b].cols);
    free(t->blocks);
    free(t->fields);
    free(t);
    return out;
}

/* Keeps DeviceName and Added, the columns a query over them would read. */
static bool keep_some(void *user, const char *table, const char *column, size_t len)
{
    (*(int *)user)++;
    assert_string_equal(table, "DeviceProcessEvents");
    return (len == 10 && memcmp(column, "DeviceName", 10) == 0) || (len == 5 && memcmp(column, "Added", 5) == 0);
}

static void parse(const kq_buf *bytes, kq_column_filter keep, void *user, kq_store_manifest *m)
{
    char error[400] = "";
    bool ok = kq_store_manifest_parse((const uint8_t *)bytes->data, bytes->len, keep, user, m, error, sizeof error);
    if (!ok)
        fail_msg("parse failed: %s", error);
}

static void unfiltered_parse_keeps_every_column(void **state)
{
    (void)state;
    kq_buf bytes = build_manifest();
    kq_store_manifest m;
    parse(&bytes, NULL, NULL, &m);
    const kq_store_table *t = &m.tables[0];
    assert_null(t->slots);
    for (uint32_t b = 0; b < NBLOCKS; b++)
        for (uint32_t c = 0; c < NCOLS; c++) {
            const kq_store_column_block *col = kq_store_block_column(t, &t->blocks[b], c);
            if (c == 4 && b < 2) {
                assert_null(col); /* the blocks before the column was added */
                continue;
            }
            assert_non_null(col);
            if (b == 1 && c == 2)
                assert_int_equal(col->flags, KQ_STORE_ANY_NULL);
            else
                assert_int_equal(col->data.offset, 100 + 1000 * b + 100 * c);
        }
    /* Written back, it is the same manifest byte for byte. */
    kq_buf again;
    kq_buf_init(&again);
    kq_store_manifest_write(&m, &again);
    assert_int_equal(again.len, bytes.len);
    assert_memory_equal(again.data, bytes.data, bytes.len);
    kq_buf_free(&again);
    kq_store_manifest_free(&m);
    kq_buf_free(&bytes);
}

static void filtered_parse_keeps_chosen_columns(void **state)
{
    (void)state;
    kq_buf bytes = build_manifest();
    kq_store_manifest all, some;
    parse(&bytes, NULL, NULL, &all);
    int calls = 0;
    parse(&bytes, keep_some, &calls, &some);
    assert_int_equal(calls, NCOLS);
    const kq_store_table *t = &some.tables[0];
    assert_non_null(t->slots);
    assert_int_equal(t->slots[0], KQ_STORE_NO_SLOT);
    assert_int_equal(t->slots[1], 0);
    assert_int_equal(t->slots[4], 1);
    assert_int_equal(t->nrows, all.tables[0].nrows);
    assert_int_equal(t->nblocks, NBLOCKS);
    for (uint32_t b = 0; b < NBLOCKS; b++) {
        assert_int_equal(t->blocks[b].ncols, all.tables[0].blocks[b].ncols);
        for (uint32_t c = 0; c < NCOLS; c++) {
            const kq_store_column_block *col = kq_store_block_column(t, &t->blocks[b], c);
            const kq_store_column_block *want = kq_store_block_column(&all.tables[0], &all.tables[0].blocks[b], c);
            if (c != 1 && c != 4) {
                assert_null(col);
                continue;
            }
            if (!want) {
                assert_null(col);
                continue;
            }
            assert_non_null(col);
            assert_memory_equal(col, want, sizeof *col);
        }
    }
    /* Every column counts toward how far the segments reach, kept or not. */
    assert_int_equal(some.nsegment_ends, all.nsegment_ends);
    assert_int_equal(some.nsegment_ends, 3);
    for (uint32_t s = 0; s < some.nsegment_ends; s++)
        assert_int_equal(some.segment_ends[s], all.segment_ends[s]);
    /* Segment 1's last chunk is block 1's FileName term filter at 1450 (20 bytes); segment 2's is block 2's
     * Added filter at 2550. */
    assert_int_equal(all.segment_ends[1], 1470);
    assert_int_equal(all.segment_ends[2], 2570);
    kq_store_manifest_free(&all);
    kq_store_manifest_free(&some);
    kq_buf_free(&bytes);
}

static bool keep_none(void *user, const char *table, const char *column, size_t len)
{
    (void)user;
    (void)table;
    (void)column;
    (void)len;
    return false;
}

static void filtered_parse_still_checks_skipped_columns(void **state)
{
    (void)state;
    kq_buf bytes = build_manifest();
    kq_store_manifest m;
    parse(&bytes, keep_none, NULL, &m);
    kq_store_manifest_free(&m);
    /* Block 0's ReportId has its minimum above its maximum: a skipped column is still checked. */
    kq_store_manifest all;
    parse(&bytes, NULL, NULL, &all);
    kq_store_column_block *col = &all.tables[0].blocks[0].cols[2];
    col->min = col->max + 1;
    kq_buf damaged;
    kq_buf_init(&damaged);
    kq_store_manifest_write(&all, &damaged);
    char error[400] = "";
    assert_false(kq_store_manifest_parse((const uint8_t *)damaged.data, damaged.len, keep_none, NULL, &m, error,
                                         sizeof error));
    assert_non_null(strstr(error, "minimum above maximum in column ReportId"));
    kq_buf_free(&damaged);
    kq_store_manifest_free(&all);
    kq_buf_free(&bytes);
}

static void segment_count_over_limit_fails(void **state)
{
    (void)state;
    kq_store_manifest m = {.version = KQ_STORE_VERSION, .segments = KQ_STORE_MAX_SEGMENTS + 1};
    kq_buf bytes;
    kq_buf_init(&bytes);
    kq_store_manifest_write(&m, &bytes);
    kq_store_manifest parsed;
    char error[400] = "";
    assert_false(kq_store_manifest_parse((const uint8_t *)bytes.data, bytes.len, NULL, NULL, &parsed, error,
                                         sizeof error));
    assert_non_null(strstr(error, "invalid segment count"));
    kq_buf_free(&bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unfiltered_parse_keeps_every_column),
        cmocka_unit_test(filtered_parse_keeps_chosen_columns),
        cmocka_unit_test(filtered_parse_still_checks_skipped_columns),
        cmocka_unit_test(segment_count_over_limit_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
