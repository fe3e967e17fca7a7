/*
 * Memory and row budget of one query run.
 *
 * The operators that hold rows (summarize groups, sort rows, the right side of
 * a join, mv-apply output) each keep an account and report its size whenever
 * they grow. The budget sums the accounts of one run. When the sum passes the
 * run's memory limit, or one account passes the rows limit, the run fails with
 * an error naming the operator, so a hostile file or an unbounded query ends
 * with a message instead of exhausting memory.
 *
 * Sizes are estimates: an account counts the operator's own arrays and arena
 * bytes, plus input batches only the operator keeps alive. Tables loaded into
 * the catalog are not counted.
 */
#ifndef KQ_EXEC_BUDGET_H
#define KQ_EXEC_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kq_run kq_run;
typedef struct kq_batch kq_batch;

/* Limits of one run. A zero member takes the default. */
typedef struct kq_exec_limits {
    uint64_t max_memory; /* bytes all operators of the run may hold; default kq_default_max_memory() */
    uint64_t max_rows;   /* rows one operator may hold; default KQ_MAX_OPERATOR_ROWS */
    int threads;         /* threads one query's table scans may use; 0 and 1 mean the calling thread only */
} kq_exec_limits;

typedef struct kq_budget {
    uint64_t max_memory;
    uint64_t max_rows;
    uint64_t used; /* bytes held by every account of the run now */
    uint64_t peak; /* largest value of used during the run */
} kq_budget;

/* What one operator instance holds. Starts zeroed. */
typedef struct kq_budget_account {
    uint64_t bytes;
    uint64_t rows;
} kq_budget_account;

/* Half of physical memory (KQ_DEFAULT_MAX_MEMORY_DIVISOR), or the fallback when it cannot be read. */
uint64_t kq_default_max_memory(void);

/* Fills budget from limits (NULL: defaults). */
void kq_budget_init(kq_budget *budget, const kq_exec_limits *limits);

/*
 * Records that the account now holds bytes and rows. operator_name ("summarize")
 * and held ("groups") name them in the error. Returns false, after failing the
 * run with an error that names the operator, when the run's total passes
 * max_memory or rows passes max_rows.
 */
bool kq_budget_update(kq_run *run, kq_budget_account *account, const char *operator_name, const char *held,
                      uint64_t bytes, uint64_t rows);

/* Returns an account's bytes to the budget (call when the operator closes). */
void kq_budget_release(kq_run *run, kq_budget_account *account);

/* Bytes a batch adds to an account that takes it over: its arena when no one else holds it, else 0. */
uint64_t kq_budget_batch_bytes(const kq_batch *batch);

/*
 * Parses a size: a number of bytes with an optional K, M, G or T suffix (powers of 1024),
 * optionally followed by "B" or "iB" ("512M", "2G", "1.5GiB", "1048576"). Returns false for
 * anything else, zero, or a size past UINT64_MAX.
 */
bool kq_size_parse(const char *text, uint64_t *bytes);

/* Writes a size for messages: "512 bytes", "1.5 KiB", "1.2 GiB". */
void kq_size_format(uint64_t bytes, char out[32]);

#endif
