/*
 * Load sieve: drops, while a table loads, the rows no query can see.
 *
 * When every query reads a table only through where clauses directly over
 * its scan (`T | where P | ...`), a row for which every such chain is false
 * or null never reaches any query's result. The sieve runs those chains over
 * each group of batches the table builder streams, on the thread that built
 * them, and keeps only the rows some chain keeps, copied into fresh batches.
 * The full batches are freed at once, so a hunt over gigabytes of exports
 * holds only the rows its rules may match.
 *
 * The queries still run their own where clauses over the rows kept, so the
 * sieve changes no result: it only has to keep a superset of what they keep.
 * A table is left whole when any query reads it another way (a scan without
 * a where, a where that calls rand() or reads a subquery, an operator the
 * sieve does not look into). KQLITE_SIEVE=0 turns it off, for comparisons.
 */
#ifndef KQ_EXEC_SIEVE_H
#define KQ_EXEC_SIEVE_H

#include "kql/plan.h"
#include "table/catalog.h"
#include "table/table.h"

#include <stdint.h>

typedef struct kq_sieve kq_sieve;

/* An empty sieve whose queries evaluate now() as `now`. */
kq_sieve *kq_sieve_new(int64_t now);
/* Adds a query compiled against the built-in schemas; the sieve takes it over and frees it. */
void kq_sieve_add(kq_sieve *sieve, kq_query *query);
/* True when some table can be sieved (KQLITE_SIEVE=0 turns every table off). */
bool kq_sieve_active(const kq_sieve *sieve);
/*
 * True when some where clause reads a subquery of other tables, as in
 * `T | where SHA1 has_any ((U | where ... | distinct SHA1))`. The sieve runs
 * such a clause only once kq_sieve_resolve has found that no input feeds U:
 * the subquery then runs over an empty U. Until then it keeps what the where
 * clauses before it keep.
 */
bool kq_sieve_reads(const kq_sieve *sieve);
/* Resolves the chains whose subqueries read only tables for which fed(user, table) returns false (no input feeds them). */
void kq_sieve_resolve(kq_sieve *sieve, bool (*fed)(void *user, const char *table), void *user);
/*
 * After the load: false, with *table set, when a table that kq_sieve_resolve
 * took as empty has rows after all. The rows sieved with that assumption may
 * lack some a query keeps: call kq_sieve_unresolve and load again.
 */
bool kq_sieve_check(const kq_sieve *sieve, const kq_catalog *catalog, const char **table);
/* Goes back to running only the where clauses that read the row alone, and zeroes the counts. */
void kq_sieve_unresolve(kq_sieve *sieve);
/*
 * Drops the rows of table (a builder's streamed batches) that no query's where
 * chain keeps; user is the sieve. Safe to call from several threads at once.
 * A table the sieve does not cover, or whose columns differ from the
 * compiled schema, is left as it is.
 */
void kq_sieve_table(void *user, kq_table *table);
/* Rows the sieve looked at and kept, and streamed rows of tables it does not cut, over every table so far. */
void kq_sieve_counts(const kq_sieve *sieve, uint64_t *seen, uint64_t *kept, uint64_t *passed);
void kq_sieve_free(kq_sieve *sieve);

#endif
