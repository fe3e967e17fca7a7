/*
 * Spherical geometry for the geo_* functions: unit vectors, geodesic edges,
 * GeoJSON line and polygon reading, ring area and point containment, and the
 * dynamic values the functions return.
 */
#include "functions/geo_internal.h"
#include "functions/dynamic_internal.h"

#include <math.h>
#include <string.h>

/* Tolerance, in radians, for a point lying on an edge. About 0.6 nm on the Earth. */
#define ON_EDGE_EPSILON 1e-16

/* ---- vectors ---- */

bool kq_geo_coord_valid(double lng, double lat)
{
    return isfinite(lng) && isfinite(lat) && lng >= -180 && lng <= 180 && lat >= -90 && lat <= 90;
}

kq_geo_vec kq_geo_to_vec(kq_geo_coord c)
{
    double phi = c.lat * KQ_GEO_PI / 180, theta = c.lng * KQ_GEO_PI / 180;
    kq_geo_vec v = {cos(phi) * cos(theta), cos(phi) * sin(theta), sin(phi)};
    return v;
}

kq_geo_coord kq_geo_to_coord(kq_geo_vec v)
{
    kq_geo_coord c;
    c.lat = atan2(v.z, sqrt(v.x * v.x + v.y * v.y)) * 180 / KQ_GEO_PI;
    c.lng = atan2(v.y, v.x) * 180 / KQ_GEO_PI;
    return c;
}

kq_geo_vec kq_geo_add(kq_geo_vec a, kq_geo_vec b)
{
    kq_geo_vec v = {a.x + b.x, a.y + b.y, a.z + b.z};
    return v;
}

kq_geo_vec kq_geo_sub(kq_geo_vec a, kq_geo_vec b)
{
    kq_geo_vec v = {a.x - b.x, a.y - b.y, a.z - b.z};
    return v;
}

kq_geo_vec kq_geo_scale(kq_geo_vec a, double k)
{
    kq_geo_vec v = {a.x * k, a.y * k, a.z * k};
    return v;
}

