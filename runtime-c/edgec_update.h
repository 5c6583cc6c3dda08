/*
 * On-device model update: applies an `edgec delta` patch (or a full image,
 * a patch with an empty base) from a stream into the INACTIVE slot of an A/B
 * pair, through user callbacks, in bounded RAM (sizeof(edgec_update_t)).
 *
 * Patch layout (little-endian):
 *   0  "EDGP"   4 u16 version (1)   6 u8 window bits (8)   7 u8 flags (0, or 1 = encrypted)
 *   8  u32 base bytes   12 u32 target bytes   16 u32 body bytes   20 u32 CRC-32 of the body
 *   24 base sha256[32]  56 target sha256[32]
 *   [encrypted only, flags bit 0: 88 initial AES-128-CTR counter block[16]
 *    (12-byte nonce, 4 zero bytes), 104 key check[8] = AES-128(key, nonce ||
 *    ff ff ff ff)[0..8); the body below is then AES-128-CTR ciphertext and the
 *    CRC-32 is over the ciphertext]
 *   88 (112) body: LZSS (flag byte per 8 items; 1 = literal byte, 0 = back reference
 *      of two bytes: distance-1, length-3, window 2^bits) over an op stream:
 *      0x01 COPY varint base offset, varint length   (bytes of the active slot)
 *      0x02 LIT  varint length, bytes
 *      0x00 END
 *   then an optional signature trailer (edgec_sig.h) over every byte before it
 *   (encrypt-then-sign: it covers the ciphertext).
 *
 * Encrypted patches (`edgec delta --encrypt`, `edgec encrypt`) need
 * EDGEC_WITH_MBEDTLS (mbedTLS AES, CTR mode) and io.device_key; each chunk is
 * decrypted as it streams in (no buffer of the payload). A wrong key is
 * refused by the key check before anything is erased; tampered ciphertext by
 * the body CRC, the signature and the target hash.
 *
 * Safety: only erase_target/write_target touch flash, and only the inactive
 * slot; the active slot is only read. The update is reported OK only after the
 * written slot was read back and its SHA-256 matched the patch's target hash
 * (and, with EDGEC_WITH_MBEDTLS, the patch signature verified). A power cut at
 * any point leaves the active slot as it was; the inactive slot then fails
 * its own hash check (edgec_blob_check) and the same call can simply be
 * retried. Switch to the new slot (e.g. esp_ota_set_boot_partition, or your
 * own slot record) only after EDGEC_UPDATE_OK.
 */
#ifndef EDGEC_UPDATE_H
#define EDGEC_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "edgec_sha256.h"
#ifdef EDGEC_WITH_MBEDTLS
#include <mbedtls/aes.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define EDGEC_PATCH_HEADER_BYTES 88u
/* flags bit 0: the body is AES-128-CTR encrypted; the 24-byte crypt header follows the header */
#define EDGEC_PATCH_FLAG_AES128_CTR 0x01u
#define EDGEC_PATCH_CRYPT_BYTES 24u
#define EDGEC_DEVICE_KEY_BYTES 16u
/* LZSS window: 2^8 bytes of RAM (the format's one-byte distances). */
#define EDGEC_UPDATE_WINDOW_BITS 8
/* Bytes handed to write_target at once (the last write may be shorter). Make
 * it a multiple of the flash's program unit (e.g. 32 for STM32H7). */
#ifndef EDGEC_UPDATE_CHUNK
#define EDGEC_UPDATE_CHUNK 32
#endif

