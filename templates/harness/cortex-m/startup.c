/*
 * Minimal Cortex-M startup for the edgec benchmark harness (and for users
 * who want to time their own model on QEMU or a board): vector table, a reset
 * handler that enables the FPU and initialises .data/.bss, semihosting output
 * and exit. No C library needed. Symbols are prefixed edgec_bench_ so their
 * size can be told apart from the model's code.
 */
#include <stdint.h>

extern uint32_t __edgec_data_load[], __edgec_data_start[], __edgec_data_end[];
extern uint32_t __edgec_bss_start[], __edgec_bss_end[], __edgec_stack_top[];
int main(void);
void edgec_bench_reset(void);
void edgec_bench_fault(void);
void edgec_bench_exit(int code);

/* Semihosting call: r0 = operation, r1 = argument block; BKPT 0xAB traps to the host. */
static int32_t edgec_bench_semihost(int32_t op, const void *arg)
{
  register int32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/* SYS_WRITE0: writes a NUL-terminated string to the host's stdout. */
void edgec_bench_puts(const char *s)
{
  (void)edgec_bench_semihost(0x04, s);
}

/* Exit 0: SYS_EXIT with ADP_Stopped_ApplicationExit (on AArch32 the reason
 * is the argument itself). Other codes: SYS_EXIT_EXTENDED with {reason, code}. */
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

void edgec_bench_fault(void)
{
  edgec_bench_puts("EDGEC_FAULT\n");
  edgec_bench_exit(99);
}

void edgec_bench_reset(void)
{
  uint32_t *src = __edgec_data_load, *dst = __edgec_data_start;
  /* CPACR: full access to CP10/CP11 before any floating-point instruction. */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  while (dst < __edgec_data_end) *dst++ = *src++;
  for (dst = __edgec_bss_start; dst < __edgec_bss_end;) *dst++ = 0;
  edgec_bench_exit(main());
}

/* Initial stack pointer, reset, then NMI..SysTick all on the fault handler. */
__attribute__((section(".edgec_vectors"), used)) void (*const edgec_bench_vectors[16])(void) = {
  (void (*)(void))__edgec_stack_top, edgec_bench_reset,
  edgec_bench_fault, edgec_bench_fault, edgec_bench_fault, edgec_bench_fault, edgec_bench_fault,
  0, 0, 0, 0,
  edgec_bench_fault, edgec_bench_fault, 0,
  edgec_bench_fault, edgec_bench_fault,
};
