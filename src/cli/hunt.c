/* kqlite hunt: run every rule of one or more rule packs over the loaded data. */
#include "cli/cli.h"
#include "base/util.h"
#include "exec/exec.h"
#include "kql/compile.h"
#include "rules/rule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_help(FILE *out)
{
    fputs("Usage: kqlite hunt [--rules PATH]... [options] DATA...\n"
          "\n"
          "Runs every rule whose tables are present in DATA and prints the hits.\n"
          "Without --rules, the bundled remote-management-tool pack is used.\n"
          "\n"
          "Options:\n"
          "  --rules PATH          a rule file or folder (repeatable)\n"
          "  --now DATETIME        the instant now() and ago() use (default: the current time)\n"
          "  --format FORMAT       table (default), csv, json or jsonl\n"
          "  --all                 table format: also list rules without hits\n"
          "  --timezone ZONE       zone of datetimes written without one (default UTC)\n"
          "  --wide                do not cut long table cells (default: 80 characters)\n"
          "  -q, --quiet           no per-file load report on stderr\n"
          "\n"
          "jsonl writes one object per hit: {\"rule\": {id, name, severity, tactics,\n"
          "techniques, file}, \"row\": {...}}.\n",
          out);
}

typedef struct hunt_counts {
    size_t run, with_results, failed, skipped;
} hunt_counts;

static void json_field(kq_buf *out, const char *name, const char *value)
{
    kq_buf_json_string(out, name, strlen(name));
    kq_buf_putc(out, ':');
    if (value)
        kq_buf_json_string(out, value, strlen(value));
    else
        kq_buf_puts(out, "null");
}

static void json_list(kq_buf *out, const char *name, char **items, size_t count)
{
    kq_buf_json_string(out, name, strlen(name));
    kq_buf_puts(out, ":[");
    for (size_t i = 0; i < count; i++) {
        if (i)
            kq_buf_putc(out, ',');
        kq_buf_json_string(out, items[i], strlen(items[i]));
    }
    kq_buf_putc(out, ']');
}

static void rule_json(kq_buf *out, const kq_rule *rule)
{
    kq_buf_putc(out, '{');
    json_field(out, "id", rule->id);
    kq_buf_putc(out, ',');
    json_field(out, "name", rule->name);
    kq_buf_putc(out, ',');
    json_field(out, "severity", rule->severity);
    kq_buf_putc(out, ',');
    json_list(out, "tactics", rule->tactics, rule->ntactics);
    kq_buf_putc(out, ',');
    json_list(out, "techniques", rule->techniques, rule->ntechniques);
    kq_buf_putc(out, ',');
    json_field(out, "file", rule->file);
    kq_buf_putc(out, '}');
}

static void join(kq_buf *out, char **items, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (i)
            kq_buf_puts(out, ", ");
        kq_buf_puts(out, items[i]);
    }
    if (!count)
        kq_buf_puts(out, "-");
}

static void print_heading(const kq_rule *rule, uint64_t rows)
{
    kq_buf line;
    kq_buf_init(&line);
    kq_buf_puts(&line, "== ");
    kq_terminal_escape(&line, rule->name ? rule->name : "(no name)", strlen(rule->name ? rule->name : "(no name)"));
    kq_buf_printf(&line, "\n   id %s | severity %s | tactics ", rule->id ? rule->id : "-",
                  rule->severity ? rule->severity : "-");
    join(&line, rule->tactics, rule->ntactics);
    kq_buf_puts(&line, " | techniques ");
    join(&line, rule->techniques, rule->ntechniques);
    kq_buf_printf(&line, " | %llu row%s\n", (unsigned long long)rows, rows == 1 ? "" : "s");
    fputs(line.data, stdout);
    kq_buf_free(&line);
}

