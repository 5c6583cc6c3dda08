/*
 * Runs a generated model on pseudo-random inputs, for builds compiled with
 * -fsanitize=address,undefined: any run-time finding aborts the process.
 * Compile with -DMODEL=<name> (the --name of the build), -DNUM_INPUTS=<NAME>_NUM_INPUTS and -DSEED=<n>.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define STR2(x) #x
#define STR(x) STR2(x)
#include STR(MODEL.h)

static uint32_t rng_state = 0x9e3779b9u ^ (uint32_t)SEED;

static uint32_t next_random(void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static void fill(edgec_tensor_t *t)
{
  uint32_t i;
  if (t->type == EDGEC_FLOAT32) {
    float *f = (float *)t->data;
    for (i = 0; i < t->bytes / 4u; i++) f[i] = ((float)(next_random() % 20001u) - 10000.0f) / 1000.0f;
  } else {
    uint8_t *b = (uint8_t *)t->data;
    for (i = 0; i < t->bytes; i++) b[i] = (uint8_t)next_random();
  }
}

int main(void)
{
  int run, k;
  for (run = 0; run < 3; run++) {
    for (k = 0; k < NUM_INPUTS; k++) fill(CAT(MODEL, _input)(k));
    if (CAT(MODEL, _invoke)() != EDGEC_OK) {
      printf("invoke failed\n");
      return 3;
    }
  }
  printf("ok\n");
  return 0;
}
