/*
 * geo_* functions on GeoJSON Polygon and MultiPolygon values: containment,
 * area, perimeter, centroid, distance, closest point, densification and
 * intersection tests. Rings are read counterclockwise around the smaller
 * region they bound, so the shell's area counts and each hole's is removed.
 */
#include "functions/geo_internal.h"
#include "functions/dynamic_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool read_polygon_arg(kq_eval_ctx *ctx, const kq_value *v, kq_geo_polygons *out)
{
    return kq_geo_read_polygons(ctx->arena, kq_dynfn_tree(v), out);
}

kq_value kq_geo_point_in_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_vec p;
    kq_geo_polygons shape;
    if (!kq_geo_point_args(ctx, args, &p) || !read_polygon_arg(ctx, &args[2], &shape))
        return kq_null(KQ_BOOL);
    return kq_bool(kq_geo_polygons_contain(&shape, p));
}

/*
 * The integral of the position vector over the region left of a ring: by
 * Stokes' theorem it is half the sum, over the edges, of each edge's angle
 * times the unit normal of its great circle.
 */
kq_geo_vec kq_geo_ring_moment(const kq_geo_path *ring)
{
    kq_geo_vec sum = {0, 0, 0};
    for (uint32_t i = 0; i < ring->count; i++) {
        kq_geo_vec a = ring->points[i], b = ring->points[(i + 1) % ring->count];
        kq_geo_vec normal = kq_geo_cross(a, b);
        if (kq_geo_norm(normal) == 0)
            continue;
        sum = kq_geo_add(sum, kq_geo_scale(kq_geo_normalize(normal), kq_geo_angle(a, b) / 2));
    }
    return sum;
}

/*
 * Area (steradians), boundary length (radians) and position moment of a
 * shape. The polygons of a MultiPolygon are merged first, so an area they
 * share counts once, as in Kusto.
 */
static void measure(kq_arena *arena, const kq_geo_polygons *shape, double *area, double *perimeter, kq_geo_vec *moment)
{
    if (shape->count > 1) {
        kq_geo_union_measures(arena, shape, area, perimeter, moment);
        return;
    }
    const kq_geo_polygon *polygon = &shape->polygons[0];
    *area = *perimeter = 0;
    *moment = (kq_geo_vec){0, 0, 0};
    for (uint32_t r = 0; r < polygon->count; r++) {
        const kq_geo_path *ring = &polygon->rings[r];
        double sign = r == 0 ? 1 : -1;
        *area += sign * kq_geo_ring_signed_area(ring);
        *moment = kq_geo_add(*moment, kq_geo_scale(kq_geo_ring_moment(ring), sign));
        for (uint32_t i = 0; i < ring->count; i++)
            *perimeter += kq_geo_angle(ring->points[i], ring->points[(i + 1) % ring->count]);
    }
}

/* Reads the polygon argument and measures it; false when it is invalid. */
static bool measure_arg(kq_eval_ctx *ctx, const kq_value *v, double *area, double *perimeter, kq_geo_vec *moment)
{
    kq_geo_polygons shape;
    if (!read_polygon_arg(ctx, v, &shape))
        return false;
    measure(ctx->arena, &shape, area, perimeter, moment);
    return true;
}

kq_value kq_geo_polygon_area(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    double area, perimeter;
    kq_geo_vec moment;
    if (!measure_arg(ctx, &args[0], &area, &perimeter, &moment))
        return kq_null(KQ_REAL);
    return kq_real(area * KQ_GEO_EARTH_RADIUS * KQ_GEO_EARTH_RADIUS);
}

kq_value kq_geo_polygon_perimeter(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    double area, perimeter;
    kq_geo_vec moment;
    if (!measure_arg(ctx, &args[0], &area, &perimeter, &moment))
        return kq_null(KQ_REAL);
    return kq_real(perimeter * KQ_GEO_EARTH_RADIUS);
}

kq_value kq_geo_polygon_centroid(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    double area, perimeter;
    kq_geo_vec moment;
    if (!measure_arg(ctx, &args[0], &area, &perimeter, &moment) || kq_geo_norm(moment) == 0)
        return kq_null(KQ_DYNAMIC);
    return kq_dynamic(kq_geo_point_dyn(ctx->arena, kq_geo_normalize(moment)));
}

kq_value kq_geo_distance_point_to_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_vec p;
    kq_geo_polygons shape;
    if (!kq_geo_point_args(ctx, args, &p) || !read_polygon_arg(ctx, &args[2], &shape))
        return kq_null(KQ_REAL);
    if (kq_geo_polygons_contain(&shape, p))
        return kq_real(0);
    return kq_real(kq_geo_polygons_boundary_distance(&shape, p, NULL) * KQ_GEO_EARTH_RADIUS);
}

