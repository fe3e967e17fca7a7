/*
 * IPv4 and IPv6 address functions: parsing, comparison under a prefix mask,
 * range checks, formatting and searching for addresses in text.
 *
 * Address text may carry a prefix in IP-prefix notation ("192.168.1.1/24").
 * Functions that take an explicit prefix argument use the smaller of the two.
 * Unparsable input gives null (long, bool) or an empty string, as in Kusto.
 */
#include "functions/registry.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>

/* An IPv6 network: address bytes in network order and a prefix of 0..128 bits. */
typedef struct ip6_net {
    uint8_t bytes[16];
    int prefix;
} ip6_net;

/* ---- parsing ---- */

/*
 * Reads a dotted-quad IPv4 address at the start of text: four decimal octets
 * of 1 to 3 digits, each at most 255. Returns the number of bytes consumed,
 * or 0 when text does not start with an address.
 */
static size_t read_ipv4(const char *text, size_t len, uint32_t *address)
{
    size_t pos = 0;
    uint32_t value = 0;
    for (int octet = 0; octet < 4; octet++) {
        if (octet > 0) {
            if (pos >= len || text[pos] != '.')
                return 0;
            pos++;
        }
        int digits = 0, number = 0;
        while (pos < len && text[pos] >= '0' && text[pos] <= '9' && digits < 3) {
            number = number * 10 + (text[pos] - '0');
            pos++;
            digits++;
        }
        if (digits == 0 || number > 255)
            return 0;
        value = (value << 8) | (uint32_t)number;
    }
    *address = value;
    return pos;
}

/* Parses the "/n" suffix of IP-prefix notation, 0 <= n <= max_prefix, that ends the text. */
static bool read_prefix_suffix(const char *text, size_t len, int max_prefix, int *prefix)
{
    if (len < 2 || len > 4 || text[0] != '/')
        return false;
    int value = 0;
    for (size_t i = 1; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        value = value * 10 + (text[i] - '0');
    }
    if (value > max_prefix)
        return false;
    *prefix = value;
    return true;
}

static uint32_t ipv4_mask(int prefix)
{
    return prefix <= 0 ? 0 : (uint32_t)(UINT64_C(0xFFFFFFFF) << (32 - prefix));
}

