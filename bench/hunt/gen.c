/* Benchmark data generator: writes DeviceProcessEvents as a Microsoft Defender
 * advanced-hunting portal CSV export (UTF-8 BOM, CRLF, RFC 4180 quoting, the 59
 * columns of a current export, datetimes such as "Dec 1, 2026 12:03:10 AM",
 * rows newest first).
 *
 * The fleet has thousands of devices and users. Devices and programs are drawn
 * with Zipf-like weights (a few servers and a few programs produce most events).
 * A small share of rows are remote monitoring and management (RMM) tools, read
 * from a tab-separated identity file. A smaller share are near misses, whose
 * version information contains a tool's name inside a longer term ("XAmmyy").
 * A KQL `has` term match must not return them. The output depends only on the
 * arguments, so the same seed and row count always give the same bytes.
 *
 * Build: cc -O2 -o gen bench/hunt/gen.c -lm
 * Usage: gen [options] ROWS OUTPUT   (run gen --help for the options) */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

#define CATALOG_SIZE (sizeof catalog / sizeof catalog[0])
#define OUTPUT_BUFFER (1 << 20)
#define MAX_IDENTITIES 512
#define FIELD_MAX 1024

static const char *const HEADER =
    "Timestamp,DeviceId,DeviceName,ActionType,FileName,FolderPath,SHA1,SHA256,MD5,FileSize,"
    "ProcessVersionInfoCompanyName,ProcessVersionInfoProductName,ProcessVersionInfoProductVersion,"
    "ProcessVersionInfoInternalFileName,ProcessVersionInfoOriginalFileName,ProcessVersionInfoFileDescription,"
    "ProcessId,ProcessCommandLine,ProcessIntegrityLevel,ProcessTokenElevation,ProcessCreationTime,"
    "AccountDomain,AccountName,AccountSid,LogonId,InitiatingProcessAccountDomain,InitiatingProcessAccountName,"
    "InitiatingProcessAccountSid,InitiatingProcessLogonId,InitiatingProcessIntegrityLevel,"
    "InitiatingProcessTokenElevation,InitiatingProcessSHA1,InitiatingProcessSHA256,InitiatingProcessMD5,"
    "InitiatingProcessFileName,InitiatingProcessFileSize,InitiatingProcessVersionInfoCompanyName,"
    "InitiatingProcessVersionInfoProductName,InitiatingProcessVersionInfoProductVersion,"
    "InitiatingProcessVersionInfoInternalFileName,InitiatingProcessVersionInfoOriginalFileName,"
    "InitiatingProcessVersionInfoFileDescription,InitiatingProcessId,InitiatingProcessCommandLine,"
    "InitiatingProcessCreationTime,InitiatingProcessFolderPath,InitiatingProcessParentId,"
    "InitiatingProcessParentFileName,InitiatingProcessParentCreationTime,InitiatingProcessSignerType,"
    "InitiatingProcessSignatureStatus,ReportId,AdditionalFields,InitiatingProcessSessionId,"
    "IsInitiatingProcessRemoteSession,CreatedProcessSessionId,IsProcessRemoteSession,ProcessUniqueId,"
    "InitiatingProcessUniqueId";

