/*
 * H3 grid traversal: geo_h3cell_neighbors, geo_h3cell_rings and
 * geo_polygon_to_h3cells. Moving one step from a cell rewrites its digits
 * from the finest resolution up, and carries into the base cell when the step
 * leaves the base cell. The tables below give each base cell's neighbor in
 * each direction and the turns into that neighbor's lattice. They are
 * published constants of Uber's H3 library (versions 3 and 4), where 127 and -1 mark
 * the deleted K direction of a pentagon. Rings follow H3's order: a spiral that starts
 * with the neighbor in direction I, or, when the spiral meets a pentagon, a
 * search whose order follows a hash of the cell indexes.
 */
#include "functions/geo_h3.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char base_cell_neighbors[KQ_H3_BASE_CELLS][7] = {
    {0, 1, 5, 2, 4, 3, 8},
    {1, 7, 6, 9, 0, 3, 2},
    {2, 6, 10, 11, 0, 1, 5},
    {3, 13, 1, 7, 4, 12, 0},
    {4, 127, 15, 8, 3, 0, 12},
    {5, 2, 18, 10, 8, 0, 16},
    {6, 14, 11, 17, 1, 9, 2},
    {7, 21, 9, 19, 3, 13, 1},
    {8, 5, 22, 16, 4, 0, 15},
    {9, 19, 14, 20, 1, 7, 6},
    {10, 11, 24, 23, 5, 2, 18},
    {11, 17, 23, 25, 2, 6, 10},
    {12, 28, 13, 26, 4, 15, 3},
    {13, 26, 21, 29, 3, 12, 7},
    {14, 127, 17, 27, 9, 20, 6},
    {15, 22, 28, 31, 4, 8, 12},
    {16, 18, 33, 30, 8, 5, 22},
    {17, 11, 14, 6, 35, 25, 27},
    {18, 24, 30, 32, 5, 10, 16},
    {19, 34, 20, 36, 7, 21, 9},
    {20, 14, 19, 9, 40, 27, 36},
    {21, 38, 19, 34, 13, 29, 7},
    {22, 16, 41, 33, 15, 8, 31},
    {23, 24, 11, 10, 39, 37, 25},
    {24, 127, 32, 37, 10, 23, 18},
    {25, 23, 17, 11, 45, 39, 35},
    {26, 42, 29, 43, 12, 28, 13},
    {27, 40, 35, 46, 14, 20, 17},
    {28, 31, 42, 44, 12, 15, 26},
    {29, 43, 38, 47, 13, 26, 21},
    {30, 32, 48, 50, 16, 18, 33},
    {31, 41, 44, 53, 15, 22, 28},
    {32, 30, 24, 18, 52, 50, 37},
    {33, 30, 49, 48, 22, 16, 41},
    {34, 19, 38, 21, 54, 36, 51},
    {35, 46, 45, 56, 17, 27, 25},
    {36, 20, 34, 19, 55, 40, 54},
    {37, 39, 52, 57, 24, 23, 32},
    {38, 127, 34, 51, 29, 47, 21},
    {39, 37, 25, 23, 59, 57, 45},
    {40, 27, 36, 20, 60, 46, 55},
    {41, 49, 53, 61, 22, 33, 31},
    {42, 58, 43, 62, 28, 44, 26},
    {43, 62, 47, 64, 26, 42, 29},
    {44, 53, 58, 65, 28, 31, 42},
    {45, 39, 35, 25, 63, 59, 56},
    {46, 60, 56, 68, 27, 40, 35},
    {47, 38, 43, 29, 69, 51, 64},
    {48, 49, 30, 33, 67, 66, 50},
    {49, 127, 61, 66, 33, 48, 41},
    {50, 48, 32, 30, 70, 67, 52},
    {51, 69, 54, 71, 38, 47, 34},
    {52, 57, 70, 74, 32, 37, 50},
    {53, 61, 65, 75, 31, 41, 44},
    {54, 71, 55, 73, 34, 51, 36},
    {55, 40, 54, 36, 72, 60, 73},
    {56, 68, 63, 77, 35, 46, 45},
    {57, 59, 74, 78, 37, 39, 52},
    {58, 127, 62, 76, 44, 65, 42},
    {59, 63, 78, 79, 39, 45, 57},
    {60, 72, 68, 80, 40, 55, 46},
    {61, 53, 49, 41, 81, 75, 66},
    {62, 43, 58, 42, 82, 64, 76},
    {63, 127, 56, 45, 79, 59, 77},
    {64, 47, 62, 43, 84, 69, 82},
    {65, 58, 53, 44, 86, 76, 75},
    {66, 67, 81, 85, 49, 48, 61},
    {67, 66, 50, 48, 87, 85, 70},
    {68, 56, 60, 46, 90, 77, 80},
    {69, 51, 64, 47, 89, 71, 84},
    {70, 67, 52, 50, 83, 87, 74},
    {71, 89, 73, 91, 51, 69, 54},
    {72, 127, 73, 55, 80, 60, 88},
    {73, 91, 72, 88, 54, 71, 55},
    {74, 78, 83, 92, 52, 57, 70},
    {75, 65, 61, 53, 94, 86, 81},
    {76, 86, 82, 96, 58, 65, 62},
    {77, 63, 68, 56, 93, 79, 90},
    {78, 74, 59, 57, 95, 92, 79},
    {79, 78, 63, 59, 93, 95, 77},
    {80, 68, 72, 60, 99, 90, 88},
    {81, 85, 94, 101, 61, 66, 75},
    {82, 96, 84, 98, 62, 76, 64},
    {83, 127, 74, 70, 100, 87, 92},
    {84, 69, 82, 64, 97, 89, 98},
    {85, 87, 101, 102, 66, 67, 81},
    {86, 76, 75, 65, 104, 96, 94},
    {87, 83, 102, 100, 67, 70, 85},
    {88, 72, 91, 73, 99, 80, 105},
    {89, 97, 91, 103, 69, 84, 71},
    {90, 77, 80, 68, 106, 93, 99},
    {91, 73, 89, 71, 105, 88, 103},
    {92, 83, 78, 74, 108, 100, 95},
    {93, 79, 90, 77, 109, 95, 106},
    {94, 86, 81, 75, 107, 104, 101},
    {95, 92, 79, 78, 109, 108, 93},
    {96, 104, 98, 110, 76, 86, 82},
    {97, 127, 98, 84, 103, 89, 111},
    {98, 110, 97, 111, 82, 96, 84},
    {99, 80, 105, 88, 106, 90, 113},
    {100, 102, 83, 87, 108, 114, 92},
    {101, 102, 107, 112, 81, 85, 94},
    {102, 101, 87, 85, 114, 112, 100},
    {103, 91, 97, 89, 116, 105, 111},
    {104, 107, 110, 115, 86, 94, 96},
    {105, 88, 103, 91, 113, 99, 116},
    {106, 93, 99, 90, 117, 109, 113},
    {107, 127, 101, 94, 115, 104, 112},
    {108, 100, 95, 92, 118, 114, 109},
    {109, 108, 93, 95, 117, 118, 106},
    {110, 98, 104, 96, 119, 111, 115},
    {111, 97, 110, 98, 116, 103, 119},
    {112, 107, 102, 101, 120, 115, 114},
    {113, 99, 116, 105, 117, 106, 121},
    {114, 112, 100, 102, 118, 120, 108},
    {115, 110, 107, 104, 120, 119, 112},
    {116, 103, 119, 111, 113, 105, 121},
    {117, 127, 109, 118, 113, 121, 106},
    {118, 120, 108, 114, 117, 121, 109},
    {119, 111, 115, 110, 121, 116, 120},
    {120, 115, 114, 112, 121, 119, 118},
    {121, 116, 120, 119, 117, 113, 118},
};
static const signed char base_cell_neighbor_rotations[KQ_H3_BASE_CELLS][7] = {
    {0, 5, 0, 0, 1, 5, 1},
    {0, 0, 1, 0, 1, 0, 1},
    {0, 0, 0, 0, 0, 5, 0},
    {0, 5, 0, 0, 2, 5, 1},
    {0, -1, 1, 0, 3, 4, 2},
    {0, 0, 1, 0, 1, 0, 1},
    {0, 0, 0, 3, 5, 5, 0},
    {0, 0, 0, 0, 0, 5, 0},
    {0, 5, 0, 0, 0, 5, 1},
    {0, 0, 1, 3, 0, 0, 1},
    {0, 0, 1, 3, 0, 0, 1},
    {0, 3, 3, 3, 0, 0, 0},
    {0, 5, 0, 0, 3, 5, 1},
    {0, 0, 1, 0, 1, 0, 1},
    {0, -1, 3, 0, 5, 2, 0},
    {0, 5, 0, 0, 4, 5, 1},
    {0, 0, 0, 0, 0, 5, 0},
    {0, 3, 3, 3, 3, 0, 3},
    {0, 0, 0, 3, 5, 5, 0},
    {0, 3, 3, 3, 0, 0, 0},
    {0, 3, 3, 3, 0, 3, 0},
    {0, 0, 0, 3, 5, 5, 0},
    {0, 0, 1, 0, 1, 0, 1},
    {0, 3, 3, 3, 0, 3, 0},
    {0, -1, 3, 0, 5, 2, 0},
    {0, 0, 0, 3, 0, 0, 3},
    {0, 0, 0, 0, 0, 5, 0},
    {0, 3, 0, 0, 0, 3, 3},
    {0, 0, 1, 0, 1, 0, 1},
    {0, 0, 1, 3, 0, 0, 1},
    {0, 3, 3, 3, 0, 0, 0},
    {0, 0, 0, 0, 0, 5, 0},
    {0, 3, 3, 3, 3, 0, 3},
    {0, 0, 1, 3, 0, 0, 1},
    {0, 3, 3, 3, 3, 0, 3},
    {0, 0, 3, 0, 3, 0, 3},
    {0, 0, 0, 3, 0, 0, 3},
    {0, 3, 0, 0, 0, 3, 3},
    {0, -1, 3, 0, 5, 2, 0},
    {0, 3, 0, 0, 3, 3, 0},
    {0, 3, 0, 0, 3, 3, 0},
    {0, 0, 0, 3, 5, 5, 0},
    {0, 0, 0, 3, 5, 5, 0},
    {0, 3, 3, 3, 0, 0, 0},
    {0, 0, 1, 3, 0, 0, 1},
    {0, 0, 3, 0, 0, 3, 3},
    {0, 0, 0, 3, 0, 3, 0},
    {0, 3, 3, 3, 0, 3, 0},
    {0, 3, 3, 3, 0, 3, 0},
    {0, -1, 3, 0, 5, 2, 0},
    {0, 0, 0, 3, 0, 0, 3},
    {0, 3, 0, 0, 0, 3, 3},
    {0, 0, 3, 0, 3, 0, 3},
    {0, 3, 3, 3, 0, 0, 0},
    {0, 0, 3, 0, 3, 0, 3},
    {0, 0, 3, 0, 0, 3, 3},
    {0, 3, 3, 3, 0, 0, 3},
    {0, 0, 0, 3, 0, 3, 0},
    {0, -1, 3, 0, 5, 2, 0},
    {0, 3, 3, 3, 3, 3, 0},
    {0, 3, 3, 3, 3, 3, 0},
    {0, 3, 3, 3, 3, 0, 3},
    {0, 3, 3, 3, 3, 0, 3},
    {0, -1, 3, 0, 5, 2, 0},
    {0, 0, 0, 3, 0, 0, 3},
    {0, 3, 3, 3, 0, 3, 0},
    {0, 3, 0, 0, 0, 3, 3},
    {0, 3, 0, 0, 3, 3, 0},
    {0, 3, 3, 3, 0, 0, 0},
    {0, 3, 0, 0, 3, 3, 0},
    {0, 0, 3, 0, 0, 3, 3},
    {0, 0, 0, 3, 0, 3, 0},
    {0, -1, 3, 0, 5, 2, 0},
    {0, 3, 3, 3, 0, 0, 3},
    {0, 3, 3, 3, 0, 0, 3},
    {0, 0, 0, 3, 0, 0, 3},
    {0, 3, 0, 0, 0, 3, 3},
    {0, 0, 0, 3, 0, 5, 0},
    {0, 3, 3, 3, 0, 0, 0},
    {0, 0, 1, 3, 1, 0, 1},
    {0, 0, 1, 3, 1, 0, 1},
    {0, 0, 3, 0, 3, 0, 3},
    {0, 0, 3, 0, 3, 0, 3},
    {0, -1, 3, 0, 5, 2, 0},
    {0, 0, 3, 0, 0, 3, 3},
    {0, 0, 0, 3, 0, 3, 0},
    {0, 3, 0, 0, 3, 3, 0},
    {0, 3, 3, 3, 3, 3, 0},
    {0, 0, 0, 3, 0, 5, 0},
    {0, 3, 3, 3, 3, 3, 0},
    {0, 0, 0, 0, 0, 0, 1},
    {0, 3, 3, 3, 0, 0, 0},
    {0, 0, 0, 3, 0, 5, 0},
    {0, 5, 0, 0, 5, 5, 0},
    {0, 0, 3, 0, 0, 3, 3},
    {0, 0, 0, 0, 0, 0, 1},
    {0, 0, 0, 3, 0, 3, 0},
    {0, -1, 3, 0, 5, 2, 0},
    {0, 3, 3, 3, 0, 0, 3},
    {0, 5, 0, 0, 5, 5, 0},
    {0, 0, 1, 3, 1, 0, 1},
    {0, 3, 3, 3, 0, 0, 3},
    {0, 3, 3, 3, 0, 0, 0},
    {0, 0, 1, 3, 1, 0, 1},
    {0, 3, 3, 3, 3, 3, 0},
    {0, 0, 0, 0, 0, 0, 1},
    {0, 0, 1, 0, 3, 5, 1},
    {0, -1, 3, 0, 5, 2, 0},
    {0, 5, 0, 0, 5, 5, 0},
    {0, 0, 1, 0, 4, 5, 1},
    {0, 3, 3, 3, 0, 0, 0},
    {0, 0, 0, 3, 0, 5, 0},
    {0, 0, 0, 3, 0, 5, 0},
    {0, 0, 1, 0, 2, 5, 1},
    {0, 0, 0, 0, 0, 0, 1},
    {0, 0, 1, 3, 1, 0, 1},
    {0, 5, 0, 0, 5, 5, 0},
    {0, -1, 1, 0, 3, 4, 2},
    {0, 0, 1, 0, 0, 5, 1},
    {0, 0, 0, 0, 0, 0, 1},
    {0, 5, 0, 0, 5, 5, 0},
    {0, 0, 1, 0, 1, 5, 1},
};

