#include "base/util.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

_Noreturn void kq_die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("kqlite: fatal: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(4);
}

/* Allocations left before the injected failure; 0 means no failure is injected. */
static atomic_ullong allocations_until_failure;

void kq_set_allocation_limit(unsigned long long n)
{
    atomic_store(&allocations_until_failure, n);
}

/* True when this allocation is the one kq_set_allocation_limit chose to fail. */
static bool injected_failure(void)
{
    unsigned long long left = atomic_load(&allocations_until_failure);
    while (left != 0) {
        if (atomic_compare_exchange_weak(&allocations_until_failure, &left, left - 1))
            return left == 1;
    }
    return false;
}

void *kq_xmalloc(size_t size)
{
    void *ptr = injected_failure() ? NULL : malloc(size ? size : 1);
    if (!ptr)
        kq_die("out of memory allocating %zu bytes", size);
    return ptr;
}

void *kq_xcalloc(size_t count, size_t size)
{
    void *ptr = injected_failure() ? NULL : calloc(count ? count : 1, size ? size : 1);
    if (!ptr)
        kq_die("out of memory allocating %zu x %zu bytes", count, size);
    return ptr;
}

void *kq_xrealloc(void *ptr, size_t size)
{
    void *grown = injected_failure() ? NULL : realloc(ptr, size ? size : 1);
    if (!grown)
        kq_die("out of memory allocating %zu bytes", size);
    return grown;
}

void kq_grow(void **items, size_t *cap, size_t need, size_t elem_size)
{
    if (need <= *cap)
        return;
    size_t next = *cap ? *cap : 8;
    while (next < need) {
        if (next > SIZE_MAX / 2)
            kq_die("array size overflow");
        next *= 2;
    }
    if (next > SIZE_MAX / elem_size)
        kq_die("array size overflow");
    *items = kq_xrealloc(*items, next * elem_size);
    *cap = next;
}

char *kq_xstrdup(const char *text)
{
    return kq_xstrndup(text, strlen(text));
}

char *kq_xstrndup(const char *text, size_t len)
{
    char *copy = kq_xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    return copy;
}

bool kq_ascii_ieq(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (kq_ascii_lower((unsigned char)a[i]) != kq_ascii_lower((unsigned char)b[i]))
            return false;
    return true;
}

int kq_ascii_icmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++) {
        int ca = kq_ascii_lower((unsigned char)a[i]);
        int cb = kq_ascii_lower((unsigned char)b[i]);
        if (ca != cb)
            return ca - cb;
    }
    return KQ_COMPARE(alen, blen);
}

size_t kq_env_count(const char *name, size_t fallback)
{
    const char *value = getenv(name);
    if (!value || !*value)
        return fallback;
    char *end;
    errno = 0;
    unsigned long long count = strtoull(value, &end, 10);
    if (*end != '\0' || count == 0 || errno != 0 || value[0] == '-')
        return fallback;
    return (size_t)count;
}

double kq_monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

char *kq_read_file(const char *path, size_t *len_out)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    /* A regular file is read into a buffer one byte larger than its size, so
     * reaching its end needs no regrowth. Pipes and growing files double it. */
    struct stat st;
    size_t cap = 1 << 16, len = 0;
    if (fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size < SIZE_MAX / 4)
        cap = (size_t)st.st_size + 1;
    char *data = kq_xmalloc(cap + 1);
    for (;;) {
        size_t got = fread(data + len, 1, cap - len, file);
        len += got;
        if (got == 0)
            break;
        if (len == cap) {
            if (cap > SIZE_MAX / 4)
                kq_die("file too large: %s", path);
            cap *= 2;
            data = kq_xrealloc(data, cap + 1);
        }
    }
    int failed = ferror(file);
    int saved = errno;
    fclose(file);
    if (failed) {
        free(data);
        errno = saved ? saved : EIO;
        return NULL;
    }
    data[len] = '\0';
    *len_out = len;
    return data;
}
