/* Memory and row budget of one query run: see budget.h. */
#include "exec/budget.h"
#include "base/limits.h"
#include "exec/exec.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t kq_default_max_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES);
    long page_size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_size <= 0)
        return KQ_DEFAULT_MAX_MEMORY_FALLBACK;
    return (uint64_t)pages * (uint64_t)page_size / KQ_DEFAULT_MAX_MEMORY_DIVISOR;
}

void kq_budget_init(kq_budget *budget, const kq_exec_limits *limits)
{
    memset(budget, 0, sizeof *budget);
    budget->max_memory = limits && limits->max_memory ? limits->max_memory : kq_default_max_memory();
    budget->max_rows = limits && limits->max_rows ? limits->max_rows : KQ_MAX_OPERATOR_ROWS;
}

bool kq_budget_update(kq_run *run, kq_budget_account *account, const char *operator_name, const char *held,
                      uint64_t bytes, uint64_t rows)
{
    kq_budget *budget = &run->budget;
    budget->used = budget->used - account->bytes + bytes;
    account->bytes = bytes;
    account->rows = rows;
    if (budget->used > budget->peak)
        budget->peak = budget->used;
    if (rows > budget->max_rows) {
        kq_run_fail(run, "%s holds %llu %s, over the limit of %llu rows one operator may hold; narrow the "
                         "query with a where before it",
                    operator_name, (unsigned long long)rows, held, (unsigned long long)budget->max_rows);
        return false;
    }
    if (budget->used <= budget->max_memory)
        return true;
    char mine[32], total[32], limit[32];
    kq_size_format(bytes, mine);
    kq_size_format(budget->used, total);
    kq_size_format(budget->max_memory, limit);
    if (strcmp(mine, limit) == 0 || strcmp(total, limit) == 0) {
        /* Rounded to one decimal the sizes would read as equal: show exact byte counts. */
        snprintf(mine, sizeof mine, "%llu bytes", (unsigned long long)bytes);
        snprintf(total, sizeof total, "%llu bytes", (unsigned long long)budget->used);
        snprintf(limit, sizeof limit, "%llu bytes", (unsigned long long)budget->max_memory);
    }
    if (budget->used == bytes)
        kq_run_fail(run, "%s holds %s of %s, over --max-memory %s; narrow the query with a where before it "
                         "or raise --max-memory",
                    operator_name, mine, held, limit);
    else
        kq_run_fail(run, "%s holds %s of %s (%s with the query's other operators), over --max-memory %s; "
                         "narrow the query with a where before it or raise --max-memory",
                    operator_name, mine, held, total, limit);
    return false;
}

void kq_budget_release(kq_run *run, kq_budget_account *account)
{
    run->budget.used -= account->bytes;
    account->bytes = 0;
    account->rows = 0;
}

uint64_t kq_budget_batch_bytes(const kq_batch *batch)
{
    /* A batch someone else also references (a table's batch, a shared subquery result)
     * stays alive without this operator, so taking it costs nothing extra. */
    return __atomic_load_n(&batch->refcount, __ATOMIC_RELAXED) == 1 ? (uint64_t)kq_arena_used(batch->arena) : 0;
}

bool kq_size_parse(const char *text, uint64_t *bytes)
{
    if (!text || !isdigit((unsigned char)text[0]))
        return false;
    char *end;
    double number = strtod(text, &end);
    double scale = 1;
    switch (toupper((unsigned char)*end)) {
    case 'K': scale = 1024.0; end++; break;
    case 'M': scale = 1024.0 * 1024; end++; break;
    case 'G': scale = 1024.0 * 1024 * 1024; end++; break;
    case 'T': scale = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (scale > 1 && (end[0] == 'i' || end[0] == 'I') && (end[1] == 'B' || end[1] == 'b'))
        end += 2;
    else if (*end == 'B' || *end == 'b')
        end++;
    double value = floor(number * scale);
    /* 2^64 is exactly representable as a double; anything at or past it does not fit. */
    if (*end != '\0' || !isfinite(value) || value < 1 || value >= 18446744073709551616.0)
        return false;
    *bytes = (uint64_t)value;
    return true;
}

void kq_size_format(uint64_t bytes, char out[32])
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(out, 32, "%llu byte%s", (unsigned long long)bytes, bytes == 1 ? "" : "s");
        return;
    }
    double value = (double)bytes / 1024;
    size_t unit = 0;
    while (value >= 1024 && unit + 1 < sizeof units / sizeof units[0]) {
        value /= 1024;
        unit++;
    }
    snprintf(out, 32, "%.1f %s", value, units[unit]);
}
