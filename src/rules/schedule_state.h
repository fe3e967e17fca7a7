/*
 * State of scheduled runs kept in a folder, so that `watch` (and `hunt
 * --state`) emit each alert once across restarts.
 *
 * DIR/state.json holds, per rule, the instant of its last completed run and
 * of its last alert, and the length of the alerts output file after the last
 * completed run. It is replaced atomically (write to a temporary file, fsync,
 * rename), so a crash leaves either the old or the new state. DIR/lock is held
 * with flock while a process uses the folder, so two processes cannot share it.
 */
#ifndef KQ_RULES_SCHEDULE_STATE_H
#define KQ_RULES_SCHEDULE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kq_rule_state {
    char *key;                  /* the rule's id, or its file when it has none */
    bool has_run;
    int64_t last_run;           /* instant of the last completed run */
    bool has_alert;
    int64_t last_alert;         /* run instant of the last run that raised alerts */
} kq_rule_state;

typedef struct kq_schedule_state {
    char *dir;
    int lock_fd;
    kq_rule_state *rules;
    size_t count, cap;
    char *output_path;          /* alerts file of the last run, or NULL for standard output */
    uint64_t output_bytes;      /* its length after the last completed run */
} kq_schedule_state;

/*
 * Opens (creating it when missing) the state folder and reads its state.
 * Returns false with *error (malloc'd) when the folder cannot be created or
 * locked, or when state.json is unreadable or invalid.
 */
bool kq_schedule_state_open(const char *dir, kq_schedule_state *state, char **error);
/* Returns the entry of rule key, adding an empty one on first use. */
kq_rule_state *kq_schedule_state_rule(kq_schedule_state *state, const char *key);
/* Writes state.json atomically; returns false with *error (malloc'd) on an I/O error. */
bool kq_schedule_state_save(const kq_schedule_state *state, char **error);
/* Releases the lock and frees the state. */
void kq_schedule_state_close(kq_schedule_state *state);

#endif
