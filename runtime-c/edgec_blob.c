/* Weight blob validation: see edgec_blob.h for the layout. */
#include "edgec_blob.h"
#include "edgec_sha256.h"
#ifdef EDGEC_WITH_MBEDTLS
#include "edgec_sig.h"
#endif

#include <string.h>

uint32_t edgec_le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint16_t edgec_le16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}

edgec_blob_status_t edgec_blob_check(const void *blob, size_t len, const uint8_t fingerprint[EDGEC_FINGERPRINT_BYTES], uint32_t payload_bytes) {
  const uint8_t *b = (const uint8_t *)blob;
  uint8_t digest[EDGEC_SHA256_BYTES];
  uint32_t declared;
  if (b == NULL || len < 4u) return EDGEC_BLOB_TRUNCATED;
  if (memcmp(b, "EDGW", 4) != 0) return EDGEC_BLOB_BAD_MAGIC;
  if (len < EDGEC_BLOB_HEADER_BYTES) return EDGEC_BLOB_TRUNCATED;
  if (edgec_le16(b + 4) != EDGEC_BLOB_VERSION || edgec_le16(b + 6) != EDGEC_BLOB_HEADER_BYTES) return EDGEC_BLOB_BAD_VERSION;
  declared = edgec_le32(b + 8);
  if (!edgec_digest_equal(b + 16, fingerprint, EDGEC_FINGERPRINT_BYTES) || declared != payload_bytes) return EDGEC_BLOB_WRONG_MODEL;
  if (len - EDGEC_BLOB_HEADER_BYTES < (size_t)declared) return EDGEC_BLOB_TRUNCATED;
  /* kernels read arrays in place: their 16-byte alignment inside the blob only holds if the blob itself is aligned */
  if (((uintptr_t)b & (EDGEC_BLOB_ALIGN - 1u)) != 0u) return EDGEC_BLOB_MISALIGNED;
  edgec_sha256(b + EDGEC_BLOB_HEADER_BYTES, declared, digest);
  if (!edgec_digest_equal(digest, b + 48, EDGEC_SHA256_BYTES)) return EDGEC_BLOB_CORRUPT;
#ifdef EDGEC_WITH_MBEDTLS
  {
    /* signature over the whole blob (header + payload), trailer right after it. `len` may be
     * the whole flash slot (an update does not record the blob's length): only the
     * trailer's 72 bytes count, and erased flash after an unsigned blob is "no trailer". */
    const size_t body = EDGEC_BLOB_HEADER_BYTES + (size_t)declared;
    const size_t after = len - body;
    const int sig = after >= 4u && memcmp(b + body, "EDGS", 4) != 0 ? EDGEC_SIG_MISSING
      : edgec_sig_check_buffer(b, body, after < EDGEC_SIG_TRAILER_BYTES ? after : EDGEC_SIG_TRAILER_BYTES);
    if (sig == EDGEC_SIG_MISSING) return EDGEC_BLOB_UNSIGNED;
    if (sig != EDGEC_SIG_OK) return EDGEC_BLOB_BAD_SIGNATURE;
  }
#endif
  return EDGEC_BLOB_OK;
}

const char *edgec_blob_status_name(int status) {
  switch (status) {
    case EDGEC_BLOB_OK: return "ok";
    case EDGEC_BLOB_TRUNCATED: return "truncated";
    case EDGEC_BLOB_BAD_MAGIC: return "bad-magic";
    case EDGEC_BLOB_BAD_VERSION: return "bad-version";
    case EDGEC_BLOB_WRONG_MODEL: return "wrong-model";
    case EDGEC_BLOB_CORRUPT: return "corrupt";
    case EDGEC_BLOB_MISALIGNED: return "misaligned";
    case EDGEC_BLOB_UNSIGNED: return "unsigned";
    case EDGEC_BLOB_BAD_SIGNATURE: return "bad-signature";
    default: return "unknown";
  }
}
