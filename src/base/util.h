/* Checked allocation wrappers and small helpers shared by every stage. */
#ifndef KQ_BASE_UTIL_H
#define KQ_BASE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Allocation failure is fatal: the wrappers print a message and exit(4). */
void *kq_xmalloc(size_t size);
void *kq_xcalloc(size_t count, size_t size);
void *kq_xrealloc(void *ptr, size_t size);
/* Grows *items so that it holds at least `need` elements of `elem_size`. */
void kq_grow(void **items, size_t *cap, size_t need, size_t elem_size);
char *kq_xstrdup(const char *text);
char *kq_xstrndup(const char *text, size_t len);
/*
 * Test hook: makes the nth allocation through the wrappers above fail from now
 * on (1 = the next one), which then exits(4) like a real failure. 0 turns it off.
 * Tests call it in a forked child to check that a reader fails cleanly.
 */
void kq_set_allocation_limit(unsigned long long n);
_Noreturn void kq_die(const char *format, ...) __attribute__((format(printf, 1, 2)));

#define KQ_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Three-way comparison of two numbers of the same type: -1, 0 or 1, as qsort expects. */
#define KQ_COMPARE(a, b) (((a) > (b)) - ((a) < (b)))

static inline bool kq_is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline unsigned char kq_ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* ASCII case-insensitive comparisons (Kusto folds ASCII only). */
bool kq_ascii_ieq(const char *a, size_t alen, const char *b, size_t blen);
int kq_ascii_icmp(const char *a, size_t alen, const char *b, size_t blen);

/* Seconds on the monotonic clock, for measuring how long a step took. */
double kq_monotonic_seconds(void);

/* Reads a whole file; returns NULL and sets errno on failure. */
char *kq_read_file(const char *path, size_t *len_out);

/* Returns the positive count in the environment variable name (a test knob), or fallback when unset or invalid. */
size_t kq_env_count(const char *name, size_t fallback);

#endif
