/* Loads exclusions files (see exclusions.h) with libyaml. */
#include "rules/exclusions.h"
#include "rules/yaml_text.h"

#include "base/util.h"
#include "types/types.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

typedef struct load_context {
    const char *name;
    kq_yaml_text text;
    yaml_document_t *doc;
    kq_diags *diags;
    kq_exclusion_set *set;
    bool ok;
} load_context;


void kq_exclusion_set_init(kq_exclusion_set *set)
{
    memset(set, 0, sizeof *set);
    set->arena = kq_arena_new(4096);
}

void kq_exclusion_set_free(kq_exclusion_set *set)
{
    free(set->items);
    kq_arena_free(set->arena);
    memset(set, 0, sizeof *set);
}

const char *kq_exclusion_scope_name(kq_exclusion_scope scope)
{
    return scope == KQ_EXCLUSION_SOURCE ? "source" : "result";
}

static void node_position(const load_context *ctx, const yaml_node_t *node, int *line, int *column)
{
    *line = (int)node->start_mark.line + 1;
    *column = (int)kq_yaml_text_byte_column(&ctx->text, node->start_mark.line, node->start_mark.column) + 1;
}

static kq_diag *report(load_context *ctx, kq_severity severity, const yaml_node_t *node, const char *format,
                       const char *detail)
{
    int line = 0, column = 0;
    char *line_text = NULL;
    if (node) {
        node_position(ctx, node, &line, &column);
        size_t len;
        const char *text = kq_yaml_text_line(&ctx->text, (size_t)line - 1, &len);
        line_text = kq_xstrndup(text, len);
    }
    kq_diag *diag = kq_diags_add_at(ctx->diags, severity, ctx->name, line, column, line_text, format,
                                    detail ? detail : "");
    free(line_text);
    if (severity == KQ_SEVERITY_ERROR)
        ctx->ok = false;
    return diag;
}

static const char *scalar(const yaml_node_t *node, size_t *len)
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
    const char *text = scalar(node, &len);
    return text && len ? kq_arena_strndup(ctx->set->arena, text, len) : NULL;
}

static void add_pattern(load_context *ctx, kq_exclusion *entry, const yaml_node_t *node)
{
    char *pattern = arena_scalar(ctx, node);
    if (!pattern) {
        report(ctx, KQ_SEVERITY_ERROR, node, "a 'rules' item must be a rule id, name or glob%s", NULL);
        return;
    }
    char **grown = kq_arena_alloc(ctx->set->arena, (entry->npatterns + 1) * sizeof *grown);
    if (entry->npatterns)
        memcpy(grown, entry->rule_patterns, entry->npatterns * sizeof *grown);
    grown[entry->npatterns++] = pattern;
    entry->rule_patterns = grown;
}

static void read_patterns(load_context *ctx, kq_exclusion *entry, const yaml_node_t *node)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        add_pattern(ctx, entry, node);
        return;
    }
    for (yaml_node_item_t *item = node->data.sequence.items.start; item < node->data.sequence.items.top; item++)
        add_pattern(ctx, entry, yaml_document_get_node(ctx->doc, *item));
}

/*
 * Records where each predicate line sits in the file. A value on the key's
 * line starts at the node's column; a block value (| or >) starts on the next
 * line. Later lines are taken at their file line with its leading blanks
 * removed, which is exact for literal blocks and single-line values.
 */
static void map_predicate(load_context *ctx, kq_exclusion *entry, const yaml_node_t *node)
{
    int nlines = 1;
    for (const char *p = entry->predicate; *p; p++)
        nlines += *p == '\n';
    entry->npredicate_lines = nlines;
    entry->predicate_indent = kq_arena_alloc(ctx->set->arena, (size_t)nlines * sizeof(int));
    yaml_scalar_style_t style = node->data.scalar.style;
    bool block = style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE;
    size_t first = node->start_mark.line + (block ? 1 : 0);
    entry->predicate_line = (int)first + 1;
    for (int k = 0; k < nlines; k++) {
        size_t len = 0;
        const char *text = first + (size_t)k < ctx->text.nlines
                               ? kq_yaml_text_line(&ctx->text, first + (size_t)k, &len) : "";
        int blanks = 0;
        while ((size_t)blanks < len && (text[blanks] == ' ' || text[blanks] == '\t'))
            blanks++;
        entry->predicate_indent[k] = blanks;
    }
    if (!block) {
        bool quoted = style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        int line, column;
        node_position(ctx, node, &line, &column);
        entry->predicate_indent[0] = column - 1 + (quoted ? 1 : 0);
    }
}

