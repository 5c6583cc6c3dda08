/* string.h stand-in for compile checks with a compiler that ships no C
 * library (Debian's riscv64-unknown-elf-gcc): the declarations the runtime
 * uses, with the C standard's signatures. Only for -c checks; never linked. */
#ifndef EDGEC_TEST_FREESTANDING_STRING_H
#define EDGEC_TEST_FREESTANDING_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
#endif
