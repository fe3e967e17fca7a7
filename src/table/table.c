/* Column vectors, reference-counted batches and in-memory tables. */
#include "table/table.h"
#include "base/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_size(kq_type type)
{
    switch (type) {
    case KQ_BOOL:
        return 1;
    case KQ_REAL:
    case KQ_DECIMAL:
        return sizeof(double);
    case KQ_STRING:
    case KQ_GUID:
        return sizeof(kq_str);
    case KQ_DYNAMIC:
        return sizeof(kq_dyn *);
    default:
        return sizeof(int64_t);
    }
}

/* The read-only block that absent columns share: empty strings, null flags set, zero values. */
static kq_str null_strings[KQ_BATCH_ROWS];
static uint8_t null_flags[KQ_BATCH_ROWS];
static int64_t zero_values[2 * KQ_BATCH_ROWS];
static pthread_once_t null_block_once = PTHREAD_ONCE_INIT;

static void init_null_block(void)
{
    for (uint32_t r = 0; r < KQ_BATCH_ROWS; r++) {
        null_strings[r].ptr = "";
        null_flags[r] = 1;
    }
}

/* Points an absent column at the shared block. */
static void share_null_block(kq_column *col)
{
    pthread_once(&null_block_once, init_null_block);
    switch (col->type) {
    case KQ_STRING:
    case KQ_GUID: col->v.s = null_strings; return;
    case KQ_BOOL: col->v.b = (uint8_t *)zero_values; break;
    case KQ_REAL:
    case KQ_DECIMAL: col->v.r = (double *)zero_values; break;
    case KQ_DYNAMIC: col->v.d = (const kq_dyn **)zero_values; break;
    default: col->v.l = zero_values; break;
    }
    col->nulls = null_flags;
}

bool kq_column_is_absent(const kq_column *column)
{
    if (column->type == KQ_STRING || column->type == KQ_GUID)
        return column->v.s == null_strings; /* strings are never null, so the block has no null flags */
    return column->nulls == null_flags;
}

static kq_batch *new_batch(uint32_t ncols, const kq_type *types, uint32_t capacity, const bool *absent,
                           bool empty_strings)
{
    kq_batch *batch = kq_xcalloc(1, sizeof *batch);
    size_t data_size = 0;
    for (uint32_t c = 0; c < ncols; c++)
        if (!absent || !absent[c])
            data_size += slot_size(types[c]) * (capacity ? capacity : 1);
    /* A batch whose columns are all absent (a store's, before its load) stays small:
     * a store opens hundreds of them, and most are never read. */
    batch->arena = kq_arena_new(data_size + (data_size ? 16 * 1024 : 4 * 1024));
    batch->ncols = ncols;
    batch->capacity = capacity;
    batch->refcount = 1;
    batch->cols = kq_arena_alloc(batch->arena, (ncols ? ncols : 1) * sizeof(kq_column));
    for (uint32_t c = 0; c < ncols; c++) {
        kq_column *col = &batch->cols[c];
        col->type = types[c];
        if (absent && absent[c] && capacity <= KQ_BATCH_ROWS) {
            share_null_block(col);
            continue;
        }
        void *data = kq_arena_alloc(batch->arena, slot_size(types[c]) * (capacity ? capacity : 1));
        switch (types[c]) {
        case KQ_BOOL: col->v.b = data; break;
        case KQ_REAL:
        case KQ_DECIMAL: col->v.r = data; break;
        case KQ_STRING:
        case KQ_GUID: col->v.s = data; break;
        case KQ_DYNAMIC: col->v.d = data; break;
        default: col->v.l = data; break;
        }
        if (empty_strings && (types[c] == KQ_STRING || types[c] == KQ_GUID))
            for (uint32_t r = 0; r < capacity; r++)
                col->v.s[r].ptr = "";
    }
    return batch;
}

kq_batch *kq_batch_new_sparse(uint32_t ncols, const kq_type *types, uint32_t capacity, const bool *absent)
{
    return new_batch(ncols, types, capacity, absent, true);
}

