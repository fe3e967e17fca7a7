/* Reads the alert-shaping keys of a Sentinel scheduled rule (see rule_alerting_yaml.h). */
#include "rules/rule_alerting_yaml.h"

#include "base/util.h"

#include <stdio.h>
#include <string.h>

/* Entity types Sentinel's entityMappings accept; others are kept with a warning. */
static const char *const known_entity_types[] = {
    "Account", "Host", "IP", "URL", "Process", "File", "FileHash", "AzureResource", "CloudApplication",
    "DNS", "RegistryKey", "RegistryValue", "SecurityGroup", "Mailbox", "MailCluster", "MailMessage",
    "SubmissionMail", "Malware", "IoTDevice",
};

static const char *scalar_text(const yaml_node_t *node, size_t *len)
{
    if (!node || node->type != YAML_SCALAR_NODE)
        return NULL;
    *len = node->data.scalar.length;
    return (const char *)node->data.scalar.value;
}

static char *scalar_copy(kq_rule_yaml_context *ctx, const yaml_node_t *node)
{
    size_t len;
    const char *text = scalar_text(node, &len);
    return text && len > 0 ? kq_arena_strndup(ctx->rule->arena, text, len) : NULL;
}

static yaml_node_t *child(kq_rule_yaml_context *ctx, yaml_node_item_t item)
{
    return yaml_document_get_node(ctx->doc, item);
}

static yaml_node_t *mapping_value(kq_rule_yaml_context *ctx, const yaml_node_t *mapping, const char *key)
{
    if (!mapping || mapping->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *pair = mapping->data.mapping.pairs.start;
         pair < mapping->data.mapping.pairs.top; pair++) {
        size_t len;
        const char *name = scalar_text(yaml_document_get_node(ctx->doc, pair->key), &len);
        if (name && strlen(key) == len && memcmp(name, key, len) == 0)
            return yaml_document_get_node(ctx->doc, pair->value);
    }
    return NULL;
}

static void warn(kq_rule_yaml_context *ctx, const yaml_node_t *node, const char *message)
{
    ctx->warn(ctx->owner, node, message);
}

/* Reads one entityMappings entry; returns false (after a warning) when it is unusable. */
static bool read_entity(kq_rule_yaml_context *ctx, const yaml_node_t *entry, kq_rule_entity_mapping *out)
{
    memset(out, 0, sizeof *out);
    out->entity_type = scalar_copy(ctx, mapping_value(ctx, entry, "entityType"));
    yaml_node_t *fields = mapping_value(ctx, entry, "fieldMappings");
    if (!out->entity_type || !fields || fields->type != YAML_SEQUENCE_NODE) {
        warn(ctx, entry, "an 'entityMappings' entry needs 'entityType' and a 'fieldMappings' list; "
                         "the entry is ignored");
        return false;
    }
    bool known = false;
    for (size_t i = 0; i < KQ_ARRAY_LEN(known_entity_types); i++)
        known |= strcmp(known_entity_types[i], out->entity_type) == 0;
    if (!known) {
        char message[200];
        snprintf(message, sizeof message,
                 "entity type '%.60s' is not one Sentinel knows; it is kept as written", out->entity_type);
        warn(ctx, entry, message);
    }
    size_t count = (size_t)(fields->data.sequence.items.top - fields->data.sequence.items.start);
    out->fields = kq_arena_alloc(ctx->rule->arena, (count ? count : 1) * sizeof *out->fields);
    for (yaml_node_item_t *item = fields->data.sequence.items.start; item < fields->data.sequence.items.top;
         item++) {
        yaml_node_t *field = child(ctx, *item);
        char *identifier = scalar_copy(ctx, mapping_value(ctx, field, "identifier"));
        char *column = scalar_copy(ctx, mapping_value(ctx, field, "columnName"));
        if (!identifier || !column) {
            warn(ctx, field, "a 'fieldMappings' item needs 'identifier' and 'columnName'; the item is ignored");
            continue;
        }
        out->fields[out->nfields].identifier = identifier;
        out->fields[out->nfields].column = column;
        out->nfields++;
    }
    return out->nfields > 0;
}

