/*
 * libFuzzer target for the KQL front end: lexer, parser and binder, then a run
 * over an empty catalog. Build and run by hand (not part of the CMake build):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -DPCRE2_CODE_UNIT_WIDTH=8 \
 *     -Iinclude -Isrc tests/fuzz/fuzz_kql.c $(find src -name '*.c' ! -path 'src/cli/*') \
 *     -lyaml -lpcre2-8 -ljansson -lm -lpthread -o /tmp/fuzz_kql
 *   /tmp/fuzz_kql -max_total_time=60 tests/golden
 *
 * Seed corpus: the query.kql files under tests/golden and tests/e2e.
 */
#include "exec/exec.h"
#include "kql/compile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    kq_source source = {.file = "<fuzz>", .text = text, .len = size, .first_line = 1};
    kq_diags diags;
    kq_diags_init(&diags);
    kq_query *query = kq_compile(&source, NULL, &diags);
    kq_buf rendered;
    kq_buf_init(&rendered);
    for (size_t i = 0; i < diags.count; i++)
        kq_diag_render(&diags.items[i], &rendered);
    kq_buf_free(&rendered);
    if (query) {
        /* Built-in tables have no data here, so only datatable/print queries produce rows. */
        char *error = NULL;
        kq_result *result = kq_execute(query, NULL, 0, &error);
        kq_result_free(result);
        free(error);
        kq_query_free(query);
    }
    kq_diags_free(&diags);
    free(text);
    return 0;
}
