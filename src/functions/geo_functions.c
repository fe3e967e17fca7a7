/*
 * geo_* functions on points and lines: distances, bearings, line length,
 * centroid, interpolation, densification and line intersections. The table
 * at the end also lists the polygon, geohash and WKT functions of the other
 * geo_*.c files. Invalid coordinates or shapes give null, as in Kusto.
 */
#include "functions/geo_internal.h"
#include "functions/dynamic_internal.h"
#include "base/util.h"

#include <dlfcn.h>
#include <geodesic.h>
#include <pthread.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

/* ---- binding ---- */

#define BIND(fname, spec, kusto_name, result_type)                            \
    static void fname(const kq_type *args, int argc, kq_bind_result *result) \
    {                                                                         \
        if (kq_dynfn_check_args(args, argc, spec, kusto_name, result))       \
            result->type = result_type;                                       \
    }

BIND(bind_distance_2points, "nnnnb", "geo_distance_2points", KQ_REAL)
BIND(bind_point_in_circle, "n", "geo_point_in_circle", KQ_BOOL)
BIND(bind_angle, "n", "geo_angle", KQ_REAL)
BIND(bind_azimuth, "n", "geo_azimuth", KQ_REAL)
BIND(bind_shape_real, "d", "geo_line_length", KQ_REAL)
BIND(bind_shape_dynamic, "d", "this geo function", KQ_DYNAMIC)
BIND(bind_point_shape_real, "nnd", "this geo function", KQ_REAL)
BIND(bind_point_shape_bool, "nnd", "this geo function", KQ_BOOL)
BIND(bind_point_shape_dynamic, "nnd", "this geo function", KQ_DYNAMIC)
BIND(bind_line_interpolate, "dn", "geo_line_interpolate_point", KQ_DYNAMIC)
BIND(bind_line_locate, "dnn", "geo_line_locate_point", KQ_REAL)
BIND(bind_densify, "dnb", "this geo function", KQ_DYNAMIC)
BIND(bind_two_shapes_bool, "dd", "this geo function", KQ_BOOL)
BIND(bind_two_shapes_dynamic, "dd", "this geo function", KQ_DYNAMIC)
BIND(bind_point_to_geohash, "nni", "geo_point_to_geohash", KQ_STRING)
BIND(bind_token_dynamic, "s", "this geo function", KQ_DYNAMIC)
BIND(bind_point_to_cell, "nni", "this geo function", KQ_STRING)
BIND(bind_h3cell_level, "s", "geo_h3cell_level", KQ_INT)
BIND(bind_h3cell_parent, "si", "geo_h3cell_parent", KQ_STRING)
BIND(bind_h3cell_children, "si", "geo_h3cell_children", KQ_DYNAMIC)
BIND(bind_h3cell_rings, "si", "geo_h3cell_rings", KQ_DYNAMIC)
BIND(bind_point_to_h3cell, "nni", "geo_point_to_h3cell", KQ_STRING)
BIND(bind_h3cell_to_central_point, "s", "geo_h3cell_to_central_point", KQ_DYNAMIC)
BIND(bind_h3cell_to_polygon, "s", "geo_h3cell_to_polygon", KQ_DYNAMIC)
BIND(bind_h3cell_neighbors, "s", "geo_h3cell_neighbors", KQ_DYNAMIC)
BIND(bind_polygon_to_h3cells, "din", "geo_polygon_to_h3cells", KQ_DYNAMIC)
BIND(bind_simplify, "dn", "this geo function", KQ_DYNAMIC)
BIND(bind_point_buffer, "nnnn", "geo_point_buffer", KQ_DYNAMIC)
BIND(bind_shape_buffer, "dnn", "this geo function", KQ_DYNAMIC)
BIND(bind_polygon_to_cells, "di", "geo_polygon_to_s2cells", KQ_DYNAMIC)
BIND(bind_from_wkt, "s", "geo_from_wkt", KQ_DYNAMIC)

/* ---- helpers ---- */

static const kq_dyn *shape_arg(const kq_value *v)
{
    return kq_dynfn_tree(v);
}

static double path_length(const kq_geo_path *path)
{
    double total = 0;
    for (uint32_t i = 0; i + 1 < path->count; i++)
        total += kq_geo_angle(path->points[i], path->points[i + 1]);
    return total;
}

/* ---- points ---- */

/*
 * PROJ's geodesic functions, opened on the first spheroid distance. Linking
 * PROJ would load its 45 dependent libraries at every start (docs/performance.md).
 */