/* Parses "a.b.c.d" or "a.b.c.d/n"; the address comes back masked by its own prefix. */
static bool parse_ipv4_net(kq_str s, uint32_t *address, int *prefix)
{
    size_t used = read_ipv4(s.ptr, s.len, address);
    if (used == 0)
        return false;
    *prefix = 32;
    if (used < s.len && !read_prefix_suffix(s.ptr + used, s.len - used, 32, prefix))
        return false;
    *address &= ipv4_mask(*prefix);
    return true;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Parses IPv6 text (RFC 4291 section 2.2: hex groups, one "::", an optional
 * dotted IPv4 tail) into 16 bytes. Sets *dotted when the text ends in an IPv4
 * address. Returns false on any other form.
 */
static bool read_ipv6(const char *text, size_t len, uint8_t bytes[16], bool *dotted)
{
    uint16_t head[8], tail[8];
    int nhead = 0, ntail = 0;
    bool gap = false;
    size_t pos = 0;
    *dotted = false;
    if (len >= 2 && text[0] == ':' && text[1] == ':') {
        gap = true;
        pos = 2;
    } else if (len >= 1 && text[0] == ':') {
        return false;
    }
    while (pos < len) {
        uint32_t v4;
        size_t v4_used = read_ipv4(text + pos, len - pos, &v4);
        if (v4_used > 0 && pos + v4_used == len) {
            uint16_t *groups = gap ? tail : head;
            int *count = gap ? &ntail : &nhead;
            if (nhead + ntail + 2 > 8)
                return false;
            groups[(*count)++] = (uint16_t)(v4 >> 16);
            groups[(*count)++] = (uint16_t)(v4 & 0xFFFF);
            *dotted = true;
            pos = len;
            break;
        }
        int digits = 0;
        uint32_t group = 0;
        while (pos < len && digits < 5 && hex_digit(text[pos]) >= 0) {
            group = group * 16 + (uint32_t)hex_digit(text[pos]);
            pos++;
            digits++;
        }
        if (digits == 0 || digits > 4 || nhead + ntail >= 8)
            return false;
        if (gap)
            tail[ntail++] = (uint16_t)group;
        else
            head[nhead++] = (uint16_t)group;
        if (pos == len)
            break;
        if (text[pos] != ':')
            return false;
        pos++;
        if (pos < len && text[pos] == ':') {
            if (gap)
                return false;
            gap = true;
            pos++;
        } else if (pos == len) {
            return false; /* a single trailing ':' */
        }
    }
    int total = nhead + ntail;
    if ((gap && total > 7) || (!gap && total != 8))
        return false;
    memset(bytes, 0, 16);
    for (int i = 0; i < nhead; i++) {
        bytes[2 * i] = (uint8_t)(head[i] >> 8);
        bytes[2 * i + 1] = (uint8_t)head[i];
    }
    for (int i = 0; i < ntail; i++) {
        int at = 8 - ntail + i;
        bytes[2 * at] = (uint8_t)(tail[i] >> 8);
        bytes[2 * at + 1] = (uint8_t)tail[i];
    }
    return true;
}

static void mask_ipv6(uint8_t bytes[16], int prefix)
{
    for (int i = 0; i < 16; i++) {
        int bits = prefix - 8 * i;
        if (bits >= 8)
            continue;
        bytes[i] = bits <= 0 ? 0 : (uint8_t)(bytes[i] & (0xFF << (8 - bits)));
    }
}

static void ipv4_to_mapped(uint32_t address, uint8_t bytes[16])
{
    memset(bytes, 0, 16);
    bytes[10] = bytes[11] = 0xFF;
    for (int i = 0; i < 4; i++)
        bytes[12 + i] = (uint8_t)(address >> (24 - 8 * i));
}

/*
 * Parses an IPv6 or IPv4 network as the ipv6_* functions read it. IPv4 text,
 * plain or as the dotted tail of "::a.b.c.d", becomes the IPv4-mapped address
 * ::ffff:a.b.c.d, and its "/n" counts bits of the IPv4 part (prefix 96 + n).
 * The address comes back masked by its prefix.
 */
static bool parse_ipv6_net(kq_str s, ip6_net *net)
{
    const char *slash = memchr(s.ptr, '/', s.len);
    size_t address_len = slash ? (size_t)(slash - s.ptr) : s.len;
    uint32_t v4;
    bool dotted;
    if (address_len > 0 && read_ipv4(s.ptr, address_len, &v4) == address_len) {
        ipv4_to_mapped(v4, net->bytes);
        dotted = true;
    } else if (address_len == 0 || !read_ipv6(s.ptr, address_len, net->bytes, &dotted)) {
        return false;
    }
    if (dotted) {
        static const uint8_t zeros[12];
        if (memcmp(net->bytes, zeros, 12) == 0)
            net->bytes[10] = net->bytes[11] = 0xFF;
    }
    net->prefix = 128;
    if (slash) {
        int prefix;
        if (!read_prefix_suffix(slash, s.len - address_len, dotted ? 32 : 128, &prefix))
            return false;
        net->prefix = dotted ? 96 + prefix : prefix;
    }
    mask_ipv6(net->bytes, net->prefix);
    return true;
}

/* ---- argument helpers ---- */

static kq_str text_arg(kq_eval_ctx *ctx, const kq_value *v)
{
    return kq_value_to_str(ctx->arena, v);
}

/* Reads an optional prefix argument; false when it is null or outside 0..max_prefix. */
static bool prefix_arg(const kq_value *args, int argc, int index, int max_prefix, int *prefix)
{
    *prefix = max_prefix;
    if (index >= argc)
        return true;
    const kq_value *v = &args[index];
    if (v->null)
        return false;
    int64_t value;
    if (v->type == KQ_INT || v->type == KQ_LONG)
        value = v->u.l;
    else if ((v->type == KQ_REAL || v->type == KQ_DECIMAL) && v->u.r >= -9.2e18 && v->u.r <= 9.2e18)
        value = (int64_t)v->u.r;
    else if (v->type == KQ_DYNAMIC && v->u.d && v->u.d->kind == KQ_DYN_LONG)
        value = v->u.d->u.l;
    else
        return false;
    if (value < 0 || value > max_prefix)
        return false;
    *prefix = (int)value;
    return true;
}

static int min_int(int a, int b)
{
    return a < b ? a : b;
}

/*
 * Checks argument types against spec: 's' string, 'i' integer, 'n' string or
 * integer, 'a' string or dynamic array. Dynamic and untyped-null arguments
 * pass every check. Arguments past the spec use its last letter.
 */
static void bind_spec(const kq_type *args, int argc, const char *spec, kq_type type, kq_bind_result *result)
{
    size_t spec_len = strlen(spec);
    for (int i = 0; i < argc; i++) {
        char want = spec[(size_t)i < spec_len ? (size_t)i : spec_len - 1];
        kq_type t = args[i];
        bool ok = t == KQ_DYNAMIC || t == KQ_TYPE_NONE;
        if (want == 's' || want == 'a' || want == 'n')
            ok = ok || t == KQ_STRING;
        if (want == 'i' || want == 'n')
            ok = ok || kq_type_is_numeric(t);
        if (!ok) {
            const char *expected = "a string";
            if (want == 'i')
                expected = "an integer";
            else if (want == 'n')
                expected = "a string or a long";
            snprintf(result->error, sizeof result->error, "argument %d must be %s, not %s", i + 1, expected,
                     kq_type_name(t));
            result->error_arg = i;
            return;
        }
    }
    result->type = type;
}

static void bind_s_bool(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "s", KQ_BOOL, r); }
static void bind_s_long(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "s", KQ_LONG, r); }
static void bind_s_string(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "s", KQ_STRING, r); }
static void bind_si_long(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "si", KQ_LONG, r); }
static void bind_si_string(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "si", KQ_STRING, r); }
static void bind_ni_string(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "ni", KQ_STRING, r); }
static void bind_ss_bool(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "ss", KQ_BOOL, r); }
static void bind_ssi_long(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "ssi", KQ_LONG, r); }
static void bind_ssi_bool(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "ssi", KQ_BOOL, r); }
static void bind_sa_bool(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "sa", KQ_BOOL, r); }
static void bind_ss_dynamic(const kq_type *a, int n, kq_bind_result *r) { bind_spec(a, n, "ss", KQ_DYNAMIC, r); }

