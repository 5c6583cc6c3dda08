/* Streaming A/B apply of edgec patches: see edgec_update.h for format and guarantees. */
#include "edgec_update.h"
#include "edgec_blob.h"
#ifdef EDGEC_WITH_MBEDTLS
#include "edgec_sig.h"
#endif

#include <string.h>

#define WINDOW_MASK ((1u << EDGEC_UPDATE_WINDOW_BITS) - 1u)
#define TRAILER_MAX 72u

static int fail(edgec_update_t *u, int status) {
  if (u->status == EDGEC_UPDATE_OK) u->status = status;
  return -1;
}

/* CRC-32 (IEEE, reflected), bitwise: no table in flash or RAM. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, uint32_t n) {
  uint32_t i;
  int k;
  crc = ~crc;
  for (i = 0; i < n; i++) {
    crc ^= p[i];
    for (k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

/* Reads exactly len header/trailer bytes; returns the count read before the stream ended. */
static int read_exact(edgec_update_t *u, uint8_t *buf, uint32_t len) {
  uint32_t got = 0;
  while (got < len) {
    int n = u->io->read_patch(u->io->ctx, buf + got, len - got);
    if (n < 0) return fail(u, EDGEC_UPDATE_IO);
    if (n == 0) break;
    got += (uint32_t)n;
  }
  return (int)got;
}

/* Next compressed body byte; never reads past the body (the signature follows it). */
static int body_byte(edgec_update_t *u) {
  if (u->in_pos == u->in_len) {
    int n;
    if (u->body_left == 0u) return fail(u, EDGEC_UPDATE_CORRUPT);
    n = u->io->read_patch(u->io->ctx, u->in, u->body_left < EDGEC_UPDATE_CHUNK ? u->body_left : EDGEC_UPDATE_CHUNK);
    if (n < 0) return fail(u, EDGEC_UPDATE_IO);
    if (n == 0) return fail(u, EDGEC_UPDATE_TRUNCATED);
    edgec_sha256_update(&u->patch_hash, u->in, (size_t)n);
    u->body_crc = crc32_update(u->body_crc, u->in, (uint32_t)n);
#ifdef EDGEC_WITH_MBEDTLS
    /* hash and CRC above are over what was transmitted (the ciphertext); decrypt in place */
    if (u->encrypted && mbedtls_aes_crypt_ctr(&u->aes, (size_t)n, &u->ctr_off, u->ctr, u->stream, u->in, u->in) != 0) return fail(u, EDGEC_UPDATE_CORRUPT);
#endif
    u->body_left -= (uint32_t)n;
    u->in_len = (uint32_t)n;
    u->in_pos = 0;
  }
  return u->in[u->in_pos++];
}

static void window_put(edgec_update_t *u, int b) {
  u->window[u->win_pos & WINDOW_MASK] = (uint8_t)b;
  u->win_pos++;
}

/* Next decompressed byte (LZSS). */
static int lz_byte(edgec_update_t *u) {
  int b;
  if (u->copy_left == 0u) {
    int bit;
    if (u->flag_bits == 0u) {
      b = body_byte(u);
      if (b < 0) return -1;
      u->flags = (uint8_t)b;
      u->flag_bits = 8;
    }
    bit = u->flags & 1u;
    u->flags >>= 1;
    u->flag_bits--;
    if (bit) {
      b = body_byte(u);
      if (b >= 0) window_put(u, b);
      return b;
    } else {
      int d = body_byte(u);
      int l = d < 0 ? -1 : body_byte(u);
      if (l < 0) return -1;
      u->copy_dist = (uint32_t)d + 1u;
      u->copy_left = (uint32_t)l + 3u;
      if (u->copy_dist > u->win_pos) return fail(u, EDGEC_UPDATE_CORRUPT);
    }
  }
  b = u->window[(u->win_pos - u->copy_dist) & WINDOW_MASK];
  window_put(u, b);
  u->copy_left--;
  return b;
}

