/*
 * Boolean operations on polygons by edge selection: every ring edge is split
 * where it crosses the boundary of another shape, each piece is kept or
 * dropped by where its midpoint lies, and the kept pieces are joined into
 * rings again. A union keeps the pieces outside every other shape, an
 * intersection the pieces inside the other shape. Where two boundaries
 * overlap, one copy is kept when both shapes lie on the same side of it and
 * none when they lie on opposite sides.
 *
 * Rings are walked with the polygon's interior on the left: shells
 * counterclockwise, holes clockwise.
 */
#include "functions/geo_internal.h"
#include "functions/dynamic_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Angle below which a point counts as lying on a boundary (about 6 micrometers on the Earth). */
#define ON_BOUNDARY 1e-12

/* Widening of every box, far above ON_BOUNDARY and the rounding error of its corners. */
#define BOX_MARGIN 1e-9

/* An axis-aligned box in 3-space around arcs or regions of the unit sphere. */
typedef struct geo_box {
    kq_geo_vec low, high;
} geo_box;

typedef struct edge_cut {
    double at; /* angle from the edge's start */
    kq_geo_vec point;
} edge_cut;

typedef struct boundary_edge {
    kq_geo_vec from, to;
    geo_box box; /* contains the arc from-to */
    int owner;   /* index of the shape the edge belongs to */
    edge_cut *cuts;
    uint32_t cut_count, cut_capacity;
} boundary_edge;

typedef struct piece {
    kq_geo_vec from, to;
    bool used;
} piece;

typedef struct boolean_op {
    kq_arena *arena;
    const kq_geo_polygons *shapes;
    int shape_count;
    bool intersection;
    boundary_edge *edges;
    uint32_t edge_count;
    uint32_t *shape_edges; /* the edges of shape s are shape_edges[s] up to shape_edges[s + 1] */
    geo_box *shape_boxes;  /* contains the boundary and the interior of each shape */
    /* For a union, the shapes other than its owner whose box overlaps the box of edge e
     * are nearby[nearby_start[e]] up to nearby[nearby_start[e + 1]]. */
    uint32_t *nearby_start, *nearby;
    piece *pieces;
    uint32_t piece_count;
    kq_geo_coord_list touches; /* boundary contact points, for intersections */
} boolean_op;

static geo_box box_around(kq_geo_vec a, kq_geo_vec b)
{
    return (geo_box){{fmin(a.x, b.x), fmin(a.y, b.y), fmin(a.z, b.z)}, {fmax(a.x, b.x), fmax(a.y, b.y), fmax(a.z, b.z)}};
}

static void box_include(geo_box *box, const geo_box *other)
{
    box->low = (kq_geo_vec){fmin(box->low.x, other->low.x), fmin(box->low.y, other->low.y),
                            fmin(box->low.z, other->low.z)};
    box->high = (kq_geo_vec){fmax(box->high.x, other->high.x), fmax(box->high.y, other->high.y),
                             fmax(box->high.z, other->high.z)};
}

static void box_widen(geo_box *box, double margin)
{
    box->low = kq_geo_sub(box->low, (kq_geo_vec){margin, margin, margin});
    box->high = kq_geo_add(box->high, (kq_geo_vec){margin, margin, margin});
}

static bool boxes_overlap(const geo_box *a, const geo_box *b)
{
    return a->low.x <= b->high.x && b->low.x <= a->high.x && a->low.y <= b->high.y && b->low.y <= a->high.y &&
           a->low.z <= b->high.z && b->low.z <= a->high.z;
}

static bool box_contains(const geo_box *box, kq_geo_vec p)
{
    return p.x >= box->low.x && p.x <= box->high.x && p.y >= box->low.y && p.y <= box->high.y &&
           p.z >= box->low.z && p.z <= box->high.z;
}

/*
 * The box of the geodesic arc a-b: the box of its end points widened by the arc's
 * greatest distance from its chord, 1 - cos(angle / 2), so it contains every point of the arc.
 */
static geo_box arc_box(kq_geo_vec a, kq_geo_vec b)
{
    geo_box box = box_around(a, b);
    box_widen(&box, 1 - cos(kq_geo_angle(a, b) / 2) + BOX_MARGIN);
    return box;
}

