/* Wire encoder check on synthetic tensors: writes, for each pattern and
 * compress flag, (int32 status, uint32 length, packet) to the output file.
 * Patterns: 0 zeros (long runs: 258-byte matches), 1 a ramp repeating every
 * 97 bytes (matches at distance 97), 2 pseudo-random (incompressible: raw
 * fallback); then zeros again, raw and compressed, into a buffer of only
 * `cap` bytes. Usage: wire_test <out.bin> <cap> */
#include <stdio.h>
#include <stdlib.h>
#include "edgec_wire.h"

#define N 3000
static int8_t values[N];
static uint8_t packet[EDGEC_WIRE_HEADER_BYTES(4) + N + 4];

static void fill(int pattern) {
  uint32_t x = 12345u;
  int i;
  for (i = 0; i < N; i++) {
    x = x * 1103515245u + 12345u;
    values[i] = pattern == 1 ? (int8_t)(i % 97 - 48) : pattern == 2 ? (int8_t)(x >> 24) : 0;
  }
}

static void encode(FILE *out, size_t cap, int compress) {
  edgec_tensor_t t = {0};
  size_t len = 999;
  int32_t status;
  uint32_t len32;
  t.data = values;
  t.type = EDGEC_INT8;
  t.rank = 4;
  t.dims[0] = 1;
  t.dims[1] = 3;
  t.dims[2] = 20;
  t.dims[3] = 50;
  t.scale = 0.0625f;
  t.zero_point = -7;
  t.bytes = N;
  status = (int32_t)edgec_wire_encode(&t, packet, cap, &len, compress);
  len32 = (uint32_t)len;
  fwrite(&status, sizeof status, 1, out);
  fwrite(&len32, sizeof len32, 1, out);
  fwrite(packet, 1, len, out);
}

int main(int argc, char **argv) {
  FILE *out;
  int pattern;
  int compress;
  if (argc != 3) return 2;
  out = fopen(argv[1], "wb");
  if (!out) return 2;
  for (pattern = 0; pattern < 3; pattern++) {
    fill(pattern);
    for (compress = 0; compress < 2; compress++) encode(out, sizeof packet, compress);
  }
  fill(0);
  encode(out, (size_t)strtoul(argv[2], NULL, 10), 0);
  encode(out, (size_t)strtoul(argv[2], NULL, 10), 1);
  fclose(out);
  return 0;
}
