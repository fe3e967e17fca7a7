/*
 * Detection rules loaded from Microsoft Sentinel analytics-rule YAML files.
 *
 * Ownership rule: a kq_rule owns every string and array it points to (they
 * live in the rule's arena), and a kq_rule_set owns its rules. Free a rule
 * with kq_rule_free and a set with kq_rule_set_free; nothing else is freed
 * on its own.
 */
#ifndef KQ_RULES_RULE_H
#define KQ_RULES_RULE_H

#include "base/arena.h"
#include "base/diag.h"

#include <stdbool.h>
#include <stddef.h>

/* Largest rule file read, in bytes. A Sentinel rule is a few KiB; this bounds
   the memory a stray log file or a crafted YAML file can cost the loader. */
#define KQ_RULE_FILE_MAX_BYTES (4u * 1024 * 1024)
/* Maximum folder nesting followed under a rule folder. */
#define KQ_RULE_DIR_MAX_DEPTH 32
/* Maximum re-indentation repairs tried on one file before it is reported as broken. */
#define KQ_RULE_MAX_REPAIRS 16

/* One field of an entityMappings entry: the entity identifier and the result column feeding it. */
typedef struct kq_rule_field_mapping {
    char *identifier;           /* "FullName", "Name", "Address", ... */
    char *column;               /* result column name */
} kq_rule_field_mapping;

/* One entityMappings entry of a scheduled rule. */
typedef struct kq_rule_entity_mapping {
    char *entity_type;          /* "Account", "Host", "IP", "URL", "Process", "File", ... */
    kq_rule_field_mapping *fields;
    size_t nfields;
} kq_rule_entity_mapping;

/* One customDetails pair: the detail's key in the alert and the result column it shows. */
typedef struct kq_rule_custom_detail {
    char *key;
    char *column;
} kq_rule_custom_detail;

/* How a run's result rows become alerts (eventGroupingSettings.aggregationKind). */
typedef enum kq_rule_grouping {
    KQ_RULE_GROUPING_SINGLE_ALERT,     /* Sentinel's default: one alert per run */
    KQ_RULE_GROUPING_ALERT_PER_RESULT, /* one alert per result row */
} kq_rule_grouping;

typedef struct kq_rule {
    kq_arena *arena;            /* owns everything below */
    char *file;                 /* path as given by the caller */
    char *id, *name, *description, *severity, *kind, *version;  /* NULL when absent */
    char **tactics;             /* a scalar "CommandAndControl" becomes a list of one */
    size_t ntactics;
    char **techniques;          /* relevantTechniques */
    size_t ntechniques;
    char **data_types;          /* union of requiredDataConnectors[].dataTypes */
    size_t ndata_types;
    char **connectors;          /* requiredDataConnectors[].connectorId */
    size_t nconnectors;
    char *query;                /* the query text, byte for byte the YAML value */
    size_t query_len;
    /* Maps a query offset to its file position: query line k sits on file line
       first_line + k with indent[k] bytes of indentation removed. */
    kq_source query_source;
    char *query_frequency;      /* as written, e.g. "1h"; NULL when absent */
    char *query_period;         /* as written, e.g. "5d"; NULL when absent */
    char *trigger_operator;     /* e.g. "gt"; NULL when absent */
    long long trigger_threshold;
    bool has_trigger;           /* true when triggerThreshold held a valid integer */
    kq_rule_entity_mapping *entity_mappings;
    size_t nentity_mappings;
    kq_rule_custom_detail *custom_details;
    size_t ncustom_details;
    /* alertDetailsOverride: format strings with {{Column}} placeholders, and the
       columns whose first-row value replaces the severity or the tactics. NULL when absent. */
    char *alert_name_format;
    char *alert_description_format;
    char *alert_severity_column;
    char *alert_tactics_column;
    kq_rule_grouping grouping;
    bool suppression_enabled;
    char *suppression_duration; /* as written, e.g. "5h"; NULL when absent */
} kq_rule;

typedef struct kq_rule_set {
    kq_rule **rules;
    size_t count, cap;
} kq_rule_set;

/*
 * Loads a rule written as a plain .kql file: the whole text is the query, and
 * leading `//# id:`, `//# name:`, `//# severity:`, `//# tactics:`, `//# techniques:`
 * comment lines fill the metadata (id and name default to the file name).
 */
size_t kq_rules_load_kql_buffer(const char *name, const char *data, size_t len, kq_rule_set *set,
                                kq_diags *diags);

void kq_rule_set_init(kq_rule_set *set);
void kq_rule_set_free(kq_rule_set *set);
void kq_rule_free(kq_rule *rule);

/*
 * Loads one rule file, or every .yaml/.yml file under a folder tree in sorted
 * path order. Hidden entries (names starting with '.') are skipped, and
 * symbolic links to folders are not followed. Warnings (a mis-indented block
 * read after repair, a missing id) and errors (unreadable file, invalid YAML,
 * missing query) go to diags with file:line:column. A file that cannot be
 * loaded is reported and skipped, and the other files still load. Returns the
 * number of rules added to set.
 */
size_t kq_rules_load_path(const char *path, kq_rule_set *set, kq_diags *diags);

/*
 * Loads one rule from len bytes of YAML text. name (NULL for "<input>") is
 * used in messages and as the rule's file. Returns 1 when a rule was added to
 * set, else 0.
 */
size_t kq_rules_load_buffer(const char *name, const char *data, size_t len, kq_rule_set *set,
                            kq_diags *diags);

#endif
