/*
 * Loads one Microsoft Sentinel analytics rule from YAML text with libyaml.
 *
 * The rule's query keeps a map back to the file (kq_source) so that a query
 * error points at the file's own line and column. Known quirks of published
 * rule packs are repaired with a warning (see kq_yaml_text_repair_indent).
 */
#include "rules/rule.h"
#include "rules/rule_alerting_yaml.h"
#include "rules/yaml_text.h"

#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* State of one file's load: where messages go and how to map positions back to the file. */
typedef struct load_context {
    const char *name;
    const char *data;       /* the file as read, for source lines in messages */
    size_t len;
    kq_yaml_text yaml;      /* the text libyaml parsed, after repairs */
    kq_yaml_text original;  /* line index of data */
    yaml_document_t *doc;
    kq_diags *diags;
    kq_rule *rule;
    kq_rule_yaml_context alerting; /* for the alert-shaping keys */
} load_context;

/* Keys of the rule mapping that the loader reads; others (incidentConfiguration, ...) are skipped. */
enum rule_key {
    KEY_ID, KEY_NAME, KEY_DESCRIPTION, KEY_SEVERITY, KEY_KIND, KEY_VERSION, KEY_TACTICS,
    KEY_TECHNIQUES, KEY_CONNECTORS, KEY_QUERY, KEY_FREQUENCY, KEY_PERIOD, KEY_TRIGGER_OPERATOR,
    KEY_TRIGGER_THRESHOLD, KEY_ENTITY_MAPPINGS, KEY_CUSTOM_DETAILS, KEY_ALERT_DETAILS,
    KEY_EVENT_GROUPING, KEY_SUPPRESSION_ENABLED, KEY_SUPPRESSION_DURATION, KEY_COUNT
};

static const char *const rule_key_names[KEY_COUNT] = {
    [KEY_ID] = "id",
    [KEY_NAME] = "name",
    [KEY_DESCRIPTION] = "description",
    [KEY_SEVERITY] = "severity",
    [KEY_KIND] = "kind",
    [KEY_VERSION] = "version",
    [KEY_TACTICS] = "tactics",
    [KEY_TECHNIQUES] = "relevantTechniques",
    [KEY_CONNECTORS] = "requiredDataConnectors",
    [KEY_QUERY] = "query",
    [KEY_FREQUENCY] = "queryFrequency",
    [KEY_PERIOD] = "queryPeriod",
    [KEY_TRIGGER_OPERATOR] = "triggerOperator",
    [KEY_TRIGGER_THRESHOLD] = "triggerThreshold",
    [KEY_ENTITY_MAPPINGS] = "entityMappings",
    [KEY_CUSTOM_DETAILS] = "customDetails",
    [KEY_ALERT_DETAILS] = "alertDetailsOverride",
    [KEY_EVENT_GROUPING] = "eventGroupingSettings",
    [KEY_SUPPRESSION_ENABLED] = "suppressionEnabled",
    [KEY_SUPPRESSION_DURATION] = "suppressionDuration",
};

/* Converts a libyaml mark (0-based line, character column) to a 1-based file line and byte column. */
static void mark_position(const load_context *ctx, yaml_mark_t mark, int *line, int *column)
{
    size_t byte_column = kq_yaml_text_byte_column(&ctx->yaml, mark.line, mark.column);
    int added = mark.line < ctx->yaml.nlines ? ctx->yaml.added[mark.line] : 0;
    byte_column = byte_column > (size_t)added ? byte_column - (size_t)added : 0;
    *line = (int)mark.line + 1;
    *column = (int)byte_column + 1;
}

/* Returns a copy of file line `line` (0-based) for a message, or NULL past the end. */
static char *file_line_copy(const load_context *ctx, size_t line)
{
    if (line >= ctx->original.nlines)
        return NULL;
    size_t len;
    const char *text = kq_yaml_text_line(&ctx->original, line, &len);
    return kq_xstrndup(text, len);
}

static kq_diag *report_at(load_context *ctx, kq_severity severity, int line, int column,
                          const char *message)
{
    char *line_text = line > 0 ? file_line_copy(ctx, (size_t)line - 1) : NULL;
    kq_diag *diag = kq_diags_add_at(ctx->diags, severity, ctx->name, line, column, line_text, "%s",
                                    message);
    free(line_text);
    return diag;
}

