/*
 * The H3 hexagonal grid, shared by geo_h3cell.c (index bits), geo_h3_index.c
 * (projection between points and cells) and geo_h3_grid.c (neighbors, rings
 * and polygon covers). A cell index is a 64-bit value: bit 63 is 0, bits
 * 59-62 hold mode 1 (a cell), bits 52-55 the resolution, bits 45-51 the base
 * cell (0 to 121), then fifteen 3-bit digits, one per resolution, 7 after the
 * cell's own resolution. A digit names one of seven aperture-7 children: 0 is
 * the center and 1 to 6 are the unit directions K, J, JK, I, IK and IJ of the
 * cell's i, j, k lattice.
 */
#ifndef KQ_FUNCTIONS_GEO_H3_H
#define KQ_FUNCTIONS_GEO_H3_H

#include "functions/geo_internal.h"

#define KQ_H3_MAX_RESOLUTION 15
#define KQ_H3_BASE_CELLS 122

enum {
    KQ_H3_CENTER = 0,
    KQ_H3_K = 1,
    KQ_H3_J = 2,
    KQ_H3_JK = 3,
    KQ_H3_I = 4,
    KQ_H3_IK = 5,
    KQ_H3_IJ = 6,
    KQ_H3_INVALID_DIGIT = 7
};

/* Hexagonal lattice coordinates with three axes 120 degrees apart; normalized, no component is
 * negative and at least one is 0. */
typedef struct kq_h3_ijk {
    int i, j, k;
} kq_h3_ijk;

/* ---- index bits (geo_h3cell.c) ---- */

int kq_h3_resolution(uint64_t cell);
int kq_h3_base_cell(uint64_t cell);
int kq_h3_digit(uint64_t cell, int resolution);
uint64_t kq_h3_set_digit(uint64_t cell, int resolution, int digit);
uint64_t kq_h3_set_resolution(uint64_t cell, int resolution);
bool kq_h3_base_is_pentagon(int base);
bool kq_h3_cell_valid(uint64_t cell);
/* Reads a string argument holding a valid cell index; false for null, empty or invalid text. */
bool kq_h3_cell_arg(const kq_value *v, uint64_t *cell);
/* Writes the index as lowercase hex without leading zeros. */
void kq_h3_token(uint64_t cell, char text[17]);

/* ---- lattice and projection (geo_h3_index.c) ---- */

void kq_h3_ijk_normalize(kq_h3_ijk *c);
/* The parent of a lattice position one resolution up (counterclockwise aperture 7 for Class III
 * child resolutions, clockwise for Class II) and the parent's center back in the child lattice. */
kq_h3_ijk kq_h3_ijk_up7(kq_h3_ijk c, bool class3);
kq_h3_ijk kq_h3_ijk_down7(kq_h3_ijk c, bool class3);
kq_h3_ijk kq_h3_unit_vector(int digit);
/* The digit of a unit (or zero) offset, or KQ_H3_INVALID_DIGIT for a longer one. */
int kq_h3_ijk_to_digit(kq_h3_ijk c);
int kq_h3_rotate_digit(int digit, bool ccw);
/* The first digit that is not 0, or 0 when every digit is. */
int kq_h3_leading_digit(uint64_t cell);
uint64_t kq_h3_rotate60(uint64_t cell, bool ccw);
/* Rotates a pentagon cell, stepping once more when the rotation lands in the deleted K sequence. */
uint64_t kq_h3_rotate_pentagon60(uint64_t cell, bool ccw);
bool kq_h3_is_pentagon(uint64_t cell);
int kq_h3_base_home_face(int base);
bool kq_h3_base_cw_offset(int base, int face);

/* The cell containing a point (radians) at a resolution, or 0 for a non-finite point. */
uint64_t kq_h3_from_geo(double lat, double lng, int resolution);
/* The center of a valid cell, in radians. */
void kq_h3_to_geo(uint64_t cell, double *lat, double *lng);
/* The vertices of a valid cell counterclockwise, in radians; returns their count (at most 10). */
int kq_h3_boundary(uint64_t cell, double lat[10], double lng[10]);

#endif
