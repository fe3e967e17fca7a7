/*
 * EVTX file header and the chunk loop.
 *
 * File header (4096 bytes; the first 128 are used):
 *   0   signature "ElfFile\0" (8)
 *   8   first chunk number (8)          16  last chunk number (8)
 *   24  next record id (8)              32  header size (4, 128)
 *   36  minor version (2)               38  major version (2, 3)
 *   40  header block size (2, 4096)     42  number of chunks (2)
 *   44  unknown (76)                    120 flags (4): 1 dirty, 2 full
 *   124 checksum (4): CRC-32 of bytes 0-119
 * Chunks of 64 KiB follow from offset 4096. Every whole chunk in the file is
 * read, whatever the header's chunk count says, because a log that was not
 * closed cleanly has a stale count. A file that ends inside a chunk has that
 * chunk decoded from a zero-padded copy, so its whole records are recovered.
 *
 * Chunks are decoded by worker threads and the calling thread into a ring of
 * result slots. evtx_decode_files numbers the chunks of several files as one
 * sequence, so small files share the workers. The calling thread hands results
 * to the callback in chunk order, so output is deterministic and memory stays
 * bounded by the ring, not the file size.
 */
#include "sources/evtx/evtx.h"
#include "base/util.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const uint8_t file_signature[8] = {'E', 'l', 'f', 'F', 'i', 'l', 'e', 0};

/* Result slots per worker: enough that workers rarely wait for the consumer. */
#define SLOTS_PER_THREAD 4
#define MIN_CHUNKS_PER_THREAD 8

typedef struct chunk_job {
    const evtx_input *inputs;
    size_t ninputs;
    uint64_t *first_chunk; /* per input: the job-wide index of its first chunk; one more entry is the total */
    uint64_t nchunks;
    evtx_chunk_result *slots;
    bool *ready;
    size_t nslots;
    uint64_t next_chunk; /* next chunk a worker claims */
    uint64_t consumed;   /* chunks the consumer has finished with */
    int workers_waiting; /* workers blocked on a full ring */
    pthread_mutex_t lock;
    /* A finished chunk wakes the consumer only when it is the one it waits for, and a
     * consumed chunk wakes workers only when one is blocked. Waking every thread for
     * every chunk cost more than decoding on two cores gained. */
    pthread_cond_t ready_changed;
    pthread_cond_t space_changed;
} chunk_job;

/* The input that job-wide chunk index falls in. */
static size_t input_of(const chunk_job *job, uint64_t index)
{
    size_t low = 0, high = job->ninputs;
    while (high - low > 1) {
        size_t middle = low + (high - low) / 2;
        if (job->first_chunk[middle] <= index)
            low = middle;
        else
            high = middle;
    }
    return low;
}

/* Decodes job-wide chunk index, zero-padding a chunk cut short by the end of its file. */
static void decode_chunk(const chunk_job *job, uint64_t index, evtx_name_cache *names, evtx_chunk_result *result)
{
    size_t input = input_of(job, index);
    const uint8_t *data = job->inputs[input].data;
    size_t len = job->inputs[input].len;
    uint64_t local = index - job->first_chunk[input];
    uint64_t offset = EVTX_FILE_HEADER_SIZE + local * EVTX_CHUNK_SIZE;
    if (len - offset >= EVTX_CHUNK_SIZE) {
        evtx_chunk_decode(data + offset, local, offset, names, result);
        result->input = input;
        return;
    }
    uint8_t *padded = kq_xcalloc(1, EVTX_CHUNK_SIZE);
    memcpy(padded, data + offset, len - offset);
    evtx_chunk_decode(padded, local, offset, names, result);
    result->input = input;
    char where[64];
    snprintf(where, sizeof where, "chunk %" PRIu64 " (file offset %" PRIu64 ")", local, offset);
    if (!result->empty)
        evtx_chunk_add_damage(result, where, "file ends inside chunk %" PRIu64 " (%zu of %d bytes)", local,
                              (size_t)(len - offset), EVTX_CHUNK_SIZE);
    /* The events' strings live in the result's arena, not in the padded copy, so it can go. */
    free(padded);
}

