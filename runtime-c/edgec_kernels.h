/*
 * edgec portable int8 kernels. One kernel per file: edgec_<op>_<dtype>.c.
 *
 * Conventions (the same as CMSIS-NN and TFLite Micro, see quantization.md):
 *  - activations are NHWC int8; batches are the outermost loop;
 *  - conv filters are OHWI with I = in_c / groups; depthwise filters are
 *    [1, KH, KW, out_c] with out_c = in_c * ch_mult, out channel = ic * ch_mult + m;
 *  - fully connected weights are [out_depth][in_depth], row-major;
 *  - input_offset = -input_zero_point, output_offset = +output_zero_point;
 *  - requantization per output channel: mult[c] (Q31) and shift[c]
 *    (positive = left shift), see edgec_fixedpoint.h;
 *  - bias may be NULL (treated as 0).
 * Results are bit-exact with the TFLite Micro reference kernels.
 */
#ifndef EDGEC_KERNELS_H
#define EDGEC_KERNELS_H

#include "edgec.h"
#include "edgec_lstm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t batches;
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dil_h, dil_w;
  int32_t pad_top, pad_left;   /* bottom/right padding is implied by out_h/out_w */
  int32_t groups;              /* conv only; depthwise derives ch_mult = out_c / in_c */
  int32_t input_offset;
  int32_t output_offset;
  int32_t act_min, act_max;
} edgec_conv_params_t;

/* Regular (and grouped) convolution. No scratch buffer. */
void edgec_conv_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                   const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output);

/* Convolution (regular, grouped, depthwise as groups == in_c; OHWI filter)
 * with a per-output-channel weight zero point: filter_offset[oc] = -zero
 * point, exact window-sum correction (edgec_conv_wzp_s8.c). No scratch. */
void edgec_conv_wzp_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                       const int32_t *filter_offset, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                       int8_t *output);

typedef struct {
  int32_t b0, b1;              /* output batch dims (1 when absent) */
  int32_t a_step0, a_step1;    /* element step of a per batch index (0 = broadcast) */
  int32_t c_step0, c_step1;    /* same for the right-hand operand */
  int32_t m, k, n;
  int32_t a_offset, b_offset, out_offset;
  int32_t mult, shift;
  int32_t act_min, act_max;
} edgec_batch_matmul_params_t;

/* Matrix product of two int8 activations (ONNX MatMul, TFLite BATCH_MATMUL), edgec_batch_matmul_s8.c. */
void edgec_batch_matmul_s8(const edgec_batch_matmul_params_t *p, const int8_t *a, const int8_t *c, int8_t *output);

/* Window copy between NHWC buffers of different widths (patch-based execution: a tile's input region out of
 * the stage input, a finished tile into the stage output); edgec_copy_window_s8.c. */
void edgec_copy_window_s8(const int8_t *src, int32_t src_w, int32_t src_y, int32_t src_x,
                          int8_t *dst, int32_t dst_w, int32_t dst_y, int32_t dst_x,
                          int32_t rows, int32_t cols, int32_t channels);

/* Transposed convolution (ONNX ConvTranspose, TFLite TRANSPOSE_CONV), groups 1, OHWI filter; no scratch (edgec_transpose_conv_s8.c). */
void edgec_transpose_conv_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                             const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output);

/* Pointwise convolution (1x1, stride 1, no padding, groups 1) whose input and
 * output overlap: groups of up to four input pixels copied to the stack, then
 * their outputs stored in place (temp unused, may be NULL, up to 1024 input
 * channels; over that, runs of `block` pixels computed into temp, block *
 * out_c bytes, then copied out). Requires output + k * out_c <= input + k * in_c for
 * every pixel count k <= N (input at N * (out_c - in_c) bytes into the output
 * when out_c >= in_c, output == input otherwise), or no overlap at all. */
void edgec_conv_1x1_overlap_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                               const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output,
                               int8_t *temp, int32_t block);

