/*
 * Declarations shared by the geo_* function files. Kusto measures on a sphere
 * of radius 6,371,010 m (the radius of the S2 geometry library's Earth) and
 * joins the vertices of lines and polygons with geodesics (great-circle arcs)
 * of less than 180 degrees. Coordinates are WGS-84 degrees: longitude in
 * [-180, +180], latitude in [-90, +90]. Shapes arrive as GeoJSON in a dynamic
 * value; any invalid coordinate or shape makes the result null.
 *
 * geo_functions.c contains the registry table for every geo_* file.
 */
#ifndef KQ_FUNCTIONS_GEO_INTERNAL_H
#define KQ_FUNCTIONS_GEO_INTERNAL_H

#include "functions/dynamic_internal.h"
#include "functions/registry.h"

#define KQ_GEO_EARTH_RADIUS 6371010.0
#define KQ_GEO_PI 3.14159265358979323846

/* ---- points and vectors ---- */

/* A point on the unit sphere as a 3-vector (x toward longitude 0, z toward the north pole). */
typedef struct kq_geo_vec {
    double x, y, z;
} kq_geo_vec;

/* A coordinate pair in degrees, in GeoJSON order. */
typedef struct kq_geo_coord {
    double lng, lat;
} kq_geo_coord;

bool kq_geo_coord_valid(double lng, double lat);
kq_geo_vec kq_geo_to_vec(kq_geo_coord c);
kq_geo_coord kq_geo_to_coord(kq_geo_vec v);

kq_geo_vec kq_geo_add(kq_geo_vec a, kq_geo_vec b);
kq_geo_vec kq_geo_sub(kq_geo_vec a, kq_geo_vec b);
kq_geo_vec kq_geo_scale(kq_geo_vec a, double k);
kq_geo_vec kq_geo_cross(kq_geo_vec a, kq_geo_vec b);
double kq_geo_dot(kq_geo_vec a, kq_geo_vec b);
double kq_geo_norm(kq_geo_vec a);
kq_geo_vec kq_geo_normalize(kq_geo_vec a);
/* Central angle between two unit vectors, in radians. */
double kq_geo_angle(kq_geo_vec a, kq_geo_vec b);
/* Initial bearing of the geodesic from a to b, clockwise from north, in [0, 2 pi). */
double kq_geo_azimuth(kq_geo_vec a, kq_geo_vec b);
/* The point at fraction t (0..1) of the geodesic from a to b. */
kq_geo_vec kq_geo_interpolate(kq_geo_vec a, kq_geo_vec b, double t);

/* ---- edges ---- */

/* The point of the geodesic edge a-b closest to x. */
kq_geo_vec kq_geo_closest_on_edge(kq_geo_vec x, kq_geo_vec a, kq_geo_vec b);
/* Angle in radians between x and the closest point of the edge a-b. */
double kq_geo_edge_distance(kq_geo_vec x, kq_geo_vec a, kq_geo_vec b);
/* True when the edges a-b and c-d share a point; *at receives one shared point when they cross. */
bool kq_geo_edges_intersect(kq_geo_vec a, kq_geo_vec b, kq_geo_vec c, kq_geo_vec d, kq_geo_vec *at);

/* ---- shapes ---- */

/* A run of vertices: a line, or a ring whose closing vertex is dropped. */
typedef struct kq_geo_path {
    kq_geo_vec *points;
    uint32_t count;
} kq_geo_path;

/* A polygon: rings[0] is the shell, the rest are holes. Every ring is stored counterclockwise
 * around the smaller of the two regions it bounds, as Kusto reads rings of either order. */
typedef struct kq_geo_polygon {
    kq_geo_path *rings;
    uint32_t count;
} kq_geo_polygon;

/* LineString (count 1) or MultiLineString. */
typedef struct kq_geo_lines {
    kq_geo_path *lines;
    uint32_t count;
} kq_geo_lines;

/* Polygon (count 1) or MultiPolygon. */
typedef struct kq_geo_polygons {
    kq_geo_polygon *polygons;
    uint32_t count;
} kq_geo_polygons;

/* Reads a LineString or MultiLineString with at least two vertices per line. */
bool kq_geo_read_lines(kq_arena *arena, const kq_dyn *shape, kq_geo_lines *out);
/* Reads a Polygon or MultiPolygon: closed rings of at least three distinct vertices. */
bool kq_geo_read_polygons(kq_arena *arena, const kq_dyn *shape, kq_geo_polygons *out);
/* Reads one [longitude, latitude] array; false when it is not a valid coordinate. */
bool kq_geo_read_coord(const kq_dyn *pair, kq_geo_coord *out);

/* Area in steradians of the region left of a ring (negative when the ring is clockwise). */
double kq_geo_ring_signed_area(const kq_geo_path *ring);
/* The integral of the position vector over the region left of a ring. */
kq_geo_vec kq_geo_ring_moment(const kq_geo_path *ring);
bool kq_geo_ring_contains(const kq_geo_path *ring, kq_geo_vec p);
bool kq_geo_polygon_contains(const kq_geo_polygon *polygon, kq_geo_vec p);
bool kq_geo_polygons_contain(const kq_geo_polygons *shape, kq_geo_vec p);
/* Angle to the nearest edge of any ring of any polygon. */
double kq_geo_polygons_boundary_distance(const kq_geo_polygons *shape, kq_geo_vec p, kq_geo_vec *closest);

