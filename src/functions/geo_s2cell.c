/*
 * S2 cell functions. An S2 cell id numbers the cells of a cube projected on
 * the sphere. It has 3 bits of cube face, then 2 bits per level (0 to 30) of
 * the cell's position along a Hilbert curve on that face, then a 1 marker bit.
 * Kusto names a cell by its token: the id in lowercase hex without trailing
 * zeros. Face coordinates (u, v) map to cell coordinates (s, t) in [0, 1]
 * by the S2 library's quadratic projection, and (s, t) to leaf indexes
 * (i, j) in [0, 2^30).
 *
 * Debian packages the S2 library (libs2-dev) with a C++ API only; this file
 * implements the cell numbering in C from the S2 definitions.
 */
#include "functions/geo_internal.h"
#include "functions/dynamic_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEVEL 30
#define LEAF_COUNT (1 << MAX_LEVEL) /* leaf cells along one edge of a face */
#define DEFAULT_LEVEL 11

/* Hilbert curve tables. Orientation bit 1 swaps i and j, bit 2 inverts both. */
static const int ij_to_position[4][4] = {{0, 1, 3, 2}, {0, 3, 1, 2}, {2, 3, 1, 0}, {2, 1, 3, 0}};
static const int position_to_ij[4][4] = {{0, 1, 3, 2}, {0, 2, 3, 1}, {3, 2, 0, 1}, {3, 1, 0, 2}};
static const int position_to_orientation[4] = {1, 0, 0, 3};

/* ---- projections ---- */

static double st_to_uv(double s)
{
    return s >= 0.5 ? (4 * s * s - 1) / 3 : (1 - 4 * (1 - s) * (1 - s)) / 3;
}

static double uv_to_st(double u)
{
    return u >= 0 ? 0.5 * sqrt(1 + 3 * u) : 1 - 0.5 * sqrt(1 - 3 * u);
}

static double clamp(double x, double low, double high)
{
    if (x < low)
        return low;
    if (x > high)
        return high;
    return x;
}

static int st_to_ij(double s)
{
    return (int)clamp(floor(LEAF_COUNT * s), 0, LEAF_COUNT - 1);
}

static kq_geo_vec face_uv_to_vec(int face, double u, double v)
{
    kq_geo_vec p;
    switch (face) {
    case 0: p = (kq_geo_vec){1, u, v}; break;
    case 1: p = (kq_geo_vec){-u, 1, v}; break;
    case 2: p = (kq_geo_vec){-u, -v, 1}; break;
    case 3: p = (kq_geo_vec){-1, -v, -u}; break;
    case 4: p = (kq_geo_vec){v, -1, -u}; break;
    default: p = (kq_geo_vec){v, u, -1}; break;
    }
    return p;
}

/* The face whose axis is p's largest component, and p's (u, v) on it. Ties go to the later axis, as in S2. */
static int vec_to_face_uv(kq_geo_vec p, double *u, double *v)
{
    double ax = fabs(p.x), ay = fabs(p.y), az = fabs(p.z);
    int axis = 2;
    double component = p.z;
    if (ax > ay && ax > az) {
        axis = 0;
        component = p.x;
    } else if (ay >= ax && ay > az) {
        axis = 1;
        component = p.y;
    }
    int face = component < 0 ? axis + 3 : axis;
    switch (face) {
    case 0: *u = p.y / p.x; *v = p.z / p.x; break;
    case 1: *u = -p.x / p.y; *v = p.z / p.y; break;
    case 2: *u = -p.x / p.z; *v = -p.y / p.z; break;
    case 3: *u = p.z / p.x; *v = p.y / p.x; break;
    case 4: *u = p.z / p.y; *v = -p.x / p.y; break;
    default: *u = -p.y / p.z; *v = -p.x / p.z; break;
    }
    return face;
}

/* ---- cell ids ---- */

static uint64_t lowest_bit_for_level(int level)
{
    return UINT64_C(1) << (2 * (MAX_LEVEL - level));
}

static uint64_t id_from_face_ij(int face, int i, int j, int level)
{
    uint64_t id = (uint64_t)face;
    int orientation = face & 1;
    for (int k = MAX_LEVEL - 1; k >= 0; k--) {
        int ij = (((i >> k) & 1) << 1) | ((j >> k) & 1);
        int position = ij_to_position[orientation][ij];
        id = (id << 2) | (uint64_t)position;
        orientation ^= position_to_orientation[position];
    }
    id = (id << 1) | 1;
    uint64_t lsb = lowest_bit_for_level(level);
    return (id & (~lsb + 1)) | lsb;
}

