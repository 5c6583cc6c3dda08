/*
 * edgec runtime: public types shared by every generated model.
 * C99, no dynamic allocation, no globals.
 */
#ifndef EDGEC_H
#define EDGEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What <name>_invoke() returns. EDGEC_ERROR: no valid weights bound (--weights
 * blob) or a kernel-library call failed (CMSIS-NN / ESP-NN); <name>.h lists
 * which can happen for that build. */
typedef enum {
  EDGEC_OK = 0,
  EDGEC_ERROR = 1
} edgec_status_t;

typedef enum {
  EDGEC_INT8 = 0,
  EDGEC_UINT8 = 1,
  EDGEC_INT16 = 2,
  EDGEC_INT32 = 3,
  EDGEC_FLOAT32 = 4
} edgec_type_t;

#define EDGEC_MAX_RANK 6

/* A model input or output, inside the model's static arena. dims[] give the
 * order the data is laid out in: the model's declared layout, except inputs
 * built with --input-layout nhwc, which are channels-last (<name>.h says so
 * for each tensor). data is 16-byte aligned with GCC/Clang (EDGEC_ALIGNED). */
typedef struct {
  void *data;
  edgec_type_t type;
  int32_t rank;
  int32_t dims[EDGEC_MAX_RANK];
  float scale;        /* 0 for float tensors */
  int32_t zero_point;
  uint32_t bytes;
  const char *name;
} edgec_tensor_t;

/* Arena placement: define EDGEC_ARENA_ATTR (e.g. a section attribute) before
 * including the model header to put the arena in a specific RAM bank. */
#ifndef EDGEC_ARENA_ATTR
#define EDGEC_ARENA_ATTR
#endif

#if defined(__GNUC__) || defined(__clang__)
#define EDGEC_ALIGNED(n) __attribute__((aligned(n)))
#else
#define EDGEC_ALIGNED(n)
#endif

/* Helpers for users feeding float data to int8 models (round half to even,
 * saturating; the same rule as ONNX QuantizeLinear). */
int8_t edgec_quantize_f32(float value, float scale, int32_t zero_point);
float edgec_dequantize_f32(int8_t value, float scale, int32_t zero_point);

/* The same for the int16 inputs and outputs of 16x8 models (EDGEC_INT16;
 * TFLite Micro's rule: round half away from zero, saturating). */
int16_t edgec_quantize16_f32(float value, float scale, int32_t zero_point);
float edgec_dequantize16_f32(int16_t value, float scale, int32_t zero_point);

#ifdef __cplusplus
}
#endif

#endif /* EDGEC_H */
