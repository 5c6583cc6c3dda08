/*
 * Host harness for runtime-c/edgec_update.c and a `--weights blob` model named
 * `model`: an A/B pair of simulated NOR flash slots (erase -> 0xFF, program
 * ANDs bits in), power cuts injected at the N-th erase/program, and a torn
 * last operation. Slot A holds the active model; patches go to slot B.
 *
 *   sim_flash bind <blob>                         bind status of a blob file
 *   sim_flash apply <base> <patch> [in out n]     apply, then run n samples on slot B
 *   sim_flash flips <base> <patch> <stride>       flip every stride-th bit of the patch, apply each
 *   sim_flash powercut <base> <patch>             cut power at every erase/program, check A, retry
 *
 * -DSIM_DEVICE_KEY (with edgec_devkey.c and -DEDGEC_WITH_MBEDTLS): encrypted
 * patches are decrypted with edgec_device_key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "edgec_update.h"

#define SLOT_BYTES (512u * 1024u)

static uint8_t slot_a[SLOT_BYTES] __attribute__((aligned(16)));
static uint8_t slot_b[SLOT_BYTES] __attribute__((aligned(16)));
static uint8_t saved_a[SLOT_BYTES];
static uint32_t base_len;

typedef struct {
  const uint8_t *patch;
  size_t patch_len, pos;
  long events, cut_at; /* power dies at event cut_at (1-based), 0 = never */
  int dead;
} sim_t;

static int power(sim_t *s) {
  if (s->dead) return 0;
  s->events++;
  if (s->cut_at != 0 && s->events == s->cut_at) {
    s->dead = 1;
    return 0;
  }
  return 1;
}

static int read_patch(void *ctx, uint8_t *buf, size_t len) {
  sim_t *s = (sim_t *)ctx;
  size_t n = s->patch_len - s->pos;
  if (s->dead) return -1;
  if (n > len) n = len;
  memcpy(buf, s->patch + s->pos, n);
  s->pos += n;
  return (int)n;
}

static int read_base(void *ctx, uint32_t off, uint8_t *buf, size_t len) {
  sim_t *s = (sim_t *)ctx;
  if (s->dead || off + len > SLOT_BYTES) return -1;
  memcpy(buf, slot_a + off, len);
  return 0;
}

static int erase_target(void *ctx, uint32_t off, size_t len) {
  sim_t *s = (sim_t *)ctx;
  if (off + len > SLOT_BYTES) return -1;
  if (!power(s)) {
    if (!s->dead || s->cut_at != s->events) return -1;
    memset(slot_b + off, 0xff, len / 2); /* torn erase */
    return -1;
  }
  memset(slot_b + off, 0xff, len);
  return 0;
}

static int write_target(void *ctx, uint32_t off, const uint8_t *buf, size_t len) {
  sim_t *s = (sim_t *)ctx;
  size_t i, n = len;
  int ok;
  if (off + len > SLOT_BYTES) return -1;
  ok = power(s);
  if (!ok && !(s->dead && s->cut_at == s->events)) return -1;
  if (!ok) n = len / 2; /* torn program */
  for (i = 0; i < n; i++) slot_b[off + i] &= buf[i];
  return ok ? 0 : -1;
}

static int read_target(void *ctx, uint32_t off, uint8_t *buf, size_t len) {
  sim_t *s = (sim_t *)ctx;
  if (s->dead || off + len > SLOT_BYTES) return -1;
  memcpy(buf, slot_b + off, len);
  return 0;
}

static uint8_t *load(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *data;
  long n;
  if (!f) { fprintf(stderr, "cannot open %s\n", path); exit(2); }
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  data = (uint8_t *)malloc((size_t)n + 1u); /* host harness only; the runtime never allocates */
  if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
  fclose(f);
  *len = (size_t)n;
  return data;
}

static void flash_base(const char *path) {
  size_t n;
  uint8_t *b = load(path, &n);
  memset(slot_a, 0xff, SLOT_BYTES);
  memcpy(slot_a, b, n);
  memcpy(saved_a, slot_a, SLOT_BYTES);
  base_len = (uint32_t)n;
  memset(slot_b, 0x5a, SLOT_BYTES); /* whatever an older update left */
  free(b);
}

static edgec_update_status_t apply(const uint8_t *patch, size_t len, long cut_at) {
  static edgec_update_t u; /* all of the apply's RAM */
  sim_t s;
  edgec_update_io_t io;
  memset(&s, 0, sizeof s);
  s.patch = patch;
  s.patch_len = len;
  s.cut_at = cut_at;
  io.ctx = &s;
  io.read_patch = read_patch;
  io.read_base = read_base;
  io.erase_target = erase_target;
  io.write_target = write_target;
  io.read_target = read_target;
  io.target_capacity = SLOT_BYTES;
#ifdef SIM_DEVICE_KEY
  /* built with edgec_devkey.c; SIM_NO_KEY set: a device that has no key to give */
  io.device_key = getenv("SIM_NO_KEY") ? NULL : edgec_device_key;
#else
  io.device_key = NULL;
#endif
  return edgec_update_apply(&u, &io);
}

