/* string.h for the RV32 benchmark harness (no C library): the functions startup.c defines. */
#ifndef EDGEC_BENCH_STRING_H
#define EDGEC_BENCH_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
#endif