typedef enum {
  EDGEC_UPDATE_OK = 0,
  EDGEC_UPDATE_BAD_MAGIC = 30,      /* not a patch */
  EDGEC_UPDATE_BAD_VERSION = 31,    /* patch format or window this runtime does not read */
  EDGEC_UPDATE_TRUNCATED = 32,      /* stream ended early */
  EDGEC_UPDATE_WRONG_BASE = 33,     /* patch made for another model than the active slot */
  EDGEC_UPDATE_CORRUPT = 34,        /* malformed body */
  EDGEC_UPDATE_TARGET_MISMATCH = 35,/* result's SHA-256 is not the patch's target hash */
  EDGEC_UPDATE_TOO_BIG = 36,        /* target larger than the inactive slot */
  EDGEC_UPDATE_IO = 37,             /* a callback failed (e.g. power loss, flash error) */
  EDGEC_UPDATE_VERIFY_FAILED = 38,  /* read-back of the written slot differs */
  EDGEC_UPDATE_UNSIGNED = 39,       /* EDGEC_WITH_MBEDTLS: no signature */
  EDGEC_UPDATE_BAD_SIGNATURE = 40,  /* EDGEC_WITH_MBEDTLS: signature does not verify */
  EDGEC_UPDATE_NO_DECRYPTION = 41,  /* encrypted patch, but built without EDGEC_WITH_MBEDTLS or io.device_key is NULL */
  EDGEC_UPDATE_WRONG_KEY = 42       /* encrypted for another device key (key check differs) */
} edgec_update_status_t;

/* Callbacks return 0 on success (read_patch: bytes read, 0 at end, < 0 on error). */
typedef struct {
  void *ctx;
  /* the patch, sequentially (network, file, staging partition) */
  int (*read_patch)(void *ctx, uint8_t *buf, size_t len);
  /* the ACTIVE slot, random access, read only */
  int (*read_base)(void *ctx, uint32_t offset, uint8_t *buf, size_t len);
  /* the INACTIVE slot: erase [offset, offset+len) (round up to your sectors), program, read back */
  int (*erase_target)(void *ctx, uint32_t offset, size_t len);
  int (*write_target)(void *ctx, uint32_t offset, const uint8_t *buf, size_t len);
  int (*read_target)(void *ctx, uint32_t offset, uint8_t *buf, size_t len);
  /* capacity of the inactive slot in bytes */
  uint32_t target_capacity;
  /* AES-128 key for encrypted patches (EDGEC_DEVICE_KEY_BYTES, e.g. edgec_device_key
   * from `edgec keygen --aes`, or read from secure storage), NULL if none */
  const uint8_t *device_key;
} edgec_update_io_t;

/* Defined by edgec_devkey.c (edgec keygen --aes) when the key is compiled in. */
extern const uint8_t edgec_device_key[EDGEC_DEVICE_KEY_BYTES];

/* All the state of an apply (caller-owned, e.g. static): this is its RAM. */
typedef struct {
  const edgec_update_io_t *io;
  edgec_sha256_t patch_hash;   /* over header + body, for the signature */
  edgec_sha256_t target_hash;  /* over what is written */
  uint8_t header[EDGEC_PATCH_HEADER_BYTES];
  uint8_t in[EDGEC_UPDATE_CHUNK];
  uint8_t out[EDGEC_UPDATE_CHUNK];
  uint8_t window[1u << EDGEC_UPDATE_WINDOW_BITS];
  uint32_t in_len, in_pos;     /* buffered patch bytes */
  uint32_t body_left;          /* compressed body bytes not yet consumed */
  uint32_t out_len;            /* bytes in out[] */
  uint32_t written;            /* target bytes produced */
  uint32_t target_len, base_len;
  uint32_t win_pos;            /* LZSS window write position */
  uint32_t copy_left, copy_dist;
  uint32_t body_crc;            /* CRC-32 of the body read so far */
  uint8_t flags, flag_bits;
  uint8_t encrypted;           /* body is decrypted as it is read */
  int status;                  /* first error, sticky */
#ifdef EDGEC_WITH_MBEDTLS
  mbedtls_aes_context aes;     /* key schedule; wiped when the apply returns */
  uint8_t ctr[16], stream[16]; /* CTR counter block and current keystream block */
  size_t ctr_off;
#endif
} edgec_update_t;

/* Applies one patch; returns EDGEC_UPDATE_OK only when the inactive slot holds the verified target. */
edgec_update_status_t edgec_update_apply(edgec_update_t *u, const edgec_update_io_t *io);

const char *edgec_update_status_name(int status);

#ifdef __cplusplus
}
#endif

#endif /* EDGEC_UPDATE_H */