static kq_diag *report_node(load_context *ctx, kq_severity severity, const yaml_node_t *node,
                            const char *message)
{
    int line = 0, column = 0;
    if (node)
        mark_position(ctx, node->start_mark, &line, &column);
    return report_at(ctx, severity, line, column, message);
}

/* Reports libyaml's parse error with the file position and libyaml's own problem text. */
static void report_yaml_error(load_context *ctx, const yaml_parser_t *parser)
{
    int line, column;
    if (parser->error == YAML_READER_ERROR) {
        size_t line_index, byte_column;
        kq_yaml_text_offset_position(&ctx->yaml, parser->problem_offset, &line_index, &byte_column);
        int added = ctx->yaml.added[line_index];
        line = (int)line_index + 1;
        column = (int)(byte_column > (size_t)added ? byte_column - (size_t)added : 0) + 1;
    } else {
        mark_position(ctx, parser->problem_mark, &line, &column);
    }

    kq_buf message;
    kq_buf_init(&message);
    kq_buf_printf(&message, "invalid YAML: %s", parser->problem ? parser->problem : "parse failed");
    if (parser->error == YAML_READER_ERROR && parser->problem_value >= 0)
        kq_buf_printf(&message, " (byte 0x%02x)", (unsigned)parser->problem_value & 0xFFu);
    if (parser->context) {
        int context_line, context_column;
        mark_position(ctx, parser->context_mark, &context_line, &context_column);
        kq_buf_printf(&message, ", %s that starts at line %d, column %d", parser->context,
                      context_line, context_column);
    }
    kq_diag *diag = report_at(ctx, KQ_SEVERITY_ERROR, line, column, message.data);
    if (parser->error == YAML_READER_ERROR)
        kq_diag_set_hint(diag, "save the rule file as UTF-8");
    kq_buf_free(&message);
}

static const char *scalar_value(const yaml_node_t *node, size_t *len)
{
    if (!node || node->type != YAML_SCALAR_NODE)
        return NULL;
    if (len)
        *len = node->data.scalar.length;
    return (const char *)node->data.scalar.value;
}

static char *arena_scalar(load_context *ctx, const yaml_node_t *node)
{
    size_t len;
    const char *value = scalar_value(node, &len);
    return value ? kq_arena_strndup(ctx->rule->arena, value, len) : NULL;
}

/*
 * Stores a string field, warning when the value is a list or mapping. An empty
 * value (`id:` with nothing after it) leaves the field absent.
 */
static void read_string(load_context *ctx, const yaml_node_t *node, const char *key, char **out)
{
    if (node->type != YAML_SCALAR_NODE) {
        char message[160];
        snprintf(message, sizeof message, "'%s' must be a string; the value is ignored", key);
        report_node(ctx, KQ_SEVERITY_WARNING, node, message);
        return;
    }
    *out = node->data.scalar.length > 0 ? arena_scalar(ctx, node) : NULL;
}

/* Appends value to a string list unless it is empty or already present (first-seen order). */
static void list_add(load_context *ctx, char ***items, size_t *count, const char *value,
                     size_t len)
{
    if (len == 0)
        return;
    for (size_t i = 0; i < *count; i++)
        if (strlen((*items)[i]) == len && memcmp((*items)[i], value, len) == 0)
            return;
    char **grown = kq_arena_alloc(ctx->rule->arena, (*count + 1) * sizeof *grown);
    if (*count)
        memcpy(grown, *items, *count * sizeof *grown);
    grown[(*count)++] = kq_arena_strndup(ctx->rule->arena, value, len);
    *items = grown;
}

/* Reads a string or a list of strings, as Sentinel accepts for tactics and techniques. */
static void read_string_list(load_context *ctx, const yaml_node_t *node, const char *key,
                             char ***items, size_t *count)
{
    size_t len;
    const char *value = scalar_value(node, &len);
    if (value) {
        list_add(ctx, items, count, value, len);
        return;
    }
    if (node->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *item = node->data.sequence.items.start;
             item < node->data.sequence.items.top; item++) {
            const yaml_node_t *child = yaml_document_get_node(ctx->doc, *item);
            value = scalar_value(child, &len);
            if (value) {
                list_add(ctx, items, count, value, len);
                continue;
            }
            char message[160];
            snprintf(message, sizeof message, "'%s' items must be strings; an item is ignored", key);
            report_node(ctx, KQ_SEVERITY_WARNING, child, message);
        }
        return;
    }
    char message[160];
    snprintf(message, sizeof message, "'%s' must be a string or a list of strings; ignored", key);
    report_node(ctx, KQ_SEVERITY_WARNING, node, message);
}

