/* Unit tests for exclusions: the file loader (src/rules/exclusions.c) and their application (exclusion_run.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/util.h"
#include "kql/compile.h"
#include "rules/exclusion_run.h"
#include "sources/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct loaded {
    kq_exclusion_set set;
    kq_diags diags;
    bool ok;
} loaded;

static void load(loaded *out, const char *text)
{
    kq_exclusion_set_init(&out->set);
    kq_diags_init(&out->diags);
    out->ok = kq_exclusions_load_buffer("tuning.yaml", text, strlen(text), &out->set, &out->diags);
}

static void release(loaded *in)
{
    kq_exclusion_set_free(&in->set);
    kq_diags_free(&in->diags);
}

static int64_t at(const char *text)
{
    int64_t ticks = 0;
    assert_true(kq_datetime_parse(text, strlen(text), &ticks));
    return ticks;
}

static void entry_fields(void **unused)
{
    loaded in;
    load(&in, "exclusions:\n"
              "  - name: help desk\n"
              "    rules: [\"60b5405c-*\", \"Ammyy*\"]\n"
              "    scope: source\n"
              "    where: AccountName in~ (\"helpdeskuser\")\n"
              "    reason: ticketed sessions\n"
              "    expires: 2027-06-30\n");
    assert_true(in.ok);
    assert_int_equal(in.diags.count, 0);
    assert_int_equal(in.set.count, 1);
    const kq_exclusion *entry = &in.set.items[0];
    assert_string_equal(entry->name, "help desk");
    assert_int_equal(entry->line, 2);
    assert_int_equal(entry->column, 5);
    assert_int_equal(entry->npatterns, 2);
    assert_int_equal(entry->scope, KQ_EXCLUSION_SOURCE);
    assert_string_equal(entry->predicate, "AccountName in~ (\"helpdeskuser\")");
    assert_int_equal(entry->predicate_line, 5);
    assert_int_equal(entry->predicate_indent[0], 11);
    /* A date expires at the end of that day (UTC). */
    assert_false(kq_exclusion_expired(entry, at("2027-06-30T23:59:59.9999999Z")));
    assert_true(kq_exclusion_expired(entry, at("2027-07-01T00:00:00Z")));
    release(&in);
}

static void defaults_and_bare_list(void **unused)
{
    loaded in;
    load(&in, "- rules: x\n  where: |\n    Count > 1\n      and DeviceName != \"\"\n  reason: r\n");
    assert_true(in.ok);
    const kq_exclusion *entry = &in.set.items[0];
    assert_string_equal(entry->name, "entry at line 1");
    assert_int_equal(entry->scope, KQ_EXCLUSION_RESULT);
    assert_null(entry->expires_text);
    assert_false(kq_exclusion_expired(entry, at("9999-01-01T00:00:00Z")));
    /* A literal block starts on the line after the key. */
    assert_int_equal(entry->predicate_line, 3);
    assert_int_equal(entry->npredicate_lines, 3);
    assert_int_equal(entry->predicate_indent[0], 4);
    assert_int_equal(entry->predicate_indent[1], 6);
    release(&in);
}

static void entry_errors(void **unused)
{
    loaded in;
    load(&in, "exclusions:\n"
              "  - rules: a\n    where: x\n"
              "  - rules: a\n    reason: r\n"
              "  - rules: a\n    where: x\n    reason: r\n    scope: rows\n"
              "  - rules: a\n    where: x\n    reason: r\n    expires: someday\n"
              "  - rules: a\n    where: x\n    reason: r\n    note: kept\n");
    assert_false(in.ok);
    assert_int_equal(in.set.count, 1); /* only the entry with an unknown key is loaded */
    assert_int_equal(in.diags.errors, 4);
    assert_string_equal(in.diags.items[0].message, "exclusion has no 'reason'; the entry is not applied");
    assert_int_equal(in.diags.items[0].line, 2);
    assert_string_equal(in.diags.items[1].message, "exclusion has no 'where'; the entry is not applied");
    assert_non_null(strstr(in.diags.items[2].message, "'scope' must be 'result'"));
    assert_int_equal(in.diags.items[2].line, 9);
    assert_int_equal(in.diags.items[2].column, 12);
    assert_non_null(strstr(in.diags.items[3].message, "'expires' must be a date"));
    assert_int_equal(in.diags.items[4].severity, KQ_SEVERITY_WARNING);
    assert_string_equal(in.diags.items[4].message, "unknown key 'note' in an exclusion; it is ignored");
    release(&in);
}

