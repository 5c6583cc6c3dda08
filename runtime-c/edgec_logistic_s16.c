/*
 * edgec_logistic_s16 / edgec_tanh_s16: TFLite Micro's int16 LOGISTIC and TANH
 * (zero points 0, output scale 2^-15). Both rescale the input to a fixed
 * point where 2^17 stands for 32/3 (input_mult / 2^input_left_shift, chosen
 * by the compiler as TFLM's Prepare does; a power-of-two input scale gives
 * input_mult 3), then interpolate linearly in one 256-entry table of
 * sigmoid(i / 24) in unsigned Q0.16, for |x| only; the sign is restored by
 * symmetry (sigmoid(-x) = 1 - sigmoid(x), tanh(x) = 2 sigmoid(2x) - 1, so
 * tanh reads the same table at twice the rate). Every rounding step below is
 * the reference kernel's, so results are equal bit for bit. In place allowed.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_sigmoid_s16.h"

void edgec_logistic_s16(const int16_t *input, int32_t size, int32_t input_mult, int32_t input_left_shift, int16_t *output)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = edgec_sigmoid_s16_at(edgec_sigmoid_table_input(input[i], input_mult, input_left_shift));
}

void edgec_tanh_s16(const int16_t *input, int32_t size, int32_t input_mult, int32_t input_left_shift, int16_t *output)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = edgec_tanh_s16_at(edgec_sigmoid_table_input(input[i], input_mult, input_left_shift));
}
