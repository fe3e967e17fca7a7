/* Regular expressions, encodings, hashes, URLs and paths. */
#include "functions/registry.h"
#include "base/util.h"

const kq_function kq_text_functions[] = {
    {0},
};
/* The table above holds one zeroed entry only so that it is not empty. */
const size_t kq_text_function_count = 0;
