/*
 * kqlite watch: follow growing log files and run each rule on its schedule,
 * as Microsoft Sentinel runs scheduled analytics rules, emitting each alert
 * once. docs/tuning.md describes the schedule, the state folder and the
 * exactly-once guarantee of --output.
 */
#include "cli/cli.h"
#include "cli/watch_follow.h"

#include "base/util.h"
#include "kql/compile.h"
#include "rules/scheduled_run.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int signal_number)
{
    stop_signal = signal_number;
}

static void print_help(FILE *out)
{
    fputs("Usage: kqlite watch [--rules PATH]... --state DIR [options] DATA...\n"
          "\n"
          "Follows DATA (files, and new files in folders) as they grow, runs each rule every\n"
          "queryFrequency over the rows of its queryPeriod, and writes each alert once as a\n"
          "SecurityAlert-shaped JSON line. Runs fall on multiples of queryFrequency since\n"
          "1970-01-01T00:00:00Z; a restart runs the ones it missed. Stop it with SIGINT or SIGTERM.\n"
          "\n"
          "Options:\n"
          "  --rules PATH          a rule file or folder (repeatable; default: the bundled pack)\n"
          "  --state DIR           folder for the run state (required); created when missing\n"
          "  --exclusions FILE     suppress known false positives listed in a YAML file (repeatable)\n"
          "  --output FILE         append alerts to FILE instead of standard output; after a crash\n"
          "                        the alerts of an unfinished run are removed and written again,\n"
          "                        so FILE holds each alert exactly once\n"
          "  --interval SECONDS    time between polls of the files (default 10; fractions allowed)\n"
          "  --now DATETIME        start the clock at DATETIME instead of the current time\n"
          "  --clock-step DURATION advance the clock by DURATION (e.g. 1h) per poll instead of with\n"
          "                        real time: replays a stored week in seconds\n"
          "  --until DATETIME      stop once the clock reaches DATETIME\n"
          "  --once                poll once, make the runs due, and stop\n"
          "  --timezone ZONE       zone of datetimes written without one (default UTC)\n"
          "  -q, --quiet           log only starts, stops and errors\n",
          out);
}

typedef struct watch_options {
    char **rule_paths, **exclusion_paths, **data;
    int nrule_paths, nexclusion_paths, ndata;
    const char *state_dir, *output_path, *timezone;
    double interval;
    bool now_set, until_set, once, quiet;
    int64_t start, until, clock_step;
} watch_options;

typedef struct watched_rule {
    const kq_rule *rule;
    kq_query *query;            /* compiled against the current tables; NULL when it does not compile */
    kq_schedule schedule;
    bool schedule_ok;
    bool error_logged;
} watched_rule;

typedef struct watch_session {
    watch_options *options;
    FILE *log;
    kq_rule_set rules;
    watched_rule *watched;
    kq_exclusion_set exclusions;
    kq_schedule_state state;
    kq_catalog *catalog;
    FILE *output;
    uint64_t runs, alerts, failures;
} watch_session;

/* Writes one log line with the wall-clock time. */
#define log_time(session, ...) kq_watch_log((session)->log, __VA_ARGS__)

static const char *rule_label(const kq_rule *rule)
{
    return rule->name ? rule->name : rule->file;
}

/* Compiles every rule against the current tables; logs a rule's errors once until it compiles again. */
static void compile_rules(watch_session *session)
{
    for (size_t i = 0; i < session->rules.count; i++) {
        watched_rule *watched = &session->watched[i];
        kq_query_free(watched->query);
        kq_diags diags;
        kq_diags_init(&diags);
        watched->query = kq_compile(&watched->rule->query_source, session->catalog, &diags);
        if (!watched->query && !watched->error_logged) {
            log_time(session, "rule '%s' (%s): error: the query does not compile; the rule does not run:",
                     rule_label(watched->rule), watched->rule->file);
            kq_cli_print_diags(&diags);
            watched->error_logged = true;
        }
        if (watched->query)
            watched->error_logged = false;
        kq_diags_free(&diags);
    }
}

