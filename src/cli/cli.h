/* Command-line tool: shared helpers of the subcommands. */
#ifndef KQ_CLI_CLI_H
#define KQ_CLI_CLI_H

#include "base/diag.h"
#include "output/output.h"
#include "sources/source.h"

#include <stdbool.h>
#include <stdint.h>

/* Exit codes: the contract scripts rely on. */
enum {
    KQ_EXIT_OK = 0,       /* the run completed, with or without hits */
    KQ_EXIT_USAGE = 2,    /* bad command line */
    KQ_EXIT_FAILED = 3,   /* a rule or an input failed; everything else was still reported */
};

/* Options shared by query and hunt. */
typedef struct kq_cli_common {
    int64_t now;
    bool now_set;
    kq_format format;
    const char *timezone;
    bool quiet;           /* no per-file load report on stderr */
    int max_width;        /* table cell width limit; 0 = none */
    uint64_t max_memory;  /* --max-memory in bytes; 0 = the default (half of physical memory) */
    bool strict;          /* --strict: a skipped record or file, or an unconverted value, fails the run */
    bool csv_safe;        /* --csv-safe: quote CSV cells that spreadsheets would run as formulas */
    bool all_columns;     /* --all-columns: load every column, also those no query reads */
    int threads;          /* --threads or KQLITE_THREADS; 0 = one per online CPU */
    const char *invalid_threads_env; /* an invalid KQLITE_THREADS, an error unless --threads is given */
    const struct kq_column_use *column_use; /* load only these columns (NULL: all) */
    struct kq_sieve *sieve; /* drops rows no query reads while loading (NULL: none; exec/sieve.h) */
    const char *store;    /* --store: read tables from this store (kqlite ingest) instead of DATA */
    bool timer;           /* --timer: print how long each step took to stderr */
    double started;       /* monotonic seconds when the command started, for --timer */
} kq_cli_common;

/* With --timer, prints "kqlite: timer: " and the formatted text to stderr. */
void kq_cli_timer(const kq_cli_common *common, const char *format, ...) __attribute__((format(printf, 2, 3)));

/*
 * Parses an option shared by query and hunt at argv[*index]. Returns 1 when it
 * consumed the option (and its value), 0 when the option is not a shared one,
 * -1 after printing a usage error.
 */
int kq_cli_common_option(kq_cli_common *common, int argc, char **argv, int *index);
/* Sets the defaults and reads KQLITE_THREADS (an invalid value is reported by kq_cli_common_check). */
int kq_cli_common_init(kq_cli_common *common, const char *command);
/*
 * Checks the shared options once the command line is parsed, with ndata DATA
 * arguments. An invalid KQLITE_THREADS is a usage error unless --threads
 * replaced it, and so is --store with DATA. Returns -1 after printing the error.
 */
int kq_cli_common_check(const kq_cli_common *common, const char *command, int ndata);

/*
 * Works out which columns the queries read by compiling them against the
 * built-in schemas, so that kq_cli_load_data skips the rest, and sets
 * common->sieve when the queries read some table only through where clauses.
 * Returns NULL (load every column and row) with --all-columns or --strict,
 * because every value is then converted and checked. Also returns NULL when
 * a query does not compile that way (it reads a table or column only the
 * data defines), or calls column_ifexists for a column outside the built-in
 * schema.
 */
struct kq_column_use *kq_cli_plan_columns(kq_cli_common *common, const kq_source *const *sources, size_t count);
/* Frees what kq_cli_plan_columns made, once the data is loaded; use may be NULL. */
void kq_cli_free_columns(kq_cli_common *common, struct kq_column_use *use);

/*
 * Loads every data argument, or with --store the store's tables; prints the per-file report to stderr. Returns false
 * when any input failed, and with --strict also when a record or file was
 * skipped or a value did not convert (a line on stderr names the cause).
 */
bool kq_cli_load_data(kq_catalog *catalog, char **arguments, int count, const kq_cli_common *common);

/* Prints diagnostics to stderr with control characters from rule and query text escaped. */
void kq_cli_print_diags(const kq_diags *diags);
/* Help lines for --max-memory, --strict and --csv-safe, which query and hunt share. */
extern const char kq_cli_limit_options_help[];
void kq_cli_usage_error(const char *command, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Reads a whole file for --query-file; prints an error and returns NULL on failure. */
char *kq_cli_read_text(const char *path);
/* Folder of the bundled rule pack, or NULL when it cannot be found. */
const char *kq_cli_bundled_rules(void);

int kq_cmd_query(int argc, char **argv);
int kq_cmd_hunt(int argc, char **argv);
int kq_cmd_rules(int argc, char **argv);
int kq_cmd_tables(int argc, char **argv);
int kq_cmd_functions(int argc, char **argv);
int kq_cmd_ingest(int argc, char **argv);
int kq_cmd_watch(int argc, char **argv);

#endif
