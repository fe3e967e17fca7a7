/*
 * libFuzzer target for the CSV reader: the input is loaded through
 * kq_load_buffer, the same path a file on disk takes, as a file named
 * "fuzz_DeviceProcessEvents.csv" so that cells are converted to the built-in
 * schema's types. The resulting tables are then built.
 *
 * Build and run by hand from the repository root (not wired into CMake). New
 * inputs go to the first folder, so keep it outside the repository:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -Iinclude \
 *     $(find src/base src/types src/table src/sources -name '*.c') tests/fuzz/fuzz_csv.c \
 *     -ljansson -lm -o /tmp/fuzz_csv
 *   mkdir -p /tmp/corpus_csv && /tmp/fuzz_csv -max_total_time=60 /tmp/corpus_csv tests/fixtures/sources
 */
#include "sources/source.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kq_catalog *catalog = kq_catalog_new();
    kq_load_report report;
    kq_load_report_init(&report);
    kq_load_buffer(catalog, "fuzz_DeviceProcessEvents.csv", (const char *)data, size, NULL, &report);
    kq_catalog_finish(catalog);
    kq_catalog_free(catalog);
    kq_load_report_free(&report);
    return 0;
}
