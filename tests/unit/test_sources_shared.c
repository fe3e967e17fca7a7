/*
 * Real telemetry from the shared data folder beside the repository (not part
 * of it). Each test skips when the folder is missing. The expected counts
 * were measured on that data with an independent reader (Python csv/json).
 *
 * The OTRF test unzips 152 archives (about 1.6 GB of JSON lines) into a
 * temporary folder with `unzip`, unless KQLITE_OTRF_DIR names a folder that
 * already contains them unzipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_sources_util.h"

#include <sys/stat.h>
#include <unistd.h>

#define SHARED_DATA KQLITE_SOURCE_DIR "/../shared/data"

static bool shared_data_present(void)
{
    struct stat st;
    return stat(SHARED_DATA, &st) == 0 && S_ISDIR(st.st_mode);
}

#define REQUIRE_SHARED_DATA()                                                                      \
    do {                                                                                           \
        if (!shared_data_present()) {                                                              \
            print_message("shared data not found at %s; skipping\n", SHARED_DATA);                 \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static void ctf_process_events_exact(void **state)
{
    REQUIRE_SHARED_DATA();
    loaded *l = load_arguments(NULL, SHARED_DATA "/defender-export/ctf-Utili-Mystery-DeviceProcessEvents.csv", NULL);
    assert_int_equal(l->status, 0);
    assert_int_equal(table_rows(l, "DeviceProcessEvents"), 369);
    kq_table *table = table_named(l, "DeviceProcessEvents");
    int ts = kq_schema_find(&table->schema, "Timestamp", 9);
    int64_t min = INT64_MAX, max = INT64_MIN;
    uint64_t nulls = 0;
    for (size_t b = 0; b < table->nbatches; b++) {
        for (uint32_t r = 0; r < table->batches[b]->nrows; r++) {
            kq_value v = kq_column_get(&table->batches[b]->cols[ts], r);
            if (v.null) {
                nulls++;
                continue;
            }
            min = v.u.l < min ? v.u.l : min;
            max = v.u.l > max ? v.u.l : max;
        }
    }
    char text[32];
    assert_int_equal(nulls, 0);
    kq_datetime_format(min, text);
    assert_string_equal(text, "2024-10-09T14:39:25.0000000Z");
    kq_datetime_format(max, text);
    assert_string_equal(text, "2024-10-09T15:15:58.0000000Z");
    loaded_free(l);
}

static void defender_exports_load_without_skips(void **state)
{
    REQUIRE_SHARED_DATA();
    static const struct {
        const char *file, *table;
        uint64_t rows;
    } expected[] = {
        {"ctf-Utili-Mystery-DeviceEvents.csv", "DeviceEvents", 1172},
        {"ctf-Utili-Mystery-DeviceFileEvents.csv", "DeviceFileEvents", 508},
        {"ctf-Utili-Mystery-DeviceLogonEvents.csv", "DeviceLogonEvents", 56},
        {"ctf-Utili-Mystery-DeviceProcessEvents.csv", "DeviceProcessEvents", 369},
        {"cti-lab-northstar-DeviceNetworkEvents.csv", "DeviceNetworkEvents", 28},
    };
    loaded *l = load_arguments(NULL, SHARED_DATA "/defender-export", NULL);
    assert_int_equal(l->status, 0);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        const kq_file_report *file = file_report(l, expected[i].file);
        assert_non_null(file);
        assert_null(file->error);
        assert_string_equal(file->format, "defender-csv");
        assert_string_equal(file->tables, expected[i].table);
        assert_int_equal(file->records_read, expected[i].rows);
        assert_int_equal(file->records_loaded, expected[i].rows);
        assert_int_equal(file->records_skipped, 0);
        assert_int_equal(file->conversion_failures, 0);
        assert_int_equal(table_rows(l, expected[i].table), expected[i].rows);
    }
    loaded_free(l);
}

static void stream_records_land_in_tables(void **state)
{
    REQUIRE_SHARED_DATA();
    static const struct {
        const char *table;
        uint64_t rows;
    } expected[] = {
        {"DeviceNetworkEvents", 17}, {"DeviceImageLoadEvents", 3},     {"DeviceInfo", 2},
        {"DeviceProcessEvents", 2},  {"DeviceRegistryEvents", 2},      {"DeviceEvents", 1},
        {"DeviceFileCertificateInfo", 1}, {"DeviceFileEvents", 1},     {"DeviceLogonEvents", 1},
        {"DeviceNetworkInfo", 1},
    };
    loaded *l = load_arguments(NULL, SHARED_DATA "/defender-stream/elastic-m365-defender-test-device.jsonl", NULL);
    assert_int_equal(l->status, 0);
    const kq_file_report *file = &l->report.files[0];
    assert_string_equal(file->format, "defender-stream-lines");
    assert_int_equal(file->records_read, 31);
    assert_int_equal(file->records_loaded, 31);
    assert_int_equal(file->conversion_failures, 0);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        assert_int_equal(table_rows(l, expected[i].table), expected[i].rows);
    loaded_free(l);
}

static void sigma_regression_json_loads(void **state)
{
    REQUIRE_SHARED_DATA();
    loaded *l = load_arguments(NULL, SHARED_DATA "/sigma-regression", NULL);
    uint64_t read = 0, loaded_rows = 0;
    for (size_t i = 0; i < l->report.count; i++) {
        const kq_file_report *file = &l->report.files[i];
        size_t len = strlen(file->path);
        if (len < 5 || strcmp(file->path + len - 5, ".json") != 0)
            continue;
        assert_null(file->error);
        assert_string_equal(file->format, "evtx-json");
        read += file->records_read;
        loaded_rows += file->records_loaded;
    }
    /* Three process-creation cases and one file-event case of five Sysmon EID 11 events. */
    assert_int_equal(read, 8);
    assert_int_equal(loaded_rows, 8);
    /* The folder also contains each case as .evtx, which adds the same rows again. */
    assert_int_equal(table_rows(l, "DeviceProcessEvents"), 6);
    assert_int_equal(table_rows(l, "DeviceFileEvents"), 10);
    for (uint64_t r = 0; r < 10; r++)
        assert_string_equal(text_cell(l, "DeviceFileEvents", "ActionType", r), "FileCreated");
    loaded_free(l);
}