/*
 * Computes the box of each shape. On the sphere the largest value of a coordinate over a region
 * lies on its boundary unless the region contains the axis point itself, so the box of
 * the boundary arcs is extended by the axis points the shape contains.
 */
static void bound_shapes(boolean_op *op)
{
    static const kq_geo_vec axes[6] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
    op->shape_boxes = kq_arena_alloc(op->arena, (op->shape_count ? op->shape_count : 1) * sizeof *op->shape_boxes);
    for (int s = 0; s < op->shape_count; s++) {
        geo_box box = {{INFINITY, INFINITY, INFINITY}, {-INFINITY, -INFINITY, -INFINITY}};
        for (uint32_t i = op->shape_edges[s]; i < op->shape_edges[s + 1]; i++)
            box_include(&box, &op->edges[i].box);
        for (int k = 0; k < 6; k++)
            if (kq_geo_polygons_contain(&op->shapes[s], axes[k])) {
                geo_box point = box_around(axes[k], axes[k]);
                box_include(&box, &point);
            }
        box_widen(&box, BOX_MARGIN);
        op->shape_boxes[s] = box;
    }
}

static void collect_edges(boolean_op *op)
{
    uint32_t total = 0;
    for (int s = 0; s < op->shape_count; s++)
        for (uint32_t k = 0; k < op->shapes[s].count; k++)
            for (uint32_t r = 0; r < op->shapes[s].polygons[k].count; r++)
                total += op->shapes[s].polygons[k].rings[r].count;
    op->edges = kq_arena_alloc(op->arena, (total ? total : 1) * sizeof *op->edges);
    op->shape_edges = kq_arena_alloc(op->arena, ((size_t)op->shape_count + 1) * sizeof *op->shape_edges);
    op->edge_count = 0;
    for (int s = 0; s < op->shape_count; s++) {
        op->shape_edges[s] = op->edge_count;
        for (uint32_t k = 0; k < op->shapes[s].count; k++)
            for (uint32_t r = 0; r < op->shapes[s].polygons[k].count; r++) {
                const kq_geo_path *ring = &op->shapes[s].polygons[k].rings[r];
                for (uint32_t i = 0; i < ring->count; i++) {
                    boundary_edge *e = &op->edges[op->edge_count++];
                    kq_geo_vec a = ring->points[i], b = ring->points[(i + 1) % ring->count];
                    /* Holes are stored counterclockwise around the hole, so they run backward here. */
                    e->from = r == 0 ? a : b;
                    e->to = r == 0 ? b : a;
                    e->box = arc_box(a, b);
                    e->owner = s;
                }
            }
    }
    op->shape_edges[op->shape_count] = op->edge_count;
    bound_shapes(op);
}

static void add_cut(kq_arena *arena, boundary_edge *e, kq_geo_vec point)
{
    double at = kq_geo_angle(e->from, point);
    if (at <= ON_BOUNDARY || kq_geo_angle(point, e->to) <= ON_BOUNDARY)
        return;
    for (uint32_t i = 0; i < e->cut_count; i++)
        if (kq_geo_angle(e->cuts[i].point, point) <= ON_BOUNDARY)
            return;
    if (e->cut_count == e->cut_capacity) {
        uint32_t capacity = e->cut_capacity ? e->cut_capacity * 2 : 4;
        edge_cut *cuts = kq_arena_alloc(arena, capacity * sizeof *cuts);
        if (e->cut_count)
            memcpy(cuts, e->cuts, e->cut_count * sizeof *cuts);
        e->cuts = cuts;
        e->cut_capacity = capacity;
    }
    e->cuts[e->cut_count++] = (edge_cut){at, point};
}

static void add_touch(boolean_op *op, kq_geo_vec p)
{
    for (uint32_t i = 0; i < op->touches.count; i++)
        if (kq_geo_angle(kq_geo_to_vec(op->touches.items[i]), p) <= ON_BOUNDARY)
            return;
    kq_geo_coord_push(op->arena, &op->touches, kq_geo_to_coord(p));
}

typedef struct edge_pair {
    uint32_t first, second;
} edge_pair;