static int lz_varint(edgec_update_t *u, uint32_t *value) {
  uint32_t v = 0;
  int shift;
  for (shift = 0; shift < 35; shift += 7) {
    int b = lz_byte(u);
    if (b < 0) return -1;
    v |= (uint32_t)(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *value = v;
      return 0;
    }
  }
  return fail(u, EDGEC_UPDATE_CORRUPT);
}

static int flush_out(edgec_update_t *u) {
  if (u->out_len == 0u) return 0;
  if (u->io->write_target(u->io->ctx, u->written - u->out_len, u->out, u->out_len) != 0) return fail(u, EDGEC_UPDATE_IO);
  edgec_sha256_update(&u->target_hash, u->out, u->out_len);
  u->out_len = 0;
  return 0;
}

static int out_byte(edgec_update_t *u, int b) {
  if (u->written >= u->target_len) return fail(u, EDGEC_UPDATE_CORRUPT);
  u->out[u->out_len++] = (uint8_t)b;
  u->written++;
  return u->out_len == EDGEC_UPDATE_CHUNK ? flush_out(u) : 0;
}

/* COPY: bytes of the active slot straight into the write buffer. */
static int copy_base(edgec_update_t *u, uint32_t offset, uint32_t len) {
  if (offset > u->base_len || len > u->base_len - offset || len > u->target_len - u->written) return fail(u, EDGEC_UPDATE_CORRUPT);
  while (len > 0u) {
    uint32_t n = EDGEC_UPDATE_CHUNK - u->out_len;
    if (n > len) n = len;
    if (u->io->read_base(u->io->ctx, offset, u->out + u->out_len, n) != 0) return fail(u, EDGEC_UPDATE_IO);
    u->out_len += n;
    u->written += n;
    offset += n;
    len -= n;
    if (u->out_len == EDGEC_UPDATE_CHUNK && flush_out(u) != 0) return -1;
  }
  return 0;
}

/* SHA-256 of len bytes read through `read` (the active or the inactive slot). */
static int hash_slot(edgec_update_t *u, int (*read)(void *, uint32_t, uint8_t *, size_t), uint32_t len, uint8_t digest[32]) {
  edgec_sha256_t h;
  uint32_t off = 0;
  edgec_sha256_init(&h);
  while (off < len) {
    uint32_t n = len - off < EDGEC_UPDATE_CHUNK ? len - off : EDGEC_UPDATE_CHUNK;
    if (read(u->io->ctx, off, u->out, n) != 0) return fail(u, EDGEC_UPDATE_IO);
    edgec_sha256_update(&h, u->out, n);
    off += n;
  }
  edgec_sha256_final(&h, digest);
  return 0;
}

/* Encrypted body: reads the crypt header, checks the key, sets up AES-128-CTR. */
static int start_decrypt(edgec_update_t *u) {
#ifdef EDGEC_WITH_MBEDTLS
  uint8_t c[EDGEC_PATCH_CRYPT_BYTES];
  uint8_t check[16];
  int got;
  if (u->io->device_key == NULL) return fail(u, EDGEC_UPDATE_NO_DECRYPTION);
  got = read_exact(u, c, EDGEC_PATCH_CRYPT_BYTES);
  if (got < 0) return -1;
  if (got < (int)EDGEC_PATCH_CRYPT_BYTES) return fail(u, EDGEC_UPDATE_TRUNCATED);
  edgec_sha256_update(&u->patch_hash, c, EDGEC_PATCH_CRYPT_BYTES);
  if (mbedtls_aes_setkey_enc(&u->aes, u->io->device_key, 128) != 0) return fail(u, EDGEC_UPDATE_NO_DECRYPTION);
  /* key check: the encryption of a counter block the body never reaches. Done as CTR over a
   * zero block (= AES(block)) rather than ECB, so only AES encryption is linked, no decrypt tables. */
  memcpy(u->ctr, c, 12);
  memset(u->ctr + 12, 0xff, 4);
  memset(check, 0, sizeof check);
  u->ctr_off = 0;
  if (mbedtls_aes_crypt_ctr(&u->aes, sizeof check, &u->ctr_off, u->ctr, u->stream, check, check) != 0 || !edgec_digest_equal(check, c + 16, 8)) return fail(u, EDGEC_UPDATE_WRONG_KEY);
  memcpy(u->ctr, c, 16);
  u->ctr_off = 0;
  u->encrypted = 1;
  return 0;
#else
  /* no AES in this build: refuse before erasing anything rather than write ciphertext */
  return fail(u, EDGEC_UPDATE_NO_DECRYPTION);
#endif
}

