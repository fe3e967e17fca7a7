/*
 * Failures a hostile or broken input can cause: truncated files, a file that
 * changes between reads or while being read, an unreadable file, allocation
 * failure inside the readers, and the per-query memory and row limits. Each
 * test checks the exact account (records read = loaded + skipped) or the exact
 * error, never only "did not crash".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/util.h"
#include "exec/exec.h"
#include "kql/compile.h"
#include "output/output.h"
#include "rules/rule.h"
#include "sources/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* LeakSanitizer hook: a child that ends in kq_die leaves its allocations behind by design. */
void __lsan_disable(void) __attribute__((weak));

static const char csv_sample[] =
    "Timestamp,DeviceName,ProcessCommandLine\n"
    "2024-10-09T14:41:10Z,host1,\"cmd.exe /c \"\"echo, hi\"\"\"\n"
    "2024-10-09T14:41:11Z,host2,\"powershell\n-enc AAA\"\n"
    "2024-10-09T14:41:12Z,host3,plain\n";

static const char json_lines_sample[] =
    "{\"Timestamp\":\"2024-10-09T14:41:10Z\",\"DeviceName\":\"host1\",\"Extra\":{\"a\":[1,2]}}\n"
    "{\"category\":\"AdvancedHunting-DeviceProcessEvents\",\"properties\":{\"DeviceName\":\"host2\","
    "\"Timestamp\":\"2024-10-09T14:41:11Z\"}}\n"
    "{\"Event\":{\"System\":{\"Provider\":{\"#attributes\":{\"Name\":\"Microsoft-Windows-Sysmon\"}},"
    "\"EventID\":1,\"Computer\":\"host3\"},\"EventData\":{\"Image\":\"C:\\\\a.exe\"}}}\n";

static const char json_array_sample[] = "[{\"DeviceName\":\"host1\",\"N\":1},{\"DeviceName\":\"host2\",\"N\":2}]";

/* Loads data as a file named name into a fresh catalog; returns the file's report copy of the counts. */
typedef struct account {
    int status;
    uint64_t read, loaded, skipped;
    char reason[128];
    bool has_error;
} account;

static account load_text(const char *name, const char *data, size_t len)
{
    kq_catalog *catalog = kq_catalog_new();
    kq_load_report report;
    kq_load_report_init(&report);
    account a = {0};
    a.status = kq_load_buffer(catalog, name, data, len, NULL, &report);
    kq_catalog_finish(catalog);
    assert_int_equal(report.count, 1);
    const kq_file_report *file = &report.files[0];
    a.read = file->records_read;
    a.loaded = file->records_loaded;
    a.skipped = file->records_skipped;
    a.has_error = file->error != NULL || file->skipped != NULL;
    if (file->nreasons > 0)
        snprintf(a.reason, sizeof a.reason, "%s", file->reasons[0].reason);
    kq_load_report_free(&report);
    kq_catalog_free(catalog);
    return a;
}

static void csv_cut_mid_quote(void **state)
{
    const char *cut = strstr(csv_sample, "-enc");
    account a = load_text("cut.csv", csv_sample, (size_t)(cut - csv_sample));
    assert_int_equal(a.status, 0);
    assert_int_equal(a.read, 2);
    assert_int_equal(a.loaded, 1);
    assert_int_equal(a.skipped, 1);
    assert_string_equal(a.reason, "unterminated quoted field: the rest of the file (1 line) is not loaded");
}

static void json_line_cut_mid_object(void **state)
{
    const char *cut = strstr(json_lines_sample, "\"Image\"");
    account a = load_text("cut.json", json_lines_sample, (size_t)(cut - json_lines_sample));
    assert_int_equal(a.status, 0);
    assert_int_equal(a.read, 3);
    assert_int_equal(a.loaded, 2);
    assert_int_equal(a.skipped, 1);
    assert_string_equal(a.reason, "malformed JSON line");
}

static void json_array_cut_mid_object(void **state)
{
    const char *cut = strstr(json_array_sample, "\"N\":2");
    account a = load_text("cut.json", json_array_sample, (size_t)(cut - json_array_sample));
    assert_int_equal(a.status, 0);
    assert_int_equal(a.read, 1);
    assert_int_equal(a.loaded, 0);
    assert_int_equal(a.skipped, 1);
    assert_string_equal(a.reason, "malformed JSON document");
}