static bool id_valid(uint64_t id)
{
    return (id >> 61) < 6 && (id & (~id + 1) & UINT64_C(0x1555555555555555)) != 0;
}

static int id_level(uint64_t id)
{
    int level = MAX_LEVEL;
    while (level > 0 && !(id & lowest_bit_for_level(level)))
        level--;
    return level;
}

/* The face and the leaf indexes of the cell's lower-left corner, and its size in leaves. */
static int id_to_face_ij(uint64_t id, int *i, int *j, int *size)
{
    int face = (int)(id >> 61), orientation = face & 1;
    *i = *j = 0;
    for (int k = MAX_LEVEL - 1; k >= 0; k--) {
        int position = (int)((id >> (2 * k + 1)) & 3);
        int ij = position_to_ij[orientation][position];
        *i |= (ij >> 1) << k;
        *j |= (ij & 1) << k;
        orientation ^= position_to_orientation[position];
    }
    *size = 1 << (MAX_LEVEL - id_level(id));
    *i &= ~(*size - 1);
    *j &= ~(*size - 1);
    return face;
}

/* Parses a token: 1 to 16 hex digits, the id's leading digits. */
static bool token_to_id(kq_str token, uint64_t *id)
{
    uint64_t value;
    if (!kq_geo_parse_hex(token, &value))
        return false;
    *id = token.len == 16 ? value : value << (4 * (16 - token.len));
    return id_valid(*id);
}

static void id_to_token(uint64_t id, char text[17])
{
    snprintf(text, 17, "%016llx", (unsigned long long)id);
    size_t len = 16;
    while (len > 1 && text[len - 1] == '0')
        len--;
    text[len] = '\0';
}

static kq_value token_value(kq_eval_ctx *ctx, uint64_t id)
{
    char text[17];
    id_to_token(id, text);
    return kq_string(kq_arena_strdup(ctx->arena, text), strlen(text));
}

static bool cell_arg(const kq_value *v, uint64_t *id)
{
    kq_str token;
    return !v->null && kq_dynfn_string_arg(v, &token) && token_to_id(token, id);
}

/* ---- functions ---- */

kq_value kq_geo_point_to_s2cell(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_geo_vec p;
    int64_t level = DEFAULT_LEVEL;
    if (argc > 2 && !kq_dynfn_int_arg(&args[2], &level))
        return kq_string("", 0);
    if (!kq_geo_point_args(ctx, args, &p) || level < 0 || level > MAX_LEVEL)
        return kq_string("", 0);
    double u, v;
    int face = vec_to_face_uv(p, &u, &v);
    return token_value(ctx, id_from_face_ij(face, st_to_ij(uv_to_st(u)), st_to_ij(uv_to_st(v)), (int)level));
}

kq_value kq_geo_s2cell_to_central_point(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    uint64_t id;
    int i, j, size;
    if (!cell_arg(&args[0], &id))
        return kq_null(KQ_DYNAMIC);
    int face = id_to_face_ij(id, &i, &j, &size);
    double s = (i + size / 2.0) / LEAF_COUNT, t = (j + size / 2.0) / LEAF_COUNT;
    kq_geo_vec center = kq_geo_normalize(face_uv_to_vec(face, st_to_uv(s), st_to_uv(t)));
    return kq_dynamic(kq_geo_point_dyn(ctx->arena, center));
}

/* The cell's corners counterclockwise from (u_min, v_min), closed, as a GeoJSON Polygon. */
kq_value kq_geo_s2cell_to_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    uint64_t id;
    int i, j, size;
    if (!cell_arg(&args[0], &id))
        return kq_null(KQ_DYNAMIC);
    int face = id_to_face_ij(id, &i, &j, &size);
    double u[2] = {st_to_uv((double)i / LEAF_COUNT), st_to_uv((double)(i + size) / LEAF_COUNT)};
    double v[2] = {st_to_uv((double)j / LEAF_COUNT), st_to_uv((double)(j + size) / LEAF_COUNT)};
    static const int corners[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    kq_geo_coord ring[4];
    for (int k = 0; k < 4; k++)
        ring[k] = kq_geo_to_coord(kq_geo_normalize(face_uv_to_vec(face, u[corners[k][0]], v[corners[k][1]])));
    const kq_dyn *path = kq_geo_path_dyn(ctx->arena, ring, 4, true);
    return kq_dynamic(kq_geo_shape_dyn(ctx->arena, "Polygon", kq_dyn_array(ctx->arena, &path, 1)));
}

