/*
 * Store column chunks (src/store/encode.c): text columns round-trip whether
 * they are written plain or dictionary coded, a version 1 chunk still
 * decodes, damaged dictionaries are rejected with a message, and a coded
 * column in memory reads and writes like a plain one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "store/format.h"
#include "base/util.h"

/*
 * Returns a text column of nrows rows with value r % distinct in row r: ""
 * for 0, else "v" and the value zero-padded to width digits.
 */
static kq_column text_column(kq_arena *arena, uint32_t nrows, uint32_t distinct, uint32_t width)
{
    kq_column column = {.type = KQ_STRING};
    column.v.s = kq_arena_alloc(arena, (nrows ? nrows : 1) * sizeof *column.v.s);
    for (uint32_t r = 0; r < nrows; r++) {
        uint32_t value = r % distinct;
        char *text = kq_arena_alloc(arena, width + 16);
        int len = value == 0 ? 0 : snprintf(text, width + 16, "v%0*u", (int)width, value);
        text[len] = '\0';
        column.v.s[r] = (kq_str){text, (uint32_t)len};
    }
    return column;
}

static kq_buf encode(const kq_column *column, uint32_t nrows)
{
    kq_buf out;
    kq_buf_init(&out);
    assert_true(kq_store_encode_column(column, nrows, &out));
    return out;
}

static void assert_same_text(const kq_column *a, const kq_column *b, uint32_t nrows)
{
    for (uint32_t r = 0; r < nrows; r++) {
        kq_str want = kq_column_get(a, r).u.s, got = kq_column_get(b, r).u.s;
        assert_int_equal(want.len, got.len);
        assert_memory_equal(want.ptr, got.ptr, want.len);
        assert_int_equal(got.ptr[got.len], '\0');
    }
}

static void round_trip(uint32_t nrows, uint32_t distinct, uint32_t width, bool expect_dictionary)
{
    kq_arena *arena = kq_arena_new(0);
    kq_column column = text_column(arena, nrows, distinct, width);
    kq_buf raw = encode(&column, nrows);
    assert_true(raw.len >= 1);
    assert_int_equal((raw.data[0] & KQ_CHUNK_DICTIONARY) != 0, expect_dictionary);
    kq_column decoded = {.type = KQ_STRING};
    char error[256] = "";
    assert_true(kq_store_decode_column((const uint8_t *)raw.data, raw.len, nrows, &decoded, arena, error,
                                       sizeof error));
    assert_null(decoded.nulls);
    /* A coded chunk stays coded in memory: one copy of each value and a code per row. */
    assert_int_equal(decoded.codes != NULL, expect_dictionary);
    assert_int_equal(decoded.v.s == NULL, expect_dictionary);
    if (expect_dictionary)
        assert_int_equal(decoded.ndict, distinct < nrows ? distinct : nrows);
    assert_same_text(&column, &decoded, nrows);
    kq_buf_free(&raw);
    kq_arena_free(arena);
}

static void repeated_values_are_coded(void **state)
{
    (void)state;
    round_trip(KQ_BATCH_ROWS, 3, 20, true);
    round_trip(KQ_BATCH_ROWS, 700, 30, true);
    round_trip(5, 1, 40, true); /* one value in every row */
}

static void distinct_values_stay_plain(void **state)
{
    (void)state;
    round_trip(KQ_BATCH_ROWS, KQ_BATCH_ROWS, 8, false);
    round_trip(1, 1, 1, false); /* a dictionary would be larger than one short value */
    round_trip(0, 1, 1, false);
}

/* A chunk written by version 1 (lengths, then bytes) decodes as before. */
static void version_one_chunk_decodes(void **state)
{
    (void)state;
    static const uint8_t chunk[] = {0, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 'b', 'c', 'd', 'e'};
    kq_arena *arena = kq_arena_new(0);
    kq_column column = {.type = KQ_GUID};
    char error[256];
    assert_true(kq_store_decode_column(chunk, sizeof chunk, 3, &column, arena, error, sizeof error));
    assert_int_equal(column.v.s[0].len, 3);
    assert_memory_equal(column.v.s[0].ptr, "abc", 3);
    assert_int_equal(column.v.s[1].len, 0);
    assert_memory_equal(column.v.s[2].ptr, "de", 3);
    kq_arena_free(arena);
}

