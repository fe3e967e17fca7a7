/*
 * Following growing log files for `kqlite watch`.
 *
 * Each poll walks the data arguments (files, and folders recursively, hidden
 * entries skipped), reads the bytes each file gained, and keeps the complete
 * records: CSV up to the last line break outside quotes (a quoted field may
 * span lines), JSON lines up to the last line break. A file holding one JSON
 * document (an array, an Event Hub message) is read once it stops growing for
 * one poll. A record without its final line break is taken once the file has
 * not grown for one poll. A file that shrinks or is replaced is read again
 * from its start as a new segment; rows read before stay loaded.
 */
#ifndef KQ_CLI_WATCH_FOLLOW_H
#define KQ_CLI_WATCH_FOLLOW_H

#include "sources/source.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct kq_follower kq_follower;

/* Writes one log line: the wall-clock time, "kqlite watch: ", then the message. */
void kq_watch_log(FILE *log, const char *format, ...) __attribute__((format(printf, 2, 3)));

kq_follower *kq_follower_new(char **arguments, int count, FILE *log);
void kq_follower_free(kq_follower *follower);

/* Reads what the files gained since the last poll. Returns true when new records arrived. */
bool kq_follower_poll(kq_follower *follower);

/*
 * Loads every record read so far into a new catalog (finished) and logs each
 * file whose counts changed. Returns false when a file could not be read or
 * parsed (it is logged; the other files still load).
 */
bool kq_follower_load(kq_follower *follower, kq_catalog *catalog, const kq_load_options *options);

#endif