#define NO_BASE_CELL 127
/* Kusto's limits: the ring distance and the number of cells of a polygon cover. */
#define MAX_RING_DISTANCE 142
#define MAX_COVER_CELLS 61680
#define DEFAULT_COVER_RESOLUTION 6

/* The directions of a ring's six sides, in walking order, and the step onto the next ring. */
static const int ring_sides[6] = {KQ_H3_J, KQ_H3_JK, KQ_H3_K, KQ_H3_IK, KQ_H3_I, KQ_H3_IJ};
#define NEXT_RING_DIRECTION KQ_H3_I

/* Moves a digit one step in a direction at a resolution: returns the new digit and sets *carry to
 * the direction the parent must move (0 when the step stays inside the parent). */
static int step_digit(int digit, int direction, int resolution, int *carry)
{
    bool class3 = resolution % 2 == 1;
    kq_h3_ijk position = kq_h3_unit_vector(digit);
    kq_h3_ijk unit = kq_h3_unit_vector(direction);
    position.i += unit.i;
    position.j += unit.j;
    position.k += unit.k;
    kq_h3_ijk_normalize(&position);
    kq_h3_ijk parent = kq_h3_ijk_up7(position, class3);
    kq_h3_ijk center = kq_h3_ijk_down7(parent, class3);
    *carry = kq_h3_ijk_to_digit(parent);
    return kq_h3_ijk_to_digit((kq_h3_ijk){position.i - center.i, position.j - center.j, position.k - center.k});
}

