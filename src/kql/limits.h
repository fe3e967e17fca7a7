#include "base/limits.h" /* every limit, with the input it defends against */
