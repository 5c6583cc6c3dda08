/* stdio.h for the RV32 benchmark harness: ESP-NN's error message only. */
#ifndef EDGEC_BENCH_STDIO_H
#define EDGEC_BENCH_STDIO_H
int printf(const char *fmt, ...);
#endif
