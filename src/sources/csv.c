/*
 * CSV reader: Defender advanced-hunting exports, Log Analytics exports and
 * any other comma-separated file with a header line.
 *
 * Quoting follows RFC 4180: a quoted field may hold commas, doubled quotes
 * and line breaks; records end with CRLF or LF. Leniencies: a quote inside an
 * unquoted field is kept as a literal byte, and bytes between a closing quote
 * and the next comma are kept. Blank lines are not records.
 *
 * A record whose field count differs from the header's is skipped and
 * counted. Kusto ingestion rejects such a file as a whole
 * (Stream_WrongNumberOfFields). kqlite keeps the consistent rows instead,
 * because one damaged line should not hide a whole export from a hunt.
 */
#include "sources/source_internal.h"
#include "base/buf.h"
#include "base/limits.h"
#include "base/parallel.h"
#include "base/util.h"

#include <errno.h>
#include <pthread.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Records scanned for a day-first or month-first numeric date before the default applies. */
#define CSV_DATE_ORDER_SCAN_RECORDS 5000

typedef struct csv_reader {
    const char *data; /* the bytes in memory: the whole input, or a window of a file */
    size_t len, pos;
    int line;        /* line number at pos, 1-based */
    int record_line; /* line where the last record started */
    kq_buf text;     /* unescaped field bytes of the last record */
    size_t *starts;  /* per field: offset of its bytes in text, while the record is read */
    const char **field_bytes; /* per field: its bytes, in text or in data, once the record is read */
    size_t *lens;
    size_t nfields, cap;
    size_t kept_bytes; /* bytes of the record's kept fields */
    /* Reading a file through a window: the reader owns window (capacity window_cap)
     * and refills it from file; shifted counts the bytes dropped from its front. */
    FILE *file;
    int fd;             /* in place of file: read with pread from fd_offset on, or -1 */
    uint64_t fd_offset;
    uint64_t fd_limit;  /* with fd: the offset where reading stops (0: the end of the file) */
    bool hit_limit;     /* a refill stopped at fd_limit */
    char *window;
    size_t window_cap;
    uint64_t shifted;
    char last_byte; /* the last byte of the input read so far, when the window is empty */
    int read_error; /* errno of a failed read, or 0 */
    /* Per field, false when its bytes are not needed (a column the queries do not read):
     * the field is still delimited, but not copied. NULL: every field is kept. */
    const bool *keep;
    size_t nkeep;
    size_t first_field_bytes; /* bytes of the record's first field, kept or not */
    bool bytewise;            /* KQLITE_CSV_BYTEWISE: every record goes through slow_record (tests compare both) */
} csv_reader;

typedef enum csv_status { CSV_RECORD, CSV_END, CSV_UNTERMINATED } csv_status;

static void reader_init(csv_reader *r, const char *data, size_t len, size_t pos, int line)
{
    memset(r, 0, sizeof *r);
    r->data = data;
    r->len = len;
    r->pos = pos;
    r->line = line;
    r->fd = -1;
    const char *bytewise = getenv("KQLITE_CSV_BYTEWISE");
    r->bytewise = bytewise && *bytewise && strcmp(bytewise, "0") != 0;
    kq_buf_init(&r->text);
}

static void reader_free(csv_reader *r)
{
    kq_buf_free(&r->text);
    free(r->starts);
    free(r->field_bytes);
    free(r->lens);
    free(r->window);
}

/* Reads up to n bytes at offset, retrying short reads; returns the count, 0 at the end, with *error set on failure. */
static size_t pread_full(int fd, char *into, size_t n, uint64_t offset, int *error)
{
    size_t got = 0;
    while (got < n) {
        ssize_t step = pread(fd, into + got, n - got, (off_t)(offset + got));
        if (step < 0 && errno == EINTR)
            continue;
        if (step < 0) {
            *error = errno ? errno : EIO;
            break;
        }
        if (step == 0)
            break;
        got += (size_t)step;
    }
    return got;
}

/* True when more of the input can be read into the window. */
static bool reader_has_more(const csv_reader *r)
{
    return r->file || r->fd >= 0;
}

/*
 * Moves the unread bytes to the window's front and reads more of the file
 * after them; returns false at the end of the input. Record bytes already read
 * are in r->text, so nothing before pos is needed again. A window full of
 * unread bytes doubles, so one record can be longer than the window. The file
 * is read KQ_CSV_READ_BYTES at a time, through stdio or pread, so the bytes
 * are still in the processor's cache when they are parsed.
 */
static bool refill(csv_reader *r)
{
    if (!reader_has_more(r))
        return false;
    size_t unread = r->len - r->pos;
    if (r->len > 0)
        r->last_byte = r->data[r->len - 1];
    memmove(r->window, r->window + r->pos, unread);
    r->shifted += r->pos;
    r->pos = 0;
    r->len = unread;
    if (unread == r->window_cap) {
        r->window_cap *= 2;
        r->window = kq_xrealloc(r->window, r->window_cap);
    }
    r->data = r->window;
    size_t room = r->window_cap - unread, got;
    int error = 0;
    if (r->fd >= 0) {
        if (r->fd_limit && r->fd_limit - r->fd_offset < room)
            room = (size_t)(r->fd_limit - r->fd_offset);
        if (room > KQ_CSV_READ_BYTES)
            room = KQ_CSV_READ_BYTES;
        got = room ? pread_full(r->fd, r->window + unread, room, r->fd_offset, &error) : 0;
        r->fd_offset += got;
        if (room == 0) {
            r->hit_limit = true;
            return false;
        }
    } else {
        got = fread(r->window + unread, 1, room < KQ_CSV_READ_BYTES ? room : KQ_CSV_READ_BYTES, r->file);
        if (got == 0 && ferror(r->file))
            error = errno ? errno : EIO;
    }
    if (got == 0) {
        r->read_error = error;
        r->file = NULL;
        r->fd = -1;
        return false;
    }
    r->len += got;
    return true;
}

/* Returns true when a byte is ready at pos, reading more of the file when needed. */
static bool have_byte(csv_reader *r)
{
    return r->pos < r->len || refill(r);
}

static void grow_fields(csv_reader *r)
{
    size_t cap = r->cap, bytes_cap = r->cap;
    kq_grow((void **)&r->starts, &cap, r->nfields + 1, sizeof(size_t));
    kq_grow((void **)&r->field_bytes, &bytes_cap, r->nfields + 1, sizeof(char *));
    kq_grow((void **)&r->lens, &r->cap, r->nfields + 1, sizeof(size_t));
}