/* Parses `expires`: a date (the entry applies through that whole UTC day) or a datetime. */
static void read_expiry(load_context *ctx, kq_exclusion *entry, const yaml_node_t *node)
{
    size_t len;
    const char *text = scalar(node, &len);
    int64_t ticks;
    if (!text || !kq_datetime_parse(text, len, &ticks)) {
        report(ctx, KQ_SEVERITY_ERROR, node,
               "'expires' must be a date such as 2027-06-30 or a datetime such as 2027-06-30T18:00:00Z%s", NULL);
        return;
    }
    bool date_only = len == 10;
    entry->expires_text = kq_arena_strndup(ctx->set->arena, text, len);
    entry->expires = date_only ? ticks + KQ_TICKS_PER_DAY : ticks;
}

static void read_scope(load_context *ctx, kq_exclusion *entry, const yaml_node_t *node)
{
    size_t len;
    const char *text = scalar(node, &len);
    if (text && kq_ascii_ieq(text, len, "result", 6))
        entry->scope = KQ_EXCLUSION_RESULT;
    else if (text && kq_ascii_ieq(text, len, "source", 6))
        entry->scope = KQ_EXCLUSION_SOURCE;
    else
        report(ctx, KQ_SEVERITY_ERROR, node, "'scope' must be 'result' (the rule's result rows) or 'source' "
                                             "(the rows of the tables the rule reads)%s", NULL);
}

static void read_key(load_context *ctx, kq_exclusion *entry, const char *key, size_t len, const yaml_node_t *key_node,
                     const yaml_node_t *value)
{
    if (kq_ascii_ieq(key, len, "name", 4)) {
        entry->name = arena_scalar(ctx, value);
    } else if (kq_ascii_ieq(key, len, "rules", 5)) {
        read_patterns(ctx, entry, value);
    } else if (kq_ascii_ieq(key, len, "where", 5)) {
        entry->predicate = arena_scalar(ctx, value);
        if (entry->predicate)
            map_predicate(ctx, entry, value);
    } else if (kq_ascii_ieq(key, len, "scope", 5)) {
        read_scope(ctx, entry, value);
    } else if (kq_ascii_ieq(key, len, "reason", 6)) {
        entry->reason = arena_scalar(ctx, value);
    } else if (kq_ascii_ieq(key, len, "expires", 7)) {
        read_expiry(ctx, entry, value);
    } else {
        char *copy = kq_xstrndup(key, len);
        kq_diag *diag = report(ctx, KQ_SEVERITY_WARNING, key_node, "unknown key '%s' in an exclusion; it is ignored",
                               copy);
        kq_diag_set_hint(diag, "the keys are name, rules, where, scope, reason and expires");
        free(copy);
    }
}

static void read_entry(load_context *ctx, const yaml_node_t *node)
{
    if (node->type != YAML_MAPPING_NODE) {
        report(ctx, KQ_SEVERITY_ERROR, node, "an exclusion must be a mapping with rules, where and reason%s", NULL);
        return;
    }
    kq_exclusion entry = {.file = kq_arena_strdup(ctx->set->arena, ctx->name)};
    node_position(ctx, node, &entry.line, &entry.column);
    bool ok_before = ctx->ok;
    ctx->ok = true;
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key_node = yaml_document_get_node(ctx->doc, pair->key);
        size_t len;
        const char *key = scalar(key_node, &len);
        if (key)
            read_key(ctx, &entry, key, len, key_node, yaml_document_get_node(ctx->doc, pair->value));
    }
    const char *missing = !entry.npatterns ? "rules" : !entry.predicate ? "where" : !entry.reason ? "reason" : NULL;
    if (missing)
        report(ctx, KQ_SEVERITY_ERROR, node, "exclusion has no '%s'; the entry is not applied", missing);
    if (!entry.name)
        entry.name = kq_arena_printf(ctx->set->arena, "entry at line %d", entry.line);
    if (ctx->ok) {
        kq_grow((void **)&ctx->set->items, &ctx->set->cap, ctx->set->count + 1, sizeof *ctx->set->items);
        ctx->set->items[ctx->set->count++] = entry;
    }
    ctx->ok = ctx->ok && ok_before;
}

