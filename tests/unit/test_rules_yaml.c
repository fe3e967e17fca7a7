/*
 * Unit tests for the Sentinel YAML rule loader (src/rules/).
 *
 * Fixtures live in tests/fixtures/rules/. The last group runs over the public
 * RMM rule pack (jischell-msft/RemoteManagementMonitoringTools) when a copy
 * sits beside the repository, and is skipped otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/util.h"
#include "rules/rule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FIXTURES KQLITE_SOURCE_DIR "/tests/fixtures/rules/"
#ifndef RMM_PACK
#define RMM_PACK KQLITE_SOURCE_DIR "/../shared/rules/rmm"
#endif
#define BUNDLED_PACK KQLITE_SOURCE_DIR "/rules/rmm"
/* Rules tools/gen-rmm-rules.py writes from rules/facts/rmm-tools.json; update with the facts. */
#define BUNDLED_RULES 177

typedef struct loaded {
    kq_rule_set set;
    kq_diags diags;
    size_t count;
} loaded;

static void load_path(loaded *out, const char *path)
{
    kq_rule_set_init(&out->set);
    kq_diags_init(&out->diags);
    out->count = kq_rules_load_path(path, &out->set, &out->diags);
}

static void load_text(loaded *out, const char *text)
{
    kq_rule_set_init(&out->set);
    kq_diags_init(&out->diags);
    out->count = kq_rules_load_buffer("inline.yaml", text, strlen(text), &out->set, &out->diags);
}

static void release(loaded *in)
{
    kq_rule_set_free(&in->set);
    kq_diags_free(&in->diags);
}

static size_t count_severity(const kq_diags *diags, kq_severity severity)
{
    size_t n = 0;
    for (size_t i = 0; i < diags->count; i++)
        n += diags->items[i].severity == severity;
    return n;
}

/* Returns the first diagnostic whose message contains text, or NULL. */
static const kq_diag *find_diag(const kq_diags *diags, const char *text)
{
    for (size_t i = 0; i < diags->count; i++)
        if (strstr(diags->items[i].message, text))
            return &diags->items[i];
    return NULL;
}

/* Copies 1-based line `line` of text (without its CR LF or LF) into a new string. */
static char *file_line(const char *text, int line)
{
    const char *start = text;
    for (int i = 1; i < line && start; i++) {
        start = strchr(start, '\n');
        if (start)
            start++;
    }
    if (!start)
        return NULL;
    size_t len = strcspn(start, "\r\n");
    return kq_xstrndup(start, len);
}

/*
 * Checks the query's line map against the file: each non-empty query line k
 * must appear on file line first_line + k after indent[k] bytes.
 */
static void assert_query_map_matches_file(const kq_rule *rule)
{
    size_t len;
    char *text = kq_read_file(rule->file, &len);
    assert_non_null(text);
    const kq_source *source = &rule->query_source;
    assert_ptr_equal(source->text, rule->query);
    const char *line_start = rule->query;
    for (int k = 0; k < source->nindent; k++) {
        size_t line_len = strcspn(line_start, "\n");
        char *raw = file_line(text, source->first_line + k);
        assert_non_null(raw);
        if (line_len > 0) {
            assert_true(strlen(raw) >= (size_t)source->indent[k] + line_len);
            assert_memory_equal(raw + source->indent[k], line_start, line_len);
        }
        free(raw);
        line_start += line_len + (line_start[line_len] == '\n');
    }
    free(text);
}

/* Returns the file position of the first occurrence of token in the rule's query. */
static void token_position(const kq_rule *rule, const char *token, int *line, int *column)
{
    const char *hit = strstr(rule->query, token);
    assert_non_null(hit);
    kq_source_position(&rule->query_source, (size_t)(hit - rule->query), line, column);
}

