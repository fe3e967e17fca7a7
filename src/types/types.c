/* Type names and the numeric text forms of KQL scalars. */
#include "types/types.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[KQ_TYPE_COUNT] = {
    [KQ_TYPE_NONE] = "null", [KQ_BOOL] = "bool",         [KQ_INT] = "int",
    [KQ_LONG] = "long",      [KQ_REAL] = "real",         [KQ_DECIMAL] = "decimal",
    [KQ_STRING] = "string",  [KQ_DATETIME] = "datetime", [KQ_TIMESPAN] = "timespan",
    [KQ_GUID] = "guid",      [KQ_DYNAMIC] = "dynamic",
};

const char *kq_type_name(kq_type type)
{
    return type < KQ_TYPE_COUNT ? type_names[type] : "?";
}

static const struct {
    const char *name;
    kq_type type;
} type_aliases[] = {
    {"bool", KQ_BOOL},         {"boolean", KQ_BOOL},       {"int", KQ_INT},
    {"int32", KQ_INT},         {"long", KQ_LONG},          {"int64", KQ_LONG},
    {"real", KQ_REAL},         {"double", KQ_REAL},        {"decimal", KQ_DECIMAL},
    {"string", KQ_STRING},     {"datetime", KQ_DATETIME},  {"date", KQ_DATETIME},
    {"timespan", KQ_TIMESPAN}, {"time", KQ_TIMESPAN},      {"guid", KQ_GUID},
    {"uniqueid", KQ_GUID},     {"dynamic", KQ_DYNAMIC},
};

kq_type kq_type_from_name(const char *name, size_t len)
{
    for (size_t i = 0; i < KQ_ARRAY_LEN(type_aliases); i++)
        if (strlen(type_aliases[i].name) == len && memcmp(type_aliases[i].name, name, len) == 0)
            return type_aliases[i].type;
    return KQ_TYPE_NONE;
}

bool kq_type_is_numeric(kq_type type)
{
    return type == KQ_INT || type == KQ_LONG || type == KQ_REAL || type == KQ_DECIMAL;
}

bool kq_type_is_integer(kq_type type)
{
    return type == KQ_INT || type == KQ_LONG;
}

void kq_real_format(double value, char out[40])
{
    if (isnan(value)) {
        strcpy(out, "NaN");
        return;
    }
    if (isinf(value)) {
        strcpy(out, value > 0 ? "Infinity" : "-Infinity");
        return;
    }
    /* Shortest form that reads back to the same double. */
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(out, 40, "%.*g", precision, value);
        if (strtod(out, NULL) == value)
            break;
    }
    /* Kusto writes 1E+20 style exponents with a capital E. */
    char *e = strchr(out, 'e');
    if (e)
        *e = 'E';
}