static void read_document(load_context *ctx)
{
    yaml_node_t *root = yaml_document_get_root_node(ctx->doc);
    if (!root) {
        report(ctx, KQ_SEVERITY_ERROR, NULL, "file holds no exclusions (empty YAML document)%s", NULL);
        return;
    }
    yaml_node_t *list = root;
    if (root->type == YAML_MAPPING_NODE) {
        list = NULL;
        for (yaml_node_pair_t *pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
            size_t len;
            const char *key = scalar(yaml_document_get_node(ctx->doc, pair->key), &len);
            if (key && kq_ascii_ieq(key, len, "exclusions", 10))
                list = yaml_document_get_node(ctx->doc, pair->value);
        }
    }
    if (!list || list->type != YAML_SEQUENCE_NODE) {
        report(ctx, KQ_SEVERITY_ERROR, list ? list : root,
               "expected a list of exclusions, bare or under the key 'exclusions'%s", NULL);
        return;
    }
    for (yaml_node_item_t *item = list->data.sequence.items.start; item < list->data.sequence.items.top; item++)
        read_entry(ctx, yaml_document_get_node(ctx->doc, *item));
}

bool kq_exclusions_load_buffer(const char *name, const char *data, size_t len, kq_exclusion_set *set,
                               kq_diags *diags)
{
    load_context ctx = {.name = name ? name : "<exclusions>", .diags = diags, .set = set, .ok = true};
    if (len > KQ_EXCLUSIONS_FILE_MAX_BYTES) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, ctx.name, 0, 0, NULL,
                        "file is %zu bytes, over the %u-byte limit for an exclusions file", len,
                        KQ_EXCLUSIONS_FILE_MAX_BYTES);
        return false;
    }
    kq_yaml_text_init(&ctx.text, data, len);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        kq_die("out of memory initializing the YAML parser");
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(&parser, (const unsigned char *)ctx.text.text.data, ctx.text.text.len);
    yaml_document_t doc;
    if (!yaml_parser_load(&parser, &doc)) {
        int line = (int)parser.problem_mark.line + 1;
        int column = (int)parser.problem_mark.column + 1;
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, ctx.name, line, column, NULL, "invalid YAML: %s",
                        parser.problem ? parser.problem : "parse failed");
        ctx.ok = false;
    } else {
        ctx.doc = &doc;
        read_document(&ctx);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    kq_yaml_text_free(&ctx.text);
    return ctx.ok;
}

bool kq_exclusions_load_file(const char *path, kq_exclusion_set *set, kq_diags *diags)
{
    struct stat info;
    if (stat(path, &info) != 0 || !S_ISREG(info.st_mode)) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, path, 0, 0, NULL, "cannot open exclusions file: %s",
                        errno ? strerror(errno) : "not a regular file");
        return false;
    }
    if ((unsigned long long)info.st_size > KQ_EXCLUSIONS_FILE_MAX_BYTES) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, path, 0, 0, NULL,
                        "file is %lld bytes, over the %u-byte limit for an exclusions file",
                        (long long)info.st_size, KQ_EXCLUSIONS_FILE_MAX_BYTES);
        return false;
    }
    size_t len;
    char *data = kq_read_file(path, &len);
    if (!data) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, path, 0, 0, NULL, "cannot read exclusions file: %s",
                        strerror(errno));
        return false;
    }
    bool ok = kq_exclusions_load_buffer(path, data, len, set, diags);
    free(data);
    return ok;
}

static bool pattern_matches(const char *pattern, const char *value)
{
    return value && fnmatch(pattern, value, FNM_CASEFOLD) == 0;
}

bool kq_exclusion_matches_rule(const kq_exclusion *exclusion, const kq_rule *rule)
{
    for (size_t i = 0; i < exclusion->npatterns; i++)
        if (pattern_matches(exclusion->rule_patterns[i], rule->id) ||
            pattern_matches(exclusion->rule_patterns[i], rule->name))
            return true;
    return false;
}

bool kq_exclusion_expired(const kq_exclusion *exclusion, int64_t now)
{
    return exclusion->expires_text && now >= exclusion->expires;
}