static void good_rule_fields(void **state)
{
    loaded in;
    load_path(&in, FIXTURES "good.yaml");
    assert_int_equal(in.count, 1);
    assert_int_equal(in.diags.count, 0);
    const kq_rule *rule = in.set.rules[0];
    assert_string_equal(rule->file, FIXTURES "good.yaml");
    assert_string_equal(rule->id, "3f0c8f6e-2b1a-4c55-9d5e-0c1b2a3d4e5f");
    assert_string_equal(rule->name, "Fixture - remote access tool started");
    assert_non_null(strstr(rule->description, "literal block scalar.\n"));
    assert_string_equal(rule->severity, "Medium");
    assert_string_equal(rule->kind, "Scheduled");
    assert_string_equal(rule->version, "1.0.0");
    assert_int_equal(rule->ntactics, 1);
    assert_string_equal(rule->tactics[0], "CommandAndControl");
    assert_int_equal(rule->ntechniques, 1);
    assert_string_equal(rule->techniques[0], "T1219");
    assert_int_equal(rule->nconnectors, 1);
    assert_string_equal(rule->connectors[0], "MicrosoftThreatProtection");
    assert_int_equal(rule->ndata_types, 1);
    assert_string_equal(rule->data_types[0], "DeviceProcessEvents");
    assert_string_equal(rule->query_frequency, "1h");
    assert_string_equal(rule->query_period, "5d");
    assert_string_equal(rule->trigger_operator, "gt");
    assert_true(rule->has_trigger);
    assert_int_equal(rule->trigger_threshold, 0);
    release(&in);
}

static void good_rule_query_text(void **state)
{
    loaded in;
    load_path(&in, FIXTURES "good.yaml");
    assert_int_equal(in.count, 1);
    const kq_rule *rule = in.set.rules[0];
    assert_true(strncmp(rule->query, "let Time_start = now(-5d);\nlet Time_end = now();\n", 48) == 0);
    assert_non_null(strstr(rule->query, "\n    and ProcessVersionInfoProductName has 'Example Remote'\n"));
    assert_int_equal(rule->query[rule->query_len - 1], '\n');
    assert_int_equal(strlen(rule->query), rule->query_len);
    release(&in);
}

static void good_rule_query_map(void **state)
{
    loaded in;
    load_path(&in, FIXTURES "good.yaml");
    assert_int_equal(in.count, 1);
    const kq_rule *rule = in.set.rules[0];
    assert_int_equal(rule->query_source.first_line, 18);
    assert_int_equal(rule->query_source.nindent, 8);
    assert_int_equal(rule->query_source.indent[0], 2);
    assert_int_equal(rule->query_source.indent[5], 2);

    int line, column;
    token_position(rule, "ProcessVersionInfoProductName", &line, &column);
    assert_int_equal(line, 23);
    assert_int_equal(column, 11);
    token_position(rule, "DeviceProcessEvents", &line, &column);
    assert_int_equal(line, 20);
    assert_int_equal(column, 3);
    assert_query_map_matches_file(rule);
    release(&in);
}

static void query_error_shows_file_line(void **state)
{
    loaded in;
    load_path(&in, FIXTURES "good.yaml");
    assert_int_equal(in.count, 1);
    const kq_rule *rule = in.set.rules[0];
    const char *token = strstr(rule->query, "'Example Corp'");
    assert_non_null(token);
    size_t start = (size_t)(token - rule->query);
    kq_diags diags;
    kq_diags_init(&diags);
    kq_diags_add(&diags, &rule->query_source, KQ_SEVERITY_ERROR, start, start + 14, "test");
    assert_int_equal(diags.items[0].line, 22);
    assert_int_equal(diags.items[0].column, 45);
    assert_string_equal(diags.items[0].line_text,
                        "  | where ProcessVersionInfoCompanyName has 'Example Corp'");
    assert_int_equal(diags.items[0].caret_start, 44);
    kq_diags_free(&diags);
    release(&in);
}

static void misindented_connectors_repaired(void **state)
{
    loaded in;
    load_path(&in, FIXTURES "misindented.yaml");
    assert_int_equal(in.count, 1);
    assert_int_equal(in.diags.errors, 0);
    assert_int_equal(count_severity(&in.diags, KQ_SEVERITY_WARNING), 2);

    const kq_diag *first = &in.diags.items[0];
    assert_string_equal(first->file, FIXTURES "misindented.yaml");
    assert_int_equal(first->line, 5);
    assert_int_equal(first->column, 5);
    assert_non_null(strstr(first->message,
                           "requiredDataConnectors: 'dataTypes' is indented like a list item"));
    assert_non_null(strstr(first->message, "list item on line 4"));
    assert_string_equal(first->line_text, "    dataTypes:");
    assert_int_equal(in.diags.items[1].line, 9);

    const kq_rule *rule = in.set.rules[0];
    assert_int_equal(rule->nconnectors, 2);
    assert_string_equal(rule->connectors[1], "SecondConnector");
    assert_int_equal(rule->ndata_types, 3);
    assert_string_equal(rule->data_types[0], "DeviceNetworkEvents");
    assert_string_equal(rule->data_types[1], "DeviceProcessEvents");
    assert_string_equal(rule->data_types[2], "DeviceFileCertificateInfo");
    assert_int_equal(rule->query_source.first_line, 14);
    assert_query_map_matches_file(rule);
    release(&in);
}

