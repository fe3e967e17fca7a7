/*
 * geo_from_wkt(): Well-Known Text (OGC Simple Features, ISO 19125) to GeoJSON.
 * Reads POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON
 * and GEOMETRYCOLLECTION in two dimensions, keywords in any case. Text that
 * is not WKT, coordinates out of range, lines with fewer than two points and
 * rings that are not closed give null.
 */
#include "functions/geo_internal.h"
#include "functions/dynamic_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Deepest GEOMETRYCOLLECTION nesting read. */
#define MAX_WKT_DEPTH 32

typedef struct wkt_reader {
    const char *text;
    size_t len, pos;
    kq_arena *arena;
} wkt_reader;

typedef enum shape_kind { SHAPE_POINT, SHAPE_LINE, SHAPE_POLYGON } shape_kind;

static void skip_space(wkt_reader *r)
{
    while (r->pos < r->len && isspace((unsigned char)r->text[r->pos]))
        r->pos++;
}

static bool accept(wkt_reader *r, char c)
{
    skip_space(r);
    if (r->pos < r->len && r->text[r->pos] == c) {
        r->pos++;
        return true;
    }
    return false;
}

/* Reads a keyword into word (upper case); false when none is next. */
static bool read_keyword(wkt_reader *r, char *word, size_t size)
{
    skip_space(r);
    size_t n = 0;
    while (r->pos < r->len && isalpha((unsigned char)r->text[r->pos])) {
        if (n + 1 >= size)
            return false;
        word[n++] = (char)toupper((unsigned char)r->text[r->pos++]);
    }
    word[n] = '\0';
    return n > 0;
}

static bool read_number(wkt_reader *r, double *out)
{
    skip_space(r);
    char buffer[64];
    size_t n = 0;
    while (r->pos + n < r->len && n + 1 < sizeof buffer && strchr("0123456789+-.eE", r->text[r->pos + n]))
        n++;
    if (n == 0)
        return false;
    memcpy(buffer, r->text + r->pos, n);
    buffer[n] = '\0';
    char *end;
    *out = strtod(buffer, &end);
    if (end != buffer + n)
        return false;
    r->pos += n;
    return true;
}

static const kq_dyn *read_coord(wkt_reader *r)
{
    kq_geo_coord c;
    if (!read_number(r, &c.lng) || !read_number(r, &c.lat) || !kq_geo_coord_valid(c.lng, c.lat))
        return NULL;
    return kq_geo_coord_dyn(r->arena, c);
}

/* Grows a list of dynamic items in the arena. */
typedef struct dyn_list {
    const kq_dyn **items;
    uint32_t count, capacity;
} dyn_list;

static void list_push(kq_arena *arena, dyn_list *list, const kq_dyn *item)
{
    if (list->count == list->capacity) {
        uint32_t capacity = list->capacity ? list->capacity * 2 : 8;
        const kq_dyn **items = kq_arena_alloc(arena, capacity * sizeof *items);
        if (list->count)
            memcpy(items, list->items, list->count * sizeof *items);
        list->items = items;
        list->capacity = capacity;
    }
    list->items[list->count++] = item;
}

/*
 * Reads "(" item, item, ... ")" where each item is a coordinate (SHAPE_POINT),
 * a coordinate list (SHAPE_LINE) or a ring list (SHAPE_POLYGON). With
 * optional_parens a coordinate may also be wrapped, as MULTIPOINT allows.
 */
static const kq_dyn *read_list(wkt_reader *r, shape_kind item_kind, bool optional_parens)
{
    if (!accept(r, '('))
        return NULL;
    dyn_list list = {0};
    do {
        const kq_dyn *item;
        if (item_kind == SHAPE_POINT) {
            bool wrapped = optional_parens && accept(r, '(');
            item = read_coord(r);
            if (item && wrapped && !accept(r, ')'))
                return NULL;
        } else {
            item = read_list(r, item_kind == SHAPE_POLYGON ? SHAPE_LINE : SHAPE_POINT, false);
        }
        if (!item)
            return NULL;
        list_push(r->arena, &list, item);
    } while (accept(r, ','));
    if (!accept(r, ')'))
        return NULL;
    return kq_dyn_array(r->arena, list.items, list.count);
}

static const kq_dyn *read_geometry(wkt_reader *r, int depth);

static const kq_dyn *read_collection(wkt_reader *r, int depth)
{
    if (depth >= MAX_WKT_DEPTH || !accept(r, '('))
        return NULL;
    dyn_list list = {0};
    do {
        const kq_dyn *item = read_geometry(r, depth + 1);
        if (!item)
            return NULL;
        list_push(r->arena, &list, item);
    } while (accept(r, ','));
    if (!accept(r, ')'))
        return NULL;
    return kq_geo_collection_dyn(r->arena, kq_dyn_array(r->arena, list.items, list.count));
}

/* Checks a line or polygon shape with the same rules the other geo_* functions apply to their input. */
static const kq_dyn *checked(wkt_reader *r, const kq_dyn *shape, shape_kind kind)
{
    if (kind == SHAPE_LINE) {
        kq_geo_lines lines;
        return kq_geo_read_lines(r->arena, shape, &lines) ? shape : NULL;
    }
    if (kind == SHAPE_POLYGON) {
        kq_geo_polygons polygons;
        return kq_geo_read_polygons(r->arena, shape, &polygons) ? shape : NULL;
    }
    return shape;
}

static const kq_dyn *read_geometry(wkt_reader *r, int depth)
{
    char word[32];
    if (!read_keyword(r, word, sizeof word))
        return NULL;
    const kq_dyn *coordinates;
    if (strcmp(word, "POINT") == 0) {
        if (!accept(r, '(') || !(coordinates = read_coord(r)) || !accept(r, ')'))
            return NULL;
        return kq_geo_shape_dyn(r->arena, "Point", coordinates);
    }
    if (strcmp(word, "GEOMETRYCOLLECTION") == 0)
        return read_collection(r, depth);

    static const struct {
        const char *keyword, *type;
        shape_kind item, check;
        bool optional_parens;
    } shapes[] = {
        {"LINESTRING", "LineString", SHAPE_POINT, SHAPE_LINE, false},
        {"POLYGON", "Polygon", SHAPE_LINE, SHAPE_POLYGON, false},
        {"MULTIPOINT", "MultiPoint", SHAPE_POINT, SHAPE_POINT, true},
        {"MULTILINESTRING", "MultiLineString", SHAPE_LINE, SHAPE_LINE, false},
        {"MULTIPOLYGON", "MultiPolygon", SHAPE_POLYGON, SHAPE_POLYGON, false},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (strcmp(word, shapes[i].keyword) != 0)
            continue;
        coordinates = read_list(r, shapes[i].item, shapes[i].optional_parens);
        if (!coordinates)
            return NULL;
        return checked(r, kq_geo_shape_dyn(r->arena, shapes[i].type, coordinates), shapes[i].check);
    }
    return NULL;
}

kq_value kq_geo_from_wkt(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    kq_str text;
    if (args[0].null || !kq_dynfn_string_arg(&args[0], &text))
        return kq_null(KQ_DYNAMIC);
    wkt_reader r = {text.ptr, text.len, 0, ctx->arena};
    const kq_dyn *shape = read_geometry(&r, 0);
    skip_space(&r);
    if (!shape || r.pos != r.len)
        return kq_null(KQ_DYNAMIC);
    return kq_dynamic(shape);
}