/* Leaves the deleted K sub-sequence of a pentagon base cell after a step; false when the step
 * cannot be taken. */
static bool leave_deleted_k(uint64_t *cell, int old_base, int old_leading, int *rotations, bool *adjusted)
{
    int base = kq_h3_base_cell(*cell);
    *adjusted = false;
    if (kq_h3_leading_digit(*cell) != KQ_H3_K)
        return true;
    if (old_base != base) {
        *cell = kq_h3_rotate60(*cell, !kq_h3_base_cw_offset(base, kq_h3_base_home_face(old_base)));
        *adjusted = true;
        return true;
    }
    if (old_leading == KQ_H3_JK) {
        *cell = kq_h3_rotate60(*cell, true);
        *rotations += 1;
        return true;
    }
    if (old_leading == KQ_H3_IK) {
        *cell = kq_h3_rotate60(*cell, false);
        *rotations += 5;
        return true;
    }
    return false;
}

/* The neighbor of a valid cell in a direction given in the lattice of the walk's first cell, after
 * *rotations 60-degree counterclockwise turns. Updates *rotations for the new cell's lattice.
 * Returns 0 when the step leads into a pentagon's deleted direction. */
static uint64_t neighbor_rotations(uint64_t cell, int direction, int *rotations)
{
    for (int n = 0; n < *rotations; n++)
        direction = kq_h3_rotate_digit(direction, true);
    int old_base = kq_h3_base_cell(cell), old_leading = kq_h3_leading_digit(cell), new_rotations = 0;
    for (int r = kq_h3_resolution(cell); ; r--) {
        if (r == 0) {
            int base = base_cell_neighbors[old_base][direction];
            new_rotations = base_cell_neighbor_rotations[old_base][direction];
            if (base == NO_BASE_CELL) {
                /* The deleted K edge of a pentagon borders the IK neighbor. */
                base = base_cell_neighbors[old_base][KQ_H3_IK];
                new_rotations = base_cell_neighbor_rotations[old_base][KQ_H3_IK];
                cell = kq_h3_rotate60(cell, true);
                *rotations += 1;
            }
            cell = (cell & ~(UINT64_C(127) << 45)) | ((uint64_t)base << 45);
            break;
        }
        int carry;
        cell = kq_h3_set_digit(cell, r, step_digit(kq_h3_digit(cell, r), direction, r, &carry));
        if (carry == KQ_H3_CENTER)
            break;
        direction = carry;
    }
    int base = kq_h3_base_cell(cell);
    if (!kq_h3_base_is_pentagon(base)) {
        for (int n = 0; n < new_rotations; n++)
            cell = kq_h3_rotate60(cell, true);
        *rotations = (*rotations + new_rotations) % 6;
        return cell;
    }
    bool adjusted;
    if (!leave_deleted_k(&cell, old_base, old_leading, rotations, &adjusted))
        return 0;
    for (int n = 0; n < new_rotations; n++)
        cell = kq_h3_rotate_pentagon60(cell, true);
    if (old_base != base) {
        bool polar = base == 4 || base == 117;
        /* Every neighbor of the two polar pentagons faces them along its I axis. */
        if (polar && old_base != 118 && old_base != 8 && kq_h3_leading_digit(cell) != KQ_H3_JK)
            *rotations += 1;
        else if (!polar && kq_h3_leading_digit(cell) == KQ_H3_IK && !adjusted)
            *rotations += 1;
    }
    *rotations = (*rotations + new_rotations) % 6;
    return cell;
}

