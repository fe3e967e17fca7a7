/* kqlite tables: list the built-in table schemas, or the tables loaded from DATA. */
#include "cli/cli.h"
#include "base/util.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static void print_schema(const char *name, const kq_field *fields, uint32_t count, uint64_t rows, bool loaded)
{
    /* Names of loaded tables and columns come from files, so they are escaped. */
    kq_buf line;
    kq_buf_init(&line);
    kq_terminal_escape(&line, name, strlen(name));
    if (loaded)
        printf("%s (%llu rows)\n", line.data ? line.data : "", (unsigned long long)rows);
    else
        printf("%s\n", line.data ? line.data : "");
    for (uint32_t i = 0; i < count; i++) {
        kq_buf_clear(&line);
        kq_terminal_escape(&line, fields[i].name, strlen(fields[i].name));
        printf("  %-45s %s\n", line.data ? line.data : "", kq_type_name(fields[i].type));
    }
    kq_buf_free(&line);
}

static int describe_store(const char *path)
{
    kq_buf out, escaped;
    kq_buf_init(&out);
    kq_buf_init(&escaped);
    char *error = NULL;
    bool ok = kq_store_describe(path, &out, &error);
    /* Table names and file paths come from the store's files, so they are escaped. A damaged
     * store still gets the listing of its manifest, then the error. */
    if (out.len) {
        kq_terminal_escape_lines(&escaped, out.data, out.len);
        fputs(escaped.data ? escaped.data : "", stdout);
        fflush(stdout);
    }
    if (!ok) {
        kq_buf_clear(&escaped);
        kq_terminal_escape_lines(&escaped, error, strlen(error));
        fprintf(stderr, "kqlite: %s\n", escaped.data ? escaped.data : "");
    }
    kq_buf_free(&out);
    kq_buf_free(&escaped);
    free(error);
    return ok ? KQ_EXIT_OK : KQ_EXIT_FAILED;
}

int kq_cmd_tables(int argc, char **argv)
{
    kq_cli_common common;
    if (kq_cli_common_init(&common, "tables") != 0)
        return KQ_EXIT_USAGE;
    char **data = kq_xcalloc((size_t)argc, sizeof(char *));
    int ndata = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            puts("Usage: kqlite tables [--timezone ZONE] [DATA...]\n"
                 "       kqlite tables --store STORE\n\n"
                 "Without DATA, lists the built-in tables and their columns. With DATA, lists\n"
                 "the tables loaded from it, their row counts and column types. With --store,\n"
                 "lists what a store holds: tables, rows, blocks, time ranges and ingested files.");
            free(data);
            return KQ_EXIT_OK;
        }
        int used = kq_cli_common_option(&common, argc, argv, &i);
        if (used < 0) {
            free(data);
            return KQ_EXIT_USAGE;
        }
        if (!used && argv[i][0] == '-' && argv[i][1] == '-') {
            kq_cli_usage_error("tables", "unknown option '%s'", argv[i]);
            free(data);
            return KQ_EXIT_USAGE;
        }
        if (!used)
            data[ndata++] = argv[i];
    }
    if (kq_cli_common_check(&common, "tables", ndata) != 0) {
        free(data);
        return KQ_EXIT_USAGE;
    }
    if (common.store && ndata == 0) {
        free(data);
        return describe_store(common.store);
    }
    if (ndata == 0) {
        size_t count;
        const kq_builtin_table *tables = kq_builtin_tables(&count);
        for (size_t i = 0; i < count; i++)
            print_schema(tables[i].name, tables[i].fields, tables[i].count, 0, false);
        free(data);
        return KQ_EXIT_OK;
    }
    kq_catalog *catalog = kq_catalog_new();
    bool ok = kq_cli_load_data(catalog, data, ndata, &common);
    kq_cli_timer(&common, "loading data %.4f s", kq_monotonic_seconds() - common.started);
    for (size_t i = 0; i < kq_catalog_count(catalog); i++) {
        kq_table *table = kq_catalog_table_at(catalog, i);
        if (table)
            print_schema(table->name, table->schema.fields, table->schema.count, table->nrows, true);
    }
    kq_catalog_free(catalog);
    free(data);
    return ok ? KQ_EXIT_OK : KQ_EXIT_FAILED;
}
