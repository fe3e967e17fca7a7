/* kqlite rules: check Sentinel rule files without data, as a linter before deployment. */
#include "cli/cli.h"
#include "base/util.h"
#include "kql/compile.h"
#include "rules/rule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_help(FILE *out)
{
    fputs("Usage: kqlite rules [--format table|jsonl] [-q] PATH...\n"
          "\n"
          "Loads Sentinel YAML rules (.yaml, .yml) and plain query files (.kql) from files\n"
          "or folder trees and compiles each query against the built-in table schemas,\n"
          "without data. Reports per rule its\n"
          "id, name, file, tables and status (ok or error, with file:line:col and the reason).\n"
          "-q hides warnings (such as a mis-indented block that was read anyway).\n"
          "Exit status 3 when any rule has an error.\n",
          out);
}

static void json_string_list(kq_buf *out, char **items, size_t count)
{
    kq_buf_putc(out, '[');
    for (size_t i = 0; i < count; i++) {
        if (i)
            kq_buf_putc(out, ',');
        kq_buf_json_string(out, items[i], strlen(items[i]));
    }
    kq_buf_putc(out, ']');
}

static void json_field(kq_buf *out, const char *name, const char *value)
{
    kq_buf_json_string(out, name, strlen(name));
    kq_buf_putc(out, ':');
    if (value)
        kq_buf_json_string(out, value, strlen(value));
    else
        kq_buf_puts(out, "null");
}

typedef struct rule_verdict {
    const kq_rule *rule;
    char **tables;
    size_t ntables;
    char **column_names;  /* result columns of a rule that compiles */
    const char **column_types;
    size_t ncolumns;
    kq_diags diags;
    bool ok;
} rule_verdict;

static void check_rule(rule_verdict *verdict, const kq_rule *rule)
{
    verdict->rule = rule;
    kq_diags_init(&verdict->diags);
    kq_query *query = kq_compile(&rule->query_source, NULL, &verdict->diags);
    verdict->ok = query != NULL;
    if (query) {
        verdict->ntables = query->ntables;
        verdict->tables = kq_xcalloc(query->ntables ? query->ntables : 1, sizeof(char *));
        for (size_t i = 0; i < query->ntables; i++)
            verdict->tables[i] = kq_xstrdup(query->tables[i]);
        /* A scalar query has no result columns, as the Kusto language service reports it. */
        const kq_schema *schema = &query->root->schema;
        verdict->ncolumns = query->scalar_result ? 0 : schema->count;
        verdict->column_names = kq_xcalloc(schema->count ? schema->count : 1, sizeof(char *));
        verdict->column_types = kq_xcalloc(schema->count ? schema->count : 1, sizeof(char *));
        for (uint32_t c = 0; c < verdict->ncolumns; c++) {
            verdict->column_names[c] = kq_xstrdup(schema->fields[c].name);
            verdict->column_types[c] = kq_type_name(schema->fields[c].type);
        }
        kq_query_free(query);
    } else {
        verdict->ntables = rule->ndata_types;
        verdict->tables = kq_xcalloc(rule->ndata_types ? rule->ndata_types : 1, sizeof(char *));
        for (size_t i = 0; i < rule->ndata_types; i++)
            verdict->tables[i] = kq_xstrdup(rule->data_types[i]);
    }
}

static void free_verdict(rule_verdict *verdict)
{
    for (size_t i = 0; i < verdict->ntables; i++)
        free(verdict->tables[i]);
    free(verdict->tables);
    for (size_t i = 0; i < verdict->ncolumns; i++)
        free(verdict->column_names[i]);
    free(verdict->column_names);
    free(verdict->column_types);
    kq_diags_free(&verdict->diags);
}

