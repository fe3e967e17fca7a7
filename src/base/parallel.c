/* Running independent pieces of work on a few threads that claim them from a shared counter. */
#include "base/parallel.h"

#include "base/util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

/* A started thread: the job it works on and its number, 1 to the thread count - 1 (0 is the caller). */
typedef struct worker {
    void *job;
    int thread;
} worker;

/* The threads of one job; the calling thread is worker 0 and is never started. */
typedef struct worker_group {
    worker workers[KQ_MAX_THREADS];
    pthread_t ids[KQ_MAX_THREADS];
    int started;
} worker_group;

/* Starts threads 1 to threads - 1 on run; a thread that cannot start leaves its share to the others. */
static void start_workers(worker_group *group, int threads, void *(*run)(void *), void *job)
{
    group->started = 0;
    for (int i = 1; i < threads; i++) {
        group->workers[i] = (worker){job, i};
        if (pthread_create(&group->ids[group->started], NULL, run, &group->workers[i]) == 0)
            group->started++;
    }
    group->workers[0] = (worker){job, 0};
}

static void join_workers(worker_group *group)
{
    for (int i = 0; i < group->started; i++)
        pthread_join(group->ids[i], NULL);
}

/* The thread count for count items: as requested, but no more than the items. */
static int threads_for(size_t count, int requested)
{
    int threads = kq_thread_count(requested);
    if ((size_t)threads > count)
        threads = count ? (int)count : 1;
    return threads;
}

typedef struct parallel_job {
    size_t count;
    atomic_size_t next;
    void (*work)(void *user, size_t index, int thread);
    void *user;
} parallel_job;

static void *run_worker(void *arg)
{
    worker *self = arg;
    parallel_job *job = self->job;
    for (;;) {
        size_t index = atomic_fetch_add(&job->next, 1);
        if (index >= job->count)
            return NULL;
        job->work(job->user, index, self->thread);
    }
}

int kq_thread_count(int requested)
{
    long threads = requested > 0 ? requested : sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    return threads > KQ_MAX_THREADS ? KQ_MAX_THREADS : (int)threads;
}

void kq_parallel_for(size_t count, int threads, void (*work)(void *user, size_t index, int thread), void *user)
{
    parallel_job job = {.count = count, .work = work, .user = user};
    atomic_init(&job.next, 0);
    worker_group group;
    start_workers(&group, threads_for(count, threads), run_worker, &job);
    run_worker(&group.workers[0]);
    join_workers(&group);
}

typedef struct ordered_job {
    size_t count, window;
    size_t next_claim; /* next index to start */
    size_t next_done;  /* next index to hand to done */
    bool *finished;    /* per index: work returned */
    void (*work)(void *user, size_t index, int thread);
    void *user;
    pthread_mutex_t lock;
    pthread_cond_t changed;
} ordered_job;

/* Claims the next index when the window allows; the caller holds the lock. Returns count when there is none. */
static size_t ordered_claim(ordered_job *job)
{
    if (job->next_claim >= job->count || job->next_claim >= job->next_done + job->window)
        return job->count;
    return job->next_claim++;
}

static void ordered_run(ordered_job *job, size_t index, int thread)
{
    job->work(job->user, index, thread);
    pthread_mutex_lock(&job->lock);
    job->finished[index] = true;
    pthread_cond_broadcast(&job->changed);
    pthread_mutex_unlock(&job->lock);
}

static void *run_ordered_worker(void *arg)
{
    worker *self = arg;
    ordered_job *job = self->job;
    pthread_mutex_lock(&job->lock);
    while (job->next_claim < job->count) {
        size_t index = ordered_claim(job);
        if (index == job->count) {
            pthread_cond_wait(&job->changed, &job->lock);
            continue;
        }
        pthread_mutex_unlock(&job->lock);
        ordered_run(job, index, self->thread);
        pthread_mutex_lock(&job->lock);
    }
    pthread_mutex_unlock(&job->lock);
    return NULL;
}

void kq_parallel_ordered(size_t count, int threads, size_t window, void (*work)(void *user, size_t index, int thread),
                         void (*done)(void *user, size_t index), void *user)
{
    ordered_job job = {.count = count, .window = window ? window : 1, .work = work, .user = user};
    job.finished = kq_xcalloc(count + 1, sizeof *job.finished);
    pthread_mutex_init(&job.lock, NULL);
    pthread_cond_init(&job.changed, NULL);
    worker_group group;
    start_workers(&group, threads_for(count, threads), run_ordered_worker, &job);
    pthread_mutex_lock(&job.lock);
    while (job.next_done < count) {
        if (job.finished[job.next_done]) {
            size_t index = job.next_done;
            pthread_mutex_unlock(&job.lock);
            done(user, index);
            pthread_mutex_lock(&job.lock);
            job.next_done++;
            pthread_cond_broadcast(&job.changed);
            continue;
        }
        size_t index = ordered_claim(&job);
        if (index == count) {
            pthread_cond_wait(&job.changed, &job.lock);
            continue;
        }
        pthread_mutex_unlock(&job.lock);
        ordered_run(&job, index, 0);
        pthread_mutex_lock(&job.lock);
    }
    pthread_mutex_unlock(&job.lock);
    join_workers(&group);
    pthread_cond_destroy(&job.changed);
    pthread_mutex_destroy(&job.lock);
    free(job.finished);
}