static int count_hashed_rows(const loaded *l)
{
    int hashed = 0;
    for (uint64_t r = 0; r < table_rows(l, "DeviceProcessEvents"); r++)
        if (text_cell(l, "DeviceProcessEvents", "SHA256", r)[0] || text_cell(l, "DeviceProcessEvents", "MD5", r)[0])
            hashed++;
    return hashed;
}

static void otrf_sysmon_process_events(void **state)
{
    REQUIRE_SHARED_DATA();
    const char *ready = getenv("KQLITE_OTRF_DIR");
    char dir[] = "/tmp/kqlite-otrf-XXXXXX";
    if (!ready || !*ready) {
        if (system("command -v unzip >/dev/null 2>&1") != 0) {
            print_message("unzip not found; skipping\n");
            skip();
        }
        assert_non_null(mkdtemp(dir));
        char command[1024];
        snprintf(command, sizeof command,
                 "cd '%s/otrf-atomic-windows' && find . -name '*.zip' | while read -r z; do "
                 "d='%s'/\"${z%%.zip}\"; mkdir -p \"$d\" && unzip -qo \"$z\" -d \"$d\" || exit 1; done",
                 SHARED_DATA, dir);
        assert_int_equal(system(command), 0);
        ready = dir;
    }
    loaded *l = load_arguments(NULL, ready, NULL);
    uint64_t read = 0, loaded_rows = 0, skipped = 0;
    for (size_t i = 0; i < l->report.count; i++) {
        const kq_file_report *file = &l->report.files[i];
        read += file->records_read;
        loaded_rows += file->records_loaded;
        skipped += file->records_skipped;
        /* Every record is either loaded or skipped with a reason. */
        assert_int_equal(file->records_read, file->records_loaded + file->records_skipped);
        /* Packet captures and __MACOSX forks in the folder are skipped as unknown formats. */
        assert_null(file->error);
        if (file->skipped)
            assert_string_equal(file->format, "unknown");
        else
            assert_string_equal(file->format, "nxlog-json");
    }
    /* Events per table, as kqlite maps them: Sysmon 1 + Security 4688; Sysmon 3;
     * Sysmon 5, 8, 10, 17, 18, 22; Sysmon 11, 15, 23, 26; Sysmon 12-14; Sysmon 7;
     * Security 4624, 4625. A line-by-line count with Python's json module (provider
     * from SourceName, else the Channel's first part) gives the same figures except
     * 6 fewer 4688 and 1 fewer 4624 events. */
    static const struct {
        const char *table;
        uint64_t rows;
    } expected[] = {
        {"DeviceProcessEvents", 1071 + 1379}, {"DeviceNetworkEvents", 3511},   {"DeviceEvents", 227713},
        {"DeviceFileEvents", 7831},           {"DeviceRegistryEvents", 162356}, {"DeviceImageLoadEvents", 58185},
        {"DeviceLogonEvents", 982 + 25},
    };
    uint64_t mapped = 0;
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        assert_int_equal(table_rows(l, expected[i].table), expected[i].rows);
        mapped += expected[i].rows;
    }
    assert_int_equal(read, 649637);
    assert_int_equal(loaded_rows, mapped);
    assert_int_equal(skipped, 649637 - mapped);
    /* Sysmon rows carry hashes and 4688 rows do not. */
    assert_int_equal(count_hashed_rows(l), 1071);
    loaded_free(l);
    if (ready == dir) {
        char command[256];
        snprintf(command, sizeof command, "rm -rf '%s'", dir);
        assert_int_equal(system(command), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ctf_process_events_exact),
        cmocka_unit_test(defender_exports_load_without_skips),
        cmocka_unit_test(stream_records_land_in_tables),
        cmocka_unit_test(sigma_regression_json_loads),
        cmocka_unit_test(otrf_sysmon_process_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