static void write_jsonl(const rule_verdict *v)
{
    kq_buf out;
    kq_buf_init(&out);
    kq_buf_putc(&out, '{');
    json_field(&out, "id", v->rule->id);
    kq_buf_putc(&out, ',');
    json_field(&out, "name", v->rule->name);
    kq_buf_putc(&out, ',');
    json_field(&out, "file", v->rule->file);
    kq_buf_puts(&out, ",\"tables\":");
    json_string_list(&out, v->tables, v->ntables);
    kq_buf_puts(&out, ",\"columns\":[");
    for (size_t c = 0; c < v->ncolumns; c++) {
        kq_buf_puts(&out, c ? ",{" : "{");
        json_field(&out, "name", v->column_names[c]);
        kq_buf_putc(&out, ',');
        json_field(&out, "type", v->column_types[c]);
        kq_buf_putc(&out, '}');
    }
    kq_buf_putc(&out, ']');
    kq_buf_putc(&out, ',');
    json_field(&out, "status", v->ok ? "ok" : "error");
    kq_buf_putc(&out, ',');
    kq_buf error;
    kq_buf_init(&error);
    kq_buf_puts(&out, "\"error\":");
    const kq_diag *first_error = NULL;
    for (size_t i = 0; i < v->diags.count && !first_error; i++)
        if (v->diags.items[i].severity == KQ_SEVERITY_ERROR)
            first_error = &v->diags.items[i];
    if (v->ok || !first_error) {
        kq_buf_puts(&out, "null");
    } else {
        kq_diag_render_short(first_error, &error);
        kq_buf_json_string(&out, error.data, error.len);
    }
    for (int severity = 0; severity < 2; severity++) {
        kq_severity wanted = severity == 0 ? KQ_SEVERITY_ERROR : KQ_SEVERITY_WARNING;
        kq_buf_puts(&out, severity == 0 ? ",\"errors\":[" : "],\"warnings\":[");
        bool first = true;
        for (size_t i = 0; i < v->diags.count; i++) {
            if (v->diags.items[i].severity != wanted)
                continue;
            kq_buf_clear(&error);
            kq_diag_render_short(&v->diags.items[i], &error);
            if (!first)
                kq_buf_putc(&out, ',');
            first = false;
            kq_buf_json_string(&out, error.data, error.len);
        }
    }
    kq_buf_puts(&out, "]}\n");
    fputs(out.data, stdout);
    kq_buf_free(&out);
    kq_buf_free(&error);
}

/* A file that did not load as a rule: reported as an error entry with no id. */
static void write_load_error_jsonl(const kq_diag *diag)
{
    kq_buf out, error;
    kq_buf_init(&out);
    kq_buf_init(&error);
    kq_diag_render_short(diag, &error);
    kq_buf_puts(&out, "{\"id\":null,\"name\":null,");
    json_field(&out, "file", diag->file);
    kq_buf_puts(&out, ",\"tables\":[],\"columns\":[],\"status\":\"error\",\"error\":");
    kq_buf_json_string(&out, error.data, error.len);
    kq_buf_puts(&out, ",\"errors\":[");
    kq_buf_json_string(&out, error.data, error.len);
    kq_buf_puts(&out, "],\"warnings\":[]}\n");
    fputs(out.data, stdout);
    kq_buf_free(&out);
    kq_buf_free(&error);
}

/* Appends a rendered diagnostic with its control characters escaped: rule files are input. */
static void print_diag_escaped(kq_buf *out, const kq_diag *diag)
{
    kq_buf raw;
    kq_buf_init(&raw);
    kq_diag_render(diag, &raw);
    kq_terminal_escape_lines(out, raw.data ? raw.data : "", raw.len);
    kq_buf_free(&raw);
}

