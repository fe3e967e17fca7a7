/* Arena allocator: a chain of blocks; large requests get a block of their own. */
#include "base/arena.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
} arena_block;

struct kq_arena {
    arena_block *head;
    size_t block_size;
    size_t total_used;
};

kq_arena *kq_arena_new(size_t block_size)
{
    kq_arena *arena = kq_xcalloc(1, sizeof *arena);
    arena->block_size = block_size ? block_size : 64 * 1024;
    return arena;
}

static void free_blocks(arena_block *block)
{
    while (block) {
        arena_block *next = block->next;
        free(block);
        block = next;
    }
}

void kq_arena_free(kq_arena *arena)
{
    if (!arena)
        return;
    free_blocks(arena->head);
    free(arena);
}

void kq_arena_reset(kq_arena *arena)
{
    /* Keep the newest block for reuse; free the others. Allocations clear their own bytes. */
    if (!arena->head)
        return;
    free_blocks(arena->head->next);
    arena->head->next = NULL;
    arena->head->used = 0;
    arena->total_used = 0;
}

/*
 * Returns size bytes aligned to align (a power of two, at most 16), not
 * cleared. Strings take alignment 1, so a short string costs its length and
 * its NUL and no padding.
 */
static void *arena_take(kq_arena *arena, size_t size, size_t align)
{
    arena_block *head = arena->head;
    if (head) {
        size_t start = (head->used + align - 1) & ~(align - 1);
        if (start <= head->size && head->size - start >= size) {
            head->used = start + size;
            arena->total_used += size;
            return head->data + start;
        }
    }
    if (size > SIZE_MAX - sizeof(arena_block) - 15)
        kq_die("arena allocation size overflow");
    bool large = size > arena->block_size / 4;
    size_t block_size = large ? size : arena->block_size;
    /* Blocks are not cleared: a page of a block is first touched by the bytes written into it. */
    arena_block *block = kq_xmalloc(sizeof *block + block_size);
    block->size = block_size;
    block->used = size;
    arena->total_used += size;
    if (head && large) {
        /* A large request: link behind the head so the head keeps serving small ones. */
        block->next = head->next;
        head->next = block;
    } else {
        block->next = head;
        arena->head = block;
    }
    return block->data;
}

void *kq_arena_alloc(kq_arena *arena, size_t size)
{
    void *result = arena_take(arena, size, 16);
    memset(result, 0, size);
    return result;
}

char *kq_arena_strndup(kq_arena *arena, const char *text, size_t len)
{
    if (len == SIZE_MAX)
        kq_die("arena allocation size overflow");
    char *copy = arena_take(arena, len + 1, 1);
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\0';
    return copy;
}

char *kq_arena_strdup(kq_arena *arena, const char *text)
{
    return kq_arena_strndup(arena, text, strlen(text));
}

char *kq_arena_printf(kq_arena *arena, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int len = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (len < 0)
        kq_die("invalid format string");
    char *text = kq_arena_alloc(arena, (size_t)len + 1);
    va_start(args, format);
    vsnprintf(text, (size_t)len + 1, format, args);
    va_end(args);
    return text;
}

void kq_arena_adopt(kq_arena *dst, kq_arena *src)
{
    if (!src)
        return;
    arena_block *last = src->head;
    while (last && last->next)
        last = last->next;
    if (last) {
        if (dst->head) {
            last->next = dst->head->next;
            dst->head->next = src->head;
        } else {
            dst->head = src->head;
        }
    }
    dst->total_used += src->total_used;
    free(src);
}

size_t kq_arena_used(const kq_arena *arena)
{
    return arena->total_used;
}