/* The active model must be untouched and still bind. */
static int active_intact(void) {
  return memcmp(slot_a, saved_a, SLOT_BYTES) == 0 && model_bind_weights(slot_a, base_len) == EDGEC_BLOB_OK;
}

static int run_samples(const char *in_path, const char *out_path, long samples) {
  FILE *in = fopen(in_path, "rb");
  FILE *out = fopen(out_path, "wb");
  long s;
  int i;
  if (!in || !out) return 2;
  for (s = 0; s < samples; s++) {
    for (i = 0; i < MODEL_NUM_INPUTS; i++) {
      edgec_tensor_t *t = model_input(i);
      if (fread(t->data, 1, t->bytes, in) != t->bytes) return 2;
    }
    if (model_invoke() != EDGEC_OK) return 3;
    for (i = 0; i < MODEL_NUM_OUTPUTS; i++) fwrite(model_output(i)->data, 1, model_output(i)->bytes, out);
  }
  fclose(in);
  fclose(out);
  return 0;
}

int main(int argc, char **argv) {
  size_t plen;
  uint8_t *patch;
  if (argc >= 3 && strcmp(argv[1], "bind") == 0) {
    size_t n;
    uint8_t *b = load(argv[2], &n);
    memcpy(slot_a, b, n);
    printf("bind %s\n", edgec_blob_status_name(model_bind_weights(slot_a, n)));
    printf("invoke %s\n", model_invoke() == EDGEC_OK ? "ok" : "refused");
    return 0;
  }
  if (argc < 4) { fprintf(stderr, "usage: see sim_flash.c\n"); return 2; }
  flash_base(argv[2]);
  patch = load(argv[3], &plen);
  if (strcmp(argv[1], "apply") == 0) {
    edgec_update_status_t st = apply(patch, plen, 0);
    printf("apply %s\n", edgec_update_status_name(st));
    printf("active %s\n", active_intact() ? "intact" : "DAMAGED");
    printf("state-bytes %u\n", (unsigned)sizeof(edgec_update_t));
    if (st == EDGEC_UPDATE_OK && argc == 7) {
      printf("bind-b %s\n", edgec_blob_status_name(model_bind_weights(slot_b, SLOT_BYTES)));
      return run_samples(argv[4], argv[5], strtol(argv[6], NULL, 10));
    }
    return 0;
  }
  if (strcmp(argv[1], "flips") == 0 && argc == 5) {
    long stride = strtol(argv[4], NULL, 10), bit, flips = 0, accepted = 0, damaged = 0;
    long counts[64] = { 0 };
    int i;
    for (bit = 0; bit < (long)plen * 8; bit += stride) {
      edgec_update_status_t st;
      patch[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      st = apply(patch, plen, 0);
      patch[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      flips++;
      if (st == EDGEC_UPDATE_OK) accepted++;
      if (!active_intact()) damaged++;
      counts[(int)st % 64]++;
    }
    printf("flips %ld accepted %ld damaged %ld\n", flips, accepted, damaged);
    for (i = 0; i < 64; i++) if (counts[i]) printf("status %s %ld\n", edgec_update_status_name(i), counts[i]);
    return 0;
  }
  if (strcmp(argv[1], "powercut") == 0) {
    long cut, cuts = 0, intact = 0, retried = 0, b_valid_after_cut = 0;
    for (cut = 1;; cut++) {
      edgec_update_status_t st = apply(patch, plen, cut);
      if (st == EDGEC_UPDATE_OK) break; /* the apply finished before this event: every event was cut once */
      cuts++;
      if (active_intact()) intact++;
      if (model_bind_weights(slot_b, SLOT_BYTES) == EDGEC_BLOB_OK) b_valid_after_cut++;
      if (apply(patch, plen, 0) == EDGEC_UPDATE_OK && model_bind_weights(slot_b, SLOT_BYTES) == EDGEC_BLOB_OK) retried++;
      memset(slot_b, 0x5a, SLOT_BYTES); /* next cut starts from an unknown old slot again */
    }
    printf("cuts %ld active-intact %ld retry-ok %ld b-valid-after-cut %ld\n", cuts, intact, retried, b_valid_after_cut);
    return 0;
  }
  fprintf(stderr, "unknown mode\n");
  return 2;
}