/*
 * The cell at level containing the leaf (i, j) of face, where (i, j) may lie
 * up to one cell outside the face. Such a leaf is projected onto the adjacent
 * face: its (u, v) is taken linearly from (i, j) and clamped just past the face
 * edge, so the reprojection lands in a border leaf of the adjacent face.
 */
static uint64_t id_from_face_ij_wrapped(int face, int i, int j, int level)
{
    if (i >= 0 && j >= 0 && i < LEAF_COUNT && j < LEAF_COUNT)
        return id_from_face_ij(face, i, j, level);
    const double limit = 1 + DBL_EPSILON;
    double u = (2.0 * (i - LEAF_COUNT / 2) + 1) / LEAF_COUNT;
    double v = (2.0 * (j - LEAF_COUNT / 2) + 1) / LEAF_COUNT;
    u = clamp(u, -limit, limit);
    v = clamp(v, -limit, limit);
    int new_face = vec_to_face_uv(face_uv_to_vec(face, u, v), &u, &v);
    return id_from_face_ij(new_face, st_to_ij(0.5 * (u + 1)), st_to_ij(0.5 * (v + 1)), level);
}

/*
 * The cells of the same level that share an edge or a corner with the cell,
 * in the S2 library's order: for each column offset from left to right, the
 * cells below and above, then the cells left and right. At a corner of a cube
 * face two of those positions fall in one cell, which is listed once.
 * NOTE: the Kusto docs do not say how the list looks at a face corner.
 */
kq_value kq_geo_s2cell_neighbors(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    uint64_t id;
    int i, j, size;
    if (!cell_arg(&args[0], &id))
        return kq_null(KQ_DYNAMIC);
    int face = id_to_face_ij(id, &i, &j, &size), level = id_level(id);
    if (level == 0)
        return kq_null(KQ_DYNAMIC);
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, 8);
    uint32_t count = 0;
    uint64_t found[8];
    for (int k = -size; k <= size; k += size) {
        int cells[4][2], n = 0;
        if (k == 0) {
            cells[n][0] = i, cells[n++][1] = j - size;
            cells[n][0] = i, cells[n++][1] = j + size;
        }
        cells[n][0] = i - size, cells[n++][1] = j + k;
        cells[n][0] = i + size, cells[n++][1] = j + k;
        for (int c = 0; c < n; c++) {
            uint64_t neighbor = id_from_face_ij_wrapped(face, cells[c][0], cells[c][1], level);
            bool seen = neighbor == id;
            for (uint32_t f = 0; f < count; f++)
                seen = seen || found[f] == neighbor;
            if (seen || count == 8)
                continue;
            char token[17];
            id_to_token(neighbor, token);
            found[count] = neighbor;
            out->u.items[count++] = kq_geo_string_dyn(ctx->arena, token);
        }
    }
    out->count = count;
    return kq_dynamic(out);
}

/* ---- covering ---- */

/* Kusto returns null for a covering of more cells. */
#define MAX_COVERING_CELLS 65536

typedef struct covering {
    kq_arena *arena;
    const kq_geo_polygons *shape;
    int level;
    uint64_t *cells;
    uint32_t count;
    bool overflow;
} covering;

typedef struct cell_box {
    int face, i, j, size, level;
    kq_geo_vec corners[4];
    double u[2], v[2];
} cell_box;

