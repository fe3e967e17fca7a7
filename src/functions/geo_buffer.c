/*
 * Buffers: the polygon that contains every point within a radius (meters)
 * of a point, a line or a polygon. The round parts are regular polygons
 * whose edges touch the circle of the radius, with as many vertices as keep
 * each vertex within the tolerance (meters) of that circle. The buffer of a
 * line or polygon is the union of such circles around its vertices, of bands
 * along its edges and, for a polygon, of the polygon itself.
 */
#include "functions/geo_internal.h"
#include "functions/dynamic_internal.h"

#include <math.h>
#include <string.h>

#define DEFAULT_TOLERANCE 10
/* Kusto's lower bound on the tolerance: 0.0001% of the radius. */
#define MIN_TOLERANCE_FRACTION 1e-6

/* Unit vectors east and north of p (any perpendicular pair at a pole). */
static void local_frame(kq_geo_vec p, kq_geo_vec *east, kq_geo_vec *north)
{
    kq_geo_vec axis = {0, 0, 1};
    kq_geo_vec e = kq_geo_cross(axis, p);
    if (kq_geo_norm(e) < 1e-15)
        e = (kq_geo_vec){0, 1, 0};
    *east = kq_geo_normalize(e);
    *north = kq_geo_cross(p, *east);
}

/* The point at angle distance from p in the direction at angle bearing (radians, clockwise from north). */
static kq_geo_vec destination(kq_geo_vec p, kq_geo_vec east, kq_geo_vec north, double distance, double bearing)
{
    kq_geo_vec direction = kq_geo_add(kq_geo_scale(north, cos(bearing)), kq_geo_scale(east, sin(bearing)));
    return kq_geo_normalize(kq_geo_add(kq_geo_scale(p, cos(distance)), kq_geo_scale(direction, sin(distance))));
}

/* Reads radius and tolerance (meters) as angles; false when either is invalid. */
static bool buffer_args(kq_eval_ctx *ctx, const kq_value *args, int argc, int at, double *radius, double *tolerance)
{
    double meters, tolerance_meters = DEFAULT_TOLERANCE;
    if (!kq_geo_real_arg(ctx, &args[at], &meters) || !(meters > 0) || !isfinite(meters))
        return false;
    if (argc > at + 1 && !kq_geo_real_arg(ctx, &args[at + 1], &tolerance_meters))
        return false;
    if (!(tolerance_meters >= meters * MIN_TOLERANCE_FRACTION) || !isfinite(tolerance_meters))
        return false;
    /* A tolerance above the radius is lowered below it. NOTE: Kusto does not say how far; 0.999 is a choice. */
    if (tolerance_meters >= meters)
        tolerance_meters = meters * 0.999;
    *radius = meters / KQ_GEO_EARTH_RADIUS;
    *tolerance = tolerance_meters / KQ_GEO_EARTH_RADIUS;
    /* NOTE: a buffer reaching a quarter of the globe's circumference is not supported and gives null. */
    return *radius + *tolerance < KQ_GEO_PI / 2;
}

/*
 * The counterclockwise ring of the regular polygon around p whose edges touch the
 * circle of angular radius radius and whose vertices are at most tolerance farther.
 * On the sphere, tan(inradius) = tan(circumradius) cos(pi / n).
 */
static kq_geo_path circle_ring(kq_arena *arena, kq_geo_vec p, double radius, double tolerance)
{
    double ratio = tan(radius) / tan(radius + tolerance);
    uint32_t n = (uint32_t)ceil(KQ_GEO_PI / acos(ratio));
    if (n < 3)
        n = 3;
    double circumradius = atan(tan(radius) / cos(KQ_GEO_PI / n));
    kq_geo_vec east, north;
    local_frame(p, &east, &north);
    kq_geo_path ring = {kq_arena_alloc(arena, n * sizeof(kq_geo_vec)), n};
    for (uint32_t k = 0; k < n; k++)
        ring.points[k] = destination(p, east, north, circumradius, -2 * KQ_GEO_PI * k / n);
    return ring;
}

static const kq_dyn *ring_shape(kq_arena *arena, const kq_geo_path *ring)
{
    kq_geo_coord *coords = kq_arena_alloc(arena, ring->count * sizeof *coords);
    for (uint32_t i = 0; i < ring->count; i++)
        coords[i] = kq_geo_to_coord(ring->points[i]);
    const kq_dyn *path = kq_geo_path_dyn(arena, coords, ring->count, true);
    return kq_geo_shape_dyn(arena, "Polygon", kq_dyn_array(arena, &path, 1));
}

kq_value kq_geo_point_buffer(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_geo_vec p;
    double radius, tolerance;
    if (!kq_geo_point_args(ctx, args, &p) || !buffer_args(ctx, args, argc, 2, &radius, &tolerance))
        return kq_null(KQ_DYNAMIC);
    kq_geo_path ring = circle_ring(ctx->arena, p, radius, tolerance);
    return kq_dynamic(ring_shape(ctx->arena, &ring));
}

/* ---- lines and polygons ---- */