/*
 * Calls visit on every string listed by args[first..]: a string argument, or
 * each string element of a dynamic array. Non-string elements are passed as
 * empty strings so that the caller can treat them as invalid. Stops early
 * when visit returns true, and returns that result.
 */
typedef bool (*list_visitor)(kq_str item, void *state);

static bool visit_string_list(kq_eval_ctx *ctx, const kq_value *args, int argc, int first,
                              list_visitor visit, void *state)
{
    for (int i = first; i < argc; i++) {
        const kq_value *v = &args[i];
        if (v->type == KQ_DYNAMIC && v->u.d && v->u.d->kind == KQ_DYN_ARRAY) {
            for (uint32_t k = 0; k < v->u.d->count; k++) {
                const kq_dyn *item = v->u.d->u.items[k];
                kq_str text = {"", 0};
                if (item && item->kind == KQ_DYN_STRING)
                    text = item->u.s;
                if (visit(text, state))
                    return true;
            }
            continue;
        }
        if (visit(text_arg(ctx, v), state))
            return true;
    }
    return false;
}

/* ---- IPv4 functions ---- */

static kq_value eval_parse_ipv4(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint32_t address;
    int prefix;
    if (!parse_ipv4_net(text_arg(ctx, &args[0]), &address, &prefix))
        return kq_null(KQ_LONG);
    return kq_long(address);
}

