/* Options, data loading and messages shared by the subcommands. */
#include "cli/cli.h"
#include "kql/compile.h"
#include "base/util.h"
#include "exec/budget.h"
#include "exec/sieve.h"
#include "store/store.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void kq_cli_usage_error(const char *command, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "kqlite %s: ", command);
    vfprintf(stderr, format, args);
    fprintf(stderr, "\nTry 'kqlite %s --help'.\n", command);
    va_end(args);
}

/* Maximum thread count that --threads and KQLITE_THREADS accept. */
#define CLI_MAX_THREADS 64

/* Parses a thread count: a whole number from 1 to CLI_MAX_THREADS. */
static bool parse_threads(const char *text, int *threads)
{
    if (!text || *text < '0' || *text > '9')
        return false;
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (*end != '\0' || errno || value < 1 || value > CLI_MAX_THREADS)
        return false;
    *threads = (int)value;
    return true;
}

int kq_cli_common_init(kq_cli_common *common, const char *command)
{
    (void)command;
    memset(common, 0, sizeof *common);
    const char *threads = getenv("KQLITE_THREADS");
    if (threads && *threads && !parse_threads(threads, &common->threads))
        common->invalid_threads_env = threads;
    common->format = KQ_FORMAT_TABLE;
    common->max_width = 80;
    common->started = kq_monotonic_seconds();
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    common->now = KQ_UNIX_EPOCH_TICKS + (int64_t)now.tv_sec * KQ_TICKS_PER_SECOND + now.tv_nsec / 100;
    return 0;
}

int kq_cli_common_check(const kq_cli_common *common, const char *command, int ndata)
{
    if (common->invalid_threads_env) {
        kq_cli_usage_error(command, "KQLITE_THREADS needs a whole number from 1 to %d, got '%s'; fix or unset it, "
                                    "or give --threads N", CLI_MAX_THREADS, common->invalid_threads_env);
        return -1;
    }
    if (common->store && ndata > 0) {
        kq_cli_usage_error(command, "give either --store or DATA, not both; to add DATA to the store, run "
                                    "kqlite ingest DATA -o %s", common->store);
        return -1;
    }
    return 0;
}

/* Returns the option's value: "--name=value" or the next argument. */
static const char *option_value(int argc, char **argv, int *index, const char *name)
{
    const char *arg = argv[*index];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) == 0 && arg[n] == '=')
        return arg + n + 1;
    if (*index + 1 >= argc)
        return NULL;
    return argv[++*index];
}

static bool is_option(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

int kq_cli_common_option(kq_cli_common *common, int argc, char **argv, int *index)
{
    const char *arg = argv[*index];
    const char *command = argv[0];
    if (is_option(arg, "--now")) {
        const char *value = option_value(argc, argv, index, "--now");
        if (!value || !kq_datetime_parse(value, strlen(value), &common->now)) {
            kq_cli_usage_error(command, "--now needs a datetime such as 2026-12-01T00:00:00Z, got '%s'",
                               value ? value : "");
            return -1;
        }
        common->now_set = true;
        return 1;
    }
    if (is_option(arg, "--format") || strcmp(arg, "-F") == 0) {
        const char *value = option_value(argc, argv, index, "--format");
        if (!value || !kq_format_parse(value, &common->format)) {
            kq_cli_usage_error(command, "--format takes table, csv, json or jsonl, got '%s'", value ? value : "");
            return -1;
        }
        return 1;
    }
    if (is_option(arg, "--timezone")) {
        const char *value = option_value(argc, argv, index, "--timezone");
        if (!value || !*value || !kq_timezone_valid(value)) {
            kq_cli_usage_error(command, "--timezone needs a zone such as UTC, Europe/Berlin or +02:00, got '%s'",
                               value ? value : "");
            return -1;
        }
        common->timezone = value;
        return 1;
    }
    if (is_option(arg, "--max-memory")) {
        const char *value = option_value(argc, argv, index, "--max-memory");
        if (!value || !kq_size_parse(value, &common->max_memory)) {
            kq_cli_usage_error(command, "--max-memory needs a size such as 512M or 2G (K, M, G, T are powers "
                                        "of 1024), got '%s'", value ? value : "");
            return -1;
        }
        return 1;
    }
    if (is_option(arg, "--store")) {
        const char *value = option_value(argc, argv, index, "--store");
        if (!value || !*value) {
            kq_cli_usage_error(command, "--store needs the folder of a store written by kqlite ingest");
            return -1;
        }
        common->store = value;
        return 1;
    }
    if (is_option(arg, "--threads")) {
        const char *value = option_value(argc, argv, index, "--threads");
        if (!parse_threads(value, &common->threads)) {
            kq_cli_usage_error(command, "--threads needs a whole number from 1 to %d, got '%s'", CLI_MAX_THREADS,
                               value ? value : "");
            return -1;
        }
        common->invalid_threads_env = NULL; /* --threads replaces KQLITE_THREADS */
        return 1;
    }
    if (strcmp(arg, "--strict") == 0) {
        common->strict = true;
        return 1;
    }
    if (strcmp(arg, "--csv-safe") == 0) {
        common->csv_safe = true;
        return 1;
    }
    if (strcmp(arg, "--all-columns") == 0) {
        common->all_columns = true;
        return 1;
    }
    if (strcmp(arg, "--timer") == 0) {
        common->timer = true;
        return 1;
    }
    if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0) {
        common->quiet = true;
        return 1;
    }
    if (strcmp(arg, "--wide") == 0) {
        common->max_width = 0;
        return 1;
    }
    return 0;
}

