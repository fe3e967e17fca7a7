/*
 * The EVTX parser against libevtx's evtxexport (Debian package
 * libevtx-utils) over every .evtx file under ../shared/data/evtx beside the
 * repository. For each file that evtxexport reads, the record count, each
 * record's EventRecordID and EventID, and every named EventData field must
 * match. Files evtxexport cannot read must still parse without damage.
 * Skips when the folder or evtxexport is missing.
 *
 * The SigmaHQ regression pairs under ../shared/data/sigma-regression (one
 * log as .evtx and as evtx_dump .json) must give the same Defender rows.
 *
 * Known rendering differences are normalized before comparing: evtxexport
 * zero-pads hexadecimal integers (0x000000000161c887 where Windows writes
 * 0x161c887), so hexadecimal values are compared as numbers, and it writes
 * FILETIME values with 9 fraction digits where Windows writes 7, so times are
 * compared as instants. It writes reals in %e form with 7 significant digits
 * and drops a string's trailing line breaks; both are normalized too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sources/evtx/evtx.h"
#include "test_sources_util.h"
#include "base/util.h"
#include "types/types.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EVTX_DATA KQLITE_SOURCE_DIR "/../shared/data/evtx"

/* One record as evtxexport printed it: its ids and its named Data fields. */
typedef struct reference_record {
    uint64_t record_id;
    int64_t event_id;
    json_t *fields; /* name -> string */
} reference_record;

typedef struct reference {
    reference_record *records;
    size_t count, cap;
} reference;

typedef struct corpus_totals {
    size_t files, compared_files, reference_failures, mismatched_files;
    uint64_t records, compared_fields, field_mismatches, damaged;
} corpus_totals;

static corpus_totals totals;

static void unescape_xml(char *text)
{
    static const struct {
        const char *entity;
        char c;
    } entities[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    char *out = text;
    for (char *in = text; *in;) {
        bool replaced = false;
        for (size_t i = 0; i < sizeof entities / sizeof entities[0] && *in == '&'; i++) {
            size_t len = strlen(entities[i].entity);
            if (strncmp(in, entities[i].entity, len) == 0) {
                *out++ = entities[i].c;
                in += len;
                replaced = true;
                break;
            }
        }
        if (!replaced)
            *out++ = *in++;
    }
    *out = '\0';
}

static reference_record *last_record(reference *ref)
{
    return ref->count ? &ref->records[ref->count - 1] : NULL;
}

/* Reads evtxexport -f xml output; returns false when evtxexport failed. */
static bool read_reference(const char *path, reference *ref)
{
    char command[4096];
    snprintf(command, sizeof command, "evtxexport -f xml '%s' 2>/dev/null", path);
    FILE *pipe = popen(command, "r");
    if (!pipe)
        return false;
    char *line = NULL, *pending = NULL;
    size_t cap = 0, pending_len = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, pipe)) >= 0) {
        if (pending) {
            /* A Data value with line breaks continues until its closing tag. */
            pending = realloc(pending, pending_len + (size_t)n + 1);
            memcpy(pending + pending_len, line, (size_t)n + 1);
            pending_len += (size_t)n;
        } else if (strstr(line, "<Event xmlns") || strcmp(line, "<Event>\n") == 0) {
            kq_grow((void **)&ref->records, &ref->cap, ref->count + 1, sizeof *ref->records);
            ref->records[ref->count++] = (reference_record){0, -1, json_object()};
            continue;
        } else if (strstr(line, "<EventRecordID>") && last_record(ref)) {
            last_record(ref)->record_id = strtoull(strstr(line, "<EventRecordID>") + 15, NULL, 10);
            continue;
        } else if (strstr(line, "<EventID") && last_record(ref)) {
            last_record(ref)->event_id = strtoll(strchr(strstr(line, "<EventID"), '>') + 1, NULL, 10);
            continue;
        } else if (strstr(line, "<Data Name=\"")) {
            pending = strdup(strstr(line, "<Data Name=\"") + 12);
            pending_len = strlen(pending);
        } else {
            continue;
        }
        char *close = strstr(pending, "</Data>");
        char *quote = strchr(pending, '"');
        if (!close && !strstr(pending, "\"/>"))
            continue;
        if (quote && last_record(ref)) {
            *quote = '\0';
            char *value = quote + 1;
            if (*value == '>' && close) {
                value++;
                *close = '\0';
            } else {
                value = quote; /* <Data Name="X"/>: the NUL written over the quote ends an empty value */
            }
            unescape_xml(pending);
            unescape_xml(value);
            json_object_set_new(last_record(ref)->fields, pending, json_string(value));
        }
        free(pending);
        pending = NULL;
    }
    free(line);
    free(pending);
    return pclose(pipe) == 0;
}

static void free_reference(reference *ref)
{
    for (size_t i = 0; i < ref->count; i++)
        json_decref(ref->records[i].fields);
    free(ref->records);
}

/* Our records of one file, in file order. */
typedef struct decoded {
    reference_record *records;
    size_t count, cap;
    uint64_t damaged;
    char first_damage[600];
} decoded;

