"""Small TFLite models for the .tflite front end's tests (test/tflite/ops.test.ts).

One Keras model per group of TFLite builtins edgec maps, converted by
TFLiteConverter with full-int8 post-training quantization on random
representative data. Every file is small (a few KB) and committed under
test/fixtures/tflite/ together with fixtures.json, which lists the builtins
each file must contain (the test checks them with edgec's own reader, so a
converter that fuses or rewrites an op differently cannot silently drop
coverage). TensorFlow never runs in the test suite; re-run this script to
regenerate the fixtures:

    /path/to/venv-with-tensorflow/bin/python examples/scripts/tflite/make_fixtures.py

Variants: per-channel (default) and per-tensor weights, fused activations
(RELU, RELU6, RELU_N1_TO_1 via the converter's fusion), int8, uint8 and
float I/O, FULLY_CONNECTED with keep_num_dims true and false.
"""
from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf
import keras

OUT = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "tflite"
L = keras.layers


def seed(n: int) -> None:
    random.seed(n)
    np.random.seed(n)
    keras.utils.set_random_seed(n)


def conv_relu():
    x = inp = keras.Input((9, 9, 3), batch_size=1)
    x = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = L.Conv2D(8, 3, strides=2, padding="valid", activation="relu6")(x)
    x = L.Conv2D(6, 2, dilation_rate=2, padding="same")(x)
    return keras.Model(inp, x)


def depthwise():
    x = inp = keras.Input((10, 10, 4), batch_size=1)
    x = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    x = L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="valid", activation="relu6")(x)
    x = L.DepthwiseConv2D(1, padding="valid")(x)
    return keras.Model(inp, x)


def fc_flat():
    x = inp = keras.Input((4, 4, 3), batch_size=1)
    x = L.Flatten()(x)
    x = L.Dense(16, activation="relu")(x)
    x = L.Dense(10)(x)
    x = L.Softmax()(x)
    return keras.Model(inp, x)


def fc_keep_dims():
    x = inp = keras.Input((5, 12), batch_size=1)
    x = L.Dense(7, activation="relu")(x)  # rank-3 input: FULLY_CONNECTED keep_num_dims=True
    return keras.Model(inp, x)


def add_mul():
    a = inp = keras.Input((6, 6, 4), batch_size=1)
    b = L.Conv2D(4, 1)(a)
    s = L.ReLU()(L.Add()([a, b]))
    c = L.Conv2D(4, 1)(s)
    m = L.ReLU(max_value=6.0)(L.Multiply()([s, c]))
    return keras.Model(inp, m)


def pools():
    x = inp = keras.Input((11, 11, 5), batch_size=1)
    a = L.AveragePooling2D(3, strides=2, padding="same")(x)
    m = L.MaxPooling2D(2, strides=2, padding="valid")(x)
    return keras.Model(inp, [a, m])


def mean_keepdims():
    # MEAN with keep_dims=True, directly on the input (every element reaches the sum) and inside the graph
    inp = keras.Input((6, 6, 8), batch_size=1)
    direct = L.GlobalAveragePooling2D(keepdims=True)(inp)
    g = L.GlobalAveragePooling2D(keepdims=True)(L.Conv2D(6, 3, padding="same")(inp))
    return keras.Model(inp, [direct, L.Conv2D(4, 1)(g)])


def mean_softmax():
    x = inp = keras.Input((6, 6, 8), batch_size=1)
    x = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = L.GlobalAveragePooling2D()(x)  # MEAN, keep_dims false
    x = L.Dense(5)(x)
    x = L.Softmax()(x)
    return keras.Model(inp, x)


def activations():
    x = inp = keras.Input((4, 4, 8), batch_size=1)
    x = L.Conv2D(8, 1)(x)
    y = L.Reshape((16, 8))(x)
    outs = [
        L.Activation("sigmoid")(y),
        L.Activation("tanh")(y),
        L.LeakyReLU(negative_slope=0.2)(y),
        L.Activation("hard_swish")(y),
        L.ReLU()(y),
        L.ReLU(max_value=6.0)(y),
    ]
    return keras.Model(inp, outs)


