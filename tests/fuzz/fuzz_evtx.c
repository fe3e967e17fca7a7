/*
 * libFuzzer target for the EVTX parser. An input that starts with the file
 * signature "ElfFile" is decoded as a whole file, on one thread, and then
 * loaded through kq_load_buffer into tables; any other input is decoded as
 * one chunk (zero-padded to 64 KiB), so mutations reach the chunk and binary
 * XML code without first having to keep a file header intact. Checksum
 * mismatches only flag a chunk, so mutated chunks are still decoded.
 *
 * Build and run by hand from the repository root (not wired into CMake). The
 * sample logs are the seed corpus; new inputs go to the first folder, so keep
 * it outside the repository:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -Iinclude \
 *     $(find src/base src/types src/table src/sources -name '*.c') tests/fuzz/fuzz_evtx.c \
 *     -ljansson -lpthread -lm -o /tmp/fuzz_evtx
 *   mkdir -p /tmp/corpus_evtx && /tmp/fuzz_evtx -max_len=135168 -max_total_time=600 \
 *     /tmp/corpus_evtx tests/fixtures/evtx ../shared/data/evtx
 */
#include "sources/evtx/evtx.h"

#include <stdlib.h>
#include <string.h>

/* Renders every decoded event's data, so the JSON the parser built is read back. */
static void consume(void *user, evtx_chunk_result *result)
{
    size_t *total = user;
    for (size_t i = 0; i < result->nevents; i++) {
        json_t *data = evtx_event_data(&result->events[i]);
        char *text = json_dumps(data, JSON_COMPACT);
        *total += text ? strlen(text) : 0;
        free(text);
        json_decref(data);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t total = 0;
    if (size >= 7 && memcmp(data, "ElfFile", 7) == 0) {
        evtx_decode_options options = {.threads = 1};
        char damage[160];
        evtx_decode_file(data, size, &options, consume, &total, damage, sizeof damage);

        kq_catalog *catalog = kq_catalog_new();
        kq_load_report report;
        kq_load_report_init(&report);
        kq_load_buffer(catalog, "fuzz.evtx", (const char *)data, size, NULL, &report);
        kq_catalog_finish(catalog);
        kq_catalog_free(catalog);
        kq_load_report_free(&report);
        return 0;
    }
    uint8_t *chunk = calloc(1, EVTX_CHUNK_SIZE);
    memcpy(chunk, data, size < EVTX_CHUNK_SIZE ? size : EVTX_CHUNK_SIZE);
    evtx_name_cache *names = calloc(1, sizeof *names);
    evtx_chunk_result result;
    evtx_chunk_decode(chunk, 0, EVTX_FILE_HEADER_SIZE, names, &result);
    consume(&total, &result);
    evtx_chunk_result_free(&result);
    free(names);
    free(chunk);
    return 0;
}
