"""Small 16x8 TFLite models for the int16 tests (test/tflite/int16.test.ts).

The TFLM / CMSIS-NN 16x8 scheme: int16 activations (symmetric, zero point 0),
int8 per-channel weights, int64 bias on CONV_2D / DEPTHWISE_CONV_2D /
FULLY_CONNECTED. One Keras model per op (or small group of ops), converted by
TFLiteConverter with EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
on random representative data, int16 I/O unless the fixture says float. Every
file is a few KB and committed under test/fixtures/tflite16/ with
fixtures.json (the builtins each file must hold). TensorFlow never runs in the
test suite; re-run this script to regenerate:

    /path/to/venv-with-tensorflow/bin/python examples/scripts/tflite/make_fixtures_int16.py [name ...]
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

OUT = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "tflite16"
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


def fc():
    x = inp = keras.Input((4, 4, 3), batch_size=1)
    x = L.Flatten()(x)
    x = L.Dense(16, activation="relu")(x)
    x = L.Dense(10)(x)
    return keras.Model(inp, x)


def add_mul():
    a = inp = keras.Input((6, 6, 4), batch_size=1)
    b = L.Conv2D(4, 1)(a)
    s = L.ReLU()(L.Add()([a, b]))
    c = L.Conv2D(4, 1)(s)
    m = L.Multiply()([s, c])
    return keras.Model(inp, [s, m])


def pools():
    x = inp = keras.Input((11, 11, 5), batch_size=1)
    a = L.AveragePooling2D(3, strides=2, padding="same")(x)
    m = L.MaxPooling2D(2, strides=2, padding="valid")(x)
    return keras.Model(inp, [a, m])


def softmax():
    x = inp = keras.Input((12,), batch_size=1)
    direct = L.Softmax()(x)
    y = L.Softmax()(L.Dense(10)(x))
    return keras.Model(inp, [direct, y])


def logistic_tanh():
    x = inp = keras.Input((16, 16), batch_size=1)
    y = L.Dense(16)(x)
    return keras.Model(inp, [L.Activation("sigmoid")(x), L.Activation("tanh")(x), L.Activation("sigmoid")(y), L.Activation("tanh")(y)])


def reshape_concat():
    x = inp = keras.Input((6, 4, 3), batch_size=1)
    x = L.Conv2D(4, 1)(x)
    c = L.Concatenate(axis=-1)([x, L.Conv2D(2, 1)(x)])
    return keras.Model(inp, L.Dense(3)(L.Reshape((24, 6))(c)))


def mean():
    # MEAN over the spatial axes (keep_dims both ways), directly on the input and after a conv
    inp = keras.Input((6, 6, 8), batch_size=1)
    direct = L.GlobalAveragePooling2D(keepdims=True)(inp)
    g = L.GlobalAveragePooling2D()(L.Conv2D(6, 3, padding="same")(inp))
    return keras.Model(inp, [direct, L.Dense(4)(g)])


def zero_pad():
    x = inp = keras.Input((6, 4, 3), batch_size=1)
    x = L.Conv2D(4, 1, activation="relu")(x)
    x = L.ZeroPadding2D(((1, 2), (0, 1)))(x)
    return keras.Model(inp, L.Conv2D(2, 3)(x))


def cnn():
    x = inp = keras.Input((16, 16, 1), batch_size=1)
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    x = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    x = L.Conv2D(12, 1, activation="relu")(x)
    x = L.MaxPooling2D(2)(x)
    x = L.AveragePooling2D(2)(x)
    x = L.Flatten()(x)
    x = L.Dense(6)(x)
    x = L.Softmax()(x)
    return keras.Model(inp, x)


def int8_edges(data: bytes) -> bytes:
    """int8 model I/O around the int16 graph, the way TFLM runs it: a QUANTIZE int8 -> int16
    after the input and a QUANTIZE int16 -> int8 before the output (the converter only
    writes int16 or float I/O for 16x8 models, so the file is edited)."""
    from tensorflow.lite.python import schema_py_generated as schema
    import flatbuffers
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.QUANTIZE
    code.version = 1
    m.operatorCodes.append(code)
    q_index = len(m.operatorCodes) - 1
    sg = m.subgraphs[0]

    def int8_twin(t, name: str, scale: float, zero_point: int):
        twin = schema.TensorT()
        twin.shape, twin.type, twin.name = list(t.shape), schema.TensorType.INT8, name.encode()
        m.buffers.append(schema.BufferT())
        twin.buffer = len(m.buffers) - 1
        twin.quantization = schema.QuantizationParametersT()
        twin.quantization.scale, twin.quantization.zeroPoint = [scale], [zero_point]
        sg.tensors.append(twin)
        return len(sg.tensors) - 1

    def quantize_op(src: int, dst: int):
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = q_index, [src], [dst]
        return op

    x, y = sg.inputs[0], sg.outputs[0]
    xs, ys = sg.tensors[x].quantization.scale[0], sg.tensors[y].quantization.scale[0]
    x8 = int8_twin(sg.tensors[x], "input_int8", xs * 256, 3)
    y8 = int8_twin(sg.tensors[y], "output_int8", ys * 256, -5)
    sg.operators = [quantize_op(x8, x)] + list(sg.operators) + [quantize_op(y, y8)]
    sg.inputs, sg.outputs = [x8], [y8]
    b = flatbuffers.Builder(len(data) + 1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


EDITS = {"int8_edges": int8_edges}


def representative(model, n=64):
    shapes = [tuple(i.shape) for i in model.inputs]

    def gen():
        rng = np.random.default_rng(5)
        for _ in range(n):
            yield [rng.normal(0, 1, size=s).astype(np.float32) for s in shapes]
    return gen


def convert(model, io="int16") -> bytes:
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative(model)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    if io == "int16":
        conv.inference_input_type = tf.int16
        conv.inference_output_type = tf.int16
    return conv.convert()


def builtins(data: bytes) -> list[str]:
    from tensorflow.lite.python import schema_py_generated as schema
    m = schema.Model.GetRootAsModel(data, 0)
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    codes = [max(m.OperatorCodes(i).DeprecatedBuiltinCode(), m.OperatorCodes(i).BuiltinCode()) for i in range(m.OperatorCodesLength())]
    return sorted({names[c] for c in codes})


FIXTURES = [
    ("conv_relu", conv_relu, {}),
    ("conv_float_io", conv_relu, {"io": "float"}),
    ("depthwise", depthwise, {}),
    ("fc", fc, {}),
    ("add_mul", add_mul, {}),
    ("pools", pools, {}),
    ("softmax", softmax, {}),
    ("logistic_tanh", logistic_tanh, {}),
    ("reshape_concat", reshape_concat, {}),
    ("mean", mean, {}),
    ("zero_pad", zero_pad, {}),
    ("conv_int8_edges", conv_relu, {"edit": "int8_edges"}),
    ("cnn", cnn, {}),
    ("cnn_float_io", cnn, {"io": "float"}),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:])
    path = OUT / "fixtures.json"
    manifest = json.loads(path.read_text()) if only and path.exists() else {}
    for i, (name, build, opts) in enumerate(FIXTURES):
        if only and name not in only:
            continue
        seed(200 + i)
        data = convert(build(), **{k: v for k, v in opts.items() if k != "edit"})
        if "edit" in opts:
            data = EDITS[opts["edit"]](data)
        (OUT / f"{name}.tflite").write_bytes(data)
        manifest[name] = {"builtins": builtins(data), **opts}
        print(f"{name}: {len(data)} bytes, {manifest[name]['builtins']}", flush=True)
    (OUT / "fixtures.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