static void *worker_main(void *arg)
{
    chunk_job *job = arg;
    evtx_name_cache *names = kq_xcalloc(1, sizeof *names);
    for (;;) {
        pthread_mutex_lock(&job->lock);
        while (job->next_chunk < job->nchunks && job->next_chunk >= job->consumed + job->nslots) {
            job->workers_waiting++;
            pthread_cond_wait(&job->space_changed, &job->lock);
            job->workers_waiting--;
        }
        if (job->next_chunk >= job->nchunks) {
            pthread_mutex_unlock(&job->lock);
            break;
        }
        uint64_t index = job->next_chunk++;
        pthread_mutex_unlock(&job->lock);

        evtx_chunk_result result;
        decode_chunk(job, index, names, &result);

        pthread_mutex_lock(&job->lock);
        job->slots[index % job->nslots] = result;
        job->ready[index % job->nslots] = true;
        if (index == job->consumed)
            pthread_cond_signal(&job->ready_changed);
        pthread_mutex_unlock(&job->lock);
    }
    free(names);
    return NULL;
}

static int thread_count(const evtx_decode_options *options, uint64_t nchunks)
{
    long threads = options && options->threads > 0 ? options->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    if (threads > EVTX_MAX_THREADS)
        threads = EVTX_MAX_THREADS;
    /* Starting a worker costs about as much as decoding a few chunks, so small files
     * get fewer workers: at least MIN_CHUNKS_PER_THREAD chunks each. */
    if ((uint64_t)threads > nchunks / MIN_CHUNKS_PER_THREAD)
        threads = nchunks >= 2 * MIN_CHUNKS_PER_THREAD ? (long)(nchunks / MIN_CHUNKS_PER_THREAD) : 1;
    return (int)threads;
}

/* Decodes every chunk on the calling thread. */
static void decode_serial(chunk_job *job, evtx_chunk_callback callback, void *user)
{
    evtx_name_cache *names = kq_xcalloc(1, sizeof *names);
    for (uint64_t i = 0; i < job->nchunks; i++) {
        evtx_chunk_result result;
        decode_chunk(job, i, names, &result);
        callback(user, &result);
        evtx_chunk_result_free(&result);
    }
    free(names);
}

/* Claims the next chunk for the consumer when the ring has room; call with the lock held. */
static bool claim_chunk(chunk_job *job, uint64_t *index)
{
    if (job->next_chunk >= job->nchunks || job->next_chunk >= job->consumed + job->nslots)
        return false;
    *index = job->next_chunk++;
    return true;
}

/*
 * The calling thread decodes chunks too: while the next result in file order
 * is not ready, it decodes the next unclaimed chunk instead of sleeping. With
 * threads - 1 workers every core decodes and the consumer is never a
 * thread of its own that wakes once per chunk (on two cores that cost more
 * context switches than chunks).
 */