static void begin_field(csv_reader *r)
{
    if (r->nfields + 1 > r->cap)
        grow_fields(r);
    r->starts[r->nfields] = r->text.len;
    r->lens[r->nfields] = 0;
    r->nfields++;
}

static void append(csv_reader *r, const char *bytes, size_t n)
{
    size_t field = r->nfields - 1;
    if (field == 0)
        r->first_field_bytes += n;
    if (r->keep && field < r->nkeep && !r->keep[field])
        return;
    kq_buf_append(&r->text, bytes, n);
    r->lens[field] += n;
}

/* Returns the offset of the first ',', '\n' or '\r' in data[pos..len), or len. */
static size_t find_delimiter(const char *data, size_t pos, size_t len)
{
#ifdef __SSE2__
    const __m128i comma = _mm_set1_epi8(','), newline = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    for (; pos + 16 <= len; pos += 16) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(data + pos));
        __m128i hits = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, comma), _mm_cmpeq_epi8(chunk, newline)),
                                    _mm_cmpeq_epi8(chunk, cr));
        int mask = _mm_movemask_epi8(hits);
        if (mask)
            return pos + (size_t)__builtin_ctz((unsigned)mask);
    }
#endif
    while (pos < len && data[pos] != ',' && data[pos] != '\n' && data[pos] != '\r')
        pos++;
    return pos;
}

/* Reads a quoted field starting at the opening quote; returns false at end of input without a closing quote. */
static bool read_quoted(csv_reader *r)
{
    r->pos++;
    for (;;) {
        const char *quote = memchr(r->data + r->pos, '"', r->len - r->pos);
        size_t end = quote ? (size_t)(quote - r->data) : r->len;
        for (const char *p = r->data + r->pos; (p = memchr(p, '\n', (size_t)(r->data + end - p))) != NULL; p++)
            r->line++;
        append(r, r->data + r->pos, end - r->pos);
        r->pos = end;
        if (!quote) {
            if (refill(r))
                continue;
            return false;
        }
        /* The quote may end the window: the next byte decides between "" and the end. */
        if (r->pos + 1 == r->len)
            refill(r);
        if (r->pos + 1 < r->len && r->data[r->pos + 1] == '"') {
            append(r, "\"", 1);
            r->pos += 2;
            continue;
        }
        r->pos++;
        return true;
    }
}

/* Appends the unquoted rest of a field, up to a comma, a line end or the end of the input. */
static void read_unquoted(csv_reader *r)
{
    do {
        size_t start = r->pos;
        r->pos = find_delimiter(r->data, r->pos, r->len);
        append(r, r->data + start, r->pos - start);
    } while (r->pos == r->len && refill(r));
}

/* Points every field at its bytes in r->text, once the text no longer moves. */
static void point_fields_at_text(csv_reader *r)
{
    for (size_t i = 0; i < r->nfields; i++)
        r->field_bytes[i] = r->text.data + r->starts[i];
    r->kept_bytes = r->text.len;
}

/* Reads a record a byte run at a time; handles every input, including malformed quoting and windows. */
static csv_status slow_record(csv_reader *r)
{
    kq_buf_clear(&r->text);
    r->nfields = 0;
    r->first_field_bytes = 0;
    if (!have_byte(r))
        return CSV_END;
    r->record_line = r->line;
    for (;;) {
        begin_field(r);
        if (have_byte(r) && r->data[r->pos] == '"' && !read_quoted(r)) {
            point_fields_at_text(r);
            return CSV_UNTERMINATED;
        }
        read_unquoted(r);
        if (r->pos >= r->len)
            break;
        char c = r->data[r->pos++];
        if (c == ',')
            continue;
        if (c == '\r' && have_byte(r) && r->data[r->pos] == '\n')
            r->pos++;
        r->line++;
        break;
    }
    point_fields_at_text(r);
    return CSV_RECORD;
}

/* ---- fast path: records split 64 bytes at a time ----
 *
 * For each 64-byte block the reader builds bit masks of its quotes, commas
 * and line ends. A running XOR of the quote bits gives the bytes inside
 * quotes, so the commas and line ends outside quotes are the field ends, and
 * a field's bytes are found without looking at them one by one. Fields are
 * not copied unless they hold doubled quotes: they point into the data.
 *
 * The masks agree with slow_record only on well-formed quoting, so the fast
 * path checks it: an opening quote must start a field and a closing quote
 * must be followed by a field end or another quote. A record that fails the
 * check, or does not end within the bytes in memory, is left to slow_record.
 */

typedef struct csv_masks {
    uint64_t quote, comma, lf, cr;
} csv_masks;

static void block_masks(const char *block, csv_masks *m)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n'),
                  cr = _mm_set1_epi8('\r');
    __m128i v0 = _mm_loadu_si128((const __m128i *)block), v1 = _mm_loadu_si128((const __m128i *)(block + 16)),
            v2 = _mm_loadu_si128((const __m128i *)(block + 32)), v3 = _mm_loadu_si128((const __m128i *)(block + 48));
#define CSV_MASK64(c)                                                                                                 \
    ((uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v0, c)) |                                                   \
     (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v1, c)) << 16 |                                             \
     (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v2, c)) << 32 |                                             \
     (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v3, c)) << 48)
    m->quote = CSV_MASK64(quote);
    m->comma = CSV_MASK64(comma);
    m->lf = CSV_MASK64(lf);
    m->cr = CSV_MASK64(cr);
#undef CSV_MASK64
#else
    memset(m, 0, sizeof *m);
    for (int i = 0; i < 64; i++) {
        uint64_t bit = (uint64_t)1 << i;
        switch (block[i]) {
        case '"': m->quote |= bit; break;
        case ',': m->comma |= bit; break;
        case '\n': m->lf |= bit; break;
        case '\r': m->cr |= bit; break;
        default: break;
        }
    }
#endif
}

/* Bit i of the result is the XOR of bits 0..i of x. */
static uint64_t prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* Adds the field data[from..to), quotes included, to the record. */
static void fast_field(csv_reader *r, size_t from, size_t to)
{
    if (r->nfields == r->cap)
        grow_fields(r);
    size_t i = r->nfields++;
    const char *text = r->data + from;
    size_t n = to - from;
    bool quoted = n > 0 && *text == '"'; /* then the check made it end with a quote */
    if (quoted) {
        text++;
        n -= 2;
    }
    if (i == 0)
        r->first_field_bytes = n;
    r->lens[i] = 0;
    r->field_bytes[i] = text;
    if (r->keep && i < r->nkeep && !r->keep[i])
        return;
    if (quoted && memchr(text, '"', n)) {
        /* Doubled quotes: the field's bytes are copied without the second of each pair. */
        r->starts[i] = r->text.len;
        r->field_bytes[i] = NULL;
        for (const char *at = text, *end = text + n; at < end;) {
            const char *quote = memchr(at, '"', (size_t)(end - at));
            size_t run = quote ? (size_t)(quote - at) + 1 : (size_t)(end - at);
            kq_buf_append(&r->text, at, run);
            at += run + (quote != NULL);
        }
        n = r->text.len - r->starts[i];
    }
    r->lens[i] = n;
    r->kept_bytes += n;
}

