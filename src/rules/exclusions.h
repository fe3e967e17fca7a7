/*
 * Exclusions: an analyst's suppressions of known false positives, kept
 * outside the vendor's rule files.
 *
 * An exclusions file is YAML: a list of entries (bare, or under the key
 * `exclusions`). Each entry names the rules it applies to (`rules`: ids,
 * names or shell globs over either), a KQL predicate (`where`), the rows it
 * tests (`scope`: `result`, the rule's result rows, the default; or `source`,
 * the rows of the tables the rule reads, before the rule runs), a `reason`
 * and an optional `expires` date. A row the predicate is true for is
 * suppressed; a null predicate value keeps the row.
 *
 * Ownership rule: a kq_exclusion_set owns its entries and their strings (in
 * its arena); free it with kq_exclusion_set_free.
 */
#ifndef KQ_RULES_EXCLUSIONS_H
#define KQ_RULES_EXCLUSIONS_H

#include "base/arena.h"
#include "base/diag.h"
#include "rules/rule.h"

#include <stdbool.h>
#include <stdint.h>

/* Largest exclusions file read, in bytes: a bound against a stray log file given by mistake. */
#define KQ_EXCLUSIONS_FILE_MAX_BYTES (1024u * 1024)

typedef enum kq_exclusion_scope { KQ_EXCLUSION_RESULT, KQ_EXCLUSION_SOURCE } kq_exclusion_scope;

typedef struct kq_exclusion {
    char *name;                 /* `name`, or "entry at line N" */
    char *file;
    int line, column;           /* 1-based position of the entry */
    char **rule_patterns;
    size_t npatterns;
    char *predicate;            /* the KQL text of `where` */
    /* Maps the predicate's text to its place in the file, as kq_source does for a rule's query:
       predicate line k sits on file line predicate_line + k, indented by predicate_indent[k] bytes. */
    int predicate_line;
    int *predicate_indent;
    int npredicate_lines;
    kq_exclusion_scope scope;
    char *reason;
    char *expires_text;         /* as written; NULL when absent */
    int64_t expires;            /* first instant at which the entry no longer applies */
} kq_exclusion;

typedef struct kq_exclusion_set {
    kq_arena *arena;
    kq_exclusion *items;
    size_t count, cap;
} kq_exclusion_set;

void kq_exclusion_set_init(kq_exclusion_set *set);
void kq_exclusion_set_free(kq_exclusion_set *set);

/*
 * Loads the entries of one exclusions file into set. Errors (unreadable
 * file, invalid YAML, an entry without `rules`, `where` or `reason`, an
 * invalid `scope` or `expires`) and warnings (unknown keys) go to diags with
 * file:line:column; an invalid entry is left out. Returns false when any error
 * was reported.
 */
bool kq_exclusions_load_file(const char *path, kq_exclusion_set *set, kq_diags *diags);
/* As kq_exclusions_load_file, over len bytes of text named `name` in messages. */
bool kq_exclusions_load_buffer(const char *name, const char *data, size_t len, kq_exclusion_set *set,
                               kq_diags *diags);

/* True when one of the entry's patterns equals or globs (case-insensitively) the rule's id or name. */
bool kq_exclusion_matches_rule(const kq_exclusion *exclusion, const kq_rule *rule);
/* True when the entry has an expiry at or before now. */
bool kq_exclusion_expired(const kq_exclusion *exclusion, int64_t now);

/* The scope's name as written in files: "result" or "source". */
const char *kq_exclusion_scope_name(kq_exclusion_scope scope);

#endif
