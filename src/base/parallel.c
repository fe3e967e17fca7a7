/* Running independent pieces of work on a few threads that claim them from a shared counter. */
#include "base/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

typedef struct parallel_job {
    size_t count;
    atomic_size_t next;
    void (*work)(void *user, size_t index, int thread);
    void *user;
} parallel_job;

typedef struct parallel_worker {
    parallel_job *job;
    int thread;
} parallel_worker;

static void *run_worker(void *arg)
{
    parallel_worker *worker = arg;
    parallel_job *job = worker->job;
    for (;;) {
        size_t index = atomic_fetch_add(&job->next, 1);
        if (index >= job->count)
            return NULL;
        job->work(job->user, index, worker->thread);
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
    int wanted = kq_thread_count(threads);
    if ((size_t)wanted > count)
        wanted = count ? (int)count : 1;
    parallel_worker workers[KQ_MAX_THREADS];
    pthread_t ids[KQ_MAX_THREADS];
    int started = 0;
    for (int i = 1; i < wanted; i++) {
        workers[i] = (parallel_worker){&job, i};
        if (pthread_create(&ids[started], NULL, run_worker, &workers[i]) == 0)
            started++;
    }
    workers[0] = (parallel_worker){&job, 0};
    run_worker(&workers[0]);
    for (int i = 0; i < started; i++)
        pthread_join(ids[i], NULL);
}