kq_value kq_geo_closest_point_on_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_vec p, closest;
    kq_geo_coord input;
    kq_geo_polygons shape;
    if (!kq_geo_point_args(ctx, args, &p) || !read_polygon_arg(ctx, &args[2], &shape))
        return kq_null(KQ_DYNAMIC);
    if (kq_geo_polygons_contain(&shape, p)) {
        /* The point itself, as given: converting it to a vector and back could move it by an ulp. */
        kq_geo_real_arg(ctx, &args[0], &input.lng);
        kq_geo_real_arg(ctx, &args[1], &input.lat);
        return kq_dynamic(kq_geo_shape_dyn(ctx->arena, "Point", kq_geo_coord_dyn(ctx->arena, input)));
    }
    kq_geo_polygons_boundary_distance(&shape, p, &closest);
    return kq_dynamic(kq_geo_point_dyn(ctx->arena, closest));
}

kq_value kq_geo_polygon_densify(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_geo_polygons shape;
    double tolerance;
    bool preserve_crossing;
    const kq_dyn *tree = kq_dynfn_tree(&args[0]);
    if (!kq_geo_read_polygons(ctx->arena, tree, &shape) ||
        !kq_geo_densify_args(ctx, args, argc, &tolerance, &preserve_crossing))
        return kq_null(KQ_DYNAMIC);
    const kq_dyn *type = kq_dyn_get_member(tree, "type", 4);
    bool multi = !kq_str_eq(type->u.s, "Polygon");
    const kq_dyn *coordinates = kq_dyn_get_member(tree, "coordinates", 11);
    const kq_dyn *dense =
        kq_geo_densify_coordinates(ctx->arena, coordinates, multi ? 2 : 1, tolerance, preserve_crossing);
    if (!dense)
        return kq_null(KQ_DYNAMIC);
    return kq_dynamic(kq_geo_shape_dyn(ctx->arena, multi ? "MultiPolygon" : "Polygon", dense));
}

/* True when the edge a-b crosses or touches any ring edge of the shape. */
static bool edge_meets_boundary(const kq_geo_polygons *shape, kq_geo_vec a, kq_geo_vec b)
{
    for (uint32_t k = 0; k < shape->count; k++)
        for (uint32_t r = 0; r < shape->polygons[k].count; r++) {
            const kq_geo_path *ring = &shape->polygons[k].rings[r];
            for (uint32_t i = 0; i < ring->count; i++)
                if (kq_geo_edges_intersect(a, b, ring->points[i], ring->points[(i + 1) % ring->count], NULL))
                    return true;
        }
    return false;
}

kq_value kq_geo_intersects_line_with_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_lines lines;
    kq_geo_polygons shape;
    if (!kq_geo_read_lines(ctx->arena, kq_dynfn_tree(&args[0]), &lines) || !read_polygon_arg(ctx, &args[1], &shape))
        return kq_null(KQ_BOOL);
    for (uint32_t k = 0; k < lines.count; k++) {
        const kq_geo_path *line = &lines.lines[k];
        if (kq_geo_polygons_contain(&shape, line->points[0]))
            return kq_bool(true);
        for (uint32_t i = 0; i + 1 < line->count; i++)
            if (edge_meets_boundary(&shape, line->points[i], line->points[i + 1]))
                return kq_bool(true);
    }
    return kq_bool(false);
}

/* True when a ring edge of first meets a ring edge of second, or a vertex of one lies in the other. */
static bool polygons_meet(const kq_geo_polygons *first, const kq_geo_polygons *second)
{
    for (uint32_t k = 0; k < first->count; k++)
        for (uint32_t r = 0; r < first->polygons[k].count; r++) {
            const kq_geo_path *ring = &first->polygons[k].rings[r];
            if (kq_geo_polygons_contain(second, ring->points[0]))
                return true;
            for (uint32_t i = 0; i < ring->count; i++)
                if (edge_meets_boundary(second, ring->points[i], ring->points[(i + 1) % ring->count]))
                    return true;
        }
    for (uint32_t k = 0; k < second->count; k++)
        if (kq_geo_polygons_contain(first, second->polygons[k].rings[0].points[0]))
            return true;
    return false;
}

kq_value kq_geo_intersects_2polygons(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_polygons first, second;
    if (!read_polygon_arg(ctx, &args[0], &first) || !read_polygon_arg(ctx, &args[1], &second))
        return kq_null(KQ_BOOL);
    return kq_bool(polygons_meet(&first, &second));
}

/* ---- clipping a line by a polygon ---- */