/* Convolution (groups 1, window k_h * k_w * in_c <= 576) with pre-widened
 * int16 weights (edgec_wide.h layout, compiler/passes/wide-weights.ts); output
 * must not alias input. No scratch (2.9 KB of stack). */
void edgec_conv_wide_s8(const edgec_conv_params_t *p, const int8_t *input, const int32_t *filter,
                        const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output);

/* Pointwise convolution (1x1, stride 1, no padding, groups 1, in_c <= 1024)
 * with pre-widened int16 weights; output may overlap input as
 * edgec_conv_1x1_overlap_s8 allows. No scratch (2 KB of stack). */
void edgec_conv_1x1_wide_s8(const edgec_conv_params_t *p, const int8_t *input, const int32_t *filter,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output);

/* Depthwise convolution with channel multiplier. Output must not alias input. */
void edgec_depthwise_conv_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                             const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output);

typedef struct {
  int32_t batches;
  int32_t in_depth;
  int32_t out_depth;
  int32_t input_offset;
  int32_t output_offset;
  int32_t act_min, act_max;
  int32_t per_channel;         /* 0: mult[0]/shift[0] for every output */
} edgec_fc_params_t;

void edgec_fully_connected_s8(const edgec_fc_params_t *p, const int8_t *input, const int8_t *filter,
                              const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output);

/* Pre-widened weights (edgec_fully_connected_wide_s8.c): the same semantics and
 * results as edgec_fully_connected_s8 for in_depth and out_depth multiples of
 * 4, the weights as int16 lane pairs (twice the flash) and the input offset
 * folded into the bias (bias + input_offset * row sum, never NULL). */
void edgec_fully_connected_wide_s8(const edgec_fc_params_t *p, const int8_t *input, const int32_t *filter,
                                   const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output);

/* Bitmap-sparse weights (index format: edgec_sparse.h): the same semantics
 * and results as the dense kernels, zero weights neither stored nor multiplied. */
void edgec_fully_connected_sparse_s8(const edgec_fc_params_t *p, const int8_t *input, const int8_t *index,
                                     const int8_t *values, const int32_t *bias, const int32_t *mult,
                                     const int32_t *shift, int8_t *output);
void edgec_conv_sparse_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *index, const int8_t *values,
                          const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output);
void edgec_depthwise_conv_sparse_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *index,
                                    const int8_t *values, const int32_t *bias, const int32_t *mult,
                                    const int32_t *shift, int8_t *output);

/* Fully connected with a per-row weight zero point: filter_offset[o] = -zero
 * point, exact input-sum correction (edgec_fully_connected_wzp_s8.c). */
void edgec_fully_connected_wzp_s8(const edgec_fc_params_t *p, const int8_t *input, const int8_t *filter,
                                  const int32_t *filter_offset, const int32_t *bias, const int32_t *mult,
                                  const int32_t *shift, int8_t *output);

/* Float32 kernels for layers kept in float (edgec_<op>_f32.c): ONNX float
 * semantics, act_min/act_max a fused Relu / Clip in real units (+-FLT_MAX
 * without one). */
typedef struct {
  int32_t batches;
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dil_h, dil_w;
  int32_t pad_top, pad_left;
  int32_t groups;              /* conv only */
  float act_min, act_max;
} edgec_conv_f32_params_t;

void edgec_conv_f32(const edgec_conv_f32_params_t *p, const float *input, const float *filter, const float *bias,
                    float *output);
void edgec_depthwise_conv_f32(const edgec_conv_f32_params_t *p, const float *input, const float *filter,
                              const float *bias, float *output);

typedef struct {
  int32_t batches;
  int32_t in_depth;
  int32_t out_depth;
  float act_min, act_max;
} edgec_fc_f32_params_t;

void edgec_fully_connected_f32(const edgec_fc_f32_params_t *p, const float *input, const float *filter,
                               const float *bias, float *output);

