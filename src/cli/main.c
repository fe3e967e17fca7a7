/* kqlite: run Sentinel and Defender KQL rules over local endpoint telemetry. */
#include "cli/cli.h"

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
          "Run 'kqlite COMMAND --help' for a command's options. The flags -q/--quiet, --strict,\n"
          "--csv-safe, --all-columns and --wide may also come before COMMAND.\n"
          "Exit status: 0 run completed (with or without hits), 2 usage error, 3 a rule or input failed.\n",
          out);
}

/* Flags every data-reading command takes, also accepted before the command name. */
static bool is_leading_flag(const char *arg)
{
    static const char *const flags[] = {"-q", "--quiet", "--strict", "--csv-safe", "--all-columns", "--wide"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strcmp(arg, flags[i]) == 0)
            return true;
    return false;
}

/*
 * Moves flags written before the command name to just after it, so that
 * "kqlite -q hunt ..." means "kqlite hunt -q ...". Changes argv in place.
 */
static void move_leading_flags(int argc, char **argv)
{
    int nflags = 1;
    while (nflags < argc && is_leading_flag(argv[nflags]))
        nflags++;
    if (nflags == 1 || nflags == argc)
        return;
    char *command = argv[nflags];
    memmove(argv + 2, argv + 1, (size_t)(nflags - 1) * sizeof *argv);
    argv[1] = command;
}

int main(int argc, char **argv)
{
    move_leading_flags(argc, argv);
    if (argc < 2) {
        print_help(stderr);
        return KQ_EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 || strcmp(command, "help") == 0) {
        print_help(stdout);
        return KQ_EXIT_OK;
    }
    if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0) {
        puts("kqlite " KQLITE_VERSION);
        return KQ_EXIT_OK;
    }
    if (strcmp(command, "query") == 0)
        return kq_cmd_query(argc - 1, argv + 1);
    if (strcmp(command, "hunt") == 0)
        return kq_cmd_hunt(argc - 1, argv + 1);
    if (strcmp(command, "rules") == 0)
        return kq_cmd_rules(argc - 1, argv + 1);
    if (strcmp(command, "tables") == 0)
        return kq_cmd_tables(argc - 1, argv + 1);
    if (strcmp(command, "watch") == 0)
        return kq_cmd_watch(argc - 1, argv + 1);
    if (strcmp(command, "ingest") == 0)
        return kq_cmd_ingest(argc - 1, argv + 1);
    if (strcmp(command, "functions") == 0)
        return kq_cmd_functions(argc - 1, argv + 1);
    fprintf(stderr, "kqlite: unknown command '%s'\nRun 'kqlite --help' for the commands.\n", command);
    return KQ_EXIT_USAGE;
}