/* Every prefix of a file is what a reader sees when the file is cut there: each must account exactly. */
static void check_every_prefix(const char *name, const char *sample)
{
    size_t len = strlen(sample);
    uint64_t most_loaded = 0;
    for (size_t n = 0; n <= len; n++) {
        char *copy = kq_xstrndup(sample, n);
        account a = load_text(name, copy, n);
        free(copy);
        if (a.read != a.loaded + a.skipped)
            fail_msg("%s cut at byte %zu: %llu read, %llu loaded, %llu skipped", name, n,
                     (unsigned long long)a.read, (unsigned long long)a.loaded, (unsigned long long)a.skipped);
        if (a.has_error)
            assert_int_equal(a.read, 0);
        if (a.loaded > most_loaded)
            most_loaded = a.loaded;
    }
    /* The whole sample loads at least one record, so the loop exercised real rows. */
    assert_true(most_loaded > 0);
}

static void every_prefix_accounts_exactly(void **state)
{
    check_every_prefix("prefix.csv", csv_sample);
    check_every_prefix("prefix.json", json_lines_sample);
    check_every_prefix("prefix.json", json_array_sample);
}

static char *temp_path(const char *suffix)
{
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *path = kq_xmalloc(strlen(dir) + 64);
    snprintf(path, strlen(dir) + 64, "%s/kqlite-failures-%d%s", dir, (int)getpid(), suffix);
    return path;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(data, 1, len, file), len);
    assert_int_equal(fclose(file), 0);
}

/* Loads a path into a fresh catalog and returns its first file report's counts. */
static account load_path(const char *path)
{
    kq_catalog *catalog = kq_catalog_new();
    kq_load_report report;
    kq_load_report_init(&report);
    account a = {0};
    a.status = kq_load_data_argument(catalog, path, NULL, &report);
    kq_catalog_finish(catalog);
    assert_true(report.count >= 1);
    a.read = report.files[0].records_read;
    a.loaded = report.files[0].records_loaded;
    a.skipped = report.files[0].records_skipped;
    a.has_error = report.files[0].error != NULL;
    if (report.files[0].error)
        snprintf(a.reason, sizeof a.reason, "%s", report.files[0].error);
    kq_load_report_free(&report);
    kq_catalog_free(catalog);
    return a;
}

/* The file is truncated mid-record between two loads, then grows again: each load accounts for what it saw. */
static void file_truncated_between_loads(void **state)
{
    char *path = temp_path(".csv");
    write_file(path, csv_sample, strlen(csv_sample));
    account whole = load_path(path);
    assert_int_equal(whole.read, 3);
    assert_int_equal(whole.loaded, 3);

    const char *cut = strstr(csv_sample, "-enc");
    assert_int_equal(truncate(path, (off_t)(cut - csv_sample)), 0);
    account truncated = load_path(path);
    assert_int_equal(truncated.read, 2);
    assert_int_equal(truncated.loaded, 1);
    assert_int_equal(truncated.skipped, 1);

    FILE *file = fopen(path, "ab");
    assert_non_null(file);
    fputs(" rest\"\n2024-10-09T14:41:13Z,host4,more\n", file);
    assert_int_equal(fclose(file), 0);
    account grown = load_path(path);
    assert_int_equal(grown.read, 3);
    assert_int_equal(grown.loaded, 3);
    assert_int_equal(grown.skipped, 0);
    unlink(path);
    free(path);
}

/* Checks that table's column n holds 0, 1, 2, ... in row order: no line was lost or read twice. */
static void check_gap_free(const kq_catalog *catalog, const char *table_name, uint64_t rows)
{
    assert_non_null(table_name);
    const kq_table *table = kq_catalog_table(catalog, table_name, strlen(table_name));
    assert_non_null(table);
    assert_int_equal(table->nrows, rows);
    int column = kq_schema_find(&table->schema, "n", 1);
    assert_true(column >= 0);
    int64_t expected = 0;
    for (size_t b = 0; b < table->nbatches; b++)
        for (uint32_t r = 0; r < table->batches[b]->nrows; r++, expected++) {
            kq_value v = kq_column_get(&table->batches[b]->cols[column], r);
            assert_false(v.null);
            assert_int_equal(v.u.l, expected);
        }
}

/*
 * A second process appends JSON lines (in pieces that end mid-line) while this
 * one loads the file again and again. Whatever moment each read lands on, the
 * loaded rows are a gap-free prefix and at most the last, partial line is skipped.
 */