static struct {
    void (*init)(struct geod_geodesic *g, double a, double f);
    void (*inverse)(const struct geod_geodesic *g, double lat1, double lon1, double lat2, double lon2, double *s12,
                    double *azi1, double *azi2);
    char error[300];
} proj;
static pthread_once_t proj_once = PTHREAD_ONCE_INIT;

static void open_proj(void)
{
    void *library = dlopen(KQLITE_PROJ_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(proj.error, sizeof proj.error, "%s", dlerror());
        return;
    }
    *(void **)&proj.init = dlsym(library, "geod_init");
    *(void **)&proj.inverse = dlsym(library, "geod_inverse");
    if (!proj.init || !proj.inverse) {
        snprintf(proj.error, sizeof proj.error, "%s lacks geod_init or geod_inverse", KQLITE_PROJ_SONAME);
        proj.inverse = NULL;
    }
}

static kq_value eval_distance_2points(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_geo_vec a, b;
    kq_geo_coord from, to;
    if (!kq_geo_point_args(ctx, &args[0], &a) || !kq_geo_point_args(ctx, &args[2], &b))
        return kq_null(KQ_REAL);
    bool spheroid = argc > 4 && !args[4].null &&
                    ((args[4].type == KQ_BOOL && args[4].u.b) ||
                     (args[4].type == KQ_DYNAMIC && args[4].u.d && args[4].u.d->kind == KQ_DYN_BOOL && args[4].u.d->u.b));
    if (!spheroid)
        return kq_real(kq_geo_angle(a, b) * KQ_GEO_EARTH_RADIUS);
    pthread_once(&proj_once, open_proj);
    if (!proj.inverse) {
        if (!ctx->error)
            ctx->error = kq_arena_printf(ctx->arena, "geo_distance_2points() with spheroid needs PROJ: %s; install "
                                                     "Debian's libproj package", proj.error);
        return kq_null(KQ_REAL);
    }
    /* The geodesic on the WGS-84 ellipsoid (semi-major axis 6,378,137 m, flattening 1/298.257223563). */
    struct geod_geodesic wgs84;
    double meters;
    proj.init(&wgs84, 6378137, 1 / 298.257223563);
    kq_geo_real_arg(ctx, &args[0], &from.lng);
    kq_geo_real_arg(ctx, &args[1], &from.lat);
    kq_geo_real_arg(ctx, &args[2], &to.lng);
    kq_geo_real_arg(ctx, &args[3], &to.lat);
    proj.inverse(&wgs84, from.lat, from.lng, to.lat, to.lng, &meters, NULL, NULL);
    return kq_real(meters);
}

static kq_value eval_point_in_circle(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_vec p, center;
    double radius;
    if (!kq_geo_point_args(ctx, &args[0], &p) || !kq_geo_point_args(ctx, &args[2], &center) ||
        !kq_geo_real_arg(ctx, &args[4], &radius) || !(radius > 0) || !isfinite(radius))
        return kq_null(KQ_BOOL);
    return kq_bool(kq_geo_angle(p, center) * KQ_GEO_EARTH_RADIUS <= radius);
}

/* Clockwise angle at the second point from the line to the first point to the line to the third. */
static kq_value eval_angle(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_vec p1, p2, p3;
    if (!kq_geo_point_args(ctx, &args[0], &p1) || !kq_geo_point_args(ctx, &args[2], &p2) ||
        !kq_geo_point_args(ctx, &args[4], &p3))
        return kq_null(KQ_REAL);
    if (kq_geo_angle(p1, p2) == 0 || kq_geo_angle(p2, p3) == 0)
        return kq_null(KQ_REAL);
    double angle = kq_geo_azimuth(p2, p3) - kq_geo_azimuth(p2, p1);
    if (angle < 0)
        angle += 2 * KQ_GEO_PI;
    return kq_real(angle);
}

static kq_value eval_azimuth(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_vec p1, p2;
    if (!kq_geo_point_args(ctx, &args[0], &p1) || !kq_geo_point_args(ctx, &args[2], &p2) ||
        kq_geo_angle(p1, p2) == 0)
        return kq_null(KQ_REAL);
    return kq_real(kq_geo_azimuth(p1, p2));
}

/* ---- lines ---- */

static kq_value eval_line_length(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_lines lines;
    if (!kq_geo_read_lines(ctx->arena, shape_arg(&args[0]), &lines))
        return kq_null(KQ_REAL);
    double total = 0;
    for (uint32_t i = 0; i < lines.count; i++)
        total += path_length(&lines.lines[i]);
    return kq_real(total * KQ_GEO_EARTH_RADIUS);
}