static void collect(void *user, evtx_chunk_result *result)
{
    decoded *out = user;
    for (size_t i = 0; i < result->nevents; i++) {
        kq_grow((void **)&out->records, &out->cap, out->count + 1, sizeof *out->records);
        out->records[out->count++] = (reference_record){result->events[i].record_id, result->events[i].event_id,
                                                        evtx_event_data(&result->events[i])};
    }
    out->damaged += result->ndamage;
    if (result->ndamage && !out->first_damage[0])
        snprintf(out->first_damage, sizeof out->first_damage, "%s at %s", result->damage[0].reason,
                 result->damage[0].location);
}

static bool values_equal(const json_t *ours, const char *theirs)
{
    char text[64];
    const char *mine = text;
    if (json_is_integer(ours))
        snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(ours));
    else if (json_is_string(ours))
        mine = json_string_value(ours);
    else
        return false;
    if (strcmp(mine, theirs) == 0)
        return true;
    /* evtxexport drops a string value's trailing line breaks ("\n" prints as an empty <Data/>). */
    size_t mine_len = strlen(mine), theirs_len = strlen(theirs);
    while (mine_len && (mine[mine_len - 1] == '\n' || mine[mine_len - 1] == '\r'))
        mine_len--;
    if (mine_len == theirs_len && memcmp(mine, theirs, mine_len) == 0)
        return true;
    /* evtxexport writes reals as 3.199234e+003: compare as numbers to 6 significant digits. */
    char *end_mine, *end_theirs;
    double x = strtod(mine, &end_mine), y = strtod(theirs, &end_theirs);
    if (!*end_mine && !*end_theirs && end_mine != mine && strchr(theirs, 'e'))
        return x == y || (x - y) * (x - y) <= 1e-12 * x * x;
    if (strncmp(mine, "0x", 2) == 0 && strncmp(theirs, "0x", 2) == 0)
        return strtoull(mine, NULL, 16) == strtoull(theirs, NULL, 16);
    /* evtxexport writes FILETIME values with 9 fraction digits, Windows with 7: compare the instants. */
    int64_t a, b;
    if (strlen(mine) == 28 && mine[10] == 'T' && kq_datetime_parse(mine, strlen(mine), &a) &&
        kq_datetime_parse(theirs, strlen(theirs), &b))
        return a == b;
    return false;
}

/* Compares one record's named fields; returns the number of mismatches (printing the first). */
static uint64_t compare_fields(const char *path, const reference_record *ours, const reference_record *theirs)
{
    uint64_t mismatches = 0;
    const char *name;
    json_t *value;
    json_object_foreach(theirs->fields, name, value)
    {
        totals.compared_fields++;
        const json_t *mine = json_object_get(ours->fields, name);
        if (mine && values_equal(mine, json_string_value(value)))
            continue;
        if (mismatches++ == 0 && totals.field_mismatches < 20)
            print_message("%s record %" PRIu64 ": field %s is \"%s\", evtxexport has \"%s\"\n", path,
                          ours->record_id, name, json_is_string(mine) ? json_string_value(mine) : "(not a string)",
                          json_string_value(value));
    }
    return mismatches;
}

static void compare_file(const char *path, const uint8_t *data, size_t len)
{
    decoded ours = {0};
    evtx_decode_options options = {.threads = 0};
    char header_damage[160];
    if (!evtx_decode_file(data, len, &options, collect, &ours, header_damage, sizeof header_damage))
        fail_msg("%s: not recognized as an EVTX file", path);
    totals.records += ours.count;
    totals.damaged += ours.damaged;
    if (ours.damaged)
        print_message("%s: %" PRIu64 " damage reports, first: %s\n", path, ours.damaged, ours.first_damage);

    reference theirs = {0};
    if (!read_reference(path, &theirs)) {
        totals.reference_failures++;
    } else {
        totals.compared_files++;
        bool mismatch = theirs.count != ours.count;
        if (mismatch)
            print_message("%s: %zu records, evtxexport has %zu\n", path, ours.count, theirs.count);
        for (size_t i = 0; i < ours.count && i < theirs.count; i++) {
            if (ours.records[i].record_id != theirs.records[i].record_id ||
                ours.records[i].event_id != theirs.records[i].event_id) {
                print_message("%s: record %zu is id %" PRIu64 " EID %" PRId64 ", evtxexport has id %" PRIu64
                              " EID %" PRId64 "\n",
                              path, i, ours.records[i].record_id, ours.records[i].event_id,
                              theirs.records[i].record_id, theirs.records[i].event_id);
                mismatch = true;
            }
            uint64_t fields = compare_fields(path, &ours.records[i], &theirs.records[i]);
            totals.field_mismatches += fields;
            mismatch = mismatch || fields;
        }
        totals.mismatched_files += mismatch;
    }
    free_reference(&theirs);
    for (size_t i = 0; i < ours.count; i++)
        json_decref(ours.records[i].fields);
    free(ours.records);
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    size_t len = strlen(path);
    if (type != FTW_F || len < 5 || strcmp(path + len - 5, ".evtx") != 0)
        return 0;
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    uint8_t *data = malloc((size_t)st->st_size + 1);
    size_t read = fread(data, 1, (size_t)st->st_size, file);
    fclose(file);
    totals.files++;
    compare_file(path, data, read);
    free(data);
    return 0;
}