def unary():
    # activations read the model input directly, so random int8 inputs reach every one of the 256 table entries
    x = inp = keras.Input((16, 16), batch_size=1)
    outs = [
        L.Activation("sigmoid")(x),
        L.Activation("tanh")(x),
        L.LeakyReLU(negative_slope=0.3)(x),
        L.Activation("hard_swish")(x),
        L.ReLU()(x),
        L.ReLU(max_value=6.0)(x),
    ]
    return keras.Model(inp, outs)


def binary_ops():
    a = inp = keras.Input((6, 6, 4), batch_size=1)
    b = L.Conv2D(4, 1)(a)
    sub = L.ReLU()(L.Subtract()([a, b]))
    mx = L.Maximum()([a, b])
    mn = L.Minimum()([a, b])
    pr = L.PReLU(shared_axes=[1, 2])(L.Conv2D(4, 1)(a))
    return keras.Model(inp, [sub, mx, mn, pr])


def split():
    x = inp = keras.Input((5, 4, 8), batch_size=1)
    x = L.Conv2D(8, 1)(x)
    a = L.Lambda(lambda v: tf.split(v, 2, axis=-1)[0])(x)
    b = L.Lambda(lambda v: tf.split(v, 2, axis=-1)[1])(x)
    y = L.Conv2D(4, 1)(x)
    c = L.Lambda(lambda v: tf.split(v, [1, 4], axis=1)[0])(y)
    d = L.Lambda(lambda v: tf.split(v, [1, 4], axis=1)[1])(y)
    return keras.Model(inp, [L.Conv2D(3, 1)(a), L.Conv2D(3, 1)(b), L.Conv2D(2, 1)(c), L.Conv2D(2, 1)(d)])


def resize():
    x = inp = keras.Input((5, 4, 3), batch_size=1)
    x = L.Conv2D(4, 1)(x)
    b = L.UpSampling2D(2, interpolation="bilinear")(x)
    r = L.Lambda(lambda v: tf.compat.v1.image.resize_bilinear(v, (9, 7), align_corners=True))(x)
    nn = L.Lambda(lambda v: tf.image.resize(v, (8, 11), method="nearest"))(x)
    na = L.Lambda(lambda v: tf.compat.v1.image.resize_nearest_neighbor(v, (7, 9), align_corners=True))(x)
    # (Keras's nearest UpSampling2D becomes TILE, which TFLM lacks)
    return keras.Model(inp, [L.Conv2D(2, 1)(t) for t in (b, r, nn, na)])


def transpose_conv():
    x = inp = keras.Input((5, 4, 3), batch_size=1)
    x = L.Conv2D(4, 1)(x)
    a = L.Conv2DTranspose(3, 3, strides=2, padding="same", activation="relu")(x)
    b = L.Conv2DTranspose(2, (2, 3), strides=(1, 2), padding="valid")(x)
    return keras.Model(inp, [a, b])


def strided_slice():
    x = inp = keras.Input((6, 7, 4), batch_size=1)
    x = L.Conv2D(4, 1)(x)
    a = L.Lambda(lambda v: v[:, 1:5, ::2, :])(x)
    b = L.Lambda(lambda v: v[:, -2, :, 1:3])(x)  # shrinks axis 1
    c = L.Lambda(lambda v: v[:, ::-1, 1:, :])(x)
    return keras.Model(inp, [L.Conv2D(2, 1)(a), L.Dense(2)(b), L.Conv2D(2, 1)(c)])


def log_softmax():
    x = inp = keras.Input((12,), batch_size=1)
    x = L.Dense(10)(x)
    return keras.Model(inp, L.Lambda(lambda v: tf.nn.log_softmax(v))(x))


def layout():
    # every layout op feeds a convolution: TFLiteConverter leaves layout ops
    # that only produce a model output in float
    x = inp = keras.Input((6, 4, 3), batch_size=1)
    x = L.Conv2D(4, 1)(x)
    c = L.Concatenate(axis=-1)([x, L.Conv2D(2, 1)(x)])
    r = L.Dense(3)(L.Reshape((24, 6))(c))
    s = L.Dense(3)(L.Lambda(lambda v: tf.squeeze(v, axis=1))(L.Conv2D(3, (6, 1))(x)))
    v2 = L.Conv2D(2, 1)(L.Lambda(lambda v: tf.pad(v, [[0, 0], [1, 1], [1, 1], [0, 0]], constant_values=0.75))(x))
    return keras.Model(inp, [r, s, v2])