/* Mask of bits 0..t. */
static uint64_t bits_through(unsigned t)
{
    return t >= 63 ? ~(uint64_t)0 : ((uint64_t)2 << t) - 1;
}

/* True when c, right after a closing quote, keeps the quoting well formed. */
static bool may_follow_close(char c)
{
    return c == ',' || c == '\n' || c == '\r' || c == '"';
}

/* Reads the record at r->pos as slow_record would; returns false, with r->pos unchanged, to leave it to slow_record. */
static bool fast_record(csv_reader *r)
{
    const char *data = r->data;
    size_t start = r->pos, len = r->len, field_start = start;
    uint64_t inside_before = 0; /* all ones when the previous block ended inside quotes */
    uint64_t edge_before = 1;   /* 1 when the byte before the block ends a field or closes a quote */
    int quoted_lines = 0;
    char tail[64];
    kq_buf_clear(&r->text);
    r->nfields = 0;
    r->first_field_bytes = 0;
    r->kept_bytes = 0;
    for (size_t p = start; p < len; p += 64) {
        const char *block = data + p;
        if (len - p < 64) {
            memset(tail, 0, sizeof tail);
            memcpy(tail, block, len - p);
            block = tail;
        }
        csv_masks masks;
        block_masks(block, &masks);
        uint64_t inside = prefix_xor(masks.quote) ^ inside_before;
        uint64_t open = masks.quote & inside, close = masks.quote & ~inside;
        uint64_t ends = (masks.comma | masks.lf | masks.cr) & ~inside;
        uint64_t line_ends = (masks.lf | masks.cr) & ~inside;
        uint64_t range = line_ends ? bits_through((unsigned)__builtin_ctzll(line_ends)) : ~(uint64_t)0;
        uint64_t open_ok = ((ends | close) << 1) | edge_before;
        uint64_t close_ok = (ends | masks.quote) >> 1;
        if (p + 64 < len && may_follow_close(data[p + 64]))
            close_ok |= (uint64_t)1 << 63;
        if ((open & ~open_ok & range) || (close & ~close_ok & range))
            return false;
        uint64_t quoted_lfs = masks.lf & inside & range;
        if (quoted_lfs)
            quoted_lines += __builtin_popcountll(quoted_lfs);
        for (uint64_t bits = ends & range; bits; bits &= bits - 1) {
            size_t at = p + (size_t)__builtin_ctzll(bits);
            fast_field(r, field_start, at);
            field_start = at + 1;
        }
        if (line_ends) {
            size_t end = field_start;
            if (data[end - 1] == '\r' && end == len && reader_has_more(r))
                return false; /* a line feed may follow in the file's next bytes */
            if (data[end - 1] == '\r' && end < len && data[end] == '\n')
                end++;
            for (size_t i = 0; r->text.len > 0 && i < r->nfields; i++)
                if (!r->field_bytes[i])
                    r->field_bytes[i] = r->text.data + r->starts[i];
            r->record_line = r->line;
            r->line += 1 + quoted_lines;
            r->pos = end;
            return true;
        }
        inside_before = (uint64_t)((int64_t)inside >> 63);
        edge_before = (ends | close) >> 63;
    }
    return false;
}

static csv_status next_record(csv_reader *r)
{
    if (!r->bytewise && r->pos < r->len && fast_record(r))
        return CSV_RECORD;
    return slow_record(r);
}

static const char *field(const csv_reader *r, size_t i, size_t *len)
{
    *len = r->lens[i];
    return r->field_bytes[i];
}

static bool is_blank_record(const csv_reader *r)
{
    return r->nfields == 1 && r->first_field_bytes == 0;
}

/* ---- header ---- */

typedef enum column_zone { ZONE_DEFAULT, ZONE_UTC, ZONE_LOCAL } column_zone;

typedef struct csv_header {
    size_t count;
    char **names;
    size_t *lens;
    column_zone *zones;
    int *columns;      /* builder column per field */
    kq_type *declared; /* built-in type, or KQ_TYPE_NONE */
    int type_field;    /* index of the Type column, or -1 */
} csv_header;

static void header_free(csv_header *h)
{
    for (size_t i = 0; i < h->count; i++)
        free(h->names[i]);
    free(h->names);
    free(h->lens);
    free(h->zones);
    free(h->columns);
    free(h->declared);
}

static bool strip_suffix(char *name, size_t *len, const char *suffix)
{
    size_t n = strlen(suffix);
    if (*len < n || memcmp(name + *len - n, suffix, n) != 0)
        return false;
    *len -= n;
    name[*len] = '\0';
    return true;
}

/* A set of header names, so renaming duplicates stays linear in the header's length
 * (a crafted header of thousands of empty names must not take quadratic time). */
typedef struct name_set {
    const char **names;
    size_t *lens;
    int *next_suffix; /* for a name used as a base: the next suffix to try */
    size_t nslots;
} name_set;

static size_t name_slot(const name_set *set, const char *name, size_t len)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)name[i];
        h *= UINT64_C(1099511628211);
    }
    size_t slot = h & (set->nslots - 1);
    while (set->names[slot] && !(set->lens[slot] == len && memcmp(set->names[slot], name, len) == 0))
        slot = (slot + 1) & (set->nslots - 1);
    return slot;
}

static bool name_taken(const name_set *set, const char *name, size_t len)
{
    return set->names[name_slot(set, name, len)] != NULL;
}

static void name_add(name_set *set, const char *name, size_t len)
{
    size_t slot = name_slot(set, name, len);
    set->names[slot] = name;
    set->lens[slot] = len;
}