/* ONNX LSTM / GRU kept in float (edgec_lstm_f32.c, edgec_gru_f32.c): sequence
 * and state layouts as the model's `layout` attribute (batch_major = layout 1),
 * directions 1 or 2 (direction 1 runs backwards, direction 0 too when
 * reverse_first: direction="reverse"). */
typedef struct {
  int32_t seq_len, batch, input_size, hidden_size;
  int32_t directions;
  int32_t reverse_first;
  int32_t batch_major;
  int32_t act[3];                   /* activations f, g, h (GRU: f, g): EDGEC_RNN_SIGMOID ... in edgec_rnn_f32.h */
  float act_alpha[3], act_beta[3];  /* HardSigmoid alpha, beta; LeakyRelu alpha */
} edgec_rnn_f32_params_t;

void edgec_lstm_f32(const edgec_rnn_f32_params_t *p, const float *x, const float *weights, const float *bias,
                    const float *h0, const float *c0, float *y, float *y_h, float *y_c, float *scratch);
void edgec_gru_f32(const edgec_rnn_f32_params_t *p, int32_t linear_before_reset, const float *x, const float *weights,
                   const float *bias, const float *h0, float *y, float *y_h, float *scratch);

typedef struct {
  int32_t batches;
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t count_include_pad;  /* avg pool: 1 = divide by the window clipped to the padded input */
  int32_t act_min, act_max;
  int32_t pad_value;          /* avg pool with count_include_pad = 1: the raw int8 value a padded
                                 position contributes, i.e. the input zero point (real 0). */
} edgec_pool_params_t;

/* Input and output share scale and zero point.
 * Max pool: max over the window positions inside the input (-128 if none), clamped.
 * Avg pool: sum of the window positions inside the input (plus pad_value for each
 * counted padded position), divided by count with round half away from zero:
 * sum > 0 ? (sum + count/2)/count : (sum - count/2)/count, then clamped.
 * count_include_pad = 0: count = number of positions inside the input (TFLite);
 * count_include_pad = 1: count = window clipped to [-pad, in + pad_end) (ONNX).
 * A window with count 0 outputs clamp(pad_value). */
void edgec_max_pool_s8(const edgec_pool_params_t *p, const int8_t *input, int8_t *output);
void edgec_avg_pool_s8(const edgec_pool_params_t *p, const int8_t *input, int8_t *output);

/* Mean over the spatial positions with requantization (TFLite MEAN semantics):
 * out = clamp(requant(sum(x - in_zp), mult, shift) + out_zp). mult/shift encode
 * in_scale / (out_scale * spatial). */
void edgec_global_avg_pool_s8(int32_t batches, int32_t spatial, int32_t channels, int32_t input_offset,
                              int32_t output_offset, int32_t mult, int32_t shift, int32_t act_min,
                              int32_t act_max, const int8_t *input, int8_t *output);

/* Broadcasting for binary elementwise ops: the output is iterated over `rank`
 * physical dims; strides are in elements (0 on broadcast dims). rank <= 6. */
typedef struct {
  int32_t rank;
  int32_t dims[EDGEC_MAX_RANK];
  int32_t stride1[EDGEC_MAX_RANK];
  int32_t stride2[EDGEC_MAX_RANK];
} edgec_broadcast_t;

typedef struct {
  int32_t in1_offset, in1_mult, in1_shift;
  int32_t in2_offset, in2_mult, in2_shift;
  int32_t left_shift;
  int32_t out_offset, out_mult, out_shift;
  int32_t act_min, act_max;
} edgec_add_params_t;

/* Same-shape add (in place allowed: output may equal in1 or in2). */
void edgec_add_s8(const edgec_add_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *output, int32_t size);
void edgec_add_broadcast_s8(const edgec_add_params_t *p, const edgec_broadcast_t *b, const int8_t *in1,
                            const int8_t *in2, int8_t *output);