/* Returns the value node of `key` in a mapping node, or NULL. */
static yaml_node_t *mapping_get(load_context *ctx, const yaml_node_t *mapping, const char *key)
{
    for (yaml_node_pair_t *pair = mapping->data.mapping.pairs.start;
         pair < mapping->data.mapping.pairs.top; pair++) {
        size_t len;
        const char *name = scalar_value(yaml_document_get_node(ctx->doc, pair->key), &len);
        if (name && strlen(key) == len && memcmp(name, key, len) == 0)
            return yaml_document_get_node(ctx->doc, pair->value);
    }
    return NULL;
}

/* Reads requiredDataConnectors: a list of {connectorId, dataTypes} entries. */
static void read_connectors(load_context *ctx, const yaml_node_t *node)
{
    kq_rule *rule = ctx->rule;
    if (node->type != YAML_SEQUENCE_NODE) {
        if (scalar_value(node, NULL) && node->data.scalar.length == 0)
            return;
        report_node(ctx, KQ_SEVERITY_WARNING, node,
                    "'requiredDataConnectors' must be a list of connector entries; ignored");
        return;
    }
    for (yaml_node_item_t *item = node->data.sequence.items.start;
         item < node->data.sequence.items.top; item++) {
        yaml_node_t *entry = yaml_document_get_node(ctx->doc, *item);
        if (!entry || entry->type != YAML_MAPPING_NODE) {
            report_node(ctx, KQ_SEVERITY_WARNING, entry,
                        "a 'requiredDataConnectors' entry must be a mapping with connectorId and "
                        "dataTypes; the entry is ignored");
            continue;
        }
        size_t len;
        const char *connector = scalar_value(mapping_get(ctx, entry, "connectorId"), &len);
        if (connector)
            list_add(ctx, &rule->connectors, &rule->nconnectors, connector, len);
        yaml_node_t *data_types = mapping_get(ctx, entry, "dataTypes");
        if (data_types)
            read_string_list(ctx, data_types, "dataTypes", &rule->data_types, &rule->ndata_types);
    }
}

static void read_trigger_threshold(load_context *ctx, const yaml_node_t *node)
{
    size_t len;
    const char *value = scalar_value(node, &len);
    char text[32];
    if (value && len > 0 && len < sizeof text) {
        memcpy(text, value, len);
        text[len] = '\0';
        char *end;
        errno = 0;
        long long threshold = strtoll(text, &end, 10);
        if (errno == 0 && *end == '\0') {
            ctx->rule->trigger_threshold = threshold;
            ctx->rule->has_trigger = true;
            return;
        }
    }
    report_node(ctx, KQ_SEVERITY_WARNING, node,
                "'triggerThreshold' must be an integer; the threshold is ignored");
}

/*
 * Fills query_source.indent for a literal block scalar. Value line k is file
 * line first + k minus its indentation, so the bytes removed are the file
 * line's length minus the value line's length. Lines where that does not hold
 * (an empty line, or a line break libyaml keeps inside the value) get the
 * block's indentation.
 */
static void map_literal_lines(load_context *ctx, size_t first, int *indent, int nlines)
{
    const char *query = ctx->rule->query;
    int block_indent = -1;
    size_t value_start = 0;
    for (int k = 0; k < nlines; k++) {
        const char *newline = memchr(query + value_start, '\n', ctx->rule->query_len - value_start);
        size_t value_end = newline ? (size_t)(newline - query) : ctx->rule->query_len;
        size_t value_len = value_end - value_start;
        size_t file_len;
        const char *file_text = kq_yaml_text_line(&ctx->yaml, first + (size_t)k, &file_len);
        indent[k] = -1;
        if (value_len > 0 && file_len >= value_len &&
            memcmp(file_text + file_len - value_len, query + value_start, value_len) == 0) {
            size_t removed = file_len - value_len;
            int added = first + (size_t)k < ctx->yaml.nlines ? ctx->yaml.added[first + (size_t)k] : 0;
            indent[k] = (int)removed - added;
            if (block_indent < 0)
                block_indent = indent[k];
        }
        value_start = value_end + 1;
    }
    for (int k = 0; k < nlines; k++)
        if (indent[k] < 0)
            indent[k] = block_indent > 0 ? block_indent : 0;
}

