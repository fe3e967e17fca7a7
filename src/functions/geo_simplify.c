/*
 * geo_line_simplify() and geo_polygon_simplify(): Douglas-Peucker
 * simplification on the sphere. A vertex stays when it lies farther than the
 * tolerance (meters) from the geodesic that would replace it, and no two
 * consecutive vertices of the result are closer than the tolerance. A line or
 * ring that shrinks below two (or three) vertices disappears, and a shape
 * with nothing left is null, as Kusto returns for "high tolerance".
 *
 * NOTE: Kusto simplifies with the S2 library's snapping, which can move
 * vertices and merges the lines of a MultiLineString. This keeps a subset
 * of the input vertices and simplifies each line and ring on its own.
 */
#include "functions/geo_internal.h"
#include "functions/dynamic_internal.h"

#include <math.h>

/* Kusto documents the tolerance limit as about 7,800,000 m. NOTE: 70 degrees of arc (7,783,838 m), the
 * S2 library's largest snap radius, matches it, but the exact bound is inferred. */
#define MAX_TOLERANCE_RADIANS (70 * KQ_GEO_PI / 180)

/*
 * Marks the vertices of points[first..last] to keep, the two ends being kept
 * already. The spans still to split wait on an explicit stack, so a long line
 * cannot exhaust the call stack.
 */
static void keep_far_vertices(kq_arena *arena, const kq_geo_vec *points, bool *keep, uint32_t first, uint32_t last,
                              double tolerance)
{
    uint32_t *stack = kq_arena_alloc(arena, 2 * (size_t)(last - first + 1) * sizeof *stack);
    size_t depth = 0;
    stack[depth++] = first;
    stack[depth++] = last;
    while (depth > 0) {
        last = stack[--depth];
        first = stack[--depth];
        double farthest = -1;
        uint32_t at = first;
        for (uint32_t i = first + 1; i < last; i++) {
            double d = kq_geo_edge_distance(points[i], points[first], points[last]);
            if (d > farthest) {
                farthest = d;
                at = i;
            }
        }
        if (at == first || farthest <= tolerance)
            continue;
        keep[at] = true;
        stack[depth++] = first;
        stack[depth++] = at;
        stack[depth++] = at;
        stack[depth++] = last;
    }
}

/*
 * Copies the kept vertices, dropping any closer than tolerance to the previous
 * one. The last vertex is kept in place of the one before it, unless that one
 * is the first.
 */
static uint32_t collect_kept(kq_arena *arena, const kq_geo_vec *points, const bool *keep, uint32_t count,
                             double tolerance, kq_geo_coord **out)
{
    *out = kq_arena_alloc(arena, count * sizeof **out);
    uint32_t n = 0;
    kq_geo_vec previous = points[0];
    for (uint32_t i = 0; i < count; i++) {
        if (!keep[i])
            continue;
        bool too_close = n > 0 && tolerance > 0 && kq_geo_angle(previous, points[i]) <= tolerance;
        if (too_close) {
            bool last = i + 1 == count;
            if (!last || n == 1)
                continue;
            n--;
        }
        (*out)[n++] = kq_geo_to_coord(points[i]);
        previous = points[i];
    }
    return n;
}

/* The simplified vertices of a line; fewer than two when it disappears. */
static uint32_t simplify_line(kq_arena *arena, const kq_geo_path *line, double tolerance, kq_geo_coord **out)
{
    bool *keep = kq_arena_alloc(arena, line->count * sizeof *keep);
    for (uint32_t i = 0; i < line->count; i++)
        keep[i] = tolerance == 0;
    keep[0] = keep[line->count - 1] = true;
    keep_far_vertices(arena, line->points, keep, 0, line->count - 1, tolerance);
    return collect_kept(arena, line->points, keep, line->count, tolerance, out);
}

/* The simplified vertices of a ring (closing vertex not repeated); fewer than three when it disappears. */
static uint32_t simplify_ring(kq_arena *arena, const kq_geo_path *ring, double tolerance, kq_geo_coord **out)
{
    /* Split the ring at its first vertex and the vertex farthest from it, then simplify both halves. */
    uint32_t count = ring->count, far = 1;
    for (uint32_t i = 1; i < count; i++)
        if (kq_geo_angle(ring->points[0], ring->points[i]) > kq_geo_angle(ring->points[0], ring->points[far]))
            far = i;
    kq_geo_vec *points = kq_arena_alloc(arena, (count + 1) * sizeof *points);
    bool *keep = kq_arena_alloc(arena, (count + 1) * sizeof *keep);
    for (uint32_t i = 0; i < count; i++) {
        points[i] = ring->points[i];
        keep[i] = tolerance == 0;
    }
    points[count] = ring->points[0];
    keep[0] = keep[far] = keep[count] = true;
    keep_far_vertices(arena, points, keep, 0, far, tolerance);
    keep_far_vertices(arena, points, keep, far, count, tolerance);
    keep[count] = false;
    uint32_t n = collect_kept(arena, points, keep, count, tolerance, out);
    while (n > 1 && kq_geo_angle(kq_geo_to_vec((*out)[n - 1]), points[0]) <= tolerance && tolerance > 0)
        n--;
    return n;
}

