/*
 * The update code on an emulated Cortex-M4 (QEMU mps2-an386): the active blob
 * is a const array (flash), the inactive slot a RAM array standing in for
 * flash, the patch a const array read as a stream. Prints the apply status,
 * the bound model's output on a fixed input, the apply's state size and its
 * measured stack high-water mark. m4_data.h is written by the test.
 */
#include <stdint.h>
#include <string.h>

#include "model.h"
#include "edgec_update.h"
#include "m4_data.h" /* m4_base[], m4_patch[], m4_input[] */

void edgec_bench_puts(const char *s);

static uint8_t slot_b[M4_SLOT_BYTES] __attribute__((aligned(16)));
static edgec_update_t update_state;
static size_t patch_pos;

static int read_patch(void *ctx, uint8_t *buf, size_t len) {
  size_t n = sizeof m4_patch - patch_pos;
  (void)ctx;
  if (n > len) n = len;
  memcpy(buf, m4_patch + patch_pos, n);
  patch_pos += n;
  return (int)n;
}
static int read_base(void *ctx, uint32_t off, uint8_t *buf, size_t len) {
  (void)ctx;
  if (off + len > sizeof m4_base) return -1;
  memcpy(buf, m4_base + off, len);
  return 0;
}
static int erase_target(void *ctx, uint32_t off, size_t len) {
  (void)ctx;
  memset(slot_b + off, 0xff, len);
  return 0;
}
static int write_target(void *ctx, uint32_t off, const uint8_t *buf, size_t len) {
  size_t i;
  (void)ctx;
  for (i = 0; i < len; i++) slot_b[off + i] &= buf[i];
  return 0;
}
static int read_target(void *ctx, uint32_t off, uint8_t *buf, size_t len) {
  (void)ctx;
  memcpy(buf, slot_b + off, len);
  return 0;
}

static void put_uint(const char *label, uint32_t v) {
  char buf[48];
  char digits[12];
  int n = 0, i = 0;
  do { digits[n++] = (char)('0' + v % 10u); v /= 10u; } while (v != 0u);
  while (*label) buf[i++] = *label++;
  while (n > 0) buf[i++] = digits[--n];
  buf[i++] = '\n';
  buf[i] = 0;
  edgec_bench_puts(buf);
}

#define PAINT_BYTES 4096u

/* Paints the stack below the caller, runs the apply, and measures how deep it went. */
static __attribute__((noinline)) edgec_update_status_t measured_apply(const edgec_update_io_t *io, uint32_t *stack_used) {
  volatile uint8_t *sp = (volatile uint8_t *)__builtin_frame_address(0);
  uint32_t i;
  edgec_update_status_t st;
  for (i = 64u; i < PAINT_BYTES; i++) sp[-(int32_t)i] = 0xa5u;
  st = edgec_update_apply(&update_state, io);
  for (i = PAINT_BYTES - 1u; i >= 64u && sp[-(int32_t)i] == 0xa5u; i--) {
  }
  *stack_used = i;
  return st;
}

int main(void) {
  edgec_update_io_t io;
  uint32_t stack_used = 0;
  char line[8 + 2 * 64 + 2];
  static const char hexdig[] = "0123456789abcdef";
  edgec_tensor_t *in, *out;
  uint32_t k;
  edgec_update_status_t st;
  io.ctx = NULL;
  io.read_patch = read_patch;
  io.read_base = read_base;
  io.erase_target = erase_target;
  io.write_target = write_target;
  io.read_target = read_target;
  io.target_capacity = M4_SLOT_BYTES;
  io.device_key = NULL;
  st = measured_apply(&io, &stack_used);
  put_uint("apply ", (uint32_t)st);
  put_uint("state-bytes ", (uint32_t)sizeof(edgec_update_t));
  put_uint("stack-bytes ", stack_used);
  put_uint("bind ", (uint32_t)model_bind_weights(slot_b, sizeof slot_b));
  in = model_input(0);
  memcpy(in->data, m4_input, in->bytes);
  put_uint("invoke ", (uint32_t)model_invoke());
  out = model_output(0);
  memcpy(line, "output ", 7);
  for (k = 0; k < out->bytes && k < 64u; k++) {
    line[7 + 2 * k] = hexdig[((const uint8_t *)out->data)[k] >> 4];
    line[8 + 2 * k] = hexdig[((const uint8_t *)out->data)[k] & 15u];
  }
  line[7 + 2 * k] = '\n';
  line[8 + 2 * k] = 0;
  edgec_bench_puts(line);
  return 0;
}
