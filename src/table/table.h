/*
 * Columns, batches, schemas and tables.
 *
 * A batch holds up to KQ_BATCH_ROWS rows as typed column vectors. Its column
 * data and the strings it created live in the batch's arena. A batch may also
 * point at strings and dynamic trees owned by other batches: it then holds a
 * reference on each of them (kq_batch_borrow), so memory is released only when
 * the last batch that reads it is released. Batches are reference counted and
 * start with one reference owned by their creator.
 */
#ifndef KQ_TABLE_TABLE_H
#define KQ_TABLE_TABLE_H

#include "base/arena.h"
#include "types/dynamic.h"
#include "types/types.h"

#include <stdint.h>

#define KQ_BATCH_ROWS 2048

typedef struct kq_column {
    kq_type type;
    /* One byte per row, 1 = null; NULL when no row is null. Strings are never null. */
    uint8_t *nulls;
    union {
        int64_t *l; /* int, long, datetime, timespan */
        double *r;  /* real, decimal */
        uint8_t *b; /* bool: 0 or 1 */
        kq_str *s;  /* string, guid */
        const kq_dyn **d;
    } v;
    /*
     * Set for a string or guid column read from a dictionary coded chunk of a
     * store: the value of row r is dict[codes[r]], and v.s is NULL. Functions
     * of such a column run once per distinct value (exec/eval.c). Writing a
     * cell first expands the codes into v.s.
     */
    const uint16_t *codes;
    const kq_str *dict;
    uint32_t ndict;
} kq_column;

typedef struct kq_batch kq_batch;

/*
 * Fills the columns of a batch whose data is still on disk (an on-disk store,
 * src/store). Such a batch starts with only nulls in its columns and with its
 * time ranges set; term_filter installs a string column's stored term filter
 * when a where clause first asks for it. So where clauses can skip the batch
 * before load reads any column. load is safe to call from several threads and
 * more than once; on failure it returns false with a message in error.
 * term_filter returns false when it installed nothing: the filter is then
 * built from the column's values. release runs when the batch is freed.
 */
typedef struct kq_batch_loader {
    bool (*load)(struct kq_batch_loader *self, kq_batch *batch, char *error, size_t size);
    bool (*term_filter)(struct kq_batch_loader *self, kq_batch *batch, uint32_t col);
    void (*release)(struct kq_batch_loader *self);
} kq_batch_loader;

struct kq_batch {
    uint32_t nrows;
    uint32_t capacity;
    uint32_t ncols;
    kq_column *cols;
    kq_arena *arena;
    int refcount;
    kq_batch **borrowed;
    uint32_t nborrowed, borrowed_cap;
    /* Per column, the term filter where clauses build on first use (exec/term_filter.c);
     * NULL until then. Built by whichever query reads the batch first, under
     * kq_batch_lock_facts, so queries on several threads can share the batch. */
    struct kq_term_bloom **term_blooms;
    /* Per column, the range of a datetime column's values, likewise (exec/batch_verdict.c). */
    struct kq_time_range **time_ranges;
    /* Set while the columns are on disk: call kq_batch_load before reading them. */
    kq_batch_loader *loader;
};

typedef struct kq_field {
    const char *name;
    kq_type type;
} kq_field;

typedef struct kq_schema {
    uint32_t count;
    kq_field *fields;
} kq_schema;

/* Creates an empty batch (nrows = 0) whose columns can hold `capacity` rows. */
kq_batch *kq_batch_new(uint32_t ncols, const kq_type *types, uint32_t capacity);
/*
 * Like kq_batch_new, but the columns with absent[c] set hold only nulls (empty
 * strings) and take no memory: they share one read-only block, so nothing
 * may set their cells. capacity is at most KQ_BATCH_ROWS. The table builder
 * uses it for columns no query reads.
 */
kq_batch *kq_batch_new_sparse(uint32_t ncols, const kq_type *types, uint32_t capacity, const bool *absent);
/*
 * Like kq_batch_new_sparse, but string cells are left unset (NULL pointers),
 * so no page of the columns is touched until the caller writes it. The caller
 * must set every row of every column that is not absent before the batch is read.
 */
kq_batch *kq_batch_new_unfilled(uint32_t ncols, const kq_type *types, uint32_t capacity, const bool *absent);
void kq_batch_retain(kq_batch *batch);
void kq_batch_release(kq_batch *batch);
/*
 * Guard the parts of a shared batch that are built on first use: term
 * filters, time ranges and the columns of a store batch. A builder takes the
 * lock, checks again, allocates in the batch's arena and publishes the
 * pointer with a release store. Readers load it with acquire and take no lock.
 */
void kq_batch_lock_facts(const kq_batch *batch);
void kq_batch_unlock_facts(const kq_batch *batch);
/* Reads a lazily loaded batch's columns (no-op for other batches); false with a message on failure. */
bool kq_batch_load(kq_batch *batch, char *error, size_t size);
/* Records that `batch` reads memory owned by `source`; `source` stays alive while `batch` does. */
void kq_batch_borrow(kq_batch *batch, kq_batch *source);
/* Allocates the null bytes of a column on first use and marks the row. */
void kq_column_set_null(kq_batch *batch, uint32_t col, uint32_t row);

kq_value kq_column_get(const kq_column *column, uint32_t row);
/* True for a column that shares the read-only null block of kq_batch_new_sparse (every row null). */
bool kq_column_is_absent(const kq_column *column);
/*
 * Stores v (converted by the caller to the column's type) at row. Strings and
 * dynamic trees are stored by reference: the caller guarantees they outlive
 * the batch, or copies them first with kq_value_copy into batch->arena.
 */
void kq_batch_set(kq_batch *batch, uint32_t col, uint32_t row, kq_value v);
kq_value kq_value_copy(kq_arena *arena, kq_value v);

typedef struct kq_table {
    char *name;
    kq_schema schema;
    kq_arena *arena; /* names and schema */
    kq_batch **batches;
    size_t nbatches, cap;
    uint64_t nrows;
} kq_table;

kq_table *kq_table_new(const char *name, const kq_schema *schema);
/* The table takes over the caller's reference on batch. */
void kq_table_append(kq_table *table, kq_batch *batch);
void kq_table_free(kq_table *table);
int kq_schema_find(const kq_schema *schema, const char *name, size_t len);
/* True when a and b have the same column names and types in the same order. */
bool kq_schema_same(const kq_schema *a, const kq_schema *b);
kq_schema kq_schema_copy(kq_arena *arena, const kq_schema *schema);

/* ---- built-in table schemas (Defender XDR advanced hunting, Sentinel columns added) ---- */

typedef struct kq_builtin_table {
    const char *name;
    const kq_field *fields;
    uint32_t count;
} kq_builtin_table;

const kq_builtin_table *kq_builtin_tables(size_t *count);
const kq_builtin_table *kq_builtin_table_find(const char *name, size_t len);

#endif