static void file_appended_while_loading(void **state)
{
    char *path = temp_path(".json");
    write_file(path, "{\"n\":0}\n", 8);
    pid_t writer = fork();
    assert_true(writer >= 0);
    if (writer == 0) {
        int fd = open(path, O_WRONLY | O_APPEND);
        char line[64];
        for (int n = 1; n < 20000 && fd >= 0; n++) {
            int len = snprintf(line, sizeof line, "{\"n\":%d,\"pad\":\"abcdefghij\"}\n", n);
            /* Two writes per line, so a reader can see a line cut in the middle. */
            if (write(fd, line, (size_t)len / 2) < 0 || write(fd, line + len / 2, (size_t)(len - len / 2)) < 0)
                _exit(1);
        }
        _exit(fd >= 0 ? 0 : 1);
    }
    for (int round = 0; round < 20; round++) {
        kq_catalog *catalog = kq_catalog_new();
        kq_load_report report;
        kq_load_report_init(&report);
        assert_int_equal(kq_load_data_argument(catalog, path, NULL, &report), 0);
        kq_catalog_finish(catalog);
        const kq_file_report *file = &report.files[0];
        assert_int_equal(file->records_read, file->records_loaded + file->records_skipped);
        assert_true(file->records_skipped <= 1);
        assert_true(file->records_loaded >= 1);
        check_gap_free(catalog, file->tables, file->records_loaded);
        kq_load_report_free(&report);
        kq_catalog_free(catalog);
    }
    int status = 0;
    assert_int_equal(waitpid(writer, &status, 0), writer);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    account done = load_path(path);
    assert_int_equal(done.read, 20000);
    assert_int_equal(done.loaded, 20000);
    unlink(path);
    free(path);
}

/* Loads a mode-000 file; returns 0 when the load reported "cannot read ...: Permission denied". */
static int check_unreadable(const char *path)
{
    account a = load_path(path);
    bool ok = a.status == -1 && a.has_error && strstr(a.reason, "cannot read") &&
              strstr(a.reason, strerror(EACCES)) && a.read == 0;
    if (!ok)
        fprintf(stderr, "unreadable file: status %d, error '%s', %llu read\n", a.status, a.reason,
                (unsigned long long)a.read);
    return ok ? 0 : 1;
}

static void unreadable_file_is_an_error(void **state)
{
    char *path = temp_path(".csv");
    write_file(path, csv_sample, strlen(csv_sample));
    assert_int_equal(chmod(path, 0), 0);
    if (geteuid() != 0) {
        assert_int_equal(check_unreadable(path), 0);
    } else {
        /* root reads a file whatever its mode, so the check runs in a child that drops to
         * user and group 65534 (nobody); without the right to switch users it is skipped. */
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(77);
            _exit(check_unreadable(path));
        }
        int status = 0;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77) {
            unlink(path);
            free(path);
            print_message("running as root without the right to switch users: the chmod 000 check is skipped\n");
            skip();
        }
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    unlink(path);
    free(path);
}

/* ---- allocation failure: the nth allocation fails in a forked child ---- */

typedef enum reader { READ_CSV, READ_JSON, READ_YAML } reader;

static void run_reader(reader which)
{
    if (which == READ_YAML) {
        char *path = KQLITE_SOURCE_DIR "/tests/fixtures/rules/good.yaml";
        size_t len = 0;
        char *text = kq_read_file(path, &len);
        kq_rule_set set;
        kq_rule_set_init(&set);
        kq_diags diags;
        kq_diags_init(&diags);
        kq_rules_load_buffer("good.yaml", text, len, &set, &diags);
        kq_diags_free(&diags);
        kq_rule_set_free(&set);
        free(text);
        return;
    }
    const char *data = which == READ_CSV ? csv_sample : json_lines_sample;
    kq_catalog *catalog = kq_catalog_new();
    kq_load_report report;
    kq_load_report_init(&report);
    kq_load_buffer(catalog, which == READ_CSV ? "a.csv" : "a.json", data, strlen(data), NULL, &report);
    kq_catalog_finish(catalog);
    kq_load_report_free(&report);
    kq_catalog_free(catalog);
}

/* Runs the reader in a child whose nth allocation fails; returns the wait status and the child's stderr. */
static int run_failing_child(reader which, unsigned long long n, char *message, size_t message_size)
{
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        if (__lsan_disable)
            __lsan_disable();
        dup2(pipe_fds[1], STDERR_FILENO);
        close(pipe_fds[0]);
        kq_set_allocation_limit(n);
        run_reader(which);
        kq_set_allocation_limit(0);
        _exit(0);
    }
    close(pipe_fds[1]);
    size_t got = 0;
    ssize_t r;
    while ((r = read(pipe_fds[0], message + got, message_size - 1 - got)) > 0)
        got += (size_t)r;
    message[got] = '\0';
    close(pipe_fds[0]);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    return status;
}