/* Sets indent[k] for k in [from, nlines) to the leading spaces of file line first + k. */
static void map_leading_spaces(load_context *ctx, size_t first, int *indent, int from, int nlines)
{
    for (int k = from; k < nlines; k++) {
        size_t len;
        const char *text = kq_yaml_text_line(&ctx->original, first + (size_t)k, &len);
        size_t spaces = 0;
        while (spaces < len && text[spaces] == ' ')
            spaces++;
        indent[k] = (int)spaces;
    }
}

/*
 * Sets rule->query_source so that query offsets map to file positions.
 * A block scalar's text starts on the line after its '|' or '>' indicator; a
 * plain or quoted scalar starts at its own mark (after the opening quote).
 * NOTE: folded ('>') and multi-line plain or quoted scalars join file lines
 * with spaces, so only their first line maps exactly; later lines get the
 * indentation of the file line with the same index.
 */
static void map_query_source(load_context *ctx, const yaml_node_t *node)
{
    kq_rule *rule = ctx->rule;
    int nlines = 1;
    for (size_t i = 0; i < rule->query_len; i++)
        nlines += rule->query[i] == '\n';
    int *indent = kq_arena_alloc(rule->arena, (size_t)nlines * sizeof *indent);

    yaml_scalar_style_t style = node->data.scalar.style;
    size_t first = node->start_mark.line;
    if (style == YAML_LITERAL_SCALAR_STYLE) {
        first++;
        map_literal_lines(ctx, first, indent, nlines);
    } else if (style == YAML_FOLDED_SCALAR_STYLE) {
        first++;
        map_leading_spaces(ctx, first, indent, 0, nlines);
    } else {
        int line, column;
        mark_position(ctx, node->start_mark, &line, &column);
        bool quoted = style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                      style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        indent[0] = column - 1 + (quoted ? 1 : 0);
        map_leading_spaces(ctx, first, indent, 1, nlines);
    }

    rule->query_source.file = rule->file;
    rule->query_source.text = rule->query;
    rule->query_source.len = rule->query_len;
    rule->query_source.first_line = (int)first + 1;
    rule->query_source.indent = indent;
    rule->query_source.nindent = nlines;
}

static void warn_alerting_node(void *owner, const yaml_node_t *node, const char *message)
{
    report_node(owner, KQ_SEVERITY_WARNING, node, message);
}

/* Reads the query; returns false (with an error) when it is missing, empty or not text. */
static bool read_query(load_context *ctx, const yaml_node_t *node)
{
    size_t len;
    const char *value = scalar_value(node, &len);
    if (!value) {
        report_node(ctx, KQ_SEVERITY_ERROR, node, "'query' must be a string holding the KQL query");
        return false;
    }
    if (memchr(value, '\0', len)) {
        report_node(ctx, KQ_SEVERITY_ERROR, node, "'query' contains a NUL character");
        return false;
    }
    size_t i = 0;
    while (i < len && (value[i] == ' ' || value[i] == '\t' || value[i] == '\n' || value[i] == '\r'))
        i++;
    if (i == len) {
        report_node(ctx, KQ_SEVERITY_ERROR, node, "'query' is empty");
        return false;
    }
    ctx->rule->query = kq_arena_strndup(ctx->rule->arena, value, len);
    ctx->rule->query_len = len;
    map_query_source(ctx, node);
    return true;
}

