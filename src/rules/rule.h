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
} kq_rule;

typedef struct kq_rule_set {
    kq_rule **rules;
    size_t count, cap;
} kq_rule_set;

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