static kq_value eval_parse_ipv4_mask(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint32_t address;
    int prefix, mask;
    if (!parse_ipv4_net(text_arg(ctx, &args[0]), &address, &prefix) || !prefix_arg(args, argc, 1, 32, &mask))
        return kq_null(KQ_LONG);
    return kq_long(address & ipv4_mask(mask));
}

static kq_value eval_ipv4_netmask_suffix(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint32_t address;
    int prefix;
    if (!parse_ipv4_net(text_arg(ctx, &args[0]), &address, &prefix))
        return kq_null(KQ_LONG);
    return kq_long(prefix);
}

/* Private ranges of RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16. */
static kq_value eval_ipv4_is_private(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint32_t a;
    int prefix;
    if (!parse_ipv4_net(text_arg(ctx, &args[0]), &a, &prefix))
        return kq_null(KQ_BOOL);
    bool is_private = (a & 0xFF000000u) == 0x0A000000u || (a & 0xFFF00000u) == 0xAC100000u ||
                      (a & 0xFFFF0000u) == 0xC0A80000u;
    return kq_bool(is_private);
}

/* Compares two IPv4 networks under the smallest of their prefixes and args[2]; false on invalid input. */
static bool compare_ipv4_args(kq_eval_ctx *ctx, const kq_value *args, int argc, int *order)
{
    uint32_t a, b;
    int prefix_a, prefix_b, prefix;
    if (!parse_ipv4_net(text_arg(ctx, &args[0]), &a, &prefix_a) ||
        !parse_ipv4_net(text_arg(ctx, &args[1]), &b, &prefix_b) || !prefix_arg(args, argc, 2, 32, &prefix))
        return false;
    uint32_t mask = ipv4_mask(min_int(prefix, min_int(prefix_a, prefix_b)));
    a &= mask;
    b &= mask;
    *order = (a > b) - (a < b);
    return true;
}

static kq_value eval_ipv4_compare(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int order;
    return compare_ipv4_args(ctx, args, argc, &order) ? kq_long(order) : kq_null(KQ_LONG);
}

static kq_value eval_ipv4_is_match(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int order;
    return compare_ipv4_args(ctx, args, argc, &order) ? kq_bool(order == 0) : kq_null(KQ_BOOL);
}

static kq_value eval_ipv4_is_in_range(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint32_t address, range;
    int prefix, range_prefix;
    if (!parse_ipv4_net(text_arg(ctx, &args[0]), &address, &prefix) ||
        !parse_ipv4_net(text_arg(ctx, &args[1]), &range, &range_prefix))
        return kq_null(KQ_BOOL);
    return kq_bool((address & ipv4_mask(range_prefix)) == range);
}

typedef struct range_search {
    bool ipv6;
    uint32_t v4;
    ip6_net v6;
    bool found, invalid;
} range_search;

static bool visit_range(kq_str item, void *state)
{
    range_search *search = state;
    if (search->ipv6) {
        ip6_net range, address = search->v6;
        if (!parse_ipv6_net(item, &range)) {
            search->invalid = true;
            return false;
        }
        mask_ipv6(address.bytes, range.prefix);
        search->found = memcmp(address.bytes, range.bytes, 16) == 0;
        return search->found;
    }
    uint32_t range;
    int prefix;
    if (!parse_ipv4_net(item, &range, &prefix)) {
        search->invalid = true;
        return false;
    }
    search->found = (search->v4 & ipv4_mask(prefix)) == range;
    return search->found;
}

/*
 * ipv4_is_in_any_range / ipv6_is_in_any_range: true when some range contains the
 * address. Otherwise null when the address or any range does not parse, else false.
 */