typedef struct {
  int32_t in1_offset, in2_offset;
  int32_t out_offset, out_mult, out_shift;
  int32_t act_min, act_max;
} edgec_mul_params_t;

void edgec_mul_s8(const edgec_mul_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *output, int32_t size);
void edgec_mul_broadcast_s8(const edgec_mul_params_t *p, const edgec_broadcast_t *b, const int8_t *in1,
                            const int8_t *in2, int8_t *output);

/* Same-shape sub (in place allowed), ADD's parameters (edgec_sub_s8.c). */
void edgec_sub_s8(const edgec_add_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *output, int32_t size);
void edgec_sub_broadcast_s8(const edgec_add_params_t *p, const edgec_broadcast_t *b, const int8_t *in1,
                            const int8_t *in2, int8_t *output);

typedef struct {
  int32_t in1_offset, in1_mult, in1_shift;
  int32_t in2_offset, in2_mult, in2_shift;
  int32_t out_offset;
  int32_t is_max;
} edgec_minmax_params_t;

void edgec_minmax_broadcast_s8(const edgec_minmax_params_t *p, const edgec_broadcast_t *b, const int8_t *in1,
                               const int8_t *in2, int8_t *output);

typedef struct {
  int32_t x_offset, x_mult, x_shift;
  int32_t y_offset, y_mult, y_shift;
  int32_t out_offset;
} edgec_where_params_t;

/* Where with a constant condition (mask: one byte per output element), edgec_where_s8.c. */
void edgec_where_s8(const edgec_where_params_t *p, const edgec_broadcast_t *b, const int8_t *mask, const int8_t *x,
                    const int8_t *y, int8_t *output);

typedef struct {
  int32_t input_offset, alpha_offset, output_offset;
  int32_t mult_pos, shift_pos, mult_neg, shift_neg;
} edgec_prelu_params_t;

void edgec_prelu_s8(const edgec_prelu_params_t *p, const edgec_broadcast_t *b, const int8_t *input,
                    const int8_t *alpha, int8_t *output);

/* Softmax over the innermost dimension; output scale 1/256, zero point -128. */
void edgec_softmax_s8(const int8_t *input, int32_t rows, int32_t row_size, int32_t mult, int32_t shift,
                      int32_t diff_min, int8_t *output);

/* LogSoftmax over the innermost dimension (edgec_log_softmax_s8.c); out_mult = 0: TFLM's 16/256, 127 output. */
void edgec_log_softmax_s8(const int8_t *input, int32_t rows, int32_t row_size, int32_t mult, int32_t shift,
                          int32_t diff_min, int32_t reverse_mult, int32_t reverse_shift, int32_t out_mult,
                          int32_t out_shift, int32_t out_zero_point, int8_t *output);

/* Index of the max / min along an axis ([outer, axis_size, inner] -> int32 [outer, inner], edgec_arg_minmax_s8.c). */
void edgec_arg_minmax_s8(const int8_t *input, int32_t outer, int32_t axis_size, int32_t inner, int32_t is_max,
                         int32_t select_last, int32_t *output);

/* out[i] = table[(uint8_t)(in[i] + 128)]. In place allowed. */
void edgec_lut_s8(const int8_t *input, const int8_t *table, int8_t *output, int32_t size);

/* int8 -> int8 with another scale/zero point. In place allowed. */
void edgec_requantize_s8(const int8_t *input, int32_t size, int32_t input_offset, int32_t output_offset,
                         int32_t mult, int32_t shift, int32_t act_min, int32_t act_max, int8_t *output);

/* float <-> int8 at the model's edges (round half to even, saturate). */
void edgec_quantize_f32_s8(const float *input, int32_t size, float scale, int32_t zero_point, int8_t *output);
/* In-model input normalisation (per-axis add/sub/mul/div steps), then QuantizeLinear: edgec_quantize_affine_f32_s8.c. */
void edgec_quantize_affine_f32_s8(const float *input, int32_t outer, int32_t channels, int32_t inner, int32_t n_steps,
                                  const int8_t *steps, const float *constants, float scale, int32_t zero_point, int8_t *output);
