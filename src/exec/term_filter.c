/*
 * Skipping batches that a where clause cannot match, from the terms in them.
 *
 * The first time a where clause looks up a string column of a batch, the
 * column's terms (runs of ASCII letters and digits, lower-cased, as `has`
 * defines them) go into a Bloom filter kept with the batch. Table batches live
 * as long as the table, so every later rule over the same data reuses the
 * filter: a rule pack pays for reading each column's terms once.
 *
 * A row can satisfy `Col has 'x y'`, `Col has_cs`, `Col == 'x'`, `Col =~`,
 * `Col in (...)` or `Col has_any (...)` only if every term of the constant is
 * among the row's terms, so a batch whose filter lacks one of them has no
 * matching row. batch_verdict.c combines this with time ranges over and / or.
 */
#include "exec/exec.h"
#include "exec/batch_facts.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

struct kq_term_bloom {
    uint64_t *bits;
    uint64_t mask; /* number of bits - 1, a power of two minus one */
    /* A filter built from a column with few distinct values also keeps them and
     * each row's code, so functions of the column run once per value (eval.c). */
    const uint16_t *codes; /* NULL when the column gave up looking for repeats */
    const kq_str *values;
    uint32_t nvalues;
};

/* For each byte: 0 for a separator, else the byte with ASCII letters lower-cased. */
static const unsigned char term_byte[256] = {
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4', ['5'] = '5', ['6'] = '6', ['7'] = '7',
    ['8'] = '8', ['9'] = '9', ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f',
    ['g'] = 'g', ['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
    ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't', ['u'] = 'u', ['v'] = 'v',
    ['w'] = 'w', ['x'] = 'x', ['y'] = 'y', ['z'] = 'z', ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd',
    ['E'] = 'e', ['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l',
    ['M'] = 'm', ['N'] = 'n', ['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't',
    ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y', ['Z'] = 'z',
};

/* Returns the number of terms in text. */
static size_t count_terms(const char *text, size_t len)
{
    size_t count = 0;
    bool inside = false;
    for (size_t i = 0; i < len; i++) {
        bool term = term_byte[(unsigned char)text[i]] != 0;
        count += term && !inside;
        inside = term;
    }
    return count;
}

/* Calls add(hash) with the FNV-1a hash of every lower-cased term of text; returns the number of terms. */
static size_t for_each_term(const char *text, size_t len, void (*add)(void *, uint64_t), void *user)
{
    size_t count = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && !term_byte[(unsigned char)text[i]])
            i++;
        if (i == len)
            break;
        uint64_t h = UINT64_C(14695981039346656037);
        for (unsigned char c; i < len && (c = term_byte[(unsigned char)text[i]]) != 0; i++) {
            h ^= c;
            h *= UINT64_C(1099511628211);
        }
        add(user, h);
        count++;
    }
    return count;
}

/* Three bit positions from one hash. */
static void bloom_add(void *user, uint64_t h)
{
    struct kq_term_bloom *bloom = user;
    for (int k = 0; k < 3; k++) {
        uint64_t bit = (h >> (21 * k)) & bloom->mask;
        bloom->bits[bit >> 6] |= UINT64_C(1) << (bit & 63);
    }
}

static bool bloom_has(const struct kq_term_bloom *bloom, uint64_t h)
{
    for (int k = 0; k < 3; k++) {
        uint64_t bit = (h >> (21 * k)) & bloom->mask;
        if (!(bloom->bits[bit >> 6] & (UINT64_C(1) << (bit & 63))))
            return false;
    }
    return true;
}

/* Returns the slot array of term filters, allocating it (zeroed) on first use; the caller has the facts lock. */
static struct kq_term_bloom **bloom_slots(kq_batch *batch)
{
    if (!batch->term_blooms) {
        struct kq_term_bloom **slots =
            kq_arena_alloc(batch->arena, (batch->ncols ? batch->ncols : 1) * sizeof *batch->term_blooms);
        __atomic_store_n(&batch->term_blooms, slots, __ATOMIC_RELEASE);
    }
    return batch->term_blooms;
}

/* A hash of a whole string, 8 bytes at a time: cheaper than splitting it into terms. */
static uint64_t text_hash(const char *text, size_t len)
{
    uint64_t h = len * UINT64_C(0x9E3779B97F4A7C15);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t word;
        memcpy(&word, text + i, 8);
        h = (h ^ word) * UINT64_C(0xFF51AFD7ED558CCD);
        h ^= h >> 29;
    }
    /* The last bytes: a string of 8 or more rereads its final 8, which is cheaper than a short copy. */
    uint64_t tail = 0;
    if (i < len && len >= 8)
        memcpy(&tail, text + len - 8, 8);
    else
        for (size_t k = i; k < len; k++)
            tail |= (uint64_t)(uint8_t)text[k] << (8 * (k - i));
    h = (h ^ tail) * UINT64_C(0xC4CEB9FE1A85EC53);
    return h ^ (h >> 32);
}

