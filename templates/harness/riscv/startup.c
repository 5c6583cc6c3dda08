/*
 * Minimal RV32 startup for the edgec benchmark harness on QEMU's `virt`
 * machine (no C library: Debian's riscv64-unknown-elf-gcc ships none for
 * rv32): stack and global pointer, .bss cleared, semihosting output and
 * exit, the retired-instruction counter, and the few string functions the
 * generated code and the kernel libraries call. Symbols are prefixed
 * edgec_bench_ so their size can be told apart from the model's code.
 */
#include <stddef.h>
#include <stdint.h>

extern uint32_t __edgec_bss_start[], __edgec_bss_end[];
int main(void);
void edgec_bench_puts(const char *s);
void edgec_bench_exit(int code);
uint32_t edgec_bench_instret(void);
void edgec_bench_cstart(void);

/* Entry (ENTRY in virt.ld): gp for linker relaxation, the stack, then C. */
__attribute__((naked, section(".text.edgec_start"))) void edgec_bench_start(void)
{
  __asm__ volatile(
    ".option push\n.option norelax\nla gp, __global_pointer$\n.option pop\n"
    "la sp, __edgec_stack_top\n"
    "call edgec_bench_cstart\n");
}

/* RISC-V semihosting: the uncompressed slli/ebreak/srai sequence, a0 = operation, a1 = argument. */
static long edgec_bench_semihost(long op, const void *arg)
{
  register long a0 __asm__("a0") = op;
  register const void *a1 __asm__("a1") = arg;
  __asm__ volatile(".option push\n.option norvc\n.balign 16\nslli x0, x0, 0x1f\nebreak\nsrai x0, x0, 7\n.option pop\n"
                   : "+r"(a0) : "r"(a1) : "memory");
  return a0;
}

/* SYS_WRITE0: a NUL-terminated string to the host's output. */
void edgec_bench_puts(const char *s)
{
  (void)edgec_bench_semihost(0x04, s);
}

/* SYS_EXIT (32-bit: the reason is the argument), or SYS_EXIT_EXTENDED with {reason, code}. */
void edgec_bench_exit(int code)
{
  uint32_t block[2];
  block[0] = 0x20026u;
  block[1] = (uint32_t)code;
  for (;;) {
    if (code == 0) (void)edgec_bench_semihost(0x18, (const void *)0x20026u);
    else (void)edgec_bench_semihost(0x20, block);
  }
}

/*
 * Retired instructions, low 32 bits. Under QEMU -icount instret counts the
 * virtual clock in ns (instructions << EDGEC_BENCH_ICOUNT_SHIFT, set by
 * compiler/bench/riscv.ts), so its low 32 bits alone wrap after 33.5 M
 * instructions: read the 64-bit instreth:instret (high, low, high again until
 * the high half is stable) and shift back to instructions; a 32-bit
 * difference then holds up to 2^32 instructions per run.
 */
#ifndef EDGEC_BENCH_ICOUNT_SHIFT
#define EDGEC_BENCH_ICOUNT_SHIFT 7
#endif
uint32_t edgec_bench_instret(void)
{
  uint32_t hi, lo, again;
  do {
    __asm__ volatile("csrr %0, instreth" : "=r"(hi));
    __asm__ volatile("csrr %0, instret" : "=r"(lo));
    __asm__ volatile("csrr %0, instreth" : "=r"(again));
  } while (hi != again);
  return (uint32_t)((((uint64_t)hi << 32) | lo) >> EDGEC_BENCH_ICOUNT_SHIFT);
}

void edgec_bench_cstart(void)
{
  uint32_t *p;
  for (p = __edgec_bss_start; p < __edgec_bss_end;) *p++ = 0;
  edgec_bench_exit(main());
}

/* The C library functions the generated code and kernel libraries use; byte loops the compiler must not turn back into calls. */
#define EDGEC_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

EDGEC_NO_LIBCALL void *memcpy(void *dst, const void *src, size_t n)
{
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  while (n--) *d++ = *s++;
  return dst;
}

EDGEC_NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  if (d < s) while (n--) *d++ = *s++;
  else while (n--) d[n] = s[n];
  return dst;
}

EDGEC_NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
  unsigned char *d = (unsigned char *)dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

EDGEC_NO_LIBCALL int memcmp(const void *a, const void *b, size_t n)
{
  const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
  for (; n--; ++x, ++y) if (*x != *y) return *x < *y ? -1 : 1;
  return 0;
}

size_t strlen(const char *s)
{
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

/* ESP-NN's softmax reports a missing scratch buffer with printf: print the format only. */
int printf(const char *fmt, ...)
{
  edgec_bench_puts(fmt);
  return 0;
}