const char kq_cli_limit_options_help[] =
    "  --store STORE         read the tables of a store that kqlite ingest wrote, in place of\n"
    "                        DATA (only the blocks and columns the queries need are read)\n"
    "  --max-memory SIZE     memory the query's operators (summarize, sort, join, mv-apply) may\n"
    "                        hold, such as 512M or 2G (default: half of physical memory)\n"
    "  --strict              fail (exit status 3) when any record or file was skipped or any\n"
    "                        value did not convert to its column's type\n"
    "  --csv-safe            csv format: prefix cells starting with =, +, -, @, tab, CR or NUL\n"
    "                        with ' so spreadsheets do not run them as formulas (numbers such\n"
    "                        as -12 stay as they are)\n"
    "  --all-columns         load every column of the data, also those no query reads\n"
    "                        (by default they are skipped while loading)\n"
    "  --threads N           threads that parse CSV and EVTX files, build the tables, run\n"
    "                        hunt's rules and one query's where clauses and summarize, 1 to 64\n"
    "                        (default: the KQLITE_THREADS environment variable, else one per\n"
    "                        online CPU); results do not depend on it\n"
    "  --timer               print to stderr how long loading the rules and the data, each\n"
    "                        query or rule and the whole command took (wall-clock seconds)\n";

void kq_cli_timer(const kq_cli_common *common, const char *format, ...)
{
    if (!common->timer)
        return;
    kq_buf line;
    kq_buf_init(&line);
    va_list args;
    va_start(args, format);
    kq_buf_vprintf(&line, format, args);
    va_end(args);
    kq_buf escaped;
    kq_buf_init(&escaped);
    kq_terminal_escape(&escaped, line.data, line.len);
    fprintf(stderr, "kqlite: timer: %s\n", escaped.data ? escaped.data : "");
    kq_buf_free(&escaped);
    kq_buf_free(&line);
}

/* Appends text from a file or a log record, escaped: file names, table names taken from a
 * Type column and skip reasons naming event providers can all hold escape sequences. */
static void put_escaped(kq_buf *out, const char *text)
{
    kq_terminal_escape(out, text, strlen(text));
}

