/* kqlite ingest: load DATA and append its tables to an on-disk store (src/store). */
#include "cli/cli.h"
#include "base/util.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Rows a table builder holds before they go to the store: about 1 GB of memory
 * for a 59-column Defender export (an estimate from a 1 M row ingest that held
 * 3.7 GB). Types of columns outside the built-in schema are inferred per flush.
 */
#define INGEST_FLUSH_ROWS (256 * 1024)

static void print_help(FILE *out)
{
    fputs("Usage: kqlite ingest [--timezone ZONE] [--flush-rows N] [--threads N] [-q] DATA... -o STORE\n"
          "\n"
          "Loads DATA (as query and hunt do, with every column) and appends its tables to\n"
          "the store folder STORE, creating it when it does not exist. Then\n"
          "'kqlite hunt --store STORE' and 'kqlite query --store STORE' read the store in\n"
          "place of the files: only the columns and blocks a query needs are read.\n"
          "\n"
          "A file whose size and CRC-32 match a file already in the store is skipped\n"
          "(reported as 'already in the store'), so ingesting the same export twice does\n"
          "not duplicate its rows. A file that grew since it was ingested is a new file:\n"
          "all of its rows are added again.\n"
          "\n"
          "Options:\n"
          "  -o, --output STORE    the store folder (required)\n"
          "  --timezone ZONE       zone of datetimes written without one (default UTC)\n"
          "  -q, --quiet           no per-file load report on stderr\n"
          "  --threads N           threads that parse the files (default: one per CPU, or\n"
          "                        KQLITE_THREADS)\n"
          "  --flush-rows N        rows of a table held in memory before they are written\n"
          "                        (default 262144, about 1 GB for a Defender export); the\n"
          "                        types of columns outside the built-in schemas are inferred\n"
          "                        from each such part alone\n"
          "\n"
          "'kqlite tables --store STORE' lists what a store holds.\n",
          out);
}

/* Prints "kqlite ingest: TEXT" with control characters escaped: file names and messages can hold them. */
static void print_line(const char *text)
{
    kq_buf line;
    kq_buf_init(&line);
    kq_buf_puts(&line, "kqlite ingest: ");
    kq_terminal_escape(&line, text, strlen(text));
    fprintf(stderr, "%s\n", line.data);
    kq_buf_free(&line);
}

static void print_file_report(const kq_file_report *file)
{
    kq_buf text;
    kq_buf_init(&text);
    kq_buf_printf(&text, "%s: ", file->path);
    if (file->error)
        kq_buf_printf(&text, "error: %s", file->error);
    else if (file->skipped)
        kq_buf_printf(&text, "skipped: %s", file->skipped);
    else
        kq_buf_printf(&text, "%s -> %s: %llu loaded, %llu skipped, %llu %s not convert to %s column's type",
                      file->format ? file->format : "?", file->tables ? file->tables : "(no table)",
                      (unsigned long long)file->records_loaded, (unsigned long long)file->records_skipped,
                      (unsigned long long)file->conversion_failures,
                      file->conversion_failures == 1 ? "value did" : "values did",
                      file->conversion_failures == 1 ? "its" : "their");
    print_line(text.data);
    kq_buf_free(&text);
}