int kq_cmd_rules(int argc, char **argv)
{
    kq_format format = KQ_FORMAT_TABLE;
    bool quiet = false;
    char **paths = kq_xcalloc((size_t)argc, sizeof(char *));
    int npaths = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help(stdout);
            free(paths);
            return KQ_EXIT_OK;
        }
        if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
            quiet = true;
            continue;
        }
        if (strcmp(arg, "--format") == 0 || strncmp(arg, "--format=", 9) == 0) {
            const char *value = arg[8] == '=' ? arg + 9 : (i + 1 < argc ? argv[++i] : "");
            if (!kq_format_parse(value, &format) || (format != KQ_FORMAT_TABLE && format != KQ_FORMAT_JSONL)) {
                kq_cli_usage_error("rules", "--format takes table or jsonl, got '%s'", value);
                free(paths);
                return KQ_EXIT_USAGE;
            }
            continue;
        }
        if (arg[0] == '-' && arg[1] == '-') {
            kq_cli_usage_error("rules", "unknown option '%s'", arg);
            free(paths);
            return KQ_EXIT_USAGE;
        }
        paths[npaths++] = (char *)arg;
    }
    if (npaths == 0) {
        kq_cli_usage_error("rules", "missing a rule file or folder");
        free(paths);
        return KQ_EXIT_USAGE;
    }
    kq_rule_set set;
    kq_rule_set_init(&set);
    kq_diags load_diags;
    kq_diags_init(&load_diags);
    for (int i = 0; i < npaths; i++)
        if (kq_rules_load_path(paths[i], &set, &load_diags) == 0 && load_diags.errors == 0)
            fprintf(stderr, "kqlite rules: warning: no rule files (.yaml, .yml, .kql) found in %s\n", paths[i]);
    /* Warnings go to stderr (unless -q); files that failed to load are reported with the rules. */
    for (size_t i = 0; i < load_diags.count && !quiet; i++)
        if (load_diags.items[i].severity == KQ_SEVERITY_WARNING) {
            kq_buf text;
            kq_buf_init(&text);
            kq_diag_render(&load_diags.items[i], &text);
            fputs(text.data, stderr);
            kq_buf_free(&text);
        }

    size_t ok = 0, failed = 0;
    rule_verdict *verdicts = kq_xcalloc(set.count ? set.count : 1, sizeof(rule_verdict));
    for (size_t i = 0; i < set.count; i++) {
        check_rule(&verdicts[i], set.rules[i]);
        if (verdicts[i].ok)
            ok++;
        else
            failed++;
    }
    size_t load_errors = 0;
    for (size_t i = 0; i < load_diags.count; i++)
        if (load_diags.items[i].severity == KQ_SEVERITY_ERROR)
            load_errors++;

    if (format == KQ_FORMAT_JSONL) {
        for (size_t i = 0; i < set.count; i++)
            write_jsonl(&verdicts[i]);
        for (size_t i = 0; i < load_diags.count; i++)
            if (load_diags.items[i].severity == KQ_SEVERITY_ERROR)
                write_load_error_jsonl(&load_diags.items[i]);
    } else {
        for (size_t i = 0; i < load_diags.count; i++) {
            const kq_diag *diag = &load_diags.items[i];
            if (diag->severity != KQ_SEVERITY_ERROR)
                continue;
            kq_buf out;
            kq_buf_init(&out);
            kq_buf_puts(&out, "ERROR  (not loaded)  ");
            kq_terminal_escape(&out, diag->file, strlen(diag->file));
            kq_buf_putc(&out, '\n');
            print_diag_escaped(&out, diag);
            fputs(out.data, stdout);
            kq_buf_free(&out);
        }
        for (size_t i = 0; i < set.count; i++) {
            const rule_verdict *v = &verdicts[i];
            kq_buf line;
            kq_buf_init(&line);
            const char *id = v->rule->id ? v->rule->id : "(no id)";
            const char *name = v->rule->name ? v->rule->name : "(no name)";
            kq_buf_printf(&line, "%-5s  ", v->ok ? "ok" : "ERROR");
            kq_terminal_escape(&line, id, strlen(id));
            kq_buf_puts(&line, "  ");
            kq_terminal_escape(&line, name, strlen(name));
            puts(line.data);
            kq_buf_free(&line);
            /* A rule that compiles can still carry warnings, such as externaldata's. */
            if (v->diags.count > 0) {
                kq_buf out;
                kq_buf_init(&out);
                for (size_t d = 0; d < v->diags.count; d++)
                    print_diag_escaped(&out, &v->diags.items[d]);
                fputs(out.data ? out.data : "", stdout);
                kq_buf_free(&out);
            }
        }
    }
    fprintf(stderr, "kqlite: %zu rules checked: %zu ok, %zu with errors%s", set.count, ok, failed,
            load_errors ? "" : "\n");
    if (load_errors)
        fprintf(stderr, "; %zu file%s could not be loaded as rules\n", load_errors, load_errors == 1 ? "" : "s");
    for (size_t i = 0; i < set.count; i++)
        free_verdict(&verdicts[i]);
    free(verdicts);
    kq_rule_set_free(&set);
    kq_diags_free(&load_diags);
    free(paths);
    fflush(stdout);
    return failed || load_errors ? KQ_EXIT_FAILED : KQ_EXIT_OK;
}