static const char *const FIRST_NAMES[] = {
    "anna", "ben", "carla", "david", "elif", "farid", "grace", "hugo", "ines", "jonas", "kemal", "lena",
    "marta", "nils", "olga", "pavel", "quinn", "rosa", "sami", "tara", "umar", "vera", "wei", "yusuf", "zoe",
};
static const char *const LAST_NAMES[] = {
    "lindqvist", "okafor", "nair", "schmidt", "garcia", "kowalski", "tanaka", "dubois", "rossi", "novak",
    "haddad", "mensah", "ivanova", "olsen", "silva", "kim", "murphy", "jansen", "costa", "weber", "ali",
    "brown", "nguyen", "fischer", "moreau", "larsen", "santos", "horvat", "yilmaz", "petrov",
};
static const char *const DEPARTMENTS[] = {"fin", "eng", "hr", "ops", "it", "sales", "legal", "rd", "mkt", "sup"};
static const char *const DOMAIN_SUFFIX = ".corp.fabrikam.com";
static const char *const NETBIOS_DOMAIN = "fabrikam";
static const char *const DOMAIN_SID = "S-1-5-21-2871443951-1195307062-3460285921";
static const char *const MONTHS[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct options {
    uint64_t rows;
    const char *output;
    uint64_t seed;
    unsigned devices;
    unsigned days;
    long long end;              /* Unix seconds of the newest row */
    unsigned rmm_per_million;   /* RMM tool rows per million rows */
    unsigned near_per_million;  /* near-miss rows per million rows */
    const char *identities;     /* tab-separated RMM identities, or NULL for Ammyy Admin only */
};

/* Version information and location of one RMM tool or near miss. */
struct identity {
    char tool[64];
    char company[128];
    char product[128];
    char description[128];
    char original_file_name[64];
    char file_name[64];
    char folder[160];
};

struct device {
    char id[41];
    char name[64];
    unsigned user;
    unsigned variant;      /* picks one of three builds of each binary */
    long long report_id;   /* next ReportId; ids are unique per device, as in Defender */
    long long unique_id;   /* next ProcessUniqueId */
};

struct user {
    char name[40];
    char sid[64];
};

struct account {
    const char *domain;
    const char *name;
    const char *sid;
    long long logon_id;
    const char *integrity;
    const char *elevation;
    int session;
};

struct generator {
    struct options opt;
    uint64_t state;
    struct device *devices;
    struct user *users;
    unsigned user_count;
    double *device_weights;
    double program_weights[CATALOG_SIZE];
    struct identity identities[MAX_IDENTITIES];
    unsigned identity_count;
    unsigned ammyy;            /* index of Ammyy Admin in identities */
    struct identity near_misses[16];
    unsigned near_miss_count;
    FILE *file;
    char *buffer;
    size_t used;
    uint64_t bytes;
};

static void die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("gen: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(1);
}

/* splitmix64: small, fast and good enough for synthetic data. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t next_random(struct generator *g)
{
    g->state += 0x9e3779b97f4a7c15ULL;
    return mix64(g->state);
}

static unsigned random_below(struct generator *g, unsigned n)
{
    return (unsigned)(next_random(g) % n);
}

static double random_unit(struct generator *g)
{
    return (double)(next_random(g) >> 11) / 9007199254740992.0;
}

static uint64_t hash_text(const char *text, uint64_t salt)
{
    uint64_t h = 1469598103934665603ULL ^ salt;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return mix64(h);
}

/* Writes `digits` lowercase hex digits derived from key into out (NUL-terminated). */
static void hex_digest(char *out, unsigned digits, uint64_t key)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t word = 0;
    for (unsigned i = 0; i < digits; i++) {
        if (i % 16 == 0)
            word = key = mix64(key);
        out[i] = hex[word & 15];
        word >>= 4;
    }
    out[digits] = '\0';
}

/* Fills weights with the cumulative Zipf weights 1/(rank+1)^exponent, normalised to 1. */
static void zipf_cumulative(double *weights, unsigned n, double exponent)
{
    double total = 0;
    for (unsigned i = 0; i < n; i++) {
        total += 1.0 / pow(i + 1, exponent);
        weights[i] = total;
    }
    for (unsigned i = 0; i < n; i++)
        weights[i] /= total;
}