/* A point where two edges of different shapes meet, found while cutting edges. */
typedef struct edge_touch {
    kq_geo_vec point;
    edge_pair edges; /* (lower index, higher index) */
} edge_touch;

static int compare_pairs(const void *x, const void *y)
{
    const edge_pair *a = x, *b = y;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    return (a->second > b->second) - (a->second < b->second);
}

static int compare_touches(const void *x, const void *y)
{
    return compare_pairs(&((const edge_touch *)x)->edges, &((const edge_touch *)y)->edges);
}

typedef struct sweep_item {
    const geo_box *box;
    uint32_t index;
    bool is_shape;
} sweep_item;

static int compare_sweep_items(const void *x, const void *y)
{
    double a = ((const sweep_item *)x)->box->low.x, b = ((const sweep_item *)y)->box->low.x;
    return (a > b) - (a < b);
}

/* Drops from an active list the items whose box ends before x. */
static void prune_active(sweep_item *active, uint32_t *count, double x)
{
    for (uint32_t k = 0; k < *count;)
        if (active[k].box->high.x < x)
            active[k] = active[--*count];
        else
            k++;
}

/*
 * Lists for every edge the other shapes whose box overlaps the edge's box (nearby_start
 * and nearby). A piece of an edge lies in its box, so only those shapes can contain it
 * or share its boundary. One sweep along x over edges and shapes finds the pairs. When
 * the list would pass its budget (many shapes stacked over one place), nearby stays NULL
 * and every shape is tested.
 */
static void find_nearby_shapes(boolean_op *op)
{
    uint32_t n = op->edge_count + (uint32_t)op->shape_count, capacity = 16, found = 0;
    uint64_t budget = 8 * (uint64_t)n + 65536;
    sweep_item *items = kq_arena_alloc(op->arena, (n ? n : 1) * sizeof *items);
    sweep_item *active_edges = kq_arena_alloc(op->arena, (n ? n : 1) * sizeof *active_edges);
    sweep_item *active_shapes = kq_arena_alloc(op->arena, (n ? n : 1) * sizeof *active_shapes);
    uint32_t edge_count = 0, shape_count = 0;
    for (uint32_t i = 0; i < op->edge_count; i++)
        items[i] = (sweep_item){&op->edges[i].box, i, false};
    for (int s = 0; s < op->shape_count; s++)
        items[op->edge_count + (uint32_t)s] = (sweep_item){&op->shape_boxes[s], (uint32_t)s, true};
    qsort(items, n, sizeof *items, compare_sweep_items);
    edge_pair *pairs = kq_arena_alloc(op->arena, capacity * sizeof *pairs);
    for (uint32_t k = 0; k < n; k++) {
        const sweep_item *item = &items[k];
        sweep_item *others = item->is_shape ? active_edges : active_shapes;
        uint32_t *other_count = item->is_shape ? &edge_count : &shape_count;
        prune_active(others, other_count, item->box->low.x);
        for (uint32_t o = 0; o < *other_count; o++) {
            uint32_t edge = item->is_shape ? others[o].index : item->index;
            uint32_t shape = item->is_shape ? item->index : others[o].index;
            if ((int)shape == op->edges[edge].owner || !boxes_overlap(item->box, others[o].box))
                continue;
            if (found == budget)
                return;
            if (found == capacity) {
                edge_pair *grown = kq_arena_alloc(op->arena, 2 * (size_t)capacity * sizeof *pairs);
                memcpy(grown, pairs, found * sizeof *pairs);
                pairs = grown;
                capacity *= 2;
            }
            pairs[found++] = (edge_pair){edge, shape};
        }
        if (item->is_shape)
            active_shapes[shape_count++] = *item;
        else
            active_edges[edge_count++] = *item;
    }
    qsort(pairs, found, sizeof *pairs, compare_pairs);
    op->nearby_start = kq_arena_alloc(op->arena, ((size_t)op->edge_count + 1) * sizeof *op->nearby_start);
    op->nearby = kq_arena_alloc(op->arena, (found ? found : 1) * sizeof *op->nearby);
    uint32_t next = 0;
    for (uint32_t e = 0; e <= op->edge_count; e++) {
        op->nearby_start[e] = next;
        while (next < found && pairs[next].first == e) {
            op->nearby[next] = pairs[next].second;
            next++;
        }
    }
}

