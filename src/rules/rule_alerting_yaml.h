/*
 * Readers for the keys of a Sentinel scheduled rule that shape its alerts:
 * entityMappings, customDetails, alertDetailsOverride, eventGroupingSettings
 * and suppressionEnabled. Private to the rule loader.
 *
 * A value of the wrong shape is reported as a warning at its node and
 * ignored, so the rule still runs as a hunting query.
 */
#ifndef KQ_RULES_RULE_ALERTING_YAML_H
#define KQ_RULES_RULE_ALERTING_YAML_H

#include "rules/rule.h"

#include <yaml.h>

typedef struct kq_rule_yaml_context {
    yaml_document_t *doc;
    kq_rule *rule;
    /* Reports a warning at node (NULL: at the rule). */
    void (*warn)(void *owner, const yaml_node_t *node, const char *message);
    void *owner;
} kq_rule_yaml_context;

void kq_rule_yaml_read_entity_mappings(kq_rule_yaml_context *ctx, const yaml_node_t *node);
void kq_rule_yaml_read_custom_details(kq_rule_yaml_context *ctx, const yaml_node_t *node);
void kq_rule_yaml_read_alert_details(kq_rule_yaml_context *ctx, const yaml_node_t *node);
void kq_rule_yaml_read_event_grouping(kq_rule_yaml_context *ctx, const yaml_node_t *node);
void kq_rule_yaml_read_suppression_enabled(kq_rule_yaml_context *ctx, const yaml_node_t *node);

#endif
