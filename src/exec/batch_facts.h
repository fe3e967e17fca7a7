/*
 * Facts kept with a batch that decide where clauses for the whole batch: the
 * term filters of string columns (term_filter.c) and the ranges of datetime
 * columns (batch_verdict.c). The on-disk store (src/store) writes them at ingest
 * and sets them on its batches, so the batches it skips are never read.
 */
#ifndef KQ_EXEC_BATCH_FACTS_H
#define KQ_EXEC_BATCH_FACTS_H

#include "table/table.h"

#include <stddef.h>
#include <stdint.h>

/* Calls add with the hash of every term of text (as `has` splits and lower-cases it); returns the count. */
size_t kq_term_hash_each(const char *text, size_t len, void (*add)(void *, uint64_t), void *user);
/* Sets a term's bits in a filter of nbits bits (a power of two, at least 64). */
void kq_term_bloom_set(uint64_t *bits, uint64_t nbits, uint64_t hash);
/*
 * Installs a column's term filter; bits must live as long as the batch (its
 * arena). Called from kq_batch_loader.term_filter, which runs under the
 * batch's facts lock (kq_batch_lock_facts).
 */
void kq_batch_set_term_bloom(kq_batch *batch, uint32_t col, uint64_t *bits, uint64_t nbits);
/*
 * Finds the distinct values of a loaded string column, kept by its term
 * filter when the column repeats a few values: the value of row r is values[codes[r]].
 * False when no filter was built yet or the column has mostly distinct values.
 */
bool kq_batch_distinct_values(const kq_batch *batch, uint32_t col, const uint16_t **codes, const kq_str **values,
                              uint32_t *count);
/*
 * Installs a datetime column's range: any = some value is not null, has_null
 * = some value is null. Takes the batch's facts lock itself.
 */
void kq_batch_set_time_range(kq_batch *batch, uint32_t col, int64_t min, int64_t max, bool any, bool has_null);

#endif