/* The point of any line closest to p, and its distance in radians. */
static double closest_on_lines(const kq_geo_lines *lines, kq_geo_vec p, kq_geo_vec *closest)
{
    double best = INFINITY;
    for (uint32_t k = 0; k < lines->count; k++) {
        const kq_geo_path *line = &lines->lines[k];
        for (uint32_t i = 0; i + 1 < line->count; i++) {
            kq_geo_vec q = kq_geo_closest_on_edge(p, line->points[i], line->points[i + 1]);
            double d = kq_geo_angle(p, q);
            if (d < best) {
                best = d;
                *closest = q;
            }
        }
    }
    return best;
}

static kq_value eval_distance_point_to_line(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_vec p, q;
    kq_geo_lines lines;
    if (!kq_geo_point_args(ctx, args, &p) || !kq_geo_read_lines(ctx->arena, shape_arg(&args[2]), &lines))
        return kq_null(KQ_REAL);
    return kq_real(closest_on_lines(&lines, p, &q) * KQ_GEO_EARTH_RADIUS);
}

static kq_value eval_closest_point_on_line(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_vec p, q;
    kq_geo_lines lines;
    if (!kq_geo_point_args(ctx, args, &p) || !kq_geo_read_lines(ctx->arena, shape_arg(&args[2]), &lines))
        return kq_null(KQ_DYNAMIC);
    closest_on_lines(&lines, p, &q);
    return kq_dynamic(kq_geo_point_dyn(ctx->arena, q));
}

/*
 * The centroid of a line is the length-weighted mean of its points. For one
 * edge, the integral of the position over the arc is (a + b) tan(theta / 2).
 */
static kq_value eval_line_centroid(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_lines lines;
    if (!kq_geo_read_lines(ctx->arena, shape_arg(&args[0]), &lines))
        return kq_null(KQ_DYNAMIC);
    kq_geo_vec sum = {0, 0, 0};
    for (uint32_t k = 0; k < lines.count; k++) {
        const kq_geo_path *line = &lines.lines[k];
        for (uint32_t i = 0; i + 1 < line->count; i++) {
            kq_geo_vec a = line->points[i], b = line->points[i + 1];
            double theta = kq_geo_angle(a, b);
            sum = kq_geo_add(sum, kq_geo_scale(kq_geo_add(a, b), tan(theta / 2)));
        }
    }
    if (kq_geo_norm(sum) == 0)
        return kq_null(KQ_DYNAMIC);
    return kq_dynamic(kq_geo_point_dyn(ctx->arena, kq_geo_normalize(sum)));
}

/* Reads a LineString (not a MultiLineString) of nonzero length. */
static bool read_one_line(kq_eval_ctx *ctx, const kq_value *arg, kq_geo_path *line, double *length)
{
    kq_geo_lines lines;
    const kq_dyn *shape = shape_arg(arg);
    if (!kq_geo_read_lines(ctx->arena, shape, &lines) || lines.count != 1 ||
        kq_dyn_get_member(shape, "type", 4)->u.s.len != 10)
        return false;
    *line = lines.lines[0];
    *length = path_length(line);
    return *length > 0;
}

static kq_value eval_line_interpolate_point(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_path line;
    double length, fraction;
    if (!read_one_line(ctx, &args[0], &line, &length) || !kq_geo_real_arg(ctx, &args[1], &fraction) ||
        !(fraction >= 0 && fraction <= 1))
        return kq_null(KQ_DYNAMIC);
    double target = fraction * length, walked = 0;
    for (uint32_t i = 0; i + 1 < line.count; i++) {
        double edge = kq_geo_angle(line.points[i], line.points[i + 1]);
        if (walked + edge >= target && edge > 0) {
            kq_geo_vec at = kq_geo_interpolate(line.points[i], line.points[i + 1], (target - walked) / edge);
            return kq_dynamic(kq_geo_point_dyn(ctx->arena, at));
        }
        walked += edge;
    }
    return kq_dynamic(kq_geo_point_dyn(ctx->arena, line.points[line.count - 1]));
}

/* Fraction of the line's length at which the point of the line closest to p lies. */
static kq_value eval_line_locate_point(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_path line;
    kq_geo_vec p;
    double length;
    if (!read_one_line(ctx, &args[0], &line, &length) || !kq_geo_point_args(ctx, &args[1], &p))
        return kq_null(KQ_REAL);
    double best = INFINITY, best_position = 0, walked = 0;
    for (uint32_t i = 0; i + 1 < line.count; i++) {
        kq_geo_vec a = line.points[i], b = line.points[i + 1];
        kq_geo_vec q = kq_geo_closest_on_edge(p, a, b);
        double d = kq_geo_angle(p, q);
        if (d < best) {
            best = d;
            best_position = walked + kq_geo_angle(a, q);
        }
        walked += kq_geo_angle(a, b);
    }
    return kq_real(best_position / length);
}