/* After this many rows, a column with more distinct values than DISTINCT_KEEP_PERCENT is not deduplicated. */
#define DISTINCT_PROBE_ROWS 256
#define DISTINCT_KEEP_PERCENT 60
#define DISTINCT_PREFETCH_ROWS 32

/*
 * Writes to rows the rows whose text no earlier row of the column has, and
 * returns their count. Most columns of endpoint telemetry repeat a few values
 * (company names, folders, accounts), so their filter is built from a few
 * distinct strings. A column of mostly distinct values (command lines,
 * hashes) gives up after DISTINCT_PROBE_ROWS rows and lists every later row.
 */
static uint32_t distinct_rows(const kq_column *column, uint32_t nrows, uint32_t *rows, uint16_t *codes, bool *complete)
{
    uint32_t nslots = 64;
    while (nslots < 2 * nrows)
        nslots *= 2;
    uint32_t *slots = kq_xcalloc(nslots, sizeof *slots); /* row + 1 of a distinct value; 0 = empty */
    uint32_t count = 0, r = 0;
    for (; r < nrows; r++) {
        if (r == DISTINCT_PROBE_ROWS && count * 100 > DISTINCT_KEEP_PERCENT * r) {
            *complete = false;
            break;
        }
        /* Rows' strings lie far apart in a loaded batch: ask for a later row's bytes while hashing this one. */
        if (r + DISTINCT_PREFETCH_ROWS < nrows)
            __builtin_prefetch(column->v.s[r + DISTINCT_PREFETCH_ROWS].ptr);
        const kq_str *text = &column->v.s[r];
        uint32_t i = (uint32_t)text_hash(text->ptr, text->len) & (nslots - 1);
        bool seen = false;
        for (; slots[i]; i = (i + 1) & (nslots - 1)) {
            const kq_str *other = &column->v.s[slots[i] - 1];
            if (other->len == text->len && memcmp(other->ptr, text->ptr, text->len) == 0) {
                seen = true;
                codes[r] = codes[slots[i] - 1];
                break;
            }
        }
        if (!seen) {
            slots[i] = r + 1;
            codes[r] = (uint16_t)count;
            rows[count++] = r;
        }
    }
    for (; r < nrows; r++)
        rows[count++] = r;
    free(slots);
    return count;
}

/*
 * Builds the filter of a string column in the batch's arena, 8 bits per term
 * of its distinct values; under the facts lock. Which rows repeat a value
 * changes the filter's size only, never whether a term is in it.
 */
static struct kq_term_bloom *build_bloom(kq_batch *batch, uint32_t col)
{
    const kq_column *column = &batch->cols[col];
    /* A coded column lists its distinct values already. */
    const kq_str *values = column->dict;
    uint32_t count = column->ndict;
    kq_str *copies = NULL;
    uint16_t *codes = NULL;
    bool complete = true;
    if (!column->codes) {
        uint32_t *rows = kq_xmalloc((batch->nrows ? batch->nrows : 1) * sizeof *rows);
        codes = kq_xmalloc((batch->nrows ? batch->nrows : 1) * sizeof *codes);
        count = distinct_rows(column, batch->nrows, rows, codes, &complete);
        copies = kq_arena_alloc(batch->arena, (count ? count : 1) * sizeof *copies);
        for (uint32_t i = 0; i < count; i++)
            copies[i] = column->v.s[rows[i]];
        free(rows);
        values = copies;
    }
    size_t terms = 0;
    for (uint32_t i = 0; i < count; i++)
        terms += count_terms(values[i].ptr, values[i].len);
    uint64_t nbits = 512;
    while (nbits < 8 * (uint64_t)terms && nbits < (UINT64_C(1) << 24))
        nbits <<= 1;
    struct kq_term_bloom *bloom = kq_arena_alloc(batch->arena, sizeof *bloom);
    bloom->bits = kq_arena_alloc(batch->arena, nbits / 8);
    bloom->mask = nbits - 1;
    for (uint32_t i = 0; i < count; i++)
        for_each_term(values[i].ptr, values[i].len, bloom_add, bloom);
    bloom->codes = NULL;
    if (codes && complete && batch->nrows > 0) {
        uint16_t *kept = kq_arena_alloc(batch->arena, batch->nrows * sizeof *kept);
        memcpy(kept, codes, batch->nrows * sizeof *kept);
        bloom->codes = kept;
        bloom->values = values;
        bloom->nvalues = count;
    }
    free(codes);
    return bloom;
}