static void assert_rejected(const uint8_t *chunk, size_t len, uint32_t nrows, kq_type type, const char *expected)
{
    kq_arena *arena = kq_arena_new(0);
    kq_column column = {.type = type};
    char error[256] = "";
    assert_false(kq_store_decode_column(chunk, len, nrows, &column, arena, error, sizeof error));
    if (!strstr(error, expected))
        fail_msg("error %s does not mention %s", error, expected);
    kq_arena_free(arena);
}

static void damaged_dictionaries_are_rejected(void **state)
{
    (void)state;
    /* Two rows, dictionary {"ab"}: codes 0 and 0. */
    uint8_t good[] = {2, 1, 0, 0, 0, 2, 0, 0, 0, 'a', 'b', 0, 0, 0, 0};
    kq_arena *arena = kq_arena_new(0);
    kq_column column = {.type = KQ_STRING};
    char error[256];
    assert_true(kq_store_decode_column(good, sizeof good, 2, &column, arena, error, sizeof error));
    assert_memory_equal(kq_column_get(&column, 1).u.s.ptr, "ab", 3);
    kq_arena_free(arena);

    uint8_t bad_code[sizeof good];
    memcpy(bad_code, good, sizeof good);
    bad_code[13] = 1; /* the second row names value 1 of a one-value dictionary */
    assert_rejected(bad_code, sizeof bad_code, 2, KQ_STRING, "code out of range");
    uint8_t empty[sizeof good];
    memcpy(empty, good, sizeof good);
    empty[1] = 0;
    assert_rejected(empty, sizeof empty, 2, KQ_STRING, "dictionary size");
    uint8_t too_many[sizeof good];
    memcpy(too_many, good, sizeof good);
    too_many[1] = 3; /* more values than rows */
    assert_rejected(too_many, sizeof too_many, 2, KQ_STRING, "dictionary size");
    assert_rejected(good, sizeof good - 1, 2, KQ_STRING, "do not add up");
    assert_rejected(good, sizeof good, 2, KQ_LONG, "chunk flags");
    uint8_t unknown_flag[sizeof good];
    memcpy(unknown_flag, good, sizeof good);
    unknown_flag[0] = 4;
    assert_rejected(unknown_flag, sizeof unknown_flag, 2, KQ_STRING, "chunk flags");
}

/* Writing a cell of a coded column expands it first, keeping the other rows. */
static void writing_a_coded_column_expands_it(void **state)
{
    (void)state;
    kq_type type = KQ_STRING;
    kq_batch *batch = kq_batch_new(1, &type, 300);
    batch->nrows = 300;
    kq_column source = text_column(batch->arena, 300, 4, 6);
    kq_buf raw = encode(&source, 300);
    char error[256];
    kq_column *column = &batch->cols[0];
    assert_true(kq_store_decode_column((const uint8_t *)raw.data, raw.len, 300, column, batch->arena, error,
                                       sizeof error));
    assert_non_null(column->codes);
    kq_batch_set(batch, 0, 7, kq_string("new", 3));
    assert_null(column->codes);
    assert_non_null(column->v.s);
    assert_memory_equal(kq_column_get(column, 7).u.s.ptr, "new", 3);
    kq_column_set_null(batch, 0, 9);
    assert_int_equal(kq_column_get(column, 9).u.s.len, 0);
    for (uint32_t r = 0; r < 300; r++) {
        if (r == 7 || r == 9)
            continue;
        kq_str want = source.v.s[r], got = kq_column_get(column, r).u.s;
        assert_int_equal(want.len, got.len);
        assert_memory_equal(want.ptr, got.ptr, want.len);
    }
    kq_buf_free(&raw);
    kq_batch_release(batch);
}

/* Parses a segment dictionary's raw chunk (u32 count, lengths, bytes) into values in arena. */
static const kq_str *parse_dictionary(const kq_buf *raw, kq_arena *arena, uint32_t *count)
{
    const uint8_t *p = (const uint8_t *)raw->data;
    *count = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    kq_str *values = kq_arena_alloc(arena, (*count ? *count : 1) * sizeof *values);
    const uint8_t *text = p + 4 + 4 * (size_t)*count;
    for (uint32_t i = 0; i < *count; i++) {
        const uint8_t *l = p + 4 + 4 * (size_t)i;
        uint32_t len = (uint32_t)l[0] | (uint32_t)l[1] << 8 | (uint32_t)l[2] << 16 | (uint32_t)l[3] << 24;
        values[i] = (kq_str){kq_arena_strndup(arena, (const char *)text, len), len};
        text += len;
    }
    return values;
}

