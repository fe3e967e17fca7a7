/*
 * geo_union_lines_array(): the union of an array of LineString and
 * MultiLineString values. Equal vertices merge, and an edge given more than
 * once (in either direction) counts once. The edges are then joined into
 * chains that break only where a line ends or three or more edges meet. One
 * chain is a LineString, and several are a MultiLineString.
 *
 * NOTE: Kusto builds the union with the S2 library, which also merges
 * vertices closer than its snap radius. Here only equal vertices merge, and
 * crossing edges are not split at the crossing.
 */
#include "functions/geo_internal.h"
#include "functions/dynamic_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct vertex_key {
    kq_geo_coord coord;
    uint32_t first_seen; /* index of the vertex's first occurrence in the input */
} vertex_key;

typedef struct union_graph {
    kq_geo_coord *coords;  /* distinct vertices, in order of first occurrence */
    uint32_t vertex_count;
    uint32_t *edge_ends;   /* 2 per edge: vertex indexes, edges in order of first occurrence */
    uint32_t edge_count;
    uint32_t *adjacency_start, *adjacency; /* for each vertex, its edges */
    bool *used;
} union_graph;

static int compare_coords(kq_geo_coord a, kq_geo_coord b)
{
    if (a.lng != b.lng)
        return a.lng < b.lng ? -1 : 1;
    if (a.lat != b.lat)
        return a.lat < b.lat ? -1 : 1;
    return 0;
}

static int compare_keys(const void *x, const void *y)
{
    const vertex_key *a = x, *b = y;
    int c = compare_coords(a->coord, b->coord);
    return c ? c : (a->first_seen > b->first_seen) - (a->first_seen < b->first_seen);
}