static void print_file_report(const kq_file_report *file)
{
    kq_buf line;
    kq_buf_init(&line);
    kq_buf_puts(&line, "kqlite: ");
    put_escaped(&line, file->path);
    kq_buf_puts(&line, ": ");
    if (file->error) {
        kq_buf_puts(&line, "error: ");
        put_escaped(&line, file->error);
    } else if (file->skipped) {
        kq_buf_puts(&line, "skipped: ");
        put_escaped(&line, file->skipped);
    } else {
        put_escaped(&line, file->format ? file->format : "?");
        kq_buf_puts(&line, " -> ");
        put_escaped(&line, file->tables && *file->tables ? file->tables : "(no table)");
        kq_buf_printf(&line, ": %llu read, %llu loaded, %llu skipped", (unsigned long long)file->records_read,
                      (unsigned long long)file->records_loaded, (unsigned long long)file->records_skipped);
        if (file->conversion_failures) {
            kq_buf_printf(&line, "\nkqlite:   warning: %llu value%s did not convert to the column's type and %s "
                                 "null (for example ",
                          (unsigned long long)file->conversion_failures, file->conversion_failures == 1 ? "" : "s",
                          file->conversion_failures == 1 ? "is" : "are");
            put_escaped(&line, file->first_conversion_failure ? file->first_conversion_failure : "?");
            kq_buf_puts(&line, "); check the export's date and number formats or --timezone");
        }
        for (int i = 0; i < file->nreasons; i++) {
            kq_buf_printf(&line, "\nkqlite:   skipped %llu: ", (unsigned long long)file->reasons[i].count);
            put_escaped(&line, file->reasons[i].reason);
            kq_buf_puts(&line, " (first at ");
            put_escaped(&line, file->reasons[i].first_location ? file->reasons[i].first_location : "?");
            kq_buf_putc(&line, ')');
        }
    }
    kq_buf_putc(&line, '\n');
    fputs(line.data, stderr);
    kq_buf_free(&line);
}

/* Load totals over every file report, for the summary line and --strict. */
typedef struct load_totals {
    uint64_t read, loaded, skipped, skipped_files, conversion_failures;
    uint64_t damaged_files; /* files with a skip reason, such as a truncated EVTX header or chunk */
} load_totals;

/* Prints why --strict fails the run; returns false when it does. */
static bool strict_check(const load_totals *totals)
{
    if (!totals->skipped && !totals->skipped_files && !totals->conversion_failures && !totals->damaged_files)
        return true;
    fprintf(stderr, "kqlite: --strict: %llu record%s skipped, %llu file%s with skipped or damaged parts, %llu file%s "
                    "skipped as not log files, %llu value%s did not convert; the run fails (exit status 3). The "
                    "lines above name each file and reason\n",
            (unsigned long long)totals->skipped, totals->skipped == 1 ? "" : "s",
            (unsigned long long)totals->damaged_files, totals->damaged_files == 1 ? "" : "s",
            (unsigned long long)totals->skipped_files, totals->skipped_files == 1 ? "" : "s",
            (unsigned long long)totals->conversion_failures, totals->conversion_failures == 1 ? "" : "s");
    return false;
}

static bool column_read_by_queries(void *user, const char *table, const char *column, size_t len)
{
    return kq_column_use_wants(user, table, column, len);
}

static bool column_read_from_store(void *user, const char *table, const char *column, size_t len)
{
    return kq_column_use_wants_stored(user, table, column, len);
}

kq_column_use *kq_cli_plan_columns(kq_cli_common *common, const kq_source *const *sources, size_t count)
{
    if (common->all_columns || common->strict)
        return NULL;
    kq_column_use *use = kq_xcalloc(1, sizeof *use);
    kq_sieve *sieve = kq_sieve_new(common->now);
    for (size_t i = 0; i < count; i++) {
        kq_diags diags;
        kq_diags_init(&diags);
        kq_query *query = kq_compile(sources[i], NULL, &diags);
        kq_diags_free(&diags);
        /* column_ifexists may read a column only the data defines, which would not load. */
        if (query && query->guessed_column) {
            kq_query_free(query);
            query = NULL;
        }
        if (!query) {
            kq_sieve_free(sieve);
            kq_column_use_free(use);
            free(use);
            return NULL;
        }
        kq_column_use_add(use, query);
        kq_sieve_add(sieve, query);
    }
    if (kq_sieve_active(sieve)) {
        common->sieve = sieve;
    } else {
        kq_sieve_free(sieve);
    }
    return use;
}

void kq_cli_free_columns(kq_cli_common *common, kq_column_use *use)
{
    kq_sieve_free(common->sieve);
    common->sieve = NULL;
    common->column_use = NULL;
    if (!use)
        return;
    kq_column_use_free(use);
    free(use);
}

static bool load_store(kq_catalog *catalog, int count, const kq_cli_common *common)
{
    /* The commands reject this with their options (kq_cli_common_check); a new caller must not drop DATA. */
    if (count > 0) {
        fprintf(stderr, "kqlite: give either --store or DATA, not both; to add DATA to the store, run "
                        "kqlite ingest DATA -o %s\n", common->store);
        return false;
    }
    kq_store_read_options options = {0};
    if (common->column_use) {
        options.column_filter = column_read_from_store;
        options.column_filter_user = (void *)common->column_use;
    }
    char *error = NULL;
    if (!kq_store_open(common->store, catalog, &options, &error)) {
        kq_buf line;
        kq_buf_init(&line);
        put_escaped(&line, error);
        fprintf(stderr, "kqlite: %s\n", line.data);
        kq_buf_free(&line);
        free(error);
        return false;
    }
    return true;
}