/* A hash set of cell indexes with open addressing. */
typedef struct cell_set {
    uint64_t *slots;
    uint32_t capacity, count;
} cell_set;

/* Allocates an empty set in scratch memory; false when memory runs out. */
static bool set_init(cell_set *set, uint32_t capacity)
{
    set->capacity = capacity;
    set->count = 0;
    set->slots = calloc(capacity, sizeof *set->slots);
    return set->slots != NULL;
}

/* Adds a cell; false when it was already there. The caller keeps count below capacity. */
static bool set_add(cell_set *set, uint64_t cell)
{
    uint32_t slot = (uint32_t)((cell * UINT64_C(0x9e3779b97f4a7c15)) >> 40) % set->capacity;
    while (set->slots[slot] != 0) {
        if (set->slots[slot] == cell)
            return false;
        slot = (slot + 1) % set->capacity;
    }
    set->slots[slot] = cell;
    set->count++;
    return true;
}

/* Cells within a distance of an origin with their distances, in H3's order. */
typedef struct disk {
    uint64_t *cells;
    int *distances;
    uint32_t count, capacity;
    /* Calls of the depth-first search left before it gives way to the breadth-first one. */
    uint32_t budget;
} disk;

/*
 * Calls of the depth-first search allowed for one disk. H3's search revisits a cell each time it
 * finds a shorter path. Around a pentagon it makes about 1.6 k calls per cell of a disk of
 * distance k (measured for k 5 to 60), so about 5 k^3 calls in all. At distance 142 and
 * resolution 15 that took over a minute, and this budget covers distances up to about 35.
 */