void edgec_dequantize_s8_f32(const int8_t *input, int32_t size, float scale, int32_t zero_point, float *output);

/* uint8 <-> int8 (flip the sign bit). In place allowed. */
void edgec_u8_to_s8(const uint8_t *input, int32_t size, int8_t *output);
void edgec_s8_to_u8(const int8_t *input, int32_t size, uint8_t *output);

/* Concatenation: the output is `outer` blocks; block k is input 0's
 * inner_sizes[0] bytes of block k, then input 1's, ... */
void edgec_concat_s8(int32_t outer, int32_t num_inputs, const int8_t *const *inputs, const int32_t *inner_sizes,
                     int8_t *output);

/* Constant padding over up to 6 physical dims (in_dims), pads_before/after per dim. */
void edgec_pad_s8(int32_t rank, const int32_t *in_dims, const int32_t *pads_before, const int32_t *pads_after,
                  int8_t pad_value, const int8_t *input, int8_t *output);

/* out dims[i] = in_dims[perm[i]], rank <= 6. Works for any 1-byte element. */
void edgec_transpose_s8(int32_t rank, const int32_t *in_dims, const int32_t *perm, const int8_t *input,
                        int8_t *output);

/* ReduceMean / ReduceSum over runs of merged physical dims (see the .c file). */
void edgec_reduce_sum_s8(int32_t kept_rank, const int32_t *kept_dims, const int32_t *kept_strides,
                         int32_t red_rank, const int32_t *red_dims, const int32_t *red_strides,
                         int32_t input_sum_offset, int32_t output_offset, int32_t mult, int32_t shift,
                         const int8_t *input, int8_t *output);

/* The same over float32 data: sum / divisor (the float part after a layer kept float). */
void edgec_reduce_sum_f32(int32_t kept_rank, const int32_t *kept_dims, const int32_t *kept_strides,
                          int32_t red_rank, const int32_t *red_dims, const int32_t *red_strides,
                          float divisor, const float *input, float *output);

/* ReduceMax (is_min 0) / ReduceMin (is_min 1) over runs of merged physical dims. */
void edgec_reduce_max_s8(int32_t kept_rank, const int32_t *kept_dims, const int32_t *kept_strides,
                         int32_t red_rank, const int32_t *red_dims, const int32_t *red_strides, int32_t is_min,
                         const int8_t *input, int8_t *output);

/* Copy through one constant offset table per output dim (see the .c file). */
void edgec_gather_s8(int32_t rank, const int32_t *out_dims, const int32_t *offsets, int32_t run,
                     const int8_t *input, int8_t *output);

/* Bilinear resize, NHWC, TFLite RESIZE_BILINEAR int8 arithmetic (see the .c file). */
void edgec_resize_bilinear_s8(int32_t batches, int32_t in_h, int32_t in_w, int32_t channels, int32_t out_h,
                              int32_t out_w, int32_t h_scale_10, int32_t w_scale_10, int32_t half_pixel,
                              const int8_t *input, int8_t *output);

/* --- 16x8: int16 activations (zero point 0), int8 weights, int64 bias ----- */

/* Conv / depthwise / fully connected with an int64 accumulator and TFLite's
 * 64-bit requantization (edgec_requantize_s64); offsets in p are ignored. */
void edgec_conv_s16(const edgec_conv_params_t *p, const int16_t *input, const int8_t *filter, const int64_t *bias,
                    const int32_t *mult, const int32_t *shift, int16_t *output);
void edgec_depthwise_conv_s16(const edgec_conv_params_t *p, const int16_t *input, const int8_t *filter,
                              const int64_t *bias, const int32_t *mult, const int32_t *shift, int16_t *output);