static unsigned zipf_pick(struct generator *g, const double *weights, unsigned n)
{
    double u = random_unit(g);
    unsigned low = 0, high = n - 1;
    while (low < high) {
        unsigned mid = (low + high) / 2;
        if (weights[mid] < u)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

/* Output: a 1 MiB buffer flushed with fwrite. */
static void flush_output(struct generator *g)
{
    if (g->used && fwrite(g->buffer, 1, g->used, g->file) != g->used)
        die("cannot write %s: %s", g->opt.output, strerror(errno));
    g->bytes += g->used;
    g->used = 0;
}

static void put_bytes(struct generator *g, const char *text, size_t length)
{
    if (g->used + length > OUTPUT_BUFFER)
        flush_output(g);
    memcpy(g->buffer + g->used, text, length);
    g->used += length;
}

/* Writes one CSV field, quoted when it contains a comma, a quote or a line break. */
static void put_field(struct generator *g, const char *text, bool last)
{
    size_t length = strlen(text);
    if (strpbrk(text, ",\"\r\n") == NULL) {
        put_bytes(g, text, length);
    } else {
        put_bytes(g, "\"", 1);
        for (const char *p = text; *p; p++) {
            if (*p == '"')
                put_bytes(g, "\"\"", 2);
            else
                put_bytes(g, p, 1);
        }
        put_bytes(g, "\"", 1);
    }
    put_bytes(g, last ? "\r\n" : ",", last ? 2 : 1);
}

static void put_number(struct generator *g, long long value)
{
    char text[24];
    snprintf(text, sizeof text, "%lld", value);
    put_field(g, text, false);
}

/* Formats Unix seconds the way the Defender portal exports datetimes. */
static void portal_datetime(char *out, size_t size, long long seconds)
{
    long long days = seconds / 86400;
    long long in_day = seconds % 86400;
    /* Civil date from days since 1970-01-01 (proleptic Gregorian calendar). */
    long long z = days + 719468;
    long long era = z / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    long long day = doy - (153 * mp + 2) / 5 + 1;
    long long month = mp < 10 ? mp + 3 : mp - 9;
    long long year = yoe + era * 400 + (month <= 2);
    int hour = (int)(in_day / 3600);
    int hour12 = hour % 12 == 0 ? 12 : hour % 12;
    snprintf(out, size, "%s %lld, %lld %d:%02d:%02d %s", MONTHS[month - 1], day, year, hour12,
             (int)(in_day / 60 % 60), (int)(in_day % 60), hour < 12 ? "AM" : "PM");
}

static void append_text(char *out, size_t size, size_t *length, const char *text)
{
    size_t n = strlen(text);
    if (*length + n >= size)
        n = size - 1 - *length;
    memcpy(out + *length, text, n);
    *length += n;
    out[*length] = '\0';
}

/* Expands a catalog template: %U the user profile folder, %P the program's path,
 * %N a random number and %G a random GUID. */
static void expand_template(struct generator *g, char *out, size_t size, const char *template,
                            const char *profile, const char *path)
{
    size_t length = 0;
    out[0] = '\0';
    for (const char *p = template; *p; p++) {
        char piece[48] = {p[0], '\0'};
        if (p[0] == '%' && p[1] != '\0') {
            p++;
            if (*p == 'U') {
                append_text(out, size, &length, profile);
                continue;
            }
            if (*p == 'P') {
                append_text(out, size, &length, path);
                continue;
            }
            if (*p == 'N') {
                snprintf(piece, sizeof piece, "%u", random_below(g, 100000));
            } else if (*p == 'G') {
                uint64_t a = next_random(g), b = next_random(g);
                snprintf(piece, sizeof piece, "%08" PRIX64 "-%04" PRIX64 "-%04" PRIX64 "-%04" PRIX64 "-%012" PRIX64,
                         a >> 32, (a >> 16) & 0xffff, a & 0xffff, b >> 48, b & (uint64_t)0xffffffffffff);
            } else {
                piece[0] = '%';
                piece[1] = *p;
                piece[2] = '\0';
            }
        }
        append_text(out, size, &length, piece);
    }
}

static void ascii_lower(char *text)
{
    for (; *text; text++)
        if (*text >= 'A' && *text <= 'Z')
            *text = (char)(*text + 32);
}

static int catalog_index(const char *file_name)
{
    for (size_t i = 0; i < CATALOG_SIZE; i++)
        if (strcmp(catalog[i].file_name, file_name) == 0)
            return (int)i;
    die("catalog: program %s is named as a parent but is not in the catalog", file_name);
    return -1;
}

static void setup_fleet(struct generator *g)
{
    unsigned devices = g->opt.devices;
    g->user_count = devices * 9 / 10 + 1;
    g->users = calloc(g->user_count, sizeof *g->users);
    g->devices = calloc(devices, sizeof *g->devices);
    g->device_weights = calloc(devices, sizeof *g->device_weights);
    if (!g->users || !g->devices || !g->device_weights)
        die("out of memory for %u devices", devices);

    unsigned first_count = sizeof FIRST_NAMES / sizeof FIRST_NAMES[0];
    unsigned last_count = sizeof LAST_NAMES / sizeof LAST_NAMES[0];
    for (unsigned i = 0; i < g->user_count; i++) {
        struct user *u = &g->users[i];
        unsigned round = i / (first_count * last_count);
        snprintf(u->name, sizeof u->name, round ? "%c.%s%u" : "%c.%s", FIRST_NAMES[i % first_count][0],
                 LAST_NAMES[i / first_count % last_count], round);
        snprintf(u->sid, sizeof u->sid, "%s-%u", DOMAIN_SID, 1100 + i);
    }

    /* The first 8% of devices are servers; the Zipf weights make them the busiest. */
    unsigned departments = sizeof DEPARTMENTS / sizeof DEPARTMENTS[0];
    for (unsigned i = 0; i < devices; i++) {
        struct device *d = &g->devices[i];
        const char *department = DEPARTMENTS[mix64(i) % departments];
        if (i < devices * 8 / 100)
            snprintf(d->name, sizeof d->name, "srv-%s-%02u%s", department, i, DOMAIN_SUFFIX);
        else
            snprintf(d->name, sizeof d->name, "%s-%s-%04u%s", department, i % 3 ? "wks" : "lt", i, DOMAIN_SUFFIX);
        hex_digest(d->id, 40, g->opt.seed ^ mix64(i + 1));
        d->user = (unsigned)(mix64(i ^ 0x5555) % g->user_count);
        d->variant = (unsigned)(mix64(i) % 3);
        d->report_id = 1000 + (long long)(mix64(i + 7) % 50000);
        d->unique_id = 2533274790390000LL + (long long)(mix64(i + 11) % 100000000);
    }
    zipf_cumulative(g->device_weights, devices, 0.6);
    zipf_cumulative(g->program_weights, CATALOG_SIZE, 1.1);
    for (size_t i = 0; i < CATALOG_SIZE; i++)
        catalog_index(catalog[i].parent);
}

static void set_identity(struct identity *id, const char *const fields[7])
{
    snprintf(id->tool, sizeof id->tool, "%s", fields[0]);
    snprintf(id->company, sizeof id->company, "%s", fields[1]);
    snprintf(id->product, sizeof id->product, "%s", fields[2]);
    snprintf(id->description, sizeof id->description, "%s", fields[3]);
    snprintf(id->original_file_name, sizeof id->original_file_name, "%s", fields[4]);
    snprintf(id->file_name, sizeof id->file_name, "%s", fields[5]);
    snprintf(id->folder, sizeof id->folder, "%s", fields[6]);
}

/* Reads TOOL, COMPANY, PRODUCT, DESCRIPTION, ORIGINAL_FILE_NAME, FILE_NAME and
 * FOLDER per line, tab-separated; lines starting with # are comments. */
static void load_identities(struct generator *g)
{
    static const char *const ammyy[7] = {"Ammyy", "Ammyy", "Ammyy Admin", "Ammyy Admin", "AA_v3.exe",
                                         "AA_v3.exe", "%U\\Downloads"};
    if (!g->opt.identities) {
        set_identity(&g->identities[0], ammyy);
        g->identity_count = 1;
        return;
    }
    FILE *f = fopen(g->opt.identities, "r");
    if (!f)
        die("cannot open the identity file %s: %s", g->opt.identities, strerror(errno));
    char line[1024];
    unsigned line_number = 0;
    while (fgets(line, sizeof line, f)) {
        line_number++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        const char *fields[7];
        unsigned count = 0;
        for (char *p = line; count < 7; count++) {
            fields[count] = p;
            char *tab = strchr(p, '\t');
            if (!tab) {
                count++;
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        if (count != 7)
            die("%s:%u: expected 7 tab-separated fields, found %u", g->opt.identities, line_number, count);
        if (g->identity_count == MAX_IDENTITIES)
            die("%s: more than %d identities", g->opt.identities, MAX_IDENTITIES);
        set_identity(&g->identities[g->identity_count++], fields);
    }
    fclose(f);
    g->ammyy = g->identity_count;
    for (unsigned i = 0; i < g->identity_count; i++)
        if (strcmp(g->identities[i].tool, "Ammyy") == 0)
            g->ammyy = i;
    if (g->ammyy == g->identity_count)
        die("%s: no line for the tool Ammyy, which the seed rule looks for", g->opt.identities);
}

/* Near misses: a tool's name inside a longer term, or a phrase broken by an
 * underscore. None of them satisfies both `has` tests of its tool's rule. */
static void setup_near_misses(struct generator *g)
{
    static const char *const rows[][7] = {
        {"near-miss", "XAmmyy Ltd", "XAmmyy Admin", "XAmmyy Admin", "XAmmyy.exe", "XAmmyy.exe", "%U\\Downloads"},
        {"near-miss", "Ammyy", "Ammyy Administrator", "Ammyy Administrator", "AmmyyAdm.exe", "AmmyyAdm.exe",
         "%U\\Downloads"},
        {"near-miss", "AmmyyGroup", "Ammyy Admin", "Ammyy Admin", "AA_v3.exe", "AA_v3.exe", "%U\\Downloads"},
        {"near-miss", "Ammyy_Tools", "Ammyy_Admin", "Ammyy_Admin", "ammyy_admin.exe", "ammyy_admin.exe",
         "C:\\Tools"},
        {"near-miss", "NotAmmyy Software", "NotAmmyy Admin", "NotAmmyy Admin", "notammyy.exe", "notammyy.exe",
         "C:\\Program Files\\NotAmmyy"},
        {"near-miss", "AnyDeskTop Software", "AnyDeskTop", "AnyDeskTop", "AnyDeskTop.exe", "AnyDeskTop.exe",
         "C:\\Program Files\\AnyDeskTop"},
        {"near-miss", "TeamViewerX GmbH", "TeamViewerX", "TeamViewerX", "TeamViewerX.exe", "TeamViewerX.exe",
         "C:\\Program Files\\TeamViewerX"},
        {"near-miss", "SplashtopCloud Inc", "SplashtopCloud", "SplashtopCloud", "stc.exe", "stc.exe",
         "C:\\Program Files\\SplashtopCloud"},
    };
    g->near_miss_count = sizeof rows / sizeof rows[0];
    for (unsigned i = 0; i < g->near_miss_count; i++)
        set_identity(&g->near_misses[i], rows[i]);
}

/* One process as it appears in a row: the created process or its parent. */
struct process_view {
    const char *file_name;
    const char *company;
    const char *product;
    const char *version;
    const char *description;
    const char *original_file_name;
    const char *internal_name;
    const char *parent_file_name;
    long file_size;
    enum account_kind account;
    uint64_t hash_key;
    char path[384];
    char command_line[FIELD_MAX];
};

static void view_program(struct generator *g, struct process_view *v, const struct program *p,
                         const char *profile, unsigned variant)
{
    char folder[320];
    expand_template(g, folder, sizeof folder, p->folder, profile, "");
    snprintf(v->path, sizeof v->path, "%s\\%s", folder, p->file_name);
    expand_template(g, v->command_line, sizeof v->command_line, p->command_line, profile, v->path);
    v->file_name = p->file_name;
    v->company = p->company;
    v->product = p->product;
    v->version = p->version;
    v->description = p->description;
    v->original_file_name = p->original_file_name;
    v->internal_name = p->internal_name;
    v->parent_file_name = p->parent;
    v->file_size = p->file_size;
    v->account = p->account;
    v->hash_key = hash_text(p->file_name, variant);
}

/* Fills v with an RMM tool or near miss started by the user from explorer.exe,
 * or, one time in three, as a service by services.exe. */
static int view_identity(struct generator *g, struct process_view *v, const struct identity *id,
                         const char *profile)
{
    char folder[320];
    bool service = random_below(g, 3) == 0;
    expand_template(g, folder, sizeof folder, id->folder, profile, "");
    snprintf(v->path, sizeof v->path, "%s\\%s", folder, id->file_name);
    snprintf(v->command_line, sizeof v->command_line, service ? "\"%s\" --service" : "\"%s\"", v->path);
    v->file_name = id->file_name;
    v->company = id->company;
    v->product = id->product;
    v->version = id->company[0] ? "3.10.0.0" : "";
    v->description = id->description;
    v->original_file_name = id->original_file_name;
    v->internal_name = id->original_file_name;
    v->file_size = 700000 + (long)(hash_text(id->tool, 1) % 9000000);
    v->account = service ? ACCOUNT_SYSTEM : ACCOUNT_USER;
    v->hash_key = hash_text(id->file_name, hash_text(id->tool, 2));
    return catalog_index(service ? "services.exe" : "explorer.exe");
}

/* Ammyy Admin as an attacker leaves it: one time in five a renamed copy, and one
 * time in ten with the version information in other letter case. */
static void disguise_ammyy(struct generator *g, struct process_view *v, const char *profile)
{
    unsigned r = random_below(g, 10);
    if (r < 2) {
        v->file_name = "support_tool.exe";
        snprintf(v->path, sizeof v->path, "%s\\AppData\\Local\\Temp\\support_tool.exe", profile);
        snprintf(v->command_line, sizeof v->command_line, "\"%s\" -connect", v->path);
    } else if (r == 2) {
        v->company = "AMMYY";
        v->product = "ammyy admin";
    }
}

static struct account account_for(enum account_kind kind, const struct user *u, long long logon_id)
{
    struct account a = {"nt authority", "system", "S-1-5-18", 999, "System", "TokenElevationTypeDefault", 0};
    if (kind == ACCOUNT_NETWORK_SERVICE) {
        a.name = "network service";
        a.sid = "S-1-5-20";
        a.logon_id = 996;
    } else if (kind == ACCOUNT_LOCAL_SERVICE) {
        a.name = "local service";
        a.sid = "S-1-5-19";
        a.logon_id = 997;
    } else if (kind == ACCOUNT_USER) {
        a.domain = NETBIOS_DOMAIN;
        a.name = u->name;
        a.sid = u->sid;
        a.logon_id = logon_id;
        a.integrity = "Medium";
        a.elevation = "TokenElevationTypeLimited";
        a.session = 1;
    }
    return a;
}

static void put_hashes(struct generator *g, uint64_t key)
{
    char sha1[41], sha256[65], md5[33];
    hex_digest(sha1, 40, key);
    hex_digest(sha256, 64, key ^ 0x256);
    hex_digest(md5, 32, key ^ 0x5);
    put_field(g, sha1, false);
    put_field(g, sha256, false);
    put_field(g, md5, false);
}

static void put_version_info(struct generator *g, const struct process_view *v)
{
    put_field(g, v->company, false);
    put_field(g, v->product, false);
    put_field(g, v->version, false);
    put_field(g, v->internal_name, false);
    put_field(g, v->original_file_name, false);
    put_field(g, v->description, false);
}

static void put_account(struct generator *g, const struct account *a, bool with_integrity)
{
    put_field(g, a->domain, false);
    put_field(g, a->name, false);
    put_field(g, a->sid, false);
    put_number(g, a->logon_id);
    if (with_integrity) {
        put_field(g, a->integrity, false);
        put_field(g, a->elevation, false);
    }
}

static const char *signer_type(const char *product)
{
    if (strstr(product, "Windows\xc2\xae Operating System"))
        return "OsVendor";
    return strncmp(product, "Microsoft", 9) == 0 ? "Microsoft" : "ThirdParty";
}

struct row_counts {
    uint64_t rmm;
    uint64_t ammyy;
    uint64_t near_misses;
};

/* Picks the created process of one row: a catalog program, an RMM tool or a near
 * miss. Returns the catalog index of its parent. */
static int pick_process(struct generator *g, struct process_view *v, const struct device *d, const char *profile,
                        struct row_counts *counts)
{
    unsigned draw = random_below(g, 1000000);
    if (draw < g->opt.rmm_per_million) {
        /* A quarter of the tool rows are Ammyy Admin, so the seed rule has hits at any size. */
        unsigned pick = random_below(g, 4) == 0 ? g->ammyy : random_below(g, g->identity_count);
        int parent = view_identity(g, v, &g->identities[pick], profile);
        counts->rmm++;
        if (pick == g->ammyy) {
            counts->ammyy++;
            disguise_ammyy(g, v, profile);
        }
        return parent;
    }
    if (draw < g->opt.rmm_per_million + g->opt.near_per_million) {
        counts->near_misses++;
        return view_identity(g, v, &g->near_misses[random_below(g, g->near_miss_count)], profile);
    }
    const struct program *p = &catalog[zipf_pick(g, g->program_weights, CATALOG_SIZE)];
    view_program(g, v, p, profile, d->variant);
    if (strcmp(p->file_name, "powershell.exe") == 0 && random_below(g, 50) == 0)
        snprintf(v->command_line, sizeof v->command_line,
                 "powershell.exe -NoProfile -Command \"Get-Service | Where-Object { $_.Status -eq 'Running' },\n"
                 "  Select-Object -First %u\"", random_below(g, 100));
    return catalog_index(p->parent);
}

static void write_row(struct generator *g, uint64_t index, struct row_counts *counts)
{
    uint64_t span = (uint64_t)g->opt.days * 86400;
    long long timestamp = g->opt.end - (long long)(index * span / g->opt.rows);
    struct device *d = &g->devices[zipf_pick(g, g->device_weights, g->opt.devices)];
    const struct user *u = &g->users[random_below(g, 10) == 0 ? random_below(g, g->user_count) : d->user];
    char profile[64];
    snprintf(profile, sizeof profile, "C:\\Users\\%s", u->name);
    long long logon_id = 100000 + (long long)(hash_text(u->name, (uint64_t)(d - g->devices)) % 90000000);

    struct process_view created, parent;
    int parent_index = pick_process(g, &created, d, profile, counts);
    view_program(g, &parent, &catalog[parent_index], profile, d->variant);
    struct account account = account_for(created.account, u, logon_id);
    struct account parent_account = account_for(parent.account, u, logon_id);

    char now[64], parent_started[64], grandparent_started[64];
    long long parent_age = 1 + random_below(g, 8 * 3600);
    portal_datetime(now, sizeof now, timestamp);
    portal_datetime(parent_started, sizeof parent_started, timestamp - parent_age);
    if (random_below(g, 30) == 0)
        snprintf(grandparent_started, sizeof grandparent_started, "Invalid date");
    else
        portal_datetime(grandparent_started, sizeof grandparent_started,
                        timestamp - parent_age - random_below(g, 86400));

    put_field(g, now, false);
    put_field(g, d->id, false);
    put_field(g, d->name, false);
    put_field(g, "ProcessCreated", false);
    put_field(g, created.file_name, false);
    put_field(g, created.path, false);
    put_hashes(g, created.hash_key);
    put_number(g, created.file_size);
    put_version_info(g, &created);
    put_number(g, 4 * (1 + random_below(g, 12000)));
    put_field(g, created.command_line, false);
    put_field(g, account.integrity, false);
    put_field(g, account.elevation, false);
    put_field(g, now, false);
    put_account(g, &account, false);
    put_account(g, &parent_account, true);
    put_hashes(g, parent.hash_key);
    put_field(g, parent.file_name, false);
    put_number(g, parent.file_size);
    put_version_info(g, &parent);
    put_number(g, 4 * (1 + random_below(g, 12000)));
    put_field(g, parent.command_line, false);
    put_field(g, parent_started, false);
    ascii_lower(parent.path);
    put_field(g, parent.path, false);
    put_number(g, 4 * (1 + random_below(g, 12000)));
    put_field(g, parent.parent_file_name, false);
    put_field(g, grandparent_started, false);
    put_field(g, signer_type(parent.product), false);
    put_field(g, "Valid", false);
    put_number(g, d->report_id++);
    put_field(g, random_below(g, 5) == 0 ? "{\"DesktopName\":\"WinSta0\\\\Default\"}" : "", false);
    put_number(g, parent_account.session);
    put_field(g, "0", false);
    put_number(g, account.session);
    put_field(g, "0", false);
    put_number(g, d->unique_id);
    char parent_unique_id[24];
    snprintf(parent_unique_id, sizeof parent_unique_id, "%lld", d->unique_id - 1 - random_below(g, 400));
    put_field(g, parent_unique_id, true);
    d->unique_id += 1 + random_below(g, 3);
}

static const char USAGE[] =
    "Usage: gen [options] ROWS OUTPUT\n"
    "Writes ROWS DeviceProcessEvents rows as a Defender portal CSV export to OUTPUT (- for stdout).\n"
    "\n"
    "Options:\n"
    "  --seed N                  random seed (default 1); the same seed gives the same file\n"
    "  --devices N               devices in the fleet (default 5000)\n"
    "  --days N                  days the rows cover, ending at --end (default 8)\n"
    "  --end DATETIME            time of the newest row, YYYY-MM-DDTHH:MM:SSZ (default 2026-12-01T00:00:00Z)\n"
    "  --rmm-per-million N       rows per million that are RMM tools (default 500)\n"
    "  --near-miss-per-million N rows per million that are near misses such as XAmmyy (default 250)\n"
    "  --identities FILE         RMM tool identities, one per line: TOOL, COMPANY, PRODUCT, DESCRIPTION,\n"
    "                            ORIGINAL_FILE_NAME, FILE_NAME, FOLDER separated by tabs\n"
    "                            (default: Ammyy Admin only)\n";

static uint64_t parse_count(const char *text, const char *option, uint64_t min, uint64_t max)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || value < min || value > max)
        die("invalid %s '%s': expected a whole number from %" PRIu64 " to %" PRIu64, option, text, min, max);
    return value;
}

static long long parse_end(const char *text)
{
    int year, month, day, hour, minute, second;
    char zone;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%c", &year, &month, &day, &hour, &minute, &second, &zone) != 7 ||
        zone != 'Z' || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
        die("invalid --end '%s': expected a UTC datetime such as 2026-12-01T00:00:00Z", text);
    /* Days since 1970-01-01 from a civil date (proleptic Gregorian calendar). */
    long long y = year - (month <= 2);
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long long days = era * 146097 + doe - 719468;
    return days * 86400 + hour * 3600 + minute * 60 + second;
}

static struct options parse_options(int argc, char **argv)
{
    struct options opt = {0, NULL, 1, 5000, 8, 0, 500, 250, NULL};
    opt.end = parse_end("2026-12-01T00:00:00Z");
    const char *positional[2];
    int count = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(USAGE, stdout);
            exit(0);
        }
        if (strncmp(arg, "--", 2) != 0 || strcmp(arg, "-") == 0) {
            if (count == 2)
                die("unexpected argument '%s'; run gen --help", arg);
            positional[count++] = arg;
            continue;
        }
        if (i + 1 == argc)
            die("option %s needs a value; run gen --help", arg);
        const char *value = argv[++i];
        if (strcmp(arg, "--seed") == 0)
            opt.seed = parse_count(value, arg, 0, UINT64_MAX);
        else if (strcmp(arg, "--devices") == 0)
            opt.devices = (unsigned)parse_count(value, arg, 1, 10000000);
        else if (strcmp(arg, "--days") == 0)
            opt.days = (unsigned)parse_count(value, arg, 1, 366);
        else if (strcmp(arg, "--end") == 0)
            opt.end = parse_end(value);
        else if (strcmp(arg, "--rmm-per-million") == 0)
            opt.rmm_per_million = (unsigned)parse_count(value, arg, 0, 500000);
        else if (strcmp(arg, "--near-miss-per-million") == 0)
            opt.near_per_million = (unsigned)parse_count(value, arg, 0, 500000);
        else if (strcmp(arg, "--identities") == 0)
            opt.identities = value;
        else
            die("unknown option %s; run gen --help", arg);
    }
    if (count != 2)
        die("expected ROWS and OUTPUT; run gen --help");
    opt.rows = parse_count(positional[0], "ROWS", 1, 10000000000ULL);
    opt.output = positional[1];
    return opt;
}