#define SEARCH_CALL_BUDGET 250000

static uint32_t disk_size(int k)
{
    return 3 * (uint32_t)k * ((uint32_t)k + 1) + 1;
}

/* The spiral walk; false when it meets a pentagon, whose distorted lattice it cannot walk. */
static bool disk_spiral(uint64_t origin, int k, disk *out)
{
    out->count = 0;
    out->cells[out->count] = origin;
    out->distances[out->count++] = 0;
    if (kq_h3_is_pentagon(origin))
        return false;
    int rotations = 0;
    uint64_t cell = origin;
    for (int ring = 1; ring <= k; ring++) {
        cell = neighbor_rotations(cell, NEXT_RING_DIRECTION, &rotations);
        if (cell == 0 || kq_h3_is_pentagon(cell))
            return false;
        for (int side = 0; side < 6; side++) {
            for (int step = 0; step < ring; step++) {
                cell = neighbor_rotations(cell, ring_sides[side], &rotations);
                if (cell == 0)
                    return false;
                out->cells[out->count] = cell;
                out->distances[out->count++] = ring;
                if (kq_h3_is_pentagon(cell))
                    return false;
            }
        }
    }
    return true;
}

/* The slot of a cell in the hash table keyed by cell index modulo the table size, as H3 keys it. */
static uint32_t disk_slot(const disk *table, uint64_t cell)
{
    uint32_t slot = (uint32_t)(cell % table->capacity);
    while (table->cells[slot] != 0 && table->cells[slot] != cell)
        slot = (slot + 1) % table->capacity;
    return slot;
}

/* H3's depth-first search, revisiting a cell when a shorter path reaches it; false when it runs
 * out of budget. */
static bool disk_search(uint64_t cell, int k, int distance, disk *table)
{
    if (table->budget == 0)
        return false;
    table->budget--;
    uint32_t slot = disk_slot(table, cell);
    if (table->cells[slot] == cell && table->distances[slot] <= distance)
        return true;
    table->cells[slot] = cell;
    table->distances[slot] = distance;
    if (distance >= k)
        return true;
    for (int side = 0; side < 6; side++) {
        int rotations = 0;
        uint64_t next = neighbor_rotations(cell, ring_sides[side], &rotations);
        if (next != 0 && !disk_search(next, k, distance + 1, table))
            return false;
    }
    return true;
}