static void document_errors(void **unused)
{
    const char *texts[] = {"", "exclusions: 3\n", "other: []\n", "- [a\n"};
    const char *messages[] = {"file holds no exclusions", "expected a list of exclusions",
                              "expected a list of exclusions", "invalid YAML"};
    for (size_t i = 0; i < KQ_ARRAY_LEN(texts); i++) {
        loaded in;
        load(&in, texts[i]);
        assert_false(in.ok);
        assert_true(in.diags.count >= 1);
        assert_non_null(strstr(in.diags.items[0].message, messages[i]));
        release(&in);
    }
}

static void rule_matching(void **unused)
{
    loaded in;
    load(&in, "- rules: [\"60b5405c-81b6-46b4-91ef-d668e06e727e\", \"*ammyy*create*\"]\n  where: x\n  reason: r\n");
    const kq_exclusion *entry = &in.set.items[0];
    kq_rule by_id = {.id = "60b5405c-81b6-46b4-91ef-d668e06e727e", .name = "anything"};
    kq_rule by_name = {.id = "other", .name = "Remote Management and Monitoring tool - Ammyy - Create Process"};
    kq_rule neither = {.id = "other", .name = "Ammyy Admin (RMM) - network connection"};
    kq_rule unnamed = {0};
    assert_true(kq_exclusion_matches_rule(entry, &by_id));
    assert_true(kq_exclusion_matches_rule(entry, &by_name));
    assert_false(kq_exclusion_matches_rule(entry, &neither));
    assert_false(kq_exclusion_matches_rule(entry, &unnamed));
    release(&in);
}

/* Four process starts of Ammyy Admin on two devices and one other process. */
static const char *const process_csv =
    "Timestamp,DeviceName,AccountName,InitiatingProcessFileName,ProcessVersionInfoProductName,ReportId\n"
    "2026-11-28T10:00:00.0000000Z,fin-wks-014,m.okafor,explorer.exe,Ammyy Admin,1\n"
    "2026-11-28T11:00:00.0000000Z,fin-wks-014,helpdeskuser,msiexec.exe,Ammyy Admin,2\n"
    "2026-11-28T12:00:00.0000000Z,fin-wks-014,ITSupport,explorer.exe,Ammyy Admin,3\n"
    "2026-11-28T13:00:00.0000000Z,it-lab-007,r.tester,explorer.exe,Ammyy Admin,4\n"
    "2026-11-28T14:00:00.0000000Z,fin-wks-014,ITSupport,explorer.exe,Windows,5\n";

typedef struct fixture {
    kq_catalog *catalog;
    kq_query *query;
    loaded exclusions;
    const kq_exclusion *entries[8];
    kq_rule_run run;
    kq_diags diags;
    bool ok;
} fixture;

static void run_fixture(fixture *f, const char *exclusions_text, bool keep_suppressed)
{
    memset(f, 0, sizeof *f);
    f->catalog = kq_catalog_new();
    kq_load_report report;
    kq_load_report_init(&report);
    assert_int_equal(kq_load_buffer(f->catalog, "DeviceProcessEvents.csv", process_csv, strlen(process_csv), NULL,
                                     &report), 0);
    kq_catalog_finish(f->catalog);
    kq_load_report_free(&report);
    const char *text = "DeviceProcessEvents\n| where ProcessVersionInfoProductName has 'Ammyy Admin'\n"
                       "| summarize Count=count(), Report=make_set(ReportId) by DeviceName";
    kq_source source = {.file = "rule.kql", .text = text, .len = strlen(text), .first_line = 1};
    kq_diags_init(&f->diags);
    f->query = kq_compile(&source, f->catalog, &f->diags);
    assert_non_null(f->query);
    load(&f->exclusions, exclusions_text);
    assert_true(f->exclusions.ok);
    for (size_t i = 0; i < f->exclusions.set.count; i++)
        f->entries[i] = &f->exclusions.set.items[i];
    f->ok = kq_rule_run_with_exclusions(f->query, f->catalog, at("2026-12-01T00:00:00Z"), f->entries,
                                        f->exclusions.set.count, "test rule", "rule.kql", keep_suppressed, &f->run,
                                        &f->diags);
}

