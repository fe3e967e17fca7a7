/* Running work on threads: every index once, and done() in index order within the window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#define ITEMS 500

typedef struct ordered_check {
    atomic_int worked[ITEMS];
    int done_order[ITEMS];
    atomic_size_t ndone; /* written by done() on the calling thread, read by workers */
    size_t window;
    atomic_size_t started;   /* work calls begun */
    atomic_size_t too_early; /* work calls that began more than window ahead of done */
    bool done_before_work;   /* done(i) came before work(i) returned */
} ordered_check;

static void ordered_work(void *user, size_t index, int thread)
{
    ordered_check *check = user;
    assert_true(thread >= 0 && thread < KQ_MAX_THREADS);
    if (index >= atomic_load(&check->ndone) + check->window)
        atomic_fetch_add(&check->too_early, 1);
    atomic_fetch_add(&check->started, 1);
    /* Uneven work, so that later items often finish first. */
    volatile unsigned spin = 0;
    for (unsigned i = 0; i < (unsigned)((index * 7919) % 20000); i++)
        spin += i;
    atomic_fetch_add(&check->worked[index], 1);
}

static void ordered_done(void *user, size_t index)
{
    ordered_check *check = user;
    if (atomic_load(&check->worked[index]) != 1)
        check->done_before_work = true;
    check->done_order[atomic_load(&check->ndone)] = (int)index;
    atomic_fetch_add(&check->ndone, 1);
}

static void run_ordered(int threads, size_t window)
{
    ordered_check *check = calloc(1, sizeof *check);
    assert_non_null(check);
    check->window = window;
    kq_parallel_ordered(ITEMS, threads, window, ordered_work, ordered_done, check);
    assert_int_equal(atomic_load(&check->ndone), ITEMS);
    for (int i = 0; i < ITEMS; i++) {
        assert_int_equal(atomic_load(&check->worked[i]), 1);
        assert_int_equal(check->done_order[i], i);
    }
    assert_false(check->done_before_work);
    assert_int_equal(atomic_load(&check->too_early), 0);
    free(check);
}

static void ordered_one_thread(void **state)
{
    (void)state;
    run_ordered(1, 4);
}

static void ordered_several_threads(void **state)
{
    (void)state;
    run_ordered(2, 8);
    run_ordered(4, 16);
    run_ordered(8, 1);
}

static void ordered_nothing_to_do(void **state)
{
    (void)state;
    ordered_check check = {.window = 4};
    kq_parallel_ordered(0, 4, 4, ordered_work, ordered_done, &check);
    assert_int_equal(atomic_load(&check.ndone), 0);
    assert_int_equal(atomic_load(&check.started), 0);
}

static void count_index(void *user, size_t index, int thread)
{
    (void)thread;
    atomic_int *seen = user;
    atomic_fetch_add(&seen[index], 1);
}

static void parallel_for_every_index_once(void **state)
{
    (void)state;
    static atomic_int seen[ITEMS];
    for (int threads = 1; threads <= 4; threads++) {
        for (int i = 0; i < ITEMS; i++)
            atomic_store(&seen[i], 0);
        kq_parallel_for(ITEMS, threads, count_index, seen);
        for (int i = 0; i < ITEMS; i++)
            assert_int_equal(atomic_load(&seen[i]), 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ordered_one_thread),
        cmocka_unit_test(ordered_several_threads),
        cmocka_unit_test(ordered_nothing_to_do),
        cmocka_unit_test(parallel_for_every_index_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