/*
 * A breadth-first search that fills the disk with the same cells and distances as H3's search,
 * in the order it finds them, with one visit per cell. It tracks visited cells in a sparse set
 * of its own, because H3's table is nearly full and its lookups probe long runs.
 * NOTE: H3 orders the cells of a ring by their slots in its table, so for large rings around a
 * pentagon the order within a ring differs from H3's.
 */
static bool disk_breadth_first(uint64_t origin, int k, disk *table)
{
    cell_set visited;
    uint64_t *queue = malloc(table->capacity * sizeof *queue);
    int *queue_distances = malloc(table->capacity * sizeof *queue_distances);
    bool ok = queue && queue_distances && set_init(&visited, 4 * table->capacity);
    uint32_t head = 0, tail = 0;
    if (ok) {
        set_add(&visited, origin);
        queue[tail] = origin;
        queue_distances[tail++] = 0;
    }
    while (ok && head < tail) {
        uint64_t cell = queue[head];
        int distance = queue_distances[head++];
        for (int side = 0; side < 6 && distance < k; side++) {
            int rotations = 0;
            uint64_t next = neighbor_rotations(cell, ring_sides[side], &rotations);
            if (next == 0 || tail >= table->capacity || !set_add(&visited, next))
                continue;
            queue[tail] = next;
            queue_distances[tail++] = distance + 1;
        }
    }
    for (uint32_t n = 0; ok && n < tail; n++) {
        table->cells[n] = queue[n];
        table->distances[n] = queue_distances[n];
    }
    table->count = tail;
    if (ok)
        free(visited.slots);
    free(queue);
    free(queue_distances);
    return ok;
}

static void disk_free(disk *table)
{
    free(table->cells);
    free(table->distances);
}

/* Fills a disk in scratch memory that disk_free releases; false when memory runs out. */
static bool disk_fill(uint64_t origin, int k, disk *out)
{
    out->capacity = disk_size(k);
    out->cells = malloc(out->capacity * sizeof *out->cells);
    out->distances = malloc(out->capacity * sizeof *out->distances);
    if (!out->cells || !out->distances) {
        disk_free(out);
        return false;
    }
    if (disk_spiral(origin, k, out))
        return true;
    memset(out->cells, 0, out->capacity * sizeof *out->cells);
    out->budget = SEARCH_CALL_BUDGET;
    if (!disk_search(origin, k, 0, out)) {
        if (disk_breadth_first(origin, k, out))
            return true;
        disk_free(out);
        return false;
    }
    uint32_t kept = 0;
    for (uint32_t slot = 0; slot < out->capacity; slot++) {
        if (out->cells[slot] == 0)
            continue;
        out->cells[kept] = out->cells[slot];
        out->distances[kept++] = out->distances[slot];
    }
    out->count = kept;
    return true;
}

static const kq_dyn *cell_dyn(kq_arena *arena, uint64_t cell)
{
    char text[17];
    kq_h3_token(cell, text);
    return kq_geo_string_dyn(arena, text);
}

/* The cells around a cell, in the order of its distance 1 ring. */
kq_value kq_geo_h3cell_neighbors(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    uint64_t cell;
    if (!kq_h3_cell_arg(&args[0], &cell))
        return kq_null(KQ_DYNAMIC);
    disk found;
    if (!disk_fill(cell, 1, &found))
        return kq_null(KQ_DYNAMIC);
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, found.count);
    out->count = 0;
    for (uint32_t n = 0; n < found.count; n++)
        if (found.distances[n] == 1)
            out->u.items[out->count++] = cell_dyn(ctx->arena, found.cells[n]);
    disk_free(&found);
    return kq_dynamic(out);
}

/* An array of rings 0 to distance, where ring d contains the cells d steps away in H3's order. */
kq_value kq_geo_h3cell_rings(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    uint64_t cell;
    int64_t distance;
    if (!kq_h3_cell_arg(&args[0], &cell) || args[1].null || !kq_dynfn_int_arg(&args[1], &distance))
        return kq_null(KQ_DYNAMIC);
    if (distance < 0 || distance > MAX_RING_DISTANCE)
        return kq_null(KQ_DYNAMIC);
    disk found;
    if (!disk_fill(cell, (int)distance, &found))
        return kq_null(KQ_DYNAMIC);
    kq_dyn *rings = kq_dynfn_new_array(ctx->arena, (uint32_t)distance + 1);
    for (int d = 0; d <= distance; d++) {
        uint32_t size = 0;
        for (uint32_t n = 0; n < found.count; n++)
            size += found.distances[n] == d;
        kq_dyn *ring = kq_dynfn_new_array(ctx->arena, size);
        ring->count = 0;
        for (uint32_t n = 0; n < found.count; n++)
            if (found.distances[n] == d)
                ring->u.items[ring->count++] = cell_dyn(ctx->arena, found.cells[n]);
        rings->u.items[d] = ring;
    }
    disk_free(&found);
    return kq_dynamic(rings);
}

