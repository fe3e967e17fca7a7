/*
 * H3 cell functions that work on the cell index alone: level, parent and
 * children. An H3 cell index is a 64-bit value, written as lowercase hex.
 * Bit 63 is 0, bits 59-62 hold mode 1 (a cell), bits 56-58 are 0, bits 52-55
 * hold the resolution (0 to 15) and bits 45-51 the base cell (0 to 121).
 * Fifteen 3-bit digits follow, one per resolution: each is 0 to 6 up to the
 * cell's resolution and 7 after it. Twelve base cells are pentagons, whose cells have no
 * child in direction 1 (the deleted K axis).
 *
 * The functions that need cell geometry are in geo_h3_index.c (points,
 * centers, boundaries) and geo_h3_grid.c (neighbors, rings, polygon covers).
 */
#include "functions/geo_h3.h"
#include "functions/dynamic_internal.h"

#include <stdio.h>
#include <string.h>

#define MAX_RESOLUTION 15
#define BASE_CELL_COUNT 122
/* Kusto returns children at most 5 resolutions below a cell (up to 7^5 = 16807 of them). */
#define MAX_CHILD_DEPTH 5

static const int pentagon_base_cells[] = {4, 14, 24, 38, 49, 58, 63, 72, 83, 97, 107, 117};

int kq_h3_resolution(uint64_t cell)
{
    return (int)((cell >> 52) & 15);
}

int kq_h3_base_cell(uint64_t cell)
{
    return (int)((cell >> 45) & 127);
}

/* The digit of the cell at resolution 1 to 15. */
int kq_h3_digit(uint64_t cell, int resolution)
{
    return (int)((cell >> (3 * (MAX_RESOLUTION - resolution))) & 7);
}

uint64_t kq_h3_set_digit(uint64_t cell, int resolution, int digit)
{
    int shift = 3 * (MAX_RESOLUTION - resolution);
    return (cell & ~(UINT64_C(7) << shift)) | ((uint64_t)digit << shift);
}

uint64_t kq_h3_set_resolution(uint64_t cell, int resolution)
{
    return (cell & ~(UINT64_C(15) << 52)) | ((uint64_t)resolution << 52);
}

bool kq_h3_base_is_pentagon(int base)
{
    for (size_t i = 0; i < sizeof pentagon_base_cells / sizeof pentagon_base_cells[0]; i++)
        if (pentagon_base_cells[i] == base)
            return true;
    return false;
}

bool kq_h3_cell_valid(uint64_t cell)
{
    if ((cell >> 63) != 0 || ((cell >> 59) & 15) != 1 || ((cell >> 56) & 7) != 0)
        return false;
    if (kq_h3_base_cell(cell) >= BASE_CELL_COUNT)
        return false;
    int resolution = kq_h3_resolution(cell);
    bool pentagon = kq_h3_base_is_pentagon(kq_h3_base_cell(cell)), leading_zeros = true;
    for (int r = 1; r <= MAX_RESOLUTION; r++) {
        int digit = kq_h3_digit(cell, r);
        if (r > resolution) {
            if (digit != 7)
                return false;
            continue;
        }
        if (digit == 7 || (pentagon && leading_zeros && digit == 1))
            return false;
        if (digit != 0)
            leading_zeros = false;
    }
    return true;
}

bool kq_h3_cell_arg(const kq_value *v, uint64_t *cell)
{
    kq_str token;
    return !v->null && kq_dynfn_string_arg(v, &token) && kq_geo_parse_hex(token, cell) && kq_h3_cell_valid(*cell);
}

void kq_h3_token(uint64_t cell, char text[17])
{
    snprintf(text, 17, "%llx", (unsigned long long)cell);
}

/* The ancestor of a valid cell at a resolution no finer than the cell's own. */
static uint64_t cell_parent(uint64_t cell, int resolution)
{
    for (int r = resolution + 1; r <= kq_h3_resolution(cell); r++)
        cell = kq_h3_set_digit(cell, r, 7);
    return kq_h3_set_resolution(cell, resolution);
}

kq_value kq_geo_h3cell_level(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)ctx;
    (void)argc;
    uint64_t cell;
    if (!kq_h3_cell_arg(&args[0], &cell))
        return kq_null(KQ_INT);
    return kq_int(kq_h3_resolution(cell));
}

kq_value kq_geo_h3cell_parent(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint64_t cell;
    if (!kq_h3_cell_arg(&args[0], &cell))
        return kq_string("", 0);
    int64_t resolution = kq_h3_resolution(cell) - 1;
    if (argc > 1 && !kq_dynfn_int_arg(&args[1], &resolution))
        return kq_string("", 0);
    if (resolution < 0 || resolution > MAX_RESOLUTION - 1 || resolution > kq_h3_resolution(cell))
        return kq_string("", 0);
    char text[17];
    kq_h3_token(cell_parent(cell, (int)resolution), text);
    return kq_string(kq_arena_strdup(ctx->arena, text), strlen(text));
}

/* True when every digit of the cell up to resolution is 0: a pentagon cell when its base cell is one. */
static bool digits_all_zero(uint64_t cell, int resolution)
{
    for (int r = 1; r <= resolution; r++)
        if (kq_h3_digit(cell, r) != 0)
            return false;
    return true;
}

/* Appends the descendants of cell at the target resolution in index order. */
static void append_children(kq_arena *arena, kq_dyn *out, uint64_t cell, int resolution, int target)
{
    if (resolution == target) {
        char text[17];
        kq_h3_token(cell, text);
        out->u.items[out->count++] = kq_geo_string_dyn(arena, text);
        return;
    }
    bool pentagon = kq_h3_base_is_pentagon(kq_h3_base_cell(cell)) && digits_all_zero(cell, resolution);
    for (int digit = 0; digit < 7; digit++) {
        if (pentagon && digit == 1)
            continue;
        uint64_t child = kq_h3_set_resolution(kq_h3_set_digit(cell, resolution + 1, digit), resolution + 1);
        append_children(arena, out, child, resolution + 1, target);
    }
}

kq_value kq_geo_h3cell_children(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint64_t cell;
    if (!kq_h3_cell_arg(&args[0], &cell))
        return kq_null(KQ_DYNAMIC);
    int level = kq_h3_resolution(cell);
    int64_t resolution = level + 1;
    if (argc > 1 && !kq_dynfn_int_arg(&args[1], &resolution))
        return kq_null(KQ_DYNAMIC);
    if (resolution < 1 || resolution > MAX_RESOLUTION || resolution < level || resolution - level > MAX_CHILD_DEPTH)
        return kq_null(KQ_DYNAMIC);
    uint32_t capacity = 1;
    for (int64_t r = level; r < resolution; r++)
        capacity *= 7;
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, capacity);
    out->count = 0;
    append_children(ctx->arena, out, cell, level, (int)resolution);
    return kq_dynamic(out);
}
