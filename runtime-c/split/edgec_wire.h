/*
 * edgec wire format: one int8 tensor (the cut tensor of a split model) as a
 * self-describing packet for the cloud side. Layout (little endian; the
 * format is documented in compiler/split/README.md):
 *   "ECUT" | version u8 | flags u8 | dtype u8 | rank u8 | dims u32 x rank |
 *   scale f32 | zero_point i32 | payload_len u32 | payload | crc32 u32
 * flags bit 0: payload LZSS-compressed (the stream edgec_update.c decodes).
 * CRC-32 (IEEE) covers every byte before it.
 * C99, no allocation: the packet is written into the caller's buffer.
 */
#ifndef EDGEC_WIRE_H
#define EDGEC_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "edgec.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  EDGEC_WIRE_OK = 0,
  /* cap is smaller than the packet (even uncompressed); *len is 0 */
  EDGEC_WIRE_BUFFER_TOO_SMALL = 1,
  /* not an int8 tensor of rank 1..EDGEC_MAX_RANK, or a NULL argument */
  EDGEC_WIRE_BAD_TENSOR = 2
} edgec_wire_status_t;

#define EDGEC_WIRE_VERSION 1u
#define EDGEC_WIRE_FLAG_LZSS 1u
#define EDGEC_WIRE_DTYPE_INT8 1u
#define EDGEC_WIRE_HEADER_BYTES(rank) (20u + 4u * (uint32_t)(rank))
/* The largest packet for `count` int8 values: compression never makes one
 * bigger (the encoder falls back to the raw payload). */
#define EDGEC_WIRE_MAX_BYTES(rank, count) (EDGEC_WIRE_HEADER_BYTES(rank) + (uint32_t)(count) + 4u)

/* Writes `t` as one packet into buf[0..cap). compress != 0: LZSS payload
 * when that is smaller than the raw values, raw otherwise (the search state
 * takes 1.5 KB of stack). *len = packet bytes (0 on error). */
edgec_wire_status_t edgec_wire_encode(const edgec_tensor_t *t, uint8_t *buf, size_t cap, size_t *len, int compress);

#ifdef __cplusplus
}
#endif

#endif /* EDGEC_WIRE_H */