static kq_value is_in_any_range(kq_eval_ctx *ctx, const kq_value *args, int argc, bool ipv6)
{
    range_search search = {.ipv6 = ipv6};
    int prefix;
    bool ok = ipv6 ? parse_ipv6_net(text_arg(ctx, &args[0]), &search.v6)
                   : parse_ipv4_net(text_arg(ctx, &args[0]), &search.v4, &prefix);
    if (!ok)
        return kq_null(KQ_BOOL);
    if (visit_string_list(ctx, args, argc, 1, visit_range, &search))
        return kq_bool(true);
    return search.invalid ? kq_null(KQ_BOOL) : kq_bool(false);
}

static kq_value eval_ipv4_is_in_any_range(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return is_in_any_range(ctx, args, argc, false);
}

/* Reads format_ipv4's first argument: IPv4 text or a long in 0..2^32-1. */
static bool ipv4_from_value(kq_eval_ctx *ctx, const kq_value *v, uint32_t *address, int *prefix)
{
    if (v->null)
        return false;
    int64_t number;
    if (v->type == KQ_INT || v->type == KQ_LONG)
        number = v->u.l;
    else if (v->type == KQ_DYNAMIC && v->u.d && v->u.d->kind == KQ_DYN_LONG)
        number = v->u.d->u.l;
    else
        return parse_ipv4_net(text_arg(ctx, v), address, prefix);
    if (number < 0 || number > INT64_C(0xFFFFFFFF))
        return false;
    *address = (uint32_t)number;
    *prefix = 32;
    return true;
}

static kq_value format_ipv4_common(kq_eval_ctx *ctx, const kq_value *args, int argc, bool with_mask)
{
    uint32_t a;
    int prefix, mask;
    if (!ipv4_from_value(ctx, &args[0], &a, &prefix) || !prefix_arg(args, argc, 1, 32, &mask))
        return kq_null(KQ_STRING);
    prefix = min_int(prefix, mask);
    a &= ipv4_mask(prefix);
    char *text = kq_arena_alloc(ctx->arena, 24);
    int n = snprintf(text, 24, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF);
    if (with_mask)
        n += snprintf(text + n, 24 - (size_t)n, "/%d", prefix);
    return kq_string(text, (size_t)n);
}

static kq_value eval_format_ipv4(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return format_ipv4_common(ctx, args, argc, false);
}

static kq_value eval_format_ipv4_mask(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return format_ipv4_common(ctx, args, argc, true);
}

/* Splits [start, end] into the fewest CIDR blocks, lowest first (at most 62 blocks for 32-bit ranges). */
static kq_value eval_ipv4_range_to_cidr_list(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint32_t first, last;
    int prefix;
    if (!parse_ipv4_net(text_arg(ctx, &args[0]), &first, &prefix) ||
        !parse_ipv4_net(text_arg(ctx, &args[1]), &last, &prefix) || first > last)
        return kq_null(KQ_DYNAMIC);
    const kq_dyn *items[64];
    uint32_t count = 0;
    uint64_t start = first;
    while (start <= last && count < 64) {
        int bits = 0; /* host bits of the next block */
        while (bits < 32 && (start & ((UINT64_C(2) << bits) - 1)) == 0 &&
               start + (UINT64_C(2) << bits) - 1 <= last)
            bits++;
        char text[24];
        snprintf(text, sizeof text, "%u.%u.%u.%u/%d", (unsigned)(start >> 24), (unsigned)(start >> 16) & 0xFF,
                 (unsigned)(start >> 8) & 0xFF, (unsigned)start & 0xFF, 32 - bits);
        kq_value s = kq_string(kq_arena_strdup(ctx->arena, text), strlen(text));
        items[count++] = kq_dyn_from_value(ctx->arena, &s);
        start += UINT64_C(1) << bits;
    }
    const kq_dyn **copy = kq_arena_alloc(ctx->arena, count * sizeof *copy + 1);
    memcpy(copy, items, count * sizeof *copy);
    return kq_dynamic(kq_dyn_array(ctx->arena, copy, count));
}

/* ---- IPv4 addresses inside text ---- */

