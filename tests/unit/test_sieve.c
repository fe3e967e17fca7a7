/* The load sieve: which tables it cuts down while loading, and that it keeps every row a where chain keeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "exec/sieve.h"
#include "kql/compile.h"
#include "table/builder.h"
#include "table/catalog.h"

#include <stdio.h>
#include <string.h>

#define PROC "DeviceProcessEvents"
/* More rows than a builder stages before it streams (65,536), so the first ones are sieved. */
#define ROWS 70000
#define STREAMED 65536

static kq_query *compile(const char *text)
{
    kq_source source = {.file = "<test>", .text = text, .len = strlen(text), .first_line = 1};
    kq_diags diags;
    kq_diags_init(&diags);
    kq_query *query = kq_compile(&source, NULL, &diags);
    kq_diags_free(&diags);
    assert_non_null(query);
    return query;
}

static kq_sieve *sieve_of(const char *const *texts, size_t count)
{
    kq_sieve *sieve = kq_sieve_new(0);
    for (size_t i = 0; i < count; i++)
        kq_sieve_add(sieve, compile(texts[i]));
    return sieve;
}

/* Row r's file name: "tool-<r % 50>.exe", so rows 7, 57, 107, ... are tool-7.exe. */
static void file_name(size_t r, char *out, size_t size)
{
    snprintf(out, size, "tool-%zu.exe", r % 50);
}

/* Loads ROWS process rows through the sieve into a catalog and returns the table. */
static kq_catalog *load(kq_sieve *sieve)
{
    kq_catalog *catalog = kq_catalog_new();
    kq_catalog_set_threads(catalog, 1);
    kq_catalog_set_sieve(catalog, kq_sieve_table, sieve);
    kq_table_builder *b = kq_catalog_builder(catalog, PROC);
    int name = kq_table_builder_column(b, "FileName", 8);
    int device = kq_table_builder_column(b, "DeviceName", 10);
    int time = kq_table_builder_column(b, "Timestamp", 9);
    for (size_t r = 0; r < ROWS; r++) {
        char text[32];
        file_name(r, text, sizeof text);
        kq_table_builder_set_text(b, name, text, strlen(text));
        kq_table_builder_set_text(b, device, "host-1", 6);
        kq_table_builder_set_datetime(b, time, KQ_UNIX_EPOCH_TICKS + (int64_t)r * KQ_TICKS_PER_SECOND);
        kq_table_builder_end_row(b);
    }
    kq_catalog_finish(catalog);
    kq_catalog_set_sieve(catalog, NULL, NULL);
    return catalog;
}

static const kq_table *process_table(const kq_catalog *catalog)
{
    const kq_table *table = kq_catalog_table(catalog, PROC, strlen(PROC));
    assert_non_null(table);
    return table;
}

/* Counts the table's rows and checks each row's file name against the rows that should be there. */
static size_t check_rows(const kq_table *table, bool (*expected)(size_t r))
{
    int name = kq_schema_find(&table->schema, "FileName", 8);
    size_t r = 0, found = 0;
    for (size_t b = 0; b < table->nbatches; b++) {
        const kq_batch *batch = table->batches[b];
        assert_true(batch->nrows > 0 && batch->nrows <= KQ_BATCH_ROWS);
        for (uint32_t i = 0; i < batch->nrows; i++) {
            while (!expected(r))
                r++;
            char text[32];
            file_name(r, text, sizeof text);
            kq_value v = kq_column_get(&batch->cols[name], i);
            assert_int_equal(v.u.s.len, strlen(text));
            assert_memory_equal(v.u.s.ptr, text, v.u.s.len);
            r++;
            found++;
        }
    }
    return found;
}

static bool tool_7_or_late(size_t r)
{
    return r % 50 == 7 || r >= STREAMED;
}

static bool tool_7_or_tool_9_or_late(size_t r)
{
    return r % 50 == 7 || r % 50 == 9 || r >= STREAMED;
}

static bool every_row(size_t r)
{
    (void)r;
    return true;
}

static bool only_late(size_t r)
{
    return r >= STREAMED;
}

/* The streamed rows keep only those a where chain keeps, in order; the rows left staged stay. */
static void keeps_what_a_chain_keeps(void **state)
{
    (void)state;
    const char *texts[] = {PROC " | where Timestamp > datetime(1970-01-01) | where FileName =~ 'TOOL-7.exe' "
                                "| summarize count() by DeviceName"};
    kq_sieve *sieve = sieve_of(texts, 1);
    assert_true(kq_sieve_active(sieve));
    assert_false(kq_sieve_reads(sieve));
    kq_catalog *catalog = load(sieve);
    const kq_table *table = process_table(catalog);
    assert_int_equal(check_rows(table, tool_7_or_late), STREAMED / 50 + 1 + (ROWS - STREAMED));
    assert_int_equal(table->nrows, STREAMED / 50 + 1 + (ROWS - STREAMED));
    uint64_t seen, kept, passed;
    kq_sieve_counts(sieve, &seen, &kept, &passed);
    assert_int_equal(seen, STREAMED);
    assert_int_equal(kept, STREAMED / 50 + 1);
    assert_int_equal(passed, 0);
    kq_catalog_free(catalog);
    kq_sieve_free(sieve);
}

