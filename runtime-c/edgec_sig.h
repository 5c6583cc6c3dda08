/*
 * Signatures of weight blobs and update patches: ECDSA P-256 over SHA-256
 * (`edgec sign --key key.pem`). A signed file is the original bytes followed
 * by a 72-byte trailer:
 *   0 "EDGS"   4 u32 signed length (bytes before the trailer)   8 r||s (64 bytes, big-endian)
 * Verification needs mbedTLS (build with -DEDGEC_WITH_MBEDTLS and link
 * mbedcrypto) and the public key from `edgec keygen` (edgec_pubkey.c defines
 * edgec_signing_pubkey as an uncompressed SEC1 point).
 */
#ifndef EDGEC_SIG_H
#define EDGEC_SIG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDGEC_SIG_TRAILER_BYTES 72u
#define EDGEC_SIG_PUBKEY_BYTES 65u

typedef enum {
  EDGEC_SIG_OK = 0,
  EDGEC_SIG_MISSING = 1,   /* no trailer */
  EDGEC_SIG_MALFORMED = 2, /* trailer present but not for these bytes */
  EDGEC_SIG_INVALID = 3    /* signature does not verify */
} edgec_sig_status_t;

/* The verification key compiled into the firmware (edgec keygen writes it). */
extern const uint8_t edgec_signing_pubkey[EDGEC_SIG_PUBKEY_BYTES];

/* Parses `trailer` (trailer_len bytes) for data of signed_len bytes whose SHA-256 is `hash`. */
edgec_sig_status_t edgec_sig_check_hash(const uint8_t hash[32], size_t signed_len, const uint8_t *trailer, size_t trailer_len);
/* Hashes data[0..len) and checks the trailer that follows it. */
edgec_sig_status_t edgec_sig_check_buffer(const uint8_t *data, size_t len, size_t trailer_len);

#ifdef __cplusplus
}
#endif

#endif /* EDGEC_SIG_H */