/*
 * Calls visit on each delimited IPv4 address in text: the bytes on either
 * side are neither letters nor digits, and no '.' joins it to more digits. Stops when visit returns true and returns that result.
 */
typedef bool (*address_visitor)(const char *text, size_t len, uint32_t address, void *state);

static bool scan_ipv4_addresses(kq_str source, address_visitor visit, void *state)
{
    const char *s = source.ptr;
    size_t n = source.len;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            continue;
        if (i > 0 && (kq_is_alnum((unsigned char)s[i - 1]) || s[i - 1] == '.'))
            continue;
        uint32_t address;
        size_t used = read_ipv4(s + i, n - i, &address);
        size_t end = i + used;
        bool delimited = used > 0 && (end == n || (!kq_is_alnum((unsigned char)s[end]) &&
                                                   !(s[end] == '.' && end + 1 < n && s[end + 1] >= '0' &&
                                                     s[end + 1] <= '9')));
        if (delimited && visit(s + i, used, address, state))
            return true;
        /* Skip the rest of this run of digits and dots: it cannot start another address. */
        while (i + 1 < n && ((s[i + 1] >= '0' && s[i + 1] <= '9') || s[i + 1] == '.'))
            i++;
    }
    return false;
}

static bool address_equals(const char *text, size_t len, uint32_t address, void *state)
{
    return address == *(const uint32_t *)state;
}

static bool address_has_prefix(const char *text, size_t len, uint32_t address, void *state)
{
    const kq_str *prefix = state;
    return len >= prefix->len && memcmp(text, prefix->ptr, prefix->len) == 0;
}

/* A search prefix is a whole IPv4 address or 1 to 3 octets each followed by '.', such as "192.168.". */
static bool is_ipv4_prefix(kq_str p)
{
    uint32_t address;
    if (p.len > 0 && read_ipv4(p.ptr, p.len, &address) == p.len)
        return true;
    size_t pos = 0;
    int octets = 0;
    while (pos < p.len) {
        int digits = 0, number = 0;
        while (pos < p.len && p.ptr[pos] >= '0' && p.ptr[pos] <= '9' && digits < 4) {
            number = number * 10 + (p.ptr[pos] - '0');
            pos++;
            digits++;
        }
        if (digits == 0 || digits > 3 || number > 255 || pos >= p.len || p.ptr[pos] != '.')
            return false;
        pos++;
        octets++;
    }
    return octets >= 1 && octets <= 3;
}

typedef struct text_search {
    kq_str source;
    bool prefix;
} text_search;

static bool visit_search_item(kq_str item, void *state)
{
    text_search *search = state;
    if (search->prefix) {
        if (!is_ipv4_prefix(item))
            return false;
        return scan_ipv4_addresses(search->source, address_has_prefix, &item);
    }
    uint32_t address;
    if (item.len == 0 || read_ipv4(item.ptr, item.len, &address) != item.len)
        return false;
    return scan_ipv4_addresses(search->source, address_equals, &address);
}

static kq_value has_ipv4_common(kq_eval_ctx *ctx, const kq_value *args, int argc, bool prefix)
{
    text_search search = {text_arg(ctx, &args[0]), prefix};
    return kq_bool(visit_string_list(ctx, args, argc, 1, visit_search_item, &search));
}

static kq_value eval_has_ipv4(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return has_ipv4_common(ctx, args, argc, false);
}

static kq_value eval_has_ipv4_prefix(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return has_ipv4_common(ctx, args, argc, true);
}

/* ---- IPv6 functions ---- */

static int compare_bytes(const uint8_t a[16], const uint8_t b[16])
{
    int c = memcmp(a, b, 16);
    return (c > 0) - (c < 0);
}