kq_geo_vec kq_geo_cross(kq_geo_vec a, kq_geo_vec b)
{
    kq_geo_vec v = {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
    return v;
}

double kq_geo_dot(kq_geo_vec a, kq_geo_vec b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}

double kq_geo_norm(kq_geo_vec a)
{
    return sqrt(kq_geo_dot(a, a));
}

kq_geo_vec kq_geo_normalize(kq_geo_vec a)
{
    double n = kq_geo_norm(a);
    return n > 0 ? kq_geo_scale(a, 1 / n) : a;
}

double kq_geo_angle(kq_geo_vec a, kq_geo_vec b)
{
    return atan2(kq_geo_norm(kq_geo_cross(a, b)), kq_geo_dot(a, b));
}

double kq_geo_azimuth(kq_geo_vec a, kq_geo_vec b)
{
    kq_geo_coord ca = kq_geo_to_coord(a), cb = kq_geo_to_coord(b);
    double phi1 = ca.lat * KQ_GEO_PI / 180, phi2 = cb.lat * KQ_GEO_PI / 180;
    double dl = (cb.lng - ca.lng) * KQ_GEO_PI / 180;
    double t = atan2(sin(dl) * cos(phi2), cos(phi1) * sin(phi2) - sin(phi1) * cos(phi2) * cos(dl));
    return t < 0 ? t + 2 * KQ_GEO_PI : t;
}

kq_geo_vec kq_geo_interpolate(kq_geo_vec a, kq_geo_vec b, double t)
{
    double theta = kq_geo_angle(a, b);
    if (theta == 0)
        return a;
    /* Rotate a toward b within their plane: b' is the unit vector orthogonal to a in that plane. */
    kq_geo_vec dir = kq_geo_normalize(kq_geo_sub(b, kq_geo_scale(a, kq_geo_dot(a, b))));
    double s = t * theta;
    return kq_geo_normalize(kq_geo_add(kq_geo_scale(a, cos(s)), kq_geo_scale(dir, sin(s))));
}

/* ---- edges ---- */

/* True when x, a point on the great circle of a-b with unit normal n, lies within the arc a-b. */
static bool within_arc(kq_geo_vec x, kq_geo_vec a, kq_geo_vec b, kq_geo_vec n)
{
    return kq_geo_dot(kq_geo_cross(a, x), n) >= -ON_EDGE_EPSILON &&
           kq_geo_dot(kq_geo_cross(x, b), n) >= -ON_EDGE_EPSILON;
}

kq_geo_vec kq_geo_closest_on_edge(kq_geo_vec x, kq_geo_vec a, kq_geo_vec b)
{
    kq_geo_vec n = kq_geo_cross(a, b);
    if (kq_geo_norm(n) > 0) {
        n = kq_geo_normalize(n);
        kq_geo_vec p = kq_geo_sub(x, kq_geo_scale(n, kq_geo_dot(x, n)));
        if (kq_geo_norm(p) > 0) {
            p = kq_geo_normalize(p);
            if (within_arc(p, a, b, n))
                return p;
        }
    }
    return kq_geo_angle(x, a) <= kq_geo_angle(x, b) ? a : b;
}

double kq_geo_edge_distance(kq_geo_vec x, kq_geo_vec a, kq_geo_vec b)
{
    return kq_geo_angle(x, kq_geo_closest_on_edge(x, a, b));
}

/* Edges on one great circle share a point when an endpoint of one lies on the other. */
static bool collinear_edges_touch(kq_geo_vec a, kq_geo_vec b, kq_geo_vec c, kq_geo_vec d, kq_geo_vec *at)
{
    const kq_geo_vec candidates[4] = {c, d, a, b};
    for (int i = 0; i < 4; i++) {
        kq_geo_vec p = candidates[i];
        bool on_first = kq_geo_edge_distance(p, a, b) <= ON_EDGE_EPSILON * 1e4;
        bool on_second = kq_geo_edge_distance(p, c, d) <= ON_EDGE_EPSILON * 1e4;
        if (on_first && on_second) {
            if (at)
                *at = p;
            return true;
        }
    }
    return false;
}

static bool equal_vec(kq_geo_vec a, kq_geo_vec b)
{
    return a.x == b.x && a.y == b.y && a.z == b.z;
}

bool kq_geo_edges_intersect(kq_geo_vec a, kq_geo_vec b, kq_geo_vec c, kq_geo_vec d, kq_geo_vec *at)
{
    /* A shared vertex is found exactly, not through the crossing of the two great circles. */
    kq_geo_vec shared = a;
    if (equal_vec(a, c) || equal_vec(a, d) || ((shared = b), equal_vec(b, c) || equal_vec(b, d))) {
        if (at)
            *at = shared;
        return true;
    }
    kq_geo_vec n1 = kq_geo_cross(a, b), n2 = kq_geo_cross(c, d);
    double shorter = fmin(kq_geo_norm(n1), kq_geo_norm(n2));
    if (shorter == 0)
        return collinear_edges_touch(a, b, c, d, at);
    n1 = kq_geo_normalize(n1);
    n2 = kq_geo_normalize(n2);
    kq_geo_vec x = kq_geo_cross(n1, n2);
    /* The normal of an edge of length L radians has a rounding error of roughly 1e-16 / L
     * (an estimate), so normals closer than a hundred times that make one great circle.
     * Edges on one great circle meet only where an end point of one lies on the other. */
    if (kq_geo_norm(x) < 1e-14 / shorter)
        return collinear_edges_touch(a, b, c, d, at);
    x = kq_geo_normalize(x);
    for (int side = 0; side < 2; side++) {
        kq_geo_vec p = side ? kq_geo_scale(x, -1) : x;
        if (within_arc(p, a, b, n1) && within_arc(p, c, d, n2)) {
            if (at)
                *at = p;
            return true;
        }
    }
    return false;
}

/* ---- reading GeoJSON ---- */

bool kq_geo_read_coord(const kq_dyn *pair, kq_geo_coord *out)
{
    /* NOTE: a third position member (altitude, allowed by RFC 7946) is ignored. */
    if (!pair || pair->kind != KQ_DYN_ARRAY || pair->count < 2 || pair->count > 3)
        return false;
    double values[2];
    for (int i = 0; i < 2; i++) {
        const kq_dyn *item = pair->u.items[i];
        if (item->kind == KQ_DYN_LONG)
            values[i] = (double)item->u.l;
        else if (item->kind == KQ_DYN_REAL)
            values[i] = item->u.r;
        else
            return false;
    }
    if (!kq_geo_coord_valid(values[0], values[1]))
        return false;
    out->lng = values[0];
    out->lat = values[1];
    return true;
}

/* The "coordinates" member of an object whose "type" member equals type, or NULL. */
static const kq_dyn *shape_coordinates(const kq_dyn *shape, const char *type)
{
    if (!shape || shape->kind != KQ_DYN_OBJECT)
        return NULL;
    const kq_dyn *kind = kq_dyn_get_member(shape, "type", 4);
    if (!kind || kind->kind != KQ_DYN_STRING || !kq_str_eq(kind->u.s, type))
        return NULL;
    const kq_dyn *coordinates = kq_dyn_get_member(shape, "coordinates", 11);
    return coordinates && coordinates->kind == KQ_DYN_ARRAY ? coordinates : NULL;
}

static bool read_line(kq_arena *arena, const kq_dyn *positions, kq_geo_path *out)
{
    if (!positions || positions->kind != KQ_DYN_ARRAY || positions->count < 2)
        return false;
    out->points = kq_arena_alloc(arena, positions->count * sizeof(kq_geo_vec));
    out->count = positions->count;
    for (uint32_t i = 0; i < positions->count; i++) {
        kq_geo_coord c;
        if (!kq_geo_read_coord(positions->u.items[i], &c))
            return false;
        out->points[i] = kq_geo_to_vec(c);
    }
    return true;
}

bool kq_geo_read_lines(kq_arena *arena, const kq_dyn *shape, kq_geo_lines *out)
{
    const kq_dyn *coordinates = shape_coordinates(shape, "LineString");
    if (coordinates) {
        out->count = 1;
        out->lines = kq_arena_alloc(arena, sizeof(kq_geo_path));
        return read_line(arena, coordinates, &out->lines[0]);
    }
    coordinates = shape_coordinates(shape, "MultiLineString");
    if (!coordinates || coordinates->count == 0)
        return false;
    out->count = coordinates->count;
    out->lines = kq_arena_alloc(arena, coordinates->count * sizeof(kq_geo_path));
    for (uint32_t i = 0; i < coordinates->count; i++)
        if (!read_line(arena, coordinates->u.items[i], &out->lines[i]))
            return false;
    return true;
}

static bool same_coord(kq_geo_coord a, kq_geo_coord b)
{
    return a.lng == b.lng && a.lat == b.lat;
}

static void reverse_path(kq_geo_path *ring)
{
    for (uint32_t i = 0, j = ring->count - 1; i < j; i++, j--) {
        kq_geo_vec t = ring->points[i];
        ring->points[i] = ring->points[j];
        ring->points[j] = t;
    }
}

/*
 * Reads a closed ring: the first position repeats as the last, repeated consecutive
 * positions count once, and at least three distinct vertices remain. The ring is
 * turned counterclockwise around the smaller region it bounds.
 */
static bool read_ring(kq_arena *arena, const kq_dyn *positions, kq_geo_path *out)
{
    if (!positions || positions->kind != KQ_DYN_ARRAY || positions->count < 4)
        return false;
    kq_geo_coord first, previous, c;
    if (!kq_geo_read_coord(positions->u.items[0], &first) ||
        !kq_geo_read_coord(positions->u.items[positions->count - 1], &c) || !same_coord(first, c))
        return false;
    out->points = kq_arena_alloc(arena, positions->count * sizeof(kq_geo_vec));
    out->count = 0;
    previous = first;
    out->points[out->count++] = kq_geo_to_vec(first);
    for (uint32_t i = 1; i + 1 < positions->count; i++) {
        if (!kq_geo_read_coord(positions->u.items[i], &c))
            return false;
        if (same_coord(c, previous))
            continue;
        out->points[out->count++] = kq_geo_to_vec(c);
        previous = c;
    }
    if (out->count > 1 && same_coord(previous, first))
        out->count--;
    if (out->count < 3)
        return false;
    double area = kq_geo_ring_signed_area(out);
    if (area == 0)
        return false;
    if (area < 0)
        reverse_path(out);
    return true;
}

static bool read_polygon(kq_arena *arena, const kq_dyn *rings, kq_geo_polygon *out)
{
    if (!rings || rings->kind != KQ_DYN_ARRAY || rings->count == 0)
        return false;
    out->count = rings->count;
    out->rings = kq_arena_alloc(arena, rings->count * sizeof(kq_geo_path));
    for (uint32_t i = 0; i < rings->count; i++)
        if (!read_ring(arena, rings->u.items[i], &out->rings[i]))
            return false;
    return true;
}

/* NOTE: rings that cross each other or themselves are not rejected, though Kusto calls them invalid. */
bool kq_geo_read_polygons(kq_arena *arena, const kq_dyn *shape, kq_geo_polygons *out)
{
    const kq_dyn *coordinates = shape_coordinates(shape, "Polygon");
    if (coordinates) {
        out->count = 1;
        out->polygons = kq_arena_alloc(arena, sizeof(kq_geo_polygon));
        return read_polygon(arena, coordinates, &out->polygons[0]);
    }
    coordinates = shape_coordinates(shape, "MultiPolygon");
    if (!coordinates || coordinates->count == 0)
        return false;
    out->count = coordinates->count;
    out->polygons = kq_arena_alloc(arena, coordinates->count * sizeof(kq_geo_polygon));
    for (uint32_t i = 0; i < coordinates->count; i++)
        if (!read_polygon(arena, coordinates->u.items[i], &out->polygons[i]))
            return false;
    return true;
}

/* ---- rings and polygons ---- */

/* Signed solid angle of the triangle a, b, c (Van Oosterom and Strackee, 1983). */
static double triangle_signed_area(kq_geo_vec a, kq_geo_vec b, kq_geo_vec c)
{
    double triple = kq_geo_dot(a, kq_geo_cross(b, c));
    double denominator = 1 + kq_geo_dot(a, b) + kq_geo_dot(b, c) + kq_geo_dot(c, a);
    return 2 * atan2(triple, denominator);
}

double kq_geo_ring_signed_area(const kq_geo_path *ring)
{
    double sum = 0;
    for (uint32_t i = 1; i + 1 < ring->count; i++)
        sum += triangle_signed_area(ring->points[0], ring->points[i], ring->points[i + 1]);
    return sum;
}

/*
 * Winding test: the directions from p to the vertices, measured in the tangent
 * plane at p, turn by +2 pi around a counterclockwise ring that encloses p.
 */
bool kq_geo_ring_contains(const kq_geo_path *ring, kq_geo_vec p)
{
    double turn = 0;
    for (uint32_t i = 0; i < ring->count; i++) {
        kq_geo_vec a = ring->points[i], b = ring->points[(i + 1) % ring->count];
        kq_geo_vec da = kq_geo_sub(a, kq_geo_scale(p, kq_geo_dot(a, p)));
        kq_geo_vec db = kq_geo_sub(b, kq_geo_scale(p, kq_geo_dot(b, p)));
        turn += atan2(kq_geo_dot(kq_geo_cross(da, db), p), kq_geo_dot(da, db));
    }
    return turn > KQ_GEO_PI;
}

bool kq_geo_polygon_contains(const kq_geo_polygon *polygon, kq_geo_vec p)
{
    if (!kq_geo_ring_contains(&polygon->rings[0], p))
        return false;
    for (uint32_t i = 1; i < polygon->count; i++)
        if (kq_geo_ring_contains(&polygon->rings[i], p))
            return false;
    return true;
}

bool kq_geo_polygons_contain(const kq_geo_polygons *shape, kq_geo_vec p)
{
    for (uint32_t i = 0; i < shape->count; i++)
        if (kq_geo_polygon_contains(&shape->polygons[i], p))
            return true;
    return false;
}

double kq_geo_polygons_boundary_distance(const kq_geo_polygons *shape, kq_geo_vec p, kq_geo_vec *closest)
{
    double best = INFINITY;
    for (uint32_t k = 0; k < shape->count; k++)
        for (uint32_t r = 0; r < shape->polygons[k].count; r++) {
            const kq_geo_path *ring = &shape->polygons[k].rings[r];
            for (uint32_t i = 0; i < ring->count; i++) {
                kq_geo_vec a = ring->points[i], b = ring->points[(i + 1) % ring->count];
                kq_geo_vec q = kq_geo_closest_on_edge(p, a, b);
                double d = kq_geo_angle(p, q);
                if (d < best) {
                    best = d;
                    if (closest)
                        *closest = q;
                }
            }
        }
    return best;
}

/* ---- arguments ---- */

bool kq_geo_real_arg(kq_eval_ctx *ctx, const kq_value *v, double *out)
{
    if (v->null)
        return false;
    if (v->type == KQ_DYNAMIC) {
        if (!v->u.d)
            return false;
        kq_value r = kq_dyn_to_value(v->u.d, KQ_REAL, ctx->arena);
        if (r.null)
            return false;
        *out = r.u.r;
        return true;
    }
    if (!kq_type_is_numeric(v->type))
        return false;
    *out = kq_value_as_real(v);
    return true;
}

bool kq_geo_point_args(kq_eval_ctx *ctx, const kq_value *args, kq_geo_vec *out)
{
    kq_geo_coord c;
    if (!kq_geo_real_arg(ctx, &args[0], &c.lng) || !kq_geo_real_arg(ctx, &args[1], &c.lat) ||
        !kq_geo_coord_valid(c.lng, c.lat))
        return false;
    *out = kq_geo_to_vec(c);
    return true;
}

void kq_geo_coord_push(kq_arena *arena, kq_geo_coord_list *list, kq_geo_coord c)
{
    if (list->count >= KQ_GEO_MAX_POINTS) {
        list->overflow = true;
        return;
    }
    if (list->count == list->capacity) {
        uint32_t capacity = list->capacity ? list->capacity * 2 : 16;
        kq_geo_coord *items = kq_arena_alloc(arena, capacity * sizeof *items);
        if (list->count)
            memcpy(items, list->items, list->count * sizeof *items);
        list->items = items;
        list->capacity = capacity;
    }
    list->items[list->count++] = c;
}

bool kq_geo_parse_hex(kq_str text, uint64_t *out)
{
    if (text.len < 1 || text.len > 16)
        return false;
    uint64_t value = 0;
    for (uint32_t k = 0; k < text.len; k++) {
        char c = text.ptr[k];
        int digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else
            return false;
        value = (value << 4) | (uint64_t)digit;
    }
    *out = value;
    return true;
}

/* ---- results ---- */

const kq_dyn *kq_geo_real_dyn(kq_arena *arena, double r)
{
    kq_dyn *d = kq_arena_alloc(arena, sizeof *d);
    d->kind = KQ_DYN_REAL;
    d->u.r = r == 0 ? 0 : r; /* no negative zero in the output */
    return d;
}

const kq_dyn *kq_geo_string_dyn(kq_arena *arena, const char *text)
{
    kq_dyn *d = kq_arena_alloc(arena, sizeof *d);
    d->kind = KQ_DYN_STRING;
    d->u.s.ptr = kq_arena_strdup(arena, text);
    d->u.s.len = (uint32_t)strlen(text);
    return d;
}

const kq_dyn *kq_geo_coord_dyn(kq_arena *arena, kq_geo_coord c)
{
    kq_dyn *pair = kq_dynfn_new_array(arena, 2);
    pair->u.items[0] = kq_geo_real_dyn(arena, c.lng);
    pair->u.items[1] = kq_geo_real_dyn(arena, c.lat);
    return pair;
}

const kq_dyn *kq_geo_shape_dyn(kq_arena *arena, const char *type, const kq_dyn *coordinates)
{
    kq_dyn *shape = kq_dynfn_new_object(arena, 2);
    shape->u.members[0].key.ptr = "type";
    shape->u.members[0].key.len = 4;
    shape->u.members[0].value = kq_geo_string_dyn(arena, type);
    shape->u.members[1].key.ptr = "coordinates";
    shape->u.members[1].key.len = 11;
    shape->u.members[1].value = coordinates;
    return shape;
}

const kq_dyn *kq_geo_point_dyn(kq_arena *arena, kq_geo_vec v)
{
    return kq_geo_shape_dyn(arena, "Point", kq_geo_coord_dyn(arena, kq_geo_to_coord(v)));
}

const kq_dyn *kq_geo_collection_dyn(kq_arena *arena, const kq_dyn *geometries)
{
    kq_dyn *shape = kq_dynfn_new_object(arena, 2);
    shape->u.members[0].key.ptr = "type";
    shape->u.members[0].key.len = 4;
    shape->u.members[0].value = kq_geo_string_dyn(arena, "GeometryCollection");
    shape->u.members[1].key.ptr = "geometries";
    shape->u.members[1].key.len = 10;
    shape->u.members[1].value = geometries ? geometries : kq_dynfn_new_array(arena, 0);
    return shape;
}

const kq_dyn *kq_geo_path_dyn(kq_arena *arena, const kq_geo_coord *coords, uint32_t count, bool closed)
{
    kq_dyn *out = kq_dynfn_new_array(arena, count + (closed ? 1 : 0));
    for (uint32_t i = 0; i < count; i++)
        out->u.items[i] = kq_geo_coord_dyn(arena, coords[i]);
    if (closed)
        out->u.items[count] = out->u.items[0];
    return out;
}