/* Copies header names, trimming spaces and the " [UTC]" / " [Local Time]" suffixes of Log Analytics exports. */
static void header_init(csv_header *h, const csv_reader *r)
{
    memset(h, 0, sizeof *h);
    h->count = r->nfields;
    h->names = kq_xcalloc(h->count, sizeof(char *));
    h->lens = kq_xcalloc(h->count, sizeof(size_t));
    h->zones = kq_xcalloc(h->count, sizeof(column_zone));
    h->columns = kq_xcalloc(h->count, sizeof(int));
    h->declared = kq_xcalloc(h->count, sizeof(kq_type));
    h->type_field = -1;
    name_set seen = {0};
    seen.nslots = 16;
    while (seen.nslots < 2 * h->count + 2)
        seen.nslots *= 2;
    seen.names = kq_xcalloc(seen.nslots, sizeof(char *));
    seen.lens = kq_xcalloc(seen.nslots, sizeof(size_t));
    seen.next_suffix = kq_xcalloc(seen.nslots, sizeof(int));
    for (size_t i = 0; i < h->count; i++) {
        size_t len;
        const char *text = field(r, i, &len);
        while (len && (*text == ' ' || *text == '\t')) {
            text++;
            len--;
        }
        while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
            len--;
        char *name = kq_xstrndup(text, len);
        if (strip_suffix(name, &len, " [UTC]"))
            h->zones[i] = ZONE_UTC;
        else if (strip_suffix(name, &len, " [Local Time]"))
            h->zones[i] = ZONE_LOCAL;
        /* A repeated header name gets a numeric suffix (Name1, Name2, ...), as Kusto names
         * duplicate columns, so neither column's values are lost. */
        if (name_taken(&seen, name, len)) {
            size_t base_slot = name_slot(&seen, name, len);
            size_t base_len = len;
            int suffix = seen.next_suffix[base_slot] ? seen.next_suffix[base_slot] : 1;
            char *base = name;
            for (;; suffix++) {
                char *renamed = kq_xmalloc(base_len + 12);
                int n = snprintf(renamed, base_len + 12, "%.*s%d", (int)base_len, base, suffix);
                if (!name_taken(&seen, renamed, (size_t)n)) {
                    name = renamed;
                    len = (size_t)n;
                    break;
                }
                free(renamed);
            }
            seen.next_suffix[base_slot] = suffix + 1;
            free(base);
        }
        name_add(&seen, name, len);
        h->names[i] = name;
        h->lens[i] = len;
        if (len == 4 && memcmp(name, "Type", 4) == 0)
            h->type_field = (int)i;
    }
    free(seen.names);
    free(seen.lens);
    free(seen.next_suffix);
}

static bool header_has_zone_suffix(const csv_header *h)
{
    for (size_t i = 0; i < h->count; i++)
        if (h->zones[i] != ZONE_DEFAULT)
            return true;
    return false;
}

/* ---- datetime cells ---- */

static bool is_datetime_field(const csv_header *h, size_t i)
{
    return h->declared[i] == KQ_DATETIME || h->zones[i] != ZONE_DEFAULT;
}

/*
 * Decides whether numeric dates in this file put the day first. The first
 * date whose first number exceeds 12 makes the file day-first, and the first
 * whose second number exceeds 12 makes it month-first. Files where no date decides it are read
 * month-first, the order of the portal's default en-US locale.
 */
static kq_date_order scan_date_order(const csv_header *h, const char *data, size_t len, size_t pos, int line)
{
    csv_reader r;
    reader_init(&r, data, len, pos, line);
    kq_date_order order = KQ_DATE_MONTH_FIRST;
    bool decided = false;
    for (int n = 0; n < CSV_DATE_ORDER_SCAN_RECORDS && !decided && next_record(&r) == CSV_RECORD; n++) {
        for (size_t i = 0; i < r.nfields && i < h->count && !decided; i++) {
            if (!is_datetime_field(h, i))
                continue;
            size_t flen;
            const char *text = field(&r, i, &flen);
            int first, second;
            if (!kq_export_date_numbers(text, flen, &first, &second))
                continue;
            if (first > 12) {
                order = KQ_DATE_DAY_FIRST;
                decided = true;
            } else if (second > 12) {
                decided = true;
            }
        }
    }
    reader_free(&r);
    return order;
}

static bool is_invalid_date(const char *text, size_t len)
{
    return len == 12 && memcmp(text, "Invalid date", 12) == 0;
}

/* True when text could be a datetime in an export form, so parsing it is worth trying. */
static bool may_be_datetime(const char *text, size_t len)
{
    return len >= 8 && len <= 64 && memchr(text, ':', len) != NULL;
}

typedef struct csv_file {
    kq_load_context *ctx;
    kq_table_builder *builder;
    csv_header header;
    kq_date_order order;
    /* Copies of the zones, because parsing fills their caches: each thread has its own. */
    kq_tz utc;
    kq_tz local;
    bool too_wide; /* more columns than a table holds: every record is skipped, not cut */
} csv_file;

static void set_cell(csv_file *f, size_t i, const char *text, size_t len)
{
    const csv_header *h = &f->header;
    int column = h->columns[i];
    if (len == 0 || column == KQ_BUILDER_SKIPPED)
        return;
    bool datetime = is_datetime_field(h, i);
    if (datetime || h->declared[i] == KQ_TYPE_NONE) {
        if (is_invalid_date(text, len))
            return;
        if (datetime || may_be_datetime(text, len)) {
            kq_tz *zone = h->zones[i] == ZONE_UTC ? &f->utc : &f->local;
            int64_t ticks;
            if (kq_export_datetime_parse(text, len, f->order, zone, &ticks)) {
                kq_table_builder_set_datetime(f->builder, column, ticks);
                return;
            }
        }
    }
    kq_table_builder_set_text(f->builder, column, text, len);
}

/* Returns why a record cannot be loaded, or NULL when it can. */
static const char *record_skip_reason(const csv_file *f, const csv_reader *r)
{
    if (f->too_wide)
        return "the file has more than 10,000 columns, the most a table holds";
    if (r->nfields != f->header.count)
        return r->nfields > f->header.count ? "more fields than the header" : "fewer fields than the header";
    /* base/limits.h: what one record may cost the table builder. */
    if (r->kept_bytes > KQ_MAX_RECORD_BYTES)
        return "record longer than 64 MiB (KQ_MAX_RECORD_BYTES)";
    for (size_t i = 0; i < r->nfields; i++)
        if (r->lens[i] > KQ_MAX_FIELD_BYTES)
            return "field longer than 16 MiB (KQ_MAX_FIELD_BYTES)";
    return NULL;
}

static void set_cells(csv_file *f, const csv_reader *r)
{
    for (size_t i = 0; i < r->nfields; i++) {
        size_t len;
        const char *text = field(r, i, &len);
        set_cell(f, i, text, len);
    }
}

static void load_record(csv_file *f, const csv_reader *r)
{
    kq_file_report *report = f->ctx->file;
    report->records_read++;
    const char *reason = record_skip_reason(f, r);
    if (reason) {
        char location[32];
        snprintf(location, sizeof location, "line %d", r->record_line);
        kq_file_report_skip(report, reason, location);
        return;
    }
    set_cells(f, r);
    kq_context_row_loaded(f->ctx, f->builder);
}