/* Shapes whose union is a buffer, each a polygon of one ring. */
typedef struct shape_list {
    kq_geo_polygons *items;
    uint32_t count, capacity;
} shape_list;

static void add_shape(kq_arena *arena, shape_list *list, kq_geo_polygons shape)
{
    if (list->count == list->capacity) {
        uint32_t capacity = list->capacity ? list->capacity * 2 : 16;
        kq_geo_polygons *items = kq_arena_alloc(arena, capacity * sizeof *items);
        if (list->count)
            memcpy(items, list->items, list->count * sizeof *items);
        list->items = items;
        list->capacity = capacity;
    }
    list->items[list->count++] = shape;
}

static void add_ring(kq_arena *arena, shape_list *list, kq_geo_path ring)
{
    kq_geo_polygon *polygon = kq_arena_alloc(arena, sizeof *polygon);
    polygon->rings = kq_arena_alloc(arena, sizeof(kq_geo_path));
    polygon->rings[0] = ring;
    polygon->count = 1;
    add_shape(arena, list, (kq_geo_polygons){polygon, 1});
}

/*
 * The band of points within radius of the edge a-b, not counting its ends. Its
 * sides run at the angle radius from the edge's great circle, split so that the
 * geodesic between side points strays at most tolerance farther:
 * tan(radius + tolerance) = tan(radius) / cos(step / 2).
 */
static kq_geo_path edge_band(kq_arena *arena, kq_geo_vec a, kq_geo_vec b, double radius, double tolerance)
{
    double length = kq_geo_angle(a, b);
    double step = 2 * acos(tan(radius) / tan(radius + tolerance));
    uint32_t pieces = (uint32_t)ceil(length / step);
    if (pieces < 1)
        pieces = 1;
    kq_geo_vec pole = kq_geo_normalize(kq_geo_cross(a, b));
    kq_geo_path ring = {kq_arena_alloc(arena, 2 * ((size_t)pieces + 1) * sizeof(kq_geo_vec)), 0};
    for (int side = -1; side <= 1; side += 2)
        for (uint32_t k = 0; k <= pieces; k++) {
            /* The right side runs from a to b, the left side back from b to a. */
            double t = side < 0 ? (double)k / pieces : (double)(pieces - k) / pieces;
            kq_geo_vec q = kq_geo_interpolate(a, b, t);
            kq_geo_vec offset = kq_geo_add(kq_geo_scale(q, cos(radius)), kq_geo_scale(pole, side * sin(radius)));
            ring.points[ring.count++] = kq_geo_normalize(offset);
        }
    return ring;
}

/* Adds the circles around a path's vertices and the bands along its edges; closed adds the closing edge. */
static void add_path_buffer(kq_arena *arena, shape_list *list, const kq_geo_path *path, bool closed, double radius,
                            double tolerance)
{
    uint32_t edges = closed ? path->count : path->count - 1;
    for (uint32_t i = 0; i < path->count; i++)
        add_ring(arena, list, circle_ring(arena, path->points[i], radius, tolerance));
    for (uint32_t i = 0; i < edges; i++) {
        kq_geo_vec a = path->points[i], b = path->points[(i + 1) % path->count];
        if (kq_geo_norm(kq_geo_cross(a, b)) > 0)
            add_ring(arena, list, edge_band(arena, a, b, radius, tolerance));
    }
}

/* NOTE: the union compares every edge with every other, so long lines and large polygons are slow. */
kq_value kq_geo_line_buffer(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_geo_lines lines;
    double radius, tolerance;
    if (!kq_geo_read_lines(ctx->arena, kq_dynfn_tree(&args[0]), &lines) ||
        !buffer_args(ctx, args, argc, 1, &radius, &tolerance))
        return kq_null(KQ_DYNAMIC);
    shape_list list = {0};
    for (uint32_t k = 0; k < lines.count; k++)
        add_path_buffer(ctx->arena, &list, &lines.lines[k], false, radius, tolerance);
    const kq_dyn *shape = kq_geo_union_dyn(ctx->arena, list.items, list.count);
    return shape ? kq_dynamic(shape) : kq_null(KQ_DYNAMIC);
}

kq_value kq_geo_polygon_buffer(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_geo_polygons polygons;
    double radius, tolerance;
    if (!kq_geo_read_polygons(ctx->arena, kq_dynfn_tree(&args[0]), &polygons) ||
        !buffer_args(ctx, args, argc, 1, &radius, &tolerance))
        return kq_null(KQ_DYNAMIC);
    shape_list list = {0};
    for (uint32_t k = 0; k < polygons.count; k++) {
        add_shape(ctx->arena, &list, (kq_geo_polygons){&polygons.polygons[k], 1});
        for (uint32_t r = 0; r < polygons.polygons[k].count; r++)
            add_path_buffer(ctx->arena, &list, &polygons.polygons[k].rings[r], true, radius, tolerance);
    }
    const kq_dyn *shape = kq_geo_union_dyn(ctx->arena, list.items, list.count);
    return shape ? kq_dynamic(shape) : kq_null(KQ_DYNAMIC);
}