/* ---- polygon covers ---- */

/* A polygon's rings as longitude/latitude vertices in degrees, tested as straight lines on the
 * longitude/latitude plane. */
typedef struct flat_shape {
    kq_geo_coord **rings;
    uint32_t *sizes;
    uint32_t count;
} flat_shape;

static void flatten(kq_arena *arena, const kq_geo_polygons *shape, flat_shape *out)
{
    out->count = 0;
    for (uint32_t p = 0; p < shape->count; p++)
        out->count += shape->polygons[p].count;
    out->rings = kq_arena_alloc(arena, out->count * sizeof *out->rings);
    out->sizes = kq_arena_alloc(arena, out->count * sizeof *out->sizes);
    uint32_t n = 0;
    for (uint32_t p = 0; p < shape->count; p++) {
        for (uint32_t r = 0; r < shape->polygons[p].count; r++, n++) {
            const kq_geo_path *ring = &shape->polygons[p].rings[r];
            out->rings[n] = kq_arena_alloc(arena, ring->count * sizeof *out->rings[n]);
            out->sizes[n] = ring->count;
            for (uint32_t v = 0; v < ring->count; v++)
                out->rings[n][v] = kq_geo_to_coord(ring->points[v]);
        }
    }
}

/* Even-odd rule over every ring, so holes and the parts of a MultiPolygon both work. */
static bool flat_contains(const flat_shape *shape, double lng, double lat)
{
    bool inside = false;
    for (uint32_t r = 0; r < shape->count; r++) {
        const kq_geo_coord *ring = shape->rings[r];
        uint32_t size = shape->sizes[r];
        for (uint32_t a = 0, b = size - 1; a < size; b = a++) {
            if ((ring[a].lat > lat) != (ring[b].lat > lat) &&
                lng < (ring[b].lng - ring[a].lng) * (lat - ring[a].lat) / (ring[b].lat - ring[a].lat) + ring[a].lng)
                inside = !inside;
        }
    }
    return inside;
}

static bool center_inside(const flat_shape *shape, uint64_t cell)
{
    double lat, lng;
    kq_h3_to_geo(cell, &lat, &lng);
    return flat_contains(shape, lng * 180.0 / KQ_GEO_PI, lat * 180.0 / KQ_GEO_PI);
}

/* Samples every edge at steps shorter than a cell's radius, adding the cells met to seeds. */
static bool trace_edges(const flat_shape *shape, int resolution, double step, cell_set *seeds)
{
    for (uint32_t r = 0; r < shape->count; r++) {
        const kq_geo_coord *ring = shape->rings[r];
        for (uint32_t a = 0; a < shape->sizes[r]; a++) {
            kq_geo_coord from = ring[a], to = ring[(a + 1) % shape->sizes[r]];
            double length = hypot(to.lng - from.lng, to.lat - from.lat);
            double samples = ceil(length / step);
            for (double s = 0; s <= samples; s++) {
                double t = samples > 0 ? s / samples : 0;
                double lng = from.lng + t * (to.lng - from.lng), lat = from.lat + t * (to.lat - from.lat);
                uint64_t cell = kq_h3_from_geo(lat * KQ_GEO_PI / 180.0, lng * KQ_GEO_PI / 180.0, resolution);
                if (cell != 0 && seeds->count < seeds->capacity / 2)
                    set_add(seeds, cell);
                else if (cell != 0 && seeds->count >= seeds->capacity / 2)
                    return false;
            }
        }
    }
    return true;
}

/* A cell's distance from its center to its first vertex, in degrees of arc. */
static double cell_radius_degrees(uint64_t cell)
{
    double lat, lng, vertex_lat[10], vertex_lng[10];
    kq_h3_to_geo(cell, &lat, &lng);
    kq_h3_boundary(cell, vertex_lat, vertex_lng);
    double d_lat = vertex_lat[0] - lat, d_lng = (vertex_lng[0] - lng) * cos(lat);
    return hypot(d_lat, d_lng) * 180.0 / KQ_GEO_PI;
}