/* A growing list of coordinates in an arena. It stops growing at KQ_GEO_MAX_POINTS and sets overflow. */
typedef struct kq_geo_coord_list {
    kq_geo_coord *items;
    uint32_t count, capacity;
    bool overflow;
} kq_geo_coord_list;

/*
 * Most points of a shape a function builds; beyond it the result is null. Kusto allows
 * 10,485,760 points in a densified shape. NOTE: kqlite stops at 2^20, the limit of its other
 * dynamic arrays, because each point costs about 100 bytes of dynamic nodes here.
 */
#define KQ_GEO_MAX_POINTS KQ_DYN_MAX_ELEMENTS

void kq_geo_coord_push(kq_arena *arena, kq_geo_coord_list *list, kq_geo_coord c);

/* Parses 1 to 16 hex digits, either case, as an unsigned integer (an S2 token or an H3 index). */
bool kq_geo_parse_hex(kq_str text, uint64_t *out);

/* ---- results ---- */

/* Reads a numeric argument (int, long, real, decimal or a dynamic number); false for null. */
bool kq_geo_real_arg(kq_eval_ctx *ctx, const kq_value *v, double *out);
/* Reads a longitude and latitude argument pair; false when either is null or out of range. */
bool kq_geo_point_args(kq_eval_ctx *ctx, const kq_value *args, kq_geo_vec *out);

const kq_dyn *kq_geo_real_dyn(kq_arena *arena, double r);
const kq_dyn *kq_geo_string_dyn(kq_arena *arena, const char *text);
const kq_dyn *kq_geo_coord_dyn(kq_arena *arena, kq_geo_coord c);
/* {"type": TYPE, "coordinates": COORDINATES} */
const kq_dyn *kq_geo_shape_dyn(kq_arena *arena, const char *type, const kq_dyn *coordinates);
const kq_dyn *kq_geo_point_dyn(kq_arena *arena, kq_geo_vec v);
/* {"type": "GeometryCollection", "geometries": GEOMETRIES}; NULL geometries gives an empty collection. */
const kq_dyn *kq_geo_collection_dyn(kq_arena *arena, const kq_dyn *geometries);
/* A path's vertices as a coordinate array; closed adds the first vertex again at the end. */
const kq_dyn *kq_geo_path_dyn(kq_arena *arena, const kq_geo_coord *coords, uint32_t count, bool closed);

/* Densifies a GeoJSON coordinates array of paths: depth 1 for the lines of a MultiLineString or the
 * rings of a Polygon, depth 2 for the rings of a MultiPolygon. Returns NULL when a path is invalid. */
const kq_dyn *kq_geo_densify_coordinates(kq_arena *arena, const kq_dyn *coordinates, int depth, double tolerance,
                                         bool preserve_crossing);
/* Reads the optional tolerance and preserve_crossing arguments of geo_*_densify. */
bool kq_geo_densify_args(kq_eval_ctx *ctx, const kq_value *args, int argc, double *tolerance, bool *preserve_crossing);

/* ---- functions defined outside geo_functions.c ---- */

kq_value kq_geo_point_to_geohash(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_geohash_to_central_point(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_geohash_to_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_geohash_neighbors(kq_eval_ctx *ctx, const kq_value *args, int argc);

kq_value kq_geo_point_in_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_polygon_area(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_polygon_perimeter(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_polygon_centroid(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_distance_point_to_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_closest_point_on_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_polygon_densify(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_intersects_line_with_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_intersection_line_with_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_intersects_2polygons(kq_eval_ctx *ctx, const kq_value *args, int argc);

kq_value kq_geo_point_to_s2cell(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_s2cell_to_central_point(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_s2cell_to_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_s2cell_neighbors(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_polygon_to_s2cells(kq_eval_ctx *ctx, const kq_value *args, int argc);

kq_value kq_geo_h3cell_level(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_h3cell_parent(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_h3cell_children(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_point_to_h3cell(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_h3cell_to_central_point(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_h3cell_to_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_h3cell_neighbors(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_h3cell_rings(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_polygon_to_h3cells(kq_eval_ctx *ctx, const kq_value *args, int argc);

kq_value kq_geo_line_simplify(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_polygon_simplify(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_simplify_polygons_array(kq_eval_ctx *ctx, const kq_value *args, int argc);

kq_value kq_geo_union_lines_array(kq_eval_ctx *ctx, const kq_value *args, int argc);

kq_value kq_geo_union_polygons_array(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_intersection_2polygons(kq_eval_ctx *ctx, const kq_value *args, int argc);
/* The union of shapes as a GeoJSON Polygon or MultiPolygon; NULL when it is empty. */
const kq_dyn *kq_geo_union_dyn(kq_arena *arena, const kq_geo_polygons *shapes, uint32_t count);
/* The union of an array of Polygon and MultiPolygon values; NULL when any is invalid or the array is empty. */
const kq_dyn *kq_geo_union_array_dyn(kq_arena *arena, const kq_dyn *array);
/* Area (steradians), perimeter (radians) and position moment of the union of a MultiPolygon's polygons. */
void kq_geo_union_measures(kq_arena *arena, const kq_geo_polygons *shape, double *area, double *perimeter,
                           kq_geo_vec *moment);

kq_value kq_geo_point_buffer(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_line_buffer(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_geo_polygon_buffer(kq_eval_ctx *ctx, const kq_value *args, int argc);

kq_value kq_geo_from_wkt(kq_eval_ctx *ctx, const kq_value *args, int argc);

#endif