static cell_box make_box(int face, int i, int j, int level)
{
    cell_box box = {face, i, j, 1 << (MAX_LEVEL - level), level, {{0, 0, 0}}, {0, 0}, {0, 0}};
    box.u[0] = st_to_uv((double)i / LEAF_COUNT);
    box.u[1] = st_to_uv((double)(i + box.size) / LEAF_COUNT);
    box.v[0] = st_to_uv((double)j / LEAF_COUNT);
    box.v[1] = st_to_uv((double)(j + box.size) / LEAF_COUNT);
    static const int corners[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    for (int k = 0; k < 4; k++)
        box.corners[k] = kq_geo_normalize(face_uv_to_vec(face, box.u[corners[k][0]], box.v[corners[k][1]]));
    return box;
}

static bool box_contains(const cell_box *box, kq_geo_vec p)
{
    double u, v;
    return vec_to_face_uv(p, &u, &v) == box->face && u >= box->u[0] && u <= box->u[1] && v >= box->v[0] &&
           v <= box->v[1];
}

/* Classifies a cell against the shape: 0 apart, 1 overlapping, 2 contained in the shape. */
static int cell_relation(const covering *cover, const cell_box *box)
{
    bool crossing = false, vertex_inside = false;
    for (uint32_t k = 0; k < cover->shape->count && !crossing; k++)
        for (uint32_t r = 0; r < cover->shape->polygons[k].count && !crossing; r++) {
            const kq_geo_path *ring = &cover->shape->polygons[k].rings[r];
            for (uint32_t i = 0; i < ring->count && !crossing; i++) {
                kq_geo_vec a = ring->points[i], b = ring->points[(i + 1) % ring->count];
                vertex_inside = vertex_inside || box_contains(box, a);
                for (int e = 0; e < 4 && !crossing; e++)
                    crossing = kq_geo_edges_intersect(a, b, box->corners[e], box->corners[(e + 1) % 4], NULL);
            }
        }
    if (crossing || vertex_inside)
        return 1;
    /* No boundary meets the cell, so the cell lies wholly inside or wholly outside the shape. */
    return kq_geo_polygons_contain(cover->shape, box->corners[0]) ? 2 : 0;
}

static void add_cell(covering *cover, uint64_t id)
{
    if (cover->count >= MAX_COVERING_CELLS) {
        cover->overflow = true;
        return;
    }
    cover->cells[cover->count++] = id;
}

static int compare_ids(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Adds the cells at the covering level below box that meet the shape, in id order. */
static void cover_cell(covering *cover, const cell_box *box, int relation)
{
    if (cover->overflow)
        return;
    if (box->level == cover->level) {
        add_cell(cover, id_from_face_ij(box->face, box->i, box->j, box->level));
        return;
    }
    int half = box->size / 2;
    uint64_t order[4];
    cell_box children[4];
    for (int k = 0; k < 4; k++) {
        children[k] = make_box(box->face, box->i + (k >> 1) * half, box->j + (k & 1) * half, box->level + 1);
        order[k] = (id_from_face_ij(box->face, children[k].i, children[k].j, box->level + 1) << 2) | (uint64_t)k;
    }
    qsort(order, 4, sizeof order[0], compare_ids);
    for (int n = 0; n < 4; n++) {
        const cell_box *child = &children[order[n] & 3];
        int child_relation = relation == 2 ? 2 : cell_relation(cover, child);
        if (child_relation != 0)
            cover_cell(cover, child, child_relation);
    }
}

kq_value kq_geo_polygon_to_s2cells(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_geo_polygons shape;
    int64_t level = DEFAULT_LEVEL;
    if (argc > 1 && !kq_dynfn_int_arg(&args[1], &level))
        return kq_null(KQ_DYNAMIC);
    if (level < 0 || level > MAX_LEVEL || !kq_geo_read_polygons(ctx->arena, kq_dynfn_tree(&args[0]), &shape))
        return kq_null(KQ_DYNAMIC);
    covering cover = {ctx->arena, &shape, (int)level, NULL, 0, false};
    cover.cells = kq_arena_alloc(ctx->arena, MAX_COVERING_CELLS * sizeof *cover.cells);
    for (int face = 0; face < 6 && !cover.overflow; face++) {
        cell_box box = make_box(face, 0, 0, 0);
        int relation = cell_relation(&cover, &box);
        if (relation != 0)
            cover_cell(&cover, &box, relation);
    }
    if (cover.overflow)
        return kq_null(KQ_DYNAMIC);
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, cover.count);
    for (uint32_t k = 0; k < cover.count; k++) {
        char token[17];
        id_to_token(cover.cells[k], token);
        out->u.items[k] = kq_geo_string_dyn(ctx->arena, token);
    }
    return kq_dynamic(out);
}