/* ---- densify ---- */

static double wrap_longitude(double lng)
{
    if (lng > 180)
        return lng - 360;
    if (lng < -180)
        return lng + 360;
    return lng;
}

/*
 * Appends the points that split the planar edge a-b (straight in longitude and
 * latitude) until each piece's geodesic lies within tolerance of it: a piece is
 * halved while its planar midpoint is farther than tolerance from its geodesic.
 * b itself is not appended.
 */
static void densify_edge(kq_arena *arena, kq_geo_coord_list *out, kq_geo_coord a, kq_geo_coord b, double tolerance, int depth)
{
    kq_geo_coord mid = {(a.lng + b.lng) / 2, (a.lat + b.lat) / 2};
    kq_geo_coord wrapped_a = {wrap_longitude(a.lng), a.lat}, wrapped_b = {wrap_longitude(b.lng), b.lat};
    kq_geo_coord wrapped_mid = {wrap_longitude(mid.lng), mid.lat};
    kq_geo_vec va = kq_geo_to_vec(wrapped_a), vb = kq_geo_to_vec(wrapped_b);
    double offset = kq_geo_edge_distance(kq_geo_to_vec(wrapped_mid), va, vb) * KQ_GEO_EARTH_RADIUS;
    if (offset <= tolerance || depth >= 40 || out->overflow) {
        kq_geo_coord_push(arena, out, wrapped_a);
        return;
    }
    densify_edge(arena, out, a, mid, tolerance, depth + 1);
    densify_edge(arena, out, mid, b, tolerance, depth + 1);
}

/* Densifies one run of coordinates. With preserve_crossing, an edge spanning over 180 degrees of longitude
 * crosses the antimeridian instead. */
static bool densify_positions(kq_arena *arena, const kq_dyn *positions, double tolerance, bool preserve_crossing,
                              kq_geo_coord_list *out)
{
    kq_geo_coord previous, c;
    if (!kq_geo_read_coord(positions->u.items[0], &previous))
        return false;
    for (uint32_t i = 1; i < positions->count; i++) {
        if (!kq_geo_read_coord(positions->u.items[i], &c))
            return false;
        kq_geo_coord target = c;
        if (preserve_crossing && target.lng - previous.lng > 180)
            target.lng -= 360;
        else if (preserve_crossing && previous.lng - target.lng > 180)
            target.lng += 360;
        densify_edge(arena, out, previous, target, tolerance, 0);
        previous = c;
    }
    kq_geo_coord_push(arena, out, previous);
    return !out->overflow;
}

const kq_dyn *kq_geo_densify_coordinates(kq_arena *arena, const kq_dyn *coordinates, int depth, double tolerance,
                                         bool preserve_crossing)
{
    if (!coordinates || coordinates->kind != KQ_DYN_ARRAY)
        return NULL;
    kq_dyn *out = kq_dynfn_new_array(arena, coordinates->count);
    for (uint32_t i = 0; i < coordinates->count; i++) {
        const kq_dyn *item = coordinates->u.items[i];
        if (depth > 1) {
            out->u.items[i] = kq_geo_densify_coordinates(arena, item, depth - 1, tolerance, preserve_crossing);
            if (!out->u.items[i])
                return NULL;
            continue;
        }
        if (!item || item->kind != KQ_DYN_ARRAY || item->count < 2)
            return NULL;
        kq_geo_coord_list list = {0};
        if (!densify_positions(arena, item, tolerance, preserve_crossing, &list))
            return NULL;
        out->u.items[i] = kq_geo_path_dyn(arena, list.items, list.count, false);
    }
    return out;
}

/* Reads the tolerance (meters, 0.1 to 10,000, default 10) and preserve_crossing arguments. */
bool kq_geo_densify_args(kq_eval_ctx *ctx, const kq_value *args, int argc, double *tolerance, bool *preserve_crossing)
{
    *tolerance = 10;
    *preserve_crossing = false;
    if (argc > 1 && (!kq_geo_real_arg(ctx, &args[1], tolerance) || !(*tolerance >= 0.1 && *tolerance <= 10000)))
        return false;
    if (argc > 2) {
        if (args[2].null)
            return false;
        if (args[2].type == KQ_BOOL)
            *preserve_crossing = args[2].u.b;
        else if (args[2].type == KQ_DYNAMIC && args[2].u.d && args[2].u.d->kind == KQ_DYN_BOOL)
            *preserve_crossing = args[2].u.d->u.b;
        else
            return false;
    }
    return true;
}

