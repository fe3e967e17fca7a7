/*
 * Unit functions: convert_angle, convert_length, convert_mass and convert_volume,
 * which convert a value between the units Kusto names (the UnitsNet unit names,
 * such as 'Meter', 'Foot' or 'UsGallon'), and format_bytes, which writes a byte
 * count with a binary unit (1 KB = 1024 bytes), and estimate_data_size, which estimates
 * the bytes of a row's columns.
 *
 * Each unit is stored as its size in the quantity's base unit (degree, meter,
 * kilogram, cubic meter), so a conversion is value * from / to. The sizes are the
 * units' definitions; where Kusto is known to use a rounded size, a comment in the table notes it. Unit names match
 * case-sensitively, and an unknown unit gives null, as Kusto documents for
 * convert_mass.
 */
#include "functions/registry.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct unit {
    const char *name;
    double size; /* in the quantity's base unit */
} unit;

#define KQ_PI 3.14159265358979323846
#define INCH 0.0254
#define FOOT 0.3048
#define POUND 0.45359237
#define US_GALLON 3.785411784e-3
#define IMPERIAL_GALLON 4.54609e-3
#define CUBIC_FOOT (FOOT * FOOT * FOOT)
#define LIGHT_YEAR 9460730472580800.0
/* The parsec as the IAU defines it: 648000 / pi astronomical units. */
#define ASTRONOMICAL_UNIT 149597870700.0
#define PARSEC (648000.0 / KQ_PI * ASTRONOMICAL_UNIT)

/* Sizes in degrees. Tilt is not linear, so eval_convert_angle handles it. */
static const unit angle_units[] = {
    {"Arcminute", 1.0 / 60},         {"Arcsecond", 1.0 / 3600},      {"Centiradian", 1.8 / KQ_PI},
    {"Deciradian", 18.0 / KQ_PI},    {"Degree", 1},                  {"Gradian", 0.9},
    {"Microdegree", 1e-6},           {"Microradian", 1.8e-4 / KQ_PI}, {"Millidegree", 1e-3},
    {"Milliradian", 0.18 / KQ_PI},   {"Nanodegree", 1e-9},           {"Nanoradian", 1.8e-7 / KQ_PI},
    {"NatoMil", 360.0 / 6400},       {"Radian", 180.0 / KQ_PI},      {"Revolution", 360},
};

/* Sizes in meters. */
static const unit length_units[] = {
    {"Angstrom", 1e-10},
    {"AstronomicalUnit", ASTRONOMICAL_UNIT},
    {"Centimeter", 1e-2},
    {"Chain", 66 * FOOT},
    {"DataMile", 6000 * FOOT},
    {"Decameter", 10},
    {"Decimeter", 0.1},
    {"DtpPica", INCH / 6},
    {"DtpPoint", INCH / 72},
    {"Fathom", 6 * FOOT},
    {"Foot", FOOT},
    {"Hand", 4 * INCH},
    {"Hectometer", 100},
    {"Inch", INCH},
    {"KilolightYear", 1e3 * LIGHT_YEAR},
    {"Kilometer", 1e3},
    {"Kiloparsec", 1e3 * PARSEC},
    {"LightYear", LIGHT_YEAR},
    {"MegalightYear", 1e6 * LIGHT_YEAR},
    {"Megaparsec", 1e6 * PARSEC},
    {"Meter", 1},
    {"Microinch", 1e-6 * INCH},
    {"Micrometer", 1e-6},
    {"Mil", 1e-3 * INCH},
    {"Mile", 5280 * FOOT},
    {"Millimeter", 1e-3},
    {"Nanometer", 1e-9},
    {"NauticalMile", 1852},
    {"Parsec", PARSEC},
    /* A printer's point is 1/72.27 inch, and a pica is 12 points. */
    {"PrinterPica", 12 * INCH / 72.27},
    {"PrinterPoint", INCH / 72.27},
    {"Shackle", 90 * FOOT},
    /* NOTE: the IAU nominal solar radius. Kusto's unit library may use an older value. */
    {"SolarRadius", 6.957e8},
    {"Twip", INCH / 1440},
    {"UsSurveyFoot", 1200.0 / 3937},
    {"Yard", 3 * FOOT},
};

