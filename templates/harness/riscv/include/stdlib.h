/* stdlib.h for the RV32 benchmark harness: nothing the measured kernels call. */
#ifndef EDGEC_BENCH_STDLIB_H
#define EDGEC_BENCH_STDLIB_H
#include <stddef.h>
#endif