/* Cuts edge e at each end point of the other edge that lies on it. */
static void cut_at_end_points(kq_arena *arena, boundary_edge *e, const boundary_edge *other)
{
    if (kq_geo_edge_distance(other->from, e->from, e->to) <= ON_BOUNDARY)
        add_cut(arena, e, other->from);
    if (kq_geo_edge_distance(other->to, e->from, e->to) <= ON_BOUNDARY)
        add_cut(arena, e, other->to);
}

/*
 * Cuts the edges a and b of different shapes where they meet. First, an end point of one
 * edge that lies on the other cuts it exactly there. Edges that overlap along one great
 * circle need both ends of the overlap, and a crossing computed from the two great
 * circles would only land near such a point. Returns whether the edges meet, and where.
 */
static bool cut_pair(kq_arena *arena, boundary_edge *a, boundary_edge *b, kq_geo_vec *at)
{
    cut_at_end_points(arena, a, b);
    cut_at_end_points(arena, b, a);
    if (!kq_geo_edges_intersect(a->from, a->to, b->from, b->to, at))
        return false;
    add_cut(arena, a, *at);
    add_cut(arena, b, *at);
    return true;
}

/*
 * Cuts every pair of edges of different shapes where they meet. A sweep along x over the
 * edges sorted by the low end of their boxes tests only pairs whose boxes overlap. An
 * intersection also records the meeting points, in the order of the edge pairs.
 */
static void cut_crossings(boolean_op *op)
{
    uint32_t n = op->edge_count, touch_count = 0, touch_capacity = 0;
    edge_touch *touches = NULL;
    sweep_item *order = kq_arena_alloc(op->arena, (n ? n : 1) * sizeof *order);
    for (uint32_t i = 0; i < n; i++)
        order[i] = (sweep_item){&op->edges[i].box, i, false};
    qsort(order, n, sizeof *order, compare_sweep_items);
    for (uint32_t j = 0; j < n; j++) {
        for (uint32_t k = j + 1; k < n && order[k].box->low.x <= order[j].box->high.x; k++) {
            uint32_t first = order[j].index < order[k].index ? order[j].index : order[k].index;
            uint32_t second = order[j].index < order[k].index ? order[k].index : order[j].index;
            boundary_edge *a = &op->edges[first], *b = &op->edges[second];
            kq_geo_vec x;
            if (a->owner == b->owner || !boxes_overlap(&a->box, &b->box) || !cut_pair(op->arena, a, b, &x) ||
                !op->intersection)
                continue;
            if (touch_count == touch_capacity) {
                touch_capacity = touch_capacity ? 2 * touch_capacity : 16;
                edge_touch *grown = kq_arena_alloc(op->arena, touch_capacity * sizeof *grown);
                if (touch_count)
                    memcpy(grown, touches, touch_count * sizeof *grown);
                touches = grown;
            }
            touches[touch_count++] = (edge_touch){x, {first, second}};
        }
    }
    if (touch_count > 1)
        qsort(touches, touch_count, sizeof *touches, compare_touches);
    for (uint32_t t = 0; t < touch_count; t++)
        add_touch(op, touches[t].point);
}

static int compare_cuts(const void *x, const void *y)
{
    double a = ((const edge_cut *)x)->at, b = ((const edge_cut *)y)->at;
    return (a > b) - (a < b);
}

/*
 * Classifies the piece from-to against shape s: 1 inside, -1 outside, 2 on
 * its boundary running the same way, -2 on its boundary running the opposite
 * way.
 */
static int classify(const boolean_op *op, int s, kq_geo_vec from, kq_geo_vec to)
{
    kq_geo_vec mid = kq_geo_normalize(kq_geo_add(from, to));
    if (!box_contains(&op->shape_boxes[s], mid))
        return -1;
    for (uint32_t i = op->shape_edges[s]; i < op->shape_edges[s + 1]; i++) {
        const boundary_edge *e = &op->edges[i];
        if (kq_geo_edge_distance(mid, e->from, e->to) > ON_BOUNDARY)
            continue;
        double same = kq_geo_dot(kq_geo_sub(to, from), kq_geo_sub(e->to, e->from));
        return same > 0 ? 2 : -2;
    }
    return kq_geo_polygons_contain(&op->shapes[s], mid) ? 1 : -1;
}