/*
 * Fails allocation 1, 2, 3, ... until the reader completes without reaching the
 * failing allocation, so every allocation the reader makes is the failing one once.
 */
static void check_allocation_failures(reader which, const char *label)
{
    unsigned long long n = 1;
    for (;; n++) {
        char message[1024];
        int status = run_failing_child(which, n, message, sizeof message);
        if (WIFSIGNALED(status))
            fail_msg("%s: allocation %llu failing killed the reader with signal %d", label, n, WTERMSIG(status));
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 0)
            break;
        if (WEXITSTATUS(status) != 4 || !strstr(message, "kqlite: fatal: out of memory"))
            fail_msg("%s: allocation %llu failing gave exit status %d and message '%s'", label, n,
                     WEXITSTATUS(status), message);
        assert_true(n < 100000);
    }
    /* Readers allocate for the header, each row and the report: far more than a handful. */
    if (n < 10)
        fail_msg("%s completed after only %llu allocations; the injection hook did not take effect", label, n);
    print_message("%s: failed each of its %llu allocations in turn, exit status 4 every time\n", label, n - 1);
}

static void allocation_failure_csv(void **state)
{
    check_allocation_failures(READ_CSV, "CSV reader");
}

static void allocation_failure_json(void **state)
{
    check_allocation_failures(READ_JSON, "JSON reader");
}

static void allocation_failure_yaml_rule(void **state)
{
    check_allocation_failures(READ_YAML, "YAML rule loader");
}

/* ---- per-query limits ---- */

/* Runs text under limits; returns the result (NULL with *error set on failure). */
static kq_result *run_limited(const char *text, const kq_exec_limits *limits, char **error)
{
    kq_source source = {.file = "<test>", .text = text, .len = strlen(text), .first_line = 1};
    kq_diags diags;
    kq_diags_init(&diags);
    kq_query *query = kq_compile(&source, NULL, &diags);
    kq_diags_free(&diags);
    assert_non_null(query);
    *error = NULL;
    kq_result *result = kq_execute_limited(query, NULL, 0, limits, error);
    kq_query_free(query);
    return result;
}

static void expect_limit_error(const char *text, const kq_exec_limits *limits, const char *needle1,
                               const char *needle2)
{
    char *error = NULL;
    kq_result *result = run_limited(text, limits, &error);
    if (result)
        fail_msg("'%s' ran within the limits; expected an error with '%s'", text, needle1);
    assert_non_null(error);
    if (!strstr(error, needle1) || !strstr(error, needle2))
        fail_msg("'%s' failed with '%s'; expected '%s' and '%s'", text, error, needle1, needle2);
    free(error);
    /* Without limits the same query runs, so the error came from the limit. */
    result = run_limited(text, NULL, &error);
    assert_non_null(result);
    kq_result_free(result);
}

static void summarize_rows_limit(void **state)
{
    kq_exec_limits limits = {.max_rows = 100};
    expect_limit_error("range x from 1 to 5000 step 1 | summarize count() by x", &limits,
                       "summarize holds", "rows one operator may hold");
}

static void summarize_memory_limit(void **state)
{
    kq_exec_limits limits = {.max_memory = 64 * 1024};
    expect_limit_error("range x from 1 to 50000 step 1 | summarize make_set(x) by x % 1000", &limits,
                       "summarize holds", "over --max-memory 64.0 KiB");
}

static void sort_memory_limit(void **state)
{
    kq_exec_limits limits = {.max_memory = 64 * 1024};
    expect_limit_error("range x from 1 to 50000 step 1 | sort by x asc", &limits, "sort holds",
                       "narrow the query with a where before it or raise --max-memory");
}

static void join_right_side_limit(void **state)
{
    kq_exec_limits limits = {.max_memory = 64 * 1024};
    expect_limit_error("range x from 1 to 10 step 1 | join kind=inner (range x from 1 to 50000 step 1) on x",
                       &limits, "join holds", "of right-side rows");
}

static void mv_apply_rows_limit(void **state)
{
    kq_exec_limits limits = {.max_rows = 1000};
    expect_limit_error("print a = range(1, 5000, 1) | mv-apply a to typeof(long) on (take 100000)", &limits,
                       "mv-apply holds", "output rows");
}

static void limits_allow_small_queries(void **state)
{
    kq_exec_limits limits = {.max_memory = 1024 * 1024, .max_rows = 100};
    char *error = NULL;
    kq_result *result = run_limited("range x from 1 to 50 step 1 | summarize count() by x | sort by x", &limits,
                                    &error);
    assert_non_null(result);
    assert_int_equal(result->nrows, 50);
    kq_result_free(result);
}