/* Sizes in kilograms. */
static const unit mass_units[] = {
    {"Centigram", 1e-5},
    {"Decagram", 1e-2},
    {"Decigram", 1e-4},
    {"EarthMass", 5.9722e24},
    {"Grain", POUND / 7000},
    {"Gram", 1e-3},
    {"Hectogram", 0.1},
    {"Kilogram", 1},
    {"Kilopound", 1e3 * POUND},
    {"Kilotonne", 1e6},
    {"LongHundredweight", 112 * POUND},
    {"LongTon", 2240 * POUND},
    {"Megapound", 1e6 * POUND},
    {"Megatonne", 1e9},
    {"Microgram", 1e-9},
    {"Milligram", 1e-6},
    {"Nanogram", 1e-12},
    {"Ounce", POUND / 16},
    {"Pound", POUND},
    {"ShortHundredweight", 100 * POUND},
    {"ShortTon", 2000 * POUND},
    /* One pound-force accelerates a slug by 1 ft/s^2: standard gravity / (1 ft) pounds. */
    {"Slug", POUND * 9.80665 / FOOT},
    /* NOTE: the IAU nominal solar mass. Kusto's unit library may use an older value. */
    {"SolarMass", 1.98847e30},
    {"Stone", 14 * POUND},
    {"Tonne", 1e3},
};

/* Sizes in cubic meters. */
static const unit volume_units[] = {
    /* Kusto's unit library rounds the acre-foot to 1 / 0.000810714 cubic meters (the exact
     * size is 1233.48183754752), and the Kusto docs' convert_volume example shows it. */
    {"AcreFoot", 1 / 0.000810714},
    {"AuTablespoon", 2e-5},
    {"BoardFoot", 144 * INCH * INCH * INCH},
    {"Centiliter", 1e-5},
    {"CubicCentimeter", 1e-6},
    {"CubicDecimeter", 1e-3},
    {"CubicFoot", CUBIC_FOOT},
    {"CubicHectometer", 1e6},
    {"CubicInch", INCH * INCH * INCH},
    {"CubicKilometer", 1e9},
    {"CubicMeter", 1},
    {"CubicMicrometer", 1e-18},
    {"CubicMile", 1609.344 * 1609.344 * 1609.344},
    {"CubicMillimeter", 1e-9},
    {"CubicYard", 27 * CUBIC_FOOT},
    {"Decaliter", 1e-2},
    {"DecausGallon", 10 * US_GALLON},
    {"Deciliter", 1e-4},
    {"DeciusGallon", 0.1 * US_GALLON},
    {"HectocubicFoot", 100 * CUBIC_FOOT},
    {"HectocubicMeter", 100},
    {"Hectoliter", 0.1},
    {"HectousGallon", 100 * US_GALLON},
    {"ImperialBeerBarrel", 36 * IMPERIAL_GALLON},
    {"ImperialGallon", IMPERIAL_GALLON},
    {"ImperialOunce", IMPERIAL_GALLON / 160},
    {"ImperialPint", IMPERIAL_GALLON / 8},
    {"KilocubicFoot", 1e3 * CUBIC_FOOT},
    {"KilocubicMeter", 1e3},
    {"KiloimperialGallon", 1e3 * IMPERIAL_GALLON},
    {"Kiloliter", 1},
    {"KilousGallon", 1e3 * US_GALLON},
    {"Liter", 1e-3},
    {"MegacubicFoot", 1e6 * CUBIC_FOOT},
    {"MegaimperialGallon", 1e6 * IMPERIAL_GALLON},
    {"Megaliter", 1e3},
    {"MegausGallon", 1e6 * US_GALLON},
    {"MetricCup", 2.5e-4},
    {"MetricTeaspoon", 5e-6},
    {"Microliter", 1e-9},
    {"Milliliter", 1e-6},
    {"OilBarrel", 42 * US_GALLON},
    {"UkTablespoon", 1.5e-5},
    {"UsBeerBarrel", 31 * US_GALLON},
    {"UsCustomaryCup", US_GALLON / 16},
    {"UsGallon", US_GALLON},
    {"UsLegalCup", 2.4e-4},
    {"UsOunce", US_GALLON / 128},
    {"UsPint", US_GALLON / 8},
    {"UsQuart", US_GALLON / 4},
    {"UsTablespoon", US_GALLON / 256},
    {"UsTeaspoon", US_GALLON / 768},
};

