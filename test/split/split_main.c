/* Test driver for a split head named `head`: runs it on samples read from a
 * file (each sample: every input's bytes in order) and writes, per sample,
 * (uint32 length, packet) from head_encode_cut(). Usage:
 *   split_main <inputs.bin> <packets.bin> <samples> <compress 0|1> [cap]
 * With cap, the packet buffer is that small: the status is printed and the
 * program exits 3 when it is not EDGEC_WIRE_OK. */
#include <stdio.h>
#include <stdlib.h>
#include "head.h"
#include "head_split.h"

static uint8_t packet[HEAD_CUT_PACKET_MAX_BYTES];

int main(int argc, char **argv) {
  FILE *in;
  FILE *out;
  long samples;
  long s;
  int i;
  int compress;
  size_t cap = sizeof packet;
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: %s inputs.bin packets.bin samples compress [cap]\n", argv[0]);
    return 2;
  }
  in = fopen(argv[1], "rb");
  out = fopen(argv[2], "wb");
  samples = strtol(argv[3], NULL, 10);
  compress = (int)strtol(argv[4], NULL, 10);
  if (argc == 6) cap = (size_t)strtoul(argv[5], NULL, 10);
  if (!in || !out || cap > sizeof packet) return 2;
  for (s = 0; s < samples; s++) {
    size_t len = 12345;
    uint32_t len32;
    edgec_wire_status_t status;
    for (i = 0; i < HEAD_NUM_INPUTS; i++) {
      edgec_tensor_t *t = head_input(i);
      if (fread(t->data, 1, t->bytes, in) != t->bytes) return 2;
    }
    if (head_invoke() != EDGEC_OK) return 4;
    status = head_encode_cut(packet, cap, &len, compress);
    if (status != EDGEC_WIRE_OK) {
      printf("status %d len %lu\n", (int)status, (unsigned long)len);
      return 3;
    }
    len32 = (uint32_t)len;
    fwrite(&len32, sizeof len32, 1, out);
    fwrite(packet, 1, len, out);
  }
  fclose(out);
  fclose(in);
  return 0;
}
