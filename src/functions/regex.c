#include "functions/regex.h"
#include "base/util.h"
#include "functions/text_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Rules use a handful of distinct patterns; 256 entries keep them all without eviction. */
#define REGEX_CACHE_SIZE 256

typedef struct cached_regex {
    char *pattern;
    size_t len;
    pcre2_code *code;
} cached_regex;

static cached_regex cache[REGEX_CACHE_SIZE];
static size_t cache_count;
static size_t next_victim;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t evictions; /* entries freed so far; changed under cache_lock */

/*
 * The entry this thread found last. A where clause looks up the same pattern
 * on every row, and threads that scan together would otherwise take turns on
 * cache_lock for each row. It is used only while no entry has been evicted.
 */
static __thread const cached_regex *last_found;
static __thread uint64_t last_evictions;

const pcre2_code *kq_regex_get(const char *pattern, size_t len, char *error, size_t size)
{
    const cached_regex *last = last_found;
    if (last && last->len == len && last_evictions == __atomic_load_n(&evictions, __ATOMIC_ACQUIRE) &&
        memcmp(last->pattern, pattern, len) == 0)
        return last->code;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < cache_count; i++)
        if (cache[i].len == len && memcmp(cache[i].pattern, pattern, len) == 0) {
            pcre2_code *code = cache[i].code;
            last_found = &cache[i];
            last_evictions = evictions;
            pthread_mutex_unlock(&cache_lock);
            return code;
        }
    /* Kusto uses RE2: constructs that PCRE2 would accept but RE2 rejects are errors here too. */
    if (!kq_regex_check_re2(pattern, len, error, size)) {
        pthread_mutex_unlock(&cache_lock);
        return NULL;
    }
    int error_code;
    PCRE2_SIZE error_offset;
    /* DOLLAR_ENDONLY: as in RE2, '$' matches only at the very end, not before a final newline. */
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, len,
                                     PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
                                     &error_code, &error_offset, NULL);
    if (!code) {
        PCRE2_UCHAR message[160];
        pcre2_get_error_message(error_code, message, sizeof message);
        snprintf(error, size, "invalid regular expression '%.*s' at offset %zu: %s",
                 (int)(len > 80 ? 80 : len), pattern, (size_t)error_offset, (char *)message);
        pthread_mutex_unlock(&cache_lock);
        return NULL;
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    size_t slot;
    if (cache_count < REGEX_CACHE_SIZE) {
        slot = cache_count++;
    } else {
        /* Callers use a cached pattern only within the call that looked it up (operators
         * that keep one, such as parse, compile their own with kq_regex_compile), so the
         * oldest entry can be freed here.
         * NOTE: not safe against another thread that is using the entry right now. That
         * takes more than 256 patterns in use at once, and no bundled rule pack has as many. */
        slot = next_victim++ % REGEX_CACHE_SIZE;
        __atomic_add_fetch(&evictions, 1, __ATOMIC_RELEASE);
        free(cache[slot].pattern);
        pcre2_code_free(cache[slot].code);
    }
    cache[slot].pattern = kq_xstrndup(pattern, len);
    cache[slot].len = len;
    cache[slot].code = code;
    pthread_mutex_unlock(&cache_lock);
    return code;
}

pcre2_code *kq_regex_compile(const char *pattern, size_t len, char *error, size_t size)
{
    if (!kq_regex_check_re2(pattern, len, error, size))
        return NULL;
    int error_code;
    PCRE2_SIZE error_offset;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, len,
                                     PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
                                     &error_code, &error_offset, NULL);
    if (!code) {
        PCRE2_UCHAR message[160];
        pcre2_get_error_message(error_code, message, sizeof message);
        snprintf(error, size, "invalid regular expression '%.*s' at offset %zu: %s",
                 (int)(len > 80 ? 80 : len), pattern, (size_t)error_offset, (char *)message);
        return NULL;
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    return code;
}