static void free_fixture(fixture *f)
{
    kq_rule_run_free(&f->run);
    kq_query_free(f->query);
    kq_catalog_free(f->catalog);
    release(&f->exclusions);
    kq_diags_free(&f->diags);
}

static void source_and_result_scopes(void **unused)
{
    fixture f;
    run_fixture(&f, "- name: accounts\n  rules: x\n  scope: source\n"
                    "  where: AccountName in~ (\"helpdeskuser\", \"itsupport\")\n  reason: r\n"
                    "- name: deployment\n  rules: x\n  scope: source\n"
                    "  where: InitiatingProcessFileName =~ \"msiexec.exe\"\n  reason: r\n"
                    "- name: lab\n  rules: x\n  where: DeviceName startswith \"it-lab-\"\n  reason: r\n",
                true);
    assert_true(f.ok);
    /* fin-wks-014 keeps only report 1; the lab device is suppressed on the result. */
    assert_int_equal(f.run.result->nrows, 1);
    /* helpdeskuser's start also comes from msiexec.exe: the first entry in the file takes it.
       ITSupport's non-Ammyy process is not counted: the rule's filter drops it. */
    assert_int_equal(f.run.suppressed[0], 2);
    assert_int_equal(f.run.suppressed[1], 0);
    assert_int_equal(f.run.suppressed[2], 1);
    assert_non_null(f.run.suppressed_rows[0]);
    assert_int_equal(f.run.suppressed_rows[0]->nrows, 2);
    assert_null(f.run.suppressed_rows[1]);
    assert_int_equal(f.run.suppressed_rows[2]->nrows, 1);
    const kq_batch *batch = f.run.result->batches[0];
    assert_int_equal(batch->cols[1].v.l[0], 1); /* Count */
    free_fixture(&f);
}

static void null_predicate_keeps_row(void **unused)
{
    fixture f;
    /* toint("x") is null for every row: the row is kept, as a where clause would keep nothing out. */
    run_fixture(&f, "- rules: x\n  where: toint(\"x\") > 0 or toint(\"x\") < 0\n  reason: r\n", false);
    assert_true(f.ok);
    assert_int_equal(f.run.result->nrows, 2);
    assert_int_equal(f.run.suppressed[0], 0);
    assert_null(f.run.suppressed_rows[0]);
    free_fixture(&f);
}

static void unknown_column_error(void **unused)
{
    fixture f;
    run_fixture(&f, "- name: by-account\n  rules: x\n  where: AccountName == \"ITSupport\"\n  reason: r\n", false);
    assert_false(f.ok);
    assert_null(f.run.result);
    assert_int_equal(f.diags.errors, 2);
    const kq_diag *context = &f.diags.items[0];
    assert_string_equal(context->file, "tuning.yaml");
    assert_int_equal(context->line, 1);
    assert_non_null(strstr(context->message, "exclusion 'by-account' cannot be applied to rule 'test rule'"));
    assert_non_null(strstr(context->hint, "DeviceName, Count, Report"));
    const kq_diag *column = &f.diags.items[1];
    assert_int_equal(column->line, 3);
    assert_int_equal(column->column, 10);
    /* The line is shown with the text before the predicate blanked, so the caret lines up with the file. */
    assert_string_equal(column->line_text, "         AccountName == \"ITSupport\"");
    assert_int_equal(column->caret_start, 9);
    assert_int_equal(column->caret_end, 20);
    free_fixture(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entry_fields),
        cmocka_unit_test(defaults_and_bare_list),
        cmocka_unit_test(entry_errors),
        cmocka_unit_test(document_errors),
        cmocka_unit_test(rule_matching),
        cmocka_unit_test(source_and_result_scopes),
        cmocka_unit_test(null_predicate_keeps_row),
        cmocka_unit_test(unknown_column_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
