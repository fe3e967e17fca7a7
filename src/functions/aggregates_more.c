/* More aggregates: property bags and percentiles. */
#include "functions/registry.h"
#include "base/util.h"
#include "table/table.h"

const kq_aggregate kq_more_aggregates[] = {
    {0},
};
/* The table above holds one zeroed entry only so that it is not empty. */
const size_t kq_more_aggregate_total = 0;
