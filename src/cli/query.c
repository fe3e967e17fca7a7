/* kqlite query: run one KQL query over data files. */
#include "cli/cli.h"
#include "base/parallel.h"
#include "base/util.h"
#include "exec/exec.h"
#include "kql/ast.h"
#include "kql/compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_help(FILE *out)
{
    fputs("Usage: kqlite query [options] QUERY DATA...\n"
          "       kqlite query [options] --query-file FILE DATA...\n"
          "\n"
          "Runs one KQL query over the tables loaded from DATA (files or folders; TABLE=PATH\n"
          "names the table explicitly).\n"
          "\n"
          "Options:\n"
          "  --now DATETIME        the instant now() and ago() use (default: the current time)\n"
          "  --format FORMAT       table (default), csv, json or jsonl\n"
          "  --query-file FILE     read the query from FILE instead of the first argument\n"
          "  --timezone ZONE       zone of datetimes written without one (default UTC)\n"
          "  --wide                do not cut long table cells (default: 80 characters)\n"
          "  -q, --quiet           no per-file load report on stderr\n",
          out);
    fputs(kq_cli_limit_options_help, out);
}

/* Parses the query alone; prints the errors and returns false when it does not parse. */
static bool syntax_ok(const kq_source *source)
{
    kq_arena *arena = kq_arena_new(0);
    kq_diags diags;
    kq_diags_init(&diags);
    kq_parse(source, arena, &diags);
    bool ok = diags.errors == 0;
    if (!ok) {
        kq_cli_print_diags(&diags);
        fprintf(stderr, "kqlite: the query has %zu error%s\n", diags.errors, diags.errors == 1 ? "" : "s");
    }
    kq_diags_free(&diags);
    kq_arena_free(arena);
    return ok;
}

int kq_cmd_query(int argc, char **argv)
{
    kq_cli_common common;
    if (kq_cli_common_init(&common, "query") != 0)
        return KQ_EXIT_USAGE;
    const char *query_file = NULL;
    char **positional = kq_xcalloc((size_t)argc, sizeof(char *));
    int npositional = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help(stdout);
            free(positional);
            return KQ_EXIT_OK;
        }
        int used = kq_cli_common_option(&common, argc, argv, &i);
        if (used < 0) {
            free(positional);
            return KQ_EXIT_USAGE;
        }
        if (used)
            continue;
        if (strcmp(arg, "--query-file") == 0 || strncmp(arg, "--query-file=", 13) == 0) {
            query_file = arg[12] == '=' ? arg + 13 : (i + 1 < argc ? argv[++i] : NULL);
            if (!query_file) {
                kq_cli_usage_error("query", "--query-file needs a file name");
                free(positional);
                return KQ_EXIT_USAGE;
            }
            continue;
        }
        if (arg[0] == '-' && arg[1] == '-' && arg[2]) {
            kq_cli_usage_error("query", "unknown option '%s'", arg);
            free(positional);
            return KQ_EXIT_USAGE;
        }
        positional[npositional++] = (char *)arg;
    }
    /* Without --query-file, the first positional argument is the query text. */
    if (kq_cli_common_check(&common, "query", npositional - (query_file ? 0 : 1)) != 0) {
        free(positional);
        return KQ_EXIT_USAGE;
    }
    char *query_text = NULL;
    int first_data = 0;
    if (query_file) {
        query_text = kq_cli_read_text(query_file);
        if (!query_text) {
            free(positional);
            return KQ_EXIT_FAILED;
        }
    } else {
        if (npositional == 0) {
            kq_cli_usage_error("query", "missing the query text");
            free(positional);
            return KQ_EXIT_USAGE;
        }
        query_text = kq_xstrdup(positional[0]);
        first_data = 1;
    }

    kq_source source = {.file = query_file ? query_file : "<query>", .text = query_text,
                        .len = strlen(query_text), .first_line = 1};
    /* A syntax error does not depend on the data: report it before reading gigabytes. */
    if (!syntax_ok(&source)) {
        free(query_text);
        free(positional);
        return KQ_EXIT_FAILED;
    }
    kq_catalog *catalog = kq_catalog_new();
    double load_start = kq_monotonic_seconds();
    const kq_source *sources[] = {&source};
    kq_column_use *use = kq_cli_plan_columns(&common, sources, 1);
    common.column_use = use;
    bool inputs_ok = kq_cli_load_data(catalog, positional + first_data, npositional - first_data, &common);
    kq_cli_free_columns(&common, use);
    kq_cli_timer(&common, "loading data %.4f s", kq_monotonic_seconds() - load_start);
    if (!inputs_ok && common.store) {
        /* The store could not be opened, so there is no data: an empty result would read as a clean one. */
        kq_catalog_free(catalog);
        free(query_text);
        free(positional);
        return KQ_EXIT_FAILED;
    }

    kq_diags diags;
    kq_diags_init(&diags);
    kq_query *query = kq_compile(&source, catalog, &diags);
    kq_cli_print_diags(&diags);
    int status = inputs_ok ? KQ_EXIT_OK : KQ_EXIT_FAILED;
    if (!query) {
        fprintf(stderr, "kqlite: the query has %zu error%s\n", diags.errors, diags.errors == 1 ? "" : "s");
        status = KQ_EXIT_FAILED;
    } else {
        /* A table the query reads that no input provided is empty: say so, because a
         * detection that finds nothing for that reason looks like a clean result. */
        for (size_t i = 0; i < query->ntables && !common.quiet; i++)
            if (!kq_catalog_table(catalog, query->tables[i], strlen(query->tables[i])))
                fprintf(stderr, "kqlite: warning: no input provided table %s, so it is empty; "
                                "name the file's table with %s=PATH if it was detected as another table\n",
                        query->tables[i], query->tables[i]);
        double facts_start = kq_monotonic_seconds();
        if (common.threads != 1)
            kq_prepare_batch_facts((const kq_query *const *)&query, 1, catalog, common.now, common.threads);
        double query_start = kq_monotonic_seconds();
        char *error = NULL;
        kq_exec_limits limits = {.max_memory = common.max_memory, .threads = kq_thread_count(common.threads)};
        kq_result *result = kq_execute_limited(query, catalog, common.now, &limits, &error);
        kq_cli_timer(&common, "batch facts (term filters, time ranges) %.4f s, query %.4f s", query_start - facts_start,
                     kq_monotonic_seconds() - query_start);
        if (!result) {
            kq_buf escaped;
            kq_buf_init(&escaped);
            kq_terminal_escape(&escaped, error, strlen(error));
            fprintf(stderr, "kqlite: query failed: %s\n", escaped.data ? escaped.data : "");
            kq_buf_free(&escaped);
            free(error);
            status = KQ_EXIT_FAILED;
        } else {
            kq_output_options options = {.max_column_width = common.max_width, .csv_safe = common.csv_safe};
            kq_write_result(stdout, result, common.format, &options);
            kq_result_free(result);
        }
        kq_query_free(query);
    }
    kq_diags_free(&diags);
    kq_catalog_free(catalog);
    free(query_text);
    free(positional);
    if (fflush(stdout) != 0) {
        perror("kqlite: writing the result failed");
        return KQ_EXIT_FAILED;
    }
    kq_cli_timer(&common, "total %.4f s", kq_monotonic_seconds() - common.started);
    return status;
}
