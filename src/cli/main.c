/* kqlite: run Sentinel and Defender KQL rules over local endpoint telemetry. */
#include "cli/cli.h"

#include <malloc.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#define KQLITE_VERSION "0.1.0"

static void print_help(FILE *out)
{
    fputs("kqlite " KQLITE_VERSION " - run Microsoft Sentinel / Defender KQL hunting rules over local logs\n"
          "\n"
          "Usage:\n"
          "  kqlite query [options] QUERY DATA...      run one KQL query\n"
          "  kqlite hunt [--rules PATH]... [options] DATA...\n"
          "                                           run a rule pack (default: the bundled RMM pack)\n"
          "  kqlite rules [--format table|jsonl] PATH...\n"
          "                                           check rule files without data (a linter)\n"
          "  kqlite watch [--rules PATH]... --state DIR [options] DATA...\n"
          "                                           follow growing logs and run rules on their schedule\n"
          "  kqlite tables [DATA...]                  list built-in or loaded tables and their columns\n"
          "  kqlite ingest DATA... -o STORE           write DATA's tables to an on-disk store (appends)\n"
          "  kqlite functions [--markdown]            list the supported functions and aggregates\n"
          "\n"
          "DATA is a file or folder (format and table detected from the content) or TABLE=PATH.\n"
          "Inputs: Defender advanced-hunting CSV/JSON exports, Log Analytics CSV exports,\n"
          "Defender streaming-API records, Windows event logs (.evtx, or Sysmon/Security events\n"
          "as JSON in NXLog or evtx_dump form).\n"
          "\n"
          "Run 'kqlite help COMMAND' or 'kqlite COMMAND --help' for a command's options. The flags\n"
          "-q/--quiet, --strict, --csv-safe, --all-columns, --wide and --threads N may also come\n"
          "before COMMAND.\n"
          "Exit status: 0 run completed (with or without hits), 2 usage error, 3 a rule or input failed.\n",
          out);
}

/*
 * Returns how many arguments a flag written before the command name takes up
 * (1, or 2 for a flag with a value), or 0 when arg is not such a flag. These
 * are the flags every data-reading command takes.
 */
static int leading_flag_width(const char *arg)
{
    static const char *const flags[] = {"-q", "--quiet", "--strict", "--csv-safe", "--all-columns", "--wide"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strcmp(arg, flags[i]) == 0)
            return 1;
    if (strcmp(arg, "--threads") == 0)
        return 2;
    return strncmp(arg, "--threads=", 10) == 0 ? 1 : 0;
}

/*
 * Moves flags written before the command name to just after it, so that
 * "kqlite -q hunt ..." means "kqlite hunt -q ...". Changes argv in place.
 */
static void move_leading_flags(int argc, char **argv)
{
    int nflags = 1, width;
    while (nflags < argc && (width = leading_flag_width(argv[nflags])) > 0)
        nflags += width;
    if (nflags == 1 || nflags >= argc)
        return;
    char *command = argv[nflags];
    memmove(argv + 2, argv + 1, (size_t)(nflags - 1) * sizeof *argv);
    argv[1] = command;
}

/* "kqlite help COMMAND" prints the command's own help, as "kqlite COMMAND --help" does. */
static int help_for(const char *command, int (*run)(int, char **))
{
    char *args[] = {(char *)command, "--help", NULL};
    return run(2, args);
}

typedef struct command_entry {
    const char *name;
    int (*run)(int argc, char **argv);
} command_entry;

static const command_entry commands[] = {
    {"query", kq_cmd_query}, {"hunt", kq_cmd_hunt},     {"rules", kq_cmd_rules},         {"tables", kq_cmd_tables},
    {"watch", kq_cmd_watch}, {"ingest", kq_cmd_ingest}, {"functions", kq_cmd_functions},
};

static const command_entry *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

/*
 * Keeps freed memory in the process for the next allocations. A load frees
 * its batches, CSV pieces and staged cells as it goes. By default glibc maps
 * blocks above 128 KiB (a bound it raises only after such a block is freed)
 * and returns them to the kernel on free, so each new block faulted its pages
 * in again. The seed rule over 10 M rows took 600,000 minor faults and 1.5 s
 * more kernel time than with these settings, which leave 8,300 faults.
 */
static void keep_freed_memory(void)
{
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
}

int main(int argc, char **argv)
{
    keep_freed_memory();
    move_leading_flags(argc, argv);
    if (argc < 2) {
        print_help(stderr);
        return KQ_EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "help") == 0 && argc > 2) {
        const command_entry *entry = find_command(argv[2]);
        if (entry)
            return help_for(entry->name, entry->run);
        fprintf(stderr, "kqlite: unknown command '%s'\nRun 'kqlite --help' for the commands.\n", argv[2]);
        return KQ_EXIT_USAGE;
    }
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 || strcmp(command, "help") == 0) {
        print_help(stdout);
        return KQ_EXIT_OK;
    }
    if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0) {
        puts("kqlite " KQLITE_VERSION);
        return KQ_EXIT_OK;
    }
    const command_entry *entry = find_command(command);
    if (entry)
        return entry->run(argc - 1, argv + 1);
    fprintf(stderr, "kqlite: unknown command '%s'\nRun 'kqlite --help' for the commands.\n", command);
    return KQ_EXIT_USAGE;
}