/* Loads every record read so far into a fresh catalog and recompiles the rules. */
static void reload(watch_session *session, kq_follower *follower)
{
    kq_catalog *catalog = kq_catalog_new();
    kq_load_options load_options = {.timezone = session->options->timezone};
    kq_follower_load(follower, catalog, &load_options);
    kq_catalog_free(session->catalog);
    session->catalog = catalog;
    compile_rules(session);
}

/* Writes a run's alerts and records the run; returns false when the output or the state cannot be written. */
static bool commit_run(watch_session *session, kq_rule_state *state, int64_t t, const kq_alert_list *alerts)
{
    for (size_t i = 0; i < alerts->count; i++) {
        fputs(alerts->items[i].json, session->output);
        fputc('\n', session->output);
    }
    /* Output first, state second: a crash in between makes the next start cut the output back. */
    if (fflush(session->output) != 0 || (session->options->output_path && fsync(fileno(session->output)) != 0)) {
        log_time(session, "error: writing the alerts failed: %s", strerror(errno));
        return false;
    }
    if (session->options->output_path)
        session->state.output_bytes = (uint64_t)ftello(session->output);
    state->has_run = true;
    state->last_run = t;
    if (alerts->count) {
        state->has_alert = true;
        state->last_alert = t;
    }
    char *error = NULL;
    if (!kq_schedule_state_save(&session->state, &error)) {
        log_time(session, "error: saving the state failed: %s", error);
        free(error);
        return false;
    }
    return true;
}

/* Runs a rule once at instant t. Returns false when watch must stop (output or state not writable). */
static bool run_once(watch_session *session, watched_rule *watched, kq_rule_state *state, int64_t t)
{
    const kq_rule *rule = watched->rule;
    const kq_exclusion **entries = kq_xcalloc(session->exclusions.count + 1, sizeof *entries);
    size_t nentries = 0;
    for (size_t e = 0; e < session->exclusions.count; e++)
        if (kq_exclusion_matches_rule(&session->exclusions.items[e], rule) &&
            !kq_exclusion_expired(&session->exclusions.items[e], t))
            entries[nentries++] = &session->exclusions.items[e];
    uint64_t *suppressed = kq_xcalloc(nentries + 1, sizeof *suppressed);
    kq_scheduled_rule scheduled = {.rule = rule, .query = watched->query, .schedule = watched->schedule,
                                   .entries = entries, .nentries = nentries, .suppressed = suppressed};
    kq_alert_list alerts = {0};
    char stamp[32];
    kq_datetime_format(t, stamp);
    kq_run_decision decision = kq_scheduled_decide(&watched->schedule, state, t);
    if (decision == KQ_RUN_DUE) {
        kq_diags diags;
        kq_diags_init(&diags);
        kq_window_stats stats;
        if (!kq_scheduled_run(&scheduled, session->catalog, t, &alerts, &stats, &diags)) {
            log_time(session, "rule '%s' (%s): error: the run at %s failed and is skipped:", rule_label(rule),
                     rule->file, stamp);
            kq_cli_print_diags(&diags);
            session->failures++;
        }
        kq_diags_free(&diags);
        session->runs++;
    }
    uint64_t total_suppressed = 0;
    for (size_t e = 0; e < nentries; e++)
        total_suppressed += suppressed[e];
    if (!session->options->quiet && (alerts.count || total_suppressed))
        log_time(session, "rule '%s': run at %s: %zu alert%s, %llu row%s suppressed by exclusions", rule_label(rule),
                 stamp, alerts.count, alerts.count == 1 ? "" : "s", (unsigned long long)total_suppressed,
                 total_suppressed == 1 ? "" : "s");
    session->alerts += alerts.count;
    bool ok = commit_run(session, state, t, &alerts);
    kq_alert_list_free(&alerts);
    free(suppressed);
    free(entries);
    return ok;
}

