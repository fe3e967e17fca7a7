/*
 * Arena allocator: many small allocations freed together.
 *
 * Ownership rule: memory from an arena lives until kq_arena_reset() or
 * kq_arena_free() on that arena. Nothing allocated from an arena is freed
 * on its own. Batches, plans and parsed documents each own one arena.
 */
#ifndef KQ_BASE_ARENA_H
#define KQ_BASE_ARENA_H

#include <stddef.h>

typedef struct kq_arena kq_arena;

kq_arena *kq_arena_new(size_t block_size);
void kq_arena_free(kq_arena *arena);
void kq_arena_reset(kq_arena *arena);

/* Returns zeroed memory aligned for any scalar type; aborts on out-of-memory. */
void *kq_arena_alloc(kq_arena *arena, size_t size);
/* Copies len bytes and appends a NUL terminator. */
char *kq_arena_strndup(kq_arena *arena, const char *text, size_t len);
char *kq_arena_strdup(kq_arena *arena, const char *text);
char *kq_arena_printf(kq_arena *arena, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Moves every block of src into dst and frees src. Memory allocated from src
 * stays valid and now lives as long as dst; dst's newest block keeps serving
 * new allocations.
 */
void kq_arena_adopt(kq_arena *dst, kq_arena *src);
/* Bytes handed out so far, for memory accounting. */
size_t kq_arena_used(const kq_arena *arena);

#endif