/* Reads the tolerance argument: meters in [0, 70 degrees of arc), default 10. Returns radians, or -1. */
static double tolerance_arg(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    double meters = 10;
    if (argc > 1 && !kq_geo_real_arg(ctx, &args[1], &meters))
        return -1;
    double radians = meters / KQ_GEO_EARTH_RADIUS;
    return meters >= 0 && radians < MAX_TOLERANCE_RADIANS ? radians : -1;
}

/* The shapes left as one shape of the single type, or of the multi type when several are left; null when none. */
static kq_value shape_result(kq_arena *arena, kq_dyn *items, uint32_t kept, const char *single, const char *multi)
{
    items->count = kept;
    if (kept == 0)
        return kq_null(KQ_DYNAMIC);
    if (kept == 1)
        return kq_dynamic(kq_geo_shape_dyn(arena, single, items->u.items[0]));
    return kq_dynamic(kq_geo_shape_dyn(arena, multi, items));
}

kq_value kq_geo_line_simplify(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_geo_lines lines;
    double tolerance = tolerance_arg(ctx, args, argc);
    if (tolerance < 0 || !kq_geo_read_lines(ctx->arena, kq_dynfn_tree(&args[0]), &lines))
        return kq_null(KQ_DYNAMIC);
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, lines.count);
    uint32_t kept = 0;
    for (uint32_t k = 0; k < lines.count; k++) {
        kq_geo_coord *coords;
        uint32_t n = simplify_line(ctx->arena, &lines.lines[k], tolerance, &coords);
        if (n >= 2)
            out->u.items[kept++] = kq_geo_path_dyn(ctx->arena, coords, n, false);
    }
    return shape_result(ctx->arena, out, kept, "LineString", "MultiLineString");
}

/* The simplified rings of a polygon as GeoJSON coordinates; NULL when its shell disappears. */
static const kq_dyn *simplify_polygon(kq_arena *arena, const kq_geo_polygon *polygon, double tolerance)
{
    kq_dyn *rings = kq_dynfn_new_array(arena, polygon->count);
    uint32_t kept = 0;
    for (uint32_t r = 0; r < polygon->count; r++) {
        kq_geo_coord *coords;
        uint32_t n = simplify_ring(arena, &polygon->rings[r], tolerance, &coords);
        if (n < 3) {
            if (r == 0)
                return NULL;
            continue;
        }
        rings->u.items[kept++] = kq_geo_path_dyn(arena, coords, n, true);
    }
    rings->count = kept;
    return rings;
}

kq_value kq_geo_polygon_simplify(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_geo_polygons shape;
    double tolerance = tolerance_arg(ctx, args, argc);
    if (tolerance < 0 || !kq_geo_read_polygons(ctx->arena, kq_dynfn_tree(&args[0]), &shape))
        return kq_null(KQ_DYNAMIC);
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, shape.count);
    uint32_t kept = 0;
    for (uint32_t k = 0; k < shape.count; k++) {
        const kq_dyn *rings = simplify_polygon(ctx->arena, &shape.polygons[k], tolerance);
        if (rings)
            out->u.items[kept++] = rings;
    }
    return shape_result(ctx->arena, out, kept, "Polygon", "MultiPolygon");
}

/* Simplifies the union of an array of Polygon and MultiPolygon values. */
kq_value kq_geo_simplify_polygons_array(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    double tolerance = tolerance_arg(ctx, args, argc);
    if (tolerance < 0)
        return kq_null(KQ_DYNAMIC);
    kq_geo_polygons merged;
    const kq_dyn *merged_shape = kq_geo_union_array_dyn(ctx->arena, kq_dynfn_array(&args[0]));
    if (!merged_shape || !kq_geo_read_polygons(ctx->arena, merged_shape, &merged))
        return kq_null(KQ_DYNAMIC);
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, merged.count);
    uint32_t kept = 0;
    for (uint32_t k = 0; k < merged.count; k++) {
        const kq_dyn *rings = simplify_polygon(ctx->arena, &merged.polygons[k], tolerance);
        if (rings)
            out->u.items[kept++] = rings;
    }
    return shape_result(ctx->arena, out, kept, "Polygon", "MultiPolygon");
}