static kq_value eval_line_densify(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_geo_lines lines;
    double tolerance;
    bool preserve_crossing;
    const kq_dyn *shape = shape_arg(&args[0]);
    if (!kq_geo_read_lines(ctx->arena, shape, &lines) ||
        !kq_geo_densify_args(ctx, args, argc, &tolerance, &preserve_crossing))
        return kq_null(KQ_DYNAMIC);
    const kq_dyn *type = kq_dyn_get_member(shape, "type", 4);
    bool multi = type->u.s.len != 10;
    const kq_dyn *coordinates = kq_dyn_get_member(shape, "coordinates", 11);
    const kq_dyn *one[1] = {coordinates};
    const kq_dyn *wrapped = multi ? coordinates : kq_dyn_array(ctx->arena, one, 1);
    const kq_dyn *dense = kq_geo_densify_coordinates(ctx->arena, wrapped, 1, tolerance, preserve_crossing);
    if (!dense)
        return kq_null(KQ_DYNAMIC);
    return kq_dynamic(kq_geo_shape_dyn(ctx->arena, multi ? "MultiLineString" : "LineString",
                                       multi ? dense : dense->u.items[0]));
}

/* ---- line intersections ---- */

static bool lines_intersect(const kq_geo_lines *first, const kq_geo_lines *second)
{
    for (uint32_t i = 0; i < first->count; i++)
        for (uint32_t j = 0; j < second->count; j++) {
            const kq_geo_path *a = &first->lines[i], *b = &second->lines[j];
            for (uint32_t p = 0; p + 1 < a->count; p++)
                for (uint32_t q = 0; q + 1 < b->count; q++)
                    if (kq_geo_edges_intersect(a->points[p], a->points[p + 1], b->points[q], b->points[q + 1], NULL))
                        return true;
        }
    return false;
}

static kq_value eval_intersects_2lines(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_lines first, second;
    if (!kq_geo_read_lines(ctx->arena, shape_arg(&args[0]), &first) ||
        !kq_geo_read_lines(ctx->arena, shape_arg(&args[1]), &second))
        return kq_null(KQ_BOOL);
    return kq_bool(lines_intersect(&first, &second));
}

/* Adds p to the distinct crossing points found so far. */
static void add_crossing(kq_arena *arena, kq_geo_coord_list *points, kq_geo_vec p)
{
    for (uint32_t i = 0; i < points->count; i++)
        if (kq_geo_angle(kq_geo_to_vec(points->items[i]), p) < 1e-13)
            return;
    kq_geo_coord_push(arena, points, kq_geo_to_coord(p));
}

/* NOTE: edges that overlap along a stretch give their shared endpoints as points, not a LineString. */
static kq_value eval_intersection_2lines(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_lines first, second;
    if (!kq_geo_read_lines(ctx->arena, shape_arg(&args[0]), &first) ||
        !kq_geo_read_lines(ctx->arena, shape_arg(&args[1]), &second))
        return kq_null(KQ_DYNAMIC);
    kq_geo_coord_list points = {0};
    for (uint32_t i = 0; i < first.count; i++)
        for (uint32_t j = 0; j < second.count; j++) {
            const kq_geo_path *a = &first.lines[i], *b = &second.lines[j];
            for (uint32_t p = 0; p + 1 < a->count; p++)
                for (uint32_t q = 0; q + 1 < b->count; q++) {
                    kq_geo_vec at;
                    if (kq_geo_edges_intersect(a->points[p], a->points[p + 1], b->points[q], b->points[q + 1], &at))
                        add_crossing(ctx->arena, &points, at);
                }
        }
    if (points.overflow)
        return kq_null(KQ_DYNAMIC);
    if (points.count == 0)
        return kq_dynamic(kq_geo_collection_dyn(ctx->arena, NULL));
    if (points.count == 1)
        return kq_dynamic(kq_geo_shape_dyn(ctx->arena, "Point", kq_geo_coord_dyn(ctx->arena, points.items[0])));
    return kq_dynamic(
        kq_geo_shape_dyn(ctx->arena, "MultiPoint", kq_geo_path_dyn(ctx->arena, points.items, points.count, false)));
}

#define FN(name, min, max, bind, eval, sig, doc) {name, min, max, bind, eval, sig, doc}

