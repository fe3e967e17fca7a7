/*
 * Defender streaming API records, as Event Hub messages deliver them inside
 * {"records":[...]} and as storage blobs hold them one per line:
 * {"time":..., "tenantId":..., "category":"AdvancedHunting-<Table>", "properties":{<row>}}.
 * The table is the category without its prefix; the row is `properties`.
 */
#include "sources/source_internal.h"

#include <string.h>

#define STREAM_CATEGORY_PREFIX "AdvancedHunting-"

bool kq_defender_stream_is_record(const json_t *object)
{
    const json_t *category = json_object_get(object, "category");
    return json_is_string(category) &&
           strncmp(json_string_value(category), STREAM_CATEGORY_PREFIX, strlen(STREAM_CATEGORY_PREFIX)) == 0 &&
           json_is_object(json_object_get(object, "properties"));
}

static bool is_table_name(const char *name, size_t len)
{
    if (len == 0 || len > 256 || (name[0] >= '0' && name[0] <= '9'))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

void kq_defender_stream_load(kq_load_context *ctx, const json_t *record, const char *location)
{
    const json_t *category = json_object_get(record, "category");
    const char *table = json_string_value(category) + strlen(STREAM_CATEGORY_PREFIX);
    size_t table_len = json_string_length(category) - strlen(STREAM_CATEGORY_PREFIX);
    if (!is_table_name(table, table_len) || strlen(table) != table_len) {
        kq_file_report_skip(ctx->file, "streaming record with an invalid table in its category", location);
        return;
    }
    const json_t *properties = json_object_get(record, "properties");
    kq_table_builder *builder = kq_context_builder(ctx, table);
    kq_json_set_row(builder, properties);
    /* The envelope's tenant fills the Sentinel TenantId column when the row lacks it. */
    const json_t *tenant = json_object_get(record, "tenantId");
    if (json_is_string(tenant) && !json_object_get(properties, "TenantId"))
        kq_table_builder_set_json(builder, kq_table_builder_column(builder, "TenantId", 8), tenant);
    kq_context_row_loaded(ctx, builder);
}