static void broken_yaml_reports_position(void **state)
{
    loaded in;
    load_path(&in, FIXTURES "broken.yaml");
    assert_int_equal(in.count, 0);
    assert_int_equal(in.diags.errors, 1);
    const kq_diag *diag = &in.diags.items[0];
    assert_non_null(strstr(diag->message, "invalid YAML: found unexpected end of stream"));
    assert_non_null(strstr(diag->message, "quoted scalar that starts at line 2, column 7"));
    assert_int_equal(diag->line, 6);
    release(&in);

    load_path(&in, FIXTURES "broken_mapping.yaml");
    assert_int_equal(in.count, 0);
    assert_int_equal(in.diags.errors, 1);
    diag = &in.diags.items[0];
    assert_non_null(strstr(diag->message, "cannot start any token"));
    assert_int_equal(diag->line, 4);
    assert_int_equal(diag->column, 8);
    assert_string_equal(diag->line_text, "query: |");
    release(&in);
}

static void missing_query_is_error(void **state)
{
    loaded in;
    load_path(&in, FIXTURES "missing_query.yaml");
    assert_int_equal(in.count, 0);
    assert_int_equal(in.diags.errors, 1);
    assert_string_equal(in.diags.items[0].message, "rule has no 'query'");
    assert_int_equal(in.diags.items[0].line, 1);
    release(&in);
}

static void list_tactics_and_quoted_query(void **state)
{
    loaded in;
    load_path(&in, FIXTURES "list_tactics.yaml");
    assert_int_equal(in.count, 1);
    assert_int_equal(in.diags.count, 0);
    const kq_rule *rule = in.set.rules[0];
    assert_int_equal(rule->ntactics, 2);
    assert_string_equal(rule->tactics[0], "CommandAndControl");
    assert_string_equal(rule->tactics[1], "Persistence");
    assert_int_equal(rule->ntechniques, 2);
    assert_string_equal(rule->techniques[1], "T1133");
    assert_int_equal(rule->ndata_types, 1);
    assert_string_equal(rule->data_types[0], "DeviceProcessEvents");
    assert_string_equal(rule->query, "DeviceProcessEvents | where FileName =~ 'example.exe'");

    int line, column;
    token_position(rule, "FileName", &line, &column);
    assert_int_equal(line, 10);
    assert_int_equal(column, 37);
    assert_query_map_matches_file(rule);
    release(&in);
}

static void plain_query_maps_column(void **state)
{
    loaded in;
    load_path(&in, FIXTURES "plain_query.yaml");
    assert_int_equal(in.count, 1);
    const kq_rule *rule = in.set.rules[0];
    assert_string_equal(rule->query, "DeviceProcessEvents | take 10");
    assert_int_equal(rule->query_source.first_line, 3);
    assert_int_equal(rule->query_source.indent[0], 9);
    assert_query_map_matches_file(rule);
    release(&in);
}

static void crlf_file_loads(void **state)
{
    loaded in;
    load_path(&in, FIXTURES "crlf.yaml");
    assert_int_equal(in.count, 1);
    assert_int_equal(in.diags.errors, 0);
    assert_int_equal(count_severity(&in.diags, KQ_SEVERITY_WARNING), 1);
    assert_int_equal(in.diags.items[0].line, 5);
    assert_string_equal(in.diags.items[0].line_text, "    dataTypes:");
    const kq_rule *rule = in.set.rules[0];
    assert_string_equal(rule->name, "Fixture - CRLF line endings");
    assert_null(strchr(rule->query, '\r'));
    assert_string_equal(rule->data_types[0], "DeviceFileCertificateInfo");
    assert_int_equal(rule->query_source.first_line, 10);
    assert_query_map_matches_file(rule);
    int line, column;
    token_position(rule, "Signer", &line, &column);
    assert_int_equal(line, 11);
    assert_int_equal(column, 11);
    release(&in);
}

static void empty_file_is_error(void **state)
{
    loaded in;
    load_path(&in, FIXTURES "empty.yaml");
    assert_int_equal(in.count, 0);
    assert_int_equal(in.diags.errors, 1);
    assert_string_equal(in.diags.items[0].message, "file is empty: no rule to load");
    release(&in);

    load_text(&in, "# only a comment\n\n   \n");
    assert_int_equal(in.count, 0);
    assert_int_equal(in.diags.errors, 1);
    release(&in);
}