bool kq_batch_distinct_values(const kq_batch *batch, uint32_t col, const uint16_t **codes, const kq_str **values,
                              uint32_t *count)
{
    struct kq_term_bloom **slots = __atomic_load_n(&batch->term_blooms, __ATOMIC_ACQUIRE);
    const struct kq_term_bloom *bloom = slots ? __atomic_load_n(&slots[col], __ATOMIC_ACQUIRE) : NULL;
    if (!bloom || !bloom->codes)
        return false;
    *codes = bloom->codes;
    *values = bloom->values;
    *count = bloom->nvalues;
    return true;
}

/* Returns the filter of a string column: read from the batch's store, or built from the column on first use. */
static const struct kq_term_bloom *column_bloom(kq_batch *batch, uint32_t col)
{
    struct kq_term_bloom **slots = __atomic_load_n(&batch->term_blooms, __ATOMIC_ACQUIRE);
    const struct kq_term_bloom *known = slots ? __atomic_load_n(&slots[col], __ATOMIC_ACQUIRE) : NULL;
    if (known)
        return known;
    kq_batch_lock_facts(batch);
    slots = bloom_slots(batch);
    /* A batch of an on-disk store reads the filter stored with it (its columns may not be read yet). */
    if (!slots[col] && batch->loader)
        batch->loader->term_filter(batch->loader, batch, col);
    if (!slots[col])
        __atomic_store_n(&slots[col], build_bloom(batch, col), __ATOMIC_RELEASE);
    const struct kq_term_bloom *bloom = slots[col];
    kq_batch_unlock_facts(batch);
    return bloom;
}

typedef struct lookup {
    const struct kq_term_bloom *bloom;
    bool missing;
} lookup;

static void check_term(void *user, uint64_t h)
{
    lookup *l = user;
    if (!bloom_has(l->bloom, h))
        l->missing = true;
}

/* True when some term of the constant is absent from the column's filter. */
static bool constant_absent(kq_batch *batch, const kq_expr *column, const kq_expr *constant)
{
    if (column->kind != KQ_EXPR_COLUMN || column->column < 0 || (uint32_t)column->column >= batch->ncols)
        return false;
    if (batch->cols[column->column].type != KQ_STRING)
        return false;
    if (constant->kind != KQ_EXPR_CONST || constant->constant.null || constant->constant.type != KQ_STRING)
        return false;
    const kq_str *needle = &constant->constant.u.s;
    lookup l = {column_bloom(batch, (uint32_t)column->column), false};
    /* A constant without terms ('', '-') does not constrain the row's terms. */
    if (for_each_term(needle->ptr, needle->len, check_term, &l) == 0)
        return false;
    return l.missing;
}

static bool call_never_true(const kq_expr *e, kq_batch *batch)
{
    if (e->nargs != 2 || !e->fn)
        return false;
    const char *name = e->fn->name;
    bool symmetric = strcmp(name, "==") == 0 || strcmp(name, "=~") == 0;
    if (!symmetric && strcmp(name, "has") != 0 && strcmp(name, "has_cs") != 0)
        return false;
    if (constant_absent(batch, e->args[0], e->args[1]))
        return true;
    return symmetric && constant_absent(batch, e->args[1], e->args[0]);
}

static bool list_never_true(const kq_expr *e, kq_batch *batch)
{
    if (e->nsubqueries || e->nargs < 2)
        return false;
    if (e->list_op != KQ_LIST_IN && e->list_op != KQ_LIST_IN_CI && e->list_op != KQ_LIST_HAS_ANY)
        return false;
    for (int i = 1; i < e->nargs; i++)
        if (!constant_absent(batch, e->args[0], e->args[i]))
            return false;
    return true;
}

bool kq_terms_exclude(const kq_expr *e, kq_batch *batch)
{
    if (e->kind == KQ_EXPR_CALL)
        return call_never_true(e, batch);
    if (e->kind == KQ_EXPR_LIST_OP)
        return list_never_true(e, batch);
    return false;
}

size_t kq_term_hash_each(const char *text, size_t len, void (*add)(void *, uint64_t), void *user)
{
    return for_each_term(text, len, add, user);
}

void kq_term_bloom_set(uint64_t *bits, uint64_t nbits, uint64_t hash)
{
    struct kq_term_bloom bloom = {bits, nbits - 1};
    bloom_add(&bloom, hash);
}

void kq_batch_set_term_bloom(kq_batch *batch, uint32_t col, uint64_t *bits, uint64_t nbits)
{
    struct kq_term_bloom **slots = bloom_slots(batch);
    struct kq_term_bloom *bloom = kq_arena_alloc(batch->arena, sizeof *bloom);
    *bloom = (struct kq_term_bloom){.bits = bits, .mask = nbits - 1};
    __atomic_store_n(&slots[col], bloom, __ATOMIC_RELEASE);
}