static bool keep_piece(const boolean_op *op, uint32_t edge, kq_geo_vec from, kq_geo_vec to)
{
    int owner = op->edges[edge].owner;
    if (op->intersection || !op->nearby) {
        for (int s = 0; s < op->shape_count; s++) {
            if (s == owner)
                continue;
            int where = classify(op, s, from, to);
            if (where == -2 || (where == 2 && s < owner) || (op->intersection ? where == -1 : where == 1))
                return false;
        }
        return true;
    }
    /* A union drops a piece inside another shape, and shapes far from the edge cannot contain it. */
    for (uint32_t k = op->nearby_start[edge]; k < op->nearby_start[edge + 1]; k++) {
        int s = (int)op->nearby[k];
        int where = classify(op, s, from, to);
        if (where == -2 || (where == 2 && s < owner) || where == 1)
            return false;
    }
    return true;
}

static void select_pieces(boolean_op *op)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < op->edge_count; i++)
        total += op->edges[i].cut_count + 1;
    op->pieces = kq_arena_alloc(op->arena, (total ? total : 1) * sizeof *op->pieces);
    op->piece_count = 0;
    for (uint32_t i = 0; i < op->edge_count; i++) {
        boundary_edge *e = &op->edges[i];
        if (e->cut_count > 1)
            qsort(e->cuts, e->cut_count, sizeof *e->cuts, compare_cuts);
        kq_geo_vec from = e->from;
        for (uint32_t c = 0; c <= e->cut_count; c++) {
            kq_geo_vec to = c < e->cut_count ? e->cuts[c].point : e->to;
            if (kq_geo_angle(from, to) > ON_BOUNDARY && keep_piece(op, i, from, to))
                op->pieces[op->piece_count++] = (piece){from, to, false};
            from = to;
        }
    }
}

static bool same_point(kq_geo_vec a, kq_geo_vec b)
{
    return kq_geo_angle(a, b) <= ON_BOUNDARY;
}

/* The first unused piece that starts at p, or NULL. */
static piece *piece_from(boolean_op *op, const piece *previous, kq_geo_vec p)
{
    /* The piece after the previous one usually continues it: the rest of the same ring. */
    piece *next = (piece *)previous + 1;
    if (next < op->pieces + op->piece_count && !next->used && same_point(next->from, p))
        return next;
    for (uint32_t i = 0; i < op->piece_count; i++)
        if (!op->pieces[i].used && same_point(op->pieces[i].from, p))
            return &op->pieces[i];
    return NULL;
}

/* Joins the kept pieces into closed rings; a chain that does not close is dropped. */
static uint32_t join_rings(boolean_op *op, kq_geo_path **rings)
{
    *rings = kq_arena_alloc(op->arena, (op->piece_count ? op->piece_count : 1) * sizeof **rings);
    uint32_t count = 0;
    for (uint32_t i = 0; i < op->piece_count; i++) {
        if (op->pieces[i].used)
            continue;
        kq_geo_path ring = {kq_arena_alloc(op->arena, op->piece_count * sizeof(kq_geo_vec)), 0};
        piece *p = &op->pieces[i];
        kq_geo_vec start = p->from;
        while (p) {
            p->used = true;
            ring.points[ring.count++] = p->from;
            if (same_point(p->to, start))
                break;
            p = piece_from(op, p, p->to);
        }
        if (p && ring.count >= 3)
            (*rings)[count++] = ring;
    }
    return count;
}

/* Runs the operation over shapes; the result rings have the result's interior on their left. */
static uint32_t run_boolean(kq_arena *arena, const kq_geo_polygons *shapes, int shape_count, bool intersection,
                            kq_geo_path **rings, kq_geo_coord_list *touches)
{
    boolean_op op = {.arena = arena, .shapes = shapes, .shape_count = shape_count, .intersection = intersection};
    collect_edges(&op);
    cut_crossings(&op);
    if (!intersection)
        find_nearby_shapes(&op);
    select_pieces(&op);
    uint32_t count = join_rings(&op, rings);
    if (touches)
        *touches = op.touches;
    return count;
}

