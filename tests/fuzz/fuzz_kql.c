/*
 * libFuzzer target for the KQL front end: lexer, parser and binder, then a run
 * over an empty catalog. Built by make fuzz-build (the KQLITE_FUZZ CMake option) and
 * run by tests/fuzz/run.sh; seeds are the query.kql files under tests/golden and
 * tests/e2e.
 *
 * The run gets a 256 MiB operator budget, as a user would with --max-memory 256M.
 * The default budget is half of physical memory. Under it a huge range piped into sort
 * grows past libFuzzer's RSS limit before the budget stops it, and the fuzzer reports an
 * out-of-memory crash of the harness instead of testing the budget.
 */
#include "exec/exec.h"
#include "kql/compile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_MEMORY (256u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kq_exec_set_default_limits(&(kq_exec_limits){.max_memory = FUZZ_MAX_MEMORY});
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
