/* Compiling KQL text into a plan: parse, then bind names and types. */
#ifndef KQ_KQL_COMPILE_H
#define KQ_KQL_COMPILE_H

#include "base/diag.h"
#include "kql/plan.h"
#include "table/catalog.h"

/*
 * Compiles a query. Tables resolve to the catalog's loaded tables first
 * (their columns include extra columns found in the files), then to the
 * built-in schemas. catalog may be NULL (check-only compiles, as in
 * `kqlite rules`). Returns NULL after adding every error found to diags.
 */
kq_query *kq_compile(const kq_source *source, const kq_catalog *catalog, kq_diags *diags);
void kq_query_free(kq_query *query);

/* Edit distance with case-insensitive matching, for "did you mean" hints. */
int kq_name_distance(const char *a, size_t alen, const char *b, size_t blen);

#endif