void edgec_fully_connected_s16(const edgec_fc_params_t *p, const int16_t *input, const int8_t *filter,
                               const int64_t *bias, const int32_t *mult, const int32_t *shift, int16_t *output);

/* Add (left_shift 15) and Mul with int8's parameters; in place allowed as for int8. */
void edgec_add_s16(const edgec_add_params_t *p, const int16_t *in1, const int16_t *in2, int16_t *output, int32_t size);
void edgec_add_broadcast_s16(const edgec_add_params_t *p, const edgec_broadcast_t *b, const int16_t *in1,
                             const int16_t *in2, int16_t *output);
void edgec_mul_s16(const edgec_mul_params_t *p, const int16_t *in1, const int16_t *in2, int16_t *output, int32_t size);
void edgec_mul_broadcast_s16(const edgec_mul_params_t *p, const edgec_broadcast_t *b, const int16_t *in1,
                             const int16_t *in2, int16_t *output);

/* QUANTIZE between quantized types with an int16 side (clamped to the output
 * type; same-type in place allowed), edgec_requantize_s16.c. */
void edgec_requantize_s16_s16(const int16_t *input, int32_t size, int32_t input_offset, int32_t output_offset,
                              int32_t mult, int32_t shift, int16_t *output);
void edgec_requantize_s16_s8(const int16_t *input, int32_t size, int32_t input_offset, int32_t output_offset,
                             int32_t mult, int32_t shift, int8_t *output);
void edgec_requantize_s8_s16(const int8_t *input, int32_t size, int32_t input_offset, int32_t output_offset,
                             int32_t mult, int32_t shift, int16_t *output);

/* TFLM's int16 LOGISTIC / TANH (edgec_logistic_s16.c): input rescaled by
 * input_mult / 2^input_left_shift, then its interpolated sigmoid table;
 * output scale 2^-15, zero points 0. In place allowed. */
void edgec_logistic_s16(const int16_t *input, int32_t size, int32_t input_mult, int32_t input_left_shift, int16_t *output);
void edgec_tanh_s16(const int16_t *input, int32_t size, int32_t input_mult, int32_t input_left_shift, int16_t *output);

/* TFLM's SoftmaxInt16 over the innermost dimension with its 513-entry exp and
 * 1/(1+x) tables (edgec_softmax_s16.c); output scale 2^-15. Output must not alias input. */
void edgec_softmax_s16(const int16_t *input, int32_t rows, int32_t row_size, int32_t mult, int32_t shift,
                       const int16_t *exp_lut, const int16_t *recip_lut, int16_t *output);

/* ReduceMean / ReduceSum / GlobalAveragePool of int16 data over runs of merged
 * physical dims, TFLM MEAN / SUM int16 (edgec_reduce_sum_s16.c, as the s8 kernel). */
void edgec_reduce_sum_s16(int32_t kept_rank, const int32_t *kept_dims, const int32_t *kept_strides,
                          int32_t red_rank, const int32_t *red_dims, const int32_t *red_strides,
                          int32_t input_sum_offset, int32_t output_offset, int32_t mult, int32_t shift,
                          const int16_t *input, int16_t *output);

/* Pools: TFLite semantics (padding never counted), int16 data. */
void edgec_max_pool_s16(const edgec_pool_params_t *p, const int16_t *input, int16_t *output);
void edgec_avg_pool_s16(const edgec_pool_params_t *p, const int16_t *input, int16_t *output);

/* float <-> int16 at the model's edges (TFLM: round half away from zero, saturate). */
void edgec_quantize_f32_s16(const float *input, int32_t size, float scale, int32_t zero_point, int16_t *output);
void edgec_dequantize_s16_f32(const int16_t *input, int32_t size, float scale, int32_t zero_point, float *output);

#ifdef __cplusplus
}
#endif

#endif /* EDGEC_KERNELS_H */