const kq_function kq_geo_functions[] = {
    FN("geo_distance_2points", 4, 5, bind_distance_2points, eval_distance_2points,
       "geo_distance_2points(lng1, lat1, lng2, lat2[, use_spheroid]) -> real",
       "Shortest distance in meters on a sphere of radius 6,371,010 m, or on the WGS-84 ellipsoid with use_spheroid."),
    FN("geo_point_in_circle", 5, 5, bind_point_in_circle, eval_point_in_circle,
       "geo_point_in_circle(lng, lat, center_lng, center_lat, radius) -> bool",
       "True when the point is within radius meters (> 0) of the center."),
    FN("geo_angle", 6, 6, bind_angle, eval_angle, "geo_angle(lng1, lat1, lng2, lat2, lng3, lat3) -> real",
       "Clockwise angle in radians [0, 2 pi) at the second point from the line to the first to the line to the third."),
    FN("geo_azimuth", 4, 4, bind_azimuth, eval_azimuth, "geo_azimuth(lng1, lat1, lng2, lat2) -> real",
       "Clockwise angle in radians [0, 2 pi) from true north to the geodesic from the first point to the second."),
    FN("geo_line_length", 1, 1, bind_shape_real, eval_line_length, "geo_line_length(line) -> real",
       "Total length in meters of a GeoJSON LineString or MultiLineString."),
    FN("geo_distance_point_to_line", 3, 3, bind_point_shape_real, eval_distance_point_to_line,
       "geo_distance_point_to_line(lng, lat, line) -> real", "Shortest distance in meters from a point to a line."),
    FN("geo_closest_point_on_line", 3, 3, bind_point_shape_dynamic, eval_closest_point_on_line,
       "geo_closest_point_on_line(lng, lat, line) -> dynamic", "The GeoJSON Point of a line closest to the point."),
    FN("geo_line_centroid", 1, 1, bind_shape_dynamic, eval_line_centroid, "geo_line_centroid(line) -> dynamic",
       "Centroid of a LineString or MultiLineString as a GeoJSON Point."),
    FN("geo_line_interpolate_point", 2, 2, bind_line_interpolate, eval_line_interpolate_point,
       "geo_line_interpolate_point(line, fraction) -> dynamic",
       "The GeoJSON Point at fraction (0..1) of a LineString's length."),
    FN("geo_line_locate_point", 3, 3, bind_line_locate, eval_line_locate_point,
       "geo_line_locate_point(line, lng, lat) -> real",
       "Fraction (0..1) of a LineString's length at the point of the line closest to the point."),
    FN("geo_line_densify", 1, 3, bind_densify, eval_line_densify,
       "geo_line_densify(line[, tolerance[, preserve_crossing]]) -> dynamic",
       "Adds points to planar line edges until geodesic edges stay within tolerance meters (0.1..10000, default 10)."),
    FN("geo_line_simplify", 1, 2, bind_simplify, kq_geo_line_simplify, "geo_line_simplify(line[, tolerance]) -> dynamic",
       "Drops line vertices within tolerance meters (default 10) of the simplified line; null when nothing is left."),
    FN("geo_polygon_simplify", 1, 2, bind_simplify, kq_geo_polygon_simplify,
       "geo_polygon_simplify(polygon[, tolerance]) -> dynamic",
       "Drops ring vertices within tolerance meters (default 10) of the simplified rings; null when nothing is left."),
    FN("geo_union_lines_array", 1, 1, bind_shape_dynamic, kq_geo_union_lines_array,
       "geo_union_lines_array(lines) -> dynamic",
       "Union of an array of LineString and MultiLineString values as a LineString or MultiLineString."),
    FN("geo_simplify_polygons_array", 1, 2, bind_simplify, kq_geo_simplify_polygons_array,
       "geo_simplify_polygons_array(polygons[, tolerance]) -> dynamic",
       "Simplifies the union of an array of polygons like geo_polygon_simplify; null when nothing is left."),
    FN("geo_intersects_2lines", 2, 2, bind_two_shapes_bool, eval_intersects_2lines,
       "geo_intersects_2lines(line1, line2) -> bool", "True when two lines or multilines share a point."),
    FN("geo_intersection_2lines", 2, 2, bind_two_shapes_dynamic, eval_intersection_2lines,
       "geo_intersection_2lines(line1, line2) -> dynamic",
       "The points two lines share as a GeoJSON Point or MultiPoint, or an empty GeometryCollection."),
    FN("geo_point_in_polygon", 3, 3, bind_point_shape_bool, kq_geo_point_in_polygon,
       "geo_point_in_polygon(lng, lat, polygon) -> bool", "True when the point is inside a Polygon or MultiPolygon."),
    FN("geo_polygon_area", 1, 1, bind_shape_real, kq_geo_polygon_area, "geo_polygon_area(polygon) -> real",
       "Area in square meters of a Polygon or MultiPolygon."),
    FN("geo_polygon_perimeter", 1, 1, bind_shape_real, kq_geo_polygon_perimeter,
       "geo_polygon_perimeter(polygon) -> real", "Length in meters of the boundary of a Polygon or MultiPolygon."),
    FN("geo_polygon_centroid", 1, 1, bind_shape_dynamic, kq_geo_polygon_centroid,
       "geo_polygon_centroid(polygon) -> dynamic", "Centroid of a Polygon or MultiPolygon as a GeoJSON Point."),
    FN("geo_distance_point_to_polygon", 3, 3, bind_point_shape_real, kq_geo_distance_point_to_polygon,
       "geo_distance_point_to_polygon(lng, lat, polygon) -> real",
       "Distance in meters from a point to a polygon; 0 inside it."),
    FN("geo_closest_point_on_polygon", 3, 3, bind_point_shape_dynamic, kq_geo_closest_point_on_polygon,
       "geo_closest_point_on_polygon(lng, lat, polygon) -> dynamic",
       "The GeoJSON Point of a polygon closest to the point; the point itself when inside."),
    FN("geo_polygon_densify", 1, 3, bind_densify, kq_geo_polygon_densify,
       "geo_polygon_densify(polygon[, tolerance[, preserve_crossing]]) -> dynamic",
       "Adds points to planar polygon edges until geodesic edges stay within tolerance meters (0.1..10000, default 10)."),
    FN("geo_intersects_line_with_polygon", 2, 2, bind_two_shapes_bool, kq_geo_intersects_line_with_polygon,
       "geo_intersects_line_with_polygon(line, polygon) -> bool", "True when a line and a polygon share a point."),
    FN("geo_intersection_line_with_polygon", 2, 2, bind_two_shapes_dynamic, kq_geo_intersection_line_with_polygon,
       "geo_intersection_line_with_polygon(line, polygon) -> dynamic",
       "The parts of a line inside a polygon as a LineString or MultiLineString, or an empty GeometryCollection."),
    FN("geo_union_polygons_array", 1, 1, bind_shape_dynamic, kq_geo_union_polygons_array,
       "geo_union_polygons_array(polygons) -> dynamic",
       "Union of an array of Polygon and MultiPolygon values as a Polygon or MultiPolygon."),
    FN("geo_intersection_2polygons", 2, 2, bind_two_shapes_dynamic, kq_geo_intersection_2polygons,
       "geo_intersection_2polygons(polygon1, polygon2) -> dynamic",
       "The area and points two polygons share, or an empty GeometryCollection."),
    FN("geo_intersects_2polygons", 2, 2, bind_two_shapes_bool, kq_geo_intersects_2polygons,
       "geo_intersects_2polygons(polygon1, polygon2) -> bool", "True when two polygons share a point."),
    FN("geo_point_to_geohash", 2, 3, bind_point_to_geohash, kq_geo_point_to_geohash,
       "geo_point_to_geohash(lng, lat[, accuracy]) -> string",
       "Geohash of a point with accuracy characters (1..18, default 5); empty when invalid."),
    FN("geo_geohash_to_central_point", 1, 1, bind_token_dynamic, kq_geo_geohash_to_central_point,
       "geo_geohash_to_central_point(geohash) -> dynamic", "Center of a geohash cell as a GeoJSON Point."),
    FN("geo_geohash_to_polygon", 1, 1, bind_token_dynamic, kq_geo_geohash_to_polygon,
       "geo_geohash_to_polygon(geohash) -> dynamic", "A geohash cell as a GeoJSON Polygon."),
    FN("geo_geohash_neighbors", 1, 1, bind_token_dynamic, kq_geo_geohash_neighbors,
       "geo_geohash_neighbors(geohash) -> dynamic", "The up to eight geohash cells that touch a geohash cell."),
    FN("geo_point_to_s2cell", 2, 3, bind_point_to_cell, kq_geo_point_to_s2cell,
       "geo_point_to_s2cell(lng, lat[, level]) -> string",
       "Token of the S2 cell at level (0..30, default 11) that contains the point; empty when invalid."),
    FN("geo_s2cell_to_central_point", 1, 1, bind_token_dynamic, kq_geo_s2cell_to_central_point,
       "geo_s2cell_to_central_point(s2cell) -> dynamic", "Center of an S2 cell as a GeoJSON Point."),
    FN("geo_s2cell_to_polygon", 1, 1, bind_token_dynamic, kq_geo_s2cell_to_polygon,
       "geo_s2cell_to_polygon(s2cell) -> dynamic", "An S2 cell as a GeoJSON Polygon."),
    FN("geo_s2cell_neighbors", 1, 1, bind_token_dynamic, kq_geo_s2cell_neighbors,
       "geo_s2cell_neighbors(s2cell) -> dynamic", "Tokens of the S2 cells of the same level that touch an S2 cell."),
    FN("geo_polygon_to_s2cells", 1, 2, bind_polygon_to_cells, kq_geo_polygon_to_s2cells,
       "geo_polygon_to_s2cells(polygon[, level]) -> dynamic",
       "Tokens of the S2 cells at level (0..30, default 11) that meet a polygon; null beyond 65,536 cells."),
    FN("geo_h3cell_level", 1, 1, bind_h3cell_level, kq_geo_h3cell_level, "geo_h3cell_level(h3cell) -> int",
       "Resolution (0..15) of an H3 cell; null when the cell is invalid."),
    FN("geo_h3cell_parent", 1, 2, bind_h3cell_parent, kq_geo_h3cell_parent,
       "geo_h3cell_parent(h3cell[, resolution]) -> string",
       "The H3 cell's ancestor at resolution (0..14, default one coarser); empty when invalid."),
    FN("geo_h3cell_children", 1, 2, bind_h3cell_children, kq_geo_h3cell_children,
       "geo_h3cell_children(h3cell[, resolution]) -> dynamic",
       "The H3 cell's descendants at resolution (1..15, at most 5 finer, default one finer)."),
    FN("geo_point_to_h3cell", 2, 3, bind_point_to_h3cell, kq_geo_point_to_h3cell,
       "geo_point_to_h3cell(lng, lat[, resolution]) -> string",
       "Index of the H3 cell at resolution (0..15, default 6) that contains the point; empty when invalid."),
    FN("geo_h3cell_to_central_point", 1, 1, bind_h3cell_to_central_point, kq_geo_h3cell_to_central_point,
       "geo_h3cell_to_central_point(h3cell) -> dynamic", "Center of an H3 cell as a GeoJSON Point."),
    FN("geo_h3cell_to_polygon", 1, 1, bind_h3cell_to_polygon, kq_geo_h3cell_to_polygon,
       "geo_h3cell_to_polygon(h3cell) -> dynamic", "An H3 cell as a GeoJSON Polygon."),
    FN("geo_h3cell_neighbors", 1, 1, bind_h3cell_neighbors, kq_geo_h3cell_neighbors,
       "geo_h3cell_neighbors(h3cell) -> dynamic", "The 6 H3 cells (5 for a pentagon) that share an edge with a cell."),
    FN("geo_h3cell_rings", 2, 2, bind_h3cell_rings, kq_geo_h3cell_rings,
       "geo_h3cell_rings(h3cell, distance) -> dynamic",
       "Arrays of the H3 cells 0 to distance (0..142) steps from a cell, one array per distance."),
    FN("geo_polygon_to_h3cells", 1, 3, bind_polygon_to_h3cells, kq_geo_polygon_to_h3cells,
       "geo_polygon_to_h3cells(polygon[, resolution[, radius]]) -> dynamic",
       "H3 cells at resolution (0..15, default 6) whose centers lie in the polygon grown by radius meters; null beyond 61,680 cells."),
    FN("geo_point_buffer", 3, 4, bind_point_buffer, kq_geo_point_buffer,
       "geo_point_buffer(lng, lat, radius[, tolerance]) -> dynamic",
       "Polygon containing every point within radius meters (> 0) of the point, within tolerance meters (default 10)."),
    FN("geo_line_buffer", 2, 3, bind_shape_buffer, kq_geo_line_buffer,
       "geo_line_buffer(line, radius[, tolerance]) -> dynamic",
       "Polygon containing every point within radius meters (> 0) of a line, within tolerance meters (default 10)."),
    FN("geo_polygon_buffer", 2, 3, bind_shape_buffer, kq_geo_polygon_buffer,
       "geo_polygon_buffer(polygon, radius[, tolerance]) -> dynamic",
       "Polygon containing every point within radius meters (> 0) of a polygon, within tolerance meters (default 10)."),
    FN("geo_from_wkt", 1, 1, bind_from_wkt, kq_geo_from_wkt, "geo_from_wkt(wkt) -> dynamic",
       "GeoJSON of a Well-Known Text geometry (POINT, LINESTRING, POLYGON, MULTI*, GEOMETRYCOLLECTION)."),
};
const size_t kq_geo_function_count = KQ_ARRAY_LEN(kq_geo_functions);