kq_batch *kq_batch_new_unfilled(uint32_t ncols, const kq_type *types, uint32_t capacity, const bool *absent)
{
    return new_batch(ncols, types, capacity, absent, false);
}

kq_batch *kq_batch_new(uint32_t ncols, const kq_type *types, uint32_t capacity)
{
    return kq_batch_new_sparse(ncols, types, capacity, NULL);
}

/*
 * Batches of a loaded table are shared by every query over it, and hunt runs
 * its rules on several threads. So the reference count is atomic, and the
 * parts of a batch built on first use (term filters, time ranges, columns
 * read from a store) are built under one of these locks, chosen by the
 * batch's address.
 */
#define FACT_LOCKS 64
static pthread_mutex_t fact_locks[FACT_LOCKS];
static pthread_once_t fact_locks_once = PTHREAD_ONCE_INIT;

static void init_fact_locks(void)
{
    for (int i = 0; i < FACT_LOCKS; i++)
        pthread_mutex_init(&fact_locks[i], NULL);
}

static pthread_mutex_t *fact_lock(const kq_batch *batch)
{
    pthread_once(&fact_locks_once, init_fact_locks);
    uint64_t h = (uint64_t)(uintptr_t)batch * UINT64_C(0x9E3779B97F4A7C15);
    return &fact_locks[h >> 58];
}

void kq_batch_lock_facts(const kq_batch *batch)
{
    pthread_mutex_lock(fact_lock(batch));
}

void kq_batch_unlock_facts(const kq_batch *batch)
{
    pthread_mutex_unlock(fact_lock(batch));
}

void kq_batch_retain(kq_batch *batch)
{
    __atomic_add_fetch(&batch->refcount, 1, __ATOMIC_RELAXED);
}