static void non_utf8_file_is_error(void **state)
{
    loaded in;
    load_path(&in, FIXTURES "non_utf8.yaml");
    assert_int_equal(in.count, 0);
    assert_int_equal(in.diags.errors, 1);
    const kq_diag *diag = &in.diags.items[0];
    assert_non_null(strstr(diag->message, "UTF-8"));
    assert_int_equal(diag->line, 2);
    assert_non_null(diag->hint);
    release(&in);

    static const char utf16[] = "\xff\xfei\x00" "d\x00";
    kq_rule_set_init(&in.set);
    kq_diags_init(&in.diags);
    assert_int_equal(kq_rules_load_buffer("utf16.yaml", utf16, sizeof utf16 - 1, &in.set, &in.diags), 0);
    assert_non_null(find_diag(&in.diags, "UTF-16"));
    release(&in);
}

static void folder_loads_sorted(void **state)
{
    loaded in;
    load_path(&in, FIXTURES);
    /* good, list_tactics, misindented, plain_query and crlf load; five files fail. */
    assert_int_equal(in.count, 5);
    assert_int_equal(in.set.count, 5);
    assert_int_equal(in.diags.errors, 5);
    for (size_t i = 1; i < in.set.count; i++)
        assert_true(strcmp(in.set.rules[i - 1]->file, in.set.rules[i]->file) < 0);
    assert_non_null(strstr(in.set.rules[0]->file, "crlf.yaml"));
    release(&in);
}

static void missing_path_is_error(void **state)
{
    loaded in;
    load_path(&in, FIXTURES "no-such-rule.yaml");
    assert_int_equal(in.count, 0);
    assert_int_equal(in.diags.errors, 1);
    assert_non_null(strstr(in.diags.items[0].message, "cannot open rule path"));
    release(&in);
}

static void wrong_shapes_rejected(void **state)
{
    loaded in;
    load_text(&in, "- id: x\n  query: T\n");
    assert_int_equal(in.count, 0);
    assert_non_null(find_diag(&in.diags, "expected a mapping of rule fields"));
    release(&in);

    load_text(&in, "id: x\nquery:\n  table: T\n");
    assert_int_equal(in.count, 0);
    assert_non_null(find_diag(&in.diags, "'query' must be a string"));
    release(&in);

    load_text(&in, "id: x\nquery: \"  \"\n");
    assert_int_equal(in.count, 0);
    assert_non_null(find_diag(&in.diags, "'query' is empty"));
    release(&in);

    load_text(&in, "id: x\nquery: \"T\\0 | take 1\"\n");
    assert_int_equal(in.count, 0);
    assert_non_null(find_diag(&in.diags, "NUL character"));
    release(&in);
}

static void field_warnings(void **state)
{
    loaded in;
    load_text(&in, "query: T\nquery: U\ntriggerThreshold: lots\nname: [a]\n"
                   "tactics: {a: b}\nrequiredDataConnectors: x\n");
    assert_int_equal(in.count, 1);
    assert_int_equal(in.diags.errors, 0);
    const kq_rule *rule = in.set.rules[0];
    assert_string_equal(rule->query, "U");
    assert_false(rule->has_trigger);
    assert_null(rule->name);
    assert_int_equal(rule->ntactics, 0);
    assert_non_null(find_diag(&in.diags, "'query' appears twice"));
    assert_non_null(find_diag(&in.diags, "'triggerThreshold' must be an integer"));
    assert_non_null(find_diag(&in.diags, "'name' must be a string"));
    assert_non_null(find_diag(&in.diags, "'tactics' must be a string or a list"));
    assert_non_null(find_diag(&in.diags, "'requiredDataConnectors' must be a list"));
    assert_non_null(find_diag(&in.diags, "rule has no 'id'"));
    assert_non_null(find_diag(&in.diags, "rule has no 'name'"));
    release(&in);

    load_text(&in, "id: a\nname: b\nquery: T\n---\nid: c\n");
    assert_int_equal(in.count, 1);
    assert_non_null(find_diag(&in.diags, "more than one YAML document"));
    release(&in);

    load_text(&in, "id: a\nname: b\nquery: T\ntriggerThreshold: 99999999999999999999\n");
    assert_int_equal(in.count, 1);
    assert_false(in.set.rules[0]->has_trigger);
    release(&in);

    load_text(&in, "id:\nname: b\nquery: T\n");
    assert_int_equal(in.count, 1);
    assert_null(in.set.rules[0]->id);
    assert_non_null(find_diag(&in.diags, "rule has no 'id'"));
    release(&in);
}