static void size_parse_accepts_units(void **state)
{
    uint64_t bytes = 0;
    assert_true(kq_size_parse("512M", &bytes));
    assert_int_equal(bytes, 512ull << 20);
    assert_true(kq_size_parse("2G", &bytes));
    assert_int_equal(bytes, 2ull << 30);
    assert_true(kq_size_parse("1.5GiB", &bytes));
    assert_int_equal(bytes, 3ull << 29);
    assert_true(kq_size_parse("64kb", &bytes));
    assert_int_equal(bytes, 64ull << 10);
    assert_true(kq_size_parse("1048576", &bytes));
    assert_int_equal(bytes, 1048576);
}

static void size_parse_rejects_garbage(void **state)
{
    const char *bad[] = {"", "0", "M", "-1G", "5X", "2 G", "1e30", "20000000T", "nan", "1GG"};
    uint64_t bytes = 0;
    for (size_t i = 0; i < KQ_ARRAY_LEN(bad); i++)
        if (kq_size_parse(bad[i], &bytes))
            fail_msg("kq_size_parse accepted '%s' as %llu bytes", bad[i], (unsigned long long)bytes);
}

/* ---- output safety ---- */

static void csv_safe_prefixes_formulas(void **state)
{
    static const struct {
        const char *cell, *plain, *safe;
    } cases[] = {
        {"=1+1", "=1+1", "'=1+1"},
        {"@SUM(A1)", "@SUM(A1)", "'@SUM(A1)"},
        {"+cmd|' /C calc'!A0", "+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
        {"-2+3", "-2+3", "'-2+3"},
        {"\tx", "\tx", "'\tx"},
        {"\rx", "\"\rx\"", "\"'\rx\""},
        {"=a,b", "\"=a,b\"", "\"'=a,b\""},
        {"-12", "-12", "-12"},
        {"+3.5e-2", "+3.5e-2", "+3.5e-2"},
        {"a=b", "a=b", "a=b"},
        {"", "", ""},
    };
    kq_buf out;
    kq_buf_init(&out);
    for (size_t i = 0; i < KQ_ARRAY_LEN(cases); i++) {
        kq_buf_clear(&out);
        kq_csv_field(&out, cases[i].cell, strlen(cases[i].cell), false);
        assert_string_equal(out.data ? out.data : "", cases[i].plain);
        kq_buf_clear(&out);
        kq_csv_field(&out, cases[i].cell, strlen(cases[i].cell), true);
        assert_string_equal(out.data ? out.data : "", cases[i].safe);
    }
    /* A cell starting with NUL (JSON strings may hold one) is prefixed too. */
    kq_buf_clear(&out);
    kq_csv_field(&out, "\0x", 2, true);
    assert_int_equal(out.len, 3);
    assert_memory_equal(out.data, "'\0x", 3);
    kq_buf_free(&out);
}

static void terminal_escape_lines_keeps_breaks(void **state)
{
    const char text[] = "a\x1b[31mred\nb\tc\r\xc2\x9b";
    kq_buf out;
    kq_buf_init(&out);
    kq_terminal_escape_lines(&out, text, strlen(text));
    assert_string_equal(out.data, "a\\x1b[31mred\nb\tc\\r\\u009b");
    kq_buf_clear(&out);
    kq_terminal_escape(&out, text, strlen(text));
    assert_string_equal(out.data, "a\\x1b[31mred\\nb\\tc\\r\\u009b");
    kq_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_cut_mid_quote),
        cmocka_unit_test(json_line_cut_mid_object),
        cmocka_unit_test(json_array_cut_mid_object),
        cmocka_unit_test(every_prefix_accounts_exactly),
        cmocka_unit_test(file_truncated_between_loads),
        cmocka_unit_test(file_appended_while_loading),
        cmocka_unit_test(unreadable_file_is_an_error),
        cmocka_unit_test(allocation_failure_csv),
        cmocka_unit_test(allocation_failure_json),
        cmocka_unit_test(allocation_failure_yaml_rule),
        cmocka_unit_test(summarize_rows_limit),
        cmocka_unit_test(summarize_memory_limit),
        cmocka_unit_test(sort_memory_limit),
        cmocka_unit_test(join_right_side_limit),
        cmocka_unit_test(mv_apply_rows_limit),
        cmocka_unit_test(limits_allow_small_queries),
        cmocka_unit_test(size_parse_accepts_units),
        cmocka_unit_test(size_parse_rejects_garbage),
        cmocka_unit_test(csv_safe_prefixes_formulas),
        cmocka_unit_test(terminal_escape_lines_keeps_breaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