/* Returns the size of the named unit, or NAN when the table has no such unit. */
static double unit_size(const unit *units, size_t count, kq_str name)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(units[i].name) == name.len && memcmp(units[i].name, name.ptr, name.len) == 0)
            return units[i].size;
    return NAN;
}

static void bind_convert(const kq_type *args, int argc, kq_bind_result *result)
{
    if (!kq_type_is_numeric(args[0])) {
        snprintf(result->error, sizeof result->error, "the value to convert must be a number, not %s",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    for (int i = 1; i < 3; i++) {
        if (args[i] != KQ_STRING) {
            snprintf(result->error, sizeof result->error, "the unit names must be strings, not %s",
                     kq_type_name(args[i]));
            result->error_arg = i;
            return;
        }
    }
    result->type = KQ_REAL;
}

/* Converts args[0] from unit args[1] to unit args[2], or returns null for a null value or an unknown unit. */
static kq_value convert_linear(const kq_value *args, const unit *units, size_t count)
{
    if (args[0].null)
        return kq_null(KQ_REAL);
    double from = unit_size(units, count, args[1].u.s);
    double to = unit_size(units, count, args[2].u.s);
    if (isnan(from) || isnan(to))
        return kq_null(KQ_REAL);
    return kq_real(kq_value_as_real(&args[0]) * from / to);
}

static bool is_tilt(kq_str name) { return name.len == 4 && memcmp(name.ptr, "Tilt", 4) == 0; }

/* Tilt is the sine of the angle, so it converts through degrees with asin and sin. */
static kq_value eval_convert_angle(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    bool from_tilt = is_tilt(args[1].u.s), to_tilt = is_tilt(args[2].u.s);
    if (!from_tilt && !to_tilt)
        return convert_linear(args, angle_units, KQ_ARRAY_LEN(angle_units));
    if (args[0].null)
        return kq_null(KQ_REAL);
    double value = kq_value_as_real(&args[0]);
    double degrees = from_tilt ? asin(value) * 180.0 / KQ_PI
                               : value * unit_size(angle_units, KQ_ARRAY_LEN(angle_units), args[1].u.s);
    if (to_tilt)
        return isnan(degrees) ? kq_null(KQ_REAL) : kq_real(sin(degrees * KQ_PI / 180.0));
    double to = unit_size(angle_units, KQ_ARRAY_LEN(angle_units), args[2].u.s);
    return isnan(degrees) || isnan(to) ? kq_null(KQ_REAL) : kq_real(degrees / to);
}

static kq_value eval_convert_length(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return convert_linear(args, length_units, KQ_ARRAY_LEN(length_units));
}

static kq_value eval_convert_mass(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return convert_linear(args, mass_units, KQ_ARRAY_LEN(mass_units));
}

static kq_value eval_convert_volume(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return convert_linear(args, volume_units, KQ_ARRAY_LEN(volume_units));
}

/* ---- format_bytes ---- */

static const char *const byte_units[] = {"Bytes", "KB", "MB", "GB", "TB", "PB", "EB"};

static void bind_format_bytes(const kq_type *args, int argc, kq_bind_result *result)
{
    if (!kq_type_is_numeric(args[0]) || (argc > 1 && !kq_type_is_integer(args[1])) ||
        (argc > 2 && args[2] != KQ_STRING)) {
        snprintf(result->error, sizeof result->error,
                 "format_bytes takes a number, an optional integer precision and an optional unit string");
        result->error_arg = !kq_type_is_numeric(args[0]) ? 0 : (argc > 1 && !kq_type_is_integer(args[1])) ? 1 : 2;
        return;
    }
    result->type = KQ_STRING;
}

/* Returns the index of the unit named by text in byte_units, the largest unit whose
 * size the value reaches when text is empty, or -1 for an unknown unit. */
static int byte_unit_index(kq_str text, double size)
{
    if (text.len == 0) {
        int index = 0;
        while (index + 1 < (int)KQ_ARRAY_LEN(byte_units) && fabs(size) >= pow(1024.0, index + 1))
            index++;
        return index;
    }
    for (size_t i = 0; i < KQ_ARRAY_LEN(byte_units); i++)
        if (strlen(byte_units[i]) == text.len && strncasecmp(byte_units[i], text.ptr, text.len) == 0)
            return (int)i;
    return -1;
}

/*
 * format_bytes(size [, precision [, unit]]): the size in the unit, rounded to
 * precision digits after the point (default 0), then the unit name.
 * NOTE: trailing zeros after rounding are dropped ("1 KB" for 1024 at precision 2),
 * because the Kusto docs show no example that settles this.
 */
static kq_value eval_format_bytes(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    if (args[0].null || (argc > 1 && args[1].null))
        return kq_string("", 0);
    double size = kq_value_as_real(&args[0]);
    int64_t precision = argc > 1 ? args[1].u.l : 0;
    if (precision < 0 || precision > 15 || !isfinite(size))
        return kq_string("", 0);
    kq_str unit_name = argc > 2 && !args[2].null ? args[2].u.s : (kq_str){"", 0};
    int index = byte_unit_index(unit_name, size);
    if (index < 0)
        return kq_string("", 0);
    double scale = pow(10.0, (double)precision);
    double value = round(size / pow(1024.0, index) * scale) / scale;
    if (value == 0)
        value = 0; /* no "-0" */
    /* A double has at most 309 integer digits, so 309 + '.' + 15 decimals + a unit fit. */
    char text[400];
    int len = snprintf(text, sizeof text, "%.*f", (int)precision, value);
    if (len < 0 || (size_t)len + 8 >= sizeof text)
        return kq_string("", 0);
    if (precision > 0) {
        while (len > 0 && text[len - 1] == '0')
            len--;
        if (len > 0 && text[len - 1] == '.')
            len--;
    }
    len += snprintf(text + len, sizeof text - (size_t)len, " %s", byte_units[index]);
    return kq_string(kq_arena_strndup(ctx->arena, text, (size_t)len), (size_t)len);
}

/* ---- estimate_data_size ---- */

/* Bytes of one value: 8 for long, real, datetime and timespan (the Kusto docs' example counts
 * a long as 8), 4 for int, 1 for bool, 16 for guid, a string's UTF-8 bytes.
 * NOTE: a dynamic value counts its JSON text; Kusto's docs only say its internal form is larger. */
static int64_t value_size(const kq_value *v, kq_arena *arena)
{
    switch (v->type) {
    case KQ_STRING: return v->u.s.len;
    case KQ_INT: return 4;
    case KQ_BOOL: return 1;
    case KQ_GUID: return 16;
    case KQ_DECIMAL: return 16;
    case KQ_DYNAMIC: return v->null ? 0 : kq_value_to_str(arena, v).len;
    default: return 8;
    }
}

static kq_value eval_estimate_data_size(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int64_t total = 0;
    for (int i = 0; i < argc; i++)
        total += value_size(&args[i], ctx->arena);
    return kq_long(total);
}

static void bind_any_to_long(const kq_type *args, int argc, kq_bind_result *result) { result->type = KQ_LONG; }

#define FN(name, min, max, bind, eval, sig, doc) {name, min, max, bind, eval, sig, doc}

const kq_function kq_unit_functions[] = {
    FN("convert_angle", 3, 3, bind_convert, eval_convert_angle, "convert_angle(value, from, to) -> real",
       "Converts an angle between units such as 'Degree', 'Radian', 'Arcminute'; null for an unknown unit."),
    FN("convert_length", 3, 3, bind_convert, eval_convert_length, "convert_length(value, from, to) -> real",
       "Converts a length between units such as 'Meter', 'Foot', 'Mile'; null for an unknown unit."),
    FN("convert_mass", 3, 3, bind_convert, eval_convert_mass, "convert_mass(value, from, to) -> real",
       "Converts a mass between units such as 'Kilogram', 'Pound', 'Ounce'; null for an unknown unit."),
    FN("convert_volume", 3, 3, bind_convert, eval_convert_volume, "convert_volume(value, from, to) -> real",
       "Converts a volume between units such as 'Liter', 'CubicMeter', 'UsGallon'; null for an unknown unit."),
    FN("estimate_data_size", 1, -1, bind_any_to_long, eval_estimate_data_size, "estimate_data_size(* | column, ...) -> long",
       "Estimated bytes of the columns: 8 per long, real, datetime or timespan, 4 per int, a string's length."),
    FN("format_bytes", 1, 3, bind_format_bytes, eval_format_bytes, "format_bytes(size [, precision [, unit]]) -> string",
       "The size with a binary unit (Bytes, KB, ... EB; 1 KB = 1024 bytes), chosen by size unless given."),
};
const size_t kq_unit_function_count = KQ_ARRAY_LEN(kq_unit_functions);