def zero_pad():
    x = inp = keras.Input((6, 4, 3), batch_size=1)
    x = L.Conv2D(4, 1, activation="relu")(x)
    x = L.ZeroPadding2D(((1, 2), (0, 1)))(x)
    return keras.Model(inp, L.Conv2D(2, 3)(x))


def permute():
    x = inp = keras.Input((6, 4, 3), batch_size=1)
    x = L.Conv2D(4, 1, activation="relu")(x)
    x = L.Permute((2, 1, 3))(x)
    return keras.Model(inp, L.Conv2D(2, 3)(x))


def reductions():
    # MEAN / SUM / REDUCE_MAX / REDUCE_MIN over axes other than the spatial pair, keep_dims both ways
    x = inp = keras.Input((5, 6, 8), batch_size=1)
    x = L.Conv2D(8, 1)(x)
    chan = L.Lambda(lambda v: tf.reduce_mean(v, axis=-1))(x)  # [1, 5, 6]
    rows = L.Lambda(lambda v: tf.reduce_mean(v, axis=1, keepdims=True))(x)  # [1, 1, 6, 8]
    total = L.Lambda(lambda v: tf.reduce_sum(v, axis=[1, 2]))(x)  # [1, 8]
    peak = L.GlobalMaxPooling2D()(x)  # REDUCE_MAX over (1, 2)
    low = L.Lambda(lambda v: tf.reduce_min(v, axis=2))(x)  # [1, 5, 8]
    return keras.Model(inp, [L.Dense(3)(L.Flatten()(chan)), L.Conv2D(2, 1)(rows), L.Dense(2)(total), L.Dense(2)(peak), L.Dense(2)(L.Flatten()(low))])


def mean_same_quant():
    # a MEAN whose output quantization is its input's (the file is edited after conversion: see same_quant_mean)
    x = inp = keras.Input((4, 4, 6), batch_size=1)
    x = L.Conv2D(6, 1)(x)
    x = L.Lambda(lambda v: tf.reduce_mean(v, axis=[1, 2]))(x)
    return keras.Model(inp, L.Dense(3)(x))


def strided_slice_ellipsis():
    x = inp = keras.Input((6, 7, 4), batch_size=1)
    x = L.Conv2D(4, 1)(x)
    a = L.Lambda(lambda v: v[..., 1:3])(x)
    b = L.Lambda(lambda v: v[:, ..., ::2, :])(x)
    return keras.Model(inp, [L.Conv2D(2, 1)(a), L.Conv2D(2, 1)(b)])


def rsqrt_abs():
    # TFLM's integer RSQRT (fixed-point Newton-Raphson) and ABS; RSQRT's input is kept positive
    x = inp = keras.Input((4, 4, 6), batch_size=1)
    x = L.Conv2D(6, 1)(x)
    r = L.Lambda(lambda v: tf.math.rsqrt(tf.nn.relu(v) + 0.25))(x)
    a = L.Lambda(lambda v: tf.abs(v))(x)
    return keras.Model(inp, [L.Conv2D(3, 1)(r), L.Conv2D(3, 1)(a)])


def rsqrt_only():
    # the model input feeds RSQRT directly (calibrated on positive data, so its zero point is -128 and every int8 input is valid)
    inp = keras.Input((16, 16), batch_size=1)
    return keras.Model(inp, L.Lambda(lambda v: tf.math.rsqrt(v))(inp))


def rsqrt_tie_quant(data: bytes) -> bytes:
    """Quantizations where TFLM's integer RSQRT and a float-rounded table differ
    (input q = 63: TFLM gives 8, float rounding 7), so the fixture tells them apart."""
    def edit(m, sg, schema):
        for op in sg.operators:
            code = m.operatorCodes[op.opcodeIndex]
            if max(code.deprecatedBuiltinCode, code.builtinCode) != schema.BuiltinOperator.RSQRT:
                continue
            for t, (scale, zp) in ((op.inputs[0], (0.004563792200435189, -128)), (op.outputs[0], (0.0142953496031474, -71))):
                sg.tensors[t].quantization.scale, sg.tensors[t].quantization.zeroPoint = [scale], [zp]
    return edit_model(data, edit)


