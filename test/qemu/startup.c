/* Minimal bare-metal startup for QEMU mps2-an386 (Cortex-M4F): vector table,
 * reset handler (copy .data, zero .bss, enable the FPU, call main) and Arm
 * semihosting (SYS_WRITE0 to print, SYS_EXIT to stop QEMU with a status).
 * Run: qemu-system-arm -M mps2-an386 -nographic
 *        -semihosting-config enable=on,target=native -kernel app.elf */
#include <stdint.h>

extern uint32_t _data_load, _data_start, _data_end, _bss_start, _bss_end, _stack_top;
int main(void);
void reset_handler(void);
void semihost_puts(const char *s);

#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUN_TIME_ERROR 0x20023

static int semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void semihost_puts(const char *s) { (void)semihost(SYS_WRITE0, s); }

static void semihost_exit(int status) {
  /* AArch32 SYS_EXIT takes the reason only: QEMU exits 0 for ApplicationExit, 1 otherwise. */
  (void)semihost(SYS_EXIT, (const void *)(uintptr_t)(status == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUN_TIME_ERROR));
  for (;;) {}
}

static void fault_handler(void) {
  semihost_puts("hard fault\n");
  semihost_exit(1);
}

void reset_handler(void) {
  uint32_t *src = &_data_load;
  uint32_t *dst;
  for (dst = &_data_start; dst < &_data_end;) *dst++ = *src++;
  for (dst = &_bss_start; dst < &_bss_end;) *dst++ = 0;
  /* CPACR: full access to CP10/CP11 before any floating-point instruction. */
  *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb");
  semihost_exit(main());
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
  (void (*)(void))(uintptr_t)&_stack_top, reset_handler, fault_handler, fault_handler,
  fault_handler, fault_handler, fault_handler, 0, 0, 0, 0, fault_handler, fault_handler, 0, fault_handler, fault_handler,
};
