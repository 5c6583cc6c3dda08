/*
 * SHA-256 (FIPS 180-4), streaming, no allocation. Used to validate weight
 * blobs in place and to check update patches while they stream in.
 */
#ifndef EDGEC_SHA256_H
#define EDGEC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDGEC_SHA256_BYTES 32

typedef struct {
  uint32_t state[8];
  uint64_t length;   /* bytes hashed so far */
  uint8_t block[64];
  uint32_t used;     /* bytes waiting in block[] */
} edgec_sha256_t;

void edgec_sha256_init(edgec_sha256_t *ctx);
void edgec_sha256_update(edgec_sha256_t *ctx, const void *data, size_t len);
void edgec_sha256_final(edgec_sha256_t *ctx, uint8_t digest[EDGEC_SHA256_BYTES]);
/* One-shot hash of a buffer. */
void edgec_sha256(const void *data, size_t len, uint8_t digest[EDGEC_SHA256_BYTES]);
/* Constant-time comparison of two digests: 1 when equal. */
int edgec_digest_equal(const uint8_t *a, const uint8_t *b, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* EDGEC_SHA256_H */