static void block_styles_map_lines(void **state)
{
    loaded in;
    /* Leading empty line, strip chomping and an explicit indentation indicator. */
    load_text(&in, "id: a\nname: b\nquery: |-\n\n    T\n      | take 1\n");
    assert_int_equal(in.count, 1);
    const kq_rule *rule = in.set.rules[0];
    assert_string_equal(rule->query, "\nT\n  | take 1");
    assert_int_equal(rule->query_source.first_line, 4);
    int line, column;
    token_position(rule, "take", &line, &column);
    assert_int_equal(line, 6);
    assert_int_equal(column, 9);
    release(&in);

    load_text(&in, "id: a\nname: b\nquery: |2\n    T\n  | take 1\n");
    assert_int_equal(in.count, 1);
    rule = in.set.rules[0];
    assert_string_equal(rule->query, "  T\n| take 1\n");
    token_position(rule, "T", &line, &column);
    assert_int_equal(line, 4);
    assert_int_equal(column, 5);
    token_position(rule, "take", &line, &column);
    assert_int_equal(line, 5);
    assert_int_equal(column, 5);
    release(&in);

    load_text(&in, "id: a\nname: b\nquery: >\n   T\n   | take 1\n");
    assert_int_equal(in.count, 1);
    rule = in.set.rules[0];
    assert_string_equal(rule->query, "T | take 1\n");
    token_position(rule, "T", &line, &column);
    assert_int_equal(line, 4);
    assert_int_equal(column, 4);
    release(&in);
}

static void repair_is_bounded(void **state)
{
    kq_buf text;
    kq_buf_init(&text);
    kq_buf_puts(&text, "id: a\nname: b\nquery: T\nlist:\n");
    for (int i = 0; i < KQ_RULE_MAX_REPAIRS + 2; i++)
        kq_buf_printf(&text, "    - key%d: v\n    extra%d: w\n", i, i);
    loaded in;
    load_text(&in, text.data);
    assert_int_equal(in.count, 0);
    assert_int_equal(in.diags.errors, 1);
    assert_int_equal(count_severity(&in.diags, KQ_SEVERITY_WARNING), KQ_RULE_MAX_REPAIRS);
    assert_non_null(find_diag(&in.diags, "did not find expected '-' indicator"));
    release(&in);
    kq_buf_free(&text);
}

static void oversized_buffer_rejected(void **state)
{
    size_t len = KQ_RULE_FILE_MAX_BYTES + 1;
    char *data = kq_xmalloc(len);
    memset(data, ' ', len);
    loaded in;
    kq_rule_set_init(&in.set);
    kq_diags_init(&in.diags);
    assert_int_equal(kq_rules_load_buffer("big.yaml", data, len, &in.set, &in.diags), 0);
    assert_non_null(find_diag(&in.diags, "over the"));
    release(&in);
    free(data);
}

static bool rmm_pack_present(void)
{
    struct stat info;
    return stat(RMM_PACK, &info) == 0 && S_ISDIR(info.st_mode);
}

static void rmm_pack_loads(void **state)
{
    if (!rmm_pack_present())
        skip();
    loaded in;
    load_path(&in, RMM_PACK);
    assert_int_equal(in.count, 168);
    assert_int_equal(in.diags.errors, 0);
    assert_int_equal(count_severity(&in.diags, KQ_SEVERITY_WARNING), 168);
    size_t data_types = 0;
    for (size_t i = 0; i < in.set.count; i++) {
        const kq_rule *rule = in.set.rules[i];
        assert_non_null(rule->id);
        assert_non_null(rule->name);
        assert_non_null(rule->query);
        assert_int_equal(rule->ntactics, 1);
        assert_string_equal(rule->tactics[0], "CommandAndControl");
        assert_int_equal(rule->ntechniques, 1);
        assert_string_equal(rule->techniques[0], "T1219");
        assert_true(rule->ndata_types >= 1);
        for (size_t k = 0; k < rule->ndata_types; k++)
            assert_true(strncmp(rule->data_types[k], "Device", 6) == 0);
        data_types += rule->ndata_types;
        assert_query_map_matches_file(rule);
    }
    /* The two DWService rules that look up signed files list two tables each. */
    assert_int_equal(data_types, 170);
    release(&in);
}