/* Blocks coded against one segment dictionary decode to their rows, and the dictionary lists each value once. */
static void segment_dictionary_round_trip(void **state)
{
    (void)state;
    kq_arena *arena = kq_arena_new(0);
    kq_store_dicts *dicts = kq_store_dicts_new();
    kq_column first = text_column(arena, KQ_BATCH_ROWS, 300, 30);
    kq_column second = text_column(arena, 1000, 450, 30); /* 150 values the first block lacks */
    kq_buf a, b;
    kq_buf_init(&a);
    kq_buf_init(&b);
    assert_true(kq_store_dicts_encode(dicts, 0, 5, &first, KQ_BATCH_ROWS, &a));
    assert_true(kq_store_dicts_encode(dicts, 0, 5, &second, 1000, &b));
    assert_int_equal(a.len, 1 + 2 * KQ_BATCH_ROWS);
    assert_int_equal((uint8_t)a.data[0], KQ_CHUNK_SHARED);
    assert_int_equal(kq_store_dicts_count(dicts), 1);
    kq_buf raw;
    kq_buf_init(&raw);
    kq_store_dicts_put(dicts, 0, &raw);
    uint32_t count = 0;
    const kq_str *values = parse_dictionary(&raw, arena, &count);
    assert_int_equal(count, 450);
    kq_column decoded = {.type = KQ_STRING};
    char error[256] = "";
    assert_true(kq_store_decode_shared((const uint8_t *)a.data, a.len, KQ_BATCH_ROWS, values, count, &decoded,
                                       arena, error, sizeof error));
    assert_int_equal(decoded.ndict, 450);
    assert_same_text(&first, &decoded, KQ_BATCH_ROWS);
    assert_true(kq_store_decode_shared((const uint8_t *)b.data, b.len, 1000, values, count, &decoded, arena, error,
                                       sizeof error));
    assert_same_text(&second, &decoded, 1000);
    /* A code past the dictionary, a short chunk and a plain chunk are rejected. */
    assert_false(kq_store_decode_shared((const uint8_t *)b.data, b.len, 1000, values, 300, &decoded, arena, error,
                                        sizeof error));
    assert_non_null(strstr(error, "code out of range"));
    assert_false(kq_store_decode_shared((const uint8_t *)b.data, b.len - 1, 1000, values, count, &decoded, arena,
                                        error, sizeof error));
    assert_non_null(strstr(error, "do not fill"));
    kq_buf_free(&a);
    kq_buf_free(&b);
    kq_buf_free(&raw);
    kq_store_dicts_free(dicts);
    kq_arena_free(arena);
}

/* A column of long distinct values stops growing the dictionary and is coded per block instead. */
static void segment_dictionary_limit(void **state)
{
    (void)state;
    kq_arena *arena = kq_arena_new(0);
    kq_store_dicts *dicts = kq_store_dicts_new();
    kq_column small = text_column(arena, KQ_BATCH_ROWS, 10, 8);
    kq_column wide = text_column(arena, KQ_BATCH_ROWS, KQ_BATCH_ROWS, 1000); /* 2 MB of distinct values */
    kq_buf out;
    kq_buf_init(&out);
    assert_true(kq_store_dicts_encode(dicts, 0, 1, &small, KQ_BATCH_ROWS, &out));
    out.len = 0;
    assert_false(kq_store_dicts_encode(dicts, 0, 2, &wide, KQ_BATCH_ROWS, &out));
    assert_int_equal(out.len, 0);
    /* The refused block left its column's dictionary empty. */
    assert_int_equal(kq_store_dicts_count(dicts), 2);
    kq_buf raw;
    kq_buf_init(&raw);
    kq_store_dicts_put(dicts, 1, &raw);
    assert_int_equal(raw.len, 4);
    kq_buf_free(&raw);
    kq_buf_free(&out);
    kq_store_dicts_free(dicts);
    kq_arena_free(arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(repeated_values_are_coded),
        cmocka_unit_test(distinct_values_stay_plain),
        cmocka_unit_test(version_one_chunk_decodes),
        cmocka_unit_test(damaged_dictionaries_are_rejected),
        cmocka_unit_test(writing_a_coded_column_expands_it),
        cmocka_unit_test(segment_dictionary_round_trip),
        cmocka_unit_test(segment_dictionary_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