static void decode_parallel(chunk_job *job, int threads, evtx_chunk_callback callback, void *user)
{
    job->nslots = (size_t)threads * SLOTS_PER_THREAD;
    job->slots = kq_xcalloc(job->nslots, sizeof *job->slots);
    job->ready = kq_xcalloc(job->nslots, sizeof *job->ready);
    pthread_mutex_init(&job->lock, NULL);
    pthread_cond_init(&job->ready_changed, NULL);
    pthread_cond_init(&job->space_changed, NULL);
    /* jansson sets its hash seed on first use; doing it here keeps workers from racing on it. */
    json_object_seed(0);
    pthread_t workers[EVTX_MAX_THREADS];
    int started = 0;
    for (int i = 0; i + 1 < threads; i++)
        if (pthread_create(&workers[started], NULL, worker_main, job) == 0)
            started++;
    evtx_name_cache *names = kq_xcalloc(1, sizeof *names);
    for (uint64_t i = 0; i < job->nchunks; i++) {
        size_t slot = i % job->nslots;
        uint64_t index;
        pthread_mutex_lock(&job->lock);
        while (!job->ready[slot]) {
            if (claim_chunk(job, &index)) {
                pthread_mutex_unlock(&job->lock);
                evtx_chunk_result result;
                decode_chunk(job, index, names, &result);
                pthread_mutex_lock(&job->lock);
                job->slots[index % job->nslots] = result;
                job->ready[index % job->nslots] = true;
            } else {
                pthread_cond_wait(&job->ready_changed, &job->lock);
            }
        }
        pthread_mutex_unlock(&job->lock);

        callback(user, &job->slots[slot]);
        evtx_chunk_result_free(&job->slots[slot]);

        pthread_mutex_lock(&job->lock);
        job->ready[slot] = false;
        job->consumed++;
        if (job->workers_waiting)
            pthread_cond_broadcast(&job->space_changed);
        pthread_mutex_unlock(&job->lock);
    }
    free(names);
    for (int i = 0; i < started; i++)
        pthread_join(workers[i], NULL);
    pthread_cond_destroy(&job->ready_changed);
    pthread_cond_destroy(&job->space_changed);
    pthread_mutex_destroy(&job->lock);
    free(job->slots);
    free(job->ready);
}

bool evtx_is_evtx(const uint8_t *data, size_t len)
{
    return len >= 8 && memcmp(data, file_signature, 8) == 0;
}

void evtx_check_file_header(const uint8_t *data, size_t len, char *damage, size_t size)
{
    damage[0] = '\0';
    if (len < EVTX_FILE_HEADER_SIZE) {
        snprintf(damage, size, "file header truncated (%zu of %d bytes)", len, EVTX_FILE_HEADER_SIZE);
        return;
    }
    if (evtx_crc32(0, data, 120) != evtx_le32(data + 124)) {
        snprintf(damage, size, "damaged file header (checksum mismatch)");
        return;
    }
    uint16_t major = evtx_le16(data + 38);
    if (major != 3)
        snprintf(damage, size, "file header has format version %u.%u, expected 3.x", major, evtx_le16(data + 36));
}

void evtx_decode_files(const evtx_input *inputs, size_t count, const evtx_decode_options *options,
                       evtx_chunk_callback callback, void *user)
{
    chunk_job job;
    memset(&job, 0, sizeof job);
    job.inputs = inputs;
    job.ninputs = count;
    job.first_chunk = kq_xcalloc(count + 1, sizeof *job.first_chunk);
    for (size_t i = 0; i < count; i++) {
        size_t len = inputs[i].len;
        /* Chunks start after the 4096-byte header block whatever its size field contains, as Windows writes them. */
        uint64_t chunks = len > EVTX_FILE_HEADER_SIZE ? (len - EVTX_FILE_HEADER_SIZE + EVTX_CHUNK_SIZE - 1) / EVTX_CHUNK_SIZE : 0;
        job.first_chunk[i + 1] = job.first_chunk[i] + chunks;
    }
    job.nchunks = job.first_chunk[count];
    int threads = thread_count(options, job.nchunks);
    if (threads <= 1)
        decode_serial(&job, callback, user);
    else
        decode_parallel(&job, threads, callback, user);
    free(job.first_chunk);
}

bool evtx_decode_file(const uint8_t *data, size_t len, const evtx_decode_options *options,
                      evtx_chunk_callback callback, void *user, char *header_damage, size_t header_damage_size)
{
    if (!evtx_is_evtx(data, len))
        return false;
    evtx_check_file_header(data, len, header_damage, header_damage_size);
    evtx_input input = {data, len};
    evtx_decode_files(&input, 1, options, callback, user);
    return true;
}