static void rmm_pack_token_position(void **state)
{
    if (!rmm_pack_present())
        skip();
    loaded in;
    load_path(&in, RMM_PACK "/RMM/Ammyy/rmm_Ammyy_createproc.yaml");
    assert_int_equal(in.count, 1);
    assert_int_equal(in.diags.items[0].line, 8);
    assert_int_equal(in.diags.items[0].column, 5);
    int line, column;
    token_position(in.set.rules[0], "ProcessVersionInfoProductName", &line, &column);
    assert_int_equal(line, 19);
    assert_int_equal(column, 11);
    token_position(in.set.rules[0], "AccountUpn", &line, &column);
    assert_int_equal(line, 21);
    assert_int_equal(column, 73);
    release(&in);
}

static void bundled_pack_loads(void **state)
{
    loaded in;
    load_path(&in, BUNDLED_PACK);
    assert_int_equal(in.count, BUNDLED_RULES);
    assert_int_equal(in.diags.count, 0);
    for (size_t i = 0; i < in.set.count; i++) {
        const kq_rule *rule = in.set.rules[i];
        assert_non_null(rule->id);
        assert_int_equal(strlen(rule->id), 36);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(rule->id, in.set.rules[j]->id);
        assert_non_null(rule->name);
        assert_non_null(rule->description);
        assert_non_null(rule->severity);
        assert_string_equal(rule->kind, "Scheduled");
        assert_non_null(rule->version);
        assert_int_equal(rule->ntactics, 1);
        assert_string_equal(rule->tactics[0], "CommandAndControl");
        assert_int_equal(rule->ntechniques, 1);
        assert_string_equal(rule->techniques[0], "T1219");
        assert_int_equal(rule->nconnectors, 1);
        assert_string_equal(rule->connectors[0], "MicrosoftThreatProtection");
        assert_true(rule->ndata_types >= 1);
        assert_string_equal(rule->query_frequency, "1d");
        assert_string_equal(rule->query_period, "5d");
        assert_string_equal(rule->trigger_operator, "gt");
        assert_true(rule->has_trigger);
        assert_int_equal(rule->trigger_threshold, 0);
        assert_null(strstr(rule->query, "AccountUpn by"));
        assert_query_map_matches_file(rule);
    }
    release(&in);
}

static void bundled_ammyy_process_query(void **state)
{
    loaded in;
    load_path(&in, BUNDLED_PACK "/Ammyy/Ammyy_process.yaml");
    assert_int_equal(in.count, 1);
    assert_string_equal(in.set.rules[0]->query,
                        "let Time_start = now(-5d);\n"
                        "let Time_end = now();\n"
                        "//\n"
                        "DeviceProcessEvents\n"
                        "| where Timestamp between (Time_start..Time_end)\n"
                        "| where ProcessVersionInfoCompanyName has 'Ammyy'\n"
                        "    and ProcessVersionInfoProductName has 'Ammyy Admin'\n"
                        "| summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp),\n"
                        "    Report=make_set(ReportId), Count=count() by DeviceId, DeviceName\n");
    assert_string_equal(in.set.rules[0]->data_types[0], "DeviceProcessEvents");
    assert_string_equal(in.set.rules[0]->severity, "Medium");
    release(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_rule_fields),
        cmocka_unit_test(good_rule_query_text),
        cmocka_unit_test(good_rule_query_map),
        cmocka_unit_test(query_error_shows_file_line),
        cmocka_unit_test(misindented_connectors_repaired),
        cmocka_unit_test(broken_yaml_reports_position),
        cmocka_unit_test(missing_query_is_error),
        cmocka_unit_test(list_tactics_and_quoted_query),
        cmocka_unit_test(plain_query_maps_column),
        cmocka_unit_test(crlf_file_loads),
        cmocka_unit_test(empty_file_is_error),
        cmocka_unit_test(non_utf8_file_is_error),
        cmocka_unit_test(folder_loads_sorted),
        cmocka_unit_test(missing_path_is_error),
        cmocka_unit_test(wrong_shapes_rejected),
        cmocka_unit_test(field_warnings),
        cmocka_unit_test(block_styles_map_lines),
        cmocka_unit_test(repair_is_bounded),
        cmocka_unit_test(oversized_buffer_rejected),
        cmocka_unit_test(rmm_pack_loads),
        cmocka_unit_test(rmm_pack_token_position),
        cmocka_unit_test(bundled_pack_loads),
        cmocka_unit_test(bundled_ammyy_process_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