void kq_batch_release(kq_batch *batch)
{
    if (!batch || __atomic_sub_fetch(&batch->refcount, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    for (uint32_t i = 0; i < batch->nborrowed; i++)
        kq_batch_release(batch->borrowed[i]);
    free(batch->borrowed);
    if (batch->loader && batch->loader->release)
        batch->loader->release(batch->loader);
    kq_arena_free(batch->arena);
    free(batch);
}

bool kq_batch_load(kq_batch *batch, char *error, size_t size)
{
    if (!batch->loader)
        return true;
    kq_batch_lock_facts(batch);
    bool ok = batch->loader->load(batch->loader, batch, error, size);
    kq_batch_unlock_facts(batch);
    return ok;
}

void kq_batch_borrow(kq_batch *batch, kq_batch *source)
{
    if (batch == source)
        return;
    for (uint32_t i = 0; i < batch->nborrowed; i++)
        if (batch->borrowed[i] == source)
            return;
    size_t cap = batch->borrowed_cap;
    kq_grow((void **)&batch->borrowed, &cap, batch->nborrowed + 1, sizeof(kq_batch *));
    batch->borrowed_cap = (uint32_t)cap;
    batch->borrowed[batch->nborrowed++] = source;
    kq_batch_retain(source);
}

/* Expands a dictionary coded column into one string per row before a cell is written. */
static void expand_codes(kq_batch *batch, kq_column *column)
{
    uint32_t n = batch->capacity ? batch->capacity : 1;
    kq_str *values = kq_arena_alloc(batch->arena, n * sizeof *values);
    for (uint32_t r = 0; r < batch->capacity; r++)
        values[r] = r < batch->nrows ? column->dict[column->codes[r]] : (kq_str){"", 0};
    column->v.s = values;
    column->codes = NULL;
    column->dict = NULL;
    column->ndict = 0;
}

void kq_column_set_null(kq_batch *batch, uint32_t col, uint32_t row)
{
    kq_column *column = &batch->cols[col];
    if (column->codes)
        expand_codes(batch, column);
    if (column->type == KQ_STRING || column->type == KQ_GUID) {
        column->v.s[row].ptr = "";
        column->v.s[row].len = 0;
        return;
    }
    if (!column->nulls)
        column->nulls = kq_arena_alloc(batch->arena, batch->capacity ? batch->capacity : 1);
    column->nulls[row] = 1;
}

kq_value kq_column_get(const kq_column *column, uint32_t row)
{
    kq_value v = {.type = column->type};
    if (column->nulls && column->nulls[row]) {
        v.null = true;
        return v;
    }
    switch (column->type) {
    case KQ_BOOL: v.u.b = column->v.b[row] != 0; break;
    case KQ_REAL:
    case KQ_DECIMAL: v.u.r = column->v.r[row]; break;
    case KQ_STRING:
    case KQ_GUID: v.u.s = column->codes ? column->dict[column->codes[row]] : column->v.s[row]; break;
    case KQ_DYNAMIC:
        v.u.d = column->v.d[row];
        v.null = v.u.d == NULL;
        break;
    default: v.u.l = column->v.l[row]; break;
    }
    return v;
}

void kq_batch_set(kq_batch *batch, uint32_t col, uint32_t row, kq_value v)
{
    kq_column *column = &batch->cols[col];
    if (column->codes)
        expand_codes(batch, column);
    if (v.null && column->type != KQ_STRING && column->type != KQ_GUID) {
        kq_column_set_null(batch, col, row);
        return;
    }
    if (column->nulls)
        column->nulls[row] = 0;
    switch (column->type) {
    case KQ_BOOL: column->v.b[row] = v.u.b; break;
    case KQ_REAL:
    case KQ_DECIMAL: column->v.r[row] = v.u.r; break;
    case KQ_STRING:
    case KQ_GUID:
        if (v.null) {
            column->v.s[row].ptr = "";
            column->v.s[row].len = 0;
        } else {
            column->v.s[row] = v.u.s;
        }
        break;
    case KQ_DYNAMIC: column->v.d[row] = v.u.d; break;
    default: column->v.l[row] = v.u.l; break;
    }
}

kq_value kq_value_copy(kq_arena *arena, kq_value v)
{
    if (v.null)
        return v;
    if (v.type == KQ_STRING || v.type == KQ_GUID) {
        v.u.s.ptr = kq_arena_strndup(arena, v.u.s.ptr, v.u.s.len);
    } else if (v.type == KQ_DYNAMIC && v.u.d) {
        v.u.d = kq_dyn_copy(arena, v.u.d);
        v.null = v.u.d == NULL;
    }
    return v;
}

kq_table *kq_table_new(const char *name, const kq_schema *schema)
{
    kq_table *table = kq_xcalloc(1, sizeof *table);
    table->arena = kq_arena_new(4096);
    table->name = kq_arena_strdup(table->arena, name);
    table->schema = kq_schema_copy(table->arena, schema);
    return table;
}

void kq_table_append(kq_table *table, kq_batch *batch)
{
    kq_grow((void **)&table->batches, &table->cap, table->nbatches + 1, sizeof(kq_batch *));
    table->batches[table->nbatches++] = batch;
    table->nrows += batch->nrows;
}

void kq_table_free(kq_table *table)
{
    if (!table)
        return;
    for (size_t i = 0; i < table->nbatches; i++)
        kq_batch_release(table->batches[i]);
    free(table->batches);
    kq_arena_free(table->arena);
    free(table);
}

bool kq_schema_same(const kq_schema *a, const kq_schema *b)
{
    if (a->count != b->count)
        return false;
    for (uint32_t i = 0; i < a->count; i++)
        if (a->fields[i].type != b->fields[i].type || strcmp(a->fields[i].name, b->fields[i].name) != 0)
            return false;
    return true;
}

int kq_schema_find(const kq_schema *schema, const char *name, size_t len)
{
    for (uint32_t i = 0; i < schema->count; i++)
        if (strlen(schema->fields[i].name) == len && memcmp(schema->fields[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

kq_schema kq_schema_copy(kq_arena *arena, const kq_schema *schema)
{
    kq_schema copy = {schema->count, NULL};
    copy.fields = kq_arena_alloc(arena, (schema->count ? schema->count : 1) * sizeof(kq_field));
    for (uint32_t i = 0; i < schema->count; i++) {
        copy.fields[i].name = kq_arena_strdup(arena, schema->fields[i].name);
        copy.fields[i].type = schema->fields[i].type;
    }
    return copy;
}