/* Picks the table from the header and the first record, then binds every header name to a column. */
static void bind_table(csv_file *f, const csv_reader *first)
{
    csv_header *h = &f->header;
    const char *type_value = NULL;
    size_t type_len = 0;
    if (first && h->type_field >= 0 && (size_t)h->type_field < first->nfields)
        type_value = field(first, (size_t)h->type_field, &type_len);
    char *table = kq_detect_table_name(f->ctx, type_value, type_len, (const char *const *)h->names,
                                       h->lens, h->count);
    f->builder = kq_context_builder(f->ctx, table);
    const char *name = f->ctx->forced_table ? f->ctx->forced_table : table;
    const kq_builtin_table *builtin = kq_builtin_table_find(name, strlen(name));
    size_t dropped = 0;
    for (size_t i = 0; i < h->count; i++) {
        h->columns[i] = kq_table_builder_column(f->builder, h->names[i], h->lens[i]);
        dropped += h->columns[i] == KQ_BUILDER_FULL;
        h->declared[i] = KQ_TYPE_NONE;
        for (uint32_t k = 0; builtin && k < builtin->count; k++)
            if (strcmp(builtin->fields[k].name, h->names[i]) == 0)
                h->declared[i] = builtin->fields[k].type;
    }
    /* Columns past the table's limit have nowhere to go: rather than load records with
     * columns missing, every record is skipped and counted. */
    f->too_wide = dropped > 0;
    if (header_has_zone_suffix(h))
        kq_file_report_set_format(f->ctx->file, "log-analytics-csv");
    else
        kq_file_report_set_format(f->ctx->file, builtin ? "defender-csv" : "csv");
    free(table);
}

/* Formats the skip reason for an opening quote that no quote closes before the end of the input. */
static void format_unterminated(const csv_reader *r, char *reason, size_t size)
{
    /* A line break at the very end ends the last line rather than starting another. */
    char last_byte = r->len > 0 ? r->data[r->len - 1] : r->last_byte;
    int last = r->line - (last_byte == '\n');
    int lines = last >= r->record_line ? last - r->record_line + 1 : 1;
    snprintf(reason, size, "unterminated quoted field: the rest of the file (%d line%s) is not loaded", lines,
             lines == 1 ? "" : "s");
}

/* Reports the rest of the file after an opening quote as one unreadable record, with the lines it swallowed. */
static void report_unterminated(kq_load_context *ctx, const csv_reader *r)
{
    char location[64];
    snprintf(location, sizeof location, "line %d", r->record_line);
    ctx->file->records_read++;
    char reason[160];
    format_unterminated(r, reason, sizeof reason);
    kq_file_report_skip(ctx->file, reason, location);
}

/* ---- loading on several threads ----
 *
 * The bytes after the first record are cut into chunks of about
 * csv_chunk_bytes(), each starting after a line break, and threads parse the
 * chunks into builders of their own. A line break inside a quoted field can
 * fool a cut, so the chunks are checked in file order: a chunk counts only if
 * the chunk before it stopped exactly where it starts. Parsing is a function
 * of the position of a record's start, so a chunk that passes this check contains
 * exactly the records the serial reader reads there. Chunks after a failed
 * check are dropped and parsed again in the next round, starting at the true
 * record boundary. Line numbers are counted per chunk and made absolute when
 * the chunks are merged, so reports match the serial reader's.
 */

typedef struct csv_skip {
    const char *reason; /* a constant, or owned when it is the chunk's unterminated reason */
    int line;           /* relative to the chunk's first line (1) */
} csv_skip;

typedef struct csv_chunk {
    size_t start, end;   /* offsets in the block: the chunk parses the records that start in [start, end) */
    size_t stop;         /* offset where parsing stopped: the start of the first record it did not read */
    int lines;           /* line ends between start and stop */
    kq_table_builder *part;
    uint64_t records_read, records_loaded, conversion_failures;
    char *first_failure; /* the chunk's first conversion failure, for the file report */
    csv_skip *skips;
    size_t nskips, skips_cap;
    char *unterminated;  /* skip reason when the chunk ended at an unterminated quoted field */
    int read_error;      /* errno of a failed read of the chunk's bytes, or 0 */
} csv_chunk;

typedef struct csv_block {
    const csv_file *file;
    const bool *keep;
    size_t nkeep;
    const char *data;
    size_t len;
    bool eof; /* data ends where the file ends, so the last record is complete */
    csv_chunk *chunks;
    size_t nchunks;
} csv_block;

static int csv_threads(const kq_load_context *ctx)
{
    return kq_thread_count(ctx->options ? ctx->options->threads : 0);
}

/*
 * Returns the target chunk size. KQLITE_CSV_CHUNK_BYTES overrides it, so tests
 * can cut small files into many chunks and place cuts inside quoted fields.
 */
static size_t csv_chunk_bytes(void)
{
    return kq_env_count("KQLITE_CSV_CHUNK_BYTES", KQ_CSV_CHUNK_BYTES);
}

size_t kq_csv_window_bytes(void)
{
    return kq_env_count("KQLITE_CSV_WINDOW_BYTES", KQ_CSV_WINDOW_BYTES);
}

static bool csv_worth_splitting(const csv_reader *r)
{
    return r->file != NULL || r->len - r->pos >= 2 * csv_chunk_bytes();
}

static void chunk_add_skip(csv_chunk *chunk, const char *reason, int line)
{
    kq_grow((void **)&chunk->skips, &chunk->skips_cap, chunk->nskips + 1, sizeof(csv_skip));
    chunk->skips[chunk->nskips++] = (csv_skip){reason, line};
}

static void chunk_load_record(csv_file *f, csv_chunk *chunk, const csv_reader *r)
{
    chunk->records_read++;
    const char *reason = record_skip_reason(f, r);
    if (reason) {
        chunk_add_skip(chunk, reason, r->record_line);
        return;
    }
    set_cells(f, r);
    const kq_builder_stats *stats = kq_table_builder_stats(f->builder);
    uint64_t failures_before = stats->conversion_failures;
    kq_table_builder_end_row(f->builder);
    chunk->records_loaded++;
    uint64_t failures = stats->conversion_failures - failures_before;
    chunk->conversion_failures += failures;
    if (failures && !chunk->first_failure)
        chunk->first_failure = kq_xstrdup(stats->last_failure);
}

