/* ECDSA P-256 verification of edgec signature trailers with mbedTLS (2.28 and 3.x APIs). */
#include "edgec_sig.h"
#include "edgec_sha256.h"

#include <string.h>

#ifdef EDGEC_WITH_MBEDTLS
#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>

static int verify_p256(const uint8_t hash[32], const uint8_t rs[64]) {
  mbedtls_ecp_group grp;
  mbedtls_ecp_point q;
  mbedtls_mpi r, s;
  int ret;
  mbedtls_ecp_group_init(&grp);
  mbedtls_ecp_point_init(&q);
  mbedtls_mpi_init(&r);
  mbedtls_mpi_init(&s);
  ret = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1);
  if (ret == 0) ret = mbedtls_ecp_point_read_binary(&grp, &q, edgec_signing_pubkey, EDGEC_SIG_PUBKEY_BYTES);
  if (ret == 0) ret = mbedtls_mpi_read_binary(&r, rs, 32);
  if (ret == 0) ret = mbedtls_mpi_read_binary(&s, rs + 32, 32);
  if (ret == 0) ret = mbedtls_ecdsa_verify(&grp, hash, 32, &q, &r, &s);
  mbedtls_mpi_free(&s);
  mbedtls_mpi_free(&r);
  mbedtls_ecp_point_free(&q);
  mbedtls_ecp_group_free(&grp);
  return ret == 0;
}
#else
static int verify_p256(const uint8_t hash[32], const uint8_t rs[64]) {
  /* without mbedTLS nothing can be verified: refuse rather than accept */
  (void)hash;
  (void)rs;
  return 0;
}
#endif

edgec_sig_status_t edgec_sig_check_hash(const uint8_t hash[32], size_t signed_len, const uint8_t *trailer, size_t trailer_len) {
  uint32_t declared;
  if (trailer_len == 0u) return EDGEC_SIG_MISSING;
  if (trailer_len != EDGEC_SIG_TRAILER_BYTES || memcmp(trailer, "EDGS", 4) != 0) return EDGEC_SIG_MALFORMED;
  declared = (uint32_t)trailer[4] | ((uint32_t)trailer[5] << 8) | ((uint32_t)trailer[6] << 16) | ((uint32_t)trailer[7] << 24);
  if ((size_t)declared != signed_len) return EDGEC_SIG_MALFORMED;
  return verify_p256(hash, trailer + 8) ? EDGEC_SIG_OK : EDGEC_SIG_INVALID;
}

edgec_sig_status_t edgec_sig_check_buffer(const uint8_t *data, size_t len, size_t trailer_len) {
  uint8_t hash[32];
  edgec_sha256(data, len, hash);
  return edgec_sig_check_hash(hash, len, data + len, trailer_len);
}