static void write_hits(const kq_rule *rule, const kq_result *result, const kq_cli_common *common,
                       bool *first_json)
{
    kq_buf out;
    kq_buf_init(&out);
    for (size_t b = 0; b < result->nbatches; b++) {
        const kq_batch *batch = result->batches[b];
        for (uint32_t r = 0; r < batch->nrows; r++) {
            kq_buf_clear(&out);
            if (common->format == KQ_FORMAT_CSV) {
                kq_buf row;
                kq_buf_init(&row);
                kq_row_json(&row, result, batch, r);
                /* One CSV line per hit: rule metadata, then the row as JSON (rules differ in columns). */
                const char *fields[] = {rule->id ? rule->id : "", rule->name ? rule->name : "",
                                        rule->severity ? rule->severity : "", row.data};
                for (size_t f = 0; f < 4; f++) {
                    if (f)
                        kq_buf_putc(&out, ',');
                    kq_buf_putc(&out, '"');
                    for (const char *p = fields[f]; *p; p++) {
                        if (*p == '"')
                            kq_buf_putc(&out, '"');
                        kq_buf_putc(&out, *p);
                    }
                    kq_buf_putc(&out, '"');
                }
                kq_buf_puts(&out, "\r\n");
                kq_buf_free(&row);
            } else {
                if (common->format == KQ_FORMAT_JSON)
                    kq_buf_puts(&out, *first_json ? "\n" : ",\n");
                kq_buf_puts(&out, "{\"rule\":");
                rule_json(&out, rule);
                kq_buf_puts(&out, ",\"row\":");
                kq_row_json(&out, result, batch, r);
                kq_buf_putc(&out, '}');
                if (common->format == KQ_FORMAT_JSONL)
                    kq_buf_putc(&out, '\n');
                *first_json = false;
            }
            fputs(out.data, stdout);
        }
    }
    kq_buf_free(&out);
}

/* Runs one rule; returns 1 with results, 0 without, -1 failed, -2 skipped (missing table). */
static int run_rule(const kq_rule *rule, const kq_catalog *catalog, const kq_cli_common *common,
                    bool show_all, bool *first_json, char **missing)
{
    kq_diags diags;
    kq_diags_init(&diags);
    kq_query *query = kq_compile(&rule->query_source, catalog, &diags);
    if (!query) {
        fprintf(stderr, "kqlite: rule '%s' (%s) does not compile:\n", rule->name ? rule->name : "?",
                rule->file);
        kq_cli_print_diags(&diags);
        kq_diags_free(&diags);
        return -1;
    }
    kq_diags_free(&diags);
    for (size_t i = 0; i < query->ntables; i++)
        if (!kq_catalog_table(catalog, query->tables[i], strlen(query->tables[i]))) {
            *missing = kq_xstrdup(query->tables[i]);
            kq_query_free(query);
            return -2;
        }
    char *error = NULL;
    kq_result *result = kq_execute(query, catalog, common->now, &error);
    kq_query_free(query);
    if (!result) {
        fprintf(stderr, "kqlite: rule '%s' (%s) failed: %s\n", rule->name ? rule->name : "?", rule->file, error);
        free(error);
        return -1;
    }
    int status = result->nrows > 0;
    if (common->format == KQ_FORMAT_TABLE) {
        if (result->nrows > 0 || show_all) {
            print_heading(rule, result->nrows);
            if (result->nrows > 0) {
                kq_output_options options = {.max_column_width = common->max_width};
                kq_write_result(stdout, result, KQ_FORMAT_TABLE, &options);
            }
            fputc('\n', stdout);
        }
    } else {
        write_hits(rule, result, common, first_json);
    }
    kq_result_free(result);
    return status;
}

