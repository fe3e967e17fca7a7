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

/*
 * Formats a real as .NET's shortest round-trip form does, which is what Kusto prints:
 * the fewest significant digits that read back to the same double, in fixed notation
 * when the decimal exponent is between -5 and 14, else as 1.5E+20 / 1E-07.
 */
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
    if (value == 0) {
        strcpy(out, signbit(value) ? "-0" : "0");
        return;
    }
    char scientific[40];
    int precision;
    for (precision = 1; precision <= 17; precision++) {
        snprintf(scientific, sizeof scientific, "%.*e", precision - 1, value);
        if (strtod(scientific, NULL) == value)
            break;
    }
    /* scientific is "-d.ddde+XX": split it into sign, digits and exponent. */
    const char *p = scientific;
    bool negative = *p == '-';
    if (negative)
        p++;
    char digits[24];
    int ndigits = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && ndigits < 23)
            digits[ndigits++] = *p;
    while (ndigits > 1 && digits[ndigits - 1] == '0')
        ndigits--;
    int exponent = *p == 'e' ? atoi(p + 1) : 0;
    char *o = out;
    if (negative)
        *o++ = '-';
    if (exponent >= 15 || exponent < -5) {
        *o++ = digits[0];
        if (ndigits > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)(ndigits - 1));
            o += ndigits - 1;
        }
        snprintf(o, (size_t)(40 - (o - out)), "E%c%02d", exponent < 0 ? '-' : '+', exponent < 0 ? -exponent : exponent);
        return;
    }
    if (exponent < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > exponent; i--)
            *o++ = '0';
        memcpy(o, digits, (size_t)ndigits);
        o += ndigits;
    } else {
        for (int i = 0; i <= exponent; i++)
            *o++ = i < ndigits ? digits[i] : '0';
        if (ndigits > exponent + 1) {
            *o++ = '.';
            memcpy(o, digits + exponent + 1, (size_t)(ndigits - exponent - 1));
            o += ndigits - exponent - 1;
        }
    }
    *o = '\0';
}