void kq_geo_union_measures(kq_arena *arena, const kq_geo_polygons *shape, double *area, double *perimeter,
                           kq_geo_vec *moment)
{
    /* Each polygon of the MultiPolygon is its own shape, so overlaps between them merge. */
    kq_geo_polygons *parts = kq_arena_alloc(arena, shape->count * sizeof *parts);
    for (uint32_t k = 0; k < shape->count; k++)
        parts[k] = (kq_geo_polygons){&shape->polygons[k], 1};
    kq_geo_path *rings;
    uint32_t count = run_boolean(arena, parts, (int)shape->count, false, &rings, NULL);
    *area = *perimeter = 0;
    *moment = (kq_geo_vec){0, 0, 0};
    for (uint32_t r = 0; r < count; r++) {
        double signed_area = kq_geo_ring_signed_area(&rings[r]);
        *area += signed_area;
        *moment = kq_geo_add(*moment, kq_geo_ring_moment(&rings[r]));
        for (uint32_t i = 0; i < rings[r].count; i++)
            *perimeter += kq_geo_angle(rings[r].points[i], rings[r].points[(i + 1) % rings[r].count]);
    }
}

/* ---- results ---- */

static const kq_dyn *ring_dyn(kq_arena *arena, const kq_geo_path *ring)
{
    kq_geo_coord *coords = kq_arena_alloc(arena, ring->count * sizeof *coords);
    for (uint32_t i = 0; i < ring->count; i++)
        coords[i] = kq_geo_to_coord(ring->points[i]);
    return kq_geo_path_dyn(arena, coords, ring->count, true);
}

/* Groups result rings into polygons: each counterclockwise ring is a shell, and each clockwise ring
 * a hole of the shell that contains it. Returns a Polygon, a MultiPolygon or NULL when there is no shell. */
static const kq_dyn *rings_to_shape(kq_arena *arena, const kq_geo_path *rings, uint32_t count)
{
    uint32_t *shell_of = kq_arena_alloc(arena, (count ? count : 1) * sizeof *shell_of);
    uint32_t *hole_count = kq_arena_alloc(arena, (count ? count : 1) * sizeof *hole_count);
    uint32_t shells = 0;
    for (uint32_t r = 0; r < count; r++) {
        shell_of[r] = kq_geo_ring_signed_area(&rings[r]) > 0 ? r : UINT32_MAX;
        shells += shell_of[r] == r;
    }
    if (shells == 0)
        return NULL;
    for (uint32_t r = 0; r < count; r++) {
        if (shell_of[r] == r)
            continue;
        kq_geo_vec inside = {0, 0, 0};
        for (uint32_t i = 0; i < rings[r].count; i++)
            inside = kq_geo_add(inside, rings[r].points[i]);
        inside = kq_geo_normalize(inside);
        double smallest = INFINITY;
        for (uint32_t s = 0; s < count; s++) {
            double area = kq_geo_ring_signed_area(&rings[s]);
            if (area > 0 && area < smallest && kq_geo_ring_contains(&rings[s], inside)) {
                smallest = area;
                shell_of[r] = s;
            }
        }
        if (shell_of[r] != UINT32_MAX)
            hole_count[shell_of[r]]++;
    }
    kq_dyn *polygons = kq_dynfn_new_array(arena, shells);
    uint32_t n = 0;
    for (uint32_t s = 0; s < count; s++) {
        if (shell_of[s] != s)
            continue;
        kq_dyn *polygon = kq_dynfn_new_array(arena, hole_count[s] + 1);
        uint32_t k = 0;
        polygon->u.items[k++] = ring_dyn(arena, &rings[s]);
        for (uint32_t r = 0; r < count; r++)
            if (r != s && shell_of[r] == s)
                polygon->u.items[k++] = ring_dyn(arena, &rings[r]);
        polygons->u.items[n++] = polygon;
    }
    if (n == 1)
        return kq_geo_shape_dyn(arena, "Polygon", polygons->u.items[0]);
    return kq_geo_shape_dyn(arena, "MultiPolygon", polygons);
}