static void read_field(load_context *ctx, enum rule_key key, const yaml_node_t *value)
{
    kq_rule *rule = ctx->rule;
    const char *name = rule_key_names[key];
    switch (key) {
    case KEY_ID: read_string(ctx, value, name, &rule->id); break;
    case KEY_NAME: read_string(ctx, value, name, &rule->name); break;
    case KEY_DESCRIPTION: read_string(ctx, value, name, &rule->description); break;
    case KEY_SEVERITY: read_string(ctx, value, name, &rule->severity); break;
    case KEY_KIND: read_string(ctx, value, name, &rule->kind); break;
    case KEY_VERSION: read_string(ctx, value, name, &rule->version); break;
    case KEY_TACTICS: read_string_list(ctx, value, name, &rule->tactics, &rule->ntactics); break;
    case KEY_TECHNIQUES:
        read_string_list(ctx, value, name, &rule->techniques, &rule->ntechniques);
        break;
    case KEY_CONNECTORS: read_connectors(ctx, value); break;
    case KEY_FREQUENCY: read_string(ctx, value, name, &rule->query_frequency); break;
    case KEY_PERIOD: read_string(ctx, value, name, &rule->query_period); break;
    case KEY_TRIGGER_OPERATOR: read_string(ctx, value, name, &rule->trigger_operator); break;
    case KEY_TRIGGER_THRESHOLD: read_trigger_threshold(ctx, value); break;
    case KEY_ENTITY_MAPPINGS: kq_rule_yaml_read_entity_mappings(&ctx->alerting, value); break;
    case KEY_CUSTOM_DETAILS: kq_rule_yaml_read_custom_details(&ctx->alerting, value); break;
    case KEY_ALERT_DETAILS: kq_rule_yaml_read_alert_details(&ctx->alerting, value); break;
    case KEY_EVENT_GROUPING: kq_rule_yaml_read_event_grouping(&ctx->alerting, value); break;
    case KEY_SUPPRESSION_ENABLED: kq_rule_yaml_read_suppression_enabled(&ctx->alerting, value); break;
    case KEY_SUPPRESSION_DURATION:
        read_string(ctx, value, name, &rule->suppression_duration);
        break;
    case KEY_QUERY: /* read by read_rule once the key is known to be unique */
    case KEY_COUNT: break;
    }
}

/* Reads the rule fields from the root mapping; returns false when the rule cannot be used. */
static bool read_rule(load_context *ctx, const yaml_node_t *root)
{
    const yaml_node_t *seen[KEY_COUNT] = {0};
    for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
         pair < root->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key_node = yaml_document_get_node(ctx->doc, pair->key);
        const yaml_node_t *value = yaml_document_get_node(ctx->doc, pair->value);
        size_t len;
        const char *key = scalar_value(key_node, &len);
        if (!key || !value)
            continue;
        for (int k = 0; k < KEY_COUNT; k++) {
            if (strlen(rule_key_names[k]) != len || memcmp(rule_key_names[k], key, len) != 0)
                continue;
            if (seen[k]) {
                char message[160];
                snprintf(message, sizeof message, "'%s' appears twice; the later value is used",
                         rule_key_names[k]);
                report_node(ctx, KQ_SEVERITY_WARNING, key_node, message);
            }
            seen[k] = value;
            read_field(ctx, (enum rule_key)k, value);
            break;
        }
    }

    if (!seen[KEY_QUERY]) {
        report_node(ctx, KQ_SEVERITY_ERROR, root, "rule has no 'query'");
        return false;
    }
    if (!read_query(ctx, seen[KEY_QUERY]))
        return false;
    if (!ctx->rule->id)
        report_node(ctx, KQ_SEVERITY_WARNING, root, "rule has no 'id'");
    if (!ctx->rule->name)
        report_node(ctx, KQ_SEVERITY_WARNING, root, "rule has no 'name'");
    return true;
}

/* Parses the text, repairing mis-indented keys; returns false after reporting the error. */
static bool parse_document(load_context *ctx, yaml_document_t *doc, bool *more_documents)
{
    for (int attempt = 0;; attempt++) {
        yaml_parser_t parser;
        if (!yaml_parser_initialize(&parser))
            kq_die("out of memory initializing the YAML parser");
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
        yaml_parser_set_input_string(&parser, (const unsigned char *)ctx->yaml.text.data,
                                     ctx->yaml.text.len);
        if (yaml_parser_load(&parser, doc)) {
            /* Warn about a second document, which the loader ignores. */
            yaml_document_t next;
            *more_documents = false;
            if (yaml_parser_load(&parser, &next)) {
                *more_documents = yaml_document_get_root_node(&next) != NULL;
                yaml_document_delete(&next);
            } else {
                *more_documents = true;
            }
            yaml_parser_delete(&parser);
            return true;
        }

        kq_yaml_repair repair;
        if (attempt < KQ_RULE_MAX_REPAIRS && kq_yaml_text_repair_indent(&ctx->yaml, &parser, &repair)) {
            report_at(ctx, KQ_SEVERITY_WARNING, (int)repair.line + 1, (int)repair.column + 1,
                      repair.message);
            yaml_parser_delete(&parser);
            continue;
        }
        report_yaml_error(ctx, &parser);
        yaml_parser_delete(&parser);
        return false;
    }
}

