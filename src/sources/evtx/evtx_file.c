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
 * result slots; the calling thread hands results to the callback in chunk
 * order, so output is deterministic and memory stays bounded by the ring, not
 * the file size.
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
    const uint8_t *data;
    size_t len;
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

/* Decodes chunk index, zero-padding a chunk cut short by the end of the file. */
static void decode_chunk(const chunk_job *job, uint64_t index, evtx_name_cache *names, evtx_chunk_result *result)
{
    uint64_t offset = EVTX_FILE_HEADER_SIZE + index * EVTX_CHUNK_SIZE;
    if (job->len - offset >= EVTX_CHUNK_SIZE) {
        evtx_chunk_decode(job->data + offset, index, offset, names, result);
        return;
    }
    uint8_t *padded = kq_xcalloc(1, EVTX_CHUNK_SIZE);
    memcpy(padded, job->data + offset, job->len - offset);
    evtx_chunk_decode(padded, index, offset, names, result);
    char where[64];
    snprintf(where, sizeof where, "chunk %" PRIu64 " (file offset %" PRIu64 ")", index, offset);
    if (!result->empty)
        evtx_chunk_add_damage(result, where, "file ends inside chunk %" PRIu64 " (%zu of %d bytes)", index,
                              (size_t)(job->len - offset), EVTX_CHUNK_SIZE);
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

/* Checks the file header; writes a message to damage when it is damaged. */
static void check_file_header(const uint8_t *data, size_t len, char *damage, size_t size)
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

bool evtx_decode_file(const uint8_t *data, size_t len, const evtx_decode_options *options,
                      evtx_chunk_callback callback, void *user, char *header_damage, size_t header_damage_size)
{
    if (len < 8 || memcmp(data, file_signature, 8) != 0)
        return false;
    check_file_header(data, len, header_damage, header_damage_size);
    chunk_job job;
    memset(&job, 0, sizeof job);
    job.data = data;
    job.len = len;
    /* Chunks start after the 4096-byte header block whatever its size field contains, as Windows writes them. */
    job.nchunks = len > EVTX_FILE_HEADER_SIZE ? (len - EVTX_FILE_HEADER_SIZE + EVTX_CHUNK_SIZE - 1) / EVTX_CHUNK_SIZE : 0;
    int threads = thread_count(options, job.nchunks);
    if (threads <= 1)
        decode_serial(&job, callback, user);
    else
        decode_parallel(&job, threads, callback, user);
    return true;
}