const kq_dyn *kq_geo_union_dyn(kq_arena *arena, const kq_geo_polygons *shapes, uint32_t count)
{
    kq_geo_path *rings;
    uint32_t ring_count = run_boolean(arena, shapes, (int)count, false, &rings, NULL);
    return rings_to_shape(arena, rings, ring_count);
}

const kq_dyn *kq_geo_union_array_dyn(kq_arena *arena, const kq_dyn *array)
{
    if (!array || array->kind != KQ_DYN_ARRAY || array->count == 0)
        return NULL;
    kq_geo_polygons *inputs = kq_arena_alloc(arena, array->count * sizeof *inputs);
    uint32_t total = 0;
    for (uint32_t i = 0; i < array->count; i++) {
        if (!kq_geo_read_polygons(arena, array->u.items[i], &inputs[i]))
            return NULL;
        total += inputs[i].count;
    }
    /* Every polygon is its own shape, so the polygons of one MultiPolygon merge too. */
    kq_geo_polygons *parts = kq_arena_alloc(arena, total * sizeof *parts);
    uint32_t n = 0;
    for (uint32_t i = 0; i < array->count; i++)
        for (uint32_t k = 0; k < inputs[i].count; k++)
            parts[n++] = (kq_geo_polygons){&inputs[i].polygons[k], 1};
    return kq_geo_union_dyn(arena, parts, n);
}

kq_value kq_geo_union_polygons_array(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    const kq_dyn *shape = kq_geo_union_array_dyn(ctx->arena, kq_dynfn_array(&args[0]));
    return shape ? kq_dynamic(shape) : kq_null(KQ_DYNAMIC);
}

static bool on_rings(const kq_geo_path *rings, uint32_t count, kq_geo_vec p)
{
    for (uint32_t r = 0; r < count; r++)
        for (uint32_t i = 0; i < rings[r].count; i++)
            if (kq_geo_edge_distance(p, rings[r].points[i], rings[r].points[(i + 1) % rings[r].count]) <= ON_BOUNDARY)
                return true;
    return false;
}

/*
 * The intersection of two polygons: a Polygon or MultiPolygon of the shared
 * area, a Point or MultiPoint where the boundaries only touch, both in a
 * GeometryCollection, or an empty GeometryCollection.
 * NOTE: boundaries that overlap along a stretch without shared area give
 * their end points, where Kusto gives a line.
 */
kq_value kq_geo_intersection_2polygons(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_geo_polygons shapes[2];
    if (!kq_geo_read_polygons(ctx->arena, kq_dynfn_tree(&args[0]), &shapes[0]) ||
        !kq_geo_read_polygons(ctx->arena, kq_dynfn_tree(&args[1]), &shapes[1]))
        return kq_null(KQ_DYNAMIC);
    kq_geo_path *rings;
    kq_geo_coord_list touches;
    uint32_t count = run_boolean(ctx->arena, shapes, 2, true, &rings, &touches);
    kq_geo_coord_list points = {0};
    for (uint32_t i = 0; i < touches.count; i++)
        if (!on_rings(rings, count, kq_geo_to_vec(touches.items[i])))
            kq_geo_coord_push(ctx->arena, &points, touches.items[i]);
    const kq_dyn *area = rings_to_shape(ctx->arena, rings, count);
    const kq_dyn *point = NULL;
    if (points.count == 1)
        point = kq_geo_shape_dyn(ctx->arena, "Point", kq_geo_coord_dyn(ctx->arena, points.items[0]));
    else if (points.count > 1)
        point = kq_geo_shape_dyn(ctx->arena, "MultiPoint", kq_geo_path_dyn(ctx->arena, points.items, points.count, false));
    if (area && !point)
        return kq_dynamic(area);
    if (point && !area)
        return kq_dynamic(point);
    const kq_dyn *both[2] = {point, area};
    return kq_dynamic(kq_geo_collection_dyn(ctx->arena, point ? kq_dyn_array(ctx->arena, both, 2) : NULL));
}
