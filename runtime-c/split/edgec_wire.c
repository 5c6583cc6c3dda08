/* edgec wire format encoder (see edgec_wire.h). */
#include <string.h>
#include "edgec_wire.h"

#define LZ_WINDOW 256u
#define LZ_MIN_MATCH 3u
#define LZ_MAX_MATCH 258u
/* Match search: hash chains over the 256-byte window, at most LZ_MAX_CHAIN
 * candidates per position (a brute-force search of the whole window took 28x
 * the instructions on Cortex-M4 for a packet 1% smaller, DS-CNN activations).
 * compiler/split/wire.ts mirrors this search: same packets byte for byte. */
#define LZ_HASH_SIZE 256u
#define LZ_MAX_CHAIN 16u

static void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* CRC-32 (IEEE, reflected 0xEDB88320), a nibble at a time: 64 bytes of table. */
static uint32_t crc32_of(const uint8_t *p, size_t n) {
  static const uint32_t nibble[16] = {
    0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu, 0x76dc4190u, 0x6b6b51f4u, 0x4db26158u, 0x5005713cu,
    0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu, 0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu
  };
  uint32_t crc = 0xffffffffu;
  size_t i;
  for (i = 0; i < n; i++) {
    crc ^= p[i];
    crc = (crc >> 4) ^ nibble[crc & 15u];
    crc = (crc >> 4) ^ nibble[crc & 15u];
  }
  return ~crc;
}

/* The search state, on the stack (1.5 KB): the last position + 1 of each
 * hash, and for each position in the window the distance back to the
 * previous one with the same hash (0: none within the window). */
typedef struct {
  uint32_t head[LZ_HASH_SIZE];
  uint16_t prev[LZ_WINDOW];
} lz_chains_t;

static uint32_t hash3(const uint8_t *p) {
  return ((((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2]) * 2654435761u) >> 24;
}

static void lz_insert(lz_chains_t *c, const uint8_t *src, uint32_t n, uint32_t i) {
  uint32_t h;
  uint32_t last;
  if (i + LZ_MIN_MATCH > n) return;
  h = hash3(src + i);
  last = c->head[h];
  c->prev[i & (LZ_WINDOW - 1u)] = (uint16_t)(last != 0u && i - (last - 1u) <= LZ_WINDOW ? i - (last - 1u) : 0u);
  c->head[h] = i + 1u;
}

/* Longest earlier match for src[i..] among the chain's candidates. */
static uint32_t longest_match(const lz_chains_t *c, const uint8_t *src, uint32_t n, uint32_t i, uint32_t *dist) {
  uint32_t best = 0;
  uint32_t limit = n - i < LZ_MAX_MATCH ? n - i : LZ_MAX_MATCH;
  uint32_t cand;
  uint32_t steps;
  if (limit < LZ_MIN_MATCH) return 0;
  cand = c->head[hash3(src + i)];
  for (steps = 0; cand != 0u && steps < LZ_MAX_CHAIN && best < limit; steps++) {
    uint32_t pos = cand - 1u;
    uint32_t len = 0;
    uint32_t back;
    if (i - pos > LZ_WINDOW) break;
    /* a match may overlap the bytes it produces (runs): the decoder copies byte by byte */
    while (len < limit && src[pos + len] == src[i + len]) len++;
    if (len > best) {
      best = len;
      *dist = i - pos;
    }
    back = c->prev[pos & (LZ_WINDOW - 1u)];
    cand = back != 0u && back <= pos ? pos - back + 1u : 0u;
  }
  return best;
}

/* LZSS into out[0..cap): a flag byte announces 8 items, LSB first; 1 = one
 * literal byte, 0 = (distance - 1, length - 3). Returns the compressed size,
 * or 0 when it does not fit in cap. */
static uint32_t lzss_compress(const uint8_t *src, uint32_t n, uint8_t *out, uint32_t cap) {
  lz_chains_t chains;
  uint32_t o = 0;
  uint32_t flag_pos = 0;
  uint32_t flag_bit = 8;
  uint32_t i = 0;
  memset(&chains, 0, sizeof chains);
  while (i < n) {
    uint32_t dist = 0;
    uint32_t len = longest_match(&chains, src, n, i, &dist);
    uint32_t item = len >= LZ_MIN_MATCH ? 2u : 1u;
    uint32_t k;
    if (flag_bit == 8u) {
      if (o >= cap) return 0;
      flag_pos = o;
      out[o++] = 0;
      flag_bit = 0;
    }
    if (o + item > cap) return 0;
    if (len >= LZ_MIN_MATCH) {
      out[o++] = (uint8_t)(dist - 1u);
      out[o++] = (uint8_t)(len - LZ_MIN_MATCH);
    } else {
      len = 1;
      out[flag_pos] = (uint8_t)(out[flag_pos] | (1u << flag_bit));
      out[o++] = src[i];
    }
    for (k = 0; k < len; k++) lz_insert(&chains, src, n, i + k);
    i += len;
    flag_bit++;
  }
  return o;
}

edgec_wire_status_t edgec_wire_encode(const edgec_tensor_t *t, uint8_t *buf, size_t cap, size_t *len, int compress) {
  uint32_t header;
  uint32_t count = 1;
  uint32_t payload = 0;
  uint32_t flags = 0;
  int32_t r;
  if (len) *len = 0;
  if (!t || !buf || !len || !t->data || t->type != EDGEC_INT8 || t->rank < 1 || t->rank > EDGEC_MAX_RANK) return EDGEC_WIRE_BAD_TENSOR;
  for (r = 0; r < t->rank; r++) {
    if (t->dims[r] < 0) return EDGEC_WIRE_BAD_TENSOR;
    count *= (uint32_t)t->dims[r];
  }
  if (count != t->bytes) return EDGEC_WIRE_BAD_TENSOR;
  header = EDGEC_WIRE_HEADER_BYTES(t->rank);
  if (cap < (size_t)header + 4u) return EDGEC_WIRE_BUFFER_TOO_SMALL;
  if (compress && count > 0u) {
    /* worth it only when smaller than the raw values; leave room for the CRC */
    size_t room = cap - header - 4u;
    uint32_t limit = room < (size_t)count - 1u ? (uint32_t)room : count - 1u;
    payload = lzss_compress((const uint8_t *)t->data, count, buf + header, limit);
    if (payload > 0u) flags = EDGEC_WIRE_FLAG_LZSS;
  }
  if (flags == 0u) {
    if (cap - header - 4u < (size_t)count) return EDGEC_WIRE_BUFFER_TOO_SMALL;
    memcpy(buf + header, t->data, count);
    payload = count;
  }
  buf[0] = 'E';
  buf[1] = 'C';
  buf[2] = 'U';
  buf[3] = 'T';
  buf[4] = (uint8_t)EDGEC_WIRE_VERSION;
  buf[5] = (uint8_t)flags;
  buf[6] = (uint8_t)EDGEC_WIRE_DTYPE_INT8;
  buf[7] = (uint8_t)t->rank;
  for (r = 0; r < t->rank; r++) put_le32(buf + 8 + 4 * r, (uint32_t)t->dims[r]);
  {
    uint32_t scale_bits;
    memcpy(&scale_bits, &t->scale, sizeof scale_bits);
    put_le32(buf + header - 12u, scale_bits);
  }
  put_le32(buf + header - 8u, (uint32_t)t->zero_point);
  put_le32(buf + header - 4u, payload);
  put_le32(buf + header + payload, crc32_of(buf, (size_t)header + payload));
  *len = (size_t)header + payload + 4u;
  return EDGEC_WIRE_OK;
}