static int read_header(edgec_update_t *u) {
  uint8_t digest[32];
  const uint8_t *h = u->header;
  int got = read_exact(u, u->header, EDGEC_PATCH_HEADER_BYTES);
  if (got < 0) return -1;
  if (got >= 4 && memcmp(h, "EDGP", 4) != 0) return fail(u, EDGEC_UPDATE_BAD_MAGIC);
  if (got < (int)EDGEC_PATCH_HEADER_BYTES) return fail(u, EDGEC_UPDATE_TRUNCATED);
  /* every header bit means something: unknown flags or window are refused, not ignored */
  if (edgec_le16(h + 4) != 1u || h[6] != 8u || (h[7] & ~EDGEC_PATCH_FLAG_AES128_CTR) != 0u) return fail(u, EDGEC_UPDATE_BAD_VERSION);
  edgec_sha256_update(&u->patch_hash, h, EDGEC_PATCH_HEADER_BYTES);
  u->base_len = edgec_le32(h + 8);
  u->target_len = edgec_le32(h + 12);
  u->body_left = edgec_le32(h + 16);
  if (u->target_len > u->io->target_capacity) return fail(u, EDGEC_UPDATE_TOO_BIG);
  if ((h[7] & EDGEC_PATCH_FLAG_AES128_CTR) != 0u && start_decrypt(u) != 0) return -1;
  /* the base must be exactly what the patch was made from, before anything is erased */
  if (hash_slot(u, u->io->read_base, u->base_len, digest) != 0) return -1;
  if (!edgec_digest_equal(digest, h + 24, 32)) return fail(u, EDGEC_UPDATE_WRONG_BASE);
  return 0;
}

static int decode_body(edgec_update_t *u) {
  for (;;) {
    uint32_t a, b, i;
    int op = lz_byte(u);
    if (op < 0) return -1;
    if (op == 0x00) break;
    if (op == 0x01) {
      if (lz_varint(u, &a) != 0 || lz_varint(u, &b) != 0 || copy_base(u, a, b) != 0) return -1;
    } else if (op == 0x02) {
      if (lz_varint(u, &b) != 0) return -1;
      if (b > u->target_len - u->written) return fail(u, EDGEC_UPDATE_CORRUPT);
      for (i = 0; i < b; i++) {
        int c = lz_byte(u);
        if (c < 0 || out_byte(u, c) != 0) return -1;
      }
    } else {
      return fail(u, EDGEC_UPDATE_CORRUPT);
    }
  }
  /* END must close the body exactly, with the whole target produced */
  /* ... and the unused bits of the last flag byte are zero (the encoder pads so; a flipped one is damage) */
  if (u->copy_left != 0u || u->flags != 0u || u->in_pos != u->in_len || u->body_left != 0u || u->written != u->target_len) return fail(u, EDGEC_UPDATE_CORRUPT);
  /* a body that decodes to the right bytes through different back references is still damaged */
  if (u->body_crc != edgec_le32(u->header + 20)) return fail(u, EDGEC_UPDATE_CORRUPT);
  return flush_out(u);
}

