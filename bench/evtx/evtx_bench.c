/*
 * Times the EVTX parser: reads every file named on the command line (or
 * found under a folder) into memory, then decodes them all with
 * evtx_decode_file on the given number of threads: every record decoded into
 * its element tree and System fields. The EventData JSON is not built, because
 * the loader builds it on the thread that adds rows to tables. Prints one line:
 *   threads=N files=F bytes=B records=R seconds=S records_per_s=X mb_per_s=Y
 * Reading the files is not timed. The decoding is repeated REPEAT times and
 * the fastest run is printed, because other processes on a shared machine
 * only ever slow a run down.
 *
 * Usage: evtx_bench THREADS REPEAT PATH...
 */
#include "sources/evtx/evtx.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct input {
    uint8_t *data;
    size_t len;
} input;

static input *inputs;
static size_t ninputs, cap;

static void add_file(const char *path)
{
    size_t len = strlen(path);
    if (len < 5 || strcmp(path + len - 5, ".evtx") != 0)
        return;
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "evtx_bench: cannot open %s\n", path);
        exit(1);
    }
    struct stat st;
    fstat(fileno(file), &st);
    if (ninputs == cap) {
        cap = cap ? cap * 2 : 64;
        inputs = realloc(inputs, cap * sizeof *inputs);
    }
    input *in = &inputs[ninputs++];
    in->data = malloc((size_t)st.st_size + 1);
    in->len = fread(in->data, 1, (size_t)st.st_size, file);
    fclose(file);
}

static void add_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        add_file(path);
        return;
    }
    DIR *dir = opendir(path);
    struct dirent *entry;
    while (dir && (entry = readdir(dir))) {
        if (entry->d_name[0] == '.')
            continue;
        char child[4096];
        snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
        add_path(child);
    }
    if (dir)
        closedir(dir);
}

static void count_records(void *user, evtx_chunk_result *result)
{
    *(uint64_t *)user += result->nevents;
}

/* Decodes every input once, as one job the way a folder walk does; returns the records decoded and the seconds taken. */
static double decode_all(int threads, uint64_t *records, uint64_t *bytes)
{
    evtx_decode_options options = {.threads = threads};
    struct timespec start, end;
    *records = 0;
    *bytes = 0;
    evtx_input *job = calloc(ninputs ? ninputs : 1, sizeof *job);
    size_t njob = 0;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (size_t i = 0; i < ninputs; i++) {
        char damage[160];
        *bytes += inputs[i].len;
        if (!evtx_is_evtx(inputs[i].data, inputs[i].len))
            continue;
        evtx_check_file_header(inputs[i].data, inputs[i].len, damage, sizeof damage);
        job[njob++] = (evtx_input){inputs[i].data, inputs[i].len};
    }
    evtx_decode_files(job, njob, &options, count_records, records);
    clock_gettime(CLOCK_MONOTONIC, &end);
    free(job);
    return (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: evtx_bench THREADS REPEAT PATH...\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    int repeat = atoi(argv[2]);
    for (int i = 3; i < argc; i++)
        add_path(argv[i]);
    uint64_t records = 0, bytes = 0;
    double best = 0;
    for (int r = 0; r < (repeat > 0 ? repeat : 1); r++) {
        double seconds = decode_all(threads, &records, &bytes);
        if (r == 0 || seconds < best)
            best = seconds;
    }
    printf("threads=%d files=%zu bytes=%llu records=%llu seconds=%.3f records_per_s=%.0f mb_per_s=%.1f\n", threads,
           ninputs, (unsigned long long)bytes, (unsigned long long)records, best, (double)records / best,
           (double)bytes / 1e6 / best);
    return 0;
}