/* A point of an edge and its angle from the edge's start. */
typedef struct edge_cut {
    double at;
    kq_geo_vec point;
} edge_cut;

static int compare_cuts(const void *a, const void *b)
{
    double x = ((const edge_cut *)a)->at, y = ((const edge_cut *)b)->at;
    return (x > y) - (x < y);
}

/* The lines kept so far and the one being extended. */
typedef struct clip_state {
    kq_arena *arena;
    const kq_dyn **pieces;
    uint32_t count, capacity;
    kq_geo_coord_list open;
} clip_state;

static void close_piece(clip_state *clip)
{
    if (clip->open.count >= 2) {
        if (clip->count == clip->capacity) {
            uint32_t capacity = clip->capacity ? clip->capacity * 2 : 8;
            const kq_dyn **pieces = kq_arena_alloc(clip->arena, capacity * sizeof *pieces);
            if (clip->count)
                memcpy(pieces, clip->pieces, clip->count * sizeof *pieces);
            clip->pieces = pieces;
            clip->capacity = capacity;
        }
        clip->pieces[clip->count++] = kq_geo_path_dyn(clip->arena, clip->open.items, clip->open.count, false);
    }
    kq_geo_coord_list empty = {0};
    empty.overflow = clip->open.overflow;
    clip->open = empty;
}

/*
 * Splits the edge a-b where it crosses the polygon's boundary and keeps the
 * parts whose midpoints lie inside, extending the open piece across edges.
 */
static void clip_edge(clip_state *clip, const kq_geo_polygons *shape, kq_geo_vec a, kq_geo_vec b)
{
    uint32_t edges = 0;
    for (uint32_t k = 0; k < shape->count; k++)
        for (uint32_t r = 0; r < shape->polygons[k].count; r++)
            edges += shape->polygons[k].rings[r].count;
    edge_cut *cuts = kq_arena_alloc(clip->arena, (edges + 2) * sizeof *cuts);
    uint32_t n = 0;
    double length = kq_geo_angle(a, b);
    cuts[n++] = (edge_cut){0, a};
    cuts[n++] = (edge_cut){length, b};
    for (uint32_t k = 0; k < shape->count; k++)
        for (uint32_t r = 0; r < shape->polygons[k].count; r++) {
            const kq_geo_path *ring = &shape->polygons[k].rings[r];
            for (uint32_t i = 0; i < ring->count; i++) {
                kq_geo_vec x;
                if (kq_geo_edges_intersect(a, b, ring->points[i], ring->points[(i + 1) % ring->count], &x))
                    cuts[n++] = (edge_cut){kq_geo_angle(a, x), x};
            }
        }
    qsort(cuts, n, sizeof *cuts, compare_cuts);
    for (uint32_t i = 0; i + 1 < n; i++) {
        if (cuts[i + 1].at - cuts[i].at <= 0 || length == 0)
            continue;
        kq_geo_vec mid = kq_geo_interpolate(a, b, (cuts[i].at + cuts[i + 1].at) / 2 / length);
        if (!kq_geo_polygons_contain(shape, mid)) {
            close_piece(clip);
            continue;
        }
        if (clip->open.count == 0)
            kq_geo_coord_push(clip->arena, &clip->open, kq_geo_to_coord(cuts[i].point));
        kq_geo_coord_push(clip->arena, &clip->open, kq_geo_to_coord(cuts[i + 1].point));
    }
}

/* NOTE: a line that only touches the polygon at single points gives no Point for them. */
kq_value kq_geo_intersection_line_with_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_lines lines;
    kq_geo_polygons shape;
    if (!kq_geo_read_lines(ctx->arena, kq_dynfn_tree(&args[0]), &lines) || !read_polygon_arg(ctx, &args[1], &shape))
        return kq_null(KQ_DYNAMIC);
    clip_state clip = {ctx->arena, NULL, 0, 0, {0}};
    for (uint32_t k = 0; k < lines.count; k++) {
        const kq_geo_path *line = &lines.lines[k];
        for (uint32_t i = 0; i + 1 < line->count; i++)
            clip_edge(&clip, &shape, line->points[i], line->points[i + 1]);
        close_piece(&clip);
    }
    if (clip.open.overflow)
        return kq_null(KQ_DYNAMIC);
    if (clip.count == 0)
        return kq_dynamic(kq_geo_collection_dyn(ctx->arena, NULL));
    if (clip.count == 1)
        return kq_dynamic(kq_geo_shape_dyn(ctx->arena, "LineString", clip.pieces[0]));
    return kq_dynamic(kq_geo_shape_dyn(ctx->arena, "MultiLineString", kq_dyn_array(ctx->arena, clip.pieces, clip.count)));
}
