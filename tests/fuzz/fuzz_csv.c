/*
 * libFuzzer target for the CSV reader: the input is loaded through
 * kq_load_buffer, the same path a file on disk takes, as a file named
 * "fuzz_DeviceProcessEvents.csv" so that cells are converted to the built-in
 * schema's types. The resulting tables are then built.
 *
 * Each input is loaded twice: with the 64-byte field splitter and with
 * KQLITE_CSV_BYTEWISE=1, which reads every record a byte run at a time. The
 * two loads must give the same counts and the same cells; a difference
 * aborts, so the fuzzer keeps the input.
 *
 * `make fuzz-build` builds it with the other targets (clang, -DKQLITE_FUZZ=ON);
 * `make check` runs it over a fixed set of inputs, `make fuzz` for longer.
 */
#include "sources/source.h"
#include "table/catalog.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static kq_catalog *load(const uint8_t *data, size_t size, bool bytewise, kq_load_report *report)
{
    setenv("KQLITE_CSV_BYTEWISE", bytewise ? "1" : "0", 1);
    kq_catalog *catalog = kq_catalog_new();
    kq_load_report_init(report);
    kq_load_buffer(catalog, "fuzz_DeviceProcessEvents.csv", (const char *)data, size, NULL, report);
    kq_catalog_finish(catalog);
    return catalog;
}

static bool same_value(const kq_value *a, const kq_value *b)
{
    if (a->type != b->type || a->null != b->null)
        return false;
    if (a->null)
        return true;
    switch (a->type) {
    case KQ_STRING:
    case KQ_GUID:
        return a->u.s.len == b->u.s.len && (a->u.s.len == 0 || memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0);
    case KQ_BOOL:
        return a->u.b == b->u.b;
    case KQ_REAL:
    case KQ_DECIMAL:
        return memcmp(&a->u.r, &b->u.r, sizeof a->u.r) == 0;
    case KQ_DYNAMIC:
        return true; /* built from the same text, which the string columns already compare */
    default:
        return a->u.l == b->u.l;
    }
}

static void compare_reports(const kq_load_report *a, const kq_load_report *b)
{
    if (a->count != b->count)
        abort();
    for (size_t i = 0; i < a->count; i++) {
        const kq_file_report *x = &a->files[i], *y = &b->files[i];
        if (x->records_read != y->records_read || x->records_loaded != y->records_loaded ||
            x->records_skipped != y->records_skipped || x->conversion_failures != y->conversion_failures ||
            x->nreasons != y->nreasons)
            abort();
        for (int k = 0; k < x->nreasons; k++)
            if (strcmp(x->reasons[k].reason, y->reasons[k].reason) != 0 || x->reasons[k].count != y->reasons[k].count ||
                strcmp(x->reasons[k].first_location, y->reasons[k].first_location) != 0)
                abort();
    }
}

static void compare_tables(const kq_catalog *a, const kq_catalog *b)
{
    if (kq_catalog_count(a) != kq_catalog_count(b))
        abort();
    for (size_t t = 0; t < kq_catalog_count(a); t++) {
        kq_table *x = kq_catalog_table_at(a, t), *y = kq_catalog_table_at(b, t);
        if (x->nrows != y->nrows || x->nbatches != y->nbatches)
            abort();
        for (size_t i = 0; i < x->nbatches; i++) {
            const kq_batch *p = x->batches[i], *q = y->batches[i];
            if (p->nrows != q->nrows || p->ncols != q->ncols)
                abort();
            for (uint32_t c = 0; c < p->ncols; c++)
                for (uint32_t r = 0; r < p->nrows; r++) {
                    kq_value u = kq_column_get(&p->cols[c], r), v = kq_column_get(&q->cols[c], r);
                    if (!same_value(&u, &v))
                        abort();
                }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kq_load_report fast_report, slow_report;
    kq_catalog *fast = load(data, size, false, &fast_report);
    kq_catalog *slow = load(data, size, true, &slow_report);
    compare_reports(&fast_report, &slow_report);
    compare_tables(fast, slow);
    kq_catalog_free(fast);
    kq_catalog_free(slow);
    kq_load_report_free(&fast_report);
    kq_load_report_free(&slow_report);
    unsetenv("KQLITE_CSV_BYTEWISE");
    return 0;
}
