/*
 * Running independent pieces of work on several threads.
 *
 * The calling thread works too, so one thread means no thread is started. A
 * piece of work is claimed by whichever thread is free next, so the pieces
 * run in no fixed order and on no fixed thread: each must write only memory
 * that no other piece reads or writes.
 */
#ifndef KQ_BASE_PARALLEL_H
#define KQ_BASE_PARALLEL_H

#include <stddef.h>

/* Maximum number of threads one kq_parallel_for runs on. */
#define KQ_MAX_THREADS 64

/* Returns the threads to use for a request: 0 means one per online CPU; at most KQ_MAX_THREADS. */
int kq_thread_count(int requested);

/*
 * Calls work(user, index, thread) for every index in [0, count) on up to
 * `threads` threads (a count as for kq_thread_count), and returns when every
 * call has returned. thread, from 0 to the thread count - 1, names the thread
 * that runs the call, for per-thread scratch state. When a thread cannot be
 * started, the others do its share.
 */
void kq_parallel_for(size_t count, int threads, void (*work)(void *user, size_t index, int thread), void *user);

/*
 * Like kq_parallel_for, and also calls done(user, index) on the calling
 * thread in index order: for each index as soon as its work and the work of
 * every earlier index has returned. Work starts at most `window` indexes
 * ahead of the next done call, which bounds what the finished but not yet
 * done items hold. The calling thread does work too while it waits, so with
 * one thread every item runs work then done, in order.
 */
void kq_parallel_ordered(size_t count, int threads, size_t window, void (*work)(void *user, size_t index, int thread),
                         void (*done)(void *user, size_t index), void *user);

#endif
