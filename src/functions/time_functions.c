/* Formatting, differences and parts of datetimes and timespans. */
#include "functions/registry.h"
#include "base/util.h"

const kq_function kq_time_functions[] = {
    {0},
};
/* The table above holds one zeroed entry only so that it is not empty. */
const size_t kq_time_function_count = 0;
