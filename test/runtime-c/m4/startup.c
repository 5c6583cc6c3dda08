/*
 * Minimal Cortex-M startup for the QEMU mps2 boards (tests and benchmarks):
 * vector table, .data/.bss init, FPU enable, semihosting stdio (newlib's
 * librdimon), then main() and exit() through semihosting.
 * Link with -nostartfiles --specs=rdimon.specs -T m4.ld.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int main(int argc, char **argv);
extern void initialise_monitor_handles(void);
extern uint32_t __data_load, __data_start, __data_end, __bss_start__, __bss_end__, __stack_top;

#ifndef STARTUP_ARG1
#define STARTUP_ARG1 "1"
#endif

void Reset_Handler(void);
void Fault_Handler(void);
void _init(void);
void _fini(void);

/* newlib's __libc_init_array / __libc_fini_array call these (crti is not linked). */
void _init(void) {}
void _fini(void) {}

void Reset_Handler(void)
{
  static char prog[] = "m4", arg1[] = STARTUP_ARG1;
  char *argv[3];
  memcpy(&__data_start, &__data_load, (size_t)((char *)&__data_end - (char *)&__data_start));
  memset(&__bss_start__, 0, (size_t)((char *)&__bss_end__ - (char *)&__bss_start__));
#if defined(__ARM_FP)
  /* CPACR: full access to CP10/CP11 before any floating-point instruction. */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  initialise_monitor_handles();
  argv[0] = prog;
  argv[1] = arg1;
  argv[2] = 0;
  exit(main(2, argv));
}

/* Any fault: report through semihosting and stop with a failure status. */
void Fault_Handler(void)
{
  static const char msg[] = "FAIL: hard fault\n";
  fputs(msg, stdout);
  exit(3);
}

/* Initial stack pointer, then the exception handlers (integers: ISO C has no
 * conversion between object and function pointers). */
#define H(f) ((uintptr_t)(f))
__attribute__((section(".vectors"), used)) static const uintptr_t vectors[16] = {
    (uintptr_t)&__stack_top, H(Reset_Handler), H(Fault_Handler), H(Fault_Handler), H(Fault_Handler),
    H(Fault_Handler),        H(Fault_Handler), 0, 0, 0, 0, H(Fault_Handler), H(Fault_Handler), 0,
    H(Fault_Handler),        H(Fault_Handler),
};