int main(int argc, char **argv)
{
    struct generator g = {.opt = parse_options(argc, argv)};
    g.state = mix64(g.opt.seed);
    setup_fleet(&g);
    load_identities(&g);
    setup_near_misses(&g);

    bool to_stdout = strcmp(g.opt.output, "-") == 0;
    g.file = to_stdout ? stdout : fopen(g.opt.output, "wb");
    if (!g.file)
        die("cannot create %s: %s", g.opt.output, strerror(errno));
    g.buffer = malloc(OUTPUT_BUFFER);
    if (!g.buffer)
        die("out of memory for the output buffer");

    put_bytes(&g, "\xef\xbb\xbf", 3);
    put_bytes(&g, HEADER, strlen(HEADER));
    put_bytes(&g, "\r\n", 2);
    struct row_counts counts = {0, 0, 0};
    for (uint64_t i = 0; i < g.opt.rows; i++)
        write_row(&g, i, &counts);
    flush_output(&g);
    if (!to_stdout && fclose(g.file) != 0)
        die("cannot write %s: %s", g.opt.output, strerror(errno));

    fprintf(stderr, "gen: %" PRIu64 " rows, %" PRIu64 " bytes, %u devices, %" PRIu64 " RMM tool rows (%" PRIu64
            " Ammyy Admin), %" PRIu64 " near misses\n", g.opt.rows, g.bytes, g.opt.devices, counts.rmm,
            counts.ammyy, counts.near_misses);
    free(g.buffer);
    free(g.devices);
    free(g.users);
    free(g.device_weights);
    return 0;
}