/* Records the rest of the input, from an opening quote that nothing closes, as one skipped record. */
static void chunk_unterminated(csv_chunk *chunk, csv_reader *r)
{
    char reason[160];
    format_unterminated(r, reason, sizeof reason);
    chunk->unterminated = kq_xstrdup(reason);
    chunk->records_read++;
    chunk_add_skip(chunk, chunk->unterminated, r->record_line);
    r->pos = r->len;
}

/* Parses the records that start in the chunk into a fork of the file's builder; runs on any thread. */
static void parse_chunk(const csv_block *block, csv_chunk *chunk)
{
    csv_file f = *block->file;
    f.builder = chunk->part = kq_table_builder_fork(block->file->builder);
    csv_reader r;
    reader_init(&r, block->data, block->len, chunk->start, 1);
    r.keep = block->keep;
    r.nkeep = block->nkeep;
    while (r.pos < chunk->end) {
        size_t record_start = r.pos;
        csv_status status = next_record(&r);
        if (status == CSV_END)
            break;
        /* A record that reaches the end of the block may go on in the file: the next block reads it. */
        if (!block->eof && r.pos >= r.len) {
            r.pos = record_start;
            r.line = r.record_line;
            break;
        }
        if (status == CSV_UNTERMINATED) {
            chunk_unterminated(chunk, &r);
            break;
        }
        if (!is_blank_record(&r))
            chunk_load_record(&f, chunk, &r);
    }
    chunk->stop = r.pos;
    chunk->lines = r.line - 1;
    r.keep = NULL;
    reader_free(&r);
    /* Batches are built here, on this thread, when the file's builder streams them. */
    kq_table_builder_seal_part(chunk->part, block->file->builder);
}

static void parse_chunk_at(void *user, size_t index, int thread)
{
    (void)thread;
    csv_block *block = user;
    parse_chunk(block, &block->chunks[index]);
}

/* Cuts data[start..len) into chunks that start after a line break. */
static void split_block(csv_block *block, size_t start)
{
    size_t target = csv_chunk_bytes();
    size_t max_chunks = (block->len - start) / target + 1;
    block->chunks = kq_xcalloc(max_chunks, sizeof(csv_chunk));
    block->nchunks = 0;
    size_t pos = start;
    while (pos < block->len) {
        csv_chunk *chunk = &block->chunks[block->nchunks++];
        chunk->start = pos;
        chunk->end = block->len;
        if (block->len - pos <= target)
            break;
        const char *newline = memchr(block->data + pos + target, '\n', block->len - pos - target);
        if (!newline || (size_t)(newline - block->data) + 1 >= block->len)
            break;
        chunk->end = (size_t)(newline - block->data) + 1;
        pos = chunk->end;
    }
}

static void free_chunk(csv_chunk *chunk)
{
    kq_table_builder_free(chunk->part);
    free(chunk->first_failure);
    free(chunk->skips);
    free(chunk->unterminated);
}

/* Adds the counts and skips of a parsed chunk to the file's report; line is the absolute line where it starts. */
static void merge_chunk(csv_file *f, csv_chunk *chunk, int line)
{
    kq_file_report *report = f->ctx->file;
    report->records_read += chunk->records_read;
    for (size_t i = 0; i < chunk->nskips; i++) {
        char location[32];
        snprintf(location, sizeof location, "line %d", line + chunk->skips[i].line - 1);
        kq_file_report_skip(report, chunk->skips[i].reason, location);
    }
    report->records_loaded += chunk->records_loaded;
    report->conversion_failures += chunk->conversion_failures;
    if (chunk->first_failure && !report->first_conversion_failure) {
        report->first_conversion_failure = chunk->first_failure;
        chunk->first_failure = NULL;
    }
}

/*
 * Parses data[start..len) on threads and merges the chunks that the check
 * accepts, in file order. Returns the offset of the first record not loaded;
 * *line goes from the line at start to the line there.
 */
static size_t load_block(csv_file *f, const csv_reader *r, size_t start, bool eof, int threads, int *line)
{
    csv_block block = {.file = f, .keep = r->keep, .nkeep = r->nkeep, .data = r->data, .len = r->len, .eof = eof};
    split_block(&block, start);
    kq_parallel_for(block.nchunks, threads, parse_chunk_at, &block);

    size_t pos = start;
    kq_table_builder **parts = kq_xcalloc(block.nchunks + 1, sizeof *parts);
    size_t nparts = 0;
    for (size_t i = 0; i < block.nchunks; i++) {
        csv_chunk *chunk = &block.chunks[i];
        if (chunk->start == pos) {
            merge_chunk(f, chunk, *line);
            *line += chunk->lines;
            pos = chunk->stop;
            parts[nparts++] = chunk->part;
            chunk->part = NULL;
        }
        free_chunk(chunk);
    }
    kq_table_builder_append_parts(f->builder, parts, nparts, threads);
    free(parts);
    free(block.chunks);
    return pos;
}

/*
 * Reading a file's next bytes on a thread of its own while the threads parse
 * the current window, so they do not wait for the read. Each buffer keeps
 * room in front for the unread tail of the window before it: usually part of
 * a record, which is copied there so that the records stay contiguous.
 */
#define READ_AHEAD_HEADROOM ((size_t)1 << 20)

typedef struct read_ahead {
    FILE *file;
    char *buffers[2]; /* READ_AHEAD_HEADROOM + cap bytes each */
    int next;         /* the buffer the thread reads into */
    size_t cap, got;
    int error;        /* errno of a failed read */
    pthread_t thread;
    bool running;
} read_ahead;

static void *read_ahead_run(void *arg)
{
    read_ahead *ahead = arg;
    ahead->got = fread(ahead->buffers[ahead->next] + READ_AHEAD_HEADROOM, 1, ahead->cap, ahead->file);
    if (ahead->got == 0 && ferror(ahead->file))
        ahead->error = errno ? errno : EIO;
    return NULL;
}

/* Starts reading the window's size of bytes after the current window; without a thread the reader refills itself. */
static void read_ahead_start(read_ahead *ahead, const csv_reader *r)
{
    ahead->file = r->file;
    /* The size changes only at the first start and after read_ahead_refill grew the reader's own window, which
     * then holds the unread bytes: no live data is in these buffers when they are replaced. */
    if (ahead->cap != r->window_cap) {
        ahead->cap = r->window_cap;
        for (int i = 0; i < 2; i++) {
            free(ahead->buffers[i]);
            ahead->buffers[i] = kq_xmalloc(READ_AHEAD_HEADROOM + ahead->cap + 1);
        }
    }
    ahead->got = 0;
    ahead->error = 0;
    ahead->running = pthread_create(&ahead->thread, NULL, read_ahead_run, ahead) == 0;
}