/* Makes every run of one rule that is due at clock instant now, oldest first. */
static bool run_due(watch_session *session, watched_rule *watched, int64_t now)
{
    if (!watched->schedule_ok || !watched->query)
        return true;
    kq_rule_state *state = kq_schedule_state_rule(&session->state, kq_scheduled_rule_key(watched->rule));
    int64_t next = state->has_run
                       ? kq_schedule_run_at_or_before(&watched->schedule, state->last_run) + watched->schedule.frequency
                       : kq_schedule_run_at_or_before(&watched->schedule, now);
    for (; next <= now && !stop_signal; next += watched->schedule.frequency)
        if (!run_once(session, watched, state, next))
            return false;
    return true;
}

/* The clock: --now plus --clock-step per poll, --now plus elapsed time, or the system time. */
static int64_t clock_now(const watch_options *options, uint64_t cycle, const struct timespec *started)
{
    struct timespec now;
    if (options->now_set && options->clock_step)
        return options->start + (int64_t)cycle * options->clock_step;
    if (options->now_set) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t elapsed = (int64_t)(now.tv_sec - started->tv_sec) * KQ_TICKS_PER_SECOND +
                          (now.tv_nsec - started->tv_nsec) / 100;
        return options->start + elapsed;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    return KQ_UNIX_EPOCH_TICKS + (int64_t)now.tv_sec * KQ_TICKS_PER_SECOND + now.tv_nsec / 100;
}

