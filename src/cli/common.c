/* Options, data loading and messages shared by the subcommands. */
#include "cli/cli.h"
#include "base/util.h"

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

void kq_cli_common_init(kq_cli_common *common)
{
    memset(common, 0, sizeof *common);
    common->format = KQ_FORMAT_TABLE;
    common->max_width = 80;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    common->now = KQ_UNIX_EPOCH_TICKS + (int64_t)now.tv_sec * KQ_TICKS_PER_SECOND + now.tv_nsec / 100;
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

/* Writes "kqlite: PATH: " with the path escaped: file names can hold escape sequences. */
static void print_path(const char *path)
{
    kq_buf escaped;
    kq_buf_init(&escaped);
    kq_terminal_escape(&escaped, path, strlen(path));
    fprintf(stderr, "kqlite: %s: ", escaped.data ? escaped.data : "");
    kq_buf_free(&escaped);
}

static void print_file_report(const kq_file_report *file)
{
    print_path(file->path);
    if (file->error) {
        fprintf(stderr, "error: %s\n", file->error);
        return;
    }
    if (file->skipped) {
        fprintf(stderr, "skipped: %s\n", file->skipped);
        return;
    }
    fprintf(stderr, "%s -> %s: %llu read, %llu loaded, %llu skipped\n",
            file->format ? file->format : "?", file->tables && *file->tables ? file->tables : "(no table)",
            (unsigned long long)file->records_read, (unsigned long long)file->records_loaded,
            (unsigned long long)file->records_skipped);
    if (file->conversion_failures)
        fprintf(stderr, "kqlite:   warning: %llu value%s did not convert to the column's type and %s null "
                        "(for example %s); check the export's date and number formats or --timezone\n",
                (unsigned long long)file->conversion_failures, file->conversion_failures == 1 ? "" : "s",
                file->conversion_failures == 1 ? "is" : "are",
                file->first_conversion_failure ? file->first_conversion_failure : "?");
    for (int i = 0; i < file->nreasons; i++)
        fprintf(stderr, "kqlite:   skipped %llu: %s (first at %s)\n",
                (unsigned long long)file->reasons[i].count, file->reasons[i].reason,
                file->reasons[i].first_location ? file->reasons[i].first_location : "?");
}

bool kq_cli_load_data(kq_catalog *catalog, char **arguments, int count, const kq_cli_common *common)
{
    kq_load_options options = {.timezone = common->timezone};
    kq_load_report report;
    kq_load_report_init(&report);
    bool ok = true;
    for (int i = 0; i < count; i++)
        if (kq_load_data_argument(catalog, arguments[i], &options, &report) != 0)
            ok = false;
    kq_catalog_finish(catalog);
    uint64_t read = 0, loaded = 0, skipped = 0, skipped_files = 0;
    for (size_t i = 0; i < report.count; i++) {
        const kq_file_report *file = &report.files[i];
        if (file->error)
            ok = false;
        if (!common->quiet || file->error)
            print_file_report(file);
        skipped_files += file->skipped != NULL;
        read += file->records_read;
        loaded += file->records_loaded;
        skipped += file->records_skipped;
    }
    if (!common->quiet && report.count > 1)
        fprintf(stderr, "kqlite: %zu files (%llu skipped as not log files): %llu records read, %llu loaded, %llu skipped\n",
                report.count, (unsigned long long)skipped_files, (unsigned long long)read,
                (unsigned long long)loaded, (unsigned long long)skipped);
    kq_load_report_free(&report);
    return ok;
}

void kq_cli_print_diags(const kq_diags *diags)
{
    kq_buf out;
    kq_buf_init(&out);
    for (size_t i = 0; i < diags->count; i++)
        kq_diag_render(&diags->items[i], &out);
    if (out.len)
        fputs(out.data, stderr);
    kq_buf_free(&out);
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
            if (is_directory(path))
                return path;
        }
    }
    snprintf(path, sizeof path, "%s/rules/rmm", KQLITE_DATA_DIR);
    return is_directory(path) ? path : NULL;
}