def edit_model(data: bytes, edit) -> bytes:
    from tensorflow.lite.python import schema_py_generated as schema
    import flatbuffers
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    for sg in m.subgraphs:
        edit(m, sg, schema)
    b = flatbuffers.Builder(len(data) + 1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def same_quant_mean(data: bytes) -> bytes:
    """Give every MEAN output its input's scale and zero point: TFLM runs such a MEAN
    through the same QuantizedMeanOrSum, with a multiplier of 1/count."""
    from tensorflow.lite.python import schema_py_generated as schema
    import flatbuffers
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    for sg in m.subgraphs:
        for op in sg.operators:
            code = m.operatorCodes[op.opcodeIndex]
            if max(code.deprecatedBuiltinCode, code.builtinCode) != schema.BuiltinOperator.MEAN:
                continue
            src, dst = sg.tensors[op.inputs[0]].quantization, sg.tensors[op.outputs[0]].quantization
            dst.scale, dst.zeroPoint = list(src.scale), list(src.zeroPoint)
    b = flatbuffers.Builder(len(data) + 1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def representative(model, n=64, positive=False):
    shapes = [tuple(i.shape) for i in model.inputs]

    def gen():
        rng = np.random.default_rng(5)
        for _ in range(n):
            yield [(rng.uniform(0.05, 2, size=s) if positive else rng.normal(0, 1, size=s)).astype(np.float32) for s in shapes]
    return gen


def convert(model, io="int8", per_channel=True, positive=False) -> bytes:
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative(model, positive=positive)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if io != "float":
        conv.inference_input_type = {"int8": tf.int8, "uint8": tf.uint8}[io]
        conv.inference_output_type = {"int8": tf.int8, "uint8": tf.uint8}[io]
    if not per_channel:
        conv._experimental_disable_per_channel = True
    return conv.convert()


def builtins(data: bytes) -> list[str]:
    from tensorflow.lite.python import schema_py_generated as schema
    m = schema.Model.GetRootAsModel(data, 0)
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    codes = [max(m.OperatorCodes(i).DeprecatedBuiltinCode(), m.OperatorCodes(i).BuiltinCode()) for i in range(m.OperatorCodesLength())]
    return sorted({names[c] for c in codes})


FIXTURES = [
    ("conv_relu", conv_relu, {}),
    ("conv_pertensor", conv_relu, {"per_channel": False}),
    ("conv_float_io", conv_relu, {"io": "float"}),
    ("conv_uint8_io", conv_relu, {"io": "uint8"}),
    ("depthwise", depthwise, {}),
    ("depthwise_pertensor", depthwise, {"per_channel": False}),
    ("fc_flat", fc_flat, {}),
    ("fc_flat_float_io", fc_flat, {"io": "float"}),
    ("fc_keep_dims", fc_keep_dims, {}),
    ("add_mul", add_mul, {}),
    ("pools", pools, {}),
    ("mean_softmax", mean_softmax, {}),
    ("mean_keepdims", mean_keepdims, {}),
    ("activations", activations, {}),
    ("unary", unary, {}),
    ("layout", layout, {}),
    ("binary_ops", binary_ops, {}),
    ("split", split, {}),
    ("resize", resize, {}),
    ("log_softmax", log_softmax, {}),
    ("transpose_conv", transpose_conv, {}),
    ("strided_slice", strided_slice, {}),
    ("zero_pad", zero_pad, {}),
    ("permute", permute, {}),
    ("reductions", reductions, {}),
    ("mean_same_quant", mean_same_quant, {"edit": "same_quant_mean"}),
    ("strided_slice_ellipsis", strided_slice_ellipsis, {}),
    ("rsqrt_abs", rsqrt_abs, {}),
    ("rsqrt_tie", rsqrt_only, {"edit": "rsqrt_tie_quant", "positive": True}),
]

EDITS = {"same_quant_mean": same_quant_mean, "rsqrt_tie_quant": rsqrt_tie_quant}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:])
    path = OUT / "fixtures.json"
    manifest = json.loads(path.read_text()) if only and path.exists() else {}
    for i, (name, build, opts) in enumerate(FIXTURES):
        if only and name not in only:
            continue
        seed(100 + i)
        convert_opts = {k: v for k, v in opts.items() if k != "edit"}
        data = convert(build(), **convert_opts)
        if "edit" in opts:
            data = EDITS[opts["edit"]](data)
        (OUT / f"{name}.tflite").write_bytes(data)
        manifest[name] = {"builtins": builtins(data), **opts}
        print(f"{name}: {len(data)} bytes, {manifest[name]['builtins']}")
    (OUT / "fixtures.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