/* Two queries' chains: a row that either chain keeps stays. */
static void keeps_what_any_chain_keeps(void **state)
{
    (void)state;
    const char *texts[] = {PROC " | where FileName == 'tool-7.exe'", PROC " | where FileName has 'tool' "
                                                                      "and FileName endswith '-9.exe' | count"};
    kq_sieve *sieve = sieve_of(texts, 2);
    kq_catalog *catalog = load(sieve);
    assert_int_equal(check_rows(process_table(catalog), tool_7_or_tool_9_or_late), 2 * (STREAMED / 50 + 1) +
                                                                                       (ROWS - STREAMED));
    kq_catalog_free(catalog);
    kq_sieve_free(sieve);
}

/* A query that reads the table without a where clause, or with rand(), keeps it whole. */
static void other_reads_keep_the_table_whole(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {PROC " | where FileName == 'tool-7.exe'", PROC " | take 3"},
        {PROC " | where FileName == 'tool-7.exe'", PROC " | where rand() < 2"},
        {PROC " | where FileName == 'tool-7.exe'", "print n = toscalar(" PROC " | count)"},
        {PROC " | where FileName == 'tool-7.exe'", PROC " | where FileName == 'x' | join (" PROC ") on DeviceName"},
        {PROC " | where FileName == 'tool-7.exe'", PROC " | where FileName == 'x' | make-series n = count() on "
                                                   "Timestamp step 1h"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kq_sieve *sieve = sieve_of(cases[i], 2);
        kq_catalog *catalog = load(sieve);
        assert_int_equal(check_rows(process_table(catalog), every_row), ROWS);
        kq_catalog_free(catalog);
        kq_sieve_free(sieve);
    }
}

static bool fed_none(void *user, const char *table)
{
    (void)user;
    (void)table;
    return false;
}

static bool fed_all(void *user, const char *table)
{
    (void)user;
    (void)table;
    return true;
}

/* A subquery of another table runs only once that table is known to have no input. */
static void subqueries_wait_for_their_tables(void **state)
{
    (void)state;
    const char *texts[] = {PROC " | where FileName in ((DeviceNetworkEvents | distinct InitiatingProcessFileName))"};
    kq_sieve *sieve = sieve_of(texts, 1);
    assert_true(kq_sieve_reads(sieve));
    kq_sieve_resolve(sieve, fed_all, NULL);
    kq_catalog *catalog = load(sieve);
    assert_int_equal(check_rows(process_table(catalog), every_row), ROWS);
    kq_catalog_free(catalog);

    /* No input feeds DeviceNetworkEvents: the set is empty and no streamed row stays. */
    kq_sieve_resolve(sieve, fed_none, NULL);
    catalog = load(sieve);
    assert_int_equal(check_rows(process_table(catalog), only_late), ROWS - STREAMED);
    const char *table = NULL;
    assert_true(kq_sieve_check(sieve, catalog, &table));
    /* Had the table got rows after all, the check would ask for another load. */
    kq_table_builder *network = kq_catalog_builder(catalog, "DeviceNetworkEvents");
    kq_table_builder_set_text(network, kq_table_builder_column(network, "DeviceName", 10), "host-1", 6);
    kq_table_builder_end_row(network);
    kq_catalog_finish(catalog);
    assert_false(kq_sieve_check(sieve, catalog, &table));
    assert_string_equal(table, "DeviceNetworkEvents");
    kq_sieve_unresolve(sieve);
    kq_catalog_free(catalog);
    kq_sieve_free(sieve);
}

/*
 * A subquery over the chain's own table is never taken as empty, nor one whose
 * union isfuzzy=true left out a table that only the data may define.
 */
static void unknowable_subqueries_keep_it(void **state)
{
    (void)state;
    const char *cases[] = {
        PROC " | where FileName in ((" PROC " | where FileName == 'tool-3.exe' | project FileName))",
        PROC " | where DeviceName in ((union isfuzzy=true DeviceLogonEvents, CustomHosts | project DeviceName))",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kq_sieve *sieve = sieve_of(&cases[i], 1);
        assert_false(kq_sieve_reads(sieve));
        kq_sieve_resolve(sieve, fed_none, NULL);
        kq_catalog *catalog = load(sieve);
        assert_int_equal(check_rows(process_table(catalog), every_row), ROWS);
        kq_catalog_free(catalog);
        kq_sieve_free(sieve);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_what_a_chain_keeps),
        cmocka_unit_test(keeps_what_any_chain_keeps),
        cmocka_unit_test(other_reads_keep_the_table_whole),
        cmocka_unit_test(subqueries_wait_for_their_tables),
        cmocka_unit_test(unknowable_subqueries_keep_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