/* Reads the polygon, enlarged by the radius in meters when it is positive. */
static bool cover_shape(kq_eval_ctx *ctx, const kq_value *args, int argc, kq_geo_polygons *shape)
{
    double radius = 0;
    if (argc > 2 && !kq_geo_real_arg(ctx, &args[2], &radius))
        return false;
    if (!(radius >= 0) || !isfinite(radius))
        return false;
    if (radius == 0)
        return kq_geo_read_polygons(ctx->arena, kq_dynfn_tree(&args[0]), shape);
    kq_value buffer_args[2] = {args[0], kq_real(radius)};
    kq_value buffered = kq_geo_polygon_buffer(ctx, buffer_args, 2);
    return !buffered.null && kq_geo_read_polygons(ctx->arena, kq_dynfn_tree(&buffered), shape);
}

/* Scratch memory of one cover: the cells along the edges, the cells whose centers were tested,
 * the cells found (also in order) and the queue of cells whose neighbors are still to test. */
typedef struct cover_state {
    cell_set seeds, checked, found;
    uint64_t *order, *frontier;
    uint32_t frontier_count;
} cover_state;

static void cover_free(cover_state *state)
{
    free(state->seeds.slots);
    free(state->checked.slots);
    free(state->found.slots);
    free(state->order);
    free(state->frontier);
}

static bool cover_init(cover_state *state)
{
    memset(state, 0, sizeof *state);
    bool ok = set_init(&state->seeds, 8 * MAX_COVER_CELLS) && set_init(&state->checked, 16 * MAX_COVER_CELLS) &&
              set_init(&state->found, 2 * MAX_COVER_CELLS + 1);
    state->order = ok ? malloc((MAX_COVER_CELLS + 1) * sizeof *state->order) : NULL;
    state->frontier = ok ? malloc(state->seeds.capacity * sizeof *state->frontier) : NULL;
    return state->order && state->frontier;
}

/* Spreads breadth-first from the edge cells: each queued cell's neighbors (and the cell itself)
 * are tested once, and those whose centers are inside join the result and the queue. Returns
 * false beyond MAX_COVER_CELLS cells or when the tested set fills. */
static bool cover_spread(cover_state *state, const flat_shape *shape)
{
    for (uint32_t s = 0; s < state->seeds.capacity; s++)
        if (state->seeds.slots[s] != 0)
            state->frontier[state->frontier_count++] = state->seeds.slots[s];
    for (uint32_t next = 0; next < state->frontier_count; next++) {
        uint64_t cell = state->frontier[next];
        for (int side = -1; side < 6; side++) {
            int rotations = 0;
            uint64_t candidate = side < 0 ? cell : neighbor_rotations(cell, ring_sides[side], &rotations);
            if (candidate == 0)
                continue;
            if (state->checked.count >= state->checked.capacity / 2)
                return false;
            if (!set_add(&state->checked, candidate) || !center_inside(shape, candidate))
                continue;
            if (state->found.count >= MAX_COVER_CELLS)
                return false;
            set_add(&state->found, candidate);
            state->order[state->found.count - 1] = candidate;
            if (side >= 0 && state->frontier_count < state->seeds.capacity)
                state->frontier[state->frontier_count++] = candidate;
        }
    }
    return true;
}

/*
 * The cells whose centers lie inside a polygon, with its edges taken as straight lines on the
 * longitude/latitude plane (as Kusto documents). The search starts from the cells along the
 * edges and spreads to neighbors whose centers are inside.
 * NOTE: a polygon that crosses the antimeridian or contains a pole is read on the plane too, and
 * the order of the cells is not Kusto's, which Kusto does not document.
 */
kq_value kq_geo_polygon_to_h3cells(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_geo_polygons polygons;
    int64_t resolution = DEFAULT_COVER_RESOLUTION;
    if (argc > 1 && (args[1].null || !kq_dynfn_int_arg(&args[1], &resolution)))
        return kq_null(KQ_DYNAMIC);
    if (resolution < 0 || resolution > KQ_H3_MAX_RESOLUTION || !cover_shape(ctx, args, argc, &polygons))
        return kq_null(KQ_DYNAMIC);
    flat_shape shape;
    flatten(ctx->arena, &polygons, &shape);
    uint64_t first = kq_h3_from_geo(shape.rings[0][0].lat * KQ_GEO_PI / 180.0,
                                    shape.rings[0][0].lng * KQ_GEO_PI / 180.0, (int)resolution);
    cover_state state;
    bool ok = first != 0 && cover_init(&state);
    ok = ok && trace_edges(&shape, (int)resolution, cell_radius_degrees(first) / 3.0, &state.seeds);
    ok = ok && cover_spread(&state, &shape);
    kq_value result = kq_null(KQ_DYNAMIC);
    if (ok) {
        kq_dyn *out = kq_dynfn_new_array(ctx->arena, state.found.count);
        for (uint32_t n = 0; n < state.found.count; n++)
            out->u.items[n] = cell_dyn(ctx->arena, state.order[n]);
        result = kq_dynamic(out);
    }
    if (first != 0)
        cover_free(&state);
    return result;
}