/*
 * Refills r with the bytes read ahead: the unread tail goes in front of them.
 * A tail longer than the headroom (a record longer than the window) goes with
 * the new bytes into the reader's own window, which grows to hold both.
 */
static bool read_ahead_refill(read_ahead *ahead, csv_reader *r)
{
    if (!ahead->running)
        return refill(r);
    pthread_join(ahead->thread, NULL);
    ahead->running = false;
    if (ahead->got == 0) {
        r->read_error = ahead->error;
        r->file = NULL;
        return false;
    }
    size_t unread = r->len - r->pos;
    const char *fresh = ahead->buffers[ahead->next] + READ_AHEAD_HEADROOM;
    char *data;
    if (unread <= READ_AHEAD_HEADROOM) {
        data = ahead->buffers[ahead->next] + READ_AHEAD_HEADROOM - unread;
        memmove(data, r->data + r->pos, unread);
        ahead->next ^= 1;
    } else {
        if (unread + ahead->got > r->window_cap) {
            r->window_cap = unread + ahead->got;
            char *window = kq_xmalloc(r->window_cap + 1);
            memcpy(window, r->data + r->pos, unread);
            free(r->window);
            r->window = window;
        } else {
            memmove(r->window, r->data + r->pos, unread);
        }
        data = r->window;
        memcpy(data + unread, fresh, ahead->got);
    }
    r->shifted += r->pos;
    r->data = data;
    r->pos = 0;
    r->len = unread + ahead->got;
    return true;
}

static void read_ahead_free(read_ahead *ahead)
{
    if (ahead->running)
        pthread_join(ahead->thread, NULL);
    free(ahead->buffers[0]);
    free(ahead->buffers[1]);
}

/*
 * Loads every record from r->pos on, a record boundary, on `threads` threads.
 * In window mode each round parses the unread bytes while a thread reads the
 * next window's worth. A record longer than the window makes the window grow.
 */
static void load_parallel(csv_file *f, csv_reader *r, int threads)
{
    bool stalled = false;
    read_ahead ahead = {0};
    for (;;) {
        if (r->file && (stalled || r->pos > 0 || r->len < r->window_cap))
            read_ahead_refill(&ahead, r);
        bool eof = r->file == NULL;
        if (r->pos >= r->len)
            break;
        if (!eof)
            read_ahead_start(&ahead, r);
        size_t before = r->pos;
        r->pos = load_block(f, r, r->pos, eof, threads, &r->line);
        stalled = r->pos == before;
        /* At the end of the file every record is complete, so a round always advances. */
        if (eof && (stalled || r->pos >= r->len))
            break;
    }
    read_ahead_free(&ahead);
}

/* ---- loading a regular file on several threads ----
 *
 * Each thread reads the pieces it parses with pread, so it parses bytes that
 * it has just copied and that are still in its cache, and no thread waits
 * for a reader. A round cuts KQ_CSV_ROUND_CHUNKS pieces from the first
 * unparsed record on: piece k starts after the first line feed at or after
 * k * csv_chunk_bytes() and ends where piece k + 1 starts. The pieces are
 * checked and merged in file order as in load_block, and the pieces after a
 * failed check are parsed again in the next round.
 */

typedef struct csv_round {
    const csv_file *file;
    const bool *keep;
    size_t nkeep;
    int fd;
    uint64_t base; /* file offset of the first unparsed record */
    size_t chunk_bytes;
    csv_chunk chunks[KQ_CSV_ROUND_CHUNKS];
    char *windows[KQ_MAX_THREADS]; /* per thread: its reader's window, kept between pieces */
    size_t window_caps[KQ_MAX_THREADS];
} csv_round;

/* Returns the offset after the first line feed at or after offset, or the end of the file. */
static uint64_t line_start_at(int fd, uint64_t offset, int *error)
{
    char probe[4096];
    for (;;) {
        size_t got = pread_full(fd, probe, sizeof probe, offset, error);
        const char *newline = memchr(probe, '\n', got);
        if (newline)
            return offset + (uint64_t)(newline - probe) + 1;
        if (got < sizeof probe)
            return offset + got;
        offset += got;
    }
}

/* Reads and parses piece `index` of the round into a fork of the file's builder; runs on any thread. */
static void parse_piece_at(void *user, size_t index, int thread)
{
    csv_round *round = user;
    csv_chunk *chunk = &round->chunks[index];
    uint64_t nominal = round->base + (uint64_t)index * round->chunk_bytes;
    int error = 0;
    chunk->start = index == 0 ? round->base : line_start_at(round->fd, nominal, &error);
    chunk->end = line_start_at(round->fd, nominal + round->chunk_bytes, &error);
    chunk->stop = chunk->start;
    csv_file f = *round->file;
    f.builder = chunk->part = kq_table_builder_fork(round->file->builder);
    if (error) {
        chunk->read_error = error;
        return;
    }
    if (!round->windows[thread]) {
        round->window_caps[thread] = round->chunk_bytes + KQ_CSV_CHUNK_SLACK_BYTES;
        round->windows[thread] = kq_xmalloc(round->window_caps[thread] + 1);
    }
    csv_reader r;
    reader_init(&r, round->windows[thread], 0, 0, 1);
    r.window = round->windows[thread];
    r.window_cap = round->window_caps[thread];
    r.fd = round->fd;
    r.fd_offset = r.shifted = chunk->start;
    /* A piece after the first may start inside a quoted field, where a closing quote looks like an
     * opening one and the rest of the file like one field: it reads a bounded amount past its end. */
    if (index > 0)
        r.fd_limit = chunk->end + KQ_CSV_CHUNK_SLACK_BYTES;
    r.keep = round->keep;
    r.nkeep = round->nkeep;
    bool cut = false; /* stopped before a record that may go on past the bytes this piece may read */
    while (r.shifted + r.pos < chunk->end) {
        uint64_t record_start = r.shifted + r.pos;
        csv_status status = next_record(&r);
        if (status == CSV_END)
            break;
        /* A record that reaches the bytes this piece may read may go on: the next round reads it. */
        if (r.hit_limit && r.pos >= r.len) {
            chunk->stop = record_start;
            chunk->lines = r.record_line - 1;
            chunk->read_error = r.read_error;
            cut = true;
            break;
        }
        if (status == CSV_UNTERMINATED) {
            chunk_unterminated(chunk, &r);
            break;
        }
        if (!is_blank_record(&r))
            chunk_load_record(&f, chunk, &r);
    }
    if (!cut) {
        chunk->stop = r.shifted + r.pos;
        chunk->lines = r.line - 1;
        chunk->read_error = r.read_error;
    }
    round->windows[thread] = r.window; /* a record longer than the window grew it */
    round->window_caps[thread] = r.window_cap;
    r.window = NULL;
    r.keep = NULL;
    reader_free(&r);
    kq_table_builder_seal_part(chunk->part, round->file->builder);
}