static void sleep_interval(double seconds)
{
    struct timespec pause = {.tv_sec = (time_t)seconds,
                             .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (!stop_signal && nanosleep(&pause, &pause) != 0 && errno == EINTR)
        ;
}

/* Polls, runs and sleeps until a signal, --until or --once ends the loop. Returns false on a fatal error. */
static bool watch_loop(watch_session *session, kq_follower *follower)
{
    struct timespec started;
    clock_gettime(CLOCK_MONOTONIC, &started);
    for (uint64_t cycle = 0; !stop_signal; cycle++) {
        int64_t now = clock_now(session->options, cycle, &started);
        if (session->options->until_set && now > session->options->until)
            now = session->options->until;
        if (kq_follower_poll(follower) || cycle == 0)
            reload(session, follower);
        for (size_t i = 0; i < session->rules.count && !stop_signal; i++)
            if (!run_due(session, &session->watched[i], now))
                return false;
        if (session->options->once || (session->options->until_set && now >= session->options->until))
            break;
        sleep_interval(session->options->interval);
    }
    return true;
}

/*
 * Opens the alerts output. With --output, a file longer than the state
 * records holds the alerts of a run that did not finish: it is cut back, and
 * the run is made again.
 */
static bool open_output(watch_session *session)
{
    const char *path = session->options->output_path;
    if (!path) {
        session->output = stdout;
        free(session->state.output_path);
        session->state.output_path = NULL;
        return true;
    }
    struct stat info;
    bool same = session->state.output_path && strcmp(session->state.output_path, path) == 0;
    if (same && stat(path, &info) == 0 && (uint64_t)info.st_size > session->state.output_bytes) {
        log_time(session, "%s: removing %llu bytes of alerts written by an unfinished run; the run is made again",
                 path, (unsigned long long)((uint64_t)info.st_size - session->state.output_bytes));
        if (truncate(path, (off_t)session->state.output_bytes) != 0) {
            log_time(session, "error: cannot cut back %s: %s", path, strerror(errno));
            return false;
        }
    } else if (same && stat(path, &info) == 0 && (uint64_t)info.st_size < session->state.output_bytes) {
        log_time(session, "warning: %s is shorter than the state records (%llu bytes); it was cut or replaced, "
                 "new alerts are appended", path, (unsigned long long)session->state.output_bytes);
    }
    session->output = fopen(path, "a");
    if (!session->output) {
        log_time(session, "error: cannot open %s: %s", path, strerror(errno));
        return false;
    }
    free(session->state.output_path);
    session->state.output_path = kq_xstrdup(path);
    session->state.output_bytes = (uint64_t)ftello(session->output);
    return true;
}

/* Loads rules and exclusions and reads each rule's schedule; returns false when nothing can run. */
static bool load_rules(watch_session *session)
{
    watch_options *options = session->options;
    kq_diags diags;
    kq_diags_init(&diags);
    for (int i = 0; i < options->nrule_paths; i++)
        kq_rules_load_path(options->rule_paths[i], &session->rules, &diags);
    bool exclusions_ok = true;
    for (int i = 0; i < options->nexclusion_paths; i++)
        exclusions_ok &= kq_exclusions_load_file(options->exclusion_paths[i], &session->exclusions, &diags);
    kq_cli_print_diags(&diags);
    kq_diags_free(&diags);
    if (!exclusions_ok) {
        log_time(session, "error: the exclusions file has errors; fix them, then start again");
        return false;
    }
    session->watched = kq_xcalloc(session->rules.count + 1, sizeof *session->watched);
    for (size_t i = 0; i < session->rules.count; i++) {
        watched_rule *watched = &session->watched[i];
        watched->rule = session->rules.rules[i];
        char *error = NULL;
        watched->schedule_ok = kq_schedule_from_rule(watched->rule, &watched->schedule, &error);
        if (!watched->schedule_ok) {
            log_time(session, "rule '%s' (%s): error: %s; the rule does not run", rule_label(watched->rule),
                     watched->rule->file, error);
            free(error);
        }
    }
    if (!session->rules.count)
        log_time(session, "error: no rule loaded; nothing to run");
    return session->rules.count > 0;
}

/* Parses one option; returns 1 when consumed, 0 for a data argument, -1 after a usage error. */
static int parse_option(watch_options *options, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    if (arg[0] != '-' || arg[1] == '\0')
        return 0;
    if (strcmp(arg, "--once") == 0 || strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
        *(arg[2] == 'o' ? &options->once : &options->quiet) = true;
        return 1;
    }
    static const char *const names[] = {"--rules", "--exclusions", "--state", "--output", "--interval",
                                        "--now", "--clock-step", "--until", "--timezone"};
    for (size_t k = 0; k < KQ_ARRAY_LEN(names); k++) {
        size_t n = strlen(names[k]);
        if (strncmp(arg, names[k], n) != 0 || (arg[n] != '\0' && arg[n] != '='))
            continue;
        const char *value = arg[n] == '=' ? arg + n + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
        char *end = NULL;
        bool ok = value && *value;
        switch (k) {
        case 0: if (ok) options->rule_paths[options->nrule_paths++] = (char *)value; break;
        case 1: if (ok) options->exclusion_paths[options->nexclusion_paths++] = (char *)value; break;
        case 2: options->state_dir = value; break;
        case 3: options->output_path = value; break;
        case 4:
            ok = ok && (options->interval = strtod(value, &end)) >= 0 && *end == '\0' && options->interval <= 86400;
            break;
        case 5: ok = ok && (options->now_set = kq_datetime_parse(value, strlen(value), &options->start)); break;
        case 6: ok = ok && kq_duration_parse(value, &options->clock_step); break;
        case 7: ok = ok && (options->until_set = kq_datetime_parse(value, strlen(value), &options->until)); break;
        case 8: options->timezone = value; break;
        }
        if (!ok) {
            static const char *const expected[] = {
                "a rule file or folder", "a YAML exclusions file", "a folder", "a file",
                "a number of seconds from 0 to 86400", "a datetime such as 2026-12-01T00:00:00Z",
                "a duration such as 5m, 1h or 1d", "a datetime such as 2026-12-08T00:00:00Z",
                "a zone such as UTC, Europe/Berlin or +02:00"};
            kq_cli_usage_error("watch", "%s needs %s, got '%s'", names[k], expected[k], value ? value : "");
            return -1;
        }
        return 1;
    }
    kq_cli_usage_error("watch", "unknown option '%s'", arg);
    return -1;
}

/* Parses the command line; returns KQ_EXIT_OK to go on, else the exit status (-1 for --help). */
static int parse_arguments(watch_options *options, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_help(stdout);
            return -1;
        }
        int used = parse_option(options, argc, argv, &i);
        if (used < 0)
            return KQ_EXIT_USAGE;
        if (!used)
            options->data[options->ndata++] = argv[i];
    }
    for (int i = 0; i < options->ndata; i++) {
        struct stat info;
        const char *equals = strchr(options->data[i], '=');
        if (equals && equals != options->data[i] && stat(options->data[i], &info) != 0) {
            kq_cli_usage_error("watch", "'%s': watch follows files and folders; TABLE=PATH is not supported, "
                               "so name the file after its table or let the content decide", options->data[i]);
            return KQ_EXIT_USAGE;
        }
    }
    if (!options->ndata) {
        kq_cli_usage_error("watch", "missing DATA: give log files or folders to follow");
        return KQ_EXIT_USAGE;
    }
    if (!options->state_dir) {
        kq_cli_usage_error("watch", "missing --state DIR: the folder where watch records its runs");
        return KQ_EXIT_USAGE;
    }
    if (options->clock_step && !options->now_set) {
        kq_cli_usage_error("watch", "--clock-step needs --now, the instant the clock starts at");
        return KQ_EXIT_USAGE;
    }
    if (!options->nrule_paths) {
        const char *bundled = kq_cli_bundled_rules();
        if (!bundled) {
            fprintf(stderr, "kqlite watch: the bundled rule pack was not found; pass --rules PATH\n");
            return KQ_EXIT_FAILED;
        }
        options->rule_paths[options->nrule_paths++] = (char *)bundled;
    }
    return KQ_EXIT_OK;
}