/* Loads the data and writes it; returns the exit status. */
static int ingest(const char *store, char **data, int ndata, const char *timezone, uint64_t flush_rows, bool quiet,
                  int threads)
{
    char *error = NULL;
    kq_store_ingest *check = kq_store_ingest_begin(store, &error);
    if (!check) {
        print_line(error);
        free(error);
        return KQ_EXIT_FAILED;
    }
    kq_catalog *catalog = kq_catalog_new();
    kq_catalog_set_threads(catalog, threads);
    kq_load_options options = {.timezone = timezone, .threads = threads, .file_check = kq_store_check_file,
                               .file_check_user = check, .flush = kq_store_flush_table, .flush_user = check,
                               .flush_rows = flush_rows};
    kq_load_report report;
    kq_load_report_init(&report);
    bool ok = true;
    for (int i = 0; i < ndata; i++)
        if (kq_load_data_argument(catalog, data[i], &options, &report) != 0)
            ok = false;
    kq_catalog_finish(catalog);
    uint64_t rows = 0, failures = 0;
    for (size_t i = 0; i < report.count; i++) {
        const kq_file_report *file = &report.files[i];
        rows += file->records_loaded;
        if (!quiet || file->error)
            print_file_report(file);
        int64_t before = file->skipped ? -1 : kq_store_ingested_size(check, file->path);
        if (before >= 0) {
            /* A log that grew since: the store cannot tell its old rows from the new ones. */
            kq_buf text;
            kq_buf_init(&text);
            kq_buf_printf(&text, "warning: %s changed since it was ingested (%lld bytes then); all its rows are "
                                 "added again, so the rows it held then are now in the store twice",
                          file->path, (long long)before);
            print_line(text.data);
            kq_buf_free(&text);
        }
    }
    if (!ok) {
        fprintf(stderr, "kqlite ingest: the store is unchanged because an input failed (see above)\n");
        kq_store_ingest_abort(check);
    } else if (!kq_store_ingest_finish(check, catalog, &report, &failures, &error)) {
        print_line(error);
        fprintf(stderr, "kqlite ingest: the store is unchanged\n");
        free(error);
        ok = false;
    } else {
        if (failures)
            fprintf(stderr, "kqlite ingest: warning: %llu %s did not convert to the type %s column has in the store "
                            "and %s stored as null\n", (unsigned long long)failures,
                    failures == 1 ? "value" : "values", failures == 1 ? "its" : "their",
                    failures == 1 ? "is" : "are");
        if (!quiet)
            fprintf(stderr, "kqlite ingest: %llu rows added\n", (unsigned long long)rows);
    }
    kq_load_report_free(&report);
    kq_catalog_free(catalog);
    return ok ? KQ_EXIT_OK : KQ_EXIT_FAILED;
}

int kq_cmd_ingest(int argc, char **argv)
{
    const char *store = NULL, *timezone = NULL, *flush = NULL;
    bool quiet = false;
    /* Only --threads of the shared options applies here; this also reads KQLITE_THREADS. */
    kq_cli_common common;
    if (kq_cli_common_init(&common, "ingest") != 0)
        return KQ_EXIT_USAGE;
    char **data = kq_xcalloc((size_t)argc + 1, sizeof(char *));
    int ndata = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help(stdout);
            free(data);
            return KQ_EXIT_OK;
        }
        if (strcmp(arg, "--threads") == 0 || strncmp(arg, "--threads=", 10) == 0) {
            if (kq_cli_common_option(&common, argc, argv, &i) < 0) {
                free(data);
                return KQ_EXIT_USAGE;
            }
            continue;
        }
        bool output = strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0;
        if (output || strcmp(arg, "--timezone") == 0 || strcmp(arg, "--flush-rows") == 0) {
            if (i + 1 >= argc) {
                kq_cli_usage_error("ingest", "%s needs a value", arg);
                free(data);
                return KQ_EXIT_USAGE;
            }
            *(output ? &store : strcmp(arg, "--timezone") == 0 ? &timezone : &flush) = argv[++i];
        } else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
            quiet = true;
        } else if (arg[0] == '-' && arg[1] == '-') {
            kq_cli_usage_error("ingest", "unknown option '%s'", arg);
            free(data);
            return KQ_EXIT_USAGE;
        } else {
            data[ndata++] = (char *)arg;
        }
    }
    if (kq_cli_common_check(&common, "ingest", 0) != 0) {
        free(data);
        return KQ_EXIT_USAGE;
    }
    int status = KQ_EXIT_USAGE;
    char *end = NULL;
    unsigned long long flush_rows = flush ? strtoull(flush, &end, 10) : INGEST_FLUSH_ROWS;
    if (flush && (!*flush || *end || flush_rows == 0 || flush[0] == '-'))
        kq_cli_usage_error("ingest", "--flush-rows needs a positive number of rows, got '%s'", flush);
    else if (!store || !*store)
        kq_cli_usage_error("ingest", "missing -o STORE: the store folder to write");
    else if (ndata == 0)
        kq_cli_usage_error("ingest", "missing DATA: give log files or folders to ingest");
    else if (timezone && !kq_timezone_valid(timezone))
        kq_cli_usage_error("ingest", "--timezone needs a zone such as UTC, Europe/Berlin or +02:00, got '%s'",
                           timezone);
    else
        status = ingest(store, data, ndata, timezone, flush_rows, quiet, common.threads);
    free(data);
    return status;
}