/* The signature trailer (if any) goes into the window, which decoding no longer needs. */
static int check_trailer(edgec_update_t *u, const uint8_t patch_digest[32]) {
  int got = read_exact(u, u->window, TRAILER_MAX + 1u);
  if (got < 0) return -1;
  if (got > 0 && got < (int)TRAILER_MAX) return fail(u, EDGEC_UPDATE_TRUNCATED);
#ifdef EDGEC_WITH_MBEDTLS
  {
    const size_t head = EDGEC_PATCH_HEADER_BYTES + (u->encrypted ? EDGEC_PATCH_CRYPT_BYTES : 0u);
    const edgec_sig_status_t s = edgec_sig_check_hash(patch_digest, head + edgec_le32(u->header + 16), u->window, (size_t)got);
    if (s == EDGEC_SIG_MISSING) return fail(u, EDGEC_UPDATE_UNSIGNED);
    if (s != EDGEC_SIG_OK) return fail(u, EDGEC_UPDATE_BAD_SIGNATURE);
  }
#else
  (void)patch_digest;
#endif
  return 0;
}

static edgec_update_status_t apply(edgec_update_t *u, const edgec_update_io_t *io) {
  uint8_t digest[32];
  edgec_sha256_init(&u->patch_hash);
  edgec_sha256_init(&u->target_hash);
  if (read_header(u) != 0) return (edgec_update_status_t)u->status;
  if (io->erase_target(io->ctx, 0, u->target_len) != 0) return EDGEC_UPDATE_IO;
  if (decode_body(u) != 0) return (edgec_update_status_t)u->status;
  edgec_sha256_final(&u->patch_hash, digest);
  if (check_trailer(u, digest) != 0) return (edgec_update_status_t)u->status;
  edgec_sha256_final(&u->target_hash, digest);
  if (!edgec_digest_equal(digest, u->header + 56, 32)) return EDGEC_UPDATE_TARGET_MISMATCH;
  /* what reached the flash, not what we meant to write */
  if (hash_slot(u, io->read_target, u->target_len, digest) != 0) return (edgec_update_status_t)u->status;
  if (!edgec_digest_equal(digest, u->header + 56, 32)) return EDGEC_UPDATE_VERIFY_FAILED;
  return EDGEC_UPDATE_OK;
}

edgec_update_status_t edgec_update_apply(edgec_update_t *u, const edgec_update_io_t *io) {
  edgec_update_status_t st;
  memset(u, 0, sizeof *u);
  u->io = io;
  u->status = EDGEC_UPDATE_OK;
#ifdef EDGEC_WITH_MBEDTLS
  mbedtls_aes_init(&u->aes);
#endif
  st = apply(u, io);
#ifdef EDGEC_WITH_MBEDTLS
  /* no key schedule or keystream left in RAM after an apply, whatever its outcome */
  mbedtls_aes_free(&u->aes);
  memset(u->ctr, 0, sizeof u->ctr);
  memset(u->stream, 0, sizeof u->stream);
#endif
  /* decrypted plaintext must not linger in the caller's state either */
  memset(u->in, 0, sizeof u->in);
  memset(u->out, 0, sizeof u->out);
  memset(u->window, 0, sizeof u->window);
  return st;
}

const char *edgec_update_status_name(int status) {
  switch (status) {
    case EDGEC_UPDATE_OK: return "ok";
    case EDGEC_UPDATE_BAD_MAGIC: return "bad-magic";
    case EDGEC_UPDATE_BAD_VERSION: return "bad-version";
    case EDGEC_UPDATE_TRUNCATED: return "truncated";
    case EDGEC_UPDATE_WRONG_BASE: return "wrong-base";
    case EDGEC_UPDATE_CORRUPT: return "corrupt";
    case EDGEC_UPDATE_TARGET_MISMATCH: return "target-mismatch";
    case EDGEC_UPDATE_TOO_BIG: return "too-big";
    case EDGEC_UPDATE_IO: return "io";
    case EDGEC_UPDATE_VERIFY_FAILED: return "verify-failed";
    case EDGEC_UPDATE_UNSIGNED: return "unsigned";
    case EDGEC_UPDATE_BAD_SIGNATURE: return "bad-signature";
    case EDGEC_UPDATE_NO_DECRYPTION: return "no-decryption";
    case EDGEC_UPDATE_WRONG_KEY: return "wrong-key";
    default: return "unknown";
  }
}