/* Returns true when data contains nothing but whitespace and comments. */
static bool is_blank_text(const char *data, size_t len)
{
    bool comment = false;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c == '\n' || c == '\r')
            comment = false;
        else if (c == '#')
            comment = true;
        else if (!comment && c != ' ' && c != '\t')
            return false;
    }
    return true;
}

static bool check_encoding(load_context *ctx)
{
    const unsigned char *bytes = (const unsigned char *)ctx->data;
    bool utf16 = ctx->len >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) ||
                                   (bytes[0] == 0xFE && bytes[1] == 0xFF));
    if (!utf16)
        return true;
    kq_diag *diag = report_at(ctx, KQ_SEVERITY_ERROR, 1, 1,
                              "file is UTF-16 (byte order mark); rule files must be UTF-8");
    kq_diag_set_hint(diag, "save the rule file as UTF-8");
    return false;
}

static void rule_set_add(kq_rule_set *set, kq_rule *rule)
{
    kq_grow((void **)&set->rules, &set->cap, set->count + 1, sizeof *set->rules);
    set->rules[set->count++] = rule;
}

static size_t load_document(load_context *ctx, kq_rule_set *set)
{
    yaml_document_t doc;
    bool more_documents = false;
    if (!parse_document(ctx, &doc, &more_documents))
        return 0;
    ctx->doc = &doc;

    size_t loaded = 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        report_at(ctx, KQ_SEVERITY_ERROR, 0, 0, "file holds no rule (empty YAML document)");
    } else if (root->type != YAML_MAPPING_NODE) {
        report_node(ctx, KQ_SEVERITY_ERROR, root,
                    "expected a mapping of rule fields (id, name, query, ...) at the top level");
    } else {
        kq_rule *rule = kq_xcalloc(1, sizeof *rule);
        rule->arena = kq_arena_new(4096);
        rule->file = kq_arena_strdup(rule->arena, ctx->name);
        ctx->rule = rule;
        ctx->alerting = (kq_rule_yaml_context){
            .doc = &doc, .rule = rule, .warn = warn_alerting_node, .owner = ctx};
        if (read_rule(ctx, root)) {
            rule_set_add(set, rule);
            loaded = 1;
            if (more_documents)
                report_node(ctx, KQ_SEVERITY_WARNING, root,
                            "file holds more than one YAML document; only the first is read");
        } else {
            kq_rule_free(rule);
        }
        ctx->rule = NULL;
    }
    yaml_document_delete(&doc);
    ctx->doc = NULL;
    return loaded;
}

size_t kq_rules_load_buffer(const char *name, const char *data, size_t len, kq_rule_set *set,
                            kq_diags *diags)
{
    if (!name)
        name = "<input>";
    if (len > KQ_RULE_FILE_MAX_BYTES) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, name, 0, 0, NULL,
                        "file is %zu bytes, over the %u-byte limit for a rule file", len,
                        KQ_RULE_FILE_MAX_BYTES);
        return 0;
    }
    if (is_blank_text(data, len)) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, name, 0, 0, NULL, "file is empty: no rule to load");
        return 0;
    }

    load_context ctx = {.name = name, .data = data, .len = len, .diags = diags};
    kq_yaml_text_init(&ctx.original, data, len);
    kq_yaml_text_init(&ctx.yaml, data, len);
    size_t loaded = 0;
    if (check_encoding(&ctx))
        loaded = load_document(&ctx, set);
    kq_yaml_text_free(&ctx.yaml);
    kq_yaml_text_free(&ctx.original);
    return loaded;
}

void kq_rule_free(kq_rule *rule)
{
    if (!rule)
        return;
    kq_arena_free(rule->arena);
    free(rule);
}