/*
 * Returns the piece size for the next round from the bytes and records of
 * the last one: about KQ_CSV_PIECE_BATCHES whole batches of records, less a
 * margin. A piece's batches split its records in equal shares, so a piece
 * one record over two batches would make three batches two-thirds full.
 */
static size_t piece_bytes_for(uint64_t bytes, uint64_t records, size_t current)
{
    if (records < KQ_BATCH_ROWS)
        return current;
    uint64_t target = (uint64_t)KQ_CSV_PIECE_BATCHES * KQ_BATCH_ROWS * 31 / 32;
    uint64_t size = bytes / records * target;
    if (size < KQ_CSV_CHUNK_BYTES / 2)
        size = KQ_CSV_CHUNK_BYTES / 2;
    if (size > 8 * (uint64_t)KQ_CSV_CHUNK_BYTES)
        size = 8 * (uint64_t)KQ_CSV_CHUNK_BYTES;
    return (size_t)size;
}

/*
 * Loads every record of a regular file from r's position on, a record
 * boundary, reading it with pread on `threads` threads. A read error stops
 * the load and is left in r->read_error.
 */
static void load_positional(csv_file *f, csv_reader *r, int fd, int threads)
{
    csv_round *round = kq_xcalloc(1, sizeof *round);
    *round = (csv_round){.file = f, .keep = r->keep, .nkeep = r->nkeep, .fd = fd, .chunk_bytes = csv_chunk_bytes()};
    round->base = r->shifted + r->pos;
    kq_table_builder **parts = kq_xcalloc(KQ_CSV_ROUND_CHUNKS, sizeof *parts);
    bool sized = getenv("KQLITE_CSV_CHUNK_BYTES") == NULL; /* tests set the piece size themselves */
    for (;;) {
        memset(round->chunks, 0, sizeof round->chunks);
        kq_parallel_for(KQ_CSV_ROUND_CHUNKS, threads, parse_piece_at, round);
        uint64_t pos = round->base, records = 0;
        size_t nparts = 0;
        int error = 0;
        for (size_t i = 0; i < KQ_CSV_ROUND_CHUNKS; i++) {
            csv_chunk *chunk = &round->chunks[i];
            if (!error && chunk->start == pos) {
                merge_chunk(f, chunk, r->line);
                r->line += chunk->lines;
                records += chunk->records_read;
                pos = chunk->stop;
                parts[nparts++] = chunk->part;
                chunk->part = NULL;
                error = chunk->read_error;
            }
            free_chunk(chunk);
        }
        kq_table_builder_append_parts(f->builder, parts, nparts, threads);
        if (sized)
            round->chunk_bytes = piece_bytes_for(pos - round->base, records, round->chunk_bytes);
        bool done = error || pos == round->base;
        round->base = pos;
        r->read_error = error;
        if (done)
            break;
    }
    for (int i = 0; i < KQ_MAX_THREADS; i++)
        free(round->windows[i]);
    free(parts);
    free(round);
    /* The whole file is parsed: the reader has nothing left to give. */
    r->file = NULL;
    r->pos = r->len;
}

/* Returns the descriptor of a window reader's file when it is a regular file that pread can read, or -1. */
static int regular_file_fd(const csv_reader *r)
{
    if (!r->file || sizeof(size_t) < sizeof(uint64_t))
        return -1;
    int fd = fileno(r->file);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    return fd;
}

/* Reads the header and every record from r, whose data may start with a UTF-8 byte order mark. */
static void load_records(kq_load_context *ctx, csv_reader *r)
{
    if (r->len >= 3 && memcmp(r->data, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
    csv_file f = {.ctx = ctx, .local = ctx->tz};
    kq_tz_init(&f.utc, NULL);
    kq_file_report_set_format(ctx->file, "csv");

    csv_status status;
    while ((status = next_record(r)) == CSV_RECORD && is_blank_record(r))
        ;
    if (status != CSV_RECORD) {
        if (status == CSV_UNTERMINATED)
            kq_file_report_skip(ctx->file, "unterminated quoted field in the header", "line 1");
        return;
    }
    header_init(&f.header, r);
    size_t body = r->pos;
    uint64_t body_shift = r->shifted;
    int body_line = r->line;

    /* The first data record can name the table through its Type column. */
    while ((status = next_record(r)) == CSV_RECORD && is_blank_record(r))
        ;
    bind_table(&f, status == CSV_RECORD ? r : NULL);
    /* Fields of skipped columns are delimited but not copied. The first record was read
     * whole, before the mask existed, which changes nothing: its skipped fields are ignored. */
    bool *keep = kq_xcalloc(f.header.count + 1, sizeof *keep);
    for (size_t i = 0; i < f.header.count; i++)
        keep[i] = f.header.columns[i] != KQ_BUILDER_SKIPPED;
    r->keep = keep;
    r->nkeep = f.header.count;
    /* The date order comes from the records in memory: the whole input, or the file's first window. */
    if (r->shifted == body_shift)
        f.order = scan_date_order(&f.header, r->data, r->len, body, body_line);

    int threads = csv_threads(ctx);
    for (; status != CSV_END; status = next_record(r)) {
        if (status == CSV_UNTERMINATED) {
            report_unterminated(ctx, r);
            break;
        }
        if (!is_blank_record(r))
            load_record(&f, r);
        /* The records after the first are split between threads when there are enough of them. */
        if (threads > 1 && csv_worth_splitting(r)) {
            int fd = regular_file_fd(r);
            if (fd >= 0)
                load_positional(&f, r, fd, threads);
            else
                load_parallel(&f, r, threads);
            break;
        }
    }
    r->keep = NULL;
    free(keep);
    header_free(&f.header);
}

void kq_csv_load(kq_load_context *ctx, const char *data, size_t len)
{
    csv_reader r;
    reader_init(&r, data, len, 0, 1);
    load_records(ctx, &r);
    reader_free(&r);
}

bool kq_csv_load_file(kq_load_context *ctx, char *head, size_t len, size_t cap, FILE *rest)
{
    csv_reader r;
    reader_init(&r, head, len, 0, 1);
    r.window = head;
    r.window_cap = cap;
    r.file = rest;
    load_records(ctx, &r);
    int error = r.read_error;
    reader_free(&r);
    if (error) {
        errno = error;
        return false;
    }
    return true;
}