/* Tables the probe found inputs for; any: some input's tables are known only from reading it whole. */
typedef struct probed_tables {
    char **names;
    size_t count, cap;
    bool any;
} probed_tables;

static void probe_seen(void *user, const char *table)
{
    probed_tables *probed = user;
    if (!table) {
        probed->any = true;
        return;
    }
    for (size_t i = 0; i < probed->count; i++)
        if (strcmp(probed->names[i], table) == 0)
            return;
    kq_grow((void **)&probed->names, &probed->cap, probed->count + 1, sizeof *probed->names);
    probed->names[probed->count++] = kq_xstrdup(table);
}

static bool probe_fed(void *user, const char *table)
{
    const probed_tables *probed = user;
    if (probed->any)
        return true;
    for (size_t i = 0; i < probed->count; i++)
        if (strcmp(probed->names[i], table) == 0)
            return true;
    return false;
}

/*
 * Finds which tables the inputs feed, from each file's first records, so the
 * sieve can run where clauses whose subqueries read only tables no input feeds.
 */
static void resolve_sieve(kq_sieve *sieve, char **arguments, int count, const kq_load_options *load)
{
    probed_tables probed = {0};
    /* KQLITE_SIEVE_NO_PROBE=1 takes every table as unfed, so tests reach the check after the load. */
    const char *no_probe = getenv("KQLITE_SIEVE_NO_PROBE");
    if (no_probe && strcmp(no_probe, "1") == 0) {
        kq_sieve_resolve(sieve, probe_fed, &probed);
        return;
    }
    kq_load_options options = {.timezone = load->timezone, .probe = probe_seen, .probe_user = &probed};
    kq_load_report report;
    kq_load_report_init(&report);
    kq_catalog *unused = kq_catalog_new();
    for (int i = 0; i < count; i++)
        (void)kq_load_data_argument(unused, arguments[i], &options, &report);
    kq_catalog_free(unused);
    kq_load_report_free(&report);
    kq_sieve_resolve(sieve, probe_fed, &probed);
    for (size_t i = 0; i < probed.count; i++)
        free(probed.names[i]);
    free(probed.names);
}

/* Loads every argument into catalog; with warn, names an argument that held no file. Returns false when one failed. */
static bool load_arguments(kq_catalog *catalog, char **arguments, int count, const kq_load_options *options,
                           kq_load_report *report, bool warn)
{
    bool ok = true;
    for (int i = 0; i < count; i++) {
        size_t files_before = report->count;
        if (kq_load_data_argument(catalog, arguments[i], options, report) != 0) {
            ok = false;
        } else if (report->count == files_before && warn) {
            /* Otherwise the only hint would be the empty-table warning, which suggests naming the table. */
            kq_buf line;
            kq_buf_init(&line);
            kq_terminal_escape(&line, arguments[i], strlen(arguments[i]));
            fprintf(stderr, "kqlite: warning: %s: the folder contains no files\n", line.data ? line.data : "");
            kq_buf_free(&line);
        }
    }
    kq_catalog_finish(catalog);
    return ok;
}

/*
 * Loads the arguments through the sieve. When a table the sieve took as empty
 * turns out to have rows, rows a query needs may be gone, so the load runs
 * again with the sieve running only where clauses that read the row alone.
 */
static bool load_sieved(kq_catalog *catalog, char **arguments, int count, const kq_load_options *options,
                        kq_load_report *report, const kq_cli_common *common)
{
    kq_sieve *sieve = common->sieve;
    if (kq_sieve_reads(sieve))
        resolve_sieve(sieve, arguments, count, options);
    kq_catalog_set_sieve(catalog, kq_sieve_table, sieve);
    bool ok = load_arguments(catalog, arguments, count, options, report, true);
    const char *table = NULL;
    if (!kq_sieve_check(sieve, catalog, &table)) {
        kq_cli_timer(common, "table %s has rows after all; loading again with a narrower sieve", table);
        kq_sieve_unresolve(sieve);
        kq_catalog_clear(catalog);
        kq_load_report_free(report);
        kq_load_report_init(report);
        ok = load_arguments(catalog, arguments, count, options, report, false);
    }
    kq_catalog_set_sieve(catalog, NULL, NULL);
    uint64_t seen, kept, passed;
    kq_sieve_counts(sieve, &seen, &kept, &passed);
    kq_cli_timer(common, "sieve kept %llu of %llu rows streamed while loading (%llu more streamed into tables it "
                         "does not cut)", (unsigned long long)kept, (unsigned long long)seen,
                 (unsigned long long)passed);
    return ok;
}