/* Compares two networks under the smallest of their prefixes and args[2]; false on invalid input. */
static bool compare_ipv6_args(kq_eval_ctx *ctx, const kq_value *args, int argc, int *order)
{
    ip6_net a, b;
    int prefix;
    if (!parse_ipv6_net(text_arg(ctx, &args[0]), &a) || !parse_ipv6_net(text_arg(ctx, &args[1]), &b) ||
        !prefix_arg(args, argc, 2, 128, &prefix))
        return false;
    prefix = min_int(prefix, min_int(a.prefix, b.prefix));
    mask_ipv6(a.bytes, prefix);
    mask_ipv6(b.bytes, prefix);
    *order = compare_bytes(a.bytes, b.bytes);
    return true;
}

static kq_value eval_ipv6_compare(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int order;
    return compare_ipv6_args(ctx, args, argc, &order) ? kq_long(order) : kq_null(KQ_LONG);
}

static kq_value eval_ipv6_is_match(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int order;
    return compare_ipv6_args(ctx, args, argc, &order) ? kq_bool(order == 0) : kq_null(KQ_BOOL);
}

static kq_value eval_ipv6_is_in_range(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    ip6_net address, range;
    if (!parse_ipv6_net(text_arg(ctx, &args[0]), &address) || !parse_ipv6_net(text_arg(ctx, &args[1]), &range))
        return kq_null(KQ_BOOL);
    mask_ipv6(address.bytes, range.prefix);
    return kq_bool(memcmp(address.bytes, range.bytes, 16) == 0);
}

static kq_value eval_ipv6_is_in_any_range(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return is_in_any_range(ctx, args, argc, true);
}

/* Writes the canonical form Kusto returns: eight groups of four lowercase hex digits. */
static kq_value format_ipv6_canonical(kq_eval_ctx *ctx, const uint8_t bytes[16])
{
    char *text = kq_arena_alloc(ctx->arena, 40);
    for (int i = 0; i < 8; i++)
        snprintf(text + 5 * i, 6, "%02x%02x%s", bytes[2 * i], bytes[2 * i + 1], i < 7 ? ":" : "");
    return kq_string(text, 39);
}

static kq_value eval_parse_ipv6(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    ip6_net net;
    if (!parse_ipv6_net(text_arg(ctx, &args[0]), &net))
        return kq_null(KQ_STRING);
    return format_ipv6_canonical(ctx, net.bytes);
}

static kq_value eval_parse_ipv6_mask(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    ip6_net net;
    int prefix;
    if (!parse_ipv6_net(text_arg(ctx, &args[0]), &net) || !prefix_arg(args, argc, 1, 128, &prefix))
        return kq_null(KQ_STRING);
    mask_ipv6(net.bytes, prefix);
    return format_ipv6_canonical(ctx, net.bytes);
}

#define FN(name, min, max, bind, eval, sig, doc) {name, min, max, bind, eval, sig, doc}