static int compare_edges(const void *x, const void *y)
{
    const uint32_t *a = x, *b = y;
    for (int i = 0; i < 3; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Reads every position of every line in the array, in order; false when any shape is invalid. */
static bool read_positions(kq_arena *arena, const kq_dyn *array, kq_geo_coord_list *positions, uint32_t **line_ends,
                           uint32_t *line_count)
{
    uint32_t capacity = 0;
    for (uint32_t s = 0; s < array->count; s++) {
        kq_geo_lines lines;
        const kq_dyn *shape = array->u.items[s];
        if (!kq_geo_read_lines(arena, shape, &lines))
            return false;
        capacity += lines.count;
    }
    *line_ends = kq_arena_alloc(arena, (capacity ? capacity : 1) * sizeof **line_ends);
    *line_count = 0;
    for (uint32_t s = 0; s < array->count; s++) {
        const kq_dyn *shape = array->u.items[s], *coordinates = kq_dyn_get_member(shape, "coordinates", 11);
        const kq_dyn *type = kq_dyn_get_member(shape, "type", 4);
        bool multi = !kq_str_eq(type->u.s, "LineString");
        for (uint32_t l = 0; l < (multi ? coordinates->count : 1); l++) {
            const kq_dyn *line = multi ? coordinates->u.items[l] : coordinates;
            for (uint32_t i = 0; i < line->count; i++) {
                kq_geo_coord c;
                kq_geo_read_coord(line->u.items[i], &c);
                kq_geo_coord_push(arena, positions, c);
            }
            (*line_ends)[(*line_count)++] = positions->count;
        }
    }
    return !positions->overflow;
}

/* Numbers the distinct vertices by first occurrence and lists each distinct edge once. */
static void build_graph(kq_arena *arena, const kq_geo_coord_list *positions, const uint32_t *line_ends,
                        uint32_t line_count, union_graph *graph)
{
    uint32_t n = positions->count;
    vertex_key *keys = kq_arena_alloc(arena, n * sizeof *keys);
    for (uint32_t i = 0; i < n; i++)
        keys[i] = (vertex_key){positions->items[i], i};
    qsort(keys, n, sizeof *keys, compare_keys);
    uint32_t *vertex_of = kq_arena_alloc(arena, n * sizeof *vertex_of);
    uint32_t *number = kq_arena_alloc(arena, n * sizeof *number); /* vertex number by first occurrence */
    graph->coords = kq_arena_alloc(arena, n * sizeof *graph->coords);
    graph->vertex_count = 0;
    for (uint32_t i = 0; i < n; i++)
        number[i] = UINT32_MAX;
    /* Each position points to the first occurrence of its coordinates, which sorts first among equals. */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t first = keys[i].first_seen;
        if (i > 0 && compare_coords(keys[i].coord, keys[i - 1].coord) == 0)
            first = vertex_of[keys[i - 1].first_seen];
        vertex_of[keys[i].first_seen] = first;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t first = vertex_of[i];
        if (number[first] == UINT32_MAX) {
            number[first] = graph->vertex_count;
            graph->coords[graph->vertex_count++] = positions->items[i];
        }
        vertex_of[i] = number[first];
    }

    /* Edges as (low vertex, high vertex, first occurrence), sorted to drop repeats. */
    uint32_t *edges = kq_arena_alloc(arena, 3 * (size_t)(n ? n : 1) * sizeof *edges);
    uint32_t count = 0, start = 0;
    for (uint32_t l = 0; l < line_count; l++) {
        for (uint32_t i = start; i + 1 < line_ends[l]; i++) {
            uint32_t a = vertex_of[i], b = vertex_of[i + 1];
            if (a == b)
                continue;
            edges[3 * count] = a < b ? a : b;
            edges[3 * count + 1] = a < b ? b : a;
            edges[3 * count + 2] = i;
            count++;
        }
        start = line_ends[l];
    }
    qsort(edges, count, 3 * sizeof *edges, compare_edges);
    uint32_t distinct = 0;
    for (uint32_t e = 0; e < count; e++) {
        if (distinct > 0 && edges[3 * e] == edges[3 * (distinct - 1)] && edges[3 * e + 1] == edges[3 * (distinct - 1) + 1])
            continue;
        memmove(&edges[3 * distinct], &edges[3 * e], 3 * sizeof *edges);
        distinct++;
    }
    /* Back to the order of first occurrence, so chains come out in input order. */
    for (uint32_t e = 0; e < distinct; e++) {
        uint32_t t = edges[3 * e + 2];
        edges[3 * e + 2] = edges[3 * e];
        edges[3 * e] = t;
    }
    qsort(edges, distinct, 3 * sizeof *edges, compare_edges);
    graph->edge_count = distinct;
    graph->edge_ends = kq_arena_alloc(arena, 2 * (size_t)(distinct ? distinct : 1) * sizeof *graph->edge_ends);
    for (uint32_t e = 0; e < distinct; e++) {
        graph->edge_ends[2 * e] = edges[3 * e + 2];
        graph->edge_ends[2 * e + 1] = edges[3 * e + 1];
    }
}

static void build_adjacency(kq_arena *arena, union_graph *graph)
{
    uint32_t v = graph->vertex_count, e = graph->edge_count;
    graph->adjacency_start = kq_arena_alloc(arena, ((size_t)v + 1) * sizeof *graph->adjacency_start);
    graph->adjacency = kq_arena_alloc(arena, 2 * (size_t)(e ? e : 1) * sizeof *graph->adjacency);
    graph->used = kq_arena_alloc(arena, (e ? e : 1) * sizeof *graph->used);
    memset(graph->adjacency_start, 0, ((size_t)v + 1) * sizeof *graph->adjacency_start);
    for (uint32_t i = 0; i < 2 * e; i++)
        graph->adjacency_start[graph->edge_ends[i] + 1]++;
    for (uint32_t i = 0; i < v; i++)
        graph->adjacency_start[i + 1] += graph->adjacency_start[i];
    uint32_t *fill = kq_arena_alloc(arena, ((size_t)v + 1) * sizeof *fill);
    memcpy(fill, graph->adjacency_start, ((size_t)v + 1) * sizeof *fill);
    for (uint32_t i = 0; i < e; i++) {
        graph->adjacency[fill[graph->edge_ends[2 * i]]++] = i;
        graph->adjacency[fill[graph->edge_ends[2 * i + 1]]++] = i;
        graph->used[i] = false;
    }
}

static uint32_t degree(const union_graph *graph, uint32_t vertex)
{
    return graph->adjacency_start[vertex + 1] - graph->adjacency_start[vertex];
}

/* The first unused edge at vertex, or UINT32_MAX. */
static uint32_t unused_edge(const union_graph *graph, uint32_t vertex)
{
    for (uint32_t k = graph->adjacency_start[vertex]; k < graph->adjacency_start[vertex + 1]; k++)
        if (!graph->used[graph->adjacency[k]])
            return graph->adjacency[k];
    return UINT32_MAX;
}

/* Walks unused edges from start through vertices where exactly two edges meet; returns the chain's coordinates. */
static const kq_dyn *walk_chain(kq_arena *arena, union_graph *graph, uint32_t start, uint32_t edge)
{
    kq_geo_coord_list chain = {0};
    uint32_t vertex = start;
    kq_geo_coord_push(arena, &chain, graph->coords[vertex]);
    while (edge != UINT32_MAX) {
        graph->used[edge] = true;
        uint32_t a = graph->edge_ends[2 * edge], b = graph->edge_ends[2 * edge + 1];
        vertex = vertex == a ? b : a;
        kq_geo_coord_push(arena, &chain, graph->coords[vertex]);
        if (vertex == start || degree(graph, vertex) != 2)
            break;
        edge = unused_edge(graph, vertex);
    }
    return kq_geo_path_dyn(arena, chain.items, chain.count, false);
}

kq_value kq_geo_union_lines_array(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    const kq_dyn *array = kq_dynfn_array(&args[0]);
    kq_geo_coord_list positions = {0};
    uint32_t *line_ends, line_count;
    if (!array || array->count == 0 || !read_positions(ctx->arena, array, &positions, &line_ends, &line_count))
        return kq_null(KQ_DYNAMIC);
    union_graph graph;
    build_graph(ctx->arena, &positions, line_ends, line_count, &graph);
    build_adjacency(ctx->arena, &graph);
    kq_dyn *chains = kq_dynfn_new_array(ctx->arena, graph.edge_count);
    uint32_t count = 0;
    /* Open chains start at line ends and junctions; what is left are closed loops. */
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t v = 0; v < graph.vertex_count; v++) {
            if (pass == 0 && degree(&graph, v) == 2)
                continue;
            uint32_t edge;
            while ((edge = unused_edge(&graph, v)) != UINT32_MAX)
                chains->u.items[count++] = walk_chain(ctx->arena, &graph, v, edge);
        }
    chains->count = count;
    if (count == 0)
        return kq_null(KQ_DYNAMIC);
    if (count == 1)
        return kq_dynamic(kq_geo_shape_dyn(ctx->arena, "LineString", chains->u.items[0]));
    return kq_dynamic(kq_geo_shape_dyn(ctx->arena, "MultiLineString", chains));
}