bool kq_cli_load_data(kq_catalog *catalog, char **arguments, int count, const kq_cli_common *common)
{
    if (common->store)
        return load_store(catalog, count, common);
    kq_load_options options = {.timezone = common->timezone, .threads = common->threads};
    if (common->column_use) {
        options.column_filter = column_read_by_queries;
        options.column_filter_user = (void *)common->column_use;
    }
    kq_load_report report;
    kq_load_report_init(&report);
    /* Builders fill batches while loading too, on this many threads. */
    kq_catalog_set_threads(catalog, common->threads);
    bool ok = common->sieve ? load_sieved(catalog, arguments, count, &options, &report, common)
                            : load_arguments(catalog, arguments, count, &options, &report, true);
    load_totals totals = {0};
    for (size_t i = 0; i < report.count; i++) {
        const kq_file_report *file = &report.files[i];
        if (file->error)
            ok = false;
        /* --strict names every file it fails on, so it prints the reports even with --quiet. */
        bool troubled = file->error || (common->strict && (file->skipped || file->records_skipped ||
                                                           file->nreasons || file->conversion_failures));
        if (!common->quiet || troubled)
            print_file_report(file);
        totals.skipped_files += file->skipped != NULL;
        totals.damaged_files += file->nreasons > 0;
        totals.read += file->records_read;
        totals.loaded += file->records_loaded;
        totals.skipped += file->records_skipped;
        totals.conversion_failures += file->conversion_failures;
    }
    if (!common->quiet && report.count > 1)
        fprintf(stderr, "kqlite: %zu files (%llu skipped as not log files): %llu records read, %llu loaded, %llu skipped\n",
                report.count, (unsigned long long)totals.skipped_files, (unsigned long long)totals.read,
                (unsigned long long)totals.loaded, (unsigned long long)totals.skipped);
    if (common->strict && !strict_check(&totals))
        ok = false;
    kq_load_report_free(&report);
    return ok;
}

void kq_cli_print_diags(const kq_diags *diags)
{
    kq_buf out, escaped;
    kq_buf_init(&out);
    kq_buf_init(&escaped);
    for (size_t i = 0; i < diags->count; i++)
        kq_diag_render(&diags->items[i], &out);
    /* Messages quote rule text and file names, so they are escaped like any other data. */
    if (out.len) {
        kq_terminal_escape_lines(&escaped, out.data, out.len);
        fputs(escaped.data, stderr);
    }
    kq_buf_free(&out);
    kq_buf_free(&escaped);
}

char *kq_cli_read_text(const char *path)
{
    size_t len;
    char *text = kq_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "kqlite: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (strlen(text) != len) {
        fprintf(stderr, "kqlite: %s contains a NUL byte; a query file must be text\n", path);
        free(text);
        return NULL;
    }
    return text;
}

static bool is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *kq_cli_bundled_rules(void)
{
    static char path[PATH_MAX];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        /* Next to the binary (build tree), one level up (the repository), or an installed share folder. */
        const char *candidates[] = {"%s/rules/rmm", "%s/../rules/rmm", "%s/../share/kqlite/rules/rmm"};
        for (size_t i = 0; i < KQ_ARRAY_LEN(candidates); i++) {
            snprintf(path, sizeof path, candidates[i], exe);
            if (!is_directory(path))
                continue;
            /* Rule files are reported by path: "/repo/rules/rmm/..." reads better than "/repo/build/../rules". */
            char resolved[PATH_MAX];
            if (realpath(path, resolved))
                snprintf(path, sizeof path, "%s", resolved);
            return path;
        }
    }
    snprintf(path, sizeof path, "%s/rules/rmm", KQLITE_DATA_DIR);
    return is_directory(path) ? path : NULL;
}