const kq_function kq_network_functions[] = {
    FN("parse_ipv4", 1, 1, bind_s_long, eval_parse_ipv4, "parse_ipv4(ip) -> long",
       "IPv4 address as a long in big-endian order, masked by its /prefix; null when invalid."),
    FN("parse_ipv4_mask", 2, 2, bind_si_long, eval_parse_ipv4_mask, "parse_ipv4_mask(ip, prefix) -> long",
       "IPv4 address as a long, masked by the smaller of its /prefix and prefix (0..32)."),
    FN("ipv4_netmask_suffix", 1, 1, bind_s_long, eval_ipv4_netmask_suffix, "ipv4_netmask_suffix(ip) -> long",
       "The /prefix of an IPv4 string, 32 when it has none."),
    FN("ipv4_is_private", 1, 1, bind_s_bool, eval_ipv4_is_private, "ipv4_is_private(ip) -> bool",
       "True for addresses in 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16."),
    FN("ipv4_compare", 2, 3, bind_ssi_long, eval_ipv4_compare, "ipv4_compare(ip1, ip2[, prefix]) -> long",
       "-1, 0 or 1 comparing two IPv4 addresses under their combined prefix."),
    FN("ipv4_is_match", 2, 3, bind_ssi_bool, eval_ipv4_is_match, "ipv4_is_match(ip1, ip2[, prefix]) -> bool",
       "True when two IPv4 addresses are equal under their combined prefix."),
    FN("ipv4_is_in_range", 2, 2, bind_ss_bool, eval_ipv4_is_in_range, "ipv4_is_in_range(ip, range) -> bool",
       "True when the IPv4 address is inside the range in IP-prefix notation."),
    FN("ipv4_is_in_any_range", 2, -1, bind_sa_bool, eval_ipv4_is_in_any_range,
       "ipv4_is_in_any_range(ip, range, ...) -> bool", "True when the IPv4 address is inside any of the ranges (strings or a dynamic array)."),
    FN("format_ipv4", 1, 2, bind_ni_string, eval_format_ipv4, "format_ipv4(ip[, prefix]) -> string",
       "Dotted IPv4 text of a string or long address, masked by prefix; empty when invalid."),
    FN("format_ipv4_mask", 1, 2, bind_ni_string, eval_format_ipv4_mask, "format_ipv4_mask(ip[, prefix]) -> string",
       "IPv4 address in CIDR notation (\"192.168.1.0/24\"); empty when invalid."),
    FN("ipv4_range_to_cidr_list", 2, 2, bind_ss_dynamic, eval_ipv4_range_to_cidr_list,
       "ipv4_range_to_cidr_list(start, end) -> dynamic", "The CIDR blocks that exactly cover an IPv4 address range."),
    FN("has_ipv4", 2, 2, bind_ss_bool, eval_has_ipv4, "has_ipv4(source, ip) -> bool",
       "True when the IPv4 address appears in the text, delimited by non-alphanumeric characters."),
    FN("has_ipv4_prefix", 2, 2, bind_ss_bool, eval_has_ipv4_prefix, "has_ipv4_prefix(source, prefix) -> bool",
       "True when an IPv4 address starting with the prefix (\"192.168.\") appears in the text."),
    FN("has_any_ipv4", 2, -1, bind_sa_bool, eval_has_ipv4, "has_any_ipv4(source, ip, ...) -> bool",
       "True when any of the IPv4 addresses appears in the text."),
    FN("has_any_ipv4_prefix", 2, -1, bind_sa_bool, eval_has_ipv4_prefix,
       "has_any_ipv4_prefix(source, prefix, ...) -> bool", "True when an IPv4 address with any of the prefixes appears in the text."),
    FN("ipv6_compare", 2, 3, bind_ssi_long, eval_ipv6_compare, "ipv6_compare(ip1, ip2[, prefix]) -> long",
       "-1, 0 or 1 comparing two IPv6 or IPv4 addresses under their combined prefix."),
    FN("ipv6_is_match", 2, 3, bind_ssi_bool, eval_ipv6_is_match, "ipv6_is_match(ip1, ip2[, prefix]) -> bool",
       "True when two IPv6 or IPv4 addresses are equal under their combined prefix."),
    FN("ipv6_is_in_range", 2, 2, bind_ss_bool, eval_ipv6_is_in_range, "ipv6_is_in_range(ip, range) -> bool",
       "True when the IPv6 address is inside the range in IP-prefix notation."),
    FN("ipv6_is_in_any_range", 2, -1, bind_sa_bool, eval_ipv6_is_in_any_range,
       "ipv6_is_in_any_range(ip, range, ...) -> bool", "True when the IPv6 address is inside any of the ranges (strings or a dynamic array)."),
    FN("parse_ipv6", 1, 1, bind_s_string, eval_parse_ipv6, "parse_ipv6(ip) -> string",
       "Canonical IPv6 text (eight 4-digit groups) of an IPv6 or IPv4 address; empty when invalid."),
    FN("parse_ipv6_mask", 2, 2, bind_si_string, eval_parse_ipv6_mask, "parse_ipv6_mask(ip, prefix) -> string",
       "Canonical IPv6 text masked by the smaller of the /prefix and prefix (0..128)."),
};
const size_t kq_network_function_count = KQ_ARRAY_LEN(kq_network_functions);
