/*
 * Weight blobs (`edgec build --weights blob`): the model's constant arrays in
 * one binary file, read in place from memory-mapped flash.
 *
 * Layout (little-endian), every array 16-byte aligned from the blob start:
 *   0  "EDGW"                 magic
 *   4  u16 version (1)        6  u16 header bytes (80)
 *   8  u32 payload bytes      12 u32 flags (0)
 *   16 fingerprint[32]        SHA-256 of the compiled graph (structure, shapes,
 *                             quantization compiled into the code, array layout)
 *   48 payload sha256[32]
 *   80 payload
 * An optional signature trailer (edgec_sig.h) may follow the payload.
 */
#ifndef EDGEC_BLOB_H
#define EDGEC_BLOB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDGEC_BLOB_VERSION 1u
#define EDGEC_BLOB_HEADER_BYTES 80u
#define EDGEC_BLOB_ALIGN 16u
#define EDGEC_FINGERPRINT_BYTES 32u

/* Results of binding a blob; each failure has its own code. */
typedef enum {
  EDGEC_BLOB_OK = 0,
  EDGEC_BLOB_TRUNCATED = 10,     /* shorter than its header says */
  EDGEC_BLOB_BAD_MAGIC = 11,     /* not a weight blob */
  EDGEC_BLOB_BAD_VERSION = 12,   /* blob format this runtime does not read */
  EDGEC_BLOB_WRONG_MODEL = 13,   /* compiled for another graph (fingerprint or size differs) */
  EDGEC_BLOB_CORRUPT = 14,       /* payload hash mismatch */
  EDGEC_BLOB_MISALIGNED = 15,    /* blob address not 16-byte aligned */
  EDGEC_BLOB_UNSIGNED = 16,      /* EDGEC_WITH_MBEDTLS: no signature trailer */
  EDGEC_BLOB_BAD_SIGNATURE = 17  /* EDGEC_WITH_MBEDTLS: signature does not verify */
} edgec_blob_status_t;

/* Reads a little-endian u16/u32 (the blob may sit anywhere in flash). */
uint32_t edgec_le32(const uint8_t *p);
uint16_t edgec_le16(const uint8_t *p);

/*
 * Validates `blob` for a model with this fingerprint and payload size:
 * magic, version, fingerprint, length, alignment, payload SHA-256, and with
 * EDGEC_WITH_MBEDTLS the signature trailer against the compiled-in key.
 */
edgec_blob_status_t edgec_blob_check(const void *blob, size_t len, const uint8_t fingerprint[EDGEC_FINGERPRINT_BYTES], uint32_t payload_bytes);

/* Short name of a status for logs ("corrupt", "wrong-model", ...). */
const char *edgec_blob_status_name(int status);

#ifdef __cplusplus
}
#endif

#endif /* EDGEC_BLOB_H */