int kq_cmd_hunt(int argc, char **argv)
{
    kq_cli_common common;
    kq_cli_common_init(&common);
    bool show_all = false;
    char **rule_paths = kq_xcalloc((size_t)argc, sizeof(char *));
    char **data = kq_xcalloc((size_t)argc, sizeof(char *));
    int nrule_paths = 0, ndata = 0;
    int status = KQ_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help(stdout);
            goto done;
        }
        int used = kq_cli_common_option(&common, argc, argv, &i);
        if (used < 0) {
            status = KQ_EXIT_USAGE;
            goto done;
        }
        if (used)
            continue;
        if (strcmp(arg, "--rules") == 0 || strncmp(arg, "--rules=", 8) == 0) {
            const char *value = arg[7] == '=' ? arg + 8 : (i + 1 < argc ? argv[++i] : NULL);
            if (!value) {
                kq_cli_usage_error("hunt", "--rules needs a rule file or folder");
                status = KQ_EXIT_USAGE;
                goto done;
            }
            rule_paths[nrule_paths++] = (char *)value;
            continue;
        }
        if (strcmp(arg, "--all") == 0) {
            show_all = true;
            continue;
        }
        if (arg[0] == '-' && arg[1] == '-' && arg[2]) {
            kq_cli_usage_error("hunt", "unknown option '%s'", arg);
            status = KQ_EXIT_USAGE;
            goto done;
        }
        data[ndata++] = (char *)arg;
    }
    if (ndata == 0) {
        kq_cli_usage_error("hunt", "missing DATA: give log files or folders to hunt in");
        status = KQ_EXIT_USAGE;
        goto done;
    }
    if (nrule_paths == 0) {
        const char *bundled = kq_cli_bundled_rules();
        if (!bundled) {
            fprintf(stderr, "kqlite hunt: the bundled rule pack was not found; pass --rules PATH\n");
            status = KQ_EXIT_FAILED;
            goto done;
        }
        rule_paths[nrule_paths++] = (char *)bundled;
    }

    kq_rule_set set;
    kq_rule_set_init(&set);
    kq_diags load_diags;
    kq_diags_init(&load_diags);
    for (int i = 0; i < nrule_paths; i++)
        kq_rules_load_path(rule_paths[i], &set, &load_diags);
    kq_cli_print_diags(&load_diags);
    bool rules_ok = true;
    for (size_t i = 0; i < load_diags.count; i++)
        if (load_diags.items[i].severity == KQ_SEVERITY_ERROR)
            rules_ok = false;

    kq_catalog *catalog = kq_catalog_new();
    bool inputs_ok = kq_cli_load_data(catalog, data, ndata, &common);

    hunt_counts counts = {0};
    bool first_json = true;
    if (common.format == KQ_FORMAT_JSON)
        fputc('[', stdout);
    if (common.format == KQ_FORMAT_CSV)
        fputs("rule_id,rule_name,severity,row\r\n", stdout);
    kq_buf skipped_tables;
    kq_buf_init(&skipped_tables);
    for (size_t i = 0; i < set.count; i++) {
        char *missing = NULL;
        int outcome = run_rule(set.rules[i], catalog, &common, show_all, &first_json, &missing);
        if (outcome == -2) {
            counts.skipped++;
            if (!skipped_tables.data || !strstr(skipped_tables.data, missing)) {
                kq_buf_puts(&skipped_tables, skipped_tables.len ? ", " : "");
                kq_buf_puts(&skipped_tables, missing);
            }
            free(missing);
            continue;
        }
        if (outcome == -1) {
            counts.failed++;
            continue;
        }
        counts.run++;
        if (outcome == 1)
            counts.with_results++;
    }
    if (common.format == KQ_FORMAT_JSON)
        fputs(first_json ? "]\n" : "\n]\n", stdout);
    FILE *summary = common.format == KQ_FORMAT_TABLE ? stdout : stderr;
    fprintf(summary, "%s%zu rules: %zu run, %zu with results, %zu failed, %zu skipped for a missing table%s%s%s\n",
            common.format == KQ_FORMAT_TABLE ? "" : "kqlite: ", set.count, counts.run,
            counts.with_results, counts.failed, counts.skipped, skipped_tables.len ? " (" : "",
            skipped_tables.len ? skipped_tables.data : "", skipped_tables.len ? ")" : "");
    kq_buf_free(&skipped_tables);
    if (counts.failed || !inputs_ok || !rules_ok)
        status = KQ_EXIT_FAILED;
    kq_catalog_free(catalog);
    kq_rule_set_free(&set);
    kq_diags_free(&load_diags);
done:
    free(rule_paths);
    free(data);
    if (fflush(stdout) != 0) {
        perror("kqlite: writing the result failed");
        return KQ_EXIT_FAILED;
    }
    return status;
}