static void corpus_matches_evtxexport(void **state)
{
    (void)state;
    struct stat st;
    if (stat(EVTX_DATA, &st) != 0) {
        print_message("EVTX samples not found at %s; skipping\n", EVTX_DATA);
        skip();
    }
    if (system("command -v evtxexport > /dev/null 2>&1") != 0) {
        print_message("evtxexport not installed (Debian package libevtx-utils); skipping\n");
        skip();
    }
    assert_int_equal(nftw(EVTX_DATA, visit, 16, FTW_PHYS), 0);
    print_message("%zu files, %" PRIu64 " records; %zu compared with evtxexport (%zu it could not read), "
                  "%" PRIu64 " fields compared, %" PRIu64 " differ, %zu files differ, %" PRIu64 " damage reports\n",
                  totals.files, totals.records, totals.compared_files, totals.reference_failures,
                  totals.compared_fields, totals.field_mismatches, totals.mismatched_files, totals.damaged);
    assert_true(totals.files > 0);
    assert_int_equal(totals.mismatched_files, 0);
    assert_int_equal(totals.field_mismatches, 0);
    assert_int_equal(totals.damaged, 0);
}

/* Columns compared between the rows of a pair; all are filled by the Sysmon and 4688 mappings. */
static const char *const pair_columns[] = {"DeviceName", "DeviceId", "ActionType", "FileName", "FolderPath",
                                           "ProcessCommandLine", "SHA256", "MD5", "AccountName", "AccountDomain",
                                           "InitiatingProcessFileName", "InitiatingProcessCommandLine",
                                           "RemoteIP", "RemoteUrl", "LocalIP", "Protocol"};
static const char *const pair_long_columns[] = {"ProcessId", "InitiatingProcessId", "ReportId", "RemotePort",
                                                "LogonId"};

static void compare_pair(const char *json_path, const char *evtx_path, int *pairs)
{
    loaded *json = load_arguments(NULL, json_path, NULL);
    loaded *evtx = load_arguments(NULL, evtx_path, NULL);
    assert_int_equal(evtx->status, 0);
    assert_int_equal(evtx->report.files[0].records_skipped, 0);
    assert_int_equal(evtx->report.files[0].records_read, json->report.files[0].records_read);
    static const char *const tables[] = {"DeviceProcessEvents", "DeviceNetworkEvents"};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        uint64_t rows = table_rows(json, tables[t]);
        assert_int_equal(table_rows(evtx, tables[t]), rows);
        for (uint64_t r = 0; r < rows; r++) {
            for (size_t c = 0; c < sizeof pair_columns / sizeof pair_columns[0]; c++) {
                /* evtx_dump trims trailing spaces that the log's values have ("cmd.exe\" "), so
                 * the EVTX value is compared without them. */
                char expected[4096], actual[4096];
                snprintf(expected, sizeof expected, "%s", text_cell(json, tables[t], pair_columns[c], r));
                snprintf(actual, sizeof actual, "%s", text_cell(evtx, tables[t], pair_columns[c], r));
                size_t actual_len = strlen(actual);
                while (actual_len && actual[actual_len - 1] == ' ')
                    actual[--actual_len] = '\0';
                assert_string_equal(actual, expected);
            }
            for (size_t c = 0; c < sizeof pair_long_columns / sizeof pair_long_columns[0]; c++)
                assert_int_equal(long_cell(evtx, tables[t], pair_long_columns[c], r),
                                 long_cell(json, tables[t], pair_long_columns[c], r));
            char expected_time[32];
            snprintf(expected_time, sizeof expected_time, "%s", datetime_cell(json, tables[t], "Timestamp", r));
            assert_string_equal(datetime_cell(evtx, tables[t], "Timestamp", r), expected_time);
        }
    }
    (*pairs)++;
    loaded_free(json);
    loaded_free(evtx);
}

static int pairs_compared;

static int visit_pair(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t len = strlen(path);
    if (type != FTW_F || len < 5 || strcmp(path + len - 5, ".evtx") != 0)
        return 0;
    char json_path[4096];
    snprintf(json_path, sizeof json_path, "%.*s.json", (int)(len - 5), path);
    struct stat json_st;
    if (stat(json_path, &json_st) == 0)
        compare_pair(json_path, path, &pairs_compared);
    return 0;
}

static void sigma_pairs_match_json(void **state)
{
    (void)state;
    const char *folder = KQLITE_SOURCE_DIR "/../shared/data/sigma-regression";
    struct stat st;
    if (stat(folder, &st) != 0) {
        print_message("SigmaHQ regression pairs not found at %s; skipping\n", folder);
        skip();
    }
    assert_int_equal(nftw(folder, visit_pair, 16, FTW_PHYS), 0);
    print_message("%d EVTX/JSON pairs compared\n", pairs_compared);
    assert_true(pairs_compared > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_matches_evtxexport),
        cmocka_unit_test(sigma_pairs_match_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
