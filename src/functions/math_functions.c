/* Arithmetic, rounding, conditionals and bit operations. */
#include "functions/registry.h"
#include "base/util.h"

const kq_function kq_math_functions[] = {
    {0},
};
/* The table above holds one zeroed entry only so that it is not empty. */
const size_t kq_math_function_count = 0;