static void install_signal_handlers(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

/* Sets up the session, runs the loop and logs the stop; returns the exit status. */
static int watch_run(watch_session *session)
{
    watch_options *options = session->options;
    char *error = NULL;
    if (!load_rules(session))
        return KQ_EXIT_FAILED;
    if (!kq_schedule_state_open(options->state_dir, &session->state, &error)) {
        log_time(session, "error: %s", error);
        free(error);
        return KQ_EXIT_FAILED;
    }
    if (!open_output(session))
        return KQ_EXIT_FAILED;
    install_signal_handlers();
    log_time(session, "started: %zu rules, %zu exclusions, %d data paths, state %s, alerts to %s", session->rules.count,
             session->exclusions.count, options->ndata, options->state_dir,
             options->output_path ? options->output_path : "standard output");
    kq_follower *follower = kq_follower_new(options->data, options->ndata, session->log);
    bool ok = watch_loop(session, follower);
    kq_follower_free(follower);
    const char *reason = "at --until";
    if (!ok)
        reason = "after an error";
    else if (stop_signal == SIGINT)
        reason = "on SIGINT";
    else if (stop_signal == SIGTERM)
        reason = "on SIGTERM";
    else if (options->once)
        reason = "after one poll (--once)";
    log_time(session, "stopped %s: %llu runs, %llu alerts, %llu failed runs", reason, (unsigned long long)session->runs,
             (unsigned long long)session->alerts, (unsigned long long)session->failures);
    return ok && !session->failures ? KQ_EXIT_OK : KQ_EXIT_FAILED;
}

int kq_cmd_watch(int argc, char **argv)
{
    watch_options options = {.interval = 10};
    options.rule_paths = kq_xcalloc((size_t)argc + 1, sizeof(char *));
    options.exclusion_paths = kq_xcalloc((size_t)argc + 1, sizeof(char *));
    options.data = kq_xcalloc((size_t)argc + 1, sizeof(char *));
    int status = parse_arguments(&options, argc, argv);
    if (status == KQ_EXIT_OK) {
        watch_session session = {.options = &options, .log = stderr};
        kq_rule_set_init(&session.rules);
        kq_exclusion_set_init(&session.exclusions);
        session.state.lock_fd = -1;
        status = watch_run(&session);
        if (session.output && session.output != stdout)
            fclose(session.output);
        for (size_t i = 0; session.watched && i < session.rules.count; i++)
            kq_query_free(session.watched[i].query);
        free(session.watched);
        kq_catalog_free(session.catalog);
        kq_schedule_state_close(&session.state);
        kq_exclusion_set_free(&session.exclusions);
        kq_rule_set_free(&session.rules);
    }
    free(options.rule_paths);
    free(options.exclusion_paths);
    free(options.data);
    return status < 0 ? KQ_EXIT_OK : status;
}