void kq_rule_yaml_read_entity_mappings(kq_rule_yaml_context *ctx, const yaml_node_t *node)
{
    kq_rule *rule = ctx->rule;
    if (node->type != YAML_SEQUENCE_NODE) {
        warn(ctx, node, "'entityMappings' must be a list of {entityType, fieldMappings}; ignored");
        return;
    }
    size_t count = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    rule->entity_mappings = kq_arena_alloc(rule->arena, (count ? count : 1) * sizeof *rule->entity_mappings);
    rule->nentity_mappings = 0;
    for (yaml_node_item_t *item = node->data.sequence.items.start; item < node->data.sequence.items.top;
         item++)
        if (read_entity(ctx, child(ctx, *item), &rule->entity_mappings[rule->nentity_mappings]))
            rule->nentity_mappings++;
}

void kq_rule_yaml_read_custom_details(kq_rule_yaml_context *ctx, const yaml_node_t *node)
{
    kq_rule *rule = ctx->rule;
    if (node->type != YAML_MAPPING_NODE) {
        warn(ctx, node, "'customDetails' must be a mapping of detail names to column names; ignored");
        return;
    }
    size_t count = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    rule->custom_details = kq_arena_alloc(rule->arena, (count ? count : 1) * sizeof *rule->custom_details);
    rule->ncustom_details = 0;
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
        char *key = scalar_copy(ctx, yaml_document_get_node(ctx->doc, pair->key));
        yaml_node_t *value_node = yaml_document_get_node(ctx->doc, pair->value);
        char *column = scalar_copy(ctx, value_node);
        if (!key || !column) {
            warn(ctx, value_node, "a 'customDetails' value must be a column name; the detail is ignored");
            continue;
        }
        rule->custom_details[rule->ncustom_details].key = key;
        rule->custom_details[rule->ncustom_details].column = column;
        rule->ncustom_details++;
    }
}

void kq_rule_yaml_read_alert_details(kq_rule_yaml_context *ctx, const yaml_node_t *node)
{
    kq_rule *rule = ctx->rule;
    if (node->type != YAML_MAPPING_NODE) {
        warn(ctx, node, "'alertDetailsOverride' must be a mapping; ignored");
        return;
    }
    rule->alert_name_format = scalar_copy(ctx, mapping_value(ctx, node, "alertDisplayNameFormat"));
    rule->alert_description_format = scalar_copy(ctx, mapping_value(ctx, node, "alertDescriptionFormat"));
    rule->alert_severity_column = scalar_copy(ctx, mapping_value(ctx, node, "alertSeverityColumnName"));
    rule->alert_tactics_column = scalar_copy(ctx, mapping_value(ctx, node, "alertTacticsColumnName"));
    if (mapping_value(ctx, node, "alertDynamicProperties"))
        warn(ctx, mapping_value(ctx, node, "alertDynamicProperties"),
             "'alertDynamicProperties' is not supported yet; the alerts keep their default properties");
}

void kq_rule_yaml_read_event_grouping(kq_rule_yaml_context *ctx, const yaml_node_t *node)
{
    size_t len;
    const char *kind = scalar_text(mapping_value(ctx, node, "aggregationKind"), &len);
    if (kind && kq_ascii_ieq(kind, len, "SingleAlert", 11)) {
        ctx->rule->grouping = KQ_RULE_GROUPING_SINGLE_ALERT;
        return;
    }
    if (kind && kq_ascii_ieq(kind, len, "AlertPerResult", 14)) {
        ctx->rule->grouping = KQ_RULE_GROUPING_ALERT_PER_RESULT;
        return;
    }
    warn(ctx, node, "'eventGroupingSettings.aggregationKind' must be SingleAlert or AlertPerResult; "
                    "SingleAlert is used");
}

void kq_rule_yaml_read_suppression_enabled(kq_rule_yaml_context *ctx, const yaml_node_t *node)
{
    size_t len;
    const char *text = scalar_text(node, &len);
    if (text && kq_ascii_ieq(text, len, "true", 4)) {
        ctx->rule->suppression_enabled = true;
        return;
    }
    if (text && kq_ascii_ieq(text, len, "false", 5)) {
        ctx->rule->suppression_enabled = false;
        return;
    }
    warn(ctx, node, "'suppressionEnabled' must be true or false; suppression stays off");
}
