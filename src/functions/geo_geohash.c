/*
 * Geohash functions. A geohash interleaves longitude and latitude bisection
 * bits, longitude first, five bits per base-32 character. Kusto accepts 1 to
 * 18 characters. An invalid geohash gives null, and an invalid point gives an
 * empty geohash.
 */
#include "functions/geo_internal.h"
#include "functions/dynamic_internal.h"

#include <string.h>

#define MAX_GEOHASH_LENGTH 18

static const char base32[] = "0123456789bcdefghjkmnpqrstuvwxyz";

typedef struct geohash_cell {
    double min_lng, max_lng, min_lat, max_lat;
    int length;
} geohash_cell;

static void encode(double lng, double lat, int length, char *out)
{
    double lng_range[2] = {-180, 180}, lat_range[2] = {-90, 90};
    bool even = true;
    for (int i = 0; i < length; i++) {
        int value = 0;
        for (int bit = 0; bit < 5; bit++) {
            double *range = even ? lng_range : lat_range;
            double x = even ? lng : lat, mid = (range[0] + range[1]) / 2;
            if (x >= mid) {
                value = value * 2 + 1;
                range[0] = mid;
            } else {
                value *= 2;
                range[1] = mid;
            }
            even = !even;
        }
        out[i] = base32[value];
    }
    out[length] = '\0';
}

static bool decode(kq_str text, geohash_cell *cell)
{
    if (text.len < 1 || text.len > MAX_GEOHASH_LENGTH)
        return false;
    double lng_range[2] = {-180, 180}, lat_range[2] = {-90, 90};
    bool even = true;
    for (uint32_t i = 0; i < text.len; i++) {
        const char *at = text.ptr[i] ? strchr(base32, text.ptr[i]) : NULL;
        if (!at)
            return false;
        int value = (int)(at - base32);
        for (int bit = 4; bit >= 0; bit--) {
            double *range = even ? lng_range : lat_range;
            double mid = (range[0] + range[1]) / 2;
            range[(value >> bit) & 1 ? 0 : 1] = mid;
            even = !even;
        }
    }
    cell->min_lng = lng_range[0];
    cell->max_lng = lng_range[1];
    cell->min_lat = lat_range[0];
    cell->max_lat = lat_range[1];
    cell->length = (int)text.len;
    return true;
}

static bool geohash_arg(const kq_value *v, geohash_cell *cell)
{
    kq_str text;
    return !v->null && kq_dynfn_string_arg(v, &text) && decode(text, cell);
}

kq_value kq_geo_point_to_geohash(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    double lng, lat;
    int64_t accuracy = 5;
    if (argc > 2 && !kq_dynfn_int_arg(&args[2], &accuracy))
        return kq_string("", 0);
    if (!kq_geo_real_arg(ctx, &args[0], &lng) || !kq_geo_real_arg(ctx, &args[1], &lat) ||
        !kq_geo_coord_valid(lng, lat) || accuracy < 1 || accuracy > MAX_GEOHASH_LENGTH)
        return kq_string("", 0);
    char *text = kq_arena_alloc(ctx->arena, MAX_GEOHASH_LENGTH + 1);
    encode(lng, lat, (int)accuracy, text);
    return kq_string(text, (size_t)accuracy);
}

kq_value kq_geo_geohash_to_central_point(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    geohash_cell cell;
    if (!geohash_arg(&args[0], &cell))
        return kq_null(KQ_DYNAMIC);
    kq_geo_coord center = {(cell.min_lng + cell.max_lng) / 2, (cell.min_lat + cell.max_lat) / 2};
    return kq_dynamic(kq_geo_shape_dyn(ctx->arena, "Point", kq_geo_coord_dyn(ctx->arena, center)));
}

kq_value kq_geo_geohash_to_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    geohash_cell cell;
    if (!geohash_arg(&args[0], &cell))
        return kq_null(KQ_DYNAMIC);
    const kq_geo_coord corners[4] = {
        {cell.min_lng, cell.min_lat},
        {cell.max_lng, cell.min_lat},
        {cell.max_lng, cell.max_lat},
        {cell.min_lng, cell.max_lat},
    };
    const kq_dyn *ring = kq_geo_path_dyn(ctx->arena, corners, 4, true);
    return kq_dynamic(kq_geo_shape_dyn(ctx->arena, "Polygon", kq_dyn_array(ctx->arena, &ring, 1)));
}

/*
 * The eight neighbors in the order Kusto lists them, as (east, north) steps:
 * southwest, northwest, southeast, north, west, northeast, east, south.
 * Cells past a pole are left out, and longitude wraps at the antimeridian.
 */
kq_value kq_geo_geohash_neighbors(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    static const int steps[8][2] = {{-1, -1}, {-1, 1}, {1, -1}, {0, 1}, {-1, 0}, {1, 1}, {1, 0}, {0, -1}};
    geohash_cell cell;
    if (!geohash_arg(&args[0], &cell))
        return kq_null(KQ_DYNAMIC);
    double width = cell.max_lng - cell.min_lng, height = cell.max_lat - cell.min_lat;
    double center_lng = (cell.min_lng + cell.max_lng) / 2, center_lat = (cell.min_lat + cell.max_lat) / 2;
    kq_dyn *out = kq_dynfn_new_array(ctx->arena, 8);
    uint32_t count = 0;
    for (int i = 0; i < 8; i++) {
        double lat = center_lat + steps[i][1] * height;
        double lng = center_lng + steps[i][0] * width;
        if (lat < -90 || lat > 90)
            continue;
        if (lng > 180)
            lng -= 360;
        else if (lng < -180)
            lng += 360;
        char text[MAX_GEOHASH_LENGTH + 1];
        encode(lng, lat, cell.length, text);
        out->u.items[count++] = kq_geo_string_dyn(ctx->arena, text);
    }
    out->count = count;
    return kq_dynamic(out);
}
